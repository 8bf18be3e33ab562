"""``patrolnet demo``, ``info``, ``serve``, ``worker`` and ``init``: make a workspace, show it, serve it, run its
jobs."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from app.cli.options import (
    DaskOpt,
    HostOpt,
    JsonOpt,
    LangOpt,
    OutputsOpt,
    PortOpt,
    WorkspaceArg,
    console,
    fail,
    file_made,
    language,
    parse_day,
    planner_errors,
    progress_bar,
    record_audit,
    say,
    workspace_location,
)
from geo.schema import DEFAULT_TIMEZONE

__all__ = ["DEFAULT_DEMO_WORKSPACE", "demo", "info", "init", "serve", "worker"]

DEFAULT_DEMO_WORKSPACE = Path("data/demo/yushui.gpkg")


def demo(
    workspace: Annotated[
        Path, typer.Option("--workspace", help="Where the demo workspace lives.", parser=workspace_location)
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
    field_week: Annotated[bool, typer.Option(
        "--field-week", help="With the build: a week of evening shifts planned and recorded, and GPS tracks "
                             "simulated from them (most units follow the plan, some cut corners, one car stays "
                             "at its base), for the phone page, the dosage table and the patrol map.")] = False,
    lived_in: Annotated[bool, typer.Option(
        "--lived-in", help="With the build: the coverage split, the camera gap list, last month's report and "
                           "tonight's plan, each run once and recorded, so that every page shows content at "
                           "first sight.")] = False,
    host: HostOpt = "127.0.0.1",
    port: PortOpt = 8000,
    lang: LangOpt = "zh-CN",
) -> None:
    """Build the demo district (first run only) and serve it on 127.0.0.1:8000."""
    from app.services.demo_day import live_in
    from app.services.field_demo import simulate_field_week
    from app.services.workspace import build_demo_workspace, open_demo_workspace

    lang = language(lang)
    as_of_date = parse_day(as_of, "--as-of", lang)
    with planner_errors(lang):
        file_made(str(workspace), "demo")
        if workspace.exists() and not rebuild:
            ws = open_demo_workspace(workspace)
            console.print(say("cli.demo.reuse", lang, path=str(workspace)))
        else:
            console.print(say("cli.demo.build", lang, path=str(workspace), seed=seed))
            with progress_bar(lang=lang) as report:
                ws = build_demo_workspace(
                    workspace, seed=seed, as_of=as_of_date, scale=scale, overwrite=rebuild, progress=report
                )
                if lived_in:  # the split first: the field week's plans then use its beats, as tonight's do
                    ws = live_in(ws, lang=lang, progress=report, split_only=True)[0]
                if field_week:
                    ws = simulate_field_week(ws, last_day=dt.date.fromisoformat(ws.meta["demo_as_of"]), seed=seed,
                                             progress=report)
                if lived_in:
                    ws = live_in(ws, lang=lang, progress=report)[0]
        print_info(ws.info(), lang)
        _print_demo_users(ws.path, lang)
        if not no_serve:
            _serve(ws.path, host=host, port=port, lang=lang, mbtiles=None)


def info(
    workspace: WorkspaceArg,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable JSON output.")] = False,
    lang: LangOpt = "zh-CN",
) -> None:
    """Show a workspace's layers, feature counts, CRS and extent."""
    from app.services.workspace import open_workspace

    with planner_errors(lang):
        summary = open_workspace(workspace).info()
    if as_json:
        typer.echo(json.dumps(summary.as_dict(), ensure_ascii=False, indent=2))
    else:
        print_info(summary, language(lang))


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
    workers: Annotated[
        int, typer.Option("--workers", min=1, max=64,
                          help="Web worker processes; they share sessions, sign-in limits and jobs through "
                               "the workspace's stores.")
    ] = 1,
    outputs: OutputsOpt = None,
    dask: DaskOpt = None,
) -> None:
    """Serve the web app for a workspace: a .gpkg file or a postgresql:// URL (offline; all map assets
    are local)."""
    from app.services.workspace import open_workspace

    with planner_errors(lang):
        open_workspace(workspace)
        if mbtiles is not None and not mbtiles.exists():
            fail(f"--mbtiles '{mbtiles}' does not exist; pass an existing .mbtiles file or leave it out")
        _serve(workspace, host=host, port=port, lang=language(lang), mbtiles=mbtiles, https=https, proxy=proxy,
               workers=workers, outputs=outputs, dask=dask)


