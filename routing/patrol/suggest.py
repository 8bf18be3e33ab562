"""Patrol units suggested for a district that has none yet (``patrolnet units suggest``).

A workspace made from a real OSM extract has roads and a boundary, no units. :func:`suggest_units`
proposes the method's two planned line-ups from the roads alone, for the commander to edit:

* one special-patrol-brigade car per beat of the main roads (the split's beats when it has run,
  else as many beats as cars, one car per :data:`MAIN_KM_PER_CAR` km of main-road arcs), based at
  the beat's node nearest its middle, line-up 2 officers + 1 auxiliary;
* one "1+2+N" grid team per group of neighborhoods (per community when the neighborhoods layer
  names them), or where there are no neighborhoods, per :data:`CELL_M` metre square of the district
  holding at least :data:`MIN_LOCAL_KM` km of local streets; based at the local-street node nearest
  the group's middle, on foot, line-up 1 officer + 2 auxiliaries + 4 volunteers.
"""

from __future__ import annotations

import math
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely

from geo.errors import InputError
from routing.split.beats import brigade_beats

__all__ = ["CELL_M", "MAIN_KM_PER_CAR", "MIN_LOCAL_KM", "suggest_units"]

#: One brigade car for this many km of main-road arcs (a 4-hour shift covers its beat in about half).
MAIN_KM_PER_CAR = 50.0
#: Without neighborhoods, one grid team per square of this side ...
CELL_M = 1000.0
#: ... holding at least this many km of local streets.
MIN_LOCAL_KM = 3.0


def _nearest(xy: np.ndarray, x: float, y: float) -> tuple[float, float]:
    j = int(np.argmin(np.hypot(xy[:, 0] - x, xy[:, 1] - y)))
    return float(xy[j, 0]), float(xy[j, 1])


