"""Patrol plans for one shift: brigade vehicles on their beats and "1+2+N" neighborhood loops.

* :func:`plan_brigade_shift` -- the special patrol brigade (特巡警大队). Per beat, first the directed
  postman tour over every main-road arc of the beat (:mod:`routing.postman`), split min-max among the
  beat's vehicles when it has several; then the rest of the shift by risk: stops of 10-15 minutes at
  the beat's top hotspots, each revisited about every 2 hours (Koper 1995: stops of 10-16 minutes,
  revisit about every 2 hours), and extra passes over the hottest segments in between. Every vehicle
  is back at its base by the end of the shift.
* :func:`plan_team_loop` -- a "1+2+N" grid team (1 officer + 2 auxiliary officers + N volunteers) on
  foot or e-bike: an orienteering loop from its post collecting the most prize (risk at places) within
  a time budget, solved with OR-Tools routing (prize-collecting TSP: disjunction penalties, a time
  dimension, guided local search). Several loops of near-equal value are planned and one is picked per
  day from a hash of the date and the unit id, so the team is not predictable but the plan is
  reproducible.

Everything is pure: inputs are never modified. Graph coordinates are in the graph's projected CRS
(metres); times inside a plan are seconds from the shift start (``*_s``) and tz-aware datetimes at
the edges; lengths ``*_m``, durations ``*_min``, speeds ``*_kph``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import math
import re
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any
from zoneinfo import ZoneInfo

import networkx as nx
import numpy as np
import shapely
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from geo.errors import InfeasibleError, InputError
from routing.postman import ArcTable, Tour, arc_table, postman_tour, split_tour

__all__ = [
    "DEFAULT_STOP_MIN",
    "DEFAULT_REVISIT_MIN",
    "WALK_KPH",
    "EBIKE_KPH",
    "Stop",
    "Dosage",
    "RoutePlan",
    "Loop",
    "TeamLoops",
    "shift_window",
    "plan_brigade_shift",
    "plan_team_loop",
    "plan_shift",
    "team_loops",
    "choose_alternative",
    "walk_graph",
    "node_prizes",
    "hotspots_from_risk",
    "UNIT_KIND_ZH",
]

#: Koper (1995): stops of 10-16 minutes; patrolnet plans 10-15.
DEFAULT_STOP_MIN: tuple[float, float] = (10.0, 15.0)
#: Koper (1995): come back about every 2 hours.
DEFAULT_REVISIT_MIN = 120.0
#: Patrol speeds of grid teams (km/h).
WALK_KPH = 4.5
EBIKE_KPH = 12.0
#: A hotspot counts as due again once this share of the revisit interval has passed ("about").
_DUE_SHARE = 0.85
#: Orienteering penalties: the whole prize on offer weighs this many budgets of walking (seconds);
#: measured on 400-node grids, 2-10 search about equally well at 1 s, 1 collects nothing.
_PRIZE_BUDGETS = 5.0
#: Unit kinds the shift planner gives routes to (volunteer teams, station teams and Skynet guards: not yet).
PLANNED_UNIT_KINDS: tuple[str, ...] = ("brigade_vehicle", "grid_team")
#: Unit kinds in Chinese (printable sheets).
UNIT_KIND_ZH = {
    "brigade_vehicle": "特巡警巡逻车",
    "station_team": "派出所巡逻组",
    "grid_team": "网格巡逻队（1+2+N）",
    "volunteer_team": "群防群治巡逻队",
    "skynet_guard": "天网巡防员",
}


# --------------------------------------------------------------------------------------------
# results
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Stop:
    """A planned stop: at ``node`` from ``arrive_s`` to ``depart_s`` (seconds from the shift start)."""

    seq: int
    node: Hashable
    x: float
    y: float
    arrive_s: float
    depart_s: float
    label: str
    hotspot: str | None = None
    road: str | None = None

    @property
    def duration_min(self) -> float:
        return (self.depart_s - self.arrive_s) / 60.0


@dataclass(frozen=True)
class Dosage:
    """Planned minutes at or near a hotspot (stops, plus driving the arcs that touch its node) beside
    its share of the risk among the unit's hotspots."""

    hotspot: str
    label: str
    node: Hashable
    weight: float
    visits: int
    stop_min: float
    pass_min: float
    planned_min: float
    share_planned: float
    share_risk: float


@dataclass(frozen=True, eq=False)
class RoutePlan:
    """One unit's route for one shift.

    Attributes
    ----------
    unit_id, unit_kind, name, mode
        The unit (``unit_kind`` as in the units layer).
    officers, auxiliaries, volunteers
        Team line-up (民警, 辅警, 群防群治力量).
    shift_start, shift_end
        tz-aware datetimes (``None`` when planned without a clock: times are then offsets only).
    base
        Start and end node.
    arcs, edge_ids
        The route as ``(u, v, key)`` arcs of the graph in driving/walking order, and their ``edge_id``.
    arc_start_s, arc_end_s
        When each arc is entered and left (seconds from the shift start).
    road_names
        Street name of each arc (``None`` when unnamed).
    coords, coord_s
        The route line in ``crs`` (metres), ``(n, 2)``, and the time at each vertex (seconds).
    stops
        Planned stops in order.
    length_m, duration_min
        Metres travelled; minutes from the shift start until back at the base.
    coverage_length_m, coverage_lower_bound_m, coverage_gap
        The coverage part (brigade: the postman tour or its share; teams: the loop) and its bound.
    dosage
        Per hotspot of the unit.
    alternative, alternatives
        Teams: which loop of how many was chosen for the day (0 of 1 for the brigade).
    prize, prize_total
        Teams: prize collected by the loop, and all prize on offer.
    """

    unit_id: str
    unit_kind: str
    name: str
    mode: str
    officers: int
    auxiliaries: int
    volunteers: int
    shift_start: dt.datetime | None
    shift_end: dt.datetime | None
    crs: Any
    base: Hashable
    base_xy: tuple[float, float]
    arcs: tuple[tuple[Hashable, Hashable, int], ...]
    edge_ids: tuple[int, ...]
    arc_start_s: tuple[float, ...]
    arc_end_s: tuple[float, ...]
    road_names: tuple[str | None, ...]
    coords: np.ndarray
    coord_s: np.ndarray
    stops: tuple[Stop, ...]
    length_m: float
    duration_min: float
    coverage_length_m: float
    coverage_lower_bound_m: float
    coverage_gap: float
    dosage: tuple[Dosage, ...] = ()
    beat: Hashable | None = None
    alternative: int = 0
    alternatives: int = 1
    prize: float = float("nan")
    prize_total: float = float("nan")
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def lineup(self) -> str:
        """The line-up as "officers+auxiliaries+volunteers" (the article's "1+2+N")."""
        return f"{self.officers}+{self.auxiliaries}+{self.volunteers}"

    @property
    def shift_min(self) -> float:
        if self.shift_start is None or self.shift_end is None:
            return float("nan")
        return (self.shift_end - self.shift_start).total_seconds() / 60.0

    def at(self, seconds: float) -> dt.datetime | None:
        """The clock time ``seconds`` after the shift start (``None`` without a clock)."""
        return None if self.shift_start is None else self.shift_start + dt.timedelta(seconds=float(seconds))


