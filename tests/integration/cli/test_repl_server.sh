#!/usr/bin/env bash
# The REPL as a client (`eddy --server URL`, like `ksql URL`) against
# `eddy server` and a real broker, driven with a script on stdin: CREATE
# STREAM, INSERT, SHOW STREAMS in the engine's table layout, a push query
# with LIMIT (the hint, its rows in the grid, "Limit Reached"), a scan of a
# stream with its footer, a pull query, an error with its line:column and
# caret; SET stays in the client and holds for the next queries; a push
# query without LIMIT ends on SIGINT (Ctrl-C) and the server frees it;
# basic authentication with --user/--password (-u/-p), and a clear refusal
# without them; interactively (tmux): Tab completes the server's names, a
# push query's rows print as they arrive, Ctrl-C returns to the prompt and
# the server frees the query.
set -euo pipefail
: "${EDDY:?path to the eddy binary}" "${EDDY_SRC:?repo root}"
source "$EDDY_SRC/tests/integration/lib.sh"

work=$(mktemp -d)
[ -n "${KEEP_WORK:-}" ] || add_exit_trap "rm -rf '$work'"; echo "work dir: $work"
start_broker --topic acc:1

echo "alice:$(openssl passwd -6 -salt 5aLtS4lt 's3cret')" > "$work/users"
"$EDDY" server --listen 127.0.0.1:0 --bootstrap-servers "$BOOTSTRAP" --state-dir "$work/state" \
  -p server.auth.basic.file="$work/users" > "$work/server.out" 2> "$work/server.err" &
SERVER_PID=$!
add_exit_trap "kill -KILL $SERVER_PID 2> /dev/null || true"
wait_for 20 grep -q 'serving ksqlDB' "$work/server.err" || { cat "$work/server.err"; fail "server did not start"; }
URL=$(grep -o 'http://[0-9.:]*' "$work/server.err")
echo "server at $URL"
metric() { curl -s -u alice:s3cret "$URL/metrics" | awk -v m="$1" '$1 == m { print $2 }'; }
metric_is() { [ "$(metric "$1")" = "$2" ]; }

# ---- authentication ----------------------------------------------------------
rc=0
echo "SHOW STREAMS;" | "$EDDY" --server "$URL" > "$work/noauth.out" 2> "$work/noauth.err" || rc=$?
check_eq "without credentials: exit status 1" 1 "$rc"
check "... says the server wants credentials" grep -q "refused the credentials: give --user and --password" "$work/noauth.err"
rc=0
echo "SHOW STREAMS;" | "$EDDY" --server "$URL" -u alice -p wrong > /dev/null 2> "$work/wrong.err" || rc=$?
check_eq "a wrong password: exit status 1" 1 "$rc"
rc=0
echo "SHOW STREAMS;" | "$EDDY" --server "$URL" --user alice > /dev/null 2> "$work/nopw.err" || rc=$?
check_eq "--user without --password on a pipe: usage error" 2 "$rc"
check "... saying so" grep -q "needs --password" "$work/nopw.err"

# ---- a session -------------------------------------------------------------------
cat > "$work/script.ksql" <<'EOF'
SET 'auto.offset.reset' = 'earliest';
CREATE STREAM acc (id STRING KEY, city STRING, sev INT)
  WITH (kafka_topic='acc', value_format='JSON');
INSERT INTO acc (id, city, sev) VALUES ('a1', 'Dallas', 4);
INSERT INTO acc (id, city, sev) VALUES ('a2', 'Austin', 1);
INSERT INTO acc (id, city, sev) VALUES ('a3', 'Dallas', 3);
CREATE TABLE per_city AS SELECT city, COUNT(*) AS n FROM acc GROUP BY city;
SHOW STREAMS;
SELECT id, city FROM acc WHERE sev >= 3 EMIT CHANGES LIMIT 2;
SELECT id, sev FROM acc;
SELECT id, nope FROM acc;
  PRINT 'acc';
