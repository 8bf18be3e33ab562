"""The dashboard's map in a real browser (Debian chromium via Playwright), at desk and phone sizes, on
the demo district: every layer comes from the API for the view (nothing embedded), a pan or zoom
loads the new view, feature popups name the places, and a failed layer says so in the page's language
and loads again on "Retry". Screenshots go to tests/artifacts/ (git-ignored)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from app.storage.workspace import Workspace
from app.web import create_app
from tests.app._browser import ARTIFACTS, Recorder, recorded_page, require_chromium, serve, wait_for

pytestmark = pytest.mark.browser

SIZES = {"desk": {"width": 1366, "height": 768}, "phone": {"width": 390, "height": 844}}
LOADED = "() => document.getElementById('pn-map').getAttribute('data-loaded') === '1'"
IDLE = "() => document.getElementById('pn-map').getAttribute('data-loading') === '0'"
_INK = """() => {
  let ink = 0;
  for (const c of document.querySelectorAll('.leaflet-overlay-pane canvas')) {
    if (!c.width || !c.height) continue;
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    for (let i = 3; i < d.length; i += 16) if (d[i] > 0) ink++;
  }
  return ink;
}"""
#: Click the first feature of the map whose properties match (null: has the property), as a user
#: would; the popup's text.
_CLICK = """(match) => {
  let hit = null;
  window.pnMap.eachLayer(l => {
    if (hit || !l.feature) return;
    const p = l.feature.properties;
    if (Object.keys(match).every(k => match[k] === null ? k in p : p[k] === match[k])) hit = l;
  });
  if (!hit) return null;
  window.pnMap.closePopup();
  document.querySelectorAll('.leaflet-popup').forEach(e => e.remove());
  const ll = hit.getLatLng ? hit.getLatLng() : hit.getBounds().getCenter();
  hit.fire('click', {latlng: ll}, true);
  const el = document.querySelector('.leaflet-popup-content');
  return el ? el.innerText : '';
}"""


@pytest.fixture(scope="module")
def base_url(demo_workspace_file: Path, assets_ready: Path) -> Iterator[str]:
    require_chromium()
    yield from serve(create_app(demo_workspace_file))


@contextmanager
def _page(browser: Any, size: str, expected_abort: Any = lambda url: False) -> Iterator[tuple[Any, Recorder]]:
    phone = size == "phone"
    yield from recorded_page(browser, expected_abort=expected_abort, viewport=SIZES[size], is_mobile=phone,
                             has_touch=phone, device_scale_factor=2 if phone else 1)


def _attr(page: Any, name: str) -> str | None:
    return page.get_attribute("#pn-map", f"data-{name}")


def _layer_requests(rec: Recorder, layer: str) -> list[dict[str, list[str]]]:
    return [parse_qs(urlsplit(u).query) for u in rec.requests if urlsplit(u).path == f"/api/v1/layers/{layer}"]


@pytest.mark.parametrize("size", ["desk", "phone"])
def test_the_map_loads_its_layers_through_the_api(browser: Any, base_url: str, demo_workspace_file: Path,
                                                   size: str) -> None:
    ws = Workspace(demo_workspace_file)
    with _page(browser, size) as (page, rec):
        page.goto(base_url + "/", wait_until="load")
        wait_for(page, LOADED, timeout=30_000)
        wait_for(page, f"({_INK})() > 2000", timeout=15_000)
        assert not page.locator("#pn-map-status").is_visible(), page.inner_text("#pn-map-status")
        # the whole demo district fits the view budgets: everything is drawn, as when it was embedded
        assert int(_attr(page, "cameras")) == ws.count("cameras")
        assert int(_attr(page, "neighborhoods")) == ws.count("neighborhoods")
        assert 0 < int(_attr(page, "roads")) <= ws.count("road_edges")  # each two-way street once
        assert int(_attr(page, "heat-points")) > 0
        for layer in ("road_edges", "cameras", "neighborhoods"):
            asked = _layer_requests(rec, layer)
            assert asked and all("bbox" in q for q in asked), layer
        text = page.inner_text("body")
        for zh in ("北湖路派出所", "抱石路派出所", "珠珊派出所", "图例", "派出所辖区", "警情热力（近12个月）"):
            assert zh in text, zh
        if size == "desk":  # the switcher is open on a desk, a button on a phone
            overlays = page.locator(".leaflet-control-layers-overlays label").all_inner_texts()
            assert any("主干道" in o for o in overlays) and any("警情点位" in o for o in overlays)
            # incident points, on demand: the heat's 12 months, point by point
            page.locator(".leaflet-control-layers-overlays label", has_text="警情点位").click()
            wait_for(page, "() => document.getElementById('pn-map').hasAttribute('data-incidents')", timeout=15_000)
            assert _attr(page, "incidents") == _attr(page, "heat-points")
        # popups name the places
        road = page.evaluate(_CLICK, {"name": "人民北路"})
        assert road and "人民北路" in road and "道路等级" in road, road
        cam = page.evaluate(_CLICK, {"kind": "dome"})
        assert cam and "球机" in cam and "编号" in cam, cam
        page.evaluate("() => { window.pnMap.closePopup(); }")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.locator(".pn-map").scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / f"dashboard_map_{size}.png"))
        rec.check()


def test_a_zoom_loads_the_new_view_and_incident_points_on_demand(browser: Any, base_url: str) -> None:
    with _page(browser, "desk") as (page, rec):
        page.goto(base_url + "/?lang=en", wait_until="load")
        wait_for(page, LOADED, timeout=30_000)
        before = len(_layer_requests(rec, "road_edges"))
        roads = int(_attr(page, "roads"))
        page.evaluate("() => { window.pnMap.setZoom(window.pnMap.getZoom() + 2, {animate: false}); }")
        wait_for(page, f"() => document.getElementById('pn-map').getAttribute('data-roads') !== '{roads}'",
                 timeout=15_000)
        wait_for(page, IDLE)
        after = _layer_requests(rec, "road_edges")
        assert len(after) > before
        west, _, east, _ = (float(v) for v in after[-1]["bbox"][0].split(","))
        first = [float(v) for v in after[0]["bbox"][0].split(",")]
        assert east - west < (first[2] - first[0]) / 2, "the new view is smaller"
        assert 0 < int(_attr(page, "roads")) < roads
        # incident points are off at first; switched on, the view's points of the 12 months load
        assert not _layer_requests(rec, "incidents")
        page.locator(".leaflet-control-layers-overlays label", has_text="Incidents (last 12 months)").click()
        wait_for(page, "() => document.getElementById('pn-map').hasAttribute('data-incidents')", timeout=15_000)
        wait_for(page, IDLE)
        assert _layer_requests(rec, "incidents") and int(_attr(page, "incidents")) > 0
        pop = page.evaluate(_CLICK, {"occurred_at": None})
        assert pop and "Occurred at" in pop and "Category" in pop, pop
        rec.check()


def test_a_failed_layer_says_so_and_retries(browser: Any, base_url: str) -> None:
    def cams(url: str) -> bool:
        return urlsplit(url).path == "/api/v1/layers/cameras"

    with _page(browser, "desk", expected_abort=cams) as (page, rec):
        failing = {"on": True}

        def cut(route: Any) -> None:
            if failing["on"] and cams(route.request.url):
                route.abort("aborted")
            else:
                rec.route(route)
        page.context.unroute("**/*")
        page.context.route("**/*", cut)
        page.goto(base_url + "/", wait_until="load")
        wait_for(page, LOADED, timeout=30_000)
        box = page.locator("#pn-map-status .pn-map-error")
        assert box.count() == 1
        said = box.inner_text()
        assert "探头" in said and "加载失败" in said and "无法连接服务器" in said and "重试" in said, said
        assert _attr(page, "errors") == "cameras"
        page.screenshot(path=str(ARTIFACTS / "dashboard_map_error.png"))
        failing["on"] = False
        page.click("#pn-map-status .pn-retry")
        wait_for(page, "() => document.getElementById('pn-map').getAttribute('data-errors') === ''", timeout=15_000)
        wait_for(page, "() => +document.getElementById('pn-map').getAttribute('data-cameras') > 0", timeout=15_000)
        assert not page.locator("#pn-map-status .pn-map-error").count()
        rec.console_errors = [e for e in rec.console_errors if "Failed to load resource" not in e]
        rec.check()


def test_a_crowded_view_asks_to_zoom_in(browser: Any, base_url: str) -> None:
    """A view holding more features than a layer's budget draws none of them and says so; zoomed in,
    they come. (The budget is lowered in the page's config to make the demo district crowded.)"""
    with _page(browser, "desk") as (page, rec):
        def small_budget(route: Any) -> None:
            if urlsplit(route.request.url).path == "/":
                body = route.fetch().text().replace('"cameras": 6000', '"cameras": 300')
                route.fulfill(body=body, headers={"content-type": "text/html; charset=utf-8"})
            else:
                rec.route(route)
        page.context.unroute("**/*")
        page.context.route("**/*", small_budget)
        page.goto(base_url + "/", wait_until="load")
        wait_for(page, LOADED, timeout=30_000)
        note = page.locator("#pn-map-status .pn-map-note")
        assert note.count() == 1 and note.get_attribute("data-layers") == "cameras"
        assert "放大地图后显示" in note.inner_text() and "探头 1,061" in note.inner_text()
        assert _attr(page, "cameras") == "0"
        page.evaluate("() => { window.pnMap.setZoom(window.pnMap.getZoom() + 3, {animate: false}); }")
        wait_for(page, "() => +document.getElementById('pn-map').getAttribute('data-cameras') > 0", timeout=15_000)
        assert not page.locator("#pn-map-status .pn-map-note").count()
        rec.check()
