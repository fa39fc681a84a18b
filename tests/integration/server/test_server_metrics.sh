#!/usr/bin/env bash
# GET /metrics, DESCRIBE EXTENDED and SHOW QUERIES EXTENDED against a real
# broker process, with numbers known in advance:
# - lag per input partition: a query over a 4-partition topic whose
#   partition 3 is empty waits for it (max.task.idle.ms an hour, one
#   thread: event-time order), so partitions 0..2 keep exactly the records
#   produced to them; one record on partition 3 lets partition 0's go
#   (the earliest), then partition 0 is empty and the rest wait; after a
#   restart with the default idle every partition's lag is 0;
# - late records: a tumbling window with no grace gets 2 records for a
#   window stream time has passed;
# - checkpoints counted once records were processed; state bytes > 0 for
#   an aggregate;
# - the same numbers in DESCRIBE EXTENDED and SHOW QUERIES EXTENDED over
#   /ksql, and the late count in `eddy run`'s summary line.
set -euo pipefail
: "${EDDY:?path to the eddy binary}" "${EDDY_SRC:?repo root}"
source "$EDDY_SRC/tests/integration/lib.sh"

work=$(mktemp -d)
[ -n "${KEEP_WORK:-}" ] || add_exit_trap "rm -rf '$work'"
start_broker --topic ev:4 --topic lt:1

# ev: 3, 5 and 7 records on partitions 0, 1, 2 (times 1000 + i), none on 3.
for p in 0 1 2; do
  n=$((3 + 2 * p))
  for ((i = 0; i < n; i++)); do
    printf 'k%d|{"N":%d,"TS":%d}\n' "$p" "$i" $((1000 + 10 * i + p))
  done | kcat -P -b "$BOOTSTRAP" -t ev -p "$p" -K'|'
done
# lt: window [100000, 110000) opens, stream time goes to 125000 (that
# window closed: no grace), two records for it are late, one for an open
# window is not.
for ts in 100000 125000 101000 105000 121000; do
  printf 'a|{"TS":%d}\n' "$ts"
done | kcat -P -b "$BOOTSTRAP" -t lt -p 0 -K'|'

cat > "$work/setup.ksql" <<'KSQL'
CREATE STREAM ev (id STRING KEY, n INT, ts BIGINT)
  WITH (kafka_topic = 'ev', value_format = 'JSON', timestamp = 'ts');
CREATE TABLE ev_count AS SELECT id, COUNT(*) AS c FROM ev GROUP BY id;
CREATE STREAM lt (id STRING KEY, ts BIGINT)
  WITH (kafka_topic = 'lt', value_format = 'JSON', timestamp = 'ts');
CREATE TABLE lt_count AS SELECT id, COUNT(*) AS c FROM lt
  WINDOW TUMBLING (SIZE 10 SECONDS, GRACE PERIOD 0 SECONDS) GROUP BY id;
KSQL

"$EDDY" server --listen 127.0.0.1:0 --bootstrap-servers "$BOOTSTRAP" --state-dir "$work/state" \
  -p auto.offset.reset=earliest -p max.task.idle.ms=3600000 -p num.stream.threads=1 \
  -p commit.interval.ms=200 "$work/setup.ksql" > "$work/server.out" 2> "$work/server.err" &
SERVER_PID=$!
add_exit_trap "kill -KILL $SERVER_PID 2> /dev/null || true"
wait_for 20 grep -q 'serving ksqlDB' "$work/server.err" || { cat "$work/server.err"; fail "server did not start"; }
URL=$(grep -o 'http://[0-9.:]*' "$work/server.err")
echo "server at $URL (pid $SERVER_PID)"

Q=CTAS_EV_COUNT_1
W=CTAS_LT_COUNT_2
metric() { curl -s "$URL/metrics" | awk -v m="$1" '$1 == m { print $2 }'; }
metric_is() { [ "$(metric "$1")" = "$2" ]; }
metric_gt() { local v; v=$(metric "$1"); [ -n "$v" ] && awk -v v="$v" -v m="$2" 'BEGIN { exit !(v > m) }'; }
plag() { echo "eddy_query_partition_lag_records{query=\"$Q\",topic=\"ev\",partition=\"$1\"}"; }
ksql_text() {
  curl -s -X POST "$URL/ksql" -d "{\"ksql\": \"$1\"}" | jq -r '.[0].text'
}