EOF
rc=0
timeout 60 "$EDDY" --server "$URL" -u alice -p s3cret < "$work/script.ksql" > "$work/s.out" 2> "$work/s.err" || rc=$?
echo "---- stdout"; cat "$work/s.out"; echo "---- stderr"; cat "$work/s.err"; echo "----"
check_eq "a script with an error: exit status 1" 1 "$rc"
cat > "$work/want.out" <<EOF
Connected to $URL (server version 0.1.0).
Successfully changed local property 'auto.offset.reset' to 'earliest'.
Stream ACC created.
Created query with ID CTAS_PER_CITY_1
 Stream Name | Kafka Topic | Key Format | Value Format | Windowed 
------------------------------------------------------------------
 ACC         | acc         | KAFKA      | JSON         | false    
+--------------------+--------------------+
|ID                  |CITY                |
+--------------------+--------------------+
Press Ctrl-C to stop.
|a1                  |Dallas              |
|a3                  |Dallas              |
Limit Reached
Query terminated
+--------------------+--------------------+
|ID                  |SEV                 |
+--------------------+--------------------+
|a1                  |4                   |
|a2                  |1                   |
|a3                  |3                   |
(3 rows from ACC)
EOF
check "the session's output, line by line" diff "$work/want.out" "$work/s.out"
cat > "$work/want.err" <<'EOF'
stdin: line 11:12: unknown column NOPE in ACC
SELECT id, nope FROM acc;
           ^
