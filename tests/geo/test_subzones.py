"""Sub-zones: known answers on lattices, partition properties on random networks, real extracts."""

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo.errors import InfeasibleError, InputError
from geo.osm import read_osm
from geo.subzones import build_subzones, check_partition, street_blocks

CRS = "EPSG:4547"
DATA = Path(__file__).parents[1] / "data"
X0, Y0 = 590_000.0, 3_078_000.0


def lattice_edges(nx_: int, ny: int, spacing: float = 100.0, *, jitter: float = 0.0, drop: frozenset = frozenset(), seed: int = 0):
    rng = np.random.default_rng(seed)
    xs = X0 + np.arange(nx_ + 1) * spacing
    ys = Y0 + np.arange(ny + 1) * spacing
    pts = {(i, j): (xs[i] + rng.uniform(-jitter, jitter) * (0 < i < nx_), ys[j] + rng.uniform(-jitter, jitter) * (0 < j < ny))
           for i in range(nx_ + 1) for j in range(ny + 1)}
    lines = []
    for (i, j), p in pts.items():
        for q in ((i + 1, j), (i, j + 1)):
            if q in pts and ((i, j), q) not in drop:
                lines.append(shapely.LineString([p, pts[q]]))
                lines.append(shapely.LineString([pts[q], p]))  # both directions, as in the workspace
    return gpd.GeoDataFrame({"edge_id": np.arange(len(lines))}, geometry=lines, crs=CRS)


def test_blocks_of_a_lattice():
    blocks = street_blocks(lattice_edges(5, 4))
    assert len(blocks) == 20
    assert np.allclose(blocks.area, 10_000)


def test_count_on_a_lattice_is_exact_and_a_partition():
    edges = lattice_edges(6, 6)
    result = build_subzones(edges, count=9)
    sz = result.subzones
    assert len(sz) == 9
    assert sz["area_m2"].sum() == pytest.approx(360_000)
    assert check_partition(sz, shapely.box(X0, Y0, X0 + 600, Y0 + 600)) == []
    assert list(sz["subzone_id"]) == [f"Z{i:04d}" for i in range(1, 10)]
    # merges stay even: no sub-zone more than twice the mean
    assert sz["area_m2"].max() <= 2 * 40_000


def test_oversized_blocks_are_split_and_neighborhoods_kept_whole():
    edges = lattice_edges(2, 1, spacing=400.0)  # two 400 x 400 blocks
    nb = gpd.GeoDataFrame({"households": [500]}, geometry=[shapely.box(X0 + 150, Y0 + 20, X0 + 250, Y0 + 380)], crs=CRS)
    result = build_subzones(edges, target_area_m2=40_000, neighborhoods=nb)
    sz = result.subzones
    assert len(sz) == 8
    assert check_partition(sz, shapely.box(X0, Y0, X0 + 800, Y0 + 400)) == []
    holding = sz[sz.intersects(nb.geometry.iloc[0].buffer(-1))]
    assert len(holding) == 1, "the neighborhood was cut although a cut beside it was possible"
    assert holding["households"].iloc[0] == 500


def test_stations_and_communities_contain_each_subzone():
    edges = lattice_edges(6, 4)
    stations = gpd.GeoDataFrame({"station_id": ["S01", "S02"]},
                                geometry=[shapely.box(X0 - 10, Y0 - 10, X0 + 330, Y0 + 410),
                                          shapely.box(X0 + 330, Y0 - 10, X0 + 610, Y0 + 410)], crs=CRS)
    comms = gpd.GeoDataFrame({"community_id": ["C1", "C2", "C3"], "station_id": ["S01", "S02", "S02"]},
                             geometry=[shapely.box(X0 - 10, Y0 - 10, X0 + 330, Y0 + 410),
                                       shapely.box(X0 + 330, Y0 - 10, X0 + 610, Y0 + 150),
                                       shapely.box(X0 + 330, Y0 + 150, X0 + 610, Y0 + 410)], crs=CRS)
    sz = build_subzones(edges, stations=stations, communities=comms, count=8).subzones
    assert len(sz) == 8
    for row in sz.itertuples():
        st_poly = stations.set_index("station_id").geometry[row.station_id]
        c_poly = comms.set_index("community_id").geometry[row.community_id]
        assert row.geometry.difference(st_poly).area < 1e-6
        assert row.geometry.difference(c_poly).area < 1e-6
    assert check_partition(sz, shapely.box(X0, Y0, X0 + 600, Y0 + 400)) == []


def test_more_subzones_than_blocks_splits_the_blocks():
    sz = build_subzones(lattice_edges(2, 2), count=50).subzones
    assert len(sz) == 50
    assert check_partition(sz, shapely.box(X0, Y0, X0 + 200, Y0 + 200)) == []


