"""Bench stage ``web.load``: a bounded load test of the web app on loopback, signed in (issue 8).

What it does
------------
1. Builds the demo workspace (``app.services.workspace.build_demo_workspace``, which also creates the demo users) in
   a temporary folder, or copies a given one and gives it the demo users.
2. Starts the app as production does, ``patrolnet serve WORKSPACE --workers N`` (uvicorn; N web worker
   processes, default 1, ``PATROLNET_BENCH_LOAD_WORKERS`` or ``--workers``),
   on a free loopback port, and waits for ``/healthz``.
3. Runs ``USERS`` simulated duty-room users (default 50) for ``SECONDS`` (default 60) in one asyncio
   event loop, each with its own ``httpx.AsyncClient`` (its own connections and cookie jar, as a
   browser tab). Users arrive spread over the first ``RAMP`` seconds (default 5; 0 = everyone signs
   in at once, a shift change). The role mix is about 60 % commanders, 30 % station users (stations
   S01, S02, S03 in turn) and 10 % analysts; one user in five signs in through the ``/login`` form
   (``pn_login_csrf`` cookie + the form's ``csrf`` field, then the ``pn_session`` cookie and the
   ``X-CSRF-Token`` header of ``/api/v1/auth/me`` on POSTs), the others through
   ``POST /api/v1/auth/token`` and ``Authorization: Bearer``. No wrong password is ever sent (the
   login rate limit counts failures only).
4. Each user then repeats weighted actions, with a think time of 0.5-2 s after each, until the end:
   open the dashboard ``/`` (gzip) and what its script asks for (station areas, boundary, the
   12-month heat points, a one-feature count of the first view's streets, neighborhoods and cameras,
   then those that fit the page's budget) or a map page (``/hotspots`` + its heat points,
   ``/coverage`` + the streets of the view), each followed by ``/api/v1/auth/me`` as the pages'
   script does; pan the
   map (``/api/v1/layers/road_edges?bbox&properties&simplify_m`` and ``/api/v1/layers/incidents?bbox``
   on a random viewport at zoom 15-17, inside the district, or inside the user's own station for a
   station user); change the heat-map period (``/api/v1/incidents/points?start``); read the headline
   figures, the station ranking, the job list. About one user in five submits one cheap job of its
   role during the run (commander: routes of one station's grid teams; station user: its own grid
   teams' routes; analyst: the monthly report) and follows it every 0.4 s as the page does.
5. Every answer is checked: any status other than the expected one (200; 202 for a job, 303 for the
   form sign-in), any transport error or timeout, and any failed job is an error; the stage raises
   when there is one. The mix contains only requests the role may make, so a 403 is a real error.

Figures: requests, requests/s, errors, latency p50/p95/p99/max overall (sign-ins excluded) and per
endpoint, sign-in latency (token and form; Argon2id verify) separately, p95 after the first
``RAMP + 10`` s (warm caches), the server's peak RSS (``VmHWM``) and CPU, the client's CPU and its
event-loop lag (if the loop lagged, the client would be the bottleneck and the latencies too high).
Client timing is ``time.perf_counter`` around each request including reading (and un-gzipping) the
body.

The full figures (with every endpoint) are also written as JSON to ``bench/results/load-*.json``.

Standalone: ``python -m bench.stages_load [--users 50] [--seconds 60] [--ramp 5] [--quick]
[--workspace W.gpkg] [--scale 1] [--pg postgresql://USER@HOST[:PORT]/DB]`` (``--pg``: the prepared workspace
is copied into a new schema of that database, ``patrolnet workspace copy``, and the server serves the URL;
the schema is dropped afterwards), with two diagnostics the stage never uses: ``--warm`` (every page
opened once per data scope before the clock starts) and ``--mix commander:1`` (other role shares);
it prints a per-endpoint table. Inside ``python -m bench --only web.load`` the sizes come from
``PATROLNET_BENCH_LOAD_USERS``, ``PATROLNET_BENCH_LOAD_SECONDS``, ``PATROLNET_BENCH_LOAD_RAMP``, and
``PATROLNET_BENCH_LOAD_QUICK=1`` (10 users for 15 s: a smoke run, not a measurement).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import math
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.stages import Context, stage
from bench.stages_web import stop

QUICK = os.environ.get("PATROLNET_BENCH_LOAD_QUICK", "") not in ("", "0")
USERS = int(os.environ.get("PATROLNET_BENCH_LOAD_USERS", "10" if QUICK else "50"))
SECONDS = float(os.environ.get("PATROLNET_BENCH_LOAD_SECONDS", "15" if QUICK else "60"))
RAMP = float(os.environ.get("PATROLNET_BENCH_LOAD_RAMP", "2" if QUICK else "5"))
#: ``patrolnet serve --workers N`` (web worker processes sharing the workspace's stores).
WORKERS = int(os.environ.get("PATROLNET_BENCH_LOAD_WORKERS", "1"))

#: share of each role among the users; station users take the stations in turn
ROLE_MIX = (("commander", 0.6), ("station", 0.3), ("analyst", 0.1))
STATION_USERS = (("beihu", "S01"), ("baoshi", "S02"), ("zhushan", "S03"))
ROLE_USER = {"commander": "zhihui", "analyst": "fenxi"}
FORM_SHARE = 0.2  # users signing in through the /login form (the others: the token endpoint)
JOB_SHARE = 0.2  # users submitting one job during the run
THINK_S = (0.5, 2.0)
POLL_S = 0.4  # the pages poll a job this often (PN.follow)
TIMEOUT_S = 60.0
ZOOMS = (15, 16, 17)
#: The dashboard's heat window in its page's map set-up (JSON).
_HEAT_WINDOW = re.compile(r'"heat_window":\s*(\{[^{}]*\})')
MAP_PX = (1200, 800)
SHIFTS = ("08:00-12:00", "12:00-16:00", "16:00-20:00", "20:00-24:00")
#: action -> weight; each action is one or a few requests made back to back, then a think time
ACTIONS = {"dashboard": 3, "hotspots": 2, "coverage": 2, "pan": 5, "heat_period": 1, "headline": 2,
           "ranking": 2, "jobs": 2}
LOGIN_ENDPOINTS = ("POST /api/v1/auth/token", "GET /login", "POST /login")


# -- the server ---------------------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(workspace: Path | str, port: int, log: Path, workers: int = 1,
          outputs: Path | None = None) -> subprocess.Popen[bytes]:
    """``patrolnet serve WORKSPACE [--workers N] [--outputs DIR]`` on 127.0.0.1:``port`` (the production
    command, demo users required, the overview warmed in the background); waits until ``/healthz``
    answers. ``workspace``: a .gpkg file or a ``postgresql://`` location."""
    import httpx

    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    extra = ["--outputs", str(outputs)] if outputs is not None else []
    with log.open("wb") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", str(workspace),
             "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers), *extra],
            env=env, stdout=subprocess.DEVNULL, stderr=err,
        )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"patrolnet serve did not start: {log.read_text(errors='replace')[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError("patrolnet serve did not answer /healthz within 120 s")


