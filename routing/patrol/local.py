"""Units that patrol around a post: loops of the "1+2+N" grid teams, the volunteer teams, the Skynet
guards and the stations' patrol cars.

Every such unit walks, rides or drives an orienteering loop from its post (:func:`plan_team_loop`):
prizes are the weighted incidents near it, the loop the most prize its minutes allow. What differs
between the kinds is one row of :data:`LOCAL_KINDS`:

* ``grid_team``: the team's area of its station's neighborhoods (``routing.split.grid_team_areas``,
  matched to the teams by distance), its neighborhood incidents; ``team_budget_min`` minutes.
* ``volunteer_team`` (群防群治): on foot in the neighborhood around its post, in the volunteers'
  own hours (:data:`VOLUNTEER_HOURS`: evenings, and weekend mornings): the part of the shift inside
  them, none when the shift is outside them.
* ``skynet_guard`` (天网巡防员): a short loop on foot from the guard's fixed post over the street
  incidents around it; the rest of the shift at the post.
* ``station_team`` (派出所巡逻组): a patrol car on the station's neighborhoods' local streets (the
  brigade has the main roads), the whole shift, stops of 10 minutes (Koper 1995).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.optimize import linear_sum_assignment

from routing.patrol.hotspots import node_prizes
from routing.patrol.loops import EBIKE_KPH, WALK_KPH, plan_team_loop
from routing.patrol.results import RoutePlan

__all__ = ["CAR_PATROL_KPH", "LOCAL_KINDS", "VOLUNTEER_HOURS", "LocalKind", "local_windows", "plan_local_units"]

#: About how many of its area's nodes a loop may walk past (no stop) to fill its minutes.
PASSING = 12
#: A station's patrol car on local streets, km/h.
CAR_PATROL_KPH = 25.0
#: When volunteer teams patrol, per weekday (Monday 0): evenings after work, and weekend mornings.
VOLUNTEER_HOURS: Mapping[int, tuple[tuple[str, str], ...]] = {
    **{d: (("19:00", "21:30"),) for d in range(5)},
    5: (("09:00", "11:30"), ("19:00", "21:30")),
    6: (("09:00", "11:30"), ("19:00", "21:30")),
}


@dataclass(frozen=True)
class LocalKind:
    """How one kind of unit patrols around its post.

    ``budget_min``: minutes of the loop (``None``: the caller's ``team_budget_min``; ``0``: the whole
    shift); ``stop_min``: minutes at each stop; ``radius_m``: how far around the post its places lie
    when it has no area; ``places``: which incidents are its prizes (``neighborhood``, ``street`` or
    ``all``); ``area``: where its places lie (``team``: the grid team's area, ``neighborhood``: the
    neighborhood around the post, ``station``: the station's neighborhoods, ``post``: the circle);
    ``hours``: only within :data:`VOLUNTEER_HOURS` (else the whole shift)."""

    budget_min: float | None
    stop_min: float
    radius_m: float
    places: str
    area: str
    hours: bool = False


LOCAL_KINDS: Mapping[str, LocalKind] = {
    "grid_team": LocalKind(None, 2.0, 1200.0, "neighborhood", "team"),
    "volunteer_team": LocalKind(90.0, 3.0, 500.0, "neighborhood", "neighborhood", hours=True),
    "skynet_guard": LocalKind(45.0, 3.0, 400.0, "street", "post"),
    "station_team": LocalKind(0.0, 10.0, 2500.0, "all", "station"),
}


def local_windows(kind: str, shift_start: dt.datetime, shift_end: dt.datetime) -> list[tuple[dt.datetime, dt.datetime]]:
    """The parts of the shift a unit of ``kind`` patrols in: the whole shift, or for volunteers the
    parts inside :data:`VOLUNTEER_HOURS` (on every day the shift touches), in time order."""
    if not LOCAL_KINDS[kind].hours:
        return [(shift_start, shift_end)]
    tz = shift_start.tzinfo
    out = []
    day = shift_start.date() - dt.timedelta(days=1)
    while day <= shift_end.date():
        for a, b in VOLUNTEER_HOURS.get(day.weekday(), ()):
            lo = dt.datetime.combine(day, dt.time.fromisoformat(a), tzinfo=tz)
            hi = dt.datetime.combine(day, dt.time.fromisoformat(b), tzinfo=tz)
            s, e = max(lo, shift_start), min(hi, shift_end)
            if (e - s).total_seconds() >= 15 * 60:  # a quarter of an hour at least
                out.append((s, e))
        day += dt.timedelta(days=1)
    return out


def _kind_speed(kind: str, mode: str) -> tuple[float, bool]:
    """km/h and whether on the roads (one-way streets obeyed) rather than on foot."""
    if kind == "station_team" or mode == "car":
        return CAR_PATROL_KPH, True
    if mode == "ebike":
        return EBIKE_KPH, True
    return WALK_KPH, False


def _team_areas_of(units: pd.DataFrame, rows: np.ndarray, team_areas: Any) -> dict[int, Any]:
    """Grid team row -> its area: each station's areas matched to its teams by distance."""
    out: dict[int, Any] = {}
    if team_areas is None or not len(team_areas) or "station_id" not in units:
        return out
    ux = units.geometry.x.to_numpy(dtype=float)
    uy = units.geometry.y.to_numpy(dtype=float)
    for st_id, grp in units.iloc[rows].groupby("station_id"):
        areas = team_areas[team_areas["station_id"] == st_id]
        if not len(areas):
            continue
        pts = gpd.GeoSeries(gpd.points_from_xy(ux[grp.index], uy[grp.index]), crs=team_areas.crs)
        dist = np.array([[p.distance(a) for a in areas.geometry] for p in pts])
        r, c = linear_sum_assignment(dist)
        for rr, cc in zip(r, c):
            out[int(grp.index[rr])] = areas.geometry.iloc[cc]
    return out


def _areas(spec: LocalKind, units: pd.DataFrame, rows: np.ndarray, *, team_areas: Any,
           neighborhoods: Any) -> dict[int, Any]:
    """Unit row -> the polygon its places lie in (rows without one: the circle around the post)."""
    if spec.area == "team":
        return _team_areas_of(units, rows, team_areas)
    if neighborhoods is None or not len(neighborhoods):
        return {}
    geoms = neighborhoods.geometry.to_numpy()
    if spec.area == "neighborhood":  # the neighborhood the post is in, or the nearest within 200 m
        tree = shapely.STRtree(geoms)
        pts = shapely.points(units.geometry.x.to_numpy()[rows], units.geometry.y.to_numpy()[rows])
        (i_pt, i_nb), dist = tree.query_nearest(pts, max_distance=200.0, return_distance=True, all_matches=False)
        return {int(rows[a]): geoms[b] for a, b in zip(i_pt.tolist(), i_nb.tolist())}
    if spec.area == "station" and "station_id" in neighborhoods and "station_id" in units:
        by_station = {st: shapely.union_all(geoms[(neighborhoods["station_id"] == st).to_numpy()])
                      for st in pd.unique(units["station_id"].iloc[rows].dropna())}
        return {int(r): by_station[units["station_id"].iloc[r]] for r in rows
                if units["station_id"].iloc[r] in by_station}
    return {}


def _inside(geom: Any, xy: np.ndarray) -> np.ndarray:
    """Which of the points ``xy`` (``(n, 2)``) lie inside ``geom``: ``shapely.contains_xy``, asked
    only of the points within its bounds."""
    x0, y0, x1, y1 = geom.bounds
    box = np.flatnonzero((xy[:, 0] >= x0) & (xy[:, 0] <= x1) & (xy[:, 1] >= y0) & (xy[:, 1] <= y1))
    out = np.zeros(len(xy), dtype=bool)
    out[box[shapely.contains_xy(geom, xy[box, 0], xy[box, 1])]] = True
    return out


def plan_local_units(
    kind: str,
    units: pd.DataFrame,
    rows: np.ndarray,
    *,
    tools: tuple[Any, dict[str, Any], list[Hashable], np.ndarray, Any],
    G: Any,
    shift_start: dt.datetime,
    shift_end: dt.datetime,
    incidents: Any,
    w_inc: np.ndarray | None,
    team_areas: Any = None,
    neighborhoods: Any = None,
    team_budget_min: float = 120.0,
    team_stop_min: float | None = None,
    team_radius_m: float | None = None,
    n_alternatives: int = 3,
    time_limit_s: float = 0.1,
    seed: int = 0,
    done: Callable[[], None] | None = None,
) -> list[RoutePlan]:
    """The loops of the units at ``rows`` of ``units`` (sorted by unit id), all of ``kind``, in
    their order (a volunteer team patrolling in two parts of the shift gets two plans).

    ``tools``: :func:`routing.patrol.shift.grid_team_tools` of ``G``; ``w_inc``: the weight of each
    incident row for this shift (``None``: no incidents, the loop spreads over its area's nodes);
    ``team_stop_min``/``team_radius_m`` override the kind's for grid teams (``plan_shift``'s
    options); ``done()`` is called as each unit is planned (progress)."""
    spec = LOCAL_KINDS[kind]
    windows = local_windows(kind, shift_start, shift_end)
    if not len(rows) or not windows:
        return []
    stop_min = team_stop_min if (kind == "grid_team" and team_stop_min is not None) else spec.stop_min
    radius = team_radius_m if (kind == "grid_team" and team_radius_m is not None) else spec.radius_m
    W, tables, nodes, nxy, tree = tools
    ux = units.geometry.x.to_numpy(dtype=float)
    uy = units.geometry.y.to_numpy(dtype=float)
    area_of = _areas(spec, units, rows, team_areas=team_areas, neighborhoods=neighborhoods)
    inc_xy = inc_w = None
    own: np.ndarray | None = None  # per incident kept: of the kind's places (else any place)
    if w_inc is not None and incidents is not None:
        mask = w_inc > 0
        inc_xy = np.column_stack([incidents.geometry.x.to_numpy()[mask], incidents.geometry.y.to_numpy()[mask]])
        inc_w = w_inc[mask]
        own = np.ones(len(inc_xy), dtype=bool)
        if spec.places != "all" and "place_kind" in incidents:
            own = (incidents["place_kind"] == spec.places).to_numpy()[mask]
    local_nodes = None
    if kind == "station_team":  # the stations' cars keep to local streets: the brigade has the main roads
        local_nodes = {n for u, v, d in G.edges(data=True) if d.get("road_class") != "main" for n in (u, v)}
    plans: list[RoutePlan] = []
    for i in rows.tolist():
        rec = units.iloc[i]
        mode = str(rec.get("mode") or "foot")
        speed, on_roads = _kind_speed(kind, mode)
        graph, table = (G, tables["road"]) if on_roads else (W, tables["walk"])
        start = nodes[int(tree.query([ux[i], uy[i]])[1])]
        area = area_of.get(i)
        if area is not None:
            zone = shapely.buffer(area, 60.0)
            cand = [nodes[j] for j in np.flatnonzero(_inside(zone, nxy))]
        else:
            cand = [nodes[j] for j in tree.query_ball_point([ux[i], uy[i]], radius)]
        if local_nodes is not None:
            cand = [n for n in cand if n in local_nodes]
        prizes: dict[Hashable, float] = {}
        if inc_xy is not None and len(inc_xy):
            if area is not None:
                near = _inside(shapely.buffer(area, 30.0), inc_xy)
            else:
                near = np.hypot(inc_xy[:, 0] - ux[i], inc_xy[:, 1] - uy[i]) <= radius
            for sel in (near & own, near):  # its kind of places; failing that, any incident near
                prizes = node_prizes(graph, inc_xy[sel], weights=inc_w[sel], nodes=cand or None, max_snap_m=150.0)
                if prizes:
                    break
        if not prizes:  # nothing happened near: stops spread over the area's nodes
            prizes = {n: 1.0 for n in cand[:: max(1, len(cand) // 40)]}
        prizes = dict(sorted(prizes.items(), key=lambda kv: (-kv[1], str(kv[0])))[:60])
        # streets to walk past once the incidents' places are in the loop: the area's nodes, spread,
        # each worth a hundredth of the least such place, so the loop fills its minutes (no stop there)
        low = 0.01 * min(prizes.values()) if prizes else 1.0
        passing = [n for n in cand[:: max(1, len(cand) // PASSING)] if n not in prizes]
        prizes.update(dict.fromkeys(passing, low))
        for w_start, w_end in windows:
            minutes = (w_end - w_start).total_seconds() / 60
            budget = spec.budget_min if spec.budget_min is not None else team_budget_min
            budget = minutes if budget == 0 else min(budget, minutes)
            res = plan_team_loop(
                graph, start_node=start, budget_min=budget, prizes=prizes, speed_kph=speed, stop_min=stop_min,
                n_alternatives=n_alternatives, seed=seed, time_limit_s=time_limit_s, unit=rec,
                shift_start=w_start, shift_end=w_end, arcs=table, passing=passing,
            )
            plans.append(res.plan)
        if done is not None:
            done()
    return plans
