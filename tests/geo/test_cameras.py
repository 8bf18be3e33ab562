"""Cameras: view sectors and line of sight (known answers, brute-force ray casting), coverage (against
brute-force unions), the gap list and its writers, siting (against brute force and spopt's MCLP), and
the real Helsinki extract (221 real cameras, buildings, streets)."""

from __future__ import annotations

import itertools
import json
import math
import time
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pytest
import scipy.sparse as sp
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo.cameras import (
    GAP_COLUMNS,
    HEADERS,
    KIND_DEFAULTS,
    area_seen_m2,
    camera_coverage,
    camera_gaps,
    camera_views,
    candidate_sites,
    coverage_matrix,
    csv_safe,
    line_seen_m,
    neighborhood_entrances,
    objective_of,
    one_copy_per_street,
    points_seen,
    resolve_risk,
    resolve_view_parameters,
    sector_polygons,
    seen_between,
    seen_intervals,
    site_cameras,
    solve_mclp,
    solve_set_cover,
    split_lines,
    view_polygons,
    write_table,
)
from geo.errors import CRSError, InfeasibleError, InputError
from geo.osm import read_osm

CRS = "EPSG:4547"
X0, Y0 = 590_000.0, 3_078_000.0
HELSINKI = Path(__file__).resolve().parents[1] / "data" / "osm" / "helsinki_centre.osm.pbf"


# --------------------------------------------------------------------------------------------
# helpers


def cams(rows: list[dict], crs: str = CRS) -> gpd.GeoDataFrame:
    df = pd.DataFrame(rows)
    geom = shapely.points(df.pop("x").to_numpy() + X0, df.pop("y").to_numpy() + Y0)
    if "camera_id" not in df:
        df["camera_id"] = [f"K{i}" for i in range(len(df))]
    return gpd.GeoDataFrame(df, geometry=geom, crs=crs)


def lattice(nx_: int, ny: int, spacing: float = 100.0) -> gpd.GeoDataFrame:
    """Both directed copies of every street of a lattice, as in the workspace."""
    rows, lines = [], []
    node = lambda i, j: i * (ny + 1) + j  # noqa: E731
    eid = 0
    for i in range(nx_ + 1):
        for j in range(ny + 1):
            for di, dj in ((1, 0), (0, 1)):
                a, b = (i, j), (i + di, j + dj)
                if b[0] > nx_ or b[1] > ny:
                    continue
                pa = (X0 + a[0] * spacing, Y0 + a[1] * spacing)
                pb = (X0 + b[0] * spacing, Y0 + b[1] * spacing)
                for u, v, p, q in ((node(*a), node(*b), pa, pb), (node(*b), node(*a), pb, pa)):
                    rows.append({"edge_id": eid, "u": u, "v": v, "key": 0, "oneway": False,
                                 "name": f"路{i}-{j}", "highway": "residential", "length_m": spacing})
                    lines.append(shapely.LineString([p, q]))
                    eid += 1
    return gpd.GeoDataFrame(rows, geometry=lines, crs=CRS)


def los_seen(cam_xy, bearing, fov, rng_m, buildings, pts):
    """Brute-force line of sight: in the sector and the sight line crosses no building interior."""
    d = pts - cam_xy
    dist = np.hypot(d[:, 0], d[:, 1])
    ang = np.degrees(np.arctan2(d[:, 0], d[:, 1]))
    off = np.abs((ang - bearing + 180) % 360 - 180)
    in_sector = (dist <= rng_m) & ((fov >= 360) | (off <= fov / 2))
    sight = shapely.linestrings(np.stack([np.broadcast_to(cam_xy, pts.shape), pts], axis=1))
    blocked = np.zeros(len(pts), bool)
    for b in buildings:  # test oracle: a few buildings
        inter = shapely.intersection(sight, b)
        blocked |= shapely.length(inter) > 1e-6
    return in_sector & ~blocked


# --------------------------------------------------------------------------------------------
# views


def test_sector_shape_bearing_and_area():
    s = sector_polygons(np.array([0.0, 0.0, 0.0]), np.array([0.0, 0.0, 0.0]),
                        np.array([90.0, 0.0, np.nan]), np.array([60.0, 90.0, 360.0]),
                        np.array([50.0, 80.0, 30.0]))
    assert shapely.is_valid(s).all()
    east, north, disc = s
    assert east.contains(shapely.Point(30, 0)) and not east.contains(shapely.Point(-30, 0))
    assert north.contains(shapely.Point(0, 60)) and not north.contains(shapely.Point(60, 0))
    assert east.area == pytest.approx(math.pi * 50**2 / 6, rel=2e-3)
    assert north.area == pytest.approx(math.pi * 80**2 / 4, rel=2e-3)
    assert disc.area == pytest.approx(math.pi * 30**2, rel=2e-3)
    # every arc vertex sits at the range, the apex at the camera
    xy = shapely.get_coordinates(east)
    r = np.hypot(xy[:, 0], xy[:, 1])
    assert np.allclose(np.sort(r)[:2], 0) and np.allclose(r[r > 1], 50)


def test_sectors_from_vertices_match_buffer_and_intersect():
    rng = np.random.default_rng(4)
    n = 300
    x, y = rng.uniform(0, 1000, n), rng.uniform(0, 1000, n)
    b, f, r = rng.uniform(0, 360, n), rng.uniform(10, 300, n), rng.uniform(10, 100, n)
    ours = sector_polygons(x, y, b, f, r, arc_step_deg=1.0)
    # the peer: a fine disc intersected with a wide wedge fan
    circ = shapely.buffer(shapely.points(x, y), r, quad_segs=90)
    t = np.linspace(-0.5, 0.5, 64)[None, :]
    ang = np.radians(b[:, None] + f[:, None] * t)
    fan = np.concatenate([np.column_stack([x, y])[:, None, :],
                          np.stack([x[:, None] + 3 * r[:, None] * np.sin(ang),
                                    y[:, None] + 3 * r[:, None] * np.cos(ang)], axis=2),
                          np.column_stack([x, y])[:, None, :]], axis=1)
    peer = shapely.intersection(circ, shapely.polygons(fan))
    sym = shapely.area(shapely.symmetric_difference(ours, peer))
    assert (sym / shapely.area(peer) < 2e-3).all()


