"""The officer's phone page (issue 17): at 390x844 in Chromium the unit's plan of the shift shows
on the map with its stops, the dwell timer runs, a track recorded with an emulated geolocation is
sent, and the pings come back in the dosage table; the API refuses what it should, in the user's
language, naming the field or the unit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.services.dosage import dosage_job
from app.services.phone import MAX_PINGS, pings_csv
from app.storage.access import Principal
from app.storage.workspace import Workspace
from app.web import create_app
from geo.errors import InputError
from tests.app._browser import ARTIFACTS, recorded_page, require_chromium, serve, wait_for
from tests.app._fixtures import client_class, recorded_shift

DAY = dt.date(2026, 11, 2)
SHIFT = "20:00-24:00"


@pytest.fixture(scope="module")
def planned(demo_workspace_file: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Any]]:
    """A demo copy with the grid teams' shift planned and recorded, and the plans."""
    return recorded_shift(demo_workspace_file, tmp_path_factory.mktemp("phone"), day=DAY, shift=SHIFT,
                          kinds=["grid_team"])


def _lonlat(path: Path, stop: Any) -> tuple[float, float]:
    """A stop's place in WGS84 (what a phone reports there)."""
    import geopandas as gpd

    pt = gpd.GeoSeries(gpd.points_from_xy([stop.x], [stop.y]), crs=Workspace(path).crs).to_crs("EPSG:4326")
    return float(pt.x.iloc[0]), float(pt.y.iloc[0])


@pytest.fixture(scope="module")
def base_url(planned: tuple[Path, list[Any]], assets_ready: Path) -> Iterator[str]:
    require_chromium()
    yield from serve(create_app(planned[0]))


def test_pings_are_checked_before_they_are_imported() -> None:
    ok = pings_csv([{"t": "2026-11-02T20:00:00+08:00", "lon": 114.9, "lat": 27.8},
                    {"t": "2026-11-02T12:00:10Z", "lon": "114.9001", "lat": 27.8}]).decode()
    assert ok.splitlines() == ["recorded_at,lon,lat", "2026-11-02T20:00:00+08:00,114.9000000,27.8000000",
                               "2026-11-02T12:00:10+00:00,114.9001000,27.8000000"]
    for bad, code in (([], "phone.no_pings"), ([{"t": "2026-11-02T20:00:00", "lon": 1, "lat": 2}], "phone.bad_ping"),
                      ([{"t": "2026-11-02T20:00:00Z", "lon": "x", "lat": 2}], "phone.bad_ping"),
                      ([{"t": "2026-11-02T20:00:00Z", "lon": float("nan"), "lat": 2}], "phone.bad_ping"),
                      ([{"t": "2026-11-02T20:00:00Z", "lon": 1, "lat": 2}] * (MAX_PINGS + 1), "phone.too_many_pings")):
        with pytest.raises(InputError) as e:
            pings_csv(bad)
        assert e.value.code == code


