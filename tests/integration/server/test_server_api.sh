#!/usr/bin/env bash
# eddy server against a real broker process: every endpoint of ksqlDB's
# REST API it serves, over HTTP/1.1 and over HTTP/2 cleartext (prior
# knowledge), with curl; shapes as ksqlDB documents them; bad requests
# (malformed JSON, a bad statement, a query on /ksql, an oversize body, an
# unknown path) get 4xx with ksqlDB's error body; a
# push query's client that goes away frees the query; SIGTERM ends with a
# final checkpoint and exit 0.
set -euo pipefail
: "${EDDY:?path to the eddy binary}" "${EDDY_SRC:?repo root}"
source "$EDDY_SRC/tests/integration/lib.sh"

work=$(mktemp -d)
[ -n "${KEEP_WORK:-}" ] || add_exit_trap "rm -rf '$work'"
start_broker --topic acc:2

# ---- refusals before serving ---------------------------------------------
if "$EDDY" server --listen 0.0.0.0:0 --bootstrap-servers "$BOOTSTRAP" 2> "$work/refuse.err"; then
  fail "eddy server listened on 0.0.0.0 without --insecure"
fi
check "a non-loopback address without auth is refused, saying why" \
  grep -q "not a loopback address" "$work/refuse.err"

cat > "$work/setup.ksql" <<'KSQL'
CREATE STREAM acc (id STRING KEY, city STRING, sev INT)
  WITH (kafka_topic = 'acc', value_format = 'JSON');
CREATE TABLE per_city AS SELECT city, COUNT(*) AS n FROM acc GROUP BY city;
KSQL

"$EDDY" server --listen 127.0.0.1:0 --bootstrap-servers "$BOOTSTRAP" --state-dir "$work/state" \
  -p auto.offset.reset=earliest "$work/setup.ksql" > "$work/server.out" 2> "$work/server.err" &
SERVER_PID=$!
add_exit_trap "kill -KILL $SERVER_PID 2> /dev/null || true"
wait_for 20 grep -q 'serving ksqlDB' "$work/server.err" || { cat "$work/server.err"; fail "server did not start"; }
URL=$(grep -o 'http://[0-9.:]*' "$work/server.err")
echo "server at $URL (pid $SERVER_PID)"

# req PROTO METHOD PATH [BODY] [curl args...]: body to $work/body, status printed.
req() {
  local proto=$1 method=$2 path=$3 body=${4:-}
  shift 4 || shift $#
  local args=(-s -o "$work/body" -w '%{http_code}' -X "$method" "$proto")
  [ -z "$body" ] || args+=(--data-binary "$body")
  curl "${args[@]}" "$@" "$URL$path"
}
jqb() { jq -e "$1" "$work/body" > /dev/null || { cat "$work/body"; echo; return 1; }; }
metric() { curl -s "$URL/metrics" | awk -v m="$1" '$1 == m { print $2 }'; }
# For wait_for, which runs its command again each time:
metric_is() { [ "$(metric "$1")" = "$2" ]; }
lines_ge() { [ "$(wc -l < "$1")" -ge "$2" ]; }
pull_has() { curl -s -X POST "$URL/query-stream" -d "{\"sql\": \"$1\"}" | grep -qF "$2"; }

