"""Shift plans for brigade vehicles and "1+2+N" team loops: fit the shift, cover the beat, not predictable."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo.errors import InputError
from routing.graph import graph_from_layers
from routing.patrol import (
    choose_alternative,
    hotspots_from_risk,
    node_prizes,
    plan_brigade_shift,
    plan_shift,
    plan_team_loop,
    shift_window,
    walk_graph,
)
from routing.postman import postman_tour

CRS = "EPSG:4547"
ROW_NAMES = ["人民北路", "北湖路", "竹山路", "青年路", "白竹路", "抱石路", "仙来大道", "劳动路", "赣西大道", "城北大道"]


def named_lattice(n: int = 6, spacing: float = 200.0, *, main_every: int = 2, oneway: frozenset[int] = frozenset(),
                  seed: int = 0):
    """n x n lattice near Xinyu (EPSG:4547): every ``main_every``-th row and column is a primary road
    named after the district's streets, the rest residential; segments in ``oneway`` are one-way."""
    ids = np.arange(n * n)
    xs = 590_000 + (ids % n) * spacing
    ys = 3_078_000 + (ids // n) * spacing
    nodes = gpd.GeoDataFrame({"node_id": ids, "x": xs, "y": ys}, geometry=shapely.points(xs, ys), crs=CRS)
    rows = []
    seg = 0
    for i in ids:
        r, c = divmod(int(i), n)
        for j, horizontal in ((i + 1, True), (i + n, False)):
            if (horizontal and c == n - 1) or (not horizontal and r == n - 1):
                continue
            line = r if horizontal else c
            main = line % main_every == 0
            hw = "primary" if main else "residential"
            name = ROW_NAMES[line % len(ROW_NAMES)] if horizontal else (f"{line + 1}号路" if main else None)
            one = seg in oneway and not main
            pairs = [(int(i), int(j))] if one else [(int(i), int(j)), (int(j), int(i))]
            for u, v in pairs:
                rows.append({"u": u, "v": v, "key": 0, "highway": hw, "oneway": one, "name": name,
                             "geometry": shapely.LineString([(xs[u], ys[u]), (xs[v], ys[v])])})
            seg += 1
    edges = gpd.GeoDataFrame(rows, geometry="geometry", crs=CRS)
    edges["edge_id"] = np.arange(len(edges))
    edges["length_m"] = edges.geometry.length
    return graph_from_layers(nodes, edges)


def halves(G: nx.MultiDiGraph) -> dict[int, int]:
    """Two beats: main-road arcs west / east of the middle (by the arc's midpoint)."""
    xs = [d["x"] for _, d in G.nodes(data=True)]
    mid = (min(xs) + max(xs)) / 2
    out = {}
    for u, v, d in G.edges(data=True):
        if d["road_class"] == "main":
            out[d["edge_id"]] = int((G.nodes[u]["x"] + G.nodes[v]["x"]) / 2 > mid)
    return out


SHIFT = shift_window("20:00-24:00", date=dt.date(2026, 11, 1))


def check_plan(G: nx.MultiDiGraph, p, *, shift_min: float) -> None:
    """Closed walk from the base over arcs of G, times consistent, inside the shift."""
    if p.arcs:
        assert p.arcs[0][0] == p.base and p.arcs[-1][1] == p.base
        for a, b in zip(p.arcs, p.arcs[1:]):
            assert a[1] == b[0]
        for a in p.arcs:
            assert G.has_edge(*a)
    assert list(p.edge_ids) == [G.edges[a]["edge_id"] for a in p.arcs]
    assert p.length_m == pytest.approx(sum(G.edges[a]["length_m"] for a in p.arcs))
    assert p.duration_min <= shift_min + 1e-6
    t = 0.0
    stops = iter(p.stops)
    nxt = next(stops, None)
    for a, t0, t1 in zip(p.arcs, p.arc_start_s, p.arc_end_s):
        while nxt is not None and nxt.arrive_s <= t0 + 1e-6 and nxt.arrive_s >= t - 1e-6:
            assert nxt.node == a[0]  # a stop is made where the vehicle is
            t = nxt.depart_s
            nxt = next(stops, None)
        assert t0 == pytest.approx(t) and t1 >= t0
        t = t1
    assert p.coords.shape[1] == 2 and len(p.coords) == len(p.coord_s)
    assert np.all(np.diff(p.coord_s) >= -1e-6)


# --------------------------------------------------------------------------------------------
# shift window and the daily choice
# --------------------------------------------------------------------------------------------
def test_shift_window():
    s, e = SHIFT
    assert s.isoformat() == "2026-11-01T20:00:00+08:00" and e.isoformat() == "2026-11-02T00:00:00+08:00"
    s, e = shift_window("22:00-06:00", date=dt.date(2026, 11, 1))
    assert (e - s) == dt.timedelta(hours=8) and e.day == 2
    s, e = shift_window("08:30~12:00", date=dt.date(2026, 11, 1), tz="America/Los_Angeles")
    assert s.utcoffset() == dt.timedelta(hours=-8) and (e - s) == dt.timedelta(hours=3, minutes=30)
    for bad in ("20-24", "25:00-26:00", "20:61-21:00", ""):
        with pytest.raises(InputError, match="shift"):
            shift_window(bad, date=dt.date(2026, 11, 1))


def test_daily_choice_is_deterministic_and_spread():
    days = [dt.date(2026, 11, 1) + dt.timedelta(days=i) for i in range(60)]
    picks = [choose_alternative(3, date=d, unit_id="U0034") for d in days]
    assert picks == [choose_alternative(3, date=d, unit_id="U0034") for d in days]
    assert set(Counter(picks)) == {0, 1, 2} and min(Counter(picks).values()) >= 10
    assert picks != [choose_alternative(3, date=d, unit_id="U0035") for d in days]
    assert choose_alternative(1, date=days[0], unit_id="x") == 0 and choose_alternative(3, date=None, unit_id="x") == 0


# --------------------------------------------------------------------------------------------
# brigade shift
# --------------------------------------------------------------------------------------------
def test_brigade_shift_covers_beats_and_fits():
    G = named_lattice(6, oneway=frozenset({3, 11, 20}))
    before = nx.to_dict_of_dicts(G)
    beats = halves(G)
    risk = {e: float((e * 7) % 5) for e in beats}  # some arcs hot, some cold
    plans = plan_brigade_shift(G, beats, shift_start=SHIFT[0], shift_end=SHIFT[1], risk=risk, seed=1)
    assert nx.to_dict_of_dicts(G) == before  # input untouched
    assert [p.beat for p in plans] == [0, 1]
    for p in plans:
        check_plan(G, p, shift_min=240)
        own = {e for e, b in beats.items() if b == p.beat}
        assert own <= set(p.edge_ids)
        # the coverage part is the exact postman tour from the base
        tour = postman_tour(G, sorted(own), depot=p.base)
        assert p.coverage_length_m == pytest.approx(tour.length_m)
        assert p.coverage_gap == 0 and p.extra["coverage_optimal"]
        assert p.duration_min > 200  # the rest of the shift is used
        # stops of 10-15 minutes at hotspots, revisits about every 2 hours
        assert p.stops
        assert all(10 <= s.duration_min <= 15 for s in p.stops)
        by_spot: dict[str, list] = {}
        for s in p.stops:
            by_spot.setdefault(s.hotspot, []).append(s)
        for visits in by_spot.values():
            for a, b in zip(visits, visits[1:]):
                assert b.arrive_s - a.depart_s >= 0.85 * 120 * 60 - 1e-6
        assert max(len(v) for v in by_spot.values()) >= 2  # 4 hours: the top hotspot twice
        assert sum(d.share_planned for d in p.dosage) == pytest.approx(1.0)
        assert sum(d.share_risk for d in p.dosage) == pytest.approx(1.0)
        assert p.stops[0].road  # stops carry a street name
        assert p.at(p.stops[0].arrive_s).utcoffset() == dt.timedelta(hours=8)


def test_brigade_shift_hotspots_given_and_uniform_risk():
    G = named_lattice(6)
    beats = halves(G)
    hot = [(0, 5.0, "龙凤花园门口"), ((590_900.0, 3_078_410.0), 3.0)]  # a node, and a point snapped to a node
    plans = plan_brigade_shift(G, beats, shift_start=SHIFT[0], shift_end=SHIFT[1], hotspots=hot, stop_min=12,
                               bases={0: 0, 1: 5})
    labels = {s.label for p in plans for s in p.stops}
    assert "龙凤花园门口" in labels and "热点2" in labels
    assert all(s.duration_min == 12 for p in plans for s in p.stops)
    assert plans[0].base == 0 and plans[1].base == 5
    for p in plans:
        check_plan(G, p, shift_min=240)


def test_several_vehicles_share_a_beat():
    G = named_lattice(7, main_every=2)
    beats = {e: 0 for e in halves(G)}
    units = {0: [{"unit_id": "U1", "name": "巡逻车01", "officers": 2, "auxiliaries": 1},
                 {"unit_id": "U2", "name": "巡逻车02"}, "U3"]}
    short = shift_window("20:00-21:00", date=dt.date(2026, 11, 1))
    plans = plan_brigade_shift(G, beats, shift_start=short[0], shift_end=short[1], units=units,
                               risk={e: 1.0 for e in beats})
    assert [p.unit_id for p in plans] == ["U1", "U2", "U3"]
    assert plans[0].name == "巡逻车01" and plans[0].lineup == "2+1+0"
    covered = set()
    for p in plans:
        check_plan(G, p, shift_min=60)
        covered |= set(p.edge_ids)
    assert set(beats) <= covered
    whole = postman_tour(G, sorted(beats), depot=plans[0].base)
    longest = max(p.coverage_length_m for p in plans)
    assert longest < 0.6 * whole.length_m  # three vehicles: each well under the whole tour
    assert longest >= plans[0].coverage_lower_bound_m - 1e-6


def test_brigade_shift_errors():
    G = named_lattice(6)
    beats = halves(G)
    tiny = shift_window("20:00-20:05", date=dt.date(2026, 11, 1))
    # a shift too short to cover a beat: what fits and back in time, the rest named (not an error)
    short = plan_brigade_shift(G, beats, shift_start=tiny[0], shift_end=tiny[1])
    for p in short:
        assert p.duration_min <= 5 + 1e-6 and p.arcs[0][0] == p.arcs[-1][1] == p.base
        assert p.extra["left_out_km"] > 0 and "未能覆盖" in p.extra["warnings"][0]
    with pytest.raises(InputError, match="time-zone-aware"):
        plan_brigade_shift(G, beats, shift_start=dt.datetime(2026, 11, 1, 20), shift_end=SHIFT[1])
    with pytest.raises(InputError, match="edge_id 99999"):
        plan_brigade_shift(G, {99999: 0}, shift_start=SHIFT[0], shift_end=SHIFT[1])
    with pytest.raises(InputError, match="risk"):
        plan_brigade_shift(G, beats, shift_start=SHIFT[0], shift_end=SHIFT[1], risk={0: -1.0})
    with pytest.raises(InputError, match="hotspot location"):
        plan_brigade_shift(G, beats, shift_start=SHIFT[0], shift_end=SHIFT[1], hotspots=[("nowhere", 1.0)])
    with pytest.raises(InputError, match="stop_min"):
        plan_brigade_shift(G, beats, shift_start=SHIFT[0], shift_end=SHIFT[1], stop_min=(15, 10))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(4, 6), oneway=st.sets(st.integers(0, 40), max_size=8), hours=st.integers(1, 5),
       seed=st.integers(0, 1000))
