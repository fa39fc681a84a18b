#!/usr/bin/env bash
# The interactive shell, driven as a person would through tmux: multi-line
# statements, a push query printing rows until its LIMIT, a pull query,
# DESCRIBE, a positioned error with a caret, Tab completion, and history.
set -euo pipefail
: "${EDDY:?path to the eddy binary}" "${EDDY_SRC:?repo root}"
source "$EDDY_SRC/tests/integration/lib.sh"

work=$(mktemp -d)
[ -n "${KEEP_WORK:-}" ] || add_exit_trap "rm -rf '$work'"; echo "work dir: $work"
start_broker --topic acc:1
sess="eddy-repl-$$"
add_exit_trap "tmux kill-session -t '$sess' 2> /dev/null || true"
printf 'a1|{"SEVERITY":4,"CITY":"Dallas"}\na2|{"SEVERITY":1,"CITY":"Austin"}\na3|{"SEVERITY":3,"CITY":"Dallas"}\n' |
  kcat -P -b "$BOOTSTRAP" -t acc -K '|'

export HOME="$work"
tmux new-session -d -s "$sess" -x 200 -y 50 \
  "HOME='$work' '$EDDY' repl --bootstrap-servers '$BOOTSTRAP' --state-dir '$work/state' 2> '$work/stderr'"
screen() { tmux capture-pane -p -t "$sess" -S -200; }
# tmux reads a trailing ';' as its own command separator: send it escaped.
type_keys() {
  tmux send-keys -t "$sess" -l "${1%;}"
  if [[ $1 == *";" ]]; then tmux send-keys -t "$sess" '\;'; fi
}
type_line() { type_keys "$1"; tmux send-keys -t "$sess" Enter; }
wait_screen() {  # $1 = text that must appear
  wait_for 30 bash -c "tmux capture-pane -p -t '$sess' -S -200 | grep -qF -- \"\$1\"" _ "$1" ||
    { screen; fail "the screen never showed: $1"; }
}

wait_screen "eddy>"
type_line "SET 'auto.offset.reset' = 'earliest';"
wait_screen "Successfully changed local property"
# A statement over three lines: the continuation prompt, then the result.
type_line "CREATE STREAM acc (id STRING KEY,"
wait_screen "   ->"
type_line "  severity INT, city STRING)"
type_line "  WITH (kafka_topic='acc', value_format='JSON');"
wait_screen "Stream ACC created."
type_line "CREATE TABLE per_city AS SELECT city, COUNT(*) AS n FROM acc GROUP BY city;"
wait_screen "Created query with ID CTAS_PER_CITY_"
# A push query: rows as they arrive, ended by LIMIT.
type_line "SELECT id, city FROM acc WHERE severity >= 3 EMIT CHANGES LIMIT 2;"
wait_screen "|a3"
wait_screen "Query terminated"
screen | grep -q "|a1 " || fail "push query row a1 missing"
screen | grep -q "|a2 " && fail "push query printed a2, which its WHERE excludes"
# A pull query answers from the table (the persistent query kept running
# while the prompt waited).
sleep 2
type_line "SELECT city, n FROM per_city WHERE city = 'Dallas';"
wait_screen "(1 row from PER_CITY)"
screen | grep -E "\|Dallas +\|2 +\|" > /dev/null || { screen; fail "pull query did not show Dallas with 2"; }
# A positioned error with a caret, and a hint (on stderr, the terminal in
# real use; a file here).
type_line "SELECT sevrity FROM acc;"
wait_for 10 grep -q "did you mean SEVERITY?" "$work/stderr" || fail "no hint for the misspelt column"
grep -q "^line 1:8: unknown column SEVRITY in ACC" "$work/stderr" || fail "the error has no position"
grep -q "^       \^" "$work/stderr" || fail "no caret under the column"
# Tab completes a stream name.
tmux send-keys -t "$sess" -l "DESCRIBE PER_C"
tmux send-keys -t "$sess" Tab
type_line ";"
wait_screen "Name                 : PER_CITY"
type_line "EXIT;"
sleep 1
wait_for 10 bash -c "! tmux has-session -t '$sess' 2> /dev/null" || fail "the shell did not exit on EXIT"
grep -Eq 'DESCRIBE( |\\040)PER_CITY( |\\040)?;' "$work/.eddy_history" || fail "history was not saved"
echo "PASS: the REPL runs statements, push and pull queries, errors, completion and history"
