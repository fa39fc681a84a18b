#!/usr/bin/env bash
# The interactive shell, driven as a person would through tmux: multi-line
# statements (one history entry each), HELP, a push query with its Ctrl-C
# hint and its rows in a grid that holds for a value wider than its cell,
# a scan's footer, a pull query, DESCRIBE, a positioned error with a
# caret, a log line arriving while a statement is being typed (it goes
# above the prompt, the typed text stays), Kafka info lines kept out of
# the terminal (in the log file), SHOW QUERIES cut to the terminal's
# width, Tab completion, and leaving while persistent queries run (asked,
# with what happens to their state).
set -euo pipefail
: "${EDDY:?path to the eddy binary}" "${EDDY_SRC:?repo root}"
source "$EDDY_SRC/tests/integration/lib.sh"

work=$(mktemp -d)
[ -n "${KEEP_WORK:-}" ] || add_exit_trap "rm -rf '$work'"; echo "work dir: $work"
start_broker --topic acc:1
sess="eddy-repl-$$"
add_exit_trap "tmux kill-session -t '$sess' 2> /dev/null || true"
long_city="Llanfairpwllgwyngyllgogerychwyrndrobwllllantysiliogogogoch-by-the-sea"
printf 'a1|{"SEVERITY":4,"CITY":"Dallas"}\na2|{"SEVERITY":1,"CITY":"Austin"}\na3|{"SEVERITY":3,"CITY":"Dallas"}\na4|{"SEVERITY":2,"CITY":"%s"}\n' \
  "$long_city" | kcat -P -b "$BOOTSTRAP" -t acc -K '|'

export HOME="$work"
# The grid and the ellipsis are UTF-8; so must the terminal be.
export LC_ALL=C.UTF-8
# stderr goes to the terminal, as in real use: log lines must not land on
# the prompt.
tmux -u new-session -d -s "$sess" -x 200 -y 50 \
  "HOME='$work' '$EDDY' repl --bootstrap-servers '$BOOTSTRAP' --state-dir '$work/state' --log-file '$work/eddy.log'; sleep 30"
screen() { tmux capture-pane -p -J -t "$sess" -S -1000; }
# tmux reads a trailing ';' as its own command separator: send it escaped.
type_keys() {
  tmux send-keys -t "$sess" -l "${1%;}"
  if [[ $1 == *";" ]]; then tmux send-keys -t "$sess" '\;'; fi
}
type_line() { type_keys "$1"; tmux send-keys -t "$sess" Enter; }
wait_screen() {  # $1 = text that must appear
  wait_for 30 bash -c "tmux capture-pane -p -J -t '$sess' -S -1000 | grep -qF -- \"\$1\"" _ "$1" ||
    { screen; fail "the screen never showed: $1"; }
}
count_screen() { screen | grep -cF -- "$1" || true; }
# The screen from the last line containing $1 on.
screen_after() { screen | awk -v m="$1" 'index($0, m) { buf = "" } { buf = buf $0 "\n" } END { printf "%s", buf }'; }

wait_screen "eddy>"
# HELP, help; and \? list the statements and keys.
type_line "help"
wait_screen "Shell commands"
screen | grep -q "Ctrl-C  *stop a running push query" || fail "help does not list the keys"
screen | grep -q "CREATE STREAM s \[WITH (...)\] AS SELECT" || fail "help does not list the statements"
type_line "help;"
type_line '\?'
wait_for 10 bash -c "[ \$(tmux capture-pane -p -J -t '$sess' -S -1000 | grep -c 'Shell commands') -eq 3 ]" ||
  { screen; fail "help; and \\? do not both show the help"; }
echo "ok: help, help; and \\? show the statements and keys"

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
# A push query: the hint, rows as they arrive, ended by LIMIT.
type_line "SELECT id, city FROM acc WHERE severity >= 3 EMIT CHANGES LIMIT 2;"
wait_screen "|a3"
wait_screen "Query terminated"
screen | grep -q "^Press Ctrl-C to stop.$" || fail "the push query gave no Ctrl-C hint"
screen | grep -q "|a1 " || fail "push query row a1 missing"
screen | grep -q "|a2 " && fail "push query printed a2, which its WHERE excludes"
# A push query ended with Ctrl-C; five columns (38 wide on 200) and a
# 70-character city: the value wraps inside its cell, the grid holds.
type_line "SELECT id, severity, city, id AS id2, severity AS s2 FROM acc EMIT CHANGES;"
wait_screen "|a4 "
sleep 1
n_before=$(count_screen "Query terminated")
tmux send-keys -t "$sess" C-c
wait_for 10 bash -c "[ \$(tmux capture-pane -p -J -t '$sess' -S -1000 | grep -c 'Query terminated') -gt $n_before ]" ||
  { screen; fail "Ctrl-C did not stop the push query"; }
grid=$(screen_after "|ID " | grep -E '^[|+]')
widths=$(awk '{ print length($0) }' <<< "$grid" | sort -u)
[ "$(wc -l <<< "$widths")" -eq 1 ] || { echo "$grid"; fail "the grid's lines differ in width: $widths"; }
cw=$((200 / 5 - 2))   # the ksqlDB CLI's cell: the terminal shared among the columns
grep -q "^|a4 *|2 *|${long_city:0:cw}|a4 " <<< "$grid" || { echo "$grid"; fail "row a4 missing"; }
grep -Eq "^\| +\| +\|${long_city:cw} +\| +\| +\|\$" <<< "$grid" ||
  { echo "$grid"; fail "the long city does not continue inside its cell"; }
