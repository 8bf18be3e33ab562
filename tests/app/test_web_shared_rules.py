"""One house: the same request through the API and through the command line (both call the
services, :mod:`app.services`) gives the same result or the same refusal, and a refusal on a page
is said in the page's language, naming the field as the form does and never a command-line flag."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from app.cli import cli
from app.services.params import parse_month, parse_shift
from app.storage.backup import list_backups
from app.web import create_app
from geo.errors import InputError
from tests.app._fixtures import client_class, wait_job
from tests.app.test_web_imports import CSV

DAY = "2026-10-20"
runner = CliRunner()
_CJK = re.compile(r"[\u4e00-\u9fff]")



def _one_line(text: str) -> str:
    """The CLI's output as one line (the console wraps long errors)."""
    return " ".join(text.split())


@pytest.fixture()
def api(ws_copy: Path, assets_ready: Path) -> Iterator[Any]:
    with client_class()(create_app(ws_copy)) as c:
        yield c


# -- the shift: 22:00至06:00 ------------------------------------------------------------------------------
def test_shift_written_with_zhi_is_planned_alike(demo_workspace: Any, tmp_path: Path, assets_ready: Path) -> None:
    """``22:00至06:00`` is accepted by ``POST /api/v1/jobs/routes`` exactly as by ``patrolnet routes``:
    the same units get the same routes."""
    shift = "22:00至06:00"
    assert parse_shift(shift) == shift
    with client_class("commander")(create_app(demo_workspace.path)) as c:
        r = c.post("/api/v1/jobs/routes", json={"date": DAY, "shift": shift, "kinds": ["brigade_vehicle"]})
        assert r.status_code == 202, r.text
        assert r.json()["params"]["shift"] == shift
        job = wait_job(c, r.json()["href"])
        assert job["status"] == "done", job["error"]
        geojson = next(f for f in job["files"] if f["name"].endswith(".geojson"))
        web = c.get(geojson["href"]).json()
    out = tmp_path / "cli-routes.geojson"
    result = runner.invoke(cli, ["routes", str(demo_workspace.path), "--shift", shift, "--date", DAY,
                                 "--kind", "brigade_vehicle", "--out", str(out), "--lang", "en"])
    assert result.exit_code == 0, result.output
    cli_plan = json.loads(out.read_text(encoding="utf-8"))

    def routes(fc: dict[str, Any]) -> list[tuple[str, float]]:
        return sorted((str(f["properties"]["unit_id"]), round(float(f["properties"]["length_m"]), 1))
                      for f in fc["features"] if "length_m" in f["properties"])

    assert routes(web) == routes(cli_plan) and len(routes(web)) == 12
    assert job["result"]["shift"] == shift


def test_bad_shift_is_refused_alike(api: Any, demo_workspace: Any, tmp_path: Path) -> None:
    bad = "25:00至06:00"
    with pytest.raises(InputError) as caught:
        parse_shift(bad)
    r = api.post("/api/v1/jobs/routes?lang=en", json={"shift": bad})
    assert r.status_code == 422
    item = r.json()["detail"][0]
    assert item["type"] == caught.value.code and item["loc"][-1] == "shift"
    assert item["ctx"]["message"] == str(caught.value), "the web refuses with the shared rule's words"
    result = runner.invoke(cli, ["routes", str(demo_workspace.path), "--shift", bad, "--date", DAY,
                                 "--out", str(tmp_path / "r.geojson"), "--lang", "en"])
    assert result.exit_code == 2
    assert _one_line(str(caught.value)) in _one_line(result.output)