# ---- before partition 3 has a record: nothing processed, known lags ------
wait_for 20 metric_is "$(plag 0)" 3 || { curl -s "$URL/metrics" | grep -i lag; fail "lag of ev/0 is not 3"; }
wait_for 10 metric_is "$(plag 2)" 7 || fail "lag of ev/2 is not 7"
check_eq "lag of ev/1: its 5 records" 5 "$(metric "$(plag 1)")"
check_eq "lag of ev/3: empty" 0 "$(metric "$(plag 3)")"
check_eq "the query's total lag" 15 "$(metric "eddy_query_lag_records{query=\"$Q\"}")"
check_eq "nothing processed yet" 0 "$(metric "eddy_query_records_in_total{query=\"$Q\"}")"
check_eq "no checkpoint of it yet" 0 "$(metric "eddy_query_checkpoints_total{query=\"$Q\"}")"
check_eq "no state written yet" 0 "$(metric "eddy_query_state_bytes{query=\"$Q\"}")"
curl -s "$URL/metrics" > "$work/metrics1"
for m in eddy_query_records_in_total eddy_query_records_out_total eddy_query_records_skipped_total \
         eddy_query_expression_errors_total eddy_query_late_records_total eddy_query_lag_records \
         eddy_query_partition_lag_records eddy_query_checkpoints_total eddy_query_state_bytes \
         eddy_query_checkpoint_duration_seconds eddy_query_replay_done_records \
         process_resident_memory_bytes eddy_uptime_seconds; do
  check "# TYPE line for $m" grep -q "^# TYPE $m " "$work/metrics1"
  check "# HELP line for $m" grep -q "^# HELP $m " "$work/metrics1"
done

ksql_text "DESCRIBE ev EXTENDED;" > "$work/describe1"
check "DESCRIBE EXTENDED: the query reading ev listed" grep -q "^$Q (RUNNING) : CREATE TABLE ev_count" "$work/describe1"
check "DESCRIBE EXTENDED: runtime statistics, nothing in" grep -q "^total-messages: 0  messages-out: 0 " "$work/describe1"
check "DESCRIBE EXTENDED: consumer lag 15" grep -q "^consumer-lag: 15 " "$work/describe1"
check "DESCRIBE EXTENDED: lag of ev/2 is 7" grep -Eq "^ *ev +\| *2 +\| *7 *$" "$work/describe1"
check "DESCRIBE EXTENDED: lag of ev/3 is 0" grep -Eq "^ *ev +\| *3 +\| *0 *$" "$work/describe1"

# ---- a record on partition 3: partition 0's records go (the earliest
# broker times: produced first), then partition 0 is empty and the rest wait
printf 'k3|{"N":0,"TS":9000}\n' | kcat -P -b "$BOOTSTRAP" -t ev -p 3 -K'|'
wait_for 20 metric_is "eddy_query_records_in_total{query=\"$Q\"}" 3 ||
  fail "the query did not take partition 0's 3 records: $(metric "eddy_query_records_in_total{query=\"$Q\"}")"
wait_for 10 metric_is "$(plag 3)" 1 || fail "lag of ev/3 is not 1"
check_eq "lag of ev/0 once consumed" 0 "$(metric "$(plag 0)")"
check_eq "lag of ev/1 still 5" 5 "$(metric "$(plag 1)")"
check_eq "lag of ev/2 still 7" 7 "$(metric "$(plag 2)")"
check_eq "the query's total lag" 13 "$(metric "eddy_query_lag_records{query=\"$Q\"}")"
wait_for 10 metric_gt "eddy_query_checkpoints_total{query=\"$Q\"}" 0 || fail "no checkpoint counted"
c1=$(metric "eddy_query_checkpoints_total{query=\"$Q\"}")
check "checkpoint durations summed" metric_gt "eddy_query_checkpoint_duration_seconds_sum{query=\"$Q\"}" 0
check_eq "checkpoint summary count = the counter" "$c1" "$(metric "eddy_query_checkpoint_duration_seconds_count{query=\"$Q\"}")"
check "last checkpoint duration" metric_gt "eddy_query_last_checkpoint_duration_seconds{query=\"$Q\"}" 0
wait_for 10 metric_gt "eddy_query_state_bytes{query=\"$Q\"}" 0 || fail "the aggregate's state bytes are not > 0"
echo "state bytes of $Q: $(metric "eddy_query_state_bytes{query=\"$Q\"}")"

