"""Hotspots: kernel density, counts and rates per area, Getis-Ord Gi*, time profiles, near repeats.

Everything works in the workspace's projected working CRS (metres); functions that take a
GeoDataFrame refuse geographic coordinates with a :class:`~geo.errors.CRSError` naming
``.to_crs(...)``. The array functions are the core; the ``*_frame`` / layer functions are thin
adapters. Inputs are never modified.

Kernel density (:func:`kde_grid`)
---------------------------------
Gaussian kernel, fixed bandwidth ``bandwidth_m`` (the standard deviation of each axis), evaluated at
the centres of a regular grid of ``cell_m`` cells. The points are linearly binned (bilinear
"cloud-in-cell" weights) onto a grid ``oversample`` times finer than the output grid, convolved with
the Gaussian sampled on that fine grid and truncated at ``truncate`` standard deviations, by FFT
(:mod:`scipy.fft`, the kernel's transform built from its two 1-D factors), and read back at the
output cell centres. Points up to ``truncate`` bandwidths outside the bounds still count.

Error bound: linear binning replaces each point's kernel by its bilinear interpolant between fine
grid nodes, an error of at most ``(delta / h)**2 / 4`` times the kernel's peak (``delta`` the fine
cell, ``h`` the bandwidth); the truncation adds at most ``exp(-truncate**2 / 2)`` (3.7e-6 at 5).
By default ``oversample`` is chosen so that ``delta <= h / 20``: the maximum absolute error is then
below ``6.3e-4 + 3.7e-6`` of the largest kernel peak times the largest weight, which is at most
the density's maximum for a single point and far less for real data (tested below 1e-3 of the
density's peak at ``cell_m <= bandwidth_m / 2``, for a single point in the worst position as well as
for clustered points).

Units: expected incidents per km2 (the kernel integrates to one, so the density integrates to the
number of points, or the sum of the weights, over the plane).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import fft as sfft
from scipy import sparse
from scipy.spatial import cKDTree
from scipy.stats import norm

from geo.crs import require_metric
from geo.errors import CRSError, InputError
from geo.schema import CATEGORIES

__all__ = [
    "GridSpec",
    "kde_grid",
    "kde_exact",
    "kde_at",
    "incident_density",
    "incident_xyt",
    "scott_bandwidth",
    "choose_bandwidth",
    "street_segments",
    "counts_by_subzone",
    "counts_by_segment",
    "counts_by_neighborhood",
    "benjamini_hochberg",
    "getis_ord_gi_star",
    "subzone_weights",
    "segment_weights",
    "subzone_hotspots",
    "segment_hotspots",
    "time_profile",
    "knox_test",
    "KnoxResult",
    "near_repeat_table",
    "select_incidents",
]

_M2_PER_KM2 = 1e6
#: Finest binning step relative to the bandwidth used by default (keeps binning error < 6.3e-4).
_FINE_PER_BANDWIDTH = 20.0


# ---------------------------------------------------------------------------------------------
# input checks
# ---------------------------------------------------------------------------------------------
def _xy(x: Sequence[float] | np.ndarray, y: Sequence[float] | np.ndarray, what: str = "points") -> tuple[np.ndarray, np.ndarray]:
    xa = np.asarray(x, dtype=float).ravel()
    ya = np.asarray(y, dtype=float).ravel()
    if xa.shape != ya.shape:
        raise InputError(f"{what}: x has {xa.size} values but y has {ya.size}; give one x and one y per point")
    bad = ~(np.isfinite(xa) & np.isfinite(ya))
    if bad.any():
        raise InputError(
            f"{what}: {int(bad.sum())} point(s) have missing or infinite coordinates "
            f"(first at position {int(np.flatnonzero(bad)[0])}); drop them first"
        )
    return xa, ya


def _positive(value: float, name: str) -> float:
    v = float(value)
    if not np.isfinite(v) or v <= 0:
        raise InputError(f"{name}={value!r}: must be a positive number of metres")
    return v


def _points_xy(frame: gpd.GeoDataFrame | gpd.GeoSeries, what: str) -> tuple[np.ndarray, np.ndarray]:
    require_metric(frame, what)
    geoms = frame.geometry.to_numpy() if isinstance(frame, gpd.GeoDataFrame) else frame.to_numpy()
    if len(geoms) and not (shapely.get_type_id(geoms) == 0).all():
        raise InputError(f"{what}: every geometry must be a Point")
    return _xy(shapely.get_x(geoms), shapely.get_y(geoms), what)


# ---------------------------------------------------------------------------------------------
# grid and kernel density
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class GridSpec:
    """A north-up regular grid: ``nrows x ncols`` square cells of ``cell_m`` metres.

    Row 0 is the northern-most row (image order, as in GeoTIFF); cell ``(r, c)`` has its centre at
    ``x = xmin + (c + 0.5) * cell_m``, ``y = ymax - (r + 0.5) * cell_m``.
    """

    xmin: float
    ymax: float
    cell_m: float
    nrows: int
    ncols: int

    @classmethod
    def from_bounds(cls, bounds: Sequence[float], cell_m: float) -> GridSpec:
        """The grid of ``cell_m`` cells covering ``bounds = (xmin, ymin, xmax, ymax)`` (metres)."""
        cell = _positive(cell_m, "cell_m")
        if len(bounds) != 4:
            raise InputError(f"bounds={bounds!r}: give (xmin, ymin, xmax, ymax) in metres")
        xmin, ymin, xmax, ymax = (float(b) for b in bounds)
        if not all(np.isfinite([xmin, ymin, xmax, ymax])) or xmax < xmin or ymax < ymin:
            raise InputError(f"bounds={bounds!r}: need finite xmin <= xmax and ymin <= ymax")
        ncols = max(1, int(math.ceil((xmax - xmin) / cell - 1e-9)))
        nrows = max(1, int(math.ceil((ymax - ymin) / cell - 1e-9)))
        if nrows * ncols > 50_000_000:
            raise InputError(
                f"a {nrows} x {ncols} grid of {cell:g} m cells is too large; use a larger cell_m"
            )
        return cls(xmin, ymin + nrows * cell, cell, nrows, ncols)

    @property
    def shape(self) -> tuple[int, int]:
        return (self.nrows, self.ncols)

    @property
    def ymin(self) -> float:
        return self.ymax - self.nrows * self.cell_m

    @property
    def xmax(self) -> float:
        return self.xmin + self.ncols * self.cell_m

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        return (self.xmin, self.ymin, self.xmax, self.ymax)

    @property
    def transform(self) -> tuple[float, float, float, float, float, float]:
        """Affine coefficients ``(a, b, c, d, e, f)`` as in ``affine.Affine`` / rasterio: pixel
        ``(col, row)`` corner maps to ``x = a*col + b*row + c``, ``y = d*col + e*row + f``."""
        return (self.cell_m, 0.0, self.xmin, 0.0, -self.cell_m, self.ymax)

    @property
    def cell_area_m2(self) -> float:
        return self.cell_m * self.cell_m

    def centres(self) -> tuple[np.ndarray, np.ndarray]:
        """Cell-centre coordinates as two ``(nrows, ncols)`` arrays (metres)."""
        xs = self.xmin + (np.arange(self.ncols) + 0.5) * self.cell_m
        ys = self.ymax - (np.arange(self.nrows) + 0.5) * self.cell_m
        return np.meshgrid(xs, ys)

    def index(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Row and column of the cell holding each point; ``-1`` for points outside the grid."""
        col = np.floor((np.asarray(x, float) - self.xmin) / self.cell_m).astype(np.int64)
        row = np.floor((self.ymax - np.asarray(y, float)) / self.cell_m).astype(np.int64)
        out = (col < 0) | (col >= self.ncols) | (row < 0) | (row >= self.nrows)
        col[out] = -1
        row[out] = -1
        return row, col


