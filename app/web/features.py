"""Workspace layers as GeoJSON (WGS84) for the API: bbox filter and limit/offset pagination."""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Callable
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from shapely.geometry import box

from app.i18n import t
from app.storage import is_url, location_of
from app.storage.access import ForbiddenError
from app.web.errors import LayerNotFoundError
from app.storage.workspace import Workspace
from geo.errors import InputError
from geo.jsonsafe import to_jsonable
from geo.schema import LAYERS

__all__ = ["TextSource", "cached_texts", "layer_feature_collection", "layer_geojson_bytes", "parse_bbox", "parse_properties",
           "simplify_step"]

WGS84 = "EPSG:4326"
_DECIMALS = 7  # about 1 cm


def parse_bbox(value: str | None, *, lang: str = "zh-CN") -> tuple[float, float, float, float] | None:
    """``"min_lon,min_lat,max_lon,max_lat"`` (WGS84) -> tuple, ``None`` when not given.

    Raises
    ------
    InputError
        When it is not four finite numbers inside WGS84 ranges with min <= max.
    """
    if value is None or not value.strip():
        return None
    try:
        parts = tuple(float(p) for p in value.split(","))
    except ValueError:
        parts = ()
    ok = (
        len(parts) == 4
        and all(math.isfinite(p) for p in parts)
        and -180 <= parts[0] <= parts[2] <= 180
        and -90 <= parts[1] <= parts[3] <= 90
    )
    if not ok:
        raise InputError(t("error.bad_bbox", lang, value=repr(value)))
    return parts  # type: ignore[return-value]


def parse_properties(value: str | None) -> list[str] | None:
    """``"a,b"`` -> ``["a", "b"]``; ``""`` -> ``[]`` (no properties); ``None`` -> ``None`` (all)."""
    if value is None:
        return None
    return [p.strip() for p in value.split(",") if p.strip()]


def _id_column(layer: str, columns: Any) -> str | None:
    """The layer's id column: the schema's first ``*_id`` column, else (layers written by jobs,
    e.g. ``hotspot_subzones``) the first ``*_id`` column it has."""
    spec = LAYERS.get(layer)
    names = [c.name for c in spec.columns] if spec is not None else [str(c) for c in columns]
    for name in names:
        if name.endswith("_id") and name in columns:
            return name
    return None


#: Reads a whole layer (the caller may cache it per workspace version).
FrameSource = Callable[[str], pd.DataFrame]


def layer_feature_collection(ws: Workspace, name: str, **kwargs: Any) -> dict[str, Any]:
    """A page of layer ``name`` as a GeoJSON FeatureCollection (dict) in WGS84; see
    :func:`layer_geojson_bytes` for the parameters."""
    return json.loads(layer_geojson_bytes(ws, name, **kwargs))


def layer_geojson_bytes(
    ws: Workspace,
    name: str,
    *,
    bbox: tuple[float, float, float, float] | None = None,
    limit: int = 1000,
    offset: int = 0,
    lang: str = "zh-CN",
    properties: list[str] | None = None,
    simplify_m: float = 0.0,
    frames: FrameSource | None = None,
    texts: TextSource | None = None,
    views: Callable[..., np.ndarray] | None = None,
) -> bytes:
    """A page of layer ``name`` as a GeoJSON FeatureCollection in WGS84, as compact UTF-8 JSON.

    ``bbox`` (WGS84) keeps features whose geometry intersects it. The collection carries
    ``numberMatched`` (all matching features), ``numberReturned``, ``limit``, ``offset`` and the
    request ``bbox``. ``properties`` keeps only those columns (and the layer's id column);
    ``simplify_m`` simplifies the returned geometries by that many metres (working CRS).
    ``frames(name)`` returns the whole layer (e.g. from a cache; filtered in memory with a spatial
    index); without it the layer is read from the file with the bbox. ``texts(name, columns,
    simplify_m, rows)`` returns those rows of that whole layer as GeoJSON text, from parts written
    once (e.g. cached per workspace version: see :func:`cached_texts`), so that a request only
    selects and joins.

    Raises
    ------
    LayerNotFoundError
        When the workspace has no such layer.
    InputError
        When ``properties`` names a column the layer does not have.
    """
    available = ws.layers()
    unscoped = getattr(ws, "unscoped", None)
    if name not in available and name != "meta" and unscoped is not None and unscoped.has(name):
        raise ForbiddenError(t("error.layer_forbidden", lang, name=name))
    if name not in available:
        raise LayerNotFoundError(
            t("error.layer_not_found", lang, name=name, available=", ".join(available)),
            layer=name, available=available,
        )
    full = frames(name) if frames is not None else None
    columns = None
    if properties is not None:
        known = ([str(c) for c in full.columns if c != getattr(full, "_geometry_column_name", None)]
                 if full is not None else _layer_columns(ws, name))
        unknown = [p for p in properties if p not in known]
        if unknown:
            raise InputError(f"layer '{name}' has no column(s) {', '.join(unknown)}; "
                             f"its columns: {', '.join(known)}")
        id_col = _id_column(name, known)
        columns = list(dict.fromkeys(([id_col] if id_col else []) + properties))
    crs = ws.crs.to_string()
    area = None
    if bbox is not None:
        area = _project(shapely.segmentize(box(*bbox), max(bbox[2] - bbox[0], bbox[3] - bbox[1], 1e-9) / 20),
                        _transformer(WGS84, crs))
    if full is not None:
        if area is not None and isinstance(full, gpd.GeoDataFrame):
            def query() -> np.ndarray:
                return np.sort(full.sindex.query(area, predicate="intersects"))
            rows = views(name, bbox, make=query) if views is not None else query()
        else:
            rows = np.arange(0 if area is not None else len(full))
        if texts is not None:  # written once for the layer: select, join
            features = texts(name, None if columns is None else tuple(columns), simplify_m, rows[offset: offset + limit])
            return _collection(name, features, matched=len(rows), limit=limit, offset=offset, bbox=bbox)
        frame = full.iloc[rows]
        if columns is not None:
            keep = columns + ([frame.geometry.name] if isinstance(frame, gpd.GeoDataFrame) else [])
            frame = frame[keep]
    else:
        frame = ws.read(name, columns=columns, bbox=_working_bbox(ws, bbox) if bbox else None)
        if isinstance(frame, gpd.GeoDataFrame) and area is not None and len(frame):
            frame = frame[shapely.intersects(frame.geometry.to_numpy(), area)]
    page = frame.iloc[offset: offset + limit]
    return _collection(name, _feature_texts(name, page, crs, simplify_m), matched=len(frame), limit=limit,
                       offset=offset, bbox=bbox)


