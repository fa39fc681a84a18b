#!/usr/bin/env bash
# eddy server's HTTP basic authentication (server.auth.basic.file: user:
# crypt(3)-hash lines): no credentials, a wrong password, an unknown user
# and a malformed header get 401 with a challenge and ksqlDB's error body,
# over HTTP/1.1 and HTTP/2; the right ones get through; with auth on, a
# non-loopback address is allowed; a bad password file is refused at
# start.  TLS (server.tls.cert/.key): HTTPS with HTTP/2 and HTTP/1.1 by
# ALPN, with auth on top; plain HTTP on its port gets no answer; a missing
# key, a key that does not match and an unknown server.* property are
# refused at start.
set -euo pipefail
: "${EDDY:?path to the eddy binary}" "${EDDY_SRC:?repo root}"
source "$EDDY_SRC/tests/integration/lib.sh"

work=$(mktemp -d)
[ -n "${KEEP_WORK:-}" ] || add_exit_trap "rm -rf '$work'"
start_broker

{
  echo "# eddy server users"
  echo "alice:$(openssl passwd -6 -salt 5aLtS4lt 's3cret:with colon')"
  echo "bob:$(openssl passwd -5 -salt 0therSalt hunter2)"
} > "$work/users"

printf 'alice:$6$x$y\nnot a user line\n' > "$work/bad"
if "$EDDY" server --listen 127.0.0.1:0 --bootstrap-servers "$BOOTSTRAP" --state-dir "$work/s0" \
     -p server.auth.basic.file="$work/bad" 2> "$work/bad.err"; then
  fail "a malformed password file was accepted"
fi
check "a malformed password file is refused with its line" grep -q 'line 2 is not user:crypt-hash' "$work/bad.err"
openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost -days 2 \
  -keyout "$work/key.pem" -out "$work/cert.pem" 2> /dev/null
openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=other -days 2 \
  -keyout "$work/key2.pem" -out "$work/cert2.pem" 2> /dev/null
refused() {   # DESC WANT-IN-STDERR PROPS...
  local desc=$1 want=$2
  shift 2
  if "$EDDY" server --listen 127.0.0.1:0 --bootstrap-servers "$BOOTSTRAP" --state-dir "$work/s0" \
       "$@" 2> "$work/refused.err"; then
    fail "$desc: accepted"
  fi
  check "$desc: refused, saying why" grep -q "$want" "$work/refused.err"
}
refused "a certificate without its key" "needs both server.tls.cert and server.tls.key" -p server.tls.cert="$work/cert.pem"
refused "a key that is not the certificate's" "mismatch" -p server.tls.cert="$work/cert.pem" -p server.tls.key="$work/key2.pem"
refused "a certificate that is not there" "cannot read the certificate" -p server.tls.cert="$work/nope.pem" -p server.tls.key="$work/key.pem"
refused "an unknown server property" "not a property eddy server knows" -p server.nope=1

# With authentication, a non-loopback address is allowed.
"$EDDY" server --listen 0.0.0.0:0 --bootstrap-servers "$BOOTSTRAP" --state-dir "$work/state" \
  -p server.auth.basic.file="$work/users" > "$work/server.out" 2> "$work/server.err" &
SERVER_PID=$!
add_exit_trap "kill -KILL $SERVER_PID 2> /dev/null || true"
wait_for 20 grep -q 'serving ksqlDB' "$work/server.err" || { cat "$work/server.err"; fail "server did not start"; }
PORT=$(grep -o 'http://[^ ]*' "$work/server.err" | sed 's/.*://')
URL="http://127.0.0.1:$PORT"
echo "server on 0.0.0.0:$PORT"

jqb() { jq -e "$1" "$work/body" > /dev/null; }
code() { curl -s -o "$work/body" -D "$work/headers" -w '%{http_code}' "$@"; }
for proto in --http1.1 --http2-prior-knowledge; do
  check_eq "$proto: no credentials" 401 "$(code "$proto" "$URL/info")"
  check "$proto: ... a Basic challenge" grep -qi '^www-authenticate: Basic realm="eddy"' "$work/headers"
  check "$proto: ... ksqlDB's error body" jqb '.error_code == 40100 and .["@type"] == "generic_error"'
  check_eq "$proto: a wrong password" 401 "$(code "$proto" -u 'alice:s3cret' "$URL/info")"
  check_eq "$proto: an unknown user" 401 "$(code "$proto" -u 'carol:s3cret:with colon' "$URL/info")"
  check_eq "$proto: a malformed header" 401 "$(code "$proto" -H 'Authorization: Basic !!!' "$URL/info")"
  check_eq "$proto: alice (a password with a colon, SHA-512 crypt)" 200 "$(code "$proto" -u 'alice:s3cret:with colon' "$URL/info")"
  check_eq "$proto: bob (SHA-256 crypt)" 200 "$(code "$proto" -u 'bob:hunter2' -X POST "$URL/ksql" -d '{"ksql": "SHOW STREAMS;"}')"
  check_eq "$proto: bob again (remembered)" 200 "$(code "$proto" -u 'bob:hunter2' "$URL/healthcheck")"
  check_eq "$proto: statements need credentials too" 401 "$(code "$proto" -X POST "$URL/ksql" -d '{"ksql": "SHOW STREAMS;"}')"
