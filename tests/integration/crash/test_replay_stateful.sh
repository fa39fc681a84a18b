#!/usr/bin/env bash
# REPLAY of a stateful query from a snapshot, under SIGKILL.  A windowed
# COUNT/SUM per key runs through `eddy run` over a first chunk of input;
# CREATE SNAPSHOT; a second chunk; a REPLAY that no snapshot is old enough
# for is refused, naming the oldest point; REPLAY ... FROM SNAPSHOT, with
# `eddy run` killed by SIGKILL three times while it reprocesses the second
# chunk and restarted each time.  The final table must equal, value for
# value, the table an uninterrupted run computes and the one awk computes
# from the input: the replayed range re-emitted, nothing counted twice.
# Then a stateless query of the same file is replayed FROM TIMESTAMP, a
# time between the two chunks' production (the records' timestamps, as
# Kafka's offsets-for-times reads them: the development broker cannot
# answer it, so eddy searches the records), and must re-emit exactly the
# second chunk's records.
#
# How statements reach eddy: the catalog is persistent, so each step is an
# `eddy run` of the query file (its statements are skipped as already done)
# plus a file holding the step's statement (CREATE SNAPSHOT, REPLAY, ...);
# the restarts after a SIGKILL run the query file alone and resume the
# replay from the catalog.
set -euo pipefail
: "${EDDY:?path to the eddy binary}" "${EDDY_SRC:?repo root}"
source "$EDDY_SRC/tests/integration/lib.sh"

work=$(mktemp -d)
[ -n "${KEEP_WORK:-}" ] || add_exit_trap "rm -rf '$work'"; echo "work dir: $work"
start_broker --topic events:4 --topic STATS:4 --topic STATS_REF:4 --topic BIG:4
seed=${CRASH_SEED:-$RANDOM}
echo "random seed: $seed (set CRASH_SEED to repeat)"
RANDOM=$seed

# 20,000 then 60,000 records; 200 users; event time 10 ms apart (~14 one-
# minute windows); amounts 1..997.
user_events 80000 200 997 10 > "$work/input.txt"
head -n 20000 "$work/input.txt" > "$work/first.txt"
tail -n +20001 "$work/input.txt" > "$work/second.txt"

ddl="SET 'auto.offset.reset' = 'earliest';
SET 'commit.interval.ms' = '20';
CREATE STREAM events (user STRING KEY, amount BIGINT, ts BIGINT)
  WITH (kafka_topic = 'events', value_format = 'JSON', timestamp = 'ts');"
query() {  # $1 = sink name
  echo "CREATE TABLE $1 AS
  SELECT user, UCASE(user) AS u, WINDOWSTART AS ws, COUNT(*) AS n, SUM(amount) AS total
  FROM events WINDOW TUMBLING (SIZE 1 MINUTE) GROUP BY user EMIT CHANGES;"
}
printf '%s\n%s\n%s\n' "$ddl" "$(query stats)" \
  "CREATE STREAM big AS SELECT user, amount, ts FROM events WHERE amount > 900;" > "$work/q.ksql"
printf '%s\n%s\n' "$ddl" "$(query stats_ref)" > "$work/ref.ksql"
echo "CREATE SNAPSHOT before_more;" > "$work/snapshot.ksql"
echo "REPLAY QUERY CTAS_STATS_1 FROM BEGINNING;" > "$work/too_early.ksql"
echo "REPLAY QUERY CTAS_STATS_1 FROM SNAPSHOT before_more;" > "$work/replay.ksql"
echo "SHOW SNAPSHOTS;" > "$work/show.ksql"
echo "DROP SNAPSHOT before_more;" > "$work/drop.ksql"

run() {  # eddy run FILES... on the test's state, until caught up
  timeout 300 "$EDDY" run "$@" --bootstrap-servers "$BOOTSTRAP" --state-dir "$work/state" \
    --until-caught-up
}

