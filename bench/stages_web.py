"""Bench stage of the web app (issue 8): API latency on loopback under a bounded load.

The app runs in its own process (uvicorn, one worker, as ``patrolnet serve`` runs it) on a copy of
the demo workspace split into beats, with the demo users. The bench signs in once as the demo
commander (``POST /api/v1/auth/token``, as a script does) and sends ``Authorization: Bearer`` on
every request; ``CLIENTS`` threads with one keep-alive ``httpx`` client each hit one endpoint at a
time for ``SECONDS`` seconds, as fast as the answers come (closed loop), after a warm-up request.
Any answer other than 200 counts as an error. Figures per endpoint: p50 / p95 / p99 latency (ms),
requests per second, errors. The machine has 2 cores: the server gets about one, the clients the
other. (``bench/stages_load.py`` is the mixed load of many signed-in users of every role.)

Standalone: ``python -m bench.stages_web --seconds 20 --clients 20 [--workspace W.gpkg]``.
Environment: ``PATROLNET_BENCH_WEB_SECONDS``, ``PATROLNET_BENCH_WEB_CLIENTS``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from bench.stages import Context, stage

SECONDS = float(os.environ.get("PATROLNET_BENCH_WEB_SECONDS", "20"))
CLIENTS = int(os.environ.get("PATROLNET_BENCH_WEB_CLIENTS", "20"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _quarter_bbox(workspace: Path) -> str:
    """A WGS84 bbox over the middle quarter of the stations' area."""
    from app.storage.workspace import Workspace

    w, s, e, n = Workspace(workspace).read("stations", columns=[]).to_crs("EPSG:4326").total_bounds
    dx, dy = (e - w) / 4, (n - s) / 4
    return f"{w + dx:.5f},{s + dy:.5f},{e - dx:.5f},{n - dy:.5f}"


def serve(workspace: Path, port: int) -> subprocess.Popen[bytes]:
    """Start the app in a child process and wait until it answers."""
    import httpx

    env = {**os.environ, "PATROLNET_WORKSPACE": str(workspace), "PYTHONWARNINGS": "ignore"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "app.web.main:create_app_from_env",
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning", "--no-access-log"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the app did not start: {proc.stderr.read().decode() if proc.stderr else ''}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("the app did not answer within 60 s")


def sign_in(base: str, username: str = "zhihui") -> dict[str, str]:
    """A bearer token of a demo user (default the commander: the whole district); the header."""
    import httpx

    from app.storage.users import DEMO_PASSWORD

    r = httpx.post(f"{base}/api/v1/auth/token", json={"username": username, "password": DEMO_PASSWORD},
                   timeout=60)
    if r.status_code != 200:
        raise RuntimeError(f"could not sign in as {username!r}: {r.status_code} {r.text[:200]}")
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def load(url: str, *, clients: int, seconds: float, auth: dict[str, str] | None = None) -> dict[str, Any]:
    """Closed-loop load: ``clients`` threads request ``url`` for ``seconds`` (signed in with the
    ``auth`` header); latency percentiles."""
    import httpx
    import numpy as np

    headers = {**(auth or {}), "Accept-Encoding": "gzip"}
    with httpx.Client(timeout=60, headers=headers) as warm:  # first request builds caches (e.g. the dashboard)
        first = warm.get(url)
        first.raise_for_status()
        size = len(first.content)
    lat: list[list[float]] = [[] for _ in range(clients)]
    errors = [0] * clients
    start = threading.Barrier(clients + 1)
    stop_at = [0.0]

    def worker(i: int) -> None:
        with httpx.Client(timeout=60, headers=headers) as c:
            start.wait()
            while time.perf_counter() < stop_at[0]:
                t0 = time.perf_counter()
                try:
                    ok = c.get(url).status_code == 200
                except httpx.HTTPError:
                    ok = False
                lat[i].append(time.perf_counter() - t0)
                errors[i] += not ok

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(clients)]
    for t in threads:
        t.start()
    stop_at[0] = time.perf_counter() + seconds
    t_begin = time.perf_counter()
    start.wait()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t_begin
    ms = np.array([x for xs in lat for x in xs]) * 1000
    return {"requests": int(len(ms)), "rps": round(len(ms) / elapsed, 1),
            "p50_ms": round(float(np.percentile(ms, 50)), 1), "p95_ms": round(float(np.percentile(ms, 95)), 1),
            "p99_ms": round(float(np.percentile(ms, 99)), 1), "errors": int(sum(errors)),
            "bytes": size}


