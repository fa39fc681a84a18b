#!/usr/bin/env bash
# Damaged state never gives wrong rows, and a failed write is a clean stop.
#
# A windowed and an unwindowed COUNT/SUM table run through `eddy run` over
# a first chunk of input (state flushed to table files by a snapshot);
# then, on a copy of the state directory, one damage per variant, a second
# chunk, and a restart that also scans the windowed table (a pull query):
#   sst       64 random bytes written into the middle of the largest SST
#   manifest  the MANIFEST truncated to half its size
#   rmdir     the rocksdb directory deleted, the catalog kept
#   current   CURRENT deleted
#   gone      the whole state directory deleted (catalog too) and the same
#             statements run again: the stateful queries start from
#             auto.offset.reset, not from the offsets their consumer groups
#             committed in the deleted directory's life (that counted only
#             the records after them)
# Each must end in a clear error (a non-zero exit, or the queries stopped
# with an error naming the store and the remedy) or in exact state (the
# tables equal awk's over the input); never exit 0 with wrong rows.  Then
# the remedy the message names (REPLAY ... WITH EMPTY STATE, after moving
# the directory aside when eddy cannot open it) gives the exact tables.
#
# Disk full (root only: a small tmpfs as the state directory): eddy exits
# non-zero with the error (no SIGABRT), and after space is freed a restart
# gives exact tables; a CREATE TABLE that fails for space is not recorded
# in commands.ksql.  The same for the state made immutable mid-run
# (chattr +i, root only).
set -euo pipefail
: "${EDDY:?path to the eddy binary}" "${EDDY_SRC:?repo root}"
source "$EDDY_SRC/tests/integration/lib.sh"

work=$(mktemp -d)
[ -n "${KEEP_WORK:-}" ] || add_exit_trap "rm -rf '$work'"; echo "work dir: $work"

# 40,000 records (30,000 then 10,000); 300 users; event time 20 ms apart
# (~14 one-minute windows); amounts 1..997.
user_events 40000 300 997 20 > "$work/input.txt"
head -n 30000 "$work/input.txt" > "$work/first.txt"
tail -n +30001 "$work/input.txt" > "$work/second.txt"
window_totals "$work/input.txt" > "$work/awk.wstats"
awk -F'|' '{ split($2, f, /[:,}]/); n[$1]++; s[$1] += f[4] }
           END { for (k in n) printf "%s - %d %.0f\n", k, n[k], s[k] }' "$work/input.txt" | sort > "$work/awk.totals"

cat > "$work/q.ksql" << 'EOF'
SET 'auto.offset.reset' = 'earliest';
SET 'commit.interval.ms' = '50';
CREATE STREAM events (user STRING KEY, amount BIGINT, ts BIGINT)
  WITH (kafka_topic = 'events', value_format = 'JSON', timestamp = 'ts');
CREATE TABLE wstats AS SELECT user, UCASE(user) AS u, WINDOWSTART AS ws, COUNT(*) AS n, SUM(amount) AS total
  FROM events WINDOW TUMBLING (SIZE 1 MINUTE) GROUP BY user EMIT CHANGES;
CREATE TABLE totals AS SELECT user, UCASE(user) AS u, COUNT(*) AS n, SUM(amount) AS total
  FROM events GROUP BY user EMIT CHANGES;
EOF
echo "CREATE SNAPSHOT flush; DROP SNAPSHOT flush;" > "$work/flush.ksql"
echo "SELECT * FROM wstats;" > "$work/pull.ksql"
printf '%s\n' "REPLAY QUERY CTAS_WSTATS_1 FROM BEGINNING WITH EMPTY STATE;" \
  "REPLAY QUERY CTAS_TOTALS_2 FROM BEGINNING WITH EMPTY STATE;" > "$work/remedy.ksql"

run() {  # run STATE_DIR FILES...: eddy run until caught up
  local st=$1
  shift
  timeout 300 "$EDDY" run "$@" --bootstrap-servers "$BOOTSTRAP" --state-dir "$st" --until-caught-up
}

