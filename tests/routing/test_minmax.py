"""Several vehicles on one beat (routing.minmax.share_tour): every required arc driven by exactly one
of k closed routes from the base, the longest within 10 % of the lower bound on the demo's main
roads for k = 2..12, never longer than the tour's split, the same routes when asked twice."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from routing.minmax import share_tour
from routing.postman import arc_table, node_xy, postman_tour, split_tour
from tests.routing.test_postman import DATA, check_walk, graph, lattice


def check_routes(G: nx.MultiDiGraph, kr, required: list[int], depot) -> None:
    served: list[int] = []
    for r in kr.routes:
        if r.arcs:
            check_walk(G, r, [e for e, s in zip(r.edge_ids, r.serviced) if s])
            assert r.depot == depot
        served += [e for e, s in zip(r.edge_ids, r.serviced) if s]
    assert sorted(served) == sorted(set(required))  # each required arc driven for service exactly once
    assert kr.max_cost == pytest.approx(max(r.cost for r in kr.routes))
    assert kr.max_cost >= kr.lower_bound - 1e-6


@st.composite
def lattices(draw):
    rows, cols = draw(st.integers(3, 6)), draw(st.integers(3, 6))
    segs = 2 * rows * cols - rows - cols
    oneway = draw(st.sets(st.integers(0, segs - 1), max_size=segs // 3))
    lengths = draw(st.lists(st.integers(20, 300), min_size=segs, max_size=segs))
    G = lattice(rows, cols, oneway=oneway, lengths=lengths)
    G = G.subgraph(max(nx.strongly_connected_components(G), key=len)).copy()
    ids = sorted(d["edge_id"] for _, _, d in G.edges(data=True))
    req = draw(st.lists(st.sampled_from(ids), min_size=min(8, len(ids)), max_size=len(ids), unique=True))
    return G, req, draw(st.sampled_from(sorted(G.nodes))), draw(st.integers(2, 6))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lattices())
def test_property_shared_routes_cover_once_and_never_lose_to_the_split(inst):
    G, req, depot, k = inst
    tab = arc_table(G)
    tour = postman_tour(tab, req, depot=depot)
    kr = share_tour(tab, tour, k, xy=node_xy(G, tab))
    assert len(kr.routes) == k
    check_routes(G, kr, req, depot)
    assert kr.max_cost <= split_tour(tab, tour, k).max_cost + 1e-6


def test_star_gives_each_vehicle_its_spokes():
    # eight two-way spokes of 100 m round the base at 45-degree steps; four vehicles: two spokes each
    arcs = []
    for s in range(8):
        arcs += [("o", s, 100), (s, "o", 100)]
    G = graph(arcs)
    for s in range(8):
        G.nodes[s]["x"], G.nodes[s]["y"] = np.cos(s * np.pi / 4) * 100, np.sin(s * np.pi / 4) * 100
    G.nodes["o"]["x"] = G.nodes["o"]["y"] = 0.0
    tab = arc_table(G)
    tour = postman_tour(tab, range(16), depot="o")
    kr = share_tour(tab, tour, 4, xy=node_xy(G, tab))
    assert [r.length_m for r in kr.routes] == [400] * 4 and kr.gap == 0
    check_routes(G, kr, list(range(16)), "o")


@pytest.fixture(scope="module")
def main_beat(demo_district):
    """The demo's main roads as one beat from the main-road node nearest their middle (the bench's
    ``routes.minmax`` instance)."""
    from routing.graph import graph_from_layers

    G = graph_from_layers(demo_district.layers["road_nodes"], demo_district.layers["road_edges"])
    tab = arc_table(G)
    xy = node_xy(G, tab)
    main = [i for i in range(len(tab.tail)) if G.edges[tab.arc(i)].get("road_class") == "main"]
    pts = xy[tab.tail[main]]
    depot = tab.nodes[tab.tail[main[int(np.argmin(np.hypot(*(pts - pts.mean(axis=0)).T)))]]]
    tour = postman_tour(tab, [tab.arc(i) for i in main], depot=depot)
    return G, tab, xy, tour, [int(tab.edge_id[i]) for i in main]


@pytest.mark.parametrize("k", range(2, 13))
def test_demo_main_roads_shared_by_k_cars_within_ten_percent_of_the_bound(main_beat, k):
    G, tab, xy, tour, req = main_beat
    kr = share_tour(tab, tour, k, xy=xy)
    split = split_tour(tab, tour, k)
    print(f"k={k}: longest {kr.max_cost / 1000:.1f} km, bound {kr.lower_bound / 1000:.1f} km, "
          f"x{kr.max_cost / kr.lower_bound:.3f} (the tour's split x{split.max_cost / split.lower_bound:.3f})")
    check_routes(G, kr, req, tour.depot)
    assert kr.max_cost <= 1.10 * kr.lower_bound
    assert kr.max_cost <= split.max_cost + 1e-6


def test_same_routes_when_asked_twice(main_beat):
    G, tab, xy, tour, _ = main_beat
    a, b = share_tour(tab, tour, 7, xy=xy), share_tour(tab, tour, 7, xy=xy.copy())
    assert [r.arcs for r in a.routes] == [r.arcs for r in b.routes]


@pytest.mark.parametrize("name", ["san_francisco_mission.osm.bz2", "shanghai_huangpu.osm"])
def test_real_extract_main_roads_shared(name):
    from geo.osm import read_osm
    from routing.graph import graph_from_layers

    ext = read_osm(DATA / name)
    G = graph_from_layers(ext.road_nodes, ext.road_edges)
    scc = max(nx.strongly_connected_components(G), key=len)
    req = [d["edge_id"] for u, v, d in G.edges(data=True) if d["road_class"] == "main" and u in scc and v in scc]
    tab = arc_table(G)
    xy = node_xy(G, tab)
    pts = np.array([xy[tab.index[u]] for u, v, d in G.edges(data=True) if d["edge_id"] in set(req)])
    depot = tab.nodes[int(np.argmin(np.hypot(*(xy - pts.mean(axis=0)).T) + np.where(
        np.isin(np.arange(tab.n), [tab.index[n] for n in scc]), 0, np.inf)))]
    tour = postman_tour(tab, req, depot=depot)
    for k in (3, 6):
        kr = share_tour(tab, tour, k, xy=xy)
        split = split_tour(tab, tour, k)
        print(f"{name} k={k}: x{kr.max_cost / kr.lower_bound:.3f} (split x{split.max_cost / split.lower_bound:.3f})")
        check_routes(G, kr, req, depot)
        assert kr.max_cost <= split.max_cost + 1e-6
