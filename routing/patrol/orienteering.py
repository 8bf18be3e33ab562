"""Orienteering loops in milliseconds: greedy insertion and iterated local search, on a matrix.

:func:`solve_orienteering` finds loops from node 0 that collect the most prize within a time budget
(the orienteering problem): the iterated local search of Vansteenwegen, Souffriau, Vanden Berghe and
Van Oudheusden (2009, "Iterated local search for the team orienteering problem with time windows",
Computers & Operations Research 36: 3281-3290): insert by the ratio prize² / added time, shorten the
loop (2-opt and moving one stop, also on one-way streets: the matrix need not be symmetric), insert
again; then shake (remove a run of consecutive stops, the run's place and length moving on every
time) and repeat, keeping the best. Every loop met on the way is kept by its set of places, so the
daily alternatives come from one search.

The search runs compiled (numba, ``cache=True``: compiled once per machine, then loaded) on the
small matrix of the team's places (a few dozen), and stops after a fixed count of shakes: the same
inputs and seed give the same loops on any machine. ``bench/`` (``routes.orienteering``) sets it
beside OR-Tools' guided local search on the same instance.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numba
import numpy as np

__all__ = ["OrienteeringLoop", "solve_orienteering"]

_BIG = np.iinfo(np.int64).max // 4


@dataclass(frozen=True)
class OrienteeringLoop:
    """One loop: matrix indices visited in order (0, the start, left out), their prize, their time."""

    order: tuple[int, ...]
    prize: float
    time: int


# The loop is ``seq[:m]`` of a buffer long enough for every place: ``seq[0] == seq[m - 1] == 0``.

@numba.njit(cache=True)
def _cost(T, seq, m):  # pragma: no cover - compiled
    c = 0
    for k in range(m - 1):
        c += T[seq[k], seq[k + 1]]
    return c


@numba.njit(cache=True)
def _insert(T, prize, seq, m, used, budget, free):  # pragma: no cover - compiled
    """Insert free places at their cheapest position, best ratio prize² / added time first, while
    the budget holds; ``free`` (bool per place) is updated. Returns the loop's length and time used."""
    n = len(free)
    while True:
        best_k, best_pos, best_add, best_ratio = -1, -1, 0, -1.0
        any_fits = False
        for c in range(n):
            if not free[c]:
                continue
            pos, add = 0, _BIG
            for a in range(m - 1):
                e = T[seq[a], c] + T[c, seq[a + 1]] - T[seq[a], seq[a + 1]]
                if e < add:
                    add, pos = e, a
            if used + add <= budget:
                ratio = prize[c] * prize[c] / max(add, 1)
                any_fits = True
            else:
                ratio = -1.0
            if best_k < 0 or ratio > best_ratio:
                best_k, best_pos, best_add, best_ratio = c, pos, add, ratio
        if best_k < 0 or not any_fits:
            return m, used
        for q in range(m, best_pos + 1, -1):
            seq[q] = seq[q - 1]
        seq[best_pos + 1] = best_k
        m += 1
        free[best_k] = False
        used += best_add


@numba.njit(cache=True)
def _two_opt(T, seq, m):  # pragma: no cover - compiled
    """Reverse the segment that shortens the loop most, until none does (asymmetric costs: the
    reversed segment is costed arc by arc through prefix sums)."""
    fwd = np.zeros(m, dtype=np.int64)
    bwd = np.zeros(m, dtype=np.int64)
    for _ in range(4 * m):
        if m < 5:
            return
        for k in range(m - 1):  # fwd[k]: cost of seq[0..k]; bwd[k]: of seq[k..0] walked back
            fwd[k + 1] = fwd[k] + T[seq[k], seq[k + 1]]
            bwd[k + 1] = bwd[k] + T[seq[k + 1], seq[k]]
        best, ba, bb = 0, -1, -1
        first = True
        for i in range(m - 1):  # reverse seq[i+1..j]
            for j in range(i + 2, m - 1):
                gain = (fwd[j + 1] - fwd[i]) - (T[seq[i], seq[j]] + (bwd[j] - bwd[i + 1]) + T[seq[i + 1], seq[j + 1]])
                if first or gain > best:
                    best, ba, bb, first = gain, i, j, False
        if first or best <= 0:
            return
        lo, hi = ba + 1, bb
        while lo < hi:
            seq[lo], seq[hi] = seq[hi], seq[lo]
            lo += 1
            hi -= 1


