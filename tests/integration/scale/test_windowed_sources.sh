#!/usr/bin/env bash
# Queries over windowed sources with tasks shared by three members
# (engine/README.md "Scale-out"): two windowed aggregates per user write
# windowed tables; streams declared over their topics (WINDOW_TYPE, as
# ksqlDB reads a windowed topic in a persistent query) are filtered and
# joined on their key (rows meet on key and window).  These divide among
# the members like any source (a (key, window) lives in one partition)
# instead of running whole on every member.  3 SIGKILLs of random members
# while the input is produced, each restarted at once.  The filter's rows
# are the windowed table's changes that pass it; the join holds, for
# every (user, window), its final count with its final sum (awk's).
set -euo pipefail
: "${EDDY:?path to the eddy binary}" "${EDDY_SRC:?repo root}"
source "$EDDY_SRC/tests/integration/lib.sh"

work=$(mktemp -d)
[ -n "${KEEP_WORK:-}" ] || add_exit_trap "rm -rf '$work'"; echo "work dir: $work"
start_broker --topic events:12 --topic PER_MIN_N:12 --topic PER_MIN_SUM:12 --topic JOINED:12 --topic BUSY:12
seed=${CRASH_SEED:-$RANDOM}
echo "random seed: $seed (set CRASH_SEED to repeat)"
RANDOM=$seed
KILLS=3

# user U(i*7919 % 300), amount (i*31) % 1000 + 1, time 1700000000000 + i*100 ms
awk 'BEGIN { for (i = 0; i < 12000; i++)
  printf "U%d|{\"AMOUNT\":%d,\"TS\":%.0f}\n", (i * 7919) % 300, (i * 31) % 1000 + 1, 1700000000000 + i * 100 }' > "$work/input.txt"
split -n l/6 -d "$work/input.txt" "$work/chunk."
cat > "$work/member.ksql" <<'KSQL'
SET 'service.id' = 'wsrc_app';
SET 'auto.offset.reset' = 'earliest';
SET 'commit.interval.ms' = '1000';
SET 'num.stream.threads' = '1';
CREATE STREAM events (user STRING KEY, amount BIGINT, ts BIGINT)
  WITH (kafka_topic = 'events', value_format = 'JSON', timestamp = 'ts');
CREATE TABLE per_min_n AS SELECT user, COUNT(*) AS n FROM events
  WINDOW TUMBLING (SIZE 1 MINUTE, GRACE PERIOD 1 HOUR) GROUP BY user;
CREATE TABLE per_min_sum AS SELECT user, SUM(amount) AS total FROM events
  WINDOW TUMBLING (SIZE 1 MINUTE, GRACE PERIOD 1 HOUR) GROUP BY user;
CREATE STREAM n_changes (user STRING KEY, n BIGINT) WITH (kafka_topic = 'PER_MIN_N',
  value_format = 'JSON', window_type = 'TUMBLING', window_size = '1 MINUTE');
CREATE STREAM sum_changes (user STRING KEY, total BIGINT) WITH (kafka_topic = 'PER_MIN_SUM',
  value_format = 'JSON', window_type = 'TUMBLING', window_size = '1 MINUTE');
CREATE STREAM busy AS SELECT user, n FROM n_changes WHERE n >= 2;
CREATE STREAM joined AS SELECT a.user AS user, a.n AS n, b.total AS total
  FROM n_changes a JOIN sum_changes b WITHIN 1 HOUR GRACE PERIOD 2 HOURS ON a.user = b.user;
KSQL

declare -A pids
start_members JOINED
for q in CSAS_BUSY CSAS_JOINED; do
  check "$q is shared by the members (not run whole on each)" \
    grep -q "query ${q}_[0-9]*: 12 tasks shared by the members" "$work/member1.log"
done

