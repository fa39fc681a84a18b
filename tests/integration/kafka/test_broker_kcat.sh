#!/usr/bin/env bash
# `eddy broker` serves ordinary Kafka clients (kcat), and `eddy gen` is
# deterministic: the same seed gives the same records, byte for byte, and
# every record is valid JSON of the expected shape.
set -euo pipefail
: "${EDDY:?path to the eddy binary}" "${EDDY_SRC:?repo root}"
source "$EDDY_SRC/tests/integration/lib.sh"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# ---- bad usage is refused with exit status 2 ---------------------------
rc=0; "$EDDY" broker --topic nopartitions > /dev/null 2>&1 || rc=$?
check_eq "eddy broker --topic without :PARTITIONS exits" 2 "$rc"
rc=0; "$EDDY" broker --bogus > /dev/null 2>&1 || rc=$?
check_eq "eddy broker with an unknown flag exits" 2 "$rc"
rc=0; "$EDDY" gen accidents --count 10 > /dev/null 2>&1 || rc=$?
check_eq "eddy gen without --topic exits" 2 "$rc"
rc=0; "$EDDY" gen tornadoes --topic x --count 10 > /dev/null 2>&1 || rc=$?
check_eq "eddy gen with an unknown scenario exits" 2 "$rc"
rc=0; "$EDDY" gen atm --topic x --count ten > /dev/null 2>&1 || rc=$?
check_eq "eddy gen with a bad --count exits" 2 "$rc"

# ---- kcat round trip ---------------------------------------------------
start_broker --topic t1:2
check "bootstrap address is HOST:PORT on 127.0.0.1" \
  grep -qE '^127\.0\.0\.1:[0-9]+(,127\.0\.0\.1:[0-9]+)*$' <<< "$BOOTSTRAP"

parts=$(kcat -L -b "$BOOTSTRAP" -t t1 | grep -c 'partition [0-9]')
check_eq "pre-created topic t1 has partitions" 2 "$parts"

for i in $(seq 1 1000); do
  printf 'key-%d|{"n":%d,"text":"record %d"}\n' "$i" "$i" "$i"
done > "$work/in.txt"
kcat -P -b "$BOOTSTRAP" -t t1 -K '|' -l "$work/in.txt"
echo "produced 1000 records to t1 with kcat"

kcat -C -b "$BOOTSTRAP" -t t1 -e -o beginning -q -f '%p|%k|%s\n' > "$work/out.txt"
check_eq "records consumed from t1" 1000 "$(wc -l < "$work/out.txt" | tr -d ' ')"
check "consumed keys and values equal the produced ones" \
  cmp -s <(sort "$work/in.txt") <(cut -d'|' -f2- "$work/out.txt" | sort)
check_eq "partitions holding records" 2 "$(cut -d'|' -f1 "$work/out.txt" | sort -u | wc -l | tr -d ' ')"

# An unknown topic is auto-created (with 4 partitions) on first produce.
echo hello | kcat -P -b "$BOOTSTRAP" -t autocreated
check_eq "records in an auto-created topic" 1 "$(topic_count autocreated)"
check_eq "auto-created topic partitions" 4 \
  "$(kcat -L -b "$BOOTSTRAP" -t autocreated | grep -c 'partition [0-9]')"

# ---- eddy gen: deterministic, valid JSON -------------------------------
"$EDDY" gen accidents --topic acc1 --count 5000 --seed 7 --bootstrap-servers "$BOOTSTRAP"
"$EDDY" gen accidents --topic acc2 --count 5000 --seed 7 --bootstrap-servers "$BOOTSTRAP"
"$EDDY" gen accidents --topic acc3 --count 5000 --seed 8 --bootstrap-servers "$BOOTSTRAP"

