"""Writers for planned patrol routes: GeoJSON, GPX 1.1, KML 2.2, a printable zh-CN sheet, a dosage CSV.

Every writer takes a list of :class:`routing.patrol.RoutePlan` (brigade vehicles and teams alike) and
returns text; :func:`write_routes` picks the format from the file suffix. Coordinates leave the
projected working CRS only here: GeoJSON, GPX and KML are in WGS84 (EPSG:4326, longitude/latitude
degrees, 7 decimals ~ 1 cm). Times are ISO 8601 with the shift's UTC offset (GPX: UTC, as its schema
expects). The printable sheet is self-contained HTML (inline CSS and SVG; no external assets).

Every file is made from the plans alone, so the same plans give the same bytes: no time of writing
(the GPX metadata time is the shift's start), no random ids, units and stops in the plans' order.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import json
import math
import re
import zipfile
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

import jinja2
import numpy as np
import shapely
from pyproj import CRS, Transformer

from geo.atomic import atomic_write_bytes, atomic_write_text
from geo.errors import CRSError, InputError
from geo.jsonsafe import to_jsonable
from routing.graph import StreetLines, street_lines
from routing.patrol import UNIT_KIND_ZH, RoutePlan, Stop

__all__ = [
    "GPX_NS",
    "KML_NS",
    "UNIT_FILE_FORMATS",
    "dosage_csv",
    "file_parts",
    "keep_file_parts",
    "patrol_sheets_html",
    "road_sequence",
    "route_legs",
    "routes_geojson",
    "SheetStreets",
    "sheet_streets",
    "unit_file",
    "units_zip",
    "routes_gpx",
    "routes_kml",
    "write_routes",
]

T = TypeVar("T")
GPX_NS = "http://www.topografix.com/GPX/1/1"
KML_NS = "http://www.opengis.net/kml/2.2"
_XSI = "http://www.w3.org/2001/XMLSchema-instance"
UNNAMED = "无名道路"
_MODE_ZH = {"car": "巡逻车", "ebike": "电动车", "foot": "步巡"}


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------
@lru_cache(maxsize=16)
def _to_wgs84(crs_text: str) -> Transformer:
    return Transformer.from_crs(CRS.from_user_input(crs_text), "EPSG:4326", always_xy=True)


#: The transformation to lon/lat of each CRS value plans carry (by identity; the value kept with it,
#: so its id is not reused while it is here), ``None`` for a geographic CRS: a plan's every point
#: list is transformed, and reading the CRS's WKT again each time took longer than transforming.
_WGS84: dict[int, tuple[Any, Transformer | None]] = {}


def _wgs84_of(crs_value: Any) -> Transformer | None:
    got = _WGS84.get(id(crs_value))
    if got is not None and got[0] is crs_value:
        return got[1]
    crs = CRS.from_user_input(crs_value)
    transformer = None if crs.is_geographic else _to_wgs84(crs.to_wkt())
    if len(_WGS84) >= 64:
        _WGS84.clear()
    _WGS84[id(crs_value)] = (crs_value, transformer)
    return transformer


def _lonlat(plan: RoutePlan, xy: np.ndarray) -> np.ndarray:
    """Projected ``(n, 2)`` metres -> ``(n, 2)`` lon/lat degrees."""
    if plan.crs is None:
        raise CRSError(f"route of unit {plan.unit_id} has no CRS; plan it on a graph with G.graph['crs']")
    transformer = _wgs84_of(plan.crs)
    if transformer is None:
        return np.asarray(xy, dtype=float)
    lon, lat = transformer.transform(np.asarray(xy)[:, 0], np.asarray(xy)[:, 1])
    return np.column_stack([lon, lat])


def _iso(plan: RoutePlan, seconds: float) -> str | None:
    t = plan.at(seconds)
    return None if t is None else t.isoformat(timespec="seconds")


def _utc(plan: RoutePlan, seconds: float) -> str | None:
    t = plan.at(seconds)
    if t is None:
        return None
    u = t.astimezone(dt.UTC)
    return f"{u.year:04d}-{u.month:02d}-{u.day:02d}T{u.hour:02d}:{u.minute:02d}:{u.second:02d}Z"


def _hm(plan: RoutePlan, seconds: float) -> str:
    t = plan.at(seconds)
    if t is None:
        m = round(float(seconds) / 60)
        return f"+{m // 60:d}:{m % 60:02d}"
    return f"{t.hour:02d}:{t.minute:02d}"


def road_sequence(plan: RoutePlan, *, unnamed: str = UNNAMED) -> list[str]:
    """The route's street names in order, consecutive repeats merged (人民北路 → 北湖路 → ...)."""
    out: list[str] = []
    for name in plan.road_names:
        name = name or unnamed
        if not out or out[-1] != name:
            out.append(name)
    return out


#: A stretch of unnamed street shorter than this is told as part of the leg before it (a turn into a
#: yard, a link between two named streets); a longer one is a leg of its own, a side street.
SHORT_UNNAMED_M = 200.0
SIDE_STREET = "支路"


def _turn(before: float, after: float) -> str:
    """The turn between two directions (radians): 直行 within 30 degrees, 掉头 beyond 150, else 左转/右转."""
    if not (math.isfinite(before) and math.isfinite(after)):
        return "直行"
    delta = (math.degrees(after - before) + 540.0) % 360.0 - 180.0  # counter-clockwise: left
    if abs(delta) <= 30.0:
        return "直行"
    if abs(delta) >= 150.0:
        return "掉头"
    return "左转" if delta > 0 else "右转"