def suggest_units(G: nx.MultiDiGraph, *, beats: Any = None, neighborhoods: Any = None, cars: int | None = None,
                  seed: int = 0) -> gpd.GeoDataFrame:
    """The suggested ``units`` layer (the graph's CRS): ``unit_id``, ``kind``, ``name``,
    ``station_id``, ``community_id``, ``officers``, ``auxiliaries``, ``volunteers``, ``mode``,
    ``note`` (why this unit is here), point geometry (its base).

    ``beats``: the split's ``edge_id -> beat`` (one car each); ``cars``: how many brigade cars
    when there is no split (default one per :data:`MAIN_KM_PER_CAR` km of main-road arcs);
    ``neighborhoods``: the layer, when the workspace has one.

    Raises
    ------
    InputError
        When the road graph has no main roads and no local streets to patrol.
    """
    crs = G.graph.get("crs")
    edges = [(u, v, d) for u, v, d in G.edges(data=True)]
    main = [(u, v, d) for u, v, d in edges if d.get("road_class") == "main"]
    local = [(u, v, d) for u, v, d in edges if d.get("road_class") != "main"]
    if not edges:
        raise InputError("the workspace's road network has no streets to patrol; import an OSM extract first",
                         code="units.no_roads")
    rows: list[dict[str, Any]] = []
    # -- the brigade: one car per beat ---------------------------------------------------------------
    if main:
        if beats is None:
            km = sum(float(d["length_m"]) for _, _, d in main) / 1000
            k = cars if cars is not None else max(1, math.ceil(km / MAIN_KM_PER_CAR))
            beats = brigade_beats(G, k=k, seed=seed)["beat"]
        beat_of = pd.Series(beats)
        eid = {int(d["edge_id"]): (u, v) for u, v, d in main if "edge_id" in d}
        elen = {int(d["edge_id"]): float(d.get("length_m", 0.0)) for _, _, d in main if "edge_id" in d}
        for n, b in enumerate(sorted(pd.unique(beat_of)), start=1):
            ends = [x for e in beat_of[beat_of == b].index if int(e) in eid for x in eid[int(e)]]
            if not ends:
                continue
            nodes = list(dict.fromkeys(ends))
            xy = np.array([(G.nodes[x]["x"], G.nodes[x]["y"]) for x in nodes])
            bx, by = _nearest(xy, *xy.mean(axis=0))
            km = sum(elen.get(int(e), 0.0) for e in beat_of[beat_of == b].index) / 1000
            rows.append({"kind": "brigade_vehicle", "name": f"特巡警大队巡逻车{n:02d}", "station_id": None,
                         "community_id": None, "officers": 2, "auxiliaries": 1, "volunteers": 0, "mode": "car",
                         "note": f"主干道巡区 {b}（约 {km:.1f} 公里）", "x": bx, "y": by})
    # -- the grid teams: per group of neighborhoods, else per square of local streets -----------------
    lnodes = list(dict.fromkeys(x for u, v, _ in local for x in (u, v))) or list(G.nodes)
    lxy = np.array([(G.nodes[x]["x"], G.nodes[x]["y"]) for x in lnodes])
    groups: list[tuple[str, str | None, str | None, float, float]] = []  # name, station, community, x, y
    if neighborhoods is not None and len(neighborhoods):
        key = "community_id" if "community_id" in neighborhoods and neighborhoods["community_id"].notna().any() \
            else None
        cents = shapely.centroid(neighborhoods.geometry.to_numpy())
        frame = pd.DataFrame({"x": shapely.get_x(cents), "y": shapely.get_y(cents),
                              "group": neighborhoods[key].astype(str) if key else np.arange(len(neighborhoods)) // 5,
                              "station": neighborhoods["station_id"] if "station_id" in neighborhoods else None,
                              "name": neighborhoods["name"] if "name" in neighborhoods else None})
        for g, grp in frame.groupby("group", sort=True):
            label = f"{grp['name'].iloc[0]}片区" if grp["name"].notna().any() else f"第{len(groups) + 1:02d}片区"
            st = grp["station"].dropna()
            groups.append((label, str(st.iloc[0]) if len(st) else None, str(g) if key else None,
                           float(grp["x"].mean()), float(grp["y"].mean())))
    else:
        mid = np.array([((G.nodes[u]["x"] + G.nodes[v]["x"]) / 2, (G.nodes[u]["y"] + G.nodes[v]["y"]) / 2,
                         float(d.get("length_m", 0.0))) for u, v, d in local]).reshape(-1, 3)
        if len(mid):
            cell = np.floor(mid[:, :2] / CELL_M).astype(np.int64)
            frame = pd.DataFrame({"cx": cell[:, 0], "cy": cell[:, 1], "x": mid[:, 0], "y": mid[:, 1], "m": mid[:, 2]})
            for (cx, cy), grp in frame.groupby(["cx", "cy"], sort=True):
                km = grp["m"].sum() / 2000  # both directions of a street
                if km >= MIN_LOCAL_KM:
                    groups.append((f"第{len(groups) + 1:02d}网格", None, None,
                                   float(np.average(grp["x"], weights=grp["m"] + 1e-9)),
                                   float(np.average(grp["y"], weights=grp["m"] + 1e-9))))
    for n, (label, station, community, gx, gy) in enumerate(groups, start=1):
        bx, by = _nearest(lxy, gx, gy)
        rows.append({"kind": "grid_team", "name": f"{label}1+2+N巡逻队", "station_id": station,
                     "community_id": community, "officers": 1, "auxiliaries": 2, "volunteers": 4, "mode": "foot",
                     "note": "按社区划分" if community else "按 1 公里网格内的支路划分", "x": bx, "y": by})
    if not rows:
        raise InputError("no patrol units could be suggested: the road network has no main roads and too few "
                         "local streets; import a larger extract", code="units.none_suggested")
    out = pd.DataFrame(rows)
    out.insert(0, "unit_id", [f"U{i + 1:04d}" for i in range(len(out))])
    return gpd.GeoDataFrame(out.drop(columns=["x", "y"]), geometry=gpd.points_from_xy(out["x"], out["y"]), crs=crs)
