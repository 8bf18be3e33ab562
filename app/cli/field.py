"""``patrolnet tracks import`` and ``patrolnet dosage``: GPS tracks in, patrol done measured against
the plan."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from app.cli.imports import show_import
from app.cli.options import (
    JsonOpt,
    LangOpt,
    WorkspaceArg,
    cli_principal,
    console,
    language,
    parse_day,
    planner_errors,
    progress_bar,
    record_audit,
    say,
    writing_turn,
)

__all__ = ["dosage", "tracks_cli"]

tracks_cli = typer.Typer(help="GPS tracks of patrol units: import them (GPX, KML, CSV).", no_args_is_help=True)


@tracks_cli.command("import")
def tracks_import(
    workspace: WorkspaceArg,
    file: Annotated[Path, typer.Argument(help="GPX 1.1, KML, or CSV/XLSX pings (unit, time, lon, lat).")],
    unit: Annotated[str | None, typer.Option("--unit", help="The unit of every ping (a GPX or KML of one phone).")] = None,
    coords: Annotated[str, typer.Option("--coords", help="wgs84 (GPS), gcj02 or bd09 (Chinese map apps).")] = "wgs84",
    as_json: JsonOpt = False,
    lang: LangOpt = "zh-CN",
) -> None:
    """Add a unit's GPS pings to the workspace's tracks (each row checked; a report of the others)."""
    from app.services.dosage import import_tracks

    lang = language(lang)
    with planner_errors(lang):
        with writing_turn(workspace) as ws, progress_bar(lang=lang) as report:
            new_ws, result, report_path = import_tracks(ws, file, unit_id=unit, coords=coords, lang=lang,
                                                        progress=report)
    show_import(workspace, "tracks", file, new_ws, result, report_path, as_json=as_json, lang=lang)


def dosage(
    workspace: WorkspaceArg,
    date: Annotated[str, typer.Option("--date", help="Day of the shift, YYYY-MM-DD.")],
    shift: Annotated[str, typer.Option("--shift", help="The shift, e.g. 20:00-24:00.")],
    out: Annotated[Path | None, typer.Option("--out", help="Write the tables: .csv (hotspots) or .xlsx (both).")] = None,
    radius_m: Annotated[float, typer.Option("--radius-m", help="At a hotspot within this distance (m).", min=10,
                                            max=1000)] = 100.0,
    lang: LangOpt = "zh-CN",
) -> None:
    """Patrol done against the plan: minutes at each hotspot planned and actual, and how much of each
    unit's route (and brigade beat's main roads) its track ran along."""
    from app.services.dosage import dosage_job, write_dosage
    from app.services.workspace import open_workspace

    lang = language(lang)
    with planner_errors(lang):
        day = parse_day(date, "--date", lang)
        ws = open_workspace(workspace)
        result = dosage_job(ws, workspace, cli_principal(), day=day, shift=shift, radius_m=radius_m, lang=lang)
        path = write_dosage(result, out) if out else None
    if path:
        record_audit(workspace, "dosage", out=path, day=result["day"], shift=result["shift"], record=result["record"])
    console.print(result["title"], highlight=False)
    console.print(result["tracks_line"], highlight=False)
    console.print(result["worth"]["line"], highlight=False)
    console.print(say("worth.sources", lang) + ": " + "; ".join(result["worth"]["sources"]), highlight=False, style="dim")
    view = Table()
    for c in ("unit_name", "place", "planned_min", "actual_min", "visits"):
        view.add_column(result["labels"][c], justify="left" if c in ("unit_name", "place") else "right")
    for row in result["hotspots"]:
        view.add_row(str(row["unit_name"]), str(row["place"]), f"{row['planned_min']:.1f}", f"{row['actual_min']:.1f}",
                     str(row["visits"]))
    console.print(view)
    if path:
        console.print(f"  {path}", highlight=False)
