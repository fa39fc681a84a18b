#!/usr/bin/env bash
# A foreign-key join (an orders table joined on its USER value column to a
# users table keyed by user) with tasks shared by three members
# (engine/README.md "Scale-out", repartition topics): the orders stay in
# their own tasks, the users' rows go to every task through the query's
# repartition topic.  Orders move between users and are deleted, users
# move between regions and are deleted and come back, all while 5
# SIGKILLs of random members land (one with its state directory deleted),
# each killed member restarted at once.  The join's final table must equal
# an uninterrupted single-process run's and awk's (each live order's last
# row with its user's last region, none for an order whose user is gone);
# EXPLAIN names the repartition topic; updates emitted again are printed.
set -euo pipefail
: "${EDDY:?path to the eddy binary}" "${EDDY_SRC:?repo root}"
source "$EDDY_SRC/tests/integration/lib.sh"

work=$(mktemp -d)
[ -n "${KEEP_WORK:-}" ] || add_exit_trap "rm -rf '$work'"; echo "work dir: $work"
start_broker --topic orders:12 --topic users:12 --topic ORDER_REGION:12 --topic ORDER_REGION_REF:12
seed=${CRASH_SEED:-$RANDOM}
echo "random seed: $seed (set CRASH_SEED to repeat)"
RANDOM=$seed
APP=fk_app
KILLS=5

# Users: 300, then 3,000 changes of region; every 40th change a deletion
# (an empty value, sent as null with kcat -Z); a deleted user may come back.
awk 'BEGIN { for (u = 0; u < 300; u++) printf "U%d|{\"REGION\":\"R%d\"}\n", u, u % 7
             for (i = 0; i < 3000; i++) { u = (i * 7919) % 300
               if (i % 40 == 39) printf "U%d|\n", u
               else printf "U%d|{\"REGION\":\"R%d\"}\n", u, (i * 13) % 37 } }' > "$work/users.txt"
# Orders: 6,000, then 6,000 changes that move an order to another user or
# change its amount; every 25th change a deletion.
awk 'BEGIN { for (i = 0; i < 6000; i++)
               printf "O%d|{\"USER\":\"U%d\",\"AMOUNT\":%d}\n", i, (i * 7919) % 300, i % 100 + 1
             for (i = 0; i < 6000; i++) { o = (i * 4099) % 6000
               if (i % 25 == 24) printf "O%d|\n", o
               else printf "O%d|{\"USER\":\"U%d\",\"AMOUNT\":%d}\n", o, (i * 31) % 300, i % 500 + 1 } }' > "$work/orders.txt"
split -n l/10 -d "$work/users.txt" "$work/uchunk."
split -n l/10 -d "$work/orders.txt" "$work/ochunk."
ddl="SET 'auto.offset.reset' = 'earliest';
SET 'commit.interval.ms' = '1000';
SET 'num.stream.threads' = '1';
CREATE TABLE orders (id STRING PRIMARY KEY, user STRING, amount BIGINT)
  WITH (kafka_topic = 'orders', value_format = 'JSON');
CREATE TABLE users (user STRING PRIMARY KEY, region STRING)
  WITH (kafka_topic = 'users', value_format = 'JSON');"
query() {  # $1 = sink name
  echo "CREATE TABLE $1 AS SELECT o.id AS id, o.user AS user, o.amount AS amount, u.region AS region
  FROM orders o JOIN users u ON o.user = u.user;"
}
printf "SET 'service.id' = '%s';\n%s\n%s\n" "$APP" "$ddl" "$(query order_region)" > "$work/member.ksql"
printf "%s\n%s\n" "$ddl" "$(query order_region_ref)" > "$work/ref.ksql"

declare -A pids
start_members ORDER_REGION
topic="$APP-$qid-Join-repartition"

kills=0
for k in $(seq 0 9); do
  kcat -P -b "$BOOTSTRAP" -t users -K '|' -Z -l "$work/uchunk.$(printf %02d "$k")"
  kcat -P -b "$BOOTSTRAP" -t orders -K '|' -Z -l "$work/ochunk.$(printf %02d "$k")" &
  producer=$!
  if [ "$k" -lt "$KILLS" ]; then
    victim=$((RANDOM % 3 + 1))
    kill_member_when ORDER_REGION "$victim"
    kills=$((kills + 1))
    how=kept
    if [ "$k" -eq 2 ]; then
      rm -rf "$work/state$victim"
      how=deleted
    fi
    echo "kill $((k + 1)): member $victim at $(end_offsets ORDER_REGION 12) output records, state directory $how"
  fi
  wait "$producer"
  [ "$k" -lt "$KILLS" ] && member "$victim"
