#!/usr/bin/env bash
# Event-time order across partitions: a 1-minute tumbling COUNT per group
# (a value column, so a group's records are in every partition) with a
# 1-minute grace, EMIT CHANGES and EMIT FINAL, over a 4-partition topic
# whose partition 0 was written after the others (its records cover the
# same hour of event time).  The queries start once all records are
# there; they must take them in timestamp order across the partitions, so
# that no window closes before partition 0's records for it are counted:
# every (group, window) count equals awk's over the input, and EMIT FINAL
# emits each closed window once.  (Taken in the order the consumer
# returns them, one partition's records went first and closed windows the
# others still had records for.)
set -euo pipefail
: "${EDDY:?path to the eddy binary}" "${EDDY_SRC:?repo root}"
source "$EDDY_SRC/tests/integration/lib.sh"

work=$(mktemp -d)
[ -n "${KEEP_WORK:-}" ] || add_exit_trap "rm -rf '$work'"; echo "work dir: $work"
start_broker --topic ev:4 --topic probe:4 --topic COUNTS:4 --topic FINALS:4
load() {  # $1 = file, $2 = topic
  "$EDDY" load "$1" --topic "$2" --key ID --time-column TS --as-fast-as-possible \
    --bootstrap-servers "$BOOTSTRAP" >> "$work/load.log" 2>&1 || { tail "$work/load.log"; fail "eddy load $1"; }
}

# Which partition each of 40 keys goes to (the producer's murmur2).
for i in $(seq 0 39); do printf '{"ID":"K%d","TS":0}\n' "$i"; done > "$work/probe.json"
load "$work/probe.json" probe
kcat -C -b "$BOOTSTRAP" -t probe -o beginning -e -q -f '%k %p\n' > "$work/keys.txt"
check_eq "every probe key is placed" 40 "$(wc -l < "$work/keys.txt")"
grep -q ' 0$' "$work/keys.txt" || fail "no probe key lands on partition 0"

# 6,000 records over an hour of event time, random keys and groups, each
# partition's records in time order; partition 0's go to late.json,
# written after the others.
start=1700038800000   # 2023-11-15T09:00:00Z; any hour will do
awk -v start="$start" -v n=6000 'NR == FNR { part[$1] = $2; keys[NR] = $1; nk = NR; next }
  END { srand(11);
        for (i = 0; i < n; i++) {
          k = keys[int(rand() * nk) + 1]; ts = start + int(i * 3600000 / n);
          line = sprintf("{\"ID\":\"%s\",\"G\":\"G%d\",\"TS\":%.0f}", k, int(rand() * 5), ts);
          print line > (part[k] == 0 ? late : early) } }' \
  late="$work/late.json" early="$work/early.json" "$work/keys.txt" /dev/null
echo "records: $(wc -l < "$work/early.json") in partitions 1-3, $(wc -l < "$work/late.json") in partition 0"
load "$work/early.json" ev
load "$work/late.json" ev
check_eq "all records in the topic" 6000 "$(end_offsets ev 4)"

printf '%s\n' "SET 'auto.offset.reset' = 'earliest';" \
  "CREATE STREAM ev (id STRING KEY, g STRING, ts BIGINT) WITH (kafka_topic = 'ev', value_format = 'JSON');" \
  "CREATE TABLE counts AS SELECT g, AS_VALUE(g) AS grp, WINDOWSTART AS ws, COUNT(*) AS n FROM ev
     WINDOW TUMBLING (SIZE 1 MINUTE, GRACE PERIOD 1 MINUTE) GROUP BY g EMIT CHANGES;" \
  "CREATE TABLE finals AS SELECT g, AS_VALUE(g) AS grp, WINDOWSTART AS ws, COUNT(*) AS n FROM ev
     WINDOW TUMBLING (SIZE 1 MINUTE, GRACE PERIOD 1 MINUTE) GROUP BY g EMIT FINAL;" > "$work/q.ksql"
timeout 600 "$EDDY" run "$work/q.ksql" --bootstrap-servers "$BOOTSTRAP" --state-dir "$work/state" \
  --until-caught-up > "$work/run.log" 2>&1 || { tail -20 "$work/run.log"; fail "eddy run failed"; }

cat "$work/early.json" "$work/late.json" |
  jq -r '"\(.G) \(.TS - .TS % 60000)"' | sort | uniq -c | awk '{ print $2, $3, $1 }' | sort \
  > "$work/expected.txt"
# EMIT FINAL emits a window once its end + grace <= the slowest
# partition's stream time (its largest timestamp): all but the last two.
slowest=$(cat "$work/early.json" "$work/late.json" | jq -r '"\(.ID) \(.TS)"' |
  awk 'NR == FNR { part[$1] = $2; next } { p = part[$1]; if ($2 > max[p]) max[p] = $2 }
       END { m = -1; for (p in max) if (m < 0 || max[p] < m) m = max[p]; printf "%.0f\n", m }' \
    "$work/keys.txt" -)
awk -v t="$slowest" '$2 + 120000 <= t' "$work/expected.txt" > "$work/expected_final.txt"
changelog_table COUNTS '"\(.GRP) \(.WS) \(.N)"' > "$work/counts.txt"
kcat -C -b "$BOOTSTRAP" -t FINALS -o beginning -e -q -f '%s\n' | jq -r '"\(.GRP) \(.WS) \(.N)"' | sort \
  > "$work/finals.txt"
echo "windows: $(wc -l < "$work/expected.txt") (group, minute) counts expected;" \
  "$(wc -l < "$work/counts.txt") in COUNTS, $(wc -l < "$work/finals.txt") emitted to FINALS"
check_eq "EMIT CHANGES: a count per (group, window)" "$(wc -l < "$work/expected.txt")" \
  "$(wc -l < "$work/counts.txt")"
check "EMIT CHANGES: every count equals awk's over the input" cmp -s "$work/expected.txt" "$work/counts.txt"
check_eq "EMIT FINAL: one record per closed (group, window)" "$(wc -l < "$work/expected_final.txt")" \
  "$(wc -l < "$work/finals.txt")"
check "EMIT FINAL: every count equals awk's over the input" cmp -s "$work/expected_final.txt" "$work/finals.txt"
echo "PASS: a partition written after the others is counted in every window"
