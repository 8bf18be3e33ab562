"""Planning is deterministic (issue 14): the same inputs and the same date give the same plan, byte
for byte, whatever the machine's load or the interpreter's hash seed; a changed input changes it.

Real data: the San Francisco Mission extract and the 2019 robberies of tests/data (PROVENANCE.md),
with "1+2+N" grid teams placed at fixed points of the extract. (No brigade vehicles here: the
extract's main roads are cut by its bounding box, so a beat holds arcs with no way back to its base;
the brigade's part is checked on the demo district in tests/app/test_deterministic_routes.py.)
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from routing.patrol import plan_team_loop, team_loops, walk_graph
from routing.patrol.loops import search_budget
from routing.patrol.orienteering import solve_orienteering
from tests.routing._mission import mission_with_robberies

ROOT = Path(__file__).parents[2]
DAY = "2020-01-10"  # the robberies are of 2019: a year of history before the shift
SHIFT = "19:00-23:00"
#: A busy loop for one core, beside a plan (it ends by itself after 10 minutes should the test die).
BUSY = "import time\nend = time.monotonic() + 600\nwhile time.monotonic() < end: pass"
#: Team bases at fixed fractions of the extract's extent, and how they patrol.
TEAMS = [(0.25, 0.3, "foot"), (0.5, 0.5, "foot"), (0.7, 0.35, "foot"), (0.35, 0.7, "ebike"), (0.65, 0.7, "foot"),
         (0.45, 0.2, "ebike")]


@pytest.fixture(scope="module")
def sf_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Mission extract with its robberies: those on local streets are neighborhood incidents
    (the grid teams' prizes), those on main roads street incidents; 6 grid teams of one station
    (4 on foot, 2 on e-bikes)."""
    ws, inc, _ = mission_with_robberies(tmp_path_factory.mktemp("sf"))
    x0, y0, x1, y1 = ws.read("road_edges").total_bounds
    xy = [(x0 + a * (x1 - x0), y0 + b * (y1 - y0)) for a, b, _ in TEAMS]
    n_t = len(TEAMS)
    units = gpd.GeoDataFrame({
        "unit_id": [f"T{i + 1:02d}" for i in range(n_t)], "kind": ["grid_team"] * n_t,
        "name": [f"Mission grid team {i + 1}" for i in range(n_t)], "station_id": ["S01"] * n_t,
        "officers": [1] * n_t, "auxiliaries": [2] * n_t, "volunteers": [4] * n_t, "mode": [m for _, _, m in TEAMS],
    }, geometry=shapely.points(xy), crs=ws.crs)
    ws = ws.write({"incidents": inc, "units": units})
    assert (inc["place_kind"] == "neighborhood").sum() > 100 and (inc["place_kind"] == "street").sum() > 20
    return ws.path


def _routes(ws_file: Path, where: Path, *, hash_seed: str, load: bool = False, extra: tuple[str, ...] = ()) -> Path:
    """``patrolnet routes`` on a private copy of ``ws_file`` (same file name) in a fresh interpreter
    with ``PYTHONHASHSEED=hash_seed``; with ``load``, two busy loops (one per core) run beside it.
    Returns the output folder."""
    where.mkdir(parents=True)
    ws = where / ws_file.name
    shutil.copyfile(ws_file, ws)
    out = where / "out"
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    busy = [subprocess.Popen([sys.executable, "-c", BUSY]) for _ in range(2 if load else 0)]
    try:
        res = subprocess.run([sys.executable, "-m", "app.cli", "routes", str(ws), "--shift", SHIFT, "--date", DAY,
                              "--out", str(out), "--lang", "en", *extra],
                             cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False)
    finally:
        for p in busy:
            p.kill()
            p.wait()
    assert res.returncode == 0, res.stdout + res.stderr
    plans = subprocess.run([sys.executable, "-m", "app.cli", "plans", "list", str(ws), "--json"], cwd=ROOT, env=env,
                           capture_output=True, text=True, timeout=120, check=False)
    assert plans.returncode == 0, plans.stderr
    [rec] = json.loads(plans.stdout)
    (where / "summary.json").write_text(json.dumps(rec["result"], ensure_ascii=False, sort_keys=True), encoding="utf-8")
    return out


def _files(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())}


