"""Workspace backups and restore.

A backup is a consistent copy of a workspace taken with SQLite's online backup API, so a copy
taken while another program writes the file (QGIS editing it in place, a patrolnet job replacing
it) is one committed state, never a mix. Backups live beside the workspace in a hidden folder,
readable by the owner only (they hold incident locations and patrol plans)::

    data/yushui.gpkg
    data/.yushui.backups/yushui-20261031T201500.123456Z-before-import.gpkg

Restoring is atomic (a checked copy beside the file, flushed to disk, moved over it in one
``os.replace``) and first backs up the current file (reason ``before-restore``), so a restore can
itself be undone.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from app.storage.locks import SIDECARS, check_not_in_use, writer_lock
from app.storage.workspace import Workspace
from geo.atomic import atomic_path
from geo.errors import InputError, WorkspaceError

__all__ = [
    "BackupInfo",
    "backup_dir",
    "backup_workspace",
    "list_backups",
    "restore_workspace",
    "check_not_in_use",
    "stale_temp_files",
    "remove_stale_temp_files",
]

_STAMP = "%Y%m%dT%H%M%S"
_SQLITE_MAGIC = b"SQLite format 3\x00"


@dataclass(frozen=True)
class BackupInfo:
    """One backup file."""

    path: Path
    created_at: datetime
    reason: str
    size_bytes: int

    def as_dict(self) -> dict[str, Any]:
        return {"path": str(self.path), "name": self.path.name, "created_at": self.created_at.isoformat(),
                "reason": self.reason, "size_bytes": self.size_bytes}


def backup_dir(path: str | os.PathLike[str]) -> Path:
    """The folder holding the backups of workspace ``path``: ``<dir>/.<stem>.backups``."""
    path = Path(path)
    return path.parent / f".{path.stem}.backups"


def _slug(reason: str) -> str:
    slug = re.sub(r"[^\w-]+", "-", reason.strip(), flags=re.UNICODE).strip("-_")
    return re.sub(r"-{2,}", "-", slug)[:40].strip("-_")


def _pattern(stem: str) -> re.Pattern[str]:
    return re.compile(rf"^{re.escape(stem)}-(\d{{8}}T\d{{6}})\.(\d{{6}})Z(?:-([\w-]+))?\.gpkg$")


def list_backups(path: str | os.PathLike[str]) -> list[BackupInfo]:
    """The backups of workspace ``path``, newest first (an empty list when there are none)."""
    path = Path(path)
    folder = backup_dir(path)
    if not folder.is_dir():
        return []
    pattern = _pattern(path.stem)
    out = []
    for entry in folder.iterdir():
        match = pattern.match(entry.name)
        if not match or not entry.is_file():
            continue
        stamp = datetime.strptime(match.group(1), _STAMP).replace(
            microsecond=int(match.group(2)), tzinfo=UTC)
        out.append(BackupInfo(entry, stamp, match.group(3) or "", entry.stat().st_size))
    return sorted(out, key=lambda b: (b.created_at, b.path.name), reverse=True)


def _sqlite_problem(path: Path) -> str | None:
    """Why ``path`` is not a sound SQLite file, or None."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(16)
    except OSError as exc:
        return f"cannot be read ({exc.strerror})"
    if head != _SQLITE_MAGIC:
        return "not an SQLite/GeoPackage file"
    try:
        con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
        try:
            result = con.execute("PRAGMA quick_check").fetchall()
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        return f"a damaged database ({exc})"
    if result != [("ok",)]:
        return f"a damaged database ({'; '.join(str(r[0]) for r in result[:3])})"
    return None


def _workspace_problem(path: Path) -> str | None:
    """Why ``path`` is not a sound patrolnet workspace, or None."""
    problem = _sqlite_problem(path)
    if problem:
        return problem
    try:
        Workspace(path)
    except WorkspaceError as exc:
        return str(exc)
    except Exception as exc:  # GDAL's errors on odd files
        return f"cannot be opened ({exc})"
    return None