def test_the_api_answers_the_plan_and_refuses_in_the_users_language(planned: tuple[Path, list[Any]],
                                                                    assets_ready: Path) -> None:
    path, plans = planned
    app = create_app(path)
    with client_class("admin")(app) as c:
        units = c.get("/api/v1/field/units", params={"date": str(DAY), "shift": SHIFT}).json()
        assert [u["unit_id"] for u in units["units"]] == sorted({p.unit_id for p in plans})
        one = plans[0]
        plan = c.get("/api/v1/field/plan", params={"date": str(DAY), "shift": SHIFT, "unit": one.unit_id}).json()
        assert plan["name"] == one.name and [s["label"] for s in plan["parts"][0]["stops"]] == [s.label for s in one.stops]
        assert "巡逻点" not in str(plan)
        miss = c.get("/api/v1/field/plan", params={"date": str(DAY), "shift": SHIFT, "unit": "U9999"})
        assert miss.status_code == 422 and "U9999" in miss.json()["detail"] and "没有单位" in miss.json()["detail"]
        none = c.get("/api/v1/field/units", params={"date": "2026-11-03", "shift": SHIFT}).json()
        assert none["record"] is None and none["units"] == []  # no plan yet: the phone says so
        bad_day = c.get("/api/v1/field/plan", params={"date": "2026-11-03", "shift": SHIFT, "unit": one.unit_id,
                                                      "lang": "en"})
        assert bad_day.status_code == 422 and "no shift plan recorded for 2026-11-03" in bad_day.json()["detail"]
        bad = c.post("/api/v1/field/tracks", json={"unit_id": "U9999", "pings": [{"t": "2026-11-02T20:00:00Z",
                                                                                  "lon": 114.9, "lat": 27.8}]})
        assert bad.status_code == 422 and "U9999" in bad.json()["detail"]
        # pings sent by a phone come back in the dosage table, which downloads for Excel
        other = next(p for p in reversed(plans) if p.stops)
        lon, lat = _lonlat(path, other.stops[0])
        pings = [{"t": f"2026-11-02T20:{10 + i}:00+08:00", "lon": lon, "lat": lat} for i in range(4)]
        sent = c.post("/api/v1/field/tracks", json={"unit_id": other.unit_id, "pings": pings})
        assert sent.status_code == 200 and sent.json()["status"] == "done", sent.json()
        again = c.post("/api/v1/field/tracks", json={"unit_id": other.unit_id, "pings": pings})
        assert again.status_code == 422  # every ping already there: nothing imported, said so
        # the patrol-coverage map: 3 minutes (4 pings a minute apart) on the street of the stop
        cov = c.get("/api/v1/field/coverage").json()
        assert (cov["start"], cov["end"], cov["units"], cov["minutes"]) == ("2026-10-27", str(DAY), 1, 3.0)
        assert sum(f["properties"]["minutes"] for f in cov["features"]) == pytest.approx(3.0, abs=0.1)
        assert c.get("/api/v1/field/coverage", params={"start": "2026-11-03", "end": str(DAY)}).status_code == 422
        got = c.get("/api/v1/field/dosage", params={"date": str(DAY), "shift": SHIFT}).json()
        row = next(r for r in got["units"] if r["unit_id"] == other.unit_id)
        assert row["pings"] == 4 and got["labels"]["pings"] == "定位点数" and "1/" in got["tracks_line"]
        # what it may be worth: an estimate with a range, for the plan and for what the tracks show
        worth = got["worth"]
        assert worth["places"] > 0 and worth["actual"] is not None and "不是承诺" in worth["line"]
        assert 0 <= worth["actual"]["low"] <= worth["actual"]["high"] <= 0.16 * worth["expected"] + 1e-3
        book = c.get("/api/v1/field/dosage", params={"date": str(DAY), "shift": SHIFT, "format": "xlsx"})
        assert book.status_code == 200 and "attachment" in book.headers["content-disposition"]
        from io import BytesIO

        from openpyxl import load_workbook

        sheet = load_workbook(BytesIO(book.content)).worksheets[1]
        assert [c.value for c in sheet[1]][:4] == ["单位编号", "巡逻单位", "类型", "定位点数"]
    units = Workspace(path).read("units")
    own = units[units["station_id"] == "S01"]["unit_id"].astype(str).tolist()
    other_station = units[units["station_id"].notna() & (units["station_id"] != "S01")]["unit_id"].astype(str).iloc[0]
    with client_class("station")(app) as c:  # a station sends pings of its own units only
        ping = [{"t": "2026-11-02T20:00:00+08:00", "lon": 114.93, "lat": 27.82}]
        refused = c.post("/api/v1/field/tracks", json={"unit_id": other_station, "pings": ping})
        assert refused.status_code == 422 and other_station in refused.json()["detail"]
        mine = c.post("/api/v1/field/tracks", json={"unit_id": own[0], "pings": ping})
        assert mine.status_code == 200 and mine.json()["status"] == "done", mine.json()
    with client_class("analyst")(app) as c:  # an analyst exports no routes: no plan on a phone either
        assert c.get("/api/v1/field/units", params={"date": str(DAY), "shift": SHIFT}).status_code == 403


