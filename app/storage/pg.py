"""The PostgreSQL backend (a bureau's shared store), being built: so far the audit log, the
records of outputs (with the plan review), the job queue, and the users with their sessions
(:class:`PgUserStore`; the sign-in limits are :class:`app.storage.ratelimit.PgLimitsStorage`).

A location is ``postgresql://USER@HOST[:PORT]/DB?schema=NAME``; each workspace lives in its own
schema (default ``public``). What is here is tested against a throwaway PostgreSQL 15 + PostGIS 3
cluster (``tests/pg.py``); the backend is not yet registered for ``postgresql://`` locations
(:data:`app.storage.BACKENDS`) nor opened by the web app and commands from a URL yet.
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import psycopg
from psycopg import sql

from app.storage.audit import AuditEntry, entry_values
from app.storage.jobs import JOBS_DDL_PG, JobStore
from app.storage.records import RecordStore
from app.storage.users import USERS_DDL_PG, UserStore
from geo.errors import InputError, WorkspaceError

__all__ = ["PgAuditLog", "PgJobStore", "PgRecordStore", "PgUserStore", "ThreadConnections", "parse_location"]

_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")

_AUDIT_DDL = """
CREATE TABLE IF NOT EXISTS audit (
    id BIGSERIAL PRIMARY KEY,
    at_utc TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    details JSONB NOT NULL
);
CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$;
CREATE OR REPLACE TRIGGER audit_no_update BEFORE UPDATE OR DELETE ON audit
FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE OR REPLACE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit
FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
"""


_RECORDS_DDL = """
CREATE TABLE IF NOT EXISTS records (
    id TEXT PRIMARY KEY, kind TEXT NOT NULL, scope TEXT NOT NULL, station_id TEXT, author TEXT NOT NULL,
    created_at TEXT NOT NULL, day TEXT, shift TEXT, params TEXT NOT NULL, inputs_version TEXT NOT NULL,
    folder TEXT NOT NULL, files TEXT NOT NULL, units TEXT NOT NULL, result TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS records_by_shift ON records (kind, day, shift);
CREATE TABLE IF NOT EXISTS record_events (
    seq BIGSERIAL PRIMARY KEY, record_id TEXT NOT NULL REFERENCES records (id), at_utc TEXT NOT NULL,
    actor TEXT NOT NULL, action TEXT NOT NULL, status TEXT NOT NULL, note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS record_events_by_record ON record_events (record_id, seq);
CREATE OR REPLACE FUNCTION records_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'records are kept as made; their history is append-only'; END $$;
CREATE OR REPLACE TRIGGER records_no_change BEFORE UPDATE OR DELETE ON records
FOR EACH ROW EXECUTE FUNCTION records_kept();
CREATE OR REPLACE TRIGGER records_no_truncate BEFORE TRUNCATE ON records
FOR EACH STATEMENT EXECUTE FUNCTION records_kept();
CREATE OR REPLACE TRIGGER record_events_no_change BEFORE UPDATE OR DELETE ON record_events
FOR EACH ROW EXECUTE FUNCTION records_kept();
CREATE OR REPLACE TRIGGER record_events_no_truncate BEFORE TRUNCATE ON record_events
FOR EACH STATEMENT EXECUTE FUNCTION records_kept();
"""


def parse_location(url: str) -> tuple[str, str]:
    """``postgresql://...?schema=NAME`` -> (the connection URL without ``schema``, the schema).

    Raises
    ------
    InputError
        Not a ``postgresql://`` URL, or a schema name that is not lowercase letters, digits and ``_``.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("postgresql", "postgres"):
        raise InputError(f"{url!r} is not a postgresql:// location", code="storage.pg_url", value=url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    schema = query.pop("schema", "public") or "public"
    if not _SCHEMA_NAME.match(schema):
        raise InputError(f"schema {schema!r}: use lowercase letters, digits and _ (e.g. yushui)",
                         code="storage.pg_schema", value=schema)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment)), schema


class _PgBase:
    _ddl = ""

    def __init__(self, url: str, connections: ThreadConnections | None = None):
        self.url = url
        self._dsn, self.schema = parse_location(url)
        self._ready = False
        #: The threads' kept connections to run on (shared with the workspace's other stores,
        #: :class:`app.storage.pg_store.PgStore`), else a new connection per transaction.
        self._conns = connections

    @contextmanager
    def _db(self) -> Iterator[psycopg.Connection[Any]]:
        """A transaction in the workspace's schema (created with its tables on first use)."""
        if self._conns is not None:
            with self._conns.transaction() as con:
                if not self._ready:  # processes making the tables at once take turns
                    con.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"{self.schema}.ddl",))
                    con.execute(self._ddl)
                    self._ready = True
                yield con
            return
        try:
            con = psycopg.connect(self._dsn, connect_timeout=10)
        except psycopg.Error as exc:
            raise WorkspaceError(f"cannot connect to {self._dsn.split('@')[-1]} ({exc}); check the address and "
                                 f"that the database is running", code="storage.pg_connect",
                                 reason=str(exc).strip()) from exc
        try:
            with con.transaction():
                if not self._ready:
                    # processes making the tables at once take turns (concurrent DDL deadlocks)
                    con.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"{self.schema}.ddl",))
                    con.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(self.schema)))
                con.execute(sql.SQL("SET LOCAL search_path TO {}, public").format(sql.Identifier(self.schema)))
                if not self._ready:
                    con.execute(self._ddl)
                    self._ready = True
                yield con
        finally:
            con.close()


