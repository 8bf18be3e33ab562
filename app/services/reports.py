"""The method's monthly report (``patrolnet report``): year over year, rankings, model neighborhoods
and weekly bulletins, built from the workspace (:func:`geo.reports.build_report`) and written as
HTML, XLSX, CSV and JSON (:func:`app.report_render.write_report`) in one call."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pandas as pd

from app.halfyear_render import write_half_year_report
from app.report_render import file_part, write_report
from app.services.params import default_month, last_data_day, parse_month
from app.storage.access import Principal, scoped
from app.storage.history import read_period, time_span
from app.storage.workspace import Workspace
from geo.errors import InputError
from geo.progress import Progress, no_progress
from geo.jsonsafe import to_jsonable
from geo.reports.halfyear import default_half, half_windows, half_year_report, parse_half
from geo.reports.windows import meta_date

__all__ = ["build_half_year_report", "build_monthly_report", "build_station_report", "half_year_summary",
           "make_half_year_report", "make_report", "make_station_report", "report_period", "report_summary"]


#: The layers a report reads whole (small: the units) and the columns it reads of the optional ones.
_UNIT_LAYERS = ("stations", "communities", "neighborhoods")
_OPTIONAL = {"road_edges": ["edge_id", "highway", "name"], "buildings": ["name", "neighborhood_id"]}
#: The incident columns the report uses (:func:`geo.reports.prepare_incidents`), with the geometry.
_INCIDENT_COLUMNS = ("incident_id", "occurred_at", "category", "place_kind", "station_id", "community_id",
                     "neighborhood_id", "edge_id", "main_road")


def build_monthly_report(
    ws: Workspace,
    *,
    month: str | None = None,
    week: str | None = None,
    as_of: dt.date | None = None,
    controlled_share: float = 0.5,
    history_months: int | None = 0,
    district: str | None = None,
    workspace_name: str | None = None,
) -> Any:
    """The report (:class:`geo.reports.Report`) of ``month`` (``YYYY-MM``,
    :func:`app.services.params.parse_month`; default: the last full month of data), with data to
    ``as_of`` (default: :func:`app.services.params.last_data_day`).

    Only the incidents of the periods the report compares are read (:func:`report_period`: the
    24 months to the month's end, the bulletin week), through the store's filter, so its memory does
    not grow with the years of history; the first and last days of data are asked of the store
    (:func:`app.storage.history.time_span`). ``history_months``: read also the months before the
    report month that far back; ``None``: every incident (the dashboard, whose monthly figure shows
    up to 60 months beside a year before, reads them from its cache of whole layers). The report's
    tables are the ones :func:`geo.reports.build_report` makes of the whole workspace.

    Raises
    ------
    InputError
        A malformed month, one after the data, a bad week, or missing layers (the report needs
        stations, communities, neighborhoods and incidents).
    """
    from geo.reports import build_report

    as_of = as_of or last_data_day(ws)
    m = parse_month(month) if month is not None and str(month).strip() else default_month(ws, as_of)
    layers: dict[str, Any] = {name: ws.read(name) if ws.has(name) else None for name in _UNIT_LAYERS}
    layers.update({name: ws.read(name, columns=cols) if ws.has(name) else None for name, cols in _OPTIONAL.items()})
    meta = dict(ws.meta)
    if district:  # what the report is of (a station's own report: the station's name)
        meta["district"] = district
    kw: dict[str, Any] = {"month": m, "week": week, "as_of": as_of, "meta": meta,
                          "workspace_name": workspace_name or ws.name, "controlled_share": controlled_share}
    if main_highways := ws.meta_json("main_highways", None):
        kw["main_highways"] = main_highways
    if not ws.has("incidents") or any(layers[n] is None for n in _UNIT_LAYERS):
        return build_report({**layers, "incidents": None}, **kw)  # says which layer is missing
    span = time_span(ws, "incidents", "occurred_at")
    data_start = meta_date(meta, "data_start") or (
        span["first"].min().date() if len(span) else None)
    if as_of is None or data_start is None:  # no incidents: the core says so
        return build_report({**layers, "incidents": ws.read("incidents", max_features=1).iloc[:0]}, **kw)
    have = set(ws.read("incidents", max_features=1).columns)
    columns = [c for c in _INCIDENT_COLUMNS if c in have]
    if history_months is None:
        incidents = ws.read("incidents", columns=columns)
    else:
        start, end = report_period(m, as_of=as_of, timezone=ws.timezone, data_start=data_start, week=week,
                                   history_months=history_months)
        incidents = read_period(ws, "incidents", start=start, end=end, columns=columns)
    return build_report({**layers, "incidents": incidents}, data_start=data_start, **kw)


def build_station_report(ws: Workspace, station_id: str, *, month: str | None = None, week: str | None = None,
                         as_of: dt.date | None = None, controlled_share: float = 0.5, lang: str = "zh-CN") -> Any:
    """A station's own monthly report: :func:`build_monthly_report` of its jurisdiction alone (its
    communities, neighborhoods and incidents, as a station user sees the workspace), titled with the
    station's name (English where the workspace has one and ``lang`` is English), its files named
    ``<workspace>-<station>-<month>``; the data to the district's last day.

    Raises
    ------
    InputError
        An unknown station (``station.unknown``), or as :func:`build_monthly_report`.
    """
    whole = getattr(ws, "unscoped", ws)
    stations = whole.read("stations") if whole.has("stations") else pd.DataFrame(columns=["station_id", "name"])
    row = stations[stations["station_id"].astype(str) == str(station_id)]
    if not len(row):
        raise InputError(f"station {station_id} is not in the stations layer; check the station id",
                         code="station.unknown", station=str(station_id))
    name = str(row["name"].iloc[0])
    english = row["name_en"].iloc[0] if "name_en" in row.columns else None
    shown = str(english) if lang == "en" and isinstance(english, str) and english.strip() else name
    view = scoped(whole, Principal(username=f"station:{station_id}", role="station", station_id=str(station_id)))
    return build_monthly_report(view, month=month, week=week, as_of=as_of or last_data_day(whole),
                                controlled_share=controlled_share, district=shown,
                                workspace_name=f"{whole.name}-{file_part(name)}")


def make_station_report(ws: Workspace, station_id: str, *, out: str | Path, month: str | None = None,
                        week: str | None = None, as_of: dt.date | None = None, controlled_share: float = 0.5,
                        lang: str = "zh-CN", formats: tuple[str, ...] = ("html", "xlsx", "csv", "json"),
                        ) -> tuple[Any, dict[str, Any]]:
    """Build a station's own report (:func:`build_station_report`) and write its files into ``out``."""
    rep = build_station_report(ws, station_id, month=month, week=week, as_of=as_of,
                               controlled_share=controlled_share, lang=lang)
    return rep, write_report(rep, out, lang=lang, formats=formats)


