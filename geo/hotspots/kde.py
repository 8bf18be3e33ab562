"""Kernel density: the regular grid, the FFT kernel density estimate, exact sums and bandwidths."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import fft as sfft
from scipy.spatial import cKDTree

from geo.crs import require_metric
from geo.errors import CRSError, InputError

from .inputs import _M2_PER_KM2, _points_xy, _positive, _xy, select_incidents

__all__ = [
    "GridSpec",
    "choose_bandwidth",
    "incident_density",
    "kde_at",
    "kde_exact",
    "kde_grid",
    "scott_bandwidth",
]

#: Finest binning step relative to the bandwidth used by default (keeps binning error < 6.3e-4).
_FINE_PER_BANDWIDTH = 20.0


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
            raise InputError(f"bounds={bounds!r}: give (xmin, ymin, xmax, ymax) in metres", code="hotspots.bounds",
                             value=str(bounds))
        xmin, ymin, xmax, ymax = (float(b) for b in bounds)
        if not all(np.isfinite([xmin, ymin, xmax, ymax])) or xmax < xmin or ymax < ymin:
            raise InputError(f"bounds={bounds!r}: need finite xmin <= xmax and ymin <= ymax", code="hotspots.bounds",
                             value=str(bounds))
        ncols = max(1, int(math.ceil((xmax - xmin) / cell - 1e-9)))
        nrows = max(1, int(math.ceil((ymax - ymin) / cell - 1e-9)))
        if nrows * ncols > 50_000_000:
            raise InputError(
                f"a {nrows} x {ncols} grid of {cell:g} m cells is too large; use a larger cell_m",
                code="grid.too_large", rows=nrows, cols=ncols, cell=f"{cell:g}",
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
        raise InputError("weights must be finite and non-negative", code="hotspots.weights")
    if truncate <= 0:
        raise InputError(f"truncate={truncate}: must be positive (bandwidths)", code="param.positive",
                         name="truncate", value=str(truncate))
    k = int(oversample) if oversample is not None else max(1, int(math.ceil(cell * _FINE_PER_BANDWIDTH / h - 1e-9)))
    if k < 1:
        raise InputError(f"oversample={oversample}: must be an integer >= 1", code="param.at_least",
                         name="oversample", value=str(oversample), min=1)
    delta = cell / k
    radius = int(math.ceil(truncate * h / delta))
    # fine nodes: the output centres are fine nodes pad + k*c (columns) and pad + k*r' (rows, r'
    # counted from the south); points within the kernel radius outside the bounds are kept.
    pad = radius
    nfx = (spec.ncols - 1) * k + 1 + 2 * pad
    nfy = (spec.nrows - 1) * k + 1 + 2 * pad
    if nfx * nfy > 120_000_000:
        raise InputError(
            f"the binning grid ({nfy} x {nfx}) is too large; use a larger cell_m or oversample=1",
            code="grid.too_large", rows=nfy, cols=nfx, cell=f"{delta:g}",
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
                           f"{incidents.crs.to_string()}; bring them into one CRS with .to_crs(...)",
                           code="crs.mismatch", a="boundary", a_crs=boundary.crs.to_string(), b="incidents",
                           b_crs=incidents.crs.to_string())
        bounds = tuple(boundary.total_bounds)
    else:
        if x.size == 0:
            raise InputError("no incidents selected: nothing to map", code="data.no_incidents_selected")
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
        raise InputError("Scott's rule needs at least two points", code="hotspots.too_few_points")
    sd = math.sqrt(0.5 * (np.var(xa, ddof=1) + np.var(ya, ddof=1)))
    if sd == 0:
        raise InputError("all points coincide; give a fixed bandwidth_m instead", code="hotspots.points_coincide")
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
        raise InputError("candidates_m is empty; give at least one bandwidth in metres", code="hotspots.no_bandwidths")
    if holdout_x is None or holdout_y is None:
        if not 0 < test_fraction < 1:
            raise InputError(f"test_fraction={test_fraction}: must be between 0 and 1", code="param.fraction",
                             name="test_fraction", value=str(test_fraction))
        rng = np.random.default_rng(seed)
        test = rng.random(xa.size) < test_fraction
        tx, ty, hx, hy = xa[~test], ya[~test], xa[test], ya[test]
    else:
        tx, ty = xa, ya
        hx, hy = _xy(holdout_x, holdout_y, "held-out points")
    if tx.size == 0 or hx.size == 0:
        raise InputError("choose_bandwidth needs training and held-out points; give more points",
                         code="hotspots.too_few_points")
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
