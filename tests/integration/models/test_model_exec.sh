#!/usr/bin/env bash
# Upgrading the model of a running `eddy run` with `eddy exec` (cli/control.c):
# readings keep arriving while CREATE OR REPLACE MODEL switches the query at a
# checkpoint.  Every reading is scored, once, by version 1 before the offsets
# the switch recorded (per partition) and by version 2 from them; SIGKILL and a
# restart with the model files gone go on with the stored copy of version 2.
# Also: eddy exec's answers (the output, a positioned error with exit 1, exit 2
# when no eddy run serves the state directory).
set -euo pipefail
: "${EDDY:?path to the eddy binary}" "${EDDY_SRC:?repo root}"
source "$EDDY_SRC/tests/integration/lib.sh"

work=$(mktemp -d)
[ -n "${KEEP_WORK:-}" ] || add_exit_trap "rm -rf '$work'"; echo "work dir: $work"
start_broker --topic readings:2 --topic SCORED:2
cd "$work"
# Version 1 scores x as x, version 2 as 2x + 100 (LINEAR: exact in binary).
echo '{"type":"linear","features":["X"],"coefficients":[1.0],"intercept":0}' > v1.json
echo '{"type":"linear","features":["X"],"coefficients":[2.0],"intercept":100}' > v2.json
cat > scoring.ksql <<'KSQL'
SET 'auto.offset.reset' = 'earliest';
CREATE MODEL risk FROM 'v1.json';
CREATE STREAM readings (k STRING KEY, n INT, x DOUBLE)
  WITH (kafka_topic = 'readings', value_format = 'JSON');
CREATE STREAM scored AS
  SELECT k, n, PREDICT(risk, x) AS p, MODEL_VERSION(risk) AS v FROM readings;
KSQL

produce() {  # readings $1 .. $2-1
  awk -v a="$1" -v b="$2" 'BEGIN { for (i = a; i < b; i++) printf "k%d|{\"N\":%d,\"X\":%d}\n", i, i, i }' |
    kcat -P -b "$BOOTSTRAP" -t readings -K '|'
}
scored() { topic_count SCORED; }
run_eddy() {
  "$EDDY" run scoring.ksql --bootstrap-servers "$BOOTSTRAP" --state-dir state \
    -p commit.interval.ms=200 >> run.log 2>&1 &
  pid=$!
  add_exit_trap "kill -KILL $pid 2> /dev/null || true"
}

set +e
"$EDDY" exec --state-dir state -e 'SHOW MODELS;' 2> noserver.err
rc=$?
set -e
check_eq "eddy exec without an eddy run: exit status" 2 "$rc"
check "it says so" grep -q "no eddy run serves state directory state" noserver.err

produce 0 20000
run_eddy
wait_for 60 bash -c "[ \$(kcat -C -b $BOOTSTRAP -t SCORED -e -o beginning -q -f 'x\n' | wc -l) -ge 2000 ]" ||
  fail "the query did not start scoring"
produce 20000 30000 &   # readings keep arriving during the upgrade
producer=$!
"$EDDY" exec --state-dir state -e "CREATE OR REPLACE MODEL risk FROM 'v2.json';" > upgrade.out
cat upgrade.out
wait $producer
produce 30000 32000   # and after it
check "the new version is named" grep -q "Model RISK version 2 created" upgrade.out
check "the switch point is named" grep -q "Query CSAS_SCORED_1 scores with version 2 from offsets readings\[" upgrade.out

set +e
"$EDDY" exec --state-dir state -e "SHOW MODELS;
DESCRIBE MODEL rsik;" > bad.out 2> bad.err
rc=$?
set -e
check_eq "a failing statement: exit status" 1 "$rc"
check "its output before the error comes back" grep -q "RISK" bad.out
check "the error is positioned, with a hint" grep -qx "line 2:16: unknown model RSIK; did you mean RISK?" bad.err
# From a file, the file as named; from stdin, "stdin" (as eddy run and a
# script piped into the REPL say it), not the server's idea of the origin.
printf 'SHOW MODELS;\nDESCRIBE MODEL rsik;\n' > typo.ksql
"$EDDY" exec --state-dir state typo.ksql > /dev/null 2> bad.err || true
check "a file's error names the file" grep -qx "typo.ksql: line 2:16: unknown model RSIK; did you mean RISK?" bad.err
"$EDDY" exec --state-dir state - < typo.ksql > /dev/null 2> bad.err || true
check "stdin's error names stdin" grep -qx "stdin: line 2:16: unknown model RSIK; did you mean RISK?" bad.err

