"""Neighborhood loops of "1+2+N" grid teams: orienteering by iterated local search.

:func:`plan_team_loop`: a grid team (1 officer + 2 auxiliary officers + N volunteers) on foot or
e-bike walks an orienteering loop from its post collecting the most prize (risk at places) within a
time budget, found by :func:`routing.patrol.orienteering.solve_orienteering` (insertion and
iterated local search on the matrix of the team's places; it beats OR-Tools' guided local search at
5 s on the bench instance in about 0.1 s: ``routes.orienteering``). Several loops of near-equal value
come out of the one search and one is picked per day from a hash of the date and the unit id
(:func:`choose_alternative`), so the team is not predictable but the plan is reproducible: the
search stops after a fixed count of rounds (:func:`search_budget`), never on the clock, so the same
inputs and date give the same loop on any machine under any load.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import math
from collections.abc import Hashable, Iterable, Mapping
from typing import Any

import networkx as nx
import numpy as np
import shapely
from scipy.spatial import cKDTree

from geo.errors import InputError
from routing.graph import place_name
from routing.nearest_paths import distances_among
from routing.patrol.assemble import _build_plan
from routing.patrol.orienteering import OrienteeringLoop, solve_orienteering
from routing.patrol.results import Loop, Stop, TeamLoops
from routing.patrol.units import _unit_info
from routing.patrol.window import _shift_seconds
from routing.postman import ArcTable, arc_table, node_xy, with_reversed

__all__ = [
    "EBIKE_KPH",
    "SOLUTIONS_PER_S",
    "WALK_KPH",
    "choose_alternative",
    "plan_team_loop",
    "search_budget",
    "team_loops",
    "walk_graph",
    "walk_tools",
]

#: Patrol speeds of grid teams (km/h).
WALK_KPH = 4.5
EBIKE_KPH = 12.0
#: The most laps of one loop a plan walks when its area is walked out with time to spare.
MAX_LAPS = 4
#: A loop using less than this share of its minutes, every place of its area in it, is "walked out".
FILL_SHARE = 0.9
#: Search effort of a team loop: nominal seconds of search (``time_limit_s``, ``--time-limit``) are
#: turned into a count of rounds of shake and repair at this rate (about what one core does per second
#: on 60 places), so the loop depends on the inputs alone, not on machine speed or load.
SOLUTIONS_PER_S = 600
#: The fewest rounds a search may take.
MIN_SOLUTIONS = 10


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
    ``reversed=True``, ``oneway=False``). The copy shares the attribute dicts of ``G``'s nodes and
    arcs (read them, do not change them)."""
    return walk_tools(G, arc_table(G, weight="length_m"))[0]


def walk_tools(G: nx.MultiDiGraph, road: ArcTable) -> tuple[nx.MultiDiGraph, ArcTable]:
    """:func:`walk_graph` of ``G`` and its arc table by length, made from ``road``
    (``arc_table(G, weight="length_m")``) without reading ``G``'s arcs again: the road's arcs, then
    the reversed ones in the road's order."""
    n = road.n
    pair = road.tail * n + road.head
    rev = np.flatnonzero((road.tail != road.head) & ~np.isin(road.head * n + road.tail, pair))
    rpair = road.head[rev] * n + road.tail[rev]
    # key of each added arc: how many added arcs of the same node pair come before it
    o = np.argsort(rpair, kind="stable")
    starts = np.r_[0, np.flatnonzero(np.diff(rpair[o])) + 1]
    cum = np.arange(len(o)) - np.repeat(starts, np.diff(np.r_[starts, len(o)]))
    rkeys = np.empty(len(o), dtype=np.int64)
    rkeys[o] = cum
    W = G.__class__()
    W.graph.update(G.graph)
    W._node.update(G._node)
    succ, pred = W._succ, W._pred
    for v in G._node:
        succ[v] = {}
        pred[v] = {}
    for u, nbrs in G._succ.items():
        su = succ[u]
        for v, keydict in nbrs.items():
            su[v] = pred[v][u] = dict(keydict)
    nodes = road.nodes
    for i, key in zip(rev.tolist(), rkeys.tolist()):
        u, v, k = nodes[road.tail[i]], nodes[road.head[i]], road.keys[i]
        d = dict(G._succ[u][v][k])
        if d.get("geometry") is not None:
            d["geometry"] = shapely.reverse(d["geometry"])
        d["reversed"] = True
        d["oneway"] = False
        keydict = succ[v].get(u)
        if keydict is None:
            keydict = succ[v][u] = pred[u][v] = {}
        keydict[key] = d
    walk = with_reversed(road, rev, rkeys.tolist())
    return W, walk


