"""Siting new cameras on a district: candidates, demand from the gap list, a ranked plan.

GeoDataFrame adapter over :mod:`geo.cameras.siting`:

* :func:`candidate_sites`: points every ``spacing_m`` along the streets (one copy per two-way street,
  street ends included, points closer than 1 m merged), the neighborhood entrances' inside points and
  optional existing poles; each tagged with its station.
* :func:`site_cameras`: demand = the gap list (:func:`geo.cameras.gaps.camera_gaps`: road segments,
  entrances and hotspot cells no existing camera sees, weighted by risk), so the existing cameras are
  kept and what they already see is not counted again; coverage = demand within ``radius_m`` of a
  candidate (a disc: a new camera's bearing is chosen afterwards, towards what it newly covers;
  the sector-aware matrix of :func:`geo.cameras.siting.coverage_matrix` is available with
  ``fov_deg``); per-station budgets; the plan lists sites in order of marginal gain.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.assign import tag_areas
from geo.cameras.coverage import one_copy_per_street
from geo.cameras.gaps import _to_wgs84, bearing_between
from geo.cameras.siting import SitingResult, coverage_matrix, solve_mclp, solve_set_cover
from geo.crs import require_metric
from geo.errors import CRSError, InputError

__all__ = ["candidate_sites", "site_cameras", "SitingPlan", "PLAN_COLUMNS"]

PLAN_COLUMNS = (
    "site_id", "order", "candidate_id", "source", "station_id", "road_name", "x", "y", "lon", "lat",
    "bearing_deg", "suggest_kind", "suggest_fov_deg", "marginal_gain", "cumulative_gain",
    "cumulative_share", "gaps_covered",
)


def candidate_sites(
    edges: gpd.GeoDataFrame,
    *,
    spacing_m: float = 25.0,
    entrances: gpd.GeoDataFrame | None = None,
    poles: gpd.GeoDataFrame | None = None,
    stations: gpd.GeoDataFrame | None = None,
) -> gpd.GeoDataFrame:
    """Candidate positions for new cameras.

    Parameters
    ----------
    edges
        Road edges (projected CRS).
    spacing_m
        Distance between candidates along a street, metres (each street's ends included).
    entrances
        From :func:`geo.cameras.coverage.neighborhood_entrances` (their ``inside_x/inside_y``).
    poles
        Points where a camera can be hung cheaply (existing poles, other cameras' masts).
    stations
        Police station polygons with ``station_id``, to tag each candidate.

    Returns
    -------
    GeoDataFrame
        ``candidate_id`` (``C000001``...), ``source`` (road | entrance | pole), ``edge_id``,
        ``road_name``, ``bearing_deg`` (along the street), ``x``, ``y``, ``station_id``; points.
    """
    require_metric(edges, "road edges")
    if not np.isfinite(spacing_m) or spacing_m <= 0:
        raise InputError(f"spacing_m={spacing_m}: give a positive spacing in metres", code="param.metres",
                         name="spacing_m", value=str(spacing_m))
    crs = edges.crs
    kept = edges.loc[one_copy_per_street(edges)]
    lines = kept.geometry.to_numpy()
    length = shapely.length(lines)
    n = np.floor(length / spacing_m).astype(int) + 2  # 0, s, 2s, ..., end
    li = np.repeat(np.arange(len(lines)), n)
    k = np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n)
    d = np.minimum(k * spacing_m, length[li])
    d = np.where(k == n[li] - 1, length[li], d)
    pts = shapely.line_interpolate_point(lines[li], d)
    ahead = shapely.line_interpolate_point(lines[li], np.minimum(d + 1.0, length[li]))
    behind = shapely.line_interpolate_point(lines[li], np.maximum(d - 1.0, 0.0))
    xy = shapely.get_coordinates(pts)
    brg = bearing_between(shapely.get_coordinates(behind), shapely.get_coordinates(ahead))
    names = kept["name"].to_numpy() if "name" in kept.columns else np.full(len(kept), None)
    eids = kept["edge_id"].to_numpy() if "edge_id" in kept.columns else kept.index.to_numpy()
    parts = [pd.DataFrame({"source": "road", "edge_id": eids[li], "road_name": names[li], "bearing_deg": brg,
                           "x": xy[:, 0], "y": xy[:, 1]})]
    if entrances is not None and len(entrances):
        ixy = entrances[["inside_x", "inside_y"]].to_numpy(float)
        exy = entrances[["x", "y"]].to_numpy(float)
        parts.append(pd.DataFrame({"source": "entrance", "edge_id": entrances["edge_id"].to_numpy(),
                                   "road_name": entrances["road_name"].to_numpy(),
                                   "bearing_deg": bearing_between(ixy, exy), "x": ixy[:, 0], "y": ixy[:, 1]}))
    if poles is not None and len(poles):
        if poles.crs is None or not poles.crs.equals(crs):
            raise CRSError("poles must be in the road edges' CRS; reproject with .to_crs(...)", code="crs.mismatch",
                           a="poles", a_crs=str(poles.crs), b="road edges", b_crs=str(crs))
        pxy = shapely.get_coordinates(poles.geometry.to_numpy())
        parts.append(pd.DataFrame({"source": "pole", "edge_id": None, "road_name": None,
                                   "bearing_deg": np.nan, "x": pxy[:, 0], "y": pxy[:, 1]}))
    cand = pd.concat(parts, ignore_index=True)
    # merge candidates closer than 1 m (shared street ends), keeping the first (roads before others)
    key = pd.DataFrame({"x": np.round(cand["x"].to_numpy()), "y": np.round(cand["y"].to_numpy()),
                        "s": cand["source"].to_numpy()})
    cand = cand.loc[~key.duplicated().to_numpy()].reset_index(drop=True)
    cand.insert(0, "candidate_id", [f"C{i:06d}" for i in range(1, len(cand) + 1)])
    out = gpd.GeoDataFrame(cand, geometry=gpd.GeoSeries(shapely.points(cand[["x", "y"]].to_numpy()), crs=crs),
                           crs=crs)
    if stations is not None and len(out):
        tags = tag_areas(out.geometry, {"station_id": (stations, "station_id")})
        out["station_id"] = tags["station_id"].astype(object).where(tags["station_id"].notna(), None).to_numpy()
    else:
        out["station_id"] = None
    return out


@dataclass
class SitingPlan:
    """A siting plan: new sites in build order, the solver's result and headline figures."""

    sites: gpd.GeoDataFrame
    result: SitingResult
    figures: dict[str, Any] = field(default_factory=dict)


def site_cameras(
    gaps: gpd.GeoDataFrame,
    candidates: gpd.GeoDataFrame,
    *,
    k: int | None = None,
    target_share: float | None = None,
    radius_m: float = 50.0,
    budget_per_station: int | Mapping[Hashable, int] | None = None,
    required: np.ndarray | None = None,
    method: str = "auto",
    weight_column: str = "weight",
    time_limit_s: float | None = 60.0,
    fov_deg: float | None = None,
) -> SitingPlan:
    """Choose new camera sites covering the most gap weight (``k``) or a target share (fewest sites).

    Parameters
    ----------
    gaps
        Demand: the gap list (points at ``x``/``y``, weight in ``weight_column``).
    candidates
        From :func:`candidate_sites` (``x``, ``y``, ``station_id``, ``bearing_deg``).
    k
        Most new cameras (maximal covering). Give ``k`` or ``target_share``, not both.
    target_share
        Share (0-1] of the gap weight to cover with the fewest cameras (set covering).
    radius_m
        A new camera covers the gap points within this distance, metres.
    budget_per_station
        Most new cameras per station: one number for all, or station_id -> number. Candidates outside
        every station are then not used.
    required
        Candidates that must be built (indices into ``candidates`` or a boolean mask).
    method
        ``"auto"``, ``"exact"`` (CBC), ``"highs"`` or ``"greedy"`` (see :func:`solve_mclp`).
    fov_deg
        When given, candidates cover only inside a sector of this width around their ``bearing_deg``
        (along the street; both directions are not tried). Default: a disc of ``radius_m``.

    Returns
    -------
    SitingPlan
        ``sites``: :data:`PLAN_COLUMNS` (``bearing_deg`` points at the weighted centre of what the site
        newly covers; ``suggest_kind`` is ``dome`` when that spreads all round, ``gaps_covered`` counts
        newly covered gaps); ``figures``: demand weight, covered weight and share, sites, method,
        status, seconds, sizes.

    Raises
    ------
    InputError
        Neither or both of ``k`` and ``target_share``; missing columns.
    InfeasibleError
        A target share the candidates cannot reach, or required sites breaking ``k`` or a budget.
    """
    if (k is None) == (target_share is None):
        raise InputError("give either k (how many new cameras) or target_share (share of the gap weight)",
                         code="param.siting_size")
    for col in ("x", "y", weight_column):
        if col not in gaps.columns:
            raise InputError(f"gaps need a '{col}' column (build them with camera_gaps)")
    if gaps.crs is not None and candidates.crs is not None and not gaps.crs.equals(candidates.crs):
        raise CRSError("gaps and candidates are in different CRSs; reproject one with .to_crs(...)", code="crs.mismatch",
                       a="gaps", a_crs=str(gaps.crs), b="candidates", b_crs=str(candidates.crs))
    dxy = gaps[["x", "y"]].to_numpy(float)
    cxy = candidates[["x", "y"]].to_numpy(float)
    w = pd.to_numeric(gaps[weight_column], errors="coerce").fillna(0.0).to_numpy(float)
    cover = coverage_matrix(
        dxy, cxy, radius_m=radius_m,
        candidate_bearing_deg=candidates["bearing_deg"].to_numpy(float) if fov_deg is not None else None,
        fov_deg=fov_deg if fov_deg is not None else 360.0,
    )
    groups = candidates["station_id"].to_numpy(dtype=object) if "station_id" in candidates.columns else None
    common = dict(method=method, groups=groups if budget_per_station is not None else None,
                  budgets=budget_per_station, required=required, time_limit_s=time_limit_s)
    if k is not None:
        res = solve_mclp(cover, w, k=k, **common)
    else:
        res = solve_set_cover(cover, w, target_share=float(target_share), **common)
    sel = res.selected
    # what each site newly covers, in build order
    covered = np.zeros(len(w), dtype=bool)
    cover_csc = cover.tocsc()
    bearing = np.full(len(sel), np.nan)
    kind = np.full(len(sel), "bullet", dtype=object)
    newly = np.zeros(len(sel), dtype=int)
    for t, j in enumerate(sel):  # one step per new site (k is small), not per feature
        rows = cover_csc.indices[cover_csc.indptr[j]:cover_csc.indptr[j + 1]]
        rows = rows[~covered[rows]]
        covered[rows] = True
        newly[t] = len(rows)
        vec = dxy[rows] - cxy[j]
        dist = np.hypot(vec[:, 0], vec[:, 1])
        wt = w[rows]
        unit = np.divide(vec, dist[:, None], out=np.zeros_like(vec), where=dist[:, None] > 0)
        resultant = (unit * wt[:, None]).sum(axis=0)
        spread = np.hypot(*resultant) / max(wt.sum(), 1e-12)
        if spread < 0.5:
            kind[t] = "dome"
        else:
            bearing[t] = float(np.mod(np.degrees(np.arctan2(resultant[0], resultant[1])), 360.0))
    chosen = candidates.iloc[sel]
    x, y = chosen["x"].to_numpy(float), chosen["y"].to_numpy(float)
    lon, lat = _to_wgs84(candidates.crs, x, y) if candidates.crs is not None else (x * np.nan, y * np.nan)
    cum = np.cumsum(res.gains)
    sites = pd.DataFrame({
        "site_id": [f"N{i:03d}" for i in range(1, len(sel) + 1)],
        "order": np.arange(1, len(sel) + 1),
        "candidate_id": chosen["candidate_id"].to_numpy() if "candidate_id" in chosen.columns else sel,
        "source": chosen["source"].to_numpy() if "source" in chosen.columns else None,
        "station_id": chosen["station_id"].to_numpy() if "station_id" in chosen.columns else None,
        "road_name": chosen["road_name"].to_numpy() if "road_name" in chosen.columns else None,
        "x": np.round(x, 2), "y": np.round(y, 2), "lon": lon, "lat": lat,
        "bearing_deg": np.round(bearing, 1),
        "suggest_kind": kind,
        "suggest_fov_deg": np.where(kind == "dome", 360.0, 90.0),
        "marginal_gain": res.gains,
        "cumulative_gain": cum,
        "cumulative_share": cum / res.total_weight if res.total_weight > 0 else np.nan,
        "gaps_covered": newly,
    })
    geo = gpd.GeoDataFrame(sites, geometry=gpd.GeoSeries(shapely.points(np.column_stack([x, y])) if len(sel)
                                                         else np.zeros(0, object), crs=candidates.crs),
                           crs=candidates.crs)
    figures = {
        "demand_points": len(w),
        "demand_weight": float(w.sum()),
        "candidates": len(candidates),
        "sites": len(sel),
        "covered_weight": res.objective,
        "covered_share": res.share,
        "gaps_covered": int(newly.sum()),
        "method": res.method,
        "status": res.status,
        "seconds": round(res.seconds, 3),
        **{k_: v for k_, v in res.stats.items()},
    }
    return SitingPlan(sites=geo, result=res, figures=figures)
