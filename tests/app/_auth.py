"""Signed-in clients for the web tests.

Every test workspace gets the same five users (one per role, two stations) the first time a client
or a browser signs in to it. Sessions are opened with fixed, test-only secrets written straight
into the workspace's user store, so that a test does not pay an Argon2 verification per client and
one browser cookie works for every server a test starts. The sign-in flow itself (form, tokens,
CSRF, rate limits) is tested on its own in ``test_auth.py``.
"""

from __future__ import annotations

import hashlib
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from app.storage.users import UserStore, users_path

PASSWORD = "test-password-123"
#: role key -> (user name, role, station id)
USERS: dict[str, tuple[str, str, str | None]] = {
    "admin": ("t-admin", "admin", None),
    "commander": ("t-commander", "commander", None),
    "analyst": ("t-analyst", "analyst", None),
    "station": ("t-s01", "station", "S01"),
    "station2": ("t-s02", "station", "S02"),
    "officer": ("t-officer", "officer", None),
}
#: role key -> an officer's unit (the demo's first brigade car)
UNITS: dict[str, str] = {"officer": "U0001"}
#: The browser session cookie every test server accepts (for the admin).
BROWSER_TOKEN = "test-browser-session-admin"


def token_for(key: str) -> str:
    return f"test-token-{key}"


def ensure_users(workspace: str | Path) -> UserStore:
    """The test users (:data:`USERS`) and their fixed sessions in ``workspace``'s user store."""
    store = UserStore(workspace)
    have = {u.username for u in store.list()}
    for key, (name, role, station) in USERS.items():
        if name not in have:
            store.add(name, PASSWORD, role, station_id=station, unit_id=UNITS.get(key), display_name=f"测试{key}")
    now = datetime.now(UTC)
    rows = [(hashlib.sha256(token_for(k).encode()).hexdigest(), USERS[k][0], "token") for k in USERS]
    rows.append((hashlib.sha256(BROWSER_TOKEN.encode()).hexdigest(), USERS["admin"][0], "session"))
    rows += [(hashlib.sha256(browser_token(k).encode()).hexdigest(), USERS[k][0], "session") for k in USERS if k != "admin"]
    con = sqlite3.connect(users_path(workspace))
    try:
        with con:
            for sha, name, kind in rows:
                con.execute(
                    "INSERT OR REPLACE INTO sessions (token_sha256, username, kind, csrf, created_at, expires_at, "
                    "last_seen) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (sha, name, kind, f"csrf-{name}", now.isoformat(timespec="seconds"),
                     (now + timedelta(days=2)).isoformat(timespec="seconds"), now.isoformat(timespec="seconds")))
    finally:
        con.close()
    return store


def auth_headers(app: Any, role: str = "admin") -> dict[str, str]:
    """``Authorization`` for a user of ``role`` (a key of :data:`USERS`) on ``app``'s workspace."""
    ensure_users(app.state.patrolnet.settings.workspace_path)
    return {"Authorization": f"Bearer {token_for(role)}"}


def browser_token(key: str) -> str:
    """The fixed browser session of the test user ``key`` (the admin's: :data:`BROWSER_TOKEN`)."""
    return BROWSER_TOKEN if key == "admin" else f"test-browser-session-{key}"


def browser_cookie(base_url: str, key: str = "admin") -> dict[str, Any]:
    """The session cookie of the test user ``key`` (default the admin) for a page context (Playwright
    ``add_cookies``)."""
    return {"name": "pn_session", "value": browser_token(key), "url": base_url}