class PgAuditLog(_PgBase):
    """:class:`app.storage.base.AuditLog` in PostgreSQL: append-only enforced by the database
    (triggers refuse UPDATE, DELETE and TRUNCATE)."""

    _ddl = _AUDIT_DDL

    def record(self, *, actor: str, action: str, target: str = "", details: dict[str, Any] | None = None) -> None:
        at, text = entry_values(action, details)
        with self._db() as con:
            con.execute("INSERT INTO audit (at_utc, actor, action, target, details) VALUES (%s, %s, %s, %s, %s)",
                        (at, actor or "unknown", action, str(target), text))

    def read(self, *, limit: int = 200, offset: int = 0, action: str | None = None) -> list[AuditEntry]:
        query = "SELECT id, at_utc, actor, action, target, details::text FROM audit"
        args: list[Any] = []
        if action:
            query += " WHERE action = %s"
            args.append(action)
        query += " ORDER BY id DESC LIMIT %s OFFSET %s"
        with self._db() as con:
            rows = con.execute(query, [*args, int(limit), int(offset)]).fetchall()
        return [AuditEntry(int(r[0]), r[1], r[2], r[3], r[4], json.loads(r[5])) for r in rows]

    def count(self, *, action: str | None = None) -> int:
        with self._db() as con:
            if action:
                return int(con.execute("SELECT count(*) FROM audit WHERE action = %s", (action,)).fetchone()[0])
            return int(con.execute("SELECT count(*) FROM audit").fetchone()[0])


class _Qmark:
    """A connection that takes the ``?`` placeholders the stores' SQL is written with."""

    def __init__(self, con: psycopg.Connection[Any]):
        self._con = con

    def execute(self, query: str, args: Any = ()) -> Any:
        return self._con.execute(query.replace("?", "%s"), tuple(args))


class _PgRows(_PgBase):
    """The backend hooks of an embedded store's code run in PostgreSQL: ``?`` placeholders, and
    writers taking turns on :attr:`_writers` (``LOCK TABLE ... SHARE ROW EXCLUSIVE``)."""

    _writers = ""

    def __init__(self, url: str, connections: ThreadConnections | None = None):
        _PgBase.__init__(self, url, connections)

    def _exists(self) -> bool:
        return True

    @contextmanager
    def _read(self) -> Iterator[Any]:
        with self._db() as con:
            yield _Qmark(con)

    @contextmanager
    def _write(self) -> Iterator[Any]:
        with self._db() as con:
            con.execute(f"LOCK TABLE {self._writers} IN SHARE ROW EXCLUSIVE MODE")
            yield _Qmark(con)


class PgRecordStore(_PgRows, RecordStore):
    """:class:`app.storage.records.RecordStore` in PostgreSQL: the same records, review and rules
    (they are the embedded store's code); rows and their history cannot be changed (triggers), and
    writers take turns (``LOCK TABLE ... SHARE ROW EXCLUSIVE``), so a status is checked and changed
    atomically across web workers and machines."""

    _ddl = _RECORDS_DDL
    _writers = "record_events"


class PgJobStore(_PgRows, JobStore):
    """:class:`app.storage.jobs.JobStore` in PostgreSQL: the same queue, leases and rules (the
    embedded store's code); deciding who runs what takes the table's writer lock, so web workers and
    ``patrolnet worker`` processes on several machines never take one job twice; the jobs that write
    the workspace take turns through an advisory lock."""

    _ddl = JOBS_DDL_PG
    _writers = "jobs"

    @contextmanager
    def write_turn(self) -> Iterator[None]:
        try:
            con = psycopg.connect(self._dsn, connect_timeout=10, autocommit=True)
        except psycopg.Error as exc:
            raise _connect_error(self._dsn, exc) from exc
        try:  # a session lock: released when the connection closes, even if this process dies
            con.execute("SELECT pg_advisory_lock(hashtext(%s))", (f"{self.schema}.jobs.write",))
            yield
        finally:
            con.close()


def _connect_error(dsn: str, exc: psycopg.Error) -> WorkspaceError:
    return WorkspaceError(f"cannot connect to {dsn.split('@')[-1]} ({exc}); check the address and that the database "
                          f"is running", code="storage.pg_connect", reason=str(exc).strip())


#: Every kept connection, so that the garbage collector never finalizes one before its holder
#: closes it (a store dropped in a reference cycle would otherwise leave it to psycopg's warning).
_KEPT: dict[int, psycopg.Connection[Any]] = {}


