"""The design of a forecast: incidents located once on the places, point-to-place kernel matrices
cached."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from scipy.spatial import cKDTree

from geo.crs import require_metric
from geo.errors import CRSError, InputError
from geo.hotspots import select_incidents
from geo.hotspots.areas import _locate_in_polygons

from .params import _DAY
from .places import _Places, _places


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
        #: The index labels of the incidents kept (those selected, with a time and a place), in order.
        self.rows = incidents.index.to_numpy()
        self.inside = self.place >= 0
        #: Days since ``origin`` of the first incident of the whole history when the incidents are
        #: only the part a method reads (:func:`geo.forecast.history_days`); None: the first given.
        self.first: float | None = None
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
    return _locate_in_polygons(x, y, places.geoms)


def _prepare(incidents: gpd.GeoDataFrame, cells: gpd.GeoDataFrame, *, categories: Any = None,
             origin: Any = None, first_at: Any = None) -> _Design:
    """The design of ``incidents`` on ``cells``; ``first_at``: the time of the first incident of the
    whole history (selected by ``categories``) when ``incidents`` hold only a recent part of it (the
    weeks are then counted from its year, as from the first incident of the whole)."""
    if not isinstance(incidents, gpd.GeoDataFrame):
        raise InputError("incidents must be a GeoDataFrame of points with 'occurred_at'",
                         code="points.not_points", what="incidents")
    require_metric(incidents, "incidents")
    if "occurred_at" not in incidents.columns:
        raise InputError("incidents have no 'occurred_at' column", code="layer.missing_columns",
                         layer="incidents", columns="occurred_at")
    if cells.crs is not None and incidents.crs is not None and not incidents.crs.equals(cells.crs):
        raise CRSError(f"incidents are in {incidents.crs.to_string()} but cells in {cells.crs.to_string()}; "
                       f"bring them into one CRS with .to_crs(...)", code="crs.mismatch", a="incidents",
                       a_crs=incidents.crs.to_string(), b="cells", b_crs=cells.crs.to_string())
    inc = select_incidents(incidents, categories=categories)
    inc = inc[inc["occurred_at"].notna() & ~(inc.geometry.is_empty | inc.geometry.isna())]
    if len(inc) and not (shapely.get_type_id(inc.geometry.to_numpy()) == 0).all():
        raise InputError("incidents must be points", code="points.not_points", what="incidents")
    occ = pd.to_datetime(inc["occurred_at"])
    tz = getattr(occ.dt, "tz", None)
    first_local = None
    if first_at is not None:
        first_local = pd.Timestamp(first_at)
        if first_local.tzinfo is not None:
            first_local = first_local.tz_convert(tz).tz_localize(None) if tz is not None else first_local.tz_localize(None)
        if origin is None:
            origin = pd.Timestamp(year=first_local.year, month=1, day=1)
    if origin is None:
        if len(inc) == 0:
            raise InputError("no incidents to forecast from", code="data.no_incidents_selected")
        first = occ.min()
        first = first.tz_convert(tz).tz_localize(None) if tz is not None else first
        origin = pd.Timestamp(year=first.year, month=1, day=1)
    origin = pd.Timestamp(origin)
    if origin.tzinfo is not None:
        origin = origin.tz_convert(tz).tz_localize(None) if tz is not None else origin.tz_localize(None)
    d = _Design(inc, _places(cells), origin.normalize(), tz)
    if first_local is not None:
        d.first = (first_local - d.origin) / _DAY
    return d
