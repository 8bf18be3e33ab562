"""Sub-zones (小片区): cut the district into pieces that follow the streets, keep them as the
workspace layer ``subzones`` and export a copy for QGIS."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app.services.params import check_grid_size
from app.storage.workspace import Workspace
from geo.atomic import atomic_path
from geo.errors import InputError
from geo.progress import Progress, no_progress

__all__ = ["grid_workspace"]


def grid_workspace(
    ws: Workspace,
    *,
    count: int | None = None,
    target_area_m2: float | None = None,
    export_dir: str | Path = "data/grids",
    progress: Progress | None = None,
) -> tuple[Workspace, Any, Path]:
    """Build the sub-zones of a workspace (a ``count`` or a ``target_area_m2``, not both:
    :func:`app.services.params.check_grid_size`), write them (layer ``subzones``) and export a copy to
    ``<export_dir>/<workspace>-subzones.gpkg``. Returns the new workspace, the result and the export.

    Raises
    ------
    InputError
        Both sizes given, or the workspace has no road network.
    """
    import pyogrio

    from geo.subzones import build_subzones

    check_grid_size(count, target_area_m2)
    report = progress or no_progress
    layers = {name: ws.read(name) for name in ("boundary", "stations", "communities", "neighborhoods") if ws.has(name)}
    if not ws.has("road_edges"):
        raise InputError(f"workspace '{ws.path}' has no road_edges; build it with 'patrolnet init --osm FILE' first",
                         code="data.no_roads")
    result = build_subzones(
        ws.read("road_edges"), boundary=layers.get("boundary"), stations=layers.get("stations"),
        communities=layers.get("communities"), neighborhoods=layers.get("neighborhoods"), count=count,
        target_area_m2=target_area_m2, progress=report,
    )
    report("write workspace", 0.0)
    new_ws = ws.write({"subzones": result.subzones}, meta={"subzones": {
        "count": len(result.subzones), "target_area_m2": round(result.target_area_m2, 1),
        "requested_count": count, "blocks": result.blocks, "notes": result.notes}},
        sources={"subzones": "patrolnet grid (street blocks)"})
    export = Path(export_dir) / f"{ws.path.stem}-subzones.gpkg"
    with atomic_path(export, suffix=".tmp.gpkg") as tmp:
        pyogrio.write_dataframe(result.subzones, tmp, layer="subzones", driver="GPKG")
    report("write workspace", 1.0)
    return new_ws, result, export


def grid_summary(result: Any, export: Path) -> dict[str, Any]:
    """The figures both shells show of a grid run: sub-zones, target area, blocks, area statistics
    (m2: mean, min, median, max), the export and the notes."""
    sz = result.subzones
    return {"subzones": int(len(sz)), "target_area_m2": round(float(result.target_area_m2), 1),
            "blocks": int(result.blocks),
            "area_m2": {k: round(float(v), 1) for k, v in sz["area_m2"].describe()[["mean", "min", "50%", "max"]].items()},
            "export": str(export), "notes": [str(n) for n in result.notes]}
