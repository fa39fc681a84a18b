#!/usr/bin/env bash
# State backed by changelog topics (engine/README.md, "Scale-out"): a
# windowed COUNT/SUM per key with service.id set, num.stream.threads = 2
# (2 tasks, so 2 changelog partitions per store), auto.offset.reset =
# latest, over 40,000 records on 4 partitions, killed with SIGKILL 14
# times: at random moments, and while a checkpoint is held
# (EDDY_TEST_CHECKPOINT_PAUSE_MS) before its changelog write, between the
# changelog write and the local one, or after both.  Before 8 of the 14
# restarts the whole state directory is deleted, as on a new machine: the
# query must come back from its changelog (with `latest` and no state it
# would otherwise start at the end of the input and lose records).  The
# final table must equal, value for value, an uninterrupted run's and
# awk's.  Figures: restores, entries restored, output records re-emitted.
set -euo pipefail
: "${EDDY:?path to the eddy binary}" "${EDDY_SRC:?repo root}"
source "$EDDY_SRC/tests/integration/lib.sh"

work=$(mktemp -d)
[ -n "${KEEP_WORK:-}" ] || add_exit_trap "rm -rf '$work'"; echo "work dir: $work"
start_broker --topic events:4 --topic STATS:4 --topic STATS_REF:4
seed=${CRASH_SEED:-$RANDOM}
echo "random seed: $seed (set CRASH_SEED to repeat)"

user_events 40000 300 1000 20 > "$work/input.txt"
split -n l/8 -d "$work/input.txt" "$work/chunk."

ddl="SET 'commit.interval.ms' = '50';
CREATE STREAM events (user STRING KEY, amount BIGINT, ts BIGINT)
  WITH (kafka_topic = 'events', value_format = 'JSON', timestamp = 'ts');"
query() {  # $1 = sink name
  echo "CREATE TABLE $1 AS
  SELECT user, UCASE(user) AS u, WINDOWSTART AS ws, COUNT(*) AS n, SUM(amount) AS total
  FROM events WINDOW TUMBLING (SIZE 1 MINUTE) GROUP BY user EMIT CHANGES;"
}
# task.assignment 'none': one member running every task, its local state the
# fast path (test_assign*.sh share tasks among members).
printf "SET 'service.id' = 'scale_app';\nSET 'task.assignment' = 'none';\nSET 'num.stream.threads' = '2';\nSET 'auto.offset.reset' = 'latest';\n%s\n%s\n" \
  "$ddl" "$(query stats)" > "$work/crash.ksql"
printf "SET 'num.stream.threads' = '1';\nSET 'auto.offset.reset' = 'earliest';\n%s\n%s\n" \
  "$ddl" "$(query stats_ref)" > "$work/ref.ksql"

run() {  # $1 = log file; rest: environment assignments
  local log=$1
  shift
  env "$@" "$EDDY" run "$work/crash.ksql" --bootstrap-servers "$BOOTSTRAP" --state-dir "$work/state" \
    --verbose > "$log" 2>&1 &
  pid=$!
  add_exit_trap "kill -KILL $pid 2> /dev/null || true"
}

# Run 0 starts on the empty topic (so `latest` is its beginning), then the
# first chunk arrives; it stops cleanly once it has output.
run "$work/run.log"
wait_for 30 grep -q "Created query" "$work/run.log" || fail "first run did not start"
kcat -P -b "$BOOTSTRAP" -t events -K '|' -l "$work/chunk.00"
wait_for 60 bash -c "[ \$(kcat -b $BOOTSTRAP -Q -t STATS:0:-1 -t STATS:1:-1 -t STATS:2:-1 -t STATS:3:-1 2> /dev/null | awk '{s += \$NF} END {print s + 0}') -gt 1000 ]" ||
  fail "first run produced no output"
kill -TERM "$pid"
wait "$pid" || fail "first run did not stop cleanly"
cat "$work/run.log" >> "$work/crash.log"

