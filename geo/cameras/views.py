"""Camera view polygons: sectors built straight from vertices, cut by building shadows.

Array core: :func:`sector_polygons` and :func:`view_polygons` take plain coordinate arrays in a
projected CRS (metres); :func:`camera_views` is the thin GeoDataFrame adapter for the workspace's
``cameras`` layer. Bearings are degrees clockwise from grid north of the working CRS.

Line of sight
-------------
A building hides what lies behind it as seen from the camera. For every camera-building pair whose
view and footprint intersect (an STRtree query), each wall facing the camera casts a "shadow": the
region between the wall and the wall's two end points pushed out along the rays from the camera to
beyond the range. The shadows of all walls of all buildings a camera sees are gathered per camera in
one multipolygon, made valid (a union) and subtracted from the sector, vectorised over pairs. Walls of
courtyards (holes) cast shadows too, so a camera in a courtyard sees the courtyard only.

Cameras inside a footprint
--------------------------
OSM and hand-made camera layers often put a wall- or roof-mounted camera inside the outline of its
building. With ``inside_building="wall"`` (the default) such a camera is taken as mounted on the nearest
outer wall of its building block (touching buildings merged): it is moved to just outside that wall
(``moved_m`` says how far) and keeps its bearing, field of view and range; its own building then hides
everything behind the wall, so a dome sees roughly the half-plane in front of the wall and a bullet
pointed into its building sees nothing. With ``inside_building="indoor"`` it is taken as an indoor
camera and sees nothing outdoors (empty view).
"""

from __future__ import annotations

from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.crs import require_metric
from geo.errors import CRSError, InputError

__all__ = [
    "KIND_DEFAULTS",
    "sector_polygons",
    "view_polygons",
    "camera_views",
    "resolve_view_parameters",
]

#: Camera kind -> (field of view in degrees, useful range in metres) used when a value is missing.
KIND_DEFAULTS: dict[str, tuple[float, float]] = {
    "dome": (360.0, 30.0),
    "bullet": (60.0, 50.0),
    "skynet_pole": (90.0, 80.0),
    "speed": (30.0, 60.0),
}
#: How far (m) a camera found inside a footprint is put outside its wall.
_WALL_OFFSET_M = 0.05


