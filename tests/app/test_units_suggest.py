"""A real city from scratch plans too (issue 15): a workspace made from the raw Mission extract has
no units; ``routes`` refuses and points to ``units suggest``, whose table (CSV for Excel, or XLSX)
imports back as it is and plans."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from app.cli import cli

DATA = Path(__file__).parents[1] / "data"
runner = CliRunner()


@pytest.fixture(scope="module")
def raw_city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    ws = tmp_path_factory.mktemp("raw") / "mission.gpkg"
    res = runner.invoke(cli, ["init", str(ws), "--osm", str(DATA / "osm" / "san_francisco_mission.osm.bz2"),
                              "--timezone", "America/Los_Angeles", "--lang", "en"])
    assert res.exit_code == 0, res.output
    return ws


def test_suggested_units_import_back_and_plan(raw_city: Path, tmp_path: Path) -> None:
    refused = runner.invoke(cli, ["routes", str(raw_city), "--shift", "20:00-24:00", "--out", str(tmp_path / "r"),
                                  "--lang", "en"])
    assert refused.exit_code == 2 and "has no patrol units" in refused.output and "units suggest" in refused.output
    table = tmp_path / "units.csv"
    res = runner.invoke(cli, ["units", "suggest", str(raw_city), "--out", str(table), "--lang", "en"])
    assert res.exit_code == 0, res.output
    assert f"patrolnet import {raw_city} units {table}" in res.output.replace("\n", "")
    with table.open(encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    kinds = [r["kind"] for r in rows]
    assert kinds.count("brigade_vehicle") >= 1 and kinds.count("grid_team") >= 5
    for r in rows:  # every row as the import reads it: a place in WGS84 inside the extract, a line-up
        assert -122.446 < float(r["lon"]) < -122.392 and 37.739 < float(r["lat"]) < 37.778
        assert r["name"] and r["mode"] in ("car", "foot") and int(r["officers"]) + int(r["auxiliaries"]) >= 1
    assert len({r["unit_id"] for r in rows}) == len(rows) and len({r["name"] for r in rows}) == len(rows)
    imported = runner.invoke(cli, ["import", str(raw_city), "units", str(table), "--lang", "en"])
    assert imported.exit_code == 0 and f"{len(rows)} of {len(rows)}" in imported.output, imported.output
    out = tmp_path / "plan"
    planned = runner.invoke(cli, ["routes", str(raw_city), "--shift", "20:00-24:00", "--date", "2019-11-06",
                                  "--out", str(out / "routes.geojson"), "--lang", "en"])
    assert planned.exit_code == 0, planned.output
    features = json.loads((out / "routes.geojson").read_text(encoding="utf-8"))["features"]
    routes = [f["properties"] for f in features if f["properties"]["feature_type"] == "route"]
    assert sorted(p["unit_id"] for p in routes) == sorted(r["unit_id"] for r in rows)
    for p in routes:  # the raw extract's one-way edges cut some main roads off: named, not an error
        assert p["duration_min"] <= 240 + 1e-6
        for w in p["warnings"]:
            assert "未能覆盖" in w or "圈" in w or "片区" in w


def test_the_table_can_be_excel_and_the_car_count_chosen(raw_city: Path, tmp_path: Path) -> None:
    book = tmp_path / "units.xlsx"
    res = runner.invoke(cli, ["units", "suggest", str(raw_city), "--out", str(book), "--cars", "3", "--lang", "en"])
    assert res.exit_code == 0, res.output
    sheet = openpyxl.load_workbook(book).active
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["unit_id", "kind", "name"] and "lon" in header and "lat" in header
    kinds = [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert kinds.count("brigade_vehicle") == 3
    bad = runner.invoke(cli, ["units", "suggest", str(raw_city), "--out", str(tmp_path / "units.txt"), "--lang", "en"])
    assert bad.exit_code == 2 and "units.txt" in bad.output and ".csv or .xlsx" in bad.output
