#!/usr/bin/env bash
# What a session prints besides results, against a real broker: a script on
# stdin goes on after an error (and stops at the first with --fail-fast),
# waits for the persistent queries it started, and prints a scan's footer;
# Kafka info lines reach stderr only with --verbose (the log file always);
# `eddy run` prints progress lines (records in/out, rate, lag; how far from
# caught up; by default only on a terminal); a restart names skipped
# statements in one line and adds nothing to commands.ksql.
set -euo pipefail
: "${EDDY:?path to the eddy binary}" "${EDDY_SRC:?repo root}"
source "$EDDY_SRC/tests/integration/lib.sh"

work=$(mktemp -d)
[ -n "${KEEP_WORK:-}" ] || add_exit_trap "rm -rf '$work'"; echo "work dir: $work"
start_broker --topic acc:2
"$EDDY" gen accidents --topic acc --count 3000 --seed 21 --bootstrap-servers "$BOOTSTRAP"
severe=$(kcat -C -b "$BOOTSTRAP" -t acc -o beginning -e -q -f '%s\n' | jq -c 'select(.Severity >= 3)' | wc -l)

# ---- a script on stdin ------------------------------------------------------
cat > "$work/script.ksql" <<'EOF'
SET 'auto.offset.reset' = 'earliest';
CREATE STREAM acc (id STRING KEY, severity INT, city STRING)
  WITH (kafka_topic='acc', value_format='JSON');
SELECT id FROM acc WHERE sevrity > 3; SHOW STREAMS;
CREATE STREAM severe AS SELECT id, city FROM acc WHERE severity >= 3;
SELECT id FROM acc WHERE severity > 100;
EOF
rc=0
timeout 300 "$EDDY" --bootstrap-servers "$BOOTSTRAP" --until-caught-up --log-file "$work/script.log" \
  < "$work/script.ksql" > "$work/script.out" 2> "$work/script.err" || rc=$?
cat "$work/script.err"
check_eq "a script with an error exits 1" 1 "$rc"
grep -q "^stdin: line 4:26: unknown column SEVRITY in ACC; did you mean SEVERITY?" "$work/script.err" ||
  fail "the error is not positioned in the script"
check "the statement after the error on its line ran" grep -q "^ ACC  *| acc " "$work/script.out"
check "the statements after the error ran" grep -q "^Created query with ID CSAS_SEVERE_" "$work/script.out"
check "a scan that finds nothing prints its footer" grep -qxF "(0 rows from ACC)" "$work/script.out"
grep -q "end of script; 1 persistent query keeps running (CSAS_SEVERE_[0-9]*) until caught up" "$work/script.err" ||
  fail "the script did not say it waits for its query"
check_eq "the script waited for its query to catch up" "$severe" "$(topic_count SEVERE)"
grep -q "kafka consumer: group" "$work/script.err" && fail "Kafka info lines on stderr without --verbose"
check "the log file has the Kafka info lines, timestamped" \
  grep -Eq '^[0-9-]{10}T[0-9:.]{12}Z info: kafka consumer: group eddy_CSAS_SEVERE_[0-9]+: assigned' "$work/script.log"

# --fail-fast: nothing after the first error runs.
rc=0
timeout 120 "$EDDY" --bootstrap-servers "$BOOTSTRAP" --fail-fast \
  < "$work/script.ksql" > "$work/ff.out" 2> "$work/ff.err" || rc=$?
check_eq "--fail-fast exits 1" 1 "$rc"
grep -q "Created query" "$work/ff.out" && fail "--fail-fast ran statements after the error"
grep -q "SHOW STREAMS\|Stream Name" "$work/ff.out" && fail "--fail-fast ran the rest of the line"
# --verbose: Kafka info lines on stderr too.
echo "CREATE STREAM acc (id STRING KEY, severity INT) WITH (kafka_topic='acc', value_format='JSON'); SELECT id FROM acc LIMIT 1;" |
  timeout 120 "$EDDY" --bootstrap-servers "$BOOTSTRAP" --verbose > /dev/null 2> "$work/verbose.err"
