"""The road graph as arrays: directed edges, nodes and undirected road segments.

Road *segments*: the two directed copies of a two-way street are one segment (same owner, same
beat, counted once in lengths and workloads). Two edges are one segment when they join the same
two nodes along the same line (one reversed). All geometry is in the graph's projected working CRS
(metres).
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from scipy import sparse

from geo.crs import require_projected
from geo.errors import CRSError, InputError

__all__ = ["edge_segments"]

_EPS_S = 1e-6  # travel time given to zero-time edges, so sparse Dijkstra keeps them as edges


def _graph_crs(G: nx.MultiDiGraph) -> CRS:
    crs = G.graph.get("crs")
    if crs is None:
        raise CRSError("the road graph has no CRS (G.graph['crs']); build it with routing.graph.graph_from_layers")
    return require_projected(
        crs, "the road graph", fix="build it from layers in the projected working CRS (or osmnx.project_graph)"
    )


@dataclass(frozen=True)
class _Net:
    """Directed edges and nodes as arrays (node positions ``ui``/``vi`` index ``node_ids``)."""

    crs: CRS
    node_ids: np.ndarray
    node_xy: np.ndarray
    edges: pd.DataFrame  # indexed 0..m-1: edge_id, u, v, key, ui, vi, road_class, length_m, travel_time_s, segment
    geoms: np.ndarray
    seg_edge: np.ndarray  # first edge row of each segment

    @property
    def n_segments(self) -> int:
        return len(self.seg_edge)


def _net(G: nx.MultiDiGraph) -> _Net:
    crs = _graph_crs(G)
    node_ids = np.fromiter(G.nodes, dtype=object, count=G.number_of_nodes())
    pos = {n: i for i, n in enumerate(node_ids)}
    try:
        node_xy = np.array(
            [(float(d["x"]), float(d["y"])) for _, d in G.nodes(data=True)], dtype=float
        ).reshape(-1, 2)
    except KeyError as exc:
        raise InputError(f"road graph nodes need 'x' and 'y' (working-CRS metres); missing {exc}") from exc
    rows = []
    geoms = []
    for u, v, k, d in G.edges(keys=True, data=True):
        if "edge_id" not in d:
            raise InputError(
                f"road graph edge ({u}, {v}, {k}) has no 'edge_id'; build the graph with "
                f"routing.graph.graph_from_layers"
            )
        length = d.get("length_m", d.get("length"))
        rows.append((d["edge_id"], u, v, k, pos[u], pos[v], d.get("road_class", "local"), length,
                     d.get("travel_time_s", d.get("travel_time"))))
        geoms.append(d.get("geometry"))
    edges = pd.DataFrame(
        rows, columns=["edge_id", "u", "v", "key", "ui", "vi", "road_class", "length_m", "travel_time_s"]
    )
    if edges["edge_id"].duplicated().any():
        dup = edges.loc[edges["edge_id"].duplicated(), "edge_id"].iloc[0]
        raise InputError(f"road graph: edge_id {dup} appears on more than one edge; edge ids must be unique")
    geoms_arr = np.empty(len(geoms), dtype=object)
    geoms_arr[:] = geoms
    missing = np.array([g is None for g in geoms], dtype=bool)
    if missing.any():
        ui, vi = edges["ui"].to_numpy()[missing], edges["vi"].to_numpy()[missing]
        coords = np.stack([node_xy[ui], node_xy[vi]], axis=1)
        geoms_arr[missing] = shapely.linestrings(coords)
    length = pd.to_numeric(edges["length_m"], errors="coerce").to_numpy(dtype=float, copy=True)
    bad = ~np.isfinite(length)
    length[bad] = shapely.length(geoms_arr[bad])
    edges["length_m"] = length
    travel = pd.to_numeric(edges["travel_time_s"], errors="coerce").to_numpy(dtype=float, copy=True)
    bad = ~np.isfinite(travel)
    travel[bad] = length[bad] / (20.0 / 3.6)
    edges["travel_time_s"] = travel
    edges["road_class"] = edges["road_class"].astype(str)
    # segments: same two nodes and the same line (the reverse copy normalises to the same WKB)
    lo = np.minimum(edges["ui"].to_numpy(), edges["vi"].to_numpy())
    hi = np.maximum(edges["ui"].to_numpy(), edges["vi"].to_numpy())
    wkb = shapely.to_wkb(shapely.normalize(geoms_arr)) if len(geoms_arr) else np.array([], dtype=object)
    key = pd.DataFrame({"lo": lo, "hi": hi, "g": wkb})
    seg = key.groupby(["lo", "hi", "g"], sort=False).ngroup().to_numpy() if len(key) else np.zeros(0, np.int64)
    edges["segment"] = seg.astype(np.int64)
    seg_edge = np.unique(seg, return_index=True)[1] if len(seg) else np.zeros(0, dtype=np.int64)
    return _Net(crs, node_ids, node_xy, edges, geoms_arr, seg_edge)


def edge_segments(G: nx.MultiDiGraph) -> pd.DataFrame:
    """Group the directed edges into undirected road segments.

    Parameters
    ----------
    G
        Road graph of :func:`routing.graph.graph_from_layers` (projected CRS, metres).

    Returns
    -------
    DataFrame
        Indexed by ``edge_id``: ``segment`` (int; the two directed copies of a two-way street
        share it), ``u``, ``v``, ``road_class``, ``length_m`` (metres) and ``travel_time_s``.

    Raises
    ------
    CRSError
        When the graph has no CRS or a geographic one.
    InputError
        When edges lack ``edge_id`` or ids repeat.
    """
    net = _net(G)
    return net.edges.set_index("edge_id")[["segment", "u", "v", "road_class", "length_m", "travel_time_s"]]


def _csr(n: int, a: np.ndarray, b: np.ndarray, w: np.ndarray, *, symmetric: bool) -> sparse.csr_matrix:
    """Sparse matrix with the *minimum* weight per (a, b) pair (csr would sum duplicates)."""
    if symmetric:
        a, b, w = np.concatenate([a, b]), np.concatenate([b, a]), np.concatenate([w, w])
    w = np.maximum(np.asarray(w, dtype=float), _EPS_S)
    if len(a):
        order = np.lexsort((w, b, a))
        a, b, w = a[order], b[order], w[order]
        first = np.ones(len(a), dtype=bool)
        first[1:] = (a[1:] != a[:-1]) | (b[1:] != b[:-1])
        a, b, w = a[first], b[first], w[first]
    return sparse.csr_matrix((w, (a, b)), shape=(n, n))


def _as_multipolygon(geom: shapely.Geometry) -> shapely.MultiPolygon:
    parts = [p for p in shapely.get_parts(geom) if shapely.get_type_id(p) == 3 and not p.is_empty]
    return shapely.MultiPolygon(parts)