def route_legs(plan: RoutePlan) -> list[str]:
    """The route told as legs an officer can follow: ``北湖路 1.2 km → 左转 抱石路 0.8 km → ...``.

    Consecutive arcs of one street are one leg with its length; the turn into the next street is
    named from the directions where one ends and the next begins. A stretch of unnamed street shorter
    than :data:`SHORT_UNNAMED_M` counts towards the leg before it; a longer one is a leg of its own
    (:data:`SIDE_STREET`), never "无名道路". Plans made without arc lengths (older records) fall back
    to :func:`road_sequence`."""
    n = len(plan.road_names)
    if not n or len(plan.arc_length_m) != n or len(plan.arc_bearings) != n:
        return road_sequence(plan)
    groups: list[list[Any]] = []  # [name, metres, first arc, last arc]
    for i, name in enumerate(plan.road_names):
        if groups and groups[-1][0] == name:
            groups[-1][1] += plan.arc_length_m[i]
            groups[-1][3] = i
        else:
            groups.append([name, plan.arc_length_m[i], i, i])
    legs: list[list[Any]] = []
    for g in groups:
        if g[0] is None and g[1] < SHORT_UNNAMED_M and legs:
            legs[-1][1] += g[1]  # a short link: part of the leg before it
            legs[-1][3] = g[3]
            continue
        name = g[0] or SIDE_STREET
        if legs and legs[-1][0] == name:
            legs[-1][1] += g[1]
            legs[-1][3] = g[3]
        else:
            legs.append([name, g[1], g[2], g[3]])
    out = []
    for j, (name, metres, first, _) in enumerate(legs):
        text = f"{name} {metres / 1000:.1f} km" if metres >= 95 else f"{name} {max(10, round(metres, -1)):.0f} m"
        if j:
            turn = _turn(plan.arc_bearings[legs[j - 1][3]][1], plan.arc_bearings[first][0])
            text = f"{turn} {text}"
        out.append(text)
    return out


#: What was made lately from a plan (its legs, track points, map ...), by what and the plan's id: the
#: shared files and each unit's own files in the zip are written from the same plans one after the
#: other. The plan is kept with it, so its id is not reused while it is here; plans are frozen.
_MADE: dict[tuple[str, int], tuple[RoutePlan, Any, Any]] = {}
_MADE_MAX = 32768


def _made(what: str, p: RoutePlan, make: Callable[[], T], *, key: Any = None) -> T:
    """``make()`` once per plan (and ``key``) for the files written one after the other."""
    got = _MADE.get((what, id(p)))
    if got is not None and got[0] is p and got[1] == key:
        return got[2]
    value = make()
    if len(_MADE) >= _MADE_MAX:
        _MADE.clear()
    _MADE[(what, id(p))] = (p, key, value)
    return value


#: The parts of a plan's files made once per plan for all the files written from it (the shared files
#: and each unit's own files in the zip): what makes each, from the plan and the sheets' streets.
_PARTS: dict[str, Callable[[RoutePlan, Any], Any]] = {
    "legs": lambda p, streets: route_legs(p),
    "geojson": lambda p, streets: _features_text(p),
    "gpx.wpt": lambda p, streets: _gpx_waypoints(p),
    "gpx.trk": lambda p, streets: _gpx_track(p),
    "kml.folder": lambda p, streets: _kml_folder(p),
    "sheet": lambda p, streets: _one_sheet(p, streets),
}


def _part_key(what: str, streets: Any) -> Any:
    """What besides the plan a part is made of: the sheet's streets (by identity), else nothing."""
    return id(streets) if what == "sheet" else None


def _part(what: str, p: RoutePlan, streets: Any = None) -> Any:
    """Part ``what`` of :data:`_PARTS` of plan ``p``, made once."""
    return _made(what, p, lambda: _PARTS[what](p, streets), key=_part_key(what, streets))


def file_parts(plans: Sequence[RoutePlan], *, streets: Any = None) -> list[dict[str, tuple[Any, Any]]]:
    """What the files of each plan are made of, made now: its legs, GeoJSON features, GPX waypoints
    and track, KML folder and sheet (on ``streets``), per plan ``{what: (key, text)}``. A process forked after the
    planning makes them for its share of the plans; the process writing the files takes them with
    :func:`keep_file_parts` and then writes every file without making them again."""
    return [{what: (_part_key(what, streets), _part(what, p, streets)) for what in _PARTS} for p in plans]


def keep_file_parts(plans: Sequence[RoutePlan], parts: Sequence[Mapping[str, tuple[Any, Any]]]) -> None:
    """Keep :func:`file_parts` made elsewhere for ``plans`` (in the same order) for the files written next."""
    for p, got in zip(plans, parts):
        for what, (key, value) in got.items():
            if len(_MADE) >= _MADE_MAX:
                _MADE.clear()
            _MADE[(what, id(p))] = (p, key, value)


def _legs(p: RoutePlan) -> list[str]:
    """:func:`route_legs`, told once per plan for all its files."""
    return _part("legs", p)


def _route_lonlat(p: RoutePlan) -> np.ndarray:
    """The route's vertices in lon/lat (:func:`_lonlat`), transformed once per plan for all its files."""
    return _made("lonlat", p, lambda: _lonlat(p, p.coords))


def _route_text(p: RoutePlan) -> tuple[list[str], list[str]]:
    """The route's longitudes and latitudes as the GPX and KML files write them (7 decimals), once."""
    def text() -> tuple[list[str], list[str]]:
        ll = _route_lonlat(p)
        return [f"{v:.7f}" for v in ll[:, 0].tolist()], [f"{v:.7f}" for v in ll[:, 1].tolist()]
    return _made("lonlat.text", p, text)


def _stops_lonlat(p: RoutePlan) -> np.ndarray:
    """The stops' places in lon/lat (:func:`_lonlat`), transformed once per plan for all its files."""
    return _made("stops.lonlat", p, lambda: _lonlat(p, np.array([[s.x, s.y] for s in p.stops]).reshape(-1, 2)))


def _stop_dicts(plan: RoutePlan) -> list[dict[str, Any]]:
    lonlat = _stops_lonlat(plan)
    return [
        {
            "seq": s.seq, "label": s.label, "road": s.road, "hotspot": s.hotspot,
            "lon": round(float(ll[0]), 7), "lat": round(float(ll[1]), 7),
            "arrive": _iso(plan, s.arrive_s), "depart": _iso(plan, s.depart_s),
            "arrive_min": round(s.arrive_s / 60, 2), "duration_min": round(s.duration_min, 2),
        }
        for s, ll in zip(plan.stops, lonlat)
    ]


def _dosage_place(plan: RoutePlan, d: Any) -> dict[str, float]:
    """A planned hotspot's ``lon``/``lat`` (where the field loop measures the minutes spent at it)."""
    if not (math.isfinite(d.x) and math.isfinite(d.y)):
        return {}
    ll = _lonlat(plan, np.array([[d.x, d.y]]))[0]
    return {"lon": round(float(ll[0]), 7), "lat": round(float(ll[1]), 7)}


def _num(x: float, nd: int = 1) -> float | None:
    return None if x is None or not math.isfinite(x) else round(float(x), nd)


