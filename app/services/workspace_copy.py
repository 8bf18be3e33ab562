"""Copy a workspace between a GeoPackage file and PostgreSQL/PostGIS (issue 14), in either direction:
``patrolnet workspace copy data/demo/yushui.gpkg postgresql://USER@HOST/DB?schema=yushui`` and back.

What is copied: every layer (the same columns, types, CRS, feature ids and order), ``meta`` (the
schema version, working CRS, time zone, sources...), the audit log, the records of outputs with
their history, and the users (their Argon2id hashes as they are: the same passwords work) with their
open sessions and tokens (still signed in after the move). Not copied: the sign-in failure counts
(they expire within minutes), the backups (``pg_dump`` backs up a database) and the records' files
(the records keep pointing at the same folders).

All or nothing: into PostgreSQL the copy is one transaction (a failure rolls everything back; with
``replace`` the old schema comes back too); into a ``.gpkg`` the file and its audit, records and users
files are written beside the target and moved over it only when all are complete
(:func:`geo.atomic.atomic_path`). An existing target (a users file left beside a deleted workspace
included: it would bring old passwords back) is refused unless ``replace`` is given.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg
import pyogrio
from psycopg import sql
from pyproj import CRS

from app.storage.audit import _SCHEMA as _AUDIT_SQLITE
from app.storage.audit import audit_path
from app.storage.locks import check_not_in_use, writer_lock
from app.storage.pg import _AUDIT_DDL, _RECORDS_DDL, parse_location
from app.storage.pg_layers import (
    _INTS,
    StoredLayer,
    connect,
    create_catalog,
    has_postgis,
    public_url,
    read_catalog,
    read_stored,
    write_stored,
)
from app.storage.records import _SCHEMA as _RECORDS_SQLITE
from app.storage.records import records_path
from app.storage.users import USERS_DDL, USERS_DDL_PG, users_path
from app.storage.workspace import Workspace
from geo.atomic import atomic_path
from geo.errors import InputError, WorkspaceError
from geo.schema import DEFAULT_TIMEZONE, LAYERS

__all__ = ["CopyResult", "copy_workspace", "is_postgres"]

_AUDIT_COLS = ("id", "at_utc", "actor", "action", "target", "details")
_RECORD_COLS = ("id", "kind", "scope", "station_id", "author", "created_at", "day", "shift", "params",
                "inputs_version", "folder", "files", "units", "result")
_EVENT_COLS = ("seq", "record_id", "at_utc", "actor", "action", "status", "note")
_USER_COLS = ("username", "password_hash", "role", "station_id", "display_name", "active", "demo", "created_at",
              "password_changed_at", "unit_id")
_SESSION_COLS = ("token_sha256", "username", "kind", "csrf", "created_at", "expires_at", "last_seen")
_LINK_COLS = ("token_sha256", "link_id", "unit_id", "unit_name", "station_id", "day", "shift", "csrf", "created_by",
              "created_at", "expires_at", "revoked_at", "opened_at")
#: The store's own tables, in the order they are copied (a session after its user), and the
#: SQLite file beside a ``.gpkg`` each lives in.
_SIDES = {"audit": "audit", "records": "records", "record_events": "records", "users": "users", "sessions": "users",
          "shift_links": "users"}


@dataclass(frozen=True)
class CopyResult:
    """What a copy moved: the layers with their row counts (``meta`` apart), the meta keys, audit
    entries, records, record events, users and sessions, and what it left behind (with the reason;
    nothing today)."""

    source: str
    target: str
    layers: tuple[tuple[str, int], ...]
    meta_keys: int
    audit_entries: int
    records: int
    record_events: int
    users: int
    sessions: int
    not_copied: tuple[str, ...]
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        return {"source": self.source, "target": self.target,
                "layers": [{"name": n, "features": k} for n, k in self.layers], "meta_keys": self.meta_keys,
                "audit_entries": self.audit_entries, "records": self.records, "record_events": self.record_events,
                "users": self.users, "sessions": self.sessions, "not_copied": list(self.not_copied),
                "seconds": round(self.seconds, 3)}


def is_postgres(location: str | os.PathLike[str]) -> bool:
    """Whether ``location`` is a ``postgresql://`` URL (else a ``.gpkg`` path; another scheme is refused)."""
    text = os.fspath(location)
    scheme, sep, _ = text.partition("://")
    if not sep or len(scheme) <= 1:  # "C:\\..." is a path
        return False
    if scheme.lower() in ("postgresql", "postgres"):
        return True
    raise InputError(f"'{scheme}://' workspaces are not supported by this patrolnet; give the path of a .gpkg "
                     f"workspace file or a postgresql:// URL", code="storage.backend", scheme=scheme)


