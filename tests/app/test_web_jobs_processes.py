"""Jobs in worker processes (``patrolnet serve`` runs them so: a planning run then does not hold the
web server's interpreter lock): results, progress, files, failures with their reasons and partial
results, and workspace writes come back exactly as from the thread pool."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.web import create_app
from geo.workspace import Workspace
from tests.app._fixtures import client_class
from tests.app.test_web_imports import CSV

DAY = "2026-10-20"


def _follow(c: Any, href: str, timeout_s: float = 240) -> tuple[dict[str, Any], set[tuple[str | None, float]]]:
    seen: set[tuple[str | None, float]] = set()
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        job = c.get(href).json()
        seen.add((job["stage"], job["progress"]))
        if job["status"] in ("done", "failed"):
            return job, seen
        time.sleep(0.2)
    raise AssertionError(f"job {href} did not finish in {timeout_s} s")


@pytest.fixture(scope="module")
def proc_app(demo_workspace_file: Path, tmp_path_factory: pytest.TempPathFactory, assets_ready: Path) -> Iterator[Any]:
    path = tmp_path_factory.mktemp("proc") / "yushui.gpkg"
    shutil.copyfile(demo_workspace_file, path)
    app = create_app(path, job_processes=True)
    assert app.state.patrolnet.jobs.processes
    with client_class("commander")(app) as c:
        yield app, c
    app.state.patrolnet.jobs.shutdown(wait=True)


def test_routes_job_in_a_worker_process(proc_app: Any) -> None:
    app, c = proc_app
    job, seen = _follow(c, c.post("/api/v1/jobs/routes", json={"date": DAY, "time_limit_s": 0.02}).json()["href"])
    assert job["status"] == "done", job["error"]
    assert len(job["result"]["units"]) >= 50
    assert sorted(f["name"].rsplit(".", 1)[1] for f in job["files"]) == ["csv", "geojson", "gpx", "html", "kml"]
    assert not any(f["name"].startswith(".") for f in job["files"])  # the progress file is private
    assert any(stage == "plan" and 0 < p < 1 for stage, p in seen), seen  # progress came back from the worker
    gpx = c.get(next(f["href"] for f in job["files"] if f["name"].endswith(".gpx")))
    assert gpx.status_code == 200 and b"<gpx" in gpx.content


def test_failure_in_a_worker_process_keeps_its_reason(proc_app: Any) -> None:
    _, c = proc_app
    job, _ = _follow(c, c.post("/api/v1/jobs/routes", json={"date": DAY, "kinds": ["grid_team"],
                                                            "station_id": "S99"}).json()["href"])
    assert job["status"] == "failed" and job["error_type"] == "InputError"
    assert "S99" in job["error"] and "no units" in job["error"]


def test_workspace_writes_from_a_worker_process(proc_app: Any) -> None:
    app, c = proc_app
    path = app.state.patrolnet.settings.workspace_path
    job, _ = _follow(c, c.post("/api/v1/jobs/hotspots", json={"start": "2026-01-01"}).json()["href"])
    assert job["status"] == "done", job["error"]
    assert Workspace(path).count("hotspot_subzones") > 1900
    assert c.get("/api/v1/layers/hotspot_subzones", params={"limit": 1}).json()["numberMatched"] > 1900


def test_failed_import_in_a_worker_process_keeps_its_report(tmp_path: Path, workspace_path: Path,
                                                            assets_ready: Path) -> None:
    path = tmp_path / "ws.gpkg"
    shutil.copyfile(workspace_path, path)
    before = Workspace(path).count("incidents")
    app = create_app(path, job_processes=True)
    try:
        with client_class("admin")(app) as c:
            r = c.post("/api/v1/imports", files={"file": ("x.csv", CSV, "text/csv")},
                       data={"layer": "incidents", "strict": "1"})
            assert r.status_code == 422
            job = r.json()
            assert job["status"] == "failed" and job["error_type"] == "InputError"
            # the partial result travels back with the error across the process boundary
            assert job["result"]["rejected"] == 1 and job["result"]["rejected_rows_table"][0]["row"] == "4"
            assert Workspace(path).count("incidents") == before
    finally:
        app.state.patrolnet.jobs.shutdown(wait=True)
