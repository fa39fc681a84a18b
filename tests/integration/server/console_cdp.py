#!/usr/bin/env python3
"""console_cdp.py - drives eddy's web console in a real headless chromium.

Used by test_server_console.sh (which starts the broker and `eddy server`):

    console_cdp.py URL SCREENSHOT.png WORKDIR
    console_cdp.py --auth URL USER:PASSWORD WORKDIR    (a server with basic authentication)

Chromium is driven over the DevTools protocol on a pipe
(--remote-debugging-pipe: JSON messages ended by a NUL byte, commands on its
fd 3, answers and events on its fd 4), so no port, no websocket library and
nothing but python3.  The page is used as a person would: text typed into
the statement box (Input.insertText), the buttons and links clicked with
mouse events at their place on the screen; what the page shows is read
from its DOM.  Every wait polls for a condition (up to 60 s: chromium on a
loaded machine is slow); no timing is asserted.
"""
import atexit
import base64
import fcntl
import json
import os
import select
import subprocess
import sys
import time
import urllib.request

WAIT_SECS = 60


def fail(msg):
    print(f"FAIL: {msg}", file=sys.stderr)
    sys.exit(1)


def ok(msg):
    print(f"ok: {msg}", flush=True)


class Browser:
    """A headless chromium and one page of it, over the DevTools pipe."""

    def __init__(self, workdir, name, width=1280, height=900):
        # Pipes moved above fd 9 first, so placing them at 3 and 4 in the
        # child cannot overwrite one with the other.
        to_r, to_w = os.pipe()
        from_r, from_w = os.pipe()
        to_r_hi = fcntl.fcntl(to_r, fcntl.F_DUPFD_CLOEXEC, 10)
        from_w_hi = fcntl.fcntl(from_w, fcntl.F_DUPFD_CLOEXEC, 10)
        os.close(to_r)
        os.close(from_w)

        def child_fds():
            os.dup2(to_r_hi, 3)      # dup2's copies are inheritable
            os.dup2(from_w_hi, 4)

        chromium = os.environ.get("CHROMIUM", "chromium")
        args = [chromium, "--headless", "--remote-debugging-pipe", "--disable-gpu",
                "--no-first-run", "--no-default-browser-check", "--disable-extensions",
                "--disable-dev-shm-usage", "--hide-scrollbars",
                f"--user-data-dir={workdir}/chromium-{name}", f"--window-size={width},{height}",
                "about:blank"]
        # Chromium's sandbox needs root's refusal lifted or user namespaces a
        # CI container may not have; the page is the test's own, on loopback.
        args.insert(1, "--no-sandbox")
        self.log = open(f"{workdir}/chromium-{name}.log", "wb")
        self.proc = subprocess.Popen(args, preexec_fn=child_fds, close_fds=False,
                                     stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log)
        os.close(to_r_hi)
        os.close(from_w_hi)
        atexit.register(self.kill)      # also when a check fails (sys.exit)
        self.w = os.fdopen(to_w, "wb")
        self.r = from_r
        self.buf = b""
        self.next_id = 0
        self.on_event = None            # called with each event (a message without id)
        self.session = None
        started = time.monotonic()
        targets = []
        while not targets:
            targets = [t for t in self.call("Target.getTargets")["targetInfos"] if t["type"] == "page"]
            if not targets and time.monotonic() - started > WAIT_SECS:
                fail("chromium opened no page")
            time.sleep(0.1)
        self.session = self.call("Target.attachToTarget",
                                 {"targetId": targets[0]["targetId"], "flatten": True})["sessionId"]
        self.call("Emulation.setDeviceMetricsOverride", {"width": width, "height": height,
                                                         "deviceScaleFactor": 1, "mobile": False})
        print(f"chromium {self.call('Browser.getVersion')['product']} up in "
              f"{time.monotonic() - started:.1f} s", flush=True)

    def recv(self, deadline):
        while b"\0" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.r], [], [], left)[0]:
                fail("chromium did not answer within %d s (see chromium-*.log)" % WAIT_SECS)
            data = os.read(self.r, 1 << 16)
            if not data:
                fail("chromium closed its pipe (see chromium-*.log)")
            self.buf += data
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def send(self, method, params=None):
        """Sends a command (to the page once attached); its id."""
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if self.session and not method.startswith(("Target.", "Browser.")):
            msg["sessionId"] = self.session
        self.w.write(json.dumps(msg).encode() + b"\0")
        self.w.flush()
        return self.next_id

    def call(self, method, params=None):
        """Sends a command; its result.  Events meanwhile go to on_event."""
        id = self.send(method, params)
        deadline = time.monotonic() + WAIT_SECS
        while True:
            m = self.recv(deadline)
            if m.get("id") == id:
                if "error" in m:
                    fail(f"{method}: {m['error']}")
                return m["result"]
            if "id" not in m and self.on_event:
                self.on_event(m)

    def eval(self, expr):
        """The value of a JavaScript expression in the page (awaited if a promise)."""
        res = self.call("Runtime.evaluate", {"expression": expr, "returnByValue": True,
                                             "awaitPromise": True})
        if "exceptionDetails" in res:
            return {"exception": res["exceptionDetails"].get("exception", {}).get("description")}
        return res["result"].get("value")

    def wait(self, desc, expr, want=None):
        """Polls expr until it is truthy (or equals want); its value.  Fails with the last value."""
        deadline = time.monotonic() + WAIT_SECS
        while True:
            v = self.eval(expr)
            if (v == want) if want is not None else bool(v) and not (isinstance(v, dict) and "exception" in v):
                ok(desc)
                return v
            if time.monotonic() > deadline:
                fail(f"{desc}: still {json.dumps(v)} after {WAIT_SECS} s")
            time.sleep(0.25)

    def click(self, selector):
        """A left click at the middle of the element, as the mouse does it."""
        pos = self.wait(f"{selector} is on the page",
                        "(() => { const e = document.querySelector(%s); if (!e) return null;"
                        " e.scrollIntoView({block: 'center'}); const r = e.getBoundingClientRect();"
                        " return [r.x + r.width / 2, r.y + r.height / 2]; })()" % json.dumps(selector))
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", {"type": kind, "x": pos[0], "y": pos[1],
                                                   "button": "left", "clickCount": 1})

    def type(self, selector, text):
        """Empties the field, clicks into it and types text."""
        self.eval("document.querySelector(%s).value = ''" % json.dumps(selector))
        self.click(selector)
        self.call("Input.insertText", {"text": text})

    def screenshot(self, path):
        data = self.call("Page.captureScreenshot", {"format": "png"})["data"]
        png = base64.b64decode(data)
        if png[:8] != b"\x89PNG\r\n\x1a\n":
            fail("Page.captureScreenshot gave no PNG")
        with open(path, "wb") as f:
            f.write(png)
        # IHDR: width and height, big-endian, after the signature and the chunk's length and type
        return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def close(self):
        try:
            self.call("Browser.close")
        except SystemExit:
            pass
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill()


