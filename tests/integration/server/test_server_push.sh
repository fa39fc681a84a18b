#!/usr/bin/env bash
# eddy server with many push queries at once: 20 clients (half HTTP/1.1,
# half HTTP/2 cleartext; /query-stream delimited and JSON, and /query) on
# two streams with different filters, each gets exactly its rows; the 21st is refused with 429 past ksql.max.push.queries;
# closing one (/close-query) or killing its client frees that query alone
# (the count drops, the others go on getting rows), as does TERMINATE of its
# id; 200 concurrent pull
# queries are answered while the 20 are open; the server's RSS is printed
# before and after and stays bounded.
set -euo pipefail
: "${EDDY:?path to the eddy binary}" "${EDDY_SRC:?repo root}"
source "$EDDY_SRC/tests/integration/lib.sh"

work=$(mktemp -d)
[ -n "${KEEP_WORK:-}" ] || add_exit_trap "rm -rf '$work'"
start_broker --topic pa:1 --topic pb:1

cat > "$work/setup.ksql" <<'KSQL'
CREATE STREAM pa (id STRING KEY, g INT) WITH (kafka_topic = 'pa', value_format = 'JSON');
CREATE STREAM pb (id STRING KEY, g INT) WITH (kafka_topic = 'pb', value_format = 'JSON');
CREATE TABLE per_g AS SELECT g, COUNT(*) AS n FROM pa GROUP BY g;
KSQL

N=20
"$EDDY" server --listen 127.0.0.1:0 --bootstrap-servers "$BOOTSTRAP" --state-dir "$work/state" \
  -p ksql.max.push.queries=$N "$work/setup.ksql" > "$work/server.out" 2> "$work/server.err" &
SERVER_PID=$!
add_exit_trap "kill -KILL $SERVER_PID 2> /dev/null || true"
wait_for 20 grep -q 'serving ksqlDB' "$work/server.err" || { cat "$work/server.err"; fail "server did not start"; }
URL=$(grep -o 'http://[0-9.:]*' "$work/server.err")
echo "server at $URL (pid $SERVER_PID)"

rss() { awk '/^VmRSS/ { print $2 * 1024 }' "/proc/$SERVER_PID/status"; }
metric() { curl -s "$URL/metrics" | awk -v m="$1" '$1 == m { print $2 }'; }
metric_is() { [ "$(metric "$1")" = "$2" ]; }
proto_of() { if [ $(($1 % 2)) = 1 ]; then echo --http1.1; else echo --http2-prior-knowledge; fi; }
# Query j reads pa (j <= 12) or pb, the rows whose g is j % 3.
stream_of() { if [ "$1" -le 12 ]; then echo pa; else echo pb; fi; }
fmt_of() { if [ "$1" -le 16 ]; then echo delimited; elif [ "$1" -le 18 ]; then echo JSON; else echo /query; fi; }

rss0=$(rss)
declare -a CURLS
# Queries 1-16 on /query-stream (delimited), 17-18 on /query-stream with
# Accept: application/json, 19-20 on the older /query.
for j in $(seq $N); do
  sql="SELECT id, g FROM $(stream_of $j) WHERE g = $((j % 3)) EMIT CHANGES;"
  if [ "$j" -le 16 ]; then
    args=("$URL/query-stream" -d "{\"sql\": \"$sql\", \"properties\": {\"auto.offset.reset\": \"earliest\"}}")
  elif [ "$j" -le 18 ]; then
    args=("$URL/query-stream" -H 'Accept: application/json' -d "{\"sql\": \"$sql\", \"properties\": {\"auto.offset.reset\": \"earliest\"}}")
  else
    args=("$URL/query" -d "{\"ksql\": \"$sql\", \"streamsProperties\": {\"auto.offset.reset\": \"earliest\"}}")
  fi
  curl -sN "$(proto_of $j)" -X POST "${args[@]}" > "$work/q$j" 2> /dev/null &
  CURLS[$j]=$!
