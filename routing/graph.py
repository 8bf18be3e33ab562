"""The road graph: workspace road layers as an osmnx-compatible ``MultiDiGraph``.

Nodes carry ``x``, ``y`` (working CRS, metres); edges carry ``edge_id``, ``length_m`` (metres),
``speed_kph``, ``travel_time_s`` (seconds), ``oneway``, ``highway``, ``name``, ``road_class``
(``main`` for the patrol brigade, ``local`` for the stations) and ``geometry``. For osmnx's own
functions the edges also carry ``length`` and ``travel_time`` (same values), and the graph carries
its CRS in ``G.graph["crs"]``.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterable
from typing import NamedTuple

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely

from geo.crs import require_metric
from geo.errors import CRSError, InputError
from geo.schema import MAIN_HIGHWAYS

__all__ = [
    "MAIN_HIGHWAYS",
    "DEFAULT_SPEED_KPH",
    "GRAPH_EDGE_COLUMNS",
    "classify_roads",
    "speed_kph",
    "graph_from_layers",
    "graph_from_workspace",
    "main_highways",
    "mark_neighborhoods",
    "StreetLines",
    "about_as_long",
    "road_layers",
    "street_lines",
    "street_lines_of_layer",
    "place_name",
    "street_names",
]

#: Patrol-speed assumptions per road class when no ``maxspeed`` is tagged (km/h, urban China).
DEFAULT_SPEED_KPH: dict[str, float] = {
    "motorway": 80, "motorway_link": 40, "trunk": 60, "trunk_link": 35, "primary": 45, "primary_link": 30,
    "secondary": 40, "secondary_link": 30, "tertiary": 35, "tertiary_link": 25, "unclassified": 30,
    "residential": 25, "living_street": 10, "service": 15, "road": 25, "track": 15, "pedestrian": 5,
    "footway": 5, "path": 5, "steps": 3, "cycleway": 15,
}
_FALLBACK_SPEED = 20.0
#: The columns of ``road_edges`` a graph is built from (:func:`graph_from_layers`), besides its lines.
GRAPH_EDGE_COLUMNS = ("edge_id", "key", "u", "v", "highway", "maxspeed", "oneway", "name", "length_m")


def main_highways(*, include_tertiary: bool = False, extra: Iterable[str] = ()) -> tuple[str, ...]:
    """The highway values counted as main roads (``tertiary`` is a setting, off by default)."""
    out = list(MAIN_HIGHWAYS)
    if include_tertiary:
        out += ["tertiary", "tertiary_link"]
    out += [h for h in extra if h not in out]
    return tuple(out)


def _first_tag(values: pd.Series) -> pd.Series:
    """OSM multi-values ("primary;secondary", lists) -> the first value (worked out once per
    distinct value: a city's 100,000 edges have a few dozen)."""

    def first(v: object) -> object:
        if isinstance(v, tuple):
            v = v[0] if len(v) else None
        if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
            return pd.NA
        return str(v).split(";")[0].strip()

    if values.dtype == object and any(type(v) is list for v in values.tolist()):
        values = values.map(lambda v: tuple(v) if isinstance(v, list) else v)
    codes, uniq = pd.factorize(values)
    table = np.array([first(u) for u in uniq] + [pd.NA], dtype=object)
    return pd.Series(table[codes], index=values.index, dtype="string")


def classify_roads(highway: pd.Series, *, main: Iterable[str] = MAIN_HIGHWAYS) -> pd.Series:
    """``main`` for the highway kinds in ``main``, else ``local``."""
    first = _first_tag(highway)
    return pd.Series(np.where(first.isin(list(main)).fillna(False), "main", "local"), index=highway.index, dtype="string")


_MPH = re.compile(r"mph", re.IGNORECASE)


def speed_kph(highway: pd.Series, maxspeed: pd.Series | None = None) -> pd.Series:
    """Speed in km/h: the numeric ``maxspeed`` tag where there is one (mph converted), else the class
    default of :data:`DEFAULT_SPEED_KPH` (worked out once per distinct pair of tags)."""
    pair = pd.DataFrame({"h": _first_tag(highway),
                         "m": _first_tag(maxspeed) if maxspeed is not None else pd.Series(pd.NA, index=highway.index,
                                                                                        dtype="string")})
    codes, uniq = pd.factorize(pd.MultiIndex.from_frame(pair), use_na_sentinel=False)
    if not len(uniq):
        return pd.Series(np.full(len(highway), _FALLBACK_SPEED), index=highway.index, dtype=float)
    h = pd.Series(uniq.get_level_values(0), dtype="string")
    m = pd.Series(uniq.get_level_values(1), dtype="string")
    default = h.map(DEFAULT_SPEED_KPH).astype("Float64").fillna(_FALLBACK_SPEED)
    number = pd.to_numeric(m.str.extract(r"(\d+(?:\.\d+)?)", expand=False), errors="coerce").astype("Float64")
    number = number.where(~m.str.contains(_MPH, na=False), number * 1.609344)
    number = number.where((number > 0) & (number < 200))
    once = number.astype("Float64").fillna(default).astype(float).to_numpy()
    return pd.Series(once[codes], index=highway.index, dtype=float)


def graph_from_layers(
    nodes: gpd.GeoDataFrame,
    edges: gpd.GeoDataFrame,
    *,
    main: Iterable[str] = MAIN_HIGHWAYS,
) -> nx.MultiDiGraph:
    """Build the road graph from ``road_nodes`` and ``road_edges`` layers (same projected CRS).

    Raises
    ------
    CRSError
        When the layers are not in one projected CRS.
    InputError
        When an edge references a node that is not in ``nodes``, or lengths are missing.
    """
    for what, frame in (("road_nodes", nodes), ("road_edges", edges)):
        require_metric(frame, what)
    if not nodes.crs.equals(edges.crs):
        raise CRSError(f"road_nodes are in {nodes.crs.to_string()} but road_edges in {edges.crs.to_string()}",
                       code="crs.mismatch", a="road_nodes", a_crs=nodes.crs.to_string(), b="road_edges",
                       b_crs=edges.crs.to_string())
    node_ids = nodes["node_id"].to_numpy()
    known = pd.Index(node_ids)
    missing_u = ~edges["u"].isin(known)
    missing_v = ~edges["v"].isin(known)
    if (missing_u | missing_v).any():
        bad = edges[missing_u | missing_v]
        raise InputError(
            f"road_edges: {len(bad)} edge(s) reference nodes missing from road_nodes "
            f"(first: edge_id {bad['edge_id'].iloc[0]}, u={bad['u'].iloc[0]}, v={bad['v'].iloc[0]}); "
            f"re-import the road network",
            code="routes.missing_nodes", n=len(bad), edge=str(bad["edge_id"].iloc[0]),
        )
    g = nx.MultiDiGraph(crs=edges.crs)
    xs = nodes["x"].to_numpy(dtype=float) if "x" in nodes else nodes.geometry.x.to_numpy()
    ys = nodes["y"].to_numpy(dtype=float) if "y" in nodes else nodes.geometry.y.to_numpy()
    sc = nodes["street_count"].to_numpy() if "street_count" in nodes else np.zeros(len(nodes), dtype=int)
    g.add_nodes_from(
        (int(n), {"x": float(x), "y": float(y), "street_count": int(c) if pd.notna(c) else 0})
        for n, x, y, c in zip(node_ids, xs, ys, sc)
    )
    length = edges["length_m"].astype(float) if "length_m" in edges else edges.geometry.length
    if length.isna().any():
        length = length.fillna(edges.geometry.length)
    speed = speed_kph(edges["highway"], edges["maxspeed"] if "maxspeed" in edges else None)
    travel = length.to_numpy() / (speed.to_numpy() / 3.6)
    cls = classify_roads(edges["highway"], main=main)
    oneway = edges["oneway"].fillna(False).astype(bool) if "oneway" in edges else pd.Series(False, index=edges.index)
    names = edges["name"] if "name" in edges else pd.Series(pd.NA, index=edges.index)
    keys = edges["key"].to_numpy() if "key" in edges else np.zeros(len(edges), dtype=int)
    attrs = pd.DataFrame({
        "edge_id": edges["edge_id"].to_numpy(),
        "highway": _first_tag(edges["highway"]).to_numpy(),
        "name": names.to_numpy(),
        "oneway": oneway.to_numpy(),
        "length_m": length.to_numpy(),
        "length": length.to_numpy(),
        "speed_kph": speed.to_numpy(),
        "travel_time_s": travel,
        "travel_time": travel,
        "road_class": cls.to_numpy(),
        "geometry": edges.geometry.to_numpy(),
    })
    attrs["name"] = [None if v is pd.NA or v is None or (isinstance(v, float) and np.isnan(v)) else v
                     for v in attrs["name"].tolist()]
    attrs["edge_id"] = attrs["edge_id"].astype(np.int64)
    cols = list(attrs.columns)
    # each edge's attribute dict placed as MultiDiGraph.add_edge places it (its key dict shared by
    # the successors and the predecessors), without add_edge's checks per call: a third of the time
    succ, pred = g._succ, g._pred
    for u, v, k, row in zip(edges["u"].astype(np.int64).tolist(), edges["v"].astype(np.int64).tolist(),
                            np.asarray(keys).astype(np.int64).tolist(), zip(*(attrs[c].tolist() for c in cols))):
        keydict = succ[u].get(v)
        if keydict is None:
            keydict = succ[u][v] = pred[v][u] = g.edge_key_dict_factory()
        keydict[k] = dict(zip(cols, row))
    g.graph["main_highways"] = list(main)
    return g


def road_layers(ws) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, tuple[str, ...]]:  # noqa: ANN001
    """A workspace's ``road_nodes`` and ``road_edges`` layers (the columns of
    :data:`GRAPH_EDGE_COLUMNS`) and its main-road classes (``meta.main_highways``), as
    :func:`graph_from_workspace` builds the graph from them."""
    if not (ws.has("road_nodes") and ws.has("road_edges")):
        raise InputError(
            f"workspace '{ws.path}' has no road network; build one with 'patrolnet init --osm FILE' or 'patrolnet demo'",
            code="data.no_roads",
        )
    main = ws.meta_json("main_highways", None) or MAIN_HIGHWAYS
    present = set(ws.read("road_edges", max_features=0).columns)
    edges = ws.read("road_edges", columns=[c for c in GRAPH_EDGE_COLUMNS if c in present])
    return ws.read("road_nodes"), edges, tuple(main)