def _tree(pid: int) -> list[int]:
    """``pid`` and its descendants (web workers, job processes), from /proc."""
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        try:
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return found


def _proc_status(pid: int) -> dict[str, float]:
    """The server's CPU seconds (user + system), current and peak RSS (MB), threads, from /proc: its
    whole process tree (the web workers of ``--workers N`` and the job processes; peaks added up)."""
    out: dict[str, float] = {}
    for p in _tree(pid):
        for key, value in _one_status(p).items():
            out[key] = out.get(key, 0.0) + value
    return out


def _one_status(pid: int) -> dict[str, float]:
    out: dict[str, float] = {}
    try:
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        tick = os.sysconf("SC_CLK_TCK")
        out["cpu_s"] = (int(stat[11]) + int(stat[12])) / tick  # utime, stime (fields 14, 15)
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmHWM", "VmRSS"):
                out[key] = int(value.split()[0]) / 1024
            elif key == "Threads":
                out["threads"] = int(value)
    except (OSError, IndexError, ValueError):
        pass
    return out


# -- the workspace -------------------------------------------------------------------------------------------
def prepare_workspace(folder: Path, *, source: Path | None = None, scale: float = 1.0, seed: int = 1979,
                      as_of: dt.date = dt.date(2026, 10, 31)) -> Path:
    """The demo workspace with its demo users in ``folder``: built, or copied from ``source``."""
    from app.services.workspace import build_demo_workspace, ensure_demo_users
    from app.storage.workspace import Workspace

    path = folder / "demo.gpkg"
    if source is None:
        build_demo_workspace(path, seed=seed, as_of=as_of, scale=scale)
    else:
        shutil.copyfile(source, path)
        ensure_demo_users(Workspace(path))
    return path


@dataclass(frozen=True)
class District:
    """What the simulated users need to know of the workspace: map extents and the data's last day."""

    extent: tuple[float, float, float, float]  # WGS84 w, s, e, n of the stations
    stations: dict[str, tuple[float, float, float, float]]
    last_day: dt.date


def copy_to_pg(workspace: Path, url: str) -> str:
    """``workspace`` (with its users) copied into a new schema of the database at ``url``; its location."""
    from app.services.workspace_copy import copy_workspace

    base = url.split("?", 1)[0]
    location = f"{base}?schema=load_{dt.datetime.now(dt.UTC):%Y%m%d%H%M%S}"
    copy_workspace(workspace, location)
    return location


def drop_pg(location: str) -> None:
    """Drop the schema :func:`copy_to_pg` made."""
    import psycopg
    from psycopg import sql

    from app.storage.pg import parse_location

    dsn, schema = parse_location(location)
    with psycopg.connect(dsn, autocommit=True) as con:
        con.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


