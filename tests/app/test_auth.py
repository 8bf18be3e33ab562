"""Signing in and staying signed in: the login form (its CSRF cookie, open-redirect attempts), the
session cookie and its CSRF header, bearer tokens, expiry and idle time, what ends a session, login
rate limits, secure headers, the demo banner, a workspace without users, and the ``patrolnet users``
commands with the audit log they write.

Runs on private copies of the small fixture workspace (stations S01-S03) with the real Argon2
parameters: every sign-in here verifies a real hash (~0.1 s each), so apps are module-scoped and
only the rate-limit tests sign in many times.
"""

from __future__ import annotations

import getpass
import hashlib
import re
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from app.i18n import t
from app.web.config import Settings
from app.storage.audit import read_log
from app.storage.users import DEMO_PASSWORD, UserStore, users_path
from app.storage.workspace import Workspace
from tests.app._auth import PASSWORD, USERS, auth_headers, ensure_users
from tests.app._fixtures import build_workspace, plain_client_class, keep_jobs_queued

COOKIE = "pn_session"
LOGIN_COOKIE = "pn_login_csrf"
STATION_USER = USERS["station"][0]  # t-s01
ANALYST_USER = USERS["analyst"][0]
runner = CliRunner()



def _make_app(path: Path, **settings: Any) -> Any:
    from app.web import create_app

    app = create_app(settings=Settings(workspace_path=path, **settings)) if settings else create_app(path)
    keep_jobs_queued(app)
    # failed sign-ins are counted in the workspace's store, shared by every app on it (as by the
    # worker processes of one server): each test's app starts with none
    app.state.patrolnet.limiter.reset()
    return app


@pytest.fixture(scope="module")
def ws_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("auth") / "auth_ws.gpkg"
    build_workspace(path)
    ensure_users(path)
    return path


@pytest.fixture(scope="module")
def app(ws_path: Path, assets_ready: Path) -> Any:
    return _make_app(ws_path)


@pytest.fixture(autouse=True)
def fresh_limits(request: pytest.FixtureRequest) -> None:
    """Every test starts with no failed sign-ins counted (the counters the workspace's processes share)."""
    if "app" in request.fixturenames:
        request.getfixturevalue("app").state.patrolnet.limiter.reset()


def _client(app: Any, **kwargs: Any) -> Any:
    return plain_client_class()(app, follow_redirects=False, **kwargs)


@pytest.fixture()
def anon(app: Any) -> Iterator[Any]:
    with _client(app) as c:
        yield c


def _login(client: Any, username: str, password: str, *, next_url: str | None = None,
           lang: str = "zh-CN", csrf: str | None = None) -> Any:
    """Open the login page (for its form token), then post the form."""
    page = client.get("/login", params={"lang": lang, **({"next": next_url} if next_url is not None else {})})
    assert page.status_code == 200, page.text[:300]
    token = client.cookies.get(LOGIN_COOKIE) if csrf is None else csrf
    form = {"username": username, "password": password, "csrf": token}
    if next_url is not None:
        form["next"] = next_url
    return client.post(f"/login?lang={lang}", data=form)


def _set_cookies(resp: Any) -> dict[str, str]:
    """Set-Cookie headers by cookie name (the raw header, flags included)."""
    return {h.split("=", 1)[0]: h for h in resp.headers.get_list("set-cookie")}


def _signed_in(app: Any, username: str, password: str = PASSWORD) -> Any:
    client = _client(app)
    resp = _login(client, username, password)
    assert resp.status_code == 303, resp.text[:500]
    return client


def _csrf(client: Any) -> str:
    me = client.get("/api/v1/auth/me")
    assert me.status_code == 200, me.text
    assert me.json()["csrf_header"] == "X-CSRF-Token"
    return str(me.json()["csrf_token"])


