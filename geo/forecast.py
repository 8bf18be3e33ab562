"""Short-term risk forecasts per cell, street segment or sub-zone, and their honest backtest.

A forecast ranks places by the incidents expected in the next ``horizon_days`` from the history
before the forecast origin. The methods, all computed from the same point data:

``naive_recent``
    Counts of the last 4 weeks.
``naive_since_jan``
    Counts since 1 January of the year of the last day of data.
``naive_long``
    Counts of the last 52 weeks (long-term counts).
``last_year``
    Counts in the same weeks one year (52 weeks) earlier, widened by 2 weeks on each side.
``retro_kde``
    Retrospective hotspotting: Gaussian kernel density (150 m) of the last 13 weeks, at each
    place's centre.
``prospective``
    Prospective hotspotting (Bowers, Johnson & Pease 2004), in open_cp's classic grid form: each
    incident of the last 8 weeks adds ``1 / (1 + d) * 1 / (1 + w)`` to every cell within 400 m,
    ``d`` the distance in cells (Chebyshev, grid cells; Euclidean / ``cell_m`` for other places)
    and ``w`` the whole weeks since it.
``decayed``
    Exponentially decayed counts, ``exp(-age / tau)``, tau 13 weeks.
``blend``
    A weighted sum of other methods' scores, each normalised to sum to one (e.g.
    ``{"naive_since_jan": 0.75, "prospective": 0.25}``).
``shrinkage`` (the default)
    Empirical-Bayes shrinkage of long-term counts toward their kernel-smoothed neighbourhood: with
    ``n_i`` the (optionally decayed) counts of place ``i`` over ``T`` weeks and ``S_i`` the same
    incidents' Gaussian kernel density (bandwidth ``bandwidth_m``) integrated over the place, the
    Poisson-Gamma posterior mean rate is ``(n_i + alpha * S_i / T) / (T + alpha)``: a place with few
    incidents borrows strength from its neighbours, and the borrowing fades as history accumulates
    (``alpha`` is the prior's weight in weeks). A small prospective (near-repeat) term can be
    added (``prospective`` share). Its parameters are chosen by :func:`tune_shrinkage` on early
    weeks only.

Scoring (:func:`score_ranking`): places are flagged in rank order until ``coverage`` of the total
area (street length for segments) is reached; the place that crosses the budget, and places tied
in score at the cut, are counted fractionally (the expected result under a random order of ties),
so the flagged share is exactly ``coverage`` and ties cannot flatter or hurt a method. Hit rate =
share of the period's incidents in flagged places; PAI = hit rate / flagged share; PEI = hits /
the most hits any flagging of the same share could have caught.

Evidence (``bench/stages_hotspots.py``, Vancouver thefts 2020, 150 m cells over the points' hull,
weeks 14-52, parameters tuned on weeks 2-13 only): long-term counts are hard to beat. ``shrinkage``
matches ``naive_since_jan`` at 1-5 % of the area (5 %: .492 vs .490, +14 hits of 11,139, paired
standard error 10; 1-2 %: 12-15 hits fewer, within noise) and beats it at 10 % (.608 vs .602, +69
hits, standard error 13). Even long-term counts of the whole year except the target week would only
reach .501 at 5 %: there is little left to win at that coverage.

Times are read as local wall-clock times of the incidents' own time zone. All coordinates are in
the working CRS (metres).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from scipy.spatial import cKDTree

from geo.errors import CRSError, InputError
from geo.crs import require_metric
from geo.hotspots import select_incidents

__all__ = [
    "METHODS",
    "DEFAULT_METHOD",
    "ShrinkageParams",
    "DEFAULT_SHRINKAGE",
    "grid_cells",
    "forecast",
    "score_ranking",
    "backtest",
    "tune_shrinkage",
    "demo_oracle",
]

METHODS = ("naive_recent", "naive_since_jan", "naive_long", "last_year", "retro_kde", "prospective",
           "decayed", "blend", "shrinkage")
DEFAULT_METHOD = "shrinkage"
BASELINES = ("naive_recent", "naive_since_jan", "naive_long", "last_year")
#: ``shrinkage`` params that ask for tuning instead of fixed values.
_TUNING_KEYS = ("tune_weeks", "retune_every", "retune_window")
_DAY = pd.Timedelta(days=1)


@dataclass(frozen=True)
class ShrinkageParams:
    """Parameters of the ``shrinkage`` method.

    bandwidth_m
        Gaussian kernel bandwidth of the neighbourhood smoothing (m).
    alpha_weeks
        Prior weight in weeks (0: plain counts).
    tau_weeks
        Decay time of the counts (``inf``: no decay).
    prospective
        Share of a prospective (near-repeat) term, its scores rescaled to the counts' total.
    history_weeks
        How far back the counts go.
    """

    bandwidth_m: float = 150.0
    alpha_weeks: float = 4.0
    tau_weeks: float = math.inf
    prospective: float = 0.0
    history_weeks: int = 52


#: Defaults: what :func:`tune_shrinkage` picks on weeks 2-13 of Vancouver thefts 2020 (150 m cells
#: over the points' hull; tested in tests/geo/test_forecast.py). Re-tune on your own data with
#: :func:`tune_shrinkage`, or let ``params={"retune_window": 13}`` tune on the 13 weeks before.
DEFAULT_SHRINKAGE = ShrinkageParams()


# ---------------------------------------------------------------------------------------------
# places: grid cells, polygons or street segments
# ---------------------------------------------------------------------------------------------
def grid_cells(
    area: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    cell_m: float = 150.0,
    hull: bool = True,
    clip: bool = False,
    origin: tuple[float, float] | None = None,
) -> gpd.GeoDataFrame:
    """A regular grid of square cells over an area.

    Parameters
    ----------
    area
        Points (the grid covers their convex hull when ``hull``) or polygons (their union, e.g. the
        district boundary), in a projected CRS (metres).
    cell_m
        Cell side (m), e.g. 150.
    clip
        Clip cell geometry and ``area_m2`` to the area (default: whole cells, so every cell has the
        same area and PAI's area share is the share of cells).
    origin
        Optional ``(x, y)`` of a grid corner to align to (e.g. the demo truth grid's
        ``grid_x0, grid_y0``); default: the area's lower-left corner.

    Returns
    -------
    GeoDataFrame with ``cell_id`` (0..n-1), ``row``, ``col`` (row 0 at the south), ``area_m2`` and
    the square geometry; ``attrs["grid"]`` holds ``xmin``, ``ymin`` and ``cell_m``.

    Raises
    ------
    CRSError
        When ``area`` is not in a projected CRS.
    """
    require_metric(area, "grid area")
    cell = float(cell_m)
    if not np.isfinite(cell) or cell <= 0:
        raise InputError(f"cell_m={cell_m!r}: must be a positive number of metres")
    geoms = area.geometry.to_numpy() if isinstance(area, gpd.GeoDataFrame) else area.to_numpy()
    geoms = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
    if len(geoms) == 0:
        raise InputError("grid_cells: the area is empty")
    shape = shapely.union_all(geoms)
    if hull or shape.area == 0:
        shape = shapely.convex_hull(shapely.multipoints(shapely.get_coordinates(geoms)))
    if shape.area == 0:
        shape = shape.buffer(cell / 2)
    xmin, ymin, xmax, ymax = shape.bounds
    if origin is not None:
        ox, oy = (float(v) for v in origin)
        xmin = ox + math.floor((xmin - ox) / cell) * cell
        ymin = oy + math.floor((ymin - oy) / cell) * cell
    nx = max(1, int(math.ceil((xmax - xmin) / cell)))
    ny = max(1, int(math.ceil((ymax - ymin) / cell)))
    if nx * ny > 20_000_000:
        raise InputError(f"{ny} x {nx} cells of {cell:g} m is too many; use a larger cell_m")
    col, row = np.meshgrid(np.arange(nx), np.arange(ny))
    col, row = col.ravel(), row.ravel()
    boxes = shapely.box(xmin + col * cell, ymin + row * cell, xmin + (col + 1) * cell, ymin + (row + 1) * cell)
    shapely.prepare(shape)
    keep = shapely.intersects(shape, boxes)
    boxes, col, row = boxes[keep], col[keep], row[keep]
    if clip:
        boxes = shapely.intersection(boxes, shape)
    out = gpd.GeoDataFrame({"cell_id": np.arange(boxes.size), "row": row, "col": col,
                            "area_m2": shapely.area(boxes)}, geometry=boxes, crs=area.crs)
    out.attrs["grid"] = {"xmin": float(xmin), "ymin": float(ymin), "cell_m": cell}
    return out


@dataclass
class _Places:
    ids: np.ndarray
    cx: np.ndarray
    cy: np.ndarray
    measure: np.ndarray  # m2 (areas) or m (segments)
    kind: str  # "area" or "length"
    geoms: np.ndarray
    grid: dict[str, float] | None = None
    row: np.ndarray | None = None
    col: np.ndarray | None = None
    id_name: str = "cell_id"
    edge_lut: pd.Series | None = None
    unit_m: float = 150.0

    @property
    def n(self) -> int:
        return self.ids.size


def _places(cells: gpd.GeoDataFrame) -> _Places:
    if not isinstance(cells, gpd.GeoDataFrame):
        raise InputError("cells must be a GeoDataFrame: grid_cells(...), sub-zones or street segments")
    require_metric(cells, "cells")
    if len(cells) == 0:
        raise InputError("cells is empty")
    geoms = cells.geometry.to_numpy()
    types = set(np.unique(shapely.get_type_id(geoms)).tolist())
    id_name = next((c for c in ("cell_id", "segment_id", "subzone_id", "neighborhood_id") if c in cells.columns), None)
    ids = cells[id_name].to_numpy() if id_name else np.arange(len(cells))
    if types <= {1, 5}:  # (multi)linestrings: street segments
        measure = (cells["length_m"].to_numpy(float) if "length_m" in cells.columns else shapely.length(geoms))
        mid = shapely.line_interpolate_point(geoms, 0.5, normalized=True)
        lut = None
        if "edge_ids" in cells.columns:
            lens = cells["edge_ids"].map(len).to_numpy()
            flat = np.concatenate([np.asarray(v) for v in cells["edge_ids"].to_numpy()]) if lens.sum() else np.array([])
            lut = pd.Series(np.repeat(np.arange(len(cells)), lens), index=pd.Index(flat))
            lut = lut[~lut.index.duplicated()]
        return _Places(ids, shapely.get_x(mid), shapely.get_y(mid), measure, "length", geoms,
                       id_name=id_name or "segment_id", edge_lut=lut, unit_m=50.0)
    if not types <= {3, 6}:
        raise InputError("cells must be all polygons (grid cells, sub-zones) or all lines (street segments)")
    measure = cells["area_m2"].to_numpy(float) if "area_m2" in cells.columns else shapely.area(geoms)
    cen = shapely.centroid(geoms)
    grid = cells.attrs.get("grid") if {"row", "col"} <= set(cells.columns) else None
    unit = float(grid["cell_m"]) if grid else float(np.sqrt(np.median(measure)))
    return _Places(ids, shapely.get_x(cen), shapely.get_y(cen), measure, "area", geoms, grid=grid,
                   row=cells["row"].to_numpy(np.int64) if grid else None,
                   col=cells["col"].to_numpy(np.int64) if grid else None, id_name=id_name or "cell_id",
                   unit_m=unit)


# ---------------------------------------------------------------------------------------------
# the design: incidents located once, kernel matrices cached
# ---------------------------------------------------------------------------------------------
class _Design:
    """Incidents (days since ``origin``, positions, place index) and cached point->place matrices."""

    def __init__(self, incidents: gpd.GeoDataFrame, places: _Places, origin: pd.Timestamp, tz: Any):
        self.places = places
        self.origin = origin
        self.tz = tz
        geoms = incidents.geometry.to_numpy()
        self.x = shapely.get_x(geoms)
        self.y = shapely.get_y(geoms)
        occ = pd.to_datetime(incidents["occurred_at"])
        local = occ.dt.tz_localize(None) if getattr(occ.dt, "tz", None) is not None else occ
        self.t = ((local - origin) / _DAY).to_numpy(float)
        self.place = _locate(incidents, places, self.x, self.y)
        self.inside = self.place >= 0
        self._kernels: dict[tuple[str, float], sparse.csr_matrix] = {}

    def jan1(self, tau: float) -> float:
        """Days since origin of 1 January of the year holding day ``tau - 1``."""
        day = self.origin + pd.Timedelta(days=float(tau) - 1.0)
        return (pd.Timestamp(year=day.year, month=1, day=1) - self.origin) / _DAY

    def counts(self, w: np.ndarray) -> np.ndarray:
        return np.bincount(self.place[self.inside], weights=w[self.inside], minlength=self.places.n)

    def window(self, lo: float, hi: float) -> np.ndarray:
        return ((self.t >= lo) & (self.t < hi)).astype(float)

    def _pair_matrix(self, radius_m: float, weight: Callable[[np.ndarray, np.ndarray], np.ndarray],
                     strict: bool = False) -> sparse.csr_matrix:
        """(places x points) sparse matrix of ``weight(distance, place index)`` for pairs within
        ``radius_m`` (``strict``: below it), built in chunks of places to bound memory."""
        p = self.places
        tree = cKDTree(np.column_stack([self.x, self.y]))
        blocks = []
        step = max(256, int(4_000_000 // max(self.t.size, 1) * 50))  # places per chunk
        for s in range(0, p.n, step):
            rows = np.column_stack([p.cx[s : s + step], p.cy[s : s + step]])
            pairs = cKDTree(rows).sparse_distance_matrix(tree, radius_m, output_type="ndarray")
            i, j, d = pairs["i"], pairs["j"], pairs["v"]
            if strict:
                keep = d < radius_m
                i, j, d = i[keep], j[keep], d[keep]
            blocks.append(sparse.csr_matrix((weight(d, i + s), (i.astype(np.int32), j.astype(np.int32))),
                                            shape=(rows.shape[0], self.t.size)))
        return sparse.vstack(blocks, format="csr")

    def drop_kernels(self) -> None:
        """Forget the cached point-to-place matrices (memory)."""
        self._kernels.clear()

    def gaussian(self, bandwidth_m: float) -> sparse.csr_matrix:
        """(places x points): each point's Gaussian kernel density (truncated at 4 bandwidths) at
        the place's centre, times the place's measure (the expected share of the point in a small
        place; for segments a ranking score, rescaled where it is used)."""
        key = ("gauss", float(bandwidth_m))
        if key not in self._kernels:
            h = float(bandwidth_m)
            measure = self.places.measure
            self._kernels[key] = self._pair_matrix(
                4.0 * h, lambda d, i: np.exp(-0.5 * (d / h) ** 2) / (2 * math.pi * h * h) * measure[i])
        return self._kernels[key]

    def prospective(self, bandwidth_m: float) -> sparse.csr_matrix:
        """(places x points): ``1 / (1 + d)`` for places within the bandwidth, ``d`` in cells."""
        key = ("pros", float(bandwidth_m))
        if key not in self._kernels:
            if self.places.grid is not None:
                self._kernels[key] = self._prospective_grid(bandwidth_m)
            else:
                unit = self.places.unit_m
                self._kernels[key] = self._pair_matrix(bandwidth_m, lambda d, i: 1.0 / (1.0 + d / unit),
                                                       strict=True)
        return self._kernels[key]

    def _prospective_grid(self, bandwidth_m: float) -> sparse.csr_matrix:
        p = self.places
        g = p.grid
        cell = g["cell_m"]
        bw = bandwidth_m / cell  # open_cp: cells at Chebyshev distance < bandwidth / cell size
        reach = max(int(math.ceil(bw - 1e-9)) - 1, 0)  # integer distances d < bw
        ecol = np.floor((self.x - g["xmin"]) / cell).astype(np.int64)
        erow = np.floor((self.y - g["ymin"]) / cell).astype(np.int64)
        nrow, ncol = int(p.row.max()) + 1, int(p.col.max()) + 1
        lut = np.full((nrow + 2 * reach + 2) * (ncol + 2 * reach + 2), -1, dtype=np.int64)
        W = ncol + 2 * reach + 2
        lut[(p.row + reach + 1) * W + (p.col + reach + 1)] = np.arange(p.n)
        rows_i, cols_j, vals = [], [], []
        ok = (erow >= -reach - 1) & (erow <= nrow + reach) & (ecol >= -reach - 1) & (ecol <= ncol + reach)
        idx = np.flatnonzero(ok)
        for dr in range(-reach, reach + 1):
            for dc in range(-reach, reach + 1):
                r = erow[idx] + dr + reach + 1
                c = ecol[idx] + dc + reach + 1
                good = (r >= 0) & (r < nrow + 2 * reach + 2) & (c >= 0) & (c < W)
                cellpos = np.full(idx.size, -1, dtype=np.int64)
                cellpos[good] = lut[r[good] * W + c[good]]
                hit = cellpos >= 0
                rows_i.append(cellpos[hit])
                cols_j.append(idx[hit])
                vals.append(np.full(int(hit.sum()), 1.0 / (1.0 + max(abs(dr), abs(dc)))))
        return sparse.csr_matrix((np.concatenate(vals), (np.concatenate(rows_i), np.concatenate(cols_j))),
                                 shape=(p.n, self.t.size))


def _locate(incidents: gpd.GeoDataFrame, places: _Places, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    n = x.size
    out = np.full(n, -1, dtype=np.int64)
    if n == 0:
        return out
    if places.kind == "length":
        if places.edge_lut is not None and "edge_id" in incidents.columns:
            e = incidents["edge_id"]
            known = e.notna().to_numpy()
            if known.any():
                got = places.edge_lut.reindex(e[known].astype(np.int64).to_numpy()).to_numpy()
                out[known] = np.where(np.isnan(got), -1, got).astype(np.int64)
        todo = np.flatnonzero(out < 0)
        if todo.size:
            tree = shapely.STRtree(places.geoms)
            pi, si = tree.query_nearest(shapely.points(x[todo], y[todo]), max_distance=50.0, all_matches=False)
            out[todo[pi]] = si
        return out
    if places.grid is not None:
        g = places.grid
        col = np.floor((x - g["xmin"]) / g["cell_m"]).astype(np.int64)
        row = np.floor((y - g["ymin"]) / g["cell_m"]).astype(np.int64)
        key_pl = places.row * 10_000_000 + places.col
        order = np.argsort(key_pl)
        key = row * 10_000_000 + col
        pos = np.clip(np.searchsorted(key_pl[order], key), 0, places.n - 1)
        hit = (key_pl[order][pos] == key) & (row >= 0) & (col >= 0)
        out[hit] = order[pos[hit]]
        return out
    from geo.hotspots.areas import _locate_in_polygons

    return _locate_in_polygons(x, y, places.geoms)


def _prepare(incidents: gpd.GeoDataFrame, cells: gpd.GeoDataFrame, *, categories: Any = None,
             origin: Any = None) -> _Design:
    if not isinstance(incidents, gpd.GeoDataFrame):
        raise InputError("incidents must be a GeoDataFrame of points with 'occurred_at'")
    require_metric(incidents, "incidents")
    if "occurred_at" not in incidents.columns:
        raise InputError("incidents have no 'occurred_at' column")
    if cells.crs is not None and incidents.crs is not None and not incidents.crs.equals(cells.crs):
        raise CRSError(f"incidents are in {incidents.crs.to_string()} but cells in {cells.crs.to_string()}; "
                       f"bring them into one CRS with .to_crs(...)")
    inc = select_incidents(incidents, categories=categories)
    inc = inc[inc["occurred_at"].notna() & ~(inc.geometry.is_empty | inc.geometry.isna())]
    if len(inc) and not (shapely.get_type_id(inc.geometry.to_numpy()) == 0).all():
        raise InputError("incidents must be points")
    occ = pd.to_datetime(inc["occurred_at"])
    tz = getattr(occ.dt, "tz", None)
    if origin is None:
        if len(inc) == 0:
            raise InputError("no incidents to forecast from")
        first = occ.min()
        first = first.tz_convert(tz).tz_localize(None) if tz is not None else first
        origin = pd.Timestamp(year=first.year, month=1, day=1)
    origin = pd.Timestamp(origin)
    if origin.tzinfo is not None:
        origin = origin.tz_convert(tz).tz_localize(None) if tz is not None else origin.tz_localize(None)
    return _Design(inc, _places(cells), origin.normalize(), tz)


# ---------------------------------------------------------------------------------------------
# methods: scores from the history before tau (days since origin)
# ---------------------------------------------------------------------------------------------
_DEFAULT_PARAMS: dict[str, dict[str, Any]] = {
    "naive_recent": {"weeks": 4},
    "naive_since_jan": {},
    "naive_long": {"weeks": 52},
    "last_year": {"widen_weeks": 2},
    "retro_kde": {"weeks": 13, "bandwidth_m": 150.0},
    "prospective": {"bandwidth_m": 400.0, "weeks": 8},
    "decayed": {"tau_weeks": 13.0},
    "blend": {"weights": {"naive_since_jan": 0.75, "prospective": 0.25}},
    "shrinkage": {},
}


def _method_scores(d: _Design, method: str, tau: float, horizon_days: float, params: Mapping[str, Any]) -> np.ndarray:
    t = d.t
    if method == "naive_recent":
        return d.counts(d.window(tau - 7 * params["weeks"], tau))
    if method == "naive_since_jan":
        return d.counts(d.window(d.jan1(tau), tau))
    if method == "naive_long":
        return d.counts(d.window(tau - 7 * params["weeks"], tau))
    if method == "last_year":
        lo = tau - 364 - 7 * params["widen_weeks"]
        hi = min(tau - 364 + horizon_days + 7 * params["widen_weeks"], tau)
        return d.counts(d.window(lo, hi))
    if method == "retro_kde":
        return d.gaussian(params["bandwidth_m"]) @ d.window(tau - 7 * params["weeks"], tau)
    if method == "prospective":
        age_w = np.floor((tau - t) / 7.0)
        w = np.where((t < tau) & (age_w < params["weeks"]), 1.0 / (1.0 + np.maximum(age_w, 0)), 0.0)
        return d.prospective(params["bandwidth_m"]) @ w
    if method == "decayed":
        age = tau - t
        w = np.where(age > 0, np.exp(-np.maximum(age, 0) / (7.0 * params["tau_weeks"])), 0.0)
        return d.counts(w)
    if method == "blend":
        total = np.zeros(d.places.n)
        for name, weight in params["weights"].items():
            s = _method_scores(d, name, tau, horizon_days, _resolve(name, None))
            ssum = s.sum()
            if ssum > 0:
                total += float(weight) * s / ssum
        return total
    if method == "shrinkage":
        p = params["shrinkage"]
        return _shrinkage(d, tau, p)
    raise InputError(f"unknown forecast method {method!r}; use one of {', '.join(METHODS)}")


def _shrinkage_weights(d: _Design, tau: float, p: ShrinkageParams) -> tuple[np.ndarray, float]:
    """Point weights of the (decayed) counts before ``tau`` and the history length T in weeks
    (effective weeks under decay)."""
    lo = tau - 7 * p.history_weeks
    before = d.t < tau
    inwin = (d.t >= lo) & before
    first = float(np.floor(d.t[before].min())) if before.any() else tau
    span = (tau - max(lo, first)) / 7.0
    if math.isinf(p.tau_weeks):
        return inwin.astype(float), max(span, 1.0 / 7.0)
    w = np.where(inwin, np.exp(-np.maximum(tau - d.t, 0) / (7.0 * p.tau_weeks)), 0.0)
    return w, max(p.tau_weeks * (1 - math.exp(-span / p.tau_weeks)), 1.0 / 7.0)


def _smoothed(d: _Design, w: np.ndarray, n: np.ndarray, bandwidth_m: float) -> np.ndarray:
    """Kernel-smoothed counts, rescaled to the counts' total (the prior redistributes the same
    total: no loss at the edges, and the same scale for street segments)."""
    S = d.gaussian(bandwidth_m) @ w
    total = S.sum()
    return S * (n.sum() / total) if total > 0 else S


def _shrinkage_parts(d: _Design, tau: float, p: ShrinkageParams) -> tuple[np.ndarray, np.ndarray, float]:
    """(counts n, smoothed S, history weeks T) for the shrinkage method."""
    w, T = _shrinkage_weights(d, tau, p)
    n = d.counts(w)
    S = _smoothed(d, w, n, p.bandwidth_m) if p.alpha_weeks > 0 else np.zeros_like(n)
    return n, S, T


def _shrinkage(d: _Design, tau: float, p: ShrinkageParams) -> np.ndarray:
    n, S, T = _shrinkage_parts(d, tau, p)
    rate = (n + p.alpha_weeks * S / T) / (T + p.alpha_weeks)  # posterior mean, incidents per week
    if p.prospective > 0:
        pros = _method_scores(d, "prospective", tau, 7.0, _DEFAULT_PARAMS["prospective"])
        if pros.sum() > 0 and rate.sum() > 0:
            rate = (1 - p.prospective) * rate + p.prospective * pros * (rate.sum() / pros.sum())
    return rate


def _resolve(method: str, params: Mapping[str, Any] | ShrinkageParams | None) -> dict[str, Any]:
    if method not in METHODS:
        raise InputError(f"unknown forecast method {method!r}; use one of {', '.join(METHODS)}")
    out = dict(_DEFAULT_PARAMS[method])
    if method == "shrinkage":
        if isinstance(params, ShrinkageParams):
            out["shrinkage"] = params
        else:
            given = dict(params or {})
            tuning = {k: given.pop(k) for k in _TUNING_KEYS if k in given}
            fields = set(ShrinkageParams.__dataclass_fields__)
            unknown = set(given) - fields
            if unknown:
                raise InputError(f"shrinkage has no parameter(s) {sorted(unknown)}; known: "
                                 f"{sorted(fields | set(_TUNING_KEYS))}")
            out["shrinkage"] = replace(DEFAULT_SHRINKAGE, **given)
            if tuning:
                out["tuning"] = tuning
        return out
    if isinstance(params, ShrinkageParams):
        raise InputError(f"ShrinkageParams given for method {method!r}")
    unknown = set(params or {}) - set(out)
    if unknown:
        raise InputError(f"method {method!r} has no parameter(s) {sorted(unknown)}; known: {sorted(out)}")
    out.update(params or {})
    if method == "blend":
        bad = [k for k in out["weights"] if k not in METHODS or k == "blend"]
        if bad:
            raise InputError(f"blend weights name unknown method(s) {bad}")
    return out


# ---------------------------------------------------------------------------------------------
# public: forecast
# ---------------------------------------------------------------------------------------------
def _as_of_tau(d: _Design, as_of: Any) -> float:
    ts = pd.Timestamp(as_of)
    if ts.tzinfo is not None:
        ts = ts.tz_convert(d.tz).tz_localize(None) if d.tz is not None else ts.tz_localize(None)
    start = ts.normalize() + _DAY  # the forecast starts the day after the last day of data
    return (start - d.origin) / _DAY


def forecast(
    incidents: gpd.GeoDataFrame,
    *,
    cells: gpd.GeoDataFrame,
    as_of: Any,
    horizon_days: float = 7.0,
    method: str = DEFAULT_METHOD,
    params: Mapping[str, Any] | ShrinkageParams | None = None,
    categories: Iterable[str] | str | None = None,
) -> pd.DataFrame:
    """Rank places by forecast risk for the ``horizon_days`` after ``as_of``.

    Parameters
    ----------
    incidents
        Incident points (working CRS) with tz-aware ``occurred_at``; ``edge_id`` is used to place
        them on street segments.
    cells
        The places: :func:`grid_cells`, sub-zones (polygons) or street segments
        (:func:`geo.hotspots.street_segments`).
    as_of
        The last day of data (a date): incidents up to the end of that day are used; the forecast
        covers ``[as_of + 1 day, + horizon_days)``.
    method, params
        One of :data:`METHODS` and its parameters (see the module notes); ``shrinkage`` takes a
        :class:`ShrinkageParams` or a dict of its fields.
    categories
        Optional category codes or groups to forecast (e.g. ``two_robberies_one_theft``).

    Returns
    -------
    DataFrame sorted by rank: the place id column, ``score`` (method units), ``expected`` (incidents
    expected in the horizon: the score's share times the recent weekly total, the mean of the last
    13 weeks, scaled to the horizon), ``measure`` (m2 or m), ``density`` (expected per km2, or per
    100 m for segments), ``rank`` (1 = highest density), ``cum_share`` (of total area or length
    flagged down to this rank).
    """
    p = _resolve(method, params)
    d = _prepare(incidents, cells, categories=categories)
    tau = _as_of_tau(d, as_of)
    tcfg = p.get("tuning")
    if tcfg:
        if "tune_weeks" in tcfg:
            a, b = (int(v) for v in tcfg["tune_weeks"])
            if 7.0 * b > tau:
                raise InputError(f"tune weeks {a}..{b} end after the forecast start; tune on earlier weeks")
            best, _ = _tune(d, np.arange(max(a, 2), b + 1), coverage=0.05, grid=_Grid(), tolerance=0.001)
        else:
            window = int(tcfg.get("retune_window", 13))
            # re-anchor the weeks so that week window + 2 starts at the forecast start
            start = d.origin + pd.Timedelta(days=tau)
            d = _prepare(incidents, cells, categories=categories, origin=start - pd.Timedelta(days=7 * (window + 1)))
            tau = 7.0 * (window + 1)
            best, _ = _tune(d, np.arange(2, window + 2), coverage=0.05, grid=_Grid(), tolerance=0.001)
        p = {**p, "shrinkage": best}
    score = _method_scores(d, method, tau, float(horizon_days), p)
    recent = d.window(tau - 91, tau)[d.inside].sum() / 13.0 * float(horizon_days) / 7.0
    total = score.sum()
    expected = score / total * recent if total > 0 else np.zeros_like(score)
    places = d.places
    per = 1e6 if places.kind == "area" else 100.0
    with np.errstate(divide="ignore", invalid="ignore"):
        key = np.where(places.measure > 0, score / places.measure, 0.0)
        density = np.where(places.measure > 0, expected / places.measure * per, 0.0)
    order = np.lexsort((np.arange(places.n), -key))
    out = pd.DataFrame({
        places.id_name: places.ids[order],
        "score": score[order],
        "expected": expected[order],
        "measure": places.measure[order],
        "density": density[order],
        "rank": np.arange(1, places.n + 1),
    })
    out["cum_share"] = np.cumsum(out["measure"].to_numpy()) / places.measure.sum()
    out.attrs.update({"method": method, "as_of": str(pd.Timestamp(as_of).date()),
                      "horizon_days": float(horizon_days),
                      "measure": "area_m2" if places.kind == "area" else "length_m"})
    return out.reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# scoring
# ---------------------------------------------------------------------------------------------
def score_ranking(
    score: Sequence[float] | np.ndarray,
    actual: Sequence[float] | np.ndarray,
    measure: Sequence[float] | np.ndarray | None = None,
    *,
    coverages: Sequence[float] = (0.01, 0.02, 0.05, 0.10),
) -> pd.DataFrame:
    """Hit rate, PAI and PEI of one ranking against what happened.

    Places are flagged in decreasing order of ``score / measure`` until ``coverage`` of the total
    measure; the place crossing the budget and the places tied at the cut count fractionally
    (expected value over random orders of the ties).

    Parameters
    ----------
    score
        Forecast score per place (higher = riskier).
    actual
        Incidents that happened per place in the period.
    measure
        Area (m2) or length (m) per place; default all equal.

    Returns
    -------
    DataFrame with ``coverage``, ``hits``, ``incidents``, ``hit_rate``, ``area_share``, ``pai``,
    ``max_hits`` and ``pei`` (one row per coverage).
    """
    s = np.asarray(score, float).ravel()
    a = np.asarray(actual, float).ravel()
    m = np.ones_like(s) if measure is None else np.asarray(measure, float).ravel()
    if not (s.shape == a.shape == m.shape):
        raise InputError("score, actual and measure must have one value per place")
    if (m <= 0).any():
        raise InputError("every place needs a positive measure (area or length)")
    covs = np.asarray(coverages, float)
    if ((covs <= 0) | (covs > 1)).any():
        raise InputError(f"coverages {list(coverages)}: each must be in (0, 1]")
    hits = _fill(s / m, a, m, covs)
    best = _fill(a / m, a, m, covs)
    total = a.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        hr = np.where(total > 0, hits / total, np.nan)
        pei = np.where(best > 0, hits / best, np.nan)
    return pd.DataFrame({"coverage": covs, "hits": hits, "incidents": total, "hit_rate": hr,
                         "area_share": covs, "pai": hr / covs, "max_hits": best, "pei": pei})


def _fill(key: np.ndarray, actual: np.ndarray, measure: np.ndarray, covs: np.ndarray) -> np.ndarray:
    """Hits when flagging by decreasing ``key`` up to each coverage, ties and the crossing group
    counted fractionally."""
    equal = measure.size > 0 and measure.max() == measure.min()
    if not equal:
        order = np.argsort(-key)  # ties are handled below, so the sort need not be stable
        cum_m = np.cumsum(measure[order])
        total = cum_m[-1]
    else:
        total = measure[0] * measure.size
        neg = -key
    out = np.empty(covs.size)
    for c, cov in enumerate(covs):
        budget = cov * total
        if equal:
            pos = min(max(int(math.ceil(cov * measure.size - 1e-9)) - 1, 0), key.size - 1)
            kc = -np.partition(neg, pos)[pos]  # key of the place that reaches the budget
        else:
            pos = min(int(np.searchsorted(cum_m, budget * (1 - 1e-12), side="left")), key.size - 1)
            kc = key[order[pos]]
        above = key > kc
        tied = key == kc
        m_above = measure[above].sum()
        frac = min(max((budget - m_above) / measure[tied].sum(), 0.0), 1.0)
        out[c] = actual[above].sum() + frac * actual[tied].sum()
    return out


# ---------------------------------------------------------------------------------------------
# backtest and tuning
# ---------------------------------------------------------------------------------------------
MethodSpec = str | tuple[str, str, Mapping[str, Any] | ShrinkageParams | None]


def _specs(methods: Iterable[MethodSpec]) -> list[tuple[str, str, dict[str, Any]]]:
    out = []
    for m in methods:
        if isinstance(m, str):
            out.append((m, m, _resolve(m, None)))
        else:
            label, name, params = m
            out.append((label, name, _resolve(name, params)))
    labels = [o[0] for o in out]
    if len(set(labels)) != len(labels):
        raise InputError(f"method labels must be unique: {labels}")
    return out


def _weekly_actual(d: _Design, weeks: np.ndarray, horizon_days: float) -> np.ndarray:
    out = np.zeros((weeks.size, d.places.n))
    for k, w in enumerate(weeks):
        lo = 7.0 * (w - 1)
        out[k] = d.counts(d.window(lo, lo + horizon_days))
    return out


@dataclass(frozen=True)
class _Grid:
    bandwidths_m: tuple[float, ...] = (100.0, 150.0, 200.0, 300.0)
    alphas_weeks: tuple[float, ...] = (0.0, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0)
    taus_weeks: tuple[float, ...] = (13.0, 26.0, math.inf)
    prospective: tuple[float, ...] = (0.0, 0.1, 0.25)


def _tune(d: _Design, wk: np.ndarray, *, coverage: float, grid: _Grid, tolerance: float) -> tuple[ShrinkageParams, pd.DataFrame]:
    actual = _weekly_actual(d, wk, 7.0)
    total = actual.sum()
    m = d.places.measure
    cov = np.array([coverage])
    pros = [_method_scores(d, "prospective", 7.0 * (w - 1), 7.0, _DEFAULT_PARAMS["prospective"]) for w in wk]
    rows = []
    bases = {}
    for tau_w in grid.taus_weeks:
        p0 = ShrinkageParams(alpha_weeks=0.0, tau_weeks=tau_w)
        weights = [_shrinkage_weights(d, 7.0 * (w - 1), p0) for w in wk]
        bases[tau_w] = (weights, [(d.counts(wv), T) for wv, T in weights])
    smooth = any(a > 0 for a in grid.alphas_weeks)
    for h in grid.bandwidths_m:
        for tau_w in grid.taus_weeks:
            weights, base = bases[tau_w]
            S_list = [_smoothed(d, wv, n, h) if smooth else None for (wv, _), (n, _) in zip(weights, base)]
            for a in grid.alphas_weeks:
                if a == 0 and h != grid.bandwidths_m[0]:
                    continue  # no smoothing: the bandwidth plays no part
                for pr in grid.prospective:
                    hits = 0.0
                    for (n, T), S, ps, act in zip(base, S_list, pros, actual):
                        rate = (n + a * S / T) / (T + a) if a > 0 else n
                        if pr > 0 and ps.sum() > 0 and rate.sum() > 0:
                            rate = (1 - pr) * rate + pr * ps * (rate.sum() / ps.sum())
                        hits += float(_fill(rate / m, act, m, cov)[0])
                    rows.append({"bandwidth_m": float(h), "alpha_weeks": float(a), "tau_weeks": float(tau_w),
                                 "prospective": float(pr), "hit_rate": hits / total if total else np.nan})
        d.drop_kernels()  # one bandwidth's matrix at a time
    table = pd.DataFrame(rows)
    best_hr = table["hit_rate"].max()
    near = table[table["hit_rate"] >= best_hr - tolerance].assign(
        _pros=lambda f: (f["prospective"] > 0).astype(int),
        _decay=lambda f: np.isfinite(f["tau_weeks"]).astype(int))
    pick = near.sort_values(["_pros", "_decay", "hit_rate", "alpha_weeks", "bandwidth_m"],
                            ascending=[True, True, False, True, True], kind="stable").iloc[0]
    table["chosen"] = table.index == pick.name
    best = ShrinkageParams(bandwidth_m=float(pick["bandwidth_m"]), alpha_weeks=float(pick["alpha_weeks"]),
                           tau_weeks=float(pick["tau_weeks"]), prospective=float(pick["prospective"]))
    return best, table


def tune_shrinkage(
    incidents: gpd.GeoDataFrame,
    *,
    cells: gpd.GeoDataFrame,
    weeks: tuple[int, int] = (2, 13),
    origin: Any = None,
    coverage: float = 0.05,
    bandwidths_m: Sequence[float] = _Grid.bandwidths_m,
    alphas_weeks: Sequence[float] = _Grid.alphas_weeks,
    taus_weeks: Sequence[float] = _Grid.taus_weeks,
    prospective: Sequence[float] = _Grid.prospective,
    tolerance: float = 0.001,
    categories: Iterable[str] | str | None = None,
) -> tuple[ShrinkageParams, pd.DataFrame]:
    """Choose the ``shrinkage`` parameters by a rolling-origin backtest on ``weeks`` only.

    Every combination of the candidate values is scored by its pooled hit rate at ``coverage``
    over the forecasts for weeks ``weeks[0]..weeks[1]`` (each from the data before that week).
    Among the combinations within ``tolerance`` (default 0.001, a tenth of a percentage point) of
    the best, the simplest is chosen: no prospective term, then no decay, then the highest hit
    rate, then the least smoothing. Use weeks that precede the evaluated weeks.

    Returns
    -------
    best, table
        The chosen :class:`ShrinkageParams` and every combination's ``hit_rate`` (``chosen`` marks
        the pick).
    """
    d = _prepare(incidents, cells, categories=categories, origin=origin)
    wk = np.arange(int(weeks[0]), int(weeks[1]) + 1)
    if wk.size == 0 or wk[0] < 2:
        raise InputError(f"weeks={weeks}: tune on weeks >= 2 (week 1 has no history)")
    grid = _Grid(tuple(bandwidths_m), tuple(alphas_weeks), tuple(taus_weeks), tuple(prospective))
    return _tune(d, wk, coverage=coverage, grid=grid, tolerance=tolerance)


def backtest(
    incidents: gpd.GeoDataFrame,
    *,
    cells: gpd.GeoDataFrame,
    start_week: int,
    end_week: int,
    methods: Iterable[MethodSpec] = ("naive_recent", "naive_since_jan", "naive_long", "last_year",
                                     "retro_kde", "prospective", "decayed", "blend", "shrinkage"),
    coverages: Sequence[float] = (0.01, 0.02, 0.05, 0.10),
    origin: Any = None,
    horizon_days: float = 7.0,
    tune_weeks: tuple[int, int] | None = None,
    extra_scores: Mapping[str, Callable[[pd.Timestamp, pd.Timestamp], np.ndarray]] | None = None,
    categories: Iterable[str] | str | None = None,
    weekly: bool = False,
) -> pd.DataFrame:
    """Rolling-origin weekly backtest: for each week, forecast from the data before it and score
    against what happened in it (:func:`score_ranking`), every method side by side.

    Parameters
    ----------
    start_week, end_week
        Evaluated weeks (1-based, inclusive); week ``w`` is ``[origin + 7 (w - 1) days, + 7 days)``.
    origin
        Day 1 of week 1 (default: 1 January of the first incident's year), local time.
    methods
        Method names, or ``(label, method, params)`` tuples for variants. ``shrinkage`` params may
        ask for tuning instead of fixed values: ``{"tune_weeks": (2, 13)}`` (once, on those weeks,
        which must precede ``start_week``) or ``{"retune_every": 4, "retune_window": 13}`` (every 4
        evaluated weeks, on the 13 weeks before; honest: only data before each forecast is used).
    tune_weeks
        Shorthand: tune every plain ``"shrinkage"`` entry on these weeks.
    extra_scores
        Extra rows, e.g. ``{"oracle": demo_oracle(...)}``: callables ``(start, end) -> score per
        place`` (local naive timestamps of the forecast window), places in the order of ``cells``.
    weekly
        Also return per-week hits (``result.attrs["weekly"]``).

    Returns
    -------
    DataFrame with one row per method and coverage: ``method``, ``coverage``, ``hit_rate``
    (pooled: all hits / all incidents), ``hit_rate_weekly_mean``, ``area_share``, ``pai``, ``pei``
    (pooled hits / pooled maximum), ``weeks``, ``incidents``, ``empty_weeks`` (weeks whose forecast
    had no data and so ranks at random). ``attrs["params"]`` holds the parameters each tuned
    method used, per week.
    """
    if end_week < start_week or start_week < 2:
        raise InputError(f"weeks {start_week}..{end_week}: need 2 <= start_week <= end_week")
    d = _prepare(incidents, cells, categories=categories, origin=origin)
    specs = _specs(methods)
    if tune_weeks is not None:
        specs = [(lb, nm, {**p, "tuning": {"tune_weeks": tuple(tune_weeks)}})
                 if nm == "shrinkage" and isinstance(mm, str) else (lb, nm, p)
                 for (lb, nm, p), mm in zip(specs, methods)]
    wk = np.arange(int(start_week), int(end_week) + 1)
    # parameters per tuned spec and week
    chosen: dict[str, list[ShrinkageParams]] = {}
    tables: dict[str, pd.DataFrame] = {}
    cache: dict[tuple[int, int], tuple[ShrinkageParams, pd.DataFrame]] = {}

    def tuned(a: int, b: int) -> tuple[ShrinkageParams, pd.DataFrame]:
        if (a, b) not in cache:
            cache[(a, b)] = _tune(d, np.arange(a, b + 1), coverage=0.05, grid=_Grid(), tolerance=0.001)
        return cache[(a, b)]

    for label, name, p in specs:
        tcfg = p.get("tuning")
        if not tcfg:
            continue
        if "tune_weeks" in tcfg:
            a, b = (int(v) for v in tcfg["tune_weeks"])
            if b >= start_week:
                raise InputError(f"{label}: tune weeks {a}..{b} overlap the evaluated weeks from "
                                 f"{start_week}; tune on earlier weeks only")
            best, table = tuned(max(a, 2), b)
            chosen[label] = [best] * wk.size
            tables[label] = table
        else:
            every = int(tcfg.get("retune_every", 4))
            window = int(tcfg.get("retune_window", 13))
            seq = []
            for k, w in enumerate(wk):
                if k % every == 0:
                    best, _ = tuned(max(2, int(w) - window), int(w) - 1)
                seq.append(best)
            chosen[label] = seq
    actual = _weekly_actual(d, wk, float(horizon_days))
    m = d.places.measure
    covs = np.asarray(coverages, float)
    labels = [s[0] for s in specs] + list(extra_scores or {})
    hits = np.zeros((len(labels), wk.size, covs.size))
    best_hits = np.zeros((wk.size, covs.size))
    empty = np.zeros(len(labels), dtype=int)
    for k, w in enumerate(wk):
        tau = 7.0 * (w - 1)
        best_hits[k] = _fill(actual[k] / m, actual[k], m, covs)
        scores = []
        for label, name, p in specs:
            if label in chosen:
                p = {**p, "shrinkage": chosen[label][k]}
            scores.append(_method_scores(d, name, tau, float(horizon_days), p))
        for label, fn in (extra_scores or {}).items():
            start = d.origin + pd.Timedelta(days=tau)
            sc = np.asarray(fn(start, start + pd.Timedelta(days=float(horizon_days))), float)
            if sc.shape != (d.places.n,):
                raise InputError(f"extra score {label!r} gave {sc.shape} values for {d.places.n} places")
            scores.append(sc)
        for j, sc in enumerate(scores):
            if not (sc > 0).any():
                empty[j] += 1
            hits[j, k] = _fill(sc / m, actual[k], m, covs)
    inc_w = actual.sum(axis=1)
    rows = []
    for j, label in enumerate(labels):
        for c, cov in enumerate(covs):
            h = hits[j, :, c]
            hr = h.sum() / inc_w.sum() if inc_w.sum() else np.nan
            with np.errstate(divide="ignore", invalid="ignore"):
                weekly_hr = np.where(inc_w > 0, h / np.where(inc_w > 0, inc_w, 1), np.nan)
            rows.append({"method": label, "coverage": float(cov), "hit_rate": hr,
                         "hit_rate_weekly_mean": float(np.nanmean(weekly_hr)) if inc_w.any() else np.nan,
                         "area_share": float(cov), "pai": hr / cov,
                         "pei": h.sum() / best_hits[:, c].sum() if best_hits[:, c].sum() else np.nan,
                         "weeks": int(wk.size), "incidents": int(inc_w.sum()), "empty_weeks": int(empty[j])})
    out = pd.DataFrame(rows)
    out.attrs.update({"origin": str(d.origin.date()), "weeks": (int(start_week), int(end_week)),
                      "params": {k: v for k, v in chosen.items()}, "tuning_tables": tables})
    if weekly:
        out.attrs["weekly"] = pd.DataFrame({
            "method": np.repeat(labels, wk.size * covs.size),
            "week": np.tile(np.repeat(wk, covs.size), len(labels)),
            "coverage": np.tile(covs, len(labels) * wk.size),
            "hits": hits.ravel(),
            "incidents": np.tile(np.repeat(inc_w, covs.size), len(labels)),
        })
    return out


def demo_oracle(
    truth_layer: pd.DataFrame,
    truth_meta: Mapping[str, Any] | str,
    incidents: gpd.GeoDataFrame,
    cells: gpd.GeoDataFrame,
    *,
    tz: str | None = None,
) -> Callable[[pd.Timestamp, pd.Timestamp], np.ndarray]:
    """The demo district's true intensity as a backtest row ("oracle").

    Wraps :func:`geo.demo.expected_counts` (``forecast=True``: the true model's expectation for the
    window given the history before it) and maps the truth cells onto ``cells`` by the location of
    each truth cell's centre. Pass the result in ``backtest(..., extra_scores={"oracle": ...})``.
    """
    try:
        from geo.demo import TruthModel, expected_counts
    except ImportError as exc:  # pragma: no cover - the demo package ships with patrolnet
        raise InputError(f"the demo truth model is not available ({exc})") from exc
    model = TruthModel(truth_layer, truth_meta)
    places = _places(cells)
    overlay = _truth_overlay(truth_layer, places, cells.crs)
    zone = tz or model.tz

    def score(start: pd.Timestamp, end: pd.Timestamp) -> np.ndarray:
        s = pd.Timestamp(start)
        e = pd.Timestamp(end)
        s = s.tz_localize(zone) if s.tzinfo is None else s
        e = e.tz_localize(zone) if e.tzinfo is None else e
        exp = expected_counts(model, None, incidents, s, e, forecast=True).to_numpy(float)
        return overlay @ exp

    return score


def _truth_overlay(truth_layer: pd.DataFrame, places: _Places, crs: Any) -> sparse.csr_matrix:
    """(places x truth cells): the share of each truth cell's expected count that falls in each
    place - by area overlap for polygons, by street length inside the truth cell for segments
    (truth cells without any street go nowhere), by centre location without truth geometry."""
    n_t = len(truth_layer)
    geoms = truth_layer.geometry.to_numpy() if isinstance(truth_layer, gpd.GeoDataFrame) else None
    if geoms is None:
        cx = truth_layer["cx"].to_numpy(float)
        cy = truth_layer["cy"].to_numpy(float)
        pos = _locate(gpd.GeoDataFrame(geometry=shapely.points(cx, cy), crs=crs), places, cx, cy)
        ok = pos >= 0
        return sparse.csr_matrix((np.ones(int(ok.sum())), (pos[ok], np.flatnonzero(ok))), shape=(places.n, n_t))
    ti, pi = shapely.STRtree(places.geoms).query(geoms, predicate="intersects")
    inter = shapely.intersection(geoms[ti], places.geoms[pi])
    if places.kind == "area":
        w = shapely.area(inter) / np.maximum(shapely.area(geoms[ti]), 1e-9)
    else:
        w = shapely.length(inter)
        tot = np.bincount(ti, weights=w, minlength=n_t)
        w = np.where(tot[ti] > 0, w / np.where(tot[ti] > 0, tot[ti], 1.0), 0.0)
    return sparse.csr_matrix((w, (pi, ti)), shape=(places.n, n_t))