def test_kind_defaults_and_unknown_bearing():
    p = resolve_view_parameters(
        np.array(["dome", "bullet", "skynet_pole", "speed", "bullet", "bullet"], dtype=object),
        np.array([np.nan, 10.0, 370.0, 5.0, np.nan, np.nan]),
        np.array([np.nan, np.nan, np.nan, np.nan, np.nan, 360.0]),
        np.array([np.nan, np.nan, np.nan, np.nan, 40.0, np.nan]),
    )
    assert list(p["fov_deg"]) == [360.0, 60.0, 90.0, 30.0, 360.0, 360.0]
    assert list(p["range_m"]) == [30.0, 50.0, 80.0, 60.0, 20.0, 50.0]
    assert list(p["bearing_unknown"]) == [False, False, False, False, True, False]
    assert p["bearing_deg"][2] == pytest.approx(10.0)
    assert set(KIND_DEFAULTS) == {"dome", "bullet", "skynet_pole", "speed"}
    with pytest.raises(InputError, match="unknown"):
        resolve_view_parameters(np.array(["tripod"], dtype=object), np.array([0.0]), np.array([np.nan]),
                                np.array([np.nan]))
    with pytest.raises(InputError, match="fov_deg"):
        resolve_view_parameters(np.array(["bullet"], dtype=object), np.array([0.0]), np.array([400.0]),
                                np.array([np.nan]))
    with pytest.raises(InputError, match="range_m"):
        resolve_view_parameters(np.array(["bullet"], dtype=object), np.array([0.0]), np.array([60.0]),
                                np.array([-1.0]))


def test_camera_views_adapter_checks_and_keeps_input():
    c = cams([{"x": 0, "y": 0, "kind": "bullet", "bearing_deg": 0.0},
              {"x": 100, "y": 0, "kind": "bullet", "bearing_deg": None}])
    before = c.copy()
    v = camera_views(c)
    pd.testing.assert_frame_equal(c, before)
    assert list(v["bearing_unknown"]) == [False, True]
    assert v["range_m"].tolist() == [50.0, 25.0]
    assert v.index.equals(c.index) and v.crs == c.crs
    with pytest.raises(CRSError):
        camera_views(c.to_crs("EPSG:4326"))
    with pytest.raises(InputError, match="kind"):
        camera_views(c.drop(columns="kind"))
    b = gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 1, 1)], crs="EPSG:3857")
    with pytest.raises(CRSError):
        camera_views(c, buildings=b)


def test_building_shadow_known_answer():
    b = np.array([shapely.box(-5, 20, 5, 30)])
    v = view_polygons([0.0], [0.0], [0.0], [90.0], [50.0], buildings=b, arc_step_deg=0.5)["geometry"][0]
    assert shapely.is_valid(v)
    # the shadow: the wedge behind the front wall (y = 20, x in [-5, 5]) out to the range
    theta = 2 * math.atan(5 / 20)
    shadow = theta / 2 * 50**2 - 0.5 * 10 * 20
    assert v.area == pytest.approx(math.pi * 50**2 / 4 - shadow, rel=2e-3)
    assert not v.contains(shapely.Point(0, 40)) and not v.contains(shapely.Point(0, 25))
    assert v.contains(shapely.Point(0, 15)) and v.contains(shapely.Point(20, 30))


def random_buildings(rng, n):
    out = []
    for _ in range(n):
        cx, cy = rng.uniform(-60, 60, 2)
        w, h = rng.uniform(4, 20, 2)
        box = shapely.box(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
        kind = rng.integers(0, 3)
        if kind == 1:  # L-shape: concave
            box = box.difference(shapely.box(cx, cy, cx + w, cy + h))
        elif kind == 2:  # courtyard: a hole
            box = box.difference(shapely.box(cx - w / 4, cy - h / 4, cx + w / 4, cy + h / 4))
        out.append(shapely.affinity.rotate(box, rng.uniform(0, 90), origin=(cx, cy)))
    u = shapely.get_parts(shapely.union_all(out))  # footprints do not overlap in a city
    return u[shapely.get_type_id(u) == 3]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), fov=st.sampled_from([30.0, 90.0, 200.0, 360.0]))
def test_line_of_sight_matches_ray_casting(seed, fov):
    rng = np.random.default_rng(seed)
    blds = random_buildings(rng, 8)
    cam = np.array([0.0, 0.0])
    if any(shapely.intersects(b, shapely.Point(cam).buffer(0.5)) for b in blds):
        blds = np.array([b for b in blds if not shapely.intersects(b, shapely.Point(cam).buffer(0.5))])
    bearing = float(rng.uniform(0, 360))
    v = view_polygons([0.0], [0.0], [bearing], [fov], [70.0], buildings=blds, arc_step_deg=0.25)["geometry"][0]
    assert shapely.is_valid(v)
    pts = rng.uniform(-75, 75, (1500, 2))
    # skip points within 0.3 m of any boundary (view, buildings) or of the range circle
    ptg = shapely.points(pts)
    edge = shapely.union_all([shapely.boundary(v), *shapely.boundary(blds)]) if len(blds) else shapely.boundary(v)
    far = (shapely.distance(ptg, edge) > 0.3) & (np.abs(np.hypot(pts[:, 0], pts[:, 1]) - 70) > 0.5)
    truth = los_seen(cam, bearing, fov, 70.0, blds, pts[far])
    got = shapely.contains(v, ptg[far])
    assert (truth == got).mean() > 0.998, f"{(truth != got).sum()} of {far.sum()} points disagree"


