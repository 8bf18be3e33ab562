"""Many processes, one workspace (issue 14): the durable job queue, shared sign-in limits and sessions.

Two apps made on one workspace stand for two web worker processes (``patrolnet serve --workers 2``):
they share nothing in memory, only the workspace's stores. ``patrolnet worker`` runs in real
subprocesses, killed with SIGKILL mid-job.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from app.storage.jobs import JobStore
from app.storage.pg import PgJobStore
from app.storage.ratelimit import SqliteStorage, limits_path
from app.web import create_app
from app.web.auth import LoginLimiter, TooManyAttemptsError
from app.web.config import Settings
from app.web.tasks import JobManager
from tests.app._auth import PASSWORD, USERS, auth_headers, ensure_users
from tests.app._fixtures import keep_jobs_queued, plain_client_class, wait_job
from tests.pg import pg_url  # noqa: F401 - the fixture


def _row(job_id: str, **extra: Any) -> dict[str, Any]:
    return {"id": job_id, "kind": "routes", "lang": "en", "params": {"day": "2025-06-30"}, "out_dir": "/tmp/x",
            "created_at": "2026-12-02T10:00:00+00:00", **extra}


# -- the queue itself, in the embedded store and in PostgreSQL ---------------------------------------------
@pytest.fixture(params=["gpkg", "postgresql"])
def open_queue(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], JobStore]:
    """Opens the queue of one workspace (each call: new connections, as another process has)."""
    if request.param == "gpkg":
        return lambda: JobStore(tmp_path / "ws.gpkg")
    url = request.getfixturevalue("pg_url")
    location = f"{url}?schema=jobs_{tmp_path.name[-12:].lower().replace('-', '_')}"
    return lambda: PgJobStore(location)


def test_each_job_is_taken_by_one_process_only(open_queue: Callable[[], JobStore]) -> None:
    store = open_queue()
    for i in range(40):
        store.add(_row(f"20261202-100000-{i:06x}"))
    taken: list[str] = []
    lock = threading.Lock()

    def take(worker: str) -> None:
        own = open_queue()
        while (row := own.claim(worker, lease_s=30)) is not None:
            with lock:
                taken.append(row["id"])

    threads = [threading.Thread(target=take, args=(f"w{k}",)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(taken) == sorted(f"20261202-100000-{i:06x}" for i in range(40))  # every job once
    assert store.count(status="running") == 40 and store.count(status="queued") == 0
    assert [r["id"] for r in store.list(limit=2)] == ["20261202-100000-000027", "20261202-100000-000026"]
    if not isinstance(store, PgJobStore):
        assert oct(os.stat(store.path).st_mode & 0o777) == "0o600"


def test_workspace_writing_jobs_take_turns_across_processes(open_queue: Callable[[], JobStore]) -> None:
    a, b = open_queue(), open_queue()
    a.add(_row("20261202-100000-cccccc"))  # makes the queue
    order: list[str] = []
    with a.write_turn():
        t = threading.Thread(target=lambda: [b.write_turn().__enter__(), order.append("b")])
        t.start()
        time.sleep(0.5)
        order.append("a done")
    t.join(timeout=30)
    assert order == ["a done", "b"]


def test_a_lapsed_lease_is_retried_once_then_failed_and_the_late_writer_is_refused(
        open_queue: Callable[[], JobStore]) -> None:
    store = open_queue()
    store.add(_row("20261202-100000-aaaaaa"))
    first = store.claim("w1", lease_s=5, now=1000.0)
    assert first is not None and first["attempts"] == 1 and first["worker"] == "w1"

    def gone(row: Any, retry: bool) -> dict[str, Any]:
        return {"notes": [*row["notes"], "again"]} if retry else {"error": f"lost after {row['attempts']}"}

    assert store.reap(max_attempts=2, gone=gone, now=1004.0) == []  # still leased
    assert store.reap(max_attempts=2, gone=gone, now=1006.0) == ["20261202-100000-aaaaaa"]
    again = store.get("20261202-100000-aaaaaa")
    assert again is not None and again["status"] == "queued" and again["notes"] == ["again"]
    # w1 was only slow: it may not report over the job given back
    assert store.save("20261202-100000-aaaaaa", "w1", {"status": "done"}) is False
    second = store.claim("w2", lease_s=5, now=1010.0)
    assert second is not None and second["attempts"] == 2
    assert store.renew(["20261202-100000-aaaaaa"], "w1", lease_s=5, now=1011.0) == set()
    assert store.renew(["20261202-100000-aaaaaa"], "w2", lease_s=5, now=1011.0) == {"20261202-100000-aaaaaa"}
    assert store.reap(max_attempts=2, gone=gone, now=1017.0) == ["20261202-100000-aaaaaa"]
    failed = store.get("20261202-100000-aaaaaa")
    assert failed is not None and failed["status"] == "failed" and failed["error"] == "lost after 2"
    assert failed["worker"] is None and store.claim("w3", lease_s=5) is None


def test_the_queue_refuses_unknown_fields_and_statuses(open_queue: Callable[[], JobStore]) -> None:
    store = open_queue()
    with pytest.raises(ValueError, match="unknown job fields"):
        store.add(_row("20261202-100000-bbbbbb", colour="red"))
    store.add(_row("20261202-100000-bbbbbb"))
    store.claim("w", lease_s=5)
    with pytest.raises(ValueError, match="may not change"):
        store.save("20261202-100000-bbbbbb", "w", {"owner": "someone-else"})
    with pytest.raises(ValueError, match="bad job status"):
        store.save("20261202-100000-bbbbbb", "w", {"status": "finished"})


# -- two web workers on one workspace ----------------------------------------------------------------------
SHIFT = {"date": "2026-11-02", "shift": "20:00-24:00"}


@pytest.fixture(scope="module")
def split_demo(demo_workspace_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo district split into beats (the planner needs them), with the test users."""
    from app.services.split import split_workspace
    from app.storage.workspace import Workspace

    path = tmp_path_factory.mktemp("queue") / "yushui.gpkg"
    shutil.copyfile(demo_workspace_file, path)
    split_workspace(Workspace(path))
    ensure_users(path)
    return path


