"""A workspace's layers in PostgreSQL/PostGIS (issue 14): the :class:`~app.storage.base.LayerStore`
of a ``postgresql://USER@HOST/DB?schema=NAME`` location.

Each workspace lives in its own schema. A layer is a table of the same name (so QGIS opens
``yushui.incidents`` as it is): ``fid BIGINT PRIMARY KEY`` (the GeoPackage's feature id, which
keeps the row order), the layer's columns with proper types (``BIGINT``, ``INTEGER``, ``SMALLINT``,
``BOOLEAN``, ``DOUBLE PRECISION``, ``REAL``, ``TEXT``, ``TIMESTAMP``, ``BYTEA``; the schema's
datetime columns, kept as ISO text with offset in the GeoPackage, are ``TIMESTAMPTZ`` here) and
``geom geometry(<type>, <SRID>)`` with a GiST index. ``meta`` is a table (``fid, key, value``) as in
the GeoPackage, and ``patrolnet_layers`` lists the layers in their order with their declared
column types, geometry type and CRS, so that a layer reads back as the GeoPackage gives it: the same
columns, dtypes, CRS and row order (:func:`read_stored`, :meth:`PgWorkspace.read`).

A bbox read (``read(layer, bbox=...)``) is ``ST_Intersects(geom, ST_MakeEnvelope(...))``, which
uses the GiST index and returns what GDAL's rectangle filter returns from a GeoPackage. Writes
(:meth:`PgWorkspace.write`) replace the given layers and ``meta`` in one transaction, writers taking
turns on an advisory lock of the schema.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import threading
import weakref
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import geopandas as gpd
import numpy as np
import pandas as pd
import psycopg
import shapely
from psycopg import sql
from pyproj import CRS, Transformer

from app.storage.pg import parse_location
from app.storage.workspace import (
    LayerInfo,
    WorkspaceInfo,
    _from_storage,
    _now,
    _to_storage,
    _usable_geometries,
    time_span_frame,
    write_updates,
)
from geo.errors import InputError, WorkspaceError
from geo.schema import DEFAULT_TIMEZONE, LAYERS, SCHEMA_VERSION

__all__ = [
    "CATALOG", "PG_TYPES", "RESERVED_TABLES", "PgWorkspace", "StoredLayer", "connect", "create_catalog",
    "declared_dtypes", "has_postgis", "public_url", "read_catalog", "read_stored", "stored_from_frame",
    "write_stored",
]

#: The table listing a workspace's layers (name, order, declared columns, geometry type, CRS).
CATALOG = "patrolnet_layers"
#: Tables of a workspace's schema that are not layers (the stores beside the layers, PostGIS's own).
RESERVED_TABLES = frozenset({CATALOG, "audit", "records", "record_events", "users", "sessions", "spatial_ref_sys"})
#: Declared column type -> its PostgreSQL type. ``tztext`` is a datetime column of the schema
#: (ISO 8601 text with offset in the GeoPackage).
PG_TYPES = {
    "int64": "BIGINT", "int32": "INTEGER", "int16": "SMALLINT", "bool": "BOOLEAN", "float64": "DOUBLE PRECISION",
    "float32": "REAL", "str": "TEXT", "datetime": "TIMESTAMP", "tztext": "TIMESTAMPTZ", "bytes": "BYTEA",
}
_INTS = {"int64": "Int64", "int32": "Int32", "int16": "Int16"}
_GEOM_KINDS = {"Point", "LineString", "Polygon", "MultiPoint", "MultiLineString", "MultiPolygon", "GeometryCollection"}

_CATALOG_DDL = f"""
CREATE TABLE IF NOT EXISTS {CATALOG} (
    name TEXT PRIMARY KEY,
    position INTEGER NOT NULL,
    geometry_type TEXT,
    srid INTEGER,
    crs TEXT,
    columns JSONB NOT NULL
)"""


def public_url(url: str) -> str:
    """``url`` without its password (for messages and listings)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    user = parts.username or ""
    return urlunsplit((parts.scheme, f"{user}:***@{host}", parts.path, parts.query, parts.fragment))