def _collection(name: str, features: list[str], *, matched: int, limit: int, offset: int,
                bbox: tuple[float, float, float, float] | None) -> bytes:
    head = {"type": "FeatureCollection", "name": name, "numberMatched": matched,
            "numberReturned": len(features), "limit": limit, "offset": offset,
            **({"bbox": list(bbox)} if bbox else {})}
    text = _dumps(head)[:-1] + ',"features":[' + ",".join(features) + "]}"
    return text.encode("utf-8")


#: ``texts(name, columns, simplify_m, rows)``: those rows (positions) of a whole layer as GeoJSON
#: Feature texts.
TextSource = Callable[[str, "tuple[str, ...] | None", float, np.ndarray], list[str]]


def simplify_step(simplify_m: float) -> float:
    """The tolerance a cached layer is simplified with: ``simplify_m`` rounded down to a power of two
    metres (0.125 m at least; 0 stays exact). The map asks for its pixel size, which varies with the
    latitude and the zoom: one cached version per zoom level serves every view, and a view is never
    simplified more than it asked."""
    if simplify_m <= 0:
        return 0.0
    return float(2.0 ** max(-3, math.floor(math.log2(simplify_m))))


def cached_texts(cached: Callable[..., Any], frames: FrameSource, crs: Callable[[], str], *,
                 whole: tuple[Callable[..., Any], FrameSource] | None = None) -> TextSource:
    """A :data:`TextSource` whose parts are written once per workspace version and layer
    (``cached(*key, make=...)``, e.g. :meth:`app.web.state.AppState.cached`): each feature's head
    (its id and geometry) once per simplification step, and each column's ``"name":value`` once.
    A view of the district's streets is then a spatial-index query and a join, not thousands of
    features written again for each request; a client asking for other columns (a script, QGIS)
    costs at most those columns' values, not the geometries again.

    ``whole`` (``(cached, frames)`` of the unscoped workspace): the parts are written once for the
    whole layer and a scope's rows (a station's, cut from the whole layer with its row labels) are
    picked from them, so that every scope does not write its own."""
    def texts(name: str, columns: tuple[str, ...] | None, simplify_m: float, rows: np.ndarray) -> list[str]:
        step = simplify_step(simplify_m)
        frame = frames(name)
        # where the parts come from: the whole layer's (a scope's rows picked by their labels), or
        # the scope's own when its rows are not the whole layer's
        store, source, picked = cached, frame, rows
        if whole is not None and not frame.attrs.get("clipped_to_scope"):  # (a clipped layer: its own)
            whole_cached, whole_frames = whole
            labels = frame.index.to_numpy()[rows]
            base = whole_frames(name)
            if (isinstance(base.index, pd.RangeIndex) and base.index.start == 0 and base.index.step == 1
                    and labels.dtype.kind in "iu" and (not len(labels) or (labels.min() >= 0 and labels.max() < len(base)))):
                store, source, picked = whole_cached, base, labels

        def part(kind: str, arg: Any, write: Callable[[pd.DataFrame], np.ndarray]) -> np.ndarray:
            return store(kind, name, arg, make=lambda: write(source))[picked]  # type: ignore[no-any-return]

        heads = part("layer-heads", step, lambda f: _feature_heads(name, f, crs(), step))
        if columns is None:
            columns = tuple(_properties(frame.iloc[:0], None).columns)
        values = [part("layer-values", col, lambda f, col=col: _value_texts(f, col)) for col in columns]
        return _features(heads, values)
    return texts


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _column_values(col: pd.Series) -> list[Any]:
    """A column as JSON-ready Python values (None for missing and non-finite)."""
    dtype = col.dtype
    if isinstance(dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_any_dtype(dtype):
        return [None if pd.isna(v) else pd.Timestamp(v).isoformat() for v in col]
    if pd.api.types.is_float_dtype(dtype) and not isinstance(dtype, pd.api.extensions.ExtensionDtype):
        return [v if math.isfinite(v) else None for v in col.to_numpy().tolist()]
    if (pd.api.types.is_integer_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)) and \
            not isinstance(dtype, pd.api.extensions.ExtensionDtype):
        return col.to_numpy().tolist()
    return [to_jsonable(v) for v in col.astype(object).tolist()]