def search_budget(time_limit_s: float | None = None, solution_limit: int | None = None) -> int:
    """How many rounds of shake and repair one orienteering search may take
    (:func:`routing.patrol.orienteering.solve_orienteering`).

    ``solution_limit`` when given; else ``time_limit_s`` (nominal seconds of search) times
    :data:`SOLUTIONS_PER_S`, at least :data:`MIN_SOLUTIONS`. The search stops on this count, never
    on the clock, so the same inputs give the same loop on any machine under any load.
    """
    if solution_limit is not None and solution_limit > 0:
        return int(solution_limit)
    t = float(time_limit_s) if time_limit_s is not None and math.isfinite(float(time_limit_s)) else 0.0
    return max(MIN_SOLUTIONS, round(max(t, 0.0) * SOLUTIONS_PER_S))


def _most_different(pool: list[OrienteeringLoop], first: OrienteeringLoop, floor: float, n: int) -> list[OrienteeringLoop]:
    """Up to ``n`` loops of ``pool`` worth at least ``floor``, each time the one sharing the fewest
    places with those already picked (ties: the more valuable): alternatives a watcher cannot guess
    from one another."""
    picked = [first]
    rest = [lp for lp in pool if lp is not first and lp.prize >= floor]
    while rest and len(picked) < n:
        def overlap(lp: OrienteeringLoop) -> float:
            s = set(lp.order)
            return max(len(s & set(q.order)) / max(len(s | set(q.order)), 1) for q in picked)
        lp = min(rest, key=lambda c: (overlap(c), -c.prize, c.time, c.order))
        picked.append(lp)
        rest.remove(lp)
    return picked