# --------------------------------------------------------------------------------------------
# GeoJSON
# --------------------------------------------------------------------------------------------
def _plan_features(p: RoutePlan, stop_points: bool = True) -> list[dict[str, Any]]:
    """The features of one plan in :func:`routes_geojson`: its route, then its stops."""
    features: list[dict[str, Any]] = []
    ll = _route_lonlat(p)
    stops = _stop_dicts(p)
    props = {
        "feature_type": "route",
        "unit_id": p.unit_id, "unit_kind": p.unit_kind, "name": p.name, "mode": p.mode, "lineup": p.lineup,
        "officers": p.officers, "auxiliaries": p.auxiliaries, "volunteers": p.volunteers,
        "beat": to_jsonable(p.beat),
        "shift_start": p.shift_start.isoformat(timespec="seconds") if p.shift_start else None,
        "shift_end": p.shift_end.isoformat(timespec="seconds") if p.shift_end else None,
        "length_m": _num(p.length_m), "duration_min": _num(p.duration_min, 2),
        "coverage_length_m": _num(p.coverage_length_m), "coverage_lower_bound_m": _num(p.coverage_lower_bound_m),
        "coverage_gap": _num(p.coverage_gap, 4),
        "alternative": p.alternative, "alternatives": p.alternatives, "prize": _num(p.prize, 3),
        "roads": road_sequence(p), "legs": _legs(p), "stops": stops, "warnings": _warnings(p),
        "left_out": list(p.extra.get("left_out", ())),
        "dosage": [{"hotspot": d.hotspot, "label": d.label, "planned_min": d.planned_min,
                    "share_planned": round(d.share_planned, 4), "share_risk": round(d.share_risk, 4),
                    **_dosage_place(p, d)}
                   for d in p.dosage],
    }
    coords = np.round(ll, 7).tolist()
    geom = ({"type": "LineString", "coordinates": coords} if len(coords) >= 2
            else {"type": "Point", "coordinates": coords[0]})
    features.append({"type": "Feature", "geometry": geom, "properties": props})
    if stop_points:
        for s in stops:
            features.append({
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [s["lon"], s["lat"]]},
                "properties": {"feature_type": "stop", "unit_id": p.unit_id, "unit_kind": p.unit_kind, **s},
            })
    return features


def _features_text(p: RoutePlan) -> str:
    """A plan's features as they stand in the GeoJSON file's feature list."""
    return ", ".join(json.dumps(f, ensure_ascii=False) for f in _plan_features(p))


def _geojson_text(plans: Sequence[RoutePlan]) -> str:
    """``json.dumps(routes_geojson(plans), ensure_ascii=False)``, byte for byte, from each plan's
    features written once (:func:`file_parts`)."""
    texts = [_part("geojson", p) for p in plans]
    return '{"type": "FeatureCollection", "features": [' + ", ".join(texts) + "]}"


def routes_geojson(plans: Sequence[RoutePlan], *, stop_points: bool = True) -> dict[str, Any]:
    """A GeoJSON FeatureCollection (WGS84): one LineString per unit, plus a Point per stop.

    Route properties: ``feature_type`` ("route"), ``unit_id``, ``unit_kind``, ``name``, ``mode``,
    ``lineup`` ("1+2+N"), ``beat``, ``shift_start``/``shift_end``, ``length_m``, ``duration_min``,
    ``coverage_length_m``, ``coverage_gap``, ``roads`` (merged street sequence), ``stops`` (each with
    ``arrive``/``depart`` ISO 8601 with offset, ``lon``/``lat``, ``duration_min``) and ``dosage``.
    """
    features: list[dict[str, Any]] = []
    for p in plans:
        features += _plan_features(p, stop_points)
    return {"type": "FeatureCollection", "features": features}


# --------------------------------------------------------------------------------------------
# GPX 1.1
# --------------------------------------------------------------------------------------------
def _x(text: str) -> str:
    """XML character data escaped (as ``xml.etree`` writes it)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _xa(text: str) -> str:
    """An XML attribute value escaped (as ``xml.etree`` writes it)."""
    return (_x(text).replace('"', "&quot;").replace("\r", "&#13;").replace("\n", "&#10;")
            .replace("\t", "&#09;"))


def _el(indent: int, tag: str, text: str | None) -> str:
    """One element with text on its own line, ``indent`` spaces in (``None``: no element; ``""``: an
    empty one)."""
    if text is None:
        return ""
    return f"{' ' * indent}<{tag}>{_x(text)}</{tag}>\n" if text else f"{' ' * indent}<{tag} />\n"


def routes_gpx(plans: Sequence[RoutePlan], *, creator: str = "patrolnet") -> str:
    """GPX 1.1: a ``<wpt>`` per stop (time = arrival, UTC), then a ``<trk>`` per unit whose
    ``<trkpt>`` carry the planned time at every vertex. Element order follows the GPX 1.1 schema.
    Each plan's waypoints and track are written once for all the files made from it (the shared
    file and the unit's own in the zip)."""
    first = next((p for p in plans if p.shift_start is not None), None)
    head = (f'<?xml version="1.0" encoding="UTF-8"?>\n<gpx xmlns="{GPX_NS}" xmlns:xsi="{_XSI}" version="1.1" '
            f'creator="{_xa(creator)}" xsi:schemaLocation="{GPX_NS} {GPX_NS}/gpx.xsd">\n'
            f" <metadata>\n{_el(2, 'name', '巡逻路线')}{_el(2, 'desc', f'{len(plans)} 个巡逻单元')}"
            f"{_el(2, 'time', None if first is None else _utc(first, 0.0))} </metadata>\n")
    parts = [head]
    parts += [_part("gpx.wpt", p) for p in plans]  # all waypoints before the tracks
    parts += [_part("gpx.trk", p) for p in plans]
    parts.append("</gpx>\n")
    return "".join(parts)


def _gpx_waypoints(p: RoutePlan) -> str:
    """A plan's ``<wpt>`` elements: its stops."""
    ll = _stops_lonlat(p)
    out = []
    for s, (lon, lat) in zip(p.stops, ll.tolist()):
        desc = f"{_hm(p, s.arrive_s)}–{_hm(p, s.depart_s)}，停留 {s.duration_min:.0f} 分钟" + (f"，{s.road}" if s.road else "")
        out.append(f' <wpt lat="{lat:.7f}" lon="{lon:.7f}">\n{_el(2, "time", _utc(p, s.arrive_s))}'
                   f'{_el(2, "name", f"{p.name} 停留点{s.seq}：{s.label}")}{_el(2, "desc", desc)}'
                   f'  <type>stop</type>\n </wpt>\n')
    return "".join(out)