def test_property_shift_plan_fits_the_shift(n, oneway, hours, seed):
    G = named_lattice(n, oneway=frozenset(oneway))
    G = G.subgraph(max(nx.strongly_connected_components(G), key=len)).copy()
    beats = {e: b for e, b in halves(G).items()}
    rng = np.random.default_rng(seed)
    risk = {e: float(rng.exponential()) for e in beats}
    start = dt.datetime(2026, 11, 1, 18, tzinfo=SHIFT[0].tzinfo)
    end = start + dt.timedelta(hours=hours)
    plans = plan_brigade_shift(G, beats, shift_start=start, shift_end=end, risk=risk, seed=seed)
    for p in plans:
        check_plan(G, p, shift_min=60 * hours)
        assert {e for e, b in beats.items() if b == p.beat} <= set(p.edge_ids)


def test_hotspots_from_risk_merges_neighbours():
    G = named_lattice(6)
    eids = {(u, v): d["edge_id"] for u, v, d in G.edges(data=True)}
    risk = {eids[(0, 1)]: 10.0, eids[(1, 2)]: 6.0, eids[(28, 29)]: 4.0}
    hs = hotspots_from_risk(G, risk, merge_m=250)
    assert [h[0] for h in hs] == [1, 28]  # node 0/2 merged into node 1 (200 m away)
    assert hs[0][1] == pytest.approx(16.0) and hs[0][2] == "人民北路" and hs[1][2] == "5号路与白竹路交叉口"
    assert len(hotspots_from_risk(G, risk, merge_m=0)) == 5


