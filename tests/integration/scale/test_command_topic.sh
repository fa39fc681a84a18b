#!/usr/bin/env bash
# The command topic (engine/README.md, "Scale-out"): two `eddy run`
# processes with one service.id, each with its own state directory.  A
# statement run on one (through `eddy exec`, cli/control.c) is seen by the
# other: SHOW STREAMS there lists the new stream, and a CREATE TABLE AS
# SELECT run on the second starts its query on the first too; a restarted
# member keeps what it had and runs nothing twice.  Without service.id, no
# command topic.  Figures: how long each statement took to appear on the
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

# Member b restarts: it keeps its catalog and runs nothing twice.
kill -TERM "$pid_b"
wait "$pid_b" || true
: > b.log
member b
check "after a restart member b still lists the table" seen b "SHOW TABLES;" TOTALS
check "and runs no statement of the topic again" bash -c "! grep -q 'command topic: running offset' b.log"
check "member a ran the statements of member b from the topic" grep -q "command topic: running offset" a.log
check "and nothing failed there" bash -c "! grep -q 'failed here' a.log b.log"

# Without service.id: no command topic.
printf "CREATE STREAM solo (id STRING KEY, v BIGINT) WITH (kafka_topic = 'solo', value_format = 'JSON');\n" > solo.ksql
"$EDDY" run solo.ksql --bootstrap-servers "$BOOTSTRAP" --state-dir state_solo --until-caught-up > solo.log 2>&1
kcat -L -b "$BOOTSTRAP" > topics.txt
check "the application's command topic exists" grep -q '"_eddy_cmd_app_commands"' topics.txt
check_eq "a process without service.id makes no other command topic" 1 "$(grep -c '"_eddy_' topics.txt)"
