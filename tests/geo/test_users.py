"""The user store (:mod:`app.storage.users`): Argon2id password hashes, users and roles, sessions and
tokens that expire, and what ends them.

Every test gets its own store beside an empty file (the store never opens the workspace itself);
Argon2 costs ~50-100 ms per hash or verification, so the tests add only the users they need.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher

import app.storage.users as users_mod
from geo.errors import InputError
from app.storage.users import DEMO_PASSWORD, MIN_PASSWORD_LENGTH, ROLES, UserStore, check_password, users_path

PW = "correct horse battery"
STATIONS = {"S01", "S02", "S03"}


@pytest.fixture()
def real_hasher() -> None:
    """Marks a test that hashes with the store's own Argon2 parameters."""


@pytest.fixture(autouse=True)
def fast_hashes(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2id with tiny costs, except in the tests that check the real parameters (the real ones
    cost ~0.1 s per hash on two shared cores; the logic under test is the same)."""
    if "real_hasher" not in request.fixturenames:
        monkeypatch.setattr(users_mod, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture()
def store(tmp_path: Path) -> UserStore:
    ws = tmp_path / "district.gpkg"
    ws.write_bytes(b"")  # the store lives beside the workspace and never reads it
    return UserStore(ws)


def _sql(store: UserStore, query: str, *args: object) -> list[tuple]:
    con = sqlite3.connect(store.path)
    try:
        with con:
            return con.execute(query, args).fetchall()
    finally:
        con.close()


def _store_bytes(store: UserStore) -> bytes:
    """The store's database and its WAL/SHM side files, as bytes (what a thief of the folder gets)."""
    out = b""
    for suffix in ("", "-wal", "-shm", "-journal"):
        p = Path(str(store.path) + suffix)
        if p.exists():
            out += p.read_bytes()
    return out


# -- where it lives, what an empty store says ----------------------------------------------------------
def test_users_path_is_a_hidden_sidecar(tmp_path: Path) -> None:
    assert users_path(tmp_path / "yushui.gpkg") == tmp_path / ".yushui.gpkg.users.sqlite"


def test_empty_store_reads_without_creating_a_file(store: UserStore) -> None:
    assert not store.has_users() and not store.has_admin()
    assert store.list() == [] and store.get("nobody") is None
    assert store.verify("nobody", PW) is None
    assert store.session("whatever") is None
    assert not store.path.exists(), "reading an empty store must not create the user file"


def test_store_file_is_private(store: UserStore) -> None:
    store.add("boss", PW, "admin")
    mode = stat.S_IMODE(os.stat(store.path).st_mode)
    assert mode & 0o077 == 0, f"the user store is readable by others: {oct(mode)}"


# -- adding users ----------------------------------------------------------------------------------------
def test_hasher_is_argon2id_with_rfc9106_parameters(real_hasher: None) -> None:
    h = users_mod._HASHER
    assert h.type.name == "ID"
    assert (h.time_cost, h.memory_cost, h.parallelism) >= (3, 64 * 1024, 1), "weaker than RFC 9106 low-memory"
    assert users_mod._DUMMY_HASH.startswith("$argon2id$") and not h.check_needs_rehash(users_mod._DUMMY_HASH)


def test_password_is_stored_as_argon2id_never_in_clear(store: UserStore, real_hasher: None) -> None:
    user = store.add("Zhang.San", PW, "commander", display_name="张三")
    assert user.username == "zhang.san" and user.role == "commander" and user.station_id is None
    assert user.active and not user.demo and user.display_name == "张三"
    [(stored,)] = _sql(store, "SELECT password_hash FROM users WHERE username = 'zhang.san'")
    assert stored.startswith("$argon2id$"), stored[:20]
    assert PasswordHasher().verify(stored, PW)
    assert PW.encode() not in _store_bytes(store)
    assert "password_hash" not in user.as_dict() and stored not in str(user.as_dict())


def test_second_user_gets_its_own_salt(store: UserStore) -> None:
    store.add("aa1", PW, "analyst")
    store.add("aa2", PW, "analyst")
    hashes = {h for (h,) in _sql(store, "SELECT password_hash FROM users")}
    assert len(hashes) == 2, "the same password must not hash the same twice (salt)"


@pytest.mark.parametrize("name", ["a", "x" * 33, "-lead", ".lead", "has space", "中文名", "a/b", "a;drop", ""])
def test_bad_user_names_are_refused(store: UserStore, name: str) -> None:
    with pytest.raises(InputError, match="user name"):
        store.add(name, PW, "analyst")


@pytest.mark.parametrize(("role", "station", "stations", "match"), [
    ("superuser", None, None, "role"),
    ("station", None, STATIONS, "station"),
    ("station", "", STATIONS, "station"),
    ("station", "S99", STATIONS, "S99"),
    ("commander", "S01", STATIONS, "only station users"),
    ("analyst", "S01", None, "only station users"),
])
def test_role_and_station_are_checked(store: UserStore, role: str, station: str | None,
                                      stations: set[str] | None, match: str) -> None:
    with pytest.raises(InputError, match=match):
        store.add("someone", PW, role, station_id=station, stations=stations)
    assert store.get("someone") is None


def test_station_user_keeps_its_station(store: UserStore) -> None:
    user = store.add("beihu", PW, "station", station_id="S01", stations=STATIONS)
    assert (user.role, user.station_id) == ("station", "S01")
    assert ROLES == ("admin", "commander", "station", "analyst", "officer")


def test_an_officer_has_a_unit_and_only_an_officer(store: UserStore) -> None:
    units = {"U0001", "U0002"}
    with pytest.raises(InputError) as e:
        store.add("xunluo", PW, "officer", units=units)
    assert e.value.code == "users.need_unit"
    with pytest.raises(InputError) as e:
        store.add("xunluo", PW, "officer", unit_id="U0009", units=units)
    assert e.value.code == "users.unknown_unit" and "U0009" in str(e.value)
    with pytest.raises(InputError) as e:
        store.add("zhihui", PW, "commander", unit_id="U0001", units=units)
    assert e.value.code == "users.unit_for_role"
    user = store.add("xunluo", PW, "officer", unit_id="U0001", units=units)
    assert (user.role, user.unit_id, user.station_id) == ("officer", "U0001", None)
    token = store.open_session("xunluo")
    moved = store.update("xunluo", unit_id="U0002", units=units)
    assert moved.unit_id == "U0002" and store.session(token) is None  # another unit: signed out
    assert store.update("xunluo", role="analyst").unit_id is None  # no longer an officer: no unit


def test_a_store_made_before_officers_gets_their_column(tmp_path: Path) -> None:
    ws = tmp_path / "old.gpkg"
    con = sqlite3.connect(users_path(ws))
    con.executescript("""CREATE TABLE users (username TEXT PRIMARY KEY, password_hash TEXT NOT NULL, role TEXT NOT NULL,
        station_id TEXT, display_name TEXT NOT NULL DEFAULT '', active INTEGER NOT NULL DEFAULT 1,
        demo INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL, password_changed_at TEXT NOT NULL);""")
    con.execute("INSERT INTO users VALUES ('beihu', ?, 'station', 'S01', '', 1, 0, '2026-01-01', '2026-01-01')",
                (PasswordHasher().hash(PW),))
    con.commit()
    con.close()
    store = UserStore(ws)
    assert store.get("beihu").unit_id is None and store.verify("beihu", PW) is not None
    assert store.add("xunluo", PW, "officer", unit_id="U0001").unit_id == "U0001"


@pytest.mark.parametrize(("password", "match"), [
    ("short", "too short"),
    ("x" * (MIN_PASSWORD_LENGTH - 1), "too short"),
    ("wangxiaoer", "user name"),
    ("  WangXiaoEr ", "user name"),
])
def test_weak_passwords_are_refused(store: UserStore, password: str, match: str) -> None:
    with pytest.raises(InputError, match=match):
        store.add("wangxiaoer", password, "analyst")
    assert not store.has_users()


def test_check_password_accepts_a_long_one() -> None:
    check_password("x" * MIN_PASSWORD_LENGTH)
    check_password("三个不相关的词语组成密码", username="li")


def test_only_demo_users_skip_the_password_rules(store: UserStore) -> None:
    with pytest.raises(InputError):
        store.add("demo1", "short", "analyst")
    user = store.add("demo2", DEMO_PASSWORD, "analyst", demo=True)
    assert user.demo and store.verify("demo2", DEMO_PASSWORD) is not None


def test_duplicate_user_is_refused(store: UserStore) -> None:
    store.add("dup", PW, "analyst")
    with pytest.raises(InputError, match="exists"):
        store.add("DUP", "another long password", "commander")
    assert store.get("dup").role == "analyst"  # type: ignore[union-attr]


def test_has_users_and_has_admin_count_active_users_only(tmp_path: Path) -> None:
    store = UserStore(tmp_path / "a.gpkg")
    store.add("ana", PW, "analyst")
    assert store.has_users() and not store.has_admin()
    store.update("ana", active=False)
    assert not store.has_users(), "a disabled user cannot sign in: the workspace has nobody"
    store.add("boss", PW, "admin")
    store.add("boss2", PW, "admin")
    store.update("boss2", active=False)
    assert store.has_users() and store.has_admin()
    with pytest.raises(InputError, match="last active admin"):
        store.update("boss", role="commander")  # boss2 is disabled: boss is the last active admin


# -- verifying passwords ---------------------------------------------------------------------------------
def test_verify(store: UserStore) -> None:
    store.add("li.si", PW, "analyst")
    assert store.verify("li.si", PW).username == "li.si"  # type: ignore[union-attr]
    assert store.verify(" LI.SI ", PW) is not None, "user names are case- and space-insensitive"
    assert store.verify("li.si", PW + " ") is None
    assert store.verify("li.si", PW.upper()) is None
    assert store.verify("li.si", "") is None
    assert store.verify("nobody", PW) is None
    assert store.verify("", PW) is None


def test_unknown_user_costs_a_hash_verification_too(store: UserStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """The answer time must not tell whether a user name exists: an unknown name is checked against a
    dummy hash with the same work."""
    store.add("known", PW, "analyst")
    calls: list[str] = []
    real = users_mod._HASHER

    class Counting:
        def verify(self, h: str, p: str) -> bool:
            calls.append(h)
            return real.verify(h, p)

        def check_needs_rehash(self, h: str) -> bool:
            return real.check_needs_rehash(h)

        def hash(self, p: str) -> str:
            return real.hash(p)

    monkeypatch.setattr(users_mod, "_HASHER", Counting())
    assert store.verify("unknown-user", PW) is None
    assert store.verify("known", "wrong password!") is None
    assert len(calls) == 2 and all(h.startswith("$argon2id$") for h in calls)


def test_disabled_user_cannot_sign_in(store: UserStore) -> None:
    store.add("boss", PW, "admin")
    store.add("gone", PW, "analyst")
    store.update("gone", active=False)
    assert store.verify("gone", PW) is None
    store.update("gone", active=True)
    assert store.verify("gone", PW) is not None


def test_outdated_hash_is_upgraded_on_sign_in(store: UserStore, real_hasher: None) -> None:
    store.add("old", PW, "analyst")
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PW)
    _sql(store, "UPDATE users SET password_hash = ? WHERE username = 'old'", weak)
    assert store.verify("old", PW) is not None
    [(now,)] = _sql(store, "SELECT password_hash FROM users WHERE username = 'old'")
    assert now != weak and now.startswith("$argon2id$")
    assert not users_mod._HASHER.check_needs_rehash(now)
    assert store.verify("old", PW) is not None


def test_a_broken_stored_hash_fails_closed(store: UserStore) -> None:
    store.add("broken", PW, "analyst")
    _sql(store, "UPDATE users SET password_hash = ? WHERE username = 'broken'", PW)  # clear text, e.g. a bad import
    assert store.verify("broken", PW) is None


# -- changing and removing users -------------------------------------------------------------------------
def test_last_admin_is_kept(store: UserStore) -> None:
    store.add("boss", PW, "admin")
    for change in ({"role": "commander"}, {"active": False}):
        with pytest.raises(InputError, match="last active admin"):
            store.update("boss", **change)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="last active admin"):
        store.remove("boss")
    assert store.get("boss").role == "admin" and store.has_admin()  # type: ignore[union-attr]
    store.add("boss2", PW, "admin")
    store.update("boss", role="commander")
    assert not store.get("boss").role == "admin"  # type: ignore[union-attr]
    with pytest.raises(InputError, match="last active admin"):
        store.remove("boss2")
    # a disabled admin does not count as the one that is kept, and may itself be removed
    store.add("boss3", PW, "admin")
    store.update("boss3", active=False)
    with pytest.raises(InputError, match="last active admin"):
        store.update("boss2", active=False)
    store.remove("boss3")
    assert store.get("boss3") is None and store.has_admin()


