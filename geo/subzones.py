"""Sub-zones (小片区): a partition of the covered area into small cells that follow the streets.

The method's district was cut into 1,979 small sub-zones. Here:

1. the street network is polygonized into blocks (the faces the streets enclose), clipped to the
   boundary, and cut by the station jurisdictions and communities so that every piece lies in
   exactly one of each;
2. pieces much larger than the target area are split by straight cuts across their long axis,
   each cut placed where it crosses the least neighborhood area (neighborhoods stay whole where
   that can be avoided);
3. pieces much smaller than the target are merged into the neighbour (same station and community)
   with which they share the longest border; the merge threshold is searched so that the count
   lands on the requested number.

The result is a partition: no overlaps, no holes inside the covered area, every polygon valid.
All work is in the working CRS (metres). Sub-zone ids are stable: the same input gives the same ids.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from geo.crs import require_metric
from geo.errors import InfeasibleError, InputError
from geo.progress import Progress, no_progress

__all__ = ["street_blocks", "build_subzones", "SubzoneResult", "check_grid_size", "check_partition"]

_MIN_PIECE_M2 = 1.0


def street_blocks(edges: gpd.GeoDataFrame, *, area: BaseGeometry | None = None) -> gpd.GeoSeries:
    """Polygonize the street network into blocks (faces enclosed by streets), clipped to ``area``.

    Parameters
    ----------
    edges
        Road edges (LineStrings, working CRS, metres). Both directed copies of a street may be given.
    area
        Optional polygon (e.g. the district boundary) the blocks are clipped to.
    """
    require_metric(edges, "road edges")
    lines = edges.geometry.to_numpy()
    lines = lines[~(shapely.is_missing(lines) | shapely.is_empty(lines))]
    if len(lines) == 0:
        raise InputError("no road edges to build blocks from; import a road network first (patrolnet init --osm)",
                         code="data.no_roads")
    # node the linework (both directions collapse into one line), then take the faces
    noded = shapely.union_all(shapely.normalize(lines))
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(noded)))
    faces = faces[shapely.area(faces) > _MIN_PIECE_M2]
    if area is not None and len(faces):
        shapely.prepare(area)
        inside = shapely.contains(area, faces)
        clipped = faces.copy()
        clipped[~inside] = shapely.intersection(faces[~inside], area)
        faces = _polygons_only(clipped)
    return gpd.GeoSeries(faces, crs=edges.crs)


def _polygons_only(geoms: np.ndarray) -> np.ndarray:
    parts = shapely.get_parts(geoms)
    parts = parts[shapely.get_type_id(parts) == 3]  # Polygon
    return parts[shapely.area(parts) > _MIN_PIECE_M2]


def _cut_by(pieces: gpd.GeoDataFrame, areas: gpd.GeoDataFrame, id_col: str, out_col: str) -> gpd.GeoDataFrame:
    """Intersect pieces with an area layer; pieces outside every area are dropped."""
    geoms = pieces.geometry.to_numpy()
    area_geoms = areas.geometry.to_numpy()
    tree = shapely.STRtree(area_geoms)
    pi, ai = tree.query(geoms, predicate="intersects")
    parts = shapely.intersection(geoms[pi], area_geoms[ai])
    frame = pieces.iloc[pi].drop(columns=pieces.geometry.name).reset_index(drop=True)
    frame[out_col] = areas[id_col].astype(str).to_numpy()[ai]
    frame["geometry"] = parts
    out = gpd.GeoDataFrame(frame, geometry="geometry", crs=pieces.crs).explode(index_parts=False)
    out = out[out.geom_type == "Polygon"]
    out = out[out.geometry.area > _MIN_PIECE_M2]
    return out.reset_index(drop=True)


class _Axis:
    """Straight cuts of a polygon across one direction: a cut at ``t`` keeps ``{p : p.axis <= t}``."""

    def __init__(self, poly: BaseGeometry, axis: np.ndarray) -> None:
        self.poly = poly
        self.axis = axis / (np.hypot(*axis) or 1.0)
        self.normal = np.array([-self.axis[1], self.axis[0]])
        pts = shapely.get_coordinates(poly)
        proj = pts @ self.axis
        self.lo, self.hi = float(proj.min()), float(proj.max())
        self.centre = pts.mean(axis=0)
        self.span = float(np.abs((pts - self.centre) @ self.normal).max()) + float(self.hi - self.lo) + 10.0

    def half(self, t: float) -> BaseGeometry:
        base = self.centre + self.axis * (t - self.centre @ self.axis)
        a, b = base - self.normal * self.span, base + self.normal * self.span
        back = self.axis * (self.hi - self.lo + self.span)
        return shapely.Polygon([a, b, b - back, a - back])

    def line(self, t: float) -> BaseGeometry:
        base = self.centre + self.axis * (t - self.centre @ self.axis)
        return shapely.LineString([base - self.normal * self.span, base + self.normal * self.span])

    def fraction(self, t: float) -> float:
        return shapely.intersection(self.poly, self.half(t)).area / self.poly.area

    def cut_at(self, fraction: float) -> float:
        lo_t, hi_t = self.lo, self.hi
        for _ in range(30):
            mid = (lo_t + hi_t) / 2
            if self.fraction(mid) < fraction:
                lo_t = mid
            else:
                hi_t = mid
        return (lo_t + hi_t) / 2


def _split_polygon(poly: BaseGeometry, k: int, avoid: shapely.STRtree | None, avoid_geoms: np.ndarray | None,
                   *, keep_whole: bool = False) -> list[BaseGeometry]:
    """Cut a polygon into k pieces of about equal area with straight cuts.

    Each cut is chosen among positions across the long and the short axis of the polygon's minimum
    rotated rectangle, near the even split and at the edges of neighborhoods: fewest metres through
    neighborhoods first, then the most even split, then the long axis.
    """
    if k <= 1:
        return [poly]
    rect = np.asarray(shapely.minimum_rotated_rectangle(poly).exterior.coords)[:3]
    sides = [rect[1] - rect[0], rect[2] - rect[1]]
    sides.sort(key=lambda v: -float(np.hypot(*v)))
    target = (k // 2) / k
    window = (max(target - 0.3, 0.5 / k), min(target + 0.3, 1 - 0.5 / k))
    nb_hits = avoid.query(poly, predicate="intersects") if avoid is not None else np.empty(0, dtype=int)
    best: tuple | None = None
    for rank, side in enumerate(sides):
        ax = _Axis(poly, side)
        candidates = [ax.cut_at(target)] + [ax.cut_at(f) for f in (target - 0.1, target + 0.1) if window[0] <= f <= window[1]]
        for g in (avoid_geoms[nb_hits] if len(nb_hits) else []):
            proj_nb = shapely.get_coordinates(g) @ ax.axis
            candidates += [float(proj_nb.min()) - 1.0, float(proj_nb.max()) + 1.0]
        for t in candidates:
            frac = ax.fraction(t)
            if not (window[0] <= frac <= window[1]):
                continue
            crossing = 0.0
            if len(nb_hits):
                # metres of the cut that run through neighborhoods
                crossing = float(np.sum(shapely.length(shapely.intersection(avoid_geoms[nb_hits], ax.line(t)))))
            score = (round(crossing, 1), round(abs(frac - target), 2), rank)
            if best is None or score < best[0]:
                best = (score, ax, t)
    assert best is not None  # the even cut of the long axis is always inside the window
    if keep_whole and k == 2 and best[0][0] > 0:
        return [poly]
    _, ax, t = best
    left = shapely.intersection(poly, ax.half(t))
    right = shapely.difference(poly, ax.half(t))
    k_l = int(min(max(round(k * left.area / poly.area), 1), k - 1))
    out: list[BaseGeometry] = []
    for part, kk in ((left, k_l), (right, k - k_l)):
        for piece in shapely.get_parts(part):
            if piece.geom_type == "Polygon" and piece.area > _MIN_PIECE_M2:
                out.extend(_split_polygon(piece, max(1, round(kk * piece.area / part.area)), avoid, avoid_geoms,
                                          keep_whole=keep_whole))
    return out


@dataclass
class SubzoneResult:
    subzones: gpd.GeoDataFrame
    target_area_m2: float
    blocks: int
    merge_factor: float
    notes: list[str]


def _adjacency(geoms: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs (i < j) of pieces with the same key sharing a border, with the border length."""
    tree = shapely.STRtree(geoms)
    i, j = tree.query(geoms, predicate="intersects")
    keep = (i < j) & (keys[i] == keys[j])
    i, j = i[keep], j[keep]
    shared = shapely.length(shapely.intersection(shapely.boundary(geoms[i]), shapely.boundary(geoms[j])))
    ok = shared > 0.5
    return i[ok], j[ok], shared[ok]


