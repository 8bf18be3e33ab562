"""Tables in: incident, camera, station, community, neighborhood and unit lists from outside.

Commanders' data comes as CSV (UTF-8, or GBK/GB18030 as Chinese Excel writes it), XLSX, GeoJSON,
GeoPackage or Shapefile, with Chinese or English headers and coordinates in WGS84, GCJ-02, BD-09 or a
projected CRS. This module reads such a file, maps its columns to the workspace schema, checks every
row and returns the accepted rows (in the working CRS) beside a table of rejected rows, each with its
row number, column, value and the reason (in English, beside its message key ``reason_code`` and
the key's values ``reason_values``, JSON text, that the shells say in the user's language: the keys
are ``error.<reason_code>`` of :mod:`app.i18n`). Nothing here writes the workspace; :func:`import_table`
does that in one atomic step.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS

from geo.coords import SHIFTED_SYSTEMS, coord_system, to_wgs84
from geo.gpsfiles import GPS_SUFFIXES, read_gps
from geo.errors import InputError
from geo.hostile import check_upload
from geo.repair import repair_geometries
from geo.schema import CATEGORIES, CAMERA_KINDS, LAYERS, NEIGHBORHOOD_KINDS, UNIT_KINDS

__all__ = [
    "IMPORTABLE_LAYERS",
    "ImportResult",
    "read_table",
    "guess_column_map",
    "parse_times",
    "map_categories",
    "prepare_rows",
    "REJECT_COLUMNS",
    "REASON_KEY_COLUMNS",
]

IMPORTABLE_LAYERS = ("incidents", "cameras", "stations", "communities", "neighborhoods", "units", "tracks")
REJECT_COLUMNS = ["row", "column", "value", "reason"]
#: Columns after :data:`REJECT_COLUMNS` in a rejected-rows table: the reason's message key (without
#: the ``error.`` prefix) and its values as JSON text (an object of strings).
REASON_KEY_COLUMNS = ["reason_code", "reason_values"]
TABULAR = (".csv", ".txt", ".tsv", ".xlsx", ".xlsm")
GEO = (".geojson", ".json", ".gpkg", ".shp", ".zip")

# Header guesses: target column -> lower-cased header spellings seen in Chinese and English exports.
_GUESSES: dict[str, tuple[str, ...]] = {
    "lon": ("经度", "lon", "lng", "long", "longitude", "gps经度", "x坐标(经度)", "jd"),
    "lat": ("纬度", "lat", "latitude", "gps纬度", "wd"),
    "x": ("x", "横坐标", "x坐标", "easting", "point_x"),
    "y": ("y", "纵坐标", "y坐标", "northing", "point_y"),
    "occurred_at": ("发案时间", "案发时间", "报警时间", "接警时间", "发生时间", "时间", "occurred_at",
                    "date_time", "datetime", "date", "time", "incident_datetime", "reported_at"),
    "category": ("案件类别", "案件类型", "警情类别", "警情类型", "案由", "类别", "类型", "category",
                 "offense_type", "offence_type", "type", "crime_type", "incident_category"),
    "place_kind": ("地点类型", "发案部位", "场所类型", "place_kind", "place", "location_type"),
    "incident_id": ("案件编号", "警情编号", "编号", "序号", "incident_id", "uid", "id", "case_id",
                    "incident_number"),
    "address": ("地址", "发案地点", "发案地址", "案发地点", "address", "hundred_block", "location"),
    "camera_id": ("点位编号", "设备编号", "摄像头编号", "编号", "camera_id", "id", "osm_id", "device_id"),
    "kind": ("类型", "设备类型", "摄像机类型", "kind", "type", "camera_type", "unit_kind"),
    "bearing_deg": ("方向", "朝向", "方位角", "bearing", "bearing_deg", "direction", "camera:direction"),
    "fov_deg": ("视场角", "视角", "fov", "fov_deg", "camera:angle", "angle"),
    "range_m": ("距离", "监控距离", "可视距离", "range", "range_m"),
    "owner": ("权属", "建设单位", "所属单位", "owner", "operator"),
    "name": ("名称", "名字", "小区名称", "社区名称", "派出所名称", "单位名称", "name"),
    "name_en": ("英文名", "name_en", "english_name"),
    "station_id": ("派出所编号", "station_id"),
    "recorded_at": ("定位时间", "gps时间", "采集时间", "时间", "recorded_at", "time", "timestamp", "datetime",
                    "date_time"),
    "station_name": ("派出所", "所属派出所", "station", "station_name"),
    "community_id": ("社区编号", "community_id"),
    "community_name": ("社区", "所属社区", "community", "community_name"),
    "neighborhood_id": ("小区编号", "neighborhood_id"),
    "households": ("户数", "住户数", "households"),
    "residents": ("人口", "常住人口", "residents", "population"),
    "office_name": ("警务室", "社区警务室", "office_name"),
    "unit_id": ("单位编号", "队伍编号", "unit_id", "巡逻单位编号", "巡逻单位", "终端编号", "unit", "vehicle_id",
                "callsign"),
    "officers": ("民警", "民警人数", "officers"),
    "auxiliaries": ("辅警", "辅警人数", "auxiliaries"),
    "volunteers": ("志愿者", "志愿者人数", "群防群治", "volunteers"),
    "mode": ("巡逻方式", "交通方式", "mode"),
    "model_kind": ("示范类型", "model_kind"),
}
_PARTS = ("year", "month", "day", "hour", "minute")

# Category names seen in exports -> category code (checked in order; first substring match wins).
_CATEGORY_PATTERNS: tuple[tuple[str, str], ...] = (
    ("入室盗窃", "burglary"), ("入户盗窃", "burglary"), ("break and enter", "burglary"),
    ("burglary", "burglary"), ("抢劫", "robbery"), ("robbery", "robbery"), ("抢夺", "snatching"),
    ("飞车", "snatching"), ("snatch", "snatching"), ("电动车", "ebike_theft"), ("电瓶车", "ebike_theft"),
    ("e-bike", "ebike_theft"), ("ebike", "ebike_theft"), ("车内", "theft_from_vehicle"),
    ("theft from vehicle", "theft_from_vehicle"), ("theft from auto", "theft_from_vehicle"),
    ("盗窃机动车", "vehicle_theft"), ("盗窃汽车", "vehicle_theft"), ("摩托车", "vehicle_theft"),
    ("theft of vehicle", "vehicle_theft"), ("vehicle theft", "vehicle_theft"),
    ("motor vehicle theft", "vehicle_theft"), ("扒窃", "pickpocketing"), ("pickpocket", "pickpocketing"),
    ("盗窃", "other_theft"), ("theft", "other_theft"), ("larceny", "other_theft"),
    ("伤害", "assault"), ("斗殴", "assault"), ("assault", "assault"), ("诈骗", "fraud"),
    ("fraud", "fraud"), ("治安", "public_order"), ("public order", "public_order"),
    ("mischief", "public_order"), ("disorder", "public_order"),
)
_PLACE_PATTERNS = (("street", "street"), ("街", "street"), ("路", "street"), ("道路", "street"),
                   ("neighborhood", "neighborhood"), ("小区", "neighborhood"), ("居民", "neighborhood"),
                   ("住宅", "neighborhood"))


@dataclass
class ImportResult:
    """What an import did: accepted rows (ready to write) and rejected rows with reasons."""

    layer: str
    source: Path
    rows_read: int
    accepted: gpd.GeoDataFrame
    rejected: pd.DataFrame
    column_map: dict[str, str]
    coords: str
    encoding: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def rejected_rows(self) -> int:
        return int(self.rejected["row"].nunique()) if len(self.rejected) else 0

    def summary(self) -> dict[str, Any]:
        return {
            "layer": self.layer,
            "source": str(self.source),
            "rows_read": self.rows_read,
            "accepted": len(self.accepted),
            "rejected": self.rejected_rows,
            "encoding": self.encoding,
            "coords": self.coords,
            "column_map": self.column_map,
            "notes": self.notes,
        }


# -- reading -----------------------------------------------------------------------------------
def _read_csv(path: Path, encoding: str | None) -> tuple[pd.DataFrame, str]:
    raw = path.read_bytes()
    if not raw.strip():
        raise InputError(f"'{path}' is empty; export the table again with a header row and data",
                         code="import.empty", name=path.name)
    tried = [encoding] if encoding else ["utf-8-sig", "gb18030"]
    last: Exception | None = None
    for enc in tried:
        try:
            text = raw.decode(enc)
        except (UnicodeDecodeError, LookupError) as exc:
            last = exc
            continue
        sep = "\t" if path.suffix.lower() == ".tsv" or text.split("\n", 1)[0].count("\t") > text.split("\n", 1)[0].count(",") else ","
        import io

        try:
            frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False,
                                na_values=[""], skip_blank_lines=True)
        except pd.errors.ParserError as exc:
            raise InputError(f"'{path}': not a readable CSV table ({exc}); check the delimiter and quotes",
                             code="import.bad_csv", name=path.name, reason=str(exc)) from exc
        return frame, ("gb18030" if enc == "gb18030" else "utf-8")
    raise InputError(
        f"'{path}': text encoding is neither UTF-8 nor GBK/GB18030 ({last}); "
        f"save it from Excel as 'CSV UTF-8' or pass --encoding",
        code="import.encoding", name=path.name,
    )


#: Largest table file read (bytes); web uploads set their own, lower limit.
MAX_TABLE_BYTES = 2 * 1024**3


def read_table(path: str | Path, *, encoding: str | None = None, sheet: str | None = None,
               max_bytes: int = MAX_TABLE_BYTES) -> tuple[pd.DataFrame, str | None]:
    """Read a table file as text columns (or a GeoDataFrame for geodata), with its encoding.

    Row numbers follow what a person sees: for CSV and XLSX the spreadsheet row (header = row 1),
    for geodata the 1-based feature number. They are kept in the ``__row__`` column.

    Raises
    ------
    InputError
        Missing, empty or unreadable file, unknown format.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"'{path}' does not exist; check the path", code="import.missing", name=path.name)
    if path.is_file() and path.stat().st_size > 0:
        # size, content matching the suffix, zip / compression bombs, XML entities: refused before reading
        if path.suffix.lower() in TABULAR + GEO + GPS_SUFFIXES or path.name.lower().endswith(".csv.gz"):
            check_upload(path, max_bytes=max_bytes, allowed_suffixes=TABULAR + GEO + GPS_SUFFIXES + (".csv.gz",))
    suffix = "".join(path.suffixes[-2:]).lower() if path.name.lower().endswith(".csv.gz") else path.suffix.lower()
    enc: str | None = None
    if suffix in (".csv", ".txt", ".tsv"):
        frame, enc = _read_csv(path, encoding)
        frame.insert(0, "__row__", np.arange(2, len(frame) + 2))
    elif suffix == ".csv.gz":
        import gzip

        try:
            data = gzip.decompress(path.read_bytes())
        except OSError as exc:
            raise InputError(f"'{path}': not a readable gzip file ({exc})", code="import.unreadable", name=path.name,
                             reason=str(exc)) from exc
        tmp = path.with_name(path.name[:-3])
        frame, enc = _read_csv_bytes(data, tmp, encoding)
        frame.insert(0, "__row__", np.arange(2, len(frame) + 2))
    elif suffix in (".xlsx", ".xlsm"):
        try:
            frame = pd.read_excel(path, sheet_name=sheet or 0, dtype=object, engine="openpyxl")
        except Exception as exc:
            raise InputError(f"'{path}': not a readable Excel workbook ({exc}); save it as .xlsx",
                             code="import.bad_xlsx", name=path.name, reason=str(exc)) from exc
        frame = frame.dropna(how="all")
        frame.insert(0, "__row__", frame.index.to_numpy() + 2)
        frame = frame.reset_index(drop=True)
    elif suffix in GPS_SUFFIXES:
        frame = read_gps(path)
        enc = "utf-8"
    elif suffix in GEO:
        try:
            frame = pyogrio.read_dataframe(path)
        except Exception as exc:
            raise InputError(f"'{path}': not readable as geodata ({exc}); check the file",
                             code="import.unreadable", name=path.name, reason=str(exc)) from exc
        frame.insert(0, "__row__", np.arange(1, len(frame) + 1))
        enc = "utf-8"
    else:
        raise InputError(
            f"'{path}': unknown file type '{path.suffix}'; use CSV, XLSX, GeoJSON, GeoPackage, Shapefile, GPX or KML",
            code="import.file_type", name=path.name, suffix=path.suffix,
        )
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame, enc