# -- the source ----------------------------------------------------------------------------------------
class _GpkgSource:
    """A ``.gpkg`` workspace, read from a private snapshot taken under its writer lock (a write
    during the copy cannot mix two states)."""

    def __init__(self, path: Path, folder: Path):
        self.location = str(path)
        if not path.is_file():
            Workspace(path)  # says it does not exist
        self.snapshot = folder / path.name
        with writer_lock(path):
            try:  # SQLite's backup API: what another program (QGIS) committed to its WAL is included
                _sqlite_snapshot(path, self.snapshot)
            except sqlite3.Error:  # a folder it cannot write its lock files to: the file as it is
                self.snapshot.unlink(missing_ok=True)
                shutil.copyfile(path, self.snapshot)
            for side, make in (("audit", audit_path), ("records", records_path), ("users", users_path)):
                if make(path).exists():
                    _sqlite_snapshot(make(path), folder / f"{side}.sqlite")
        try:  # the snapshot, not the file: opening a GeoPackage with GDAL may checkpoint another program's WAL
            ws = Workspace(self.snapshot)
        except WorkspaceError:
            Workspace(path)  # the same refusal, naming the file the user gave
            raise
        self.meta, self.timezone = ws.meta, ws.timezone
        self.order = [str(n) for n, _ in pyogrio.list_layers(self.snapshot)]
        self.folder = folder

    def read(self, name: str) -> StoredLayer:
        info = pyogrio.read_info(self.snapshot, layer=name)
        geo = info.get("geometry_type") is not None
        frame = pyogrio.read_dataframe(self.snapshot, layer=name, use_arrow=False, fid_as_index=True,
                                       read_geometry=geo)
        crs = CRS.from_user_input(info["crs"]) if geo and info.get("crs") else None
        return StoredLayer(name, frame, _gpkg_dtypes(name, info), info.get("geometry_type") if geo else None, crs)

    def rows(self, table: str) -> list[tuple[Any, ...]]:
        side = self.folder / f"{_SIDES[table]}.sqlite"
        if not side.exists():
            return []
        cols, order = _TABLES[table]
        con = sqlite3.connect(f"{side.resolve().as_uri()}?mode=ro", uri=True)
        try:
            have = {r[1] for r in con.execute(f"PRAGMA table_info({table})")}
            if not have:  # a store made before the table was
                return []
            fields = [c if c in have else f"NULL AS {c}" for c in cols]  # (and before a column was)
            return con.execute(f"SELECT {', '.join(fields)} FROM {table} ORDER BY {order}").fetchall()
        finally:
            con.close()



class _PgSource:
    """A workspace in a PostgreSQL schema, read in one repeatable-read transaction (one snapshot)."""

    def __init__(self, url: str, con: psycopg.Connection[Any]):
        self.location = public_url(url)
        _, self.schema = parse_location(url)
        self.con = con
        catalog = read_catalog(con, self.schema)
        if catalog is None or "meta" not in catalog:
            raise WorkspaceError(
                f"schema '{self.schema}' of {self.location} holds no patrolnet workspace; check the schema's name "
                f"(?schema=NAME)", code="storage.pg_not_workspace", url=self.location, schema=self.schema)
        self.catalog = catalog
        meta = read_stored(con, self.schema, catalog["meta"], tz=DEFAULT_TIMEZONE)
        self.meta = {str(k): (v if isinstance(v, str) else "") for k, v in zip(meta["key"], meta["value"], strict=True)}
        self.timezone = self.meta.get("timezone", DEFAULT_TIMEZONE)
        self.order = list(catalog)

    def read(self, name: str) -> StoredLayer:
        entry = self.catalog[name]
        frame = read_stored(self.con, self.schema, entry, tz=self.timezone)
        return StoredLayer(name, frame, dict(entry.dtypes), entry.geometry_type,
                           CRS.from_user_input(entry.crs) if entry.crs else None, int(entry.srid or 0))

    def rows(self, table: str) -> list[tuple[Any, ...]]:
        found = self.con.execute("SELECT to_regclass(%s)", (f'"{self.schema}"."{table}"',)).fetchone()
        if found is None or found[0] is None:
            return []
        cols, order = _TABLES[table]
        have = {r[0] for r in self.con.execute("SELECT column_name FROM information_schema.columns "
                                               "WHERE table_schema = %s AND table_name = %s", (self.schema, table))}
        fields = [sql.SQL("details::text") if c == "details" else sql.Identifier(c) if c in have
                  else sql.SQL("NULL AS {}").format(sql.Identifier(c)) for c in cols]
        query = sql.SQL("SELECT {} FROM {} ORDER BY {}").format(sql.SQL(", ").join(fields),
                                                                 sql.Identifier(self.schema, table), sql.SQL(order))
        return self.con.execute(query).fetchall()