def test_update_checks_role_and_station(store: UserStore) -> None:
    store.add("u1", PW, "analyst")
    with pytest.raises(InputError, match="station"):
        store.update("u1", role="station", stations=STATIONS)
    with pytest.raises(InputError, match="S99"):
        store.update("u1", role="station", station_id="S99", stations=STATIONS)
    user = store.update("u1", role="station", station_id="S02", stations=STATIONS)
    assert (user.role, user.station_id) == ("station", "S02")
    user = store.update("u1", role="commander")  # the station goes with the station role
    assert (user.role, user.station_id) == ("commander", None)
    with pytest.raises(InputError, match="only station users"):
        store.update("u1", station_id="S01")
    with pytest.raises(InputError, match="no user"):
        store.update("nobody", role="analyst")


def test_changes_that_end_sessions(store: UserStore) -> None:
    store.add("boss", PW, "admin")
    store.add("s1", PW, "station", station_id="S01")
    token = store.open_session("s1")
    store.update("s1", display_name="北湖路 张三")
    assert store.session(token) is not None, "a new display name does not sign the user out"
    for change in ({"station_id": "S02"}, {"role": "analyst"}, {"active": False}):
        token = store.open_session("s1")
        before = store.get("s1")
        store.update("s1", **change)  # type: ignore[arg-type]
        assert store.session(token) is None, f"{change} left the old session open ({before})"
        store.update("s1", active=True)


