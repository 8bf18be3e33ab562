"""Users, their roles and their sessions.

The users of a workspace live in an SQLite file beside it (``.<name>.users.sqlite``), like the
audit log: the workspace itself is replaced as a whole on every write and restored from backups,
and neither should bring back an old password. A workspace in PostgreSQL keeps them in its schema
(:class:`app.storage.pg.PgUserStore`: this module's code over the backend hooks ``_read``/``_write``). Passwords are hashed with Argon2id
(:mod:`argon2`, RFC 9106 parameters); only the hash is stored. Sessions (browser) and tokens
(scripts) are random 256-bit secrets of which only the SHA-256 is stored; each expires after an
absolute lifetime and after a time without use, and ends at once when its user is disabled,
removed or given a new password.

A workspace has no users until an administrator adds them (``patrolnet users add``); there is no
default password. Only ``patrolnet demo`` creates users with a published password, marked ``demo``.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from geo.errors import InputError, WorkspaceError

__all__ = [
    "DEMO_PASSWORD",
    "MIN_PASSWORD_LENGTH",
    "ROLES",
    "USERS_DDL",
    "USERS_DDL_PG",
    "Session",
    "User",
    "UserStore",
    "users_path",
]

#: commander: the whole district; station: its own jurisdiction; analyst: read-only, no exports of
#: gap lists or routes; admin: users and data; officer: one unit's plan on the phone page and its track.
ROLES = ("admin", "commander", "station", "analyst", "officer")
MIN_PASSWORD_LENGTH = 10
#: The password of the users ``patrolnet demo`` creates (shown on the demo's login page).
DEMO_PASSWORD = "patrolnet-demo"
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{1,31}$")
_HASHER = PasswordHasher()  # argon2id, RFC 9106 low-memory profile (t=3, m=64 MiB, p=4)
_DUMMY_HASH = _HASHER.hash("not a password of anyone")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    username TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    station_id TEXT,
    display_name TEXT NOT NULL DEFAULT '',
    active INTEGER NOT NULL DEFAULT 1,
    demo INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    password_changed_at TEXT NOT NULL,
    unit_id TEXT
);
CREATE TABLE IF NOT EXISTS sessions (
    token_sha256 TEXT PRIMARY KEY,
    username TEXT NOT NULL REFERENCES users(username) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    csrf TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    last_seen TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_user ON sessions(username);
CREATE TABLE IF NOT EXISTS shift_links (
    token_sha256 TEXT PRIMARY KEY,
    link_id TEXT NOT NULL UNIQUE,
    unit_id TEXT NOT NULL,
    unit_name TEXT NOT NULL DEFAULT '',
    station_id TEXT,
    day TEXT NOT NULL,
    shift TEXT NOT NULL,
    csrf TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    revoked_at TEXT,
    opened_at TEXT
);
"""
#: Columns added since a store was first made: (table, column, type), added when missing.
_ADDED_COLUMNS = (("users", "unit_id", "TEXT"),)
#: The tables in either backend (the same SQL runs in SQLite and in PostgreSQL).
USERS_DDL = _SCHEMA
#: PostgreSQL's: the tables, and the columns added since a schema was made, each only when missing (an
#: ALTER TABLE locks the table even when it changes nothing). SQLite's are added by
#: :meth:`UserStore._create`.
USERS_DDL_PG = _SCHEMA + "".join(
    f"DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() "
    f"AND table_name = '{t}' AND column_name = '{c}') THEN ALTER TABLE {t} ADD COLUMN {c} {ty}; END IF; END $$;\n"
    for t, c, ty in _ADDED_COLUMNS)
#: How long a one-shift link stays valid after its shift ends (the track of the shift's last hour is sent).
LINK_GRACE = timedelta(hours=2)


def users_path(workspace: str | os.PathLike[str]) -> Path:
    """Where the users of ``workspace`` live."""
    path = Path(workspace)
    return path.with_name(f".{path.name}.users.sqlite")


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(t: datetime) -> str:
    return t.isoformat(timespec="seconds")


