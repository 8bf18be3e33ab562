"""A whole workspace served from PostgreSQL/PostGIS (issue 14): the web app and the commands take a
``postgresql://USER@HOST/DB?schema=NAME`` location as they take a ``.gpkg`` path.

The demo district, split into beats and given the test users, is copied into a throwaway schema
(``patrolnet workspace copy``); the app made on the URL signs users in against the schema's users,
serves the same layers (also by bbox) and headline figures as the app on the file, runs a routes
job whose files download and whose plan is recorded in the schema, and writes its audit log there.
The commands that work on it (``info``, ``users list``, ``audit``, ``plans list``) do (``import``, ``init``:
tests/app/test_pg_imports.py); the ones that cannot (``backup``, ``demo``) refuse it saying what to
do, in zh-CN and English.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from app.services.workspace_copy import copy_workspace
from app.storage import open_store
from app.storage.pg_store import PgStore
from app.web import create_app
from tests.app._auth import PASSWORD, USERS, ensure_users, token_for
from tests.app._fixtures import plain_client_class, wait_job
from tests.pg import pg_url  # noqa: F401 - the fixture

SHIFT = {"date": "2026-11-02", "shift": "20:00-24:00"}
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def split_demo(demo_workspace_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo district split into beats (the planner needs them), with the test users."""
    from app.services.split import split_workspace
    from app.storage.workspace import Workspace

    path = tmp_path_factory.mktemp("pgws") / "yushui.gpkg"
    shutil.copyfile(demo_workspace_file, path)
    split_workspace(Workspace(path))
    ensure_users(path)
    return path


@pytest.fixture(scope="module")
def pg_ws(split_demo: Path, pg_url: str) -> str:  # noqa: F811
    """The split demo copied into its own schema (layers, meta, users and their sessions)."""
    url = f"{pg_url}?schema=served_demo"
    copy_workspace(split_demo, url)
    return url


@pytest.fixture(scope="module")
def apps(split_demo: Path, pg_ws: str, assets_ready: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("pg-outputs")
    return {"gpkg": create_app(split_demo), "pg": create_app(pg_ws, outputs_dir=out)}


def _client(app: Any, role: str) -> Any:
    c = plain_client_class()(app)
    c.headers.update({"Authorization": f"Bearer {token_for(role)}"})
    return c


@pytest.fixture(scope="module")
def clients(apps: dict[str, Any]) -> Iterator[dict[str, Any]]:
    made = {f"{backend}:{role}": _client(app, role) for backend, app in apps.items()
            for role in ("commander", "station")}
    for c in made.values():
        c.__enter__()
    yield made
    for c in made.values():
        c.__exit__(None, None, None)


def test_the_app_on_a_url_keeps_everything_in_the_schema(apps: dict[str, Any], pg_ws: str) -> None:
    settings = apps["pg"].state.patrolnet.settings
    assert settings.workspace_path == pg_ws and not settings.is_file  # never a Path (it folds '//')
    assert settings.workspace_name == "served_demo"
    store = open_store(pg_ws)
    assert isinstance(store, PgStore) and open_store(pg_ws) is store  # one per location: connections kept
    state = apps["pg"].state.patrolnet
    assert type(state.users).__name__ == "PgUserStore"
    assert type(state.jobs.store).__name__ == "PgJobStore"
    assert type(state.limiter._limiter.storage).__name__ == "PgLimitsStorage"
    assert type(state.workspace()).__name__ == "PgWorkspace"
    # nothing beside a file named after the URL
    assert not any(p.name.startswith(".served_demo") for p in Path.cwd().iterdir())


def test_sign_in_against_the_schemas_users(apps: dict[str, Any], pg_ws: str) -> None:
    name = USERS["analyst"][0]
    with plain_client_class()(apps["pg"]) as c:
        bad = c.post("/api/v1/auth/token", json={"username": name, "password": "wrong-password-1"})
        assert bad.status_code == 401
        ok = c.post("/api/v1/auth/token", json={"username": name, "password": PASSWORD})
        assert ok.status_code == 200, ok.text
        c.headers.update({"Authorization": f"Bearer {ok.json()['access_token']}"})
        me = c.get("/api/v1/auth/me").json()
        assert me["username"] == name and me["role"] == "analyst"
    logins = open_store(pg_ws).audit().read(action="login")
    assert logins and logins[0].actor == f"web:{name}"


def _feature_ids(body: dict[str, Any]) -> list[Any]:
    return sorted(str(f.get("id", f["properties"])) for f in body["features"])


def test_layers_by_bbox_and_headline_figures_equal_the_gpkg_apps(clients: dict[str, Any]) -> None:
    for role in ("commander", "station"):
        g, p = clients[f"gpkg:{role}"], clients[f"pg:{role}"]
        listed = [g.get("/api/v1/layers").json(), p.get("/api/v1/layers").json()]
        assert listed[0] == listed[1]
        names = {entry["name"] for entry in listed[0]}
        assert {"incidents", "road_edges", "stations"} <= names
        extent = g.get("/api/v1/layers/stations").json()
        xs = [c[0] for f in extent["features"] for ring in f["geometry"]["coordinates"] for poly in ring for c in poly]
        ys = [c[1] for f in extent["features"] for ring in f["geometry"]["coordinates"] for poly in ring for c in poly]
        mid_x, mid_y = (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2
        bbox = f"{mid_x - 0.01},{mid_y - 0.01},{mid_x + 0.01},{mid_y + 0.01}"
        for layer in ("incidents", "road_edges", "cameras"):
            a = g.get(f"/api/v1/layers/{layer}", params={"bbox": bbox, "limit": 5000})
            b = p.get(f"/api/v1/layers/{layer}", params={"bbox": bbox, "limit": 5000})
            assert a.status_code == b.status_code == 200, (layer, b.text[:300])
            assert a.json()["numberMatched"] == b.json()["numberMatched"] > 0, layer
            assert _feature_ids(a.json()) == _feature_ids(b.json()), layer
        for figures in ("/api/v1/stats/headline", "/api/v1/stats/ranking", "/api/v1/stats/monthly"):
            a, b = g.get(figures), p.get(figures)
            assert a.status_code == b.status_code == 200, (figures, b.text[:300])
            assert a.json() == b.json(), figures
        info = [c.get("/api/v1/workspace").json() for c in (g, p)]
        assert [(x["name"], x["features"]) for x in info[0]["layers"]] == \
            [(x["name"], x["features"]) for x in info[1]["layers"]]


def test_a_routes_job_runs_downloads_and_is_recorded_in_the_schema(clients: dict[str, Any], pg_ws: str,
                                                                     apps: dict[str, Any]) -> None:
    c = clients["pg:commander"]
    r = c.post("/api/v1/jobs/routes", json={**SHIFT, "kinds": ["grid_team"], "station_id": "S01"})
    assert r.status_code == 202, r.text
    job = wait_job(c, r.json()["href"])
    assert job["status"] == "done", job["error"]
    assert job["files"] and all(f["name"].startswith("served_demo-2026-11-02-") for f in job["files"])
    for f in job["files"]:
        got = c.get(f"/api/v1/jobs/{job['id']}/files/{f['name']}")
        assert got.status_code == 200 and len(got.content) > 0, f["name"]
    out = apps["pg"].state.patrolnet.settings.output_root
    assert (out / job["id"]).is_dir()  # the outputs folder given for the PostgreSQL workspace
    # the queue, the plan record and the audit entry live in the schema
    assert open_store(pg_ws).jobs().get(job["id"])["status"] == "done"
    plans = c.get("/api/v1/plans").json()
    assert job["id"] in [rec["id"] for rec in plans["records"]]
    assert open_store(pg_ws).records().get(job["id"]).status == "draft"
    assert any(e.details.get("job") == job["id"] for e in open_store(pg_ws).audit().read(action="routes"))
    shown = c.get(f"/api/v1/plans/{job['id']}").json()
    assert shown["status"] == "draft" and shown["author"] == USERS["commander"][0]


def test_a_write_to_the_schema_is_seen_by_the_running_app(apps: dict[str, Any], pg_ws: str) -> None:
    state = apps["pg"].state.patrolnet
    before, ws = state.version(), state.workspace()
    ws.write({}, meta={"note": "changed elsewhere"})
    assert state.version() != before
    assert state.workspace().meta["note"] == "changed elsewhere"


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "app.cli", *args], capture_output=True, text=True, timeout=300,
                          cwd=ROOT, env=env, check=False)


