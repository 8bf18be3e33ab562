"""A shift's plan cut into independent pieces, to run on several processes (issue 14).

:func:`shift_pieces` cuts the work of :func:`routing.patrol.plan_shift` into pieces that are each a
call of ``plan_shift`` itself on part of the units: the brigade's vehicles (one piece: the beats are
matched to vehicles all at once) and the grid teams in groups of whole stations (a station's teams
share out its neighborhoods together), with the grid-team areas computed once, from all the units,
before the cut. :func:`join_pieces` puts the pieces' plans in ``plan_shift``'s order (vehicles by
beat, then teams by unit id). Planned in any order, on any processes, the joined plans equal
``plan_shift``'s on the whole, plan for plan (``tests/app/test_fanout.py``).

Pure: no processes here; the caller maps ``plan_shift`` over the pieces (``app.services.fanout``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from routing.patrol.results import RoutePlan
from routing.patrol.units import PLANNED_UNIT_KINDS
from routing.split.teams import grid_team_areas, grid_teams_per_station

__all__ = ["join_pieces", "shift_pieces"]


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
    units: Any,
    *,
    kinds: Sequence[str] = PLANNED_UNIT_KINDS,
    neighborhoods: Any = None,
    team_areas: Any = None,
    seed: int = 0,
    team_groups: int = 4,
) -> tuple[Any, list[dict[str, Any]]]:
    """The pieces of a shift's plan: ``(team_areas, pieces)``.

    Each piece is the keyword arguments of a ``plan_shift`` call that differ between pieces
    (``units`` and ``kinds``); the caller adds those all pieces share (the graph, shift times,
    incidents, beats, options, and the ``team_areas`` returned here, with no ``neighborhoods``).
    ``team_areas`` is computed as ``plan_shift`` does, from all the grid teams, when not given.
    The brigade is one piece; grid teams are cut into at most ``team_groups`` pieces of whole
    stations.
    """
    kinds = tuple(kinds)
    pieces: list[dict[str, Any]] = []
    if "brigade_vehicle" in kinds:
        cars = units[(units["kind"] == "brigade_vehicle").to_numpy()]
        if len(cars):
            pieces.append({"units": cars, "kinds": ("brigade_vehicle",)})
    if "grid_team" in kinds:
        teams = units[(units["kind"] == "grid_team").to_numpy()]
        if len(teams):
            if team_areas is None and neighborhoods is not None and len(neighborhoods):
                ordered = units.sort_values("unit_id").reset_index(drop=True)  # as plan_shift sees them
                team_areas = grid_team_areas(neighborhoods, teams_per_station=grid_teams_per_station(ordered),
                                             seed=seed)
            for rows in _team_groups(teams, team_groups):
                pieces.append({"units": teams.iloc[rows], "kinds": ("grid_team",)})
    return team_areas, pieces


def join_pieces(units: Any, results: Sequence[Sequence[RoutePlan]]) -> list[RoutePlan]:
    """The pieces' plans in ``plan_shift``'s order: vehicles (their piece's order: by beat), then
    grid teams by unit id as ``plan_shift`` sorts the units."""
    order: Mapping[str, int] = {str(u): i for i, u in enumerate(units.sort_values("unit_id")["unit_id"].tolist())}
    plans = [p for res in results for p in res]
    cars = [p for p in plans if p.unit_kind == "brigade_vehicle"]
    rest = [p for p in plans if p.unit_kind != "brigade_vehicle"]
    return cars + sorted(rest, key=lambda p: order.get(str(p.unit_id), len(order)))
