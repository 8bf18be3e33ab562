"""The ``patrolnet`` command line: parse, call a service (:mod:`app.services`), print.

One module per command group, in the manner of rasterio's ``rio``: :mod:`~app.cli.workspace`
(``demo``, ``info``, ``serve``, ``init``), :mod:`~app.cli.grid` (``grid``, ``split``),
:mod:`~app.cli.analysis` (``hotspots``, ``forecast``, ``backtest``), :mod:`~app.cli.routes`,
:mod:`~app.cli.report`, :mod:`~app.cli.units` (``units suggest``), :mod:`~app.cli.categories`, :mod:`~app.cli.backups` (``backup``, ``backups``, ``restore``),
:mod:`~app.cli.audit`, :mod:`~app.cli.imports` (``import``), :mod:`~app.cli.cameras` and
:mod:`~app.cli.users`; what they share (``--lang``, the workspace argument, errors, the progress bar)
is in :mod:`~app.cli.options`. This module only puts them together.

Bad input ends with a one-line ``error:`` message (the problems it collected indented below) and
exit code 2. Long steps show a rich progress bar on the terminal.
"""

from __future__ import annotations

import typer

from app.cli.analysis import backtest, forecast, hotspots, watchlist
from app.cli.audit import audit
from app.cli.backups import backup, backups, restore
from app.cli.cameras import cameras_cli
from app.cli.categories import categories_cli
from app.cli.field import dosage, tracks_cli
from app.cli.grid import grid, split
from app.cli.imports import import_
from app.cli.options import console, err_console, fail, planner_errors, progress_bar
from app.cli.plans import plans_cli
from app.cli.report import report
from app.cli.routes import routes
from app.cli.units import units_cli
from app.cli.users import users_cli
from app.cli.workspace import DEFAULT_DEMO_WORKSPACE, demo, info, init, serve, worker
from app.cli.workspaces import workspace_cli

__all__ = ["DEFAULT_DEMO_WORKSPACE", "cli", "console", "err_console", "fail", "main", "planner_errors",
           "progress_bar"]

cli = typer.Typer(
    name="patrolnet",
    help="patrolnet: offline patrol-network planner for duty commanders (the \"1234\" method).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# in the order ``patrolnet --help`` lists them
for command in (demo, info, serve, worker, init, grid, split, hotspots, forecast, watchlist, backtest, routes, dosage, report, backup, backups,
                restore, audit):
    cli.command()(command)
cli.command("import")(import_)
cli.add_typer(categories_cli, name="categories")
cli.add_typer(cameras_cli, name="cameras")
cli.add_typer(tracks_cli, name="tracks")
cli.add_typer(users_cli, name="users")
cli.add_typer(plans_cli, name="plans")
cli.add_typer(units_cli, name="units")
cli.add_typer(workspace_cli, name="workspace")


def main() -> None:
    """Console-script entry point."""
    cli()


if __name__ == "__main__":
    main()