def test_new_password_ends_sessions_and_the_demo_mark(store: UserStore) -> None:
    store.add("demo", DEMO_PASSWORD, "commander", demo=True)
    session, token = store.open_session("demo"), store.open_session("demo", kind="token")
    with pytest.raises(InputError, match="too short"):
        store.set_password("demo", "short")
    assert store.session(session) is not None
    store.set_password("demo", PW)
    assert store.session(session) is None and store.session(token) is None
    assert store.verify("demo", DEMO_PASSWORD) is None and store.verify("demo", PW) is not None
    assert not store.get("demo").demo  # type: ignore[union-attr]
    with pytest.raises(InputError, match="no user"):
        store.set_password("nobody", PW)


def test_remove_ends_sessions(store: UserStore) -> None:
    store.add("boss", PW, "admin")
    store.add("temp", PW, "analyst")
    token = store.open_session("temp", kind="token")
    store.remove("temp")
    assert store.get("temp") is None and store.session(token) is None
    assert _sql(store, "SELECT COUNT(*) FROM sessions WHERE username = 'temp'") == [(0,)]
    with pytest.raises(InputError, match="no user"):
        store.remove("temp")


# -- sessions and tokens ---------------------------------------------------------------------------------
def test_session_round_trip_stores_only_a_hash(store: UserStore) -> None:
    store.add("s1", PW, "station", station_id="S01")
    token = store.open_session("s1")
    assert len(token) >= 40
    s = store.session(token)
    assert s is not None and s.kind == "session" and s.user.username == "s1" and s.user.station_id == "S01"
    assert s.token_sha256 == hashlib.sha256(token.encode()).hexdigest()
    assert len(s.csrf) >= 40 and s.csrf != token
    assert token.encode() not in _store_bytes(store)
    expires = datetime.fromisoformat(s.expires_at)
    assert timedelta(hours=11, minutes=59) < expires - datetime.now(UTC) <= timedelta(hours=12)
    other = store.open_session("s1")
    assert other != token and store.session(other).csrf != s.csrf  # type: ignore[union-attr]


