#!/usr/bin/env bash
# run.sh FUZZER SECONDS [libFuzzer options...]: one fuzz target for SECONDS
# (the CTest entries fuzz.*, and longer runs by hand; README.md).
#
# First every regression input (regressions/<target>/, inputs that once
# crashed) runs once on its own, then the target fuzzes from its corpus in
# the work directory (kept between runs), the seeds made from tests/cases
# (seeds.py) and the regression inputs.  A crash, a leak, undefined
# behaviour, a timeout (10 s for one input) or 2 GB of memory fails the
# run; the input is kept in the work directory's artifacts/ (printed).
# EDDY_FUZZ_WORK (default: beside FUZZER) holds the work directories.
set -euo pipefail
fuzzer=$1
secs=$2
shift 2
name=$(basename "$fuzzer")
here=$(cd "$(dirname "$0")" && pwd)
src=${EDDY_SRC:-$(cd "$here/../.." && pwd)}
work=${EDDY_FUZZ_WORK:-$(dirname "$fuzzer")/work}/$name
mkdir -p "$work/corpus" "$work/seeds" "$work/artifacts"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

case $name in
  fuzz_qtt) max_len=16384 ;;
  *) max_len=4096 ;;
esac
opts=(-timeout=10 -rss_limit_mb=2048 -max_len="$max_len" -print_final_stats=1
      -artifact_prefix="$work/artifacts/")
if [ "$name" = fuzz_sql ]; then
  EDDY_FUZZ_DICT="$work/sql.dict" "$fuzzer"
  opts+=(-dict="$work/sql.dict")
fi
python3 "$here/seeds.py" "$src" "$name" "$work/seeds"

regress="$here/regressions/$name"
dirs=("$work/corpus" "$work/seeds")
if [ -d "$regress" ] && [ -n "$(ls -A "$regress")" ]; then
  if ! "$fuzzer" "${opts[@]}" "$regress"/* > "$work/regressions.log" 2>&1; then
    tail -n 60 "$work/regressions.log" >&2
    echo "FAIL: $name: a regression input fails again (above)" >&2
    exit 1
  fi
  echo "$name: $(ls "$regress" | wc -l) regression inputs pass"
  dirs+=("$regress")
fi
echo "$name: fuzzing for ${secs}s"
rc=0
"$fuzzer" "${opts[@]}" -max_total_time="$secs" "$@" "${dirs[@]}" 2> "$work/log" || rc=$?
grep -E "^#[0-9]+[[:space:]]+(INITED|DONE)|^Done |^stat::|ERROR|SUMMARY|^artifact_prefix|Test unit written" \
  "$work/log" || true
if [ "$rc" -ne 0 ]; then
  echo "FAIL: $name exited $rc; the whole log: $work/log" >&2
  tail -n 60 "$work/log" >&2
  exit 1
fi
echo "$name: ${secs}s, 0 crashes (corpus: $(ls "$work/corpus" | wc -l) inputs)"