def test_errors():
    edges = lattice_edges(2, 2)
    with pytest.raises(InputError, match="either --count or --target-area-m2"):
        build_subzones(edges, count=2, target_area_m2=100)
    with pytest.raises(InputError, match="--count 0: must be at least 1"):
        build_subzones(edges, count=0)
    with pytest.raises(InputError, match="no road edges"):
        build_subzones(edges.iloc[:0])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(nx_=st.integers(2, 7), ny=st.integers(2, 7), jitter=st.floats(0, 30), seed=st.integers(0, 1000),
       drop_share=st.floats(0, 0.3), count_share=st.floats(0.2, 1.0))
def test_random_networks_give_a_partition(nx_, ny, jitter, seed, drop_share, count_share):
    rng = np.random.default_rng(seed)
    all_pairs = [((i, j), (i + di, j + dj)) for i in range(nx_ + 1) for j in range(ny + 1)
                 for di, dj in ((1, 0), (0, 1)) if i + di <= nx_ and j + dj <= ny]
    # drop interior segments only, so the outline stays closed
    interior = [p for p in all_pairs if 0 < p[0][0] < nx_ or 0 < p[0][1] < ny]
    interior = [p for p in interior if not (p[0][0] == p[1][0] in (0, nx_)) and not (p[0][1] == p[1][1] in (0, ny))]
    drop = frozenset(p for p in interior if rng.random() < drop_share)
    edges = lattice_edges(nx_, ny, jitter=jitter, drop=drop, seed=seed)
    blocks = street_blocks(edges)
    covered = shapely.union_all(blocks.to_numpy())
    split_line = X0 + 100 * (nx_ // 2) + 37
    stations = gpd.GeoDataFrame({"station_id": ["A", "B"]},
                                geometry=[shapely.box(X0 - 500, Y0 - 500, split_line, Y0 + 1500),
                                          shapely.box(split_line, Y0 - 500, X0 + 1500, Y0 + 1500)], crs=CRS)
    count = max(2, int(len(blocks) * count_share))
    try:
        sz = build_subzones(edges, stations=stations, count=count).subzones
    except InfeasibleError:
        return
    assert check_partition(sz, covered) == []
    assert len(sz) >= count
    for row in sz.itertuples():
        assert row.geometry.difference(stations.set_index("station_id").geometry[row.station_id]).area < 1e-3
    again = build_subzones(edges, stations=stations, count=count).subzones
    assert list(again["subzone_id"]) == list(sz["subzone_id"])
    assert all(a.equals(b) for a, b in zip(again.geometry, sz.geometry))


@pytest.mark.parametrize("name", ["shanghai_huangpu.osm", "san_francisco_mission.osm.bz2", "helsinki_centre.osm.pbf"])
def test_real_extracts(name):
    ext = read_osm(DATA / "osm" / name)
    blocks = street_blocks(ext.road_edges)
    covered = shapely.union_all(blocks.to_numpy())
    result = build_subzones(ext.road_edges, target_area_m2=30_000)
    sz = result.subzones
    assert check_partition(sz, covered) == []
    assert sz.crs == ext.road_edges.crs
    median = sz["area_m2"].median()
    assert 15_000 < median < 45_000
    exact = build_subzones(ext.road_edges, count=60).subzones
    assert len(exact) == 60
    assert check_partition(exact, covered) == []


def test_demo_district_gives_1979_subzones_without_cutting_neighborhoods(demo_workspace, tmp_path):
    from app.services.grid import grid_workspace

    ws, result, export = grid_workspace(demo_workspace, count=1979, export_dir=tmp_path / "grids")
    sz = ws.read("subzones")
    assert len(sz) == 1979
    assert export.name == "yushui-subzones.gpkg" and export.exists()
    stations = ws.read("stations")
    communities = ws.read("communities")
    covered = shapely.union_all(communities.geometry.to_numpy())
    assert check_partition(sz, covered, tol_m2=10.0) == []
    # every sub-zone inside its station and its community
    st = stations.set_index("station_id").geometry
    cm = communities.set_index("community_id").geometry
    geoms = sz.geometry.to_numpy()
    assert (shapely.area(shapely.difference(geoms, st.loc[sz["station_id"]].to_numpy())) < 1.0).all()
    assert (shapely.area(shapely.difference(geoms, cm.loc[sz["community_id"]].to_numpy())) < 1.0).all()
    # no neighborhood is cut by a sub-zone border
    nb = ws.read("neighborhoods").geometry.to_numpy()
    tree = shapely.STRtree(sz.geometry.to_numpy())
    ni, si = tree.query(nb, predicate="intersects")
    shared = shapely.area(shapely.intersection(nb[ni], sz.geometry.to_numpy()[si])) > 1.0
    pieces = np.bincount(ni[shared], minlength=len(nb))
    assert (pieces == 1).all()
    assert sz["households"].sum() == pytest.approx(ws.read("neighborhoods")["households"].sum(), rel=0.01)
    # same input, same ids
    again, _, _ = grid_workspace(ws, count=1979, export_dir=tmp_path / "grids2")
    assert list(again.read("subzones")["subzone_id"]) == list(sz["subzone_id"])