def district_of(workspace: Path | str) -> District:
    from app.storage import open_workspace

    ws = open_workspace(workspace)
    st = ws.read("stations", columns=["station_id"]).to_crs("EPSG:4326")
    boxes = {str(sid): tuple(float(v) for v in geom.bounds) for sid, geom in zip(st["station_id"], st.geometry)}
    inc = ws.read("incidents", columns=["occurred_at"])
    return District(tuple(float(v) for v in st.total_bounds), boxes,  # type: ignore[arg-type]
                    inc["occurred_at"].max().date())


# -- the simulated users ---------------------------------------------------------------------------------------
@dataclass
class UserSpec:
    index: int
    role: str
    username: str
    station_id: str | None
    form_login: bool
    start_s: float
    job_at_s: float | None  # submit one job this long after the start (None: never)
    seed: int


def user_specs(users: int, seconds: float, ramp: float, seed: int,
               mix: tuple[tuple[str, float], ...] = ROLE_MIX) -> list[UserSpec]:
    """The simulated users: role mix, station users in turn, who signs in by form, who submits a job."""
    rng = random.Random(seed)
    total = sum(share for _, share in mix)
    counts = [round(users * share / total) for _, share in mix]
    counts[0] += users - sum(counts)  # rounding: the rest take the first role
    roles = [role for (role, _), n in zip(mix, counts) for _ in range(n)]
    rng.shuffle(roles)
    specs: list[UserSpec] = []
    n_station = 0
    n_form = max(1, round(users * FORM_SHARE)) if users >= 2 else 0
    form = set(rng.sample(range(users), n_form))
    n_job = max(1, round(users * JOB_SHARE))
    jobs = set(rng.sample(range(users), n_job))
    if form and not jobs & form:  # one job at least goes through a cookie session (CSRF header)
        jobs = {*sorted(jobs)[1:], rng.choice(sorted(form))}
    for i, role in enumerate(roles):
        if role == "station":
            username, station = STATION_USERS[n_station % len(STATION_USERS)]
            n_station += 1
        else:
            username, station = ROLE_USER[role], None
        start = ramp * i / users if users else 0.0
        job_at = rng.uniform(0.1, 0.7) * seconds if i in jobs else None
        specs.append(UserSpec(i, role, username, station, i in form, start, job_at, rng.randrange(2**31)))
    return specs


@dataclass
class Sample:
    t: float  # start, seconds after the run began
    endpoint: str
    seconds: float
    status: int | None
    ok: bool
    role: str
    wire_bytes: int = 0


@dataclass
class Recorder:
    t0: float
    samples: list[Sample] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    jobs: dict[str, int] = field(default_factory=lambda: {"submitted": 0, "done": 0, "failed": 0, "unfinished": 0})