def test_shadows_in_a_block_grid_match_ray_casting():
    """Street cameras between 20 m footprints on a 30 m grid: many nearly touching shadows (the first
    camera is a case where uniting them with GEOS's make_valid(method="structure") drops a piece)."""
    c = np.arange(223) * 30.0 + 15.0  # the benchmark's 49,729 footprints (piece order matters to GEOS)
    cx, cy = np.meshgrid(c, c)
    blds = shapely.box(cx.ravel() - 10, cy.ravel() - 10, cx.ravel() + 10, cy.ravel() + 10)
    rng = np.random.default_rng(12)
    n = 40
    line = rng.integers(0, 40, n) * 30.0
    t = rng.uniform(100, 1000, n)
    xy = np.where((rng.random(n) < 0.5)[:, None], np.column_stack([t, line]), np.column_stack([line, t]))
    xy = np.vstack([[684.5863387017083, 89.81855172830467], xy + rng.normal(0, 2.0, xy.shape)])
    brg = np.r_[147.6371829227904, rng.uniform(0, 360, n)]
    fov = np.r_[60.0, rng.choice([60.0, 90.0, 360.0], n)]
    res = view_polygons(xy[:, 0], xy[:, 1], brg, fov, np.full(n + 1, 50.0), buildings=blds)
    views = res["geometry"]
    assert res["inside_building"].sum() > 0  # some are inside a footprint: the oracle looks from the wall
    xy = np.column_stack([res["x_m"], res["y_m"]])
    near = blds[shapely.STRtree(blds).query(shapely.box(0, 0, 1200, 1200))]
    for i in range(n + 1):
        local = near[shapely.dwithin(near, shapely.Point(xy[i]), 55.0)]
        if i == 0:  # dense: the piece GEOS's make_valid would drop is about 28 m2
            g = np.arange(-52.0, 52.0, 0.5)
            pts = xy[i] + np.stack(np.meshgrid(g, g), axis=-1).reshape(-1, 2)
        else:
            pts = xy[i] + rng.uniform(-52, 52, (400, 2))
        ptg = shapely.points(pts)
        edge = shapely.union_all([shapely.boundary(views[i]), *shapely.boundary(local)])
        far = (shapely.distance(ptg, edge) > 0.3) & (np.abs(np.hypot(*(pts - xy[i]).T) - 50) > 0.5)
        truth = los_seen(xy[i], brg[i], fov[i], 50.0, local, pts[far])
        wrong = int((truth != shapely.contains(views[i], ptg[far])).sum())
        assert wrong <= (8 if i == 0 else 2), f"camera {i}: {wrong} of {far.sum()} points disagree"


def test_camera_inside_a_building_is_put_on_its_wall():
    b = np.array([shapely.box(-5, 20, 5, 30), shapely.box(5, 20, 15, 30)])  # terrace: a party wall at x=5
    r = view_polygons([14.0], [25.0], [np.nan], [360.0], [30.0], buildings=b)
    # nearest outer wall of the block is x = 15 (the party wall x = 5 is not outer)
    assert r["inside_building"][0] and r["x_m"][0] == pytest.approx(15.05)
    v = r["geometry"][0]
    assert v.contains(shapely.Point(25, 25)) and not v.contains(shapely.Point(0, 25))
    assert v.area == pytest.approx(math.pi * 900 / 2, rel=0.02)  # about the half-plane in front of the wall
    indoor = view_polygons([14.0], [25.0], [np.nan], [360.0], [30.0], buildings=b, inside_building="indoor")
    assert indoor["geometry"][0].is_empty and indoor["x_m"][0] == 14.0
    with pytest.raises(InputError):
        view_polygons([0.0], [0.0], [0.0], [60.0], [50.0], buildings=b, inside_building="roof")


# --------------------------------------------------------------------------------------------
# coverage


def random_views(rng, n, ext=800.0):
    return sector_polygons(rng.uniform(0, ext, n) + X0, rng.uniform(0, ext, n) + Y0, rng.uniform(0, 360, n),
                           rng.choice([60.0, 90.0, 360.0], n), rng.uniform(20, 80, n))


def test_seen_lengths_match_the_union_brute_force():
    rng = np.random.default_rng(7)
    views = random_views(rng, 120)
    views[5] = None
    edges = lattice(8, 8)
    lines = edges.geometry.to_numpy()[one_copy_per_street(edges)]
    bent = shapely.linestrings([[X0 + 10, Y0 + 10], [X0 + 300, Y0 + 50], [X0 + 320, Y0 + 400], [X0 + 10, Y0 + 420]])
    lines = np.concatenate([lines, [bent]])
    iv = seen_intervals(views, lines)
    got = line_seen_m(iv)
    u = shapely.union_all(views[views != None])  # noqa: E711
    want = shapely.length(shapely.intersection(lines, u))
    assert np.allclose(got, want, atol=1e-6)
    # pieces of a line add up to the line
    sp_ = split_lines(lines, piece_m=33.0)
    per = seen_between(iv, sp_["line"], sp_["from_m"], sp_["to_m"])
    assert np.allclose(np.bincount(sp_["line"], weights=per, minlength=len(lines)), got, atol=1e-6)
    brute = shapely.length(shapely.intersection(sp_["geometry"], u))
    assert np.allclose(per, brute, atol=1e-6)


def test_split_lines_keeps_bends_and_lengths():
    lines = np.array([shapely.LineString([(0, 0), (30, 0), (30, 40), (100, 40)]), shapely.LineString([(0, 0), (20, 0)])])
    sp_ = split_lines(lines, piece_m=25.0)
    L = shapely.length(sp_["geometry"])
    assert np.allclose(np.bincount(sp_["line"], weights=L), [140, 20])
    assert (L <= 25 + 1e-9).all() and list(np.bincount(sp_["line"])) == [6, 1]
    assert shapely.equals(shapely.line_merge(shapely.union_all(sp_["geometry"][sp_["line"] == 0])), lines[0])
    with pytest.raises(InputError):
        split_lines(lines, piece_m=0)


