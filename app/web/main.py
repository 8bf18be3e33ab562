"""The FastAPI application factory."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import Depends, FastAPI
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.staticfiles import StaticFiles

from app.assets import AssetsMissingError, check_assets
from app.i18n import DEFAULT_LANG, stage_label
from app.storage import LayerStore, is_url, open_store
from app.web.auth import LoginLimiter, authenticate
from app.web.config import Settings, get_settings
from app.web.errors import install_error_handlers
from app.web.job_kinds import JOB_KINDS
from app.web.messages import say_error
from app.web.openapi import document_error_responses
from app.web.pages import STATIC_PREFIX
from app.web.records import recorder
from app.web.routes import ALWAYS as ROUTERS
from app.web.routes import tiles as tile_routes
from app.web.security import SecureHeadersMiddleware
from app.web.state import AppState
from app.web.tasks import JobManager
from app.web.tiles import MBTiles
from app.web.warmup import warm

__all__ = ["ENV_WARM", "create_app", "create_app_from_env", "job_manager"]

#: Set (to a language) by ``patrolnet serve --workers N``: each worker builds the dashboards at start.
ENV_WARM = "PATROLNET_WARM"

STATIC_DIR = Path(__file__).resolve().parent / "static"

DESCRIPTION = """\
patrolnet: an offline-first patrol-network planner for police duty commanders (the "1234" method).

Every resource (Leaflet, Swagger UI) is served by this app from `/assets`; nothing is loaded from
the internet.

Sign in first. Browsers use `/login` (a session cookie; state-changing requests carry the
`X-CSRF-Token` header of `GET /api/v1/auth/me`). Scripts `POST /api/v1/auth/token` with a user name
and password and send `Authorization: Bearer TOKEN`. Roles: commander (whole district), station
(its own jurisdiction only), analyst (read-only; no route or gap-list exports), admin (users and
data). Spatial layers are stored in the workspace's projected working CRS and returned as
GeoJSON in WGS84.