class SimUser:
    def __init__(self, spec: UserSpec, base: str, district: District, rec: Recorder, stop_at: float):
        self.spec = spec
        self.base = base
        self.district = district
        self.rec = rec
        self.stop_at = stop_at
        self.rng = random.Random(spec.seed)
        self.csrf: str | None = None
        self.client: Any = None
        self._tol = 2.0  # simplify_m of the last viewport

    # one request, timed and checked
    async def call(self, method: str, path: str, endpoint: str, *, expect: int = 200, **kw: Any) -> Any:
        import httpx

        t0 = time.perf_counter()
        status: int | None = None
        body = ""
        resp = None
        try:
            resp = await self.client.request(method, path, **kw)
            status = resp.status_code
            wire = resp.num_bytes_downloaded
        except httpx.HTTPError as exc:
            body = f"{type(exc).__name__}: {exc}"
            wire = 0
        elapsed = time.perf_counter() - t0
        ok = status == expect
        self.rec.samples.append(Sample(t0 - self.rec.t0, endpoint, elapsed, status, ok, self.spec.role, wire))
        if not ok:
            if resp is not None:
                body = resp.text[:400]
            self.rec.errors.append({"user": self.spec.username, "role": self.spec.role,
                                    "via": "form" if self.spec.form_login else "token", "method": method,
                                    "path": path, "status": status, "expected": expect, "body": body,
                                    "t": round(t0 - self.rec.t0, 2), "ms": round(elapsed * 1000, 1)})
            return None
        return resp

    async def sign_in(self) -> bool:
        from app.storage.users import DEMO_PASSWORD

        if not self.spec.form_login:
            r = await self.call("POST", "/api/v1/auth/token", "POST /api/v1/auth/token",
                                json={"username": self.spec.username, "password": DEMO_PASSWORD})
            if r is None:
                return False
            self.client.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
            return True
        page = await self.call("GET", "/login", "GET /login")
        if page is None:
            return False
        m = re.search(r'name="csrf" value="([^"]+)"', page.text)
        if m is None:
            self.rec.errors.append({"user": self.spec.username, "path": "/login", "status": page.status_code,
                                    "body": "the login form has no csrf field"})
            return False
        r = await self.call("POST", "/login?lang=zh-CN", "POST /login", expect=303,
                            data={"username": self.spec.username, "password": DEMO_PASSWORD,
                                  "csrf": m.group(1), "next": "/"})
        if r is None:
            return False
        if "pn_session" not in self.client.cookies:
            self.rec.errors.append({"user": self.spec.username, "path": "/login", "status": r.status_code,
                                    "body": "signed in but no pn_session cookie"})
            return False
        return True

    # what the users look at
    def viewport(self) -> str:
        """A map view (zoom 15-17, 1200 x 800 px, padded 20 % as the pages do) centred at random
        inside the district, or inside its own station for a station user; clipped to the area."""
        box = self.district.stations.get(self.spec.station_id or "", self.district.extent)
        w, s, e, n = box
        lon, lat = self.rng.uniform(w, e), self.rng.uniform(s, n)
        z = self.rng.choice(ZOOMS)
        deg_px = 360 / (256 * 2**z)
        half_w = MAP_PX[0] / 2 * deg_px * 1.2
        half_h = MAP_PX[1] / 2 * deg_px * math.cos(math.radians(lat)) * 1.2
        W, S, E, N = self.district.extent
        bbox = (max(W, lon - half_w), max(S, lat - half_h), min(E, lon + half_w), min(N, lat + half_h))
        self._tol = max(0.5, min(20.0, 156543 * math.cos(math.radians(lat)) / 2**z))
        return ",".join(f"{v:.4f}" for v in bbox)

    async def me(self) -> None:
        r = await self.call("GET", "/api/v1/auth/me", "GET /api/v1/auth/me")
        if r is not None and self.spec.form_login:
            self.csrf = r.json().get("csrf_token")

    async def streets(self, bbox: str) -> None:
        await self.call("GET", f"/api/v1/layers/road_edges?bbox={bbox}&properties=name,highway,length_m"
                               f"&simplify_m={self._tol:.1f}&limit=10000", "GET /api/v1/layers/road_edges?bbox")

    async def heat(self) -> None:
        start = self.district.last_day - dt.timedelta(days=self.rng.choice((7, 30, 90, 365)))
        await self.call("GET", f"/api/v1/incidents/points?start={start.isoformat()}",
                        "GET /api/v1/incidents/points?start")

    async def dashboard(self) -> None:
        """``/`` and what its script then asks for (app/web/static/dashboard.js): the station areas
        and the boundary, the 12-month heat points, and for each layer shown at first (streets,
        neighborhoods, cameras) one feature to count the view, then the view's features when they
        fit the page's budget. The first view is the user's area (the district, or its station)."""
        from app.web.pages import VIEW_BUDGET

        page = await self.call("GET", "/", "GET /")
        await self.me()
        if page is None:
            return
        found = _HEAT_WINDOW.search(page.text)
        window = json.loads(found.group(1)) if found else None
        await self.call("GET", "/api/v1/layers/stations?properties=name&simplify_m=5", "GET /api/v1/layers/stations")
        await self.call("GET", "/api/v1/layers/boundary?properties=name&simplify_m=5", "GET /api/v1/layers/boundary")
        if window:
            await self.call("GET", f"/api/v1/incidents/points?start={window['start']}&end={window['end']}",
                            "GET /api/v1/incidents/points?start&end (dashboard heat)")
        w, s, e, n = self.district.stations.get(self.spec.station_id or "", self.district.extent)
        pad_w, pad_h = (e - w) * 0.25, (n - s) * 0.25
        bbox = ",".join(f"{v:.5f}" for v in (w - pad_w, s - pad_h, e + pad_w, n + pad_h))
        zoom = max(0, min(18, int(math.log2(MAP_PX[0] * 360 / (256 * max(e - w, 1e-6))))))
        px_m = 156543 * math.cos(math.radians((s + n) / 2)) / 2**zoom
        for layer, props, simplify, budget in (("road_edges", "highway,name", 1.0, VIEW_BUDGET["roads"]),
                                               ("neighborhoods", "name,kind,households,model_kind", 0.5,
                                                VIEW_BUDGET["neighborhoods"]),
                                               ("cameras", "kind", 0.0, VIEW_BUDGET["cameras"])):
            tol = f"&simplify_m={max(0.5, min(20.0, simplify * px_m)):.1f}" if simplify else ""
            probe = await self.call("GET", f"/api/v1/layers/{layer}?bbox={bbox}&limit=1&properties={props}{tol}",
                                    "GET /api/v1/layers/{layer}?limit=1 (dashboard count)")
            if probe is None:
                continue
            matched = int(probe.json().get("numberMatched", 0))
            if 1 < matched <= budget:
                await self.call("GET", f"/api/v1/layers/{layer}?bbox={bbox}&properties={props}{tol}",
                                "GET /api/v1/layers/{layer}?bbox (dashboard view)")

    async def act(self, action: str) -> None:
        if action == "dashboard":
            await self.dashboard()
        elif action == "hotspots":
            await self.call("GET", "/hotspots", "GET /hotspots")
            await self.me()
            await self.heat()
        elif action == "coverage":
            await self.call("GET", "/coverage", "GET /coverage")
            await self.me()
            await self.streets(self.viewport())
        elif action == "pan":
            bbox = self.viewport()
            await self.streets(bbox)
            await self.call("GET", f"/api/v1/layers/incidents?bbox={bbox}", "GET /api/v1/layers/incidents?bbox")
        elif action == "heat_period":
            await self.heat()
        elif action == "headline":
            await self.call("GET", "/api/v1/stats/headline", "GET /api/v1/stats/headline")
        elif action == "ranking":
            await self.call("GET", "/api/v1/stats/ranking", "GET /api/v1/stats/ranking")
        elif action == "jobs":
            await self.call("GET", "/api/v1/jobs", "GET /api/v1/jobs")

    def job_request(self) -> tuple[str, dict[str, Any]]:
        """A cheap job the role may run: one station's grid-team routes, or the monthly report."""
        if self.spec.role == "analyst":
            return "report", {}
        body: dict[str, Any] = {"kinds": ["grid_team"], "team_minutes": 60, "time_limit_s": 0.05,
                                "shift": self.rng.choice(SHIFTS)}
        if self.spec.role == "commander":
            body["station_id"] = self.rng.choice(sorted(self.district.stations))
        return "routes", body

    async def run_job(self) -> None:
        kind, body = self.job_request()
        headers = {}
        if self.spec.form_login:  # a cookie session: the CSRF header and the page's Origin, as the page sends
            if self.csrf is None:
                await self.me()
            headers = {"X-CSRF-Token": self.csrf or "", "Origin": self.base}
        r = await self.call("POST", f"/api/v1/jobs/{kind}", "POST /api/v1/jobs/{kind}", expect=202,
                            json=body, headers=headers)
        if r is None:
            return
        self.rec.jobs["submitted"] += 1
        job = r.json()
        while job["status"] not in ("done", "failed"):
            if time.perf_counter() > self.stop_at + 30:
                self.rec.jobs["unfinished"] += 1
                return
            await asyncio.sleep(POLL_S)
            r = await self.call("GET", job["href"], "GET /api/v1/jobs/{id}")
            if r is None:
                return
            job = r.json()
        self.rec.jobs[job["status"]] += 1
        if job["status"] == "failed":
            self.rec.errors.append({"user": self.spec.username, "role": self.spec.role, "path": job["href"],
                                    "status": "job failed", "body": str(job.get("error"))[:400]})

    async def run(self) -> None:
        import httpx

        await asyncio.sleep(self.spec.start_s)
        limits = httpx.Limits(max_connections=6, max_keepalive_connections=6)  # a browser's per-host limit
        async with httpx.AsyncClient(base_url=self.base, timeout=TIMEOUT_S, limits=limits, follow_redirects=False,
                                     headers={"Accept-Encoding": "gzip", "Accept-Language": "zh-CN"}) as client:
            self.client = client
            if not await self.sign_in():
                return
            actions, weights = list(ACTIONS), list(ACTIONS.values())
            first = True
            job_at = None if self.spec.job_at_s is None else self.rec.t0 + self.spec.job_at_s
            while time.perf_counter() < self.stop_at:
                if job_at is not None and time.perf_counter() >= job_at:
                    job_at = None
                    await self.run_job()
                else:
                    await self.act("dashboard" if first else self.rng.choices(actions, weights)[0])
                    first = False
                think = self.rng.uniform(*THINK_S)
                await asyncio.sleep(max(0.0, min(think, self.stop_at - time.perf_counter())))


