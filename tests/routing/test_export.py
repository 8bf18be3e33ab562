"""Route writers: GeoJSON (WGS84), GPX 1.1, KML 2.2, printable zh-CN sheet, dosage CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import xml.etree.ElementTree as ET
from dataclasses import replace

import numpy as np
import pytest

from geo.errors import InputError
from routing.export import (
    GPX_NS,
    KML_NS,
    dosage_csv,
    file_parts,
    keep_file_parts,
    patrol_sheets_html,
    road_sequence,
    route_legs,
    routes_geojson,
    routes_gpx,
    routes_kml,
    unit_file,
    units_zip,
    write_routes,
)
from routing.patrol import plan_brigade_shift, plan_team_loop, shift_window, walk_graph
from tests.routing.test_patrol import SHIFT, halves, named_lattice

G_NS = f"{{{GPX_NS}}}"
K_NS = f"{{{KML_NS}}}"


@pytest.fixture(scope="module")
def plans():
    G = named_lattice(6, oneway=frozenset({3, 11}))
    beats = halves(G)
    risk = {e: float(e % 4) for e in beats}
    units = {0: [{"unit_id": "U0001", "kind": "brigade_vehicle", "name": "特巡警大队巡逻车01", "officers": 2,
                  "auxiliaries": 1, "volunteers": 0, "mode": "car"}],
             1: [{"unit_id": "U0002", "kind": "brigade_vehicle", "name": "巡逻车<02> & \"夜班\"", "officers": 2,
                  "auxiliaries": 1, "volunteers": 0, "mode": "car"}]}
    brigade = plan_brigade_shift(G, beats, shift_start=SHIFT[0], shift_end=SHIFT[1], risk=risk, units=units, seed=3)
    W = walk_graph(G)
    s, e = shift_window("19:00-21:00", date=dt.date(2026, 11, 1))
    team = plan_team_loop(W, start_node=14, budget_min=40, prizes={2: 5.0, 9: 3.0, 20: 4.0, 33: 2.0, 27: 6.0},
                          stop_min=3, n_alternatives=2, time_limit_s=0.1,
                          unit={"unit_id": "U0034", "kind": "grid_team", "name": "北湖社区1+2+N网格巡逻一队",
                                "officers": 1, "auxiliaries": 2, "volunteers": 6, "mode": "foot"},
                          shift_start=s, shift_end=e)
    return [*brigade, team.plan]


def test_road_sequence_merges_repeats(plans):
    p = replace(plans[0], road_names=("人民北路", "人民北路", None, None, "北湖路", "人民北路"))
    assert road_sequence(p) == ["人民北路", "无名道路", "北湖路", "人民北路"]


def test_route_legs_tell_streets_lengths_and_turns(plans):
    """The sheet's route: one leg per street with its length, the turn into the next street; the legs
    add up to the route; a short unnamed link is part of the leg before it, a long one a side street."""
    import re

    for p in plans:
        legs = route_legs(p)
        assert legs and not any("无名道路" in leg for leg in legs)
        assert re.fullmatch(r"\S+ (\d+\.\d km|\d+0 m)", legs[0]), legs[0]  # under 100 m in metres, never "0.0 km"
        assert all(re.fullmatch(r"(直行|左转|右转|掉头) \S+ (\d+\.\d km|\d+0 m)", leg) for leg in legs[1:]), legs
        assert not any(leg.endswith(" 0.0 km") for leg in legs)
        km = sum(float(leg.split()[-2]) / (1000 if leg.endswith(" m") else 1) for leg in legs)
        assert km == pytest.approx(p.length_m / 1000, abs=0.05 * len(legs) + 0.01)
        assert len(legs) <= len(road_sequence(p))  # never more pieces than streets
    # on the lattice: going east along a row then north up a column is a left turn
    q = replace(plans[0], road_names=("北湖路", "北湖路", None, "1号路"), arc_length_m=(200.0, 200.0, 50.0, 200.0),
                arc_bearings=((0.0, 0.0), (0.0, 0.0), (0.0, 0.0), (1.5708, 1.5708)))
    assert route_legs(q) == ["北湖路 0.5 km", "左转 1号路 0.2 km"]  # the 50 m link counted with 北湖路
    r = replace(q, road_names=("北湖路", None, None, "北湖路"), arc_length_m=(200.0, 150.0, 150.0, 200.0),
                arc_bearings=((0.0, 0.0), (-1.5708, -1.5708), (0.0, 0.0), (3.1416, 3.1416)))
    assert route_legs(r) == ["北湖路 0.2 km", "右转 支路 0.3 km", "掉头 北湖路 0.2 km"]


def test_a_hotspot_only_driven_past_shows_no_stop_on_the_sheet(plans):
    """Planned minutes are stops plus passes; the sheet shows them apart, so a hotspot with no stop
    does not read as "0 visits, 5 planned minutes"."""
    from routing.patrol.results import Dosage

    d = Dosage("H01", "北湖路与抱石路交叉口", 0, 1.0, 0, 0.0, 5.0, 5.0, 1.0, 1.0)
    html = patrol_sheets_html([replace(plans[0], dosage=(d,))])
    row = re.search(r"<tr><td>北湖路与抱石路交叉口</td>(.*?)</tr>", html).group(1)
    assert re.findall(r'<td class="n">([^<]*)</td>', row)[:3] == ["0", "0", "5"]  # stops, stop minutes, passing


def test_geojson(plans):
    fc = routes_geojson(plans)
    fc = json.loads(json.dumps(fc, ensure_ascii=False))  # plain JSON all the way down
    routes = [f for f in fc["features"] if f["properties"]["feature_type"] == "route"]
    stops = [f for f in fc["features"] if f["properties"]["feature_type"] == "stop"]
    assert len(routes) == len(plans) and len(stops) == sum(len(p.stops) for p in plans)
    for f, p in zip(routes, plans):
        props = f["properties"]
        assert f["geometry"]["type"] == "LineString"
        lon, lat = np.array(f["geometry"]["coordinates"]).T
        assert np.all((114.8 < lon) & (lon < 115.0) & (27.7 < lat) & (lat < 27.9))  # Xinyu, WGS84
        assert len(lon) == len(p.coords)
        assert props["unit_id"] == p.unit_id and props["unit_kind"] == p.unit_kind
        assert props["length_m"] == pytest.approx(p.length_m, abs=0.1)
        assert props["duration_min"] == pytest.approx(p.duration_min, abs=0.01)
        assert props["lineup"] == p.lineup
        for s in props["stops"]:
            t = dt.datetime.fromisoformat(s["arrive"])
            assert s["arrive"].endswith("+08:00") and t.utcoffset() == dt.timedelta(hours=8)
            assert SHIFT[0] - dt.timedelta(hours=2) <= t <= SHIFT[1]
    assert routes[0]["properties"]["shift_start"] == "2026-11-01T20:00:00+08:00"
    assert routes[-1]["properties"]["unit_kind"] == "grid_team"


def test_gpx_structure(plans):
    text = routes_gpx(plans)
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    root = ET.fromstring(text.encode("utf-8"))
    assert root.tag == G_NS + "gpx" and root.get("version") == "1.1" and root.get("creator") == "patrolnet"
    tags = [c.tag.removeprefix(G_NS) for c in root]
    # GPX 1.1 sequence: metadata?, wpt*, rte*, trk*, extensions?
    assert tags[0] == "metadata"
    order = {"metadata": 0, "wpt": 1, "rte": 2, "trk": 3, "extensions": 4}
    assert [order[t] for t in tags] == sorted(order[t] for t in tags)
    wpts = root.findall(G_NS + "wpt")
    trks = root.findall(G_NS + "trk")
    assert len(wpts) == sum(len(p.stops) for p in plans) and len(trks) == len(plans)
    wpt_order = ["ele", "time", "magvar", "geoidheight", "name", "cmt", "desc", "src", "link", "sym", "type"]
    for w in wpts:
        lat, lon = float(w.get("lat")), float(w.get("lon"))
        assert -90 <= lat <= 90 and -180 <= lon < 180
        kids = [c.tag.removeprefix(G_NS) for c in w]
        assert [wpt_order.index(k) for k in kids] == sorted(wpt_order.index(k) for k in kids)
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", w.find(G_NS + "time").text)
    names = [t.find(G_NS + "name").text for t in trks]
    assert names[0] == "特巡警大队巡逻车01（U0001）"
    assert names[1] == '巡逻车<02> & "夜班"（U0002）'  # escaped in the file, intact when parsed
    assert "&lt;02&gt; &amp;" in text
    trk_order = ["name", "cmt", "desc", "src", "link", "number", "type", "extensions", "trkseg"]
    for t, p in zip(trks, plans):
        kids = [c.tag.removeprefix(G_NS) for c in t]
        assert [trk_order.index(k) for k in kids] == sorted(trk_order.index(k) for k in kids)
        pts = t.findall(f"{G_NS}trkseg/{G_NS}trkpt")
        assert len(pts) == len(p.coords)
        times = [dt.datetime.fromisoformat(q.find(G_NS + "time").text.replace("Z", "+00:00")) for q in pts]
        assert times == sorted(times)
        assert times[0] == p.shift_start.astimezone(dt.UTC)


def test_kml(plans):
    root = ET.fromstring(routes_kml(plans).encode("utf-8"))
    assert root.tag == K_NS + "kml"
    folders = root.findall(f"{K_NS}Document/{K_NS}Folder")
    assert len(folders) == len(plans)
    for f, p in zip(folders, plans):
        marks = f.findall(K_NS + "Placemark")
        assert len(marks) == 1 + len(p.stops)
        coords = marks[0].find(f"{K_NS}LineString/{K_NS}coordinates").text.split()
        assert len(coords) == len(p.coords)
        lon, lat, _ = map(float, coords[0].split(","))
        assert 114.8 < lon < 115.0 and 27.7 < lat < 27.9
        for m in marks[1:]:
            assert m.find(f"{K_NS}Point/{K_NS}coordinates") is not None
            assert m.find(f"{K_NS}TimeSpan/{K_NS}begin").text.endswith("+08:00")


def test_printable_sheet(plans):
    html = patrol_sheets_html(plans)
    assert html.startswith("<!DOCTYPE html>") and 'lang="zh-CN"' in html
    assert html.count('<section class="sheet"') == len(plans)
    assert "巡逻任务单" in html and "特巡警大队巡逻车01" in html and "民警 2 名，辅警 1 名" in html
    assert "群防群治力量 6 名（1+2+6）" in html and "网格巡逻队（1+2+N）" in html
    assert "2026-11-01 20:00–24:00" in html and "2026-11-01 19:00–21:00" in html
    assert re.search(r"人民北路 \d+\.\d km → (直行|左转|右转|掉头) ", html) or re.search(r" → (直行|左转|右转|掉头) 人民北路 \d+\.\d km", html)
    assert "无名道路" not in html  # the route is told in legs (route_legs), unnamed links inside them
    assert html.count("<svg") == len(plans) and "<polyline" in html
    assert "定点守候" in html and "热点巡逻时长" in html
    # escaped, self-contained: no scripts, no external links or assets
    assert "巡逻车&lt;02&gt; &amp; &#34;夜班&#34;" in html
    assert "<script" not in html and "<link" not in html and not re.search(r"(src|href)=", html)
    assert not re.search(r"https?://(?!www\.w3\.org/2000/svg)", html)


def test_dosage_csv(plans):
    rows = list(csv.DictReader(io.StringIO(dosage_csv(plans))))
    assert rows and set(rows[0]) >= {"unit_id", "hotspot", "planned_min", "share_planned", "share_risk"}
    for unit in {r["unit_id"] for r in rows}:
        mine = [r for r in rows if r["unit_id"] == unit]
        assert sum(float(r["share_planned"]) for r in mine) == pytest.approx(1, abs=1e-3)
        assert sum(float(r["share_risk"]) for r in mine) == pytest.approx(1, abs=1e-3)


def test_write_routes(plans, tmp_path):
    for suffix in ("geojson", "gpx", "kml", "html", "csv"):
        out = write_routes(plans, tmp_path / f"routes.{suffix}")
        assert out.exists() and out.stat().st_size > 100
    assert (tmp_path / "routes.csv").read_bytes().startswith(b"\xef\xbb\xbf")  # BOM for Excel
    assert json.loads((tmp_path / "routes.geojson").read_text(encoding="utf-8"))["type"] == "FeatureCollection"
    assert "人民北路" in (tmp_path / "routes.gpx").read_text(encoding="utf-8")
    with pytest.raises(InputError, match=r"\.geojson, \.gpx"):
        write_routes(plans, tmp_path / "routes.docx")
    assert not list(tmp_path.glob("*.tmp"))


def test_files_from_parts_made_elsewhere_are_the_same_bytes(plans, tmp_path):
    """The GeoJSON file is ``json.dumps`` of :func:`routes_geojson`, byte for byte, though written
    from each plan's features; files written from parts made elsewhere (as a forked process makes
    them, here from copies of the plans) equal the files written from nothing."""
    from routing import export

    suffixes = ("geojson", "gpx", "kml", "html", "zip")
    export._MADE.clear()
    fresh = {s: write_routes(plans, tmp_path / f"a.{s}").read_bytes() for s in suffixes}
    assert fresh["geojson"].decode("utf-8") == json.dumps(routes_geojson(plans), ensure_ascii=False)
    copies = [replace(p) for p in plans]  # other objects: their parts are not made yet
    parts = file_parts(copies)
    assert [sorted(d) for d in parts] == [["geojson", "gpx.trk", "gpx.wpt", "kml.folder", "legs", "sheet"]] * len(plans)
    export._MADE.clear()
    keep_file_parts(plans, parts)
    kept = {s: write_routes(plans, tmp_path / f"b.{s}").read_bytes() for s in suffixes}
    assert kept == fresh
    # the parts kept are what the files were written from: a part changed shows in its file
    export._MADE.clear()
    keep_file_parts(plans, [{**d, "kml.folder": (None, d["kml.folder"][1].replace("</Folder>", "<!--x--></Folder>"))}
                            for d in parts])
    assert b"<!--x-->" in write_routes(plans, tmp_path / "c.kml").read_bytes()
    export._MADE.clear()


def test_every_unit_gets_its_own_files_in_one_zip(plans, tmp_path):
    """routes.zip: a folder per unit with its own GPX (parses, its track only), KML and sheet; the
    same plans give the same bytes."""
    import zipfile

    path = write_routes(plans, tmp_path / "units.zip")
    assert path.read_bytes() == units_zip(plans)
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        assert len(names) == 3 * len({p.unit_id for p in plans})
        for p in plans:
            folder = next(n.split("/")[0] for n in names if n.startswith(f"{p.unit_id}-"))
            assert {f"{folder}/{p.unit_id}{s}" for s in (".gpx", ".kml", ".html")} <= set(names)
            gpx = ET.fromstring(zf.read(f"{folder}/{p.unit_id}.gpx"))
            tracks = gpx.findall("{http://www.topografix.com/GPX/1/1}trk")
            assert len(tracks) == 1 and p.unit_id in tracks[0].findtext("{http://www.topografix.com/GPX/1/1}name")
            sheet = zf.read(f"{folder}/{p.unit_id}.html").decode("utf-8")
            assert sheet.count('class="sheet"') == 1 and f"（{p.unit_id}）" in sheet and "<02>" not in sheet


def test_one_units_file_comes_out_of_the_zip_by_its_id(plans, tmp_path):
    """:func:`unit_file`: the unit's own GPX/KML/sheet, named after the zip and the unit, also for an
    id holding characters its folder name replaces; an unknown unit or format is refused."""
    odd = replace(plans[1], unit_id="U:7")  # its folder is "U_7-巡逻车<02>_&_"夜班"", its files "U:7.gpx"
    path = tmp_path / "yushui-2026-11-01-1900_2100-units.zip"
    path.write_bytes(units_zip([plans[0], odd, plans[2]]))
    name, body = unit_file(path, "U0001", "gpx")
    assert name == "yushui-2026-11-01-1900_2100-U0001-特巡警大队巡逻车01.gpx" and body.count(b"<trk>") == 1
    name, body = unit_file(path, "U:7", "kml")
    assert name.startswith("yushui-2026-11-01-1900_2100-U_7-") and name.endswith(".kml") and b"<Folder>" in body
    assert unit_file(path, "U0034", "html")[1].startswith(b"<!DOCTYPE html>")
    with pytest.raises(InputError, match="holds no unit 'U0002'"):
        unit_file(path, "U0002", "gpx")
    with pytest.raises(InputError, match="one of gpx, kml, html"):
        unit_file(path, "U0001", "pdf")


def test_a_sheet_maps_street_names_are_the_longest_in_view_on_a_real_city():
    """The names written on a sheet's map (``_labelled``), on Shanghai's Huangpu streets in boxes
    of several sizes: the eight names with the most metres in view (ties by name), each along its
    longest street there (of equal ones, the last), as counted street by street."""
    import shapely

    from geo.osm import read_osm
    from routing.export import BASEMAP_LABELS, _labelled, sheet_streets
    from routing.graph import graph_from_layers
    from tests.routing.test_postman import DATA

    ext = read_osm(DATA / "shanghai_huangpu.osm")
    streets = sheet_streets(graph_from_layers(ext.road_nodes, ext.road_edges))
    x0, y0, x1, y1 = shapely.total_bounds(streets.geoms)
    rng = np.random.default_rng(3)
    checked = 0
    for _ in range(40):
        cx, cy = rng.uniform(x0, x1), rng.uniform(y0, y1)
        half = rng.uniform(100, 1500)
        idx = np.sort(streets.tree.query(shapely.box(cx - half, cy - half, cx + half, cy + half)))
        length: dict[str, tuple[float, int]] = {}
        for i in idx.tolist():
            name = streets.names[i]
            if name:
                total, best = length.get(name, (0.0, i))
                length[name] = (total + streets.lengths[i], i if streets.lengths[i] >= streets.lengths[best] else best)
        want = [(n, i) for n, (_, i) in sorted(length.items(), key=lambda kv: (-kv[1][0], kv[0]))[:BASEMAP_LABELS]]
        assert _labelled(streets, idx) == want
        checked += len(want) > 1
    assert checked >= 10