def _gauss_1d(offsets_m: np.ndarray, h: float) -> np.ndarray:
    return np.exp(-0.5 * (offsets_m / h) ** 2) / (math.sqrt(2.0 * math.pi) * h)


def _linear_bin(fx: np.ndarray, fy: np.ndarray, w: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Bilinear binning of points at fractional grid coordinates (fx along columns, fy rows)."""
    ny, nx = shape
    i0 = np.floor(fx).astype(np.int64)
    j0 = np.floor(fy).astype(np.int64)
    ax = fx - i0
    ay = fy - j0
    grid = np.zeros(ny * nx)
    for dj, wy in ((0, 1.0 - ay), (1, ay)):
        for di, wx in ((0, 1.0 - ax), (1, ax)):
            ii = i0 + di
            jj = j0 + dj
            ok = (ii >= 0) & (ii < nx) & (jj >= 0) & (jj < ny)
            grid += np.bincount((jj[ok] * nx + ii[ok]), weights=(w * wx * wy)[ok], minlength=ny * nx)
    return grid.reshape(ny, nx)


def _mask_array(mask: object, spec: GridSpec) -> np.ndarray | None:
    if mask is None:
        return None
    if isinstance(mask, np.ndarray):
        if mask.shape != spec.shape:
            raise InputError(f"mask has shape {mask.shape} but the grid is {spec.shape}; build it from the grid")
        return mask.astype(bool)
    if isinstance(mask, (gpd.GeoSeries, gpd.GeoDataFrame)):
        require_metric(mask, "mask")
        geom = shapely.union_all(mask.geometry.to_numpy() if isinstance(mask, gpd.GeoDataFrame) else mask.to_numpy())
    elif isinstance(mask, shapely.Geometry):
        geom = mask
    else:
        raise InputError("mask must be a boolean array of the grid's shape or a (multi)polygon in metres")
    X, Y = spec.centres()
    shapely.prepare(geom)
    return shapely.contains_xy(geom, X, Y)


def kde_grid(
    x: Sequence[float] | np.ndarray,
    y: Sequence[float] | np.ndarray,
    *,
    bounds: Sequence[float],
    cell_m: float,
    bandwidth_m: float,
    weights: Sequence[float] | np.ndarray | None = None,
    mask: object = None,
    truncate: float = 5.0,
    oversample: int | None = None,
) -> tuple[np.ndarray, GridSpec]:
    """Gaussian kernel density on a regular grid, by linear binning and FFT convolution.

    Parameters
    ----------
    x, y
        Point coordinates in a projected CRS (metres).
    bounds
        ``(xmin, ymin, xmax, ymax)`` of the area to grid (metres); the grid starts at ``xmin`` and
        ``ymin`` and is extended to whole cells.
    cell_m
        Output cell size (m). The density is evaluated at cell centres.
    bandwidth_m
        Kernel standard deviation (m), for example 200, or :func:`scott_bandwidth`, or
        :func:`choose_bandwidth`.
    weights
        Optional non-negative weight per point (default 1: the density integrates to the count).
    mask
        Optional boolean array of the grid's shape, or a polygon (shapely geometry or GeoSeries in
        metres): cells whose centre lies outside are set to 0.
    truncate
        Kernel truncation in bandwidths (default 5; error ``exp(-truncate**2/2)`` of the peak).
    oversample
        Binning grid refinement (an integer >= 1). Default: the smallest making the fine step at
        most ``bandwidth_m / 20`` (binning error below 6.3e-4 of the peak, see the module notes);
        1 is fastest.

    Returns
    -------
    density, grid
        ``(nrows, ncols)`` array of expected incidents per km2 (north-up, row 0 northern-most) and
        its :class:`GridSpec` (``grid.transform`` is the affine transform).

    Raises
    ------
    InputError
        Non-finite coordinates, negative weights, non-positive sizes, or a grid too large.
    """
    xa, ya = _xy(x, y)
    h = _positive(bandwidth_m, "bandwidth_m")
    spec = GridSpec.from_bounds(bounds, cell_m)
    cell = spec.cell_m
    w = np.ones(xa.size) if weights is None else np.asarray(weights, dtype=float).ravel()
    if w.shape != xa.shape:
        raise InputError(f"weights has {w.size} values for {xa.size} points")
    if (w < 0).any() or not np.isfinite(w).all():
        raise InputError("weights must be finite and non-negative")
    if truncate <= 0:
        raise InputError(f"truncate={truncate}: must be positive (bandwidths)")
    k = int(oversample) if oversample is not None else max(1, int(math.ceil(cell * _FINE_PER_BANDWIDTH / h - 1e-9)))
    if k < 1:
        raise InputError(f"oversample={oversample}: must be an integer >= 1")
    delta = cell / k
    radius = int(math.ceil(truncate * h / delta))
    # fine nodes: the output centres are fine nodes pad + k*c (columns) and pad + k*r' (rows, r'
    # counted from the south); points within the kernel radius outside the bounds are kept.
    pad = radius
    nfx = (spec.ncols - 1) * k + 1 + 2 * pad
    nfy = (spec.nrows - 1) * k + 1 + 2 * pad
    if nfx * nfy > 120_000_000:
        raise InputError(
            f"the binning grid ({nfy} x {nfx}) is too large; use a larger cell_m or oversample=1"
        )
    x0 = spec.xmin + 0.5 * cell - pad * delta
    y0 = spec.ymin + 0.5 * cell - pad * delta
    fx = (xa - x0) / delta
    fy = (ya - y0) / delta
    binned = _linear_bin(fx, fy, w, (nfy, nfx))
    taps = _gauss_1d(np.arange(-radius, radius + 1) * delta, h) * delta  # per-node mass factor
    # circular FFT convolution with the centred, separable kernel: the pad of ``radius`` fine
    # nodes around the output nodes keeps wrapped-around terms out of every output node
    ly = sfft.next_fast_len(nfy, real=True)
    lx = sfft.next_fast_len(nfx, real=True)
    offsets = np.arange(-radius, radius + 1)
    kx = np.zeros(lx)
    ky = np.zeros(ly)
    kx[offsets % lx] = taps
    ky[offsets % ly] = taps
    fker = np.outer(sfft.fft(ky), sfft.rfft(kx))
    conv = sfft.irfft2(sfft.rfft2(binned, s=(ly, lx), workers=-1) * fker, s=(ly, lx), workers=-1)
    rows = pad + k * np.arange(spec.nrows)
    cols = pad + k * np.arange(spec.ncols)
    dens = conv[np.ix_(rows, cols)] / (delta * delta) * _M2_PER_KM2
    dens = np.flipud(np.maximum(dens, 0.0))  # north-up; FFT round-off can leave -1e-17
    m = _mask_array(mask, spec)
    if m is not None:
        dens = np.where(m, dens, 0.0)
    return np.ascontiguousarray(dens), spec


def kde_at(
    x: Sequence[float] | np.ndarray,
    y: Sequence[float] | np.ndarray,
    qx: Sequence[float] | np.ndarray,
    qy: Sequence[float] | np.ndarray,
    *,
    bandwidth_m: float,
    weights: Sequence[float] | np.ndarray | None = None,
    truncate: float = 5.0,
    exclude_self: bool = False,
) -> np.ndarray:
    """Exact Gaussian kernel density at query points (per km2), summed over points within
    ``truncate`` bandwidths with a k-d tree (cost grows with the number of such pairs).

    ``exclude_self`` drops pairs at zero distance with the same index (leave-one-out when the
    queries are the points themselves).
    """
    xa, ya = _xy(x, y)
    qa, qb = _xy(qx, qy, "query points")
    h = _positive(bandwidth_m, "bandwidth_m")
    w = np.ones(xa.size) if weights is None else np.asarray(weights, float).ravel()
    if xa.size == 0 or qa.size == 0:
        return np.zeros(qa.size)
    tp = cKDTree(np.column_stack([xa, ya]))
    out = np.zeros(qa.size)
    step = max(64, int(5_000_000 // max(xa.size, 1)))  # bounds the pair arrays per chunk
    for s in range(0, qa.size, step):
        tq = cKDTree(np.column_stack([qa[s : s + step], qb[s : s + step]]))
        pairs = tq.sparse_distance_matrix(tp, truncate * h, output_type="ndarray")
        i, j, d = pairs["i"], pairs["j"], pairs["v"]  # zero distances are included
        val = np.exp(-0.5 * (d / h) ** 2) * w[j]
        if exclude_self:
            val = np.where(i + s == j, 0.0, val)
        out[s : s + step] = np.bincount(i, weights=val, minlength=min(step, qa.size - s))
    return out / (2 * math.pi * h * h) * _M2_PER_KM2


def incident_xyt(incidents: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Coordinates (m) and times (days since the earliest incident, local wall-clock) of incident
    points, for :func:`knox_test` and :func:`near_repeat_table`.

    Raises
    ------
    CRSError
        When the incidents are not in a projected CRS (use ``.to_crs(working_crs)``).
    """
    x, y = _points_xy(incidents, "incidents")
    if "occurred_at" not in incidents.columns:
        raise InputError("incidents have no 'occurred_at' column")
    occ = pd.to_datetime(incidents["occurred_at"])
    if getattr(occ.dt, "tz", None) is not None:
        occ = occ.dt.tz_localize(None)
    return x, y, _t_days(occ)


