"""Shift plans and outputs as durable records through the web app (issue 14).

A routes job that finishes is recorded beside the workspace (author, scope, status, files); the plan
and its downloads are still there after a restart (a new app on the same workspace); a station plans
its teams and submits, and sees only its own station's plans; a commander approves; approving a
later plan of the same units supersedes the earlier one (history kept); an analyst may not approve,
and an approved plan cannot be approved again (409, said in the page's language).
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.storage.audit import read_log
from app.storage.records import RecordStore
from app.storage.workspace import Workspace
from app.web import create_app
from app.web.records import recorder
from app.web.tasks import JobKind, JobManager
from tests.app._fixtures import client_class, wait_job

SHIFT = "20:00-24:00"



def _plan(client: Any, day: str, **params: Any) -> dict[str, Any]:
    r = client.post("/api/v1/jobs/routes", json={"date": day, "shift": SHIFT, **params})
    assert r.status_code == 202, r.text
    job = wait_job(client, r.json()["href"])
    assert job["status"] == "done", job["error"]
    return job


@pytest.fixture(scope="module")
def ws_path(demo_workspace_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private copy of the demo district, split into beats (the planner needs them)."""
    from app.services.split import split_workspace

    path = tmp_path_factory.mktemp("plans") / "yushui.gpkg"
    shutil.copyfile(demo_workspace_file, path)
    split_workspace(Workspace(path))
    return path


@pytest.fixture(scope="module")
def app(ws_path: Path, assets_ready: Path) -> Any:
    return create_app(ws_path)


@pytest.fixture(scope="module")
def clients(app: Any) -> Iterator[dict[str, Any]]:
    made = {role: client_class(role)(app) for role in ("admin", "commander", "analyst", "station", "station2")}
    for c in made.values():
        c.__enter__()
    yield made
    for c in made.values():
        c.__exit__(None, None, None)


def test_a_plan_is_recorded_and_survives_a_restart(app: Any, clients: dict[str, Any], ws_path: Path) -> None:
    day = "2026-11-02"
    c = clients["commander"]
    job = _plan(c, day, kinds=["brigade_vehicle"])
    assert job["result"]["record_id"] == job["id"] and job["notes"] == []
    listing = c.get("/api/v1/plans", params={"date": day, "shift": SHIFT}).json()
    assert listing["total"] == 1
    plan = listing["records"][0]
    assert plan["id"] == job["id"] and plan["kind"] == "routes" and plan["status"] == "draft"
    assert plan["author"] == "t-commander" and plan["station_id"] is None and plan["scope"] == "district"
    assert plan["date"] == day and plan["shift"] == SHIFT and len(plan["units"]) == 12
    assert plan["params"]["kinds"] == ["brigade_vehicle"] and plan["inputs_version"]
    assert set(plan["files"]) == {f["name"] for f in job["files"]}
    assert [e["action"] for e in plan["history"]] == ["create"]
    assert plan["actions"] == {"submit": True, "approve": True, "download": True}
    assert c.get(plan["href"]).json()["id"] == plan["id"]
    # every recorded kind is listed under /records too
    assert plan["id"] in {r["id"] for r in c.get("/api/v1/records", params={"kind": "routes"}).json()["records"]}
    gpx = job["result"]["gpx"]
    first = c.get(f"{plan['href']}/files/{gpx}")
    assert first.status_code == 200 and first.headers["content-type"] == "application/gpx+xml"
    assert "<gpx" in first.text
    exports = [e for e in read_log(ws_path, action="export") if e.details.get("record") == plan["id"]]
    assert exports and exports[0].target == gpx and exports[0].actor == "web:t-commander"

    # restart: a new app on the same workspace and output folder; the job (in the durable queue),
    # the plan and their files are all still there
    with client_class("commander")(create_app(ws_path)) as again:
        jobs_after = again.get("/api/v1/jobs").json()
        assert jobs_after["total"] == 1 and jobs_after["jobs"][0]["id"] == job["id"]
        assert jobs_after["jobs"][0]["status"] == "done" and jobs_after["jobs"][0]["owner"] == "t-commander"
        same = again.get(f"/api/v1/jobs/{job['id']}/files/{gpx}")
        assert same.status_code == 200 and same.content == first.content
        listing = again.get("/api/v1/plans", params={"date": day, "shift": SHIFT}).json()
        assert [r["id"] for r in listing["records"]] == [plan["id"]]
        assert listing["records"][0]["status"] == "draft" and listing["records"][0]["author"] == "t-commander"
        after = again.get(f"{plan['href']}/files/{gpx}")
        assert after.status_code == 200 and after.content == first.content
        assert again.get(f"{plan['href']}/files/job.json").status_code == 404
        assert again.get(f"{plan['href']}/files/..%2Fyushui.gpkg").status_code == 404
        assert again.get("/api/v1/plans/no-such-plan").status_code == 404


