#!/usr/bin/env bash
# The join scenarios of queries/ on generated data, each against answers
# computed independently (awk/jq) from the same input:
#   accident_weather.ksql  stream-stream, same city within an hour
#   accident_county.ksql   stream-table LEFT JOIN on a county reference table
#   atm_fraud.ksql         stream-stream self-join: same card, 10 minutes, > 1 km
set -euo pipefail
: "${EDDY:?path to the eddy binary}" "${EDDY_SRC:?repo root}"
source "$EDDY_SRC/tests/integration/lib.sh"

work=$(mktemp -d)
[ -n "${KEEP_WORK:-}" ] || add_exit_trap "rm -rf '$work'"; echo "work dir: $work"
start_broker --topic accidents:4 --topic weather:4 --topic counties:4 --topic atm_txns:4 \
  --topic ACCIDENTS_WITH_WEATHER:4 --topic ACCIDENTS_BY_COUNTY:4 --topic ATM_POSSIBLE_FRAUD:4
run() {  # $1 = state dir, rest = files
  local state=$1
  shift
  timeout 600 "$EDDY" run "$@" --bootstrap-servers "$BOOTSTRAP" --state-dir "$work/$state" \
    --until-caught-up 2>> "$work/run.err" > /dev/null || { tail -20 "$work/run.err"; fail "eddy run $* failed"; }
}
dump() { kcat -C -b "$BOOTSTRAP" -t "$1" -o beginning -e -q -f "${2:-%k\t%T\t%s\n}"; }

# ---- accidents x county reference ----
# The reference table is loaded and the query started before any accident
# exists, so every accident is looked up against the whole table (a
# stream-table join reads the table as of each stream record).
printf '%s\n' "SET 'auto.offset.reset' = 'earliest';" \
  "CREATE TABLE counties (county STRING PRIMARY KEY, state STRING, population BIGINT, region STRING) WITH (kafka_topic = 'counties', value_format = 'JSON', partitions = 4);" \
  > "$work/ref-ddl.ksql"
run refload "$work/ref-ddl.ksql" "$EDDY_SRC/queries/county_reference.ksql"
check_eq "county reference rows" 28 "$(dump counties '.\n' | wc -l)"
run county "$EDDY_SRC/queries/accident_county.ksql"

"$EDDY" gen accidents --topic accidents --count 1500 --seed 5 --bootstrap-servers "$BOOTSTRAP"
"$EDDY" gen weather --topic weather --count 500 --seed 6 --bootstrap-servers "$BOOTSTRAP"
"$EDDY" gen atm --topic atm_txns --count 6000 --seed 7 --bootstrap-servers "$BOOTSTRAP"
dump accidents > "$work/acc.txt"
dump weather > "$work/wx.txt"

# ---- accidents x weather within an hour ----
run weather "$EDDY_SRC/queries/accident_weather.ksql"
jq -R -r -n '[inputs | split("\t")] as $rows | $rows[] | [.[1], (.[2] | fromjson)] | @json' "$work/wx.txt" \
  > /dev/null   # the weather dump parses as JSON records
awk -F'\t' 'NR == FNR { split($3, f, /"City":"/); split(f[2], g, /"/); c = g[1];
                        split($3, h, /"Reported_Time":"/); split(h[2], i, /"/);
                        n[c]++; wt[c, n[c]] = $2; wr[c, n[c]] = i[1]; next }
            { split($3, f, /"City":"/); split(f[2], g, /"/); c = g[1]; id = $1;
              for (k = 1; k <= n[c]; k++) { d = $2 - wt[c, k]; if (d < 0) d = -d;
                if (d <= 3600000) print c "\t" id "\t" wr[c, k] } }' \
  "$work/wx.txt" "$work/acc.txt" | sort > "$work/aw.expected"
dump ACCIDENTS_WITH_WEATHER '%k\t%s\n' |
  jq -R -r 'split("\t") as [$k, $v] | ($v | fromjson) as $r | "\($k)\t\($r.ACCIDENT_ID)\t\($r.REPORTED_TIME)"' |
  sort > "$work/aw.actual"
