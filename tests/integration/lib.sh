# lib.sh - helpers for integration tests; `source` it from a test script.
#
# Needs $EDDY (the eddy binary).  Provides:
#   start_broker [--topic NAME:PARTITIONS]... [--brokers N]
#       starts "$EDDY broker" in the background, sets $BOOTSTRAP (HOST:PORT)
#       and $BROKER_PID; the broker is stopped when the script exits, however
#       it exits (an EXIT trap set before start_broker is kept and still runs;
#       set later ones with add_exit_trap, not `trap`, or the broker outlives
#       the script until its watchdog notices).
#   stop_broker            SIGTERM to the last broker; returns its exit status
#   add_exit_trap CMD      runs CMD (a string, eval'd) at exit, after the others
#   wait_for SECS CMD...   runs CMD every 0.2 s until it succeeds; 1 on timeout
#   fail MSG               prints FAIL: MSG and exits 1
#   check DESC CMD...      runs CMD; prints "ok: DESC" or fails with DESC
#   check_eq DESC WANT GOT compares two strings
#   topic_count TOPIC      number of records in TOPIC (kcat, to the end)
#   end_offsets TOPIC N    the sum of the end offsets of TOPIC's partitions
#                          0..N-1 (kcat -Q): how many records it has had
#   member N, holds_tasks N, kill_member_when TOPIC N, start_members SINK:
#                          members of one
#                          application (the scale tests; see below)
#   changelog_table TOPIC JQ
#                          the table a changelog topic ends as: each record's
#                          value through `jq -r JQ` (a line whose first two
#                          fields are its key), the last line per key in
#                          offset order (a key's records are in one partition),
#                          sorted

: "${EDDY:?set EDDY to the eddy binary}"

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

check() {
  local desc=$1
  shift
  if "$@"; then
    echo "ok: $desc"
  else
    fail "$desc"
  fi
}

check_eq() {
  if [ "$2" == "$3" ]; then
    echo "ok: $1 ($3)"
  else
    fail "$1: expected '$2', got '$3'"
  fi
}

wait_for() {
  local secs=$1
  shift
  local deadline=$((SECONDS + secs))
  until "$@"; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.2
  done
}

# ---- exit handling: one EXIT trap that runs everything registered --------

_LIB_EXIT_CMDS=()
_LIB_TMP=$(mktemp -d "${TMPDIR:-/tmp}/eddy-it.XXXXXX")

# tmux on a server of the test's own (a socket in its temporary folder),
# also for `bash -c "tmux ..."` children: another tmux user on the machine
# (a person's sessions, a `tmux kill-server`) cannot end the test's
# session, and the server ends with the test (_lib_on_exit).
export _LIB_TMP
tmux() { command tmux -S "$_LIB_TMP/tmux.sock" "$@"; }
export -f tmux

