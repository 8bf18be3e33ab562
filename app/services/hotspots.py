"""Hotspots (``patrolnet hotspots``): density surface, Gi* hot and cold spots of sub-zones and
street segments, time profile and near repeats, written for QGIS (GeoPackage, ESRI ASCII grid with
.prj) and Excel (CSV with BOM), and kept as the workspace layers ``hotspot_subzones`` and
``hotspot_segments``."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from app.services.categories import expand_categories
from app.storage.workspace import Workspace
from geo.atomic import atomic_path, atomic_write_text
from geo.errors import InputError
from geo.progress import Progress, no_progress
from geo.writers import write_safe_csv

__all__ = ["check_period", "hotspots_job", "write_ascii_grid"]


def write_ascii_grid(path: Path, grid: np.ndarray, spec: Any, crs: Any) -> None:
    """ESRI ASCII grid (+ .prj): a raster every GIS opens, no GDAL raster driver needed."""
    nodata = -9999.0
    arr = np.where(np.isfinite(grid), grid, nodata)
    header = (f"ncols {spec.ncols}\nnrows {spec.nrows}\nxllcorner {spec.xmin:.3f}\n"
              f"yllcorner {spec.ymax - spec.nrows * spec.cell_m:.3f}\ncellsize {spec.cell_m:.3f}\n"
              f"NODATA_value {nodata:g}\n")
    with atomic_path(path) as tmp, open(tmp, "w", encoding="ascii") as fh:
        fh.write(header)
        np.savetxt(fh, arr, fmt="%.6g")
    atomic_write_text(path.with_suffix(".prj"), crs.to_wkt(version="WKT1_ESRI"), encoding="ascii")


def check_period(start: dt.date | None, end: dt.date | None) -> None:
    """A period runs forward: ``end`` (its last day) is not before ``start``.

    Raises
    ------
    InputError
        Code ``param.period``.
    """
    if start and end and end < start:
        raise InputError(f"the last day {end} is before the first day {start}", code="param.period",
                         start=start.isoformat(), end=end.isoformat())


def _window(ws: Workspace, start: dt.date | None, end: dt.date | None) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    tz = ws.timezone
    s = pd.Timestamp(start).tz_localize(tz) if start else None
    e = (pd.Timestamp(end) + pd.Timedelta(days=1)).tz_localize(tz) if end else None
    return s, e


def hotspots_job(
    ws: Workspace,
    *,
    out_dir: str | Path,
    start: dt.date | None = None,
    end: dt.date | None = None,
    categories: Sequence[str] | None = None,
    cell_m: float = 50.0,
    bandwidth_m: float = 200.0,
    knox_distance_m: float = 200.0,
    knox_days: float = 14.0,
    progress: Progress | None = None,
) -> tuple[Workspace, dict[str, Any]]:
    """Density surface, counts and Gi* hot/cold spots (sub-zones and street segments), time
    profile and near-repeat (Knox) test of the incidents from ``start`` to ``end`` (days, both
    included); written to ``out_dir`` and as workspace layers ``hotspot_subzones`` and
    ``hotspot_segments``."""
    from geo import hotspots as hs

    report = progress or no_progress
    check_period(start, end)
    if not ws.has("incidents") or ws.count("incidents") == 0:
        raise InputError(f"workspace '{ws.path}' has no incidents; import them with "
                         f"'patrolnet import WS incidents FILE'", code="data.no_incidents")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    inc = ws.read("incidents")
    cats = expand_categories(ws, categories)
    s, e = _window(ws, start, end)
    sel = hs.select_incidents(inc, categories=cats, start=s, end=e)
    if sel.empty:
        raise InputError("no incident in the period and categories asked for; widen --from/--to or --category",
                         code="data.no_incidents_selected")
    stem = ws.path.stem
    summary: dict[str, Any] = {"incidents": int(len(sel)), "from": str(start or sel["occurred_at"].min().date()),
                               "to": str(end or sel["occurred_at"].max().date()), "categories": cats or "all",
                               "files": {}}
    report("density", 0.0)
    boundary = ws.read("stations") if ws.has("stations") else (ws.read("boundary") if ws.has("boundary") else None)
    density, spec = hs.incident_density(sel, cell_m=cell_m, bandwidth_m=bandwidth_m, boundary=boundary)
    grid_path = out / f"{stem}-density.asc"
    write_ascii_grid(grid_path, density, spec, ws.crs)
    summary["files"]["density"] = str(grid_path)
    summary["density_peak_per_km2"] = float(np.nanmax(density))
    report("density", 1.0)
    layers: dict[str, gpd.GeoDataFrame] = {}
    if ws.has("subzones") and ws.count("subzones"):
        report("Gi* sub-zones", 0.0)
        subzones = ws.read("subzones")
        gi = hs.subzone_hotspots(sel, subzones)
        gz = subzones[["subzone_id", "station_id", "community_id", "geometry"]].merge(
            gi.drop(columns=[c for c in ("station_id", "community_id", "geometry") if c in gi.columns]),
            on="subzone_id", how="left")
        layers["hotspot_subzones"] = gpd.GeoDataFrame(gz, geometry="geometry", crs=ws.crs)
        summary["subzones"] = {k: int(v) for k, v in gz["hotspot"].value_counts().items()} if "hotspot" in gz else {}
        report("Gi* sub-zones", 1.0)
    if ws.has("road_edges"):
        report("Gi* streets", 0.0)
        segments = hs.street_segments(ws.read("road_edges"))
        sg = hs.segment_hotspots(sel, segments)
        seg = segments.merge(sg.drop(columns=[c for c in sg.columns if c in segments.columns and c != "segment_id"]),
                             on="segment_id", how="left") if "segment_id" in sg.columns else segments
        layers["hotspot_segments"] = gpd.GeoDataFrame(seg, geometry="geometry", crs=ws.crs)
        if "hotspot" in seg:
            summary["segments"] = {k: int(v) for k, v in seg["hotspot"].value_counts().items()}
        report("Gi* streets", 1.0)
    if ws.has("neighborhoods"):
        nb = hs.counts_by_neighborhood(sel, ws.read("neighborhoods"))
        path = out / f"{stem}-neighborhood-rates.csv"
        write_safe_csv(nb, path)
        summary["files"]["neighborhoods"] = str(path)
    by = [c for c in ("station_id", "category") if c in sel.columns]
    prof = hs.time_profile(sel, by=by)
    path = out / f"{stem}-time-profile.csv"
    write_safe_csv(prof, path)
    summary["files"]["time_profile"] = str(path)
    report("near repeats", 0.0)
    x, y, t = hs.incident_xyt(sel)
    knox = hs.knox_test(x, y, t, distance_m=knox_distance_m, days=knox_days, permutations=99)
    summary["knox"] = {k: (float(v) if isinstance(v, float | np.floating) else int(v) if isinstance(v, np.integer) else v)
                       for k, v in dataclasses.asdict(knox).items() if not isinstance(v, np.ndarray)}
    report("near repeats", 1.0)
    for name, layer in layers.items():
        path = out / f"{stem}-{name}.gpkg"
        layer.to_file(path, layer=name, driver="GPKG")
        summary["files"][name] = str(path)
    atomic_write_text(out / f"{stem}-hotspots.json",
                      json.dumps(summary, ensure_ascii=False, indent=2, default=str))
    new_ws = ws.write(layers, meta={"hotspots": {k: v for k, v in summary.items() if k != "files"}},
                      sources={n: "patrolnet hotspots" for n in layers}) if layers else ws
    return new_ws, summary