@contextmanager
def connect(url: str) -> Iterator[psycopg.Connection[Any]]:
    """A connection to the database of ``url`` (a ``postgresql://`` location, its ``schema`` ignored).

    Raises
    ------
    InputError
        Not a ``postgresql://`` location or a bad schema name.
    WorkspaceError
        The server cannot be reached or refuses the user (``storage.pg_unreachable``).
    """
    con = _open(url)
    try:
        yield con
    finally:
        con.close()


def _open(url: str, *, autocommit: bool = False) -> psycopg.Connection[Any]:
    dsn, _ = parse_location(url)
    try:
        return psycopg.connect(dsn, connect_timeout=10, autocommit=autocommit)
    except psycopg.Error as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        shown = public_url(url)
        raise WorkspaceError(
            f"cannot connect to {shown} ({reason}); check the host, port, user and database, and that the "
            f"server is running and accepts this user", code="storage.pg_unreachable", url=shown, reason=reason,
        ) from exc


def has_postgis(con: psycopg.Connection[Any]) -> bool:
    """Whether the PostGIS extension is installed in the connection's database."""
    return con.execute("SELECT 1 FROM pg_extension WHERE extname = 'postgis'").fetchone() is not None


# -- the stored form of a layer ------------------------------------------------------------------------
@dataclass
class StoredLayer:
    """A layer as it is kept: the frame GDAL reads from a GeoPackage (``fid`` as the index, datetimes
    of the schema as ISO text, integers with gaps as floats), its declared column types
    (:data:`PG_TYPES`), its geometry type (``None`` for a table) and CRS."""

    name: str
    frame: pd.DataFrame
    dtypes: dict[str, str]
    geometry_type: str | None = None
    crs: CRS | None = None
    srid: int = 0


def _schema_datetimes(name: str) -> set[str]:
    spec = LAYERS.get(name)
    return {c.name for c in spec.columns if c.dtype == "datetime"} if spec is not None else set()


def declared_dtypes(name: str, frame: pd.DataFrame) -> dict[str, str]:
    """The declared type of each attribute column of a frame in the stored form (as pyogrio would
    write it to a GeoPackage).

    Raises
    ------
    InputError
        A column of a type no backend keeps (``storage.pg_column_type``).
    """
    datetimes = _schema_datetimes(name)
    geometry = frame.geometry.name if isinstance(frame, gpd.GeoDataFrame) else None
    out: dict[str, str] = {}
    for col in frame.columns:
        if col == geometry:
            continue
        dtype = frame[col].dtype
        if col in datetimes:
            out[str(col)] = "tztext"
        elif pd.api.types.is_bool_dtype(dtype):
            out[str(col)] = "bool"
        elif pd.api.types.is_integer_dtype(dtype):
            kind = str(dtype).lower()
            out[str(col)] = ("int32" if kind in ("int32", "uint16") else "int16" if kind in ("int16", "int8", "uint8")
                             else "int64")
        elif pd.api.types.is_float_dtype(dtype):
            out[str(col)] = "float32" if str(dtype).lower() == "float32" else "float64"
        elif isinstance(dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(dtype):
            out[str(col)] = "datetime"
        elif pd.api.types.is_string_dtype(dtype) or dtype == object:
            kinds = {type(v) for v in frame[col].dropna().head(1000)}
            out[str(col)] = "bytes" if kinds and kinds <= {bytes, bytearray, memoryview} else "str"
        else:
            raise InputError(f"layer '{name}', column '{col}': type {dtype} cannot be stored; convert it to "
                             f"text or numbers", code="storage.pg_column_type", layer=name, column=str(col),
                             dtype=str(dtype))
    return out


def _geometry_type(name: str, frame: pd.DataFrame) -> str | None:
    if not isinstance(frame, gpd.GeoDataFrame):
        return None
    spec = LAYERS.get(name)
    if spec is not None and spec.geometry is not None:
        return spec.geometry
    kinds = set(frame.geometry.dropna().geom_type)
    return kinds.pop() if len(kinds) == 1 else "Unknown"


def stored_from_frame(name: str, frame: pd.DataFrame, *, crs: CRS) -> StoredLayer:
    """A layer written by a service (already in the stored form: ``_to_storage``) as a :class:`StoredLayer`,
    its rows numbered from 1 as GDAL numbers a new GeoPackage layer."""
    out = frame.copy()
    out.index = pd.RangeIndex(1, len(out) + 1, name="fid")
    if isinstance(out, gpd.GeoDataFrame) and out.geometry.name != "geometry":
        out = out.rename_geometry("geometry")
    return StoredLayer(name, out, declared_dtypes(name, out), _geometry_type(name, out),
                       CRS.from_user_input(out.crs) if isinstance(out, gpd.GeoDataFrame) and out.crs else
                       (crs if isinstance(out, gpd.GeoDataFrame) else None))


# -- values to and from the database -------------------------------------------------------------------
def _missing(v: Any) -> bool:
    return v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and math.isnan(v))


