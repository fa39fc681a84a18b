#!/usr/bin/env bash
# Pull queries on tables whose tasks are shared by two members
# (engine/README.md "Scale-out", pull queries): each member is an `eddy
# server` of one application and holds only some of the tasks, yet a pull
# query on either answers for every key: the tasks it does not hold are
# brought up to their owner's last checkpoint from the changelog first.
# Three tables: per_user (grouped by the input's key: no exchange),
# per_region (grouped by a value: through the repartition topic) and
# per_user_min (windowed, by the key).  Scans and point lookups of keys
# (a windowed key's windows too) on both members equal awk's figures;
# after more input, the answers follow.
set -euo pipefail
: "${EDDY:?path to the eddy binary}" "${EDDY_SRC:?repo root}"
source "$EDDY_SRC/tests/integration/lib.sh"

work=$(mktemp -d)
[ -n "${KEEP_WORK:-}" ] || add_exit_trap "rm -rf '$work'"; echo "work dir: $work"
start_broker --topic events:12 --topic PER_USER:12 --topic PER_REGION:12

# events(i): user U(i*7919 % 300), region R(i*13 % 37), amount (i*31) % 1000 + 1,
# time 1700000000000 + i*100 ms
events() {  # $1 first, $2 count
  awk -v a="$1" -v n="$2" 'BEGIN { for (i = a; i < a + n; i++) { u = (i * 7919) % 300
      printf "U%d|{\"REGION\":\"R%d\",\"AMOUNT\":%d,\"TS\":%.0f}\n", u, (i * 13) % 37, (i * 31) % 1000 + 1, 1700000000000 + i * 100 } }'
}
events 0 12000 > "$work/batch1.txt"
events 12000 6000 > "$work/batch2.txt"
cat > "$work/member.ksql" <<'KSQL'
SET 'service.id' = 'pull_app';
SET 'auto.offset.reset' = 'earliest';
SET 'commit.interval.ms' = '1000';
SET 'num.stream.threads' = '1';
CREATE STREAM events (user STRING KEY, region STRING, amount BIGINT, ts BIGINT)
  WITH (kafka_topic = 'events', value_format = 'JSON', timestamp = 'ts');
CREATE TABLE per_user AS SELECT user, COUNT(*) AS n, SUM(amount) AS total FROM events GROUP BY user;
CREATE TABLE per_region AS SELECT region, COUNT(*) AS n, SUM(amount) AS total FROM events GROUP BY region;
CREATE TABLE per_user_min AS SELECT user, COUNT(*) AS n FROM events
  WINDOW TUMBLING (SIZE 1 MINUTE, GRACE PERIOD 1 HOUR) GROUP BY user;
KSQL

declare -A pids urls
server() {
  "$EDDY" server --listen 127.0.0.1:0 --bootstrap-servers "$BOOTSTRAP" --state-dir "$work/state$1" \
    -p session.timeout.ms=6000 --verbose "$work/member.ksql" > "$work/out$1" 2> "$work/member$1.log" &
  pids[$1]=$!
  add_exit_trap "kill -KILL ${pids[$1]} 2> /dev/null || true"
  wait_for 30 grep -q 'serving ksqlDB' "$work/member$1.log" || { tail "$work/member$1.log"; fail "member $1 did not start"; }
  urls[$1]=$(grep -o 'http://[0-9.:]*' "$work/member$1.log" | head -1)
}
tasks_of() {  # member, query prefix: its last assignment's task list
  grep "query $2_[0-9]*:.*tasks \[" "$work/member$1.log" | tail -1 | sed 's/.*tasks \[\([0-9,]*\)\].*/\1/'
}
# Both members hold tasks of every query, together all 12.
split_ok() {
  for q in CTAS_PER_USER CTAS_PER_REGION CTAS_PER_USER_MIN; do
    [ -n "$(tasks_of 1 $q)" ] && [ -n "$(tasks_of 2 $q)" ] || return 1
    [ "$(echo "$(tasks_of 1 $q),$(tasks_of 2 $q)" | tr ',' '\n' | sort -n | uniq | grep -c .)" = 12 ] || return 1
  done
}
# A pull query's rows, "key n total" sorted.
pull() {  # member, sql
  curl -s --max-time 30 -X POST "${urls[$1]}/query-stream" -d "{\"sql\": \"$2\"}" |
    tail -n +2 | jq -r 'map(tostring) | join(" ")' | sort
}
expected() {  # files...: "key n total" per user ($1 = user) or region ($1 = region)
  cat "${@:2}" | awk -F'|' -v by="$1" '{ split($2, f, /[:,}]/); r = f[2]; gsub(/"/, "", r)
      k = by == "user" ? $1 : r; n[k]++; s[k] += f[4] }
      END { for (k in n) printf "%s %d %.0f\n", k, n[k], s[k] }' | sort
}
# "user window-start count" per (user, minute)
expected_min() {
  cat "$@" | awk -F'|' '{ split($2, f, /[:,}]/); w = f[6] - f[6] % 60000; n[$1 " " sprintf("%.0f", w)]++ }
      END { for (k in n) printf "%s %d\n", k, n[k] }' | sort
}
# Both members answer a scan of each table with every key, as awk does.
answers() {  # files...
  expected user "$@" > "$work/awk.user"
  expected region "$@" > "$work/awk.region"
  expected_min "$@" > "$work/awk.min"
  for m in ${MEMBERS:-1 2}; do
    pull "$m" "SELECT * FROM per_user;" > "$work/pull$m.user"
    pull "$m" "SELECT * FROM per_region;" > "$work/pull$m.region"
    pull "$m" "SELECT user, WINDOWSTART, n FROM per_user_min;" > "$work/pull$m.min"
    cmp -s "$work/pull$m.user" "$work/awk.user" && cmp -s "$work/pull$m.region" "$work/awk.region" &&
      cmp -s "$work/pull$m.min" "$work/awk.min" || return 1
  done
}

