"""Balanced connected partitioning: the engine behind brigade beats and grid-team areas.

A graph (of road segments, or of neighborhoods) is cut into ``k`` connected parts of balanced
total weight: seeds by farthest-point sampling, balanced region growing, then local moves
(single vertices, branches cut off by an articulation point, ejection chains) that lower the
heaviest loads while every part stays connected.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import shapely
from scipy import sparse
from scipy.sparse.csgraph import connected_components, dijkstra

from geo.errors import InfeasibleError
from routing.split.net import _EPS_S

__all__ = ["DEFAULT_MAX_RATIO", "DEFAULT_FRAGMENT_SHARE"]

#: Balance target: the largest beat (or grid-team area) at most this many times the mean.
DEFAULT_MAX_RATIO = 1.15
#: A separate part of the main-road network carrying less than this share of one beat's mean
#: workload is a *fragment*: it joins the beat of the nearest larger part (reached through local
#: streets) instead of needing a beat of its own.
DEFAULT_FRAGMENT_SHARE = 0.5


def _articulation(
    members: np.ndarray, label: np.ndarray, lab: int, indptr: np.ndarray, indices: np.ndarray
) -> set[int]:
    """Articulation points of the subgraph induced by ``members`` (all labelled ``lab``),
    iterative Tarjan."""
    if len(members) <= 2:
        return set()
    disc: dict[int, int] = {}
    low: dict[int, int] = {}
    aps: set[int] = set()
    timer = 0
    root = int(members[0])
    disc[root] = low[root] = 0
    root_children = 0
    stack = [(root, -1, int(indptr[root]))]
    while stack:
        v, parent, ptr = stack[-1]
        end = indptr[v + 1]
        advanced = False
        while ptr < end:
            w = int(indices[ptr])
            ptr += 1
            if label[w] != lab or w == parent:
                continue
            if w in disc:
                if disc[w] < low[v]:
                    low[v] = disc[w]
                continue
            stack[-1] = (v, parent, ptr)
            timer += 1
            disc[w] = low[w] = timer
            stack.append((w, v, int(indptr[w])))
            advanced = True
            break
        if advanced:
            continue
        stack.pop()
        if stack:
            p = stack[-1][0]
            if low[v] < low[p]:
                low[p] = low[v]
            if p == root:
                root_children += 1
            elif low[v] >= disc[p]:
                aps.add(p)
    if root_children > 1:
        aps.add(root)
    return aps


def _grow(A: sparse.csr_matrix, w: np.ndarray, k: int, rng: np.random.Generator,
          xy: np.ndarray | None = None, jitter: float = 0.0) -> np.ndarray:
    """Seeds by farthest-point sampling, then balanced region growing: the lightest part always
    takes its frontier vertex nearest its seed. Distances are straight-line between vertex
    positions ``xy`` when given (compact parts; parallel carriageways go together), else along
    the graph."""
    n = A.shape[0]

    def dist_from(s: int) -> np.ndarray:
        if xy is not None:
            d = np.hypot(xy[:, 0] - xy[s, 0], xy[:, 1] - xy[s, 1])
        else:
            d = dijkstra(A, directed=False, indices=s)
        return d * rng.uniform(1.0 - jitter, 1.0 + jitter, size=n) if jitter > 0 else d

    start = int(rng.integers(n))
    # the first start begins at an extreme vertex; later ones (jitter > 0) at a random one
    seeds = [start if jitter > 0 else int(np.argmax(dist_from(start)))]
    dists = [dist_from(seeds[0])]
    mind = dists[0].copy()
    while len(seeds) < k:
        cand = mind.copy()
        cand[seeds] = -1.0
        s = int(np.argmax(cand))
        seeds.append(s)
        d = dist_from(s)
        dists.append(d)
        mind = np.minimum(mind, d)
    indptr, indices = A.indptr, A.indices
    label = np.full(n, -1, dtype=np.int64)
    loads = np.zeros(k)
    heaps: list[list[tuple[float, int]]] = [[] for _ in range(k)]
    for p, s in enumerate(seeds):
        label[s] = p
        loads[p] = w[s]
    for p, s in enumerate(seeds):
        for nb in indices[indptr[s]:indptr[s + 1]]:
            if label[nb] < 0:
                heapq.heappush(heaps[p], (dists[p][nb], int(nb)))
    active = set(range(k))
    left = n - k
    while left > 0 and active:
        p = min(active, key=lambda q: (loads[q], q))
        heap = heaps[p]
        while heap and label[heap[0][1]] >= 0:
            heapq.heappop(heap)
        if not heap:
            active.discard(p)
            continue
        _, v = heapq.heappop(heap)
        label[v] = p
        loads[p] += w[v]
        left -= 1
        for nb in indices[indptr[v]:indptr[v + 1]]:
            if label[nb] < 0:
                heapq.heappush(heap, (dists[p][nb], int(nb)))
    return label


def _pieces_without(v: int, members: np.ndarray, label: np.ndarray, lab: int, indptr: np.ndarray,
                    indices: np.ndarray) -> list[list[int]]:
    """Connected pieces of part ``lab`` once vertex ``v`` is taken out (breadth-first)."""
    seen = {v}
    pieces = []
    for s in members:
        s = int(s)
        if s in seen:
            continue
        seen.add(s)
        piece = [s]
        i = 0
        while i < len(piece):
            x = piece[i]
            i += 1
            for y in indices[indptr[x]:indptr[x + 1]]:
                y = int(y)
                if label[y] == lab and y not in seen:
                    seen.add(y)
                    piece.append(y)
        pieces.append(piece)
    return pieces


def _refine(A: sparse.csr_matrix, w: np.ndarray, label: np.ndarray, k: int, *, max_moves: int,
            stop_ratio: float = 1.0, branch_checks: int = 64) -> np.ndarray:
    """Local improvement by moves between neighbouring parts that lower the sum of squared loads
    (the heavier part gets lighter and stays at least as heavy as the lighter one was).

    A move takes a boundary vertex ``v`` of part ``a`` to a neighbouring part ``b``. When ``v`` holds
    ``a`` together (an articulation point), the pieces it would cut off go with it (a *branch*
    move), so both parts stay connected. Stops when no move helps, or when every load lies within
    ``stop_ratio`` of the mean (grown parts are compact; fewer moves keep them so)."""
    label = label.copy()
    indptr, indices = A.indptr, A.indices
    src = np.repeat(np.arange(A.shape[0]), np.diff(indptr))
    dst = indices
    loads = np.bincount(label, weights=w, minlength=k).astype(float)
    sizes = np.bincount(label, minlength=k)
    aps: dict[int, set[int]] = {}

    def apply(vs: list[int], a: int, b: int) -> None:
        moved_w = float(w[vs].sum())
        label[vs] = b
        loads[a] -= moved_w
        loads[b] += moved_w
        sizes[a] -= len(vs)
        sizes[b] += len(vs)
        aps.pop(a, None)
        aps.pop(b, None)

    mean = float(loads.sum()) / k
    for _ in range(max_moves):
        if loads.max() <= stop_ratio * mean and loads.min() * stop_ratio >= mean:
            break
        la, lb = label[src], label[dst]
        diff = loads[la] - loads[lb]
        ok = (la != lb) & (w[src] < diff - 1e-9) & (sizes[la] > 1)
        cand = np.flatnonzero(ok)
        gain = w[src[cand]] * (diff[cand] - w[src[cand]])
        cand = cand[np.argsort(-gain, kind="stable")]
        moved = False
        blocked: list[tuple[int, int, int]] = []
        for c in cand:
            v, a, b = int(src[c]), int(la[c]), int(lb[c])
            if a not in aps:
                aps[a] = _articulation(np.flatnonzero(label == a), label, a, indptr, indices)
            if v in aps[a]:
                blocked.append((v, a, b))
                continue
            apply([v], a, b)
            moved = True
            break
        if not moved:
            tried: set[tuple[int, int]] = set()
            for v, a, b in blocked:
                if (v, a) in tried:
                    continue
                if len(tried) >= branch_checks:
                    break
                tried.add((v, a))
                pieces = _pieces_without(v, np.flatnonzero(label == a), label, a, indptr, indices)
                pw = [float(w[p].sum()) for p in pieces]
                keep = int(np.argmax(pw))
                go = [v] + [x for i, p in enumerate(pieces) if i != keep for x in p]
                moved_w = float(w[go].sum())
                if moved_w < loads[a] - loads[b] - 1e-9:
                    apply(go, a, b)
                    moved = True
                    break
        if not moved:
            chain = _chain_move(label, loads, w, src, dst, indptr, indices, aps)
            if chain:
                for v, a, b in chain:
                    apply([v], a, b)
                moved = True
        if not moved:
            break
    return label


def _lex_smaller(new: np.ndarray, old: np.ndarray, tol: float = 1e-9) -> bool:
    """Whether the loads ``new``, sorted heaviest first, come before ``old`` lexicographically
    (the heaviest part lighter, or as heavy and the next one lighter, ...)."""
    a, b = np.sort(new)[::-1], np.sort(old)[::-1]
    differ = np.flatnonzero(np.abs(a - b) > tol)
    return bool(len(differ)) and a[differ[0]] < b[differ[0]]


def _chain_move(label: np.ndarray, loads: np.ndarray, w: np.ndarray, src: np.ndarray, dst: np.ndarray,
                indptr: np.ndarray, indices: np.ndarray, aps: dict[int, set[int]],
                *, max_len: int = 5, max_paths: int = 400) -> list[tuple[int, int, int]]:
    """An ejection chain from the heaviest part ``H`` to a lighter part ``L`` along a simple path of
    neighbouring parts: each part on the path passes one boundary vertex to the next (the first
    as close as possible to half the load gap, the others as close as possible to what they
    received), so ``H`` sheds load, ``L`` takes it and the parts between keep about their load.

    Returns the moves ``(vertex, from, to)`` of the best chain (paths of up to ``max_len`` steps,
    at most ``max_paths`` of them) that makes ``H`` lighter and the loads, heaviest first,
    lexicographically smaller (so the search cannot cycle), or an empty list. A part passes on a
    vertex that does not hold it together and is not the only contact of the vertex it received,
    and the vertex touches the next part, so every part stays connected."""
    la, lb = label[src], label[dst]
    cross = la != lb
    cs, ca, cb = src[cross], la[cross], lb[cross]
    boundary: dict[tuple[int, int], np.ndarray] = {}
    nbrs: dict[int, list[int]] = {}
    if len(cs):
        order = np.lexsort((cs, cb, ca))
        cs, ca, cb = cs[order], ca[order], cb[order]
        cut = np.flatnonzero((np.diff(ca) != 0) | (np.diff(cb) != 0)) + 1
        for grp_s, a, b in zip(np.split(cs, cut), ca[np.r_[0, cut]], cb[np.r_[0, cut]]):
            boundary[(int(a), int(b))] = np.unique(grp_s)
            nbrs.setdefault(int(a), []).append(int(b))
    H = int(np.argmax(loads))
    best: tuple[np.ndarray, list[tuple[int, int, int]]] | None = None
    tried = 0

    def movable(p: int, q: int) -> np.ndarray:
        if p not in aps:
            aps[p] = _articulation(np.flatnonzero(label == p), label, p, indptr, indices)
        cand = boundary.get((p, q), np.zeros(0, dtype=np.int64))
        return np.array([v for v in cand if int(v) not in aps[p]], dtype=np.int64)

    def contact_ok(v_in: int, v_out: int, p: int) -> bool:
        nb = indices[indptr[v_in]:indptr[v_in + 1]]
        return bool(((label[nb] == p) & (nb != v_out)).any())

    # depth-first over simple paths of parts, lighter neighbours first
    stack: list[tuple[list[int], list[tuple[int, int, int]], np.ndarray]] = [([H], [], loads.copy())]
    while stack and tried < max_paths:
        path, moves, cur = stack.pop()
        p = path[-1]
        if len(path) > max_len:
            continue
        for q in sorted(nbrs.get(p, []), key=lambda x: -loads[x]):  # popped lightest first
            if q in path or tried >= max_paths:
                continue
            cand = movable(p, q)
            if moves:
                v_in = moves[-1][0]
                cand = np.array([v for v in cand if v != v_in and contact_ok(v_in, int(v), p)], dtype=np.int64)
                target = w[v_in]
            else:
                if (label == p).sum() <= 1:
                    continue
                target = (loads[H] - loads[q]) / 2.0
            if len(cand) == 0:
                continue
            v = int(cand[np.argmin(np.abs(w[cand] - target))])
            new = cur.copy()
            new[p] -= w[v]
            new[q] += w[v]
            step = moves + [(v, p, q)]
            tried += 1
            if new[H] < loads[H] - 1e-9 and _lex_smaller(new, loads):
                if best is None or _lex_smaller(new, best[0]):
                    best = (new, step)
            stack.append((path + [q], step, new))
    return best[1] if best is not None else []


def _ratio(w: np.ndarray, label: np.ndarray, k: int) -> float:
    loads = np.bincount(label, weights=w, minlength=k)
    mean = loads.mean()
    return float(loads.max() / mean) if mean > 0 else 1.0


def _partition_connected(
    A: sparse.csr_matrix, w: np.ndarray, k: int, *, max_ratio: float, seed: int, restarts: int,
    xy: np.ndarray | None = None,
) -> np.ndarray:
    """Split one connected graph into ``k`` connected parts of balanced total ``w``."""
    n = A.shape[0]
    if k <= 1 or n <= 1:
        return np.zeros(n, dtype=np.int64)
    if k >= n:
        return np.arange(n, dtype=np.int64)
    rng = np.random.default_rng(seed)
    best, best_ratio = None, np.inf
    # the best any split can do: the heaviest vertex, or the mean
    floor = max(1.0, float(w.max() / (w.sum() / k))) if w.sum() > 0 else 1.0
    for attempt in range(max(1, restarts)):
        label = _refine(A, w, _grow(A, w, k, rng, xy, jitter=0.0 if attempt == 0 else 0.25), k, max_moves=20 * n)
        r = _ratio(w, label, k)
        if r < best_ratio - 1e-12:
            best, best_ratio = label, r
        if best_ratio <= max(max_ratio, floor) + 1e-9:
            break
    return best


@dataclass(frozen=True)
class _Parts:
    label: np.ndarray  # part per vertex, 0..k-1
    component: np.ndarray  # component (of the graph without links) per vertex
    attached: np.ndarray  # bool: vertex lies on a fragment joined through a link
    links: list[tuple[int, int, float]]  # (fragment vertex, target vertex, distance)
    k_per_group: dict[int, int]  # group (major component) -> parts
    lower_bound: float  # lower bound of max load / mean load


def _partition(
    A: sparse.csr_matrix,
    w: np.ndarray,
    k: int,
    *,
    link: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray, np.ndarray]],
    fragment_share: float,
    too_many: str,
    what: str,
    max_ratio: float,
    seed: int,
    restarts: int,
    xy: np.ndarray | None = None,
) -> _Parts:
    """Balanced connected ``k``-partition of a graph that may fall apart into components.

    Components lighter than ``fragment_share`` of a part's mean load (never the heaviest one) are
    fragments: ``link(fragment_vertices, major_vertices)`` gives, for each fragment vertex, its
    nearest major vertex and the distance, and each fragment joins through its shortest link.
    The remaining (major) components each get at least one part; spare parts go one by one to the
    component with the highest load per part (this minimises the largest load per part).
    """
    n = A.shape[0]
    ncomp, comp = connected_components(A, directed=False)
    comp_w = np.bincount(comp, weights=w, minlength=ncomp)
    total = float(w.sum())
    mean = total / k if k else 0.0
    major = comp_w >= fragment_share * mean
    major[np.argmax(comp_w)] = True
    if fragment_share <= 0:
        major[:] = True
    if major.sum() > k:
        if too_many == "raise":
            raise InfeasibleError(
                f"{what}: the network falls apart into {int(major.sum())} separate parts that each carry at "
                f"least {fragment_share:.0%} of a beat's mean workload, but only k={k} beats were asked for; "
                f"every beat must be connected, so give k >= {int(major.sum())}, or join the parts (check the "
                f"main-road classes), or raise fragment_share so small parts join their nearest beat",
                code="split.disconnected", what=what, parts=int(major.sum()), k=k,
            )
        # attach the lightest majors as fragments until k suffice
        order = np.argsort(comp_w[major.nonzero()[0]])
        majors = major.nonzero()[0][order]
        major[majors[: int(major.sum()) - k]] = False
    group = comp.copy()
    links: list[tuple[int, int, float]] = []
    attached = ~major[comp]
    rows, cols, vals = [], [], []
    if attached.any():
        frag_v = np.flatnonzero(attached)
        major_v = np.flatnonzero(~attached)
        fv, tv, dv = link(frag_v, major_v)
        # one link per fragment: its shortest
        order = np.lexsort((dv, comp[fv]))
        fv, tv, dv = fv[order], tv[order], dv[order]
        firsts = np.unique(comp[fv], return_index=True)[1]
        for i in firsts:
            links.append((int(fv[i]), int(tv[i]), float(dv[i])))
            group[comp == comp[fv[i]]] = comp[tv[i]]
            rows.append(int(fv[i]))
            cols.append(int(tv[i]))
            vals.append(max(float(dv[i]), _EPS_S))
        unlinked = set(np.unique(comp[frag_v]).tolist()) - {int(comp[f]) for f, _, _ in links}
        if unlinked:  # pragma: no cover - link() answers every vertex
            raise InfeasibleError(f"{what}: {len(unlinked)} fragment(s) could not be joined to any larger part",
                                 code="split.fragments", what=what, n=len(unlinked))
    if rows:
        L = sparse.csr_matrix((vals, (rows, cols)), shape=(n, n))
        A = (A + L + L.T).tocsr()
    groups = np.unique(group)
    gw = np.array([w[group == g].sum() for g in groups])
    gsize = np.array([(group == g).sum() for g in groups])
    kg = np.ones(len(groups), dtype=np.int64)
    for _ in range(k - len(groups)):
        room = kg < gsize
        if not room.any():
            break
        score = np.where(room, gw / kg, -np.inf)
        kg[int(np.argmax(score))] += 1
    label = np.zeros(n, dtype=np.int64)
    base = 0
    for g, kk in zip(groups, kg):
        vs = np.flatnonzero(group == g)
        sub = A[vs][:, vs].tocsr()
        lab = _partition_connected(sub, w[vs], int(kk), max_ratio=max_ratio, seed=seed + int(g), restarts=restarts,
                                    xy=None if xy is None else xy[vs])
        label[vs] = lab + base
        base += int(kk)
    k_used = base
    m = total / k_used if k_used and total > 0 else 0.0
    lower = max(float(np.max(gw / kg)), float(w.max()) if n else 0.0) / m if m > 0 else 1.0
    return _Parts(label, comp, attached, links, dict(zip(groups.tolist(), kg.tolist())), max(1.0, lower))


def _order_labels(label: np.ndarray, points: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Renumber parts in reading order of their weighted centre (north to south, west to east,
    in 1 km bands), so numbering is stable and readable on a map."""
    k = int(label.max()) + 1
    x, y = shapely.get_x(points), shapely.get_y(points)
    ww = np.where(w > 0, w, 1.0)
    tot = np.bincount(label, weights=ww, minlength=k)
    cx = np.bincount(label, weights=ww * x, minlength=k) / tot
    cy = np.bincount(label, weights=ww * y, minlength=k) / tot
    order = np.lexsort((cx, -np.floor(cy / 1000.0)))
    new = np.empty(k, dtype=np.int64)
    new[order] = np.arange(k)
    return new[label]