def _online_copy(src: Path, dst: Path) -> None:
    """Copy the SQLite database ``src`` to the new file ``dst`` with the online backup API.

    The source is opened read-only; the copy is made in one step under one read transaction, so it
    is one committed state even while another process writes ``src``.
    """
    source = sqlite3.connect(f"{src.resolve().as_uri()}?mode=ro", uri=True, timeout=60)
    try:
        target = sqlite3.connect(dst)
        try:
            source.backup(target)
            target.execute("PRAGMA journal_mode=DELETE")
        finally:
            target.close()
    finally:
        source.close()
    for suffix in SIDECARS:  # the target connection is closed: no journal should remain
        side = Path(str(dst) + suffix)
        if side.exists():
            side.unlink()


def _next_name(folder: Path, stem: str, slug: str) -> Path:
    now = datetime.now(UTC)
    while True:
        name = f"{stem}-{now.strftime(_STAMP)}.{now.microsecond:06d}Z" + (f"-{slug}" if slug else "") + ".gpkg"
        target = folder / name
        if not target.exists():
            return target
        now += timedelta(microseconds=1)


def backup_workspace(
    path: str | os.PathLike[str],
    *,
    keep: int = 10,
    reason: str = "",
    _protect: frozenset[Path] = frozenset(),
) -> Path:
    """Back up workspace ``path`` and keep only the ``keep`` newest backups.

    The copy is taken with SQLite's online backup API (consistent while another process writes),
    checked (``PRAGMA quick_check`` and opened as a workspace), flushed to disk and only then given
    its name ``<stem>-<UTC time>-<reason>.gpkg`` in :func:`backup_dir`, so a listed backup is
    always complete. The folder is created owner-only (``0700``), backups are ``0600``.

    Parameters
    ----------
    path
        The workspace file.
    keep
        How many backups to keep (the oldest beyond that are deleted); at least 1.
    reason
        A word or two saved in the name (``before-import``, ``每周``); letters, digits, Chinese
        characters, ``-`` and ``_`` are kept, the rest becomes ``-``.

    Returns
    -------
    Path
        The new backup.

    Raises
    ------
    WorkspaceError
        ``path`` is missing or not a sound patrolnet workspace (nothing is backed up then).
    InputError
        ``keep`` below 1.
    """
    path = Path(path)
    if keep < 1:
        raise InputError(f"keep={keep}: keep at least 1 backup", code="backup.keep", value=keep)
    if not path.is_file():
        raise WorkspaceError(f"workspace '{path}' does not exist; nothing to back up (check the path)",
                             code="workspace.missing", path=str(path))
    folder = backup_dir(path)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    target = _next_name(folder, path.stem, _slug(reason))
    with atomic_path(target, mode=0o600, suffix=".tmp.gpkg") as tmp:
        try:
            _online_copy(path, tmp)
        except sqlite3.DatabaseError as exc:
            raise WorkspaceError(
                f"workspace '{path}' cannot be backed up: {exc}; check that it is a patrolnet workspace "
                f"(a .gpkg made by 'patrolnet init' or 'patrolnet demo')",
                code="backup.failed", path=str(path), reason=str(exc),
            ) from exc
        problem = _workspace_problem(tmp)
        if problem:
            raise WorkspaceError(f"workspace '{path}' cannot be backed up: the copy is {problem}; "
                                 f"check the file (open it in QGIS) or restore an earlier backup",
                                 code="backup.bad_copy", path=str(path), reason=str(problem))
    _prune(path, keep=keep, protect={target, *_protect})
    return target


def _prune(path: Path, *, keep: int, protect: set[Path]) -> list[Path]:
    removed = []
    protected = {p.resolve() for p in protect}
    for info in list_backups(path)[keep:]:
        if info.path.resolve() in protected:
            continue
        info.path.unlink(missing_ok=True)
        removed.append(info.path)
    return removed


def _resolve_backup(path: Path, backup: str | os.PathLike[str] | BackupInfo) -> Path:
    if isinstance(backup, BackupInfo):
        return backup.path
    candidate = Path(backup)
    if not candidate.exists() and candidate.parent == Path("."):
        inside = backup_dir(path) / candidate.name
        if inside.exists():
            return inside
    return candidate


