"""Every route against every role, and a station user asking for another station's data.

(a) Every route of the app has an access rule (:data:`app.web.auth.ROUTE_POLICY`; a route without one
    is refused, and this test names it).
(b) The matrix: anonymous, admin, commander, analyst and station (S01) against each route the app
    has (enumerated from the app, with a concrete request each). Who may do what is written out
    below in :data:`EXPECTED` from the issue's words, independently of ``ROUTE_POLICY``, so a wrong
    rule fails here. Allowed roles never get 401/403; the others get 401 (anonymous API), a 303 to
    the login page (anonymous pages) or 403.
(c) Jurisdiction: a station user asks for another station's data directly (layer, bbox, property
    filter, paging, heat points, rankings, model neighborhoods, workspace counts, jobs and job
    files by id, job parameters naming another station, the demo's truth) and gets only its own;
    the commander sees the whole district. The analyst: no gap list, no route or gap exports, no
    planning or data-changing jobs, but the reports. The audit log: commanders and admins only.

Runs on a private copy of the demo district (stations S01-S09) with its camera gap list built
(``camera_gaps_job``, ~2 s) and a one-tile MBTiles file (so the tile route exists). Jobs are
accepted but never run (the job pool is replaced, as in ``test_fuzz_api.py``); finished jobs with
files are made directly in the job manager.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Transformer
from shapely.geometry import box

from app.web.auth import PAGE_ROUTES, ROUTE_POLICY
from app.storage.workspace import Workspace
from tests.app._auth import PASSWORD, USERS, auth_headers
from tests.app._fixtures import make_mbtiles, plain_client_class, keep_jobs_queued

ROLES = ("anonymous", "admin", "commander", "analyst", "station", "officer")
#: Who reads pages, figures and maps (an officer carries its unit's plan on the phone page only).
READERS = frozenset({"admin", "commander", "analyst", "station"})
SIGNED_IN = READERS | {"officer"}
EVERYONE = SIGNED_IN | {"anonymous"}
DISTRICT = frozenset({"admin", "commander"})  # the whole district, planning and data (admin: users too)

#: Route name -> the roles that may use it, from the issue: "commander (whole district), station (its
#: own jurisdiction only: its incidents, neighborhoods, routes, gaps), analyst (read-only, no exports
#: of gap lists or routes), admin (users and data)"; "Audit log ... viewable by commanders and
#: admins". Reading is open to every signed-in role (a station's reads are cut to its area, tested
#: below); planning routes and gap lists is the commander's and, for its own area, a station's;
#: anything that changes the workspace (hotspots and forecasts stored as layers, sub-zones, the
#: coverage split, imports) is the commander's and the admin's, never the read-only analyst's nor
#: a station's (those cover the whole district); analyses that change nothing (backtests, monthly
#: reports) are the analyst's too, but not a station's (the reports rank every station); choosing
#: new camera sites is district-wide budgeting: commander and admin.
EXPECTED: dict[str, frozenset[str]] = {
    # sign-in (public), sign-out and who am I
    "login_page": EVERYONE, "login": EVERYONE, "issue_token": EVERYONE, "healthz": EVERYONE,
    "logout": SIGNED_IN, "revoke_token": SIGNED_IN, "me": SIGNED_IN, "change_password": SIGNED_IN,
    "page_account": SIGNED_IN,
    # pages
    "overview": READERS, "page_hotspots": READERS, "page_coverage": READERS,
    "page_routes": DISTRICT | {"station"}, "page_cameras": DISTRICT | {"station"},
    "page_reports": DISTRICT | {"analyst"}, "page_data": DISTRICT,
    "page_users": frozenset({"admin"}), "page_audit": DISTRICT,
    "swagger_ui": READERS, "openapi": READERS,
    # reading data (cut to the station's area for a station user)
    "workspace_info": READERS, "list_layers": READERS, "get_layer": READERS, "tile": READERS,
    "vector_tile": READERS,
    "headline": READERS, "ranking": READERS, "models": READERS, "monthly": READERS,
    "points": READERS, "watchlist": READERS, "search": READERS, "list_categories": READERS,
    # a station's own monthly report (a station user: its own station only, tested in test_station_report.py)
    "station_report": READERS,
    # the officer's phone page: whoever plans routes, and an officer (its own unit only, tested in
    # test_phone_links.py); the service worker is code, no data; dosage and the patrol map are route
    # exports (a station: its own units)
    "page_phone": DISTRICT | {"station", "officer"}, "phone_sw": EVERYONE,
    "field_units": DISTRICT | {"station", "officer"}, "field_plan": DISTRICT | {"station", "officer"},
    "field_tracks": DISTRICT | {"station", "officer"}, "field_dosage": DISTRICT | {"station"},
    "field_coverage": DISTRICT | {"station"},
    # one-shift links: made, listed and revoked by whoever plans (a station: its own units'); opened by
    # anyone holding one (the secret is the credential)
    "make_links": DISTRICT | {"station"}, "list_links": DISTRICT | {"station"},
    "revoke_link": DISTRICT | {"station"}, "open_link": EVERYONE,
    # jobs: everyone sees their own; starting one depends on the kind
    "list_jobs": READERS, "get_job": READERS, "get_job_file": READERS,
    "submit_routes": DISTRICT | {"station"}, "submit_camera_gaps": DISTRICT | {"station"},
    "submit_camera_site": DISTRICT,
    "submit_backtest": DISTRICT | {"analyst"}, "submit_report": DISTRICT | {"analyst"},
    "submit_hotspots": DISTRICT, "submit_forecast": DISTRICT,
    "submit_grid": DISTRICT, "submit_split": DISTRICT, "import_upload": DISTRICT, "submit_categories": DISTRICT,
    "list_reports": DISTRICT | {"analyst"},
    # durable records of plans and outputs: read by everyone (a station: its own), a plan submitted by
    # whoever plans (a station: its own), approved by a commander, its files exported as routes are
    "list_plans": READERS, "list_records": READERS, "get_plan": READERS,
    "submit_plan": DISTRICT | {"station"}, "approve_plan": DISTRICT, "get_plan_file": DISTRICT | {"station"},
    # administration
    "audit_log": DISTRICT,
    "list_users": frozenset({"admin"}), "add_user": frozenset({"admin"}), "change_user": frozenset({"admin"}),
    "reset_password": frozenset({"admin"}), "remove_user": frozenset({"admin"}),
}
#: Routes that answer HTML (a signed-out visitor is sent to the login page).
PAGES = {"overview", "page_account", "page_phone", "page_hotspots", "page_coverage", "page_routes", "page_cameras", "page_reports",
         "page_data", "page_users", "page_audit", "swagger_ui", "login_page"}



def api_routes(app: Any) -> list[tuple[str, str, frozenset[str], Any]]:
    """(name, path, methods, endpoint route) of every API route, through included routers (FastAPI
    keeps them as ``_IncludedRouter`` entries in ``app.routes``)."""
    from fastapi.routing import APIRoute

    out = []

    def walk(routes: Any) -> None:
        for r in routes:
            if isinstance(r, APIRoute):
                out.append((r.name, r.path, frozenset(r.methods), r))
            elif hasattr(r, "effective_route_contexts"):
                for ctx in r.effective_route_contexts():
                    if isinstance(ctx.original_route, APIRoute):
                        out.append((ctx.name, ctx.path, frozenset(ctx.methods), ctx.original_route))
            elif hasattr(r, "routes") and not hasattr(r, "app"):
                walk(r.routes)

    walk(app.routes)
    return out


# -- the app over the demo district --------------------------------------------------------------------
@dataclass
class Ctx:
    app: Any
    path: Path
    ws: Workspace
    #: role key -> a finished job of that user (a backtest table: no export) and its file name
    own_jobs: dict[str, tuple[str, str]] = field(default_factory=dict)
    jobs: dict[str, Any] = field(default_factory=dict)


def _user(key: str) -> str:
    return USERS[key][0]


def fake_job(app: Any, kind: str, owner: str, *, station_id: str | None = None, files: tuple[str, ...] = ("out.csv",),
             result: dict[str, Any] | None = None) -> Any:
    """A finished job with files, as the job pool would leave it."""
    jobs = app.state.patrolnet.jobs
    job = jobs.new_job(kind, {"station_id": station_id} if station_id else {}, lang="zh-CN", owner=owner,
                       station_id=station_id)
    for name in files:
        (job.out_dir / name).write_text(f"made for {owner} ({kind})\n", encoding="utf-8")
    job.files = {name: job.out_dir / name for name in files}
    job.status, job.progress, job.result = "done", 1.0, result or {}
    # as a process of the pool would: take it from the queue, then write its outcome there
    assert jobs.store.claim(jobs.worker_id, lease_s=3600, job_id=job.id) is not None
    assert jobs.store.save(job.id, jobs.worker_id, job.state())
    return job


@pytest.fixture(scope="module")
def ctx(demo_workspace_file: Path, tmp_path_factory: pytest.TempPathFactory, assets_ready: Path) -> Ctx:
    from app.services.cameras import camera_gaps_job
    from app.web import create_app
    from app.storage.users import UserStore

    root = tmp_path_factory.mktemp("matrix")
    path = root / "yushui.gpkg"
    shutil.copyfile(demo_workspace_file, path)
    camera_gaps_job(Workspace(path), out=root / "gaps.csv", risk=False)  # the camera_gaps layer
    app = create_app(path, mbtiles=make_mbtiles(root / "base.mbtiles"))
    keep_jobs_queued(app)
    auth_headers(app)  # the test users and their sessions
    store = UserStore(path)
    store.add("m-target", PASSWORD, "analyst")
    store.add("m-rm", PASSWORD, "analyst")
    c = Ctx(app, path, Workspace(path))
    for key in USERS:
        job = fake_job(app, "backtest", _user(key))
        c.own_jobs[key] = (job.id, "out.csv")
    c.jobs["commander_routes"] = fake_job(app, "routes", _user("commander"), files=("routes.gpx", "routes.geojson"))
    c.jobs["commander_gaps"] = fake_job(app, "camera_gaps", _user("commander"), files=("gaps.csv",))
    c.jobs["commander_report"] = fake_job(
        app, "report", _user("commander"), files=("report.html",),
        result={"month": "2026-09", "lang": "zh-CN", "as_of": "2026-10-31", "html": "report.html",
                "xlsx": "report.xlsx", "json": "report.json"})
    # a routes job of the analyst's own (made while the user was a commander, say)
    c.jobs["analyst_routes"] = fake_job(app, "routes", _user("analyst"), files=("routes.gpx",))
    c.jobs["s01_routes"] = fake_job(app, "routes", _user("station"), station_id="S01", files=("routes.gpx",))
    c.jobs["s02_routes"] = fake_job(app, "routes", _user("station2"), station_id="S02", files=("routes.gpx",))
    c.jobs["s02_gaps"] = fake_job(app, "camera_gaps", _user("station2"), station_id="S02", files=("gaps.csv",))
    return c


def _client(c: Ctx, role: str) -> Any:
    client = plain_client_class()(c.app, follow_redirects=False)
    if role != "anonymous":
        client.headers.update(auth_headers(c.app, role))
    return client


@pytest.fixture(scope="module")
def clients(ctx: Ctx) -> dict[str, Any]:
    return {role: _client(ctx, role) for role in (*ROLES, "station2")}


@pytest.fixture(autouse=True)
def fixed_sessions(request: pytest.FixtureRequest) -> None:
    """The test users' fixed sessions, put back before each test (the matrix signs out with them)."""
    if "ctx" in request.fixturenames:
        auth_headers(request.getfixturevalue("ctx").app)


