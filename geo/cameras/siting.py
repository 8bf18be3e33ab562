"""Where to put new cameras: maximal covering (MCLP) and set covering on a sparse coverage matrix.

Array core
----------
* :func:`coverage_matrix`: which candidate sees which demand point (within ``radius_m``, optionally
  also inside a sector of the candidate's bearing) as a ``scipy.sparse`` CSC matrix built from a
  KD-tree query: no dense demand x candidate matrix is ever formed.
* :func:`solve_mclp`: pick at most ``k`` candidates maximising the covered demand weight.
  ``method="exact"`` solves the sparse MILP with CBC (PuLP's bundled binary; one model row per
  reduced demand point, read off the CSR matrix, never a dense demand x candidate loop as in
  spopt); ``method="highs"`` hands the same model to HiGHS (``scipy.optimize.milp``) as one sparse
  matrix (no Python loop at all; slower than CBC on our benchmarks, kept as a second opinion);
  ``method="greedy"`` is a lazy greedy (a priority queue of
  marginal gains, re-evaluated only when popped) followed by a swap local search;
  ``method="auto"`` is exact up to ``exact_max_nnz`` coverage pairs (after reduction) and greedy
  beyond. Per-group budgets (``groups``/``budgets``: cameras per police station) and required
  candidates (``required``) are constraints of every method.
* :func:`solve_set_cover`: the fewest candidates reaching a target share of the demand weight.

Before solving, demand points nobody can cover or of zero weight are dropped and demand points
covered by exactly the same candidates are merged (weights summed): an exact reduction that often
shrinks the model several times.

The MCLP is ``max sum_i w_i y_i`` s.t. ``y_i <= sum_{j covers i} x_j``, ``sum_j x_j <= k``,
``sum_{j in group g} x_j <= b_g``, ``x_j = 1`` for required ``j``, ``x`` binary, ``0 <= y <= 1``. Since
adding a candidate never lowers coverage, its optimum equals spopt's ``MCLP`` (which asks for exactly
``k``); selected candidates that add nothing are not returned.
"""

from __future__ import annotations

import heapq
import os
import time
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.spatial import cKDTree

from geo.errors import InfeasibleError, InputError

__all__ = ["SitingResult", "coverage_matrix", "solve_mclp", "solve_set_cover", "objective_of"]


@dataclass
class SitingResult:
    """Result of :func:`solve_mclp` or :func:`solve_set_cover`.

    Attributes
    ----------
    selected
        Candidate indices, in the order of their marginal gain (required ones first, then the largest
        gain first).
    gains
        Demand weight each selected candidate adds, in that order.
    objective
        Demand weight covered by the selection.
    total_weight
        Demand weight of all demand points given.
    covered
        Boolean per demand point.
    method, status
        Method used and the solver's status text (``"optimal"``, ``"time limit"``, ``"heuristic"``).
    bound
        Best upper bound on the objective proven by the exact solver (None for heuristics).
    seconds
        Wall time of the solve (including the reduction).
    stats
        Sizes before and after the reduction, swaps made, ...
    """

    selected: np.ndarray
    gains: np.ndarray
    objective: float
    total_weight: float
    covered: np.ndarray
    method: str
    status: str
    bound: float | None = None
    seconds: float = 0.0
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def share(self) -> float:
        """Covered share of the total demand weight."""
        return self.objective / self.total_weight if self.total_weight > 0 else float("nan")


# --------------------------------------------------------------------------------------------
# coverage matrix


