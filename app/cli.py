"""The ``patrolnet`` command line: parse, call the core (through :mod:`app.jobs`), print.

Bad input ends with a one-line ``error:`` message (the problems it collected indented below) and
exit code 2. Long steps show a rich progress bar on the terminal.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from geo.errors import PlannerError

DEFAULT_DEMO_WORKSPACE = Path("data/demo/yushui.gpkg")

cli = typer.Typer(
    name="patrolnet",
    help="patrolnet: offline patrol-network planner for duty commanders (the \"1234\" method).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# piped output (scripts, logs) gets wide tables instead of the 80-column default
console = Console(width=None if sys.stdout.isatty() else 160)
err_console = Console(stderr=True, width=None if sys.stderr.isatty() else 160)

WorkspaceArg = Annotated[
    Path, typer.Argument(help="Workspace file (.gpkg).", show_default=False)
]
HostOpt = Annotated[str, typer.Option("--host", help="Address to listen on.")]
PortOpt = Annotated[int, typer.Option("--port", help="Port to listen on.", min=1, max=65535)]
LangOpt = Annotated[
    str, typer.Option("--lang", envvar="PATROLNET_LANG", help="Interface language: zh-CN or en.")
]


def _lang(value: str) -> str:
    from app.i18n import normalize_lang

    return normalize_lang(value)


def _t(key: str, lang: str, **fmt: Any) -> str:
    from app.i18n import t

    return t(key, lang, **fmt)


def fail(message: str) -> None:
    """Print a one-line error (details indented below it) and exit with code 2."""
    head, _, rest = message.partition("\n")
    err_console.print(f"[bold red]error:[/] {head}", highlight=False, soft_wrap=True)
    if rest:
        err_console.print(rest, highlight=False, soft_wrap=True)
    raise typer.Exit(code=2)


@contextmanager
def planner_errors():
    try:
        yield
    except PlannerError as exc:
        fail(str(exc))


@contextmanager
def progress_bar(enabled: bool | None = None):
    """A rich progress bar fed by ``progress(stage, fraction)`` callbacks; shown on a terminal (or
    when ``PATROLNET_PROGRESS`` is set), silent in pipes and logs."""
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

        def report(stage: str, fraction: float) -> None:
            if stage not in tasks:
                for other in tasks.values():
                    bar.update(other, completed=100)
                tasks[stage] = bar.add_task(stage, total=100)
            bar.update(tasks[stage], completed=max(0.0, min(1.0, fraction)) * 100)

        yield report
        for task in tasks.values():
            bar.update(task, completed=100)


def _audit(workspace: Path | str, action: str, **details: Any) -> None:
    """Record a finished command in the workspace's append-only audit log (actor: the OS user)."""
    import getpass

    from app.storage.audit import record

    try:
        actor = f"cli:{getpass.getuser()}"
    except Exception:  # noqa: BLE001 - no user name (containers): still record the action
        actor = "cli"
    record(workspace, actor=actor, action=action, target=Path(workspace).name,
           details={k: (str(v) if isinstance(v, Path) else v) for k, v in details.items()})


def _parse_date(value: str | None, option: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        fail(f"{option} {value!r} is not a date; give it as YYYY-MM-DD, e.g. 2026-10-31")
    return None


@cli.command()
def demo(
    workspace: Annotated[
        Path, typer.Option("--workspace", help="Where the demo workspace lives.")
    ] = DEFAULT_DEMO_WORKSPACE,
    no_serve: Annotated[
        bool, typer.Option("--no-serve", help="Build (if needed) but do not start the web app.")
    ] = False,
    seed: Annotated[int, typer.Option("--seed", help="Random seed of the synthetic district.")] = 1979,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Last day of incident data (YYYY-MM-DD); default: end of last month."),
    ] = None,
    scale: Annotated[
        float, typer.Option("--scale", help="District size factor (1 = Yushui's urban core).", min=0.05, max=20)
    ] = 1.0,
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Rebuild even if the workspace exists.")] = False,
    host: HostOpt = "127.0.0.1",
    port: PortOpt = 8000,
    lang: LangOpt = "zh-CN",
) -> None:
    """Build the demo district (first run only) and serve it on 127.0.0.1:8000."""
    language = _lang(lang)
    as_of_date = _parse_date(as_of, "--as-of")
    with planner_errors():
        if workspace.exists() and not rebuild:
            from app.jobs import ensure_demo_users
            from app.storage.workspace import Workspace

            ws = Workspace(workspace)
            ensure_demo_users(ws)
            console.print(_t("cli.demo.reuse", language, path=str(workspace)))
        else:
            from app.jobs import build_demo_workspace

            console.print(_t("cli.demo.build", language, path=str(workspace), seed=seed))
            with progress_bar() as report:
                ws = build_demo_workspace(
                    workspace, seed=seed, as_of=as_of_date, scale=scale, overwrite=rebuild, progress=report
                )
        _print_info(ws.info(), language)
        _print_demo_users(ws.path, language)
        if not no_serve:
            _serve(ws.path, host=host, port=port, lang=language, mbtiles=None)


@cli.command()
def info(
    workspace: WorkspaceArg,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable JSON output.")] = False,
    lang: LangOpt = "zh-CN",
) -> None:
    """Show a workspace's layers, feature counts, CRS and extent."""
    from app.storage.workspace import Workspace

    with planner_errors():
        summary = Workspace(workspace).info()
    if as_json:
        typer.echo(json.dumps(summary.as_dict(), ensure_ascii=False, indent=2))
    else:
        _print_info(summary, _lang(lang))


