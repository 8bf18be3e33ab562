"""Polygon imports repair what can be repaired and refuse the rest, row by row, with the reason:
self-intersecting (bow-tie) polygons are repaired, empty ones, lines, polygons outside the district
and polygons whose coordinates are metres in a file that says degrees are refused (issue 9)."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from pyproj import Transformer
from shapely.geometry import LineString, Polygon, box

from app.services.imports import import_table
from tests.app._fixtures import CENTER_LAT, CENTER_LON, build_workspace


def _deg_box(dx_m: float, dy_m: float, size_m: float = 300.0) -> Polygon:
    """A square ``size_m`` wide, ``dx_m``/``dy_m`` metres from the fixture's centre, in WGS84."""
    tr = Transformer.from_crs("EPSG:4547", "EPSG:4326", always_xy=True)
    back = Transformer.from_crs("EPSG:4326", "EPSG:4547", always_xy=True)
    cx, cy = back.transform(CENTER_LON, CENTER_LAT)
    x0, y0 = cx + dx_m, cy + dy_m
    ring = [tr.transform(x, y) for x, y in ((x0, y0), (x0 + size_m, y0), (x0 + size_m, y0 + size_m), (x0, y0 + size_m))]
    return Polygon(ring)


@pytest.fixture()
def ws(tmp_path):
    return build_workspace(tmp_path / "ws.gpkg")


def test_polygon_faults_repaired_or_refused_with_reasons(ws, tmp_path):
    good = _deg_box(-900, -900)
    b = _deg_box(200, 200)
    (x0, y0), (x1, _), (_, y2) = b.exterior.coords[0], b.exterior.coords[1], b.exterior.coords[2]
    bow_tie = Polygon([(x0, y0), (x1, y2), (x1, y0), (x0, y2)])  # self-intersecting
    assert not bow_tie.is_valid
    far = _deg_box(60_000, 0)  # 60 km east: outside the 4 km district
    metres = box(446_000, 3_078_000, 446_300, 3_078_300)  # projected metres in a file that says degrees
    line = LineString(list(_deg_box(500, -500).exterior.coords))
    rows = [("N9001", "好小区", good), ("N9002", "蝴蝶结小区", bow_tie), ("N9003", "远方小区", far),
            ("N9004", "米制小区", metres), ("N9005", "线小区", line), ("N9006", "空小区", Polygon())]
    frame = gpd.GeoDataFrame(
        {"neighborhood_id": [r[0] for r in rows], "name": [r[1] for r in rows], "kind": ["enclosed"] * len(rows),
         "households": [100] * len(rows), "community_id": ["C001"] * len(rows), "station_id": ["S01"] * len(rows)},
        geometry=[r[2] for r in rows], crs="EPSG:4326")
    src = tmp_path / "hoods.geojson"
    frame.to_file(src, driver="GeoJSON")
    before = ws.count("neighborhoods")

    new_ws, result, report = import_table(ws, "neighborhoods", src)

    got = new_ws.read("neighborhoods")
    added = got[got["neighborhood_id"].str.startswith("N900")]
    assert sorted(added["neighborhood_id"]) == ["N9001", "N9002"]  # the good one and the repaired bow-tie
    assert len(got) == before + 2
    assert added.geometry.is_valid.all() and not added.geometry.is_empty.any()
    assert added.set_index("neighborhood_id").loc["N9002"].geometry.area > 1000  # repaired, not emptied
    rejected = pd.read_csv(report, encoding="utf-8-sig", dtype=str)
    reasons = rejected.groupby("row")["reason"].apply(" ".join)
    assert set(reasons.index.astype(int)) == {3, 4, 5, 6}, reasons.to_dict()
    text = reasons.to_dict()
    assert "outside the district boundary by 58,000 m" in text["3"] and "neighborhoods" in text["3"], text["3"]
    assert "not degrees" in text["4"], text["4"]
    assert "polygon" in text["5"].lower()
    assert "geometry" in text["6"].lower()
