#!/usr/bin/env bash
# queries/accidents_in_progress.ksql on generated accidents through a real
# broker: start/end events carry their own times, the hourly per-city
# counts and the accidents in progress they add up to equal what jq and awk
# compute from the same input, and the windowed table's topic reads back
# as city + hour.
set -euo pipefail
: "${EDDY:?path to the eddy binary}" "${EDDY_SRC:?repo root}"
source "$EDDY_SRC/tests/integration/lib.sh"
export LC_ALL=C

work=$(mktemp -d)
if [ -n "${KEEP_WORK:-}" ]; then echo "work files kept in $work"; else add_exit_trap "rm -rf '$work'"; fi
# The mock broker cannot serve CreateTopics: the windowed table's topic,
# which a later statement declares a stream over, must exist beforehand.
start_broker --topic accidents:4 --topic ACCIDENTS_IN_PROGRESS_HOURLY:4

"$EDDY" gen accidents --topic accidents --count 8000 --seed 11 --bootstrap-servers "$BOOTSTRAP"
start=$SECONDS
timeout 600 "$EDDY" run "$EDDY_SRC/queries/accidents_in_progress.ksql" --bootstrap-servers "$BOOTSTRAP" \
  --state-dir "$work/state" --until-caught-up > /dev/null 2> "$work/run.err" || { cat "$work/run.err"; fail "eddy run failed"; }
echo "eddy run: $((SECONDS - start)) s"
grep -q "0 skipped as bad input, 0 expression errors" "$work/run.err" ||
  fail "records were rejected: $(tail -3 "$work/run.err")"

# The input, independently: id, city, start and end in ms (jq parses the
# UTC times).
kcat -C -b "$BOOTSTRAP" -t accidents -o beginning -e -q -f '%s\n' |
  jq -r '[.ID, .City, (.Start_Time | strptime("%Y-%m-%d %H:%M:%S") | mktime * 1000),
          (.End_Time | strptime("%Y-%m-%d %H:%M:%S") | mktime * 1000)] | @tsv' > "$work/acc.tsv"
check_eq "input records" 8000 "$(wc -l < "$work/acc.tsv")"

# ACCIDENT_EVENTS: +1 at the start and -1 at the end of every accident,
# each record stamped with its event's own time.
awk -F'\t' '{ print $1 "\t1\t" $3; print $1 "\t-1\t" $4 }' "$work/acc.tsv" | sort > "$work/events.expected"
kcat -C -b "$BOOTSTRAP" -t ACCIDENT_EVENTS -o beginning -e -q -f '%k\t%T\t%s\n' |
  jq -R -r 'split("\t") as [$k, $t, $v] | ($v | fromjson) as $r
            | "\($k)\t\($r.DELTA)\t\($t)\t\($r.EVENT_TIME | strptime("%Y-%m-%d %H:%M:%S") | mktime * 1000)"' \
  > "$work/events.raw"
awk -F'\t' '$3 != $4 { bad++ } END { exit bad > 0 }' "$work/events.raw" ||
  fail "ACCIDENT_EVENTS records whose timestamp is not their EVENT_TIME: $(awk -F'\t' '$3 != $4' "$work/events.raw" | head -3)"
echo "ok: every ACCIDENT_EVENTS record's timestamp is its EVENT_TIME"
cut -f1-3 "$work/events.raw" | sort > "$work/events.actual"
check "ACCIDENT_EVENTS equal one start and one end event per accident, at its times" \
  diff -q "$work/events.expected" "$work/events.actual"

# ACCIDENTS_IN_PROGRESS_HOURLY: a windowed table; its key is the city then
# the hour's start, 8 bytes big-endian (Kafka Streams' layout), decoded here
# byte by byte.  The last record of a key is the hour's final count.
kcat -C -b "$BOOTSTRAP" -t ACCIDENTS_IN_PROGRESS_HOURLY -o beginning -e -q -f '%K:%k%s\n' |
  od -An -v -tu1 |
  awk '{ for (i = 1; i <= NF; i++) b[n++] = $i }
       END {
         p = 0
         while (p < n) {
           klen = 0
           while (b[p] != 58) { klen = klen * 10 + b[p] - 48; p++ }
           p++
           city = ""
           for (i = 0; i < klen - 8; i++) city = city sprintf("%c", b[p + i])
           ws = 0
           for (i = klen - 8; i < klen; i++) ws = ws * 256 + b[p + i]
           p += klen
           v = ""
           while (b[p] != 10) { v = v sprintf("%c", b[p]); p++ }
           p++
           printf "%s\t%.0f\t%s\n", city, ws, v
         }
       }' > "$work/hourly.raw"
