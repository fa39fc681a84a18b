#!/usr/bin/env bash
# The command topic (engine/README.md, "Scale-out"): two `eddy run`
# processes with one service.id, each with its own state directory.  A
# statement run on one (through `eddy exec`, cli/control.c) is seen by the
# other: SHOW STREAMS there lists the new stream, and a CREATE TABLE AS
# SELECT run on the second starts its query on the first too; a restarted
# member keeps what it had and runs nothing twice.  One order: statements
# run on both members at the same moment are applied in the same order on
# both (the same query ids, the same command logs); a statement that fails
# its check is not sent; two CREATEs of one name at the same moment: the
# first in the topic wins on both members, the other fails for its client.
# Without service.id, no command topic.  Figures: how long each statement took to appear on the
# other member (polled every 0.1 s; not asserted).
set -euo pipefail
: "${EDDY:?path to the eddy binary}" "${EDDY_SRC:?repo root}"
source "$EDDY_SRC/tests/integration/lib.sh"

work=$(mktemp -d)
[ -n "${KEEP_WORK:-}" ] || add_exit_trap "rm -rf '$work'"; echo "work dir: $work"
cd "$work"
start_broker --topic events:2 --topic solo:1

cat > app.ksql <<'KSQL'
SET 'service.id' = 'cmd_app';
SET 'auto.offset.reset' = 'earliest';
CREATE STREAM events (id STRING KEY, v BIGINT) WITH (kafka_topic = 'events', value_format = 'JSON');
KSQL

member() {  # $1 = name
  "$EDDY" run app.ksql --bootstrap-servers "$BOOTSTRAP" --state-dir "state_$1" --verbose >> "$1.log" 2>&1 &
  eval "pid_$1=$!"
  add_exit_trap "kill -KILL $! 2> /dev/null || true"
  wait_for 30 test -S "state_$1/eddy.sock" || { cat "$1.log"; fail "member $1 did not start"; }
}
# seen MEMBER STATEMENT PATTERN: polls until the statement's output on the
# member shows the pattern (at most 30 s); prints the time it took.
seen() {
  local t0=$SECONDS start
  start=$(date +%s%N)
  for _ in $(seq 300); do
    if "$EDDY" exec --state-dir "state_$1" -e "$2" 2> /dev/null | grep -q "$3"; then
      echo "figure: seen on member $1 after $((($(date +%s%N) - start) / 1000000)) ms"
      return 0
    fi
    sleep 0.1
  done
  return 1
}

member a
member b
"$EDDY" exec --state-dir state_a -e "CREATE STREAM extra (id STRING KEY, w BIGINT) WITH (kafka_topic = 'extra', value_format = 'JSON', partitions = 1);" > a1.out
check "member a created the stream" grep -q "Stream EXTRA created" a1.out
check "member b lists the stream created on member a (SHOW STREAMS)" seen b "SHOW STREAMS;" EXTRA

"$EDDY" exec --state-dir state_b -e "CREATE TABLE totals AS SELECT id, SUM(v) AS total FROM events GROUP BY id EMIT CHANGES;" > b1.out
check "member b created the table" grep -q "Created query with ID CTAS_TOTALS_" b1.out
check "member a runs the query created on member b (SHOW QUERIES)" seen a "SHOW QUERIES;" CTAS_TOTALS_
check "member a lists the table (SHOW TABLES)" seen a "SHOW TABLES;" TOTALS

"$EDDY" exec --state-dir state_a -e "DROP STREAM extra;" > a2.out
check "member a dropped the stream" grep -q "Stream EXTRA dropped\|dropped" a2.out
for _ in $(seq 300); do
  "$EDDY" exec --state-dir state_b -e "SHOW STREAMS;" | grep -q EXTRA || break
  sleep 0.1
done
check "member b no longer lists the dropped stream" bash -c "! '$EDDY' exec --state-dir state_b -e 'SHOW STREAMS;' | grep -q EXTRA"

