"""Dependencies shared by the routes, as ``Annotated`` aliases. They run on the event loop (``async``):
each is a few attribute reads (or a stat of the workspace file), cheaper than a thread of its own per
request, which a sync dependency would take."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request

from app.i18n import normalize_lang
from app.web.auth import ScopedState, authenticate
from app.storage.access import Principal
from app.web.config import Settings
from app.web.state import AppState
from app.web.tasks import JobManager
from app.web.uploads import Upload, read_upload
from app.web.tiles import MBTiles
from app.storage.workspace import Workspace

__all__ = ["BaseStateDep", "FormatQuery", "JobsDep", "LangDep", "PrincipalDep", "SettingsDep", "StateDep",
           "TilesDep", "UnitQuery", "UploadDep", "UserDep", "WorkspaceDep"]


async def get_base_state(request: Request) -> AppState:
    """The whole app state (for the sign-in routes; everything else gets :data:`StateDep`)."""
    state = request.app.state.patrolnet
    assert isinstance(state, AppState)
    return state


BaseStateDep = Annotated[AppState, Depends(get_base_state)]
#: The signed-in user (``None`` on public routes); the route's access rule is already applied.
PrincipalDep = Annotated[Principal | None, Depends(authenticate)]


async def get_user(principal: PrincipalDep) -> Principal:
    assert principal is not None, "a signed-in route"
    return principal


#: The signed-in user on a route that needs one.
UserDep = Annotated[Principal, Depends(get_user)]


async def get_state(request: Request, principal: PrincipalDep) -> AppState:
    """The app state as the signed-in user may see it (:class:`app.web.auth.ScopedState`)."""
    base = request.app.state.patrolnet
    if principal is None:
        return base
    return ScopedState(base, principal)  # type: ignore[return-value]


StateDep = Annotated[AppState, Depends(get_state)]


async def get_app_settings(state: StateDep) -> Settings:
    return state.settings


SettingsDep = Annotated[Settings, Depends(get_app_settings)]


async def get_workspace(state: StateDep) -> Workspace:
    return state.workspace()


WorkspaceDep = Annotated[Workspace, Depends(get_workspace)]


async def get_lang(
    settings: SettingsDep,
    lang: Annotated[
        str | None,
        Query(description="Language: zh-CN (default) or en", examples=["zh-CN", "en"]),
    ] = None,
) -> str:
    return normalize_lang(lang, settings.default_lang)


LangDep = Annotated[str, Depends(get_lang)]


async def get_tiles(state: StateDep) -> MBTiles | None:
    return state.tiles


TilesDep = Annotated[MBTiles | None, Depends(get_tiles)]


async def get_jobs(state: StateDep) -> JobManager:
    assert state.jobs is not None
    return state.jobs


JobsDep = Annotated[JobManager, Depends(get_jobs)]

#: A plan's file downloads: ``?unit=U0003&format=gpx`` on its ``.zip`` gives that unit's own file.
UnitQuery = Annotated[str | None, Query(pattern=r"^[A-Za-z0-9_.:-]{1,64}$",
                                        description="One unit's own file out of a plan's .zip (its unit id)")]
FormatQuery = Annotated[str, Query(pattern="^(gpx|kml|html)$", description="With unit: gpx, kml or html (its sheet)")]


async def get_upload(request: Request, settings: SettingsDep, lang: LangDep) -> Upload:
    return await read_upload(request, max_bytes=settings.max_upload_bytes, lang=lang)


UploadDep = Annotated[Upload, Depends(get_upload)]