def _properties(frame: pd.DataFrame, columns: tuple[str, ...] | list[str] | None) -> pd.DataFrame:
    """The frame's attribute columns (``columns`` of them when given), without its geometry."""
    if isinstance(frame, gpd.GeoDataFrame):
        frame = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    return pd.DataFrame(frame[list(columns)]) if columns is not None else pd.DataFrame(frame)


def _feature_heads(name: str, frame: pd.DataFrame, crs: str, simplify_m: float) -> np.ndarray:
    """Each feature's text up to its properties: ``{"type":"Feature","id":..,"geometry":..,"properties":``."""
    if isinstance(frame, gpd.GeoDataFrame):
        geoms = frame.geometry.to_numpy()
        if simplify_m > 0 and len(geoms):
            geoms = shapely.simplify(geoms, simplify_m, preserve_topology=True)
        geoms = _project(geoms, _transformer(crs, WGS84))
        geoms = shapely.transform(geoms, lambda c: np.round(c, _DECIMALS))
        missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
        texts = shapely.to_geojson(np.where(missing, None, geoms))
        geo_text = ["null" if m else g for m, g in zip(missing, texts)]
    else:
        geo_text = ["null"] * len(frame)
    id_col = _id_column(name, [str(c) for c in frame.columns])
    ids = _column_values(frame[id_col]) if id_col is not None else [None] * len(frame)
    return np.array(['{"type":"Feature",' + (f'"id":{_dumps(ident)},' if ident is not None else "")
                     + '"geometry":' + g + ',"properties":' for ident, g in zip(ids, geo_text)], dtype=object)


#: How ``json.dumps(..., ensure_ascii=False)`` writes a string (the C encoder when there is one).
_STR = json.encoder.encode_basestring


def _value_texts(frame: pd.DataFrame, column: str) -> np.ndarray:
    """Each feature's ``"column":value`` as it is written inside its properties: the text
    :func:`_dumps` gives, about five times faster for the plain values of a layer (text, whole and
    finite numbers, true/false, missing)."""
    key = _dumps(str(column)) + ":"
    out = []
    for v in _column_values(frame[column]):
        kind = type(v)
        if v is None:
            out.append(key + "null")
        elif kind is str:
            out.append(key + _STR(v))
        elif kind is bool:
            out.append(key + ("true" if v else "false"))
        elif kind is int:
            out.append(key + int.__repr__(v))
        elif kind is float and math.isfinite(v):
            out.append(key + float.__repr__(v))
        else:
            out.append(key + _dumps(v))
    return np.array(out, dtype=object)


def _features(heads: Any, values: list[Any]) -> list[str]:
    """Whole Feature texts: each head, then its properties from each column's ``"name":value``."""
    return [head + "{" + ",".join(parts) + "}}" for head, *parts in zip(heads, *values)]


def _feature_texts(name: str, page: pd.DataFrame, crs: str, simplify_m: float) -> list[str]:
    props = _properties(page, None)
    return _features(_feature_heads(name, page, crs, simplify_m), [_value_texts(props, c) for c in props.columns])


def _layer_columns(ws: Workspace, name: str) -> list[str]:
    if is_url(location_of(ws)):  # PostgreSQL: the columns of an empty read
        empty = ws.read(name, max_features=0)
        return [str(c) for c in empty.columns if c != getattr(empty, "_geometry_column_name", None)]
    import pyogrio

    return [str(c) for c in pyogrio.read_info(ws.path, layer=name)["fields"]]


_LOCAL = threading.local()


def _transformer(src: str, dst: str) -> Transformer:
    """A transformer (about 50 ms to build) made once per CRS pair and thread (the server's
    worker threads each keep their own: transformers are not shared across threads)."""
    cache = getattr(_LOCAL, "transformers", None)
    if cache is None:
        cache = _LOCAL.transformers = {}
    tr = cache.get((src, dst))
    if tr is None:
        tr = cache[(src, dst)] = Transformer.from_crs(src, dst, always_xy=True)
    return tr


def _project(geoms: Any, tr: Transformer) -> Any:
    def fn(xy: np.ndarray) -> np.ndarray:
        x, y = tr.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])
    return shapely.transform(geoms, fn)


def _working_bbox(ws: Workspace, bbox: tuple[float, float, float, float]) -> tuple[float, ...]:
    tr = _transformer(WGS84, ws.crs.to_string())
    return tuple(float(v) for v in tr.transform_bounds(*bbox, densify_pts=21))
