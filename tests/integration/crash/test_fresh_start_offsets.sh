#!/usr/bin/env bash
# A stateful query started with auto.offset.reset = latest on an empty
# 2-partition topic, records arriving on partition 0 only; stopped with a
# checkpoint; records then arrive on both partitions while it is down;
# restarted.  Every record must be counted: the checkpoint carries where
# partition 1 starts (its fresh start) although it delivered nothing, so
# the restart does not take `latest` again for it and skip what arrived.
set -euo pipefail
: "${EDDY:?path to the eddy binary}" "${EDDY_SRC:?repo root}"
source "$EDDY_SRC/tests/integration/lib.sh"

work=$(mktemp -d)
[ -n "${KEEP_WORK:-}" ] || add_exit_trap "rm -rf '$work'"; echo "work dir: $work"
cd "$work"
start_broker --topic events:2 --topic COUNTS:1

cat > q.ksql <<'KSQL'
SET 'auto.offset.reset' = 'latest';
SET 'commit.interval.ms' = '100';
CREATE STREAM events (id STRING KEY, v BIGINT) WITH (kafka_topic = 'events', value_format = 'JSON');
CREATE TABLE counts AS SELECT id, COUNT(*) AS n FROM events GROUP BY id EMIT CHANGES;
KSQL
produce() {  # $1 = partition, $2 = key, $3 = count
  for ((i = 0; i < $3; i++)); do printf '%s|{"V":%d}\n' "$2" "$i"; done |
    kcat -P -b "$BOOTSTRAP" -t events -p "$1" -K '|'
}

"$EDDY" run q.ksql --bootstrap-servers "$BOOTSTRAP" --state-dir state > run1.log 2>&1 &
pid=$!
add_exit_trap "kill -KILL $pid 2> /dev/null || true"
wait_for 30 grep -q "Created query" run1.log || fail "the query did not start"
sleep 1   # its consumer is at the (empty) end of both partitions
produce 0 a 10
wait_for 30 bash -c "[ \$(kcat -C -b $BOOTSTRAP -t COUNTS -e -o beginning -q -f 'x\n' | wc -l) -ge 10 ]" ||
  fail "partition 0's records were not counted"
kill -TERM "$pid"
wait "$pid" || fail "the first run did not stop cleanly"

produce 0 a 5
produce 1 b 7   # partition 1's first records, while the query is down
"$EDDY" run q.ksql --bootstrap-servers "$BOOTSTRAP" --state-dir state --until-caught-up > run2.log 2>&1 ||
  { cat run2.log; fail "the second run failed"; }
table=$(kcat -C -b "$BOOTSTRAP" -t COUNTS -e -o beginning -q -f '%k %s\n' | jq -R -r 'split(" ") | .[0] + " " + (.[1] | fromjson | .N | tostring)' |
  awk '{ last[$1] = $2 } END { for (k in last) print k, last[k] }' | sort | tr '\n' ' ')
check_eq "every record counted, those of the partition that had delivered nothing included" "a 15 b 7 " "$table"
