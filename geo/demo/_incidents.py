"""The incident generator and its ground truth.

Model
-----
Incidents come from a multivariate, spatially discretised Hawkes process on a grid of square cells
(``demo_truth`` layer). A *component* is a pair (category, place type) with place type one of
``street_main`` (on trunk/primary/secondary roads), ``street_other`` (tertiary/residential streets)
and ``neighborhood`` (inside a compound). For component k on day d, in cell j, hour h::

    lambda_k(d, h, j) = hour_c(h) * [ mu_k(d) * w_k^era(d)(j)
                          + eta_c * sum_{events e of k, d_e < d} p(d - d_e) K_p^era(d)(j_e, j) ]

* ``w_k`` background weights = capacity of the place type in the cell (road length, or households
  weighted by each compound's vulnerability) times a hot-place multiplier for the category;
  normalised over cells. Model neighborhoods are removed from the neighborhood capacity from the
  adoption of the method on (era "post"), so they have no incidents afterwards.
* ``p(n) = (1-q) q^(n-1)``, n >= 1 days: each event raises the risk nearby for some weeks
  (near-repeat victimisation); ``K_p`` spreads the offspring over cells within ``radius`` of the
  parent's cell, proportional to capacity times a Gaussian of the distance (sigma).
* ``mu_k(d)`` is chosen so that the expected count of the component on every day equals the target
  ``Lambda_k(d) = L_k/365.25 * season_c(doy) * weekday_c(dow) * trend_k(d)``:
  ``mu_k(d) = Lambda_k(d) - eta_c * sum_{n=1}^{d-d0} p(n) Lambda_k(d-n)``. So expected counts follow
  the trend exactly, with no warm-up transient; year-over-year ratios are those of the trend.

Trend (method adopted on 2025-01-01, tau = years since then)
    street_main, all categories:                 r_main^tau        (r_main = 1 - 0.6872)
    neighborhood, two_robberies_one_theft:       r_nbhd^tau        (r_nbhd = 1 - 0.1822)
    all criminal cases:                          r_crim^tau        (r_crim = 1 - 0.287)
      achieved by giving the *residual* criminal components (street_other criminal categories and
      neighborhood other_criminal) the common factor
      f_R(d) = (r_crim^tau C(d) - r_main^tau A(d) - r_nbhd^tau B(d)) / R(d)
      where A, B, R, C are the pre-trend daily levels of the main-road criminal, neighborhood
      two-robberies-one-theft, residual and all criminal components (season and weekday included).
      f_R stays positive for about six years after adoption; it is floored at 0 after that (the
      total then falls faster than r_crim).
    public-order cases off main roads:           r_public^tau      (r_public = 0.80)
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from scipy.spatial import cKDTree

from geo.errors import InputError
from geo.schema import CATEGORIES, CRIMINAL_GROUPS, DEFAULT_TIMEZONE, MAIN_HIGHWAYS

TRUTH_VERSION = 1
SIM_START = dt.date(2024, 1, 1)
ADOPTED = dt.date(2025, 1, 1)
PTYPES = ("street_main", "street_other", "neighborhood")
CELL_M = 150.0
HEADLINE = {
    "street_main": -0.6872,
    "neighborhood_two_robberies_one_theft": -0.1822,
    "criminal": -0.287,
}
R_PUBLIC = 0.80

#: Pre-adoption annual counts per component at scale 1 (place type -> category -> count).
LEVELS: dict[str, dict[str, float]] = {
    "street_main": {
        "robbery": 40,
        "snatching": 200,
        "burglary": 0,
        "ebike_theft": 160,
        "vehicle_theft": 30,
        "theft_from_vehicle": 170,
        "pickpocketing": 250,
        "other_theft": 120,
        "assault": 70,
        "fraud": 60,
        "public_order": 300,
    },
    "street_other": {
        "robbery": 30,
        "snatching": 90,
        "burglary": 0,
        "ebike_theft": 200,
        "vehicle_theft": 30,
        "theft_from_vehicle": 130,
        "pickpocketing": 50,
        "other_theft": 80,
        "assault": 50,
        "fraud": 40,
        "public_order": 300,
    },
    "neighborhood": {
        "robbery": 30,
        "snatching": 40,
        "burglary": 650,
        "ebike_theft": 420,
        "vehicle_theft": 40,
        "theft_from_vehicle": 120,
        "pickpocketing": 20,
        "other_theft": 180,
        "assault": 120,
        "fraud": 380,
        "public_order": 600,
    },
}
#: Near-repeat branching ratio per category (expected offspring per event).
ETA = {
    "robbery": 0.15,
    "snatching": 0.20,
    "burglary": 0.30,
    "ebike_theft": 0.25,
    "vehicle_theft": 0.15,
    "theft_from_vehicle": 0.25,
    "pickpocketing": 0.20,
    "other_theft": 0.15,
    "assault": 0.10,
    "fraud": 0.05,
    "public_order": 0.10,
}
LAG_MEAN_DAYS = 14.0
SIGMA_M = 120.0
RADIUS_M = 360.0
#: Season: 1 + amplitude * cos(2 pi (doy - peak_doy) / days_in_year).
SEASON = {
    "robbery": (0.10, 350),
    "snatching": (0.12, 340),
    "burglary": (0.15, 20),
    "ebike_theft": (0.15, 220),
    "vehicle_theft": (0.05, 10),
    "theft_from_vehicle": (0.08, 40),
    "pickpocketing": (0.10, 30),
    "other_theft": (0.08, 200),
    "assault": (0.18, 200),
    "fraud": (0.06, 340),
    "public_order": (0.15, 210),
}
#: Weekday factors Monday..Sunday (normalised to mean 1 below).
WEEKDAY = {
    "robbery": [0.95, 0.95, 0.95, 1.0, 1.05, 1.1, 1.0],
    "snatching": [0.95, 0.95, 0.95, 1.0, 1.05, 1.1, 1.0],
    "burglary": [1.05, 1.05, 1.05, 1.05, 1.05, 0.9, 0.85],
    "ebike_theft": [1.0, 1.0, 1.0, 1.0, 1.05, 1.0, 0.95],
    "vehicle_theft": [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0],
    "theft_from_vehicle": [0.95, 0.95, 0.95, 1.0, 1.05, 1.1, 1.0],
    "pickpocketing": [0.9, 0.9, 0.9, 0.95, 1.05, 1.2, 1.1],
    "other_theft": [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0],
    "assault": [0.85, 0.85, 0.9, 0.95, 1.15, 1.25, 1.05],
    "fraud": [1.1, 1.1, 1.1, 1.1, 1.05, 0.8, 0.75],
    "public_order": [0.85, 0.85, 0.9, 0.95, 1.15, 1.25, 1.05],
}
#: Hour-of-day profiles as mixtures of circular bumps: (weight, centre hour, spread hours).
HOURS = {
    "robbery": [(0.7, 0.5, 2.5), (0.3, 20.0, 2.0)],
    "snatching": [(0.75, 20.0, 2.0), (0.25, 12.0, 3.0)],
    "burglary": [(0.5, 3.0, 2.0), (0.5, 12.5, 2.5)],
    "ebike_theft": [(0.6, 2.0, 2.5), (0.4, 21.0, 2.0)],
    "vehicle_theft": [(0.8, 2.5, 2.0), (0.2, 22.0, 2.0)],
    "theft_from_vehicle": [(0.7, 1.0, 3.0), (0.3, 21.0, 2.0)],
    "pickpocketing": [(0.5, 10.0, 2.0), (0.5, 17.5, 2.0)],
    "other_theft": [(0.6, 14.0, 4.0), (0.4, 20.0, 3.0)],
    "assault": [(0.8, 23.0, 2.5), (0.2, 15.0, 3.0)],
    "fraud": [(0.8, 13.0, 3.5), (0.2, 20.0, 2.5)],
    "public_order": [(0.75, 22.0, 2.5), (0.25, 15.0, 3.0)],
}
#: Hot places: (zh name, en, category multipliers, radius m, anchor) - anchored at main crossings.
HOT_PLACES = [
    (
        "汽车站",
        "bus station",
        {"pickpocketing": 6, "snatching": 3, "theft_from_vehicle": 2, "other_theft": 2},
        300,
    ),
    ("火车站", "railway station", {"pickpocketing": 6, "other_theft": 3, "fraud": 2}, 350),
    (
        "步行街商圈",
        "pedestrian shopping street",
        {"pickpocketing": 4, "snatching": 4, "other_theft": 3, "fraud": 2},
        350,
    ),
    ("夜市", "night market", {"assault": 4, "public_order": 5, "snatching": 3, "robbery": 2}, 300),
    ("农贸市场", "wet market", {"pickpocketing": 4, "snatching": 2, "ebike_theft": 2}, 250),
    (
        "城中村",
        "urban village",
        {"burglary": 3, "ebike_theft": 3, "other_theft": 2, "vehicle_theft": 2},
        400,
    ),
    ("人民医院", "people's hospital", {"ebike_theft": 3, "theft_from_vehicle": 2, "fraud": 2}, 250),
    ("老城区", "old town", {"burglary": 2.5, "ebike_theft": 2, "snatching": 2}, 450),
    ("大学城", "college area", {"ebike_theft": 3, "fraud": 3, "other_theft": 2}, 400),
    ("酒吧街", "bar street", {"assault": 4, "public_order": 4, "robbery": 2}, 250),
]


def _hour_profile(spec: list[tuple[float, float, float]]) -> np.ndarray:
    h = np.arange(24) + 0.5
    out = np.zeros(24)
    for w, c, s in spec:
        d = (h - c + 12) % 24 - 12
        bump = np.exp(-0.5 * (d / s) ** 2)
        out += w * bump / bump.sum()
    out = 0.9 * out + 0.1 / 24  # a floor: nothing is impossible at any hour
    return out / out.sum()


def default_parameters(
    scale: float, as_of: dt.date, rng: np.random.Generator, hot: list[dict[str, Any]]
) -> dict[str, Any]:
    """The truth meta (JSON-able): every temporal factor and the near-repeat parameters."""
    cats = list(CATEGORIES)
    return {
        "version": TRUTH_VERSION,
        "timezone": DEFAULT_TIMEZONE,
        "sim_start": SIM_START.isoformat(),
        "as_of": as_of.isoformat(),
        "method_adopted": ADOPTED.isoformat(),
        "scale": scale,
        "cell_m": CELL_M,
        "categories": {c: {"group": CATEGORIES[c][2]} for c in cats},
        "criminal_groups": list(CRIMINAL_GROUPS),
        "ptypes": list(PTYPES),
        "levels_per_year": {p: {c: float(LEVELS[p][c]) * scale for c in cats} for p in PTYPES},
        "season": {c: {"amplitude": SEASON[c][0], "peak_doy": SEASON[c][1]} for c in cats},
        "weekday": {c: list(np.asarray(WEEKDAY[c]) / np.mean(WEEKDAY[c])) for c in cats},
        "hour": {c: list(_hour_profile(HOURS[c])) for c in cats},
        "trend": {
            "kind": "exponential from method_adopted; residual criminal components balance total",
            "ratio_per_year": {
                "street_main": 1 + HEADLINE["street_main"],
                "neighborhood_two_robberies_one_theft": 1
                + HEADLINE["neighborhood_two_robberies_one_theft"],
                "criminal": 1 + HEADLINE["criminal"],
                "public_order_other": R_PUBLIC,
            },
            "year_days": 365.0,
            "residual_floor": 0.0,
        },
        "near_repeat": {
            "eta": dict(ETA),
            "lag": "geometric over whole days, n >= 1",
            "lag_mean_days": LAG_MEAN_DAYS,
            "q": 1 - 1 / LAG_MEAN_DAYS,
            "sigma_m": SIGMA_M,
            "radius_m": RADIUS_M,
            "kernel": "capacity(j) * exp(-d_ij^2 / (2 sigma^2)), d_ij <= radius, row-normalised",
        },
        "hot_places": hot,
        "headline_targets": dict(HEADLINE),
    }


def _as_dict(meta: Mapping[str, Any] | str) -> dict[str, Any]:
    return json.loads(meta) if isinstance(meta, str) else dict(meta)


class TruthModel:
    """The generating intensity, rebuilt from the ``demo_truth`` layer and its meta.

    Used both to simulate incidents and to compute expected counts, so both share one definition.
    """

    def __init__(self, cells: pd.DataFrame, meta: Mapping[str, Any] | str):
        m = _as_dict(meta)
        self.meta = m
        self.cats = list(m["categories"])
        self.ptypes = list(m["ptypes"])
        self.cell_id = cells["cell_id"].to_numpy()
        self.cx = cells["cx"].to_numpy(float)
        self.cy = cells["cy"].to_numpy(float)
        self.n = len(cells)
        self.cell_m = float(m["cell_m"])
        self.start = dt.date.fromisoformat(m["sim_start"])
        self.as_of = dt.date.fromisoformat(m["as_of"])
        self.adopt = dt.date.fromisoformat(m["method_adopted"])
        self.D = (self.as_of - self.start).days + 1
        self.d_adopt = (self.adopt - self.start).days
        self.tz = m.get("timezone", DEFAULT_TIMEZONE)
        nr = m["near_repeat"]
        self.q = float(nr["q"])
        self.sigma = float(nr["sigma_m"])
        self.radius = float(nr["radius_m"])
        self.hour = {c: np.asarray(m["hour"][c], float) for c in self.cats}
        # components with a positive level
        comps = []
        for p in self.ptypes:
            for c in self.cats:
                if float(m["levels_per_year"][p][c]) > 0:
                    comps.append((c, p))
        self.comps = comps
        self.K = len(comps)
        self.eta = np.array([float(nr["eta"][c]) for c, _ in comps])
        self._daily()
        self._weights(cells)
        self._kernels: dict[tuple[str, str], sparse.csr_matrix] = {}
        self._cells = cells

    # -- time ------------------------------------------------------------------------------
    def day_dates(self) -> pd.DatetimeIndex:
        return pd.date_range(self.start, periods=self.D, freq="D")

    def _daily(self) -> None:
        m = self.meta
        days = self.day_dates()
        doy = days.day_of_year.to_numpy() - 1
        ylen = np.where(days.is_leap_year, 366.0, 365.0)
        dow = days.day_of_week.to_numpy()
        base = np.zeros((self.K, self.D))
        for k, (c, p) in enumerate(self.comps):
            amp, peak = m["season"][c]["amplitude"], m["season"][c]["peak_doy"]
            season = 1 + amp * np.cos(2 * np.pi * (doy - peak) / ylen)
            wd = np.asarray(m["weekday"][c])[dow]
            base[k] = float(m["levels_per_year"][p][c]) / 365.25 * season * wd
        tr = m["trend"]
        ratio = tr["ratio_per_year"]
        tau = np.maximum(np.arange(self.D) - self.d_adopt, 0) / float(tr["year_days"])
        groups = np.array([m["categories"][c]["group"] for c, _ in self.comps])
        ptype = np.array([p for _, p in self.comps])
        criminal = np.isin(groups, m["criminal_groups"])
        is_main = ptype == "street_main"
        is_b = (ptype == "neighborhood") & (groups == "two_robberies_one_theft")
        is_res = criminal & ~is_main & ~is_b
        is_pub = ~criminal & ~is_main
        fa = ratio["street_main"] ** tau
        fb = ratio["neighborhood_two_robberies_one_theft"] ** tau
        ft = ratio["criminal"] ** tau
        fp = ratio["public_order_other"] ** tau
        A = base[is_main & criminal].sum(0)
        B = base[is_b].sum(0)
        R = base[is_res].sum(0)
        C = A + B + R
        with np.errstate(invalid="ignore", divide="ignore"):
            fr = np.where(R > 0, (ft * C - fa * A - fb * B) / R, 1.0)
        fr = np.maximum(fr, float(tr.get("residual_floor", 0.0)))
        trend = np.ones((self.K, self.D))
        trend[is_main] = fa
        trend[is_b] = fb
        trend[is_res] = fr
        trend[is_pub] = fp
        lam = base * trend
        # background so that E[count] = lam on every day (history from sim_start only)
        S = np.zeros_like(lam)
        for d in range(1, self.D):
            S[:, d] = (1 - self.q) * lam[:, d - 1] + self.q * S[:, d - 1]
        mu = lam - self.eta[:, None] * S
        self.base, self.trend, self.lam = base, trend, lam
        self.mu = np.maximum(mu, 0.0)
        self.groups, self.ptype_of, self.criminal = groups, ptype, criminal

    # -- space -----------------------------------------------------------------------------
    def capacity(self, ptype: str, era: str) -> np.ndarray:
        col = {
            "street_main": "cap_street_main",
            "street_other": "cap_street_other",
            "neighborhood": f"cap_neighborhood_{era}",
        }[ptype]
        return self._cells[col].to_numpy(float)

    def _weights(self, cells: pd.DataFrame) -> None:
        self.w = {}
        for era in ("pre", "post"):
            W = np.zeros((self.K, self.n))
            for k, (c, p) in enumerate(self.comps):
                cap = {
                    "street_main": cells["cap_street_main"],
                    "street_other": cells["cap_street_other"],
                    "neighborhood": cells[f"cap_neighborhood_{era}"],
                }[p].to_numpy(float)
                w = cap * cells[f"hot_{c}"].to_numpy(float)
                s = w.sum()
                W[k] = w / s if s > 0 else 0.0
            self.w[era] = W

    def kernel(self, ptype: str, era: str) -> sparse.csr_matrix:
        """Row-normalised offspring kernel (source cell -> target cell)."""
        key = (ptype, era)
        if key in self._kernels:
            return self._kernels[key]
        cap = self.capacity(ptype, era)
        pts = np.column_stack([self.cx, self.cy])
        ok = np.flatnonzero(cap > 0)
        tree_ok = cKDTree(pts[ok])
        all_tree = cKDTree(pts)
        dm = all_tree.sparse_distance_matrix(tree_ok, self.radius, output_type="ndarray")
        rows, cols_ok, dist = dm["i"], dm["j"], dm["v"]
        vals = cap[ok][cols_ok] * np.exp(-0.5 * (dist / self.sigma) ** 2)
        M = sparse.csr_matrix((vals, (rows, ok[cols_ok])), shape=(self.n, self.n))
        M.sum_duplicates()
        rs = np.asarray(M.sum(axis=1)).ravel()
        empty = np.flatnonzero(rs <= 0)
        if len(empty) and len(ok):
            kk = min(4, len(ok))
            d, j = tree_ok.query(pts[empty], k=kk)
            d, j = np.atleast_2d(d), np.atleast_2d(j)
            v = cap[ok][j] * np.exp(-0.5 * (np.maximum(d - d[:, :1], 0) / self.sigma) ** 2)
            extra = sparse.csr_matrix(
                (v.ravel(), (np.repeat(empty, kk), ok[j].ravel())), shape=(self.n, self.n)
            )
            M = M + extra
            rs = np.asarray(M.sum(axis=1)).ravel()
        inv = np.where(rs > 0, 1.0 / np.where(rs > 0, rs, 1.0), 0.0)
        M = sparse.diags(inv) @ M
        M = M.tocsr()
        M.sort_indices()
        self._kernels[key] = M
        return M

    # -- helpers ---------------------------------------------------------------------------
    def cell_index(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Index of the cell holding each point (-1 outside the grid)."""
        col = np.floor((np.asarray(x) - self.meta["grid_x0"]) / self.cell_m).astype(np.int64)
        row = np.floor((np.asarray(y) - self.meta["grid_y0"]) / self.cell_m).astype(np.int64)
        key = row * 100000 + col
        lut = self._cells["row"].to_numpy(np.int64) * 100000 + self._cells["col"].to_numpy(np.int64)
        order = np.argsort(lut)
        pos = np.searchsorted(lut[order], key)
        pos = np.clip(pos, 0, len(lut) - 1)
        hit = lut[order][pos] == key
        return np.where(hit, order[pos], -1)

    def component_index(self, category: np.ndarray, ptype: np.ndarray) -> np.ndarray:
        lut = {cp: k for k, cp in enumerate(self.comps)}
        return np.array([lut.get((c, p), -1) for c, p in zip(category, ptype)], dtype=np.int64)


