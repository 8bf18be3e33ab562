"""The SQLite files beside a workspace (its job queue, its sign-in counters): made once, alike."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

__all__ = ["create_sqlite"]


def create_sqlite(path: Path, schema: str) -> None:
    """Make ``path`` hold ``schema`` (``CREATE ... IF NOT EXISTS``), mode 0600 when new, with a rollback
    journal rather than a write-ahead log: the file alone holds every committed change.

    Raises
    ------
    sqlite3.Error
        When the file cannot be opened or written.
    """
    new = not path.exists()
    con = sqlite3.connect(path, timeout=30, isolation_level=None)
    try:
        con.execute("PRAGMA journal_mode = DELETE")
        con.executescript(schema)
    finally:
        con.close()
    if new:
        os.chmod(path, 0o600)
