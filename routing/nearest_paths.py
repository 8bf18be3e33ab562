"""Shortest paths among a few places, compiled: Dijkstra from each place, stopped once it reaches the others.

A grid team's loop needs the walking distances among its two dozen places, not from them to the
whole city: :func:`distances_among` runs one Dijkstra (binary heap, numba, ``cache=True``) from each
place on the arcs of a :class:`scipy.sparse.csr_matrix`, kept to the nodes it is allowed
(``near``: the streets around the places), and stops as soon as every place is settled. Distances
are those of :func:`scipy.sparse.csgraph.dijkstra` on the same sub-graph (tested); among paths of
equal length the one kept may differ.
"""

from __future__ import annotations

import heapq

import numba
import numpy as np
from scipy import sparse

__all__ = ["distances_among"]


@numba.njit(cache=True)
def _among(indptr, indices, data, local, near, src):  # pragma: no cover - compiled
    n_src, n_near = len(src), len(near)
    dist = np.full((n_src, n_near), np.inf)
    pred = np.full((n_src, n_near), -9999, dtype=np.int32)
    is_target = np.zeros(n_near, dtype=np.bool_)
    for s in range(n_src):
        is_target[src[s]] = True
    n_targets = int(is_target.sum())
    done = np.zeros(n_near, dtype=np.bool_)
    for s in range(n_src):
        d = dist[s]
        done[:] = False
        left = n_targets
        d[src[s]] = 0.0
        heap = [(0.0, src[s])]
        while len(heap):
            du, u = heapq.heappop(heap)
            if done[u]:
                continue
            done[u] = True
            if is_target[u]:
                left -= 1
                if left == 0:
                    break
            g = near[u]
            for k in range(indptr[g], indptr[g + 1]):
                v = local[indices[k]]
                if v < 0:
                    continue
                nd = du + data[k]
                if nd < d[v]:
                    d[v] = nd
                    pred[s, v] = u
                    heapq.heappush(heap, (nd, v))
    return dist, pred


def distances_among(graph: sparse.csr_matrix, near: np.ndarray, sources: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Shortest distances from each of ``sources`` over the nodes ``near`` of ``graph``.

    Parameters
    ----------
    graph
        Weighted adjacency (``graph[u, v]``: the arc's weight, > 0), in CSR form.
    near
        The nodes the paths may use (indices of ``graph``'s rows, no repeats).
    sources
        Positions in ``near`` of the places (each must be one of ``near``).

    Returns
    -------
    dist, pred
        ``(len(sources), len(near))`` arrays, both over positions in ``near``: the distance from each
        source, final (exact) at every source, ``inf`` where no path within ``near`` reaches it;
        the predecessor on the shortest path (``-9999`` at the source and where unreached), as
        :func:`scipy.sparse.csgraph.dijkstra` gives them. Other nodes' entries may be left
        unfinished: the search stops once every source is reached.
    """
    near = np.ascontiguousarray(near, dtype=np.int64)
    local = np.full(graph.shape[0], -1, dtype=np.int64)
    local[near] = np.arange(len(near))
    return _among(graph.indptr.astype(np.int64, copy=False), graph.indices.astype(np.int64, copy=False),
                  graph.data.astype(np.float64, copy=False), local, near,
                  np.ascontiguousarray(sources, dtype=np.int64))