RANDOM=$seed
kills=0 held=0 deleted=0 restores=0
for k in $(seq 1 14); do
  if [ $((k % 2)) -eq 1 ]; then
    kcat -P -b "$BOOTSTRAP" -t events -K '|' -l "$work/chunk.0$((k / 2 + 1))"
  fi
  # The state directory goes before runs 1, 2, 5, 6, 9, 10, 13, 14: the
  # others restart with it, among them run 8 after run 7 was killed between
  # its changelog write and its local one (local state behind: restored).
  gone=no
  if [ $((k % 4)) -eq 1 ] || [ $((k % 4)) -eq 2 ]; then
    rm -rf "$work/state"
    deleted=$((deleted + 1))
    gone=yes
  fi
  before=$(end_offsets STATS 4)
  if [ $((k % 4)) -eq 3 ] || [ "$k" -eq 13 ]; then
    # Held checkpoints (runs with new input, so they checkpoint): killed
    # while its first is held at one place: before its changelog write,
    # between it and the local write, after both; the runs take the three
    # places in turn.
    run "$work/run.log" EDDY_TEST_CHECKPOINT_PAUSE_MS=300
    places=("before the state write" "after the changelog write" "after the state write")
    place=${places[$(((k / 4) % 3))]}
    m=1   # the run's first checkpoint: later ones may find nothing new
    for _ in $(seq 600); do
      [ "$(grep -c "checkpoint paused $place" "$work/run.log")" -ge "$m" ] && break
      kill -0 "$pid" 2> /dev/null || break
      sleep 0.05
    done
    grep -q 'checkpoint paused' "$work/run.log" && held=$((held + 1))
    where=$(grep 'checkpoint paused' "$work/run.log" | tail -1 | sed 's/.*paused \(.*\) (EDDY.*/\1/' || true)
  elif [ $((k % 2)) -eq 1 ]; then
    # New input: killed once the output grew by a random amount.
    run "$work/run.log"
    target=$((before + 100 + RANDOM % 2000))
    for _ in $(seq 150); do
      [ "$(end_offsets STATS 4)" -ge "$target" ] && break
      kill -0 "$pid" 2> /dev/null || break
      sleep 0.05
    done
    where="at ~$(end_offsets STATS 4) output records (target $target)"
  else
    # No new input: killed a random time after its query started (during
    # a restore, or while it processes what its last checkpoint missed).
    run "$work/run.log"
    wait_for 30 grep -q "Created query\|skipped CREATE TABLE" "$work/run.log" || fail "run $k did not start"
    sleep "0.$((RANDOM % 10))"
    where="0.x s after its start, at ~$(end_offsets STATS 4) output records"
  fi
  kill -0 "$pid" 2> /dev/null || { tail -20 "$work/run.log"; fail "run $k ended before its kill"; }
  kill -KILL "$pid" 2> /dev/null && kills=$((kills + 1)) || true
  wait "$pid" 2> /dev/null || true
  r=$(grep -c 'state restored from its changelog' "$work/run.log" || true)
  restores=$((restores + r))
  cat "$work/run.log" >> "$work/crash.log"
  echo "run $k: state directory $([ $gone = yes ] && echo deleted || echo kept), $r restore(s), killed with SIGKILL $where" |
    tee -a "$work/runs.txt"
done
check_eq "SIGKILLs delivered" 14 "$kills"
check_eq "kills while a checkpoint was held" 4 "$held"
check "one of them between the changelog write and the local one" \
  grep -q 'killed with SIGKILL after the changelog write' "$work/runs.txt"
rm -rf "$work/state"
timeout 600 "$EDDY" run "$work/crash.ksql" --bootstrap-servers "$BOOTSTRAP" --state-dir "$work/state" \
  --until-caught-up --verbose > "$work/final.log" 2>&1 || { tail -20 "$work/final.log"; fail "final run failed"; }
check "the run after the kill between the two writes restored, its state directory kept" \
  grep -q 'run 8: state directory kept, 1 restore' "$work/runs.txt"
check "a run that kept its state after a kill elsewhere did not restore" \
  grep -q 'run 4: state directory kept, 0 restore' "$work/runs.txt"
check "the final run (state deleted once more) restored from the changelog" \
  grep -q 'state restored from its changelog' "$work/final.log"
restores=$((restores + 1))
timeout 600 "$EDDY" run "$work/ref.ksql" --bootstrap-servers "$BOOTSTRAP" \
  --state-dir "$work/refstate" --until-caught-up > "$work/ref.log" 2>&1 || { tail -20 "$work/ref.log"; fail "reference run failed"; }
check "every restart after a deleted state directory restored from the changelog" \
  [ "$restores" -ge "$((deleted + 1))" ]
grep 'state restored from its changelog' "$work/crash.log" "$work/final.log" | sed 's/^[^:]*: *//' | sort | uniq -c | sort -rn | head -3
echo "figures: $deleted state directories deleted, $restores restores from the changelog, $(end_offsets STATS 4) output records for 40000 inputs"

row='"\(.U) \(.WS) \(.N) \(.TOTAL)"'
changelog_table STATS "$row" > "$work/crash.table"
changelog_table STATS_REF "$row" > "$work/ref.table"
window_totals "$work/input.txt" > "$work/awk.table"
rows=$(wc -l < "$work/awk.table")
check_eq "reference table has a row per (user, window)" "$rows" "$(wc -l < "$work/ref.table")"
check_eq "crashed table has a row per (user, window)" "$rows" "$(wc -l < "$work/crash.table")"
check "the crashed run's COUNT and SUM equal the uninterrupted run's" cmp -s "$work/crash.table" "$work/ref.table"
check "and equal awk's, computed from the input" cmp -s "$work/crash.table" "$work/awk.table"
