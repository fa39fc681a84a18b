#!/usr/bin/env bash
# Offsets for times through a real broker process (`eddy broker`): the
# development broker answers "none" (-1) for every time, kcat -Q shows it,
# so the Kafka transport finds the offsets in the records' own timestamps.
# Records with explicit timestamps are loaded with `eddy load` (kcat 1.7
# cannot set a timestamp): one key with 15,000 records (more than the
# search reads in one window, so it bisects) in runs of equal times, and
# ten keys with rising times, some late.  For times before, on, between and
# after the records, every partition's offset must be Kafka's answer as a
# brute-force pass over kcat's dump of the topic computes it: the first
# record whose timestamp is >= the time, else the partition's end.  No eddy
# command asks for offsets by time yet (REPLAY ... FROM TIMESTAMP will), so
# the unit test binary has a mode that does.
set -euo pipefail
: "${EDDY:?path to the eddy binary}" "${EDDY_SRC:?repo root}"
source "$EDDY_SRC/tests/integration/lib.sh"

probe="$(dirname "$EDDY")/test_transport_kafka"
[ -x "$probe" ] || fail "$probe not built (it asks for the offsets)"

work=$(mktemp -d)
add_exit_trap "rm -rf '$work'"
parts=8
start_broker --topic "times:$parts"

base=1672531200000   # 2023-01-01T00:00:00Z
awk -v base="$base" 'BEGIN {
  print "id,t"
  for (i = 0; i < 15000; i++) printf "big,%.0f\n", base + 2 * int(i / 3)
  for (j = 0; j < 200; j++) printf "k%d,%.0f\n", j % 10, base + 100 * j - (j % 7 == 3 ? 450 : 0)
}' > "$work/times.csv"
"$EDDY" load "$work/times.csv" --topic times --bootstrap-servers "$BOOTSTRAP" --key id \
  --time-column t --as-fast-as-possible 2> "$work/load.err" || { cat "$work/load.err"; fail "eddy load failed"; }
check "loaded 15200 records" grep -q 'sent 15200 records to times' "$work/load.err"

kcat -C -b "$BOOTSTRAP" -t times -e -o beginning -q -f '%p %o %T\n' > "$work/dump.txt"
check_eq "records read back" 15200 "$(wc -l < "$work/dump.txt" | tr -d ' ')"
counts=$(awk '{ n[$1]++ } END { for (p = 0; p < parts; p++) printf "%d ", n[p] + 0 }' parts="$parts" "$work/dump.txt")
echo "records per partition: $counts"
check "some partition is empty (the test needs one)" grep -qw 0 <<< "$counts"
check "one partition holds more than 10000 records" \
  awk '{ for (i = 1; i <= NF; i++) if ($i > 10000) ok = 1 } END { exit !ok }' <<< "$counts"

answers=$(for p in $(seq 0 $((parts - 1))); do
  kcat -Q -b "$BOOTSTRAP" -t "times:$p:$((base + 5000))" 2> /dev/null |
    sed -n 's/.*offset \(-\?[0-9]*\).*/\1/p'
done | tr '\n' ' ')
echo "the broker's own answers for time $((base + 5000)) (kcat -Q), partitions 0..$((parts - 1)): $answers"

times="0 $((base - 1)) $base $((base + 1)) $((base + 2)) $((base + 3)) $((base + 1001))"
times+=" $((base + 5000)) $((base + 6666)) $((base + 6667)) $((base + 9998)) $((base + 9999))"
times+=" $((base + 10000)) $((base + 150)) $((base + 250)) $((base + 300)) $((base + 750))"
times+=" $((base + 19900)) $((base + 19901)) $((base + 100000))"
t0=$(date +%s%N)
"$probe" offsets-for-times "$BOOTSTRAP" times $times > "$work/got.txt" ||
  fail "offsets for times failed"
t1=$(date +%s%N)
n=$(wc -w <<< "$times")
echo "offsets for $n times: $(( (t1 - t0) / 1000000 )) ms in all (one process, $parts partitions each)"

# Kafka's answer by brute force: kcat lists each partition in offset order.
for ts in $times; do
  awk -v ts="$ts" '{ n[$1]++; if (!($1 in first) && $3 >= ts) first[$1] = $2 }
    END { for (p = 0; p < parts; p++) printf "%s %d %d\n", ts, p, (p in first) ? first[p] : n[p] + 0 }' \
    parts="$parts" "$work/dump.txt"
done > "$work/want.txt"
if ! diff "$work/want.txt" "$work/got.txt" > "$work/diff.txt"; then
  head -20 "$work/diff.txt"
  fail "offsets for times differ from the records' (< brute force, > eddy)"
fi
echo "ok: $(wc -l < "$work/got.txt" | tr -d ' ') partition offsets equal the brute force's"
check "and they are not all starts and ends (the times fall inside partitions)" \
  test "$(cut -d' ' -f3 "$work/got.txt" | sort -u | wc -l)" -gt 20
echo "PASS"
