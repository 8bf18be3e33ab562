"""Workspace layers as Mapbox Vector Tiles (MVT 2.1), in the XYZ tiles of Web Mercator.

One interface, :class:`VectorTileSource`: ``tile(layer, z, x, y, scope) -> bytes`` gives the
encoded tile of one layer (one MVT layer named as the workspace layer; ``b""`` when no feature of
the layer reaches the tile, as PostGIS ``ST_AsMVT`` gives for no rows). ``scope`` is the
:class:`~app.storage.access.Principal` asking (``None``: the whole workspace): a station user's
tiles hold only its jurisdiction's features, exactly as :class:`~app.storage.access.ScopedWorkspace`
cuts every other read, and a layer the role may not read raises
:class:`~app.storage.access.ForbiddenError`.

Implementations
---------------
:class:`GpkgTileSource` (the embedded default) reads each layer of one workspace state once per
scope, projects it to EPSG:3857 and indexes it (STRtree); a tile is then an index query, a clip to
the tile plus :data:`BUFFER`, a simplification to one tile unit (so detail below a pixel at that
zoom is dropped), the shift to tile units, and the encoding by the ``mapbox-vector-tile`` library.
It reads only through the workspace's ``layers``/``has``/``read``, so it serves any backend's
workspace (a PostgreSQL one too, from memory: the reference the PostGIS tiles are tested against,
and their fallback for a layer whose CRS PostGIS does not know).

:class:`app.storage.pg_tiles.PgTileSource` (``postgresql://`` workspaces) implements the same
method with one ``ST_AsMVT`` query per tile in the database, the same extent, buffer, properties and
refusals (it calls :func:`parse_address`, :func:`require_layer`, :func:`properties_of` and
:func:`no_geometry` of this module). ``app.web.vector_tiles.open_source`` picks the source by
backend; caching (keyed by the workspace's version and the scope) belongs to that caller, whichever
the source.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import geopandas as gpd
import mapbox_vector_tile
import numpy as np
import pandas as pd
import shapely
from mapbox_vector_tile.encoder import on_invalid_geometry_make_valid

from app.storage.access import Principal, ScopedWorkspace
from app.storage.workspace import Workspace
from geo.errors import InputError, WorkspaceError
from geo.jsonsafe import to_jsonable
from geo.schema import LAYERS

__all__ = ["BUFFER", "EXTENT", "MAX_ZOOM", "MEDIA_TYPE", "GpkgTileSource", "VectorTileSource", "id_column",
           "ScopeViews", "no_geometry", "parse_address", "properties_of", "require_layer", "tile_bounds"]

#: Tile units per tile side (the MVT default; MapLibre and Leaflet.VectorGrid expect it).
EXTENT = 4096
#: Tile units drawn beyond each edge, so that lines and polygons cut at the edge join up.
BUFFER = 64
#: The deepest zoom served (Leaflet's and MapLibre's usual maximum).
MAX_ZOOM = 22
MEDIA_TYPE = "application/vnd.mapbox-vector-tile"
#: Half the side of the Web Mercator square (metres).
_HALF = 20037508.342789244


@runtime_checkable
class VectorTileSource(Protocol):
    """Where vector tiles come from: the embedded GeoPackage, or (later) PostGIS ``ST_AsMVT``."""

    def tile(self, layer: str, z: int, x: int, y: int, scope: Principal | None = None, *,
             properties: Sequence[str] | None = None) -> bytes:
        """The MVT of ``layer`` at XYZ ``z/x/y`` as ``scope`` may see it; ``b""`` when empty.

        ``properties``: the columns to carry (with the layer's id column), ``None``: all of them.

        Raises
        ------
        InputError
            A tile address outside the zoom's grid, a layer without geometry, or unknown columns.
        WorkspaceError
            When the workspace has no such layer.
        ForbiddenError
            When ``scope``'s role may not read the layer.
        """
        ...


def parse_address(z: object, x: object, y: object) -> tuple[int, int, int]:
    """``z/x/y`` (text or numbers) -> ints, checked against the XYZ grid (0 <= x, y < 2**z).

    Raises
    ------
    InputError
        Naming the bad part and the allowed range (``tile.zoom``, ``tile.xy``).
    """
    def whole(value: object) -> int | None:
        text = str(value).strip()
        return int(text) if text.isascii() and text.isdigit() and len(text) <= 10 else None

    zi = whole(z)
    if zi is None or zi > MAX_ZOOM:
        raise InputError(f"tile zoom {str(z)!r} is not a whole number from 0 to {MAX_ZOOM}",
                         code="tile.zoom", value=str(z), max=MAX_ZOOM)
    xi, yi = whole(x), whole(y)
    top = (1 << zi) - 1
    for name, raw, value in (("x", x, xi), ("y", y, yi)):
        if value is None or value > top:
            raise InputError(f"tile {name} {str(raw)!r} is not a whole number from 0 to {top} (at zoom {zi})",
                             code="tile.xy", axis=name, value=str(raw), max=top, z=zi)
    assert xi is not None and yi is not None
    return zi, xi, yi


def tile_bounds(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """The tile's (min_x, min_y, max_x, max_y) in EPSG:3857 metres (XYZ: y = 0 at the north)."""
    size = 2 * _HALF / (1 << z)
    return (-_HALF + x * size, _HALF - (y + 1) * size, -_HALF + (x + 1) * size, _HALF - y * size)


def id_column(layer: str, columns: Sequence[str]) -> str | None:
    """The layer's id column: the schema's first ``*_id`` column, else the first ``*_id`` column
    it has (layers written by jobs); the same rule as the layers API."""
    spec = LAYERS.get(layer)
    names = [c.name for c in spec.columns] if spec is not None else list(columns)
    return next((n for n in names if n.endswith("_id") and n in columns), None)


def properties_of(layer: str, columns: Sequence[str], properties: Sequence[str] | None) -> list[str]:
    """The columns a tile carries: all of ``columns`` when ``properties`` is ``None``, else the
    layer's id column and ``properties`` (as ``/api/v1/layers/{layer}?properties=`` does).

    Raises
    ------
    InputError
        When ``properties`` names columns the layer does not have (``tile.columns``).
    """
    if properties is None:
        return list(columns)
    unknown = [p for p in properties if p not in columns]
    if unknown:
        raise InputError(f"layer '{layer}' has no column(s) {', '.join(unknown)}; its columns: {', '.join(columns)}",
                         code="tile.columns", layer=layer, unknown=", ".join(unknown), columns=", ".join(columns))
    ident = id_column(layer, columns)
    return list(dict.fromkeys(([ident] if ident else []) + list(properties)))


# -- the embedded source ------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Prepared:
    """One layer as one scope sees it, ready to cut: EPSG:3857 geometries and their index, and the
    attribute columns as MVT-ready Python values (``None`` where missing: left out of the tile)."""

    name: str
    geoms: np.ndarray
    tree: shapely.STRtree
    points: bool
    polygons: bool
    columns: dict[str, list[Any]]
    ids: list[int] | None


class _Double(float):
    """A float that stays a float in the tile: ``mapbox-vector-tile`` shares one value among the
    features of a tile by equality, so without this a ``0.0`` after an int ``0`` (or a ``4.0`` after
    a ``4``) of another column would be sent as that int (PostGIS ``ST_AsMVT`` keeps the types apart)."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        return type(other) is _Double and float(self) == float(other)

    def __ne__(self, other: object) -> bool:
        return not self == other

    def __hash__(self) -> int:
        return hash((_Double, float(self)))


def _mvt_values(col: pd.Series) -> list[Any]:
    """A column as values an MVT can carry: str, int, float (kept a float: :class:`_Double`), bool;
    ``None`` for missing ones; times as ISO text, anything else as its JSON text."""
    dtype = col.dtype
    if isinstance(dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_any_dtype(dtype):
        return [None if pd.isna(v) else pd.Timestamp(v).isoformat() for v in col]
    if pd.api.types.is_float_dtype(dtype):
        return [_Double(v) if v is not None and math.isfinite(v) else None
                for v in col.astype("float64").to_numpy(na_value=np.nan).tolist()]
    if (pd.api.types.is_integer_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)) and \
            not isinstance(dtype, pd.api.extensions.ExtensionDtype):
        return col.to_numpy().tolist()  # type: ignore[no-any-return]
    out: list[Any] = []
    for v in col.astype(object).tolist():
        v = to_jsonable(v)
        if isinstance(v, float):
            v = _Double(v) if math.isfinite(v) else None
        elif isinstance(v, (dt.date, dt.datetime)):
            v = v.isoformat()
        elif v is not None and not isinstance(v, (str, bool, int, float)):
            v = json.dumps(v, ensure_ascii=False, separators=(",", ":"))
        out.append(v)
    return out


def require_layer(ws: Any, view: Any, layer: str) -> None:
    """Refuse a tile of ``layer`` that ``view`` (``ws`` as the asking scope sees it) may not give, as
    every read of :class:`~app.storage.access.ScopedWorkspace` refuses it (both sources ask this).

    Raises
    ------
    ForbiddenError
        The scope's role may not read the layer.
    WorkspaceError
        No such layer (or ``meta``, which is no map layer).
    """
    if view.has(layer) and layer != "meta":
        return
    if layer != "meta" and ws.has(layer):
        view.read(layer, max_features=0)  # a layer the role may not read: ForbiddenError
    names = [n for n in view.layers() if n != "meta"]
    raise WorkspaceError(f"the workspace has no layer '{layer}' (it has: {', '.join(names)})",
                         code="workspace.no_layer", layer=layer, layers=", ".join(names))


def no_geometry(name: str) -> InputError:
    """The refusal of a tile of a layer without geometry (an attribute table)."""
    return InputError(f"layer '{name}' has no geometry: it cannot be drawn as vector tiles; read it from "
                      f"/api/v1/layers/{name}", code="tile.no_geometry", layer=name)


def _prepare(name: str, frame: pd.DataFrame) -> _Prepared:
    if not isinstance(frame, gpd.GeoDataFrame) or frame.geometry.name not in frame.columns:
        raise no_geometry(name)
    geoms = frame.geometry.to_numpy()
    keep = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    frame = frame[keep]
    g = frame.geometry
    mercator = g.to_crs("EPSG:3857").to_numpy() if len(g) else np.array([], dtype=object)
    kinds = set(shapely.get_type_id(mercator).tolist())
    attrs = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    columns = {str(c): _mvt_values(attrs[c]) for c in attrs.columns}
    ident = id_column(name, list(columns))
    ids = None
    if ident is not None and all(isinstance(v, int) and not isinstance(v, bool) and 0 <= v < 2 ** 63
                                 for v in columns[ident]):
        ids = columns[ident]
    return _Prepared(name=name, geoms=mercator, tree=shapely.STRtree(mercator), points=kinds <= {0, 4},
                     polygons=bool(kinds & {3, 6}), columns=columns, ids=ids)


def encode_tile(prepared: _Prepared, z: int, x: int, y: int, properties: Sequence[str] | None = None) -> bytes:
    """The MVT of a prepared layer at ``z/x/y``; ``b""`` when no feature reaches the tile."""
    names = properties_of(prepared.name, list(prepared.columns), properties)  # refused even where empty
    x0, y0, x1, y1 = tile_bounds(z, x, y)
    unit = (x1 - x0) / EXTENT
    pad = BUFFER * unit
    area = (x0 - pad, y0 - pad, x1 + pad, y1 + pad)
    rows = np.sort(prepared.tree.query(shapely.box(*area), predicate=None if not prepared.points else "intersects"))
    if not len(rows):
        return b""
    geoms = prepared.geoms[rows]
    if not prepared.points:
        geoms = shapely.clip_by_rect(geoms, *area)
        # one tile unit is the finest the tile keeps: simplify to it (polygons keep their topology)
        geoms = shapely.simplify(geoms, unit, preserve_topology=prepared.polygons)
        alive = ~shapely.is_empty(geoms)
        rows, geoms = rows[alive], geoms[alive]

    def to_tile(xy: np.ndarray) -> np.ndarray:  # metres -> tile units, y down, on the integer grid
        return np.round(np.column_stack([(xy[:, 0] - x0) / unit, (y1 - xy[:, 1]) / unit]))

    geoms = shapely.transform(geoms, to_tile)
    cols = [(c, prepared.columns[c]) for c in names]
    ids = prepared.ids
    features = []
    for i, geom in zip(rows.tolist(), geoms):
        if geom.is_empty:
            continue
        props = {c: v for c, col in cols if (v := col[i]) is not None}
        features.append({"geometry": geom, "properties": props, **({"id": ids[i]} if ids is not None else {})})
    if not features:
        return b""
    data = mapbox_vector_tile.encode(
        {"name": prepared.name, "features": features},
        default_options={"extents": EXTENT, "y_coord_down": True, "check_winding_order": prepared.polygons,
                         "on_invalid_geometry": on_invalid_geometry_make_valid},
    )
    return bytes(data)


class ScopeViews:
    """The workspace as each scope sees it, called with a principal (``None``: the whole workspace):
    one :class:`ScopedWorkspace` per scope, made once (a station's area is found once, not per tile)."""

    def __init__(self, workspace: Any):
        self._ws = workspace
        self._views: dict[str, ScopedWorkspace] = {}
        self._lock = threading.Lock()

    def __call__(self, scope: Principal | None) -> Any:
        if scope is None:
            return self._ws
        with self._lock:
            view = self._views.get(scope.scope_key)
            if view is None:
                view = self._views[scope.scope_key] = ScopedWorkspace(self._ws, scope)
            return view


class GpkgTileSource:
    """Vector tiles of one state of an embedded (GeoPackage) workspace.

    Each layer is read, projected and indexed once per scope (a few seconds for the 10x district's
    115,000 road edges; concurrent first requests wait for one preparation) and kept while the
    source lives: make a new source when the workspace changes (``app.web.vector_tiles`` does).
    ``layers_kept`` bounds how many (scope, layer) preparations it keeps (least recently used go).
    """

    def __init__(self, workspace: Workspace, *, layers_kept: int = 24):
        self._ws = workspace
        self._kept = layers_kept
        self._prepared: OrderedDict[tuple[str, str], _Prepared] = OrderedDict()
        self._view = ScopeViews(workspace)
        self._lock = threading.Lock()
        self._making: dict[tuple[str, str], threading.Lock] = {}

    def prepared(self, layer: str, scope: Principal | None = None) -> _Prepared:
        """The layer as ``scope`` sees it, ready to cut (made once; see :class:`VectorTileSource`)."""
        view = self._view(scope)
        require_layer(self._ws, view, layer)
        key = ("*" if scope is None else scope.scope_key, layer)
        with self._lock:
            hit = self._prepared.get(key)
            if hit is not None:
                self._prepared.move_to_end(key)
                return hit
            making = self._making.setdefault(key, threading.Lock())
        with making:  # one preparation per key; the others wait for it
            with self._lock:
                hit = self._prepared.get(key)
            if hit is None:
                hit = _prepare(layer, view.read(layer))
                with self._lock:
                    self._prepared[key] = hit
                    while len(self._prepared) > self._kept:
                        self._prepared.popitem(last=False)
        with self._lock:
            self._making.pop(key, None)
        return hit

    def tile(self, layer: str, z: int, x: int, y: int, scope: Principal | None = None, *,
             properties: Sequence[str] | None = None) -> bytes:
        z, x, y = parse_address(z, x, y)
        return encode_tile(self.prepared(layer, scope), z, x, y, properties)