updates=$(wc -l < "$work/hourly.raw")
jq -R -r 'split("\t") as [$c, $w, $v] | ($v | fromjson) as $r
          | "\($c)\t\($w)\t\($r.HOUR_START)\t\($r.STARTED)\t\($r.ENDED)\t\($r.NET_CHANGE)"' \
  "$work/hourly.raw" > "$work/hourly.tsv"
awk -F'\t' '$2 != $3 { bad++ } END { exit bad > 0 }' "$work/hourly.tsv" ||
  fail "a record's key window is not its HOUR_START: $(awk -F'\t' '$2 != $3' "$work/hourly.tsv" | head -3)"
echo "ok: the window in every key is the record's HOUR_START ($updates updates)"
awk -F'\t' '{ last[$1 "\t" $2] = $4 "\t" $5 "\t" $6 } END { for (k in last) print k "\t" last[k] }' \
  "$work/hourly.tsv" | sort > "$work/hourly.actual"
awk -F'\t' '{ h = sprintf("%s\t%.0f", $2, $3 - $3 % 3600000); s[h]++; k[h] = 1
              h = sprintf("%s\t%.0f", $2, $4 - $4 % 3600000); e[h]++; k[h] = 1 }
            END { for (x in k) printf "%s\t%d\t%d\t%d\n", x, s[x], e[x], s[x] - e[x] }' \
  "$work/acc.tsv" | sort > "$work/hourly.expected"
check_eq "city-hours" "$(wc -l < "$work/hourly.expected")" "$(wc -l < "$work/hourly.actual")"
check "STARTED, ENDED and NET_CHANGE per city and hour equal awk's" \
  diff -q "$work/hourly.expected" "$work/hourly.actual"
[ "$(wc -l < "$work/hourly.actual")" -gt 500 ] || fail "too few city-hours to mean anything"

# Accidents in progress at the end of each hour: the running total of the
# city's NET_CHANGE, against a direct count of the accidents with
# start < hour end <= end.
sort -t$'\t' -k1,1 -k2,2n "$work/hourly.actual" |
  awk -F'\t' '$1 != city { city = $1; run = 0 } { run += $5; print $1 "\t" $2 "\t" run }' \
  > "$work/progress.actual"
awk -F'\t' 'NR == FNR { n[$2]++; s[$2, n[$2]] = $3; e[$2, n[$2]] = $4; next }
            { t = $2 + 3600000; c = 0
              for (i = 1; i <= n[$1]; i++) if (s[$1, i] < t && e[$1, i] >= t) c++
              print $1 "\t" $2 "\t" c }' "$work/acc.tsv" "$work/progress.actual" > "$work/progress.expected"
check "accidents in progress (running NET_CHANGE) equal awk's count of open accidents" \
  diff -q "$work/progress.expected" "$work/progress.actual"
peak=$(sort -t$'\t' -k3,3n "$work/progress.actual" | tail -1)
echo "most accidents in progress at an hour's end: $peak"
[ "$(cut -f3 "$work/progress.actual" | sort -n | tail -1)" -gt 3 ] || fail "no city ever had several accidents in progress"

# HOUSTON_ACCIDENT_HOURS: the hourly topic read back as a windowed stream;
# WHERE city = 'Houston' matches (the key is the city alone) and
# WINDOWSTART is the hour.
kcat -C -b "$BOOTSTRAP" -t HOUSTON_ACCIDENT_HOURS -o beginning -e -q -f '%s\n' |
  jq -r '"\(.WINDOW_START)\t\(.HOUR_START)\t\(.STARTED)\t\(.ENDED)\t\(.NET_CHANGE)"' > "$work/houston.tsv"
check_eq "HOUSTON_ACCIDENT_HOURS records = Houston's updates in the hourly table" \
  "$(awk -F'\t' '$1 == "Houston"' "$work/hourly.tsv" | wc -l)" "$(wc -l < "$work/houston.tsv")"
awk -F'\t' '$1 != $2 { bad++ } END { exit bad > 0 }' "$work/houston.tsv" ||
  fail "HOUSTON_ACCIDENT_HOURS: WINDOWSTART is not HOUR_START"
awk -F'\t' '{ last[$1] = $3 "\t" $4 "\t" $5 } END { for (w in last) print "Houston\t" w "\t" last[w] }' \
  "$work/houston.tsv" | sort > "$work/houston.actual"
grep $'^Houston\t' "$work/hourly.expected" > "$work/houston.expected"
check "HOUSTON_ACCIDENT_HOURS final counts equal awk's for Houston" \
  diff -q "$work/houston.expected" "$work/houston.actual"
echo "PASS: accidents_in_progress.ksql output equals the independent computation"
