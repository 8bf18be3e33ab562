"""What every ``patrolnet`` command shares: the consoles, the common arguments and options
(``--lang``, the workspace argument ...), the one place where an error becomes a one-line
``error:`` message with exit code 2 (:func:`planner_errors`), the progress bar and the audit entry.

Light on purpose (typer and rich only): every command module imports it, and ``patrolnet --help``
should start at once. The services are imported by the commands when they run.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from geo.errors import PlannerError

__all__ = [
    "CategoryOpt",
    "HostOpt",
    "JsonOpt",
    "LangOpt",
    "OutputsOpt",
    "PortOpt",
    "WorkspaceArg",
    "cli_actor",
    "cli_principal",
    "flat_paths",
    "record_run",
    "writing_turn",
    "command_lang",
    "console",
    "err_console",
    "error_text",
    "fail",
    "file_made",
    "language",
    "parse_day",
    "planner_errors",
    "progress_bar",
    "record_audit",
    "say",
    "workspace_location",
    "workspace_name",
]

# piped output (scripts, logs) gets wide tables instead of the 80-column default
console = Console(width=None if sys.stdout.isatty() else 160)
err_console = Console(stderr=True, width=None if sys.stderr.isatty() else 160)



def workspace_location(value: str) -> Path | str:
    """The workspace argument: a ``postgresql://`` (or ``postgres://``) URL kept as the text it is (a
    :class:`~pathlib.Path` would fold its ``//``), anything else a file path."""
    text = str(value)
    scheme, sep, _ = text.partition("://")
    if sep and len(scheme) > 1:
        return text
    return Path(text)


