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


# Tests that measure something other than current ksqlDB's dialect.  They
# are still run and shown, and counted in the "all tests" figure; the
# "current ksqlDB" figure leaves them out.  Why each rule: engine/README.md,
# "Differences from ksqlDB" (old key syntax) and tests/conformance/README.md.
TEST_ONLY_UDFS = re.compile(
    r"\b(TEST_UDTF|TEST_UDF|SUM_LIST|WHENCONDITION|BAD_UDF|THROWING_UDTF|TOSTRUCT)\s*\(", re.I)
OLD_KEY_PROPERTY = re.compile(r"\bWITH\s*\((?:[^()']|'[^']*')*?\bKEY\s*=", re.I)
# A primitive where the collection goes, in a test expecting output: the
# initial state written first, as the first lambda release of ksqlDB took it.
OLD_REDUCE = re.compile(r"function REDUCE does not accept \((INTEGER|BIGINT|DOUBLE|STRING|BOOLEAN|DECIMAL\(\d+, \d+\)), ")
ROWKEY_USE = re.compile(r"\bROWKEY\b", re.I)
ROWKEY_DECLARED = re.compile(r"[(,]\s*ROWKEY\s+(?!AS\b)[A-Z]+(?:\s*\([^)]*\))?\s+(?:PRIMARY\s+)?KEY\b", re.I)
TABLE_DECL = re.compile(r"\bCREATE\s+(?:OR\s+REPLACE\s+)?(?:SOURCE\s+)?TABLE\s+\S+\s*\(", re.I)
STREAM_DECL = re.compile(r"\bCREATE\s+(?:OR\s+REPLACE\s+)?(?:SOURCE\s+)?STREAM\s+\S+\s*\(", re.I)


# Functions (or argument forms) of earlier ksqlDB releases that current
# ksqlDB does not have either: a test using one measures the old release.
OLD_FUNCTIONS = [
    (re.compile(r"\bSTD_DEV_SAMP\s*\(", re.I),
     "old ksqlDB function name STD_DEV_SAMP (renamed STDDEV_SAMP in ksqlDB's StandardDeviationSampUdaf)"),
    (re.compile(r"\bTRANSFORM_ARRAY\s*\(", re.I),
     "old ksqlDB function name TRANSFORM_ARRAY (now TRANSFORM; the test's columns do not match its statements either)"),
    (re.compile(r"\bPARSETIMESTAMP\s*\(", re.I),
     "old ksqlDB function name PARSETIMESTAMP (now PARSE_TIMESTAMP)"),
    (re.compile(r"\bTIMESTAMPSUB\s*\(\s*\w+\s*,\s*\d+\s+[A-Z]+\s*\)", re.I),
     "old ksqlDB TIMESTAMPSUB(ts, n UNIT); now TIMESTAMPSUB(unit, n, ts) (SqlBase.g4 functionArgument)"),
]


def _column_lists(pattern, text):
    """The column-list text of each CREATE statement matching pattern."""
    for m in pattern.finditer(text):
        depth, i = 1, m.end()
        while i < len(text) and depth:
            depth += {"(": 1, ")": -1}.get(text[i], 0)
            i += 1
        yield text[m.end():i - 1]


def excluded_static(test):
    """Why a test is left out of the current-ksqlDB figure, from its text alone."""
    text = " ".join(test.get("statements", []))
    for pattern, why in OLD_FUNCTIONS:
        if pattern.search(text):
            return why
    if TEST_ONLY_UDFS.search(text):
        return "test-only UDF (a function of ksqlDB's test jar, not of ksqlDB)"
    if OLD_KEY_PROPERTY.search(text):
        return "old ksqlDB (< 0.10): WITH (KEY='column') property"
    if ROWKEY_USE.search(text) and not ROWKEY_DECLARED.search(text):
        return "old ksqlDB (< 0.10): implicit ROWKEY column"
    msg = (test.get("expectedException") or {}).get("message") or ""
    if re.search(r"Cannot compare .*\((ARRAY|MAP|STRUCT)<.* with (NOT_)?EQUAL", msg):
        return "old ksqlDB (< 0.13): = and <> on ARRAY, MAP, STRUCT rejected (allowed since ksqlDB PR 6149)"
    if "expectedException" not in test and any(
            not re.search(r"\bPRIMARY\s+KEY\b", cols, re.I) for cols in _column_lists(TABLE_DECL, text)):
        return "old ksqlDB (< 0.10): table without PRIMARY KEY (implicit ROWKEY)"
    return None


