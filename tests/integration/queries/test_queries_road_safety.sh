#!/usr/bin/env bash
# queries/road_safety.ksql on generated accidents: the two output streams
# must hold exactly the records jq derives from the same input.
set -euo pipefail
: "${EDDY:?path to the eddy binary}" "${EDDY_SRC:?repo root}"
source "$EDDY_SRC/tests/integration/lib.sh"

work=$(mktemp -d)
add_exit_trap "rm -rf '$work'"
start_broker --topic accidents:4

"$EDDY" gen accidents --topic accidents --count 8000 --seed 11 --bootstrap-servers "$BOOTSTRAP"
timeout 600 "$EDDY" run "$EDDY_SRC/queries/road_safety.ksql" --bootstrap-servers "$BOOTSTRAP" \
  --state-dir "$work/state" --until-caught-up 2> "$work/run.err" || { cat "$work/run.err"; fail "eddy run failed"; }

kcat -C -b "$BOOTSTRAP" -t accidents -o beginning -e -q -f '%k\t%s\n' > "$work/in.txt"
check_eq "input records" 8000 "$(wc -l < "$work/in.txt")"

# SEVERE_ACCIDENTS: severity >= 3, place = city + ', ' + state, temperature rounded to 1 place.
jq -R -r 'split("\t") as [$k, $v] | ($v | fromjson) as $r | select($r.Severity >= 3)
          | "\($k)\t\($r.Severity)\t\($r.City), \($r.State)\t\($r.Weather_Condition)"' \
  "$work/in.txt" | sort > "$work/severe.expected"
kcat -C -b "$BOOTSTRAP" -t SEVERE_ACCIDENTS -o beginning -e -q -f '%k\t%s\n' |
  jq -R -r 'split("\t") as [$k, $v] | ($v | fromjson) as $r
            | "\($k)\t\($r.SEVERITY)\t\($r.PLACE)\t\($r.WEATHER_CONDITION)"' | sort > "$work/severe.actual"
check_eq "SEVERE_ACCIDENTS record count" "$(wc -l < "$work/severe.expected")" "$(wc -l < "$work/severe.actual")"
check "SEVERE_ACCIDENTS records equal jq's" diff -q "$work/severe.expected" "$work/severe.actual"
[ "$(wc -l < "$work/severe.actual")" -gt 100 ] || fail "too few severe accidents to mean anything"

# LOW_VISIBILITY: DELIMITED values keyed by the upper-cased county.
jq -R -r 'split("\t") as [$k, $v] | ($v | fromjson) as $r
          | select($r.Visibility_mi < 2.0 and $r.Weather_Condition != null)
          | "\($r.County | ascii_upcase)\t\($k)"' "$work/in.txt" | sort > "$work/low.expected"
kcat -C -b "$BOOTSTRAP" -t LOW_VISIBILITY -o beginning -e -q -f '%k\t%s\n' |
  awk -F'\t' '{ split($2, f, ","); print $1 "\t" f[1] }' | sort > "$work/low.actual"
check_eq "LOW_VISIBILITY record count" "$(wc -l < "$work/low.expected")" "$(wc -l < "$work/low.actual")"
check "LOW_VISIBILITY keys and ids equal jq's" diff -q "$work/low.expected" "$work/low.actual"
grep -q "0 skipped as bad input" "$work/run.err" || fail "generated records were rejected: $(tail -3 "$work/run.err")"
echo "PASS: road_safety.ksql output equals the independent computation"