@cli.command()
def serve(
    workspace: WorkspaceArg,
    host: HostOpt = "127.0.0.1",
    port: PortOpt = 8000,
    mbtiles: Annotated[
        Path | None, typer.Option("--mbtiles", help="Optional local MBTiles file served as a basemap.")
    ] = None,
    lang: LangOpt = "zh-CN",
    https: Annotated[
        bool, typer.Option("--https", help="Served to users over HTTPS by a proxy: Secure cookies and HSTS.")
    ] = False,
    proxy: Annotated[
        str | None,
        typer.Option("--proxy", help="Address of a trusted reverse proxy (e.g. 127.0.0.1): the client address "
                                     "for sign-in limits and the audit log is taken from its X-Forwarded-For."),
    ] = None,
) -> None:
    """Serve the web app for a workspace (offline; all map assets are local)."""
    from app.storage.workspace import Workspace

    with planner_errors():
        Workspace(workspace)
        if mbtiles is not None and not mbtiles.exists():
            fail(f"--mbtiles '{mbtiles}' does not exist; pass an existing .mbtiles file or leave it out")
        _serve(workspace, host=host, port=port, lang=_lang(lang), mbtiles=mbtiles, https=https, proxy=proxy)


@cli.command()
def init(
    workspace: Annotated[Path, typer.Argument(help="Workspace file (.gpkg) to create.", show_default=False)],
    osm: Annotated[Path | None, typer.Option("--osm", help="OSM extract: .osm, .osm.bz2, .osm.gz or .osm.pbf.")] = None,
    place: Annotated[
        str | None, typer.Option("--place", help="Download a place's streets through osmnx (needs internet).")
    ] = None,
    boundary: Annotated[
        Path | None, typer.Option("--boundary", help="District boundary (GeoJSON, GeoPackage, Shapefile).")
    ] = None,
    boundary_coords: Annotated[
        str, typer.Option("--boundary-coords", help="Coordinates of the boundary file: wgs84, gcj02 or bd09.")
    ] = "wgs84",
    crs: Annotated[
        str | None, typer.Option("--crs", help="Working CRS, e.g. EPSG:4547 (default: CGCS2000 GK in China, else UTM).")
    ] = None,
    timezone: Annotated[
        str, typer.Option("--timezone", help="Time zone of the district (IANA name).")
    ] = "Asia/Shanghai",
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace an existing workspace file.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable summary.")] = False,
    lang: LangOpt = "zh-CN",
) -> None:
    """Create a workspace from an OSM extract and/or a boundary, offline."""
    from app.jobs import init_workspace

    language = _lang(lang)
    if osm is not None and not osm.exists():
        fail(f"--osm '{osm}' does not exist; download the extract on a connected machine and pass its path")
    with planner_errors():
        with progress_bar() as report:
            ws, summary = init_workspace(workspace, osm=osm, place=place, boundary=boundary,
                                         boundary_coords=boundary_coords, crs=crs, timezone=timezone,
                                         overwrite=overwrite,
                                         progress=report)
    _audit(ws.path, "init", osm=osm, boundary=boundary, crs=ws.crs.to_string())
    if as_json:
        typer.echo(json.dumps({"workspace": ws.info().as_dict(), **summary}, ensure_ascii=False, indent=2, default=str))
        return
    console.print(_t("cli.init.done", language, path=str(ws.path), crs=ws.crs.to_string()), highlight=False)
    _print_info(ws.info(), language)


@cli.command()
def grid(
    workspace: WorkspaceArg,
    count: Annotated[int | None, typer.Option("--count", help="Number of sub-zones wanted (e.g. 1979).", min=1)] = None,
    target_area_m2: Annotated[
        float | None, typer.Option("--target-area-m2", help="Target sub-zone area in m2 (default 40,000).", min=1)
    ] = None,
    export_dir: Annotated[Path, typer.Option("--export-dir", help="Where the exported grid goes.")] = Path("data/grids"),
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable summary.")] = False,
    lang: LangOpt = "zh-CN",
) -> None:
    """Cut the district into sub-zones (小片区) that follow the streets."""
    from app.jobs import grid_workspace
    from app.storage.workspace import Workspace

    language = _lang(lang)
    if count is not None and target_area_m2 is not None:
        fail("give either --count or --target-area-m2, not both")
    with planner_errors():
        ws = Workspace(workspace)
        with progress_bar() as report:
            new_ws, result, export = grid_workspace(ws, count=count, target_area_m2=target_area_m2,
                                                    export_dir=export_dir, progress=report)
    sz = result.subzones
    _audit(workspace, "grid", count=len(sz), export=export)
    summary = {"subzones": len(sz), "target_area_m2": round(result.target_area_m2, 1), "blocks": result.blocks,
               "area_m2": {k: round(float(v), 1) for k, v in sz["area_m2"].describe()[["mean", "min", "50%", "max"]].items()},
               "export": str(export), "notes": result.notes}
    if as_json:
        typer.echo(json.dumps(summary, ensure_ascii=False, indent=2))
        return
    console.print(_t("cli.grid.done", language, n=len(sz), blocks=result.blocks, area=result.target_area_m2,
                     export=str(export)), highlight=False)
    for note in result.notes:
        console.print(f"  - {note}", highlight=False)