def restore_workspace(
    path: str | os.PathLike[str],
    backup: str | os.PathLike[str] | BackupInfo,
    *,
    keep: int = 10,
) -> Path | None:
    """Put a backup in place of workspace ``path``, atomically, after backing up the current file.

    The backup is checked (a sound SQLite file that opens as a patrolnet workspace of a known
    schema version), copied to a temporary file beside ``path``, flushed to disk and moved over
    ``path`` with ``os.replace``: readers see the old file or the restored one, never a mix, and a
    failure at any point leaves ``path`` as it was. The current file is first backed up with reason
    ``before-restore`` (a damaged current file is kept byte for byte, reason
    ``before-restore-unreadable``); the backup being restored is never pruned by that.

    Parameters
    ----------
    path
        The workspace file (it may be missing: restoring then recreates it).
    backup
        A backup file (a path, a name from :func:`list_backups` or a :class:`BackupInfo`).
    keep
        How many backups to keep after the ``before-restore`` backup.

    Returns
    -------
    Path or None
        The ``before-restore`` backup of the replaced file (None when ``path`` did not exist).

    Raises
    ------
    WorkspaceError
        The backup is missing, damaged or not a patrolnet workspace (naming the fix), or ``path``
        is open for writing in another program.
    """
    path = Path(path)
    source = _resolve_backup(path, backup)
    if not source.is_file():
        raise WorkspaceError(
            f"backup '{source}' does not exist; pick one of the backups listed for '{path}' "
            f"(list_backups / the backups page)",
            code="backup.missing", name=Path(source).name,
        )
    problem = _workspace_problem(source)
    if problem:
        raise WorkspaceError(
            f"'{source}' is not a patrolnet workspace backup ({problem}); nothing was restored; pick one of "
            f"the backups listed for '{path}' (files in {backup_dir(path)})",
            code="backup.not_a_backup", name=Path(source).name, reason=str(problem),
        )
    check_not_in_use(path)
    path.parent.mkdir(parents=True, exist_ok=True)

    with writer_lock(path):
        return _restore_locked(path, source, keep=keep)


def _restore_locked(path: Path, source: Path, *, keep: int) -> Path | None:
    saved = None
    with atomic_path(path, suffix=".tmp.gpkg", before_replace=lambda: check_not_in_use(path)) as tmp:
        _online_copy(source, tmp)
        problem = _workspace_problem(tmp)
        if problem:
            raise WorkspaceError(f"restoring '{source}' failed: its copy is {problem}; nothing was restored",
                                 code="backup.restore_failed", name=Path(source).name, reason=str(problem))
        if path.exists():
            saved = _save_current(path, keep=keep, protect=frozenset({source}))
    return saved


def _save_current(path: Path, *, keep: int, protect: frozenset[Path]) -> Path:
    try:
        return backup_workspace(path, keep=keep, reason="before-restore", _protect=protect)
    except WorkspaceError:
        pass  # damaged or not a workspace: keep its bytes anyway
    folder = backup_dir(path)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    target = _next_name(folder, path.stem, "before-restore-unreadable")
    with atomic_path(target, mode=0o600, suffix=".tmp.gpkg") as tmp:
        shutil.copyfile(path, tmp)
    _prune(path, keep=keep, protect={target, *protect})
    return target




def stale_temp_files(path: str | os.PathLike[str], *, older_than_s: float = 3600.0) -> list[Path]:
    """Temporary files of interrupted writes of workspace ``path`` (a writer killed with SIGKILL
    or a power cut leaves ``.<name>.*.tmp.gpkg`` beside it), older than ``older_than_s``.

    They are never layers of the workspace and hold no state the workspace lacks (the old file is
    intact), but they take space and hold sensitive data. Younger ones may belong to a write in
    progress and are not listed.
    """
    path = Path(path)
    cutoff = time.time() - older_than_s
    found = []
    for folder, prefix in ((path.parent, f".{path.name}."), (backup_dir(path), ".")):
        if not folder.is_dir():
            continue
        for entry in folder.iterdir():
            base = entry.name
            for side in (*SIDECARS, "-shm"):
                base = base.removesuffix(side)
            if entry.name.startswith(prefix) and base.endswith(".tmp.gpkg") and entry.is_file():
                if entry.stat().st_mtime < cutoff:
                    found.append(entry)
    return sorted(found)


def remove_stale_temp_files(path: str | os.PathLike[str], *, older_than_s: float = 3600.0) -> list[Path]:
    """Delete :func:`stale_temp_files`; return what was deleted."""
    removed = []
    for entry in stale_temp_files(path, older_than_s=older_than_s):
        entry.unlink(missing_ok=True)
        removed.append(entry)
    return removed