async def _lag_monitor(stop_at: float, out: list[float]) -> None:
    """How late the event loop wakes up from a 50 ms sleep: the client's own queueing."""
    while time.perf_counter() < stop_at:
        t = time.perf_counter()
        await asyncio.sleep(0.05)
        out.append(time.perf_counter() - t - 0.05)


async def _server_monitor(pid: int, stop_at: float, out: list[dict[str, float]]) -> None:
    while time.perf_counter() < stop_at + 5:
        out.append({"t": time.perf_counter(), **_proc_status(pid)})
        await asyncio.sleep(1.0)


async def _drive(specs: list[UserSpec], base: str, district: District, seconds: float, pid: int) -> dict[str, Any]:
    t0 = time.perf_counter()
    stop_at = t0 + seconds
    rec = Recorder(t0)
    lag: list[float] = []
    server: list[dict[str, float]] = []
    users = [SimUser(s, base, district, rec, stop_at) for s in specs]
    monitors = [asyncio.create_task(_lag_monitor(stop_at, lag)),
                asyncio.create_task(_server_monitor(pid, stop_at, server))]
    await asyncio.gather(*(u.run() for u in users))
    wall = time.perf_counter() - t0
    for m in monitors:
        m.cancel()
    return {"rec": rec, "wall": wall, "lag": lag, "server": server, "t0": t0}


# -- the run and its figures ----------------------------------------------------------------------------------
def _raise_priority() -> int:
    """Give the load generator (this process, well under a tenth of a core) a higher CPU priority
    than the server and other work on the machine, so that the latencies measured are the server's
    and not the client's own wait for a core; the event-loop lag shows whether that held. Returns the
    niceness in effect (unchanged when not permitted)."""
    try:
        os.setpriority(os.PRIO_PROCESS, 0, -10)
    except OSError:
        pass
    return os.getpriority(os.PRIO_PROCESS, 0)