# -- concrete requests, one per route --------------------------------------------------------------------
Sample = Callable[[Any, Ctx, str], Any]


def _login_form(client: Any, c: Ctx, role: str) -> Any:
    """The form sign-in, in a browser of its own (the session cookie must not sign in the row's client)."""
    with plain_client_class()(c.app, follow_redirects=False) as browser:
        browser.headers.update({k: v for k, v in client.headers.items() if k.lower() == "authorization"})
        browser.get("/login")
        user = _user(role) if role != "anonymous" else _user("commander")
        return browser.post("/login", data={"username": user, "password": PASSWORD,
                                            "csrf": browser.cookies.get("pn_login_csrf") or "", "next": "/"})


def _own_job(c: Ctx, role: str) -> tuple[str, str]:
    return c.own_jobs["admin" if role == "anonymous" else role]


def _new_plan(c: Ctx, role: str) -> str:
    """A new draft plan of ``role``'s user (a station user's: its station's) with one file; its id."""
    from app.services.plans import record_output

    key = "commander" if role == "anonymous" else role
    n = len(c.jobs.setdefault("plans", []))
    folder = c.path.parent / "matrix-records" / f"{key}-{n}"
    folder.mkdir(parents=True)
    (folder / "routes.gpx").write_text("<gpx/>\n", encoding="utf-8")
    rec = record_output(c.path, kind="routes", author=_user(key), params={}, inputs="", folder=folder,
                        files=("routes.gpx",), station_id=USERS[key][2],
                        result={"date": "2026-11-05", "shift": "20:00-24:00", "units": [{"unit_id": f"M-{key}-{n}"}]})
    c.jobs["plans"].append(rec.id)
    return rec.id


