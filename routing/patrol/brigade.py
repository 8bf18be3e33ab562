"""The special patrol brigade's shift (特巡警大队): cover the beat, then patrol by risk.

:func:`plan_brigade_shift`: per beat, first the directed postman tour over every main-road arc of
the beat (:mod:`routing.postman`), split min-max among the beat's vehicles when it has several; then
the rest of the shift by risk: stops of 10-15 minutes at the beat's top hotspots, each revisited
about every 2 hours (Koper 1995: stops of 10-16 minutes, revisit about every 2 hours), and extra
passes over the hottest segments in between. Every vehicle is back at its base by the end of the
shift.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

import networkx as nx
import numpy as np
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import cKDTree

from geo.errors import InputError
from routing.graph import about_as_long
from routing.minmax import share_tour
from routing.patrol.assemble import _build_plan
from routing.patrol.hotspots import _Hot, _snap, hotspots_from_risk
from routing.patrol.results import Dosage, RoutePlan, Stop
from routing.patrol.units import _unit_info
from routing.patrol.window import _shift_seconds
from routing.postman import ArcTable, Tour, arc_table, node_xy, postman_tour

__all__ = ["DEFAULT_REVISIT_MIN", "DEFAULT_STOP_MIN", "BeatWork", "brigade_work", "plan_beat", "plan_brigade_shift"]

#: Koper (1995): stops of 10-16 minutes; patrolnet plans 10-15.
DEFAULT_STOP_MIN: tuple[float, float] = (10.0, 15.0)
#: Koper (1995): come back about every 2 hours.
DEFAULT_REVISIT_MIN = 120.0
#: A hotspot counts as due again once this share of the revisit interval has passed ("about").
_DUE_SHARE = 0.85


def _stop_range(stop_min: float | tuple[float, float]) -> tuple[float, float]:
    lo, hi = (stop_min, stop_min) if isinstance(stop_min, int | float) else tuple(stop_min)
    if not (0 <= lo <= hi) or not math.isfinite(hi):
        raise InputError(f"stop_min must be minutes >= 0 or a range (low, high) with low <= high, not {stop_min!r}")
    return float(lo), float(hi)


class _Shift:
    """Time line of one vehicle: drives arcs, makes hotspot stops, keeps the return to base possible."""

    def __init__(self, tab_t: ArcTable, base: int, horizon_s: float, hots: list[_Hot], revisit_s: float,
                 stop_range_s: tuple[float, float], rng: np.random.Generator, hot_at: dict[int, list[_Hot]]):
        self.tab = tab_t
        self.tt = tab_t.weight
        self.base = base
        self.horizon = horizon_s
        self.hots = hots
        self.hot_at = hot_at
        self.revisit = revisit_s
        self.stop_range = stop_range_s
        self.rng = rng
        self.t = 0.0
        self.pos = base
        self.seq: list[int] = []
        self.t0: list[float] = []
        self.stops: list[Stop] = []
        wmax = max([h.weight for h in hots] + [1e-12])
        lo, hi = stop_range_s
        for h in hots:  # longer stops at heavier hotspots, a little jitter
            u = float(rng.random())
            h.stop_s = 60.0 * round((lo + (hi - lo) * (0.6 * h.weight / wmax + 0.4 * u)) / 60.0)
            h.stop_s = min(max(h.stop_s, lo), hi)

    def due(self, h: _Hot, at_s: float) -> bool:
        return at_s - h.last_end >= _DUE_SHARE * self.revisit

    def stop(self, h: _Hot, G: nx.MultiDiGraph) -> None:
        n = self.tab.nodes[h.node]
        self.stops.append(Stop(len(self.stops) + 1, n, float(G.nodes[n]["x"]), float(G.nodes[n]["y"]), self.t,
                               self.t + h.stop_s, h.label, h.hid))
        self.t += h.stop_s
        h.last_end = self.t
        h.visits += 1

    def maybe_stop(self, G: nx.MultiDiGraph, reserve_s: float) -> None:
        for h in self.hot_at.get(self.pos, ()):
            if h.top and self.due(h, self.t) and self.t + h.stop_s + reserve_s <= self.horizon + 1e-6:
                self.stop(h, G)

    def drive(self, arcs: Sequence[int], G: nx.MultiDiGraph, reserve_after_s: float) -> None:
        if not len(arcs):
            return
        rem = np.r_[np.cumsum(self.tt[np.asarray(arcs)][::-1])[::-1], 0.0]
        for j, a in enumerate(arcs):
            self.seq.append(int(a))
            self.t0.append(self.t)
            self.t += float(self.tt[a])
            self.pos = int(self.tab.head[a])
            self.maybe_stop(G, float(rem[j + 1]) + reserve_after_s)


def _beat_arcs(tab: ArcTable, beats: Any) -> dict[Hashable, np.ndarray]:
    if hasattr(beats, "columns") and "beat" in getattr(beats, "columns", ()):
        beats = beats["beat"]
    items = beats.items() if hasattr(beats, "items") else beats
    out: dict[Hashable, list[int]] = {}
    for e, b in items:
        e = int(e)
        if e not in tab.by_edge_id:
            raise InputError(f"beats: edge_id {e} is not in the road graph")
        out.setdefault(b.item() if isinstance(b, np.generic) else b, []).append(tab.by_edge_id[e])
    try:
        ordered = sorted(out.items())
    except TypeError:
        ordered = sorted(out.items(), key=lambda kv: str(kv[0]))
    return {b: np.unique(np.asarray(v, dtype=np.int64)) for b, v in ordered}


def _twin_sum(tab: ArcTable, values: np.ndarray) -> np.ndarray:
    """Per arc: its value plus that of its reverse twin (the other direction of a two-way street:
    the cheapest arc v -> u, when :func:`routing.graph.about_as_long`)."""
    out = values.copy()
    n = tab.n
    if not len(tab.uniq):
        return out
    pair = tab.tail[tab.uniq] * n + tab.head[tab.uniq]  # the cheapest arc of each node pair
    order = np.argsort(pair, kind="stable")
    pair = pair[order]
    want = tab.head * n + tab.tail
    at = np.minimum(np.searchsorted(pair, want), len(pair) - 1)
    found = pair[at] == want
    j = tab.uniq[order[at]]
    i = np.arange(len(want))
    ok = found & (j != i) & about_as_long(tab.length_m, tab.length_m[j])
    out[ok] += values[j[ok]]
    return out


def plan_brigade_shift(
    G: nx.MultiDiGraph,
    beats: Mapping[int, Hashable] | Any,
    *,
    bases: Mapping[Hashable, Hashable] | None = None,
    shift_start: dt.datetime,
    shift_end: dt.datetime,
    risk: Mapping[int, float] | None = None,
    hotspots: Sequence[tuple[Any, float] | tuple[Any, float, str]] | None = None,
    units: Mapping[Hashable, Sequence[Any]] | None = None,
    stop_min: float | tuple[float, float] = DEFAULT_STOP_MIN,
    revisit_min: float = DEFAULT_REVISIT_MIN,
    top_hotspots: int = 6,
    hot_arcs: int = 24,
    seed: int = 0,
    tables: tuple[ArcTable, ArcTable] | None = None,
    done: Callable[[int], None] | None = None,
) -> list[RoutePlan]:
    """Plan one shift of the brigade's vehicles: cover the beat, then patrol by risk.

    Per beat: the directed postman tour over every main-road arc of the beat from its base (both
    directions of two-way streets); with ``k`` vehicles on the beat, the tour split into ``k``
    near-equal closed routes (:func:`routing.minmax.share_tour`). Then, until the shift ends, each
    vehicle greedily (a) stops ``stop_min`` minutes at its top hotspots whenever one is due (never
    visited, or last left about ``revisit_min`` ago) -- on the way while covering, or driving there
    -- and otherwise (b) drives extra passes over its hottest arcs, value ``risk / (1 + passes)`` per
    second, always keeping the way back to base within the shift. Times use each arc's
    ``travel_time_s`` (class speed); tours minimise ``length_m``.

    Parameters
    ----------
    G
        Road graph (projected CRS, metres) with ``edge_id``, ``length_m``, ``travel_time_s``.
    beats
        ``edge_id -> beat`` for the main-road arcs (a mapping, Series, or the DataFrame of
        :func:`routing.split.brigade_beats` with its ``beat`` column).
    bases
        ``beat -> node`` where the beat's vehicles start and end; default: the beat's node nearest
        its arcs' centroid.
    shift_start, shift_end
        tz-aware datetimes (:func:`shift_window`).
    risk
        ``edge_id -> risk`` (e.g. incidents per edge, >= 0); default uniform (extra passes spread
        along the tour).
    hotspots
        ``[(location, weight[, label]), ...]``: location a node of ``G`` or a point ``(x, y)`` /
        shapely Point in its CRS (snapped to the nearest main-road node); each goes to the beat
        holding (or nearest) that node. Default: :func:`hotspots_from_risk` per beat when ``risk``
        is given, else none.
    units
        ``beat -> [unit, ...]``: unit records (mappings or rows with ``unit_id``, ``name``,
        ``officers``, ... as in the units layer) or unit ids; default one vehicle per beat
        (``B<beat>``). Several units on a beat share its tour (min-max split).
    stop_min
        Stop length in minutes, or a range ``(low, high)``: heavier hotspots get longer stops.
    revisit_min
        Minutes between visits to one hotspot (about: a visit is allowed after 85 % of it).
    top_hotspots
        Hotspots per vehicle that get stops (heaviest first); the others still appear in the dosage.
    hot_arcs
        Arcs per vehicle considered for extra passes (highest risk first).
    seed
        Seed of the stop-length jitter (same seed, same plan).
    tables
        The arc tables of ``G`` by ``length_m`` and by ``travel_time_s`` when already built
        (:func:`routing.postman.arc_table`); built here otherwise.

    Returns
    -------
    list[RoutePlan]
        One per vehicle, ordered by beat then unit; ``coverage_*`` give the postman tour (or the
        vehicle's share of it) and its lower bound; ``dosage`` per hotspot of the vehicle. A beat
        that cannot be covered whole gets the best partial plan, not an error: main roads no closed
        drive from the base reaches (one-way streets at a cut edge of the map) and, when covering
        takes longer than the shift, the part of the tour after which the vehicle could not be back
        in time are left out and named in the plan's ``left_out`` (street, km), ``left_out_km`` and
        ``warnings``.

    Raises
    ------
    InputError
        Bad edge ids, nodes, shift times or options.
    """
    tab, tab_t = tables if tables is not None else (arc_table(G, weight="length_m"),
                                                    arc_table(G, weight="travel_time_s"))
    work, risk_arr = brigade_work(G, beats, bases=bases, shift_start=shift_start, shift_end=shift_end, risk=risk,
                                  hotspots=hotspots, units=units, stop_min=stop_min, revisit_min=revisit_min,
                                  top_hotspots=top_hotspots, tab=tab)
    plans: list[RoutePlan] = []
    for one in work:
        plans += plan_beat(G, one, shift_start=shift_start, shift_end=shift_end, risk_arr=risk_arr,
                           stop_min=stop_min, revisit_min=revisit_min, top_hotspots=top_hotspots, hot_arcs=hot_arcs,
                           seed=seed, tab=tab, tab_t=tab_t)
        if done is not None:
            done(len(one.units) or 1)
    return plans


@dataclass
class BeatWork:
    """One beat's share of a brigade shift, planned on its own by :func:`plan_beat` (in any process
    holding the same road graph): its arcs and base, its vehicles and its hotspots (numbered among
    the whole brigade's), and ``index``, its place among all the beats, which seeds its stop jitter."""

    beat: Hashable
    index: int
    arcs: np.ndarray  # positions in arc_table(G, weight="length_m")
    base: int  # a node's position in that table
    units: list[Any]
    hots: list[_Hot] = field(default_factory=list)


def brigade_work(
    G: nx.MultiDiGraph,
    beats: Mapping[int, Hashable] | Any,
    *,
    bases: Mapping[Hashable, Hashable] | None = None,
    shift_start: dt.datetime,
    shift_end: dt.datetime,
    risk: Mapping[int, float] | None = None,
    hotspots: Sequence[tuple[Any, float] | tuple[Any, float, str]] | None = None,
    units: Mapping[Hashable, Sequence[Any]] | None = None,
    stop_min: float | tuple[float, float] = DEFAULT_STOP_MIN,
    revisit_min: float = DEFAULT_REVISIT_MIN,
    top_hotspots: int = 6,
    tab: ArcTable | None = None,
) -> tuple[list[BeatWork], np.ndarray | None]:
    """What :func:`plan_brigade_shift` decides for all beats at once, before planning each:
    ``([BeatWork per beat, in beat order], risk per arc or None)``. The beats' hotspots are drawn
    and numbered here (a node belongs to the first beat touching it); the rest is per beat
    (:func:`plan_beat`). Arguments and errors as :func:`plan_brigade_shift`'s."""
    _shift_seconds(shift_start, shift_end)
    _stop_range(stop_min)
    if not revisit_min > 0:
        raise InputError(f"revisit_min must be > 0 minutes, not {revisit_min!r}", code="param.positive",
                         name="revisit_min", value=str(revisit_min))
    tab = tab if tab is not None else arc_table(G, weight="length_m")
    beat_arcs = _beat_arcs(tab, beats)
    if not beat_arcs:
        raise InputError("beats is empty: no main-road edge is assigned to a beat", code="routes.no_beats")
    risk_arr = np.zeros(len(tab.tail))
    if risk is not None:
        for e, r in risk.items():
            r = float(r)
            if not (math.isfinite(r) and r >= 0):
                raise InputError(f"risk of edge_id {e} is {r}; risks must be finite and >= 0")
            i = tab.by_edge_id.get(int(e))
            if i is not None:
                risk_arr[i] = r
        risk_arr = _twin_sum(tab, risk_arr)
    # -- bases ---------------------------------------------------------------------------------
    base_of: dict[Hashable, int] = {}
    for b, arcs in beat_arcs.items():
        if bases is not None and b in bases:
            if bases[b] not in tab.index:
                raise InputError(f"base of beat {b}: node {bases[b]!r} is not in the road graph")
            base_of[b] = tab.index[bases[b]]
        else:
            ends = np.unique(np.r_[tab.tail[arcs], tab.head[arcs]])
            xy = np.array([(G.nodes[tab.nodes[i]]["x"], G.nodes[tab.nodes[i]]["y"]) for i in ends])
            base_of[b] = int(ends[np.argmin(np.hypot(*(xy - xy.mean(axis=0)).T))])
    # -- hotspots -> beats ---------------------------------------------------------------------
    beat_nodes = {b: np.unique(np.r_[tab.tail[a], tab.head[a]]) for b, a in beat_arcs.items()}
    node_beat: dict[int, Hashable] = {}
    for b, ns in beat_nodes.items():
        for n in ns.tolist():
            node_beat.setdefault(n, b)
    all_main = np.unique(np.concatenate(list(beat_nodes.values())))
    main_tree = cKDTree(np.array([(G.nodes[tab.nodes[i]]["x"], G.nodes[tab.nodes[i]]["y"]) for i in all_main]))
    hots_of: dict[Hashable, list[_Hot]] = {b: [] for b in beat_arcs}
    if hotspots is None and risk is not None:
        spec: list[tuple[Any, float, str]] = []
        seen: set[Hashable] = set()
        for b, arcs in beat_arcs.items():
            own = [h for h in hotspots_from_risk(G, risk, edge_ids=tab.edge_id[arcs].tolist(), top=4 * top_hotspots,
                                                 table=tab)
                   if node_beat.get(tab.index[h[0]]) == b and h[0] not in seen]
            seen.update(h[0] for h in own)
            spec += own[: max(2 * top_hotspots, 5)]
    else:
        spec = list(hotspots or [])
    for j, item in enumerate(spec):
        if len(item) < 2:
            raise InputError(f"hotspot {j}: give (location, weight) or (location, weight, label), not {item!r}")
        loc, w = item[0], float(item[1])
        if not (math.isfinite(w) and w >= 0):
            raise InputError(f"hotspot {j}: weight {w} must be finite and >= 0")
        node = _snap(tab, all_main, main_tree, loc)
        if node in node_beat:
            b = node_beat[node]
        else:
            near = _snap(tab, all_main, main_tree, (G.nodes[tab.nodes[node]]["x"], G.nodes[tab.nodes[node]]["y"]))
            b = node_beat[near]
        label = str(item[2]) if len(item) > 2 and item[2] else f"热点{j + 1}"
        hots_of[b].append(_Hot(f"H{j + 1:03d}", label, node, w))
    return [BeatWork(b, bi, arcs, base_of[b], list((units or {}).get(b, ())), hots_of[b])
            for bi, (b, arcs) in enumerate(beat_arcs.items())], (risk_arr if risk is not None else None)


def plan_beat(
    G: nx.MultiDiGraph,
    work: BeatWork,
    *,
    shift_start: dt.datetime,
    shift_end: dt.datetime,
    risk_arr: np.ndarray | None = None,
    stop_min: float | tuple[float, float] = DEFAULT_STOP_MIN,
    revisit_min: float = DEFAULT_REVISIT_MIN,
    top_hotspots: int = 6,
    hot_arcs: int = 24,
    seed: int = 0,
    tab: ArcTable | None = None,
    tab_t: ArcTable | None = None,
) -> list[RoutePlan]:
    """The plans of one beat's vehicles (:func:`brigade_work` made ``work`` and ``risk_arr`` from
    the same graph): its postman tour split among them, then each one's shift by risk. The same
    for a beat planned here or in another process; ``tab``/``tab_t``: the graph's arc tables by
    length and by travel time when already built."""
    horizon = _shift_seconds(shift_start, shift_end)
    lo, hi = _stop_range(stop_min)
    tab = tab if tab is not None else arc_table(G, weight="length_m")
    tab_t = tab_t if tab_t is not None else arc_table(G, weight="travel_time_s")
    b, bi, arcs, base = work.beat, work.index, work.arcs, work.base
    hots_b = [replace(h) for h in work.hots]  # planning marks them: the caller's stay as they were
    plans: list[RoutePlan] = []
    recs = list(work.units) or [f"B{b}"]
    infos = [_unit_info(r, f"B{b}-{i + 1}", "brigade_vehicle") for i, r in enumerate(recs)]
    # arcs no closed drive from the base can cover (one-way streets at a cut edge of the map) are left out
    comp = _strong_parts(tab)
    reach = (comp[tab.tail[arcs]] == comp[base]) & (comp[tab.head[arcs]] == comp[base])
    left_out = [int(a) for a in arcs[~reach]]
    arcs = arcs[reach]
    tour = postman_tour(tab, [tab.arc(i) for i in arcs.tolist()], depot=tab.nodes[base])
    k = len(infos)
    if k > 1:
        kr = share_tour(tab, tour, k, xy=node_xy(G, tab))
        routes, lb_each = list(kr.routes), kr.lower_bound
    else:
        routes, lb_each = [tour], tour.lower_bound
    idx_routes = [np.asarray([tab.by_arc[a] for a in r.arcs], dtype=np.int64) for r in routes]
    short = [[] for _ in routes]  # per vehicle: required arcs its shift is too short to cover
    for v, (route, seq) in enumerate(zip(routes, idx_routes)):
        need = float(tab_t.weight[seq].sum()) if len(seq) else 0.0
        if need > horizon + 1e-6:  # the part of the tour that fits, then straight back to the base
            routes[v], idx_routes[v], short[v] = _cut_tour(tab, tab_t, route, seq, base, horizon)
    # hotspots -> vehicles: the one whose route passes the node (least loaded), else least loaded
    hots = sorted(hots_b, key=lambda h: (-h.weight, h.hid))
    load = [0.0] * k
    route_nodes = [set(np.r_[tab.tail[s], tab.head[s]].tolist()) | {base} for s in idx_routes]
    for h in hots:
        cands = [v for v in range(k) if h.node in route_nodes[v]] or list(range(k))
        v = min(cands, key=lambda c: (load[c], c))
        h.vehicle = v
        load[v] += h.weight
    for v in range(k):
        mine = [h for h in hots if h.vehicle == v]
        for h in mine[:top_hotspots]:
            h.top = True
        rng = np.random.default_rng([seed, bi, v])
        plans.append(_plan_vehicle(
            G, tab, tab_t, route=routes[v], seq=idx_routes[v], base=base, horizon=horizon, hots=mine,
            left_out=_left_out(G, tab, (left_out if v == 0 else []) + short[v], beat=b, shift_min=horizon / 60),
            risk_arr=risk_arr, hot_arcs=hot_arcs, revisit_s=60.0 * revisit_min,
            stop_range_s=(60.0 * lo, 60.0 * hi), rng=rng, unit=infos[v], beat=b, lb=lb_each,
            shift_start=shift_start, shift_end=shift_end,
        ))
    return plans


def _strong_parts(tab: ArcTable) -> np.ndarray:
    """Per node of ``tab``: the label of its strongly connected part (kept with the table)."""
    got = tab._cache.get("strong")
    if got is None:
        got = tab._cache["strong"] = connected_components(tab.csr(), directed=True, connection="strong")[1]
    return got


def _cut_tour(tab: ArcTable, tab_t: ArcTable, route: Tour, seq: np.ndarray, base: int,
              horizon: float) -> tuple[Tour, np.ndarray, list[int]]:
    """The longest start of a coverage tour after which the vehicle is back at its base within
    ``horizon`` seconds, the way back appended: the cut tour, its arcs, and the required arcs it
    no longer serves (in tour order)."""
    back, pred = dijkstra(tab_t.csr(reverse=True), indices=base, return_predecessors=True)
    t, keep = 0.0, 0
    for j, a in enumerate(seq.tolist()):
        t += float(tab_t.weight[a])
        if t + back[int(tab_t.head[a])] > horizon + 1e-6:
            break
        keep = j + 1
    head = seq[:keep]
    at = int(tab_t.head[head[-1]]) if keep else base
    home = np.asarray(tab_t.path_arcs_back(pred, at, base), dtype=np.int64)
    served = np.asarray(route.serviced, dtype=bool)
    dropped = [int(a) for a in seq[keep:][served[keep:]]]
    new_seq = np.r_[head, home].astype(np.int64)
    cut = replace(route, arcs=tuple(tab.arc(int(a)) for a in new_seq),
                  serviced=tuple(bool(x) for x in np.r_[served[:keep], np.zeros(len(home), dtype=bool)]),
                  edge_ids=tuple(int(x) for x in tab.edge_id[new_seq]),
                  length_m=float(tab.length_m[new_seq].sum()), travel_time_s=float(tab_t.weight[new_seq].sum()))
    return cut, new_seq, dropped


def _left_out(G: nx.MultiDiGraph, tab: ArcTable, arcs: list[int], *, beat: Hashable, shift_min: float) -> dict[str, Any]:
    """What a plan says of the beat's main roads it does not cover: per street its km
    (``left_out``), their total (``left_out_km``) and a warning line; empty when all are covered."""
    if not arcs:
        return {}
    km: dict[str, float] = {}
    for a in arcs:
        name = G.edges[tab.arc(a)].get("name")
        name = name if isinstance(name, str) and name.strip() else "支路"
        km[name] = km.get(name, 0.0) + float(tab.length_m[a]) / 1000
    streets = sorted(km.items(), key=lambda kv: (-kv[1], kv[0]))
    total = sum(km.values())
    listed = "、".join(f"{n} {v:.1f} 公里" for n, v in streets[:6]) + ("等" if len(streets) > 6 else "")
    return {"left_out": [{"road": n, "km": round(v, 2)} for n, v in streets], "left_out_km": round(total, 2),
            "warnings": [f"巡区 {beat} 有 {total:.1f} 公里主干道本班次未能覆盖（{listed}）：单向路无法往返，"
                         f"或 {shift_min:.0f} 分钟不够；请增派车辆或延长班次"]}


#: Beyond its beat's box, a vehicle looks for its ways between targets within this many metres.
WAYS_MARGIN_M = 1500.0


class _Ways(NamedTuple):
    """Fastest ways to a vehicle's targets on the streets around its beat (:func:`_ways_to`)."""

    dist: np.ndarray  #: (target, column): seconds from the column's node to the target
    pred: np.ndarray  #: (target, column): the next node (graph index) on the way, -9999 when none
    col: np.ndarray  #: graph node index -> its column; the last column (no way) for nodes not searched

    def row(self, target_row: int) -> _NextNodes:
        return _NextNodes(self.pred[target_row], self.col)


class _NextNodes:
    """One target's next nodes, read by graph node index (what ``ArcTable.path_arcs_back`` reads)."""

    __slots__ = ("col", "pred")

    def __init__(self, pred: np.ndarray, col: np.ndarray) -> None:
        self.pred, self.col = pred, col

    def __getitem__(self, node: int) -> int:
        return int(self.pred[self.col[node]])


def _ways_to(G: nx.MultiDiGraph, tab_t: ArcTable, targets: list[int], tour: np.ndarray) -> _Ways:
    """Fastest ways from every node to each of ``targets`` (distances in seconds, and the next node
    on the way, as Dijkstra on the reversed graph gives them), searched on the streets of the beat's
    surroundings: the box around the targets and the coverage ``tour`` (arc indices) widened by
    :data:`WAYS_MARGIN_M`, and every node of the tour (so the vehicle is never outside). In a city of
    35,000 nodes that is a district's streets, not the city's: the rows hold those nodes only (a
    column each, and one last column for every node outside, at an infinite distance)."""
    xy = node_xy(G, tab_t)
    own = np.unique(np.r_[np.asarray(targets, dtype=np.int64), tab_t.tail[tour], tab_t.head[tour]])
    lo, hi = xy[own].min(axis=0) - WAYS_MARGIN_M, xy[own].max(axis=0) + WAYS_MARGIN_M
    near = np.union1d(np.flatnonzero(((xy >= lo) & (xy <= hi)).all(axis=1)), own)
    col = np.full(tab_t.n, len(near), dtype=np.int64)
    col[near] = np.arange(len(near))
    sub = tab_t.csr(reverse=True)[near][:, near]
    d_l, p_l = dijkstra(sub, indices=col[np.asarray(targets, dtype=np.int64)], return_predecessors=True)
    dist = np.full((len(targets), len(near) + 1), np.inf)
    dist[:, :-1] = d_l
    pred = np.full((len(targets), len(near) + 1), -9999, dtype=np.int64)
    pred[:, :-1] = np.where(p_l >= 0, near[np.maximum(p_l, 0)], -9999)
    return _Ways(dist, pred, col)


def _plan_vehicle(
    G: nx.MultiDiGraph, tab: ArcTable, tab_t: ArcTable, *, route: Tour, seq: np.ndarray, base: int, horizon: float,
    hots: list[_Hot], risk_arr: np.ndarray | None, hot_arcs: int, revisit_s: float, stop_range_s: tuple[float, float],
    rng: np.random.Generator, unit: dict[str, Any], beat: Hashable, lb: float, shift_start: dt.datetime,
    shift_end: dt.datetime, left_out: dict[str, Any] | None = None,
) -> RoutePlan:
    hot_at: dict[int, list[_Hot]] = {}
    for h in hots:
        hot_at.setdefault(h.node, []).append(h)
    sim = _Shift(tab_t, base, horizon, hots, revisit_s, stop_range_s, rng, hot_at)
    # 1. coverage, with stops at due hotspots on the way
    sim.drive(seq.tolist(), G, 0.0)
    # 2. the rest of the shift by risk
    serviced = seq[np.asarray(route.serviced, dtype=bool)] if len(seq) else seq
    cand = np.unique(serviced)
    if risk_arr is not None and (risk_arr[cand] > 0).any():
        cand = cand[risk_arr[cand] > 0]
        cand = cand[np.argsort(-risk_arr[cand], kind="stable")][:hot_arcs]
        value = {int(a): float(risk_arr[a]) for a in cand}
    else:  # no risk: spread extra passes evenly along the tour
        spread = np.linspace(0, len(serviced) - 1, min(hot_arcs, len(serviced))).astype(int)
        pick = serviced[spread] if len(serviced) else serviced
        cand = np.unique(pick)
        value = {int(a): 1.0 for a in cand}
    top = [h for h in hots if h.top]
    targets = sorted({base} | {h.node for h in top} | {int(tab_t.tail[a]) for a in cand})
    tpos = {n: i for i, n in enumerate(targets)}
    ways = _ways_to(G, tab_t, targets, seq)
    dist, at = ways.dist, ways.col  # dist[row, at[node]]: seconds from the node to the row's target
    back = dist[tpos[base]]
    # passes count per street segment (both directions of a two-way street) and lose value when recent
    arcs_c = np.fromiter(value, dtype=np.int64, count=len(value))
    val_c = np.fromiter(value.values(), dtype=float, count=len(value))
    seg_ids: dict[int, int] = {}
    seg_of: dict[int, int] = {}
    for a in arcs_c.tolist():
        j = tab_t.best.get(int(tab_t.head[a]) * tab_t.n + int(tab_t.tail[a]))
        seg_of[a] = seg_ids.setdefault(min(a, j) if j is not None and j in value else a, len(seg_ids))
    seg_c = np.array([seg_of[a] for a in arcs_c.tolist()], dtype=np.int64)
    passes = np.zeros(len(seg_ids), dtype=np.int64)
    last_pass = np.full(len(seg_ids), -math.inf)
    row_c = np.array([tpos[int(t)] for t in tab_t.tail[arcs_c]], dtype=np.int64)
    w_c = tab_t.weight[arcs_c]
    back_c = back[at[tab_t.head[arcs_c]]]
    fresh_s = revisit_s / 4  # a segment is fully worth a new pass 30 minutes after the last one
    seen = 0

    def note_passes() -> None:
        nonlocal seen
        for a, t in zip(sim.seq[seen:], sim.t0[seen:]):
            sg = seg_of.get(a)
            if sg is not None:
                passes[sg] += 1
                last_pass[sg] = t
        seen = len(sim.seq)

    note_passes()
    for _ in range(100_000):
        left = horizon - sim.t
        best: tuple[float, str, Any] | None = None
        for h in top:
            travel = dist[tpos[h.node], at[sim.pos]]
            if not np.isfinite(travel) or not sim.due(h, sim.t + travel):
                continue
            if travel + h.stop_s + back[at[h.node]] <= left + 1e-6:
                score = h.weight / max(travel + h.stop_s, 1.0)
                if best is None or score > best[0]:
                    best = (score, "hot", h)
        if best is None and len(arcs_c):  # the segment worth most per second of driving, first of equals
            travel_c = dist[row_c, at[sim.pos]] + w_c
            ok = np.isfinite(travel_c) & (travel_c + back_c <= left + 1e-6)
            if ok.any():
                with np.errstate(invalid="ignore"):
                    recency = np.minimum(1.0, (sim.t + travel_c - last_pass[seg_c]) / fresh_s)
                    score_c = val_c * np.maximum(recency, 1e-3) / (1 + passes[seg_c]) / np.maximum(travel_c, 1.0)
                k = int(np.argmax(np.where(ok, score_c, -np.inf)))
                best = (float(score_c[k]), "arc", int(arcs_c[k]))
        if best is None:
            break
        _, kind, what = best
        if kind == "hot":
            path = tab_t.path_arcs_back(ways.row(tpos[what.node]), sim.pos, what.node)
            sim.drive(path, G, what.stop_s + back[at[what.node]])
            if sim.pos == what.node and sim.due(what, sim.t) and sim.t + what.stop_s + back[at[what.node]] <= horizon + 1e-6:
                sim.stop(what, G)
        else:
            tail = int(tab_t.tail[what])
            path = tab_t.path_arcs_back(ways.row(tpos[tail]), sim.pos, tail) + [int(what)]
            sim.drive(path, G, back[at[int(tab_t.head[what])]])
        note_passes()
        if sim.t >= horizon - 1e-6:
            break
    # 3. home
    if sim.pos != base:
        sim.drive(tab_t.path_arcs_back(ways.row(tpos[base]), sim.pos, base), G, 0.0)
    arc_dt = [float(tab_t.weight[a]) for a in sim.seq]
    dosage = _dosage(tab, sim, hots, arc_dt, node_xy(G, tab))
    cov_lb = lb if route.weight in ("length_m", "length") else float("nan")
    cov_gap = route.gap if route.n_required else 0.0
    return _build_plan(
        G, tab, sim.seq, sim.t0, arc_dt, sim.stops, unit=unit, base=base, shift_start=shift_start,
        shift_end=shift_end, coverage=(route.length_m, cov_lb, cov_gap), dosage=dosage, beat=beat,
        extra={"coverage_arcs": len(seq), "coverage_travel_s": float(tab_t.weight[seq].sum()) if len(seq) else 0.0,
               "coverage_optimal": route.optimal, "hot_segment_passes": int(passes.sum()), **(left_out or {})},
    )


def _dosage(tab: ArcTable, sim: _Shift, hots: list[_Hot], arc_dt: list[float], xy: np.ndarray) -> list[Dosage]:
    if not hots:
        return []
    by_node: dict[int, float] = {}
    for a, d in zip(sim.seq, arc_dt):
        for n in {int(tab.tail[a]), int(tab.head[a])}:
            by_node[n] = by_node.get(n, 0.0) + d / 60.0
    stop_min: dict[str, float] = {}
    for s in sim.stops:
        stop_min[s.hotspot] = stop_min.get(s.hotspot, 0.0) + s.duration_min
    rows = []
    for h in hots:
        sm = stop_min.get(h.hid, 0.0)
        pm = by_node.get(h.node, 0.0)
        rows.append((h, sm, pm, sm + pm))
    tot_p = sum(r[3] for r in rows)
    tot_w = sum(h.weight for h in hots)
    return [Dosage(h.hid, h.label, tab.nodes[h.node], h.weight, h.visits, round(sm, 2), round(pm, 2), round(p, 2),
                   p / tot_p if tot_p > 0 else 0.0, h.weight / tot_w if tot_w > 0 else 0.0,
                   float(xy[h.node, 0]), float(xy[h.node, 1]))
            for h, sm, pm, p in rows]