def _sha(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _sql(ws: Path, query: str, *args: object) -> list[tuple]:
    con = sqlite3.connect(users_path(ws))
    try:
        with con:
            return con.execute(query, args).fetchall()
    finally:
        con.close()


def _token(client: Any, username: str, password: str = PASSWORD, **extra: Any) -> Any:
    return client.post("/api/v1/auth/token", json={"username": username, "password": password, **extra})


def _admin(app: Any) -> dict[str, str]:
    return auth_headers(app, "admin")


def _new_user(app: Any, username: str, role: str = "analyst", station: str | None = None) -> None:
    with _client(app) as c:
        body = {"username": username, "password": PASSWORD, "role": role,
                **({"station_id": station} if station else {})}
        r = c.post("/api/v1/users", json=body, headers=_admin(app))
        assert r.status_code == 201, r.text


# -- the login form ---------------------------------------------------------------------------------------
def test_login_page_sets_its_form_token(anon: Any) -> None:
    r = anon.get("/login")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    raw = _set_cookies(r)[LOGIN_COOKIE]
    flags = raw.lower()
    assert "httponly" in flags and "samesite=strict" in flags and "path=/login" in flags
    token = anon.cookies.get(LOGIN_COOKIE)
    assert token and len(token) >= 20
    assert f'name="csrf" value="{token}"' in r.text, "the form carries the same token as the cookie"
    assert 'id="pn-login-form"' in r.text and 'type="password"' in r.text
    assert COOKIE not in _set_cookies(r)


@pytest.mark.parametrize("csrf", ["", "forged-token-of-another-page"])
def test_login_without_the_form_token_is_refused(anon: Any, csrf: str, ws_path: Path) -> None:
    r = _login(anon, STATION_USER, PASSWORD, csrf=csrf)
    assert r.status_code == 403
    assert t("auth.login_csrf", "zh-CN") in unescape(r.text)
    assert COOKIE not in _set_cookies(r) and COOKIE not in anon.cookies


def test_login_without_the_form_cookie_is_refused(app: Any) -> None:
    """A cross-site form post carries a token it saw, but not the SameSite cookie."""
    with _client(app) as c:
        c.get("/login")
        token = c.cookies.get(LOGIN_COOKIE)
    with _client(app) as other:
        r = other.post("/login", data={"username": STATION_USER, "password": PASSWORD, "csrf": token})
    assert r.status_code == 403 and COOKIE not in _set_cookies(r)


def test_wrong_password_answers_401_with_a_message(anon: Any, ws_path: Path) -> None:
    r = _login(anon, STATION_USER, "not-the-password")
    assert r.status_code == 401
    assert 'id="pn-login-error"' in r.text and t("auth.bad_login", "zh-CN") in unescape(r.text)
    assert COOKIE not in anon.cookies
    assert f'value="{STATION_USER}"' in r.text, "the user name is kept in the form"
    assert "not-the-password" not in r.text, "never echo the password"
    r = _login(anon, "no-such-user", PASSWORD, lang="en")
    assert r.status_code == 401 and t("auth.bad_login", "en") in unescape(r.text)
    entry = read_log(ws_path, action="login_failed", limit=1)[0]
    assert entry.actor == "web:anonymous@testclient" and entry.details["username"] == "no-such-user"


def test_right_password_opens_a_session(anon: Any, ws_path: Path) -> None:
    r = _login(anon, STATION_USER, PASSWORD)
    assert r.status_code == 303 and r.headers["location"] == "/?lang=zh-CN"
    raw = _set_cookies(r)[COOKIE]
    flags = [f.strip().lower() for f in raw.split(";")]
    assert "httponly" in flags and "samesite=strict" in flags and "path=/" in flags
    assert "max-age=43200" in flags, raw
    assert "secure" not in flags, "plain http (127.0.0.1): a Secure cookie would never come back"
    secret = anon.cookies.get(COOKIE)
    assert secret and len(secret) >= 40
    stored = {row[0] for row in _sql(ws_path, "SELECT token_sha256 FROM sessions")}
    assert _sha(secret) in stored and secret not in stored, "only the hash of the session is stored"
    entry = read_log(ws_path, action="login", limit=1)[0]
    assert entry.actor == f"web:{STATION_USER}" and entry.details["role"] == "station"
    # the session opens the dashboard and says who is signed in
    page = anon.get("/")
    assert page.status_code == 200 and "<html" in page.text
    me = anon.get("/api/v1/auth/me").json()
    assert (me["username"], me["role"], me["station_id"], me["session_kind"]) == (STATION_USER, "station", "S01",
                                                                                  "session")
    assert "routes" in me["pages"] and "data" not in me["pages"] and "reports" not in me["pages"]


@pytest.mark.parametrize("target", [
    "//evil.example", "https://evil.example", "http://evil.example/x", "/\\evil.example", "\\\\evil.example",
    "//evil.example/%2F..", "javascript:alert(1)", "/\t/evil.example", "/\r\n/evil.example", " //evil.example",
    "///evil.example", "evil.example",
])
def _stays_on_site(url: str) -> bool:
    """What a browser makes of ``url`` (WHATWG: tabs and newlines dropped, leading controls and spaces
    trimmed, '\\' read as '/') is a path of this site: no scheme, no host."""
    from urllib.parse import urlsplit

    seen = re.sub(r"[\t\r\n]", "", url).lstrip("".join(map(chr, range(0x21)))).replace("\\", "/")
    parts = urlsplit(seen)
    return seen.startswith("/") and not seen.startswith("//") and not parts.scheme and not parts.netloc


@pytest.mark.parametrize("target", [
    "//evil.example", "https://evil.example", "http://evil.example/x", "/\\evil.example", "\\\\evil.example",
    "//evil.example/%2F..", "javascript:alert(1)", "/\t/evil.example", "/\r\n/evil.example", " //evil.example",
    "///evil.example", "evil.example", "/\\/evil.example", "\x00//evil.example", "//evil.example@testserver",
])
def test_next_cannot_leave_the_site(anon: Any, target: str) -> None:
    r = _login(anon, STATION_USER, PASSWORD, next_url=target)
    assert r.status_code == 303
    loc = r.headers["location"]
    assert _stays_on_site(loc), f"{target!r} -> {loc!r}"
    # the login page itself must not carry the bad target either
    page = anon.get("/login", params={"next": target})
    kept = unescape(re.search(r'name="next" value="([^"]*)"', page.text).group(1))  # type: ignore[union-attr]
    assert _stays_on_site(kept), f"{target!r} kept as {kept!r}"


@pytest.mark.parametrize(("target", "expected"), [
    ("/hotspots", "/hotspots?lang=zh-CN"),
    ("/coverage?lang=en", "/coverage?lang=en"),
    ("/api/v1/jobs?limit=5", "/api/v1/jobs?limit=5&lang=zh-CN"),
])
def test_next_within_the_site_is_followed(anon: Any, target: str, expected: str) -> None:
    r = _login(anon, STATION_USER, PASSWORD, next_url=target)
    assert r.status_code == 303 and r.headers["location"] == expected


def test_pages_send_signed_out_visitors_to_login(anon: Any) -> None:
    r = anon.get("/hotspots?lang=en")
    assert r.status_code == 303 and r.headers["location"] == "/login?next=%2Fhotspots%3Flang%3Den"
    r = anon.get("/api/v1/workspace")
    assert r.status_code == 401 and r.json()["error"] == "NotSignedInError"
    assert r.headers["www-authenticate"].startswith("Bearer")


# -- the session cookie and CSRF ---------------------------------------------------------------------------
def test_cookie_post_needs_the_csrf_header(app: Any) -> None:
    client = _signed_in(app, USERS["commander"][0])
    r = client.post("/logout")
    assert r.status_code == 403 and r.json()["error"] == "CSRFError"
    r = client.post("/logout", headers={"X-CSRF-Token": "guessed"})
    assert r.status_code == 403
    assert client.get("/api/v1/auth/me").status_code == 200, "refused posts do not sign out"
    token = _csrf(client)
    r = client.post("/api/v1/jobs/report", json={}, headers={"X-CSRF-Token": token})
    assert r.status_code == 202, r.text
    r = client.post("/api/v1/jobs/report", json={})
    assert r.status_code == 403


@pytest.mark.parametrize("headers", [
    {"Origin": "https://evil.example"}, {"Origin": "null"}, {"Referer": "https://evil.example/page"},
    {"Origin": "http://testserver.evil.example"}, {"Origin": "http://evil.example", "Referer": "http://testserver/"},
])
def test_cookie_post_from_another_origin_is_refused(app: Any, headers: dict[str, str]) -> None:
    client = _signed_in(app, USERS["commander"][0])
    token = _csrf(client)
    r = client.post("/logout", headers={"X-CSRF-Token": token, **headers})
    assert r.status_code == 403, headers
    assert client.get("/api/v1/auth/me").status_code == 200


def test_logout_with_the_token_ends_the_session(app: Any, ws_path: Path) -> None:
    client = _signed_in(app, USERS["commander"][0])
    secret = client.cookies.get(COOKIE)
    token = _csrf(client)
    r = client.post("/logout", headers={"X-CSRF-Token": token, "Origin": "http://testserver"})
    assert r.status_code == 200 and r.json()["signed_out"] is True
    cleared = _set_cookies(r)[COOKIE].lower()
    assert "max-age=0" in cleared or "expires=thu, 01 jan 1970" in cleared
    assert _sql(ws_path, "SELECT COUNT(*) FROM sessions WHERE token_sha256 = ?", _sha(secret)) == [(0,)]
    with _client(app, cookies={COOKIE: secret}) as replay:  # the old cookie, kept by an attacker
        assert replay.get("/api/v1/auth/me").status_code == 401
        r = replay.get("/")
        assert r.status_code == 303 and r.headers["location"].startswith("/login")
    assert read_log(ws_path, action="logout", limit=1)[0].actor == f"web:{USERS['commander'][0]}"


def test_bearer_requests_need_no_csrf_and_cookie_only_takes_sessions(app: Any) -> None:
    with _client(app) as c:
        r = _token(c, USERS["commander"][0])
        assert r.status_code == 200, r.text
        tok = r.json()["access_token"]
        r = c.post("/api/v1/jobs/report", json={}, headers={"Authorization": f"Bearer {tok}"})
        assert r.status_code == 202, r.text
    with _client(app, cookies={COOKIE: tok}) as c:  # a script's token is not a browser session
        assert c.get("/api/v1/auth/me").status_code == 401


@pytest.mark.parametrize("header", ["Basic dC1hZG1pbjp4", "Bearer", "Bearer    ", "Token abc", "bearer x y"])
def test_bad_authorization_headers(anon: Any, header: str) -> None:
    r = anon.get("/api/v1/auth/me", headers={"Authorization": header})
    assert r.status_code == 401


# -- bearer tokens -----------------------------------------------------------------------------------------
def test_token_round_trip(anon: Any, ws_path: Path) -> None:
    r = _token(anon, ANALYST_USER)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["token_type"] == "bearer" and body["role"] == "analyst" and body["username"] == ANALYST_USER
    left = datetime.fromisoformat(body["expires_at"]) - datetime.now(UTC)
    assert timedelta(hours=11, minutes=58) < left <= timedelta(hours=12)
    bearer = {"Authorization": f"Bearer {body['access_token']}"}
    me = anon.get("/api/v1/auth/me", headers=bearer).json()
    assert me["session_kind"] == "token" and "csrf_token" not in me and me["role"] == "analyst"
    assert anon.get("/api/v1/workspace", headers=bearer).status_code == 200
    assert read_log(ws_path, action="login", limit=1)[0].details.get("via") == "token"
    r = anon.delete("/api/v1/auth/token", headers=bearer)
    assert r.status_code == 200 and r.json()["revoked"] is True
    assert anon.get("/api/v1/auth/me", headers=bearer).status_code == 401
    assert anon.delete("/api/v1/auth/token", headers=bearer).status_code == 401


def test_token_lifetime_is_capped(anon: Any) -> None:
    short = _token(anon, ANALYST_USER, hours=1).json()
    left = datetime.fromisoformat(short["expires_at"]) - datetime.now(UTC)
    assert timedelta(minutes=58) < left <= timedelta(hours=1)
    long = _token(anon, ANALYST_USER, hours=24 * 30).json()
    assert datetime.fromisoformat(long["expires_at"]) - datetime.now(UTC) <= timedelta(hours=12), \
        "a token never outlives the server's limit"
    assert _token(anon, ANALYST_USER, hours=24 * 31).status_code == 422
    assert _token(anon, ANALYST_USER, hours=0).status_code == 422
    assert _token(anon, ANALYST_USER, role="admin").status_code == 422, "no extra fields"


def test_wrong_token_password_is_401(anon: Any, ws_path: Path) -> None:
    r = _token(anon, ANALYST_USER, "wrong password!")
    assert r.status_code == 401 and r.json()["error"] == "NotSignedInError"
    assert "access_token" not in r.text
    entry = read_log(ws_path, action="login_failed", limit=1)[0]
    assert entry.details == {"client": "testclient", "username": ANALYST_USER, "via": "token"}


# -- expiry, idle time and what ends a session -------------------------------------------------------------
def test_expired_session_and_token_are_refused(app: Any, ws_path: Path) -> None:
    client = _signed_in(app, USERS["commander"][0])
    secret = client.cookies.get(COOKIE)
    with _client(app) as c:
        tok = _token(c, USERS["commander"][0]).json()["access_token"]
    past = (datetime.now(UTC) - timedelta(seconds=1)).isoformat(timespec="seconds")
    for s in (secret, tok):
        _sql(ws_path, "UPDATE sessions SET expires_at = ? WHERE token_sha256 = ?", past, _sha(s))
    r = client.get("/api/v1/auth/me")
    assert r.status_code == 401 and r.json()["detail"] == t("auth.expired", "zh-CN")
    assert client.get("/routes").status_code == 303
    with _client(app) as c:
        r = c.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {tok}"})
        assert r.status_code == 401


def test_idle_session_ends_but_token_does_not(app: Any, ws_path: Path) -> None:
    client = _signed_in(app, USERS["commander"][0])
    secret = client.cookies.get(COOKIE)
    with _client(app) as c:
        tok = _token(c, USERS["commander"][0]).json()["access_token"]
    idle = app.state.patrolnet.settings.session_idle_minutes
    old = (datetime.now(UTC) - timedelta(minutes=idle + 1)).isoformat(timespec="seconds")
    nearly = (datetime.now(UTC) - timedelta(minutes=idle - 5)).isoformat(timespec="seconds")
    _sql(ws_path, "UPDATE sessions SET last_seen = ? WHERE token_sha256 IN (?, ?)", old, _sha(secret), _sha(tok))
    with _client(app) as c:
        assert c.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {tok}"}).status_code == 200
    assert client.get("/api/v1/auth/me").status_code == 401
    # a session used within the idle time stays open
    client = _signed_in(app, USERS["commander"][0])
    _sql(ws_path, "UPDATE sessions SET last_seen = ? WHERE token_sha256 = ?", nearly, _sha(client.cookies.get(COOKIE)))
    assert client.get("/api/v1/auth/me").status_code == 200


def test_idle_session_secret_is_no_bearer_token_either(app: Any, ws_path: Path) -> None:
    """The browser session's secret sent as a bearer token must not outlive the idle limit."""
    client = _signed_in(app, USERS["commander"][0])
    secret = client.cookies.get(COOKIE)
    old = (datetime.now(UTC) - timedelta(hours=3)).isoformat(timespec="seconds")
    _sql(ws_path, "UPDATE sessions SET last_seen = ? WHERE token_sha256 = ?", old, _sha(secret))
    with _client(app) as c:
        assert c.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401


def test_disabling_a_user_ends_their_sessions(app: Any, ws_path: Path) -> None:
    _new_user(app, "t-temp-off", "station", "S02")
    client = _signed_in(app, "t-temp-off")
    with _client(app) as c:
        tok = _token(c, "t-temp-off").json()["access_token"]
    with _client(app) as admin:
        r = admin.patch("/api/v1/users/t-temp-off", json={"active": False}, headers=_admin(app))
        assert r.status_code == 200 and r.json()["active"] is False
        assert admin.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {tok}"}).status_code == 401
        assert _token(admin, "t-temp-off").status_code == 401, "a disabled user cannot sign in"
        r = admin.patch("/api/v1/users/t-temp-off", json={"active": True}, headers=_admin(app))
        assert r.status_code == 200
        assert admin.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {tok}"}).status_code == 401, \
            "enabling the user again does not bring the old sessions back"
    assert client.get("/api/v1/auth/me").status_code == 401
    entry = read_log(ws_path, action="user_change", limit=1)[0]
    assert entry.actor == f"web:{USERS['admin'][0]}" and entry.target == "t-temp-off"


def test_role_change_ends_sessions(app: Any) -> None:
    _new_user(app, "t-temp-role", "station", "S03")
    client = _signed_in(app, "t-temp-role")
    with _client(app) as admin:
        r = admin.patch("/api/v1/users/t-temp-role", json={"role": "analyst"}, headers=_admin(app))
        assert r.status_code == 200 and r.json()["station_id"] is None
    assert client.get("/api/v1/auth/me").status_code == 401, "the old session carried the old role"


def test_new_password_ends_sessions(app: Any, ws_path: Path) -> None:
    _new_user(app, "t-temp-pw", "commander")
    client = _signed_in(app, "t-temp-pw")
    with _client(app) as admin:
        r = admin.post("/api/v1/users/t-temp-pw/password", json={"password": "short"}, headers=_admin(app))
        assert r.status_code == 422
        assert client.get("/api/v1/auth/me").status_code == 200
        r = admin.post("/api/v1/users/t-temp-pw/password", json={"password": "a brand new password"},
                       headers=_admin(app))
        assert r.status_code == 200
    assert client.get("/api/v1/auth/me").status_code == 401
    with _client(app) as c:
        assert _login(c, "t-temp-pw", PASSWORD).status_code == 401
        assert _login(c, "t-temp-pw", "a brand new password").status_code == 303
    assert read_log(ws_path, action="password", limit=1)[0].target == "t-temp-pw"


# -- login rate limits -------------------------------------------------------------------------------------
def test_login_form_is_rate_limited_per_user_and_client(app: Any) -> None:
    with _client(app) as c:
        for _ in range(5):
            assert _login(c, ANALYST_USER, "wrong password!").status_code == 401
        r = _login(c, ANALYST_USER, PASSWORD)  # the right password, too late
        assert r.status_code == 429, r.status_code
        wait = int(r.headers["retry-after"])
        assert 1 <= wait <= 301
        assert COOKIE not in c.cookies
        assert re.search(r"\d+", unescape(r.text)) and "pn-login-error" in r.text
        # another user from the same client is not locked out ...
        assert _login(c, USERS["commander"][0], PASSWORD).status_code == 303
    # ... nor the same user from another client
    with _client(app, client=("10.20.30.40", 50000)) as other:
        assert _login(other, ANALYST_USER, PASSWORD).status_code == 303


def test_token_is_rate_limited_too(app: Any) -> None:
    with _client(app) as c:
        for _ in range(5):
            assert _token(c, ANALYST_USER, "wrong password!").status_code == 401
        r = _token(c, ANALYST_USER)
        assert r.status_code == 429 and "access_token" not in r.text
        assert int(r.headers["retry-after"]) >= 1 and r.json()["retry_after_s"] >= 1
        # the form and the token share the count
        assert _login(c, ANALYST_USER, PASSWORD).status_code == 429
        assert _token(c, USERS["commander"][0]).status_code == 200
    with _client(app, client=("10.20.30.41", 50000)) as other:
        assert _token(other, ANALYST_USER).status_code == 200


def test_one_client_guessing_many_names_is_limited(ws_path: Path, assets_ready: Path) -> None:
    """The per-client budget (default 20 failures in 5 minutes; 4 here, to keep the test short) holds
    whatever user names are tried; other clients are unaffected."""
    assert Settings(workspace_path=ws_path).login_limit_client == "20/5 minutes"
    app = _make_app(ws_path, login_limit_client="4/5 minutes")
    with _client(app, client=("10.20.30.42", 50000)) as c:
        for i in range(4):
            assert _token(c, f"guess{i}", "wrong password!").status_code == 401
        assert _token(c, ANALYST_USER).status_code == 429, "4 failures from one client: it waits"
        assert _login(c, USERS["commander"][0], PASSWORD).status_code == 429
    with _client(app) as other:
        assert _token(other, ANALYST_USER).status_code == 200


# -- secure headers ----------------------------------------------------------------------------------------
_CSP_SOURCES = {"'self'", "'none'", "'unsafe-inline'", "data:", "blob:"}


def _check_secure_headers(r: Any, *, no_store: bool = True) -> None:
    h = r.headers
    csp = h.get("content-security-policy", "")
    directives = {d.split()[0]: d.split()[1:] for d in csp.split(";") if d.strip()}
    assert directives.get("default-src") == ["'self'"], csp
    assert directives.get("frame-ancestors") == ["'none'"] and directives.get("object-src") == ["'none'"]
    assert directives.get("form-action") == ["'self'"] and directives.get("base-uri") == ["'self'"]
    for name, sources in directives.items():
        assert set(sources) <= _CSP_SOURCES, f"{r.url}: {name} allows {sources} (another host?)"
    assert "'unsafe-eval'" not in csp and "*" not in csp and "http" not in csp
    assert h.get("x-content-type-options") == "nosniff"
    assert h.get("x-frame-options") == "DENY"
    assert h.get("referrer-policy") == "no-referrer"
    assert h.get("cross-origin-opener-policy") == "same-origin"
    assert "geolocation=()" in h.get("permissions-policy", "")
    assert "strict-transport-security" not in h, "no HSTS over plain http"
    if no_store:
        assert "no-store" in h.get("cache-control", ""), f"{r.url}: {h.get('cache-control')}"
    assert len(h.get_list("content-security-policy")) == 1


def test_secure_headers_everywhere(app: Any) -> None:
    with _client(app) as c:
        for path in ("/login", "/no-such-page", "/api/v1/no-such-thing", "/api/v1/workspace", "/"):
            r = c.get(path)  # signed out: 200, 404, 404, 401, 303
            assert r.status_code in (200, 303, 401, 404), path
            _check_secure_headers(r)
        c.headers.update(auth_headers(app, "analyst"))
        for path in ("/", "/hotspots", "/api/v1/workspace", "/api/v1/layers/stations", "/routes", "/docs",
                     "/openapi.json", "/api/v1/jobs/nope"):
            r = c.get(path)  # 200s, a 403 page and a 404
            assert r.status_code in (200, 403, 404), (path, r.status_code)
            _check_secure_headers(r)
        r = c.get("/api/v1/layers/stations", headers={"Accept-Encoding": "gzip"})
        _check_secure_headers(r)
        r = c.get("/static/pn.css")
        assert r.status_code == 200
        _check_secure_headers(r, no_store=False)


def test_https_deployment_marks_the_cookie_secure_and_sends_hsts(ws_path: Path, assets_ready: Path) -> None:
    app = _make_app(ws_path, https=True)
    with plain_client_class()(app, base_url="https://testserver", follow_redirects=False) as c:
        r = _login(c, USERS["commander"][0], PASSWORD)
        assert r.status_code == 303
        assert "secure" in [f.strip().lower() for f in _set_cookies(r)[COOKIE].split(";")]
        assert r.headers["strict-transport-security"].startswith("max-age=")
        assert c.get("/api/v1/auth/me").status_code == 200


# -- the demo banner and a workspace without users ---------------------------------------------------------
@pytest.fixture(scope="module")
def demo_ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from app.services.workspace import ensure_demo_users

    path = tmp_path_factory.mktemp("auth-demo") / "demo_ws.gpkg"
    ws = build_workspace(path)
    assert ensure_demo_users(ws) == []  # not a demo: no demo users
    ws = ws.write({}, meta={"demo_generator": "test"})  # marked as one the demo generator built
    assert ensure_demo_users(ws) == ["admin", "zhihui", "fenxi", "beihu", "baoshi", "zhushan"]
    return path


def test_demo_login_page_says_it_runs_with_demo_users(demo_ws: Path, assets_ready: Path) -> None:
    app = _make_app(demo_ws)
    with _client(app) as c:
        for lang in ("zh-CN", "en"):
            r = c.get("/login", params={"lang": lang})
            assert r.status_code == 200 and 'id="pn-demo-banner"' in r.text
            text = unescape(r.text)
            assert t("auth.demo_title", lang) in text and DEMO_PASSWORD in text
            for name in ("admin", "zhihui", "fenxi", "beihu", "baoshi", "zhushan"):
                assert f"<code>{name}</code>" in r.text
        r = _login(c, "beihu", DEMO_PASSWORD)
        assert r.status_code == 303
        me = c.get("/api/v1/auth/me").json()
        assert me["demo"] is True and me["station_id"] == "S01"


def test_demo_users_are_never_added_beside_real_ones(ws_path: Path, app: Any, anon: Any) -> None:
    from app.services.workspace import ensure_demo_users

    assert ensure_demo_users(Workspace(ws_path)) == []
    assert UserStore(ws_path).get("zhihui") is None
    r = anon.get("/login")
    assert 'id="pn-demo-banner"' not in r.text and DEMO_PASSWORD not in r.text
    assert 'id="pn-no-users"' not in r.text
    assert _login(anon, "admin", DEMO_PASSWORD).status_code == 401


def test_demo_user_given_a_real_password_leaves_the_banner(demo_ws: Path, tmp_path: Path,
                                                           assets_ready: Path) -> None:
    import shutil

    path = tmp_path / "demo_ws.gpkg"
    shutil.copyfile(demo_ws, path)
    shutil.copyfile(users_path(demo_ws), users_path(path))
    store = UserStore(path)
    store.set_password("admin", "a real password now")  # no longer a demo user ...
    for u in store.list():
        if u.username != "admin":
            store.update(u.username, active=False)  # ... and disabled demo users are not offered
    assert not [u for u in store.list() if u.demo and u.active]
    with _client(_make_app(path)) as c:
        r = c.get("/login")
        assert 'id="pn-demo-banner"' not in r.text and DEMO_PASSWORD not in r.text
        assert _login(c, "zhihui", DEMO_PASSWORD).status_code == 401


def test_workspace_without_users(tmp_path: Path, assets_ready: Path) -> None:
    from app.cli import cli

    path = tmp_path / "empty_users.gpkg"
    build_workspace(path)
    with _client(_make_app(path)) as c:
        r = c.get("/login")
        assert r.status_code == 200 and 'id="pn-no-users"' in r.text
        assert "patrolnet users add" in unescape(r.text) and 'id="pn-demo-banner"' not in r.text
        assert _login(c, "admin", DEMO_PASSWORD).status_code == 401
        assert _token(c, "admin", "admin").status_code == 401
    result = runner.invoke(cli, ["serve", str(path), "--port", "1"])
    assert result.exit_code == 2, result.output
    assert "no users" in result.output and "patrolnet users add" in result.output
    assert not users_path(path).exists(), "serve must not create users"


# -- patrolnet users ... and the audit log -----------------------------------------------------------------
def test_users_cli(tmp_path: Path) -> None:
    from app.cli import cli

    path = tmp_path / "cli_ws.gpkg"
    build_workspace(path)
    ws = str(path)

    def users(*args: str, stdin: str | None = None) -> Any:
        return runner.invoke(cli, ["users", *args], input=stdin)

    r = users("add", ws, "boss", "--role", "admin", "--password-stdin", stdin="the boss's password\n")
    assert r.exit_code == 0, r.output
    r = users("add", ws, "weak", "--role", "analyst", "--password-stdin", stdin="short\n")
    assert r.exit_code == 2 and "too short" in r.output
    r = users("add", ws, "nostation", "--role", "station", "--password-stdin", stdin="long enough password\n")
    assert r.exit_code == 2 and "--station" in r.output
    r = users("add", ws, "ghost", "--role", "station", "--station", "S99", "--password-stdin",
              stdin="long enough password\n")
    assert r.exit_code == 2 and "S99" in r.output and "S01" in r.output
    r = users("add", ws, "empty", "--role", "analyst", "--password-stdin", stdin="\n")
    assert r.exit_code == 2
    r = users("add", ws, "beihu", "--role", "station", "--station", "S01", "--name", "北湖路 张三",
              "--password-stdin", stdin="beihu station password\n")
    assert r.exit_code == 0, r.output
    r = users("add", ws, "Beihu", "--role", "analyst", "--password-stdin", stdin="beihu station password\n")
    assert r.exit_code == 2 and "exists" in r.output

    r = users("list", ws, "--json")
    assert r.exit_code == 0, r.output
    listed = {u["username"]: u for u in __import__("json").loads(r.output)}
    assert set(listed) == {"boss", "beihu"}
    assert listed["beihu"]["station_id"] == "S01" and listed["beihu"]["display_name"] == "北湖路 张三"
    assert not any("hash" in k for u in listed.values() for k in u) and "$argon2" not in r.output

    for args in (("set", ws, "boss", "--role", "commander"), ("set", ws, "boss", "--disabled"),
                 ("remove", ws, "boss")):
        r = users(*args)
        assert r.exit_code == 2 and "last active admin" in r.output, args
    assert UserStore(path).get("boss").role == "admin"  # type: ignore[union-attr]

    r = users("set", ws, "beihu", "--role", "station", "--station", "S99")
    assert r.exit_code == 2 and "S99" in r.output
    r = users("set", ws, "beihu", "--station", "S02")
    assert r.exit_code == 0, r.output
    assert UserStore(path).get("beihu").station_id == "S02"  # type: ignore[union-attr]

    r = users("passwd", ws, "beihu", "--password-stdin", stdin="short\n")
    assert r.exit_code == 2 and "too short" in r.output
    r = users("passwd", ws, "beihu", "--password-stdin", stdin="a new station password\n")
    assert r.exit_code == 0, r.output
    store = UserStore(path)
    assert store.verify("beihu", "beihu station password") is None
    assert store.verify("beihu", "a new station password") is not None
    r = users("passwd", ws, "nobody", "--password-stdin", stdin="a new station password\n")
    assert r.exit_code == 2 and "no user" in r.output

    # hashes only: Argon2id, and no password in clear anywhere in the store's files
    hashes = dict(_sql(path, "SELECT username, password_hash FROM users"))
    assert all(h.startswith("$argon2id$") for h in hashes.values()), hashes
    blob = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith(users_path(path).name))
    for pw in ("the boss's password", "beihu station password", "a new station password"):
        assert pw.encode() not in blob

    r = users("remove", ws, "beihu")
    assert r.exit_code == 0 and UserStore(path).get("beihu") is None

    actor = f"cli:{getpass.getuser()}"
    adds = read_log(path, action="user_add")
    assert [(e.actor, e.details["user"]) for e in adds] == [(actor, "beihu"), (actor, "boss")]
    assert [e.details["user"] for e in read_log(path, action="user_remove")] == ["beihu"]
    assert [e.details["user"] for e in read_log(path, action="password")] == ["beihu"]
    assert read_log(path, action="user_change")[0].actor == actor