# --------------------------------------------------------------------------------------------
# team loops
# --------------------------------------------------------------------------------------------
def prize_grid():
    G = walk_graph(named_lattice(8, spacing=100.0, oneway=frozenset({1, 9, 30})))
    rng = np.random.default_rng(4)
    nodes = sorted(G.nodes)
    picked = rng.choice(nodes[1:], 20, replace=False)
    prizes = {int(n): float(v) for n, v in zip(picked, rng.integers(1, 20, 20))}
    return G, prizes


def test_walk_graph_opens_one_way_streets_for_walkers():
    G = named_lattice(4, oneway=frozenset({3}))
    W = walk_graph(G)
    one = [(u, v) for u, v, d in G.edges(data=True) if d["oneway"]]
    assert one and all(W.has_edge(v, u) for u, v in one)
    assert W.number_of_edges() == G.number_of_edges() + len(one)
    assert G.number_of_edges() < W.number_of_edges()  # the input is untouched


def test_team_loop_budget_alternatives_and_daily_choice():
    G, prizes = prize_grid()
    unit = {"unit_id": "U0034", "kind": "grid_team", "name": "北湖社区1+2+N网格巡逻一队", "officers": 1,
            "auxiliaries": 2, "volunteers": 6, "mode": "foot"}
    s, e = shift_window("19:00-21:00", date=dt.date(2026, 11, 3))
    res = plan_team_loop(G, start_node=0, budget_min=30, prizes=prizes, speed_kph=4.5, stop_min=2,
                         n_alternatives=3, seed=2, time_limit_s=5, solution_limit=300, unit=unit, shift_start=s,
                         shift_end=e)  # a solution count, not the clock, ends the search: same answer on any machine
    assert 2 <= len(res.alternatives) <= 3
    best = res.alternatives[0].prize
    for lp in res.alternatives:
        assert lp.duration_min <= 30 + 1e-6
        assert lp.prize >= 0.9 * best
        assert lp.prize == pytest.approx(sum(prizes[n] for n in lp.stops))
    seqs = [lp.stops for lp in res.alternatives]
    assert len(set(seqs)) == len(seqs)  # the alternatives differ: other places, or the other way round
    assert len({frozenset(s) for s in seqs}) >= 2
    p = res.plan
    check_plan(G, p, shift_min=120)
    assert p.duration_min <= 30 + 1e-6 and p.base == 0
    assert [st_.node for st_ in p.stops] == list(res.alternatives[res.chosen].stops)
    assert all(st_.duration_min == pytest.approx(2) for st_ in p.stops)
    assert p.lineup == "1+2+6" and p.unit_kind == "grid_team"
    assert res.chosen == choose_alternative(len(res.alternatives), date=dt.date(2026, 11, 3), unit_id="U0034")
    assert p.prize == res.alternatives[res.chosen].prize and p.prize_total == pytest.approx(sum(prizes.values()))
    # e-bike: same budget goes further
    fast = plan_team_loop(G, start_node=0, budget_min=30, prizes=prizes, speed_kph=12, n_alternatives=1,
                          time_limit_s=5, solution_limit=300)
    assert fast.alternatives[0].prize >= best


