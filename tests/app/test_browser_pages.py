"""Every page in a real browser (Debian chromium via Playwright) on the demo district, offline.

uvicorn serves a private copy of the demo workspace (split into beats first) on 127.0.0.1 in a
background thread; every request the browser makes is recorded and any to another host fails the
test (and is aborted). Screenshots and timings go to tests/artifacts/ (git-ignored).
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from app.i18n import t
from app.web import create_app
from geo.schema import CAMERA_KINDS
from tests.app._browser import ARTIFACTS, Recorder, recorded_page, require_chromium, serve, wait_for

pytestmark = pytest.mark.browser

SHIFT_DAY = "2026-11-02"


@pytest.fixture(scope="module")
def demo_copy(demo_workspace_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private copy of the demo workspace (the pages' jobs write to it), split into beats."""
    from app.services.split import split_workspace
    from app.storage.workspace import Workspace

    path = tmp_path_factory.mktemp("demo-web") / "yushui.gpkg"
    shutil.copyfile(demo_workspace_file, path)
    split_workspace(Workspace(path))
    return path


@pytest.fixture(scope="module")
def base_url(demo_copy: Path, assets_ready: Path) -> Iterator[str]:
    require_chromium()
    yield from serve(create_app(demo_copy))



@pytest.fixture()
def page_and_log(browser: Any) -> Iterator[tuple[Any, Recorder]]:
    # a map-view (bbox) request, the station streets or the place labels, is cancelled by the next
    # pan/zoom or by leaving the page while it is in flight; a failed answer would still show (HTTP 4xx/5xx
    # are not aborts)
    yield from recorded_page(browser, expected_abort=_map_view_request, accept_downloads=True)


def _map_view_request(url: str) -> bool:
    parts = urlsplit(url)
    return parts.path.startswith("/api/v1/layers/") and "bbox" in parse_qs(parts.query)


#: Painted pixels on every canvas of the map (vector layers drawn by Leaflet's canvas renderer).
_INK = """() => {
  let ink = 0;
  for (const c of document.querySelectorAll('.leaflet-map-pane canvas')) {
    if (!c.width || !c.height || c.classList.contains('leaflet-heatmap-layer')) continue;
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    for (let i = 3; i < d.length; i += 16) if (d[i] > 0) ink++;
  }
  return ink;
}"""
_HEAT_INK = """() => {
  const c = document.querySelector('canvas.leaflet-heatmap-layer');
  if (!c || !c.width) return 0;
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let ink = 0;
  for (let i = 3; i < d.length; i += 16) if (d[i] > 0) ink++;
  return ink;
}"""


def _timing(page: Any, name: str, started: float, **extra: float) -> None:
    nav = page.evaluate("() => { const n = performance.getEntriesByType('navigation')[0];"
                        " return {dom: n.domContentLoadedEventEnd, load: n.loadEventEnd}; }")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / "browser_page_timings.json"
    data = json.loads(path.read_text()) if path.exists() else {}
    data[name] = {"dom_content_loaded_ms": round(nav["dom"], 1), "load_event_ms": round(nav["load"], 1),
                  "ready_s": round(time.perf_counter() - started, 3), **extra}
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False))


def _shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def _nav_ok(page: Any, active: str) -> None:
    tabs = page.locator("#pn-nav a.pn-tab")
    assert tabs.count() == 10
    assert page.locator("#pn-nav a.pn-tab.active").get_attribute("data-nav") == active


def test_dashboard(base_url: str, page_and_log: tuple[Any, Recorder]) -> None:
    page, rec = page_and_log
    t0 = time.perf_counter()
    page.goto(base_url + "/", wait_until="load")
    wait_for(page, f"({_INK})() > 2000", timeout=20_000)
    _timing(page, "dashboard", t0)
    _nav_ok(page, "dashboard")
    cards = page.locator("#pn-headline .pn-card")
    assert cards.count() == 3
    text = page.inner_text("#pn-headline")
    for label in ("刑事案件", "小区两抢一盗", "街面主干道可防性案件", "2026年10月", "1–10月累计", "去年同期"):
        assert label in text, label
    assert page.locator("#pn-headline .pn-down").count() >= 3  # every figure down year over year
    rows = page.locator("#pn-ranking tbody tr")
    assert rows.count() == 9
    ranks = [int(x) for x in page.locator("#pn-ranking tbody tr td:first-child").all_inner_texts()]
    assert ranks == sorted(ranks)
    page.click("#pn-ranking th:nth-child(3)")  # sort by cases, then again for descending
    page.click("#pn-ranking th:nth-child(3)")
    cases = [int(x) for x in page.locator("#pn-ranking tbody tr td:nth-child(3)").all_inner_texts()]
    assert cases == sorted(cases, reverse=True)
    assert page.locator("#pn-trend polyline").count() == 2
    assert "示范小区" in page.inner_text("body")
    assert page.locator(".leaflet-container").count() == 1
    _shot(page, "page_dashboard")
    rec.check()