SAMPLES: dict[str, Sample] = {
    "login_page": lambda cl, c, r: cl.get("/login"),
    "login": _login_form,
    "issue_token": lambda cl, c, r: cl.post("/api/v1/auth/token", json={
        "username": _user(r if r != "anonymous" else "analyst"), "password": PASSWORD, "hours": 1}),
    "healthz": lambda cl, c, r: cl.get("/healthz"),
    "logout": lambda cl, c, r: cl.post("/logout"),
    "revoke_token": lambda cl, c, r: cl.delete("/api/v1/auth/token"),
    "me": lambda cl, c, r: cl.get("/api/v1/auth/me"),
    # a new password too short: nothing changes; allowed roles get 422, the others 401
    "change_password": lambda cl, c, r: cl.post("/api/v1/auth/password", json={
        "current_password": PASSWORD, "new_password": "short"}),
    "page_account": lambda cl, c, r: cl.get("/account"),
    "overview": lambda cl, c, r: cl.get("/"),
    **{f"page_{p}": (lambda p: lambda cl, c, r: cl.get(f"/{p}"))(p)
       for p in ("hotspots", "coverage", "routes", "cameras", "reports", "data", "users", "audit")},
    "swagger_ui": lambda cl, c, r: cl.get("/docs"),
    "openapi": lambda cl, c, r: cl.get("/openapi.json"),
    "workspace_info": lambda cl, c, r: cl.get("/api/v1/workspace"),
    "list_layers": lambda cl, c, r: cl.get("/api/v1/layers"),
    "get_layer": lambda cl, c, r: cl.get("/api/v1/layers/incidents", params={"limit": 5}),
    "tile": lambda cl, c, r: cl.get("/tiles/1/1/0.png"),
    "vector_tile": lambda cl, c, r: cl.get("/api/v1/tiles/incidents/12/3355/1718.mvt"),
    "headline": lambda cl, c, r: cl.get("/api/v1/stats/headline"),
    "ranking": lambda cl, c, r: cl.get("/api/v1/stats/ranking"),
    "models": lambda cl, c, r: cl.get("/api/v1/stats/models"),
    "monthly": lambda cl, c, r: cl.get("/api/v1/stats/monthly"),
    "points": lambda cl, c, r: cl.get("/api/v1/incidents/points", params={"start": "2026-10-01"}),
    "watchlist": lambda cl, c, r: cl.get("/api/v1/forecast/watchlist", params={"shift": "20:00-24:00"}),
    "page_phone": lambda cl, c, r: cl.get("/m/"),
    "search": lambda cl, c, r: cl.get("/api/v1/search", params={"q": "路"}),
    "station_report": lambda cl, c, r: cl.get("/api/v1/reports/station", params={"station_id": "S01"}),
    "field_coverage": lambda cl, c, r: cl.get("/api/v1/field/coverage"),
    "field_dosage": lambda cl, c, r: cl.get("/api/v1/field/dosage", params={"date": "2026-11-05"}),
    "phone_sw": lambda cl, c, r: cl.get("/m/sw.js"),
    "make_links": lambda cl, c, r: cl.post("/api/v1/field/links", json={"date": "2026-11-05"}),
    "list_links": lambda cl, c, r: cl.get("/api/v1/field/links"),
    "revoke_link": lambda cl, c, r: cl.delete("/api/v1/field/links/0badc0de"),
    "open_link": lambda cl, c, r: cl.get(f"/m/s/{r}-not-a-link-secret"),  # (one per role: 5 dead tries per link)
    "field_units": lambda cl, c, r: cl.get("/api/v1/field/units", params={"date": "2026-11-05"}),
    "field_plan": lambda cl, c, r: cl.get("/api/v1/field/plan", params={"date": "2026-11-05", "unit": "U0001"}),
    "field_tracks": lambda cl, c, r: cl.post("/api/v1/field/tracks", json={
        "unit_id": "U0001", "pings": [{"t": "2026-11-05T20:00:00+08:00", "lon": 114.93, "lat": 27.82}]}),
    "list_jobs": lambda cl, c, r: cl.get("/api/v1/jobs"),
    "get_job": lambda cl, c, r: cl.get(f"/api/v1/jobs/{_own_job(c, r)[0]}"),
    "get_job_file": lambda cl, c, r: cl.get("/api/v1/jobs/{}/files/{}".format(*_own_job(c, r))),
    "submit_routes": lambda cl, c, r: cl.post("/api/v1/jobs/routes", json={"shift": "20:00-24:00"}),
    "submit_camera_gaps": lambda cl, c, r: cl.post("/api/v1/jobs/camera_gaps", json={"risk": False}),
    "submit_camera_site": lambda cl, c, r: cl.post("/api/v1/jobs/camera_site", json={"add": 3}),
    "submit_backtest": lambda cl, c, r: cl.post("/api/v1/jobs/backtest", json={}),
    "submit_report": lambda cl, c, r: cl.post("/api/v1/jobs/report", json={"month": "2026-09"}),
    "submit_hotspots": lambda cl, c, r: cl.post("/api/v1/jobs/hotspots", json={}),
    "submit_forecast": lambda cl, c, r: cl.post("/api/v1/jobs/forecast", json={}),
    "submit_grid": lambda cl, c, r: cl.post("/api/v1/jobs/grid", json={"count": 50}),
    "submit_split": lambda cl, c, r: cl.post("/api/v1/jobs/split", json={}),
    "submit_categories": lambda cl, c, r: cl.post("/api/v1/jobs/categories", json={
        "code": f"test_{r}", "zh": f"测试类别{r}", "en": f"test category {r}", "group": "other"}),
    "list_categories": lambda cl, c, r: cl.get("/api/v1/workspace/categories"),
    "import_upload": lambda cl, c, r: cl.post(
        "/api/v1/imports", data={"layer": "incidents"},
        files={"file": ("incidents.csv", "经度,纬度,发案时间,案件类别\n114.93,27.82,2026-10-01 10:00,抢劫\n".encode(),
                        "text/csv")}),
    "list_reports": lambda cl, c, r: cl.get("/api/v1/reports"),
    "list_plans": lambda cl, c, r: cl.get("/api/v1/plans", params={"date": "2026-11-05", "shift": "20:00-24:00"}),
    "list_records": lambda cl, c, r: cl.get("/api/v1/records", params={"kind": "routes"}),
    "get_plan": lambda cl, c, r: cl.get(f"/api/v1/plans/{_new_plan(c, r)}"),
    "submit_plan": lambda cl, c, r: cl.post(f"/api/v1/plans/{_new_plan(c, r)}/submit"),
    "approve_plan": lambda cl, c, r: cl.post(f"/api/v1/plans/{_new_plan(c, r)}/approve"),
    "get_plan_file": lambda cl, c, r: cl.get(f"/api/v1/plans/{_new_plan(c, r)}/files/routes.gpx"),
    "audit_log": lambda cl, c, r: cl.get("/api/v1/audit", params={"limit": 5}),
    "list_users": lambda cl, c, r: cl.get("/api/v1/users"),
    "add_user": lambda cl, c, r: cl.post("/api/v1/users", json={
        "username": f"m-new-{r}", "password": PASSWORD, "role": "analyst"}),
    "change_user": lambda cl, c, r: cl.patch("/api/v1/users/m-target", json={"display_name": f"set by {r}"}),
    "reset_password": lambda cl, c, r: cl.post("/api/v1/users/m-target/password",
                                               json={"password": "another long password"}),
    "remove_user": lambda cl, c, r: cl.delete("/api/v1/users/m-rm"),
}
#: Allowed requests that are answered with a 4xx other than 401/403 on purpose.
ALLOWED_NOT_2XX = {
    "import_upload": {422},  # the job pool here never runs the import: "not imported"
    "login": {303},
    "change_password": {422},  # the sample's new password is too short
    "field_plan": {422},  # no plan recorded for the day in this copy: "plan the shift first"
    "field_dosage": {422},  # no plan recorded for the day in this copy
    "field_tracks": {422},  # the job pool here never runs the import: "not imported"
    "make_links": {422},  # no plan recorded on 2026-11-05 (and the day is over): no units to make links for
    "revoke_link": {422},  # no such link
    "open_link": {410},  # not a link: "ask the duty commander for a new one"
    "watchlist": {422},  # no forecast in this copy: "make one first" (a station's own list: test_watchlist.py)
}


