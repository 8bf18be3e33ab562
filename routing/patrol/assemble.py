"""Assembling a :class:`~routing.patrol.results.RoutePlan` from arcs, times and stops."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import networkx as nx
import numpy as np
import shapely

from routing.patrol.results import Dosage, RoutePlan, Stop
from routing.postman import ArcTable, node_xy

__all__ = ["node_xy"]


@dataclass(frozen=True)
class _ArcShapes:
    """Every arc of an arc table drawn once: its vertices (``xy[off[i]:off[i + 1]]``), each vertex's
    share of the arc's length, the directions (radians, counter-clockwise from east) it leaves its
    tail and reaches its head in, and its street name (``None``: unnamed)."""

    xy: np.ndarray
    off: np.ndarray
    frac: np.ndarray
    leave: np.ndarray
    reach: np.ndarray
    names: list[str | None]


def ready_table(G: nx.MultiDiGraph, tab: ArcTable) -> None:
    """Make now what plans assembled on ``tab`` make of it on first use (its arcs' drawings and names,
    its nodes' coordinates): processes forked afterwards hold them instead of each making them."""
    _arc_shapes(G, tab)
    node_xy(G, tab)


def _arc_shapes(G: nx.MultiDiGraph, tab: ArcTable) -> _ArcShapes:
    """The :class:`_ArcShapes` of ``tab`` (built from ``G``), made on first use and kept with the table.
    A table of arcs and their reverses (``routing.postman.with_reversed``: the walking table) is
    drawn from its first table's drawings, each reverse arc's vertices backwards."""
    got = tab._cache.get("shapes")
    if got is not None:
        return got
    reverses = tab._cache.get("reverses")
    if reverses is not None:
        base, rev = reverses
        b = _arc_shapes(G, base)
        cnt = np.diff(b.off)[rev]
        start = np.r_[0, np.cumsum(cnt)[:-1]]
        which = np.repeat(np.arange(len(rev)), cnt)
        rank = np.arange(int(cnt.sum())) - start[which]
        backwards = b.xy[b.off[rev][which] + cnt[which] - 1 - rank]  # each reverse arc's vertices, last first
        shapes = _shapes_of(np.concatenate([b.xy, backwards]), np.r_[np.diff(b.off), cnt],
                            b.names + [b.names[i] for i in rev.tolist()])
        tab._cache["shapes"] = shapes
        return shapes
    m = len(tab.tail)
    geoms = np.empty(m, dtype=object)
    names: list[str | None] = []
    succ, nodes, multi = G._succ, tab.nodes, G.is_multigraph()  # G.edges[arc], without its view per arc
    for i, (t, h, k) in enumerate(zip(tab.tail.tolist(), tab.head.tolist(), tab.keys)):
        d = succ[nodes[t]][nodes[h]]
        d = d[k] if multi else d
        geoms[i] = d.get("geometry")
        nm = d.get("name")
        names.append(str(nm) if nm is not None and not (isinstance(nm, float) and math.isnan(nm)) and str(nm)
                     else None)
    has = np.array([g is not None for g in geoms], dtype=bool)
    cnt = np.zeros(m, dtype=np.int64)
    if has.any():
        cnt[has] = shapely.get_num_coordinates(list(geoms[has]))
    straight = cnt < 2  # no drawing: the straight line between the nodes
    cnt[straight] = 2
    off = np.r_[0, np.cumsum(cnt)]
    xy = np.empty((int(off[-1]), 2), dtype=float)
    drawn = np.flatnonzero(~straight)
    if len(drawn):
        c, which = shapely.get_coordinates(list(geoms[drawn]), return_index=True)
        rank = np.arange(len(which)) - np.r_[0, np.cumsum(cnt[drawn])[:-1]][which]
        xy[off[drawn][which] + rank] = c
    nx_ = np.array([G.nodes[n]["x"] for n in tab.nodes], dtype=float)
    ny_ = np.array([G.nodes[n]["y"] for n in tab.nodes], dtype=float)
    sl = np.flatnonzero(straight)
    xy[off[sl], 0], xy[off[sl], 1] = nx_[tab.tail[sl]], ny_[tab.tail[sl]]
    xy[off[sl] + 1, 0], xy[off[sl] + 1, 1] = nx_[tab.head[sl]], ny_[tab.head[sl]]
    shapes = _shapes_of(xy, cnt, names)
    tab._cache["shapes"] = shapes
    return shapes


def _shapes_of(xy: np.ndarray, cnt: np.ndarray, names: list[str | None]) -> _ArcShapes:
    """The :class:`_ArcShapes` of arcs drawn by ``cnt`` vertices each (at least two), one after the
    other in ``xy``."""
    m = len(cnt)
    off = np.r_[0, np.cumsum(cnt)]
    arc_of = np.repeat(np.arange(m), cnt)
    seg = np.r_[0.0, np.hypot(*np.diff(xy, axis=0).T)]
    seg[off[:-1]] = 0.0  # the first vertex of every arc starts it
    cum = np.cumsum(seg)
    cum -= cum[off[:-1]][arc_of]
    total = cum[off[1:] - 1][arc_of]
    pos = np.arange(len(xy)) - off[:-1][arc_of]
    frac = np.where(total > 0, cum / np.where(total > 0, total, 1.0), pos / (cnt[arc_of] - 1))
    first, last = off[:-1], off[1:] - 1
    frac[first], frac[last] = 0.0, 1.0
    leave = np.arctan2(xy[first + 1, 1] - xy[first, 1], xy[first + 1, 0] - xy[first, 0])
    reach = np.arctan2(xy[last, 1] - xy[last - 1, 1], xy[last, 0] - xy[last - 1, 0])
    return _ArcShapes(xy, off, frac, leave, reach, names)


#: A route's drawing leaves out the vertices within this many metres of the line through its
#: neighbours (Douglas-Peucker): far below what a map or a GPS shows, a tenth of the points.
DRAWING_TOLERANCE_M = 1.0


def _drawn(xy: np.ndarray) -> np.ndarray:
    """Positions of the vertices of the line ``xy`` its drawing keeps (:data:`DRAWING_TOLERANCE_M`;
    the first and the last always): GEOS's simplification carries each kept vertex's position as
    its z."""
    n = len(xy)
    if n <= 2:
        return np.arange(n)
    line = shapely.linestrings(np.column_stack([xy, np.arange(n, dtype=float)]))
    kept = shapely.get_coordinates(shapely.simplify(line, DRAWING_TOLERANCE_M, preserve_topology=False),
                                   include_z=True)
    idx = np.unique(np.r_[0, kept[:, 2].astype(np.int64) if len(kept) else [], n - 1].astype(np.int64))
    return idx


def _build_plan(
    G: nx.MultiDiGraph,
    tab: ArcTable,
    seq: Sequence[int],
    arc_t0: Sequence[float],
    arc_dt: Sequence[float],
    stops: Sequence[Stop],
    *,
    unit: Mapping[str, Any],
    base: int,
    shift_start: dt.datetime | None,
    shift_end: dt.datetime | None,
    coverage: tuple[float, float, float],
    dosage: Sequence[Dosage] = (),
    beat: Hashable | None = None,
    **extra_fields: Any,
) -> RoutePlan:
    """Assemble a :class:`RoutePlan`: geometry, per-vertex times, names, totals."""
    sh = _arc_shapes(G, tab)
    s = np.asarray(seq, dtype=np.int64)
    t0 = np.asarray(arc_t0, dtype=float)
    dur = np.asarray(arc_dt, dtype=float)
    names = [sh.names[i] for i in s.tolist()]
    # the vertices of the arcs in turn, each arc after the first without its first vertex (the last one's)
    skip = (np.arange(len(s)) > 0).astype(np.int64)
    first = sh.off[s] + skip
    n_v = sh.off[s + 1] - first
    vi = np.repeat(first - np.r_[0, np.cumsum(n_v)[:-1]], n_v) + np.arange(int(n_v.sum()))
    bearings = list(zip(sh.leave[s].tolist(), sh.reach[s].tolist()))
    arriving: dict[Hashable, str] = {}
    for i, nm in zip(seq, names):
        if nm:
            arriving[tab.nodes[tab.head[i]]] = nm
            arriving.setdefault(tab.nodes[tab.tail[i]], nm)
    stops = [st if st.road else replace(st, road=arriving.get(st.node)) for st in stops]
    bx, by = G.nodes[tab.nodes[base]]["x"], G.nodes[tab.nodes[base]]["y"]
    if len(s):
        xy = sh.xy[vi]
        ts_all = np.repeat(t0, n_v) + sh.frac[vi] * np.repeat(dur, n_v)
        keep = _drawn(xy)
        xy, ts_all = xy[keep], ts_all[keep]
    else:
        xy = np.array([[bx, by]], dtype=float)
        ts_all = np.zeros(1)
    t1 = t0 + dur
    end_s = max([float(t1[-1]) if len(t1) else 0.0] + [st.depart_s for st in stops])
    return RoutePlan(
        **unit,
        shift_start=shift_start,
        shift_end=shift_end,
        crs=G.graph.get("crs"),
        base=tab.nodes[base],
        base_xy=(float(bx), float(by)),
        arcs=tuple(tab.arc(i) for i in seq),
        edge_ids=tuple(tab.edge_id[s].tolist()),
        arc_start_s=tuple(t0.tolist()),
        arc_end_s=tuple(t1.tolist()),
        road_names=tuple(names),
        coords=xy,
        coord_s=ts_all,
        stops=tuple(stops),
        length_m=float(tab.length_m[s].sum()) if len(s) else 0.0,
        duration_min=end_s / 60.0,
        coverage_length_m=coverage[0],
        coverage_lower_bound_m=coverage[1],
        coverage_gap=coverage[2],
        dosage=tuple(dosage),
        beat=beat,
        arc_length_m=tuple(tab.length_m[s].astype(float).tolist()),
        arc_bearings=tuple(bearings),
        **extra_fields,
    )
