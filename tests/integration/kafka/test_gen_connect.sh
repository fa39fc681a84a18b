#!/usr/bin/env bash
# `eddy gen` against a real broker process, and what every subcommand does
# when there is no broker: gen without --bootstrap-servers says at once to
# start `eddy broker` (an embedded broker would vanish with gen); an
# unreachable address is an error within seconds for gen, run and the REPL
# (not an empty SHOW TOPICS and exit 0), and so is a broker that stops
# answering mid-session; -p works everywhere and -X is its alias;
# --start-id moves the ids so a second run adds keys; and gen warns, with
# the numbers, when the development broker's retention dropped records.
set -euo pipefail
: "${EDDY:?path to the eddy binary}" "${EDDY_SRC:?repo root}"
source "$EDDY_SRC/tests/integration/lib.sh"

work=$(mktemp -d)
[ -n "${KEEP_WORK:-}" ] || add_exit_trap "rm -rf '$work'"
now_ms() { date +%s%3N; }

# ---- no broker ------------------------------------------------------------
rc=0; "$EDDY" gen accidents --topic a --count 10 > /dev/null 2> "$work/err" || rc=$?
check_eq "gen without --bootstrap-servers exits" 2 "$rc"
check "it says to start eddy broker" grep -q 'eddy broker' "$work/err"
check "it names --bootstrap-servers" grep -q -- '--bootstrap-servers' "$work/err"

t0=$(now_ms)
rc=0; "$EDDY" gen accidents --topic a --count 10 --bootstrap-servers 127.0.0.1:9 > /dev/null 2> "$work/err" || rc=$?
echo "figure: gen to an unreachable broker gave up after $(($(now_ms) - t0)) ms"
check_eq "gen to an unreachable broker exits" 1 "$rc"
check "gen says the broker cannot be reached" grep -q 'cannot reach a Kafka broker at 127.0.0.1:9' "$work/err"

t0=$(now_ms)
rc=0; echo "SHOW TOPICS;" | "$EDDY" --bootstrap-servers 127.0.0.1:9 > "$work/out" 2> "$work/err" || rc=$?
echo "figure: the REPL on an unreachable broker gave up after $(($(now_ms) - t0)) ms"
check_eq "the REPL on an unreachable broker exits" 1 "$rc"
check "the REPL says the broker cannot be reached" grep -q 'cannot reach a Kafka broker at 127.0.0.1:9' "$work/err"
check "and prints no (empty) topic list" bash -c "! grep -q 'Kafka Topic' '$work/out'"

echo "SHOW TOPICS;" > "$work/show.ksql"
rc=0; "$EDDY" run "$work/show.ksql" --bootstrap-servers 127.0.0.1:9 --state-dir "$work/s0" \
  --until-caught-up > /dev/null 2> "$work/err" || rc=$?
check_eq "run on an unreachable broker exits" 1 "$rc"
check "run says the broker cannot be reached" grep -q 'cannot reach a Kafka broker at 127.0.0.1:9' "$work/err"

# ---- a broker that stops answering mid-session ---------------------------
start_broker
stopping=$BOOTSTRAP
rc=0
(sleep 1; stop_broker > /dev/null 2>&1 || true; sleep 1; echo "SHOW TOPICS;") |
  "$EDDY" --bootstrap-servers "$stopping" > "$work/out" 2> "$work/err" || rc=$?
check_eq "SHOW TOPICS after the broker stopped exits" 1 "$rc"
check "SHOW TOPICS says the broker did not answer" grep -q 'the Kafka broker did not answer' "$work/err"

# ---- gen: -p and -X, --start-id ---------------------------------------------
start_broker --topic acc:2 --topic small:1
"$EDDY" gen accidents --topic acc --count 5 --bootstrap-servers "$BOOTSTRAP" -p linger.ms=1 2> "$work/err" ||
  { cat "$work/err"; fail "gen with -p failed"; }
"$EDDY" gen accidents --topic acc --count 5 --start-id 6 --bootstrap-servers "$BOOTSTRAP" -X linger.ms=1 \
  2> "$work/err" || { cat "$work/err"; fail "gen with -X and --start-id failed"; }
kcat -C -b "$BOOTSTRAP" -t acc -e -o beginning -q -f '%k\n' | sort -t- -k2 -n > "$work/keys"
check "ids A-1..A-10 over two runs (--start-id 6 added keys)" \
  diff "$work/keys" <(for i in $(seq 1 10); do echo "A-$i"; done)
check "the value's ID matches the key" \
  bash -c "kcat -C -b '$BOOTSTRAP' -t acc -e -o beginning -q -f '%k %s\n' | awk '{ if (index(\$0, \"\\\"ID\\\":\\\"\" \$1 \"\\\"\") == 0) bad++ } END { exit bad > 0 }'"
"$EDDY" gen atm --topic atm --count 3 --start-id 100 --bootstrap-servers "$BOOTSTRAP" 2> /dev/null
check "ATM transaction ids from --start-id" \
  diff <(kcat -C -b "$BOOTSTRAP" -t atm -e -o beginning -q -f '%s\n' | jq -r .TRANSACTION_ID | sort) \
       <(printf 'txn-100\ntxn-101\ntxn-102\n')
rc=0; "$EDDY" gen accidents --topic acc --count 5 --bootstrap-servers "$BOOTSTRAP" -p nokey > /dev/null 2>&1 || rc=$?
check_eq "gen -p without = exits" 2 "$rc"
rc=0; "$EDDY" gen accidents --topic acc --count 5 --bootstrap-servers "$BOOTSTRAP" --start-id x > /dev/null 2>&1 || rc=$?
check_eq "gen --start-id x exits" 2 "$rc"

# run and the REPL take -X as -p's alias.
echo "SHOW TOPICS;" | "$EDDY" --bootstrap-servers "$BOOTSTRAP" -X client.id=viaX > "$work/out" 2> "$work/err" ||
  { cat "$work/err"; fail "the REPL with -X failed"; }
check "the REPL with -X lists topics" grep -q '^ acc ' "$work/out"
"$EDDY" run "$work/show.ksql" --bootstrap-servers "$BOOTSTRAP" -X client.id=viaX --state-dir "$work/s1" \
  --until-caught-up > "$work/out" 2> "$work/err" || { cat "$work/err"; fail "run with -X failed"; }
check "run with -X lists topics" grep -q '^ acc ' "$work/out"

# ---- retention: the development broker keeps ~5 MB per partition ---------
"$EDDY" gen accidents --topic small --count 1000 --bootstrap-servers "$BOOTSTRAP" 2> "$work/err"
check "1000 accidents fit: no warning" bash -c "! grep -q warning '$work/err'"
"$EDDY" gen accidents --topic small --count 20000 --start-id 1001 --bootstrap-servers "$BOOTSTRAP" 2> "$work/err"
cat "$work/err"
kept=$(sed -n 's/.*the broker kept only \([0-9]*\) of the 20000 records.*/\1/p' "$work/err")
dropped=$(sed -n 's/^ *\([0-9]*\) were dropped by its retention.*/\1/p' "$work/err")
check "gen warns that records were dropped" test -n "$kept"
check_eq "kept + dropped" 20000 "$((kept + dropped))"
# The 1000 earlier records went first; what is left is the newest `kept`.
check_eq "records in the topic" "$kept" "$(topic_count small)"
echo "PASS"