def test_every_route_has_an_access_rule(ctx: Ctx) -> None:
    from app.web import create_app

    app = create_app(ctx.path, mbtiles=make_mbtiles(ctx.path.parent / "rule.mbtiles"))
    routes = api_routes(app)
    assert len(routes) >= 45, [n for n, *_ in routes]
    missing = sorted(f"{name} ({'/'.join(sorted(m))} {path})" for name, path, m, _ in routes if name not in ROUTE_POLICY)
    assert not missing, f"routes without an access rule in app.web.auth.ROUTE_POLICY (refused): {missing}"
    names = [name for name, *_ in routes]
    dupes = sorted({n for n in names if names.count(n) > 1})
    assert not dupes, f"route names used twice share one access rule: {dupes}"
    stale = sorted(set(ROUTE_POLICY) - set(names))
    assert not stale, f"rules for routes the app does not have: {stale}"
    assert PAGE_ROUTES <= set(names)


def test_matrix_covers_every_route(ctx: Ctx) -> None:
    names = {name for name, *_ in api_routes(ctx.app)}
    assert names - set(EXPECTED) == set(), "routes of the app missing from EXPECTED (decide who may use them)"
    assert names - set(SAMPLES) == set(), "routes of the app without a sample request"
    assert set(EXPECTED) - names == set(), "EXPECTED names routes the app does not have"
    assert {n for n in PAGE_ROUTES} <= PAGES


