"""``patrolnet users add``, ``list``, ``set``, ``passwd`` and ``remove``: who may sign in, and as what."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from app.cli.options import LangOpt, WorkspaceArg, console, fail, language, planner_errors, record_audit, say

__all__ = ["users_cli"]

users_cli = typer.Typer(help="Users (用户) and their roles: admin, commander, station, analyst, officer.",
                        no_args_is_help=True)
RoleOpt = Annotated[str, typer.Option("--role", help="admin, commander, station (one jurisdiction), analyst or "
                                                     "officer (one unit's plan on the phone page).")]
StationOpt = Annotated[str | None, typer.Option("--station", help="A station user's station id, e.g. S01.")]
UnitOpt = Annotated[str | None, typer.Option("--unit", help="An officer user's unit id (units layer), e.g. U0001.")]


def _read_password(stdin: bool, lang: str) -> str:
    if stdin:
        text = sys.stdin.readline().rstrip("\r\n")
        if not text:
            fail("--password-stdin: no password on standard input (one line)")
        return text
    return typer.prompt(say("cli.users.password", lang), hide_input=True, confirmation_prompt=True)


def _users(workspace: Path | str) -> Any:
    """The workspace's user store (beside the .gpkg file, or in its PostgreSQL schema, which must hold a
    workspace: a mistyped schema is refused, not made)."""
    from app.services.workspace import open_workspace
    from app.storage import is_url, open_store

    if is_url(workspace):
        open_workspace(workspace)
    return open_store(workspace).users()


def _known(workspace: Path) -> dict[str, set[str] | None]:
    """The workspace's station and unit ids (a user's station or unit is checked against them)."""
    from app.services.workspace import known_ids, open_workspace

    ws = open_workspace(workspace)
    return {"stations": known_ids(ws, "stations", "station_id"), "units": known_ids(ws, "units", "unit_id")}


@users_cli.command("add")
def users_add(
    workspace: WorkspaceArg,
    username: Annotated[str, typer.Argument(help="Sign-in name: lowercase letters, digits, . _ -")],
    role: RoleOpt,
    station: StationOpt = None,
    unit: UnitOpt = None,
    name: Annotated[str, typer.Option("--name", help="Display name, e.g. 北湖路派出所 张三.")] = "",
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from stdin.")] = False,
    lang: LangOpt = "zh-CN",
) -> None:
    """Add a user (asks for the password twice; there is no default password)."""

    lang = language(lang)
    with planner_errors(lang):
        known = _known(workspace)
        password = _read_password(password_stdin, lang)
        user = _users(workspace).add(username, password, role, station_id=station, display_name=name,
                                        unit_id=unit, **known)
        record_audit(workspace, "user_add", user=user.username, role=user.role, station_id=user.station_id,
                     unit_id=user.unit_id)
    console.print(say("cli.users.added", lang, name=user.username, role=user.role), highlight=False)


@users_cli.command("list")
def users_list(
    workspace: WorkspaceArg,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable JSON output.")] = False,
    lang: LangOpt = "zh-CN",
) -> None:
    """List the users (never their passwords)."""
    from app.services.workspace import open_workspace

    lang = language(lang)
    with planner_errors(lang):
        open_workspace(workspace)
        users = _users(workspace).list()
    if as_json:
        typer.echo(json.dumps([u.as_dict() for u in users], ensure_ascii=False, indent=2))
        return
    table = Table(title=say("cli.users.title", lang, path=str(workspace)), title_justify="left")
    for key in ("name", "role", "station", "unit", "display", "active", "created"):
        table.add_column(say(f"cli.users.{key}", lang))
    for u in users:
        table.add_row(u.username, u.role + (" (demo)" if u.demo else ""), u.station_id or "-", u.unit_id or "-",
                      u.display_name, "✓" if u.active else "✗", u.created_at)
    console.print(table)


@users_cli.command("set")
def users_set(
    workspace: WorkspaceArg,
    username: Annotated[str, typer.Argument(help="The user to change.")],
    role: Annotated[str | None, typer.Option("--role", help="New role.")] = None,
    station: StationOpt = None,
    unit: UnitOpt = None,
    name: Annotated[str | None, typer.Option("--name", help="New display name.")] = None,
    active: Annotated[bool | None, typer.Option("--active/--disabled", help="Enable or disable the user.")] = None,
    lang: LangOpt = "zh-CN",
) -> None:
    """Change a user's role, station, unit, display name, or disable them (ends their sessions)."""

    lang = language(lang)
    with planner_errors(lang):
        user = _users(workspace).update(username, role=role, station_id=station, display_name=name, active=active,
                                           unit_id=unit, **_known(workspace))
        record_audit(workspace, "user_change", user=username, role=role, station_id=station, unit_id=unit,
                     active=active)
    console.print(say("cli.users.changed", lang, name=user.username, role=user.role), highlight=False)


@users_cli.command("passwd")
def users_passwd(
    workspace: WorkspaceArg,
    username: Annotated[str, typer.Argument(help="The user.")],
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from stdin.")] = False,
    lang: LangOpt = "zh-CN",
) -> None:
    """Set a user's password (ends their sessions; a demo user stops being a demo user)."""

    lang = language(lang)
    with planner_errors(lang):
        store = _users(workspace)
        if store.get(username) is None:
            fail(f"no user {username!r}; list them with 'patrolnet users list {workspace}'")
        store.set_password(username, _read_password(password_stdin, lang))
        record_audit(workspace, "password", user=username)
    console.print(say("cli.users.password_set", lang, name=username), highlight=False)


@users_cli.command("remove")
def users_remove(
    workspace: WorkspaceArg,
    username: Annotated[str, typer.Argument(help="The user.")],
    lang: LangOpt = "zh-CN",
) -> None:
    """Remove a user and end their sessions (the audit log keeps their name)."""

    lang = language(lang)
    with planner_errors(lang):
        _users(workspace).remove(username)
        record_audit(workspace, "user_remove", user=username)
    console.print(say("cli.users.removed", lang, name=username), highlight=False)
