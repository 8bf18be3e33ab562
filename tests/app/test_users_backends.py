"""Users, sessions and sign-in limits behave alike in the embedded store (SQLite beside the .gpkg)
and in PostgreSQL (a throwaway cluster, tests/pg.py): the same rules, and concurrent writers -- threads
with their own connections, other processes -- lose no update.

Each ``open_store()`` / ``open_limits()`` call makes a new store object with its own connections, as
another web worker has. Argon2 runs with tiny costs here (tests/geo/test_users.py checks the real ones).
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from argon2 import PasswordHasher
from limits import parse
from limits.storage import Storage
from limits.strategies import FixedWindowRateLimiter, MovingWindowRateLimiter

import app.storage.users as users_mod
from app.storage.pg import PgUserStore, parse_location
from app.storage.ratelimit import PgLimitsStorage, SqliteStorage, limits_path
from app.storage.users import DEMO_PASSWORD, UserStore
from app.web.auth import LoginLimiter, TooManyAttemptsError
from geo.errors import InputError
from tests.pg import pg_url  # noqa: F401 - the fixture

PW = "correct horse battery"
STATIONS = {"S01", "S02"}
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def fast_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(users_mod, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


def _schema(tmp_path: Path, prefix: str) -> str:
    return f"{prefix}_{tmp_path.name[-12:].lower().replace('-', '_')}"


@pytest.fixture(params=["gpkg", "postgresql"])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where the workspace's users live: a .gpkg path (its SQLite sidecar) or a postgresql:// schema."""
    if request.param == "gpkg":
        ws = tmp_path / "district.gpkg"
        ws.write_bytes(b"")
        return str(ws)
    return f"{request.getfixturevalue('pg_url')}?schema={_schema(tmp_path, 'users')}"


def _open(location: str) -> UserStore:
    return PgUserStore(location) if location.startswith("postgresql://") else UserStore(location)


@pytest.fixture()
def open_store(location: str) -> Callable[[], UserStore]:
    return lambda: _open(location)


@pytest.fixture()
def store(open_store: Callable[[], UserStore]) -> UserStore:
    return open_store()


def _sql(store: UserStore, query: str, *args: object) -> list[tuple[Any, ...]]:
    """A statement run behind the store's back (another program, an administrator's psql)."""
    if isinstance(store, PgUserStore):
        dsn, schema = parse_location(store.url)
        with psycopg.connect(dsn) as con:
            con.execute(f"SET search_path TO {schema}")
            cur = con.execute(query.replace("?", "%s"), args)
            return cur.fetchall() if cur.description else []
    import sqlite3

    con = sqlite3.connect(store.path)
    try:
        with con:
            return con.execute(query, args).fetchall()
    finally:
        con.close()


def _ago(**delta: float) -> str:
    return (datetime.now(UTC) - timedelta(**delta)).isoformat(timespec="seconds")


# -- the rules, on both backends --------------------------------------------------------------------------
def test_an_empty_store_answers_empty(store: UserStore) -> None:
    assert not store.has_users() and not store.has_admin() and store.list() == []
    assert store.get("nobody") is None and store.verify("nobody", PW) is None and store.session("x" * 43) is None
    with pytest.raises(InputError, match="no user"):
        store.update("nobody", role="analyst")
    with pytest.raises(InputError, match="no user"):
        store.open_session("nobody")


