#!/usr/bin/env bash
# `eddy load` against a real broker process (`eddy broker`): a CSV file
# with tricky quoting and bad rows, and a JSON-lines file, are loaded and
# read back with kcat; every record's key, timestamp and value is checked
# against expectations written by hand next to each row (jq compares; it
# also computes the timestamps).  Pacing is shown by the elapsed time of a
# two-hour file at --speed 7200 (printed, not asserted); send order is
# asserted on a one-partition topic.  Then an eddy query reads the loaded
# topic with TIMESTAMP/TIMESTAMP_FORMAT, and the records carry the same
# times end to end.  Also: --strings, usage errors, the development
# broker's dropped records, and SIGINT.
set -euo pipefail
: "${EDDY:?path to the eddy binary}" "${EDDY_SRC:?repo root}"
source "$EDDY_SRC/tests/integration/lib.sh"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# ---- usage errors: exit 2, nothing sent ----------------------------------
printf 'id,t\n1,2023-01-01T00:00:00\n' > "$work/one.csv"
rc=0; "$EDDY" load "$work/one.csv" --topic x 2> "$work/err" || rc=$?
check_eq "load without --bootstrap-servers exits" 2 "$rc"
check "and says to start eddy broker" grep -q 'eddy broker' "$work/err"
rc=0; "$EDDY" load "$work/one.csv" --topic x -b 127.0.0.1:9 --speed 2 --as-fast-as-possible \
  2> /dev/null || rc=$?
check_eq "--speed with --as-fast-as-possible exits" 2 "$rc"
rc=0; "$EDDY" load "$work/one.csv" --topic x -b 127.0.0.1:9 --speed 2 2> /dev/null || rc=$?
check_eq "--speed without --time-column exits" 2 "$rc"
rc=0; "$EDDY" load "$work/one.txt" --topic x -b 127.0.0.1:9 2> /dev/null || rc=$?
check_eq "a file of unknown format without --format exits" 2 "$rc"
rc=0; "$EDDY" load "$work/one.csv" --topic x -b 127.0.0.1:9 --time-column t \
  --time-format 'yyyy-MM-dd bogus{' 2> "$work/err" || rc=$?
check_eq "a bad --time-format exits" 2 "$rc"
rc=0; "$EDDY" load "$work/one.csv" --topic x -b 127.0.0.1:9 --time-column T1 2> "$work/err" || rc=$?
check_eq "an unknown --time-column exits" 2 "$rc"
check "and suggests the closest column" grep -q 'did you mean t?' "$work/err"
: > "$work/empty.csv"
rc=0; "$EDDY" load "$work/empty.csv" --topic x -b 127.0.0.1:9 2> "$work/err" || rc=$?
check_eq "an empty CSV file exits" 1 "$rc"
check "and says it has no header" grep -q 'empty' "$work/err"
printf 'id,id\n1,2\n' > "$work/dup.csv"
rc=0; "$EDDY" load "$work/dup.csv" --topic x -b 127.0.0.1:9 2> "$work/err" || rc=$?
check_eq "a header naming a column twice exits" 1 "$rc"
check "and points at it" grep -q 'line 1:4: column id appears twice' "$work/err"

start_broker --topic paced:1 --topic strs:1 --topic full:1

# ---- the CSV fixture ------------------------------------------------------
# row TEXT EXPECTED: appends TEXT (with its own line break) to the file and
# EXPECTED (the JSON value it must become) to expected.jsonl; an empty
# EXPECTED marks a bad row, whose first line is remembered.
csv="$work/accidents.csv"
printf '\xEF\xBB\xBF' > "$csv"   # a byte order mark, as Excel writes
: > "$work/expected.jsonl"
bad_lines=()
row() {
  local line=$(($(wc -l < "$csv") + 1))
  printf '%s' "$1" >> "$csv"
  if [ -n "$2" ]; then echo "$2" >> "$work/expected.jsonl"; else bad_lines+=("$line"); fi
}
printf 'ID,Severity,Start_Time,City,Description,Zipcode,Value,Flag\r\n' >> "$csv"
row $'A-1,2,2016-02-08 00:00:00,Dayton,"Right lane blocked, ""slow""",02108,0,true\r\n' \
  '{"ID":"A-1","Severity":2,"Start_Time":"2016-02-08 00:00:00","City":"Dayton","Description":"Right lane blocked, \"slow\"","Zipcode":"02108","Value":0,"Flag":true}'