def test_unknown_or_odd_tokens(store: UserStore) -> None:
    store.add("s1", PW, "analyst")
    token = store.open_session("s1")
    for bad in ("", "x", token[:-1], token + "x", token.upper(), "a" * 201, token + " " * 200):
        assert store.session(bad) is None, bad[:40]
    with pytest.raises(InputError, match="kind"):
        store.open_session("s1", kind="cookie")
    with pytest.raises(InputError, match="no user"):
        store.open_session("nobody")


def test_session_expires(store: UserStore) -> None:
    store.add("s1", PW, "analyst")
    short = store.open_session("s1", lifetime=timedelta(seconds=-1))
    assert store.session(short) is None
    token = store.open_session("s1", kind="token", lifetime=timedelta(hours=1))
    assert store.session(token) is not None
    past = (datetime.now(UTC) - timedelta(seconds=5)).isoformat(timespec="seconds")
    _sql(store, "UPDATE sessions SET expires_at = ?", past)
    assert store.session(token) is None
    store.open_session("s1")  # opening a session sweeps the expired ones
    assert _sql(store, "SELECT COUNT(*) FROM sessions WHERE expires_at < ?",
                datetime.now(UTC).isoformat(timespec="seconds")) == [(0,)]


def test_idle_sessions_end_but_tokens_do_not(store: UserStore) -> None:
    store.add("s1", PW, "analyst")
    session = store.open_session("s1")
    token = store.open_session("s1", kind="token")
    idle = timedelta(minutes=60)
    assert store.session(session, idle=idle) is not None
    old = (datetime.now(UTC) - timedelta(minutes=61)).isoformat(timespec="seconds")
    _sql(store, "UPDATE sessions SET last_seen = ?", old)
    assert store.session(token, idle=idle) is not None, "a script's token has no idle limit"
    assert store.session(session, idle=idle) is None
    # and the idle session is gone for good, not only refused once
    assert store.session(session) is None
    assert _sql(store, "SELECT COUNT(*) FROM sessions WHERE kind = 'session'") == [(0,)]