def _records(detail, which):
    out = {}
    for m in re.finditer(r"^\s*!? #(\d+) %s:\s+(.*)$" % which, detail, re.M):
        try:
            out[int(m.group(1))] = json.loads(m.group(2))
        except ValueError:
            out[int(m.group(1))] = m.group(2)
    return out


def _record_pairs(detail):
    """(expected, actual) record pairs of a failure with as many records as
    expected, each a JSON object; None otherwise."""
    if re.search(r"expected (\d+) records, got (?!\1\b)", detail):
        return None
    exp, act = _records(detail, "expected"), _records(detail, "actual")
    if not exp or set(exp) != set(act):
        return None
    pairs = [(exp[i], act[i]) for i in sorted(exp)]
    if not all(isinstance(e, dict) and isinstance(a, dict) for e, a in pairs):
        return None
    return pairs


def old_key_passthrough(test, detail):
    """A keyless source stream, and output that differs from the test's only
    in keys the test expects and eddy writes as null: before ksqlDB 0.10
    (KLIP-29, explicit keys) a stream without key columns had an implicit
    ROWKEY that carried the input record's key through; current ksqlDB
    writes a null key for a stream without key columns."""
    text = " ".join(test.get("statements", []))
    if not any(not re.search(r"\bKEY\b", cols, re.I) for cols in _column_lists(STREAM_DECL, text)):
        return False
    pairs = _record_pairs(detail)
    if pairs is None:
        return False
    differs = False
    for e, a in pairs:
        e2, a2 = dict(e), dict(a)
        ek, ak = e2.pop("key", None), a2.pop("key", None)
        if "timestamp" not in e2:
            a2.pop("timestamp", None)
        if json.dumps(e2, sort_keys=True) != json.dumps(a2, sort_keys=True):
            return False
        if ek != ak:
            if ak is not None or ek is None:
                return False
            differs = True
    return differs



def old_key_in_value(test, detail):
    """Output that differs from the test's only in that each expected
    DELIMITED value starts with the record's key: before ksqlDB 0.10 a
    table's GROUP BY key was copied into the value too; since then key
    columns are in the key only."""
    if "GROUP BY" not in " ".join(test.get("statements", [])).upper():
        return False
    pairs = _record_pairs(detail)
    if pairs is None:
        return False
    for e, a in pairs:
        ev, av, key = e.get("value"), a.get("value"), a.get("key")
        if e.get("key") != key or not isinstance(ev, str) or not isinstance(av, str) \
                or ev != "%s,%s" % (key, av):
            return False
    return True

# Failures that follow a written decision (engine/README.md, "Decisions
# where ksqlDB's documentation is silent (or eddy differs)"): still counted
# as failures, but grouped as such.
WIDE_DECIMAL = re.compile(r"\bDECIMAL\s*\(\s*(\d+)\s*,", re.I)


def _numbers_close(e, a):
    """Same JSON shape, numbers equal to about 12 significant digits."""
    if isinstance(e, bool) or isinstance(a, bool):
        return e == a
    if isinstance(e, (int, float)) and isinstance(a, (int, float)):
        return abs(e - a) <= 1e-12 * max(abs(e), abs(a), 1e-300)
    if isinstance(e, dict) and isinstance(a, dict):
        return set(e) == set(a) and all(_numbers_close(e[k], a[k]) for k in e)
    if isinstance(e, list) and isinstance(a, list):
        return len(e) == len(a) and all(_numbers_close(x, y) for x, y in zip(e, a))
    return e == a


# Tests whose expectation another ksqlDB version's function gives, where
# eddy follows the one in ksqlDB's current source (engine/README.md).
FUNCTION_VERSION = {
    "array_length - primitives": "ARRAY_LENGTH(NULL) is NULL (ksqlDB's ArrayLength)",
    "array_length - structured": "ARRAY_LENGTH(NULL) is NULL (ksqlDB's ArrayLength)",
    "extract records from a json object": "JSON_RECORDS returns MAP<STRING, STRING> (ksqlDB's JsonRecords)",
}

# Single tests whose failure a written decision of engine/README.md covers.
DECIDED_TESTS = {
    "concat fields using CONCAT": "a stray ')' is a syntax error",
    "import session stream": "SELECT * over a windowed stream writes the window in the key only",
    "table functions with complex expressions":
        "KSQL_COL_n counts generated names (current ksqlDB); this copy numbers by position and "
        "passes a keyless stream's key (ksqlDB before 0.10)",
}