row $'A-2,3,2016-02-08 00:08:00,"New\nYork","two\r\nlines",45424,-17,FALSE\r\n' \
  '{"ID":"A-2","Severity":3,"Start_Time":"2016-02-08 00:08:00","City":"New\nYork","Description":"two\r\nlines","Zipcode":45424,"Value":-17,"Flag":false}'
row $'A-3,1,2016-02-08 00:16:00,Café,"",00000,007,True\n' \
  '{"ID":"A-3","Severity":1,"Start_Time":"2016-02-08 00:16:00","City":"Café","Description":"","Zipcode":"00000","Value":"007","Flag":true}'
row $'A-4,4,2016-02-08 00:24:00,Austin,,12345,+5,yes\r\n' \
  '{"ID":"A-4","Severity":4,"Start_Time":"2016-02-08 00:24:00","City":"Austin","Description":null,"Zipcode":12345,"Value":"+5","Flag":"yes"}'
row $'A-bad1,2,2016-02-08 00:30:00,Dayton\r\n' ""
row $'A-5,2,2016-02-08 00:32:00,"Miami, FL"," lead and trail ",33125,9223372036854775807,t\r\n' \
  '{"ID":"A-5","Severity":2,"Start_Time":"2016-02-08 00:32:00","City":"Miami, FL","Description":" lead and trail ","Zipcode":33125,"Value":9223372036854775807,"Flag":"t"}'
row $'A-6,2,2016-02-08 00:40:00,Houston,",",77002,9223372036854775808,false\r\n' \
  '{"ID":"A-6","Severity":2,"Start_Time":"2016-02-08 00:40:00","City":"Houston","Description":",","Zipcode":77002,"Value":"9223372036854775808","Flag":false}'
row $'A-bad2,2,yesterday,Dayton,x,1,1,true\r\n' ""
row $'A-7,2,2016-02-08 00:48:00,Dallas,"He said ""hi"", then left",75201,1.5,TRUE\r\n' \
  '{"ID":"A-7","Severity":2,"Start_Time":"2016-02-08 00:48:00","City":"Dallas","Description":"He said \"hi\", then left","Zipcode":75201,"Value":1.5,"Flag":true}'
printf '\r\n' >> "$csv"   # a blank line: neither a record nor a bad row
row $'A-8,2,2016-02-08 00:56:00,Denver,"x""",80202,2.50,False\r\n' \
  '{"ID":"A-8","Severity":2,"Start_Time":"2016-02-08 00:56:00","City":"Denver","Description":"x\"","Zipcode":80202,"Value":2.50,"Flag":false}'
row $'A-9,2,2016-02-08 01:04:00,Boston,"""quoted""",02108,1e5,true\r\n' \
  '{"ID":"A-9","Severity":2,"Start_Time":"2016-02-08 01:04:00","City":"Boston","Description":"\"quoted\"","Zipcode":"02108","Value":1e5,"Flag":true}'
row $'A-bad3,2,2016-02-08 01:10:00,Day"ton,x,1,1,true\r\n' ""
row $'A-10,2,2016-02-08 01:12:00,Austin,.5,78701,1e400,true\r\n' \
  '{"ID":"A-10","Severity":2,"Start_Time":"2016-02-08 01:12:00","City":"Austin","Description":".5","Zipcode":78701,"Value":"1e400","Flag":true}'
row $'A-11,2,2016-02-08 01:20:00,Miami, 1,33125,NaN,true\r\n' \
  '{"ID":"A-11","Severity":2,"Start_Time":"2016-02-08 01:20:00","City":"Miami","Description":" 1","Zipcode":33125,"Value":"NaN","Flag":true}'
row $'A-12,2,2016-02-08 00:20:00,Late,out of order,33125,-0,true\r\n' \
  '{"ID":"A-12","Severity":2,"Start_Time":"2016-02-08 00:20:00","City":"Late","Description":"out of order","Zipcode":33125,"Value":-0,"Flag":true}'
row $'A-13,2,2016-02-08 01:36:00,Miami,5.,33125,0x1F,true\r\n' \
  '{"ID":"A-13","Severity":2,"Start_Time":"2016-02-08 01:36:00","City":"Miami","Description":"5.","Zipcode":33125,"Value":"0x1F","Flag":true}'
row $'A-14,3,2016-02-08 02:00:00,"Last","end",33125,1E-3,true\r\n' \
  '{"ID":"A-14","Severity":3,"Start_Time":"2016-02-08 02:00:00","City":"Last","Description":"end","Zipcode":33125,"Value":1E-3,"Flag":true}'
