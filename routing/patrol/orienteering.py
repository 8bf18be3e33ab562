"""Orienteering loops in milliseconds: greedy insertion and iterated local search, on a matrix.

:func:`solve_orienteering` finds loops from node 0 that collect the most prize within a time budget
(the orienteering problem): the iterated local search of Vansteenwegen, Souffriau, Vanden Berghe and
Van Oudheusden (2009, "Iterated local search for the team orienteering problem with time windows",
Computers & Operations Research 36: 3281-3290): insert by the ratio prize² / added time, shorten the
loop (2-opt and moving one stop, also on one-way streets: the matrix need not be symmetric), insert
again; then shake (remove a run of consecutive stops, the run's place and length moving on every
time) and repeat, keeping the best. Every loop met on the way is kept by its set of places, so the
daily alternatives come from one search.

Everything is numpy on the small matrix of the team's places (a few dozen), and the search stops
after a fixed count of shakes: the same inputs and seed give the same loops on any machine.
``bench/`` (``routes.orienteering``) sets it beside OR-Tools' guided local search on the same instance.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

__all__ = ["OrienteeringLoop", "solve_orienteering"]


@dataclass(frozen=True)
class OrienteeringLoop:
    """One loop: matrix indices visited in order (0, the start, left out), their prize, their time."""

    order: tuple[int, ...]
    prize: float
    time: int


def _cost(T: np.ndarray, seq: list[int]) -> int:
    s = np.asarray(seq)
    return int(T[s[:-1], s[1:]].sum())


def _insert(T: np.ndarray, prize: np.ndarray, seq: list[int], used: int, budget: int, free: np.ndarray) -> int:
    """Insert free places at their cheapest position, best ratio prize² / added time first, while
    the budget holds; ``free`` (bool per place) is updated. Returns the time used."""
    while True:
        cand = np.flatnonzero(free)
        if not len(cand):
            return used
        s = np.asarray(seq)
        a, b = s[:-1], s[1:]
        extra = T[np.ix_(a, cand)] + T[np.ix_(cand, b)].T - T[a, b][:, None]
        pos = extra.argmin(axis=0)
        add = extra[pos, np.arange(len(cand))]
        fits = used + add <= budget
        if not fits.any():
            return used
        ratio = np.where(fits, prize[cand] ** 2 / np.maximum(add, 1), -1.0)
        k = int(ratio.argmax())
        seq.insert(int(pos[k]) + 1, int(cand[k]))
        free[cand[k]] = False
        used += int(add[k])


def _two_opt(T: np.ndarray, seq: list[int]) -> list[int]:
    """Reverse the segment that shortens the loop most, until none does (asymmetric costs: the
    reversed segment is costed arc by arc through prefix sums)."""
    for _ in range(4 * len(seq)):
        s = np.asarray(seq)
        m = len(s)
        if m < 5:
            return seq
        fwd = np.r_[0, np.cumsum(T[s[:-1], s[1:]])]  # fwd[k]: cost of s[0..k]
        bwd = np.r_[0, np.cumsum(T[s[1:], s[:-1]])]  # bwd[k]: cost of s[k..0] walked back
        i = np.arange(m - 1)[:, None]  # reverse s[i+1..j]
        j = np.arange(m - 1)[None, :]
        valid = j >= i + 2
        ii, jj = np.broadcast_arrays(i, j)
        ii, jj = ii[valid], jj[valid]
        old = fwd[jj + 1] - fwd[ii]
        new = T[s[ii], s[jj]] + (bwd[jj] - bwd[ii + 1]) + T[s[ii + 1], s[jj + 1]]
        gain = old - new
        k = int(gain.argmax())
        if gain[k] <= 0:
            return seq
        a, b = int(ii[k]), int(jj[k])
        seq = seq[: a + 1] + seq[a + 1 : b + 1][::-1] + seq[b + 1 :]
    return seq


def _move_one(T: np.ndarray, seq: list[int]) -> list[int]:
    """Move the one stop whose move elsewhere in the loop shortens it most, until none does."""
    for _ in range(4 * len(seq)):
        s = np.asarray(seq)
        m = len(s)
        if m < 4:
            return seq
        inner = np.arange(1, m - 1)
        v = s[inner]
        save = T[s[inner - 1], v] + T[v, s[inner + 1]] - T[s[inner - 1], s[inner + 1]]
        a, b = s[:-1], s[1:]
        ins = T[a][:, v] + T[v][:, b].T - T[a, b][:, None]  # (edges, stops)
        e = np.arange(m - 1)[:, None]
        ins = np.where((e == inner[None, :] - 1) | (e == inner[None, :]), np.iinfo(np.int64).max // 4, ins)
        delta = ins - save[None, :]
        k = int(delta.argmin())
        ek, vk = divmod(k, len(inner))
        if delta[ek, vk] >= 0:
            return seq
        node = int(v[vk])
        pos = int(inner[vk])
        new = seq[:pos] + seq[pos + 1 :]
        edge = ek if ek < pos else ek - 1
        new.insert(edge + 1, node)
        seq = new
    return seq


def _shorten(T: np.ndarray, seq: list[int]) -> list[int]:
    while True:
        before = _cost(T, seq)
        seq = _move_one(T, _two_opt(T, seq))
        if _cost(T, seq) >= before:
            return seq


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
    T = np.asarray(transit, dtype=np.int64)
    n = len(T)
    p = np.asarray(prize, dtype=float)
    allowed = p > 0
    allowed[0] = False
    for f in forbidden:
        allowed[int(f)] = False
    # places that cannot be visited and left again within the budget
    allowed &= (T[0] + T[:, 0]) <= budget
    rng = np.random.default_rng(seed)
    seen: dict[frozenset[int], OrienteeringLoop] = {}

    def note(seq: list[int]) -> tuple[float, int]:
        order = tuple(seq[1:-1])
        val = float(p[list(order)].sum()) if order else 0.0
        t = _cost(T, seq)
        key = frozenset(order)
        old = seen.get(key)
        if old is None or t < old.time:
            seen[key] = OrienteeringLoop(order, val, t)
        return val, t

    if n <= 1 or not allowed.any():
        return [OrienteeringLoop((), 0.0, 0)]
    seq = [0, 0]
    free = allowed.copy()
    used = _insert(T, p, seq, 0, budget, free)
    seq = _shorten(T, seq)
    used = _insert(T, p, seq, _cost(T, seq), budget, free)
    best_seq, best = seq, note(seq)
    cur_seq, cur = seq, best
    start, size = 1, 1
    stale = 0
    total = float(p[allowed].sum()) if enough is None else min(float(enough), float(p[allowed].sum()))
    for _ in range(int(shakes)):
        m = len(cur_seq) - 2
        if m == 0 or best[0] >= total - 1e-9:  # nothing to shake, or enough (every place) already in the loop
            break
        start = (start - 1) % m + 1
        size = min(size, m)
        # shake: drop ``size`` consecutive stops from ``start`` (wrapping round the loop)
        drop = {(start - 1 + k) % m + 1 for k in range(size)}
        seq = [v for i, v in enumerate(cur_seq) if i not in drop]
        free = allowed.copy()
        free[seq] = False
        # a dropped stop comes back only after the others had their chance
        back = [cur_seq[i] for i in sorted(drop)]
        free[back] = False
        seq = _shorten(T, seq)
        used = _insert(T, p, seq, _cost(T, seq), budget, free)
        free[back] = True
        free[seq] = False
        used = _insert(T, p, seq, used, budget, free)
        seq = _shorten(T, seq)
        _insert(T, p, seq, _cost(T, seq), budget, free)
        val = note(seq)
        if (val[0], -val[1]) > (cur[0], -cur[1]):
            cur_seq, cur = seq, val
            size = 1
            stale = 0
        else:
            start += size
            size += 1
            stale += 1
            if size > max(1, m // 3):
                size = 1
            if stale and stale % 8 == 0:  # wander from the best now and then (the ILS's restart)
                cur_seq, cur = seq, val
        if (val[0], -val[1]) > (best[0], -best[1]):
            best_seq, best = seq, val
        start += int(rng.integers(0, 2))
    del best_seq
    loops = sorted(seen.values(), key=lambda lp: (-lp.prize, lp.time, lp.order))
    return loops[:keep]