def test_team_loop_collects_everything_when_the_budget_allows():
    G, prizes = prize_grid()
    res = plan_team_loop(G, start_node=0, budget_min=600, prizes=prizes, n_alternatives=1, time_limit_s=0.2)
    assert set(res.alternatives[0].stops) == set(prizes)


def test_team_loop_errors():
    G, prizes = prize_grid()
    with pytest.raises(InputError, match="start_node"):
        plan_team_loop(G, start_node=-5, budget_min=30, prizes=prizes)
    with pytest.raises(InputError, match="budget_min"):
        plan_team_loop(G, start_node=0, budget_min=0, prizes=prizes)
    with pytest.raises(InputError, match="prize node"):
        plan_team_loop(G, start_node=0, budget_min=30, prizes={"x": 1.0})
    with pytest.raises(InputError, match="prizes must be"):
        plan_team_loop(G, start_node=0, budget_min=30, prizes={1: -1.0})


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(budget=st.integers(5, 60), stop=st.integers(0, 5), seed=st.integers(0, 100))
def test_property_loop_respects_budget(budget, stop, seed):
    G, prizes = prize_grid()
    res = plan_team_loop(G, start_node=0, budget_min=budget, prizes=prizes, stop_min=stop, n_alternatives=2,
                         seed=seed, time_limit_s=0.05)
    for lp in res.alternatives:
        assert lp.duration_min <= budget + 1e-6
    assert res.plan.duration_min <= budget + 1e-6
    if res.plan.arcs:
        assert res.plan.arcs[0][0] == 0 and res.plan.arcs[-1][1] == 0


