#!/usr/bin/env bash
# bench_scale_members.sh - one application's query on 1 member, then on 2
# members (task.assignment = 'group', engine/README.md "Scale-out"), over
# the same input: a windowed COUNT/SUM per key over a 12-partition topic,
# the changelog on (service.id).  Beside them, in the same run, the raw
# speed of reading the input with librdkafka alone (kcat).  A benchmark,
# not a test: prints records per second from each application's first
# assignment to its last output record, and the machine's load.  Then the
# restore figures: member 2 of the 2-member application started again
# with its state directory (it reads the changelog's tail: what member 1
# wrote since member 2 last read it) and with an empty one (the whole
# changelog), each in seconds per MB read, beside kcat reading the same
# changelog topics whole (the raw speed of those bytes).
#
#   bench/bench_scale_members.sh [EDDY] [RECORDS]   (defaults: build/eddy, 300000)
#
# The development broker keeps ~5 MB per partition: 300,000 records of ~70
# bytes on 12 partitions fit.
set -euo pipefail
EDDY=${1:-build/eddy}
N=${2:-300000}
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2> /dev/null || true; done
  wait 2> /dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
ends() {  # TOPIC: the sum of its 12 partitions' end offsets
  kcat -b "$B" -Q $(for p in $(seq 0 11); do printf -- '-t %s:%d:-1 ' "$1" "$p"; done) 2> /dev/null |
    awk '/offset/ { for (i = 1; i < NF; i++) if ($i == "offset") s += $(i + 1) } END { print s + 0 }'
}

"$EDDY" broker --topic events:12 --topic S1:12 --topic S2:12 > "$work/broker.out" 2> "$work/broker.err" &
pids+=($!)
for _ in $(seq 100); do grep -q ':[0-9]*$' "$work/broker.out" 2> /dev/null && break; sleep 0.1; done
B=$(head -1 "$work/broker.out")
awk -v n="$N" 'BEGIN { for (i = 0; i < n; i++) { u = sprintf("U%d", (i * 7919) % 1000);
  printf "%s|{\"USER\":\"%s\",\"AMOUNT\":%d,\"TS\":%.0f}\n", u, u, (i * 31) % 1000 + 1, 1700000000000 + i * 5 } }' \
  > "$work/input.txt"
kcat -P -b "$B" -t events -K '|' -l "$work/input.txt"

t0=$(now)
got=$(kcat -C -b "$B" -t events -o beginning -e -q -f 'x\n' | wc -l)
raw=$(secs "$t0" "$(now)")
echo "raw: kcat read $got records in $raw s: $(awk -v n="$got" -v s="$raw" 'BEGIN { printf "%.0f", n / s }') records/s"

app() {  # $1 = members, $2 = sink
  local k=$1 sink=$2 i
  printf "SET 'service.id' = 'bench_%s';\nSET 'task.assignment' = 'group';\nSET 'auto.offset.reset' = 'earliest';\nSET 'num.stream.threads' = '1';\nCREATE STREAM events (user STRING KEY, amount BIGINT, ts BIGINT) WITH (kafka_topic = 'events', value_format = 'JSON', timestamp = 'ts');\nCREATE TABLE %s AS SELECT user, WINDOWSTART AS ws, COUNT(*) AS n, SUM(amount) AS total FROM events WINDOW TUMBLING (SIZE 1 MINUTE) GROUP BY user EMIT CHANGES;\n" \
    "$sink" "$sink" > "$work/$sink.ksql"
  local mine=()
  for i in $(seq 1 "$k"); do
    "$EDDY" run "$work/$sink.ksql" --bootstrap-servers "$B" --state-dir "$work/$sink-state$i" \
      > "$work/$sink-$i.log" 2>&1 &
    mine+=($!)
    pids+=($!)
  done
  # From the first assignment (the group formed) to the last output record.
  for _ in $(seq 600); do grep -q 'tasks \[[0-9]' "$work/$sink"-*.log 2> /dev/null && break; sleep 0.05; done
  local start
  start=$(now)
  until [ "$(ends "$sink")" -ge "$N" ]; do sleep 0.1; done
  local took
  took=$(secs "$start" "$(now)")
  echo "$k member(s): $N records in $took s: $(awk -v n="$N" -v s="$took" 'BEGIN { printf "%.0f", n / s }') records/s, $(awk -v r="$raw" -v s="$took" 'BEGIN { printf "%.3f", r / s }') of kcat's speed; tasks: $(grep -h 'tasks \[' "$work/$sink"-*.log | sed 's/.*tasks /tasks /' | tail -"$k" | tr '\n' ' ')"
  [ "$k" = 2 ] && pulls "$sink"
  for i in "${mine[@]}"; do kill -TERM "$i"; wait "$i" || true; done
}
# Pull queries on member 1 of the 2-member application (engine/README.md,
# "Pull queries on shared tasks"): a lookup of a key of each member's
# tasks; the first reads the other member's tasks' changelog (the state
# it never held), a later one (past PULL_CATCH_UP_MS) only what is new,
# beside a lookup on member 2 for its own key.  Each through `eddy exec`
# (its start included).
pulls() {
  local sink=$1 t1 q
  sleep 3   # both members checkpointed the last records
  for q in first again; do
    t1=$(now)
    "$EDDY" exec --state-dir "$work/$sink-state1" -e "SELECT * FROM $sink WHERE user = 'U7';" > "$work/pull-$q.out" 2>&1
    echo "pull on member 1 ($q): $(secs "$t1" "$(now)") s, $(grep -c '^|U7' "$work/pull-$q.out") rows of U7; $(tail -1 "$work/pull-$q.out")"
    sleep 1.2
  done
}
app 1 S1
app 2 S2

restore() {  # $1 = state directory, $2 = label: one start, until its restore is logged
  "$EDDY" run "$work/S2.ksql" --bootstrap-servers "$B" --state-dir "$1" --verbose \
    > "$work/restore-$2.log" 2>&1 &
  local p=$!
  pids+=($p)
  for _ in $(seq 1200); do grep -q "from its changelog" "$work/restore-$2.log" && break; sleep 0.05; done
  kill -TERM "$p"
  wait "$p" || true
  local line
  line=$(grep -o "from its changelog.*MB read" "$work/restore-$2.log" | head -1)
  echo "$2: $(echo "$line" | awk '{ for (i = 1; i < NF; i++) { if ($i == "in" && $(i + 2) == "s:") s = $(i + 1); if ($(i + 1) == "MB") m = $i }
    printf "%s MB read in %s s (%s s per MB)", m, s, (m > 0 ? sprintf("%.3f", s / m) : "-") }'): $line"
}
restore "$work/S2-state2" "tail restore (member 2, its state kept)"
restore "$work/S2-empty" "whole restore (an empty state directory)"
t0=$(now)
bytes=0
for t in $(kcat -L -b "$B" 2> /dev/null | sed -n 's/.*topic "\(bench_S2-[^"]*-changelog\)".*/\1/p'); do
  t1=$(now)
  b=$(kcat -C -b "$B" -t "$t" -X fetch.wait.max.ms=5 -o beginning -e -q -f '%k%s' 2> /dev/null | wc -c)
  echo "  $t: $b bytes in $(secs "$t1" "$(now)") s"
  bytes=$((bytes + b))
done
took=$(secs "$t0" "$(now)")
echo "raw: kcat read the changelog topics whole, $(awk -v b="$bytes" 'BEGIN { printf "%.2f", b / 1e6 }') MB in $took s ($(awk -v b="$bytes" -v s="$took" 'BEGIN { printf "%.3f", s / (b / 1e6) }') s per MB)"
echo "load: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