WorkspaceArg = Annotated[
    Path,
    typer.Argument(help="Workspace file (.gpkg) or postgresql://USER@HOST[:PORT]/DB?schema=NAME.",
                   show_default=False, parser=workspace_location, metavar="WORKSPACE"),
]
HostOpt = Annotated[str, typer.Option("--host", help="Address to listen on.")]
PortOpt = Annotated[int, typer.Option("--port", help="Port to listen on.", min=1, max=65535)]
LangOpt = Annotated[
    str, typer.Option("--lang", envvar="PATROLNET_LANG", help="Interface language: zh-CN or en.")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable summary.")]
OutputsOpt = Annotated[Path | None, typer.Option(
    "--outputs", help="Folder the jobs write into (the same for every web worker and job worker; default: beside "
                      "the .gpkg file, ./<schema>-outputs for a PostgreSQL workspace).")]
DaskOpt = Annotated[str | None, typer.Option(
    "--dask", envvar="PATROLNET_DASK",
    help="Plan in pieces on Dask: tcp://HOST:8786 (a running scheduler) or local:N (N processes on this "
         "machine), or fork:N (N processes forked from this one: nothing to ship, the quickest on one "
         "machine); default: 'routes' forks this machine's cores (fork:N, at most 4), a server plans "
         "in its process; serial plans in this process. The plans are the same.")]
CategoryOpt = Annotated[
    list[str] | None,
    typer.Option("--category", help="Category code or group, e.g. burglary or two_robberies_one_theft (repeatable)."),
]


def language(value: str) -> str:
    """The ``--lang`` value as a supported language (``zh-CN`` or ``en``)."""
    from app.i18n import normalize_lang

    return normalize_lang(value)


def say(key: str, lang: str, **fmt: Any) -> str:
    """The message ``key`` of :mod:`app.i18n` in ``lang``."""
    from app.i18n import t

    return t(key, lang, **fmt)


def fail(message: str) -> None:
    """Print a one-line error (details indented below it) and exit with code 2."""
    head, _, rest = message.partition("\n")
    err_console.print(f"[bold red]error:[/] {head}", highlight=False, soft_wrap=True)
    if rest:
        err_console.print(rest, highlight=False, soft_wrap=True)
    raise typer.Exit(code=2)


def command_lang() -> str:
    """The running command's ``--lang`` (``PATROLNET_LANG``, else the option's default, zh-CN)."""
    import click

    ctx = click.get_current_context(silent=True)
    value = ctx.params.get("lang") if ctx is not None else None
    return language(value or os.environ.get("PATROLNET_LANG") or "zh-CN")


def error_text(exc: PlannerError, lang: str) -> str:
    """What :func:`planner_errors` prints: an error with a message key said in ``lang``, its English
    text (which may name the option to change) indented below it; in English, or without a key, the
    English text alone."""
    from app.i18n import error_key, said

    if lang == "en" or error_key(exc) is None:
        return str(exc)
    english = str(exc)
    if "problems" in exc.fmt:  # the collected problems are in the said text already
        english = english.partition("\n")[0]
    return said(exc, lang) + "\n" + "\n".join("  " + line for line in english.splitlines())


@contextmanager
def planner_errors(lang: str | None = None) -> Iterator[None]:
    """Turn a refusal of the core or a service (:class:`geo.errors.PlannerError`) into :func:`fail`,
    said in ``lang``, the command's ``--lang`` (:func:`error_text`; default :func:`command_lang`)."""
    try:
        yield
    except PlannerError as exc:
        fail(error_text(exc, language(lang) if lang else command_lang()))


def parse_day(value: str | None, option: str, lang: str | None = None) -> dt.date | None:
    """``--date``-like options: the day (:func:`app.services.params.parse_day`), or :func:`fail`."""
    from app.services.params import parse_day as parse

    with planner_errors(lang):
        return parse(value, option)
    return None


@contextmanager
def progress_bar(enabled: bool | None = None, *, lang: str | None = None) -> Iterator[Any]:
    """A rich progress bar fed by ``progress(stage, fraction)`` callbacks, its stages said in
    ``lang`` (default :func:`command_lang`); shown on a terminal (or when ``PATROLNET_PROGRESS`` is
    set), silent in pipes and logs."""
    if enabled is None:
        enabled = sys.stderr.isatty() or bool(os.environ.get("PATROLNET_PROGRESS"))
    if not enabled:
        yield lambda stage, fraction: None
        return
    with Progress(
        TextColumn("[bold]{task.description:<28}"),
        BarColumn(),
        TextColumn("{task.percentage:>5.0f}%"),
        TimeElapsedColumn(),
        console=err_console,
        transient=False,
    ) as bar:
        tasks: dict[str, Any] = {}
        from app.i18n import stage_label

        lang = language(lang) if lang else command_lang()

        def report(stage: str, fraction: float) -> None:
            if stage not in tasks:
                for other in tasks.values():
                    bar.update(other, completed=100)
                tasks[stage] = bar.add_task(stage_label(stage, lang), total=100)
            bar.update(tasks[stage], completed=max(0.0, min(1.0, fraction)) * 100)

        yield report
        for task in tasks.values():
            bar.update(task, completed=100)


def cli_actor() -> str:
    """Who runs the command: ``cli:<operating-system user>``."""
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # noqa: BLE001 - no user name (containers)
        return "cli"


def cli_principal() -> Any:
    """The command line's user: whoever may run it on the server holds the workspace file, so it acts
    with every permission (as an admin), under its operating-system name."""
    from app.storage.access import Principal

    return Principal(cli_actor(), "admin")


def workspace_name(workspace: Path | str) -> str:
    """A workspace as the audit log and messages name it: the file's name, or the PostgreSQL schema."""
    if isinstance(workspace, str) and "://" in workspace:
        from app.storage.pg import parse_location

        return parse_location(workspace)[1]
    return Path(workspace).name


def file_made(workspace: Path | str, command: str) -> None:
    """Refuse a ``postgresql://`` location for a command that makes a workspace file (``init``,
    ``demo``), saying how to get a workspace into PostgreSQL (make the file, copy it in).

    Raises
    ------
    WorkspaceError
        ``workspace`` is a URL (``storage.pg_create``).
    """
    if not (isinstance(workspace, str) and "://" in workspace):
        return
    from app.storage.pg_layers import public_url
    from geo.errors import WorkspaceError

    shown = public_url(workspace)
    raise WorkspaceError(
        f"'patrolnet {command}' makes a .gpkg workspace file, not a workspace in {shown}; make the file (e.g. "
        f"ws.gpkg), copy it in (patrolnet workspace copy ws.gpkg URL), then patrolnet serve URL",
        code="storage.pg_create", command=command, url=shown)


@contextmanager
def writing_turn(workspace: Path | str) -> Iterator[Any]:
    """Take the turn of the jobs that write the workspace (every web worker's and ``patrolnet
    worker``'s, :meth:`app.storage.jobs.JobStore.write_turn`), then open it: a command that reads
    layers and writes new ones follows the others instead of writing over what they wrote meanwhile.
    A missing or foreign workspace is refused before any lock file is made. Yields the workspace."""
    from app.services.workspace import open_workspace
    from app.storage import open_store

    open_workspace(workspace)
    with open_store(workspace).jobs().write_turn():
        yield open_workspace(workspace)


def record_run(workspace: Path | str, ws: Any, kind: str, *, params: dict[str, Any], files: Any,
               result: dict[str, Any], lang: str) -> Any:
    """Record a finished command's output in the workspace's records, as the web records its job's
    (:data:`app.services.plans.RECORDED_KINDS`): the files are copied into the record's own folder
    (``--out`` may be written again), the author is the command line's user; says the record's id."""
    from app.services.plans import RECORDED_KINDS, inputs_version, record_output

    paths = [Path(str(f)) for f in flat_paths(files)]
    rec = record_output(workspace, kind=RECORDED_KINDS[kind], author=cli_actor(), inputs=inputs_version(ws),
                        keep_copy=True, params=params, folder=paths[0].parent if paths else Path.cwd(),
                        files=[p.name for p in paths], result=result)
    console.print(say("cli.plans.recorded" if kind == "routes" else "cli.records.recorded", lang, id=rec.id),
                  highlight=False)
    return rec


def flat_paths(value: Any) -> list[Any]:
    """The paths in ``value`` (a path, or lists and dicts of them), in order."""
    if isinstance(value, dict):
        return [p for v in value.values() for p in flat_paths(v)]
    if isinstance(value, list | tuple):
        return [p for v in value for p in flat_paths(v)]
    return [value]


def record_audit(workspace: Path | str, action: str, **details: Any) -> None:
    """Record a finished command in the workspace's append-only audit log (actor: the OS user), in
    its store (beside the ``.gpkg`` file, or in its PostgreSQL schema)."""
    from app.storage import open_store

    open_store(workspace).audit().record(
        actor=cli_actor(), action=action, target=workspace_name(workspace),
        details={k: (str(v) if isinstance(v, Path) else v) for k, v in details.items()})
