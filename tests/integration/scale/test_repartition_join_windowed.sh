#!/usr/bin/env bash
# A stream-stream LEFT JOIN on a value column (impressions and clicks, each
# keyed by its own id, joined on their AD within 1 minute, GRACE PERIOD 20
# minutes) with tasks shared by three members (engine/README.md
# "Scale-out", repartition topics): each side's rows reach the task their
# AD hashes to through the repartition topic, with their partition's
# stream time, and time marks tell every task how far each partition has
# got, so windows close (and unmatched impressions get their row with
# nulls) as in one process.  Records in 40 chunks, 3 SIGKILLs of random
# members while they process, each restarted at once.  The grace period
# covers the input's 10 minutes: a partition that falls behind the others
# (a killed member's, until its tasks move) must not see its rows' windows
# closed, which one process reading everything at once never does (ci28,
# with 30 seconds: 23 clicks of 1,967 found their impressions gone).  Then
# a record an hour later on every partition closes every window: the
# impressions without a click get their row with nulls.  The distinct
# output rows must equal an uninterrupted single-process run's, the matched
# ones awk's (every click with its impression), the null ones one per
# impression without a click.
set -euo pipefail
: "${EDDY:?path to the eddy binary}" "${EDDY_SRC:?repo root}"
source "$EDDY_SRC/tests/integration/lib.sh"

work=$(mktemp -d)
[ -n "${KEEP_WORK:-}" ] || add_exit_trap "rm -rf '$work'"; echo "work dir: $work"
start_broker --topic impressions:12 --topic clicks:12 --topic SHOWN:12 --topic SHOWN_REF:12
seed=${CRASH_SEED:-$RANDOM}
echo "random seed: $seed (set CRASH_SEED to repeat)"
RANDOM=$seed
APP=click_app
KILLS=3

# Impression i (ad A<i>) at T0 + i * 100 ms; two of three get a click 10 s
# later.  One file, in time order, each line "topic|key|json".
awk 'BEGIN { for (i = 0; i < 6000; i++) {
    t = 1700000000000 + i * 100
    printf "impressions|I%d|{\"AD\":\"A%d\",\"TS\":%.0f}\n", i, i, t
    if (i % 3 != 2 && i >= 100) { c = i - 100
      if (c % 3 != 2) printf "clicks|C%d|{\"AD\":\"A%d\",\"TS\":%.0f}\n", c, c, t }
  } }' > "$work/input.txt"
split -n l/40 -a 2 -d "$work/input.txt" "$work/chunk."
produce_chunk() {  # $1 = chunk file: each topic's lines in order
  for t in impressions clicks; do
    grep "^$t|" "$1" | cut -d'|' -f2- > "$1.$t" || true
    if [ -s "$1.$t" ]; then kcat -P -b "$BOOTSTRAP" -t "$t" -K '|' -l "$1.$t"; fi
  done
}
ddl="CREATE STREAM impressions (id STRING KEY, ad STRING, ts BIGINT)
  WITH (kafka_topic = 'impressions', value_format = 'JSON', timestamp = 'ts');
CREATE STREAM clicks (id STRING KEY, ad STRING, ts BIGINT)
  WITH (kafka_topic = 'clicks', value_format = 'JSON', timestamp = 'ts');"
query() {  # $1 = sink name
  echo "CREATE STREAM $1 AS SELECT i.ad AS ad, i.id AS impression, c.id AS click
  FROM impressions i LEFT JOIN clicks c WITHIN 1 MINUTE GRACE PERIOD 20 MINUTES ON i.ad = c.ad;"
}
printf "SET 'service.id' = '$APP';\nSET 'auto.offset.reset' = 'earliest';\nSET 'commit.interval.ms' = '1000';\nSET 'num.stream.threads' = '1';\n%s\n%s\n" \
  "$ddl" "$(query shown)" > "$work/member.ksql"
printf "SET 'auto.offset.reset' = 'earliest';\nSET 'num.stream.threads' = '1';\n%s\n%s\n" \
  "$ddl" "$(query shown_ref)" > "$work/ref.ksql"

