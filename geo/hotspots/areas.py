"""Incidents per area: counts and rates per sub-zone and per neighborhood (小区)."""

from __future__ import annotations

from collections.abc import Iterable

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.crs import require_metric
from geo.errors import CRSError

from .inputs import _M2_PER_KM2, select_incidents

__all__ = ["counts_by_neighborhood", "counts_by_subzone"]


def _locate_in_polygons(px: np.ndarray, py: np.ndarray, polys: np.ndarray) -> np.ndarray:
    """Index of the polygon holding each point (first match; -1 when none)."""
    out = np.full(px.size, -1, dtype=np.int64)
    if px.size == 0 or len(polys) == 0:
        return out
    tree = shapely.STRtree(polys)
    pts = shapely.points(px, py)
    pi, gi = tree.query(pts, predicate="intersects")
    # first polygon per point (stable: lowest polygon index)
    order = np.lexsort((gi, pi))
    pi, gi = pi[order], gi[order]
    first = np.ones(pi.size, dtype=bool)
    first[1:] = pi[1:] != pi[:-1]
    out[pi[first]] = gi[first]
    return out


def _area_keys(incidents: gpd.GeoDataFrame, areas: gpd.GeoDataFrame, id_col: str, what: str) -> np.ndarray:
    """Position in ``areas`` of each incident: from the incident's ``id_col`` where given, else by
    point-in-polygon."""
    ids = areas[id_col].astype(str).to_numpy()
    lut = pd.Index(ids)
    pos = np.full(len(incidents), -1, dtype=np.int64)
    if id_col in incidents.columns:
        given = incidents[id_col]
        known = given.notna().to_numpy()
        if known.any():
            pos[known] = lut.get_indexer(given[known].astype(str).to_numpy())
    todo = pos < 0
    if todo.any():
        require_metric(incidents, "incidents")
        require_metric(areas, what)
        if not incidents.crs.equals(areas.crs):
            raise CRSError(
                f"incidents are in {incidents.crs.to_string()} but {what} in {areas.crs.to_string()}; "
                f"bring them into one CRS with .to_crs(...)",
                code="crs.mismatch", a="incidents", a_crs=incidents.crs.to_string(), b=what,
                b_crs=areas.crs.to_string(),
            )
        geoms = incidents.geometry.to_numpy()[todo]
        found = _locate_in_polygons(shapely.get_x(geoms), shapely.get_y(geoms), areas.geometry.to_numpy())
        pos[todo] = found
    return pos


def counts_by_subzone(
    incidents: gpd.GeoDataFrame,
    subzones: gpd.GeoDataFrame,
    *,
    categories: Iterable[str] | str | None = None,
    start: object = None,
    end: object = None,
) -> pd.DataFrame:
    """Incidents per sub-zone and per km2.

    Incidents are placed by their ``subzone_id`` when present, else by point in polygon.

    Returns
    -------
    DataFrame with ``subzone_id``, ``count``, ``area_m2``, ``per_km2`` (one row per sub-zone, in
    the sub-zones' order; zero-count sub-zones included).
    """
    sel = select_incidents(incidents, categories=categories, start=start, end=end)
    pos = _area_keys(sel, subzones, "subzone_id", "sub-zones")
    count = np.bincount(pos[pos >= 0], minlength=len(subzones)).astype(np.int64)
    if "area_m2" in subzones.columns:
        area = subzones["area_m2"].to_numpy(float)
    else:
        require_metric(subzones, "sub-zones")
        area = subzones.geometry.area.to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        per = np.where(area > 0, count / area * _M2_PER_KM2, np.nan)
    return pd.DataFrame({"subzone_id": subzones["subzone_id"].astype(str).to_numpy(), "count": count,
                         "area_m2": area, "per_km2": per})


def counts_by_neighborhood(
    incidents: gpd.GeoDataFrame,
    neighborhoods: gpd.GeoDataFrame,
    *,
    categories: Iterable[str] | str | None = None,
    start: object = None,
    end: object = None,
) -> pd.DataFrame:
    """Incidents per neighborhood (小区) and per 1,000 households.

    Returns
    -------
    DataFrame with ``neighborhood_id``, ``count``, ``households``, ``per_1000_households`` (NaN
    where households are unknown or zero).
    """
    sel = select_incidents(incidents, categories=categories, start=start, end=end)
    pos = _area_keys(sel, neighborhoods, "neighborhood_id", "neighborhoods")
    count = np.bincount(pos[pos >= 0], minlength=len(neighborhoods)).astype(np.int64)
    hh = (pd.to_numeric(neighborhoods["households"], errors="coerce").to_numpy(float)
          if "households" in neighborhoods.columns else np.full(len(neighborhoods), np.nan))
    with np.errstate(divide="ignore", invalid="ignore"):
        per = np.where(hh > 0, count / hh * 1000.0, np.nan)
    return pd.DataFrame({"neighborhood_id": neighborhoods["neighborhood_id"].astype(str).to_numpy(),
                         "count": count, "households": hh, "per_1000_households": per})