# The tables on the output topics and from a pull scan, against awk's.
tables_exact() {  # tables_exact LOG (the log of a run that ran pull.ksql)
  changelog_table WSTATS '"\(.U) \(.WS) \(.N) \(.TOTAL)"' > "$work/got.wstats"
  changelog_table TOTALS '"\(.U) - \(.N) \(.TOTAL)"' > "$work/got.totals"
  grep '^|U[0-9]' "$1" | tr -d ' ' | awk -F'|' '{ print $2, $6, $7, $8 }' | sort > "$work/pull.wstats" || true
  cmp -s "$work/got.wstats" "$work/awk.wstats" && cmp -s "$work/got.totals" "$work/awk.totals" &&
    cmp -s "$work/pull.wstats" "$work/awk.wstats"
}

summary=()
for variant in ${DAMAGE_VARIANTS-sst manifest rmdir current gone}; do
  echo "--- variant: $variant"
  start_broker --topic events:4 --topic WSTATS:4 --topic TOTALS:4
  kcat -P -b "$BOOTSTRAP" -t events -K '|' -l "$work/first.txt"
  st="$work/state_$variant"
  run "$work/orig" "$work/q.ksql" > "$work/$variant.run1.log" 2>&1 || { cat "$work/$variant.run1.log"; fail "first run failed"; }
  run "$work/orig" "$work/q.ksql" "$work/flush.ksql" > "$work/$variant.flush.log" 2>&1 || { cat "$work/$variant.flush.log"; fail "flush run failed"; }
  cp -a "$work/orig" "$st"
  rm -rf "$work/orig"
  db="$st/rocksdb"
  case $variant in
  sst)
    f=$(ls -S "$db"/*.sst | head -1)
    size=$(stat -c %s "$f")
    head -c 64 /dev/urandom | dd of="$f" bs=1 seek=$((size / 2)) conv=notrunc status=none
    echo "64 random bytes at offset $((size / 2)) of $(basename "$f") ($size bytes, the largest of $(ls "$db"/*.sst | wc -l) SSTs)";;
  manifest)
    f=$(ls "$db"/MANIFEST-*)
    size=$(stat -c %s "$f")
    truncate -s $((size / 2)) "$f"
    echo "$(basename "$f") truncated from $size to $((size / 2)) bytes";;
  rmdir)
    rm -rf "$db"
    echo "the rocksdb directory deleted; commands.ksql and state-checkpoints kept";;
  current)
    rm "$db/CURRENT"
    echo "CURRENT deleted";;
  gone)
    rm -rf "$st"
    mkdir "$st"
    echo "the whole state directory deleted";;
  esac
  kcat -P -b "$BOOTSTRAP" -t events -K '|' -l "$work/second.txt"
  rc=0
  run "$st" "$work/q.ksql" "$work/pull.ksql" > "$work/$variant.log" 2>&1 || rc=$?
  grep -v '^[|+]' "$work/$variant.log" | grep -iE 'error|damaged|cannot|does not match' | cut -c1-400 || true
  [ "$rc" -lt 128 ] || fail "$variant: eddy died of a signal (exit $rc)"
  if grep -q "query .* failed and was stopped" "$work/$variant.log"; then
    check "$variant: a query stopped by an error makes eddy run exit non-zero" test "$rc" -ne 0
  fi
  if [ "$rc" -ne 0 ] || grep -q 'query .* failed and was stopped\|does not match its catalog' "$work/$variant.log"; then
    check "$variant: the error names the state store" grep -q "state store\|$st" "$work/$variant.log"
    check "$variant: the error names the remedy" grep -q "REPLAY QUERY .* WITH EMPTY STATE" "$work/$variant.log"
    outcome="clear error (exit $rc)"
  else
    if [ "$variant" = gone ]; then
      # The new queries' pull scan ran before they had read a record: scan
      # again after a restart.
      run "$st" "$work/q.ksql" "$work/pull.ksql" > "$work/$variant.log" 2>&1 || { cat "$work/$variant.log"; fail "$variant: the restart failed"; }
    fi
    check "$variant: exit 0, so the tables must be exact" tables_exact "$work/$variant.log"
    outcome="exact state (exit 0)"
  fi
  # The remedy: eddy cannot open a database it calls damaged, so that one
  # is moved aside first, as the message says.
  if grep -q "eddy will not start on it" "$work/$variant.log"; then
    mv "$db" "$db.damaged"
  fi
  run "$st" "$work/q.ksql" "$work/remedy.ksql" > "$work/$variant.remedy.log" 2>&1 || { cat "$work/$variant.remedy.log"; fail "$variant: the remedy failed"; }
  run "$st" "$work/q.ksql" "$work/pull.ksql" > "$work/$variant.after.log" 2>&1 || { cat "$work/$variant.after.log"; fail "$variant: the run after the remedy failed"; }
  check "$variant: after REPLAY ... WITH EMPTY STATE both tables and the pull scan equal awk's" tables_exact "$work/$variant.after.log"
  echo "$variant: $(wc -l < "$work/pull.wstats") windowed rows by a pull scan, $(wc -l < "$work/got.totals") totals"
  summary+=("$variant: $outcome; remedy exact")
  stop_broker || true
done

# ---- disk full --------------------------------------------------------------
mnt="$work/full"
mkdir -p "$mnt"
if [ -n "${SKIP_DISK_FULL:-}" ]; then
  echo "NOTICE: SKIP_DISK_FULL set: the disk-full variants are skipped"
elif [ "$(id -u)" != 0 ]; then
  echo "NOTICE: not root: the disk-full variants (a small tmpfs) are skipped"
elif ! mount -t tmpfs -o size=400k tmpfs "$mnt" 2> /dev/null; then
  echo "NOTICE: root, but cannot mount a tmpfs here: the disk-full variants are skipped"
else
  add_exit_trap "umount '$mnt' 2> /dev/null || true"
  start_broker --topic events:4 --topic WSTATS:4 --topic TOTALS:4
  kcat -P -b "$BOOTSTRAP" -t events -K '|' -l "$work/input.txt"
  rc=0
  run "$mnt/state" "$work/q.ksql" > "$work/full.log" 2>&1 || rc=$?
  grep '^eddy' "$work/full.log" | cut -c1-300 || true
  echo "disk full: exit $rc; $(df -k "$mnt" | awk 'NR == 2 { print $3 " of " $2 " KiB used" }')"
  check "disk full: eddy exits non-zero" test "$rc" -ne 0
  check "disk full: no SIGABRT (exit $rc)" test "$rc" -lt 128
  check "disk full: the error is printed" grep -q "No space left on device" "$work/full.log"
  mount -o remount,size=64m "$mnt"
  run "$mnt/state" "$work/q.ksql" > "$work/full2.log" 2>&1 || { cat "$work/full2.log"; fail "restart after freeing space failed"; }
  run "$mnt/state" "$work/q.ksql" "$work/pull.ksql" > "$work/full2.log" 2>&1 || { cat "$work/full2.log"; fail "pull after the restart failed"; }
  check "disk full: after space is freed and a restart, both tables and the pull scan equal awk's" tables_exact "$work/full2.log"
  summary+=("disk full: exit $rc with the error; restart exact")

  # 60 KB free (FREE_KB=n for another amount) when CREATE TABLE creates its stores.
  stop_broker || true
  start_broker --topic events:4 --topic WSTATS:4 --topic TOTALS:4
  kcat -P -b "$BOOTSTRAP" -t events -K '|' -l "$work/input.txt"
  umount "$mnt"
  mount -t tmpfs -o size=1m tmpfs "$mnt"
  mkdir -p "$mnt/state"
  head -n 4 "$work/q.ksql" > "$work/stream.ksql"
  run "$mnt/state" "$work/stream.ksql" > "$work/small0.log" 2>&1 || { cat "$work/small0.log"; fail "CREATE STREAM failed"; }
  free=$(df -k --output=avail "$mnt" | tail -1)
  fallocate -l $(((free - ${FREE_KB:-60}) * 1024)) "$mnt/filler" 2> /dev/null || head -c $(((free - ${FREE_KB:-60}) * 1024)) /dev/zero > "$mnt/filler"
  echo "free before CREATE TABLE: $(df -k --output=avail "$mnt" | tail -1) KiB"
  rc=0
  run "$mnt/state" "$work/q.ksql" > "$work/small.log" 2>&1 || rc=$?
  grep '^eddy\|line' "$work/small.log" | cut -c1-300 || true
  echo "CREATE TABLE with ${FREE_KB:-60} KB free: exit $rc"
  check "${FREE_KB:-60} KB free: no SIGABRT (exit $rc)" test "$rc" -lt 128
  if [ "$rc" -ne 0 ]; then
    check "${FREE_KB:-60} KB free: an error is printed" grep -qi "space\|cannot\|failed" "$work/small.log"
    logged=$(grep -c "CREATE TABLE" "$mnt/state/commands.ksql" || true)
    check "${FREE_KB:-60} KB free: commands.ksql holds only the statements that succeeded" \
      test "$logged" -le "$(grep -c '^Created query' "$work/small.log" || true)"
  fi
  rm -f "$mnt/filler"
  mount -o remount,size=64m "$mnt"
  run "$mnt/state" "$work/q.ksql" > "$work/small2.log" 2>&1 || { cat "$work/small2.log"; fail "restart after freeing space failed"; }
  run "$mnt/state" "$work/q.ksql" "$work/pull.ksql" > "$work/small2.log" 2>&1 || { cat "$work/small2.log"; fail "pull after the restart failed"; }
  check "${FREE_KB:-60} KB free: after space is freed and a restart, both tables and the pull scan equal awk's" tables_exact "$work/small2.log"
  summary+=("${FREE_KB:-60} KB free at CREATE TABLE: exit $rc; restart exact")
  umount "$mnt"
fi

# ---- state made immutable mid-run ----------------------------------------------
im="$work/immutable"
mkdir -p "$im"
touch "$im/probe"
if [ "$(id -u)" != 0 ] || ! chattr +i "$im/probe" 2> /dev/null; then
  echo "NOTICE: chattr +i is not available here: the immutable-state variant is skipped"
else
  chattr -i "$im/probe"
  add_exit_trap "chattr -R -i '$im' 2> /dev/null || true"
  start_broker --topic events:4 --topic WSTATS:4 --topic TOTALS:4
  kcat -P -b "$BOOTSTRAP" -t events -K '|' -l "$work/first.txt"
  timeout 300 "$EDDY" run "$work/q.ksql" --bootstrap-servers "$BOOTSTRAP" --state-dir "$im/state" \
    > "$work/immutable.log" 2>&1 &
  pid=$!
  add_exit_trap "kill -KILL $pid 2> /dev/null || true"   # a failed check leaves nothing running
  first_done() { [ "$(end_offsets TOTALS 4)" -ge 30000 ]; }
  wait_for 60 first_done || fail "the first chunk was not processed"
  sleep 0.5   # a checkpoint or more after it
  chattr -R +i "$im/state/rocksdb"
  kcat -P -b "$BOOTSTRAP" -t events -K '|' -l "$work/second.txt"
  rc=0
  wait "$pid" || rc=$?
  grep '^eddy' "$work/immutable.log" | cut -c1-300 || true
  echo "state made immutable mid-run: exit $rc after $(end_offsets TOTALS 4) output records"
  check "immutable: eddy stops by itself and exits non-zero" test "$rc" -ne 0 -a "$rc" -ne 124
  check "immutable: no SIGABRT (exit $rc)" test "$rc" -lt 128
  check "immutable: the error is printed" grep -q "write failed\|could not be written" "$work/immutable.log"
  chattr -R -i "$im/state/rocksdb"
  run "$im/state" "$work/q.ksql" > "$work/immutable2.log" 2>&1 || { cat "$work/immutable2.log"; fail "restart after chattr -i failed"; }
  run "$im/state" "$work/q.ksql" "$work/pull.ksql" > "$work/immutable2.log" 2>&1 || { cat "$work/immutable2.log"; fail "pull after the restart failed"; }
  check "immutable: after chattr -i and a restart, both tables and the pull scan equal awk's" tables_exact "$work/immutable2.log"
  summary+=("state made immutable mid-run: exit $rc with the error; restart exact")
  stop_broker || true
fi

echo "windowed rows: $(wc -l < "$work/awk.wstats"), totals: $(wc -l < "$work/awk.totals")"
printf '%s\n' "${summary[@]}"
echo "PASS: damaged state ends in a clear error or exact state, and the remedy gives exact tables"