def test_each_two_way_street_counts_once():
    edges = lattice(2, 1)
    keep = one_copy_per_street(edges)
    assert keep.sum() == len(edges) // 2
    one = edges.copy()
    one["oneway"] = True  # two one-way streets between the same nodes are two streets
    assert one_copy_per_street(one).all()
    c = cams([{"x": 100, "y": 50, "kind": "dome", "range_m": 1000.0}])
    cov = camera_coverage(camera_views(c), edges=edges)
    assert cov.figures["road_km"] == pytest.approx(0.7) and cov.figures["road_share_seen"] == pytest.approx(1.0)


def test_area_and_points_seen():
    rng = np.random.default_rng(2)
    views = random_views(rng, 60, ext=400)
    cells = shapely.polygons(np.array([[[X0 + i, Y0 + j], [X0 + i + 50, Y0 + j], [X0 + i + 50, Y0 + j + 50],
                                        [X0 + i, Y0 + j + 50], [X0 + i, Y0 + j]]
                                       for i in range(0, 400, 50) for j in range(0, 400, 50)], dtype=float))
    got = area_seen_m2(views, cells)
    want = shapely.area(shapely.intersection(cells, shapely.union_all(views)))
    assert np.allclose(got, want, atol=1e-6)
    pts = shapely.points(rng.uniform(0, 400, (500, 2)) + [X0, Y0])
    assert (points_seen(views, pts) == shapely.intersects(shapely.union_all(views), pts)).all()


def test_neighborhood_entrances_and_coverage():
    edges = lattice(3, 1)  # streets x = 0..300, y = 0 and 100
    nb = gpd.GeoDataFrame({"neighborhood_id": ["N1"], "name": ["水榭丽都"]},
                          geometry=[shapely.box(X0 + 150, Y0 - 40, X0 + 250, Y0 + 40)], crs=CRS)
    ent = neighborhood_entrances(nb, edges)
    # the y=0 street crosses the perimeter twice, the x=200 street once (it leaves through the top)
    assert len(ent) == 3 and set(ent["neighborhood_id"]) == {"N1"}
    assert sorted(map(tuple, np.round(ent[["x", "y"]].to_numpy() - [X0, Y0]))) == [(150, 0), (200, 40), (250, 0)]
    top = ent[np.isclose(ent["y"], Y0 + 40)].iloc[0]
    assert top["inward_bearing_deg"] == pytest.approx(180.0)
    assert top["inside_y"] == pytest.approx(Y0 + 30)
    c = cams([{"x": 150, "y": 0, "kind": "dome", "range_m": 10.0}])
    cov = camera_coverage(camera_views(c), edges=edges, neighborhoods=nb)
    assert cov.figures["entrances"] == 3 and cov.figures["entrances_seen"] == 1
    assert cov.neighborhoods["entrance_share"].iloc[0] == pytest.approx(1 / 3)
    assert cov.figures["neighborhood_area_share_seen"] == pytest.approx(math.pi * 100 / 2 / 8000, rel=0.01)


def test_risk_weighting_and_incidents():
    edges = lattice(2, 0)  # two streets of 100 m along y = 0
    c = cams([{"x": 50, "y": 0, "kind": "dome", "range_m": 50.0}])
    v = camera_views(c)
    kept_ids = edges.loc[one_copy_per_street(edges), "edge_id"].to_list()
    risk = pd.Series({kept_ids[0]: 3.0, kept_ids[1]: 1.0})
    inc = gpd.GeoDataFrame({"incident_id": ["a", "b", "c", "d"], "w": [1, 1, 2, 4]},
                           geometry=shapely.points([[X0 + 10, Y0], [X0 + 60, Y0], [X0 + 150, Y0], [X0 + 190, Y0]]),
                           crs=CRS)
    cov = camera_coverage(v, edges=edges, edge_risk=risk, incidents=inc, incident_weight="w")
    f = cov.figures
    assert f["road_share_seen"] == pytest.approx(0.5, rel=1e-3)
    assert f["road_risk_share_seen"] == pytest.approx(3 / 4, rel=1e-3)
    assert f["incidents_seen"] == 2 and f["incident_weighted_share_seen"] == pytest.approx(2 / 8)


def test_resolve_risk_forms():
    f = pd.DataFrame({"edge_id": [10, 11, 12], "r": [1.0, None, 2.0]}, index=[5, 6, 7])
    assert list(resolve_risk(f, "r", id_column="edge_id")) == [1.0, 0.0, 2.0]
    assert list(resolve_risk(f, pd.Series({11: 4.0}), id_column="edge_id")) == [0.0, 4.0, 0.0]
    assert list(resolve_risk(f, pd.Series({7: 4.0}), id_column="edge_id")) == [0.0, 0.0, 4.0]
    assert list(resolve_risk(f, np.array([1, 2, 3]))) == [1.0, 2.0, 3.0]
    assert resolve_risk(f, None) is None
    for bad in ("nope", np.array([1.0]), pd.Series({99: 1.0}), pd.Series([-1.0, 0, 0], index=f.index),
                pd.Series(["x", "1", "2"], index=f.index)):
        with pytest.raises(InputError):
            resolve_risk(f, bad, id_column="edge_id")


def test_coverage_10k_cameras_100k_edges_is_fast():
    rng = np.random.default_rng(1)
    k, sp_m = 224, 30.0
    xs = np.arange(k) * sp_m
    X, Y = np.meshgrid(xs, xs)
    a = np.vstack([np.column_stack([X[:, :-1].ravel(), Y[:, :-1].ravel()]),
                   np.column_stack([X[:-1, :].ravel(), Y[:-1, :].ravel()])])
    b = a + np.vstack([np.tile([sp_m, 0], (k * (k - 1), 1)), np.tile([0, sp_m], (k * (k - 1), 1))])
    lines = shapely.linestrings(np.stack([a, b], axis=1))
    assert len(lines) > 99_000
    t0 = time.perf_counter()
    views = sector_polygons(rng.uniform(0, k * sp_m, 10_000), rng.uniform(0, k * sp_m, 10_000),
                            rng.uniform(0, 360, 10_000), 60.0, 50.0)
    seen = line_seen_m(seen_intervals(views, lines))
    seconds = time.perf_counter() - t0
    assert seconds < 20, f"coverage took {seconds:.1f} s"
    assert 0 < seen.sum() < shapely.length(lines).sum()