@dataclass(frozen=True)
class Loop:
    """One orienteering loop: the prize nodes in visiting order, its value and duration."""

    stops: tuple[Hashable, ...]
    prize: float
    travel_s: float
    stop_s: float
    length_m: float

    @property
    def duration_min(self) -> float:
        return (self.travel_s + self.stop_s) / 60.0


@dataclass(frozen=True)
class TeamLoops:
    """Alternative loops of a team (best first), the one chosen for the day and its plan."""

    alternatives: tuple[Loop, ...]
    chosen: int
    plan: RoutePlan
    prize_total: float


# --------------------------------------------------------------------------------------------
# small helpers
# --------------------------------------------------------------------------------------------
_SHIFT = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*[-–~至]\s*(\d{1,2}):(\d{2})\s*$")


def shift_window(text: str, *, date: dt.date, tz: str = "Asia/Shanghai") -> tuple[dt.datetime, dt.datetime]:
    """Parse a shift like ``"20:00-24:00"`` on ``date`` into tz-aware start and end datetimes.

    ``24:00`` is midnight at the end of ``date``; an end before the start runs into the next day
    (``"22:00-06:00"``).

    Raises
    ------
    InputError
        When the text is not ``HH:MM-HH:MM`` or the times are out of range.
    """
    m = _SHIFT.match(str(text))
    if not m:
        raise InputError(f"shift {text!r} is not HH:MM-HH:MM (for example 20:00-24:00)")
    h1, m1, h2, m2 = (int(g) for g in m.groups())
    if h1 > 24 or h2 > 24 or m1 > 59 or m2 > 59 or (h1 == 24 and m1) or (h2 == 24 and m2):
        raise InputError(f"shift {text!r}: hours run 00-24 and minutes 00-59")
    zone = ZoneInfo(tz)
    day = dt.datetime.combine(date, dt.time(0), tzinfo=zone)
    start = day + dt.timedelta(hours=h1, minutes=m1)
    end = day + dt.timedelta(hours=h2, minutes=m2)
    if end <= start:
        end += dt.timedelta(days=1)
    # wall-clock arithmetic across DST changes: normalise through UTC
    start = start.astimezone(dt.UTC).astimezone(zone)
    end = end.astimezone(dt.UTC).astimezone(zone)
    return start, end


def choose_alternative(n: int, *, date: dt.date | str | None, unit_id: str) -> int:
    """Which of ``n`` alternatives a unit uses on ``date``: a hash of date and unit id (0 without a
    date). The same date and unit always give the same answer; neighbouring days look random."""
    if n <= 1 or date is None:
        return 0
    day = date.isoformat() if isinstance(date, dt.date) else str(date)
    digest = hashlib.sha256(f"{day}|{unit_id}".encode()).hexdigest()
    return int(digest, 16) % n


def walk_graph(G: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """A copy of ``G`` where people on foot may use every street both ways: each arc without a
    reverse gets one (same attributes and ``edge_id`` as the street, reversed geometry,
    ``reversed=True``, ``oneway=False``)."""
    H = G.copy()
    for u, v, k, d in list(G.edges(keys=True, data=True)):
        if u == v or G.has_edge(v, u):
            continue
        rev = dict(d)
        geom = rev.get("geometry")
        if geom is not None:
            rev["geometry"] = shapely.reverse(geom)
        rev["reversed"] = True
        rev["oneway"] = False
        H.add_edge(v, u, **rev)
    return H


def _unit_info(unit: Any, default_id: str, default_kind: str) -> dict[str, Any]:
    """unit record (Mapping, pandas row, or a unit id) -> the fields a plan carries."""
    if unit is None:
        rec: Mapping[str, Any] = {}
    elif isinstance(unit, str):
        rec = {"unit_id": unit}
    elif hasattr(unit, "to_dict"):
        rec = unit.to_dict()
    else:
        rec = dict(unit)

    def num(key: str, default: int) -> int:
        val = rec.get(key)
        try:
            return int(val) if val is not None and not (isinstance(val, float) and math.isnan(val)) else default
        except (TypeError, ValueError):
            return default

    uid = str(rec.get("unit_id") or default_id)
    kind = str(rec.get("kind") or default_kind)
    name = rec.get("name")
    name = str(name) if name is not None and not (isinstance(name, float) and math.isnan(name)) else uid
    lineup = {"brigade_vehicle": (2, 1, 0), "grid_team": (1, 2, 3)}.get(kind, (1, 0, 0))
    return {
        "unit_id": uid, "unit_kind": kind, "name": name,
        "mode": str(rec.get("mode") or ("car" if kind == "brigade_vehicle" else "foot")),
        "officers": num("officers", lineup[0]), "auxiliaries": num("auxiliaries", lineup[1]),
        "volunteers": num("volunteers", lineup[2]),
    }


def _arc_geometry(G: nx.MultiDiGraph, u: Hashable, v: Hashable, k: Any) -> np.ndarray:
    d = G.edges[u, v, k]
    geom = d.get("geometry")
    if geom is not None:
        c = shapely.get_coordinates(geom)
        if len(c) >= 2:
            return c
    nu, nv = G.nodes[u], G.nodes[v]
    return np.array([[nu["x"], nu["y"]], [nv["x"], nv["y"]]], dtype=float)


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
    for j, (i, t0, d) in enumerate(zip(seq, arc_t0, arc_dt)):
        u, v, k = tab.arc(i)
        c = _arc_geometry(G, u, v, k)
        seg = np.hypot(*np.diff(c, axis=0).T)
        cum = np.r_[0.0, np.cumsum(seg)]
        frac = cum / cum[-1] if cum[-1] > 0 else np.linspace(0, 1, len(c))
        ts = t0 + frac * d
        if j:
            c, ts = c[1:], ts[1:]
        coords.append(c)
        times.append(ts)
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
        **extra_fields,
    )


