#!/usr/bin/env bash
# eddy server's variable substitution, as ksqlDB's REST API takes it: a
# request's "sessionVariables" ({name: value}) on /ksql and /query-stream
# stand for ${name} in its statements; its DEFINEs join them; both end with
# the request.  SHOW VARIABLES answers ksqlDB's "variables" entity, DEFINE
# no entity, UNDEFINE of an unknown name a warning_entity; an undefined
# variable is a positioned 400; the command log holds substituted text.
set -euo pipefail
: "${EDDY:?path to the eddy binary}" "${EDDY_SRC:?repo root}"
source "$EDDY_SRC/tests/integration/lib.sh"

work=$(mktemp -d)
[ -n "${KEEP_WORK:-}" ] || add_exit_trap "rm -rf '$work'"
start_broker --topic acc:1

"$EDDY" server --listen 127.0.0.1:0 --bootstrap-servers "$BOOTSTRAP" --state-dir "$work/state" \
  -p auto.offset.reset=earliest > "$work/server.out" 2> "$work/server.err" &
SERVER_PID=$!
add_exit_trap "kill -KILL $SERVER_PID 2> /dev/null || true"
wait_for 20 grep -q 'serving ksqlDB' "$work/server.err" || { cat "$work/server.err"; fail "server did not start"; }
URL=$(grep -o 'http://[0-9.:]*' "$work/server.err")

# post PATH BODY: body to $work/body, status printed.
post() { curl -s -o "$work/body" -w '%{http_code}' -X POST "$URL$1" --data-binary "$2"; }
jqb() { jq -e "$1" "$work/body" > /dev/null || { cat "$work/body"; echo; return 1; }; }

check_eq "/ksql: sessionVariables in a name and in strings" 200 \
  "$(post /ksql '{"ksql": "CREATE STREAM ${src} (id STRING KEY, sev INT) WITH (kafka_topic='"'"'${topic}'"'"', value_format='"'"'${fmt}'"'"');", "sessionVariables": {"src": "acc", "topic": "acc", "fmt": "JSON"}}')"
check "the stream is ACC on topic acc" jqb '.[0]["@type"] == "currentStatus"'
post /ksql '{"ksql": "SHOW STREAMS;"}' > /dev/null
check "SHOW STREAMS lists ACC on acc" jqb '.[0].streams | any(.name == "ACC" and .topic == "acc")'

check_eq "/ksql: DEFINE then SHOW VARIABLES in one request" 200 \
  "$(post /ksql '{"ksql": "DEFINE lim = '"'"'2'"'"'; SHOW VARIABLES;", "sessionVariables": {"a": "x", "n": 3}}')"
check "DEFINE has no entity; SHOW VARIABLES is ksqlDB's variables entity, in order" \
  jqb 'length == 1 and .[0]["@type"] == "variables" and .[0].variables == [{"name": "a", "value": "x"}, {"name": "n", "value": "3"}, {"name": "lim", "value": "2"}]'

check_eq "/ksql: the next request has no variables" 200 "$(post /ksql '{"ksql": "SHOW VARIABLES;"}')"
check "its SHOW VARIABLES is empty" jqb '.[0].variables == []'

check_eq "/ksql: UNDEFINE of an unknown name" 200 "$(post /ksql '{"ksql": "UNDEFINE nope;"}')"
check "answers a warning_entity" \
  jqb '.[0]["@type"] == "warning_entity" and (.[0].message | contains("Cannot undefine variable '"'"'nope'"'"' which was never defined"))'

check_eq "/ksql: an undefined variable is a 400" 400 \
  "$(post /ksql '{"ksql": "SHOW STREAMS;\nINSERT INTO acc (id, sev) VALUES ('"'"'a'"'"', ${sev});"}')"
check "with its line:column in the request" \
  jqb '.error_code == 40001 and (.message | startswith("line 2:40:")) and (.message | contains("variable '"'"'sev'"'"' is not defined"))'