# --------------------------------------------------------------------------------------------
# gaps and writers


@pytest.fixture(scope="module")
def district():
    edges = lattice(4, 4)  # 400 m x 400 m
    stations = gpd.GeoDataFrame({"station_id": ["S01", "S02"]},
                                geometry=[shapely.box(X0 - 10, Y0 - 10, X0 + 200, Y0 + 410),
                                          shapely.box(X0 + 200, Y0 - 10, X0 + 410, Y0 + 410)], crs=CRS)
    comms = gpd.GeoDataFrame({"community_id": ["C1"], "station_id": ["S01"]},
                             geometry=[shapely.box(X0 - 10, Y0 - 10, X0 + 410, Y0 + 410)], crs=CRS)
    nb = gpd.GeoDataFrame({"neighborhood_id": ["N1", "N2"]},
                          geometry=[shapely.box(X0 + 120, Y0 + 80, X0 + 180, Y0 + 180),
                                    shapely.box(X0 + 250, Y0 + 50, X0 + 350, Y0 + 150)], crs=CRS)
    c = cams([{"x": 5, "y": 5, "kind": "skynet_pole", "bearing_deg": 45.0},
              {"x": 300, "y": 300, "kind": "dome"}])
    cells = gpd.GeoDataFrame({"cell_id": ["H1", "H2", "H3"], "risk": [5.0, 9.0, 0.0]},
                             geometry=[shapely.box(X0 + 290, Y0 + 290, X0 + 310, Y0 + 310),
                                       shapely.box(X0 + 60, Y0 + 260, X0 + 90, Y0 + 290),
                                       shapely.box(X0 + 0, Y0 + 200, X0 + 30, Y0 + 230)], crs=CRS)
    times = pd.to_datetime(["2026-01-05T10:00:00+08:00", "2026-02-01T10:00:00+08:00", "2024-01-01T10:00:00+08:00",
                            "2026-03-01T10:00:00+08:00"])
    inc = gpd.GeoDataFrame({"incident_id": ["i1", "i2", "i3", "i4"], "occurred_at": times},
                           geometry=shapely.points([[X0 + 210, Y0 + 398], [X0 + 215, Y0 + 401], [X0 + 220, Y0 + 400],
                                                    [X0 + 75, Y0 + 275]]), crs=CRS)
    return dict(edges=edges, stations=stations, communities=comms, neighborhoods=nb, cameras=c, cells=cells,
                incidents=inc)


def test_gap_list(district):
    d = district
    v = camera_views(d["cameras"])
    gaps = camera_gaps(v, edges=d["edges"], neighborhoods=d["neighborhoods"], cells=d["cells"], cell_risk="risk",
                       incidents=d["incidents"], stations=d["stations"], communities=d["communities"])
    assert list(gaps.columns) == [*GAP_COLUMNS, "geometry"]
    assert set(gaps["kind"]) == {"road_segment", "entrance", "hotspot_cell"}
    assert list(gaps["gap_id"][:3]) == ["G00001", "G00002", "G00003"] and gaps["rank"].is_monotonic_increasing
    # ranked by risk: the unseen H2 cell (risk 9) first; H1 is inside the dome's view; H3 has no risk
    assert gaps.iloc[0]["kind"] == "hotspot_cell" and gaps.iloc[0]["feature_id"] == "H2"
    assert set(gaps.loc[gaps["kind"] == "hotspot_cell", "feature_id"]) == {"H2"}
    assert gaps.iloc[0]["incidents_12m"] == 1
    # the segment by the two recent incidents at (210..215, 400); the 2024 one is too old; the one in
    # H2 (75, 275) is 25 m from the street x = 100 and counts there too
    segs = gaps[gaps["kind"] == "road_segment"]
    assert segs["incidents_12m"].sum() == 3
    seg = segs[segs["incidents_12m"] == 2]
    assert len(seg) == 1 and seg.iloc[0]["station_id"] == "S02"
    assert seg.iloc[0]["road_name"].startswith("路")
    assert (gaps.loc[gaps["kind"] == "road_segment", "length_m"] <= 50.0 + 1e-6).all()
    # no segment the skynet pole looks along near (5, 5) is a gap: its first 50 m stretch is seen
    assert gaps.loc[gaps["kind"] == "road_segment", "seen_share"].max() < 0.2
    ent = gaps[gaps["kind"] == "entrance"]
    assert set(ent["neighborhood_id"]) == {"N1", "N2"} and (ent["community_id"] == "C1").all()
    # suggested gate camera stands inside, looking out through the entrance
    for r in ent.itertuples():
        nb = d["neighborhoods"].set_index("neighborhood_id").geometry[r.neighborhood_id]
        assert nb.contains(shapely.Point(r.suggest_x, r.suggest_y))
        dx, dy = r.x - r.suggest_x, r.y - r.suggest_y
        assert r.suggest_bearing_deg == pytest.approx(math.degrees(math.atan2(dx, dy)) % 360, abs=0.1)
    assert gaps["lon"].between(114, 116).all() and gaps["lat"].between(26, 29).all()
    assert (gaps["nearest_camera_m"] > 0).all()