def _db_values(layer: str, col: str, series: pd.Series, dtype: str) -> list[Any]:
    """A stored column as the Python values psycopg writes (``None`` for missing)."""
    missing = series.isna().to_numpy(dtype=bool)
    if dtype == "tztext":
        try:
            series = pd.to_datetime(series, utc=True, format="ISO8601")
        except (ValueError, TypeError) as exc:
            raise InputError(f"layer '{layer}', column '{col}': a value is not a date and time ({exc}); fix it "
                             f"(ISO 8601, e.g. 2025-03-01T20:15:00+08:00) or import the layer again",
                             code="storage.pg_bad_time", layer=layer, column=col, reason=str(exc)) from exc
    elif dtype == "datetime":  # TIMESTAMP keeps no zone: a zoned column goes in as UTC (and comes back so)
        series = pd.to_datetime(series)
        if isinstance(series.dtype, pd.DatetimeTZDtype):
            series = series.dt.tz_convert("UTC").dt.tz_localize(None)
    make: Any = {"bool": bool, "float64": float, "float32": float, "bytes": bytes, "str": str,
                 "tztext": pd.Timestamp.to_pydatetime, "datetime": pd.Timestamp.to_pydatetime}.get(dtype, int)
    values = series.tolist()
    if not missing.any():
        return [make(v) for v in values]
    return [None if m else make(v) for v, m in zip(values, missing, strict=True)]


def _frame_column(values: Sequence[Any], dtype: str, tz: str) -> np.ndarray:
    """Database values as the column GDAL reads from a GeoPackage (integers or booleans with a
    missing value become floats, missing text ``None``, missing times ``NaT``)."""
    has_missing = any(v is None for v in values)
    if dtype in _INTS or dtype == "bool":
        if has_missing:
            return np.array([np.nan if v is None else float(v) for v in values], dtype="float64")
        return np.array(values, dtype=dtype)
    if dtype in ("float64", "float32"):
        return np.array([np.nan if v is None else v for v in values], dtype=dtype)
    if dtype == "datetime":
        return np.array([None if v is None else np.datetime64(v.replace(tzinfo=None), "ms") for v in values],
                        dtype="datetime64[ms]")
    if dtype == "bytes":
        return np.array([None if v is None else bytes(v) for v in values], dtype=object)
    return np.array(list(values), dtype=object)


def _select(col: str, dtype: str) -> sql.Composable:
    """The expression reading a column: a time of the schema comes back as the GeoPackage keeps it,
    ISO 8601 text in the session's zone (the workspace's) with its offset, microseconds only when it
    has some (:func:`app.storage.workspace._iso_text`); formatted by the server, which is fast."""
    ident = sql.Identifier(col)
    if dtype != "tztext":
        return ident
    return sql.SQL("CASE WHEN date_trunc('second', {c}) = {c} THEN to_char({c}, 'YYYY-MM-DD\"T\"HH24:MI:SSTZH:TZM') "
                   "ELSE to_char({c}, 'YYYY-MM-DD\"T\"HH24:MI:SS.USTZH:TZM') END").format(c=ident)


def _typmod(stored: StoredLayer) -> str:
    """The PostGIS type of the geometry column: the declared type when every geometry is of it,
    else ``Geometry`` (a layer edited outside patrolnet may mix kinds; the catalog keeps the declared)."""
    declared = (stored.geometry_type or "").replace(" ", "")
    base, z = (declared[:-1], True) if declared.endswith("Z") and declared[:-1] in _GEOM_KINDS else (declared, False)
    if base not in _GEOM_KINDS:
        return "Geometry"
    geoms = stored.frame.geometry.to_numpy()
    present = geoms[~shapely.is_missing(geoms)]
    if len(present):
        kinds = set(shapely.get_type_id(present).tolist())
        if kinds != {shapely.GeometryType[_type_name(base)].value} or bool(shapely.has_z(present).any()) != z:
            return "Geometry"
    return base + ("Z" if z else "")


