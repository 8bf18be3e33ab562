"""Jobs through the API: submit (202), poll to done, download the outputs with the right media
types; bad parameters, unknown jobs and path tricks refused; the server answers while a job runs."""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.services.split import split_workspace
from app.web import create_app
from app.web.tasks import _dated_name, safe_filename
from app.storage.workspace import Workspace
from tests.app._fixtures import client_class, wait_job

DAY = "2026-11-02"


@pytest.fixture()
def own_client(tmp_path: Path, workspace_path: Path, assets_ready: Path) -> Iterator[Any]:
    """A client on a private copy of the fixture workspace (jobs write to the workspace)."""
    import shutil

    path = tmp_path / "ws.gpkg"
    shutil.copyfile(workspace_path, path)
    with client_class()(create_app(path)) as c:
        yield c


@pytest.fixture()
def demo_client(demo_workspace: Workspace, assets_ready: Path) -> Iterator[Any]:
    split_workspace(demo_workspace)
    with client_class()(create_app(demo_workspace.path)) as c:
        yield c


def test_routes_job_lifecycle(demo_client: Any, demo_workspace: Workspace) -> None:
    c = demo_client
    r = c.post("/api/v1/jobs/routes", json={"date": DAY, "shift": "20:00-24:00", "kinds": ["brigade_vehicle"]})
    assert r.status_code == 202
    job = r.json()
    assert job["status"] in ("queued", "running") and job["kind"] == "routes"
    assert r.headers["location"] == job["href"] == f"/api/v1/jobs/{job['id']}"
    # the server answers other requests while the job runs
    t0 = time.perf_counter()
    assert c.get("/healthz").status_code == 200
    assert time.perf_counter() - t0 < 2.0
    done = wait_job(c, job["href"])
    assert done["status"] == "done", done["error"]
    progress = [p for _, p in done["_seen"]]
    assert progress == sorted(progress) and done["progress"] == 1.0
    assert done["stage"] == "write"
    result = done["result"]
    assert result["date"] == DAY and result["shift"] == "20:00-24:00"
    assert len(result["units"]) == 12 and all(u["unit_kind"] == "brigade_vehicle" for u in result["units"])
    names = {f["name"]: f for f in done["files"]}
    stem = demo_workspace.path.stem
    assert set(names) == {f"{stem}-{DAY}-2000_2400-{n}" for n in (
        "routes.geojson", "routes.gpx", "routes.kml", "patrol-sheets.html", "dosage.csv", "units.zip")}
    assert result["gpx"] in names and result["routes_geojson"] in names
    expected = {".gpx": "application/gpx+xml", ".kml": "application/vnd.google-earth.kml+xml",
                ".geojson": "application/geo+json", ".csv": "text/csv; charset=utf-8",
                ".html": "text/html; charset=utf-8", ".zip": "application/zip"}
    for name, f in names.items():
        suffix = Path(name).suffix
        assert f["media_type"] == expected[suffix]
        got = c.get(f["href"])
        assert got.status_code == 200, name
        assert got.headers["content-type"] == expected[suffix], name
        disposition = got.headers["content-disposition"]
        assert name in disposition
        assert disposition.startswith("inline" if suffix == ".html" else "attachment")
        assert len(got.content) == f["size_bytes"] > 100
    gpx = c.get(names[result["gpx"]]["href"]).text
    assert "<gpx" in gpx and "<trkpt" in gpx
    fc = c.get(names[result["routes_geojson"]]["href"]).json()
    routes = [f for f in fc["features"] if f["properties"]["feature_type"] == "route"]
    assert len(routes) == 12 and routes[0]["geometry"]["type"] == "LineString"
    # the files live in the workspace's output folder, one folder per job
    out = demo_workspace.path.parent / f"{stem}-outputs" / job["id"]
    assert (out / result["gpx"]).is_file() and (out / "job.json").is_file()
    listing = c.get("/api/v1/jobs", params={"kind": "routes"}).json()
    assert listing["total"] == 1 and listing["jobs"][0]["id"] == job["id"]