def _gpx_track(p: RoutePlan) -> str:
    """A plan's ``<trk>``: the route with the planned time at every vertex."""
    seg = f"  <trkseg>\n{_track_points(p)}  </trkseg>\n" if len(p.coords) else "  <trkseg />\n"
    return (f" <trk>\n{_el(2, 'name', f'{p.name}（{p.unit_id}）')}"
            f"{_el(2, 'desc', f'里程 {p.length_m / 1000:.1f} 公里，用时 {p.duration_min:.0f} 分钟，警力 {p.lineup}')}"
            f"{_el(2, 'type', str(p.unit_kind))}{seg} </trk>\n")


def _track_points(p: RoutePlan) -> str:
    """The ``<trkpt>`` elements of a route (indented under a ``<trkseg>``), with the planned time of
    every vertex in UTC (whole seconds, as ``_utc``)."""
    lon, lat = _route_text(p)
    if p.shift_start is None:
        return "".join(f'   <trkpt lat="{a}" lon="{b}" />\n' for a, b in zip(lat, lon))
    base = np.datetime64(p.shift_start.astimezone(dt.UTC).replace(tzinfo=None), "us")
    at = base + np.round(np.asarray(p.coord_s, dtype=float) * 1e6).astype("timedelta64[us]")
    stamps = np.datetime_as_string(at.astype("datetime64[s]"), unit="s").tolist()
    return "".join(f'   <trkpt lat="{a}" lon="{b}">\n    <time>{t}Z</time>\n   </trkpt>\n'
                   for a, b, t in zip(lat, lon, stamps))


# --------------------------------------------------------------------------------------------
# KML 2.2
# --------------------------------------------------------------------------------------------
_KML_COLORS = ["ff0000ff", "ffff0000", "ff00a000", "ff00a5ff", "ff800080", "ff808000", "ff0080ff", "ff404040"]


def routes_kml(plans: Sequence[RoutePlan], *, name: str = "巡逻路线") -> str:
    """KML 2.2: a Folder per unit with the route as a LineString Placemark and a Point Placemark per
    stop (TimeSpan arrival-departure). Each plan's folder is written once for all the files made
    from it (its line's colour set where it is placed)."""
    parts = [f'<?xml version="1.0" encoding="UTF-8"?>\n<kml xmlns="{KML_NS}">\n <Document>\n{_el(2, "name", name)}']
    parts += [f'  <Style id="route{i}">\n   <LineStyle>\n    <color>{c}</color>\n    <width>4</width>\n'
              f'   </LineStyle>\n  </Style>\n' for i, c in enumerate(_KML_COLORS)]
    for j, p in enumerate(plans):
        parts.append(_part("kml.folder", p).replace(
            "<styleUrl>#route@</styleUrl>", f"<styleUrl>#route{j % len(_KML_COLORS)}</styleUrl>", 1))
    parts.append(" </Document>\n</kml>\n")
    return "".join(parts)


def _kml_span(indent: int, p: RoutePlan, begin_s: float, end_s: float) -> str:
    if p.shift_start is None:
        return ""
    pad = " " * indent
    return (f"{pad}<TimeSpan>\n{_el(indent + 1, 'begin', _iso(p, begin_s))}{_el(indent + 1, 'end', _iso(p, end_s))}"
            f"{pad}</TimeSpan>\n")


def _kml_folder(p: RoutePlan) -> str:
    """A plan's ``<Folder>``: its route's Placemark (style ``#route@``, set by :func:`routes_kml`)
    and a Placemark per stop."""
    legs = " → ".join(_legs(p)[:30])
    out = [f"  <Folder>\n{_el(3, 'name', f'{p.name}（{p.unit_id}）')}   <Placemark>\n"
           f"{_el(4, 'name', f'{p.name} 巡逻路线')}"
           f"{_el(4, 'description', f'里程 {p.length_m / 1000:.1f} 公里，用时 {p.duration_min:.0f} 分钟；{legs}')}"
           f"{_kml_span(4, p, 0.0, p.duration_min * 60)}    <styleUrl>#route@</styleUrl>\n"
           f"    <LineString>\n     <tessellate>1</tessellate>\n{_el(5, 'coordinates', _kml_coordinates(p))}"
           f"    </LineString>\n   </Placemark>\n"]
    sll = _stops_lonlat(p)
    for s, (lon, lat) in zip(p.stops, sll.tolist()):
        out.append(f"   <Placemark>\n{_el(4, 'name', f'{s.seq}. {s.label}')}"
                   f"{_el(4, 'description', f'{_hm(p, s.arrive_s)}–{_hm(p, s.depart_s)}，停留 {s.duration_min:.0f} 分钟')}"
                   f"{_kml_span(4, p, s.arrive_s, s.depart_s)}    <Point>\n"
                   f"     <coordinates>{lon:.7f},{lat:.7f},0</coordinates>\n    </Point>\n   </Placemark>\n")
    out.append("  </Folder>\n")
    return "".join(out)


def _kml_coordinates(p: RoutePlan) -> str:
    """The route's ``<coordinates>`` text (lon,lat,0 with 7 decimals)."""
    lon, lat = _route_text(p)
    return " ".join(f"{a},{b},0" for a, b in zip(lon, lat))


# --------------------------------------------------------------------------------------------
# printable sheet (zh-CN)
# --------------------------------------------------------------------------------------------
_SHEET = """<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>{{ title }}</title>
<style>
@page { size: A4; margin: 12mm; }
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", sans-serif;
       font-size: 10.5pt; color: #111; margin: 0; }
.sheet { page-break-after: always; break-after: page; padding: 4mm 0; }
.sheet:last-child { page-break-after: auto; break-after: auto; }
h1 { font-size: 17pt; margin: 0 0 2mm; text-align: center; letter-spacing: 0.1em; }
table { border-collapse: collapse; width: 100%; margin: 2mm 0 3mm; }
th, td { border: 1px solid #444; padding: 0.8mm 1.6mm; text-align: left; vertical-align: top; }
th { background: #eee; white-space: nowrap; }
td.n { text-align: right; white-space: nowrap; }
.roads { font-size: 9.5pt; line-height: 1.45; margin: 1mm 0 2mm; }
.warn { color: #a00; font-weight: bold; }
.map { text-align: center; }
.map svg { border: 1px solid #999; max-width: 100%; height: auto; }
.sign { margin-top: 6mm; display: flex; justify-content: space-between; }
.small { color: #555; font-size: 9pt; }
</style>
</head>
<body>
{% for s in sheets %}{{ s | safe }}{% endfor %}
</body>
</html>
"""

