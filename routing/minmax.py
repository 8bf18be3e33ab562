"""Several vehicles sharing one beat: ``k`` closed routes from one base that together drive every
required arc, the longest as short as we can find (the min-max k-Chinese-postman problem).

Two constructions, the better one kept:

1. **The tour's split** (:func:`routing.postman.split_tour`, Frederickson-Hecht-Kim): the beat's
   postman tour cut into ``k`` stretches, each driven from the base and back. Good for 2-3 vehicles;
   for more, each stretch of the tour winds over the whole beat and the drives to and from it grow.
2. **A sweep around the base** (Gillett and Miller's sweep, used here for arcs): the required arcs in
   the order of their bearing from the base, cut into ``k`` sectors of equal length; each sector's
   own postman tour from the base (:func:`routing.postman.postman_arcs`, exact when the sector is one
   piece). Sectors meet at the base, so a vehicle drives out on its own streets rather than through
   another's. Then a local search moves the boundary between the longest sector and a neighbour to
   where their two tours are equal (a bisection on the boundary, each step two postman solves), until
   the longest sector cannot be shortened that way.

Both directions of a two-way street stay in one sector. Deterministic: the same beat, base and ``k``
give the same routes. The lower bound is :func:`routing.postman.split_tour`'s: ``max(postman tour /
k, the costliest round trip base -> required arc -> base)``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from geo.errors import InfeasibleError
from routing.postman import ArcTable, KRoutes, Tour, _gap, _postman_core, postman_arcs, split_tour, sub_table

__all__ = ["share_tour"]

#: Starting bearings tried for the sweep (the first sector's start turned by a k-th of a sector each).
SWEEP_STARTS = 6
#: Postman solves the sweep's local search may spend (deterministic: a count, not a clock).
MAX_SOLVES = 400
#: The least margin (m) around a beat's box for the roads its sectors' tours may use while searching.
MARGIN_M = 1500.0


def share_tour(tab: ArcTable, tour: Tour, k: int, *, xy: np.ndarray | None = None) -> KRoutes:
    """``k`` closed routes from ``tour``'s depot covering its serviced arcs, minimising the longest.

    Parameters
    ----------
    tab
        The arc table the tour was planned on.
    tour
        The beat's postman tour (:func:`routing.postman.postman_tour`).
    k
        Vehicles, >= 1.
    xy
        Projected node coordinates of ``tab`` (:func:`routing.postman.node_xy`); without them only the tour's split
        is tried.

    Returns
    -------
    KRoutes
        As :func:`routing.postman.split_tour`; the routes in the order of their sectors.
    """
    split = split_tour(tab, tour, k)
    req = np.unique(np.asarray([tab.by_arc[a] for a, s in zip(tour.arcs, tour.serviced) if s], dtype=np.int64))
    if k == 1 or xy is None or len(req) < 2 * k:
        return split
    depot = tab.index[tour.depot]
    order, groups = _sweep_order(tab, req, depot, xy)
    cuts, costs = _balanced_sectors(order, groups, _Costs(tab, order, depot, xy), k)
    if max(costs) >= split.max_cost - 1e-6:
        return split
    n_g = len(groups) - 1
    routes = []
    for i in range(k):
        arcs = _segment(order, groups, cuts[i], cuts[i + 1], n_g)
        routes.append(_postman_core(tab, arcs, depot))
    max_cost = max(r.cost for r in routes)
    return KRoutes(tuple(routes), tour, k, max_cost, split.lower_bound, _gap(max_cost, split.lower_bound))


def _sweep_order(tab: ArcTable, req: np.ndarray, depot: int, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The required arcs by bearing of their middle from the depot, the two arcs of a street side by
    side; and the start of each street's run in that order (with the end appended)."""
    mid = 0.5 * (xy[tab.tail[req]] + xy[tab.head[req]]) - xy[depot]
    bearing = np.round(np.arctan2(mid[:, 1], mid[:, 0]), 9)
    lo = np.minimum(tab.tail[req], tab.head[req])
    hi = np.maximum(tab.tail[req], tab.head[req])
    o = np.lexsort((req, hi, lo, bearing))
    order = req[o]
    pair = lo[o] * tab.n + hi[o]
    starts = np.flatnonzero(np.r_[True, pair[1:] != pair[:-1]])
    return order, np.r_[starts, len(order)]


def _segment(order: np.ndarray, groups: np.ndarray, a: int, b: int, n_g: int) -> np.ndarray:
    """Arcs of the streets ``a`` .. ``b - 1`` of the cyclic sweep (indices taken modulo ``n_g``)."""
    a0 = a % n_g
    b0 = a0 + (b - a)
    if b0 <= n_g:
        return order[groups[a0]:groups[b0]]
    return np.r_[order[groups[a0]:], order[:groups[b0 - n_g]]]


