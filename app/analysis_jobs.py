"""Jobs for hotspots, forecasts and backtests: read the workspace, call the core, write outputs.

Shared by the CLI and the web app. Outputs open in QGIS (GeoPackage, ESRI ASCII grid with .prj) and
Excel (CSV with BOM).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.errors import InputError
from geo.writers import write_safe_csv
from app.storage.workspace import Workspace

Progress = Callable[[str, float], None]


def _noop(stage: str, fraction: float) -> None:
    return None


def write_ascii_grid(path: Path, grid: np.ndarray, spec: Any, crs: Any) -> None:
    """ESRI ASCII grid (+ .prj): a raster every GIS opens, no GDAL raster driver needed."""
    nodata = -9999.0
    arr = np.where(np.isfinite(grid), grid, nodata)
    header = (f"ncols {spec.ncols}\nnrows {spec.nrows}\nxllcorner {spec.xmin:.3f}\n"
              f"yllcorner {spec.ymax - spec.nrows * spec.cell_m:.3f}\ncellsize {spec.cell_m:.3f}\n"
              f"NODATA_value {nodata:g}\n")
    with open(path, "w", encoding="ascii") as fh:
        fh.write(header)
        np.savetxt(fh, arr, fmt="%.6g")
    path.with_suffix(".prj").write_text(crs.to_wkt(version="WKT1_ESRI"), encoding="ascii")


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
    profile and near-repeat (Knox) test; written to ``out_dir`` and as workspace layers
    ``hotspot_subzones`` and ``hotspot_segments``."""
    from geo import hotspots as hs

    report = progress or _noop
    if not ws.has("incidents") or ws.count("incidents") == 0:
        raise InputError(f"workspace '{ws.path}' has no incidents; import them with 'patrolnet import WS incidents FILE'")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    inc = ws.read("incidents")
    cats = list(categories) if categories else None
    s, e = _window(ws, start, end)
    sel = hs.select_incidents(inc, categories=cats, start=s, end=e)
    if sel.empty:
        raise InputError("no incident in the period and categories asked for; widen --from/--to or --category")
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
    import dataclasses

    summary["knox"] = {k: (float(v) if isinstance(v, float | np.floating) else int(v) if isinstance(v, np.integer) else v)
                       for k, v in dataclasses.asdict(knox).items() if not isinstance(v, np.ndarray)}
    report("near repeats", 1.0)
    for name, layer in layers.items():
        path = out / f"{stem}-{name}.gpkg"
        layer.to_file(path, layer=name, driver="GPKG")
        summary["files"][name] = str(path)
    (out / f"{stem}-hotspots.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2, default=str),
                                               encoding="utf-8")
    new_ws = ws.write(layers, meta={"hotspots": {k: v for k, v in summary.items() if k != "files"}},
                      sources={n: "patrolnet hotspots" for n in layers}) if layers else ws
    return new_ws, summary


def _cells(ws: Workspace, kind: str, cell_m: float) -> gpd.GeoDataFrame:
    from geo.forecast import grid_cells
    from geo.hotspots import street_segments

    if kind == "subzones":
        if not ws.has("subzones"):
            raise InputError("--cells subzones: the workspace has no sub-zones; run 'patrolnet grid' first")
        return ws.read("subzones")
    if kind == "segments":
        return street_segments(ws.read("road_edges"))
    if kind == "grid":
        area = ws.read("stations") if ws.has("stations") else ws.read("incidents")
        origin = None
        truth = ws.meta_json("demo_truth", None)
        if isinstance(truth, dict) and {"grid_x0", "grid_y0"} <= set(truth):
            origin = (float(truth["grid_x0"]), float(truth["grid_y0"]))
        return grid_cells(area, cell_m=cell_m, hull=not ws.has("stations"), origin=origin)
    raise InputError(f"--cells {kind!r}: use grid, subzones or segments")


