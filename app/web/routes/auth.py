"""Sign-in and sign-out: the login page, browser sessions, bearer tokens for scripts, ``/me``."""

from __future__ import annotations

import hmac
import secrets
from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from app.i18n import other_lang, t
from app.web.auth import (
    COOKIE,
    CSRF_HEADER,
    LINK_COOKIE,
    LOGIN_CSRF_COOKIE,
    NotSignedInError,
    TooManyAttemptsError,
    actor_of,
    as_principal,
    audit,
    client_address,
    landing,
    nav_pages,
)
from app.web.deps import BaseStateDep, LangDep, UserDep
from app.web.pages import login_html
from app.web.pool import run_background
from app.storage.access import PERMISSIONS
from app.storage.users import DEMO_PASSWORD

router = APIRouter(tags=["auth"])
_HTML = {"text/html": {"schema": {"type": "string"}}}


def _safe_next(value: str | None) -> str:
    """Only a path of this site (no scheme, no host, no '//' or '\\' tricks) may follow a sign-in.

    Control characters are refused too: browsers drop tabs and newlines from a URL, so '/\\t/host'
    would become '//host'."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value \
            or any(ord(c) < 0x20 or c == "\x7f" for c in value):
        return "/"
    return value


def _audit(request: Request, action: str, actor: str, **details: Any) -> None:
    """Sign-in events name the client address (an unwritable log must not lock everyone out)."""
    audit(request, action, actor=actor, client=client_address(request), **details)


def _verify(state: Any, client: str, username: str, password: str, lang: str) -> Any:
    """The user whose password this is, or None (a failure counted against the client and the name).

    At most ``state.verify_slots`` verifications run at once (each Argon2id hash takes 64 MiB and
    ~0.2 s of a core), those of one user name one after another, and the failure budget is checked
    inside, so that a burst of concurrent guesses cannot slip past the limit before the first
    failure is counted.

    Raises
    ------
    TooManyAttemptsError
        When the client or the name has used up its failures.
    """
    import zlib

    stripe = state.verify_stripes[zlib.crc32(username.strip().lower().encode("utf-8")) % len(state.verify_stripes)]
    with stripe, state.verify_slots:
        state.limiter.check(client, username, lang)
        user = run_background(state.users.verify, username, password)
        if user is None:
            state.limiter.failed(client, username)
    return user


def _login_page(state: Any, lang: str, *, next_url: str, error: str | None = None, status: int = 200,
                username: str = "") -> HTMLResponse:
    csrf = secrets.token_urlsafe(24)
    demo = [u for u in state.users.list() if u.demo and u.active]
    html = login_html(lang=lang, other_lang=other_lang(lang), next_url=next_url, csrf=csrf, error=error,
                      username=username, demo_users=demo, demo_password=DEMO_PASSWORD if demo else None,
                      workspace_name=state.settings.workspace_name, has_users=state.users.has_users(),
                      session_hours=f"{state.settings.session_hours:g}",
                      idle_minutes=f"{state.settings.session_idle_minutes:g}")
    resp = HTMLResponse(html, status_code=status, headers={"Content-Language": lang})
    resp.set_cookie(LOGIN_CSRF_COOKIE, csrf, max_age=3600, httponly=True, samesite="strict",
                    secure=state.settings.https, path="/login")
    return resp


@router.get("/login", response_class=HTMLResponse, summary="The sign-in page")
def login_page(state: BaseStateDep, lang: LangDep, next: str | None = None) -> HTMLResponse:  # noqa: A002
    return _login_page(state, lang, next_url=_safe_next(next))


@router.post("/login", response_class=HTMLResponse, summary="Sign in (form): sets the session cookie",
             responses={303: {"description": "Signed in: to the page asked for"},
                        401: {"description": "Wrong user name or password (the form again)", "content": _HTML},
                        403: {"description": "The form's token is missing or stale (the form again)",
                              "content": _HTML},
                        429: {"description": "Too many failed attempts (the form again)", "content": _HTML}})
def login(
    request: Request, state: BaseStateDep, lang: LangDep,
    username: Annotated[str, Form(max_length=64)], password: Annotated[str, Form(max_length=1024)],
    csrf: Annotated[str, Form(max_length=200)] = "", next: Annotated[str, Form(max_length=2000)] = "/",  # noqa: A002
) -> Response:
    next_url = _safe_next(next)
    sent = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not csrf or not sent or not hmac.compare_digest(csrf, sent):
        return _login_page(state, lang, next_url=next_url, error=t("auth.login_csrf", lang), status=403,
                           username=username)
    client = client_address(request)
    try:
        user = _verify(state, client, username, password, lang)
    except TooManyAttemptsError as exc:
        resp = _login_page(state, lang, next_url=next_url, error=str(exc), status=429, username=username)
        resp.headers["Retry-After"] = str(exc.retry_after_s)
        return resp
    if user is None:
        _audit(request, "login_failed", f"web:anonymous@{client}", username=username[:64])
        return _login_page(state, lang, next_url=next_url, error=t("auth.bad_login", lang), status=401,
                           username=username)
    token = state.users.open_session(user.username, kind="session",
                                     lifetime=timedelta(hours=state.settings.session_hours))
    _audit(request, "login", f"web:{user.username}", role=user.role)
    if next_url == "/":
        next_url = landing(as_principal(user))
    sep = "&" if "?" in next_url else "?"
    target = next_url if "lang=" in next_url else f"{next_url}{sep}lang={quote(lang)}"
    resp = RedirectResponse(target, status_code=303)
    resp.set_cookie(COOKIE, token, max_age=int(state.settings.session_hours * 3600), httponly=True,
                    samesite="strict", secure=state.settings.https, path="/")
    resp.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return resp


@router.post("/logout", summary="Sign out: ends this session (or token)")
def logout(request: Request, state: BaseStateDep, user: UserDep) -> JSONResponse:
    session = request.state.session
    state.users.close_session_by_hash(session.token_sha256)
    _audit(request, "logout", f"web:{user.username}")
    resp = JSONResponse({"signed_out": True, "login": "/login"})
    resp.delete_cookie(COOKIE, path="/")
    resp.delete_cookie(LINK_COOKIE, path="/")  # a phone's one-shift link: forgotten here (revoked by planners)
    return resp


class TokenRequest(BaseModel):
    """User name and password; the token lives ``hours`` (at most the server's limit)."""

    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)
    hours: float | None = Field(None, gt=0, le=24 * 30)


