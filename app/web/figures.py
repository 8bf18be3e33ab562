"""The figures behind the dashboard and ``/api/v1/stats``, cached per workspace version.

Every number comes from the monthly report the CLI writes with ``patrolnet report``
(:func:`app.services.reports.build_monthly_report`): the article's three headline figures, the station ranking and the model
neighborhoods, with its definitions (windows, measures, small-number tests). This module only picks
the report month and reshapes the report's tables for the API and the dashboard.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import numpy as np
import pandas as pd
import shapely

from app.maps import heat_options
from app.services.categories import expand_categories
from app.services.params import default_month as month_of
from app.services.params import last_data_day, parse_month
from app.services.reports import build_monthly_report
from app.storage.access import Principal, ScopedWorkspace
from app.web.auth import ScopedState
from app.web.features import TextSource, cached_texts
from app.web.state import AppState
from geo.errors import InputError
from geo.jsonsafe import to_jsonable

__all__ = [
    "SOURCE",
    "default_month",
    "headline",
    "incident_frame",
    "incident_points",
    "incident_points_json",
    "layer_frames",
    "models",
    "monthly",
    "ranking",
    "report_for",
    "scope_info",
    "scope_view",
    "workspace_summary",
]

#: Where the figures are computed (shown in the API answers).
SOURCE = "geo.reports"


class _WholeLayers:
    """The workspace itself, each whole layer read from the file once per workspace version and
    shared by every scope (kept in the base state's cache; a user sees it only through the
    :class:`app.storage.access.ScopedWorkspace` of its scope, which cuts it to its jurisdiction).
    A read of some columns, or with a filter, goes to the file."""

    def __init__(self, base: AppState):
        self._base = base
        self._ws = base.workspace()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._ws, name)

    def read(self, layer: str, *, columns: list[str] | None = None, **filters: Any) -> pd.DataFrame:
        if columns is not None or any(v not in (None, 0) for v in filters.values()):
            return self._ws.read(layer, columns=columns, **filters)
        whole = self._base.cached("whole-layer", layer, make=lambda: self._ws.read(layer))
        return whole.copy(deep=False)  # (copy on write: the cache never sees a caller's change)


def scope_view(state: AppState) -> Any:
    """The workspace as ``state``'s user sees it (the same rows and columns as
    ``state.workspace()``), its whole layers read once for every scope: five scopes' dashboards
    at 10x read the file once, not five times (a station's view read every layer to count it)."""
    base = getattr(state, "base", None)
    principal = getattr(state, "principal", None)
    if base is None or principal is None:
        return state.cached("scope-view", make=lambda: _WholeLayers(state))
    return state.cached("scope-view", make=lambda: ScopedWorkspace(_WholeLayers(base), principal))


def scope_info(state: AppState) -> Any:
    """``info()`` of the scope's workspace (layers, counts, CRS), once per version and scope."""
    return state.cached("scope-info", make=lambda: scope_view(state).info())


class CachedReads:
    """The scope's workspace whose whole-layer reads come from the state's cache of layers
    (:func:`layer_frames`: one read per workspace version, shared with the layers API), so the
    report, the last day of data and the heat points read each layer once instead of once each.

    ``read(name, columns=...)`` gives the cached layer's columns (and geometry), as a read of the
    scope's workspace does; a read with a filter (bbox, where, paging) and everything else go to
    the scope's workspace (:func:`scope_view`).
    """

    def __init__(self, state: AppState):
        self._state = state
        self._ws = scope_view(state)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._ws, name)

    def read(self, layer: str, *, columns: list[str] | None = None, **filters: Any) -> pd.DataFrame:
        if any(v not in (None, 0) for v in filters.values()):
            return self._ws.read(layer, columns=columns, **filters)
        frame = layer_frames(self._state)(layer)
        if columns is not None:
            keep = [c for c in columns if c in frame.columns]
            if hasattr(frame, "geometry") and frame.geometry.name not in keep:
                keep.append(frame.geometry.name)
            return frame[keep]
        return frame.copy(deep=False)  # (copy on write: the cache never sees a caller's change)


def _as_of(state: AppState) -> dt.date | None:
    """Last day of data (:func:`app.services.params.last_data_day`), cached per workspace version."""
    return state.cached("as-of", make=lambda: last_data_day(CachedReads(state)))