def test_users_roles_and_the_last_admin(store: UserStore) -> None:
    user = store.add("Zhang.San", PW, "commander", display_name="张三")
    assert (user.username, user.role, user.display_name, user.active, user.demo) == ("zhang.san", "commander", "张三",
                                                                                      True, False)
    [(stored,)] = _sql(store, "SELECT password_hash FROM users WHERE username = 'zhang.san'")
    assert stored.startswith("$argon2id$") and PW not in stored
    with pytest.raises(InputError, match="exists") as dup:
        store.add("ZHANG.SAN", "another long password", "analyst")
    assert dup.value.code == "users.exists"  # type: ignore[attr-defined]
    with pytest.raises(InputError, match="S99"):
        store.add("beihu", PW, "station", station_id="S99", stations=STATIONS)
    store.add("beihu", PW, "station", station_id="S01", stations=STATIONS)
    assert store.has_users() and not store.has_admin()
    store.add("boss", PW, "admin")
    assert store.has_admin() and [u.username for u in store.list()] == ["beihu", "boss", "zhang.san"]
    with pytest.raises(InputError, match="last active admin") as last:
        store.update("boss", active=False)
    assert last.value.code == "users.last_admin"  # type: ignore[attr-defined]
    with pytest.raises(InputError, match="last active admin"):
        store.remove("boss")
    user = store.update("beihu", role="station", station_id="S02", stations=STATIONS)
    assert (user.role, user.station_id) == ("station", "S02")
    assert store.update("beihu", role="analyst").station_id is None
    with pytest.raises(InputError, match="only station users"):
        store.update("beihu", station_id="S01")
    store.remove("beihu")
    assert store.get("beihu") is None
    with pytest.raises(InputError, match="no user"):
        store.remove("beihu")


def test_passwords_verify_rehash_and_end_sessions(store: UserStore) -> None:
    store.add("boss", PW, "admin")
    store.add("demo", DEMO_PASSWORD, "commander", demo=True)
    assert store.verify(" DEMO ", DEMO_PASSWORD).username == "demo"  # type: ignore[union-attr]
    assert store.verify("demo", DEMO_PASSWORD + "x") is None and store.verify("nobody", PW) is None
    session, token = store.open_session("demo"), store.open_session("demo", kind="token")
    store.set_password("demo", PW)
    assert store.session(session) is None and store.session(token) is None
    assert store.verify("demo", DEMO_PASSWORD) is None and not store.get("demo").demo  # type: ignore[union-attr]
    with pytest.raises(InputError, match="too short"):
        store.set_password("demo", "short")
    # an outdated hash is upgraded at sign-in
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PW)
    _sql(store, "UPDATE users SET password_hash = ? WHERE username = 'demo'", weak)
    assert store.verify("demo", PW) is not None
    [(now,)] = _sql(store, "SELECT password_hash FROM users WHERE username = 'demo'")
    assert now != weak and not users_mod._HASHER.check_needs_rehash(now)
    # disabled: no sign-in, no session, even one opened before
    kept = store.open_session("demo", kind="token")
    _sql(store, "UPDATE users SET active = 0 WHERE username = 'demo'")  # behind the store's back
    assert store.session(kept) is None and store.verify("demo", PW) is None


def test_sessions_expire_idle_and_close(store: UserStore) -> None:
    store.add("s1", PW, "station", station_id="S01")
    store.add("s2", PW, "analyst")
    token = store.open_session("s1")
    s = store.session(token)
    assert s is not None and s.user.username == "s1" and s.user.station_id == "S01" and len(s.csrf) >= 40
    assert s.token_sha256 == hashlib.sha256(token.encode()).hexdigest()
    assert _sql(store, "SELECT count(*) FROM sessions WHERE token_sha256 = ?", token) == [(0,)]  # only the hash
    for bad in ("", token[:-1], token + "x", "a" * 201):
        assert store.session(bad) is None
    with pytest.raises(InputError, match="kind"):
        store.open_session("s1", kind="cookie")
    assert store.session(store.open_session("s1", lifetime=timedelta(seconds=-1))) is None
    # idle: a browser session ends, a script's token does not; use marks a session seen
    script = store.open_session("s1", kind="token")
    _sql(store, "UPDATE sessions SET last_seen = ?", _ago(minutes=61))
    idle = timedelta(minutes=60)
    assert store.session(script, idle=idle) is not None and store.session(token, idle=idle) is None
    assert store.session(token) is None
    fresh = store.open_session("s1")
    _sql(store, "UPDATE sessions SET last_seen = ? WHERE kind = 'session'", _ago(minutes=50))
    assert store.session(fresh, idle=idle) is not None
    [(seen,)] = _sql(store, "SELECT last_seen FROM sessions WHERE kind = 'session'")
    assert datetime.now(UTC) - datetime.fromisoformat(seen) < timedelta(minutes=1)
    # expired ones are swept when a session opens
    _sql(store, "UPDATE sessions SET expires_at = ? WHERE kind = 'token'", _ago(seconds=5))
    assert store.session(script) is None
    other = store.open_session("s2")
    assert _sql(store, "SELECT count(*) FROM sessions WHERE kind = 'token'") == [(0,)]
    # closing
    a, b = store.open_session("s1"), store.open_session("s1", kind="token")
    store.close_session(a)
    assert store.session(a) is None and store.session(b) is not None
    store.close_session_by_hash(store.session(b).token_sha256)  # type: ignore[union-attr]
    assert store.session(b) is None
    store.open_session("s1")
    assert store.close_sessions("s1") == 2 and store.session(other) is not None  # fresh and the last one
    # a role change, disabling or removal ends the user's sessions; a new display name does not
    t = store.open_session("s2")
    store.update("s2", display_name="李四")
    assert store.session(t) is not None
    store.update("s2", active=False)
    store.update("s2", active=True)
    assert store.session(t) is None
    t = store.open_session("s2", kind="token")
    store.remove("s2")
    assert store.session(t) is None and _sql(store, "SELECT count(*) FROM sessions WHERE username = 's2'") == [(0,)]


