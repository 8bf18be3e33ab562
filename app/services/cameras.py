"""One call per CLI/web job: camera coverage, gaps and siting straight from a workspace.

These read the layers a workspace has (``cameras``, ``road_edges``, and when present ``buildings``,
``neighborhoods``, ``stations``, ``communities``, ``incidents``) and chain the pure functions of
:mod:`geo.cameras`. Risk and hotspot cells are optional inputs (from the hotspot/forecast work);
without them gaps are ranked by the incidents of the last 12 months.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Mapping
from typing import Any

import geopandas as gpd

from geo.cameras.coverage import CameraCoverage, camera_coverage, neighborhood_entrances
from geo.cameras.gaps import camera_gaps
from geo.cameras.plan import SitingPlan, candidate_sites, site_cameras
from geo.cameras.views import camera_views
from geo.errors import InputError
from app.storage.workspace import Workspace

__all__ = ["NOT_WATCHED", "district_layers", "coverage_for_workspace", "gaps_for_workspace",
           "siting_for_workspace"]

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
        raise InputError(f"workspace '{ws.path}' has no road network; build it with patrolnet init --osm FILE")
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
    return camera_gaps(
        views, edges=lay["road_edges"], neighborhoods=lay["neighborhoods"], cells=cells,
        incidents=lay["incidents"], stations=lay["stations"], communities=lay["communities"],
        edge_risk=edge_risk, neighborhood_risk=neighborhood_risk, cell_risk=cell_risk,
        segment_m=segment_m, seen_share_below=seen_share_below, as_of=as_of,
    )


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
        raise InputError("--budget-per-station needs police stations in the workspace (layer 'stations')")
    if not len(gaps):
        raise InputError("no camera gaps: every street, entrance and cell given is already seen")
    plan = site_cameras(gaps, cand, k=k, target_share=target_share, radius_m=radius_m,
                        budget_per_station=budget_per_station, method=method, time_limit_s=time_limit_s)
    plan.figures["gaps"] = int(len(gaps))
    plan.figures["existing_cameras"] = int(len(lay["cameras"]))
    plan.figures["candidates_by_source"] = {str(k_): int(v) for k_, v in
                                            cand["source"].value_counts().items()}
    plan.figures["radius_m"] = float(radius_m)
    return plan
