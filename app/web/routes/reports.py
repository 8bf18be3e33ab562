from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from app.services.reports import make_station_report
from app.storage.access import ForbiddenError
from app.web.auth import audit
from app.web.deps import JobsDep, LangDep, UserDep, WorkspaceDep
from app.web.downloads import attachment
from app.web.job_kinds import report_list
from geo.errors import InputError

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])


@router.get("", summary="Monthly reports made by this server, newest first (make one: POST /api/v1/jobs/report)",
            responses={501: {"description": "The report modules are not installed"}})
def list_reports(
    jobs: JobsDep, lang: LangDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    return report_list(jobs, lang=lang, limit=limit, offset=offset)


@router.get("/station", summary="A station's own monthly report (a station user: its own station's), as HTML or XLSX",
            response_class=Response)
def station_report(
    ws: WorkspaceDep, user: UserDep, lang: LangDep, request: Request,
    month: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$", description="YYYY-MM (default: the last full month)")] = None,
    station_id: Annotated[str | None, Query(max_length=64, description="The station (a station user: its own)")] = None,
    format: Annotated[str, Query(pattern="^(html|xlsx)$")] = "html",  # noqa: A002 - the query's name
) -> Response:
    """The monthly report of one station's jurisdiction alone, titled with its name: its figures
    against last year, its communities and neighborhoods ranked, its model neighborhoods."""
    if user.scoped:
        if station_id is not None and str(station_id) != str(user.station_id):
            raise ForbiddenError(f"a station user sees its own station's report only ({user.station_id})")
        station_id = user.station_id
    if not station_id:
        raise InputError("choose the station of the report: station_id=S01", code="report.station_required")
    with tempfile.TemporaryDirectory(prefix="pn-station-report-") as tmp:
        rep, files = make_station_report(ws, str(station_id), out=tmp, month=month, lang=lang, formats=(format,))
        path = Path(files[format])
        body, name = path.read_bytes(), path.name
    audit(request, "report", name, station_id=str(station_id), month=rep.month)
    return attachment(body, name, inline=format == "html")