_lib_on_exit() {
  local rc=$? i
  for ((i = ${#_LIB_EXIT_CMDS[@]} - 1; i >= 0; i--)); do
    eval "${_LIB_EXIT_CMDS[i]}" || true
  done
  [ ! -S "$_LIB_TMP/tmux.sock" ] || command tmux -S "$_LIB_TMP/tmux.sock" kill-server 2> /dev/null || true
  rm -rf "$_LIB_TMP"
  return $rc
}

# Keeps an EXIT trap the script set before sourcing/start_broker.
_lib_take_trap() {
  local prev
  prev=$(trap -p EXIT)
  if [ -n "$prev" ] && [[ "$prev" != *_lib_on_exit* ]]; then
    eval "set -- $prev"        # trap -- 'CMD' EXIT
    _LIB_EXIT_CMDS=("$3" "${_LIB_EXIT_CMDS[@]}")
  fi
  trap _lib_on_exit EXIT
}

add_exit_trap() {
  _lib_take_trap
  _LIB_EXIT_CMDS+=("$1")
}

# ---- memory bounds ---------------------------------------------------------

# The RSS a long-running eddy process must stay under: 256 MiB, or 1 GiB
# in the AddressSanitizer build, whose shadow memory and quarantine of
# freed blocks (256 MiB by default) count in RSS (.ci/test exports
# ASAN_OPTIONS for that stage).
rss_cap() {
  if [ -n "${ASAN_OPTIONS:-}" ]; then echo $((1024 << 20)); else echo $((256 << 20)); fi
}

# ---- the broker ---------------------------------------------------------

BOOTSTRAP=
BROKER_PID=

# The start time (clock ticks since boot) of process pid, empty when it
# is gone: with it a saved pid is known to be still the same process, not
# a later one that got the number again.
_lib_start_time() {
  local stat
  stat=$(cat "/proc/$1/stat" 2> /dev/null) || return 0
  stat=${stat##*) }                    # after "pid (comm) "
  set -- $stat
  echo "${20}"                         # field 22 of the whole line
}

_lib_kill_broker() {
  local pid=$1 start=${2:-}
  kill -0 "$pid" 2> /dev/null || return 0
  [ -z "$start" ] || [ "$(_lib_start_time "$pid")" = "$start" ] || return 0
  kill -TERM "$pid" 2> /dev/null || true
  local i
  for i in $(seq 50); do
    kill -0 "$pid" 2> /dev/null || return 0
    sleep 0.1
  done
  kill -KILL "$pid" 2> /dev/null || true
}

# True once the first line (HOST:PORT) is out, or the broker died.
_lib_broker_ready() {
  grep -q ':[0-9][0-9]*$' "$1" 2> /dev/null || ! kill -0 "$2" 2> /dev/null
}

start_broker() {
  local n=${#_LIB_EXIT_CMDS[@]}
  local out="$_LIB_TMP/broker$n.out" err="$_LIB_TMP/broker$n.err"
  "$EDDY" broker "$@" > "$out" 2> "$err" &
  local pid=$!
  local start
  start=$(_lib_start_time "$pid")
  add_exit_trap "_lib_kill_broker $pid $start"
  # If the script is killed outright (no EXIT trap), do not leave the
  # broker; the start time keeps the TERM from a process that took the
  # broker's pid after the EXIT trap ended it (another test's eddy).
  local parent=$$
  (while kill -0 "$parent" 2> /dev/null && kill -0 "$pid" 2> /dev/null; do sleep 1; done
   kill -0 "$parent" 2> /dev/null ||
     { [ "$(_lib_start_time "$pid")" = "$start" ] && kill -TERM "$pid" 2> /dev/null; }) \
    > /dev/null 2>&1 < /dev/null &
  disown $! 2> /dev/null || true

  if ! wait_for 15 _lib_broker_ready "$out" "$pid"; then
    cat "$err" >&2
    fail "eddy broker did not print its address within 15 s"
  fi
  kill -0 "$pid" 2> /dev/null || { cat "$err" >&2; fail "eddy broker exited at start"; }
  BOOTSTRAP=$(head -1 "$out")
  BROKER_PID=$pid
  BROKER_ERR=$err
  echo "broker at $BOOTSTRAP (pid $pid)"
}

stop_broker() {
  local pid=${1:-$BROKER_PID} rc=0
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2> /dev/null || true
  wait "$pid" || rc=$?
  # A broker that did not stop cleanly says why (its stderr, last lines).
  [ "$rc" -eq 0 ] || [ "$pid" != "$BROKER_PID" ] || tail -n 40 "$BROKER_ERR" >&2
  return $rc
}

# whole_topic TOPIC: every record of TOPIC from the beginning, a line
# "partition offset value" each.  The development broker keeps about
# 100,000 records (5 MB) per partition and drops the oldest beyond that;
# a test that wrote more reads a partial topic, and its counts or tables
# come out short.  whole_topic says so on stderr, naming the partitions,
# so that such a failure is not taken for lost output (a table with few
# keys may still have every key's last record, and pass).
whole_topic() {
  local out dropped
  out=$(mktemp)
  kcat -C -b "$BOOTSTRAP" -t "$1" -o beginning -e -q -f '%p %o %s\n' > "$out"
  dropped=$(awk '!($1 in first) { first[$1] = $2 }
                 END { for (p in first) if (first[p] > 0) printf " %d (from offset %d)", p, first[p] }' "$out")
  [ -z "$dropped" ] || echo "note: the broker dropped the oldest records of $1, partitions$dropped:" \
    "the test wrote more than the development broker keeps, what it reads of $1 is partial" >&2
  cat "$out"
  rm -f "$out"
}

topic_count() {
  whole_topic "$1" | wc -l | tr -d ' '
}

end_offsets() {
  kcat -b "$BOOTSTRAP" -Q $(for ((p = 0; p < $2; p++)); do printf -- '-t %s:%d:-1 ' "$1" "$p"; done) 2> /dev/null |
    awk '/offset/ { for (i = 1; i < NF; i++) if ($i == "offset") s += $(i + 1) } END { print s + 0 }'
}

# most_in_a_partition TOPIC N: the most records any of TOPIC's N partitions
# has had (its highest end offset), for the tests' figures.
most_in_a_partition() {
  kcat -b "$BOOTSTRAP" -Q $(for ((p = 0; p < $2; p++)); do printf -- '-t %s:%d:-1 ' "$1" "$p"; done) 2> /dev/null |
    awk '/offset/ { for (i = 1; i < NF; i++) if ($i == "offset" && $(i + 1) > m) m = $(i + 1) } END { print m + 0 }'
}

changelog_table() {
  whole_topic "$1" | sort -k1,1n -k2,2n | cut -d' ' -f3- | jq -r -c "$2" |
    awk '{ last[$1 " " $2] = $0 } END { for (k in last) print last[k] }' | sort
}

# user_events N USERS MOD STEP: the crash tests' input, N lines
# "Uk|{"USER":"Uk","AMOUNT":a,"TS":t}": record i is user U(i*7919 % USERS),
# amount (i*31) % MOD + 1, time 1700000000000 + i*STEP ms.
user_events() {
  awk -v n="$1" -v users="$2" -v mod="$3" -v step="$4" 'BEGIN {
    for (i = 0; i < n; i++) {
      u = sprintf("U%d", (i * 7919) % users);
      printf "%s|{\"USER\":\"%s\",\"AMOUNT\":%d,\"TS\":%.0f}\n", u, u, (i * 31) % mod + 1, 1700000000000 + i * step;
    }
  }'
}

# window_totals FILE: "user window-start count sum" per (user, 1-minute
# window) of user_events lines, sorted: the expected table, by awk.
window_totals() {
  awk -F'|' '{ split($2, f, /[:,}]/); u = $1; amt = f[4]; ts = f[6];
               w = ts - ts % 60000; k = u " " sprintf("%.0f", w); n[k]++; s[k] += amt }
             END { for (k in n) printf "%s %d %.0f\n", k, n[k], s[k] }' "$1" | sort
}

# Members of one application (the scale tests), in $work: member N runs
# `eddy run $work/member.ksql` with state $work/stateN and log
# $work/memberN.log ("--- start" before each start), its pid in pids[N]
# (declare -A pids first); MEMBER_ENV (e.g. "X=1") goes in its environment.
member() {
  echo "--- start" >> "$work/member$1.log"
  env ${MEMBER_ENV:-} "$EDDY" run "$work/member.ksql" --bootstrap-servers "$BOOTSTRAP" \
    --state-dir "$work/state$1" -p session.timeout.ms=6000 --verbose >> "$work/member$1.log" 2>&1 &
  pids[$1]=$!
  add_exit_trap "kill -KILL ${pids[$1]} 2> /dev/null || true"
}
# holds_tasks N: member N holds tasks since its last start.
holds_tasks() {
  sed -n '/^--- start/h; /^--- start/!H; ${x; p}' "$work/member$1.log" |
    grep 'tasks \[' | tail -1 | grep -q 'tasks \[[0-9]'
}
# kill_member_when TOPIC N: once member N holds tasks and TOPIC (12
# partitions) has grown by a random number of records (0-499), SIGKILLs
# member N and waits for it.
kill_member_when() {
  wait_for 90 holds_tasks "$2" || { tail -20 "$work/member$2.log"; fail "member $2 was given no task"; }
  local before
  before=$(end_offsets "$1" 12)
  for _ in $(seq 100); do
    [ "$(end_offsets "$1" 12)" -gt "$((before + RANDOM % 500))" ] && break
    sleep 0.02
  done
  kill -0 "${pids[$2]}" 2> /dev/null || { tail -20 "$work/member$2.log"; fail "member $2 ended before its kill"; }
  kill -KILL "${pids[$2]}"
  wait "${pids[$2]}" 2> /dev/null || true
}
# start_members SINK: members 1, 2 and 3 started (member 1 first, until it
# created or skipped the query writing SINK), each holding tasks; sets
# $qid, that query's id.
start_members() {
  member 1
  wait_for 60 grep -q "Created query with ID C[ST]AS_$1_\|skipped CREATE [A-Z]* $1" "$work/member1.log" ||
    { tail "$work/member1.log"; fail "member 1 did not start"; }
  member 2
  member 3
  qid=$(grep -o "C[ST]AS_$1_[0-9]*" "$work/member1.log" | head -1)
  for m in 1 2 3; do
    wait_for 90 holds_tasks "$m" || { tail -20 "$work/member$m.log"; fail "member $m was given no task"; }
  done
}