def sector_polygons(
    x_m: np.ndarray,
    y_m: np.ndarray,
    bearing_deg: np.ndarray,
    fov_deg: np.ndarray,
    range_m: np.ndarray,
    *,
    arc_step_deg: float = 5.0,
) -> np.ndarray:
    """Circular sectors built straight from their vertices (no buffer, no overlay).

    Parameters
    ----------
    x_m, y_m
        Apex (camera) coordinates in a projected CRS, metres; arrays of equal length ``n``.
    bearing_deg
        View direction, degrees clockwise from grid north; ignored where ``fov_deg >= 360``.
    fov_deg
        Field of view in degrees, in ``(0, 360]``; 360 gives a full disc (no apex vertex).
    range_m
        Radius in metres, ``> 0``.
    arc_step_deg
        Largest angle between two arc vertices, degrees (5 degrees: a disc's area is 0.13 % short).

    Returns
    -------
    numpy.ndarray
        ``n`` shapely Polygons (object array). Sectors sharing a vertex count are built in one
        ``shapely.polygons`` call on an ``(n, m, 2)`` coordinate array.

    Raises
    ------
    InputError
        Non-finite values, a field of view outside ``(0, 360]``, a range ``<= 0`` or a bad step.
    """
    x = np.asarray(x_m, dtype=float)
    y = np.asarray(y_m, dtype=float)
    n = len(x)
    b = np.broadcast_to(np.asarray(bearing_deg, dtype=float), (n,))
    f = np.broadcast_to(np.asarray(fov_deg, dtype=float), (n,))
    r = np.broadcast_to(np.asarray(range_m, dtype=float), (n,))
    if not (0.1 <= arc_step_deg <= 45.0):
        raise InputError(f"arc_step_deg={arc_step_deg}: give a step between 0.1 and 45 degrees",
                         code="cameras.arc_step", value=str(arc_step_deg))
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise InputError("sector apexes must have finite coordinates (row "
                         f"{int(np.flatnonzero(~(np.isfinite(x) & np.isfinite(y)))[0])})")
    bad = ~np.isfinite(f) | (f <= 0) | (f > 360)
    if bad.any():
        raise InputError(f"fov_deg must be in (0, 360]; row {int(np.flatnonzero(bad)[0])} has {f[bad][0]}",
                         code="cameras.fov", row=int(np.flatnonzero(bad)[0]), value=str(f[bad][0]))
    bad = ~np.isfinite(r) | (r <= 0)
    if bad.any():
        raise InputError(f"range_m must be > 0; row {int(np.flatnonzero(bad)[0])} has {r[bad][0]}",
                         code="cameras.range", row=int(np.flatnonzero(bad)[0]), value=str(r[bad][0]))
    full = f >= 360.0
    bad = ~full & ~np.isfinite(b)
    if bad.any():
        raise InputError(f"bearing_deg missing for a sector narrower than 360 degrees (row {int(np.flatnonzero(bad)[0])})",
                         code="cameras.bearing", row=int(np.flatnonzero(bad)[0]))
    out = np.empty(n, dtype=object)
    # full discs: k arc vertices, closed
    k_full = int(np.ceil(360.0 / arc_step_deg))
    if full.any():
        ang = np.radians(np.arange(k_full) * (360.0 / k_full))
        idx = np.flatnonzero(full)
        coords = np.empty((len(idx), k_full + 1, 2))
        coords[:, :k_full, 0] = x[idx, None] + r[idx, None] * np.sin(ang)[None, :]
        coords[:, :k_full, 1] = y[idx, None] + r[idx, None] * np.cos(ang)[None, :]
        coords[:, k_full] = coords[:, 0]
        out[idx] = shapely.polygons(coords)
    # sectors: apex, k arc vertices, apex; one shapely call per distinct k
    k_arc = np.where(full, 0, np.maximum(2, np.ceil(f / arc_step_deg).astype(int) + 1))
    for k in np.unique(k_arc[~full]):
        idx = np.flatnonzero(k_arc == k)
        t = np.linspace(-0.5, 0.5, k)[None, :]
        ang = np.radians(b[idx, None] + f[idx, None] * t)
        coords = np.empty((len(idx), k + 2, 2))
        coords[:, 0, 0] = x[idx]
        coords[:, 0, 1] = y[idx]
        coords[:, 1:k + 1, 0] = x[idx, None] + r[idx, None] * np.sin(ang)
        coords[:, 1:k + 1, 1] = y[idx, None] + r[idx, None] * np.cos(ang)
        coords[:, k + 1] = coords[:, 0]
        out[idx] = shapely.polygons(coords)
    return out


def resolve_view_parameters(
    kind: np.ndarray,
    bearing_deg: np.ndarray,
    fov_deg: np.ndarray,
    range_m: np.ndarray,
    *,
    defaults: Mapping[str, tuple[float, float]] = KIND_DEFAULTS,
) -> dict[str, np.ndarray]:
    """Fill missing field of view and range from the kind; widen cameras of unknown bearing.

    A missing ``fov_deg`` or ``range_m`` takes the kind's default (:data:`KIND_DEFAULTS`). A camera
    narrower than 360 degrees whose bearing is unknown is treated as 360 degrees at half its range
    and flagged ``bearing_unknown`` (it looks somewhere near; where is not known).

    Returns
    -------
    dict
        ``bearing_deg``, ``fov_deg``, ``range_m`` (effective values, arrays), ``bearing_unknown``
        and ``defaulted`` (bool arrays: a value came from the kind's defaults).

    Raises
    ------
    InputError
        An unknown kind (listing the kinds known), or a field of view / range out of bounds.
    """
    kind = np.asarray(kind, dtype=object)
    n = len(kind)
    b = np.asarray(bearing_deg, dtype=float).copy()
    f = np.asarray(fov_deg, dtype=float).copy()
    r = np.asarray(range_m, dtype=float).copy()
    known = np.isin(kind, list(defaults))
    if not known.all():
        bad = sorted({str(k) for k in kind[~known]})
        raise InputError(
            f"camera kind(s) {bad} unknown (row {int(np.flatnonzero(~known)[0])}); use one of "
            f"{', '.join(defaults)}",
            code="cameras.kind", kinds=", ".join(bad), row=int(np.flatnonzero(~known)[0]), known=", ".join(defaults),
        )
    dfov = np.array([defaults[k][0] for k in kind]) if n else np.zeros(0)
    drng = np.array([defaults[k][1] for k in kind]) if n else np.zeros(0)
    miss_f = ~np.isfinite(f)
    miss_r = ~np.isfinite(r)
    f = np.where(miss_f, dfov, f)
    r = np.where(miss_r, drng, r)
    bad = (f <= 0) | (f > 360)
    if bad.any():
        raise InputError(f"fov_deg must be in (0, 360] degrees; row {int(np.flatnonzero(bad)[0])} has {f[bad][0]}",
                         code="cameras.fov", row=int(np.flatnonzero(bad)[0]), value=str(f[bad][0]))
    bad = r <= 0
    if bad.any():
        raise InputError(f"range_m must be > 0 metres; row {int(np.flatnonzero(bad)[0])} has {r[bad][0]}",
                         code="cameras.range", row=int(np.flatnonzero(bad)[0]), value=str(r[bad][0]))
    unknown = ~np.isfinite(b) & (f < 360.0)
    f = np.where(unknown, 360.0, f)
    r = np.where(unknown, r / 2.0, r)
    b = np.where(np.isfinite(b), np.mod(b, 360.0), np.nan)
    return {"bearing_deg": b, "fov_deg": f, "range_m": r, "bearing_unknown": unknown,
            "defaulted": miss_f | miss_r}


