"""The rolling-origin weekly backtest: every method forecast from the data before each week and
scored against what happened in it."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.errors import InputError

from .design import _prepare
from .methods import _method_scores, _resolve
from .params import BASELINES, ShrinkageParams
from .scoring import _fill
from .tuning import _Grid, _tune, _weekly_actual

__all__ = ["MethodSpec", "backtest"]


MethodSpec = str | tuple[str, str, Mapping[str, Any] | ShrinkageParams | None]


def _specs(methods: Iterable[MethodSpec]) -> list[tuple[str, str, dict[str, Any]]]:
    out = []
    for m in methods:
        if isinstance(m, str):
            out.append((m, m, _resolve(m, None)))
        else:
            label, name, params = m
            out.append((label, name, _resolve(name, params)))
    labels = [o[0] for o in out]
    if len(set(labels)) != len(labels):
        raise InputError(f"method labels must be unique: {labels}", code="forecast.labels",
                         labels=", ".join(map(str, labels)))
    return out


#: Resamples of the weeks for the paired bootstrap of a method's difference to the best baseline.
BOOTSTRAP = 2000


def _versus_counting(hits: np.ndarray, incidents: np.ndarray, is_baseline: Sequence[bool],
                     ) -> tuple[int | None, dict[str, np.ndarray]]:
    """Each method's pooled hit rate minus the best counting baseline's, with a paired bootstrap
    95 % interval over the evaluated weeks (the same resampled weeks for both; seeded, so the same
    table twice). ``hits``: (methods, weeks) at one coverage. Returns the best baseline's row and the
    columns ``vs_best_baseline``, ``vs_ci_low``, ``vs_ci_high`` and ``verdict`` (``better``: the
    interval above zero; ``worse``: below; ``tie``: no better than counting)."""
    n_methods, n_weeks = hits.shape
    empty = {"vs_best_baseline": np.full(n_methods, np.nan), "vs_ci_low": np.full(n_methods, np.nan),
             "vs_ci_high": np.full(n_methods, np.nan), "verdict": np.full(n_methods, None, dtype=object)}
    base = np.flatnonzero(np.asarray(is_baseline, dtype=bool))
    total = float(incidents.sum())
    if not len(base) or total <= 0:
        return None, empty
    b = int(base[np.argmax(hits[base].sum(axis=1))])  # ties: the first listed
    diff = (hits.sum(axis=1) - hits[b].sum()) / total
    idx = np.random.default_rng(0).integers(0, n_weeks, size=(BOOTSTRAP, n_weeks))
    n_res = incidents[idx].sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        res = (hits[:, idx].sum(axis=2) - hits[b][idx].sum(axis=1)) / np.where(n_res > 0, n_res, np.nan)
    lo, hi = np.nanpercentile(res, 2.5, axis=1), np.nanpercentile(res, 97.5, axis=1)
    verdict = np.where(lo > 0, "better", np.where(hi < 0, "worse", "tie")).astype(object)
    verdict[b] = "tie"
    return b, {"vs_best_baseline": diff, "vs_ci_low": lo, "vs_ci_high": hi, "verdict": verdict}


def backtest(
    incidents: gpd.GeoDataFrame,
    *,
    cells: gpd.GeoDataFrame,
    start_week: int,
    end_week: int,
    methods: Iterable[MethodSpec] = ("naive_recent", "naive_since_jan", "naive_long", "naive_all", "last_year",
                                     "decayed_long", "retro_kde", "prospective", "decayed", "blend", "shrinkage"),
    coverages: Sequence[float] = (0.01, 0.02, 0.05, 0.10),
    origin: Any = None,
    horizon_days: float = 7.0,
    tune_weeks: tuple[int, int] | None = None,
    extra_scores: Mapping[str, Callable[[pd.Timestamp, pd.Timestamp], np.ndarray]] | None = None,
    categories: Iterable[str] | str | None = None,
    weekly: bool = False,
) -> pd.DataFrame:
    """Rolling-origin weekly backtest: for each week, forecast from the data before it and score
    against what happened in it (:func:`score_ranking`), every method side by side.

    Parameters
    ----------
    start_week, end_week
        Evaluated weeks (1-based, inclusive); week ``w`` is ``[origin + 7 (w - 1) days, + 7 days)``.
    origin
        Day 1 of week 1 (default: 1 January of the first incident's year), local time.
    methods
        Method names, or ``(label, method, params)`` tuples for variants. ``shrinkage`` params may
        ask for tuning instead of fixed values: ``{"tune_weeks": (2, 13)}`` (once, on those weeks,
        which must precede ``start_week``) or ``{"retune_every": 4, "retune_window": 13}`` (every 4
        evaluated weeks, on the 13 weeks before; honest: only data before each forecast is used).
    tune_weeks
        Shorthand: tune every plain ``"shrinkage"`` entry on these weeks.
    extra_scores
        Extra rows, e.g. ``{"oracle": demo_oracle(...)}``: callables ``(start, end) -> score per
        place`` (local naive timestamps of the forecast window), places in the order of ``cells``.
    weekly
        Also return per-week hits (``result.attrs["weekly"]``).

    Returns
    -------
    DataFrame with one row per method and coverage: ``method``, ``coverage``, ``hit_rate``
    (pooled: all hits / all incidents), ``hit_rate_weekly_mean``, ``area_share``, ``pai``, ``pei``
    (pooled hits / pooled maximum), ``weeks``, ``incidents``, ``empty_weeks`` (weeks whose forecast
    had no data and so ranks at random), ``best_baseline`` (the counting baseline,
    :data:`geo.forecast.params.BASELINES`, with the most hits at that coverage) and the method's
    difference to it in pooled hit rate with a paired bootstrap 95 % interval over the weeks:
    ``vs_best_baseline``, ``vs_ci_low``, ``vs_ci_high``, ``verdict`` (``better`` / ``tie`` = no
    better than counting / ``worse``). ``attrs["params"]`` holds the parameters each tuned
    method used, per week.
    """
    if end_week < start_week or start_week < 2:
        raise InputError(f"weeks {start_week}..{end_week}: need 2 <= start_week <= end_week",
                         code="forecast.weeks", start=start_week, end=end_week)
    d = _prepare(incidents, cells, categories=categories, origin=origin)
    specs = _specs(methods)
    if tune_weeks is not None:
        specs = [(lb, nm, {**p, "tuning": {"tune_weeks": tuple(tune_weeks)}})
                 if nm == "shrinkage" and isinstance(mm, str) else (lb, nm, p)
                 for (lb, nm, p), mm in zip(specs, methods)]
    wk = np.arange(int(start_week), int(end_week) + 1)
    # parameters per tuned spec and week
    chosen: dict[str, list[ShrinkageParams]] = {}
    tables: dict[str, pd.DataFrame] = {}
    cache: dict[tuple[int, int], tuple[ShrinkageParams, pd.DataFrame]] = {}

    def tuned(a: int, b: int) -> tuple[ShrinkageParams, pd.DataFrame]:
        if (a, b) not in cache:
            cache[(a, b)] = _tune(d, np.arange(a, b + 1), coverage=0.05, grid=_Grid(), tolerance=0.001)
        return cache[(a, b)]

    for label, name, p in specs:
        tcfg = p.get("tuning")
        if not tcfg:
            continue
        if "tune_weeks" in tcfg:
            a, b = (int(v) for v in tcfg["tune_weeks"])
            if b >= start_week:
                raise InputError(f"{label}: tune weeks {a}..{b} overlap the evaluated weeks from "
                                 f"{start_week}; tune on earlier weeks only",
                                 code="param.tune_weeks_order", first=a, last=b, start=start_week)
            best, table = tuned(max(a, 2), b)
            chosen[label] = [best] * wk.size
            tables[label] = table
        else:
            every = int(tcfg.get("retune_every", 4))
            window = int(tcfg.get("retune_window", 13))
            if every < 1 or window < 1:
                raise InputError(f"{label}: retune_every and retune_window must be whole numbers of weeks >= 1, "
                                 f"not {every} and {window}", code="param.retune", every=every, window=window)
            seq = []
            best = p["shrinkage"]  # before any week to tune on (week 2): the method's own parameters
            for k, w in enumerate(wk):
                if k % every == 0 and int(w) - 1 >= 2:  # tuning needs a week with a week of history before it
                    best, _ = tuned(max(2, int(w) - window), int(w) - 1)
                seq.append(best)
            chosen[label] = seq
    actual = _weekly_actual(d, wk, float(horizon_days))
    m = d.places.measure
    covs = np.asarray(coverages, float)
    labels = [s[0] for s in specs] + list(extra_scores or {})
    hits = np.zeros((len(labels), wk.size, covs.size))
    best_hits = np.zeros((wk.size, covs.size))
    empty = np.zeros(len(labels), dtype=int)
    for k, w in enumerate(wk):
        tau = 7.0 * (w - 1)
        best_hits[k] = _fill(actual[k] / m, actual[k], m, covs)
        scores = []
        for label, name, p in specs:
            if label in chosen:
                p = {**p, "shrinkage": chosen[label][k]}
            scores.append(_method_scores(d, name, tau, float(horizon_days), p))
        for label, fn in (extra_scores or {}).items():
            start = d.origin + pd.Timedelta(days=tau)
            sc = np.asarray(fn(start, start + pd.Timedelta(days=float(horizon_days))), float)
            if sc.shape != (d.places.n,):
                raise InputError(f"extra score {label!r} gave {sc.shape} values for {d.places.n} places")
            scores.append(sc)
        for j, sc in enumerate(scores):
            if not (sc > 0).any():
                empty[j] += 1
            hits[j, k] = _fill(sc / m, actual[k], m, covs)
    inc_w = actual.sum(axis=1)
    is_baseline = [name in BASELINES for _, name, _ in specs] + [False] * len(extra_scores or {})
    versus = [_versus_counting(hits[:, :, c], inc_w, is_baseline) for c in range(covs.size)]
    rows = []
    for j, label in enumerate(labels):
        for c, cov in enumerate(covs):
            h = hits[j, :, c]
            hr = h.sum() / inc_w.sum() if inc_w.sum() else np.nan
            with np.errstate(divide="ignore", invalid="ignore"):
                weekly_hr = np.where(inc_w > 0, h / np.where(inc_w > 0, inc_w, 1), np.nan)
            rows.append({"method": label, "coverage": float(cov), "hit_rate": hr,
                         "hit_rate_weekly_mean": float(np.nanmean(weekly_hr)) if inc_w.any() else np.nan,
                         "area_share": float(cov), "pai": hr / cov,
                         "pei": h.sum() / best_hits[:, c].sum() if best_hits[:, c].sum() else np.nan,
                         "weeks": int(wk.size), "incidents": int(inc_w.sum()), "empty_weeks": int(empty[j]),
                         "best_baseline": labels[versus[c][0]] if versus[c][0] is not None else None,
                         **{k: v[j] for k, v in versus[c][1].items()}})
    out = pd.DataFrame(rows)
    out.attrs.update({"origin": str(d.origin.date()), "weeks": (int(start_week), int(end_week)),
                      "params": {k: v for k, v in chosen.items()}, "tuning_tables": tables})
    if weekly:
        out.attrs["weekly"] = pd.DataFrame({
            "method": np.repeat(labels, wk.size * covs.size),
            "week": np.tile(np.repeat(wk, covs.size), len(labels)),
            "coverage": np.tile(covs, len(labels) * wk.size),
            "hits": hits.ravel(),
            "incidents": np.tile(np.repeat(inc_w, covs.size), len(labels)),
        })
    return out
