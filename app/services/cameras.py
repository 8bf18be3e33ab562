"""Cameras (``patrolnet cameras``): coverage, the ranked gap list and where to add cameras, straight
from a workspace; one call per CLI command and web job (:func:`camera_coverage_job`,
:func:`camera_gaps_job`, :func:`camera_siting_job`).

These read the layers a workspace has (``cameras``, ``road_edges``, and when present ``buildings``,
``neighborhoods``, ``stations``, ``communities``, ``incidents``) and chain the pure functions of
:mod:`geo.cameras`. Risk and hotspot cells are optional inputs (from the hotspot/forecast work);
without them gaps are ranked by the incidents of the last 12 months.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from app.services.forecast import forecast_edge_risk
from app.services.params import station_rows
from app.services.worth import camera_worth
from app.storage.workspace import Workspace
from geo.cameras.coverage import CameraCoverage, camera_coverage, neighborhood_entrances
from geo.cameras.export import write_table
from geo.cameras.gaps import camera_gaps
from geo.cameras.plan import SitingPlan, candidate_sites, site_cameras
from geo.cameras.views import camera_views
from geo.errors import InputError
from geo.jsonsafe import json_rows, to_jsonable

__all__ = ["NOT_WATCHED", "camera_count", "camera_coverage_job", "camera_gaps_job", "camera_siting_job", "gaps_summary",
           "siting_summary", "TOP_GAPS",
           "coverage_for_workspace", "district_layers", "gaps_for_workspace", "hot_cells", "siting_for_workspace",
           "write_camera_layers"]

#: Road kinds left out of gap lists and candidates by default (no one walks or robs there).
NOT_WATCHED = ("motorway", "motorway_link", "steps", "track")


def district_layers(
    ws: Workspace, *, exclude_highways: Collection[str] = NOT_WATCHED
) -> dict[str, gpd.GeoDataFrame | None]:
    """The layers camera jobs use (None when the workspace lacks one; ``cameras`` is then an empty
    layer: a district without cameras is all gaps).

    Raises
    ------
    InputError
        The workspace has no road edges.
    """
    if not ws.has("road_edges") or ws.count("road_edges") == 0:
        raise InputError(f"workspace '{ws.path}' has no road network; build it with patrolnet init --osm FILE",
                         code="data.no_roads")
    out: dict[str, gpd.GeoDataFrame | None] = {}
    for name in ("cameras", "road_edges", "buildings", "neighborhoods", "stations", "communities", "incidents"):
        out[name] = ws.read(name) if ws.has(name) and ws.count(name) else None
    if out["cameras"] is None:
        edges0 = out["road_edges"]
        out["cameras"] = gpd.GeoDataFrame({"camera_id": [], "kind": []}, geometry=gpd.GeoSeries([], crs=edges0.crs),
                                          crs=edges0.crs)
    edges = out["road_edges"]
    if edges is not None and exclude_highways and "highway" in edges.columns:
        out["road_edges"] = edges.loc[~edges["highway"].isin(list(exclude_highways))]
    return out


def coverage_for_workspace(
    ws: Workspace, *, edge_risk: Any = None, cells: gpd.GeoDataFrame | None = None, cell_risk: Any = None,
    exclude_highways: Collection[str] = NOT_WATCHED,
) -> tuple[gpd.GeoDataFrame, CameraCoverage]:
    """Views of the workspace's cameras (cut by its buildings) and their coverage figures."""
    lay = district_layers(ws, exclude_highways=exclude_highways)
    views = camera_views(lay["cameras"], buildings=lay["buildings"])
    cov = camera_coverage(views, edges=lay["road_edges"], neighborhoods=lay["neighborhoods"],
                          subzones=ws.read("subzones") if ws.has("subzones") and ws.count("subzones") else None,
                          cells=cells, cell_risk=cell_risk, incidents=lay["incidents"], edge_risk=edge_risk)
    return views, cov


def gaps_for_workspace(
    ws: Workspace,
    *,
    edge_risk: Any = None,
    neighborhood_risk: Any = None,
    cells: gpd.GeoDataFrame | None = None,
    cell_risk: Any = None,
    segment_m: float = 50.0,
    seen_share_below: float = 0.2,
    as_of: Any = None,
    exclude_highways: Collection[str] = NOT_WATCHED,
) -> gpd.GeoDataFrame:
    """The ranked gap list of a workspace (:func:`geo.cameras.gaps.camera_gaps`), ready for
    :func:`geo.cameras.export.write_table`."""
    lay = district_layers(ws, exclude_highways=exclude_highways)
    views = camera_views(lay["cameras"], buildings=lay["buildings"])
    gaps = camera_gaps(
        views, edges=lay["road_edges"], neighborhoods=lay["neighborhoods"], cells=cells,
        incidents=lay["incidents"], stations=lay["stations"], communities=lay["communities"],
        edge_risk=edge_risk, neighborhood_risk=neighborhood_risk, cell_risk=cell_risk,
        segment_m=segment_m, seen_share_below=seen_share_below, as_of=as_of,
    )
    return _named(gaps, lay)