def report_period(month: Any, *, as_of: dt.date, timezone: str, data_start: dt.date | None = None,
                  week: str | None = None, history_months: int = 0) -> tuple[pd.Timestamp, pd.Timestamp]:
    """``[start, end)`` holding every window of the report of ``month``
    (:func:`geo.reports.report_windows`), and ``history_months`` months before the month.

    Raises
    ------
    InputError
        As :func:`geo.reports.report_windows`.
    """
    from geo.reports import report_windows

    windows = report_windows(month, as_of=as_of, timezone=timezone, data_start=data_start, week=week)
    start = min(w.start for w in windows.values())
    if history_months > 0:
        before = (windows["month"].start.tz_localize(None) - pd.DateOffset(months=int(history_months)))
        start = min(start, before.tz_localize(timezone))
    return start, max(w.end for w in windows.values())


def make_report(
    ws: Workspace,
    *,
    out: str | Path,
    month: str | None = None,
    week: str | None = None,
    as_of: dt.date | None = None,
    controlled_share: float = 0.5,
    lang: str = "zh-CN",
    progress: Progress | None = None,
) -> tuple[Any, dict[str, Any]]:
    """Build the report (:func:`build_monthly_report`) and write its files into ``out`` in ``lang``;
    the report and the files (``html``, ``xlsx``, ``json``: a path; ``csv``: table -> path).
    Progress stages: ``report``, ``write``."""
    report = progress or no_progress
    report("report", 0.0)
    rep = build_monthly_report(ws, month=month, week=week, as_of=as_of, controlled_share=controlled_share)
    report("write", 0.0)
    files = write_report(rep, out, lang=lang)
    report("write", 1.0)
    return rep, files


