"""The audit log: who exported, planned, imported or changed what, and when.

The log is an SQLite file beside the workspace (``.<name>.audit.sqlite``), not a layer of it: the
workspace is replaced as a whole on every write, while the log only ever grows. Triggers make it
append-only: an UPDATE or DELETE on the log fails. Each entry records the time (UTC), the actor (the
operating-system user for the CLI, the client for the web app), the action, the target and details.
"""

from __future__ import annotations

import json
import os
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from geo.errors import WorkspaceError

__all__ = ["AuditEntry", "audit_path", "count_log", "entry_values", "record", "read_log", "ACTIONS"]

#: The actions recorded (free text is refused, so that the log can be filtered reliably).
ACTIONS = (
    "init", "demo", "import", "grid", "split", "hotspots", "forecast", "backtest", "routes", "report",
    "camera_gaps", "camera_site", "camera_coverage", "backup", "restore", "export", "view", "submit_plan", "approve_plan",
    "login", "login_failed", "logout", "user_add", "user_change", "user_remove", "password", "units_suggest", "watchlist", "dosage",
    "field_links", "field_link_open", "field_link_refused", "field_link_revoke", "categories",
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at_utc TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    details TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
"""


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at_utc: str
    actor: str
    action: str
    target: str
    details: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "at_utc": self.at_utc, "actor": self.actor, "action": self.action,
                "target": self.target, "details": self.details}


def entry_values(action: str, details: dict[str, Any] | None) -> tuple[str, str]:
    """Check an entry's action and give its time (UTC, ISO 8601) and details (JSON text): the rule
    of every audit log backend.

    Raises
    ------
    WorkspaceError
        For an action not in :data:`ACTIONS`.
    """
    if action not in ACTIONS:
        raise WorkspaceError(f"audit: unknown action {action!r}; use one of {', '.join(ACTIONS)}")
    return (datetime.now(UTC).isoformat(timespec="seconds"),
            json.dumps(details or {}, ensure_ascii=False, default=str, sort_keys=True))


def audit_path(workspace: str | os.PathLike[str]) -> Path:
    """Where the audit log of ``workspace`` lives."""
    path = Path(workspace)
    return path.with_name(f".{path.name}.audit.sqlite")


def _connect(path: Path) -> sqlite3.Connection:
    con = sqlite3.connect(path, timeout=30)
    con.executescript(_SCHEMA)
    return con


def record(workspace: str | os.PathLike[str], *, actor: str, action: str, target: str = "",
           details: dict[str, Any] | None = None) -> None:
    """Append one entry to the workspace's audit log.

    Raises
    ------
    WorkspaceError
        For an action not in :data:`ACTIONS`, or when the log cannot be written.
    """
    at, text = entry_values(action, details)
    try:
        con = _connect(audit_path(workspace))
        try:
            with con:
                con.execute("INSERT INTO audit (at_utc, actor, action, target, details) VALUES (?, ?, ?, ?, ?)",
                            (at, actor or "unknown", action, str(target), text))
        finally:
            con.close()
    except sqlite3.Error as exc:
        raise WorkspaceError(f"cannot write the audit log {audit_path(workspace)} ({exc}); check the folder's "
                             f"permissions", code="storage.audit_unwritable", reason=str(exc)) from exc


def read_log(workspace: str | os.PathLike[str], *, limit: int = 200, offset: int = 0,
             action: str | None = None) -> list[AuditEntry]:
    """The newest entries first (an empty list when nothing was recorded yet)."""
    path = audit_path(workspace)
    if not path.exists():
        return []
    con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        sql = "SELECT id, at_utc, actor, action, target, details FROM audit"
        args: list[Any] = []
        if action:
            sql += " WHERE action = ?"
            args.append(action)
        sql += " ORDER BY id DESC LIMIT ? OFFSET ?"
        rows = con.execute(sql, [*args, int(limit), int(offset)]).fetchall()
    finally:
        con.close()
    return [AuditEntry(r[0], r[1], r[2], r[3], r[4], json.loads(r[5])) for r in rows]


def count_log(workspace: str | os.PathLike[str], *, action: str | None = None) -> int:
    """How many entries the log holds (of ``action``, when given)."""
    path = audit_path(workspace)
    if not path.exists():
        return 0
    con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        if action:
            return int(con.execute("SELECT COUNT(*) FROM audit WHERE action = ?", (action,)).fetchone()[0])
        return int(con.execute("SELECT COUNT(*) FROM audit").fetchone()[0])
    finally:
        con.close()
