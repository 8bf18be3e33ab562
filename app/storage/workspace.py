"""The workspace: one GeoPackage file holding every layer of a district.

A workspace opens in QGIS as it is. All spatial layers are stored in one projected *working CRS*
recorded in the ``meta`` table. Writes are atomic: the new state is written to a temporary copy
beside the file and moved over it in one ``os.replace``, so a failed or killed step leaves the
previous workspace intact and readers never see a half-written file.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio
from pyproj import CRS

from app.storage.locks import check_not_in_use, writer_lock
from geo.atomic import atomic_path
from geo.errors import CRSError, InputError, WorkspaceError, raise_collected
from geo.schema import DEFAULT_TIMEZONE, LAYERS, SCHEMA_VERSION

__all__ = ["GeometryWarning", "Workspace", "LayerInfo", "WorkspaceInfo", "create_workspace", "file_version",
           "validate_layer", "write_updates", "writer_lock"]


def file_version(path: str | os.PathLike[str]) -> tuple[int, int, int]:
    """What changes whenever a workspace file is written (every write replaces it atomically): its
    inode, modification time (ns) and size.

    Raises
    ------
    FileNotFoundError
        When there is no such file.
    """
    st = os.stat(path)
    return (st.st_ino, st.st_mtime_ns, st.st_size)


class GeometryWarning(UserWarning):
    """A workspace layer held faulty geometries (edited outside patrolnet): they were repaired or
    skipped on reading; the message names the layer, the rows and the fix. Like
    :class:`geo.errors.PlannerError` it carries a message key and its values (``code``, ``fmt``):
    :func:`app.i18n.said` says it in the user's language."""

    def __init__(self, *args: object, code: str | None = None, **fmt: object) -> None:
        super().__init__(*args)
        self.code = code
        self.fmt = dict(fmt)

_MULTI = {"Polygon": "MultiPolygon", "LineString": "MultiLineString", "Point": "MultiPoint"}


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


@dataclass(frozen=True)
class LayerInfo:
    name: str
    geometry_type: str | None
    features: int
    bounds: tuple[float, float, float, float] | None


@dataclass(frozen=True)
class WorkspaceInfo:
    path: Path
    crs: str
    timezone: str
    schema_version: int
    layers: tuple[LayerInfo, ...]
    extent_wgs84: tuple[float, float, float, float] | None
    meta: dict[str, str]

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "crs": self.crs,
            "timezone": self.timezone,
            "schema_version": self.schema_version,
            "extent_wgs84": list(self.extent_wgs84) if self.extent_wgs84 else None,
            "layers": [
                {
                    "name": li.name,
                    "geometry_type": li.geometry_type,
                    "features": li.features,
                    "bounds": list(li.bounds) if li.bounds else None,
                }
                for li in self.layers
            ],
            "meta": self.meta,
        }


def validate_layer(name: str, frame: pd.DataFrame, *, crs: CRS | str | None) -> list[str]:
    """Check a layer against the schema; return every problem found (empty list when valid).

    Parameters
    ----------
    name
        Layer name; must be one of :data:`geo.schema.LAYERS` or start with an underscore-free custom
        name (custom layers are checked for CRS only).
    frame
        The layer's table (GeoDataFrame for spatial layers).
    crs
        The workspace's working CRS, which spatial layers must already be in.
    """
    problems: list[str] = []
    spec = LAYERS.get(name)
    if spec is not None:
        missing = [c for c in spec.required_columns if c not in frame.columns]
        if missing:
            problems.append(
                f"layer '{name}': missing column(s) {', '.join(missing)}; "
                f"add them (see docs/data-model.md)"
            )
        if spec.geometry is not None and not isinstance(frame, gpd.GeoDataFrame):
            problems.append(f"layer '{name}': needs a geometry column ({spec.geometry})")
    if isinstance(frame, gpd.GeoDataFrame) and crs is not None:
        if frame.crs is None:
            problems.append(f"layer '{name}': has no CRS; set it with .set_crs(...) before writing")
        elif not CRS.from_user_input(frame.crs).equals(CRS.from_user_input(crs)):
            problems.append(
                f"layer '{name}': CRS {frame.crs.to_string()} differs from the working CRS "
                f"{CRS.from_user_input(crs).to_string()}; reproject with .to_crs(working_crs)"
            )
    if isinstance(frame, gpd.GeoDataFrame) and len(frame):
        geoms = frame.geometry
        if geoms.isna().any():
            rows = list(frame.index[geoms.isna()][:5])
            problems.append(f"layer '{name}': empty geometry in row(s) {rows}; drop or fix them")
        if spec is not None and spec.geometry is not None:
            allowed = {spec.geometry, spec.geometry.removeprefix("Multi")}
            bad = ~geoms.geom_type.isin(list(allowed)) & geoms.notna()
            if bad.any():
                kinds = sorted(set(geoms.geom_type[bad]))
                problems.append(
                    f"layer '{name}': geometry type(s) {kinds} where {spec.geometry} is expected "
                    f"(first bad row {frame.index[bad][0]})"
                )
    return problems


