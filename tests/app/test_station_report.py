"""A station's own monthly report (issue 18): the report of its jurisdiction alone, titled with its
name; from the command line (``patrolnet report --station``) and for a station user on the web
(``GET /api/v1/reports/station``, linked from its dashboard). Its figures are the district report's
figures of that station, on the demo and on real Vancouver thefts."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pandas as pd
import pytest
from typer.testing import CliRunner

from app.cli import cli
from app.services.reports import build_monthly_report, build_station_report
from app.storage.workspace import Workspace
from app.web import create_app
from geo.errors import InputError
from tests.app._fixtures import build_vancouver, client_class

MONTH = "2026-10"


def _same_figures(ws: Workspace, station: str, month: str) -> pd.DataFrame:
    """The station report's headline beside the district report's row of that station."""
    whole = build_monthly_report(ws, month=month).table("comparison")
    mine = whole[(whole["level"] == "station") & (whole["unit_id"].astype(str) == station)].set_index("measure")
    own = build_station_report(ws, station, month=month).table("headline").set_index("measure")
    cols = ["month", "month_last_year", "previous_month", "ytd", "ytd_last_year"]
    assert len(own) == 3 and set(own.index) <= set(mine.index)
    pd.testing.assert_frame_equal(own[cols].astype(float), mine.loc[own.index, cols].astype(float))
    return own


def test_a_stations_report_counts_what_the_district_report_counts_for_it(demo_workspace: Workspace) -> None:
    own = _same_figures(demo_workspace, "S01", MONTH)
    assert own["ytd"].sum() > 0
    rep = build_station_report(demo_workspace, "S01", month=MONTH)
    assert rep.district == "北湖路派出所"
    ranked = rep.table("station_ranking")
    assert ranked["station_id"].astype(str).tolist() == ["S01"]  # its own row only: no other station's figures
    assert build_station_report(demo_workspace, "S01", month=MONTH, lang="en").district == "Beihu Road Police Station"
    with pytest.raises(InputError, match="station S99 is not in the stations layer"):
        build_station_report(demo_workspace, "S99", month=MONTH)


def test_a_real_citys_station_report_counts_its_own_thefts(tmp_path: Path) -> None:
    ws = build_vancouver(tmp_path / "van.gpkg")
    station = str(ws.read("stations")["station_id"].iloc[0])
    own = _same_figures(ws, station, "2020-10")
    assert own["ytd"].sum() > 0


def test_the_cli_writes_one_stations_report(demo_workspace: Workspace, tmp_path: Path) -> None:
    res = CliRunner().invoke(cli, ["report", str(demo_workspace.path), "--month", MONTH, "--station", "S01",
                                   "--out", str(tmp_path / "r")])
    assert res.exit_code == 0, res.output
    html = tmp_path / "r" / f"{demo_workspace.path.stem}-北湖路派出所-{MONTH}-report.html"
    assert html.exists(), sorted(p.name for p in (tmp_path / "r").iterdir())
    assert re.search(r"<title>北湖路派出所 2026年10月 警情分析月报</title>", html.read_text(encoding="utf-8"))
    bad = CliRunner().invoke(cli, ["report", str(demo_workspace.path), "--month", MONTH, "--station", "S99",
                                   "--out", str(tmp_path / "x")])
    assert bad.exit_code == 2 and "派出所图层中没有编号为 S99 的派出所" in bad.output


@pytest.fixture(scope="module")
def clients(demo_workspace_file: Path, tmp_path_factory: pytest.TempPathFactory,
            assets_ready: Path) -> Iterator[dict[str, Any]]:
    import shutil

    path = tmp_path_factory.mktemp("station-report") / "yushui.gpkg"
    shutil.copyfile(demo_workspace_file, path)
    app = create_app(path)
    made = {role: client_class(role)(app) for role in ("commander", "station")}
    for c in made.values():
        c.__enter__()
    yield made
    for c in made.values():
        c.__exit__(None, None, None)


def test_a_station_user_gets_its_own_report_on_the_web(clients: dict[str, Any]) -> None:
    st, cmd = clients["station"], clients["commander"]
    own = st.get("/api/v1/reports/station", params={"month": MONTH})
    assert own.status_code == 200, own.text
    assert own.headers["content-disposition"].startswith("inline;")
    assert "<title>北湖路派出所 2026年10月 警情分析月报</title>" in own.text
    # another station's report is not its to read; the dashboard links its own
    assert st.get("/api/v1/reports/station", params={"station_id": "S02"}).status_code == 403
    page = st.get("/").text
    assert 'id="pn-station-report"' in page and "/api/v1/reports/station" in page
    # a commander chooses the station (told so when it does not), as HTML or XLSX
    assert 'id="pn-station-report"' not in cmd.get("/").text
    none = cmd.get("/api/v1/reports/station")
    assert none.status_code == 422 and "请选择报告的派出所" in none.json()["detail"]
    xlsx = cmd.get("/api/v1/reports/station", params={"station_id": "S02", "month": MONTH, "format": "xlsx"})
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert unquote(xlsx.headers["content-disposition"]).endswith(f"-抱石路派出所-{MONTH}-report.xlsx")
    assert cmd.get("/api/v1/reports/station", params={"station_id": "S99"}).status_code == 422