@cli.command()
def split(
    workspace: WorkspaceArg,
    brigade_units: Annotated[
        int | None, typer.Option("--brigade-units", help="Brigade beats (default: the brigade vehicles in units).", min=1)
    ] = None,
    risk_weighted: Annotated[
        bool, typer.Option("--risk-weighted", help="Balance beats by length x (1 + street incidents per km).")
    ] = False,
    export_dir: Annotated[
        Path | None, typer.Option("--export-dir", help="Also write GeoJSON (WGS84) and the summary CSV here.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable summary.")] = False,
    lang: LangOpt = "zh-CN",
) -> None:
    """Split coverage: main roads to the patrol brigade (in beats), neighborhoods to the stations."""
    import pandas as pd

    from app.jobs import split_workspace
    from app.storage.workspace import Workspace

    language = _lang(lang)
    with planner_errors():
        ws = Workspace(workspace)
        with progress_bar() as report:
            _, result, exports = split_workspace(ws, brigade_units=brigade_units, risk_weighted=risk_weighted,
                                                 export_dir=export_dir, progress=report)
    table = result["summary"]
    _audit(workspace, "split", beats=result["balance"].get("beats"), exports=[str(p) for p in exports.values()])
    if as_json:
        typer.echo(json.dumps({"balance": result["balance"], "exports": {k: str(v) for k, v in exports.items()},
                               "summary": json.loads(table.to_json(orient="records", force_ascii=False))},
                              ensure_ascii=False, indent=2, default=str))
        return
    view = Table(title=_t("cli.split.title", language), title_justify="left")
    cols = [c for c in ("owner_id", "name", "main_km", "local_km", "neighborhoods", "households", "subzones",
                        "grid_teams", "incidents", "share") if c in table.columns]
    for c in cols:
        view.add_column(c, justify="right" if c not in ("owner_id", "name") else "left")
    for row in table[cols].itertuples(index=False):
        view.add_row(*["" if v is None or (isinstance(v, float) and v != v) or v is pd.NA
                       else (f"{v:,.1f}" if isinstance(v, float) else str(v)) for v in row])
    console.print(view)
    console.print(_t("cli.split.balance", language, ratio=result["balance"].get("max_over_mean", float("nan"))),
                  highlight=False)
    for name, path in exports.items():
        console.print(f"  {name}: {path}", highlight=False)


CategoryOpt = Annotated[
    list[str] | None,
    typer.Option("--category", help="Category code or group, e.g. burglary or two_robberies_one_theft (repeatable)."),
]


@cli.command()
def hotspots(
    workspace: WorkspaceArg,
    out: Annotated[Path, typer.Option("--out", help="Folder for the outputs (grid, GeoPackages, CSV, JSON).")],
    from_: Annotated[str | None, typer.Option("--from", help="First day (YYYY-MM-DD).")] = None,
    to: Annotated[str | None, typer.Option("--to", help="Last day (YYYY-MM-DD).")] = None,
    category: CategoryOpt = None,
    cell_m: Annotated[float, typer.Option("--cell-m", help="Density grid cell (m).", min=1)] = 50.0,
    bandwidth_m: Annotated[float, typer.Option("--bandwidth-m", help="Kernel bandwidth (m).", min=1)] = 200.0,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable summary.")] = False,
    lang: LangOpt = "zh-CN",
) -> None:
    """Hotspots: density surface, Gi* hot and cold spots, time profile, near repeats."""
    from app.analysis_jobs import hotspots_job
    from app.storage.workspace import Workspace

    language = _lang(lang)
    start, end = _parse_date(from_, "--from"), _parse_date(to, "--to")
    with planner_errors():
        ws = Workspace(workspace)
        with progress_bar() as report:
            _, summary = hotspots_job(ws, out_dir=out, start=start, end=end, categories=category,
                                      cell_m=cell_m, bandwidth_m=bandwidth_m, progress=report)
    _audit(workspace, "hotspots", out=out, files=summary["files"])
    if as_json:
        typer.echo(json.dumps(summary, ensure_ascii=False, indent=2, default=str))
        return
    console.print(_t("cli.hotspots.done", language, n=summary["incidents"], start=summary["from"],
                     end=summary["to"]), highlight=False)
    for key in ("subzones", "segments"):
        if key in summary:
            console.print(f"  {key}: {summary[key]}", highlight=False)
    knox = summary.get("knox", {})
    if knox:
        console.print(f"  Knox ({knox.get('distance_m')} m, {knox.get('days')} d): ratio {knox.get('ratio', 0):.2f}, "
                      f"p = {knox.get('p_value', 1):.3f}", highlight=False)
    for name, path in summary["files"].items():
        console.print(f"  {name}: {path}", highlight=False)


@cli.command()
def forecast(
    workspace: WorkspaceArg,
    out: Annotated[Path, typer.Option("--out", help="Ranked list: .csv, .gpkg or .geojson.")],
    as_of: Annotated[str | None, typer.Option("--as-of", help="Last day of data (default: the newest incident).")] = None,
    horizon_days: Annotated[int, typer.Option("--horizon-days", help="7 (next week) or 28 (next 4 weeks).", min=1, max=92)] = 7,
    method: Annotated[str | None, typer.Option("--method", help="Forecast method (default: the backtested best).")] = None,
    cells: Annotated[str, typer.Option("--cells", help="subzones, segments or grid.")] = "subzones",
    cell_m: Annotated[float, typer.Option("--cell-m", help="Grid cell (m) for --cells grid.", min=10)] = 150.0,
    category: CategoryOpt = None,
    top: Annotated[int, typer.Option("--top", help="Rows to print.", min=0)] = 10,
    lang: LangOpt = "zh-CN",
) -> None:
    """Next-period risk per sub-zone, street segment or grid cell: a ranked list and a map layer."""
    from app.analysis_jobs import forecast_job
    from app.storage.workspace import Workspace

    language = _lang(lang)
    with planner_errors():
        ws = Workspace(workspace)
        _, ranked, path = forecast_job(ws, out=out, as_of=_parse_date(as_of, "--as-of"), horizon_days=horizon_days,
                                       method=method, cells=cells, cell_m=cell_m, categories=category)
    _audit(workspace, "forecast", out=path, horizon_days=horizon_days, cells=cells)
    console.print(_t("cli.forecast.done", language, n=len(ranked), path=str(path)), highlight=False)
    view = Table()
    shown = ranked.head(top)
    for c in shown.columns[:6]:
        view.add_column(str(c))
    for row in shown.iloc[:, :6].itertuples(index=False):
        view.add_row(*[(f"{v:,.3f}" if isinstance(v, float) else str(v)) for v in row])
    if top:
        console.print(view)


