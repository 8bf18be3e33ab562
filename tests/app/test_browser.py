"""The pages in a real browser (Debian chromium via Playwright), fully offline.

uvicorn serves the fixture workspace on 127.0.0.1 in a background thread; every request the
browser makes is recorded and any to another host fails the test (and is aborted). Screenshots and
timings go to tests/artifacts/ (git-ignored).
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import uvicorn

from app.web import create_app

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
LOCAL_HOSTS = {"127.0.0.1"}


def _require_chromium() -> None:
    if CHROMIUM.exists():
        return
    reason = f"{CHROMIUM} is missing (apt-get install -y chromium)"
    if os.environ.get("CI"):
        pytest.fail(f"browser tests must run in CI: {reason}")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(app: Any) -> Iterator[str]:
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off",
                            access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def base_url(workspace_path: Path, assets_ready: Path) -> Iterator[str]:
    _require_chromium()
    yield from _serve(create_app(workspace_path))


@pytest.fixture(scope="module")
def tiles_base_url(workspace_path: Path, mbtiles_path: Path, assets_ready: Path) -> Iterator[str]:
    _require_chromium()
    yield from _serve(create_app(workspace_path, mbtiles=mbtiles_path))


@dataclass
class Recorder:
    requests: list[str] = field(default_factory=list)
    off_host: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def on_request(self, request: Any) -> None:
        self.requests.append(request.url)

    def route(self, route: Any) -> None:
        url = route.request.url
        scheme = urlsplit(url).scheme
        if scheme in ("data", "blob") or urlsplit(url).hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            self.off_host.append(url)
            route.abort()

    def on_failed(self, request: Any) -> None:
        # Leaflet cancels the tile requests still in flight when the view changes
        if "/tiles/" in request.url and request.failure == "net::ERR_ABORTED":
            return
        self.failed.append(f"{request.url} {request.failure}")

    def on_console(self, msg: Any) -> None:
        if msg.type == "error":
            self.console_errors.append(msg.text)

    def check(self) -> None:
        bad = [u for u in self.requests
               if urlsplit(u).scheme not in ("data", "blob") and urlsplit(u).hostname not in LOCAL_HOSTS]
        assert not bad and not self.off_host, f"off-host requests: {bad + self.off_host}"
        assert not self.console_errors, f"console errors: {self.console_errors}"
        assert not self.failed, f"failed requests: {self.failed}"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    _require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture()
def page_and_log(browser: Any) -> Iterator[tuple[Any, Recorder]]:
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN",
                                  service_workers="block")
    rec = Recorder()
    context.route("**/*", rec.route)
    context.on("request", rec.on_request)
    context.on("requestfailed", rec.on_failed)
    page = context.new_page()
    page.on("console", rec.on_console)
    page.on("pageerror", lambda exc: rec.console_errors.append(f"pageerror: {exc}"))
    try:
        yield page, rec
    finally:
        context.close()


_CANVAS_INK = """() => {
  let ink = 0;
  for (const c of document.querySelectorAll('.leaflet-overlay-pane canvas')) {
    if (!c.width || !c.height) continue;
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    for (let i = 3; i < d.length; i += 16) if (d[i] > 0) ink++;
  }
  return ink;
}"""


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
    page.wait_for_function(f"({_CANVAS_INK})() > 500", timeout=15_000)
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
    page.click("#pn-lang-toggle")
    page.wait_for_url("**lang=en")
    page.wait_for_function(f"({_CANVAS_INK})() > 500", timeout=15_000)
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
    page.wait_for_function(f"({_CANVAS_INK})() > 500", timeout=15_000)
    page.wait_for_selector(".leaflet-tile-pane img", state="attached", timeout=15_000)
    page.wait_for_load_state("networkidle")
    assert any("/tiles/" in u for u in rec.requests)
    # the fixture file holds one tile at z=1: zoom out until Leaflet asks for it and shows it
    page.evaluate("""() => { const m = Object.values(window).find(v => v instanceof L.Map);
                            m.setView([27.82, 114.93], 1, {animate: false}); }""")
    page.wait_for_function(
        "() => [...document.querySelectorAll('.leaflet-tile-pane img.leaflet-tile-loaded')]"
        ".some(i => i.src.endsWith('/tiles/1/1/0.png'))", timeout=15_000)
    page.wait_for_timeout(500)  # Leaflet fades tiles in
    page.screenshot(path=str(ARTIFACTS / "overview_tiles.png"))
    rec.check()