def test_the_same_shift_planned_twice_gives_the_same_files_byte_for_byte(sf_workspace, tmp_path):
    a = _routes(sf_workspace, tmp_path / "a", hash_seed="0")
    t = time.perf_counter()
    b = _routes(sf_workspace, tmp_path / "b", hash_seed="4242", load=True)
    print(f"\nMission shift planned under load in {time.perf_counter() - t:.1f} s")
    fa, fb = _files(a), _files(b)
    assert sorted(fa) == sorted(fb) and len(fa) == 6  # GeoJSON, GPX, KML, patrol sheets, dosage CSV, per-unit zip
    for name in fa:
        assert fa[name] == fb[name], f"{name} differs between two runs on the same inputs"
    assert (tmp_path / "a" / "summary.json").read_bytes() == (tmp_path / "b" / "summary.json").read_bytes()
    # the plan is a real one: every unit routed, the teams collect prize from the robberies
    routes = json.loads(next(v for k, v in fa.items() if k.endswith(".geojson")))
    lines = [f["properties"] for f in routes["features"] if f["properties"]["feature_type"] == "route"]
    assert len(lines) == len(TEAMS)
    teams = [p for p in lines if p["unit_kind"] == "grid_team"]
    assert all(p["stops"] and p["prize"] > 0 and p["duration_min"] <= 120 + 1e-6 for p in teams)
    # the stops are named by what is there: the real streets crossing ("Mission St与20th St交叉口"), a
    # street, or the nearest one; never "stop N"; each stop has its street; no name twice in a loop
    stops = [st for p in teams for st in p["stops"]]
    assert all(not st["label"].startswith(("巡逻点", "节点", "无名")) and st["road"] for st in stops), stops[:5]
    assert sum("交叉口" in st["label"] for st in stops) > len(stops) / 2
    assert all(len({st["label"] for st in p["stops"]}) == len(p["stops"]) for p in teams)
    # the files carry the shift's own times, not the time they were written
    gpx = next(v for k, v in fa.items() if k.endswith(".gpx")).decode()
    assert "<time>2020-01-11T03:00:00Z</time>" in gpx  # 19:00 in San Francisco (UTC-8), the shift start
    today = {d.isoformat() for d in (dt.date.today(), dt.datetime.now(dt.UTC).date())}
    assert not any(d.encode() in v for d in today for v in fa.values())  # the run's day is in no file


def test_one_changed_incident_changes_the_plan(sf_workspace, tmp_path):
    """Drop the robbery nearest the first stop of the first team: that team's prize there falls, so
    its loop (and the files) change; the other inputs are as before."""
    from app.storage.workspace import Workspace

    base = _routes(sf_workspace, tmp_path / "base", hash_seed="1")
    routes = json.loads(next(p for p in base.iterdir() if p.suffix == ".geojson").read_text(encoding="utf-8"))
    team = next(f["properties"] for f in routes["features"]
                if f["properties"]["feature_type"] == "route" and f["properties"]["unit_kind"] == "grid_team")
    changed = tmp_path / "changed" / sf_workspace.name
    changed.parent.mkdir()
    shutil.copyfile(sf_workspace, changed)
    ws = Workspace(changed)
    inc = ws.read("incidents")
    stop = team["stops"][0]
    stop_xy = gpd.GeoSeries(gpd.points_from_xy([stop["lon"]], [stop["lat"]]), crs="EPSG:4326").to_crs(inc.crs).iloc[0]
    hood = inc[inc["place_kind"] == "neighborhood"]
    drop = hood.geometry.distance(stop_xy).idxmin()
    assert hood.geometry.distance(stop_xy).min() < 150  # it counted towards that stop
    ws.write({"incidents": inc.drop(index=drop)})
    after = _routes(changed, tmp_path / "after", hash_seed="1")
    fa, fb = _files(base), _files(after)
    assert any(fa[n] != fb[n] for n in fa)
    again = json.loads(next(v for k, v in fb.items() if k.endswith(".geojson")))
    team2 = next(f["properties"] for f in again["features"]
                 if f["properties"]["feature_type"] == "route" and f["properties"]["unit_id"] == team["unit_id"])
    assert (team2["prize"], [s["lon"] for s in team2["stops"]]) != (team["prize"], [s["lon"] for s in team["stops"]])


