"""Your own password: changed with the current one (then every session and token of yours ends),
refused with a wrong current password (counted by the sign-in limit) or a weak new one; the account
page in both languages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app.web import create_app
from app.storage.audit import read_log
from tests.app._auth import PASSWORD, ensure_users, token_for
from tests.app._fixtures import build_workspace, plain_client_class


def _app(tmp_path: Path) -> Any:
    path = tmp_path / "ws.gpkg"
    build_workspace(path)
    ensure_users(path)
    return create_app(path)


def _token(c: Any, user: str, password: str) -> Any:
    return c.post("/api/v1/auth/token", json={"username": user, "password": password})


def test_change_own_password(tmp_path: Path, assets_ready: Path) -> None:
    app = _app(tmp_path)
    with plain_client_class()(app) as c:
        other = _token(c, "t-s01", PASSWORD).json()["access_token"]  # a second session of the same user
        auth = {"Authorization": f"Bearer {token_for('station')}"}
        bad = c.post("/api/v1/auth/password", headers=auth,
                     json={"current_password": "wrong one here", "new_password": "a brand new password"})
        assert bad.status_code == 401 and bad.json()["detail"] == "当前密码错误。"
        weak = c.post("/api/v1/auth/password", headers=auth,
                      json={"current_password": PASSWORD, "new_password": "t-s01"})
        assert weak.status_code == 422
        same_as_name = c.post("/api/v1/auth/password", headers=auth,
                              json={"current_password": PASSWORD, "new_password": "T-S01     "})
        assert same_as_name.status_code == 422
        ok = c.post("/api/v1/auth/password", headers=auth,
                    json={"current_password": PASSWORD, "new_password": "a brand new password"})
        assert ok.status_code == 200 and ok.json()["password_changed"]
        # every session and token of the user ended; the old password no longer works, the new one does
        assert c.get("/api/v1/auth/me", headers=auth).status_code == 401
        assert c.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {other}"}).status_code == 401
        assert _token(c, "t-s01", PASSWORD).status_code == 401
        assert _token(c, "t-s01", "a brand new password").status_code == 200
        # other users are untouched
        assert c.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token_for('commander')}"}).status_code == 200
    actions = [(e.action, e.actor) for e in read_log(app.state.patrolnet.settings.workspace_path, limit=20)]
    assert ("password", "web:t-s01") in actions and ("login_failed", "web:t-s01") in actions


def test_wrong_current_passwords_are_rate_limited(tmp_path: Path, assets_ready: Path) -> None:
    app = _app(tmp_path)
    with plain_client_class()(app) as c:
        auth = {"Authorization": f"Bearer {token_for('analyst')}"}
        codes = [c.post("/api/v1/auth/password", headers=auth, json={
            "current_password": f"guess number {k}", "new_password": "a brand new password"}).status_code
            for k in range(7)]
        assert codes == [401] * 5 + [429] * 2


def test_account_page(tmp_path: Path, assets_ready: Path) -> None:
    app = _app(tmp_path)
    with plain_client_class()(app, follow_redirects=False) as c:
        assert c.get("/account").status_code == 303
        auth = {"Authorization": f"Bearer {token_for('station')}"}
        for lang, text in (("zh-CN", "修改密码"), ("en", "Change your password")):
            page = c.get("/account", params={"lang": lang}, headers=auth)
            assert page.status_code == 200 and text in page.text and 'id="pn-password-form"' in page.text


def test_demo_users_never_land_in_a_real_workspace(tmp_path: Path) -> None:
    """``patrolnet demo --workspace REAL.gpkg`` on a workspace that is not a demo adds no demo users."""
    from typer.testing import CliRunner

    from app.cli import cli
    from app.services.workspace import ensure_demo_users
    from app.storage.users import UserStore
    from app.storage.workspace import Workspace

    path = tmp_path / "real.gpkg"
    build_workspace(path)  # a hand-made workspace, not from the demo generator
    assert ensure_demo_users(Workspace(path)) == []
    result = CliRunner().invoke(cli, ["demo", "--workspace", str(path), "--no-serve"])
    assert result.exit_code == 0, result.output
    assert UserStore(path).list() == []


def test_reading_the_gap_list_is_an_export_in_the_audit_log(tmp_path: Path, demo_workspace_file: Path,
                                                            assets_ready: Path) -> None:
    import shutil

    from app.services.cameras import camera_gaps_job
    from app.storage.workspace import Workspace
    from tests.app._fixtures import client_class

    path = tmp_path / "yushui.gpkg"
    shutil.copyfile(demo_workspace_file, path)
    camera_gaps_job(Workspace(path), out=tmp_path / "gaps.csv", risk=False)
    app = create_app(path)
    with client_class("station")(app) as c:
        first = c.get("/api/v1/layers/camera_gaps", params={"limit": 10, "bbox": "114.8,27.7,115.1,27.9"})
        assert first.status_code == 200
        assert c.get("/api/v1/layers/camera_gaps", params={"limit": 10, "offset": 10}).status_code == 200
        assert c.get("/api/v1/layers/incidents", params={"limit": 1}).status_code == 200
    # seeing the gap list on a map or through the layers API is a "view" (a file taken is an "export")
    views = read_log(path, action="view")
    assert [(e.actor, e.target, e.details["bbox"]) for e in views] == [
        ("web:t-s01", "layer camera_gaps", "114.8,27.7,115.1,27.9")]  # the first page only; incidents not
    assert read_log(path, action="export") == []


def test_user_store_refusals_are_said_in_the_page_language(tmp_path: Path, assets_ready: Path) -> None:
    from tests.app._fixtures import client_class

    app = _app(tmp_path)
    with client_class("admin")(app) as c:
        zh = c.post("/api/v1/users", json={"username": "t-s01", "password": PASSWORD, "role": "analyst"})
        assert zh.status_code == 422 and zh.json()["detail"] == "用户“t-s01”已存在，请换一个用户名"
        en = c.post("/api/v1/users", params={"lang": "en"},
                    json={"username": "new-one", "password": PASSWORD, "role": "station", "station_id": "S99"})
        assert en.status_code == 422 and en.json()["detail"].startswith("station 'S99' is not in the workspace")
        weak = c.post("/api/v1/users/t-s02/password", json={"password": "t-s02     "})
        assert weak.status_code == 422 and weak.json()["detail"] == "密码不能与用户名相同"
