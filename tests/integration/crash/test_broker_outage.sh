#!/usr/bin/env bash
# A broker outage (issue 11 item 1): `eddy broker` frozen with SIGSTOP while
# `eddy run` works through a backlog with an aggregate (COUNT/SUM per user),
# the same over 1-minute tumbling windows, and a stream-table LEFT JOIN,
# records produced in the background all along; then SIGCONT, more records,
# and a wait until every query has caught up.  The final tables must equal
# awk's over the input read back with kcat (nothing lost, nothing counted
# twice), the join must hold every input id (duplicates allowed:
# at-least-once), and no query may be left stalled.  During the outage
# `eddy run` must still answer SHOW QUERIES (the old synchronous Kafka
# commit held its loop until the broker came back), and a query with
# records left must be logged and shown STALLED, then resumed.
#
# OUTAGE_S (default 20) is how long the broker stays frozen.  The issue's
# 60 s adds no path that 20 s lacks (OUTAGE_S=60 passes too): the stall
# report comes after 10 s, librdkafka's reconnect backoff tops out at 10 s,
# the producer's records time out only after 300 s, and the checkpoint
# waits for delivery one poll round at a time at any outage length.
set -euo pipefail
: "${EDDY:?path to the eddy binary}" "${EDDY_SRC:?repo root}"
source "$EDDY_SRC/tests/integration/lib.sh"

work=$(mktemp -d)
[ -n "${KEEP_WORK:-}" ] || add_exit_trap "rm -rf '$work'"; echo "work dir: $work"
outage=${OUTAGE_S:-20}
start_broker --topic ev:4 --topic users:4 --topic TOT:4 --topic WIN:4 --topic J:4

# 50 users with a region each.
for u in $(seq 0 49); do printf 'U%d|{"REGION":"R%d"}\n' "$u" $((u % 7)); done > "$work/users.txt"
kcat -P -b "$BOOTSTRAP" -t users -K '|' -l "$work/users.txt"

cat > "$work/q.ksql" << 'EOF'
SET 'auto.offset.reset' = 'earliest';
SET 'commit.interval.ms' = '200';
CREATE STREAM ev (user STRING KEY, id BIGINT, amount BIGINT, ts BIGINT)
  WITH (kafka_topic = 'ev', value_format = 'JSON', timestamp = 'ts');
CREATE TABLE users (user STRING PRIMARY KEY, region STRING)
  WITH (kafka_topic = 'users', value_format = 'JSON');
CREATE TABLE tot AS SELECT user, UCASE(user) AS u, COUNT(*) AS n, SUM(amount) AS total
  FROM ev GROUP BY user EMIT CHANGES;
CREATE TABLE win AS SELECT user, UCASE(user) AS u, WINDOWSTART AS ws, COUNT(*) AS n,
  SUM(amount) AS total FROM ev WINDOW TUMBLING (SIZE 1 MINUTE) GROUP BY user EMIT CHANGES;
CREATE STREAM j AS SELECT ev.user AS user, ev.id AS id, users.region AS region
  FROM ev LEFT JOIN users ON ev.user = users.user EMIT CHANGES;
EOF

# The background producer: 400 records every 0.5 s, ids from 0 up, event
# time 25 ms apart (so ~40 s of records fill a 1-minute window).  Stops when
# $work/stop exists.  A batch sent while the broker is frozen waits in kcat.
records() {  # ids $1 .. $2-1
  awk -v from="$1" -v to="$2" 'BEGIN { for (i = from; i < to; i++)
    printf "U%d|{\"ID\":%d,\"AMOUNT\":%d,\"TS\":%.0f}\n", (i * 7919) % 53, i, (i * 31) % 1000 + 1, 1700000000000 + i * 25 }'
}
producer() {
  local i=$backlog
  while [ ! -e "$work/stop" ]; do
    records "$i" $((i + 400)) > "$work/batch"
    i=$((i + 400))
    # kcat gives up when the broker is down: send the batch again (a
    # record sent twice is in the input twice, and counted so by awk too).
    until kcat -P -b "$BOOTSTRAP" -t ev -K '|' -l "$work/batch" 2>> "$work/kcat.err"; do
      [ ! -e "$work/stop" ] || break
      sleep 1
    done
    echo "$i" > "$work/produced"
    sleep 0.5
  done
}
# A backlog first, so the outage comes while the queries are still reading
# it and their sinks' producer has output in flight.
# (Not more: the development broker keeps ~100,000 records or 5 MB per
# partition and drops older ones, and the check reads the input back.)
backlog=${BACKLOG:-200000}
records 0 "$backlog" > "$work/backlog"
kcat -P -b "$BOOTSTRAP" -t ev -K '|' -l "$work/backlog"
echo "$backlog" > "$work/produced"
"$EDDY" run "$work/q.ksql" --bootstrap-servers "$BOOTSTRAP" --state-dir "$work/state" \
  --progress 1 > "$work/run.out" 2> "$work/run.log" &