def coverage_matrix(
    demand_xy: np.ndarray,
    candidate_xy: np.ndarray,
    *,
    radius_m: float,
    candidate_bearing_deg: np.ndarray | None = None,
    fov_deg: float | np.ndarray = 360.0,
) -> sp.csc_array:
    """Which candidate covers which demand point, as a sparse 0/1 matrix (demand x candidate).

    Parameters
    ----------
    demand_xy, candidate_xy
        ``(n, 2)`` coordinates in metres (projected CRS).
    radius_m
        A candidate covers the demand points within this straight-line distance (metres).
    candidate_bearing_deg, fov_deg
        Optional view direction per candidate (degrees clockwise from north) and field of view:
        then a demand point must also lie inside the sector (a point at the candidate counts).

    Returns
    -------
    scipy.sparse.csc_array
        ``int8`` matrix of shape ``(n_demand, n_candidates)``.
    """
    d = np.asarray(demand_xy, dtype=float).reshape(-1, 2)
    c = np.asarray(candidate_xy, dtype=float).reshape(-1, 2)
    if not np.isfinite(radius_m) or radius_m <= 0:
        raise InputError(f"radius_m={radius_m}: give a positive radius in metres", code="param.metres",
                         name="radius_m", value=str(radius_m))
    if not (np.isfinite(d).all() and np.isfinite(c).all()):
        raise InputError("demand and candidate coordinates must be finite")
    shape = (len(d), len(c))
    if len(d) == 0 or len(c) == 0:
        return sp.csc_array(shape, dtype=np.int8)
    res = cKDTree(d).sparse_distance_matrix(cKDTree(c), radius_m, output_type="ndarray")
    di, cj = res["i"].astype(np.int64), res["j"].astype(np.int64)
    # (the ndarray output keeps zero distances: a candidate standing on a demand point covers it)
    if candidate_bearing_deg is not None:
        fov = np.broadcast_to(np.asarray(fov_deg, dtype=float), (len(c),))
        b = np.asarray(candidate_bearing_deg, dtype=float)
        vec = d[di] - c[cj]
        ang = np.degrees(np.arctan2(vec[:, 0], vec[:, 1]))
        off = np.abs((ang - b[cj] + 180.0) % 360.0 - 180.0)
        ok = (fov[cj] >= 360.0) | ~np.isfinite(b[cj]) | (off <= fov[cj] / 2.0) | (np.hypot(*vec.T) < 1e-9)
        di, cj = di[ok], cj[ok]
    m = sp.coo_array((np.ones(len(di), dtype=np.int8), (di, cj)), shape=shape).tocsc()
    m.sum_duplicates()
    m.data[:] = 1
    return m


# --------------------------------------------------------------------------------------------
# shared preparation


@dataclass
class _Problem:
    a: sp.csc_array  # reduced demand x candidate (0/1)
    w: np.ndarray  # reduced weights
    cand: np.ndarray  # reduced column -> original candidate
    group: np.ndarray  # group code per reduced column (-1: none)
    caps: np.ndarray  # budget per group code
    required: np.ndarray  # reduced column indices that must be chosen
    total: float
    n_demand: int
    stats: dict[str, Any]


def _check_matrix(cover: Any, weights: np.ndarray) -> tuple[sp.csc_array, np.ndarray]:
    a = sp.csc_array(cover)
    if a.ndim != 2:
        raise InputError("cover must be a 2-D demand x candidate matrix")
    w = np.asarray(weights, dtype=float).reshape(-1)
    if len(w) != a.shape[0]:
        raise InputError(f"{len(w)} weights for {a.shape[0]} demand points (rows of cover)")
    if not np.isfinite(w).all() or (w < 0).any():
        raise InputError("demand weights must be finite and >= 0")
    a = a.astype(bool).astype(np.int8)
    a.eliminate_zeros()
    return a, w


def _groups(
    n_cand: int, groups: Any, budgets: int | Mapping[Hashable, int] | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[Hashable]]:
    """(group code per candidate, cap per code, allowed mask, labels)."""
    allowed = np.ones(n_cand, dtype=bool)
    if budgets is None:
        return np.full(n_cand, -1), np.zeros(0, int), allowed, []
    if groups is None:
        raise InputError("budgets need groups: the station (or other group) of each candidate")
    g = np.asarray(groups, dtype=object).reshape(-1)
    if len(g) != n_cand:
        raise InputError(f"{len(g)} group labels for {n_cand} candidates")
    ser = pd.Series(g, dtype=object)
    missing = (ser.isna() | (ser.astype(str) == "")).to_numpy()
    code = np.full(n_cand, -1, dtype=int)
    found, labels_idx = pd.factorize(ser[~missing], sort=False)
    code[~missing] = found
    labels = list(labels_idx)
    if isinstance(budgets, Mapping):
        caps = np.array([int(budgets.get(lab, 0)) for lab in labels], dtype=int)
    else:
        caps = np.full(len(labels), int(budgets), dtype=int)
    if (caps < 0).any():
        raise InputError("budgets must be >= 0 cameras per group", code="cameras.budget_negative")
    allowed &= code >= 0  # a candidate in no group has no budget
    return code, caps, allowed, labels


