"""Grid-team areas: each station's neighborhoods grouped into contiguous areas, one per "1+2+N"
grid team (1 officer + 2 auxiliaries + N volunteers), balanced by households."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from geo.crs import require_metric
from geo.errors import InputError
from routing.split.net import _as_multipolygon, _csr
from routing.split.partition import (
    DEFAULT_FRAGMENT_SHARE,
    DEFAULT_MAX_RATIO,
    _order_labels,
    _partition,
)

__all__ = [
    "DEFAULT_ADJACENCY_M",
    "DEFAULT_HOUSEHOLDS_PER_TEAM",
    "grid_teams_per_station",
    "assign_grid_teams",
    "grid_team_areas",
]

#: Neighborhoods closer than this (metres) are adjacent: they are separated only by a street.
DEFAULT_ADJACENCY_M = 150.0
#: Households one "1+2+N" grid team serves when the units layer does not say how many teams a
#: station has (an assumption; set it per district).
DEFAULT_HOUSEHOLDS_PER_TEAM = 1500


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
            raise InputError(f"neighborhoods: no '{col}' column; add it (see docs/data-model.md)",
                             code="layer.missing_columns", layer="neighborhoods", columns=col)
    if balance_by not in ("households", "area"):
        raise InputError(f"balance_by must be 'households' or 'area', not {balance_by!r}", code="param.choice",
                         name="balance_by", value=str(balance_by), known="households, area")
    if balance_by == "households" and "households" not in neighborhoods.columns:
        raise InputError("neighborhoods: no 'households' column; add it or use balance_by='area'",
                         code="split.no_households")
    require_metric(neighborhoods, "neighborhoods")
    if not (adjacency_m >= 0):
        raise InputError(f"adjacency_m must be >= 0 metres, not {adjacency_m!r}", code="param.at_least",
                         name="adjacency_m", value=str(adjacency_m), min=0)
    per_team = DEFAULT_HOUSEHOLDS_PER_TEAM if per_team_households is None else per_team_households
    if not (per_team > 0):
        raise InputError(f"per_team_households must be > 0, not {per_team_households!r}", code="param.positive",
                         name="per_team_households", value=str(per_team_households))
    teams = dict(teams_per_station or {})
    bad_teams = {s: t for s, t in teams.items() if not (isinstance(t, int | np.integer) and t >= 1)}
    if bad_teams:
        s, t = next(iter(bad_teams.items()))
        raise InputError(f"teams_per_station: station {s} has {t!r} teams; give a whole number >= 1",
                         code="split.teams", station=str(s), value=str(t))
    geoms = neighborhoods.geometry.to_numpy()
    if balance_by == "households":
        hh = pd.to_numeric(neighborhoods["households"], errors="coerce").fillna(0).to_numpy(dtype=float)
        if (hh < 0).any():
            i = int(np.flatnonzero(hh < 0)[0])
            raise InputError(
                f"neighborhoods: negative households ({hh[i]:g}) for "
                f"{neighborhoods['neighborhood_id'].iloc[i]}; fix the row",
                code="split.negative_households", value=f"{hh[i]:g}",
                id=str(neighborhoods["neighborhood_id"].iloc[i]),
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
