"""The real Mission extract (San Francisco) with its 2019 robberies, as the routing tests use it."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np

DATA = Path(__file__).resolve().parents[1] / "data"


def mission_with_robberies(folder: Path) -> tuple[Any, Any, np.ndarray]:
    """A workspace in ``folder`` made from the Mission extract with its robberies imported: the
    workspace, the incidents (not yet written back) with ``place_kind`` set (on main roads: street
    incidents, the brigade's; else neighborhood ones, the teams') and which are on main roads."""
    from app.services.imports import import_table
    from app.services.workspace import init_workspace
    from routing.graph import graph_from_workspace

    ws, _ = init_workspace(folder / "sf.gpkg", osm=DATA / "osm" / "san_francisco_mission.osm.bz2",
                           timezone="America/Los_Angeles")
    src = folder / "san_francisco_robbery_2019.csv"
    shutil.copy(DATA / "incidents" / "san_francisco_robbery_2019.csv", src)
    ws, _, _ = import_table(ws, "incidents", src, tolerance_m=0)
    G = graph_from_workspace(ws)
    main = {d["edge_id"] for _, _, d in G.edges(data=True) if d["road_class"] == "main"}
    inc = ws.read("incidents")
    on_main = inc["edge_id"].astype("Int64").isin(list(main)).to_numpy(dtype=bool, na_value=False)
    inc["place_kind"] = np.where(on_main, "street", "neighborhood")
    return ws, inc, on_main
