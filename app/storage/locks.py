"""Who may write a workspace file now: the writer lock and the check for other programs.

Both the workspace's writes and the backup/restore steps take these, so they live below both.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from geo.errors import WorkspaceError

__all__ = ["SIDECARS", "check_not_in_use", "job_write_lock", "jobs_lock_path", "writer_lock"]

#: Files beside an SQLite database that mean a program is writing it (or crashed while writing).
SIDECARS = ("-wal", "-journal")


@contextmanager
def writer_lock(path: str | os.PathLike[str], *, timeout_s: float = 600.0) -> Iterator[None]:
    """Hold the workspace's writer lock: an ``flock`` on the folder that holds it.

    Writers take turns: each copies the file as the previous writer left it, so two concurrent
    writes of different layers both survive. The folder is locked rather than a lock file because
    the workspace itself is replaced on every write (a lock on it would be left on the old inode),
    and a lock file beside it could not be removed safely; writes are short, so workspaces sharing
    a folder simply queue.

    Raises
    ------
    WorkspaceError
        When another writer holds the lock for longer than ``timeout_s``.
    """
    path = Path(path)
    fd = os.open(path.parent if str(path.parent) else ".", os.O_RDONLY)
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise WorkspaceError(
                        f"workspace '{path}' is being written by another patrolnet process for more than "
                        f"{timeout_s:.0f} s; wait for it to finish and try again",
                        code="workspace.busy", seconds=f"{timeout_s:.0f}",
                    ) from None
                time.sleep(0.05)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def check_not_in_use(path: str | os.PathLike[str]) -> None:
    """Refuse to replace ``path`` while another program has it open for writing.

    A ``-wal`` or ``-journal`` file beside a GeoPackage means a program (QGIS keeps GeoPackages in
    WAL mode while they are open) is writing it or crashed while writing it. Moving another file
    over the workspace then would let SQLite replay those pages into the new file and corrupt it.

    Raises
    ------
    WorkspaceError
        Naming the side file and the fix.
    """
    path = Path(path)
    for suffix in SIDECARS:
        side = Path(str(path) + suffix)
        if side.exists():
            raise WorkspaceError(
                f"workspace '{path}' is open for writing in another program ({side.name} exists; QGIS?); "
                f"close it there (or remove the layer from the QGIS project) and try again",
                code="workspace.open_elsewhere", path=str(path),
            )



def jobs_lock_path(store: str | os.PathLike[str]) -> Path:
    """The lock file of a job queue (kept: removing a lock file others may hold is not safe)."""
    return Path(f"{store}.lock")


@contextmanager
def job_write_lock(store: str | os.PathLike[str]) -> Iterator[None]:
    """Hold the turn of the jobs that write the workspace, across every process taking jobs from the
    queue ``store`` (an ``flock`` on a lock file beside it): a grid job and an import never interleave,
    whichever processes run them. Waits as long as it takes (jobs queue behind each other)."""
    path = jobs_lock_path(store)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
