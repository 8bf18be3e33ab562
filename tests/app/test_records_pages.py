"""The reports and camera-gaps pages after a restart show the outputs on record (issue 14).

Report and gap-list jobs run through the API are recorded beside the workspace; a new app on the same
workspace and output folder (its job list empty) lists them under ``/api/v1/records`` with downloads
that still download, newest first; a station user sees only its own station's; the pages carry what
their scripts need to show the latest record and the earlier ones (the records' API, the workspace's
time zone, the texts in both languages); in a browser, the new server's pages show them.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.i18n import t
from app.storage.workspace import Workspace
from app.web import create_app
from tests.app._fixtures import client_class


def _wait(client: Any, href: str, timeout: float = 240.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        job = client.get(href).json()
        if job["status"] in ("done", "failed"):
            return job
        assert time.monotonic() < deadline, f"job did not finish: {job}"
        time.sleep(0.1)


def _run(client: Any, kind: str, **params: Any) -> dict[str, Any]:
    r = client.post(f"/api/v1/jobs/{kind}", json=params)
    assert r.status_code == 202, r.text
    job = _wait(client, r.json()["href"])
    assert job["status"] == "done", job["error"]
    assert job["result"]["record_id"] == job["id"]
    return job


def _config(html: str) -> dict[str, Any]:
    found = re.search(r'<script id="pn-config" type="application/json">(.*?)</script>', html, re.S)
    assert found, "the page gives its script no config"
    return json.loads(found.group(1))


@pytest.fixture(scope="module")
def ws_path(demo_workspace_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("records-pages") / "yushui.gpkg"
    shutil.copyfile(demo_workspace_file, path)
    return path


@pytest.fixture(scope="module")
def made(ws_path: Path, assets_ready: Path) -> Iterator[dict[str, Any]]:
    """Two reports and a gap list by the commander, a gap list by station S01 (on the first server)."""
    with client_class("commander")(create_app(ws_path)) as cmd, client_class("station")(create_app(ws_path)) as s01:
        jobs = {
            "august": _run(cmd, "report", month="2026-08", lang="en"),
            "september": _run(cmd, "report", month="2026-09", lang="zh-CN"),
            "gaps": _run(cmd, "camera_gaps", top=20),
            "s01": _run(s01, "camera_gaps", top=20),
        }
        # the files as the first server gave them
        jobs["bytes"] = {j["id"]: {f["name"]: cmd.get(f["href"]).content for f in j["files"]}
                         for j in (jobs["september"], jobs["gaps"])}
        yield jobs


def _without_jobs(ws_path: Path) -> None:
    """Empty the workspace's job queue: the outputs are then known only as records, as those made
    with the command line are (jobs themselves outlive a restart: tests/app/test_plans_web.py)."""
    from app.storage.jobs import jobs_path

    jobs_path(ws_path).unlink(missing_ok=True)


@pytest.fixture(scope="module")
def again(ws_path: Path, made: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Clients of a NEW app on the same workspace and output folder (a restart), its job queue empty."""
    _without_jobs(ws_path)
    app = create_app(ws_path)
    clients = {role: client_class(role)(app) for role in ("commander", "station", "station2", "admin")}
    for c in clients.values():
        c.__enter__()
    yield clients
    for c in clients.values():
        c.__exit__(None, None, None)


def test_reports_and_gap_lists_are_listed_after_a_restart(made: dict[str, Any], again: dict[str, Any]) -> None:
    c = again["commander"]
    assert c.get("/api/v1/jobs").json()["total"] == 0
    assert c.get("/api/v1/reports").json()["total"] == 0  # so the page falls back to the records
    reports = c.get("/api/v1/records", params={"kind": "report"}).json()["records"]
    assert [r["id"] for r in reports] == [made["september"]["id"], made["august"]["id"]]  # newest first
    latest = reports[0]
    assert latest["kind"] == "report" and latest["author"] == "t-commander" and latest["created_at"]
    assert latest["params"]["month"] == "2026-09" and latest["result"]["month"] == "2026-09"
    assert latest["result"]["headline"] and latest["actions"]["download"] is True
    names = {d["name"] for d in latest["downloads"]}
    res = made["september"]["result"]
    assert {res["html"], res["xlsx"], res["json"]} <= names
    for d in latest["downloads"]:
        assert d["href"] == f"/api/v1/plans/{latest['id']}/files/{d['name']}" and d["size_bytes"] > 0
        got = c.get(d["href"])
        assert got.status_code == 200 and got.content == made["bytes"][latest["id"]][d["name"]]
        assert got.headers["content-type"].split(";")[0] == d["media_type"].split(";")[0]

    gaps = c.get("/api/v1/records", params={"kind": "camera_gaps"}).json()["records"]
    # the commander sees the station's too
    assert [r["id"] for r in gaps] == [made["s01"]["id"], made["gaps"]["id"]]
    assert gaps[0]["author"] == "t-s01" and gaps[0]["station_id"] == "S01"
    rec = gaps[1]
    assert rec["author"] == "t-commander" and rec["result"]["gaps"] == made["gaps"]["result"]["gaps"] > 0
    assert len(rec["result"]["top"]) == 20 and rec["result"]["by_kind"]
    gres = made["gaps"]["result"]
    assert {gres["csv"], gres["xlsx"], gres["geojson"]} <= {d["name"] for d in rec["downloads"]}
    for d in rec["downloads"]:
        assert c.get(d["href"]).content == made["bytes"][rec["id"]][d["name"]]
    fc = c.get(f"/api/v1/plans/{rec['id']}/files/{gres['geojson']}")
    assert fc.headers["content-type"] == "application/geo+json" and fc.json()["type"] == "FeatureCollection"


