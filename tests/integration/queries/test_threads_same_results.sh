#!/usr/bin/env bash
# Tasks on threads give the results one thread gives, for every kind of
# query that splits: a stateless filter+project, a windowed aggregate by
# the key, an aggregate by a value (the in-process exchange), a table kept
# from a topic, a stream-table join on the key and a stream-stream join on
# the key; and the kinds that stay one task (a windowed aggregate by a
# value, a join on a value column) still run.  The same file runs with
# num.stream.threads 1 and 2 into distinct sinks over the same 8-partition
# inputs; each sink's final table (the last value per key) or, for
# streams, its sorted records must be equal, and EXPLAIN must show the
# task counts.  The table's records come first in event time, so the
# joins' answers do not depend on timing.
set -euo pipefail
: "${EDDY:?path to the eddy binary}" "${EDDY_SRC:?repo root}"
source "$EDDY_SRC/tests/integration/lib.sh"

work=$(mktemp -d)
[ -n "${KEEP_WORK:-}" ] || add_exit_trap "rm -rf '$work'"; echo "work dir: $work"
start_broker --topic ev:8 --topic ev2:8 --topic users:8

user_events 20000 300 1000 20 > "$work/ev.txt"
# ev2: the same users, twice the amounts, 5 ms later each (stream-stream join).
awk -F'|' '{ split($2, f, /[:,}]/);
             printf "%s|{\"USER\":\"%s\",\"AMOUNT\":%d,\"TS\":%.0f}\n", $1, $1, f[4] * 2, f[6] + 5 }' \
  "$work/ev.txt" > "$work/ev2.txt"
# users: one row per user, stamped before every event.
for i in $(seq 0 299); do printf 'U%d|{"REGION":"R%d","TS":1600000000000}\n' "$i" $((i % 7)); done > "$work/users.txt"
kcat -P -b "$BOOTSTRAP" -t users -K '|' -l "$work/users.txt"
kcat -P -b "$BOOTSTRAP" -t ev -K '|' -l "$work/ev.txt"
kcat -P -b "$BOOTSTRAP" -t ev2 -K '|' -l "$work/ev2.txt"

queries() {  # $1 = threads, $2 = sink suffix
  local t=$2
  cat << EOF
SET 'auto.offset.reset' = 'earliest';
SET 'num.stream.threads' = '$1';
CREATE STREAM ev (user STRING KEY, amount BIGINT, ts BIGINT)
  WITH (kafka_topic = 'ev', value_format = 'JSON', timestamp = 'ts');
CREATE STREAM ev2 (user STRING KEY, amount BIGINT, ts BIGINT)
  WITH (kafka_topic = 'ev2', value_format = 'JSON', timestamp = 'ts');
CREATE TABLE users (user STRING PRIMARY KEY, region STRING, ts BIGINT)
  WITH (kafka_topic = 'users', value_format = 'JSON', timestamp = 'ts');
CREATE STREAM big$t AS SELECT user, amount * 3 AS a FROM ev WHERE amount > 900;
CREATE TABLE win$t AS SELECT user, AS_VALUE(user) AS u, WINDOWSTART AS ws, COUNT(*) AS n,
  SUM(amount) AS s FROM ev WINDOW TUMBLING (SIZE 1 MINUTE) GROUP BY user;
CREATE TABLE byval$t AS SELECT amount % 17 AS m, AS_VALUE(amount % 17) AS u, COUNT(*) AS n,
  SUM(amount) AS s FROM ev GROUP BY amount % 17;
CREATE TABLE regions$t AS SELECT user, AS_VALUE(user) AS u, UCASE(region) AS r FROM users;
CREATE STREAM enriched$t AS SELECT e.user AS user, e.amount AS a, u.region AS r
  FROM ev e JOIN users u ON e.user = u.user;
CREATE STREAM pairs$t AS SELECT a.user AS user, a.amount AS x, b.amount AS y
  FROM ev a JOIN ev2 b WITHIN 10 MILLISECONDS ON a.user = b.user;
CREATE TABLE winval$t AS SELECT amount % 5 AS m, AS_VALUE(amount % 5) AS u, WINDOWSTART AS ws,
  COUNT(*) AS n, SUM(amount) AS s FROM ev WINDOW TUMBLING (SIZE 1 MINUTE) GROUP BY amount % 5;
CREATE STREAM byregion$t AS SELECT u.user, e.amount AS a, u.region AS r
  FROM ev e JOIN users u ON UCASE(e.user) = u.user;
EXPLAIN CSAS_BIG${t}_1;
EXPLAIN CTAS_WIN${t}_2;
EXPLAIN CTAS_BYVAL${t}_3;
EXPLAIN CTAS_REGIONS${t}_4;
EXPLAIN CSAS_ENRICHED${t}_5;
EXPLAIN CSAS_PAIRS${t}_6;
EXPLAIN CTAS_WINVAL${t}_7;
EXPLAIN CSAS_BYREGION${t}_8;
EOF
}
queries 1 _1 > "$work/one.ksql"
queries 2 _2 > "$work/two.ksql"
for n in one two; do
  timeout 300 "$EDDY" run "$work/$n.ksql" --bootstrap-servers "$BOOTSTRAP" --state-dir "$work/state_$n" \
    --until-caught-up > "$work/$n.log" 2>&1 || { tail -20 "$work/$n.log"; fail "eddy run $n failed"; }
