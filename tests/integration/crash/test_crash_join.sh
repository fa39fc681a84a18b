#!/usr/bin/env bash
# Join state under crashes: a stream-stream join and a stream-table join,
# each run by `eddy run` killed with SIGKILL at five random moments and
# restarted.  Every join result an uninterrupted run produces must be there
# (as a set: results re-emitted after the last checkpoint before a crash
# are allowed, and counted), and nothing else: equal to the uninterrupted
# run's results and to awk's, computed from the input.
set -euo pipefail
: "${EDDY:?path to the eddy binary}" "${EDDY_SRC:?repo root}"
source "$EDDY_SRC/tests/integration/lib.sh"

work=$(mktemp -d)
[ -n "${KEEP_WORK:-}" ] || add_exit_trap "rm -rf '$work'"
start_broker --topic lefts:4 --topic rights:4 --topic users:4 --topic clicks:4 \
  --topic SS:4 --topic SS_REF:4 --topic ST:4 --topic ST_REF:4
seed=${CRASH_SEED:-$RANDOM}
echo "random seed: $seed (set CRASH_SEED to repeat)"
RANDOM=$seed

# Runs $1.ksql in 5 killed pieces: before each, produce the next chunk of
# each input file given ("topic:file" ...); kill once the sink $2 has grown
# by a random part of the chunk.
crash_runs() {
  local ksql=$1 sink=$2 state=$3 chunk_out=$4
  shift 4
  local c kills=0
  for c in 0 1 2 3 4; do
    local spec
    for spec in "$@"; do
      kcat -P -b "$BOOTSTRAP" -t "${spec%%:*}" -K '|' -l "${spec#*:}.0$c"
    done
    local before target pid
    before=$(end_offsets "$sink" 4)
    target=$((before + 1000 + RANDOM % (chunk_out - 1000)))
    "$EDDY" run "$ksql" --bootstrap-servers "$BOOTSTRAP" --state-dir "$state" >> "$work/crash.log" 2>&1 &
    pid=$!
    add_exit_trap "kill -KILL $pid 2> /dev/null || true"   # a failed check leaves nothing running
    for _ in $(seq 600); do
      [ "$(end_offsets "$sink" 4)" -ge "$target" ] && break
      sleep 0.05
    done
    kill -KILL "$pid" 2> /dev/null && kills=$((kills + 1)) || true
    wait "$pid" 2> /dev/null || true
    echo "chunk $c: eddy run killed with SIGKILL at ~$(end_offsets "$sink" 4) results (target $target)"
  done
  check_eq "SIGKILLs delivered to $sink's query" 5 "$kills"
  local restored
  restored=$(grep -c "restored .* queries" "$work/crash.log" || true)
  [ "$restored" -ge 4 ] || fail "the killed runs did not restart from their state"
  timeout 600 "$EDDY" run "$ksql" --bootstrap-servers "$BOOTSTRAP" --state-dir "$state" \
    --until-caught-up >> "$work/crash.log" 2>&1 || { tail -20 "$work/crash.log"; fail "final run failed"; }
  echo "final run after the crashes: $(grep 'records in' "$work/crash.log" | tail -1 | sed 's/^eddy: //')"
  : > "$work/crash.log"
}

results() {  # the set of result pairs on topic $1
  kcat -C -b "$BOOTSTRAP" -t "$1" -o beginning -e -q -f '%s\n' | jq -r -c '"\(.A) \(.B)"'
}

# ---- stream-stream: 100,000 rows each side; left i meets right i-1 ----
awk 'BEGIN { for (i = 0; i < 100000; i++) {
  u = (i * 7919) % 300; printf "U%d|{\"LID\":%d,\"TS\":%.0f}\n", u, i, 1700000000000 + i * 10 } }' > "$work/l.txt"
awk 'BEGIN { for (j = 0; j < 100000; j++) {
  u = ((j + 1) * 7919) % 300; printf "U%d|{\"RID\":%d,\"TS\":%.0f}\n", u, j, 1700000000000 + j * 10 } }' > "$work/r.txt"
