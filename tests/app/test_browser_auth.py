"""Signing in through the real login form in a browser (Debian chromium via Playwright), offline.

uvicorn serves a private copy of the demo district with its demo users (``patrolnet demo`` adds them).
The browser starts signed out: the dashboard sends it to the zh-CN login page, which says that the
demo runs with demo users; a wrong password is refused on the page; the station user ``beihu``
(北湖路派出所, S01) signs in with the demo password and gets its dashboard: its own station's data
only, the nav without the pages a station may not open, the user badge with its name, role and
the demo mark; signing out ends the session. Screenshots go to tests/artifacts/ (git-ignored):
``auth_login_demo_zh.png`` and ``auth_dashboard_station_zh.png``.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.storage.users import DEMO_PASSWORD
from app.storage.workspace import Workspace
from app.web import create_app
from tests.app._browser import ARTIFACTS, Recorder, recorded_page, require_chromium, serve, wait_for

pytestmark = pytest.mark.browser

#: The demo's nine stations; S01 is beihu's.
OTHER_STATIONS = ("抱石路派出所", "珠珊派出所", "仙来派出所", "城东派出所", "新钢派出所", "城南派出所", "城北派出所",
                  "袁河派出所")
#: Nav keys a station user may open, and those it may not (from the issue: a station plans its own
#: routes and gaps; reports, data imports, users and the audit log are not a station's).
STATION_NAV = {"dashboard", "hotspots", "coverage", "routes", "cameras", "api"}
NOT_STATION_NAV = {"reports", "data", "users", "audit"}


@pytest.fixture(scope="module")
def demo_copy(demo_workspace_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from app.services.workspace import ensure_demo_users

    path = tmp_path_factory.mktemp("demo-auth") / "yushui.gpkg"
    shutil.copyfile(demo_workspace_file, path)
    assert "beihu" in ensure_demo_users(Workspace(path))
    return path


@pytest.fixture(scope="module")
def base_url(demo_copy: Path, assets_ready: Path) -> Iterator[str]:
    require_chromium()
    yield from serve(create_app(demo_copy))



@pytest.fixture()
def signed_out(browser: Any) -> Iterator[tuple[Any, Recorder]]:
    # the page leaves as soon as the sign-out is answered: the reading of that answer is cut short
    yield from recorded_page(browser, signed_in=False, expected_abort=lambda url: url.endswith("/logout"))


_CANVAS_INK = """() => {
  let ink = 0;
  for (const c of document.querySelectorAll('.leaflet-overlay-pane canvas')) {
    if (!c.width || !c.height) continue;
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    for (let i = 3; i < d.length; i += 16) if (d[i] > 0) ink++;
  }
  return ink;
}"""


def _shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def _session_cookie(page: Any) -> str | None:
    return next((c["value"] for c in page.context.cookies() if c["name"] == "pn_session"), None)


def _expected_errors(rec: Recorder, *statuses: int) -> None:
    """Chromium logs a 4xx answer as a console error: drop the ones this test asks for on purpose."""
    rec.console_errors = [m for m in rec.console_errors if not any(f"status of {s}" in m for s in statuses)]


def test_station_signs_in_through_the_form_and_out_again(base_url: str, signed_out: tuple[Any, Recorder]) -> None:
    page, rec = signed_out

    # signed out: the dashboard sends the browser to the login page, which says it is the demo
    page.goto(base_url + "/", wait_until="load")
    assert "/login?next=%2F" in page.url, page.url
    assert page.get_attribute("html", "lang") == "zh-CN"
    banner = page.locator("#pn-demo-banner")
    assert banner.is_visible()
    text = banner.inner_text()
    assert "演示" in text and DEMO_PASSWORD in text and "beihu" in text and "zhihui" in text
    assert page.locator("#pn-login-form").is_visible() and page.locator("#pn-no-users").count() == 0
    assert _session_cookie(page) is None
    page.wait_for_timeout(200)
    _shot(page, "auth_login_demo_zh")

    # a wrong password: the form again, with the message, still signed out
    page.fill("#pn-username", "beihu")
    page.fill("#pn-password", "not the password")
    page.click("#pn-login-submit")
    page.wait_for_selector("#pn-login-error", timeout=10_000)
    assert "用户名或密码错误" in page.inner_text("#pn-login-error")
    assert page.input_value("#pn-username") == "beihu" and page.input_value("#pn-password") == ""
    assert _session_cookie(page) is None
    _expected_errors(rec, 401)

    # the right password: the dashboard, as the S01 station sees it
    page.fill("#pn-password", DEMO_PASSWORD)
    page.click("#pn-login-submit")
    page.wait_for_url("**/?lang=zh-CN", timeout=20_000)
    cookie = next(c for c in page.context.cookies() if c["name"] == "pn_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert page.evaluate("document.cookie").find("pn_session") < 0, "scripts cannot read the session cookie"
    page.wait_for_selector(".leaflet-overlay-pane canvas", state="attached", timeout=20_000)
    wait_for(page, f"({_CANVAS_INK})() > 200", timeout=20_000)
    # the map's layers come from the API: done before the browser leaves the page (or they are aborted)
    wait_for(page, "document.getElementById('pn-map').getAttribute('data-loaded') === '1'", timeout=20_000)

    # the badge: name, role and the demo mark
    wait_for(page, "document.getElementById('pn-user').getAttribute('data-role') === 'station'")
    badge = page.inner_text("#pn-user")
    assert "北湖路派出所" in badge and "派出所" in page.inner_text("#pn-user .pn-role")
    assert "演示" in page.inner_text("#pn-user .pn-demo-tag")
    assert page.locator("#pn-logout").is_visible()

    # the nav: only the pages a station may open
    shown = set(page.eval_on_selector_all("#pn-nav a[data-nav]", "els => els.filter(e => !e.hidden)"
                                          ".map(e => e.getAttribute('data-nav'))"))
    hidden = set(page.eval_on_selector_all("#pn-nav a[data-nav]", "els => els.filter(e => e.hidden)"
                                           ".map(e => e.getAttribute('data-nav'))"))
    assert shown == STATION_NAV, shown
    assert NOT_STATION_NAV <= hidden, hidden
    for key in NOT_STATION_NAV & hidden:
        assert not page.locator(f"#pn-nav a[data-nav='{key}']").is_visible()
    # the dashboard's footer links only to those pages too (issue 18)
    footer = set(page.eval_on_selector_all(".pn-foot-nav a[data-nav]", "els => els.filter(e => !e.hidden)"
                                           ".map(e => e.getAttribute('data-nav'))"))
    assert footer == STATION_NAV - {"dashboard"}, footer

    # its own station's data only: no other station is named on the dashboard
    body = page.inner_text("body")
    assert "北湖路派出所" in body
    named = [s for s in OTHER_STATIONS if s in body]
    assert not named, f"other stations on S01's dashboard: {named}"
    page.wait_for_timeout(300)
    _shot(page, "auth_dashboard_station_zh")

    # a page it may not open: refused, not shown
    resp = page.goto(base_url + "/reports?lang=zh-CN", wait_until="load")
    assert resp is not None and resp.status == 403
    assert "403" in page.inner_text("h1")
    _expected_errors(rec, 403)

    # sign out: the session ends, the old cookie opens nothing
    page.goto(base_url + "/coverage?lang=zh-CN", wait_until="load")
    wait_for(page, "!document.getElementById('pn-logout').hidden")
    page.wait_for_load_state("networkidle")  # the page's own layer requests are done
    old = _session_cookie(page)
    page.click("#pn-logout")
    page.wait_for_url("**/login?lang=zh-CN", timeout=10_000)
    assert _session_cookie(page) is None
    page.context.add_cookies([{"name": "pn_session", "value": old or "", "url": base_url}])
    page.goto(base_url + "/", wait_until="load")
    assert "/login?next=%2F" in page.url, "the signed-out session still opened the dashboard"
    status = page.evaluate("fetch('/api/v1/auth/me').then(r => r.status)")
    assert status == 401
    _expected_errors(rec, 401)
    rec.check()
