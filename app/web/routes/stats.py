from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

import app.web.figures as figures
from app.web.deps import LangDep, StateDep

router = APIRouter(prefix="/api/v1/stats", tags=["stats"])

MonthQ = Annotated[
    str | None,
    Query(description="Report month YYYY-MM (default: the last full month of data)",
          examples=["2026-09"]),
]


@router.get("/headline", summary="The article's three year-over-year figures: month and Jan..month")
def headline(state: StateDep, lang: LangDep, month: MonthQ = None) -> dict[str, Any]:
    return figures.headline(state, month, lang)


@router.get("/ranking", summary="Monthly ranking of the police stations (fewest cases first)")
def ranking(
    state: StateDep, lang: LangDep, month: MonthQ = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    return figures.ranking(state, month, lang, limit=limit, offset=offset)


@router.get("/models", summary="Model neighborhoods (示范小区): zero / controlled / not met")
def models(state: StateDep, month: MonthQ = None) -> dict[str, Any] | None:
    return figures.models(state, month)


@router.get("/monthly", summary="Monthly counts beside the same months a year before")
def monthly(
    state: StateDep, month: MonthQ = None,
    months: Annotated[int, Query(ge=1, le=60)] = 12,
    measure: Annotated[str, Query(description="criminal, two_robberies_one_theft, ...")] = "criminal",
) -> dict[str, Any]:
    return figures.monthly(state, month, months=months, measure=measure)
