from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from app.web.deps import WorkspaceDep

router = APIRouter(prefix="/api/v1/workspace", tags=["workspace"])


@router.get("", summary="Workspace info: CRS, time zone, layers with counts, WGS84 extent")
def workspace_info(ws: WorkspaceDep) -> dict[str, Any]:
    return {"name": ws.name, **ws.info().as_dict()}