def test_phone_page_shows_the_plan_runs_the_timer_and_sends_the_track(
        planned: tuple[Path, list[Any]], base_url: str, browser: Any) -> None:
    path, plans = planned
    unit = next(p for p in plans if len(p.stops) >= 3)
    assert unit is not next(p for p in reversed(plans) if p.stops)  # (the API test sends the other one's pings)
    lon, lat = _lonlat(path, unit.stops[0])
    for page, rec in recorded_page(browser, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                   device_scale_factor=2, geolocation={"longitude": lon, "latitude": lat},
                                   permissions=["geolocation"]):
        # the phone's clock in the planned shift (the pings are stamped by it)
        page.clock.install(time=dt.datetime(2026, 11, 2, 20, 10, tzinfo=dt.timezone(dt.timedelta(hours=8))))
        page.goto(f"{base_url}/m/")
        page.fill("#pn-m-date", str(DAY))
        page.dispatch_event("#pn-m-date", "change")
        wait_for(page, "() => !document.getElementById('pn-m-unit').disabled")
        page.select_option("#pn-m-unit", unit.unit_id)
        page.click("#pn-m-open")
        wait_for(page, "() => document.querySelectorAll('#pn-m-stops li').length > 0")
        stops = page.eval_on_selector_all("#pn-m-stops li", "els => els.map(e => e.textContent)")
        assert len(stops) == len(unit.stops) and unit.stops[0].label in stops[0]
        assert page.inner_text("#pn-m-unit-name") == unit.name
        # the route and its stops are drawn on the map, the streets around it named
        wait_for(page, "() => document.querySelectorAll('.pn-street-label').length >= 3")
        assert page.locator(".pn-stop-no").count() == len(unit.stops)
        # the dwell timer counts down
        page.click("#pn-m-timer-btn")
        page.wait_for_timeout(2200)
        shown = page.inner_text("#pn-m-timer")
        assert page.get_attribute("#pn-m-timer", "data-running") == "1" and shown.startswith("14:5"), shown
        # a track: the phone moves along the first stops, a fix every 6 s of page time
        page.click("#pn-m-rec")
        for s in unit.stops[:3]:
            at = _lonlat(path, s)
            page.context.set_geolocation({"longitude": at[0], "latitude": at[1]})
            page.wait_for_timeout(5200)
        wait_for(page, "() => +document.getElementById('pn-m-count').dataset.n >= 2")
        page.screenshot(path=str(ARTIFACTS / "phone-390x844.png"), full_page=True)
        n = int(page.get_attribute("#pn-m-count", "data-n"))
        page.click("#pn-m-send")
        wait_for(page, "() => +document.getElementById('pn-m-send').dataset.sent > 0", timeout=60_000)
        assert page.get_attribute("#pn-m-count", "data-n") == "0"
        rec.check()
    # the pings are in the tracks layer under the unit, and the dosage table counts them
    ws = Workspace(path)
    tracks = ws.read("tracks")
    assert (tracks["unit_id"] == unit.unit_id).sum() == n
    got = dosage_job(ws, path, Principal("tester", "admin"), day=DAY, shift=SHIFT)
    row = next(r for r in got["units"] if r["unit_id"] == unit.unit_id)
    assert row["pings"] == n


