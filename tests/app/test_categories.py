"""Incident categories of a workspace's own: added, imported with, counted, filtered, shown (issue 18).

The real file a new user brings: San Francisco's 2019 robberies (tests/data/incidents, provenance in
tests/data/PROVENANCE.md) stripped to ``id, date, lon, lat`` like a city's list of shootings, which
names no category; it is imported as ``shooting``, a category the workspace adds.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from app.cli import cli
from app.services.categories import (add_category, category_rows, expand_categories, remove_category,
                                     workspace_categories)
from app.services.imports import import_table
from geo.errors import InputError
from geo.reports import MEASURES, prepare_incidents
from tests.app._fixtures import client_class, wait_job

DATA = Path(__file__).parents[1] / "data"


@pytest.fixture(scope="module")
def mission(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Path]:
    """The Mission extract as a workspace, and the robberies as a list of shootings (id, date, lon, lat)."""
    from app.services.workspace import init_workspace

    tmp = tmp_path_factory.mktemp("cats")
    ws, _ = init_workspace(tmp / "sf.gpkg", osm=DATA / "osm" / "san_francisco_mission.osm.bz2",
                           timezone="America/Los_Angeles")
    raw = pd.read_csv(DATA / "incidents" / "san_francisco_robbery_2019.csv", dtype=str)
    shootings = tmp / "shootings.csv"
    raw.rename(columns={"uid": "id", "date_time": "date", "longitude": "lon", "latitude": "lat"})[
        ["id", "date", "lon", "lat"]].to_csv(shootings, index=False)
    return ws, shootings


def test_a_list_without_categories_imports_as_a_category_of_the_workspaces_own(mission, tmp_path):
    ws0, listed = mission
    ws = type(ws0)(shutil.copyfile(ws0.path, tmp_path / "sf.gpkg"))
    shootings = Path(shutil.copyfile(listed, tmp_path / "shootings.csv"))
    with pytest.raises(InputError) as err:  # the file names no category
        import_table(ws, "incidents", shootings, tolerance_m=0)
    assert err.value.code == "import.no_category"
    # one value for the whole file, but not a category yet: every row refused, saying how to add one
    with pytest.raises(InputError):
        import_table(ws, "incidents", shootings, tolerance_m=0, strict=True, set_values={"category": "shooting"})
    report = pd.read_csv(tmp_path / "shootings-rejected.csv", encoding="utf-8-sig")
    unknown = report[report["column"] == "category"]
    assert len(unknown) == 949 and unknown["reason"].str.contains("patrolnet categories add").all()

    ws, added = add_category(ws, "shooting", zh="涉枪案件", en="shooting", group="other_criminal")
    assert added == {"code": "shooting", "zh": "涉枪案件", "en": "shooting", "group": "other_criminal"}
    ws, result, _ = import_table(ws, "incidents", shootings, tolerance_m=0, set_values={"category": "shooting"})
    inc = ws.read("incidents")
    assert 250 <= len(inc) <= 320 and set(inc["category"]) == {"shooting"}

    # counted where its group counts: a criminal case, not one of 两抢一盗
    table = workspace_categories(ws)
    prepared = prepare_incidents(inc, timezone=ws.timezone, categories=table)
    assert int(MEASURES["criminal"].mask(prepared).sum()) == len(inc)
    assert int(MEASURES["two_robberies_one_theft"].mask(prepared).sum()) == 0
    assert int(MEASURES["public_order"].mask(prepared).sum()) == 0
    with pytest.raises(InputError) as err:  # without the workspace's table it is not a category
        prepare_incidents(inc, timezone=ws.timezone)
    assert err.value.code == "report.unknown_categories"

    # filtered by its group, and by itself; an unknown code is named with the known ones
    assert "shooting" in expand_categories(ws, ["other_criminal"])
    assert "shooting" not in expand_categories(ws, ["two_robberies_one_theft"])
    assert expand_categories(ws, "shooting") == ["shooting"]
    with pytest.raises(InputError) as err:
        expand_categories(ws, ["shootings"])
    assert err.value.code == "param.categories" and "shooting" in err.value.fmt["known"]

    rows = {r["code"]: r for r in category_rows(ws, "zh-CN")}
    assert rows["shooting"]["incidents"] == len(inc) and not rows["shooting"]["builtin"]
    assert rows["shooting"]["label"] == "涉枪案件" and rows["shooting"]["group_label"] == "其他刑事案件"
    assert rows["robbery"]["builtin"] and rows["robbery"]["incidents"] == 0

    # a category still in use stays; a built-in one always
    with pytest.raises(InputError) as err:
        remove_category(ws, "shooting")
    assert err.value.code == "category.in_use" and err.value.fmt["n"] == len(inc)
    with pytest.raises(InputError) as err:
        remove_category(ws, "robbery")
    assert err.value.code == "category.builtin"


@pytest.mark.parametrize(("args", "code"), [
    (("Shoot", "--zh", "x", "--en", "y"), "category.bad_code"),
    (("robbery", "--zh", "x", "--en", "y"), "category.exists"),
    (("robbery2", "--zh", "抢劫", "--en", "y"), "category.name_taken"),
    (("drugs", "--zh", "", "--en", "drugs"), "category.bad_name_zh"),
    (("drugs", "--zh", "涉毒", "--en", "drugs", "--group", "crime"), "category.bad_group"),
])
def test_bad_categories_are_refused_in_the_users_language(mission, tmp_path, args, code):
    from app.i18n import t

    ws0, _ = mission
    path = Path(shutil.copyfile(ws0.path, tmp_path / "sf.gpkg"))
    res = CliRunner().invoke(cli, ["categories", "add", str(path), *args])
    assert res.exit_code == 2, res.output
    assert t(f"error.{code}", "zh-CN").split("{")[0][:6] in res.output
    assert workspace_categories(type(ws0)(path)) == workspace_categories(ws0)  # nothing written


def test_the_command_line_adds_lists_and_removes(mission, tmp_path):
    ws0, _ = mission
    path = Path(shutil.copyfile(ws0.path, tmp_path / "sf.gpkg"))
    run = CliRunner()
    res = run.invoke(cli, ["categories", "add", str(path), "traffic", "--zh", "交通事故", "--en", "traffic accident"])
    assert res.exit_code == 0, res.output
    assert "--set category=traffic" in res.output
    res = run.invoke(cli, ["categories", "list", str(path), "--json", "--lang", "en"])
    listed = {r["code"]: r for r in json.loads(res.output)}
    assert listed["traffic"]["group"] == "other" and listed["traffic"]["label"] == "traffic accident"
    assert len(listed) == 12
    assert run.invoke(cli, ["categories", "remove", str(path), "traffic"]).exit_code == 0
    assert "traffic" not in workspace_categories(type(ws0)(path))


def test_the_data_page_adds_one_and_every_page_knows_it(ws_copy):
    from app.web import create_app

    app = create_app(ws_copy)
    with client_class("commander")(app) as c:
        r = c.post("/api/v1/jobs/categories", json={"code": "drugs", "zh": "涉毒案件", "en": "drugs",
                                                    "group": "other_criminal"})
        assert r.status_code == 202, r.text
        job = wait_job(c, r.json()["href"])
        assert job["status"] == "done", job
        listed = {x["code"]: x for x in c.get("/api/v1/workspace/categories").json()["categories"]}
        assert listed["drugs"]["label"] == "涉毒案件" and listed["drugs"]["incidents"] == 0
        # a second time: refused at once, by name, in the page's language
        r = c.post("/api/v1/jobs/categories?lang=en", json={"code": "drugs", "zh": "毒品", "en": "narcotics"})
        assert r.status_code == 422 and "exists already" in r.json()["detail"]
        r = c.post("/api/v1/jobs/categories", json={"code": "heroin", "zh": "涉毒案件", "en": "heroin"})
        assert r.status_code == 422 and "涉毒案件" in r.json()["detail"] and "drugs" in r.json()["detail"]
        assert c.post("/api/v1/jobs/categories").status_code == 422  # a code and names are needed
        # the hotspot form lists it; a hotspot run may ask for it
        page = c.get("/hotspots").text
        assert "涉毒案件" in page
        r = c.post("/api/v1/jobs/hotspots", json={"categories": ["drugs"]})
        assert r.status_code == 202
        job = wait_job(c, r.json()["href"])
        assert job["status"] == "failed" and job["error_type"] == "InputError"  # no incident has it yet
        r = c.post("/api/v1/jobs/hotspots", json={"categories": ["no_such"]})
        assert r.status_code == 422 and "no_such" in r.json()["detail"] and "drugs" in r.json()["detail"]
    with client_class("station")(app) as c:  # a station user sees the list but may not change it
        assert c.get("/api/v1/workspace/categories").status_code == 200
        assert c.post("/api/v1/jobs/categories", json={"code": "arson", "zh": "纵火", "en": "arson"}).status_code == 403


def test_a_report_counts_the_workspaces_own_categories_in_their_groups(tmp_path):
    """The tiny report district: two of its robberies recorded as ``street_robbery`` (added, in 两抢一盗)
    and one as ``traffic`` (added, in no group): 两抢一盗 and 刑事 keep the robberies, lose the traffic one."""
    from app.report_render import write_report
    from geo.reports import build_report
    from tests.geo.test_reports import AS_OF, DATA_START, TINY_META, tiny_layers

    base = build_report(tiny_layers(), month="2026-09", as_of=AS_OF, data_start=DATA_START, meta=TINY_META)
    lay = tiny_layers()
    inc = lay["incidents"]
    month = pd.to_datetime(inc["occurred_at"], utc=True).dt.tz_convert(TINY_META["timezone"]).dt.strftime("%Y-%m") == "2026-09"
    trot = inc["category"].isin(["robbery", "snatching", "burglary"]) & month
    crim_only = inc["category"].isin(["assault", "fraud"]) & month
    assert trot.sum() >= 3 and crim_only.sum() >= 1
    robbed = inc.index[trot][:2]
    crashed = inc.index[crim_only][:1]
    inc.loc[robbed, "category"] = "street_robbery"
    inc.loc[crashed, "category"] = "traffic"
    meta = {**TINY_META, "categories": json.dumps({"street_robbery": ["街面抢劫", "street robbery", "two_robberies_one_theft"],
                                                   "traffic": ["交通事故", "traffic accident", "other"]})}
    rep = build_report(lay, month="2026-09", as_of=AS_OF, data_start=DATA_START, meta=meta)

    def district(r, measure):
        t = r.tables["comparison"].frame
        return int(t[(t["level"] == "district") & (t["measure"] == measure)]["month"].iloc[0])

    assert district(rep, "two_robberies_one_theft") == district(base, "two_robberies_one_theft")
    assert district(rep, "criminal") == district(base, "criminal") - 1
    assert "street_robbery" in rep.measures["two_robberies_one_theft"].categories
    assert "traffic" not in rep.measures["criminal"].categories
    with pytest.raises(InputError):  # the same incidents without the workspace's categories
        build_report(lay, month="2026-09", as_of=AS_OF, data_start=DATA_START, meta=TINY_META)
    files = write_report(rep, tmp_path, lang="zh-CN")
    html = Path(files["html"]).read_text(encoding="utf-8")
    assert "街面抢劫" in html  # named in the definitions, in the user's language


def test_the_data_page_form_in_a_browser(ws_copy, browser):
    """On the data page (desk and phone): the table lists the eleven; the form adds one and the table
    shows it; a taken name is refused on the page, by name."""
    from app.web import create_app
    from tests.app._browser import recorded_page, require_chromium, serve, wait_for

    require_chromium()
    for url in serve(create_app(ws_copy)):
        for size, code, zh in (({"width": 1400, "height": 900}, "shooting", "涉枪案件"),
                               ({"width": 390, "height": 844}, "drugs", "涉毒案件")):
            for page, rec in recorded_page(browser, viewport=size):
                page.goto(f"{url}/data")
                wait_for(page, "() => +document.getElementById('pn-categories').dataset.count >= 11")
                before = int(page.get_attribute("#pn-categories", "data-count"))
                page.fill("#pn-cat-code", code)
                page.fill("#pn-cat-zh", zh)
                page.fill("#pn-cat-en", code)
                page.select_option("#pn-cat-group", "other_criminal")
                page.click("#pn-cat-add")
                wait_for(page, f"() => +document.getElementById('pn-categories').dataset.count === {before + 1}",
                         timeout=60_000)
                assert zh in page.inner_text("#pn-category-table")
                rec.check()
        for page, _ in recorded_page(browser):  # the same Chinese name again: said on the page
            page.goto(f"{url}/data")
            wait_for(page, "() => +document.getElementById('pn-categories').dataset.count >= 13")
            page.fill("#pn-cat-code", "guns")
            page.fill("#pn-cat-zh", "涉枪案件")
            page.fill("#pn-cat-en", "guns")
            page.click("#pn-cat-add")
            wait_for(page, "() => document.querySelector('#pn-category-status .pn-error') !== null")
            assert "shooting" in page.inner_text("#pn-category-status")
