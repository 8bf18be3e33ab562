from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request

from app.services.params import parse_day
from app.services.watch import TOP, watch_list_job, write_watch_list
from app.web.auth import audit
from app.web.deps import LangDep, WorkspaceDep
from app.web.downloads import attachment, written
from app.web.pool import run_cpu
from app.web.tasks import media_type

router = APIRouter(prefix="/api/v1/forecast", tags=["forecast"])
_DAY = r"^\d{4}-\d{2}-\d{2}$"
_TYPES = {"csv": media_type(".csv"), "xlsx": media_type(".xlsx")}


@router.get("/watchlist", summary="Where to watch in one shift: the stored forecast's places ranked for the shift's "
                                  "hours and weekday, named, with how the forecast did beside counting (JSON, CSV, XLSX)",
            responses={200: {"content": {"application/json": {}, _TYPES["csv"]: {}, _TYPES["xlsx"]: {}}}})
async def watchlist(
    ws: WorkspaceDep,
    lang: LangDep,
    request: Request,
    shift: Annotated[str, Query(description="Shift window HH:MM-HH:MM", examples=["20:00-24:00"])] = "20:00-24:00",
    date: Annotated[str | None, Query(description="Day of the shift, YYYY-MM-DD (default: today)", pattern=_DAY)] = None,
    cells: Annotated[Literal["subzones", "segments", "grid"], Query(description="The forecast to rank")] = "subzones",
    top: Annotated[int, Query(ge=1, le=500, description="Places to list")] = TOP,
    format: Annotated[Literal["json", "csv", "xlsx"], Query(description="json, or a file: csv or xlsx")] = "json",  # noqa: A002
) -> Any:
    result = await run_cpu(watch_list_job, ws, shift=shift, day=parse_day(date, "date"), cells=cells, top=top, lang=lang)
    if format == "json":
        return result
    body = await run_cpu(written, write_watch_list, result, format)
    audit(request, "watchlist", f"forecast_{cells}", shift=result["shift"], day=result["day"], via="api")
    name = f"watchlist-{result['day']}-{result['shift'].replace(':', '').replace('-', '_')}.{format}"
    return attachment(body, name)
