"""``/api/v1/jobs``: submit long work to the background pool, poll it, download its files.

No ``from __future__ import annotations`` here: the submit routes are made per job kind and
FastAPI needs their parameter model as a real object.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request, Response
from fastapi.responses import FileResponse

from app.web.auth import EXPORT_JOB_KINDS, audit
from app.web.deps import FormatQuery, JobsDep, LangDep, UnitQuery, UserDep
from app.web.downloads import unit_download
from app.web.job_kinds import PARAMS, submit_job
from app.web.tasks import Job, JobManager, JobNotFoundError, media_type
from app.storage.access import ForbiddenError, Principal

router = APIRouter(prefix="/api/v1/jobs", tags=["jobs"])

_DOWNLOAD = {
    200: {"description": "The file", "content": {t: {} for t in sorted({
        "application/gpx+xml", "application/vnd.google-earth.kml+xml", "application/geo+json",
        "text/csv; charset=utf-8", "text/html; charset=utf-8", "application/zip"})}},
    404: {"description": "No such job or file"},
}


def _sees_all(user: Principal) -> bool:
    """Commanders and admins see every job; station users and analysts only their own."""
    return user.role in ("commander", "admin")


def _job_for(jobs: JobManager, job_id: str, user: Principal) -> Job:
    """The job, when ``user`` may see it (someone else's job is 'not found', not 'forbidden': its
    existence is not told)."""
    job = jobs.get(job_id)
    shared = job.kind == "report" and user.can("analyse")  # monthly reports are read by every analyst
    if not _sees_all(user) and job.owner != user.username and not shared:
        raise JobNotFoundError(f"no job {job_id!r} of yours")
    return job


@router.get("", summary="Jobs of this workspace, newest first (paginated); station users and analysts see their own")
def list_jobs(
    jobs: JobsDep, user: UserDep,
    kind: Annotated[str | None, Query(description="Only this kind")] = None,
    status: Annotated[str | None, Query(pattern="^(queued|running|done|failed)$")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    owner = None if _sees_all(user) else user.username
    found = jobs.list(kind=kind, status=status, owner=owner, limit=limit, offset=offset)
    return {"total": jobs.count(kind=kind, status=status, owner=owner), "limit": limit, "offset": offset,
            "jobs": [j.as_dict() for j in found]}


def _submit_route(kind: str, model: type) -> None:
    def submit(
        jobs: JobsDep, lang: LangDep, response: Response, user: UserDep,
        params: Annotated[model | None, Body(description=model.__doc__)] = None,  # type: ignore[valid-type]
    ) -> dict[str, Any]:
        job = submit_job(jobs, kind, params, lang=lang, owner=user.username,
                         station_id=user.station_id if user.scoped else None)
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
def get_job(job_id: str, jobs: JobsDep, user: UserDep) -> dict[str, Any]:
    return _job_for(jobs, job_id, user).as_dict()


@router.get("/{job_id}/files/{name}", summary="Download one output file of a job",
            response_class=FileResponse, responses=_DOWNLOAD)
def get_job_file(job_id: str, name: str, jobs: JobsDep, user: UserDep, request: Request,
                 unit: UnitQuery = None, format: FormatQuery = "gpx") -> Response:  # noqa: A002 - the query's name
    job = _job_for(jobs, job_id, user)
    if job.kind in EXPORT_JOB_KINDS and not user.can("export"):
        raise ForbiddenError(f"a {user.role} user may not export {job.kind} files (routes and camera gap lists)")
    path = jobs.file(job_id, name)
    if job.kind in EXPORT_JOB_KINDS:  # who took a route or gap list, and when
        audit(request, "export", name, job=job.id, kind=job.kind, station_id=job.station_id,
              **({"unit": unit, "format": format} if unit else {}))
    if unit:
        return unit_download(path, unit, format)
    inline = path.suffix.lower() in (".html", ".json")
    return FileResponse(path, media_type=media_type(path.name), filename=path.name,
                        content_disposition_type="inline" if inline else "attachment")
