#!/usr/bin/env bash
# eddy server driven by a ksqlDB client others wrote: the Node.js package
# ksqldb-client (it speaks HTTP/2 only, as ksqlDB's Java client does),
# fetched from the npm registry at a pinned version and checked against
# its pinned sha512 (no npm needed: Debian's nodejs runs it).  Every public
# method: statements, inserts, listings, describe, pull and push queries,
# terminating a push query, errors (node_client_check.js says what each
# check expects).
set -euo pipefail
: "${EDDY:?path to the eddy binary}" "${EDDY_SRC:?repo root}"
source "$EDDY_SRC/tests/integration/lib.sh"

work=$(mktemp -d)
[ -n "${KEEP_WORK:-}" ] || add_exit_trap "rm -rf '$work'"

# fetch NAME VERSION TARBALL_NAME SHA512: the package into $work/node_modules/NAME
fetch() {
  local name=$1 version=$2 tarball=$3 sha=$4
  curl -fsS --retry 3 -o "$work/pkg.tgz" "https://registry.npmjs.org/$name/-/$tarball-$version.tgz" ||
    fail "could not fetch $name $version from the npm registry"
  [ "$(openssl dgst -sha512 -binary "$work/pkg.tgz" | base64 -w0)" = "$sha" ] ||
    fail "$name $version: the tarball's sha512 is not the pinned one"
  mkdir -p "$work/node_modules/$name"
  tar -xzf "$work/pkg.tgz" -C "$work/node_modules/$name" --strip-components=1
}
fetch ksqldb-client 1.0.5 ksqldb-client \
  'HIxr1+JfBXzVXbuskFN4XIvY/2RtHddn+fXaMQaCT2D5Gcw2j7drtXhMhnxhd4XTHVFbao7vNQrDYuS7ZGtWVQ=='
fetch @babel/runtime 7.29.16 runtime \
  'LKBjGopxrQE0aFucNL69OyyyF143MOWUULEOftU3oCgyD35Sy84UUpVnt/sNvTb7ZmCyALSt7om+fojlW35zYQ=='
cp "$EDDY_SRC/tests/integration/server/node_client_check.js" "$work/"

start_broker
"$EDDY" server --listen 127.0.0.1:0 --bootstrap-servers "$BOOTSTRAP" --state-dir "$work/state" \
  > "$work/server.out" 2> "$work/server.err" &
SERVER_PID=$!
add_exit_trap "kill -KILL $SERVER_PID 2> /dev/null || true"
wait_for 20 grep -q 'serving ksqlDB' "$work/server.err" || { cat "$work/server.err"; fail "server did not start"; }
PORT=$(grep -o 'http://[0-9.]*:[0-9]*' "$work/server.err" | sed 's/.*://')
echo "server on port $PORT (pid $SERVER_PID); node $(node --version)"

( cd "$work" && timeout 180 node node_client_check.js "$PORT" ) | tee "$work/node.out" || true
passed=$(grep -c '^ok ' "$work/node.out" || true)
failed=$(grep -c '^FAIL ' "$work/node.out" || true)
echo "node client: $passed checks passed, $failed failed"
check "every check of the Node.js client passed" grep -qx 'all passed' "$work/node.out"
check_eq "the number of checks run" 17 "$passed"

kill -TERM "$SERVER_PID"
wait "$SERVER_PID" && rc=0 || rc=$?
check_eq "SIGTERM: exit 0" 0 "$rc"
echo "PASS"
