"""Files a user downloads are named one way (issue 18): ``<workspace>-<period>-<content>``, a station's
plan by the station's name rather than its code."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from app.report_render import file_part, file_stem
from app.services.imports import reject_report_name
from app.services.routes import routes_job
from app.storage.workspace import Workspace


def test_names_follow_one_scheme() -> None:
    assert file_stem("yushui", "2026-09") == "yushui-2026-09"
    assert file_stem("a/b c", "2026-H1") == "a_b_c-2026-H1" and file_part("北湖路派出所") == "北湖路派出所"
    assert reject_report_name("incidents_5.csv") == "incidents_5-rejected.csv"  # no doubled extension


def test_a_stations_plan_is_named_by_the_station(demo_workspace: Workspace, tmp_path: Path) -> None:
    stations = demo_workspace.read("stations", columns=["station_id", "name"])
    name = str(stations.loc[stations["station_id"] == "S01", "name"].iloc[0])
    _, written = routes_job(demo_workspace, shift="20:00-22:00", date=dt.date(2026, 11, 2), out=tmp_path,
                            station_id="S01", kinds=["grid_team"])
    assert written and all(p.name.startswith(f"{demo_workspace.path.stem}-2026-11-02-2000_2200-{name}-")
                           for p in written), [p.name for p in written]
    assert not any("-S01-" in p.name for p in written)