check_eq "/ksql: sessionVariables not an object" 400 "$(post /ksql '{"ksql": "SHOW STREAMS;", "sessionVariables": ["x"]}')"
check "is refused, saying why" jqb '.error_code == 40000 and (.message | contains("sessionVariables"))'
check_eq "/ksql: a bad variable name" 400 "$(post /ksql '{"ksql": "SHOW STREAMS;", "sessionVariables": {"a b": "1"}}')"

check_eq "/ksql: INSERT with variables" 200 \
  "$(post /ksql '{"ksql": "INSERT INTO ${s} (id, sev) VALUES ('"'"'${who}'"'"', ${sev}); INSERT INTO acc (id, sev) VALUES ('"'"'b'"'"', 1);", "sessionVariables": {"s": "acc", "who": "a", "sev": "5"}}')"

check_eq "/query-stream: sessionVariables in a push query" 200 \
  "$(post /query-stream '{"sql": "SELECT id, sev FROM ${s} WHERE sev > ${min} EMIT CHANGES LIMIT 1;", "properties": {"auto.offset.reset": "earliest"}, "sessionVariables": {"s": "acc", "min": 2}}')"
check "its row is the one that passes" grep -q '\["a",5\]' "$work/body"
check_eq "/query-stream: an undefined variable is a 400" 400 \
  "$(post /query-stream '{"sql": "SELECT id FROM acc WHERE sev > ${min} EMIT CHANGES LIMIT 1;"}')"
check "saying which" jqb '.message | contains("variable '"'"'min'"'"' is not defined")'

# ---- the REPL as a client: the session's variables stay in the client
cat > "$work/repl.ksql" <<'KSQL'
DEFINE src = 'acc';
DEFINE lim = '1';
DEFINE gone = 'x';
UNDEFINE gone;
UNDEFINE nope;
SHOW VARIABLES;
SELECT id, sev FROM ${src} WHERE sev > 2 EMIT CHANGES LIMIT ${lim};
SELECT id FROM ${gone} EMIT CHANGES LIMIT 1;
KSQL
timeout 60 "$EDDY" --server "$URL" < "$work/repl.ksql" > "$work/repl.out" 2> "$work/repl.err" || true
cat "$work/repl.out" "$work/repl.err"
check "REPL client: UNDEFINE of an unknown name warns" \
  grep -q "Cannot undefine variable 'nope' which was never defined" "$work/repl.out"
check "REPL client: SHOW VARIABLES is the session's, as a table" \
  grep -Eq '^ *src +\| acc *$' "$work/repl.out"
check "REPL client: ... without the undefined one" bash -c "! grep -q gone '$work/repl.out'"
check "REPL client: a push query with the session's variables" grep -q 'a *| *5' "$work/repl.out"
check "REPL client: an UNDEFINEd variable is an error" grep -q "variable 'gone' is not defined" "$work/repl.err"

check "the command log holds the substituted statements" \
  grep -q "CREATE STREAM acc (id STRING KEY, sev INT) WITH (kafka_topic='acc', value_format='JSON');" "$work/state/commands.ksql"
if grep -q '\${' "$work/state/commands.ksql"; then fail 'a ${ in the command log'; fi

kill -TERM $SERVER_PID
wait $SERVER_PID || fail "server exit status $?"
"$EDDY" server --listen 127.0.0.1:0 --bootstrap-servers "$BOOTSTRAP" --state-dir "$work/state" \
  > "$work/server2.out" 2> "$work/server2.err" &
SERVER_PID=$!
add_exit_trap "kill -KILL $SERVER_PID 2> /dev/null || true"
wait_for 20 grep -q 'serving ksqlDB' "$work/server2.err" || { cat "$work/server2.err"; fail "server did not restart"; }
check "the restart restores the stream without variables" grep -q "restored 1 streams/tables" "$work/server2.err"
kill -TERM $SERVER_PID
wait $SERVER_PID || fail "server exit status $?"
echo "PASS"