def graph_from_workspace(ws, *, main: Iterable[str] | None = None) -> nx.MultiDiGraph:  # noqa: ANN001
    """The road graph of a workspace; main-road classes from ``meta.main_highways`` unless given."""
    nodes, edges, kept = road_layers(ws)
    return graph_from_layers(nodes, edges, main=kept if main is None else main)


def about_as_long(a: np.ndarray | float, b: np.ndarray | float) -> np.ndarray | bool:
    """Whether arcs of lengths ``a`` and ``b`` (metres) are about as long: within 1 % and a metre,
    as the two directions of one two-way street are (:func:`street_lines`,
    ``routing.patrol.brigade``'s risk of a street)."""
    return np.abs(np.asarray(a, dtype=float) - np.asarray(b, dtype=float)) <= 0.01 * np.asarray(a, dtype=float) + 1.0


class StreetLines(NamedTuple):
    """The streets of a road graph, each once (:func:`street_lines`): a two-way street is drawn and
    crossed once, not once per direction. Per street, in ``edge_id`` order: the ``edge_id`` of the
    arc kept (the lower of the two), its end nodes, its line (``None``: not drawn), its name
    (``None``: unnamed) and whether it is a main road."""

    edge_id: np.ndarray
    u: np.ndarray
    v: np.ndarray
    geoms: np.ndarray
    names: np.ndarray
    main: np.ndarray


