"""The demo's week of simulated field work (``patrolnet demo --field-week``): the evening shifts
planned and recorded, tracks simulated from them; the dosage table tells the units apart (the car
that stayed at its base, units that cut corners, units that followed the plan)."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import numpy as np

from app.services.dosage import dosage_job
from app.services.field_demo import FIELD_SHIFT, simulate_field_week
from app.services.plans import list_records
from app.storage.access import Principal
from app.storage.workspace import Workspace

ADMIN = Principal("tester", "admin")
LAST = dt.date(2026, 10, 31)


def test_two_days_of_field_work_show_in_the_dosage_table(demo_workspace_file: Path, tmp_path: Path) -> None:
    path = tmp_path / "yushui.gpkg"
    shutil.copyfile(demo_workspace_file, path)
    ws = simulate_field_week(Workspace(path), last_day=LAST, days=2)
    days = sorted(r.day for r in list_records(path, ADMIN, kind="routes"))
    assert days == ["2026-10-30", "2026-10-31"]
    tracks = ws.read("tracks")
    assert tracks["unit_id"].nunique() >= 50  # of 59 units, a few send nothing
    got = dosage_job(ws, path, ADMIN, day=LAST, shift=FIELD_SHIFT)
    cars = [u for u in got["units"] if u["unit_kind"] == "brigade_vehicle" and u["pings"]]
    stayed = [u for u in cars if u["route_share"] < 0.05]
    assert len(stayed) == 1 and stayed[0]["pings"] >= 1400  # 4 hours of pings, every 10 s, at the base
    assert sum(u["route_share"] > 0.95 for u in cars) >= 6  # those that followed their plan
    assert sum(0.5 < u["route_share"] < 0.95 for u in got["units"] if u["pings"]) >= 3  # those that cut corners
    hot = [h for h in got["hotspots"] if h["planned_min"] >= 5]
    done = np.array([h["actual_min"] / h["planned_min"] for h in hot])
    assert (done < 0.2).sum() >= 3 and (done > 0.7).sum() >= 0.5 * len(done)  # skipped stops, and stops made