def forecast_job(
    ws: Workspace,
    *,
    out: str | Path,
    as_of: dt.date | None = None,
    horizon_days: int = 7,
    method: str | None = None,
    cells: str = "subzones",
    cell_m: float = 150.0,
    categories: Sequence[str] | None = None,
) -> tuple[Workspace, pd.DataFrame, Path]:
    """Ranked next-period risk per place, written to ``out`` (.csv, .gpkg or .geojson) and as the
    workspace layer ``forecast_<cells>``."""
    from geo.forecast import DEFAULT_METHOD, forecast

    inc = ws.read("incidents")
    if inc.empty:
        raise InputError(f"workspace '{ws.path}' has no incidents to forecast from")
    as_of = as_of or inc["occurred_at"].max().date()
    places = _cells(ws, cells, cell_m)
    ranked = forecast(inc, cells=places, as_of=as_of, horizon_days=horizon_days, method=method or DEFAULT_METHOD,
                      categories=list(categories) if categories else None)
    key = ranked.columns[0]
    geo = places.merge(ranked, on=key, how="right") if key in places.columns else places
    geo = gpd.GeoDataFrame(geo, geometry="geometry", crs=ws.crs).sort_values("rank")
    geo["as_of"] = str(as_of)
    geo["horizon_days"] = horizon_days
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    suffix = out.suffix.lower()
    if suffix == ".csv":
        table = pd.DataFrame(geo.drop(columns="geometry"))
        cent = geo.geometry.representative_point().to_crs("EPSG:4326")
        table["lon"], table["lat"] = cent.x.round(6), cent.y.round(6)
        write_safe_csv(table, out)
    elif suffix == ".gpkg":
        geo.to_file(out, layer=f"forecast_{cells}", driver="GPKG")
    elif suffix in (".geojson", ".json"):
        geo.to_crs("EPSG:4326").to_file(out, driver="GeoJSON")
    else:
        raise InputError(f"--out {out}: use a .csv, .gpkg or .geojson file")
    layer = f"forecast_{cells}"
    new_ws = ws.write({layer: geo}, meta={layer: {"as_of": str(as_of), "horizon_days": horizon_days,
                                                  "method": method or DEFAULT_METHOD}},
                      sources={layer: "patrolnet forecast"})
    return new_ws, ranked, out