def _type_name(kind: str) -> str:
    return {"Point": "POINT", "LineString": "LINESTRING", "Polygon": "POLYGON", "MultiPoint": "MULTIPOINT",
            "MultiLineString": "MULTILINESTRING", "MultiPolygon": "MULTIPOLYGON",
            "GeometryCollection": "GEOMETRYCOLLECTION"}[kind]


def _check_name(name: str) -> None:
    if name in RESERVED_TABLES or name.startswith("pg_"):
        raise InputError(f"layer '{name}': the name is taken by the store's own tables in PostgreSQL; rename the "
                         f"layer", code="storage.pg_reserved_layer", layer=name)
    if len(name.encode("utf-8")) > 63:
        raise InputError(f"layer '{name}': PostgreSQL names have at most 63 bytes; give the layer a shorter name",
                         code="storage.pg_layer_name", layer=name)


def _index_name(name: str, column: str = "geom", kind: str = "gist") -> str:
    label = f"{name}_{column}_{kind}"
    key = name if column == "geom" else f"{name}.{column}"
    return label if len(label.encode("utf-8")) <= 63 else f"{kind}_{hashlib.sha1(key.encode()).hexdigest()[:20]}"


def create_catalog(con: psycopg.Connection[Any], schema: str) -> None:
    """The layer catalog of ``schema`` (created when missing; the schema must exist)."""
    con.execute(sql.SQL(_CATALOG_DDL.replace(CATALOG, "{}.{}")).format(sql.Identifier(schema), sql.Identifier(CATALOG)))


def _srid(con: psycopg.Connection[Any], crs: CRS | None) -> int:
    epsg = crs.to_epsg() if crs is not None else None
    if epsg is None:
        return 0
    known = con.execute("SELECT 1 FROM spatial_ref_sys WHERE srid = %s", (epsg,)).fetchone()
    return epsg if known else 0


def write_stored(con: psycopg.Connection[Any], schema: str, stored: StoredLayer, *, tz: str,
                 position: int | None = None) -> int:
    """Create (or replace) the table of one layer in ``schema`` and fill it with ``COPY``, inside the
    caller's transaction; register it in the catalog. Returns the number of rows.

    Raises
    ------
    InputError
        A reserved or too long name, a column type or a time value that cannot be stored.
    """
    _check_name(stored.name)
    table = sql.Identifier(schema, stored.name)
    frame = stored.frame
    geo = stored.geometry_type is not None
    srid = _srid(con, stored.crs) if geo else 0
    if position is None:
        row = con.execute(sql.SQL("SELECT position FROM {} WHERE name = %s").format(sql.Identifier(schema, CATALOG)),
                          (stored.name,)).fetchone()
        position = row[0] if row else int(con.execute(sql.SQL("SELECT coalesce(max(position), 0) + 1 FROM {}").format(
            sql.Identifier(schema, CATALOG))).fetchone()[0])
    con.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(table))
    cols = [sql.SQL("fid BIGINT PRIMARY KEY")]
    cols += [sql.SQL("{} {}").format(sql.Identifier(c), sql.SQL(PG_TYPES[d])) for c, d in stored.dtypes.items()]
    if geo:
        cols.append(sql.SQL("geom geometry({}, {})").format(sql.SQL(_typmod(stored)), sql.Literal(srid)))
    con.execute(sql.SQL("CREATE TABLE {} ({})").format(table, sql.SQL(", ").join(cols)))
    names = ["fid", *stored.dtypes, *(["geom"] if geo else [])]
    columns: list[list[Any]] = [[int(i) for i in frame.index.tolist()]]
    columns += [_db_values(stored.name, c, frame[c], d) for c, d in stored.dtypes.items()]
    if geo:
        geoms = frame.geometry.to_numpy()
        ewkb = shapely.to_wkb(shapely.set_srid(geoms, srid), hex=True, include_srid=True)
        columns.append([None if g is None else g for g in ewkb.tolist()])
    copy = sql.SQL("COPY {} ({}) FROM STDIN").format(table, sql.SQL(", ").join(map(sql.Identifier, names)))
    with con.cursor() as cur, cur.copy(copy) as out:
        for values in zip(*columns, strict=True):
            out.write_row(values)
    if geo:
        con.execute(sql.SQL("CREATE INDEX {} ON {} USING GIST (geom)").format(
            sql.Identifier(_index_name(stored.name)), table))
    for col in (c for c, d in stored.dtypes.items() if d == "tztext"):  # a period read and a time span use it
        con.execute(sql.SQL("CREATE INDEX {} ON {} ({})").format(
            sql.Identifier(_index_name(stored.name, col, "btree")), table, sql.Identifier(col)))
    con.execute(sql.SQL("ANALYZE {}").format(table))
    con.execute(sql.SQL(
        "INSERT INTO {} (name, position, geometry_type, srid, crs, columns) VALUES (%s, %s, %s, %s, %s, %s) "
        "ON CONFLICT (name) DO UPDATE SET position = EXCLUDED.position, geometry_type = EXCLUDED.geometry_type, "
        "srid = EXCLUDED.srid, crs = EXCLUDED.crs, columns = EXCLUDED.columns").format(sql.Identifier(schema, CATALOG)),
        (stored.name, position, stored.geometry_type, srid if geo else None,
         _crs_text(stored.crs) if geo else None, json.dumps(list(stored.dtypes.items()))))
    return len(frame)