@router.post("/api/v1/auth/token", summary="A bearer token for scripts (Authorization: Bearer ...)",
             responses={401: {"description": "Wrong user name or password"},
                        429: {"description": "Too many failed attempts"}})
def issue_token(request: Request, state: BaseStateDep, lang: LangDep, body: TokenRequest) -> dict[str, Any]:
    client = client_address(request)
    user = _verify(state, client, body.username, body.password, lang)
    if user is None:
        _audit(request, "login_failed", f"web:anonymous@{client}", username=body.username[:64], via="token")
        raise NotSignedInError(t("auth.bad_login", lang))
    hours = min(body.hours or state.settings.token_hours, state.settings.token_hours)
    token = state.users.open_session(user.username, kind="token", lifetime=timedelta(hours=hours))
    session = state.users.session(token)
    assert session is not None
    _audit(request, "login", f"web:{user.username}", role=user.role, via="token")
    return {"access_token": token, "token_type": "bearer", "expires_at": session.expires_at,
            "username": user.username, "role": user.role}


@router.delete("/api/v1/auth/token", summary="End the token (or session) this request is made with")
def revoke_token(request: Request, state: BaseStateDep, user: UserDep) -> dict[str, Any]:
    state.users.close_session_by_hash(request.state.session.token_sha256)
    _audit(request, "logout", actor_of(request))
    return {"revoked": True, "username": user.username}


@router.get("/api/v1/auth/me", summary="The signed-in user: role, jurisdiction, permissions, pages")
async def me(request: Request, user: UserDep, lang: LangDep) -> dict[str, Any]:
    session = request.state.session
    body: dict[str, Any] = {
        "username": user.username, "display_name": user.display_name, "role": user.role,
        "role_label": t(f"role.{user.role}", lang), "station_id": user.station_id, "unit_id": user.unit_id,
        "demo": user.demo,
        "permissions": sorted(user.permissions), "pages": nav_pages(user),
        "expires_at": session.expires_at, "session_kind": session.kind,
        "permission_labels": {p: t(f"perm.{p}", lang) for p in PERMISSIONS},
    }
    if session.kind in ("session", "link"):  # the page's script sends it back in the CSRF header
        body["csrf_token"] = session.csrf
        body["csrf_header"] = CSRF_HEADER
    return body


class PasswordChange(BaseModel):
    """The current password and the new one (at least 10 characters, not the user name)."""

    model_config = ConfigDict(extra="forbid")
    current_password: str = Field(min_length=1, max_length=1024)
    new_password: str = Field(min_length=10, max_length=1024)


@router.post("/api/v1/auth/password", summary="Change your own password (ends all your sessions and tokens)",
             responses={401: {"description": "The current password is wrong"},
                        429: {"description": "Too many failed attempts"}})
def change_password(request: Request, state: BaseStateDep, lang: LangDep, user: UserDep,
                    body: PasswordChange) -> JSONResponse:
    client = client_address(request)
    if _verify(state, client, user.username, body.current_password, lang) is None:
        _audit(request, "login_failed", f"web:{user.username}", username=user.username, via="password change")
        raise NotSignedInError(t("auth.bad_current", lang))
    state.users.set_password(user.username, body.new_password)  # raises InputError for a weak one
    _audit(request, "password", f"web:{user.username}", user=user.username, own=True)
    resp = JSONResponse({"password_changed": True, "signed_out": True, "login": "/login"})
    resp.delete_cookie(COOKIE, path="/")
    return resp
