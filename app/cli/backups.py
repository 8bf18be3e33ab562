"""``patrolnet backup``, ``backups`` and ``restore``: copies of a workspace, and putting one back."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from app.cli.options import LangOpt, WorkspaceArg, console, language, planner_errors, record_audit, say

__all__ = ["backup", "backups", "restore"]


def _file_backups(workspace: object) -> None:
    """A PostgreSQL workspace is backed up by the database's tools: refused, naming pg_dump."""
    from app.storage import is_url, open_store

    if is_url(str(workspace)):
        open_store(str(workspace)).backups().list()  # raises storage.pg_backup


def backup(
    workspace: WorkspaceArg,
    reason: Annotated[str, typer.Option("--reason", help="A word kept in the backup's name.")] = "manual",
    keep: Annotated[int, typer.Option("--keep", help="How many backups to keep.", min=1)] = 10,
    lang: LangOpt = "zh-CN",
) -> None:
    """Keep a consistent copy of the workspace (imports and rebuilds take one by themselves)."""
    from app.services import backups as service

    with planner_errors(lang):
        _file_backups(workspace)
        path = service.backup(workspace, keep=keep, reason=reason)
    console.print(say("cli.backup.done", language(lang), path=str(path)), highlight=False)


def backups(workspace: WorkspaceArg, lang: LangOpt = "zh-CN") -> None:
    """List the workspace's backups, newest first."""
    from app.services import backups as service

    with planner_errors(lang):
        _file_backups(workspace)
        items = service.backups(workspace)
    view = Table(title=say("cli.backups.title", language(lang), path=str(workspace)), title_justify="left")
    for col in ("#", "created (UTC)", "reason", "MB", "file"):
        view.add_column(col)
    for i, b in enumerate(items, start=1):
        view.add_row(str(i), b.created_at.strftime("%Y-%m-%d %H:%M:%S"), b.reason, f"{b.size_bytes / 1e6:.1f}",
                     str(b.path))
    console.print(view)


def restore(
    workspace: WorkspaceArg,
    backup_file: Annotated[
        str, typer.Argument(help="A backup file, or its number in 'patrolnet backups' (1 = newest).")
    ],
    lang: LangOpt = "zh-CN",
) -> None:
    """Put a backup back in place (atomically; the current state is kept as a backup first)."""
    from app.services import backups as service

    with planner_errors(lang):
        _file_backups(workspace)
        target, saved = service.restore(workspace, backup_file)
    record_audit(workspace, "restore", backup=str(getattr(target, "path", target)), saved=str(saved))
    console.print(say("cli.restore.done", language(lang), path=str(workspace), saved=str(saved)), highlight=False)