echo "ok: a value wider than its cell wraps inside it; every grid line is $widths wide"
wait_screen "eddy>"
# A scan (no EMIT CHANGES) that finds nothing still prints its footer.
type_line "SELECT id FROM acc WHERE severity > 100;"
wait_screen "(0 rows from ACC)"
# A pull query answers from the table (the persistent query kept running
# while the prompt waited).
sleep 2
type_line "SELECT city, n FROM per_city WHERE city = 'Dallas';"
wait_screen "(1 row from PER_CITY)"
screen | grep -E "\|Dallas +\|2 +\|" > /dev/null || { screen; fail "pull query did not show Dallas with 2"; }
# A positioned error with a caret, and a hint.
type_line "SELECT sevrity FROM acc;"
wait_screen "did you mean SEVERITY?"
screen | grep -q "^line 1:8: unknown column SEVRITY in ACC" || fail "the error has no position"
screen | grep -q "^       \^" || fail "no caret under the column"
# A log line (a bad record the persistent query skips) while a statement
# is being typed: it goes above the prompt, which comes back with the
# text typed so far.
type_keys "SELECT id FROM acc WHE"
sleep 1
printf 'bad|{not json\n' | kcat -P -b "$BOOTSTRAP" -t acc -K '|'
wait_screen "skipped bad record at acc[0]@4"
screen | grep -q "^eddy: warning: query CTAS_PER_CITY_[0-9]*: skipped bad record at acc\[0\]@4" ||
  { screen; fail "the log line was not written on a line of its own"; }
[ "$(screen | grep -v '^$' | tail -1)" == "eddy> SELECT id FROM acc WHE" ] ||
  { screen; fail "the prompt and the text typed so far were not redrawn below the log line"; }
type_line "RE id = 'a2';"
wait_screen "(1 row from ACC)"
echo "ok: a log line goes above the prompt; the typed text stays"
# Kafka client info lines stay out of the terminal; the log file has them.
screen | grep -q "kafka consumer: group" && { screen; fail "Kafka info lines reached the terminal"; }
grep -Eq '^[0-9-]{10}T[0-9:.]{12}Z info: kafka consumer: group eddy_CTAS_PER_CITY_[0-9]+: assigned' "$work/eddy.log" ||
  { cat "$work/eddy.log"; fail "the log file has no timestamped Kafka info lines"; }
echo "ok: Kafka info lines only in the log file"
# SHOW QUERIES fits the terminal; cut text ends in an ellipsis.
long_where=$(printf " AND city <> 'not this city %s'" $(seq 1 8))
type_line "CREATE STREAM severe_accidents AS SELECT id, city, severity FROM acc WHERE severity >= 3$long_where;"
wait_screen "Created query with ID CSAS_SEVERE_ACCIDENTS_"
type_line "SHOW QUERIES;"
wait_screen " CSAS_SEVERE_ACCIDENTS_"
row=$(screen | grep "^ CSAS_SEVERE_ACCIDENTS_")
[ "${#row}" -le 200 ] || { screen; fail "SHOW QUERIES is wider than the terminal (${#row})"; }
[[ $row == *"| CREATE STREAM severe_accidents AS SELECT"*"…"* ]] || { screen; fail "the cut statement has no ellipsis: $row"; }
echo "ok: SHOW QUERIES fits the terminal (${#row} of 200 columns), cut text marked"
# Tab completes a stream name.
tmux send-keys -t "$sess" -l "DESCRIBE PER_C"
tmux send-keys -t "$sess" Tab
type_line ";"
wait_screen "Name                 : PER_CITY"
# Leaving with queries running asks first; no stays, Ctrl-D asks again,
# yes leaves.
type_line "EXIT"
wait_screen "Leave anyway? [y/N]"
screen | grep -q "^2 persistent queries are running: CTAS_PER_CITY_[0-9]*, CSAS_SEVERE_ACCIDENTS_[0-9]*\.$" ||
  { screen; fail "leaving does not name the running queries"; }
screen | grep -qF "their state and offsets are kept in $work/state, and they resume where they stopped" ||
  { screen; fail "leaving does not say what happens to the queries' state"; }
type_line "n"
wait_screen "Staying; the queries keep running."
tmux send-keys -t "$sess" C-d
wait_for 10 bash -c "[ \$(tmux capture-pane -p -J -t '$sess' -S -1000 | grep -c 'Leave anyway') -eq 2 ]" ||
  { screen; fail "Ctrl-D did not ask"; }
type_line "y"
wait_screen "Stopping 2 persistent queries"
echo "ok: leaving with queries running asks, and says their state is kept"
tmux kill-session -t "$sess"
# History: the three-line CREATE STREAM is one entry.
sed 's/\\040/ /g' "$work/.eddy_history" |
  grep -qxF "CREATE STREAM acc (id STRING KEY, severity INT, city STRING) WITH (kafka_topic='acc', value_format='JSON');" ||
  { cat "$work/.eddy_history"; fail "the multi-line statement is not one history entry"; }
grep -Eq 'DESCRIBE( |\\040)PER_CITY( |\\040)?;' "$work/.eddy_history" || fail "history was not saved"
echo "PASS: the REPL runs statements, push and pull queries, errors, completion, help, history and leaving"