def sample_from_rows(M: sparse.csr_matrix, rows: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Column drawn from each given row of a row-stochastic CSR matrix (u uniform in [0, 1))."""
    cs = np.cumsum(M.data)
    start = M.indptr[rows]
    stop = M.indptr[rows + 1]
    before = np.where(start > 0, cs[np.maximum(start - 1, 0)], 0.0)
    total = cs[stop - 1] - before
    pos = np.searchsorted(cs, before + u * total, side="right")
    pos = np.clip(pos, start, stop - 1)
    return M.indices[pos]


def simulate(model: TruthModel, rng: np.random.Generator) -> pd.DataFrame:
    """Events (component, day, cell, hour, minute, generation) from the Hawkes model."""
    # background
    counts = rng.poisson(model.mu)  # (K, D)
    k_idx, d_idx = np.nonzero(counts)
    reps = counts[k_idx, d_idx]
    comp = np.repeat(k_idx, reps)
    day = np.repeat(d_idx, reps)
    era_post = day >= model.d_adopt
    cell = np.empty(len(comp), np.int64)
    for k in range(model.K):
        for era, mask_era in (("pre", ~era_post), ("post", era_post)):
            sel = np.flatnonzero((comp == k) & mask_era)
            if len(sel):
                w = model.w[era][k]
                cdf = np.cumsum(w)
                cell[sel] = np.minimum(
                    np.searchsorted(cdf, rng.random(len(sel)) * cdf[-1], side="right"), model.n - 1
                )
    gen = np.zeros(len(comp), np.int64)
    parts = [(comp, day, cell, gen)]
    # offspring, generation by generation
    pc, pd_, pcell = comp, day, cell
    g = 0
    while len(pc):
        g += 1
        n_off = rng.poisson(model.eta[pc])
        oc = np.repeat(pc, n_off)
        od = np.repeat(pd_, n_off) + rng.geometric(1 - model.q, n_off.sum())
        ocell_src = np.repeat(pcell, n_off)
        keep = od < model.D
        oc, od, ocell_src = oc[keep], od[keep], ocell_src[keep]
        ocell = np.empty(len(oc), np.int64)
        ptypes = np.array(model.ptype_of)[oc] if len(oc) else np.array([], dtype=object)
        for p in model.ptypes:
            for era in ("pre", "post"):
                sel = np.flatnonzero((ptypes == p) & ((od >= model.d_adopt) == (era == "post")))
                if len(sel):
                    M = model.kernel(p, era)
                    ocell[sel] = sample_from_rows(M, ocell_src[sel], rng.random(len(sel)))
        parts.append((oc, od, ocell, np.full(len(oc), g)))
        pc, pd_, pcell = oc, od, ocell
    comp = np.concatenate([p[0] for p in parts])
    day = np.concatenate([p[1] for p in parts])
    cell = np.concatenate([p[2] for p in parts])
    gen = np.concatenate([p[3] for p in parts])
    # hour of day by category profile, minute uniform
    hour = np.empty(len(comp), np.int64)
    cats = np.array([c for c, _ in model.comps])[comp]
    for c in model.cats:
        sel = np.flatnonzero(cats == c)
        if len(sel):
            cdf = np.cumsum(model.hour[c])
            hour[sel] = np.minimum(
                np.searchsorted(cdf, rng.random(len(sel)) * cdf[-1], side="right"), 23
            )
    minute = rng.integers(0, 60, len(comp))
    return pd.DataFrame(
        {"comp": comp, "day": day, "cell": cell, "hour": hour, "minute": minute, "generation": gen}
    )


# -- expected counts ------------------------------------------------------------------------------
def _to_ts(t: Any, tz: str) -> pd.Timestamp:
    ts = pd.Timestamp(t)
    return ts.tz_localize(tz) if ts.tzinfo is None else ts.tz_convert(tz)


def expected_counts(
    truth_layer: pd.DataFrame,
    truth_meta: Mapping[str, Any] | str,
    incidents: pd.DataFrame,
    start: Any,
    end: Any,
    *,
    categories: Iterable[str] | None = None,
    place_types: Iterable[str] | None = None,
    forecast: bool = False,
    edges: pd.DataFrame | None = None,
) -> pd.Series:
    """Expected number of incidents per truth cell in ``[start, end)`` under the true model.

    Parameters
    ----------
    truth_layer, truth_meta
        The ``demo_truth`` layer (cells) and the ``demo_truth`` meta (dict or JSON text).
    incidents
        The incidents layer (needs occurred_at, category, place_kind, geometry and either the
        ``main_road`` column the demo writes or ``edges`` to classify street incidents).
    start, end
        Window bounds (dates or timestamps; naive ones are read in the district's time zone). Must
        lie within [sim_start, as_of + 1 day].
    categories, place_types
        Restrict to some categories and/or place types (street_main, street_other, neighborhood).
    forecast
        False (default): the compensator - background integral plus the self-excitation of every
        incident before each instant, including those inside the window (realised counts minus this
        are a martingale, so they agree within Poisson noise). True: a forecast from the history
        before ``start`` only; the excitation of events inside the window is added in expectation.

    Returns
    -------
    pandas.Series indexed by cell_id.
    """
    model = (
        truth_layer if isinstance(truth_layer, TruthModel) else TruthModel(truth_layer, truth_meta)
    )
    tz = model.tz
    t0, t1 = _to_ts(start, tz), _to_ts(end, tz)
    origin = pd.Timestamp(model.start).tz_localize(tz)
    if t1 <= t0:
        return pd.Series(0.0, index=pd.Index(model.cell_id, name="cell_id"), name="expected")
    last = origin + pd.Timedelta(days=model.D)
    if t0 < origin or t1 > last:
        raise InputError(
            f"window [{t0}, {t1}) lies outside the simulated period "
            f"[{origin.date()}, {model.as_of}]; choose dates inside it",
            code="demo.window", start=str(t0), end=str(t1), first=str(origin.date()), last=str(model.as_of),
        )
    cats = set(categories) if categories is not None else set(model.cats)
    pts = set(place_types) if place_types is not None else set(model.ptypes)
    sel_k = np.array([(c in cats and p in pts) for c, p in model.comps])
    # day range and the within-window fraction of each category's hour mass per day
    s_h = (t0 - origin) / pd.Timedelta(hours=1)
    e_h = (t1 - origin) / pd.Timedelta(hours=1)
    d0, d1 = int(s_h // 24), int(np.ceil(e_h / 24) - 1)
    days = np.arange(d0, d1 + 1)
    hours_edges = np.arange(25)
    frac = np.zeros((model.K, len(days)))
    for k, (c, _) in enumerate(model.comps):
        prof = model.hour[c]
        for i, d in enumerate(days):
            lo = np.clip(s_h - 24 * d, 0, 24)
            hi = np.clip(e_h - 24 * d, 0, 24)
            cover = np.clip(
                np.minimum(hours_edges[1:], hi) - np.maximum(hours_edges[:-1], lo), 0, 1
            )
            frac[k, i] = float((prof * cover).sum())
    # incidents: component, day, cell
    inc = incidents
    occ = pd.to_datetime(inc["occurred_at"])
    occ = occ.dt.tz_localize(tz) if occ.dt.tz is None else occ.dt.tz_convert(tz)
    ev_h = ((occ - origin) / pd.Timedelta(hours=1)).to_numpy(float)
    ptype = _ptypes(inc, edges)
    comp = model.component_index(inc["category"].to_numpy(), ptype)
    geom = inc.geometry.to_numpy() if hasattr(inc, "geometry") else None
    cell = model.cell_index(shapely.get_x(geom), shapely.get_y(geom))
    ok = (comp >= 0) & (cell >= 0) & (ev_h < (e_h if not forecast else s_h))
    comp, cell, ev_h = comp[ok], cell[ok], ev_h[ok]
    ev_day = np.floor(ev_h / 24).astype(np.int64)
    # excitation state X[k] (cells): sum over past events of p(d - d_e), at day d0
    X = np.zeros((model.K, model.n))
    hist = ev_day < d0
    lag = d0 - ev_day[hist]
    np.add.at(X, (comp[hist], cell[hist]), (1 - model.q) * model.q ** (lag - 1))
    # events inside the window by day (compensator)
    inwin = ~hist
    win_day = ev_day[inwin] - d0
    win_comp, win_cell = comp[inwin], cell[inwin]
    order = np.argsort(win_day, kind="stable")
    win_day, win_comp, win_cell = win_day[order], win_comp[order], win_cell[order]
    bounds = np.searchsorted(win_day, np.arange(len(days) + 1))
    ptype_arr = np.array(model.ptype_of)
    out = np.zeros(model.n)
    for i, d in enumerate(days):
        era = "post" if d >= model.d_adopt else "pre"
        E = model.mu[:, d][:, None] * model.w[era]  # (K, n) background expected on day d
        for p in model.ptypes:
            ks = np.flatnonzero(ptype_arr == p)
            if len(ks) == 0:
                continue
            Kp = model.kernel(p, era)
            E[ks] += (Kp.T @ (X[ks].T * model.eta[ks][None, :])).T
        out += (frac[sel_k, i][:, None] * E[sel_k]).sum(0)
        # advance the excitation state to day d + 1
        X *= model.q
        if forecast:
            if i == 0:  # realised part of the first day before start is history already
                a, b = bounds[i], bounds[i + 1]
                np.add.at(X, (win_comp[a:b], win_cell[a:b]), 1 - model.q)
                X += (1 - model.q) * frac[:, i][:, None] * E
            else:
                X += (1 - model.q) * E
        else:
            a, b = bounds[i], bounds[i + 1]
            np.add.at(X, (win_comp[a:b], win_cell[a:b]), 1 - model.q)
    return pd.Series(out, index=pd.Index(model.cell_id, name="cell_id"), name="expected")


def _ptypes(inc: pd.DataFrame, edges: pd.DataFrame | None) -> np.ndarray:
    pk = inc["place_kind"].astype(str).to_numpy()
    if "main_road" in inc.columns:
        main = inc["main_road"].fillna(False).astype(bool).to_numpy()
    elif edges is not None:
        hw = dict(zip(edges["edge_id"].astype(np.int64), edges["highway"].astype(str)))
        eid = pd.to_numeric(inc["edge_id"], errors="coerce").fillna(-1).astype(np.int64)
        main = np.array([hw.get(e, "") in MAIN_HIGHWAYS for e in eid])
    else:
        raise InputError(
            "incidents need a 'main_road' column or the road edges (edges=...) "
            "to tell main-road street incidents from others"
        )
    return np.where(
        pk == "neighborhood", "neighborhood", np.where(main, "street_main", "street_other")
    )
