"""Assembling a :class:`~routing.patrol.results.RoutePlan` from arcs, times and stops."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import replace
from typing import Any

import networkx as nx
import numpy as np
import shapely

from routing.patrol.results import Dosage, RoutePlan, Stop
from routing.postman import ArcTable

__all__: list[str] = []


def _arc_geometry(G: nx.MultiDiGraph, u: Hashable, v: Hashable, k: Any) -> np.ndarray:
    d = G.edges[u, v, k]
    geom = d.get("geometry")
    if geom is not None:
        c = shapely.get_coordinates(geom)
        if len(c) >= 2:
            return c
    nu, nv = G.nodes[u], G.nodes[v]
    return np.array([[nu["x"], nu["y"]], [nv["x"], nv["y"]]], dtype=float)


def _direction(a: np.ndarray, b: np.ndarray) -> float:
    """The direction from ``a`` to ``b`` (radians, counter-clockwise from east)."""
    return float(math.atan2(float(b[1] - a[1]), float(b[0] - a[0])))


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
    coords: list[np.ndarray] = []
    times: list[np.ndarray] = []
    names: list[str | None] = []
    bearings: list[tuple[float, float]] = []
    for j, (i, t0, d) in enumerate(zip(seq, arc_t0, arc_dt)):
        u, v, k = tab.arc(i)
        c = full = _arc_geometry(G, u, v, k)
        seg = np.hypot(*np.diff(c, axis=0).T)
        cum = np.r_[0.0, np.cumsum(seg)]
        frac = cum / cum[-1] if cum[-1] > 0 else np.linspace(0, 1, len(c))
        ts = t0 + frac * d
        if j:
            c, ts = c[1:], ts[1:]
        coords.append(c)
        times.append(ts)
        bearings.append((_direction(full[0], full[1]), _direction(full[-2], full[-1])) if len(full) > 1
                        else (math.nan, math.nan))
        nm = G.edges[u, v, k].get("name")
        names.append(str(nm) if nm is not None and not (isinstance(nm, float) and math.isnan(nm)) and str(nm) else None)
    arriving: dict[Hashable, str] = {}
    for i, nm in zip(seq, names):
        if nm:
            arriving[tab.nodes[tab.head[i]]] = nm
            arriving.setdefault(tab.nodes[tab.tail[i]], nm)
    stops = [st if st.road else replace(st, road=arriving.get(st.node)) for st in stops]
    bx, by = G.nodes[tab.nodes[base]]["x"], G.nodes[tab.nodes[base]]["y"]
    if coords:
        xy = np.vstack(coords)
        ts_all = np.concatenate(times)
    else:
        xy = np.array([[bx, by]], dtype=float)
        ts_all = np.zeros(1)
    s = np.asarray(seq, dtype=np.int64)
    t0 = np.asarray(arc_t0, dtype=float)
    t1 = t0 + np.asarray(arc_dt, dtype=float)
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
