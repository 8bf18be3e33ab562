"""``patrolnet grid`` and ``split``: the sub-zones, and who covers which street."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from app.cli.options import (
    JsonOpt,
    LangOpt,
    WorkspaceArg,
    console,
    language,
    planner_errors,
    progress_bar,
    record_audit,
    say,
    writing_turn,
)

__all__ = ["grid", "split"]


def grid(
    workspace: WorkspaceArg,
    count: Annotated[int | None, typer.Option("--count", help="Number of sub-zones wanted (e.g. 1979).", min=1)] = None,
    target_area_m2: Annotated[
        float | None, typer.Option("--target-area-m2", help="Target sub-zone area in m2 (default 40,000).", min=1)
    ] = None,
    export_dir: Annotated[Path, typer.Option("--export-dir", help="Where the exported grid goes.")] = Path("data/grids"),
    as_json: JsonOpt = False,
    lang: LangOpt = "zh-CN",
) -> None:
    """Cut the district into sub-zones (小片区) that follow the streets."""
    from app.services.grid import grid_summary, grid_workspace
    from app.services.params import check_grid_size

    lang = language(lang)
    with planner_errors(lang):
        check_grid_size(count, target_area_m2)
        with writing_turn(workspace) as ws, progress_bar(lang=lang) as report:
            _, result, export = grid_workspace(ws, count=count, target_area_m2=target_area_m2,
                                               export_dir=export_dir, progress=report)
    summary = grid_summary(result, export)
    record_audit(workspace, "grid", count=summary["subzones"], export=export)
    if as_json:
        typer.echo(json.dumps(summary, ensure_ascii=False, indent=2))
        return
    console.print(say("cli.grid.done", lang, n=summary["subzones"], blocks=result.blocks, area=result.target_area_m2,
                      export=str(export)), highlight=False)
    for note in result.notes:
        console.print(f"  - {note}", highlight=False)


def split(
    workspace: WorkspaceArg,
    brigade_units: Annotated[
        int | None, typer.Option("--brigade-units", help="Brigade beats (default: the brigade vehicles in units).", min=1)
    ] = None,
    risk_weighted: Annotated[
        bool, typer.Option("--risk-weighted", help="Balance beats by length x (1 + street incidents per km).")
    ] = False,
    export_dir: Annotated[
        Path | None, typer.Option("--export-dir", help="Also write GeoJSON (WGS84) and the summary CSV here.")
    ] = None,
    as_json: JsonOpt = False,
    lang: LangOpt = "zh-CN",
) -> None:
    """Split coverage: main roads to the patrol brigade (in beats), neighborhoods to the stations."""
    import pandas as pd

    from app.services.split import split_workspace

    lang = language(lang)
    with planner_errors(lang):
        with writing_turn(workspace) as ws, progress_bar(lang=lang) as report:
            _, result, exports = split_workspace(ws, brigade_units=brigade_units, risk_weighted=risk_weighted,
                                                 export_dir=export_dir, progress=report)
    table = result["summary"]
    record_audit(workspace, "split", beats=result["balance"].get("beats"), exports=[str(p) for p in exports.values()])
    if as_json:
        typer.echo(json.dumps({"balance": result["balance"], "exports": {k: str(v) for k, v in exports.items()},
                               "summary": json.loads(table.to_json(orient="records", force_ascii=False))},
                              ensure_ascii=False, indent=2, default=str))
        return
    view = Table(title=say("cli.split.title", lang), title_justify="left")
    cols = [c for c in ("owner_id", "name", "main_km", "local_km", "neighborhoods", "households", "subzones",
                        "grid_teams", "incidents", "share") if c in table.columns]
    for c in cols:
        view.add_column(c, justify="right" if c not in ("owner_id", "name") else "left")
    for row in table[cols].itertuples(index=False):
        view.add_row(*["" if v is None or (isinstance(v, float) and v != v) or v is pd.NA
                       else (f"{v:,.1f}" if isinstance(v, float) else str(v)) for v in row])
    console.print(view)
    console.print(say("cli.split.balance", lang, ratio=result["balance"].get("max_over_mean", float("nan"))),
                  highlight=False)
    for name, path in exports.items():
        console.print(f"  {name}: {path}", highlight=False)
