"""A web worker makes what the pages ask for first before it takes requests.

The first dashboard of a scope (the district, the analysts, each station with users) costs seconds
of a core at 10x (4.4 s for the district's), and so does the first view of the district's streets
at each zoom level (1.5 s per simplification step) and its incidents (2 s). Made on demand, they
queue the requests of everyone who arrives in the first minute behind them, once per worker
process. :func:`warm` makes them for every scope that has users, in the order the pages ask: the
dashboard, the outlines of :data:`app.web.pages.MAP_REQUESTS`, the dashboard's views at every zoom
level of :data:`app.web.pages.VIEW_ZOOMS`, the 12-month heat and the month's figures. The server
runs it in its start-up (the app's lifespan), so a worker takes connections once it is warm (the
others, and the listening socket's queue, hold them meanwhile); afterwards a workspace change
makes the caches anew on demand, as before.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping
from typing import Any

import app.web.figures as figures  # noqa: PLR0402 - `from app.web import` would import app.web's app: a cycle
from app.services.params import parse_day
from app.storage.access import Principal
from app.web.auth import ScopedState
from app.web.features import layer_geojson_bytes, parse_properties, simplify_step
from app.web.pages import MAP_REQUESTS, VIEW_ZOOMS, heat_window, map_extent, overview_html
from app.web.state import AppState

__all__ = ["scopes_with_users", "view_steps", "warm", "warm_scope"]

log = logging.getLogger(__name__)

#: Metres per pixel at the equator at zoom 0 (256-pixel Web Mercator tiles), as the map computes it.
_M_PER_PX = 156543.03392804097
#: The most features a warm-up request takes (the layers API's page limit).
_PAGE = 10_000


def scopes_with_users(state: AppState) -> dict[str, Principal]:
    """One principal per scope that has active users: the district first (commanders, admins;
    stations pick their rows from its features), then analysts and each station."""
    scopes = {"district": Principal("warm-up", "commander")}
    for user in state.users.list():
        if user.active and user.role in ("analyst", "station"):
            p = Principal("warm-up", user.role, user.station_id)
            scopes.setdefault(p.scope_key, p)
    return scopes


def view_steps(simplify_px: float, lat: float) -> list[float]:
    """The simplification steps (metres) a view of ``simplify_px`` pixels asks for at the zoom
    levels of :data:`VIEW_ZOOMS` at latitude ``lat`` (one cached version of a layer per step)."""
    if not simplify_px:
        return [0.0]
    lo, hi = MAP_REQUESTS["simplify_m_range"]
    metres = (simplify_px * _M_PER_PX * math.cos(math.radians(lat)) / 2**z for z in VIEW_ZOOMS)
    return sorted({simplify_step(min(hi, max(lo, m))) for m in metres})


def warm_scope(state: Any, lang: str) -> None:
    """Make what the pages of ``state``'s scope ask for first (see the module's text)."""
    overview_html(state, lang)
    ws = state.workspace()
    frames, texts = figures.layer_frames(state), figures.layer_texts(state)

    def layer(name: str, properties: str, simplify_m: float) -> None:
        if ws.has(name):
            layer_geojson_bytes(ws, name, limit=_PAGE, lang=lang, properties=parse_properties(properties),
                                simplify_m=simplify_m, frames=frames, texts=texts, views=state.cached_view)

    for name, query in MAP_REQUESTS["outlines"].items():
        layer(name, query["properties"], query["simplify_m"])
    extent = map_extent(state)
    lat = (extent[1] + extent[3]) / 2 if extent else 0.0
    for name, view in MAP_REQUESTS["views"].items():
        for step in view_steps(view["simplify"], lat):
            layer(name, view["properties"], step)
    window = heat_window(state)
    if window:
        figures.incident_points_json(state, start=parse_day(window["start"], "start"),
                                     end=parse_day(window["end"], "end"))
    figures.headline(state, None, lang)
    figures.ranking(state, None, lang)


def warm(state: AppState, lang: str) -> Mapping[str, float]:
    """Warm every scope with users (:func:`warm_scope`); seconds per scope. A scope that fails is
    logged and skipped: its requests then report the error properly."""
    seconds: dict[str, float] = {}
    for key, principal in scopes_with_users(state).items():
        t0 = time.perf_counter()
        try:
            warm_scope(ScopedState(state, principal), lang)
        except Exception:  # noqa: BLE001 - warming is best effort; the request path reports errors properly
            log.warning("warming the pages of %s failed", key, exc_info=True)
        seconds[key] = round(time.perf_counter() - t0, 2)
    log.info("pages warmed in %.1f s (%s)", sum(seconds.values()), seconds)
    return seconds
