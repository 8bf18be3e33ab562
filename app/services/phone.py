"""The officer's phone page (``/m/``): a unit's plan of a shift to carry, and the phone's GPS pings
back into the ``tracks`` layer, where ``patrolnet dosage`` measures them.

The plan is the shift's recorded plan (the approved one first, then the newest:
:func:`app.services.dosage.plan_routes`); the pings go in through the import pipeline like any
track file (:func:`pings_csv` writes them as the CSV a car terminal would), so a ping is checked,
deduplicated and reported once, in one place.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import segno
import shapely

from app.services.dosage import plan_routes
from app.services.workspace import open_workspace
from app.storage.access import ForbiddenError, Principal
from app.storage.users import LINK_GRACE
from geo.errors import InputError
from routing.patrol.window import shift_window

__all__ = ["MAX_PINGS", "STREETS_M", "check_unit", "make_links", "own_unit", "pings_csv", "shift_units", "unit_plan"]

#: Pings one upload may hold: two days of a ping every 10 s.
MAX_PINGS = 20_000
#: The columns the phone sends per ping.
_PING_KEYS = ("t", "lon", "lat")
#: The streets drawn and named on the phone's map: those within this many metres of the unit's route
#: (sent with the plan, so that the map keeps its street names offline).
STREETS_M = 150.0


def own_unit(user: Principal, unit_id: str) -> None:
    """An officer (a unit account or a one-shift link) carries and sends its own unit only.

    Raises
    ------
    ForbiddenError
        ``phone.not_your_unit``.
    """
    if user.unit_id is not None and unit_id != user.unit_id:
        raise ForbiddenError(f"you carry unit {user.unit_id}'s plan; unit {unit_id} is not yours",
                             code="phone.not_your_unit", mine=user.unit_id, unit=unit_id)


def shift_units(workspace: str | Path, user: Principal, *, day: dt.date, shift: str) -> dict[str, Any]:
    """The units of the recorded plan of ``day`` and ``shift`` (a station user: its station's plans
    only), for the phone page's choice of unit; none (and no record) when no plan is recorded."""
    try:
        record, status, routes = plan_routes(workspace, user, day, shift, unit_id=user.unit_id)
    except InputError as exc:  # no plan yet is an answer here (the phone says so), not a failure
        if exc.code != "dosage.no_plan":
            raise
        return {"record": None, "status": None, "day": day.isoformat(), "shift": shift, "units": []}
    units: dict[str, dict[str, Any]] = {}
    for f in routes:
        p = f["properties"]
        if user.unit_id is not None and str(p["unit_id"]) != user.unit_id:
            continue  # an officer: its own unit only
        units.setdefault(str(p["unit_id"]), {"unit_id": str(p["unit_id"]), "name": p.get("name"),
                                             "unit_kind": p.get("unit_kind"), "lineup": p.get("lineup")})
    return {"record": record, "status": status, "day": day.isoformat(), "shift": shift,
            "units": sorted(units.values(), key=lambda u: u["unit_id"])}


def unit_plan(workspace: str | Path, user: Principal, *, day: dt.date, shift: str, unit_id: str) -> dict[str, Any]:
    """One unit's part of the recorded plan: its route(s) as GeoJSON lines (WGS84), its stops in
    order with their places and times, and its legs ("北湖路 1.2 km", "左转 抱石路 0.8 km").

    With them, the named streets within :data:`STREETS_M` of the route (``streets``, GeoJSON lines with
    ``name`` and ``highway``), so that the phone's map names them without asking again.

    Raises
    ------
    InputError
        No plan recorded (``dosage.no_plan``), or the unit has no route in it (``phone.no_unit``).
    ForbiddenError
        An officer asking for another unit (``phone.not_your_unit``).
    """
    own_unit(user, unit_id)
    try:
        record, status, routes = plan_routes(workspace, user, day, shift, unit_id=unit_id)
    except InputError as exc:
        if exc.code != "dosage.no_plan":
            raise
        record, status, routes = plan_routes(workspace, user, day, shift)  # a plan, but not of this unit?
    mine = [f for f in routes if str(f["properties"]["unit_id"]) == unit_id]
    if not mine:
        raise InputError(f"unit {unit_id} has no route in the plan of {day} {shift} (record {record}); "
                         f"choose one of the plan's units", code="phone.no_unit", unit=unit_id, day=str(day),
                         shift=shift, record=record)
    first = mine[0]["properties"]
    parts = []
    for f in mine:
        p = f["properties"]
        stops = [{k: s.get(k) for k in ("seq", "label", "road", "hotspot", "lon", "lat", "arrive", "depart",
                                        "duration_min")} for s in p.get("stops") or []]
        parts.append({"geometry": f["geometry"], "shift_start": p.get("shift_start"), "shift_end": p.get("shift_end"),
                      "length_m": p.get("length_m"), "legs": list(p.get("legs") or []), "stops": stops})
    return {"record": record, "status": status, "day": day.isoformat(), "shift": shift, "unit_id": unit_id,
            "name": first.get("name"), "unit_kind": first.get("unit_kind"), "mode": first.get("mode"),
            "lineup": first.get("lineup"), "parts": parts,
            "streets": _streets_along(workspace, [f["geometry"] for f in mine])}


