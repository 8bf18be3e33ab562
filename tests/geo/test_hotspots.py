"""geo.hotspots: kernel density, counts and rates, Gi* with FDR, time profiles, Knox and near repeats."""

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from scipy.stats import gaussian_kde

from geo.errors import CRSError, InputError
from geo.hotspots import (
    GridSpec,
    benjamini_hochberg,
    choose_bandwidth,
    counts_by_neighborhood,
    counts_by_segment,
    counts_by_subzone,
    getis_ord_gi_star,
    incident_density,
    incident_xyt,
    kde_at,
    kde_exact,
    kde_grid,
    knox_test,
    near_repeat_table,
    scott_bandwidth,
    segment_hotspots,
    segment_weights,
    street_segments,
    subzone_hotspots,
    time_profile,
)

CRS = "EPSG:4547"
TZ = "Asia/Shanghai"


# ------------------------------------------------------------------------------------------------
# kernel density
# ------------------------------------------------------------------------------------------------
def test_kde_of_one_point_is_the_gaussian_kernel_and_integrates_to_one():
    h, cell = 200.0, 50.0
    # the point sits on a cell centre: (1000 + 0.5 * 50 + 20 * 50, ...) -> column 20, row from north
    px, py = 1000 + 25 + 20 * cell, 2000 + 25 + 30 * cell
    dens, grid = kde_grid([px], [py], bounds=(1000, 2000, 4000, 6000), cell_m=cell, bandwidth_m=h)
    assert dens.shape == grid.shape == (80, 60)
    X, Y = grid.centres()
    r2 = (X - px) ** 2 + (Y - py) ** 2
    kernel = np.exp(-0.5 * r2 / h**2) / (2 * math.pi * h**2) * 1e6  # per km2
    assert np.abs(dens - kernel).max() / kernel.max() < 1e-3
    row, col = grid.index(np.array([px]), np.array([py]))
    assert dens[row[0], col[0]] == pytest.approx(1e6 / (2 * math.pi * h * h), rel=1e-3)
    # integral over the plane = number of points (the grid holds all but a sliver)
    assert dens.sum() * cell * cell / 1e6 == pytest.approx(1.0, abs=1e-4)
    # weights scale it, and n points integrate to n
    dens3, _ = kde_grid([px, px + 10, px - 300], [py, py, py], bounds=(1000, 2000, 4000, 6000),
                        cell_m=cell, bandwidth_m=h, weights=[1.0, 2.0, 0.5])
    assert dens3.sum() * cell * cell / 1e6 == pytest.approx(3.5, abs=1e-3)


def test_grid_is_north_up_with_an_affine_transform():
    dens, grid = kde_grid([150.0], [950.0], bounds=(0, 0, 1000, 1000), cell_m=100, bandwidth_m=100)
    r, c = np.unravel_index(np.argmax(dens), dens.shape)
    assert (r, c) == (0, 1)  # northern-most row, second column
    a, b, x0, d, e, y0 = grid.transform
    assert (a, b, x0, d, e, y0) == (100, 0, 0, 0, -100, 1000)
    # the transform maps the centre of (row 0, col 1) to the point
    assert (a * (c + 0.5) + x0, e * (r + 0.5) + y0) == (150.0, 950.0)
    assert GridSpec.from_bounds((0, 0, 1000, 1001), 100).shape == (11, 10)


@pytest.mark.parametrize("cell_over_h", [0.5, 0.25, 0.125])
def test_fft_kde_matches_the_exact_kde_within_1e3_of_the_peak(cell_over_h):
    rng = np.random.default_rng(5)
    h = 200.0
    centres = rng.uniform(2500, 7500, (12, 2))
    lab = rng.integers(0, 12, 3000)
    pts = centres[lab] + rng.normal(0, rng.uniform(50, 600, 12)[lab, None], (3000, 2))
    pts = np.vstack([pts, rng.uniform(0, 10000, (300, 2))])  # background, some outside the bounds
    bounds = (3000, 3000, 7000, 7000)
    fast, _ = kde_grid(pts[:, 0], pts[:, 1], bounds=bounds, cell_m=h * cell_over_h, bandwidth_m=h)
    exact, _ = kde_exact(pts[:, 0], pts[:, 1], bounds=bounds, cell_m=h * cell_over_h, bandwidth_m=h)
    assert np.abs(fast - exact).max() / exact.max() < 1e-3