# Member 1 alone holds every task and answers for batch 1; then member 2
# joins and takes half of them: member 1 keeps what it cached of those
# (their views), which the changelog must bring up to date.
server 1
holds_all() {
  for q in CTAS_PER_USER CTAS_PER_REGION CTAS_PER_USER_MIN; do
    [ "$(tasks_of 1 $q)" = "0,1,2,3,4,5,6,7,8,9,10,11" ] || return 1
  done
}
wait_for 60 holds_all || { grep 'tasks \[' "$work/member1.log"; fail "member 1 did not take every task"; }
kcat -P -b "$BOOTSTRAP" -t events -K '|' -l "$work/batch1.txt"
MEMBERS=1 wait_for 120 answers "$work/batch1.txt" || fail "member 1 alone did not answer for batch 1"
server 2
wait_for 90 split_ok || { grep 'tasks \[' "$work"/member*.log | tail; fail "the members did not split the tasks"; }
for q in CTAS_PER_USER CTAS_PER_REGION CTAS_PER_USER_MIN; do
  echo "$q: member 1 holds tasks [$(tasks_of 1 $q)], member 2 [$(tasks_of 2 $q)]"
done
t0=$(date +%s)
wait_for 120 answers "$work/batch1.txt" || {
  for m in 1 2; do echo "member $m: $(wc -l < "$work/pull$m.user") users, $(wc -l < "$work/pull$m.region") regions, $(wc -l < "$work/pull$m.min") user windows"; done
  diff "$work/pull1.region" "$work/awk.region" | head -5
  fail "a pull query on a member answered for only some keys"
}
echo "figures: both members answered all 300 users and 37 regions $(($(date +%s) - t0)) s after member 2 took its tasks"
check_eq "member 1's scan of per_user has every user" 300 "$(wc -l < "$work/pull1.user")"
check_eq "member 2's scan of per_region has every region" 37 "$(wc -l < "$work/pull2.region")"
check "both members' scans equal awk's" answers "$work/batch1.txt"
# Point lookups of keys on each member: every user's and region's row,
# whichever member's task holds it (a lookup caches the row it read).
lookups() {
  for m in 1 2; do
    : > "$work/lookups$m"
    for u in U0 U1 U7 U150 U299; do pull "$m" "SELECT * FROM per_user WHERE user = '$u';" >> "$work/lookups$m"; done
    for r in R0 R5 R36; do pull "$m" "SELECT * FROM per_region WHERE region = '$r';" >> "$work/lookups$m"; done
    grep -E '^(U0|U1|U7|U150|U299|R0|R5|R36) ' "$work/awk.user" "$work/awk.region" -h | sort > "$work/awk.lookups"
    sort -o "$work/lookups$m" "$work/lookups$m"
    check "member $m's point lookups of 8 keys equal awk's" cmp -s "$work/lookups$m" "$work/awk.lookups"
    : > "$work/wlookups$m"
    for u in U0 U7 U150 U299; do pull "$m" "SELECT user, WINDOWSTART, n FROM per_user_min WHERE user = '$u';" >> "$work/wlookups$m"; done
    sort -o "$work/wlookups$m" "$work/wlookups$m"
    grep -E '^(U0|U7|U150|U299) ' "$work/awk.min" > "$work/awk.wlookups"
    check "member $m's windowed lookups of 4 users ($(wc -l < "$work/awk.wlookups") windows) equal awk's" cmp -s "$work/wlookups$m" "$work/awk.wlookups"
  done
}
lookups

# More input: the answers follow (the other member's state as of its
# next checkpoint).
kcat -P -b "$BOOTSTRAP" -t events -K '|' -l "$work/batch2.txt"
t0=$(date +%s)
check "after 6,000 more events both members' scans equal awk's" wait_for 120 answers "$work/batch1.txt" "$work/batch2.txt"
echo "figures: both members answered with the new counts $(($(date +%s) - t0)) s after 6,000 more events were produced"
lookups

# A member that has just joined, before the group gives it any task (its
# state directory new), answers for every key at once.
server 3
MEMBERS=3 check "member 3, just started, answers every scan as awk does" answers "$work/batch1.txt" "$work/batch2.txt"
echo "member 3 at its first pull query: $(grep -c 'tasks \[' "$work/member3.log") assignments"
for m in 1 2 3; do kill -TERM "${pids[$m]}"; done
for m in 1 2 3; do wait "${pids[$m]}" || fail "member $m did not stop cleanly"; done