#: One unit's sheet (a section of :data:`_SHEET`), rendered once per plan for all the files.
_ONE_SHEET = """
<section class="sheet" id="unit-{{ s.unit_id }}">
<h1>巡逻任务单</h1>
<table>
<tr><th>巡逻单元</th><td>{{ s.name }}（{{ s.unit_id }}）</td><th>类别</th><td>{{ s.kind_zh }}</td></tr>
<tr><th>警力配置</th><td>{{ s.lineup_text }}</td><th>巡逻方式</th><td>{{ s.mode_zh }}</td></tr>
<tr><th>班次</th><td>{{ s.shift }}</td><th>巡区</th><td>{{ s.beat }}</td></tr>
<tr><th>里程</th><td>{{ s.km }} 公里</td><th>用时</th><td>{{ s.minutes }} 分钟{% if s.shift_min %}（班次 {{ s.shift_min }} 分钟）{% endif %}</td></tr>
{% if s.coverage %}<tr><th>{{ s.coverage_head }}</th><td colspan="3">{{ s.coverage }}</td></tr>{% endif %}
{% for w in s.warnings %}<tr><th>注意</th><td colspan="3" class="warn">{{ w }}</td></tr>{% endfor %}
</table>
<h2 style="font-size:12pt;margin:2mm 0">巡逻路线（按顺序）</h2>
<p class="roads">{{ s.roads | join(" → ") }}</p>
{% if s.stops %}
<h2 style="font-size:12pt;margin:2mm 0">定点守候</h2>
<table>
<tr><th>序号</th><th>地点</th><th>道路</th><th>到达</th><th>离开</th><th>停留（分钟）</th></tr>
{% for st in s.stops %}<tr><td class="n">{{ st.seq }}</td><td>{{ st.label }}</td><td>{{ st.road }}</td><td>{{ st.arrive }}</td><td>{{ st.depart }}</td><td class="n">{{ st.minutes }}</td></tr>
{% endfor %}</table>
{% endif %}
{% if s.dosage %}
<h2 style="font-size:12pt;margin:2mm 0">热点巡逻时长（剂量）</h2>
<table>
<tr><th>热点</th><th>停留次数</th><th>停留分钟</th><th>途经分钟</th><th>占计划时长</th><th>占风险</th></tr>
{% for d in s.dosage %}<tr><td>{{ d.label }}</td><td class="n">{{ d.visits }}</td><td class="n">{{ d.stop }}</td><td class="n">{{ d.passing }}</td><td class="n">{{ d.share_planned }}</td><td class="n">{{ d.share_risk }}</td></tr>
{% endfor %}</table>
{% endif %}
<div class="map">{{ s.svg | safe }}</div>
<p class="small">■ 出发/返回点　● 停留点（编号同上表）。路线按道路等级限速计算时间，到达时间为计划值。</p>
<div class="sign"><span>带班领导签字：__________</span><span>执勤人员签字：__________</span><span>日期：__________</span></div>
</section>
"""

_ENV = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)


@lru_cache(maxsize=2)
def _sheet_template(one: bool = False) -> jinja2.Template:
    """The sheets' page (or, ``one``, one unit's sheet) template, compiled once."""
    return _ENV.from_string(_ONE_SHEET if one else _SHEET)


#: A sheet's map draws the local streets within this many metres of the route (all main roads in view).
BASEMAP_NEAR_M = 200.0
#: ... and writes the names of this many streets, the longest in view first.
BASEMAP_LABELS = 8


class SheetStreets(NamedTuple):
    """The streets the sheets' maps are drawn on (:func:`sheet_streets`), each street once."""

    geoms: np.ndarray
    names: list[str | None]
    main: np.ndarray
    tree: shapely.STRtree
    lengths: np.ndarray
    #: each street's SVG points in whole metres east and south of ``origin`` (drawn once, placed
    #: on every sheet's map by a transform)
    points: list[str]
    origin: tuple[float, float]
    #: each street's name as a number (-1: unnamed), ``names_of[code]`` its name
    codes: np.ndarray
    names_of: list[str]


def _basemap(streets: SheetStreets, lo: np.ndarray, hi: np.ndarray, route: np.ndarray,
             k: float, tr: Any) -> list[str]:
    """The SVG of the streets under a sheet's map: grey lines (main roads wider), the names of the
    longest named streets in view along them. The streets' points are made once for all the sheets
    (:class:`SheetStreets`) and placed on this map (pixels = ``tr`` of metres, scale ``k``) by a
    transform."""
    idx = streets.tree.query(shapely.box(lo[0], lo[1], hi[0], hi[1]))
    main = streets.main
    if len(route) >= 2:  # main roads in view, the rest near the route (a drawing's accuracy is ample)
        line = shapely.get_coordinates(shapely.simplify(shapely.linestrings(route), BASEMAP_NEAR_M / 20))
        # boxes around the route's pieces widened by the distance: streets near it (a drawing's accuracy)
        a, b, d = line[:-1], line[1:], BASEMAP_NEAR_M
        boxes = shapely.box(np.minimum(a[:, 0], b[:, 0]) - d, np.minimum(a[:, 1], b[:, 1]) - d,
                            np.maximum(a[:, 0], b[:, 0]) + d, np.maximum(a[:, 1], b[:, 1]) + d)
        near = np.unique(streets.tree.query(boxes)[1])
        idx = idx[main[idx] | np.isin(idx, near)]
    idx = np.sort(idx)
    out: list[str] = []
    if len(idx):
        ox, oy = streets.origin
        tx, ty = tr(np.array([[ox, oy]]))[0]
        out.append(f'<g transform="matrix({k:.6g} 0 0 {k:.6g} {tx:.1f} {ty:.1f})" fill="none" '
                   f'stroke-linejoin="round">')
        for is_main, width, color in ((False, 1.2, "#d4d4d4"), (True, 3.0, "#b8b8b8")):  # main roads on top
            sel = idx[main[idx] == is_main].tolist()
            if sel:
                out.append(f'<g stroke="{color}" stroke-width="{width / k:.4g}">')
                out += [f'<polyline points="{streets.points[j]}"/>' for j in sel]
                out.append("</g>")
        out.append("</g>")
    for name, i in _labelled(streets, idx):
        mid = shapely.line_interpolate_point(streets.geoms[i], 0.5, normalized=True)
        x, y = tr(np.array([[shapely.get_x(mid), shapely.get_y(mid)]]))[0]
        out.append(f'<text x="{x:.1f}" y="{y - 3:.1f}" font-size="10" fill="#555" text-anchor="middle" '
                   f'stroke="#fafafa" stroke-width="3" paint-order="stroke">{html.escape(name)}</text>')
    return out


