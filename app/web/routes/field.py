"""The officer's phone page ``/m/`` and its API (``/api/v1/field``): the unit's plan of a shift on
the phone, the phone's GPS pings back into the ``tracks`` layer (:mod:`app.services.phone`)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any, Literal

from html import escape
from urllib.parse import quote

from fastapi import APIRouter, Path as PathParam, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from app.services.dosage import RADIUS_M, dosage_job, patrol_coverage, write_dosage
from app.services.params import canonical_shift, parse_day, shift_day
from app.i18n import t
from app.services.phone import MAX_PINGS, check_unit, make_links as links_for, own_unit, pings_csv, shift_units, unit_plan
from app.web.auth import LINK_COOKIE, audit, client_address
from app.web.deps import BaseStateDep, JobsDep, LangDep, SettingsDep, StateDep, UserDep, WorkspaceDep
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
    ws: WorkspaceDep, state: StateDep,
    start: Annotated[str | None, Query(pattern=_DAY, description="First day, YYYY-MM-DD")] = None,
    end: Annotated[str | None, Query(pattern=_DAY, description="Last day, YYYY-MM-DD")] = None,
) -> dict[str, Any]:
    first, last = parse_day(start, "start"), parse_day(end, "end")
    # every ping map-matched: worked out once per version of the workspace, period and user's scope
    return await run_cpu(state.cached, "patrol-coverage", first, last,
                         make=lambda: patrol_coverage(ws, start=first, end=last))


@router.post("/api/v1/field/tracks", summary="GPS pings from a unit's phone into the tracks layer (an import job: "
                                             "pings already there are skipped, each bad one reported; 422 with "
                                             "the job when nothing could be imported)")
def field_tracks(body: PingsIn, request: Request, jobs: JobsDep, ws: WorkspaceDep, lang: LangDep,
                 user: UserDep) -> JSONResponse:
    own_unit(user, body.unit_id)
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


# -- one-shift links: a phone carries one unit's plan without an account ---------------------------------
#: What dead links count against in the sign-in limits: a client's failures (20 in 5 minutes), and
#: 5 on one link (an officer reopening a revoked one is told so 5 times, then made to wait).
_LINK_GUESSES = "~shift-link"


class LinksIn(BaseModel):
    """Which shift, and which units (none: every unit of the shift's recorded plan)."""

    model_config = ConfigDict(extra="forbid")
    date: str | None = Field(None, pattern=_DAY, description="YYYY-MM-DD (default: today)")
    shift: str = Field("20:00-24:00", max_length=40)
    unit_ids: list[Annotated[str, Field(pattern=_UNIT)]] | None = Field(None, max_length=500)


@router.post("/api/v1/field/links", status_code=201,
             summary="One-shift links (with QR codes as SVG) for units of a shift: a phone opening one carries the "
                     "unit's plan and sends its track until the shift ends plus 2 h; shown once, revocable, audited")
def make_links(body: LinksIn, request: Request, state: StateDep, settings: SettingsDep, user: UserDep,
               ws: WorkspaceDep) -> dict[str, Any]:
    result = links_for(state.users, ws, user, workspace=settings.workspace_path, day=_day(body.date, ws),
                        shift=canonical_shift(body.shift), unit_ids=body.unit_ids,
                        base_url=settings.public_url or str(request.base_url))
    audit(request, "field_links", f"{result['day']} {result['shift']}", strict=True,
          links={x["link_id"]: x["unit_id"] for x in result["links"]}, expires_at=result["expires_at"])
    return result



@router.get("/api/v1/field/links", summary="The one-shift links made (never their secrets): unit, shift, expiry, "
                                           "first opened, revoked")
def list_links(
    state: StateDep, user: UserDep, ws: WorkspaceDep,
    shift: Annotated[str | None, Query(max_length=40, examples=["20:00-24:00"])] = None,
    date: Annotated[str | None, Query(pattern=_DAY, description="YYYY-MM-DD (default: every day)")] = None,
) -> dict[str, Any]:
    links = state.users.links(station_id=user.station_id if user.scoped else None,
                              day=_day(date, ws).isoformat() if date else None,
                              shift=canonical_shift(shift) if shift else None)
    return {"total": len(links), "links": links}


@router.delete("/api/v1/field/links/{link_id}", summary="Revoke a one-shift link at once")
def revoke_link(request: Request, state: StateDep, user: UserDep,
                link_id: Annotated[str, PathParam(pattern=r"^[0-9a-f]{1,40}$")]) -> dict[str, Any]:
    link = state.users.revoke_link(link_id, station_id=user.station_id if user.scoped else None)
    audit(request, "field_link_revoke", link_id, strict=True, unit_id=link["unit_id"], day=link["day"],
          shift=link["shift"])
    return link


@router.get("/m/s/{secret}", response_class=HTMLResponse, include_in_schema=False,
            summary="Open a one-shift link: the phone page of its unit and shift")
def open_link(request: Request, state: BaseStateDep, lang: LangDep,
              secret: Annotated[str, PathParam(min_length=10, max_length=200, pattern=r"^[\w-]+$")]) -> Response:
    client = client_address(request)
    guess = f"{_LINK_GUESSES}:{secret[:8]}"
    state.limiter.check(client, guess, lang)  # guessing links counts like guessing passwords (429)
    session = state.users.link_session(secret)
    if session is None:
        state.limiter.failed(client, guess)
        audit(request, "field_link_refused", None, actor=f"web:anonymous@{client}")
        return HTMLResponse(
            f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8"><meta name="viewport" '
            f'content="width=device-width, initial-scale=1"><title>patrolnet</title><link rel="stylesheet" '
            f'href="/static/pn.css"></head><body class="pn-login-body"><main class="pn-login"><p class="pn-error">'
            f'{escape(t("phone.link_dead", lang))}</p></main></body></html>', status_code=410,
            headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"})
    user = session.user
    audit(request, "field_link_open", user.unit_id, actor=f"web:{user.username}")
    link = state.users.link(session.link_id)
    target = "/m/?" + "&".join(f"{k}={quote(str(v))}" for k, v in
                               (("unit", user.unit_id), ("date", link["day"]), ("shift", link["shift"]), ("lang", lang)))
    resp = RedirectResponse(target, status_code=303, headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"})
    left = dt.datetime.fromisoformat(session.expires_at) - dt.datetime.now(dt.UTC)
    # Lax, not Strict: a link opened from a message app is a navigation from another site, and the
    # redirect after it must carry the cookie; what changes data still needs the page's CSRF token
    resp.set_cookie(LINK_COOKIE, secret, max_age=max(1, int(left.total_seconds())), httponly=True, samesite="lax",
                    secure=state.settings.https, path="/")
    return resp