def _prepare(
    cover: Any,
    weights: np.ndarray,
    *,
    groups: Any,
    budgets: int | Mapping[Hashable, int] | None,
    required: np.ndarray | None,
) -> _Problem:
    a, w = _check_matrix(cover, weights)
    n_d, n_c = a.shape
    code, caps, allowed, labels = _groups(n_c, groups, budgets)
    req = np.zeros(n_c, dtype=bool)
    if required is not None:
        r = np.asarray(required)
        if r.dtype == bool:
            if len(r) != n_c:
                raise InputError(f"required mask has {len(r)} entries for {n_c} candidates")
            req = r.copy()
        else:
            r = r.astype(int)
            if len(r) and (r.min() < 0 or r.max() >= n_c):
                raise InputError("required candidate index out of range")
            req[r] = True
    stats: dict[str, Any] = {"demand": n_d, "candidates": n_c, "pairs": int(a.nnz)}
    # drop zero-weight or uncoverable rows; columns not allowed or covering nothing (keep required)
    a_csr = a.tocsr()
    row_ok = (w > 0) & (np.diff(a_csr.indptr) > 0)
    a_csr = a_csr[row_ok]
    w_r = w[row_ok]
    colcount = np.diff(a_csr.tocsc().indptr) if a_csr.shape[0] else np.zeros(n_c, int)
    col_ok = (allowed & (colcount > 0)) | req
    cand = np.flatnonzero(col_ok)
    a_csr = sp.csr_array(a_csr[:, cand])
    row_ok2 = np.diff(a_csr.indptr) > 0
    a_csr, w_r = a_csr[row_ok2], w_r[row_ok2]
    # merge rows with the same candidate set (two independent random hashes + row size)
    if a_csr.shape[0]:
        rng = np.random.default_rng(20240611)
        h = a_csr.astype(float) @ rng.random((a_csr.shape[1], 2))
        key = np.column_stack([h, np.diff(a_csr.indptr)])
        _, first, inv = np.unique(key, axis=0, return_index=True, return_inverse=True)
        inv = inv.reshape(-1)
        w_m = np.bincount(inv, weights=w_r, minlength=len(first))
        a_csr = a_csr[first]
        w_r = w_m
    stats.update(demand_reduced=int(a_csr.shape[0]), candidates_reduced=int(len(cand)),
                 pairs_reduced=int(a_csr.nnz))
    return _Problem(
        a=sp.csc_array(a_csr), w=w_r, cand=cand, group=code[cand], caps=caps,
        required=np.flatnonzero(req[cand]), total=float(w.sum()), n_demand=n_d, stats=stats,
    )


def objective_of(cover: Any, weights: np.ndarray, selected: np.ndarray) -> float:
    """Demand weight covered by the candidate columns ``selected`` (exact, for checking)."""
    a, w = _check_matrix(cover, weights)
    sel = np.asarray(selected, dtype=int)
    if len(sel) == 0:
        return 0.0
    hit = (a[:, sel].sum(axis=1) > 0)
    return float(w[np.asarray(hit).reshape(-1)].sum())