declare -A pids
start_members SHOWN
topic="$APP-$qid-Join-repartition"

kills=0
for k in $(seq 0 $((KILLS - 1))); do
  produce_chunk "$work/chunk.$(printf %02d "$k")" &
  producer=$!
  victim=$((RANDOM % 3 + 1))
  kill_member_when "$topic" "$victim"
  kills=$((kills + 1))
  echo "kill $((k + 1)): member $victim at $(end_offsets SHOWN 12) output records"
  wait "$producer"
  member "$victim"
done
for c in $(seq "$KILLS" 39); do produce_chunk "$work/chunk.$(printf %02d "$c")"; done
check_eq "SIGKILLs delivered" "$KILLS" "$kills"

rows() {  # $1 = topic: "ad impression click" per distinct output row, sorted
  kcat -C -b "$BOOTSTRAP" -t "$1" -o beginning -e -q -f '%k|%s\n' 2> /dev/null |
    jq -rR 'split("|") as $f | ($f[1] | fromjson) as $v | "\($f[0]) \($v.IMPRESSION) \($v.CLICK)"' | sort -u
}
# The matched rows by awk: every click with its impression.
awk -F'|' '$1 == "clicks" { split($3, f, /[:,}]/); a = f[2]; gsub(/"/, "", a); c = $2; i = c; sub(/^C/, "I", i)
             print a " " i " " c }' "$work/input.txt" | sort > "$work/awk.matched"
for _ in $(seq 120); do
  rows SHOWN > "$work/members.rows"
  grep -v ' null$' "$work/members.rows" > "$work/members.matched" || true
  cmp -s "$work/members.matched" "$work/awk.matched" && break
  sleep 1
done
# A record an hour on, on every partition: every window closes.
for p in $(seq 0 11); do
  printf 'TICK%d|{"AD":"TICK%d","TS":1700003600000}\n' "$p" "$p" | kcat -P -b "$BOOTSTRAP" -t impressions -p "$p" -K '|'
done
unmatched=$(awk -F'|' '$1 == "clicks" { c[substr($2, 2)] = 1 } $1 == "impressions" { n++ }
                       END { u = 0; for (i = 0; i < n; i++) if (!(i in c)) u++; print u }' "$work/input.txt")
for _ in $(seq 120); do
  rows SHOWN > "$work/members.rows"
  [ "$(grep -c ' null$' "$work/members.rows" || true)" -ge "$unmatched" ] && break
  sleep 1
done
grep -v ' null$' "$work/members.rows" > "$work/members.matched" || true
sent=$(end_offsets "$topic" 12)
out=$(end_offsets SHOWN 12)
for m in 1 2 3; do kill -TERM "${pids[$m]}"; done
for m in 1 2 3; do wait "${pids[$m]}" || fail "member $m did not stop cleanly"; done
timeout 600 "$EDDY" run "$work/ref.ksql" --bootstrap-servers "$BOOTSTRAP" \
  --state-dir "$work/refstate" --until-caught-up > "$work/ref.log" 2>&1 || { tail -20 "$work/ref.log"; fail "reference run failed"; }
rows SHOWN_REF > "$work/ref.rows"
nulls=$(grep -c ' null$' "$work/ref.rows" || true)
echo "figures: $sent repartition records; $out output records from the members, $(wc -l < "$work/members.rows") distinct; the uninterrupted run: $(end_offsets SHOWN_REF 12), of them $nulls impressions without a click"
check "rows went through the repartition topic" [ "$sent" -gt 0 ]
check_eq "every click joined its impression (awk)" "$(wc -l < "$work/awk.matched")" "$(wc -l < "$work/members.matched")"
check "the matched rows are awk's" cmp -s "$work/members.matched" "$work/awk.matched"
check_eq "every impression without a click got its row with nulls" "$unmatched" "$nulls"
diff "$work/members.rows" "$work/ref.rows" | head -5 || true
check "the members' distinct rows equal the uninterrupted run's" cmp -s "$work/members.rows" "$work/ref.rows"
