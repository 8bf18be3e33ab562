"""``patrolnet plans``: the recorded shift plans and outputs, and their review (submit, approve)."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from app.cli.options import (
    LangOpt,
    WorkspaceArg,
    cli_principal,
    console,
    language,
    planner_errors,
    record_audit,
    say,
)

__all__ = ["plans_cli"]

plans_cli = typer.Typer(help="Recorded shift plans and outputs: list, show, submit, approve.", no_args_is_help=True)

IdArg = Annotated[str, typer.Argument(help="The record's id (see 'list').")]


@plans_cli.command("list")
def plans_list(
    workspace: WorkspaceArg,
    kind: Annotated[str | None, typer.Option("--kind", help="routes, report, camera_gaps, camera_siting, forecast.")] = "routes",
    date: Annotated[str | None, typer.Option("--date", help="Day of the shift (YYYY-MM-DD).")] = None,
    shift: Annotated[str | None, typer.Option("--shift", help="Shift window, as planned (e.g. 20:00-24:00).")] = None,
    station: Annotated[str | None, typer.Option("--station", help="Only this station's records (e.g. S01).")] = None,
    status: Annotated[str | None, typer.Option("--status", help="draft, submitted, approved, superseded or final.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    lang: LangOpt = "zh-CN",
) -> None:
    """The records, newest first (plans by default; --kind for the other outputs)."""
    from app.services.params import parse_day
    from app.services.plans import list_records

    lang = language(lang)
    with planner_errors(lang):
        day = parse_day(date, "--date")
        records = list_records(workspace, cli_principal(), kind=kind, day=day.isoformat() if day else None,
                               shift=shift, station_id=station, status=status)
    if as_json:
        typer.echo(json.dumps([r.as_dict() for r in records], ensure_ascii=False, indent=2))
        return
    view = Table(title=say("cli.plans.title", lang, path=str(workspace)), title_justify="left")
    for col in ("id", "kind", "date", "shift", "scope", "author", "status", "created (UTC)", "files"):
        view.add_column(col)
    for r in records:
        view.add_row(r.id, r.kind, r.day or "", r.shift or "", r.scope, r.author, r.status, r.created_at[:19],
                     str(len(r.files)))
    console.print(view)


@plans_cli.command("show")
def plans_show(workspace: WorkspaceArg, record_id: IdArg, lang: LangOpt = "zh-CN") -> None:
    """One record as JSON: parameters, inputs' version, files, result and its whole history."""
    from app.services.plans import get_record

    with planner_errors(language(lang)):
        rec = get_record(workspace, record_id, cli_principal())
    typer.echo(json.dumps(rec.as_dict(), ensure_ascii=False, indent=2))


def _change(workspace: str, record_id: str, action: str, lang: str) -> None:
    from app.services.plans import approve_plan, submit_plan

    lang = language(lang)
    with planner_errors(lang):
        rec = (submit_plan if action == "submit" else approve_plan)(workspace, record_id, cli_principal())
    record_audit(workspace, f"{action}_plan", record=record_id, status=rec.status)
    console.print(say("cli.plans.changed", lang, id=rec.id, status=rec.status), highlight=False)


@plans_cli.command("submit")
def plans_submit(workspace: WorkspaceArg, record_id: IdArg, lang: LangOpt = "zh-CN") -> None:
    """Hand a draft plan in for approval."""
    _change(workspace, record_id, "submit", lang)


@plans_cli.command("approve")
def plans_approve(workspace: WorkspaceArg, record_id: IdArg, lang: LangOpt = "zh-CN") -> None:
    """Approve a plan; the earlier approved plan of each of its units (same day and shift) is superseded."""
    _change(workspace, record_id, "approve", lang)