def _read_csv_bytes(data: bytes, path: Path, encoding: str | None) -> tuple[pd.DataFrame, str]:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp) / path.name
        p.write_bytes(data)
        return _read_csv(p, encoding)


# -- columns -----------------------------------------------------------------------------------
def _norm(header: str) -> str:
    return re.sub(r"[\s_\-（）()]+", "", header.strip().lower())


def guess_column_map(columns: list[str], layer: str, *, given: Mapping[str, str] | None = None) -> dict[str, str]:
    """Map source headers to target columns: ``given`` first (source=target), then guesses.

    Returns source header -> target column. Each target is used once; headers that match nothing are
    kept under their own name.
    """
    mapping: dict[str, str] = {}
    used: set[str] = set()
    given = dict(given or {})
    for src, dst in given.items():
        if src not in columns:
            raise InputError(
                f"--map {src}={dst}: the file has no column '{src}' (it has: {', '.join(c for c in columns if c != '__row__')})",
                code="import.no_column", column=src, target=dst,
                columns=", ".join(c for c in columns if c != "__row__"),
            )
        mapping[src] = dst
        used.add(dst)
    lower = {_norm(c): c for c in columns if c != "__row__" and c not in mapping}
    targets = set(LAYERS[layer].required_columns) | {c.name for c in LAYERS[layer].columns}
    targets |= {"lon", "lat", "x", "y", "address", "station_name", "community_name"}
    if layer == "incidents":
        targets |= set(_PARTS)
    for target, spellings in _GUESSES.items():
        if target not in targets or target in used:
            continue
        for spelling in (target, *spellings):
            src = lower.get(_norm(spelling))
            if src is not None and src not in mapping:
                mapping[src] = target
                used.add(target)
                break
    if layer == "incidents" and "occurred_at" not in used:
        for part in _PARTS:
            src = lower.get(part)
            if src is not None and src not in mapping:
                mapping[src] = part
    return mapping