def test_hotspots(base_url: str, page_and_log: tuple[Any, Recorder]) -> None:
    page, rec = page_and_log
    t0 = time.perf_counter()
    page.goto(base_url + "/hotspots", wait_until="load")
    _nav_ok(page, "hotspots")
    wait_for(page, f"({_HEAT_INK})() > 500", timeout=15_000)
    heat_s = time.perf_counter() - t0
    # each category once in the list (治安案件, a group of one, was listed twice: issue 18)
    labels = [x.strip("■ 　") for x in page.locator("#pn-category option").all_inner_texts()]
    assert len(labels) == len(set(labels)) and labels.count("治安案件") == 1, labels
    # no Gi* layer in the demo yet: the page runs the hotspots job on demand and draws it
    page.wait_for_selector("#pn-hot-job .pn-progress", timeout=10_000)
    wait_for(page, "document.getElementById('pn-map').getAttribute('data-gi-features') === '1979'",
                           timeout=60_000)
    _timing(page, "hotspots", t0, heat_drawn_s=round(heat_s, 3))
    assert page.get_attribute("#pn-hot-job", "data-status") == "done"
    summary = page.inner_text("#pn-hot-summary")
    assert "热点小片区" in summary and "2026-08-01" in summary and "2026-10-31" in summary
    assert int(page.get_attribute("#pn-map", "data-heat-points")) > 500
    overlays = page.locator(".leaflet-control-layers-overlays label").all_inner_texts()
    assert any("Gi*" in o for o in overlays) and any("热力" in o for o in overlays)
    # click a hot sub-zone: its figures appear
    centre = page.evaluate("""() => { const m = window.pnMap; let best = null;
        m.eachLayer(l => { if (l.feature && l.feature.properties.hotspot === 'hot' && !best) best = l; });
        const p = m.latLngToContainerPoint(best.getBounds().getCenter()); return [p.x, p.y]; }""")
    box = page.locator("#pn-map").bounding_box()
    page.mouse.click(box["x"] + centre[0], box["y"] + centre[1])
    page.wait_for_selector("#pn-subzone-info #pn-subzone-table", timeout=5_000)
    info = page.inner_text("#pn-subzone-info")
    assert "Gi* z 值" in info and "热点" in info
    cells = page.evaluate("""() => Object.fromEntries([...document.querySelectorAll('#pn-subzone-table tr')]
        .map(r => [r.querySelector('th').textContent, r.querySelector('td').textContent]))""")
    assert cells["派出所"].endswith("派出所") and cells["社区"].endswith("社区"), cells  # names, not "S09"
    _shot(page, "page_hotspots")
    # a category filter re-runs the job
    page.select_option("#pn-category", "burglary")
    page.click("#pn-hot-run")
    wait_for(page, "(old) => document.getElementById('pn-hot-summary').textContent !== old",
                           arg=summary, timeout=60_000)
    assert page.get_attribute("#pn-hot-job", "data-status") == "done"
    assert int(page.get_attribute("#pn-map", "data-heat-points")) < 692
    # one state: the Gi* line and the heat map name the category they show, and after a reload the form,
    # the heat map and the Gi* line still agree (issue 18)
    assert "入室盗窃" in page.inner_text("#pn-hot-summary") and "入室盗窃" in page.inner_text("#pn-heat-status")
    page.reload(wait_until="load")
    wait_for(page, "() => document.getElementById('pn-hot-summary').textContent.indexOf('入室盗窃') >= 0")
    wait_for(page, "() => document.getElementById('pn-heat-status').textContent.indexOf('入室盗窃') >= 0")
    assert page.input_value("#pn-category") == "burglary"
    rec.check()