def test_web_user_management_is_audited_with_the_admin_as_actor(app: Any, ws_path: Path) -> None:
    _new_user(app, "t-temp-audit", "station", "S01")
    entry = read_log(ws_path, action="user_add", limit=1)[0]
    assert entry.actor == f"web:{USERS['admin'][0]}" and entry.target == "t-temp-audit"
    assert entry.details == {"role": "station", "station_id": "S01"}
    with _client(app) as admin:
        r = admin.delete("/api/v1/users/t-temp-audit", headers=_admin(app))
        assert r.status_code == 200
        r = admin.post("/api/v1/users", headers=_admin(app), json={
            "username": "t-temp-x", "password": PASSWORD, "role": "station", "station_id": "S77"})
        assert r.status_code == 422 and "S77" in r.json()["detail"]
        r = admin.post("/api/v1/users", headers=_admin(app), json={
            "username": "t-temp-y", "password": PASSWORD, "role": "commander", "station_id": "S01"})
        assert r.status_code == 422
        listed = admin.get("/api/v1/users", headers=_admin(app)).json()
        assert "t-temp-audit" not in {u["username"] for u in listed["users"]}
        assert "$argon2" not in str(listed) and "password_hash" not in str(listed)
    assert read_log(ws_path, action="user_remove", limit=1)[0].actor == f"web:{USERS['admin'][0]}"
    [(stored,)] = _sql(ws_path, "SELECT password_hash FROM users WHERE username = ?", USERS["admin"][0])
    assert stored.startswith("$argon2id$")
    assert PASSWORD.encode() not in users_path(ws_path).read_bytes()