done
# A query's id and its rows, whatever the response's format.
qid() { grep -o '"queryId":"[^"]*"' "$work/q$1" | head -1 | cut -d'"' -f4; }
got() { grep -o '\["p[ab]-[0-9]*",[0-9]\]' "$work/q$1" | sort; }
rows_ge() { [ "$(got "$1" | wc -l)" -ge "$2" ]; }
for j in $(seq $N); do
  wait_for 15 grep -q queryId "$work/q$j" || fail "push query $j: no metadata line"
done
check_eq "$N push queries open at once" $N "$(metric eddy_push_queries)"
check_eq "... each with an id of its own" $N "$(for j in $(seq $N); do qid $j; done | sort -u | wc -l)"
check_eq "... ids as ksqlDB's: transient_<SOURCE>_<number>" $N \
  "$(for j in $(seq $N); do qid $j; done | grep -Ec '^transient_P[AB]_[0-9]+$')"

# Past the cap: 429 with ksqlDB's error body, over both protocols; a pull
# query is not a push query and is answered.
for proto in --http1.1 --http2-prior-knowledge; do
  check_eq "$proto: push query $((N + 1)) past ksql.max.push.queries=$N" 429 \
    "$(curl -s -o "$work/body" -w '%{http_code}' "$proto" -X POST "$URL/query-stream" -d '{"sql": "SELECT * FROM pa EMIT CHANGES;"}')"
  check "$proto: ... ksqlDB's error body, naming the limit" \
    jq -e '.["@type"] == "generic_error" and .error_code == 42900 and (.message | test("ksql.max.push.queries"))' "$work/body" > /dev/null
  check_eq "$proto: a pull query is still answered" 200 \
    "$(curl -s -o /dev/null -w '%{http_code}' "$proto" -X POST "$URL/query-stream" -d '{"sql": "SELECT * FROM per_g;"}')"
done

# insert KEY_PREFIX FIRST LAST TARGET: rows id=<prefix><i>, g = i % 3.
insert() {
  { echo "{\"target\": \"$4\"}"
    for i in $(seq "$2" "$3"); do echo "{\"id\": \"$1$i\", \"g\": $((i % 3))}"; done
  } > "$work/ins"
  local code
  code=$(curl -s -o "$work/acks" -w '%{http_code}' -X POST "$URL/inserts-stream" --data-binary "@$work/ins")
  [ "$code" = 200 ] && [ "$(grep -c '"ok"' "$work/acks")" = $(($3 - $2 + 1)) ] ||
    fail "inserts into $4: $code $(head -c 300 "$work/acks")"
}
# expected J ROUNDS: the rows query j must have, sorted.
expected() {
  local s; s=$(stream_of "$1")
  for r in $(seq "$2"); do
    for i in $(seq $(((r - 1) * 30 + 1)) $((r * 30))); do
      [ $((i % 3)) = $(($1 % 3)) ] && echo "[\"$s-$i\",$((i % 3))]"
    done
  done | sort
}

insert pa- 1 30 PA
insert pb- 1 30 PB
for j in $(seq $N); do
  wait_for 20 rows_ge $j 10 || { cat "$work/q$j"; fail "push query $j: rows did not arrive"; }
done
sleep 1   # a wrong extra row would come now
for j in $(seq $N); do
  check "push query $j ($(proto_of $j), $(stream_of $j), g = $((j % 3)), $(fmt_of $j)): exactly its 10 rows" \
    diff <(expected $j 1) <(got $j)
done

# 200 pull queries, 50 at a time, over both protocols, while the 20 are open.
seq 200 | xargs -P 50 -I{} sh -c 'if [ $(({} % 2)) = 0 ]; then p=--http1.1; else p=--http2-prior-knowledge; fi
  curl -s -o /dev/null -w "%{http_code}\n" --max-time 30 $p -X POST "$1/query-stream" -d "{\"sql\": \"SELECT * FROM per_g;\"}"' _ "$URL" \
  > "$work/codes"
