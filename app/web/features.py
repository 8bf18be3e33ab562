"""Workspace layers as GeoJSON (WGS84) for the API: bbox filter and limit/offset pagination."""

from __future__ import annotations

import math
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from shapely.geometry import box, mapping

from app.i18n import t
from app.web.errors import LayerNotFoundError
from geo.errors import InputError
from geo.schema import LAYERS
from geo.workspace import Workspace

__all__ = ["layer_feature_collection", "parse_bbox", "parse_properties"]

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


def _json_value(v: Any) -> Any:
    if v is None:
        return None
    if isinstance(v, pd.Timestamp | np.datetime64):
        return None if pd.isna(v) else pd.Timestamp(v).isoformat()
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if v is pd.NA or v is pd.NaT:
        return None
    return v


def layer_feature_collection(
    ws: Workspace,
    name: str,
    *,
    bbox: tuple[float, float, float, float] | None = None,
    limit: int = 1000,
    offset: int = 0,
    lang: str = "zh-CN",
    properties: list[str] | None = None,
    simplify_m: float = 0.0,
) -> dict[str, Any]:
    """A page of layer ``name`` as a GeoJSON FeatureCollection in WGS84.

    ``bbox`` (WGS84) keeps features whose geometry intersects it. The collection carries
    ``numberMatched`` (all matching features), ``numberReturned``, ``limit``, ``offset`` and the
    request ``bbox``. ``properties`` keeps only those columns (and the layer's id column);
    ``simplify_m`` simplifies the geometries by that many metres in the working CRS first.

    Raises
    ------
    LayerNotFoundError
        When the workspace has no such layer.
    InputError
        When ``properties`` names a column the layer does not have.
    """
    available = ws.layers()
    if name not in available:
        raise LayerNotFoundError(
            t("error.layer_not_found", lang, name=name, available=", ".join(available)),
            layer=name, available=available,
        )
    columns = None
    if properties is not None:
        known = _layer_columns(ws, name)
        unknown = [p for p in properties if p not in known]
        if unknown:
            raise InputError(f"layer '{name}' has no column(s) {', '.join(unknown)}; "
                             f"its columns: {', '.join(known)}")
        id_col = _id_column(name, known)
        columns = list(dict.fromkeys(([id_col] if id_col else []) + properties))
    frame = ws.read(name, columns=columns, bbox=_working_bbox(ws, bbox) if bbox else None)
    if simplify_m > 0 and isinstance(frame, gpd.GeoDataFrame) and len(frame):
        frame = frame.set_geometry(frame.geometry.simplify(simplify_m, preserve_topology=True))
    if isinstance(frame, gpd.GeoDataFrame) and bbox is not None and len(frame):
        area = gpd.GeoSeries([box(*bbox)], crs=WGS84).to_crs(ws.crs).iloc[0]
        frame = frame[frame.intersects(area)]
    matched = len(frame)
    page = frame.iloc[offset: offset + limit]
    features = _features(name, page)
    return {
        "type": "FeatureCollection",
        "name": name,
        "numberMatched": matched,
        "numberReturned": len(features),
        "limit": limit,
        "offset": offset,
        **({"bbox": list(bbox)} if bbox else {}),
        "features": features,
    }


def _layer_columns(ws: Workspace, name: str) -> list[str]:
    import pyogrio

    return [str(c) for c in pyogrio.read_info(ws.path, layer=name)["fields"]]


def _working_bbox(ws: Workspace, bbox: tuple[float, float, float, float]) -> tuple[float, ...]:
    tr = Transformer.from_crs(WGS84, ws.crs, always_xy=True)
    return tuple(float(v) for v in tr.transform_bounds(*bbox, densify_pts=21))


def _features(name: str, page: pd.DataFrame) -> list[dict[str, Any]]:
    if isinstance(page, gpd.GeoDataFrame):
        geoms = page.geometry.to_crs(WGS84).to_numpy()
        geoms = shapely.transform(geoms, lambda c: np.round(c, _DECIMALS))
        props = pd.DataFrame(page.drop(columns=page.geometry.name))
    else:
        geoms = np.array([None] * len(page), dtype=object)
        props = pd.DataFrame(page)
    id_col = _id_column(name, props)
    records = props.astype(object).to_dict(orient="records")
    out = []
    for rec, geom in zip(records, geoms):
        clean = {str(k): _json_value(v) for k, v in rec.items()}
        feature: dict[str, Any] = {"type": "Feature"}
        if id_col is not None and clean.get(id_col) is not None:
            feature["id"] = clean[id_col]
        feature["geometry"] = None if geom is None or geom.is_empty else mapping(geom)
        feature["properties"] = clean
        out.append(feature)
    return out
