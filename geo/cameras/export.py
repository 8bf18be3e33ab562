"""Write gap lists and siting plans as CSV (Excel-safe), XLSX or GeoJSON, with English or Chinese headers.

* CSV: UTF-8 with a byte-order mark so Excel opens Chinese text correctly; text cells starting with
  ``=``, ``+``, ``-``, ``@``, tab or carriage return are prefixed with ``'`` so a spreadsheet never runs
  them as formulas (CSV injection). Numbers are written as numbers.
* XLSX (openpyxl, write-only): bold frozen header row, column widths from the content (CJK characters
  count double), text cells typed as text so no cell becomes a formula.
* GeoJSON: WGS84 (RFC 7946), properties renamed like the other formats.

``lang="zh-CN"`` translates headers (:data:`HEADERS`) and the ``kind`` / ``suggest_kind`` /
``source`` values (:data:`VALUES`).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geo.atomic import atomic_write_text
from geo.errors import InputError
from geo.writers import csv_safe, write_safe_csv, write_safe_xlsx

__all__ = ["HEADERS", "VALUES", "translate", "write_table", "csv_safe"]

#: Column -> (English header, Chinese header).
HEADERS: dict[str, tuple[str, str]] = {
    "gap_id": ("gap_id", "缺口编号"),
    "rank": ("rank", "排序"),
    "district_rank": ("district rank", "全区排序"),
    "kind": ("kind", "类型"),
    "station_id": ("station_id", "派出所编号"),
    "station_name": ("station", "派出所"),
    "neighborhood_name": ("neighborhood", "小区"),
    "community_id": ("community_id", "社区编号"),
    "neighborhood_id": ("neighborhood_id", "小区编号"),
    "road_name": ("road_name", "道路名称"),
    "risk_score": ("risk_score", "风险值"),
    "incidents_12m": ("incidents_12m", "近12个月警情数"),
    "weight": ("weight", "权重"),
    "length_m": ("length_m", "长度(米)"),
    "seen_share": ("seen_share", "已覆盖比例"),
    "nearest_camera_m": ("nearest_camera_m", "最近探头距离(米)"),
    "x": ("x", "X坐标(米)"),
    "y": ("y", "Y坐标(米)"),
    "lon": ("lon", "经度(WGS84)"),
    "lat": ("lat", "纬度(WGS84)"),
    "suggest_x": ("suggest_x", "建议点位X(米)"),
    "suggest_y": ("suggest_y", "建议点位Y(米)"),
    "suggest_lon": ("suggest_lon", "建议点位经度(WGS84)"),
    "suggest_lat": ("suggest_lat", "建议点位纬度(WGS84)"),
    "suggest_bearing_deg": ("suggest_bearing_deg", "建议朝向(度,正北顺时针)"),
    "suggest_kind": ("suggest_kind", "建议探头类型"),
    "edge_id": ("edge_id", "路段编号"),
    "feature_id": ("feature_id", "要素编号"),
    # siting plans
    "site_id": ("site_id", "新增点位编号"),
    "order": ("order", "建设顺序"),
    "candidate_id": ("candidate_id", "候选点编号"),
    "source": ("source", "候选点来源"),
    "bearing_deg": ("bearing_deg", "朝向(度,正北顺时针)"),
    "suggest_fov_deg": ("suggest_fov_deg", "建议视角(度)"),
    "marginal_gain": ("marginal_gain", "新增覆盖权重"),
    "cumulative_gain": ("cumulative_gain", "累计覆盖权重"),
    "cumulative_share": ("cumulative_share", "累计覆盖比例"),
    "gaps_covered": ("gaps_covered", "新覆盖缺口数"),
}
#: Value translations for Chinese output, per column.
VALUES: dict[str, dict[str, str]] = {
    "kind": {"road_segment": "路段", "entrance": "小区出入口", "hotspot_cell": "热点网格"},
    "suggest_kind": {"bullet": "枪机", "dome": "球机", "skynet_pole": "天网立杆", "speed": "测速"},
    "source": {"road": "道路沿线", "entrance": "小区出入口", "pole": "现有立杆"},
}


def translate(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """A copy with headers (and known values) in ``lang`` (``"en"`` or ``"zh-CN"``)."""
    if lang not in ("en", "zh-CN"):
        raise InputError(f"lang={lang!r}: use 'en' or 'zh-CN'", code="param.lang", value=str(lang))
    out = frame.copy()
    if lang == "en":
        return out
    for col, table in VALUES.items():
        if col in out.columns:
            out[col] = out[col].map(lambda v, t=table: t.get(v, v) if isinstance(v, str) else v)
    geom = out.geometry.name if isinstance(out, gpd.GeoDataFrame) else None
    return out.rename(columns={c: HEADERS[c][1] for c in out.columns if c in HEADERS and c != geom})


def write_table(
    frame: pd.DataFrame,
    path: str | os.PathLike[str],
    *,
    lang: str = "en",
    sheet: str = "gaps",
    rows_done: Callable[[float], None] | None = None,
) -> Path:
    """Write a gap list or siting plan by the file's suffix: ``.csv``, ``.xlsx`` or ``.geojson``.

    Parameters
    ----------
    frame
        A (Geo)DataFrame; for GeoJSON it must have a geometry and a CRS.
    path
        Target file; its suffix picks the format.
    lang
        ``"en"`` or ``"zh-CN"`` headers and values.
    sheet
        XLSX sheet name.
    rows_done
        Called with the share of rows written as an XLSX fills (:func:`geo.writers.write_safe_xlsx`).

    Returns
    -------
    Path
        The file written (written to a temporary name beside it, then moved over it:
        :mod:`geo.atomic`).

    Raises
    ------
    InputError
        Unknown suffix or language; GeoJSON asked for a frame without geometry or CRS.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx", ".geojson", ".json"):
        raise InputError(f"cannot write '{path.name}': use a .csv, .xlsx or .geojson file name",
                         code="cameras.out_file", name=path.name)
    out = translate(frame, lang)
    if suffix in (".geojson", ".json"):
        if not isinstance(out, gpd.GeoDataFrame) or out.crs is None:
            raise InputError("GeoJSON needs a GeoDataFrame with a CRS")
        gj = out.to_crs("EPSG:4326")
        atomic_write_text(path, gj.to_json(na="null", drop_id=True, ensure_ascii=False))
        return path
    table = pd.DataFrame(out.drop(columns=out.geometry.name) if isinstance(out, gpd.GeoDataFrame) else out)
    if suffix == ".csv":
        return write_safe_csv(table, path)
    return write_safe_xlsx([(sheet, table)], path, rows_done=rows_done)
