"""Test data for the web app tests: a small hand-made workspace near Xinyu (27.82 N, 114.93 E).

Kept isolated on purpose (no demo builder): three stations of the article, a road grid with
Chinese street names stored as osmnx-style directed edges, neighborhoods, cameras and incidents,
all in EPSG:4547. ``make_mbtiles`` writes a tiny MBTiles file with one PNG tile.
"""

from __future__ import annotations

import sqlite3
import struct
import warnings
import zlib
from datetime import date, datetime, timedelta
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from shapely.geometry import LineString, MultiPolygon, Point, box

from app.storage.workspace import Workspace, create_workspace

CRS = "EPSG:4547"
CENTER_LON, CENTER_LAT = 114.93, 27.82

STATIONS = [
    ("S01", "北湖路派出所", "Beihu Road Station"),
    ("S02", "抱石路派出所", "Baoshi Road Station"),
    ("S03", "珠珊派出所", "Zhushan Station"),
]
#: (name, highway) of the west-east streets (rows) and south-north streets (columns).
ROWS = [("人民北路", "primary"), ("青年路", "residential"), ("白竹路", "residential"),
        ("竹山路", "secondary"), ("", "service")]
COLS = [("抱石大道", "trunk"), ("仙来路", "tertiary"), ("北湖路", "residential"),
        ("龙洲巷", "residential"), ("珠珊路", "secondary")]
NEIGHBORHOODS = [
    ("N0001", "水榭丽都", "Shuixie Lidu", "enclosed", 620, "S03", "party_members_return"),
    ("N0002", "龙凤花园", "Longfeng Garden", "open", 410, "S02", "party_building"),
    ("N0003", "青泉花园", "Qingquan Garden", "enclosed", 380, "S01", "police_resident"),
    ("N0004", "地质勘查三小队", "Geological Team 3", "unit_compound", 120, "S01",
     "unit_self_governance"),
    ("N0005", "香博丽晶", "Xiangbo Lijing", "enclosed", 540, "S02", ""),
]
CATEGORY_CYCLE = ["ebike_theft", "burglary", "snatching", "robbery", "fraud", "public_order",
                  "theft_from_vehicle", "pickpocketing"]
NEWEST_INCIDENT = datetime(2025, 6, 30, 21, 30)


def center_xy() -> tuple[float, float]:
    tr = Transformer.from_crs("EPSG:4326", CRS, always_xy=True)
    x, y = tr.transform(CENTER_LON, CENTER_LAT)
    return round(x, 1), round(y, 1)


