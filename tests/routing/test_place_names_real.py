"""Stops named by the compounds they stand at, on a real city: Helsinki's named school and
university grounds (raw OSM PBF) as the neighborhoods, their gates checked against the entrances
the camera module finds independently (:func:`geo.cameras.coverage.neighborhood_entrances`)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import osmium
import pytest
import shapely
import shapely.wkb

from geo.cameras.coverage import neighborhood_entrances
from geo.osm import read_osm
from routing.graph import GATE_NEAR_M, PLACES_KEY, graph_from_layers, mark_neighborhoods, place_name

PBF = Path(__file__).resolve().parents[1] / "data" / "osm" / "helsinki_centre.osm.pbf"


class _Grounds(osmium.SimpleHandler):
    """Named areas of schools, universities and residential land."""

    def __init__(self) -> None:
        super().__init__()
        self.wkb = osmium.geom.WKBFactory()
        self.rows: list[tuple[str, object]] = []

    def area(self, a: osmium.osm.Area) -> None:
        t = a.tags
        if "name" in t and (t.get("landuse") == "residential" or t.get("amenity") in ("school", "university", "college")):
            try:
                self.rows.append((t["name"], shapely.wkb.loads(self.wkb.create_multipolygon(a), hex=True)))
            except RuntimeError:  # an area clipped by the extract's edge
                pass


@pytest.fixture(scope="module")
def helsinki() -> tuple[object, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    ex = read_osm(PBF)
    h = _Grounds()
    h.apply_file(str(PBF), locations=True)
    areas = gpd.GeoDataFrame({"neighborhood_id": [f"A{i}" for i in range(len(h.rows))],
                              "name": [n for n, _ in h.rows]}, geometry=[g for _, g in h.rows], crs="EPSG:4326")
    return graph_from_layers(ex.road_nodes, ex.road_edges), areas.to_crs(ex.crs), ex.road_edges


def test_real_compound_gates_are_where_streets_enter_them(helsinki) -> None:
    G, areas, edges = helsinki
    assert len(areas) >= 4
    mark_neighborhoods(G, areas)
    places = G.graph[PLACES_KEY]
    gates = {n: label for n, (kind, label) in places.items() if kind == "gate"}
    assert len(gates) >= 5, gates
    entrances = neighborhood_entrances(areas, edges)
    by_area = {nid: shapely.MultiPoint(entrances.loc[entrances["neighborhood_id"] == nid, ["x", "y"]].to_numpy())
               for nid in areas["neighborhood_id"]}
    name_of = dict(zip(areas["name"], areas["neighborhood_id"]))
    for node, label in gates.items():
        area = next(n for n in sorted(name_of, key=len, reverse=True) if label.startswith(n))
        assert "门" in label[len(area):], label
        p = shapely.Point(G.nodes[node]["x"], G.nodes[node]["y"])
        assert p.distance(by_area[name_of[area]]) <= GATE_NEAR_M + 1e-6, (label, node)
        assert place_name(G, node)[0] == label
    # beside and inside: within 30 m of the area, named by it
    for node, (kind, label) in places.items():
        if kind == "beside":
            p = shapely.Point(G.nodes[node]["x"], G.nodes[node]["y"])
            area = areas.geometry[areas["name"] == label[:-1] if label.endswith("内") else
                                  areas["name"] == label[:-2]].iloc[0]
            assert p.distance(area) <= 30.0 + 1e-6
    kinds = np.array([k for k, _ in places.values()])
    assert (kinds == "beside").sum() > 0


def test_each_real_street_is_one_line_not_one_per_direction(helsinki) -> None:
    """The streets a sheet is drawn on and a gate is found on, from the graph and straight from the
    layer alike: a two-way street (two arcs, each with its own edge_id, as OSM imports store them)
    once; a one-way street once."""
    from routing.graph import street_lines, street_lines_of_layer

    G, _, edges = helsinki
    from_graph, from_layer = street_lines(G), street_lines_of_layer(edges)
    assert np.array_equal(from_graph.edge_id, from_layer.edge_id)
    assert np.array_equal(from_graph.u.astype(np.int64), from_layer.u)
    assert np.array_equal(from_graph.main, from_layer.main)
    assert list(from_graph.names) == list(from_layer.names)
    assert all(a.equals(b) for a, b in zip(from_graph.geoms, from_layer.geoms))
    # counted independently: an arc is left out when the reverse arc of its street (the same line
    # backwards) has a lower edge_id
    lines = {tuple(map(tuple, shapely.get_coordinates(g).round(3))): e
             for e, g in zip(edges["edge_id"].tolist(), edges.geometry)}
    twins = sum(1 for coords, e in lines.items() if lines.get(coords[::-1], e) < e)
    assert 0 < twins and len(from_layer.edge_id) == len(edges) - twins
    assert len(set(from_layer.edge_id.tolist())) == len(from_layer.edge_id)


def test_a_side_with_one_real_gate_is_its_gate_not_its_first(helsinki) -> None:
    """Each direction of a two-way street crossing into an area counted as a gate of its own made
    every gate 'X东一门' on its side; a gate is numbered, or named by its street, only beside another
    gate on its side now."""
    G, areas, _ = helsinki
    mark_neighborhoods(G, areas)
    labels = {label for kind, label in G.graph[PLACES_KEY].values() if kind == "gate"}
    assert any(label.endswith(("东门", "西门", "南门", "北门")) for label in labels), labels
    for label in labels:  # numbered or named by its street: the side has another gate
        if label.endswith("一门") or label.endswith("）"):
            side = label[:-2] if label.endswith("一门") else label[:label.index("门（")]
            assert any(o != label and o.startswith(side) and "门" in o[len(side):] for o in labels), (label, labels)