def test_node_prizes_snaps_points():
    G = named_lattice(4)
    pts = np.array([[590_010.0, 3_078_005.0], [590_195.0, 3_078_000.0], [590_190.0, 3_078_010.0], [599_000.0, 3_078_000.0]])
    assert node_prizes(G, pts, weights=[1, 2, 3, 9], max_snap_m=100) == {0: 1.0, 1: 5.0}


# --------------------------------------------------------------------------------------------
# the whole shift from layers (the adapter behind `patrolnet routes`)
# --------------------------------------------------------------------------------------------
def test_plan_shift_from_layers():
    import pandas as pd

    G = named_lattice(6, oneway=frozenset({3}))
    beats = halves(G)
    units = gpd.GeoDataFrame({
        "unit_id": ["U2", "U1", "U3", "U4"],
        "kind": ["brigade_vehicle", "brigade_vehicle", "grid_team", "grid_team"],
        "name": ["东区巡逻车", "西区巡逻车", "网格一队", "网格二队"],
        "officers": [2, 2, 1, 1], "auxiliaries": [1, 1, 2, 2], "volunteers": [0, 0, 5, 3],
        "mode": ["car", "car", "foot", "ebike"], "station_id": [None, None, "S01", "S01"],
    }, geometry=shapely.points([(591_000, 3_078_000), (590_000, 3_078_000), (590_400, 3_078_400),
                                (590_600, 3_078_600)]), crs=CRS)
    eid = {(u, v): d["edge_id"] for u, v, d in G.edges(data=True)}
    rng = np.random.default_rng(0)
    n = 200
    xy = rng.uniform([590_000, 3_078_000], [591_000, 3_079_000], (n, 2))
    incidents = gpd.GeoDataFrame({
        "occurred_at": pd.Timestamp("2026-10-01 21:00", tz="Asia/Shanghai") - pd.to_timedelta(rng.integers(0, 600, n), unit="D"),
        "place_kind": np.where(np.arange(n) < 40, "street", "neighborhood"),
        "edge_id": pd.array([eid[(0, 1)]] * 20 + [eid[(4, 5)]] * 20 + [None] * (n - 40), dtype="Int64"),
    }, geometry=shapely.points(xy), crs=CRS)
    plans = plan_shift(G, units, shift_start=SHIFT[0], shift_end=SHIFT[1], incidents=incidents, beats=beats,
                       team_budget_min=45, time_limit_s=0.05)
    assert [p.unit_id for p in plans] == ["U1", "U2", "U3", "U4"]  # brigade by beat, then teams
    assert plans[0].beat == 0 and plans[1].beat == 1  # each vehicle takes the beat nearest its base
    assert plans[0].base == 0 and plans[1].base == 5  # the beat's node nearest the vehicle's base
    for p in plans:
        check_plan(G if p.unit_kind == "brigade_vehicle" or p.mode == "ebike" else walk_graph(G), p, shift_min=240)
    assert plans[2].duration_min <= 45 + 1e-6 and plans[2].lineup == "1+2+5" and plans[2].stops
    assert plans[3].mode == "ebike" and plans[3].extra["speed_kph"] == 12
    # the hottest street (edge 0->1, recent incidents) gets the first vehicle's stops
    assert {s.node for s in plans[0].stops} & {0, 1}
    # no incidents: uniform risk, teams spread over their surroundings
    bare = plan_shift(G, units, shift_start=SHIFT[0], shift_end=SHIFT[1], beats=beats, team_budget_min=30,
                      time_limit_s=0.05, kinds=("grid_team",))
    assert [p.unit_id for p in bare] == ["U3", "U4"] and all(p.duration_min <= 30 + 1e-6 for p in bare)