[ "$(wc -l < "$work/aw.expected")" -gt 50 ] || fail "too few accident/weather pairs to mean anything"
check_eq "accident/weather pairs" "$(wc -l < "$work/aw.expected")" "$(wc -l < "$work/aw.actual")"
check "accident/weather pairs equal awk's" diff -q "$work/aw.expected" "$work/aw.actual"

# ---- accidents x county reference (the table is loaded first) ----
run county "$EDDY_SRC/queries/accident_county.ksql"   # resumes: the accidents now exist
known=$(dump counties '%k\n' | sort -u | paste -sd'|')
awk -F'\t' -v known="$known" 'BEGIN { n = split(known, k, "|"); for (i = 1; i <= n; i++) ok[k[i]] = 1 }
  { split($3, f, /"County":"/); split(f[2], g, /"/); c = g[1];
    print c "\t" $1 "\t" (c in ok ? "known" : "null") }' "$work/acc.txt" | sort > "$work/ac.expected"
dump ACCIDENTS_BY_COUNTY '%k\t%s\n' |
  jq -R -r 'split("\t") as [$k, $v] | ($v | fromjson) as $r
            | "\($k)\t\($r.ACCIDENT_ID)\t\(if $r.POPULATION == null then "null" else "known" end)"
              + (if ($r.POPULATION == null) != ($r.SEVERITY_PER_MILLION == null) then "\tBAD-RATIO" else "" end)' |
  sort > "$work/ac.actual"
check_eq "enriched accidents (one per accident)" 1500 "$(wc -l < "$work/ac.actual")"
check "county matches equal awk's (NULLs for unknown counties)" diff -q "$work/ac.expected" "$work/ac.actual"
grep -q $'\tnull$' "$work/ac.actual" || fail "no accident in an unknown county: the LEFT JOIN's NULLs were not exercised"

# ---- ATM fraud self-join ----
run atm "$EDDY_SRC/queries/atm_fraud.ksql"
dump atm_txns > "$work/atm.txt"
awk -F'\t' 'function rad(x) { return x * 3.141592653589793 / 180 }
  function dist(a1, o1, a2, o2,   dl, dn, h) { dl = rad(a2 - a1); dn = rad(o2 - o1);
    h = sin(dl / 2) ^ 2 + cos(rad(a1)) * cos(rad(a2)) * sin(dn / 2) ^ 2;
    return 2 * 6371 * atan2(sqrt(h), sqrt(1 - h)) }
  { split($3, a, /"TRANSACTION_ID":"/); split(a[2], b, /"/);
    split($3, c, /"LAT":/); split(c[2], d, /,/); split($3, e, /"LON":/); split(e[2], g, /}/);
    n++; card[n] = $1; ts[n] = $2; id[n] = b[1]; lat[n] = d[1]; lon[n] = g[1] }
  END { for (i = 1; i <= n; i++) for (j = 1; j <= n; j++)
          if (i != j && card[i] == card[j] && ts[j] >= ts[i] && ts[j] - ts[i] <= 600000 &&
              dist(lat[i], lon[i], lat[j], lon[j]) > 1)
            print card[i] "\t" id[i] "\t" id[j] }' "$work/atm.txt" | sort > "$work/fraud.expected"
dump ATM_POSSIBLE_FRAUD '%k\t%s\n' |
  jq -R -r 'split("\t") as [$k, $v] | ($v | fromjson) as $r | "\($k)\t\($r.FIRST_TXN)\t\($r.SECOND_TXN)"' |
  sort > "$work/fraud.actual"
[ "$(wc -l < "$work/fraud.expected")" -ge 4 ] || fail "the generator's fraud pattern is missing from the input"
check_eq "fraud alerts" "$(wc -l < "$work/fraud.expected")" "$(wc -l < "$work/fraud.actual")"
check "fraud alerts equal awk's" diff -q "$work/fraud.expected" "$work/fraud.actual"
echo "PASS: three join scenarios equal their independent computations"