# -- values ------------------------------------------------------------------------------------
_ZONE = re.compile(r"(?:Z|[+-]\d{2}:?\d{2})$")


_FAST_FORMATS = (
    "%Y年%m月%d日 %H:%M", "%Y年%m月%d日 %H:%M:%S", "%Y年%m月%d日%H:%M", "%Y年%m月%d日",
    "%Y/%m/%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d", "%Y%m%d %H:%M", "%Y%m%d %H%M%S", "%Y%m%d",
)


def parse_times(values: pd.Series, tz: str) -> pd.Series:
    """Parse times given as ISO 8601 or common Chinese forms (2025年3月1日 20:15, 2025/3/1 20:15).

    Times with an offset keep it (converted to ``tz``); times without one are taken as local in
    ``tz``. Unparseable values become NaT. Whole columns are parsed at C speed with a few fixed
    formats first; only what none of them reads goes through the slower normalisation.
    """
    if pd.api.types.is_datetime64_any_dtype(values):
        out = pd.to_datetime(values)
        return out.dt.tz_localize(tz) if out.dt.tz is None else out.dt.tz_convert(tz)
    text = values.astype("string").str.strip()
    out = pd.Series(pd.NaT, index=values.index, dtype=f"datetime64[ns, {tz}]")
    zoned = text.str.contains(_ZONE, na=False)
    if zoned.any():
        parsed = pd.to_datetime(text[zoned], format="ISO8601", errors="coerce", utc=True)
        out[zoned] = parsed.dt.tz_convert(tz)
    todo = ~zoned & text.notna()
    for fmt in ("ISO8601", *_FAST_FORMATS):
        if not todo.any():
            break
        parsed = pd.to_datetime(text[todo], format=fmt, errors="coerce")
        ok = parsed.notna()
        if ok.any():
            idx = parsed.index[ok]
            out[idx] = _localize(parsed[ok], tz)
            todo[idx] = False
    if todo.any():
        rest = text[todo]
        rest = (
            rest.str.replace(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?", r"\1-\2-\3 ", regex=True)
            .str.replace(r"(\d{1,2})\s*[时点]\s*(\d{1,2})\s*分(?:\s*(\d{1,2})\s*秒)?",
                         lambda m: f"{m.group(1)}:{m.group(2)}" + (f":{m.group(3)}" if m.group(3) else ""),
                         regex=True)
            .str.replace(r"(\d{1,2})\s*[时点]$", r"\1:00", regex=True)
            .str.replace("/", "-", regex=False)
            .str.replace(r"^(\d{4})(\d{2})(\d{2})(?=\s|$)", r"\1-\2-\3", regex=True)
            .str.replace(r"\s+", " ", regex=True)
            .str.strip()
        )
        parsed = pd.to_datetime(rest, format="ISO8601", errors="coerce")
        retry = parsed.isna() & rest.notna()
        if retry.any():
            parsed[retry] = pd.to_datetime(rest[retry], format="mixed", errors="coerce")
        ok = parsed.notna()
        out[parsed.index[ok]] = _localize(parsed[ok], tz)
    return out


def _localize(values: pd.Series, tz: str) -> pd.Series:
    """Local wall-clock times -> tz-aware. A time that a daylight-saving jump skips is moved forward
    (02:30 on the spring-forward night becomes 03:00); one that occurs twice is taken as the first."""
    return values.dt.tz_localize(tz, ambiguous=np.ones(len(values), dtype=bool), nonexistent="shift_forward")


def map_categories(values: pd.Series, extra: Mapping[str, str] | None = None,
                   categories: Mapping[str, tuple[str, str, str]] | None = None) -> pd.Series:
    """Map free-text categories (Chinese or English) to category codes of ``categories`` (a
    workspace's table, :mod:`geo.categories`; default the built-in :data:`geo.schema.CATEGORIES`);
    unknown ones become NA."""
    table = CATEGORIES if categories is None else categories
    lookup: dict[str, str] = {}
    for code, (zh, en, _) in table.items():
        lookup[code] = code
        lookup[zh] = code
        lookup[en.lower()] = code
    for k, v in (extra or {}).items():
        if v not in table:
            raise InputError(f"category map {k}={v}: '{v}' is not a category code ({', '.join(table)})",
                             code="import.category_code", source=k, value=v, known=", ".join(table))
        lookup[k.strip().lower()] = v
    uniques = values.dropna().astype(str).unique()
    resolved: dict[str, Any] = {}
    for raw in uniques:
        key = raw.strip().lower()
        code = lookup.get(key)
        if code is None:
            for pattern, c in _CATEGORY_PATTERNS:
                if pattern in key:
                    code = c
                    break
        resolved[raw] = code if code is not None else pd.NA
    return values.map(resolved).astype("string")


def _to_float(series: pd.Series) -> pd.Series:
    return pd.to_numeric(series.astype("string").str.strip().str.replace(",", ".", regex=False), errors="coerce")


_CARDINAL = {"n": 0, "nne": 22.5, "ne": 45, "ene": 67.5, "e": 90, "ese": 112.5, "se": 135, "sse": 157.5,
             "s": 180, "ssw": 202.5, "sw": 225, "wsw": 247.5, "w": 270, "wnw": 292.5, "nw": 315,
             "nnw": 337.5, "北": 0, "东北": 45, "东": 90, "东南": 135, "南": 180, "西南": 225, "西": 270,
             "西北": 315}


def _bearings(series: pd.Series) -> pd.Series:
    text = series.astype("string").str.strip().str.lower()
    num = pd.to_numeric(text, errors="coerce")
    card = text.map(lambda v: _CARDINAL.get(v) if isinstance(v, str) else None)
    return num.fillna(pd.to_numeric(card, errors="coerce")) % 360


# -- the row checks ----------------------------------------------------------------------------
class _Rejects:
    def __init__(self) -> None:
        self.parts: list[pd.DataFrame] = []

    def add(self, rows: pd.Series, column: str, values: pd.Series | str, reason: str | pd.Series, *,
            code: str | pd.Series, **fmt: Any) -> None:
        """Reject ``rows``: ``reason`` the English text, ``code`` its message key and ``fmt`` the key's
        values (a value per row when given as a Series, array or list; else one for all)."""
        if len(rows) == 0:
            return
        self.parts.append(pd.DataFrame({
            "row": rows.to_numpy(),
            "column": column,
            "value": (values.astype("string").to_numpy() if isinstance(values, pd.Series) else values),
            "reason": reason.to_numpy() if isinstance(reason, pd.Series) else reason,
            "reason_code": code.to_numpy() if isinstance(code, pd.Series) else code,
            "reason_values": _reason_values(len(rows), fmt),
        }))

    def add_keyed(self, rows: pd.Series, column: str, values: str, problems: pd.DataFrame) -> None:
        """Reject ``rows`` for the problems of :func:`geo.repair.repair_geometries` (``keyed=True``):
        their reasons with their keys and values."""
        if len(rows) == 0:
            return
        self.parts.append(pd.DataFrame({
            "row": rows.to_numpy(), "column": column, "value": values,
            "reason": problems["reason"].astype(str).to_numpy(),
            "reason_code": problems["reason_code"].to_numpy(),
            "reason_values": problems["reason_values"].to_numpy(),
        }))

    def frame(self) -> pd.DataFrame:
        if not self.parts:
            return pd.DataFrame({c: pd.Series(dtype="object") for c in REJECT_COLUMNS + REASON_KEY_COLUMNS})
        out = pd.concat(self.parts, ignore_index=True)
        return out.sort_values(["row", "column"], kind="stable").reset_index(drop=True)


def _reason_values(n: int, fmt: Mapping[str, Any]) -> list[str]:
    """The values of ``n`` rows' reason as JSON text each: ``fmt`` values given per row (a Series,
    array or list of length ``n``) or one for all; every value as text (NA as "")."""
    def text(v: Any) -> str:
        return "" if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v)

    per_row = {k: [text(x) for x in (v.to_numpy() if isinstance(v, pd.Series) else v)]
               for k, v in fmt.items() if isinstance(v, pd.Series | np.ndarray | list | tuple)}
    fixed = {k: text(v) for k, v in fmt.items() if k not in per_row}
    return [json.dumps({**fixed, **{k: v[i] for k, v in per_row.items()}}, ensure_ascii=False, sort_keys=True)
            for i in range(n)]


