"""Forecast methods: the scores of every place from the history before the forecast start."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import numpy as np

from geo.errors import InputError

from .boosted import boosted_scores
from .design import _Design
from .params import _TUNING_KEYS, DEFAULT_SHRINKAGE, METHODS, ShrinkageParams

_DEFAULT_PARAMS: dict[str, dict[str, Any]] = {
    "naive_recent": {"weeks": 4},
    "naive_since_jan": {},
    "naive_long": {"weeks": 52},
    "naive_all": {},
    "last_year": {"widen_weeks": 2},
    "decayed_long": {"tau_weeks": 104.0},
    "retro_kde": {"weeks": 13, "bandwidth_m": 150.0},
    "prospective": {"bandwidth_m": 400.0, "weeks": 8},
    "decayed": {"tau_weeks": 13.0},
    "blend": {"weights": {"naive_since_jan": 0.75, "prospective": 0.25}},
    "shrinkage": {},
    "boosted": {"train_weeks": 26, "bandwidth_m": 300.0, "iterations": 150},
}


def _method_scores(d: _Design, method: str, tau: float, horizon_days: float, params: Mapping[str, Any]) -> np.ndarray:
    t = d.t
    if method == "naive_recent":
        return d.counts(d.window(tau - 7 * params["weeks"], tau))
    if method == "naive_since_jan":
        return d.counts(d.window(d.jan1(tau), tau))
    if method == "naive_long":
        return d.counts(d.window(tau - 7 * params["weeks"], tau))
    if method == "naive_all":
        return d.counts(d.window(-np.inf, tau))
    if method == "last_year":
        lo = tau - 364 - 7 * params["widen_weeks"]
        hi = min(tau - 364 + horizon_days + 7 * params["widen_weeks"], tau)
        return d.counts(d.window(lo, hi))
    if method == "retro_kde":
        return d.gaussian(params["bandwidth_m"]) @ d.window(tau - 7 * params["weeks"], tau)
    if method == "prospective":
        age_w = np.floor((tau - t) / 7.0)
        w = np.where((t < tau) & (age_w < params["weeks"]), 1.0 / (1.0 + np.maximum(age_w, 0)), 0.0)
        return d.prospective(params["bandwidth_m"]) @ w
    if method in ("decayed", "decayed_long"):
        age = tau - t
        w = np.where(age > 0, np.exp(-np.maximum(age, 0) / (7.0 * params["tau_weeks"])), 0.0)
        return d.counts(w)
    if method == "blend":
        total = np.zeros(d.places.n)
        for name, weight in params["weights"].items():
            s = _method_scores(d, name, tau, horizon_days, _resolve(name, None))
            ssum = s.sum()
            if ssum > 0:
                total += float(weight) * s / ssum
        return total
    if method == "shrinkage":
        p = params["shrinkage"]
        return _shrinkage(d, tau, p)
    if method == "boosted":
        return boosted_scores(d, tau, horizon_days, params)
    raise InputError(f"unknown forecast method {method!r}; use one of {', '.join(METHODS)}",
                     code="forecast.method", value=str(method), known=", ".join(METHODS))


def _shrinkage_weights(d: _Design, tau: float, p: ShrinkageParams) -> tuple[np.ndarray, float]:
    """Point weights of the (decayed) counts before ``tau`` and the history length T in weeks
    (effective weeks under decay)."""
    lo = tau - 7 * p.history_weeks
    before = d.t < tau
    inwin = (d.t >= lo) & before
    if d.first is not None:  # only the recent part of the history was read: its first incident is known
        first = float(np.floor(d.first)) if d.first < tau else tau
    else:
        first = float(np.floor(d.t[before].min())) if before.any() else tau
    span = (tau - max(lo, first)) / 7.0
    if math.isinf(p.tau_weeks):
        return inwin.astype(float), max(span, 1.0 / 7.0)
    w = np.where(inwin, np.exp(-np.maximum(tau - d.t, 0) / (7.0 * p.tau_weeks)), 0.0)
    return w, max(p.tau_weeks * (1 - math.exp(-span / p.tau_weeks)), 1.0 / 7.0)


def _smoothed(d: _Design, w: np.ndarray, n: np.ndarray, bandwidth_m: float) -> np.ndarray:
    """Kernel-smoothed counts, rescaled to the counts' total (the prior redistributes the same
    total: no loss at the edges, and the same scale for street segments)."""
    S = d.gaussian(bandwidth_m) @ w
    total = S.sum()
    return S * (n.sum() / total) if total > 0 else S


def _shrinkage_parts(d: _Design, tau: float, p: ShrinkageParams) -> tuple[np.ndarray, np.ndarray, float]:
    """(counts n, smoothed S, history weeks T) for the shrinkage method."""
    w, T = _shrinkage_weights(d, tau, p)
    n = d.counts(w)
    S = _smoothed(d, w, n, p.bandwidth_m) if p.alpha_weeks > 0 else np.zeros_like(n)
    return n, S, T


def _shrinkage(d: _Design, tau: float, p: ShrinkageParams) -> np.ndarray:
    n, S, T = _shrinkage_parts(d, tau, p)
    rate = (n + p.alpha_weeks * S / T) / (T + p.alpha_weeks)  # posterior mean, incidents per week
    if p.prospective > 0:
        pros = _method_scores(d, "prospective", tau, 7.0, _DEFAULT_PARAMS["prospective"])
        if pros.sum() > 0 and rate.sum() > 0:
            rate = (1 - p.prospective) * rate + p.prospective * pros * (rate.sum() / pros.sum())
    return rate


#: Weeks of history the expected total is scaled by (:func:`geo.forecast.forecast`, the mean of the
#: last 13 weeks).
RECENT_WEEKS = 13


def history_days(method: str, params: Mapping[str, Any] | ShrinkageParams | None = None) -> float | None:
    """How many days before the forecast start ``method`` (with ``params``) reads: incidents before
    them weigh nothing in its scores nor in the expected total (the last :data:`RECENT_WEEKS`
    weeks); ``None`` when it weighs the whole history (``decayed``, whose weights never reach zero,
    ``shrinkage`` tuned on its own weeks, and a blend of either).

    Raises
    ------
    InputError
        An unknown method or parameter (as :func:`geo.forecast.forecast`).
    """
    days = _history_days(method, _resolve(method, params))
    return None if days is None else max(days, 7.0 * RECENT_WEEKS)


def _history_days(method: str, p: Mapping[str, Any]) -> float | None:
    if method in ("naive_recent", "naive_long", "retro_kde", "prospective"):
        return 7.0 * float(p["weeks"])
    if method == "naive_since_jan":
        return 366.0  # 1 January of the year of the day before the start
    if method == "last_year":
        return 364.0 + 7.0 * float(p["widen_weeks"])
    if method == "blend":
        parts = [_history_days(name, _resolve(name, None)) for name in p["weights"]]
        return None if any(v is None for v in parts) else max(parts, default=0.0)  # type: ignore[type-var]
    if method == "shrinkage" and "tuning" not in p:
        s = p["shrinkage"]
        days = 7.0 * float(s.history_weeks)
        if s.prospective > 0:
            days = max(days, 7.0 * float(_DEFAULT_PARAMS["prospective"]["weeks"]))
        return days
    return None


def _resolve(method: str, params: Mapping[str, Any] | ShrinkageParams | None) -> dict[str, Any]:
    if method not in METHODS:
        raise InputError(f"unknown forecast method {method!r}; use one of {', '.join(METHODS)}",
                         code="forecast.method", value=str(method), known=", ".join(METHODS))
    out = dict(_DEFAULT_PARAMS[method])
    if method == "shrinkage":
        if isinstance(params, ShrinkageParams):
            out["shrinkage"] = params
        else:
            given = dict(params or {})
            tuning = {k: given.pop(k) for k in _TUNING_KEYS if k in given}
            fields = set(ShrinkageParams.__dataclass_fields__)
            unknown = set(given) - fields
            if unknown:
                raise InputError(f"shrinkage has no parameter(s) {sorted(unknown)}; known: "
                                 f"{sorted(fields | set(_TUNING_KEYS))}", code="forecast.params",
                                 method="shrinkage", names=", ".join(sorted(unknown)),
                                 known=", ".join(sorted(fields | set(_TUNING_KEYS))))
            out["shrinkage"] = replace(DEFAULT_SHRINKAGE, **given)
            if tuning:
                out["tuning"] = tuning
        return out
    if isinstance(params, ShrinkageParams):
        raise InputError(f"ShrinkageParams given for method {method!r}")
    unknown = set(params or {}) - set(out)
    if unknown:
        raise InputError(f"method {method!r} has no parameter(s) {sorted(unknown)}; known: {sorted(out)}",
                         code="forecast.params", method=str(method), names=", ".join(sorted(unknown)),
                         known=", ".join(sorted(out)))
    out.update(params or {})
    if method == "blend":
        bad = [k for k in out["weights"] if k not in METHODS or k == "blend"]
        if bad:
            raise InputError(f"blend weights name unknown method(s) {bad}", code="forecast.method",
                             value=", ".join(map(str, bad)), known=", ".join(k for k in METHODS if k != "blend"))
    return out
