"""The field loop's two use cases: GPS tracks in (``patrolnet tracks import``) and dosage measured
(``patrolnet dosage``): per unit and hotspot, the minutes planned against the minutes the unit's
track spent there; per unit, how much of its planned route it ran along, and for a brigade car how
much of its beat's main roads.

The plan is the recorded shift plan of the day and shift (the approved one first, else the newest):
its routes GeoJSON holds every unit's route, stops (with their hotspot, place and times) and planned
dosage. The tracks are the workspace's ``tracks`` layer, the pings of each unit from half an hour
before the shift to half an hour after.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from app.i18n import normalize_lang, t
from app.services.imports import import_file
from app.services.params import canonical_shift
from app.services.plans import list_records
from app.services.worth import patrol_worth
from app.storage.access import Principal
from app.storage.workspace import Workspace
from geo.cameras.coverage import one_copy_per_street, street_copy_of
from geo.errors import InputError
from geo.mapmatch import RoadArcs, minutes_on_arcs
from geo.tables import ImportResult
from geo.tracks import CleanTrack, clean_track, covered_length, presence
from geo.writers import write_safe_csv, write_safe_xlsx
from routing.patrol import shift_window

__all__ = ["DOSAGE_COLUMNS", "RADIUS_M", "ROUTE_COLUMNS", "dosage_job", "import_tracks", "write_dosage"]

#: A unit is at a hotspot within this distance of the hotspot's stop (m): a 200 m box, about
#: ShotSpotter Missions' 250 m one.
RADIUS_M = 100.0
#: A street counts as run along within this distance of the track (m).
BUFFER_M = 25.0
#: Tracks are read from this long before the shift to this long after it.
_MARGIN = pd.Timedelta(minutes=30)
#: Days of tracks the patrol-coverage map shows by default (up to the newest ping).
COVERAGE_DAYS = 7
DOSAGE_COLUMNS = ("unit_id", "unit_name", "hotspot", "place", "planned_min", "actual_min", "share", "visits",
                  "longest_min", "first_arrival", "between_min")
ROUTE_COLUMNS = ("unit_id", "unit_name", "unit_kind", "pings", "gaps", "bad_fixes", "route_km", "route_share",
                 "beat", "beat_main_km", "beat_main_share")


def import_tracks(ws: Workspace, path: str | Path, *, unit_id: str | None = None, coords: str = "wgs84",
                  lang: str = "zh-CN", **options: Any) -> tuple[Workspace, ImportResult, Path | None]:
    """GPX 1.1, KML or CSV pings into the ``tracks`` layer (appended; a ping already there is refused
    as a duplicate), with the import's per-row report: :func:`app.services.imports.import_file` with
    the whole file given one unit when ``unit_id`` is set (a GPX of one phone)."""
    return import_file(ws, "tracks", path, coords=coords, lang=lang,
                       set_values={"unit_id": unit_id} if unit_id else None, **options)


def plan_routes(workspace: str | Path, user: Principal, day: dt.date, shift: str,
                unit_id: str | None = None) -> tuple[str, str, list[dict]]:
    """The recorded plan of ``day`` and ``shift`` that ``user`` may see, the approved one first, then
    the newest (with ``unit_id``: the first of those that routes that unit): its record id, status
    and route features (GeoJSON, WGS84).

    Raises
    ------
    InputError
        No such plan (``dosage.no_plan``).
    """
    records = sorted(list_records(workspace, user, kind="routes", day=day.isoformat(), shift=shift),
                     key=lambda r: r.created_at, reverse=True)
    for rec in [r for r in records if r.status == "approved"] + [r for r in records if r.status != "approved"]:
        name = next((f for f in rec.files if f.endswith("routes.geojson")), None)
        if name:
            data = json.loads((rec.folder / name).read_text(encoding="utf-8"))
            routes = [f for f in data["features"] if f["properties"].get("feature_type") == "route"]
            if unit_id is None or any(str(f["properties"].get("unit_id")) == unit_id for f in routes):
                return rec.id, rec.status, routes
    raise InputError(f"no shift plan recorded for {day} {shift}; plan the shift first (patrolnet routes)",
                     code="dosage.no_plan", day=str(day), shift=shift)


def _tracks(ws: Workspace, start: pd.Timestamp, end: pd.Timestamp) -> dict[str, CleanTrack]:
    if not ws.has("tracks") or ws.count("tracks") == 0:
        return {}
    pings = ws.read("tracks")
    when = pd.to_datetime(pings["recorded_at"])
    if getattr(when.dt, "tz", None) is None:
        when = when.dt.tz_localize(ws.timezone)
    pings = pings[(when >= start - _MARGIN) & (when <= end + _MARGIN)]
    out = {}
    for unit, grp in pings.groupby(pings["unit_id"].astype(str), sort=True):
        out[unit] = clean_track(pd.to_datetime(grp["recorded_at"]), grp.geometry.x.to_numpy(), grp.geometry.y.to_numpy())
    return out


def _to_ws(ws: Workspace, lonlat: list[tuple[float, float]]) -> np.ndarray:
    """WGS84 ``(lon, lat)`` pairs in the workspace's CRS, ``(n, 2)`` (NaN stays NaN)."""
    if not lonlat:
        return np.zeros((0, 2))
    arr = np.asarray(lonlat, dtype=float)
    pts = gpd.GeoSeries(gpd.points_from_xy(arr[:, 0], arr[:, 1]), crs="EPSG:4326").to_crs(ws.crs)
    return np.column_stack([pts.x.to_numpy(), pts.y.to_numpy()])


