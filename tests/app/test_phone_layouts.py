"""Every page on a phone (issue 18): at 390x844 in Chromium, each page a commander and a station user may
open shows its map (when it has one) at a real height, keeps sign-out and the language switch on
screen, has no part wider than the screen, and logs no console error."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.web import create_app
from tests.app._auth import auth_headers, browser_cookie
from tests.app._browser import ARTIFACTS, Recorder, require_chromium, serve, wait_for

PHONE = {"width": 390, "height": 844}
PAGES = {
    "commander": ["/", "/hotspots", "/coverage", "/routes", "/cameras", "/reports", "/data", "/audit", "/account"],
    "station": ["/", "/hotspots", "/coverage", "/routes", "/cameras", "/account"],
}


@pytest.fixture(scope="module")
def base_url(demo_workspace_file: Path, tmp_path_factory: pytest.TempPathFactory, assets_ready: Path) -> Iterator[str]:
    require_chromium()
    path = tmp_path_factory.mktemp("phone-layouts") / "yushui.gpkg"
    shutil.copyfile(demo_workspace_file, path)
    app = create_app(path)
    auth_headers(app)  # the test users and their sessions
    yield from serve(app)


@pytest.mark.parametrize("role", sorted(PAGES))
def test_every_page_fits_a_phone(role: str, base_url: str, browser: Any) -> None:
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2,
                                  locale="zh-CN", service_workers="block")
    context.add_cookies([browser_cookie("http://127.0.0.1", role)])
    # (requests a page still had open when the next page was asked for are aborted)
    rec = Recorder(expected_abort=lambda url: "/api/v1/" in url)
    context.on("requestfailed", rec.on_failed)
    page = context.new_page()
    page.on("console", rec.on_console)
    page.on("pageerror", lambda exc: rec.console_errors.append(f"pageerror: {exc}"))
    problems: list[str] = []
    try:
        for path in PAGES[role]:
            page.goto(base_url + path, wait_until="load")
            wait_for(page, "() => !document.getElementById('pn-logout').hidden")
            page.wait_for_timeout(400)  # the map's first draw
            where = f"{role} {path}"
            out = page.locator("#pn-logout").bounding_box()
            lang = page.locator("#pn-lang-toggle").bounding_box()
            for name, box in (("sign-out", out), ("language switch", lang)):
                if box is None or box["x"] < 0 or box["x"] + box["width"] > PHONE["width"] + 1:
                    problems.append(f"{where}: {name} off screen ({box})")
            wide = page.evaluate("() => document.documentElement.scrollWidth")
            if wide > PHONE["width"] + 1:
                problems.append(f"{where}: the page is {wide} px wide")
            if page.locator("#pn-map").count():
                height = page.evaluate("() => document.getElementById('pn-map').getBoundingClientRect().height")
                if height <= 200:
                    problems.append(f"{where}: the map is {height:.0f} px high")
            # the menu opens the pages the user may open, and closes again
            page.click("#pn-menu")
            tabs = page.eval_on_selector_all("#pn-nav a.pn-tab", "els => els.filter(e => e.offsetParent !== null)"
                                             ".map(e => e.getAttribute('data-nav'))")
            if not tabs or page.evaluate("() => document.documentElement.scrollWidth") > PHONE["width"] + 1:
                problems.append(f"{where}: the menu shows {tabs}")
            page.screenshot(path=str(ARTIFACTS / f"phone-{role}{path.replace('/', '-') or '-'}.png"))
            page.click("#pn-menu")
        problems += [f"console: {e}" for e in rec.console_errors] + [f"failed: {f}" for f in rec.failed]
    finally:
        context.close()
    assert not problems, "\n".join(problems)