def _streets_along(workspace: str | Path, lines: list[dict[str, Any]]) -> dict[str, Any]:
    """The named streets within :data:`STREETS_M` of ``lines`` (GeoJSON, WGS84), as GeoJSON (WGS84,
    simplified to 2 m): what the phone's map labels."""
    empty: dict[str, Any] = {"type": "FeatureCollection", "features": []}
    ws = open_workspace(workspace)
    route = gpd.GeoSeries([shapely.geometry.shape(g) for g in lines if g], crs="EPSG:4326").to_crs(ws.crs)
    if route.empty or not ws.has("road_edges"):
        return empty
    near = shapely.union_all(route.to_numpy()).buffer(STREETS_M)
    roads = ws.read("road_edges", columns=["name", "highway"], bbox=tuple(near.bounds))
    roads = roads[roads["name"].notna() & (roads["name"].astype(str).str.strip() != "")]
    roads = roads[roads.intersects(near)]
    if roads.empty:
        return empty
    roads = roads.assign(geometry=roads.geometry.simplify(2.0)).to_crs("EPSG:4326")
    return {"type": "FeatureCollection",
            "features": [{"type": "Feature", "geometry": shapely.geometry.mapping(g),
                          "properties": {"name": str(n), "highway": None if pd.isna(h) else str(h)}}
                         for g, n, h in zip(roads.geometry, roads["name"], roads["highway"], strict=True)]}


def make_links(users: Any, ws: Any, user: Principal, *, workspace: str | Path, day: dt.date, shift: str,
               unit_ids: Sequence[str] | None, base_url: str) -> dict[str, Any]:
    """One-shift links (and their QR codes) for units of ``day`` and ``shift``: a phone opening one
    carries that unit's plan and sends its track, without an account, until the shift ends plus
    :data:`app.storage.users.LINK_GRACE`; a planner revokes it at any time.

    ``unit_ids``: the units (of the units layer ``ws`` holds: a station user's own); ``None``: every
    unit of the shift's recorded plan. ``base_url``: the address phones reach the server at.

    Raises
    ------
    InputError
        No units given and no plan recorded (``links.no_units``), a unit not in ``ws``
        (``phone.unknown_unit``), or a shift already over (``links.past``).
    """
    if unit_ids is None:
        unit_ids = [u["unit_id"] for u in shift_units(workspace, user, day=day, shift=shift)["units"]]
        if not unit_ids:
            raise InputError(f"no plan recorded for {day} {shift}, so no units to make links for; plan the shift "
                             f"first or name the units", code="links.no_units", day=str(day), shift=shift)
    units = ws.read("units", columns=["unit_id", "name", "station_id"]) if ws.has("units") else pd.DataFrame()
    rows = {str(r.unit_id): r for r in units.itertuples()} if len(units) else {}
    end = shift_window(shift, date=day, tz=ws.timezone)[1]
    links = []
    for unit_id in dict.fromkeys(unit_ids):
        if unit_id not in rows:
            check_unit(ws, unit_id)  # raises, naming the unit
        row = rows[unit_id]
        name = "" if pd.isna(row.name) else str(row.name)
        station = None if pd.isna(row.station_id) else str(row.station_id)
        link_id, token = users.open_link(unit_id=unit_id, unit_name=name, station_id=station, day=day.isoformat(),
                                         shift=shift, created_by=user.username, expires_at=end + LINK_GRACE)
        url = f"{base_url.rstrip('/')}/m/s/{token}"
        links.append({"link_id": link_id, "unit_id": unit_id, "name": name, "station_id": station, "url": url,
                      "qr_svg": segno.make(url, error="m").svg_inline(scale=4, border=2, title=f"{unit_id} {name}")})
    return {"day": day.isoformat(), "shift": shift, "expires_at": (end + LINK_GRACE).isoformat(timespec="minutes"),
            "links": links}


def check_unit(ws: Any, unit_id: str) -> None:
    """Refuse pings of a unit the ``units`` layer of ``ws`` does not hold (a station user's workspace
    holds only its station's units: it sends pings of its own units only).

    Raises
    ------
    InputError
        ``phone.unknown_unit``.
    """
    known = set(ws.read("units", columns=["unit_id"])["unit_id"].astype(str)) if ws.has("units") else set()
    if unit_id not in known:
        raise InputError(f"unit {unit_id} is not in the units layer (or not of your station)",
                         code="phone.unknown_unit", unit=unit_id)


def pings_csv(pings: Sequence[Any]) -> bytes:
    """The phone's pings (``{"t": ISO 8601 time with offset, "lon": .., "lat": ..}``, WGS84) as the
    CSV the ``tracks`` import reads (``recorded_at,lon,lat``; the unit is given to the whole file).

    Raises
    ------
    InputError
        No pings, too many (over :data:`MAX_PINGS`), or a ping that is not an object with a time and
        finite coordinates (the message names its position).
    """
    if not isinstance(pings, Sequence) or isinstance(pings, str | bytes) or not pings:
        raise InputError("no pings to upload: send a list of {t, lon, lat}", code="phone.no_pings")
    if len(pings) > MAX_PINGS:
        raise InputError(f"{len(pings)} pings in one upload; send at most {MAX_PINGS} at a time",
                         code="phone.too_many_pings", n=len(pings), max=MAX_PINGS)
    rows = []
    for i, p in enumerate(pings):
        ok = isinstance(p, dict) and all(k in p for k in _PING_KEYS)
        if ok:
            try:
                lon, lat = float(p["lon"]), float(p["lat"])
                when = pd.Timestamp(str(p["t"]))
                ok = math.isfinite(lon) and math.isfinite(lat) and when.tzinfo is not None
            except (TypeError, ValueError):
                ok = False
        if not ok:
            raise InputError(f"ping {i + 1}: give t (ISO 8601 time with its offset), lon and lat (WGS84 degrees)",
                             code="phone.bad_ping", n=i + 1)
        rows.append((when.isoformat(), lon, lat))
    buf = io.StringIO()
    pd.DataFrame(rows, columns=["recorded_at", "lon", "lat"]).to_csv(buf, index=False, float_format="%.7f")
    return buf.getvalue().encode("utf-8")