def _labelled(streets: SheetStreets, idx: np.ndarray) -> list[tuple[str, int]]:
    """The :data:`BASEMAP_LABELS` names of the streets ``idx`` (ascending) with the most metres in
    view (ties by name), each with its longest street there (of equals, the last) to write it along."""
    lens = streets.lengths
    named = idx[streets.codes[idx] >= 0]
    if not len(named):
        return []
    code, at = np.unique(streets.codes[named], return_inverse=True)
    total = np.bincount(at, weights=lens[named])  # summed in the streets' order, as one by one
    order = np.lexsort((-named, -lens[named], at))  # per name: the longest first, of equals the last
    first = order[np.r_[True, at[order][1:] != at[order][:-1]]]
    best = dict(zip(at[first].tolist(), named[first].tolist()))
    ranked = sorted(range(len(code)), key=lambda j: (-total[j], streets.names_of[code[j]]))[:BASEMAP_LABELS]
    return [(streets.names_of[code[j]], best[j]) for j in ranked]


def sheet_streets(G: Any, *, lines: StreetLines | None = None) -> SheetStreets:
    """The streets a sheet's map is drawn on, from the road graph the plans were made on (each
    street once, not once per direction: :func:`routing.graph.street_lines`, or ``lines`` when
    already made): their lines, names, whether each is a main road, their spatial index and their
    SVG points (made once for all the sheets)."""
    lines = street_lines(G) if lines is None else lines
    drawn = np.flatnonzero([g is not None for g in lines.geoms])
    geoms = lines.geoms[drawn]
    points: list[str] = []
    origin = (0.0, 0.0)
    if len(geoms):
        xy, which = shapely.get_coordinates(geoms, return_index=True)
        origin = (math.floor(float(xy[:, 0].min())), math.ceil(float(xy[:, 1].max())))
        east = np.round(xy[:, 0] - origin[0]).astype(np.int64).astype(str)
        south = np.round(origin[1] - xy[:, 1]).astype(np.int64).astype(str)
        pairs = np.char.add(np.char.add(east, ","), south).tolist()
        cuts = np.r_[0, np.cumsum(np.bincount(which, minlength=len(geoms)))].tolist()  # empty lines too
        points = [" ".join(pairs[a:b]) for a, b in zip(cuts[:-1], cuts[1:])]
    names = lines.names[drawn].tolist()
    number: dict[str, int] = {}
    codes = np.array([number.setdefault(n, len(number)) if n else -1 for n in names], dtype=np.int64)
    return SheetStreets(geoms, names, lines.main[drawn].astype(bool),
                        shapely.STRtree(geoms), shapely.length(geoms) if len(geoms) else np.zeros(0),
                        points, origin, codes, list(number))


def _svg(plan: RoutePlan, *, width: int = 640, height: int = 380, max_points: int = 4000,
         streets: Any = None) -> str:
    """A small inline SVG map of the route from the projected coordinates (north up), on the
    streets around it when ``streets`` (:func:`sheet_streets`) are given."""
    xy = np.asarray(plan.coords, dtype=float)
    pts = [xy, np.array([plan.base_xy]), np.array([[s.x, s.y] for s in plan.stops]).reshape(-1, 2)]
    allp = np.vstack([p for p in pts if len(p)])
    lo, hi = allp.min(axis=0), allp.max(axis=0)
    span = np.maximum(hi - lo, 1.0)
    pad = 16.0
    k = min((width - 2 * pad) / span[0], (height - 2 * pad) / span[1])

    def tr(p: np.ndarray) -> np.ndarray:
        out = np.empty_like(p)
        out[:, 0] = pad + (p[:, 0] - lo[0]) * k
        out[:, 1] = height - pad - (p[:, 1] - lo[1]) * k
        return out

    line = xy
    if len(line) > max_points:
        line = shapely.get_coordinates(shapely.simplify(shapely.linestrings(line), span.max() / 1000))
    pl = " ".join(f"{a:.1f},{b:.1f}" for a, b in tr(line).tolist())
    parts = [(f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
              f'viewBox="0 0 {width} {height}" role="img" aria-label="路线示意图">'),
             f'<rect width="{width}" height="{height}" fill="#fafafa"/>']
    if streets is not None:
        margin = np.array([pad, pad]) / k
        parts += _basemap(streets, lo - margin, hi + margin, xy, k, tr)
    if len(line) >= 2:
        parts.append(f'<polyline points="{pl}" fill="none" stroke="#c0392b" stroke-width="2" '
                     f'stroke-linejoin="round" stroke-opacity="0.75"/>')
    bx, by = tr(np.array([plan.base_xy]))[0]
    parts.append(f'<rect x="{bx - 6:.1f}" y="{by - 6:.1f}" width="12" height="12" fill="#1f4e9e"/>')
    spots = tr(np.array([[s.x, s.y] for s in plan.stops], dtype=float).reshape(-1, 2)).tolist()
    for s, (sx, sy) in zip(plan.stops, spots):
        parts.append(f'<circle cx="{sx:.1f}" cy="{sy:.1f}" r="8" fill="#f1c40f" stroke="#333"/>'
                     f'<text x="{sx:.1f}" y="{sy + 3.5:.1f}" font-size="10" text-anchor="middle">{s.seq}</text>')
    bar_m = 10 ** math.floor(math.log10(max(span.max() / 4, 1.0)))
    bar_px = bar_m * k
    parts.append(f'<line x1="{pad}" y1="{height - 6}" x2="{pad + bar_px:.1f}" y2="{height - 6}" stroke="#333" '
                 f'stroke-width="2"/><text x="{pad + bar_px + 4:.1f}" y="{height - 3}" font-size="10">'
                 f'{bar_m / 1000:g} 公里</text>' if bar_m >= 1000 else
                 f'<line x1="{pad}" y1="{height - 6}" x2="{pad + bar_px:.1f}" y2="{height - 6}" stroke="#333" '
                 f'stroke-width="2"/><text x="{pad + bar_px + 4:.1f}" y="{height - 3}" font-size="10">{bar_m:g} 米</text>')
    parts.append(f'<text x="{width - 14}" y="20" font-size="12" text-anchor="middle">北</text>'
                 f'<path d="M{width - 14},24 l-5,12 h10 z" fill="#333"/>')
    parts.append("</svg>")
    return "".join(parts)