def test_hotspots_where_to_watch(base_url: str, page_and_log: tuple[Any, Recorder]) -> None:
    """The forecast made from the page, then the shift's list of places: named, ranked, on the map,
    with the forecast's honesty line; a row pans the map to it; the workbook downloads; at phone
    width the list stays readable."""
    page, rec = page_and_log
    page.goto(base_url + "/hotspots", wait_until="load")
    page.click("#pn-forecast-run")
    wait_for(page, "document.querySelectorAll('#pn-watch-table tbody tr').length === 20", timeout=90_000)
    honesty = page.inner_text("#pn-watch-honesty")
    assert "52 周" in honesty and "全部历史计数" in honesty, honesty
    places = page.locator("#pn-watch-table tbody tr td:nth-child(2)").all_inner_texts()
    assert places and not any(p.startswith("Z") and p[1:].isdigit() for p in places), places
    marks = page.evaluate("""() => { let n = 0; window.pnMap.eachLayer(l => {
        if (l instanceof L.CircleMarker && l.options.color === '#e65100' && l.getTooltip()) n++; }); return n; }""")
    assert marks == 20
    page.fill("#pn-watch-shift", "02:00-06:00")
    page.click("#pn-watch-run")
    wait_for(page, "(old) => [...document.querySelectorAll('#pn-watch-table tbody tr td:nth-child(2)')]"
                   ".map(x => x.textContent).join() !== old.join()", arg=places, timeout=15_000)
    zoom = page.evaluate("() => window.pnMap.getZoom()")
    page.click("#pn-watch-table tbody tr:first-child")
    wait_for(page, f"window.pnMap.getZoom() >= 16 && window.pnMap.getZoom() !== {zoom}", timeout=5_000)
    with page.expect_download() as got:
        page.click("#pn-watch-xlsx")
    assert got.value.suggested_filename.endswith(".xlsx") and "0200_0600" in got.value.suggested_filename
    page.fill("#pn-watch-shift", "8点到12点")
    page.click("#pn-watch-run")
    wait_for(page, "document.getElementById('pn-watch-honesty').textContent.includes('8点到12点')", timeout=10_000)
    assert rec.console_errors == ["Failed to load resource: the server responded with a status of 422 "
                                  "(Unprocessable Entity)"]  # (the refusal asked for, said on the page)
    rec.console_errors.clear()
    page.fill("#pn-watch-shift", "20:00-24:00")
    page.click("#pn-watch-run")
    wait_for(page, "document.querySelectorAll('#pn-watch-table tbody tr').length === 20", timeout=15_000)
    page.locator("#pn-watch-form").scroll_into_view_if_needed()
    _shot(page, "page_hotspots_watch")
    page.set_viewport_size({"width": 390, "height": 844})
    page.locator("#pn-watch-table").scroll_into_view_if_needed()
    width = page.evaluate("() => document.getElementById('pn-watch-table').getBoundingClientRect().width")
    assert width <= 390, width
    _shot(page, "page_hotspots_watch_phone")
    rec.check()


def test_coverage(base_url: str, page_and_log: tuple[Any, Recorder]) -> None:
    page, rec = page_and_log
    t0 = time.perf_counter()
    page.goto(base_url + "/coverage", wait_until="load")
    page.wait_for_selector("#pn-map[data-loaded='1']", state="attached", timeout=20_000)
    wait_for(page, f"({_INK})() > 5000", timeout=15_000)
    _timing(page, "coverage", t0)
    _nav_ok(page, "coverage")
    overlays = page.locator(".leaflet-control-layers-overlays label").all_inner_texts()
    for want in ("派出所辖区", "特巡警巡区", "网格巡逻区", "探头", "派出所街巷"):
        assert any(want in o for o in overlays), (want, overlays)
    assert page.locator("#pn-legend div").count() >= 5
    assert page.locator("#pn-split-summary tbody tr").count() == 10  # the brigade + 9 stations
    # tooltips name places, not codes: a grid team's area by its station, a station street by its
    # station, a camera by its kind (issue 18: "S07-G01", "S04", "skynet")
    tips = page.evaluate("""() => { const out = {grid: null, street: null, camera: null};
        window.pnMap.eachLayer(l => {
          const p = l.feature && l.feature.properties, tip = l.getTooltip && l.getTooltip();
          if (!p || !tip) return;
          const text = typeof tip.getContent() === 'function' ? tip.getContent()(l) : tip.getContent();
          if (p.team !== undefined && !out.grid) out.grid = text;
          else if (p.owner_kind === 'station' && !out.street) out.street = text;
          else if (p.camera_id !== undefined && !out.camera) out.camera = text;
        });
        return out; }""")
    assert tips["grid"] and "派出所" in tips["grid"] and "-G" not in tips["grid"], tips
    assert tips["street"] and tips["street"].endswith("派出所") and " S0" not in tips["street"], tips
    assert tips["camera"] and tips["camera"].split(" · ")[0] in {t(f"camera.{k}", "zh-CN") for k in CAMERA_KINDS}, tips
    n_all = int(page.get_attribute("#pn-map", "data-streets"))
    assert n_all > 5000
    # zooming in reloads the streets for the view only (bbox)
    page.evaluate("() => { window.pnMap.setZoom(window.pnMap.getZoom() + 3, {animate: false}); }")
    wait_for(page, "(n) => +document.getElementById('pn-map').getAttribute('data-streets') < n / 4",
                           arg=n_all, timeout=10_000)
    page.evaluate("() => { window.pnMap.setZoom(window.pnMap.getZoom() - 3, {animate: false}); }")
    wait_for(page, "(n) => +document.getElementById('pn-map').getAttribute('data-streets') === n",
                           arg=n_all, timeout=10_000)
    page.wait_for_timeout(300)
    _shot(page, "page_coverage")
    rec.check()