row $'A-bad4,2,2016-02-08 02:00:00,"Dayton,x,1,1,true\r\n' ""   # never closed
nexp=$(wc -l < "$work/expected.jsonl" | tr -d ' ')
echo "fixture: $nexp good rows, bad rows at lines ${bad_lines[*]}"

# ---- load it, paced: two hours of data at 7200x ---------------------------
t0=$(date +%s.%N)
"$EDDY" load "$csv" --topic paced --bootstrap-servers "$BOOTSTRAP" --key ID \
  --time-column Start_Time --speed 7200 2> "$work/load.err" || {
  cat "$work/load.err"; fail "eddy load failed"; }
t1=$(date +%s.%N)
cat "$work/load.err"
echo "pacing: 2 hours of data at --speed 7200 (1 s ideal): $(grep -o 'in [0-9.]* s' "$work/load.err" |
  head -1) sending, $(awk "BEGIN { printf \"%.2f\", $t1 - $t0 }") s for the whole command"

check "summary counts $nexp records sent" grep -q "sent $nexp records to paced" "$work/load.err"
want_bad="skipped 4 bad rows (lines $(IFS=,; echo "${bad_lines[*]}" | sed 's/,/, /g'))"
check "summary: $want_bad" grep -qF "$want_bad" "$work/load.err"
check "summary counts 1 record out of time order" \
  grep -q '1 record was earlier than one sent before' "$work/load.err"
check "summary counts 1 blank line" grep -q 'ignored 1 blank line' "$work/load.err"
check "summary gives the time range" \
  grep -q 'record times 2016-02-08T00:00:00.000 .. 2016-02-08T02:00:00.000' "$work/load.err"
for l in "${bad_lines[@]}"; do
  check "bad row at line $l is reported with its position" \
    grep -qE "accidents.csv: line $l(:[0-9]+)?: .*; row skipped" "$work/load.err"
done
check "field count" grep -q "line ${bad_lines[0]}:1: 4 fields where the header has 8" "$work/load.err"
check "bad time" grep -q "column Start_Time: 'yesterday' is neither" "$work/load.err"
check "quote in an unquoted field" grep -q 'a quote inside an unquoted field' "$work/load.err"
check "quote left open" grep -q 'not closed before the end of the file' "$work/load.err"

# Read back: key, timestamp, value, in offset order (one partition).
kcat -C -b "$BOOTSTRAP" -t paced -e -o beginning -q -f '%k\t%T\t%s\n' > "$work/paced.txt"
check_eq "records in topic paced" "$nexp" "$(wc -l < "$work/paced.txt" | tr -d ' ')"
# Expected: key = ID, timestamp = Start_Time as UTC ms (jq), value as written by hand.
jq -r -c '"\(.ID)\t\(.Start_Time | strptime("%Y-%m-%d %H:%M:%S") | mktime * 1000)\t\(. | tojson)"' \
  "$work/expected.jsonl" | sort > "$work/want.txt"
jq -R -r 'split("\t") as [$k, $t, $v] | "\($k)\t\($t)\t\($v | fromjson | tojson)"' \
  "$work/paced.txt" | sort > "$work/got.txt"
if ! diff "$work/want.txt" "$work/got.txt" > "$work/diff.txt"; then
  head -40 "$work/diff.txt"
  fail "loaded records differ from the expected ones"
fi
echo "ok: every record's key, timestamp and value (field by field) as expected"
# Numbers go out as written: jq would round these, so look at the bytes.
for raw in '"Value":9223372036854775807,' '"Value":2.50,' '"Value":1e5,' '"Value":-0,' \
  '"Value":1E-3,' '"Zipcode":"02108"'; do
  check "value bytes contain $raw" grep -qF "$raw" "$work/paced.txt"
done
# Sent in file order except the late row, which goes at once: offsets follow
# the file, and timestamps rise except at A-12.
check_eq "offset order is file order" "$(jq -r .ID "$work/expected.jsonl" | tr '\n' ' ')" \
  "$(cut -f1 "$work/paced.txt" | tr '\n' ' ')"
check_eq "timestamps fall only at the late row" "A-12" \
  "$(awk -F'\t' 'NR > 1 && $2 < prev { print $1 } { prev = $2 }' "$work/paced.txt")"

