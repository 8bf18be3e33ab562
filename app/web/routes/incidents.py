from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query

import app.web.figures as figures
from app.web.deps import StateDep
from geo.errors import InputError

router = APIRouter(prefix="/api/v1/incidents", tags=["incidents"])
_DAY = r"^\d{4}-\d{2}-\d{2}$"


@router.get("/points", summary="Incident points [lat, lon] (WGS84) for a heat layer")
def points(
    state: StateDep,
    start: Annotated[str | None, Query(description="First day, YYYY-MM-DD", pattern=_DAY, examples=["2026-08-01"])] = None,
    end: Annotated[str | None, Query(description="Last day (inclusive), YYYY-MM-DD", pattern=_DAY,
                                     examples=["2026-10-31"])] = None,
    category: Annotated[list[str] | None, Query(description="Category code or group (repeatable)")] = None,
) -> dict[str, Any]:
    return figures.incident_points(state, start=_day(start, "start"), end=_day(end, "end"), categories=category)


def _day(value: str | None, name: str) -> dt.date | None:
    """A calendar day written as YYYY-MM-DD (not a number of seconds, which pydantic would take)."""
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InputError(f"{name} {value!r} is not a calendar day; write YYYY-MM-DD, e.g. 2026-10-31") from None