def test_commands_take_the_url(pg_ws: str) -> None:
    info = _cli("info", pg_ws, "--json")
    assert info.returncode == 0, info.stderr
    assert '"road_edges"' in info.stdout and '"incidents"' in info.stdout
    users = _cli("users", "list", pg_ws, "--json")
    assert users.returncode == 0 and USERS["commander"][0] in users.stdout, users.stderr
    plans = _cli("plans", "list", pg_ws, "--lang", "en")
    assert plans.returncode == 0, plans.stderr
    audit = _cli("audit", pg_ws, "--json", "--limit", "500")
    assert audit.returncode == 0, audit.stderr
    assert json.loads(audit.stdout) == [e.as_dict() for e in open_store(pg_ws).audit().read(limit=500)]
    # a mistyped schema is refused, not made
    other = pg_ws.replace("schema=served_demo", "schema=served_demo_typo")
    typo = _cli("users", "list", other, "--lang", "en")
    assert typo.returncode == 2 and "holds no patrolnet workspace" in typo.stderr
    dsn = pg_ws.split("?")[0]
    with psycopg.connect(dsn) as con:
        assert con.execute("SELECT 1 FROM pg_namespace WHERE nspname = 'served_demo_typo'").fetchone() is None


@pytest.mark.parametrize("args, said", [
    (("demo", "--no-serve", "--workspace", "{url}"), ("只能生成 .gpkg", "patrolnet serve")),
    (("backup", "{url}"), ("pg_dump", "不自行备份")),
])
def test_commands_that_cannot_yet_refuse_the_url_saying_why(pg_ws: str, args: tuple[str, ...],
                                                             said: tuple[str, str]) -> None:
    done = _cli(*(a.format(url=pg_ws) for a in args), "--lang", "zh-CN")
    assert done.returncode == 2
    for text in said:
        assert text in done.stderr, done.stderr
    english = _cli(*(a.format(url=pg_ws) for a in args), "--lang", "en")
    assert english.returncode == 2
    assert any(text in english.stderr for text in ("pg_dump", ".gpkg workspace file only", "makes a .gpkg workspace file"))


def test_an_app_on_a_schema_without_a_workspace_is_refused_and_nothing_is_made(pg_url: str) -> None:  # noqa: F811
    from geo.errors import WorkspaceError

    with pytest.raises(WorkspaceError, match="holds no patrolnet workspace"):
        create_app(f"{pg_url}?schema=nothing_here", require_assets=False)
    with psycopg.connect(pg_url) as con:
        assert con.execute("SELECT 1 FROM pg_namespace WHERE nspname = 'nothing_here'").fetchone() is None


def test_one_connection_per_thread_serves_users_limits_and_layers(pg_ws: str, apps: dict[str, Any]) -> None:
    store = open_store(pg_ws)
    state = apps["pg"].state.patrolnet
    con = store._conns.get()
    assert state.users._conns is store._conns and state.limiter._limiter.storage._conns is store._conns
    with state.workspace()._reading() as reading:
        assert reading is con