def grouped_union(geoms: np.ndarray, owner: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Union of the geometries of each owner, vectorised: ``(owners, unions)``.

    The geometries are laid out in a 2-D array (one row per owner, padded with None) and reduced with
    ``shapely.union_all(..., axis=1)``; owners are bucketed by group size (powers of two) so the
    padding stays small. (``make_valid(method="structure")`` on one multipolygon per owner is faster
    but GEOS 3.13 drops pieces of nearly touching polygons, so it is not used.)
    """
    geoms = np.asarray(geoms, dtype=object)
    owner = np.asarray(owner)
    if len(geoms) == 0:
        return np.zeros(0, dtype=owner.dtype), np.zeros(0, dtype=object)
    order = np.argsort(owner, kind="stable")
    geoms, owner = geoms[order], owner[order]
    owners, first, count = np.unique(owner, return_index=True, return_counts=True)
    out = np.empty(len(owners), dtype=object)
    bucket = np.ceil(np.log2(count)).astype(int)
    for bk in np.unique(bucket):  # at most ~20 size classes
        grp = np.flatnonzero(bucket == bk)
        width = int(count[grp].max())
        table = np.full((len(grp), width), None, dtype=object)
        rows = np.repeat(np.arange(len(grp)), count[grp])
        cols = np.arange(len(rows)) - np.repeat(np.cumsum(count[grp]) - count[grp], count[grp])
        table[rows, cols] = geoms[np.repeat(first[grp], count[grp]) + cols]
        out[grp] = shapely.union_all(table, axis=1)
    return owners, out


def _building_edges(buildings: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Walls of polygon footprints: (start xy, end xy, first wall of each building, wall count).

    Rings are oriented so the solid lies on the left of every wall (exterior counter-clockwise,
    holes clockwise).
    """
    oriented = shapely.orient_polygons(buildings, exterior_cw=False)
    parts, part_of = shapely.get_parts(oriented, return_index=True)
    rings, ring_of = shapely.get_rings(parts, return_index=True)
    xy, vert_ring = shapely.get_coordinates(rings, return_index=True)
    same = vert_ring[:-1] == vert_ring[1:]
    start = xy[:-1][same]
    end = xy[1:][same]
    wall_bldg = part_of[ring_of[vert_ring[:-1][same]]]
    count = np.bincount(wall_bldg, minlength=len(buildings))
    first = np.concatenate([[0], np.cumsum(count)[:-1]])
    order = np.argsort(wall_bldg, kind="stable")
    return start[order], end[order], first, count


def _relocate_inside(
    cam_xy: np.ndarray, buildings: np.ndarray, tree: shapely.STRtree
) -> tuple[np.ndarray, np.ndarray]:
    """Cameras inside a footprint moved to just outside the nearest wall of their building block.

    Returns the new coordinates and a boolean mask of the cameras that were inside.
    """
    points = shapely.points(cam_xy)
    ci, bi = tree.query(points, predicate="intersects")
    inside = np.zeros(len(cam_xy), dtype=bool)
    inside[ci] = True
    if not inside.any():
        return cam_xy, inside
    # merge the buildings touching the hosts into blocks, so a party wall is not taken as outer wall
    _, near_b = tree.query(buildings[np.unique(bi)], predicate="dwithin", distance=0.5)
    local = buildings[np.unique(np.concatenate([bi, near_b]))]
    blocks = shapely.get_parts(shapely.union_all(local))
    blocks = blocks[shapely.get_type_id(blocks) == 3]
    btree = shapely.STRtree(blocks)
    idx = np.flatnonzero(inside)
    pc, pb = btree.query_nearest(points[idx], all_matches=False)
    moved = cam_xy.copy()
    line = shapely.shortest_line(shapely.boundary(blocks[pb]), points[idx[pc]])
    wall = shapely.get_coordinates(shapely.get_point(line, 0))
    here = cam_xy[idx[pc]]
    out = wall - here
    dist = np.hypot(out[:, 0], out[:, 1])
    # a camera exactly on a wall: push away from the block's centre
    centre = shapely.get_coordinates(shapely.centroid(blocks[pb]))
    fallback = here - centre
    use_fb = dist < 1e-9
    out[use_fb] = fallback[use_fb]
    norm = np.hypot(out[:, 0], out[:, 1])
    norm[norm < 1e-12] = 1.0
    moved[idx[pc]] = wall + out / norm[:, None] * _WALL_OFFSET_M
    return moved, inside


def _shadows(
    cam_xy: np.ndarray,
    range_m: np.ndarray,
    sectors: np.ndarray,
    buildings: np.ndarray,
    tree: shapely.STRtree,
) -> np.ndarray:
    """Per camera, the union of the shadows cast by the buildings its sector touches (or None)."""
    n = len(cam_xy)
    shadow = np.full(n, None, dtype=object)
    ci, bj = tree.query(sectors, predicate="intersects")
    if len(ci) == 0:
        return shadow
    # pairs where the camera still touches the footprint: subtract the footprint only
    touching = shapely.intersects(buildings[bj], shapely.points(cam_xy[ci]))
    e0, e1, first, count = _building_edges(buildings)
    occ_c, occ_b = ci[~touching], bj[~touching]
    reps = count[occ_b]
    total = int(reps.sum())
    row_pair = np.repeat(np.arange(len(occ_c)), reps)
    offsets = np.arange(total) - np.repeat(np.cumsum(reps) - reps, reps)
    wall = first[occ_b][row_pair] + offsets
    cam = occ_c[row_pair]
    c = cam_xy[cam]
    a = e0[wall] - c
    b = e1[wall] - c
    cross = a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0]
    # solid on the left of each wall: the camera sees the wall's face when it is on the right,
    # i.e. cross((b - a), (c - a)) < 0, which equals cross(a, b) < 0 with a, b relative to c
    la = np.hypot(a[:, 0], a[:, 1])
    lb = np.hypot(b[:, 0], b[:, 1])
    front = cross < -1e-9 * la * lb
    a, b, c, cam, la, lb = a[front], b[front], c[front], cam[front], la[front], lb[front]
    ua = a / la[:, None]
    ub = b / lb[:, None]
    um = ua + ub
    lm = np.hypot(um[:, 0], um[:, 1])
    perp = np.column_stack([b[:, 1] - a[:, 1], a[:, 0] - b[:, 0]])  # right normal of the wall, away from c
    lp = np.hypot(perp[:, 0], perp[:, 1])
    lp[lp == 0] = 1.0
    um = np.where(lm[:, None] > 1e-9, um / np.where(lm > 1e-9, lm, 1.0)[:, None], -perp / lp[:, None])
    # far points beyond the range: the far chords stay > range since the wedge is halved (< 90 deg)
    far = np.maximum(1.5 * range_m[cam], 1.5 * np.maximum(la, lb))
    coords = np.empty((len(a), 6, 2))
    coords[:, 0] = c + a
    coords[:, 1] = c + b
    coords[:, 2] = c + ub * far[:, None]
    coords[:, 3] = c + um * far[:, None]
    coords[:, 4] = c + ua * far[:, None]
    coords[:, 5] = coords[:, 0]
    quads = shapely.polygons(coords)
    # footprints the camera touches are removed as such
    foot = buildings[bj[touching]]
    foot_cam = ci[touching]
    foot_parts, foot_idx = shapely.get_parts(foot, return_index=True)
    pieces = np.concatenate([quads, foot_parts])
    owner = np.concatenate([cam, foot_cam[foot_idx]])
    if len(pieces) == 0:
        return shadow
    cams, merged = grouped_union(pieces, owner)
    shadow[cams] = merged
    return shadow