def test_routes_round_trip(base_url: str, page_and_log: tuple[Any, Recorder]) -> None:
    page, rec = page_and_log
    t0 = time.perf_counter()
    page.goto(base_url + "/routes", wait_until="load")
    wait_for(page, f"({_INK})() > 500", timeout=15_000)
    _timing(page, "routes", t0)
    _nav_ok(page, "routes")
    page.fill("#pn-date", SHIFT_DAY)
    page.fill("#pn-shift", "20:00-24:00")
    for box in page.locator("#pn-kinds input").all():
        box.set_checked(box.get_attribute("value") == "brigade_vehicle")
    t1 = time.perf_counter()
    page.click("#pn-plan")
    page.wait_for_selector("#pn-routes-job .pn-progress", timeout=5_000)
    wait_for(page, "+document.getElementById('pn-map').getAttribute('data-routes') > 0", timeout=90_000)
    planned_s = time.perf_counter() - t1
    assert page.get_attribute("#pn-routes-job", "data-status") == "done"
    assert int(page.get_attribute("#pn-map", "data-routes")) == 12
    assert int(page.get_attribute("#pn-map", "data-stops")) > 12
    assert page.locator("#pn-units-table tbody tr").count() == 12
    assert "2026-11-02 20:00-24:00" in page.inner_text("#pn-routes-summary")
    wait_for(page, f"({_INK})() > 3000", timeout=10_000)
    # a unit picked in the table is drawn alone with its stops and its timetable; picked again, all (issue 18)
    all_stops = int(page.get_attribute("#pn-map", "data-stops"))
    page.locator("#pn-units-table tbody tr").nth(2).click()
    unit = page.get_attribute("#pn-units-table tbody tr:nth-child(3)", "data-unit")
    assert page.get_attribute("#pn-map", "data-picked") == unit
    rows = page.locator("#pn-timetable tbody tr").count()
    assert 0 < rows < all_stops and page.locator("#pn-units-table tr.pn-picked").count() == 1
    assert page.evaluate("() => { let n = 0; window.pnMap.eachLayer(l => { if (l instanceof L.CircleMarker) n++; }); return n; }") == rows
    # the unit's own files, out of the plan's zip: its GPX holds its track only, named for it
    with page.expect_download() as info:
        page.click("#pn-unit-dl-gpx")
    own = info.value
    name = page.locator("#pn-units-table tbody tr:nth-child(3) td").first.inner_text().strip()
    assert own.suggested_filename == f"yushui-{SHIFT_DAY}-2000_2400-{unit}-{name}.gpx", own.suggested_filename
    gpx = Path(own.path()).read_text(encoding="utf-8")
    assert gpx.count("<trk>") == 1 and name in gpx
    assert page.locator("#pn-unit-dl-kml").count() == 1 and page.locator("#pn-unit-dl-html").count() == 1
    page.locator("#pn-unit-timetable").scroll_into_view_if_needed()
    _shot(page, "page_routes_unit")
    page.click("#pn-unit-all")
    assert page.get_attribute("#pn-map", "data-picked") == "" and page.locator("#pn-timetable").count() == 0
    assert page.evaluate("() => { let n = 0; window.pnMap.eachLayer(l => { if (l instanceof L.CircleMarker) n++; }); return n; }") == all_stops
    for kind in ("gpx", "geojson", "kml", "sheets", "csv"):
        assert page.locator(f"#pn-dl-{kind}").count() == 1, kind
    with page.expect_download() as info:
        page.click("#pn-dl-gpx")
    download = info.value
    assert download.suggested_filename == f"yushui-{SHIFT_DAY}-2000_2400-routes.gpx"
    gpx = Path(download.path()).read_text(encoding="utf-8")
    assert "<gpx" in gpx and gpx.count("<trk>") == 12
    href = page.get_attribute("#pn-dl-gpx", "href")
    r = page.request.get(base_url + href)
    assert r.headers["content-type"] == "application/gpx+xml"
    _timing(page, "routes_plan", t0, planned_s=round(planned_s, 3))
    _shot(page, "page_routes")
    rec.check()


