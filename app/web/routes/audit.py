"""``/api/v1/audit``: the workspace's append-only log of imports, plans, exports and restores."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from app.storage import location_of, open_store
from app.storage.audit import ACTIONS
from app.web.deps import WorkspaceDep

Action = Literal[ACTIONS]  # type: ignore[valid-type]

router = APIRouter(prefix="/api/v1", tags=["audit"])


@router.get("/audit", summary="Who imported, planned, exported or restored what, and when (newest first)")
def audit_log(
    ws: WorkspaceDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=2**31)] = 0,
    action: Annotated[Action | None, Query(description="Only this action")] = None,  # type: ignore[valid-type]
) -> dict[str, Any]:
    log = open_store(location_of(ws)).audit()
    entries = log.read(limit=limit, offset=offset, action=action)
    return {"entries": [e.as_dict() for e in entries], "numberReturned": len(entries),
            "numberMatched": log.count(action=action), "offset": offset, "limit": limit}