dump() {   # partition, offset, timestamp, key, value: everything that must repeat
  kcat -C -b "$BOOTSTRAP" -t "$1" -e -o beginning -q -f '%p\t%o\t%T\t%k\t%s\n' | sort
}
dump acc1 > "$work/acc1.txt"
dump acc2 > "$work/acc2.txt"
dump acc3 > "$work/acc3.txt"
check_eq "records in acc1" 5000 "$(wc -l < "$work/acc1.txt" | tr -d ' ')"
check "the same seed gives identical topics (partition, offset, timestamp, key, value)" \
  cmp -s "$work/acc1.txt" "$work/acc2.txt"
check "another seed gives other records" \
  bash -c "! cmp -s '$work/acc1.txt' '$work/acc3.txt'"

cut -f5 "$work/acc1.txt" > "$work/values.json"
jq_valid() { jq -e . "$1" > /dev/null; }
check "every value is valid JSON" jq_valid "$work/values.json"
valid=$(jq -s '[.[] | select((.Severity | type) == "number" and .Severity >= 1 and .Severity <= 4
                             and (.Severity | floor) == .Severity)] | length' "$work/values.json")
check_eq "records with Severity in 1..4" 5000 "$valid"
sev2=$(jq -s '[.[] | select(.Severity == 2)] | length' "$work/values.json")
check "Severity is skewed to 2 ($sev2 of 5000)" test "$sev2" -gt 2500
fields=$(jq -s '[.[] | select(has("ID") and has("Start_Time") and has("End_Time")
                  and has("Start_Lat") and has("Start_Lng") and has("City") and has("County")
                  and has("State") and has("Zipcode") and has("Weather_Condition")
                  and has("Temperature_F") and has("Visibility_mi") and has("Wind_Speed_mph")
                  and has("Precipitation_in") and has("Description"))] | length' "$work/values.json")
check_eq "records with every accident field" 5000 "$fields"
keys_ok=$(awk -F'\t' '{ if ($5 ~ "\"ID\":\"" $4 "\"") n++ } END { print n + 0 }' "$work/acc1.txt")
check_eq "records whose key is their ID" 5000 "$keys_ok"
times_ok=$(jq -r '.Start_Time' "$work/values.json" |
  grep -cE '^20[0-9]{2}-[01][0-9]-[0-3][0-9] [0-2][0-9]:[0-5][0-9]:[0-5][0-9]$' || true)
check_eq "Start_Time values formatted yyyy-MM-dd HH:mm:ss" 5000 "$times_ok"
# Timestamps grow with the record number from the default start time.
mono=$(awk -F'\t' '{ sub("A-", "", $4); print $4 "\t" $3 }' "$work/acc1.txt" | sort -n |
  awk -F'\t' 'NR == 1 && $2 < 1672531200000 { bad++ } $2 < prev { bad++ } { prev = $2 }
              END { print bad + 0 }')
check_eq "timestamps out of order or before 2023-01-01" 0 "$mono"

# weather and atm produce valid JSON too.
"$EDDY" gen weather --topic weather --count 200 --seed 1 --bootstrap-servers "$BOOTSTRAP"
"$EDDY" gen atm --topic atm --count 2000 --seed 1 --bootstrap-servers "$BOOTSTRAP"
check_eq "weather records with City, Condition, Temperature_F" 200 \
  "$(kcat -C -b "$BOOTSTRAP" -t weather -e -o beginning -q -f '%s\n' |
     jq -s '[.[] | select(has("City") and has("Condition") and has("Temperature_F"))] | length')"
check_eq "atm records with ACCOUNT_ID, ATM, AMOUNT, LAT, LON, TRANSACTION_ID" 2000 \
  "$(kcat -C -b "$BOOTSTRAP" -t atm -e -o beginning -q -f '%s\n' |
     jq -s '[.[] | select(has("ACCOUNT_ID") and has("ATM") and has("AMOUNT") and has("LAT")
                          and has("LON") and has("TRANSACTION_ID"))] | length')"

# The broker stops cleanly on SIGTERM.
rc=0; stop_broker || rc=$?
check_eq "eddy broker exit status after SIGTERM" 0 "$rc"
echo "PASS: test_broker_kcat"