def report_summary(rep: Any, lang: str) -> dict[str, Any]:
    """What a report's record and job say of it: its month, last day of data, the headline figures
    (labelled in ``lang``) and its notes."""
    head = rep.table("headline")
    rows = [{"measure": str(r["measure"]), "label": rep.measures[str(r["measure"])].label(lang),
             **{c: to_jsonable(r[c]) for c in ("month", "month_last_year", "yoy_change", "yoy_significant",
                                             "ytd", "ytd_last_year", "ytd_yoy_change", "ytd_yoy_significant")}}
            for _, r in head.iterrows()]
    return {"month": rep.month, "as_of": rep.as_of.isoformat(), "lang": lang, "headline": rows,
            "notes": [n[1] if lang == "en" else n[0] for n in rep.notes]}



def build_half_year_report(ws: Workspace, *, half: str | None = None, as_of: dt.date | None = None,
                           controlled_share: float = 0.5) -> Any:
    """The half-year station report (:func:`geo.reports.halfyear.half_year_report`) of ``half``
    (``YYYY-H1``/``YYYY-H2``; default: the last half-year over in the data), with data to ``as_of``
    (default :func:`app.services.params.last_data_day`). Only the incidents of the 24 months to the
    half's end are read (the half, the same half a year before, the half before it and the model
    neighborhoods' two 12-month windows).

    Raises
    ------
    InputError
        A malformed half-year, one after the data, or missing layers.
    """
    as_of = as_of or last_data_day(ws)
    layers: dict[str, Any] = {name: ws.read(name) if ws.has(name) else None for name in _UNIT_LAYERS}
    if ws.has("road_edges"):
        layers["road_edges"] = ws.read("road_edges", columns=_OPTIONAL["road_edges"])
    kw: dict[str, Any] = {"meta": dict(ws.meta), "workspace_name": ws.name, "controlled_share": controlled_share,
                          "main_highways": ws.meta_json("main_highways", None)}
    if as_of is None or not ws.has("incidents"):
        return half_year_report({**layers, "incidents": ws.read("incidents") if ws.has("incidents") else None},
                                half=half, as_of=as_of, **kw)  # says what is missing
    which = parse_half(half) if half is not None and str(half).strip() else default_half(as_of)
    span = time_span(ws, "incidents", "occurred_at")  # the data's first day: baselines before it are not zeros
    data_start = meta_date(ws.meta, "data_start") or (span["first"].min().date() if len(span) else None)
    windows = half_windows(*which, as_of=as_of, timezone=ws.timezone, data_start=data_start)
    have = set(ws.read("incidents", max_features=1).columns)
    incidents = read_period(ws, "incidents", start=min(w.start for w in windows.values()),
                            end=max(w.end for w in windows.values()),
                            columns=[c for c in _INCIDENT_COLUMNS if c in have])
    return half_year_report({**layers, "incidents": incidents}, half=which, as_of=as_of, data_start=data_start, **kw)


def make_half_year_report(ws: Workspace, *, out: str | Path, half: str | None = None, as_of: dt.date | None = None,
                          controlled_share: float = 0.5, lang: str = "zh-CN",
                          progress: Progress | None = None) -> tuple[Any, dict[str, Any]]:
    """Build the half-year station report (:func:`build_half_year_report`) and write its files into
    ``out`` in ``lang`` (:func:`app.halfyear_render.write_half_year_report`): the report and the
    files. Progress stages: ``report``, ``write``."""
    report = progress or no_progress
    report("report", 0.0)
    rep = build_half_year_report(ws, half=half, as_of=as_of, controlled_share=controlled_share)
    report("write", 0.0)
    files = write_half_year_report(rep, out, lang=lang)
    report("write", 1.0)
    return rep, files


def half_year_summary(rep: Any, lang: str) -> dict[str, Any]:
    """What a half-year report's record says of it: the half, the last day of data, every station's
    rank, cases and change on the same half a year before."""
    rows = [{"station_id": str(r["station_id"]), "name": str(r["name_en"] if lang == "en" else r["name"]),
             "rank": to_jsonable(r["rank"]), "cases": to_jsonable(r["cases"]),
             "half_last_year": to_jsonable(r["half_last_year"]), "yoy_change": to_jsonable(r["yoy_change"])}
            for _, r in rep.tables["stations"].iterrows()]
    return {"half": rep.key, "as_of": rep.as_of.isoformat(), "lang": lang, "stations": rows,
            "notes": [n[1] if lang == "en" else n[0] for n in rep.notes]}