def _points(frame: pd.DataFrame, mapping_targets: set[str], coords: str, src_crs: CRS | None,
            crs: CRS, rejects: _Rejects, boundary: shapely.Geometry | None,
            tolerance_m: float) -> tuple[np.ndarray, pd.Series]:
    """Return point geometries in the working CRS and a boolean 'ok' mask."""
    rows = frame["__row__"]
    ok = pd.Series(True, index=frame.index)
    is_epsg = coords.upper().startswith("EPSG:")
    if isinstance(frame, gpd.GeoDataFrame) and frame.geometry.name in frame.columns and not (
        {"lon", "lat"} <= mapping_targets or {"x", "y"} <= mapping_targets
    ):
        geoms = frame.geometry
        empty = geoms.isna() | geoms.is_empty
        rejects.add(rows[empty], "geometry", "", "no geometry; give the point or drop the row", code="row.no_point")
        ok &= ~empty
        if frame.crs is None and not is_epsg:
            source = CRS.from_epsg(4326)
        else:
            source = CRS.from_user_input(coords) if is_epsg else frame.crs
        pts = gpd.GeoSeries(shapely.get_geometry(geoms.to_numpy(), 0), index=frame.index)
        bad_type = ok & ~pts.geom_type.isin(["Point", "MultiPoint"])
        rejects.add(rows[bad_type], "geometry", pts[bad_type].geom_type, "not a point", code="row.not_point",
                    type=pts[bad_type].geom_type)
        ok &= ~bad_type
        lon = pd.Series(np.nan, index=frame.index)
        lat = pd.Series(np.nan, index=frame.index)
        lon[ok] = shapely.get_x(pts[ok].to_numpy())
        lat[ok] = shapely.get_y(pts[ok].to_numpy())
        if source.is_geographic:
            lon_w, lat_w = to_wgs84(lon.to_numpy(), lat.to_numpy(), "wgs84" if is_epsg else coords)
            xs, ys = _project(lon_w, lat_w, CRS.from_epsg(4326), crs)
        else:
            xs, ys = _project(lon.to_numpy(), lat.to_numpy(), source, crs)
    else:
        if is_epsg or (src_crs is not None and not src_crs.is_geographic):
            xcol, ycol = ("x", "y") if {"x", "y"} <= mapping_targets else ("lon", "lat")
        else:
            xcol, ycol = ("lon", "lat") if {"lon", "lat"} <= mapping_targets else ("x", "y")
        if not {xcol, ycol} <= set(frame.columns):
            raise InputError(
                "no coordinate columns found: name them 经度/纬度, lon/lat or X/Y, or map them with "
                "--map 你的列=lon --map 你的列=lat",
                code="import.no_coordinates",
            )
        xv, yv = _to_float(frame[xcol]), _to_float(frame[ycol])
        blank = frame[xcol].isna() | frame[ycol].isna()
        rejects.add(rows[blank], f"{xcol}/{ycol}", "", "coordinate missing; fill it in or drop the row",
                    code="row.coordinate_missing")
        nonnum = ~blank & (xv.isna() | yv.isna())
        rejects.add(rows[nonnum], f"{xcol}/{ycol}", frame[xcol][nonnum].astype("string") + ", " + frame[ycol][nonnum].astype("string"),
                    "coordinate is not a number", code="row.coordinate_not_number")
        ok &= ~blank & ~nonnum
        if is_epsg:
            source = CRS.from_user_input(coords)
            xs, ys = _project(xv.to_numpy(), yv.to_numpy(), source, crs)
        else:
            lon, lat = xv.to_numpy(), yv.to_numpy()
            bad_range = ok & ((np.abs(lon) > 180) | (np.abs(lat) > 90))
            swapped_range = bad_range & (np.abs(lat) <= 180) & (np.abs(lon) <= 90)
            rejects.add(rows[swapped_range], f"{xcol}/{ycol}", xv[swapped_range].astype("string") + ", " + yv[swapped_range].astype("string"),
                        "longitude and latitude look swapped; swap the two values (or the column mapping)",
                        code="row.swapped")
            other = bad_range & ~swapped_range
            rejects.add(rows[other], f"{xcol}/{ycol}", xv[other].astype("string") + ", " + yv[other].astype("string"),
                        "not a longitude/latitude in degrees; if these are metres, give the file's coordinates as EPSG:NNNN",
                        code="row.not_degrees")
            ok &= ~bad_range
            lon_w, lat_w = to_wgs84(np.where(ok, lon, np.nan), np.where(ok, lat, np.nan), coords)
            xs, ys = _project(lon_w, lat_w, CRS.from_epsg(4326), crs)
            if boundary is not None:
                # swapped pairs that both fall inside [-90, 90] are caught by the boundary test below
                sx, sy = _project(*to_wgs84(np.where(ok, lat, np.nan), np.where(ok, lon, np.nan), coords),
                                  CRS.from_epsg(4326), crs)
                inside_swapped = shapely.contains_xy(boundary, sx, sy)
                inside = shapely.contains_xy(boundary, xs, ys)
                sw = ok & inside_swapped & ~inside
                rejects.add(rows[sw], f"{xcol}/{ycol}", xv[sw].astype("string") + ", " + yv[sw].astype("string"),
                            "longitude and latitude look swapped; swap the two values (or the column mapping)",
                            code="row.swapped")
                ok &= ~sw
    if boundary is not None:
        near = boundary.buffer(tolerance_m) if tolerance_m > 0 else boundary
        shapely.prepare(near)
        inside = shapely.contains_xy(near, xs, ys)
        out = ok & ~inside
        if out.any():
            dist = shapely.distance(boundary, shapely.points(xs[out.to_numpy()], ys[out.to_numpy()]))
            reasons = pd.Series([f"outside the workspace boundary by {d:,.0f} m (tolerance {tolerance_m:g} m); "
                                 f"check the coordinate system (--coords) or drop the row" for d in dist],
                                index=frame.index[out])
            rejects.add(rows[out], "geometry", "", reasons, code="row.outside_boundary",
                        distance=[f"{d:,.0f}" for d in dist], tolerance=f"{tolerance_m:g}")
        ok &= inside
    geoms = shapely.points(np.where(ok, xs, np.nan), np.where(ok, ys, np.nan))
    return geoms, ok


