#!/usr/bin/env bash
# A stream-table join on a value column of the stream (events keyed by
# their id, joined on their USER with a users table keyed by user) with
# tasks shared by three members (engine/README.md "Scale-out", repartition
# topics): each side's rows reach the task their join key hashes to
# through the query's repartition topic, so a user's table row and the
# events that look it up meet there.  The table is loaded first; then the
# events, in 12 chunks, with 5 SIGKILLs of random members while they
# process (one with its state directory deleted), each restarted at once.
# The join's output must hold every event, with its user's region, and
# nothing else (at least once: events emitted again after a kill are
# counted and printed); EXPLAIN names the repartition topic.
set -euo pipefail
: "${EDDY:?path to the eddy binary}" "${EDDY_SRC:?repo root}"
source "$EDDY_SRC/tests/integration/lib.sh"

work=$(mktemp -d)
[ -n "${KEEP_WORK:-}" ] || add_exit_trap "rm -rf '$work'"; echo "work dir: $work"
start_broker --topic events:12 --topic users:12 --topic ENRICHED:12
seed=${CRASH_SEED:-$RANDOM}
echo "random seed: $seed (set CRASH_SEED to repeat)"
RANDOM=$seed
APP=join_app
KILLS=5

# Events keyed by their id; the user is a value column.
awk 'BEGIN { for (i = 0; i < 24000; i++) { u = (i * 7919) % 300
    printf "E%d|{\"USER\":\"U%d\",\"AMOUNT\":%d,\"TS\":%.0f}\n", i, u, (i * 31) % 1000 + 1, 1700000000000 + i * 20 } }' > "$work/input.txt"
split -n l/12 -d "$work/input.txt" "$work/chunk."
# Users (timestamps before every event's).
awk 'BEGIN { for (u = 0; u < 300; u++) printf "U%d|{\"REGION\":\"R%d\",\"TS\":1600000000000}\n", u, u % 7 }' > "$work/users.txt"
kcat -P -b "$BOOTSTRAP" -t users -K '|' -l "$work/users.txt"
cat > "$work/member.ksql" <<KSQL
SET 'service.id' = '$APP';
SET 'auto.offset.reset' = 'earliest';
SET 'commit.interval.ms' = '1000';
SET 'num.stream.threads' = '1';
CREATE STREAM events (id STRING KEY, user STRING, amount BIGINT, ts BIGINT)
  WITH (kafka_topic = 'events', value_format = 'JSON', timestamp = 'ts');
CREATE TABLE users (user STRING PRIMARY KEY, region STRING, ts BIGINT)
  WITH (kafka_topic = 'users', value_format = 'JSON', timestamp = 'ts');
CREATE STREAM enriched AS SELECT e.user AS user, e.id AS id, e.amount AS amount, u.region AS region
  FROM events e JOIN users u ON e.user = u.user;
KSQL

declare -A pids
start_members ENRICHED
topic="$APP-$qid-Join-repartition"
# The users' rows reach their tasks before the first event is produced (a
# table row and an event from different members meet in the order they
# arrive: engine/README.md).
last=-1
for _ in $(seq 60); do
  now=$(end_offsets "$topic" 12)
  [ "$now" -gt 0 ] && [ "$now" = "$last" ] && break
  last=$now
  sleep 1
done
echo "users sent through the repartition topic: $now of 300 (the rest were their own task's)"

kills=0
for k in $(seq 0 $((KILLS - 1))); do
  kcat -P -b "$BOOTSTRAP" -t events -K '|' -l "$work/chunk.$(printf %02d "$k")" &
  producer=$!
  victim=$((RANDOM % 3 + 1))
  kill_member_when "$topic" "$victim"
  kills=$((kills + 1))
  how=kept
  if [ "$k" -eq 2 ]; then
    rm -rf "$work/state$victim"
    how=deleted
  fi
  echo "kill $((k + 1)): member $victim at $(end_offsets ENRICHED 12) output records, state directory $how"
  wait "$producer"
  member "$victim"
done
for c in $(seq "$KILLS" 11); do kcat -P -b "$BOOTSTRAP" -t events -K '|' -l "$work/chunk.$(printf %02d "$c")"; done
check_eq "SIGKILLs delivered" "$KILLS" "$kills"

# Expected: every event once, with its user's region.
awk -F'|' '{ split($2, f, /[:,}]/); u = f[2]; gsub(/"/, "", u); split(u, n, "U")
             printf "%s %s %s R%d\n", u, $1, f[4], n[2] % 7 }' "$work/input.txt" | sort > "$work/awk.enriched"
got() {
  # The join's key (the user) is the record's key, as in ksqlDB.
  kcat -C -b "$BOOTSTRAP" -t ENRICHED -o beginning -e -q -f '%k|%s\n' 2> /dev/null |
    jq -rR 'split("|") as $f | ($f[1] | fromjson) as $v | "\($f[0]) \($v.ID) \($v.AMOUNT) \($v.REGION)"' |
    sort -u > "$work/members.enriched"
}
for _ in $(seq 180); do
  got
  cmp -s "$work/members.enriched" "$work/awk.enriched" && break
  sleep 1
done
"$EDDY" exec --state-dir "$work/state1" -e "EXPLAIN $qid;" > "$work/explain.out" 2>&1 || true
check "EXPLAIN names the repartition topic" grep -q "Repartition topic: $topic" "$work/explain.out"
sent=$(end_offsets "$topic" 12)
dropped=$(cat "$work"/member[123].log | sed -n 's/.*: \([0-9]*\) repartition records dropped.*/\1/p' |
  awk '{ s += $1 } END { print s + 0 }')
out=$(end_offsets ENRICHED 12)
echo "figures: $sent repartition records, $dropped dropped as sent again after a kill; $out output records for 24000 events: $((out - 24000)) emitted again"
for m in 1 2 3; do
  echo "member $m: $(grep -c '^--- start' "$work/member$m.log") starts, $(grep -c 'tasks \[' "$work/member$m.log") assignments"
done
check "rows went through the repartition topic" [ "$sent" -gt 0 ]
check_eq "the join's output holds 24000 distinct events" 24000 "$(wc -l < "$work/members.enriched")"
diff "$work/members.enriched" "$work/awk.enriched" | head -5 || true
check "every event, with its user's region, and nothing else" cmp -s "$work/members.enriched" "$work/awk.enriched"
for m in 1 2 3; do kill -TERM "${pids[$m]}"; done
for m in 1 2 3; do wait "${pids[$m]}" || fail "member $m did not stop cleanly"; done
