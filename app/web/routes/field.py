"""The officer's phone page ``/m/`` and its API (``/api/v1/field``): the unit's plan of a shift on
the phone, the phone's GPS pings back into the ``tracks`` layer (:mod:`app.services.phone`)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, Field

from app.services.dosage import RADIUS_M, dosage_job, patrol_coverage, write_dosage
from app.services.params import canonical_shift, parse_day, shift_day
from app.services.phone import MAX_PINGS, check_unit, pings_csv, shift_units, unit_plan
from app.web.auth import audit
from app.web.deps import JobsDep, LangDep, SettingsDep, StateDep, UserDep, WorkspaceDep
from app.web.downloads import attachment, written
from app.web.job_kinds import ImportParams
from app.web.pages import phone_html
from app.web.pool import run_cpu
from app.web.security import PHONE_PERMISSIONS
from app.web.tasks import media_type

router = APIRouter(tags=["field"])

_DAY = r"^\d{4}-\d{2}-\d{2}$"
_UNIT = r"^[\w.\-]{1,40}$"
#: The phone page's service worker (served from /m/ so that it may keep the page for offline use).
_SW = Path(__file__).resolve().parents[1] / "static" / "phone-sw.js"


class PingsIn(BaseModel):
    """GPS pings recorded by a unit's phone."""

    unit_id: str = Field(pattern=_UNIT, description="The unit that recorded them (units layer)")
    pings: list[dict[str, Any]] = Field(max_length=MAX_PINGS, description="[{t: ISO 8601 time with offset, "
                                        "lon, lat (WGS84)}], oldest first")


@router.get("/m/", response_class=HTMLResponse, summary="The officer's phone page: the unit's plan for the shift, "
                                                        "the next stop, a dwell timer, the GPS track recorded")
def page_phone(state: StateDep, lang: LangDep) -> HTMLResponse:
    return HTMLResponse(phone_html(state, lang), headers={"Content-Language": lang,
                                                          "Permissions-Policy": PHONE_PERMISSIONS})


@router.get("/m/sw.js", summary="The phone page's service worker (keeps the page and the plan for offline use)",
            include_in_schema=False)
def phone_sw() -> Response:
    return Response(_SW.read_text(encoding="utf-8"), media_type="text/javascript",
                    headers={"Service-Worker-Allowed": "/m/", "Cache-Control": "no-cache"})


def _day(date: str | None, ws: Any) -> dt.date:
    return shift_day(ws, parse_day(date, "date"))


@router.get("/api/v1/field/units", summary="The units of the shift's recorded plan (approved first, then the newest)")
async def field_units(
    settings: SettingsDep, user: UserDep, ws: WorkspaceDep,
    shift: Annotated[str, Query(max_length=40, examples=["20:00-24:00"])] = "20:00-24:00",
    date: Annotated[str | None, Query(pattern=_DAY, description="YYYY-MM-DD (default: today)")] = None,
) -> dict[str, Any]:
    return await run_cpu(shift_units, settings.workspace_path, user, day=_day(date, ws), shift=canonical_shift(shift))


@router.get("/api/v1/field/plan", summary="One unit's part of the shift's recorded plan: route, stops, legs (WGS84)")
async def field_plan(
    settings: SettingsDep, user: UserDep, ws: WorkspaceDep,
    unit: Annotated[str, Query(pattern=_UNIT, description="unit_id")],
    shift: Annotated[str, Query(max_length=40, examples=["20:00-24:00"])] = "20:00-24:00",
    date: Annotated[str | None, Query(pattern=_DAY, description="YYYY-MM-DD (default: today)")] = None,
) -> dict[str, Any]:
    return await run_cpu(unit_plan, settings.workspace_path, user, day=_day(date, ws), shift=canonical_shift(shift), unit_id=unit)


@router.get("/api/v1/field/dosage", summary="Patrol done against the shift's recorded plan: per unit and hotspot the "
                                           "planned and actual minutes, per unit the share of its route and beat "
                                           "driven or walked (JSON, CSV, XLSX)",
            responses={200: {"content": {"application/json": {}, media_type(".csv"): {}, media_type(".xlsx"): {}}}})
async def field_dosage(
    settings: SettingsDep, user: UserDep, ws: WorkspaceDep, lang: LangDep, request: Request,
    shift: Annotated[str, Query(max_length=40, examples=["20:00-24:00"])] = "20:00-24:00",
    date: Annotated[str | None, Query(pattern=_DAY, description="YYYY-MM-DD (default: today)")] = None,
    radius_m: Annotated[float, Query(ge=10, le=1000, description="Present at a hotspot: within this many metres")] = RADIUS_M,
    format: Annotated[Literal["json", "csv", "xlsx"], Query(description="json, or a file: csv or xlsx")] = "json",  # noqa: A002
) -> Any:
    result = await run_cpu(dosage_job, ws, settings.workspace_path, user, day=_day(date, ws),
                           shift=canonical_shift(shift), radius_m=radius_m, lang=lang)
    if format == "json":
        return result
    body = await run_cpu(written, write_dosage, result, format)
    audit(request, "dosage", f"plan {result['record']}", shift=result["shift"], day=result["day"], via="api")
    return attachment(body, f"dosage-{result['day']}-{result['shift'].replace(':', '').replace('-', '_')}.{format}")


@router.get("/api/v1/field/coverage", summary="Patrol coverage from GPS tracks: minutes along each street over a "
                                             "period (GeoJSON, WGS84; default the 7 days up to the newest ping)")
async def field_coverage(
    ws: WorkspaceDep,
    start: Annotated[str | None, Query(pattern=_DAY, description="First day, YYYY-MM-DD")] = None,
    end: Annotated[str | None, Query(pattern=_DAY, description="Last day, YYYY-MM-DD")] = None,
) -> dict[str, Any]:
    return await run_cpu(patrol_coverage, ws, start=parse_day(start, "start"), end=parse_day(end, "end"))


@router.post("/api/v1/field/tracks", summary="GPS pings from a unit's phone into the tracks layer (an import job: "
                                             "pings already there are skipped, each bad one reported; 422 with "
                                             "the job when nothing could be imported)")
def field_tracks(body: PingsIn, request: Request, jobs: JobsDep, ws: WorkspaceDep, lang: LangDep,
                 user: UserDep) -> JSONResponse:
    check_unit(ws, body.unit_id)
    data = pings_csv(body.pings)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    p = ImportParams(layer="tracks", file_name=f"phone-{body.unit_id}-{stamp}.csv", coords="wgs84",
                     set_values={"unit_id": body.unit_id})
    job = jobs.submit("import", p.model_dump(mode="json"), args=p, lang=lang, inputs={p.file_name: data},
                      owner=user.username)
    jobs.wait(job)
    body = job.as_dict()
    if job.status != "done":  # an error answer like the others: what was wrong in ``detail``
        body["detail"] = job.message or job.error or job.status
        body["error"] = job.error_type or "ImportError"
    return JSONResponse(body, status_code=200 if job.status == "done" else 422)