def _iso_text(values: pd.Series) -> pd.Series:
    """tz-aware datetimes -> ISO 8601 text with offset (``2025-03-01T20:15:00+08:00``), vectorised."""
    if len(values) and (values.dt.microsecond.fillna(0) != 0).any():
        return values.map(lambda t: t.isoformat() if pd.notna(t) else None)
    text = values.dt.strftime("%Y-%m-%dT%H:%M:%S%z")
    text = text.str[:-2] + ":" + text.str[-2:]
    return text.where(values.notna(), None)


_FAMILY = {"Polygon": ("Polygon", "MultiPolygon"), "MultiPolygon": ("Polygon", "MultiPolygon"),
           "LineString": ("LineString", "MultiLineString"), "MultiLineString": ("LineString", "MultiLineString"),
           "Point": ("Point",), "MultiPoint": ("Point", "MultiPoint")}


def _usable_geometries(frame: gpd.GeoDataFrame, layer: str, path: Path) -> gpd.GeoDataFrame:
    """Rows without geometry skipped and invalid geometries repaired (``make_valid``, keeping the
    parts of the layer's kind), with a :class:`GeometryWarning`: patrolnet itself never stores
    such geometries, but a layer edited in another tool may hold them, and a planning run must not
    crash on one. The file is not changed."""
    import warnings

    import numpy as np
    import shapely

    geoms = frame.geometry.to_numpy()
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    invalid = ~missing & ~shapely.is_valid(geoms)
    if not missing.any() and not invalid.any():
        return frame
    spec = LAYERS.get(layer)
    kinds = _FAMILY.get(spec.geometry if spec is not None and spec.geometry else "", ())
    ident = next((c for c in frame.columns if str(c).endswith("_id")), None)

    def labels(mask: np.ndarray) -> list[str]:
        return frame.loc[mask, ident].astype(str).tolist() if ident else [str(i) for i in np.flatnonzero(mask)]

    def names(mask: np.ndarray) -> str:
        found = labels(mask)
        return ", ".join(found[:5]) + (f" and {len(found) - 5} more" if len(found) > 5 else "")

    def listed(mask: np.ndarray) -> str:  # the same, in no language
        found = labels(mask)
        return ", ".join(found[:5]) + (f", … (+{len(found) - 5})" if len(found) > 5 else "")

    parts = []
    fmt: dict[str, object] = {"path": path.name, "layer": layer}
    if invalid.any():
        fixed = shapely.make_valid(geoms[invalid])
        if kinds:
            keep = []
            for g in fixed:
                pieces = [p for p in getattr(g, "geoms", [g]) if p.geom_type in kinds]
                keep.append(shapely.union_all(pieces) if pieces else None)
            fixed = np.array(keep, dtype=object)
        geoms = geoms.copy()
        geoms[invalid] = fixed
        lost = invalid & (shapely.is_missing(geoms) | shapely.is_empty(geoms))
        parts.append(f"{int(invalid.sum())} invalid geometr{'y' if invalid.sum() == 1 else 'ies'} repaired "
                     f"({names(invalid)})")
        fmt.update(invalid=int(invalid.sum()), invalid_rows=listed(invalid))
        missing = missing | lost
        frame = frame.set_geometry(gpd.GeoSeries(geoms, index=frame.index, crs=frame.crs))
    if missing.any():
        parts.append(f"{int(missing.sum())} row(s) without a usable geometry skipped ({names(missing)})")
        fmt.update(missing=int(missing.sum()), missing_rows=listed(missing))
        frame = frame[~missing]
    code = ("workspace.geometry_repaired_skipped" if "invalid" in fmt and "missing" in fmt
            else "workspace.geometry_repaired" if "invalid" in fmt else "workspace.geometry_skipped")
    message = (f"workspace '{path.name}', layer '{layer}': {'; '.join(parts)}. The file is unchanged: fix the layer "
               f"in QGIS (Vector > Geometry Tools > Fix Geometries) or import it again, replacing the layer")
    warnings.warn(GeometryWarning(message, code=code, **fmt), stacklevel=3)
    return frame


