"""What the cameras see: metres of street, neighborhood area and entrances, sub-zones, cells, incidents.

Array core: :func:`seen_intervals` (the stretches of each line inside some view, merged), its
reductions :func:`line_seen_m` and :func:`seen_between`, :func:`area_seen_m2` and
:func:`points_seen`. GeoDataFrame adapters: :func:`street_coverage`, :func:`area_coverage`,
:func:`neighborhood_entrances`, :func:`neighborhood_coverage`, :func:`incident_coverage` and the
one-call summary :func:`camera_coverage`. Everything is in the working CRS (metres); views come from
:func:`geo.cameras.views.camera_views`. Overlapping views are never counted twice: stretches of a line
are merged along it, and areas are unions.

Streets: the workspace stores a two-way street as two directed edges (as osmnx does); the copy with
the larger ``edge_id`` of each pair is dropped (:func:`one_copy_per_street`), so a street counts once.

Risk: each adapter takes an optional risk per feature (a column name, or any numeric Series aligned
on the frame's index or on its id column, or an array) and then also reports risk-weighted shares
(sum of risk x seen share over sum of risk).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.cameras.views import grouped_union
from geo.crs import require_metric
from geo.errors import CRSError, InputError

__all__ = [
    "SeenIntervals",
    "seen_intervals",
    "line_seen_m",
    "seen_between",
    "area_seen_m2",
    "points_seen",
    "one_copy_per_street",
    "street_copy_of",
    "resolve_risk",
    "street_coverage",
    "area_coverage",
    "neighborhood_entrances",
    "neighborhood_coverage",
    "incident_coverage",
    "CameraCoverage",
    "camera_coverage",
]


# --------------------------------------------------------------------------------------------
# array core


@dataclass(frozen=True)
class SeenIntervals:
    """Merged, disjoint stretches of lines that lie inside some view.

    Attributes
    ----------
    line
        Index of the line of each stretch (sorted).
    start_m, end_m
        Distance along the line (metres from its first vertex) where the stretch starts and ends.
    n_lines
        Number of lines queried.
    """

    line: np.ndarray
    start_m: np.ndarray
    end_m: np.ndarray
    n_lines: int


def _polygon_parts(views: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    geoms = np.asarray(views, dtype=object)
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    parts, owner = shapely.get_parts(geoms[ok], return_index=True)
    keep = shapely.get_type_id(parts) == 3
    return parts[keep], np.flatnonzero(ok)[owner[keep]]


def _merge(key0: np.ndarray, key1: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Union of 1-D intervals [key0, key1] (any order): sorted disjoint starts and ends."""
    if len(key0) == 0:
        return key0, key1
    order = np.argsort(key0, kind="stable")
    s, e = key0[order], key1[order]
    run = np.maximum.accumulate(e)
    new = np.ones(len(s), dtype=bool)
    new[1:] = s[1:] > run[:-1]
    starts = s[new]
    ends = run[np.r_[np.flatnonzero(new)[1:] - 1, len(s) - 1]]
    return starts, ends