check "--verbose shows Kafka info lines" grep -q "^eddy: info: kafka consumer: group eddy_transient_ACC" "$work/verbose.err"

# ---- eddy run: progress, then a restart ---------------------------------------
cat > "$work/run.ksql" <<'EOF'
SET 'auto.offset.reset' = 'earliest';
CREATE STREAM acc (id STRING KEY, severity INT, city STRING)
  WITH (kafka_topic='acc', value_format='JSON');
CREATE TABLE per_city AS
  SELECT city, COUNT(*) AS n
  FROM acc
  GROUP BY city;
EOF
timeout 300 "$EDDY" run "$work/run.ksql" --bootstrap-servers "$BOOTSTRAP" --state-dir "$work/state" \
  --until-caught-up --progress 1 2> "$work/run1.err"
cat "$work/run1.err"
check "progress lines: records in and out, rate, lag" \
  grep -Eq '^eddy: \[[0-9]+s\] CTAS_PER_CITY_1: [0-9]+ in \([0-9]+/s\), [0-9]+ out, lag ([0-9]+|not known yet)$' "$work/run1.err"
check "--until-caught-up says how far it is" grep -q "^eddy: until caught up: " "$work/run1.err"
grep -Eq "^eddy: \[[0-9]+s\] CTAS_PER_CITY_1: 3000 in " "$work/run1.err" ||
  echo "note: the run caught up before a progress line saw all 3000 records"
# Progress is for terminals: none without --progress when stderr is a file.
cp -r "$work/state" "$work/state-copy"
timeout 300 "$EDDY" run "$work/run.ksql" --bootstrap-servers "$BOOTSTRAP" --state-dir "$work/state" \
  --until-caught-up 2> "$work/run2.err"
cat "$work/run2.err"
grep -q "CTAS_PER_CITY_1: .* in (" "$work/run2.err" && fail "progress lines on a non-terminal without --progress"
check "a skipped statement is named in one line" \
  grep -qx "eddy: info: skipped CREATE TABLE PER_CITY AS SELECT: already in the catalog" "$work/run2.err"
check "the skipped stream too" grep -qx "eddy: info: skipped CREATE STREAM ACC: already in the catalog" "$work/run2.err"
check_eq "commands.ksql unchanged by the restart" "$(cat "$work/state-copy/commands.ksql")" "$(cat "$work/state/commands.ksql")"
check_eq "one SET line in commands.ksql" 1 "$(grep -c "^SET 'auto.offset.reset'" "$work/state/commands.ksql")"

# On a terminal, progress lines come by default (every 3 s): eddy run in
# tmux, left running until a line shows, then Ctrl-C.
sess="eddy-session-$$"
add_exit_trap "tmux kill-session -t '$sess' 2> /dev/null || true"
tmux new-session -d -s "$sess" -x 200 -y 50 \
  "'$EDDY' run '$work/run.ksql' --bootstrap-servers '$BOOTSTRAP' --state-dir '$work/state-tty'; sleep 30"
wait_for 60 bash -c "tmux capture-pane -p -J -t '$sess' | grep -Eq '^eddy: \[[0-9]+s\] CTAS_PER_CITY_1: [0-9]+ in '" ||
  { tmux capture-pane -p -J -t "$sess"; fail "no progress line on a terminal"; }
tmux send-keys -t "$sess" C-c
wait_for 30 bash -c "tmux capture-pane -p -J -t '$sess' | grep -q 'eddy: [0-9]* records in, '" ||
  { tmux capture-pane -p -J -t "$sess"; fail "eddy run did not stop on Ctrl-C"; }
echo "ok: progress lines on a terminal by default"
echo "PASS: scripts go on after errors and wait for their queries; progress lines; clean restarts"
