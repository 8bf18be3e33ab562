"""The whole shift from workspace layers: the adapter behind ``patrolnet routes``."""

from __future__ import annotations

import datetime as dt
import threading
import weakref
from collections.abc import Callable, Hashable, Sequence
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment
from scipy.spatial import cKDTree

from geo.errors import InputError
from routing.graph import PLACES_KEY, mark_neighborhoods
from routing.patrol.brigade import plan_brigade_shift
from routing.patrol.local import LOCAL_KINDS, plan_local_units
from routing.patrol.loops import walk_tools
from routing.patrol.results import RoutePlan
from routing.patrol.units import DEFAULT_SHIFT_KINDS
from routing.patrol.window import _shift_seconds
from routing.postman import ArcTable, arc_table, node_xy, with_weight
from routing.split.beats import brigade_beats
from routing.split.teams import grid_team_areas, grid_teams_per_station

__all__ = ["PLAN_INCIDENT_COLUMNS", "brigade_args", "graph_tables", "grid_team_tools", "incident_window", "plan_shift"]

#: The columns of the ``incidents`` layer a shift's plan reads (besides the points): when they
#: happened (the look-back window, the shift's hours), where (a street's edge or a neighborhood).
PLAN_INCIDENT_COLUMNS = ("occurred_at", "place_kind", "edge_id")


def incident_window(shift_start: dt.datetime, *, lookback_days: float) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The incidents a shift's plan weighs: from ``lookback_days`` before the shift's start up to
    it (``[first, start)``, in UTC); the others weigh nothing, so a caller may leave them unread."""
    start = pd.Timestamp(shift_start).tz_convert("UTC")
    return start - pd.Timedelta(days=lookback_days), start


def _incident_weights(incidents: Any, shift_start: dt.datetime, shift_end: dt.datetime, *, lookback_days: float,
                      tod_boost: float) -> np.ndarray:
    """Weight per incident row: 0 outside the look-back window before the shift, else 1, plus
    ``tod_boost`` when its local clock time falls within the shift's hours."""
    n = len(incidents)
    if "occurred_at" not in incidents:
        return np.ones(n)
    t = pd.to_datetime(incidents["occurred_at"], errors="coerce", utc=True)
    tz = shift_start.tzinfo
    lo, start = incident_window(shift_start, lookback_days=lookback_days)
    inside = ((t >= lo) & (t < start)).to_numpy(dtype=bool, na_value=False)
    local = t.dt.tz_convert(tz)
    minute = (local.dt.hour * 60 + local.dt.minute).to_numpy(dtype=float, na_value=np.nan)
    s_min = shift_start.hour * 60 + shift_start.minute
    length = (shift_end - shift_start).total_seconds() / 60
    in_hours = ((minute - s_min) % 1440) < min(length, 1440)
    return np.where(inside, 1.0 + tod_boost * in_hours, 0.0)


def grid_team_tools(G: nx.MultiDiGraph, road: ArcTable | None = None,
                    ) -> tuple[Any, dict[str, Any], list[Hashable], np.ndarray, cKDTree]:
    """What every grid team's loop is planned on, built once per graph: the walking graph, the arc
    tables of walking and of the roads (``road``: ``arc_table(G, weight="length_m")`` when already
    built), the nodes, their coordinates and their k-d tree."""
    road = road if road is not None else arc_table(G, weight="length_m")
    W, walk = walk_tools(G, road)
    tables = {"walk": walk, "road": road}
    nxy = node_xy(G, road)  # the road table's nodes are the graph's, in its order
    return W, tables, list(road.nodes), nxy, cKDTree(nxy)


#: Per road graph held by this process: its arc tables and grid-team tools, built on first use and
#: dropped with the graph (a process planning several shifts or pieces on one graph builds them once).
_BUILT: weakref.WeakKeyDictionary[nx.MultiDiGraph, dict[str, Any]] = weakref.WeakKeyDictionary()
_BUILT_LOCK = threading.Lock()


def graph_tables(G: nx.MultiDiGraph, what: str) -> Any:
    """What plans on ``G`` are made with, built once per graph: ``"road"`` the arc table by length,
    ``"brigade"`` the tables by length and by travel time, ``"teams"`` :func:`grid_team_tools`. The
    graph must not change after (a graph of a workspace's roads is built anew when they change)."""
    with _BUILT_LOCK:
        got = _BUILT.setdefault(G, {})
        if what not in got:
            road = got["road"] = got.get("road") or arc_table(G, weight="length_m")
            if what == "brigade":
                got[what] = (road, with_weight(road, "travel_time_s"))
            elif what == "teams":
                got[what] = grid_team_tools(G, road)
        return got[what]


