from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from app.services.params import parse_day
from app.services.watch import TOP, watch_list_job, write_watch_list
from app.web.auth import audit
from app.web.deps import LangDep, WorkspaceDep
from app.web.pool import run_cpu

router = APIRouter(prefix="/api/v1/forecast", tags=["forecast"])
_DAY = r"^\d{4}-\d{2}-\d{2}$"
_TYPES = {"csv": "text/csv; charset=utf-8",
          "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def _file(result: dict[str, Any], fmt: str) -> bytes:
    with tempfile.TemporaryDirectory(prefix="pn-watch-") as tmp:
        return write_watch_list(result, Path(tmp) / f"list.{fmt}").read_bytes()


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
    body = await run_cpu(_file, result, format)
    audit(request, "watchlist", f"forecast_{cells}", shift=result["shift"], day=result["day"], via="api")
    name = f"watchlist-{result['day']}-{result['shift'].replace(':', '').replace('-', '_')}.{format}"
    return Response(body, media_type=_TYPES[format], headers={"Content-Disposition": f'attachment; filename="{name}"'})