def test_split_and_hotspots_jobs_write_layers(demo_workspace: Workspace, assets_ready: Path) -> None:
    with client_class()(create_app(demo_workspace.path)) as c:
        assert c.get("/api/v1/layers/beats").status_code == 404
        job = wait_job(c, c.post("/api/v1/jobs/split", json={}).json()["href"])
        assert job["status"] == "done", job["error"]
        assert {x["name"] for x in job["layers"]} == {"edge_owners", "beats", "grid_team_areas"}
        assert job["result"]["balance"]["beats"] == 12
        names = [f["name"] for f in job["files"]]
        assert any(re.fullmatch(r"yushui-\d{4}-\d\d-\d\d-beats\.geojson", n) for n in names), names
        assert c.get("/api/v1/layers/beats").json()["numberMatched"] == 12
        job = wait_job(c, c.post("/api/v1/jobs/hotspots", json={
            "start": "2026-08-01", "end": "2026-10-31", "categories": ["two_robberies_one_theft"]}).json()["href"])
        assert job["status"] == "done", job["error"]
        res = job["result"]
        assert res["from"] == "2026-08-01" and res["to"] == "2026-10-31" and res["incidents"] > 100
        assert res["subzones"]["hot"] > 0
        # every file the summary names is a download of the job, named workspace-date-content
        for name in res["files"].values():
            assert name.startswith("yushui-2026-10-31-"), name
            assert name in {f["name"] for f in job["files"]}
        fc = c.get("/api/v1/layers/hotspot_subzones", params={"limit": 5, "properties": "hotspot,gi_z"}).json()
        assert fc["numberMatched"] == 1979 and set(fc["features"][0]["properties"]) == {"subzone_id", "hotspot", "gi_z"}


def test_forecast_and_grid_on_the_fixture(tmp_path: Path, workspace_path: Path, assets_ready: Path) -> None:
    import shutil

    path = tmp_path / "ws.gpkg"
    shutil.copyfile(workspace_path, path)
    with client_class()(create_app(path, outputs_dir=tmp_path / "out")) as c:
        job = wait_job(c, c.post("/api/v1/jobs/forecast", json={"cells": "grid", "cell_m": 500, "top": 3}).json()["href"])
        assert job["status"] == "done", job["error"]
        assert job["result"]["as_of"] == "2025-06-30" and len(job["result"]["top"]) == 3
        assert [f["name"] for f in job["files"]] == ["ws-2025-06-30-forecast-grid.csv"]
        assert (tmp_path / "out" / job["id"] / "ws-2025-06-30-forecast-grid.csv").is_file()
        assert job["layers"] == [{"name": "forecast_grid", "href": "/api/v1/layers/forecast_grid"}]
        job = wait_job(c, c.post("/api/v1/jobs/grid", json={"target_area_m2": 250_000}).json()["href"])
        assert job["status"] == "done", job["error"]
        assert job["result"]["subzones"] > 10
        assert c.get("/api/v1/layers/subzones").json()["numberMatched"] == job["result"]["subzones"]


def test_failed_job_reports_the_reason(client: Any) -> None:
    # the fixture workspace has no patrol units
    job = wait_job(client, client.post("/api/v1/jobs/routes", json={"date": DAY}).json()["href"])
    assert job["status"] == "failed" and job["error_type"] == "InputError"
    assert "no patrol units" in job["error"] and job["files"] == []


@pytest.mark.parametrize("kind, body", [
    ("routes", {"shift": "late evening"}),
    ("routes", {"kinds": ["tanks"]}),
    ("routes", {"kinds": []}),
    ("routes", {"surprise": 1}),
    ("grid", {"count": 10, "target_area_m2": 5000}),
    ("hotspots", {"start": "2026-05-01", "end": "2026-04-01"}),
    ("hotspots", {"categories": ["jaywalking"]}),
    ("backtest", {"start_week": 20, "end_week": 10}),
    ("forecast", {"method": "crystal_ball"}),
])
def test_bad_parameters_are_422(client: Any, kind: str, body: dict[str, Any]) -> None:
    r = client.post(f"/api/v1/jobs/{kind}", json=body)
    assert r.status_code == 422, r.text
    assert r.json()["detail"]


def test_unknown_kind_and_job(client: Any) -> None:
    assert client.post("/api/v1/jobs/teleport", json={}).status_code in (404, 405)
    r = client.get("/api/v1/jobs/20260101-000000-abcdef")
    assert r.status_code == 404 and r.json()["error"] == "JobNotFoundError"
    assert client.get("/api/v1/jobs/not-a-job").status_code == 404


