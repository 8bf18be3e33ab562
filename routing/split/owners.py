"""Road owners: main roads to the brigade, every other edge to a police station.

* :func:`assign_edge_owners` gives every road edge exactly one owner: the brigade for main roads,
  else the station whose jurisdiction holds the edge (jurisdiction polygons, or network Voronoi
  cells around the station sites by travel time where there are no polygons).
* :func:`derive_jurisdictions` draws those network Voronoi cells as polygons.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import cKDTree

from geo.errors import CRSError, InputError
from routing.split.net import _as_multipolygon, _csr, _Net, _net

__all__ = ["assign_edge_owners", "derive_jurisdictions"]


def _station_sites(stations: gpd.GeoDataFrame, crs: CRS) -> tuple[np.ndarray, np.ndarray]:
    """Station ids (str) and site coordinates (n x 2, metres): ``site_x``/``site_y``, else the
    point geometry, else a point inside the jurisdiction polygon."""
    if "station_id" not in stations.columns:
        raise InputError("stations: no 'station_id' column; add it (see docs/data-model.md)",
                         code="layer.missing_columns", layer="stations", columns="station_id")
    if stations.crs is not None and not CRS.from_user_input(stations.crs).equals(crs):
        raise CRSError(
            f"stations are in {CRS.from_user_input(stations.crs).to_string()} but the road graph in "
            f"{crs.to_string()}; reproject with .to_crs(...)",
            code="crs.mismatch", a="stations", a_crs=CRS.from_user_input(stations.crs).to_string(),
            b="road graph", b_crs=crs.to_string(),
        )
    ids = stations["station_id"].astype(str).to_numpy()
    if len(set(ids)) != len(ids):
        raise InputError("stations: station_id values repeat; make them unique", code="split.station_ids")
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
            f"or a jurisdiction polygon",
            code="split.no_site", stations=", ".join(ids[still][:5]),
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
                "pass the 'stations' layer (import it with 'patrolnet import', or run 'patrolnet demo')",
                code="split.no_stations",
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
        raise InputError(f"spacing_m must be a positive number of metres, not {spacing_m!r}", code="param.metres",
                         name="spacing_m", value=str(spacing_m))
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
                f"{crs.to_string()}; reproject with .to_crs(...)",
                code="crs.mismatch", a="boundary", a_crs=boundary.crs.to_string() if boundary.crs else "-",
                b="road graph", b_crs=crs.to_string(),
            )
        return shapely.union_all(boundary.geometry.to_numpy())
    return boundary