def test_a_station_sees_only_its_own_records(made: dict[str, Any], again: dict[str, Any]) -> None:
    s01, s02 = again["station"], again["station2"]
    mine = s01.get("/api/v1/records", params={"kind": "camera_gaps"}).json()["records"]
    assert [r["id"] for r in mine] == [made["s01"]["id"]] and mine[0]["author"] == "t-s01"
    assert mine[0]["downloads"] and s01.get(mine[0]["downloads"][0]["href"]).status_code == 200
    # the district's outputs (the commander's gap list and reports) are not the station's
    assert s01.get("/api/v1/records", params={"kind": "report"}).json()["records"] == []
    assert s02.get("/api/v1/records", params={"kind": "camera_gaps"}).json()["records"] == []
    assert s02.get("/api/v1/records", params={"kind": "report"}).json()["records"] == []
    other = made["gaps"]["id"]
    assert s01.get(f"/api/v1/plans/{other}").status_code == 404
    name = made["gaps"]["result"]["csv"]
    assert s01.get(f"/api/v1/plans/{other}/files/{name}").status_code == 404
    assert s02.get(f"/api/v1/plans/{made['s01']['id']}/files/{name}").status_code == 404
    # the page's script asks the same API: the station's cameras page shows its own gap list only
    page = s01.get("/cameras", params={"lang": "en"})
    assert page.status_code == 200 and 'id="pn-cam-recorded"' in page.text


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_the_pages_carry_what_their_scripts_need(made: dict[str, Any], again: dict[str, Any],
                                                 ws_path: Path, lang: str) -> None:
    c = again["commander"]
    tz = Workspace(ws_path).timezone
    for name, box, kind in (("reports", "pn-report-recorded", "report"), ("cameras", "pn-cam-recorded", "camera_gaps")):
        page = c.get(f"/{name}", params={"lang": lang})
        assert page.status_code == 200
        assert f'id="{box}"' in page.text
        cfg = _config(page.text)
        assert cfg["available"] is True and cfg["timezone"] == tz and cfg["lang"] == lang
        for key in ("rec.latest", "rec.earlier", "rec.when", "rec.author", "rec.files", "rec.gaps"):
            assert cfg["ui"][key] == t(f"ui.{key}", lang)
        script = c.get(f"/static/{name}.js")
        assert script.status_code == 200
        assert '"/api/v1/records"' in script.text and f'"{kind}"' in script.text
        assert "PN.timeFormatter(" in script.text
        # the call the script makes answers for this user
        assert c.get("/api/v1/records", params={"kind": kind, "limit": 6, "lang": lang}).json()["records"]
    assert t("ui.rec.latest", lang, when="x", author="y") != t("ui.rec.latest", "en" if lang == "zh-CN" else "zh-CN",
                                                                 when="x", author="y")
    assert 'id="pn-site-recorded"' in c.get("/cameras", params={"lang": lang}).text


# -- in a browser ----------------------------------------------------------------------------------------
@pytest.mark.browser
def test_a_new_server_shows_the_recorded_outputs(made: dict[str, Any], ws_path: Path, browser: Any) -> None:
    from tests.app._browser import recorded_page, serve, wait_for

    _without_jobs(ws_path)
    server = serve(create_app(ws_path))
    base_url = next(server)
    pages = recorded_page(browser)
    page, rec = next(pages)
    try:
        page.goto(base_url + "/reports?lang=en", wait_until="load")
        page.wait_for_selector("#pn-report-latest", timeout=15_000)
        newest = made["september"]
        assert page.get_attribute("#pn-report-latest", "data-id") == newest["id"]
        assert page.get_attribute("#pn-report-latest", "data-month") == "2026-09"
        meta = page.inner_text("#pn-report-latest .pn-rec-meta")
        assert meta.startswith("Latest on record: ") and "t-commander" in meta
        assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d", meta)
        assert page.locator("#pn-report-latest-headline tbody tr").count() == 3
        html_href = page.get_attribute("#pn-report-latest a[target=_blank]", "href")
        assert html_href.startswith(f"/api/v1/plans/{newest['id']}/files/")
        assert page.request.get(base_url + html_href).status == 200
        rows = page.locator("#pn-report-earlier tbody tr")
        assert rows.count() == 1
        assert rows.nth(0).get_attribute("data-id") == made["august"]["id"]
        assert "t-commander" in rows.nth(0).inner_text() and "2026-08" in rows.nth(0).inner_text()
        assert rows.nth(0).locator("a").count() >= 3

        page.goto(base_url + "/cameras?lang=en", wait_until="load")
        page.wait_for_selector("#pn-cam-recorded .pn-rec-meta", timeout=20_000)
        gaps = made["s01"]  # the admin sees every station's: the newest is the station's
        assert page.get_attribute("#pn-cam-recorded .pn-rec-meta", "data-id") == gaps["id"]
        assert f"{gaps['result']['gaps']:,} gaps" in page.inner_text("#pn-cam-recorded")
        assert "t-s01" in page.inner_text("#pn-cam-recorded .pn-rec-meta")
        earlier = page.locator("#pn-cam-recorded .pn-rec-earlier tbody tr")
        assert earlier.count() == 1 and earlier.nth(0).get_attribute("data-id") == made["gaps"]["id"]
        links = page.locator("#pn-cam-downloads a")
        assert links.count() == 3
        href = links.nth(0).get_attribute("href")
        assert href.startswith(f"/api/v1/plans/{gaps['id']}/files/")
        assert page.request.get(base_url + href).status == 200
        assert page.locator("#pn-gaps-table tbody tr").count() == 20
        wait_for(page, "+document.getElementById('pn-map').getAttribute('data-gaps') > 0")
        rec.check()
    finally:
        for gen in (pages, server):
            gen.close()
