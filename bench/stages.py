"""Benchmark stages. Each stage runs in its own process so its peak memory is its own.

A stage is a function ``fn(ctx) -> dict`` registered with :func:`stage`; ``ctx`` carries the
scale, a work folder shared by the stages of one scale, and the seed. It returns extra figures
(counts, errors against a peer, ...) that the runner prints beside time and memory. Later issues add
their stages (and their peers' stages) here or in modules imported below.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Context:
    scale: float
    workdir: Path
    seed: int = 1979
    as_of: dt.date = dt.date(2026, 10, 31)

    @property
    def workspace(self) -> Path:
        return self.workdir / f"demo-x{self.scale:g}.gpkg"


def load_all_stages() -> None:
    """Import every ``bench/stages_*.py`` module so that its stages register (in name order)."""
    import importlib
    import pkgutil

    import bench

    for info in sorted(pkgutil.iter_modules(bench.__path__), key=lambda i: i.name):
        if info.name.startswith("stages_"):
            importlib.import_module(f"bench.{info.name}")


StageFn = Callable[[Context], dict[str, Any]]
#: key ("name" or "name@tool" for a peer) -> (name, tool, function)
STAGES: dict[str, tuple[str, str, StageFn]] = {}


def stage(name: str, *, group: str = "patrolnet") -> Callable[[StageFn], StageFn]:
    """Register a stage; ``group`` names the tool measured (patrolnet, or the peer beside it)."""

    def register(fn: StageFn) -> StageFn:
        key = name if group == "patrolnet" else f"{name}@{group}"
        STAGES[key] = (name, group, fn)
        return fn

    return register


@stage("demo.build")
def demo_build(ctx: Context) -> dict[str, Any]:
    """Generate the synthetic district and write it as a workspace (the whole `patrolnet demo` build)."""
    from app.services.workspace import build_demo_workspace

    ws = build_demo_workspace(
        ctx.workspace, seed=ctx.seed, as_of=ctx.as_of, scale=ctx.scale, overwrite=True
    )
    counts = {li.name: li.features for li in ws.info().layers}
    return {
        "road_nodes": counts.get("road_nodes"),
        "road_edges": counts.get("road_edges"),
        "subzones": counts.get("subzones"),
        "incidents": counts.get("incidents"),
        "file_mb": round(ctx.workspace.stat().st_size / 1e6, 1),
    }


@stage("workspace.info")
def workspace_info(ctx: Context) -> dict[str, Any]:
    """Open the workspace and list layers, counts and extent (`patrolnet info`)."""
    from app.storage.workspace import Workspace

    info = Workspace(ctx.workspace).info()
    return {"layers": len(info.layers)}


@stage("workspace.read_all")
def workspace_read_all(ctx: Context) -> dict[str, Any]:
    """Read every layer of the workspace into memory."""
    from app.storage.workspace import Workspace

    ws = Workspace(ctx.workspace)
    rows = sum(len(ws.read(name)) for name in ws.layers())
    return {"rows": rows}


@stage("map.overview")
def map_overview(ctx: Context) -> dict[str, Any]:
    """Render the overview web map to HTML (what `/` serves)."""
    from app.maps import overview_map
    from app.storage.workspace import Workspace

    html = overview_map(Workspace(ctx.workspace)).get_root().render()
    return {"html_mb": round(len(html.encode()) / 1e6, 2)}


@stage("import.incidents")
def import_incidents(ctx: Context) -> dict[str, Any]:
    """Import a CSV of 100,000 x scale incident rows (1 million at scale 10): Chinese headers, GCJ-02
    coordinates, Chinese time format; every row checked, snapped and tagged; atomic write."""
    import shutil
    import time

    import numpy as np
    import pandas as pd
    from pyproj import Transformer

    from geo.coords import wgs84_to_gcj02
    from app.services.imports import import_table
    from app.storage.workspace import Workspace

    rows = int(100_000 * ctx.scale)
    copy = ctx.workdir / f"import-x{ctx.scale:g}.gpkg"
    shutil.copyfile(ctx.workspace, copy)
    ws = Workspace(copy)
    xmin, ymin, xmax, ymax = ws.read("stations").total_bounds
    rng = np.random.default_rng(7)
    x = rng.uniform(xmin, xmax, rows)
    y = rng.uniform(ymin, ymax, rows)
    lon, lat = Transformer.from_crs(ws.crs, "EPSG:4326", always_xy=True).transform(x, y)
    glon, glat = wgs84_to_gcj02(lon, lat)
    start = pd.Timestamp("2025-01-01")
    times = start + pd.to_timedelta(rng.integers(0, 365 * 24 * 60, rows), unit="min")
    cats = np.array(["抢劫", "抢夺", "入室盗窃", "盗窃电动车", "盗窃车内财物", "故意伤害", "诈骗", "治安案件"])
    frame = pd.DataFrame({
        "警情编号": [f"J{i:08d}" for i in range(rows)],
        "发案时间": times.strftime("%Y年%m月%d日 %H:%M"),
        "案件类别": cats[rng.integers(0, len(cats), rows)],
        "经度": np.round(glon, 7),
        "纬度": np.round(glat, 7),
    })
    csv = ctx.workdir / f"incidents-x{ctx.scale:g}.csv"
    frame.to_csv(csv, index=False, encoding="utf-8")
    t0 = time.perf_counter()
    new_ws, result, _ = import_table(ws, "incidents", csv, coords="gcj02", replace=True)
    seconds = time.perf_counter() - t0
    return {"rows": rows, "accepted": len(result.accepted), "import_s": round(seconds, 1),
            "rows_per_s": int(rows / seconds)}


_OSM_FILES = ("shanghai_huangpu.osm", "san_francisco_mission.osm.bz2", "helsinki_centre.osm.pbf")
_TEST_DATA = Path(__file__).parents[1] / "tests" / "data" / "osm"


@stage("osm.read")
def osm_read(ctx: Context) -> dict[str, Any]:
    """patrolnet's OSM reader (pyosmium) on the three real extracts; figures per file."""
    import time

    from geo.osm import read_osm

    if ctx.scale != 1:
        return {"skipped": "real extracts are read at scale 1 only"}
    out: dict[str, Any] = {}
    for name in _OSM_FILES:
        t0 = time.perf_counter()
        ext = read_osm(_TEST_DATA / name)
        out[name.split("_")[0]] = f"{time.perf_counter() - t0:.2f}s {len(ext.road_nodes)}n/{len(ext.road_edges)}e"
    return out


@stage("osm.read", group="osmnx graph_from_xml")
def osm_read_osmnx(ctx: Context) -> dict[str, Any]:
    """Peer: osmnx's default graph_from_xml on the same files (it cannot read PBF)."""
    import time
    import warnings

    import osmnx as ox

    if ctx.scale != 1:
        return {"skipped": "real extracts are read at scale 1 only"}
    out: dict[str, Any] = {}
    for name in _OSM_FILES[:2]:
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            g = ox.graph_from_xml(_TEST_DATA / name, retain_all=True)
        out[name.split("_")[0]] = f"{time.perf_counter() - t0:.2f}s {g.number_of_nodes()}n/{g.number_of_edges()}e"
    out["helsinki"] = "cannot read PBF"
    return out
