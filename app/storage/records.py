"""Durable records of what patrolnet produced: shift plans, reports, gap lists, sitings, forecasts.

A record is kept in an SQLite file beside the workspace (``.<name>.records.sqlite``, mode 0600), not
in the GeoPackage: the workspace is replaced as a whole on every write (and by a restore), while
records only grow. Each record says what was made (``kind``), for whom (``scope``: the district or
one station), by whom (``author``), when, with which parameters, from which state of the workspace
(``inputs_version``: its ``updated_at``), where its files are (``folder`` and ``files``) and its
result summary. Nothing is overwritten: a plan's status changes are appended to ``record_events``
(append-only, enforced by triggers), and the record's current status is the last of them.

A shift plan (kind ``routes``) moves ``draft`` -> ``submitted`` (by its station) -> ``approved`` (by a
commander) -> ``superseded`` (when a later plan for a unit of it on the same day and shift is
approved). Every other kind is ``final`` when it is recorded.
"""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from geo.errors import InputError, WorkspaceError
from geo.jsonsafe import to_jsonable

__all__ = [
    "PLAN_KIND", "RECORD_KINDS", "STATUSES", "Record", "RecordEvent", "RecordStore", "StatusConflictError",
    "records_path",
]

#: What is recorded: the outputs a commander or station comes back to.
RECORD_KINDS = ("routes", "report", "camera_gaps", "camera_siting", "forecast")
#: The kind whose records are shift plans with a review workflow.
PLAN_KIND = "routes"
#: A plan's statuses, in order; other records are ``final``.
STATUSES = ("draft", "submitted", "approved", "superseded", "final")
#: action -> (statuses it may start from, the status it gives).
_TRANSITIONS = {
    "submit": (("draft",), "submitted"),
    "approve": (("draft", "submitted"), "approved"),
}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    scope TEXT NOT NULL,
    station_id TEXT,
    author TEXT NOT NULL,
    created_at TEXT NOT NULL,
    day TEXT,
    shift TEXT,
    params TEXT NOT NULL,
    inputs_version TEXT NOT NULL,
    folder TEXT NOT NULL,
    files TEXT NOT NULL,
    units TEXT NOT NULL,
    result TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS records_by_shift ON records (kind, day, shift);
CREATE TABLE IF NOT EXISTS record_events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    record_id TEXT NOT NULL REFERENCES records (id),
    at_utc TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    status TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS record_events_by_record ON record_events (record_id, seq);
CREATE TRIGGER IF NOT EXISTS records_no_update BEFORE UPDATE ON records
BEGIN SELECT RAISE(ABORT, 'records are kept as made'); END;
CREATE TRIGGER IF NOT EXISTS records_no_delete BEFORE DELETE ON records
BEGIN SELECT RAISE(ABORT, 'records are kept as made'); END;
CREATE TRIGGER IF NOT EXISTS record_events_no_update BEFORE UPDATE ON record_events
BEGIN SELECT RAISE(ABORT, 'the record history is append-only'); END;
CREATE TRIGGER IF NOT EXISTS record_events_no_delete BEFORE DELETE ON record_events
BEGIN SELECT RAISE(ABORT, 'the record history is append-only'); END;
"""


class StatusConflictError(InputError):
    """A status change that the record's current status does not allow (e.g. approving a superseded
    plan, or two commanders approving at once: the second sees the first's change)."""


def records_path(workspace: str | os.PathLike[str]) -> Path:
    """Where the records of ``workspace`` live."""
    path = Path(workspace)
    return path.with_name(f".{path.name}.records.sqlite")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


@dataclass(frozen=True)
class RecordEvent:
    at_utc: str
    actor: str
    action: str
    status: str
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"at_utc": self.at_utc, "actor": self.actor, "action": self.action, "status": self.status,
                "note": self.note}


@dataclass(frozen=True)
class Record:
    """One output, as recorded (see the module's text)."""

    id: str
    kind: str
    scope: str
    station_id: str | None
    author: str
    created_at: str
    day: str | None
    shift: str | None
    params: dict[str, Any]
    inputs_version: str
    folder: Path
    files: tuple[str, ...]
    units: tuple[str, ...]
    result: dict[str, Any]
    history: tuple[RecordEvent, ...]

    @property
    def status(self) -> str:
        return self.history[-1].status if self.history else "final"

    def as_dict(self) -> dict[str, Any]:
        """The record for a client: file names only (never the server's folders)."""
        return {
            "id": self.id, "kind": self.kind, "scope": self.scope, "station_id": self.station_id,
            "author": self.author, "created_at": self.created_at, "date": self.day, "shift": self.shift,
            "status": self.status, "params": self.params, "inputs_version": self.inputs_version,
            "files": list(self.files), "units": list(self.units), "result": self.result,
            "history": [e.as_dict() for e in self.history],
        }