check_eq "200 concurrent pull queries beside $N push queries, all answered 200" 200 "$(grep -c '^200$' "$work/codes")"
check_eq "... the $N push queries still open" $N "$(metric eddy_push_queries)"

# Closing query 1 ends its response; killing query 2's client frees it.
QID1=$(qid 1)
check_eq "/close-query of query 1" 200 \
  "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$URL/close-query" -d "{\"queryId\": \"$QID1\"}")"
wait_for 10 bash -c "! kill -0 ${CURLS[1]} 2> /dev/null" || fail "close-query did not end query 1's response"
check_eq "... the count drops by one" $((N - 1)) "$(metric eddy_push_queries)"
kill "${CURLS[2]}"; wait "${CURLS[2]}" 2> /dev/null || true
wait_for 10 metric_is eddy_push_queries $((N - 2)) || fail "the query of a client that left was not freed"
echo "ok: the query of a killed client is freed (count $(metric eddy_push_queries))"
check_eq "/close-query of query 1 again: not running" 400 \
  "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$URL/close-query" -d "{\"queryId\": \"$QID1\"}")"

# A slot is free again: a new push query starts (and is closed).
curl -sN -X POST "$URL/query-stream" -d '{"sql": "SELECT * FROM pb EMIT CHANGES;"}' > "$work/extra" 2> /dev/null &
EXTRA=$!
wait_for 10 grep -q queryId "$work/extra" || fail "no push query could start after two ended"
echo "ok: a push query starts once the count is below the cap"
kill "$EXTRA"; wait "$EXTRA" 2> /dev/null || true
wait_for 10 metric_is eddy_push_queries $((N - 2)) || fail "the extra push query outlived its client"

# The others go on: a second round of rows reaches each of them, exactly.
insert pa- 31 60 PA
insert pb- 31 60 PB
for j in $(seq 3 $N); do
  wait_for 20 rows_ge $j 20 || { cat "$work/q$j"; fail "push query $j: second round did not arrive"; }
done
sleep 1
for j in $(seq 3 $N); do
  check "push query $j after others ended: exactly its 20 rows" diff <(expected $j 2) <(got $j)
done
check "the closed query 1 got the first round only" diff <(expected 1 1) <(got 1)
check "the killed query 2 got the first round only" diff <(expected 2 1) <(got 2)

# TERMINATE of a push query's id (/ksql, as ksqlDB's) ends it and its response.
QID3=$(qid 3)
check_eq "TERMINATE $QID3 via /ksql" 200 \
  "$(curl -s -o "$work/body" -w '%{http_code}' -X POST "$URL/ksql" -d "{\"ksql\": \"TERMINATE $QID3;\"}")"
check "... its message" jq -e ".[0].commandStatus.message | test(\"$QID3 terminated\")" "$work/body" > /dev/null
wait_for 10 bash -c "! kill -0 ${CURLS[3]} 2> /dev/null" || fail "TERMINATE did not end query 3's response"
wait_for 10 metric_is eddy_push_queries $((N - 3)) || fail "TERMINATE did not free query 3"
echo "ok: TERMINATE ends a push query and its response (count $(metric eddy_push_queries))"

rss1=$(rss)
echo "figures: server RSS $rss0 bytes before the $N push queries, $rss1 with them open after 120 inserts and 200 pull queries"
check "RSS stays under $(($(rss_cap) >> 20)) MiB" test "$rss1" -lt "$(rss_cap)"

# Every client leaves: the count goes to 0.
for j in $(seq 4 $N); do kill "${CURLS[$j]}" 2> /dev/null || true; done
for j in $(seq 3 $N); do wait "${CURLS[$j]}" 2> /dev/null || true; done
wait_for 15 metric_is eddy_push_queries 0 || fail "push queries outlived their clients ($(metric eddy_push_queries) left)"
echo "ok: all clients gone, no push query left"
echo "figures: server RSS $(rss) bytes once they are gone"

kill -TERM "$SERVER_PID"
rc=0
wait "$SERVER_PID" || rc=$?
check_eq "SIGTERM: exit status" 0 "$rc"
echo "PASS"
