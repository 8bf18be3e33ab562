"""The web path of the Dask fan-out (issue 14): ``patrolnet serve --dask ADDRESS`` and ``patrolnet
worker --dask ADDRESS`` give the address to every job (``Settings.dask`` -> ``JobManager`` ->
``JobContext.dask``, also in the job worker processes); the routes job plans in pieces there, and its
plan equals the plan made without Dask. A bad address is refused when the server starts, naming it.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from app.cli import cli
from app.services.fanout import Fanout
from app.web import create_app
from app.web.config import ENV_DASK, Settings, get_settings
from geo.errors import InputError
from tests.app._fixtures import client_class
from tests.app.test_fanout import cluster, ws_path  # noqa: F401 - the same split demo copy and local cluster

DAY = "2026-11-02"
BODY = {"date": DAY, "shift": "20:00-24:00", "kinds": ["brigade_vehicle"]}
runner = CliRunner()


def _run(app: Any) -> dict[str, Any]:
    with client_class("commander")(app) as c:
        href = c.post("/api/v1/jobs/routes", json=BODY).json()["href"]
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            job = c.get(href).json()
            if job["status"] in ("done", "failed"):
                assert job["status"] == "done", job["error"]
                return job["result"]
            time.sleep(0.2)
    raise AssertionError("the routes job did not finish in 240 s")


def _units(result: dict[str, Any]) -> list[dict[str, Any]]:
    return result["units"]


def _pieces_run(fan: Fanout) -> int:
    """How many plan_piece tasks the scheduler has seen so far."""

    def count(dask_scheduler: Any) -> int:
        prefix = dask_scheduler.task_prefixes.get("plan_piece")
        return 0 if prefix is None else int(prefix.state_counts.get("memory", 0))  # each piece once in memory

    return int(fan.client.run_on_scheduler(count))


def test_settings_take_the_address_and_refuse_a_bad_one(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    ws = tmp_path / "w.gpkg"
    assert Settings(workspace_path=ws).dask is None
    assert Settings(workspace_path=ws, dask="tcp://10.0.0.5").dask == "tcp://10.0.0.5:8786"
    assert Settings(workspace_path=ws, dask=" local:2 ").dask == "local:2"
    assert Settings(workspace_path=ws, dask="serial").dask is None
    with pytest.raises(InputError) as bad:
        Settings(workspace_path=ws, dask="tcp//h:8786")
    assert bad.value.code == "param.dask" and "tcp//h:8786" in str(bad.value)
    monkeypatch.setenv("PATROLNET_WORKSPACE", str(ws))
    monkeypatch.setenv(ENV_DASK, "local:3")
    get_settings.cache_clear()
    try:
        assert get_settings().dask == "local:3"
    finally:
        get_settings.cache_clear()


@pytest.mark.parametrize("processes", [False, True], ids=["thread", "worker-process"])
def test_a_routes_job_plans_on_the_servers_scheduler(ws_path: Path, cluster: Fanout, assets_ready: Path,
                                                     processes: bool) -> None:
    """The same plan with and without the scheduler; the pieces ran there (one per beat)."""
    plain = create_app(settings=Settings(workspace_path=ws_path, job_processes=processes))
    try:
        serial = _run(plain)
    finally:
        plain.state.patrolnet.jobs.shutdown(wait=True)
    before = _pieces_run(cluster)
    address = cluster.client.scheduler.address
    app = create_app(settings=Settings(workspace_path=ws_path, job_processes=processes, dask=address))
    try:
        assert app.state.patrolnet.jobs.dask == address
        fanned = _run(app)
    finally:
        app.state.patrolnet.jobs.shutdown(wait=True)
    beats = {u["beat"] for u in _units(serial)}
    assert len(beats) >= 10 and _pieces_run(cluster) - before == len(beats)
    assert _units(fanned) == _units(serial)


def test_a_job_process_starts_its_own_local_cluster(ws_path: Path, assets_ready: Path) -> None:
    """``local:1``: a LocalCluster per job, started inside the job's worker process."""
    app = create_app(settings=Settings(workspace_path=ws_path, job_processes=True, dask="local:1"))
    try:
        fanned = _run(app)
    finally:
        app.state.patrolnet.jobs.shutdown(wait=True)
    assert len(_units(fanned)) == 12


@pytest.mark.parametrize("command", ["serve", "worker"])
def test_serve_and_worker_refuse_a_bad_address(command: str, ws_path: Path, assets_ready: Path) -> None:
    for lang, words in (("en", "is not understood"), ("zh-CN", "无法识别 Dask 地址")):
        result = runner.invoke(cli, [command, str(ws_path), "--dask", "tcp//localhost:8786", "--lang", lang])
        assert result.exit_code == 2, result.output
        text = " ".join(result.output.split())
        assert "error:" in text and words in text and "tcp//localhost:8786" in text