# -- concurrent writers -------------------------------------------------------------------------------------
def _together(*calls: Callable[[], object]) -> list[object]:
    """Run the calls in threads at once; what each returned or raised, in order."""
    out: list[object] = [None] * len(calls)

    def run(i: int) -> None:
        try:
            out[i] = calls[i]()
        except Exception as exc:  # noqa: BLE001 - returned to the test
            out[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return out


def test_two_admins_changing_one_user_lose_no_update(open_store: Callable[[], UserStore],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    store = open_store()
    store.add("boss", PW, "admin")
    store.add("beihu", PW, "station", station_id="S01")
    real = UserStore._check_role

    def slow(role: str, station_id: str | None, stations: set[str] | None) -> str | None:
        time.sleep(0.3)  # between reading the user and writing it: the other admin's change lands here
        return real(role, station_id, stations)

    monkeypatch.setattr(UserStore, "_check_role", staticmethod(slow))
    a, b = open_store(), open_store()
    results = _together(lambda: a.update("beihu", display_name="北湖路 张三"),
                        lambda: b.update("beihu", role="commander"))
    assert not [r for r in results if isinstance(r, Exception)], results
    user = store.get("beihu")
    assert user is not None and (user.display_name, user.role, user.station_id) == ("北湖路 张三", "commander", None)


def test_two_admins_disabling_the_last_two_admins_keep_one(open_store: Callable[[], UserStore],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    store = open_store()
    store.add("boss1", PW, "admin")
    store.add("boss2", PW, "admin")
    real = UserStore._keep_an_admin

    def slow(con: Any, username: str) -> None:
        real(con, username)
        time.sleep(0.3)  # checked, not yet written

    monkeypatch.setattr(UserStore, "_keep_an_admin", staticmethod(slow))
    a, b = open_store(), open_store()
    results = _together(lambda: a.update("boss1", active=False), lambda: b.remove("boss2"))
    refused = [r for r in results if isinstance(r, InputError)]
    assert len(refused) == 1 and "last active admin" in str(refused[0]), results
    assert store.has_admin() and len([u for u in store.list() if u.role == "admin" and u.active]) == 1


def test_a_session_opened_while_its_user_is_disabled_or_removed_never_lives(open_store: Callable[[], UserStore],
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    store = open_store()
    store.add("boss", PW, "admin")
    store.add("s1", PW, "analyst")
    store.add("s2", PW, "analyst")
    real = UserStore._locked_user

    def slow(self: UserStore, con: Any, username: str) -> Any:
        user = real(self, con, username)
        time.sleep(0.3)
        return user

    monkeypatch.setattr(UserStore, "_locked_user", slow)
    a, b = open_store(), open_store()
    results = _together(lambda: a.update("s1", active=False), lambda: b.open_session("s1"),
                        lambda: a.remove("s2"), lambda: b.open_session("s2"))
    assert not isinstance(results[0], Exception) and not isinstance(results[2], Exception), results
    token = results[1]
    assert isinstance(token, str) and store.session(token) is None
    store.update("s1", active=True)
    assert store.session(token) is None, "re-enabling the user revived a session opened while it was disabled"
    assert isinstance(results[3], InputError) or store.session(results[3]) is None  # type: ignore[arg-type]
    assert _sql(store, "SELECT count(*) FROM sessions WHERE username IN ('s1', 's2')") == [(0,)]


def test_many_writers_at_once(open_store: Callable[[], UserStore]) -> None:
    store = open_store()
    store.add("boss", PW, "admin")
    tokens: list[str] = []
    lock = threading.Lock()

    def worker(i: int) -> None:
        own = open_store()
        for j in range(5):
            name = f"w{i}-{j}"
            own.add(name, PW, "analyst")
            t = own.open_session(name)
            own.update(name, display_name=f"{i}/{j}")
            with lock:
                tokens.append(t)

    assert _together(*[lambda i=i: worker(i) for i in range(4)]) == [None] * 4
    assert len(store.list()) == 21 and all(store.session(t) is not None for t in tokens)
    assert {u.display_name for u in store.list() if u.username != "boss"} == {f"{i}/{j}" for i in range(4)
                                                                             for j in range(5)}


def test_a_session_made_in_one_process_is_used_in_another(store: UserStore, location: str) -> None:
    store.add("s1", PW, "analyst")
    token = store.open_session("s1")
    code = ("import sys; from app.storage.pg import PgUserStore; from app.storage.users import UserStore; "
            "loc, token = sys.argv[1:]; "
            "s = (PgUserStore if loc.startswith('postgresql://') else UserStore)(loc); "
            "print(s.session(token).user.username); s.close_session(token)")
    out = subprocess.run([sys.executable, "-c", code, location, token], capture_output=True, text=True, timeout=120,
                         cwd=ROOT, check=True)
    assert out.stdout.strip() == "s1"
    assert store.session(token) is None  # signed out there, signed out here


# -- PostgreSQL only: one kept connection per thread, renewed when the server drops it ----------------------
def test_postgres_keeps_one_connection_per_thread_and_renews_a_dropped_one(pg_url: str, tmp_path: Path) -> None:  # noqa: F811
    store = PgUserStore(f"{pg_url}?schema={_schema(tmp_path, 'conn')}")
    store.add("s1", PW, "analyst")
    token = store.open_session("s1")
    for _ in range(20):
        assert store.session(token) is not None
    con = store._conns.get()
    seen: list[object] = []
    t = threading.Thread(target=lambda: (store.session(token), seen.append(store._conns.get())))
    t.start()
    t.join()
    assert store._conns.get() is con and seen[0] is not con
    dsn, _ = parse_location(pg_url)
    with psycopg.connect(dsn, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (con.info.backend_pid,))
    assert store.session(token) is not None  # a read: retried on a new connection
    admin_pid = store._conns.get().info.backend_pid
    with psycopg.connect(dsn, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (admin_pid,))
    store.close_session(token)  # a write: its transaction starts on a new connection
    assert store.session(token) is None


def test_postgres_answers_a_sign_in_check_in_well_under_a_millisecond(pg_url: str, tmp_path: Path) -> None:  # noqa: F811
    store = PgUserStore(f"{pg_url}?schema={_schema(tmp_path, 'fast')}")
    store.add("s1", PW, "analyst")
    token = store.open_session("s1")
    for _ in range(50):
        store.session(token)
    started = time.perf_counter()
    for _ in range(500):
        assert store.session(token) is not None
    assert (time.perf_counter() - started) / 500 < 0.002  # ~0.06 ms measured; generous for a loaded machine


# -- sign-in limits shared by every worker ------------------------------------------------------------------
@pytest.fixture()
def limits_location(location: str) -> str:
    return str(limits_path(location)) if not location.startswith("postgresql://") else location


def _limits(where: str) -> Storage:
    return PgLimitsStorage(where) if where.startswith("postgresql://") else SqliteStorage(where)


def test_sign_in_failures_lock_on_every_backend(limits_location: str) -> None:
    limiter = LoginLimiter("3/minute", "5/minute", storage=_limits(limits_location))
    for _ in range(3):
        limiter.check("10.0.0.1", "bob", "en")
        limiter.failed("10.0.0.1", "bob")
    other = LoginLimiter("3/minute", "5/minute", storage=_limits(limits_location))  # another worker
    with pytest.raises(TooManyAttemptsError) as locked:
        other.check("10.0.0.1", " BOB ", "en")
    assert 50 <= locked.value.retry_after_s <= 61
    other.check("10.0.0.1", "alice", "en")  # another name from that client: its own budget, until...
    other.failed("10.0.0.1", "alice")
    other.failed("10.0.0.1", "carol")
    with pytest.raises(TooManyAttemptsError):
        other.check("10.0.0.1", "dave", "en")  # ...the client's 5 failures in all
    other.check("10.0.0.2", "bob", "en")
    other.reset()
    limiter.check("10.0.0.1", "bob", "en")


def test_fixed_and_moving_windows_count_and_expire(limits_location: str) -> None:
    storage = _limits(limits_location)
    fixed, item = FixedWindowRateLimiter(storage), parse("2/second")
    assert [fixed.hit(item, "k") for _ in range(3)] == [True, True, False]
    assert fixed.get_window_stats(item, "k").remaining == 0 and storage.get("nothing") == 0
    moving, per_second = MovingWindowRateLimiter(storage), parse("3/second")
    assert [moving.hit(per_second, "m") for _ in range(4)] == [True, True, True, False]
    stats = moving.get_window_stats(per_second, "m")
    assert stats.remaining == 0 and time.time() - 1 < stats.reset_time < time.time() + 1.5
    time.sleep(1.1)
    assert fixed.hit(item, "k") and moving.hit(per_second, "m")
    assert moving.get_window_stats(per_second, "m").remaining == 2
    moving.clear(per_second, "m")
    assert moving.get_window_stats(per_second, "m").remaining == 3 and storage.check()
    assert not storage.acquire_entry("big", 2, 60, amount=3)  # type: ignore[attr-defined]


def test_concurrent_tries_never_pass_the_limit(limits_location: str) -> None:
    passed: list[bool] = []
    lock = threading.Lock()

    def worker() -> None:
        storage = _limits(limits_location)  # its own connection, as another worker process has
        for _ in range(6):
            ok = storage.acquire_entry("u:10.0.0.9:bob", 10, 60)  # type: ignore[attr-defined]
            with lock:
                passed.append(ok)

    assert _together(*[worker for _ in range(4)]) == [None] * 4
    assert passed.count(True) == 10 and len(passed) == 24


def test_the_limits_are_shared_across_processes(limits_location: str) -> None:
    code = ("import sys; from app.storage.ratelimit import PgLimitsStorage, SqliteStorage; where = sys.argv[1]; "
            "s = (PgLimitsStorage if where.startswith('postgresql://') else SqliteStorage)(where); "
            "from limits import parse; from limits.strategies import MovingWindowRateLimiter; "
            "m, item = MovingWindowRateLimiter(s), parse('7/minute'); "
            "print(sum(m.hit(item, 'c:10.0.0.7') for _ in range(5)))")
    procs = [subprocess.Popen([sys.executable, "-c", code, limits_location], stdout=subprocess.PIPE, text=True,
                              cwd=ROOT) for _ in range(2)]
    counts = [int(p.communicate(timeout=120)[0]) for p in procs]
    assert sum(counts) == 7, counts  # 10 tries, 7 allowed in all
    limiter = LoginLimiter("7/minute", "7/minute", storage=_limits(limits_location))
    with pytest.raises(TooManyAttemptsError):
        limiter.check("10.0.0.7", "anyone", "en")
