#!/usr/bin/env bash
# The road-safety model story (queries/road_safety_model.ksql, README "The
# road-safety model story") end to end, every score checked against python.
#
# Two xgboost models are trained with python3-xgboost on labelled readings
# of `eddy gen readings --labels` (queries/models/train_risk.py); `eddy run`
# scores 20,000 readings with version 1 of RISK (and RISK_V2 in shadow,
# joined with the live scores); `eddy exec` upgrades RISK to version 2 with
# CREATE OR REPLACE MODEL while more readings arrive; `eddy exec` replays
# the live query FROM TIMESTAMP a time inside the version-1 range, and
# `eddy run` is killed with SIGKILL three times during the replay and
# restarted with the same command.  Checked by python, for every score:
# it equals xgboost's own Booster.predict for that reading with that
# version (|diff| <= 1e-6), MODEL_VERSION says that version, before the
# replay every reading was scored exactly once, by version 1 before the
# switch offsets the statement printed and by version 2 from them, and the
# replay re-emitted every reading from the replay point on, with version
# 2, none missing (some twice: output is at-least-once across a SIGKILL).
set -euo pipefail
: "${EDDY:?path to the eddy binary}" "${EDDY_SRC:?repo root}"
source "$EDDY_SRC/tests/integration/lib.sh"
PY=/usr/bin/python3   # Debian's, with python3-xgboost

work=$(mktemp -d)
[ -n "${KEEP_WORK:-}" ] || add_exit_trap "rm -rf '$work'"; echo "work dir: $work"
start_broker --topic training:4 --topic readings:4
cd "$work"
seed=${CRASH_SEED:-$RANDOM}
echo "random seed: $seed (set CRASH_SEED to repeat)"
RANDOM=$seed

# The models: trained on other readings than the ones scored.
mkdir models
"$EDDY" gen readings --labels --topic training --count 40000 --seed 7 --bootstrap-servers "$BOOTSTRAP"
kcat -C -b "$BOOTSTRAP" -t training -e -o beginning -q -f '%s\n' > training.jsonl
"$PY" "$EDDY_SRC/queries/models/train_risk.py" training.jsonl models
cp "$EDDY_SRC/queries/road_safety_model.ksql" .

gen() {  # count, first id, seed, first timestamp (ms), gen options...
  "$EDDY" gen readings --topic readings --count "$1" --start-id "$2" --seed "$3" \
    --start-time "$4" --bootstrap-servers "$BOOTSTRAP" "${@:5}"
}
# One worker thread: the kill loop below counts on a run re-emitting a few
# thousand records between checkpoints; tasks on two threads take up to
# 50 ms rounds and re-emit the whole replay before its third kill
# (test_crash_threads and test_threads_same_results cover threads).
run_eddy() {
  "$EDDY" run road_safety_model.ksql --bootstrap-servers "$BOOTSTRAP" --state-dir state \
    -p commit.interval.ms=200 -p num.stream.threads=1 --progress 1 >> run.log 2>&1 &
  pid=$!
  add_exit_trap "kill -KILL $pid 2> /dev/null || true"
}
count() { end_offsets "$1" 4; }
scored_at_least() {  # $1 records in SCORED and, with $2, that many in RISK_COMPARE
  [ "$(count SCORED)" -ge "$1" ] && [ "$(count RISK_COMPARE)" -ge "${2:-0}" ]
}
dump() {  # a topic's records: partition, offset, key, value
  kcat -C -b "$BOOTSTRAP" -t "$1" -e -o beginning -q -f '%p\t%o\t%k\t%s\n'
}
# Every check is in python (xgboost's own predictions); see the file.
cat > check.py <<'PY'
import json, sys
import numpy as np
import xgboost as xgb

FEATURES = ["SPEED", "SPEED_LIMIT", "TEMPERATURE", "WIND", "VISIBILITY"]

def records(path):
    with open(path) as f:
        for line in f:
            p, o, k, v = line.rstrip("\n").split("\t", 3)
            v = json.loads(v)
            v.setdefault("ID", k)      # RISK_COMPARE: the join's key
            yield int(p), int(o), v

mode = sys.argv[1]
readings = {}          # id -> (partition, offset, value)
for p, o, v in records("readings.tsv"):
    readings[v["ID"]] = (p, o, v)
ids = list(readings)
x = np.array([[float(readings[i][2][k]) for k in FEATURES] for i in ids])
python = {}            # version -> id -> score
for version in (1, 2):
    bst = xgb.Booster(model_file=f"models/risk_v{version}.json")
    pred = bst.predict(xgb.DMatrix(x, feature_names=FEATURES))
    python[version] = {i: float(s) for i, s in zip(ids, pred)}
switch = {}            # partition -> first offset scored by version 2
for arg in sys.argv[2:]:
    k, v = arg.split("=")
    if k == "switch":
        for part in v.split():
            switch[int(part.split("[")[1].split("]")[0])] = int(part.split("@")[1])
