"""The error family as HTTP answers: ``{"detail": message, "error": class name, ...}``."""

from __future__ import annotations

from html import escape
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from app.assets import AssetsMissingError, OffHostURLError
from app.i18n import normalize_lang, said
from app.web.auth import PAGE_ROUTES, NotSignedInError, TooManyAttemptsError
from app.web.messages import join, say_invalid
from app.web.tasks import JobNotFoundError
from app.storage.access import ForbiddenError
from app.storage.records import StatusConflictError
from app.web.uploads import UploadTooLargeError
from geo.errors import (
    CRSError,
    InfeasibleError,
    InputError,
    OfflineError,
    PlannerError,
    WorkspaceError,
)

__all__ = [
    "FeatureUnavailableError",
    "LayerNotFoundError",
    "install_error_handlers",
    "status_for",
]


class LayerNotFoundError(WorkspaceError):
    """The workspace has no layer of the asked name."""

    def __init__(self, message: str, *, layer: str, available: list[str]):
        super().__init__(message)
        self.layer = layer
        self.available = available


class FeatureUnavailableError(PlannerError):
    """A part of the app whose core module is not installed yet (HTTP 501)."""


#: Most specific class first; the first match in the error's MRO wins.
_STATUS: dict[type[PlannerError], int] = {
    NotSignedInError: 401,
    ForbiddenError: 403,
    TooManyAttemptsError: 429,
    LayerNotFoundError: 404,
    JobNotFoundError: 404,
    UploadTooLargeError: 413,
    StatusConflictError: 409,
    FeatureUnavailableError: 501,
    InputError: 422,
    CRSError: 422,
    InfeasibleError: 409,
    WorkspaceError: 409,
    OfflineError: 400,
    # server-side set-up problems, not the client's fault:
    AssetsMissingError: 503,
    OffHostURLError: 500,
    PlannerError: 400,
}


#: Errors of a general class that say "no such thing" by their message key: 404, not 422.
_NOT_FOUND_CODES = frozenset({"records.not_found", "records.no_file"})


def status_for(exc: PlannerError) -> int:
    if getattr(exc, "code", None) in _NOT_FOUND_CODES:
        return 404
    for cls in type(exc).__mro__:
        if cls in _STATUS:
            return _STATUS[cls]
    return 400


def _is_page(request: Request) -> bool:
    route = request.scope.get("route")
    return getattr(route, "name", None) in PAGE_ROUTES and request.method in ("GET", "HEAD")


def _page_answer(request: Request, exc: PlannerError) -> Response | None:
    """Pages: signed-out visitors go to the login page; a refusal is a short page, not JSON."""
    if isinstance(exc, NotSignedInError):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
    if isinstance(exc, ForbiddenError):
        lang = request.query_params.get("lang") or ""
        body = (f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>403</title>'
                f'<link rel="stylesheet" href="/static/pn.css"></head><body class="pn-login-body">'
                f'<main class="pn-login"><h1>403</h1><p class="pn-error">{escape(str(exc))}</p>'
                f'<p><a href="/?lang={escape(quote(lang))}">patrolnet</a></p></main></body></html>')
        return HTMLResponse(body, status_code=403)
    return None


def request_lang(request: Request) -> str:
    """The request's language: ``?lang=``, else the app's default."""
    state = getattr(request.app.state, "patrolnet", None)
    default = state.settings.default_lang if state is not None else "zh-CN"
    return normalize_lang(request.query_params.get("lang"), default)


def _said(request: Request, exc: PlannerError) -> str:
    """The error's message in the request's language when the core tagged it with a message key
    (``exc.code`` -> ``error.<code>`` of :mod:`app.i18n`), else the message as it is."""
    return said(exc, request_lang(request))


async def _planner_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, PlannerError)
    if _is_page(request):
        page = _page_answer(request, exc)
        if page is not None:
            return page
    body: dict[str, object] = {"detail": _said(request, exc), "error": type(exc).__name__}
    if isinstance(exc, LayerNotFoundError):
        body.update(layer=exc.layer, available=exc.available)
    if isinstance(exc, UploadTooLargeError):
        body.update(limit_bytes=exc.limit_bytes)
    headers: dict[str, str] = {}
    if isinstance(exc, NotSignedInError):
        headers["WWW-Authenticate"] = 'Bearer realm="patrolnet"'
    if isinstance(exc, TooManyAttemptsError):
        headers["Retry-After"] = str(exc.retry_after_s)
        body["retry_after_s"] = exc.retry_after_s
    return JSONResponse(body, status_code=status_for(exc), headers=headers)


async def _invalid_request(request: Request, exc: Exception) -> Response:
    """A job's parameters refused by their model (``POST /api/v1/jobs/{kind}``): FastAPI's answer
    (``detail``: the list of errors, each with ``loc`` and ``type``) whose messages are said in the
    request's language, naming each field as the form labels it, plus ``message``: all of them in
    one line, for the page. Other routes keep FastAPI's answer as it is."""
    assert isinstance(exc, RequestValidationError)
    route = request.scope.get("route")
    if not str(getattr(route, "name", "")).startswith("submit_"):
        return await request_validation_exception_handler(request, exc)
    lang = request_lang(request)
    errors = exc.errors()
    detail = jsonable_encoder(errors)
    said = [say_invalid(e, lang) for e in errors]
    for item, text in zip(detail, said):
        item["msg"] = text
    return JSONResponse({"detail": detail, "message": join(said, lang)}, status_code=422)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(PlannerError, _planner_error)
    app.add_exception_handler(RequestValidationError, _invalid_request)
