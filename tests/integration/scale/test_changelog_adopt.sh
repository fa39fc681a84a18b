#!/usr/bin/env bash
# Local state from before service.id was set is written whole to the new
# changelog (a reset, then every key) at the first checkpoint with it, so a
# later restore from the changelog alone is exact.  A count per key,
# auto.offset.reset = latest: run 1 without service.id (local state only),
# run 2 with `-p service.id=...` (adopts it), then the state directory is
# deleted, more records arrive, run 3 restores from the changelog and
# counts on.  The final counts must equal awk's.  Also REPLAY ... WITH
# EMPTY STATE under a changelog: the replayed state (not the changelog's
# older one) is what a later restore gives.  Runs 2 and 3 share the
# query's tasks through its group (task.assignment 'group', the default:
# one member holds them all); the replay runs with 'none'.
set -euo pipefail
: "${EDDY:?path to the eddy binary}" "${EDDY_SRC:?repo root}"
source "$EDDY_SRC/tests/integration/lib.sh"

work=$(mktemp -d)
[ -n "${KEEP_WORK:-}" ] || add_exit_trap "rm -rf '$work'"; echo "work dir: $work"
cd "$work"
start_broker --topic events:2 --topic COUNTS:2

cat > q.ksql <<'KSQL'
SET 'auto.offset.reset' = 'latest';
SET 'commit.interval.ms' = '100';
CREATE STREAM events (id STRING KEY, v BIGINT) WITH (kafka_topic = 'events', value_format = 'JSON');
CREATE TABLE counts AS SELECT id, COUNT(*) AS n, SUM(v) AS total FROM events GROUP BY id EMIT CHANGES;
KSQL
produce() {  # $1 = first, $2 = end: records i in [first, end), key k(i % 37)
  awk -v a="$1" -v b="$2" 'BEGIN { for (i = a; i < b; i++) printf "k%d|{\"V\":%d}\n", i % 37, i }' |
    tee -a input.txt | kcat -P -b "$BOOTSTRAP" -t events -K '|'
}
outputs() { kcat -C -b "$BOOTSTRAP" -t COUNTS -e -o beginning -q -f 'x\n' | wc -l; }
table() {
  kcat -C -b "$BOOTSTRAP" -t COUNTS -o beginning -e -q -f '%p %o %k %s\n' | sort -k1,1n -k2,2n |
    awk '{ k = $3; $1 = $2 = $3 = ""; last[k] = $0 } END { for (k in last) print k, last[k] }' |
    sed 's/{"N":\([0-9]*\),"TOTAL":\([0-9]*\)}/\1 \2/; s/  */ /g' | sort
}
expected() {
  awk -F'|' '{ split($2, f, /[:}]/); n[$1]++; s[$1] += f[2] } END { for (k in n) printf "%s %d %d\n", k, n[k], s[k] }' input.txt | sort
}
: > input.txt

"$EDDY" run q.ksql --bootstrap-servers "$BOOTSTRAP" --state-dir state > run1.log 2>&1 &
pid=$!
add_exit_trap "kill -KILL $pid 2> /dev/null || true"
wait_for 30 grep -q "Created query" run1.log || fail "run 1 did not start"
sleep 1
produce 0 3000
wait_for 60 bash -c "[ \$(kcat -C -b $BOOTSTRAP -t COUNTS -e -o beginning -q -f 'x\n' | wc -l) -ge 3000 ]" || fail "run 1 did not count"
kill -TERM "$pid"; wait "$pid" || fail "run 1 did not stop cleanly"

# Run 2 adopts the state: nothing new to count, one checkpoint at exit.
"$EDDY" run q.ksql --bootstrap-servers "$BOOTSTRAP" --state-dir state -p service.id=adopt_app \
  --until-caught-up --verbose > run2.log 2>&1 || { cat run2.log; fail "run 2 failed"; }
check "run 2 wrote the local state whole to the changelog" grep -q "written whole to its changelog" run2.log
check "run 2 restored nothing" bash -c "! grep -q 'restored from its changelog' run2.log"

rm -rf state
produce 3000 4000
"$EDDY" run q.ksql --bootstrap-servers "$BOOTSTRAP" --state-dir state -p service.id=adopt_app \
  --until-caught-up --verbose > run3.log 2>&1 || { cat run3.log; fail "run 3 failed"; }
check "run 3 restored from the changelog" grep -q "restored from its changelog" run3.log
grep "restored from its changelog" run3.log
check_eq "run 3 counted only the new records (output records so far)" 4000 "$(outputs)"
table > got.txt
expected > want.txt
check "counts and sums equal awk's" cmp -s got.txt want.txt

# REPLAY with empty state, then the state directory deleted: the restore
# gives the replayed state (counted again from the start), not the older
# changelog state the replay replaced.
cat > replay.ksql <<'KSQL'
REPLAY QUERY CTAS_COUNTS_1 FROM BEGINNING WITH EMPTY STATE;
KSQL
# A query whose tasks are shared by the members (task.assignment 'group',
# the default) refuses REPLAY, saying so; with 'none' it replays.
if "$EDDY" run q.ksql replay.ksql --bootstrap-servers "$BOOTSTRAP" --state-dir state -p service.id=adopt_app \
  --until-caught-up > run4a.log 2>&1; then fail "REPLAY of a query with shared tasks was not refused"; fi
check "REPLAY of a query with shared tasks is refused, saying why" \
  grep -q "REPLAY of such a query is not supported yet; run it where task.assignment is 'none'" run4a.log
"$EDDY" run q.ksql replay.ksql --bootstrap-servers "$BOOTSTRAP" --state-dir state -p service.id=adopt_app \
  -p task.assignment=none --until-caught-up --verbose > run4.log 2>&1 || { cat run4.log; fail "run 4 (replay) failed"; }
check "the replay's state was written whole to the changelog" grep -q "written whole to its changelog" run4.log
rm -rf state
produce 4000 4500
"$EDDY" run q.ksql --bootstrap-servers "$BOOTSTRAP" --state-dir state -p service.id=adopt_app \
  -p task.assignment=none --until-caught-up --verbose > run5.log 2>&1 || { cat run5.log; fail "run 5 failed"; }
check "run 5 restored from the changelog" grep -q "restored from its changelog" run5.log
table > got.txt
expected > want.txt
check "after the replay and a restore, counts and sums still equal awk's" cmp -s got.txt want.txt
