#!/usr/bin/env bash
# A member of an application may hold none of a query's tasks: just after
# its CREATE (before the group's first assignment), or when it has more
# members than the input has partitions.  Every statement about the query
# must work there as on a member with tasks; each of EXPLAIN, SHOW QUERIES
# EXTENDED, DESCRIBE EXTENDED, CREATE SNAPSHOT and DROP crashed eddy
# (SIGSEGV: the runtime's first task) before.
#   1. One process, each statement right after the CREATE, as a file.
#   2. Two members over a one-partition input: the second holds no task;
#      `eddy exec` on it runs the statements, and its pull query answers
#      for every key (from the first member's changelog).
set -euo pipefail
: "${EDDY:?path to the eddy binary}" "${EDDY_SRC:?repo root}"
source "$EDDY_SRC/tests/integration/lib.sh"

work=$(mktemp -d)
[ -n "${KEEP_WORK:-}" ] || add_exit_trap "rm -rf '$work'"; echo "work dir: $work"
cd "$work"
start_broker --topic events:1

for i in $(seq 0 299); do printf 'U%d|{"V":%d}\n' $((i % 30)) "$i"; done > input.txt
kcat -P -b "$BOOTSTRAP" -t events -K '|' -l input.txt
awk -F'|' '{ split($2, f, /[:}]/); n[$1]++; s[$1] += f[2] } END { for (k in n) print k, n[k], s[k] }' \
  input.txt | sort > want.txt

ddl() {  # $1 = service.id
  cat <<KSQL
SET 'service.id' = '$1';
SET 'auto.offset.reset' = 'earliest';
SET 'commit.interval.ms' = '100';
CREATE STREAM events (k STRING KEY, v BIGINT) WITH (kafka_topic = 'events', value_format = 'JSON');
CREATE TABLE totals AS SELECT k, COUNT(*) AS n, SUM(v) AS s FROM events GROUP BY k EMIT CHANGES;
CREATE TABLE per_day AS SELECT k, COUNT(*) AS n FROM events WINDOW TUMBLING (SIZE 1 DAY) GROUP BY k EMIT CHANGES;
KSQL
}

# 1. Right after the CREATE: the query's tasks are not assigned yet.
n=0
for stmt in "EXPLAIN CTAS_TOTALS_1;" "SHOW QUERIES EXTENDED;" "DESCRIBE TOTALS EXTENDED;" \
            "CREATE SNAPSHOT first;" "DROP TABLE TOTALS;"; do
  n=$((n + 1))
  { ddl "early_$n"; echo "$stmt"; } > early.ksql
  rc=0
  timeout 120 "$EDDY" run early.ksql --bootstrap-servers "$BOOTSTRAP" --state-dir "early_$n" \
    --until-caught-up > "early_$n.out" 2>&1 || rc=$?
  case "$stmt" in
    CREATE*) check "before its assignment: $stmt fails with a reason, no crash (exit $rc)" \
               grep -q "nothing to snapshot" "early_$n.out" ;;
    *) check_eq "before its assignment: $stmt exits 0" 0 "$rc" ;;
  esac
done
check "EXPLAIN there says the member holds 0 tasks" grep -q "Tasks: 0 of 1 on this member" early_1.out
check "SHOW QUERIES EXTENDED lists the query, awaiting its assignment" \
  grep -q "\[\] of 1 (awaiting the group's first assignment)" early_2.out
check "DESCRIBE EXTENDED describes the table" grep -q "TOTALS" early_3.out
check "DROP dropped it" grep -q "was dropped" early_5.out

# 2. Two members, one partition: member b holds no task.
ddl shared > app.ksql
member() {  # $1 = name
  echo "--- start" >> "$1.log"
  "$EDDY" run app.ksql --bootstrap-servers "$BOOTSTRAP" --state-dir "state_$1" --verbose >> "$1.log" 2>&1 &
  add_exit_trap "kill -KILL $! 2> /dev/null || true"
  wait_for 30 test -S "state_$1/eddy.sock" || { cat "$1.log"; fail "member $1 did not start"; }
}
member a
wait_for 60 grep -q "tasks \[0\] of 1 on this member" a.log || { tail a.log; fail "member a holds no task"; }
member b
on_b() { "$EDDY" exec --state-dir state_b -e "$1" > "b_$2.out" 2>&1; }
assigned_nothing() { on_b "SHOW QUERIES EXTENDED;" queries && grep -q "): \[\] of 1$" b_queries.out; }
wait_for 60 assigned_nothing || { cat b_queries.out; tail b.log; fail "member b got no assignment"; }
check "member a still holds the one task" bash -c "! grep -q 'tasks \[\] of 1' a.log"
check "member b: EXPLAIN" on_b "EXPLAIN CTAS_TOTALS_1;" explain
check "member b: EXPLAIN says it holds 0 tasks of 1" grep -q "Tasks: 0 of 1 on this member" b_explain.out
check "member b: SHOW QUERIES EXTENDED says it keeps no state of the query" \
  grep -q "state-bytes: none here (no task on this member)" b_queries.out
check "member b: DESCRIBE EXTENDED" on_b "DESCRIBE TOTALS EXTENDED;" describe
rows() {  # the pull query's rows on member $1, "K N S" sorted
  "$EDDY" exec --state-dir "state_$1" -e "SELECT k, n, s FROM totals;" 2> /dev/null |
    awk -F'|' 'NF >= 4 && $2 ~ /U[0-9]/ { gsub(/ /, ""); print $2, $3, $4 }' | sort
}
a_is_whole() { [ "$(rows a)" = "$(cat want.txt)" ]; }
wait_for 60 a_is_whole ||
  { rows a | head; fail "member a's table did not reach awk's"; }
rows b > b_rows.txt
check_eq "member b (no task) answers a pull query for every key" "$(wc -l < want.txt)" "$(wc -l < b_rows.txt)"
check "and its rows equal awk's" cmp -s b_rows.txt want.txt
lookup() {  # $1 = member, $2 = table: U7's rows, "K N" each
  "$EDDY" exec --state-dir "state_$1" -e "SELECT k, n FROM $2 WHERE k = 'U7';" 2> /dev/null |
    awk -F'|' 'NF >= 3 && $2 ~ /U7/ { gsub(/ /, ""); print $2, $3 }'
}
for m in a b; do
  check_eq "member $m: a point lookup of U7 in TOTALS" "U7 10" "$(lookup $m totals)"
  check_eq "member $m: a point lookup of U7 in the windowed PER_DAY: its counts add up to 10" 10 \
    "$(lookup $m per_day | awk '{ s += $2 } END { print s + 0 }')"
done
check "member b: DROP TABLE (through the command topic, on both)" on_b "DROP TABLE TOTALS;" drop
dropped_on_a() { ! "$EDDY" exec --state-dir state_a -e "SHOW TABLES;" 2> /dev/null | grep -q "TOTALS"; }
check "member a ran the DROP given to member b" wait_for 30 dropped_on_a
check "both members are still running" bash -c "test -S state_a/eddy.sock && test -S state_b/eddy.sock && $EDDY exec --state-dir state_a -e 'SHOW QUERIES;' > /dev/null && $EDDY exec --state-dir state_b -e 'SHOW QUERIES;' > /dev/null"
echo "PASS: a member holding none of a query's tasks runs EXPLAIN, SHOW QUERIES EXTENDED, DESCRIBE EXTENDED, DROP, and answers pull queries for every key"