def test_station_plans_submits_and_a_commander_approves(clients: dict[str, Any]) -> None:
    day = "2026-11-03"
    s01, s02, cmd, analyst = clients["station"], clients["station2"], clients["commander"], clients["analyst"]
    first = _plan(s01, day)
    plan = s01.get(f"/api/v1/plans/{first['id']}").json()
    assert plan["station_id"] == "S01" and plan["scope"] == "S01" and plan["author"] == "t-s01"
    assert plan["status"] == "draft" and plan["units"]
    assert plan["actions"] == {"submit": True, "approve": False, "download": True}
    # a station may not approve; another station neither sees nor submits it
    assert s01.post(f"{plan['href']}/approve").status_code == 403
    assert s02.get(plan["href"]).status_code == 404
    assert s02.post(f"{plan['href']}/submit").status_code == 404
    assert s02.get("/api/v1/plans", params={"date": day}).json()["total"] == 0
    assert s02.get("/api/v1/plans", params={"date": day, "station": "S01"}).json()["total"] == 0
    submitted = s01.post(f"{plan['href']}/submit")
    assert submitted.status_code == 200 and submitted.json()["status"] == "submitted"
    again = s01.post(f"{plan['href']}/submit", params={"lang": "en"})
    assert again.status_code == 409 and "only a draft can be submitted" in again.json()["detail"]
    # the commander sees every station's plans for the shift
    seen = cmd.get("/api/v1/plans", params={"date": day, "shift": SHIFT, "status": "submitted"}).json()
    assert [r["id"] for r in seen["records"]] == [plan["id"]]
    # an analyst may read but not approve
    assert analyst.get(plan["href"]).status_code == 200
    refused = analyst.post(f"{plan['href']}/approve")
    assert refused.status_code == 403
    approved = cmd.post(f"{plan['href']}/approve")
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    assert [e["actor"] for e in approved.json()["history"]] == ["t-s01", "t-s01", "t-commander"]
    # approving an approved plan is refused, in the page's language
    twice = cmd.post(f"{plan['href']}/approve")
    assert twice.status_code == 409 and twice.json()["error"] == "StatusConflictError"
    assert "只有草稿或已提交的方案可以批准" in twice.json()["detail"]
    assert "only a draft or a submitted plan" in cmd.post(f"{plan['href']}/approve", params={"lang": "en"}).json()["detail"]

    # a second plan of the same units, approved, supersedes the first; both stay listed
    second = _plan(s01, day)
    assert s01.post(f"/api/v1/plans/{second['id']}/submit").status_code == 200
    assert cmd.post(f"/api/v1/plans/{second['id']}/approve").json()["status"] == "approved"
    listed = {r["id"]: r for r in s01.get("/api/v1/plans", params={"date": day, "shift": SHIFT}).json()["records"]}
    assert set(listed) == {first["id"], second["id"]}
    assert listed[first["id"]]["status"] == "superseded" and listed[second["id"]]["status"] == "approved"
    assert [e["action"] for e in listed[first["id"]]["history"]] == ["create", "submit", "approve", "supersede"]
    assert listed[first["id"]]["history"][-1]["note"] == f"by {second['id']}"
    assert cmd.post(f"/api/v1/plans/{first['id']}/approve").status_code == 409


def test_bad_filters_are_422(clients: dict[str, Any]) -> None:
    c = clients["commander"]
    assert c.get("/api/v1/plans", params={"date": "tomorrow"}).status_code == 422
    assert c.get("/api/v1/plans", params={"status": "lost"}).status_code == 422
    assert c.get("/api/v1/records", params={"kind": "backtest"}).status_code == 422