# -- an upload takes a backup first -------------------------------------------------------------------
def test_web_import_leaves_a_backup_as_the_cli_import_does(api: Any, ws_copy: Path, tmp_path: Path) -> None:
    assert list_backups(ws_copy) == []
    r = api.post("/api/v1/imports", files={"file": ("警情.csv", CSV, "text/csv")}, data={"layer": "incidents"})
    assert r.status_code == 200, r.text
    backups = list_backups(ws_copy)
    assert len(backups) == 1 and backups[0].reason == "before-import-incidents"
    listed = runner.invoke(cli, ["backups", str(ws_copy), "--lang", "en"])
    assert listed.exit_code == 0, listed.output
    assert backups[0].path.name in _one_line(listed.output).replace(" ", "") or \
        "before-import-incidents" in listed.output
    # the command line's import keeps one the same way
    csv = tmp_path / "x.csv"
    csv.write_bytes(CSV)
    result = runner.invoke(cli, ["import", str(ws_copy), "incidents", str(csv), "--lang", "en"])
    assert result.exit_code == 0, result.output
    again = list_backups(ws_copy)
    assert len(again) == 2 and {b.reason for b in again} == {"before-import-incidents"}


# -- a bad month --------------------------------------------------------------------------------------
@pytest.mark.parametrize("month", ["2026-13", "Sept"])
def test_bad_month_is_refused_alike(api: Any, ws_copy: Path, tmp_path: Path, month: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_month(month)
    r = api.post("/api/v1/jobs/report?lang=en", json={"month": month})
    assert r.status_code == 422
    item = r.json()["detail"][0]
    assert item["type"] == caught.value.code and item["ctx"]["message"] == str(caught.value)
    stats = api.get("/api/v1/stats/headline", params={"month": month, "lang": "en"})
    assert stats.status_code == 422 and stats.json()["error"] == "InputError"
    result = runner.invoke(cli, ["report", str(ws_copy), "--month", month, "--out", str(tmp_path / "rep"),
                                 "--lang", "en"])
    assert result.exit_code == 2
    assert _one_line(str(caught.value)) in _one_line(result.output)


# -- the half-year station report ---------------------------------------------------------------------
@pytest.mark.parametrize("body, code", [({"half": "2026-H3"}, "report.bad_half"),
                                        ({"half": "2026-H1", "month": "2026-09"}, "param.report_period")])
def test_bad_half_year_is_refused_alike(api: Any, ws_copy: Path, tmp_path: Path, body: dict[str, str],
                                        code: str) -> None:
    r = api.post("/api/v1/jobs/report?lang=en", json=body)
    assert r.status_code == 422 and r.json()["detail"][0]["type"] == code
    args = [a for k, v in body.items() for a in (f"--{k}", v)]
    result = runner.invoke(cli, ["report", str(ws_copy), *args, "--out", str(tmp_path / "rep"), "--lang", "en"])
    assert result.exit_code == 2
    assert _one_line(r.json()["detail"][0]["ctx"]["message"]) in _one_line(result.output)


def test_half_year_report_is_the_same_from_the_page_and_the_command_line(demo_workspace: Any, tmp_path: Path,
                                                                          assets_ready: Path) -> None:
    with client_class("commander")(create_app(demo_workspace.path)) as c:
        job = wait_job(c, c.post("/api/v1/jobs/report?lang=en", json={"half": "2026年上半年"}).json()["href"])
        assert job["status"] == "done", (job.get("error"), job.get("message"))
        assert job["result"]["half"] == "2026-H1" and len(job["result"]["stations"]) == 9
        names = {f["name"] for f in job["files"]}
        assert job["result"]["html"] in names and job["result"]["xlsx"] in names
        listed = c.get("/api/v1/reports").json()["reports"]
        assert listed[0]["half"] == "2026-H1" and listed[0]["month"] is None
    result = runner.invoke(cli, ["report", str(demo_workspace.path), "--half", "2026-H1", "--out", str(tmp_path / "rep"),
                                 "--lang", "en"])
    assert result.exit_code == 0, result.output
    figures = json.loads(next((tmp_path / "rep").glob("*-halfyear-figures.json")).read_text(encoding="utf-8"))
    cli_rows = {r["station_id"]: (r["rank"], r["cases"]) for r in figures["tables"]["stations"]}
    assert {r["station_id"]: (r["rank"], r["cases"]) for r in job["result"]["stations"]} == cli_rows


# -- in the page's language ---------------------------------------------------------------------------
@pytest.mark.parametrize("kind, body, field_zh, field_en", [
    ("routes", {"shift": "late evening"}, "班次", "shift"),
    ("routes", {"kinds": ["tanks"]}, "巡逻力量", "unit kinds"),
    ("hotspots", {"start": "2026/05/01"}, "起始日期", "from"),
    ("report", {"month": "Sept"}, "报表月份", "month"),
    ("grid", {"count": 10, "target_area_m2": 5000}, "小片区", "sub-zones"),
])
def test_refusals_are_said_in_the_page_language(api: Any, kind: str, body: dict[str, Any], field_zh: str,
                                                field_en: str) -> None:
    zh = api.post(f"/api/v1/jobs/{kind}?lang=zh-CN", json=body)
    en = api.post(f"/api/v1/jobs/{kind}?lang=en", json=body)
    assert zh.status_code == en.status_code == 422
    zh_text, en_text = zh.json()["message"], en.json()["message"]
    assert field_zh in zh_text and _CJK.search(zh_text), zh_text
    assert field_en in en_text.lower() and field_zh not in en_text, en_text
    for text in (zh_text, en_text):
        assert "body." not in text and "Value error" not in text and "--" not in text, text
    # each error of the list is said alike, and keeps its location and type for scripts
    assert zh.json()["detail"][0]["msg"] in zh_text and zh.json()["detail"][0]["loc"][0] == "body"


def test_failed_job_says_what_to_change_in_the_form(api: Any) -> None:
    body = {"start": "2001-01-01", "end": "2001-01-31"}  # no incident then
    zh = wait_job(api, api.post("/api/v1/jobs/hotspots", json=body).json()["href"])
    en = wait_job(api, api.post("/api/v1/jobs/hotspots?lang=en", json=body).json()["href"])
    assert zh["status"] == en["status"] == "failed"
    assert zh["error"] == en["error"] and zh["error_type"] == "InputError"  # the error's own text, for scripts
    assert _CJK.search(zh["message"]) and not _CJK.search(en["message"]), (zh["message"], en["message"])
    for text in (zh["message"], en["message"]):
        assert "--" not in text and "patrolnet" not in text, text


def test_import_form_refusals_in_the_page_language(api: Any) -> None:
    files = {"file": ("x.csv", CSV, "text/csv")}
    zh = api.post("/api/v1/imports", files=files, data={"layer": "incidents", "coords": "mars"})
    en = api.post("/api/v1/imports?lang=en", files=files, data={"layer": "incidents", "coords": "mars"})
    assert zh.status_code == en.status_code == 422
    assert "文件坐标系" in zh.json()["detail"] and "mars" in zh.json()["detail"]
    assert "coords" in en.json()["detail"] and not _CJK.search(en.json()["detail"])
    bad_map = api.post("/api/v1/imports", files=files, data={"layer": "incidents", "column_map": "发案时间 occurred_at"})
    assert bad_map.status_code == 422 and "字段对应第 1 行" in bad_map.json()["detail"]


def test_progress_stages_in_the_page_language(api: Any) -> None:
    zh = wait_job(api, api.post("/api/v1/jobs/grid", json={"target_area_m2": 400_000}).json()["href"])
    en = wait_job(api, api.post("/api/v1/jobs/grid?lang=en", json={"target_area_m2": 400_000}).json()["href"])
    assert zh["status"] == en["status"] == "done", (zh["error"], en["error"])
    assert zh["stage"] == en["stage"] == "write workspace"  # the word the job reports, for scripts
    assert zh["stage_label"] == "写入工作区" and en["stage_label"] == "write workspace"
