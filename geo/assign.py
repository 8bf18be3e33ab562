"""Put points in their places: snap to the nearest road edge, tag with the areas that hold them.

Vectorised with shapely 2's STRtree; every function works in the working CRS (metres) and refuses
geographic coordinates.
"""

from __future__ import annotations

from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.crs import require_metric
from geo.errors import CRSError

__all__ = ["snap_to_edges", "tag_areas", "require_metric"]


def snap_to_edges(
    points: gpd.GeoSeries,
    edges: gpd.GeoDataFrame,
    *,
    max_distance_m: float = 100.0,
    id_column: str = "edge_id",
) -> pd.DataFrame:
    """Snap points onto the nearest road edge.

    Parameters
    ----------
    points
        Points in the working CRS.
    edges
        Road edges (LineString) in the same CRS, with an ``id_column``. Of the two directed copies of a
        two-way street the one with the smaller id is chosen, so results are stable.
    max_distance_m
        Points farther than this from every edge are not snapped (edge id NA).

    Returns
    -------
    DataFrame
        Indexed like ``points``: ``edge_id`` (nullable int), ``snap_distance_m`` (metres) and
        ``snapped`` (the nearest point on the edge, or the original point when not snapped).
    """
    require_metric(points, "points")
    require_metric(edges, "road edges")
    if not points.crs.equals(edges.crs):
        raise CRSError(
            f"points are in {points.crs.to_string()} but road edges in {edges.crs.to_string()}; "
            f"reproject one with .to_crs(...)",
            code="crs.mismatch", a="points", a_crs=points.crs.to_string(), b="road edges", b_crs=edges.crs.to_string(),
        )
    n = len(points)
    edge_ids = pd.array([pd.NA] * n, dtype="Int64")
    dist = np.full(n, np.nan)
    snapped = points.to_numpy().copy()
    if n == 0 or len(edges) == 0:
        return pd.DataFrame({"edge_id": edge_ids, "snap_distance_m": dist, "snapped": snapped}, index=points.index)
    order = np.argsort(edges[id_column].to_numpy(), kind="stable")
    if {"u", "v"} <= set(edges.columns):
        # the two directed copies of a street share one geometry: keep the smaller id of each pair
        u, v = edges["u"].to_numpy()[order], edges["v"].to_numpy()[order]
        k = edges["key"].to_numpy()[order] if "key" in edges.columns else np.zeros(len(order), dtype=int)
        pair = pd.DataFrame({"a": np.minimum(u, v), "b": np.maximum(u, v), "k": k})
        order = order[~pair.duplicated().to_numpy()]
    lines = edges.geometry.to_numpy()[order]
    ids = edges[id_column].to_numpy()[order]
    tree = shapely.STRtree(lines)
    geoms = points.to_numpy()
    valid = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    (pi, li), d = tree.query_nearest(geoms[valid], max_distance=max_distance_m, return_distance=True, all_matches=True)
    # keep the first (smallest-id) edge per point among equally near ones
    first = np.unique(pi, return_index=True)[1]
    pi, li, d = pi[first], li[first], d[first]
    target = np.flatnonzero(valid)[pi]
    edge_ids[target] = ids[li]
    dist[target] = d
    along = shapely.line_locate_point(lines[li], geoms[target])
    snapped[target] = shapely.line_interpolate_point(lines[li], along)
    return pd.DataFrame({"edge_id": edge_ids, "snap_distance_m": dist, "snapped": snapped}, index=points.index)


def tag_areas(points: gpd.GeoSeries, areas: Mapping[str, tuple[gpd.GeoDataFrame, str]]) -> pd.DataFrame:
    """For each point, the id of the area of each layer that holds it (NA outside all).

    Parameters
    ----------
    points
        Points in the working CRS.
    areas
        Output column -> (polygon layer, its id column). Where polygons overlap, the one listed first
        in the layer wins.
    """
    out = pd.DataFrame(index=points.index)
    geoms = points.to_numpy()
    for column, (layer, id_col) in areas.items():
        values = pd.array([pd.NA] * len(points), dtype="string")
        if len(layer) and len(points):
            if not layer.crs.equals(points.crs):
                raise CRSError(
                    f"{column}: polygons in {layer.crs.to_string()} but points in {points.crs.to_string()}; "
                    f"reproject with .to_crs(...)",
                    code="crs.mismatch", a=column, a_crs=layer.crs.to_string(), b="points",
                    b_crs=points.crs.to_string(),
                )
            tree = shapely.STRtree(layer.geometry.to_numpy())
            pi, ai = tree.query(geoms, predicate="intersects")
            first = np.unique(pi, return_index=True)[1]
            values[pi[first]] = layer[id_col].astype("string").to_numpy()[ai[first]]
        out[column] = values
    return out