def default_month(state: AppState) -> str:
    """The last full month of data (``YYYY-MM``, :func:`app.services.params.default_month`);
    InputError without incidents."""
    return month_of(state.workspace(), _as_of(state))


def report_for(state: AppState, month: str | None) -> Any:
    """The monthly report (:class:`geo.reports.Report`) of ``month`` (default: the last full one), as
    ``patrolnet report`` builds it (:func:`app.services.reports.build_monthly_report`), cached per
    workspace version; with every incident (``history_months=None``: from the cached layer, which
    the dashboard holds anyway), for the monthly figure's 60 months and their first month of data.

    Raises
    ------
    InputError
        A malformed month, one after the data, or missing layers (the report needs stations,
        communities, neighborhoods and incidents).
    """
    principal = getattr(state, "principal", None)
    if principal is not None and not principal.scoped:  # every district-wide role sees the same figures
        state = _district(state)
    m = parse_month(month) if month and month.strip() else default_month(state)
    return state.cached("report", m, make=lambda: build_monthly_report(CachedReads(state), month=m,  # type: ignore[arg-type]
                                                                       as_of=_as_of(state),
                                                                       history_months=None))


def _district(state: AppState) -> AppState:
    """The district-wide view (one cache entry for commanders and analysts: the report reads no
    layer an analyst may not)."""
    return ScopedState(state.base, Principal("district-view", "commander"))  # type: ignore[attr-defined, return-value]


def _change(row: pd.Series, current: str, baseline: str, prefix: str) -> dict[str, Any]:
    """``{"current", "baseline", "change", "status", "p", "significant"}``; the report's status
    ``change`` is told as ``down`` / ``up`` / ``flat``."""
    status = to_jsonable(row.get(f"{prefix}_status"))
    change = to_jsonable(row.get(f"{prefix}_change"))
    if status == "change":
        status = "down" if change < 0 else "up" if change > 0 else "flat"
    return {"current": to_jsonable(row.get(current)), "baseline": to_jsonable(row.get(baseline)),
            "change": None if change is None else round(float(change), 4), "status": status,
            "p": to_jsonable(row.get(f"{prefix}_p")), "significant": to_jsonable(row.get(f"{prefix}_significant"))}


def _windows(rep: Any, keys: tuple[str, ...]) -> dict[str, Any]:
    return {k: {"first_day": rep.windows[k].start.date().isoformat(),
                "last_day": rep.windows[k].last_day.isoformat(),
                "covered_by_data": bool(rep.windows[k].covered)} for k in keys}


def headline(state: AppState, month: str | None, lang: str) -> dict[str, Any]:
    """The article's three figures for the month and January..month, each against a year before."""
    rep = report_for(state, month)
    table = rep.table("headline")
    figures = []
    for _, row in table.iterrows():
        m = rep.measures[row["measure"]]
        figures.append({"key": row["measure"], "label": m.label(lang),
                        "month": _change(row, "month", "month_last_year", "yoy"),
                        "ytd": _change(row, "ytd", "ytd_last_year", "ytd_yoy")})
    return {"month": rep.month, "as_of": rep.as_of.isoformat(),
            "windows": _windows(rep, ("month", "month_last_year", "ytd", "ytd_last_year")),
            "figures": figures, "source": SOURCE}


def ranking(state: AppState, month: str | None, lang: str, *, limit: int = 100,
            offset: int = 0) -> dict[str, Any]:
    """The month's station ranking (fewest criminal cases first; ties share a rank).

    A station user gets its own row only, ranked among all stations (``total`` is the number of
    stations): the method ranks every station, but no station sees another's figures."""
    principal = getattr(state, "principal", None)
    scoped = principal is not None and principal.scoped
    if scoped:  # the district's report, from the same cache entry the commanders' pages use
        rep = report_for(_district(state), month)
    else:
        rep = report_for(state, month)
    table = rep.table("station_ranking")
    stations_ranked = len(table)
    if scoped:
        table = table[table["station_id"].astype(str) == str(principal.station_id)]
    rows = []
    for _, r in table.iterrows():
        rows.append({
            "rank": to_jsonable(r["rank"]), "station_id": str(r["station_id"]), "name": str(r["name"]),
            "name_en": str(r["name_en"]), "cases": to_jsonable(r["cases"]),
            "two_robberies_one_theft": to_jsonable(r["two_robberies_one_theft"]), "residents": to_jsonable(r["residents"]),
            "rate_per_10k": None if to_jsonable(r["rate_per_10k"]) is None else round(float(r["rate_per_10k"]), 3),
            "rank_by_rate": to_jsonable(r["rank_by_rate"]), "previous_month": to_jsonable(r["previous_month"]),
            "month_last_year": to_jsonable(r["month_last_year"]),
            "yoy": _change(r, "cases", "month_last_year", "yoy"),
            "mom": _change(r, "cases", "previous_month", "mom"),
        })
    measure = rep.tables["station_ranking"].measure or "criminal"
    return {"month": rep.month, "measure": measure, "measure_label": rep.measures[measure].label(lang),
            "window": _windows(rep, ("month",))["month"], "total": len(rows), "stations_ranked": stations_ranked,
            "limit": limit,
            "offset": offset, "rows": rows[offset: offset + limit], "source": SOURCE}


