"""The camera gap list: road segments, neighborhood entrances and hotspot cells no camera sees.

:func:`camera_gaps` ranks the gaps by risk and suggests, for each, where a new camera would stand
and which way it would look. :func:`split_lines` (array core) cuts lines into equal pieces of at
most a given length, vectorised over all vertices.

Risk and weight (documented choices)
------------------------------------
* ``risk_score``: the risk given for the gap's feature (edge risk for road segments, neighborhood
  risk for entrances, cell risk for cells); without a risk, the number of incidents of the last 12
  months at the gap (``incidents_12m``).
* ``weight`` (the demand weight used by siting): ``risk_score`` when a risk was given, else
  ``1 + incidents_12m``; road segments scale it by ``length_m / segment_m`` so that a street counts by
  its length, not by how it was cut.

What counts as a gap
--------------------
* a road segment (a street cut into pieces of at most ``segment_m``) seen over less than
  ``seen_share_below`` of its length and at least ``min_gap_m`` long;
* a neighborhood entrance (a street crossing the perimeter) inside no view;
* a hotspot cell seen over less than ``seen_share_below`` of its area (every cell given counts as a
  hotspot cell: pass only the cells flagged by the hotspot analysis).

Suggested camera
----------------
* road segment: at the end of the piece nearer to a street end (an intersection, where poles stand),
  looking along the piece (bullet);
* entrance: ``inside_m`` inside the neighborhood along the street, looking out through the entrance
  so that faces of people coming in are seen (bullet);
* cell: at the nearest street point to the cell's centre, looking at the centre (bullet), or at the
  centre as a dome when no street is given or the street point is in the centre.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from geo.assign import tag_areas
from geo.cameras.coverage import (
    neighborhood_entrances,
    points_seen,
    resolve_risk,
    seen_between,
    street_coverage,
    area_coverage,
)
from geo.crs import require_metric
from geo.errors import CRSError, InputError

__all__ = ["GAP_COLUMNS", "GAP_KINDS", "split_lines", "camera_gaps", "bearing_between"]

GAP_KINDS = ("road_segment", "entrance", "hotspot_cell")
#: Columns of the gap list, in order (geometry last).
GAP_COLUMNS = (
    "gap_id", "rank", "kind", "station_id", "community_id", "neighborhood_id", "road_name",
    "risk_score", "incidents_12m", "weight", "length_m", "seen_share", "nearest_camera_m",
    "x", "y", "lon", "lat", "suggest_x", "suggest_y", "suggest_lon", "suggest_lat",
    "suggest_bearing_deg", "suggest_kind", "edge_id", "feature_id",
)


def bearing_between(from_xy: np.ndarray, to_xy: np.ndarray) -> np.ndarray:
    """Bearing in degrees clockwise from grid north from each ``from`` point to its ``to`` point.

    NaN where the two points coincide.
    """
    d = np.asarray(to_xy, dtype=float) - np.asarray(from_xy, dtype=float)
    b = np.mod(np.degrees(np.arctan2(d[:, 0], d[:, 1])), 360.0)
    return np.where(np.hypot(d[:, 0], d[:, 1]) < 1e-9, np.nan, b)


def split_lines(lines: np.ndarray, *, piece_m: float) -> dict[str, np.ndarray]:
    """Cut each line into ``ceil(length / piece_m)`` equal pieces (vectorised, keeps bends).

    Parameters
    ----------
    lines
        LineStrings in a projected CRS.
    piece_m
        Longest piece, metres.

    Returns
    -------
    dict
        ``geometry`` (LineString pieces), ``line`` (index of the line cut), ``from_m``, ``to_m``
        (distance along the line, metres) and ``piece`` (0-based piece number along its line).
    """
    if not np.isfinite(piece_m) or piece_m <= 0:
        raise InputError(f"segment length {piece_m}: give a positive number of metres", code="param.metres",
                         name="piece_m", value=str(piece_m))
    lines = np.asarray(lines, dtype=object)
    length = shapely.length(lines)
    n = np.maximum(1, np.ceil(length / piece_m - 1e-9).astype(int))
    step = np.divide(length, n, out=np.zeros_like(length), where=n > 0)
    total = int(n.sum())
    line_of = np.repeat(np.arange(len(lines)), n)
    first_piece = np.concatenate([[0], np.cumsum(n)[:-1]]).astype(int)
    k = np.arange(total) - first_piece[line_of]
    s0 = k * step[line_of]
    s1 = np.where(k == n[line_of] - 1, length[line_of], (k + 1) * step[line_of])
    if total == 0:
        empty = np.zeros(0)
        return {"geometry": np.zeros(0, object), "line": empty.astype(int), "from_m": empty,
                "to_m": empty, "piece": empty.astype(int)}
    p0 = shapely.get_coordinates(shapely.line_interpolate_point(lines[line_of], s0))
    p1 = shapely.get_coordinates(shapely.line_interpolate_point(lines[line_of], s1))
    # interior vertices, with their distance along their line
    xy, vline = shapely.get_coordinates(lines, return_index=True)
    seg = np.hypot(*np.diff(xy, axis=0).T) if len(xy) > 1 else np.zeros(0)
    same = vline[1:] == vline[:-1]
    cum = np.concatenate([[0.0], np.cumsum(np.where(same, seg, 0.0))])
    first_v = np.concatenate([[0], np.flatnonzero(~same) + 1])
    vd = cum - cum[first_v][vline]
    st = step[vline]
    pk = np.minimum(np.floor(np.divide(vd, st, out=np.zeros_like(vd), where=st > 0)).astype(int), n[vline] - 1)
    lo = pk * st
    interior = (vd > lo + 1e-9) & (vd < length[vline] - 1e-9) & (vd > 1e-9)
    vp = first_piece[vline[interior]] + pk[interior]
    pid = np.concatenate([np.arange(total), vp, np.arange(total)])
    key = np.concatenate([np.full(total, -1.0), vd[interior], np.full(total, np.inf)])
    pts = np.concatenate([p0, xy[interior], p1])
    order = np.lexsort((key, pid))
    pieces = shapely.linestrings(pts[order], indices=pid[order])
    return {"geometry": pieces, "line": line_of, "from_m": s0, "to_m": s1, "piece": k}


def _to_wgs84(crs: Any, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if len(x) == 0:
        return np.zeros(0), np.zeros(0)
    tr = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    lon, lat = tr.transform(np.asarray(x, float), np.asarray(y, float))
    return np.round(lon, 7), np.round(lat, 7)


def _incident_times(incidents: gpd.GeoDataFrame, as_of: Any) -> np.ndarray:
    """Mask of incidents in the 12 months up to ``as_of`` (all when there is no time column)."""
    if "occurred_at" not in incidents.columns or len(incidents) == 0:
        return np.ones(len(incidents), dtype=bool)
    t = pd.to_datetime(incidents["occurred_at"], utc=True, errors="coerce", format="ISO8601")
    if as_of is None:
        end = t.max()
    else:
        end = pd.Timestamp(as_of)
        end = end.tz_localize("UTC") if end.tzinfo is None else end.tz_convert("UTC")
        if isinstance(as_of, dt.date) and not isinstance(as_of, dt.datetime):
            end = end + pd.Timedelta(days=1)  # the whole day
    start = end - pd.DateOffset(months=12)
    return ((t > start) & (t <= end)).to_numpy(dtype=bool, na_value=False)


def _count_nearest(points: np.ndarray, targets: np.ndarray, max_m: float) -> np.ndarray:
    """How many of ``points`` have each target as their nearest one within ``max_m``."""
    out = np.zeros(len(targets), dtype=int)
    if len(points) == 0 or len(targets) == 0:
        return out
    tree = shapely.STRtree(targets)
    pi, ti = tree.query_nearest(points, max_distance=max_m, all_matches=False)
    np.add.at(out, ti, 1)
    return out


def camera_gaps(
    views: gpd.GeoDataFrame,
    *,
    edges: gpd.GeoDataFrame | None = None,
    neighborhoods: gpd.GeoDataFrame | None = None,
    cells: gpd.GeoDataFrame | None = None,
    incidents: gpd.GeoDataFrame | None = None,
    stations: gpd.GeoDataFrame | None = None,
    communities: gpd.GeoDataFrame | None = None,
    edge_risk: Any = None,
    neighborhood_risk: Any = None,
    cell_risk: Any = None,
    cell_id_column: str = "cell_id",
    segment_m: float = 50.0,
    seen_share_below: float = 0.2,
    min_gap_m: float = 10.0,
    incident_snap_m: float = 30.0,
    inside_m: float = 10.0,
    as_of: Any = None,
) -> gpd.GeoDataFrame:
    """The ranked list of places no camera sees (see the module notes for the rules).

    Parameters
    ----------
    views
        From :func:`geo.cameras.views.camera_views` (``cam_x``/``cam_y`` give camera positions; without
        them ``nearest_camera_m`` is NaN). No cameras at all is fine: everything is a gap.
    edges, neighborhoods, cells
        Layers whose gaps are listed (any may be None); same projected CRS as ``views``.
    incidents
        Incident points: counted per gap over the 12 months up to ``as_of`` (default: the latest
        ``occurred_at``); road segments take those within ``incident_snap_m`` of them (each incident
        to its nearest segment), entrances those of their neighborhood (by ``neighborhood_id`` column
        or location), cells those inside.
    stations, communities
        Polygons with ``station_id`` / ``community_id`` to tag each gap (by its location).
    edge_risk, neighborhood_risk, cell_risk
        Optional risk per feature (see :func:`geo.cameras.coverage.resolve_risk`).
    segment_m
        Longest road segment, metres.
    seen_share_below
        A segment or cell seen over less than this share is a gap.
    min_gap_m
        Shorter road-segment gaps are left out (bits at crossings), metres.
    inside_m
        How far inside a neighborhood a gate camera is suggested, metres.

    Returns
    -------
    GeoDataFrame
        One row per gap, columns :data:`GAP_COLUMNS` (``x``/``y`` and ``suggest_x``/``suggest_y`` in
        the working CRS, ``lon``/``lat`` WGS84, ``length_m`` NaN except for road segments,
        ``seen_share`` NaN for entrances), sorted by ``risk_score`` then ``incidents_12m`` then
        ``weight`` (descending); ``rank`` starts at 1; ``gap_id`` is ``G00001``... in that order.
        Geometry: the segment, entrance point or cell polygon.

    Raises
    ------
    CRSError
        A layer without a projected CRS or in another CRS than the views.
    InputError
        Bad options or risk values.
    """
    require_metric(views, "camera views", fix="build them with camera_views on projected cameras")
    crs = views.crs
    for what, lay in (("road edges", edges), ("neighborhoods", neighborhoods), ("cells", cells),
                      ("incidents", incidents), ("stations", stations), ("communities", communities)):
        if lay is not None and (lay.crs is None or not lay.crs.equals(crs)):
            raise CRSError(f"{what} are in {lay.crs.to_string() if lay.crs else 'no CRS'} but the views in "
                           f"{crs.to_string()}; reproject with .to_crs(...)", code="crs.mismatch", a=what,
                           a_crs=lay.crs.to_string() if lay.crs else "-", b="camera views", b_crs=crs.to_string())
    if not (0.0 < seen_share_below <= 1.0):
        raise InputError(f"seen_share_below={seen_share_below}: give a share in (0, 1]", code="param.share",
                         name="seen_share_below", value=str(seen_share_below))
    vgeoms = views.geometry.to_numpy()
    has_apex = len(views) and {"cam_x", "cam_y"}.issubset(views.columns)
    cams = shapely.points(views["cam_x"].to_numpy(), views["cam_y"].to_numpy()) if has_apex else np.zeros(0, object)
    recent = None
    inc_pts = np.zeros(0, object)
    if incidents is not None:
        recent = _incident_times(incidents, as_of)
        inc_pts = incidents.geometry.to_numpy()[recent]
    frames: list[pd.DataFrame] = []

    # -- road segments -------------------------------------------------------------------------
    if edges is not None and len(edges):
        st, iv = street_coverage(views, edges, risk=edge_risk)
        lines = edges.loc[st.index].geometry.to_numpy()
        sp = split_lines(lines, piece_m=segment_m)
        seen = seen_between(iv, sp["line"], sp["from_m"], sp["to_m"])
        plen = sp["to_m"] - sp["from_m"]
        share = np.divide(seen, plen, out=np.zeros_like(seen), where=plen > 0)
        inc = _count_nearest(inc_pts, sp["geometry"], incident_snap_m)
        gap = (share < seen_share_below) & (plen >= min_gap_m)
        g = np.flatnonzero(gap)
        li = sp["line"][g]
        pieces = sp["geometry"][g]
        mid = shapely.get_coordinates(shapely.line_interpolate_point(pieces, 0.5, normalized=True))
        L = st["length_m"].to_numpy()[li]
        centre = (sp["from_m"][g] + sp["to_m"][g]) / 2.0
        at_start = centre <= L / 2.0
        p_start = shapely.get_coordinates(shapely.get_point(pieces, 0))
        p_end = shapely.get_coordinates(shapely.get_point(pieces, -1))
        pos = np.where(at_start[:, None], p_start, p_end)
        risk = st["risk"].to_numpy()[li]
        has_risk = edge_risk is not None
        score = risk if has_risk else inc[g].astype(float)
        factor = plen[g] / segment_m
        frames.append(pd.DataFrame({
            "kind": "road_segment",
            "road_name": st["name"].to_numpy()[li],
            "risk_score": score,
            "incidents_12m": inc[g],
            "weight": (score if has_risk else 1.0 + inc[g]) * factor,
            "length_m": plen[g],
            "seen_share": share[g],
            "x": mid[:, 0], "y": mid[:, 1],
            "suggest_x": pos[:, 0], "suggest_y": pos[:, 1],
            "suggest_bearing_deg": bearing_between(pos, mid),
            "suggest_kind": "bullet",
            "edge_id": st["edge_id"].to_numpy()[li],
            "feature_id": [f"{e}:{p}" for e, p in zip(st["edge_id"].to_numpy()[li], sp["piece"][g], strict=True)],
            "geometry": pieces,
        }))

    # -- entrances -------------------------------------------------------------------------------
    if neighborhoods is not None and edges is not None and len(neighborhoods):
        ent = neighborhood_entrances(neighborhoods, edges, inside_m=inside_m)
        seen = points_seen(vgeoms, ent.geometry.to_numpy())
        ent = ent.loc[~seen]
        nb_ids = neighborhoods["neighborhood_id"].astype(str).to_numpy()
        nrisk = resolve_risk(neighborhoods, neighborhood_risk, id_column="neighborhood_id", what="neighborhood risk")
        nb_inc = np.zeros(len(neighborhoods), dtype=int)
        if incidents is not None and len(inc_pts):
            if "neighborhood_id" in incidents.columns:
                ids = incidents["neighborhood_id"].astype("string").to_numpy()[recent]
                counts = pd.Series(ids).value_counts()
                nb_inc = pd.Series(nb_ids).map(counts).fillna(0).astype(int).to_numpy()
            else:
                tree = shapely.STRtree(inc_pts)
                ni, _ = tree.query(neighborhoods.geometry.to_numpy(), predicate="intersects")
                nb_inc = np.bincount(ni, minlength=len(neighborhoods))
        pos_of = pd.Series(np.arange(len(nb_ids)), index=nb_ids)
        row = pos_of.reindex(ent["neighborhood_id"].to_numpy()).to_numpy().astype(int)
        inc = nb_inc[row] if len(row) else np.zeros(0, int)
        score = nrisk[row] if nrisk is not None else inc.astype(float)
        exy = ent[["x", "y"]].to_numpy()
        ixy = ent[["inside_x", "inside_y"]].to_numpy()
        frames.append(pd.DataFrame({
            "kind": "entrance",
            "neighborhood_id": ent["neighborhood_id"].to_numpy(),
            "road_name": ent["road_name"].to_numpy(),
            "risk_score": score,
            "incidents_12m": inc,
            "weight": score if nrisk is not None else 1.0 + inc,
            "length_m": np.nan,
            "seen_share": 0.0,
            "x": exy[:, 0], "y": exy[:, 1],
            "suggest_x": ixy[:, 0], "suggest_y": ixy[:, 1],
            "suggest_bearing_deg": bearing_between(ixy, exy),
            "suggest_kind": "bullet",
            "edge_id": ent["edge_id"].to_numpy(),
            "feature_id": ent["entrance_id"].to_numpy(),
            "geometry": ent.geometry.to_numpy(),
        }))

    # -- hotspot cells ---------------------------------------------------------------------------
    if cells is not None and len(cells):
        idc = cell_id_column if cell_id_column in cells.columns else None
        cc = area_coverage(views, cells, id_column=idc, risk=cell_risk)
        cpoly = cells.geometry.to_numpy()
        inc_all = np.zeros(len(cells), dtype=int)
        if len(inc_pts):
            tree = shapely.STRtree(inc_pts)
            ci, _ = tree.query(cpoly, predicate="intersects")
            inc_all = np.bincount(ci, minlength=len(cells))
        gap = cc["seen_share"].to_numpy() < seen_share_below
        if cell_risk is not None:
            gap &= cc["risk"].to_numpy() > 0
        g = np.flatnonzero(gap)
        centre = shapely.get_coordinates(shapely.point_on_surface(cpoly[g]))
        pos = centre.copy()
        kind = np.full(len(g), "dome", dtype=object)
        if edges is not None and len(edges) and len(g):
            etree = shapely.STRtree(edges.geometry.to_numpy())
            size = np.sqrt(shapely.area(cpoly[g]))
            cpts = shapely.points(centre)
            pi, ei = etree.query_nearest(cpts, max_distance=float(np.max(size)), all_matches=False)
            near = shapely.get_coordinates(shapely.shortest_line(edges.geometry.to_numpy()[ei], cpts[pi]))[::2]
            close = np.hypot(*(near - centre[pi]).T) <= size[pi]
            pos[pi[close]] = near[close]
            kind[pi[close]] = "bullet"
        brg = bearing_between(pos, centre)
        kind[np.isnan(brg)] = "dome"
        score = cc["risk"].to_numpy()[g] if cell_risk is not None else inc_all[g].astype(float)
        frames.append(pd.DataFrame({
            "kind": "hotspot_cell",
            "risk_score": score,
            "incidents_12m": inc_all[g],
            "weight": score if cell_risk is not None else 1.0 + inc_all[g],
            "length_m": np.nan,
            "seen_share": cc["seen_share"].to_numpy()[g],
            "x": centre[:, 0], "y": centre[:, 1],
            "suggest_x": pos[:, 0], "suggest_y": pos[:, 1],
            "suggest_bearing_deg": brg,
            "suggest_kind": kind,
            "feature_id": (cells[idc].astype(str).to_numpy()[g] if idc else cells.index.astype(str).to_numpy()[g]),
            "geometry": cpoly[g],
        }))

    frames = [f for f in frames if len(f)]
    if frames:
        out = pd.concat(frames, ignore_index=True)
    else:
        out = pd.DataFrame({c: [] for c in GAP_COLUMNS if c != "geometry"} | {"geometry": []})
    for c in GAP_COLUMNS:
        if c not in out.columns:
            out[c] = None
    out["incidents_12m"] = pd.to_numeric(out["incidents_12m"]).fillna(0).astype(int)
    out = out.sort_values(["risk_score", "incidents_12m", "weight"], ascending=False, kind="stable")
    out = out.reset_index(drop=True)
    n = len(out)
    out["rank"] = np.arange(1, n + 1)
    out["gap_id"] = [f"G{i:05d}" for i in range(1, n + 1)]
    # location tags and nearest existing camera
    pts = shapely.points(out["x"].to_numpy(float), out["y"].to_numpy(float)) if n else np.zeros(0, object)
    gpts = gpd.GeoSeries(pts, crs=crs)
    areas = {}
    if stations is not None:
        areas["station_id"] = (stations, "station_id")
    if communities is not None:
        areas["community_id"] = (communities, "community_id")
    if neighborhoods is not None:
        areas["_nb"] = (neighborhoods, "neighborhood_id")
    if areas and n:
        tags = tag_areas(gpts, areas)
        if "station_id" in tags:
            out["station_id"] = tags["station_id"].astype(object).where(tags["station_id"].notna(), None).to_numpy()
        if "community_id" in tags:
            out["community_id"] = tags["community_id"].astype(object).where(tags["community_id"].notna(), None).to_numpy()
        if "_nb" in tags:
            nb = tags["_nb"].astype(object).where(tags["_nb"].notna(), None).to_numpy()
            cur = out["neighborhood_id"].to_numpy(dtype=object)
            out["neighborhood_id"] = np.where(pd.isna(cur), nb, cur)
    if n and len(cams):
        tree = shapely.STRtree(cams)
        _, d = tree.query_nearest(pts, return_distance=True, all_matches=False)
        out["nearest_camera_m"] = np.round(d, 1)
    else:
        out["nearest_camera_m"] = np.nan
    out["lon"], out["lat"] = _to_wgs84(crs, out["x"].to_numpy(float), out["y"].to_numpy(float))
    out["suggest_lon"], out["suggest_lat"] = _to_wgs84(crs, out["suggest_x"].to_numpy(float),
                                                        out["suggest_y"].to_numpy(float))
    for c in ("x", "y", "suggest_x", "suggest_y"):
        out[c] = np.round(out[c].to_numpy(float), 2)
    out["suggest_bearing_deg"] = np.round(out["suggest_bearing_deg"].to_numpy(float), 1)
    out["risk_score"] = out["risk_score"].astype(float)
    out["weight"] = out["weight"].astype(float)
    for c, digits in (("seen_share", 3), ("length_m", 1)):
        out[c] = np.round(out[c].astype(float), digits)
    geom = out.pop("geometry").to_numpy()
    return gpd.GeoDataFrame(out[list(GAP_COLUMNS)], geometry=gpd.GeoSeries(geom, crs=crs), crs=crs)
