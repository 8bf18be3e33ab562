"""Street segments: undirected segments from directed road edges, incidents per segment and per 100 m."""

from __future__ import annotations

from collections.abc import Iterable

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.crs import require_metric
from geo.errors import InputError

from .inputs import select_incidents

__all__ = ["counts_by_segment", "street_segments"]


def street_segments(edges: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Undirected street segments from directed road edges (a two-way street is stored once per
    direction, osmnx style; both copies become one segment).

    Returns
    -------
    GeoDataFrame with ``segment_id`` (0..n-1), ``u``, ``v`` (``u <= v``), ``length_m``,
    ``highway``, ``name`` (where given), ``edge_ids`` (list of the directed edge ids) and the
    geometry of the first edge, in the edges' CRS.
    """
    require_metric(edges, "road edges")
    if len(edges) == 0:
        raise InputError("no road edges; import a road network first (patrolnet init --osm)", code="data.no_roads")
    for col in ("edge_id", "u", "v"):
        if col not in edges.columns:
            raise InputError(f"road edges have no '{col}' column; re-import the road network",
                             code="layer.missing_columns", layer="road_edges", columns=col)
    geoms = edges.geometry.to_numpy()
    canon = shapely.normalize(shapely.set_precision(geoms, 0.01))
    wkb = pd.Series(shapely.to_wkb(canon), index=edges.index)
    u = edges["u"].to_numpy(np.int64)
    v = edges["v"].to_numpy(np.int64)
    lo, hi = np.minimum(u, v), np.maximum(u, v)
    key = pd.DataFrame({"lo": lo, "hi": hi, "wkb": wkb.to_numpy()})
    seg = key.groupby(["lo", "hi", "wkb"], sort=False).ngroup().to_numpy()
    order = np.argsort(seg, kind="stable")
    first = np.unique(seg[order], return_index=True)[1]
    first_rows = order[first]
    length = (edges["length_m"].astype(float).to_numpy() if "length_m" in edges.columns
              else edges.geometry.length.to_numpy())
    eids = edges["edge_id"].to_numpy()
    grouped = pd.Series(eids[order]).groupby(seg[order]).agg(list)
    out = pd.DataFrame({
        "segment_id": np.arange(first_rows.size),
        "u": lo[first_rows],
        "v": hi[first_rows],
        "length_m": length[first_rows],
    })
    for col in ("highway", "name"):
        if col in edges.columns:
            out[col] = edges[col].to_numpy()[first_rows]
    out["edge_ids"] = grouped.to_numpy()
    return gpd.GeoDataFrame(out, geometry=geoms[first_rows], crs=edges.crs)


def counts_by_segment(
    incidents: gpd.GeoDataFrame,
    segments: gpd.GeoDataFrame,
    *,
    max_distance_m: float = 50.0,
    categories: Iterable[str] | str | None = None,
    start: object = None,
    end: object = None,
) -> pd.DataFrame:
    """Incidents per street segment and per 100 m of road.

    Incidents are placed by their ``edge_id`` (street incidents snapped at import) where present,
    else on the nearest segment within ``max_distance_m`` (others are not counted).

    Returns
    -------
    DataFrame with ``segment_id``, ``count``, ``length_m``, ``per_100m``.
    """
    sel = select_incidents(incidents, categories=categories, start=start, end=end)
    pos = _segment_positions(sel, segments, max_distance_m=max_distance_m)
    count = np.bincount(pos[pos >= 0], minlength=len(segments)).astype(np.int64)
    length = segments["length_m"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        per = np.where(length > 0, count / length * 100.0, np.nan)
    return pd.DataFrame({"segment_id": segments["segment_id"].to_numpy(), "count": count,
                         "length_m": length, "per_100m": per})


def _segment_positions(incidents: gpd.GeoDataFrame, segments: gpd.GeoDataFrame, *, max_distance_m: float) -> np.ndarray:
    pos = np.full(len(incidents), -1, dtype=np.int64)
    if len(incidents) == 0:
        return pos
    if "edge_id" in incidents.columns and "edge_ids" in segments.columns:
        lens = segments["edge_ids"].map(len).to_numpy()
        flat = np.concatenate([np.asarray(v) for v in segments["edge_ids"].to_numpy()]) if lens.sum() else np.array([])
        lut = pd.Series(np.repeat(np.arange(len(segments)), lens), index=pd.Index(flat))
        lut = lut[~lut.index.duplicated()]
        e = incidents["edge_id"]
        known = e.notna().to_numpy()
        if known.any():
            got = lut.reindex(e[known].astype(np.int64).to_numpy()).to_numpy()
            got = np.where(np.isnan(got), -1, got).astype(np.int64)
            pos[known] = got
    todo = pos < 0
    if todo.any():
        require_metric(incidents, "incidents")
        require_metric(segments, "street segments")
        tree = shapely.STRtree(segments.geometry.to_numpy())
        pi, si = tree.query_nearest(incidents.geometry.to_numpy()[todo], max_distance=max_distance_m,
                                    all_matches=False)
        sub = np.full(int(todo.sum()), -1, dtype=np.int64)
        sub[pi] = si
        pos[todo] = sub
    return pos
