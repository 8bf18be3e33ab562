"""A shift's plan cut into independent pieces, to run on several processes (issue 14).

:func:`shift_pieces` cuts the work of :func:`routing.patrol.plan_shift` into pieces, each planned by
:func:`plan_piece`:

* one piece per beat of the brigade. What couples the beats is decided first, for all of them, in
  the caller's process (cheap next to the planning): vehicles matched to beats (one assignment),
  the beats (``routing.split.brigade_beats`` when the workspace has none: the slowest part of the
  brigade, not cut), their bases, the risk per arc and the hotspots, numbered across the brigade
  (:func:`routing.patrol.brigade.brigade_work`). A beat's vehicles share its postman tour (split
  among them), so a beat is the smallest piece, not a vehicle;
* the grid teams in groups of whole stations (a station's teams share out its neighborhoods
  together, one assignment), the grid-team areas computed once, from all the units, before the cut.

A process keeps what every piece of one graph needs (arc tables, the walking graph, a k-d tree)
for as long as it holds that graph, so a worker builds them once, not once per piece.
:func:`join_pieces` puts the pieces' plans in ``plan_shift``'s order (vehicles by beat, then teams
by unit id). Planned in any order, on any processes, the joined plans equal ``plan_shift``'s on the
whole, plan for plan (``tests/app/test_fanout.py``).

No processes here; the caller maps :func:`plan_piece` over the pieces (``app.services.fanout``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from routing.patrol.assemble import ready_table
from routing.patrol.brigade import BeatWork, brigade_work, plan_beat
from routing.patrol.local import LOCAL_KINDS
from routing.patrol.results import RoutePlan
from routing.patrol.shift import brigade_args, graph_tables, plan_shift
from routing.patrol.units import DEFAULT_SHIFT_KINDS
from routing.postman import node_xy
from routing.split.teams import grid_team_areas, grid_teams_per_station
from routing.warm import warm

__all__ = ["join_pieces", "largest_first", "plan_piece", "prepare", "shift_pieces"]

def prepare(G: nx.MultiDiGraph, kinds: Sequence[str] = DEFAULT_SHIFT_KINDS) -> None:
    """Build in this process what :func:`plan_piece` needs of ``G`` for ``kinds`` (the brigade's arc
    tables, the grid teams' tools, what plans make of them on first use) and load the compiled
    kernels, so processes forked from it afterwards hold them already (each made them again: ~1 s
    a process on the 10x district)."""
    warm()
    if "brigade_vehicle" in kinds:
        tab, tab_t = graph_tables(G, "brigade")
        ready_table(G, tab)
        tab.strong_parts()  # each beat's tour is checked against them
        node_xy(G, tab_t)
    if any(k in LOCAL_KINDS for k in kinds):
        W, tables, *_ = graph_tables(G, "teams")
        ready_table(W, tables["walk"])  # walked on the streets both ways
        ready_table(G, tables["road"])


def _team_groups(teams: pd.DataFrame, n_groups: int) -> list[list[int]]:
    """Row positions of ``teams`` in ``n_groups`` groups of whole stations, about equal in teams
    (largest station first into the lightest group; ties by station id, so always the same cut)."""
    station = teams["station_id"].astype(str).where(teams["station_id"].notna(), "") if "station_id" in teams \
        else pd.Series("", index=teams.index)
    by_station: dict[str, list[int]] = {}
    for pos, st in enumerate(station.tolist()):
        by_station.setdefault(st, []).append(pos)
    singles: list[tuple[str, list[int]]] = []
    for st, rows in sorted(by_station.items()):
        if st == "":  # teams without a station get no area: each plans on its own
            singles += [(f"\x00{r}", [r]) for r in rows]
        else:
            singles.append((st, rows))
    groups: list[list[int]] = [[] for _ in range(max(1, min(n_groups, len(singles))))]
    for _, rows in sorted(singles, key=lambda kv: (-len(kv[1]), kv[0])):
        lightest = min(range(len(groups)), key=lambda g: (len(groups[g]), g))
        groups[lightest] += rows
    return [sorted(g) for g in groups if g]


def shift_pieces(
    G: nx.MultiDiGraph,
    units: Any,
    *,
    shift_start: dt.datetime,
    shift_end: dt.datetime,
    kinds: Sequence[str] = DEFAULT_SHIFT_KINDS,
    incidents: Any = None,
    beats: Any = None,
    neighborhoods: Any = None,
    team_areas: Any = None,
    lookback_days: float = 365.0,
    seed: int = 0,
    team_groups: int = 4,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The pieces of a shift's plan: ``(shared, pieces)``, arguments as :func:`plan_shift`'s.

    Each piece is the keyword arguments of a :func:`plan_piece` call that differ between pieces:
    ``{"part": "beat", "work": BeatWork}`` per beat, then ``{"part": "teams", "units": ..., "kinds":
    ("grid_team",)}`` for at most ``team_groups`` groups of whole stations. ``shared`` holds what
    this cut adds to the values all pieces share (``risk_arr``, the brigade's risk per arc, and
    ``team_areas``, computed as ``plan_shift`` does from all the grid teams when not given); the
    caller adds the graph, the incidents, the shift's times and the options.
    """
    kinds = tuple(kinds)
    shared: dict[str, Any] = {"risk_arr": None, "team_areas": team_areas}
    pieces: list[dict[str, Any]] = []
    if "brigade_vehicle" in kinds:
        args = brigade_args(G, units, shift_start=shift_start, shift_end=shift_end, incidents=incidents, beats=beats,
                            lookback_days=lookback_days, seed=seed)
        if args is not None:
            work, shared["risk_arr"] = brigade_work(G, args["beats"], bases=args["bases"], risk=args["risk"],
                                                    units=args["units"], shift_start=shift_start,
                                                    shift_end=shift_end, tab=graph_tables(G, "brigade")[0])
            pieces += [{"part": "beat", "work": one} for one in work]
    for kind in (k for k in LOCAL_KINDS if k in kinds):
        teams = units[(units["kind"] == kind).to_numpy()]
        if not len(teams):
            continue
        if kind == "grid_team" and team_areas is None and neighborhoods is not None and len(neighborhoods):
            ordered = units.sort_values("unit_id").reset_index(drop=True)  # as plan_shift sees them
            shared["team_areas"] = grid_team_areas(
                neighborhoods, teams_per_station=grid_teams_per_station(ordered), seed=seed)
        if kind != "grid_team":
            shared["neighborhoods"] = neighborhoods
        for rows in _team_groups(teams, team_groups):
            pieces.append({"part": "teams", "units": teams.iloc[rows], "kinds": (kind,)})
    return shared, pieces


def plan_piece(
    G: nx.MultiDiGraph,
    *,
    part: str,
    shift_start: dt.datetime,
    shift_end: dt.datetime,
    work: BeatWork | None = None,
    risk_arr: np.ndarray | None = None,
    units: Any = None,
    kinds: Sequence[str] = ("grid_team",),
    incidents: Any = None,
    team_areas: Any = None,
    neighborhoods: Any = None,
    seed: int = 0,
    **options: Any,
) -> list[RoutePlan]:
    """The plans of one piece of :func:`shift_pieces`: a beat's vehicles
    (:func:`routing.patrol.brigade.plan_beat`) or a group of grid teams (:func:`plan_shift` on them,
    ``options`` its team options: ``team_budget_min``, ``time_limit_s``, ``lookback_days``)."""
    if part == "beat":
        if work is None:
            raise ValueError("a beat's piece needs its work")
        tab, tab_t = graph_tables(G, "brigade")
        return plan_beat(G, work, shift_start=shift_start, shift_end=shift_end, risk_arr=risk_arr, seed=seed,
                         tab=tab, tab_t=tab_t)
    return plan_shift(G, units, shift_start=shift_start, shift_end=shift_end, incidents=incidents, kinds=kinds,
                      team_areas=team_areas, neighborhoods=neighborhoods, seed=seed, team_tools=graph_tables(G, "teams"),
                      **options)


def largest_first(pieces: Sequence[Mapping[str, Any]]) -> list[int]:
    """The positions of :func:`shift_pieces`' pieces in the order to hand them to processes: the
    longest first (groups of grid teams by their number of teams, then beats by their arcs), so the
    short ones even out the processes' ends instead of a long one planned last on one of them."""
    def size(i: int) -> tuple[int, int, int]:
        piece = pieces[i]
        if piece["part"] == "teams":
            return (0, -len(piece["units"]), i)
        work = piece.get("work")
        return (1, -(len(work.arcs) if work is not None else 0), i)
    return sorted(range(len(pieces)), key=size)


def join_pieces(units: Any, results: Sequence[Sequence[RoutePlan]]) -> list[RoutePlan]:
    """The pieces' plans in ``plan_shift``'s order: vehicles (their piece's order: by beat), then
    grid teams by unit id as ``plan_shift`` sorts the units."""
    order: Mapping[str, int] = {str(u): i for i, u in enumerate(units.sort_values("unit_id")["unit_id"].tolist())}
    plans = [p for res in results for p in res]
    cars = [p for p in plans if p.unit_kind == "brigade_vehicle"]
    rest = [p for p in plans if p.unit_kind != "brigade_vehicle"]
    return cars + sorted(rest, key=lambda p: order.get(str(p.unit_id), len(order)))