for proto in --http1.1 --http2-prior-knowledge; do
  P=${proto#--http}; P=${P%%-*}; P=${P%.1}      # 1 or 2
  echo "---- $proto"
  check_eq "$proto: protocol spoken" "$([ "$P" = 1 ] && echo 1.1 || echo 2)" \
    "$(curl -s -o /dev/null -w '%{http_version}' "$proto" "$URL/info")"

  check_eq "$proto: GET /info" 200 "$(req "$proto" GET /info)"
  check "$proto: /info shape" jqb '.KsqlServerInfo.serverStatus == "RUNNING" and (.KsqlServerInfo.version | type == "string") and (.KsqlServerInfo | has("kafkaClusterId") and has("ksqlServiceId"))'
  check_eq "$proto: GET /healthcheck" 200 "$(req "$proto" GET /healthcheck)"
  check "$proto: /healthcheck shape" jqb '.isHealthy == true and .details.kafka.isHealthy == true'
  check_eq "$proto: GET /clusterStatus" 200 "$(req "$proto" GET /clusterStatus)"
  check "$proto: /clusterStatus shape" jqb '.clusterStatus | to_entries | length == 1 and .[0].value.hostAlive == true'

  # /ksql: two statements, two entities
  check_eq "$proto: /ksql CREATE + SHOW" 200 "$(req "$proto" POST /ksql \
    "{\"ksql\": \"CREATE STREAM s$P (x INT) WITH (kafka_topic='s$P', value_format='JSON', partitions=1); SHOW STREAMS;\", \"streamsProperties\": {}}")"
  check "$proto: currentStatus entity" jqb ".[0][\"@type\"] == \"currentStatus\" and .[0].commandStatus.status == \"SUCCESS\" and .[0].statementText == \"CREATE STREAM s$P (x INT) WITH (kafka_topic='s$P', value_format='JSON', partitions=1);\" and .[0].commandId == \"stream/\`S$P\`/create\" and (.[0].warnings | type == \"array\")"
  check "$proto: SHOW STREAMS in ksqlDB's shape, the new stream in it" jqb ".[1][\"@type\"] == \"streams\" and .[1].statementText == \"SHOW STREAMS;\" and (.[1].streams | map(select(.name == \"S$P\" and .type == \"STREAM\" and .topic == \"s$P\" and .keyFormat == \"KAFKA\" and .valueFormat == \"JSON\" and .isWindowed == false)) | length == 1)"
  check_eq "$proto: LIST TABLES, SHOW QUERIES, SHOW TOPICS, DESCRIBE" 200 "$(req "$proto" POST /ksql '{"ksql": "LIST TABLES; SHOW QUERIES; SHOW TOPICS; DESCRIBE acc;"}')"
  check "$proto: ... tables" jqb '.[0]["@type"] == "tables" and .[0].tables == [{"type": "TABLE", "name": "PER_CITY", "topic": "PER_CITY", "keyFormat": "KAFKA", "valueFormat": "JSON", "isWindowed": false}]'
  check "$proto: ... queries" jqb '.[1]["@type"] == "queries" and .[1].queries == [{"queryString": "CREATE TABLE per_city AS SELECT city, COUNT(*) AS n FROM acc GROUP BY city;", "sinks": ["PER_CITY"], "id": "CTAS_PER_CITY_1", "queryType": "PERSISTENT", "state": "RUNNING"}]'
  check "$proto: ... topics" jqb '.[2]["@type"] == "kafka_topics" and (.[2].topics | map(select(.name == "acc")) == [{"name": "acc", "replicaInfo": [1, 1]}])'
  check "$proto: ... DESCRIBE as ksqlDB's sourceDescription" jqb '.[3]["@type"] == "sourceDescription" and (.[3].sourceDescription | .name == "ACC" and .type == "STREAM" and .topic == "acc" and .keyFormat == "KAFKA" and .valueFormat == "JSON" and .windowType == null and .writeQueries == [] and ([.readQueries[].id] == ["CTAS_PER_CITY_1"]) and .fields == [{"name": "ID", "schema": {"type": "STRING", "fields": null, "memberSchema": null}, "type": "KEY"}, {"name": "CITY", "schema": {"type": "STRING", "fields": null, "memberSchema": null}}, {"name": "SEV", "schema": {"type": "INTEGER", "fields": null, "memberSchema": null}}])'
  check "$proto: ... with eddy's text" jqb '.[3].text | test("CITY")'

  # /ksql errors: positioned in the request
  check_eq "$proto: bad SQL on line 2" 400 "$(req "$proto" POST /ksql '{"ksql": "SHOW STREAMS;\n  SELEC x FROM acc;"}')"
  check "$proto: statement_error with code and line:col" jqb '.["@type"] == "statement_error" and .error_code == 40001 and (.message | startswith("line 2:3: ")) and .statementText == "SELEC x FROM acc;" and (.entities | length == 1)'
  check_eq "$proto: an error after statements on the same line" 400 "$(req "$proto" POST /ksql '{"ksql": "SHOW STREAMS;\nSHOW TABLES; ; SHOW STREAMS; SELEC x;"}')"
  check "$proto: ... its column counts from the line's start, stray ';' skipped" jqb '(.message | startswith("line 2:30: ")) and (.entities | length == 3)'
  check_eq "$proto: ';' and comments inside strings do not split" 200 "$(req "$proto" POST /ksql \
    "{\"ksql\": \"CREATE STREAM q$P (\\\"a;b\\\" STRING, \`c--d\` INT) WITH (kafka_topic='q;$P', value_format='JSON', partitions=1); -- x;y\\nDESCRIBE q$P;\"}")"
  check "$proto: ... two statements, the column names whole" jqb '(length == 2) and (.[1].text | test("a;b")) and (.[1].text | test("c--d"))'
  # A statement after a comment is still known for what it is: its
  # entity, and a CREATE's commandId, read past the comment
  check_eq "$proto: statements after comments" 200 "$(req "$proto" POST /ksql \
    "{\"ksql\": \"-- a\\nSHOW STREAMS; /* b */ DESCRIBE acc; -- c\\nEXPLAIN CTAS_PER_CITY_1; /* d */ CREATE STREAM cm$P (x INT) WITH (kafka_topic='cm$P', value_format='JSON', partitions=1); -- e\\nSHOW VARIABLES;\"}")"
  check "$proto: ... each its entity" jqb "[.[][\"@type\"]] == [\"streams\", \"sourceDescription\", \"queryDescription\", \"currentStatus\", \"variables\"] and .[3].commandId == \"stream/\`CM$P\`/create\""
  python3 -c 'import json; print(json.dumps({"ksql": "SHOW STREAMS; SHOW TABLES \x27" + ";" * 1000000 + "\x27;"}))' > "$work/semis"
  t0=$(date +%s%N)
  check_eq "$proto: a 1 MB statement of ';' in a string" 400 "$(req "$proto" POST /ksql "@$work/semis")"
  echo "figures: $proto: answered in $((($(date +%s%N) - t0) / 1000000)) ms"
  check "$proto: ... its error, one entity before it" jqb '.error_code == 40001 and (.entities | length == 1)'
  check_eq "$proto: a SELECT on /ksql" 400 "$(req "$proto" POST /ksql '{"ksql": "SELECT * FROM acc EMIT CHANGES;"}')"
  check "$proto: ... its error" jqb '.error_code == 40002'
  check_eq "$proto: malformed JSON" 400 "$(req "$proto" POST /ksql '{"ksql": "SHOW STREAMS;"')"
  check "$proto: ... generic_error 40000" jqb '.["@type"] == "generic_error" and .error_code == 40000 and (.message | test("malformed JSON"))'
  check_eq "$proto: no ksql field" 400 "$(req "$proto" POST /ksql '{"sql": "SHOW STREAMS;"}')"
  check "$proto: ... says what is missing" jqb '.error_code == 40000 and (.message | test("ksql"))'
  head -c 2000000 /dev/zero | tr '\0' ' ' > "$work/big"
  check_eq "$proto: a 2 MB body" 413 "$(req "$proto" POST /ksql "@$work/big")"
  check "$proto: ... ksqlDB's error body" jqb '.error_code == 41300'
  check_eq "$proto: unknown path" 404 "$(req "$proto" GET /nope)"
  check "$proto: ... ksqlDB's error body" jqb '.error_code == 40400'
  check_eq "$proto: wrong method" 405 "$(req "$proto" GET /ksql)"

  # bad input on every endpoint: 400 with ksqlDB's error body, nothing changes
  while IFS='|' read -r path body want; do
    check_eq "$proto: $path $body" 400 "$(req "$proto" POST "$path" "$body")"
    check "$proto: ... error_code $want" jqb ".error_code == $want"
  done <<'BAD'
/ksql|[1, 2]|40000
/ksql|{"ksql": 5}|40000
/ksql|{"ksql": "SHOW STREAMS;", "streamsProperties": [1]}|40000
/ksql|{"ksql": "CREATE STREAM"}|40001
/ksql|{"ksql": "'unterminated"}|40001
/query-stream|{"sql": null}|40000
/query-stream|"SELECT * FROM acc;"|40000
/query-stream|{"sql": "SELECT * FROM acc; SELECT * FROM acc;"}|40001
/query-stream|{"sql": "SELECT * FROM per_city;", "properties": "x"}|40000
/query|{"sql": "SELECT * FROM per_city;"}|40000
/close-query|{}|40000
/close-query|{"queryId": 7}|40000
/inserts-stream|{"target": "ACC; DROP STREAM ACC"}|40000
/inserts-stream|{"target": "ACC\tSELECT\t*\tFROM\tACC--"}|40000
/inserts-stream|{"target": ""}|40000
/inserts-stream|not json|40000
BAD
  check_eq "$proto: /inserts-stream without a body" 400 "$(req "$proto" POST /inserts-stream '')"
  check_eq "$proto: /inserts-stream into a stream that is not there" 200 \
    "$(req "$proto" POST /inserts-stream "$(printf '{"target": "NOPE"}\n{"a": 1}\n{"a": {"b": 2}}')")"
  check "$proto: ... an error ack per row" diff <(jq -c '[.status, .seq]' "$work/body") <(printf '["error",0]\n["error",1]\n')
  check_eq "$proto: nothing changed: the streams" 200 "$(req "$proto" POST /ksql '{"ksql": "SHOW STREAMS;"}')"
  check "$proto: ... ACC and S$P still there" jqb "[.[0].streams[].name] | index(\"ACC\") != null and index(\"S$P\") != null"

  # a push query a RUN SCRIPT starts in /ksql has no client: it is not left running
  echo "SELECT * FROM acc EMIT CHANGES;" > "$work/push.ksql"
  req "$proto" POST /ksql "{\"ksql\": \"RUN SCRIPT '$work/push.ksql';\"}" > /dev/null
  check "$proto: after RUN SCRIPT of a push query, a pull query is answered whole" \
    curl -sf -o /dev/null --max-time 5 "$proto" -X POST "$URL/query-stream" -d '{"sql": "SELECT * FROM per_city;"}'
  check_eq "$proto: ... and a push query can start (none left behind)" 200 "$(req "$proto" POST /query \
    '{"ksql": "SELECT id FROM acc EMIT CHANGES LIMIT 1;", "streamsProperties": {"auto.offset.reset": "earliest"}}' --max-time 20)"

  # a push query (delimited), fed by /inserts-stream
  : > "$work/push$P"
  curl -sN "$proto" -X POST "$URL/query-stream" \
    -d "{\"sql\": \"SELECT id, city, sev FROM acc WHERE city = 'C$P' EMIT CHANGES;\", \"properties\": {\"auto.offset.reset\": \"earliest\"}}" \
    > "$work/push$P" 2> /dev/null &
  CURL=$!
  wait_for 10 grep -q queryId "$work/push$P" || fail "$proto: no push query header"
  head -1 "$work/push$P" > "$work/body"
  check "$proto: push metadata line" jqb '.columnNames == ["ID","CITY","SEV"] and .columnTypes == ["STRING","STRING","INTEGER"] and (.queryId | type == "string")'
  # (many push queries at once and their cap: test_server_push.sh)
  FIRST=$(head -1 "$work/push$P" | jq -r .queryId)
  curl -sN --max-time 3 "$proto" -X POST "$URL/query-stream" -d '{"sql": "SELECT * FROM acc EMIT CHANGES;"}' \
    > "$work/second$P" 2> /dev/null || true
  head -1 "$work/second$P" > "$work/body"
  check "$proto: a second push query runs beside the first, with an id of its own" \
    jqb ".queryId != \"$FIRST\" and (.queryId | startswith(\"transient_ACC_\"))"
  wait_for 10 metric_is eddy_push_queries 1 || fail "$proto: the second push query outlived its client"

  printf '{"target": "ACC"}\n{"id": "p%s-1", "city": "C%s", "sev": 2}\n{"ID": "p%s-2", "CITY": "C%s", "SEV": 3}\n{"id": "p%s-3", "sev": "high"}\nnot json\n' \
    "$P" "$P" "$P" "$P" "$P" > "$work/ins"
  check_eq "$proto: /inserts-stream" 200 "$(req "$proto" POST /inserts-stream "@$work/ins")"
  check "$proto: one ack per row, errors for the bad ones" diff <(jq -c '[.status, .seq, .error_code]' "$work/body") \
    <(printf '["ok",0,null]\n["ok",1,null]\n["error",2,40000]\n["error",3,40000]\n')
  check "$proto: the bad value's ack says why" grep -q 'SEV' "$work/body"

  wait_for 15 lines_ge "$work/push$P" 3 || { cat "$work/push$P"; fail "$proto: push rows did not arrive"; }
  check "$proto: the push query's rows, exactly" diff <(tail -n +2 "$work/push$P") \
    <(printf '["p%s-1","C%s",2]\n["p%s-2","C%s",3]\n' "$P" "$P" "$P" "$P")
  check_eq "$proto: push queries open" 1 "$(metric eddy_push_queries)"

  QID=$(head -1 "$work/push$P" | jq -r .queryId)
  check_eq "$proto: /close-query of an unknown id" 400 "$(req "$proto" POST /close-query '{"queryId": "nope"}')"
  check_eq "$proto: /close-query" 200 "$(req "$proto" POST /close-query "{\"queryId\": \"$QID\"}")"
  wait_for 10 bash -c "! kill -0 $CURL 2> /dev/null" || fail "$proto: close-query did not end the response"
  check_eq "$proto: push queries open after close-query" 0 "$(metric eddy_push_queries)"

  # pull queries, both formats
  wait_for 15 pull_has "SELECT * FROM per_city WHERE city = 'C$P';" "[\"C$P\",2]" || true
  check_eq "$proto: pull query (delimited)" 200 "$(req "$proto" POST /query-stream "{\"sql\": \"SELECT * FROM per_city WHERE city = 'C$P';\"}")"
  check "$proto: its metadata and row" diff <(jq -c 'if type == "object" then [.columnNames, .columnTypes] else . end' "$work/body") \
    <(printf '[["CITY","N"],["STRING","BIGINT"]]\n["C%s",2]\n' "$P")
  check_eq "$proto: pull query (application/json)" 200 "$(req "$proto" POST /query-stream \
    "{\"sql\": \"SELECT city, n FROM per_city WHERE city = 'C$P';\"}" -H 'Accept: application/json')"
  check "$proto: one JSON array: metadata, then rows" jqb ".[0].columnNames == [\"CITY\",\"N\"] and .[1] == [\"C$P\",2] and length == 2"
  check_eq "$proto: a bad query" 400 "$(req "$proto" POST /query-stream '{"sql": "SELECT nope FROM per_city;"}')"
  check "$proto: ... positioned" jqb '.error_code == 40001 and (.message | startswith("line 1:8: "))'
  check_eq "$proto: not a SELECT" 400 "$(req "$proto" POST /query-stream '{"sql": "SHOW STREAMS;"}')"

  # a SELECT on a stream without EMIT CHANGES: what it holds now, then the end
  check_eq "$proto: a stream's rows now (pull query on a stream)" 200 "$(req "$proto" POST /query-stream \
    "{\"sql\": \"SELECT id, sev FROM acc WHERE city = 'C$P';\"}" -H 'Accept: application/json')"
  check "$proto: ... its rows, the response complete" jqb ".[1:] == [[\"p$P-1\",2],[\"p$P-2\",3]]"

  # a push query in application/json, closed: the body is one whole JSON array
  : > "$work/pushjson$P"
  curl -sN "$proto" -X POST "$URL/query-stream" -H 'Accept: application/json' \
    -d "{\"sql\": \"SELECT id FROM acc WHERE city = 'C$P' EMIT CHANGES;\", \"properties\": {\"auto.offset.reset\": \"earliest\"}}" \
    > "$work/pushjson$P" 2> /dev/null &
  CURL=$!
  wait_for 15 grep -q "p$P-2" "$work/pushjson$P" || { cat "$work/pushjson$P"; fail "$proto: JSON push rows did not arrive"; }
  QID=$(sed -n 's/.*"queryId":"\([^"]*\)".*/\1/p' "$work/pushjson$P" | head -1)
  check_eq "$proto: /close-query of the JSON push query" 200 "$(req "$proto" POST /close-query "{\"queryId\": \"$QID\"}")"
  wait "$CURL" 2> /dev/null || true
  cp "$work/pushjson$P" "$work/body"
  check "$proto: ... the whole body one JSON array: metadata, then the rows" jqb ".[0].queryId == \"$QID\" and .[1:] == [[\"p$P-1\"],[\"p$P-2\"]]"

  # the older /query endpoint, to its LIMIT
  check_eq "$proto: /query with LIMIT" 200 "$(req "$proto" POST /query \
    "{\"ksql\": \"SELECT id, sev FROM acc WHERE city = 'C$P' EMIT CHANGES LIMIT 2;\", \"streamsProperties\": {\"auto.offset.reset\": \"earliest\"}}")"
  check "$proto: /query's header, rows and final message" jqb ".[0].header.schema == \"\`ID\` STRING, \`SEV\` INTEGER\" and .[1].row.columns == [\"p$P-1\",2] and .[2].row.columns == [\"p$P-2\",3] and .[3].finalMessage == \"Limit Reached\" and length == 4"

  # a client that goes away mid push query frees it
  started=$(metric eddy_push_queries_started_total)
  : > "$work/gone$P"
  curl -sN "$proto" -X POST "$URL/query-stream" -d '{"sql": "SELECT * FROM acc EMIT CHANGES;"}' > "$work/gone$P" 2> /dev/null &
  CURL=$!
  wait_for 10 grep -q queryId "$work/gone$P" || fail "$proto: no header for the push query to leave"
  check_eq "$proto: push queries open before the client leaves" 1 "$(metric eddy_push_queries)"
  kill "$CURL"; wait "$CURL" 2> /dev/null || true
  wait_for 10 metric_is eddy_push_queries 0 || fail "$proto: the push query outlived its client"
  echo "ok: $proto: the query of a client that left is freed"
  check_eq "$proto: a new push query can start" 200 "$(req "$proto" POST /query \
    '{"ksql": "SELECT id FROM acc EMIT CHANGES LIMIT 1;", "streamsProperties": {"auto.offset.reset": "earliest"}}')"
done

# A request's properties hold for its statements only: what was SET before
# (the command line's -p) comes back, one not set before is unset again
props_now() { req --http1.1 POST /ksql '{"ksql": "SHOW PROPERTIES;"}' > /dev/null; jq -r '.[0].text' "$work/body" | tr -s ' ' | grep -E "^ ($1) "; }
check_eq "properties: inside the request" 200 "$(req --http1.1 POST /ksql \
  '{"ksql": "SHOW PROPERTIES;", "streamsProperties": {"auto.offset.reset": "latest", "commit.interval.ms": "1234"}}')"
check "... both in force" bash -c "jq -r '.[0].text' '$work/body' | tr -s ' ' | grep -q '^ auto.offset.reset | SESSION | latest' && jq -r '.[0].text' '$work/body' | tr -s ' ' | grep -q '^ commit.interval.ms | SESSION | 1234'"
check_eq "properties: after it, -p auto.offset.reset=earliest is back" " auto.offset.reset | SESSION | earliest " "$(props_now auto.offset.reset)"
check_eq "properties: after it, commit.interval.ms is the default again" " commit.interval.ms | DEFAULT | 2000 " "$(props_now commit.interval.ms)"

# Every type in ksqlDB's REST encoding (temporal types as text, also nested),
# through a stream's rows (the push query path) and a table's (pull)
check_eq "types: CREATE and INSERT" 200 "$(req --http1.1 POST /ksql "$(cat <<'JSON'
{"ksql": "CREATE STREAM t (k STRING KEY, b BOOLEAN, i INT, l BIGINT, d DOUBLE, dc DECIMAL(4,2), s STRING, ts TIMESTAMP, dt DATE, tm TIME, arr ARRAY<TIMESTAMP>, m MAP<STRING, DATE>, st STRUCT<t TIME, n INT>, bs BYTES) WITH (kafka_topic='t', value_format='JSON', partitions=1); INSERT INTO t (k, b, i, l, d, dc, s, ts, dt, tm, arr, m, st, bs) VALUES ('k1', true, 1, 10000000000, 0.1, 12.30, 'x\"y', '2021-03-04T05:06:07.089', '2021-03-04', '05:06:07', ARRAY['1970-01-01T00:00:00.001'], MAP('a' := '2000-01-01'), STRUCT(t := '00:00:01.500', n := 2), TO_BYTES('hi', 'utf8')); CREATE TABLE tt AS SELECT k, LATEST_BY_OFFSET(ts) AS ts, LATEST_BY_OFFSET(dt) AS dt, LATEST_BY_OFFSET(tm) AS tm, LATEST_BY_OFFSET(dc) AS dc FROM t GROUP BY k;"}
JSON
)")"
# DESCRIBE's schemas: nested types, a DECIMAL's parameters, a table's writer
check_eq "types: DESCRIBE of every type" 200 "$(req --http1.1 POST /ksql '{"ksql": "CREATE TABLE tw AS SELECT k, COUNT(*) AS n FROM t WINDOW HOPPING (SIZE 1 HOUR, ADVANCE BY 10 MINUTES) GROUP BY k; CREATE TABLE tsw AS SELECT k, COUNT(*) AS n FROM t WINDOW SESSION (5 MINUTES) GROUP BY k; DESCRIBE tw; DESCRIBE tsw; DESCRIBE t; DESCRIBE EXTENDED tt;"}')"
check "... windowed tables: their window type" jqb '[.[2].sourceDescription.windowType, .[3].sourceDescription.windowType] == ["HOPPING", "SESSION"]'
jq '.[4:]' "$work/body" > "$work/body2" && mv "$work/body2" "$work/body"
check "... ARRAY, MAP, STRUCT and DECIMAL schemas" jqb '.[0].sourceDescription.fields | map(select(.name == "DC" or .name == "ARR" or .name == "M" or .name == "ST")) == [
  {"name": "DC", "schema": {"type": "DECIMAL", "fields": null, "memberSchema": null, "parameters": {"precision": 4, "scale": 2}}},
  {"name": "ARR", "schema": {"type": "ARRAY", "fields": null, "memberSchema": {"type": "TIMESTAMP", "fields": null, "memberSchema": null}}},
  {"name": "M", "schema": {"type": "MAP", "fields": null, "memberSchema": {"type": "DATE", "fields": null, "memberSchema": null}}},
  {"name": "ST", "schema": {"type": "STRUCT", "fields": [{"name": "T", "schema": {"type": "TIME", "fields": null, "memberSchema": null}}, {"name": "N", "schema": {"type": "INTEGER", "fields": null, "memberSchema": null}}], "memberSchema": null}}]'