run_pid=$!
add_exit_trap "kill -TERM $run_pid 2> /dev/null || true"
producer &
prod_pid=$!
add_exit_trap "touch '$work/stop'; kill $prod_pid 2> /dev/null || true"

wait_for 30 grep -q 'CTAS_TOT_1: [1-9]' "$work/run.log" || fail "the queries did not start"
sleep "${BEFORE_S:-0.5}"
echo "before the outage: $(cat "$work/produced") records produced, $(end_offsets TOT 4) on TOT"
kill -STOP "$BROKER_PID"
echo "broker frozen (SIGSTOP) for $outage s"
sleep $((outage * 3 / 4))
# While the broker is frozen: eddy run still answers (its loop does not
# block on the broker) and reports a query that has records left to read.
timeout 20 "$EDDY" exec --state-dir "$work/state" -e 'SHOW QUERIES;' > "$work/show_outage.out" 2>&1 ||
  { cat "$work/show_outage.out"; fail "eddy run did not answer SHOW QUERIES during the outage"; }
echo "SHOW QUERIES during the outage: $(grep -o 'CT[A-Z_0-9]* *| PERSISTENT | [A-Z]*\|CS[A-Z_0-9]* *| PERSISTENT | [A-Z]*' "$work/show_outage.out" | tr -s ' ' | tr '\n' ';')"
sleep $((outage - outage * 3 / 4))
kill -CONT "$BROKER_PID"
echo "broker resumed (SIGCONT): $(cat "$work/produced") records produced so far"
sleep 15
touch "$work/stop"
wait "$prod_pid" || true
kill -0 "$run_pid" 2> /dev/null || { tail -30 "$work/run.log"; fail "eddy run died during or after the outage"; }
total=$(end_offsets ev 4)
echo "producer stopped: $total records on ev"

# The independent computation, over the input read back with kcat.
kcat -C -b "$BOOTSTRAP" -t ev -o beginning -e -q -f '%s\n' > "$work/input.json"
check_eq "input read back" "$total" "$(wc -l < "$work/input.json")"
jq -r '"U\(.ID * 7919 % 53) \(.AMOUNT) \(.TS)"' "$work/input.json" |
  awk '{ n[$1]++; s[$1] += $2; w = $3 - $3 % 60000; k = $1 " " sprintf("%.0f", w); wn[k]++; ws[k] += $2 }
       END { for (u in n) printf "T %s T %d %.0f\n", u, n[u], s[u];
             for (k in wn) printf "W %s %d %.0f\n", k, wn[k], ws[k] }' > "$work/awk.all"
grep '^T ' "$work/awk.all" | cut -d' ' -f2- | sort > "$work/awk.tot"
grep '^W ' "$work/awk.all" | cut -d' ' -f2- | sort > "$work/awk.win"
jq -r '.ID' "$work/input.json" | sort -n -u > "$work/awk.ids"