_TABLES = {"audit": (_AUDIT_COLS, "id"), "records": (_RECORD_COLS, "created_at, id"),
           "record_events": (_EVENT_COLS, "seq"), "users": (_USER_COLS, "username"),
           "sessions": (_SESSION_COLS, "created_at, token_sha256"), "shift_links": (_LINK_COLS, "created_at, link_id")}


def _sqlite_snapshot(path: Path, to: Path) -> None:
    """A consistent copy of an SQLite file (its backup API: safe while another process writes it)."""
    src = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    dst = sqlite3.connect(to)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()


def _gpkg_dtypes(name: str, info: dict[str, Any]) -> dict[str, str]:
    """Each column's declared type (:data:`app.storage.pg_layers.PG_TYPES`) from GDAL's field types."""
    spec = LAYERS.get(name)
    datetimes = {c.name for c in spec.columns if c.dtype == "datetime"} if spec is not None else set()
    out: dict[str, str] = {}
    for field, ogr, sub in zip(info["fields"], info["ogr_types"], info["ogr_subtypes"], strict=True):
        field = str(field)
        if ogr == "OFTString":
            out[field] = "tztext" if field in datetimes else "str"
        elif ogr == "OFTInteger":
            out[field] = {"OFSTBoolean": "bool", "OFSTInt16": "int16"}.get(sub, "int32")
        elif ogr == "OFTInteger64":
            out[field] = "int64"
        elif ogr == "OFTReal":
            out[field] = "float32" if sub == "OFSTFloat32" else "float64"
        elif ogr == "OFTDateTime":
            out[field] = "datetime"
        elif ogr == "OFTBinary":
            out[field] = "bytes"
        else:
            raise InputError(f"layer '{name}', column '{field}': type {ogr} cannot be copied; convert it to text "
                             f"or numbers", code="storage.pg_column_type", layer=name, column=field, dtype=ogr)
    return out


# -- the targets ---------------------------------------------------------------------------------------
class _PgTarget:
    """Writes into a new schema, all in the caller's transaction."""

    def __init__(self, url: str, con: psycopg.Connection[Any], *, replace: bool, timezone: str):
        self.location, self.con, self.timezone = public_url(url), con, timezone
        _, self.schema = parse_location(url)
        if self.schema == "public":
            raise InputError(f"{self.location}: give the workspace a schema of its own (add ?schema=yushui to the "
                             f"URL); the public schema holds PostGIS itself", code="storage.pg_public_schema",
                             url=self.location)
        if not has_postgis(con):
            raise WorkspaceError(
                f"the database of {self.location} has no PostGIS; ask its administrator to run "
                f"'CREATE EXTENSION postgis;' in it, then copy again", code="storage.pg_no_postgis", url=self.location)
        con.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"patrolnet:{self.schema}",))
        tables = con.execute("SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                             "WHERE n.nspname = %s", (self.schema,)).fetchone()[0]
        exists = con.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (self.schema,)).fetchone() is not None
        if exists and tables and not replace:
            raise _schema_exists(self.location, self.schema)
        ident = sql.Identifier(self.schema)
        if exists and tables:
            con.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(ident))
        if not (exists and not tables):
            con.execute(sql.SQL("CREATE SCHEMA {}").format(ident))
        con.execute(sql.SQL("SET LOCAL search_path TO {}, public").format(ident))
        create_catalog(con, self.schema)
        self.position = 0

    def layer(self, stored: StoredLayer) -> int:
        self.position += 1
        return write_stored(self.con, self.schema, stored, tz=self.timezone, position=self.position)

    def rows(self, table: str, rows: list[tuple[Any, ...]]) -> None:
        if table == "audit":
            self.con.execute(_AUDIT_DDL)
        elif table == "records":
            self.con.execute(_RECORDS_DDL)
        elif table == "users":  # and the sessions' and the one-shift links'
            self.con.execute(USERS_DDL_PG)
        cols = _TABLES[table][0]
        query = sql.SQL("COPY {} ({}) FROM STDIN").format(sql.Identifier(self.schema, table),
                                                          sql.SQL(", ").join(map(sql.Identifier, cols)))
        with self.con.cursor() as cur, cur.copy(query) as out:
            for row in rows:
                out.write_row(row)
        serial = {"audit": "id", "record_events": "seq"}.get(table)
        if serial:  # the next entry continues after the copied ones
            self.con.execute(sql.SQL("SELECT setval(pg_get_serial_sequence(%s, %s), coalesce(max({}), 0) + 1, false) "
                                     "FROM {}").format(sql.Identifier(serial), sql.Identifier(self.schema, table)),
                             (f"{self.schema}.{table}", serial))