def test_the_routes_page_has_the_plan_list(clients: dict[str, Any]) -> None:
    page = clients["commander"].get("/routes", params={"lang": "en"})
    assert page.status_code == 200
    assert 'id="pn-plans-list"' in page.text and "Plans of this shift" in page.text


# -- the hook, without the web ----------------------------------------------------------------------------
def _kind(name: str) -> JobKind:
    def run(ctx: Any, args: Any) -> tuple[dict[str, Any], None]:
        (ctx.out_dir / "sites.csv").write_text("site\n1\n", encoding="utf-8")
        return {"sites": 1}, None

    return JobKind(name, run, False, rename=False)


def test_other_kinds_are_recorded_with_their_record_kind(tmp_path: Path, ws_path: Path) -> None:
    path = tmp_path / "ws.gpkg"
    shutil.copyfile(ws_path, path)
    jobs = JobManager(lambda: Workspace(path), tmp_path / "out", {"camera_site": _kind("camera_site"),
                                                                  "backtest": _kind("backtest")},
                      on_done=recorder(path))
    try:
        site = jobs.wait(jobs.submit("camera_site", {"add": 1}, lang="en", owner="t-commander"), timeout=30)
        other = jobs.wait(jobs.submit("backtest", {}, lang="en", owner="t-analyst"), timeout=30)
    finally:
        jobs.shutdown(wait=True)
    assert site.status == "done" and site.result == {"sites": 1, "record_id": site.id}
    rec = RecordStore(path).get(site.id)
    assert rec.kind == "camera_siting" and rec.status == "final" and rec.files == ("sites.csv",)
    assert rec.author == "t-commander" and rec.folder == site.out_dir
    assert rec.inputs_version == Workspace(path).meta["updated_at"]
    assert other.status == "done" and "record_id" not in other.result  # backtests are not recorded
    assert [r.id for r in RecordStore(path).list()] == [site.id]