def _place_distances(G: nx.MultiDiGraph, tab: ArcTable, idx: list[int]) -> tuple[np.ndarray, Any]:
    """Shortest distances (metres) between the places ``idx`` (arc-table nodes; the first is the
    start) and a function giving the arcs of the walk from place ``i`` to place ``j``.

    Searched on the streets around the places only: the nodes within three times the farthest
    place's straight-line distance from the start, plus 300 m (on a graph whose streets go both ways
    a shortest walk between two places never strays farther from the start than their two distances
    together; three allows the detours of streets). In a city of 35,000 nodes that is a
    neighbourhood's streets, not the city's; a pair joined only by a walk leaving it is at an
    infinite distance (never in the same loop one after the other)."""
    xy = node_xy(G, tab)
    at = xy[np.asarray(idx, dtype=np.int64)]
    radius = 3.0 * float(np.hypot(*(at - at[0]).T).max()) + 300.0
    tree = tab._cache.get("tree")
    if tree is None:
        tree = tab._cache["tree"] = cKDTree(xy)
    near = np.sort(np.asarray(tree.query_ball_point(at[0], radius), dtype=np.int64))
    li = np.searchsorted(near, np.asarray(idx, dtype=np.int64))
    dist, pred = distances_among(tab.csr(), near, li)
    length = dist[:, li]
    n = tab.n

    def leg(i: int, j: int) -> list[int]:
        pr = pred[i]
        out: list[int] = []
        v, src = int(li[j]), int(li[i])
        while v != src:
            u = int(pr[v])
            if u < 0:
                raise InputError(f"no walk from node {tab.nodes[idx[i]]} to node {tab.nodes[idx[j]]}")
            out.append(tab.best[int(near[u]) * n + int(near[v])])
            v = u
        out.reverse()
        return out

    return length, leg


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
    passing: Iterable[Hashable] = (),
) -> tuple[list[Loop], dict[str, Any]]:
    """Alternative orienteering loops from ``start_node`` (best first); see :func:`plan_team_loop`.

    Returns the loops and the internals needed to expand them (arc table, predecessors).
    """
    if start_node not in G_walk:
        raise InputError(f"start_node {start_node!r} is not a node of the walking graph")
    if not (budget_min > 0 and math.isfinite(budget_min)):
        raise InputError(f"budget_min must be > 0 minutes, not {budget_min!r}", code="param.positive",
                         name="budget_min", value=str(budget_min))
    if not (speed_kph > 0 and math.isfinite(speed_kph)):
        raise InputError(f"speed_kph must be > 0, not {speed_kph!r}", code="param.positive", name="speed_kph",
                         value=str(speed_kph))
    if not (stop_min >= 0 and math.isfinite(stop_min)):
        raise InputError(f"stop_min must be >= 0 minutes, not {stop_min!r}", code="param.at_least", name="stop_min",
                         value=str(stop_min), min=0)
    if not isinstance(n_alternatives, int) or n_alternatives < 1:
        raise InputError(f"n_alternatives must be a whole number >= 1, not {n_alternatives!r}", code="param.at_least",
                         name="n_alternatives", value=str(n_alternatives), min=1)
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
    budget_s = math.floor(budget_min * 60)
    length, leg = _place_distances(G_walk, tab, idx)
    time_s = length / mps
    stop_s = np.full(len(pts), stop_min * 60.0)
    stop_s[0] = 0.0
    walk_by = set(passing)
    stop_s[[i for i, p in enumerate(pts) if p in walk_by]] = 0.0  # places walked past, not stopped at
    # drop prize nodes that cannot be reached and left again within the budget
    round_trip = np.ceil(time_s[0]) + np.ceil(stop_s) + np.ceil(time_s[:, 0])
    ok = np.isfinite(time_s[0]) & np.isfinite(time_s[:, 0]) & (round_trip <= budget_s)
    ok[0] = True
    keep = np.flatnonzero(ok)
    prize_arr = np.asarray(prize_vals)[keep]
    t_mat = time_s[np.ix_(keep, keep)]
    s_vec = stop_s[keep]
    info = {"tab": tab, "leg": leg, "pts": pts, "places": int(ok.sum()) - 1, "keep": keep, "length": length, "time_s": time_s,
            "stop_s": stop_s, "start_prize": start_prize, "prize_total": start_prize + float(sum(prize_vals))}

    def make(order_local: Iterable[int]) -> Loop:
        nodes_k = [int(keep[i]) for i in order_local]
        seq = [0] + nodes_k + [0]
        travel = float(sum(time_s[a, b] for a, b in itertools.pairwise(seq)))
        lm = float(sum(length[a, b] for a, b in itertools.pairwise(seq)))
        return Loop(tuple(pts[i] for i in nodes_k), start_prize + float(sum(prize_vals[i] for i in nodes_k)), travel,
                    float(stop_s[nodes_k].sum()) if nodes_k else 0.0, lm)

    transit = (np.ceil(t_mat) + np.ceil(s_vec)[None, :])
    transit[~np.isfinite(transit)] = 2 * budget_s + 1
    transit = transit.astype(np.int64)
    np.fill_diagonal(transit, 0)
    # once every place worth a stop is in the loop, the streets walked past are not worth more search
    stop_worth = float(sum(prize_arr[i] for i, k in enumerate(keep) if i and pts[int(k)] not in walk_by))
    pool = solve_orienteering(transit, prize_arr, budget_s, shakes=search_budget(time_limit_s, solution_limit),
                              seed=seed, keep=max(8, 4 * n_alternatives), enough=stop_worth if walk_by else None)
    floor = (1 - tolerance) * pool[0].prize
    loops = [make(lp.order) for lp in _most_different(pool, pool[0], floor, n_alternatives)]
    local_of = {pts[int(k)]: i for i, k in enumerate(keep)}
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
    passing: Iterable[Hashable] = (),
) -> TeamLoops:
    """A neighborhood patrol loop for a "1+2+N" grid team: most prize within the time budget.

    Orienteering on a travel-time matrix over the start and the prize nodes (shortest walking paths
    / ``speed_kph``, plus ``stop_min`` at every prize node visited), solved by
    :func:`routing.patrol.orienteering.solve_orienteering` (insertion by prize² per added minute,
    2-opt and moves of one stop, then a fixed count of shakes and repairs: :func:`search_budget`;
    deterministic, not timed). The search keeps the best loops it met, one per set of places; up to
    ``n_alternatives - 1`` more are taken from them, within ``tolerance`` of the best value, each
    the one sharing fewest places with those already taken; failing that, a loop walked the other
    way round when that takes no longer (always so on foot). The day's loop is picked by
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
        Seed of the search's shakes.
    time_limit_s, solution_limit
        Search effort: ``solution_limit`` rounds of shake and repair, or when not given
        ``time_limit_s`` nominal seconds at :data:`SOLUTIONS_PER_S` (:func:`search_budget`). The
        search stops on counts only, never on the clock: the same inputs give the same loops on any
        machine, under any load.
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
            raise InputError(f"budget_min {budget_min} is longer than the shift ({horizon / 60:.0f} min)",
                             code="routes.budget_over_shift", budget=str(budget_min), shift=f"{horizon / 60:.0f}")
    loops, info = team_loops(
        G_walk, start_node=start_node, budget_min=budget_min, prizes=prizes, speed_kph=speed_kph, stop_min=stop_min,
        n_alternatives=n_alternatives, tolerance=tolerance, seed=seed, time_limit_s=time_limit_s,
        solution_limit=solution_limit, arcs=arcs, passing=passing,
    )
    day = date if date is not None else (shift_start.date() if shift_start is not None else None)
    chosen = choose_alternative(len(loops), date=day, unit_id=info_u["unit_id"])
    loop = loops[chosen]
    tab: ArcTable = info["tab"]
    pts, leg = info["pts"], info["leg"]
    row = {p: i for i, p in enumerate(pts)}
    mps = speed_kph / 3.6
    seq: list[int] = []
    t0: list[float] = []
    dts: list[float] = []
    stops: list[Stop] = []
    named: dict[tuple[str, int], int] = {}
    t = 0.0
    # an area walked out with time to spare: the loop again, the same way round (so no stop follows
    # itself), as many whole laps as fit, at most MAX_LAPS
    one_lap = loop.travel_s + loop.stop_s
    laps = 1
    if len(loop.stops) == info["places"] and one_lap > 0:
        laps = max(1, min(MAX_LAPS, int(budget_min * 60 // one_lap)))
    extra_stops: list[Hashable] = []
    if laps > 1 or (len(loop.stops) == info["places"] and one_lap > 0):
        # then as much of one more lap as fits, back at the post in time
        tm, ss, row0 = info["time_s"], info["stop_s"], {p: i for i, p in enumerate(info["pts"])}
        left, at, used = budget_min * 60 - laps * one_lap, 0, 0.0
        for st in loop.stops:
            step = tm[at, row0[st]] + ss[row0[st]]
            if used + step + tm[row0[st], 0] > left:
                break
            extra_stops.append(st)
            used += step
            at = row0[st]
        one_lap_more = used + (tm[at, 0] if extra_stops else 0.0)
    else:
        one_lap_more = 0.0
    chain = [start_node, *(list(loop.stops) * laps), *extra_stops, start_node]
    lap_of = [1 + k // max(len(loop.stops), 1) for k in range(len(chain) - 2)]
    walk_by = set(passing)
    for k, (a, b) in enumerate(itertools.pairwise(chain)):
        for arc in leg(row[a], row[b]):
            seq.append(arc)
            t0.append(t)
            d = float(tab.length_m[arc]) / mps
            dts.append(d)
            t += d
        if b != start_node and b not in walk_by:
            nd = G_walk.nodes[b]
            dur = float(info["stop_s"][row[b]])
            label, road = place_name(G_walk, b)  # named by what is there, never "stop N"
            lap = lap_of[k]
            named[(label, lap)] = named.get((label, lap), 0) + 1
            if named[(label, lap)] > 1:
                label = f"{label}（{named[(label, lap)]}）"
            if lap > 1:
                label = f"{label}（第{lap}圈）"
            stops.append(Stop(len(stops) + 1, b, float(nd["x"]), float(nd["y"]), t, t + dur,
                              label, f"P{len(stops) + 1:03d}", road))
            t += dur
    plan = _build_plan(
        G_walk, tab, seq, t0, dts, stops, unit=info_u, base=tab.index[start_node], shift_start=shift_start,
        shift_end=shift_end, coverage=(loop.length_m, float("nan"), float("nan")), alternative=chosen,
        alternatives=len(loops), prize=loop.prize, prize_total=info["prize_total"],
        extra={"budget_min": float(budget_min), "speed_kph": float(speed_kph), "laps": laps,
               "fill": (laps * one_lap + one_lap_more) / (budget_min * 60),
               "walked_out": len(loop.stops) == info["places"]
               and laps * one_lap + one_lap_more < FILL_SHARE * budget_min * 60},
    )
    return TeamLoops(tuple(loops), chosen, plan, info["prize_total"])