def _stop_range(stop_min: float | tuple[float, float]) -> tuple[float, float]:
    lo, hi = (stop_min, stop_min) if isinstance(stop_min, int | float) else tuple(stop_min)
    if not (0 <= lo <= hi) or not math.isfinite(hi):
        raise InputError(f"stop_min must be minutes >= 0 or a range (low, high) with low <= high, not {stop_min!r}")
    return float(lo), float(hi)


def _shift_seconds(shift_start: dt.datetime, shift_end: dt.datetime) -> float:
    for what, t in (("shift_start", shift_start), ("shift_end", shift_end)):
        if not isinstance(t, dt.datetime) or t.tzinfo is None:
            raise InputError(f"{what} must be a time-zone-aware datetime (see shift_window), not {t!r}")
    horizon = (shift_end - shift_start).total_seconds()
    if horizon <= 0:
        raise InputError(f"the shift ends ({shift_end.isoformat()}) before it starts ({shift_start.isoformat()})")
    return horizon


# --------------------------------------------------------------------------------------------
# hotspots and prizes
# --------------------------------------------------------------------------------------------
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
    merge_m: float = 200.0,
) -> list[tuple[Hashable, float, str]]:
    """Hotspot nodes from per-edge risk.

    A node's weight is half the risk of the arcs touching it (each arc's risk shared by its two ends;
    only arcs in ``edge_ids`` when given). Heaviest first, a node within ``merge_m`` metres of an
    already chosen one adds its weight to that one instead of becoming a hotspot of its own (no
    back-to-back stops 100 m apart). Labels name the crossing streets ("A与B交叉口") or the street.

    Returns
    -------
    list
        ``[(node, weight, label), ...]``, at most ``top``, heaviest first.
    """
    keep = None if edge_ids is None else set(int(e) for e in edge_ids)
    node_w: dict[Hashable, float] = {}
    for u, v, d in G.edges(data=True):
        e = d.get("edge_id")
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
        touching = itertools.chain(G.in_edges(n, data=True), G.out_edges(n, data=True))
        names = sorted({d["name"] for _, _, d in touching if isinstance(d.get("name"), str) and d["name"]})
        label = ("与".join(names[:2]) + "交叉口" if len(names) > 1 else names[0]) if names else f"节点{n}"
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


