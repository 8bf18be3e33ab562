"""Bench stages of the road network, sub-zones and the coverage split (issue 4)."""

from __future__ import annotations

import shutil
from typing import Any

from bench.stages import Context, stage


@stage("graph.build")
def graph_build(ctx: Context) -> dict[str, Any]:
    """Road graph from the workspace layers (read included)."""
    from app.storage.workspace import Workspace
    from routing.graph import graph_from_workspace

    g = graph_from_workspace(Workspace(ctx.workspace))
    return {"nodes": g.number_of_nodes(), "edges": g.number_of_edges()}


@stage("graph.build", group="osmnx graph_from_gdfs")
def graph_build_osmnx(ctx: Context) -> dict[str, Any]:
    """Peer: osmnx's own graph_from_gdfs on the same layers (read included)."""
    import osmnx as ox

    from app.storage.workspace import Workspace

    ws = Workspace(ctx.workspace)
    nodes = ws.read("road_nodes").set_index("node_id")
    edges = ws.read("road_edges").set_index(["u", "v", "key"])
    g = ox.convert.graph_from_gdfs(nodes, edges)
    return {"nodes": g.number_of_nodes(), "edges": g.number_of_edges()}


@stage("grid")
def grid(ctx: Context) -> dict[str, Any]:
    """patrolnet grid --count 1979 x scale (blocks, cuts, splits, merges, write)."""
    from app.services.grid import grid_workspace
    from app.storage.workspace import Workspace

    copy = ctx.workdir / f"grid-x{ctx.scale:g}.gpkg"
    shutil.copyfile(ctx.workspace, copy)
    count = int(round(1979 * ctx.scale))
    _, result, _ = grid_workspace(Workspace(copy), count=count, export_dir=ctx.workdir / "grids")
    sz = result.subzones
    return {"subzones": len(sz), "asked": count, "blocks": result.blocks,
            "area_m2_min_median_max": f"{sz.area_m2.min():.0f}/{sz.area_m2.median():.0f}/{sz.area_m2.max():.0f}"}


@stage("split")
def split(ctx: Context) -> dict[str, Any]:
    """patrolnet split: edge owners, brigade beats (one per brigade vehicle), grid-team areas, write."""
    from app.services.split import split_workspace
    from app.storage.workspace import Workspace

    copy = ctx.workdir / f"split-x{ctx.scale:g}.gpkg"
    shutil.copyfile(ctx.workspace, copy)
    _, result, _ = split_workspace(Workspace(copy))
    b = result["balance"]
    return {"beats": b.get("beats"), "max_over_mean": round(float(b.get("max_over_mean", float("nan"))), 3)}
