"""Scoring a ranking: hit rate, PAI and PEI at given shares of the area, ties counted fairly."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from geo.errors import InputError

__all__ = ["score_ranking"]


def score_ranking(
    score: Sequence[float] | np.ndarray,
    actual: Sequence[float] | np.ndarray,
    measure: Sequence[float] | np.ndarray | None = None,
    *,
    coverages: Sequence[float] = (0.01, 0.02, 0.05, 0.10),
) -> pd.DataFrame:
    """Hit rate, PAI and PEI of one ranking against what happened.

    Places are flagged in decreasing order of ``score / measure`` until ``coverage`` of the total
    measure; the place crossing the budget and the places tied at the cut count fractionally
    (expected value over random orders of the ties).

    Parameters
    ----------
    score
        Forecast score per place (higher = riskier).
    actual
        Incidents that happened per place in the period.
    measure
        Area (m2) or length (m) per place; default all equal.

    Returns
    -------
    DataFrame with ``coverage``, ``hits``, ``incidents``, ``hit_rate``, ``area_share``, ``pai``,
    ``max_hits`` and ``pei`` (one row per coverage).
    """
    s = np.asarray(score, float).ravel()
    a = np.asarray(actual, float).ravel()
    m = np.ones_like(s) if measure is None else np.asarray(measure, float).ravel()
    if not (s.shape == a.shape == m.shape):
        raise InputError("score, actual and measure must have one value per place")
    if (m <= 0).any():
        raise InputError("every place needs a positive measure (area or length)")
    covs = np.asarray(coverages, float)
    if ((covs <= 0) | (covs > 1)).any():
        raise InputError(f"coverages {list(coverages)}: each must be in (0, 1]", code="forecast.coverages",
                         value=", ".join(map(str, coverages)))
    hits = _fill(s / m, a, m, covs)
    best = _fill(a / m, a, m, covs)
    total = a.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        hr = np.where(total > 0, hits / total, np.nan)
        pei = np.where(best > 0, hits / best, np.nan)
    return pd.DataFrame({"coverage": covs, "hits": hits, "incidents": total, "hit_rate": hr,
                         "area_share": covs, "pai": hr / covs, "max_hits": best, "pei": pei})


def _fill(key: np.ndarray, actual: np.ndarray, measure: np.ndarray, covs: np.ndarray) -> np.ndarray:
    """Hits when flagging by decreasing ``key`` up to each coverage, ties and the crossing group
    counted fractionally."""
    equal = measure.size > 0 and measure.max() == measure.min()
    if not equal:
        order = np.argsort(-key)  # ties are handled below, so the sort need not be stable
        cum_m = np.cumsum(measure[order])
        total = cum_m[-1]
    else:
        total = measure[0] * measure.size
        neg = -key
    out = np.empty(covs.size)
    for c, cov in enumerate(covs):
        budget = cov * total
        if equal:
            pos = min(max(int(math.ceil(cov * measure.size - 1e-9)) - 1, 0), key.size - 1)
            kc = -np.partition(neg, pos)[pos]  # key of the place that reaches the budget
        else:
            pos = min(int(np.searchsorted(cum_m, budget * (1 - 1e-12), side="left")), key.size - 1)
            kc = key[order[pos]]
        above = key > kc
        tied = key == kc
        m_above = measure[above].sum()
        frac = min(max((budget - m_above) / measure[tied].sum(), 0.0), 1.0)
        out[c] = actual[above].sum() + frac * actual[tied].sum()
    return out
