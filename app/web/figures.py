"""The figures behind the dashboard and ``/api/v1/stats``, cached per workspace version.

The numbers come from :mod:`app.web.stats` (a stand-in with ``geo.reports``' definitions until that
module is committed); the incidents are prepared once per workspace version.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import shapely

from app.web import stats
from app.web.state import AppState
from geo.errors import InputError

__all__ = ["headline", "incident_points", "layer_frames", "models", "monthly", "ranking",
           "workspace_summary", "SOURCE"]

#: Where the figures are computed (shown in the API answers).
SOURCE = "app.web.stats"


def _prepared(state: AppState) -> stats.Prepared:
    return state.cached("prepared-incidents", make=lambda: stats.prepare(state.workspace()))


def _tables(state: AppState) -> dict[str, pd.DataFrame | None]:
    return state.cached("stats-tables", make=lambda: dict(stats.layers_for_stats(state.workspace())))


def headline(state: AppState, month: str | None, lang: str) -> dict[str, Any]:
    out = state.cached("headline", month, lang, make=lambda: stats.headline(_prepared(state), month, lang=lang))
    return {**out, "source": SOURCE}


def ranking(state: AppState, month: str | None, lang: str, *, limit: int = 100,
            offset: int = 0) -> dict[str, Any]:
    tables = _tables(state)
    if tables["stations"] is None:
        raise InputError("the workspace has no stations layer to rank; import stations first")
    full = state.cached("ranking", month, lang, make=lambda: stats.station_ranking(
        _prepared(state), tables["stations"], tables["communities"], month, lang=lang))
    rows = full["rows"]
    return {**{k: v for k, v in full.items() if k != "rows"}, "total": len(rows), "limit": limit,
            "offset": offset, "rows": rows[offset: offset + limit], "source": SOURCE}


def models(state: AppState, month: str | None) -> dict[str, Any] | None:
    """Model-neighborhood status, ``None`` when the workspace has no neighborhoods."""
    tables = _tables(state)
    if tables["neighborhoods"] is None:
        return None
    out = state.cached("models", month, make=lambda: stats.model_status(
        _prepared(state), tables["neighborhoods"], tables["communities"], month))
    return {**out, "source": SOURCE}


def monthly(state: AppState, month: str | None, *, months: int = 12,
            measure: str = "criminal") -> dict[str, Any]:
    if measure not in stats.MEASURES:
        raise InputError(f"measure {measure!r}: use one of {', '.join(stats.MEASURES)}")
    out = state.cached("monthly", month, months, measure, make=lambda: stats.monthly_series(
        _prepared(state), month, measure=measure, months=months))
    return {**out, "source": SOURCE}


def _incident_lonlat(state: AppState) -> pd.DataFrame:
    def make() -> pd.DataFrame:
        ws = state.workspace()
        if not ws.has("incidents"):
            return pd.DataFrame({"occurred_at": [], "category": [], "lat": [], "lon": [], "x": [], "y": []})
        inc = ws.read("incidents", columns=["occurred_at", "category"])
        xy_m = shapely.get_coordinates(inc.geometry.to_numpy())
        xy = shapely.get_coordinates(inc.geometry.to_crs("EPSG:4326").to_numpy())
        return pd.DataFrame({"occurred_at": inc["occurred_at"].to_numpy(),
                             "category": inc["category"].astype(str).to_numpy(),
                             "lat": np.round(xy[:, 1], 6), "lon": np.round(xy[:, 0], 6),
                             "x": xy_m[:, 0], "y": xy_m[:, 1]})
    return state.cached("incident-lonlat", make=make)


def incident_points(state: AppState, *, start: Any = None, end: Any = None,
                    categories: list[str] | None = None) -> dict[str, Any]:
    """Incident points ``[lat, lon]`` (WGS84) in ``[start, end]`` (days, inclusive) of the
    given categories or groups, for a heat layer, with Leaflet.heat ``max``/``maxZoom`` that keep
    the heat from saturating (:func:`app.maps.heat_options`)."""
    from app.maps import heat_options
    from geo.hotspots import select_incidents

    frame = _incident_lonlat(state)
    tz = state.workspace().timezone
    s = pd.Timestamp(start).tz_localize(tz) if start else None
    e = (pd.Timestamp(end) + pd.Timedelta(days=1)).tz_localize(tz) if end else None
    sel = select_incidents(frame, categories=categories or None, start=s, end=e) if len(frame) else frame
    when = pd.to_datetime(sel["occurred_at"]) if len(sel) else pd.Series([], dtype="datetime64[ns]")
    heat = None
    if len(sel):
        ext = (float(sel["lon"].min()), float(sel["lat"].min()), float(sel["lon"].max()), float(sel["lat"].max()))
        heat = heat_options(sel[["x", "y"]].to_numpy(), ext, radius=14, blur=12)
    return {
        "heat": heat,
        "count": int(len(sel)),
        "first": when.min().isoformat() if len(sel) else None,
        "last": when.max().isoformat() if len(sel) else None,
        "points": sel[["lat", "lon"]].to_numpy().tolist(),
    }


def workspace_summary(state: AppState) -> dict[str, Any]:
    """Name, CRS, time zone, layers with counts and the WGS84 extent (cached per version)."""
    def make() -> dict[str, Any]:
        ws = state.workspace()
        return {"name": ws.name, **ws.info().as_dict()}
    return state.cached("workspace-info", make=make)


def layer_frames(state: AppState) -> Any:
    """``frames(name)``: a whole layer, read once per workspace version and kept in memory (the
    layers API then filters by bbox with the frame's spatial index)."""
    def frames(name: str) -> pd.DataFrame:
        frame = state.cached("layer-frame", name, make=lambda: state.workspace().read(name))
        if hasattr(frame, "sindex"):
            frame.sindex  # noqa: B018 - build the index once, not per request
        return frame
    return frames
