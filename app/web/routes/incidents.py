from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query

from app.web import figures
from app.web.deps import StateDep

router = APIRouter(prefix="/api/v1/incidents", tags=["incidents"])


@router.get("/points", summary="Incident points [lat, lon] (WGS84) for a heat layer")
def points(
    state: StateDep,
    start: Annotated[dt.date | None, Query(description="First day")] = None,
    end: Annotated[dt.date | None, Query(description="Last day (inclusive)")] = None,
    category: Annotated[list[str] | None, Query(description="Category code or group (repeatable)")] = None,
) -> dict[str, Any]:
    return figures.incident_points(state, start=start, end=end, categories=category)