def test_fft_kde_error_bound_holds_for_a_single_point_in_the_worst_place():
    # midway between fine binning nodes in both axes: the worst case of linear binning
    h, cell = 100.0, 50.0  # cell = h / 2; default oversample 10: fine step 5 m
    for px, py in [(2502.5, 2502.5), (2500.0, 2500.0), (2511.7, 2493.1)]:
        fast, _ = kde_grid([px], [py], bounds=(2000, 2000, 3000, 3000), cell_m=cell, bandwidth_m=h)
        exact, _ = kde_exact([px], [py], bounds=(2000, 2000, 3000, 3000), cell_m=cell, bandwidth_m=h)
        assert np.abs(fast - exact).max() / exact.max() < 1e-3
    # without oversampling the same case is ~3 % off: the refinement is what buys the bound
    fast1, _ = kde_grid([2550.0], [2550.0], bounds=(2000, 2000, 3000, 3000), cell_m=cell, bandwidth_m=h, oversample=1)
    exact1, _ = kde_exact([2550.0], [2550.0], bounds=(2000, 2000, 3000, 3000), cell_m=cell, bandwidth_m=h)
    assert np.abs(fast1 - exact1).max() / exact1.max() > 5e-3


def test_kde_agrees_with_scipy_gaussian_kde_at_a_fixed_bandwidth():
    rng = np.random.default_rng(1)
    raw = rng.normal(0, 1, (500, 2))
    # whiten the sample exactly so that its covariance is s^2 I: gaussian_kde's kernel covariance
    # (factor^2 times the data covariance) is then the isotropic h^2 I for factor = h / s
    s, h = 300.0, 120.0
    raw = raw - raw.mean(0)
    vals, vecs = np.linalg.eigh(np.cov(raw.T))
    pts = raw @ vecs @ np.diag(vals**-0.5) @ vecs.T * s + 5000.0
    kde = gaussian_kde(pts.T, bw_method=h / s)
    assert np.allclose(kde.covariance, np.eye(2) * h * h)
    dens, grid = kde_grid(pts[:, 0], pts[:, 1], bounds=(4000, 4000, 6000, 6000), cell_m=60, bandwidth_m=h)
    X, Y = grid.centres()
    ref = kde(np.vstack([X.ravel(), Y.ravel()])).reshape(X.shape) * len(pts) * 1e6
    assert np.abs(dens - ref).max() / ref.max() < 1e-3
    # and kde_at (exact, truncated at 5 h) gives the same
    at = kde_at(pts[:, 0], pts[:, 1], X.ravel(), Y.ravel(), bandwidth_m=h)
    assert np.abs(at - ref.ravel()).max() / ref.max() < 1e-5


def test_kde_mask_clips_and_inputs_are_checked():
    poly = shapely.box(0, 0, 500, 1000)
    dens, grid = kde_grid([500.0], [500.0], bounds=(0, 0, 1000, 1000), cell_m=100, bandwidth_m=150, mask=poly)
    X, _ = grid.centres()
    assert (dens[X > 500] == 0).all() and (dens[X < 500] > 0).all()
    x = np.array([1.0, 2.0])
    before = x.copy()
    kde_grid(x, x, bounds=(0, 0, 10, 10), cell_m=1, bandwidth_m=2)
    assert (x == before).all()  # inputs are not modified
    with pytest.raises(InputError, match="bandwidth_m"):
        kde_grid(x, x, bounds=(0, 0, 10, 10), cell_m=1, bandwidth_m=0)
    with pytest.raises(InputError, match="missing or infinite"):
        kde_grid([np.nan], [1.0], bounds=(0, 0, 10, 10), cell_m=1, bandwidth_m=2)
    with pytest.raises(InputError, match="weights"):
        kde_grid(x, x, bounds=(0, 0, 10, 10), cell_m=1, bandwidth_m=2, weights=[1.0, -1.0])
    with pytest.raises(InputError, match="shape"):
        kde_grid(x, x, bounds=(0, 0, 10, 10), cell_m=1, bandwidth_m=2, mask=np.ones((3, 3), bool))