def _schema_exists(location: str, schema: str) -> InputError:
    return InputError(f"schema '{schema}' of {location} already holds tables; choose another schema (?schema=NAME) or "
                      f"pass --replace to replace it", code="storage.pg_schema_exists", url=location, schema=schema)


class _GpkgTarget:
    """Writes a new ``.gpkg`` and its audit, records and users files beside the target; each is moved
    over its target only when everything was written (nested :func:`geo.atomic.atomic_path`)."""

    def __init__(self, path: Path, stack: ExitStack):
        self.path = path
        self.gpkg = stack.enter_context(atomic_path(path, suffix=".tmp.gpkg",
                                                    before_replace=lambda: check_not_in_use(path)))
        self.sides = {"audit": stack.enter_context(atomic_path(audit_path(path), suffix=".tmp.sqlite")),
                      "records": stack.enter_context(atomic_path(records_path(path), mode=0o600, suffix=".tmp.sqlite")),
                      "users": stack.enter_context(atomic_path(users_path(path), mode=0o600, suffix=".tmp.sqlite"))}
        for table, script in (("audit", _AUDIT_SQLITE), ("records", _RECORDS_SQLITE), ("users", USERS_DDL)):
            con = sqlite3.connect(self.sides[table])
            try:
                con.executescript(script)
            finally:
                con.close()

    def layer(self, stored: StoredLayer) -> int:
        _write_gpkg_layer(self.gpkg, stored)
        return len(stored.frame)

    def rows(self, table: str, rows: list[tuple[Any, ...]]) -> None:
        cols = _TABLES[table][0]
        con = sqlite3.connect(self.sides[_SIDES[table]])
        try:
            with con:
                con.executemany(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                                [_sqlite_row(table, r) for r in rows])
        finally:
            con.close()


def _sqlite_row(table: str, row: tuple[Any, ...]) -> tuple[Any, ...]:
    if table != "audit":
        return tuple(row)
    # PostgreSQL's JSONB orders keys its own way: back to the embedded log's own text
    return (*row[:5], json.dumps(json.loads(row[5]), ensure_ascii=False, default=str, sort_keys=True))


def _write_gpkg_layer(path: Path, stored: StoredLayer) -> None:
    """One stored layer into a GeoPackage: the same column types (integers and booleans with missing
    values as nullable columns, not floats), feature ids and geometry type."""
    frame = stored.frame.copy()
    for col, dtype in stored.dtypes.items():
        if frame[col].dtype.kind == "f" and dtype in _INTS:
            frame[col] = frame[col].astype(_INTS[dtype])
        elif frame[col].dtype.kind == "f" and dtype == "bool":
            frame[col] = frame[col].astype("boolean")
    frame = frame.reset_index()
    kwargs: dict[str, Any] = {"layer": stored.name, "driver": "GPKG"}
    if stored.geometry_type is not None:
        kwargs["geometry_type"] = stored.geometry_type
    pyogrio.write_dataframe(frame, path, **kwargs)