def models(state: AppState, month: str | None) -> dict[str, Any]:
    """The designated model neighborhoods (示范小区) and the police offices without one."""
    rep = report_for(state, month)
    nb = rep.table("model_neighborhoods")
    nb = nb[nb["designated"].astype(bool)]
    rows = [{"neighborhood_id": str(r["neighborhood_id"]), "name": str(r["name"]), "name_en": str(r["name_en"]),
             "model_kind": to_jsonable(r["model_kind"]), "community_id": to_jsonable(r["community_id"]),
             "station_id": to_jsonable(r["station_id"]), "last_12m": to_jsonable(r["last_12m"]),
             "previous_12m": to_jsonable(r["previous_12m"]), "status": str(r["status"]), "meets": bool(r["meets"])}
            for _, r in nb.iterrows()]
    offices = rep.table("model_offices")
    flagged = offices[offices["flagged"].astype(bool)]
    without = [{"community_id": str(r["community_id"]), "name": str(r["name"]), "office_name": to_jsonable(r["office_name"]),
                "station_id": to_jsonable(r["station_id"]), "flag": to_jsonable(r["flag"]), "candidates": to_jsonable(r["candidates"])}
               for _, r in flagged.iterrows()]
    counts = {s: sum(r["status"] == s for r in rows) for s in ("zero", "controlled", "not_met", "unknown")}
    return {"month": rep.month, "window": _windows(rep, ("last_12m",))["last_12m"], "models": rows,
            "counts": counts, "offices_without_model": without, "source": SOURCE}


def monthly(state: AppState, month: str | None, *, months: int = 12,
            measure: str = "criminal") -> dict[str, Any]:
    """Counts of a report measure per calendar month for ``months`` months to the report month,
    beside the same months a year before (``None`` before the first day of data)."""
    rep = report_for(state, month)
    if measure not in rep.measures:
        raise InputError(f"measure {measure!r}: use one of {', '.join(rep.measures)}")
    inc = rep.incidents
    mask = rep.measures[measure].mask(inc).to_numpy(dtype=bool)
    occ = pd.to_datetime(inc["occurred_at"]).dt.tz_convert(rep.timezone)
    per_month = occ[mask].dt.tz_localize(None).dt.to_period("M").value_counts()
    first_data = occ.min().tz_localize(None).to_period("M") if len(occ) else None
    end = pd.Period(rep.month, "M")
    out = []
    for k in range(months - 1, -1, -1):
        p = end - k
        ly = p - 12

        def count(q: pd.Period) -> int | None:
            return None if first_data is None or q < first_data else int(per_month.get(q, 0))
        out.append({"month": str(p), "count": count(p), "last_year": count(ly)})
    return {"measure": measure, "months": out, "source": SOURCE}