@numba.njit(cache=True)
def _move_one(T, seq, m):  # pragma: no cover - compiled
    """Move the one stop whose move elsewhere in the loop shortens it most, until none does."""
    for _ in range(4 * m):
        if m < 4:
            return
        best, bek, bpos = _BIG, -1, -1
        first = True
        for e in range(m - 1):  # the edge seq[e] -> seq[e+1] the stop goes into
            a, b = seq[e], seq[e + 1]
            for pos in range(1, m - 1):
                if e == pos - 1 or e == pos:
                    ins = _BIG
                else:
                    v = seq[pos]
                    ins = T[a, v] + T[v, b] - T[a, b]
                v = seq[pos]
                save = T[seq[pos - 1], v] + T[v, seq[pos + 1]] - T[seq[pos - 1], seq[pos + 1]]
                delta = ins - save
                if first or delta < best:
                    best, bek, bpos, first = delta, e, pos, False
        if best >= 0:
            return
        node = seq[bpos]
        for q in range(bpos, m - 1):  # take it out
            seq[q] = seq[q + 1]
        edge = bek if bek < bpos else bek - 1
        for q in range(m - 1, edge + 1, -1):  # and put it after the edge's tail
            seq[q] = seq[q - 1]
        seq[edge + 1] = node


@numba.njit(cache=True)
def _shorten(T, seq, m):  # pragma: no cover - compiled
    while True:
        before = _cost(T, seq, m)
        _two_opt(T, seq, m)
        _move_one(T, seq, m)
        if _cost(T, seq, m) >= before:
            return


@numba.njit(cache=True)
def _value(p, seq, m):  # pragma: no cover - compiled
    """The loop's prize, summed in the order of the places' indices: one value per set of places."""
    inside = np.zeros(len(p), dtype=np.bool_)
    for k in range(1, m - 1):
        inside[seq[k]] = True
    v = 0.0
    for c in range(len(p)):
        if inside[c]:
            v += p[c]
    return v