def worker(
    workspace: WorkspaceArg,
    jobs: Annotated[int, typer.Option("--jobs", min=1, max=64, help="Jobs run at once by this worker.")] = 2,
    lease: Annotated[
        float, typer.Option("--lease", min=1.0, max=3600.0,
                            help="Seconds after which a job of a worker that stopped renewing it (it died) is "
                                 "queued again.")
    ] = 30.0,
    outputs: OutputsOpt = None,
    lang: LangOpt = "zh-CN",
    dask: DaskOpt = None,
) -> None:
    """Take jobs from the workspace's job queue and run them, until stopped (Ctrl+C or SIGTERM).

    Any number of workers, on any machine that sees the workspace and its output folder, share the
    queue with the web workers; a job whose worker dies is queued again once, then failed.
    """
    import signal
    import threading

    from app.services.workspace import open_workspace
    from app.web.config import Settings
    from app.web.main import job_manager
    from app.web.state import AppState

    lang = language(lang)
    with planner_errors(lang):
        open_workspace(workspace)
        settings = Settings(workspace_path=workspace, job_workers=jobs, job_processes=True, job_poll_s=1.0,
                            job_lease_s=lease, default_lang=lang, require_assets=False, outputs_dir=outputs,
                            dask=dask)
        state = AppState(settings=settings)
        manager = job_manager(settings, state.workspace)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    manager.start()
    console.print(say("cli.worker.ready", lang, path=str(workspace), jobs=jobs, worker=manager.worker_id),
                  highlight=False)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        manager.shutdown(wait=False)  # jobs still running go back to the queue
        console.print(say("cli.worker.stopped", lang), highlight=False)


def init(
    workspace: Annotated[Path, typer.Argument(
        help="Workspace file (.gpkg) to create, or postgresql://USER@HOST[:PORT]/DB?schema=NAME (a new schema).",
        show_default=False, parser=workspace_location, metavar="WORKSPACE")],
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
    ] = DEFAULT_TIMEZONE,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace an existing workspace file (never a schema in PostgreSQL).")
    ] = False,
    as_json: JsonOpt = False,
    lang: LangOpt = "zh-CN",
) -> None:
    """Create a workspace from an OSM extract and/or a boundary, offline (a .gpkg file, or a new schema)."""
    from app.services.workspace import init_workspace

    lang = language(lang)
    with planner_errors(lang), progress_bar(lang=lang) as report:
        ws, summary = init_workspace(workspace, osm=osm, place=place, boundary=boundary,
                                     boundary_coords=boundary_coords, crs=crs, timezone=timezone,
                                     overwrite=overwrite,
                                     progress=report)
    record_audit(workspace, "init", osm=osm, boundary=boundary, crs=ws.crs.to_string())
    if as_json:
        typer.echo(json.dumps({"workspace": ws.info().as_dict(), **summary}, ensure_ascii=False, indent=2, default=str))
        return
    console.print(say("cli.init.done", lang, path=str(getattr(ws, "location", ws.path)), crs=ws.crs.to_string()),
                  highlight=False)
    print_info(ws.info(), lang)


# -- presenting -------------------------------------------------------------------------------------------
def print_info(summary: Any, lang: str) -> None:
    """A workspace's layers, CRS and extent as a table."""
    table = Table(title=say("cli.info.title", lang, path=str(summary.path)), title_justify="left")
    table.add_column(say("cli.info.layer", lang))
    table.add_column(say("cli.info.geometry", lang))
    table.add_column(say("cli.info.features", lang), justify="right")
    for layer in summary.layers:
        table.add_row(layer.name, layer.geometry_type or "-", f"{layer.features:,}")
    console.print(table)
    console.print(f"{say('cli.info.crs', lang)}: {summary.crs}", highlight=False)
    if summary.extent_wgs84:
        w, s, e, n = summary.extent_wgs84
        console.print(
            f"{say('cli.info.extent', lang)}: {w:.5f}, {s:.5f}, {e:.5f}, {n:.5f}", highlight=False
        )


