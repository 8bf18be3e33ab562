"""One house, the command line's half: each rule of a request is held once, in the services
(:mod:`app.services`), so the same input through ``patrolnet`` and through the service gives the same
result or the same refusal. (The web's half: ``test_web_shared_rules.py``.)"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from app.cli import cli
from app.services.backups import backups
from app.services.grid import grid_workspace
from app.services.imports import import_file
from app.services.params import (
    check_grid_size,
    default_month,
    last_data_day,
    parse_day,
    parse_month,
    parse_shift,
    route_kinds,
)
from app.services.routes import routes_job
from app.storage.workspace import Workspace
from geo.errors import InputError
from tests.app.test_web_imports import CSV
from tests.conftest import DEMO_AS_OF

runner = CliRunner()
DAY = "2026-10-20"


def _one_line(text: str) -> str:
    """The CLI's output as one line (the console wraps long errors)."""
    return " ".join(text.split())


def _refusal(call: Any, *args: Any, **kwargs: Any) -> InputError:
    with pytest.raises(InputError) as caught:
        call(*args, **kwargs)
    return caught.value


def _cli_refuses_alike(args: list[str], error: InputError) -> None:
    result = runner.invoke(cli, [*args, "--lang", "en"])
    assert result.exit_code == 2, result.output
    assert f"error: {_one_line(str(error))}" in _one_line(result.output)


# -- the shift --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("shift", ["20:00-24:00", "22:00至06:00", "22:00~06:00", "22:00–06:00", " 8:00 - 12:00 "])
def test_every_separator_the_planner_reads_is_a_shift(shift: str) -> None:
    assert parse_shift(shift) == shift.replace(" ", "")


def test_shift_with_zhi_plans_alike(demo_workspace: Any, tmp_path: Path) -> None:
    """``22:00至06:00`` through ``patrolnet routes`` and through the service: the same routes."""
    shift = "22:00至06:00"
    out = tmp_path / "cli.geojson"
    result = runner.invoke(cli, ["routes", str(demo_workspace.path), "--shift", shift, "--date", DAY,
                                 "--kind", "brigade_vehicle", "--out", str(out), "--lang", "en"])
    assert result.exit_code == 0, result.output
    plans, written = routes_job(Workspace(demo_workspace.path), shift=shift, date=dt.date.fromisoformat(DAY),
                                kinds=["brigade_vehicle"], out=tmp_path / "service.geojson")

    def lengths(path: Path) -> list[tuple[str, float]]:
        fc = json.loads(path.read_text(encoding="utf-8"))
        return sorted((str(f["properties"]["unit_id"]), round(float(f["properties"]["length_m"]), 1))
                      for f in fc["features"] if "length_m" in f["properties"])

    assert lengths(out) == lengths(written[0]) and len(lengths(out)) == len(plans) > 0


@pytest.mark.parametrize("bad", ["25:00至06:00", "late evening", "20:00/24:00"])
def test_bad_shift_refused_alike(bad: str, ws_copy: Path, tmp_path: Path) -> None:
    error = _refusal(parse_shift, bad)
    assert error.code and error.fmt
    assert str(_refusal(routes_job, Workspace(ws_copy), shift=bad, out=tmp_path / "r")) == str(error)
    _cli_refuses_alike(["routes", str(ws_copy), "--shift", bad, "--out", str(tmp_path / "r")], error)


# -- days and months --------------------------------------------------------------------------------------
@pytest.mark.parametrize("bad", ["31/10/2026", "2026-02-30", "2026-1-5", "20261331", "2026-W44-6"])
def test_bad_day_refused_alike(bad: str, ws_copy: Path, tmp_path: Path) -> None:
    error = _refusal(parse_day, bad, "--date")
    _cli_refuses_alike(["routes", str(ws_copy), "--shift", "20:00-24:00", "--date", bad,
                        "--out", str(tmp_path / "r")], error)


@pytest.mark.parametrize("month", ["2026-13", "2026-00", "Sept", "2026/09"])
def test_bad_month_refused_alike(month: str, ws_copy: Path, tmp_path: Path) -> None:
    error = _refusal(parse_month, month)
    assert error.code == "report.bad_month"
    _cli_refuses_alike(["report", str(ws_copy), "--month", month, "--out", str(tmp_path / "rep")], error)


