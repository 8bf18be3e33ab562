"""The places a forecast ranks: grid cells, polygons (sub-zones) or street segments."""

from __future__ import annotations

import math
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.crs import require_metric
from geo.errors import InputError

__all__ = ["grid_cells"]


def grid_cells(
    area: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    cell_m: float = 150.0,
    hull: bool = True,
    clip: bool = False,
    origin: tuple[float, float] | None = None,
) -> gpd.GeoDataFrame:
    """A regular grid of square cells over an area.

    Parameters
    ----------
    area
        Points (the grid covers their convex hull when ``hull``) or polygons (their union, e.g. the
        district boundary), in a projected CRS (metres).
    cell_m
        Cell side (m), e.g. 150.
    clip
        Clip cell geometry and ``area_m2`` to the area (default: whole cells, so every cell has the
        same area and PAI's area share is the share of cells).
    origin
        Optional ``(x, y)`` of a grid corner to align to (e.g. the demo truth grid's
        ``grid_x0, grid_y0``); default: the area's lower-left corner.

    Returns
    -------
    GeoDataFrame with ``cell_id`` (0..n-1), ``row``, ``col`` (row 0 at the south), ``area_m2`` and
    the square geometry; ``attrs["grid"]`` holds ``xmin``, ``ymin`` and ``cell_m``.

    Raises
    ------
    CRSError
        When ``area`` is not in a projected CRS.
    """
    require_metric(area, "grid area")
    cell = float(cell_m)
    if not np.isfinite(cell) or cell <= 0:
        raise InputError(f"cell_m={cell_m!r}: must be a positive number of metres", code="param.metres",
                         name="cell_m", value=str(cell_m))
    geoms = area.geometry.to_numpy() if isinstance(area, gpd.GeoDataFrame) else area.to_numpy()
    geoms = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
    if len(geoms) == 0:
        raise InputError("grid_cells: the area is empty", code="forecast.empty_area")
    shape = shapely.union_all(geoms)
    if hull or shape.area == 0:
        shape = shapely.convex_hull(shapely.multipoints(shapely.get_coordinates(geoms)))
    if shape.area == 0:
        shape = shape.buffer(cell / 2)
    xmin, ymin, xmax, ymax = shape.bounds
    if origin is not None:
        ox, oy = (float(v) for v in origin)
        xmin = ox + math.floor((xmin - ox) / cell) * cell
        ymin = oy + math.floor((ymin - oy) / cell) * cell
    nx = max(1, int(math.ceil((xmax - xmin) / cell)))
    ny = max(1, int(math.ceil((ymax - ymin) / cell)))
    if nx * ny > 20_000_000:
        raise InputError(f"{ny} x {nx} cells of {cell:g} m is too many; use a larger cell_m",
                         code="grid.too_large", rows=ny, cols=nx, cell=f"{cell:g}")
    col, row = np.meshgrid(np.arange(nx), np.arange(ny))
    col, row = col.ravel(), row.ravel()
    boxes = shapely.box(xmin + col * cell, ymin + row * cell, xmin + (col + 1) * cell, ymin + (row + 1) * cell)
    shapely.prepare(shape)
    keep = shapely.intersects(shape, boxes)
    boxes, col, row = boxes[keep], col[keep], row[keep]
    if clip:
        boxes = shapely.intersection(boxes, shape)
    out = gpd.GeoDataFrame({"cell_id": np.arange(boxes.size), "row": row, "col": col,
                            "area_m2": shapely.area(boxes)}, geometry=boxes, crs=area.crs)
    out.attrs["grid"] = {"xmin": float(xmin), "ymin": float(ymin), "cell_m": cell}
    return out


@dataclass
class _Places:
    ids: np.ndarray
    cx: np.ndarray
    cy: np.ndarray
    measure: np.ndarray  # m2 (areas) or m (segments)
    kind: str  # "area" or "length"
    geoms: np.ndarray
    grid: dict[str, float] | None = None
    row: np.ndarray | None = None
    col: np.ndarray | None = None
    id_name: str = "cell_id"
    edge_lut: pd.Series | None = None
    unit_m: float = 150.0

    @property
    def n(self) -> int:
        return self.ids.size


def _places(cells: gpd.GeoDataFrame) -> _Places:
    if not isinstance(cells, gpd.GeoDataFrame):
        raise InputError("cells must be a GeoDataFrame: grid_cells(...), sub-zones or street segments")
    require_metric(cells, "cells")
    if len(cells) == 0:
        raise InputError("cells is empty", code="forecast.no_cells")
    geoms = cells.geometry.to_numpy()
    types = set(np.unique(shapely.get_type_id(geoms)).tolist())
    id_name = next((c for c in ("cell_id", "segment_id", "subzone_id", "neighborhood_id") if c in cells.columns), None)
    ids = cells[id_name].to_numpy() if id_name else np.arange(len(cells))
    if types <= {1, 5}:  # (multi)linestrings: street segments
        measure = (cells["length_m"].to_numpy(float) if "length_m" in cells.columns else shapely.length(geoms))
        mid = shapely.line_interpolate_point(geoms, 0.5, normalized=True)
        lut = None
        if "edge_ids" in cells.columns:
            lens = cells["edge_ids"].map(len).to_numpy()
            flat = np.concatenate([np.asarray(v) for v in cells["edge_ids"].to_numpy()]) if lens.sum() else np.array([])
            lut = pd.Series(np.repeat(np.arange(len(cells)), lens), index=pd.Index(flat))
            lut = lut[~lut.index.duplicated()]
        return _Places(ids, shapely.get_x(mid), shapely.get_y(mid), measure, "length", geoms,
                       id_name=id_name or "segment_id", edge_lut=lut, unit_m=50.0)
    if not types <= {3, 6}:
        raise InputError("cells must be all polygons (grid cells, sub-zones) or all lines (street segments)")
    measure = cells["area_m2"].to_numpy(float) if "area_m2" in cells.columns else shapely.area(geoms)
    cen = shapely.centroid(geoms)
    grid = cells.attrs.get("grid") if {"row", "col"} <= set(cells.columns) else None
    unit = float(grid["cell_m"]) if grid else float(np.sqrt(np.median(measure)))
    return _Places(ids, shapely.get_x(cen), shapely.get_y(cen), measure, "area", geoms, grid=grid,
                   row=cells["row"].to_numpy(np.int64) if grid else None,
                   col=cells["col"].to_numpy(np.int64) if grid else None, id_name=id_name or "cell_id",
                   unit_m=unit)