@numba.njit(cache=True)
def _search(T, p, allowed, budget, shakes, steps, total):  # pragma: no cover - compiled
    """The iterated local search; returns every loop met, one row each (``-1`` after its end)."""
    n = len(T)
    notes = np.full((8, n + 2), -1, dtype=np.int64)
    count = 0
    seq = np.zeros(n + 2, dtype=np.int64)
    m = 2
    free = allowed.copy()
    m, used = _insert(T, p, seq, m, 0, budget, free)
    _shorten(T, seq, m)
    m, used = _insert(T, p, seq, m, _cost(T, seq, m), budget, free)
    notes[count, :m] = seq[:m]
    count += 1
    best_v, best_t = _value(p, seq, m), _cost(T, seq, m)
    cur = seq.copy()
    cur_m, cur_v, cur_t = m, best_v, best_t
    start, size, stale = 1, 1, 0
    new = np.zeros(n + 2, dtype=np.int64)
    back = np.zeros(n + 2, dtype=np.int64)
    for r in range(shakes):
        k_in = cur_m - 2
        if k_in == 0 or best_v >= total - 1e-9:  # nothing to shake, or enough already in the loop
            break
        start = (start - 1) % k_in + 1
        size = min(size, k_in)
        # shake: drop ``size`` consecutive stops from ``start`` (wrapping round the loop)
        drop = np.zeros(cur_m, dtype=np.bool_)
        for k in range(size):
            drop[(start - 1 + k) % k_in + 1] = True
        m, nb = 0, 0
        for i in range(cur_m):
            if drop[i]:
                back[nb] = cur[i]
                nb += 1
            else:
                new[m] = cur[i]
                m += 1
        free[:] = allowed
        for i in range(m):
            free[new[i]] = False
        for i in range(nb):  # a dropped stop comes back only after the others had their chance
            free[back[i]] = False
        _shorten(T, new, m)
        m, used = _insert(T, p, new, m, _cost(T, new, m), budget, free)
        for i in range(nb):
            free[back[i]] = True
        for i in range(m):
            free[new[i]] = False
        m, used = _insert(T, p, new, m, used, budget, free)
        _shorten(T, new, m)
        m, used = _insert(T, p, new, m, _cost(T, new, m), budget, free)
        if count == len(notes):
            grown = np.full((2 * count, n + 2), -1, dtype=np.int64)
            grown[:count] = notes
            notes = grown
        notes[count, :m] = new[:m]
        count += 1
        v, t = _value(p, new, m), _cost(T, new, m)
        if v > cur_v or (v == cur_v and t < cur_t):
            cur[:m] = new[:m]
            cur_m, cur_v, cur_t = m, v, t
            size = 1
            stale = 0
        else:
            start += size
            size += 1
            stale += 1
            if size > max(1, k_in // 3):
                size = 1
            if stale and stale % 8 == 0:  # wander from the best now and then (the ILS's restart)
                cur[:m] = new[:m]
                cur_m, cur_v, cur_t = m, v, t
        if v > best_v or (v == best_v and t < best_t):
            best_v, best_t = v, t
        start += steps[r % len(steps)]
    return notes[:count]


def _prize(p: np.ndarray, places: frozenset[int]) -> float:
    """A set of places' prize as the search sums it (:func:`_value`: in the order of their indices)."""
    v = 0.0
    for c in sorted(places):
        v += float(p[c])
    return v


#: The shakes' random steps are drawn up front, this many at most (a longer search reuses them in turn).
_STEPS = 1 << 16


def solve_orienteering(
    transit: np.ndarray, prize: np.ndarray, budget: int, *, shakes: int = 60, seed: int = 0,
    forbidden: Iterable[int] = (), keep: int = 8, enough: float | None = None,
) -> list[OrienteeringLoop]:
    """The best loops found from place 0 within ``budget`` (best first, each a different set of places).

    Parameters
    ----------
    transit
        ``transit[a, b]``: whole seconds from place ``a`` to place ``b`` including the stop at ``b``
        (0 for the start); may be asymmetric; unreachable pairs a number above ``budget``.
    prize
        Prize per place (``prize[0]`` ignored); places of prize 0 are never visited.
    budget
        Seconds for the loop (travel and stops).
    shakes
        Rounds of shake and repair after the first loop (the search effort; no clock).
    seed
        Seed of the shakes' random choices.
    forbidden
        Places that may not be visited.
    keep
        How many of the best different loops to return.
    enough
        Stop shaking once a loop collects this much (default: every allowed place's prize).
    """
    T = np.ascontiguousarray(transit, dtype=np.int64)
    n = len(T)
    p = np.ascontiguousarray(prize, dtype=np.float64)
    allowed = p > 0
    if n:
        allowed[0] = False
    for f in forbidden:
        allowed[int(f)] = False
    if n <= 1 or not allowed.any():
        return [OrienteeringLoop((), 0.0, 0)]
    # places that cannot be visited and left again within the budget
    allowed &= (T[0] + T[:, 0]) <= budget
    if not allowed.any():
        return [OrienteeringLoop((), 0.0, 0)]
    shakes = max(int(shakes), 0)
    steps = np.random.default_rng(seed).integers(0, 2, size=max(1, min(shakes, _STEPS)), dtype=np.int64)
    total = float(p[allowed].sum()) if enough is None else min(float(enough), float(p[allowed].sum()))
    rows = _search(T, p, allowed, int(budget), shakes, steps, total)
    seen: dict[frozenset[int], OrienteeringLoop] = {}
    for row in rows:
        seq = row[: int(np.argmax(row[1:] == 0)) + 2]  # up to the loop's closing 0
        order = tuple(int(v) for v in seq[1:-1])
        key = frozenset(order)
        t = int(T[seq[:-1], seq[1:]].sum())
        old = seen.get(key)
        if old is None or t < old.time:
            seen[key] = OrienteeringLoop(order, _prize(p, key), t)
    loops = sorted(seen.values(), key=lambda lp: (-lp.prize, lp.time, lp.order))
    return loops[:keep]