def test_incident_heat_map_adapter_checks_the_crs():
    inc = _incidents([(1000, 1000), (1100, 1000), (5000, 5000)])
    boundary = gpd.GeoSeries([shapely.box(0, 0, 3000, 3000)], crs=CRS)
    dens, grid = incident_density(inc, cell_m=50, bandwidth_m=100, boundary=boundary)
    assert grid.bounds == (0, 0, 3000, 3000)
    assert dens.sum() * 50 * 50 / 1e6 == pytest.approx(2.0, abs=1e-3)  # the third point is outside
    free, _ = incident_density(inc, cell_m=50, bandwidth_m=100)
    assert free.sum() * 50 * 50 / 1e6 == pytest.approx(3.0, abs=1e-3)
    with pytest.raises(CRSError, match=r"\.to_crs\("):
        incident_density(inc.to_crs("EPSG:4326"))
    with pytest.raises(CRSError, match=r"\.to_crs\("):
        incident_xyt(inc.to_crs("EPSG:4326"))


def test_bandwidth_rules():
    rng = np.random.default_rng(2)
    pts = rng.normal(0, 300, (1000, 2))
    assert scott_bandwidth(pts[:, 0], pts[:, 1]) == pytest.approx(300 * 1000 ** (-1 / 6), rel=0.05)
    tight = rng.normal(0, 40, (800, 2))
    wide = rng.normal(0, 800, (800, 2))
    h_tight, table = choose_bandwidth(tight[:, 0], tight[:, 1], seed=1)
    h_wide, _ = choose_bandwidth(wide[:, 0], wide[:, 1], seed=1)
    assert h_tight < h_wide
    assert list(table.columns) == ["bandwidth_m", "mean_log_density"]
    # a held-out set can be given (e.g. the most recent incidents)
    h_held, _ = choose_bandwidth(wide[:600, 0], wide[:600, 1], holdout_x=wide[600:, 0], holdout_y=wide[600:, 1])
    assert h_held >= 150


# ------------------------------------------------------------------------------------------------
# counts and rates per area
# ------------------------------------------------------------------------------------------------
def _incidents(xy, **cols):
    n = len(xy)
    frame = {"incident_id": [f"I{i}" for i in range(n)],
             "occurred_at": pd.date_range("2025-03-03 08:00", periods=n, freq="h", tz="Asia/Shanghai"),
             "category": ["ebike_theft"] * n}
    frame.update(cols)
    return gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy([p[0] for p in xy], [p[1] for p in xy]), crs=CRS)


def test_counts_per_subzone_neighborhood_with_rates():
    zones = gpd.GeoDataFrame({"subzone_id": ["Z1", "Z2"], "area_m2": [40_000.0, 10_000.0]},
                             geometry=[shapely.box(0, 0, 200, 200), shapely.box(200, 0, 300, 100)], crs=CRS)
    inc = _incidents([(10, 10), (20, 20), (250, 50), (999, 999)],
                     category=["ebike_theft", "fraud", "burglary", "robbery"])
    out = counts_by_subzone(inc, zones)
    assert out["count"].tolist() == [2, 1]
    assert out["per_km2"].tolist() == [50.0, 100.0]
    # the incident's own subzone_id wins over geometry
    tagged = inc.assign(subzone_id=["Z2", None, None, None])
    assert counts_by_subzone(tagged, zones)["count"].tolist() == [1, 2]
    # category groups filter
    assert counts_by_subzone(inc, zones, categories="two_robberies_one_theft")["count"].tolist() == [1, 1]
    nb = gpd.GeoDataFrame({"neighborhood_id": ["N1", "N2"], "households": [500, 0]},
                          geometry=[shapely.box(0, 0, 100, 100), shapely.box(200, 0, 300, 100)], crs=CRS)
    per = counts_by_neighborhood(inc, nb)
    assert per["count"].tolist() == [2, 1]
    assert per["per_1000_households"].iloc[0] == 4.0 and np.isnan(per["per_1000_households"].iloc[1])
    with pytest.raises(CRSError, match=r"\.to_crs\("):
        counts_by_subzone(inc.set_crs("EPSG:4326", allow_override=True).drop(columns=[]), zones.to_crs("EPSG:4326"))


def _street_grid(n=4, spacing=100.0):
    """A small street lattice, every street stored once per direction (osmnx style)."""
    rows = []
    nid = lambda i, j: i * 100 + j  # noqa: E731
    eid = 0
    for i in range(n):
        for j in range(n):
            for di, dj in ((1, 0), (0, 1)):
                if i + di < n and j + dj < n:
                    a, b = (i * spacing, j * spacing), ((i + di) * spacing, (j + dj) * spacing)
                    for u, v, g in ((nid(i, j), nid(i + di, j + dj), shapely.LineString([a, b])),
                                    (nid(i + di, j + dj), nid(i, j), shapely.LineString([b, a]))):
                        rows.append({"edge_id": eid, "u": u, "v": v, "key": 0, "highway": "residential",
                                     "length_m": spacing, "geometry": g})
                        eid += 1
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=CRS)