def _order_by_gain(p: _Problem, chosen: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Chosen reduced columns ordered greedily by marginal gain (required first)."""
    chosen = np.asarray(chosen, dtype=int)
    covered = np.zeros(p.a.shape[0], dtype=bool)
    order: list[int] = []
    gains: list[float] = []
    required = set(p.required.tolist())
    req = [int(j) for j in chosen if j in required]
    rest = [int(j) for j in chosen if j not in required]
    sub = p.a[:, rest] if rest else None
    for j in req:
        rows = p.a.indices[p.a.indptr[j]:p.a.indptr[j + 1]]
        gains.append(float(p.w[rows][~covered[rows]].sum()))
        covered[rows] = True
        order.append(j)
    remaining = np.ones(len(rest), dtype=bool)
    while remaining.any():
        g = sub.T @ (p.w * ~covered)
        g = np.where(remaining, g, -1.0)
        best = int(np.argmax(g))
        if g[best] <= 0:
            break
        j = rest[best]
        rows = p.a.indices[p.a.indptr[j]:p.a.indptr[j + 1]]
        covered[rows] = True
        remaining[best] = False
        order.append(j)
        gains.append(float(g[best]))
    return np.asarray(order, dtype=int), np.asarray(gains, dtype=float)


def _result(
    p: _Problem, cover_full: sp.csc_array, chosen: np.ndarray, *, method: str, status: str,
    bound: float | None, t0: float, extra: dict[str, Any] | None = None,
) -> SitingResult:
    order, gains = _order_by_gain(p, chosen)
    selected = p.cand[order]
    if len(selected):
        covered = np.asarray(cover_full[:, selected].sum(axis=1) > 0).reshape(-1)
    else:
        covered = np.zeros(cover_full.shape[0], dtype=bool)
    stats = dict(p.stats)
    stats.update(extra or {})
    return SitingResult(
        selected=selected, gains=gains, objective=float(gains.sum()), total_weight=p.total,
        covered=covered, method=method, status=status, bound=bound,
        seconds=time.perf_counter() - t0, stats=stats,
    )


# --------------------------------------------------------------------------------------------
# greedy + swap


def _column_gain(p: _Problem, j: int, covered: np.ndarray) -> float:
    rows = p.a.indices[p.a.indptr[j]:p.a.indptr[j + 1]]
    return float(p.w[rows][~covered[rows]].sum())


def _lazy_greedy(p: _Problem, k: int, *, stop_at: float | None = None) -> list[int]:
    """Lazy greedy with budgets; stops at ``k`` picks, no positive gain, or ``stop_at`` weight."""
    n_c = p.a.shape[1]
    covered = np.zeros(p.a.shape[0], dtype=bool)
    used = np.zeros(len(p.caps), dtype=int)
    chosen: list[int] = []
    got = 0.0
    for j in p.required:
        rows = p.a.indices[p.a.indptr[j]:p.a.indptr[j + 1]]
        got += float(p.w[rows][~covered[rows]].sum())
        covered[rows] = True
        chosen.append(int(j))
        if p.group[j] >= 0:
            used[p.group[j]] += 1
    if stop_at is not None and got >= stop_at:
        return chosen
    gains0 = p.a.T @ (p.w * ~covered)
    is_req = np.zeros(n_c, dtype=bool)
    is_req[p.required] = True
    open_ = np.flatnonzero(~is_req & (gains0 > 0))
    heap = list(zip((-gains0[open_]).tolist(), open_.tolist(), strict=True))
    heapq.heapify(heap)
    while heap and len(chosen) < k:
        neg, j = heapq.heappop(heap)
        g = p.group[j]
        if g >= 0 and used[g] >= p.caps[g]:
            continue
        gain = _column_gain(p, j, covered)
        if gain <= 0:
            continue
        if heap and gain < -heap[0][0] - 1e-12 * max(1.0, gain):
            heapq.heappush(heap, (-gain, j))
            continue
        rows = p.a.indices[p.a.indptr[j]:p.a.indptr[j + 1]]
        covered[rows] = True
        chosen.append(j)
        got += gain
        if g >= 0:
            used[g] += 1
        if stop_at is not None and got >= stop_at - 1e-9 * max(1.0, stop_at):
            break
    return chosen


def _swap_search(p: _Problem, chosen: list[int], *, max_passes: int, deadline: float) -> tuple[list[int], int]:
    """Best-improvement swaps (one out, one in) until none improves; budgets respected."""
    a = p.a
    n_c = a.shape[1]
    sel = np.zeros(n_c, dtype=bool)
    sel[chosen] = True
    count = np.zeros(a.shape[0], dtype=np.int32)
    for j in chosen:
        count[a.indices[a.indptr[j]:a.indptr[j + 1]]] += 1
    used = np.zeros(len(p.caps), dtype=int)
    for j in chosen:
        if p.group[j] >= 0:
            used[p.group[j]] += 1
    is_req = np.zeros(n_c, dtype=bool)
    is_req[p.required] = True
    at = a.T.tocsr()  # rows: candidates
    swaps = 0
    tol = 1e-9 * max(1.0, float(p.w.sum()))
    for _ in range(max_passes):
        improved = False
        for j_out in list(np.flatnonzero(sel & ~is_req)):
            if time.perf_counter() > deadline:
                return list(np.flatnonzero(sel)), swaps
            rows = a.indices[a.indptr[j_out]:a.indptr[j_out + 1]]
            loss = float(p.w[rows][count[rows] == 1].sum())
            after = count.copy()
            after[rows] -= 1
            gain = at @ (p.w * (after == 0))
            ok = ~sel
            g_out = p.group[j_out]
            if len(p.caps):
                room = p.caps - used
                if g_out >= 0:
                    room = room.copy()
                    room[g_out] += 1
                ok &= (p.group >= 0) & (room[np.maximum(p.group, 0)] > 0)
            gain = np.where(ok, gain, -np.inf)
            j_in = int(np.argmax(gain))
            if gain[j_in] - loss > tol:
                sel[j_out] = False
                sel[j_in] = True
                count = after
                count[a.indices[a.indptr[j_in]:a.indptr[j_in + 1]]] += 1
                if g_out >= 0:
                    used[g_out] -= 1
                if p.group[j_in] >= 0:
                    used[p.group[j_in]] += 1
                swaps += 1
                improved = True
        if not improved:
            break
    return list(np.flatnonzero(sel)), swaps


# --------------------------------------------------------------------------------------------
# exact


def _milp_highs(
    p: _Problem, *, k: int | None, min_weight: float | None, time_limit_s: float | None, mip_gap: float
) -> tuple[np.ndarray, str, float | None, float]:
    """Solve the reduced MCLP (``k`` given) or set cover (``min_weight`` given) with HiGHS.

    Returns (chosen reduced columns, status, bound on the objective, objective).
    """
    from scipy.optimize import Bounds, LinearConstraint, milp

    n_d, n_c = p.a.shape
    rows: list[sp.sparray] = []
    lo: list[np.ndarray] = []
    hi: list[np.ndarray] = []
    # y_i - sum_j a_ij x_j <= 0
    rows.append(sp.hstack([-p.a.astype(float), sp.eye_array(n_d, format="csc")], format="csr"))
    lo.append(np.full(n_d, -np.inf))
    hi.append(np.zeros(n_d))
    if k is not None:
        rows.append(sp.hstack([sp.csr_array(np.ones((1, n_c))), sp.csr_array((1, n_d))], format="csr"))
        lo.append(np.array([-np.inf]))
        hi.append(np.array([float(k)]))
    if len(p.caps):
        g = p.group
        ok = g >= 0
        gm = sp.csr_array((np.ones(int(ok.sum())), (g[ok], np.flatnonzero(ok))), shape=(len(p.caps), n_c))
        rows.append(sp.hstack([gm, sp.csr_array((len(p.caps), n_d))], format="csr"))
        lo.append(np.full(len(p.caps), -np.inf))
        hi.append(p.caps.astype(float))
    if min_weight is not None:
        rows.append(sp.hstack([sp.csr_array((1, n_c)), sp.csr_array(p.w.reshape(1, -1))], format="csr"))
        lo.append(np.array([min_weight]))
        hi.append(np.array([np.inf]))
        c = np.concatenate([np.ones(n_c), np.zeros(n_d)])
    else:
        c = np.concatenate([np.zeros(n_c), -p.w])
    lb = np.zeros(n_c + n_d)
    lb[p.required] = 1.0
    integrality = np.concatenate([np.ones(n_c), np.zeros(n_d)])
    options: dict[str, Any] = {"disp": False, "mip_rel_gap": mip_gap}
    if time_limit_s is not None:
        options["time_limit"] = float(time_limit_s)
    res = milp(
        c,
        integrality=integrality,
        bounds=Bounds(lb, np.ones(n_c + n_d)),
        constraints=LinearConstraint(sp.vstack(rows, format="csr"), np.concatenate(lo), np.concatenate(hi)),
        options=options,
    )
    if res.status == 2 or (res.x is None and res.status != 1):
        raise InfeasibleError(f"solver status: {res.message} (HiGHS status {res.status})", code="solver.failed",
                             status=f"{res.message} (HiGHS {res.status})")
    if res.x is None:
        raise InfeasibleError(f"no solution found within the time limit: {res.message} (HiGHS status {res.status})",
                             code="solver.time_limit")
    chosen = np.flatnonzero(res.x[:n_c] > 0.5)
    status = "optimal" if res.status == 0 else ("time limit" if res.status == 1 else f"status {res.status}")
    bound = getattr(res, "mip_dual_bound", None)
    if bound is not None and min_weight is None:
        bound = -float(bound)
    return chosen, status, bound, float(-res.fun if min_weight is None else res.fun)


def _cbc_binary() -> str:
    """Path of a CBC executable: the one bundled with PuLP, else ``cbc`` on the PATH."""
    import shutil

    try:
        from pulp.apis.coin_api import pulp_cbc_path

        path = os.path.abspath(pulp_cbc_path)
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    except Exception:  # pragma: no cover - PuLP missing or reorganised
        pass
    found = shutil.which("cbc")
    if found is None:  # pragma: no cover - depends on the install
        raise InputError("no CBC solver found (PuLP's bundled binary or 'cbc' on the PATH); use method='highs'",
                         code="solver.no_cbc")
    return found


def _mps_lines(col: np.ndarray, row: np.ndarray, val: np.ndarray) -> np.ndarray:
    return np.strings.add(np.strings.add(np.strings.add(np.strings.add(
        "    ", col), "  "), np.strings.add(row, "  ")), np.strings.add(val, "\n"))


def _milp_cbc(
    p: _Problem, *, k: int | None, min_weight: float | None, time_limit_s: float | None, mip_gap: float
) -> tuple[np.ndarray, str, float | None, float]:
    """The same model written as an MPS file straight from the sparse matrix and solved by CBC.

    The file is assembled with vectorised string operations (no per-row model objects); rows are
    ``C<i>`` (demand), ``K`` (count), ``B<g>`` (budgets), ``T`` (set-cover target); columns
    ``X<j>`` (binary candidates) and ``Y<i>`` (coverage in [0, 1]). The objective is minimised.
    """
    import subprocess
    import tempfile

    n_d, n_c = p.a.shape
    a = p.a.tocsc()
    xs = np.strings.add("X", np.arange(n_c).astype(str))
    ys = np.strings.add("Y", np.arange(n_d).astype(str))
    cs = np.strings.add("C", np.arange(n_d).astype(str))
    # X columns: entries (column j, row, value), ordered by column
    parts_j = [np.repeat(np.arange(n_c), np.diff(a.indptr))]
    parts_r = [cs[a.indices]]
    parts_v = [np.full(a.nnz, "-1")]
    if k is not None:
        parts_j.append(np.arange(n_c))
        parts_r.append(np.full(n_c, "K"))
        parts_v.append(np.full(n_c, "1"))
    if len(p.caps):
        ok = np.flatnonzero(p.group >= 0)
        parts_j.append(ok)
        parts_r.append(np.strings.add("B", p.group[ok].astype(str)))
        parts_v.append(np.full(len(ok), "1"))
    if min_weight is not None:
        parts_j.append(np.arange(n_c))
        parts_r.append(np.full(n_c, "OBJ"))
        parts_v.append(np.full(n_c, "1"))
    jj = np.concatenate(parts_j)
    order = np.argsort(jj, kind="stable")
    x_lines = _mps_lines(xs[jj[order]], np.concatenate(parts_r)[order], np.concatenate(parts_v)[order])
    wtxt = np.char.mod("%.17g", p.w)
    if min_weight is None:
        y_lines = np.empty(2 * n_d, dtype=object)
        y_lines[0::2] = _mps_lines(ys, np.full(n_d, "OBJ"), np.char.mod("%.17g", -p.w))
    else:
        y_lines = np.empty(2 * n_d, dtype=object)
        y_lines[0::2] = _mps_lines(ys, np.full(n_d, "T"), wtxt)
    y_lines[1::2] = _mps_lines(ys, cs, np.full(n_d, "1"))
    rows = [" N  OBJ\n"]
    rows += list(np.strings.add(np.strings.add(" L  ", cs), "\n"))
    if k is not None:
        rows.append(" L  K\n")
    rows += [f" L  B{g}\n" for g in range(len(p.caps))]
    if min_weight is not None:
        rows.append(" G  T\n")
    rhs = []
    if k is not None:
        rhs.append(f"    RHS  K  {int(k)}\n")
    rhs += [f"    RHS  B{g}  {int(c)}\n" for g, c in enumerate(p.caps)]
    if min_weight is not None:
        rhs.append(f"    RHS  T  {float(min_weight):.17g}\n")
    req = np.zeros(n_c, dtype=bool)
    req[p.required] = True
    bounds = list(np.strings.add(np.strings.add(" UP BND  ", xs[~req]), "  1\n"))
    bounds += list(np.strings.add(np.strings.add(" FX BND  ", xs[req]), "  1\n"))
    bounds += list(np.strings.add(np.strings.add(" UP BND  ", ys), "  1\n"))
    with tempfile.TemporaryDirectory(prefix="patrolnet-cbc-") as tmp:
        mps = os.path.join(tmp, "model.mps")
        sol = os.path.join(tmp, "model.sol")
        with open(mps, "w", encoding="ascii") as f:
            f.write("NAME          CAMERAS\nROWS\n")
            f.writelines(rows)
            f.write("COLUMNS\n    MARKER  'MARKER'  'INTORG'\n")
            f.writelines(x_lines.tolist())
            f.write("    MARKER  'MARKER'  'INTEND'\n")
            f.writelines(y_lines.tolist())
            f.write("RHS\n")
            f.writelines(rhs)
            f.write("BOUNDS\n")
            f.writelines(bounds)
            f.write("ENDATA\n")
        cmd = [_cbc_binary(), mps]
        if time_limit_s is not None:
            cmd += ["-sec", f"{float(time_limit_s):g}"]
        cmd += ["-ratio", f"{mip_gap:g}", "-solve", "-solution", sol]
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                              text=True, check=False)
        if "errors on input" in proc.stdout:  # pragma: no cover - a bug in the writer above
            raise InputError(f"CBC could not read the model: {proc.stdout[-500:]}")
        if not os.path.exists(sol):
            tail = " ".join(proc.stdout.strip().splitlines()[-3:])
            raise InfeasibleError(f"solver status: CBC wrote no solution (exit {proc.returncode}): {tail}",
                                 code="solver.failed", status=f"CBC exit {proc.returncode}")
        with open(sol, encoding="ascii", errors="replace") as f:
            head = f.readline().strip()
            body = f.read().split()
    low = head.lower()
    if low.startswith("optimal"):
        status = "optimal"
    elif "infeasible" in low:
        raise InfeasibleError(f"solver status: {head} (CBC)", code="solver.failed", status=f"{head} (CBC)")
    elif low.startswith("stopped") and "objective value" in low:
        status = "time limit"
    else:
        raise InfeasibleError(f"solver status: {head} (CBC found no solution)", code="solver.failed",
                             status=f"{head} (CBC)")
    # lines: [**] index name value reduced-cost; only non-zero columns are printed
    tokens = [t for t in body if t != "**"]
    names = np.array(tokens[1::4])
    values = np.array(tokens[2::4], dtype=float)
    is_x = np.strings.startswith(names, "X") & (values > 0.5)
    chosen = np.sort(np.strings.slice(names[is_x], 1, None).astype(int)) if is_x.any() else np.zeros(0, int)
    obj = float(head.rsplit(" ", 1)[-1]) if "objective value" in low else float("nan")
    return chosen, status, None, -obj if min_weight is None else obj


# --------------------------------------------------------------------------------------------
# public solvers


_METHODS = ("auto", "exact", "highs", "greedy")


def solve_mclp(
    cover: Any,
    weights: np.ndarray,
    *,
    k: int,
    method: str = "auto",
    groups: Any = None,
    budgets: int | Mapping[Hashable, int] | None = None,
    required: np.ndarray | None = None,
    time_limit_s: float | None = 60.0,
    mip_gap: float = 1e-6,
    local_search: bool = True,
    exact_max_nnz: int = 200_000,
) -> SitingResult:
    """Maximal covering: at most ``k`` candidates maximising the covered demand weight.

    Parameters
    ----------
    cover
        Sparse (or dense) 0/1 matrix, demand x candidate (:func:`coverage_matrix`).
    weights
        Demand weight per row (>= 0).
    k
        Most candidates to pick (required ones included).
    method
        ``"exact"`` (CBC), ``"highs"`` (HiGHS), ``"greedy"`` (lazy greedy + swaps) or ``"auto"``.
    groups, budgets
        Group label per candidate (e.g. its station_id) and the most picks per group: one int for
        every group or a mapping label -> int (labels missing from it get 0). With budgets, candidates
        without a group are not used.
    required
        Candidates that must be picked (indices or a boolean mask), e.g. poles already paid for.
    time_limit_s
        Limit for the exact solvers, seconds; when reached the better of the incumbent and the greedy
        answer is returned with status ``"time limit"``.
    mip_gap
        Relative optimality gap at which the exact solvers stop.
    local_search
        Follow the greedy with best-improvement swaps.
    exact_max_nnz
        ``"auto"`` uses the exact solver when the reduced matrix has at most this many pairs.

    Returns
    -------
    SitingResult

    Raises
    ------
    InputError
        Bad ``k``, method, matrix or weights.
    InfeasibleError
        The required candidates break ``k`` or a budget (with the solver's status).
    """
    t0 = time.perf_counter()
    if method not in _METHODS:
        raise InputError(f"method={method!r}: use one of {', '.join(_METHODS)}", code="param.choice",
                         name="method", value=str(method), known=", ".join(_METHODS))
    if int(k) != k or k < 0:
        raise InputError(f"k={k}: give a whole number of new cameras >= 0", code="cameras.k", value=str(k))
    k = int(k)
    full, _ = _check_matrix(cover, weights)
    p = _prepare(full, weights, groups=groups, budgets=budgets, required=required)
    if method == "auto":
        method = "exact" if p.a.nnz <= exact_max_nnz else "greedy"
    if method == "greedy":
        _check_required(p, k)
        chosen = _lazy_greedy(p, k)
        swaps = 0
        if local_search and chosen:
            deadline = t0 + (time_limit_s if time_limit_s is not None else 3600.0)
            chosen, swaps = _swap_search(p, chosen, max_passes=20, deadline=deadline)
        return _result(p, full, np.array(chosen, int), method="greedy", status="heuristic", bound=None,
                       t0=t0, extra={"swaps": swaps})
    if p.a.shape[1] <= k and len(p.required) <= k and _fits_budgets(p, np.arange(p.a.shape[1])):
        # every useful candidate fits: nothing to optimise
        return _result(p, full, np.arange(p.a.shape[1]), method=method, status="optimal",
                       bound=float(p.w.sum()), t0=t0)
    solve = _milp_highs if method == "highs" else _milp_cbc
    chosen, status, bound, _ = solve(p, k=k, min_weight=None, time_limit_s=time_limit_s, mip_gap=mip_gap)
    res = _result(p, full, chosen, method=method, status=status, bound=bound, t0=t0)
    if status != "optimal":
        greedy = solve_mclp(cover, weights, k=k, method="greedy", groups=groups, budgets=budgets,
                            required=required, time_limit_s=time_limit_s)
        if greedy.objective > res.objective:
            greedy.status = status + " (greedy kept)"
            greedy.bound = bound
            greedy.seconds = time.perf_counter() - t0
            return greedy
    return res


def _fits_budgets(p: _Problem, cols: np.ndarray) -> bool:
    if not len(p.caps):
        return True
    g = p.group[cols]
    return bool((np.bincount(g[g >= 0], minlength=len(p.caps)) <= p.caps).all())


def _check_required(p: _Problem, k: int) -> None:
    if len(p.required) > k:
        raise InfeasibleError(f"solver status: infeasible ({len(p.required)} required candidates but k={k})",
                             code="cameras.required_over_k", required=len(p.required), k=k)
    if not _fits_budgets(p, p.required):
        raise InfeasibleError("solver status: infeasible (the required candidates exceed a group budget)",
                             code="cameras.required_over_budget")


def solve_set_cover(
    cover: Any,
    weights: np.ndarray,
    *,
    target_share: float,
    method: str = "auto",
    groups: Any = None,
    budgets: int | Mapping[Hashable, int] | None = None,
    required: np.ndarray | None = None,
    time_limit_s: float | None = 60.0,
    mip_gap: float = 1e-6,
    exact_max_nnz: int = 200_000,
) -> SitingResult:
    """Set covering: the fewest candidates covering at least ``target_share`` of the demand weight.

    ``target_share`` is a share (0-1] of the weight of all demand points given, including points no
    candidate can reach. Greedy stops as soon as the target is met (no swaps).

    Raises
    ------
    InfeasibleError
        The target cannot be reached (with the budgets and candidates given), with the solver status.
    """
    t0 = time.perf_counter()
    if method not in _METHODS:
        raise InputError(f"method={method!r}: use one of {', '.join(_METHODS)}", code="param.choice",
                         name="method", value=str(method), known=", ".join(_METHODS))
    if not (0.0 < target_share <= 1.0):
        raise InputError(f"target_share={target_share}: give a share in (0, 1]", code="param.share",
                         name="target_share", value=str(target_share))
    full, _ = _check_matrix(cover, weights)
    p = _prepare(full, weights, groups=groups, budgets=budgets, required=required)
    need = target_share * p.total
    if method == "auto":
        method = "exact" if p.a.nnz <= exact_max_nnz else "greedy"
    if method == "greedy":
        _check_required(p, p.a.shape[1])
        chosen = _lazy_greedy(p, p.a.shape[1], stop_at=need)
        got = objective_of(p.a, p.w, np.array(chosen, int))
        if got < need - 1e-9 * max(1.0, need):
            raise InfeasibleError(
                f"solver status: infeasible (greedy reached {got:.6g} of the {need:.6g} demand weight "
                f"asked; the candidates and budgets cannot reach {target_share:.1%})",
                code="cameras.share_unreachable", share=f"{target_share:.1%}", got=f"{got / need:.1%}" if need else "0%",
            )
        return _result(p, full, np.array(chosen, int), method="greedy", status="heuristic", bound=None, t0=t0)
    solve = _milp_highs if method == "highs" else _milp_cbc
    chosen, status, bound, _ = solve(p, k=None, min_weight=need * (1 - 1e-12), time_limit_s=time_limit_s,
                                     mip_gap=mip_gap)
    res = _result(p, full, chosen, method=method, status=status, bound=None, t0=t0)
    res.stats["target_weight"] = need
    return res
