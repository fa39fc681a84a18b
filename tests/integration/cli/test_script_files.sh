#!/usr/bin/env bash
# The files eddy takes statements from, three ways: `eddy run FILE`,
# `RUN SCRIPT 'FILE'` (in a script piped into the REPL) and a script on
# stdin.  One reader (base/textfile.c) with one set of rules: /dev/zero and
# a directory are refused at once (they used to be read until the kernel
# killed eddy, and silently taken as empty); a file with a NUL byte is
# refused with the byte's line:column and none of it runs (it used to be
# cut short at the NUL); a UTF-8 byte-order mark is skipped (it used to be
# "invalid character"); a file of exactly 16 MiB runs, one byte more is
# refused.
set -euo pipefail
: "${EDDY:?path to the eddy binary}" "${EDDY_SRC:?repo root}"
source "$EDDY_SRC/tests/integration/lib.sh"

work=$(mktemp -d)
[ -n "${KEEP_WORK:-}" ] || add_exit_trap "rm -rf '$work'"; echo "work dir: $work"
start_broker --topic t:1

create() {  # the statement that creates stream $1
  printf "CREATE STREAM %s (a INT) WITH (kafka_topic='t', value_format='JSON');\n" "$1"
}
pad_to() {  # file, size: spaces up to exactly size bytes
  local now
  now=$(stat -c %s "$1")
  head -c $(($2 - now)) /dev/zero | tr '\0' ' ' >> "$1"
}
create s_bom > "$work/bom.tmp"
{ printf '\xEF\xBB\xBF'; cat "$work/bom.tmp"; } > "$work/bom.ksql"
{ create s_nul; printf 'SHOW STREAMS;\0'; create s_after_nul; } > "$work/nul.ksql"
mkdir "$work/dir.ksql"
limit=$((16 * 1024 * 1024))
create s_limit > "$work/limit.ksql"
pad_to "$work/limit.ksql" "$limit"
create s_over > "$work/over.ksql"
pad_to "$work/over.ksql" $((limit + 1))
check_eq "limit.ksql is 16 MiB" "$limit" "$(stat -c %s "$work/limit.ksql")"

n=0
# Runs `eddy run FILE`; sets rc, out, err (files).
via_run() {
  n=$((n + 1)); rc=0; out="$work/run$n.out"; err="$work/run$n.err"
  timeout 60 "$EDDY" run "$1" --bootstrap-servers "$BOOTSTRAP" --state-dir "$work/st$n" \
    --until-caught-up > "$out" 2> "$err" || rc=$?
}
# Runs RUN SCRIPT 'FILE'; SHOW STREAMS; piped into the REPL.
via_run_script() {
  n=$((n + 1)); rc=0; out="$work/rs$n.out"; err="$work/rs$n.err"
  printf "RUN SCRIPT '%s';\nSHOW STREAMS;\n" "$1" |
    timeout 60 "$EDDY" repl --bootstrap-servers "$BOOTSTRAP" > "$out" 2> "$err" || rc=$?
}
# Runs FILE as the REPL's stdin.
via_stdin() {
  n=$((n + 1)); rc=0; out="$work/in$n.out"; err="$work/in$n.err"
  timeout 60 "$EDDY" repl --bootstrap-servers "$BOOTSTRAP" < "$1" > "$out" 2> "$err" || rc=$?
}
refused() {  # description, message
  [ "$rc" -eq 1 ] || { cat "$err"; fail "$1: exit status $rc, not 1"; }
  grep -qF -- "$2" "$err" || { cat "$err"; fail "$1: no \"$2\""; }
  echo "ok: $1: $2"
}
ran() {  # description, stream
  [ "$rc" -eq 0 ] || { cat "$err"; fail "$1: exit status $rc, not 0"; }
  grep -qi "^Stream $2 created" "$out" || { cat "$out" "$err"; fail "$1: stream $2 not created"; }
  echo "ok: $1: created $2"
}
created_nothing() {  # description
  if grep -qi "created" "$out"; then cat "$out"; fail "$1: a statement of the refused file ran"; fi
  echo "ok: $1: nothing ran"
}

# /dev/zero: refused before reading (stdin: read up to the limit).
SECONDS=0
via_run /dev/zero
refused "eddy run /dev/zero" "eddy: cannot read /dev/zero: not a regular file"
via_run_script /dev/zero
refused "RUN SCRIPT '/dev/zero'" "stdin: line 1:1: cannot read /dev/zero: not a regular file"
via_stdin /dev/zero
refused "eddy repl < /dev/zero" "eddy: cannot read stdin: larger than 16 MiB"
echo "figure: the three /dev/zero cases took ${SECONDS}s"

# A directory.
via_run "$work/dir.ksql"
refused "eddy run DIR" "eddy: cannot read $work/dir.ksql: it is a directory"
via_run_script "$work/dir.ksql"
refused "RUN SCRIPT 'DIR'" "cannot read $work/dir.ksql: it is a directory"

# A NUL byte on line 2, column 14 (after "SHOW STREAMS;"): nothing runs.
via_run "$work/nul.ksql"
refused "eddy run with a NUL" "eddy: cannot read $work/nul.ksql: line 2:14: a NUL byte"
created_nothing "eddy run with a NUL"
via_run_script "$work/nul.ksql"
refused "RUN SCRIPT with a NUL" "cannot read $work/nul.ksql: line 2:14: a NUL byte"
created_nothing "RUN SCRIPT with a NUL"
grep -qi "S_NUL" "$out" && fail "RUN SCRIPT with a NUL: S_NUL exists"
via_stdin "$work/nul.ksql"
refused "stdin with a NUL" "eddy: cannot read stdin: line 2:14: a NUL byte"
created_nothing "stdin with a NUL"

# A byte-order mark is skipped.
via_run "$work/bom.ksql"
ran "eddy run with a BOM" S_BOM
via_run_script "$work/bom.ksql"
ran "RUN SCRIPT with a BOM" S_BOM
via_stdin "$work/bom.ksql"
ran "stdin with a BOM" S_BOM

# 16 MiB runs; one byte more is refused.
via_run "$work/limit.ksql"
ran "eddy run of 16 MiB" S_LIMIT
via_run_script "$work/limit.ksql"
ran "RUN SCRIPT of 16 MiB" S_LIMIT
via_stdin "$work/limit.ksql"
ran "stdin of 16 MiB" S_LIMIT
via_run "$work/over.ksql"
refused "eddy run of 16 MiB + 1" "eddy: cannot read $work/over.ksql: larger than 16 MiB"
created_nothing "eddy run of 16 MiB + 1"
via_run_script "$work/over.ksql"
refused "RUN SCRIPT of 16 MiB + 1" "cannot read $work/over.ksql: larger than 16 MiB"
created_nothing "RUN SCRIPT of 16 MiB + 1"
via_stdin "$work/over.ksql"
refused "stdin of 16 MiB + 1" "eddy: cannot read stdin: larger than 16 MiB"
created_nothing "stdin of 16 MiB + 1"
echo "PASS"
