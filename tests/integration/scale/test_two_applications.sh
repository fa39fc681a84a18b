#!/usr/bin/env bash
# Two applications on one cluster, one after the other, with the same
# statements (so the same query ids) but their own service.id and output
# topics: the second must process its input from its own reset policy, as
# a new Kafka Streams application.id does.  Its tasks' input offsets went
# to the group eddy_<query id> whatever the service.id, so a stateless
# query of the second application resumed where the first had committed
# and wrote nothing.  Every kind: a stateless filter, a stateful COUNT,
# each at_least_once and exactly_once_v2 (whose offsets go through the
# transaction), tasks shared through the group (the default).
set -euo pipefail
: "${EDDY:?path to the eddy binary}" "${EDDY_SRC:?repo root}"
source "$EDDY_SRC/tests/integration/lib.sh"

work=$(mktemp -d)
[ -n "${KEEP_WORK:-}" ] || add_exit_trap "rm -rf '$work'"; echo "work dir: $work"
cd "$work"
start_broker --topic events:2

for i in $(seq 0 499); do printf 'U%d|{"V":%d}\n' $((i % 20)) "$i"; done > input.txt
kcat -P -b "$BOOTSTRAP" -t events -K '|' -l input.txt
passing=$(awk -F'|' '{ split($2, f, /[:}]/); if (f[2] % 3 == 0) n++ } END { print n }' input.txt)

app() {  # $1 = service.id, $2 = processing.guarantee
  cat > "$1.ksql" <<KSQL
SET 'service.id' = '$1';
SET 'processing.guarantee' = '$2';
SET 'auto.offset.reset' = 'earliest';
SET 'commit.interval.ms' = '100';
CREATE STREAM events (k STRING KEY, v BIGINT) WITH (kafka_topic = 'events', value_format = 'JSON');
CREATE STREAM thirds WITH (kafka_topic = 'thirds_$1') AS SELECT k, v FROM events WHERE v % 3 = 0 EMIT CHANGES;
CREATE TABLE counts WITH (kafka_topic = 'counts_$1') AS SELECT k, COUNT(*) AS n FROM events GROUP BY k EMIT CHANGES;
KSQL
  timeout 120 "$EDDY" run "$1.ksql" --bootstrap-servers "$BOOTSTRAP" --state-dir "state_$1" \
    --until-caught-up > "$1.log" 2>&1 || { tail -20 "$1.log"; fail "application $1 failed"; }
}

for guarantee in at_least_once exactly_once_v2; do
  for n in 1 2; do
    a="${guarantee%%_*}_$n"
    app "$a" "$guarantee"
    check_eq "$guarantee, application $n: the filter wrote every passing record" "$passing" \
      "$(kcat -C -b "$BOOTSTRAP" -t "thirds_$a" -o beginning -e -q | wc -l | tr -d ' ')"
    check_eq "$guarantee, application $n: the counts' last values add up to the 500 records" 500 \
      "$(kcat -C -b "$BOOTSTRAP" -t "counts_$a" -o beginning -e -q -f '%k %s\n' |
           awk '{ last[$1] = $2 } END { for (k in last) { split(last[k], f, /[:}]/); s += f[2] } print s + 0 }')"
  done
done
echo "PASS: a second application with the same query ids processes its input from its own reset policy"