def rest(url, path, body=None):
    """The server's answer to GET path, or POST of body (JSON): (status, text)."""
    req = urllib.request.Request(url + path, data=None if body is None else json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def metric(url, name):
    for line in rest(url, "/metrics")[1].splitlines():
        if line.split(" ")[0] == name:
            return line.split(" ")[1]
    return None


def rows_js(selector):
    return ("[...document.querySelectorAll(%s)].map(tr => [...tr.cells].map(c => c.textContent))"
            % json.dumps(selector))


def behind_auth(url, credentials, workdir):
    """The console of a server with basic authentication: the browser is
    challenged (401) and answers with the user's credentials, as a person
    does in its dialog; the page and its API calls then work."""
    user, password = credentials.split(":", 1)
    b = Browser(workdir, "auth")
    challenges = []

    def answer(ev):
        p = ev.get("params", {})
        if ev["method"] == "Fetch.requestPaused":
            b.send("Fetch.continueRequest", {"requestId": p["requestId"]})
        elif ev["method"] == "Fetch.authRequired":
            challenges.append(p["request"]["url"])
            b.send("Fetch.continueWithAuth", {"requestId": p["requestId"], "authChallengeResponse": {
                "response": "ProvideCredentials", "username": user, "password": password}})
    b.on_event = answer
    b.call("Fetch.enable", {"handleAuthRequests": True})
    b.call("Page.navigate", {"url": url + "/"})
    b.wait("behind auth: the page loaded", "document.readyState === 'complete' && document.title", "eddy console")
    b.wait("behind auth: the queries list answered (no queries on this server)",
           "document.querySelector('#queries tbody').textContent", "no persistent queries")
    b.wait("behind auth: the server's version from /info", "document.querySelector('#server-info').textContent"
           ".startsWith('server ')", True)
    b.type("#sql", "SHOW STREAMS;")
    b.click("#run")
    b.wait("behind auth: a statement from the box", "document.querySelector('#run-status').textContent",
           "1 statement done")
    b.wait("behind auth: no error shown", "document.querySelector('#conn').textContent + "
           "(document.querySelector('#error').hidden ? '' : document.querySelector('#error').textContent)", "")
    # The page's own requests (script, /ksql, /metrics, ...) carry the
    # credentials the browser was given for the page: no prompt for each.
    if challenges != [url + "/"]:
        fail(f"behind auth: the browser should be challenged once, for the page: {challenges}")
    ok(f"behind auth: one challenge, for the page ({challenges[0]}); its scripts and API calls reuse it")
    b.close()


def main():
    if sys.argv[1] == "--auth":
        return behind_auth(*sys.argv[2:5])
    url, screenshot, workdir = sys.argv[1:4]
    b = Browser(workdir, "console")
    b.call("Page.navigate", {"url": url + "/"})
    b.wait("the page loaded", "document.readyState === 'complete' && document.title", "eddy console")

    # ---- lists
    b.wait("the streams list shows the test's streams",
           "[...document.querySelectorAll('#streams tbody tr')].map(r => r.dataset.name).sort().join()",
           "ACC,ENRICHED,SEVERE")
    b.wait("the tables list shows PER_CITY", rows_js("#tables tbody tr"),
           [["PER_CITY", "PER_CITY", "KAFKA", "JSON"]])
    b.wait("the queries list shows the three queries, running",
           "[...document.querySelectorAll('#queries tbody tr')].map(r => r.dataset.query + ' ' + r.cells[1].textContent).join()",
           "CSAS_SEVERE_1 RUNNING,CTAS_PER_CITY_2 RUNNING,CSAS_ENRICHED_3 RUNNING")

    # ---- operator graphs from EXPLAIN
    ops = "[...document.querySelectorAll('#plan .node')].map(n => n.dataset.op).join()"
    edges = "document.querySelectorAll('#plan path.edge').length"
    b.click("#queries tr[data-query=CSAS_SEVERE_1] a")
    b.wait("CSAS_SEVERE_1's graph: Source, Filter, Project, Sink", ops, "Source,Filter,Project,Sink")
    b.wait("... 3 edges", edges, 3)
    b.wait("... the Filter's condition", "document.querySelectorAll('#plan .node[data-op=Filter] text')[1].textContent",
           "WHERE (SEV >= 3)")
    b.wait("... its schema in the node's tooltip", "document.querySelector('#plan .node[data-op=Filter] title').textContent",
           "Filter WHERE (SEV >= 3)\nschema: [ID STRING KEY, CITY STRING, SEV INTEGER]")
    b.click("#queries tr[data-query=CSAS_ENRICHED_3] a")
    b.wait("CSAS_ENRICHED_3's graph: two sources into a Join", ops, "Source,Source,Join,Project,Sink")
    b.wait("... 4 edges", edges, 4)
    b.wait("... the sources side by side on the top row, the Join under them, between",
           "(() => { const p = [...document.querySelectorAll('#plan .node')].map(n =>"
           " n.getAttribute('transform').match(/[\\d.]+/g).map(Number));"
           " return p[0][1] === p[1][1] && p[2][1] > p[0][1] && p[0][0] < p[2][0] && p[2][0] < p[1][0]; })()",
           True)

    # The page's reading of /metrics, on a text of every shape: a query's
    # line, lines split by another label (summed), both (the total wins).
    sample = "\n".join([
        "# HELP eddy_query_lag_records x", "# TYPE eddy_query_lag_records gauge",
        'eddy_query_records_in_total{query="A"} 5',
        'eddy_query_lag_records{query="A",partition="0"} 2',
        'eddy_query_lag_records{query="A",partition="1"} 3',
        'eddy_query_lag_records{query="B",partition="0"} 1',
        'eddy_query_lag_records{query="B"} 7',
        'eddy_query_lag_records{query="B",partition="1"} 1',
        "eddy_uptime_seconds 1.5", ""])
    b.wait("metrics: a query's figure is its own line, or the sum of its lines by partition",
           "JSON.stringify([...queryFigures(%s)])" % json.dumps(sample),
           '[["A",{"eddy_query_records_in_total":5,"eddy_query_lag_records":5}],'
           '["B",{"eddy_query_lag_records":7}]]')

    # ---- traffic for the charts: a few seconds of inserts at a rate that rises and falls
    cities = ["Wichita", "Lawrence", "Salina", "Olathe"]
    per_second = [2, 5, 9, 12, 9, 5, 2]
    for sec, n in enumerate(per_second):
        stmts = "".join(f"INSERT INTO acc (id, city, sev) VALUES ('t{sec}_{i}', '{cities[i % 4]}', {i % 5});"
                        for i in range(n))
        status, text = rest(url, "/ksql", {"ksql": stmts})
        if status != 200:
            fail(f"INSERT INTO: {status} {text}")
        time.sleep(1)
    ok(f"{sum(per_second)} rows inserted over {len(per_second)} s")
    # ---- live rates: the records the queries read show as a rate above 0
    b.wait("the queries' records in/s chart rose above 0 (from /metrics)",
           "(() => { const p = document.querySelector('#queries tr[data-query=CSAS_SEVERE_1] .rate-in polyline');"
           " return p !== null && p.getAttribute('points').split(' ').some(xy => Number(xy.split(',')[1]) < 20); })()",
           True)
    b.wait("... and CSAS_SEVERE_1's out/s too (its WHERE passes some)",
           "(() => { const p = document.querySelector('#queries tr[data-query=CSAS_SEVERE_1] .rate-out polyline');"
           " return p !== null && p.getAttribute('points').split(' ').some(xy => Number(xy.split(',')[1]) < 20); })()",
           True)
    b.wait("... and a lag figure", "document.querySelector('#queries tr[data-query=CSAS_SEVERE_1] .lag').textContent",
           "0")

    # ---- a push query from the statement box, rows inserted while it runs
    b.type("#sql", "SELECT id, city, sev FROM acc EMIT CHANGES;")
    b.click("#run")
    b.wait("the push query's columns are shown", rows_js("#rows thead tr"), [["ID", "CITY", "SEV"]])
    b.wait("... Stop is enabled while it runs", "!document.querySelector('#stop').disabled", True)
    status, text = rest(url, "/ksql", {"ksql": "INSERT INTO acc (id, city, sev) VALUES ('a1', 'Kansas City', 4);"
                                               "INSERT INTO acc (id, city, sev) VALUES ('a2', 'Topeka', 1);"
                                               "INSERT INTO acc (id, city, sev) VALUES ('a3', 'Kansas City', 5);"})
    if status != 200:
        fail(f"INSERT INTO: {status} {text}")
    b.wait("the inserted rows appear, exact values, while the query runs",
           "JSON.stringify(%s.sort())" % rows_js("#rows tbody tr"),
           json.dumps([["a1", "Kansas City", "4"], ["a2", "Topeka", "1"], ["a3", "Kansas City", "5"]],
                      separators=(",", ":")))
    running = b.eval("document.querySelector('#run-status').textContent")
    if not running.startswith("query ") or "rows" not in running or "ended" in running:
        fail(f"status while running: {running!r}")
    ok(f"status while running: {running!r}")
    if metric(url, "eddy_push_queries") != "1":
        fail("the server holds no push query while the console shows it running")
    ok("the server holds the console's push query")

    b.wait("... the charts go on taking samples (8 of them, every 2 s)",
           "document.querySelector('#queries tr[data-query=CSAS_SEVERE_1] .rate-in polyline')"
           ".getAttribute('points').split(' ').length >= 8", True)
    b.click("#queries tr[data-query=CSAS_ENRICHED_3] a")
    b.wait("(graph of CSAS_ENRICHED_3 for the screenshot)", "document.querySelectorAll('#plan .node').length", 5)
    size = b.screenshot(screenshot)
    if size != (1280, 900):
        fail(f"the screenshot is {size[0]} x {size[1]}, not the page's 1280 x 900")
    ok(f"screenshot while the push query runs: {screenshot} ({size[0]} x {size[1]})")

    # ---- Stop
    b.click("#stop")
    b.wait("Stop ends the query (/close-query)", "document.querySelector('#run-status').textContent",
           "query %s ended: 3 rows" % running.split(":")[0].split(" ")[1])
    b.wait("... Stop is disabled again", "document.querySelector('#stop').disabled", True)
    deadline = time.monotonic() + WAIT_SECS
    while metric(url, "eddy_push_queries") != "0":
        if time.monotonic() > deadline:
            fail("the server still holds the push query after Stop")
        time.sleep(0.2)
    ok("the server freed the push query")

    # ---- a bad statement shows ksqlDB's error with line:col
    b.type("#sql", "SHOW STREAMS;\n  SELEC x FROM acc;")
    b.click("#run")
    b.wait("a bad statement shows its error, positioned",
           "!document.querySelector('#error').hidden && document.querySelector('#error').textContent",
           "40001: line 2:3: syntax error at 'SELEC'\nin: SELEC x FROM acc;")
    b.type("#sql", "SELECT * FROM nowhere EMIT CHANGES;")
    b.click("#run")
    b.wait("a bad query (over /query-stream) shows its error",
           "!document.querySelector('#error').hidden && document.querySelector('#error').textContent.includes('NOWHERE')",
           True)
    print("   error shown: " + b.eval("document.querySelector('#error').textContent"))

    # ---- a statement from the box changes the lists
    b.type("#sql", "CREATE STREAM typed (x INT) WITH (kafka_topic='typed', value_format='JSON', partitions=1);")
    b.click("#run")
    b.wait("CREATE STREAM from the box: the server's message", "document.querySelector('#result').textContent",
           "Stream TYPED created.")
    b.wait("... the error is gone", "document.querySelector('#error').hidden", True)
    b.wait("... and the new stream is listed",
           "[...document.querySelectorAll('#streams tbody tr')].map(r => r.dataset.name).includes('TYPED')", True)

    # ---- the lists follow changes made elsewhere (the page asks every 3 s)
    status, text = rest(url, "/ksql", {"ksql": "CREATE STREAM elsewhere (x INT) WITH (kafka_topic='elsewhere', "
                                               "value_format='JSON', partitions=1);"})
    if status != 200:
        fail(f"CREATE STREAM elsewhere: {status} {text}")
    b.wait("a stream created by another client appears in the list",
           "[...document.querySelectorAll('#streams tbody tr')].map(r => r.dataset.name).includes('ELSEWHERE')", True)

    # ---- a pull query ends by itself (once the table has counted both rows:
    # the page runs it once)
    deadline = time.monotonic() + WAIT_SECS
    pull = {"sql": "SELECT city, n FROM per_city WHERE city = 'Kansas City';"}
    while '["Kansas City",2]' not in rest(url, "/query-stream", pull)[1]:
        if time.monotonic() > deadline:
            fail("PER_CITY did not count the two Kansas City rows")
        time.sleep(0.2)
    b.type("#sql", "SELECT city, n FROM per_city WHERE city = 'Kansas City';")
    b.click("#run")
    b.wait("a pull query's row", rows_js("#rows tbody tr"), [["Kansas City", "2"]])
    b.wait("... and its end", "document.querySelector('#run-status').textContent.endsWith('ended: 1 row')", True)

    # ---- a query with more rows than the page keeps: the newest 1000 stay
    status, text = rest(url, "/ksql", {"ksql": "CREATE STREAM bulk (x INT) WITH (kafka_topic='bulk', "
                                               "value_format='JSON', partitions=1);"})
    if status != 200:
        fail(f"CREATE STREAM bulk: {status} {text}")
    body = "\n".join([json.dumps({"target": "BULK"})] + [json.dumps({"x": i}) for i in range(1200)])
    req = urllib.request.Request(url + "/inserts-stream", data=body.encode())
    with urllib.request.urlopen(req, timeout=60) as r:
        acks = r.read().decode()
    if acks.count('"ok"') != 1200:
        fail(f"/inserts-stream: {acks[:300]}")
    b.eval("document.querySelector('#offset').value = 'earliest'")
    b.type("#sql", "SELECT x FROM bulk EMIT CHANGES LIMIT 1200;")
    b.click("#run")
    b.wait("1200 rows: the query ends at its LIMIT",
           "document.querySelector('#run-status').textContent.endsWith('ended: 1200 rows')", True)
    b.wait("... the page keeps the newest 1000: x from 200 to 1199, in order",
           "JSON.stringify([...document.querySelectorAll('#rows tbody tr')].map(tr => Number(tr.cells[0].textContent)))",
           json.dumps(list(range(200, 1200)), separators=(",", ":")))
    b.close()


if __name__ == "__main__":
    main()