def _print_demo_users(path: Path, lang: str) -> None:
    from app.storage.users import DEMO_PASSWORD, UserStore

    demo_users = [u for u in UserStore(path).list() if u.demo and u.active]
    if not demo_users:
        return
    console.print(f"[bold yellow]{say('cli.users.demo_title', lang, password=DEMO_PASSWORD)}[/]", highlight=False)
    table = Table()
    table.add_column(say("cli.users.name", lang))
    table.add_column(say("cli.users.role", lang))
    table.add_column(say("cli.users.station", lang))
    for u in demo_users:
        table.add_row(u.username, say(f"role.{u.role}", lang), u.display_name if u.station_id else "-")
    console.print(table)


# -- serving ----------------------------------------------------------------------------------------------
def _serve(path: Path | str, *, host: str, port: int, lang: str, mbtiles: Path | None, https: bool = False,
           proxy: str | None = None, workers: int = 1, outputs: Path | None = None, dask: str | None = None) -> None:
    import uvicorn

    from app.assets import check_assets
    from app.services.fanout import parse_fanout
    from app.storage import is_url, open_store
    from app.web import create_app
    from app.web.config import (
        ENV_DASK,
        ENV_HTTPS,
        ENV_JOB_POLL,
        ENV_JOB_PROCESSES,
        ENV_LANG,
        ENV_MBTILES,
        ENV_OUTPUTS,
        ENV_WORKSPACE,
        Settings,
    )
    from app.web.main import ENV_WARM

    check_assets()
    parse_fanout(dask)  # a bad --dask is refused before serving
    if not open_store(path).users().has_users():
        fail(f"workspace '{path}' has no users, so nobody could sign in; add an administrator first: "
             f"patrolnet users add {path} NAME --role admin")
    # behind a reverse proxy, only that proxy's X-Forwarded-For names the client (never any sender's)
    run = {"host": host, "port": port, "log_level": "warning", "proxy_headers": proxy is not None,
           "forwarded_allow_ips": proxy or ""}
    url = say("cli.serve.url", lang, url=f"http://{host}:{port}/")
    if workers > 1:
        # each worker process makes its app from the environment (uvicorn starts them and restarts
        # one that dies); they share sessions, sign-in limits and the job queue through the stores
        os.environ.update({ENV_WORKSPACE: str(path) if is_url(path) else str(Path(path).resolve()), ENV_LANG: lang, ENV_HTTPS: "1" if https else "",
                           ENV_JOB_PROCESSES: "1", ENV_JOB_POLL: "1", ENV_WARM: lang})
        if mbtiles is not None:
            os.environ[ENV_MBTILES] = str(Path(mbtiles).resolve())
        if outputs is not None:
            os.environ[ENV_OUTPUTS] = str(Path(outputs).resolve())
        if dask:
            os.environ[ENV_DASK] = dask
        console.print(say("cli.serve.warming", lang), highlight=False)
        console.print(url, highlight=False)
        # a worker busy with a district's first dashboard for a few seconds on a saturated machine is
        # not hung: uvicorn's default (5 s without an answer to its ping) would kill it mid-request
        uvicorn.run("app.web.main:create_app_from_env", factory=True, workers=workers,
                    timeout_worker_healthcheck=60, **run)
        return
    # jobs in worker processes: a planning run does not hold the interpreter lock of the requests
    application = create_app(settings=Settings(workspace_path=path, mbtiles=mbtiles, default_lang=lang,
                                               job_processes=True, job_poll_s=1.0, https=https,
                                               outputs_dir=outputs, dask=dask), warm_lang=lang)
    console.print(say("cli.serve.warming", lang), highlight=False)
    console.print(url, highlight=False)
    uvicorn.run(application, **run)