def test_gap_list_without_risk_ranks_by_incidents(district):
    d = district
    gaps = camera_gaps(camera_views(d["cameras"]), edges=d["edges"], incidents=d["incidents"],
                       as_of=pd.Timestamp("2026-03-31"))
    assert gaps.iloc[0]["incidents_12m"] == 2 and gaps.iloc[0]["risk_score"] == 2
    assert gaps.iloc[0]["weight"] == pytest.approx(3.0 * gaps.iloc[0]["length_m"] / 50.0, rel=1e-3)
    with pytest.raises(CRSError):
        camera_gaps(camera_views(d["cameras"]), edges=d["edges"].to_crs("EPSG:3857"))
    # no camera at all: every piece of street is a gap
    none = camera_gaps(camera_views(d["cameras"].iloc[:0]), edges=d["edges"])
    assert none["length_m"].sum() == pytest.approx(4000.0) and none["nearest_camera_m"].isna().all()


def test_writers(tmp_path, district):
    d = district
    gaps = camera_gaps(camera_views(d["cameras"]), edges=d["edges"], neighborhoods=d["neighborhoods"])
    gaps.loc[0, "road_name"] = '=HYPERLINK("http://x","y")'
    gaps.loc[1, "road_name"] = "-1+2"
    csv = write_table(gaps, tmp_path / "gaps.csv", lang="zh-CN")
    raw = csv.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(csv, encoding="utf-8-sig")
    assert list(back.columns) == [HEADERS[c][1] for c in GAP_COLUMNS]
    assert back["道路名称"].iloc[0] == "'=HYPERLINK(\"http://x\",\"y\")" and back["道路名称"].iloc[1] == "'-1+2"
    assert set(back["类型"]) <= {"路段", "小区出入口"}
    assert csv_safe(-3.5) == -3.5 and csv_safe("@x") == "'@x" and csv_safe("北湖路") == "北湖路"
    xlsx = write_table(gaps, tmp_path / "gaps.xlsx")
    ws = openpyxl.load_workbook(xlsx).active
    assert ws.freeze_panes == "A2" and ws["A1"].font.b and ws["A1"].value == "gap_id"
    col = [c.value for c in ws[1]].index("road_name") + 1
    cell = ws.cell(row=2, column=col)
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK")  # text, not a formula
    assert ws.column_dimensions["A"].width >= 8
    gj = write_table(gaps, tmp_path / "gaps.geojson", lang="zh-CN")
    doc = json.loads(gj.read_text(encoding="utf-8"))
    assert doc["type"] == "FeatureCollection" and len(doc["features"]) == len(gaps)
    x, y = doc["features"][0]["geometry"]["coordinates"][0]
    assert 114 < x < 116 and 26 < y < 29 and "缺口编号" in doc["features"][0]["properties"]
    with pytest.raises(InputError):
        write_table(gaps, tmp_path / "gaps.txt")
    with pytest.raises(InputError):
        write_table(gaps, tmp_path / "gaps.csv", lang="fr")


# --------------------------------------------------------------------------------------------
# siting