@pytest.mark.parametrize("role", ROLES)
def test_access_matrix(ctx: Ctx, role: str) -> None:
    client = _client(ctx, role)
    routes = sorted({name for name, *_ in api_routes(ctx.app)})
    problems: list[str] = []
    seen: dict[str, int] = {}
    for name in routes:
        if role != "anonymous":  # a sign-out or password change in the row before may have ended the session
            client.headers.update(auth_headers(ctx.app, role))
        resp = SAMPLES[name](client, ctx, role)
        status = seen[name] = resp.status_code
        allowed = role in EXPECTED[name]
        if status >= 500:
            problems.append(f"{name}: {status} server error {resp.text[:200]}")
        elif allowed:
            ok = (200 <= status < 300) or status in ALLOWED_NOT_2XX.get(name, set())
            if status in (401, 403) or not ok:
                problems.append(f"{name}: {role} may, got {status} {resp.text[:160]}")
        elif role == "anonymous" and name in PAGES:
            loc = resp.headers.get("location", "")
            if status != 303 or not loc.startswith("/login?next="):
                problems.append(f"{name}: signed out, expected a 303 to /login, got {status} {loc}")
        elif role == "anonymous":
            if status != 401:
                problems.append(f"{name}: signed out, expected 401, got {status}")
        elif status != 403:
            problems.append(f"{name}: {role} may not, expected 403, got {status} {resp.text[:160]}")
        elif name in PAGES and "text/html" not in resp.headers.get("content-type", ""):
            problems.append(f"{name}: a refused page should answer HTML, got {resp.headers.get('content-type')}")
    print(role, json.dumps(seen, sort_keys=True))
    assert not problems, f"{role}:\n" + "\n".join(problems)


def test_policy_agrees_with_the_issue() -> None:
    """The same matrix read off the rules themselves (no requests): names every disagreement at once."""
    from app.storage.access import Principal

    wrong = []
    for name, rule in sorted(ROUTE_POLICY.items()):
        if name not in EXPECTED:
            continue
        for role in ROLES:
            if rule == "public":
                may = True
            elif role == "anonymous":
                may = False
            else:
                may = rule == "signed_in" or Principal("x", role, "S01" if role == "station" else None,
                                                       unit_id="U0001" if role == "officer" else None).can(rule)
            if may != (role in EXPECTED[name]):
                wrong.append(f"{name} ({rule}): {role} {'may' if may else 'may not'}")
    assert not wrong, wrong


# -- (c) jurisdiction: the station user S01 asks for another station's data ---------------------------------
@pytest.fixture(scope="module")
def areas(ctx: Ctx) -> dict[str, Any]:
    st = ctx.ws.read("stations")
    return {sid: shapely.union_all(st[st["station_id"] == sid].geometry.to_numpy()) for sid in st["station_id"]}


def _features(client: Any, layer: str, **params: Any) -> dict[str, Any]:
    r = client.get(f"/api/v1/layers/{layer}", params={"limit": 10_000, **params})
    assert r.status_code == 200, (layer, r.status_code, r.text[:300])
    return r.json()


def _geoms_working(fc: dict[str, Any], crs: Any) -> np.ndarray:
    frame = gpd.GeoDataFrame.from_features(fc["features"], crs="EPSG:4326")
    return frame.to_crs(crs).geometry.to_numpy()


def _visible_to(ws: Workspace, layer: str, area: Any, sid: str) -> pd.DataFrame:
    """The rows of ``layer`` the issue lets station ``sid`` see: its own by station_id; rows without a
    station and layers without a station column by its area."""
    frame = ws.read(layer)
    inside = shapely.intersects(area, frame.geometry.to_numpy())
    if "station_id" not in frame.columns:
        return frame[inside]
    s = frame["station_id"].astype("string")
    own = (s == sid).fillna(False).to_numpy(bool)
    unknown = (s.isna() | (s == "")).fillna(True).to_numpy(bool)
    return frame[own | (unknown & inside)]


def _only_s01(fc: dict[str, Any], ctx: Ctx, area: Any) -> list[str]:
    """Features that are neither S01's by station_id nor inside S01's area (empty: fine)."""
    bad = []
    geoms = _geoms_working(fc, ctx.ws.crs) if fc["features"] else []
    for f, g in zip(fc["features"], geoms):
        sid = f["properties"].get("station_id")
        if sid == "S01":
            continue
        if sid in (None, "") and g is not None and shapely.intersects(area.buffer(1.0), g):
            continue
        bad.append(f"{f.get('id')} station_id={sid!r}")
    return bad