check "... a table: its writer, its key, extended" jqb '.[1].sourceDescription | .type == "TABLE" and .extended == true and ([.writeQueries[] | .id, .sinks[0], .state] == ["CTAS_TT_2", "TT", "RUNNING"]) and .readQueries == [] and .fields[0] == {"name": "K", "schema": {"type": "STRING", "fields": null, "memberSchema": null}, "type": "KEY"}'
check_eq "types: EXPLAIN of a query and of a statement" 200 "$(req --http1.1 POST /ksql '{"ksql": "EXPLAIN CTAS_TT_2; EXPLAIN SELECT * FROM t;"}')"
check "... a query: ksqlDB's queryDescription, eddy's plan as its executionPlan" jqb '.[0]["@type"] == "queryDescription" and (.[0].queryDescription | .id == "CTAS_TT_2" and .sources == ["T"] and .sinks == ["TT"] and .sinkKafkaTopics == ["TT"] and .state == "RUNNING" and .queryType == "PERSISTENT" and (.statementText | startswith("CREATE TABLE tt AS SELECT")) and ([.fields[] | .name] == ["K", "TS", "DT", "TM", "DC"]) and .fields[0].type == "KEY" and (.executionPlan | test("Execution plan:"))) and (.[0].text | test("Execution plan:"))'
check "... a statement: eddy's text" jqb '.[1]["@type"] == "eddy_text" and (.[1].text | test("Execution plan:"))'
want_types='["STRING","BOOLEAN","INTEGER","BIGINT","DOUBLE","DECIMAL(4, 2)","STRING","TIMESTAMP","DATE","TIME","ARRAY<TIMESTAMP>","MAP<STRING, DATE>","STRUCT<`T` TIME, `N` INTEGER>","BYTES"]'
want_row='["k1",true,1,10000000000,0.1,12.30,"x\"y","2021-03-04T05:06:07.089","2021-03-04","05:06:07",["1970-01-01T00:00:00.001"],{"a":"2000-01-01"},{"T":"00:00:01.500","N":2},"aGk="]'
for proto in --http1.1 --http2-prior-knowledge; do
  check_eq "$proto: types: a stream's rows" 200 "$(req "$proto" POST /query-stream '{"sql": "SELECT * FROM t;"}' -H 'Accept: application/json')"
  check "$proto: ... column types" jqb ".[0].columnTypes == $want_types"
  check "$proto: ... every value as ksqlDB writes it" jqb ".[1] == $want_row and length == 2"
  # jq compares numbers by value: the text itself shows a DECIMAL's scale
  # (12.30, not 12.3) and a DOUBLE as Java prints it (0.1, not 0.10000000000000001)
  check "$proto: ... DECIMAL keeps its scale, DOUBLE prints as Java's" grep -qF '10000000000,0.1,12.30,' "$work/body"
  wait_for 15 pull_has "SELECT * FROM tt;" '"k1"' || true
  check_eq "$proto: types: a table's row (pull)" 200 "$(req "$proto" POST /query-stream '{"sql": "SELECT * FROM tt;"}' -H 'Accept: application/json')"
  check "$proto: ... TIMESTAMP, DATE, TIME as text" jqb '.[1] == ["k1","2021-03-04T05:06:07.089","2021-03-04","05:06:07",12.30]'
  check "$proto: ... a DECIMAL with its scale (pull)" grep -qF '"05:06:07",12.30]' "$work/body"