def dosage_job(ws: Workspace, workspace: str | Path, user: Principal, *, day: dt.date, shift: str,
               radius_m: float = RADIUS_M, lang: str = "zh-CN") -> dict[str, Any]:
    """Planned against actual, for the recorded plan of ``day`` and ``shift``: a row per unit and
    hotspot (:data:`DOSAGE_COLUMNS`) and a row per unit (:data:`ROUTE_COLUMNS`), with the plan's
    record id. A unit without pings gets zeros (it is shown, not dropped).

    Raises
    ------
    InputError
        No plan recorded for the day and shift (``dosage.no_plan``), a bad shift.
    """
    lang = normalize_lang(lang)
    shift = canonical_shift(shift)
    record_id, _, routes = plan_routes(workspace, user, day, shift)
    start, end = (pd.Timestamp(v) for v in shift_window(shift, date=day, tz=ws.timezone))
    tracks = _tracks(ws, start, end)
    edges = ws.read("edge_owners") if ws.has("edge_owners") else None
    hot_rows, unit_rows = [], []
    at_places: dict[str, dict[str, Any]] = {}  # hotspot -> its place and minutes, all units together
    for f in routes:
        p = f["properties"]
        unit = str(p["unit_id"])
        track = tracks.get(unit)
        # where each hotspot is: the plan's own place for it, else its first stop's
        stops = p["stops"]
        pts = _to_ws(ws, [(s["lon"], s["lat"]) for s in stops])
        places: dict[str, tuple[float, float, str]] = {}
        for s, pt in zip(stops, pts):
            if s.get("hotspot") and s["hotspot"] not in places:
                places[s["hotspot"]] = (pt[0], pt[1], s["label"])
        planned = list(p.get("dosage") or [])
        for d, pt in zip(planned, _to_ws(ws, [(d.get("lon", np.nan), d.get("lat", np.nan)) for d in planned])):
            if np.isfinite(pt[0]):
                places[d["hotspot"]] = (pt[0], pt[1], d.get("label") or places.get(d["hotspot"], (0, 0, ""))[2])
        # a unit planned by stops only (a grid team's loop): each place's stop minutes
        named = {d["hotspot"] for d in planned}
        for s in stops:
            if s.get("hotspot") and s["hotspot"] not in named:
                planned.append({"hotspot": s["hotspot"], "label": s["label"], "planned_min": 0.0})
                named.add(s["hotspot"])
            if s.get("hotspot") and not p.get("dosage"):
                row = next(d for d in planned if d["hotspot"] == s["hotspot"])
                row["planned_min"] = row["planned_min"] + float(s.get("duration_min") or 0.0)
        for d in planned:
            cx, cy, label = places.get(d["hotspot"], (np.nan, np.nan, d.get("label")))
            got = presence(track, cx, cy, radius_m) if track is not None and np.isfinite(cx) else None
            actual = got.minutes if got else 0.0
            first = (track.start + pd.Timedelta(seconds=got.first_s)).tz_convert(ws.timezone).strftime("%H:%M") \
                if got and got.first_s is not None else ""
            here = at_places.setdefault(d["hotspot"], {"x": cx, "y": cy, "planned_min": 0.0, "actual_min": 0.0})
            here["planned_min"] += float(d["planned_min"])
            here["actual_min"] += actual
            hot_rows.append({"unit_id": unit, "unit_name": p.get("name"), "hotspot": d["hotspot"], "place": label,
                             "planned_min": round(float(d["planned_min"]), 1), "actual_min": round(actual, 1),
                             "share": round(actual / d["planned_min"], 3) if d["planned_min"] else None,
                             "visits": got.visits if got else 0,
                             "longest_min": round(got.longest_min, 1) if got else 0.0, "first_arrival": first,
                             "between_min": " ".join(f"{v:g}" for v in got.between_min) if got else ""})
        line = gpd.GeoSeries([shapely.geometry.shape(f["geometry"])], crs="EPSG:4326").to_crs(ws.crs).iloc[0]
        route_km = line.length / 1000.0
        # the share of the streets of the route run along: each street once, however often it is driven
        # (the overlay behind covered_length counts an overlapping stretch once too)
        streets_km = shapely.length(shapely.union_all([line])) / 1000.0
        covered = covered_length([line], [track], buffer_m=BUFFER_M)[0] / 1000.0 if track is not None else 0.0
        row = {"unit_id": unit, "unit_name": p.get("name"), "unit_kind": p.get("unit_kind"),
               "pings": int(track.good.sum()) if track is not None else 0, "gaps": track.gaps if track else 0,
               "bad_fixes": track.bad_fixes if track else 0, "route_km": round(route_km, 2),
               "route_share": round(min(1.0, covered / streets_km), 3) if streets_km else None,
               "beat": p.get("beat"), "beat_main_km": None, "beat_main_share": None}
        if p.get("beat") is not None and edges is not None and "beat" in edges.columns:
            main = edges[(edges["beat"] == p["beat"]) & (edges["road_class"] == "main")]
            if len(main):
                main = main[one_copy_per_street(main)]  # a two-way street's two arcs count once
                total = float(shapely.length(main.geometry.to_numpy()).sum())
                ran = float(covered_length(main.geometry.to_numpy(), [track], buffer_m=BUFFER_M).sum()) if track else 0.0
                row["beat_main_km"] = round(total / 1000.0, 2)
                row["beat_main_share"] = round(ran / total, 3) if total else None
        unit_rows.append(row)
    with_tracks = sum(1 for f in routes if str(f["properties"]["unit_id"]) in tracks)
    return {"record": record_id, "day": str(day), "shift": shift, "radius_m": radius_m, "lang": lang,
            "units_with_tracks": with_tracks, "hotspots": hot_rows, "units": unit_rows,
            # what the plan and the patrol done may be worth: an estimate with its range and sources
            "worth": patrol_worth(ws, list(at_places.values()), day=day, shift=shift, radius_m=radius_m,
                                  with_tracks=bool(with_tracks), lang=lang),
            # what the command line and the page say above the tables, and the tables' headers
            "title": t("dosage.title", lang, day=str(day), shift=shift, record=record_id),
            "tracks_line": t("dosage.tracks", lang, n=with_tracks, m=len(unit_rows)),
            "labels": {c: t(f"dosage.col.{c}", lang) for c in dict.fromkeys(DOSAGE_COLUMNS + ROUTE_COLUMNS)}}


