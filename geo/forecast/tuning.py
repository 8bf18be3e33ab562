"""Tuning the ``shrinkage`` parameters by a rolling-origin backtest on early weeks."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.errors import InputError

from .design import _Design, _prepare
from .methods import _DEFAULT_PARAMS, _method_scores, _shrinkage_weights, _smoothed
from .params import ShrinkageParams
from .scoring import _fill

__all__ = ["tune_shrinkage"]


def _weekly_actual(d: _Design, weeks: np.ndarray, horizon_days: float) -> np.ndarray:
    out = np.zeros((weeks.size, d.places.n))
    for k, w in enumerate(weeks):
        lo = 7.0 * (w - 1)
        out[k] = d.counts(d.window(lo, lo + horizon_days))
    return out


@dataclass(frozen=True)
class _Grid:
    bandwidths_m: tuple[float, ...] = (100.0, 150.0, 200.0, 300.0)
    alphas_weeks: tuple[float, ...] = (0.0, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0)
    taus_weeks: tuple[float, ...] = (13.0, 26.0, math.inf)
    prospective: tuple[float, ...] = (0.0, 0.1, 0.25)


def _tune(d: _Design, wk: np.ndarray, *, coverage: float, grid: _Grid, tolerance: float) -> tuple[ShrinkageParams, pd.DataFrame]:
    actual = _weekly_actual(d, wk, 7.0)
    total = actual.sum()
    m = d.places.measure
    cov = np.array([coverage])
    pros = [_method_scores(d, "prospective", 7.0 * (w - 1), 7.0, _DEFAULT_PARAMS["prospective"]) for w in wk]
    rows = []
    bases = {}
    for tau_w in grid.taus_weeks:
        p0 = ShrinkageParams(alpha_weeks=0.0, tau_weeks=tau_w)
        weights = [_shrinkage_weights(d, 7.0 * (w - 1), p0) for w in wk]
        bases[tau_w] = (weights, [(d.counts(wv), T) for wv, T in weights])
    smooth = any(a > 0 for a in grid.alphas_weeks)
    for h in grid.bandwidths_m:
        for tau_w in grid.taus_weeks:
            weights, base = bases[tau_w]
            S_list = [_smoothed(d, wv, n, h) if smooth else None for (wv, _), (n, _) in zip(weights, base)]
            for a in grid.alphas_weeks:
                if a == 0 and h != grid.bandwidths_m[0]:
                    continue  # no smoothing: the bandwidth plays no part
                for pr in grid.prospective:
                    hits = 0.0
                    for (n, T), S, ps, act in zip(base, S_list, pros, actual):
                        rate = (n + a * S / T) / (T + a) if a > 0 else n
                        if pr > 0 and ps.sum() > 0 and rate.sum() > 0:
                            rate = (1 - pr) * rate + pr * ps * (rate.sum() / ps.sum())
                        hits += float(_fill(rate / m, act, m, cov)[0])
                    rows.append({"bandwidth_m": float(h), "alpha_weeks": float(a), "tau_weeks": float(tau_w),
                                 "prospective": float(pr), "hit_rate": hits / total if total else np.nan})
        d.drop_kernels()  # one bandwidth's matrix at a time
    table = pd.DataFrame(rows)
    best_hr = table["hit_rate"].max()
    near = table[table["hit_rate"] >= best_hr - tolerance].assign(
        _pros=lambda f: (f["prospective"] > 0).astype(int),
        _decay=lambda f: np.isfinite(f["tau_weeks"]).astype(int))
    pick = near.sort_values(["_pros", "_decay", "hit_rate", "alpha_weeks", "bandwidth_m"],
                            ascending=[True, True, False, True, True], kind="stable").iloc[0]
    table["chosen"] = table.index == pick.name
    best = ShrinkageParams(bandwidth_m=float(pick["bandwidth_m"]), alpha_weeks=float(pick["alpha_weeks"]),
                           tau_weeks=float(pick["tau_weeks"]), prospective=float(pick["prospective"]))
    return best, table


def tune_shrinkage(
    incidents: gpd.GeoDataFrame,
    *,
    cells: gpd.GeoDataFrame,
    weeks: tuple[int, int] = (2, 13),
    origin: Any = None,
    coverage: float = 0.05,
    bandwidths_m: Sequence[float] = _Grid.bandwidths_m,
    alphas_weeks: Sequence[float] = _Grid.alphas_weeks,
    taus_weeks: Sequence[float] = _Grid.taus_weeks,
    prospective: Sequence[float] = _Grid.prospective,
    tolerance: float = 0.001,
    categories: Iterable[str] | str | None = None,
) -> tuple[ShrinkageParams, pd.DataFrame]:
    """Choose the ``shrinkage`` parameters by a rolling-origin backtest on ``weeks`` only.

    Every combination of the candidate values is scored by its pooled hit rate at ``coverage``
    over the forecasts for weeks ``weeks[0]..weeks[1]`` (each from the data before that week).
    Among the combinations within ``tolerance`` (default 0.001, a tenth of a percentage point) of
    the best, the simplest is chosen: no prospective term, then no decay, then the highest hit
    rate, then the least smoothing. Use weeks that precede the evaluated weeks.

    Returns
    -------
    best, table
        The chosen :class:`ShrinkageParams` and every combination's ``hit_rate`` (``chosen`` marks
        the pick).
    """
    d = _prepare(incidents, cells, categories=categories, origin=origin)
    wk = np.arange(int(weeks[0]), int(weeks[1]) + 1)
    if wk.size == 0 or wk[0] < 2:
        raise InputError(f"weeks={weeks}: tune on weeks >= 2 (week 1 has no history)", code="forecast.tune_weeks",
                         first=int(weeks[0]), last=int(weeks[1]))
    grid = _Grid(tuple(bandwidths_m), tuple(alphas_weeks), tuple(taus_weeks), tuple(prospective))
    return _tune(d, wk, coverage=coverage, grid=grid, tolerance=tolerance)