@cli.command()
def backtest(
    workspace: WorkspaceArg,
    out: Annotated[Path, typer.Option("--out", help="The table as CSV.")],
    start_week: Annotated[int, typer.Option("--start-week", help="First evaluated week (1-based).", min=1)] = 14,
    end_week: Annotated[int, typer.Option("--end-week", help="Last evaluated week.", min=1)] = 52,
    tune_weeks: Annotated[str, typer.Option("--tune-weeks", help="Weeks to choose parameters on, e.g. 2-13 (or 'none').")] = "2-13",
    cells: Annotated[str, typer.Option("--cells", help="grid, subzones or segments.")] = "grid",
    cell_m: Annotated[float, typer.Option("--cell-m", help="Grid cell (m).", min=10)] = 150.0,
    year: Annotated[int | None, typer.Option("--year", help="Year of week 1 (default: the newest incident's).")] = None,
    category: CategoryOpt = None,
    lang: LangOpt = "zh-CN",
) -> None:
    """Rolling-origin weekly backtest: every forecast method beside the naive baselines."""
    from app.analysis_jobs import backtest_job
    from app.storage.workspace import Workspace

    language = _lang(lang)
    tune: tuple[int, int] | None = None
    if tune_weeks.lower() != "none":
        a, sep, b = tune_weeks.partition("-")
        if not (sep and a.isdigit() and b.isdigit()):
            fail(f"--tune-weeks {tune_weeks!r}: write it as FIRST-LAST, e.g. 2-13, or none")
        tune = (int(a), int(b))
    if end_week < start_week:
        fail(f"--end-week {end_week} is before --start-week {start_week}")
    with planner_errors():
        ws = Workspace(workspace)
        table = backtest_job(ws, out=out, start_week=start_week, end_week=end_week, tune_weeks=tune, cells=cells,
                             cell_m=cell_m, year=year, categories=category)
    _audit(workspace, "backtest", out=out, weeks=f"{start_week}-{end_week}")
    view = Table(title=_t("cli.backtest.title", language, start=start_week, end=end_week), title_justify="left")
    for c in ("method", "coverage", "hit_rate", "pai", "pei"):
        view.add_column(c, justify="left" if c == "method" else "right")
    for row in table.itertuples(index=False):
        view.add_row(str(row.method), f"{row.coverage:.0%}", f"{row.hit_rate:.3f}", f"{row.pai:.1f}", f"{row.pei:.3f}")
    console.print(view)
    console.print(f"  {out}", highlight=False)


@cli.command()
def routes(
    workspace: WorkspaceArg,
    shift: Annotated[str, typer.Option("--shift", help="Shift window HH:MM-HH:MM, e.g. 20:00-24:00.")],
    out: Annotated[Path, typer.Option("--out", help="A folder (all formats) or a .geojson/.gpx/.kml/.html/.csv file.")],
    date: Annotated[str | None, typer.Option("--date", help="Day of the shift (YYYY-MM-DD; default today).")] = None,
    kinds: Annotated[
        list[str] | None, typer.Option("--kind", help="Unit kinds to plan (repeatable; default brigade_vehicle, grid_team).")
    ] = None,
    team_minutes: Annotated[float, typer.Option("--team-minutes", help="Length of a grid team's loop.", min=10)] = 120.0,
    time_limit: Annotated[float, typer.Option("--time-limit", help="Search seconds per team loop.", min=0.01)] = 0.1,
    lookback_days: Annotated[float, typer.Option("--lookback-days", help="Incident history that sets risk.", min=1)] = 365.0,
    lang: LangOpt = "zh-CN",
) -> None:
    """Plan the shift: brigade routes over their beats, "1+2+N" loops in the neighborhoods."""
    from app.analysis_jobs import routes_job
    from app.storage.workspace import Workspace

    language = _lang(lang)
    day = _parse_date(date, "--date")
    with planner_errors():
        ws = Workspace(workspace)
        with progress_bar() as report:
            plans, written = routes_job(ws, shift=shift, date=day, out=out,
                                        kinds=tuple(kinds) if kinds else ("brigade_vehicle", "grid_team"),
                                        team_minutes=team_minutes, time_limit_s=time_limit,
                                        lookback_days=lookback_days, progress=report)
    _audit(workspace, "routes", shift=shift, date=str(day or ""), units=len(plans), files=[str(p) for p in written])
    view = Table(title=_t("cli.routes.title", language, n=len(plans), shift=shift), title_justify="left")
    for c in ("unit_id", "unit_kind", "length_km", "duration_min", "stops"):
        view.add_column(c, justify="left" if c.startswith("unit") else "right")
    for p in plans:
        view.add_row(str(p.unit_id), str(p.unit_kind), f"{p.length_m / 1000:.1f}", f"{p.duration_min:.0f}",
                     str(len(p.stops)))
    console.print(view)
    for path in written:
        console.print(f"  {path}", highlight=False)