kcat -P -b "$BOOTSTRAP" -t events -K '|' -l "$work/first.txt"
sleep 0.1
between_ms=$(date +%s%3N)   # after the first chunk's records were stamped, before the second's
sleep 0.1
run "$work/q.ksql" > "$work/run1.log" 2>&1 || { cat "$work/run1.log"; fail "first run failed"; }
run "$work/q.ksql" "$work/snapshot.ksql" > "$work/snap.log" 2>&1 || { cat "$work/snap.log"; fail "CREATE SNAPSHOT failed"; }
check "CREATE SNAPSHOT says where the query is" grep -q "Created snapshot BEFORE_MORE (.*): query CTAS_STATS_1 at events\[0\]@" "$work/snap.log"
check "the snapshot is a RocksDB checkpoint with a manifest" \
  test -f "$work/state/snapshots/BEFORE_MORE/eddy-snapshot.json" -a -f "$work/state/snapshots/BEFORE_MORE/db/CURRENT"
kcat -P -b "$BOOTSTRAP" -t events -K '|' -l "$work/second.txt"
run "$work/q.ksql" > "$work/run2.log" 2>&1 || { cat "$work/run2.log"; fail "second run failed"; }

# No snapshot is as old as the beginning: refused, changing nothing.
if run "$work/q.ksql" "$work/too_early.ksql" > "$work/early.log" 2>&1; then
  fail "REPLAY FROM BEGINNING of a stateful query without an old enough snapshot succeeded"
fi
check "the refusal names the oldest point it can replay from" \
  grep -q "it keeps state, and no snapshot of it is at or before that point; the oldest point it can replay from is snapshot BEFORE_MORE" "$work/early.log"
check "and the way around it" grep -q "Give WITH EMPTY STATE to replay from there with empty state" "$work/early.log"
check "the refused REPLAY is not in the command log" bash -c "! grep -q '^REPLAY' '$work/state/commands.ksql'"

# REPLAY FROM SNAPSHOT, killed three times while it reprocesses.
before=$(end_offsets STATS 4)
echo "output records before the replay: $before"
kills=0
files=("$work/q.ksql" "$work/replay.ksql")
for k in 1 2 3; do
  target=$((before + k * 12000 + RANDOM % 6000))
  # Each checkpoint held 150 ms (a test hook), so the replay, on two
  # threads, does not re-emit the 60,000 records before the third kill;
  # the first run is killed only after its first progress line.
  EDDY_TEST_CHECKPOINT_PAUSE_MS=150 "$EDDY" run "${files[@]}" --bootstrap-servers "$BOOTSTRAP" \
    --state-dir "$work/state" --progress 1 >> "$work/replay.log" 2>&1 &
  pid=$!
  add_exit_trap "kill -KILL $pid 2> /dev/null || true"   # a failed check leaves no eddy behind
  for _ in $(seq 1200); do
    [ "$(end_offsets STATS 4)" -ge "$target" ] &&
      { [ "$k" -gt 1 ] || grep -q "CTAS_STATS_1: .* replaying" "$work/replay.log"; } && break
    kill -0 "$pid" 2> /dev/null || break
    sleep 0.05
  done
  kill -KILL "$pid" 2> /dev/null && kills=$((kills + 1)) || true
  wait "$pid" 2> /dev/null || true
  at=$(end_offsets STATS 4)
  echo "eddy run killed with SIGKILL at ~$at output records (target $target)"
  # The replay is not over before it re-emitted the second chunk's 60,000:
  # the first kill must land inside it.  A later run resumes from its last
  # checkpoint and may finish before its kill on a fast machine (ci24: the
  # third killed at 142,060 for 140,000); the rest of the test holds then
  # too, so that is said, not failed.
  if [ "$at" -ge $((before + 60000)) ]; then
    [ "$k" -gt 1 ] || fail "kill $k came after the replay could have finished"
    echo "note: kill $k came after the replay could have finished"
  fi
  files=("$work/q.ksql")   # restarts: the replay resumes from the catalog