opts = dict(a.split("=") for a in sys.argv[2:] if not a.startswith("switch="))

bad, maxdiff, by_version = [], 0.0, {1: 0, 2: 0}
def score(v, want_version, what):
    """One output record: the version wanted and python's score for it."""
    global maxdiff
    rid = v["ID"]
    if rid not in readings:
        bad.append(f"{what}: {rid} is no reading"); return
    by_version[v["VERSION"]] = by_version.get(v["VERSION"], 0) + 1
    d = abs(v["RISK"] - python[want_version][rid])
    maxdiff = max(maxdiff, d)
    if v["VERSION"] != want_version or d > 1e-6:
        bad.append(f"{what}: {rid} (partition {readings[rid][0]} offset {readings[rid][1]}): "
                   f"version {v['VERSION']} score {v['RISK']!r}, expected version {want_version} "
                   f"score {python[want_version][rid]!r}")

def want_version(rid):
    # A partition the switch does not name had not been read: all version 2.
    p, o, _ = readings[rid]
    return 1 if not switch or (p in switch and o < switch[p]) else 2

def report(what, ok_extra=True):
    print(f"{what}: {len(readings)} readings; scores by version 1: {by_version.get(1, 0)}, "
          f"by version 2: {by_version.get(2, 0)}; max |eddy - python| {maxdiff:.3g}; "
          f"{len(bad)} wrong")
    for b in bad[:5]:
        print("  " + b, file=sys.stderr)
    sys.exit(0 if not bad and ok_extra else 1)

if mode == "once":
    # Before the replay: each reading scored exactly once, by the version of
    # its offset (v1 before the switch point of its partition).
    seen = {}
    for p, o, v in records("scored.tsv"):
        seen[v["ID"]] = seen.get(v["ID"], 0) + 1
        score(v, want_version(v["ID"]), "SCORED")
    missing = [i for i in ids if i not in seen]
    twice = [i for i in seen if seen[i] > 1]
    print(f"missing {len(missing)} {missing[:3]}, scored more than once {len(twice)} {twice[:3]}")
    # The shadow query: every reading by RISK_V2; the comparison: one record
    # per reading, the live score, the shadow's and their difference.
    shadow_bad = 0
    for p, o, v in records("scored_v2.tsv"):
        if abs(v["RISK"] - python[2][v["ID"]]) > 1e-6:
            shadow_bad += 1
    cmp_n, cmp_bad = 0, 0
    for p, o, v in records("compare.tsv"):
        cmp_n += 1
        rid = v["ID"]
        live = python[want_version(rid)][rid]
        if (abs(v["LIVE"] - live) > 1e-6 or abs(v["SHADOW"] - python[2][rid]) > 1e-6
                or abs(v["DIFF"] - (v["SHADOW"] - v["LIVE"])) > 1e-9
                or v["LIVE_VERSION"] != want_version(rid)):
            cmp_bad += 1
    print(f"shadow: {shadow_bad} of the SCORED_V2 scores wrong; RISK_COMPARE: {cmp_n} records, "
          f"{cmp_bad} wrong")
    need_both = opts.get("need") == "both"
    report("before the replay", not missing and not twice and shadow_bad == 0
           and cmp_n == len(readings) and cmp_bad == 0
           and (not need_both or (by_version.get(1) and by_version.get(2))))

if mode == "replay":
    # SCORED's records from before the replay (offsets below `before`, per
    # partition) were checked above; the ones after are the replay's: every
    # reading stamped at or after `from_ms`, by version 2, none missing, no
    # other reading; and the last score of every reading is the right one.
    before = {int(k): int(v) for k, v in (kv.split(":") for kv in opts["before"].split(","))}
    from_ms = int(opts["from_ms"])
    replayed, last = {}, {}
    for p, o, v in records("scored.tsv"):
        rid = v["ID"]
        last[rid] = v
        if o >= before[p]:
            replayed[rid] = replayed.get(rid, 0) + 1
            score(v, 2, "replayed")
    expect = {i for i in ids if readings[i][2]["TS"] >= from_ms}
    missing = expect - set(replayed)
    extra = set(replayed) - expect
    twice = sum(1 for i in replayed if replayed[i] > 1)
    final_bad = sum(1 for i in expect
                    if i not in last or last[i]["VERSION"] != 2
                    or abs(last[i]["RISK"] - python[2][i]) > 1e-6)
    print(f"replay from {from_ms}: {len(expect)} readings at or after it; re-emitted "
          f"{sum(replayed.values())} records for {len(replayed)} readings ({twice} twice or more, "
          f"after the SIGKILLs); missing {len(missing)} {sorted(missing)[:3]}, not in the range "
          f"{len(extra)} {sorted(extra)[:3]}; final score wrong {final_bad}")
    report("the replay", not missing and not extra and final_bad == 0 and len(expect) > 0)
PY

# ---- 1. 20,000 readings scored by version 1 ---------------------------------
T0=1700000000000
gen 20000 1 1 $T0
run_eddy
wait_for 90 scored_at_least 20000 20000 ||
  { cat run.log; fail "the queries did not score the readings"; }
