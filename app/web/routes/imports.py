from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from app.web.deps import JobsDep, LangDep, UploadDep, UserDep
from app.web.job_kinds import run_import_upload

router = APIRouter(prefix="/api/v1/imports", tags=["data"])


@router.post(
    "",
    summary="Import an uploaded table into a layer (multipart: file, layer, coords, mapping, ...)",
    responses={413: {"description": "The file is over the size limit"},
               422: {"description": "Nothing could be imported (the per-row report says why)"}},
)
def import_upload(upload: UploadDep, jobs: JobsDep, lang: LangDep, user: UserDep) -> JSONResponse:
    body, status = run_import_upload(jobs, upload, lang=lang, owner=user.username)
    return JSONResponse(body, status_code=status)