def incident_frame(state: AppState) -> pd.DataFrame:
    """Every incident of the scope as occurred_at, category, lat/lon (WGS84) and x/y (working CRS),
    read once per workspace version (the heat layers and the dashboard's heat window); one entry for
    every district-wide role."""
    principal = getattr(state, "principal", None)
    if principal is not None and not principal.scoped:
        state = _district(state)

    def make() -> pd.DataFrame:
        ws = CachedReads(state)
        if not ws.has("incidents"):
            return pd.DataFrame({"occurred_at": [], "category": [], "lat": [], "lon": [], "x": [], "y": []})
        inc = ws.read("incidents", columns=["occurred_at", "category"])
        xy_m = shapely.get_coordinates(inc.geometry.to_numpy())
        xy = shapely.get_coordinates(inc.geometry.to_crs("EPSG:4326").to_numpy())
        # (.array keeps the zone-aware times as they are: .to_numpy() would box every one of them)
        return pd.DataFrame({"occurred_at": inc["occurred_at"].array,
                             "category": inc["category"].astype(str).to_numpy(),
                             "lat": np.round(xy[:, 1], 6), "lon": np.round(xy[:, 0], 6),
                             "x": xy_m[:, 0], "y": xy_m[:, 1]})
    return state.cached("incident-lonlat", make=make)


def incident_points(state: AppState, *, start: Any = None, end: Any = None,
                    categories: list[str] | None = None) -> dict[str, Any]:
    """Incident points ``[lat, lon]`` (WGS84) in ``[start, end]`` (days, inclusive) of the
    given categories or groups, for a heat layer, with Leaflet.heat ``max``/``maxZoom`` that keep
    the heat from saturating (:func:`app.maps.heat_options`)."""
    # the hotspot core (scipy, esda) loads only when asked
    from geo.hotspots import select_incidents

    frame = incident_frame(state)
    tz = state.workspace().timezone
    s = pd.Timestamp(start).tz_localize(tz) if start else None
    e = (pd.Timestamp(end) + pd.Timedelta(days=1)).tz_localize(tz) if end else None
    cats = expand_categories(state.workspace(), categories)  # a group: the workspace's own categories in it too
    sel = select_incidents(frame, categories=cats, start=s, end=e) if len(frame) else frame
    when = pd.to_datetime(sel["occurred_at"]) if len(sel) else pd.Series([], dtype="datetime64[ns]")
    heat = None
    if len(sel):
        ext = (float(sel["lon"].min()), float(sel["lat"].min()), float(sel["lon"].max()), float(sel["lat"].max()))
        heat = heat_options(sel[["x", "y"]].to_numpy(), ext, radius=14, blur=12)
    return {
        "heat": heat,
        "count": len(sel),
        "first": when.min().isoformat() if len(sel) else None,
        "last": when.max().isoformat() if len(sel) else None,
        "points": sel[["lat", "lon"]].to_numpy().tolist(),
    }


def incident_points_json(state: AppState, *, start: dt.date | None = None, end: dt.date | None = None,
                         categories: list[str] | None = None) -> bytes:
    """:func:`incident_points` as compact UTF-8 JSON (as the API would write it), made once per
    workspace version, scope and query: every user of a scope opening the dashboard asks for the
    same 12 months, and the hotspot page's periods are few."""
    key = (start.isoformat() if start else None, end.isoformat() if end else None, tuple(categories or ()))
    principal = getattr(state, "principal", None)
    if principal is not None and not principal.scoped:  # the same points for every district-wide role
        state = _district(state)

    def make() -> bytes:
        points = incident_points(state, start=start, end=end, categories=categories)
        return json.dumps(points, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode("utf-8")
    return state.cached("incident-points-json", *key, make=make)


def workspace_summary(state: AppState) -> dict[str, Any]:
    """Name, CRS, time zone, layers with counts and the WGS84 extent (cached per version)."""
    def make() -> dict[str, Any]:
        return {"name": state.workspace().name, **scope_info(state).as_dict()}
    return state.cached("workspace-info", make=make)


def layer_texts(state: AppState) -> TextSource:
    """The layers' features written once per workspace version for every scope (a station's picked
    from the district's): see :func:`app.web.features.cached_texts`."""
    base = getattr(state, "base", None)
    return cached_texts(state.cached, layer_frames(state), lambda: state.workspace().crs.to_string(),
                        whole=(base.cached, layer_frames(base)) if base is not None else None)


def layer_frames(state: AppState) -> Any:
    """``frames(name)``: a whole layer, read once per workspace version and kept in memory (the
    layers API then filters by bbox with the frame's spatial index)."""
    def frames(name: str) -> pd.DataFrame:
        frame = state.cached("layer-frame", name, make=lambda: scope_view(state).read(name))
        if hasattr(frame, "sindex"):
            frame.sindex  # noqa: B018 - build the index once, not per request
        return frame
    return frames
