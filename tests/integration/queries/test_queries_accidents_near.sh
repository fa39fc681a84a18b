#!/usr/bin/env bash
# queries/accidents_near.ksql served by `eddy server`: 20 accidents at known
# places around Kansas City (one of them moved by a later record), and the
# radius pull query over POST /query-stream answers exactly the ids awk's
# haversine (radius 6371 km, ksqlDB's) puts within 5 km; with
# application/json, over HTTP/2 and in `eddy run` (two tasks) the same
# rows.
set -euo pipefail
: "${EDDY:?path to the eddy binary}" "${EDDY_SRC:?repo root}"
source "$EDDY_SRC/tests/integration/lib.sh"

work=$(mktemp -d)
[ -n "${KEEP_WORK:-}" ] || add_exit_trap "rm -rf '$work'"
start_broker --topic accidents:4

# id lat lng: offsets from downtown (39.0997, -94.5786) from ~0.3 km to
# ~12 km, none within 0.2 km of the 5 km edge.  A-20 is first far, then
# moved near (the table keeps its latest record); A-7 the other way.
cat > "$work/places.txt" <<'PLACES'
A-1 39.0997 -94.5786
A-2 39.1020 -94.5750
A-3 39.1150 -94.5786
A-4 39.0997 -94.6200
A-5 39.0600 -94.5786
A-6 39.1300 -94.5500
A-7 39.1050 -94.5800
A-8 39.1500 -94.5786
A-9 39.0997 -94.5000
A-10 39.0400 -94.6400
A-11 39.0850 -94.5600
A-12 39.1200 -94.6100
A-13 39.0700 -94.5400
A-14 39.2000 -94.5786
A-15 39.0997 -94.7000
A-16 39.0100 -94.4800
A-17 39.1100 -94.5900
A-18 39.0950 -94.6300
A-19 38.9800 -94.5786
A-20 39.2500 -94.3000
A-7 39.2000 -94.4000
A-20 39.0900 -94.5700
PLACES
awk '{ printf "%s|{\"ID\":\"%s\",\"Severity\":2,\"Start_Time\":\"2023-01-01 00:%02d:00\",\"City\":\"Kansas City\",\"County\":\"Jackson\",\"State\":\"MO\",\"Start_Lat\":%s,\"Start_Lng\":%s}\n", $1, $1, NR, $2, $3 }' \
  "$work/places.txt" | kcat -P -b "$BOOTSTRAP" -t accidents -K'|'

# The expected ids: the latest place of each id, haversine distance < 5 km.
awk 'function rad(d) { return d * 3.141592653589793 / 180 }
     { lat[$1] = $2; lng[$1] = $3 }
     END { for (id in lat) {
             dl = rad(lat[id] - 39.0997); dg = rad(lng[id] - (-94.5786))
             h = sin(dl / 2) ^ 2 + cos(rad(39.0997)) * cos(rad(lat[id])) * sin(dg / 2) ^ 2
             d = 2 * atan2(sqrt(h), sqrt(1 - h)) * 6371
             if (d < 5) print id } }' "$work/places.txt" | sort > "$work/near.expected"
echo "expected within 5 km: $(tr '\n' ' ' < "$work/near.expected")"
[ "$(wc -l < "$work/near.expected")" -ge 5 ] || fail "too few accidents near to mean anything"
[ "$(wc -l < "$work/near.expected")" -le 15 ] || fail "too few accidents far to mean anything"

"$EDDY" server --listen 127.0.0.1:0 --bootstrap-servers "$BOOTSTRAP" --state-dir "$work/state" \
  "$EDDY_SRC/queries/accidents_near.ksql" > "$work/server.out" 2> "$work/server.err" &
SERVER_PID=$!
add_exit_trap "kill -KILL $SERVER_PID 2> /dev/null || true"
wait_for 20 grep -q 'serving ksqlDB' "$work/server.err" || { cat "$work/server.err"; fail "server did not start"; }
URL=$(grep -o 'http://[0-9.:]*' "$work/server.err")

pull() {   # SQL [curl args]: the rows' first column (ids), sorted
  local sql=$1
  shift
  curl -s -X POST "$URL/query-stream" "$@" -d "{\"sql\": \"$sql\"}" | tail -n +2 | jq -r '.[0]' | sort
}
all_rows() { [ "$(pull 'SELECT id FROM accidents_by_id;' | wc -l)" -eq 20 ]; }
moved() { pull "SELECT id FROM accidents_by_id WHERE id = 'A-20' AND lat < 39.1;" | grep -qx A-20; }
wait_for 30 all_rows || fail "the table did not get its 20 accidents"
wait_for 10 moved || fail "A-20's later record did not replace its row"

SQL="SELECT id, severity, city, lat, lng FROM accidents_by_id WHERE GEO_DISTANCE(lat, lng, 39.0997, -94.5786, 'KM') < 5;"
pull "$SQL" > "$work/near.actual"
check_eq "ids within 5 km" "$(tr '\n' ' ' < "$work/near.expected")" "$(tr '\n' ' ' < "$work/near.actual")"
curl -s -X POST "$URL/query-stream" -d "{\"sql\": \"$SQL\"}" > "$work/near.delimited"
jqok() { jq -e "$1" "$2" > /dev/null; }
head -1 "$work/near.delimited" > "$work/near.meta"
tail -n +2 "$work/near.delimited" | grep '"A-1"' > "$work/near.a1"
check "metadata line: the columns" jqok '.columnNames == ["ID", "SEVERITY", "CITY", "LAT", "LNG"]' "$work/near.meta"
# (compared as numbers: jq reads the doubles, whatever digits they are written with)
check "A-1's row in full" jqok '. == ["A-1", 2, "Kansas City", 39.0997, -94.5786]' "$work/near.a1"
curl -s -X POST "$URL/query-stream" -H 'Accept: application/json' -d "{\"sql\": \"$SQL\"}" |
  jq -r '.[1:][] | .[0]' | sort > "$work/near.json"
check "application/json: the same ids" diff -q "$work/near.expected" "$work/near.json"
pull "$SQL" --http2-prior-knowledge > "$work/near.h2"
check "HTTP/2: the same ids" diff -q "$work/near.expected" "$work/near.h2"
# Miles: 5 km is 3.107 mi, so < 3.107 MI is the same set.
pull "SELECT id FROM accidents_by_id WHERE GEO_DISTANCE(lat, lng, 39.0997, -94.5786, 'MI') < 3.107;" > "$work/near.mi"
check "in miles: the same ids" diff -q "$work/near.expected" "$work/near.mi"

kill -TERM "$SERVER_PID"
wait "$SERVER_PID" || fail "server exit status $?"

# The same query in `eddy run` on the server's state, the table's query
# split into two tasks (each with its part of the table and of the geo
# index): read through the index, the same ids.
echo "$SQL" > "$work/pull.ksql"
"$EDDY" run --bootstrap-servers "$BOOTSTRAP" --state-dir "$work/state" -p num.stream.threads=2 \
  --until-caught-up "$work/pull.ksql" > "$work/run.out" 2> "$work/run.err" || { cat "$work/run.err"; fail "eddy run failed"; }
check "eddy run: read by the geo index" grep -q "rows from ACCIDENTS_BY_ID, by its geo index" "$work/run.out" "$work/run.err"
grep -o '^|A-[0-9]* ' "$work/run.out" | tr -d '| ' | sort > "$work/near.run"
check "eddy run, two tasks: the same ids" diff -q "$work/near.expected" "$work/near.run"
echo "PASS: the radius pull query answers exactly the accidents within 5 km"