def _named(gaps: gpd.GeoDataFrame, lay: dict[str, Any]) -> gpd.GeoDataFrame:
    """The gap list with the names of its station and neighborhood beside their ids (a list a station
    reads in Excel names places: 北湖路派出所, 龙凤花园, not S01, N0178)."""
    for key, layer, column in (("station_id", "stations", "station_name"),
                               ("neighborhood_id", "neighborhoods", "neighborhood_name")):
        table = lay.get(layer)
        if key not in gaps.columns or table is None or "name" not in table.columns or column in gaps.columns:
            continue
        names = dict(zip(table[key].astype(str), table["name"], strict=False))
        gaps.insert(gaps.columns.get_loc(key) + 1, column,
                    [names.get(str(v)) if v is not None and v == v else None for v in gaps[key]])
    return gaps


def siting_for_workspace(
    ws: Workspace,
    *,
    k: int | None = None,
    target_share: float | None = None,
    budget_per_station: int | Mapping[Hashable, int] | None = None,
    radius_m: float = 50.0,
    spacing_m: float = 25.0,
    method: str = "auto",
    gaps: gpd.GeoDataFrame | None = None,
    use_camera_poles: bool = True,
    time_limit_s: float | None = 60.0,
    exclude_highways: Collection[str] = NOT_WATCHED,
    **gap_options: Any,
) -> SitingPlan:
    """Where to add ``k`` cameras (or the fewest reaching ``target_share`` of the gap weight).

    Demand is the gap list (computed here unless given; ``gap_options`` go to
    :func:`gaps_for_workspace`); candidates are points every ``spacing_m`` along the streets, the
    neighborhood entrances and, with ``use_camera_poles``, the existing Skynet poles. ``plan.sites``
    is ready for :func:`geo.cameras.export.write_table` (``sheet="sites"``).
    """
    lay = district_layers(ws, exclude_highways=exclude_highways)
    if gaps is None:
        gaps = gaps_for_workspace(ws, exclude_highways=exclude_highways, **gap_options)
    ent = (neighborhood_entrances(lay["neighborhoods"], lay["road_edges"])
           if lay["neighborhoods"] is not None else None)
    poles = None
    if use_camera_poles:
        cams = lay["cameras"]
        poles = cams.loc[cams["kind"].to_numpy() == "skynet_pole"] if "kind" in cams.columns else None
        if poles is not None and not len(poles):
            poles = None
    cand = candidate_sites(lay["road_edges"], spacing_m=spacing_m, entrances=ent, poles=poles,
                           stations=lay["stations"])
    if budget_per_station is not None and lay["stations"] is None:
        raise InputError("--budget-per-station needs police stations in the workspace (layer 'stations')",
                         code="cameras.budget_needs_stations")
    if not len(gaps):
        raise InputError("no camera gaps: every street, entrance and cell given is already seen", code="cameras.no_gaps")
    plan = site_cameras(gaps, cand, k=k, target_share=target_share, radius_m=radius_m,
                        budget_per_station=budget_per_station, method=method, time_limit_s=time_limit_s)
    plan.figures["gaps"] = int(len(gaps))
    plan.figures["existing_cameras"] = int(len(lay["cameras"]))
    plan.figures["candidates_by_source"] = {str(k_): int(v) for k_, v in
                                            cand["source"].value_counts().items()}
    plan.figures["radius_m"] = float(radius_m)
    return plan


# -- the jobs -----------------------------------------------------------------------------------------
def hot_cells(ws: Workspace) -> tuple[gpd.GeoDataFrame | None, pd.Series | None]:
    """The Gi* hot sub-zones of the last ``patrolnet hotspots`` run (None when it has not run)."""
    if not ws.has("hotspot_subzones"):
        return None, None
    hs = ws.read("hotspot_subzones")
    hot = hs[hs["hotspot"] == "hot"].reset_index(drop=True)
    if hot.empty:
        return None, None
    return hot, pd.Series(hot["count"].astype(float).to_numpy(), index=hot.index)


def camera_count(ws: Workspace, station_id: str | None = None) -> int:
    """The workspace's cameras (those of station ``station_id`` only, when given)."""
    if not ws.has("cameras"):
        return 0
    if station_id is None:
        return int(ws.count("cameras"))
    cams = ws.read("cameras", columns=["station_id"])
    return int(len(station_rows(pd.DataFrame(cams), station_id)))


def camera_coverage_job(ws: Workspace, *, risk: bool = True) -> dict[str, Any]:
    """Coverage figures of the workspace's cameras (risk-weighted by the forecast when there are incidents)."""
    edge_risk = forecast_edge_risk(ws) if risk else None
    subzones = ws.read("subzones") if ws.has("subzones") else None
    _, cov = coverage_for_workspace(ws, edge_risk=edge_risk, cells=subzones)
    return dict(cov.figures)


