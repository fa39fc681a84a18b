#!/usr/bin/env bash
# `eddy gen readings`: road-safety sensor readings, deterministic for a seed,
# every field present and typed, keyed by sensor, and with --labels an
# INCIDENT label that follows the documented hidden relation (checked here
# independently with awk: expected incidents from the formula against the
# labels drawn, and the effect of each risk factor).
set -euo pipefail
: "${EDDY:?path to the eddy binary}" "${EDDY_SRC:?repo root}"
source "$EDDY_SRC/tests/integration/lib.sh"

work=$(mktemp -d)
add_exit_trap "rm -rf '$work'"

rc=0; "$EDDY" gen accidents --topic x --count 1 --labels > /dev/null 2>&1 || rc=$?
check_eq "--labels with another scenario exits" 2 "$rc"

start_broker --topic plain:4 --topic labelled:4 --topic again:4 --topic other:4
N=20000
gen() { "$EDDY" gen readings --topic "$1" --count $N --bootstrap-servers "$BOOTSTRAP" "${@:2}"; }
gen plain --seed 3
gen labelled --seed 3 --labels
gen again --seed 3 --labels
gen other --seed 4 --labels

dump() {   # partition, offset, timestamp, key, value
  kcat -C -b "$BOOTSTRAP" -t "$1" -e -o beginning -q -f '%p\t%o\t%T\t%k\t%s\n' | sort
}
dump plain > "$work/plain.txt"
dump labelled > "$work/labelled.txt"
dump again > "$work/again.txt"
dump other > "$work/other.txt"
check_eq "records in labelled" $N "$(wc -l < "$work/labelled.txt" | tr -d ' ')"
check "the same seed gives identical topics" cmp -s "$work/labelled.txt" "$work/again.txt"
check "another seed gives other records" \
  bash -c "! cmp -s '$work/labelled.txt' '$work/other.txt'"
check "--labels adds INCIDENT and changes nothing else" \
  cmp -s "$work/plain.txt" <(sed 's/,"INCIDENT":[01]}$/}/' "$work/labelled.txt")
check_eq "records without labels that have INCIDENT" 0 "$(grep -c INCIDENT "$work/plain.txt" || true)"

cut -f5 "$work/labelled.txt" > "$work/values.json"
typed=$(jq -s '[.[] | select((.ID | type) == "string" and (.SENSOR_ID | type) == "string"
                  and (.SPEED | type) == "number" and .SPEED > 0
                  and ([.SPEED_LIMIT] | inside([25, 35, 45, 55, 65, 70]))
                  and (.TEMPERATURE | type) == "number" and .WIND >= 0
                  and .VISIBILITY > 0 and .VISIBILITY <= 10
                  and (.TS | type) == "number" and (.INCIDENT == 0 or .INCIDENT == 1))] | length' \
        "$work/values.json")
check_eq "records with every field, typed and in range" $N "$typed"
check_eq "distinct IDs" $N "$(jq -r .ID "$work/values.json" | sort -u | wc -l | tr -d ' ')"
check_eq "distinct sensors" 200 "$(jq -r .SENSOR_ID "$work/values.json" | sort -u | wc -l | tr -d ' ')"
keyed=$(awk -F'\t' 'index($5, "\"SENSOR_ID\":\"" $4 "\"") && index($5, "\"TS\":" $3 ",") { n++ }
                    END { print n + 0 }' "$work/labelled.txt")
check_eq "records keyed by SENSOR_ID, with TS = the record timestamp" $N "$keyed"

# The hidden relation, recomputed from the fields as printed.
jq -r '[.SPEED, .SPEED_LIMIT, .TEMPERATURE, .WIND, .VISIBILITY, .INCIDENT] | @tsv' \
  "$work/values.json" > "$work/fields.tsv"
read -r expected observed sd < <(awk -F'\t' '{
    over = $1 > $2 ? ($1 - $2) / $2 : 0; fr = $3 < 32
    z = -4.6 + 7 * over + 1.6 * ($5 < 0.5) + 0.8 * ($5 < 2) + 1.3 * fr \
        + 0.06 * ($4 > 15 ? $4 - 15 : 0) + 0.8 * (fr && $5 < 2)
    p = 1 / (1 + exp(-z)); e += p; v += p * (1 - p); o += $6
  } END { printf "%.1f %d %.1f\n", e, o, sqrt(v) }' "$work/fields.tsv")
echo "incidents: $observed drawn, $expected expected from the formula (sd $sd)"
check "drawn incidents within 4 sd of the formula's expectation" \
  awk -v e="$expected" -v o="$observed" -v s="$sd" 'BEGIN { exit !(o > e - 4 * s && o < e + 4 * s) }'
rates() {   # incident rate where column $1 passes test $2, and where it does not
  awk -F'\t' -v c="$1" -v t="$2" -v x="$3" '{
      hit = (t == "lt" ? $c + 0 < x : $c - $2 > x)
      n[hit]++; i[hit] += $6
    } END { printf "%.4f %.4f\n", i[1] / n[1], i[0] / n[0] }' "$work/fields.tsv"
}
read -r frost mild < <(rates 3 lt 32)
read -r fog clear < <(rates 5 lt 2)
read -r fast legal < <(rates 1 over 5)
echo "incident rate: frost $frost vs $mild, visibility < 2 mi $fog vs $clear, 5+ mph over $fast vs $legal"
check "frost triples the incident rate" awk -v a="$frost" -v b="$mild" 'BEGIN { exit !(a > 3 * b) }'
check "low visibility triples the incident rate" awk -v a="$fog" -v b="$clear" 'BEGIN { exit !(a > 3 * b) }'
check "speeding raises the incident rate" awk -v a="$fast" -v b="$legal" 'BEGIN { exit !(a > 1.5 * b) }'
echo "PASS: test_gen_readings"