def test_station_layer_is_its_own(clients: dict[str, Any], ctx: Ctx, areas: dict[str, Any]) -> None:
    fc = _features(clients["station"], "incidents")
    expected = _visible_to(ctx.ws, "incidents", areas["S01"], "S01")
    assert fc["numberMatched"] == len(expected) == fc["numberReturned"] > 0
    assert not _only_s01(fc, ctx, areas["S01"])
    assert {f["id"] for f in fc["features"]} == set(expected["incident_id"])
    everyone = _features(clients["commander"], "incidents", limit=1)
    assert everyone["numberMatched"] == ctx.ws.count("incidents") > 5 * len(expected)


@pytest.mark.parametrize("layer", ["neighborhoods", "subzones", "communities", "units", "cameras", "stations",
                                   "camera_gaps", "road_edges", "buildings"])
def test_station_sees_only_its_part_of_every_layer(clients: dict[str, Any], ctx: Ctx, areas: dict[str, Any],
                                                   layer: str) -> None:
    fc = _features(clients["station"], layer)
    expected = _visible_to(ctx.ws, layer, areas["S01"], "S01")
    assert fc["numberMatched"] == len(expected), layer
    if "station_id" in ctx.ws.read(layer, max_features=1).columns:
        assert not _only_s01(fc, ctx, areas["S01"]), layer
    else:  # no station column: everything it gets touches its area
        geoms = _geoms_working(fc, ctx.ws.crs)
        assert shapely.intersects(areas["S01"].buffer(1.0), geoms).all(), layer
    full = _features(clients["commander"], layer, limit=1)["numberMatched"]
    assert full == ctx.ws.count(layer) and full > fc["numberMatched"], layer
    if layer == "stations":
        assert [f["properties"]["station_id"] for f in fc["features"]] == ["S01"]