class _Held:
    """A thread's connection; closed when the thread ends or the store is dropped (not in a forked
    child: the socket is its parent's)."""

    __slots__ = ("con", "pid")

    def __init__(self, con: psycopg.Connection[Any]):
        self.con, self.pid = con, os.getpid()
        _KEPT[id(con)] = con

    def __del__(self, _pop: Any = _KEPT.pop, _getpid: Any = os.getpid) -> None:  # (bound: safe at exit too)
        _pop(id(self.con), None)
        if self.pid == _getpid():
            self.con.close()


class ThreadConnections:
    """One autocommit connection per thread (and per process: a forked web worker opens its own),
    kept open, its ``search_path`` set to the workspace's schema; the schema and ``ddl`` are made
    on the first connection. A connection the server dropped (a restart) is replaced."""

    def __init__(self, url: str, ddl: str):
        self.url = url
        self.dsn, self.schema = parse_location(url)
        self._ddl = ddl
        self._local = threading.local()
        self._ready = False

    def get(self) -> psycopg.Connection[Any]:
        held = getattr(self._local, "held", None)
        if held is None or held.con.closed or held.con.broken or held.pid != os.getpid():
            held = self._local.held = _Held(self._open())
        return held.con

    def renew(self) -> psycopg.Connection[Any]:
        """A new connection for this thread (after the old one broke)."""
        self._local.held = None
        return self.get()

    def close(self) -> None:
        """Close this thread's connection (the others close when their threads end)."""
        self._local.held = None

    def _open(self) -> psycopg.Connection[Any]:
        try:
            con = psycopg.connect(self.dsn, connect_timeout=10, autocommit=True)
        except psycopg.Error as exc:
            raise _connect_error(self.dsn, exc) from exc
        try:
            ident = sql.Identifier(self.schema)
            if not self._ready:
                with con.transaction():  # processes making the tables at once take turns
                    con.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"{self.schema}.ddl",))
                    con.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(ident))
                    con.execute(sql.SQL("SET LOCAL search_path TO {}, public").format(ident))
                    con.execute(self._ddl)
                self._ready = True
            con.execute(sql.SQL("SET search_path TO {}, public").format(ident))
            con.execute("SET lock_timeout TO '30s'")  # as SQLite's busy timeout: a stuck writer is an error
        except BaseException:
            con.close()
            raise
        return con

    @contextmanager
    def transaction(self, *lock: str) -> Iterator[psycopg.Connection[Any]]:
        """A transaction on this thread's connection, first running ``lock`` (statements that take
        the writer's turn); a connection found broken before anything ran is renewed once."""
        con = self.get()
        try:
            tx = con.transaction()
            tx.__enter__()
            for statement in lock:
                con.execute(statement)
        except psycopg.OperationalError:
            if not con.broken:
                raise
            con = self.renew()
            tx = con.transaction()
            tx.__enter__()
            for statement in lock:
                con.execute(statement)
        try:
            yield con
        except BaseException as exc:
            if not tx.__exit__(type(exc), exc, exc.__traceback__):
                raise
        else:
            tx.__exit__(None, None, None)


class _KeptQmark:
    """``execute(sql, args)`` with ``?`` placeholders on this thread's kept connection, outside a
    transaction (each statement its own); a connection the server dropped is renewed once."""

    def __init__(self, conns: ThreadConnections):
        self._conns = conns

    def execute(self, query: str, args: Any = ()) -> Any:
        query = query.replace("?", "%s")
        con = self._conns.get()
        try:
            return con.execute(query, tuple(args))
        except psycopg.OperationalError:
            if not con.broken:
                raise
            return self._conns.renew().execute(query, tuple(args))


class PgUserStore(UserStore):
    """:class:`app.storage.users.UserStore` in PostgreSQL: the same users, sessions and rules (the
    embedded store's code), one connection per thread kept open (a sign-in check runs on every
    request). Every change takes the writer's turn (``LOCK TABLE users IN SHARE ROW EXCLUSIVE
    MODE``, which reads do not wait for) before reading what it checks, so web workers on several
    machines never lose an update: two admins changing one user, a session opened while its user
    is removed or disabled, the last active admin kept."""

    def __init__(self, url: str, connections: ThreadConnections | None = None):
        """``connections``: the threads' connections to use (shared with the workspace's other stores,
        :class:`app.storage.pg_store.PgStore`; their DDL must make the users' tables)."""
        self.url = url
        self._conns = connections if connections is not None else ThreadConnections(url, USERS_DDL_PG)
        self.schema = self._conns.schema
        self._lock = threading.RLock()

    @contextmanager
    def _read(self) -> Iterator[Any]:
        yield _KeptQmark(self._conns)

    @contextmanager
    def _write(self) -> Iterator[Any]:
        with self._conns.transaction("LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE") as con:
            yield _Qmark(con)