stdin: line 12:3: PRINT is not served over --server (ksqlDB's REST API has no endpoint eddy serves for it): run it in a local eddy REPL
  PRINT 'acc';
  ^
EOF
check "the error, positioned in the script, with its caret" diff "$work/want.err" "$work/s.err"

# The same statements' tables as the local REPL prints them (same layout).
printf "CREATE STREAM acc (id STRING KEY, city STRING, sev INT) WITH (kafka_topic='acc', value_format='JSON');\nSHOW STREAMS;\n" |
  "$EDDY" --bootstrap-servers "$BOOTSTRAP" > "$work/local.out" 2> /dev/null
printf "CREATE STREAM acc (id STRING KEY, city STRING, sev INT) WITH (kafka_topic='acc', value_format='JSON');\nDESCRIBE acc;\n" |
  "$EDDY" --bootstrap-servers "$BOOTSTRAP" > "$work/local_desc.out" 2> /dev/null
check "SHOW STREAMS as the local REPL prints it" diff <(grep -A2 'Stream Name' "$work/local.out") <(grep -A2 'Stream Name' "$work/s.out")

# DESCRIBE and EXPLAIN (ksqlDB's sourceDescription and queryDescription
# entities) print the text the local REPL prints.
printf "DESCRIBE acc;\nEXPLAIN CTAS_PER_CITY_1;\n" |
  "$EDDY" --server "$URL" -u alice -p s3cret > "$work/desc.out" 2> "$work/desc.err"
check "DESCRIBE over --server: the local REPL's column table" diff <(grep -A4 ' Field ' "$work/local_desc.out") <(grep -A4 ' Field ' "$work/desc.out")
check "EXPLAIN over --server: the plan's text" grep -q "Execution plan:" "$work/desc.out"
check "... not ksqlDB's JSON" bash -c "! grep -q '\"@type\"' '$work/desc.out'"

# A pull query on the table, once the CTAS has counted the three rows.
pull_ready() { curl -s -u alice:s3cret -X POST "$URL/query-stream" -d "{\"sql\": \"SELECT * FROM per_city WHERE city = 'Dallas';\"}" | grep -q '"Dallas",2'; }
wait_for 20 pull_ready || fail "the CTAS did not count the rows"
echo "SELECT * FROM per_city WHERE city = 'Dallas';" |
  "$EDDY" --server "$URL" -u alice -p s3cret > "$work/pull.out" 2> "$work/pull.err"
check "a pull query: its row in the grid and the footer" diff <(tail -n +2 "$work/pull.out") - <<'EOF'
+--------------------+--------------------+
|CITY                |N                   |
+--------------------+--------------------+
|Dallas              |2                   |
(1 row from PER_CITY)
EOF

# ---- Ctrl-C ends a push query, and the server frees it -------------------------
: > "$work/push.out"
printf "SET 'auto.offset.reset' = 'earliest';\nSELECT id FROM acc EMIT CHANGES;\nSHOW STREAMS;\n" |
  "$EDDY" --server "$URL" --user alice --password s3cret > "$work/push.out" 2> "$work/push.err" &
CLIENT=$!
wait_for 15 grep -q '|a3 ' "$work/push.out" || { cat "$work/push.out" "$work/push.err"; fail "push query rows did not arrive"; }
check_eq "the push query is open on the server" 1 "$(metric eddy_push_queries)"
kill -INT "$CLIENT"
rc=0
wait "$CLIENT" || rc=$?
check_eq "after Ctrl-C the client leaves cleanly" 0 "$rc"
check "... saying the query ended" grep -qx "Query terminated" "$work/push.out"
check "... the rest of the script not run after Ctrl-C" bash -c "! grep -q 'Stream Name' '$work/push.out'"
wait_for 10 metric_is eddy_push_queries 0 || fail "the server kept the push query after Ctrl-C"
echo "ok: the server freed the push query"

# ---- interactive, through tmux: the prompt, Tab completion of the server's
# names, a push query's rows as they arrive, Ctrl-C back to the prompt ----------
sess="eddy-repl-server-$$"
add_exit_trap "tmux kill-session -t '$sess' 2> /dev/null || true"
export HOME="$work" LC_ALL=C.UTF-8
tmux -u new-session -d -s "$sess" -x 160 -y 50 \
  "HOME='$work' '$EDDY' --server '$URL' -u alice -p s3cret; echo CLIENT-EXIT=\$?; sleep 30"
screen() { tmux capture-pane -p -J -t "$sess" -S -1000; }
type_keys() {   # tmux reads a trailing ';' as its own separator: send it escaped
  tmux send-keys -t "$sess" -l "${1%;}"
  if [[ $1 == *";" ]]; then tmux send-keys -t "$sess" '\;'; fi
}
type_line() { type_keys "$1"; tmux send-keys -t "$sess" Enter; }
wait_screen() {
  wait_for 30 bash -c "tmux capture-pane -p -J -t '$sess' -S -1000 | grep -qF -- \"\$1\"" _ "$1" ||
    { screen; fail "the screen never showed: $1"; }
}
wait_screen "eddy>"
check "the banner says it is a server's client" bash -c "tmux capture-pane -p -J -t '$sess' | grep -q \"a server's client\""
type_line "SET 'auto.offset.reset' = 'earliest';"
wait_screen "Successfully changed local property"
tmux send-keys -t "$sess" -l "SELECT id FROM PER_C"
tmux send-keys -t "$sess" Tab
wait_screen "SELECT id FROM PER_CITY"
echo "ok: Tab completes a table name the server knows"
tmux send-keys -t "$sess" C-u   # drop the line
type_line "SELECT id, sev FROM acc EMIT CHANGES;"
wait_screen "|a3 "
wait_for 10 metric_is eddy_push_queries 1 || fail "the interactive push query is not open on the server"
printf '{"target": "ACC"}\n{"id": "a9", "city": "Waco", "sev": 5}\n' |
  curl -s -u alice:s3cret -X POST "$URL/inserts-stream" --data-binary @- > /dev/null
wait_screen "|a9 "
echo "ok: a row inserted meanwhile prints as it arrives"
tmux send-keys -t "$sess" C-c
wait_screen "Query terminated"
wait_for 10 metric_is eddy_push_queries 0 || fail "Ctrl-C did not free the push query on the server"
echo "ok: Ctrl-C ends the push query; the server freed it"
type_line "SHOW STREAMS;"
wait_screen " ACC         | acc"
echo "ok: back at the prompt, statements run"
tmux send-keys -t "$sess" C-d
wait_screen "CLIENT-EXIT=0"
echo "ok: Ctrl-D leaves, exit status 0"

kill -TERM "$SERVER_PID"
rc=0
wait "$SERVER_PID" || rc=$?
check_eq "server exit status" 0 "$rc"
echo "PASS"
