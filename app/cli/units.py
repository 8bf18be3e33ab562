"""``patrolnet units``: patrol units suggested for a workspace that has none yet."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from app.cli.options import LangOpt, WorkspaceArg, console, language, planner_errors, record_audit, say

__all__ = ["units_cli"]

units_cli = typer.Typer(help="Patrol units: suggest a line-up from the roads to edit and import.",
                        no_args_is_help=True)


@units_cli.command("suggest")
def units_suggest(
    workspace: WorkspaceArg,
    out: Annotated[Path, typer.Option("--out", help="The table to write: a .csv (opens in Excel) or .xlsx file.")],
    cars: Annotated[int | None, typer.Option("--cars", help="Brigade cars (default: one per beat of the split, "
                                                             "else one per 50 km of main roads).", min=1)] = None,
    lang: LangOpt = "zh-CN",
) -> None:
    """Suggest patrol units from the roads: a brigade car per beat, a grid team per community or
    per square kilometre of local streets; edit the table, then import it."""
    from app.services.units import suggest_units_file
    from app.services.workspace import open_workspace

    lang = language(lang)
    with planner_errors(lang):
        ws = open_workspace(workspace)
        path, counts = suggest_units_file(ws, out, cars=cars)
    record_audit(workspace, "units_suggest", out=str(path), **{k: v for k, v in counts.items()})
    console.print(say("cli.units.suggested", lang, cars=counts.get("brigade_vehicle", 0),
                      teams=counts.get("grid_team", 0), path=str(path)), highlight=False)
    console.print(say("cli.units.next", lang, ws=str(workspace), path=str(path)), highlight=False)