done

# /inserts-stream reads each value as the JSON format does, by the column's
# type: an object is a MAP or a STRUCT, text a TIMESTAMP/DATE/TIME, a
# DECIMAL keeps its scale; names match without regard to case; ROWTIME too
cat > "$work/ins_types" <<'JSON'
{"target": "t"}
{"k": "k2", "B": false, "i": 2, "L": 3, "d": 2.5, "dc": 1.05, "s": "z", "ts": "2021-03-04T05:06:07.089", "dt": "2021-03-04", "tm": "05:06:07", "arr": ["1970-01-01T00:00:00.001"], "m": {"a": "2000-01-01"}, "st": {"T": "00:00:01.500", "N": 3}, "bs": "aGk=", "ROWTIME": 5}
{"k": "k3", "m": [1]}
{"k": "k4", "nope": 1}
JSON
check_eq "types: /inserts-stream of every type" 200 "$(req --http1.1 POST /inserts-stream "@$work/ins_types")"
check "... acks: the first row ok, a MAP given an array and an unknown column refused" \
  diff <(jq -c '[.status, .seq, (.message // "" | test("column M|unknown column nope"))]' "$work/body") \
       <(printf '["ok",0,false]\n["error",1,true]\n["error",2,true]\n')
want_row2='["k2",false,2,3,2.5,1.05,"z","2021-03-04T05:06:07.089","2021-03-04","05:06:07",["1970-01-01T00:00:00.001"],{"a":"2000-01-01"},{"T":"00:00:01.500","N":3},"aGk="]'
for proto in --http1.1 --http2-prior-knowledge; do
  check_eq "$proto: types: the inserted row read back" 200 "$(req "$proto" POST /query-stream '{"sql": "SELECT * FROM t WHERE k = '"'k2'"';"}' -H 'Accept: application/json')"
  check "$proto: ... every value as given" jqb ".[1] == $want_row2 and length == 2"
  check "$proto: ... its DECIMAL's text" grep -qF ',2.5,1.05,' "$work/body"
  check_eq "$proto: ... ROWTIME as given" 200 "$(req "$proto" POST /query-stream '{"sql": "SELECT ROWTIME, k FROM t WHERE k = '"'k2'"';"}' -H 'Accept: application/json')"
  check "$proto: ... ROWTIME 5" jqb '.[1] == [5, "k2"] and length == 2'
