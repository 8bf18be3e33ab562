from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from app.web.deps import StateDep
from app.web.figures import workspace_summary

router = APIRouter(prefix="/api/v1/workspace", tags=["workspace"])


@router.get("", summary="Workspace info: CRS, time zone, layers with counts, WGS84 extent")
def workspace_info(state: StateDep) -> dict[str, Any]:
    return workspace_summary(state)
