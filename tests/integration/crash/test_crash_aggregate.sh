#!/usr/bin/env bash
# Exact state under crashes: a windowed COUNT/SUM/AVG per key over 200,000
# records, with `eddy run` killed by SIGKILL at five random moments and
# restarted each time.  The final table (the last value of every key and
# window on the output topic) must equal, value for value, both the table
# an uninterrupted run computes and the table awk computes from the input.
# No record counted twice, none lost.
set -euo pipefail
: "${EDDY:?path to the eddy binary}" "${EDDY_SRC:?repo root}"
source "$EDDY_SRC/tests/integration/lib.sh"

work=$(mktemp -d)
[ -n "${KEEP_WORK:-}" ] || add_exit_trap "rm -rf '$work'"; echo "work dir: $work"
start_broker --topic events:8 --topic STATS:8 --topic STATS_REF:8
seed=${CRASH_SEED:-$RANDOM}
echo "random seed: $seed (set CRASH_SEED to repeat)"

# 200,000 records in 5 chunks; 300 users; event time 20 ms apart, so
# ~67 one-minute windows; amounts 1..1000.
user_events 200000 300 1000 20 > "$work/input.txt"
split -n l/5 -d "$work/input.txt" "$work/chunk."

ddl="SET 'auto.offset.reset' = 'earliest';
SET 'commit.interval.ms' = '20';
CREATE STREAM events (user STRING KEY, amount BIGINT, ts BIGINT)
  WITH (kafka_topic = 'events', value_format = 'JSON', timestamp = 'ts');"
query() {  # $1 = sink name
  echo "CREATE TABLE $1 AS
  SELECT user, UCASE(user) AS u, WINDOWSTART AS ws, COUNT(*) AS n, SUM(amount) AS total,
         AVG(amount) AS average
  FROM events WINDOW TUMBLING (SIZE 1 MINUTE) GROUP BY user EMIT CHANGES;"
}
printf '%s\n%s\n' "$ddl" "$(query stats)" > "$work/crash.ksql"
printf '%s\n%s\n' "$ddl" "$(query stats_ref)" > "$work/ref.ksql"

# Each run is killed at a random point of its chunk: once the output has
# grown by a random 5-90% of the chunk since the run started.
RANDOM=$seed
kills=0
for c in 0 1 2 3 4; do
  kcat -P -b "$BOOTSTRAP" -t events -K '|' -l "$work/chunk.0$c"
  before=$(end_offsets STATS 8)
  target=$((before + 2000 + RANDOM % 34000))
  "$EDDY" run "$work/crash.ksql" --bootstrap-servers "$BOOTSTRAP" --state-dir "$work/state" \
    >> "$work/crash.log" 2>&1 &
  pid=$!
  add_exit_trap "kill -KILL $pid 2> /dev/null || true"   # a failed check leaves nothing running
  for _ in $(seq 600); do
    [ "$(end_offsets STATS 8)" -ge "$target" ] && break
    sleep 0.05
  done
  kill -KILL "$pid" 2> /dev/null && kills=$((kills + 1)) || true
  wait "$pid" 2> /dev/null || true
  echo "chunk $c produced; eddy run killed with SIGKILL at ~$(end_offsets STATS 8) output records (target $target)"
done
echo "figures: STATS has $(end_offsets STATS 8) records, at most $(most_in_a_partition STATS 8) in a partition (the broker keeps about 45,000 of these rows)"
check_eq "SIGKILLs delivered" 5 "$kills"
timeout 600 "$EDDY" run "$work/crash.ksql" --bootstrap-servers "$BOOTSTRAP" \
  --state-dir "$work/state" --until-caught-up >> "$work/crash.log" 2>&1 || { tail -20 "$work/crash.log"; fail "final run failed"; }
timeout 600 "$EDDY" run "$work/ref.ksql" --bootstrap-servers "$BOOTSTRAP" \
  --state-dir "$work/refstate" --until-caught-up > "$work/ref.log" 2>&1 || { tail -20 "$work/ref.log"; fail "reference run failed"; }

# The final tables: the last value per (user, window).
row='"\(.U) \(.WS) \(.N) \(.TOTAL) \(.AVERAGE)"'
changelog_table STATS "$row" > "$work/crash.table"
changelog_table STATS_REF "$row" > "$work/ref.table"
window_totals "$work/input.txt" > "$work/awk.table"

rows=$(wc -l < "$work/awk.table")
check_eq "reference table has a row per (user, window)" "$rows" "$(wc -l < "$work/ref.table")"
check_eq "crashed table has a row per (user, window)" "$rows" "$(wc -l < "$work/crash.table")"
cut -d' ' -f1-4 "$work/crash.table" > "$work/crash.cmp"
cut -d' ' -f1-4 "$work/ref.table" > "$work/ref.cmp"
check "crashed run's COUNT and SUM equal the uninterrupted run's" cmp -s "$work/crash.cmp" "$work/ref.cmp"
check "and equal awk's, computed from the input" cmp -s "$work/crash.cmp" "$work/awk.table"
check "AVG equals SUM / COUNT everywhere" \
  awk '{ if ($5 - $4 / $3 > 1e-9 || $4 / $3 - $5 > 1e-9) bad++ } END { exit bad > 0 }' "$work/crash.table"
check "AVG values equal the uninterrupted run's" cmp -s "$work/crash.table" "$work/ref.table"
total=$(kcat -C -b "$BOOTSTRAP" -t STATS -o beginning -e -q -f '.\n' | wc -l)
echo "output records on STATS: $total (200000 without crashes; the excess is output re-emitted after the last checkpoint before each crash)"
[ "$total" -ge 200000 ] || fail "fewer output records than inputs: updates were lost"
echo "PASS: after 5 SIGKILLs the final table equals the uninterrupted run's, $rows rows"
