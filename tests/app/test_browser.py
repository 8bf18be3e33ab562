"""The pages in a real browser (Debian chromium via Playwright), fully offline.

uvicorn serves the fixture workspace on 127.0.0.1 in a background thread; every request the
browser makes is recorded and any to another host fails the test (and is aborted). Screenshots and
timings go to tests/artifacts/ (git-ignored).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.web import create_app
from tests.app._browser import ARTIFACTS, Recorder, recorded_page, require_chromium, serve, wait_for

pytestmark = pytest.mark.browser

@pytest.fixture(scope="module")
def base_url(workspace_path: Path, assets_ready: Path) -> Iterator[str]:
    require_chromium()
    yield from serve(create_app(workspace_path))


@pytest.fixture(scope="module")
def tiles_base_url(workspace_path: Path, mbtiles_path: Path, assets_ready: Path) -> Iterator[str]:
    require_chromium()
    yield from serve(create_app(workspace_path, mbtiles=mbtiles_path))



@pytest.fixture()
def page_and_log(browser: Any) -> Iterator[tuple[Any, Recorder]]:
    # Leaflet cancels the tile requests still in flight when the view changes
    yield from recorded_page(browser, expected_abort=lambda url: "/tiles/" in url)


_CANVAS_INK = """() => {
  let ink = 0;
  for (const c of document.querySelectorAll('.leaflet-overlay-pane canvas')) {
    if (!c.width || !c.height) continue;
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    for (let i = 3; i < d.length; i += 16) if (d[i] > 0) ink++;
  }
  return ink;
}"""


_MAP_LOADED = "() => document.getElementById('pn-map').getAttribute('data-loaded') === '1'"


def _write_timing(name: str, values: dict[str, float]) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / "browser_timings.json"
    data = json.loads(path.read_text()) if path.exists() else {}
    data[name] = values
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False))


def test_overview_page_offline(base_url: str, page_and_log: tuple[Any, Recorder]) -> None:
    page, rec = page_and_log
    start = time.perf_counter()
    page.goto(base_url + "/", wait_until="load")
    page.wait_for_selector(".leaflet-overlay-pane canvas", state="attached", timeout=15_000)
    wait_for(page, f"({_CANVAS_INK})() > 500", timeout=15_000)
    drawn = time.perf_counter() - start
    nav = page.evaluate(
        "() => { const n = performance.getEntriesByType('navigation')[0];"
        " return {dom: n.domContentLoadedEventEnd, load: n.loadEventEnd}; }")
    _write_timing("overview", {"load_event_ms": round(nav["load"], 1),
                               "dom_content_loaded_ms": round(nav["dom"], 1),
                               "map_drawn_s": round(drawn, 3)})
    page.wait_for_timeout(300)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "overview_zh.png"))

    assert page.locator(".leaflet-container").count() == 1
    assert page.evaluate(_CANVAS_INK) > 500, "no vector paths drawn on the map canvas"
    text = page.inner_text("body")
    for zh in ("派出所辖区", "北湖路派出所", "抱石路派出所", "珠珊派出所", "图例", "渝水测试工作区"):
        assert zh in text, f"{zh!r} not on the page"
    assert page.locator("#pn-layer-counts tbody tr").count() == 7
    overlays = page.locator(".leaflet-control-layers-overlays label").all_inner_texts()
    assert any("主干道" in o for o in overlays) and any("警情热力" in o for o in overlays)
    assert not page.locator(".leaflet-tile-pane img").count(), "no tile layer by default"
    assert any(u.endswith("/assets/leaflet/dist/leaflet.js") for u in rec.requests)
    rec.check()


def test_language_toggle(base_url: str, page_and_log: tuple[Any, Recorder]) -> None:
    page, rec = page_and_log
    page.goto(base_url + "/", wait_until="load")
    # the map's layers come from the API: done before the browser leaves the page (or they are aborted)
    wait_for(page, _MAP_LOADED, timeout=15_000)
    page.click("#pn-lang-toggle")
    page.wait_for_url("**lang=en")
    wait_for(page, f"({_CANVAS_INK})() > 500", timeout=15_000)
    wait_for(page, _MAP_LOADED, timeout=15_000)
    text = page.inner_text("body")
    assert "Station jurisdictions" in text and "Legend" in text
    assert "北湖路派出所" in text  # names stay Chinese
    assert page.get_attribute("html", "lang") == "en"
    page.screenshot(path=str(ARTIFACTS / "overview_en.png"))
    page.click("#pn-lang-toggle")
    page.wait_for_url("**lang=zh-CN")
    assert "派出所辖区" in page.inner_text("body")
    rec.check()


def test_swagger_ui_offline(base_url: str, page_and_log: tuple[Any, Recorder]) -> None:
    page, rec = page_and_log
    start = time.perf_counter()
    page.goto(base_url + "/docs", wait_until="load")
    page.wait_for_selector(".swagger-ui .info .title", timeout=15_000)
    page.wait_for_selector(".opblock", timeout=15_000)
    _write_timing("docs", {"rendered_s": round(time.perf_counter() - start, 3)})
    assert "patrolnet" in page.inner_text(".swagger-ui .info .title")
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert any("/api/v1/layers/" in p for p in paths), paths
    page.screenshot(path=str(ARTIFACTS / "docs.png"), full_page=False)
    rec.check()


def test_local_mbtiles_base_layer(tiles_base_url: str, page_and_log: tuple[Any, Recorder]) -> None:
    page, rec = page_and_log
    page.goto(tiles_base_url + "/", wait_until="load")
    wait_for(page, f"({_CANVAS_INK})() > 500", timeout=15_000)
    page.wait_for_selector(".leaflet-tile-pane img", state="attached", timeout=15_000)
    page.wait_for_load_state("networkidle")
    assert any("/tiles/" in u for u in rec.requests)
    # the fixture file holds one tile at z=1: zoom out until Leaflet asks for it and shows it
    page.evaluate("""() => { const m = Object.values(window).find(v => v instanceof L.Map);
                            m.setView([27.82, 114.93], 1, {animate: false}); }""")
    wait_for(page, 
        "() => [...document.querySelectorAll('.leaflet-tile-pane img.leaflet-tile-loaded')]"
        ".some(i => i.src.endsWith('/tiles/1/1/0.png'))", timeout=15_000)
    page.wait_for_timeout(500)  # Leaflet fades tiles in
    page.screenshot(path=str(ARTIFACTS / "overview_tiles.png"))
    rec.check()
