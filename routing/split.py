"""The split: main roads to the special patrol brigade, neighborhoods to the police stations.

The article's joint patrol network (特巡警大队 patrols main roads, 派出所 patrol residential
neighborhoods) as data:

* :func:`assign_edge_owners` gives every road edge exactly one owner: the brigade for main roads,
  else the station whose jurisdiction holds the edge (jurisdiction polygons, or network Voronoi
  cells around the station sites by travel time where there are no polygons).
* :func:`derive_jurisdictions` draws those network Voronoi cells as polygons.
* :func:`brigade_beats` cuts the main-road network into ``k`` connected beats of balanced workload.
* :func:`grid_team_areas` groups each station's neighborhoods into contiguous areas, one per
  "1+2+N" grid team (1 officer + 2 auxiliaries + N volunteers), balanced by households.
* :func:`split_summary` and :func:`split_layers` turn it all into tables and layers to write.

Everything is pure: inputs are never modified. All geometry is in the graph's projected working
CRS (metres); lengths are ``*_m`` (metres) or ``*_km``, times ``*_s`` (seconds).

Road *segments*: the two directed copies of a two-way street are one segment (same owner, same
beat, counted once in lengths and workloads). Two edges are one segment when they join the same
two nodes along the same line (one reversed).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from scipy import sparse
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import cKDTree

from geo.errors import CRSError, InfeasibleError, InputError

__all__ = [
    "DEFAULT_MAX_RATIO",
    "DEFAULT_ADJACENCY_M",
    "DEFAULT_HOUSEHOLDS_PER_TEAM",
    "DEFAULT_FRAGMENT_SHARE",
    "edge_segments",
    "assign_edge_owners",
    "derive_jurisdictions",
    "brigade_beats",
    "beat_table",
    "grid_teams_per_station",
    "assign_grid_teams",
    "grid_team_areas",
    "split_summary",
    "split_layers",
]

#: Balance target: the largest beat (or grid-team area) at most this many times the mean.
DEFAULT_MAX_RATIO = 1.15
#: Neighborhoods closer than this (metres) are adjacent: they are separated only by a street.
DEFAULT_ADJACENCY_M = 150.0
#: Households one "1+2+N" grid team serves when the units layer does not say how many teams a
#: station has (an assumption; set it per district).
DEFAULT_HOUSEHOLDS_PER_TEAM = 1500
#: A separate part of the main-road network carrying less than this share of one beat's mean
#: workload is a *fragment*: it joins the beat of the nearest larger part (reached through local
#: streets) instead of needing a beat of its own.
DEFAULT_FRAGMENT_SHARE = 0.5

_EPS_S = 1e-6  # travel time given to zero-time edges, so sparse Dijkstra keeps them as edges


# --------------------------------------------------------------------------------------------
# the graph as arrays
# --------------------------------------------------------------------------------------------
def _graph_crs(G: nx.MultiDiGraph) -> CRS:
    crs = G.graph.get("crs")
    if crs is None:
        raise CRSError("the road graph has no CRS (G.graph['crs']); build it with routing.graph.graph_from_layers")
    crs = CRS.from_user_input(crs)
    if not crs.is_projected:
        raise CRSError(
            f"the road graph is in {crs.to_string()} (degrees); the split needs metres: build it from "
            f"layers in the projected working CRS (or osmnx.project_graph)"
        )
    return crs


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


# --------------------------------------------------------------------------------------------
# stations and network Voronoi cells
# --------------------------------------------------------------------------------------------
def _station_sites(stations: gpd.GeoDataFrame, crs: CRS) -> tuple[np.ndarray, np.ndarray]:
    """Station ids (str) and site coordinates (n x 2, metres): ``site_x``/``site_y``, else the
    point geometry, else a point inside the jurisdiction polygon."""
    if "station_id" not in stations.columns:
        raise InputError("stations: no 'station_id' column; add it (see docs/data-model.md)")
    if stations.crs is not None and not CRS.from_user_input(stations.crs).equals(crs):
        raise CRSError(
            f"stations are in {CRS.from_user_input(stations.crs).to_string()} but the road graph in "
            f"{crs.to_string()}; reproject with .to_crs(...)"
        )
    ids = stations["station_id"].astype(str).to_numpy()
    if len(set(ids)) != len(ids):
        raise InputError("stations: station_id values repeat; make them unique")
    n = len(stations)
    xy = np.full((n, 2), np.nan)
    if "site_x" in stations.columns and "site_y" in stations.columns:
        xy[:, 0] = pd.to_numeric(stations["site_x"], errors="coerce").to_numpy(dtype=float)
        xy[:, 1] = pd.to_numeric(stations["site_y"], errors="coerce").to_numpy(dtype=float)
    todo = ~np.isfinite(xy).all(axis=1)
    if todo.any() and isinstance(stations, gpd.GeoDataFrame):
        geoms = stations.geometry.to_numpy()[todo]
        ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
        pts = np.empty(len(geoms), dtype=object)
        pts[ok] = shapely.point_on_surface(geoms[ok])
        rows = np.flatnonzero(todo)[ok]
        xy[rows, 0] = shapely.get_x(pts[ok])
        xy[rows, 1] = shapely.get_y(pts[ok])
    still = ~np.isfinite(xy).all(axis=1)
    if still.any():
        raise InputError(
            f"stations: no site for {', '.join(ids[still][:5])}; give site_x/site_y (working-CRS metres) "
            f"or a jurisdiction polygon"
        )
    return ids, xy


def _voronoi_nodes(net: _Net, site_xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Nearest station (index into the sites, -1 when unreachable) and travel time (s) from it
    for every node, on the directed graph weighted by ``travel_time_s``. Sites start at their
    nearest node of the largest strongly connected part of the graph."""
    n = len(net.node_ids)
    e = net.edges
    A = _csr(n, e["ui"].to_numpy(), e["vi"].to_numpy(), e["travel_time_s"].to_numpy(), symmetric=False)
    _, scc = connected_components(A, directed=True, connection="strong")
    big = np.flatnonzero(scc == np.bincount(scc).argmax())
    _, near = cKDTree(net.node_xy[big]).query(site_xy)
    site_node = big[np.atleast_1d(near)]
    # two stations on one node: the first listed keeps it
    uniq, first = np.unique(site_node, return_index=True)
    dist, _, src = dijkstra(A, directed=True, indices=uniq, min_only=True, return_predecessors=True)
    node_to_site = np.full(n, -1, dtype=np.int64)
    node_to_site[uniq] = first
    station = np.where(src >= 0, node_to_site[np.maximum(src, 0)], -1)
    return station, dist