def test_street_segments_merge_directions_and_count_per_100m():
    edges = _street_grid(3)
    seg = street_segments(edges)
    assert len(edges) == 24 and len(seg) == 12
    assert all(len(e) == 2 for e in seg["edge_ids"])
    assert (seg["u"] <= seg["v"]).all()
    # one incident snapped to edge 1 (the reverse copy of segment 0), one placed by geometry
    inc = _incidents([(50, 0), (0.5, 51)], edge_id=pd.array([1, pd.NA], dtype="Int64"))
    out = counts_by_segment(inc, seg)
    assert out["count"].sum() == 2
    hit = out.set_index("segment_id")["count"]
    seg_of_edge1 = int(seg.index[seg["edge_ids"].map(lambda e: 1 in e)][0])
    assert hit[seg_of_edge1] == 1
    assert out["per_100m"].max() == 1.0


# ------------------------------------------------------------------------------------------------
# Getis-Ord Gi* and FDR
# ------------------------------------------------------------------------------------------------
def test_benjamini_hochberg_by_hand():
    q = benjamini_hochberg([0.01, 0.04, 0.03, 0.005])
    assert q == pytest.approx([0.02, 0.04, 0.04, 0.02])
    assert np.isnan(benjamini_hochberg([np.nan, 0.5])[0])


def _lattice(n):
    cells = [shapely.box(c * 100, r * 100, (c + 1) * 100, (r + 1) * 100) for r in range(n) for c in range(n)]
    return gpd.GeoDataFrame({"subzone_id": [f"Z{i:03d}" for i in range(n * n)], "area_m2": 10_000.0},
                            geometry=cells, crs=CRS)


def test_gi_star_finds_a_planted_cluster_and_not_an_empty_area():
    n = 15
    zones = _lattice(n)
    rng = np.random.default_rng(11)
    counts = rng.poisson(2.0, (n, n)).astype(float)
    counts[2:5, 2:5] = rng.poisson(12.0, (3, 3))  # planted hot cluster
    counts[9:14, 9:14] = 0.0  # an empty area
    xy = []
    for idx, c in enumerate(counts.ravel()):
        r, col = divmod(idx, n)
        xy += [(col * 100 + 50, r * 100 + 50)] * int(c)
    inc = _incidents(xy)
    out = subzone_hotspots(inc, zones, permutations=999, seed=3)
    cls = out["hotspot"].to_numpy().reshape(n, n)
    assert (cls[3, 3] == "hot") and (cls[2:5, 2:5] == "hot").sum() >= 5
    assert (cls[9:14, 9:14] != "hot").all()
    assert (cls[0:2, 7:15] != "hot").all()  # plain background
    assert set(out.columns) >= {"subzone_id", "count", "gi_z", "p", "q", "significant", "hotspot"}
    # reproducible with the seed
    again = subzone_hotspots(inc, zones, permutations=999, seed=3)
    assert (again["p"] == out["p"]).all()
    # the analytical variant agrees on the cluster
    ana = subzone_hotspots(inc, zones, permutations=0)
    assert ana["hotspot"].to_numpy().reshape(n, n)[3, 3] == "hot"


def test_fdr_removes_false_positives_on_pure_noise():
    from geo.hotspots import subzone_weights

    n = 20
    w = subzone_weights(_lattice(n))
    raw_hits, fdr_hits = 0, 0
    for seed in range(5):
        y = np.random.default_rng(100 + seed).poisson(3.0, n * n).astype(float)
        raw = getis_ord_gi_star(y, w, permutations=0, fdr=False)
        fdr = getis_ord_gi_star(y, w, permutations=0, fdr=True)
        raw_hits += int(raw["significant"].sum())
        fdr_hits += int(fdr["significant"].sum())
    assert raw_hits >= 20  # about 5 % of 2,000 tests are "significant" by chance
    assert fdr_hits <= 2
    with pytest.raises(InputError, match="one value per area"):
        getis_ord_gi_star(np.ones(3), w)


