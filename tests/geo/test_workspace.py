"""Workspace round-trip, validation and atomic writes."""

import os
import subprocess
import sys

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from geo.errors import CRSError, InputError, WorkspaceError
from geo.schema import LAYERS
from app.storage.workspace import Workspace, create_workspace, validate_layer

CRS = "EPSG:4547"
X0, Y0 = 591_000.0, 3_078_000.0  # near Xinyu's centre in EPSG:4547


def _layers():
    boundary = gpd.GeoDataFrame(
        {"name": ["渝水区"], "adcode": ["360502"]},
        geometry=[shapely.box(X0, Y0, X0 + 2000, Y0 + 2000)],
        crs=CRS,
    )
    stations = gpd.GeoDataFrame(
        {"station_id": ["S01", "S02"], "name": ["北湖路派出所", "抱石路派出所"], "name_en": ["Beihu Road", "Baoshi Road"],
         "site_x": [X0 + 500, X0 + 1500], "site_y": [Y0 + 1000, Y0 + 1000]},
        geometry=[shapely.box(X0, Y0, X0 + 1000, Y0 + 2000), shapely.box(X0 + 1000, Y0, X0 + 2000, Y0 + 2000)],
        crs=CRS,
    )
    incidents = gpd.GeoDataFrame(
        {
            "incident_id": ["I1", "I2", "I3"],
            "occurred_at": pd.to_datetime(
                ["2025-03-01 20:15", "2025-12-31 23:59:59", "2024-07-01 00:00"], format="ISO8601"
            ).tz_localize("Asia/Shanghai"),
            "category": ["robbery", "burglary", "snatching"],
            "place_kind": ["street", "neighborhood", "street"],
            "station_id": ["S01", "S02", None],
        },
        geometry=shapely.points([[X0 + 10, Y0 + 10], [X0 + 1500, Y0 + 20], [X0 + 30, Y0 + 1900]]),
        crs=CRS,
    )
    return {"boundary": boundary, "stations": stations, "incidents": incidents}


def test_round_trip_keeps_values_names_and_times(tmp_path):
    path = tmp_path / "ws.gpkg"
    layers = _layers()
    ws = create_workspace(path, layers, crs=CRS, meta={"as_of": "2026-10-31"}, sources={"incidents": "test"})
    again = Workspace(path)
    assert sorted(again.layers()) == ["boundary", "incidents", "stations"]
    assert again.meta["working_crs"] == CRS
    assert again.meta["schema_version"] == "1"
    assert again.meta["source:incidents"] == "test"
    assert again.meta["as_of"] == "2026-10-31"
    stations = again.read("stations")
    assert list(stations["name"]) == ["北湖路派出所", "抱石路派出所"]
    assert stations.crs.to_string() == CRS
    assert set(stations.geom_type) == {"MultiPolygon"}
    assert stations.geometry.area.sum() == pytest.approx(4_000_000)
    inc = again.read("incidents")
    assert str(inc["occurred_at"].dt.tz) == "Asia/Shanghai"
    assert list(inc["occurred_at"]) == list(layers["incidents"]["occurred_at"])
    assert inc["station_id"].isna().sum() == 1
    info = ws.info()
    counts = {li.name: li.features for li in info.layers}
    assert counts == {"boundary": 1, "stations": 2, "incidents": 3}
    w, s, e, n = info.extent_wgs84
    assert 114.8 < w < e < 115.1 and 27.7 < s < n < 27.9


def test_times_given_without_zone_are_taken_as_workspace_local(tmp_path):
    layers = _layers()
    layers["incidents"]["occurred_at"] = pd.to_datetime(["2025-03-01 20:15"] * 3)
    ws = create_workspace(tmp_path / "ws.gpkg", layers, crs=CRS)
    got = ws.read("incidents")["occurred_at"].iloc[0]
    assert got.isoformat() == "2025-03-01T20:15:00+08:00"


def test_geographic_working_crs_is_refused(tmp_path):
    with pytest.raises(CRSError, match="geographic .*EPSG:4547"):
        create_workspace(tmp_path / "ws.gpkg", {}, crs="EPSG:4326")


def test_validation_collects_every_problem_and_writes_nothing(tmp_path):
    layers = _layers()
    bad_stations = layers["stations"].drop(columns=["site_x", "site_y"])
    bad_incidents = layers["incidents"].to_crs("EPSG:4326")
    path = tmp_path / "ws.gpkg"
    with pytest.raises(InputError) as err:
        create_workspace(path, {"stations": bad_stations, "incidents": bad_incidents}, crs=CRS)
    message = str(err.value)
    assert "2 problem(s)" in message
    assert "layer 'stations': missing column(s) site_x, site_y" in message
    assert "layer 'incidents': CRS EPSG:4326 differs from the working CRS EPSG:4547" in message
    assert ".to_crs(working_crs)" in message
    assert not path.exists()
    assert not list(tmp_path.iterdir())