def _to_storage(name: str, frame: pd.DataFrame, tz: str) -> pd.DataFrame:
    """Convert a layer to what is stored: datetimes as ISO text with offset, polygons as multi."""
    out = frame.copy()
    spec = LAYERS.get(name)
    if spec is not None:
        for col in spec.columns:
            if col.dtype == "datetime" and col.name in out.columns:
                values = pd.to_datetime(out[col.name])
                if getattr(values.dt, "tz", None) is None:
                    values = values.dt.tz_localize(tz)
                values = values.dt.tz_convert(tz)
                out[col.name] = _iso_text(values)
        if isinstance(out, gpd.GeoDataFrame) and spec.geometry in _MULTI.values() and len(out):
            single = spec.geometry.removeprefix("Multi")
            is_single = out.geometry.geom_type == single
            if is_single.any():
                from shapely import multipolygons, multilinestrings, multipoints

                make = {"Polygon": multipolygons, "LineString": multilinestrings, "Point": multipoints}
                geoms = out.geometry.values.copy()
                geoms[is_single.to_numpy()] = [
                    make[single]([g]) for g in geoms[is_single.to_numpy()]
                ]
                out = out.set_geometry(gpd.GeoSeries(geoms, index=out.index, crs=out.crs))
    return out


def _from_storage(name: str, frame: pd.DataFrame, tz: str) -> pd.DataFrame:
    spec = LAYERS.get(name)
    if spec is None:
        return frame
    for col in spec.columns:
        if col.dtype == "datetime" and col.name in frame.columns:
            frame[col.name] = pd.to_datetime(frame[col.name], utc=True, format="ISO8601").dt.tz_convert(tz)
    return frame