def _pct(values: Any, q: float) -> float:
    import numpy as np

    return float(np.percentile(values, q)) if len(values) else float("nan")


def _summary(ms: Any) -> dict[str, float]:
    return {"n": int(len(ms)), "p50_ms": round(_pct(ms, 50), 1), "p95_ms": round(_pct(ms, 95), 1),
            "p99_ms": round(_pct(ms, 99), 1), "max_ms": round(float(ms.max()) if len(ms) else float("nan"), 1)}


def warm_up(base: str, specs: list[UserSpec], district: District) -> float:
    """Before the clock: one user of each scope opens every page and figure once (a server that has
    run a while); seconds taken. A diagnostic (``--warm``): the stage measures a cold start."""
    import httpx

    from app.storage.users import DEMO_PASSWORD

    t0 = time.perf_counter()
    start = (district.last_day - dt.timedelta(days=30)).isoformat()
    for username in sorted({s.username for s in specs}):
        with httpx.Client(base_url=base, timeout=300, headers={"Accept-Encoding": "gzip"}) as c:
            token = c.post("/api/v1/auth/token", json={"username": username, "password": DEMO_PASSWORD})
            token.raise_for_status()
            c.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
            for path in ("/", "/hotspots", "/coverage", "/api/v1/stats/headline", "/api/v1/stats/ranking",
                         f"/api/v1/incidents/points?start={start}"):
                c.get(path).raise_for_status()
    return time.perf_counter() - t0


def run(workspace: Path | str, *, users: int = USERS, seconds: float = SECONDS, ramp: float = RAMP, seed: int = 1979,
        log: Path | None = None, mix: tuple[tuple[str, float], ...] = ROLE_MIX, warm: bool = False,
        workers: int = WORKERS, outputs: Path | None = None) -> dict[str, Any]:
    """Serve ``workspace`` (a .gpkg file or a ``postgresql://`` location) and load it; every figure
    (see the module docstring). The server's stderr goes to ``log`` (default: beside the workspace
    file; required for a URL), the jobs' files to ``outputs`` (the server's default if ``None``)."""
    import numpy as np

    district = district_of(workspace)
    specs = user_specs(users, seconds, ramp, seed, mix)
    load_before = os.getloadavg()[0]
    port = _free_port()
    log = log or Path(workspace).parent / "load-server.log"
    proc = serve(workspace, port, log, workers, outputs)
    nice = _raise_priority()
    try:
        warm_s = warm_up(f"http://127.0.0.1:{port}", specs, district) if warm else None
        before = _proc_status(proc.pid)
        cpu0, wall0 = time.process_time(), time.perf_counter()
        out = asyncio.run(_drive(specs, f"http://127.0.0.1:{port}", district, seconds, proc.pid))
        client_cpu = time.process_time() - cpu0
        client_wall = time.perf_counter() - wall0
        after = _proc_status(proc.pid)
        alive = proc.poll() is None
    finally:
        stop(proc, wait_s=15.0)
    rec: Recorder = out["rec"]
    server_log = log.read_text(errors="replace") if log.exists() else ""
    tracebacks = server_log.count("Traceback (most recent call last)")

    samples = rec.samples
    ms = np.array([s.seconds * 1000 for s in samples if s.endpoint not in LOGIN_ENDPOINTS])
    warm_from = ramp + 10
    ms_warm = np.array([s.seconds * 1000 for s in samples
                        if s.endpoint not in LOGIN_ENDPOINTS and s.t >= warm_from])
    per: dict[str, dict[str, Any]] = {}
    for name in sorted({s.endpoint for s in samples}):
        sel = [s for s in samples if s.endpoint == name]
        per[name] = {**_summary(np.array([s.seconds * 1000 for s in sel])),
                     "errors": sum(not s.ok for s in sel),
                     "kb_wire": round(float(np.mean([s.wire_bytes for s in sel])) / 1024, 1)}
    login = {name: per[name] for name in LOGIN_ENDPOINTS if name in per}
    lag = np.array(out["lag"]) * 1000
    rss = [m["VmRSS"] for m in out["server"] if "VmRSS" in m]
    roles = {r: sum(s.role == r for s in specs) for r, _ in mix}
    figures: dict[str, Any] = {
        "backend": "postgresql" if "://" in str(workspace) else "gpkg",
        "users": users, "seconds": seconds, "ramp_s": ramp, "wall_s": round(out["wall"], 1), "workers": workers,
        "warm_up_s": None if warm_s is None else round(warm_s, 1),
        "roles": roles, "form_logins": sum(s.form_login for s in specs),
        "requests": len(samples), "requests_no_login": int(len(ms)),
        "rps": round(len(samples) / out["wall"], 1),
        "errors": len(rec.errors), "error_examples": rec.errors[:10],
        "overall": _summary(ms), "overall_warm": {**_summary(ms_warm), "from_s": warm_from},
        "login": login, "endpoints": per, "jobs": rec.jobs,
        "server": {"peak_rss_mb": round(after.get("VmHWM", float("nan")), 0),
                   "rss_at_start_mb": round(before.get("VmRSS", float("nan")), 0),
                   "rss_max_sampled_mb": round(max(rss), 0) if rss else None,
                   "cpu_s": round(after.get("cpu_s", 0) - before.get("cpu_s", 0), 1),
                   "cpu_share": round((after.get("cpu_s", 0) - before.get("cpu_s", 0)) / client_wall, 2),
                   "threads": after.get("threads"), "alive": alive, "tracebacks": tracebacks},
        "client": {"cpu_s": round(client_cpu, 1), "cpu_share": round(client_cpu / client_wall, 2), "nice": nice,
                   "loop_lag_p99_ms": round(_pct(lag, 99), 1), "loop_lag_max_ms": round(float(lag.max()), 1)
                   if len(lag) else None},
        "machine": f"{os.cpu_count()} cores, 1-min loadavg {load_before:.2f} before / {os.getloadavg()[0]:.2f} after",
        "scopes": len({s.station_id or s.role.replace("commander", "district") for s in specs}),
    }
    if tracebacks:
        figures["server"]["log"] = str(log)
    # the server each second (s after the start, CPU seconds so far, RSS MB) and its CPU share once warm
    timeline = [(round(m["t"] - out["t0"], 1), m.get("cpu_s"), round(m.get("VmRSS", 0))) for m in out["server"]]
    warm = [x for x in timeline if x[0] >= warm_from and x[1] is not None and x[0] <= seconds]
    if len(warm) >= 2:
        figures["server"]["cpu_share_warm"] = round((warm[-1][1] - warm[0][1]) / (warm[-1][0] - warm[0][0]), 2)
    figures["server_timeline"] = timeline
    # every request (start s, endpoint, role, ms, status) for a look at latency over time; JSON file only
    figures["samples"] = [(round(s.t, 3), s.endpoint, s.role, round(s.seconds * 1000, 1), s.status) for s in samples]
    return figures