def _named(values: Iterable[object]) -> np.ndarray:
    """Street names as text, ``None`` for a missing or blank one."""
    return np.array([v if isinstance(v, str) and v.strip() else None for v in values], dtype=object)


def _one_per_street(edge_id: np.ndarray, u: np.ndarray, v: np.ndarray, length: np.ndarray, geoms: np.ndarray,
                    names: np.ndarray, main: np.ndarray) -> StreetLines:
    """The arcs given, each arc whose reverse twin (an arc ``v -> u`` before it in ``edge_id`` order,
    :func:`about_as_long` and drawn as the same line, or both undrawn) is among them left out; in
    ``edge_id`` order."""
    order = np.argsort(edge_id, kind="stable")
    edge_id, u, v, length, geoms, names, main = (a[order] for a in (edge_id, u, v, length, geoms, names, main))
    at = np.arange(len(edge_id))
    fwd = pd.DataFrame({"a": u, "b": v, "len": length, "first": at})
    back = pd.DataFrame({"a": v, "b": u, "len_t": length, "pos": at})
    pairs = back.merge(fwd, on=["a", "b"], how="inner")
    pairs = pairs[(pairs["first"] < pairs["pos"]) & (pairs["a"] != pairs["b"])
                  & about_as_long(pairs["len"].to_numpy(), pairs["len_t"].to_numpy())]
    ga, gb = geoms[pairs["first"].to_numpy(dtype=np.int64)], geoms[pairs["pos"].to_numpy(dtype=np.int64)]
    twin = pairs[_backwards(ga, gb)]  # the same line backwards (not another way between the two nodes)
    keep = np.ones(len(edge_id), dtype=bool)
    keep[twin["pos"].to_numpy(dtype=np.int64)] = False
    return StreetLines(edge_id[keep], u[keep], v[keep], geoms[keep], names[keep], main[keep])