def _shift_text(p: RoutePlan) -> str:
    if p.shift_start is None:
        return "—"
    end = p.shift_end or p.at(p.duration_min * 60)
    end_txt = "24:00" if (end.time() == dt.time(0) and end.date() > p.shift_start.date()) else end.strftime("%H:%M")
    return f"{p.shift_start:%Y-%m-%d} {p.shift_start:%H:%M}–{end_txt}"


def _lineup_text(p: RoutePlan) -> str:
    text = f"民警 {p.officers} 名，辅警 {p.auxiliaries} 名"
    if p.volunteers or p.unit_kind in ("grid_team", "volunteer_team"):
        text += f"，群防群治力量 {p.volunteers} 名"
    return text + f"（{p.lineup}）"


def _stop_rows(p: RoutePlan) -> list[dict[str, str]]:
    """The stops table of a sheet: every stop of the first lap; the laps after it (a walked-out area
    walked again the same way round) in one row each, their stops in the same order."""
    first = [st for st in p.stops if "圈）" not in st.label]
    rows = [{"seq": str(st.seq), "label": st.label, "road": st.road or "", "arrive": _hm(p, st.arrive_s),
             "depart": _hm(p, st.depart_s), "minutes": f"{st.duration_min:.0f}"} for st in first]
    laps: dict[int, list[Stop]] = {}
    for st in p.stops[len(first):]:
        m = re.search(r"（第(\d+)圈）$", st.label)
        laps.setdefault(int(m.group(1)) if m else 0, []).append(st)
    for lap, stops in sorted(laps.items()):
        rows.append({"seq": f"{stops[0].seq}–{stops[-1].seq}", "label": f"第 {lap} 圈：按上表顺序再巡 {len(stops)} 个点",
                     "road": "", "arrive": _hm(p, stops[0].arrive_s), "depart": _hm(p, stops[-1].depart_s),
                     "minutes": f"{sum(st.duration_min for st in stops):.0f}"})
    return rows


def _warnings(p: RoutePlan) -> list[str]:
    """What a plan's sheet and files must tell beside the route: main roads it leaves out, a
    neighborhood walked out before the loop's minutes were up, a loop walked more than once."""
    out = [str(w) for w in p.extra.get("warnings", ())]
    laps = int(p.extra.get("laps", 1) or 1)
    if laps > 1:
        out.append(f"片区内的停留点一圈已全部走到，按同一路线共巡 {laps} 圈以上，直至用满时间")
    if p.extra.get("walked_out"):
        out.append(f"片区已巡完：路线只用了 {p.extra.get('fill', 0):.0%} 的巡逻时间；可扩大片区或缩短巡逻时长")
    return out


def patrol_sheets_html(plans: Sequence[RoutePlan], *, title: str = "巡逻任务单", streets: Any = None) -> str:
    """Printable zh-CN patrol sheets, one or two A4 pages per unit: unit, line-up, shift, the route
    as legs, stops with times (laps after the first in one line), totals, dosage and an inline SVG
    map, on the streets around the route when ``streets`` (:func:`sheet_streets`) are given
    (self-contained HTML)."""
    sheets = [_part("sheet", p, streets) for p in plans]
    return _sheet_template().render(title=title, sheets=sheets)


def _one_sheet(p: RoutePlan, streets: Any) -> str:
    """One unit's sheet (a ``<section>``) of :func:`patrol_sheets_html`."""
    coverage = ""
    if math.isfinite(p.coverage_length_m) and p.unit_kind == "brigade_vehicle":
        coverage = f"主干道全覆盖一圈 {p.coverage_length_m / 1000:.1f} 公里"
        if p.coverage_gap == 0:
            coverage += "（已证明为最短覆盖路线）"
        elif math.isfinite(p.coverage_lower_bound_m) and p.coverage_lower_bound_m > 0:
            coverage += f"（理论下界 {p.coverage_lower_bound_m / 1000:.1f} 公里，至多长 {p.coverage_gap:.1%}）"
    elif p.alternatives > 1:
        coverage = f"今日第 {p.alternative + 1} 套（共 {p.alternatives} 套备选路线，按日期轮换，不固定规律）"
    s = {
        "unit_id": p.unit_id, "name": p.name, "kind_zh": UNIT_KIND_ZH.get(p.unit_kind, p.unit_kind),
        "lineup_text": _lineup_text(p), "mode_zh": _MODE_ZH.get(p.mode, p.mode), "shift": _shift_text(p),
        "beat": "—" if p.beat is None else str(p.beat), "km": f"{p.length_m / 1000:.1f}",
        "minutes": f"{p.duration_min:.0f}", "shift_min": f"{p.shift_min:.0f}" if math.isfinite(p.shift_min) else "",
        "coverage": coverage, "coverage_head": "覆盖巡逻" if p.unit_kind == "brigade_vehicle" else "路线轮换",
        "roads": _legs(p), "warnings": _warnings(p),
        "stops": _stop_rows(p),
        # stops and passes apart: a hotspot only driven past shows 0 stops and its minutes passing
        "dosage": [{"label": d.label, "visits": d.visits, "stop": f"{d.stop_min:.0f}", "passing": f"{d.pass_min:.0f}",
                    "share_planned": f"{d.share_planned:.0%}", "share_risk": f"{d.share_risk:.0%}"} for d in p.dosage],
        "svg": _svg(p, streets=streets),
    }
    return _sheet_template(one=True).render(s=s) + "\n"  # (jinja drops a template's last newline)


# --------------------------------------------------------------------------------------------
# dosage CSV
# --------------------------------------------------------------------------------------------
DOSAGE_COLUMNS = ["unit_id", "unit_name", "hotspot", "label", "visits", "stop_min", "pass_min", "planned_min",
                  "share_planned", "weight", "share_risk"]


