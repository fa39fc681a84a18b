#!/usr/bin/env bash
# Exact state under crashes with tasks on two worker threads: a windowed
# COUNT/SUM/AVG per key (grouped by the record key, so the query is split
# into 2 tasks; EXPLAIN must say so) and a COUNT/SUM/AVG per AMOUNT % 13
# without windows (grouped by a value: 2 tasks handing rows to each other
# through the in-process exchange) over 200,000 records on 8 partitions,
# `eddy run` with num.stream.threads = 2 killed by SIGKILL 25 times: 20 at
# random moments and 5 in the middle of a checkpoint (EDDY_TEST_CHECKPOINT_
# PAUSE_MS holds each checkpoint, once before and once after its state
# write; the kill comes while one is held).  The final table must equal,
# value for value, the table a one-thread uninterrupted run computes and the
# table awk computes from the input.
set -euo pipefail
: "${EDDY:?path to the eddy binary}" "${EDDY_SRC:?repo root}"
source "$EDDY_SRC/tests/integration/lib.sh"

work=$(mktemp -d)
[ -n "${KEEP_WORK:-}" ] || add_exit_trap "rm -rf '$work'"; echo "work dir: $work"
start_broker --topic events:8 --topic STATS:16 --topic STATS_REF:8 --topic MODS:8 --topic MODS_REF:8
seed=${CRASH_SEED:-$RANDOM}
echo "random seed: $seed (set CRASH_SEED to repeat)"

user_events 200000 300 1000 20 > "$work/input.txt"
split -n l/5 -d "$work/input.txt" "$work/chunk."

ddl="SET 'auto.offset.reset' = 'earliest';
SET 'commit.interval.ms' = '20';
CREATE STREAM events (user STRING KEY, amount BIGINT, ts BIGINT)
  WITH (kafka_topic = 'events', value_format = 'JSON', timestamp = 'ts');"
query() {  # $1 = sink name
  echo "CREATE TABLE $1 AS
  SELECT user, UCASE(user) AS u, WINDOWSTART AS ws, COUNT(*) AS n, SUM(amount) AS total, AVG(amount) AS average
  FROM events WINDOW TUMBLING (SIZE 1 MINUTE) GROUP BY user EMIT CHANGES;"
}
mods() {  # $1 = sink name
  echo "CREATE TABLE $1 AS
  SELECT amount % 13 AS m, CAST(amount % 13 AS STRING) AS u, COUNT(*) AS n,
         SUM(amount) AS total, AVG(amount) AS average
  FROM events GROUP BY amount % 13 EMIT CHANGES;"
}
printf "SET 'num.stream.threads' = '2';\n%s\n%s\n%s\nEXPLAIN CTAS_STATS_1;\nEXPLAIN CTAS_MODS_2;\n" \
  "$ddl" "$(query stats)" "$(mods mods)" > "$work/crash.ksql"
printf "SET 'num.stream.threads' = '1';\n%s\n%s\n%s\nEXPLAIN CTAS_STATS_REF_1;\n" \
  "$ddl" "$(query stats_ref)" "$(mods mods_ref)" > "$work/ref.ksql"

# Run k is killed once the output grew by a random amount since its start
# (random kills), or while a checkpoint is held (every 5th run).
RANDOM=$seed
kills=0 held=0
for k in $(seq 0 24); do
  if [ $((k % 5)) -eq 0 ]; then
    kcat -P -b "$BOOTSTRAP" -t events -K '|' -l "$work/chunk.0$((k / 5))"
  fi
  before=$(end_offsets STATS 16)
  : > "$work/run.log"
  if [ $((k % 5)) -eq 4 ]; then
    EDDY_TEST_CHECKPOINT_PAUSE_MS=400 "$EDDY" run "$work/crash.ksql" --bootstrap-servers "$BOOTSTRAP" \
      --state-dir "$work/state" > "$work/run.log" 2>&1 &
    pid=$!
    add_exit_trap "kill -KILL $pid 2> /dev/null || true"
    # The second held checkpoint with output past the start: state written
    # by this run, and one checkpoint half done.
    for _ in $(seq 600); do
      [ "$(grep -c 'checkpoint paused' "$work/run.log")" -ge $((2 + RANDOM % 4)) ] && break
      sleep 0.05
    done
    grep -q 'checkpoint paused' "$work/run.log" && held=$((held + 1))
    where=$(grep 'checkpoint paused' "$work/run.log" | tail -1 | sed 's/.*paused \(.*\) (EDDY.*/\1/')
  else
    "$EDDY" run "$work/crash.ksql" --bootstrap-servers "$BOOTSTRAP" --state-dir "$work/state" \
      > "$work/run.log" 2>&1 &
    pid=$!
    add_exit_trap "kill -KILL $pid 2> /dev/null || true"
    target=$((before + 500 + RANDOM % 7500))
    for _ in $(seq 400); do
      [ "$(end_offsets STATS 16)" -ge "$target" ] && break
      sleep 0.05
    done
    where="at ~$(end_offsets STATS 16) output records (target $target)"
  fi
  kill -KILL "$pid" 2> /dev/null && kills=$((kills + 1)) || true
  wait "$pid" 2> /dev/null || true
  cat "$work/run.log" >> "$work/crash.log"
  echo "run $k: killed with SIGKILL $where"
