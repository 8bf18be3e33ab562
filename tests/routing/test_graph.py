"""The road graph: attributes, units, classification, osmnx compatibility."""

import geopandas as gpd
import networkx as nx
import numpy as np
import osmnx as ox
import pandas as pd
import pytest
import shapely

from geo.errors import CRSError, InputError
from routing.graph import classify_roads, graph_from_layers, main_highways, speed_kph

CRS = "EPSG:4547"


def lattice(n: int = 4, spacing: float = 100.0):
    """An n x n lattice; the middle row is a primary road, one column is one-way northbound."""
    ids = np.arange(n * n)
    xs = 590_000 + (ids % n) * spacing
    ys = 3_078_000 + (ids // n) * spacing
    nodes = gpd.GeoDataFrame({"node_id": ids, "x": xs, "y": ys}, geometry=shapely.points(xs, ys), crs=CRS)
    rows = []
    for i in ids:
        r, c = divmod(i, n)
        for j, horizontal in ((i + 1, True), (i + n, False)):
            if (horizontal and c == n - 1) or (not horizontal and r == n - 1):
                continue
            hw = "primary" if horizontal and r == n // 2 else "residential"
            oneway = (not horizontal) and c == 0
            pairs = [(i, j)] if oneway else [(i, j), (j, i)]
            for u, v in pairs:
                rows.append({"u": u, "v": v, "key": 0, "highway": hw, "oneway": oneway,
                             "name": "人民北路" if hw == "primary" else None, "maxspeed": "60" if hw == "primary" else None,
                             "geometry": shapely.LineString([(xs[u], ys[u]), (xs[v], ys[v])])})
    edges = gpd.GeoDataFrame(rows, geometry="geometry", crs=CRS)
    edges["edge_id"] = np.arange(len(edges))
    edges["length_m"] = edges.geometry.length
    return nodes, edges


def test_lattice_graph_attributes_and_units():
    nodes, edges = lattice()
    g = graph_from_layers(nodes, edges)
    assert g.number_of_nodes() == 16
    # 24 undirected segments; the 3 of column 0 are one-way
    assert g.number_of_edges() == 2 * 24 - 3
    assert g.graph["crs"].to_string() == CRS
    data = g.get_edge_data(8, 9)[0]
    assert data["road_class"] == "main" and data["name"] == "人民北路"
    assert data["length_m"] == pytest.approx(100.0)
    assert data["speed_kph"] == 60.0
    assert data["travel_time_s"] == pytest.approx(100 / (60 / 3.6))
    local = g.get_edge_data(1, 5)[0]
    assert local["road_class"] == "local" and local["speed_kph"] == 25.0
    assert g.has_edge(0, 4) and not g.has_edge(4, 0)
    assert nx.is_strongly_connected(g)


def test_osmnx_accepts_the_graph():
    g = graph_from_layers(*lattice())
    route = ox.routing.shortest_path(g, 0, 15, weight="length")
    assert route[0] == 0 and route[-1] == 15
    assert sum(g.get_edge_data(u, v)[0]["length"] for u, v in zip(route, route[1:])) == pytest.approx(600)
    nodes_gdf, edges_gdf = ox.convert.graph_to_gdfs(g)
    assert len(edges_gdf) == g.number_of_edges()


def test_classification_and_speed_rules():
    hw = pd.Series(["primary", "tertiary", "secondary_link", "residential", "trunk;primary", None])
    assert list(classify_roads(hw)) == ["main", "local", "main", "local", "main", "local"]
    assert list(classify_roads(hw, main=main_highways(include_tertiary=True)))[1] == "main"
    sp = speed_kph(pd.Series(["primary", "residential", "primary", "service"]),
                   pd.Series(["50", "30 mph", None, "999"]))
    assert list(sp.round(2)) == [50.0, 48.28, 45.0, 15.0]


def test_errors_name_the_fix():
    nodes, edges = lattice()
    with pytest.raises(CRSError, match="projected CRS"):
        graph_from_layers(nodes.to_crs(4326), edges)
    broken = edges.copy()
    broken.loc[0, "v"] = 999
    with pytest.raises(InputError, match="reference nodes missing from road_nodes .*edge_id 0"):
        graph_from_layers(nodes, broken)



def test_a_place_is_named_by_its_streets_or_the_nearest_one() -> None:
    """A stop's name on a sheet: the crossing of two named streets, the one street, the nearest named
    street along the streets ("...附近"), or "无名路口" when none is near."""
    from routing.graph import place_name

    G = nx.MultiDiGraph()
    for n, (x, y) in enumerate([(0, 0), (100, 0), (0, 100), (100, 100), (200, 100), (900, 900), (950, 900)]):
        G.add_node(n, x=x, y=y)
    for u, v, name in [(0, 1, "北湖路"), (0, 2, "抱石路"), (1, 3, None), (3, 4, None), (5, 6, None)]:
        for a, b in ((u, v), (v, u)):
            G.add_edge(a, b, name=name, length_m=100.0)
    assert place_name(G, 0) == ("北湖路与抱石路交叉口", "北湖路")
    assert place_name(G, 2) == ("抱石路", "抱石路")
    assert place_name(G, 3) == ("北湖路附近", "北湖路")  # 100 m from 北湖路 by the lane
    assert place_name(G, 4, search_m=150) == ("无名路口", None)  # 200 m: beyond the search
    assert place_name(G, 5) == ("无名路口", None)


def _square_neighborhood() -> nx.MultiDiGraph:
    """龙凤花园, the square 100..300 x 100..300; a lane runs into it from 人民北路 (x = 400) on its east
    side, two nameless lanes into it on its south side; node 5 stands 20 m north of it."""
    G = nx.MultiDiGraph()
    xy = {0: (400, 0), 1: (400, 200), 2: (280, 200), 3: (150, 80), 4: (250, 80), 5: (200, 320), 6: (400, 320),
          7: (150, 0), 8: (250, 0), 9: (150, 150), 10: (250, 150), 11: (180, 220)}
    for n, (x, y) in xy.items():
        G.add_node(n, x=x, y=y)
    streets = [(0, 1, "人民北路"), (1, 6, "人民北路"), (1, 2, None), (6, 5, "丽景路"), (7, 3, None), (3, 9, None),
               (8, 4, None), (4, 10, None), (7, 8, "渝水大道"), (2, 11, None)]
    for e, (u, v, name) in enumerate(streets):
        line = shapely.LineString([xy[u], xy[v]])
        for a, b, geom in ((u, v, line), (v, u, shapely.reverse(line))):
            G.add_edge(a, b, name=name, length_m=line.length, edge_id=e, geometry=geom)
    return G


def test_stops_at_a_gate_or_beside_a_neighborhood_are_named_by_it() -> None:
    import geopandas as gpd

    from routing.graph import PLACES_KEY, mark_neighborhoods, place_name

    G = _square_neighborhood()
    hood = gpd.GeoDataFrame({"neighborhood_id": ["N1"], "name": ["龙凤花园"]},
                            geometry=[shapely.box(100, 100, 300, 300)], crs="EPSG:4547")
    mark_neighborhoods(G, hood)
    # the lane from 人民北路 crosses the east side at (300, 200): its end inside is the east gate
    assert place_name(G, 2) == ("龙凤花园东门", "人民北路")
    # two nameless lanes cross the south side: 南一门 and 南二门, west to east
    assert (place_name(G, 3)[0], place_name(G, 4)[0]) == ("龙凤花园南一门", "龙凤花园南二门")
    assert place_name(G, 9) == place_name(G, 3)  # both ends of a lane within 60 m of where it crosses
    assert place_name(G, 11) == ("龙凤花园内", "人民北路")  # inside, 121 m from the gate
    # 20 m north of its edge, on 丽景路 only: beside its north side
    assert place_name(G, 5) == ("龙凤花园北侧", "丽景路")
    # a crossing of named streets far from it keeps its name; the copies of the graph share the names
    assert place_name(G, 6) == ("丽景路与人民北路交叉口", "丽景路") and place_name(G, 1) == ("人民北路", "人民北路")
    assert G.copy().graph[PLACES_KEY] is G.graph[PLACES_KEY]
    # without neighborhoods nothing changes
    H = _square_neighborhood()
    mark_neighborhoods(H, None)
    assert PLACES_KEY not in H.graph and place_name(H, 2) == ("人民北路附近", "人民北路")


def _speed_of_one_edge(highway: object, maxspeed: object) -> float:
    """The speed rule told edge by edge (the reference the vectorised rule must equal)."""
    import re

    from routing.graph import DEFAULT_SPEED_KPH

    def first(v: object) -> str | None:
        if isinstance(v, (list, tuple)):
            v = v[0] if v else None
        return None if v is None or (isinstance(v, float) and np.isnan(v)) else str(v).split(";")[0].strip()

    h, m = first(highway), first(maxspeed)
    default = float(DEFAULT_SPEED_KPH.get(h, 20.0)) if h is not None else 20.0
    found = re.search(r"(\d+(?:\.\d+)?)", m) if m is not None else None
    if found is None:
        return default
    kph = float(found.group(1)) * (1.609344 if "mph" in m.lower() else 1.0)
    return kph if 0 < kph < 200 else default


def test_a_real_citys_graph_is_what_networkx_builds_edge_by_edge() -> None:
    """Helsinki's centre (raw OSM PBF): the graph placed in bulk equals the one networkx's own
    ``add_edges_from`` builds from the same attributes (nodes, edges, keys, order, data), and
    each edge's speed equals the rule told edge by edge (speeds are worked out per distinct pair
    of tags)."""
    from pathlib import Path

    from geo.osm import read_osm

    ex = read_osm(Path(__file__).resolve().parents[1] / "data" / "osm" / "helsinki_centre.osm.pbf")
    nodes, edges = ex.road_nodes, ex.road_edges
    g = graph_from_layers(nodes, edges)
    ref = nx.MultiDiGraph(**g.graph)
    ref.add_nodes_from(g.nodes(data=True))
    ref.add_edges_from((int(u), int(v), int(k), dict(g.edges[int(u), int(v), int(k)]))
                       for u, v, k in zip(edges["u"], edges["v"], edges["key"]))
    assert nx.utils.graphs_equal(g, ref) and list(g.edges(keys=True)) == list(ref.edges(keys=True))
    assert g.number_of_edges() == len(edges) > 5000
    for u, v in list(g.edges())[:50]:  # the successors and predecessors share one key dict, as networkx keeps them
        assert g._succ[u][v] is g._pred[v][u]
    want = [_speed_of_one_edge(h, m) for h, m in zip(edges["highway"], edges["maxspeed"])]
    got = [d["speed_kph"] for _, _, d in g.edges(data=True)]
    by_edge = {d["edge_id"]: d["speed_kph"] for _, _, d in g.edges(data=True)}
    assert [by_edge[int(e)] for e in edges["edge_id"]] == pytest.approx(want)
    assert len(set(got)) >= 5  # several limits in the extract (10, 20, 30, 40, 50) and class defaults


def test_speeds_of_unusual_tags_per_pair_equal_the_rule_edge_by_edge() -> None:
    hw = pd.Series(["primary;secondary", None, "residential", ["trunk", "primary"], "footway", "weird", np.nan,
                    "primary", "primary"], dtype=object)
    ms = pd.Series(["50 mph", None, "30", ["40", "50"], "0", "signals", "300", "50", "50 mph"], dtype=object)
    assert speed_kph(hw, ms).tolist() == pytest.approx([_speed_of_one_edge(h, m) for h, m in zip(hw, ms)])
    assert speed_kph(hw).tolist() == pytest.approx([_speed_of_one_edge(h, None) for h in hw])
    assert speed_kph(hw.iloc[:0], ms.iloc[:0]).tolist() == []
