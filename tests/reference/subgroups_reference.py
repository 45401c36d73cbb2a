"""Reference for tests/subgroups.test.ts, in numpy, by a different route: the AUC by counting every
positive-negative pair (ties half), percentiles by numpy.percentile, rates from boolean masks.
Reads JSON on stdin: groups of {scores, labels, indices (the TypeScript bootstrap's resamples)},
threshold, level; prints per group the estimate, the interval over the same resamples, and an
interval over numpy's own resamples (default_rng(0)), for a statistical comparison."""
import json
import sys

import numpy as np


def auc(s, y):
    pos, neg = s[y == 1], s[y == 0]
    if len(pos) == 0 or len(neg) == 0:
        return np.nan
    diff = pos[:, None] - neg[None, :]
    return ((diff > 0).sum() + 0.5 * (diff == 0).sum()) / (len(pos) * len(neg))


def interval(values, level):
    values = np.array([v for v in values if np.isfinite(v)])
    a = (1 - level) / 2
    return float(np.percentile(values, 100 * a)), float(np.percentile(values, 100 * (1 - a))), int(len(values))


request = json.load(sys.stdin)
out = []
for g in request["groups"]:
    s = np.array(g["scores"], dtype=float)
    y = np.array(g["labels"], dtype=int)
    t = request["threshold"]
    pred = s >= t
    same = [auc(s[np.array(ix)], y[np.array(ix)]) for ix in g["indices"]]
    rng = np.random.default_rng(0)
    own = [auc(s[ix], y[ix]) for ix in (rng.integers(0, len(s), len(s)) for _ in range(len(g["indices"])))]
    low, high, used = interval(same, request["level"])
    own_low, own_high, _ = interval(own, request["level"])
    tp, fn = int((pred & (y == 1)).sum()), int((~pred & (y == 1)).sum())
    fp, tn = int((pred & (y == 0)).sum()), int((~pred & (y == 0)).sum())
    out.append({
        "group": g["group"], "n": int(len(s)), "positives": int(y.sum()), "auc": float(auc(s, y)),
        "low": low, "high": high, "used": used, "own_low": own_low, "own_high": own_high,
        "sensitivity": tp / (tp + fn) if tp + fn else None, "specificity": tn / (tn + fp) if tn + fp else None,
        "ppv": tp / (tp + fp) if tp + fp else None, "npv": tn / (tn + fn) if tn + fn else None,
    })
json.dump(out, sys.stdout)
