"""The command line: one-line errors with exit code 2, info output, import with its report."""

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import cli
from app.storage.workspace import create_workspace

DATA = Path(__file__).parents[1] / "data"
runner = CliRunner()


def test_info_on_a_missing_workspace_is_a_one_line_error(tmp_path):
    result = runner.invoke(cli, ["info", str(tmp_path / "nope.gpkg")])
    assert result.exit_code == 2
    assert "error:" in result.output
    assert "does not exist; build one with 'patrolnet demo'" in result.output


def test_info_json(tmp_path):
    src = tmp_path / "v.csv.gz"
    shutil.copy(DATA / "incidents" / "vancouver_thefts_2020.csv.gz", src)
    ws = create_workspace(tmp_path / "van.gpkg", {}, crs="EPSG:32610", timezone="America/Vancouver")
    result = runner.invoke(cli, ["import", str(ws.path), "incidents", str(src), "--coords", "EPSG:32610", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["accepted"] == 16_827 and summary["rejected"] == 0
    result = runner.invoke(cli, ["info", str(ws.path), "--json"])
    assert result.exit_code == 0, result.output
    info = json.loads(result.output)
    assert info["crs"] == "EPSG:32610"
    assert {"name": "incidents", "geometry_type": "Point", "features": 16_827}.items() <= info["layers"][0].items()
    w, s, e, n = info["extent_wgs84"]
    assert -123.3 < w < e < -123.0 and 49.1 < s < n < 49.4


def test_import_errors_name_the_fix(tmp_path):
    ws = create_workspace(tmp_path / "ws.gpkg", {}, crs="EPSG:4547")
    csv = tmp_path / "a.csv"
    csv.write_text("经度,纬度,发案时间,案件类别\n114.93,27.82,2025-01-01 10:00,抢劫\n", encoding="utf-8")
    result = runner.invoke(cli, ["import", str(ws.path), "roads", str(csv)])
    assert result.exit_code == 2 and "LAYER 'roads' cannot be imported" in result.output
    result = runner.invoke(cli, ["import", str(ws.path), "incidents", str(csv), "--map", "oops"])
    assert result.exit_code == 2 and "write it as SOURCE=TARGET" in result.output
    result = runner.invoke(cli, ["import", str(ws.path), "incidents", str(csv), "--map", "时间=occurred_at"])
    assert result.exit_code == 2 and "the file has no column '时间'" in result.output
    result = runner.invoke(cli, ["import", str(ws.path), "incidents", str(csv), "--coords", "utm"])
    assert result.exit_code == 2 and "unknown coordinate system 'utm'" in result.output


def test_import_reports_rejected_rows_in_chinese_by_default(tmp_path):
    ws = create_workspace(tmp_path / "ws.gpkg", {}, crs="EPSG:4547")
    csv = tmp_path / "a.csv"
    csv.write_text("经度,纬度,发案时间,案件类别\n114.93,27.82,2025-01-01 10:00,抢劫\n,,2025-01-01 11:00,抢劫\n",
                   encoding="gbk")
    result = runner.invoke(cli, ["import", str(ws.path), "incidents", str(csv)])
    assert result.exit_code == 0, result.output
    assert "已导入 1 / 2 行到图层 incidents" in result.output
    assert "拒收 1 行" in result.output
    result = runner.invoke(cli, ["import", str(ws.path), "incidents", str(csv), "--lang", "en", "--replace"])
    assert "Imported 1 of 2 rows into layer incidents" in result.output


@pytest.mark.parametrize("args", [["demo", "--as-of", "31/10/2026", "--no-serve", "--workspace", "x.gpkg"]])
def test_bad_option_values_exit_2(args, tmp_path):
    result = runner.invoke(cli, args)
    assert result.exit_code == 2
    assert "is not a date; give it as YYYY-MM-DD" in result.output


def test_init_from_real_extracts_and_boundary(tmp_path):
    out = tmp_path / "sh.gpkg"
    result = runner.invoke(cli, ["init", str(out), "--osm", str(DATA / "osm" / "shanghai_huangpu.osm"), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["workspace"]["crs"] == "EPSG:4549"
    layers = {li["name"]: li["features"] for li in summary["workspace"]["layers"]}
    assert layers["road_edges"] > 1000 and layers["boundary"] == 1
    assert summary["boundary"].startswith("derived from the road network")
    result = runner.invoke(cli, ["init", str(out), "--osm", str(DATA / "osm" / "shanghai_huangpu.osm")])
    assert result.exit_code == 2 and "already exists" in result.output
    xinyu = tmp_path / "xinyu.gpkg"
    result = runner.invoke(cli, ["init", str(xinyu), "--boundary", str(DATA / "boundary" / "xinyu_360500.geojson"),
                                 "--boundary-coords", "gcj02", "--json"])
    assert result.exit_code == 0, result.output
    info = json.loads(result.output)["workspace"]
    assert info["crs"] == "EPSG:4547"
    result = runner.invoke(cli, ["init", str(tmp_path / "a.gpkg"), "--osm", str(tmp_path / "missing.osm")])
    assert result.exit_code == 2 and "--osm" in result.output and "does not exist" in result.output
    result = runner.invoke(cli, ["init", str(tmp_path / "b.gpkg")])
    assert result.exit_code == 2 and "nothing to build from" in result.output
    result = runner.invoke(cli, ["init", str(tmp_path / "c.gpkg"), "--crs", "EPSG:32610", "--timezone", "Mars/Base"])
    assert result.exit_code == 2 and "not a known time zone" in result.output


def test_gcj02_boundary_moves_to_wgs84(tmp_path):
    """The DataV boundary is in GCJ-02: read as such it shifts a few hundred metres onto WGS84."""
    from pyproj import Geod

    from app.services.imports import read_boundary

    raw = read_boundary(DATA / "boundary" / "xinyu_360500.geojson", coords="wgs84")
    fixed = read_boundary(DATA / "boundary" / "xinyu_360500.geojson", coords="gcj02")
    assert list(fixed["name"]) == ["渝水区", "分宜县"]
    a, b = raw.geometry.iloc[0].centroid, fixed.geometry.iloc[0].centroid
    shift = Geod(ellps="WGS84").inv(a.x, a.y, b.x, b.y)[2]
    assert 300 < shift < 800
    area_km2 = fixed.to_crs("EPSG:4547").geometry.area.iloc[0] / 1e6
    assert area_km2 == pytest.approx(1793, rel=0.03)


def test_grid_and_split_on_the_demo(demo_workspace, tmp_path):
    path = str(demo_workspace.path)
    result = runner.invoke(cli, ["grid", path, "--count", "1979", "--export-dir", str(tmp_path / "g"), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["subzones"] == 1979
    result = runner.invoke(cli, ["split", path, "--brigade-units", "10", "--export-dir", str(tmp_path / "s"), "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["balance"]["beats"] == 10
    assert out["balance"]["max_over_mean"] <= 1.15
    owners = {r["owner_id"]: r for r in out["summary"] if r["row"] == "owner"}
    assert owners["brigade"]["local_km"] == 0 and owners["brigade"]["main_km"] > 100
    assert all(r["main_km"] == 0 for k, r in owners.items() if k != "brigade")
    assert sum(r["subzones"] for r in owners.values()) == 1979
    beats = json.loads((tmp_path / "s" / "yushui-beats.geojson").read_text(encoding="utf-8"))
    assert len(beats["features"]) == 10
    lon, lat = beats["features"][0]["geometry"]["coordinates"][0][0]
    assert 114.7 < lon < 115.2 and 27.6 < lat < 28.1
    result = runner.invoke(cli, ["grid", path, "--count", "5", "--target-area-m2", "100"])
    assert result.exit_code == 2 and "either --count or --target-area-m2" in result.output


def test_hotspots_forecast_backtest_on_the_demo(demo_workspace, tmp_path):
    path = str(demo_workspace.path)
    out = tmp_path / "hs"
    result = runner.invoke(cli, ["hotspots", path, "--out", str(out), "--from", "2025-11-01", "--to", "2026-10-31",
                                 "--category", "two_robberies_one_theft", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["incidents"] > 500
    assert summary["subzones"].get("hot", 0) > 0
    assert summary["knox"]["p_value"] < 0.05
    header = (out / "yushui-density.asc").read_text(encoding="ascii").splitlines()[:6]
    assert header[0].startswith("ncols") and header[4] == "cellsize 50.000"
    assert (out / "yushui-density.prj").exists()
    csv = tmp_path / "fc.csv"
    result = runner.invoke(cli, ["forecast", path, "--out", str(csv), "--top", "3"])
    assert result.exit_code == 0, result.output
    import pandas as pd

    ranked = pd.read_csv(csv, encoding="utf-8-sig")
    assert len(ranked) == 1979 and list(ranked["rank"][:3]) == [1, 2, 3]
    assert ranked["density"].is_monotonic_decreasing
    assert (ranked["lon"].between(114.7, 115.2)).all()
    bt = tmp_path / "bt.csv"
    result = runner.invoke(cli, ["backtest", path, "--out", str(bt), "--start-week", "30", "--end-week", "33",
                                 "--tune-weeks", "none", "--year", "2026"])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(bt, encoding="utf-8-sig")
    assert {"naive_since_jan", "shrinkage", "oracle (true intensity)"} <= set(table["method"])
    result = runner.invoke(cli, ["backtest", path, "--out", str(bt), "--tune-weeks", "2-20", "--start-week", "14"])
    assert result.exit_code == 2 and "must end before --start-week 14" in result.output
    result = runner.invoke(cli, ["forecast", path, "--out", str(tmp_path / "x.txt")])
    assert result.exit_code == 2 and "use a .csv, .gpkg or .geojson file" in result.output


def test_routes_for_a_shift_on_the_demo(demo_workspace, tmp_path):
    import xml.etree.ElementTree as ET

    path = str(demo_workspace.path)
    result = runner.invoke(cli, ["split", path, "--brigade-units", "12"])
    assert result.exit_code == 0, result.output
    out = tmp_path / "routes"
    result = runner.invoke(cli, ["routes", path, "--shift", "20:00-24:00", "--date", "2026-11-02", "--out", str(out),
                                 "--kind", "brigade_vehicle"])
    assert result.exit_code == 0, result.output
    files = sorted(p.name for p in out.iterdir())
    assert files == sorted(f"yushui-2026-11-02-2000_2400-{n}" for n in (
        "routes.geojson", "routes.gpx", "routes.kml", "patrol-sheets.html", "dosage.csv", "units.zip"))
    routes = json.loads((out / files[files.index("yushui-2026-11-02-2000_2400-routes.geojson")]).read_text(encoding="utf-8"))
    lines = [f for f in routes["features"] if f["geometry"]["type"] == "LineString"]
    assert len(lines) == 12
    for f in lines:
        props = f["properties"]
        assert props["unit_kind"] == "brigade_vehicle" and 0 < props["duration_min"] <= 240.0 + 1e-6
        assert props["length_m"] > 0 and isinstance(props["stops"], list)
    gpx = ET.parse(out / "yushui-2026-11-02-2000_2400-routes.gpx").getroot()
    assert gpx.tag.endswith("gpx") and len([e for e in gpx if e.tag.endswith("trk")]) == 12
    sheet = (out / "yushui-2026-11-02-2000_2400-patrol-sheets.html").read_text(encoding="utf-8")
    from app.assets import find_off_host_urls

    assert "巡逻" in sheet and find_off_host_urls(sheet) == []
    result = runner.invoke(cli, ["routes", path, "--shift", "25:00-26:00", "--out", str(out)])
    assert result.exit_code == 2 and "error:" in result.output
    result = runner.invoke(cli, ["routes", path, "--shift", "20:00-24:00", "--out", str(tmp_path / "r.pdf")])
    assert result.exit_code == 2 and "use a folder, or a file ending in" in result.output


def test_cameras_on_the_demo_and_on_helsinki(demo_workspace, tmp_path):
    import openpyxl
    import pandas as pd

    path = str(demo_workspace.path)
    result = runner.invoke(cli, ["cameras", "coverage", path])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    assert figures["cameras"] == 1061 and 0 < figures["road_share_seen"] < 1
    assert 0 < figures["incident_share_seen"] < 1
    xlsx = tmp_path / "gaps.xlsx"
    result = runner.invoke(cli, ["cameras", "gaps", path, "--out", str(xlsx)])
    assert result.exit_code == 0, result.output
    from app.storage.workspace import Workspace

    after = Workspace(demo_workspace.path)
    assert after.count("camera_views") == 1061  # drawn on the coverage map
    assert after.count("camera_gaps") > 1000
    sheet = openpyxl.load_workbook(xlsx).active
    headers = [c.value for c in sheet[1]]
    assert any("风险" in str(h) for h in headers), headers
    assert sheet.max_row > 100
    sites = tmp_path / "sites.csv"
    result = runner.invoke(cli, ["cameras", "site", path, "--add", "20", "--out", str(sites), "--lang", "en"])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(sites, encoding="utf-8-sig")
    assert len(table) == 20 and table["marginal_gain"].is_monotonic_decreasing
    assert "fewer a year" in result.output and "Welsh & Farrington 2009" in result.output  # what they may be worth
    result = runner.invoke(cli, ["cameras", "site", path, "--out", str(sites)])
    assert result.exit_code == 2 and "--add K" in result.output
    # the real Helsinki extract with its 221 real cameras and buildings
    hel = tmp_path / "hel.gpkg"
    result = runner.invoke(cli, ["init", str(hel), "--osm", str(DATA / "osm" / "helsinki_centre.osm.pbf"),
                                 "--timezone", "Europe/Helsinki"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(cli, ["cameras", "coverage", str(hel)])
    assert result.exit_code == 0, result.output
    hf = json.loads(result.output)
    assert hf["cameras"] == 221 and 0.1 < hf["road_share_seen"] < 0.4
    geo = tmp_path / "hel-gaps.geojson"
    result = runner.invoke(cli, ["cameras", "gaps", str(hel), "--out", str(geo), "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert len(json.loads(geo.read_text(encoding="utf-8"))["features"]) > 1000


def test_monthly_report_on_the_demo(demo_workspace, tmp_path):
    import openpyxl

    from app.assets import find_off_host_urls

    out = tmp_path / "report"
    result = runner.invoke(cli, ["report", str(demo_workspace.path), "--month", "2026-09", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "-23.7%" in result.output and "-72.2%" in result.output
    html = (out / "yushui-2026-09-report.html").read_text(encoding="utf-8")
    assert "同比" in html and find_off_host_urls(html) == []
    book = openpyxl.load_workbook(out / "yushui-2026-09-report.xlsx")
    assert len(book.sheetnames) >= 6
    result = runner.invoke(cli, ["report", str(demo_workspace.path), "--month", "2026-13", "--out", str(out)])
    assert result.exit_code == 2 and "error:" in result.output


def test_import_keeps_a_backup_and_restore_brings_it_back(tmp_path):
    ws = create_workspace(tmp_path / "ws.gpkg", {}, crs="EPSG:4547")
    csv = tmp_path / "a.csv"
    csv.write_text("经度,纬度,发案时间,案件类别\n114.93,27.82,2025-01-01 10:00,抢劫\n", encoding="utf-8")
    before = ws.path.read_bytes()
    result = runner.invoke(cli, ["import", str(ws.path), "incidents", str(csv)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(cli, ["backups", str(ws.path), "--lang", "en"])
    assert result.exit_code == 0 and "before-import-incidents" in result.output
    result = runner.invoke(cli, ["restore", str(ws.path), "1"])
    assert result.exit_code == 0, result.output
    from app.storage.workspace import Workspace

    assert "incidents" not in Workspace(ws.path).layers()
    assert len(before) > 0
    result = runner.invoke(cli, ["restore", str(ws.path), "99"])
    assert result.exit_code == 2 and "see 'patrolnet backups'" in result.output


def test_hostile_files_are_refused_by_the_cli(tmp_path):
    ws = create_workspace(tmp_path / "ws.gpkg", {}, crs="EPSG:4547")
    fake = tmp_path / "警情.xlsx"
    fake.write_text("经度,纬度\n1,2\n", encoding="utf-8")
    result = runner.invoke(cli, ["import", str(ws.path), "incidents", str(fake)])
    assert result.exit_code == 2 and "not a ZIP archive" in result.output
    laughs = tmp_path / "laughs.osm"
    laughs.write_text('<?xml version="1.0"?>\n<!DOCTYPE osm [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>\n'
                      '<osm version="0.6"><node id="1" lat="0" lon="0"><tag k="name" v="&lol2;"/></node></osm>\n',
                      encoding="utf-8")
    result = runner.invoke(cli, ["init", str(tmp_path / "x.gpkg"), "--osm", str(laughs)])
    assert result.exit_code == 2 and "billion laughs" in result.output


def test_routes_refuse_unit_kinds_the_planner_does_not_route(tmp_path):
    ws = create_workspace(tmp_path / "ws.gpkg", {}, crs="EPSG:4547")
    result = runner.invoke(cli, ["routes", str(ws.path), "--shift", "20:00-24:00", "--out", str(tmp_path / "r"),
                                 "--kind", "patrol_boat", "--lang", "en"])
    assert result.exit_code == 2 and "patrol_boat are not kinds of patrol unit" in result.output
    assert "volunteer_team" in result.output and "skynet_guard" in result.output


def test_commands_are_recorded_in_the_audit_log(tmp_path):
    ws = create_workspace(tmp_path / "ws.gpkg", {}, crs="EPSG:4547")
    csv = tmp_path / "a.csv"
    csv.write_text("经度,纬度,发案时间,案件类别\n114.93,27.82,2025-01-01 10:00,抢劫\n", encoding="utf-8")
    assert runner.invoke(cli, ["import", str(ws.path), "incidents", str(csv)]).exit_code == 0
    result = runner.invoke(cli, ["audit", str(ws.path), "--json"])
    assert result.exit_code == 0, result.output
    entries = json.loads(result.output)
    assert entries[0]["action"] == "import" and entries[0]["actor"].startswith("cli")
    assert entries[0]["details"]["layer"] == "incidents" and entries[0]["details"]["accepted"] == 1