def patrol_coverage(ws: Workspace, *, start: dt.date | None = None, end: dt.date | None = None,
                    days: int = COVERAGE_DAYS) -> dict[str, Any]:
    """Minutes of patrol along each street from the ``tracks`` layer, ``start`` to ``end`` (whole
    days in the workspace's time zone; default: the ``days`` days up to the newest ping): GeoJSON
    (WGS84) of the streets patrolled (one line per street, both directions together), each with
    ``minutes``, plus the period, the units and the minutes in all.

    Raises
    ------
    InputError
        ``end`` before ``start`` (``param.period``).
    """
    empty = {"type": "FeatureCollection", "features": [], "start": None, "end": None, "units": 0, "minutes": 0.0}
    if not ws.has("tracks") or ws.count("tracks") == 0 or not ws.has("road_edges"):
        return empty
    if end is None:
        newest = pd.to_datetime(ws.read("tracks", columns=["recorded_at"])["recorded_at"]).max()
        end = (newest.tz_convert(ws.timezone) if newest.tzinfo else newest).date()
    start = start or end - dt.timedelta(days=days - 1)
    if end < start:
        raise InputError(f"the period ends ({end}) before it starts ({start})", code="param.period",
                         start=str(start), end=str(end))
    t0 = pd.Timestamp(start).tz_localize(ws.timezone)
    tracks = _tracks(ws, t0 + _MARGIN, pd.Timestamp(end + dt.timedelta(days=1)).tz_localize(ws.timezone) - _MARGIN)
    edges = ws.read("road_edges", columns=["edge_id", "u", "v", "key", "oneway", "length_m", "name"])
    # each ping on the street the map matcher puts it on, both directions of a street together
    per_arc = minutes_on_arcs(RoadArcs(edges["u"], edges["v"], edges.geometry.to_numpy()), list(tracks.values()))
    minutes = np.bincount(street_copy_of(edges), weights=per_arc, minlength=len(edges))
    hit = edges[minutes > 0].assign(minutes=minutes[minutes > 0].round(1))
    hit = hit[["edge_id", "name", "minutes", "geometry"]].to_crs("EPSG:4326")
    out = json.loads(hit.to_json(drop_id=True)) if len(hit) else {"type": "FeatureCollection", "features": []}
    return {**out, "start": start.isoformat(), "end": end.isoformat(), "units": len(tracks),
            "minutes": round(float(minutes.sum()), 1)}


def write_dosage(result: dict[str, Any], out: str | Path) -> Path:
    """:func:`dosage_job`'s tables as ``.csv`` (the hotspot table; UTF-8 with BOM) or ``.xlsx`` (both
    tables), headers in the result's language."""
    out = Path(out)
    lang = result["lang"]
    hot = pd.DataFrame(result["hotspots"], columns=list(DOSAGE_COLUMNS))
    hot.columns = [t(f"dosage.col.{c}", lang) for c in DOSAGE_COLUMNS]
    units = pd.DataFrame(result["units"], columns=list(ROUTE_COLUMNS))
    units.columns = [t(f"dosage.col.{c}", lang) for c in ROUTE_COLUMNS]
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() == ".csv":
        return write_safe_csv(hot, out)
    if out.suffix.lower() == ".xlsx":
        return write_safe_xlsx([(t("dosage.sheet.hotspots", lang), hot), (t("dosage.sheet.units", lang), units)], out,
                               stamp=dt.datetime.fromisoformat(result["day"]))
    raise InputError(f"--out {out.name}: write the dosage as a .csv or .xlsx file", code="param.out_list",
                     value=out.name)
