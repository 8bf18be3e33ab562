"""The administration pages through TestClient: ``/users`` (administrators) and ``/audit``
(commanders and administrators) in both languages, offline, with the nav bar; refused to the other
roles; their configs (roles, stations, actions) and every text their scripts ask for."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from app.assets import assert_offline_html, find_off_host_urls
from app.i18n import MESSAGES, t
from app.web.pages import NAV
from app.storage.audit import ACTIONS
from app.storage.users import ROLES
from tests.app._fixtures import STATIONS, client_class, plain_client_class

STATIC = Path(__file__).resolve().parents[2] / "app" / "web" / "static"
ALLOWED = {"/users": ("admin",), "/audit": ("admin", "commander")}
REFUSED = {"/users": ("commander", "analyst", "station"), "/audit": ("analyst", "station")}


def _config(html: str) -> dict[str, Any]:
    m = re.search(r'<script id="pn-config" type="application/json">(.*?)</script>', html, re.S)
    assert m, "no page config"
    return json.loads(m.group(1))


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
@pytest.mark.parametrize(("path", "role"), [(p, r) for p, roles in ALLOWED.items() for r in roles])
def test_admin_page_offline_with_nav(app: Any, path: str, role: str, lang: str) -> None:
    with client_class(role)(app) as c:
        r = c.get(path, params={"lang": lang})
        assert r.status_code == 200, r.text[:300]
        assert r.headers["content-type"] == "text/html; charset=utf-8"
        assert r.headers["content-language"] == lang
        html = r.text
        assert f'<html lang="{lang}">' in html
        assert find_off_host_urls(html) == [] and assert_offline_html(html) == html
        nav = re.findall(r'class="pn-tab( active)?" href="([^"]+)" data-nav="(\w+)"', html)
        keys = [n[2] for n in nav]
        assert keys == [k for k, _ in NAV]
        assert keys.index("data") < keys.index("users") < keys.index("audit") < keys.index("api")
        assert [n[2] for n in nav if n[0]] == [path.strip("/")]
        assert all(n[1].endswith(f"?lang={lang}") for n in nav)
        for key in ("users", "audit"):
            assert f">{t(f'nav.{key}', lang)}</a>" in html
        assert f'<script src="/static{path}.js"></script>' in html
        for url in re.findall(r'(?:src|href)="(/(?:assets|static)/[^"]+)"', html):
            assert c.get(url).status_code == 200, url
        other = "en" if lang == "zh-CN" else "zh-CN"
        assert f'id="pn-lang-toggle" href="?lang={other}"' in html
        assert _config(html)["lang"] == lang
        # the nav the page's script keeps for this user (GET /api/v1/auth/me)
        pages = c.get("/api/v1/auth/me").json()["pages"]
        assert ("users" in pages) == (role == "admin") and "audit" in pages


@pytest.mark.parametrize(("path", "role"), [(p, r) for p, roles in REFUSED.items() for r in roles])
def test_admin_page_refused(app: Any, path: str, role: str) -> None:
    with client_class(role)(app) as c:
        for lang in ("zh-CN", "en"):
            r = c.get(path, params={"lang": lang})
            assert r.status_code == 403, (path, role)
            assert 'id="pn-config"' not in r.text
        pages = c.get("/api/v1/auth/me").json()["pages"]
        assert path.strip("/") not in pages


def test_admin_pages_need_sign_in(app: Any) -> None:
    with plain_client_class()(app) as c:
        for path in ALLOWED:
            r = c.get(path, follow_redirects=False)
            assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")


def test_users_page_form(client: Any) -> None:
    html = client.get("/users").text
    cfg = _config(html)
    assert [r["code"] for r in cfg["roles"]] == list(ROLES)
    assert [s["code"] for s in cfg["stations"]] == [s[0] for s in STATIONS]
    assert cfg["stations"][0]["label"] == "北湖路派出所" and cfg["timezone"] == "Asia/Shanghai"
    assert 'id="pn-user-form"' in html and 'id="pn-users-list"' in html
    for field in ("pn-new-username", "pn-new-display", "pn-new-role", "pn-new-station", "pn-new-password",
                  "pn-new-password2"):
        assert f'id="{field}"' in html, field
    assert html.count('type="password"') == 2 and 'autocomplete="new-password"' in html
    assert '<option value="station" selected>派出所</option>' in html
    for code, name, _ in STATIONS:
        assert f'<option value="{code}">{code} {name}</option>' in html
    assert "至少 10 个字符" in html
    en = client.get("/users?lang=en").text
    assert '<option value="S01">S01 Beihu Road Station</option>' in en
    assert ">Administrator</option>" in en and "At least 10 characters" in en


def test_users_page_without_stations_layer(tmp_path: Path, workspace_path: Path, assets_ready: Path) -> None:
    from app.web import create_app
    from app.storage.workspace import Workspace, create_workspace

    full = Workspace(workspace_path)
    path = tmp_path / "no_stations.gpkg"
    create_workspace(path, {"boundary": full.read("boundary")}, crs=str(full.crs), meta={"name": "无派出所"})
    with client_class()(create_app(path)) as c:
        html = c.get("/users").text
        assert _config(html)["stations"] == []
        assert '<input type="text" id="pn-new-station"' in html and "没有派出所图层" in html


def test_audit_page_filter(client: Any) -> None:
    html = client.get("/audit").text
    cfg = _config(html)
    assert [a["code"] for a in cfg["actions"]] == list(ACTIONS)
    assert cfg["timezone"] == "Asia/Shanghai" and cfg["page_size"] == 50
    assert '<option value="">全部操作</option>' in html
    assert '<option value="user_add">添加用户</option>' in html
    assert html.count("<option value=") == len(ACTIONS) + 1 + 4  # actions, "all", page sizes
    assert 'id="pn-audit-prev"' in html and 'id="pn-audit-next"' in html
    en = client.get("/audit?lang=en").text
    assert '<option value="user_add">User added</option>' in en and "All actions" in en


def test_every_action_has_a_label() -> None:
    for a in ACTIONS:
        entry = MESSAGES[f"audit.action.{a}"]
        assert entry["zh-CN"] and entry["en"], a
    zh = [t(f"audit.action.{a}", "zh-CN") for a in ACTIONS]
    assert len(set(zh)) == len(zh)


@pytest.mark.parametrize("script", ["users.js", "audit.js"])
def test_scripts_texts_exist(script: str) -> None:
    """Every ``t("...")`` of the page's script is a ``ui.`` message (else the page shows the key)."""
    src = (STATIC / script).read_text(encoding="utf-8")
    keys = {k for k in re.findall(r'\bt\("([\w.]+)"', src) if not k.endswith(".")}  # not t("x." + k)
    keys |= {f"users.col.{k}" for k in re.findall(r'"(\w+)"', src.split("var head = [", 1)[1].split("]", 1)[0])} \
        if script == "users.js" else set()
    keys |= {f"users.{k}" for k in ("active", "inactive", "disable", "enable")} if script == "users.js" else set()
    assert keys
    missing = sorted(k for k in keys if f"ui.{k}" not in MESSAGES)
    assert not missing, missing
