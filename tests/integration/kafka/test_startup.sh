#!/usr/bin/env bash
# Start-up on the development broker: a file with one stream, 5 records and
# one CREATE STREAM AS SELECT to a new topic, run with --until-caught-up on
# the embedded broker and on `eddy broker` in another process.  Topics get
# the PARTITIONS asked for (no CreateTopics to a broker without a
# controller, which waited ~3 s and then left the broker's default 4), the
# query reads without waiting for a consumer group's first join, and the
# output is right.  The wall-clock times are printed (figures, not
# assertions).
set -euo pipefail
: "${EDDY:?path to the eddy binary}" "${EDDY_SRC:?repo root}"
source "$EDDY_SRC/tests/integration/lib.sh"

work=$(mktemp -d)
[ -n "${KEEP_WORK:-}" ] || add_exit_trap "rm -rf '$work'"

cat > "$work/q.ksql" <<'EOF'
CREATE STREAM readings (id STRING KEY, n INT) WITH (KAFKA_TOPIC='readings', VALUE_FORMAT='JSON', PARTITIONS=2);
INSERT INTO readings (id, n) VALUES ('a', 1);
INSERT INTO readings (id, n) VALUES ('b', 2);
INSERT INTO readings (id, n) VALUES ('c', 3);
INSERT INTO readings (id, n) VALUES ('d', 4);
INSERT INTO readings (id, n) VALUES ('e', 5);
SET 'auto.offset.reset' = 'earliest';
CREATE STREAM big WITH (KAFKA_TOPIC='big', PARTITIONS=2) AS SELECT id, n * 10 AS m FROM readings WHERE n > 1;
EOF

now_ms() { date +%s%3N; }

# ---- embedded broker (in process) ------------------------------------------
t0=$(now_ms)
"$EDDY" run "$work/q.ksql" --state-dir "$work/s1" --until-caught-up > "$work/out1" 2> "$work/err1" ||
  { cat "$work/err1"; fail "eddy run on the embedded broker failed"; }
t1=$(now_ms)
echo "figure: eddy run --until-caught-up, embedded broker: $((t1 - t0)) ms"
check "the query read 5 and wrote 4" grep -q "5 records in, 4 out" "$work/err1"
check "no CreateTopics wait" bash -c "! grep -qi 'controller' '$work/err1'"
check "no partition count warning" bash -c "! grep -q 'partitions' '$work/err1'"

# ---- eddy broker (another process) -----------------------------------------
start_broker
t0=$(now_ms)
"$EDDY" run "$work/q.ksql" --state-dir "$work/s2" --until-caught-up --bootstrap-servers "$BOOTSTRAP" \
  > "$work/out2" 2> "$work/err2" || { cat "$work/err2"; fail "eddy run on eddy broker failed"; }
t1=$(now_ms)
echo "figure: eddy run --until-caught-up, eddy broker: $((t1 - t0)) ms"
check "the query read 5 and wrote 4" grep -q "5 records in, 4 out" "$work/err2"
check "no CreateTopics wait" bash -c "! grep -qi 'controller' '$work/err2'"
check "no partition count warning" bash -c "! grep -q 'partitions' '$work/err2'"
parts() { kcat -L -b "$BOOTSTRAP" -t "$1" | grep -c 'partition [0-9]'; }
check_eq "partitions of the declared topic (PARTITIONS=2)" 2 "$(parts readings)"
check_eq "partitions of the query's new topic (PARTITIONS=2)" 2 "$(parts big)"
kcat -C -b "$BOOTSTRAP" -t big -e -o beginning -q -f '%k %s\n' | sort > "$work/big.txt"
check "the output records" diff "$work/big.txt" <(printf '%s\n' 'b {"M":20}' 'c {"M":30}' 'd {"M":40}' 'e {"M":50}')

# The same file again: the CREATEs are in the catalog and skipped, the
# INSERTs add 5 more records, and the query resumes from its stored
# offsets: it reads only those 5 (all 10 would mean it started over).
t0=$(now_ms)
"$EDDY" run "$work/q.ksql" --state-dir "$work/s2" --until-caught-up --bootstrap-servers "$BOOTSTRAP" \
  > "$work/out3" 2> "$work/err3" || { cat "$work/err3"; fail "second eddy run failed"; }
t1=$(now_ms)
echo "figure: the same run again (restart), eddy broker: $((t1 - t0)) ms"
check "the restart read only the 5 new records" grep -q "5 records in, 4 out" "$work/err3"
check_eq "output records after the restart" 8 "$(topic_count big)"
echo "PASS"