def _merge_groups(areas: np.ndarray, pairs: tuple[np.ndarray, np.ndarray, np.ndarray], *, threshold: float, target: float, limit: int | None = None) -> np.ndarray:
    """Greedy union of small groups into neighbours; returns a group label per piece."""
    n = len(areas)
    parent = np.arange(n)
    group_area = areas.astype(float).copy()
    nbrs: list[dict[int, float]] = [dict() for _ in range(n)]
    for a, b, w in zip(*pairs):
        nbrs[a][b] = nbrs[a].get(b, 0.0) + w
        nbrs[b][a] = nbrs[b].get(a, 0.0) + w
    alive = n
    order = list(np.lexsort((np.arange(n), areas)))
    import heapq

    heap = [(float(areas[i]), int(i)) for i in order]
    heapq.heapify(heap)
    while heap:
        area_i, i = heapq.heappop(heap)
        if parent[i] != i or abs(group_area[i] - area_i) > 1e-6:
            continue
        if area_i >= threshold * target:
            break
        if limit is not None and alive <= limit:
            break
        if not nbrs[i]:
            continue
        # among the neighbours sharing a good part of the border, the smallest (keeps sizes even)
        longest = max(nbrs[i].values())
        j = min((k for k, w in nbrs[i].items() if w >= 0.3 * longest), key=lambda k: (group_area[k], k))
        # merge i into j
        parent[i] = j
        group_area[j] += group_area[i]
        for other, w in nbrs[i].items():
            if other == j:
                continue
            nbrs[other].pop(i, None)
            nbrs[other][j] = nbrs[other].get(j, 0.0) + w
            nbrs[j][other] = nbrs[j].get(other, 0.0) + w
        nbrs[j].pop(i, None)
        nbrs[i] = {}
        alive -= 1
        heapq.heappush(heap, (float(group_area[j]), int(j)))
    # resolve labels
    labels = parent.copy()
    for idx in range(n):
        r = idx
        while labels[r] != r:
            r = labels[r]
        labels[idx] = r
    return labels


