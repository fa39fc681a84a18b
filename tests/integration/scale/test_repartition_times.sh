#!/usr/bin/env bash
# Stream time through a repartition topic (engine/README.md "Scale-out",
# op_exchange.c): a windowed GROUP BY on a value, GRACE PERIOD 0, its
# groups spread over 4 tasks through the repartition topic (one member with
# service.id), run beside a single-process reference without service.id,
# over input made so that a task which did not hear every source
# partition's stream time would answer differently:
#   phase 1: partitions 0-2 give every region a row in the first minute;
#            partition 3 (the slow one) gives rows of region R0 only, so
#            the tasks that do not own R0 hear of partition 3 only through
#            its time marks;
#   phase 2: partitions 0-2 run on to minute 9 with every region, then to
#            minute 12 with region R1 only; then partition 0 gives every
#            region a row of minute 10, late against partition 0's time
#            (its window ends at minute 11), which only the time each
#            entry carries tells the tasks that do not own R1;
#   phase 3: partition 3 gives every region a row of second 30: not late
#            for partition 3, whose windows of the first minute must still
#            be there (a task that forgot partition 3 would have expired
#            them, the others' time being minute 12).
# The final table must equal the reference's and awk's (per partition: a
# row counts unless its window ends at or before the largest time before it
# in its partition).
# The same for a stream-stream LEFT JOIN on a value (views and buys of
# items, WITHIN 1 MINUTE, GRACE PERIOD 0), its keys spread over the 4
# tasks: in phase 1 views of every item come on partitions 0-2 and a buy
# of item I0 only on partition 3; in phase 2 the views run on to minute 12;
# in phase 3 partition 3 brings a buy of every item at second 30.  One
# process's close time waits for partition 3, so every view of phase 1
# meets its buy; a task that did not hear partition 3's time (its marks)
# would have closed those views with nulls.  The join's output must be the
# reference's and awk's 33 matched rows.
set -euo pipefail
: "${EDDY:?path to the eddy binary}" "${EDDY_SRC:?repo root}"
source "$EDDY_SRC/tests/integration/lib.sh"

work=$(mktemp -d)
[ -n "${KEEP_WORK:-}" ] || add_exit_trap "rm -rf '$work'"; echo "work dir: $work"
cd "$work"
start_broker --topic events:4 --topic STATS:4 --topic STATS_REF:4 --topic views:4 --topic buys:4 \
  --topic SOLD:4 --topic SOLD_REF:4

T0=1700000040000   # a minute's start
# row PARTITION REGION MS AMOUNT: "partition|key|json", the key naming the
# partition (the records are produced to it explicitly)
row() { printf '%d|K%d|{"REGION":"R%d","AMOUNT":%d,"TS":%d}\n' "$1" "$1" "$2" "$4" $((T0 + $3)); }
{
  for p in 0 1 2; do for g in $(seq 0 9); do row "$p" "$g" $((g * 1000)) $((p * 10 + g + 1)); done; done
  for s in 1 2 3; do row 3 0 $((s * 1000)) 7; done
} > phase1.txt
{
  for p in 0 1 2; do
    for m in 5 6 7 8 9; do for g in $(seq 0 9); do row "$p" "$g" $((m * 60000 + g * 100)) $((m + g)); done; done
    row "$p" 1 720000 3
  done
  for g in $(seq 0 9); do row 0 "$g" $((10 * 60000 + 30000)) 100; done
} > phase2.txt
for g in $(seq 0 9); do row 3 "$g" 30000 $((g + 50)); done > phase3.txt
# jrow TOPIC PARTITION ID ITEM MS: "topic|partition|key|json"
jrow() { printf '%s|%d|%s|{"ITEM":"I%d","TS":%d}\n' "$1" "$2" "$3" "$4" $((T0 + $5)); }
{
  for p in 0 1 2; do for g in $(seq 0 9); do jrow views "$p" "V${p}_$g" "$g" $((g * 1000)); done; done
  jrow buys 3 B3_0 0 1000
} > jphase1.txt
for p in 0 1 2; do
  for m in 5 6 7 8 9 12; do for g in $(seq 0 9); do jrow views "$p" "V${p}_${g}_$m" "$g" $((m * 60000)); done; done
done > jphase2.txt
for g in $(seq 0 9); do jrow buys 3 "B3L_$g" "$g" 30000; done > jphase3.txt
{
  for p in 0 1 2; do for g in $(seq 0 9); do echo "I$g V${p}_$g B3L_$g"; done; echo "I0 V${p}_0 B3_0"; done
} | sort > awk.sold

ddl="CREATE STREAM events (k STRING KEY, region STRING, amount BIGINT, ts BIGINT)
  WITH (kafka_topic = 'events', value_format = 'JSON', timestamp = 'ts');"
ddl="$ddl
CREATE STREAM views (id STRING KEY, item STRING, ts BIGINT)
  WITH (kafka_topic = 'views', value_format = 'JSON', timestamp = 'ts');
CREATE STREAM buys (id STRING KEY, item STRING, ts BIGINT)
  WITH (kafka_topic = 'buys', value_format = 'JSON', timestamp = 'ts');"
query() {  # $1 = sink name of the aggregate, $2 = of the join
  echo "CREATE TABLE $1 AS
  SELECT region, UCASE(region) AS r, WINDOWSTART AS ws, COUNT(*) AS n, SUM(amount) AS total
  FROM events WINDOW TUMBLING (SIZE 1 MINUTE, GRACE PERIOD 0 SECONDS) GROUP BY region EMIT CHANGES;
CREATE STREAM $2 AS SELECT v.item AS item, v.id AS view, b.id AS buy
  FROM views v LEFT JOIN buys b WITHIN 1 MINUTE GRACE PERIOD 0 SECONDS ON v.item = b.item;"
}
printf "SET 'service.id' = 'times_app';\nSET 'auto.offset.reset' = 'earliest';\nSET 'commit.interval.ms' = '500';\n%s\n%s\n" \
  "$ddl" "$(query stats sold)" > member.ksql