def view_polygons(
    x_m: np.ndarray,
    y_m: np.ndarray,
    bearing_deg: np.ndarray,
    fov_deg: np.ndarray,
    range_m: np.ndarray,
    *,
    buildings: np.ndarray | None = None,
    inside_building: str = "wall",
    arc_step_deg: float = 5.0,
) -> dict[str, np.ndarray]:
    """View polygons of cameras with known parameters, cut by building shadows (array core).

    Parameters
    ----------
    x_m, y_m, bearing_deg, fov_deg, range_m
        As in :func:`sector_polygons` (metres and degrees, projected CRS).
    buildings
        Building footprints (Polygon/MultiPolygon array, same CRS), or None for open ground.
    inside_building
        ``"wall"``: a camera inside a footprint is moved to just outside the nearest outer wall of its
        building block; ``"indoor"``: it sees nothing. See the module notes.
    arc_step_deg
        Largest angle between arc vertices, degrees.

    Returns
    -------
    dict
        ``geometry`` (Polygon/MultiPolygon views, possibly empty), ``x_m``, ``y_m`` (apex after any
        move), ``inside_building`` (bool) and ``moved_m`` (metres moved).

    Raises
    ------
    InputError
        Bad parameters (see :func:`sector_polygons`) or an unknown ``inside_building`` mode.
    """
    if inside_building not in ("wall", "indoor"):
        raise InputError(f"inside_building={inside_building!r}: use 'wall' or 'indoor'", code="param.choice",
                         name="inside_building", value=str(inside_building), known="wall, indoor")
    xy = np.column_stack([np.asarray(x_m, dtype=float), np.asarray(y_m, dtype=float)])
    n = len(xy)
    r = np.broadcast_to(np.asarray(range_m, dtype=float), (n,))
    inside = np.zeros(n, dtype=bool)
    moved_xy = xy
    if buildings is not None and len(buildings) and n:
        blds = np.asarray(buildings, dtype=object)
        keep = ~(shapely.is_missing(blds) | shapely.is_empty(blds))
        blds = blds[keep]
        bad = ~shapely.is_valid(blds)
        if bad.any():
            blds = blds.copy()
            blds[bad] = _polygonal(shapely.make_valid(blds[bad]))
        tree = shapely.STRtree(blds)
        moved_xy, inside = _relocate_inside(xy, blds, tree)
        views = sector_polygons(moved_xy[:, 0], moved_xy[:, 1], bearing_deg, fov_deg, r,
                                arc_step_deg=arc_step_deg)
        shadow = _shadows(moved_xy, r, views, blds, tree)
        has = shadow != None  # noqa: E711 - elementwise on an object array
        if has.any():
            views[has] = shapely.difference(views[has], shadow[has])
        if inside_building == "indoor" and inside.any():
            views[inside] = shapely.Polygon()
            moved_xy = np.where(inside[:, None], xy, moved_xy)
    else:
        views = sector_polygons(xy[:, 0], xy[:, 1], bearing_deg, fov_deg, r, arc_step_deg=arc_step_deg)
    moved = np.hypot(*(moved_xy - xy).T) if n else np.zeros(0)
    return {"geometry": views, "x_m": moved_xy[:, 0], "y_m": moved_xy[:, 1],
            "inside_building": inside, "moved_m": moved}