def _grid(n: int = 12, spacing: float = 100.0):
    """An n x n street grid (EPSG:4547 metres) with prizes on every third node."""
    import networkx as nx

    G = nx.MultiDiGraph(crs="EPSG:4547")
    for i in range(n * n):
        G.add_node(i, x=590_000 + (i % n) * spacing, y=3_078_000 + (i // n) * spacing)
    eid = 0
    for i in range(n * n):
        for j in ((i + 1) if i % n < n - 1 else None, (i + n) if i + n < n * n else None):
            if j is None:
                continue
            for u, v in ((i, j), (j, i)):
                G.add_edge(u, v, edge_id=eid, length_m=spacing, name=None, road_class="local")
            eid += 1
    rng = np.random.default_rng(5)
    prizes = {int(k): float(w) for k, w in zip(range(0, n * n, 3), rng.integers(1, 9, n * n))}
    return G, prizes


def test_the_loop_search_stops_on_a_count_not_on_the_clock():
    """The same solve gives the same loop with 1 ms or 10 s of nominal search time mapped to the same
    count, also under load, and a tiny model with nothing to improve ends at once."""
    assert search_budget(0.1) == 60 and search_budget(None, 37) == 37 and search_budget(0) == search_budget(-1) == 10
    G, prizes = _grid()
    kw = {"start_node": 0, "budget_min": 40, "prizes": prizes, "speed_kph": 4.5, "stop_min": 1, "n_alternatives": 3,
          "seed": 3}
    one, _ = team_loops(walk_graph(G), time_limit_s=0.1, **kw)
    busy = [subprocess.Popen([sys.executable, "-c", BUSY]) for _ in range(2)]
    try:
        two, _ = team_loops(walk_graph(G), solution_limit=60, **kw)  # the same count, under load
    finally:
        for p in busy:
            p.kill()
            p.wait()
    assert [lp.stops for lp in one] == [lp.stops for lp in two]
    day = plan_team_loop(walk_graph(G), time_limit_s=0.1, date=dt.date(2026, 11, 3), **kw)
    assert day.plan.arcs == plan_team_loop(walk_graph(G), time_limit_s=0.1, date=dt.date(2026, 11, 3), **kw).plan.arcs
    # a model with one node allowed and nothing to improve: ends at once, not after a clock runs out
    t = np.array([[0, 60, 60, 60], [60, 0, 60, 60], [60, 60, 0, 60], [60, 60, 60, 0]], dtype=np.int64)
    solve_orienteering(t, np.array([0, 500, 500, 500]), 600, shakes=1)  # compiled (or loaded) before the clock
    t0 = time.perf_counter()
    loops = solve_orienteering(t, np.array([0, 500, 500, 500]), 600, shakes=1_000_000, forbidden={1, 2})
    assert loops[0].order == (3,) and time.perf_counter() - t0 < 5


def test_a_workbook_written_twice_is_the_same_file(tmp_path):
    """XLSX (reports, gap lists) carries no time of writing: openpyxl's created/modified and zip
    entry times are replaced by the given stamp, or left out."""
    import zipfile

    import openpyxl
    import pandas as pd

    from geo.writers import write_safe_xlsx

    table = pd.DataFrame({"道路": ["人民北路", "=1+1"], "分钟": [12.5, 3.0], "日期": [dt.date(2026, 11, 2)] * 2})
    write_safe_xlsx([("计划", table)], tmp_path / "a.xlsx")
    time.sleep(2.1)  # zip times have a 2-second resolution
    write_safe_xlsx([("计划", table)], tmp_path / "b.xlsx")
    assert (tmp_path / "a.xlsx").read_bytes() == (tmp_path / "b.xlsx").read_bytes()
    core = zipfile.ZipFile(tmp_path / "a.xlsx").read("docProps/core.xml")
    assert b"dcterms:created" not in core and b"dcterms:modified" not in core
    shift = dt.datetime(2026, 11, 2, 20, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    write_safe_xlsx([("计划", table)], tmp_path / "c.xlsx", stamp=shift)
    book = openpyxl.load_workbook(tmp_path / "c.xlsx")
    assert book.properties.created == book.properties.modified == dt.datetime(2026, 11, 2, 12, 0)
    assert {i.date_time for i in zipfile.ZipFile(tmp_path / "c.xlsx").infolist()} == {(2026, 11, 2, 12, 0, 0)}
    assert [[c.value for c in row] for row in book["计划"].iter_rows()][1][:2] == ["人民北路", 12.5]
