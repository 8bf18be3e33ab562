"""Vector tiles of a PostgreSQL/PostGIS workspace made in the database (``ST_AsMVT``), issue 14.

:class:`PgTileSource` is the :class:`~app.storage.vector_tiles.VectorTileSource` of a
:class:`~app.storage.pg_layers.PgWorkspace`: one query per tile, which finds the rows through the
layer's GiST index (the tile's envelope with its buffer, transformed to the layer's SRID: the
geometries are kept in the working CRS), projects them to EPSG:3857 and cuts them to the tile
(``ST_AsMVTGeom``: extent :data:`~app.storage.vector_tiles.EXTENT`, buffer
:data:`~app.storage.vector_tiles.BUFFER`) and encodes them (``ST_AsMVT``). Nothing of the layer is
held in the web process.

The tile is the one :class:`~app.storage.vector_tiles.GpkgTileSource` makes for the same request
(tests/app/test_vector_tiles_pg.py decodes and compares both):

- the same refusals, by the same functions: :func:`~app.storage.vector_tiles.parse_address`,
  :func:`~app.storage.vector_tiles.require_layer` (the scope's
  :class:`~app.storage.access.ScopedWorkspace` says which layers it may read),
  :func:`~app.storage.vector_tiles.properties_of` (which columns a ``properties`` choice carries);
- the same MVT layer name, feature ids (the layer's id column when it holds whole numbers from 0,
  no missing one) and properties with the same types as the Python tiles give them: the values a
  layer read through :meth:`PgWorkspace.read <app.storage.pg_layers.PgWorkspace.read>` has (an
  integer or boolean column with a missing value anywhere in the layer reads as floats, so it is
  sent as floats; schema times as ISO 8601 text with the workspace's offset; non-finite floats and
  missing values left out);
- the same jurisdiction for a station user, :meth:`ScopedWorkspace._cut
  <app.storage.access.ScopedWorkspace>` said in SQL (:func:`scope_condition`): rows whose
  ``station_id`` is the station's, rows without one inside the station's area, and for a layer
  without a ``station_id`` column the rows intersecting that area. The area is
  :meth:`ScopedWorkspace.area <app.storage.access.ScopedWorkspace.area>` itself (with its refusals:
  no stations layer, an unknown station), sent to the query as a parameter.

The geometry differs from the Python tile's only by the rounding and simplification each library
does (a tile unit or two). A layer whose CRS has no PostGIS SRID is served by the Python source.
Caching per workspace version belongs to the caller (``app.web.vector_tiles``), as for the other source.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
import shapely
from psycopg import sql

from app.storage.access import Principal, ScopedWorkspace
from app.storage.pg_layers import CatalogEntry, PgWorkspace, _select, read_catalog
from app.storage.vector_tiles import (
    BUFFER,
    EXTENT,
    GpkgTileSource,
    ScopeViews,
    id_column,
    no_geometry,
    parse_address,
    properties_of,
    require_layer,
)

__all__ = ["INDEX_MIN_ZOOM", "PgTileSource", "scope_condition"]

#: From this zoom on, rows are found by the tile's envelope transformed to the layer's CRS (the GiST
#: index); below it (a tile wider than about 150 km, where a transformed envelope may leave the
#: CRS's area of use) by the rows' EPSG:3857 boxes, which reads the whole layer (the district fits
#: in one or two such tiles anyway).
INDEX_MIN_ZOOM = 8
_INTS = frozenset({"int16", "int32", "int64"})
_GEOM = "pn:geom"
_ID = "pn:id"


@dataclass(frozen=True)
class _Layer:
    """What a tile query of one layer needs: its catalog entry, the columns read as floats (integer
    or boolean ones with a missing value) and the id column when its values can be MVT ids."""

    entry: CatalogEntry
    floated: frozenset[str]
    ident: str | None


def scope_condition(columns: Sequence[str], station: str, area: Any, srid: int) -> tuple[sql.Composable, list[Any]]:
    """The SQL condition (on the table aliased ``g``) keeping the rows the user of ``station``, whose
    jurisdiction is ``area`` (a shapely geometry in the layer's CRS), sees, and its parameters:
    :class:`~app.storage.access.ScopedWorkspace`'s cut (see the module's text)."""
    wkb = shapely.to_wkb(area)
    inside = sql.SQL("ST_Intersects(g.geom, ST_GeomFromWKB(%s, %s))")
    if "station_id" not in columns:
        return inside, [wkb, srid]
    sid = sql.SQL("g.station_id::text")
    cond = sql.SQL("({sid} = %s OR (({sid} IS NULL OR {sid} = '') AND {inside}))").format(sid=sid, inside=inside)
    return cond, [station, wkb, srid]


class PgTileSource:
    """Vector tiles of one state of a PostgreSQL workspace, made by PostGIS (see the module's text).

    Keeps, while it lives (one workspace version: ``app.web.vector_tiles`` makes a new one when the
    workspace changes), the layer catalog, each layer's float-read columns, each scope's view and
    area and whether its ids can be MVT ids; the tiles themselves are queried each time.
    """

    def __init__(self, workspace: PgWorkspace):
        self._ws = workspace
        with workspace._reading() as con:
            self._catalog = read_catalog(con, workspace.schema) or {}
        self._lock = threading.Lock()
        self._view = ScopeViews(workspace)
        self._layers: dict[str, _Layer] = {}
        self._ids: dict[tuple[str, str], bool] = {}
        self._fallback: GpkgTileSource | None = None

    def _layer(self, con: psycopg.Connection[Any], name: str) -> _Layer:
        with self._lock:
            known = self._layers.get(name)
        if known is not None:
            return known
        entry = self._catalog[name]
        maybe = [c for c, d in entry.dtypes.items() if d in _INTS or d == "bool"]
        floated: frozenset[str] = frozenset()
        if maybe:
            row = con.execute(sql.SQL("SELECT {} FROM {}").format(
                sql.SQL(", ").join(sql.SQL("coalesce(bool_or({} IS NULL), false)").format(sql.Identifier(c))
                                   for c in maybe),
                sql.Identifier(self._ws.schema, name))).fetchone()
            floated = frozenset(c for c, missing in zip(maybe, row, strict=True) if missing)
        ident = id_column(name, list(entry.dtypes))
        if ident is not None and (entry.dtypes[ident] not in _INTS or ident in floated):
            ident = None
        layer = _Layer(entry, floated, ident)
        with self._lock:
            self._layers[name] = layer
        return layer

    def _python(self) -> GpkgTileSource:
        with self._lock:
            if self._fallback is None:
                self._fallback = GpkgTileSource(self._ws)  # type: ignore[arg-type]
            return self._fallback

    def tile(self, layer: str, z: int, x: int, y: int, scope: Principal | None = None, *,
             properties: Sequence[str] | None = None) -> bytes:
        """See :meth:`~app.storage.vector_tiles.VectorTileSource.tile`."""
        z, x, y = parse_address(z, x, y)
        view = self._view(scope)
        require_layer(self._ws, view, layer)
        entry = self._catalog.get(layer)
        if entry is None:  # written after this source's catalog was read: the next version's source serves it
            return self._python().tile(layer, z, x, y, scope, properties=properties)
        if entry.geometry_type is None:
            raise no_geometry(layer)
        if not entry.srid:
            return self._python().tile(layer, z, x, y, scope, properties=properties)
        names = properties_of(layer, list(entry.dtypes), properties)  # refused even where empty
        area = view.area() if isinstance(view, ScopedWorkspace) else None  # its refusals, as every scoped read
        with self._ws._reading() as con:
            info = self._layer(con, layer)
            cut, cut_args = (sql.SQL("true"), []) if area is None else scope_condition(
                list(entry.dtypes), str(view.principal.station_id), area, int(entry.srid))  # type: ignore[union-attr]
            key = ("*" if scope is None else scope.scope_key, layer)
            with self._lock:
                ids = self._ids.get(key)
            if ids is None:
                ids = info.ident is not None and bool(con.execute(sql.SQL(
                    "SELECT coalesce(bool_and({i} >= 0), true) FROM {t} AS g "
                    "WHERE g.geom IS NOT NULL AND NOT ST_IsEmpty(g.geom) AND {cut}").format(
                        i=sql.Identifier(info.ident or ""), t=sql.Identifier(self._ws.schema, layer), cut=cut),
                    cut_args).fetchone()[0])
                with self._lock:
                    self._ids[key] = ids
            if any(entry.dtypes[c] == "tztext" for c in names):  # ISO text with the workspace's offset
                con.execute("SELECT set_config('TimeZone', %s, true)", (self._ws.timezone,))
            query, args = self._query(info, names, z, x, y, cut, cut_args, ids)
            row = con.execute(query, args).fetchone()
        return bytes(row[0]) if row and row[0] is not None else b""

    def _query(self, info: _Layer, names: list[str], z: int, x: int, y: int, cut: sql.Composable,
               cut_args: list[Any], ids: bool) -> tuple[sql.Composable, list[Any]]:
        entry = info.entry
        fields = [sql.SQL("ST_AsMVTGeom(ST_Transform(g.geom, 3857), ST_TileEnvelope(%s, %s, %s), %s, %s, true) "
                          "AS {}").format(sql.Identifier(_GEOM))]
        args: list[Any] = [z, x, y, EXTENT, BUFFER]
        for c in names:
            fields.append(sql.SQL("{} AS {}").format(_value(c, entry.dtypes[c], c in info.floated),
                                                     sql.Identifier(c)))
        if ids:
            fields.append(sql.SQL("g.{} AS {}").format(sql.Identifier(info.ident or ""), sql.Identifier(_ID)))
        if z >= INDEX_MIN_ZOOM:
            near = sql.SQL("g.geom && ST_Transform(ST_TileEnvelope(%s, %s, %s, margin => %s), %s)")
            near_args: list[Any] = [z, x, y, BUFFER / EXTENT, int(entry.srid or 0)]
        else:
            near = sql.SQL("ST_Transform(g.geom, 3857) && ST_TileEnvelope(%s, %s, %s, margin => %s)")
            near_args = [z, x, y, BUFFER / EXTENT]
        query = sql.SQL(
            "SELECT ST_AsMVT(t, %s, %s, %s{ident}) FROM ("
            "SELECT {fields} FROM {table} AS g WHERE {near} AND NOT ST_IsEmpty(g.geom) AND {cut} ORDER BY g.fid "
            "OFFSET 0"  # a fence: ST_AsMVTGeom once per row, not again in the outer filter pushed down here
            ") AS t WHERE t.{geom} IS NOT NULL").format(
                ident=sql.SQL(", %s") if ids else sql.SQL(""), fields=sql.SQL(", ").join(fields),
                table=sql.Identifier(self._ws.schema, entry.name), near=near, cut=cut, geom=sql.Identifier(_GEOM))
        head: list[Any] = [entry.name, EXTENT, _GEOM] + ([_ID] if ids else [])
        return query, head + args + near_args + cut_args


def _value(col: str, dtype: str, floated: bool) -> sql.Composable:
    """The expression of a property as the Python tiles carry it (see the module's text)."""
    ident = sql.SQL("g.{}").format(sql.Identifier(col))
    if floated:  # an integer or boolean column with a missing value reads as floats
        return sql.SQL("{}::int::double precision" if dtype == "bool" else "{}::double precision").format(ident)
    if dtype in ("float64", "float32"):
        return sql.SQL("NULLIF(NULLIF(NULLIF({c}, 'NaN'), 'Infinity'), '-Infinity')").format(c=ident)
    if dtype == "tztext":  # as the layer reads it: ISO 8601 in the session's zone (set to the workspace's)
        return _select(col, dtype)
    if dtype == "datetime":
        return sql.SQL("CASE WHEN date_trunc('second', {c}) = {c} THEN to_char({c}, 'YYYY-MM-DD\"T\"HH24:MI:SS') "
                       "ELSE to_char({c}, 'YYYY-MM-DD\"T\"HH24:MI:SS.US') END").format(c=ident)
    return ident
