"""The command line records its shift plans as the web does, and reviews them (patrolnet plans)."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from app.cli import cli
from app.storage.audit import read_log
from app.storage.workspace import Workspace

runner = CliRunner()


def _plans(path: str, *args: str) -> list[dict]:
    result = runner.invoke(cli, ["plans", "list", path, "--json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_routes_from_the_cli_are_a_recorded_draft_that_later_runs_do_not_change(demo_workspace, tmp_path):
    path = str(demo_workspace.path)
    assert runner.invoke(cli, ["split", path, "--brigade-units", "12"]).exit_code == 0
    out = tmp_path / "routes"
    args = ["routes", path, "--date", "2026-11-02", "--out", str(out), "--kind", "brigade_vehicle", "--lang", "en"]
    first = runner.invoke(cli, [*args, "--shift", "22:00至06:00"])
    assert first.exit_code == 0, first.output
    [plan] = _plans(path)
    assert plan["id"] in first.output and plan["status"] == "draft" and plan["author"].startswith("cli")
    assert (plan["date"], plan["shift"], len(plan["units"])) == ("2026-11-02", "22:00-06:00", 12)
    assert plan["inputs_version"] == Workspace(path).meta["updated_at"]  # the workspace as split above
    assert sorted(plan["files"]) == sorted(p.name for p in out.iterdir())
    gpx = next(n for n in plan["files"] if n.endswith(".gpx"))
    recorded = (demo_workspace.path.parent / f".{demo_workspace.path.stem}.records" / plan["id"] / gpx).read_bytes()

    # the same shift written another way, into the same folder: a second draft; the first keeps its files
    (out / gpx).write_text("changed by hand")
    second = runner.invoke(cli, [*args, "--shift", "22:00-06:00"])
    assert second.exit_code == 0, second.output
    plans = _plans(path, "--shift", "22:00~06:00")
    assert len(plans) == 2 and plans[1]["id"] == plan["id"]
    # a re-plan says what changed: nothing (same inputs, same day: the same brigade tours)
    assert plans[0]["result"]["changes"] == {"previous": plan["id"], "added": [], "removed": [], "changed": [],
                                             "same": 12}
    assert "12 the same" in second.output and plan["result"]["changes"] is None
    assert (demo_workspace.path.parent / f".{demo_workspace.path.stem}.records" / plan["id"] / gpx).read_bytes() == recorded

    # review: approve the first, then the second supersedes it (same units, day and shift)
    assert runner.invoke(cli, ["plans", "approve", path, plan["id"], "--lang", "en"]).exit_code == 0
    result = runner.invoke(cli, ["plans", "approve", path, plans[0]["id"], "--lang", "en"])
    assert result.exit_code == 0 and "approved" in result.output
    shown = json.loads(runner.invoke(cli, ["plans", "show", path, plan["id"]]).output)
    assert shown["status"] == "superseded" and [e["action"] for e in shown["history"]] == ["create", "approve", "supersede"]
    again = runner.invoke(cli, ["plans", "approve", path, plan["id"], "--lang", "en"])
    assert again.exit_code == 2 and "is superseded" in again.output
    zh = runner.invoke(cli, ["plans", "approve", path, plan["id"], "--lang", "zh-CN"])
    assert zh.exit_code == 2 and "只有草稿或已提交的方案可以批准" in zh.output
    assert _plans(path, "--status", "approved")[0]["id"] == plans[0]["id"]
    approvals = read_log(path, action="approve_plan")
    assert [e.details["record"] for e in approvals] == [plans[0]["id"], plan["id"]]  # the two that went through


def test_reports_gap_lists_sitings_and_forecasts_from_the_cli_are_records_as_from_the_web(demo_workspace, tmp_path):
    """Each output the web records (app.services.plans.RECORDED_KINDS) is recorded by its command too:
    with the command line's user as author, its options, the files copied into the record's folder,
    and the same summary (app.services.*_summary) the web job gives."""
    from app.services.plans import RECORDED_KINDS

    path = str(demo_workspace.path)
    runs = {
        "report": (["report", path, "--month", "2026-09", "--out", str(tmp_path / "rep")], {"month", "headline", "notes"}),
        "camera_gaps": (["cameras", "gaps", path, "--out", str(tmp_path / "gaps.csv")], {"gaps", "by_kind", "top"}),
        "camera_site": (["cameras", "site", path, "--add", "5", "--out", str(tmp_path / "sites.xlsx")],
                        {"figures", "sites"}),
        "forecast": (["forecast", path, "--cells", "grid", "--out", str(tmp_path / "fc.geojson")],
                     {"cells", "as_of", "method", "places", "top"}),
    }
    for command, (args, keys) in runs.items():
        result = runner.invoke(cli, [*args, "--lang", "en"])
        assert result.exit_code == 0, (command, result.output)
        [rec] = _plans(path, "--kind", RECORDED_KINDS[command])
        assert rec["id"] in result.output and rec["author"].startswith("cli") and rec["status"] == "final", rec
        assert keys <= set(rec["result"]), (command, sorted(rec["result"]))
        own = demo_workspace.path.parent / f".{demo_workspace.path.stem}.records" / rec["id"]
        assert rec["files"] and all((own / name).is_file() for name in rec["files"]), rec["files"]
    gaps = _plans(path, "--kind", "camera_gaps")[0]
    assert gaps["params"] == {"segment_m": 50.0, "risk": True} and len(gaps["result"]["top"]) == 100
    assert _plans(path, "--kind", "report")[0]["result"]["month"] == "2026-09"


def test_commands_that_write_the_workspace_take_the_writers_turn(demo_workspace, tmp_path):
    """grid, split, hotspots, forecast and camera gaps read layers and write new ones: each waits for
    the turn the web's writing jobs hold (a blocked flock in /proc/locks), then writes."""
    import os
    import re
    import subprocess
    import sys
    import time
    from pathlib import Path

    from app.storage import open_store

    root = Path(__file__).resolve().parents[2]
    path = str(demo_workspace.path)
    commands = [["split", path, "--brigade-units", "12"],
                ["hotspots", path, "--out", str(tmp_path / "hot")],
                ["forecast", path, "--cells", "grid", "--out", str(tmp_path / "fc.csv")],
                ["cameras", "gaps", path, "--out", str(tmp_path / "gaps.csv")]]
    before = Workspace(path).meta["updated_at"]
    with open_store(path).jobs().write_turn():  # a web job writing the workspace
        procs = [subprocess.Popen([sys.executable, "-m", "app.cli", *args, "--lang", "en"], cwd=root,
                                  env={**os.environ, "PYTHONPATH": str(root)}, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True) for args in commands]
        deadline = time.monotonic() + 120
        while True:
            # waiters are listed under the holder, indented one space per one ahead of them
            blocked = re.findall(r"^\d+:\s+-> FLOCK\s+ADVISORY\s+WRITE (\d+) ", Path("/proc/locks").read_text(),
                                 re.MULTILINE)
            if sum(int(p) in {q.pid for q in procs} for p in blocked) == len(procs):
                break
            assert time.monotonic() < deadline and all(p.poll() is None for p in procs), [
                p.communicate() for p in procs if p.poll() is not None]
            time.sleep(0.2)
        assert Workspace(path).meta["updated_at"] == before  # nothing written while the turn is held
    outs = [p.communicate(timeout=600)[0] for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    ws = Workspace(path)
    assert {"beats", "hotspot_subzones", "forecast_grid", "camera_gaps"} <= set(ws.layers())