def dosage_csv(plans: Sequence[RoutePlan]) -> str:
    """The dosage table as CSV text: per unit and hotspot, planned minutes (stops + passes), their
    share of the unit's hotspot minutes, and the hotspot's share of the unit's risk."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(DOSAGE_COLUMNS)
    for p in plans:
        for d in p.dosage:
            w.writerow([p.unit_id, p.name, d.hotspot, d.label, d.visits, f"{d.stop_min:.2f}", f"{d.pass_min:.2f}",
                        f"{d.planned_min:.2f}", f"{d.share_planned:.4f}", f"{d.weight:g}", f"{d.share_risk:.4f}"])
    return buf.getvalue()


# --------------------------------------------------------------------------------------------
# files
# --------------------------------------------------------------------------------------------
_FORMATS = {".zip": "zip", ".geojson": "geojson", ".json": "geojson", ".gpx": "gpx", ".kml": "kml", ".html": "html",
            ".htm": "html", ".csv": "csv"}


def _unit_folder(text: str) -> str:
    """A unit's folder name in :func:`units_zip` (``U0003-特巡警大队巡逻车03``): no characters a file
    system refuses, no spaces."""
    return re.sub(r'[\\/:*?"<>|\s]+', "_", text)


def units_zip(plans: Sequence[RoutePlan], *, streets: Any = None) -> bytes:
    """One folder per unit in a zip, for the unit's own phone or GPS device: its GPX track and
    waypoints, its KML and its printable sheet (``U0003-特巡警大队巡逻车03/U0003.gpx`` ...). A volunteer
    team patrolling in two parts of the shift has both in its files. The same plans give the same
    bytes (entries dated with the shift's start, in unit order)."""
    by_unit: dict[str, list[RoutePlan]] = {}
    for p in plans:
        by_unit.setdefault(str(p.unit_id), []).append(p)
    first = next((p.shift_start for p in plans if p.shift_start is not None), None)
    stamp = (first.year, first.month, first.day, first.hour, first.minute, 0) if first is not None and \
        first.year >= 1980 else (1980, 1, 1, 0, 0, 0)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for uid, mine in by_unit.items():
            folder = _unit_folder(f"{uid}-{mine[0].name}")
            for suffix, text in ((".gpx", routes_gpx(mine)), (".kml", routes_kml(mine, name=f"{mine[0].name} 巡逻路线")),
                                 (".html", patrol_sheets_html(mine, streets=streets))):
                info = zipfile.ZipInfo(f"{folder}/{uid}{suffix}", date_time=stamp)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                zf.writestr(info, text.encode("utf-8"), compresslevel=1)  # a third of level 6's time, a quarter larger
    return buf.getvalue()


#: The files of one unit in a plan's zip (:func:`units_zip`), by the name a download asks them by.
UNIT_FILE_FORMATS = ("gpx", "kml", "html")


def unit_file(zip_path: str | Path, unit_id: str, fmt: str) -> tuple[str, bytes]:
    """One unit's own file out of a plan's zip (:func:`units_zip`): its GPX, KML or printable sheet
    (``fmt`` of :data:`UNIT_FILE_FORMATS`), named for a download after the zip and the unit
    (``yushui-2026-11-02-2000_2400-U0003-特巡警大队巡逻车03.gpx``).

    Raises
    ------
    InputError
        An unknown format, or a unit the plan does not hold (naming the units it holds, the first few).
    """
    fmt = str(fmt).lower().lstrip(".")
    if fmt not in UNIT_FILE_FORMATS:
        raise InputError(f"a unit's file is one of {', '.join(UNIT_FILE_FORMATS)}, not {fmt!r}",
                         code="routes.unit_format", value=fmt, formats=", ".join(UNIT_FILE_FORMATS))
    zip_path = Path(zip_path)
    with zipfile.ZipFile(zip_path) as zf:
        names = zf.namelist()
        folder = _unit_folder(f"{unit_id}-")
        entry = next((n for n in names if n.endswith(f"/{unit_id}.{fmt}") and n.startswith(folder)), None)
        if entry is None:
            held = list(dict.fromkeys(n.split("-", 1)[0] for n in names))
            raise InputError(f"the plan holds no unit {unit_id!r} (it holds {', '.join(held[:5])}"
                             f"{' …' if len(held) > 5 else ''})", code="routes.no_unit", unit=str(unit_id),
                             units=", ".join(held[:5]))
        body = zf.read(entry)
    stem = zip_path.stem[: -len("-units")] if zip_path.stem.endswith("-units") else zip_path.stem
    return f"{stem}-{entry.split('/', 1)[0]}.{fmt}", body


def write_routes(plans: Sequence[RoutePlan], path: str | Path, *, fmt: str | None = None,
                 streets: Any = None) -> Path:
    """Write the plans to ``path`` in the format of its suffix (``.geojson``/``.json``, ``.gpx``,
    ``.kml``, ``.html``, ``.csv`` = dosage table, ``.zip`` = every unit's own GPX, KML and sheet:
    :func:`units_zip`) or ``fmt``. UTF-8 (the CSV with a BOM for Excel).
    ``streets`` (:func:`sheet_streets`): the sheets' maps are drawn on them.

    Raises
    ------
    InputError
        For an unknown suffix/format.
    """
    path = Path(path)
    fmt = fmt or _FORMATS.get(path.suffix.lower())
    if fmt not in set(_FORMATS.values()):
        raise InputError(f"cannot tell the route file format from '{path.name}'; use a .geojson, .gpx, .kml, "
                         f".html, .csv (dosage table) or .zip (per unit) file name", code="routes.out_file",
                         name=path.name)
    if fmt == "zip":
        atomic_write_bytes(path, units_zip(plans, streets=streets))
        return path
    if fmt == "geojson":
        text, enc = _geojson_text(plans), "utf-8"
    elif fmt == "gpx":
        text, enc = routes_gpx(plans), "utf-8"
    elif fmt == "kml":
        text, enc = routes_kml(plans), "utf-8"
    elif fmt == "html":
        text, enc = patrol_sheets_html(plans, streets=streets), "utf-8"
    else:
        text, enc = dosage_csv(plans), "utf-8-sig"
    atomic_write_text(path, text, encoding=enc)
    return path
