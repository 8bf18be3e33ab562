"""Backups of a workspace: take one, list them, put one back, and the backup every import and
rebuild takes first (:func:`backup_before`), whichever shell asked for it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app.storage.backup import BackupInfo, backup_workspace, check_not_in_use, list_backups, restore_workspace
from geo.errors import InputError, WorkspaceError

__all__ = ["backup", "backup_before", "backups", "restore", "resolve_backup"]


def backup_before(path: str | Path, reason: str) -> Path | None:
    """Keep a copy of a workspace about to be changed or replaced (``patrolnet restore`` brings it
    back): every import and every rebuild calls this first, from the CLI and from the web alike.

    Returns the backup, or None when ``path`` is not a workspace (nothing worth keeping: it is
    replaced as asked).

    Raises
    ------
    WorkspaceError
        Another program has the workspace open for writing (QGIS): replacing it now could corrupt it.
    """
    check_not_in_use(path)
    try:
        return backup_workspace(path, reason=reason)
    except WorkspaceError:
        return None


def backup(path: str | Path, *, reason: str = "manual", keep: int = 10) -> Path:
    """Keep a consistent copy of the workspace (the ``keep`` newest are kept); the new backup."""
    return backup_workspace(path, keep=keep, reason=reason)


def backups(path: str | Path) -> list[BackupInfo]:
    """The workspace's backups, newest first."""
    return list_backups(path)


def resolve_backup(path: str | Path, ref: str | Path | BackupInfo) -> Any:
    """A backup named by its file, or by its number in :func:`backups` (``"1"`` = the newest).

    Raises
    ------
    InputError
        A number beyond the list; code ``backup.number``.
    """
    if isinstance(ref, str) and ref.isdigit():
        items = list_backups(path)
        n = int(ref)
        if not 1 <= n <= len(items):
            raise InputError(f"backup number {n}: the workspace has {len(items)} backups; "
                             f"see 'patrolnet backups'", code="backup.number", n=n, count=len(items))
        return items[n - 1]
    return ref


def restore(path: str | Path, ref: str | Path | BackupInfo) -> tuple[Any, Path | None]:
    """Put a backup (a file, or its number in :func:`backups`) back in place, atomically; the current
    state is kept as a backup first. Returns (the backup restored, the backup of the current state).
    """
    target = resolve_backup(path, ref)
    check_not_in_use(path)
    saved = restore_workspace(path, target)
    return target, saved