tables_match() {
  changelog_table TOT '"\(.U) T \(.N) \(.TOTAL)"' > "$work/tot.table"
  changelog_table WIN '"\(.U) \(.WS) \(.N) \(.TOTAL)"' > "$work/win.table"
  kcat -C -b "$BOOTSTRAP" -t J -o beginning -e -q -f '%s\n' | jq -r '.ID' | sort -n > "$work/j.all"
  sort -n -u "$work/j.all" > "$work/j.ids"
  cmp -s "$work/tot.table" "$work/awk.tot" && cmp -s "$work/win.table" "$work/awk.win" &&
    cmp -s "$work/j.ids" "$work/awk.ids"
}
start=$SECONDS
if ! wait_for 180 tables_match; then
  tail -40 "$work/run.log"
  diff "$work/awk.tot" "$work/tot.table" | head -5 || true
  diff "$work/awk.win" "$work/win.table" | head -5 || true
  echo "join ids: $(wc -l < "$work/j.ids") of $(wc -l < "$work/awk.ids")"
fi
echo "caught up $((SECONDS - start)) s after the producer stopped"
check "TOT (COUNT, SUM per user) equals awk's" cmp -s "$work/tot.table" "$work/awk.tot"
check "WIN (per user and 1-minute window) equals awk's" cmp -s "$work/win.table" "$work/awk.win"
check "J holds every input id" cmp -s "$work/j.ids" "$work/awk.ids"
echo "J: $(wc -l < "$work/j.all") results for $(wc -l < "$work/j.ids") ids ($(($(wc -l < "$work/j.all") - $(wc -l < "$work/j.ids"))) re-emitted: at-least-once)"
echo "TOT rows $(wc -l < "$work/tot.table"), WIN rows $(wc -l < "$work/win.table"), output records: TOT $(end_offsets TOT 4), WIN $(end_offsets WIN 4)"

# Every query says RUNNING (not STALLED) now, and the run said it was
# stalled during the outage only if a query had records it could not read.
"$EDDY" exec --state-dir "$work/state" -e 'SHOW QUERIES;' > "$work/show.out"
cat "$work/show.out"
check "SHOW QUERIES: three queries RUNNING" \
  bash -c "[ \$(grep -c RUNNING '$work/show.out') -eq 3 ]"
check "SHOW QUERIES: none STALLED now" bash -c "! grep -q STALLED '$work/show.out'"
stalls=$(grep -c ': stalled: ' "$work/run.log" || true)
echo "stall reports in the run's log: $stalls; resumed: $(grep -c ': resumed after' "$work/run.log" || true)"
grep -i 'stalled: \|resumed after\|checkpoint waits\|delivered after' "$work/run.log" || true
# A query with records left when the broker froze is reported stalled
# (log and SHOW QUERIES) and later resumed.
if grep -q STALLED "$work/show_outage.out"; then
  check "a query SHOW QUERIES showed STALLED was logged stalled" [ "$stalls" -ge 1 ]
fi
check "every stalled query resumed" \
  [ "$stalls" -eq "$(grep -c ': resumed after' "$work/run.log" || true)" ]
check "no 'Unknown member' commit failure" bash -c "! grep -q 'Unknown member' '$work/run.log'"
kill -TERM "$run_pid"
wait "$run_pid" || fail "eddy run did not stop cleanly after the outage"

# A broker that freezes and then dies for good while `eddy run` stops: the
# run must still exit (its consumers' close waited for a last commit to a
# coordinator that never answers, and hung for good).
# (New records first, so the run has output and commits in flight.)
records 300000 400000 > "$work/more"
kcat -P -b "$BOOTSTRAP" -t ev -K '|' -l "$work/more"
"$EDDY" run "$work/q.ksql" --bootstrap-servers "$BOOTSTRAP" --state-dir "$work/state" \
  --progress 1 > "$work/run3.out" 2> "$work/run3.log" &
run_pid=$!
wait_for 30 grep -q 'CTAS_TOT_1: [1-9]' "$work/run3.log" || fail "the restarted run did not start"
kill -STOP "$BROKER_PID"
kill -TERM "$run_pid"
sleep 2
kill -KILL "$BROKER_PID"
start=$SECONDS
# (Its final checkpoint waits 60 s for the output, then each close 2 s.)
wait_for 150 bash -c "! kill -0 $run_pid 2> /dev/null" ||
  { tail -5 "$work/run3.log"; fail "eddy run did not exit after SIGTERM with the broker gone"; }
echo "ok: eddy run exited $((SECONDS - start)) s after the broker died (SIGTERM 2 s before)"
echo "PASS: after a $outage s broker outage the aggregates equal awk's and the join holds every id"
