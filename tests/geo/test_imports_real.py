"""Real incident files from tests/data/incidents (provenance in tests/data/PROVENANCE.md)."""

import shutil
from pathlib import Path

import pandas as pd
import pytest

from app.services.imports import import_table
from app.storage.workspace import create_workspace

DATA = Path(__file__).parents[1] / "data"


@pytest.fixture(scope="module")
def vancouver(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("van")
    src = tmp / "vancouver_thefts_2020.csv.gz"
    shutil.copy(DATA / "incidents" / "vancouver_thefts_2020.csv.gz", src)
    ws = create_workspace(tmp / "van.gpkg", {}, crs="EPSG:32610", timezone="America/Vancouver")
    return import_table(ws, "incidents", src, coords="EPSG:32610")


def test_vancouver_thefts_in_utm_load_with_their_local_times(vancouver):
    ws, result, report = vancouver
    assert result.rows_read == 16_827
    assert result.column_map["X"] == "x" and result.column_map["TYPE"] == "category"
    # rows 1809 and 1811 share time, block and point but differ in TYPE: both are real, both kept
    assert report is None
    inc = ws.read("incidents")
    assert len(inc) == 16_827
    assert inc.crs.to_string() == "EPSG:32610"
    assert inc["category"].value_counts().to_dict() == {
        "theft_from_vehicle": 10_297, "other_theft": 5_684, "vehicle_theft": 846}
    first = inc.sort_values("source_row").iloc[0]
    assert first["occurred_at"].isoformat() == "2020-01-01T00:00:00-08:00"
    assert first["address"] == "11XX SKEENA ST"
    assert first.geometry.x == pytest.approx(497938.708171)
    # the spring-forward night: 02:00 on 2020-03-08 does not exist in Vancouver; it moves to 03:00
    dst = inc[inc["source_row"] == 4366].iloc[0]
    assert dst["occurred_at"].isoformat() == "2020-03-08T03:00:00-07:00"


def test_identical_rows_without_ids_are_reported_unless_kept(tmp_path):
    import gzip

    lines = gzip.decompress((DATA / "incidents" / "vancouver_thefts_2020.csv.gz").read_bytes()).decode().splitlines()
    src = tmp_path / "v.csv"
    src.write_text("\n".join(lines[:11] + [lines[5]]) + "\n", encoding="utf-8")  # row 12 repeats row 6
    ws = create_workspace(tmp_path / "van.gpkg", {}, crs="EPSG:32610", timezone="America/Vancouver")
    ws2, result, report = import_table(ws, "incidents", src, coords="EPSG:32610")
    rejected = pd.read_csv(report, encoding="utf-8-sig")
    assert list(rejected["row"]) == [12]
    assert "identical in every column to row 6" in rejected.loc[0, "reason"]
    assert ws2.count("incidents") == 10
    ws3 = create_workspace(tmp_path / "van2.gpkg", {}, crs="EPSG:32610", timezone="America/Vancouver")
    ws4, _, report = import_table(ws3, "incidents", src, coords="EPSG:32610", keep_duplicates=True)
    assert ws4.count("incidents") == 11


@pytest.fixture(scope="module")
def san_francisco(tmp_path_factory):
    from app.services.workspace import init_workspace

    tmp = tmp_path_factory.mktemp("sf")
    ws, summary = init_workspace(tmp / "sf.gpkg", osm=DATA / "osm" / "san_francisco_mission.osm.bz2",
                                 timezone="America/Los_Angeles")
    src = tmp / "san_francisco_robbery_2019.csv"
    shutil.copy(DATA / "incidents" / "san_francisco_robbery_2019.csv", src)
    return import_table(ws, "incidents", src, tolerance_m=0)


def test_san_francisco_robberies_snap_to_the_mission_streets(san_francisco):
    ws, result, report = san_francisco
    assert result.rows_read == 949
    assert result.column_map == {"uid": "incident_id", "offense_type": "category", "date_time": "occurred_at",
                                 "longitude": "lon", "latitude": "lat"}
    rejected = pd.read_csv(report, encoding="utf-8-sig")
    # everything rejected lies outside the extract's hull (about 300 of the 949 fall inside, per provenance)
    assert rejected["reason"].str.startswith("outside the workspace boundary").all()
    inc = ws.read("incidents")
    assert 250 <= len(inc) <= 320
    assert len(inc) + rejected["row"].nunique() == 949
    assert set(inc["category"]) == {"robbery"}
    assert (inc["place_kind"] == "street").all()
    within_15 = (inc["snap_distance_m"] <= 15).mean()
    assert within_15 > 0.9
    assert inc["snap_distance_m"].median() < 1.5
    # times are UTC in the file, stored in the workspace zone with their offset
    raw = pd.read_csv(DATA / "incidents" / "san_francisco_robbery_2019.csv", dtype=str)
    raw_time = pd.to_datetime(raw["date_time"].iloc[inc["source_row"] - 2].to_numpy(), utc=True)
    assert str(inc["occurred_at"].dt.tz) == "America/Los_Angeles"
    assert (inc["occurred_at"].dt.tz_convert("UTC").to_numpy() == raw_time.to_numpy()).all()
    assert list(raw["uid"].iloc[inc["source_row"] - 2]) == list(inc["incident_id"])
    snapped = inc[inc["edge_id"].notna()]
    edges = ws.read("road_edges").set_index("edge_id")
    d = snapped.geometry.distance(edges.loc[snapped["edge_id"].astype(int)].geometry, align=False)
    assert float(d.max()) < 0.01