def test_use_marks_the_session_seen(store: UserStore) -> None:
    store.add("s1", PW, "analyst")
    session = store.open_session("s1")
    old = (datetime.now(UTC) - timedelta(minutes=50)).isoformat(timespec="seconds")
    _sql(store, "UPDATE sessions SET last_seen = ?", old)
    assert store.session(session, idle=timedelta(minutes=60)) is not None
    [(seen,)] = _sql(store, "SELECT last_seen FROM sessions")
    assert datetime.now(UTC) - datetime.fromisoformat(seen) < timedelta(minutes=1), "use must reset the idle clock"


def test_disabled_user_sessions_are_refused(store: UserStore) -> None:
    store.add("boss", PW, "admin")
    store.add("s1", PW, "analyst")
    token = store.open_session("s1", kind="token")
    # disabled behind the store's back (no session sweep): the session check itself must refuse
    _sql(store, "UPDATE users SET active = 0 WHERE username = 's1'")
    assert store.session(token) is None


def test_close_sessions(store: UserStore) -> None:
    store.add("s1", PW, "analyst")
    store.add("s2", PW, "analyst")
    a, b, c = store.open_session("s1"), store.open_session("s1", kind="token"), store.open_session("s2")
    store.close_session(a)
    assert store.session(a) is None and store.session(b) is not None
    store.close_session_by_hash(store.session(b).token_sha256)  # type: ignore[union-attr]
    assert store.session(b) is None
    d, e = store.open_session("s1"), store.open_session("s1", kind="token")
    assert store.close_sessions("s1") == 2
    assert store.session(d) is None and store.session(e) is None and store.session(c) is not None
