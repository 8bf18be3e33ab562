"""The coverage split (``patrolnet split``): owners of every road edge, the brigade's beats and the
grid teams' areas, kept as workspace layers and (optionally) exported for QGIS and Excel."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from app.services.params import last_data_day
from app.storage.workspace import Workspace
from geo.progress import Progress, no_progress
from geo.writers import write_safe_csv

__all__ = ["risk_weights", "split_workspace"]


def risk_weights(ws: Workspace, *, months: int = 12) -> dict[int, float]:
    """Per road edge: 1 + its street incidents of the last ``months`` (to the last day of data,
    :func:`app.services.params.last_data_day`) per km, over the mean rate of the edges that had any
    (so a typical hot street weighs about 2 and a quiet one 1)."""
    import pandas as pd

    if not (ws.has("incidents") and ws.has("road_edges")):
        return {}
    inc = ws.read("incidents", columns=["occurred_at", "edge_id"])
    inc = inc[inc["edge_id"].notna()]
    if inc.empty:
        return {}
    end = pd.Timestamp(last_data_day(ws) + dt.timedelta(days=1)).tz_localize(ws.timezone)
    since = end - pd.DateOffset(months=months)
    counts = inc[(inc["occurred_at"] >= since) & (inc["occurred_at"] < end)]["edge_id"].astype("int64").value_counts()
    edges = ws.read("road_edges", columns=["edge_id", "length_m"])
    length_km = edges.set_index("edge_id")["length_m"].astype(float) / 1000.0
    rate = (counts / length_km.reindex(counts.index)).dropna()
    if rate.empty:
        return {}
    scale = float(rate.mean())
    return {int(e): 1.0 + float(r) / scale for e, r in rate.items()}


def split_workspace(
    ws: Workspace,
    *,
    brigade_units: int | None = None,
    risk_weighted: bool = False,
    export_dir: str | Path | None = None,
    progress: Progress | None = None,
) -> tuple[Workspace, dict[str, Any], dict[str, Path]]:
    """The coverage split: owners of every road edge, brigade beats, grid-team areas; written to the
    workspace and (optionally) exported as GeoJSON in WGS84 and the summary as CSV."""
    import geopandas as gpd

    from routing.split import split_layers

    report = progress or no_progress
    report("split", 0.0)
    weight = risk_weights(ws) if risk_weighted else None
    layers = split_layers(ws, k=brigade_units, weight=weight or None)
    report("split", 0.8)
    summary = layers.pop("split_summary")
    balance = {k: (v if isinstance(v, int | float | str | bool) or v is None else str(v))
               for k, v in summary.attrs.items() if not isinstance(v, list | dict)}
    layers["split_summary"] = summary.drop(columns=[c for c in summary.columns
                                                    if isinstance(summary[c].dtype, gpd.array.GeometryDtype)])
    new_ws = ws.write(layers, meta={"split": {"balance": balance, "risk_weighted": risk_weighted,
                                              "brigade_units": brigade_units}},
                      sources={name: "patrolnet split" for name in layers})
    exports: dict[str, Path] = {}
    if export_dir is not None:
        out = Path(export_dir)
        out.mkdir(parents=True, exist_ok=True)
        for name in ("edge_owners", "beats", "grid_team_areas"):
            if name in layers:
                path = out / f"{ws.path.stem}-{name}.geojson"
                layers[name].to_crs("EPSG:4326").to_file(path, driver="GeoJSON")
                exports[name] = path
        table = out / f"{ws.path.stem}-split-summary.csv"
        write_safe_csv(layers["split_summary"], table)
        exports["split_summary"] = table
    report("split", 1.0)
    return new_ws, {"summary": layers["split_summary"], "balance": balance}, exports