done
check_eq "SIGKILLs delivered" "$KILLS" "$kills"

# The table a sink topic ends as: the last value per key (a key's records
# are in one partition), deletions dropped; "order user amount region".
final_table() {
  kcat -C -b "$BOOTSTRAP" -t "$1" -o beginning -e -q -Z -f '%p %o %k|%s\n' 2> /dev/null |
    sort -k1,1n -k2,2n | cut -d' ' -f3- |
    awk -F'|' '{ last[$1] = $2 } END { for (k in last) if (last[k] != "NULL" && last[k] != "") print k "|" last[k] }' |
    jq -rR 'split("|") as $f | ($f[1] | fromjson) as $v | "\($f[0]) \($v.USER) \($v.AMOUNT) \($v.REGION)"' |
    sort
}
# Expected, from the inputs: each order's last row, with its user's last
# region, if both are there.
awk -F'|' 'FNR == 1 { file++ }
           file == 1 { if ($2 == "") delete region[$1]; else { split($2, f, /"/); region[$1] = f[4] } }
           file == 2 { if ($2 == "") delete order[$1]; else order[$1] = $2 }
           END { for (o in order) { split(order[o], f, /[:,}]/); u = f[2]; gsub(/"/, "", u)
                   if (u in region) printf "%s %s %s %s\n", o, u, f[4], region[u] } }' \
  "$work/users.txt" "$work/orders.txt" | sort > "$work/awk.table"
for _ in $(seq 180); do
  final_table ORDER_REGION > "$work/members.table"
  cmp -s "$work/members.table" "$work/awk.table" && break
  sleep 1
done
timeout 600 "$EDDY" run "$work/ref.ksql" --bootstrap-servers "$BOOTSTRAP" \
  --state-dir "$work/refstate" --until-caught-up > "$work/ref.log" 2>&1 || { tail -20 "$work/ref.log"; fail "reference run failed"; }
final_table ORDER_REGION_REF > "$work/ref.table"

"$EDDY" exec --state-dir "$work/state1" -e "EXPLAIN $qid;" > "$work/explain.out" 2>&1 || true
check "EXPLAIN names the repartition topic" grep -q "Repartition topic: $topic" "$work/explain.out"
check "EXPLAIN says the users' rows go to every task" grep -q "right table's row goes to every other task" "$work/explain.out"
sent=$(end_offsets "$topic" 12)
dropped=$(cat "$work"/member[123].log | sed -n 's/.*: \([0-9]*\) repartition records dropped.*/\1/p' |
  awk '{ s += $1 } END { print s + 0 }')
out=$(end_offsets ORDER_REGION 12) ref=$(end_offsets ORDER_REGION_REF 12)
echo "figures: $sent repartition records for 3,300 user changes (11 per change, to every other task), $dropped dropped as sent again after a kill; $out output records from the members, $ref from the uninterrupted run: $((out - ref)) emitted again"
for m in 1 2 3; do
  echo "member $m: $(grep -c '^--- start' "$work/member$m.log") starts, $(grep -c 'tasks \[' "$work/member$m.log") assignments"
done
check "user rows went to every other task through the repartition topic" [ "$sent" -ge $((3300 * 11)) ]
rows=$(wc -l < "$work/awk.table")
echo "expected rows: $rows of $(cut -d'|' -f1 "$work/orders.txt" | sort -u | wc -l) orders"
check "the uninterrupted run equals awk" cmp -s "$work/ref.table" "$work/awk.table"
diff "$work/members.table" "$work/awk.table" | head -5 || true
check_eq "the members' table has a row per live order with a live user" "$rows" "$(wc -l < "$work/members.table")"
check "the members' table equals the uninterrupted run's and awk's" cmp -s "$work/members.table" "$work/awk.table"
for m in 1 2 3; do kill -TERM "${pids[$m]}"; done
for m in 1 2 3; do wait "${pids[$m]}" || fail "member $m did not stop cleanly"; done
