#!/usr/bin/env bash
# A filter+projection query end to end on a real broker process:
# `eddy broker`, 50,000 JSON records (plus 300 malformed ones interleaved)
# produced with kcat, `eddy run --until-caught-up`, and the output topic
# read back with kcat and compared record for record with what jq
# computes independently from the same input.
set -euo pipefail
: "${EDDY:?path to the eddy binary}" "${EDDY_SRC:?repo root}"
source "$EDDY_SRC/tests/integration/lib.sh"
type fail > /dev/null 2>&1 || fail() { echo "FAIL: $*" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
start_broker --topic accidents:4

# Deterministic input: every 167th line is malformed (bad JSON, or a
# Severity that is not a number), 300 in all.
awk 'BEGIN {
  split("Dallas,Austin,Houston,Miami,Denver,Boston,Chicago", city, ",");
  good = 0; bad = 0; i = 0;
  while (good < 50000) {
    i++;
    if (i % 167 == 0 && bad < 300) {
      bad++;
      if (bad % 2) printf "B-%d|{\"ID\": \"B-%d\", \"Severity\": 4, \"City\": \"Dal\n", bad, bad;
      else printf "B-%d|{\"ID\": \"B-%d\", \"Severity\": \"high\", \"City\": \"Dallas\", \"Temperature_F\": 10.5}\n", bad, bad;
      continue;
    }
    good++;
    sev = (good * 7) % 4 + 1;
    t = ((good * 37) % 1000) / 10.0;
    printf "A-%d|{\"ID\": \"A-%d\", \"Severity\": %d, \"City\": \"%s\", \"Temperature_F\": %.1f, \"Visibility_mi\": %d}\n", good, good, sev, city[good % 7 + 1], t, good % 10;
  }
}' > "$work/input.txt"
lines=$(wc -l < "$work/input.txt")
echo "input lines: $lines"
[ "$lines" -eq 50300 ] || fail "expected 50300 input lines, got $lines"

kcat -P -b "$BOOTSTRAP" -t accidents -K '|' -l "$work/input.txt"
echo "produced $lines records with kcat"

cat > "$work/q.ksql" <<'KSQL'
SET 'auto.offset.reset' = 'earliest';
-- Cold, severe accidents, with the city normalised.
CREATE STREAM accidents (id STRING KEY, severity INT, city STRING, temperature_f DOUBLE,
                         visibility_mi INT)
  WITH (kafka_topic = 'accidents', value_format = 'JSON');
CREATE STREAM severe_cold AS
  SELECT id, UCASE(city) AS city, severity, temperature_f
  FROM accidents
  WHERE severity >= 3 AND temperature_f < 40.0;
KSQL

timeout 600 "$EDDY" run "$work/q.ksql" --bootstrap-servers "$BOOTSTRAP" \
  --state-dir "$work/state" --until-caught-up 2> "$work/run.err" || {
  cat "$work/run.err"; fail "eddy run failed"; }
cat "$work/run.err" | tail -5

# What the output must be, computed by jq from the well-formed input.
grep '^A-' "$work/input.txt" | while IFS='|' read -r k v; do printf '%s\t%s\n' "$k" "$v"; done |
  jq -R -r 'split("\t") as [$k, $v] | ($v | fromjson) as $r
            | select($r.Severity >= 3 and $r.Temperature_F < 40)
            | "\($k)\t" + ({CITY: ($r.City | ascii_upcase), SEVERITY: $r.Severity,
                           TEMPERATURE_F: $r.Temperature_F} | tojson)' |
  sort > "$work/expected.txt"

kcat -C -b "$BOOTSTRAP" -t SEVERE_COLD -e -o beginning -q -f '%k\t%s\n' > "$work/raw.txt"
jq -R -r 'split("\t") as [$k, $v] | "\($k)\t" + ($v | fromjson | tojson)' "$work/raw.txt" |
  sort > "$work/actual.txt"

exp=$(wc -l < "$work/expected.txt")
act=$(wc -l < "$work/actual.txt")
echo "expected $exp output records, got $act"
[ "$exp" -gt 1000 ] || fail "the expected output is suspiciously small ($exp)"
if ! diff -q "$work/expected.txt" "$work/actual.txt" > /dev/null; then
  diff "$work/expected.txt" "$work/actual.txt" | head -20
  fail "output differs from the expected records"
fi
grep -q "50300 records in" "$work/run.err" || fail "eddy did not report 50300 records in"
grep -q "300 skipped as bad input" "$work/run.err" || fail "eddy did not count 300 bad records"
grep -q "skipped bad record at accidents\[" "$work/run.err" || fail "no bad record was logged with its position"
echo "PASS: $act records exactly as expected; 300 malformed records skipped and counted"
