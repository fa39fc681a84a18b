#!/usr/bin/env bash
# PRINT on a real broker process, its whole family: FROM BEGINNING or from
# the end (then it waits for new records, as in ksqlDB), LIMIT, INTERVAL,
# the topic name quoted, back-quoted, unquoted and in another case (names
# are case-sensitive; another case gets a "did you mean"), an unknown
# topic, and every partition layout: 3 records all in partition 1 of 4
# (the reported case, where PRINT showed nothing), records in every
# partition, one partition, and a topic with no records at all.
set -euo pipefail
: "${EDDY:?path to the eddy binary}" "${EDDY_SRC:?repo root}"
source "$EDDY_SRC/tests/integration/lib.sh"

work=$(mktemp -d)
[ -n "${KEEP_WORK:-}" ] || add_exit_trap "rm -rf '$work'"
start_broker --topic p:4 --topic spread:4 --topic single:1 --topic empty:4 --topic MixedCase:2

printf 'k1|v1\nk2|v2\nk3|{"n":3}\n' | kcat -P -b "$BOOTSTRAP" -t p -p 1 -K '|'
for p in 0 1 2 3; do
  printf 's%d-a|a\ns%d-b|b\n' "$p" "$p" | kcat -P -b "$BOOTSTRAP" -t spread -p "$p" -K '|'
done
printf 'o1|x\no2|y\n' | kcat -P -b "$BOOTSTRAP" -t single -K '|'
printf 'm1|mixed\n' | kcat -P -b "$BOOTSTRAP" -t MixedCase -p 1 -K '|'

# Runs statements through `eddy` with stdin not a terminal (a script);
# stdout to $work/out, stderr to $work/err; returns eddy's status.
script() {
  printf '%s\n' "$@" | "$EDDY" --bootstrap-servers "$BOOTSTRAP" > "$work/out" 2> "$work/err"
}
records() { grep -c '^rowtime: ' "$work/out" || true; }

# ---- FROM BEGINNING, LIMIT, every layout --------------------------------
script "PRINT 'p' FROM BEGINNING LIMIT 3;" || { cat "$work/err"; fail "PRINT 'p' failed"; }
check_eq "records printed from 3 records all in partition 1 of 4" 3 "$(records)"
check_eq "their partition" 3 "$(grep -c ', partition: 1$' "$work/out")"
check "keys and values in produce order" \
  diff <(sed -n 's/^rowtime: [^,]*, key: \([^,]*\), value: \(.*\), partition: 1$/\1 \2/p' "$work/out") \
       <(printf 'k1 v1\nk2 v2\nk3 {"n":3}\n')
check "the header says the formats" grep -q '^Value format: JSON or KAFKA_STRING\|^Value format: KAFKA_STRING' "$work/out"
check "rowtime as ksqlDB writes it" \
  grep -qE '^rowtime: [0-9]{4}/[0-9]{2}/[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3} Z, key: k1,' "$work/out"

script "PRINT spread FROM BEGINNING LIMIT 8;" || fail "PRINT spread failed"
check_eq "records printed from 8 records over 4 partitions" 8 "$(records)"
check_eq "partitions they came from" 4 "$(grep -o 'partition: [0-9]*$' "$work/out" | sort -u | wc -l | tr -d ' ')"

script "PRINT single FROM BEGINNING LIMIT 2;" || fail "PRINT single failed"
check_eq "records printed from a one-partition topic" 2 "$(records)"

# A script's PRINT prints what is there, then follows new records until its
# LIMIT: `eddy run --until-caught-up` ends once it has printed what is
# there, so every layout, empty included, ends without a LIMIT.
cat > "$work/all.ksql" <<'EOF'
PRINT 'p' FROM BEGINNING;
PRINT 'empty' FROM BEGINNING;
EOF
"$EDDY" run "$work/all.ksql" --bootstrap-servers "$BOOTSTRAP" --state-dir "$work/s1" \
  --until-caught-up > "$work/out" 2> "$work/err" || { cat "$work/err"; fail "eddy run of PRINTs failed"; }
