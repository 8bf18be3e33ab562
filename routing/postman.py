"""Directed (rural) Chinese postman tours and their min-max split among several vehicles.

A patrol vehicle must drive every *required* arc (for the brigade: every main-road arc of its beat,
each direction of a two-way street being its own arc) at least once and come back to its base. On a
directed road graph that is the directed rural postman problem:

1. **Balance.** In the multigraph of required arcs, a node with more arcs in than out must be left
   again by ``in - out`` extra *deadhead* passes (and the opposite for the others). The cheapest set of
   deadhead arcs balancing every node is a min-cost flow on the road graph (supply ``in - out``, every
   arc of ``G`` with unbounded capacity and cost its weight), solved exactly by OR-Tools'
   ``SimpleMinCostFlow`` on integer costs (weights x 100: centimetres for ``length_m``).
2. **Euler circuit.** Required plus deadhead arcs form a balanced multigraph; when it is connected a
   closed walk uses each of its arcs exactly once (Hierholzer's algorithm, from the depot).

When the required arcs and the depot form one weakly connected component, step 1 always leaves the
multigraph connected and the tour is optimal (``gap == 0``). Otherwise the pieces the flow leaves apart
are joined and the balance is solved again: a minimum spanning tree over the pieces whose connecting
paths become required, either both ways (Frederickson's heuristic: edge cost = shortest path there and
back) or only the shorter way (the flow then picks the way back), over the pieces of the required arcs
alone or of the required arcs plus the first balancing flow (kept); the cheapest of the four wins.
The lower bound of the answer is the required cost plus the min-cost flow of the unconnected problem,
so ``gap = cost / lower_bound - 1`` bounds how far from optimal the tour can be.

One-way streets are obeyed by construction: every arc of a tour is an arc of ``G``.

Units: lengths in metres (``*_m``), times in seconds (``*_s``); ``cost`` and ``lower_bound`` are in
the unit of the chosen ``weight`` attribute. Inputs are never modified.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import networkx as nx
import numpy as np
from ortools.graph.python import min_cost_flow
from scipy import sparse
from scipy.sparse.csgraph import breadth_first_order, connected_components, dijkstra, minimum_spanning_tree

from geo.errors import InfeasibleError, InputError

__all__ = [
    "COST_SCALE",
    "Tour",
    "KRoutes",
    "ArcTable",
    "arc_table",
    "postman_tour",
    "split_tour",
    "balance_flow",
    "postman_arcs",
    "sub_table",
    "node_xy",
    "with_weight",
    "with_reversed",
]

#: Integer costs for the flow solver: weight x COST_SCALE (centimetres for metres, centiseconds for s).
COST_SCALE = 100
#: Above this many (surplus nodes x graph nodes), the balancing flow runs on the whole graph instead
#: of shortest paths from each surplus node.
_TRANSPORT_CELLS = 3_000_000
_EPS = 1e-9  # weight given to zero-weight arcs in shortest paths (scipy drops explicit zeros)

Arc = tuple[Hashable, Hashable, int]


# --------------------------------------------------------------------------------------------
# the graph as arrays
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class ArcTable:
    """The arcs of a road graph as arrays (built once by :func:`arc_table`, reused between solves).

    ``tail``/``head`` index ``nodes``; ``weight`` is the optimised attribute, ``length_m`` (metres)
    and ``travel_time_s`` (seconds) are always kept. ``best`` maps a node pair ``tail * n + head`` to
    its cheapest arc (the one shortest paths use).
    """

    nodes: list[Hashable]
    index: dict[Hashable, int]
    keys: list[Any]
    tail: np.ndarray
    head: np.ndarray
    weight: np.ndarray
    length_m: np.ndarray
    travel_time_s: np.ndarray
    edge_id: np.ndarray
    weight_name: str
    by_edge_id: dict[int, int]
    by_arc: dict[Arc, int]
    best: dict[int, int]
    uniq: np.ndarray  # indices of the cheapest arc of each node pair
    _cache: dict[str, Any] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(self.nodes)

    def arc(self, i: int) -> Arc:
        return (self.nodes[self.tail[i]], self.nodes[self.head[i]], self.keys[i])

    def csr(self, *, reverse: bool = False) -> sparse.csr_matrix:
        """Cheapest-arc weight matrix (``reverse``: transposed, for distances *to* nodes)."""
        name = "csr_rev" if reverse else "csr"
        if name not in self._cache:
            u, v = self.tail[self.uniq], self.head[self.uniq]
            if reverse:
                u, v = v, u
            w = np.maximum(self.weight[self.uniq], _EPS)
            self._cache[name] = sparse.csr_matrix((w, (u, v)), shape=(self.n, self.n))
        return self._cache[name]

    def strong_parts(self) -> np.ndarray:
        """Per node, the label of its strongly connected part (made once per table)."""
        if "scc" not in self._cache:
            self._cache["scc"] = connected_components(self.csr(), directed=True, connection="strong")[1]
        return self._cache["scc"]

    def path_arcs(self, pred: np.ndarray, source: int, target: int) -> list[int]:
        """Arc indices of the shortest path ``source -> target`` from a Dijkstra predecessor row."""
        out: list[int] = []
        n = self.n
        v = target
        while v != source:
            u = int(pred[v])
            if u < 0:
                raise InfeasibleError(f"no path from node {self.nodes[source]} to node {self.nodes[target]}")
            out.append(self.best[u * n + v])
            v = u
        out.reverse()
        return out

    def path_arcs_back(self, pred_rev: np.ndarray, source: int, target: int) -> list[int]:
        """Arc indices of the shortest path ``source -> target`` from the predecessor row of a Dijkstra
        run *from* ``target`` on the reversed graph (``csr(reverse=True)``)."""
        out: list[int] = []
        n = self.n
        v = source
        while v != target:
            u = int(pred_rev[v])
            if u < 0:
                raise InfeasibleError(f"no path from node {self.nodes[source]} to node {self.nodes[target]}")
            out.append(self.best[v * n + u])
            v = u
        return out


def arc_table(G: nx.MultiDiGraph, *, weight: str = "length_m") -> ArcTable:
    """The arcs of ``G`` as arrays.

    Parameters
    ----------
    G
        Directed road graph (:func:`routing.graph.graph_from_layers`); arcs need ``weight`` (>= 0),
        and ``length_m``/``travel_time_s`` are read when present (else ``length``/``travel_time``, else
        the weight).
    weight
        Arc attribute minimised, e.g. ``length_m`` (metres) or ``travel_time_s`` (seconds).

    Raises
    ------
    InputError
        When an arc lacks the weight, or it is negative or not finite.
    """
    if not isinstance(G, nx.MultiDiGraph | nx.DiGraph) or not G.is_directed():
        raise InputError(f"postman tours need a directed road graph (networkx MultiDiGraph), not {type(G).__name__}")
    nodes = list(G.nodes)
    index = {n: i for i, n in enumerate(nodes)}
    # the arcs in G.edges' order, read from the adjacency itself (no edge view per arc)
    if G.is_multigraph():
        edges = [(u, v, k, d) for u, nbrs in G._succ.items() for v, kd in nbrs.items() for k, d in kd.items()]
    else:
        edges = [(u, v, 0, d) for u, nbrs in G._succ.items() for v, d in nbrs.items()]
    m = len(edges)
    tail = np.empty(m, dtype=np.int64)
    head = np.empty(m, dtype=np.int64)
    w = np.empty(m, dtype=float)
    length = np.empty(m, dtype=float)
    ttime = np.empty(m, dtype=float)
    eid = np.full(m, -1, dtype=np.int64)
    keys: list[Any] = []
    for i, (u, v, k, d) in enumerate(edges):
        tail[i] = index[u]
        head[i] = index[v]
        keys.append(k)
        val = d.get(weight)
        if val is None:
            raise InputError(f"road graph arc ({u}, {v}, {k}) has no '{weight}'; choose weight= an arc attribute "
                             f"every arc has (length_m, travel_time_s)")
        w[i] = float(val)
        length[i] = float(d.get("length_m", d.get("length", val)))
        ttime[i] = float(d.get("travel_time_s", d.get("travel_time", np.nan)))
        if "edge_id" in d and d["edge_id"] is not None:
            eid[i] = int(d["edge_id"])
    bad = ~np.isfinite(w) | (w < 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(f"arc ({nodes[tail[i]]}, {nodes[head[i]]}, {keys[i]}) has {weight}={w[i]}; "
                         f"arc weights must be finite and >= 0")
    return _assemble(nodes, keys, tail, head, w, length, ttime, eid, weight)


def with_weight(tab: ArcTable, weight: str) -> ArcTable:
    """The same arcs as ``tab`` minimising another of the weights it keeps (``length_m`` or
    ``travel_time_s``): :func:`arc_table` of the same graph with that weight, without reading the
    graph again.

    Raises
    ------
    InputError
        When some arc lacks the weight.
    """
    if weight == tab.weight_name:
        return tab
    if weight not in ("length_m", "travel_time_s"):
        raise InputError(f"an arc table keeps length_m and travel_time_s, not '{weight}'")
    w = getattr(tab, weight)
    bad = ~np.isfinite(w) | (w < 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(f"road graph arc {tab.arc(i)} has no valid '{weight}' ({w[i]}); choose weight= an arc "
                         f"attribute every arc has (length_m, travel_time_s)")
    uniq, best = _cheapest(tab.tail, tab.head, w, tab.n)
    return replace(tab, weight=w.copy(), weight_name=weight, best=best, uniq=uniq, _cache={})


def with_reversed(tab: ArcTable, arcs: np.ndarray, keys: list[Any]) -> ArcTable:
    """``tab``'s arcs followed by the reverse of its ``arcs`` (same weights and ``edge_id``; the
    given ``keys``), as one table: the arcs of a graph where those streets may also be used the
    other way."""
    w = tab.weight
    out = _assemble(tab.nodes, tab.keys + list(keys), np.r_[tab.tail, tab.head[arcs]], np.r_[tab.head, tab.tail[arcs]],
                    np.r_[w, w[arcs]], np.r_[tab.length_m, tab.length_m[arcs]],
                    np.r_[tab.travel_time_s, tab.travel_time_s[arcs]], np.r_[tab.edge_id, tab.edge_id[arcs]],
                    tab.weight_name)
    out._cache["reverses"] = (tab, np.asarray(arcs, dtype=np.int64))  # what its arcs are drawn from
    return out


def sub_table(tab: ArcTable, keep: np.ndarray) -> tuple[ArcTable, np.ndarray]:
    """The arcs of ``tab`` between the nodes where ``keep`` (bool per node) holds, as their own table,
    and per arc of it the arc's index in ``tab`` (to solve a small region's tours on small arrays)."""
    arcs = np.flatnonzero(keep[tab.tail] & keep[tab.head])
    kept = np.flatnonzero(keep)
    pos = np.full(tab.n, -1, dtype=np.int64)
    pos[kept] = np.arange(len(kept))
    sub = _assemble([tab.nodes[i] for i in kept.tolist()], [tab.keys[i] for i in arcs.tolist()],
                    pos[tab.tail[arcs]], pos[tab.head[arcs]], tab.weight[arcs], tab.length_m[arcs],
                    tab.travel_time_s[arcs], tab.edge_id[arcs], tab.weight_name)
    return sub, arcs


def _assemble(nodes: list[Hashable], keys: list[Any], tail: np.ndarray, head: np.ndarray, w: np.ndarray,
              length: np.ndarray, ttime: np.ndarray, eid: np.ndarray, weight: str) -> ArcTable:
    index = {n: i for i, n in enumerate(nodes)}
    by_edge_id: dict[int, int] = {}
    for i, e in enumerate(eid.tolist()):
        if e >= 0:
            by_edge_id.setdefault(e, i)
    by_arc = {(nodes[t], nodes[h], k): i for i, (t, h, k) in enumerate(zip(tail.tolist(), head.tolist(), keys))}
    uniq, best = _cheapest(tail, head, w, len(nodes))
    return ArcTable(nodes, index, keys, tail, head, w, length, ttime, eid, weight, by_edge_id, by_arc, best, uniq)


def _cheapest(tail: np.ndarray, head: np.ndarray, w: np.ndarray, n: int) -> tuple[np.ndarray, dict[int, int]]:
    """The cheapest arc of each node pair (the first of equals): their indices, and pair -> index."""
    m = len(tail)
    pair = tail * n + head
    order = np.lexsort((np.arange(m), w, pair))
    first = np.ones(m, dtype=bool)
    first[1:] = pair[order][1:] != pair[order][:-1]
    uniq = order[first]
    return uniq, dict(zip(pair[uniq].tolist(), uniq.tolist()))


def node_xy(G: nx.MultiDiGraph, tab: ArcTable) -> np.ndarray:
    """The coordinates of ``tab``'s nodes (``(n, 2)``, in its order), made on first use and kept
    with the table."""
    xy = tab._cache.get("xy")
    if xy is None:
        xy = tab._cache["xy"] = np.array([(G.nodes[n]["x"], G.nodes[n]["y"]) for n in tab.nodes],
                                         dtype=float).reshape(-1, 2)
    return xy


# --------------------------------------------------------------------------------------------
# results
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Tour:
    """A closed walk from ``depot`` covering the required arcs.

    Attributes
    ----------
    arcs
        The walk as ``(u, v, key)`` arcs of ``G``, in driving order: ``arcs[0][0] == arcs[-1][1] ==
        depot`` and ``arcs[i][1] == arcs[i + 1][0]``.
    serviced
        Per arc of ``arcs``: this pass is the one that covers a required arc (each required arc is
        serviced exactly once; the other passes are deadheading).
    edge_ids
        ``edge_id`` of every arc of ``arcs`` (-1 where the graph has none).
    depot
        Start and end node.
    weight
        The arc attribute minimised; ``cost`` and ``lower_bound`` are in its unit.
    length_m, required_length_m, deadhead_length_m
        Metres driven in all, on the required arcs' service passes, and the rest.
    travel_time_s
        Seconds at each arc's class speed (``travel_time_s``), without stops.
    lower_bound
        No closed walk covering the required arcs costs less (``cost`` when optimal).
    gap
        ``cost / lower_bound - 1``; 0 when the tour is proven optimal.
    optimal
        The required arcs and the depot formed one weakly connected component (exact algorithm).
    components
        Weakly connected components of the required arcs plus the depot.
    """

    arcs: tuple[Arc, ...]
    serviced: tuple[bool, ...]
    edge_ids: tuple[int, ...]
    depot: Hashable
    weight: str
    cost: float
    length_m: float
    required_length_m: float
    deadhead_length_m: float
    travel_time_s: float
    lower_bound: float
    gap: float
    optimal: bool
    components: int
    n_required: int

    @property
    def lower_bound_m(self) -> float:
        """The lower bound in metres (``nan`` unless the tour minimised ``length_m``)."""
        return self.lower_bound if self.weight in ("length_m", "length") else float("nan")

    @property
    def nodes(self) -> list[Hashable]:
        """The nodes visited in order, depot first and last."""
        if not self.arcs:
            return [self.depot]
        return [self.arcs[0][0]] + [a[1] for a in self.arcs]


@dataclass(frozen=True)
class KRoutes:
    """``k`` closed routes from one depot sharing the required arcs (min-max split of a tour).

    ``max_cost`` is the cost of the longest route, ``lower_bound`` a bound no split can beat
    (``max(tour lower bound / k, costliest round trip depot -> required arc -> depot)``) and
    ``gap = max_cost / lower_bound - 1``. Each route's own ``lower_bound`` is its costliest round
    trip depot -> serviced arc -> depot.
    """

    routes: tuple[Tour, ...]
    tour: Tour
    k: int
    max_cost: float
    lower_bound: float
    gap: float


# --------------------------------------------------------------------------------------------
# the core on arrays
# --------------------------------------------------------------------------------------------
def balance_flow(tab: ArcTable, supply: np.ndarray) -> tuple[np.ndarray, int]:
    """Cheapest deadhead arcs balancing ``supply`` (node index -> out-arcs needed; sums to 0).

    Returns the arc indices (an arc repeated once per unit of flow) and the integer cost
    (weights x :data:`COST_SCALE`). With unbounded capacities the cheapest flow runs along shortest
    paths, so it is solved as the transportation problem between the surplus and the deficit nodes:
    shortest paths in integer costs from each surplus node (scipy's Dijkstra), then OR-Tools
    ``SimpleMinCostFlow`` on the small bipartite graph; on a large graph with many unbalanced nodes,
    the flow over the cheapest arc of every node pair instead. Both give the same (exact) cost.

    Raises
    ------
    InfeasibleError
        When some surplus cannot reach a deficit (one-way streets cut the graph).
    """
    supply = np.asarray(supply, dtype=np.int64)
    total = int(supply[supply > 0].sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64), 0
    src, dst = np.flatnonzero(supply > 0), np.flatnonzero(supply < 0)
    if len(src) * tab.n <= _TRANSPORT_CELLS:
        return _transport_flow(tab, supply, src, dst, total)
    uniq = tab.uniq
    f, cost = _solve_flow(tab.tail[uniq], tab.head[uniq], np.rint(tab.weight[uniq] * COST_SCALE), supply, total)
    used = np.flatnonzero(f)
    return np.repeat(uniq[used], f[used]), cost


def _solve_flow(tail: np.ndarray, head: np.ndarray, cost: np.ndarray, supply: np.ndarray, cap: int
                ) -> tuple[np.ndarray, int]:
    """OR-Tools' min-cost flow on arcs ``tail -> head`` (integer ``cost``, capacity ``cap``) meeting
    ``supply`` (per node 0..len-1): the flow per arc and its cost."""
    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(tail.astype(np.int32), head.astype(np.int32),
                                              np.full(len(tail), cap, dtype=np.int64), cost.astype(np.int64))
    flow.set_nodes_supplies(np.arange(len(supply), dtype=np.int32), supply)
    status = flow.solve()
    if status != flow.OPTIMAL:
        raise InfeasibleError(
            f"the deadhead flow has no solution (OR-Tools status {status}): some node with extra arrivals "
            f"cannot reach a node with extra departures on the directed road graph",
            code="routes.one_way_apart",
        )
    return flow.flows(np.arange(len(tail), dtype=np.int32)), int(flow.optimal_cost())


def _transport_flow(tab: ArcTable, supply: np.ndarray, src: np.ndarray, dst: np.ndarray, total: int
                    ) -> tuple[np.ndarray, int]:
    icsr = tab._cache.get("icsr")
    if icsr is None:
        u, v = tab.tail[tab.uniq], tab.head[tab.uniq]
        w = np.maximum(np.rint(tab.weight[tab.uniq] * COST_SCALE), _EPS)
        icsr = tab._cache["icsr"] = sparse.csr_matrix((w, (u, v)), shape=(tab.n, tab.n))
    dist, pred = dijkstra(icsr, indices=src, return_predecessors=True)
    d = np.rint(dist[:, dst])
    i_idx, j_idx = np.nonzero(np.isfinite(d))
    f, cost = _solve_flow(i_idx, len(src) + j_idx, d[i_idx, j_idx], np.r_[supply[src], supply[dst]], total)
    out: list[int] = []
    for a in np.flatnonzero(f).tolist():
        i, j = int(i_idx[a]), int(j_idx[a])
        out += tab.path_arcs(pred[i], int(src[i]), int(dst[j])) * int(f[a])
    return np.asarray(out, dtype=np.int64), cost


def _imbalance(tab: ArcTable, arcs: np.ndarray) -> np.ndarray:
    """supply = in-degree - out-degree of the multigraph of ``arcs``."""
    return (np.bincount(tab.head[arcs], minlength=tab.n) - np.bincount(tab.tail[arcs], minlength=tab.n)).astype(np.int64)


def _weak_labels(tab: ArcTable, arcs: np.ndarray, extra_nodes: Sequence[int] = ()) -> tuple[np.ndarray, np.ndarray]:
    """(touched node indices, their weak component label) of the multigraph of ``arcs`` (+ nodes)."""
    touched = np.unique(np.concatenate([tab.tail[arcs], tab.head[arcs], np.asarray(extra_nodes, dtype=np.int64)]))
    pos = np.full(tab.n, -1, dtype=np.int64)
    pos[touched] = np.arange(len(touched))
    a = sparse.csr_matrix((np.ones(len(arcs)), (pos[tab.tail[arcs]], pos[tab.head[arcs]])),
                          shape=(len(touched), len(touched)))
    _, lab = connected_components(a, directed=True, connection="weak")
    return touched, lab


def _hierholzer(tab: ArcTable, arcs: np.ndarray, flags: np.ndarray, start: int) -> tuple[list[int], list[bool]]:
    """Euler circuit from ``start`` through the balanced, connected multigraph ``arcs``."""
    m = len(arcs)
    if m == 0:
        return [], []
    tails = tab.tail[arcs]
    order = np.argsort(tails, kind="stable")
    ptr = np.searchsorted(tails[order], np.arange(tab.n + 1)).tolist()
    end = ptr[1:]
    nxt = ptr[:-1]
    order_l = order.tolist()
    heads = tab.head[arcs].tolist()
    stack_v = [start]
    stack_a = [-1]
    circuit: list[int] = []
    while stack_v:
        v = stack_v[-1]
        p = nxt[v]
        if p < end[v]:
            nxt[v] = p + 1
            j = order_l[p]
            stack_v.append(heads[j])
            stack_a.append(j)
        else:
            stack_v.pop()
            j = stack_a.pop()
            if j >= 0:
                circuit.append(j)
    if len(circuit) != m:
        raise RuntimeError(f"Euler circuit used {len(circuit)} of {m} arcs: the multigraph is not connected")
    circuit.reverse()
    arc_l = arcs.tolist()
    flag_l = flags.tolist()
    return [arc_l[j] for j in circuit], [bool(flag_l[j]) for j in circuit]


def _connectors(tab: ArcTable, touched: np.ndarray, lab: np.ndarray) -> dict[str, list[int]]:
    """Arcs joining the weak components ``lab`` of the ``touched`` nodes, two ways: over the edges
    (i, j) of a minimum spanning tree of the components, ``"both"`` takes the shortest paths i -> j
    and j -> i (Frederickson; tree cost = their sum), ``"one"`` only the shorter of the two (tree
    cost = the shorter; the balancing flow then finds the cheapest way back)."""
    p = int(lab.max()) + 1
    A = tab.csr()
    members = [touched[lab == c] for c in range(p)]
    cost = np.full((p, p), np.inf)
    hits: dict[tuple[int, int], tuple[int, np.ndarray, int]] = {}
    for i in range(p):
        dist, pred, src = dijkstra(A, indices=members[i], min_only=True, return_predecessors=True)
        for j in range(p):
            if i == j:
                continue
            dj = dist[members[j]]
            t = int(np.argmin(dj))
            cost[i, j] = dj[t]
            hits[(i, j)] = (int(src[members[j][t]]), pred, int(members[j][t]))
    off = ~np.eye(p, dtype=bool)
    if not np.all(np.isfinite(cost[off])):
        raise InfeasibleError("the required arcs lie in parts of the road graph that one-way streets keep apart",
                             code="routes.one_way_apart")
    out: dict[str, list[int]] = {}
    for mode, mat in (("both", cost + cost.T), ("one", np.minimum(cost, cost.T))):
        tree = minimum_spanning_tree(sparse.csr_matrix(np.where(off, mat + _EPS, 0.0))).tocoo()
        arcs: list[int] = []
        for i, j in zip(tree.row.tolist(), tree.col.tolist()):
            pairs = ((i, j), (j, i)) if mode == "both" else (((i, j),) if cost[i, j] <= cost[j, i] else ((j, i),))
            for a, b in pairs:
                s, pred, t = hits[(a, b)]
                arcs += tab.path_arcs(pred, s, t)
        out[mode] = arcs
    return out


def _required_indices(tab: ArcTable, required_edges: Iterable[Any]) -> np.ndarray:
    idx: list[int] = []
    for item in required_edges:
        if isinstance(item, tuple):
            if len(item) == 3 and item in tab.by_arc:
                idx.append(tab.by_arc[item])
                continue
            if len(item) == 2 and item[0] in tab.index and item[1] in tab.index:
                key = tab.index[item[0]] * tab.n + tab.index[item[1]]
                if key in tab.best:
                    idx.append(tab.best[key])
                    continue
            raise InputError(f"required arc {item!r} is not an arc (u, v, key) of the road graph")
        try:
            e = int(item)
        except (TypeError, ValueError):
            raise InputError(f"required edge {item!r} is neither an edge_id nor a (u, v, key) arc") from None
        if e not in tab.by_edge_id:
            raise InputError(f"required edge_id {e} is not in the road graph")
        idx.append(tab.by_edge_id[e])
    return np.unique(np.asarray(idx, dtype=np.int64))


def _check_reachable(tab: ArcTable, req: np.ndarray, depot: int) -> None:
    A = tab.csr()
    scc = tab.strong_parts()
    ok = (scc[tab.tail[req]] == scc[depot]) & (scc[tab.head[req]] == scc[depot])
    if ok.all():
        return
    fwd = np.zeros(tab.n, dtype=bool)
    fwd[breadth_first_order(A, depot, directed=True, return_predecessors=False)] = True
    problems = []
    for i in req[~ok].tolist():
        eid, u, v = int(tab.edge_id[i]), tab.nodes[tab.tail[i]], tab.nodes[tab.head[i]]
        what = f"edge_id {eid}" if eid >= 0 else f"arc ({u}, {v}, {tab.keys[i]})"
        if not fwd[tab.tail[i]]:
            problems.append(f"{what} ({u}->{v}) cannot be reached from the depot {tab.nodes[depot]}")
        else:
            problems.append(f"{what} ({u}->{v}): no way back from its end node {v} to the depot {tab.nodes[depot]}")
    shown = "; ".join(problems[:5]) + (f"; and {len(problems) - 5} more" if len(problems) > 5 else "")
    raise InfeasibleError(
        f"{len(problems)} required arc(s) lie outside the depot's strongly connected part of the road graph "
        f"(one-way streets or a cut network): {shown}. Drop them from the beat or add the missing roads",
        code="routes.unreachable", n=len(problems), shown=shown,
    )


def _round_trip_bound(tab: ArcTable, req: np.ndarray, depot: int) -> float:
    """max over required arcs (u, v) of d(depot, u) + w(u, v) + d(v, depot)."""
    out = dijkstra(tab.csr(), indices=depot)
    back = dijkstra(tab.csr(reverse=True), indices=depot)
    return float((out[tab.tail[req]] + tab.weight[req] + back[tab.head[req]]).max())


def _make_tour(tab: ArcTable, seq: list[int], flags: list[bool], depot: int, *, lower_bound: float,
               optimal: bool, components: int, n_required: int) -> Tour:
    s = np.asarray(seq, dtype=np.int64)
    f = np.asarray(flags, dtype=bool)
    cost = float(tab.weight[s].sum()) if len(s) else 0.0
    length = float(tab.length_m[s].sum()) if len(s) else 0.0
    req_len = float(tab.length_m[s[f]].sum()) if len(s) else 0.0
    tt = float(np.nansum(tab.travel_time_s[s])) if len(s) else 0.0
    if optimal or lower_bound <= 0:
        gap = 0.0 if optimal or cost <= 0 else float("inf")
    else:
        gap = max(0.0, cost / lower_bound - 1.0)
    return Tour(
        arcs=tuple(tab.arc(i) for i in seq),
        serviced=tuple(flags),
        edge_ids=tuple(tab.edge_id[s].tolist()),
        depot=tab.nodes[depot],
        weight=tab.weight_name,
        cost=cost,
        length_m=length,
        required_length_m=req_len,
        deadhead_length_m=length - req_len,
        travel_time_s=tt,
        lower_bound=float(lower_bound),
        gap=gap,
        optimal=optimal,
        components=components,
        n_required=n_required,
    )


def _postman_core(tab: ArcTable, req: np.ndarray, depot: int) -> Tour:
    if len(req) == 0:
        return _make_tour(tab, [], [], depot, lower_bound=0.0, optimal=True, components=1, n_required=0)
    _check_reachable(tab, req, depot)
    arcs, flags, lower_bound, optimal, components = postman_arcs(tab, req, depot)
    seq, fl = _hierholzer(tab, arcs, flags, depot)
    if optimal:  # the flow optimum is exact in centimetres; report the tour's own cost as the bound
        lower_bound = float(tab.weight[np.asarray(seq)].sum())
    tour = _make_tour(tab, seq, fl, depot, lower_bound=lower_bound, optimal=optimal, components=components,
                      n_required=len(req))
    if not optimal and tour.gap <= 1e-12:
        tour = _replace(tour, gap=0.0, optimal=True)
    return tour


def postman_arcs(tab: ArcTable, req: np.ndarray, depot: int, *, bound: bool = True
                 ) -> tuple[np.ndarray, np.ndarray, float, bool, int]:
    """The arcs of the postman tour of ``req`` (arc indices, non-empty, all reachable) from ``depot``
    before they are put in order: (arcs, serviced flags, lower bound, optimal?, weak components of
    the required arcs and the depot). Their weight sum is the tour's cost; ``bound=False`` skips the
    round-trip bound of a tour in several pieces (for callers wanting the cost only)."""
    req_cost = float(tab.weight[req].sum())
    dead, flow_cost = balance_flow(tab, _imbalance(tab, req))
    lower_bound = req_cost + flow_cost / COST_SCALE
    _, lab_req = _weak_labels(tab, req, [depot])
    components = int(lab_req.max()) + 1
    if components > 1 and bound:  # a second bound: every required arc lies on a round trip from the depot
        lower_bound = max(lower_bound, _round_trip_bound(tab, req, depot))
    touched, lab = _weak_labels(tab, np.concatenate([req, dead]), [depot])
    if lab.max() == 0:
        arcs = np.concatenate([req, dead])
        flags = np.r_[np.ones(len(req), dtype=bool), np.zeros(len(dead), dtype=bool)]
        optimal = components == 1
    else:
        # join the pieces of (a) the required arcs alone, then balance afresh, or (b) the required arcs
        # plus the balancing flow, keeping the flow and balancing only the connectors; cheapest wins
        best_cost = np.inf
        touched_r, _ = _weak_labels(tab, req, [depot])
        for keep, (tch, lb) in ((np.zeros(0, dtype=np.int64), (touched_r, lab_req)), (dead, (touched, lab))):
            for conn_l in _connectors(tab, tch, lb).values():
                base = np.concatenate([req, keep, np.asarray(conn_l, dtype=np.int64)])
                dead2, c2 = balance_flow(tab, _imbalance(tab, base))
                total = float(np.rint(tab.weight[base] * COST_SCALE).sum()) + c2
                if total < best_cost:
                    best_cost = total
                    arcs = np.concatenate([base, dead2])
                    flags = np.r_[np.ones(len(req), dtype=bool), np.zeros(len(arcs) - len(req), dtype=bool)]
        optimal = False
    return arcs, flags, lower_bound, optimal, components


def _replace(tour: Tour, **changes: Any) -> Tour:
    return replace(tour, **changes)


# --------------------------------------------------------------------------------------------
# public API
# --------------------------------------------------------------------------------------------
def postman_tour(
    G: nx.MultiDiGraph | ArcTable,
    required_edges: Iterable[Any],
    *,
    depot: Hashable | None = None,
    weight: str = "length_m",
) -> Tour:
    """The cheapest closed walk from ``depot`` driving every required arc at least once.

    Parameters
    ----------
    G
        Directed road graph (projected CRS, metres), e.g. from :func:`routing.graph.graph_from_layers`;
        or an :class:`ArcTable` of it (to reuse the arrays between calls). Deadheading may use any arc.
    required_edges
        ``edge_id`` values, or ``(u, v, key)`` arcs, to cover (duplicates are ignored). A two-way
        street is covered in both directions only when both of its arcs are listed.
    depot
        Start and end node; default: the start node of the first required arc.
    weight
        Arc attribute minimised: ``length_m`` (metres, the default) or ``travel_time_s`` (seconds).

    Returns
    -------
    Tour
        The walk and its figures. Optimal (``gap == 0``) when the required arcs and the depot are one
        weakly connected piece; otherwise the pieces are joined heuristically and ``gap`` bounds the
        excess over the optimum. Costs are solved in integers (weight x 100), so the optimum is exact
        to a centimetre per arc.

    Raises
    ------
    InputError
        When a required edge or the depot is not in ``G`` or the weight is missing or negative.
    InfeasibleError
        When a required arc cannot be reached from the depot or the depot cannot be reached from its
        end (the message names the edge_id).
    """
    required_edges = list(required_edges)
    tab = G if isinstance(G, ArcTable) else arc_table(G, weight=weight)
    if isinstance(G, ArcTable) and weight != tab.weight_name:
        raise InputError(f"the arc table was built for weight '{tab.weight_name}', not '{weight}'")
    req = _required_indices(tab, required_edges)
    if depot is None:
        if len(req) == 0:
            raise InputError("postman_tour: no required edges and no depot given")
        d = int(tab.tail[_required_indices(tab, required_edges[:1])[0]])
    else:
        if depot not in tab.index:
            raise InputError(f"depot node {depot!r} is not a node of the road graph")
        d = tab.index[depot]
    return _postman_core(tab, req, d)


def split_tour(
    G: nx.MultiDiGraph | ArcTable,
    tour: Tour,
    k: int,
) -> KRoutes:
    """Split a postman tour into ``k`` closed routes from its depot, minimising the longest.

    Each route drives from the depot by a shortest path to a stretch of the tour, follows the tour
    along it and returns by a shortest path (Frederickson-Hecht-Kim's k-postman split). The cut
    points are the best possible for the tour's order: a binary search on the longest route with a
    furthest-reach greedy, which is exact here because a route starting later along the tour never
    costs more (triangle inequality). Deadhead passes at the ends of a stretch are dropped.

    Parameters
    ----------
    G
        The road graph the tour was planned on (or its :class:`ArcTable`, same weight).
    tour
        A tour from :func:`postman_tour`.
    k
        Number of vehicles, >= 1.

    Returns
    -------
    KRoutes
        ``k`` routes (some may be empty when there are fewer serviced arcs than vehicles), the longest
        route's cost and a lower bound: ``max(tour.lower_bound / k, max over required arcs of the round
        trip depot -> arc -> depot)``.

    Raises
    ------
    InputError
        When ``k`` < 1.
    """
    if not isinstance(k, int | np.integer) or k < 1:
        raise InputError(f"k (vehicles sharing the tour) must be a whole number >= 1, not {k!r}",
                         code="param.at_least", name="k", value=str(k), min=1)
    tab = G if isinstance(G, ArcTable) else arc_table(G, weight=tour.weight)
    depot = tab.index[tour.depot]
    seq = np.asarray([tab.by_arc[a] for a in tour.arcs], dtype=np.int64)
    serv = np.asarray(tour.serviced, dtype=bool)
    dist_out = dijkstra(tab.csr(), indices=depot)
    dist_back = dijkstra(tab.csr(reverse=True), indices=depot)
    w = tab.weight[seq] if len(seq) else np.zeros(0)
    rt = dist_out[tab.tail[seq[serv]]] + w[serv] + dist_back[tab.head[seq[serv]]] if serv.any() else np.zeros(1)
    k_lb = max(tour.lower_bound / k, float(rt.max()))
    pos = np.flatnonzero(serv)  # cut only around serviced passes
    if k == 1 or len(pos) == 0:
        routes = (tour,) + tuple(_empty_route(tab, depot, k_lb) for _ in range(k - 1))
        return KRoutes(routes, tour, k, tour.cost, k_lb, _gap(tour.cost, k_lb))
    P = np.r_[0.0, np.cumsum(w)]
    start_cost = dist_out[tab.tail[seq[pos]]] - P[pos]  # D_a
    end_cost = P[pos + 1] + dist_back[tab.head[seq[pos]]]  # f_b

    def cuts(limit: float) -> list[tuple[int, int]] | None:
        out = []
        a = 0
        n = len(pos)
        while a < n:
            if len(out) == k:
                return None
            ok = np.flatnonzero(end_cost[a:] + start_cost[a] <= limit + 1e-9)
            if len(ok) == 0:
                return None
            b = a + int(ok[-1])
            out.append((a, b))
            a = b + 1
        return out

    lo, hi = k_lb, float(tour.cost)
    best = cuts(hi)
    if best is None:  # rounding; the whole tour always fits in one route
        best = [(0, len(pos) - 1)]
    for _ in range(60):
        if hi - lo <= 1e-6 * max(hi, 1.0):
            break
        mid = 0.5 * (lo + hi)
        c = cuts(mid)
        if c is None:
            lo = mid
        else:
            hi, best = mid, c
    routes = []
    pred_out = dijkstra(tab.csr(), indices=depot, return_predecessors=True)[1]
    pred_back = dijkstra(tab.csr(reverse=True), indices=depot, return_predecessors=True)[1]
    for a, b in best:
        s, e = int(pos[a]), int(pos[b])
        first = tab.path_arcs(pred_out, depot, int(tab.tail[seq[s]]))
        last = tab.path_arcs_back(pred_back, int(tab.head[seq[e]]), depot)
        mid_arcs = seq[s:e + 1].tolist()
        arcs = first + mid_arcs + last
        flags = [False] * len(first) + serv[s:e + 1].tolist() + [False] * len(last)
        mine = seq[s:e + 1][serv[s:e + 1]]
        own_lb = float((dist_out[tab.tail[mine]] + tab.weight[mine] + dist_back[tab.head[mine]]).max())
        routes.append(_make_tour(tab, arcs, flags, depot, lower_bound=own_lb, optimal=False,
                                 components=tour.components, n_required=int(serv[s:e + 1].sum())))
    while len(routes) < k:
        routes.append(_empty_route(tab, depot, k_lb))
    max_cost = max(r.cost for r in routes)
    return KRoutes(tuple(routes), tour, k, max_cost, k_lb, _gap(max_cost, k_lb))


def _gap(cost: float, lb: float) -> float:
    return 0.0 if lb <= 0 or cost <= lb * (1 + 1e-12) else cost / lb - 1.0


def _empty_route(tab: ArcTable, depot: int, lb: float) -> Tour:
    return _make_tour(tab, [], [], depot, lower_bound=0.0, optimal=True, components=0, n_required=0)