@pytest.fixture()
def ws(split_demo: Path, tmp_path: Path) -> Path:
    path = tmp_path / "yushui.gpkg"
    shutil.copyfile(split_demo, path)
    shutil.copyfile(split_demo.with_name(f".{split_demo.name}.users.sqlite"), path.with_name(f".{path.name}.users.sqlite"))
    return path


@pytest.fixture()
def two_apps(ws: Path, assets_ready: Path) -> tuple[Any, Any]:
    return create_app(ws), create_app(ws)


def test_a_job_submitted_to_one_worker_is_seen_and_downloaded_on_the_other(two_apps: tuple[Any, Any]) -> None:
    a, b = two_apps
    with plain_client_class()(a) as ca, plain_client_class()(b) as cb:
        ca.headers.update(auth_headers(a, "commander"))
        cb.headers.update(auth_headers(b, "commander"))
        r = ca.post("/api/v1/jobs/routes", json={**SHIFT, "kinds": ["grid_team"], "station_id": "S01"})
        assert r.status_code == 202, r.text
        job = wait_job(cb, r.json()["href"])  # polled on the other worker all along
        assert job["status"] == "done" and job["owner"] == USERS["commander"][0]
        assert {s for s, _ in job["_seen"]} <= {"queued", "running", "done"}
        listed = cb.get("/api/v1/jobs").json()
        assert listed["total"] == 1 and listed["jobs"][0]["id"] == job["id"]
        name = job["files"][0]["name"]
        there = cb.get(f"/api/v1/jobs/{job['id']}/files/{name}")
        here = ca.get(f"/api/v1/jobs/{job['id']}/files/{name}")
        assert there.status_code == here.status_code == 200 and there.content == here.content


