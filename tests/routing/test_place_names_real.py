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
