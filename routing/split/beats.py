"""Brigade beats: the main-road network cut into ``k`` connected beats of balanced workload."""

from __future__ import annotations

from collections.abc import Mapping

import networkx as nx
import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from geo.errors import InputError
from geo.jsonsafe import to_jsonable
from routing.split.net import _csr, _net
from routing.split.partition import (
    DEFAULT_FRAGMENT_SHARE,
    DEFAULT_MAX_RATIO,
    _order_labels,
    _partition,
)

__all__ = ["brigade_beats", "beat_table"]


def _segment_graph(seg_nodes: np.ndarray, seg_len: np.ndarray) -> sparse.csr_matrix:
    """Adjacency of segments sharing a node (weight: half of each length, metres)."""
    m = len(seg_nodes)
    if m == 0:
        return sparse.csr_matrix((0, 0))
    inc = pd.DataFrame({"node": seg_nodes.ravel(), "seg": np.repeat(np.arange(m), 2)}).drop_duplicates()
    pairs = inc.merge(inc, on="node")
    pairs = pairs[pairs["seg_x"] < pairs["seg_y"]]
    a, b = pairs["seg_x"].to_numpy(), pairs["seg_y"].to_numpy()
    return _csr(m, a, b, (seg_len[a] + seg_len[b]) / 2.0, symmetric=True)


