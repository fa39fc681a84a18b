#!/usr/bin/env bash
# eddy's web console (cli/console/, served at / by cli/server_console.c):
# its files over HTTP (content types, 404, no path traversal, 405, basic
# authentication), then the page itself in a real headless chromium
# (console_cdp.py): the streams, tables and queries lists, operator graphs
# drawn from EXPLAIN, a push query typed into the statement box showing rows
# inserted while it runs, Stop, errors with line:col, a statement that
# changes the lists, a pull query; behind basic authentication, one
# challenge for the page and its API calls working.  The screenshot taken
# while the push query runs is left in the build directory (path printed).
set -euo pipefail
: "${EDDY:?path to the eddy binary}" "${EDDY_SRC:?repo root}"
source "$EDDY_SRC/tests/integration/lib.sh"

command -v chromium > /dev/null || fail "chromium is not installed (.ci/deps installs it)"
work=$(mktemp -d)
[ -n "${KEEP_WORK:-}" ] || add_exit_trap "rm -rf '$work'"
start_broker --topic acc:2

cat > "$work/setup.ksql" <<'KSQL'
CREATE STREAM acc (id STRING KEY, city STRING, sev INT)
  WITH (kafka_topic = 'acc', value_format = 'JSON');
CREATE STREAM severe AS SELECT id, city, sev FROM acc WHERE sev >= 3;
CREATE TABLE per_city AS SELECT city, COUNT(*) AS n FROM acc GROUP BY city;
CREATE STREAM enriched AS SELECT a.id, a.city, c.n FROM acc a JOIN per_city c ON a.city = c.city;
KSQL

# From another directory than the source tree: the files are in the binary.
mkdir "$work/elsewhere"
(cd "$work/elsewhere" && exec "$EDDY" server --listen 127.0.0.1:0 --bootstrap-servers "$BOOTSTRAP" \
  --state-dir "$work/state" -p auto.offset.reset=earliest "$work/setup.ksql") \
  > "$work/server.out" 2> "$work/server.err" &
SERVER_PID=$!
add_exit_trap "kill -KILL $SERVER_PID 2> /dev/null || true"
wait_for 20 grep -q 'serving ksqlDB' "$work/server.err" || { cat "$work/server.err"; fail "server did not start"; }
URL=$(grep -o 'http://[0-9.:]*' "$work/server.err")
echo "server at $URL (pid $SERVER_PID)"

# head URL [curl args]: "STATUS CONTENT-TYPE" of a GET
head_of() { curl -s -o /dev/null -w '%{http_code} %{content_type}' "$@"; }
for proto in --http1.1 --http2-prior-knowledge; do
  check_eq "$proto: GET / is the console's page" "200 text/html; charset=utf-8" "$(head_of "$proto" "$URL/")"
  check_eq "$proto: its script" "200 text/javascript; charset=utf-8" "$(head_of "$proto" "$URL/console/console.js")"
  check_eq "$proto: its style sheet" "200 text/css; charset=utf-8" "$(head_of "$proto" "$URL/console/console.css")"
done
check_eq "HEAD /" "200 text/html; charset=utf-8" "$(head_of -I "$URL/")"
check_eq "a query string is no part of the name" "200 text/javascript; charset=utf-8" \
  "$(head_of "$URL/console/console.js?v=2")"
check "the page is index.html as in the source tree" cmp -s <(curl -s "$URL/") "$EDDY_SRC/cli/console/index.html"
check "the script too, byte for byte" cmp -s <(curl -s "$URL/console/console.js") "$EDDY_SRC/cli/console/console.js"
check_eq "an unknown console file: 404" 404 "$(curl -s -o "$work/body" -w '%{http_code}' "$URL/console/nope.js")"
check "... with ksqlDB's error body" jq -e '.error_code == 40400 and (.message | test("nope.js"))' "$work/body"
for p in /console/../../etc/passwd /console/..%2f..%2fetc%2fpasswd /console/%2e%2e/%2e%2e/etc/passwd \
         /console//etc/passwd /console/./console.js/.. /console/ /console; do
  code=$(curl -s --path-as-is -o "$work/body" -w '%{http_code}' "$URL$p")
  if grep -q 'root:' "$work/body"; then fail "$p served a file of the system"; fi
  check "no path traversal: $p -> $code, not a file of the system" test "$code" = 404
done
check_eq "POST / : 405" 405 "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$URL/")"
check_eq "the API's paths are still the API's (/info)" 200 "$(curl -s -o /dev/null -w '%{http_code}' "$URL/info")"

# ---- the page, in a real browser
shot="$(dirname "$EDDY")/console-screenshot.png"
rm -f "$shot"
python3 "$EDDY_SRC/tests/integration/server/console_cdp.py" "$URL" "$shot" "$work" \
  || { tail -20 "$work/chromium-console.log" 2> /dev/null; tail -20 "$work/server.err"; fail "the console in chromium"; }
check "the screenshot is there" test -s "$shot"
echo "screenshot: $shot"
check "the server is still up" kill -0 "$SERVER_PID"
kill -TERM "$SERVER_PID"
wait "$SERVER_PID" || fail "eddy server exited with $?"

# ---- basic authentication applies to the console's files as to the API,
# and the console works behind it in the browser
cat > "$work/users" <<EOF2
alice:$(openssl passwd -6 -salt 5aLtS4lt 's3cret')
EOF2
(cd "$work/elsewhere" && exec "$EDDY" server --listen 127.0.0.1:0 --bootstrap-servers "$BOOTSTRAP" \
  --state-dir "$work/state2" -p server.auth.basic.file="$work/users") \
  > "$work/server2.out" 2> "$work/server2.err" &
SERVER2_PID=$!
add_exit_trap "kill -KILL $SERVER2_PID 2> /dev/null || true"
wait_for 20 grep -q 'serving ksqlDB' "$work/server2.err" || { cat "$work/server2.err"; fail "server 2 did not start"; }
URL2=$(grep -o 'http://[0-9.:]*' "$work/server2.err")
for p in / /console/console.js /console/nope.js; do
  check_eq "auth: $p without credentials" 401 "$(curl -s -o /dev/null -w '%{http_code}' "$URL2$p")"
  check_eq "auth: $p with a wrong password" 401 "$(curl -s -o /dev/null -w '%{http_code}' -u alice:nope "$URL2$p")"
done
check_eq "auth: / with alice's password" 200 "$(curl -s -o /dev/null -w '%{http_code}' -u alice:s3cret "$URL2/")"
check_eq "auth: the script with alice's password" 200 \
  "$(curl -s -o /dev/null -w '%{http_code}' -u alice:s3cret "$URL2/console/console.js")"
python3 "$EDDY_SRC/tests/integration/server/console_cdp.py" --auth "$URL2" alice:s3cret "$work" \
  || { tail -20 "$work/chromium-auth.log" 2> /dev/null; fail "the console behind basic authentication"; }
kill -TERM "$SERVER2_PID"
wait "$SERVER2_PID" || fail "eddy server 2 exited with $?"
echo "PASS"