def test_a_job_queued_where_nobody_runs_it_is_taken_by_a_polling_worker(ws: Path, assets_ready: Path) -> None:
    front = keep_jobs_queued(create_app(ws))  # takes requests, runs nothing
    back = create_app(settings=Settings(workspace_path=ws, job_poll_s=0.2))
    with plain_client_class()(front) as c, plain_client_class()(back):  # the back worker's lifespan starts it
        c.headers.update(auth_headers(front, "commander"))
        r = c.post("/api/v1/jobs/report", json={"month": "2026-10"})
        assert r.status_code == 202, r.text
        job = wait_job(c, r.json()["href"])
        assert job["status"] == "done", job
        assert job["result"]["month"] == "2026-10" and job["attempts"] == 1
        # the parameters were validated again where the job ran; the owner is the submitter
        assert job["owner"] == USERS["commander"][0]


def test_a_session_opened_on_one_worker_works_on_the_other_with_its_csrf(two_apps: tuple[Any, Any]) -> None:
    a, b = two_apps
    user = USERS["station"][0]
    with plain_client_class()(a, follow_redirects=False) as ca:
        page = ca.get("/login")
        form = {"username": user, "password": PASSWORD, "csrf": ca.cookies.get("pn_login_csrf")}
        assert ca.post("/login", data=form).status_code == 303
        cookie = ca.cookies.get("pn_session")
        assert cookie and page.status_code == 200
        csrf = ca.get("/api/v1/auth/me").json()["csrf_token"]
    with plain_client_class()(b, follow_redirects=False, base_url="http://testserver") as cb:
        cb.cookies.set("pn_session", cookie)
        me = cb.get("/api/v1/auth/me")
        assert me.status_code == 200 and me.json()["username"] == user
        refused = cb.post("/api/v1/jobs/routes", json=SHIFT)
        assert refused.status_code == 403  # a cookie POST without the CSRF header
        ok = cb.post("/api/v1/jobs/routes", json=SHIFT,
                     headers={"X-CSRF-Token": csrf, "Origin": "http://testserver"})
        assert ok.status_code == 202, ok.text
        out = cb.post("/logout", headers={"X-CSRF-Token": csrf, "Origin": "http://testserver"})
        assert out.status_code in (200, 303)
    with plain_client_class()(a, follow_redirects=False) as ca:
        ca.cookies.set("pn_session", cookie)
        assert ca.get("/api/v1/auth/me").status_code == 401  # signed out on b: out on a too


def test_failed_sign_ins_spread_over_two_workers_still_lock(two_apps: tuple[Any, Any]) -> None:
    a, b = two_apps
    user = USERS["analyst"][0]
    codes = []
    for i in range(6):
        app = (a, b)[i % 2]
        with plain_client_class()(app) as c:
            codes.append(c.post("/api/v1/auth/token", json={"username": user, "password": "wrong-guess-1"})
                         .status_code)
    assert codes[:5] == [401] * 5 and codes[5] == 429  # five failures in all, not five per worker
    for app in (a, b):  # even the right password now waits, on either worker
        with plain_client_class()(app) as c:
            r = c.post("/api/v1/auth/token", json={"username": user, "password": PASSWORD})
            assert r.status_code == 429 and int(r.headers["retry-after"]) > 0


def test_the_shared_limiter_counts_across_processes(tmp_path: Path) -> None:
    path = limits_path(tmp_path / "ws.gpkg")
    code = ("import sys; from app.storage.ratelimit import SqliteStorage; from app.web.auth import LoginLimiter; "
            "LoginLimiter('3/minute', '100/minute', storage=SqliteStorage(sys.argv[1])).failed('10.0.0.1', 'bob')")
    for _ in range(3):
        subprocess.run([sys.executable, "-c", code, str(path)], check=True, timeout=120)
    limiter = LoginLimiter("3/minute", "100/minute", storage=SqliteStorage(path))
    with pytest.raises(TooManyAttemptsError, match=r"\d+"):
        limiter.check("10.0.0.1", "bob", "en")
    limiter.check("10.0.0.2", "bob", "en")  # another client: its own budget
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"


# -- patrolnet worker, killed mid-job -----------------------------------------------------------------------
def _worker(ws: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "app.cli", "worker", str(ws), "--lang", "en", *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)