# One order.  Each round runs a CREATE STREAM AS SELECT on both members at
# the same moment; a query's id takes the next number of the member's
# catalog, so members that ran them in different orders would name them
# differently.
topic_records() { kcat -C -b "$BOOTSTRAP" -t _eddy_cmd_app_commands -e -q -f '%o\n' 2> /dev/null | wc -l; }
for i in 1 2 3 4 5 6; do
  "$EDDY" exec --state-dir state_a -e "CREATE STREAM from_a_$i AS SELECT * FROM events;" > "race_a_$i.out" 2>&1 &
  ra=$!
  "$EDDY" exec --state-dir state_b -e "CREATE STREAM from_b_$i AS SELECT * FROM events;" > "race_b_$i.out" 2>&1 &
  rb=$!
  wait $ra; wait $rb
done
check "member a created its 6 streams" test "$(cat race_a_*.out | grep -c 'Created query with ID CSAS_FROM_A_')" -eq 6
check "member b created its 6 streams" test "$(cat race_b_*.out | grep -c 'Created query with ID CSAS_FROM_B_')" -eq 6
ids() { "$EDDY" exec --state-dir "state_$1" -e "SHOW QUERIES;" | grep -o 'CSAS_FROM_[AB]_[0-9]*_[0-9]*' | sort; }
for _ in $(seq 100); do [ "$(ids b | wc -l)" -eq 12 ] && [ "$(ids a | wc -l)" -eq 12 ] && break; sleep 0.1; done
ids a > ids_a.txt; ids b > ids_b.txt
check_eq "member a runs the 12 queries" 12 "$(wc -l < ids_a.txt)"
check "both members named the 12 queries alike (one order)" cmp ids_a.txt ids_b.txt
grep -E '^(CREATE|DROP)' state_a/commands.ksql > log_a.txt
grep -E '^(CREATE|DROP)' state_b/commands.ksql > log_b.txt
check "both command logs hold the statements in one order" cmp log_a.txt log_b.txt

# A statement that fails its check changes nothing and is not sent.
before=$(topic_records)
"$EDDY" exec --state-dir state_a -e "CREATE STREAM bad AS SELECT nope FROM events;" > bad.out 2>&1 || true
check "the failing statement's error reaches its client" grep -qi "nope" bad.out
check_eq "a statement that fails its check is not sent to the command topic" "$before" "$(topic_records)"

# Member b restarts: it keeps its catalog and runs nothing twice.
kill -TERM "$pid_b"
wait "$pid_b" || true
: > b.log
member b
check "after a restart member b still lists the table" seen b "SHOW TABLES;" TOTALS
check "and runs no statement of the topic again" bash -c "! grep -q 'command topic: running offset' b.log"
check "member a ran the statements of member b from the topic" grep -q "command topic: running offset" a.log
check "and nothing failed there" bash -c "! grep -q 'failed here' a.log b.log"

# Two CREATEs of one name with different columns at the same moment: the
# one first in the topic is created on both members, the other fails.
"$EDDY" exec --state-dir state_a -e "CREATE STREAM twin (id STRING KEY, from_a BIGINT) WITH (kafka_topic = 'twin', value_format = 'JSON', partitions = 1);" > twin_a.out 2>&1 &
ra=$!
"$EDDY" exec --state-dir state_b -e "CREATE STREAM twin (id STRING KEY, from_b BIGINT) WITH (kafka_topic = 'twin', value_format = 'JSON', partitions = 1);" > twin_b.out 2>&1 &
rb=$!
wait $ra || true; wait $rb || true
check_eq "exactly one of the two CREATEs succeeded" 1 "$(cat twin_a.out twin_b.out | grep -c 'Stream TWIN created')"
desc() { "$EDDY" exec --state-dir "state_$1" -e "DESCRIBE twin;" | grep -o 'FROM_[AB]' | head -1; }
winner=$(desc a)
check "member a has the stream" test -n "$winner"
for _ in $(seq 100); do [ "$(desc b)" = "$winner" ] && break; sleep 0.1; done
check_eq "member b has the same stream as member a" "$winner" "$(desc b)"

# Without service.id: no command topic.
printf "CREATE STREAM solo (id STRING KEY, v BIGINT) WITH (kafka_topic = 'solo', value_format = 'JSON');\n" > solo.ksql
"$EDDY" run solo.ksql --bootstrap-servers "$BOOTSTRAP" --state-dir state_solo --until-caught-up > solo.log 2>&1
kcat -L -b "$BOOTSTRAP" > topics.txt
check "the application's command topic exists" grep -q '"_eddy_cmd_app_commands"' topics.txt
check_eq "a process without service.id makes no other command topic" 1 "$(grep -c '"_eddy_' topics.txt)"
