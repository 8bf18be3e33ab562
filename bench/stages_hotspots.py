"""Benchmark stages for hotspots and forecasts, each beside its peer on the same input.

Kernel density: 10 km square, clustered points, Gaussian sigma 200 m.
  kde.1m           patrolnet binned + FFT, 1,000,000 points on 400 x 400 (scikit-learn would take ~10 min)
  kde.100k         patrolnet and scikit-learn KernelDensity (rtol=1e-3), 100,000 points on 200 x 200
  kde.20k          patrolnet and scipy gaussian_kde (exact), 20,000 points on 200 x 200
Errors are max |density - exact| / peak, the exact value being a direct sum over every point at 300
sampled cells (always including the peak cell).
Gi*: the demo district's sub-zones (and street segments), patrolnet vs the plain PySAL pipeline.
Forecasts: the weekly backtest on Vancouver thefts 2020 (the anchors' setting) and on the demo
district with its true intensity as the oracle row.

Importing this module only registers stages.
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.stages import Context, stage

_SIDE_M = 10_000.0
_SIGMA_M = 200.0
_DATA = Path(__file__).parents[1] / "tests" / "data"


def _clustered(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """n points in a 10 km square: 85 % in 150 Gaussian clusters (sd 60-800 m), 15 % uniform."""
    rng = np.random.default_rng(seed)
    k = 150
    centres = rng.uniform(500, _SIDE_M - 500, (k, 2))
    sd = rng.uniform(60, 800, k)
    share = rng.dirichlet(np.full(k, 0.7))
    n_cl = int(n * 0.85)
    lab = rng.choice(k, size=n_cl, p=share)
    pts = centres[lab] + rng.normal(0, 1, (n_cl, 2)) * sd[lab, None]
    bg = rng.uniform(0, _SIDE_M, (n - n_cl, 2))
    xy = np.vstack([pts, bg])
    return xy[:, 0].copy(), xy[:, 1].copy()


def _reference(x: np.ndarray, y: np.ndarray, cx: np.ndarray, cy: np.ndarray, h: float) -> np.ndarray:
    """Exact Gaussian KDE (per km2) at a few query points: direct sum over every point, chunked."""
    out = np.zeros(cx.size)
    step = max(1, 4_000_000 // max(x.size, 1))
    for s in range(0, cx.size, step):
        dx = cx[s : s + step, None] - x[None, :]
        dy = cy[s : s + step, None] - y[None, :]
        out[s : s + step] = np.exp(-0.5 * (dx * dx + dy * dy) / (h * h)).sum(axis=1)
    return out / (2 * math.pi * h * h) * 1e6


def _sample_cells(dens: np.ndarray, seed: int, k: int = 300) -> np.ndarray:
    rng = np.random.default_rng(seed + 1)
    flat = rng.choice(dens.size, size=k - 1, replace=False)
    return np.unique(np.append(flat, np.argmax(dens)))


def _errors(dens: np.ndarray, grid: Any, x: np.ndarray, y: np.ndarray, seed: int) -> dict[str, Any]:
    X, Y = grid.centres()
    idx = _sample_cells(dens, seed)
    ref = _reference(x, y, X.ravel()[idx], Y.ravel()[idx], _SIGMA_M)
    got = dens.ravel()[idx]
    return {"max_abs_err_over_peak": float(f"{np.abs(got - ref).max() / ref.max():.2e}"),
            "max_rel_err": float(f"{(np.abs(got - ref) / np.maximum(ref, 1e-300)).max():.2e}")}


def _patrolnet_kde(ctx: Context, n: int, cells: int, *, oversample: int | None = None) -> dict[str, Any]:
    from geo.hotspots import kde_grid

    x, y = _clustered(n, ctx.seed)
    cell = _SIDE_M / cells
    kde_grid(x[:1000], y[:1000], bounds=(0, 0, _SIDE_M, _SIDE_M), cell_m=cell, bandwidth_m=_SIGMA_M)  # warm
    t0 = time.perf_counter()
    dens, grid = kde_grid(x, y, bounds=(0, 0, _SIDE_M, _SIDE_M), cell_m=cell, bandwidth_m=_SIGMA_M,
                          oversample=oversample)
    seconds = time.perf_counter() - t0
    return {"points": n, "grid": f"{cells}x{cells}", "kde_s": round(seconds, 3), **_errors(dens, grid, x, y, ctx.seed)}


@stage("kde.1m", group="patrolnet")
def kde_1m(ctx: Context) -> dict[str, Any]:
    """Binned + FFT KDE, 1M clustered points, 400 x 400 (25 m cells), sigma 200 m: default
    oversampling (error bound 6.3e-4 of the peak) and plain binning on the output grid."""
    if ctx.scale != 1:
        return {"skipped": "fixed-size stage, run at scale 1"}
    out = _patrolnet_kde(ctx, 1_000_000, 400)
    plain = _patrolnet_kde(ctx, 1_000_000, 400, oversample=1)
    out["kde_s_oversample1"] = plain["kde_s"]
    out["err_oversample1"] = plain["max_abs_err_over_peak"]
    return out


@stage("kde.100k", group="patrolnet")
def kde_100k(ctx: Context) -> dict[str, Any]:
    """Binned + FFT KDE, 100k clustered points, 200 x 200 (50 m cells)."""
    if ctx.scale != 1:
        return {"skipped": "fixed-size stage, run at scale 1"}
    return _patrolnet_kde(ctx, 100_000, 200)


@stage("kde.100k", group="scikit-learn")
def kde_100k_sklearn(ctx: Context) -> dict[str, Any]:
    """Peer: scikit-learn KernelDensity (gaussian, bandwidth 200 m, rtol=1e-3) on the same points,
    scored at the 40,000 cell centres."""
    from sklearn.neighbors import KernelDensity

    from geo.hotspots import GridSpec

    if ctx.scale != 1:
        return {"skipped": "fixed-size stage, run at scale 1"}
    n, cells = 100_000, 200
    x, y = _clustered(n, ctx.seed)
    grid = GridSpec.from_bounds((0, 0, _SIDE_M, _SIDE_M), _SIDE_M / cells)
    X, Y = grid.centres()
    t0 = time.perf_counter()
    kd = KernelDensity(kernel="gaussian", bandwidth=_SIGMA_M, rtol=1e-3).fit(np.column_stack([x, y]))
    dens = np.exp(kd.score_samples(np.column_stack([X.ravel(), Y.ravel()]))).reshape(X.shape) * n * 1e6
    seconds = time.perf_counter() - t0
    return {"points": n, "grid": f"{cells}x{cells}", "kde_s": round(seconds, 3), **_errors(dens, grid, x, y, ctx.seed)}


@stage("kde.20k", group="patrolnet")
def kde_20k(ctx: Context) -> dict[str, Any]:
    """Binned + FFT KDE, 20k clustered points, 200 x 200 (the exact peer's size)."""
    if ctx.scale != 1:
        return {"skipped": "fixed-size stage, run at scale 1"}
    return _patrolnet_kde(ctx, 20_000, 200)


@stage("kde.20k", group="scipy gaussian_kde")
def kde_20k_scipy(ctx: Context) -> dict[str, Any]:
    """Peer: scipy's exact gaussian_kde with the isotropic 200 m kernel, on the same points."""
    from scipy.stats import gaussian_kde

    from geo.hotspots import GridSpec

    if ctx.scale != 1:
        return {"skipped": "fixed-size stage, run at scale 1"}
    n, cells = 20_000, 200
    x, y = _clustered(n, ctx.seed)
    grid = GridSpec.from_bounds((0, 0, _SIDE_M, _SIDE_M), _SIDE_M / cells)
    X, Y = grid.centres()
    t0 = time.perf_counter()
    # gaussian_kde's kernel covariance is factor^2 x the data covariance, which it computes once
    # and caches; seeding that cache with the identity makes the kernel exactly sigma^2 I
    kde = gaussian_kde(np.vstack([x, y]), bw_method=1.0)
    kde._data_covariance = np.eye(2)
    kde._data_cho_cov = np.eye(2)
    kde.set_bandwidth(bw_method=_SIGMA_M)
    assert np.allclose(kde.covariance, np.eye(2) * _SIGMA_M**2)
    dens = kde(np.vstack([X.ravel(), Y.ravel()])).reshape(X.shape) * n * 1e6
    seconds = time.perf_counter() - t0
    return {"points": n, "grid": f"{cells}x{cells}", "kde_s": round(seconds, 3), **_errors(dens, grid, x, y, ctx.seed)}


# ------------------------------------------------------------------------------------------------
# Gi* on the demo district
# ------------------------------------------------------------------------------------------------
@stage("hotspots.gi_star", group="patrolnet")
def gi_star(ctx: Context) -> dict[str, Any]:
    """Gi* with BH-FDR 0.05 on the demo's sub-zones (analytical z, the default, and 9,999
    conditional permutations) and street segments (per 100 m, segments sharing a node)."""
    from geo.hotspots import segment_hotspots, street_segments, subzone_hotspots
    from app.storage.workspace import Workspace

    ws = Workspace(ctx.workspace)
    inc = ws.read("incidents")
    zones = ws.read("subzones")
    t0 = time.perf_counter()
    sz = subzone_hotspots(inc, zones)
    t_sz = time.perf_counter() - t0
    t0 = time.perf_counter()
    perm = subzone_hotspots(inc, zones, permutations=9999, seed=ctx.seed)
    t_perm = time.perf_counter() - t0
    seg = street_segments(ws.read("road_edges"))
    t0 = time.perf_counter()
    st = segment_hotspots(inc, seg)
    t_st = time.perf_counter() - t0
    return {"subzones": len(zones), "incidents": len(inc), "subzone_s": round(t_sz, 2),
            "hot": int((sz["hotspot"] == "hot").sum()), "cold": int((sz["hotspot"] == "cold").sum()),
            "hot_unadjusted": int(((sz["p"] <= 0.05) & (sz["gi_z"] > 0)).sum()),
            "perm9999_s": round(t_perm, 2), "perm9999_hot": int((perm["hotspot"] == "hot").sum()),
            "perm9999_hot_unadjusted": int(((perm["p"] <= 0.05) & (perm["gi_z"] > 0)).sum()),
            "segments": len(seg), "segment_s": round(t_st, 2), "hot_segments": int((st["hotspot"] == "hot").sum())}


@stage("hotspots.gi_star", group="PySAL Queen + G_Local")
def gi_star_pysal(ctx: Context) -> dict[str, Any]:
    """Peer: the plain PySAL pipeline on the same sub-zones: Queen.from_dataframe, esda G_Local
    (star, binary, 999 permutations), each area tested at 0.05 (esda's folded p) without FDR."""
    import warnings

    from esda.getisord import G_Local
    from libpysal.weights import Queen

    from geo.hotspots import counts_by_subzone
    from app.storage.workspace import Workspace

    ws = Workspace(ctx.workspace)
    inc = ws.read("incidents")
    zones = ws.read("subzones")
    counts = counts_by_subzone(inc, zones)["count"].to_numpy(float)
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = Queen.from_dataframe(zones, use_index=False, silence_warnings=True)
        g = G_Local(counts, w, transform="B", star=True, permutations=999, seed=ctx.seed, n_jobs=1,
                    keep_simulations=False)
    seconds = time.perf_counter() - t0
    hot = (g.p_sim <= 0.05) & (g.Zs > 0)
    hot_z = (g.p_norm <= 0.025) & (g.Zs > 0)  # two-sided 0.05 on the analytical z
    return {"subzones": len(zones), "subzone_s": round(seconds, 2), "hot_unadjusted": int(hot.sum()),
            "hot_unadjusted_z": int(hot_z.sum())}


@stage("hotspots.knox", group="patrolnet")
def knox(ctx: Context) -> dict[str, Any]:
    """Knox test (100 m, 14 days, 99 permutations) and the near-repeat table on the demo's
    two-robberies-one-theft incidents."""
    import shapely

    from geo.hotspots import knox_test, near_repeat_table, select_incidents
    from app.storage.workspace import Workspace

    inc = select_incidents(Workspace(ctx.workspace).read("incidents"), categories="two_robberies_one_theft")
    g = inc.geometry.to_numpy()
    x, y = shapely.get_x(g), shapely.get_y(g)
    t0 = time.perf_counter()
    res = knox_test(x, y, inc["occurred_at"], distance_m=100, days=14, permutations=99, seed=ctx.seed)
    t_knox = time.perf_counter() - t0
    t0 = time.perf_counter()
    tab = near_repeat_table(x, y, inc["occurred_at"], distance_bands_m=(0, 100, 200, 400),
                            time_bands_days=(0, 7, 14, 28), permutations=19, seed=ctx.seed)
    t_tab = time.perf_counter() - t0
    return {"incidents": res.n, "space_pairs": res.space_pairs, "knox_ratio": round(res.ratio, 2),
            "knox_p": res.p_value, "knox_s": round(t_knox, 2), "table_s": round(t_tab, 2),
            "nr_ratio_0_100m_0_7d": round(float(tab["ratio"].iloc[0]), 2)}


# ------------------------------------------------------------------------------------------------
# forecasts
# ------------------------------------------------------------------------------------------------
def _vancouver():  # noqa: ANN202
    import geopandas as gpd
    import pandas as pd

    raw = pd.read_csv(_DATA / "incidents" / "vancouver_thefts_2020.csv.gz")
    local = pd.to_datetime({"year": raw["YEAR"], "month": raw["MONTH"], "day": raw["DAY"],
                            "hour": raw["HOUR"], "minute": raw["MINUTE"]})
    occurred = local.dt.tz_localize("America/Vancouver", nonexistent="shift_forward", ambiguous=False)
    return gpd.GeoDataFrame({"occurred_at": occurred, "category": "other_theft"},
                            geometry=gpd.points_from_xy(raw["X"], raw["Y"]), crs="EPSG:32610")


def _figures(table: Any, coverage: float = 0.05) -> dict[str, Any]:
    at = table[table["coverage"] == coverage]
    return {f"{m}": f"{hr:.3f}/{pai:.1f}/{pei:.3f}" for m, hr, pai, pei in
            zip(at["method"], at["hit_rate"], at["pai"], at["pei"])}


@stage("forecast.backtest_vancouver", group="patrolnet")
def backtest_vancouver(ctx: Context) -> dict[str, Any]:
    """Weekly rolling-origin backtest, Vancouver thefts 2020, 150 m cells over the points' hull,
    weeks 14-52; figures are hit rate/PAI/PEI at 5 % (every coverage in the CSV beside the work
    files). shrinkage: tuned on weeks 2-13 only; shrinkage_rolling: re-tuned every 4 weeks on the
    13 weeks before."""
    from geo.forecast import BASELINES, backtest, grid_cells

    if ctx.scale != 1:
        return {"skipped": "real data, run at scale 1"}
    inc = _vancouver()
    cells = grid_cells(inc, cell_m=150)
    methods = list(BASELINES) + [
        ("retro_kde_13w_150m", "retro_kde", {"weeks": 13, "bandwidth_m": 150.0}),
        ("prospective_400m_8w", "prospective", {"bandwidth_m": 400.0, "weeks": 8}),
        ("blend_75long_25pros", "blend", {"weights": {"naive_since_jan": 0.75, "prospective": 0.25}}),
        ("decayed_13w", "decayed", {"tau_weeks": 13.0}),
        ("shrinkage", "shrinkage", {"tune_weeks": (2, 13)}),
        ("shrinkage_rolling", "shrinkage", {"retune_every": 4, "retune_window": 13}),
    ]
    table = backtest(inc, cells=cells, start_week=14, end_week=52, methods=methods)
    out_csv = ctx.workdir / "backtest_vancouver.csv"
    table.to_csv(out_csv, index=False)
    chosen = table.attrs["params"]["shrinkage"][0]
    return {"cells": len(cells), **_figures(table),
            "shrinkage_params": f"h={chosen.bandwidth_m:g} alpha={chosen.alpha_weeks:g} "
                                f"tau={chosen.tau_weeks:g} pros={chosen.prospective:g}",
            "csv": str(out_csv)}


@stage("forecast.backtest_demo", group="patrolnet")
def backtest_demo(ctx: Context) -> dict[str, Any]:
    """Weekly backtest on the demo district (150 m cells over the sub-zones, aligned with the
    truth grid), the last 26 weeks, shrinkage tuned on the 13 weeks before them, with the true
    intensity (expected counts given the history) as the oracle row."""
    import json

    import pandas as pd

    from geo.forecast import BASELINES, backtest, demo_oracle, grid_cells
    from app.storage.workspace import Workspace

    ws = Workspace(ctx.workspace)
    inc = ws.read("incidents")
    truth = ws.read("demo_truth")
    meta = json.loads(ws.meta["demo_truth"])
    cells = grid_cells(ws.read("subzones"), cell_m=float(meta["cell_m"]), hull=False,
                       origin=(meta["grid_x0"], meta["grid_y0"]))
    origin = pd.Timestamp("2024-01-01")
    last = (pd.Timestamp(ctx.as_of) + pd.Timedelta(days=1) - origin).days // 7  # last whole week
    start = last - 25
    methods = list(BASELINES) + ["retro_kde", "prospective", "blend", "decayed", "shrinkage",
                                 ("shrinkage_tuned", "shrinkage", {"tune_weeks": (start - 13, start - 1)})]
    oracle = demo_oracle(truth, ws.meta["demo_truth"], inc, cells)
    table = backtest(inc, cells=cells, start_week=start, end_week=last, origin=origin, methods=methods,
                     extra_scores={"oracle": oracle})
    table.to_csv(ctx.workdir / f"backtest_demo-x{ctx.scale:g}.csv", index=False)
    return {"cells": len(cells), "weeks": f"{start}-{last}", **_figures(table)}
