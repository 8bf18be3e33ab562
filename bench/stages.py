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


StageFn = Callable[[Context], dict[str, Any]]
STAGES: dict[str, tuple[str, StageFn]] = {}


def stage(name: str, *, group: str = "patrolnet") -> Callable[[StageFn], StageFn]:
    def register(fn: StageFn) -> StageFn:
        STAGES[name] = (group, fn)
        return fn

    return register


@stage("demo.build")
def demo_build(ctx: Context) -> dict[str, Any]:
    """Generate the synthetic district and write it as a workspace (the whole `patrolnet demo` build)."""
    from app.jobs import build_demo_workspace

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
    from geo.workspace import Workspace

    info = Workspace(ctx.workspace).info()
    return {"layers": len(info.layers)}


@stage("workspace.read_all")
def workspace_read_all(ctx: Context) -> dict[str, Any]:
    """Read every layer of the workspace into memory."""
    from geo.workspace import Workspace

    ws = Workspace(ctx.workspace)
    rows = sum(len(ws.read(name)) for name in ws.layers())
    return {"rows": rows}


@stage("map.overview")
def map_overview(ctx: Context) -> dict[str, Any]:
    """Render the overview web map to HTML (what `/` serves)."""
    from app.maps import overview_map
    from geo.workspace import Workspace

    html = overview_map(Workspace(ctx.workspace)).get_root().render()
    return {"html_mb": round(len(html.encode()) / 1e6, 2)}