# --------------------------------------------------------------------------------------------
# brigade shift
# --------------------------------------------------------------------------------------------
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
    the cheapest arc v -> u, when about as long)."""
    out = values.copy()
    n = tab.n
    for i, (u, v) in enumerate(zip(tab.tail.tolist(), tab.head.tolist())):
        j = tab.best.get(v * n + u)
        if j is not None and j != i and abs(tab.length_m[j] - tab.length_m[i]) <= 0.01 * tab.length_m[i] + 1.0:
            out[i] += values[j]
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
    top_hotspots: int = 3,
    hot_arcs: int = 24,
    seed: int = 0,
) -> list[RoutePlan]:
    """Plan one shift of the brigade's vehicles: cover the beat, then patrol by risk.

    Per beat: the directed postman tour over every main-road arc of the beat from its base (both
    directions of two-way streets); with ``k`` vehicles on the beat, the tour split into ``k``
    near-equal closed routes (:func:`routing.postman.split_tour`). Then, until the shift ends, each
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

    Returns
    -------
    list[RoutePlan]
        One per vehicle, ordered by beat then unit; ``coverage_*`` give the postman tour (or the
        vehicle's share of it) and its lower bound; ``dosage`` per hotspot of the vehicle.

    Raises
    ------
    InputError
        Bad edge ids, nodes, shift times or options.
    InfeasibleError
        When a beat's main roads cannot be covered in one closed walk from its base (one-way
        streets; the message names the edge), or covering them takes longer than the shift (the
        message gives both durations and suggests more vehicles or a longer shift).
    """
    horizon = _shift_seconds(shift_start, shift_end)
    lo, hi = _stop_range(stop_min)
    if not revisit_min > 0:
        raise InputError(f"revisit_min must be > 0 minutes, not {revisit_min!r}")
    tab = arc_table(G, weight="length_m")
    tab_t = arc_table(G, weight="travel_time_s")
    beat_arcs = _beat_arcs(tab, beats)
    if not beat_arcs:
        raise InputError("beats is empty: no main-road edge is assigned to a beat")
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
            own = [h for h in hotspots_from_risk(G, risk, edge_ids=tab.edge_id[arcs].tolist(), top=4 * top_hotspots)
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
    # -- per beat ------------------------------------------------------------------------------
    plans: list[RoutePlan] = []
    for bi, (b, arcs) in enumerate(beat_arcs.items()):
        base = base_of[b]
        recs = list((units or {}).get(b, ())) or [f"B{b}"]
        infos = [_unit_info(r, f"B{b}-{i + 1}", "brigade_vehicle") for i, r in enumerate(recs)]
        tour = postman_tour(tab, [tab.arc(i) for i in arcs.tolist()], depot=tab.nodes[base])
        k = len(infos)
        if k > 1:
            kr = split_tour(tab, tour, k)
            routes, lb_each = list(kr.routes), kr.lower_bound
        else:
            routes, lb_each = [tour], tour.lower_bound
        idx_routes = [np.asarray([tab.by_arc[a] for a in r.arcs], dtype=np.int64) for r in routes]
        for r_idx, (route, seq) in enumerate(zip(routes, idx_routes)):
            need = float(tab_t.weight[seq].sum()) if len(seq) else 0.0
            if need > horizon + 1e-6:
                raise InfeasibleError(
                    f"beat {b}: covering its main roads takes {need / 60:.0f} min per vehicle at class speed "
                    f"({route.length_m / 1000:.1f} km) with {k} vehicle(s), but the shift is {horizon / 60:.0f} min; "
                    f"add vehicles to the beat or lengthen the shift"
                )
        # hotspots -> vehicles: the one whose route passes the node (least loaded), else least loaded
        hots = sorted(hots_of[b], key=lambda h: (-h.weight, h.hid))
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
                risk_arr=risk_arr if risk is not None else None, hot_arcs=hot_arcs, revisit_s=60.0 * revisit_min,
                stop_range_s=(60.0 * lo, 60.0 * hi), rng=rng, unit=infos[v], beat=b, lb=lb_each,
                shift_start=shift_start, shift_end=shift_end,
            ))
    return plans


def _plan_vehicle(
    G: nx.MultiDiGraph, tab: ArcTable, tab_t: ArcTable, *, route: Tour, seq: np.ndarray, base: int, horizon: float,
    hots: list[_Hot], risk_arr: np.ndarray | None, hot_arcs: int, revisit_s: float, stop_range_s: tuple[float, float],
    rng: np.random.Generator, unit: dict[str, Any], beat: Hashable, lb: float, shift_start: dt.datetime,
    shift_end: dt.datetime,
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
    if targets:
        dist, pred = dijkstra(tab_t.csr(reverse=True), indices=targets, return_predecessors=True)
    back = dist[tpos[base]]
    # passes count per street segment (both directions of a two-way street) and lose value when recent
    seg_of: dict[int, int] = {}
    for a in value:
        j = tab_t.best.get(int(tab_t.head[a]) * tab_t.n + int(tab_t.tail[a]))
        seg_of[a] = min(a, j) if j is not None and j in value else a
    passes = dict.fromkeys(set(seg_of.values()), 0)
    last_pass = dict.fromkeys(passes, -math.inf)
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
            travel = dist[tpos[h.node], sim.pos]
            if not np.isfinite(travel) or not sim.due(h, sim.t + travel):
                continue
            if travel + h.stop_s + back[h.node] <= left + 1e-6:
                score = h.weight / max(travel + h.stop_s, 1.0)
                if best is None or score > best[0]:
                    best = (score, "hot", h)
        if best is None:
            for a, val in value.items():
                tail, head = int(tab_t.tail[a]), int(tab_t.head[a])
                travel = dist[tpos[tail], sim.pos] + tab_t.weight[a]
                if np.isfinite(travel) and travel + back[head] <= left + 1e-6:
                    sg = seg_of[a]
                    recency = min(1.0, (sim.t + travel - last_pass[sg]) / fresh_s)
                    score = val * max(recency, 1e-3) / (1 + passes[sg]) / max(travel, 1.0)
                    if best is None or score > best[0]:
                        best = (score, "arc", a)
        if best is None:
            break
        _, kind, what = best
        if kind == "hot":
            path = tab_t.path_arcs_back(pred[tpos[what.node]], sim.pos, what.node)
            sim.drive(path, G, what.stop_s + back[what.node])
            if sim.pos == what.node and sim.due(what, sim.t) and sim.t + what.stop_s + back[what.node] <= horizon + 1e-6:
                sim.stop(what, G)
        else:
            tail = int(tab_t.tail[what])
            path = tab_t.path_arcs_back(pred[tpos[tail]], sim.pos, tail) + [int(what)]
            sim.drive(path, G, back[int(tab_t.head[what])])
        note_passes()
        if sim.t >= horizon - 1e-6:
            break
    # 3. home
    if sim.pos != base:
        sim.drive(tab_t.path_arcs_back(pred[tpos[base]], sim.pos, base), G, 0.0)
    arc_dt = [float(tab_t.weight[a]) for a in sim.seq]
    dosage = _dosage(tab, sim, hots, arc_dt)
    cov_lb = lb if route.weight in ("length_m", "length") else float("nan")
    cov_gap = route.gap if route.n_required else 0.0
    return _build_plan(
        G, tab, sim.seq, sim.t0, arc_dt, sim.stops, unit=unit, base=base, shift_start=shift_start,
        shift_end=shift_end, coverage=(route.length_m, cov_lb, cov_gap), dosage=dosage, beat=beat,
        extra={"coverage_arcs": len(seq), "coverage_travel_s": float(tab_t.weight[seq].sum()) if len(seq) else 0.0,
               "coverage_optimal": route.optimal, "hot_segment_passes": int(sum(passes.values()))},
    )


def _dosage(tab: ArcTable, sim: _Shift, hots: list[_Hot], arc_dt: list[float]) -> list[Dosage]:
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
                   p / tot_p if tot_p > 0 else 0.0, h.weight / tot_w if tot_w > 0 else 0.0)
            for h, sm, pm, p in rows]


# --------------------------------------------------------------------------------------------
# neighborhood loops (orienteering with OR-Tools routing)
# --------------------------------------------------------------------------------------------
def _solve_orienteering(
    time_s: np.ndarray, stop_s: np.ndarray, penalty: np.ndarray, budget_s: int, *, time_limit_s: float,
    solution_limit: int | None, forbidden: Iterable[int] = (), fill: bool = True,
) -> list[int]:
    """Prize-collecting TSP on matrix indices (0 = start): visiting order of the chosen nodes."""
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    n = len(time_s)
    if n <= 1:
        return []
    transit = (np.ceil(time_s) + np.ceil(stop_s)[None, :]).astype(np.int64)
    transit[np.arange(n), np.arange(n)] = 0
    big = np.iinfo(np.int32).max // 4
    transit[~np.isfinite(time_s)] = big
    transit = np.minimum(transit, big)
    manager = pywrapcp.RoutingIndexManager(n, 1, 0)
    routing = pywrapcp.RoutingModel(manager)
    cbi = routing.RegisterTransitMatrix(transit.tolist())  # evaluated in C++, no Python callback
    routing.SetArcCostEvaluatorOfAllVehicles(cbi)
    routing.AddDimension(cbi, 0, int(budget_s), True, "time")
    for node in range(1, n):
        routing.AddDisjunction([manager.NodeToIndex(node)], int(penalty[node]))
    for node in forbidden:
        routing.solver().Add(routing.ActiveVar(manager.NodeToIndex(int(node))) == 0)
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    params.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    if time_limit_s and time_limit_s > 0:
        params.time_limit.FromMilliseconds(max(1, int(round(time_limit_s * 1000))))
    if solution_limit:
        params.solution_limit = int(solution_limit)
    sol = routing.SolveWithParameters(params)
    if sol is None:
        return []
    order = []
    idx = routing.Start(0)
    while not routing.IsEnd(idx):
        node = manager.IndexToNode(idx)
        if node:
            order.append(node)
        idx = sol.Value(routing.NextVar(idx))
    return _fill(order, transit, penalty, int(budget_s), forbidden) if fill else order


def _fill(order: list[int], transit: np.ndarray, prize: np.ndarray, budget_s: int,
          forbidden: Iterable[int] = ()) -> list[int]:
    """Insert skipped prize nodes at their cheapest place while the loop stays within the budget
    (heaviest first): the search trades prize against walking, orienteering only against the budget."""
    banned = set(int(f) for f in forbidden)
    seq = [0, *order, 0]
    used = int(sum(transit[a, b] for a, b in zip(seq, seq[1:])))
    for node in np.argsort(-prize, kind="stable").tolist():
        if node == 0 or prize[node] <= 0 or node in seq or node in banned:
            continue
        a = np.asarray(seq[:-1])
        b = np.asarray(seq[1:])
        extra = transit[a, node] + transit[node, b] - transit[a, b]
        j = int(np.argmin(extra))
        if used + int(extra[j]) <= budget_s:
            seq.insert(j + 1, node)
            used += int(extra[j])
    return seq[1:-1]


def team_loops(
    G_walk: nx.MultiDiGraph,
    *,
    start_node: Hashable,
    budget_min: float,
    prizes: Mapping[Hashable, float],
    speed_kph: float = WALK_KPH,
    stop_min: float = 0.0,
    n_alternatives: int = 3,
    tolerance: float = 0.1,
    seed: int = 0,
    time_limit_s: float = 1.0,
    solution_limit: int | None = None,
    arcs: ArcTable | None = None,
) -> tuple[list[Loop], dict[str, Any]]:
    """Alternative orienteering loops from ``start_node`` (best first); see :func:`plan_team_loop`.

    Returns the loops and the internals needed to expand them (arc table, predecessors).
    """
    if start_node not in G_walk:
        raise InputError(f"start_node {start_node!r} is not a node of the walking graph")
    if not (budget_min > 0 and math.isfinite(budget_min)):
        raise InputError(f"budget_min must be > 0 minutes, not {budget_min!r}")
    if not (speed_kph > 0 and math.isfinite(speed_kph)):
        raise InputError(f"speed_kph must be > 0, not {speed_kph!r}")
    if not (stop_min >= 0 and math.isfinite(stop_min)):
        raise InputError(f"stop_min must be >= 0 minutes, not {stop_min!r}")
    if not isinstance(n_alternatives, int) or n_alternatives < 1:
        raise InputError(f"n_alternatives must be a whole number >= 1, not {n_alternatives!r}")
    if arcs is not None and arcs.weight_name != "length_m":
        raise InputError(f"arcs: the arc table must be built with weight='length_m', not '{arcs.weight_name}'")
    tab = arcs if arcs is not None else arc_table(G_walk, weight="length_m")
    pts: list[Hashable] = [start_node]
    prize_vals = [0.0]
    start_prize = 0.0
    for node, p in prizes.items():
        p = float(p)
        if node not in tab.index:
            raise InputError(f"prize node {node!r} is not a node of the walking graph")
        if not (math.isfinite(p) and p >= 0):
            raise InputError(f"prize of node {node!r} is {p}; prizes must be finite and >= 0")
        if node == start_node:
            start_prize += p
        elif p > 0:
            pts.append(node)
            prize_vals.append(p)
    idx = [tab.index[p] for p in pts]
    mps = speed_kph / 3.6
    dist_m, pred = dijkstra(tab.csr(), indices=idx, return_predecessors=True)
    length = dist_m[:, idx]
    time_s = length / mps
    budget_s = int(math.floor(budget_min * 60))
    stop_s = np.full(len(pts), stop_min * 60.0)
    stop_s[0] = 0.0
    # drop prize nodes that cannot be reached and left again within the budget
    round_trip = np.ceil(time_s[0]) + np.ceil(stop_s) + np.ceil(time_s[:, 0])
    ok = np.isfinite(time_s[0]) & np.isfinite(time_s[:, 0]) & (round_trip <= budget_s)
    ok[0] = True
    keep = np.flatnonzero(ok)
    prize_arr = np.asarray(prize_vals)[keep]
    t_mat = time_s[np.ix_(keep, keep)]
    s_vec = stop_s[keep]
    pos_prize = prize_arr[prize_arr > 0]
    # penalties in seconds of walking: all the prize on offer is worth ten budgets of walking, so a
    # prize is dropped only when the walk to it does not fit (measured best at 1 s of search)
    scale = _PRIZE_BUDGETS * budget_s / pos_prize.sum() if len(pos_prize) else 1.0
    penalty = np.where(prize_arr > 0, np.maximum(1, np.rint(prize_arr * scale)), 0).astype(np.int64)
    info = {"tab": tab, "pred": pred, "idx": idx, "pts": pts, "keep": keep, "length": length, "time_s": time_s,
            "stop_s": stop_s, "start_prize": start_prize, "prize_total": start_prize + float(sum(prize_vals))}

    def make(order_local: list[int]) -> Loop:
        nodes_k = [int(keep[i]) for i in order_local]
        seq = [0] + nodes_k + [0]
        travel = float(sum(time_s[a, b] for a, b in zip(seq, seq[1:])))
        lm = float(sum(length[a, b] for a, b in zip(seq, seq[1:])))
        return Loop(tuple(pts[i] for i in nodes_k), start_prize + float(sum(prize_vals[i] for i in nodes_k)), travel,
                    float(stop_s[nodes_k].sum()) if nodes_k else 0.0, lm)

    first = make(_solve_orienteering(t_mat, s_vec, penalty, budget_s, time_limit_s=time_limit_s,
                                     solution_limit=solution_limit))
    loops = [first]
    rng = np.random.default_rng(seed)
    local_of = {pts[int(k)]: i for i, k in enumerate(keep)}
    tries = 0
    while len(loops) < n_alternatives and tries < 2 * (n_alternatives - 1):
        tries += 1
        forbid = set()
        for lp in loops:  # one stop of every loop so far, at random, may not be visited
            choices = [local_of[s] for s in lp.stops if local_of[s] not in forbid]
            if choices:
                forbid.add(int(rng.choice(choices)))
        noise = rng.uniform(0.9, 1.1, len(prize_arr))
        pen = np.where(prize_arr > 0, np.maximum(1, np.rint(prize_arr * noise * scale)), 0).astype(np.int64)
        cand = make(_solve_orienteering(t_mat, s_vec, pen, budget_s, time_limit_s=time_limit_s / 2,
                                        solution_limit=solution_limit, forbidden=forbid))
        if cand.prize >= (1 - tolerance) * first.prize and all(set(cand.stops) != set(lp.stops) for lp in loops):
            loops.append(cand)
    # not enough different places within tolerance: the same places the other way round, when that
    # takes no longer (walking: streets are two-way)
    for lp in list(loops):
        if len(loops) >= n_alternatives:
            break
        if len(lp.stops) < 2:
            continue
        rev = make([local_of[s] for s in reversed(lp.stops)])
        if rev.travel_s + rev.stop_s <= budget_s + 1e-6 and all(rev.stops != other.stops for other in loops):
            loops.append(rev)
    loops.sort(key=lambda lp: -lp.prize)
    return loops, info


def plan_team_loop(
    G_walk: nx.MultiDiGraph,
    *,
    start_node: Hashable,
    budget_min: float,
    prizes: Mapping[Hashable, float],
    speed_kph: float = WALK_KPH,
    stop_min: float = 0.0,
    n_alternatives: int = 3,
    tolerance: float = 0.1,
    seed: int = 0,
    time_limit_s: float = 1.0,
    solution_limit: int | None = None,
    unit: Any = None,
    date: dt.date | None = None,
    shift_start: dt.datetime | None = None,
    shift_end: dt.datetime | None = None,
    arcs: ArcTable | None = None,
) -> TeamLoops:
    """A neighborhood patrol loop for a "1+2+N" grid team: most prize within the time budget.

    Orienteering (prize-collecting TSP) with OR-Tools routing: a travel-time matrix over the start and
    the prize nodes (shortest walking paths / ``speed_kph``), ``AddDisjunction([node], penalty)``
    with penalties proportional to the prizes (the smallest prize outweighs the whole budget of
    travel, so prize comes first and walking distance breaks ties), a time dimension whose limit is
    the budget (walking plus ``stop_min`` at every prize node visited), guided local search for
    ``time_limit_s``; skipped prizes that still fit are then inserted where cheapest (the search
    weighs prize against walking, orienteering only against the budget). Then up to ``n_alternatives
    - 1`` more loops, each re-solved (half the time) with prizes perturbed by up to 10 % and one stop
    of every earlier loop forbidden, kept when within ``tolerance`` of the best value and visiting a
    different set of places; failing that, a loop walked the other way round when that takes no
    longer (always so on foot). The day's loop is picked by
    :func:`choose_alternative` from ``date`` and the unit id.

    Parameters
    ----------
    G_walk
        Walking graph (projected CRS, metres; :func:`walk_graph` lets people on foot use one-way
        streets both ways). Arcs need ``length_m``.
    start_node
        The team's post (start and end).
    budget_min
        Minutes for the loop: walking plus stops.
    prizes
        ``node -> prize`` (>= 0), e.g. from :func:`node_prizes`.
    speed_kph
        Patrol speed: :data:`WALK_KPH` (4.5) on foot, :data:`EBIKE_KPH` (12) by e-bike.
    stop_min
        Minutes spent at every prize node visited.
    n_alternatives, tolerance
        How many loops to offer, and how far below the best one may be (share of its prize).
    seed
        Seed of the perturbations.
    time_limit_s, solution_limit
        Search limits per solve (seconds of guided local search; a solution count makes the result
        independent of machine speed).
    unit
        The unit record (``unit_id``, ``name``, ``officers``, ``auxiliaries``, ``volunteers``,
        ``mode``): the line-up printed on the sheet.
    date
        The day the loop is for (default ``shift_start``'s date): picks the alternative.
    shift_start, shift_end
        Clock times of the patrol (tz-aware); without them times are offsets only.
    arcs
        :func:`routing.postman.arc_table` of ``G_walk`` (weight ``length_m``), to reuse between teams.

    Returns
    -------
    TeamLoops
        The alternatives (best first), the chosen index and its :class:`RoutePlan` (arcs of the
        walking graph, stops with times, length and duration).

    Raises
    ------
    InputError
        Unknown nodes, negative prizes, non-positive budget or speed.
    """
    info_u = _unit_info(unit, f"T{start_node}", "grid_team")
    if shift_start is not None and shift_end is not None:
        horizon = _shift_seconds(shift_start, shift_end)
        if budget_min * 60 > horizon + 1e-6:
            raise InputError(f"budget_min {budget_min} is longer than the shift ({horizon / 60:.0f} min)")
    loops, info = team_loops(
        G_walk, start_node=start_node, budget_min=budget_min, prizes=prizes, speed_kph=speed_kph, stop_min=stop_min,
        n_alternatives=n_alternatives, tolerance=tolerance, seed=seed, time_limit_s=time_limit_s,
        solution_limit=solution_limit, arcs=arcs,
    )
    day = date if date is not None else (shift_start.date() if shift_start is not None else None)
    chosen = choose_alternative(len(loops), date=day, unit_id=info_u["unit_id"])
    loop = loops[chosen]
    tab: ArcTable = info["tab"]
    pts, idx, pred = info["pts"], info["idx"], info["pred"]
    row = {p: i for i, p in enumerate(pts)}
    mps = speed_kph / 3.6
    seq: list[int] = []
    t0: list[float] = []
    dts: list[float] = []
    stops: list[Stop] = []
    t = 0.0
    chain = [start_node, *loop.stops, start_node]
    for a, b in zip(chain, chain[1:]):
        for arc in tab.path_arcs(pred[row[a]], idx[row[a]], idx[row[b]]):
            seq.append(arc)
            t0.append(t)
            d = float(tab.length_m[arc]) / mps
            dts.append(d)
            t += d
        if b != start_node:
            nd = G_walk.nodes[b]
            dur = float(info["stop_s"][row[b]])
            stops.append(Stop(len(stops) + 1, b, float(nd["x"]), float(nd["y"]), t, t + dur,
                              f"巡逻点{len(stops) + 1}", f"P{len(stops) + 1:03d}"))
            t += dur
    plan = _build_plan(
        G_walk, tab, seq, t0, dts, stops, unit=info_u, base=tab.index[start_node], shift_start=shift_start,
        shift_end=shift_end, coverage=(loop.length_m, float("nan"), float("nan")), alternative=chosen,
        alternatives=len(loops), prize=loop.prize, prize_total=info["prize_total"],
        extra={"budget_min": float(budget_min), "speed_kph": float(speed_kph)},
    )
    return TeamLoops(tuple(loops), chosen, plan, info["prize_total"])


# --------------------------------------------------------------------------------------------
# the whole shift from workspace layers (the adapter behind `patrolnet routes`)
# --------------------------------------------------------------------------------------------
def _incident_weights(incidents: Any, shift_start: dt.datetime, shift_end: dt.datetime, *, lookback_days: float,
                      tod_boost: float) -> np.ndarray:
    """Weight per incident row: 0 outside the look-back window before the shift, else 1, plus
    ``tod_boost`` when its local clock time falls within the shift's hours."""
    import pandas as pd

    n = len(incidents)
    if "occurred_at" not in incidents:
        return np.ones(n)
    t = pd.to_datetime(incidents["occurred_at"], errors="coerce", utc=True)
    tz = shift_start.tzinfo
    start_utc = pd.Timestamp(shift_start).tz_convert("UTC")
    lo = start_utc - pd.Timedelta(days=lookback_days)
    inside = ((t >= lo) & (t < start_utc)).to_numpy(dtype=bool, na_value=False)
    local = t.dt.tz_convert(tz)
    minute = (local.dt.hour * 60 + local.dt.minute).to_numpy(dtype=float, na_value=np.nan)
    s_min = shift_start.hour * 60 + shift_start.minute
    length = (shift_end - shift_start).total_seconds() / 60
    in_hours = ((minute - s_min) % 1440) < min(length, 1440)
    return np.where(inside, 1.0 + tod_boost * in_hours, 0.0)


def plan_shift(
    G: nx.MultiDiGraph,
    units: Any,
    *,
    shift_start: dt.datetime,
    shift_end: dt.datetime,
    incidents: Any = None,
    beats: Any = None,
    neighborhoods: Any = None,
    team_areas: Any = None,
    kinds: Sequence[str] = PLANNED_UNIT_KINDS,
    lookback_days: float = 365.0,
    tod_boost: float = 1.0,
    team_budget_min: float = 120.0,
    team_stop_min: float = 2.0,
    team_radius_m: float = 1200.0,
    n_alternatives: int = 3,
    time_limit_s: float = 0.1,
    seed: int = 0,
) -> list[RoutePlan]:
    """Plan one shift for the district's units from workspace layers (``patrolnet routes``).

    * Brigade vehicles (``kind == 'brigade_vehicle'``): ``beats`` (the DataFrame of
      :func:`routing.split.brigade_beats`; computed with one beat per vehicle when not given), each
      beat matched to the vehicle whose base is nearest (Hungarian assignment; surplus vehicles join
      the nearest beat and split its tour), the beat's base the main-road node nearest that
      vehicle's base; risk per edge from the street incidents (``edge_id``) of the last
      ``lookback_days`` before the shift, those at the shift's clock hours counting
      ``1 + tod_boost``; then :func:`plan_brigade_shift`.
    * Grid teams (``kind == 'grid_team'``, the "1+2+N" teams): a loop of ``team_budget_min``
      minutes (at most the shift) from the node nearest the team's base, on foot
      (:data:`WALK_KPH`, one-way streets walkable both ways) or by e-bike (:data:`EBIKE_KPH`, one-way
      streets obeyed), prizes = weighted neighborhood incidents snapped to nodes inside the team's
      area (``team_areas`` from :func:`routing.split.grid_team_areas`, computed from
      ``neighborhoods`` when given; else within ``team_radius_m`` of the base); the day's loop among
      ``n_alternatives`` chosen from the shift's date and the unit id (:func:`plan_team_loop`).

    Parameters
    ----------
    G
        Road graph (projected working CRS, metres).
    units
        The ``units`` layer (points in the graph's CRS; ``unit_id``, ``kind``, ``name``, ``officers``,
        ``auxiliaries``, ``volunteers``, ``mode``, ``station_id``).
    shift_start, shift_end
        tz-aware datetimes (:func:`shift_window`).
    incidents
        The ``incidents`` layer (``occurred_at``, ``place_kind``, ``edge_id``, points) or ``None``
        (uniform risk, no team prizes: teams then walk toward the farthest reachable nodes).
    kinds
        Unit kinds to plan.
    time_limit_s
        OR-Tools search time per team loop solve (alternatives get half). On the demo's teams 0.1 s
        comes within a few per cent of 1 s; the whole demo shift (12 vehicles, 47 teams) takes ~15 s.

    Returns
    -------
    list[RoutePlan]
        Brigade vehicles first (by beat), then grid teams (by unit id).

    Raises
    ------
    InputError, InfeasibleError, CRSError
        As the planners they call; also when ``units`` lacks ``unit_id``/``kind``.
    """
    import geopandas as gpd
    import pandas as pd
    from scipy.optimize import linear_sum_assignment

    horizon = _shift_seconds(shift_start, shift_end)
    for col in ("unit_id", "kind"):
        if col not in units:
            raise InputError(f"units layer has no '{col}' column; see the units layer in docs/data-model.md")
    units = units.sort_values("unit_id").reset_index(drop=True)
    ux = units.geometry.x.to_numpy(dtype=float)
    uy = units.geometry.y.to_numpy(dtype=float)
    w_inc = None
    if incidents is not None and len(incidents):
        w_inc = _incident_weights(incidents, shift_start, shift_end, lookback_days=lookback_days, tod_boost=tod_boost)
    plans: list[RoutePlan] = []
    # -- brigade ----------------------------------------------------------------------------------
    cars = np.flatnonzero((units["kind"] == "brigade_vehicle").to_numpy())
    if "brigade_vehicle" in kinds and len(cars):
        if beats is None:
            from routing.split import brigade_beats

            beats = brigade_beats(G, k=len(cars), seed=seed)
        beat_col = beats["beat"] if hasattr(beats, "columns") else pd.Series(dict(beats))
        risk = None
        if w_inc is not None and "edge_id" in incidents:
            e = pd.to_numeric(incidents["edge_id"], errors="coerce")
            ok = e.notna().to_numpy() & (w_inc > 0)
            risk = pd.Series(w_inc[ok]).groupby(e[ok].astype(np.int64).to_numpy()).sum().to_dict()
        beat_ids = sorted(pd.unique(beat_col))
        node_xy = {n: (d["x"], d["y"]) for n, d in G.nodes(data=True)}
        beat_nodes: dict[Any, list[Hashable]] = {}
        eid_arc = {d["edge_id"]: (u, v) for u, v, d in G.edges(data=True) if "edge_id" in d}
        for e_id, b in beat_col.items():
            if int(e_id) in eid_arc:
                beat_nodes.setdefault(b, []).extend(eid_arc[int(e_id)])
        cost = np.zeros((len(cars), len(beat_ids)))
        for j, b in enumerate(beat_ids):
            xy = np.array([node_xy[n] for n in set(beat_nodes.get(b, []))]).reshape(-1, 2)
            if len(xy):
                cost[:, j] = np.hypot(ux[cars, None] - xy[None, :, 0], uy[cars, None] - xy[None, :, 1]).min(axis=1)
        rows, cols = linear_sum_assignment(cost)
        assign = {int(cars[r]): beat_ids[c] for r, c in zip(rows, cols)}
        for r in range(len(cars)):  # surplus vehicles: the nearest beat
            if int(cars[r]) not in assign:
                assign[int(cars[r])] = beat_ids[int(np.argmin(cost[r]))]
        by_beat: dict[Any, list[int]] = {}
        for i, b in sorted(assign.items()):
            by_beat.setdefault(b, []).append(i)
        bases = {}
        unit_recs = {}
        for b, members in by_beat.items():
            cand = list(set(beat_nodes.get(b, [])))
            xy = np.array([node_xy[n] for n in cand])
            i0 = members[0]
            bases[b] = cand[int(np.argmin(np.hypot(xy[:, 0] - ux[i0], xy[:, 1] - uy[i0])))]
            unit_recs[b] = [units.iloc[i] for i in members]
        keep = beat_col[beat_col.isin(list(by_beat))]
        plans += plan_brigade_shift(G, keep, bases=bases, shift_start=shift_start, shift_end=shift_end, risk=risk,
                                    units=unit_recs, seed=seed)
    # -- grid teams -------------------------------------------------------------------------------
    teams = np.flatnonzero((units["kind"] == "grid_team").to_numpy())
    if "grid_team" in kinds and len(teams):
        if team_areas is None and neighborhoods is not None and len(neighborhoods):
            from routing.split import grid_team_areas, grid_teams_per_station

            team_areas = grid_team_areas(neighborhoods, teams_per_station=grid_teams_per_station(units), seed=seed)
        area_of: dict[int, Any] = {}
        if team_areas is not None and len(team_areas) and "station_id" in units:
            for st_id, grp in units.iloc[teams].groupby("station_id"):
                areas = team_areas[team_areas["station_id"] == st_id]
                if not len(areas):
                    continue
                pts = gpd.GeoSeries(gpd.points_from_xy(ux[grp.index], uy[grp.index]), crs=team_areas.crs)
                dist = np.array([[p.distance(a) for a in areas.geometry] for p in pts])
                r, c = linear_sum_assignment(dist)
                for rr, cc in zip(r, c):
                    area_of[int(grp.index[rr])] = areas.geometry.iloc[cc]
        W = walk_graph(G)
        tables = {"walk": arc_table(W, weight="length_m"), "road": arc_table(G, weight="length_m")}
        nodes = list(G.nodes)
        nxy = np.array([(G.nodes[n]["x"], G.nodes[n]["y"]) for n in nodes])
        tree = cKDTree(nxy)
        inc_xy = inc_w = None
        if w_inc is not None:
            mask = w_inc > 0
            if "place_kind" in incidents:
                mask &= (incidents["place_kind"] == "neighborhood").to_numpy()
            inc_xy = np.column_stack([incidents.geometry.x.to_numpy()[mask], incidents.geometry.y.to_numpy()[mask]])
            inc_w = w_inc[mask]
        budget = min(team_budget_min, horizon / 60)
        for i in teams.tolist():
            rec = units.iloc[i]
            mode = str(rec.get("mode") or "foot")
            speed = EBIKE_KPH if mode == "ebike" else WALK_KPH
            graph, table = (G, tables["road"]) if mode == "ebike" else (W, tables["walk"])
            start = nodes[int(tree.query([ux[i], uy[i]])[1])]
            area = area_of.get(i)
            if area is not None:
                zone = shapely.buffer(area, 60.0)
                cand = [nodes[j] for j in np.flatnonzero(shapely.contains_xy(zone, nxy[:, 0], nxy[:, 1]))]
            else:
                cand = [nodes[j] for j in tree.query_ball_point([ux[i], uy[i]], team_radius_m)]
            if inc_xy is not None and len(inc_xy):
                sel = np.ones(len(inc_xy), dtype=bool)
                if area is not None:
                    sel = shapely.contains_xy(shapely.buffer(area, 30.0), inc_xy[:, 0], inc_xy[:, 1])
                else:
                    sel = np.hypot(inc_xy[:, 0] - ux[i], inc_xy[:, 1] - uy[i]) <= team_radius_m
                prizes = node_prizes(graph, inc_xy[sel], weights=inc_w[sel], nodes=cand or None, max_snap_m=150.0)
            else:  # no incidents: spread the loop over the area's nodes
                prizes = {n: 1.0 for n in cand[:: max(1, len(cand) // 40)]}
            prizes = dict(sorted(prizes.items(), key=lambda kv: (-kv[1], str(kv[0])))[:60])
            res = plan_team_loop(
                graph, start_node=start, budget_min=budget, prizes=prizes, speed_kph=speed, stop_min=team_stop_min,
                n_alternatives=n_alternatives, seed=seed, time_limit_s=time_limit_s, unit=rec,
                shift_start=shift_start, shift_end=shift_end, arcs=table,
            )
            plans.append(res.plan)
    return plans