def _crs_text(crs: CRS | None) -> str | None:
    if crs is None:
        return None
    epsg = crs.to_epsg()
    return f"EPSG:{epsg}" if epsg is not None else crs.to_wkt()


@dataclass(frozen=True)
class CatalogEntry:
    name: str
    position: int
    geometry_type: str | None
    srid: int | None
    crs: str | None
    dtypes: dict[str, str]


def read_catalog(con: psycopg.Connection[Any], schema: str) -> dict[str, CatalogEntry] | None:
    """The layers of ``schema`` in their order (``meta`` included), or ``None`` when the schema holds
    no patrolnet workspace."""
    found = con.execute("SELECT to_regclass(%s)", (f'"{schema}"."{CATALOG}"',)).fetchone()
    if found is None or found[0] is None:
        return None
    rows = con.execute(sql.SQL("SELECT name, position, geometry_type, srid, crs, columns::text FROM {} "
                               "ORDER BY position, name").format(sql.Identifier(schema, CATALOG))).fetchall()
    return {r[0]: CatalogEntry(r[0], r[1], r[2], r[3], r[4], dict(json.loads(r[5]))) for r in rows}


def read_stored(
    con: psycopg.Connection[Any],
    schema: str,
    entry: CatalogEntry,
    *,
    tz: str,
    columns: Sequence[str] | None = None,
    bbox: tuple[float, float, float, float] | None = None,
    where: str | None = None,
    skip: int = 0,
    limit: int | None = None,
) -> pd.DataFrame:
    """One layer in the stored form (:class:`StoredLayer`'s frame: ``fid`` as the index, rows in
    ``fid`` order), optionally only ``columns`` (in the layer's order), the rows whose geometry
    intersects ``bbox`` (in the layer's CRS; through the GiST index), the rows matching ``where`` (an
    SQL condition written by the program, never by a user) and a page (``skip``, ``limit``)."""
    if columns is not None:
        unknown = [c for c in columns if c not in entry.dtypes]
        if unknown:
            raise InputError(f"layer '{entry.name}' has no column(s) {', '.join(unknown)} (it has: "
                             f"{', '.join(entry.dtypes)})", code="storage.pg_no_column", layer=entry.name,
                             columns=", ".join(unknown))
    dtypes = {c: d for c, d in entry.dtypes.items() if columns is None or c in columns}
    geo = entry.geometry_type is not None
    fields = [sql.Identifier("fid"), *(_select(c, d) for c, d in dtypes.items())]
    if geo:
        fields.append(sql.SQL("ST_AsBinary(geom)"))
    query = sql.SQL("SELECT {} FROM {}").format(sql.SQL(", ").join(fields), sql.Identifier(schema, entry.name))
    conditions: list[sql.Composable] = []
    args: list[Any] = []
    if bbox is not None and geo:
        conditions.append(sql.SQL("ST_Intersects(geom, ST_MakeEnvelope(%s, %s, %s, %s, %s))"))
        args += [float(b) for b in bbox] + [int(entry.srid or 0)]
    if where:
        conditions.append(sql.SQL("({})".format(where.replace("%", "%%"))))  # type: ignore[arg-type]
    if conditions:
        query += sql.SQL(" WHERE ") + sql.SQL(" AND ").join(conditions)
    query += sql.SQL(" ORDER BY fid")
    if limit is not None:
        query += sql.SQL(" LIMIT %s")
        args.append(int(limit))
    if skip:
        query += sql.SQL(" OFFSET %s")
        args.append(int(skip))
    with con.cursor(binary=True) as cur:
        if "tztext" in dtypes.values():  # the times as the GeoPackage keeps them: ISO text in the zone
            cur.execute("SELECT set_config('TimeZone', %s, true)", (tz,))
        rows = cur.execute(query, args).fetchall()
    values = list(zip(*rows, strict=True)) if rows else [()] * len(fields)
    index = pd.Index(np.array(values[0], dtype="int64"), name="fid")
    data = {c: _frame_column(values[i + 1], d, tz) for i, (c, d) in enumerate(dtypes.items())}
    frame = pd.DataFrame(data, index=index, columns=list(dtypes))
    if not geo:
        return frame
    geoms = shapely.from_wkb(np.array(values[-1], dtype=object))
    crs = CRS.from_user_input(entry.crs) if entry.crs else None
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, index=index, crs=crs), crs=crs)


