"""Forecasts (``patrolnet forecast``): next-period risk per sub-zone, street segment or grid cell, a
ranked list and the workspace layer ``forecast_<cells>``; the rolling-origin backtest of every method
(``patrolnet backtest``); and the street risk the camera lists rank by."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from app.services.categories import expand_categories
from app.services.params import last_data_day
from app.storage.history import read_period, time_span
from app.storage.workspace import Workspace
from geo.errors import InputError
from geo.jsonsafe import json_rows
from geo.writers import write_safe_csv

__all__ = ["AUTO", "CANDIDATES", "CELL_KINDS", "choose_method", "backtest_job", "backtest_origin", "check_weeks", "forecast_edge_risk", "forecast_history", "forecast_job",
           "forecast_summary", "TOP_PLACES",
           "forecast_places", "parse_tune_weeks"]

#: The places a forecast ranks.
CELL_KINDS = ("grid", "subzones", "segments")


def forecast_places(ws: Workspace, kind: str, cell_m: float) -> gpd.GeoDataFrame:
    """The places of a forecast: the workspace's sub-zones, its street segments, or square cells of
    ``cell_m`` (aligned with the demo's true intensity grid on the demo).

    Raises
    ------
    InputError
        An unknown kind (code ``param.cells``), or sub-zones asked for before ``patrolnet grid``.
    """
    from geo.forecast import grid_cells
    from geo.hotspots import street_segments

    if kind == "subzones":
        if not ws.has("subzones"):
            raise InputError("--cells subzones: the workspace has no sub-zones; run 'patrolnet grid' first",
                             code="data.no_subzones")
        return ws.read("subzones")
    if kind == "segments":
        return street_segments(ws.read("road_edges"))
    if kind == "grid":
        area = ws.read("stations") if ws.has("stations") else ws.read("incidents")
        origin = None
        truth = ws.meta_json("demo_truth", None)
        if isinstance(truth, dict) and {"grid_x0", "grid_y0"} <= set(truth):
            origin = (float(truth["grid_x0"]), float(truth["grid_y0"]))
        return grid_cells(area, cell_m=cell_m, hull=not ws.has("stations"), origin=origin)
    raise InputError(f"--cells {kind!r}: use grid, subzones or segments", code="param.cells", value=kind)


#: The incident columns a forecast uses (:func:`geo.forecast.forecast`), with the geometry.
_FORECAST_COLUMNS = ("occurred_at", "category", "edge_id")


def forecast_history(ws: Workspace, *, as_of: dt.date, method: str | None = None,
                     categories: Sequence[str] | None = None) -> tuple[gpd.GeoDataFrame, pd.Timestamp | None]:
    """The incidents a forecast from ``as_of`` by ``method`` weighs, and the time of the first
    incident of the whole history (of ``categories``) to give :func:`geo.forecast.forecast` as
    ``first_at``: the last :func:`geo.forecast.history_days` days before the forecast start (a
    year for the default method), read through the store's filter, so the memory does not grow
    with the years of history; the whole layer (and None) for a method that weighs all of it.

    Raises
    ------
    InputError
        No incidents (code ``data.no_incidents``).
    """
    from geo.forecast import DEFAULT_METHOD, history_days
    from geo.hotspots import select_incidents

    days = history_days(method or DEFAULT_METHOD)
    by = "category" if categories else None  # (without: the store's index answers)
    span = time_span(ws, "incidents", "occurred_at", by=by) if ws.has("incidents") else pd.DataFrame()
    if days is None or span.empty:
        return _incidents(ws, "forecast from"), None
    chosen = select_incidents(span, categories=expand_categories(ws, categories)) if categories else span
    first_at = chosen["first"].min() if len(chosen) else None
    tz = ws.timezone
    begin = pd.Timestamp(as_of + dt.timedelta(days=1)).tz_localize(tz)  # the forecast starts the next day
    start = (begin.tz_localize(None) - pd.Timedelta(days=days)).tz_localize(tz)
    have = set(ws.read("incidents", max_features=1).columns)
    inc = read_period(ws, "incidents", start=start, end=begin, columns=[c for c in _FORECAST_COLUMNS if c in have])
    return inc, first_at


def _incidents(ws: Workspace, what: str) -> pd.DataFrame:
    inc = ws.read("incidents") if ws.has("incidents") else pd.DataFrame()
    if inc.empty:
        raise InputError(f"workspace '{ws.path}' has no incidents to {what}", code="data.no_incidents")
    return inc


def forecast_job(
    ws: Workspace,
    *,
    out: str | Path,
    as_of: dt.date | None = None,
    horizon_days: int = 7,
    method: str | None = None,
    cells: str = "subzones",
    cell_m: float = 150.0,
    categories: Sequence[str] | None = None,
) -> tuple[Workspace, pd.DataFrame, Path]:
    """Ranked next-period risk per place from ``as_of`` (default: the last day of data,
    :func:`app.services.params.last_data_day`), written to ``out`` (.csv, .gpkg or .geojson) and as
    the workspace layer ``forecast_<cells>``."""
    from geo.forecast import DEFAULT_METHOD, forecast

    if not ws.has("incidents") or time_span(ws, "incidents").empty:
        _incidents(ws, "forecast from")  # (says there are none)
    as_of = as_of or last_data_day(ws)
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in (".csv", ".gpkg", ".geojson", ".json"):
        raise InputError(f"--out {out}: use a .csv, .gpkg or .geojson file", code="param.out_table",
                         value=out.name)
    places = forecast_places(ws, cells, cell_m)
    choice = None
    if method in (None, AUTO):  # the method that did best on this workspace's own recent weeks
        try:
            choice = choose_method(ws, places=places, cells=cells, cell_m=cell_m, as_of=as_of, categories=categories)
        except InputError as e:
            if method == AUTO or e.code != "forecast.short_history":
                raise
            # (the default on a history too short to choose on: the fixed method, and the record says why)
            choice = {"method": DEFAULT_METHOD, "verdict": "short_history", **e.fmt}
        method = choice["method"]
    inc, first_at = forecast_history(ws, as_of=as_of, method=method, categories=categories)
    ranked = forecast(inc, cells=places, as_of=as_of, horizon_days=horizon_days, method=method or DEFAULT_METHOD,
                      categories=expand_categories(ws, categories), first_at=first_at)
    key = ranked.columns[0]
    geo = places.merge(ranked, on=key, how="right") if key in places.columns else places
    geo = gpd.GeoDataFrame(geo, geometry="geometry", crs=ws.crs).sort_values("rank")
    geo["as_of"] = str(as_of)
    geo["horizon_days"] = horizon_days
    out.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".csv":
        table = pd.DataFrame(geo.drop(columns="geometry"))
        cent = geo.geometry.representative_point().to_crs("EPSG:4326")
        table["lon"], table["lat"] = cent.x.round(6), cent.y.round(6)
        write_safe_csv(table, out)
    elif suffix == ".gpkg":
        geo.to_file(out, layer=f"forecast_{cells}", driver="GPKG")
    else:
        geo.to_crs("EPSG:4326").to_file(out, driver="GeoJSON")
    layer = f"forecast_{cells}"
    new_ws = ws.write({layer: geo}, meta={layer: {"as_of": str(as_of), "horizon_days": horizon_days,
                                                  "method": method or DEFAULT_METHOD,
                                                  "categories": list(categories or []),
                                                  **({"choice": choice} if choice else {})}},
                      sources={layer: "patrolnet forecast"})
    return new_ws, ranked, out


#: ``--method auto``: the method chosen by :func:`choose_method`.
AUTO = "auto"
#: The weeks :func:`choose_method` backtests on: the data's last year (26 weeks chose a method the
#: next 39 weeks did not confirm on the demo; 52 did not), or as many as the data have, from
#: :data:`MIN_CHOICE_WEEKS`.
CHOICE_WEEKS = 52
MIN_CHOICE_WEEKS = 13
#: The methods it chooses among: every counting baseline first (a tie goes to counting), then the models.
CANDIDATES = ("naive_recent", "naive_since_jan", "naive_long", "naive_all", "last_year", "decayed_long",
              "decayed", "retro_kde", "prospective", "shrinkage")


def _choice_weeks(first_data: pd.Timestamp, end: pd.Timestamp, weeks: int) -> tuple[pd.Timestamp, int]:
    """The weeks a choice backtests on, before ``end`` (the first day not used): ``(origin, n)``,
    the calendar whose week 1 is history only and weeks ``2..n+1`` the ``n`` whole weeks to ``end``
    (``weeks`` at most; fewer when the data, from ``first_data``, are shorter)."""
    n = min(int(weeks), int((end - first_data) / pd.Timedelta(weeks=1)) - 1)
    return end - pd.Timedelta(weeks=n + 1), n


def choose_method(ws: Workspace, *, places: gpd.GeoDataFrame, cells: str, cell_m: float, as_of: dt.date,
                  categories: Sequence[str] | None = None, weeks: int = CHOICE_WEEKS) -> dict[str, Any]:
    """The forecast method for this workspace, chosen on its own history: a rolling weekly backtest
    of :data:`CANDIDATES` over the ``weeks`` whole weeks to ``as_of`` (fewer when the data are
    shorter; each forecast from the data before its week only), and :func:`_best` of it: the best
    counting baseline unless a model beats it at 5 % of the area with its paired 95 % interval
    above zero. Returned with its figures beside the best counting baseline; kept with the forecast
    layer's meta and reused while the incidents, the day and the places are the same (``key``).
    The backtest takes about 10 s on the demo (1,979 sub-zones, 52 weeks).

    Raises
    ------
    InputError
        No incidents, or fewer than :data:`MIN_CHOICE_WEEKS` + 1 weeks of data before ``as_of``.
    """
    from geo.forecast import backtest

    span = time_span(ws, "incidents", "occurred_at")
    if span.empty:
        _incidents(ws, "forecast from")
    key = (f"{as_of}|{cells}|{cell_m:g}|{','.join(sorted(categories or []))}|{ws.count('incidents')}|"
           f"{span['first'].min().isoformat()}|{span['last'].max().isoformat()}|{weeks}")
    before = ws.meta_json(f"forecast_{cells}", {}) or {}
    if (before.get("choice") or {}).get("key") == key:
        return before["choice"]
    first = span["first"].min().tz_convert(ws.timezone).tz_localize(None)
    end = pd.Timestamp(as_of + dt.timedelta(days=1))
    origin, n = _choice_weeks(first, end, weeks)
    if n < MIN_CHOICE_WEEKS:
        need = MIN_CHOICE_WEEKS + 1
        raise InputError(f"choosing a forecast method needs {need} weeks of incidents before {as_of}; the data "
                         f"start on {first.date()}: give a method instead", code="forecast.short_history",
                         weeks=need, as_of=str(as_of), first=str(first.date()))
    table = backtest(_incidents(ws, "forecast from"), cells=places, start_week=2, end_week=n + 1,
                     origin=origin, methods=CANDIDATES, coverages=(0.05,),
                     categories=expand_categories(ws, categories))
    best = _best(table)
    return {"method": str(best["method"]), "hit_rate": round(float(best["hit_rate"]), 4),
            "best_baseline": str(best["best_baseline"]),
            "vs_best_baseline": round(float(best["vs_best_baseline"]), 4),
            "ci": [round(float(best["vs_ci_low"]), 4), round(float(best["vs_ci_high"]), 4)],
            "verdict": str(best["verdict"]), "coverage": 0.05,
            "weeks": [str((end - pd.Timedelta(weeks=n)).date()), str(as_of)],
            "table": {str(r.method): round(float(r.hit_rate), 4) for r in table.itertuples()}, "key": key}


def _best(table: pd.DataFrame) -> pd.Series:
    """The chosen row of a backtest of :data:`CANDIDATES` at one coverage: the counting baseline
    with the most hits (ties: the first listed), unless a model beats it with its paired 95 %
    interval above zero (``verdict`` better): then the model with the most hits among those. A model
    earns the default only by beating counting; on a tie, counting stays."""
    from geo.forecast import BASELINES

    order = {m: i for i, m in enumerate(CANDIDATES)}
    ranked = table.assign(order=table["method"].map(order)).sort_values(["hit_rate", "order"],
                                                                        ascending=[False, True])
    models = ranked[~ranked["method"].isin(BASELINES) & (ranked["verdict"] == "better")]
    return models.iloc[0] if len(models) else ranked[ranked["method"].isin(BASELINES)].iloc[0]


def parse_tune_weeks(text: str | None) -> tuple[int, int] | None:
    """The weeks to tune on, written ``FIRST-LAST`` (``2-13``), or ``none``/empty for none.

    Raises
    ------
    InputError
        Anything else; code ``param.tune_weeks``.
    """
    if text is None or text.strip().lower() in ("", "none"):
        return None
    a, sep, b = text.partition("-")
    if not (sep and a.strip().isdigit() and b.strip().isdigit()):
        raise InputError(f"--tune-weeks {text!r}: write it as FIRST-LAST, e.g. 2-13, or none",
                         code="param.tune_weeks", value=text)
    return int(a), int(b)


def check_weeks(start_week: int, end_week: int, tune_weeks: tuple[int, int] | None = None) -> None:
    """The evaluated weeks run forward, and the tuning weeks end before them.

    Raises
    ------
    InputError
        Codes ``param.weeks`` and ``param.tune_weeks_order``.
    """
    if end_week < start_week:
        raise InputError(f"--end-week {end_week} is before --start-week {start_week}", code="param.weeks",
                         start=start_week, end=end_week)
    if tune_weeks is not None and tune_weeks[1] >= start_week:
        raise InputError(f"--tune-weeks {tune_weeks[0]}-{tune_weeks[1]} must end before --start-week "
                         f"{start_week}", code="forecast.tune_after_start",
                         first=tune_weeks[0], last=tune_weeks[1], start=start_week)


def backtest_job(
    ws: Workspace,
    *,
    out: str | Path,
    start_week: int = 14,
    end_week: int = 52,
    tune_weeks: tuple[int, int] | None = (2, 13),
    cells: str = "grid",
    cell_m: float = 150.0,
    year: int | None = None,
    categories: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Rolling-origin weekly backtest of every method side by side (plus the true intensity on the
    demo district), written as CSV (:func:`backtest_origin` numbers the weeks).

    Raises
    ------
    InputError
        Weeks out of order, tuning weeks after the evaluated ones, evaluated weeks ending after the
        last day of data, no incidents.
    """
    from geo.forecast import backtest, demo_oracle

    inc = _incidents(ws, "backtest on")
    check_weeks(start_week, end_week, tune_weeks)
    origin = backtest_origin(ws, end_week=end_week, year=year)
    places = forecast_places(ws, cells, cell_m)
    extra = None
    if ws.has("demo_truth"):
        extra = {"oracle (true intensity)": demo_oracle(ws.read("demo_truth"), ws.meta["demo_truth"], inc, places)}
    cats = expand_categories(ws, categories)
    table = backtest(inc, cells=places, start_week=start_week, end_week=end_week, origin=origin,
                     tune_weeks=tune_weeks, extra_scores=extra, categories=cats)
    # the default, chosen as `forecast` chooses it, on the (up to) 52 weeks before the evaluated ones
    start = origin + pd.Timedelta(weeks=start_week - 1)
    data_from = time_span(ws, "incidents", "occurred_at")["first"].min().tz_convert(ws.timezone).tz_localize(None)
    pick_origin, n = _choice_weeks(data_from, start, CHOICE_WEEKS)
    if n >= 1:
        chosen = _best(backtest(inc, cells=places, start_week=2, end_week=n + 1, origin=pick_origin,
                                methods=CANDIDATES, coverages=(0.05,), categories=cats))["method"]
        span = f"{(start - pd.Timedelta(weeks=n)).date()}..{(start - pd.Timedelta(days=1)).date()}"
        rows = table[table["method"] == chosen].assign(method=f"{AUTO} ({chosen}, chosen on {span})")
        attrs, rows.attrs = table.attrs, {}  # (the per-week hits the table keeps)
        table = pd.concat([table, rows], ignore_index=True)
        table.attrs = attrs
    write_safe_csv(table, out)
    return table


def backtest_origin(ws: Workspace, *, end_week: int, year: int | None = None) -> pd.Timestamp:
    """Day 1 of week 1 of a backtest: 1 January of ``year`` when given; else the day that makes week
    52 the last whole week of data (the seven days to the last day of data), so the default weeks
    (14-52, tuned on 2-13) are the data's last 39 weeks on any day of the year.

    Raises
    ------
    InputError
        When week ``end_week`` of ``year`` ends after the last day of data (``forecast.weeks_after_data``).
    """
    as_of = last_data_day(ws)
    if as_of is None:
        raise InputError("the workspace has no incidents; import some first ('patrolnet import WORKSPACE incidents FILE')",
                         code="data.no_incidents")
    if year is None:
        return pd.Timestamp(as_of + dt.timedelta(days=1) - dt.timedelta(weeks=52))
    origin = pd.Timestamp(dt.date(year, 1, 1))
    last = (origin + pd.Timedelta(weeks=end_week) - pd.Timedelta(days=1)).date()
    if last > as_of:
        latest = (as_of - dt.date(year, 1, 1)).days // 7
        raise InputError(f"week {end_week} of {year} (to {last}) ends after the last day of data ({as_of}); choose "
                         f"week {latest} or earlier, or give no year (week 52 is then the data's last whole week)",
                         code="forecast.weeks_after_data", year=year, end=end_week, last=str(last),
                         as_of=str(as_of), latest=latest)
    return origin


def forecast_edge_risk(ws: Workspace, *, horizon_days: int = 28) -> pd.Series | None:
    """Risk per road edge from the street-segment forecast at the last day of data (the hotspot
    work), or None without incidents. Both directed copies of a street get their segment's expected
    incidents."""
    from geo.forecast import forecast
    from geo.hotspots import street_segments

    if not ws.has("incidents") or ws.count("incidents") == 0:
        return None
    as_of = last_data_day(ws)
    inc, first_at = forecast_history(ws, as_of=as_of)
    segments = street_segments(ws.read("road_edges"))
    ranked = forecast(inc, cells=segments, as_of=as_of, horizon_days=horizon_days, first_at=first_at)
    key = ranked.columns[0]
    risk = segments[[key, "edge_ids"]].merge(ranked[[key, "expected"]], on=key)
    risk = risk.explode("edge_ids")
    return pd.Series(risk["expected"].to_numpy(float), index=risk["edge_ids"].astype("int64").to_numpy())


#: Ranked places a forecast's record and job keep (the web's default; the command line's).
TOP_PLACES = 20


def forecast_summary(ws: Workspace, ranked: pd.DataFrame, *, cells: str, horizon_days: int,
                     top: int = TOP_PLACES) -> dict[str, Any]:
    """What a forecast's record and job say of it (``ws``: the workspace it was stored in): the
    places, the layer, its date and method, its first ``top`` places."""
    meta = ws.meta_json(f"forecast_{cells}", {}) or {}
    return {"cells": cells, "layer": f"forecast_{cells}", "as_of": meta.get("as_of"), "horizon_days": horizon_days,
            "method": meta.get("method"), "places": int(len(ranked)), "top": json_rows(ranked, top),
            **({"choice": {k: v for k, v in meta["choice"].items() if k not in ("key", "table")}}
               if meta.get("choice") else {})}

