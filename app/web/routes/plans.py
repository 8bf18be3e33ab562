"""``/api/v1/plans`` and ``/api/v1/records``: shift plans and other outputs as durable records.

Every finished routes, report, gap-list, siting or forecast job is recorded (:mod:`app.web.records`);
the records live beside the workspace, so they survive a restart of the server. A plan is a draft
until its station submits it and a commander approves it (:mod:`app.services.plans`); a station
user sees only its own station's records.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, Response

from app.services import plans as service
from app.storage.access import Principal
from app.storage.records import PLAN_KIND, RECORD_KINDS, STATUSES, Record
from app.web.auth import audit
from app.web.deps import FormatQuery, SettingsDep, UnitQuery, UserDep
from app.web.downloads import unit_download
from app.web.tasks import media_type

router = APIRouter(prefix="/api/v1", tags=["plans"])

_PREFIX = "/api/v1/plans"
_DAY = r"^\d{4}-\d{2}-\d{2}$"
_STATUS = "^(" + "|".join(STATUSES) + ")$"
_KIND = "^(" + "|".join(RECORD_KINDS) + ")$"
_RECORD_ERRORS = {404: {"description": "No such record (or one of another station), or no such file"}}
_CHANGE_ERRORS = {**_RECORD_ERRORS, 409: {"description": "The plan's status does not allow it (e.g. already approved)"}}


def record_json(rec: Record, user: Principal) -> dict[str, Any]:
    """A record for a client: its fields, file links, and what ``user`` may do with it now."""
    out = rec.as_dict()
    href = f"{_PREFIX}/{rec.id}"
    sizes = {name: (rec.folder / name) for name in rec.files}
    out["href"] = href
    out["downloads"] = [
        {"name": name, "href": f"{href}/files/{name}", "media_type": media_type(name),
         "size_bytes": path.stat().st_size if path.is_file() else None}
        for name, path in sizes.items()
    ]
    plan = rec.kind == PLAN_KIND
    own = not user.scoped or rec.station_id == user.station_id
    out["actions"] = {
        "submit": plan and rec.status == "draft" and user.can("plan") and own,
        "approve": plan and rec.status in ("draft", "submitted") and user.can("approve"),
        "download": user.can("export"),
    }
    return out


def _listing(page: list[Record], total: int, user: Principal, limit: int, offset: int) -> dict[str, Any]:
    return {"total": total, "limit": limit, "offset": offset, "records": [record_json(r, user) for r in page]}


@router.get("/plans", summary="Shift plans (newest first) of a day and shift, with author and status; "
                              "a station user sees its own station's")
def list_plans(
    settings: SettingsDep, user: UserDep,
    date: Annotated[str | None, Query(pattern=_DAY, description="The plan's day (YYYY-MM-DD)")] = None,
    shift: Annotated[str | None, Query(max_length=40, description="The shift as planned, e.g. 20:00-24:00")] = None,
    station: Annotated[str | None, Query(max_length=40, description="Only this station's plans")] = None,
    status: Annotated[str | None, Query(pattern=_STATUS)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    return list_records(settings, user, kind=PLAN_KIND, date=date, shift=shift, station=station, status=status,
                        limit=limit, offset=offset)


@router.get("/records", summary="Recorded outputs of every kind (plans, reports, gap lists, sitings, "
                                "forecasts), newest first")
def list_records(
    settings: SettingsDep, user: UserDep,
    kind: Annotated[str | None, Query(pattern=_KIND)] = None,
    date: Annotated[str | None, Query(pattern=_DAY)] = None,
    shift: Annotated[str | None, Query(max_length=40)] = None,
    station: Annotated[str | None, Query(max_length=40)] = None,
    status: Annotated[str | None, Query(pattern=_STATUS)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    filters = {"kind": kind, "day": date, "shift": shift, "station_id": station, "status": status}
    page = service.list_records(settings.workspace_path, user, **filters, limit=limit, offset=offset)
    return _listing(page, service.count_records(settings.workspace_path, user, **filters), user, limit, offset)


@router.get("/plans/{record_id}", summary="One record: parameters, inputs' version, status history, files",
            responses=_RECORD_ERRORS)
def get_plan(record_id: str, settings: SettingsDep, user: UserDep) -> dict[str, Any]:
    return record_json(service.get_record(settings.workspace_path, record_id, user), user)


@router.post("/plans/{record_id}/submit", summary="Hand a draft plan in for approval (its station or a commander)",
             responses=_CHANGE_ERRORS)
def submit_plan(record_id: str, settings: SettingsDep, user: UserDep, request: Request) -> dict[str, Any]:
    rec = service.submit_plan(settings.workspace_path, record_id, user)
    audit(request, "submit_plan", rec.id, status=rec.status, station_id=rec.station_id)
    return record_json(rec, user)


@router.post("/plans/{record_id}/approve", summary="Approve a plan; the earlier approved plan of each of its "
                                                   "units (same day and shift) is superseded",
             responses=_CHANGE_ERRORS)
def approve_plan(record_id: str, settings: SettingsDep, user: UserDep, request: Request) -> dict[str, Any]:
    rec = service.approve_plan(settings.workspace_path, record_id, user)
    audit(request, "approve_plan", rec.id, status=rec.status, station_id=rec.station_id)
    return record_json(rec, user)


@router.get("/plans/{record_id}/files/{name}", summary="Download one file of a record",
            response_class=FileResponse, responses=_RECORD_ERRORS)
def get_plan_file(record_id: str, name: str, settings: SettingsDep, user: UserDep, request: Request,
                  unit: UnitQuery = None, format: FormatQuery = "gpx") -> Response:  # noqa: A002 - the query's name
    path = service.record_file(settings.workspace_path, record_id, name, user)
    rec = service.get_record(settings.workspace_path, record_id, user)
    audit(request, "export", name, record=rec.id, kind=rec.kind, station_id=rec.station_id,
          **({"unit": unit, "format": format} if unit else {}))
    if unit:
        return unit_download(path, unit, format)
    inline = path.suffix.lower() in (".html", ".json")
    return FileResponse(path, media_type=media_type(path.name), filename=path.name,
                        content_disposition_type="inline" if inline else "attachment")
