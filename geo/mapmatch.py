"""Which street each GPS ping was on: a hidden-Markov map matcher (Newson & Krumm 2009).

A ping's nearest street is often the wrong one: at a crossing, beside a parallel lane, in a dense
block a 15 m error puts it on the neighbour. The matcher chooses the sequence of arcs that best
explains the whole track: each ping's candidates are the arcs within ``radius_m`` (at most
``k``), scored by how far the ping lies from each (Gaussian, ``sigma_m``); a move from one candidate
to the next is scored by how much longer the drive along the streets is than the straight line
between the two pings (exponential, ``beta_m``: a unit does not leave a street and come back in 10
seconds). Viterbi picks the best sequence; a ping with no candidate, a gap in the track or a move no
street allows starts a new piece.

The arcs are the workspace's ``road_edges`` (directed: a two-way street has two), their network
distances come from :func:`scipy.sparse.csgraph.dijkstra` from the arcs' ends, bounded by the
longest move worth considering; nothing beyond that is searched.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import shapely
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from geo.tracks import CleanTrack

__all__ = ["RoadArcs", "match_pings", "minutes_on_arcs"]

#: Candidates per ping, their search radius (m), the ping noise (m) and the detour scale (m).
K = 12
RADIUS_M = 50.0
SIGMA_M = 20.0
BETA_M = 60.0
#: Sources per Dijkstra batch (rows of a dense distance table: keep memory bounded).
_BATCH = 256


class RoadArcs:
    """The directed arcs a track is matched to: ``u``/``v`` node ids, geometry (metres) and length."""

    def __init__(self, u: Sequence[int], v: Sequence[int], geometry: Sequence[shapely.Geometry]):
        self.u = np.asarray(u, dtype=np.int64)
        self.v = np.asarray(v, dtype=np.int64)
        self.geometry = np.asarray(geometry, dtype=object)
        self.length = shapely.length(self.geometry)
        self.tree = shapely.STRtree(self.geometry)
        nodes, inv = np.unique(np.concatenate([self.u, self.v]), return_inverse=True)
        self.nodes = nodes
        self.iu, self.iv = inv[: len(self.u)], inv[len(self.u):]
        n = len(nodes)
        w = np.maximum(self.length, 1e-3)  # (a zero weight would read as no arc)
        order = np.lexsort((w, self.iv, self.iu))  # parallel arcs: the shortest kept
        first = np.ones(len(order), dtype=bool)
        first[1:] = (self.iu[order][1:] != self.iu[order][:-1]) | (self.iv[order][1:] != self.iv[order][:-1])
        keep = order[first]
        self.csr = csr_matrix((w[keep], (self.iu[keep], self.iv[keep])), shape=(n, n))


def _candidates(arcs: RoadArcs, x: np.ndarray, y: np.ndarray, radius_m: float, k: int
                ) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
    """Per ping: candidate arcs (the ``k`` nearest within ``radius_m``), their distance and the
    position of the ping's projection along each (m from the arc's start)."""
    pts = shapely.points(x, y)
    hit_p, hit_a = arcs.tree.query(pts, predicate="dwithin", distance=radius_m)
    d = shapely.distance(pts[hit_p], arcs.geometry[hit_a])
    at = shapely.line_locate_point(arcs.geometry[hit_a], pts[hit_p])
    order = np.lexsort((d, hit_p))
    hit_p, hit_a, d, at = hit_p[order], hit_a[order], d[order], at[order]
    starts = np.searchsorted(hit_p, np.arange(len(x) + 1))
    cand, dist, pos = [], [], []
    for i in range(len(x)):
        a, b = starts[i], min(starts[i + 1], starts[i] + k)
        cand.append(hit_a[a:b])
        dist.append(d[a:b])
        pos.append(at[a:b])
    return cand, dist, pos


def match_pings(arcs: RoadArcs, x: np.ndarray, y: np.ndarray, *, breaks: np.ndarray | None = None,
                radius_m: float = RADIUS_M, sigma_m: float = SIGMA_M, beta_m: float = BETA_M, k: int = K,
                max_route_m: float = 3000.0) -> np.ndarray:
    """The arc (index into ``arcs``) each ping was on, ``-1`` where none fits (no street within
    ``radius_m``). ``breaks``: pings after which the track has a gap (a new piece starts)."""
    n = len(x)
    out = np.full(n, -1, dtype=np.int64)
    if not n:
        return out
    cand, dist, pos = _candidates(arcs, np.asarray(x, float), np.asarray(y, float), radius_m, k)
    brk = np.zeros(n, dtype=bool) if breaks is None else np.asarray(breaks, bool)
    # network distances from the end of each candidate arc to the start of each one: a table over the
    # track's candidate arcs only (rows: their end nodes, columns: their start nodes)
    every = np.unique(np.concatenate([c for c in cand if len(c)] or [np.zeros(0, np.int64)]))
    src, src_row = np.unique(arcs.iv[every], return_inverse=True)
    tgt, tgt_col = np.unique(arcs.iu[every], return_inverse=True)
    table = np.empty((len(src), len(tgt)), dtype=np.float32)
    for s0 in range(0, len(src), _BATCH):
        table[s0: s0 + _BATCH] = dijkstra(arcs.csr, indices=src[s0: s0 + _BATCH], limit=max_route_m)[:, tgt]
    at = [np.searchsorted(every, c) for c in cand]
    rows, cols = [src_row[j] for j in at], [tgt_col[j] for j in at]
    step = np.hypot(np.diff(x), np.diff(y)) if n > 1 else np.zeros(0)

    def emit(i: int) -> np.ndarray:
        return -0.5 * (dist[i] / sigma_m) ** 2

    def close(i: int, score: np.ndarray, back: list[np.ndarray], first: int) -> None:
        """Follow the best sequence of the piece ``first``..``i`` back and write it."""
        j = int(np.argmax(score))
        for m in range(i, first - 1, -1):
            out[m] = cand[m][j]
            if m > first:
                j = int(back[m - first - 1][j])

    first, score, back = -1, None, []
    for i in range(n):
        if not len(cand[i]):
            if score is not None:
                close(i - 1, score, back, first)
            first, score, back = -1, None, []
            continue
        if score is None:
            first, score, back = i, emit(i), []
        else:
            a_arc, b_arc = cand[i - 1], cand[i]
            before, now = pos[i - 1][:, None], pos[i][None, :]
            mid = table[rows[i - 1][:, None], cols[i][None, :]]
            route = arcs.length[a_arc][:, None] - before + mid + now
            stay = (a_arc[:, None] == b_arc[None, :]) & (now >= before - 2 * sigma_m)
            route = np.where(stay, np.abs(now - before), route)  # along the same arc (or standing)
            trans = -np.abs(route - step[i - 1]) / beta_m
            total = score[:, None] + trans
            best = np.argmax(total, axis=0)
            new = total[best, np.arange(len(b_arc))]
            if not np.isfinite(new).any():  # no street joins them: a new piece
                close(i - 1, score, back, first)
                first, score, back = i, emit(i), []
            else:
                back.append(best)
                score = new + emit(i)
        if brk[i]:
            close(i, score, back, first)
            first, score, back = -1, None, []
    if score is not None:
        close(n - 1, score, back, first)
    return out


def minutes_on_arcs(arcs: RoadArcs, tracks: Sequence[CleanTrack], **options: float) -> np.ndarray:
    """Minutes the ``tracks`` spent on each arc: each good ping's time to the next one (none across a
    gap) goes to the arc the matcher put it on (a ping on none counts for none)."""
    out = np.zeros(len(arcs.u))
    for tr in tracks:
        m = tr.good
        if not m.any():
            continue
        dt = tr.dt[m]
        on = match_pings(arcs, tr.x[m], tr.y[m], breaks=dt <= 0, **options)
        ok = (on >= 0) & (dt > 0)
        np.add.at(out, on[ok], dt[ok] / 60.0)
    return out
