#!/usr/bin/python3
"""Trains the model of bench_throughput's PREDICT rows and saves it.

Usage: /usr/bin/python3 bench/make_bench_model.py OUT.json
(Debian's python3-xgboost).  100 trees of depth 6 (binary:logistic) over the
three numeric columns of the bench's accidents, SEVERITY (1-4),
TEMPERATURE_F (-15 .. 99.9) and VISIBILITY_MI (0 .. 10), with a noisy made-up
label, so that the trees grow to their full depth.  Deterministic for a
seed; the bench trains it at start rather than keeping a ~1 MB file in git.
Prints the trees' node count and depth.
"""
import json
import sys

import numpy as np
import xgboost as xgb


def main():
    out = sys.argv[1]
    rng = np.random.RandomState(1700000000)
    n = 50000
    severity = rng.randint(1, 5, n).astype(np.float64)
    temp = rng.uniform(-15, 100, n)
    vis = rng.uniform(0, 10, n)
    logit = -3 + 0.8 * severity - 0.04 * np.abs(temp - 40) + 1.5 * (vis < 2) + 0.5 * np.sin(temp / 7)
    label = (rng.uniform(size=n) < 1 / (1 + np.exp(-logit))).astype(np.float64)
    d = xgb.DMatrix(np.column_stack([severity, temp, vis]), label=label,
                    feature_names=["SEVERITY", "TEMPERATURE_F", "VISIBILITY_MI"])
    params = {"objective": "binary:logistic", "max_depth": 6, "eta": 0.1, "min_child_weight": 0,
              "seed": 7, "nthread": 1}
    bst = xgb.train(params, d, num_boost_round=100)
    bst.save_model(out)
    trees = json.load(open(out))["learner"]["gradient_booster"]["model"]["trees"]
    nodes = sum(int(t["tree_param"]["num_nodes"]) for t in trees)

    def depth(t, i=0):
        left, right = t["left_children"][i], t["right_children"][i]
        return 0 if left < 0 else 1 + max(depth(t, left), depth(t, right))
    print(f"{len(trees)} trees, {nodes} nodes, depth {max(depth(t) for t in trees)}")


if __name__ == "__main__":
    main()
