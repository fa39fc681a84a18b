#!/usr/bin/env python3
"""measure.py - how close eddy is to ksqlDB on ksqlDB's own QTT files.

Usage: tests/conformance/measure.py DIR_OR_FILES... [--eddy build/eddy]
           [--failures N] [--file-timeout SECONDS]

Takes ksqlDB query-validation-test files (not committed to this repository:
fetch them into a folder outside it, e.g. /work/qtt-ksql), keeps the tests
eddy can run (formats JSON, DELIMITED, KAFKA, NONE; a test whose "format"
list names several formats is run once per kept format with {FORMAT}
replaced, as ksqlDB's runner does; tests that need a schema registry --
AVRO, PROTOBUF, JSON_SR, a topic with a schema -- are skipped and counted
as skipped), runs them with `eddy test`, and prints per file and overall:

  out   tests expecting output whose output matches ksqlDB's exactly
  rej   tests expecting an exception that eddy rejects (any wording;
        "wording" counts those whose message also contains ksqlDB's text)
  total (out + rej) / tests run, in %

then the failures grouped by reason.  Not run by ctest: the files are
ksqlDB's, not the project's; the project's own cases are in tests/cases.
"""
import argparse
import collections
import json
import os
import re
import subprocess
import sys
import tempfile

KEPT = {"JSON", "DELIMITED", "KAFKA", "NONE"}
SCHEMA_FORMATS = re.compile(r"\b(AVRO|PROTOBUF|PROTOBUF_NOSR|JSON_SR)\b", re.I)


def expand(test):
    """The variants of one test eddy can run, or [] with a skip reason."""
    fmts = test.get("format") or test.get("formats")
    variants = []
    if fmts:
        for f in fmts:
            if f.upper() not in KEPT:
                continue
            t = json.loads(json.dumps(test).replace("{FORMAT}", f))
            t["name"] = "%s - %s" % (test.get("name", "(unnamed)"), f)
            variants.append(t)
        if not variants:
            return [], "format " + "/".join(fmts)
    else:
        variants = [test]
    kept = []
    why = None
    for t in variants:
        text = " ".join(t.get("statements", []))
        if SCHEMA_FORMATS.search(text):
            why = "schema-registry format"
            continue
        if any(isinstance(tp, dict) and ("schema" in tp or "valueSchema" in tp or "keySchema" in tp)
               for tp in t.get("topics", [])):
            why = "topic with a registered schema"
            continue
        kept.append(t)
    return kept, why


def reason_of(detail, expects_exc):
    """A short reason a test failed, for grouping."""
    if expects_exc:
        if "but every statement succeeded" in detail:
            return "accepted, ksqlDB rejects"
        return "rejected, other wording (counted as rejected)"
    m = re.search(r"statement failed: (.*)", detail)
    if m:
        msg = m.group(1)
        msg = re.sub(r"^line \d+:\d+: ", "", msg)
        msg = re.sub(r"'[^']*'|\"[^\"]*\"|`[^`]*`", "'…'", msg)
        msg = re.sub(r"\b[A-Z_][A-Z0-9_]{1,}\b(?![(])", "X", msg) if len(msg) > 90 else msg
        return "error: " + msg[:110]
    if "cannot be encoded" in detail or "cannot be produced" in detail:
        return "input not encodable"
    if "crashed" in detail or "timed out" in detail:
        return detail.strip()
    return "different output"


