#!/usr/bin/env bash
# A query keeps the properties in force at its CREATE (ksqlDB keeps a
# statement's property overrides with it): every later start of it -- its
# tasks given to it by the group, a restart of the process -- uses them,
# whatever SETs came after.  Before, each start read the session's
# current properties: a `SET 'processing.guarantee' = 'at_least_once'`
# after an exactly-once query's CREATE turned it at-least-once at its
# first assignment, and a restart gave every query the file's last SETs.
# Every property read at a start: processing.guarantee, num.stream.threads,
# task.assignment.  EXPLAIN lists a query's properties ("Overridden
# Properties", as ksqlDB's EXPLAIN; the REST API's overriddenProperties).
set -euo pipefail
: "${EDDY:?path to the eddy binary}" "${EDDY_SRC:?repo root}"
source "$EDDY_SRC/tests/integration/lib.sh"

work=$(mktemp -d)
[ -n "${KEEP_WORK:-}" ] || add_exit_trap "rm -rf '$work'"; echo "work dir: $work"
cd "$work"
start_broker --topic events:2

for i in $(seq 0 199); do printf 'U%d|{"V":%d}\n' $((i % 10)) "$i"; done |
  kcat -P -b "$BOOTSTRAP" -t events -K '|'

cat > app.ksql <<'KSQL'
SET 'service.id' = 'props_app';
SET 'auto.offset.reset' = 'earliest';
SET 'processing.guarantee' = 'exactly_once_v2';
SET 'num.stream.threads' = '2';
CREATE STREAM events (k STRING KEY, v BIGINT) WITH (kafka_topic = 'events', value_format = 'JSON');
CREATE TABLE eos AS SELECT k, COUNT(*) AS n FROM events GROUP BY k EMIT CHANGES;
SET 'processing.guarantee' = 'at_least_once';
SET 'num.stream.threads' = '1';
SET 'task.assignment' = 'none';
CREATE TABLE alo AS SELECT k, SUM(v) AS s FROM events GROUP BY k EMIT CHANGES;
EXPLAIN CTAS_EOS_1;
EXPLAIN CTAS_ALO_2;
KSQL

for run in 1 2; do
  timeout 120 "$EDDY" run app.ksql --bootstrap-servers "$BOOTSTRAP" --state-dir state \
    --until-caught-up --verbose > "run$run.log" 2>&1 || { tail -20 "run$run.log"; fail "run $run failed"; }
  label="run $run$([ $run = 2 ] && echo ' (a restart)' || true)"
  check "$label: CTAS_EOS_1 runs its 2 tasks exactly-once once the group gave them" \
    grep -q "query CTAS_EOS_1: exactly-once (exactly_once_v2): a transaction per task, 2 here" "run$run.log"
  check "$label: CTAS_ALO_2 does not" bash -c "! grep -q 'query CTAS_ALO_2: exactly-once' run$run.log"
  check "$label: CTAS_EOS_1's tasks are shared through its group" \
    grep -q "query CTAS_EOS_1: tasks \[0,1\] of 2 on this member" "run$run.log"
  check "$label: CTAS_ALO_2 runs whole here (task.assignment 'none')" \
    bash -c "! grep -q 'query CTAS_ALO_2: .*tasks shared' run$run.log"
  check "$label: CTAS_ALO_2 runs as one task (num.stream.threads 1)" grep -q "^Tasks: 1 " "run$run.log"
  check "$label: EXPLAIN lists CTAS_EOS_1's properties" \
    grep -q "^  processing.guarantee = exactly_once_v2$" "run$run.log"
  check "$label: and CTAS_ALO_2's" grep -q "^  processing.guarantee = at_least_once$" "run$run.log"
done
echo "PASS: each query keeps the properties of its CREATE through assignments and restarts"