def decided(test, detail, expects_exc):
    """The written decision a failure follows, or None."""
    name = re.sub(r" - (JSON|DELIMITED|KAFKA|NONE)$", "", test.get("name", "")[6:])
    if name in FUNCTION_VERSION:
        return FUNCTION_VERSION[name]
    if name in DECIDED_TESTS:
        return DECIDED_TESTS[name]
    msg = (test.get("expectedException") or {}).get("message") or ""
    if expects_exc and re.search(r"Function '(greatest|least)' does not accept parameters", msg, re.I):
        return "GREATEST / LEAST widen mixed numbers"
    text = " ".join(test.get("statements", []))
    if any(int(p) > 18 for p in WIDE_DECIMAL.findall(text)):
        return "DECIMAL values of more than 18 digits"
    if not expects_exc and "expected" in detail:
        exp, act = _records(detail, "expected"), _records(detail, "actual")
        if exp and set(exp) == set(act) and all(
                isinstance(exp[i], dict) and isinstance(act[i], dict) and
                _numbers_close(exp[i].get("value"), act[i].get("value")) for i in exp):
            return "floating point: libm and Java's Math differ in the last digit"
    return None


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
            excluded = excluded_static(t)
            if excluded is None and not ok and not exc and old_key_passthrough(t, detail):
                excluded = "old ksqlDB (< 0.10): keyless stream passes the input key through (implicit ROWKEY)"
            if excluded is None and not ok and not exc and old_key_in_value(t, detail):
                excluded = "old ksqlDB (< 0.10): the GROUP BY key copied into the value"
            if excluded is None and not ok and not exc and "The projection contains a key column" in detail:
                # Output expected although the key is selected twice: ksqlDB
                # since 0.10 refuses that (partition-by.json "key in
                # projection more than once"); before, the copy was a value.
                excluded = "old ksqlDB (< 0.10): key column selected twice"
            if excluded is None and not ok and not exc and "Key missing from projection" in detail:
                # The test expects output although a key column is not
                # selected: before ksqlDB 0.10 the key was copied implicitly;
                # since then ksqlDB rejects the query with this message.
                excluded = "old ksqlDB (< 0.10): key column left out of the projection"
            if excluded is None and not ok and not exc and OLD_REDUCE.search(detail):
                excluded = "old ksqlDB lambda signature REDUCE(state, collection, lambda); now REDUCE(collection, state, lambda)"
            results.append({"name": t["name"][6:], "exc": exc, "pass": ok,
                            "counted": ok if not exc else rejected,
                            "reason": None if ok else (
                                "[decided] " + decided(t, detail, exc)
                                if not (rejected if exc else ok) and decided(t, detail, exc)
                                else reason_of(detail, exc)),
                            "excluded": excluded,
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
    cur = collections.Counter()          # the tests not left out (see excluded_static)
    left_out = collections.defaultdict(list)
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
            if r["excluded"]:
                left_out[r["excluded"]].append((rel, r["name"], r["counted"]))
            else:
                cur[kind] += 1
                cur[kind + "_ok"] += r["counted"]
            if not r["counted"] or (r["exc"] and not r["pass"]):
                reason = r["reason"] if not r["excluded"] else "[left out] " + r["excluded"]
                reasons[reason].append((rel, r["name"], r["detail"]))
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
    m = cur["out"] + cur["exc"]
    if m:
        print("\nleft out of the current-ksqlDB figure (%d tests, passing shown):" % (n - m))
        for why, items in sorted(left_out.items(), key=lambda kv: -len(kv[1])):
            print("%4d  %s (%d pass)" % (len(items), why, sum(1 for x in items if x[2])))
        print("current ksqlDB, output:   %d/%d = %.1f%%" % (cur["out_ok"], cur["out"], 100.0 * cur["out_ok"] / max(cur["out"], 1)))
        print("current ksqlDB, rejected: %d/%d = %.1f%%" % (cur["exc_ok"], cur["exc"], 100.0 * cur["exc_ok"] / max(cur["exc"], 1)))
        print("current ksqlDB, overall:  %d/%d = %.1f%%" % (cur["out_ok"] + cur["exc_ok"], m,
                                                          100.0 * (cur["out_ok"] + cur["exc_ok"]) / m))
        dec = sum(1 for k, v in reasons.items() if k.startswith("[decided]") for x in v)
        print("  of its %d failures, %d follow a written decision (engine/README.md)" %
              (m - cur["out_ok"] - cur["exc_ok"], dec))
    print("\nfailures by reason (wording-only differences listed last, not counted as failures):")
    order = sorted(reasons.items(), key=lambda kv: (kv[0].startswith("[left out]"), kv[0].startswith("[decided]"),
                                                    kv[0].startswith("rejected, other wording"), -len(kv[1]), kv[0]))
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
