"""The forecast: places ranked by the risk expected in the days after the last day of data."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.errors import InputError

from .design import _Design, _prepare
from .methods import _method_scores, _resolve, history_days
from .params import _DAY, DEFAULT_METHOD, ShrinkageParams
from .tuning import _Grid, _tune

__all__ = ["forecast"]


def _as_of_tau(d: _Design, as_of: Any) -> float:
    ts = pd.Timestamp(as_of)
    if ts.tzinfo is not None:
        ts = ts.tz_convert(d.tz).tz_localize(None) if d.tz is not None else ts.tz_localize(None)
    start = ts.normalize() + _DAY  # the forecast starts the day after the last day of data
    return (start - d.origin) / _DAY


def forecast(
    incidents: gpd.GeoDataFrame,
    *,
    cells: gpd.GeoDataFrame,
    as_of: Any,
    horizon_days: float = 7.0,
    method: str = DEFAULT_METHOD,
    params: Mapping[str, Any] | ShrinkageParams | None = None,
    categories: Iterable[str] | str | None = None,
    first_at: Any = None,
) -> pd.DataFrame:
    """Rank places by forecast risk for the ``horizon_days`` after ``as_of``.

    Parameters
    ----------
    incidents
        Incident points (working CRS) with tz-aware ``occurred_at``; ``edge_id`` is used to place
        them on street segments.
    cells
        The places: :func:`grid_cells`, sub-zones (polygons) or street segments
        (:func:`geo.hotspots.street_segments`).
    as_of
        The last day of data (a date): incidents up to the end of that day are used; the forecast
        covers ``[as_of + 1 day, + horizon_days)``.
    method, params
        One of :data:`METHODS` and its parameters (see the module notes); ``shrinkage`` takes a
        :class:`ShrinkageParams` or a dict of its fields.
    categories
        Optional category codes or groups to forecast (e.g. ``two_robberies_one_theft``).
    first_at
        When ``incidents`` hold only the last :func:`~geo.forecast.history_days` days before the
        forecast start (a long history read in part), the time of the first incident of the whole
        history (of ``categories``): the result is then the whole history's. Not for a method
        that reads the whole history (``history_days`` None).

    Returns
    -------
    DataFrame sorted by rank: the place id column, ``score`` (method units), ``expected`` (incidents
    expected in the horizon: the score's share times the recent weekly total, the mean of the last
    13 weeks, scaled to the horizon), ``measure`` (m2 or m), ``density`` (expected per km2, or per
    100 m for segments), ``rank`` (1 = highest density), ``cum_share`` (of total area or length
    flagged down to this rank).
    """
    p = _resolve(method, params)
    if first_at is not None and history_days(method, params) is None:
        raise InputError(f"forecast method {method!r} weighs the whole history: give all incidents, not first_at",
                         code="forecast.whole_history", method=str(method))
    d = _prepare(incidents, cells, categories=categories, first_at=first_at)
    tau = _as_of_tau(d, as_of)
    tcfg = p.get("tuning")
    if tcfg:
        if "tune_weeks" in tcfg:
            a, b = (int(v) for v in tcfg["tune_weeks"])
            if 7.0 * b > tau:
                raise InputError(f"tune weeks {a}..{b} end after the forecast start; tune on earlier weeks",
                                 code="forecast.tune_after_start", first=a, last=b)
            best, _ = _tune(d, np.arange(max(a, 2), b + 1), coverage=0.05, grid=_Grid(), tolerance=0.001)
        else:
            window = int(tcfg.get("retune_window", 13))
            # re-anchor the weeks so that week window + 2 starts at the forecast start
            start = d.origin + pd.Timedelta(days=tau)
            d = _prepare(incidents, cells, categories=categories, origin=start - pd.Timedelta(days=7 * (window + 1)))
            tau = 7.0 * (window + 1)
            best, _ = _tune(d, np.arange(2, window + 2), coverage=0.05, grid=_Grid(), tolerance=0.001)
        p = {**p, "shrinkage": best}
    score = _method_scores(d, method, tau, float(horizon_days), p)
    recent = d.window(tau - 91, tau)[d.inside].sum() / 13.0 * float(horizon_days) / 7.0
    total = score.sum()
    expected = score / total * recent if total > 0 else np.zeros_like(score)
    places = d.places
    per = 1e6 if places.kind == "area" else 100.0
    with np.errstate(divide="ignore", invalid="ignore"):
        key = np.where(places.measure > 0, score / places.measure, 0.0)
        density = np.where(places.measure > 0, expected / places.measure * per, 0.0)
    order = np.lexsort((np.arange(places.n), -key))
    out = pd.DataFrame({
        places.id_name: places.ids[order],
        "score": score[order],
        "expected": expected[order],
        "measure": places.measure[order],
        "density": density[order],
        "rank": np.arange(1, places.n + 1),
    })
    out["cum_share"] = np.cumsum(out["measure"].to_numpy()) / places.measure.sum()
    out.attrs.update({"method": method, "as_of": str(pd.Timestamp(as_of).date()),
                      "horizon_days": float(horizon_days),
                      "measure": "area_m2" if places.kind == "area" else "length_m"})
    return out.reset_index(drop=True)