done
# Each kill re-emits what the run output after its last checkpoint: STATS
# gets about twice the input, over 16 partitions so that no partition
# comes near what the development broker keeps (about 100,000 records or
# 5 MB, some 45,000 of these rows).  MODS has 13 keys, so some of its
# partitions pass that and keep only their latest records (whole_topic
# notes it); those still hold each of their keys' last rows.
echo "figures: STATS has $(end_offsets STATS 16) records, at most $(most_in_a_partition STATS 16) in a partition"
check_eq "SIGKILLs delivered" 25 "$kills"
check_eq "kills while a checkpoint was held" 5 "$held"
timeout 600 "$EDDY" run "$work/crash.ksql" --bootstrap-servers "$BOOTSTRAP" \
  --state-dir "$work/state" --until-caught-up > "$work/final.log" 2>&1 || { tail -20 "$work/final.log"; fail "final run failed"; }
timeout 600 "$EDDY" run "$work/ref.ksql" --bootstrap-servers "$BOOTSTRAP" \
  --state-dir "$work/refstate" --until-caught-up > "$work/ref.log" 2>&1 || { tail -20 "$work/ref.log"; fail "reference run failed"; }
check_eq "the crashed queries ran as 2 tasks on 2 threads (EXPLAIN)" 2 \
  "$(grep -c "Tasks: 2 (partitions p with p % 2 == task) on 2 worker threads" "$work/final.log")"
check "the reference ran as 1 task (EXPLAIN)" grep -q "Tasks: 1 " "$work/ref.log"

row='"\(.U) \(.WS) \(.N) \(.TOTAL) \(.AVERAGE)"'
changelog_table STATS "$row" > "$work/crash.table"
changelog_table STATS_REF "$row" > "$work/ref.table"
window_totals "$work/input.txt" > "$work/awk.table"

mrow='"\(.U) - \(.N) \(.TOTAL) \(.AVERAGE)"'
changelog_table MODS "$mrow" > "$work/crash.mods"
changelog_table MODS_REF "$mrow" > "$work/ref.mods"
awk -F'|' '{ split($2, f, /[:,}]/); amt = f[4]; k = (amt % 13) " -"; n[k]++; s[k] += amt }
           END { for (k in n) printf "%s %d %.0f\n", k, n[k], s[k] }' "$work/input.txt" | sort > "$work/awk.mods"

rows=$(wc -l < "$work/awk.table")
check_eq "reference table has a row per (user, window)" "$rows" "$(wc -l < "$work/ref.table")"
check_eq "crashed table has a row per (user, window)" "$rows" "$(wc -l < "$work/crash.table")"
cut -d' ' -f1-4 "$work/crash.table" > "$work/crash.cmp"
cut -d' ' -f1-4 "$work/ref.table" > "$work/ref.cmp"
check "2-thread crashed run's COUNT and SUM equal the 1-thread uninterrupted run's" cmp -s "$work/crash.cmp" "$work/ref.cmp"
check "and equal awk's, computed from the input" cmp -s "$work/crash.cmp" "$work/awk.table"
check "AVG values equal the uninterrupted run's" cmp -s "$work/crash.table" "$work/ref.table"
mrows=$(wc -l < "$work/awk.mods")
check_eq "grouped by a value: the crashed table has a row per AMOUNT % 13" "$mrows" "$(wc -l < "$work/crash.mods")"
cut -d' ' -f1-4 "$work/crash.mods" > "$work/crash.mcmp"
cut -d' ' -f1-4 "$work/ref.mods" > "$work/ref.mcmp"
check "grouped by a value (exchange): COUNT and SUM equal the 1-thread run's" cmp -s "$work/crash.mcmp" "$work/ref.mcmp"
check "and equal awk's" cmp -s "$work/crash.mcmp" "$work/awk.mods"
check "and AVG too" cmp -s "$work/crash.mods" "$work/ref.mods"
echo "PASS: after 25 SIGKILLs (5 mid-checkpoint) of a 2-task query on 2 threads, the final table equals the 1-thread run's and awk's, $rows rows"