def incident_density(
    incidents: gpd.GeoDataFrame,
    *,
    cell_m: float = 50.0,
    bandwidth_m: float = 200.0,
    boundary: gpd.GeoDataFrame | gpd.GeoSeries | None = None,
    categories: Iterable[str] | str | None = None,
    start: object = None,
    end: object = None,
) -> tuple[np.ndarray, GridSpec]:
    """Heat map of incidents (per km2): :func:`kde_grid` over the boundary's extent (or the
    incidents' extent plus four bandwidths), masked to the boundary when given.

    Raises
    ------
    CRSError
        When incidents or boundary are not in one projected CRS.
    InputError
        When no incident is selected.
    """
    sel = select_incidents(incidents, categories=categories, start=start, end=end)
    x, y = _points_xy(sel, "incidents")
    if boundary is not None:
        require_metric(boundary, "boundary")
        if not boundary.crs.equals(incidents.crs):
            raise CRSError(f"boundary is in {boundary.crs.to_string()} but incidents in "
                           f"{incidents.crs.to_string()}; bring them into one CRS with .to_crs(...)")
        bounds = tuple(boundary.total_bounds)
    else:
        if x.size == 0:
            raise InputError("no incidents selected: nothing to map")
        pad = 4 * float(bandwidth_m)
        bounds = (x.min() - pad, y.min() - pad, x.max() + pad, y.max() + pad)
    return kde_grid(x, y, bounds=bounds, cell_m=cell_m, bandwidth_m=bandwidth_m, mask=boundary)