class RecordStore:
    """The records of one workspace (one connection per call; safe across threads and processes:
    status changes run in ``BEGIN IMMEDIATE`` transactions that check the current status first)."""

    def __init__(self, workspace: str | os.PathLike[str]):
        self.workspace = Path(workspace)
        self.path = records_path(workspace)

    # -- the backend: these four are what another store (PostgreSQL) replaces -------------------------
    def _exists(self) -> bool:
        """Whether anything was ever recorded (reading a store that does not exist creates nothing)."""
        return self.path.exists()

    @contextmanager
    def _read(self) -> Iterator[Any]:
        """A connection whose ``execute(sql, args)`` takes ``?`` placeholders."""
        with self._db() as con:
            yield con

    @contextmanager
    def _write(self) -> Iterator[Any]:
        """A write transaction that holds the writer's turn (status checks and changes are atomic)."""
        with self._db() as con:
            con.execute("BEGIN IMMEDIATE")
            try:
                yield con
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        new = not self.path.exists()
        try:
            con = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        except sqlite3.Error as exc:
            raise WorkspaceError(f"cannot open the records {self.path} ({exc}); check the folder's permissions",
                                 code="storage.records_unreadable", reason=str(exc)) from exc
        try:
            if new:
                os.chmod(self.path, 0o600)
            con.execute("PRAGMA foreign_keys = ON")
            con.executescript(_SCHEMA)
            yield con
        finally:
            con.close()

    # -- writing ------------------------------------------------------------------------------------
    def add(
        self,
        *,
        kind: str,
        author: str,
        params: Mapping[str, Any],
        inputs_version: str,
        folder: str | os.PathLike[str],
        files: Sequence[str] = (),
        result: Mapping[str, Any] | None = None,
        station_id: str | None = None,
        day: str | None = None,
        shift: str | None = None,
        units: Sequence[str] = (),
        record_id: str | None = None,
    ) -> Record:
        """Record one output; a plan starts as ``draft``, anything else is ``final``.

        Raises
        ------
        InputError
            An unknown kind.
        """
        if kind not in RECORD_KINDS:
            raise InputError(f"kind {kind!r} is not recorded; use one of {', '.join(RECORD_KINDS)}",
                             code="records.bad_kind", value=kind, allowed=", ".join(RECORD_KINDS))
        now = _now()
        rid = record_id or f"{now[:10].replace('-', '')}-{kind}-{secrets.token_hex(4)}"
        status = "draft" if kind == PLAN_KIND else "final"
        row = (rid, kind, station_id or "district", station_id, author or "", now, day, shift,
               json.dumps(to_jsonable(dict(params)), ensure_ascii=False, sort_keys=True), inputs_version,
               str(Path(folder)), json.dumps(list(files), ensure_ascii=False),
               json.dumps([str(u) for u in units], ensure_ascii=False),
               json.dumps(to_jsonable(dict(result or {})), ensure_ascii=False, sort_keys=True))
        with self._write() as con:
            con.execute("INSERT INTO records VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", row)
            con.execute("INSERT INTO record_events (record_id, at_utc, actor, action, status) VALUES (?, ?, ?, ?, ?)",
                        (rid, now, author or "", "create", status))
        return self.get(rid)

    def change(self, record_id: str, action: str, *, actor: str, note: str = "") -> Record:
        """Move a plan on (``submit`` or ``approve``); approving supersedes every other approved plan
        of the same day and shift that shares a unit with it. All in one transaction.

        Raises
        ------
        InputError
            An unknown action, or a record that is not a plan.
        StatusConflictError
            The plan's current status does not allow the action.
        """
        if action not in _TRANSITIONS:
            raise InputError(f"action {action!r}: use one of {', '.join(_TRANSITIONS)}",
                             code="records.bad_action", value=action)
        allowed, status = _TRANSITIONS[action]
        with self._write() as con:
            rec = self._get(con, record_id)
            if rec.kind != PLAN_KIND:
                raise InputError(f"record {record_id} is a {rec.kind}, not a shift plan; only plans are "
                                 f"submitted and approved", code="records.not_a_plan", id=record_id, kind=rec.kind)
            if rec.status not in allowed:
                raise StatusConflictError(
                    f"plan {record_id} is {rec.status}; it can be {'submitted' if action == 'submit' else 'approved'} "
                    f"only when {' or '.join(allowed)}", code=f"records.cannot_{action}", id=record_id,
                    status=rec.status)
            now = _now()
            con.execute("INSERT INTO record_events (record_id, at_utc, actor, action, status, note) "
                        "VALUES (?, ?, ?, ?, ?, ?)", (record_id, now, actor, action, status, note))
            if action == "approve":
                for other in self._plans(con, day=rec.day, shift=rec.shift):
                    if other.id != rec.id and other.status == "approved" and set(other.units) & set(rec.units):
                        con.execute("INSERT INTO record_events (record_id, at_utc, actor, action, status, note) "
                                    "VALUES (?, ?, ?, ?, ?, ?)",
                                    (other.id, now, actor, "supersede", "superseded", f"by {rec.id}"))
        return self.get(record_id)

    # -- reading ------------------------------------------------------------------------------------
    def get(self, record_id: str) -> Record:
        """One record.

        Raises
        ------
        InputError
            No record has that id (code ``records.not_found``).
        """
        if not self._exists():
            raise InputError(f"no record {record_id!r}", code="records.not_found", id=record_id)
        with self._read() as con:
            return self._get(con, record_id)

    def list(self, *, kind: str | None = None, day: str | None = None, shift: str | None = None,
             station_id: str | None = None, status: str | None = None, limit: int = 200,
             offset: int = 0) -> list[Record]:
        """Records, newest first, filtered by what is given (``station_id``: that station's)."""
        if not self._exists():
            return []
        where, args = self._where(kind=kind, day=day, shift=shift, station_id=station_id, status=status)
        with self._read() as con:
            rows = con.execute(f"SELECT * FROM records{where} ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?",
                               [*args, int(limit), int(offset)]).fetchall()
            return self._records(con, rows)

    def count(self, *, kind: str | None = None, day: str | None = None, shift: str | None = None,
              station_id: str | None = None, status: str | None = None) -> int:
        """How many records :meth:`list` finds with these filters (all pages)."""
        if not self._exists():
            return 0
        where, args = self._where(kind=kind, day=day, shift=shift, station_id=station_id, status=status)
        with self._read() as con:
            return int(con.execute(f"SELECT count(*) FROM records{where}", args).fetchone()[0])

    @staticmethod
    def _where(*, kind: str | None, day: str | None, shift: str | None, station_id: str | None,
               status: str | None) -> tuple[str, list[Any]]:
        sql, args = " WHERE 1 = 1", []
        for column, value in (("kind", kind), ("day", day), ("shift", shift), ("station_id", station_id)):
            if value is not None:
                sql += f" AND {column} = ?"
                args.append(value)
        if status is not None:  # the current status is the record's last event's
            sql += (" AND (SELECT e.status FROM record_events e WHERE e.record_id = records.id "
                    "ORDER BY e.seq DESC LIMIT 1) = ?")
            args.append(status)
        return sql, args

    def _plans(self, con: Any, *, day: str | None, shift: str | None) -> list[Record]:
        rows = con.execute("SELECT * FROM records WHERE kind = ? AND COALESCE(day, '') = COALESCE(?, '') "
                           "AND COALESCE(shift, '') = COALESCE(?, '')", (PLAN_KIND, day, shift)).fetchall()
        return self._records(con, rows)

    def _get(self, con: Any, record_id: str) -> Record:
        row = con.execute("SELECT * FROM records WHERE id = ?", (record_id,)).fetchone()
        if row is None:
            raise InputError(f"no record {record_id!r}", code="records.not_found", id=record_id)
        return self._records(con, [row])[0]

    @staticmethod
    def _records(con: Any, rows: Sequence[tuple[Any, ...]]) -> list[Record]:
        """Records of ``rows`` with their histories (read in one query, not one per record)."""
        if not rows:
            return []
        ids = [row[0] for row in rows]
        history: dict[str, list[RecordEvent]] = {i: [] for i in ids}
        events = con.execute("SELECT record_id, at_utc, actor, action, status, note FROM record_events WHERE "
                             f"record_id IN ({', '.join('?' * len(ids))}) ORDER BY seq", ids).fetchall()
        for e in events:
            history[e[0]].append(RecordEvent(*e[1:]))
        return [RecordStore._record(row, history[row[0]]) for row in rows]

    @staticmethod
    def _record(row: tuple[Any, ...], events: Sequence[RecordEvent]) -> Record:
        return Record(
            id=row[0], kind=row[1], scope=row[2], station_id=row[3], author=row[4], created_at=row[5],
            day=row[6], shift=row[7], params=json.loads(row[8]), inputs_version=row[9], folder=Path(row[10]),
            files=tuple(json.loads(row[11])), units=tuple(json.loads(row[12])), result=json.loads(row[13]),
            history=tuple(events),
        )
