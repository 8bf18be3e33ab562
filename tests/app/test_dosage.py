"""The field loop: tracks simulated from the demo's recorded shift plan (a ping every 10 s, 15 m of
noise, standing at the stops), imported as GPX, KML and CSV like a phone or a car terminal would send
them, and the dosage measured against the truth of the simulation; hostile and broken files refused
with the row or file named."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import shapely
from openpyxl import load_workbook
from typer.testing import CliRunner

from app.cli import cli
from app.services.dosage import RADIUS_M, dosage_job, import_tracks, write_dosage
from app.services.field_demo import followed
from app.services.plans import inputs_version, record_output
from app.services.routes import plan_summary, routes_job
from app.services.split import split_workspace
from app.storage.access import Principal
from app.storage.workspace import Workspace
from geo.errors import InputError
from geo.tracks import clean_track, covered_length, presence

DAY = dt.date(2026, 11, 2)
SHIFT = "20:00-24:00"
TZ = "Asia/Shanghai"
ADMIN = Principal("tester", "admin")
runner = CliRunner()


@pytest.fixture(scope="module")
def planned(demo_workspace_file: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Any]]:
    """A demo copy with the shift planned and recorded (as the command line records it), and its plans."""
    root = tmp_path_factory.mktemp("dosage")
    path = root / "yushui.gpkg"
    shutil.copyfile(demo_workspace_file, path)
    split_workspace(Workspace(path))  # (the beats whose main roads the cars' tracks are measured on)
    ws = Workspace(path)
    plans, written = routes_job(ws, shift=SHIFT, date=DAY, out=root / "plan", kinds=["brigade_vehicle", "grid_team"])
    record_output(path, kind="routes", author="tester", params={"shift": SHIFT}, inputs=inputs_version(ws),
                  folder=written[0].parent, files=[p.name for p in written], keep_copy=True,
                  result=plan_summary(plans, day=DAY, shift=SHIFT))
    return path, plans


def _start() -> pd.Timestamp:
    return pd.Timestamp(f"{DAY} 20:00", tz=TZ)


def _walk(plan: Any, *, every_s: float, noise_m: float, seed: int, skip: set[str] = frozenset()) -> tuple:
    """The plan followed; stops at the hotspots in ``skip`` not made (the demo's simulation)."""
    return followed(plan, every_s=every_s, noise_m=noise_m, seed=seed, skip=sorted(skip))


def _lonlat(ws: Workspace, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    import geopandas as gpd

    pts = gpd.GeoSeries(gpd.points_from_xy(x, y), crs=ws.crs).to_crs("EPSG:4326")
    return pts.x.to_numpy(), pts.y.to_numpy()


def _gpx(path: Path, lon: np.ndarray, lat: np.ndarray, times: pd.DatetimeIndex) -> Path:
    pts = "\n".join(f'<trkpt lat="{b:.7f}" lon="{a:.7f}"><time>{t.tz_convert("UTC"):%Y-%m-%dT%H:%M:%SZ}</time></trkpt>'
                    for a, b, t in zip(lon, lat, times))
    path.write_text('<?xml version="1.0" encoding="UTF-8"?>\n<gpx version="1.1" creator="OsmAnd" '
                    'xmlns="http://www.topografix.com/GPX/1/1"><trk><name>巡逻</name><trkseg>\n'
                    f"{pts}\n</trkseg></trk></gpx>\n", encoding="utf-8")
    return path


def _kml(path: Path, lon: np.ndarray, lat: np.ndarray, times: pd.DatetimeIndex) -> Path:
    whens = "".join(f"<when>{t.isoformat()}</when>" for t in times)
    coords = "".join(f"<gx:coord>{a:.7f} {b:.7f} 0</gx:coord>" for a, b in zip(lon, lat))
    path.write_text('<?xml version="1.0" encoding="UTF-8"?>\n<kml xmlns="http://www.opengis.net/kml/2.2" '
                    'xmlns:gx="http://www.google.com/kml/ext/2.2"><Document><Placemark><name>巡逻</name>'
                    f"<gx:Track>{whens}{coords}</gx:Track></Placemark></Document></kml>\n", encoding="utf-8")
    return path


def test_simulated_tracks_measure_dosage_and_beat_km_close_to_the_truth(planned: tuple[Path, list[Any]],
                                                                        tmp_path: Path) -> None:
    path, plans = planned
    cars = [p for p in plans if p.unit_kind == "brigade_vehicle"][:3]
    teams = [p for p in plans if p.unit_kind == "grid_team" and any(s.hotspot for s in p.stops)][:3]
    ws = Workspace(path)
    files = {}
    for i, p in enumerate(cars + teams):
        t, x, y = _walk(p, every_s=10, noise_m=15, seed=i)
        lon, lat = _lonlat(ws, x, y)
        times = _start() + pd.to_timedelta(t, unit="s")
        if i % 3 == 0:
            files[p.unit_id] = _gpx(tmp_path / f"{p.unit_id}.gpx", lon, lat, times)
        elif i % 3 == 1:
            files[p.unit_id] = _kml(tmp_path / f"{p.unit_id}.kml", lon, lat, times)
        else:  # a car terminal's CSV: Chinese headers, local times, one file of its own
            csv = tmp_path / f"{p.unit_id}.csv"
            pd.DataFrame({"巡逻单位编号": p.unit_id, "定位时间": times.tz_convert(TZ).strftime("%Y-%m-%d %H:%M:%S"),
                          "经度": lon.round(7), "纬度": lat.round(7)}).to_csv(csv, index=False, encoding="utf-8-sig")
            files[p.unit_id] = csv
    for unit, file in files.items():
        ws, result, report = import_tracks(ws, file, unit_id=None if file.suffix == ".csv" else unit)
        assert report is None and len(result.accepted) == result.rows_read > 300, (unit, result.summary())
    got = dosage_job(ws, path, ADMIN, day=DAY, shift=SHIFT)
    assert got["units_with_tracks"] == 6
    units = {r["unit_id"]: r for r in got["units"]}
    eo = ws.read("edge_owners")
    for p in cars + teams:
        t, x, y = _walk(p, every_s=1, noise_m=0, seed=0)  # the truth: where the unit was, every second
        truth = clean_track(pd.Series(_start() + pd.to_timedelta(t, unit="s")), x, y)
        spots = {s.hotspot: (s.x, s.y) for s in reversed(p.stops) if s.hotspot}  # (each at its first stop)
        spots |= {d.hotspot: (d.x, d.y) for d in p.dosage}  # (the plan's own place of a hotspot first)
        rows = [r for r in got["hotspots"] if r["unit_id"] == p.unit_id]
        assert rows and {r["hotspot"] for r in rows} <= set(spots), p.unit_id
        wants = []
        for r in rows:
            cx, cy = spots[r["hotspot"]]
            want = presence(truth, cx, cy, RADIUS_M).minutes
            have, h = r["actual_min"], r["hotspot"]
            wants.append(want)
            if p.unit_kind == "brigade_vehicle":
                # 10-s pings place each arrival and departure to within about 10 s: 10 % of a stop's
                # minutes, or that much of a short pass
                assert abs(have - want) <= max(0.10 * want, 0.5), (p.unit_id, h, have, want)
        if p.unit_kind != "brigade_vehicle":
            # a team on foot walks its loop around its places, much of it along the radius's edge, where
            # 15 m of noise moves pings in and out: one place can be off by minutes (not asserted);
            # all its places together within 10 %, and the share of its loop walked within 5 %
            total = sum(r["actual_min"] for r in rows)
            assert abs(total - sum(wants)) <= 0.10 * sum(wants), (p.unit_id, total, sum(wants))
            line = shapely.LineString(p.coords)
            want = covered_length([line], [truth])[0] / shapely.length(shapely.union_all([line]))  # each street once
            assert abs(units[p.unit_id]["route_share"] - want) <= 0.05, (p.unit_id, units[p.unit_id], want)
        if p.unit_kind == "brigade_vehicle":
            main = eo[(eo["beat"] == p.beat) & (eo["road_class"] == "main")]
            # a two-way street's two arcs are one street: its km counted once (by (u, v) pairs here)
            pair = [tuple(sorted(uv)) + (k,) for uv, k in zip(zip(main["u"], main["v"]), main["key"])]
            main = main[~pd.Series(pair, index=main.index).duplicated().to_numpy() | main["oneway"].fillna(False).to_numpy(bool)]
            lines = main.geometry.to_numpy()
            assert units[p.unit_id]["beat_main_km"] == pytest.approx(shapely.length(lines).sum() / 1000.0, abs=0.01)
            want = covered_length(lines, [truth]).sum() / 1000.0
            have = units[p.unit_id]["beat_main_share"] * units[p.unit_id]["beat_main_km"]
            assert abs(have - want) <= 0.05 * want, (p.unit_id, have, want)
            assert units[p.unit_id]["beat_main_share"] > 0.9
    # a unit without a track: shown with zeros, not dropped
    silent = next(p for p in plans if p.unit_id not in files)
    assert units[silent.unit_id]["pings"] == 0
    assert all(r["actual_min"] == 0 for r in got["hotspots"] if r["unit_id"] == silent.unit_id)
    # the same file again: every ping already there
    with pytest.raises(InputError) as e:
        import_tracks(ws, next(iter(files.values())), unit_id=cars[0].unit_id)
    assert e.value.code == "import.nothing"
    # the workbook opens, both tables, Chinese headers
    book = load_workbook(write_dosage(got, tmp_path / "dosage.xlsx"))
    assert [c.value for c in book.worksheets[0][1]][:6] == ["单位编号", "巡逻单位", "热点", "位置", "计划分钟", "实际分钟"]
    assert book.worksheets[1].max_row == len(got["units"]) + 1


def test_a_unit_that_skips_its_stops_shows_it(planned: tuple[Path, list[Any]], tmp_path: Path) -> None:
    path, plans = planned
    cars = [p for p in plans if p.unit_kind == "brigade_vehicle"][3:]  # (the first three have tracks already)
    p = next(p for p in cars if sum(1 for s in p.stops if s.hotspot) >= 3)
    skipped = {s.hotspot for s in p.stops if s.hotspot}
    t, x, y = _walk(p, every_s=10, noise_m=15, seed=7, skip=skipped)  # drives the beat, never stops
    ws = Workspace(path)
    lon, lat = _lonlat(ws, x, y)
    times = _start() + pd.to_timedelta(t, unit="s")
    ws, _, _ = import_tracks(ws, _gpx(tmp_path / "cut.gpx", lon, lat, times), unit_id=p.unit_id)
    got = dosage_job(ws, path, ADMIN, day=DAY, shift=SHIFT)
    rows = [r for r in got["hotspots"] if r["unit_id"] == p.unit_id]
    actual = sum(r["actual_min"] for r in rows)
    planned_min = sum(r["planned_min"] for r in rows)
    assert actual < 0.5 * planned_min, (actual, planned_min)  # passing by is not standing there
    unit = next(u for u in got["units"] if u["unit_id"] == p.unit_id)
    assert unit["beat_main_share"] > 0.9  # it did drive its beat


def test_bad_and_hostile_track_files_are_refused_naming_the_problem(planned: tuple[Path, list[Any]],
                                                                    tmp_path: Path) -> None:
    path, _ = planned
    ws = Workspace(path)
    before = ws.count("tracks") if ws.has("tracks") else 0
    bomb = tmp_path / "bomb.gpx"
    bomb.write_text('<?xml version="1.0"?><!DOCTYPE gpx [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
                    '<gpx version="1.1" xmlns="http://www.topografix.com/GPX/1/1"><trk><name>&b;</name></trk></gpx>',
                    encoding="utf-8")
    with pytest.raises(InputError):
        import_tracks(ws, bomb, unit_id="U1")
    broken = tmp_path / "broken.kml"
    broken.write_text('<?xml version="1.0"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document><Placemark>',
                      encoding="utf-8")
    with pytest.raises(InputError) as e:
        import_tracks(ws, broken, unit_id="U1")
    assert "broken.kml" in str(e.value)
    untimed = tmp_path / "untimed.gpx"
    untimed.write_text('<?xml version="1.0"?><gpx version="1.1" xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg>'
                       '<trkpt lat="27.8" lon="114.9"/></trkseg></trk></gpx>', encoding="utf-8")
    with pytest.raises(InputError) as e:
        import_tracks(ws, untimed, unit_id="U1")
    assert e.value.code == "import.no_points"
    # a CSV with bad rows: the good ones are taken, each bad one named in the report
    csv = tmp_path / "pings.csv"
    pd.DataFrame({"unit_id": ["U0001", "U0001", "", "U0001"],
                  "time": ["2026-11-02 20:00:00", "昨天晚上", "2026-11-02 20:00:20", "2026-11-02 20:00:30"],
                  "lon": [114.93, 114.93, 114.93, 200.0], "lat": [27.81, 27.81, 27.81, 27.81]}).to_csv(csv, index=False)
    ws2, result, report = import_tracks(ws, csv)
    assert len(result.accepted) == 1 and report is not None
    rejected = pd.read_csv(report, encoding="utf-8-sig")
    assert set(rejected["row"]) == {3, 4, 5}
    assert ws2.count("tracks") == before + 1
    # the command line: a GPX of one phone without --unit names what to do
    res = runner.invoke(cli, ["tracks", "import", str(path), str(untimed), "--lang", "en"])
    assert res.exit_code == 2 and "no point with a time" in res.output


def test_dosage_without_a_plan_says_so(demo_workspace: Workspace) -> None:
    with pytest.raises(InputError) as e:
        dosage_job(demo_workspace, demo_workspace.path, ADMIN, day=DAY, shift=SHIFT)
    assert e.value.code == "dosage.no_plan"
    res = runner.invoke(cli, ["dosage", str(demo_workspace.path), "--date", str(DAY), "--shift", SHIFT])
    assert res.exit_code == 2 and "没有已记录的巡逻方案" in res.output


def test_a_phone_gpx_through_the_data_page(planned: tuple[Path, list[Any]], tmp_path: Path, assets_ready: Path) -> None:
    """``POST /api/v1/imports`` (the data page): a GPX of one phone, the unit given for the whole file."""
    from app.web import create_app
    from tests.app._fixtures import client_class

    path, plans = planned
    copy = tmp_path / "ws.gpkg"
    shutil.copyfile(path, copy)
    p = plans[-1]
    t, x, y = _walk(p, every_s=10, noise_m=15, seed=3)
    lon, lat = _lonlat(Workspace(copy), x, y)
    gpx = _gpx(tmp_path / "phone.gpx", lon, lat, _start() + pd.to_timedelta(t, unit="s")).read_bytes()
    with client_class("commander")(create_app(copy)) as c:
        r = c.post("/api/v1/imports", files={"file": ("手机轨迹.gpx", gpx, "application/gpx+xml")},
                   data={"layer": "tracks", "set_values": f"unit_id={p.unit_id}"})
        assert r.status_code == 200, r.text
        res = r.json()["result"]
        assert res["accepted"] == len(t) and res["rejected"] == 0
        r = c.post("/api/v1/imports", files={"file": ("手机轨迹.gpx", gpx, "application/gpx+xml")},
                   data={"layer": "tracks"})
        assert r.status_code == 422 and ("巡逻单位" in r.text or "unit" in r.text)
    pings = Workspace(copy).read("tracks")
    assert (pings["unit_id"] == p.unit_id).sum() == len(t)