# -- the copy ------------------------------------------------------------------------------------------
def copy_workspace(source: str | os.PathLike[str], target: str | os.PathLike[str], *,
                   replace: bool = False) -> CopyResult:
    """Copy the workspace at ``source`` to ``target`` (each a ``.gpkg`` path or a ``postgresql://`` URL).

    Raises
    ------
    InputError
        A bad location, the same location twice, an existing target without ``replace``, a layer or
        value that cannot be stored.
    WorkspaceError
        The source is not a patrolnet workspace, the server cannot be reached, has no PostGIS, or
        refused the copy (nothing was written then).
    """
    started = time.perf_counter()
    src_text, dst_text = os.fspath(source), os.fspath(target)
    src_pg, dst_pg = is_postgres(src_text), is_postgres(dst_text)
    for text, pg in ((src_text, src_pg), (dst_text, dst_pg)):
        if pg:
            _check_location(text)
    _check_distinct(src_text, dst_text, src_pg, dst_pg)
    if not dst_pg:
        dst_path = Path(dst_text)
        existing = [p for p in (dst_path, audit_path(dst_path), records_path(dst_path), users_path(dst_path))
                    if p.exists()]
        if existing and not replace:
            raise InputError(f"'{existing[0]}' already exists; choose another path or pass --replace to replace it",
                             code="workspace.copy_exists", path=str(existing[0]))
    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="patrolnet-copy-")))
        if src_pg:
            con = stack.enter_context(connect(src_text))
            stack.enter_context(_pg_failures(src_text, reading=True))
            con.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            con.read_only = True
            stack.enter_context(con.transaction())
            src: _GpkgSource | _PgSource = _PgSource(src_text, con)
        else:
            src = _GpkgSource(Path(src_text), folder)
        if dst_pg:
            out_con = stack.enter_context(connect(dst_text))
            stack.enter_context(_pg_failures(dst_text))
            stack.enter_context(out_con.transaction())
            dst: _GpkgTarget | _PgTarget = _PgTarget(dst_text, out_con, replace=replace, timezone=src.timezone)
        else:
            if Path(dst_text).exists():
                check_not_in_use(dst_text)
            Path(dst_text).parent.mkdir(parents=True, exist_ok=True)
            stack.enter_context(writer_lock(dst_text))
            dst = _GpkgTarget(Path(dst_text), stack)
        layers = []
        for name in src.order:
            rows = dst.layer(src.read(name))
            if name != "meta":
                layers.append((name, rows))
        counts = {}
        for table in _SIDES:
            rows_of = src.rows(table)
            dst.rows(table, rows_of)
            counts[table] = len(rows_of)
        meta_keys = len(src.meta)
    return CopyResult(source=src.location, target=public_url(dst_text) if dst_pg else dst_text, layers=tuple(layers),
                      meta_keys=meta_keys, audit_entries=counts["audit"], records=counts["records"],
                      record_events=counts["record_events"], users=counts["users"], sessions=counts["sessions"],
                      not_copied=(),
                      seconds=time.perf_counter() - started)


def _check_location(url: str) -> None:
    """A ``postgresql://`` location's schema name, refused with the location named."""
    try:
        parse_location(url)
    except InputError as exc:
        shown = public_url(url)
        raise InputError(f"{shown}: {exc}", code="storage.pg_bad_schema", url=shown,
                         value=str(exc.fmt.get("value", ""))) from exc


def _check_distinct(src: str, dst: str, src_pg: bool, dst_pg: bool) -> None:
    if src_pg and dst_pg:
        (a, sa), (b, sb) = parse_location(src), parse_location(dst)
        same = sa == sb and _server(a) == _server(b)
    elif not src_pg and not dst_pg:
        same = Path(src).resolve() == Path(dst).resolve()
    else:
        return
    if same:
        raise InputError(f"'{public_url(src) if src_pg else src}' is both the source and the target; give another "
                         f"target", code="workspace.copy_same", path=public_url(src) if src_pg else src)


def _server(dsn: str) -> tuple[str, str]:
    """(host:port, database) of a connection URL, for telling two locations apart."""
    parts = urlsplit(dsn)
    return f"{parts.hostname}:{parts.port or 5432}", parts.path.lstrip("/")


@contextmanager
def _pg_failures(url: str, *, reading: bool = False) -> Iterator[None]:
    """A database error during the copy as a :class:`WorkspaceError` naming the location (the
    transaction is rolled back: nothing was written)."""
    try:
        yield
    except psycopg.errors.DuplicateSchema as exc:
        _, schema = parse_location(url)
        raise _schema_exists(public_url(url), schema) from exc
    except psycopg.Error as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        if reading:
            raise WorkspaceError(f"reading the workspace at {public_url(url)} failed ({reason}); nothing was copied",
                                 code="storage.pg_read_failed", url=public_url(url), reason=reason) from exc
        raise WorkspaceError(f"the copy into {public_url(url)} failed ({reason}); nothing was written there",
                             code="storage.pg_copy_failed", url=public_url(url), reason=reason) from exc
