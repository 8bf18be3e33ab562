"""Where patrolnet keeps things: workspaces, their backups, users and sessions, the audit log.

One interface (:mod:`app.storage.base`), one backend per kind of location:

* a path (``data/demo/yushui.gpkg``): the embedded GeoPackage backend (:mod:`app.storage.gpkg`),
  the default of ``make demo``;
* a ``postgresql://`` (or ``postgres://``) URL ``postgresql://USER@HOST[:PORT]/DB?schema=NAME``: the
  bureau's shared PostgreSQL/PostGIS store (:mod:`app.storage.pg_store`).

Modules: :mod:`~app.storage.workspace` (layers), :mod:`~app.storage.backup`,
:mod:`~app.storage.users`, :mod:`~app.storage.access` (roles and the jurisdiction-cut view),
:mod:`~app.storage.audit`, :mod:`~app.storage.locks` (writer lock).
"""

from __future__ import annotations

import os
from collections.abc import Callable

from app.storage.base import AuditLog, BackupStore, LayerStore, Store, UserStoreProtocol
from app.storage.gpkg import GpkgStore
from app.storage.pg_store import pg_store
from geo.errors import WorkspaceError

__all__ = [
    "BACKENDS", "AuditLog", "BackupStore", "LayerStore", "Store", "UserStoreProtocol", "is_url", "location_of",
    "open_store", "open_workspace",
]

#: URL scheme -> backend; a location without a scheme is a GeoPackage path.
BACKENDS: dict[str, Callable[[str], Store]] = {"postgresql": pg_store, "postgres": pg_store}


def is_url(location: str | os.PathLike[str]) -> bool:
    """Whether ``location`` is a URL (``postgresql://...``) rather than a file path."""
    scheme, sep, _ = os.fspath(location).partition("://")
    return bool(sep) and len(scheme) > 1  # "C:\\..." is a path


def location_of(workspace: object) -> str:
    """Where an open workspace lives, as :func:`open_store` takes it: its URL (PostgreSQL), else its
    file's path (a user's view, :class:`app.storage.access.ScopedWorkspace`, gives its workspace's)."""
    workspace = getattr(workspace, "unscoped", workspace)
    url = getattr(workspace, "url", None)
    return str(url) if url else os.fspath(workspace.path)  # type: ignore[attr-defined]


def open_store(location: str | os.PathLike[str]) -> Store:
    """The store of ``location``: a ``.gpkg`` path or a URL of a registered backend.

    Raises
    ------
    WorkspaceError
        For a URL whose backend this installation does not have.
    """
    text = os.fspath(location)
    if is_url(text):
        scheme = text.partition("://")[0]
        backend = BACKENDS.get(scheme.lower())
        if backend is None:
            raise WorkspaceError(
                f"'{scheme}://' workspaces are not supported by this patrolnet; give the path of a "
                f".gpkg workspace file",
                code="storage.backend", scheme=scheme,
            )
        return backend(text)
    return GpkgStore(text)


def open_workspace(location: str | os.PathLike[str]) -> LayerStore:
    """The workspace at ``location`` (see :func:`open_store`)."""
    return open_store(location).workspace()