def _kill(proc: subprocess.Popen[str]) -> None:
    """SIGKILL the worker and its job processes (its session): nothing of it cleans up."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.communicate(timeout=30)  # reaps it and closes its pipe


def _queued_job(ws: Path, kind: str, params: dict[str, Any]) -> tuple[JobManager, str]:
    from app.storage.workspace import Workspace
    from app.web.job_kinds import JOB_KINDS

    jobs = JobManager(lambda: Workspace(ws), ws.parent / "out", JOB_KINDS)
    return jobs, jobs.new_job(kind, params, lang="en", owner="t-commander").id


def _until(what: Any, timeout: float = 120.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = what()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("timed out")


def test_a_worker_killed_mid_job_leaves_it_retried_then_done(ws: Path) -> None:
    jobs, job_id = _queued_job(ws, "routes", SHIFT)
    # a lease of 5 s: on a busy machine, reaping the killed worker may take a second or two, and the
    # job must still be within its lease when it is read right after
    first = _worker(ws, "--lease", "5", "--jobs", "1")
    try:
        _until(lambda: jobs.get(job_id).status == "running")
    finally:
        _kill(first)
    assert jobs.get(job_id).status == "running"  # nobody has looked yet
    time.sleep(5.5)
    second = _worker(ws, "--lease", "2", "--jobs", "1")
    try:
        done = _until(lambda: (j := jobs.get(job_id)).finished and j)
    finally:
        second.send_signal(signal.SIGTERM)
        out, _ = second.communicate(timeout=60)
    assert done.status == "done", (done.error, out)
    assert done.attempts == 2 and any("runs once more" in n for n in done.notes), done.notes
    assert done.files and all(p.is_file() for p in done.files.values())
    assert "worker stopped" in out


def test_a_job_whose_workers_keep_dying_fails_with_the_reason(ws: Path) -> None:
    jobs, job_id = _queued_job(ws, "routes", SHIFT)
    for attempt in (1, 2):
        proc = _worker(ws, "--lease", "2", "--jobs", "1")
        try:
            _until(lambda a=attempt: (j := jobs.get(job_id)).status == "running" and j.attempts == a)
        finally:
            _kill(proc)
        time.sleep(2.5)
    failed = _until(lambda: (j := jobs.get(job_id)).finished and j)  # reading the job notices the lapse
    assert failed.status == "failed" and failed.error_type == "WorkerLostError"
    assert "after 2 attempt(s)" in failed.error and "submit the job again" in failed.message
    assert JobStore(ws).get(job_id)["worker"] is None


# -- patrolnet serve --workers 2 -----------------------------------------------------------------------------
def _children(pid: int) -> list[int]:
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        out += [int(c) for c in (task / "children").read_text().split()]
    return out


def test_serve_with_two_workers_shares_sessions_limits_and_jobs(ws: Path, assets_ready: Path) -> None:
    import socket

    import httpx

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", str(ws), "--port", str(port), "--workers", "2",
                             "--lang", "en"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    try:
        _until(lambda: _healthy(base), timeout=120)
        workers = _until(lambda: len(kids := _children(proc.pid)) >= 2 and kids, timeout=60)
        assert len(workers) >= 2  # uvicorn's supervisor and its two web workers
        with httpx.Client(base_url=base, timeout=60) as c:
            token = c.post("/api/v1/auth/token", json={"username": USERS["commander"][0], "password": PASSWORD})
            assert token.status_code == 200, token.text
            headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
            # many requests, spread by the kernel over both workers: the session holds on each
            assert all(c.get("/api/v1/auth/me", headers=headers).status_code == 200 for _ in range(30))
            r = c.post("/api/v1/jobs/report", json={"month": "2026-10"}, headers=headers)
            assert r.status_code == 202, r.text
            job = _until(lambda: (j := c.get(r.json()["href"], headers=headers).json())["status"] in ("done", "failed")
                         and j, timeout=180)
            assert job["status"] == "done", job
            codes = [c.post("/api/v1/auth/token", json={"username": USERS["analyst"][0], "password": "wrong-guess-1"})
                     .status_code for _ in range(6)]
            assert codes == [401] * 5 + [429]
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate(timeout=30)


def _healthy(base: str) -> bool:
    import httpx

    try:
        return httpx.get(f"{base}/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False