def brigade_beats(
    G: nx.MultiDiGraph,
    *,
    k: int,
    weight: Mapping[int, float] | None = None,
    seed: int = 0,
    max_ratio: float = DEFAULT_MAX_RATIO,
    fragment_share: float = DEFAULT_FRAGMENT_SHARE,
    restarts: int = 6,
) -> pd.DataFrame:
    """Cut the main-road network into ``k`` connected patrol beats of balanced workload.

    Parameters
    ----------
    G
        Road graph (projected working CRS, metres); main roads are ``road_class == 'main'``.
    k
        Number of beats (brigade patrol units), at least 1.
    weight
        ``edge_id`` -> risk multiplier (>= 0, e.g. ``1 + incidents per km``); missing ids weigh 1; a
        two-way street takes the larger weight of its two directions. Workload = length_m x weight.
    seed
        Seed of the randomised starts (same seed, same beats).
    max_ratio
        Balance target: stop trying new starts once the largest beat is at most this times the
        mean (or at the lower bound below).
    fragment_share
        Separate pieces of the main-road network carrying less than this share of a beat's mean
        workload join the beat of the nearest larger piece, reached through local streets (shortest
        path in metres; straight line where no road joins them). ``0``: every piece gets its own
        beat(s).
    restarts
        Number of randomised starts at most (the best is kept).

    Returns
    -------
    DataFrame
        Indexed by the ``edge_id`` of every main-road edge: ``beat`` (0..k-1), ``segment``,
        ``component`` (piece of the main-road network), ``attached`` (on a fragment joined through
        local streets), ``length_m`` and ``workload`` of the edge's segment (metres x weight; the two
        directions of a street carry the same values, count them once). ``attrs`` holds ``k``,
        ``max_over_mean``, ``lower_bound_over_mean`` (no split can do better: the heaviest segment
        or the minimax load per piece, over the mean), ``components``, ``fragments``,
        ``beats`` (fewer than ``k`` only when there are fewer main-road segments),
        ``beats_per_component`` and ``links`` (fragment node id, node id on the beat it joins,
        metres, ``road`` | ``straight_line``). Beats are connected graphs of main-road segments
        (counting the fragment links); each beat lies in one piece. See :func:`beat_table` for
        per-beat figures.

    Raises
    ------
    InputError
        When ``k`` < 1 or a weight is negative or not finite.
    InfeasibleError
        When the main-road network falls apart into more major pieces than ``k``.
    CRSError
        When the graph is not in a projected CRS.
    """
    if not isinstance(k, int | np.integer) or k < 1:
        raise InputError(f"k (number of brigade beats) must be a whole number >= 1, not {k!r}", code="split.beats",
                         value=str(k))
    net = _net(G)
    e = net.edges
    main = e[e["road_class"] == "main"]
    cols = ["beat", "segment", "component", "attached", "length_m", "workload"]
    if main.empty:
        out = pd.DataFrame(
            {c: pd.Series(dtype="int64") for c in cols}, index=pd.Index([], name="edge_id", dtype="int64")
        )
        out.attrs.update(k=int(k), max_over_mean=float("nan"), lower_bound_over_mean=float("nan"),
                         components=0, fragments=0, beats_per_component={}, links=[])
        return out
    mult = np.ones(len(main))
    if weight is not None:
        wser = pd.Series(weight, dtype=float)
        bad = wser[~np.isfinite(wser.to_numpy()) | (wser.to_numpy() < 0)]
        if len(bad):
            raise InputError(
                f"weight: {len(bad)} value(s) negative or not finite (first: edge_id {bad.index[0]} = "
                f"{bad.iloc[0]}); weights are risk multipliers >= 0",
                code="split.weights", n=len(bad), edge=str(bad.index[0]), value=str(bad.iloc[0]),
            )
        mult = main["edge_id"].map(wser).fillna(1.0).to_numpy(dtype=float)
    segs, seg_local = np.unique(main["segment"].to_numpy(), return_inverse=True)
    ms = len(segs)
    seg_len = np.zeros(ms)
    np.maximum.at(seg_len, seg_local, main["length_m"].to_numpy())
    seg_mult = np.zeros(ms)
    np.maximum.at(seg_mult, seg_local, mult)
    seg_w = seg_len * seg_mult
    first = np.unique(seg_local, return_index=True)[1]
    seg_nodes = np.column_stack([main["ui"].to_numpy()[first], main["vi"].to_numpy()[first]])
    n_nodes = len(net.node_ids)
    S = _segment_graph(seg_nodes, seg_len)

    full = _csr(n_nodes, e["ui"].to_numpy(), e["vi"].to_numpy(), e["length_m"].to_numpy(), symmetric=True)
    # segments at each node (one representative is enough for a link)
    node_seg = np.full(n_nodes, -1, dtype=np.int64)
    node_seg[seg_nodes[:, 1]] = np.arange(ms)
    node_seg[seg_nodes[:, 0]] = np.arange(ms)
    link_nodes: dict[tuple[int, int], tuple[float, int, int, str]] = {}

    def link(frag_v: np.ndarray, major_v: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        targets = np.unique(seg_nodes[major_v].ravel())
        fnodes = np.unique(seg_nodes[frag_v].ravel())
        dist, _, src = dijkstra(full, directed=False, indices=targets, min_only=True, return_predecessors=True)
        d = dist[fnodes]
        t = src[fnodes]
        bad = ~np.isfinite(d) | (t < 0)
        if bad.any():  # no road joins them inside the extract: straight line
            tree = cKDTree(net.node_xy[targets])
            dd, ii = tree.query(net.node_xy[fnodes[bad]])
            d[bad], t[bad] = dd, targets[ii]
        fs, ts = node_seg[fnodes], node_seg[t]
        for f_seg, t_seg, dist_m, fn, tn, straight in zip(fs, ts, d, fnodes, t, bad):
            key = (int(f_seg), int(t_seg))
            if key not in link_nodes or dist_m < link_nodes[key][0]:
                link_nodes[key] = (float(dist_m), int(fn), int(tn), "straight_line" if straight else "road")
        return fs, ts, d

    mids = shapely.line_interpolate_point(net.geoms[net.seg_edge[segs]], 0.5, normalized=True)
    parts = _partition(
        S, seg_w, int(k), link=link, fragment_share=fragment_share, too_many="raise",
        what="brigade beats (main roads)", max_ratio=max_ratio, seed=seed, restarts=restarts,
        xy=shapely.get_coordinates(mids),
    )
    label = _order_labels(parts.label, mids, seg_w)
    k_used = int(label.max()) + 1
    out = pd.DataFrame(
        {
            "beat": label[seg_local],
            "segment": main["segment"].to_numpy(),
            "component": parts.component[seg_local],
            "attached": parts.attached[seg_local],
            "length_m": seg_len[seg_local],
            "workload": seg_w[seg_local],
        },
        index=pd.Index(main["edge_id"].to_numpy(), name="edge_id"),
    )
    loads = np.bincount(label, weights=seg_w, minlength=k_used)
    mean = loads.sum() / k_used if loads.sum() > 0 else 0.0
    node_id = net.node_ids
    links = []
    for f, t, _ in parts.links:
        dist_m, fn, tn, how = link_nodes[(f, t)]
        links.append((to_jsonable(node_id[fn]), to_jsonable(node_id[tn]), round(dist_m, 1), how))
    out.attrs.update(
        k=int(k),
        beats=k_used,
        max_over_mean=float(loads.max() / mean) if mean > 0 else 1.0,
        lower_bound_over_mean=float(parts.lower_bound),
        components=int(parts.component.max()) + 1,
        fragments=len(parts.links),
        beats_per_component={int(g): int(c) for g, c in parts.k_per_group.items()},
        links=links,
    )
    return out



def beat_table(beats: pd.DataFrame, *, incidents: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per-beat figures of :func:`brigade_beats`.

    Parameters
    ----------
    beats
        The frame :func:`brigade_beats` returned.
    incidents
        Optional incidents with ``edge_id`` (street incidents snapped to an edge); counted per beat.

    Returns
    -------
    DataFrame
        One row per beat (index ``beat``): ``beat_id`` (``B01``...), ``segments``, ``edges``,
        ``length_m`` (metres, each street once), ``workload``, ``share`` (workload / mean) and
        ``incidents`` when given.
    """
    segs = beats.drop_duplicates("segment")
    k = int(beats.attrs.get("beats", beats["beat"].max() + 1 if len(beats) else 0))
    idx = pd.RangeIndex(k, name="beat")
    table = pd.DataFrame(index=idx)
    table["beat_id"] = [f"B{i + 1:02d}" for i in range(k)]
    table["segments"] = segs.groupby("beat").size().reindex(idx, fill_value=0)
    table["edges"] = beats.groupby("beat").size().reindex(idx, fill_value=0)
    table["length_m"] = segs.groupby("beat")["length_m"].sum().reindex(idx, fill_value=0.0)
    table["workload"] = segs.groupby("beat")["workload"].sum().reindex(idx, fill_value=0.0)
    mean = table["workload"].mean() if k else 0.0
    table["share"] = table["workload"] / mean if mean > 0 else np.nan
    if incidents is not None:
        eid = pd.to_numeric(incidents["edge_id"], errors="coerce") if "edge_id" in incidents else None
        on = eid[eid.isin(beats.index)].astype("int64").to_numpy() if eid is not None else []
        table["incidents"] = (
            beats.loc[on, "beat"].value_counts().reindex(idx, fill_value=0).astype("int64")
        )
    return table