def seen_intervals(views: np.ndarray, lines: np.ndarray) -> SeenIntervals:
    """The stretches of each line inside at least one view (overlaps merged).

    Parameters
    ----------
    views
        View polygons (Polygon/MultiPolygon; empty or None allowed), projected CRS.
    lines
        LineStrings in the same CRS.

    Returns
    -------
    SeenIntervals
        Vectorised: one STRtree query, one ``shapely.contains`` test (a view holding a whole line
        needs no overlay), one ``shapely.intersection`` over the remaining pairs, then the pieces are
        located along their lines and merged with a sort and a running maximum.
    """
    lines = np.asarray(lines, dtype=object)
    n = len(lines)
    parts, _ = _polygon_parts(views)
    empty = SeenIntervals(np.zeros(0, int), np.zeros(0), np.zeros(0), n)
    if n == 0 or len(parts) == 0:
        return empty
    length = shapely.length(lines)
    tree = shapely.STRtree(lines)
    shapely.prepare(parts)
    vi, li = tree.query(parts, predicate="intersects")
    if len(vi) == 0:
        return empty
    whole = shapely.contains(parts[vi], lines[li])
    line_of = [li[whole]]
    s0 = [np.zeros(int(whole.sum()))]
    s1 = [length[li[whole]]]
    rest_v, rest_l = vi[~whole], li[~whole]
    if len(rest_v):
        inter = shapely.intersection(lines[rest_l], parts[rest_v])
        pieces, owner = shapely.get_parts(inter, return_index=True)
        pieces, sub = shapely.get_parts(pieces, return_index=True)
        owner = owner[sub]
        keep = (shapely.get_type_id(pieces) == 1) & (shapely.length(pieces) > 0)
        pieces, owner = pieces[keep], rest_l[owner[keep]]
        plen = shapely.length(pieces)
        mid = shapely.line_locate_point(lines[owner], shapely.line_interpolate_point(pieces, 0.5, normalized=True))
        line_of.append(owner)
        s0.append(np.clip(mid - plen / 2.0, 0.0, length[owner]))
        s1.append(np.clip(mid + plen / 2.0, 0.0, length[owner]))
    line_of_a = np.concatenate(line_of)
    a, b = np.concatenate(s0), np.concatenate(s1)
    # lines laid end to end with a 1 m gap: one global 1-D union
    offset = np.concatenate([[0.0], np.cumsum(length + 1.0)[:-1]])
    g0, g1 = _merge(offset[line_of_a] + a, offset[line_of_a] + b)
    which = np.searchsorted(offset, g0, side="right") - 1
    return SeenIntervals(which, g0 - offset[which], g1 - offset[which], n)


def line_seen_m(intervals: SeenIntervals) -> np.ndarray:
    """Metres seen of each line (sum of its merged stretches)."""
    return np.bincount(intervals.line, weights=intervals.end_m - intervals.start_m, minlength=intervals.n_lines)


def seen_between(intervals: SeenIntervals, line: np.ndarray, from_m: np.ndarray, to_m: np.ndarray) -> np.ndarray:
    """Metres seen of each piece ``[from_m, to_m]`` of line ``line`` (vectorised over pieces)."""
    line = np.asarray(line, dtype=int)
    lo = np.minimum(from_m, to_m)
    hi = np.maximum(from_m, to_m)
    if len(intervals.line) == 0:
        return np.zeros(len(line))
    # global keys: a line's stretches sit in [line * big, line * big + length]
    big = float(max(np.max(intervals.end_m, initial=0.0), np.max(hi, initial=0.0))) + 1.0
    gs = intervals.line * big + intervals.start_m
    ge = intervals.line * big + intervals.end_m
    cum = np.concatenate([[0.0], np.cumsum(ge - gs)])

    def upto(g: np.ndarray) -> np.ndarray:
        k = np.searchsorted(gs, g, side="right") - 1
        ok = k >= 0
        kk = np.where(ok, k, 0)
        part = np.clip(g - gs[kk], 0.0, ge[kk] - gs[kk])
        return np.where(ok, cum[kk] + part, 0.0)

    return upto(line * big + hi) - upto(line * big + lo)


def area_seen_m2(views: np.ndarray, polygons: np.ndarray) -> np.ndarray:
    """Square metres of each polygon inside the union of the views.

    Views touching a polygon are gathered per polygon (STRtree), unioned per polygon
    (:func:`geo.cameras.views.grouped_union`) and intersected with the polygon: all calls vectorised.
    """
    polygons = np.asarray(polygons, dtype=object)
    out = np.zeros(len(polygons))
    parts, _ = _polygon_parts(views)
    if len(polygons) == 0 or len(parts) == 0:
        return out
    tree = shapely.STRtree(parts)
    pi, vi = tree.query(polygons, predicate="intersects")
    if len(pi) == 0:
        return out
    polys, union = grouped_union(parts[vi], pi)
    out[polys] = shapely.area(shapely.intersection(polygons[polys], union))
    return out