done

tasks() {  # $1 = log, $2 = sink name: the task count its EXPLAIN gave
  awk -v name=" $2 AS " '/^Statement:/ { hit = index(toupper($0), toupper(name)) > 0 }
                         /^Tasks:/ && hit { print $2; exit }' "$1"
}
for q in BIG WIN BYVAL REGIONS ENRICHED PAIRS; do
  check_eq "$q: one task with 1 thread" 1 "$(tasks "$work/one.log" "${q}_1")"
  check_eq "$q: split into 2 tasks with 2 threads" 2 "$(tasks "$work/two.log" "${q}_2")"
done
check_eq "WINVAL (windowed, by a value): one task with 2 threads" 1 "$(tasks "$work/two.log" WINVAL_2)"
check_eq "BYREGION (joined on an expression): one task with 2 threads" 1 "$(tasks "$work/two.log" BYREGION_2)"

for s in BIG ENRICHED PAIRS BYREGION; do
  kcat -C -b "$BOOTSTRAP" -t "${s}_1" -o beginning -e -q -f '%k %s\n' | sort > "$work/$s.1"
  kcat -C -b "$BOOTSTRAP" -t "${s}_2" -o beginning -e -q -f '%k %s\n' | sort > "$work/$s.2"
  [ -s "$work/$s.1" ] || fail "$s: the 1-thread run wrote nothing"
  check "$s: the same records with 2 threads ($(wc -l < "$work/$s.1"))" cmp -s "$work/$s.1" "$work/$s.2"
done
check_eq "ENRICHED: every event found its user" 20000 "$(wc -l < "$work/ENRICHED.2")"
changelog_table WIN_1 '"\(.U) \(.WS) \(.N) \(.S)"' > "$work/win.1"
changelog_table WIN_2 '"\(.U) \(.WS) \(.N) \(.S)"' > "$work/win.2"
changelog_table WINVAL_1 '"\(.U) \(.WS) \(.N) \(.S)"' > "$work/winval.1"
changelog_table WINVAL_2 '"\(.U) \(.WS) \(.N) \(.S)"' > "$work/winval.2"
changelog_table BYVAL_1 '"\(.U) - \(.N) \(.S)"' > "$work/byval.1"
changelog_table BYVAL_2 '"\(.U) - \(.N) \(.S)"' > "$work/byval.2"
changelog_table REGIONS_1 '"\(.U) - \(.R)"' > "$work/regions.1"
changelog_table REGIONS_2 '"\(.U) - \(.R)"' > "$work/regions.2"
window_totals "$work/ev.txt" > "$work/win.awk"
check "WIN: equals awk's totals" cmp -s "$work/win.2" "$work/win.awk"
for t in win winval byval regions; do
  [ -s "$work/$t.1" ] || fail "$t: the 1-thread run wrote nothing"
  check "$t: the same final table with 2 threads ($(wc -l < "$work/$t.1") rows)" cmp -s "$work/$t.1" "$work/$t.2"
done
check_eq "REGIONS: a row per user" 300 "$(wc -l < "$work/regions.2")"
echo "PASS: 2 threads give the 1-thread results for every query kind that splits; the others stay one task"