done

# /metrics: the CTAS read the 4 good rows; Prometheus text
wait_for 15 metric_is 'eddy_query_records_in_total{query="CTAS_PER_CITY_1"}' 4 || true
check_eq "metrics: records in of the CTAS" 4 "$(metric 'eddy_query_records_in_total{query="CTAS_PER_CITY_1"}')"
check_eq "metrics: records out of the CTAS" 4 "$(metric 'eddy_query_records_out_total{query="CTAS_PER_CITY_1"}')"
check_eq "metrics: bad records of the CTAS" 0 "$(metric 'eddy_query_records_skipped_total{query="CTAS_PER_CITY_1"}')"
check_eq "metrics: lag of the CTAS" 0 "$(metric 'eddy_query_lag_records{query="CTAS_PER_CITY_1"}')"
check "metrics: RSS and uptime" test "$(metric process_resident_memory_bytes)" -gt 0
check "metrics: TYPE lines" grep -q '^# TYPE eddy_query_records_in_total counter' <(curl -s "$URL/metrics")
echo "figures: RSS $(metric process_resident_memory_bytes) bytes after $(metric eddy_http_requests_total) requests"

# Many clients at once: 200 pull queries, 50 at a time, over both
# protocols, while a push query is open; every one answered, RSS bounded.
curl -sN -X POST "$URL/query-stream" -d '{"sql": "SELECT * FROM acc EMIT CHANGES;"}' > "$work/bg" 2> /dev/null &
BG=$!
rss0=$(metric process_resident_memory_bytes)
seq 200 | xargs -P 50 -I{} sh -c 'if [ $(({} % 2)) = 0 ]; then p=--http1.1; else p=--http2-prior-knowledge; fi
  curl -s -o /dev/null -w "%{http_code}\n" $p -X POST "$1/query-stream" -d "{\"sql\": \"SELECT * FROM per_city;\"}"' _ "$URL" \
  > "$work/codes"
