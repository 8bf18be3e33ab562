"""A gradient-boosted count model on lagged counts (scikit-learn's HistGradientBoosting, Poisson loss).

For a forecast from day ``tau``, each place gets features read at an origin: its counts over the
last 1, 4, 13 and 52 weeks, its weekly rate over the whole history, its counts decayed over two
years, the same weeks a year before, and the same counts smoothed over the neighbours (a Gaussian
kernel of ``bandwidth_m``). The model learns next week's count from the features at each of the
``train_weeks`` origins before ``tau`` (each target fully before ``tau``: no look-ahead), then scores
the places from the features at ``tau``. Deterministic: a fixed seed, no early stopping.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .design import _Design

__all__ = ["boosted_scores"]


def _features(d: _Design, o: float, bandwidth_m: float, first: float) -> np.ndarray:
    def win(lo: float, hi: float) -> np.ndarray:
        return d.window(lo, hi)

    age = o - d.t
    w_all = win(-np.inf, o)
    cols = [d.counts(win(o - 7 * k, o)) for k in (1, 4, 13, 52)]
    span_w = max((o - first) / 7.0, 1.0)
    cols.append(d.counts(w_all) / span_w)
    cols.append(d.counts(np.where(age > 0, np.exp(-np.maximum(age, 0) / (7.0 * 104.0)), 0.0)))
    cols.append(d.counts(win(o - 364, o - 364 + 7)))
    kernel = d.gaussian(bandwidth_m)
    for k in (13, 52):
        cols.append(kernel @ win(o - 7 * k, o))
    cols.append(kernel @ w_all / span_w)
    cols.append(np.log1p(d.places.measure))
    return np.column_stack(cols)


def boosted_scores(d: _Design, tau: float, horizon_days: float, params: Mapping[str, Any]) -> np.ndarray:
    """Expected counts of every place over ``horizon_days`` from ``tau`` (see the module notes)."""
    from sklearn.ensemble import HistGradientBoostingRegressor

    bw = float(params["bandwidth_m"])
    first = float(d.first) if d.first is not None else (float(d.t.min()) if d.t.size else tau)
    X, y = [], []
    for k in range(1, int(params["train_weeks"]) + 1):
        o = tau - 7.0 * k
        if o - first < 7.0:
            break
        X.append(_features(d, o, bw, first))
        y.append(d.counts(d.window(o, o + 7.0)))
    if not X or float(np.sum([v.sum() for v in y])) == 0:
        return d.counts(d.window(-np.inf, tau))  # (nothing to learn from: the history's counts)
    model = HistGradientBoostingRegressor(loss="poisson", max_iter=int(params["iterations"]), learning_rate=0.05,
                                          max_leaf_nodes=15, min_samples_leaf=40, l2_regularization=1.0,
                                          early_stopping=False, random_state=0)
    model.fit(np.vstack(X), np.concatenate(y))
    return model.predict(_features(d, tau, bw, first)) * (float(horizon_days) / 7.0)
