"""The demo district's true intensity as a backtest row ("oracle")."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse

from geo.demo import TruthModel, expected_counts

from .design import _locate
from .places import _Places, _places

__all__ = ["demo_oracle"]


def demo_oracle(
    truth_layer: pd.DataFrame,
    truth_meta: Mapping[str, Any] | str,
    incidents: gpd.GeoDataFrame,
    cells: gpd.GeoDataFrame,
    *,
    tz: str | None = None,
) -> Callable[[pd.Timestamp, pd.Timestamp], np.ndarray]:
    """The demo district's true intensity as a backtest row ("oracle").

    Wraps :func:`geo.demo.expected_counts` (``forecast=True``: the true model's expectation for the
    window given the history before it) and maps the truth cells onto ``cells`` by the location of
    each truth cell's centre. Pass the result in ``backtest(..., extra_scores={"oracle": ...})``.
    """
    model = TruthModel(truth_layer, truth_meta)
    places = _places(cells)
    overlay = _truth_overlay(truth_layer, places, cells.crs)
    zone = tz or model.tz

    def score(start: pd.Timestamp, end: pd.Timestamp) -> np.ndarray:
        s = pd.Timestamp(start)
        e = pd.Timestamp(end)
        s = s.tz_localize(zone) if s.tzinfo is None else s
        e = e.tz_localize(zone) if e.tzinfo is None else e
        exp = expected_counts(model, None, incidents, s, e, forecast=True).to_numpy(float)
        return overlay @ exp

    return score


def _truth_overlay(truth_layer: pd.DataFrame, places: _Places, crs: Any) -> sparse.csr_matrix:
    """(places x truth cells): the share of each truth cell's expected count that falls in each
    place - by area overlap for polygons, by street length inside the truth cell for segments
    (truth cells without any street go nowhere), by centre location without truth geometry."""
    n_t = len(truth_layer)
    geoms = truth_layer.geometry.to_numpy() if isinstance(truth_layer, gpd.GeoDataFrame) else None
    if geoms is None:
        cx = truth_layer["cx"].to_numpy(float)
        cy = truth_layer["cy"].to_numpy(float)
        pos = _locate(gpd.GeoDataFrame(geometry=shapely.points(cx, cy), crs=crs), places, cx, cy)
        ok = pos >= 0
        return sparse.csr_matrix((np.ones(int(ok.sum())), (pos[ok], np.flatnonzero(ok))), shape=(places.n, n_t))
    ti, pi = shapely.STRtree(places.geoms).query(geoms, predicate="intersects")
    inter = shapely.intersection(geoms[ti], places.geoms[pi])
    if places.kind == "area":
        w = shapely.area(inter) / np.maximum(shapely.area(geoms[ti]), 1e-9)
    else:
        w = shapely.length(inter)
        tot = np.bincount(ti, weights=w, minlength=n_t)
        w = np.where(tot[ti] > 0, w / np.where(tot[ti] > 0, tot[ti], 1.0), 0.0)
    return sparse.csr_matrix((w, (pi, ti)), shape=(places.n, n_t))
