"""``/api/v1/jobs``: submit long work to the background pool, poll it, download its files.

No ``from __future__ import annotations`` here: the submit routes are made per job kind and
FastAPI needs their parameter model as a real object.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Response
from fastapi.responses import FileResponse

from app.web.deps import JobsDep, LangDep
from app.web.job_kinds import PARAMS, submit_job
from app.web.tasks import media_type

router = APIRouter(prefix="/api/v1/jobs", tags=["jobs"])

_DOWNLOAD = {
    200: {"description": "The file", "content": {t: {} for t in sorted({
        "application/gpx+xml", "application/vnd.google-earth.kml+xml", "application/geo+json",
        "text/csv; charset=utf-8", "text/html; charset=utf-8"})}},
    404: {"description": "No such job or file"},
}


@router.get("", summary="Jobs of this server, newest first (paginated)")
def list_jobs(
    jobs: JobsDep,
    kind: Annotated[str | None, Query(description="Only this kind")] = None,
    status: Annotated[str | None, Query(pattern="^(queued|running|done|failed)$")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    found = jobs.list(kind=kind, status=status)
    return {"total": len(found), "limit": limit, "offset": offset,
            "jobs": [j.as_dict() for j in found[offset: offset + limit]]}


def _submit_route(kind: str, model: type) -> None:
    def submit(
        jobs: JobsDep, lang: LangDep, response: Response,
        params: Annotated[model | None, Body(description=model.__doc__)] = None,  # type: ignore[valid-type]
    ) -> dict[str, Any]:
        job = submit_job(jobs, kind, params, lang=lang)
        response.headers["Location"] = job["href"]
        return job

    router.add_api_route(
        f"/{kind}", submit, methods=["POST"], status_code=202, name=f"submit_{kind}",
        summary=f"Start a {kind} job (returns at once; poll the job)",
        description=(model.__doc__ or "") + "\n\nAnswers 202 with the job; `Location` is its URL.",
    )


for _kind, _model in PARAMS.items():
    _submit_route(_kind, _model)


@router.get("/{job_id}", summary="A job: status, stage, progress (0..1), result and file links")
def get_job(job_id: str, jobs: JobsDep) -> dict[str, Any]:
    return jobs.get(job_id).as_dict()


@router.get("/{job_id}/files/{name}", summary="Download one output file of a job",
            response_class=FileResponse, responses=_DOWNLOAD)
def get_job_file(job_id: str, name: str, jobs: JobsDep) -> FileResponse:
    path = jobs.file(job_id, name)
    inline = path.suffix.lower() in (".html", ".json")
    return FileResponse(path, media_type=media_type(path.name), filename=path.name,
                        content_disposition_type="inline" if inline else "attachment")