def _project(x: np.ndarray, y: np.ndarray, src: CRS, dst: CRS) -> tuple[np.ndarray, np.ndarray]:
    from pyproj import Transformer

    tr = Transformer.from_crs(src, dst, always_xy=True)
    return tr.transform(np.asarray(x, dtype=float), np.asarray(y, dtype=float))


def prepare_rows(
    frame: pd.DataFrame,
    layer: str,
    *,
    column_map: Mapping[str, str],
    coords: str,
    crs: CRS,
    timezone: str,
    boundary: shapely.Geometry | None = None,
    tolerance_m: float = 200.0,
    category_map: Mapping[str, str] | None = None,
    existing_ids: set[str] | None = None,
    id_prefix: str = "",
    keep_duplicates: bool = False,
    categories: Mapping[str, tuple[str, str, str]] | None = None,
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Check every row and build the layer's rows in the working CRS (incidents' categories among
    ``categories``, the workspace's table; default the built-in ones).

    Returns the accepted rows (schema columns plus any extra source columns) and the rejected rows
    (``row, column, value, reason``; one line per fault, so one row may appear more than once).
    """
    if layer not in IMPORTABLE_LAYERS:
        raise InputError(f"layer '{layer}' cannot be imported; choose one of {', '.join(IMPORTABLE_LAYERS)}",
                         code="param.layer", layer=layer, layers=", ".join(IMPORTABLE_LAYERS))
    rejects = _Rejects()
    src = frame.rename(columns=dict(column_map))
    src = src.loc[:, ~src.columns.duplicated()]
    rows = src["__row__"]
    targets = set(column_map.values())
    out = pd.DataFrame(index=src.index)
    ok = pd.Series(True, index=src.index)
    spec = LAYERS[layer]

    if spec.geometry == "Point":
        geoms, gok = _points(src, targets, coords, getattr(frame, "crs", None), crs, rejects, boundary, tolerance_m)
        ok &= gok
    else:
        geoms, gok = _polygons(src, coords, crs, rejects, boundary, tolerance_m, layer=layer)
        ok &= gok

    if layer == "incidents":
        if "occurred_at" in src.columns:
            times = parse_times(src["occurred_at"], timezone)
            blank = src["occurred_at"].isna()
            rejects.add(rows[blank], "occurred_at", "", "time missing; fill it in (e.g. 2025-03-01 20:15)",
                        code="row.time_missing")
            bad = ~blank & times.isna()
            rejects.add(rows[bad], "occurred_at", src["occurred_at"][bad],
                        "time not understood; use 2025-03-01 20:15, 2025年3月1日 20:15 or ISO 8601",
                        code="row.time_bad")
        elif {"year", "month", "day"} <= set(src.columns):
            parts = {p: pd.to_numeric(src[p], errors="coerce") if p in src.columns else 0 for p in _PARTS}
            stamp = pd.to_datetime(
                pd.DataFrame({k: parts[k] for k in _PARTS}).astype("Float64").astype(float).rename(columns=str),
                errors="coerce",
            )
            times = _localize(stamp, timezone)
            bad = times.isna()
            rejects.add(rows[bad], "year/month/day", "", "date parts missing or invalid", code="row.date_parts")
        else:
            raise InputError(
                "no time column found: name it 发案时间/occurred_at (or give YEAR, MONTH, DAY[, HOUR, MINUTE]) "
                "or map it with --map 你的列=occurred_at",
                code="import.no_time",
            )
        ok &= times.notna()
        out["occurred_at"] = times
        if "category" not in src.columns:
            raise InputError("no category column found: name it 案件类别/category or map it with --map 你的列=category",
                             code="import.no_category")
        cats = map_categories(src["category"], category_map, categories)
        unknown = cats.isna()
        known = ", ".join(CATEGORIES if categories is None else categories)
        rejects.add(rows[unknown], "category", src["category"][unknown],
                    "unknown category; map it to a category code, e.g. 原类别=code (codes: " + known + "), or add "
                    "a category of your own first (patrolnet categories add)",
                    code="row.unknown_category", codes=known)
        ok &= ~unknown
        out["category"] = cats
        if "place_kind" in src.columns:
            pk = src["place_kind"].astype("string").str.strip().str.lower()
            mapped = pk.map(lambda v: next((k for p, k in _PLACE_PATTERNS if isinstance(v, str) and p in v), pd.NA))
            out["place_kind"] = mapped.astype("string")
        else:
            out["place_kind"] = pd.Series(pd.NA, index=src.index, dtype="string")
        ids = src["incident_id"].astype("string").str.strip() if "incident_id" in src.columns else None
        out["incident_id"] = ids if ids is not None else (id_prefix + rows.astype(str))
        for col in ("address",):
            if col in src.columns:
                out[col] = src[col].astype("string")
    elif layer == "cameras":
        out["camera_id"] = (src["camera_id"].astype("string").str.strip() if "camera_id" in src.columns
                            else id_prefix + rows.astype(str))
        kind = src["kind"].astype("string").str.strip().str.lower() if "kind" in src.columns else pd.Series("bullet", index=src.index, dtype="string")
        kind = kind.replace({"球机": "dome", "枪机": "bullet", "天网": "skynet_pole", "卡口": "speed", "测速": "speed",
                             "半球": "dome", "fixed": "bullet", "panning": "dome", "alpr": "speed"}).fillna("bullet")
        unknown = ~kind.isin(CAMERA_KINDS)
        rejects.add(rows[unknown], "kind", kind[unknown], f"unknown camera kind; use one of {', '.join(CAMERA_KINDS)}",
                    code="row.unknown_camera_kind", kinds=", ".join(CAMERA_KINDS))
        ok &= ~unknown
        out["kind"] = kind
        for col in ("fov_deg", "range_m"):
            out[col] = _to_float(src[col]) if col in src.columns else np.nan
        out["bearing_deg"] = _bearings(src["bearing_deg"]) if "bearing_deg" in src.columns else np.nan
        out["owner"] = src["owner"].astype("string").fillna("public_security") if "owner" in src.columns else "public_security"
        out["neighborhood_id"] = src["neighborhood_id"].astype("string") if "neighborhood_id" in src.columns else pd.NA
    elif layer == "units":
        out["unit_id"] = src["unit_id"].astype("string") if "unit_id" in src.columns else id_prefix + rows.astype(str)
        kind = src["kind"].astype("string").str.strip() if "kind" in src.columns else pd.Series(pd.NA, index=src.index, dtype="string")
        kind = kind.replace({"特巡警": "brigade_vehicle", "巡逻车": "brigade_vehicle", "派出所巡逻队": "station_team",
                             "网格巡逻队": "grid_team", "1+2+N": "grid_team", "志愿者巡逻队": "volunteer_team",
                             "天网巡防队员": "skynet_guard"})
        unknown = ~kind.isin(UNIT_KINDS)
        rejects.add(rows[unknown], "kind", kind[unknown], f"unknown unit kind; use one of {', '.join(UNIT_KINDS)}",
                    code="row.unknown_unit_kind", kinds=", ".join(UNIT_KINDS))
        ok &= ~unknown.fillna(True)
        out["kind"] = kind
        out["name"] = src["name"].astype("string") if "name" in src.columns else out["unit_id"]
        for col in ("officers", "auxiliaries", "volunteers"):
            vals = pd.to_numeric(src[col], errors="coerce") if col in src.columns else pd.Series(0, index=src.index)
            bad = vals.isna() | (vals < 0)
            rejects.add(rows[bad], col, src[col][bad] if col in src.columns else "", "not a whole number >= 0",
                        code="row.not_count")
            ok &= ~bad
            out[col] = vals.fillna(0).astype("int64")
        out["mode"] = src["mode"].astype("string").fillna("foot") if "mode" in src.columns else "foot"
        for col in ("station_id", "community_id"):
            out[col] = src[col].astype("string") if col in src.columns else pd.NA
    elif layer == "tracks":
        unit = src["unit_id"].astype("string").str.strip() if "unit_id" in src.columns else None
        if unit is None:
            raise InputError("no unit column found: name it 巡逻单位编号/unit_id, or give the whole file one unit "
                             "(--unit U0001)", code="import.no_unit")
        blank = unit.isna() | (unit == "")
        rejects.add(rows[blank], "unit_id", "", "unit missing; fill it in", code="row.unit_missing")
        ok &= ~blank
        if "recorded_at" not in src.columns:
            raise InputError("no time column found: name it 定位时间/time or map it with --map 你的列=recorded_at",
                             code="import.no_time")
        times = parse_times(src["recorded_at"], timezone)
        bad = times.isna()
        rejects.add(rows[bad], "recorded_at", src["recorded_at"][bad].astype("string").fillna(""),
                    "time not understood; use 2025-03-01 20:15:10 or ISO 8601", code="row.time_bad")
        ok &= ~bad
        out["unit_id"] = unit
        out["recorded_at"] = times
        out["ping_id"] = unit + "@" + times.dt.strftime("%Y-%m-%dT%H:%M:%S%z").astype("string")
    else:  # polygon layers: stations, communities, neighborhoods
        id_col = {"stations": "station_id", "communities": "community_id", "neighborhoods": "neighborhood_id"}[layer]
        out[id_col] = src[id_col].astype("string") if id_col in src.columns else id_prefix + rows.astype(str)
        if "name" not in src.columns:
            raise InputError("no name column found: name it 名称/name or map it with --map 你的列=name",
                             code="import.no_name")
        out["name"] = src["name"].astype("string").str.strip()
        blank = out["name"].isna() | (out["name"] == "")
        rejects.add(rows[blank], "name", "", "name missing", code="row.name_missing")
        ok &= ~blank
        for col in ("name_en", "station_id", "community_id", "office_name", "model_kind"):
            if col in src.columns and col != id_col:
                out[col] = src[col].astype("string")
        if layer == "neighborhoods":
            kind = src["kind"].astype("string").str.strip() if "kind" in src.columns else pd.Series("enclosed", index=src.index, dtype="string")
            kind = kind.replace({"单位小区": "unit_compound", "封闭式": "enclosed", "封闭": "enclosed",
                                 "开放式": "open", "开放": "open"}).fillna("enclosed")
            unknown = ~kind.isin(NEIGHBORHOOD_KINDS)
            rejects.add(rows[unknown], "kind", kind[unknown], f"unknown neighborhood kind; use one of {', '.join(NEIGHBORHOOD_KINDS)}",
                        code="row.unknown_neighborhood_kind", kinds=", ".join(NEIGHBORHOOD_KINDS))
            ok &= ~unknown
            out["kind"] = kind
            hh = pd.to_numeric(src["households"], errors="coerce") if "households" in src.columns else pd.Series(0, index=src.index)
            out["households"] = hh.fillna(0).astype("int64")
        if layer == "communities":
            res = pd.to_numeric(src["residents"], errors="coerce") if "residents" in src.columns else pd.Series(0, index=src.index)
            out["residents"] = res.fillna(0).astype("int64")
        for col in ("station_name", "community_name"):
            if col in src.columns:
                out[col] = src[col].astype("string")

    # duplicates: the same id twice in the file, or an id already in the workspace
    id_col = {"incidents": "incident_id", "cameras": "camera_id", "units": "unit_id", "stations": "station_id",
              "communities": "community_id", "neighborhoods": "neighborhood_id", "tracks": "ping_id"}[layer]
    ids = out[id_col].astype("string")
    first_row = rows.groupby(ids.to_numpy()).transform("first")
    dup = ids.duplicated(keep="first") & ids.notna()
    reason = "duplicate of row " + first_row.astype(str) + "; the first is kept"
    reason_code = "row.duplicate_id"
    if id_col not in src.columns:
        # no id column: a row identical in every column to an earlier one is a duplicate
        content = src.drop(columns=["__row__"]).astype("string").fillna("\x00")
        key = pd.util.hash_pandas_object(content, index=False)
        dup = key.duplicated(keep="first")
        first_row = rows.groupby(key.to_numpy()).transform("first")
        reason = ("identical in every column to row " + first_row.astype(str)
                  + "; the first is kept (pass --keep-duplicates if both are real)")
        reason_code = "row.duplicate_row"
        dup &= not keep_duplicates
    rejects.add(rows[dup], id_col, ids[dup], reason[dup], code=reason_code, first=first_row[dup])
    ok &= ~dup
    if existing_ids:
        again = ids.isin(list(existing_ids)) & ok
        rejects.add(rows[again], id_col, ids[again], "already in the workspace; replace the layer to load it again",
                    code="row.already_in_workspace")
        ok &= ~again

    extra_cols = [c for c in src.columns if c not in out.columns and c != "__row__" and c != getattr(src, "_geometry_column_name", None)
                  and not isinstance(src[c].dtype, gpd.array.GeometryDtype) and c not in targets | set(_PARTS) | {"lon", "lat", "x", "y"}]
    result = gpd.GeoDataFrame(out, geometry=gpd.GeoSeries(geoms, index=src.index, crs=crs), crs=crs)
    result["source_row"] = rows.astype("int64")
    for c in extra_cols[:20]:
        result[f"src_{c}"[:60]] = src[c].astype("string")
    accepted = result[ok.to_numpy()].reset_index(drop=True)
    return accepted, rejects.frame()


def _polygons(frame: pd.DataFrame, coords: str, crs: CRS, rejects: _Rejects, boundary: shapely.Geometry | None = None,
              tolerance_m: float = 200.0, layer: str = "polygons") -> tuple[np.ndarray, pd.Series]:
    rows = frame["__row__"]
    if not isinstance(frame, gpd.GeoDataFrame):
        raise InputError("polygon layers need a geodata file (GeoJSON, GeoPackage or Shapefile) with polygons",
                         code="import.need_polygons")
    geoms = frame.geometry
    ok = pd.Series(True, index=frame.index)
    empty = geoms.isna() | geoms.is_empty
    rejects.add(rows[empty], "geometry", "", "no geometry", code="row.no_geometry")
    ok &= ~empty
    bad_type = ok & ~geoms.geom_type.isin(["Polygon", "MultiPolygon"])
    rejects.add(rows[bad_type], "geometry", geoms.geom_type[bad_type], "not a polygon", code="row.not_polygon",
                type=geoms.geom_type[bad_type])
    ok &= ~bad_type
    gs = gpd.GeoSeries(geoms.where(ok, None), crs=frame.crs or "EPSG:4326")
    if gs.crs is not None and gs.crs.is_geographic and ok.any():
        b = gs[ok].bounds
        not_deg = (b["minx"] < -180) | (b["maxx"] > 180) | (b["miny"] < -90) | (b["maxy"] > 90)
        if not_deg.any():
            bad = not_deg.reindex(ok.index, fill_value=False)
            rejects.add(rows[bad], "geometry", "", f"coordinates are not degrees although the file says "
                        f"{gs.crs.to_string()} (metres of a projected system?); set the file's CRS, or reproject it",
                        code="row.polygon_not_degrees", crs=gs.crs.to_string())
            ok &= ~bad
            gs = gs.where(ok, None)
    if coord_system(coords) in SHIFTED_SYSTEMS and ok.any():
        gs = gs.map(lambda g: _transform_geom(g, coords) if g is not None else None)
        gs = gpd.GeoSeries(gs, crs="EPSG:4326")
    with np.errstate(all="ignore"):
        gs = gs.to_crs(crs)
    if ok.any():
        # self-intersections, spikes and slivers repaired; non-finite or wrong-CRS coordinates and
        # polygons outside the district refused, each with its reason (geo.repair.repair_geometries)
        cand = gpd.GeoDataFrame({"__row__": rows[ok]}, geometry=gs[ok], crs=crs)
        fixed, problems = repair_geometries(cand, layer=layer, expected="Polygon", crs=crs, boundary=boundary,
                                            tolerance_m=tolerance_m, keyed=True)
        refused = problems[problems["action"] == "refused"]
        if len(refused):
            rejects.add_keyed(refused["row"].astype(rows.dtype), "geometry", "", refused)
        gone = ok & ~frame.index.isin(fixed.index)
        ok &= ~gone
        gs = gs.where(ok, None)
        gs[fixed.index] = fixed.geometry
    return gs.to_numpy(), ok


def _transform_geom(geom: shapely.Geometry, coords: str) -> shapely.Geometry:
    def fn(xy: np.ndarray) -> np.ndarray:
        lon, lat = to_wgs84(xy[:, 0], xy[:, 1], coords)
        return np.column_stack([lon, lat])

    return shapely.transform(geom, fn)

