"""Rate-limit counters every process of a workspace shares: a :mod:`limits` storage on SQLite.

The web app limits failed sign-ins with :mod:`limits` (a moving window per client and per user
name). Its in-memory storage counts per process, so with ``patrolnet serve --workers 2`` a guesser
spreading tries over both workers would get twice the budget. :class:`SqliteStorage` keeps the
entries in ``.<name>.limits.sqlite`` beside the workspace (mode 0600), each decision one
``BEGIN IMMEDIATE`` transaction, so every worker (and every machine sharing the folder) counts the
same failures. It implements the library's storage interface (fixed windows and moving windows),
so the limiter itself stays the library's. :class:`PgLimitsStorage` is the same in a workspace's
PostgreSQL schema, for web workers on several machines.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import ClassVar

import psycopg
from limits.storage import MovingWindowSupport, Storage

from app.storage.pg import ThreadConnections
from app.storage.sidecar import create_sqlite

__all__ = ["LIMITS_DDL_PG", "PgLimitsStorage", "SqliteStorage", "limits_path"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS window_entries (key TEXT NOT NULL, at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS window_entries_by_key ON window_entries (key, at);
CREATE TABLE IF NOT EXISTS counters (key TEXT PRIMARY KEY, value INTEGER NOT NULL, expires_at REAL NOT NULL);
"""


def limits_path(workspace: str | os.PathLike[str]) -> Path:
    """Where the rate-limit counters of ``workspace`` live."""
    path = Path(workspace)
    return path.with_name(f".{path.name}.limits.sqlite")


class SqliteStorage(Storage, MovingWindowSupport):
    """A :mod:`limits` storage in one SQLite file, shared by every process that opens it.

    Use it as ``MovingWindowRateLimiter(SqliteStorage(path))``.
    """

    STORAGE_SCHEME: ClassVar[list[str]] = ["patrolnet+sqlite"]

    def __init__(self, uri: str | os.PathLike[str], wrap_exceptions: bool = False, **options: float | str | bool):
        text = str(uri)
        prefix = "patrolnet+sqlite://"
        self.path = Path(text.removeprefix(prefix))
        self._local = threading.local()
        self._made = False
        super().__init__(str(uri), wrap_exceptions=wrap_exceptions, **options)

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return sqlite3.Error

    # -- plumbing ------------------------------------------------------------------------------------
    def _con(self) -> sqlite3.Connection:
        if not self._made or not self.path.exists():
            create_sqlite(self.path, _SCHEMA)
            self._made = True
            self._local.con = None
        con = getattr(self._local, "con", None)
        if con is None:
            con = self._local.con = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        return con

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        con = self._con()
        con.execute("BEGIN IMMEDIATE")
        try:
            yield con
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise

    # -- moving windows (what the sign-in limiter uses) ------------------------------------------------
    def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        if amount > limit:
            return False
        now = time.time()
        with self._write() as con:
            con.execute("DELETE FROM window_entries WHERE key = ? AND at < ?", (key, now - expiry))
            held = con.execute("SELECT COUNT(*) FROM window_entries WHERE key = ?", (key,)).fetchone()[0]
            if held + amount > limit:
                return False
            con.executemany("INSERT INTO window_entries (key, at) VALUES (?, ?)", [(key, now)] * amount)
            return True

    def get_moving_window(self, key: str, limit: int, expiry: int) -> tuple[float, int]:
        now = time.time()
        row = self._con().execute("SELECT MIN(at), COUNT(*) FROM window_entries WHERE key = ? AND at >= ?",
                                  (key, now - expiry)).fetchone()
        return (float(row[0]), int(row[1])) if row[1] else (now, 0)

    # -- fixed windows -----------------------------------------------------------------------------------
    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        with self._write() as con:
            row = con.execute("SELECT value, expires_at FROM counters WHERE key = ?", (key,)).fetchone()
            if row is None or row[1] <= now:
                value = amount
                con.execute("INSERT OR REPLACE INTO counters (key, value, expires_at) VALUES (?, ?, ?)",
                            (key, value, now + expiry))
            else:
                value = int(row[0]) + amount
                con.execute("UPDATE counters SET value = ? WHERE key = ?", (value, key))
            return value

    def get(self, key: str) -> int:
        row = self._con().execute("SELECT value FROM counters WHERE key = ? AND expires_at > ?",
                                  (key, time.time())).fetchone()
        return int(row[0]) if row else 0

    def get_expiry(self, key: str) -> float:
        row = self._con().execute("SELECT expires_at FROM counters WHERE key = ?", (key,)).fetchone()
        return float(row[0]) if row and row[0] > time.time() else time.time()

    def check(self) -> bool:
        try:
            self._con().execute("SELECT 1").fetchone()
        except sqlite3.Error:
            return False
        return True

    def reset(self) -> int | None:
        with self._write() as con:
            n = con.execute("SELECT COUNT(*) FROM counters").fetchone()[0]
            con.execute("DELETE FROM counters")
            con.execute("DELETE FROM window_entries")
        return int(n)

    def clear(self, key: str) -> None:
        with self._write() as con:
            con.execute("DELETE FROM counters WHERE key = ?", (key,))
            con.execute("DELETE FROM window_entries WHERE key = ?", (key,))


