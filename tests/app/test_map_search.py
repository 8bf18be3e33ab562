"""Named places on every map (issue 18): a search box finds a neighborhood or a road by its name and
frames it ("龙凤花园"), and from zoom 16 the workspace's road names are drawn on the map; a station
user finds only what lies in its area."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.web import create_app
from tests.app._browser import recorded_page, require_chromium, serve, wait_for
from tests.app._fixtures import client_class


def test_the_search_api_finds_places_by_name(demo_workspace_file: Path, assets_ready: Path) -> None:
    app = create_app(demo_workspace_file)
    with client_class("commander")(app) as c:
        got = c.get("/api/v1/search", params={"q": "龙凤花园"}).json()["results"]
        assert got[0]["name"] == "龙凤花园" and got[0]["kind"] == "neighborhood" and got[0]["kind_label"] == "小区"
        w, s, e, n = got[0]["bbox"]
        assert w < got[0]["lon"] < e and s < got[0]["lat"] < n
        roads = c.get("/api/v1/search", params={"q": "北湖路", "lang": "en"}).json()["results"]
        assert any(r["kind"] == "road" and r["name"] == "北湖路" and r["kind_label"] == "road" for r in roads)
        assert c.get("/api/v1/search", params={"q": "没有这个地方"}).json()["results"] == []
        assert c.get("/api/v1/search", params={"q": ""}).status_code == 422
        everywhere = {r["id"] for r in c.get("/api/v1/search", params={"q": "派出所"}).json()["results"]
                      if r["kind"] == "station"}
    with client_class("station")(app) as c:  # a station finds what lies in its own area
        mine = {r["id"] for r in c.get("/api/v1/search", params={"q": "派出所"}).json()["results"] if r["kind"] == "station"}
    assert len(everywhere) > 1 and mine == {"S01"}


@pytest.fixture(scope="module")
def base_url(demo_workspace_file: Path, assets_ready: Path) -> Iterator[str]:
    require_chromium()
    yield from serve(create_app(demo_workspace_file))


def _find_longfeng(page: Any, url: str) -> None:
    """Open ``url`` and search for 龙凤花园 (the demo's N0002) until the map has found it."""
    page.goto(url)
    page.fill("#pn-search", "龙凤花园")
    page.press("#pn-search", "Enter")
    wait_for(page, "() => document.getElementById('pn-map').dataset.found === 'neighborhood:N0002'")


def test_a_search_frames_the_place_and_road_names_appear_at_zoom_16(base_url: str, browser: Any) -> None:
    for page, rec in recorded_page(browser, expected_abort=lambda url: "/api/v1/" in url):
        _find_longfeng(page, f"{base_url}/coverage")
        # framed: the map's centre inside the neighborhood's bounds
        w, s, e, n = page.request.get(f"{base_url}/api/v1/search?q=龙凤花园").json()["results"][0]["bbox"]
        lon, lat = page.evaluate("() => { const c = window.pnMap.getCenter(); return [c.lng, c.lat]; }")
        assert w <= lon <= e and s <= lat <= n, (lon, lat, (w, s, e, n))
        # at zoom 16 on the place the road names around it are drawn
        page.evaluate("() => { window.pnMap.setZoom(16); }")
        wait_for(page, "() => +document.getElementById('pn-map').dataset.streetLabels > 0", timeout=20_000)
        names = page.eval_on_selector_all(".pn-street-label", "els => els.map(e => e.textContent)")
        assert names and all(n.strip() for n in names), names
        # the neighborhoods' names too, from zoom 15 (the one found among them)
        wait_for(page, "() => +document.getElementById('pn-map').dataset.neighborhoodLabels > 0", timeout=20_000)
        places = page.eval_on_selector_all(".pn-neighborhood-label", "els => els.map(e => e.textContent)")
        assert "龙凤花园" in places, places
        # zoomed out to 12: roads and neighborhoods unnamed, the stations named
        page.evaluate("() => { window.pnMap.setZoom(12); }")
        wait_for(page, "() => +document.getElementById('pn-map').dataset.stationLabels > 0", timeout=20_000)
        wait_for(page, "() => document.querySelectorAll('.pn-street-label, .pn-neighborhood-label').length === 0")
        assert all(n.endswith("派出所") for n in page.eval_on_selector_all(".pn-station-label", "els => els.map(e => e.textContent)"))
        rec.check()


def test_an_english_page_names_places_in_english(base_url: str, browser: Any) -> None:
    for page, rec in recorded_page(browser, expected_abort=lambda url: "/api/v1/" in url):
        _find_longfeng(page, f"{base_url}/coverage?lang=en")
        page.evaluate("() => { window.pnMap.setZoom(16); }")
        wait_for(page, "() => +document.getElementById('pn-map').dataset.streetLabels > 0 && "
                       "+document.getElementById('pn-map').dataset.neighborhoodLabels > 0", timeout=20_000)
        roads = page.eval_on_selector_all(".pn-street-label", "els => els.map(e => e.textContent)")
        assert roads and all(r.endswith(" (road)") for r in roads), roads  # 北湖路 (road)
        places = page.eval_on_selector_all(".pn-neighborhood-label", "els => els.map(e => e.textContent)")
        assert places and not any("龙凤花园" == p for p in places), places  # its English name (or the kind beside it)
        rec.check()
