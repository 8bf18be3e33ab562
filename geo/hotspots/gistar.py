"""Getis-Ord Gi* hot and cold spots with false-discovery-rate control, on sub-zones and street segments."""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from scipy.stats import norm

from geo.crs import require_metric
from geo.errors import InputError

from .areas import counts_by_subzone
from .segments import counts_by_segment

__all__ = [
    "benjamini_hochberg",
    "getis_ord_gi_star",
    "segment_hotspots",
    "segment_weights",
    "subzone_hotspots",
    "subzone_weights",
]


def benjamini_hochberg(p: Sequence[float] | np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (q-values); reject where ``q <= alpha`` to control the
    false discovery rate at ``alpha``. NaN p-values stay NaN and are not counted."""
    pa = np.asarray(p, dtype=float)
    q = np.full(pa.shape, np.nan)
    ok = np.isfinite(pa)
    m = int(ok.sum())
    if m == 0:
        return q
    pv = pa[ok]
    order = np.argsort(pv, kind="stable")
    ranked = pv[order] * m / np.arange(1, m + 1)
    ranked = np.minimum.accumulate(ranked[::-1])[::-1]
    out = np.empty(m)
    out[order] = np.minimum(ranked, 1.0)
    q[ok] = out
    return q


def _w_from_pairs(n: int, i: np.ndarray, j: np.ndarray):  # noqa: ANN202 - libpysal W
    """A binary libpysal ``W`` (ids 0..n-1) from neighbour pairs, symmetrised, self pairs dropped;
    built from an adjacency dict as libpysal expects."""
    from libpysal.weights import W

    keep = i != j
    a = sparse.coo_matrix((np.ones(int(keep.sum())), (i[keep], j[keep])), shape=(n, n)).tocsr()
    a = ((a + a.T) > 0).astype(float).tocsr()
    a.sort_indices()
    neighbours = dict(enumerate(part.tolist() for part in np.split(a.indices, a.indptr[1:-1])))
    return W(neighbours, id_order=list(range(n)), silence_warnings=True)


def subzone_weights(subzones: gpd.GeoDataFrame):  # noqa: ANN201 - libpysal W
    """Queen contiguity (sharing a boundary point) between sub-zones, as a binary libpysal ``W``
    indexed by position (0..n-1)."""
    require_metric(subzones, "sub-zones")
    geoms = subzones.geometry.to_numpy()
    tree = shapely.STRtree(geoms)
    i, j = tree.query(geoms, predicate="intersects")
    return _w_from_pairs(len(geoms), i, j)


def segment_weights(segments: gpd.GeoDataFrame, *, order: int = 1):  # noqa: ANN201 - libpysal W
    """Street-network contiguity: segments sharing a node (``order`` 1), or reachable within
    ``order`` shared-node steps, as a binary libpysal ``W`` indexed by position."""
    if order < 1:
        raise InputError(f"order={order}: must be at least 1", code="param.at_least", name="order", value=str(order),
                         min=1)
    u = segments["u"].to_numpy(np.int64)
    v = segments["v"].to_numpy(np.int64)
    nodes, inv = np.unique(np.concatenate([u, v]), return_inverse=True)
    n = len(segments)
    rows = np.concatenate([np.arange(n), np.arange(n)])
    inc = sparse.csr_matrix((np.ones(2 * n), (rows, inv)), shape=(n, nodes.size))
    adj = (inc @ inc.T).tocsr()
    adj.data[:] = 1.0
    reach = adj.copy()
    for _ in range(order - 1):
        reach = (reach @ adj).tocsr()
        reach.data[:] = 1.0
    coo = reach.tocoo()
    return _w_from_pairs(n, coo.row.astype(np.int64), coo.col.astype(np.int64))


def getis_ord_gi_star(
    values: Sequence[float] | np.ndarray,
    w: object,
    *,
    permutations: int = 0,
    seed: int = 12345,
    alpha: float = 0.05,
    fdr: bool = True,
) -> pd.DataFrame:
    """Local Getis-Ord Gi* (esda ``G_Local``, ``star=True``, binary weights with self-weight 1).

    Parameters
    ----------
    values
        One non-negative value per area (counts, or rates).
    w
        A libpysal ``W`` over the same areas in the same order (e.g. :func:`subzone_weights`).
    permutations
        0 (default): p-values from the analytical z-score (normal approximation; Getis & Ord 1995,
        as in ArcGIS's Hot Spot Analysis). ``n > 0``: esda's conditional permutations (seeded,
        reproducible). Conditional permutation keeps each area's own value fixed, so it asks
        whether the *neighbours* are high: a lone extreme area is not a hotspot under it, and
        with FDR over thousands of areas it needs 9,999+ permutations to resolve small p-values.
    alpha
        Significance level for the hot/cold classes.
    fdr
        Control the false discovery rate across all areas with Benjamini-Hochberg (default) rather
        than testing each area at ``alpha``.

    Returns
    -------
    DataFrame (one row per area) with ``value``, ``gi_z`` (analytical z-score), ``p`` (two-sided:
    twice esda's folded permutation p, capped at 1, or ``2 * (1 - Phi(|z|))``), ``q`` (BH-adjusted
    p), ``significant`` and ``hotspot`` (``hot`` / ``cold`` / ``not_significant``).

    Raises
    ------
    InputError
        Values not matching the weights, negative or all zero.
    """
    from esda.getisord import G_Local

    y = np.asarray(values, dtype=float).ravel()
    if y.size != w.n:
        raise InputError(f"{y.size} values for {w.n} areas in the weights; give one value per area in W order")
    if (y < 0).any() or not np.isfinite(y).all():
        raise InputError("Gi* needs finite, non-negative values (counts or rates)", code="hotspots.gi_values")
    if not 0 < alpha < 1:
        raise InputError(f"alpha={alpha}: must be between 0 and 1", code="param.alpha", value=str(alpha))
    if y.sum() == 0:
        z = np.zeros(y.size)
        p = np.ones(y.size)
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # esda: alternative-hypothesis deprecation, islands
            g = G_Local(y, w, transform="B", star=True, permutations=int(permutations),
                        keep_simulations=False, n_jobs=1, seed=int(seed))
        z = np.asarray(g.Zs, float)
        if permutations:
            p = np.minimum(1.0, 2.0 * np.asarray(g.p_sim, float))
        else:
            p = 2.0 * norm.sf(np.abs(z))
    z = np.nan_to_num(z, nan=0.0)
    p = np.nan_to_num(p, nan=1.0)
    q = benjamini_hochberg(p) if fdr else p.copy()
    sig = q <= alpha
    cls = np.where(sig & (z > 0), "hot", np.where(sig & (z < 0), "cold", "not_significant"))
    return pd.DataFrame({"value": y, "gi_z": z, "p": p, "q": q, "significant": sig, "hotspot": cls})


def subzone_hotspots(
    incidents: gpd.GeoDataFrame,
    subzones: gpd.GeoDataFrame,
    *,
    value: str = "count",
    permutations: int = 0,
    seed: int = 12345,
    alpha: float = 0.05,
    fdr: bool = True,
    categories: Iterable[str] | str | None = None,
    start: object = None,
    end: object = None,
) -> pd.DataFrame:
    """Gi* hot and cold sub-zones: counts (``value='count'``) or density (``'per_km2'``) per sub-zone,
    queen contiguity, BH-FDR at ``alpha``. Returns :func:`counts_by_subzone`'s table with the
    :func:`getis_ord_gi_star` columns."""
    counts = counts_by_subzone(incidents, subzones, categories=categories, start=start, end=end)
    if value not in ("count", "per_km2"):
        raise InputError(f"value={value!r}: use 'count' or 'per_km2'", code="param.choice", name="value",
                         value=str(value), known="count, per_km2")
    gi = getis_ord_gi_star(counts[value].fillna(0).to_numpy(), subzone_weights(subzones),
                           permutations=permutations, seed=seed, alpha=alpha, fdr=fdr)
    return pd.concat([counts, gi.drop(columns=["value"])], axis=1)


def segment_hotspots(
    incidents: gpd.GeoDataFrame,
    segments: gpd.GeoDataFrame,
    *,
    value: str = "per_100m",
    order: int = 1,
    permutations: int = 0,
    seed: int = 12345,
    alpha: float = 0.05,
    fdr: bool = True,
    categories: Iterable[str] | str | None = None,
    start: object = None,
    end: object = None,
) -> pd.DataFrame:
    """Gi* on the street network: incidents per 100 m (default) or counts per segment, neighbours
    are segments sharing a node (``order`` steps), BH-FDR at ``alpha``."""
    counts = counts_by_segment(incidents, segments, categories=categories, start=start, end=end)
    if value not in ("count", "per_100m"):
        raise InputError(f"value={value!r}: use 'count' or 'per_100m'", code="param.choice", name="value",
                         value=str(value), known="count, per_100m")
    gi = getis_ord_gi_star(counts[value].fillna(0).to_numpy(), segment_weights(segments, order=order),
                           permutations=permutations, seed=seed, alpha=alpha, fdr=fdr)
    return pd.concat([counts, gi.drop(columns=["value"])], axis=1)
