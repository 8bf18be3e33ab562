from __future__ import annotations

from fastapi import APIRouter

from app.web.deps import WorkspaceDep

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Liveness: the workspace opens")
def healthz(ws: WorkspaceDep) -> dict[str, str]:
    return {"status": "ok", "workspace": ws.name}