def test_gi_star_on_the_street_network():
    edges = _street_grid(6)
    seg = street_segments(edges)
    w = segment_weights(seg)
    # a segment in the middle of the lattice touches 6 others (3 at each end node)
    assert max(w.cardinalities.values()) == 6
    w2 = segment_weights(seg, order=2)
    assert max(w2.cardinalities.values()) > 6
    # incidents on the segments around node (1, 1): a hot corridor
    mids = shapely.line_interpolate_point(seg.geometry.to_numpy(), 0.5, normalized=True)
    near = shapely.distance(mids, shapely.Point(100, 100)) < 60
    rng = np.random.default_rng(4)
    counts = np.where(near, 10, rng.poisson(0.3, len(seg)))
    pts = np.repeat(mids, counts)
    inc = _incidents([(p.x, p.y) for p in pts])
    out = segment_hotspots(inc, seg, value="count", permutations=999, seed=1)
    assert (out.loc[near, "hotspot"] == "hot").sum() >= 3
    assert (out.loc[~near, "hotspot"] == "hot").sum() <= 3


# ------------------------------------------------------------------------------------------------
# time and near repeats
# ------------------------------------------------------------------------------------------------
def test_time_profile_counts_weekday_and_hour():
    t = pd.to_datetime(["2025-03-03 08:10", "2025-03-03 08:50", "2025-03-04 23:00", "2025-03-09 00:30"]).tz_localize("Asia/Shanghai")
    inc = pd.DataFrame({"occurred_at": t, "station_id": ["S01", "S01", "S02", "S01"], "category": "fraud"})
    prof = time_profile(inc)
    assert len(prof) == 168 and prof["count"].sum() == 4
    cell = prof.set_index(["weekday", "hour"])["count"]
    assert cell[(0, 8)] == 2 and cell[(1, 23)] == 1 and cell[(6, 0)] == 1
    by = time_profile(inc, by="station_id")
    assert len(by) == 2 * 168
    s1 = by[by["station_id"] == "S01"].set_index(["weekday", "hour"])["share"]
    assert s1[(0, 8)] == pytest.approx(2 / 3)


def _near_repeat_process(rng, n_parents=300, offspring=1.0):
    x = rng.uniform(0, 5000, n_parents)
    y = rng.uniform(0, 5000, n_parents)
    t = rng.uniform(0, 365, n_parents)
    k = rng.poisson(offspring, n_parents)
    cx = np.repeat(x, k) + rng.normal(0, 40, k.sum())
    cy = np.repeat(y, k) + rng.normal(0, 40, k.sum())
    ct = np.repeat(t, k) + rng.exponential(4, k.sum())
    return np.concatenate([x, cx]), np.concatenate([y, cy]), np.concatenate([t, ct])


def test_knox_detects_near_repeats_and_not_a_poisson_process():
    rng = np.random.default_rng(7)
    x, y, t = _near_repeat_process(rng)
    res = knox_test(x, y, t, distance_m=100, days=14, permutations=199, seed=1)
    assert res.p_value <= 0.01 and res.ratio > 3
    assert res.simulated_mean == pytest.approx(res.expected, rel=0.3)
    n = x.size
    px, py, pt = rng.uniform(0, 5000, n), rng.uniform(0, 5000, n), rng.uniform(0, 365, n)
    null = knox_test(px, py, pt, distance_m=100, days=14, permutations=199, seed=1)
    assert null.p_value > 0.05
    # datetimes work too, and incident layers through incident_xyt
    dt = pd.Series(pd.Timestamp("2025-01-01") + pd.to_timedelta(t, unit="D"))
    assert knox_test(x, y, dt, distance_m=100, days=14, permutations=19, seed=1).observed == res.observed
    layer = gpd.GeoDataFrame({"occurred_at": dt.dt.tz_localize(TZ)}, geometry=gpd.points_from_xy(x, y), crs=CRS)
    lx, ly, lt = incident_xyt(layer)
    assert knox_test(lx, ly, lt, distance_m=100, days=14, permutations=19, seed=1).observed == res.observed


def test_near_repeat_table_shows_raised_risk_close_and_soon():
    rng = np.random.default_rng(8)
    x, y, t = _near_repeat_process(rng, n_parents=400, offspring=1.5)
    tab = near_repeat_table(x, y, t, distance_bands_m=(0, 100, 300, 600), time_bands_days=(0, 7, 28, 56),
                            permutations=49, seed=2)
    assert len(tab) == 9
    first = tab.iloc[0]
    assert first["distance_hi_m"] == 100 and first["days_hi"] == 7
    assert first["ratio"] > 3 and first["p_value"] <= 0.05
    far = tab[(tab["distance_lo_m"] == 300) & (tab["days_lo"] == 28)].iloc[0]
    assert 0.5 < far["ratio"] < 1.6