# ---- --strings: every value a string, nulls stay null ---------------------
"$EDDY" load "$csv" --topic strs --bootstrap-servers "$BOOTSTRAP" --key ID --strings \
  2> "$work/strs.err" || { cat "$work/strs.err"; fail "eddy load --strings failed"; }
kcat -C -b "$BOOTSTRAP" -t strs -e -o beginning -q -f '%s\n' > "$work/strs.txt"
# The row whose time is "yesterday" is bad only for its time: here it goes too.
check_eq "--strings: records" "$((nexp + 1))" "$(wc -l < "$work/strs.txt" | tr -d ' ')"
check_eq "--strings: values that are not strings (only the one missing Description)" \
  "null" "$(jq -r -c '.[] | select(type != "string") | tostring' "$work/strs.txt" | sort -u)"
check "--strings: 2.50 stays the string \"2.50\"" grep -qF '"Value":"2.50"' "$work/strs.txt"
check "--strings: without --time-column, record times are the load's" \
  test "$(kcat -C -b "$BOOTSTRAP" -t strs -e -o beginning -q -c 1 -f '%T')" -gt 1600000000000

# ---- JSON lines -------------------------------------------------------------
# Lines are sent as they are (only the line break and trailing blanks go);
# expected timestamps computed by hand.
jl="$work/events.jsonl"
{
  printf '\xEF\xBB\xBF{"id":"j1","t":"2023-01-01T00:00:00Z","v":1.50}\n'
  printf '\n'
  printf '{"id":2,"t":1672531260000,"v":[1,2],"s":"a\\"b"}\r\n'
  printf 'not json\n'
  printf '[1,2]\n'
  printf '{"id":"j3","t":"2023-01-01 01:02:00+01:00","nested":{"a":null}}  \n'
  printf '{"id":"j4"}\n'
  printf '{"id":null,"t":"2023-01-01T00:03:00","s":"caf\xc3\xa9"}\n'
  printf '{"id":"j5","t":"2023-01-01T00:04:00","s":"bad \xff byte"}\n'
  printf '{"id":true,"t":"2023-01-01T00:05:00.250"}'
} > "$jl"
cat > "$work/jl.want" <<'EOF'
j1	1672531200000	{"id":"j1","t":"2023-01-01T00:00:00Z","v":1.50}
2	1672531260000	{"id":2,"t":1672531260000,"v":[1,2],"s":"a\"b"}
j3	1672531320000	{"id":"j3","t":"2023-01-01 01:02:00+01:00","nested":{"a":null}}
	1672531380000	{"id":null,"t":"2023-01-01T00:03:00","s":"café"}
true	1672531500250	{"id":true,"t":"2023-01-01T00:05:00.250"}
EOF
"$EDDY" load "$jl" --topic events --bootstrap-servers "$BOOTSTRAP" --key id --time-column t \
  --as-fast-as-possible 2> "$work/jl.err" || { cat "$work/jl.err"; fail "eddy load (JSON) failed"; }
cat "$work/jl.err"
kcat -C -b "$BOOTSTRAP" -t events -e -o beginning -q -f '%k\t%T\t%s\n' | sort > "$work/jl.got"
if ! diff <(sort "$work/jl.want") "$work/jl.got"; then
  fail "JSON lines: records differ"
fi
echo "ok: JSON lines: keys, timestamps and values byte for byte"
check "JSON: summary" grep -q 'skipped 4 bad rows (lines 4, 5, 7, 9)' "$work/jl.err"
check "JSON: not JSON, with the column" grep -q 'events.jsonl: line 4:[0-9]*: not JSON' "$work/jl.err"
check "JSON: not an object" grep -q 'line 5:1: not a JSON object' "$work/jl.err"
check "JSON: no time" grep -q 'line 7: no time in field t' "$work/jl.err"
check "JSON: invalid UTF-8" grep -q 'line 9:[0-9]*: not JSON: unable to decode byte 0xff' "$work/jl.err"

# ---- an eddy query reads the loaded topic -----------------------------------
cat > "$work/q.ksql" <<'KSQL'
SET 'auto.offset.reset' = 'earliest';
CREATE STREAM acc (id STRING KEY, severity INT, start_time STRING, city STRING,
                   description STRING, zipcode STRING)
  WITH (kafka_topic = 'paced', value_format = 'JSON',
        timestamp = 'start_time', timestamp_format = 'yyyy-MM-dd HH:mm:ss');
CREATE STREAM acc_out AS
  SELECT id, severity, city, zipcode, description FROM acc WHERE severity >= 2;
