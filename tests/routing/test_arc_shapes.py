"""The arcs' drawings a plan is assembled from (``routing.patrol.assemble._arc_shapes``), on real
extracts: the walking table's, drawn from the road table's with each added reverse arc backwards,
are those read arc by arc from the walking graph."""

from __future__ import annotations

import numpy as np
import pytest

from routing.patrol.assemble import _arc_shapes
from routing.patrol.loops import walk_tools
from routing.postman import arc_table
from tests.routing.test_postman import DATA


@pytest.mark.parametrize("name", ["san_francisco_mission.osm.bz2", "shanghai_huangpu.osm"])
def test_the_walking_tables_drawings_are_its_arcs_drawings(name):
    from geo.osm import read_osm
    from routing.graph import graph_from_layers

    ext = read_osm(DATA / name)
    G = graph_from_layers(ext.road_nodes, ext.road_edges)
    road = arc_table(G, weight="length_m")
    W, walk = walk_tools(G, road)
    assert len(walk.tail) > len(road.tail)  # one-way streets walked both ways: reverse arcs added
    derived = _arc_shapes(W, walk)
    walk._cache.clear()  # forget where its arcs come from: read each from the walking graph
    direct = _arc_shapes(W, walk)
    for field in ("xy", "off", "frac", "leave", "reach"):
        assert np.array_equal(getattr(derived, field), getattr(direct, field)), field
    assert derived.names == direct.names
    # each reverse arc is its street's drawing backwards
    base, rev = walk_tools(G, road)[1]._cache["reverses"]
    assert base is road
    shapes = _arc_shapes(G, road)
    for k, j in enumerate(rev[:50].tolist()):
        a = derived.xy[derived.off[len(road.tail) + k]:derived.off[len(road.tail) + k + 1]]
        assert np.array_equal(a, shapes.xy[shapes.off[j]:shapes.off[j + 1]][::-1])
