"""The split: edge owners, network Voronoi cells, brigade beats, grid-team areas, summary, layers.

Known answers on small hand-built graphs, properties on random lattices (hypothesis), and figures
on the real OSM extracts (Shanghai Huangpu, San Francisco Mission) with synthetic station sites.
"""

from __future__ import annotations

import itertools
import time
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo.errors import CRSError, InfeasibleError, InputError
from routing.graph import graph_from_layers
from routing.split import (
    assign_edge_owners,
    assign_grid_teams,
    beat_table,
    brigade_beats,
    derive_jurisdictions,
    edge_segments,
    grid_team_areas,
    grid_teams_per_station,
    split_layers,
    split_summary,
)

CRS = "EPSG:4547"
X0, Y0 = 590_000.0, 3_078_000.0
DATA = Path(__file__).resolve().parents[1] / "data" / "osm"


# ------------------------------------------------------------------------------------------------
# builders
# ------------------------------------------------------------------------------------------------
def layers(xy: np.ndarray, segments: list[tuple], *, crs: str = CRS) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Road layers from node coordinates and segments ``(u, v, highway[, oneway[, maxspeed]])``;
    two-way segments become two directed edges, as osmnx stores them."""
    xy = np.asarray(xy, dtype=float)
    ids = np.arange(len(xy))
    nodes = gpd.GeoDataFrame({"node_id": ids, "x": xy[:, 0], "y": xy[:, 1]}, geometry=shapely.points(xy), crs=crs)
    rows = []
    for seg in segments:
        u, v, hw = seg[:3]
        oneway = seg[3] if len(seg) > 3 else False
        maxspeed = seg[4] if len(seg) > 4 else None
        for a, b in [(u, v)] if oneway else [(u, v), (v, u)]:
            rows.append({"u": a, "v": b, "key": 0, "highway": hw, "oneway": oneway, "maxspeed": maxspeed,
                         "name": None, "geometry": shapely.LineString([xy[a], xy[b]])})
    edges = gpd.GeoDataFrame(rows, geometry="geometry", crs=crs)
    edges["edge_id"] = np.arange(len(edges))
    edges["length_m"] = edges.geometry.length
    return nodes, edges


def lattice(n: int, m: int, *, spacing: float = 100.0, main_rows=(), main_cols=(), jitter=None, oneway_main=()):
    """An n (columns) x m (rows) street lattice; the listed rows/columns are primary roads."""
    ids = np.arange(n * m)
    xy = np.column_stack([X0 + (ids % n) * spacing, Y0 + (ids // n) * spacing]).astype(float)
    if jitter is not None:
        xy = xy + jitter
    segs = []
    for i in ids:
        r, c = divmod(int(i), n)
        if c < n - 1:
            main = r in main_rows
            segs.append((i, i + 1, "primary" if main else "residential", main and r in oneway_main))
        if r < m - 1:
            segs.append((i, i + n, "primary" if c in main_cols else "residential"))
    return layers(xy, segs)


def graph(nodes_edges) -> nx.MultiDiGraph:
    return graph_from_layers(*nodes_edges)


def box(x0, y0, x1, y1):
    return shapely.box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


def stations_frame(ids, polys, sites, *, crs=CRS) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"station_id": ids, "name": [f"{i}派出所" for i in ids],
         "site_x": [s[0] for s in sites], "site_y": [s[1] for s in sites]},
        geometry=list(polys), crs=crs,
    )


def beat_graphs(G: nx.MultiDiGraph, beats: pd.DataFrame) -> dict[int, nx.Graph]:
    """Per beat: the undirected graph of its main-road segments, plus the fragment links."""
    out: dict[int, nx.Graph] = {}
    for u, v, d in G.edges(data=True):
        if d["road_class"] == "main":
            b = int(beats.loc[d["edge_id"], "beat"])
            out.setdefault(b, nx.Graph()).add_edge(u, v)
    for a, b, *_ in beats.attrs.get("links", []):
        (g,) = [g for g in out.values() if g.has_node(a)]  # the fragment's beat ...
        assert g.has_node(b)  # ... reaches the node it is joined to
        g.add_edge(a, b)
    return out


def check_beats(G: nx.MultiDiGraph, beats: pd.DataFrame, k: int) -> None:
    """Every main edge in exactly one beat, both directions together, each beat connected."""
    main_ids = sorted(d["edge_id"] for *_, d in G.edges(data=True) if d["road_class"] == "main")
    assert sorted(beats.index) == main_ids and beats.index.is_unique
    assert set(beats["beat"]) == set(range(k))
    assert (beats.groupby("segment")["beat"].nunique() == 1).all()
    for u, v, d in G.edges(data=True):
        if d["road_class"] == "main" and G.has_edge(v, u):
            back = [e["edge_id"] for e in G.get_edge_data(v, u).values()
                    if e["geometry"].equals(d["geometry"].reverse())]
            for b in back:
                assert beats.loc[b, "beat"] == beats.loc[d["edge_id"], "beat"]
    for b, g in beat_graphs(G, beats).items():
        assert nx.is_connected(g), f"beat {b} is not connected"


# ------------------------------------------------------------------------------------------------
# segments and owners
# ------------------------------------------------------------------------------------------------
def test_two_way_copies_form_one_segment():
    nodes, edges = lattice(4, 4, main_rows=(2,), oneway_main=(2,))
    G = graph((nodes, edges))
    seg = edge_segments(G)
    # 24 streets; the 3 main ones are one-way
    assert seg["segment"].nunique() == 24 and len(seg) == 2 * 24 - 3
    pair = edges[(edges.u.isin([0, 1])) & (edges.v.isin([0, 1]))]["edge_id"]
    assert seg.loc[pair, "segment"].nunique() == 1


def test_owners_by_jurisdiction_polygons():
    nodes, edges = lattice(4, 4, main_rows=(2,))
    G = graph((nodes, edges))
    west, east = box(-50, -50, 120, 350), box(120, -50, 350, 350)
    st_ = stations_frame(["S01", "S02"], [west, east], [(X0, Y0), (X0 + 300, Y0)])
    before = st_.copy()
    own = assign_edge_owners(G, stations=st_)
    pd.testing.assert_frame_equal(st_, before)  # inputs untouched
    mid_x = edges.set_index("edge_id").geometry.interpolate(0.5, normalized=True).x - X0
    expect_station = np.where(mid_x.loc[own.index] < 120, "S01", "S02")
    assert list(own["station_id"]) == list(expect_station)
    assert (own["how"] == "jurisdiction").all()
    main = own["road_class"] == "main"
    assert main.sum() == 6 and (own.loc[main, "owner_kind"] == "brigade").all()
    assert (own.loc[main, "owner_id"] == "brigade").all()
    assert (own.loc[~main, "owner_id"] == own.loc[~main, "station_id"]).all()
    assert (own.groupby("segment")["owner_id"].nunique() == 1).all()


def test_edges_outside_all_polygons_fall_back_to_network_voronoi():
    nodes, edges = lattice(4, 4)
    G = graph((nodes, edges))
    # S02 has no polygon; S01's covers the west half only
    st_ = stations_frame(["S01", "S02"], [box(-50, -50, 120, 350), None], [(X0, Y0), (X0 + 300, Y0 + 300)])
    own = assign_edge_owners(G, stations=st_)
    west = own["how"] == "jurisdiction"
    assert (own.loc[west, "station_id"] == "S01").all() and west.any()
    assert set(own.loc[~west, "how"]) == {"network_voronoi"}
    # the far (north-east) corner is S02's on the network
    far = edges[(edges.u == 15) | (edges.v == 15)]["edge_id"]
    assert (own.loc[far, "station_id"] == "S02").all()


def line_graph():
    """11 nodes 100 m apart on a line; edges 0..5 at 25 km/h, edges 6..9 tagged 50 km/h."""
    xy = np.column_stack([X0 + np.arange(11) * 100.0, np.full(11, Y0)])
    segs = [(i, i + 1, "residential", False, "50" if i >= 6 else None) for i in range(10)]
    return layers(xy, segs)


def test_network_voronoi_on_a_line_has_the_hand_computed_boundary():
    nodes, edges = line_graph()
    G = graph((nodes, edges))
    # sites: station A at node 0, station B at node 10; no polygons (points as geometry)
    sites = gpd.GeoDataFrame({"station_id": ["A", "B"]},
                             geometry=shapely.points([(X0 - 5, Y0 + 5), (X0 + 1003, Y0 - 4)]), crs=CRS)
    own = assign_edge_owners(G, stations=sites)
    assert (own["how"] == "network_voronoi").all()
    # A reaches node 4 at 4 x 14.4 s = 57.6 s; B at 4 x 7.2 + 2 x 14.4 = 57.6 s: the cell boundary is
    # node 4 (straight-line Voronoi would put it at node 5). Edge 3-4: A 50.4 s vs B 64.8 s.
    seg_of = edges.assign(lo=np.minimum(edges.u, edges.v)).set_index("edge_id")["lo"]
    got = own["station_id"].groupby(seg_of.loc[own.index].to_numpy()).first()
    assert list(got) == ["A"] * 4 + ["B"] * 6


def test_derive_jurisdictions_draws_the_network_voronoi_cells():
    nodes, edges = line_graph()
    G = graph((nodes, edges))
    sites = stations_frame(["A", "B"], [None, None], [(X0, Y0), (X0 + 1000, Y0)])
    boundary = gpd.GeoDataFrame({"name": ["d"]}, geometry=[box(-100, -300, 1100, 300)], crs=CRS)
    cells = derive_jurisdictions(G, sites, boundary=boundary, spacing_m=10)
    assert list(cells["station_id"]) == ["A", "B"] and (cells["how"] == "network_voronoi").all()
    a, b = cells.geometry.iloc[0], cells.geometry.iloc[1]
    assert a.intersection(b).area < 1e-6
    assert a.area + b.area == pytest.approx(boundary.geometry.iloc[0].area, rel=1e-9)
    # the cell boundary crosses the road at node 4 (x = 400 m), within the sampling step
    bx = a.bounds[2] - X0
    assert 390 <= bx <= 410
    # the cells give the same owners as the direct computation
    own = assign_edge_owners(G, stations=cells)
    own_v = assign_edge_owners(G, stations=sites.assign(geometry=None))
    assert (own["station_id"] == own_v["station_id"]).all()


def test_owner_errors_name_the_fix():
    nodes, edges = lattice(3, 3)
    G = graph((nodes, edges))
    with pytest.raises(InputError, match="no stations given.*stations"):
        assign_edge_owners(G, stations=None)
    st_ = stations_frame(["S01"], [None], [(np.nan, np.nan)])
    with pytest.raises(InputError, match="no site for S01"):
        assign_edge_owners(G, stations=st_)
    st_ = stations_frame(["S01"], [box(0, 0, 10, 10)], [(X0, Y0)]).to_crs(4326)
    with pytest.raises(CRSError, match="reproject"):
        assign_edge_owners(G, stations=st_)
    geo = G.copy()
    geo.graph["crs"] = "EPSG:4326"
    with pytest.raises(CRSError, match="degrees"):
        assign_edge_owners(geo, stations=None)


# ------------------------------------------------------------------------------------------------
# beats: known answers
# ------------------------------------------------------------------------------------------------
def ring(n: int = 12, radius: float = 500.0):
    ang = np.arange(n) * 2 * np.pi / n
    xy = np.column_stack([X0 + radius * np.cos(ang), Y0 + radius * np.sin(ang)])
    return layers(xy, [(i, (i + 1) % n, "primary") for i in range(n)])


@pytest.mark.parametrize("k", [1, 2, 3, 4, 6, 12])
def test_ring_splits_into_equal_arcs(k):
    G = graph(ring())
    beats = brigade_beats(G, k=k)
    check_beats(G, beats, k)
    table = beat_table(beats)
    assert (table["segments"] == 12 // k).all()
    assert beats.attrs["max_over_mean"] == pytest.approx(1.0)
    assert table["length_m"].sum() == pytest.approx(12 * 2 * 500 * np.sin(np.pi / 12))


def test_ladder_of_main_roads_balances_perfectly():
    # 2 rails of 5 nodes + 5 rungs, every segment 100 m: 13 segments; k=... the 8 rail segments
    # and 5 rungs in 13 = 13 x 1 and 1 beat of everything; use a 2 x 4 ladder: 6 rails + 4 rungs
    xy = np.array([(X0 + 100 * i, Y0 + 100 * j) for j in range(2) for i in range(4)])
    segs = [(j * 4 + i, j * 4 + i + 1, "primary") for j in range(2) for i in range(3)]
    segs += [(i, i + 4, "primary") for i in range(4)]
    G = graph(layers(xy, segs))
    for k in (2, 5):
        beats = brigade_beats(G, k=k)
        check_beats(G, beats, k)
        assert beats.attrs["max_over_mean"] == pytest.approx(1.0), k


def test_risk_weight_moves_the_cuts():
    G = graph(ring())
    # the 6 segments from node 0 to node 6 weigh double: 6 x 2 + 6 x 1 = 18 units, 6 per beat, so no
    # beat can have 4 of the 12 segments as without weights (e.g. 3 heavy | 2 heavy + 2 light | 1 + 4)
    pairs = {(i, (i + 1) % 12) for i in range(6)}
    weight = {d["edge_id"]: 2.0 for u, v, d in G.edges(data=True) if (u, v) in pairs or (v, u) in pairs}
    beats = brigade_beats(G, k=3, weight=weight)
    check_beats(G, beats, 3)
    table = beat_table(beats)
    assert (table["segments"] != 4).any() and table["segments"].sum() == 12
    side = 2 * 500 * np.sin(np.pi / 12)
    assert np.allclose(table["workload"], 6 * side)
    assert beats.attrs["max_over_mean"] == pytest.approx(1.0)
    # a weight given for one direction only counts for the street
    one_dir = {k_: v for k_, v in weight.items() if k_ % 2 == 0}
    assert brigade_beats(G, k=3, weight=one_dir)["workload"].sum() == pytest.approx(beats["workload"].sum())


def two_roads(gap_m: float = 1000.0, stub: bool = False):
    """Two parallel east-west main roads of 6 x 100 m, joined by a residential street at the west
    end; optionally a 100 m main-road stub north of the first road, joined by a local street."""
    xy = [(X0 + 100 * i, Y0) for i in range(7)] + [(X0 + 100 * i, Y0 + gap_m) for i in range(7)]
    segs = [(i, i + 1, "primary") for i in range(6)] + [(7 + i, 8 + i, "primary") for i in range(6)]
    segs.append((0, 7, "residential"))
    if stub:
        xy += [(X0 + 300, Y0 + 200), (X0 + 400, Y0 + 200)]
        segs += [(14, 15, "primary"), (3, 14, "residential")]
    return layers(np.array(xy), segs)


def test_separate_main_networks_get_their_own_beats():
    G = graph(two_roads())
    beats = brigade_beats(G, k=4)
    check_beats(G, beats, 4)
    assert beats.attrs["components"] == 2 and beats.attrs["fragments"] == 0
    assert sorted(beats.attrs["beats_per_component"].values()) == [2, 2]
    assert beats.groupby("beat")["component"].nunique().max() == 1
    assert beats.attrs["max_over_mean"] == pytest.approx(1.0)
    # uneven allocation: 3 beats on two equal roads, the best is 2 + 1 -> max/mean 1.5, and says so
    b3 = brigade_beats(G, k=3)
    assert b3.attrs["max_over_mean"] == pytest.approx(1.5)
    assert b3.attrs["lower_bound_over_mean"] == pytest.approx(1.5)


def test_too_few_beats_for_separate_main_networks_is_infeasible():
    G = graph(two_roads())
    with pytest.raises(InfeasibleError, match=r"2 separate parts.*k=1.*k >= 2"):
        brigade_beats(G, k=1)
    with pytest.raises(InfeasibleError, match="3 separate parts"):
        brigade_beats(graph(two_roads(stub=True)), k=2, fragment_share=0)


def test_small_main_fragment_joins_the_nearest_beat_through_local_streets():
    G = graph(two_roads(stub=True))
    beats = brigade_beats(G, k=2)
    check_beats(G, beats, 2)  # connected when the link is counted
    assert beats.attrs["fragments"] == 1
    (a, b, d, how), = beats.attrs["links"]
    assert (a, b, how) == (14, 3, "road") and d == pytest.approx(200.0)
    stub = beats["attached"]
    assert stub.sum() == 2
    # the stub's beat is the beat of the road it joins
    on_road = edges_between(G, 2, 3) + edges_between(G, 3, 4)
    assert beats.loc[stub, "beat"].iloc[0] in set(beats.loc[on_road, "beat"])


def edges_between(G, u, v):
    return [d["edge_id"] for d in G.get_edge_data(u, v).values()]


def test_beats_are_deterministic_and_leave_the_graph_alone():
    jitter = np.random.default_rng(3).uniform(-30, 30, (49, 2))
    G = graph(lattice(7, 7, main_rows=(0, 3, 6), main_cols=(0, 3, 6), jitter=jitter))
    before = nx.to_dict_of_dicts(G)
    first = brigade_beats(G, k=5, seed=11)
    assert nx.to_dict_of_dicts(G) == before
    pd.testing.assert_frame_equal(first, brigade_beats(G, k=5, seed=11))
    assert first.attrs == brigade_beats(G, k=5, seed=11).attrs


def test_beat_errors():
    G = graph(ring())
    with pytest.raises(InputError, match="k .* >= 1"):
        brigade_beats(G, k=0)
    with pytest.raises(InputError, match="negative or not finite.*edge_id 3"):
        brigade_beats(G, k=2, weight={3: -1.0})
    empty = graph(lattice(3, 3))
    b = brigade_beats(empty, k=3)
    assert b.empty and list(b.columns)[:2] == ["beat", "segment"]


# ------------------------------------------------------------------------------------------------
# beats: properties on random lattices
# ------------------------------------------------------------------------------------------------
@st.composite
def random_lattices(draw, *, max_side: int = 9, max_k: int = 12):
    n = draw(st.integers(2, max_side))
    m = draw(st.integers(2, max_side))
    rows = draw(st.sets(st.integers(0, m - 1), min_size=1, max_size=m))
    cols = draw(st.sets(st.integers(0, n - 1), min_size=1, max_size=n))
    if draw(st.booleans()):  # a frame of main roads: no dead-end branches
        rows, cols = rows | {0, m - 1}, cols | {0, n - 1}
    oneway = draw(st.sets(st.sampled_from(sorted(rows)), max_size=len(rows)))
    seed = draw(st.integers(0, 2**31 - 1))
    jitter = np.random.default_rng(seed).uniform(-35, 35, size=(n * m, 2))
    k = draw(st.integers(1, max_k))
    G = graph(lattice(n, m, main_rows=rows, main_cols=cols, jitter=jitter, oneway_main=oneway))
    framed = {0, m - 1} <= rows and {0, n - 1} <= cols
    return G, k, framed


def main_segments(G) -> pd.DataFrame:
    segs = edge_segments(G)
    return segs[segs["road_class"] == "main"].drop_duplicates("segment")


@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(random_lattices())
def test_beats_on_random_lattices(case):
    G, k, framed = case
    n_main = len(main_segments(G))
    k = min(k, n_main)
    beats = brigade_beats(G, k=k)
    check_beats(G, beats, k)  # one beat per edge, directions together, connected
    assert beats.attrs["components"] == 1  # a main row crosses every main column
    seg_w = beats.drop_duplicates("segment")["workload"]
    mean = seg_w.sum() / k
    assert beats.attrs["max_over_mean"] * mean >= max(mean, seg_w.max()) - 1e-6
    # Balance. No split beats max(mean, longest segment); where one segment is longer than
    # 1.15 x mean, 1.15 x mean cannot be met, so the beats are held to 1.15 x that lower bound. The
    # bound is only reachable on well-knit networks: dead-end branches (a main column running out
    # of a single main row) and few segments per beat can force a worse optimum (a star of three
    # equal arms in two beats is 2:1), so the bound is asserted on framed lattices with at least 5
    # segments per beat; small instances of any shape are compared with the true optimum below.
    if framed and n_main >= 5 * k:
        ratio = beats.attrs["max_over_mean"] * mean / max(mean, seg_w.max())
        assert ratio <= 1.15 + 1e-9, (ratio, n_main, k)


def optimum_max_load(G, k: int) -> float:
    """The smallest possible largest-beat workload, by trying every labelling (small cases)."""
    segs = main_segments(G)
    n = len(segs)
    w = segs["length_m"].to_numpy()
    labels = np.array(list(itertools.product(range(k), repeat=n - 1)), dtype=np.int64).reshape(-1, n - 1)
    labels = np.column_stack([np.zeros(len(labels), dtype=np.int64), labels])  # first segment in beat 0
    loads = np.stack([(labels == j) @ w for j in range(k)], axis=1)
    used = np.stack([(labels == j).any(axis=1) for j in range(k)], axis=1).all(axis=1)
    best = loads.max(axis=1)
    for i in np.argsort(best, kind="stable"):
        if not used[i]:
            continue
        parts = [nx.Graph() for _ in range(k)]
        for (u, v), lab in zip(segs[["u", "v"]].to_numpy(), labels[i]):
            parts[lab].add_edge(u, v)
        if all(nx.is_connected(g) for g in parts):
            return float(best[i])
    raise AssertionError("no connected labelling")  # pragma: no cover


@settings(max_examples=30, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(random_lattices(max_side=4, max_k=4))
def test_beats_near_the_optimum_on_small_networks(case):
    G, k, _ = case
    n_main = len(main_segments(G))
    k = min(k, n_main)
    if k ** (n_main - 1) > 60_000:
        k = 2
    if k ** (n_main - 1) > 60_000:
        return
    beats = brigade_beats(G, k=k)
    check_beats(G, beats, k)
    got = beat_table(beats)["workload"].max()
    best = optimum_max_load(G, k)
    assert got <= 1.15 * best + 1e-6, (got / best, n_main, k)


# ------------------------------------------------------------------------------------------------
# grid-team areas
# ------------------------------------------------------------------------------------------------
def blocks(n: int, m: int, *, station=lambda r, c: "S01", households=lambda r, c: 400, size=80.0, street=20.0):
    """n x m square neighborhoods of ``size`` metres separated by ``street`` metre streets."""
    rows = []
    for r in range(m):
        for c in range(n):
            x, y = c * (size + street), r * (size + street)
            rows.append({"neighborhood_id": f"N{r:02d}{c:02d}", "station_id": station(r, c),
                         "households": households(r, c), "geometry": box(x, y, x + size, y + size)})
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=CRS)


def area_connected(nb: gpd.GeoDataFrame, ids: list[str], within_m: float) -> bool:
    sub = nb.set_index("neighborhood_id").loc[ids]
    g = nx.Graph()
    g.add_nodes_from(ids)
    geoms = sub.geometry.to_numpy()
    for i in range(len(ids)):
        for j in range(i + 1, len(ids)):
            if shapely.distance(geoms[i], geoms[j]) <= within_m:
                g.add_edge(ids[i], ids[j])
    return nx.is_connected(g)


def test_grid_team_areas_split_equal_blocks_evenly():
    nb = blocks(4, 4)
    areas = grid_team_areas(nb, teams_per_station={"S01": 4}, adjacency_m=30)
    assert list(areas["area_id"]) == ["S01-G01", "S01-G02", "S01-G03", "S01-G04"]
    assert (areas["households"] == 1600).all() and (areas["neighborhoods"] == 4).all()
    assert areas.attrs["stations"]["S01"]["max_over_mean"] == pytest.approx(1.0)
    for ids in areas["neighborhood_ids"]:
        assert area_connected(nb, ids.split(","), 30)
    assert areas.geometry.geom_type.eq("MultiPolygon").all()
    assert areas.geometry.union_all().area == pytest.approx(nb.geometry.union_all().area)


def test_grid_teams_per_station_from_households_and_units():
    station = lambda r, c: "S01" if c < 3 else "S02"  # noqa: E731
    hh = lambda r, c: 500 if c < 3 else 300  # noqa: E731
    nb = blocks(6, 4, station=station, households=hh)
    # S01: 12 x 500 = 6000 households -> 4 teams of 1500; S02: 12 x 300 = 3600 -> 3 teams
    areas = grid_team_areas(nb, per_team_households=1500, adjacency_m=30)
    assert areas.groupby("station_id").size().to_dict() == {"S01": 4, "S02": 3}
    assert (areas["share"] <= 1.15 + 1e-9).all()
    for sid, rep in areas.attrs["stations"].items():
        assert rep["max_over_mean"] <= 1.15, sid
    units = pd.DataFrame({"kind": ["grid_team"] * 3 + ["brigade_vehicle", "grid_team"],
                          "station_id": ["S01", "S01", "S02", None, "S02"]})
    teams = grid_teams_per_station(units)
    assert teams == {"S01": 2, "S02": 2}
    assign = assign_grid_teams(nb, teams_per_station=teams, adjacency_m=30)
    assert assign.groupby("station_id")["area_id"].nunique().to_dict() == {"S01": 2, "S02": 2}
    assert (assign.groupby("area_id")["station_id"].nunique() == 1).all()


def test_a_distant_neighborhood_joins_the_nearest_area_and_counts_are_clamped():
    nb = blocks(3, 2)
    far = gpd.GeoDataFrame([{"neighborhood_id": "FAR", "station_id": "S01", "households": 50,
                             "geometry": box(2000, 0, 2050, 50)}], geometry="geometry", crs=CRS)
    nb2 = pd.concat([nb, far], ignore_index=True)
    assign = assign_grid_teams(nb2, teams_per_station={"S01": 2}, adjacency_m=30)
    assert assign.set_index("neighborhood_id").loc["FAR", "attached"]
    assert assign["attached"].sum() == 1 and assign["area_id"].nunique() == 2
    areas = grid_team_areas(nb2, teams_per_station={"S01": 2}, adjacency_m=30)
    # FAR (1,800 m east of the last block, 50 households) joins the eastern area across the gap
    far_area = areas[areas["neighborhood_ids"].str.contains("FAR")].iloc[0]
    assert far_area["max_gap_m"] == pytest.approx(2000 - 280)
    assert areas["max_gap_m"].min() == pytest.approx(20.0)
    many = grid_team_areas(nb, teams_per_station={"S01": 10}, adjacency_m=30)
    assert len(many) == 6 and many.attrs["stations"]["S01"] == pytest.approx(
        {"teams": 10, "areas": 6, "max_over_mean": 1.0, "lower_bound_over_mean": 1.0})


def test_grid_team_errors():
    nb = blocks(2, 2)
    with pytest.raises(InputError, match="households"):
        grid_team_areas(nb.drop(columns="households"))
    with pytest.raises(CRSError, match="projected"):
        grid_team_areas(nb.to_crs(4326))
    with pytest.raises(InputError, match="whole number >= 1"):
        grid_team_areas(nb, teams_per_station={"S01": 0})
    bad = nb.copy()
    bad.loc[0, "households"] = -3
    with pytest.raises(InputError, match="negative households.*N0000"):
        grid_team_areas(bad)


# ------------------------------------------------------------------------------------------------
# summary and workspace layers
# ------------------------------------------------------------------------------------------------
def small_district():
    """A 6 x 6 lattice (100 m), main row 3 and main column 3, two stations split at x = 250 m,
    9 neighborhoods in the blocks, 2 brigade vehicles, 4 grid teams, 5 incidents."""
    nodes, edges = lattice(6, 6, main_rows=(3,), main_cols=(3,))
    west, east = box(-50, -50, 250, 550), box(250, -50, 550, 550)
    stations = stations_frame(["S01", "S02"], [shapely.MultiPolygon([west]), shapely.MultiPolygon([east])],
                              [(X0 + 100, Y0 + 100), (X0 + 400, Y0 + 100)])
    nb = []
    for r in range(3):
        for c in range(3):
            x, y = 15 + c * 200, 15 + r * 200
            cx = x + 35
            nb.append({"neighborhood_id": f"N{r}{c}", "name": f"小区{r}{c}", "kind": "open",
                       "households": 300 + 100 * c,
                       "community_id": "C1", "station_id": "S01" if cx < 250 else "S02",
                       "geometry": shapely.MultiPolygon([box(x, y, x + 70, y + 70)])})
    nb = gpd.GeoDataFrame(nb, geometry="geometry", crs=CRS)
    units = gpd.GeoDataFrame(
        {"unit_id": ["U1", "U2", "U3", "U4", "U5", "U6"],
         "kind": ["brigade_vehicle", "brigade_vehicle", "grid_team", "grid_team", "grid_team", "grid_team"],
         "name": ["巡1", "巡2", "网格1", "网格2", "网格3", "网格4"],
         "station_id": [None, None, "S01", "S01", "S02", "S02"], "officers": 1, "auxiliaries": 2, "volunteers": 3,
         "mode": "car"},
        geometry=shapely.points([(X0, Y0)] * 6), crs=CRS,
    )
    main_edge = int(edges[(edges.u == 18) & (edges.v == 19)]["edge_id"].iloc[0])  # main row, west
    local_edge = int(edges[(edges.u == 4) & (edges.v == 5)]["edge_id"].iloc[0])  # south row, east
    incidents = gpd.GeoDataFrame(
        {"incident_id": ["I1", "I2", "I3", "I4", "I5"],
         "occurred_at": pd.to_datetime(["2025-03-01T20:00:00+08:00"] * 5),
         "category": ["robbery", "snatching", "burglary", "burglary", "ebike_theft"],
         "place_kind": ["street", "street", "neighborhood", "neighborhood", "street"],
         "station_id": ["S01", "S02", "S01", "S02", "S02"],
         "edge_id": pd.array([main_edge, local_edge, None, None, None], dtype="Int64")},
        geometry=shapely.points([(X0, Y0)] * 5), crs=CRS,
    )
    return nodes, edges, stations, nb, units, incidents


def test_split_summary_counts_per_owner_and_beat():
    nodes, edges, stations, nb, units, incidents = small_district()
    G = graph((nodes, edges))
    owners = assign_edge_owners(G, stations=stations)
    beats = brigade_beats(G, k=2)
    # a third station with no road in its jurisdiction still gets its row
    far = stations_frame(["S03"], [shapely.MultiPolygon([box(5000, 0, 5500, 500)])], [(X0 + 5200, Y0 + 200)])
    all_stations = pd.concat([stations, far], ignore_index=True)
    areas = grid_team_areas(nb, teams_per_station={"S01": 1, "S02": 2})
    unplaced = pd.concat([incidents.iloc[:1].assign(incident_id="I6", station_id=None, edge_id=pd.NA,
                                                    place_kind="neighborhood")], ignore_index=True)
    table = split_summary(owners, beats=beats, neighborhoods=nb, incidents=pd.concat([incidents, unplaced]),
                          stations=all_stations, grid_areas=areas)
    assert table.attrs["incidents_unplaced"] == 1
    own = table[table["row"] == "owner"].set_index("owner_id")
    assert list(own.index) == ["brigade", "S01", "S02", "S03"]
    empty = own.loc["S03", ["main_km", "local_km", "edges", "neighborhoods", "incidents"]]
    assert empty.tolist() == [0, 0, 0, 0, 0]
    assert own["grid_teams"].tolist() == [0, 1, 2, 0]
    # 60 streets of 100 m: main row 3 and column 3 are 10 of them; 50 local
    assert own.loc["brigade", "main_km"] == pytest.approx(1.0) and own.loc["brigade", "local_km"] == 0
    assert own["local_km"].sum() == pytest.approx(5.0) and own["main_km"].sum() == pytest.approx(1.0)
    assert own.loc["S01", "name"] == "S01派出所" and own.loc["brigade", "name"] == "特巡警大队"
    per_station = nb.groupby("station_id")
    assert own.loc[["S01", "S02"], "neighborhoods"].tolist() == per_station.size().tolist() == [3, 6]
    assert (own.loc[["S01", "S02"], "households"].tolist() == per_station["households"].sum().tolist()
            == [900, 2 * 3 * 450])
    # incidents: I1 on a main road -> brigade; I2 on a local edge in S02; I3-I5 by station_id
    assert own["incidents"].to_dict() == {"brigade": 1, "S01": 1, "S02": 3, "S03": 0}
    bt = table[table["row"] == "beat"]
    assert list(bt["owner_id"]) == ["B01", "B02"]
    assert bt["main_km"].sum() == pytest.approx(1.0) and bt["incidents"].sum() == 1
    assert bt["share"].max() <= 1.15


def test_split_layers_from_a_workspace_write_back(tmp_path):
    from app.storage.workspace import create_workspace

    nodes, edges, stations, nb, units, incidents = small_district()
    ws = create_workspace(
        tmp_path / "d.gpkg",
        {"road_nodes": nodes, "road_edges": edges, "stations": stations, "neighborhoods": nb, "units": units,
         "incidents": incidents},
        crs=CRS,
    )
    out = split_layers(ws)
    assert set(out) == {"edge_owners", "beats", "grid_team_areas", "split_summary"}
    eo = out["edge_owners"]
    assert len(eo) == len(edges) and eo.crs.equals(edges.crs)
    assert eo["owner_kind"].notna().all() and (eo["beat"].notna() == (eo["road_class"] == "main")).all()
    assert set(eo["beat_id"].dropna()) == {"B01", "B02"}  # 2 brigade vehicles -> 2 beats
    assert list(out["beats"]["beat_id"]) == ["B01", "B02"]
    assert out["grid_team_areas"].groupby("station_id").size().to_dict() == {"S01": 2, "S02": 2}
    summary = out["split_summary"]
    assert summary.attrs["max_over_mean"] <= 1.15
    assert summary.loc[summary["row"] == "owner", "grid_teams"].tolist() == [0, 2, 2]
    assert summary["incidents"].iloc[:3].sum() == len(incidents)
    ws2 = ws.write(out)  # the CLI writes them like this
    assert set(out) <= set(ws2.layers())
    back = ws2.read("beats")
    assert len(back) == 2
    with pytest.raises(InputError, match="--brigade-units"):
        split_layers(create_workspace(tmp_path / "e.gpkg", {"road_nodes": nodes, "road_edges": edges,
                                                              "stations": stations}, crs=CRS))
    assert len(split_layers(ws, k=3)["beats"]) == 3


# ------------------------------------------------------------------------------------------------
# real extracts
# ------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module", params=["shanghai_huangpu.osm", "san_francisco_mission.osm.bz2"])
def real(request):
    from geo.osm import read_osm

    ex = read_osm(DATA / request.param)
    G = graph_from_layers(ex.road_nodes, ex.road_edges)
    x0, y0, x1, y1 = ex.road_edges.total_bounds
    # four synthetic station sites at fixed fractions of the extent
    fr = [(0.25, 0.25), (0.75, 0.3), (0.3, 0.75), (0.7, 0.7)]
    sites = stations_frame([f"S{i + 1:02d}" for i in range(4)], [None] * 4,
                           [(x0 + a * (x1 - x0), y0 + b * (y1 - y0)) for a, b in fr], crs=ex.crs)
    return request.param, ex, G, sites


def test_real_extract_owners_and_cells(real):
    name, ex, G, sites = real
    t = time.perf_counter()
    owners = assign_edge_owners(G, stations=sites)
    t_own = time.perf_counter() - t
    assert len(owners) == G.number_of_edges() and owners["owner_id"].notna().all()
    assert (owners.groupby("segment")["owner_id"].nunique() == 1).all()
    assert set(owners.loc[owners["owner_kind"] == "station", "owner_id"]) <= set(sites["station_id"])
    table = split_summary(owners)
    print(f"\n{name}: owners in {t_own:.2f} s (network Voronoi, 4 synthetic sites)")
    print(table[["owner_id", "main_km", "local_km", "edges"]].round(2).to_string(index=False))
    # each station owns local roads; the brigade owns all main roads and nothing else
    brig = table.set_index("owner_id").loc["brigade"]
    assert brig["local_km"] == 0 and brig["main_km"] > 10
    assert (table.loc[table["owner_kind"] == "station", "local_km"] > 1).all()
    t = time.perf_counter()
    cells = derive_jurisdictions(G, sites)
    t_cells = time.perf_counter() - t
    assert (cells.area > 0).all() and cells.geometry.is_valid.all()
    total = cells.geometry.union_all().area
    assert sum(cells.area) == pytest.approx(total, rel=1e-6)  # no overlaps
    # the polygons give the edges the same stations as the network Voronoi rule (a midpoint lying
    # exactly on a cell border, or an overpass crossing another road's midpoint, could differ)
    again = assign_edge_owners(G, stations=cells)
    agree = (again["station_id"] == owners["station_id"]).mean()
    print(f"{name}: cells in {t_cells:.2f} s; polygon owners agree with network owners on {agree:.1%} of edges")
    assert agree > 0.995


@pytest.mark.parametrize("k", [4, 6])
def test_real_extract_beats_balance(real, k):
    name, ex, G, sites = real
    t = time.perf_counter()
    beats = brigade_beats(G, k=k)
    dt = time.perf_counter() - t
    check_beats(G, beats, k)
    table = beat_table(beats)
    a = beats.attrs
    print(f"\n{name} k={k}: {dt:.2f} s, max/mean {a['max_over_mean']:.3f} "
          f"(bound {a['lower_bound_over_mean']:.3f}), "
          f"main-road pieces {a['components']} ({a['fragments']} small ones joined through local streets), "
          f"beat km {list((table['length_m'] / 1000).round(2))}")
    assert a["max_over_mean"] <= 1.15
    assert dt < 10


def test_real_city_blocks_form_grid_team_areas(real):
    """The extract's city blocks (faces of the street network, shrunk 8 m off the kerb) stand in
    for neighborhoods: tagged with the derived station cells, grouped into contiguous areas of
    balanced 'households' (one per 60 m2)."""
    name, ex, G, sites = real
    lines = shapely.get_parts(shapely.node(shapely.multilinestrings(ex.road_edges.geometry.to_numpy())))
    faces = shapely.buffer(shapely.get_parts(shapely.polygonize(lines)), -8.0)
    faces = faces[(shapely.area(faces) > 1_500) & (shapely.area(faces) < 200_000)]
    cells = derive_jurisdictions(G, sites)
    from geo.assign import tag_areas

    pts = gpd.GeoSeries(shapely.point_on_surface(faces), crs=ex.crs)
    sid = tag_areas(pts, {"station_id": (cells, "station_id")})["station_id"]
    nb = gpd.GeoDataFrame({"neighborhood_id": [f"F{i:04d}" for i in range(len(faces))],
                           "station_id": sid.to_numpy(),
                           "households": np.maximum(1, np.round(shapely.area(faces) / 60)).astype(int)},
                          geometry=faces, crs=ex.crs).dropna(subset=["station_id"])
    t = time.perf_counter()
    areas = grid_team_areas(nb, per_team_households=int(nb["households"].sum() / 24))
    dt = time.perf_counter() - t
    reps = areas.attrs["stations"]
    print(f"\n{name}: {len(nb)} blocks -> {len(areas)} grid-team areas in {dt:.2f} s; max/mean per station "
          f"{ {s: round(r['max_over_mean'], 3) for s, r in reps.items()} }")
    assert len(nb) > 50 and areas["neighborhoods"].sum() == len(nb)
    assert set(areas["station_id"]) == set(nb["station_id"])
    for s, r in reps.items():
        assert r["max_over_mean"] <= max(1.15, 1.15 * r["lower_bound_over_mean"]), s
    # blocks face each other across streets: areas hold together within the 150 m adjacency
    # except where a block is cut off (a park, a rail yard); the widest gap is reported
    gaps = areas["max_gap_m"]
    print(f"{name}: widest gap inside an area: median {gaps.median():.0f} m, max {gaps.max():.0f} m; "
          f"{(gaps <= 150).mean():.0%} of areas hold together within 150 m")
    if name.startswith("san_francisco"):
        assert (gaps <= 150).mean() > 0.9
    for aid, ids in zip(areas["area_id"], areas["neighborhood_ids"]):
        assert area_connected(nb, ids.split(","), areas.set_index("area_id").loc[aid, "max_gap_m"] + 0.01), aid


# ------------------------------------------------------------------------------------------------
# the demo district (when the generator is there)
# ------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    demo_mod = pytest.importorskip("geo.demo")
    if not hasattr(demo_mod, "build_demo"):
        pytest.skip("geo.demo.build_demo is not there yet")
    from app.storage.workspace import create_workspace

    d = demo_mod.build_demo(scale=1.0)
    return create_workspace(tmp_path_factory.mktemp("demo") / "demo.gpkg", d.layers, crs=d.crs, meta=d.meta,
                            sources=d.sources)


def test_demo_district_split(demo):
    t = time.perf_counter()
    out = split_layers(demo, k=10)
    dt = time.perf_counter() - t
    summary = out["split_summary"]
    a = summary.attrs
    beats = summary[summary["row"] == "beat"]
    print(f"\ndemo: split in {dt:.1f} s; beats max/mean {a['max_over_mean']:.3f}; "
          f"beat km {list(beats['main_km'].round(1))}")
    print(summary[summary["row"] == "owner"][["owner_id", "main_km", "local_km", "neighborhoods", "incidents"]]
          .round(1).to_string(index=False))
    assert a["max_over_mean"] <= 1.15
    assert len(beats) == 10
    owners = summary[summary["row"] == "owner"]
    assert owners["incidents"].sum() + a["incidents_unplaced"] == demo.count("incidents")
    areas = out["grid_team_areas"]
    print("demo grid-team areas, max/mean per station:",
          {s: round(r["max_over_mean"], 3) for s, r in areas.attrs["stations"].items()})
    for s, r in areas.attrs["stations"].items():
        assert r["areas"] == r["teams"] and r["max_over_mean"] <= max(1.15, 1.15 * r["lower_bound_over_mean"]), s


@pytest.mark.parametrize("k", [8, 9, 11, 12])
def test_demo_beats_balance(demo, k):
    from routing.graph import graph_from_workspace

    G = graph_from_workspace(demo)
    beats = brigade_beats(G, k=k)
    check_beats(G, beats, k)
    assert beats.attrs["max_over_mean"] <= 1.15