def test_day_written_either_way() -> None:
    # the command line has always read the ISO basic form too (date.fromisoformat)
    assert parse_day("20261031", "--date") == parse_day(" 2026-10-31 ", "--date") == dt.date(2026, 10, 31)
    with pytest.raises(InputError, match="is not a date"):
        parse_day(20261031, "date")  # a number in a JSON body: refused, as the web always did


def test_month_written_either_way() -> None:
    assert parse_month("2026-9") == parse_month(" 2026-09 ") == "2026-09"


# -- the last day of data ---------------------------------------------------------------------------------
def test_last_day_of_data_is_one_rule(ws_copy: Path, tmp_path: Path) -> None:
    ws = Workspace(ws_copy)
    newest = ws.read("incidents", columns=["occurred_at"])["occurred_at"].max()
    day = last_data_day(ws)
    assert day == newest.tz_convert(ws.timezone).date() == dt.date(2025, 6, 30)
    out = tmp_path / "forecast.csv"
    result = runner.invoke(cli, ["forecast", str(ws_copy), "--out", str(out), "--cells", "grid", "--lang", "en"])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out, encoding="utf-8-sig", dtype=str)
    assert set(table["as_of"]) == {day.isoformat()}, "the forecast starts at the last day of data"
    assert Workspace(ws_copy).meta_json("forecast_grid", {})["as_of"] == day.isoformat()
    assert default_month(ws) == "2025-06", "June 30 is the last day of June: June is a full month"


def test_last_day_of_the_demo_is_its_as_of(demo_workspace: Any) -> None:
    """The demo says its data run to ``as_of``; a quiet last day still counts, a later incident too."""
    assert last_data_day(demo_workspace) == DEMO_AS_OF
    assert default_month(demo_workspace) == "2026-10"


# -- the grid's size --------------------------------------------------------------------------------------
def test_count_or_area_refused_alike(ws_copy: Path, tmp_path: Path) -> None:
    error = _refusal(check_grid_size, 5, 40_000.0)
    assert str(_refusal(grid_workspace, Workspace(ws_copy), count=5, target_area_m2=40_000.0,
                        export_dir=tmp_path)) == str(error)
    _cli_refuses_alike(["grid", str(ws_copy), "--count", "5", "--target-area-m2", "40000",
                        "--export-dir", str(tmp_path)], error)


# -- a station's scope ------------------------------------------------------------------------------------
def test_station_plans_its_grid_teams_only(ws_copy: Path, tmp_path: Path) -> None:
    assert route_kinds(None) == ("brigade_vehicle", "grid_team")
    assert route_kinds(None, "S01") == ("grid_team",)
    error = _refusal(route_kinds, ["grid_team", "brigade_vehicle"], "S01")
    assert error.code == "station.brigade" and error.fmt == {"station": "S01"}
    assert str(_refusal(routes_job, Workspace(ws_copy), shift="20:00-24:00", out=tmp_path / "r",
                        kinds=["brigade_vehicle"], station_id="S01")) == str(error)


# -- a backup before an import ----------------------------------------------------------------------------
def test_import_takes_a_backup_from_either_shell(ws_copy: Path, tmp_path: Path) -> None:
    csv = tmp_path / "a.csv"
    csv.write_bytes(CSV)
    assert backups(ws_copy) == []
    result = runner.invoke(cli, ["import", str(ws_copy), "incidents", str(csv), "--lang", "en"])
    assert result.exit_code == 0, result.output
    import_file(Workspace(ws_copy), "incidents", csv, replace=True)
    taken = backups(ws_copy)
    assert [b.reason for b in taken] == ["before-import-incidents"] * 2
    listed = runner.invoke(cli, ["backups", str(ws_copy), "--lang", "en"])
    assert listed.exit_code == 0 and "before-import-incidents" in listed.output


def test_unknown_layer_refused_alike(ws_copy: Path, tmp_path: Path) -> None:
    csv = tmp_path / "a.csv"
    csv.write_bytes(CSV)
    error = _refusal(import_file, Workspace(ws_copy), "roads", csv)
    assert error.code == "param.layer"
    _cli_refuses_alike(["import", str(ws_copy), "roads", str(csv)], error)
    assert backups(ws_copy) == [], "a refused import takes no backup"
