#!/usr/bin/env bash
# Tasks shared by the members of one application (engine/README.md,
# "Scale-out", assigned mode): three `eddy run` processes with the same
# service.id run a windowed COUNT/SUM per key over a 12-partition input;
# and a stream-table join (events enriched with a users table, both on 12
# co-partitioned partitions); each query's consumer group gives each
# member some of the 12 tasks (members are `eddy server`s, so SHOW QUERIES
# EXTENDED can be asked of each: it lists the member's tasks).
# Records are produced throughout; one member is SIGKILLed mid-run (its
# tasks move to the others after its session timeout, their state restored
# from the changelog) and a fourth joins later (tasks move to it, state
# too).  The final table must equal, value for value, an uninterrupted
# single-process run's and awk's; every member must have run tasks.
# Figures: rebalances per member, restores, output records against the
# uninterrupted run's (the difference: updates emitted again after the
# kill and the moves).
set -euo pipefail
: "${EDDY:?path to the eddy binary}" "${EDDY_SRC:?repo root}"
source "$EDDY_SRC/tests/integration/lib.sh"

work=$(mktemp -d)
[ -n "${KEEP_WORK:-}" ] || add_exit_trap "rm -rf '$work'"; echo "work dir: $work"
start_broker --topic events:12 --topic users:12 --topic STATS:12 --topic STATS_REF:12 \
  --topic ENRICHED:12

user_events 24000 300 1000 20 > "$work/input.txt"
split -n l/8 -d "$work/input.txt" "$work/chunk."

ddl="CREATE STREAM events (user STRING KEY, amount BIGINT, ts BIGINT)
  WITH (kafka_topic = 'events', value_format = 'JSON', timestamp = 'ts');"
# Users (timestamps before every event's, so each event finds its user).
awk 'BEGIN { for (u = 0; u < 300; u++) printf "U%d|{\"REGION\":\"R%d\",\"TS\":1600000000000}\n", u, u % 7 }' > "$work/users.txt"
kcat -P -b "$BOOTSTRAP" -t users -K '|' -l "$work/users.txt"
join="CREATE TABLE users (user STRING PRIMARY KEY, region STRING, ts BIGINT)
  WITH (kafka_topic = 'users', value_format = 'JSON', timestamp = 'ts');
CREATE STREAM enriched AS SELECT e.user AS user, e.amount AS amount, e.ts AS ts, u.region AS region
  FROM events e JOIN users u ON e.user = u.user;"
query() {  # $1 = sink name
  echo "CREATE TABLE $1 AS
  SELECT user, UCASE(user) AS u, WINDOWSTART AS ws, COUNT(*) AS n, SUM(amount) AS total
  FROM events WINDOW TUMBLING (SIZE 1 MINUTE) GROUP BY user EMIT CHANGES;"
}
printf "SET 'service.id' = 'assign_app';\nSET 'task.assignment' = 'group';\nSET 'auto.offset.reset' = 'earliest';\nSET 'commit.interval.ms' = '200';\nSET 'num.stream.threads' = '1';\n%s\n%s\n%s\n" \
  "$ddl" "$(query stats)" "$join" > "$work/member.ksql"
printf "SET 'auto.offset.reset' = 'earliest';\nSET 'num.stream.threads' = '1';\n%s\n%s\n" \
  "$ddl" "$(query stats_ref)" > "$work/ref.ksql"

declare -A pids
member() {  # $1 = member number
  "$EDDY" server --listen 127.0.0.1:0 "$work/member.ksql" --bootstrap-servers "$BOOTSTRAP" \
    --state-dir "$work/state$1" -p session.timeout.ms=6000 --verbose >> "$work/member$1.log" 2>&1 &
  pids[$1]=$!
  add_exit_trap "kill -KILL ${pids[$1]} 2> /dev/null || true"
}
holds_tasks() {  # $1 = member number: its last assignment (of the aggregate) is not empty
  grep 'CTAS_STATS_1: tasks \[' "$work/member$1.log" 2> /dev/null | tail -1 | grep -q 'tasks \[[0-9]'
}

member 1
wait_for 60 grep -q "serving ksqlDB" "$work/member1.log" || { tail "$work/member1.log"; fail "member 1 did not start"; }
member 2
member 3
for m in 1 2 3; do
  wait_for 90 holds_tasks "$m" || { tail -20 "$work/member$m.log"; fail "member $m was given no task"; }
done
for m in 1 2 3; do echo "member $m: $(grep 'CTAS_STATS_1: tasks \[' "$work/member$m.log" | tail -1 | sed 's/.*: //')"; done
for c in 0 1 2; do
  kcat -P -b "$BOOTSTRAP" -t events -K '|' -l "$work/chunk.0$c"
  sleep 1
done
# Killed while it processes: the next chunk on its way.
kcat -P -b "$BOOTSTRAP" -t events -K '|' -l "$work/chunk.03" &
producer=$!
for _ in $(seq 100); do
  [ "$(end_offsets STATS 12)" -gt 9200 ] && break
  sleep 0.02
