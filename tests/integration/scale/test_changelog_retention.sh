#!/usr/bin/env bash
# A changelog longer than the broker keeps: the development broker keeps
# about 100,000 records (5 MB) per partition and drops the oldest.  A
# windowed COUNT per key (3,000 keys) on one task (num.stream.threads = 1),
# a checkpoint every 20 ms, writes to each store's changelog partition as
# many records as it runs checkpoints; eddy writes a changelog whole again
# (a reset, then every key) once enough was written after its last reset,
# so a restore needs nothing the broker dropped.  Run 1 takes the input in
# rounds of 60,000 records until the broker has dropped the oldest records
# of the changelog (how many checkpoints a round runs depends on the
# machine's speed, so the round count is not fixed).  The state directory
# is then deleted: the restore must succeed and the final table equal
# awk's.  Figures: rounds, how far the broker dropped, how many whole
# writes.
set -euo pipefail
: "${EDDY:?path to the eddy binary}" "${EDDY_SRC:?repo root}"
source "$EDDY_SRC/tests/integration/lib.sh"

work=$(mktemp -d)
[ -n "${KEEP_WORK:-}" ] || add_exit_trap "rm -rf '$work'"; echo "work dir: $work"
cd "$work"
start_broker --topic events:8 --topic STATS:8

user_events 440000 3000 1000 1 > input.txt
cat > q.ksql <<'KSQL'
SET 'service.id' = 'long_app';
SET 'task.assignment' = 'none';
SET 'num.stream.threads' = '1';
SET 'auto.offset.reset' = 'earliest';
SET 'commit.interval.ms' = '20';
CREATE STREAM events (user STRING KEY, amount BIGINT, ts BIGINT)
  WITH (kafka_topic = 'events', value_format = 'JSON', timestamp = 'ts');
CREATE TABLE stats AS
  SELECT user, UCASE(user) AS u, WINDOWSTART AS ws, COUNT(*) AS n, SUM(amount) AS total
  FROM events WINDOW TUMBLING (SIZE 1 MINUTE) GROUP BY user EMIT CHANGES;
KSQL
changelog=long_app-CTAS_STATS_1-aggregate-changelog
low=0 used=0 rounds=0
while [ "$low" -eq 0 ] && [ "$rounds" -lt 7 ]; do
  rounds=$((rounds + 1))
  sed -n "$((used + 1)),$((used + 60000))p" input.txt | kcat -P -b "$BOOTSTRAP" -t events -K '|'
  used=$((used + 60000))
  timeout 600 "$EDDY" run q.ksql --bootstrap-servers "$BOOTSTRAP" --state-dir state --until-caught-up \
    --verbose >> run1.log 2>&1 || { tail -20 run1.log; fail "run 1, round $rounds failed"; }
  low=$(kcat -b "$BOOTSTRAP" -Q -t "$changelog:0:-2" 2> /dev/null | awk '{ print $NF }')
done
rewrites=$(grep -c "written whole to its changelog" run1.log || true)
high=$(kcat -b "$BOOTSTRAP" -Q -t "$changelog:0:-1" 2> /dev/null | awk '{ print $NF }')
echo "figures: $rounds rounds of 60,000 records, $rewrites whole writes; the aggregate's changelog keeps offsets $low to $high"
check "the broker dropped the oldest records of the aggregate's changelog" [ "$low" -gt 0 ]

rm -rf state
sed -n "$((used + 1)),$((used + 20000))p" input.txt | kcat -P -b "$BOOTSTRAP" -t events -K '|'
used=$((used + 20000))
head -n "$used" input.txt > used.txt
timeout 600 "$EDDY" run q.ksql --bootstrap-servers "$BOOTSTRAP" --state-dir state --until-caught-up \
  --verbose > run2.log 2>&1 || { tail -20 run2.log; fail "run 2 failed"; }
grep "restored from its changelog" run2.log
check "run 2 restored from what the broker kept" grep -q "restored from its changelog" run2.log
row='"\(.U) \(.WS) \(.N) \(.TOTAL)"'
changelog_table STATS "$row" > got.table
window_totals used.txt > awk.table
check_eq "a row per (user, window)" "$(wc -l < awk.table)" "$(wc -l < got.table)"
check "COUNT and SUM equal awk's" cmp -s got.table awk.table
check "the changelog was written whole again during run 1" [ "$rewrites" -ge 1 ]