def points_seen(views: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Boolean per point: inside (or on the edge of) at least one view."""
    points = np.asarray(points, dtype=object)
    seen = np.zeros(len(points), dtype=bool)
    parts, _ = _polygon_parts(views)
    ok = ~(shapely.is_missing(points) | shapely.is_empty(points)) if len(points) else np.zeros(0, bool)
    if not ok.any() or len(parts) == 0:
        return seen
    idx = np.flatnonzero(ok)
    tree = shapely.STRtree(points[idx])
    _, pi = tree.query(parts, predicate="intersects")
    seen[idx[pi]] = True
    return seen


# --------------------------------------------------------------------------------------------
# helpers for frames


def _check_crs(frame: gpd.GeoDataFrame | gpd.GeoSeries, views: gpd.GeoDataFrame, what: str) -> None:
    require_metric(frame, what)
    if views.crs is not None and not frame.crs.equals(views.crs):
        raise CRSError(
            f"{what} is in {frame.crs.to_string()} but the views in {views.crs.to_string()}; "
            f"reproject one with .to_crs(...)",
            code="crs.mismatch", a=what, a_crs=frame.crs.to_string(), b="camera views", b_crs=views.crs.to_string(),
        )


def one_copy_per_street(edges: pd.DataFrame) -> np.ndarray:
    """Boolean mask keeping one directed copy of each two-way street (the smaller ``edge_id``).

    Two edges are copies when they run ``u -> v`` and ``v -> u`` with the same ``key``, neither is
    one-way and their lengths agree to 1 cm; one-way edges are always kept. Without ``u``/``v``
    columns every edge is kept.
    """
    copy = street_copy_of(edges)
    return copy == np.arange(len(copy))


def street_copy_of(edges: pd.DataFrame) -> np.ndarray:
    """For each row, the row of the copy :func:`one_copy_per_street` keeps of its street (itself when
    it is kept): what is counted per directed edge folds onto one row per street."""
    n = len(edges)
    copy = np.arange(n)
    if n == 0 or not {"u", "v"}.issubset(edges.columns):
        return copy
    ids = edges["edge_id"].to_numpy() if "edge_id" in edges.columns else np.arange(n)
    key = edges["key"].to_numpy() if "key" in edges.columns else np.zeros(n, int)
    oneway = edges["oneway"].fillna(False).to_numpy(dtype=bool) if "oneway" in edges.columns else np.zeros(n, bool)
    length = (edges["length_m"].to_numpy(dtype=float) if "length_m" in edges.columns
              else shapely.length(edges.geometry.to_numpy()))
    df = pd.DataFrame({"row": np.arange(n), "u": edges["u"].to_numpy(), "v": edges["v"].to_numpy(),
                       "key": key, "id": ids, "len": length})[~oneway]
    m = df.merge(df, left_on=["u", "v", "key"], right_on=["v", "u", "key"], suffixes=("", "_r"))
    m = m[(m["row"] != m["row_r"]) & (np.abs(m["len"] - m["len_r"]) < 0.01) & (m["id"] > m["id_r"])]
    copy[m["row"].to_numpy()] = m["row_r"].to_numpy()
    return copy


def resolve_risk(
    frame: pd.DataFrame, risk: Any, *, id_column: str | None = None, what: str = "risk"
) -> np.ndarray | None:
    """Risk per row of ``frame`` as a float array (None when ``risk`` is None).

    ``risk`` is a column name, an array of ``len(frame)``, or a numeric Series indexed like
    ``frame`` or by its ``id_column`` (rows it does not mention get 0). NaN counts as 0.

    Raises
    ------
    InputError
        Unknown column, wrong length, a Series matching neither index, non-numeric or negative risk.
    """
    if risk is None:
        return None
    if isinstance(risk, str):
        if risk not in frame.columns:
            raise InputError(f"{what}: no column {risk!r} in the layer (columns: {', '.join(map(str, frame.columns))})",
                             code="layer.missing_columns", layer=what, columns=str(risk))
        values = frame[risk]
    elif isinstance(risk, pd.Series):
        if risk.index.equals(frame.index):
            values = risk
        elif id_column and id_column in frame.columns and risk.index.isin(frame[id_column]).all():
            values = pd.Series(frame[id_column].map(risk).to_numpy(), index=frame.index)
        elif risk.index.isin(frame.index).all():
            values = risk.reindex(frame.index)
        else:
            raise InputError(
                f"{what}: the Series' index matches neither the layer's index nor its "
                f"{id_column or 'id'} column; index it by one of them"
            )
    else:
        arr = np.asarray(risk)
        if arr.shape != (len(frame),):
            raise InputError(f"{what}: {arr.shape[0] if arr.ndim else 'a scalar'} values for {len(frame)} rows")
        values = pd.Series(arr, index=frame.index)
    out = pd.to_numeric(values, errors="coerce")
    bad = out.isna() & values.notna()
    if bad.any():
        raise InputError(f"{what}: non-numeric value {values[bad].iloc[0]!r} (row {values.index[bad][0]!r})",
                         code="cameras.risk_value", what=what, value=str(values[bad].iloc[0]),
                         row=str(values.index[bad][0]))
    arr = out.to_numpy(dtype=float, na_value=0.0)
    if (arr < 0).any():
        raise InputError(f"{what}: negative value {arr[arr < 0][0]} (risk must be >= 0)", code="cameras.risk_negative",
                         what=what, value=str(arr[arr < 0][0]))
    return arr


def _share(num: float, den: float) -> float:
    return float(num / den) if den > 0 else float("nan")


# --------------------------------------------------------------------------------------------
# adapters


def street_coverage(
    views: gpd.GeoDataFrame,
    edges: gpd.GeoDataFrame,
    *,
    risk: Any = None,
    one_copy: bool = True,
) -> tuple[pd.DataFrame, SeenIntervals]:
    """Metres of each street seen by some camera.

    Parameters
    ----------
    views
        From :func:`geo.cameras.views.camera_views`.
    edges
        ``road_edges`` (LineStrings, same projected CRS) with ``edge_id``.
    risk
        Optional risk per edge (see :func:`resolve_risk`).
    one_copy
        Keep one directed copy of each two-way street (:func:`one_copy_per_street`).

    Returns
    -------
    (DataFrame, SeenIntervals)
        One row per street kept, indexed like ``edges``: ``edge_id``, ``name``, ``highway``,
        ``length_m``, ``seen_m``, ``seen_share`` and ``risk`` (NaN without risk); and the merged
        seen stretches (line numbers are row positions of the frame).
    """
    _check_crs(edges, views, "road edges")
    keep = one_copy_per_street(edges) if one_copy else np.ones(len(edges), bool)
    kept = edges.loc[keep]
    lines = kept.geometry.to_numpy()
    iv = seen_intervals(views.geometry.to_numpy(), lines)
    length = shapely.length(lines)
    seen = np.minimum(line_seen_m(iv), length)
    r = resolve_risk(edges, risk, id_column="edge_id", what="edge risk")
    out = pd.DataFrame(
        {
            "edge_id": kept["edge_id"].to_numpy() if "edge_id" in kept.columns else kept.index.to_numpy(),
            "name": kept["name"].to_numpy() if "name" in kept.columns else None,
            "highway": kept["highway"].to_numpy() if "highway" in kept.columns else None,
            "length_m": length,
            "seen_m": seen,
            "seen_share": np.divide(seen, length, out=np.zeros_like(seen), where=length > 0),
            "risk": r[keep] if r is not None else np.nan,
        },
        index=kept.index,
    )
    return out, iv


def area_coverage(
    views: gpd.GeoDataFrame,
    areas: gpd.GeoDataFrame,
    *,
    id_column: str | None = None,
    risk: Any = None,
) -> pd.DataFrame:
    """Share of each polygon's area seen (sub-zones, hotspot cells, neighborhoods).

    Returns
    -------
    DataFrame
        Indexed like ``areas``: the id column (if given), ``area_m2``, ``seen_m2``, ``seen_share``
        and ``risk`` (NaN without risk).
    """
    _check_crs(areas, views, "areas")
    polys = areas.geometry.to_numpy()
    area = shapely.area(polys)
    seen = np.minimum(area_seen_m2(views.geometry.to_numpy(), polys), area)
    r = resolve_risk(areas, risk, id_column=id_column, what="area risk")
    out = pd.DataFrame(index=areas.index)
    if id_column:
        out[id_column] = areas[id_column].to_numpy()
    out["area_m2"] = area
    out["seen_m2"] = seen
    out["seen_share"] = np.divide(seen, area, out=np.zeros_like(seen), where=area > 0)
    out["risk"] = r if r is not None else np.nan
    return out


def neighborhood_entrances(
    neighborhoods: gpd.GeoDataFrame,
    edges: gpd.GeoDataFrame,
    *,
    id_column: str = "neighborhood_id",
    inside_m: float = 10.0,
) -> gpd.GeoDataFrame:
    """Entrances: the points where streets cross (or end on) a neighborhood's perimeter.

    Parameters
    ----------
    neighborhoods
        Polygons with ``id_column``, projected CRS.
    edges
        Road edges in the same CRS (one copy per two-way street is used).
    inside_m
        How far inside along the street the ``inside_x/inside_y`` point is taken (metres); it is where
        a new gate camera would stand, looking out through the entrance.

    Returns
    -------
    GeoDataFrame
        Points: ``entrance_id`` (``<neighborhood_id>-E<n>``), ``neighborhood_id``, ``edge_id``,
        ``road_name``, ``x``, ``y``, ``inward_bearing_deg`` (clockwise from north, into the
        neighborhood), ``inside_x``, ``inside_y``. Points closer than 1 m on one perimeter are merged.
    """
    _check_crs(edges, neighborhoods, "road edges")
    cols = ["entrance_id", "neighborhood_id", "edge_id", "road_name", "x", "y", "inward_bearing_deg",
            "inside_x", "inside_y"]
    keep = one_copy_per_street(edges)
    kept = edges.loc[keep]
    lines = kept.geometry.to_numpy()
    polys = neighborhoods.geometry.to_numpy()
    if len(lines) == 0 or len(polys) == 0:
        return gpd.GeoDataFrame({c: [] for c in cols}, geometry=gpd.GeoSeries([], crs=neighborhoods.crs),
                                crs=neighborhoods.crs)
    rings = shapely.boundary(polys)
    tree = shapely.STRtree(lines)
    ni, li = tree.query(rings, predicate="intersects")
    hits = shapely.intersection(lines[li], rings[ni])
    pts, owner = shapely.get_parts(hits, return_index=True)
    pts, sub = shapely.get_parts(pts, return_index=True)
    owner = owner[sub]
    is_pt = shapely.get_type_id(pts) == 0
    pts, ni, li = pts[is_pt], ni[owner[is_pt]], li[owner[is_pt]]
    xy = shapely.get_coordinates(pts)
    # merge duplicates (a vertex shared by two edges, a crossing at a node) per neighborhood
    key = pd.DataFrame({"n": ni, "x": np.round(xy[:, 0]), "y": np.round(xy[:, 1])})
    first = ~key.duplicated()
    pts, ni, li, xy = pts[first.to_numpy()], ni[first.to_numpy()], li[first.to_numpy()], xy[first.to_numpy()]
    order = np.lexsort((xy[:, 1], xy[:, 0], ni))
    pts, ni, li, xy = pts[order], ni[order], li[order], xy[order]
    line = lines[li]
    length = shapely.length(line)
    s = shapely.line_locate_point(line, pts)
    step = np.minimum(inside_m, np.maximum(length, 1e-6))
    fwd = shapely.line_interpolate_point(line, np.minimum(s + step, length))
    back = shapely.line_interpolate_point(line, np.maximum(s - step, 0.0))
    fwd_in = shapely.contains(polys[ni], fwd)
    back_in = shapely.contains(polys[ni], back)
    # prefer the side inside; when both or neither are, take the side whose midpoint is inside
    use_fwd = fwd_in & ~back_in
    both = fwd_in == back_in
    if both.any():
        mid_f = shapely.line_interpolate_point(line[both], np.minimum(s[both] + 0.5, length[both]))
        use_fwd[both] = shapely.contains(polys[ni][both], mid_f)
    inner = np.where(use_fwd, fwd, back)
    ixy = shapely.get_coordinates(inner)
    d = ixy - xy
    bearing = np.mod(np.degrees(np.arctan2(d[:, 0], d[:, 1])), 360.0)
    nb_ids = neighborhoods[id_column].astype(str).to_numpy() if id_column in neighborhoods.columns \
        else neighborhoods.index.astype(str).to_numpy()
    nid = nb_ids[ni]
    rank = pd.Series(nid).groupby(nid).cumcount().to_numpy() + 1
    names = kept["name"].to_numpy() if "name" in kept.columns else np.full(len(kept), None)
    eids = kept["edge_id"].to_numpy() if "edge_id" in kept.columns else kept.index.to_numpy()
    return gpd.GeoDataFrame(
        {
            "entrance_id": [f"{a}-E{b}" for a, b in zip(nid, rank, strict=True)],
            "neighborhood_id": nid,
            "edge_id": eids[li],
            "road_name": names[li],
            "x": xy[:, 0],
            "y": xy[:, 1],
            "inward_bearing_deg": bearing,
            "inside_x": ixy[:, 0],
            "inside_y": ixy[:, 1],
        },
        geometry=gpd.GeoSeries(pts, crs=neighborhoods.crs),
        crs=neighborhoods.crs,
    )


def neighborhood_coverage(
    views: gpd.GeoDataFrame,
    neighborhoods: gpd.GeoDataFrame,
    *,
    edges: gpd.GeoDataFrame | None = None,
    entrances: gpd.GeoDataFrame | None = None,
    id_column: str = "neighborhood_id",
    risk: Any = None,
) -> tuple[pd.DataFrame, gpd.GeoDataFrame | None]:
    """Per neighborhood: share of area seen and share of entrances seen.

    Entrances are computed from ``edges`` (:func:`neighborhood_entrances`) unless given.

    Returns
    -------
    (DataFrame, GeoDataFrame or None)
        Per neighborhood (indexed like the layer): ``neighborhood_id``, ``area_m2``, ``seen_m2``,
        ``seen_share``, ``risk``, ``entrances``, ``entrances_seen``, ``entrance_share`` (NaN with
        no entrance); and the entrances with a ``seen`` column.
    """
    out = area_coverage(views, neighborhoods, id_column=id_column, risk=risk)
    if entrances is None and edges is not None:
        entrances = neighborhood_entrances(neighborhoods, edges, id_column=id_column)
    if entrances is not None:
        entrances = entrances.copy()
        entrances["seen"] = points_seen(views.geometry.to_numpy(), entrances.geometry.to_numpy())
        g = entrances.groupby("neighborhood_id")["seen"].agg(["size", "sum"])
        ids = out[id_column].astype(str)
        out["entrances"] = ids.map(g["size"]).fillna(0).astype(int).to_numpy()
        out["entrances_seen"] = ids.map(g["sum"]).fillna(0).astype(int).to_numpy()
        with np.errstate(invalid="ignore", divide="ignore"):
            out["entrance_share"] = np.where(out["entrances"] > 0, out["entrances_seen"] / out["entrances"], np.nan)
    return out, entrances


def incident_coverage(
    views: gpd.GeoDataFrame, incidents: gpd.GeoDataFrame, *, weight: Any = None
) -> pd.DataFrame:
    """Per incident: inside some view or not (``seen``) and its ``weight`` (1 without weights)."""
    _check_crs(incidents, views, "incidents")
    seen = points_seen(views.geometry.to_numpy(), incidents.geometry.to_numpy())
    w = resolve_risk(incidents, weight, id_column="incident_id", what="incident weight")
    return pd.DataFrame({"seen": seen, "weight": w if w is not None else np.ones(len(incidents))},
                        index=incidents.index)


@dataclass
class CameraCoverage:
    """Coverage of one set of views: per-layer tables and headline figures.

    ``figures`` keys (present when the layer was given): ``cameras``, ``road_km``, ``road_km_seen``,
    ``road_share_seen``, ``edges``, ``edges_any_seen``, ``edges_share_any_seen``,
    ``road_risk_share_seen``; ``neighborhoods``, ``neighborhood_area_share_seen``,
    ``entrances``, ``entrances_seen``, ``entrance_share_seen``, ``neighborhoods_without_camera_view``;
    ``subzone_area_share_seen``, ``subzone_risk_share_seen``; ``cells``, ``cell_area_share_seen``,
    ``cell_risk_share_seen``; ``incidents``, ``incidents_seen``, ``incident_share_seen``,
    ``incident_weighted_share_seen``.
    """

    figures: dict[str, Any]
    streets: pd.DataFrame | None = None
    intervals: SeenIntervals | None = None
    neighborhoods: pd.DataFrame | None = None
    entrances: gpd.GeoDataFrame | None = None
    subzones: pd.DataFrame | None = None
    cells: pd.DataFrame | None = None
    incidents: pd.DataFrame | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _weighted(share: np.ndarray, risk: pd.Series | np.ndarray) -> float:
    r = np.asarray(risk, dtype=float)
    if np.isnan(r).all():
        return float("nan")
    return _share(float(np.nansum(r * share)), float(np.nansum(r)))


def camera_coverage(
    views: gpd.GeoDataFrame,
    *,
    edges: gpd.GeoDataFrame | None = None,
    neighborhoods: gpd.GeoDataFrame | None = None,
    subzones: gpd.GeoDataFrame | None = None,
    cells: gpd.GeoDataFrame | None = None,
    incidents: gpd.GeoDataFrame | None = None,
    edge_risk: Any = None,
    neighborhood_risk: Any = None,
    subzone_risk: Any = None,
    cell_risk: Any = None,
    incident_weight: Any = None,
    cell_id_column: str = "cell_id",
) -> CameraCoverage:
    """Coverage of every layer given, with headline figures (see :class:`CameraCoverage`).

    Risk arguments follow :func:`resolve_risk` (a column name, a Series, or an array).
    """
    fig: dict[str, Any] = {"cameras": len(views)}
    res = CameraCoverage(figures=fig)
    if edges is not None:
        st, iv = street_coverage(views, edges, risk=edge_risk)
        res.streets, res.intervals = st, iv
        fig.update(
            road_km=round(float(st["length_m"].sum()) / 1000.0, 3),
            road_km_seen=round(float(st["seen_m"].sum()) / 1000.0, 3),
            road_share_seen=_share(st["seen_m"].sum(), st["length_m"].sum()),
            edges=len(st),
            edges_any_seen=int((st["seen_m"] > 0).sum()),
            edges_share_any_seen=_share((st["seen_m"] > 0).sum(), len(st)),
        )
        if edge_risk is not None:
            fig["road_risk_share_seen"] = _weighted(st["seen_share"].to_numpy(), st["risk"])
    if neighborhoods is not None:
        nb, ent = neighborhood_coverage(views, neighborhoods, edges=edges, risk=neighborhood_risk)
        res.neighborhoods, res.entrances = nb, ent
        fig.update(
            neighborhoods=len(nb),
            neighborhood_area_share_seen=_share(nb["seen_m2"].sum(), nb["area_m2"].sum()),
            neighborhoods_without_camera_view=int((nb["seen_m2"] <= 0).sum()),
        )
        if neighborhood_risk is not None:
            fig["neighborhood_risk_share_seen"] = _weighted(nb["seen_share"].to_numpy(), nb["risk"])
        if ent is not None:
            fig.update(entrances=len(ent), entrances_seen=int(ent["seen"].sum()),
                       entrance_share_seen=_share(ent["seen"].sum(), len(ent)))
    if subzones is not None:
        sz = area_coverage(views, subzones, id_column="subzone_id" if "subzone_id" in subzones.columns else None,
                           risk=subzone_risk)
        res.subzones = sz
        fig["subzone_area_share_seen"] = _share(sz["seen_m2"].sum(), sz["area_m2"].sum())
        if subzone_risk is not None:
            fig["subzone_risk_share_seen"] = _weighted(sz["seen_share"].to_numpy(), sz["risk"])
    if cells is not None:
        idc = cell_id_column if cell_id_column in cells.columns else None
        cc = area_coverage(views, cells, id_column=idc, risk=cell_risk)
        res.cells = cc
        fig.update(cells=len(cc), cell_area_share_seen=_share(cc["seen_m2"].sum(), cc["area_m2"].sum()))
        if cell_risk is not None:
            fig["cell_risk_share_seen"] = _weighted(cc["seen_share"].to_numpy(), cc["risk"])
    if incidents is not None:
        ic = incident_coverage(views, incidents, weight=incident_weight)
        res.incidents = ic
        fig.update(incidents=len(ic), incidents_seen=int(ic["seen"].sum()),
                   incident_share_seen=_share(ic["seen"].sum(), len(ic)),
                   incident_weighted_share_seen=_share((ic["seen"] * ic["weight"]).sum(), ic["weight"].sum()))
    return res