def check_grid_size(count: int | None, target_area_m2: float | None) -> None:
    """Sub-zones are cut to a ``count`` or to a ``target_area_m2`` (neither: 40,000 m2), not both.

    Raises
    ------
    InputError
        Both given (code ``param.grid_both``), or a count below 1 / an area not above 0.
    """
    if count is not None and target_area_m2 is not None:
        raise InputError("give either --count or --target-area-m2, not both", code="param.grid_both")
    if count is not None and count < 1:
        raise InputError(f"--count {count}: must be at least 1", code="param.grid_count", count=count)
    if target_area_m2 is not None and target_area_m2 <= 0:
        raise InputError(f"--target-area-m2 {target_area_m2}: must be positive", code="param.grid_area",
                         area=target_area_m2)


def build_subzones(
    edges: gpd.GeoDataFrame,
    *,
    boundary: gpd.GeoDataFrame | None = None,
    stations: gpd.GeoDataFrame | None = None,
    communities: gpd.GeoDataFrame | None = None,
    neighborhoods: gpd.GeoDataFrame | None = None,
    count: int | None = None,
    target_area_m2: float | None = None,
    progress: Progress | None = None,
) -> SubzoneResult:
    """Partition the street blocks into sub-zones of about equal size.

    Parameters
    ----------
    edges
        Road edges (working CRS).
    boundary, stations, communities
        Optional polygons; the result lies inside the boundary and every sub-zone inside exactly one
        station jurisdiction and one community (where those layers are given, the covered area is
        limited to them).
    neighborhoods
        Optional neighborhood polygons (with ``households``): kept whole where possible, and used
        for the ``households`` column.
    count, target_area_m2
        The number of sub-zones wanted, or their target area (m2). One of the two; default
        40,000 m2 (about 200 m x 200 m).

    Raises
    ------
    InputError
        When both or neither fit (e.g. ``count`` below 1), or the network encloses no block.
    InfeasibleError
        When ``count`` is larger than the number of pieces can reach.
    """
    report = progress or no_progress
    check_grid_size(count, target_area_m2)
    crs = edges.crs
    area = None
    if boundary is not None and len(boundary):
        area = shapely.union_all(boundary.to_crs(crs).geometry.to_numpy())
    report("blocks", 0.0)
    blocks = street_blocks(edges, area=area)
    if len(blocks) == 0:
        raise InputError("the road network encloses no block inside the boundary; check the road layer and boundary",
                         code="grid.no_blocks")
    report("blocks", 1.0)
    pieces = gpd.GeoDataFrame({"block": np.arange(len(blocks))}, geometry=blocks.to_numpy(), crs=crs)
    pieces["station_id"] = ""
    pieces["community_id"] = ""
    if stations is not None and len(stations):
        pieces = _cut_by(pieces.drop(columns=["station_id"]), stations.to_crs(crs), "station_id", "station_id")
    if communities is not None and len(communities):
        comm = communities.to_crs(crs)
        pieces = _cut_by(pieces.drop(columns=["community_id"]), comm, "community_id", "community_id")
        if stations is not None and "station_id" in comm:
            # a community belongs to one station: keep only the part inside its own station
            own = dict(zip(comm["community_id"].astype(str), comm["station_id"].astype(str)))
            pieces = pieces[pieces["community_id"].map(own) == pieces["station_id"]].reset_index(drop=True)
    if len(pieces) == 0:
        raise InputError("no street block lies inside the stations/communities given; check their CRS and extent",
                         code="grid.no_blocks_in_areas")
    covered = float(pieces.geometry.area.sum())
    if target_area_m2 is None:
        target_area_m2 = covered / count if count is not None else 40_000.0
    notes: list[str] = []
    avoid_geoms = None
    avoid_tree = None
    if neighborhoods is not None and len(neighborhoods):
        avoid_geoms = neighborhoods.to_crs(crs).geometry.to_numpy()
        avoid_tree = shapely.STRtree(avoid_geoms)
    # split oversized pieces
    report("split", 0.0)
    geoms = pieces.geometry.to_numpy()
    ks = np.maximum(np.round(shapely.area(geoms) / target_area_m2).astype(int), 1)
    big = np.flatnonzero((ks >= 2) & (shapely.area(geoms) > 1.5 * target_area_m2))
    rows = []
    for n_done, idx in enumerate(big):
        for part in _split_polygon(geoms[idx], int(ks[idx]), avoid_tree, avoid_geoms, keep_whole=True):
            rows.append((idx, part))
        if n_done % 50 == 0:
            report("split", n_done / max(len(big), 1))
    keep = np.setdiff1d(np.arange(len(pieces)), big)
    src_idx = np.concatenate([keep, np.array([r[0] for r in rows], dtype=int)])
    new_geoms = np.concatenate([geoms[keep], np.array([r[1] for r in rows], dtype=object)])
    pieces = gpd.GeoDataFrame(
        pieces.drop(columns="geometry").iloc[src_idx].reset_index(drop=True), geometry=new_geoms, crs=crs
    )
    report("split", 1.0)
    # merge small pieces; search the threshold that gives the requested count
    report("merge", 0.0)
    geoms = pieces.geometry.to_numpy()
    areas = shapely.area(geoms)
    keys = (pieces["station_id"].astype(str) + "|" + pieces["community_id"].astype(str)).to_numpy()
    pairs = _adjacency(geoms, keys)
    if count is not None:
        # rounding may leave fewer pieces than asked: halve the largest until there are enough
        for _ in range(20):
            deficit = count - len(pieces)
            if deficit <= 0:
                break
            geoms = pieces.geometry.to_numpy()
            by_size = np.argsort(-shapely.area(geoms), kind="stable")
            # first the largest pieces that halve without cutting a neighborhood; then any
            largest, extra_idx, extra_geoms = [], [], []
            for force in (False, True):
                for idx in by_size[: 4 * deficit + 8]:
                    if len(largest) >= deficit or idx in largest:
                        continue
                    parts = _split_polygon(geoms[idx], 2, avoid_tree, avoid_geoms, keep_whole=not force)
                    if len(parts) > 1:
                        largest.append(idx)
                        extra_idx += [idx] * len(parts)
                        extra_geoms += parts
            largest = np.array(largest, dtype=int)
            rest = np.setdiff1d(np.arange(len(pieces)), largest)
            pieces = gpd.GeoDataFrame(
                pieces.drop(columns="geometry").iloc[np.concatenate([rest, extra_idx])].reset_index(drop=True),
                geometry=np.concatenate([geoms[rest], np.array(extra_geoms, dtype=object)]), crs=crs)
        if len(pieces) < count:
            raise InfeasibleError(
                f"--count {count}: the street blocks give only {len(pieces)} pieces after splitting; "
                f"ask for fewer sub-zones or use --target-area-m2",
                code="grid.too_few_pieces", count=count, pieces=len(pieces),
            )
        geoms = pieces.geometry.to_numpy()
        areas = shapely.area(geoms)
        keys = (pieces["station_id"].astype(str) + "|" + pieces["community_id"].astype(str)).to_numpy()
        pairs = _adjacency(geoms, keys)
        labels = _merge_groups(areas, pairs, threshold=np.inf, target=target_area_m2, limit=count)
        factor = float("nan")
        n_groups = len(np.unique(labels))
        if n_groups > count:
            notes.append(
                f"{n_groups - count} more sub-zones than asked: some small pieces have no neighbour in "
                f"the same community to merge with"
            )
    else:
        factor = 0.5
        labels = _merge_groups(areas, pairs, threshold=factor, target=target_area_m2)
    report("merge", 1.0)
    report("dissolve", 0.0)
    pieces["group"] = labels
    merged = pieces.dissolve(by="group", aggfunc={"station_id": "first", "community_id": "first", "block": "nunique"})
    merged = merged.rename(columns={"block": "blocks"}).reset_index(drop=True)
    merged["geometry"] = shapely.make_valid(merged.geometry.to_numpy())
    merged = merged[merged.geom_type.isin(["Polygon", "MultiPolygon"])].reset_index(drop=True)
    report("dissolve", 1.0)
    merged["area_m2"] = merged.geometry.area
    merged["perimeter_m"] = merged.geometry.length
    merged["households"] = 0
    if neighborhoods is not None and len(neighborhoods) and "households" in neighborhoods:
        nb = neighborhoods.to_crs(crs)
        ng = nb.geometry.to_numpy()
        tree = shapely.STRtree(merged.geometry.to_numpy())
        ni, si = tree.query(ng, predicate="intersects")
        share = shapely.area(shapely.intersection(ng[ni], merged.geometry.to_numpy()[si])) / np.maximum(shapely.area(ng[ni]), 1e-9)
        hh = nb["households"].fillna(0).to_numpy(dtype=float)[ni] * share
        merged["households"] = np.round(np.bincount(si, weights=hh, minlength=len(merged))).astype(int)
    # stable ids: by station, community, then north to south, west to east (1 m grid)
    cent = merged.geometry.representative_point()
    order = np.lexsort((np.round(cent.x.to_numpy()), -np.round(cent.y.to_numpy()),
                        merged["community_id"].astype(str).to_numpy(), merged["station_id"].astype(str).to_numpy()))
    merged = merged.iloc[order].reset_index(drop=True)
    width = max(4, len(str(len(merged))))
    merged.insert(0, "subzone_id", [f"Z{i + 1:0{width}d}" for i in range(len(merged))])
    for col in ("station_id", "community_id"):
        merged[col] = merged[col].replace("", pd.NA).astype("string")
    merged = gpd.GeoDataFrame(merged, geometry="geometry", crs=crs)
    return SubzoneResult(merged, float(target_area_m2), int(len(blocks)), factor, notes)


def check_partition(subzones: gpd.GeoDataFrame, covered: BaseGeometry | None = None, *, tol_m2: float = 1.0) -> list[str]:
    """Problems that keep ``subzones`` from being a partition (empty list when it is one)."""
    problems = []
    geoms = subzones.geometry.to_numpy()
    if not shapely.is_valid(geoms).all():
        problems.append(f"{int((~shapely.is_valid(geoms)).sum())} invalid polygon(s)")
    total = float(shapely.area(geoms).sum())
    union = shapely.union_all(geoms)
    if total - union.area > tol_m2 * max(1, len(geoms)) * 0.01 + tol_m2:
        problems.append(f"overlaps: sum of areas exceeds the union by {total - union.area:.1f} m2")
    if covered is not None:
        diff = shapely.symmetric_difference(union, covered).area
        if diff > tol_m2 + 1e-6 * covered.area:
            problems.append(f"the union differs from the covered area by {diff:.1f} m2 (holes or spill)")
    return problems