def test_download_traversal_refused(own_client: Any, workspace_path: Path) -> None:
    client = own_client
    job = wait_job(client, client.post("/api/v1/jobs/forecast", json={"cells": "grid", "cell_m": 800}).json()["href"])
    assert job["status"] == "done", job["error"]
    base = job["href"] + "/files/"
    secret = workspace_path.name
    for name in ("job.json", "..", "../job.json", "..%2Fjob.json", "..%2F..%2F" + secret, "%2e%2e%2f" + secret,
                 "..\\..\\" + secret, "/etc/passwd", "%2Fetc%2Fpasswd", "nope.csv"):
        r = client.get(base + name)
        # ".." segments may be collapsed by the client into the job's own URL: never a file
        assert r.status_code == 404 or "content-disposition" not in r.headers, (name, r.status_code)
        assert b"SQLite" not in r.content and b"root:" not in r.content
    for bad in ("../../" + secret, "..%2F" + secret):
        assert client.get(f"/api/v1/jobs/{bad}/files/x").status_code == 404
    assert client.get(job["files"][0]["href"]).status_code == 200


def test_job_lists_paginate(own_client: Any) -> None:
    client = own_client
    ids = [client.post("/api/v1/jobs/forecast", json={"cells": "grid", "cell_m": 900}).json()["id"] for _ in range(3)]
    for i in ids:
        wait_job(client, f"/api/v1/jobs/{i}")
    page = client.get("/api/v1/jobs", params={"kind": "forecast", "limit": 2}).json()
    assert page["total"] >= 3 and len(page["jobs"]) == 2 and page["limit"] == 2
    rest = client.get("/api/v1/jobs", params={"kind": "forecast", "limit": 2, "offset": 2}).json()
    assert {j["id"] for j in page["jobs"]}.isdisjoint({j["id"] for j in rest["jobs"]})
    assert client.get("/api/v1/jobs", params={"status": "weird"}).status_code == 422


def test_workspace_writers_take_turns(tmp_path: Path, workspace_path: Path, assets_ready: Path) -> None:
    """Two jobs that write the workspace never run at once (no lost update)."""
    import shutil

    path = tmp_path / "ws.gpkg"
    shutil.copyfile(workspace_path, path)
    with client_class()(create_app(path)) as c:
        a = c.post("/api/v1/jobs/forecast", json={"cells": "grid", "cell_m": 400}).json()
        b = c.post("/api/v1/jobs/grid", json={"target_area_m2": 400_000}).json()
        ja, jb = wait_job(c, a["href"]), wait_job(c, b["href"])
        assert ja["status"] == jb["status"] == "done"
        layers = Workspace(path).layers()
        assert "forecast_grid" in layers and "subzones" in layers


def test_safe_names() -> None:
    assert safe_filename("../../etc/passwd") == "passwd"
    assert safe_filename("..\\..\\boot.ini") == "boot.ini"
    assert safe_filename("警情 2026年10月.csv") == "警情_2026年10月.csv"
    assert safe_filename("....") == "upload" and safe_filename("") == "upload"
    assert safe_filename(".hidden.csv") == "hidden.csv"
    day = dt.date(2026, 10, 31)
    assert _dated_name("yushui-density.asc", "yushui", day) == "yushui-2026-10-31-density.asc"
    assert _dated_name("yushui-2026-11-01-2000_2400-routes.gpx", "yushui", day) == \
        "yushui-2026-11-01-2000_2400-routes.gpx"
    assert _dated_name("upload-rejected.csv", "yushui", day) == "yushui-2026-10-31-upload-rejected.csv"


def test_jobs_run_in_background_threads(demo_client: Any) -> None:
    """A long job does not block the server: many requests are answered while it runs."""
    r = demo_client.post("/api/v1/jobs/routes", json={"date": DAY, "kinds": ["brigade_vehicle"]})
    href = r.json()["href"]
    answered = 0
    t0 = time.perf_counter()
    while demo_client.get(href).json()["status"] in ("queued", "running"):
        assert demo_client.get("/api/v1/workspace").status_code == 200
        answered += 1
    assert answered >= 3, "the job blocked the server"
    assert threading.active_count() >= 2
    assert time.perf_counter() - t0 < 120


