#!/usr/bin/env bash
# bench_pull_radius_http.sh - the radius pull query of
# queries/accidents_near.ksql through eddy server and curl (HTTP/1.1, a new
# connection per request), over `eddy gen accidents` records.  A
# benchmark, not a test: prints p50/p99 of curl's time_total per request
# and asserts nothing about time.
#
#   bench/bench_pull_radius_http.sh [EDDY] [ROWS] [REQUESTS]
#   (defaults: build/eddy, 100000, 200)
#
# The development broker keeps ~5 MB per partition, so the accidents
# topic gets 32 partitions (100,000 records of ~420 bytes).
set -euo pipefail
EDDY=${1:-build/eddy}
ROWS=${2:-100000}
N=${3:-200}
SRC=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2> /dev/null || true; done
  wait 2> /dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

"$EDDY" broker --topic accidents:32 > "$work/broker.out" 2> "$work/broker.err" &
pids+=($!)
for _ in $(seq 100); do grep -q ':[0-9]*$' "$work/broker.out" 2> /dev/null && break; sleep 0.1; done
B=$(head -1 "$work/broker.out")
"$EDDY" gen accidents --topic accidents --count "$ROWS" --seed 7 --bootstrap-servers "$B" 2> "$work/gen.err"
"$EDDY" server --listen 127.0.0.1:0 --bootstrap-servers "$B" --state-dir "$work/state" \
  "$SRC/queries/accidents_near.ksql" > "$work/server.out" 2> "$work/server.err" &
pids+=($!)
for _ in $(seq 200); do grep -q 'serving ksqlDB' "$work/server.err" 2> /dev/null && break; sleep 0.1; done
URL=$(grep -o 'http://[0-9.:]*' "$work/server.err")
q() { curl -s -X POST "$URL/query-stream" -d "{\"sql\": \"$1\"}"; }
t0=$(date +%s.%N)
until [ "$(q 'SELECT id FROM accidents_by_id;' | tail -n +2 | wc -l)" -ge "$ROWS" ]; do sleep 0.5; done
echo "table loaded: $ROWS rows in $(awk -v a="$t0" -v b="$(date +%s.%N)" "BEGIN { printf \"%.1f\", b - a }") s (from the server's start)" >&2

# time SQL: p50 / p99 / mean of N requests, in ms, and the rows of the last
# (SQL empty: GET /info, the floor of a request).
time_sql() {
  local sql=$1 rows
  for ((i = 0; i < N; i++)); do
    if [ -z "$sql" ]; then
      curl -s -o "$work/resp" -w '%{time_total}\n' "$URL/info"
    else
      curl -s -o "$work/resp" -w '%{time_total}\n' -X POST "$URL/query-stream" -d "{\"sql\": \"$sql\"}"
    fi
  done | sort -n | awk -v n="$N" '{ t[NR] = $1 * 1000; s += $1 * 1000 }
        END { p99 = int(0.99 * n + 0.999); printf "%9.3f %9.3f %9.3f", t[int((n + 1) / 2)], t[p99], s / n }'
  if [ -z "$sql" ]; then
    printf " %9s\n" -
  else
    rows=$(($(wc -l < "$work/resp") - 1))
    printf " %9d\n" "$rows"
  fi
}
echo "pull queries through eddy server + curl over $ROWS rows, $N requests each"
printf "%-28s %9s %9s %9s %9s\n" request "p50 ms" "p99 ms" "mean ms" "rows out"
printf "%-28s " "GET /info (no query)"
time_sql ""
printf "%-28s " "radius, geo index"
time_sql "SELECT id, severity, city, lat, lng FROM accidents_by_id WHERE GEO_DISTANCE(lat, lng, 39.0997, -94.5786, 'KM') < 5;"
printf "%-28s " "radius, table scan"
time_sql "SELECT id, severity, city, lat, lng FROM accidents_by_id WHERE GEO_DISTANCE(lat, lng, 39.0997, -94.5786, 'KM') + 0 < 5;"
printf "%-28s " "scan, no row out"
time_sql "SELECT id FROM accidents_by_id WHERE lat > 1000;"