class Workspace:
    """A patrolnet workspace (one GeoPackage file).

    Parameters
    ----------
    path
        The ``.gpkg`` file. It must exist and carry a ``meta`` table with a ``schema_version``.

    Raises
    ------
    WorkspaceError
        When the file is missing, unreadable, or not a patrolnet workspace.
    """

    def __init__(self, path: str | os.PathLike[str]):
        self.path = Path(path)
        if not self.path.exists():
            raise WorkspaceError(
                f"workspace '{self.path}' does not exist; build one with 'patrolnet demo' "
                f"or 'patrolnet init'",
                code="workspace.missing", path=str(self.path),
            )
        try:
            layers = pyogrio.list_layers(self.path)
        except Exception as exc:  # GDAL raises its own DataSourceError family
            raise WorkspaceError(
                f"workspace '{self.path}' cannot be opened as a GeoPackage ({exc}); "
                f"check the path or rebuild it",
                code="workspace.unreadable", path=str(self.path), reason=str(exc),
            ) from exc
        self._layers = {str(n): (str(g) if g is not None else None) for n, g in layers}
        if "meta" not in self._layers:
            raise WorkspaceError(
                f"'{self.path}' is a GeoPackage but not a patrolnet workspace (no 'meta' table); "
                f"create one with 'patrolnet init' or 'patrolnet demo'",
                code="workspace.not_patrolnet", path=str(self.path),
            )
        self.meta = self._read_meta()
        version = int(self.meta.get("schema_version", "0") or 0)
        if version > SCHEMA_VERSION:
            raise WorkspaceError(
                f"workspace '{self.path}' has schema version {version}, newer than this patrolnet "
                f"({SCHEMA_VERSION}); upgrade patrolnet",
                code="workspace.newer", path=str(self.path), version=version, supported=SCHEMA_VERSION,
            )
        if "working_crs" not in self.meta:
            raise WorkspaceError(f"workspace '{self.path}': meta has no 'working_crs'", code="workspace.no_crs",
                                 path=str(self.path))

    # -- reading -----------------------------------------------------------------------------
    def _read_meta(self) -> dict[str, str]:
        df = pyogrio.read_dataframe(self.path, layer="meta", read_geometry=False)
        return {str(k): ("" if pd.isna(v) else str(v)) for k, v in zip(df["key"], df["value"])}

    @property
    def crs(self) -> CRS:
        """The working CRS (projected, metres)."""
        return CRS.from_user_input(self.meta["working_crs"])

    @property
    def timezone(self) -> str:
        return self.meta.get("timezone", DEFAULT_TIMEZONE)

    @property
    def name(self) -> str:
        return self.meta.get("name", self.path.stem)

    def layers(self) -> list[str]:
        """Names of the layers present (``meta`` excluded)."""
        return [n for n in self._layers if n != "meta"]

    def has(self, layer: str) -> bool:
        return layer in self._layers

    def meta_json(self, key: str, default: Any = None) -> Any:
        raw = self.meta.get(key)
        return default if raw in (None, "") else json.loads(raw)

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
        """Read a layer (in the working CRS); datetime columns come back tz-aware.

        ``bbox`` is in the working CRS; ``skip_features``/``max_features`` page through the layer
        in the reader (after the ``bbox``/``where`` filters).

        Raises
        ------
        WorkspaceError
            When the layer is not in the workspace.
        """
        if layer not in self._layers:
            raise WorkspaceError(
                f"workspace '{self.path}' has no layer '{layer}' (it has: {', '.join(self.layers())})",
                code="workspace.no_layer", layer=layer, layers=", ".join(self.layers()),
            )
        frame = pyogrio.read_dataframe(
            self.path,
            layer=layer,
            columns=columns,
            bbox=bbox,
            where=where,
            read_geometry=self._layers[layer] is not None,
            use_arrow=False,
            skip_features=skip_features,
            # the reader takes 0 for "no limit": the columns alone are read from the first row
            max_features=1 if max_features == 0 else max_features,
        )
        if max_features == 0:
            frame = frame.iloc[:0]
        if isinstance(frame, gpd.GeoDataFrame) and frame.crs is None:
            frame = frame.set_crs(self.crs)
        frame = _from_storage(layer, frame, self.timezone)
        if isinstance(frame, gpd.GeoDataFrame) and len(frame):
            frame = _usable_geometries(frame, layer, self.path)
        return frame

    def count(self, layer: str) -> int:
        return int(pyogrio.read_info(self.path, layer=layer)["features"])

    def time_span(self, layer: str, column: str, *, by: str | None = None) -> pd.DataFrame:
        """The first and the last time of ``column`` in ``layer`` (per value of ``by`` when given),
        computed by SQLite without reading the rows (:func:`time_span_frame` says what comes back).

        The times are kept as ISO text in the workspace's zone (:func:`_to_storage`), so their
        order as text is their order in time (a zone with summer time: to the hour of the change).

        Raises
        ------
        WorkspaceError
            When the layer, or the column, is not in the workspace.
        """
        import sqlite3
        from contextlib import closing

        if layer not in self._layers:
            raise WorkspaceError(
                f"workspace '{self.path}' has no layer '{layer}' (it has: {', '.join(self.layers())})",
                code="workspace.no_layer", layer=layer, layers=", ".join(self.layers()),
            )
        with closing(sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)) as con:
            names = {str(r[1]) for r in con.execute(f"PRAGMA table_info({_quoted(layer)})")}
            for col in (column, by):
                if col is not None and col not in names:
                    raise WorkspaceError(f"workspace '{self.path}', layer '{layer}' has no column '{col}'",
                                         code="workspace.no_column", layer=layer, column=col)
            c = _quoted(column)
            group = f"{_quoted(by)}, " if by else ""
            rows = con.execute(f"SELECT {group}min({c}), max({c}) FROM {_quoted(layer)} WHERE {c} IS NOT NULL"
                               + (f" GROUP BY {_quoted(by)}" if by else "")).fetchall()
        return time_span_frame(rows, by=by, tz=self.timezone)

    def info(self) -> WorkspaceInfo:
        """Layers with counts, geometry types and extents; CRS; extent in WGS84."""
        infos = []
        total: list[float] | None = None
        for name in self.layers():
            ri = pyogrio.read_info(self.path, layer=name, force_total_bounds=True)
            bounds = ri.get("total_bounds")
            n = int(ri["features"])
            ok_bounds = (
                tuple(float(b) for b in bounds)
                if bounds is not None and n > 0 and all(pd.notna(b) for b in bounds)
                else None
            )
            infos.append(LayerInfo(name, self._layers[name], n, ok_bounds))  # type: ignore[arg-type]
            if ok_bounds:
                b = list(ok_bounds)
                total = b if total is None else [min(total[0], b[0]), min(total[1], b[1]),
                                                 max(total[2], b[2]), max(total[3], b[3])]
        extent = None
        if total is not None:
            from pyproj import Transformer

            tr = Transformer.from_crs(self.crs, "EPSG:4326", always_xy=True)
            extent = tuple(float(v) for v in tr.transform_bounds(*total))
        return WorkspaceInfo(
            path=self.path,
            crs=self.crs.to_string(),
            timezone=self.timezone,
            schema_version=int(self.meta.get("schema_version", "0") or 0),
            layers=tuple(infos),
            extent_wgs84=extent,  # type: ignore[arg-type]
            meta=dict(self.meta),
        )

    # -- writing -----------------------------------------------------------------------------
    def write(
        self,
        layers: Mapping[str, pd.DataFrame],
        *,
        meta: Mapping[str, Any] | None = None,
        sources: Mapping[str, str] | None = None,
    ) -> Workspace:
        """Replace the given layers and update ``meta``, atomically.

        Parameters
        ----------
        layers
            Layer name -> table. Spatial layers must be in the working CRS.
        meta
            Extra meta keys to set (values are stored as text; dicts and lists as JSON).
        sources
            Layer name -> where its data came from (recorded as ``source:<layer>`` in meta).

        Returns
        -------
        Workspace
            A fresh handle on the updated file.

        Raises
        ------
        InputError, CRSError
            When a layer breaks the schema; nothing is written then.
        """
        updates = write_updates(layers, meta, sources, crs=self.crs, where=str(self.path))
        check_not_in_use(self.path)  # another program (e.g. QGIS) writing it: replacing would corrupt it
        with writer_lock(self.path):
            # the copy and the meta are taken under the lock, so a write that waited for another one
            # builds on it: both writers' layers and meta keys survive
            new_meta = {**Workspace(self.path).meta, **updates, "updated_at": _now()}
            with atomic_path(self.path, copy=True, suffix=".tmp.gpkg") as tmp:
                for name, frame in layers.items():
                    _write_layer(tmp, name, _to_storage(name, frame, self.timezone))
                _write_meta(tmp, new_meta)
        return Workspace(self.path)


