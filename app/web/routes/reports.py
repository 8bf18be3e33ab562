from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from app.web.deps import JobsDep, LangDep
from app.web.job_kinds import report_list

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])


@router.get("", summary="Monthly reports made by this server, newest first (make one: POST /api/v1/jobs/report)",
            responses={501: {"description": "The report modules are not installed"}})
def list_reports(
    jobs: JobsDep, lang: LangDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    return report_list(jobs, lang=lang, limit=limit, offset=offset)