class _Costs:
    """Postman cost of a set of required arcs from the depot, solved on the arcs near the beat (the
    box around its arcs and the base, widened by a quarter of its diagonal and at least
    :data:`MARGIN_M`) when that is a small part of the city; on the whole table when the region cannot
    balance the set."""

    def __init__(self, tab: ArcTable, req: np.ndarray, depot: int, xy: np.ndarray) -> None:
        self.tab, self.depot = tab, depot
        pts = np.r_[xy[tab.tail[req]], xy[tab.head[req]], xy[[depot]]]
        lo, hi = pts.min(axis=0), pts.max(axis=0)
        pad = max(MARGIN_M, 0.25 * float(np.hypot(*(hi - lo))))
        keep = np.all((xy >= lo - pad) & (xy <= hi + pad), axis=1)
        self.sub: ArcTable | None = None
        if keep.sum() < 0.7 * tab.n:
            self.sub, arcs = sub_table(tab, keep)
            self.to_sub = np.full(len(tab.tail), -1, dtype=np.int64)
            self.to_sub[arcs] = np.arange(len(arcs))
            self.sub_depot = self.sub.index[tab.nodes[depot]]

    def __call__(self, arcs: np.ndarray) -> float:
        if len(arcs) == 0:
            return 0.0
        if self.sub is not None:
            try:
                return float(self.sub.weight[postman_arcs(self.sub, self.to_sub[arcs], self.sub_depot, bound=False)[0]].sum())
            except InfeasibleError:
                pass
        return float(self.tab.weight[postman_arcs(self.tab, arcs, self.depot, bound=False)[0]].sum())


def _balanced_sectors(order: np.ndarray, groups: np.ndarray, solve: _Costs, k: int) -> tuple[list[int], list[float]]:
    """Cut positions (``k + 1``, in streets of the sweep; the last is the first plus a full turn) and
    each sector's postman cost, after the starting bearings and the boundary search."""
    n_g = len(groups) - 1
    memo: dict[tuple[int, int], float] = {}

    def cost(a: int, b: int) -> float:
        key = (a % n_g, b - a)
        if key not in memo:
            memo[key] = solve(_segment(order, groups, a, b, n_g))
        return memo[key]

    w = solve.tab.weight[order]
    street_w = np.add.reduceat(w, groups[:-1])
    cum = np.r_[0.0, np.cumsum(street_w)]
    cum2 = np.r_[cum, cum[1:] + cum[-1]]
    total = cum[-1]
    best: tuple[float, list[int], list[float]] | None = None
    for r in range(SWEEP_STARTS):
        s = min(int(np.searchsorted(cum, total * r / (SWEEP_STARTS * k))), n_g - 1)
        cuts = [s]
        for i in range(1, k):
            c = int(np.searchsorted(cum2, cum[s] + total * i / k))
            cuts.append(min(max(c, cuts[-1] + 1), s + n_g - (k - i)))
        cuts.append(s + n_g)
        costs = [cost(cuts[i], cuts[i + 1]) for i in range(k)]
        if best is None or max(costs) < best[0] - 1e-6:
            best = (max(costs), cuts, costs)
    assert best is not None
    _, cuts, costs = best
    _local_search(cuts, costs, cost, k, n_g, lambda: len(memo) < MAX_SOLVES)
    return cuts, costs


def _local_search(cuts: list[int], costs: list[float], cost: Callable[[int, int], float], k: int, n_g: int,
                  budget: Callable[[], bool]) -> None:
    """Move the boundaries of the longest sector (in place) while that shortens it."""
    while budget():
        longest = int(np.argmax(costs))
        for j in (longest, (longest - 1) % k):  # the pair (j, j + 1): longest with its right, its left
            a = cuts[j]
            c = cuts[j + 2] if j + 2 <= k else cuts[j + 2 - k] + n_g
            lo, hi = a + 1, c - 1
            found: tuple[float, int, float, float] | None = None
            while lo <= hi and budget():
                b = (lo + hi) // 2
                c1, c2 = cost(a, b), cost(b, c)
                if found is None or max(c1, c2) < found[0]:
                    found = (max(c1, c2), b, c1, c2)
                if c1 < c2:
                    lo = b + 1
                else:
                    hi = b - 1
            if found is not None and found[0] < costs[longest] - 1e-6:
                _, b, c1, c2 = found
                if j + 1 < k:
                    cuts[j + 1] = b
                else:  # the boundary between the last sector and the first
                    cuts[k], cuts[0] = b, b - n_g
                costs[j], costs[(j + 1) % k] = c1, c2
                break
        else:
            return