# -- the layer store ----------------------------------------------------------------------------------
class PgWorkspace:
    """A patrolnet workspace in a PostgreSQL schema (:class:`app.storage.base.LayerStore`): the same
    reads and writes as :class:`app.storage.workspace.Workspace`, layers in PostGIS.

    ``path`` is the schema's name as a path (its stem names output files, as a ``.gpkg`` file's
    does); nothing is kept on disk.

    Raises
    ------
    InputError
        A bad location.
    WorkspaceError
        The server cannot be reached, the schema holds no patrolnet workspace, or its schema
        version is newer than this patrolnet.
    """

    def __init__(self, url: str | os.PathLike[str], connections: Any = None):
        """``connections``: a :class:`app.storage.pg.ThreadConnections` of the schema to read through
        (shared with the workspace's other stores, :class:`app.storage.pg_store.PgStore`), else this
        workspace keeps its own connection per thread."""
        self.url = os.fspath(url)
        self._shared = connections
        self._dsn, self.schema = parse_location(self.url)
        self.location = public_url(self.url)
        self.path = Path(self.schema)
        self._local = threading.local()
        self._open: list[tuple[int, psycopg.Connection[Any]]] = []  # every thread's, closed with the workspace
        self._closer = weakref.finalize(self, _close_all, self._open)
        with self._reading() as con:
            catalog = read_catalog(con, self.schema)
            if catalog is None or "meta" not in catalog:
                raise WorkspaceError(
                    f"schema '{self.schema}' of {self.location} holds no patrolnet workspace; copy one into it "
                    f"(patrolnet workspace copy WS.gpkg URL) or check the schema's name",
                    code="storage.pg_not_workspace", url=self.location, schema=self.schema)
            self._catalog = catalog
            meta = read_stored(con, self.schema, catalog["meta"], tz=DEFAULT_TIMEZONE)
        self.meta = {str(k): ("" if _missing(v) else str(v)) for k, v in zip(meta["key"], meta["value"], strict=True)}
        version = int(self.meta.get("schema_version", "0") or 0)
        if version > SCHEMA_VERSION:
            raise WorkspaceError(
                f"workspace '{self.location}' has schema version {version}, newer than this patrolnet "
                f"({SCHEMA_VERSION}); upgrade patrolnet",
                code="workspace.newer", path=self.location, version=version, supported=SCHEMA_VERSION)
        if "working_crs" not in self.meta:
            raise WorkspaceError(f"workspace '{self.location}': meta has no 'working_crs'", code="workspace.no_crs",
                                 path=self.location)

    # -- reading ------------------------------------------------------------------------------------
    @contextmanager
    def _reading(self) -> Iterator[psycopg.Connection[Any]]:
        """A transaction on this thread's connection (kept open between reads: the layer API's bbox
        reads would otherwise spend most of their time connecting); a new one after a fork or a
        lost connection."""
        if self._shared is not None:
            con = self._shared.get()
            try:
                with con.transaction():
                    yield con
            except psycopg.OperationalError:
                if con.broken:
                    self._shared.renew()
                raise
            return
        con = getattr(self._local, "con", None)
        if con is None or con.closed or con.broken or self._local.pid != os.getpid():
            con = self._local.con = _open(self.url, autocommit=True)
            self._local.pid = os.getpid()
            self._open.append((os.getpid(), con))
        try:
            with con.transaction():
                yield con
        except psycopg.OperationalError:
            con.close()
            raise

    def close(self) -> None:
        """Close the connections kept for reading (also done when the workspace is dropped)."""
        self._closer()

    @property
    def crs(self) -> CRS:
        return CRS.from_user_input(self.meta["working_crs"])

    @property
    def timezone(self) -> str:
        return self.meta.get("timezone", DEFAULT_TIMEZONE)

    @property
    def name(self) -> str:
        return self.meta.get("name", self.schema)

    def layers(self) -> list[str]:
        """Names of the layers present (``meta`` excluded), in their order."""
        return [n for n in self._catalog if n != "meta"]

    def has(self, layer: str) -> bool:
        return layer in self._catalog

    def meta_json(self, key: str, default: Any = None) -> Any:
        raw = self.meta.get(key)
        return default if raw in (None, "") else json.loads(raw)

    def _entry(self, layer: str) -> CatalogEntry:
        if layer not in self._catalog:
            raise WorkspaceError(
                f"workspace '{self.location}' has no layer '{layer}' (it has: {', '.join(self.layers())})",
                code="workspace.no_layer", layer=layer, layers=", ".join(self.layers()))
        return self._catalog[layer]

    def read_stored(self, layer: str) -> StoredLayer:
        """A whole layer in the stored form (for a copy to another store)."""
        entry = self._entry(layer)
        with self._reading() as con:
            frame = read_stored(con, self.schema, entry, tz=self.timezone)
        return StoredLayer(layer, frame, dict(entry.dtypes), entry.geometry_type,
                           CRS.from_user_input(entry.crs) if entry.crs else None, int(entry.srid or 0))

    def read(
        self,
        layer: str,
        *,
        columns: list[str] | None = None,
        bbox: tuple[float, float, float, float] | None = None,
        where: str | None = None,
        skip_features: int = 0,
        max_features: int | None = None,
    ) -> gpd.GeoDataFrame | pd.DataFrame:
        """Read a layer (in the working CRS) as :meth:`Workspace.read` does: datetime columns tz-aware,
        faulty geometries repaired or skipped with a warning; ``bbox`` (working CRS) through the GiST
        index; ``where`` is an SQL condition of the program's own (never a user's text).

        Raises
        ------
        WorkspaceError
            When the layer is not in the workspace.
        """
        entry = self._entry(layer)
        with self._reading() as con:
            frame = read_stored(con, self.schema, entry, tz=self.timezone, columns=columns, bbox=bbox, where=where,
                                skip=skip_features, limit=max_features)
        frame = frame.reset_index(drop=True)
        if isinstance(frame, gpd.GeoDataFrame) and frame.crs is None:
            frame = frame.set_crs(self.crs)
        frame = _from_storage(layer, frame, self.timezone)
        if isinstance(frame, gpd.GeoDataFrame) and len(frame):
            frame = _usable_geometries(frame, layer, self.path)
        return frame

    def count(self, layer: str) -> int:
        self._entry(layer)
        with self._reading() as con:
            return int(con.execute(sql.SQL("SELECT count(*) FROM {}").format(
                sql.Identifier(self.schema, layer))).fetchone()[0])

    def time_span(self, layer: str, column: str, *, by: str | None = None) -> pd.DataFrame:
        """The first and the last time of ``column`` in ``layer`` (per value of ``by`` when given),
        computed by the server (``min``/``max``, ``GROUP BY``) without sending the rows; as
        :meth:`app.storage.workspace.Workspace.time_span` gives it.

        Raises
        ------
        WorkspaceError
            When the layer, or the column, is not in the workspace.
        """
        entry = self._entry(layer)
        for col in (column, by):
            if col is not None and col not in entry.dtypes:
                raise WorkspaceError(f"workspace '{self.location}', layer '{layer}' has no column '{col}'",
                                     code="workspace.no_column", layer=layer, column=col)
        c = sql.Identifier(column)
        group = sql.SQL("{}, ").format(sql.Identifier(by)) if by else sql.SQL("")
        query = sql.SQL("SELECT {}min({}), max({}) FROM {} WHERE {} IS NOT NULL").format(
            group, c, c, sql.Identifier(self.schema, layer), c)
        if by:
            query += sql.SQL(" GROUP BY {}").format(sql.Identifier(by))
        with self._reading() as con:
            rows = con.execute(query).fetchall()
        return time_span_frame(rows, by=by, tz=self.timezone)

    def info(self) -> WorkspaceInfo:
        """Layers with counts, geometry types and extents; CRS; extent in WGS84."""
        infos = []
        total: list[float] | None = None
        with self._reading() as con:
            for name in self.layers():
                entry = self._catalog[name]
                table = sql.Identifier(self.schema, name)
                if entry.geometry_type is None:
                    n = int(con.execute(sql.SQL("SELECT count(*) FROM {}").format(table)).fetchone()[0])
                    infos.append(LayerInfo(name, None, n, None))
                    continue
                n, *box = con.execute(sql.SQL("SELECT count(*), min(ST_XMin(geom)), min(ST_YMin(geom)), "
                                              "max(ST_XMax(geom)), max(ST_YMax(geom)) FROM {}").format(table)).fetchone()
                bounds = tuple(float(b) for b in box) if n and all(b is not None for b in box) else None
                infos.append(LayerInfo(name, entry.geometry_type, int(n), bounds))  # type: ignore[arg-type]
                if bounds:
                    total = list(bounds) if total is None else [min(total[0], bounds[0]), min(total[1], bounds[1]),
                                                                max(total[2], bounds[2]), max(total[3], bounds[3])]
        extent = None
        if total is not None:
            tr = Transformer.from_crs(self.crs, "EPSG:4326", always_xy=True)
            extent = tuple(float(v) for v in tr.transform_bounds(*total))
        return WorkspaceInfo(path=self.path, crs=self.crs.to_string(), timezone=self.timezone,
                             schema_version=int(self.meta.get("schema_version", "0") or 0), layers=tuple(infos),
                             extent_wgs84=extent, meta=dict(self.meta))  # type: ignore[arg-type]

    # -- writing ------------------------------------------------------------------------------------
    def write(
        self,
        layers: Mapping[str, pd.DataFrame],
        *,
        meta: Mapping[str, Any] | None = None,
        sources: Mapping[str, str] | None = None,
    ) -> PgWorkspace:
        """Replace the given layers and update ``meta`` in one transaction (see :meth:`Workspace.write`);
        writers take turns (an advisory lock of the schema), and a write that waited builds on the
        one before it.

        Raises
        ------
        InputError, CRSError
            When a layer breaks the schema; nothing is written then.
        """
        updates = write_updates(layers, meta, sources, crs=self.crs, where=self.location)
        stored = [stored_from_frame(name, _to_storage(name, frame, self.timezone), crs=self.crs)
                  for name, frame in layers.items()]
        with connect(self.url) as con, con.transaction():
            con.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"patrolnet:{self.schema}",))
            catalog = read_catalog(con, self.schema) or {}
            current = read_stored(con, self.schema, catalog["meta"], tz=self.timezone)
            new_meta = {**dict(zip(current["key"], current["value"], strict=True)), **updates, "updated_at": _now()}
            for layer in stored:
                write_stored(con, self.schema, layer, tz=self.timezone)
            write_stored(con, self.schema, meta_layer(new_meta), tz=self.timezone)
        return PgWorkspace(self.url, self._shared)


def _close_all(cons: list[tuple[int, psycopg.Connection[Any]]]) -> None:
    while cons:
        pid, con = cons.pop()
        if pid == os.getpid():  # a forked child leaves its parent's sessions alone
            con.close()


def meta_layer(meta: Mapping[str, str]) -> StoredLayer:
    """``meta`` (key -> text) as its stored table."""
    frame = pd.DataFrame({"key": np.array(list(meta), dtype=object),
                          "value": np.array([str(v) for v in meta.values()], dtype=object)},
                         index=pd.RangeIndex(1, len(meta) + 1, name="fid"))
    return StoredLayer("meta", frame, {"key": "str", "value": "str"})