check_eq "records printed by PRINT 'p' then PRINT 'empty' (no LIMIT)" 3 "$(records)"

# ---- LIMIT 0, INTERVAL --------------------------------------------------
script "PRINT 'p' FROM BEGINNING LIMIT 0;" || fail "LIMIT 0 failed"
check_eq "records printed with LIMIT 0" 0 "$(records)"
# (A push statement in a script runs until its LIMIT, as in the REPL.)
script "PRINT 'p' FROM BEGINNING INTERVAL 2 LIMIT 2;" ||
  fail "INTERVAL 2 failed"
check "INTERVAL 2 prints every second record (k1, k3)" \
  diff <(grep -o 'key: k[0-9]' "$work/out") <(printf 'key: k1\nkey: k3\n')
rc=0; script "PRINT 'p' FROM BEGINNING INTERVAL 0;" || rc=$?
check_eq "INTERVAL 0 exits" 1 "$rc"
check "INTERVAL 0 is a positioned error" grep -q "line 1:1: INTERVAL must be at least 1" "$work/err"

# ---- names: quoted, back-quoted, unquoted, case ---------------------------
script 'PRINT `p` FROM BEGINNING LIMIT 1;' || fail "back-quoted name failed"
check_eq "records printed for a back-quoted name" 1 "$(records)"
script "PRINT MixedCase FROM BEGINNING LIMIT 1;" || fail "unquoted MixedCase failed"
check "an unquoted name keeps its case" grep -q 'key: m1, value: mixed' "$work/out"
rc=0; script "PRINT mixedcase FROM BEGINNING LIMIT 1;" || rc=$?
check_eq "another case exits" 1 "$rc"
check "another case is an error with a did-you-mean" \
  grep -q "line 1:1: could not find topic 'mixedcase' (topic names are case-sensitive); did you mean PRINT 'MixedCase';" "$work/err"
rc=0; script "PRINT 'nosuch' FROM BEGINNING;" || rc=$?
check_eq "an unknown topic exits" 1 "$rc"
check "an unknown topic is a clear error" grep -q "could not find topic 'nosuch'" "$work/err"

# ---- without FROM BEGINNING: only new records, waited for -----------------
"$EDDY" --bootstrap-servers "$BOOTSTRAP" <<< "PRINT p LIMIT 2;" > "$work/live" 2> "$work/err" &
pid=$!
add_exit_trap "kill $pid 2> /dev/null || true"
n=0
until [ "$(grep -c '^rowtime: ' "$work/live" || true)" -ge 2 ]; do
  n=$((n + 1))
  [ $n -le 100 ] || fail "PRINT p LIMIT 2 printed no new records in 20 s"
  printf 'new%d|fresh\n' "$n" | kcat -P -b "$BOOTSTRAP" -t p -K '|'
  sleep 0.2
done
wait "$pid" || fail "PRINT p LIMIT 2 did not end at its LIMIT"
check_eq "records printed by PRINT p LIMIT 2" 2 "$(grep -c '^rowtime: ' "$work/live")"
check "only records produced after it started" bash -c "! grep -q 'key: k[0-9]' '$work/live'"
check "the new records" grep -q 'key: new[0-9]*, value: fresh' "$work/live"

# Without LIMIT it goes on until interrupted (Ctrl-C), then ends cleanly.
"$EDDY" --bootstrap-servers "$BOOTSTRAP" <<< "PRINT 'p' FROM BEGINNING;" > "$work/live" 2> "$work/err" &
pid=$!
add_exit_trap "kill -KILL $pid 2> /dev/null || true"   # a failed check leaves nothing running
wait_for 20 bash -c "[ \$(grep -c '^rowtime: ' '$work/live') -ge 3 ]" || fail "PRINT without LIMIT printed nothing"
sleep 0.5
kill -0 "$pid" 2> /dev/null || fail "PRINT without LIMIT ended by itself"
kill -INT "$pid"
rc=0; wait "$pid" || rc=$?
check_eq "status after Ctrl-C" 0 "$rc"
echo "PASS"