sleep 1   # a reading scored twice would arrive by now, and be counted
dump readings > readings.tsv
last_ts=$(cut -f4 readings.tsv | jq -s 'map(.TS) | max')
dump SCORED > scored.tsv; dump SCORED_V2 > scored_v2.tsv; dump RISK_COMPARE > compare.tsv
check "20,000 readings, each scored once by version 1, as python scores them" "$PY" check.py once

# ---- 2. CREATE OR REPLACE MODEL while readings arrive -----------------------
gen 20000 20001 2 $((last_ts + 1000)) --rate 2500 > gen2.log 2>&1 &
producer=$!
wait_for 30 scored_at_least 23000 || fail "the second chunk is not scored"
"$EDDY" exec --state-dir state -e "CREATE OR REPLACE MODEL risk FROM 'models/risk_v2.json';" > upgrade.out
cat upgrade.out
wait $producer
check "the new version is named" grep -q "Model RISK version 2 created" upgrade.out
switch=$(grep "Query CSAS_SCORED_1 scores with version 2 from offsets" upgrade.out |
         grep -o 'readings\[[0-9]*\]@[0-9]*' | tr '\n' ' ')
echo "switch point: $switch"
check_eq "a switch point in each partition" 4 "$(echo $switch | wc -w)"
"$EDDY" exec --state-dir state -e "DESCRIBE MODEL risk;" > describe.out
check "DESCRIBE MODEL names the same switch point" \
  grep -q "$(echo $switch | sed 's/ /, /g; s/\[/\\[/g; s/\]/\\]/g')" describe.out
wait_for 60 scored_at_least 40000 40000 ||
  fail "not every reading was scored: $(count SCORED) of 40000"
sleep 1
dump readings > readings.tsv
dump SCORED > scored.tsv; dump SCORED_V2 > scored_v2.tsv; dump RISK_COMPARE > compare.tsv
check "40,000 readings, each scored once, by version 1 before the switch and 2 from it" \
  "$PY" check.py once "switch=$switch" need=both

# ---- 3. REPLAY FROM TIMESTAMP, three SIGKILLs --------------------------------
from_ms=$(cut -f4 readings.tsv | jq -s 'map(select(.ID == "R-10000"))[0].TS')
iso=$(date -u -d "@$((from_ms / 1000)).$(printf %03d $((from_ms % 1000)))" +%Y-%m-%dT%H:%M:%S.%3NZ)
before=$(for p in 0 1 2 3; do
  kcat -b "$BOOTSTRAP" -Q -t SCORED:$p:-1 2> /dev/null | grep -o 'offset [0-9]*' | awk -v p=$p '{ print p ":" $2 }'
done | paste -sd,)
total_before=$(count SCORED)
range=$(cut -f4 readings.tsv | jq -s --argjson t "$from_ms" 'map(select(.TS >= $t)) | length')
echo "replaying from $iso ($from_ms): $range readings; SCORED ends at $before"
"$EDDY" exec --state-dir state -e "REPLAY QUERY CSAS_SCORED_1 FROM TIMESTAMP '$iso';" > replay.out
cat replay.out
check "the replay names its point on every partition" \
  grep -q "Replaying query CSAS_SCORED_1 from timestamp '$iso' (generation 1): readings\[0\]@[0-9]* readings\[1\]@[0-9]* readings\[2\]@[0-9]* readings\[3\]@[0-9]*" replay.out
kills=0
for k in 1 2 3; do
  target=$((total_before + k * range / 5 + RANDOM % (range / 10)))
  for _ in $(seq 1200); do
    [ "$(count SCORED)" -ge "$target" ] && break
    kill -0 "$pid" 2> /dev/null || break
    sleep 0.02
  done
  kill -KILL "$pid" 2> /dev/null && kills=$((kills + 1)) || true
  wait "$pid" 2> /dev/null || true
  at=$(count SCORED)
  echo "eddy run killed with SIGKILL at $((at - total_before)) re-emitted records (target $((target - total_before)))"
  [ "$at" -lt $((total_before + range)) ] || fail "kill $k came after the replay could have finished"
  run_eddy   # the same command: the replay resumes from the catalog
done
check_eq "SIGKILLs delivered" 3 "$kills"
replay_over() {
  [ "$(count SCORED)" -ge $((total_before + range)) ] &&
    "$EDDY" exec --state-dir state -e "SHOW QUERIES;" > queries.out 2>&1 && ! grep -q REPLAYING queries.out
}
wait_for 90 replay_over || { tail -20 run.log; cat queries.out; fail "the replay did not finish"; }
sleep 1
dump SCORED > scored.tsv
check "the replay re-emitted every reading from $iso on with version 2, as python scores them" \
  "$PY" check.py replay "before=$before" "from_ms=$from_ms"
kill -TERM "$pid"
wait "$pid"
echo "PASS: test_model_upgrade"
