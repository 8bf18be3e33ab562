"""Where to watch in one shift ("今晚看哪里"): the workspace's stored forecast ranked for a shift
window, its places named, with the forecast's honesty line; as a table, a CSV or a workbook.

One use case for both shells: ``patrolnet watchlist`` and ``GET /api/v1/forecast/watchlist`` (the
hotspot page) call :func:`watch_list_job` and present what it returns.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from app.i18n import MESSAGES, normalize_lang, t
from app.services.forecast import CELL_KINDS
from app.services.params import parse_shift, shift_day
from app.storage.history import read_period
from app.storage.workspace import Workspace
from geo.assign import tag_areas
from geo.errors import InputError
from geo.forecast import BASELINES
from geo.forecast.watch import place_labels, watch_list
from geo.writers import write_safe_csv, write_safe_xlsx
from routing.patrol import shift_window

__all__ = ["WATCH_COLUMNS", "honesty", "watch_list_job", "write_watch_list"]

#: The columns of the list, in order (headers: ``watch.col.<name>``).
WATCH_COLUMNS = ("rank", "place", "station", "expected_window", "window_share", "expected", "same_hours_12m",
                 "place_id", "lon", "lat")
#: Places listed by default.
TOP = 20


def _pct(x: float) -> str:
    return f"{x:+.1%}"


def honesty(meta: dict[str, Any], lang: str = "zh-CN") -> dict[str, Any]:
    """How the stored forecast did beside counting on the workspace's own recent weeks: a ``kind``
    (better, tie, worse, counting, short_history, unchecked), the figures and the sentence in ``lang``.
    ``vs_all_history``: its hits at 5 % of the area against all-history counts' (relative)."""
    code = str(meta.get("method") or "")
    method = t(f"forecast.method.{code}", lang) if f"forecast.method.{code}" in MESSAGES else code
    choice = meta.get("choice") or {}
    if not choice:
        return {"kind": "unchecked", "method": code, "text": t("watch.honest.unchecked", lang, method=method)}
    if choice.get("verdict") == "short_history":
        return {"kind": "short_history", "method": code,
                "text": t("watch.honest.short_history", lang, method=method, weeks=choice.get("weeks"),
                          as_of=choice.get("as_of"), first=choice.get("first"))}
    table = choice.get("table") or {}
    hit, everything = table.get(code), table.get("naive_all")
    vs_all = (hit / everything - 1.0) if hit is not None and everything else None
    first, last = choice["weeks"]
    n = round(((dt.date.fromisoformat(last) - dt.date.fromisoformat(first)).days + 1) / 7)
    counting = code in BASELINES
    kind = "counting" if counting else choice["verdict"]
    base = choice["best_baseline"]
    fmt = {"method": method, "n": n, "first": first, "last": last,
           "base": t(f"forecast.method.{base}", lang) if f"forecast.method.{base}" in MESSAGES else base,
           "vs_all": _pct(vs_all) if vs_all is not None else "-", "diff": _pct(choice["vs_best_baseline"]),
           "low": _pct(choice["ci"][0]), "high": _pct(choice["ci"][1])}
    return {"kind": kind, "method": code, "method_label": method, "weeks": n, "first": first, "last": last,
            "hit_rate": choice.get("hit_rate"), "vs_all_history": round(vs_all, 4) if vs_all is not None else None,
            "best_baseline": choice["best_baseline"], "vs_best_baseline": choice["vs_best_baseline"],
            "ci": choice["ci"], "text": t(f"watch.honest.{kind}", lang, **fmt)}


def _stations_of(fc: gpd.GeoDataFrame, key: str, stations: gpd.GeoDataFrame | None) -> pd.Series | None:
    """The station of each place: its own ``station_id`` (sub-zones), else the station area holding
    its representative point (grid cells, street segments); None without either."""
    if "station_id" in fc.columns:
        return fc.set_index(key)["station_id"]
    if stations is None or not len(stations) or "station_id" not in stations.columns:
        return None
    at = tag_areas(fc.geometry.representative_point(), {"station_id": (stations, "station_id")})
    return pd.Series(at["station_id"].to_numpy(), index=fc[key].to_numpy())