def _polygonal(geoms: np.ndarray) -> np.ndarray:
    """The polygonal part of each geometry (repaired footprints may carry stray lines)."""
    parts, idx = shapely.get_parts(geoms, return_index=True)
    parts, sub = shapely.get_parts(parts, return_index=True)  # collections may hold multipolygons
    idx = idx[sub]
    keep = shapely.get_type_id(parts) == 3
    out = np.full(len(geoms), shapely.Polygon(), dtype=object)
    if keep.any():
        owners, compact = np.unique(idx[keep], return_inverse=True)
        out[owners] = shapely.multipolygons(parts[keep], indices=compact)
    return out


def camera_views(
    cameras: gpd.GeoDataFrame,
    *,
    buildings: gpd.GeoDataFrame | gpd.GeoSeries | None = None,
    inside_building: str = "wall",
    arc_step_deg: float = 5.0,
    defaults: Mapping[str, tuple[float, float]] = KIND_DEFAULTS,
) -> gpd.GeoDataFrame:
    """The view polygon of every camera of a ``cameras`` layer (GeoDataFrame adapter).

    Parameters
    ----------
    cameras
        Points in a projected CRS with ``kind`` and optional ``camera_id``, ``bearing_deg``
        (clockwise from north), ``fov_deg``, ``range_m`` (metres); missing values take the kind's
        defaults (:data:`KIND_DEFAULTS`), see :func:`resolve_view_parameters`.
    buildings
        Building footprints in the same CRS (cut the views by line of sight), or None.
    inside_building
        What a camera inside a footprint sees: ``"wall"`` or ``"indoor"`` (see module notes).
    arc_step_deg
        Largest angle between arc vertices, degrees.
    defaults
        Kind -> (fov_deg, range_m) for missing values.

    Returns
    -------
    GeoDataFrame
        Indexed like ``cameras``: ``camera_id``, ``kind``, ``bearing_deg``, ``fov_deg``, ``range_m``
        (effective values), ``bearing_unknown``, ``defaulted``, ``inside_building``, ``moved_m``,
        ``cam_x``, ``cam_y`` (apex, metres), ``area_m2`` and the view polygon as geometry.
        The input is not modified.

    Raises
    ------
    CRSError
        Missing or geographic CRS, or buildings in another CRS.
    InputError
        Missing ``kind`` column, unknown kinds, non-point or empty geometries, bad parameters.
    """
    require_metric(cameras, "cameras")
    if "kind" not in cameras.columns:
        raise InputError("cameras need a 'kind' column (skynet_pole | bullet | dome | speed)",
                         code="layer.missing_columns", layer="cameras", columns="kind")
    geoms = cameras.geometry.to_numpy()
    bad = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    bad |= ~bad & (shapely.get_type_id(np.where(bad, shapely.Point(0, 0), geoms)) != 0)
    if bad.any():
        raise InputError(f"cameras must be points; row {cameras.index[bad][0]!r} is empty or not a point",
                         code="cameras.not_point", row=str(cameras.index[bad][0]))
    n = len(cameras)

    def col(name: str) -> np.ndarray:
        if name in cameras.columns:
            return pd.to_numeric(cameras[name], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        return np.full(n, np.nan)

    params = resolve_view_parameters(
        cameras["kind"].astype(object).to_numpy(), col("bearing_deg"), col("fov_deg"), col("range_m"),
        defaults=defaults,
    )
    blds = None
    if buildings is not None:
        require_metric(buildings, "buildings")
        if not buildings.crs.equals(cameras.crs):
            raise CRSError(
                f"buildings are in {buildings.crs.to_string()} but cameras in {cameras.crs.to_string()}; "
                f"reproject one with .to_crs(...)",
                code="crs.mismatch", a="buildings", a_crs=buildings.crs.to_string(), b="cameras",
                b_crs=cameras.crs.to_string(),
            )
        blds = buildings.geometry.to_numpy() if isinstance(buildings, gpd.GeoDataFrame) else buildings.to_numpy()
    xy = shapely.get_coordinates(geoms)
    res = view_polygons(xy[:, 0], xy[:, 1], params["bearing_deg"], params["fov_deg"], params["range_m"],
                        buildings=blds, inside_building=inside_building, arc_step_deg=arc_step_deg)
    ids = cameras["camera_id"].to_numpy() if "camera_id" in cameras.columns else cameras.index.astype(str).to_numpy()
    out = gpd.GeoDataFrame(
        {
            "camera_id": ids,
            "kind": cameras["kind"].to_numpy(),
            "bearing_deg": params["bearing_deg"],
            "fov_deg": params["fov_deg"],
            "range_m": params["range_m"],
            "bearing_unknown": params["bearing_unknown"],
            "defaulted": params["defaulted"],
            "inside_building": res["inside_building"],
            "moved_m": res["moved_m"],
            "cam_x": res["x_m"],
            "cam_y": res["y_m"],
            "area_m2": shapely.area(res["geometry"]) if n else np.zeros(0),
        },
        geometry=gpd.GeoSeries(res["geometry"], index=cameras.index, crs=cameras.crs),
        index=cameras.index,
        crs=cameras.crs,
    )
    return out
