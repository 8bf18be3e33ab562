"""Atomic file writes: the one place where patrolnet replaces a file on disk.

Every writer of the project goes through :func:`atomic_path`: the new content is written to a
temporary file beside the target, flushed to disk (``fsync``), given the target's mode and moved
over the target with one ``os.replace``; the folder is then synced too, so that the rename itself
survives a power cut. A failed or killed step leaves the previous file as it was, and readers never
see a half-written file.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["atomic_path", "atomic_write_bytes", "atomic_write_text", "current_umask", "fsync_dir", "fsync_file"]

#: Files SQLite may leave beside a database it wrote (removed with the temporary file).
_SIDECARS = ("-journal", "-wal", "-shm")


def current_umask() -> int:
    """The process's umask (read without changing it for longer than one call)."""
    current = os.umask(0)
    os.umask(current)
    return current


def fsync_file(path: str | os.PathLike[str]) -> None:
    """Flush a written file's content to disk."""
    with open(path, "rb+") as fh:
        os.fsync(fh.fileno())


def fsync_dir(folder: str | os.PathLike[str]) -> None:
    """Flush a folder's entries (a rename or a new file in it) to disk."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def atomic_path(
    path: str | os.PathLike[str],
    *,
    copy: bool = False,
    suffix: str = ".tmp",
    mode: int | None = None,
    before_replace: Callable[[], None] | None = None,
) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; move it over ``path`` when the block succeeds.

    Parameters
    ----------
    path
        The file to write. Its folder is created when missing.
    copy
        Start from a copy of the current file (when it exists) instead of an empty temporary file.
    suffix
        Ending of the temporary name (e.g. ``".tmp.gpkg"``, so that GDAL recognises the format).
    mode
        Permission bits of the result; default: those of the current file, or ``0o666`` less the
        umask for a new one.
    before_replace
        A last check, called after the new content is on disk and just before it replaces ``path``
        (e.g. that no other program has opened ``path`` meanwhile); when it raises, nothing is
        replaced.

    The temporary file (and any SQLite journal beside it) is deleted when the block raises.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        if copy and path.exists():
            shutil.copyfile(path, tmp)
        else:
            tmp.unlink()
        if mode is None:
            mode = (path.stat().st_mode & 0o777) if path.exists() else (0o666 & ~current_umask())
        yield tmp
        if not tmp.exists():
            raise FileNotFoundError(f"nothing was written to the temporary file for '{path}'")
        os.chmod(tmp, mode)
        fsync_file(tmp)
        if before_replace is not None:
            before_replace()
        os.replace(tmp, path)
        fsync_dir(path.parent)
    finally:
        for leftover in (tmp, *(Path(str(tmp) + s) for s in _SIDECARS)):
            if leftover.exists():
                leftover.unlink()


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes, *, mode: int | None = None) -> Path:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_path`); return the path."""
    with atomic_path(path, mode=mode) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def atomic_write_text(
    path: str | os.PathLike[str], text: str, *, encoding: str = "utf-8", mode: int | None = None
) -> Path:
    """Write ``text`` to ``path`` atomically (see :func:`atomic_path`); return the path."""
    with atomic_path(path, mode=mode) as tmp:
        with open(tmp, "w", encoding=encoding, newline="") as fh:
            fh.write(text)
    return Path(path)
