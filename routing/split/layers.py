"""The whole split of a workspace, as layers ready to write back (``patrolnet split``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely

from geo.errors import InputError
from routing.graph import graph_from_workspace
from routing.split.beats import beat_table, brigade_beats
from routing.split.owners import assign_edge_owners
from routing.split.partition import DEFAULT_MAX_RATIO
from routing.split.summary import split_summary
from routing.split.teams import DEFAULT_ADJACENCY_M, grid_team_areas, grid_teams_per_station

__all__ = ["split_layers"]


def split_layers(
    ws: Any,
    *,
    k: int | None = None,
    weight: Mapping[int, float] | None = None,
    per_team_households: int | None = None,
    adjacency_m: float = DEFAULT_ADJACENCY_M,
    seed: int = 0,
    max_ratio: float = DEFAULT_MAX_RATIO,
) -> dict[str, pd.DataFrame]:
    """Read a workspace and compute the whole split, as layers ready for ``Workspace.write``.

    Parameters
    ----------
    ws
        A workspace with a road network (and ideally stations, neighborhoods, units, subzones,
        incidents): any object with ``has(layer)``, ``read(layer)``, ``meta_json(key, default)``
        and ``path``, as :func:`routing.graph.graph_from_workspace` reads it.
    k
        Brigade beats; default: the number of ``brigade_vehicle`` units in ``units``.
    weight, seed, max_ratio
        As in :func:`brigade_beats`.
    per_team_households, adjacency_m
        As in :func:`grid_team_areas` (team counts come from the ``grid_team`` units per station).

    Returns
    -------
    dict
        ``edge_owners`` (the road edges' geometry with ``owner_kind``, ``owner_id``, ``station_id``,
        ``how``, ``beat``: 1-based beat number for main roads, NA else, ``beat_id``), ``beats``
        (one MultiLineString per beat: ``beat_id``, ``beat``, ``length_m``, ``workload``, ``share``,
        ``segments``), ``grid_team_areas`` (when there are neighborhoods) and ``split_summary``
        (attribute table). ``split_summary.attrs`` carries the beat balance.

    Raises
    ------
    InputError
        When there is no road network, or ``k`` is not given and the units layer has no brigade
        vehicles.
    InfeasibleError
        When the main-road network cannot take ``k`` connected beats.
    """
    G = graph_from_workspace(ws)
    stations = ws.read("stations") if ws.has("stations") else None
    units = ws.read("units") if ws.has("units") else None
    if k is None:
        has_kind = units is not None and "kind" in units
        n_vehicles = int((units["kind"] == "brigade_vehicle").sum()) if has_kind else 0
        if n_vehicles == 0:
            raise InputError(
                f"workspace '{ws.path}': how many brigade beats? The units layer has no brigade_vehicle units; "
                f"give the number with --brigade-units K",
                code="split.no_vehicles",
            )
        k = n_vehicles
    owners = assign_edge_owners(G, stations=stations)
    beats = brigade_beats(G, k=k, weight=weight, seed=seed, max_ratio=max_ratio)
    edges = ws.read("road_edges")
    keep = [c for c in ("edge_id", "u", "v", "key", "highway", "name", "oneway", "length_m") if c in edges]
    eo = edges[keep + ["geometry"]].copy()
    eid = eo["edge_id"].astype("int64")
    for col in ("owner_kind", "owner_id", "station_id", "how", "road_class"):
        eo[col] = owners[col].reindex(eid.to_numpy()).to_numpy()
    beat = beats["beat"].reindex(eid.to_numpy())
    eo["beat"] = pd.array(beat.to_numpy() + 1, dtype="Int64") if len(beat) else pd.array([], dtype="Int64")
    eo["beat_id"] = pd.array([f"B{int(b):02d}" if pd.notna(b) else pd.NA for b in eo["beat"]], dtype="string")
    layers: dict[str, pd.DataFrame] = {"edge_owners": gpd.GeoDataFrame(eo, geometry="geometry", crs=edges.crs)}
    bt = beat_table(beats)
    geom_by_edge = pd.Series(edges.geometry.to_numpy(), index=eid.to_numpy())
    seg_first = beats.reset_index().drop_duplicates("segment")
    beat_geoms = []
    for b in bt.index:
        ids = seg_first.loc[seg_first["beat"] == b, "edge_id"].to_numpy()
        beat_geoms.append(shapely.multilinestrings(list(geom_by_edge.loc[ids].to_numpy())))
    layers["beats"] = gpd.GeoDataFrame(
        {"beat_id": bt["beat_id"].to_numpy(), "beat": bt.index.to_numpy() + 1,
         "length_m": bt["length_m"].to_numpy(), "workload": bt["workload"].to_numpy(),
         "share": bt["share"].to_numpy(), "segments": bt["segments"].to_numpy()},
        geometry=beat_geoms, crs=edges.crs,
    )
    neighborhoods = ws.read("neighborhoods") if ws.has("neighborhoods") else None
    if neighborhoods is not None and len(neighborhoods):
        layers["grid_team_areas"] = grid_team_areas(
            neighborhoods, teams_per_station=grid_teams_per_station(units) if units is not None else None,
            per_team_households=per_team_households, adjacency_m=adjacency_m, seed=seed, max_ratio=max_ratio,
        )
    summary = split_summary(
        owners, beats=beats, neighborhoods=neighborhoods,
        subzones=ws.read("subzones") if ws.has("subzones") else None,
        incidents=ws.read("incidents") if ws.has("incidents") else None,
        stations=stations, grid_areas=layers.get("grid_team_areas"),
    )
    summary.attrs.update({k_: v for k_, v in beats.attrs.items() if k_ != "links"})
    layers["split_summary"] = summary
    return layers