# ---- late records ----------------------------------------------------------
wait_for 20 metric_is "eddy_query_records_in_total{query=\"$W\"}" 5 || fail "the windowed query did not take its 5 records"
check_eq "late records of the windowed query" 2 "$(metric "eddy_query_late_records_total{query=\"$W\"}")"
check_eq "no late records for the unwindowed one" 0 "$(metric "eddy_query_late_records_total{query=\"$Q\"}")"
ksql_text "DESCRIBE lt_count EXTENDED;" > "$work/describe2"
check "DESCRIBE EXTENDED: the writing query listed" grep -q "^$W (RUNNING) : CREATE TABLE lt_count" "$work/describe2"
check "DESCRIBE EXTENDED: 5 in, 2 late" grep -Eq "^total-messages: 5  messages-out: [0-9]+  failed-messages: 0  expression-errors: 0  late-messages: 2$" "$work/describe2"
check "DESCRIBE EXTENDED: state bytes and checkpoint times" grep -Eq "^consumer-lag: 0  state-bytes: [1-9][0-9]*  checkpoints: [1-9][0-9]*  checkpoint-ms-last: [0-9.]+  checkpoint-ms-avg: [0-9.]+" "$work/describe2"

kill -TERM "$SERVER_PID"
wait "$SERVER_PID" || fail "server exit status $?"

# ---- restarted with the default idle (500 ms): the rest goes through -------
"$EDDY" server --listen 127.0.0.1:0 --bootstrap-servers "$BOOTSTRAP" --state-dir "$work/state" \
  -p auto.offset.reset=earliest -p num.stream.threads=1 -p commit.interval.ms=200 "$work/setup.ksql" > "$work/server2.out" 2> "$work/server2.err" &
SERVER_PID=$!
add_exit_trap "kill -KILL $SERVER_PID 2> /dev/null || true"
wait_for 20 grep -q 'serving ksqlDB' "$work/server2.err" || { cat "$work/server2.err"; fail "server did not start again"; }
URL=$(grep -o 'http://[0-9.:]*' "$work/server2.err")
wait_for 20 metric_is "eddy_query_records_in_total{query=\"$Q\"}" 13 ||
  fail "the restarted query did not take the 13 records left: $(metric "eddy_query_records_in_total{query=\"$Q\"}")"
for p in 0 1 2 3; do
  wait_for 10 metric_is "$(plag $p)" 0 || fail "lag of ev/$p is not 0 after catching up"
done
check_eq "the query's total lag after catching up" 0 "$(metric "eddy_query_lag_records{query=\"$Q\"}")"
wait_for 10 metric_gt "eddy_query_checkpoints_total{query=\"$Q\"}" 0 || fail "no checkpoint counted after the restart"
c1=$(metric "eddy_query_checkpoints_total{query=\"$Q\"}")
printf 'k3|{"N":1,"TS":9001}\n' | kcat -P -b "$BOOTSTRAP" -t ev -p 3 -K'|'
wait_for 20 metric_gt "eddy_query_checkpoints_total{query=\"$Q\"}" "$c1" || fail "the checkpoint count did not grow past $c1"
check_eq "no checkpoint counted for the idle windowed query" 0 "$(metric "eddy_query_checkpoints_total{query=\"$W\"}")"

ksql_text "SHOW QUERIES EXTENDED;" > "$work/showq"
check_eq "SHOW QUERIES EXTENDED: a block per query" 2 "$(grep -c '^ID  ' "$work/showq")"
check "SHOW QUERIES EXTENDED: sources and sink" grep -q "^Sources that this query reads from: LT$" "$work/showq"
check "SHOW QUERIES EXTENDED: ev's 14 records" grep -Eq "^total-messages: 14  " "$work/showq"
check "SHOW QUERIES EXTENDED: lag table of ev" grep -Eq "^ *ev +\| *1 +\| *0 *$" "$work/showq"

kill -TERM "$SERVER_PID"
wait "$SERVER_PID" || fail "server exit status $?"

# ---- eddy run: the late count in its summary line --------------------------
"$EDDY" run --bootstrap-servers "$BOOTSTRAP" --state-dir "$work/run-state" --until-caught-up -p auto.offset.reset=earliest \
  "$work/setup.ksql" > "$work/run.out" 2> "$work/run.err" || { cat "$work/run.err"; fail "eddy run failed"; }
check "eddy run: 2 records dropped as late" grep -q "expression errors, 2 dropped as late" "$work/run.err"
echo "ok"
