from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from app.services.categories import category_rows
from app.web.deps import LangDep, StateDep, WorkspaceDep
from app.web.figures import workspace_summary

router = APIRouter(prefix="/api/v1/workspace", tags=["workspace"])


@router.get("", summary="Workspace info: CRS, time zone, layers with counts, WGS84 extent")
def workspace_info(state: StateDep) -> dict[str, Any]:
    return workspace_summary(state)


@router.get("/categories", summary="Incident categories: the built-in ones and the workspace's own, with their group "
            "and how many incidents have each")
def list_categories(ws: WorkspaceDep, lang: LangDep) -> dict[str, Any]:
    return {"categories": category_rows(ws, lang)}