# Statements piped into `eddy exec -` run (stdin is a pipe, not a file);
# input it cannot read is refused with the reason, exit 1, nothing sent.
printf 'SHOW MODELS;\nDESCRIBE MODEL risk;\n' | "$EDDY" exec --state-dir state - > stdin.out
check "statements from a pipe on stdin run" grep -q "CSAS_SCORED_1 (v2)" stdin.out
check "all of them" grep -q "CSAS_SCORED_1 | 2 (now)" stdin.out
printf 'SHOW MODELS;\n\0' > nul.ksql
mkdir adir.ksql
mkfifo fifo.ksql
truncate -s 17M big.ksql
served=$(grep -c "ran statements from eddy exec" run.log)
unreadable() {  # $1 = the message wanted; the rest: how eddy exec is run
  local want=$1 rc=0
  shift
  "$@" > unreadable.out 2> unreadable.err || rc=$?
  check_eq "$want: exit status" 1 "$rc"
  check "$want: said" grep -qF "eddy exec: $want" unreadable.err
}
unreadable "cannot read stdin: line 2:1: a NUL byte (statements are text)" \
  bash -c "cat nul.ksql | '$EDDY' exec --state-dir state -"
unreadable "cannot read nul.ksql: line 2:1: a NUL byte (statements are text)" "$EDDY" exec --state-dir state nul.ksql
unreadable "cannot read none.ksql: No such file or directory" "$EDDY" exec --state-dir state none.ksql
unreadable "cannot read adir.ksql: it is a directory" "$EDDY" exec --state-dir state adir.ksql
unreadable "cannot read fifo.ksql: not a regular file" "$EDDY" exec --state-dir state fifo.ksql
unreadable "cannot read big.ksql: larger than 16 MiB, the limit for a script" "$EDDY" exec --state-dir state big.ksql
check_eq "none of them reached eddy run" "$served" "$(grep -c 'ran statements from eddy exec' run.log)"

wait_for 60 bash -c "[ \$(kcat -C -b $BOOTSTRAP -t SCORED -e -o beginning -q -f 'x\n' | wc -l) -ge 32000 ]" ||
  fail "not every reading was scored: $(scored) of 32000"

# The switch point per partition, from the record of it.
jq -r '.switches[] | select(.query == "CSAS_SCORED_1" and .version == 2) | .offsets[] |
       "\(.partition) \(.offset)"' state/models/switches.json > switch.txt
cat switch.txt
check_eq "a switch point in each partition" 2 "$(wc -l < switch.txt)"

# Each reading: its partition and offset; each score: the reading, version, value.
verify() {  # $1 = readings expected; $2 = "once" or "at-least-once"
  kcat -C -b "$BOOTSTRAP" -t readings -e -o beginning -q -f '%k %p %o\n' | sed 's/^k//' > in.txt
  kcat -C -b "$BOOTSTRAP" -t SCORED -e -o beginning -q -f '%s\n' | jq -r '"\(.N) \(.V) \(.P)"' > out.txt
  awk -v want="$1" -v mode="$2" '
    FILENAME == "switch.txt" { sw[$1] = $2; next }
    FILENAME == "in.txt" { part[$1] = $2; off[$1] = $3; next }
    { n = $1; v = $2; p = $3 + 0
      seen[n]++
      want_v = off[n] < sw[part[n]] ? 1 : 2
      want_p = want_v == 1 ? n : 2 * n + 100
      if (v != want_v || p != want_p) { bad++; if (bad < 5) print "reading " n " (partition " part[n] " offset " off[n] "): version " v " score " p ", expected " want_v " " want_p > "/dev/stderr" }
      by[v]++ }
    END {
      for (n = 0; n < want; n++) { if (!(n in seen)) missing++; else if (seen[n] > 1) twice++ }
      printf "%d readings: %d scores by version 1, %d by version 2; %d wrong, %d missing, %d scored more than once\n", want, by[1], by[2], bad, missing, twice
      exit (bad > 0 || missing > 0 || (mode == "once" && twice > 0) || by[1] == 0 || by[2] == 0) }
  ' switch.txt in.txt out.txt
}
check "every reading scored once, by the version of its offset" verify 32000 once

# SIGKILL, the model files gone, more readings, a restart: the stored copy of
# version 2 goes on (output is at-least-once across a crash).
kill -KILL "$pid"
wait "$pid" 2> /dev/null || true
rm -f v1.json v2.json
produce 32000 38000
: > run.log
run_eddy
wait_for 60 bash -c "kcat -C -b $BOOTSTRAP -t SCORED -e -o beginning -q -f '%s\n' 2> /dev/null | grep -q '\"N\":37999,'" ||
  { cat run.log; fail "the restarted run did not score the new readings"; }
check "the restart skipped the CREATE MODEL whose file is gone" grep -q "skipped CREATE MODEL RISK: it exists (version 2)" run.log
check "every reading scored, by the version of its offset" verify 38000 at-least-once
"$EDDY" exec --state-dir state -e "DESCRIBE MODEL risk;" > describe.out
check "DESCRIBE MODEL names the switch point" grep -q "readings\[0\]@$(awk '$1 == 0 { print $2 }' switch.txt), readings\[1\]@$(awk '$1 == 1 { print $2 }' switch.txt)" describe.out
kill -TERM "$pid"
wait "$pid"
check "the socket is gone after the run" test ! -e state/eddy.sock