def save(figures: dict[str, Any]) -> Path:
    out = Path("bench/results") / f"load-{dt.datetime.now():%Y%m%d-%H%M%S}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(figures, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    return out


def check(figures: dict[str, Any], path: Path | None = None) -> None:
    """Raise on any error (a refused or failed request, a failed job, a server traceback or crash)."""
    problems = []
    if figures["errors"]:
        ex = figures["error_examples"][0]
        problems.append(f"{figures['errors']} errors, e.g. {ex.get('method', '')} {ex.get('path')} -> "
                        f"{ex.get('status')} (expected {ex.get('expected', '-')}): {str(ex.get('body'))[:160]!r}")
    if figures["server"]["tracebacks"]:
        problems.append(f"the server logged {figures['server']['tracebacks']} tracebacks")
    if not figures["server"]["alive"]:
        problems.append("the server died during the run")
    if problems:
        o = figures["overall"]
        measured = (f"measured: {figures['requests']} requests, {figures['rps']} req/s, p50 {o['p50_ms']:.0f} / "
                    f"p95 {o['p95_ms']:.0f} / max {o['max_ms']:.0f} ms")
        where = f"; every figure and error in {path}" if path else ""
        raise RuntimeError("web.load: " + "; ".join(problems).replace("\n", " ") + f" ({measured}{where})")


def _brief(s: dict[str, Any]) -> str:
    return f"p50 {s['p50_ms']:.0f} / p95 {s['p95_ms']:.0f} / p99 {s['p99_ms']:.0f} / max {s['max_ms']:.0f} ms, n={s['n']}"


@stage("web.load")
def web_load(ctx: Context) -> dict[str, Any]:
    """USERS signed-in users (60 % commanders, 30 % station users, 10 % analysts) for SECONDS against
    ``patrolnet serve`` on the demo: think time 0.5-2 s, a duty commander's mix, rare jobs; no errors."""
    folder = Path(tempfile.mkdtemp(prefix="pn-load-"))
    try:
        ws = prepare_workspace(folder, scale=ctx.scale, seed=ctx.seed, as_of=ctx.as_of)
        figures = run(ws, users=USERS, seconds=SECONDS, ramp=RAMP, seed=ctx.seed,
                      log=ctx.workdir / f"load-server-x{ctx.scale:g}.log")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    path = save(figures)
    check(figures, path)
    o, w, srv, cl = figures["overall"], figures["overall_warm"], figures["server"], figures["client"]
    result: dict[str, Any] = {
        "users": figures["users"], "workers": figures["workers"], "duration_s": figures["seconds"],
        "requests": figures["requests"],
        "req_per_s": figures["rps"], "errors": figures["errors"],
        "latency": _brief(o), f"p95 after {w['from_s']:g} s": f"{w['p95_ms']:.0f} ms",
    }
    for name, s in figures["login"].items():
        result[f"login {name}"] = _brief(s)
    for name, s in figures["endpoints"].items():
        if name not in LOGIN_ENDPOINTS:
            result[name] = _brief(s)
    result["jobs"] = "{submitted} submitted, {done} done".format(**figures["jobs"])
    result["server"] = f"peak RSS {srv['peak_rss_mb']:.0f} MB, CPU {srv['cpu_share']:.2f} cores"
    result["client"] = (f"CPU {cl['cpu_share']:.2f} cores, loop lag p99 {cl['loop_lag_p99_ms']:.0f} ms / "
                        f"max {cl['loop_lag_max_ms']:.0f} ms")
    result["json"] = str(path)
    return result