def watch_list_job(ws: Workspace, *, shift: str, day: dt.date | None = None, cells: str = "subzones",
                   top: int = TOP, lang: str = "zh-CN") -> dict[str, Any]:
    """The stored forecast ``forecast_<cells>`` ranked for ``shift`` on ``day`` (default: today in the
    workspace's time zone), its first ``top`` places named (:func:`geo.forecast.watch.place_labels`)
    with their station, the window, the forecast's date and method, its honesty line
    (:func:`honesty`) and ``stale`` when the forecast's horizon does not cover the day.

    Raises
    ------
    InputError
        An unknown ``cells`` (``param.cells``), no stored forecast of them (``forecast.none``), a bad
        shift (``param.shift``).
    """
    lang = normalize_lang(lang)
    if cells not in CELL_KINDS:
        raise InputError(f"--cells {cells!r}: use grid, subzones or segments", code="param.cells", value=cells)
    layer = f"forecast_{cells}"
    if not ws.has(layer) or ws.count(layer) == 0:
        raise InputError(f"there is no forecast by {cells} yet: make one first (patrolnet forecast --cells {cells})",
                         code="forecast.none", cells=cells)
    shift = parse_shift(shift)
    meta = ws.meta_json(layer, {}) or {}
    fc = ws.read(layer)
    key = next(c for c in ("subzone_id", "segment_id", "cell_id") if c in fc.columns)
    as_of = dt.date.fromisoformat(str(meta.get("as_of") or fc["as_of"].iloc[0]))
    horizon = int(meta.get("horizon_days") or fc["horizon_days"].iloc[0])
    day = shift_day(ws, day)
    start, end = shift_window(shift, date=day, tz=ws.timezone)
    tz = ws.timezone
    begin = pd.Timestamp(as_of + dt.timedelta(days=1)).tz_localize(tz)
    year_before = (begin.tz_localize(None) - pd.Timedelta(days=364)).tz_localize(tz)
    have = set(ws.read("incidents", max_features=1).columns) if ws.has("incidents") else set()
    inc = read_period(ws, "incidents", start=year_before, end=begin,
                      columns=[c for c in ("occurred_at", "category", "edge_id", "station_id") if c in have])
    stations = ws.read("stations") if ws.has("stations") else None
    groups = _stations_of(fc, key, stations)
    ranked = watch_list(fc[[key, "expected"]], cells=fc, incidents=inc, start=start, end=end, horizon_days=horizon,
                        groups=groups, categories=meta.get("categories") or None)
    head = ranked.head(int(top)).copy()
    shown = fc[fc[key].isin(head[key])]
    names = place_labels(shown, key=key, lang=lang,
                         neighborhoods=ws.read("neighborhoods") if ws.has("neighborhoods") else None,
                         roads=ws.read("road_edges") if ws.has("road_edges") and cells != "segments" else None)
    head["place"] = head[key].map(names)
    if groups is not None and stations is not None and "name" in stations.columns:
        col = "name_en" if lang == "en" and "name_en" in stations.columns else "name"
        head["station"] = head[key].map(groups).map(stations.set_index("station_id")[col])
    else:
        head["station"] = head[key].map(groups) if groups is not None else ""
    point = gpd.GeoSeries(shown.set_index(key).geometry, crs=fc.crs).representative_point().to_crs("EPSG:4326")
    head["lon"], head["lat"] = head[key].map(point.x).round(6), head[key].map(point.y).round(6)
    head["place_id"] = head[key].astype(str)
    head["expected_window"] = head["expected_window"].round(3)
    head["window_share"] = head["window_share"].round(4)
    head["expected"] = head["expected"].astype(float).round(3)
    stale = not (as_of < day <= as_of + dt.timedelta(days=horizon))
    shift_text = f"{start:%H:%M}-{'24:00' if end.time() == dt.time(0) and end.date() > start.date() else f'{end:%H:%M}'}"
    return {"lang": lang, "cells": cells, "layer": layer, "day": str(day), "shift": shift_text, "as_of": str(as_of),
            "horizon_days": horizon, "method": meta.get("method"), "stale": stale,
            "stale_text": t("watch.stale", lang, as_of=str(as_of), h=horizon, day=str(day)) if stale else None,
            "title": t("watch.title", lang, day=str(day), shift=shift_text, n=len(head)),
            "method_note": t("watch.method_note", lang, h=horizon),
            "honesty": honesty(meta, lang), "places": int(len(ranked)),
            "rows": head[list(WATCH_COLUMNS)].to_dict("records")}


def write_watch_list(result: dict[str, Any], out: str | Path) -> Path:
    """The list of :func:`watch_list_job` as ``.csv`` (UTF-8 with BOM, for Excel) or ``.xlsx`` (the
    list and an "about" sheet: the window, the forecast, its honesty line), in the list's language."""
    lang = result["lang"]
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise InputError(f"--out {out.name}: write the list as a .csv or .xlsx file", code="param.out_list",
                         value=out.name)
    table = pd.DataFrame(result["rows"], columns=list(WATCH_COLUMNS))
    table.columns = [t(f"watch.col.{c}", lang) for c in WATCH_COLUMNS]
    out.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".csv":
        return write_safe_csv(table, out)
    about = [result["title"], result["honesty"]["text"], result["method_note"]]
    if result.get("stale_text"):
        about.insert(1, result["stale_text"])
    stamp = dt.datetime.fromisoformat(result["day"])
    return write_safe_xlsx([(t("watch.sheet.places", lang), table),
                            (t("watch.sheet.about", lang), pd.DataFrame({t("watch.sheet.about", lang): about}))],
                           out, stamp=stamp)
