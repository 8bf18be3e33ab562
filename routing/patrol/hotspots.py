"""Hotspots and prizes: risk per edge or points snapped onto graph nodes."""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np
import shapely
from scipy.spatial import cKDTree

from geo.errors import InputError
from routing.graph import place_name
from routing.postman import ArcTable

__all__ = ["hotspots_from_risk", "node_prizes"]


@dataclass
class _Hot:
    hid: str
    label: str
    node: int  # table index
    weight: float
    vehicle: int = -1
    top: bool = False
    last_end: float = -math.inf
    visits: int = 0
    stop_s: float = 0.0


def _snap(tab: ArcTable, candidates: np.ndarray, tree: cKDTree, loc: Any) -> int:
    """A hotspot location -> node index: a node of G, or a point ((x, y), shapely Point) snapped to
    the nearest of ``candidates`` (node indices; ``tree`` is their KD-tree)."""
    try:
        if loc in tab.index:
            return tab.index[loc]
    except TypeError:
        pass
    if isinstance(loc, shapely.Geometry):
        p = shapely.get_coordinates(shapely.centroid(loc))[0]
    elif isinstance(loc, Sequence) and len(loc) == 2 and all(isinstance(c, int | float | np.number) for c in loc):
        p = np.asarray(loc, dtype=float)
    else:
        raise InputError(f"hotspot location {loc!r} is neither a node of the road graph nor a point (x, y) in its CRS")
    _, j = tree.query(p)
    return int(candidates[int(j)])


def hotspots_from_risk(
    G: nx.MultiDiGraph, risk: Mapping[int, float], *, edge_ids: Iterable[int] | None = None, top: int = 10,
    merge_m: float = 200.0, table: ArcTable | None = None,
) -> list[tuple[Hashable, float, str]]:
    """Hotspot nodes from per-edge risk.

    A node's weight is half the risk of the arcs touching it (each arc's risk shared by its two ends;
    only arcs in ``edge_ids`` when given). Heaviest first, a node within ``merge_m`` metres of an
    already chosen one adds its weight to that one instead of becoming a hotspot of its own (no
    back-to-back stops 100 m apart). Labels name the crossing streets ("A与B交叉口") or the street.

    ``table``: ``arc_table(G)``, when built; with ``edge_ids``, only those arcs are read (in the
    graph's order, as without it: the same sums), not every arc of ``G``.

    Returns
    -------
    list
        ``[(node, weight, label), ...]``, at most ``top``, heaviest first.
    """
    keep = None if edge_ids is None else {int(e) for e in edge_ids}
    node_w: dict[Hashable, float] = {}
    if table is not None and keep is not None:
        at = np.flatnonzero(np.isin(table.edge_id, np.fromiter(keep, dtype=np.int64, count=len(keep))))
        arcs: Iterable[tuple[Hashable, Hashable, Any]] = (
            (table.nodes[t], table.nodes[h], e) for t, h, e in
            zip(table.tail[at].tolist(), table.head[at].tolist(), table.edge_id[at].tolist()))
    else:
        arcs = ((u, v, d.get("edge_id")) for u, v, d in G.edges(data=True))
    for u, v, e in arcs:
        if e is None or (keep is not None and e not in keep):
            continue
        r = float(risk.get(e, 0.0))
        if r <= 0:
            continue
        for n in (u, v):
            node_w[n] = node_w.get(n, 0.0) + r / 2
    ranked = sorted(node_w.items(), key=lambda kv: (-kv[1], str(kv[0])))
    chosen: list[list[Any]] = []
    for n, w in ranked:
        x, y = G.nodes[n]["x"], G.nodes[n]["y"]
        for c in chosen:
            if math.hypot(c[2] - x, c[3] - y) <= merge_m:
                c[1] += w
                break
        else:
            chosen.append([n, w, x, y])
    chosen.sort(key=lambda c: (-c[1], str(c[0])))
    out = []
    seen: dict[str, int] = {}
    for n, w, _, _ in chosen[:top]:
        label, _ = place_name(G, n)
        seen[label] = seen.get(label, 0) + 1
        if seen[label] > 1:
            label = f"{label}（{seen[label]}）"
        out.append((n, float(w), label))
    return out


def node_prizes(
    G: nx.MultiDiGraph, points: Any, *, weights: Sequence[float] | None = None, nodes: Iterable[Hashable] | None = None,
    max_snap_m: float = 300.0,
) -> dict[Hashable, float]:
    """Sum point weights (e.g. incidents, 1 each) onto their nearest graph node: orienteering prizes.

    Parameters
    ----------
    points
        ``(n, 2)`` coordinates in the graph's CRS (metres), or a GeoSeries/GeoDataFrame of points.
    weights
        Weight per point (default 1).
    nodes
        Only snap onto these nodes (default: all).
    max_snap_m
        Points farther than this from every node are ignored.
    """
    if hasattr(points, "geometry"):
        points = points.geometry
    if hasattr(points, "x") and hasattr(points, "y") and not isinstance(points, np.ndarray):
        xy = np.column_stack([np.asarray(points.x, dtype=float), np.asarray(points.y, dtype=float)])
    else:
        xy = np.asarray(points, dtype=float).reshape(-1, 2)
    w = np.ones(len(xy)) if weights is None else np.asarray(weights, dtype=float)
    cand = list(G.nodes) if nodes is None else list(nodes)
    if not cand or not len(xy):
        return {}
    nxy = np.array([(G.nodes[n]["x"], G.nodes[n]["y"]) for n in cand])
    dist, j = cKDTree(nxy).query(xy)
    ok = dist <= max_snap_m
    out: dict[Hashable, float] = {}
    for jj, ww in zip(j[ok].tolist(), w[ok].tolist()):
        out[cand[jj]] = out.get(cand[jj], 0.0) + ww
    return out
