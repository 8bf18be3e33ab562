"""The durable job queue: background work (plans, reports, imports) as rows any process can take.

A job is queued by the process that was asked for it (a web worker) and run by whichever process
claims it first: a thread of that web worker, another web worker, or a ``patrolnet worker`` on any
machine that sees the store. The queue of the embedded default is an SQLite file beside the workspace
(``.<name>.jobs.sqlite``, mode 0600); every step that decides who runs what is one ``BEGIN IMMEDIATE``
transaction, so two processes never take the same job.

A process running a job holds a *lease* on it and renews it every few seconds
(:meth:`JobStore.renew`). A process that dies (even by ``SIGKILL``) stops renewing; when its lease
has run out, the next process that looks at the queue (:meth:`JobStore.reap`) gives the job back to
the queue for another try, or, after ``max_attempts`` tries, fails it with the reason. A job is
therefore never "running" for ever, and never lost. Writes of a process that lost its lease (it was
only slow, and the job was given to another) are refused, so two runs never both report.

Rows hold the job's record as the web pages show it; :mod:`app.web.tasks` turns them into jobs.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from app.storage.locks import job_write_lock
from app.storage.sidecar import create_sqlite
from geo.errors import WorkspaceError

__all__ = ["FIELDS", "JOBS_DDL_PG", "JobStore", "jobs_path"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    lang TEXT NOT NULL,
    owner TEXT NOT NULL DEFAULT '',
    station_id TEXT,
    params TEXT NOT NULL,
    out_dir TEXT NOT NULL,
    inputs TEXT NOT NULL DEFAULT '[]',
    created_at TEXT NOT NULL,
    started_at TEXT,
    finished_at TEXT,
    elapsed_s REAL,
    stage TEXT,
    stage_label TEXT,
    progress REAL NOT NULL DEFAULT 0,
    result TEXT,
    error TEXT,
    error_type TEXT,
    message TEXT,
    files TEXT NOT NULL DEFAULT '[]',
    layers TEXT NOT NULL DEFAULT '[]',
    notes TEXT NOT NULL DEFAULT '[]',
    worker TEXT,
    lease_until REAL,
    attempts INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS jobs_by_status ON jobs (status, seq);
CREATE INDEX IF NOT EXISTS jobs_by_kind ON jobs (kind, status, seq);
"""

#: The same table in PostgreSQL (:class:`app.storage.pg.PgJobStore`).
JOBS_DDL_PG = (_SCHEMA.replace("seq INTEGER PRIMARY KEY AUTOINCREMENT", "seq BIGSERIAL PRIMARY KEY")
               .replace("elapsed_s REAL", "elapsed_s DOUBLE PRECISION").replace("progress REAL", "progress DOUBLE PRECISION")
               .replace("lease_until REAL", "lease_until DOUBLE PRECISION"))
#: Columns stored as JSON text.
_JSON = ("params", "inputs", "result", "files", "layers", "notes")
#: Every column a row (a dict) has, in order.
FIELDS = ("id", "kind", "status", "lang", "owner", "station_id", "params", "out_dir", "inputs", "created_at",
          "started_at", "finished_at", "elapsed_s", "stage", "stage_label", "progress", "result", "error",
          "error_type", "message", "files", "layers", "notes", "worker", "lease_until", "attempts")
#: Columns a running job's process may change.
_MUTABLE = frozenset(FIELDS) - {"id", "kind", "lang", "owner", "station_id", "params", "out_dir", "inputs",
                                "created_at", "worker", "attempts"}
_STATUSES = ("queued", "running", "done", "failed")


def jobs_path(workspace: str | os.PathLike[str]) -> Path:
    """Where the job queue of ``workspace`` lives."""
    path = Path(workspace)
    return path.with_name(f".{path.name}.jobs.sqlite")