def kde_exact(
    x: Sequence[float] | np.ndarray,
    y: Sequence[float] | np.ndarray,
    *,
    bounds: Sequence[float],
    cell_m: float,
    bandwidth_m: float,
    weights: Sequence[float] | np.ndarray | None = None,
    chunk: int = 2_000_000,
) -> tuple[np.ndarray, GridSpec]:
    """The exact Gaussian KDE (direct sum over every point, no truncation) on the same grid as
    :func:`kde_grid`; for tests and small cases (cost: points x cells)."""
    xa, ya = _xy(x, y)
    h = _positive(bandwidth_m, "bandwidth_m")
    spec = GridSpec.from_bounds(bounds, cell_m)
    w = np.ones(xa.size) if weights is None else np.asarray(weights, float).ravel()
    X, Y = spec.centres()
    qx, qy = X.ravel(), Y.ravel()
    out = np.zeros(qx.size)
    step = max(1, chunk // max(1, xa.size))
    for s in range(0, qx.size, step):
        dx = qx[s : s + step, None] - xa[None, :]
        dy = qy[s : s + step, None] - ya[None, :]
        out[s : s + step] = (np.exp(-0.5 * (dx * dx + dy * dy) / (h * h)) * w).sum(axis=1)
    return (out / (2 * math.pi * h * h) * _M2_PER_KM2).reshape(spec.shape), spec


def scott_bandwidth(x: Sequence[float] | np.ndarray, y: Sequence[float] | np.ndarray) -> float:
    """Scott's rule for a 2-D Gaussian kernel on projected coordinates (metres):
    ``h = n**(-1/6) * sqrt((var(x) + var(y)) / 2)``. City-wide it gives a smooth, wide map (often
    near 1 km); for patrol-scale hotspots a fixed 150-250 m or :func:`choose_bandwidth` is better.
    """
    xa, ya = _xy(x, y)
    if xa.size < 2:
        raise InputError("Scott's rule needs at least two points")
    sd = math.sqrt(0.5 * (np.var(xa, ddof=1) + np.var(ya, ddof=1)))
    if sd == 0:
        raise InputError("all points coincide; give a fixed bandwidth_m instead")
    return sd * xa.size ** (-1.0 / 6.0)


def choose_bandwidth(
    x: Sequence[float] | np.ndarray,
    y: Sequence[float] | np.ndarray,
    *,
    candidates_m: Iterable[float] = (50, 75, 100, 150, 200, 300, 400, 600),
    holdout_x: Sequence[float] | np.ndarray | None = None,
    holdout_y: Sequence[float] | np.ndarray | None = None,
    test_fraction: float = 0.25,
    seed: int = 0,
    floor_share: float = 0.01,
) -> tuple[float, pd.DataFrame]:
    """Pick the bandwidth by likelihood cross-validation on held-out points.

    The training points' KDE (normalised to a probability density per m2) is mixed with a uniform
    density over the points' bounding box (share ``floor_share``, so an isolated held-out point
    cannot make the log-likelihood minus infinity) and the mean log-density of the held-out points
    is computed exactly (:func:`kde_at`). Give the held-out set (for example the most recent
    incidents, a forecast-style split) or let a seeded random ``test_fraction`` be held out.

    Returns
    -------
    best_bandwidth_m, table
        The table has one row per candidate: ``bandwidth_m``, ``mean_log_density``.
    """
    xa, ya = _xy(x, y)
    cands = sorted({_positive(c, "candidates_m") for c in candidates_m})
    if not cands:
        raise InputError("candidates_m is empty; give at least one bandwidth in metres")
    if holdout_x is None or holdout_y is None:
        if not 0 < test_fraction < 1:
            raise InputError(f"test_fraction={test_fraction}: must be between 0 and 1")
        rng = np.random.default_rng(seed)
        test = rng.random(xa.size) < test_fraction
        tx, ty, hx, hy = xa[~test], ya[~test], xa[test], ya[test]
    else:
        tx, ty = xa, ya
        hx, hy = _xy(holdout_x, holdout_y, "held-out points")
    if tx.size == 0 or hx.size == 0:
        raise InputError("choose_bandwidth needs training and held-out points; give more points")
    allx, ally = np.concatenate([tx, hx]), np.concatenate([ty, hy])
    box = max((allx.max() - allx.min()) * (ally.max() - ally.min()), 1.0)
    rows = []
    for h in cands:
        dens = kde_at(tx, ty, hx, hy, bandwidth_m=h) / _M2_PER_KM2 / tx.size
        ll = np.log((1 - floor_share) * dens + floor_share / box)
        rows.append({"bandwidth_m": h, "mean_log_density": float(ll.mean())})
    table = pd.DataFrame(rows)
    best = float(table.loc[table["mean_log_density"].idxmax(), "bandwidth_m"])
    return best, table


# ---------------------------------------------------------------------------------------------
# incidents selection, counts and rates per area
# ---------------------------------------------------------------------------------------------
def select_incidents(
    incidents: pd.DataFrame,
    *,
    categories: Iterable[str] | str | None = None,
    start: object = None,
    end: object = None,
) -> pd.DataFrame:
    """Rows of ``incidents`` in ``[start, end)`` whose category (or category group, e.g.
    ``two_robberies_one_theft``) is in ``categories``. Naive times are read in the incidents' zone."""
    out = incidents
    if categories is not None:
        wanted = {categories} if isinstance(categories, str) else set(categories)
        groups = {code for code, (_, _, grp) in CATEGORIES.items() if grp in wanted}
        if "category" not in out.columns:
            raise InputError("incidents have no 'category' column to filter on")
        out = out[out["category"].isin(wanted | groups)]
    if start is not None or end is not None:
        if "occurred_at" not in out.columns:
            raise InputError("incidents have no 'occurred_at' column to filter on")
        occ = pd.to_datetime(out["occurred_at"])
        tz = getattr(occ.dt, "tz", None)

        def _ts(v: object) -> pd.Timestamp:
            t = pd.Timestamp(v)
            if tz is not None and t.tzinfo is None:
                t = t.tz_localize(tz)
            return t

        keep = np.ones(len(out), dtype=bool)
        if start is not None:
            keep &= (occ >= _ts(start)).to_numpy()
        if end is not None:
            keep &= (occ < _ts(end)).to_numpy()
        out = out[keep]
    return out


def _locate_in_polygons(px: np.ndarray, py: np.ndarray, polys: np.ndarray) -> np.ndarray:
    """Index of the polygon holding each point (first match; -1 when none)."""
    out = np.full(px.size, -1, dtype=np.int64)
    if px.size == 0 or len(polys) == 0:
        return out
    tree = shapely.STRtree(polys)
    pts = shapely.points(px, py)
    pi, gi = tree.query(pts, predicate="intersects")
    # first polygon per point (stable: lowest polygon index)
    order = np.lexsort((gi, pi))
    pi, gi = pi[order], gi[order]
    first = np.ones(pi.size, dtype=bool)
    first[1:] = pi[1:] != pi[:-1]
    out[pi[first]] = gi[first]
    return out


def _area_keys(incidents: gpd.GeoDataFrame, areas: gpd.GeoDataFrame, id_col: str, what: str) -> np.ndarray:
    """Position in ``areas`` of each incident: from the incident's ``id_col`` where given, else by
    point-in-polygon."""
    ids = areas[id_col].astype(str).to_numpy()
    lut = pd.Index(ids)
    pos = np.full(len(incidents), -1, dtype=np.int64)
    if id_col in incidents.columns:
        given = incidents[id_col]
        known = given.notna().to_numpy()
        if known.any():
            pos[known] = lut.get_indexer(given[known].astype(str).to_numpy())
    todo = pos < 0
    if todo.any():
        require_metric(incidents, "incidents")
        require_metric(areas, what)
        if not incidents.crs.equals(areas.crs):
            raise CRSError(
                f"incidents are in {incidents.crs.to_string()} but {what} in {areas.crs.to_string()}; "
                f"bring them into one CRS with .to_crs(...)"
            )
        geoms = incidents.geometry.to_numpy()[todo]
        found = _locate_in_polygons(shapely.get_x(geoms), shapely.get_y(geoms), areas.geometry.to_numpy())
        pos[todo] = found
    return pos


def counts_by_subzone(
    incidents: gpd.GeoDataFrame,
    subzones: gpd.GeoDataFrame,
    *,
    categories: Iterable[str] | str | None = None,
    start: object = None,
    end: object = None,
) -> pd.DataFrame:
    """Incidents per sub-zone and per km2.

    Incidents are placed by their ``subzone_id`` when present, else by point in polygon.

    Returns
    -------
    DataFrame with ``subzone_id``, ``count``, ``area_m2``, ``per_km2`` (one row per sub-zone, in
    the sub-zones' order; zero-count sub-zones included).
    """
    sel = select_incidents(incidents, categories=categories, start=start, end=end)
    pos = _area_keys(sel, subzones, "subzone_id", "sub-zones")
    count = np.bincount(pos[pos >= 0], minlength=len(subzones)).astype(np.int64)
    if "area_m2" in subzones.columns:
        area = subzones["area_m2"].to_numpy(float)
    else:
        require_metric(subzones, "sub-zones")
        area = subzones.geometry.area.to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        per = np.where(area > 0, count / area * _M2_PER_KM2, np.nan)
    return pd.DataFrame({"subzone_id": subzones["subzone_id"].astype(str).to_numpy(), "count": count,
                         "area_m2": area, "per_km2": per})


def street_segments(edges: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Undirected street segments from directed road edges (a two-way street is stored once per
    direction, osmnx style; both copies become one segment).

    Returns
    -------
    GeoDataFrame with ``segment_id`` (0..n-1), ``u``, ``v`` (``u <= v``), ``length_m``,
    ``highway``, ``name`` (where given), ``edge_ids`` (list of the directed edge ids) and the
    geometry of the first edge, in the edges' CRS.
    """
    require_metric(edges, "road edges")
    if len(edges) == 0:
        raise InputError("no road edges; import a road network first (patrolnet init --osm)")
    for col in ("edge_id", "u", "v"):
        if col not in edges.columns:
            raise InputError(f"road edges have no '{col}' column; re-import the road network")
    geoms = edges.geometry.to_numpy()
    canon = shapely.normalize(shapely.set_precision(geoms, 0.01))
    wkb = pd.Series(shapely.to_wkb(canon), index=edges.index)
    u = edges["u"].to_numpy(np.int64)
    v = edges["v"].to_numpy(np.int64)
    lo, hi = np.minimum(u, v), np.maximum(u, v)
    key = pd.DataFrame({"lo": lo, "hi": hi, "wkb": wkb.to_numpy()})
    seg = key.groupby(["lo", "hi", "wkb"], sort=False).ngroup().to_numpy()
    order = np.argsort(seg, kind="stable")
    first = np.unique(seg[order], return_index=True)[1]
    first_rows = order[first]
    length = (edges["length_m"].astype(float).to_numpy() if "length_m" in edges.columns
              else edges.geometry.length.to_numpy())
    eids = edges["edge_id"].to_numpy()
    grouped = pd.Series(eids[order]).groupby(seg[order]).agg(list)
    out = pd.DataFrame({
        "segment_id": np.arange(first_rows.size),
        "u": lo[first_rows],
        "v": hi[first_rows],
        "length_m": length[first_rows],
    })
    for col in ("highway", "name"):
        if col in edges.columns:
            out[col] = edges[col].to_numpy()[first_rows]
    out["edge_ids"] = grouped.to_numpy()
    return gpd.GeoDataFrame(out, geometry=geoms[first_rows], crs=edges.crs)


def counts_by_segment(
    incidents: gpd.GeoDataFrame,
    segments: gpd.GeoDataFrame,
    *,
    max_distance_m: float = 50.0,
    categories: Iterable[str] | str | None = None,
    start: object = None,
    end: object = None,
) -> pd.DataFrame:
    """Incidents per street segment and per 100 m of road.

    Incidents are placed by their ``edge_id`` (street incidents snapped at import) where present,
    else on the nearest segment within ``max_distance_m`` (others are not counted).

    Returns
    -------
    DataFrame with ``segment_id``, ``count``, ``length_m``, ``per_100m``.
    """
    sel = select_incidents(incidents, categories=categories, start=start, end=end)
    pos = _segment_positions(sel, segments, max_distance_m=max_distance_m)
    count = np.bincount(pos[pos >= 0], minlength=len(segments)).astype(np.int64)
    length = segments["length_m"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        per = np.where(length > 0, count / length * 100.0, np.nan)
    return pd.DataFrame({"segment_id": segments["segment_id"].to_numpy(), "count": count,
                         "length_m": length, "per_100m": per})


def _segment_positions(incidents: gpd.GeoDataFrame, segments: gpd.GeoDataFrame, *, max_distance_m: float) -> np.ndarray:
    pos = np.full(len(incidents), -1, dtype=np.int64)
    if len(incidents) == 0:
        return pos
    if "edge_id" in incidents.columns and "edge_ids" in segments.columns:
        lens = segments["edge_ids"].map(len).to_numpy()
        flat = np.concatenate([np.asarray(v) for v in segments["edge_ids"].to_numpy()]) if lens.sum() else np.array([])
        lut = pd.Series(np.repeat(np.arange(len(segments)), lens), index=pd.Index(flat))
        lut = lut[~lut.index.duplicated()]
        e = incidents["edge_id"]
        known = e.notna().to_numpy()
        if known.any():
            got = lut.reindex(e[known].astype(np.int64).to_numpy()).to_numpy()
            got = np.where(np.isnan(got), -1, got).astype(np.int64)
            pos[known] = got
    todo = pos < 0
    if todo.any():
        require_metric(incidents, "incidents")
        require_metric(segments, "street segments")
        tree = shapely.STRtree(segments.geometry.to_numpy())
        pi, si = tree.query_nearest(incidents.geometry.to_numpy()[todo], max_distance=max_distance_m,
                                    all_matches=False)
        sub = np.full(int(todo.sum()), -1, dtype=np.int64)
        sub[pi] = si
        pos[todo] = sub
    return pos


def counts_by_neighborhood(
    incidents: gpd.GeoDataFrame,
    neighborhoods: gpd.GeoDataFrame,
    *,
    categories: Iterable[str] | str | None = None,
    start: object = None,
    end: object = None,
) -> pd.DataFrame:
    """Incidents per neighborhood (小区) and per 1,000 households.

    Returns
    -------
    DataFrame with ``neighborhood_id``, ``count``, ``households``, ``per_1000_households`` (NaN
    where households are unknown or zero).
    """
    sel = select_incidents(incidents, categories=categories, start=start, end=end)
    pos = _area_keys(sel, neighborhoods, "neighborhood_id", "neighborhoods")
    count = np.bincount(pos[pos >= 0], minlength=len(neighborhoods)).astype(np.int64)
    hh = (pd.to_numeric(neighborhoods["households"], errors="coerce").to_numpy(float)
          if "households" in neighborhoods.columns else np.full(len(neighborhoods), np.nan))
    with np.errstate(divide="ignore", invalid="ignore"):
        per = np.where(hh > 0, count / hh * 1000.0, np.nan)
    return pd.DataFrame({"neighborhood_id": neighborhoods["neighborhood_id"].astype(str).to_numpy(),
                         "count": count, "households": hh, "per_1000_households": per})


# ---------------------------------------------------------------------------------------------
# Getis-Ord Gi* with FDR
# ---------------------------------------------------------------------------------------------
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
        raise InputError(f"order={order}: must be at least 1")
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
        raise InputError("Gi* needs finite, non-negative values (counts or rates)")
    if not 0 < alpha < 1:
        raise InputError(f"alpha={alpha}: must be between 0 and 1")
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
        raise InputError(f"value={value!r}: use 'count' or 'per_km2'")
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
        raise InputError(f"value={value!r}: use 'count' or 'per_100m'")
    gi = getis_ord_gi_star(counts[value].fillna(0).to_numpy(), segment_weights(segments, order=order),
                           permutations=permutations, seed=seed, alpha=alpha, fdr=fdr)
    return pd.concat([counts, gi.drop(columns=["value"])], axis=1)


# ---------------------------------------------------------------------------------------------
# time: hour-of-day x day-of-week profiles
# ---------------------------------------------------------------------------------------------
def time_profile(
    incidents: pd.DataFrame,
    *,
    by: Sequence[str] | str | None = None,
    categories: Iterable[str] | str | None = None,
    start: object = None,
    end: object = None,
) -> pd.DataFrame:
    """Hour-of-day x day-of-week counts, overall or per group (e.g. ``by=("station_id", "category")``).

    Times are read in their own (local) time zone. Returns a long table: the ``by`` columns,
    ``weekday`` (0 = Monday), ``hour`` (0-23), ``count`` and ``share`` (of the group's total); every
    weekday x hour appears for every group (zeros included).
    """
    sel = select_incidents(incidents, categories=categories, start=start, end=end)
    if "occurred_at" not in sel.columns:
        raise InputError("incidents have no 'occurred_at' column")
    keys = [by] if isinstance(by, str) else list(by or [])
    missing = [k for k in keys if k not in sel.columns]
    if missing:
        raise InputError(f"time_profile: no column(s) {missing} in the incidents")
    occ = pd.to_datetime(sel["occurred_at"])
    slot = (occ.dt.day_of_week * 24 + occ.dt.hour).to_numpy(np.int64)
    if keys:
        codes, uniques = pd.MultiIndex.from_frame(sel[keys].astype("string").fillna("")).factorize()
        ng = len(uniques)
    else:
        codes = np.zeros(len(sel), dtype=np.int64)
        uniques = None
        ng = 1
    counts = np.bincount(codes * 168 + slot, minlength=ng * 168).reshape(ng, 168) if len(sel) else np.zeros((ng, 168), np.int64)
    total = counts.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(total > 0, counts / np.where(total > 0, total, 1), 0.0)
    out = pd.DataFrame({
        "weekday": np.tile(np.repeat(np.arange(7), 24), ng),
        "hour": np.tile(np.arange(24), 7 * ng),
        "count": counts.ravel(),
        "share": share.ravel(),
    })
    if keys and uniques is not None:
        grp = pd.DataFrame(list(uniques), columns=keys) if len(uniques) else pd.DataFrame(columns=keys)
        rep = grp.loc[np.repeat(np.arange(ng), 168)].reset_index(drop=True)
        out = pd.concat([rep, out], axis=1)
    return out


# ---------------------------------------------------------------------------------------------
# near repeats: Knox test and the near-repeat table
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class KnoxResult:
    """Knox test: pairs close in space (<= distance_m) and time (<= days)."""

    distance_m: float
    days: float
    n: int
    observed: int
    expected: float  # S * T / N, the classic Knox expectation (time labels exchangeable)
    simulated_mean: float
    ratio: float  # observed / expected
    p_value: float  # Monte Carlo, one-sided (more close pairs than chance)
    permutations: int
    space_pairs: int
    time_pairs: int


def _t_days(t: Sequence[float] | np.ndarray | pd.Series) -> np.ndarray:
    if isinstance(t, pd.Series) and (pd.api.types.is_datetime64_any_dtype(t)):
        ts = pd.to_datetime(t)
        return ((ts - ts.min()) / pd.Timedelta(days=1)).to_numpy(float)
    arr = np.asarray(t)
    if np.issubdtype(arr.dtype, np.datetime64):
        return (arr - arr.min()) / np.timedelta64(1, "D")
    return arr.astype(float)


def _time_pairs_within(t: np.ndarray, days: float) -> int:
    s = np.sort(t)
    return int((np.searchsorted(s, s + days, side="right") - np.arange(s.size) - 1).sum())


def knox_test(
    x: Sequence[float] | np.ndarray,
    y: Sequence[float] | np.ndarray,
    t: Sequence[float] | np.ndarray | pd.Series,
    *,
    distance_m: float,
    days: float,
    permutations: int = 999,
    seed: int = 20240601,
) -> KnoxResult:
    """Knox space-time interaction test (near repeats).

    Counts pairs of incidents within ``distance_m`` metres and ``days`` days of each other and
    compares the count with a Monte Carlo null where times are permuted among the fixed locations
    (seeded). Space-close pairs come from one k-d tree pair query; each permutation is one
    vectorised pass over those pairs (cost: permutations x space-close pairs).

    Parameters
    ----------
    x, y
        Coordinates (metres, projected CRS).
    t
        Times: days as numbers, or datetimes (numpy or pandas).
    """
    xa, ya = _xy(x, y)
    ta = _t_days(t)
    if ta.shape != xa.shape or not np.isfinite(ta).all():
        raise InputError("knox_test: give one finite time per point")
    d = _positive(distance_m, "distance_m")
    if days < 0:
        raise InputError(f"days={days}: must be >= 0")
    if permutations < 1:
        raise InputError("permutations must be at least 1")
    n = xa.size
    pairs = cKDTree(np.column_stack([xa, ya])).query_pairs(d, output_type="ndarray") if n > 1 else np.empty((0, 2), int)
    i, j = pairs[:, 0], pairs[:, 1]
    obs = int((np.abs(ta[i] - ta[j]) <= days).sum())
    rng = np.random.default_rng(seed)
    sims = np.empty(permutations, dtype=np.int64)
    for k in range(permutations):
        tp = ta[rng.permutation(n)]
        sims[k] = int((np.abs(tp[i] - tp[j]) <= days).sum())
    n_pairs = n * (n - 1) / 2
    tpairs = _time_pairs_within(ta, days)
    expected = pairs.shape[0] * tpairs / n_pairs if n_pairs else 0.0
    p = (1 + int((sims >= obs).sum())) / (permutations + 1)
    return KnoxResult(distance_m=d, days=float(days), n=n, observed=obs, expected=float(expected),
                      simulated_mean=float(sims.mean()), ratio=float(obs / expected) if expected > 0 else float("nan"),
                      p_value=float(p), permutations=int(permutations), space_pairs=int(pairs.shape[0]),
                      time_pairs=tpairs)


def near_repeat_table(
    x: Sequence[float] | np.ndarray,
    y: Sequence[float] | np.ndarray,
    t: Sequence[float] | np.ndarray | pd.Series,
    *,
    distance_bands_m: Sequence[float] = (0, 100, 200, 300, 400, 500),
    time_bands_days: Sequence[float] = (0, 7, 14, 21, 28, 35, 42, 49, 56),
    permutations: int = 99,
    seed: int = 20240601,
) -> pd.DataFrame:
    """The near-repeat risk curve (Ratcliffe's near-repeat calculator): pairs of incidents by
    distance band x time band, against time-permuted expectations.

    Bands are half-open ``[lo, hi)`` (the first distance band includes 0, i.e. the same place).
    ``ratio`` is the Knox ratio, the relative risk that a pair falls in that band compared with no
    space-time interaction: values above 1 for short distances and the first weeks mean that an
    incident raises the risk nearby for that long. ``p_value`` is one-sided, Monte Carlo.

    Returns
    -------
    DataFrame with ``distance_lo_m``, ``distance_hi_m``, ``days_lo``, ``days_hi``, ``observed``,
    ``expected`` (mean over permutations), ``ratio``, ``p_value``.
    """
    xa, ya = _xy(x, y)
    ta = _t_days(t)
    if ta.shape != xa.shape:
        raise InputError("near_repeat_table: give one time per point")
    de = np.asarray(distance_bands_m, float)
    te = np.asarray(time_bands_days, float)
    if de.size < 2 or te.size < 2 or (np.diff(de) <= 0).any() or (np.diff(te) <= 0).any():
        raise InputError("bands must be increasing edges with at least two values each")
    n = xa.size
    pairs = cKDTree(np.column_stack([xa, ya])).query_pairs(np.nextafter(de[-1], 0), output_type="ndarray")
    i, j = pairs[:, 0], pairs[:, 1]
    dist = np.hypot(xa[i] - xa[j], ya[i] - ya[j])
    db = np.searchsorted(de, dist, side="right") - 1
    ok = (db >= 0) & (db < de.size - 1)
    i, j, db = i[ok], j[ok], db[ok]
    nd, nt = de.size - 1, te.size - 1

    def table(tt: np.ndarray) -> np.ndarray:
        dt = np.abs(tt[i] - tt[j])
        tb = np.searchsorted(te, dt, side="right") - 1
        good = (tb >= 0) & (tb < nt)
        return np.bincount(db[good] * nt + tb[good], minlength=nd * nt)

    obs = table(ta)
    rng = np.random.default_rng(seed)
    sims = np.empty((permutations, nd * nt), dtype=np.int64)
    for k in range(permutations):
        sims[k] = table(ta[rng.permutation(n)])
    exp = sims.mean(axis=0)
    p = (1 + (sims >= obs[None, :]).sum(axis=0)) / (permutations + 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(exp > 0, obs / exp, np.nan)
    di, ti = np.divmod(np.arange(nd * nt), nt)
    return pd.DataFrame({"distance_lo_m": de[di], "distance_hi_m": de[di + 1], "days_lo": te[ti],
                         "days_hi": te[ti + 1], "observed": obs, "expected": exp, "ratio": ratio,
                         "p_value": p})