def _backwards(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per pair of lines (``None``: undrawn), whether ``b`` is ``a`` drawn backwards (its vertices
    in reverse order, to a millimetre), or both are undrawn."""
    none_a = np.array([g is None for g in a.tolist()], dtype=bool)
    none_b = np.array([g is None for g in b.tolist()], dtype=bool)
    out = none_a & none_b
    na, nb = shapely.get_num_coordinates(a), shapely.get_num_coordinates(b)
    cand = np.flatnonzero(~none_a & ~none_b & (na == nb) & (na > 0))
    if not len(cand):
        return out
    xa = shapely.get_coordinates(a[cand])
    xb = shapely.get_coordinates(b[cand])
    cnt = na[cand]
    start = np.r_[0, np.cumsum(cnt)[:-1]]
    which = np.repeat(np.arange(len(cand)), cnt)
    rank = np.arange(len(xa)) - start[which]
    flipped = xb[start[which] + cnt[which] - 1 - rank]  # b's vertices in reverse order
    close = (np.abs(xa - flipped) <= 1e-3).all(axis=1)
    out[cand] = np.logical_and.reduceat(close, start)
    return out


def street_lines(G: nx.MultiDiGraph) -> StreetLines:
    """The :class:`StreetLines` of ``G`` (arcs without ``edge_id`` numbered after the rest, in the
    graph's order)."""
    rows = list(G.edges(data=True))
    known = [d.get("edge_id") for _, _, d in rows]
    top = max((int(e) for e in known if e is not None), default=-1)
    eid = np.array([int(e) if e is not None else top + 1 + i for i, e in enumerate(known)], dtype=np.int64)
    u = np.empty(len(rows), dtype=object)
    v = np.empty(len(rows), dtype=object)
    u[:], v[:] = [a for a, _, _ in rows], [b for _, b, _ in rows]
    length = np.array([float(d.get("length_m", d.get("length", 0.0)) or 0.0) for _, _, d in rows], dtype=float)
    geoms = np.empty(len(rows), dtype=object)
    geoms[:] = [d.get("geometry") for _, _, d in rows]
    main = np.array([d.get("road_class") == "main" for _, _, d in rows], dtype=bool)
    return _one_per_street(eid, u, v, length, geoms, _named(d.get("name") for _, _, d in rows), main)


def street_lines_of_layer(edges: gpd.GeoDataFrame, *, main: Iterable[str] = MAIN_HIGHWAYS) -> StreetLines:
    """The :class:`StreetLines` of the graph :func:`graph_from_layers` builds from ``edges`` (the
    same, without building it or reading it back)."""
    length = edges["length_m"].astype(float) if "length_m" in edges else edges.geometry.length
    if length.isna().any():
        length = length.fillna(edges.geometry.length)
    names = edges["name"] if "name" in edges else pd.Series(pd.NA, index=edges.index)
    geoms = np.empty(len(edges), dtype=object)
    geoms[:] = [None if g is None or (isinstance(g, float) and np.isnan(g)) else g
                for g in edges.geometry.to_numpy().tolist()]
    return _one_per_street(edges["edge_id"].to_numpy().astype(np.int64), edges["u"].to_numpy().astype(np.int64),
                           edges["v"].to_numpy().astype(np.int64), length.to_numpy(dtype=float), geoms,
                           _named(names.tolist()),
                           (classify_roads(edges["highway"], main=main) == "main").to_numpy(dtype=bool))


def street_names(G: nx.MultiDiGraph, node: object) -> list[str]:
    """The distinct names of the streets that meet at ``node`` (in and out), in name order."""
    found: set[str] = set()
    multi = G.is_multigraph()
    for nbrs in (G._pred[node], G._succ[node]):  # the adjacency itself: no edge view per call
        for keys in nbrs.values():
            for d in (keys.values() if multi else (keys,)):
                name = d.get("name")
                if isinstance(name, str) and name.strip():
                    found.add(name)
    return sorted(found)


def place_name(G: nx.MultiDiGraph, node: object, *, search_m: float = 400.0) -> tuple[str, str | None]:
    """What a patrol stop at ``node`` is called on a sheet, and its street: a neighborhood's gate
    ``"龙凤花园东门"`` (where a street crosses into it, when :func:`mark_neighborhoods` has named the
    graph's nodes), ``"A与B交叉口"`` where named streets cross, the side of a neighborhood
    ``"龙凤花园东侧"`` beside one, the street's name on one named street, ``"A附近"`` when the nearest
    named street is within ``search_m`` metres along the streets (a stop in a lane or a yard);
    ``"无名路口"`` only when no named street is that near. The street is the first name of the
    streets there, or of the nearest named one (``None`` without one)."""
    names = street_names(G, node)
    kind, label = G.graph.get(PLACES_KEY, {}).get(node, (None, None))
    near: str | None = names[0] if names else None
    if near is None:
        lengths = _lengths_within(G, node, search_m)
        for other, _ in sorted(lengths.items(), key=lambda kv: (kv[1], str(kv[0]))):
            found = street_names(G, other)
            if found:
                near = found[0]
                break
    if kind == "gate":
        return label, near
    if len(names) > 1:
        return "与".join(names[:2]) + "交叉口", names[0]
    if kind == "beside":
        return label, near
    if names:
        return names[0], names[0]
    return (f"{near}附近", near) if near else ("无名路口", None)


#: ``G.graph[PLACES_KEY]``: node -> ("gate" | "beside", name), from :func:`mark_neighborhoods`.
PLACES_KEY = "neighborhood_places"
#: A node this near (metres) to where a street crosses into a neighborhood is at its gate ...
GATE_NEAR_M = 60.0
#: ... and a node this near to a neighborhood's edge is beside it.
BESIDE_M = 30.0
_SIDES = ("北", "东", "南", "西")
_NUMERALS = "〇一二三四五六七八九十"


def _side(dx: np.ndarray, dy: np.ndarray) -> np.ndarray:
    """北/东/南/西: the quarter of the compass a direction points to (north up)."""
    bearing = np.mod(np.degrees(np.arctan2(dx, dy)) + 45.0, 360.0)
    return np.asarray(_SIDES, dtype=object)[(bearing // 90).astype(int) % 4]


def mark_neighborhoods(G: nx.MultiDiGraph, neighborhoods: gpd.GeoDataFrame | None, *,
                       streets: StreetLines | None = None) -> None:
    """Name the graph's nodes by the neighborhoods around them, for :func:`place_name`: a node at
    an end of a street crossing into a neighborhood (within :data:`GATE_NEAR_M` of the crossing) is
    that neighborhood's gate on the side it faces from the neighborhood's centre (``龙凤花园东门``;
    ``龙凤花园东门（人民北路）`` when that side has several, ``龙凤花园东二门`` when their streets have
    no name); a node within :data:`BESIDE_M` of a
    neighborhood is beside it (``龙凤花园东侧``), or in it (``龙凤花园内``). Kept in ``G.graph[PLACES_KEY]`` (copies of the
    graph share it); nothing is marked without named neighborhoods in the graph's CRS. ``streets``:
    :func:`street_lines` of ``G`` when already made (:func:`street_lines_of_layer`)."""
    if neighborhoods is None or not len(neighborhoods) or "name" not in neighborhoods.columns:
        return
    polys = neighborhoods.geometry.to_numpy()
    names = neighborhoods["name"].astype("string").fillna("").to_numpy(dtype=object)
    ok = np.array([bool(str(n).strip()) for n in names]) & ~shapely.is_empty(polys) & shapely.is_valid(polys)
    polys, names = polys[ok], names[ok]
    nodes = list(G.nodes)
    if not len(polys) or not nodes:
        return
    xy = np.array([(G.nodes[n]["x"], G.nodes[n]["y"]) for n in nodes], dtype=float)
    points = shapely.points(xy)
    centre = shapely.get_coordinates(shapely.centroid(polys))
    index = {n: i for i, n in enumerate(nodes)}
    places: dict[object, tuple[str, str]] = {}
    # beside: the nearest neighborhood within BESIDE_M, named by the side of it the node is on
    pi, ni = shapely.STRtree(points).query(polys, predicate="dwithin", distance=BESIDE_M)
    if len(pi):
        dist = shapely.distance(points[ni], polys[pi])
        order = np.lexsort((pi, dist, ni))
        first = order[np.r_[True, ni[order][1:] != ni[order][:-1]]]
        sides = _side(xy[ni[first], 0] - centre[pi[first], 0], xy[ni[first], 1] - centre[pi[first], 1])
        for j, side, d in zip(first.tolist(), sides.tolist(), dist[first].tolist()):
            places[nodes[ni[j]]] = ("beside", f"{names[pi[j]]}{side}侧" if d > 0 else f"{names[pi[j]]}内")
    # gates: streets crossing a neighborhood's edge, each street once (not once per direction)
    streets = street_lines(G) if streets is None else streets
    drawn = np.array([g is not None for g in streets.geoms], dtype=bool)
    lines = streets.geoms[drawn].tolist()
    ends = [(index[a], index[b]) for a, b in zip(streets.u[drawn].tolist(), streets.v[drawn].tolist())]
    roads = [n or "" for n in streets.names[drawn].tolist()]
    if not lines:
        G.graph[PLACES_KEY] = places
        return
    lines_a = np.array(lines, dtype=object)
    rings = shapely.boundary(polys)
    ri, li = shapely.STRtree(lines_a).query(rings, predicate="crosses")
    gates: list[tuple[int, int, float, float, str]] = []  # neighborhood, street, crossing x, y, road
    for r, line in zip(ri.tolist(), li.tolist()):
        cut = shapely.get_coordinates(shapely.intersection(lines_a[line], rings[r]))
        if len(cut):
            gates.append((r, line, float(cut[0, 0]), float(cut[0, 1]), roads[line]))
    if gates:
        gates.sort(key=lambda t: (t[0], t[2], t[3]))  # numbered west to east, then south to north
        g = np.array([(a, b, x, y) for a, b, x, y, _ in gates], dtype=float)
        sides = _side(g[:, 2] - centre[g[:, 0].astype(int), 0], g[:, 3] - centre[g[:, 0].astype(int), 1])
        per_side: dict[tuple[int, str], int] = {}
        for (r, *_), side in zip(gates, sides.tolist()):
            per_side[(r, side)] = per_side.get((r, side), 0) + 1
        best: dict[object, tuple[float, str]] = {}
        counted: dict[tuple[int, str], int] = {}
        for (r, line, x, y, road), side in zip(gates, sides.tolist()):
            counted[(r, side)] = counted.get((r, side), 0) + 1
            label = f"{names[r]}{side}门"  # several on a side: by their street, else 东一门, 东二门 ...
            if per_side[(r, side)] > 1:
                k = counted[(r, side)]
                label = f"{label}（{road}）" if road else f"{names[r]}{side}{_NUMERALS[k] if k < len(_NUMERALS) else f'{k}号'}门"
            for end in ends[line]:
                d = float(np.hypot(xy[end, 0] - x, xy[end, 1] - y))
                if d <= GATE_NEAR_M and d < best.get(nodes[end], (np.inf, ""))[0]:
                    best[nodes[end]] = (d, label)
        for node, (_, label) in best.items():
            places[node] = ("gate", label)
    G.graph[PLACES_KEY] = places


def _lengths_within(G: nx.MultiDiGraph, source: object, cutoff: float) -> dict[object, float]:
    """Metres along the streets (either way) from ``source`` to every node within ``cutoff``:
    Dijkstra over the arcs out of and into each node, as on the undirected graph."""
    dist: dict[object, float] = {source: 0.0}
    heap: list[tuple[float, int, object]] = [(0.0, 0, source)]
    done: set[object] = set()
    tie = 1
    while heap:
        d, _, u = heapq.heappop(heap)
        if u in done:
            continue
        done.add(u)
        for nbrs in (G._succ[u], G._pred[u]):
            for v, keys in nbrs.items():
                w = d + min(float(a.get("length_m", 0.0)) for a in keys.values())
                if w <= cutoff and w < dist.get(v, float("inf")):
                    dist[v] = w
                    heapq.heappush(heap, (w, tie, v))
                    tie += 1
    return dist