def _print(figures: dict[str, Any]) -> None:
    f = figures
    print(f"{f['users']} users ({f['roles']}, {f['scopes']} data scopes, {f['form_logins']} via the login form) "
          f"for {f['seconds']:g} s (ramp {f['ramp_s']:g} s"
          + (f", after a {f['warm_up_s']:g} s warm-up" if f.get("warm_up_s") is not None else ", cold start")
          + f"), patrolnet serve --workers {f.get('workers', 1)} on {f.get('backend', 'gpkg')}, loopback; "
          f"{f['machine']}")
    print(f"requests {f['requests']} ({f['rps']} req/s), errors {f['errors']}, jobs {f['jobs']}")
    print(f"{'endpoint':<42}{'n':>6}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}{'KB wire':>9}{'err':>5}")
    rows = [("ALL (sign-ins excluded)", {**f["overall"], "kb_wire": float("nan"), "errors": f["errors"]}),
            (f"ALL after {f['overall_warm']['from_s']:g} s", {**f["overall_warm"], "kb_wire": float("nan"), "errors": 0})]
    rows += list(f["endpoints"].items())
    for name, s in rows:
        print(f"{name:<42}{s['n']:>6}{s['p50_ms']:>9.1f}{s['p95_ms']:>9.1f}{s['p99_ms']:>9.1f}{s['max_ms']:>9.1f}"
              f"{s['kb_wire']:>9.1f}{s['errors']:>5}")
    print(f"server: {f['server']}")
    print(f"client: {f['client']}")
    for e in f["error_examples"]:
        print("ERROR", e)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.stages_load")
    parser.add_argument("--users", type=int, default=None, help=f"simulated users (default {USERS})")
    parser.add_argument("--seconds", type=float, default=None, help=f"duration (default {SECONDS:g})")
    parser.add_argument("--ramp", type=float, default=None, help=f"users arrive over this many seconds ({RAMP:g})")
    parser.add_argument("--quick", action="store_true", help="10 users for 15 s (a smoke run)")
    parser.add_argument("--workspace", type=Path, help="copy this workspace (default: build the demo)")
    parser.add_argument("--scale", type=float, default=1.0, help="demo scale when building (default 1)")
    parser.add_argument("--mix", default=",".join(f"{r}:{s:g}" for r, s in ROLE_MIX),
                        help="role shares, e.g. commander:1 (a diagnostic; the stage always uses the default)")
    parser.add_argument("--warm", action="store_true",
                        help="open every page once per scope before the clock starts (a diagnostic)")
    parser.add_argument("--seed", type=int, default=1979)
    parser.add_argument("--workers", type=int, default=WORKERS, help="patrolnet serve --workers (default 1)")
    parser.add_argument("--workdir", type=Path, default=Path("bench/results/work"))
    parser.add_argument("--pg", metavar="URL",
                        help="serve the workspace from PostgreSQL: copied into a new schema of this database "
                             "(postgresql://USER@HOST[:PORT]/DB, PostGIS installed), dropped afterwards")
    args = parser.parse_args()
    mix = tuple((r, float(v)) for r, v in (part.split(":") for part in args.mix.split(",")))
    if any(r not in ("commander", "station", "analyst") for r, _ in mix):
        parser.error("--mix: roles are commander, station, analyst")
    users = args.users if args.users is not None else (10 if args.quick else USERS)
    seconds = args.seconds if args.seconds is not None else (15 if args.quick else SECONDS)
    ramp = args.ramp if args.ramp is not None else (2 if args.quick else RAMP)
    args.workdir.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="pn-load-"))
    location: str | None = None
    try:
        ws: Path | str = prepare_workspace(folder, source=args.workspace, scale=args.scale, seed=args.seed)
        if args.pg:
            location = ws = copy_to_pg(Path(ws), args.pg)
        figures = run(ws, users=users, seconds=seconds, ramp=ramp, seed=args.seed,
                      log=args.workdir / "load-server.log", mix=mix, warm=args.warm, workers=args.workers,
                      outputs=folder / "outputs")
    finally:
        if location is not None:
            drop_pg(location)
        shutil.rmtree(folder, ignore_errors=True)
    path = save(figures)
    print(f"written {path}")
    _print(figures)
    try:
        check(figures, path)
    except RuntimeError as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