def backtest_job(
    ws: Workspace,
    *,
    out: str | Path,
    start_week: int,
    end_week: int,
    tune_weeks: tuple[int, int] | None = (2, 13),
    cells: str = "grid",
    cell_m: float = 150.0,
    year: int | None = None,
    categories: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Rolling-origin weekly backtest of every method side by side (plus the true intensity on the
    demo district), written as CSV."""
    from geo.forecast import backtest, demo_oracle

    inc = ws.read("incidents")
    if inc.empty:
        raise InputError(f"workspace '{ws.path}' has no incidents to backtest on")
    if tune_weeks is not None and tune_weeks[1] >= start_week:
        raise InputError(f"--tune-weeks {tune_weeks[0]}-{tune_weeks[1]} must end before --start-week {start_week}")
    places = _cells(ws, cells, cell_m)
    year = year or int(inc["occurred_at"].max().year)
    origin = pd.Timestamp(dt.date(year, 1, 1))
    extra = None
    if ws.has("demo_truth"):
        extra = {"oracle (true intensity)": demo_oracle(ws.read("demo_truth"), ws.meta["demo_truth"], inc, places)}
    table = backtest(inc, cells=places, start_week=start_week, end_week=end_week, origin=origin,
                     tune_weeks=tune_weeks, extra_scores=extra, categories=list(categories) if categories else None)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_safe_csv(table, out)
    return table


ROUTE_FORMATS = (".geojson", ".gpx", ".kml", ".html", ".csv")


def routes_job(
    ws: Workspace,
    *,
    shift: str,
    date: dt.date | None = None,
    out: str | Path,
    kinds: Sequence[str] = ("brigade_vehicle", "grid_team"),
    team_minutes: float = 120.0,
    time_limit_s: float = 0.1,
    lookback_days: float = 365.0,
    progress: Progress | None = None,
    station_id: str | None = None,
) -> tuple[list[Any], list[Path]]:
    """Plan a shift for every unit (or, with ``station_id``, that station's units only) and write the plans.

    ``out`` is a file (its suffix picks the format: .geojson, .gpx, .kml, .html patrol sheets, .csv
    dosage table) or a folder, which gets all five, named with the workspace, date and shift.
    Beats come from the workspace's ``edge_owners`` layer when ``patrolnet split`` has run.
    """
    from routing.export import write_routes
    from routing.graph import graph_from_workspace
    from routing.patrol import plan_shift, shift_window

    from routing.patrol import PLANNED_UNIT_KINDS

    report = progress or _noop
    unsupported = [k for k in kinds if k not in PLANNED_UNIT_KINDS]
    if unsupported:
        raise InputError(f"unit kind(s) {', '.join(unsupported)} get no routes yet; plan "
                         f"{' or '.join(PLANNED_UNIT_KINDS)}")
    if not ws.has("units") or ws.count("units") == 0:
        raise InputError(f"workspace '{ws.path}' has no patrol units; import them with 'patrolnet import WS units FILE'")
    units = ws.read("units")
    if station_id is not None:
        if "brigade_vehicle" in kinds:
            raise InputError(f"station {station_id}: brigade vehicles belong to the special patrol brigade, not to a "
                             f"station; plan kinds=grid_team for the station's own teams")
        units = units[units["station_id"].astype("string").fillna("") == str(station_id)]
        if not len(units[units["kind"].isin(list(kinds))]):
            raise InputError(f"station {station_id} has no units of kind(s) {', '.join(kinds)} in the units layer")
    date = date or (pd.Timestamp.now(tz=ws.timezone).date())
    start, end = shift_window(shift, date=date, tz=ws.timezone)
    report("road graph", 0.0)
    G = graph_from_workspace(ws)
    beats = None
    if ws.has("edge_owners"):
        owners = ws.read("edge_owners", columns=["edge_id", "beat"])
        owners = owners[owners["beat"].notna()]
        if len(owners):
            beats = pd.Series(owners["beat"].astype(int).to_numpy(), index=owners["edge_id"].astype(int).to_numpy())
    report("plan", 0.0)
    plans = plan_shift(
        G, units, shift_start=start, shift_end=end,
        incidents=ws.read("incidents") if ws.has("incidents") else None,
        beats=beats, neighborhoods=ws.read("neighborhoods") if ws.has("neighborhoods") else None,
        kinds=tuple(kinds), team_budget_min=team_minutes, time_limit_s=time_limit_s, lookback_days=lookback_days,
    )
    report("plan", 1.0)
    out = Path(out)
    written: list[Path] = []
    if out.suffix.lower() in ROUTE_FORMATS:
        out.parent.mkdir(parents=True, exist_ok=True)
        written.append(write_routes(plans, out))
    elif out.suffix:
        raise InputError(f"--out {out}: use a folder, or a file ending in {', '.join(ROUTE_FORMATS)}")
    else:
        out.mkdir(parents=True, exist_ok=True)
        tag = f"{ws.path.stem}-{date.isoformat()}-{shift.replace(':', '').replace('-', '_')}"
        if station_id is not None:
            tag += f"-{station_id}"
        names = {".geojson": "routes", ".gpx": "routes", ".kml": "routes", ".html": "patrol-sheets", ".csv": "dosage"}
        for suffix in ROUTE_FORMATS:
            written.append(write_routes(plans, out / f"{tag}-{names[suffix]}{suffix}"))
            report("write", len(written) / len(ROUTE_FORMATS))
    return plans, written


def forecast_edge_risk(ws: Workspace, *, horizon_days: int = 28) -> pd.Series | None:
    """Risk per road edge from the street-segment forecast (the hotspot work), or None without
    incidents. Both directed copies of a street get their segment's expected incidents."""
    from geo.forecast import forecast
    from geo.hotspots import street_segments

    if not ws.has("incidents") or ws.count("incidents") == 0:
        return None
    inc = ws.read("incidents")
    segments = street_segments(ws.read("road_edges"))
    ranked = forecast(inc, cells=segments, as_of=inc["occurred_at"].max().date(), horizon_days=horizon_days)
    key = ranked.columns[0]
    risk = segments[[key, "edge_ids"]].merge(ranked[[key, "expected"]], on=key)
    risk = risk.explode("edge_ids")
    return pd.Series(risk["expected"].to_numpy(float), index=risk["edge_ids"].astype("int64").to_numpy())


def hot_cells(ws: Workspace) -> tuple[gpd.GeoDataFrame | None, pd.Series | None]:
    """The Gi* hot sub-zones of the last ``patrolnet hotspots`` run (None when it has not run)."""
    if not ws.has("hotspot_subzones"):
        return None, None
    hs = ws.read("hotspot_subzones")
    hot = hs[hs["hotspot"] == "hot"].reset_index(drop=True)
    if hot.empty:
        return None, None
    return hot, pd.Series(hot["count"].astype(float).to_numpy(), index=hot.index)


def camera_coverage_job(ws: Workspace, *, risk: bool = True) -> dict[str, Any]:
    """Coverage figures of the workspace's cameras (risk-weighted by the forecast when there are incidents)."""
    from app.services.cameras import coverage_for_workspace

    edge_risk = forecast_edge_risk(ws) if risk else None
    subzones = ws.read("subzones") if ws.has("subzones") else None
    _, cov = coverage_for_workspace(ws, edge_risk=edge_risk, cells=subzones)
    return dict(cov.figures)


def camera_gaps_job(ws: Workspace, *, out: str | Path, lang: str = "zh-CN", segment_m: float = 50.0,
                    risk: bool = True, as_of: dt.date | None = None,
                    station_id: str | None = None) -> tuple[gpd.GeoDataFrame, Path]:
    """The ranked gap list (risk from the forecast when there are incidents), written as CSV, XLSX or GeoJSON.

    With ``station_id`` only that station's gaps are kept (district ranks kept) and the workspace's
    district-wide ``camera_gaps`` layer is left as it is."""
    from geo.cameras import write_table
    from app.services.cameras import gaps_for_workspace

    edge_risk = forecast_edge_risk(ws) if risk else None
    cells, cell_risk = hot_cells(ws)
    gaps = gaps_for_workspace(ws, edge_risk=edge_risk, segment_m=segment_m, as_of=as_of, cells=cells,
                              cell_risk=cell_risk)
    if station_id is not None:
        gaps = gaps[gaps["station_id"].astype("string").fillna("") == str(station_id)].reset_index(drop=True)
        return gaps, write_table(gaps, Path(out), lang=lang)
    path = write_table(gaps, Path(out), lang=lang)
    write_camera_layers(ws, gaps)
    return gaps, path


def write_camera_layers(ws: Workspace, gaps: gpd.GeoDataFrame) -> Workspace:
    """Keep the camera view polygons and the gap list as workspace layers (``camera_views``,
    ``camera_gaps``) so that the coverage map can draw them."""
    from geo.cameras import camera_views

    if not ws.has("cameras") or ws.count("cameras") == 0:
        return ws
    buildings = ws.read("buildings") if ws.has("buildings") else None
    views = camera_views(ws.read("cameras"), buildings=buildings)
    views = views[~views.geometry.is_empty & views.geometry.notna()]
    keep = [c for c in views.columns if views[c].dtype.kind in "biufOUS" or c == views.geometry.name]
    layers = {"camera_views": gpd.GeoDataFrame(views[keep], geometry=views.geometry.name, crs=ws.crs)}
    g = gaps.to_crs(ws.crs)
    layers["camera_gaps"] = gpd.GeoDataFrame(g[[c for c in g.columns if g[c].dtype.kind in "biufOUS"
                                                or c == g.geometry.name]], geometry=g.geometry.name, crs=ws.crs)
    return ws.write(layers, sources={"camera_views": "patrolnet cameras gaps", "camera_gaps": "patrolnet cameras gaps"})


def camera_siting_job(ws: Workspace, *, out: str | Path, add: int | None = None, target_share: float | None = None,
                      budget_per_station: int | None = None, radius_m: float = 50.0, spacing_m: float = 25.0,
                      method: str = "auto", lang: str = "zh-CN", risk: bool = True) -> tuple[Any, Path]:
    """Where K new cameras help most (maximal covering; or the fewest reaching ``target_share``)."""
    from geo.cameras import write_table
    from app.services.cameras import gaps_for_workspace, siting_for_workspace

    if add is None and target_share is None:
        raise InputError("give --add K (how many new cameras) or --target-share S (set covering)")
    gaps = gaps_for_workspace(ws, edge_risk=forecast_edge_risk(ws) if risk else None)
    plan = siting_for_workspace(ws, k=add, target_share=target_share, budget_per_station=budget_per_station,
                                radius_m=radius_m, spacing_m=spacing_m, method=method, gaps=gaps)
    return plan, write_table(plan.sites, Path(out), lang=lang, sheet="sites")
