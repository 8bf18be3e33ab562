"""``patrolnet audit``: who imported, planned, exported or restored what, and when."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from app.cli.options import LangOpt, WorkspaceArg, console, language, planner_errors, say

__all__ = ["audit"]


def audit(
    workspace: WorkspaceArg,
    limit: Annotated[int, typer.Option("--limit", help="How many entries, newest first.", min=1)] = 50,
    action: Annotated[str | None, typer.Option("--action", help="Only this action (e.g. import, routes).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    lang: LangOpt = "zh-CN",
) -> None:
    """Who imported, planned, exported or restored what, and when (append-only log)."""
    from app.services.workspace import open_workspace
    from app.storage import is_url, open_store

    with planner_errors(lang):
        if is_url(workspace):  # a mistyped schema is refused, not made
            open_workspace(workspace)
        entries = open_store(workspace).audit().read(limit=limit, action=action)
    if as_json:
        typer.echo(json.dumps([e.as_dict() for e in entries], ensure_ascii=False, indent=2))
        return
    view = Table(title=say("cli.audit.title", language(lang), path=str(workspace)), title_justify="left")
    for col in ("#", "UTC", "actor", "action", "details"):
        view.add_column(col)
    for e in entries:
        view.add_row(str(e.id), e.at_utc, e.actor, e.action, json.dumps(e.details, ensure_ascii=False)[:120])
    console.print(view)