split -n l/5 -d "$work/l.txt" "$work/l.txt."
split -n l/5 -d "$work/r.txt" "$work/r.txt."
ddl="SET 'auto.offset.reset' = 'earliest';
SET 'commit.interval.ms' = '20';
CREATE STREAM lefts (u STRING KEY, lid BIGINT, ts BIGINT) WITH (kafka_topic = 'lefts', value_format = 'JSON', timestamp = 'ts');
CREATE STREAM rights (u STRING KEY, rid BIGINT, ts BIGINT) WITH (kafka_topic = 'rights', value_format = 'JSON', timestamp = 'ts');"
ss() { echo "CREATE STREAM $1 AS SELECT l.u, l.lid AS a, r.rid AS b FROM lefts l JOIN rights r WITHIN 1 SECOND ON l.u = r.u;"; }
printf '%s\n%s\n' "$ddl" "$(ss ss)" > "$work/ss.ksql"
printf '%s\n%s\n' "$ddl" "$(ss ss_ref)" > "$work/ss_ref.ksql"
crash_runs "$work/ss.ksql" SS "$work/ss-state" 20000 "lefts:$work/l.txt" "rights:$work/r.txt"
timeout 600 "$EDDY" run "$work/ss_ref.ksql" --bootstrap-servers "$BOOTSTRAP" --state-dir "$work/ss-ref" \
  --until-caught-up > /dev/null 2>> "$work/ref.log" || fail "reference run failed"
results SS | sort > "$work/ss.all"
sort -u "$work/ss.all" > "$work/ss.set"
results SS_REF | sort > "$work/ss_ref.all"
awk 'BEGIN { for (i = 1; i < 100000; i++) print i " " i - 1 }' | sort > "$work/ss.expected"
check_eq "uninterrupted stream-stream run: one result per pair" 99999 "$(wc -l < "$work/ss_ref.all")"
check "uninterrupted results equal awk's" cmp -s "$work/ss_ref.all" "$work/ss.expected"
check "crashed run's distinct results equal the uninterrupted run's (none missing, none extra)" \
  cmp -s "$work/ss.set" "$work/ss_ref.all"
echo "stream-stream: $(($(wc -l < "$work/ss.all") - $(wc -l < "$work/ss.set"))) duplicate results re-emitted after crashes"

# ---- stream-table: a users table, then 100,000 clicks LEFT JOIN users ----
awk 'BEGIN { for (u = 0; u < 250; u++) printf "U%d|{\"NAME\":\"user-%d\"}\n", u, u }' > "$work/users.txt"
kcat -P -b "$BOOTSTRAP" -t users -K '|' -l "$work/users.txt"
awk 'BEGIN { for (i = 0; i < 100000; i++) {
  u = (i * 7919) % 300; printf "C%d|{\"CID\":%d,\"U\":\"U%d\"}\n", i, i, u } }' > "$work/c.txt"
split -n l/5 -d "$work/c.txt" "$work/c.txt."
ddl2="SET 'auto.offset.reset' = 'earliest';
SET 'commit.interval.ms' = '20';
CREATE STREAM clicks (id STRING KEY, cid BIGINT, u STRING) WITH (kafka_topic = 'clicks', value_format = 'JSON');
CREATE TABLE users (u STRING PRIMARY KEY, name STRING) WITH (kafka_topic = 'users', value_format = 'JSON');"
st() { echo "CREATE STREAM $1 AS SELECT c.u, c.cid AS a, u.name AS b FROM clicks c LEFT JOIN users u ON c.u = u.u;"; }
printf '%s\n%s\n' "$ddl2" "$(st st)" > "$work/st.ksql"
printf '%s\n%s\n' "$ddl2" "$(st st_ref)" > "$work/st_ref.ksql"
# Both queries load the table before any click exists.
for q in st st_ref; do
  timeout 120 "$EDDY" run "$work/$q.ksql" --bootstrap-servers "$BOOTSTRAP" --state-dir "$work/$q-state" \
    --until-caught-up > /dev/null 2>> "$work/ref.log" || fail "loading users for $q failed"
done
crash_runs "$work/st.ksql" ST "$work/st-state" 20000 "clicks:$work/c.txt"
timeout 600 "$EDDY" run "$work/st_ref.ksql" --bootstrap-servers "$BOOTSTRAP" --state-dir "$work/st_ref-state" \
  --until-caught-up > /dev/null 2>> "$work/ref.log" || fail "reference run failed"
results ST | sort > "$work/st.all"
sort -u "$work/st.all" > "$work/st.set"
results ST_REF | sort > "$work/st_ref.all"
awk 'BEGIN { for (i = 0; i < 100000; i++) { u = (i * 7919) % 300;
  print i " " (u < 250 ? "user-" u : "null") } }' | sort > "$work/st.expected"
check_eq "uninterrupted stream-table run: one result per click" 100000 "$(wc -l < "$work/st_ref.all")"
check "uninterrupted results equal awk's (NULL names for unknown users)" cmp -s "$work/st_ref.all" "$work/st.expected"
check "crashed run's distinct results equal the uninterrupted run's" cmp -s "$work/st.set" "$work/st_ref.all"
echo "stream-table: $(($(wc -l < "$work/st.all") - $(wc -l < "$work/st.set"))) duplicate results re-emitted after crashes"
echo "PASS: joins keep exact state through 5 SIGKILLs each"