def street_instance(n_demand, n_cand, *, block_m=100.0, seed=0):
    """Demand points along a street grid, weighted by distance to a few hot spots; candidates on streets."""
    rng = np.random.default_rng(seed)
    side = math.sqrt(n_demand * 10.0 * block_m / 2)
    nl = int(side // block_m) + 1

    def along(n):
        line = rng.integers(0, 2 * nl, n)
        t = rng.uniform(0, side, n)
        off = (line % nl) * block_m
        return np.where((line < nl)[:, None], np.column_stack([t, off]), np.column_stack([off, t]))

    d = along(n_demand)
    hot = rng.uniform(0, side, (max(3, n_demand // 700), 2))
    dist = np.min(np.hypot(d[:, None, 0] - hot[None, :, 0], d[:, None, 1] - hot[None, :, 1]), axis=1)
    w = 0.1 + np.exp(-(dist / 150) ** 2) * rng.gamma(2, 1, n_demand)
    return d, along(n_cand), w


def test_coverage_matrix_against_dense_distances():
    rng = np.random.default_rng(0)
    d = rng.uniform(0, 300, (400, 2))
    c = rng.uniform(0, 300, (50, 2))
    c[0] = d[0]  # a candidate on a demand point (zero distance)
    a = coverage_matrix(d, c, radius_m=40.0)
    dense = np.hypot(d[:, None, 0] - c[None, :, 0], d[:, None, 1] - c[None, :, 1]) <= 40.0
    assert isinstance(a, sp.csc_array) and (a.toarray().astype(bool) == dense).all()
    b = np.full(50, 90.0)  # all looking east, 90 degrees wide
    a2 = coverage_matrix(d, c, radius_m=40.0, candidate_bearing_deg=b, fov_deg=90.0).toarray().astype(bool)
    vec = d[:, None, :] - c[None, :, :]
    ang = np.degrees(np.arctan2(vec[..., 0], vec[..., 1]))
    inside = (np.abs((ang - 90 + 180) % 360 - 180) <= 45) | (np.hypot(vec[..., 0], vec[..., 1]) < 1e-9)
    assert (a2 == (dense & inside)).all()
    with pytest.raises(InputError):
        coverage_matrix(d, c, radius_m=0)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 100_000), k=st.integers(1, 4))
def test_mclp_exact_equals_brute_force(seed, k):
    rng = np.random.default_rng(seed)
    d = rng.uniform(0, 200, (40, 2))
    c = rng.uniform(0, 200, (9, 2))
    w = rng.integers(0, 10, 40).astype(float)
    a = coverage_matrix(d, c, radius_m=45.0)
    best = max(objective_of(a, w, np.array(s)) for s in itertools.combinations(range(9), k))
    exact = solve_mclp(a, w, k=k, method="exact")
    highs = solve_mclp(a, w, k=k, method="highs")
    greedy = solve_mclp(a, w, k=k, method="greedy")
    assert exact.objective == pytest.approx(best) and highs.objective == pytest.approx(best)
    assert greedy.objective <= best + 1e-9
    for r in (exact, highs, greedy):
        assert len(r.selected) <= k and objective_of(a, w, r.selected) == pytest.approx(r.objective)
        assert r.gains.sum() == pytest.approx(r.objective) and (np.diff(r.gains) <= 1e-9).all()
        assert r.covered.sum() == (a[:, r.selected].sum(axis=1) > 0).sum()


def test_mclp_matches_spopt():
    import pulp
    from spopt.locate import MCLP

    rng = np.random.default_rng(11)
    d = rng.uniform(0, 1200, (600, 2))
    c = rng.uniform(0, 1200, (80, 2))
    w = rng.integers(1, 12, 600).astype(float)
    cost = np.hypot(d[:, None, 0] - c[None, :, 0], d[:, None, 1] - c[None, :, 1])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = MCLP.from_cost_matrix(cost, w, service_radius=100.0, p_facilities=12)
        ref = ref.solve(pulp.PULP_CBC_CMD(msg=False))
        ref_sel = np.array([j for j in range(80) if ref.fac_vars[j].value() > 0.5])
    ref_obj = objective_of(coverage_matrix(d, c, radius_m=100.0), w, ref_sel)
    a = coverage_matrix(d, c, radius_m=100.0)
    for method in ("exact", "highs"):
        assert solve_mclp(a, w, k=12, method=method).objective == pytest.approx(ref_obj)
    assert solve_mclp(a, w, k=12, method="greedy").objective >= 0.97 * ref_obj


def test_greedy_within_one_percent_of_exact():
    d, c, w = street_instance(8000, 1000, seed=3)
    a = coverage_matrix(d, c, radius_m=60.0)
    exact = solve_mclp(a, w, k=30, method="exact")
    greedy = solve_mclp(a, w, k=30, method="greedy")
    plain = solve_mclp(a, w, k=30, method="greedy", local_search=False)
    assert exact.status == "optimal"
    assert greedy.objective >= 0.99 * exact.objective
    assert plain.objective <= greedy.objective + 1e-9 <= exact.objective + 1e-6
    assert greedy.seconds < exact.seconds + 1.0
    assert exact.stats["demand_reduced"] < exact.stats["demand"]  # identical rows merged


def test_budgets_required_and_infeasible():
    rng = np.random.default_rng(5)
    d = rng.uniform(0, 400, (500, 2))
    c = rng.uniform(0, 400, (40, 2))
    w = rng.uniform(0, 5, 500)
    a = coverage_matrix(d, c, radius_m=60.0)
    groups = np.where(c[:, 0] < 200, "S01", "S02").astype(object)
    groups[0] = None  # a candidate outside every station
    for method in ("exact", "highs", "greedy"):
        r = solve_mclp(a, w, k=8, method=method, groups=groups, budgets={"S01": 1, "S02": 3})
        g = groups[r.selected]
        assert (g == "S01").sum() <= 1 and (g == "S02").sum() <= 3 and None not in list(g)
        r2 = solve_mclp(a, w, k=4, method=method, groups=groups, budgets=2)
        assert max(np.unique(groups[r2.selected].astype(str), return_counts=True)[1]) <= 2
        req = solve_mclp(a, w, k=3, method=method, required=np.array([7]))
        assert 7 in req.selected and req.selected[0] == 7
    s01 = np.flatnonzero(groups == "S01")[:2]
    for method in ("exact", "highs", "greedy"):
        with pytest.raises(InfeasibleError, match="status"):
            solve_mclp(a, w, k=5, method=method, groups=groups, budgets={"S01": 1, "S02": 3}, required=s01)
    with pytest.raises(InputError):
        solve_mclp(a, w, k=-1)
    with pytest.raises(InputError):
        solve_mclp(a, w[:-1], k=2)
    with pytest.raises(InputError):
        solve_mclp(a, w, k=2, budgets=2)  # budgets without groups


def test_set_cover_fewest_cameras():
    rng = np.random.default_rng(9)
    d = rng.uniform(0, 200, (60, 2))
    c = rng.uniform(0, 200, (10, 2))
    w = rng.uniform(0, 3, 60)
    a = coverage_matrix(d, c, radius_m=50.0)
    best_share = objective_of(a, w, np.arange(10)) / w.sum()
    target = 0.8 * best_share
    fewest = next(k for k in range(1, 11) if any(objective_of(a, w, np.array(s)) >= target * w.sum() - 1e-9
                                                for s in itertools.combinations(range(10), k)))
    for method in ("exact", "highs"):
        r = solve_set_cover(a, w, target_share=target, method=method)
        assert len(r.selected) == fewest and r.share >= target - 1e-9
    g = solve_set_cover(a, w, target_share=target, method="greedy")
    assert len(g.selected) >= fewest and g.share >= target - 1e-9
    for method in ("exact", "highs", "greedy"):
        with pytest.raises(InfeasibleError, match="status"):
            solve_set_cover(a, w, target_share=min(1.0, best_share + 0.01), method=method)


def test_site_cameras_on_a_district(district, tmp_path):
    d = district
    v = camera_views(d["cameras"])
    gaps = camera_gaps(v, edges=d["edges"], neighborhoods=d["neighborhoods"], incidents=d["incidents"])
    ent = neighborhood_entrances(d["neighborhoods"], d["edges"])
    cand = candidate_sites(d["edges"], spacing_m=25.0, entrances=ent, stations=d["stations"],
                           poles=gpd.GeoDataFrame(geometry=[shapely.Point(X0 + 150, Y0 + 150)], crs=CRS))
    assert set(cand["source"]) == {"road", "entrance", "pole"}
    assert cand["candidate_id"].is_unique and cand["station_id"].notna().all()
    plan = site_cameras(gaps, cand, k=6, radius_m=50.0, budget_per_station={"S01": 2, "S02": 4})
    s = plan.sites
    assert len(s) == 6 and (s["station_id"] == "S01").sum() <= 2
    assert (np.diff(s["marginal_gain"]) <= 1e-9).all() and s["cumulative_share"].is_monotonic_increasing
    assert plan.figures["covered_weight"] == pytest.approx(s["marginal_gain"].sum())
    assert s["lon"].between(114, 116).all() and s["bearing_deg"].notna().sum() + (s["suggest_kind"] == "dome").sum() == 6
    greedy = site_cameras(gaps, cand, k=6, radius_m=50.0, method="greedy")
    exact = site_cameras(gaps, cand, k=6, radius_m=50.0, method="exact")
    assert greedy.figures["covered_weight"] <= exact.figures["covered_weight"] + 1e-9
    cover = site_cameras(gaps, cand, target_share=0.5, radius_m=50.0)
    assert cover.figures["covered_share"] >= 0.5
    smaller = site_cameras(gaps, cand, k=len(cover.sites) - 1, radius_m=50.0)
    assert smaller.figures["covered_share"] < 0.5  # the set cover is minimal
    out = write_table(s, tmp_path / "plan.xlsx", lang="zh-CN", sheet="sites")
    assert openpyxl.load_workbook(out)["sites"]["A1"].value == "新增点位编号"
    with pytest.raises(InputError):
        site_cameras(gaps, cand)
    with pytest.raises(InfeasibleError):
        site_cameras(gaps, cand, target_share=1.0, radius_m=1.0)


# --------------------------------------------------------------------------------------------
# workspace jobs (what `patrolnet cameras gaps|site` run) on a small demo district


def test_workspace_jobs_on_the_demo(tmp_path):
    import datetime as dt

    from app.services.cameras import coverage_for_workspace, gaps_for_workspace, siting_for_workspace
    from geo.demo import build_demo
    from app.storage.workspace import create_workspace

    demo = build_demo(scale=0.25, as_of=dt.date(2026, 10, 31))
    ws = create_workspace(tmp_path / "demo.gpkg", demo.layers, crs=demo.crs)
    views, cov = coverage_for_workspace(ws)
    assert len(views) == ws.count("cameras") and 0 < cov.figures["road_share_seen"] < 1
    assert 0 < cov.figures["incident_share_seen"] < 1 and "subzone_area_share_seen" in cov.figures
    gaps = gaps_for_workspace(ws)
    assert len(gaps) and gaps["station_id"].notna().all() and gaps["community_id"].notna().all()
    assert (gaps["risk_score"].diff().dropna() <= 0).all()  # ranked by risk
    plan = siting_for_workspace(ws, k=12, budget_per_station=2, gaps=gaps)
    s = plan.sites
    assert len(s) <= 12 and s["station_id"].value_counts().max() <= 2
    assert plan.figures["status"] == "optimal" and plan.figures["covered_weight"] > 0
    for name in ("gaps.csv", "gaps.xlsx", "gaps.geojson"):
        assert write_table(gaps, tmp_path / name, lang="zh-CN").stat().st_size > 0
    with pytest.raises(InputError):
        siting_for_workspace(ws, k=3, target_share=0.5, gaps=gaps)


# --------------------------------------------------------------------------------------------
# the real Helsinki extract: 221 real cameras, buildings, streets


@pytest.fixture(scope="module")
def helsinki():
    return read_osm(HELSINKI)


def test_helsinki_coverage_gaps_and_siting(helsinki, capsys):
    e = helsinki
    assert len(e.cameras) == 221
    t0 = time.perf_counter()
    open_views = camera_views(e.cameras)
    views = camera_views(e.cameras, buildings=e.buildings)
    t_views = time.perf_counter() - t0
    assert shapely.is_valid(views.geometry).all()
    assert (views["area_m2"] <= open_views["area_m2"] + 1e-6).all()
    cov = camera_coverage(views, edges=e.road_edges)
    cov_open = camera_coverage(open_views, edges=e.road_edges)
    f = cov.figures
    # the extract has no camera directions: bullets count as 360 degrees at half range
    assert views["bearing_unknown"].sum() == (e.cameras["kind"] != "dome").sum()
    assert 85 < f["road_km"] < 100 and 0.1 < f["road_share_seen"] < cov_open.figures["road_share_seen"] < 0.5
    # brute force: length of each street inside the union of views
    kept = e.road_edges.loc[cov.streets.index]
    brute = shapely.length(shapely.intersection(kept.geometry.to_numpy(), shapely.union_all(views.geometry.to_numpy())))
    assert np.allclose(cov.streets["seen_m"], brute, atol=1e-6)
    gaps = camera_gaps(views, edges=e.road_edges)
    assert len(gaps) > 1000 and (gaps["kind"] == "road_segment").all()
    assert gaps["gap_id"].is_unique and gaps["lat"].between(60.1, 60.2).all()
    cand = candidate_sites(e.road_edges, spacing_m=25.0, poles=e.cameras)
    plans = {m: site_cameras(gaps, cand, k=20, radius_m=50.0, method=m) for m in ("exact", "greedy")}
    ex, gr = plans["exact"].figures, plans["greedy"].figures
    assert ex["status"] == "optimal" and ex["sites"] == 20
    assert gr["covered_weight"] >= 0.99 * ex["covered_weight"]
    with capsys.disabled():
        print(
            f"\nHelsinki: {len(views)} cameras ({int(views['inside_building'].sum())} inside a footprint, "
            f"views {t_views:.2f} s); roads {f['road_km']:.1f} km, seen {f['road_km_seen']:.1f} km "
            f"({f['road_share_seen']:.1%}; without buildings {cov_open.figures['road_share_seen']:.1%}); "
            f"edges with any coverage {f['edges_any_seen']}/{f['edges']} ({f['edges_share_any_seen']:.1%}); "
            f"gap segments {len(gaps)} ({gaps['length_m'].sum() / 1000:.1f} km); candidates {len(cand)}; "
            f"K=20: exact {ex['covered_weight']:.1f} of {ex['demand_weight']:.1f} ({ex['covered_share']:.1%}, "
            f"{ex['gaps_covered']} gaps, {ex['seconds']:.2f} s), greedy {gr['covered_weight']:.1f} "
            f"({gr['covered_weight'] / ex['covered_weight']:.4f} of exact, {gr['seconds']:.2f} s); "
            f"first gains {np.round(plans['exact'].sites['marginal_gain'].to_numpy()[:5], 1).tolist()}"
        )
