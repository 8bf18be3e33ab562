"""``patrolnet workspace copy SRC DST``: a workspace from a ``.gpkg`` file into PostgreSQL/PostGIS and
back (:func:`app.services.workspace_copy.copy_workspace`)."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from app.cli.options import LangOpt, console, err_console, language, planner_errors, say

__all__ = ["workspace_cli"]

workspace_cli = typer.Typer(help="Workspaces: copy one between a .gpkg file and PostgreSQL/PostGIS.",
                            no_args_is_help=True)

LocationArg = Annotated[str, typer.Argument(
    help="A workspace file (.gpkg) or postgresql://USER@HOST[:PORT]/DB?schema=NAME.", show_default=False)]


@workspace_cli.command("copy")
def copy(
    source: LocationArg,
    target: LocationArg,
    replace: Annotated[bool, typer.Option("--replace", help="Replace an existing target (file or schema).")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable summary.")] = False,
    lang: LangOpt = "zh-CN",
) -> None:
    """Copy a workspace (layers, meta, audit log, records) between a .gpkg file and PostgreSQL/PostGIS,
    all or nothing. A password in the URL is never printed; PGPASSWORD or ~/.pgpass work too."""
    from app.services.workspace_copy import copy_workspace

    lang = language(lang)
    with planner_errors(lang):
        result = copy_workspace(source, target, replace=replace)
    if as_json:
        typer.echo(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
        return
    console.print(say("cli.copy.title", lang, source=result.source, target=result.target, seconds=result.seconds),
                  highlight=False, soft_wrap=True)
    view = Table()
    view.add_column(say("cli.copy.layer", lang))
    view.add_column(say("cli.copy.features", lang), justify="right")
    for name, rows in result.layers:
        view.add_row(name, f"{rows:,}")
    console.print(view)
    console.print(say("cli.copy.rest", lang, meta=result.meta_keys, audit=result.audit_entries,
                      records=result.records, events=result.record_events))
    for what in result.not_copied:
        err_console.print(say("cli.copy.not_copied", lang, what=what), highlight=False)
