#!/usr/bin/env bash
# Standby copies (num.standby.replicas, engine/README.md "Scale-out"): two
# members share a COUNT/SUM per user over 12 partitions; after 24,000 of
# 36,000 records member 1 is SIGKILLed and member 2 takes over its tasks
# once its session times out.  Run twice over the same input: with
# num.standby.replicas = 1 member 2 has applied member 1's changelog as it
# was written, so its takeover reads almost nothing; with 0 it reads all
# member 1 wrote since member 2 joined.  Both final tables equal awk's.
# Figures: the records each takeover read past member 2's positions.
set -euo pipefail
: "${EDDY:?path to the eddy binary}" "${EDDY_SRC:?repo root}"
source "$EDDY_SRC/tests/integration/lib.sh"

work=$(mktemp -d)
[ -n "${KEEP_WORK:-}" ] || add_exit_trap "rm -rf '$work'"; echo "work dir: $work"
start_broker --topic events0:12 --topic events1:12 --topic T0:12 --topic T1:12
user_events 36000 1000 1000 20 > "$work/input.txt"
head -24000 "$work/input.txt" > "$work/first.txt"
tail -n +24001 "$work/input.txt" > "$work/rest.txt"
awk -F'|' '{ split($2, f, /[:,}]/); n[$1]++; s[$1] += f[4] }
           END { for (u in n) printf "%s - %d %.0f\n", u, n[u], s[u] }' "$work/input.txt" | sort > "$work/awk.table"

holds() {  # $1 = log, $2 = a pattern of its last assignment
  grep 'tasks \[' "$1" | tail -1 | grep -q "$2"
}

# run REPLICAS: one application over the whole input (topic events<R>),
# produced once both members hold tasks; keeps in app<R>/takeover the
# records member 2's takeover read past its positions.
run() {
  local r=$1 dir="$work/app$1"
  mkdir -p "$dir"
  printf "SET 'service.id' = 'standby_%s';\nSET 'num.standby.replicas' = '%s';\nSET 'auto.offset.reset' = 'earliest';\nSET 'commit.interval.ms' = '200';\nCREATE STREAM events (user STRING KEY, amount BIGINT, ts BIGINT) WITH (kafka_topic = 'events%s', value_format = 'JSON', timestamp = 'ts');\nCREATE TABLE t%s AS SELECT user, UCASE(user) AS u, COUNT(*) AS n, SUM(amount) AS total FROM events GROUP BY user EMIT CHANGES;\n" \
    "$r" "$r" "$r" "$r" > "$dir/member.ksql"
  local m p1 p2
  for m in 1 2; do
    "$EDDY" run "$dir/member.ksql" --bootstrap-servers "$BOOTSTRAP" --state-dir "$dir/state$m" \
      -p session.timeout.ms=6000 --verbose > "$dir/member$m.log" 2>&1 &
    [ "$m" = 1 ] && p1=$! || p2=$!
    add_exit_trap "kill -KILL $! 2> /dev/null || true"
    [ "$m" = 1 ] && { wait_for 60 holds "$dir/member1.log" '\[[0-9]' || fail "member 1 got no task"; }
  done
  wait_for 60 holds "$dir/member2.log" '\[[0-9]' || fail "member 2 got no task ($r standbys)"
  wait_for 60 holds "$dir/member1.log" '\[[0-9]*,[0-9]*,[0-9]*,[0-9]*,[0-9]*,[0-9]*\]' ||
    fail "member 1 kept more than half the tasks ($r standbys)"
  # Both process the first 24,000 records; member 1 is killed once they
  # are through (each record one update) and a standby had time to read.
  kcat -P -b "$BOOTSTRAP" -t "events$r" -K '|' -l "$work/first.txt"
  wait_for 120 bash -c "[ \$(kcat -C -b '$BOOTSTRAP' -t T$r -o beginning -e -q -f 'x\n' | wc -l) -ge 24000 ]" ||
    fail "the first records were not processed ($r standbys)"
  sleep 2
  if [ "$r" -gt 0 ]; then
    "$EDDY" exec --state-dir "$dir/state2" -e "SHOW QUERIES EXTENDED;" > "$dir/show.out" 2>&1 || true
    grep -h "standby copies" "$dir/show.out" || true
    check "SHOW QUERIES EXTENDED on member 2 says it keeps the other 6 tasks from their changelog" \
      grep -q "standby copies: the other 6 tasks' state, kept from their changelog ([1-9][0-9]* records" "$dir/show.out"
  fi
  kill -KILL "$p1"
  wait "$p1" 2> /dev/null || true
  kcat -P -b "$BOOTSTRAP" -t "events$r" -K '|' -l "$work/rest.txt"
  wait_for 60 holds "$dir/member2.log" '\[0,1,2,3,4,5,6,7,8,9,10,11\]' ||
    fail "member 2 did not take over member 1's tasks ($r standbys)"
  for _ in $(seq 120); do
    changelog_table "T$r" '"\(.U) - \(.N) \(.TOTAL)"' > "$dir/table"
    cmp -s "$dir/table" "$work/awk.table" && break
    sleep 1
  done
  check "the table equals awk's after the takeover ($r standbys)" cmp -s "$dir/table" "$work/awk.table"
  kill -TERM "$p2"
  wait "$p2" || fail "member 2 did not stop cleanly ($r standbys)"
  # The takeover's restore: the first tail restore after the assignment
  # of all 12 tasks.
  sed -n '/tasks \[0,1,2,3,4,5,6,7,8,9,10,11\]/,$p' "$dir/member2.log" |
    grep -m1 "from its changelog's tail" | sed 's/.*tail (\([0-9]*\) records past.*/\1/' > "$dir/takeover"
  [ -s "$dir/takeover" ] || { tail -20 "$dir/member2.log"; fail "no tail restore at the takeover ($r standbys)"; }
  echo "figures ($r standbys): member 2's takeover read $(cat "$dir/takeover") changelog records past its positions: $(sed -n '/tasks \[0,1,2,3,4,5,6,7,8,9,10,11\]/,$p' "$dir/member2.log" | grep -m1 "from its changelog's tail" | sed 's/.*: //')"
}

run 1
run 0
with=$(cat "$work/app1/takeover") without=$(cat "$work/app0/takeover")
echo "figures: a takeover read $with records with a standby, $without without"
check "without a standby the takeover read member 1's changelog (an entry per user of its tasks at least)" [ "$without" -ge 400 ]
check "with a standby it read at most a tenth of that" [ $((with * 10)) -le "$without" ]
