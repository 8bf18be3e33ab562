"""Rate-limit counters every process of a workspace shares: a :mod:`limits` storage on SQLite.

The web app limits failed sign-ins with :mod:`limits` (a moving window per client and per user
name). Its in-memory storage counts per process, so with ``patrolnet serve --workers 2`` a guesser
spreading tries over both workers would get twice the budget. :class:`SqliteStorage` keeps the
entries in ``.<name>.limits.sqlite`` beside the workspace (mode 0600), each decision one
``BEGIN IMMEDIATE`` transaction, so every worker (and every machine sharing the folder) counts the
same failures. It implements the library's storage interface (fixed windows and moving windows),
so the limiter itself stays the library's.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from limits.storage import MovingWindowSupport, Storage

__all__ = ["SqliteStorage", "limits_path"]

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

    STORAGE_SCHEME = ["patrolnet+sqlite"]

    def __init__(self, uri: str | os.PathLike[str], wrap_exceptions: bool = False, **options: float | str | bool):
        text = str(uri)
        prefix = "patrolnet+sqlite://"
        self.path = Path(text[len(prefix):] if text.startswith(prefix) else text)
        self._local = threading.local()
        self._made = False
        super().__init__(str(uri), wrap_exceptions=wrap_exceptions, **options)

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return sqlite3.Error

    # -- plumbing ------------------------------------------------------------------------------------
    def _con(self) -> sqlite3.Connection:
        if not self._made or not self.path.exists():
            new = not self.path.exists()
            con = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            try:
                con.execute("PRAGMA journal_mode = DELETE")
                con.executescript(_SCHEMA)
            finally:
                con.close()
            if new:
                os.chmod(self.path, 0o600)
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