def test_report_job(demo_client: Any) -> None:
    job = wait_job(demo_client, demo_client.post("/api/v1/jobs/report", json={"month": "2026-09", "lang": "en"}).json()["href"])
    assert job["status"] == "done", job["error"]
    res = job["result"]
    assert res["month"] == "2026-09" and res["lang"] == "en" and len(res["headline"]) == 3
    names = {f["name"]: f for f in job["files"]}
    assert {res["html"], res["xlsx"], res["json"]} <= set(names)
    assert res["html"] == "yushui-2026-09-report-en.html"  # the report names its files itself
    html = demo_client.get(names[res["html"]]["href"])
    assert html.headers["content-type"] == "text/html; charset=utf-8" and "2026-09" in html.text
    xlsx = demo_client.get(names[res["xlsx"]]["href"])
    assert xlsx.headers["content-type"].startswith("application/vnd.openxmlformats") and xlsx.content[:2] == b"PK"
    listing = demo_client.get("/api/v1/reports").json()
    assert listing["total"] == 1 and listing["reports"][0]["month"] == "2026-09"
    bad = demo_client.post("/api/v1/jobs/report", json={"month": "Sept"})
    assert bad.status_code == 422
    late = wait_job(demo_client, demo_client.post("/api/v1/jobs/report", json={"month": "2027-01"}).json()["href"])
    assert late["status"] == "failed" and "after the last day of data" in late["error"]


def test_camera_gaps_job(demo_client: Any) -> None:
    job = wait_job(demo_client, demo_client.post("/api/v1/jobs/camera_gaps", json={"top": 20}).json()["href"])
    assert job["status"] == "done", job["error"]
    res = job["result"]
    assert res["cameras"] > 1000 and res["gaps"] > 1000 and len(res["top"]) == 20
    assert [g["rank"] for g in res["top"]] == list(range(1, 21))
    assert {"road_segment", "entrance"} <= set(res["by_kind"])
    names = {f["name"]: f for f in job["files"]}
    assert {res["csv"], res["xlsx"], res["geojson"]} <= set(names)
    assert re.fullmatch(r"yushui-\d{4}-\d\d-\d\d-camera-gaps\.csv", res["csv"])
    fc = demo_client.get(names[res["geojson"]]["href"])
    assert fc.headers["content-type"] == "application/geo+json" and fc.json()["type"] == "FeatureCollection"
    # the gap job keeps view polygons and gaps as layers for the coverage map
    layers = {li["name"] for li in demo_client.get("/api/v1/workspace").json()["layers"]}
    assert {"camera_views", "camera_gaps"} <= layers


def test_camera_site_job(demo_client: Any, demo_workspace: Workspace) -> None:
    job = wait_job(demo_client, demo_client.post("/api/v1/jobs/camera_site", json={"add": 15}).json()["href"])
    assert job["status"] == "done", job["error"]
    from app.storage.audit import read_log

    deadline = time.monotonic() + 10  # the entry is written as the job closes, just after "done" shows
    while not read_log(demo_workspace.path, action="camera_site") and time.monotonic() < deadline:
        time.sleep(0.05)
    logged = read_log(demo_workspace.path, action="camera_site")
    assert logged and logged[0].actor.startswith("web") and logged[0].details["job"] == job["id"]
    listed = demo_client.get("/api/v1/audit", params={"action": "camera_site"}).json()
    assert listed["entries"][0]["details"]["job"] == job["id"]
    res = job["result"]
    assert len(res["sites"]) == 15 and [s["order"] for s in res["sites"]] == list(range(1, 16))
    gains = [s["marginal_gain"] for s in res["sites"]]
    assert gains == sorted(gains, reverse=True) and gains[-1] > 0
    assert 0 < res["figures"]["covered_share"] <= 1 and res["figures"]["sites"] == 15
    names = {f["name"] for f in job["files"]}
    assert {res["csv"], res["xlsx"], res["geojson"]} <= names
    bad = demo_client.post("/api/v1/jobs/camera_site", json={"add": 0})
    assert bad.status_code == 422