def _quoted(name: str) -> str:
    """An SQL identifier in double quotes."""
    return '"' + str(name).replace('"', '""') + '"'


def time_span_frame(rows: list[Any], *, by: str | None, tz: str) -> pd.DataFrame:
    """Rows ``([by,] first, last)`` of a store's time-span query as a table: the ``by`` column
    (when given), ``first`` and ``last`` (tz-aware, in ``tz``); no row without times."""
    cols = ([by] if by else []) + ["first", "last"]
    frame = pd.DataFrame([tuple(r) for r in rows if r[-1] is not None], columns=cols)
    for col in ("first", "last"):
        frame[col] = pd.to_datetime(frame[col].astype(object) if len(frame) else frame[col], utc=True,
                                    format="ISO8601").dt.tz_convert(tz)
    return frame


def _meta_text(meta: Mapping[str, Any]) -> dict[str, str]:
    out = {}
    for k, v in meta.items():
        out[str(k)] = json.dumps(v, ensure_ascii=False) if isinstance(v, dict | list) else str(v)
    return out


def write_updates(layers: Mapping[str, Any], meta: Mapping[str, Any] | None, sources: Mapping[str, str] | None, *,
                  crs: Any, where: str) -> dict[str, str]:
    """Check the layers of a write against the schema (every problem at once) and return the
    ``meta`` rows it sets (its values as text and each layer's ``source:``), for either backend.

    Raises
    ------
    InputError, CRSError
        When a layer breaks the schema (``where`` names the workspace).
    """
    problems: list[str] = []
    for name, frame in layers.items():
        if name == "meta":
            problems.append("layer 'meta' is written through the meta= argument")
            continue
        problems += validate_layer(name, frame, crs=crs)
    _raise(problems, where)
    updates = _meta_text(meta or {})
    for layer, src in (sources or {}).items():
        updates[f"source:{layer}"] = src
    return updates


