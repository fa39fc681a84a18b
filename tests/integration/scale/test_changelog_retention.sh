#!/usr/bin/env bash
# A changelog longer than the broker keeps: the development broker keeps
# about 5 MB per partition and drops the oldest records.  A windowed COUNT
# per key (3,000 keys) over 200,000 records on one task (num.stream.threads = 1), a
# checkpoint every 20 ms, writes far more than 5 MB to each store's
# changelog partition; eddy writes a changelog whole again (a reset, then
# every key) once enough was written after its last reset, so a restore
# needs nothing the broker dropped.  The state directory is then deleted:
# the restore must succeed and the final table equal awk's.  Figures: how
# far the broker dropped, how many whole writes.
set -euo pipefail
: "${EDDY:?path to the eddy binary}" "${EDDY_SRC:?repo root}"
source "$EDDY_SRC/tests/integration/lib.sh"

work=$(mktemp -d)
[ -n "${KEEP_WORK:-}" ] || add_exit_trap "rm -rf '$work'"; echo "work dir: $work"
cd "$work"
start_broker --topic events:8 --topic STATS:8

user_events 200000 3000 1000 1 > input.txt
head -n 180000 input.txt > first.txt
tail -n 20000 input.txt > last.txt
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
kcat -P -b "$BOOTSTRAP" -t events -K '|' -l first.txt
timeout 600 "$EDDY" run q.ksql --bootstrap-servers "$BOOTSTRAP" --state-dir state --until-caught-up \
  --verbose > run1.log 2>&1 || { tail -20 run1.log; fail "run 1 failed"; }
rewrites=$(grep -c "written whole to its changelog" run1.log || true)
low=$(kcat -b "$BOOTSTRAP" -Q -t long_app-CTAS_STATS_1-aggregate-changelog:0:-2 2> /dev/null | awk '{ print $NF }')
high=$(kcat -b "$BOOTSTRAP" -Q -t long_app-CTAS_STATS_1-aggregate-changelog:0:-1 2> /dev/null | awk '{ print $NF }')
echo "figures: $rewrites whole writes; the aggregate's changelog keeps offsets $low to $high"
check "the broker dropped the oldest records of the aggregate's changelog" [ "$low" -gt 0 ]

rm -rf state
kcat -P -b "$BOOTSTRAP" -t events -K '|' -l last.txt
timeout 600 "$EDDY" run q.ksql --bootstrap-servers "$BOOTSTRAP" --state-dir state --until-caught-up \
  --verbose > run2.log 2>&1 || { tail -20 run2.log; fail "run 2 failed"; }
grep "restored from its changelog" run2.log
check "run 2 restored from what the broker kept" grep -q "restored from its changelog" run2.log
row='"\(.U) \(.WS) \(.N) \(.TOTAL)"'
changelog_table STATS "$row" > got.table
window_totals input.txt > awk.table
check_eq "a row per (user, window)" "$(wc -l < awk.table)" "$(wc -l < got.table)"
check "COUNT and SUM equal awk's" cmp -s got.table awk.table
check "the changelog was written whole again during run 1" [ "$rewrites" -ge 1 ]
