"""``/api/v1/search``: a place by its name, for the search box of every map page."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from app.services.search import MAX_RESULTS, place_index, search_places
from app.web.deps import LangDep, StateDep, WorkspaceDep
from app.web.pool import run_cpu

router = APIRouter(prefix="/api/v1/search", tags=["search"])


@router.get("", summary="Places whose name holds the text: neighborhoods, roads, stations, communities "
                        "(WGS84 centre and bounds; a station user: its own area)")
async def search(
    state: StateDep, ws: WorkspaceDep, lang: LangDep,
    q: Annotated[str, Query(min_length=1, max_length=60, description="Part of a name, e.g. 龙凤花园 or 北湖路")],
    limit: Annotated[int, Query(ge=1, le=MAX_RESULTS)] = MAX_RESULTS,
) -> dict[str, Any]:
    # the names and bounds read once per workspace version and scope, then searched in memory
    index = await run_cpu(state.cached, "place-index", make=lambda: place_index(ws))
    return search_places(index, q, lang=lang, limit=limit)
