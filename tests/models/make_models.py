#!/usr/bin/python3
"""Regenerates the XGBoost model fixtures of tests/unit/test_model.c.

Run with Debian's python3-xgboost (1.7.4):  /usr/bin/python3 tests/models/make_models.py
It trains small models on deterministic generated data, saves each with
Booster.save_model as JSON (.json) and UBJSON (.ubj), and writes what
Booster.predict(DMatrix) returns for a fixed set of rows (some with missing
features) to expected.json.  The unit test loads the saved files through
libxgboost's C API and must give the same numbers, so the fixtures are
committed and the test needs no python.  NaN inputs are written as null.

The data follows the road-safety readings of `eddy gen readings`: an
incident is more likely with speed over the limit, low visibility, freezing
temperature and strong wind.
"""
import json
import math
import os
import sys

import numpy as np
import xgboost as xgb

HERE = os.path.dirname(os.path.abspath(__file__))
FEATURES = ["SPEED", "SPEED_LIMIT", "TEMPERATURE", "WIND", "VISIBILITY"]


LIMITS = [25.0, 35.0, 45.0, 55.0, 65.0, 70.0]


def incident_logit(speed, limit, temp, wind, vis):
    """The hidden relation of `eddy gen readings` (cli/gen.c, reading_logit)."""
    over = np.maximum(speed - limit, 0) / limit
    freezing = temp < 32
    return (-4.6 + 7.0 * over + 1.6 * (vis < 0.5) + 0.8 * (vis < 2) + 1.3 * freezing
            + 0.06 * np.maximum(wind - 15, 0) + 0.8 * (freezing & (vis < 2)))


def readings(rng, n):
    """Readings distributed roughly as eddy gen's: mph, Fahrenheit, miles."""
    limit = rng.choice(LIMITS, size=n)
    temp = rng.normal(45, 18, n)
    wind = np.abs(rng.normal(9, 7, n))
    vis = np.where(rng.uniform(size=n) < 0.8, 10.0, rng.uniform(0.1, 6, n))
    speeder = rng.uniform(size=n) < 0.07
    speed = np.where(speeder, limit * (1.1 + 0.25 * rng.uniform(size=n)),
                     limit * (0.93 + 0.09 * rng.standard_normal(n)))
    speed = np.where(vis < 1, speed * 0.85, speed)
    logit = incident_logit(speed, limit, temp, wind, vis)
    incident = (rng.uniform(size=n) < 1 / (1 + np.exp(-logit))).astype(np.float64)
    x = np.column_stack([speed, limit, temp, wind, vis])
    # Knock out some values so the trees learn default directions.
    x[rng.uniform(size=x.shape) < 0.05] = np.nan
    return x, incident, logit


def train(params, x, y, rounds, names):
    d = xgb.DMatrix(x, label=y, feature_names=names)
    params = dict(params, seed=7, nthread=1)
    return xgb.train(params, d, num_boost_round=rounds)


def test_rows(rng):
    x, _, _ = readings(rng, 40)
    x[0, :] = np.nan                   # every feature missing
    x[1, 0] = np.nan                   # speed missing
    x[2, 4] = np.nan                   # visibility missing
    x[3, :] = [95.0, 55.0, 20.0, 45.0, 0.2]    # the worst case
    x[4, :] = [0.0, 0.0, 0.0, 0.0, 0.0]
    x[5, :] = [1e30, -1e30, 1e30, -1e30, 1e30]
    return x


def main():
    rng = np.random.RandomState(20240509)
    x, incident, logit = readings(rng, 4000)
    risk_level = np.digitize(logit, [-3.5, -2.0]).astype(np.float64)   # 0, 1, 2
    # stopping distance in feet, more on icy roads
    speed = np.nan_to_num(x[:, 0], nan=50.0)
    icy = np.nan_to_num(x[:, 2], nan=50.0) < 32
    stop_dist = 1.1 * speed + speed ** 2 / np.where(icy, 10.0, 20.0) + rng.normal(0, 5, len(x))

    models = {
        # name: (params, label, rounds, feature names)
        "binary_logistic": ({"objective": "binary:logistic", "max_depth": 4, "eta": 0.3},
                            incident, 20, FEATURES),
        "reg_squarederror": ({"objective": "reg:squarederror", "max_depth": 4, "eta": 0.3,
                              "base_score": 150.0}, stop_dist, 20, None),
        "multi_softprob": ({"objective": "multi:softprob", "num_class": 3, "max_depth": 3,
                            "eta": 0.3}, risk_level, 10, FEATURES),
        "multi_softmax": ({"objective": "multi:softmax", "num_class": 3, "max_depth": 2,
                           "eta": 0.3}, risk_level, 5, FEATURES),
        # gblinear and dart are scored through a DMatrix, not in place
        "gblinear_logistic": ({"booster": "gblinear", "objective": "binary:logistic",
                               "eta": 0.5}, incident, 10, FEATURES),
        "dart_regression": ({"booster": "dart", "objective": "reg:squarederror", "max_depth": 3,
                             "rate_drop": 0.2, "eta": 0.3}, stop_dist, 8, None),
    }
    rows = test_rows(rng)
    expected = {"rows": [[None if math.isnan(v) else float(v) for v in r] for r in rows],
                "models": {}}
    for name, (params, label, rounds, names) in models.items():
        bst = train(params, x, label, rounds, names)
        for ext in ("json", "ubj"):
            path = os.path.join(HERE, f"{name}.{ext}")
            bst.save_model(path)
            if os.path.getsize(path) > 200_000:
                sys.exit(f"{path} is over 200 KB")
        pred = bst.predict(xgb.DMatrix(rows, feature_names=names))
        outputs = 1 if pred.ndim == 1 else pred.shape[1]
        expected["models"][name] = {
            "objective": params["objective"],
            "num_features": len(FEATURES),
            "feature_names": names,
            "num_outputs": outputs,
            # float32 from xgboost, written as the exact double it widens to
            "predictions": [float(v) for v in pred.reshape(-1)],
        }
    with open(os.path.join(HERE, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
