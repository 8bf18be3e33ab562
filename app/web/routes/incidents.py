from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, Response

import app.web.figures as figures  # noqa: PLR0402 - `from app.web import` would import app.web's app: a cycle
from app.services.params import parse_day
from app.web.deps import StateDep

router = APIRouter(prefix="/api/v1/incidents", tags=["incidents"])
_DAY = r"^\d{4}-\d{2}-\d{2}$"


@router.get("/points", summary="Incident points [lat, lon] (WGS84) for a heat layer", response_class=JSONResponse,
            responses={200: {"content": {"application/json": {}}}})
def points(
    state: StateDep,
    start: Annotated[str | None, Query(description="First day, YYYY-MM-DD", pattern=_DAY, examples=["2026-08-01"])] = None,
    end: Annotated[str | None, Query(description="Last day (inclusive), YYYY-MM-DD", pattern=_DAY,
                                     examples=["2026-10-31"])] = None,
    category: Annotated[list[str] | None, Query(description="Category code or group (repeatable)")] = None,
) -> Response:
    # the same answer as figures.incident_points, kept as bytes per scope and query
    return Response(figures.incident_points_json(state, start=parse_day(start, "start"), end=parse_day(end, "end"),
                                                 categories=category), media_type="application/json")
