"""The storage interface: what the services need from wherever a workspace is kept.

The analyses (``geo``, ``routing``) never see storage: they take frames and graphs and return new
ones. The services (``app.services``) read and write through the protocols below, and the shells
open a store with :func:`app.storage.open_store`. The embedded backend (a GeoPackage file with
SQLite files beside it: ``app.storage.gpkg``) is the default; a second backend (PostgreSQL/PostGIS)
implements the same protocols and registers its URL scheme in :data:`app.storage.BACKENDS`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import pandas as pd
from pyproj import CRS

__all__ = ["AuditLog", "BackupStore", "LayerStore", "RecordStoreProtocol", "Store", "UserStoreProtocol"]


@runtime_checkable
class LayerStore(Protocol):
    """A workspace: named layers in one projected working CRS, plus ``meta`` (text key -> text).

    Writes are all-or-nothing: :meth:`write` returns a fresh handle on the new state, and a failed
    write leaves the previous state as it was. Writers take turns.
    """

    path: Path
    meta: dict[str, str]

    @property
    def crs(self) -> CRS: ...

    @property
    def timezone(self) -> str: ...

    @property
    def name(self) -> str: ...

    def layers(self) -> list[str]: ...

    def has(self, layer: str) -> bool: ...

    def meta_json(self, key: str, default: Any = None) -> Any: ...

    def read(self, layer: str, *args: Any, **kwargs: Any) -> pd.DataFrame: ...

    def count(self, layer: str) -> int: ...

    def info(self) -> Any: ...

    def write(
        self,
        layers: Mapping[str, pd.DataFrame],
        *,
        meta: Mapping[str, Any] | None = None,
        sources: Mapping[str, str] | None = None,
    ) -> LayerStore: ...


class BackupStore(Protocol):
    """Complete, checked copies of a workspace, newest first, and putting one back atomically."""

    def backup(self, *, reason: str = "", keep: int = 10) -> Path: ...

    def list(self) -> Sequence[Any]: ...

    def restore(self, backup: Any, *, keep: int = 10) -> Path | None: ...


class AuditLog(Protocol):
    """An append-only log of who did what, newest first when read."""

    def record(self, *, actor: str, action: str, target: str = "", details: dict[str, Any] | None = None) -> None: ...

    def read(self, *, limit: int = 200, offset: int = 0, action: str | None = None) -> list[Any]: ...

    def count(self, *, action: str | None = None) -> int: ...


class UserStoreProtocol(Protocol):
    """Users (with roles and a station), their password checks, sessions and API tokens."""

    def has_users(self) -> bool: ...

    def has_admin(self) -> bool: ...

    def list(self) -> list[Any]: ...

    def get(self, username: str) -> Any: ...

    def add(self, username: str, password: str, role: str, **kwargs: Any) -> Any: ...

    def update(self, username: str, **kwargs: Any) -> Any: ...

    def set_password(self, username: str, password: str) -> None: ...

    def remove(self, username: str) -> None: ...

    def verify(self, username: str, password: str) -> Any: ...

    def open_session(self, username: str, *, kind: str = "session", lifetime: timedelta = ...) -> str: ...

    def session(self, token: str, *, idle: timedelta | None = None) -> Any: ...

    def close_session(self, token: str) -> None: ...

    def close_sessions(self, username: str) -> int: ...


class RecordStoreProtocol(Protocol):
    """Durable records of outputs (plans, reports, gap lists...): added once, status history appended."""

    def add(self, **kwargs: Any) -> Any: ...

    def change(self, record_id: str, action: str, *, actor: str, note: str = "") -> Any: ...

    def get(self, record_id: str) -> Any: ...

    def list(self, **filters: Any) -> list[Any]: ...


class Store(Protocol):
    """Everything kept for one workspace: its layers, backups, users, audit log, records, job queue
    (:class:`app.storage.jobs.JobStore`) and sign-in limits (a :mod:`limits` storage)."""

    location: str

    def workspace(self) -> LayerStore: ...

    def backups(self) -> BackupStore: ...

    def users(self) -> UserStoreProtocol: ...

    def audit(self) -> AuditLog: ...

    def records(self) -> RecordStoreProtocol: ...

    def jobs(self) -> Any: ...

    def limits(self) -> Any: ...
