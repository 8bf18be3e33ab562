"""Patrol plans for one shift: brigade vehicles on their beats and "1+2+N" neighborhood loops.

* :func:`plan_brigade_shift` -- the special patrol brigade (特巡警大队). Per beat, first the directed
  postman tour over every main-road arc of the beat (:mod:`routing.postman`), split min-max among the
  beat's vehicles when it has several; then the rest of the shift by risk: stops of 10-15 minutes at
  the beat's top hotspots, each revisited about every 2 hours (Koper 1995: stops of 10-16 minutes,
  revisit about every 2 hours), and extra passes over the hottest segments in between. Every vehicle
  is back at its base by the end of the shift.
* :func:`plan_team_loop` -- a "1+2+N" grid team (1 officer + 2 auxiliary officers + N volunteers) on
  foot or e-bike: an orienteering loop from its post collecting the most prize (risk at places) within
  a time budget, found by iterated local search (:mod:`~routing.patrol.orienteering`). Several
  loops of near-equal value are planned and one is picked per
  day from a hash of the date and the unit id, so the team is not predictable but the plan is
  reproducible.

Everything is pure: inputs are never modified. Graph coordinates are in the graph's projected CRS
(metres); times inside a plan are seconds from the shift start (``*_s``) and tz-aware datetimes at
the edges; lengths ``*_m``, durations ``*_min``, speeds ``*_kph``.

Modules: :mod:`~routing.patrol.window` (shift windows), :mod:`~routing.patrol.results` (what the
planners return), :mod:`~routing.patrol.units` (unit kinds and records),
:mod:`~routing.patrol.assemble` (a plan from arcs and stops), :mod:`~routing.patrol.hotspots`,
:mod:`~routing.patrol.brigade` (vehicles on their beats), :mod:`~routing.patrol.loops` (grid-team
orienteering loops) and :mod:`~routing.patrol.shift` (the whole shift from workspace layers).
"""

from __future__ import annotations

from routing.patrol.brigade import DEFAULT_REVISIT_MIN, DEFAULT_STOP_MIN, plan_brigade_shift
from routing.patrol.hotspots import hotspots_from_risk, node_prizes
from routing.patrol.loops import (
    EBIKE_KPH,
    WALK_KPH,
    choose_alternative,
    plan_team_loop,
    team_loops,
    walk_graph,
)
from routing.patrol.results import Dosage, Loop, RoutePlan, Stop, TeamLoops
from routing.patrol.shift import PLAN_INCIDENT_COLUMNS, incident_window, plan_shift
from routing.patrol.units import PLANNED_UNIT_KINDS, UNIT_KIND_ZH
from routing.patrol.window import shift_window

__all__ = [
    "PLAN_INCIDENT_COLUMNS",
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
    "incident_window",
    "team_loops",
    "choose_alternative",
    "walk_graph",
    "node_prizes",
    "hotspots_from_risk",
    "UNIT_KIND_ZH",
    "PLANNED_UNIT_KINDS",
]