# --------------------------------------------------------------------------------------------
# the demo district
# --------------------------------------------------------------------------------------------
def test_demo_district_brigade_shift():
    demo = pytest.importorskip("geo.demo")
    split = pytest.importorskip("routing.split")
    from tests.routing.test_postman import flow_optimum

    d = demo.build_demo(seed=1979, as_of=dt.date(2026, 10, 31))
    G = graph_from_layers(d.layers["road_nodes"], d.layers["road_edges"])
    units = d.layers["units"]
    cars = units[units["kind"] == "brigade_vehicle"].reset_index(drop=True)
    beats = split.brigade_beats(G, k=len(cars))
    inc = d.layers["incidents"]
    risk = inc[inc["place_kind"] == "street"].groupby("edge_id").size().astype(float).to_dict()
    unit_of = {b: [cars.iloc[i]] for i, b in enumerate(sorted(beats["beat"].unique()))}
    plans = plan_brigade_shift(G, beats, shift_start=SHIFT[0], shift_end=SHIFT[1], risk=risk, units=unit_of, seed=1)
    assert len(plans) == len(cars)
    for p in plans:
        check_plan(G, p, shift_min=240)
        own = sorted(int(e) for e in beats.index[beats["beat"] == p.beat])
        assert set(own) <= set(p.edge_ids)
        sub = G.edge_subgraph([(u, v, k) for u, v, k, dd in G.edges(keys=True, data=True) if dd["edge_id"] in set(own)])
        if nx.is_weakly_connected(sub) and p.base in sub:
            # single vehicle per beat: the coverage route is the exact directed postman tour (0.1 %)
            assert p.coverage_length_m == pytest.approx(flow_optimum(G, own), rel=1e-3)
        assert p.coverage_length_m <= (1 + p.coverage_gap) * p.coverage_lower_bound_m + 1e-6
        assert p.name.startswith("特巡警大队巡逻车") and p.lineup == "2+1+0"
        assert len(p.stops) >= 3 and p.dosage
    # the adapter on the demo layers: vehicles matched to beats, three grid teams in their areas
    some = units[(units["kind"] == "brigade_vehicle") | units["unit_id"].isin(["U0034", "U0035", "U0036"])]
    plans = plan_shift(G, some, shift_start=SHIFT[0], shift_end=SHIFT[1], incidents=inc, beats=beats,
                       neighborhoods=d.layers["neighborhoods"], time_limit_s=0.05)
    assert len(plans) == len(cars) + 3
    assert sorted(p.unit_id for p in plans[: len(cars)]) == sorted(cars["unit_id"])
    for p in plans[len(cars):]:
        assert p.unit_kind == "grid_team" and p.duration_min <= 120 + 1e-6 and p.prize > 0 and p.stops