def _sha(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class User:
    username: str
    role: str
    station_id: str | None
    display_name: str
    active: bool
    demo: bool
    created_at: str
    password_changed_at: str
    unit_id: str | None = None  # an officer's unit (units layer)

    def as_dict(self) -> dict[str, Any]:
        """Everything but the password hash (which never leaves the store)."""
        return {"username": self.username, "role": self.role, "station_id": self.station_id,
                "unit_id": self.unit_id, "display_name": self.display_name, "active": self.active,
                "demo": self.demo, "created_at": self.created_at, "password_changed_at": self.password_changed_at}


@dataclass(frozen=True)
class Session:
    user: User
    kind: str  # "session" (browser cookie), "token" (Authorization: Bearer) or "link" (a one-shift link's cookie)
    csrf: str
    created_at: str
    expires_at: str
    token_sha256: str

    @property
    def link_id(self) -> str:
        """The id of a one-shift link's session (``kind == "link"``)."""
        return self.user.username.removeprefix("link-")


def _coded(exc: InputError, code: str, **fmt: object) -> InputError:
    """Tag an error with a message key (``error.<code>`` in :mod:`app.i18n`) so that the web app can
    say it in the user's language; the English text stays the message (the command line shows it)."""
    exc.code = code  # type: ignore[attr-defined]
    exc.fmt = fmt  # type: ignore[attr-defined]
    return exc


def check_password(password: str, *, username: str = "") -> None:
    """Refuse a password that is too short or equals the user name.

    Raises
    ------
    InputError
        Naming the rule and the fix.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        raise _coded(InputError(f"password too short ({len(password)} characters): use at least "
                         f"{MIN_PASSWORD_LENGTH}, e.g. three unrelated words"),
                     "users.password_short", n=len(password), min=MIN_PASSWORD_LENGTH)
    if username and password.strip().lower() == username.lower():
        raise _coded(InputError("the password must not be the user name"), "users.password_is_name")


class UserStore:
    """The users and sessions of one workspace (thread-safe: one connection per thread, kept open).

    Every change runs in one write transaction that holds the writer's turn (``BEGIN IMMEDIATE``)
    and reads what it checks inside it, so two administrators changing one user, or a sign-in
    while the user is disabled, never lose an update or leave a rule broken, across processes too.
    """

    def __init__(self, workspace: str | os.PathLike[str]):
        self.workspace = Path(workspace)
        self.path = users_path(workspace)
        self._lock = threading.RLock()
        self._local = threading.local()
        self._ready = False
        self._ino: int | None = None

    # -- the backend: ``_read`` and ``_write`` are what another store (PostgreSQL) replaces ------------
    @contextmanager
    def _read(self) -> Iterator[Any]:
        """A connection whose ``execute(sql, args)`` takes ``?`` placeholders."""
        with self._db() as con:
            yield con

    @contextmanager
    def _write(self) -> Iterator[Any]:
        """A write transaction holding the writer's turn: nobody else writes until it ends."""
        with self._lock, self._db(write=True) as con:
            con.execute("BEGIN IMMEDIATE")
            yield con

    # -- plumbing -----------------------------------------------------------------------------------
    @contextmanager
    def _db(self, *, write: bool = False) -> Iterator[sqlite3.Connection]:
        """A transaction on this thread's connection (kept open: a sign-in check runs on every
        request). Reading a store that does not exist yet reads an empty one and creates nothing."""
        if not self.path.exists():
            self._ready = False
            if not write:
                con = sqlite3.connect(":memory:")
                try:
                    con.executescript(_SCHEMA)
                    with con:
                        yield con
                finally:
                    con.close()
                return
        if not self._ready:
            self._create()
        con = getattr(self._local, "con", None)
        if con is None or getattr(self._local, "ino", None) != self._ino:
            if con is not None:
                con.close()
            try:
                con = sqlite3.connect(self.path, timeout=30)
                con.execute("PRAGMA foreign_keys = ON")
            except sqlite3.Error as exc:
                raise WorkspaceError(f"cannot open the user store {self.path} ({exc}); check the folder's "
                                     f"permissions", code="storage.users_unreadable", reason=str(exc)) from exc
            self._local.con, self._local.ino = con, self._ino
        with con:
            yield con

    def _create(self) -> None:
        """Create the store (schema, mode 0600) once per process and file."""
        with self._lock:
            try:
                con = sqlite3.connect(self.path, timeout=30)
                try:
                    # a rollback journal, not a write-ahead log: the file alone is always complete, so a
                    # copy of it (a backup, a move to another machine) holds every committed change
                    con.execute("PRAGMA journal_mode = DELETE")
                    con.executescript(_SCHEMA)
                    for table, column, kind in _ADDED_COLUMNS:  # a store made by an older version
                        if column not in {r[1] for r in con.execute(f"PRAGMA table_info({table})")}:
                            con.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
                finally:
                    con.close()
                os.chmod(self.path, 0o600)
            except sqlite3.Error as exc:
                raise WorkspaceError(f"cannot open the user store {self.path} ({exc}); check the folder's "
                                     f"permissions", code="storage.users_unreadable", reason=str(exc)) from exc
            except OSError:
                pass
            self._ino = os.stat(self.path).st_ino
            self._ready = True

    @staticmethod
    def _user(row: tuple[Any, ...]) -> User:
        return User(row[0], row[1], row[2], row[3], bool(row[4]), bool(row[5]), row[6], row[7], row[8])

    _COLS = "username, role, station_id, display_name, active, demo, created_at, password_changed_at, unit_id"

    # -- users --------------------------------------------------------------------------------------
    def has_users(self) -> bool:
        with self._read() as con:
            return con.execute("SELECT 1 FROM users WHERE active = 1 LIMIT 1").fetchone() is not None

    def has_admin(self) -> bool:
        with self._read() as con:
            return con.execute("SELECT 1 FROM users WHERE active = 1 AND role = 'admin' LIMIT 1").fetchone() is not None

    def list(self) -> list[User]:
        with self._read() as con:
            return [self._user(r) for r in con.execute(f"SELECT {self._COLS} FROM users ORDER BY username")]

    def get(self, username: str) -> User | None:
        with self._read() as con:
            row = con.execute(f"SELECT {self._COLS} FROM users WHERE username = ?", (username,)).fetchone()
        return self._user(row) if row else None

    def add(self, username: str, password: str, role: str, *, station_id: str | None = None,
            display_name: str = "", demo: bool = False, stations: set[str] | None = None,
            unit_id: str | None = None, units: set[str] | None = None) -> User:
        """Add a user.

        Raises
        ------
        InputError
            On a bad user name, role, station or password, or a user name already taken.
        """
        username = username.strip().lower()
        if not _USERNAME.match(username):
            raise _coded(InputError(f"user name {username!r}: use 2-32 lowercase letters, digits, '.', '_' or '-', "
                             f"starting with a letter or digit (the display name may be Chinese)"),
                         "users.bad_name", name=username)
        station_id = self._check_role(role, station_id, stations)
        unit_id = self._check_unit(role, unit_id, units)
        if not demo:
            check_password(password, username=username)
        now = _iso(_now())
        hashed = _HASHER.hash(password)  # before the transaction: the writer's turn is not held for it
        with self._write() as con:
            if con.execute("SELECT 1 FROM users WHERE username = ?", (username,)).fetchone():
                raise _coded(InputError(f"user {username!r} exists already; change it with 'patrolnet users set' "
                                 f"or pick another name"), "users.exists", name=username)
            con.execute("INSERT INTO users (username, password_hash, role, station_id, display_name, active, demo, "
                        "created_at, password_changed_at, unit_id) VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?, ?)",
                        (username, hashed, role, station_id, display_name, int(demo), now, now, unit_id))
        user = self.get(username)
        assert user is not None
        return user

    @staticmethod
    def _check_role(role: str, station_id: str | None, stations: set[str] | None) -> str | None:
        if role not in ROLES:
            raise _coded(InputError(f"role {role!r}: use one of {', '.join(ROLES)}"), "users.bad_role", role=role)
        if role == "station":
            if not station_id:
                raise _coded(InputError("a station user needs --station STATION_ID (its jurisdiction), e.g. S01"),
                             "users.need_station")
            if stations is not None and station_id not in stations:
                raise _coded(InputError(f"station {station_id!r} is not in the workspace's stations layer; "
                                 f"use one of {', '.join(sorted(stations))}"),
                             "users.unknown_station", station=station_id, stations=", ".join(sorted(stations)))
            return station_id
        if station_id:
            raise _coded(InputError(f"only station users have a station; a {role} sees the whole district "
                             f"(leave --station out)"), "users.station_for_role", role=role)
        return None

    @staticmethod
    def _check_unit(role: str, unit_id: str | None, units: set[str] | None) -> str | None:
        """An officer's unit (required, and in the units layer when ``units`` is given); others have none."""
        unit_id = (unit_id or "").strip() or None
        if role != "officer":
            if unit_id:
                raise _coded(InputError(f"only officer users have a unit; a {role} user has none (leave --unit out)"),
                             "users.unit_for_role", role=role)
            return None
        if not unit_id:
            raise _coded(InputError("an officer user needs --unit UNIT_ID (the unit whose plan it carries), e.g. U0001"),
                         "users.need_unit")
        if units is not None and unit_id not in units:
            shown = ", ".join(sorted(units)[:12]) + (" ..." if len(units) > 12 else "")
            raise _coded(InputError(f"unit {unit_id!r} is not in the workspace's units layer; use one of {shown}"),
                         "users.unknown_unit", unit=unit_id, units=shown)
        return unit_id

    def update(self, username: str, *, role: str | None = None, station_id: str | None = None,
               display_name: str | None = None, active: bool | None = None,
               stations: set[str] | None = None, unit_id: str | None = None, units: set[str] | None = None) -> User:
        """Change a user's role, station, display name or active flag; a role, station or active
        change ends the user's sessions.

        Raises
        ------
        InputError
            When there is no such user, or the change is not valid, or it would leave no active admin.
        """
        self._require(username)  # (an unknown user is refused without creating the store)
        with self._write() as con:  # the user as it is now, read under the writer's turn: no lost update
            user = self._locked_user(con, username)
            new_role = role or user.role
            new_station = station_id if (station_id is not None or role is not None) else user.station_id
            new_station = self._check_role(new_role, new_station or None, stations)
            new_unit = unit_id if unit_id is not None else (user.unit_id if new_role == "officer" else None)
            new_unit = self._check_unit(new_role, new_unit, units if new_unit != user.unit_id else None)
            new_active = user.active if active is None else active
            if user.role == "admin" and (new_role != "admin" or not new_active):
                self._keep_an_admin(con, username)
            con.execute("UPDATE users SET role = ?, station_id = ?, display_name = ?, active = ?, unit_id = ? "
                        "WHERE username = ?",
                        (new_role, new_station, user.display_name if display_name is None else display_name,
                         int(new_active), new_unit, username))
            if (new_role, new_station, new_active, new_unit) != (user.role, user.station_id, user.active, user.unit_id):
                con.execute("DELETE FROM sessions WHERE username = ?", (username,))
            return self._locked_user(con, username)

    def _locked_user(self, con: Any, username: str) -> User:
        row = con.execute(f"SELECT {self._COLS} FROM users WHERE username = ?", (username,)).fetchone()
        if row is None:
            raise self._no_user(username)
        return self._user(row)

    @staticmethod
    def _keep_an_admin(con: Any, username: str) -> None:
        others = con.execute("SELECT COUNT(*) FROM users WHERE role = 'admin' AND active = 1 AND username != ?",
                             (username,)).fetchone()[0]
        if not others:
            raise _coded(InputError(f"{username!r} is the last active admin; add another admin first"),
                         "users.last_admin", name=username)

    def set_password(self, username: str, password: str) -> None:
        """Give a user a new password (ends all their sessions).

        Raises
        ------
        InputError
            When there is no such user or the password is too weak.
        """
        self._require(username)
        check_password(password, username=username)
        hashed = _HASHER.hash(password)
        with self._write() as con:
            if not con.execute("UPDATE users SET password_hash = ?, password_changed_at = ?, demo = 0 WHERE username = ?",
                               (hashed, _iso(_now()), username)).rowcount:
                raise self._no_user(username)  # removed meanwhile
            con.execute("DELETE FROM sessions WHERE username = ?", (username,))

    def remove(self, username: str) -> None:
        """Remove a user and their sessions (the audit log keeps their name).

        Raises
        ------
        InputError
            When there is no such user or it is the last active admin.
        """
        self._require(username)
        with self._write() as con:
            user = self._locked_user(con, username)
            if user.role == "admin" and user.active:
                self._keep_an_admin(con, username)
            con.execute("DELETE FROM sessions WHERE username = ?", (username,))
            con.execute("DELETE FROM users WHERE username = ?", (username,))

    def _require(self, username: str) -> User:
        user = self.get(username)
        if user is None:
            raise self._no_user(username)
        return user

    @staticmethod
    def _no_user(username: str) -> InputError:
        return _coded(InputError(f"no user {username!r}; list them with 'patrolnet users list'"),
                      "users.no_user", name=username)

    def verify(self, username: str, password: str) -> User | None:
        """The active user whose password this is, else ``None`` (the same work either way, so that
        the answer time does not tell whether a user name exists). Rehashes an outdated hash."""
        username = (username or "").strip().lower()
        with self._read() as con:
            row = con.execute("SELECT password_hash, active FROM users WHERE username = ?", (username,)).fetchone()
        stored = row[0] if row else _DUMMY_HASH
        try:
            _HASHER.verify(stored, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        if row is None or not row[1]:
            return None
        if _HASHER.check_needs_rehash(stored):
            hashed = _HASHER.hash(password)
            with self._write() as con:  # unless a new password was set meanwhile
                con.execute("UPDATE users SET password_hash = ? WHERE username = ? AND password_hash = ?",
                            (hashed, username, stored))
        return self.get(username)

    # -- sessions -----------------------------------------------------------------------------------
    def open_session(self, username: str, *, kind: str = "session", lifetime: timedelta = timedelta(hours=12)) -> str:
        """A new session or token for ``username``; returns the secret (shown once, stored hashed)."""
        if kind not in ("session", "token"):
            raise InputError(f"session kind {kind!r}: use 'session' or 'token'")
        self._require(username)
        token = secrets.token_urlsafe(32)
        now = _now()
        with self._write() as con:  # the user checked under the writer's turn: not removed meanwhile
            if con.execute("SELECT 1 FROM users WHERE username = ?", (username,)).fetchone() is None:
                raise self._no_user(username)
            con.execute("DELETE FROM sessions WHERE expires_at < ?", (_iso(now),))
            con.execute("INSERT INTO sessions (token_sha256, username, kind, csrf, created_at, expires_at, last_seen) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (_sha(token), username, kind, secrets.token_urlsafe(32), _iso(now), _iso(now + lifetime),
                         _iso(now)))
        return token

    def session(self, token: str, *, idle: timedelta | None = None) -> Session | None:
        """The live session of ``token`` (``None`` when unknown, expired, idle too long or its user is
        disabled); marks it used (at most once a minute)."""
        if not token or len(token) > 200:
            return None
        now = _now()
        key = _sha(token)
        with self._read() as con:
            row = con.execute(
                f"SELECT s.kind, s.csrf, s.created_at, s.expires_at, s.last_seen, "
                f"{', '.join('u.' + c.strip() for c in self._COLS.split(','))} "
                "FROM sessions s JOIN users u ON u.username = s.username WHERE s.token_sha256 = ?", (key,)).fetchone()
        if row is None:
            return None
        kind, csrf, created, expires, last_seen = row[:5]
        user = self._user(row[5:])
        if not user.active or datetime.fromisoformat(expires) <= now:
            return None
        seen = datetime.fromisoformat(last_seen)
        if idle is not None and kind == "session" and now - seen > idle:
            self.close_session(token)
            return None
        if now - seen > timedelta(minutes=1):
            with self._write() as con:
                con.execute("UPDATE sessions SET last_seen = ? WHERE token_sha256 = ?", (_iso(now), key))
        return Session(user, kind, csrf, created, expires, key)

    def close_session(self, token: str) -> None:
        """End one session or token (logout)."""
        with self._write() as con:
            con.execute("DELETE FROM sessions WHERE token_sha256 = ?", (_sha(token),))

    def close_session_by_hash(self, token_sha256: str) -> None:
        """End the session whose stored hash this is (the server never keeps the secret itself)."""
        with self._write() as con:
            con.execute("DELETE FROM sessions WHERE token_sha256 = ?", (token_sha256,))

    def close_sessions(self, username: str) -> int:
        """End every session and token of a user; how many there were."""
        with self._write() as con:
            return con.execute("DELETE FROM sessions WHERE username = ?", (username,)).rowcount

    # -- one-shift links ------------------------------------------------------------------------------
    _LINK_COLS = "link_id, unit_id, unit_name, station_id, day, shift, created_by, created_at, expires_at, revoked_at, opened_at"

    def open_link(self, *, unit_id: str, unit_name: str, station_id: str | None, day: str, shift: str,
                  created_by: str, expires_at: datetime) -> tuple[str, str]:
        """A link that lets a phone carry one unit's plan of one shift, without an account; returns
        ``(link_id, secret)`` (the secret is shown once, in the link, and stored hashed)."""
        now = _now()
        if expires_at <= now:
            raise _coded(InputError(f"the shift {day} {shift} is over; make links for a shift still to come"),
                         "links.past", day=day, shift=shift)
        token = secrets.token_urlsafe(24)
        link_id = secrets.token_hex(5)
        with self._write() as con:  # links over a month past their end are forgotten (the audit log keeps them)
            con.execute("DELETE FROM shift_links WHERE expires_at < ?", (_iso(now - timedelta(days=31)),))
            con.execute(f"INSERT INTO shift_links (token_sha256, csrf, {self._LINK_COLS}) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL)",
                        (_sha(token), secrets.token_urlsafe(32), link_id, unit_id, unit_name, station_id, day, shift,
                         created_by, _iso(now), _iso(expires_at.astimezone(UTC))))
        return link_id, token

    def link_session(self, token: str) -> Session | None:
        """The live link of ``token`` as a session of an ``officer`` of its unit (``None`` when unknown,
        revoked or expired); its first use is noted (``opened_at``)."""
        if not token or len(token) > 200:
            return None
        key = _sha(token)
        with self._read() as con:
            row = con.execute(f"SELECT csrf, {self._LINK_COLS} FROM shift_links WHERE token_sha256 = ?",
                              (key,)).fetchone()
        if row is None:
            return None
        csrf, link = row[0], self._link(row[1:])
        if link["revoked_at"] or datetime.fromisoformat(link["expires_at"]) <= _now():
            return None
        if link["opened_at"] is None:
            with self._write() as con:
                con.execute("UPDATE shift_links SET opened_at = ? WHERE token_sha256 = ? AND opened_at IS NULL",
                            (_iso(_now()), key))
        user = User(f"link-{link['link_id']}", "officer", link["station_id"], link["unit_name"] or link["unit_id"],
                    True, False, link["created_at"], link["created_at"], link["unit_id"])
        return Session(user, "link", csrf, link["created_at"], link["expires_at"], key)

    def link(self, link_id: str) -> dict[str, Any] | None:
        """One link (never its secret), or ``None``."""
        with self._read() as con:
            row = con.execute(f"SELECT {self._LINK_COLS} FROM shift_links WHERE link_id = ?", (link_id,)).fetchone()
        return self._link(row) if row else None

    def _link(self, row: tuple[Any, ...]) -> dict[str, Any]:
        return dict(zip([c.strip() for c in self._LINK_COLS.split(",")], row, strict=True))

    def links(self, *, station_id: str | None = None, day: str | None = None, shift: str | None = None) -> list[dict[str, Any]]:
        """The links made (newest first), of one station's when ``station_id`` is given, of one day and shift."""
        sql, args = f"SELECT {self._LINK_COLS} FROM shift_links WHERE 1 = 1", []
        for column, value in (("station_id", station_id), ("day", day), ("shift", shift)):
            if value is not None:
                sql += f" AND {column} = ?"
                args.append(value)
        with self._read() as con:
            rows = con.execute(sql + " ORDER BY created_at DESC, link_id", tuple(args)).fetchall()
        return [self._link(r) for r in rows]

    def revoke_link(self, link_id: str, *, station_id: str | None = None) -> dict[str, Any]:
        """Revoke a link at once (a phone using it is signed out on its next request).

        Raises
        ------
        InputError
            No such link (or, with ``station_id``, none of that station's).
        """
        with self._write() as con:
            row = con.execute(f"SELECT {self._LINK_COLS} FROM shift_links WHERE link_id = ?", (link_id,)).fetchone()
            if row is None or (station_id is not None and row[3] != station_id):
                raise _coded(InputError(f"no link {link_id!r}; list them on the routes page or with GET /api/v1/field/links"),
                             "links.unknown", link=link_id)
            if row[9] is None:
                con.execute("UPDATE shift_links SET revoked_at = ? WHERE link_id = ?", (_iso(_now()), link_id))
            row = con.execute(f"SELECT {self._LINK_COLS} FROM shift_links WHERE link_id = ?", (link_id,)).fetchone()
        return self._link(row)
