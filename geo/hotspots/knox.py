"""Near repeats: the Knox space-time interaction test and the near-repeat table."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from geo.errors import InputError

from .inputs import _points_xy, _positive, _xy

__all__ = ["KnoxResult", "incident_xyt", "knox_test", "near_repeat_table"]


@dataclass(frozen=True)
class KnoxResult:
    """Knox test: pairs close in space (<= distance_m) and time (<= days)."""

    distance_m: float
    days: float
    n: int
    observed: int
    expected: float  # S * T / N, the classic Knox expectation (time labels exchangeable)
    simulated_mean: float
    ratio: float  # observed / expected
    p_value: float  # Monte Carlo, one-sided (more close pairs than chance)
    permutations: int
    space_pairs: int
    time_pairs: int


def _t_days(t: Sequence[float] | np.ndarray | pd.Series) -> np.ndarray:
    if isinstance(t, pd.Series) and (pd.api.types.is_datetime64_any_dtype(t)):
        ts = pd.to_datetime(t)
        return ((ts - ts.min()) / pd.Timedelta(days=1)).to_numpy(float)
    arr = np.asarray(t)
    if np.issubdtype(arr.dtype, np.datetime64):
        return (arr - arr.min()) / np.timedelta64(1, "D")
    return arr.astype(float)


def _time_pairs_within(t: np.ndarray, days: float) -> int:
    s = np.sort(t)
    return int((np.searchsorted(s, s + days, side="right") - np.arange(s.size) - 1).sum())


def knox_test(
    x: Sequence[float] | np.ndarray,
    y: Sequence[float] | np.ndarray,
    t: Sequence[float] | np.ndarray | pd.Series,
    *,
    distance_m: float,
    days: float,
    permutations: int = 999,
    seed: int = 20240601,
) -> KnoxResult:
    """Knox space-time interaction test (near repeats).

    Counts pairs of incidents within ``distance_m`` metres and ``days`` days of each other and
    compares the count with a Monte Carlo null where times are permuted among the fixed locations
    (seeded). Space-close pairs come from one k-d tree pair query; each permutation is one
    vectorised pass over those pairs (cost: permutations x space-close pairs).

    Parameters
    ----------
    x, y
        Coordinates (metres, projected CRS).
    t
        Times: days as numbers, or datetimes (numpy or pandas).
    """
    xa, ya = _xy(x, y)
    ta = _t_days(t)
    if ta.shape != xa.shape or not np.isfinite(ta).all():
        raise InputError("knox_test: give one finite time per point", code="hotspots.times")
    d = _positive(distance_m, "distance_m")
    if days < 0:
        raise InputError(f"days={days}: must be >= 0", code="param.at_least", name="days", value=str(days), min=0)
    if permutations < 1:
        raise InputError("permutations must be at least 1", code="param.at_least", name="permutations",
                         value=str(permutations), min=1)
    n = xa.size
    pairs = cKDTree(np.column_stack([xa, ya])).query_pairs(d, output_type="ndarray") if n > 1 else np.empty((0, 2), int)
    i, j = pairs[:, 0], pairs[:, 1]
    obs = int((np.abs(ta[i] - ta[j]) <= days).sum())
    rng = np.random.default_rng(seed)
    sims = np.empty(permutations, dtype=np.int64)
    for k in range(permutations):
        tp = ta[rng.permutation(n)]
        sims[k] = int((np.abs(tp[i] - tp[j]) <= days).sum())
    n_pairs = n * (n - 1) / 2
    tpairs = _time_pairs_within(ta, days)
    expected = pairs.shape[0] * tpairs / n_pairs if n_pairs else 0.0
    p = (1 + int((sims >= obs).sum())) / (permutations + 1)
    return KnoxResult(distance_m=d, days=float(days), n=n, observed=obs, expected=float(expected),
                      simulated_mean=float(sims.mean()), ratio=float(obs / expected) if expected > 0 else float("nan"),
                      p_value=float(p), permutations=int(permutations), space_pairs=int(pairs.shape[0]),
                      time_pairs=tpairs)


def near_repeat_table(
    x: Sequence[float] | np.ndarray,
    y: Sequence[float] | np.ndarray,
    t: Sequence[float] | np.ndarray | pd.Series,
    *,
    distance_bands_m: Sequence[float] = (0, 100, 200, 300, 400, 500),
    time_bands_days: Sequence[float] = (0, 7, 14, 21, 28, 35, 42, 49, 56),
    permutations: int = 99,
    seed: int = 20240601,
) -> pd.DataFrame:
    """The near-repeat risk curve (Ratcliffe's near-repeat calculator): pairs of incidents by
    distance band x time band, against time-permuted expectations.

    Bands are half-open ``[lo, hi)`` (the first distance band includes 0, i.e. the same place).
    ``ratio`` is the Knox ratio, the relative risk that a pair falls in that band compared with no
    space-time interaction: values above 1 for short distances and the first weeks mean that an
    incident raises the risk nearby for that long. ``p_value`` is one-sided, Monte Carlo.

    Returns
    -------
    DataFrame with ``distance_lo_m``, ``distance_hi_m``, ``days_lo``, ``days_hi``, ``observed``,
    ``expected`` (mean over permutations), ``ratio``, ``p_value``.
    """
    xa, ya = _xy(x, y)
    ta = _t_days(t)
    if ta.shape != xa.shape:
        raise InputError("near_repeat_table: give one time per point", code="hotspots.times")
    de = np.asarray(distance_bands_m, float)
    te = np.asarray(time_bands_days, float)
    if de.size < 2 or te.size < 2 or (np.diff(de) <= 0).any() or (np.diff(te) <= 0).any():
        raise InputError("bands must be increasing edges with at least two values each", code="hotspots.bands")
    n = xa.size
    pairs = cKDTree(np.column_stack([xa, ya])).query_pairs(np.nextafter(de[-1], 0), output_type="ndarray")
    i, j = pairs[:, 0], pairs[:, 1]
    dist = np.hypot(xa[i] - xa[j], ya[i] - ya[j])
    db = np.searchsorted(de, dist, side="right") - 1
    ok = (db >= 0) & (db < de.size - 1)
    i, j, db = i[ok], j[ok], db[ok]
    nd, nt = de.size - 1, te.size - 1

    def table(tt: np.ndarray) -> np.ndarray:
        dt = np.abs(tt[i] - tt[j])
        tb = np.searchsorted(te, dt, side="right") - 1
        good = (tb >= 0) & (tb < nt)
        return np.bincount(db[good] * nt + tb[good], minlength=nd * nt)

    obs = table(ta)
    rng = np.random.default_rng(seed)
    sims = np.empty((permutations, nd * nt), dtype=np.int64)
    for k in range(permutations):
        sims[k] = table(ta[rng.permutation(n)])
    exp = sims.mean(axis=0)
    p = (1 + (sims >= obs[None, :]).sum(axis=0)) / (permutations + 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(exp > 0, obs / exp, np.nan)
    di, ti = np.divmod(np.arange(nd * nt), nt)
    return pd.DataFrame({"distance_lo_m": de[di], "distance_hi_m": de[di + 1], "days_lo": te[ti],
                         "days_hi": te[ti + 1], "observed": obs, "expected": exp, "ratio": ratio,
                         "p_value": p})


def incident_xyt(incidents: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Coordinates (m) and times (days since the earliest incident, local wall-clock) of incident
    points, for :func:`knox_test` and :func:`near_repeat_table`.

    Raises
    ------
    CRSError
        When the incidents are not in a projected CRS (use ``.to_crs(working_crs)``).
    """
    x, y = _points_xy(incidents, "incidents")
    if "occurred_at" not in incidents.columns:
        raise InputError("incidents have no 'occurred_at' column", code="layer.missing_columns",
                         layer="incidents", columns="occurred_at")
    occ = pd.to_datetime(incidents["occurred_at"])
    if getattr(occ.dt, "tz", None) is not None:
        occ = occ.dt.tz_localize(None)
    return x, y, _t_days(occ)