def build_workspace(path: Path) -> Workspace:
    """Write the fixture workspace to ``path`` and return it."""
    cx, cy = center_xy()
    half, step = 2000.0, 1000.0
    x0, y0 = cx - half, cy - half

    boundary = gpd.GeoDataFrame(
        {"name": ["渝水区（测试）"], "adcode": ["360502"]},
        geometry=[MultiPolygon([box(x0, y0, x0 + 2 * half, y0 + 2 * half)])], crs=CRS,
    )
    width = 2 * half / len(STATIONS)
    stations = gpd.GeoDataFrame(
        {
            "station_id": [s[0] for s in STATIONS],
            "name": [s[1] for s in STATIONS],
            "name_en": [s[2] for s in STATIONS],
            "site_x": [x0 + width * (i + 0.5) for i in range(len(STATIONS))],
            "site_y": [cy + 300.0] * len(STATIONS),
        },
        geometry=[MultiPolygon([box(x0 + width * i, y0, x0 + width * (i + 1), y0 + 2 * half)])
                  for i in range(len(STATIONS))],
        crs=CRS,
    )

    # road grid: 5 x 5 nodes, 1 km apart; every street two-way (two directed edges) except the
    # unnamed service road, which is one-way.
    nodes, edges = [], []
    nid = lambda i, j: 1000 + i * 10 + j  # noqa: E731
    for i in range(5):
        for j in range(5):
            nodes.append((nid(i, j), x0 + j * step, y0 + i * step))
    coords = {n: (x, y) for n, x, y in nodes}

    def add(a: int, b: int, name: str, highway: str, oneway: bool) -> None:
        (ax, ay), (bx, by) = coords[a], coords[b]
        mid = ((ax + bx) / 2 + 0.4, (ay + by) / 2 + 0.3)  # a bend, so simplify has work to do
        for u, v, line in ((a, b, [(ax, ay), mid, (bx, by)]), (b, a, [(bx, by), mid, (ax, ay)])):
            edges.append({
                "edge_id": len(edges) + 1, "u": u, "v": v, "key": 0, "osmid": str(900 + len(edges)),
                "highway": highway, "name": name or None, "oneway": oneway, "maxspeed": None,
                "bridge": False, "length_m": LineString(line).length, "geometry": LineString(line),
            })
            if oneway:
                break

    for i, (name, hw) in enumerate(ROWS):
        for j in range(4):
            add(nid(i, j), nid(i, j + 1), name, hw, oneway=(hw == "service"))
    for j, (name, hw) in enumerate(COLS):
        for i in range(4):
            add(nid(i, j), nid(i + 1, j), name, hw, oneway=False)
    road_nodes = gpd.GeoDataFrame(
        {"node_id": [n for n, _, _ in nodes], "x": [x for _, x, _ in nodes],
         "y": [y for _, _, y in nodes], "street_count": [4] * len(nodes)},
        geometry=[Point(x, y) for _, x, y in nodes], crs=CRS,
    )
    road_edges = gpd.GeoDataFrame(edges, geometry="geometry", crs=CRS)

    hood_geoms = []
    for k in range(len(NEIGHBORHOODS)):
        hx, hy = x0 + 300 + k * 700, y0 + 1250 + (k % 2) * 1000
        hood_geoms.append(MultiPolygon([box(hx, hy, hx + 400, hy + 450)]))
    neighborhoods = gpd.GeoDataFrame(
        {
            "neighborhood_id": [n[0] for n in NEIGHBORHOODS],
            "name": [n[1] for n in NEIGHBORHOODS],
            "name_en": [n[2] for n in NEIGHBORHOODS],
            "kind": [n[3] for n in NEIGHBORHOODS],
            "households": [n[4] for n in NEIGHBORHOODS],
            "community_id": ["C001", "C002", "C003", "C003", "C002"],
            "station_id": [n[5] for n in NEIGHBORHOODS],
            "model_kind": [n[6] for n in NEIGHBORHOODS],
        },
        geometry=hood_geoms, crs=CRS,
    )

    cam_pts = [(x0 + 500 + 600 * k, y0 + 400 + 450 * k) for k in range(6)]
    cameras = gpd.GeoDataFrame(
        {
            "camera_id": [f"CAM{k:03d}" for k in range(1, 7)],
            "kind": ["skynet_pole", "dome", "bullet", "speed", "dome", "skynet_pole"],
            "bearing_deg": [0.0, None, 90.0, 180.0, None, 270.0],
            "fov_deg": [60.0, 360.0, 60.0, 30.0, 360.0, 60.0],
            "range_m": [80.0, 40.0, 60.0, 100.0, 40.0, 80.0],
            "owner": ["public_security"] * 3 + ["neighborhood"] * 3,
            "neighborhood_id": [None, "N0001", None, None, "N0002", None],
        },
        geometry=[Point(p) for p in cam_pts], crs=CRS,
    )

    rows = []
    for k in range(48):  # one every ~11.5 days over 18 months: 31 of them in the last 12 months
        when = NEWEST_INCIDENT - timedelta(days=int(k * 11.5), hours=k % 7)
        px = x0 + 200 + (k * 373) % 3600
        py = y0 + 200 + (k * 611) % 3600
        rows.append({
            "incident_id": f"I{k:04d}", "occurred_at": when.isoformat(),
            "category": CATEGORY_CYCLE[k % len(CATEGORY_CYCLE)],
            "place_kind": "street" if k % 3 else "neighborhood",
            "station_id": STATIONS[min(int((px - x0) // width), 2)][0],
            "geometry": Point(px, py),
        })
    incidents = gpd.GeoDataFrame(rows, geometry="geometry", crs=CRS)
    incidents["occurred_at"] = pd.to_datetime(incidents["occurred_at"]).dt.tz_localize(
        "Asia/Shanghai")

    return create_workspace(
        path,
        {
            "boundary": boundary, "stations": stations, "road_nodes": road_nodes,
            "road_edges": road_edges, "neighborhoods": neighborhoods, "cameras": cameras,
            "incidents": incidents,
        },
        crs=CRS,
        meta={"name": "渝水测试工作区"},
    )


def _png(width: int = 256, height: int = 256, rgba: tuple[int, int, int, int] = (90, 150, 210, 255)
         ) -> bytes:
    """A plain one-colour PNG, written by hand (no imaging library needed)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    raw = b"".join(b"\x00" + bytes(rgba) * width for _ in range(height))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw)) + \
        chunk(b"IEND", b"")


TILE_PNG = _png()


def make_mbtiles(path: Path, *, z: int = 1, x: int = 1, y_xyz: int = 0, fmt: str = "png") -> Path:
    """An MBTiles file holding one tile at (z, x, y) in XYZ numbering (stored TMS-flipped)."""
    con = sqlite3.connect(path)
    try:
        con.execute("CREATE TABLE metadata (name TEXT, value TEXT)")
        con.execute("CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, "
                    "tile_row INTEGER, tile_data BLOB)")
        con.executemany("INSERT INTO metadata VALUES (?, ?)", [
            ("name", "测试底图"), ("format", fmt), ("minzoom", "0"), ("maxzoom", "16"),
            ("attribution", "测试底图 © patrolnet"),
        ])
        con.execute("INSERT INTO tiles VALUES (?, ?, ?, ?)", (z, x, (1 << z) - 1 - y_xyz, TILE_PNG))
        con.commit()
    finally:
        con.close()
    return path


def recorded_shift(demo_file: Path, root: Path, *, day: date, shift: str, kinds: list[str]) -> tuple[Path, list]:
    """A copy of the demo in ``root`` with the shift of ``day`` planned for ``kinds`` and recorded (as
    the route planner records it), and the plans."""
    import shutil

    from app.services.plans import inputs_version, record_output
    from app.services.routes import plan_summary, routes_job

    path = root / "yushui.gpkg"
    shutil.copyfile(demo_file, path)
    ws = Workspace(path)
    plans, written = routes_job(ws, shift=shift, date=day, out=root / "plan", kinds=kinds)
    record_output(path, kind="routes", author="tester", params={"shift": shift}, inputs=inputs_version(ws),
                  folder=written[0].parent, files=[p.name for p in written], keep_copy=True,
                  result=plan_summary(plans, day=day, shift=shift))
    return path, plans


def plain_client_class() -> type:
    """starlette's TestClient, signed in as nobody; starlette >= 1.x warns (an error here) when it
    finds only ``httpx`` and not ``httpx2``: that deprecation is about the test tool, so it is silenced."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"Using `httpx` with `starlette.testclient`")
        from fastapi.testclient import TestClient
    return TestClient


def client_class(role: str = "admin") -> type:
    """A TestClient signed in (bearer token) as the test user of ``role`` (see ``tests/app/_auth.py``);
    the tests of the sign-in itself use :func:`plain_client_class`."""
    from tests.app._auth import auth_headers

    base = plain_client_class()

    class SignedInClient(base):  # type: ignore[misc, valid-type]
        def __init__(self, app, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003
            super().__init__(app, *args, **kwargs)
            self.headers.update(auth_headers(app, role))

    return SignedInClient


class QueueOnlyExecutor:
    """Stands in for an app's job pool: jobs stay queued (nothing runs, nothing is written), except
    the kinds in ``run``, which run inline (the import's route waits for its job)."""

    def __init__(self, run: tuple[str, ...] = ()):
        self.run = run

    def submit(self, fn, job, *args):  # noqa: ANN001, ANN002, ANN201
        from concurrent.futures import Future

        if job.kind in self.run:
            fn(job, *args)
        done: Future[None] = Future()
        done.set_result(None)
        return done

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        pass


def keep_jobs_queued(app, run: tuple[str, ...] = ()):  # noqa: ANN001, ANN201
    """Make ``app``'s jobs stay queued (see :class:`QueueOnlyExecutor`); returns the app."""
    executor = QueueOnlyExecutor(run)
    app.state.patrolnet.jobs._executor = lambda: executor  # noqa: SLF001
    return app


def wait_job(client, href: str, timeout: float = 180.0) -> dict:  # noqa: ANN001
    """Poll a job until it is done or failed; the job's JSON (``_seen``: the statuses and progress
    polled on the way)."""
    import time

    deadline = time.monotonic() + timeout
    seen: list[tuple[str, float]] = []
    while True:
        job = client.get(href).json()
        seen.append((job["status"], job["progress"]))
        if job["status"] in ("done", "failed"):
            job["_seen"] = seen
            return job
        assert time.monotonic() < deadline, f"job did not finish: {job}"
        time.sleep(0.1)


#: Vancouver's theft types as the workspace's categories.
_VANCOUVER_TYPES = {"Theft from Vehicle": "theft_from_vehicle", "Theft of Vehicle": "vehicle_theft",
                    "Theft of Bicycle": "other_theft", "Other Theft": "other_theft"}


def build_vancouver(path: Path) -> Workspace:
    """Real Vancouver thefts of 2020 (local times, summer time) in four stations of two communities'
    quadrants, each with one neighborhood: the report's units drawn over the real city."""
    raw = pd.read_csv(Path(__file__).resolve().parents[1] / "data" / "incidents" / "vancouver_thefts_2020.csv.gz")
    raw = raw[raw["X"].notna() & (raw["X"] > 0)]
    local = pd.to_datetime({"year": raw["YEAR"], "month": raw["MONTH"], "day": raw["DAY"],
                            "hour": raw["HOUR"], "minute": raw["MINUTE"]})
    occurred = local.dt.tz_localize("America/Vancouver", nonexistent="shift_forward", ambiguous=False)
    x, y = raw["X"].to_numpy(float), raw["Y"].to_numpy(float)
    mx, my = float(np.median(x)), float(np.median(y))
    quad = (x >= mx).astype(int) + 2 * (y >= my).astype(int)
    lo_x, lo_y, hi_x, hi_y = x.min() - 1, y.min() - 1, x.max() + 1, y.max() + 1
    boxes = [shapely.box(*b) for b in ((lo_x, lo_y, mx, my), (mx, lo_y, hi_x, my), (lo_x, my, mx, hi_y),
                                       (mx, my, hi_x, hi_y))]
    ids = [f"S{q + 1}" for q in range(4)]
    centres = [b.centroid for b in boxes]
    stations = gpd.GeoDataFrame({"station_id": ids, "name": [f"第{q + 1}派出所" for q in range(4)],
                                 "name_en": [f"Station {q + 1}" for q in range(4)],
                                 "site_x": [c.x for c in centres], "site_y": [c.y for c in centres]},
                                geometry=boxes, crs="EPSG:32610")
    communities = gpd.GeoDataFrame({"community_id": [f"C{q + 1}" for q in range(4)],
                                    "name": [f"社区{q + 1}" for q in range(4)], "station_id": ids,
                                    "office_name": [f"社区{q + 1}警务室" for q in range(4)],
                                    "office_x": [c.x for c in centres], "office_y": [c.y for c in centres],
                                    "residents": [25_000] * 4}, geometry=boxes, crs="EPSG:32610")
    # a neighborhood: the 300 m around each quadrant's centre; thefts inside it are "in the neighborhood"
    hoods = gpd.GeoDataFrame({"neighborhood_id": [f"N{q + 1}" for q in range(4)],
                              "name": [f"小区{q + 1}" for q in range(4)],
                              "community_id": [f"C{q + 1}" for q in range(4)], "station_id": ids,
                              "households": [800] * 4, "kind": "residential"}, geometry=[c.buffer(300) for c in centres], crs="EPSG:32610")
    pts = gpd.points_from_xy(x, y)
    in_hood = np.full(len(raw), None, dtype=object)
    for q, h in enumerate(hoods.geometry):
        in_hood[shapely.contains(h, pts)] = f"N{q + 1}"
    inc = gpd.GeoDataFrame({"incident_id": [f"V{i}" for i in range(len(raw))], "occurred_at": occurred.to_numpy(),
                            "category": raw["TYPE"].map(_VANCOUVER_TYPES).to_numpy(), "place_kind": np.where(pd.notna(in_hood), "neighborhood", "street"),
                            "station_id": [ids[q] for q in quad], "community_id": [f"C{q + 1}" for q in quad],
                            "neighborhood_id": in_hood}, geometry=pts, crs="EPSG:32610")
    return create_workspace(path, {"stations": stations, "communities": communities, "neighborhoods": hoods,
                                   "incidents": inc}, crs="EPSG:32610", timezone="America/Vancouver")