def test_wrong_geometry_type_is_named():
    stations = _layers()["stations"]
    stations = stations.set_geometry(stations.geometry.centroid)
    problems = validate_layer("stations", stations, crs=CRS)
    assert any("['Point'] where MultiPolygon is expected" in p for p in problems)


def test_failed_write_leaves_the_previous_workspace_intact(tmp_path):
    path = tmp_path / "ws.gpkg"
    ws = create_workspace(path, _layers(), crs=CRS)
    before = path.read_bytes()
    bad = _layers()["incidents"].drop(columns=["category"])
    with pytest.raises(InputError, match="missing column"):
        ws.write({"incidents": bad})
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ws.gpkg"]


def test_write_replaces_layers_and_updates_meta(tmp_path):
    ws = create_workspace(tmp_path / "ws.gpkg", _layers(), crs=CRS)
    created = ws.meta["created_at"]
    new = ws.write({"incidents": _layers()["incidents"].iloc[:1]}, meta={"note": {"k": [1, 2]}})
    assert new.count("incidents") == 1
    assert new.meta["created_at"] == created
    assert new.meta_json("note") == {"k": [1, 2]}
    assert oct(os.stat(new.path).st_mode & 0o777) != "0o600"


def test_killed_write_leaves_the_previous_workspace_intact(tmp_path):
    """A writer killed with SIGKILL in the middle of a write leaves the old file untouched."""
    path = tmp_path / "ws.gpkg"
    create_workspace(path, _layers(), crs=CRS)
    before = path.read_bytes()
    script = f"""
import os, signal
import app.storage.workspace as w
from app.storage.workspace import Workspace
real = w._write_layer
def dying(path, name, frame):
    real(path, name, frame)
    os.kill(os.getpid(), signal.SIGKILL)
w._write_layer = dying
ws = Workspace({str(path)!r})
ws.write({{"boundary": ws.read("boundary"), "stations": ws.read("stations")}})
"""
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=120)
    assert proc.returncode == -9
    assert path.read_bytes() == before
    assert Workspace(path).count("stations") == 2


def test_open_errors_name_the_file_and_the_fix(tmp_path):
    with pytest.raises(WorkspaceError, match="does not exist; build one with 'patrolnet demo'"):
        Workspace(tmp_path / "missing.gpkg")
    junk = tmp_path / "junk.gpkg"
    junk.write_text("not a geopackage")
    with pytest.raises(WorkspaceError, match="cannot be opened as a GeoPackage"):
        Workspace(junk)
    other = tmp_path / "other.gpkg"
    _layers()["boundary"].to_file(other, layer="boundary")
    with pytest.raises(WorkspaceError, match="not a patrolnet workspace"):
        Workspace(other)
    ws = create_workspace(tmp_path / "ok.gpkg", _layers(), crs=CRS)
    with pytest.raises(WorkspaceError, match="has no layer 'cameras'"):
        ws.read("cameras")


def test_schema_declares_every_layer_of_the_design():
    for name in ["boundary", "stations", "communities", "neighborhoods", "subzones", "road_edges",
                 "road_nodes", "cameras", "incidents", "units", "meta"]:
        assert name in LAYERS


def test_data_model_doc_is_generated_from_the_schema():
    from pathlib import Path

    from geo.schema import schema_markdown

    doc = (Path(__file__).parents[2] / "docs" / "data-model.md").read_text(encoding="utf-8")
    assert doc.endswith(schema_markdown()), "docs/data-model.md is stale: run `python -m geo.schema`"


def test_read_pages_in_the_reader(tmp_path):
    ws = create_workspace(tmp_path / "ws.gpkg", _layers(), crs=CRS)
    page = ws.read("incidents", skip_features=1, max_features=1)
    assert list(page["incident_id"]) == ["I2"]
    assert len(ws.read("incidents", skip_features=3)) == 0


def test_concurrent_writers_take_turns_and_both_changes_survive(tmp_path):
    """Two processes write different layers at the same time: the writer lock makes the second copy
    the file as the first left it, so both layers (and both meta keys) are there at the end."""
    path = tmp_path / "ws.gpkg"
    create_workspace(path, _layers(), crs=CRS)
    script = """
import sys, time
import app.storage.workspace as w
real = w._write_layer
def slow(path, name, frame):
    time.sleep(1.0)  # hold the lock long enough for the other writer to queue behind it
    real(path, name, frame)
w._write_layer = slow
ws = w.Workspace(sys.argv[1])
layer = sys.argv[2]
frame = ws.read("stations") if layer == "stations_copy" else ws.read("boundary")
ws.write({layer: frame}, meta={"writer_" + layer: "done"})
"""
    procs = [subprocess.Popen([sys.executable, "-c", script, str(path), layer])
             for layer in ("stations_copy", "boundary_copy")]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    ws = Workspace(path)
    assert {"stations_copy", "boundary_copy"} <= set(ws.layers())
    assert ws.meta["writer_stations_copy"] == "done" and ws.meta["writer_boundary_copy"] == "done"