for k in $(seq 0 5); do
  kcat -P -b "$BOOTSTRAP" -t events -K '|' -l "$work/chunk.$(printf %02d "$k")" &
  producer=$!
  if [ "$k" -lt "$KILLS" ]; then
    victim=$((RANDOM % 3 + 1))
    kill_member_when JOINED "$victim"
    echo "kill $((k + 1)): member $victim at $(end_offsets JOINED 12) output records"
  fi
  wait "$producer"
  [ "$k" -lt "$KILLS" ] && member "$victim"
done

# A windowed topic's distinct records (last=1: the last value per key,
# deletions dropped): "user start value", the key being the inner key's
# bytes and an 8-byte window start.
records() {  # topic, last
  kcat -C -b "$BOOTSTRAP" -t "$1" -o beginning -e -q -f '%p %o %K %S\n%k%s' 2> /dev/null |
    python3 -c '
import sys, struct
data, at, rows, last = sys.stdin.buffer.read(), 0, [], {}
while at < len(data):
    nl = data.index(b"\n", at)
    p, o, kl, vl = (int(x) for x in data[at:nl].split())
    at = nl + 1
    key = data[at:at + kl]; at += kl
    val = data[at:at + vl] if vl > 0 else None; at += max(vl, 0)
    rows.append((key, val)); last[key] = val
out = last.items() if sys.argv[1] == "1" else rows
for key, val in out:
    if val is not None:
        print(key[:-8].decode(), struct.unpack(">q", key[-8:])[0], val.decode())
' "$2" | sort -u
}
# Expected per (user, minute): "user start n total".
awk -F'|' '{ split($2, f, /[:,}]/); w = f[4] - f[4] % 60000; k = $1 " " sprintf("%.0f", w); n[k]++; s[k] += f[2] }
           END { for (k in n) printf "%s %d %.0f\n", k, n[k], s[k] }' "$work/input.txt" | sort > "$work/awk.all"
awk '{ printf "%s %s {\"N\":%d,\"TOTAL\":%d}\n", $1, $2, $3, $4 }' "$work/awk.all" | sort > "$work/awk.final"
final_rows() {  # the join's rows that pair a window's final count and sum
  records JOINED 0 > "$work/members.joined"
  comm -12 "$work/members.joined" "$work/awk.final" > "$work/members.final"
  records PER_MIN_N 0 | awk '{ split($3, f, /[:}]/); if (f[2] >= 2) print }' > "$work/expected.busy"
  records BUSY 0 > "$work/members.busy"
  cmp -s "$work/members.final" "$work/awk.final" && cmp -s "$work/members.busy" "$work/expected.busy"
}
for _ in $(seq 180); do
  final_rows && break
  sleep 1
done
for m in 1 2 3; do
  echo "member $m: $(grep -c '^--- start' "$work/member$m.log") starts, $(grep -c 'CSAS_JOINED_[0-9]*: tasks \[' "$work/member$m.log") assignments of the join's tasks"
done
echo "figures: JOINED $(end_offsets JOINED 12) records, $(wc -l < "$work/members.joined") distinct, for $(wc -l < "$work/awk.final") (user, window) rows; BUSY $(end_offsets BUSY 12) records, $(wc -l < "$work/members.busy") distinct"
diff "$work/members.final" "$work/awk.final" | head -5 || true
check "every (user, window) has a join row with its final count and sum ($(wc -l < "$work/awk.final"))" cmp -s "$work/members.final" "$work/awk.final"
check "the join's rows are all of one (user, window) of the input" \
  [ -z "$(cut -d' ' -f1,2 "$work/members.joined" | sort -u | comm -23 - <(cut -d' ' -f1,2 "$work/awk.final"))" ]
check "the filter's rows are the windowed table's changes with N >= 2 ($(wc -l < "$work/expected.busy"))" cmp -s "$work/members.busy" "$work/expected.busy"
for m in 1 2 3; do kill -TERM "${pids[$m]}"; done
for m in 1 2 3; do wait "${pids[$m]}" || fail "member $m did not stop cleanly"; done
