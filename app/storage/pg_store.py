"""The PostgreSQL/PostGIS backend as one :class:`app.storage.base.Store` (issue 14): what a
``postgresql://USER@HOST[:PORT]/DB?schema=NAME`` location opens.

Everything of a workspace lives in its schema: the layers (:class:`~app.storage.pg_layers.PgWorkspace`),
users and sessions (:class:`~app.storage.pg.PgUserStore`), the audit log, the records of outputs, the
job queue (:mod:`app.storage.pg`) and the sign-in limits (:class:`~app.storage.ratelimit.PgLimitsStorage`).
Backups are the database's (``pg_dump``): :meth:`PgStore.backups` refuses with a message saying so.

One :class:`PgStore` per location and process (:func:`pg_store`): its stores share one kept connection
per thread (the users, sign-in limits, layer reads, version check, audit log, records and job queue;
40 request threads times N web workers must fit in the server's ``max_connections``) and make their
tables once, so opening the store on every request costs nothing. A schema is checked to hold a
workspace before any store touches it: a mistyped schema is refused, not made.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from psycopg import sql

from app.storage.pg import (
    PgAuditLog,
    PgJobStore,
    PgRecordStore,
    PgUserStore,
    ThreadConnections,
    parse_location,
)
from app.storage.pg_layers import PgWorkspace, public_url
from app.storage.ratelimit import LIMITS_DDL_PG, PgLimitsStorage
from app.storage.users import USERS_DDL_PG
from geo.errors import WorkspaceError

__all__ = ["PgBackups", "PgStore", "pg_store"]


class PgBackups:
    """Backups of a PostgreSQL workspace are the database's: every method refuses, naming ``pg_dump``."""

    def __init__(self, url: str):
        self.url = url

    def _refuse(self) -> WorkspaceError:
        shown = public_url(self.url)
        _, schema = parse_location(self.url)
        return WorkspaceError(
            f"{shown}: patrolnet does not back up a PostgreSQL workspace itself; use the database's tools "
            f"(pg_dump --schema={schema} ... / pg_restore), or copy it to a .gpkg file "
            f"(patrolnet workspace copy URL copy.gpkg)",
            code="storage.pg_backup", url=shown, schema=schema)

    def backup(self, *, reason: str = "", keep: int = 10) -> Path:
        raise self._refuse()

    def list(self) -> list[Any]:
        raise self._refuse()

    def restore(self, backup: Any, *, keep: int = 10) -> Path | None:
        raise self._refuse()


class PgStore:
    """:class:`app.storage.base.Store` of a ``postgresql://...?schema=NAME`` location. Its stores
    are made on first use and kept (each keeps its own connections)."""

    def __init__(self, location: str):
        self.location = str(location)
        self.url = self.location
        self.dsn, self.schema = parse_location(self.location)
        self._lock = threading.Lock()
        self._kept: dict[str, Any] = {}
        self._verified = False
        #: One connection per thread for the users, the sign-in limits, the layer reads and the version
        #: check (not one each: 40 request threads times N web workers must fit in max_connections).
        self._conns = ThreadConnections(self.location, USERS_DDL_PG + LIMITS_DDL_PG)

    def _keep(self, name: str, make: Any) -> Any:
        self._verify()
        with self._lock:
            value = self._kept.get(name)
            if value is None:
                value = self._kept[name] = make(self.location)
            return value

    def workspace(self) -> PgWorkspace:
        """The workspace's layers as they are now (a new handle each call: callers keep it), read
        through the threads' shared connections once the schema is known to hold a workspace (the
        shared connections make the stores' tables: a mistyped schema must be refused, not made)."""
        self._verify()
        return PgWorkspace(self.location, self._conns)

    def _verify(self) -> None:
        """Refuse a schema that holds no workspace before the shared connections (which make the
        stores' tables) touch it."""
        if not self._verified:
            PgWorkspace(self.location).close()  # raises storage.pg_not_workspace
            self._verified = True

    def backups(self) -> PgBackups:
        return PgBackups(self.location)

    def users(self) -> PgUserStore:
        return self._keep("users", lambda url: PgUserStore(url, self._conns))  # type: ignore[no-any-return]

    def audit(self) -> PgAuditLog:
        return self._keep("audit", lambda url: PgAuditLog(url, self._conns))  # type: ignore[no-any-return]

    def records(self) -> PgRecordStore:
        return self._keep("records", lambda url: PgRecordStore(url, self._conns))  # type: ignore[no-any-return]

    def jobs(self) -> PgJobStore:
        return self._keep("jobs", lambda url: PgJobStore(url, self._conns))  # type: ignore[no-any-return]

    def limits(self) -> PgLimitsStorage:
        return self._keep("limits", lambda url: PgLimitsStorage(url, connections=self._conns))  # type: ignore[no-any-return]

    def version(self) -> tuple[str, int]:
        """Changes whenever the workspace is written: ``meta``'s ``updated_at`` and the transaction ids
        of its rows (every write rewrites ``meta`` in the writing transaction), one query on this
        thread's kept connection.

        Raises
        ------
        WorkspaceError
            The schema holds no workspace (no ``meta`` table).
        """
        self._verify()
        table = sql.Identifier(self.schema, "meta")
        query = sql.SQL("SELECT max(value) FILTER (WHERE key = 'updated_at'), "
                        "coalesce(sum(xmin::text::bigint), 0) FROM {}").format(table)
        con = self._conns.get()
        try:
            row = con.execute(query).fetchone()
        except Exception as exc:
            if con.broken:
                row = self._conns.renew().execute(query).fetchone()
            else:
                shown = public_url(self.location)
                raise WorkspaceError(
                    f"schema '{self.schema}' of {shown} holds no patrolnet workspace; copy one into it "
                    f"(patrolnet workspace copy WS.gpkg URL) or check the schema's name",
                    code="storage.pg_not_workspace", url=shown, schema=self.schema) from exc
        return (str(row[0] or ""), int(row[1] or 0))


_STORES: dict[str, PgStore] = {}
_STORES_LOCK = threading.Lock()


def pg_store(location: str) -> PgStore:
    """The :class:`PgStore` of ``location`` in this process (one per location, kept)."""
    text = str(location)
    with _STORES_LOCK:
        store = _STORES.get(text)
        if store is None:
            store = _STORES[text] = PgStore(text)
        return store
