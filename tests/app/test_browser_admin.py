"""The administration pages in a real browser (Debian chromium via Playwright), offline, signed in
as the test admin: add a user through the form, change, disable, enable, give a new password and
remove it; then find those steps in the audit log, filter it and page through it. A private copy of
the fixture workspace is served (the test writes users and audit entries). Screenshots go to
tests/artifacts/ (git-ignored).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from app.web import create_app
from app.storage.audit import read_log, record
from app.storage.users import UserStore
from tests.app._auth import USERS
from tests.app._browser import ARTIFACTS, Recorder, recorded_page, require_chromium, serve, wait_for

pytestmark = pytest.mark.browser

NAME = "zz-officer"
#: A display name that would run script or load an image if it reached the page unescaped.
HOSTILE = "<img src=/x-hostile onerror=\"document.title='pwned'\">&amp;'\"测试"
PASSWORD = "correct horse battery"
NEW_PASSWORD = "another horse battery"
#: The new user's row (a selector for page scripts).
ROW = f'#pn-users tbody tr[data-user="{NAME}"]'


@pytest.fixture(scope="module")
def ws_copy(workspace_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("admin-web") / "yushui_admin.gpkg"
    shutil.copyfile(workspace_path, path)
    return path


@pytest.fixture(scope="module")
def base_url(ws_copy: Path, assets_ready: Path) -> Iterator[str]:
    require_chromium()
    yield from serve(create_app(ws_copy))



@pytest.fixture()
def page_and_log(browser: Any) -> Iterator[tuple[Any, Recorder]]:
    yield from recorded_page(browser)


def _shot(page: Any, name: str, *, full_page: bool = False) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=full_page)


def _expected_errors(rec: Recorder, *statuses: int) -> None:
    """Chromium logs every 4xx answer of fetch() as a console error: drop the ones the test caused."""
    rec.console_errors = [m for m in rec.console_errors
                          if not any(f"status of {s}" in m for s in statuses)]


def _row(page: Any, name: str) -> Any:
    return page.locator(f'#pn-users tbody tr[data-user="{name}"]')


def _no_horizontal_overflow(page: Any, selector: str) -> None:
    sizes = page.evaluate("(s) => { const e = document.querySelector(s); return [e.scrollWidth, e.clientWidth,"
                          " document.documentElement.scrollWidth, window.innerWidth]; }", selector)
    assert sizes[0] <= sizes[1] + 1, f"{selector} overflows sideways: {sizes}"
    assert sizes[2] <= sizes[3] + 1, f"the page overflows sideways: {sizes}"


def test_users_page_add_change_disable_password_remove(base_url: str, ws_copy: Path,
                                                        page_and_log: tuple[Any, Recorder]) -> None:
    page, rec = page_and_log
    store = UserStore(ws_copy)
    page.goto(base_url + "/users", wait_until="load")
    wait_for(page, "document.querySelectorAll('#pn-users tbody tr').length >= 5")
    # the nav shows the admin both new pages; the admin's own row cannot be disabled or removed
    assert page.locator("#pn-nav a.pn-tab.active").get_attribute("data-nav") == "users"
    assert page.locator("#pn-nav a[data-nav='users']").is_visible()
    assert page.locator("#pn-nav a[data-nav='audit']").is_visible()
    me = _row(page, "t-admin")
    assert "本人" in me.inner_text()
    assert me.locator("button[data-act='toggle']").is_disabled()
    assert me.locator("button[data-act='remove']").is_disabled()
    assert f"共 {len(USERS)} 个用户" in page.inner_text("#pn-users-count")
    assert page.inner_text("#pn-users-tz") == "时间按 Asia/Shanghai 显示"
    # the station select is only for station users
    page.select_option("#pn-new-role", "commander")
    assert page.locator("#pn-new-station").is_disabled()
    page.select_option("#pn-new-role", "officer")  # the unit only for officers
    assert page.locator("#pn-new-station").is_disabled() and page.locator("#pn-new-unit").is_enabled()
    page.select_option("#pn-new-role", "station")
    assert page.locator("#pn-new-station").is_enabled() and page.locator("#pn-new-unit").is_disabled()

    # passwords that differ are caught here; a short one by the server (its message is shown)
    page.fill("#pn-new-username", NAME)
    page.fill("#pn-new-display", HOSTILE)
    page.select_option("#pn-new-station", "S02")
    page.fill("#pn-new-password", PASSWORD)
    page.fill("#pn-new-password2", PASSWORD + "x")
    page.click("#pn-user-add")
    assert page.inner_text("#pn-user-form-msg .pn-error") == "两次输入的密码不一致"
    assert store.get(NAME) is None
    page.fill("#pn-new-password", "short")
    page.fill("#pn-new-password2", "short")
    page.click("#pn-user-add")
    wait_for(page, "!!document.querySelector('#pn-user-form-msg .pn-error') && "
                   "document.querySelector('#pn-user-form-msg .pn-error').textContent.includes('password')")
    assert "操作失败" in page.inner_text("#pn-user-form-msg") and "10" in page.inner_text("#pn-user-form-msg")
    assert store.get(NAME) is None
    _expected_errors(rec, 422)

    page.fill("#pn-new-password", PASSWORD)
    page.fill("#pn-new-password2", PASSWORD)
    page.click("#pn-user-add")
    wait_for(page, f"!!document.querySelector('#pn-users tbody tr[data-user=\"{NAME}\"]')")
    assert page.inner_text("#pn-user-form-msg .pn-ok") == f"已添加用户 {NAME}"
    assert page.input_value("#pn-new-username") == "" and page.input_value("#pn-new-password") == ""
    user = store.get(NAME)
    assert user is not None and (user.role, user.station_id, user.display_name) == ("station", "S02", HOSTILE)
    row = _row(page, NAME)
    cells = row.locator("td").all_inner_texts()
    assert cells[1] == HOSTILE  # shown as text, not markup
    assert cells[2] == "派出所" and cells[3].startswith("S02") and "抱石路派出所" in cells[3]
    assert cells[4] == "启用" and cells[5] == ""
    assert page.locator("#pn-users img").count() == 0 and page.title() != "pwned"
    assert f"共 {len(USERS) + 1} 个用户" in page.inner_text("#pn-users-count")
    _shot(page, "admin_users_zh")

    # change: a station user becomes an analyst (no station); the display name changes too
    row.locator("button[data-act='edit']").click()
    panel = page.locator("tr.pn-panel-row[data-panel='edit']")
    assert panel.is_visible() and page.input_value("#pn-edit-display") == HOSTILE
    page.select_option("#pn-edit-role", "analyst")
    assert page.locator("#pn-edit-station").is_disabled()
    page.fill("#pn-edit-display", "分析员<b>甲</b>")
    _shot(page, "admin_users_edit_zh")
    panel.locator("button[type='submit']").click()
    wait_for(page, f"document.querySelector('#pn-users tbody tr[data-user=\"{NAME}\"] td:nth-child(3)')"
                   ".textContent === '分析员'")
    assert page.locator("tr.pn-panel-row").count() == 0
    assert page.inner_text("#pn-users-msg .pn-ok") == f"已修改用户 {NAME}"
    user = store.get(NAME)
    assert user is not None
    assert (user.role, user.station_id, user.display_name) == ("analyst", None, "分析员<b>甲</b>")
    assert _row(page, NAME).locator("td").nth(1).inner_text() == "分析员<b>甲</b>"

    # disable, enable
    _row(page, NAME).locator("button[data-act='toggle']").click()
    wait_for(page, f"document.querySelector('{ROW}').classList.contains('pn-inactive')")
    assert _row(page, NAME).locator("td[data-col='active']").inner_text() == "已停用"
    assert _row(page, NAME).locator("button[data-act='toggle']").inner_text() == "启用"
    assert store.get(NAME).active is False  # type: ignore[union-attr]
    assert "已停用" in page.inner_text("#pn-users-msg")
    _row(page, NAME).locator("button[data-act='toggle']").click()
    wait_for(page, f"!document.querySelector('{ROW}').classList.contains('pn-inactive')")
    assert store.get(NAME).active is True  # type: ignore[union-attr]

    # a new password: checked twice here, then set (the old one stops working)
    before = store.get(NAME).password_changed_at  # type: ignore[union-attr]
    _row(page, NAME).locator("button[data-act='password']").click()
    panel = page.locator("tr.pn-panel-row[data-panel='password']")
    page.fill("#pn-pw1", NEW_PASSWORD)
    page.fill("#pn-pw2", NEW_PASSWORD + "?")
    panel.locator("button[type='submit']").click()
    assert panel.locator(".pn-panel-msg .pn-error").inner_text() == "两次输入的密码不一致"
    page.fill("#pn-pw2", NEW_PASSWORD)
    panel.locator("button[type='submit']").click()
    wait_for(page, "!!document.querySelector('#pn-users-msg .pn-ok')")
    assert page.inner_text("#pn-users-msg .pn-ok") == f"已为 {NAME} 设置新密码（其会话已结束）"
    assert store.verify(NAME, NEW_PASSWORD) is not None and store.verify(NAME, PASSWORD) is None
    assert store.get(NAME).password_changed_at >= before  # type: ignore[union-attr]

    # remove: asks first (cancel keeps the user), then removes
    _row(page, NAME).locator("button[data-act='remove']").click()
    panel = page.locator("tr.pn-panel-row[data-panel='remove']")
    assert f"确定删除用户 {NAME}" in panel.inner_text()
    _shot(page, "admin_users_remove_zh")
    panel.locator("button.pn-cancel").click()
    assert page.locator("tr.pn-panel-row").count() == 0 and store.get(NAME) is not None
    _row(page, NAME).locator("button[data-act='remove']").click()
    page.locator("tr.pn-panel-row[data-panel='remove'] button[type='submit']").click()
    wait_for(page, f"!document.querySelector('#pn-users tbody tr[data-user=\"{NAME}\"]')")
    assert page.inner_text("#pn-users-msg .pn-ok") == f"已删除用户 {NAME}"
    assert store.get(NAME) is None
    _no_horizontal_overflow(page, "#pn-users-list")
    rec.check()


def test_users_page_english(base_url: str, page_and_log: tuple[Any, Recorder]) -> None:
    page, rec = page_and_log
    page.goto(base_url + "/users?lang=en", wait_until="load")
    wait_for(page, "document.querySelectorAll('#pn-users tbody tr').length >= 5")
    head = page.locator("#pn-users thead th").all_inner_texts()
    assert head[:3] == ["User name", "Display name", "Role"] and head[-1] == "Actions"
    assert "Administrator" in _row(page, "t-admin").inner_text()
    _shot(page, "admin_users_en")
    page.set_viewport_size({"width": 1024, "height": 768})  # a small laptop: the table scrolls, not the page
    page.wait_for_timeout(100)
    sizes = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert sizes[0] <= sizes[1] + 1, sizes
    _shot(page, "admin_users_en_1024")
    rec.check()


def test_audit_page(base_url: str, ws_copy: Path, page_and_log: tuple[Any, Recorder]) -> None:
    page, rec = page_and_log
    # the steps of the users test, and enough others for three pages of 25 (some large and hostile)
    if not read_log(ws_copy, action="user_add"):  # (the users test did not run: record one as the API does)
        record(ws_copy, actor="web:t-admin", action="user_add", target=NAME, details={"role": "station"})
    for k in range(60):
        details: dict[str, Any] = {"rows": k, "layer": "incidents"}
        if k % 10 == 3:
            details = {"note": "<script>document.title='pwned'</script>", "blob": "x" * 3000,
                       "columns": [f"column_{i}" for i in range(80)], "nested": {"a": {"b": list(range(50))}}}
        record(ws_copy, actor=f"cli:analyst{k % 3}", action="import", target=f"incidents_{k}.csv" if k % 7
               else "/very/long/path/" + "segment-" * 30 + "incidents.csv", details=details)
    newest_add = read_log(ws_copy, action="user_add")[0]

    page.goto(base_url + "/audit", wait_until="load")
    wait_for(page, "document.querySelectorAll('#pn-audit tbody tr').length > 0")
    assert page.locator("#pn-nav a.pn-tab.active").get_attribute("data-nav") == "audit"
    head = page.locator("#pn-audit thead th").all_inner_texts()
    assert head == ["时间（Asia/Shanghai）", "操作人", "操作", "对象", "详情"]
    rows = page.locator("#pn-audit tbody tr")
    assert rows.count() == 50
    ids = [int(x) for x in page.eval_on_selector_all("#pn-audit tbody tr", "rs => rs.map(r => r.dataset.id)")]
    assert ids == sorted(ids, reverse=True)  # newest first
    assert page.inner_text("#pn-audit-range") == "第 1–50 条"
    assert page.locator("#pn-audit-prev").is_disabled() and page.locator("#pn-audit-next").is_enabled()
    # large details are folded and do not widen the page; unfolding shows them in a scroll box
    assert page.locator("#pn-audit td.pn-details details.pn-json").count() >= 5
    assert page.title() != "pwned" and page.locator("#pn-audit script").count() == 0
    _no_horizontal_overflow(page, "#pn-audit-list")
    heights = page.eval_on_selector_all("#pn-audit tbody tr", "rs => rs.map(r => r.getBoundingClientRect().height)")
    assert max(heights) < 60, f"a folded row is {max(heights)} px tall"
    _shot(page, "admin_audit_zh")
    long_target = page.locator("#pn-audit td.pn-target details.pn-long").first
    assert long_target.locator("summary").inner_text() == "/very/long/p…-segment-incidents.csv"
    long_target.locator("summary").click()
    assert long_target.locator("pre").inner_text() == "/very/long/path/" + "segment-" * 30 + "incidents.csv"
    assert page.locator("#pn-audit-pager").is_visible()  # a pager below a long page too
    first = page.locator("#pn-audit td.pn-details details.pn-json").first
    first.locator("summary").click()
    assert first.locator("pre").is_visible()
    box = first.locator("pre").bounding_box()
    assert box is not None and box["height"] <= 340
    assert "column_79" in first.locator("pre").inner_text()
    _no_horizontal_overflow(page, "#pn-audit-list")
    _shot(page, "admin_audit_expanded_zh")

    # filter: the user_add entries, the admin as actor, the time in the workspace's zone
    page.select_option("#pn-audit-action", "user_add")
    wait_for(page, "[...document.querySelectorAll('#pn-audit tbody tr')].every(r => r.dataset.action === 'user_add')")
    assert "action=user_add" in page.url
    top = page.locator("#pn-audit tbody tr").first
    cells = top.locator("td").all_inner_texts()
    local = datetime.fromisoformat(newest_add.at_utc).astimezone(ZoneInfo("Asia/Shanghai"))
    assert cells[0] == local.strftime("%Y-%m-%d %H:%M:%S")
    assert cells[1] == "web:t-admin" and cells[2] == "添加用户" and cells[3] == newest_add.target
    assert page.locator("#pn-audit-next").is_disabled()
    _shot(page, "admin_audit_filtered_zh")
    if read_log(ws_copy, action="user_remove"):
        page.select_option("#pn-audit-action", "user_remove")
        wait_for(page, "[...document.querySelectorAll('#pn-audit tbody tr')]"
                       ".every(r => r.dataset.action === 'user_remove')")
        assert page.locator("#pn-audit tbody tr").first.locator("td").nth(3).inner_text() == NAME
    page.select_option("#pn-audit-action", "backup")  # nothing of that kind
    wait_for(page, "!!document.getElementById('pn-audit-empty')")
    assert page.inner_text("#pn-audit-empty") == "没有记录" and page.inner_text("#pn-audit-range") == ""

    # pages of 25: next, next, previous; the position survives a reload
    page.select_option("#pn-audit-action", "import")
    page.select_option("#pn-audit-size", "25")
    wait_for(page, "document.querySelectorAll('#pn-audit tbody tr').length === 25 && "
                   "[...document.querySelectorAll('#pn-audit tbody tr')].every(r => r.dataset.action === 'import')")
    seen = set(page.eval_on_selector_all("#pn-audit tbody tr", "rs => rs.map(r => r.dataset.id)"))
    page.click("#pn-audit-next")
    wait_for(page, "document.getElementById('pn-audit-list').dataset.offset === '25' && "
                   "!document.getElementById('pn-audit-list').hasAttribute('aria-busy')")
    assert page.inner_text("#pn-audit-range") == "第 26–50 条"
    second = set(page.eval_on_selector_all("#pn-audit tbody tr", "rs => rs.map(r => r.dataset.id)"))
    assert len(second) == 25 and not (seen & second)
    page.click("#pn-audit-next")
    wait_for(page, "document.getElementById('pn-audit-list').dataset.offset === '50' && "
                   "!document.getElementById('pn-audit-list').hasAttribute('aria-busy')")
    assert page.inner_text("#pn-audit-range") == "第 51–60 条"
    assert page.locator("#pn-audit-next").is_disabled() and page.locator("#pn-audit-prev").is_enabled()
    page.reload(wait_until="load")
    wait_for(page, "document.getElementById('pn-audit-list').dataset.offset === '50'")
    assert page.input_value("#pn-audit-action") == "import" and page.input_value("#pn-audit-size") == "25"
    page.click("#pn-audit-prev")
    wait_for(page, "document.getElementById('pn-audit-list').dataset.offset === '25' && "
                   "!document.getElementById('pn-audit-list').hasAttribute('aria-busy')")
    assert set(page.eval_on_selector_all("#pn-audit tbody tr", "rs => rs.map(r => r.dataset.id)")) == second
    rec.check()


def test_audit_page_english(base_url: str, ws_copy: Path, page_and_log: tuple[Any, Recorder]) -> None:
    page, rec = page_and_log
    if not read_log(ws_copy, action="user_add"):
        record(ws_copy, actor="web:t-admin", action="user_add", target=NAME, details={"role": "station"})
    page.goto(base_url + "/audit?lang=en&action=user_add", wait_until="load")
    wait_for(page, "!document.getElementById('pn-audit-list').hasAttribute('aria-busy') && "
                   "!!(document.getElementById('pn-audit') || document.getElementById('pn-audit-empty'))")
    assert page.input_value("#pn-audit-action") == "user_add"
    assert page.locator("#pn-audit thead th").first.inner_text() == "Time (Asia/Shanghai)"
    assert set(page.locator("#pn-audit tbody td:nth-child(3)").all_inner_texts()) == {"User added"}
    assert "lang=en" in page.url
    _shot(page, "admin_audit_en")
    rec.check()
