#!/usr/bin/python3
"""Trains the road-safety risk models of queries/road_safety_model.ksql.

Usage: /usr/bin/python3 queries/models/train_risk.py TRAINING.jsonl [OUT_DIR]
(Debian's python3-xgboost 1.7.4).  TRAINING.jsonl holds labelled readings,
one JSON record a line, as `eddy gen readings --labels` writes them, e.g.

    eddy gen readings --labels --topic training --count 40000 --seed 7 --bootstrap-servers B
    kcat -C -b B -t training -e -o beginning -q -f '%s\\n' > training.jsonl

Writes OUT_DIR/risk_v1.json and OUT_DIR/risk_v2.json (default: this file's
folder), binary:logistic over SPEED, SPEED_LIMIT, TEMPERATURE, WIND,
VISIBILITY, in that order (PREDICT's arguments go by position):

- v1: the first quarter of the readings, 10 trees of depth 3: quick, rough;
- v2: every reading, 30 trees of depth 3: closer to the hidden relation.

Both take the same five features, so v2 can replace v1 in a running query.
Deterministic for the same readings in any order (one thread, a fixed seed).  Prints each
model's log-loss on the last fifth of the readings (held out from neither:
a rough comparison, not an evaluation).
"""
import json
import os
import sys

import numpy as np
import xgboost as xgb

FEATURES = ["SPEED", "SPEED_LIMIT", "TEMPERATURE", "WIND", "VISIBILITY"]


def load(path):
    with open(path) as f:
        recs = [json.loads(line) for line in f if line.strip()]
    if not recs:
        sys.exit(f"{path}: no readings (give `eddy gen readings --labels` output)")
    # In the order gen made them (R-1, R-2, ...), whatever order the
    # partitions were read in: the same models from the same readings.
    recs.sort(key=lambda r: int(r["ID"].split("-")[1]))
    x = np.array([[float(r[k]) for k in FEATURES] for r in recs])
    return x, np.array([float(r["INCIDENT"]) for r in recs])


def train(x, y, rounds, depth):
    params = {"objective": "binary:logistic", "max_depth": depth, "eta": 0.3,
              "seed": 7, "nthread": 1}
    return xgb.train(params, xgb.DMatrix(x, label=y, feature_names=FEATURES), rounds)


def logloss(bst, x, y):
    p = np.clip(bst.predict(xgb.DMatrix(x, feature_names=FEATURES)), 1e-7, 1 - 1e-7)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    out = sys.argv[2] if len(sys.argv) == 3 else os.path.dirname(os.path.abspath(__file__))
    x, y = load(sys.argv[1])
    n = len(y)
    models = {"risk_v1": train(x[: n // 4], y[: n // 4], 10, 3),
              "risk_v2": train(x, y, 30, 3)}
    tail = slice(n - n // 5, n)
    print(f"{n} readings, {int(y.sum())} incidents")
    for name, bst in models.items():
        path = os.path.join(out, f"{name}.json")
        bst.save_model(path)
        print(f"{path}: {os.path.getsize(path)} bytes, log-loss {logloss(bst, x[tail], y[tail]):.4f}")


if __name__ == "__main__":
    main()