def endpoints(bbox: str) -> dict[str, str]:
    return {
        "/": "/",
        "/api/v1/workspace": "/api/v1/workspace",
        "/api/v1/layers/road_edges?bbox&limit=1000": f"/api/v1/layers/road_edges?bbox={bbox}&limit=1000",
        "/api/v1/stats/headline": "/api/v1/stats/headline",
    }


def run(workspace: Path, *, clients: int = CLIENTS, seconds: float = SECONDS) -> dict[str, dict[str, Any]]:
    port = _free_port()
    proc = serve(workspace, port)
    try:
        base = f"http://127.0.0.1:{port}"
        auth = sign_in(base)
        return {name: load(base + path, clients=clients, seconds=seconds, auth=auth)
                for name, path in endpoints(_quarter_bbox(workspace)).items()}
    finally:
        stop(proc)


def stop(proc: subprocess.Popen[bytes], wait_s: float = 10.0) -> None:
    """Stop a served app (SIGTERM, then SIGKILL after ``wait_s`` seconds) and reap it."""
    proc.terminate()
    try:
        proc.wait(timeout=wait_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _prepared_copy(src: Path, dst: Path) -> Path:
    """A copy of ``src`` split into beats, with the demo users (the users live in a sidecar file
    that a copy of the workspace does not carry; a stale one from an earlier run is replaced)."""
    from app.services.split import split_workspace
    from app.services.workspace import ensure_demo_users
    from app.storage.users import users_path
    from app.storage.workspace import Workspace

    shutil.copyfile(src, dst)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{users_path(dst)}{suffix}").unlink(missing_ok=True)
    split_workspace(Workspace(dst))
    ensure_demo_users(Workspace(dst))
    return dst


@stage("web.latency")
def web_latency(ctx: Context) -> dict[str, Any]:
    """API latency on loopback: CLIENTS keep-alive clients for SECONDS per endpoint (uvicorn, 1 worker)."""
    ws = _prepared_copy(ctx.workspace, ctx.workdir / f"web-x{ctx.scale:g}.gpkg")
    figures = run(ws)
    out: dict[str, Any] = {"clients": CLIENTS, "seconds_each": SECONDS}
    for name, f in figures.items():
        out[name] = (f"p50 {f['p50_ms']:.0f} ms, p95 {f['p95_ms']:.0f} ms, {f['rps']:.0f} req/s"
                     + (f", {f['errors']} errors" if f["errors"] else ""))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.stages_web")
    parser.add_argument("--workspace", type=Path, help="a workspace (default: build the demo)")
    parser.add_argument("--seconds", type=float, default=SECONDS)
    parser.add_argument("--clients", type=int, default=CLIENTS)
    parser.add_argument("--workdir", type=Path, default=Path("bench/results/work"))
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    src = args.workspace
    if src is None:
        import datetime as dt

        from app.services.workspace import build_demo_workspace

        src = args.workdir / "demo-x1.gpkg"
        if not src.exists():
            build_demo_workspace(src, as_of=dt.date(2026, 10, 31))
    ws = _prepared_copy(src, args.workdir / "web-bench.gpkg")
    figures = run(ws, clients=args.clients, seconds=args.seconds)
    print(f"{args.clients} clients x {args.seconds:g} s per endpoint, uvicorn 1 worker, loopback")
    print(f"{'endpoint':<46}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'req/s':>9}{'errors':>8}{'bytes':>11}")
    for name, f in figures.items():
        print(f"{name:<46}{f['p50_ms']:>9.1f}{f['p95_ms']:>9.1f}{f['p99_ms']:>9.1f}{f['rps']:>9.1f}"
              f"{f['errors']:>8}{f['bytes']:>11,}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