def camera_gaps_job(ws: Workspace, *, out: str | Path, lang: str = "zh-CN", segment_m: float = 50.0,
                    risk: bool = True, as_of: Any = None,
                    station_id: str | None = None) -> tuple[gpd.GeoDataFrame, Path]:
    """The ranked gap list (risk from the forecast when there are incidents), written as CSV, XLSX or GeoJSON.

    With ``station_id`` only that station's gaps are kept, ranked 1..n within the station (``rank``;
    the district's rank beside it, ``district_rank``), and the workspace's district-wide
    ``camera_gaps`` layer is left as it is."""
    edge_risk = forecast_edge_risk(ws) if risk else None
    cells, cell_risk = hot_cells(ws)
    gaps = gaps_for_workspace(ws, edge_risk=edge_risk, segment_m=segment_m, as_of=as_of, cells=cells,
                              cell_risk=cell_risk)
    if station_id is not None:
        gaps = station_rows(gaps, station_id).reset_index(drop=True)
        if "rank" in gaps.columns:  # the station's own order first, the district's beside it
            at = gaps.columns.get_loc("rank") + 1
            gaps.insert(at, "district_rank", gaps["rank"].to_numpy())
            gaps["rank"] = np.arange(1, len(gaps) + 1)
        return gaps, write_table(gaps, Path(out), lang=lang)
    path = write_table(gaps, Path(out), lang=lang)
    write_camera_layers(ws, gaps)
    return gaps, path


def write_camera_layers(ws: Workspace, gaps: gpd.GeoDataFrame) -> Workspace:
    """Keep the camera view polygons and the gap list as workspace layers (``camera_views``,
    ``camera_gaps``) so that the coverage map can draw them."""
    if not ws.has("cameras") or ws.count("cameras") == 0:
        return ws
    buildings = ws.read("buildings") if ws.has("buildings") else None
    views = camera_views(ws.read("cameras"), buildings=buildings)
    views = views[~views.geometry.is_empty & views.geometry.notna()]
    keep = [c for c in views.columns if views[c].dtype.kind in "biufOUS" or c == views.geometry.name]
    layers = {"camera_views": gpd.GeoDataFrame(views[keep], geometry=views.geometry.name, crs=ws.crs)}
    g = gaps.to_crs(ws.crs)
    layers["camera_gaps"] = gpd.GeoDataFrame(g[[c for c in g.columns if g[c].dtype.kind in "biufOUS"
                                                or c == g.geometry.name]], geometry=g.geometry.name, crs=ws.crs)
    return ws.write(layers, sources={"camera_views": "patrolnet cameras gaps", "camera_gaps": "patrolnet cameras gaps"})


def camera_siting_job(ws: Workspace, *, out: str | Path, add: int | None = None, target_share: float | None = None,
                      budget_per_station: int | None = None, radius_m: float = 50.0, spacing_m: float = 25.0,
                      method: str = "auto", lang: str = "zh-CN", risk: bool = True) -> tuple[Any, Path]:
    """Where ``add`` new cameras help most (maximal covering; or the fewest reaching ``target_share``)."""
    if add is None and target_share is None:
        raise InputError("give --add K (how many new cameras) or --target-share S (set covering)",
                         code="param.siting_size")
    gaps = gaps_for_workspace(ws, edge_risk=forecast_edge_risk(ws) if risk else None)
    plan = siting_for_workspace(ws, k=add, target_share=target_share, budget_per_station=budget_per_station,
                                radius_m=radius_m, spacing_m=spacing_m, method=method, gaps=gaps)
    plan.figures["worth"] = camera_worth(gaps, plan.result.covered, lang=lang)  # an estimate, with its source
    return plan, write_table(plan.sites, Path(out), lang=lang, sheet="sites")


#: The columns of a gap list and of a siting plan that their records and jobs show (their top rows).
GAP_COLUMNS = ("gap_id", "rank", "district_rank", "kind", "station_id", "station_name", "neighborhood_id",
               "neighborhood_name", "road_name", "risk_score", "incidents_12m",
               "length_m", "seen_share", "nearest_camera_m", "lon", "lat", "suggest_lon", "suggest_lat",
               "suggest_bearing_deg", "suggest_kind")
SITE_COLUMNS = ("order", "site_id", "source", "station_id", "road_name", "lon", "lat", "bearing_deg", "suggest_kind",
                "marginal_gain", "cumulative_share", "gaps_covered")


#: Ranked gaps a gap list's record and job keep (the web's default; the command line's).
TOP_GAPS = 100


def gaps_summary(ws: Workspace, gaps: pd.DataFrame, *, risk: bool, top: int = TOP_GAPS,
                 station_id: str | None = None) -> dict[str, Any]:
    """What a gap list's record and job say of it: cameras counted, gaps by kind, its first ``top``."""
    kinds = {str(k): int(v) for k, v in gaps["kind"].value_counts().items()} if len(gaps) else {}
    cols = [c for c in GAP_COLUMNS if c in gaps.columns]
    return {"cameras": camera_count(ws, station_id), "gaps": int(len(gaps)), "by_kind": kinds, "risk": risk,
            "top": json_rows(gaps[cols], top)}


def siting_summary(plan: SitingPlan, *, top: int | None) -> dict[str, Any]:
    """What a siting plan's record and job say of it: its figures and its first ``top`` sites."""
    cols = [c for c in SITE_COLUMNS if c in plan.sites.columns]
    return {"figures": to_jsonable(plan.figures), "sites": json_rows(plan.sites[cols], top)}

