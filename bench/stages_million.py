"""Analysis at volume: density, Gi*, forecast and the monthly report on the workspace of the
``import.incidents`` stage (100,000 incidents x scale: one million on the 10x district).

Run after ``import.incidents`` (``python -m bench --scales 10 --only import``, then
``--only volume``); a stage says so when that workspace is missing.
"""

from __future__ import annotations

import shutil
from typing import Any

from bench.stages import Context, stage


def _workspace(ctx: Context):  # noqa: ANN202
    from app.storage.workspace import Workspace

    src = ctx.workdir / f"import-x{ctx.scale:g}.gpkg"
    if not src.exists():
        raise FileNotFoundError(f"{src} is missing: run the import.incidents stage at scale {ctx.scale:g} first")
    return Workspace(src)


@stage("volume.density")
def volume_density(ctx: Context) -> dict[str, Any]:
    """Binned-FFT KDE of every incident, 50 m cells, 200 m bandwidth, masked to the jurisdictions."""
    from geo.hotspots import incident_density

    ws = _workspace(ctx)
    inc = ws.read("incidents", columns=["occurred_at", "category"])
    grid, spec = incident_density(inc, cell_m=50.0, bandwidth_m=200.0, boundary=ws.read("stations"))
    return {"incidents": len(inc), "grid": f"{spec.nrows}x{spec.ncols}"}


@stage("volume.gi_star")
def volume_gi(ctx: Context) -> dict[str, Any]:
    """Gi* with FDR on the sub-zones (counts of every incident)."""
    from geo.hotspots import subzone_hotspots

    ws = _workspace(ctx)
    inc = ws.read("incidents", columns=["occurred_at", "category"])
    gi = subzone_hotspots(inc, ws.read("subzones"))
    return {"incidents": len(inc), "subzones": len(gi), "hot": int((gi["hotspot"] == "hot").sum())}


@stage("volume.forecast")
def volume_forecast(ctx: Context) -> dict[str, Any]:
    """Next-week forecast per sub-zone with the default method."""
    from geo.forecast import forecast

    ws = _workspace(ctx)
    inc = ws.read("incidents", columns=["occurred_at", "category", "edge_id"])
    ranked = forecast(inc, cells=ws.read("subzones"), as_of=inc["occurred_at"].max().date())
    return {"incidents": len(inc), "places": len(ranked)}


@stage("volume.report")
def volume_report(ctx: Context) -> dict[str, Any]:
    """The monthly report (build + HTML/XLSX/CSV/JSON) for the last full month."""
    from app.report_render import write_report
    from geo.reports import build_report

    ws = _workspace(ctx)
    out = ctx.workdir / f"report-x{ctx.scale:g}"
    shutil.rmtree(out, ignore_errors=True)
    rep = build_report(ws, month="2025-11")
    write_report(rep, out, lang="zh-CN")
    return {"incidents": ws.count("incidents")}