def test_the_page_opens_again_offline_from_its_service_worker(base_url: str, browser: Any) -> None:
    from tests.app._auth import browser_cookie

    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", service_workers="allow")
    context.add_cookies([browser_cookie("http://127.0.0.1")])
    page = context.new_page()
    try:
        page.goto(f"{base_url}/m/")
        assert page.evaluate("() => navigator.serviceWorker.ready.then(() => true)")
        page.reload()  # now under the worker: the page and its scripts go into its cache
        wait_for(page, "() => navigator.serviceWorker.controller !== null")
        wait_for(page, "() => document.getElementById('pn-m-msg').textContent.length > 0")
        context.set_offline(True)
        page.reload()
        assert page.inner_text("#pn-m-unit-name") == "巡逻任务"
        wait_for(page, "() => typeof L !== 'undefined' && document.querySelector('.leaflet-container') !== null")
    finally:
        context.close()


def test_routes_page_shows_patrol_done_against_the_plan(planned: tuple[Path, list[Any]], base_url: str,
                                                       browser: Any) -> None:
    for page, rec in recorded_page(browser, expected_abort=lambda url: "/api/v1/layers/" in url):
        page.goto(f"{base_url}/routes")
        page.fill("#pn-date", str(DAY))
        page.fill("#pn-shift", SHIFT)
        page.click("#pn-dosage-run")
        wait_for(page, "() => document.querySelectorAll('#pn-dosage-units tbody tr').length > 0", timeout=60_000)
        rows = page.locator("#pn-dosage-units tbody tr").count()
        assert rows == len({p.unit_id for p in planned[1]})
        assert "巡逻落实情况" in page.inner_text("#pn-dosage-box")
        assert page.locator("#pn-dosage a[href*='format=xlsx']").count() == 1
        assert "不是承诺" in page.inner_text("#pn-dosage-worth")
        page.locator("#pn-dosage-box").screenshot(path=str(ARTIFACTS / "routes-dosage.png"))
        rec.check()


def test_coverage_page_draws_the_patrol_from_tracks(planned: tuple[Path, list[Any]], base_url: str,
                                                    browser: Any) -> None:
    path, plans = planned
    third = [p for p in plans if p.stops][1]
    lon, lat = _lonlat(path, third.stops[0])
    pings = [{"t": f"2026-11-02T21:{i:02d}:00+08:00", "lon": lon, "lat": lat} for i in range(6)]
    with client_class("admin")(create_app(path)) as c:
        assert c.post("/api/v1/field/tracks", json={"unit_id": third.unit_id, "pings": pings}).status_code in (200, 422)
    for page, rec in recorded_page(browser, expected_abort=lambda url: "/api/v1/layers/edge_owners" in url):
        page.goto(f"{base_url}/coverage")
        wait_for(page, "() => +document.getElementById('pn-map').dataset.patrolled > 0", timeout=60_000)
        assert "巡逻轨迹覆盖" in page.inner_text(".leaflet-control-layers")
        # another period: a day without pings draws nothing, the day of the pings draws them again
        assert page.locator("#pn-tracks-form").is_visible() and "至" in page.inner_text("#pn-tracks-period")
        page.fill("#pn-tracks-start", "2026-11-03")
        page.fill("#pn-tracks-end", "2026-11-03")
        page.click("#pn-tracks-show")
        wait_for(page, "() => document.getElementById('pn-map').dataset.patrolled === '0'")
        page.fill("#pn-tracks-start", str(DAY))
        page.fill("#pn-tracks-end", str(DAY))
        page.click("#pn-tracks-show")
        wait_for(page, "() => +document.getElementById('pn-map').dataset.patrolled > 0")
        assert str(DAY) in page.inner_text("#pn-tracks-period")
        page.fill("#pn-tracks-start", "2026-11-05")
        page.click("#pn-tracks-show")  # ends before it starts: said, named
        wait_for(page, "() => document.getElementById('pn-tracks-period').className === 'pn-error'")
        assert "2026-11-05" in page.inner_text("#pn-tracks-period")
        # the browser logs the refused request (422) it was asked to make: that one, and nothing else
        assert [e for e in rec.console_errors if "422" in e] == rec.console_errors and len(rec.console_errors) == 1
        rec.console_errors.clear()
        rec.check()
