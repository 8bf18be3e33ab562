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
from app.storage.workspace import Workspace
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
    assert sorted(f["name"].rsplit(".", 1)[1] for f in job["files"]) == ["csv", "geojson", "gpx", "html", "kml", "zip"]
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


def _descendants(pid: int) -> set[int]:
    """Every process below ``pid`` (from /proc)."""
    children: dict[int, list[int]] = {}
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        ppid = int(next(line.split()[1] for line in text.splitlines() if line.startswith("PPid:")))
        children.setdefault(ppid, []).append(int(status.parent.name))
    out: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.add(child)
            todo.append(child)
    return out


def _alive(pids: set[int]) -> set[int]:
    return {p for p in pids if Path(f"/proc/{p}").exists()
            and "State:\tZ" not in Path(f"/proc/{p}/status").read_text(errors="replace")}


@pytest.mark.slow
@pytest.mark.parametrize("signal_name", ["SIGTERM", "SIGKILL"])
def test_job_workers_do_not_outlive_the_server(signal_name: str, demo_workspace_file: Path, tmp_path: Path,
                                               assets_ready: Path) -> None:
    """``patrolnet serve`` stopped (SIGTERM) or killed (SIGKILL) mid-job leaves no worker process behind."""
    import json
    import os
    import signal
    import socket
    import subprocess
    import sys
    import urllib.request

    from app.services.workspace import ensure_demo_users
    from app.storage.users import DEMO_PASSWORD

    path = tmp_path / "yushui.gpkg"
    shutil.copyfile(demo_workspace_file, path)
    ensure_demo_users(Workspace(path))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-c", "from app.cli import main; main()", "serve", str(path),
                               "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=2).read()
                break
            except OSError:
                assert time.monotonic() < deadline and server.poll() is None, "the server did not start"
                time.sleep(0.3)

        def call(method: str, url: str, body: dict[str, Any], token: str | None = None) -> dict[str, Any]:
            req = urllib.request.Request(base + url, data=json.dumps(body).encode(), method=method,
                                         headers={"Content-Type": "application/json",
                                                  **({"Authorization": f"Bearer {token}"} if token else {})})
            with urllib.request.urlopen(req, timeout=60) as r:
                return json.loads(r.read())

        token = call("POST", "/api/v1/auth/token", {"username": "zhihui", "password": DEMO_PASSWORD})["access_token"]
        call("POST", "/api/v1/jobs/routes", {"date": DAY}, token)
        deadline = time.monotonic() + 60
        while len(_descendants(server.pid)) < 2:  # the forkserver and a worker
            assert time.monotonic() < deadline, "no job worker started"
            time.sleep(0.2)
        time.sleep(1.0)  # mid-job
        workers = _descendants(server.pid)
        os.kill(server.pid, getattr(signal, signal_name))
        server.wait(timeout=30)
        deadline = time.monotonic() + 15
        while _alive(workers) and time.monotonic() < deadline:
            time.sleep(0.3)
        assert not _alive(workers), f"left behind after {signal_name}: {sorted(_alive(workers))}"
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()


def test_geometry_warnings_reach_the_job_result(demo_workspace_file: Path, tmp_path: Path,
                                                assets_ready: Path) -> None:
    """A job on a layer damaged outside patrolnet finishes and says which rows were repaired or skipped."""
    import pyogrio
    from shapely.geometry import Polygon

    path = tmp_path / "yushui.gpkg"
    shutil.copyfile(demo_workspace_file, path)
    hoods = pyogrio.read_dataframe(path, layer="neighborhoods")
    x0, y0, x1, y1 = hoods.geometry.iloc[0].bounds
    hoods.loc[hoods.index[0], "geometry"] = Polygon([(x0, y0), (x1, y1), (x1, y0), (x0, y1)])  # bow-tie
    pyogrio.write_dataframe(hoods, path, layer="neighborhoods", driver="GPKG")
    app = create_app(path, job_processes=True)
    try:
        with client_class("commander")(app) as c:
            job, _ = _follow(c, c.post("/api/v1/jobs/report", json={"month": "2026-09"}).json()["href"])
        assert job["status"] == "done", job["error"]
        assert any("layer 'neighborhoods'" in w and "N0001" in w for w in job["result"]["warnings"]), job["result"]
    finally:
        app.state.patrolnet.jobs.shutdown(wait=True)


def test_job_processes_give_way_to_requests(proc_app: Any) -> None:
    """A planning run's process has a lower CPU priority than the server's threads that answer
    requests (so a shift's plan does not hold up the maps of signed-in users)."""
    import os

    from app.web.pool import BACKGROUND_NICENESS

    app, c = proc_app
    job, _ = _follow(c, c.post("/api/v1/jobs/routes", json={"date": DAY, "kinds": ["grid_team"], "station_id": "S01",
                                                            "time_limit_s": 0.02}).json()["href"])
    assert job["status"] == "done", job["error"]
    pids = list(app.state.patrolnet.jobs._procs._processes)  # noqa: SLF001 - the pool's worker processes
    assert pids
    mine = os.getpriority(os.PRIO_PROCESS, 0)
    for pid in pids:
        assert os.getpriority(os.PRIO_PROCESS, pid) == min(19, mine + BACKGROUND_NICENESS)
