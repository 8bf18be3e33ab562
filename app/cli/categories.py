"""``patrolnet categories``: a workspace's incident categories, and adding or removing its own."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from app.cli.options import (JsonOpt, LangOpt, WorkspaceArg, console, language, planner_errors, record_audit, say,
                             writing_turn)
from geo.categories import GROUPS

__all__ = ["categories_cli"]

categories_cli = typer.Typer(help="Incident categories (警情类别): the built-in ones and the workspace's own.",
                             no_args_is_help=True)


@categories_cli.command("list")
def categories_list(workspace: WorkspaceArg, as_json: JsonOpt = False, lang: LangOpt = "zh-CN") -> None:
    """List the categories: code, names, the method's group each counts in, and how many incidents have it."""
    from app.services.categories import category_rows
    from app.services.workspace import open_workspace

    lang = language(lang)
    with planner_errors(lang):
        rows = category_rows(open_workspace(workspace), lang)
    if as_json:
        console.print_json(json.dumps(rows, ensure_ascii=False))
        return
    view = Table(title=say("cli.categories.title", lang, path=str(workspace)), title_justify="left")
    for col in say("cli.categories.columns", lang).split("|"):
        view.add_column(col)
    for r in rows:
        view.add_row(r["code"], r["zh"], r["en"], r["group_label"], f"{r['incidents']:,}",
                     say("cli.categories.builtin" if r["builtin"] else "cli.categories.added", lang))
    console.print(view)


@categories_cli.command("add")
def categories_add(
    workspace: WorkspaceArg,
    code: Annotated[str, typer.Argument(help="Code: 2-32 lowercase letters, digits or _, e.g. shooting.")],
    zh: Annotated[str, typer.Option("--zh", help="Chinese name, e.g. 涉枪案件.")],
    en: Annotated[str, typer.Option("--en", help="English name, e.g. shooting.")],
    group: Annotated[str, typer.Option("--group", help="The method's group it counts in: " + ", ".join(GROUPS)
                                                       + " (other: in no figure).")] = "other",
    lang: LangOpt = "zh-CN",
) -> None:
    """Add a category of the workspace's own; then import with it, e.g. --set category=shooting."""
    from app.services.categories import add_category

    lang = language(lang)
    with planner_errors(lang):
        with writing_turn(workspace) as ws:
            _, added = add_category(ws, code, zh=zh, en=en, group=group)
    record_audit(workspace, "categories", change="add", **added)
    console.print(say("cli.categories.added_one", lang, code=added["code"], zh=added["zh"], en=added["en"],
                      group=GROUPS[added["group"]][1 if lang == "en" else 0], ws=str(workspace)), highlight=False)


@categories_cli.command("remove")
def categories_remove(
    workspace: WorkspaceArg,
    code: Annotated[str, typer.Argument(help="Code of a category the workspace added (no incident may have it).")],
    lang: LangOpt = "zh-CN",
) -> None:
    """Remove a category the workspace added, when no incident has it."""
    from app.services.categories import remove_category

    lang = language(lang)
    with planner_errors(lang):
        with writing_turn(workspace) as ws:
            remove_category(ws, code)
    record_audit(workspace, "categories", change="remove", code=code)
    console.print(say("cli.categories.removed", lang, code=code), highlight=False)