Long work (route planning, hotspots, forecasts, backtests, the coverage split, sub-zones, camera
gaps) runs as a background job: `POST /api/v1/jobs/{kind}` answers 202 at once; poll
`GET /api/v1/jobs/{id}` for the status, stage and progress (0..1), then download the outputs from
`GET /api/v1/jobs/{id}/files/{name}`. Files are named workspace-date-content.
"""


def create_app(
    workspace_path: str | os.PathLike[str] | None = None,
    *,
    mbtiles: str | os.PathLike[str] | None = None,
    default_lang: str = DEFAULT_LANG,
    assets_dir: str | os.PathLike[str] | None = None,
    require_assets: bool = True,
    settings: Settings | None = None,
    max_upload_bytes: int | None = None,
    job_workers: int | None = None,
    outputs_dir: str | os.PathLike[str] | None = None,
    job_processes: bool | None = None,
    warm_lang: str | None = None,
) -> FastAPI:
    """Build the web app for one workspace.

    Parameters
    ----------
    workspace_path
        The workspace: a ``.gpkg`` file or a ``postgresql://USER@HOST/DB?schema=NAME`` location
        (ignored when ``settings`` is given).
    mbtiles
        Optional raster ``.mbtiles`` file served at ``/tiles/{z}/{x}/{y}.png`` as a base layer.
    default_lang
        ``zh-CN`` (default) or ``en``; ``?lang=`` overrides it per request.
    assets_dir
        The installed npm packages (default: ``PATROLNET_ASSETS_DIR`` or ``assets/node_modules``).
    require_assets
        Refuse to start without the assets (default). When false, the API works and the pages
        answer 503 with the fix.
    max_upload_bytes, job_workers, outputs_dir, job_processes
        Upload limit of the data page, background jobs at once, where jobs write (default
        ``<workspace dir>/<workspace stem>-outputs``; ``./<schema>-outputs`` for PostgreSQL), and whether jobs run in worker processes
        (``patrolnet serve``) rather than threads; see :class:`~app.web.config.Settings`.
    warm_lang
        Make every scope's first pages in this language at start-up, before taking requests
        (:func:`app.web.warmup.warm`; ``patrolnet serve`` does).

    Raises
    ------
    WorkspaceError
        When the workspace cannot be opened.
    AssetsMissingError
        When the assets are not installed (run ``make assets``) and ``require_assets``.
    InputError
        When ``mbtiles`` is not a raster MBTiles file.
    """
    if settings is None:
        if workspace_path is None:
            raise TypeError("create_app needs a workspace_path or settings")
        kwargs: dict[str, object] = {"assets_dir": Path(assets_dir)} if assets_dir is not None else {}
        if max_upload_bytes is not None:
            kwargs["max_upload_bytes"] = max_upload_bytes
        if job_workers is not None:
            kwargs["job_workers"] = job_workers
        if outputs_dir is not None:
            kwargs["outputs_dir"] = Path(outputs_dir)
        if job_processes is not None:
            kwargs["job_processes"] = job_processes
        settings = Settings(
            workspace_path=os.fspath(workspace_path) if is_url(workspace_path) else Path(workspace_path),
            mbtiles=Path(mbtiles) if mbtiles is not None else None,
            default_lang=default_lang,
            require_assets=require_assets,
            **kwargs,  # type: ignore[arg-type]
        )
    state = AppState(settings=settings,
                     tiles=MBTiles.open(settings.mbtiles) if settings.mbtiles else None)
    state.workspace()  # fail early on a bad workspace
    state.limiter = LoginLimiter(settings.login_limit_user, settings.login_limit_client,
                                 storage=state.store().limits())
    state.jobs = job_manager(settings, state.workspace)
    assets_ok = True
    try:
        check_assets(settings.assets_dir)
    except AssetsMissingError:
        if settings.require_assets:
            raise
        assets_ok = False

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if state.jobs is not None and settings.job_poll_s is not None:
            state.jobs.start()  # jobs queued while no process took them (or given back) run now
        if warm_lang:  # connections wait in the socket's queue (or go to a warm worker) meanwhile
            await asyncio.to_thread(warm, state, warm_lang)
        yield
        if state.jobs is not None:
            state.jobs.shutdown(wait=False)

    app = FastAPI(
        lifespan=lifespan,
        title="patrolnet",
        description=DESCRIPTION,
        version="0.1.0",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,  # served by routes.docs, behind sign-in like every other route
        # every route's access rule (app.web.auth.ROUTE_POLICY), applied before anything else runs
        dependencies=[Depends(authenticate)],
    )
    app.state.patrolnet = state
    # GeoJSON answers compress 5-10x; level 5 costs a third of level 9 for nearly the same size
    app.add_middleware(GZipMiddleware, minimum_size=1024, compresslevel=5)
    app.add_middleware(SecureHeadersMiddleware, https=settings.https)
    install_error_handlers(app)
    document_error_responses(app)
    for module in ROUTERS:
        app.include_router(module.router)
    if state.tiles is not None:
        app.include_router(tile_routes.router)
    if assets_ok:
        app.mount(settings.asset_url_prefix, StaticFiles(directory=settings.assets_dir),
                  name="assets")
    app.mount(STATIC_PREFIX, StaticFiles(directory=STATIC_DIR), name="static")
    return app


def job_manager(settings: Settings, open_workspace: Callable[[], LayerStore]) -> JobManager:
    """The jobs of a workspace as this app (or a ``patrolnet worker``) runs them: the app's kinds,
    their wording, their outputs recorded, the queue the workspace's store's."""
    return JobManager(open_workspace, settings.output_root, JOB_KINDS, workers=settings.job_workers,
                      processes=settings.job_processes, describe=say_error, label_stage=stage_label,
                      on_done=recorder(settings.location), poll_s=settings.job_poll_s,
                      lease_s=settings.job_lease_s, store=open_store(settings.location).jobs(), dask=settings.dask)


def create_app_from_env() -> FastAPI:
    """Factory for ``uvicorn --factory app.web.main:create_app_from_env`` (settings from env; each
    worker process of ``patrolnet serve --workers N`` makes its app so)."""
    return create_app(settings=get_settings(), warm_lang=os.environ.get(ENV_WARM, "").strip() or None)