_PG_DDL = """
CREATE TABLE IF NOT EXISTS limits_entries (key TEXT NOT NULL, at DOUBLE PRECISION NOT NULL);
CREATE INDEX IF NOT EXISTS limits_entries_by_key ON limits_entries (key, at);
CREATE TABLE IF NOT EXISTS limits_counters (key TEXT PRIMARY KEY, value BIGINT NOT NULL,
                                            expires_at DOUBLE PRECISION NOT NULL);
"""
_NOW = "extract(epoch FROM clock_timestamp())::float8"
#: The tables of :class:`PgLimitsStorage` (for connections shared with other stores).
LIMITS_DDL_PG = _PG_DDL


class PgLimitsStorage(Storage, MovingWindowSupport):
    """A :mod:`limits` storage in a workspace's PostgreSQL schema (``postgresql://...?schema=NAME``;
    tables ``limits_entries`` and ``limits_counters``), shared by web workers on every machine.

    Times are the database server's clock, so machines whose clocks differ count alike. A moving
    window decision takes a transaction-scoped advisory lock on its key (two workers never both
    take the last try); a fixed-window count is one atomic ``INSERT ... ON CONFLICT DO UPDATE``.
    One connection per thread, kept open. Use it as ``MovingWindowRateLimiter(PgLimitsStorage(url))``.
    """

    STORAGE_SCHEME: ClassVar[list[str]] = ["patrolnet+postgresql"]

    def __init__(self, uri: str, wrap_exceptions: bool = False, *, connections: ThreadConnections | None = None,
                 **options: float | str | bool):
        text = str(uri)
        self.url = text.removeprefix("patrolnet+")
        # ``connections``: shared with the workspace's other stores (their DDL must include LIMITS_DDL_PG)
        self._conns = connections if connections is not None else ThreadConnections(self.url, _PG_DDL)
        super().__init__(text, wrap_exceptions=wrap_exceptions, **options)

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return psycopg.Error

    def _one(self, query: str, args: tuple[object, ...] = ()) -> tuple[object, ...]:
        con = self._conns.get()
        try:
            return con.execute(query, args).fetchone()  # type: ignore[return-value]
        except psycopg.OperationalError:
            if not con.broken:
                raise
            return self._conns.renew().execute(query, args).fetchone()  # type: ignore[return-value]

    # -- moving windows (what the sign-in limiter uses) ------------------------------------------------
    def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        if amount > limit:
            return False
        with self._conns.transaction() as con:
            # the key's turn (the schema is part of it: two workspaces on one server do not wait on each other)
            now = con.execute(f"SELECT {_NOW} FROM (SELECT pg_advisory_xact_lock(hashtext(%s))) AS turn",
                              (f"{self._conns.schema}.limits:{key}",)).fetchone()[0]
            con.execute("DELETE FROM limits_entries WHERE key = %s AND at < %s", (key, now - expiry))
            held = con.execute("SELECT count(*) FROM limits_entries WHERE key = %s", (key,)).fetchone()[0]
            if held + amount > limit:
                return False
            con.execute("INSERT INTO limits_entries (key, at) SELECT %s, %s FROM generate_series(1, %s)",
                        (key, now, amount))
            return True

    def get_moving_window(self, key: str, limit: int, expiry: int) -> tuple[float, int]:
        first, count, now = self._one(f"SELECT min(at), count(*), {_NOW} FROM limits_entries "
                                      f"WHERE key = %s AND at >= {_NOW} - %s", (key, expiry))
        return (float(first), int(count)) if count else (float(now), 0)  # type: ignore[arg-type]

    # -- fixed windows -----------------------------------------------------------------------------------
    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        row = self._one(
            f"INSERT INTO limits_counters AS c (key, value, expires_at) VALUES (%s, %s, {_NOW} + %s) "
            f"ON CONFLICT (key) DO UPDATE SET "
            f"value = CASE WHEN c.expires_at <= {_NOW} THEN excluded.value ELSE c.value + excluded.value END, "
            f"expires_at = CASE WHEN c.expires_at <= {_NOW} THEN excluded.expires_at ELSE c.expires_at END "
            f"RETURNING value", (key, amount, expiry))
        return int(row[0])  # type: ignore[call-overload]

    def get(self, key: str) -> int:
        row = self._one(f"SELECT coalesce(max(value), 0) FROM limits_counters WHERE key = %s AND expires_at > {_NOW}",
                        (key,))
        return int(row[0])  # type: ignore[call-overload]

    def get_expiry(self, key: str) -> float:
        row = self._one(f"SELECT coalesce(max(expires_at) FILTER (WHERE expires_at > {_NOW}), {_NOW}) "
                        f"FROM limits_counters WHERE key = %s", (key,))
        return float(row[0])  # type: ignore[arg-type]

    def check(self) -> bool:
        try:
            self._one("SELECT 1")
        except Exception:  # noqa: BLE001 - the library asks whether the storage answers at all
            return False
        return True

    def reset(self) -> int | None:
        with self._conns.transaction("LOCK TABLE limits_entries, limits_counters IN EXCLUSIVE MODE") as con:
            n = con.execute("SELECT count(*) FROM limits_counters").fetchone()[0]
            con.execute("DELETE FROM limits_counters")
            con.execute("DELETE FROM limits_entries")
        return int(n)

    def clear(self, key: str) -> None:
        with self._conns.transaction() as con:
            con.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"{self._conns.schema}.limits:{key}",))
            con.execute("DELETE FROM limits_counters WHERE key = %s", (key,))
            con.execute("DELETE FROM limits_entries WHERE key = %s", (key,))