class JobStore:
    """The job queue of one workspace (safe across threads and processes)."""

    def __init__(self, workspace: str | os.PathLike[str]):
        self.workspace = Path(workspace)
        self.path = jobs_path(workspace)
        self._local = threading.local()
        self._lock = threading.Lock()
        self._ino: int | None = None

    # -- the backend: ``_exists``, ``_read``, ``_write`` and ``write_turn`` are what another store
    # (PostgreSQL, :class:`app.storage.pg.PgJobStore`) replaces --------------------------------------------
    def _exists(self) -> bool:
        """Whether a job was ever queued (reading a queue that does not exist creates nothing)."""
        return self.path.exists()

    @contextmanager
    def write_turn(self) -> Iterator[None]:
        """Hold the turn of the jobs that write the workspace, across every process taking jobs from
        this queue (waits as long as it takes: such jobs run one after another)."""
        with job_write_lock(self.path):
            yield

    def _connection(self) -> sqlite3.Connection:
        """This thread's connection (kept open: job pages poll several times a second)."""
        try:
            ino = os.stat(self.path).st_ino
        except FileNotFoundError:
            ino = None
        if ino is None or ino != self._ino:
            self._create()
            ino = os.stat(self.path).st_ino
        con = getattr(self._local, "con", None)
        if con is None or getattr(self._local, "ino", None) != ino:
            if con is not None:
                con.close()
            try:
                con = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            except sqlite3.Error as exc:
                raise self._unreadable(exc) from exc
            self._local.con, self._local.ino = con, ino
        return con

    def _create(self) -> None:
        with self._lock:
            try:
                create_sqlite(self.path, _SCHEMA)
            except sqlite3.Error as exc:
                raise self._unreadable(exc) from exc
            self._ino = os.stat(self.path).st_ino

    def _unreadable(self, exc: BaseException) -> WorkspaceError:
        return WorkspaceError(f"cannot open the job queue {self.path} ({exc}); check the folder's permissions",
                              code="storage.jobs_unreadable", path=str(self.path), reason=str(exc))

    @contextmanager
    def _read(self) -> Iterator[Any]:
        yield self._connection()

    @contextmanager
    def _write(self) -> Iterator[Any]:
        """One transaction holding the writer's turn: deciding who runs what is atomic."""
        con = self._connection()
        con.execute("BEGIN IMMEDIATE")
        try:
            yield con
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise

    # -- queueing ----------------------------------------------------------------------------------------
    def add(self, row: Mapping[str, Any]) -> None:
        """Queue a job (``row``: its record; ``status`` ``queued`` unless given)."""
        values = {"status": "queued", "progress": 0.0, "attempts": 0, **row}
        unknown = set(values) - set(FIELDS)
        if unknown:
            raise ValueError(f"unknown job fields: {sorted(unknown)}")
        cols = [c for c in FIELDS if c in values]
        with self._write() as con:
            con.execute(f"INSERT INTO jobs ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                        [_dump(c, values[c]) for c in cols])

    def claim(self, worker: str, *, lease_s: float, job_id: str | None = None,
              kinds: Sequence[str] | None = None, now: float | None = None) -> dict[str, Any] | None:
        """Take a queued job for ``worker`` (``job_id``: that one; else the oldest of ``kinds``):
        the job's row, now ``running`` under a lease of ``lease_s`` seconds, or ``None`` when there is
        none (or another process took it first)."""
        now = time.time() if now is None else now
        if job_id is None and not self._any("status = 'queued'"):
            return None  # pollers look every second: only a queue with work takes the writer's turn
        with self._write() as con:
            if job_id is not None:
                row = con.execute("SELECT id FROM jobs WHERE id = ? AND status = 'queued'", (job_id,)).fetchone()
            elif kinds is not None and not kinds:
                row = None
            else:
                where, args = "status = 'queued'", []
                if kinds is not None:
                    where += f" AND kind IN ({', '.join('?' * len(kinds))})"
                    args = list(kinds)
                row = con.execute(f"SELECT id FROM jobs WHERE {where} ORDER BY seq LIMIT 1", args).fetchone()
            if row is None:
                return None
            con.execute("UPDATE jobs SET status = 'running', worker = ?, lease_until = ?, attempts = attempts + 1 "
                        "WHERE id = ?", (worker, now + lease_s, row[0]))
            return self._get(con, row[0])

    def renew(self, job_ids: Sequence[str], worker: str, *, lease_s: float, now: float | None = None) -> set[str]:
        """Extend ``worker``'s leases on ``job_ids``; the ids it still holds (a job given to another
        process after a lapse is not held any more)."""
        if not job_ids:
            return set()
        now = time.time() if now is None else now
        marks = ", ".join("?" * len(job_ids))
        with self._write() as con:
            con.execute(f"UPDATE jobs SET lease_until = ? WHERE worker = ? AND status = 'running' "
                        f"AND id IN ({marks})", (now + lease_s, worker, *job_ids))
            held = con.execute(f"SELECT id FROM jobs WHERE worker = ? AND status = 'running' AND id IN ({marks})",
                               (worker, *job_ids)).fetchall()
        return {r[0] for r in held}

    def save(self, job_id: str, worker: str, fields: Mapping[str, Any]) -> bool:
        """Write a running job's state (progress, stage; at the end its outcome) while ``worker``
        holds it; ``False`` (nothing written) when it does not any more."""
        bad = set(fields) - _MUTABLE
        if bad:
            raise ValueError(f"job fields that a run may not change: {sorted(bad)}")
        if not fields:
            return True
        sets = ", ".join(f"{c} = ?" for c in fields)
        with self._write() as con:
            cur = con.execute(f"UPDATE jobs SET {sets} WHERE id = ? AND worker = ? AND status = 'running'",
                              (*[_dump(c, v) for c, v in fields.items()], job_id, worker))
            return cur.rowcount == 1

    def reap(self, *, max_attempts: int, gone: Callable[[Mapping[str, Any], bool], Mapping[str, Any]],
             now: float | None = None) -> list[str]:
        """Jobs whose process stopped renewing its lease: queued again while they have tries left,
        else failed. ``gone(row, retry)`` gives the fields to set (the note or the failure, worded
        in the job's language). The ids changed."""
        now = time.time() if now is None else now
        changed: list[str] = []
        if not self._any("status = 'running' AND lease_until < ?", now):
            return changed
        with self._write() as con:
            ids = [r[0] for r in con.execute(
                "SELECT id FROM jobs WHERE status = 'running' AND lease_until < ? ORDER BY seq", (now,))]
            for job_id in ids:
                row = self._get(con, job_id)
                assert row is not None
                retry = int(row["attempts"]) < max_attempts
                fields = {**gone(row, retry), "worker": None, "lease_until": None,
                          "status": "queued" if retry else "failed"}
                sets = ", ".join(f"{c} = ?" for c in fields)
                con.execute(f"UPDATE jobs SET {sets} WHERE id = ?", (*[_dump(c, v) for c, v in fields.items()], job_id))
                changed.append(job_id)
        return changed

    def release(self, job_id: str, worker: str, fields: Mapping[str, Any]) -> bool:
        """Give a job ``worker`` holds back to the queue (its process is stopping)."""
        fields = {**fields, "status": "queued", "worker": None, "lease_until": None}
        sets = ", ".join(f"{c} = ?" for c in fields)
        with self._write() as con:
            cur = con.execute(f"UPDATE jobs SET {sets} WHERE id = ? AND worker = ? AND status = 'running'",
                              (*[_dump(c, v) for c, v in fields.items()], job_id, worker))
            return cur.rowcount == 1

    # -- reading ------------------------------------------------------------------------------------------
    def get(self, job_id: str) -> dict[str, Any] | None:
        if not self._exists():
            return None
        with self._read() as con:
            return self._get(con, job_id)

    def list(self, *, kind: str | None = None, status: str | None = None, owner: str | None = None,
             limit: int | None = None, offset: int = 0) -> list[dict[str, Any]]:
        """Jobs, newest first."""
        if not self._exists():
            return []
        where, args = self._where(kind=kind, status=status, owner=owner)
        page = "" if limit is None else f" LIMIT {int(limit)} OFFSET {int(offset)}"
        with self._read() as con:
            rows = con.execute(f"SELECT {', '.join(FIELDS)} FROM jobs{where} ORDER BY seq DESC{page}", args).fetchall()
        return [_row(r) for r in rows]

    def count(self, *, kind: str | None = None, status: str | None = None, owner: str | None = None) -> int:
        if not self._exists():
            return 0
        where, args = self._where(kind=kind, status=status, owner=owner)
        with self._read() as con:
            return int(con.execute(f"SELECT COUNT(*) FROM jobs{where}", args).fetchone()[0])

    def _any(self, where: str, *args: Any) -> bool:
        if not self._exists():
            return False
        with self._read() as con:
            return con.execute(f"SELECT 1 FROM jobs WHERE {where} LIMIT 1", args).fetchone() is not None

    @staticmethod
    def _where(*, kind: str | None, status: str | None, owner: str | None) -> tuple[str, list[Any]]:
        clauses, args = [], []
        for col, value in (("kind", kind), ("status", status), ("owner", owner)):
            if value is not None:
                clauses.append(f"{col} = ?")
                args.append(value)
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", args

    @staticmethod
    def _get(con: Any, job_id: str) -> dict[str, Any] | None:
        row = con.execute(f"SELECT {', '.join(FIELDS)} FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return None if row is None else _row(row)


def _dump(col: str, value: Any) -> Any:
    if col in _JSON:
        return None if value is None and col == "result" else json.dumps(value, ensure_ascii=False, default=str)
    if col == "status" and value not in _STATUSES:
        raise ValueError(f"bad job status {value!r}")
    return value


def _row(values: Sequence[Any]) -> dict[str, Any]:
    row = dict(zip(FIELDS, values, strict=True))
    for col in _JSON:
        row[col] = None if row[col] is None else json.loads(row[col])
    return row
