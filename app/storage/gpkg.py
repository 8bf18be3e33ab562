"""The embedded backend: a GeoPackage file, with its backups, users and audit log beside it.

``data/demo/yushui.gpkg`` keeps its backups in ``data/.yushui.backups/``, its users and sessions
in ``data/.yushui.gpkg.users.sqlite`` (0600), its audit log in ``data/.yushui.gpkg.audit.sqlite`` and
the records of its outputs in ``data/.yushui.gpkg.records.sqlite`` (0600), its job queue and its
sign-in limits in SQLite files beside it too (:mod:`app.storage.jobs`, :mod:`app.storage.ratelimit`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.storage.audit import AuditEntry, count_log, read_log, record
from app.storage.backup import BackupInfo, backup_workspace, list_backups, restore_workspace
from app.storage.jobs import JobStore
from app.storage.ratelimit import SqliteStorage, limits_path
from app.storage.records import RecordStore
from app.storage.users import UserStore
from app.storage.workspace import Workspace

__all__ = ["GpkgAuditLog", "GpkgBackups", "GpkgStore"]


@dataclass(frozen=True)
class GpkgBackups:
    """:class:`app.storage.base.BackupStore` of a GeoPackage workspace."""

    path: Path

    def backup(self, *, reason: str = "", keep: int = 10) -> Path:
        return backup_workspace(self.path, keep=keep, reason=reason)

    def list(self) -> list[BackupInfo]:
        return list_backups(self.path)

    def restore(self, backup: str | os.PathLike[str] | BackupInfo, *, keep: int = 10) -> Path | None:
        return restore_workspace(self.path, backup, keep=keep)


@dataclass(frozen=True)
class GpkgAuditLog:
    """:class:`app.storage.base.AuditLog` of a GeoPackage workspace (an SQLite file beside it)."""

    path: Path

    def record(self, *, actor: str, action: str, target: str = "", details: dict[str, Any] | None = None) -> None:
        record(self.path, actor=actor, action=action, target=target, details=details)

    def read(self, *, limit: int = 200, offset: int = 0, action: str | None = None) -> list[AuditEntry]:
        return read_log(self.path, limit=limit, offset=offset, action=action)

    def count(self, *, action: str | None = None) -> int:
        return count_log(self.path, action=action)


@dataclass(frozen=True)
class GpkgStore:
    """:class:`app.storage.base.Store` of a ``.gpkg`` file."""

    location: str

    @property
    def path(self) -> Path:
        return Path(self.location)

    def workspace(self) -> Workspace:
        return Workspace(self.path)

    def backups(self) -> GpkgBackups:
        return GpkgBackups(self.path)

    def users(self) -> UserStore:
        return UserStore(self.path)

    def audit(self) -> GpkgAuditLog:
        return GpkgAuditLog(self.path)

    def records(self) -> RecordStore:
        return RecordStore(self.path)

    def jobs(self) -> JobStore:
        return JobStore(self.path)

    def limits(self) -> SqliteStorage:
        return SqliteStorage(limits_path(self.path))