KSQL
timeout 300 "$EDDY" run "$work/q.ksql" --bootstrap-servers "$BOOTSTRAP" \
  --state-dir "$work/state" --until-caught-up 2> "$work/run.err" || {
  cat "$work/run.err"; fail "eddy run failed"; }
jq -r -c 'select(.Severity >= 2)
          | "\(.ID)\t\(.Start_Time | strptime("%Y-%m-%d %H:%M:%S") | mktime * 1000)\t"
            + ({SEVERITY: .Severity, CITY: .City,
                ZIPCODE: (.Zipcode | if . == null then null else tostring end),
                DESCRIPTION: .Description} | tojson)' "$work/expected.jsonl" |
  sort > "$work/q.want"
kcat -C -b "$BOOTSTRAP" -t ACC_OUT -e -o beginning -q -f '%k\t%T\t%s\n' |
  jq -R -r 'split("\t") as [$k, $t, $v] | "\($k)\t\($t)\t\($v | fromjson | tojson)"' |
  sort > "$work/q.got"
check "the query's output is not empty" test -s "$work/q.got"
if ! diff "$work/q.want" "$work/q.got"; then
  fail "the query over the loaded topic gave other records"
fi
echo "ok: the query read every loaded record, typed, with the loaded timestamps ($(wc -l < "$work/q.got" | tr -d ' ') records)"

# ---- more than the development broker keeps: said, with the numbers ----------
awk 'BEGIN { print "id,pad"; for (i = 0; i < 40000; i++) printf "k%d,%0200d\n", i, i }' \
  > "$work/full.csv"
"$EDDY" load "$work/full.csv" --topic full --bootstrap-servers "$BOOTSTRAP" 2> "$work/full.err" ||
  { cat "$work/full.err"; fail "eddy load of 40000 rows failed"; }
cat "$work/full.err"
kept=$(topic_count full)
echo "the broker kept $kept of 40000 records in one partition"
check "the broker dropped some (the test needs it to)" test "$kept" -lt 40000
check "load says how many it kept" \
  grep -q "the broker kept only $kept of the 40000 records written to full" "$work/full.err"
check "and how many were dropped" grep -q "^ *$((40000 - kept)) were dropped by its retention" \
  "$work/full.err"
# Again into the full topic: the records dropped now are the older ones
# first (not counted: they were not sent by this load), then the oldest of
# this load's.  Each load's own numbers, from the watermarks (gen's check).
t0=$(date +%s%N)
"$EDDY" load "$work/full.csv" --topic full --bootstrap-servers "$BOOTSTRAP" 2> "$work/full2.err" ||
  { cat "$work/full2.err"; fail "the second eddy load of 40000 rows failed"; }
t1=$(date +%s%N)
kept2=$(topic_count full)
echo "again into the full topic: the broker kept $kept2; the command took" \
  "$(( (t1 - t0) / 1000000 )) ms ($(grep -o 'in [0-9.]* s' "$work/full2.err") sending)"
check "load says how many of its own it kept" \
  grep -q "the broker kept only $kept2 of the 40000 records written to full" "$work/full2.err"
check "and how many of its own were dropped" \
  grep -q "^ *$((40000 - kept2)) were dropped by its retention" "$work/full2.err"

# ---- SIGINT: stops, delivers what was sent, sums up --------------------------
printf 'id,t\n1,2023-01-01T00:00:00\n2,2023-01-01T00:00:00.500\n3,2023-01-01T05:00:00\n' \
  > "$work/slow.csv"
"$EDDY" load "$work/slow.csv" --topic slow --bootstrap-servers "$BOOTSTRAP" --time-column t \
  2> "$work/slow.err" &
pid=$!
add_exit_trap "kill -KILL $pid 2> /dev/null || true"   # a failed check leaves nothing running
two_sent() { [ "$(topic_count slow)" -ge 2 ]; }
wait_for 60 two_sent || fail "the first two records of slow.csv did not arrive"
kill -INT "$pid"
rc=0; wait "$pid" || rc=$?
cat "$work/slow.err"
check_eq "SIGINT: exit status" 130 "$rc"
check "SIGINT: says it was interrupted" grep -q 'interrupted; the last record sent is line 3' "$work/slow.err"
check "SIGINT: summary of what was sent" grep -q 'sent 2 records to slow' "$work/slow.err"
check_eq "SIGINT: the records sent were delivered" 2 "$(topic_count slow)"

echo "PASS"