def test_a_failure_to_record_does_not_fail_the_job(tmp_path: Path, ws_path: Path,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    def broken(job: Any, ws: Any) -> None:
        raise OSError("disk full")

    jobs = JobManager(lambda: Workspace(ws_path), tmp_path / "out", {"camera_site": _kind("camera_site")},
                      on_done=broken)
    try:
        with caplog.at_level(logging.WARNING, logger="patrolnet.jobs"):
            job = jobs.wait(jobs.submit("camera_site", {}, lang="en"), timeout=30)
    finally:
        jobs.shutdown(wait=True)
    assert job.status == "done" and job.result == {"sites": 1} and job.files
    assert job.notes and "not recorded" in job.notes[0] and "disk full" in job.notes[0]
    assert job.as_dict()["notes"] == job.notes
    assert any("on_done hook failed" in r.getMessage() for r in caplog.records)


# -- the routes page in a browser -------------------------------------------------------------------------
@pytest.mark.browser
def test_routes_page_lists_the_plans_and_approves(ws_path: Path, clients: dict[str, Any], browser: Any) -> None:
    from tests.app._browser import recorded_page, serve, wait_for

    day = "2026-11-06"
    job = _plan(clients["commander"], day, kinds=["brigade_vehicle"])
    # a new server on the same workspace: the list comes from the records, not from its jobs
    server = serve(create_app(ws_path))
    base_url = next(server)
    pages = recorded_page(browser, accept_downloads=True)
    page, rec = next(pages)
    try:
        page.goto(base_url + "/routes", wait_until="load")
        page.wait_for_selector("#pn-plans-list[data-loaded='1']", state="attached", timeout=15_000)
        page.fill("#pn-date", day)
        page.fill("#pn-shift", SHIFT)
        page.click("#pn-plans-refresh")
        row = f"#pn-plan-{job['id']}"
        page.wait_for_selector(row, timeout=10_000)
        assert page.locator("#pn-plans-table tbody tr").count() == 1
        assert page.get_attribute(row, "data-status") == "draft"
        assert page.inner_text(f"{row} .pn-plan-author") == "t-commander"
        assert page.inner_text(f"{row} .pn-plan-status") == "草稿"
        assert page.locator(f"{row} .pn-plan-files a").count() == 6
        # the admin may submit and approve: approve it
        assert page.locator(f"{row} .pn-plan-submit").count() == 1
        page.click(f"{row} .pn-plan-approve")
        wait_for(page, f"document.querySelector('{row}') && "
                       f"document.querySelector('{row}').getAttribute('data-status') === 'approved'")
        assert page.inner_text(f"{row} .pn-plan-status") == "已批准"
        assert page.locator(f"{row} .pn-plan-approve").count() == 0
        # show it: drawn on the map, downloads from the record
        page.click(f"{row} .pn-plan-show")
        wait_for(page, "+document.getElementById('pn-map').getAttribute('data-routes') === 12", timeout=20_000)
        href = page.get_attribute("#pn-dl-gpx", "href")
        assert href.startswith(f"/api/v1/plans/{job['id']}/files/")
        assert page.request.get(base_url + href).headers["content-type"] == "application/gpx+xml"
        rec.check()
    finally:
        for gen in (pages, server):
            gen.close()


def test_one_units_own_files_come_out_of_the_plans_zip(clients: dict[str, Any], ws_path: Path) -> None:
    """``?unit=U…&format=gpx|kml|html`` on a plan's .zip (a job's file or its record's): that unit's
    own GPX (its track only), KML or sheet, named for the unit; the download is audited with the
    unit; an unknown unit, format or file is refused in the user's language, naming what to ask."""
    from urllib.parse import unquote

    day = "2026-11-06"
    c = clients["commander"]
    job = _plan(c, day, kinds=["brigade_vehicle"])
    zip_name = job["result"]["units_zip"]
    assert zip_name and zip_name.endswith("-units.zip")
    unit = job["result"]["units"][3]
    href = f"/api/v1/jobs/{job['id']}/files/{zip_name}"
    got = c.get(href, params={"unit": unit["unit_id"], "format": "gpx"})
    assert got.status_code == 200, got.text
    assert got.headers["content-type"] == "application/gpx+xml"
    told = unquote(got.headers["content-disposition"])
    assert told.startswith("attachment;") and told.endswith(f"yushui-{day}-2000_2400-{unit['unit_id']}-{unit['name']}.gpx")
    assert got.text.count("<trk>") == 1 and unit["name"] in got.text
    kml = c.get(href, params={"unit": unit["unit_id"], "format": "kml"})
    assert kml.status_code == 200 and kml.text.count("<Placemark>") >= 1 and unit["name"] in kml.text
    sheet = c.get(href, params={"unit": unit["unit_id"], "format": "html"})
    assert sheet.status_code == 200 and sheet.headers["content-disposition"].startswith("inline;")
    assert sheet.text.count('class="sheet') == 1 or sheet.text.count("<section") == 1
    # the same out of the plan's record
    plan = c.get("/api/v1/plans", params={"date": day, "shift": SHIFT}).json()["records"][0]
    again = c.get(f"{plan['href']}/files/{zip_name}", params={"unit": unit["unit_id"], "format": "gpx"})
    assert again.status_code == 200 and again.content == got.content
    exports = [e for e in read_log(ws_path, action="export") if e.details.get("unit") == unit["unit_id"]]
    assert len(exports) >= 2 and {e.details.get("format") for e in exports} >= {"gpx", "kml", "html"}
    # refusals, in the user's language
    none = c.get(href, params={"unit": "U9999", "format": "gpx"})
    assert none.status_code == 422 and none.json()["error"] == "InputError"
    assert none.json()["detail"].startswith("该计划中没有巡逻单元“U9999”") and "U00" in none.json()["detail"], none.json()
    assert c.get(href, params={"unit": unit["unit_id"], "format": "docx"}).status_code == 422
    gpx = job["result"]["gpx"]
    whole = c.get(f"/api/v1/jobs/{job['id']}/files/{gpx}", params={"unit": unit["unit_id"]})
    assert whole.status_code == 422 and ".zip" in whole.text
    assert c.get(href, params={"unit": "../yushui", "format": "gpx"}).status_code == 422