def _voronoi_segments(net: _Net, site_xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per segment: the station (index) nearest its midpoint by travel time, and whether it was
    reached on the network (else: straight-line nearest site)."""
    station_node, dist = _voronoi_nodes(net, site_xy)
    e = net.edges
    ui = e["ui"].to_numpy()
    cost = dist[ui] + e["travel_time_s"].to_numpy() / 2.0
    cand = pd.DataFrame({"segment": e["segment"].to_numpy(), "cost": cost, "station": station_node[ui]})
    cand = cand[np.isfinite(cand["cost"]) & (cand["station"] >= 0)]
    best = cand.sort_values(["segment", "cost", "station"], kind="stable").drop_duplicates("segment")
    out = np.full(net.n_segments, -1, dtype=np.int64)
    out[best["segment"].to_numpy()] = best["station"].to_numpy()
    reached = out >= 0
    if (~reached).any():
        mids = shapely.line_interpolate_point(net.geoms[net.seg_edge[~reached]], 0.5, normalized=True)
        _, near = cKDTree(site_xy).query(shapely.get_coordinates(mids))
        out[~reached] = near
    return out, reached


def assign_edge_owners(G: nx.MultiDiGraph, *, stations: gpd.GeoDataFrame | None) -> pd.DataFrame:
    """Give every road edge exactly one patrol owner.

    Main roads (``road_class == 'main'``) go to the special patrol brigade (特巡警大队); every other
    edge to the police station (派出所) whose jurisdiction holds the edge's midpoint. The two
    directed copies of a two-way street always get the same owner.

    Parameters
    ----------
    G
        Road graph of :func:`routing.graph.graph_from_layers` (projected working CRS, metres).
    stations
        The ``stations`` layer: ``station_id``, jurisdiction polygons as geometry (may be empty
        or missing) and the station sites ``site_x``/``site_y`` (working-CRS metres). Where the
        polygons are missing, or an edge lies outside all of them, the edge goes to the station
        nearest by travel time on the graph (network Voronoi cell: multi-source Dijkstra on
        ``travel_time_s`` from the nodes nearest each site). A layer of site points works too.
        ``None`` is allowed only for a graph without local roads.

    Returns
    -------
    DataFrame
        Indexed by ``edge_id``: ``owner_kind`` (``brigade`` | ``station``), ``owner_id``
        (``brigade`` or the station_id), ``station_id`` (the station holding the edge, recorded for
        main roads too), ``how`` the station was found (``jurisdiction`` | ``network_voronoi`` |
        ``nearest_site`` for edges no station can reach on the directed graph), ``road_class``,
        ``segment`` (shared by both directions), ``length_m`` (metres).

    Raises
    ------
    CRSError
        When the graph or the stations are not in one projected CRS.
    InputError
        When stations are missing but local roads exist, or a station has neither a site nor a
        polygon, or station ids repeat.
    """
    net = _net(G)
    e = net.edges
    is_main = (e["road_class"] == "main").to_numpy()
    nseg = net.n_segments
    seg_station = np.full(nseg, None, dtype=object)
    seg_how = np.full(nseg, None, dtype=object)
    if stations is None or len(stations) == 0:
        if (~is_main).any():
            raise InputError(
                "no stations given, but the graph has local roads that need a station owner; "
                "pass the 'stations' layer (import it with 'patrolnet import', or run 'patrolnet demo')"
            )
    else:
        ids, site_xy = _station_sites(stations, net.crs)
        seg_mid = shapely.line_interpolate_point(net.geoms[net.seg_edge], 0.5, normalized=True)
        if isinstance(stations, gpd.GeoDataFrame):
            polys = stations.geometry.to_numpy()
            is_poly = np.isin(shapely.get_type_id(polys), [3, 6]) & ~shapely.is_empty(polys)
            if is_poly.any():
                poly_ids = ids[is_poly]
                tree = shapely.STRtree(polys[is_poly])
                pi, ai = tree.query(seg_mid, predicate="intersects")
                first = np.unique(pi, return_index=True)[1]
                seg_station[pi[first]] = poly_ids[ai[first]]
                seg_how[pi[first]] = "jurisdiction"
        rest = seg_how == None  # noqa: E711 - elementwise on an object array
        if rest.any():
            vor, reached = _voronoi_segments(net, site_xy)
            seg_station[rest] = ids[vor[rest]]
            seg_how[rest] = np.where(reached[rest], "network_voronoi", "nearest_site")
    seg = e["segment"].to_numpy()
    station_id = pd.array(seg_station[seg], dtype="string")
    owner_kind = np.where(is_main, "brigade", "station")
    owner_id = np.where(is_main, "brigade", seg_station[seg]).astype(object)
    return pd.DataFrame(
        {
            "owner_kind": pd.array(owner_kind, dtype="string"),
            "owner_id": pd.array(owner_id, dtype="string"),
            "station_id": station_id,
            "how": pd.array(seg_how[seg], dtype="string"),
            "road_class": pd.array(e["road_class"].to_numpy(), dtype="string"),
            "segment": seg,
            "length_m": e["length_m"].to_numpy(),
        },
        index=pd.Index(e["edge_id"].to_numpy(), name="edge_id"),
    )


def derive_jurisdictions(
    G: nx.MultiDiGraph,
    stations_sites: gpd.GeoDataFrame,
    *,
    boundary: gpd.GeoDataFrame | gpd.GeoSeries | shapely.Geometry | None = None,
    spacing_m: float = 40.0,
) -> gpd.GeoDataFrame:
    """Jurisdiction polygons as network Voronoi cells around the station sites.

    Points along every road (nodes, edge midpoints and one every ``spacing_m`` metres) are
    labelled with the station that reaches them first by travel time (multi-source Dijkstra on
    ``travel_time_s`` over the directed graph, as :func:`assign_edge_owners` does); the plane
    Voronoi cells of those points are dissolved per station and clipped to ``boundary`` (default:
    the road network's convex hull grown by 200 m). So the cell holding an edge's midpoint is the
    edge's network Voronoi owner.

    Parameters
    ----------
    G
        Road graph (projected working CRS, metres).
    stations_sites
        ``station_id`` and ``site_x``/``site_y`` (or point geometry, or polygons whose inner point
        stands for the site). Other columns are kept.
    boundary
        District polygon(s) in the graph's CRS.
    spacing_m
        Sampling step along the roads (metres); smaller is smoother and slower.

    Returns
    -------
    GeoDataFrame
        ``stations_sites``' rows and columns with the cell as geometry (MultiPolygon; empty for a
        station that reaches no road first), plus ``area_m2`` and ``how`` (``network_voronoi``).

    Raises
    ------
    CRSError
        When the graph, stations or boundary are not in one projected CRS.
    InputError
        When a station has no site, or ``spacing_m`` is not positive.
    """
    if not (spacing_m > 0):
        raise InputError(f"spacing_m must be a positive number of metres, not {spacing_m!r}")
    net = _net(G)
    ids, site_xy = _station_sites(stations_sites, net.crs)
    station_node, dist = _voronoi_nodes(net, site_xy)
    e = net.edges
    # points along every directed edge (and its midpoint), each labelled with the station that
    # reaches it first through the edge's tail: the same rule as assign_edge_owners, so a
    # two-way street's coinciding points keep the cheaper of the two directions
    ui = e["ui"].to_numpy()
    t = e["travel_time_s"].to_numpy()
    inner = np.maximum(np.ceil(e["length_m"].to_numpy() / spacing_m).astype(np.int64) - 1, 0)
    count = inner + 1  # the inner points (at the same places for both directions) and the midpoint
    edge_of = np.repeat(np.arange(len(e)), count)
    within = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    frac = (within + 1) / np.repeat(inner + 1, count)
    frac[np.cumsum(count) - 1] = 0.5
    pts = shapely.line_interpolate_point(net.geoms[edge_of], frac, normalized=True)
    cost = np.concatenate([dist, dist[ui[edge_of]] + frac * t[edge_of]])
    lab = np.concatenate([station_node, station_node[ui[edge_of]]])
    xy = np.vstack([net.node_xy, shapely.get_coordinates(pts)])
    unreached = ~np.isfinite(cost) | (lab < 0)
    if unreached.any():  # no station reaches them on the graph: straight-line nearest site
        lab[unreached] = cKDTree(site_xy).query(xy[unreached])[1]
        cost[unreached] = np.inf
    # coinciding points (two-way streets, crossings without a node): the cheapest label wins
    order = np.lexsort((cost, np.round(xy[:, 1], 3), np.round(xy[:, 0], 3)))
    xy, lab = xy[order], lab[order]
    xy, idx = np.unique(np.round(xy, 3), axis=0, return_index=True)
    lab = lab[idx]
    clip = _boundary_geometry(boundary, net.crs)
    if clip is None:
        clip = shapely.buffer(shapely.convex_hull(shapely.multipoints(net.node_xy)), 200.0)
    if len(xy) >= 2:
        cells = shapely.get_parts(
            shapely.voronoi_polygons(shapely.multipoints(xy), extend_to=clip, ordered=True)
        )
    else:
        cells = np.array([clip], dtype=object)
    out_geoms = np.empty(len(ids), dtype=object)
    for i in range(len(ids)):
        mine = cells[lab == i]
        if len(mine) == 0:
            out_geoms[i] = shapely.MultiPolygon()
            continue
        cell = shapely.intersection(shapely.coverage_union_all(mine), clip)
        out_geoms[i] = _as_multipolygon(cell)
    out = gpd.GeoDataFrame(
        pd.DataFrame(stations_sites.drop(columns="geometry", errors="ignore")).reset_index(drop=True),
        geometry=out_geoms, crs=net.crs,
    )
    out["area_m2"] = shapely.area(out_geoms)
    out["how"] = "network_voronoi"
    return out


def _boundary_geometry(boundary: Any, crs: CRS) -> shapely.Geometry | None:
    if boundary is None:
        return None
    if isinstance(boundary, gpd.GeoDataFrame | gpd.GeoSeries):
        if boundary.crs is None or not CRS.from_user_input(boundary.crs).equals(crs):
            raise CRSError(
                f"boundary is in {boundary.crs.to_string() if boundary.crs else 'no CRS'} but the road graph in "
                f"{crs.to_string()}; reproject with .to_crs(...)"
            )
        return shapely.union_all(boundary.geometry.to_numpy())
    return boundary


def _as_multipolygon(geom: shapely.Geometry) -> shapely.MultiPolygon:
    parts = [p for p in shapely.get_parts(geom) if shapely.get_type_id(p) == 3 and not p.is_empty]
    return shapely.MultiPolygon(parts)


# --------------------------------------------------------------------------------------------
# balanced connected partitioning (the engine behind beats and grid-team areas)
# --------------------------------------------------------------------------------------------
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
                f"main-road classes), or raise fragment_share so small parts join their nearest beat"
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
            raise InfeasibleError(f"{what}: {len(unlinked)} fragment(s) could not be joined to any larger part")
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


# --------------------------------------------------------------------------------------------
# brigade beats
# --------------------------------------------------------------------------------------------
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
        raise InputError(f"k (number of brigade beats) must be a whole number >= 1, not {k!r}")
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
                f"{bad.iloc[0]}); weights are risk multipliers >= 0"
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
        links.append((_py(node_id[fn]), _py(node_id[tn]), round(dist_m, 1), how))
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


def _py(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


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


# --------------------------------------------------------------------------------------------
# grid-team areas
# --------------------------------------------------------------------------------------------
def grid_teams_per_station(units: pd.DataFrame) -> dict[str, int]:
    """Number of "1+2+N" grid teams (``units.kind == 'grid_team'``) per ``station_id``."""
    if units is None or len(units) == 0 or "kind" not in units or "station_id" not in units:
        return {}
    grid = units[(units["kind"] == "grid_team") & units["station_id"].notna()]
    return {str(s): int(c) for s, c in grid["station_id"].astype(str).value_counts().sort_index().items()}


def assign_grid_teams(
    neighborhoods: gpd.GeoDataFrame,
    *,
    teams_per_station: Mapping[str, int] | None = None,
    per_team_households: int | None = None,
    adjacency_m: float = DEFAULT_ADJACENCY_M,
    balance_by: str = "households",
    seed: int = 0,
    max_ratio: float = DEFAULT_MAX_RATIO,
    restarts: int = 6,
) -> pd.DataFrame:
    """Put each station's neighborhoods into contiguous grid-team areas of balanced households.

    Parameters
    ----------
    neighborhoods
        The ``neighborhoods`` layer (polygons in a projected CRS) with ``neighborhood_id``,
        ``station_id`` and ``households``.
    teams_per_station
        station_id -> number of grid teams (e.g. :func:`grid_teams_per_station` of the units).
        Stations not listed get ``ceil(households / per_team_households)`` teams.
    per_team_households
        Households per team where the team count is not given (default
        :data:`DEFAULT_HOUSEHOLDS_PER_TEAM`).
    adjacency_m
        Neighborhoods within this distance (metres) are adjacent (they face each other across a
        street). So are neighborhoods with nothing between them (Gabriel graph of their centres),
        so that scattered compounds still form areas; ``attached`` flags a neighborhood with no
        other neighborhood of its area within ``adjacency_m``.
    balance_by
        ``households`` or ``area`` (square metres).
    seed, max_ratio, restarts
        As in :func:`brigade_beats`.

    Returns
    -------
    DataFrame
        Indexed like ``neighborhoods``: ``neighborhood_id``, ``station_id``, ``area_id``
        (``<station_id>-G01``...), ``team`` (1-based within the station) and ``attached`` (no
        other neighborhood of its area within ``adjacency_m``). ``attrs['stations']`` holds per
        station: teams asked, areas made, max/mean and its lower bound.

    Raises
    ------
    InputError
        When columns are missing, households are negative, or options are out of range.
    CRSError
        When the layer is not in a projected CRS.
    """
    for col in ("neighborhood_id", "station_id"):
        if col not in neighborhoods.columns:
            raise InputError(f"neighborhoods: no '{col}' column; add it (see docs/data-model.md)")
    if balance_by not in ("households", "area"):
        raise InputError(f"balance_by must be 'households' or 'area', not {balance_by!r}")
    if balance_by == "households" and "households" not in neighborhoods.columns:
        raise InputError("neighborhoods: no 'households' column; add it or use balance_by='area'")
    if neighborhoods.crs is None or not CRS.from_user_input(neighborhoods.crs).is_projected:
        raise CRSError(
            f"neighborhoods are in {neighborhoods.crs.to_string() if neighborhoods.crs else 'no CRS'}; "
            f"reproject to the projected working CRS (metres) with .to_crs(...)"
        )
    if not (adjacency_m >= 0):
        raise InputError(f"adjacency_m must be >= 0 metres, not {adjacency_m!r}")
    per_team = DEFAULT_HOUSEHOLDS_PER_TEAM if per_team_households is None else per_team_households
    if not (per_team > 0):
        raise InputError(f"per_team_households must be > 0, not {per_team_households!r}")
    teams = dict(teams_per_station or {})
    bad_teams = {s: t for s, t in teams.items() if not (isinstance(t, int | np.integer) and t >= 1)}
    if bad_teams:
        s, t = next(iter(bad_teams.items()))
        raise InputError(f"teams_per_station: station {s} has {t!r} teams; give a whole number >= 1")
    geoms = neighborhoods.geometry.to_numpy()
    if balance_by == "households":
        hh = pd.to_numeric(neighborhoods["households"], errors="coerce").fillna(0).to_numpy(dtype=float)
        if (hh < 0).any():
            i = int(np.flatnonzero(hh < 0)[0])
            raise InputError(
                f"neighborhoods: negative households ({hh[i]:g}) for "
                f"{neighborhoods['neighborhood_id'].iloc[i]}; fix the row"
            )
        load_all = hh
    else:
        load_all = shapely.area(geoms)
    station = neighborhoods["station_id"].astype("string").fillna("").to_numpy(dtype=object)
    area_id = np.full(len(neighborhoods), None, dtype=object)
    team_no = np.zeros(len(neighborhoods), dtype=np.int64)
    attached = np.zeros(len(neighborhoods), dtype=bool)
    report: dict[str, dict[str, Any]] = {}
    centroids = shapely.get_coordinates(shapely.centroid(geoms)) if len(geoms) else np.zeros((0, 2))
    for s in sorted(set(station)):
        rows = np.flatnonzero(station == s)
        g = geoms[rows]
        load = load_all[rows]
        households = float(load_all[rows].sum()) if balance_by == "households" else float(
            pd.to_numeric(neighborhoods["households"], errors="coerce").fillna(0).to_numpy()[rows].sum()
            if "households" in neighborhoods else 0.0)
        asked = int(teams.get(s, max(1, int(np.ceil(households / per_team))))) if s else 1
        kk = min(asked, len(rows))
        tree = shapely.STRtree(g)
        a, b = tree.query(g, predicate="dwithin", distance=adjacency_m)
        keep = a < b
        near_a, near_b = a[keep], b[keep]
        # neighbours: across a street (within adjacency_m), or next to each other with nothing in
        # between (Gabriel graph of the centroids), so scattered compounds still have neighbours
        ga, gb = _gabriel_edges(centroids[rows])
        a, b = np.concatenate([near_a, ga]), np.concatenate([near_b, gb])
        d = np.linalg.norm(centroids[rows][a] - centroids[rows][b], axis=1)
        A = _csr(len(rows), a, b, d, symmetric=True)

        def link(
            frag_v: np.ndarray, major_v: np.ndarray, g: np.ndarray = g
        ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            t = shapely.STRtree(g[major_v])
            (fi, mi), dist = t.query_nearest(g[frag_v], return_distance=True, all_matches=False)
            return frag_v[fi], major_v[mi], dist

        w = load if load.sum() > 0 else np.ones(len(rows))
        parts = _partition(
            A, w, kk, link=link, fragment_share=DEFAULT_FRAGMENT_SHARE, too_many="attach",
            what=f"grid-team areas of station {s}", max_ratio=max_ratio, seed=seed, restarts=restarts,
            xy=centroids[rows],
        )
        label = _order_labels(parts.label, shapely.centroid(g), w)
        made = int(label.max()) + 1
        area_id[rows] = [f"{s}-G{i + 1:02d}" for i in label]
        team_no[rows] = label + 1
        # isolated: no other neighborhood of its own area within adjacency_m
        close = np.zeros(len(rows), dtype=bool)
        same = label[near_a] == label[near_b]
        close[near_a[same]] = True
        close[near_b[same]] = True
        alone = np.bincount(label, minlength=int(label.max()) + 1)[label] == 1
        attached[rows] = ~close & ~alone
        loads = np.bincount(label, weights=load, minlength=made)
        mean = loads.mean()
        report[s] = {
            "teams": asked,
            "areas": made,
            "max_over_mean": float(loads.max() / mean) if mean > 0 else 1.0,
            "lower_bound_over_mean": float(parts.lower_bound),
        }
    out = pd.DataFrame(
        {
            "neighborhood_id": neighborhoods["neighborhood_id"].to_numpy(),
            "station_id": pd.array(station, dtype="string"),
            "area_id": pd.array(area_id, dtype="string"),
            "team": team_no,
            "attached": attached,
        },
        index=neighborhoods.index,
    )
    out.attrs["stations"] = report
    return out


def _gabriel_edges(xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Edges ``(i, j)``, ``i < j``, of the Gabriel graph of points: no other point lies in the circle
    with diameter ij. It contains the Euclidean minimum spanning tree, so it is connected."""
    n = len(xy)
    if n < 2:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    try:
        from scipy.spatial import Delaunay, QhullError

        tri = Delaunay(xy)
        simplices = tri.simplices
        pairs = np.vstack([simplices[:, [0, 1]], simplices[:, [1, 2]], simplices[:, [0, 2]]])
    except (QhullError, ValueError):  # fewer than 3 points, or all on a line: every pair
        i, j = np.triu_indices(n, 1)
        pairs = np.column_stack([i, j])
    pairs = np.unique(np.sort(pairs, axis=1), axis=0)
    i, j = pairs[:, 0], pairs[:, 1]
    mid = (xy[i] + xy[j]) / 2.0
    r = np.linalg.norm(xy[i] - xy[j], axis=1) / 2.0
    kq = min(3, n)
    dd, ii = cKDTree(xy).query(mid, k=kq)
    dd, ii = dd.reshape(len(mid), kq), ii.reshape(len(mid), kq)
    other = (ii != i[:, None]) & (ii != j[:, None])
    inside = (other & (dd < r[:, None] * (1 - 1e-9))).any(axis=1)
    return i[~inside], j[~inside]


def _max_gap_m(polys: np.ndarray) -> float:
    """Longest edge of the minimum spanning tree of the polygons' distances (metres)."""
    from scipy.sparse.csgraph import minimum_spanning_tree

    n = len(polys)
    if n <= 1:
        return 0.0
    i, j = np.triu_indices(n, 1)
    d = shapely.distance(polys[i], polys[j])
    D = np.zeros((n, n))
    D[i, j] = np.maximum(d, 1e-9)  # touching polygons: a zero-length edge, not a missing one
    mst = minimum_spanning_tree(D)
    return float(np.round(mst.data.max(), 3)) if mst.nnz else 0.0


def grid_team_areas(
    neighborhoods: gpd.GeoDataFrame,
    *,
    teams_per_station: Mapping[str, int] | None = None,
    per_team_households: int | None = None,
    adjacency_m: float = DEFAULT_ADJACENCY_M,
    balance_by: str = "households",
    seed: int = 0,
    max_ratio: float = DEFAULT_MAX_RATIO,
) -> gpd.GeoDataFrame:
    """One contiguous area of neighborhoods per "1+2+N" grid team of each station.

    Parameters are those of :func:`assign_grid_teams`.

    Returns
    -------
    GeoDataFrame
        One row per area (same CRS as ``neighborhoods``): ``area_id``, ``station_id``, ``team``,
        ``neighborhoods`` (count), ``neighborhood_ids`` (comma-separated), ``households``,
        ``area_m2`` (square metres of the neighborhoods), ``max_gap_m`` (the widest gap, in metres,
        to cross to reach every neighborhood of the area from any other: the longest edge of the
        minimum spanning tree of their distances), ``share`` (load / the station's mean load),
        geometry: the union of the neighborhoods (MultiPolygon). ``attrs['stations']`` as in
        :func:`assign_grid_teams`.

    Raises
    ------
    InputError, CRSError
        As :func:`assign_grid_teams`.
    """
    assign = assign_grid_teams(
        neighborhoods, teams_per_station=teams_per_station, per_team_households=per_team_households,
        adjacency_m=adjacency_m, balance_by=balance_by, seed=seed, max_ratio=max_ratio,
    )
    geoms = neighborhoods.geometry.to_numpy()
    hh = (pd.to_numeric(neighborhoods["households"], errors="coerce").fillna(0).to_numpy(dtype=float)
          if "households" in neighborhoods else np.zeros(len(neighborhoods)))
    frame = pd.DataFrame({
        "area_id": assign["area_id"].to_numpy(),
        "station_id": assign["station_id"].to_numpy(),
        "team": assign["team"].to_numpy(),
        "nid": assign["neighborhood_id"].astype(str).to_numpy(),
        "households": hh,
        "area_m2": shapely.area(geoms),
        "pos": np.arange(len(neighborhoods)),
    })
    rows = []
    for aid, grp in frame.groupby("area_id", sort=True):
        pos = grp["pos"].to_numpy()
        rows.append({
            "area_id": aid,
            "station_id": grp["station_id"].iloc[0],
            "team": int(grp["team"].iloc[0]),
            "neighborhoods": len(grp),
            "neighborhood_ids": ",".join(grp["nid"]),
            "households": int(round(grp["households"].sum())),
            "area_m2": float(grp["area_m2"].sum()),
            "max_gap_m": _max_gap_m(geoms[pos]),
            "geometry": _as_multipolygon(shapely.union_all(geoms[pos])),
        })
    cols = ["area_id", "station_id", "team", "neighborhoods", "neighborhood_ids", "households", "area_m2",
            "max_gap_m", "geometry"]
    out = gpd.GeoDataFrame(pd.DataFrame(rows, columns=cols), geometry="geometry", crs=neighborhoods.crs)
    load = out["households"].astype(float) if balance_by == "households" else out["area_m2"]
    out["share"] = load / load.groupby(out["station_id"]).transform("mean")
    out.attrs["stations"] = assign.attrs["stations"]
    return out


# --------------------------------------------------------------------------------------------
# summary and layers
# --------------------------------------------------------------------------------------------
def split_summary(
    edge_owners: pd.DataFrame,
    *,
    beats: pd.DataFrame | None = None,
    neighborhoods: pd.DataFrame | None = None,
    subzones: pd.DataFrame | None = None,
    incidents: pd.DataFrame | None = None,
    stations: pd.DataFrame | None = None,
    grid_areas: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The split as one table: a row per owner (the brigade, each station), then a row per beat.

    Parameters
    ----------
    edge_owners
        :func:`assign_edge_owners`' frame (indexed by ``edge_id``).
    beats
        :func:`brigade_beats`' frame.
    neighborhoods, subzones
        Layers with ``station_id`` (neighborhoods also ``households``), counted per station.
    incidents
        Incidents: a street incident (``place_kind == 'street'``, or no ``place_kind``) snapped to
        an edge (``edge_id``) counts for the edge's owner and beat; any other incident for its
        ``station_id``. Incidents with neither are not counted (``attrs['incidents_unplaced']``).
    stations
        The stations layer: every station gets a row (even one holding no road) and its ``name``.
    grid_areas
        :func:`grid_team_areas`' frame, counted per station.

    Returns
    -------
    DataFrame
        ``row`` (``owner`` | ``beat``), ``owner_kind`` (``brigade`` | ``station``), ``owner_id``
        (``brigade``, a station_id, or a beat id ``B01``...), ``name``, ``main_km`` and
        ``local_km`` (kilometres, each street once), ``edges`` (directed), ``neighborhoods``,
        ``households``, ``subzones``, ``grid_teams``, ``incidents``, and for beats ``workload``
        and ``share`` (workload / mean). Counts are NA where their layer was not given.
    """
    key = ["owner_kind", "owner_id"]
    segs = edge_owners.drop_duplicates("segment")
    km = segs.assign(km=segs["length_m"] / 1000.0)
    station_ids = set(edge_owners.loc[edge_owners["owner_kind"] == "station", "owner_id"].dropna().astype(str))
    names: dict[str, str] = {}
    if stations is not None:
        station_ids |= set(stations["station_id"].astype(str))
        if "name" in stations:
            names = dict(zip(stations["station_id"].astype(str), stations["name"].astype(str)))
    has_brigade = bool((edge_owners["owner_kind"] == "brigade").any()) or beats is not None
    owner_ids = (["brigade"] if has_brigade else []) + sorted(station_ids)
    table = pd.DataFrame({
        "row": "owner",
        "owner_kind": ["brigade" if i == "brigade" else "station" for i in owner_ids],
        "owner_id": owner_ids,
    })
    table["name"] = [("特巡警大队" if i == "brigade" else names.get(i, pd.NA)) for i in owner_ids]
    idx = pd.MultiIndex.from_frame(table[key])
    per_class = km.groupby(key + ["road_class"])["km"].sum()
    for cls in ("main", "local"):
        present = cls in per_class.index.get_level_values("road_class")
        sub = per_class.xs(cls, level="road_class") if present else None
        table[f"{cls}_km"] = sub.reindex(idx, fill_value=0.0).to_numpy() if sub is not None else 0.0
    table["edges"] = edge_owners.groupby(key).size().reindex(idx, fill_value=0).to_numpy()
    is_station = table["owner_kind"] == "station"

    def per_station(frame: pd.DataFrame | None, value: str | None = None) -> pd.Series:
        if frame is None or "station_id" not in frame or (value is not None and value not in frame):
            return pd.Series(pd.NA, index=table.index, dtype="Int64")
        sid = frame["station_id"].astype(str)
        if value is None:
            counts = sid.value_counts()
        else:
            counts = pd.to_numeric(frame[value], errors="coerce").groupby(sid).sum()
        return table["owner_id"].map(counts).fillna(0).where(is_station, 0).round().astype("Int64")

    table["neighborhoods"] = per_station(neighborhoods)
    table["households"] = per_station(neighborhoods, "households")
    table["subzones"] = per_station(subzones)
    table["grid_teams"] = per_station(grid_areas)
    table["incidents"] = pd.Series(pd.NA, index=table.index, dtype="Int64")
    beat_counts = None
    unplaced = 0
    if incidents is not None:
        n = len(incidents)
        eid = (pd.to_numeric(incidents["edge_id"], errors="coerce") if "edge_id" in incidents
               else pd.Series(np.nan, index=incidents.index))
        street = (incidents["place_kind"].astype(str).eq("street") if "place_kind" in incidents
                  else pd.Series(True, index=incidents.index))
        on_edge = (street & eid.isin(edge_owners.index)).to_numpy()
        kind = np.full(n, None, dtype=object)
        who = np.full(n, None, dtype=object)
        e_ids = eid.to_numpy()[on_edge].astype(np.int64)
        kind[on_edge] = edge_owners.loc[e_ids, "owner_kind"].astype(str).to_numpy()
        who[on_edge] = edge_owners.loc[e_ids, "owner_id"].astype(str).to_numpy()
        if "station_id" in incidents:
            rest = ~on_edge & incidents["station_id"].notna().to_numpy()
            kind[rest] = "station"
            who[rest] = incidents["station_id"].astype(str).to_numpy()[rest]
        placed = kind != None  # noqa: E711 - elementwise on an object array
        unplaced = int((~placed).sum())
        counts = pd.Series(1, index=pd.MultiIndex.from_arrays([kind[placed], who[placed]]))
        counts = counts.groupby(level=[0, 1]).sum()
        table["incidents"] = pd.array(counts.reindex(idx, fill_value=0).to_numpy(), dtype="Int64")
        if beats is not None:
            on_beat = street.to_numpy() & eid.isin(beats.index).to_numpy()
            beat_counts = beats.loc[eid.to_numpy()[on_beat].astype(np.int64), "beat"].value_counts()
    table["workload"] = np.nan
    table["share"] = np.nan
    if beats is not None and len(beats):
        bt = beat_table(beats)
        na = pd.array([pd.NA] * len(bt), dtype="Int64")
        brows = pd.DataFrame({
            "row": "beat",
            "owner_kind": "brigade",
            "owner_id": bt["beat_id"].to_numpy(),
            "name": [f"巡区 {i}" for i in bt["beat_id"]],
            "main_km": bt["length_m"].to_numpy() / 1000.0,
            "local_km": 0.0,
            "edges": bt["edges"].to_numpy(),
            "neighborhoods": na, "households": na, "subzones": na, "grid_teams": na,
            "incidents": pd.array(
                [int(beat_counts.get(b, 0)) for b in bt.index] if beat_counts is not None else [pd.NA] * len(bt),
                dtype="Int64",
            ),
            "workload": bt["workload"].to_numpy(),
            "share": bt["share"].to_numpy(),
        })
        table = pd.concat([table, brows], ignore_index=True)
    table["name"] = table["name"].astype("string")
    table.attrs["incidents_unplaced"] = unplaced
    return table


def split_layers(
    ws: Any,
    *,
    k: int | None = None,
    weight: Mapping[int, float] | None = None,
    per_team_households: int | None = None,
    adjacency_m: float = DEFAULT_ADJACENCY_M,
    seed: int = 0,
    max_ratio: float = DEFAULT_MAX_RATIO,
) -> dict[str, pd.DataFrame]:
    """Read a workspace and compute the whole split, as layers ready for ``Workspace.write``.

    Parameters
    ----------
    ws
        A :class:`geo.workspace.Workspace` with a road network (and ideally stations,
        neighborhoods, units, subzones, incidents).
    k
        Brigade beats; default: the number of ``brigade_vehicle`` units in ``units``.
    weight, seed, max_ratio
        As in :func:`brigade_beats`.
    per_team_households, adjacency_m
        As in :func:`grid_team_areas` (team counts come from the ``grid_team`` units per station).

    Returns
    -------
    dict
        ``edge_owners`` (the road edges' geometry with ``owner_kind``, ``owner_id``, ``station_id``,
        ``how``, ``beat``: 1-based beat number for main roads, NA else, ``beat_id``), ``beats``
        (one MultiLineString per beat: ``beat_id``, ``beat``, ``length_m``, ``workload``, ``share``,
        ``segments``), ``grid_team_areas`` (when there are neighborhoods) and ``split_summary``
        (attribute table). ``split_summary.attrs`` carries the beat balance.

    Raises
    ------
    InputError
        When there is no road network, or ``k`` is not given and the units layer has no brigade
        vehicles.
    InfeasibleError
        When the main-road network cannot take ``k`` connected beats.
    """
    from routing.graph import graph_from_workspace

    G = graph_from_workspace(ws)
    stations = ws.read("stations") if ws.has("stations") else None
    units = ws.read("units") if ws.has("units") else None
    if k is None:
        has_kind = units is not None and "kind" in units
        n_vehicles = int((units["kind"] == "brigade_vehicle").sum()) if has_kind else 0
        if n_vehicles == 0:
            raise InputError(
                f"workspace '{ws.path}': how many brigade beats? The units layer has no brigade_vehicle units; "
                f"give the number with --brigade-units K"
            )
        k = n_vehicles
    owners = assign_edge_owners(G, stations=stations)
    beats = brigade_beats(G, k=k, weight=weight, seed=seed, max_ratio=max_ratio)
    edges = ws.read("road_edges")
    keep = [c for c in ("edge_id", "u", "v", "key", "highway", "name", "oneway", "length_m") if c in edges]
    eo = edges[keep + ["geometry"]].copy()
    eid = eo["edge_id"].astype("int64")
    for col in ("owner_kind", "owner_id", "station_id", "how", "road_class"):
        eo[col] = owners[col].reindex(eid.to_numpy()).to_numpy()
    beat = beats["beat"].reindex(eid.to_numpy())
    eo["beat"] = pd.array(beat.to_numpy() + 1, dtype="Int64") if len(beat) else pd.array([], dtype="Int64")
    eo["beat_id"] = pd.array([f"B{int(b):02d}" if pd.notna(b) else pd.NA for b in eo["beat"]], dtype="string")
    layers: dict[str, pd.DataFrame] = {"edge_owners": gpd.GeoDataFrame(eo, geometry="geometry", crs=edges.crs)}
    bt = beat_table(beats)
    geom_by_edge = pd.Series(edges.geometry.to_numpy(), index=eid.to_numpy())
    seg_first = beats.reset_index().drop_duplicates("segment")
    beat_geoms = []
    for b in bt.index:
        ids = seg_first.loc[seg_first["beat"] == b, "edge_id"].to_numpy()
        beat_geoms.append(shapely.multilinestrings(list(geom_by_edge.loc[ids].to_numpy())))
    layers["beats"] = gpd.GeoDataFrame(
        {"beat_id": bt["beat_id"].to_numpy(), "beat": bt.index.to_numpy() + 1,
         "length_m": bt["length_m"].to_numpy(), "workload": bt["workload"].to_numpy(),
         "share": bt["share"].to_numpy(), "segments": bt["segments"].to_numpy()},
        geometry=beat_geoms, crs=edges.crs,
    )
    neighborhoods = ws.read("neighborhoods") if ws.has("neighborhoods") else None
    if neighborhoods is not None and len(neighborhoods):
        layers["grid_team_areas"] = grid_team_areas(
            neighborhoods, teams_per_station=grid_teams_per_station(units) if units is not None else None,
            per_team_households=per_team_households, adjacency_m=adjacency_m, seed=seed, max_ratio=max_ratio,
        )
    summary = split_summary(
        owners, beats=beats, neighborhoods=neighborhoods,
        subzones=ws.read("subzones") if ws.has("subzones") else None,
        incidents=ws.read("incidents") if ws.has("incidents") else None,
        stations=stations, grid_areas=layers.get("grid_team_areas"),
    )
    summary.attrs.update({k_: v for k_, v in beats.attrs.items() if k_ != "links"})
    layers["split_summary"] = summary
    return layers