done
check_eq "SIGKILLs delivered" 3 "$kills"
check "the REPLAY was applied once" grep -q "Replaying query CTAS_STATS_1 from snapshot BEFORE_MORE (generation 1): events\[0\]@" "$work/replay.log"
check_eq "the command log holds one replay" 1 "$(grep -c '^REPLAY QUERY `CTAS_STATS_1` FROM OFFSETS' "$work/state/commands.ksql")"
check "eddy run's progress lines say it is replaying" grep -q "CTAS_STATS_1: .* replaying [0-9]*% ([0-9]* of 60000 records)" "$work/replay.log"
run "$work/q.ksql" "$work/show.ksql" > "$work/final.log" 2>&1 || { tail -20 "$work/final.log"; fail "final run failed"; }
check "SHOW SNAPSHOTS lists it with its query and offsets" grep -q "BEFORE_MORE .*| CTAS_STATS_1 .*| events\[0\]@[0-9]* events\[1\]@" "$work/final.log"
after=$(end_offsets STATS 4)
echo "output records after the replay: $after ($((after - before)) re-emitted, 60000 without the crashes)"
[ $((after - before)) -ge 60000 ] || fail "the replay re-emitted fewer records than the second chunk holds"

timeout 300 "$EDDY" run "$work/ref.ksql" --bootstrap-servers "$BOOTSTRAP" \
  --state-dir "$work/refstate" --until-caught-up > "$work/ref.log" 2>&1 || { tail -20 "$work/ref.log"; fail "reference run failed"; }

# The final tables: the last value per (user, window).
row='"\(.U) \(.WS) \(.N) \(.TOTAL)"'
changelog_table STATS "$row" > "$work/replayed.table"
changelog_table STATS_REF "$row" > "$work/ref.table"
window_totals "$work/input.txt" > "$work/awk.table"
rows=$(wc -l < "$work/awk.table")
check_eq "the replayed table has a row per (user, window)" "$rows" "$(wc -l < "$work/replayed.table")"
check "the replayed table equals the uninterrupted run's" cmp -s "$work/replayed.table" "$work/ref.table"
check "and awk's, computed from the input (nothing counted twice)" cmp -s "$work/replayed.table" "$work/awk.table"

# A stateless query FROM TIMESTAMP: between the chunks' production.
iso=$(date -u -d "@$((between_ms / 1000)).$(printf %03d $((between_ms % 1000)))" +%Y-%m-%dT%H:%M:%S.%3NZ)
echo "REPLAY QUERY CSAS_BIG_2 FROM TIMESTAMP '$iso';" > "$work/from_time.ksql"
want=$(awk -F'|' '{ split($2, f, /[:,}]/); if (f[4] > 900) n++ } END { print n + 0 }' "$work/second.txt")
big_before=$(end_offsets BIG 4)
run "$work/q.ksql" "$work/from_time.ksql" > "$work/time.log" 2>&1 || { cat "$work/time.log"; fail "REPLAY FROM TIMESTAMP failed"; }
check "REPLAY FROM TIMESTAMP resolves every partition" grep -q "Replaying query CSAS_BIG_2 from timestamp '$iso' (generation 1): events\[0\]@[0-9]* events\[1\]@[0-9]* events\[2\]@[0-9]* events\[3\]@[0-9]*" "$work/time.log"
check "and to the second chunk's start" grep -q "events\[0\]@[0-9]* .*, 60000 records to the end offsets" "$work/time.log"
check_eq "the second chunk's records re-emitted (awk: amount > 900)" "$want" "$(($(end_offsets BIG 4) - big_before))"

run "$work/q.ksql" "$work/drop.ksql" > "$work/drop.log" 2>&1 || { cat "$work/drop.log"; fail "DROP SNAPSHOT failed"; }
check "DROP SNAPSHOT removes its directory" test ! -e "$work/state/snapshots/BEFORE_MORE"
echo "PASS: REPLAY FROM SNAPSHOT after 3 SIGKILLs gives the uninterrupted run's table, $rows rows"
