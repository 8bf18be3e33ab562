"""Shortest paths among a team's places (``routing.nearest_paths``) against scipy's Dijkstra."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse
from scipy.sparse.csgraph import dijkstra

from routing.nearest_paths import distances_among
from routing.patrol.loops import walk_graph
from routing.postman import arc_table, node_xy
from tests.routing.test_postman import DATA


def _check(csr: sparse.csr_matrix, near: np.ndarray, li: np.ndarray) -> None:
    want, want_pred = dijkstra(csr[near][:, near], indices=li, return_predecessors=True)
    got, pred = distances_among(csr, near, li)
    a, b = want[:, li], got[:, li]
    assert np.array_equal(np.isinf(a), np.isinf(b))
    assert np.array_equal(a[np.isfinite(a)], b[np.isfinite(b)])
    # each path read back from the predecessors has the length said
    dense = csr[near][:, near].tocsr()
    for s in range(len(li)):
        for t in range(len(li)):
            if not np.isfinite(got[s, li[t]]) or s == t:
                assert (s != t) or pred[s, li[t]] == -9999
                continue
            v, walked = int(li[t]), 0.0
            while v != li[s]:
                u = int(pred[s, v])
                assert u >= 0
                walked += dense[u, v]
                v = u
            assert walked == pytest.approx(float(got[s, li[t]]), rel=1e-12, abs=1e-9)


@pytest.mark.parametrize("name", ["san_francisco_mission.osm.bz2", "shanghai_huangpu.osm"])
def test_real_extract_distances_are_scipys(name):
    from geo.osm import read_osm
    from routing.graph import graph_from_layers

    ext = read_osm(DATA / name)
    G = graph_from_layers(ext.road_nodes, ext.road_edges)
    rng = np.random.default_rng(7)
    for graph in (G, walk_graph(G)):  # one-way streets obeyed (e-bikes), and on foot
        tab = arc_table(graph, weight="length_m")
        xy = node_xy(graph, tab)
        csr = tab.csr()
        for _ in range(6):
            start = int(rng.integers(tab.n))
            near = np.flatnonzero(np.hypot(*(xy - xy[start]).T) <= rng.uniform(300, 1500))
            places = np.unique(np.r_[start, rng.choice(near, size=min(len(near), 20), replace=False)])
            li = np.searchsorted(near, places)
            _check(csr, near, li)


def test_unreached_places_and_a_lone_source():
    # 0 -> 1 -> 2, and 3 reached from nowhere: distances inf, predecessors -9999
    csr = sparse.csr_matrix((np.array([5.0, 7.0]), (np.array([0, 1]), np.array([1, 2]))), shape=(4, 4))
    dist, pred = distances_among(csr, np.arange(4), np.array([0, 2, 3]))
    assert dist[0, 2] == 12.0 and pred[0, 2] == 1 and pred[0, 1] == 0
    assert np.isinf(dist[0, 3]) and pred[0, 3] == -9999 and np.isinf(dist[1, 0])
    # a node left out of ``near`` is not walked through
    dist, _ = distances_among(csr, np.array([0, 2]), np.array([0, 1]))
    assert np.isinf(dist[0, 1])