check_eq "200 concurrent pull queries, all answered 200" 200 "$(grep -c '^200$' "$work/codes")"
rss1=$(metric process_resident_memory_bytes)
echo "figures: RSS $rss0 bytes before the 200 pull queries, $rss1 after"
check "RSS stays under $(($(rss_cap) >> 20)) MiB" test "$rss1" -lt "$(rss_cap)"
check_eq "the push query is still open" 1 "$(metric eddy_push_queries)"
kill "$BG"; wait "$BG" 2> /dev/null || true
wait_for 10 metric_is eddy_push_queries 0 || fail "the background push query outlived its client"

# A client that sends half a request is cut off (h2o's request timeout,
# 10 s); the server goes on answering meanwhile.
slow_closed() {
  exec 3<> "/dev/tcp/127.0.0.1/${URL##*:}"
  printf 'POST /ksql HTTP/1.1\r\nHost: x\r\n' >&3
  timeout 30 cat <&3 > /dev/null
  local rc=$?
  exec 3<&-
  return $rc
}
slow_closed &
SLOW=$!
check_eq "answers while a slow client holds a connection" 200 "$(req --http1.1 GET /info)"
t0=$SECONDS
check "a client that sends half a request is cut off" wait "$SLOW"
echo "figures: the half request was cut off after $((SECONDS - t0)) s"

if command -v python3 > /dev/null; then
  check "a plain Python http.client reads /info" python3 - "$URL" <<'PY'
import http.client, json, sys, urllib.parse
u = urllib.parse.urlparse(sys.argv[1])
c = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
c.request("POST", "/ksql", body=json.dumps({"ksql": "SHOW QUERIES;"}),
          headers={"Content-Type": "application/vnd.ksql.v1+json"})
r = c.getresponse()
body = json.loads(r.read())
sys.exit(0 if r.status == 200 and body[0]["queries"][0]["id"] == "CTAS_PER_CITY_1" else 1)
PY
fi

kill -TERM "$SERVER_PID"
rc=0
wait "$SERVER_PID" || rc=$?
check_eq "SIGTERM: exit status" 0 "$rc"
check "SIGTERM: it says it stopped" grep -q 'stopped after' "$work/server.err"
echo "PASS"