@pytest.fixture(scope="module")
def s02_only_bbox(ctx: Ctx, areas: dict[str, Any]) -> tuple[float, float, float, float]:
    """A WGS84 box well inside S02's area, far from S01, around as many S02 incidents as possible."""
    inc = ctx.ws.read("incidents")
    inc = inc[inc["station_id"] == "S02"]
    keep_out = areas["S01"].buffer(300)
    best, best_n = None, -1
    pts = inc.geometry.to_numpy()
    for p in pts[:: max(1, len(pts) // 200)]:
        b = box(p.x - 200, p.y - 200, p.x + 200, p.y + 200)
        if not areas["S02"].contains(b) or b.intersects(keep_out):
            continue
        n = int(shapely.contains(b, pts).sum())
        if n > best_n:
            best, best_n = b, n
    assert best is not None and best_n >= 3, "no box inside S02 with incidents"
    tr = Transformer.from_crs(ctx.ws.crs, "EPSG:4326", always_xy=True)
    return tuple(tr.transform_bounds(*best.bounds))  # type: ignore[return-value]


def test_station_bbox_over_another_station_returns_nothing_of_it(clients: dict[str, Any], ctx: Ctx,
                                                                 areas: dict[str, Any], s02_only_bbox: Any) -> None:
    bbox = ",".join(f"{v:.6f}" for v in s02_only_bbox)
    theirs = _features(clients["commander"], "incidents", bbox=bbox)
    assert theirs["numberMatched"] >= 3 and {f["properties"]["station_id"] for f in theirs["features"]} == {"S02"}
    for layer in ("incidents", "neighborhoods", "cameras", "units", "subzones", "camera_gaps"):
        mine = _features(clients["station"], layer, bbox=bbox)
        assert not _only_s01(mine, ctx, areas["S01"]), layer
        assert mine["numberMatched"] == 0, (layer, mine["numberMatched"])
    assert _features(clients["station2"], "incidents", bbox=bbox)["numberMatched"] == theirs["numberMatched"]


def test_station_property_filter_and_paging(clients: dict[str, Any], ctx: Ctx, areas: dict[str, Any]) -> None:
    st = clients["station"]
    fc = _features(st, "incidents", properties="station_id")
    assert {f["properties"]["station_id"] for f in fc["features"]} == {"S01"}
    assert all(set(f["properties"]) <= {"incident_id", "station_id"} for f in fc["features"])
    total = fc["numberMatched"]
    ids: list[str] = []
    offset = 0
    while True:
        page = _features(st, "incidents", limit=97, offset=offset, properties="station_id,category")
        assert page["numberMatched"] == total, "paging counts only the station's rows"
        if not page["features"]:
            break
        assert not _only_s01(page, ctx, areas["S01"])
        ids += [f["id"] for f in page["features"]]
        offset += 97
    assert len(ids) == len(set(ids)) == total
    assert _features(st, "incidents", offset=total)["numberReturned"] == 0
    r = st.get("/api/v1/layers/incidents", params={"offset": total + 10_000, "limit": 10})
    assert r.status_code == 200 and r.json()["features"] == []


def test_station_cannot_read_the_demo_truth(clients: dict[str, Any]) -> None:
    r = clients["station"].get("/api/v1/layers/demo_truth", params={"limit": 5})
    assert r.status_code in (403, 404) and "features" not in r.json()
    assert "demo_truth" not in [li["name"] for li in clients["station"].get("/api/v1/layers").json()]
    assert clients["commander"].get("/api/v1/layers/demo_truth", params={"limit": 1}).status_code == 200
    r = clients["station"].get("/api/v1/tiles/demo_truth/12/3355/1718.mvt")
    assert r.status_code in (403, 404) and "detail" in r.json()
    assert clients["commander"].get("/api/v1/tiles/demo_truth/12/3355/1718.mvt").status_code in (200, 204)


def test_station_heat_points_are_inside_its_area(clients: dict[str, Any], ctx: Ctx, areas: dict[str, Any]) -> None:
    body = clients["station"].get("/api/v1/incidents/points").json()
    pts = np.asarray(body["points"])
    assert body["count"] == len(pts) == int((ctx.ws.read("incidents")["station_id"] == "S01").sum()) > 0
    tr = Transformer.from_crs("EPSG:4326", ctx.ws.crs, always_xy=True)
    x, y = tr.transform(pts[:, 1], pts[:, 0])
    inside = shapely.contains_xy(areas["S01"].buffer(1.0), x, y)
    assert inside.all(), f"{(~inside).sum()} heat points outside S01"
    everyone = clients["commander"].get("/api/v1/incidents/points").json()
    assert everyone["count"] == ctx.ws.count("incidents")
    later = clients["station"].get("/api/v1/incidents/points",
                                   params={"start": "2026-01-01", "category": "two_robberies_one_theft"}).json()
    x, y = tr.transform(np.asarray(later["points"])[:, 1], np.asarray(later["points"])[:, 0])
    assert 0 < later["count"] < body["count"] and shapely.contains_xy(areas["S01"].buffer(1.0), x, y).all()


def test_station_ranking_is_its_own_row(clients: dict[str, Any]) -> None:
    body = clients["station"].get("/api/v1/stats/ranking").json()
    assert [r["station_id"] for r in body["rows"]] == ["S01"]
    assert body["stations_ranked"] == 9 and body["total"] == 1
    full = clients["commander"].get("/api/v1/stats/ranking").json()
    assert len(full["rows"]) == full["stations_ranked"] == 9
    mine = next(r for r in full["rows"] if r["station_id"] == "S01")
    assert body["rows"][0]["rank"] == mine["rank"] and body["rows"][0]["cases"] == mine["cases"]
    assert clients["station"].get("/api/v1/stats/ranking", params={"offset": 1}).json()["rows"] == []


def test_station_models_are_its_neighborhoods(clients: dict[str, Any], ctx: Ctx) -> None:
    body = clients["station"].get("/api/v1/stats/models").json()
    nb = ctx.ws.read("neighborhoods")
    own = set(nb.loc[nb["station_id"] == "S01", "neighborhood_id"])
    assert body["models"], "S01 has model neighborhoods in the demo"
    assert {m["station_id"] for m in body["models"]} == {"S01"}
    assert {m["neighborhood_id"] for m in body["models"]} <= own
    assert {o["station_id"] for o in body["offices_without_model"]} <= {"S01"}
    full = clients["commander"].get("/api/v1/stats/models").json()
    assert len({m["station_id"] for m in full["models"]}) > 1


def test_station_workspace_counts_are_its_own(clients: dict[str, Any], ctx: Ctx, areas: dict[str, Any]) -> None:
    body = clients["station"].get("/api/v1/workspace").json()
    counts = {li["name"]: li["features"] for li in body["layers"]}
    for layer in ("incidents", "neighborhoods", "cameras", "units", "stations", "road_edges"):
        assert counts[layer] == len(_visible_to(ctx.ws, layer, areas["S01"], "S01")), layer
    assert counts["stations"] == 1 and "demo_truth" not in counts
    assert not set(body["meta"]) & {"demo_truth", "district", "core_area_km2"}, sorted(body["meta"])
    tr = Transformer.from_crs(ctx.ws.crs, "EPSG:4326", always_xy=True)
    w, s, e, n = tr.transform_bounds(*areas["S01"].bounds)
    assert body["extent_wgs84"] == pytest.approx([w, s, e, n], abs=1e-6)
    full = clients["commander"].get("/api/v1/workspace").json()
    assert {li["name"]: li["features"] for li in full["layers"]}["incidents"] == ctx.ws.count("incidents")
    listed = {li["name"]: li["features"] for li in clients["station"].get("/api/v1/layers").json()}
    assert listed["incidents"] == counts["incidents"]


def test_station_figures_are_its_own(clients: dict[str, Any]) -> None:
    mine = clients["station"].get("/api/v1/stats/monthly").json()["months"]
    all_ = clients["commander"].get("/api/v1/stats/monthly").json()["months"]
    pairs = [(m["count"], a["count"]) for m, a in zip(mine, all_) if m["count"] is not None]
    assert pairs and all(m <= a for m, a in pairs) and sum(m for m, _ in pairs) < sum(a for _, a in pairs) / 3


def test_station_jobs_of_others_are_not_found(clients: dict[str, Any], ctx: Ctx) -> None:
    st = clients["station"]
    listed = st.get("/api/v1/jobs").json()
    assert listed["jobs"] and {j["owner"] for j in listed["jobs"]} == {_user("station")}
    for key in ("s02_routes", "s02_gaps", "commander_routes", "commander_report", "analyst_routes"):
        job = ctx.jobs[key]
        r = st.get(f"/api/v1/jobs/{job.id}")
        assert r.status_code == 404, (key, r.status_code)
        name = next(iter(job.files))
        r = st.get(f"/api/v1/jobs/{job.id}/files/{name}")
        assert r.status_code == 404 and "made for" not in r.text, (key, r.status_code)
    own = ctx.jobs["s01_routes"]
    r = st.get(f"/api/v1/jobs/{own.id}/files/routes.gpx")
    assert r.status_code == 200 and r.text.startswith("made for t-s01"), "a station exports its own routes"
    from app.storage.audit import read_log

    entry = read_log(ctx.path, action="export", limit=1)[0]  # who took a route list, and when
    assert entry.actor == "web:t-s01" and entry.details["job"] == own.id and entry.details["station_id"] == "S01"
    # and the other station cannot see S01's
    assert clients["station2"].get(f"/api/v1/jobs/{own.id}").status_code == 404
    assert clients["commander"].get(f"/api/v1/jobs/{own.id}/files/routes.gpx").status_code == 200


def test_station_jobs_are_forced_to_its_station(clients: dict[str, Any], ctx: Ctx) -> None:
    st = clients["station"]
    r = st.post("/api/v1/jobs/routes", json={"kinds": ["brigade_vehicle"]})
    assert r.status_code == 403
    r = st.post("/api/v1/jobs/routes", json={"kinds": ["grid_team", "brigade_vehicle"], "station_id": "S01"})
    assert r.status_code == 403
    r = st.post("/api/v1/jobs/routes", json={"station_id": "S02", "shift": "08:00-12:00"})
    assert r.status_code == 202, r.text
    job = r.json()
    assert job["params"]["station_id"] == "S01" and job["params"]["kinds"] == ["grid_team"]
    assert ctx.app.state.patrolnet.jobs.get(job["id"]).station_id == "S01"
    r = st.post("/api/v1/jobs/camera_gaps", json={"station_id": "S02", "risk": False})
    assert r.status_code == 202 and r.json()["params"]["station_id"] == "S01"
    for kind, body in (("camera_site", {}), ("hotspots", {}), ("forecast", {}), ("grid", {"count": 5}),
                       ("split", {}), ("backtest", {}), ("report", {})):
        assert st.post(f"/api/v1/jobs/{kind}", json=body).status_code == 403, kind
    # the commander plans any station, and brigade vehicles
    r = clients["commander"].post("/api/v1/jobs/routes", json={"station_id": "S02", "kinds": ["brigade_vehicle"]})
    assert r.status_code == 202 and r.json()["params"]["station_id"] == "S02"


# -- the analyst --------------------------------------------------------------------------------------------
def test_analyst_gets_no_gap_list(clients: dict[str, Any]) -> None:
    an = clients["analyst"]
    r = an.get("/api/v1/layers/camera_gaps", params={"limit": 5})
    assert r.status_code in (403, 404) and "features" not in r.json(), "the gap list is not the analyst's"
    assert "camera_gaps" not in [li["name"] for li in an.get("/api/v1/layers").json()]
    assert "camera_gaps" not in [li["name"] for li in an.get("/api/v1/workspace").json()["layers"]]
    assert clients["commander"].get("/api/v1/layers/camera_gaps", params={"limit": 1}).json()["numberMatched"] > 0


def test_analyst_gap_list_is_refused_as_forbidden(clients: dict[str, Any]) -> None:
    assert clients["analyst"].get("/api/v1/layers/camera_gaps", params={"limit": 5}).status_code == 403


def test_analyst_cannot_plan_change_or_export(clients: dict[str, Any], ctx: Ctx) -> None:
    an = clients["analyst"]
    for kind, body in (("routes", {}), ("camera_gaps", {}), ("camera_site", {}), ("hotspots", {}),
                       ("forecast", {}), ("grid", {"count": 5}), ("split", {})):
        assert an.post(f"/api/v1/jobs/{kind}", json=body).status_code == 403, kind
    r = an.post("/api/v1/imports", data={"layer": "incidents"}, files={"file": ("a.csv", b"x,y\n1,2\n", "text/csv")})
    assert r.status_code == 403
    for key in ("commander_routes", "commander_gaps"):
        job = ctx.jobs[key]
        for name in job.files:
            r = an.get(f"/api/v1/jobs/{job.id}/files/{name}")
            assert r.status_code in (403, 404) and "made for" not in r.text, (key, name)
    # even a routes job the analyst owns (e.g. made before the role changed) is no export for an analyst
    job = ctx.jobs["analyst_routes"]
    assert an.get(f"/api/v1/jobs/{job.id}").status_code == 200
    r = an.get(f"/api/v1/jobs/{job.id}/files/routes.gpx")
    assert r.status_code == 403 and "made for" not in r.text


def test_analyst_reads_reports(clients: dict[str, Any], ctx: Ctx) -> None:
    an = clients["analyst"]
    listed = an.get("/api/v1/reports").json()
    report = ctx.jobs["commander_report"]
    assert report.id in {r["job"].rsplit("/", 1)[-1] for r in listed["reports"]}
    assert an.get(f"/api/v1/jobs/{report.id}").status_code == 200
    r = an.get(f"/api/v1/jobs/{report.id}/files/report.html")
    assert r.status_code == 200 and r.text.startswith("made for t-commander")
    assert an.post("/api/v1/jobs/report", json={"month": "2026-09"}).status_code == 202
    assert an.post("/api/v1/jobs/backtest", json={}).status_code == 202
    assert an.get("/reports").status_code == 200
    assert clients["station"].get("/api/v1/reports").status_code == 403
    assert clients["station"].get(f"/api/v1/jobs/{report.id}/files/report.html").status_code == 404


# -- the audit log -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("role", "status"), [("commander", 200), ("admin", 200), ("station", 403),
                                              ("analyst", 403), ("anonymous", 401)])
def test_audit_log_is_for_commanders_and_admins(clients: dict[str, Any], role: str, status: int) -> None:
    r = clients[role].get("/api/v1/audit", params={"limit": 3})
    assert r.status_code == status
    if status == 200:
        assert isinstance(r.json()["entries"], list)
    else:
        assert "entries" not in r.json()