done

kill -TERM "$SERVER_PID"
wait "$SERVER_PID" || fail "the server did not stop cleanly"

# TLS, with authentication on top
"$EDDY" server --listen 127.0.0.1:0 --bootstrap-servers "$BOOTSTRAP" --state-dir "$work/state" \
  -p server.auth.basic.file="$work/users" -p server.tls.cert="$work/cert.pem" \
  -p server.tls.key="$work/key.pem" > "$work/server_tls.out" 2> "$work/server_tls.err" &
SERVER_PID=$!
add_exit_trap "kill -KILL $SERVER_PID 2> /dev/null || true"
# The whole line, address and port included (a file of its own per server).
wait_for 20 grep -q "serving ksqlDB's REST API on [a-z]*://[0-9.]*:[0-9]* (" "$work/server_tls.err" ||
  { cat "$work/server_tls.err"; fail "TLS server did not start"; }
grep -q 'on https://127.0.0.1:' "$work/server_tls.err" || cat "$work/server_tls.err" >&2
check "it says https" grep -q 'on https://127.0.0.1:' "$work/server_tls.err"
URL=$(grep -o 'https://[^ ]*' "$work/server_tls.err")
for proto in --http1.1 --http2; do
  check_eq "$proto over TLS: protocol spoken" "$([ "$proto" = --http2 ] && echo 2 || echo 1.1)" \
    "$(curl -s -o /dev/null -w '%{http_version}' --cacert "$work/cert.pem" -u bob:hunter2 "$proto" "${URL/127.0.0.1/localhost}/info")"
  check_eq "$proto over TLS: the certificate verifies, with credentials" 200 \
    "$(code --cacert "$work/cert.pem" -u bob:hunter2 "$proto" -X POST "${URL/127.0.0.1/localhost}/ksql" -d '{"ksql": "SHOW STREAMS;"}')"
  check_eq "$proto over TLS: no credentials" 401 "$(code -k "$proto" "$URL/info")"
done
check_eq "plain HTTP on the TLS port gets no HTTP answer" 000 \
  "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://${URL#https://}/info" || true)"

kill -TERM "$SERVER_PID"
rc=0
wait "$SERVER_PID" || rc=$?
check_eq "SIGTERM: exit status" 0 "$rc"

# /healthcheck asks the broker: healthy while it answers, 503 once it is gone
"$EDDY" server --listen 127.0.0.1:0 --bootstrap-servers "$BOOTSTRAP" --state-dir "$work/state3" \
  > "$work/server.out" 2> "$work/server.err" &
SERVER_PID=$!
add_exit_trap "kill -KILL $SERVER_PID 2> /dev/null || true"
wait_for 20 grep -q 'serving ksqlDB' "$work/server.err" || { cat "$work/server.err"; fail "server did not start"; }
URL=$(grep -o 'http://[0-9.:]*' "$work/server.err")
check_eq "healthcheck with the broker up" 200 "$(code "$URL/healthcheck")"
check "... healthy" jqb '.isHealthy == true and .details.kafka.isHealthy == true'
stop_broker || true
health_503() { [ "$(code "$URL/healthcheck")" = 503 ]; }
wait_for 20 health_503 || fail "healthcheck still healthy with the broker gone"
echo "ok: healthcheck 503 once the broker is gone"
check "... Kafka unhealthy, with the reason" jqb '.isHealthy == false and .details.kafka.isHealthy == false and (.details.kafka.error | length > 0)'
check_eq "other endpoints still answer" 200 "$(code "$URL/info")"
kill -KILL "$SERVER_PID"   # a final checkpoint without a broker is not what this checks
wait "$SERVER_PID" 2> /dev/null || true
echo "PASS"