printf "SET 'auto.offset.reset' = 'earliest';\nSET 'num.stream.threads' = '1';\n%s\n%s\n" \
  "$ddl" "$(query stats_ref sold_ref)" > ref.ksql

"$EDDY" run member.ksql --bootstrap-servers "$BOOTSTRAP" --state-dir state_m --verbose > member.log 2>&1 &
pid_m=$!
add_exit_trap "kill -KILL $pid_m 2> /dev/null || true"
"$EDDY" run ref.ksql --bootstrap-servers "$BOOTSTRAP" --state-dir state_r > ref.log 2>&1 &
pid_r=$!
add_exit_trap "kill -KILL $pid_r 2> /dev/null || true"
wait_for 60 grep -q 'tasks \[0,1,2,3\] of 4' member.log || { tail -20 member.log; fail "the member was not given the 4 tasks"; }
wait_for 60 grep -q "Created query" ref.log || { tail -20 ref.log; fail "the reference did not start"; }

# settle N: waits until both have written N output records between them
# (each row that is not late makes one update on each), then a moment for
# the time marks of the last batch.
settle() {
  wait_for 60 bash -c "[ \$(( \$(kcat -C -b $BOOTSTRAP -t STATS -e -q -f '.' 2> /dev/null | wc -c) + \$(kcat -C -b $BOOTSTRAP -t STATS_REF -e -q -f '.' 2> /dev/null | wc -c) )) -ge $1 ]" ||
    fail "the members' and the reference's output did not reach $1 records"
  sleep 2
}
produce() {  # $1 = file: each line to its partition, in order; $2 = join file
  for p in 0 1 2 3; do
    grep "^$p|" "$1" | cut -d'|' -f2- > "$1.p$p" || true
    if [ -s "$1.p$p" ]; then kcat -P -b "$BOOTSTRAP" -t events -p "$p" -K '|' -l "$1.p$p"; fi
    for t in views buys; do
      grep "^$t|$p|" "$2" | cut -d'|' -f3- > "$2.$t$p" || true
      if [ -s "$2.$t$p" ]; then kcat -P -b "$BOOTSTRAP" -t "$t" -p "$p" -K '|' -l "$2.$t$p"; fi
    done
  done
}
# The rows that count, per partition in order (awk), and the expected
# table: "region window-start count sum".
expected() {
  cat "$@" | awk -F'|' '{ split($3, f, /[:,}]/); r = f[2]; gsub(/"/, "", r); a = f[4]; t = f[6]
      p = $1; w = t - t % 60000
      if (p in max && w + 60000 <= max[p]) { late++; next }
      if (!(p in max) || t > max[p]) max[p] = t
      k = r " " sprintf("%.0f", w); n[k]++; s[k] += a; kept++ }
    END { for (k in n) printf "%s %d %.0f\n", k, n[k], s[k] > "/dev/stdout"
          printf "%d %d\n", kept, late > "/dev/stderr" }' | sort
}

produce phase1.txt jphase1.txt
settle $((2 * 33))
produce phase2.txt jphase2.txt
settle $((2 * (33 + 153)))
produce phase3.txt jphase3.txt
expected phase1.txt phase2.txt phase3.txt > awk.table 2> counts.txt
read -r kept late < counts.txt
echo "figures: $kept rows count, $late late (dropped)"
settle $((2 * kept))

changelog_table STATS '"\(.R) \(.WS) \(.N) \(.TOTAL)"' > member.table
changelog_table STATS_REF '"\(.R) \(.WS) \(.N) \(.TOTAL)"' > ref.table
repart=$(kcat -C -b "$BOOTSTRAP" -t "times_app-$(grep -o 'CTAS_STATS_[0-9]*' member.log | head -1)-Aggregate-GroupBy-repartition" -e -q -f '%S\n' 2> /dev/null)
echo "figures: repartition records: $(echo "$repart" | grep -c . || true), of which time marks: $(echo "$repart" | grep -cx 65 || true)"
diff member.table ref.table | head -20 || true
check_eq "the input has late rows (for partition 0's time)" 10 "$late"
check "the reference's table equals awk's" cmp ref.table awk.table
check "the member's table, its groups spread over 4 tasks, equals the reference's" cmp member.table ref.table
check "the first minute of partition 3's regions counts every partition's rows" \
  grep -q "^R5 $T0 4 " member.table

# The join.
sold() {  # $1 = topic: "item view buy" per distinct output row, sorted
  kcat -C -b "$BOOTSTRAP" -t "$1" -o beginning -e -q -f '%k|%s\n' 2> /dev/null |
    jq -rR 'split("|") as $f | ($f[1] | fromjson) as $v | "\($f[0]) \($v.VIEW) \($v.BUY)"' | sort -u
}
wait_for 30 bash -c "[ \$(kcat -C -b $BOOTSTRAP -t SOLD_REF -e -q -f '.' 2> /dev/null | wc -c) -ge 33 ]" || true
sold SOLD > member.sold
sold SOLD_REF > ref.sold
diff member.sold ref.sold | head -10 || true
check "the reference's join equals awk's (every view of phase 1 met its buys)" cmp ref.sold awk.sold
check "the member's join, its keys spread over 4 tasks, equals the reference's" cmp member.sold ref.sold