def brigade_args(
    G: nx.MultiDiGraph, units: Any, *, shift_start: dt.datetime, shift_end: dt.datetime, incidents: Any = None,
    beats: Any = None, lookback_days: float = 365.0, tod_boost: float = 1.0, seed: int = 0,
) -> dict[str, Any] | None:
    """What :func:`plan_shift` decides for the brigade before planning it: vehicles matched to beats,
    the beats' bases and the risk per edge, as the keyword arguments ``beats``, ``bases``, ``risk``
    and ``units`` of :func:`routing.patrol.brigade.plan_brigade_shift` (or of
    :func:`routing.patrol.brigade.brigade_work`); ``None`` when ``units`` has no vehicle. Arguments
    as :func:`plan_shift`'s."""
    units = units.sort_values("unit_id").reset_index(drop=True)
    w_inc = None
    if incidents is not None and len(incidents):
        w_inc = _incident_weights(incidents, shift_start, shift_end, lookback_days=lookback_days, tod_boost=tod_boost)
    return _brigade_args(G, units, incidents=incidents, w_inc=w_inc, beats=beats, seed=seed)


def _brigade_args(G: nx.MultiDiGraph, units: Any, *, incidents: Any, w_inc: np.ndarray | None, beats: Any,
                  seed: int) -> dict[str, Any] | None:
    """The brigade's share of :func:`plan_shift` decided for all vehicles at once: the keyword
    arguments ``beats``, ``bases``, ``risk`` and ``units`` of :func:`plan_brigade_shift` (``None``:
    no vehicle). ``units`` sorted by unit id, as ``plan_shift`` sorts them."""
    ux = units.geometry.x.to_numpy(dtype=float)
    uy = units.geometry.y.to_numpy(dtype=float)
    cars = np.flatnonzero((units["kind"] == "brigade_vehicle").to_numpy())
    if not len(cars):
        return None
    if beats is None:
        beats = brigade_beats(G, k=len(cars), seed=seed)
    beat_col = (beats["beat"] if hasattr(beats, "columns") else beats if isinstance(beats, pd.Series)
                else pd.Series(dict(beats)))
    risk = None
    if w_inc is not None and "edge_id" in incidents:
        e = pd.to_numeric(incidents["edge_id"], errors="coerce")
        ok = e.notna().to_numpy() & (w_inc > 0)
        risk = pd.Series(w_inc[ok]).groupby(e[ok].astype(np.int64).to_numpy()).sum().to_dict()
    beat_ids = sorted(pd.unique(beat_col))
    beat_nodes: dict[Any, list[Hashable]] = {}
    road = graph_tables(G, "road")  # the arcs as arrays, in the graph's order: no edge view per arc
    nodes, at, nxy = road.nodes, road.index, node_xy(G, road)
    eid_arc = {e: (nodes[t], nodes[h]) for e, t, h in zip(road.edge_id.tolist(), road.tail.tolist(), road.head.tolist())
               if e >= 0}
    for e_id, b in beat_col.items():
        if int(e_id) in eid_arc:
            beat_nodes.setdefault(b, []).extend(eid_arc[int(e_id)])
    cost = np.zeros((len(cars), len(beat_ids)))
    for j, b in enumerate(beat_ids):
        xy = nxy[[at[n] for n in dict.fromkeys(beat_nodes.get(b, []))]].reshape(-1, 2)
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
        cand = list(dict.fromkeys(beat_nodes.get(b, [])))  # first-seen order: no hash order
        xy = nxy[[at[n] for n in cand]]
        i0 = members[0]
        bases[b] = cand[int(np.argmin(np.hypot(xy[:, 0] - ux[i0], xy[:, 1] - uy[i0])))]
        unit_recs[b] = [units.iloc[i] for i in members]
    keep = beat_col[beat_col.isin(list(by_beat))]
    return {"beats": keep, "bases": bases, "risk": risk, "units": unit_recs}


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
    kinds: Sequence[str] = DEFAULT_SHIFT_KINDS,
    lookback_days: float = 365.0,
    tod_boost: float = 1.0,
    team_budget_min: float = 120.0,
    team_stop_min: float = 2.0,
    team_radius_m: float = 1200.0,
    n_alternatives: int = 3,
    time_limit_s: float = 0.1,
    seed: int = 0,
    team_tools: Any = None,
    progress: Callable[[float], None] | None = None,
) -> list[RoutePlan]:
    """Plan one shift for the district's units from workspace layers (``patrolnet routes``).

    * Brigade vehicles (``kind == 'brigade_vehicle'``): ``beats`` (the DataFrame of
      :func:`routing.split.brigade_beats`; computed with one beat per vehicle when not given), each
      beat matched to the vehicle whose base is nearest (Hungarian assignment; surplus vehicles join
      the nearest beat and split its tour), the beat's base the main-road node nearest that
      vehicle's base; risk per edge from the street incidents (``edge_id``) of the last
      ``lookback_days`` before the shift, those at the shift's clock hours counting
      ``1 + tod_boost``; then :func:`plan_brigade_shift`.
    * Units around a post (:mod:`routing.patrol.local`): grid teams (``kind == 'grid_team'``, the
      "1+2+N" teams), a loop of ``team_budget_min`` minutes (at most the shift) from the node nearest
      the team's base, on foot (:data:`WALK_KPH`, one-way streets walkable both ways) or by e-bike
      (:data:`EBIKE_KPH`, one-way streets obeyed), prizes = weighted neighborhood incidents snapped
      to nodes inside the team's area (``team_areas`` from :func:`routing.split.grid_team_areas`,
      computed from ``neighborhoods`` when given; else within ``team_radius_m`` of the base); the
      day's loop among ``n_alternatives`` chosen from the shift's date and the unit id
      (:func:`plan_team_loop`). Volunteer teams, Skynet guards and station patrol cars likewise, as
      :data:`routing.patrol.local.LOCAL_KINDS` sets for each kind.

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
        Unit kinds to plan (default :data:`routing.patrol.units.DEFAULT_SHIFT_KINDS`; any of
        :data:`routing.patrol.units.PLANNED_UNIT_KINDS`).
    team_tools
        :func:`grid_team_tools` of ``G`` when already built (a process planning several pieces of
        one shift builds them once); built here otherwise.
    progress
        Called with the share of the units planned (0-1) as each vehicle's beat and each unit's
        loop is done: a bar that moves with the work.
    time_limit_s
        Search effort per team loop, in nominal seconds: turned into a count of rounds of shake and
        repair (:func:`routing.patrol.loops.search_budget`, 600 per second), never a wall-clock
        limit, so the same inputs and date give the same plan, byte for byte, on any machine under
        any load. The default 0.1 (60 rounds per loop; a loop holding every place of its area ends
        at once) plans the demo's 47 teams in about 2 s on one core.

    Returns
    -------
    list[RoutePlan]
        Brigade vehicles first (by beat), then the units around a post (by unit id; a volunteer team
        patrolling in two parts of the shift has two plans, in time order).

    Raises
    ------
    InputError, InfeasibleError, CRSError
        As the planners they call; also when ``units`` lacks ``unit_id``/``kind``.
    """
    _shift_seconds(shift_start, shift_end)  # a clear error for a shift that ends before it starts
    for col in ("unit_id", "kind"):
        if col not in units:
            raise InputError(f"units layer has no '{col}' column; see the units layer in docs/data-model.md",
                             code="layer.missing_columns", layer="units", columns=col)
    units = units.sort_values("unit_id").reset_index(drop=True)
    if PLACES_KEY not in G.graph:  # stops at a gate or beside a neighborhood are named by it
        mark_neighborhoods(G, neighborhoods)
    w_inc = None
    if incidents is not None and len(incidents):
        w_inc = _incident_weights(incidents, shift_start, shift_end, lookback_days=lookback_days, tod_boost=tod_boost)
    plans: list[RoutePlan] = []
    planned = units["kind"].isin([k for k in kinds if k == "brigade_vehicle" or k in LOCAL_KINDS])
    todo, done = max(1, int(planned.sum())), [0]

    def tick(n: int = 1) -> None:
        done[0] += n
        if progress is not None:
            progress(min(1.0, done[0] / todo))
    # -- brigade ----------------------------------------------------------------------------------
    if "brigade_vehicle" in kinds:
        args = _brigade_args(G, units, incidents=incidents, w_inc=w_inc, beats=beats, seed=seed)
        if args is not None:
            plans += plan_brigade_shift(G, **args, shift_start=shift_start, shift_end=shift_end, seed=seed,
                                        tables=graph_tables(G, "brigade"), done=tick)
    # -- units around a post: grid teams, volunteer teams, Skynet guards, station cars -----------
    local = [k for k in LOCAL_KINDS if k in kinds and (units["kind"] == k).any()]
    if local:
        if ("grid_team" in local and team_areas is None and neighborhoods is not None and len(neighborhoods)):
            team_areas = grid_team_areas(neighborhoods, teams_per_station=grid_teams_per_station(units), seed=seed)
        tools = team_tools if team_tools is not None else graph_tables(G, "teams")
        mine: list[RoutePlan] = []
        for kind in local:
            rows = np.flatnonzero((units["kind"] == kind).to_numpy())
            mine += plan_local_units(
                kind, units, rows, tools=tools, G=G, shift_start=shift_start, shift_end=shift_end,
                incidents=incidents, w_inc=w_inc, team_areas=team_areas, neighborhoods=neighborhoods,
                team_budget_min=team_budget_min, team_stop_min=team_stop_min, team_radius_m=team_radius_m,
                n_alternatives=n_alternatives, time_limit_s=time_limit_s, seed=seed, done=tick,
            )
        order = {u: i for i, u in enumerate(units["unit_id"].astype(str).tolist())}
        plans += sorted(mine, key=lambda p: order.get(str(p.unit_id), len(order)))
    return plans
