"""Input checks shared by the hotspot analyses, and the selection of incidents by category and time."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.crs import require_metric
from geo.errors import InputError
from geo.schema import CATEGORIES

__all__ = ["select_incidents"]

_M2_PER_KM2 = 1e6


def _xy(x: Sequence[float] | np.ndarray, y: Sequence[float] | np.ndarray, what: str = "points") -> tuple[np.ndarray, np.ndarray]:
    xa = np.asarray(x, dtype=float).ravel()
    ya = np.asarray(y, dtype=float).ravel()
    if xa.shape != ya.shape:
        raise InputError(f"{what}: x has {xa.size} values but y has {ya.size}; give one x and one y per point")
    bad = ~(np.isfinite(xa) & np.isfinite(ya))
    if bad.any():
        raise InputError(
            f"{what}: {int(bad.sum())} point(s) have missing or infinite coordinates "
            f"(first at position {int(np.flatnonzero(bad)[0])}); drop them first",
            code="points.bad_coordinates", what=what, n=int(bad.sum()), first=int(np.flatnonzero(bad)[0]),
        )
    return xa, ya


def _positive(value: float, name: str) -> float:
    v = float(value)
    if not np.isfinite(v) or v <= 0:
        raise InputError(f"{name}={value!r}: must be a positive number of metres", code="param.metres",
                         name=name, value=str(value))
    return v


def _points_xy(frame: gpd.GeoDataFrame | gpd.GeoSeries, what: str) -> tuple[np.ndarray, np.ndarray]:
    require_metric(frame, what)
    geoms = frame.geometry.to_numpy() if isinstance(frame, gpd.GeoDataFrame) else frame.to_numpy()
    if len(geoms) and not (shapely.get_type_id(geoms) == 0).all():
        raise InputError(f"{what}: every geometry must be a Point", code="points.not_points", what=what)
    return _xy(shapely.get_x(geoms), shapely.get_y(geoms), what)


def select_incidents(
    incidents: pd.DataFrame,
    *,
    categories: Iterable[str] | str | None = None,
    start: object = None,
    end: object = None,
) -> pd.DataFrame:
    """Rows of ``incidents`` in ``[start, end)`` whose category (or category group, e.g.
    ``two_robberies_one_theft``) is in ``categories``. Naive times are read in the incidents' zone."""
    out = incidents
    if categories is not None:
        wanted = {categories} if isinstance(categories, str) else set(categories)
        groups = {code for code, (_, _, grp) in CATEGORIES.items() if grp in wanted}
        if "category" not in out.columns:
            raise InputError("incidents have no 'category' column to filter on", code="layer.missing_columns",
                             layer="incidents", columns="category")
        out = out[out["category"].isin(wanted | groups)]
    if start is not None or end is not None:
        if "occurred_at" not in out.columns:
            raise InputError("incidents have no 'occurred_at' column to filter on", code="layer.missing_columns",
                             layer="incidents", columns="occurred_at")
        occ = pd.to_datetime(out["occurred_at"])
        tz = getattr(occ.dt, "tz", None)

        def _ts(v: object) -> pd.Timestamp:
            t = pd.Timestamp(v)
            if tz is not None and t.tzinfo is None:
                t = t.tz_localize(tz)
            return t

        keep = np.ones(len(out), dtype=bool)
        if start is not None:
            keep &= (occ >= _ts(start)).to_numpy()
        if end is not None:
            keep &= (occ < _ts(end)).to_numpy()
        out = out[keep]
    return out