def test_cameras(base_url: str, page_and_log: tuple[Any, Recorder]) -> None:
    page, rec = page_and_log
    t0 = time.perf_counter()
    page.goto(base_url + "/cameras", wait_until="load")
    wait_for(page, f"({_INK})() > 500", timeout=15_000)
    _timing(page, "cameras", t0)
    _nav_ok(page, "cameras")
    page.click("#pn-cam-run")
    # (the gap list of 19,000 places takes ~26 s alone; beside the other test worker, more)
    wait_for(page, "+document.getElementById('pn-map').getAttribute('data-gaps') > 0", timeout=180_000)
    assert page.locator("#pn-gaps-table tbody tr").count() == 100
    assert "盲区" in page.inner_text("#pn-cam-summary")
    assert page.locator("#pn-cam-downloads a").count() == 3
    page.fill("#pn-site-k", "12")
    page.click("#pn-site-run")
    wait_for(page, "+document.getElementById('pn-map').getAttribute('data-sites') > 0", timeout=60_000)
    assert page.locator("#pn-sites-table tbody tr").count() == 12
    assert "%" in page.inner_text("#pn-site-summary")
    assert "每年可减少约" in page.inner_text("#pn-site-worth")  # an estimate, with its source in the tooltip
    assert page.locator("#pn-site-downloads a").count() == 3
    _shot(page, "page_cameras")
    rec.check()


def test_reports(base_url: str, page_and_log: tuple[Any, Recorder]) -> None:
    page, rec = page_and_log
    t0 = time.perf_counter()
    page.goto(base_url + "/reports", wait_until="load")
    page.wait_for_selector("#pn-report-list .pn-sub, #pn-reports", timeout=10_000)
    _timing(page, "reports", t0)
    _nav_ok(page, "reports")
    assert page.input_value("#pn-month") == "2026-10"
    page.select_option("#pn-month", "2026-09")
    page.click("#pn-report-run")
    page.wait_for_selector("#pn-report-headline", timeout=60_000)
    rows = page.locator("#pn-report-headline tbody tr")
    assert rows.count() == 3
    assert "刑事案件" in page.inner_text("#pn-report-headline")
    page.wait_for_selector("#pn-reports tbody tr", timeout=10_000)
    assert "2026-09" in page.inner_text("#pn-reports")
    with page.context.expect_page() as new_page:
        page.click("#pn-report-result a[target=_blank]")
    report = new_page.value
    report.wait_for_load_state("load")
    assert "2026" in report.inner_text("body") and "派出所" in report.inner_text("body")
    report.close()
    # one station's own report, the station chosen by name, the month above (issue 18)
    page.select_option("#pn-report-station", label="抱石路派出所")
    with page.context.expect_page() as new_page:
        page.click("#pn-station-report-open")
    report = new_page.value
    report.wait_for_load_state("load")
    assert report.title() == "抱石路派出所 2026年9月 警情分析月报", report.title()
    report.close()
    # the half-year station report from the same form: the stations ranked, its page one per station
    page.select_option("#pn-month", "2026-H1")
    page.click("#pn-report-run")
    page.wait_for_selector("#pn-report-stations", timeout=60_000)
    assert page.locator("#pn-report-stations tbody tr").count() == 9
    assert "2026-H1" in page.inner_text("#pn-report-result") and "抱石路派出所" in page.inner_text("#pn-report-stations")
    with page.context.expect_page() as new_page:
        page.click("#pn-report-result a[target=_blank]")
    report = new_page.value
    report.wait_for_load_state("load")
    assert report.locator("section.station").count() == 9 and "半年居民评议会材料" in report.inner_text("body")
    report.close()
    _shot(page, "page_reports")
    rec.check()


