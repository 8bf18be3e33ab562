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

import pandas as pd

from app.services.dosage import plan_routes
from app.storage.access import Principal
from geo.errors import InputError

__all__ = ["MAX_PINGS", "check_unit", "pings_csv", "shift_units", "unit_plan"]

#: Pings one upload may hold: two days of a ping every 10 s.
MAX_PINGS = 20_000
#: The columns the phone sends per ping.
_PING_KEYS = ("t", "lon", "lat")


def shift_units(workspace: str | Path, user: Principal, *, day: dt.date, shift: str) -> dict[str, Any]:
    """The units of the recorded plan of ``day`` and ``shift`` (a station user: its station's plans
    only), for the phone page's choice of unit; none (and no record) when no plan is recorded."""
    try:
        record, status, routes = plan_routes(workspace, user, day, shift)
    except InputError as exc:  # no plan yet is an answer here (the phone says so), not a failure
        if exc.code != "dosage.no_plan":
            raise
        return {"record": None, "status": None, "day": day.isoformat(), "shift": shift, "units": []}
    units: dict[str, dict[str, Any]] = {}
    for f in routes:
        p = f["properties"]
        units.setdefault(str(p["unit_id"]), {"unit_id": str(p["unit_id"]), "name": p.get("name"),
                                             "unit_kind": p.get("unit_kind"), "lineup": p.get("lineup")})
    return {"record": record, "status": status, "day": day.isoformat(), "shift": shift,
            "units": sorted(units.values(), key=lambda u: u["unit_id"])}


def unit_plan(workspace: str | Path, user: Principal, *, day: dt.date, shift: str, unit_id: str) -> dict[str, Any]:
    """One unit's part of the recorded plan: its route(s) as GeoJSON lines (WGS84), its stops in
    order with their places and times, and its legs ("北湖路 1.2 km", "左转 抱石路 0.8 km").

    Raises
    ------
    InputError
        No plan recorded (``dosage.no_plan``), or the unit has no route in it (``phone.no_unit``).
    """
    record, status, routes = plan_routes(workspace, user, day, shift)
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
            "lineup": first.get("lineup"), "parts": parts}


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