done
kill -KILL "${pids[2]}"
wait "${pids[2]}" 2> /dev/null || true
wait "$producer"
echo "member 2 killed with SIGKILL at $(end_offsets STATS 12) output records"
# Its tasks go to the others after its session timeout (6 s here).
covered() {  # the last assignments of members 1 and 3 hold all 12 tasks
  local n=0
  for m in 1 3; do
    n=$((n + $(grep 'CTAS_STATS_1: tasks \[' "$work/member$m.log" | tail -1 | sed 's/.*tasks \[\([0-9,]*\)\].*/\1/' | tr ',' '\n' | grep -c .)))
  done
  [ "$n" -eq 12 ]
}
wait_for 60 covered || fail "members 1 and 3 did not take over member 2's tasks"
for m in 1 3; do echo "member $m after the kill: $(grep 'CTAS_STATS_1: tasks \[' "$work/member$m.log" | tail -1 | sed 's/.*: //')"; done
for c in 4 5; do
  kcat -P -b "$BOOTSTRAP" -t events -K '|' -l "$work/chunk.0$c"
  sleep 1
done
member 4
wait_for 90 holds_tasks 4 || { tail -20 "$work/member4.log"; fail "member 4 was given no task"; }
echo "member 4 joined: $(grep 'CTAS_STATS_1: tasks \[' "$work/member4.log" | tail -1 | sed 's/.*: //')"
for c in 6 7; do
  kcat -P -b "$BOOTSTRAP" -t events -K '|' -l "$work/chunk.0$c"
  sleep 1
done

row='"\(.U) \(.WS) \(.N) \(.TOTAL)"'
window_totals "$work/input.txt" > "$work/awk.table"
for _ in $(seq 120); do
  changelog_table STATS "$row" > "$work/members.table"
  cmp -s "$work/members.table" "$work/awk.table" && break
  sleep 1
done
awk -F'|' '{ split($2, f, /[:,}]/); r = $1; sub(/^U/, "", r);
             printf "%s {\"AMOUNT\":%s,\"TS\":%s,\"REGION\":\"R%d\"}\n", $1, f[4], f[6], r % 7 }' \
  "$work/input.txt" | sort > "$work/awk.enriched"
for _ in $(seq 60); do
  kcat -C -b "$BOOTSTRAP" -t ENRICHED -o beginning -e -q -f '%k %s\n' | sort -u > "$work/members.enriched"
  cmp -s "$work/members.enriched" "$work/awk.enriched" && break
  sleep 1
done
for m in 1 3 4; do
  kill -0 "${pids[$m]}" 2> /dev/null || { tail -20 "$work/member$m.log"; fail "member $m ended"; }
done
# SHOW QUERIES EXTENDED on each member: its tasks of each query; together
# every task once.
for m in 1 3 4; do
  url=$(grep -o 'http://[0-9.:]*' "$work/member$m.log" | head -1)
  curl -s -X POST "$url/ksql" -d '{"ksql": "SHOW QUERIES EXTENDED;"}' |
    jq -r '.[0] | tostring' | grep -o 'tasks on this member ([0-9a-f]*): \[[0-9,]*\] of [0-9]*' > "$work/show$m.txt" || true
  echo "member $m, SHOW QUERIES EXTENDED: $(tr '\n' ' ' < "$work/show$m.txt")"
  check_eq "member $m lists its tasks of both queries" 2 "$(wc -l < "$work/show$m.txt")"
done
owned=$(cat "$work"/show[134].txt | sed 's/.*\[\([0-9,]*\)\].*/\1/' | tr ',' '\n' | grep -c . || true)
check_eq "the members' tasks, both queries together, each once" 24 "$owned"
for m in 1 3 4; do kill -TERM "${pids[$m]}"; done
for m in 1 3 4; do wait "${pids[$m]}" || fail "member $m did not stop cleanly"; done

timeout 600 "$EDDY" run "$work/ref.ksql" --bootstrap-servers "$BOOTSTRAP" \
  --state-dir "$work/refstate" --until-caught-up > "$work/ref.log" 2>&1 || { tail -20 "$work/ref.log"; fail "reference run failed"; }
changelog_table STATS_REF "$row" > "$work/ref.table"

for m in 1 2 3 4; do
  echo "member $m: $(grep -c 'CTAS_STATS_1: tasks \[' "$work/member$m.log") assignments of the aggregate, last $(grep 'CTAS_STATS_1: tasks \[' "$work/member$m.log" | tail -1 | sed 's/.*tasks /tasks /'), $(grep -c 'state restored from its changelog' "$work/member$m.log" || true) restores"
  check "member $m ran tasks" grep -q 'tasks \[[0-9]' "$work/member$m.log"
done
joined=$(end_offsets ENRICHED 12)
echo "figures: join: $joined output records for 24000 events: $((joined - 24000)) emitted again"
check "the join's output: every event once at least, with its user's region, nothing else" \
  cmp -s "$work/members.enriched" "$work/awk.enriched"
out=$(end_offsets STATS 12) ref=$(end_offsets STATS_REF 12)
echo "figures: $out output records from the members, $ref from the uninterrupted run: $((out - ref)) updates emitted again"
rows=$(wc -l < "$work/awk.table")
check_eq "reference table has a row per (user, window)" "$rows" "$(wc -l < "$work/ref.table")"
check_eq "the members' table has a row per (user, window)" "$rows" "$(wc -l < "$work/members.table")"
check "the members' COUNT and SUM equal the uninterrupted run's" cmp -s "$work/members.table" "$work/ref.table"
check "and equal awk's, computed from the input" cmp -s "$work/members.table" "$work/awk.table"
