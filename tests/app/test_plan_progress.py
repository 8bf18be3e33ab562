"""Progress that moves (issue 18): planning a shift reports its share as each unit is planned, not a bar
stuck at the start of the planning while it works."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from app.services.routes import routes_job
from app.storage.workspace import Workspace


def test_planning_reports_each_unit(demo_workspace: Workspace, tmp_path: Path) -> None:
    seen: list[tuple[str, float]] = []
    plans, _ = routes_job(demo_workspace, shift="20:00-22:00", date=dt.date(2026, 11, 2), out=tmp_path / "r.geojson",
                          station_id="S01", kinds=["grid_team"], progress=lambda phase, share: seen.append((phase, share)))
    plan = [share for phase, share in seen if phase == "plan"]
    teams = len({p.unit_id for p in plans})
    assert teams >= 3
    assert plan == sorted(plan) and plan[0] == 0.0 and plan[-1] == 1.0
    assert len(set(plan)) >= teams + 1, plan  # a step for every team, not 0 then 1
