#!/usr/bin/env bash
# The processing log (issue 11 item 5) over `eddy broker`: bad records of
# several kinds among good ones on a 3-partition topic; with
# ksql.logging.processing.topic.auto.create = 'true' the log topic
# (eddy_processing_log) must hold exactly the bad ones: their partitions,
# offsets and bytes (base64), read back with kcat, and the same read
# through an eddy stream declared over the topic.  A restart reads nothing
# again, so nothing is logged twice.
set -euo pipefail
: "${EDDY:?path to the eddy binary}" "${EDDY_SRC:?repo root}"
source "$EDDY_SRC/tests/integration/lib.sh"

work=$(mktemp -d)
[ -n "${KEEP_WORK:-}" ] || add_exit_trap "rm -rf '$work'"
cd "$work"
start_broker --topic src:3

# 300 records; every 7th is bad, in turn: not JSON, cut short, a field of
# the wrong type, an array, trailing garbage.
awk 'BEGIN { for (i = 0; i < 300; i++) {
  if (i % 7 == 3) {
    b = (i / 7) % 5
    v = b < 1 ? "not json " i : b < 2 ? "{\"ID\":" i : b < 3 ? "{\"ID\":\"x" i "\",\"NAME\":\"n\"}" : b < 4 ? "[" i "]" : "{\"NAME\":\"n\"} x" i
  } else
    v = "{\"ID\":" i ",\"NAME\":\"n" i "\"}"
  printf "k%d|%s\n", i, v
} }' > input.txt
kcat -P -b "$BOOTSTRAP" -t src -K '|' -l input.txt
bad=$(awk 'NR % 7 == 4' input.txt | wc -l)

cat > q.ksql << 'EOF'
SET 'auto.offset.reset' = 'earliest';
SET 'ksql.logging.processing.topic.auto.create' = 'true';
CREATE STREAM src (k STRING KEY, id BIGINT, name STRING)
  WITH (kafka_topic = 'src', value_format = 'JSON');
CREATE STREAM good AS SELECT * FROM src;
EOF
"$EDDY" run q.ksql --bootstrap-servers "$BOOTSTRAP" --state-dir state --until-caught-up \
  > run.out 2> run.log || { tail -20 run.log; fail "eddy run failed"; }
check_eq "good records through" $((300 - bad)) "$(topic_count GOOD)"

# What the log must hold: each bad record's partition, offset and bytes,
# as the broker has them (kcat), the bytes in base64.
kcat -C -b "$BOOTSTRAP" -t src -o beginning -e -q -f '%p %o %k %s\n' |
  while read -r p o k v; do
    case "$v" in '{"ID":'[0-9]*'"NAME"'*) continue ;; esac
    printf 'src %s %s %s\n' "$p" "$o" "$(printf '%s' "$v" | base64 -w0)"
  done | sort > want.txt
check_eq "bad records in the input" "$bad" "$(wc -l < want.txt)"

kcat -C -b "$BOOTSTRAP" -t eddy_processing_log -o beginning -e -q -f '%s\n' > log.json
jq -r '.message.deserializationError | "\(.topic) \(.partition) \(.offset) \(.recordB64)"' log.json |
  sort > got.txt
check "the log holds exactly the bad records (partition, offset, bytes)" cmp -s want.txt got.txt
check "every entry names the query and says why" \
  bash -c "jq -e -s 'all(.[]; .logger == \"processing.CSAS_GOOD_1\" and .level == \"ERROR\" and (.message.deserializationError.errorMessage | length > 0))' log.json > /dev/null"
echo "processing log: $(wc -l < log.json) entries for $bad bad records; e.g. $(head -1 log.json)"

# Read through eddy: a stream over the log topic.
cat > r.ksql << 'EOF'
SET 'auto.offset.reset' = 'earliest';
CREATE STREAM plog (logger STRING, level STRING, time BIGINT,
  message STRUCT<type INT, deserializationError STRUCT<errorMessage STRING, recordB64 STRING,
                 topic STRING, `partition` INT, `offset` BIGINT>>)
  WITH (KAFKA_TOPIC = 'eddy_processing_log', VALUE_FORMAT = 'JSON');
CREATE STREAM dlq AS SELECT message->deserializationError->topic AS t,
  message->deserializationError->`partition` AS p, message->deserializationError->`offset` AS o,
  message->deserializationError->recordB64 AS b FROM plog;
EOF
"$EDDY" run r.ksql --bootstrap-servers "$BOOTSTRAP" --state-dir state2 --until-caught-up \
  > r.out 2> r.log || { tail -20 r.log; fail "eddy run over the log failed"; }
kcat -C -b "$BOOTSTRAP" -t DLQ -o beginning -e -q -f '%s\n' | jq -r '"\(.T) \(.P) \(.O) \(.B)"' |
  sort > eddy.txt
check "read through an eddy stream: the same entries" cmp -s want.txt eddy.txt

# A restart of the first run reads nothing again: nothing logged twice.
"$EDDY" run q.ksql --bootstrap-servers "$BOOTSTRAP" --state-dir state --until-caught-up \
  > run2.out 2> run2.log || { tail -20 run2.log; fail "second eddy run failed"; }
check_eq "entries after a restart" "$bad" "$(topic_count eddy_processing_log)"
echo "PASS: the processing log holds exactly the $bad bad records, through kcat and through eddy"