def run_file(eddy, path, timeout):
    with open(path) as fh:
        try:
            doc = json.load(fh)
        except ValueError as e:
            return None, "unreadable: %s" % e
    tests, skipped = [], collections.Counter()
    for t in doc.get("tests", []):
        if t.get("enabled") is False:   # ksqlDB's runner skips these too
            skipped["disabled in ksqlDB"] += 1
            continue
        kept, why = expand(t)
        if not kept:
            skipped[why or "no runnable variant"] += 1
        tests.extend(kept)
    for i, t in enumerate(tests):
        t["name"] = "#%04d %s" % (i, t.get("name", "(unnamed)"))
    results = []
    if tests:
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False,
                                         dir=os.path.dirname(os.path.abspath(path))) as tmp:
            json.dump({"tests": tests}, tmp)
        try:
            p = subprocess.run([eddy, "test", tmp.name], capture_output=True, text=True,
                               timeout=timeout, errors="replace")
            out, crash = p.stdout, (p.returncode not in (0, 1))
        except subprocess.TimeoutExpired as e:
            out, crash = (e.stdout or b"").decode("utf-8", "replace") if isinstance(e.stdout, bytes) else (e.stdout or ""), "timed out"
        finally:
            os.unlink(tmp.name)
        status = {}
        cur = None
        for line in out.splitlines():
            m = re.match(r"(PASS|FAIL) [^:]*: (#\d{4}) ", line)
            if m:
                cur = m.group(2)
                status[cur] = [m.group(1) == "PASS", ""]
            elif cur and line.startswith("  "):
                status[cur][1] += line + "\n"
        for t in tests:
            key = t["name"][:5]
            exc = "expectedException" in t
            if key in status:
                ok, detail = status[key]
            else:
                ok, detail = False, ("crashed (exit status)" if crash is True else
                                     "timed out" if crash else "not run")
            rejected = exc and (ok or ("but every statement succeeded" not in detail and key in status))
            results.append({"name": t["name"][6:], "exc": exc, "pass": ok,
                            "counted": ok if not exc else rejected,
                            "reason": None if ok else reason_of(detail, exc),
                            "detail": detail})
    return (results, skipped), None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("paths", nargs="+")
    ap.add_argument("--eddy", default=os.path.join(os.path.dirname(__file__), "..", "..", "build", "eddy"))
    ap.add_argument("--failures", type=int, default=3, help="names listed per failure reason")
    ap.add_argument("--file-timeout", type=int, default=300)
    ap.add_argument("--details", action="store_true", help="print each failure's diff")
    a = ap.parse_args()
    files = []
    for p in a.paths:
        if os.path.isdir(p):
            for root, _, names in os.walk(p):
                files += [os.path.join(root, n) for n in names if n.endswith(".json")]
        else:
            files.append(p)
    files.sort()
    tot = collections.Counter()
    reasons = collections.defaultdict(list)
    print("%-44s %9s %9s %7s %9s %7s" % ("file", "out", "rej", "wording", "total", "skipped"))
    for f in files:
        res, err = run_file(a.eddy, f, a.file_timeout)
        rel = os.path.relpath(f, a.paths[0]) if os.path.isdir(a.paths[0]) else f
        if err:
            print("%-44s %s" % (rel, err))
            continue
        results, skipped = res
        c = collections.Counter()
        for r in results:
            kind = "exc" if r["exc"] else "out"
            c[kind] += 1
            c[kind + "_ok"] += r["counted"]
            c["wording"] += r["exc"] and r["pass"]
            if not r["counted"] or (r["exc"] and not r["pass"]):
                reasons[r["reason"]].append((rel, r["name"], r["detail"]))
        c["skipped"] = sum(skipped.values())
        tot.update(c)
        n = c["out"] + c["exc"]
        print("%-44s %4d/%-4d %4d/%-4d %7d %8s %7d" % (
            rel[:44], c["out_ok"], c["out"], c["exc_ok"], c["exc"], c["wording"],
            "%.1f%%" % (100.0 * (c["out_ok"] + c["exc_ok"]) / n) if n else "-", c["skipped"]))
    n = tot["out"] + tot["exc"]
    print()
    print("tests run: %d (%d expect output, %d expect an exception); skipped: %d" %
          (n, tot["out"], tot["exc"], tot["skipped"]))
    if tot["out"]:
        print("output matches exactly:   %d/%d = %.1f%%" % (tot["out_ok"], tot["out"], 100.0 * tot["out_ok"] / tot["out"]))
    if tot["exc"]:
        print("rejected as ksqlDB:       %d/%d = %.1f%% (same wording: %d)" %
              (tot["exc_ok"], tot["exc"], 100.0 * tot["exc_ok"] / tot["exc"], tot["wording"]))
    if n:
        print("overall:                  %d/%d = %.1f%%" % (tot["out_ok"] + tot["exc_ok"], n,
                                                          100.0 * (tot["out_ok"] + tot["exc_ok"]) / n))
    print("\nfailures by reason (wording-only differences listed last, not counted as failures):")
    order = sorted(reasons.items(), key=lambda kv: (kv[0].startswith("rejected, other wording"), -len(kv[1]), kv[0]))
    for reason, items in order:
        print("%4d  %s" % (len(items), reason))
        for rel, name, detail in items[:a.failures]:
            print("        %s: %s" % (rel, name))
            if a.details:
                for line in detail.splitlines()[:12]:
                    print("          " + line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