def _raise(problems: list[str], where: str) -> None:
    crs_problems = [p for p in problems if "CRS" in p]
    if crs_problems and len(crs_problems) == len(problems):
        raise_collected(problems, what=f"workspace '{where}'", cls=CRSError, code="workspace.problems", path=where)
    raise_collected(problems, what=f"workspace '{where}'", cls=InputError, code="workspace.problems", path=where)


def _write_layer(path: Path, name: str, frame: pd.DataFrame) -> None:
    kwargs: dict[str, Any] = {"layer": name, "driver": "GPKG"}
    spec = LAYERS.get(name)
    if isinstance(frame, gpd.GeoDataFrame):
        if spec is not None and spec.geometry is not None:
            kwargs["geometry_type"] = spec.geometry
        elif len(frame) == 0:
            kwargs["geometry_type"] = "Unknown"
        pyogrio.write_dataframe(frame, path, **kwargs)
    else:
        pyogrio.write_dataframe(pd.DataFrame(frame), path, **kwargs)


def _write_meta(path: Path, meta: Mapping[str, str]) -> None:
    df = pd.DataFrame({"key": list(meta.keys()), "value": [str(v) for v in meta.values()]})
    pyogrio.write_dataframe(df, path, layer="meta", driver="GPKG")






def create_workspace(
    path: str | os.PathLike[str],
    layers: Mapping[str, pd.DataFrame],
    *,
    crs: str | CRS,
    meta: Mapping[str, Any] | None = None,
    sources: Mapping[str, str] | None = None,
    timezone: str = DEFAULT_TIMEZONE,
    overwrite: bool = False,
) -> Workspace:
    """Create a new workspace file atomically.

    Parameters
    ----------
    path
        The ``.gpkg`` to create.
    layers
        Layer name -> table, spatial layers already in ``crs``.
    crs
        The projected working CRS (metres), e.g. ``"EPSG:4547"``.
    overwrite
        Replace an existing file (atomically) instead of refusing.

    Raises
    ------
    CRSError
        When ``crs`` is geographic (degrees) or unknown.
    InputError
        When a layer breaks the schema or the file exists and ``overwrite`` is false.
    """
    path = Path(path)
    try:
        crs_obj = CRS.from_user_input(crs)
    except Exception as exc:
        raise CRSError(f"unknown CRS {crs!r}; give it as EPSG:NNNN", code="crs.unknown", value=str(crs)) from exc
    if not crs_obj.is_projected:  # not require_projected: the fix here is another working CRS, not .to_crs
        raise CRSError(
            f"working CRS {crs_obj.to_string()} is geographic (degrees); metric work needs a projected "
            f"CRS such as EPSG:4547 (Xinyu) or the local UTM zone",
            code="crs.working_degrees", crs=crs_obj.to_string(),
        )
    if path.exists() and not overwrite:
        raise InputError(f"'{path}' already exists; choose another path or pass overwrite",
                         code="workspace.exists", path=str(path))
    problems: list[str] = []
    for name, frame in layers.items():
        problems += validate_layer(name, frame, crs=crs_obj)
    _raise(problems, str(path))
    now = _now()
    full_meta = {
        "schema_version": str(SCHEMA_VERSION),
        "working_crs": crs_obj.to_string(),
        "timezone": timezone,
        "name": path.stem,
        "created_at": now,
        "updated_at": now,
    }
    full_meta.update(_meta_text(meta or {}))
    for layer, src in (sources or {}).items():
        full_meta[f"source:{layer}"] = src
    with atomic_path(path, suffix=".tmp.gpkg") as tmp:
        _write_meta(tmp, full_meta)
        for name, frame in layers.items():
            _write_layer(tmp, name, _to_storage(name, frame, timezone))
    return Workspace(path)
