"""``/api/v1/audit``: the workspace's append-only log of imports, plans, exports and restores."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from app.web.deps import WorkspaceDep
from geo.audit import ACTIONS, read_log

router = APIRouter(prefix="/api/v1", tags=["audit"])


@router.get("/audit", summary="Who imported, planned, exported or restored what, and when (newest first)")
def audit_log(
    ws: WorkspaceDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=2**31)] = 0,
    action: Annotated[str | None, Query(description=f"One of: {', '.join(ACTIONS)}")] = None,
) -> dict[str, Any]:
    entries = read_log(ws.path, limit=limit, offset=offset, action=action)
    return {"entries": [e.as_dict() for e in entries], "numberReturned": len(entries), "offset": offset}