def test_data_import(base_url: str, page_and_log: tuple[Any, Recorder], tmp_path: Path) -> None:
    page, rec = page_and_log
    t0 = time.perf_counter()
    page.goto(base_url + "/data", wait_until="load")
    _timing(page, "data", t0)
    _nav_ok(page, "data")
    csv = tmp_path / "新警情.csv"
    csv.write_text("发案时间,案件类别,经度,纬度\n"
                   "2026-10-30 21:00,入室盗窃,114.930,27.820\n"
                   "2026-10-30 22:10,抢夺,114.925,27.815\n"
                   "2026-10-31 10:00,盗窃电动车,1.0,0.5\n", encoding="utf-8")
    page.set_input_files("#pn-file", str(csv))
    page.select_option("#pn-layer", "incidents")
    page.select_option("#pn-coords", "wgs84")
    page.click("#pn-import")
    page.wait_for_selector("#pn-import-summary", timeout=30_000)
    summary = page.inner_text("#pn-import-summary")
    assert "读取 3 行" in summary and "接收 2" in summary and "拒收 1" in summary
    assert page.locator("#pn-rejected tbody tr").count() == 1
    # the reason in the page's language (issue 13), without a command-line flag
    rejected = page.inner_text("#pn-rejected")
    assert "位于工作区边界外" in rejected and "请检查该文件的坐标系" in rejected and "--" not in rejected
    assert page.locator("#pn-report").count() == 1
    _shot(page, "page_data")
    rec.check()


def test_english_pages(base_url: str, page_and_log: tuple[Any, Recorder]) -> None:
    page, rec = page_and_log
    page.goto(base_url + "/routes", wait_until="networkidle")
    page.click("#pn-lang-toggle")
    page.wait_for_url("**/routes?lang=en")
    page.wait_for_load_state("networkidle")
    assert page.get_attribute("html", "lang") == "en"
    text = page.inner_text("body")
    assert "Route planner" in text and "Plan routes" in text and "Patrol brigade vehicle" in text
    # a plan of the day shown on the English page names its units in English (the workspace's
    # English names), not 特巡警大队巡逻车01 (issue 18)
    page.fill("#pn-date", SHIFT_DAY)
    page.fill("#pn-shift", "20:00-24:00")
    for box in page.locator("#pn-kinds input").all():
        box.set_checked(box.get_attribute("value") == "brigade_vehicle")
    page.click("#pn-plan")
    wait_for(page, "document.getElementById('pn-routes-job').getAttribute('data-status') === 'done'", timeout=90_000)
    page.wait_for_selector("#pn-units-table tbody tr", timeout=10_000)
    names = page.locator("#pn-units-table tbody tr td:first-child").all_inner_texts()
    assert names and all(n.startswith("Patrol brigade car ") for n in names), names
    page.click("#pn-nav a[data-nav='coverage']")
    page.wait_for_url("**/coverage?lang=en")
    page.wait_for_selector("#pn-map[data-loaded='1']", state="attached", timeout=20_000)
    assert any("Brigade beats" in o for o in page.locator(".leaflet-control-layers-overlays label").all_inner_texts())
    _shot(page, "page_coverage_en")
    rec.check()


def test_routes_form_takes_every_shift_separator_the_planner_reads(base_url: str,
                                                                  page_and_log: tuple[Any, Recorder]) -> None:
    """The form must not refuse in the browser what the service accepts (22:00至06:00 as in the CLI)."""
    page, rec = page_and_log
    page.goto(base_url + "/routes", wait_until="load")
    valid = {}
    for text in ("22:00-06:00", "22:00至06:00", "22:00~06:00", "22:00–06:00", "22:00 - 06:00", "22h-6h", "22:00"):
        page.fill("#pn-shift", text)
        valid[text] = page.eval_on_selector("#pn-shift", "e => e.checkValidity()")
    assert valid == {"22:00-06:00": True, "22:00至06:00": True, "22:00~06:00": True, "22:00–06:00": True,
                     "22:00 - 06:00": True, "22h-6h": False, "22:00": False}
    rec.check()
