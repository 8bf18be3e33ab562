"""Every unit of the method plans (issue 15): volunteer teams in their own hours around their
neighborhood, Skynet guards on short loops from their posts, station patrol cars on local streets,
and the grid teams' loops filling their minutes; on the real Mission extract (San Francisco, its
2019 robberies) and on the demo district."""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import numpy as np
import pytest
import shapely

from routing.graph import graph_from_workspace
from routing.patrol import plan_shift, shift_window
from routing.patrol.local import VOLUNTEER_HOURS, local_windows
from routing.patrol.loops import FILL_SHARE
from tests.routing._mission import mission_with_robberies



@pytest.fixture(scope="module")
def mission(tmp_path_factory: pytest.TempPathFactory):
    """The Mission extract, its robberies (on main roads: street incidents; else neighborhood ones)
    and one unit of each kind around a post: in the middle of the extract, the Skynet guard's on the
    main road where street robberies were most."""
    ws, inc, on_main = mission_with_robberies(tmp_path_factory.mktemp("mission_units"))
    x0, y0, x1, y1 = ws.read("road_edges").total_bounds
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    # the guard's post on the main road where most street robberies happened within 400 m
    sxy = np.column_stack([inc.geometry.x[on_main], inc.geometry.y[on_main]])
    gx, gy = sxy[int((np.hypot(*(sxy[:, None, :] - sxy[None, :, :]).transpose(2, 0, 1)) <= 400).sum(axis=1).argmax())]
    kinds = [("grid_team", "foot"), ("volunteer_team", "foot"), ("skynet_guard", "foot"), ("station_team", "car")]
    units = gpd.GeoDataFrame({
        "unit_id": [f"U{i + 1}" for i in range(len(kinds))], "kind": [k for k, _ in kinds],
        "name": [f"Mission {k}" for k, _ in kinds], "station_id": ["S01"] * len(kinds),
        "officers": [1, 0, 0, 2], "auxiliaries": [2, 0, 1, 1], "volunteers": [4, 9, 0, 0], "mode": [m for _, m in kinds],
    }, geometry=shapely.points([(cx, cy), (cx, cy), (gx, gy), (cx, cy)]), crs=ws.crs)
    ws = ws.write({"incidents": inc, "units": units})
    return ws, graph_from_workspace(ws)


def _plan(ws, G, shift: str, day: dt.date, kinds):
    start, end = shift_window(shift, date=day, tz=ws.timezone)
    return plan_shift(G, ws.read("units"), shift_start=start, shift_end=end, incidents=ws.read("incidents"),
                      kinds=kinds, seed=3), (start, end)


def test_volunteers_patrol_in_their_own_hours_only():
    tz = dt.timezone(dt.timedelta(hours=8))
    wed, sun = dt.date(2026, 11, 4), dt.date(2026, 11, 8)
    at = lambda d, h, m=0: dt.datetime.combine(d, dt.time(h, m), tzinfo=tz)  # noqa: E731
    assert local_windows("volunteer_team", at(wed, 20), at(wed, 23, 59)) == [(at(wed, 20), at(wed, 21, 30))]
    assert local_windows("volunteer_team", at(wed, 8), at(wed, 16)) == []  # a weekday's day shift: at work
    assert local_windows("volunteer_team", at(sun, 8), at(sun, 20)) == [(at(sun, 9), at(sun, 11, 30)),
                                                                        (at(sun, 19), at(sun, 20))]
    assert local_windows("skynet_guard", at(wed, 8), at(wed, 16)) == [(at(wed, 8), at(wed, 16))]
    assert set(VOLUNTEER_HOURS) == set(range(7))


def test_every_kind_plans_on_the_real_mission_extract(mission):
    ws, G = mission
    plans, (start, end) = _plan(ws, G, "19:00-23:00", dt.date(2019, 11, 6),
                                ("grid_team", "volunteer_team", "skynet_guard", "station_team"))
    by = {p.unit_kind: p for p in plans}
    assert set(by) == {"grid_team", "volunteer_team", "skynet_guard", "station_team"}
    for p in plans:  # every loop starts and ends at its post, inside its own hours
        assert p.arcs[0][0] == p.arcs[-1][1] == p.base
        assert start <= p.shift_start and p.at(p.duration_min * 60) <= end + dt.timedelta(seconds=1)
        assert all(st.label and "巡逻点" not in st.label for st in p.stops)
    vol = by["volunteer_team"]
    assert vol.shift_start.strftime("%H:%M") == "19:00" and vol.duration_min <= 90 + 1e-6
    guard = by["skynet_guard"]
    assert 0 < guard.duration_min <= 45 + 1e-6 and guard.stops
    post = np.array(guard.base_xy)
    assert max(np.hypot(st.x - post[0], st.y - post[1]) for st in guard.stops) <= 400 + 1
    car = by["station_team"]  # the whole shift, on local streets: no stop where only main roads meet
    assert car.duration_min > 0.9 * 240 and car.mode == "car" and len(car.stops) >= 5
    for st in car.stops:
        classes = {d["road_class"] for _, _, d in [*G.in_edges(st.node, data=True), *G.out_edges(st.node, data=True)]}
        assert "local" in classes
    team = by["grid_team"]  # its minutes filled, or its area walked out and said so
    assert team.extra["fill"] >= FILL_SHARE or team.extra["walked_out"]


def test_a_day_shift_on_a_weekday_has_no_volunteers(mission):
    ws, G = mission
    plans, _ = _plan(ws, G, "08:00-16:00", dt.date(2019, 11, 6), ("volunteer_team", "skynet_guard"))
    assert [p.unit_kind for p in plans] == ["skynet_guard"]


def test_the_demo_plans_every_kind_and_grid_teams_fill_their_minutes(demo_workspace_file):
    from app.storage.workspace import Workspace

    ws = Workspace(demo_workspace_file)
    G = graph_from_workspace(ws)
    start, end = shift_window("20:00-24:00", date=dt.date(2026, 11, 1), tz=ws.timezone)  # a Sunday
    units = ws.read("units")
    units = units[units["station_id"].isin(["S01", "S02"])]
    plans = plan_shift(G, units, shift_start=start, shift_end=end, incidents=ws.read("incidents"),
                       neighborhoods=ws.read("neighborhoods"),
                       kinds=("grid_team", "volunteer_team", "skynet_guard", "station_team"), seed=1)
    expected = set(units["kind"]) - {"brigade_vehicle"}
    assert {p.unit_kind for p in plans} == expected and {"grid_team", "volunteer_team", "station_team"} <= expected
    teams = [p for p in plans if p.unit_kind == "grid_team"]
    assert teams and all(p.extra["fill"] >= FILL_SHARE or p.extra["walked_out"] for p in teams)
    assert np.median([p.extra["fill"] for p in teams]) >= FILL_SHARE
    for p in teams:  # a lap again after a walked-out area: never the same stop twice in a row
        nodes = [st.node for st in p.stops]
        assert all(a != b for a, b in zip(nodes, nodes[1:]))
        assert len({st.label for st in p.stops}) == len(p.stops)
    vols = [p for p in plans if p.unit_kind == "volunteer_team"]
    assert vols and all(p.shift_start.strftime("%H:%M") == "20:00" and p.duration_min <= 90 + 1e-6 for p in vols)
