"""What the planners return: stops, hotspot dosage, a unit's route plan, orienteering loops."""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Stop", "Dosage", "RoutePlan", "Loop", "TeamLoops"]


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
    #: The hotspot's place (its node, working CRS): where a track's minutes at it are measured.
    x: float = float("nan")
    y: float = float("nan")


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
    arc_length_m, arc_bearings
        Each arc's metres and its direction where it starts and ends (for the legs of a sheet).
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
    #: Metres of each arc, and its direction (radians, counter-clockwise from east) where it starts
    #: and where it ends: the legs and turns of the route (:func:`routing.export.route_legs`).
    arc_length_m: tuple[float, ...] = ()
    arc_bearings: tuple[tuple[float, float], ...] = ()

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
