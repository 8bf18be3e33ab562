"""Dependencies shared by the routes, as ``Annotated`` aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request

from app.i18n import normalize_lang
from app.web.config import Settings
from app.web.state import AppState
from app.web.tasks import JobManager
from app.web.uploads import Upload, read_upload
from app.web.tiles import MBTiles
from geo.workspace import Workspace

__all__ = ["JobsDep", "LangDep", "SettingsDep", "StateDep", "TilesDep", "UploadDep", "WorkspaceDep"]


def get_state(request: Request) -> AppState:
    state = request.app.state.patrolnet
    assert isinstance(state, AppState)
    return state


StateDep = Annotated[AppState, Depends(get_state)]


def get_app_settings(state: StateDep) -> Settings:
    return state.settings


SettingsDep = Annotated[Settings, Depends(get_app_settings)]


def get_workspace(state: StateDep) -> Workspace:
    return state.workspace()


WorkspaceDep = Annotated[Workspace, Depends(get_workspace)]


def get_lang(
    settings: SettingsDep,
    lang: Annotated[
        str | None,
        Query(description="Language: zh-CN (default) or en", examples=["zh-CN", "en"]),
    ] = None,
) -> str:
    return normalize_lang(lang, settings.default_lang)


LangDep = Annotated[str, Depends(get_lang)]


def get_tiles(state: StateDep) -> MBTiles | None:
    return state.tiles


TilesDep = Annotated[MBTiles | None, Depends(get_tiles)]


def get_jobs(state: StateDep) -> JobManager:
    assert state.jobs is not None
    return state.jobs


JobsDep = Annotated[JobManager, Depends(get_jobs)]


async def get_upload(request: Request, settings: SettingsDep, lang: LangDep) -> Upload:
    return await read_upload(request, max_bytes=settings.max_upload_bytes, lang=lang)


UploadDep = Annotated[Upload, Depends(get_upload)]