@cli.command()
def report(
    workspace: WorkspaceArg,
    month: Annotated[str, typer.Option("--month", help="Month of the report, YYYY-MM.")],
    out: Annotated[Path, typer.Option("--out", help="Folder for the HTML, XLSX, CSV and JSON files.")],
    week: Annotated[
        str | None, typer.Option("--week", help="Week of the bulletins: a day in it (YYYY-MM-DD) or YYYY-Www.")
    ] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Last day of data (default: the workspace's).")] = None,
    controlled_share: Annotated[
        float, typer.Option("--controlled-share", help="A 'controlled' model neighborhood is down by this share.", min=0, max=1)
    ] = 0.5,
    lang: LangOpt = "zh-CN",
) -> None:
    """The method's monthly report: year-over-year, rankings, model neighborhoods, weekly bulletins."""
    from app.report_render import write_report
    from geo.reports import build_report
    from app.storage.workspace import Workspace

    language = _lang(lang)
    with planner_errors():
        rep = build_report(Workspace(workspace), month=month, week=week, as_of=_parse_date(as_of, "--as-of"),
                           controlled_share=controlled_share)
        files = write_report(rep, out, lang=language)
    _audit(workspace, "report", month=month, out=out)
    head = rep.table("headline")
    view = Table(title=_t("cli.report.done", language, month=month), title_justify="left")
    for col in ("measure", "month", "month_last_year", "yoy_change", "ytd", "ytd_last_year", "ytd_yoy_change"):
        view.add_column(col, justify="left" if col == "measure" else "right")
    for row in head.itertuples(index=False):
        pct = lambda v: "" if v is None or v != v else f"{v:+.1%}"  # noqa: E731
        view.add_row(str(row.measure), f"{row.month:,}", f"{row.month_last_year:,}", pct(row.yoy_change),
                     f"{row.ytd:,}", f"{row.ytd_last_year:,}", pct(row.ytd_yoy_change))
    console.print(view)

    def paths(value: Any) -> list[Any]:
        if isinstance(value, dict):
            return [p for v in value.values() for p in paths(v)]
        if isinstance(value, list | tuple):
            return [p for v in value for p in paths(v)]
        return [value]

    for path in paths(files):
        console.print(f"  {path}", highlight=False)


@cli.command()
def backup(
    workspace: WorkspaceArg,
    reason: Annotated[str, typer.Option("--reason", help="A word kept in the backup's name.")] = "manual",
    keep: Annotated[int, typer.Option("--keep", help="How many backups to keep.", min=1)] = 10,
    lang: LangOpt = "zh-CN",
) -> None:
    """Keep a consistent copy of the workspace (imports and rebuilds take one by themselves)."""
    from app.storage.backup import backup_workspace

    with planner_errors():
        path = backup_workspace(workspace, keep=keep, reason=reason)
    console.print(_t("cli.backup.done", _lang(lang), path=str(path)), highlight=False)


@cli.command()
def backups(workspace: WorkspaceArg, lang: LangOpt = "zh-CN") -> None:
    """List the workspace's backups, newest first."""
    from app.storage.backup import list_backups

    with planner_errors():
        items = list_backups(workspace)
    view = Table(title=_t("cli.backups.title", _lang(lang), path=str(workspace)), title_justify="left")
    for col in ("#", "created (UTC)", "reason", "MB", "file"):
        view.add_column(col)
    for i, b in enumerate(items, start=1):
        view.add_row(str(i), b.created_at.strftime("%Y-%m-%d %H:%M:%S"), b.reason, f"{b.size_bytes / 1e6:.1f}",
                     str(b.path))
    console.print(view)


@cli.command()
def restore(
    workspace: WorkspaceArg,
    backup_file: Annotated[
        str, typer.Argument(help="A backup file, or its number in 'patrolnet backups' (1 = newest).")
    ],
    lang: LangOpt = "zh-CN",
) -> None:
    """Put a backup back in place (atomically; the current state is kept as a backup first)."""
    from app.storage.backup import check_not_in_use, list_backups, restore_workspace

    with planner_errors():
        target: Any = backup_file
        if backup_file.isdigit():
            items = list_backups(workspace)
            n = int(backup_file)
            if not 1 <= n <= len(items):
                fail(f"backup number {n}: the workspace has {len(items)} backups; see 'patrolnet backups'")
            target = items[n - 1]
        check_not_in_use(workspace)
        saved = restore_workspace(workspace, target)
    _audit(workspace, "restore", backup=str(getattr(target, "path", target)), saved=str(saved))
    console.print(_t("cli.restore.done", _lang(lang), path=str(workspace), saved=str(saved)), highlight=False)


@cli.command()
def audit(
    workspace: WorkspaceArg,
    limit: Annotated[int, typer.Option("--limit", help="How many entries, newest first.", min=1)] = 50,
    action: Annotated[str | None, typer.Option("--action", help="Only this action (e.g. import, routes).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    lang: LangOpt = "zh-CN",
) -> None:
    """Who imported, planned, exported or restored what, and when (append-only log)."""
    from app.storage.audit import read_log

    with planner_errors():
        entries = read_log(workspace, limit=limit, action=action)
    if as_json:
        typer.echo(json.dumps([e.as_dict() for e in entries], ensure_ascii=False, indent=2))
        return
    view = Table(title=_t("cli.audit.title", _lang(lang), path=str(workspace)), title_justify="left")
    for col in ("#", "UTC", "actor", "action", "details"):
        view.add_column(col)
    for e in entries:
        view.add_row(str(e.id), e.at_utc, e.actor, e.action, json.dumps(e.details, ensure_ascii=False)[:120])
    console.print(view)


cameras_cli = typer.Typer(help="Cameras (探头): coverage, gap lists, where to add cameras.", no_args_is_help=True)
cli.add_typer(cameras_cli, name="cameras")
NoRiskOpt = Annotated[bool, typer.Option("--no-risk", help="Rank by past incidents only (skip the forecast).")]


@cameras_cli.command("coverage")
def cameras_coverage(workspace: WorkspaceArg, no_risk: NoRiskOpt = False, lang: LangOpt = "zh-CN") -> None:
    """What the cameras see: streets, neighborhoods and entrances, sub-zones, past incidents."""
    from app.analysis_jobs import camera_coverage_job
    from app.storage.workspace import Workspace

    with planner_errors():
        figures = camera_coverage_job(Workspace(workspace), risk=not no_risk)
    typer.echo(json.dumps(figures, ensure_ascii=False, indent=2, default=float))


@cameras_cli.command("gaps")
def cameras_gaps(
    workspace: WorkspaceArg,
    out: Annotated[Path, typer.Option("--out", help="FILE.csv, FILE.xlsx or FILE.geojson.")],
    segment_m: Annotated[float, typer.Option("--segment-m", help="Road pieces of this length (m).", min=5)] = 50.0,
    no_risk: NoRiskOpt = False,
    lang: LangOpt = "zh-CN",
) -> None:
    """Risky places no camera sees, ranked by risk (headers in zh-CN or English by --lang)."""
    from app.analysis_jobs import camera_gaps_job
    from app.storage.workspace import Workspace

    language = _lang(lang)
    with planner_errors():
        gaps, path = camera_gaps_job(Workspace(workspace), out=out, lang=language, segment_m=segment_m,
                                     risk=not no_risk)
    _audit(workspace, "camera_gaps", out=path, gaps=len(gaps))
    kinds = gaps["kind"].value_counts().to_dict() if "kind" in gaps else {}
    console.print(_t("cli.cameras.gaps", language, n=len(gaps), path=str(path)), highlight=False)
    for kind, n in kinds.items():
        console.print(f"  {kind}: {n:,}", highlight=False)


@cameras_cli.command("site")
def cameras_site(
    workspace: WorkspaceArg,
    out: Annotated[Path, typer.Option("--out", help="FILE.csv, FILE.xlsx or FILE.geojson.")],
    add: Annotated[int | None, typer.Option("--add", help="How many new cameras.", min=1)] = None,
    target_share: Annotated[
        float | None, typer.Option("--target-share", help="Fewest cameras reaching this share of gap risk (0-1).", min=0.0, max=1.0)
    ] = None,
    budget_per_station: Annotated[
        int | None, typer.Option("--budget-per-station", help="At most this many new cameras per station.", min=0)
    ] = None,
    radius_m: Annotated[float, typer.Option("--radius-m", help="A new camera covers this far (m).", min=5)] = 50.0,
    spacing_m: Annotated[float, typer.Option("--spacing-m", help="Candidate spacing along streets (m).", min=5)] = 25.0,
    method: Annotated[str, typer.Option("--method", help="auto, exact, highs or greedy.")] = "auto",
    no_risk: NoRiskOpt = False,
    lang: LangOpt = "zh-CN",
) -> None:
    """Where K new cameras add the most risk-weighted coverage (existing cameras kept)."""
    from app.analysis_jobs import camera_siting_job
    from app.storage.workspace import Workspace

    language = _lang(lang)
    with planner_errors():
        plan, path = camera_siting_job(Workspace(workspace), out=out, add=add, target_share=target_share,
                                       budget_per_station=budget_per_station, radius_m=radius_m, spacing_m=spacing_m,
                                       method=method, lang=language, risk=not no_risk)
    _audit(workspace, "camera_site", out=path, sites=len(plan.sites))
    console.print(_t("cli.cameras.site", language, n=len(plan.sites), path=str(path)), highlight=False)
    typer.echo(json.dumps(plan.figures, ensure_ascii=False, indent=2, default=float))


def _pairs(values: list[str], option: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in values:
        src, sep, dst = item.partition("=")
        if not sep or not src.strip() or not dst.strip():
            fail(f"{option} {item!r}: write it as SOURCE=TARGET, e.g. {option} 发案时间=occurred_at")
        out[src.strip()] = dst.strip()
    return out


def _mapping_file(path: Path) -> list[str]:
    if not path.exists():
        fail(f"--mapping-file '{path}' does not exist")
    lines = []
    for number, line in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if "=" not in line and "," in line:
            line = line.replace(",", "=", 1)
        if "=" not in line:
            fail(f"--mapping-file '{path}', line {number}: write SOURCE=TARGET (got {line!r})")
        lines.append(line)
    return lines


@cli.command("import")
def import_(
    workspace: WorkspaceArg,
    layer: Annotated[str, typer.Argument(help="incidents, cameras, stations, communities, neighborhoods or units.")],
    file: Annotated[Path, typer.Argument(help="CSV (UTF-8 or GBK), XLSX, GeoJSON, GeoPackage or Shapefile.")],
    map_: Annotated[
        list[str] | None, typer.Option("--map", help="Column mapping SOURCE=TARGET, e.g. 发案时间=occurred_at (repeatable).")
    ] = None,
    mapping_file: Annotated[
        Path | None, typer.Option("--mapping-file", help="File of SOURCE=TARGET lines (or two-column CSV).")
    ] = None,
    coords: Annotated[
        str, typer.Option("--coords", help="Coordinates of the file: wgs84, gcj02, bd09, cgcs2000 or EPSG:NNNN.")
    ] = "wgs84",
    timezone: Annotated[
        str | None, typer.Option("--timezone", help="Time zone of times given without one (default: the workspace's).")
    ] = None,
    category: Annotated[
        list[str] | None, typer.Option("--category", help="Category mapping SOURCE=code, e.g. 拎包=other_theft (repeatable).")
    ] = None,
    strict: Annotated[bool, typer.Option("--strict", help="Refuse the whole file if any row is bad.")] = False,
    replace: Annotated[bool, typer.Option("--replace", help="Replace the layer instead of appending.")] = False,
    tolerance_m: Annotated[
        float, typer.Option("--tolerance-m", help="How far outside the boundary a point may lie (metres).", min=0)
    ] = 200.0,
    encoding: Annotated[str | None, typer.Option("--encoding", help="Text encoding of a CSV (default: detect).")] = None,
    sheet: Annotated[str | None, typer.Option("--sheet", help="Worksheet of an XLSX file (default: the first).")] = None,
    keep_duplicates: Annotated[
        bool, typer.Option("--keep-duplicates", help="Keep rows identical to an earlier row (when the file has no ids).")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable summary.")] = False,
    lang: LangOpt = "zh-CN",
) -> None:
    """Import a table into a workspace layer, checking every row (report of rejected rows beside the file)."""
    from app.services.imports import import_table
    from geo.tables import IMPORTABLE_LAYERS
    from app.storage.workspace import Workspace

    language = _lang(lang)
    if layer not in IMPORTABLE_LAYERS:
        fail(f"LAYER {layer!r} cannot be imported; choose one of {', '.join(IMPORTABLE_LAYERS)}")
    pairs = (_mapping_file(mapping_file) if mapping_file else []) + list(map_ or [])
    column_map = _pairs(pairs, "--map")
    category_map = _pairs(list(category or []), "--category")
    with planner_errors():
        ws = Workspace(workspace)
        from app.jobs import _backup

        _backup(ws.path, f"before-import-{layer}")
        with progress_bar() as report:
            new_ws, result, report_path = import_table(
                ws, layer, file, column_map=column_map, coords=coords, timezone=timezone, strict=strict,
                replace=replace, tolerance_m=tolerance_m, category_map=category_map, encoding=encoding,
                sheet=sheet, keep_duplicates=keep_duplicates, progress=report,
            )
    _audit(new_ws.path, "import", layer=layer, file=file, accepted=len(result.accepted),
           rejected=result.rejected_rows)
    summary = result.summary() | {"report": str(report_path) if report_path else None,
                                  "layer_features": new_ws.count(layer)}
    if as_json:
        typer.echo(json.dumps(summary, ensure_ascii=False, indent=2))
        return
    console.print(_t("cli.import.done", language, accepted=len(result.accepted), rows=result.rows_read,
                     layer=layer, total=summary["layer_features"]), highlight=False)
    if report_path:
        console.print(_t("cli.import.rejected", language, rejected=result.rejected_rows, path=str(report_path)),
                      highlight=False)
        top = (result.rejected["reason"].str.split(";").str[0]
               .str.replace(r"\d[\d,.]*", "N", regex=True).value_counts().head(5))
        for reason, n in top.items():
            console.print(f"  {n:>6,}  {reason}", highlight=False)


def _serve(path: Path, *, host: str, port: int, lang: str, mbtiles: Path | None, https: bool = False,
           proxy: str | None = None) -> None:
    import uvicorn

    from app.assets import check_assets
    from app.web import create_app

    from app.storage.users import UserStore

    check_assets()
    if not UserStore(path).has_users():
        fail(f"workspace '{path}' has no users, so nobody could sign in; add an administrator first: "
             f"patrolnet users add {path} NAME --role admin")
    # jobs in worker processes: a planning run does not hold the interpreter lock of the requests
    from app.web.config import Settings

    application = create_app(settings=Settings(workspace_path=Path(path), mbtiles=mbtiles, default_lang=lang,
                                               job_processes=True, https=https))
    _warm(application, lang)
    console.print(_t("cli.serve.url", lang, url=f"http://{host}:{port}/"), highlight=False)
    # behind a reverse proxy, only that proxy's X-Forwarded-For names the client (never any sender's)
    uvicorn.run(application, host=host, port=port, log_level="warning", proxy_headers=proxy is not None,
                forwarded_allow_ips=proxy or "")


def _warm(application: Any, lang: str) -> None:
    """Build the dashboard of every scope in the background so that the first visitors do not wait
    for it (about 2 s of a core each on the demo)."""
    import threading

    from app.web.auth import ScopedState
    from app.web.pages import overview_html
    from app.storage.access import Principal

    state = application.state.patrolnet
    # one view per scope that has users: the district (commanders, admins), analysts, each station
    scopes = {"district": Principal("warm-up", "commander")}
    for user in state.users.list():
        if user.active and user.role in ("analyst", "station"):
            p = Principal("warm-up", user.role, user.station_id)
            scopes.setdefault(p.scope_key, p)

    def build() -> None:
        for principal in scopes.values():
            try:
                overview_html(ScopedState(state, principal), lang)
            except Exception:  # noqa: BLE001 - the request path reports errors properly; warming is best effort
                pass

    threading.Thread(target=build, name="warm-overview", daemon=True).start()


def _print_demo_users(path: Path, lang: str) -> None:
    from app.storage.users import DEMO_PASSWORD, UserStore

    demo = [u for u in UserStore(path).list() if u.demo and u.active]
    if not demo:
        return
    console.print(f"[bold yellow]{_t('cli.users.demo_title', lang, password=DEMO_PASSWORD)}[/]", highlight=False)
    table = Table()
    table.add_column(_t("cli.users.name", lang))
    table.add_column(_t("cli.users.role", lang))
    table.add_column(_t("cli.users.station", lang))
    for u in demo:
        table.add_row(u.username, _t(f"role.{u.role}", lang), u.display_name if u.station_id else "-")
    console.print(table)


# -- users ------------------------------------------------------------------------------------------------
users_cli = typer.Typer(help="Users (用户) and their roles: admin, commander, station, analyst.", no_args_is_help=True)
cli.add_typer(users_cli, name="users")
RoleOpt = Annotated[str, typer.Option("--role", help="admin, commander, station (one jurisdiction) or analyst.")]
StationOpt = Annotated[str | None, typer.Option("--station", help="A station user's station id, e.g. S01.")]


def _read_password(stdin: bool, lang: str) -> str:
    if stdin:
        text = sys.stdin.readline().rstrip("\r\n")
        if not text:
            fail("--password-stdin: no password on standard input (one line)")
        return text
    return typer.prompt(_t("cli.users.password", lang), hide_input=True, confirmation_prompt=True)


def _station_ids(workspace: Path) -> set[str] | None:
    from app.storage.workspace import Workspace

    ws = Workspace(workspace)
    if not ws.has("stations"):
        return None
    return set(ws.read("stations", columns=["station_id"])["station_id"].astype(str))


@users_cli.command("add")
def users_add(
    workspace: WorkspaceArg,
    username: Annotated[str, typer.Argument(help="Sign-in name: lowercase letters, digits, . _ -")],
    role: RoleOpt,
    station: StationOpt = None,
    name: Annotated[str, typer.Option("--name", help="Display name, e.g. 北湖路派出所 张三.")] = "",
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from stdin.")] = False,
    lang: LangOpt = "zh-CN",
) -> None:
    """Add a user (asks for the password twice; there is no default password)."""
    from app.storage.users import UserStore

    language = _lang(lang)
    with planner_errors():
        stations = _station_ids(workspace)
        password = _read_password(password_stdin, language)
        user = UserStore(workspace).add(username, password, role, station_id=station, display_name=name,
                                        stations=stations)
        _audit(workspace, "user_add", user=user.username, role=user.role, station_id=user.station_id)
    console.print(_t("cli.users.added", language, name=user.username, role=user.role), highlight=False)


@users_cli.command("list")
def users_list(
    workspace: WorkspaceArg,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable JSON output.")] = False,
    lang: LangOpt = "zh-CN",
) -> None:
    """List the users (never their passwords)."""
    from app.storage.users import UserStore
    from app.storage.workspace import Workspace

    language = _lang(lang)
    with planner_errors():
        Workspace(workspace)
        users = UserStore(workspace).list()
    if as_json:
        typer.echo(json.dumps([u.as_dict() for u in users], ensure_ascii=False, indent=2))
        return
    table = Table(title=_t("cli.users.title", language, path=str(workspace)), title_justify="left")
    for key in ("name", "role", "station", "display", "active", "created"):
        table.add_column(_t(f"cli.users.{key}", language))
    for u in users:
        table.add_row(u.username, u.role + (" (demo)" if u.demo else ""), u.station_id or "-", u.display_name,
                      "✓" if u.active else "✗", u.created_at)
    console.print(table)


@users_cli.command("set")
def users_set(
    workspace: WorkspaceArg,
    username: Annotated[str, typer.Argument(help="The user to change.")],
    role: Annotated[str | None, typer.Option("--role", help="New role.")] = None,
    station: StationOpt = None,
    name: Annotated[str | None, typer.Option("--name", help="New display name.")] = None,
    active: Annotated[bool | None, typer.Option("--active/--disabled", help="Enable or disable the user.")] = None,
    lang: LangOpt = "zh-CN",
) -> None:
    """Change a user's role, station, display name, or disable them (ends their sessions)."""
    from app.storage.users import UserStore

    language = _lang(lang)
    with planner_errors():
        user = UserStore(workspace).update(username, role=role, station_id=station, display_name=name, active=active,
                                           stations=_station_ids(workspace))
        _audit(workspace, "user_change", user=username, role=role, station_id=station, active=active)
    console.print(_t("cli.users.changed", language, name=user.username, role=user.role), highlight=False)


@users_cli.command("passwd")
def users_passwd(
    workspace: WorkspaceArg,
    username: Annotated[str, typer.Argument(help="The user.")],
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from stdin.")] = False,
    lang: LangOpt = "zh-CN",
) -> None:
    """Set a user's password (ends their sessions; a demo user stops being a demo user)."""
    from app.storage.users import UserStore

    language = _lang(lang)
    with planner_errors():
        store = UserStore(workspace)
        if store.get(username) is None:
            fail(f"no user {username!r}; list them with 'patrolnet users list {workspace}'")
        store.set_password(username, _read_password(password_stdin, language))
        _audit(workspace, "password", user=username)
    console.print(_t("cli.users.password_set", language, name=username), highlight=False)


@users_cli.command("remove")
def users_remove(
    workspace: WorkspaceArg,
    username: Annotated[str, typer.Argument(help="The user.")],
    lang: LangOpt = "zh-CN",
) -> None:
    """Remove a user and end their sessions (the audit log keeps their name)."""
    from app.storage.users import UserStore

    language = _lang(lang)
    with planner_errors():
        UserStore(workspace).remove(username)
        _audit(workspace, "user_remove", user=username)
    console.print(_t("cli.users.removed", language, name=username), highlight=False)


def _print_info(summary: Any, lang: str) -> None:
    table = Table(title=_t("cli.info.title", lang, path=str(summary.path)), title_justify="left")
    table.add_column(_t("cli.info.layer", lang))
    table.add_column(_t("cli.info.geometry", lang))
    table.add_column(_t("cli.info.features", lang), justify="right")
    for layer in summary.layers:
        table.add_row(layer.name, layer.geometry_type or "-", f"{layer.features:,}")
    console.print(table)
    console.print(f"{_t('cli.info.crs', lang)}: {summary.crs}", highlight=False)
    if summary.extent_wgs84:
        w, s, e, n = summary.extent_wgs84
        console.print(
            f"{_t('cli.info.extent', lang)}: {w:.5f}, {s:.5f}, {e:.5f}, {n:.5f}", highlight=False
        )


def main() -> None:
    """Console-script entry point."""
    cli()


if __name__ == "__main__":
    main()
