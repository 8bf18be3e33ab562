"""Geometry repair: what can be repaired in a layer's geometries is, the rest refused row by row.

:func:`repair_geometries` is the one gate imported layers and boundaries pass before they reach the
workspace: every kept geometry is valid, non-empty, of the expected type, in the expected CRS and
inside the district; every refused or changed row is listed with what was wrong and how to fix it.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer
from shapely.errors import GEOSException

from geo.errors import CRSError, InputError

__all__ = ["KEY_COLUMNS", "PROBLEM_COLUMNS", "repair_geometries"]

#: Columns of the problem report of :func:`repair_geometries`.
PROBLEM_COLUMNS = ["row", "reason", "action"]
#: Columns the report adds with ``keyed=True``: each reason's message key (``error.<reason_code>`` of
#: :mod:`app.i18n`, in words without command-line flags) and its values as JSON text.
KEY_COLUMNS = ["reason_code", "reason_values"]

_FAMILIES = {
    "Point": ("Point",),
    "Polygon": ("Polygon", "MultiPolygon"),
    "LineString": ("LineString", "MultiLineString"),
}


def repair_geometries(
    gdf: Any,
    *,
    layer: str,
    expected: str,
    crs: Any,
    boundary: Any = None,
    tolerance_m: float = 200.0,
    min_area_m2: float = 0.01,
    min_length_m: float = 0.001,
    keyed: bool = False,
) -> tuple[Any, pd.DataFrame]:
    """Repair what can be repaired in a layer's geometries and refuse the rest, row by row.

    =============================================  ==========  ====================================
    fault                                          action      how
    =============================================  ==========  ====================================
    None / empty geometry                          refused
    non-finite coordinates (NaN, inf)              refused
    wrong type (a line where polygons belong)      refused     collections keep the right parts
    degrees in a projected layer (or metres in     refused     message names ``--coords`` and
    a geographic one); far outside the CRS's                   ``.to_crs``
    area of use (a zone prefix on X?)
    duplicate consecutive vertices                 cleaned     ``shapely.remove_repeated_points``
    invalid polygon (bow-tie, spike, bad ring)     repaired    ``shapely.make_valid``; the
                                                               polygonal part is kept
    zero-area slivers / zero-length line parts     cleaned     dropped (refused when nothing is
                                                               left)
    outside the boundary beyond ``tolerance_m``    refused     distance named
    single-part MultiPoint in a Point layer        cleaned     the point taken
    =============================================  ==========  ====================================

    Every kept geometry is valid, non-empty and of the expected type (``Polygon`` layers may hold
    MultiPolygons, ``LineString`` layers MultiLineStrings). Repairing the output again changes
    nothing.

    Parameters
    ----------
    gdf
        The layer (GeoDataFrame). Its CRS, when set, must be ``crs``; unset it is taken as ``crs``.
        Not changed.
    layer
        Layer name, for messages.
    expected
        ``"Point"``, ``"Polygon"`` or ``"LineString"`` (``Multi...`` is read as the same).
    crs
        The CRS the coordinates should be in (the workspace's working CRS).
    boundary
        The district: a shapely geometry in ``crs``, or a GeoSeries/GeoDataFrame (reprojected to
        ``crs``). Rows farther than ``tolerance_m`` from it are refused.
    tolerance_m
        How far outside the boundary a geometry may lie (metres; CRS units).
    min_area_m2, min_length_m
        Polygon parts smaller than ``min_area_m2`` and line parts shorter than ``min_length_m``
        are slivers, dropped (CRS units; only for a projected ``crs``).
    keyed
        Add the columns :data:`KEY_COLUMNS` to the report (the reasons' message keys and values).

    Returns
    -------
    (GeoDataFrame, DataFrame)
        The kept rows (original index and columns, geometry repaired, CRS ``crs``) and the
        problems: ``row`` (the ``__row__`` column when there is one, else the index label),
        ``reason`` (what was wrong and the fix) and ``action`` (``refused``, ``repaired`` or
        ``cleaned``). A row may have several problems.

    Raises
    ------
    InputError
        ``expected`` unknown, or ``gdf`` not a GeoDataFrame.
    CRSError
        ``gdf`` declares a CRS other than ``crs``.
    """
    kind = expected.removeprefix("Multi") if isinstance(expected, str) else expected
    if kind not in _FAMILIES:
        raise InputError(f"expected={expected!r}: use 'Point', 'Polygon' or 'LineString'")
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise InputError(f"layer '{layer}': needs a GeoDataFrame with a geometry column, got {type(gdf).__name__}")
    crs_obj = CRS.from_user_input(crs)
    if gdf.crs is not None and not CRS.from_user_input(gdf.crs).equals(crs_obj):
        raise CRSError(
            f"layer '{layer}': CRS {gdf.crs.to_string()} differs from {crs_obj.to_string()}; reproject it with "
            f".to_crs('{crs_obj.to_string()}') (or import it with the right --coords)",
            code="crs.layer_differs", layer=layer, crs=gdf.crs.to_string(), working=crs_obj.to_string(),
        )
    n = len(gdf)
    labels = gdf["__row__"].to_numpy() if "__row__" in gdf.columns else gdf.index.to_numpy()
    geoms = np.array(gdf.geometry.to_numpy(), dtype=object, copy=True)
    keep = np.ones(n, dtype=bool)
    problems: list[tuple[Any, str, str, str, str]] = []
    family = _FAMILIES[kind]

    def refuse(mask: np.ndarray, reasons: Iterable[str] | str, *, code: str, **fmt: Any) -> None:
        """Refuse the rows of ``mask``: English ``reasons``, message key ``code`` and its values
        ``fmt`` (lists: a value per refused row)."""
        idx = np.flatnonzero(mask & keep)
        texts = [reasons] * len(idx) if isinstance(reasons, str) else list(reasons)
        for k, (i, text) in enumerate(zip(idx, texts)):
            values = {n: str(v[k] if isinstance(v, list) else v) for n, v in fmt.items()}
            problems.append((labels[i], f"layer '{layer}': {text}", "refused", code,
                             json.dumps({"layer": layer, **values}, ensure_ascii=False, sort_keys=True)))
        keep[idx] = False

    def note(i: int, text: str, action: str, *, code: str, **fmt: Any) -> None:
        values = {n: str(v) for n, v in fmt.items()}
        problems.append((labels[i], f"layer '{layer}': {text}", action, code,
                         json.dumps({"layer": layer, **values}, ensure_ascii=False, sort_keys=True)))

    missing = shapely.is_missing(geoms)
    refuse(missing, "no geometry; give the row its coordinates or drop it", code="repair.missing")
    empty = ~missing & shapely.is_empty(np.where(missing, None, geoms))
    refuse(empty, "empty geometry; give the row its coordinates or drop it", code="repair.empty")

    if keep.any():
        coords, owner = shapely.get_coordinates(geoms[keep], return_index=True)
        finite = np.isfinite(coords).all(axis=1)
        bad_local = np.unique(owner[~finite])
        bad = np.zeros(n, dtype=bool)
        bad[np.flatnonzero(keep)[bad_local]] = True
        refuse(bad, "non-finite coordinates (NaN or infinity); fix the coordinates or drop the row",
               code="repair.non_finite")

    # types: collections keep their parts of the right kind; a one-point MultiPoint is a Point
    single = {"Point": "Point", "Polygon": "Polygon", "LineString": "LineString"}[kind]
    type_names = np.array(["Point", "LineString", "LinearRing", "Polygon", "MultiPoint", "MultiLineString",
                           "MultiPolygon", "GeometryCollection"])
    types = shapely.get_type_id(np.where(keep, geoms, None))
    odd = keep & ~np.isin(type_names[np.clip(types, 0, 7)], family)
    for i in np.flatnonzero(odd):
        tname = str(type_names[types[i]])
        g = geoms[i]
        if tname in ("GeometryCollection", "MultiPoint"):
            flat = _flat_parts(g)
            parts = [p for p in flat if p.geom_type == single]
            if kind == "Point" and len(parts) == 1:
                geoms[i] = parts[0]
                note(i, f"{tname} with one point taken as a Point", "cleaned", code="repair.one_point", type=tname)
                continue
            if kind != "Point" and parts:
                geoms[i] = _assemble(parts, kind)
                note(i, f"{tname}: kept its {kind.lower()} part(s), dropped {len(flat) - len(parts)} other "
                        f"part(s)", "cleaned", code=f"repair.kept_{kind.lower()}_parts", type=tname,
                     n=len(flat) - len(parts))
                continue
        hint = {"Polygon": "draw it as a polygon (in QGIS: Polygonize) or put it in a point or line layer",
                "LineString": "give lines (road centre lines), not points or areas",
                "Point": "give one point per row (the centroid of an area if that is meant)"}[kind]
        refuse(np.arange(n) == i, f"geometry type {tname} where {kind} is expected; {hint}",
               code=f"repair.type_{kind.lower()}", type=tname)

    # coordinates that cannot be in this CRS
    if keep.any():
        bounds = shapely.bounds(np.where(keep, geoms, None))
        in_degrees = ((np.abs(bounds[:, [0, 2]]) <= 180).all(axis=1)
                      & (np.abs(bounds[:, [1, 3]]) <= 90).all(axis=1))
        area = _projected_area_of_use(crs_obj)
        crs_name = crs_obj.to_string()
        if crs_obj.is_projected:
            looks = in_degrees.copy()
            if area is not None:
                x0, y0, x1, y1 = area
                looks &= ~((bounds[:, 2] >= x0) & (bounds[:, 0] <= x1) & (bounds[:, 3] >= y0) & (bounds[:, 1] <= y1))
            rows = np.flatnonzero(looks & keep)
            refuse(looks, [f"coordinates ({bounds[i, 0]:.6f}, {bounds[i, 1]:.6f}) look like longitude/latitude "
                           f"in degrees, not metres of {crs_name}; import the file with --coords wgs84 "
                           f"(or gcj02/bd09) or reproject it with .to_crs('{crs_name}')" for i in rows],
                   code="repair.degrees", crs=crs_name, x=[f"{bounds[i, 0]:.6f}" for i in rows],
                   y=[f"{bounds[i, 1]:.6f}" for i in rows])
            if area is not None:
                x0, y0, x1, y1 = area
                margin = 200_000.0
                far = ((bounds[:, 0] > x1 + margin) | (bounds[:, 2] < x0 - margin)
                       | (bounds[:, 1] > y1 + margin) | (bounds[:, 3] < y0 - margin))
                rows = np.flatnonzero(far & keep)
                refuse(far, [f"coordinates ({bounds[i, 0]:,.0f}, {bounds[i, 1]:,.0f}) lie far outside the area "
                             f"where {crs_name} is used; check the coordinate system (--coords EPSG:NNNN; "
                             f"a zone number in front of X?) or reproject with .to_crs('{crs_name}')"
                             for i in rows],
                       code="repair.far_outside_crs", crs=crs_name, x=[f"{bounds[i, 0]:,.0f}" for i in rows],
                       y=[f"{bounds[i, 1]:,.0f}" for i in rows])
        else:
            looks = ~in_degrees
            rows = np.flatnonzero(looks & keep)
            refuse(looks, [f"coordinates ({bounds[i, 0]:,.1f}, {bounds[i, 1]:,.1f}) are not degrees of "
                           f"{crs_name} (metres of a projected CRS?); import the file with --coords EPSG:NNNN "
                           f"or reproject it with .to_crs('{crs_name}')" for i in rows],
                   code="repair.not_degrees", crs=crs_name, x=[f"{bounds[i, 0]:,.1f}" for i in rows],
                   y=[f"{bounds[i, 1]:,.1f}" for i in rows])

    # cleaning and repair (lines and polygons)
    if kind != "Point":
        metric = crs_obj.is_projected
        size = shapely.area if kind == "Polygon" else shapely.length
        floor = (min_area_m2 if kind == "Polygon" else min_length_m) if metric else 0.0
        unit = "m²" if kind == "Polygon" else "m"
        for i in np.flatnonzero(keep):
            original = geoms[i]
            try:
                g = shapely.remove_repeated_points(original, 0.0)
            except GEOSException:
                g = None  # a ring of fewer than three distinct corners
            if g is None or g.is_empty:
                g = shapely.make_valid(original)
            removed = int(shapely.get_num_coordinates(original) - shapely.get_num_coordinates(g))
            if removed > 0:
                note(i, f"{removed} duplicate vertice(s) removed", "cleaned", code="repair.duplicate_vertices", n=removed)
            if not g.is_valid:
                why = shapely.is_valid_reason(g)
                g = shapely.make_valid(g)
                note(i, f"invalid geometry ({why}) repaired with make_valid; kept the {kind.lower()} part",
                     "repaired", code=f"repair.made_valid_{kind.lower()}", why=why)
            flat = _flat_parts(g)
            parts = [p for p in flat if p.geom_type == single and not p.is_empty]
            big = [p for p in parts if size(p) > floor] if kind == "Polygon" or metric else parts
            if not big:
                what = ("zero-area polygon (a sliver, or a line drawn as a polygon)" if kind == "Polygon"
                        else "zero-length line")
                refuse(np.arange(n) == i, f"{what}; nothing is left after repair; redraw it or drop the row",
                       code="repair.zero_area" if kind == "Polygon" else "repair.zero_length")
                continue
            if len(big) < len(parts):
                note(i, f"dropped {len(parts) - len(big)} sliver part(s) of at most {floor:g} {unit}", "cleaned",
                     code="repair.slivers", n=len(parts) - len(big), floor=f"{floor:g}", unit=unit)
            if len(big) < len(flat) or not g.is_valid or g.geom_type not in family:
                g = _assemble(big, kind)
            if g is None or g.is_empty or not g.is_valid or g.geom_type not in family:
                refuse(np.arange(n) == i, "invalid geometry that could not be repaired; redraw it or drop the row",
                       code="repair.unrepairable")
                continue
            geoms[i] = g

    # outside the district
    if boundary is not None and keep.any():
        district = _boundary_geometry(boundary, crs_obj)
        shapely.prepare(district)
        idx = np.flatnonzero(keep)
        near = shapely.dwithin(district, geoms[idx], tolerance_m)
        far_idx = idx[~near]
        if len(far_idx):
            dist = shapely.distance(district, geoms[far_idx])
            mask = np.zeros(n, dtype=bool)
            mask[far_idx] = True
            refuse(mask, [f"outside the district boundary by {d:,.0f} m (tolerance {tolerance_m:g} m); check the "
                          f"coordinate system (--coords) or drop the row" for d in dist],
                   code="repair.outside_district", distance=[f"{d:,.0f}" for d in dist], tolerance=f"{tolerance_m:g}")

    out = gdf.iloc[np.flatnonzero(keep)].copy()
    geom_col = gdf.geometry.name
    out[geom_col] = gpd.GeoSeries(list(geoms[keep]), index=out.index, crs=crs_obj)
    out = out.set_geometry(geom_col, crs=crs_obj)
    report = pd.DataFrame(problems, columns=PROBLEM_COLUMNS + KEY_COLUMNS)
    if not keyed:
        report = report[PROBLEM_COLUMNS]
    if len(report):
        order = {label: k for k, label in enumerate(labels)}
        report = (report.assign(_o=report["row"].map(order)).sort_values("_o", kind="stable")
                  .drop(columns="_o").reset_index(drop=True))
    return out, report


def _flat_parts(geom: Any) -> list[Any]:
    """Single-part pieces of a geometry, collections and multi-geometries opened all the way down."""
    out: list[Any] = []
    stack = [geom]
    while stack:
        g = stack.pop()
        if g is None or g.is_empty:
            continue
        if g.geom_type in ("GeometryCollection", "MultiPolygon", "MultiLineString", "MultiPoint"):
            stack.extend(reversed(list(shapely.get_parts(g))))
        else:
            out.append(g)
    return out


def _assemble(parts: list[Any], kind: str) -> Any:
    """One valid geometry of ``kind``'s family from single parts (None when none survives)."""
    if len(parts) == 1 and parts[0].is_valid:
        return parts[0]
    if kind == "Polygon":
        multi = shapely.multipolygons(parts)
        if multi.is_valid:
            return multi
        merged = shapely.make_valid(shapely.union_all(parts))
        pieces = [p for p in _flat_parts(merged) if p.geom_type == "Polygon" and p.area > 0]
        if not pieces:
            return None
        return pieces[0] if len(pieces) == 1 else shapely.multipolygons(pieces)
    if kind == "LineString":
        return parts[0] if len(parts) == 1 else shapely.multilinestrings(parts)
    return parts[0]


def _boundary_geometry(boundary: Any, crs: Any) -> Any:
    if isinstance(boundary, gpd.GeoDataFrame | gpd.GeoSeries):
        series = boundary.geometry if isinstance(boundary, gpd.GeoDataFrame) else boundary
        if series.crs is not None:
            series = series.to_crs(crs)
        return shapely.union_all(series.to_numpy())
    return boundary


def _projected_area_of_use(crs: Any) -> tuple[float, float, float, float] | None:
    """The CRS's area of use, in its own coordinates (None when unknown or not projected)."""
    return _area_of_use_cached(crs.to_wkt())


@functools.lru_cache(maxsize=32)
def _area_of_use_cached(wkt: str) -> tuple[float, float, float, float] | None:
    crs = CRS.from_wkt(wkt)
    area = crs.area_of_use
    if area is None or not crs.is_projected:
        return None
    try:
        tr = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
        x0, y0, x1, y1 = tr.transform_bounds(area.west, area.south, area.east, area.north)
    except Exception:
        return None
    if not all(np.isfinite([x0, y0, x1, y1])):
        return None
    return float(x0), float(y0), float(x1), float(y1)
