"""The error family as HTTP answers: ``{"detail": message, "error": class name, ...}``."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from app.assets import AssetsMissingError, OffHostURLError
from app.web.auth import PAGE_ROUTES, NotSignedInError, TooManyAttemptsError
from app.web.tasks import JobNotFoundError
from app.storage.access import ForbiddenError
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
    "ERROR_BODY_SCHEMA",
    "FeatureUnavailableError",
    "LayerNotFoundError",
    "document_error_responses",
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


def status_for(exc: PlannerError) -> int:
    for cls in type(exc).__mro__:
        if cls in _STATUS:
            return _STATUS[cls]
    return 400


def _is_page(request: Request) -> bool:
    route = request.scope.get("route")
    return getattr(route, "name", None) in PAGE_ROUTES and request.method in ("GET", "HEAD")


def _page_answer(request: Request, exc: PlannerError) -> Response | None:
    """Pages: signed-out visitors go to the login page; a refusal is a short page, not JSON."""
    from html import escape
    from urllib.parse import quote

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


def _said(request: Request, exc: PlannerError) -> str:
    """The error's message in the request's language when the core tagged it with a message key
    (``exc.code`` -> ``error.<code>`` of :mod:`app.i18n`), else the message as it is."""
    from app.i18n import MESSAGES, normalize_lang, t

    code = getattr(exc, "code", None)
    key = f"error.{code}"
    if not code or key not in MESSAGES:
        return str(exc)
    state = getattr(request.app.state, "patrolnet", None)
    default = state.settings.default_lang if state is not None else "zh-CN"
    try:
        return t(key, normalize_lang(request.query_params.get("lang"), default), **getattr(exc, "fmt", {}))
    except (KeyError, IndexError, ValueError):
        return str(exc)


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


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(PlannerError, _planner_error)


#: The JSON body of every error answered by :func:`_planner_error` (extra keys per error class).
ERROR_BODY_SCHEMA: dict[str, Any] = {
    "title": "ErrorBody",
    "type": "object",
    "description": "An error of the app: what was wrong (`detail`) and the error class (`error`).",
    "properties": {
        "detail": {"type": "string", "title": "Detail",
                   "description": "What was wrong, and the fix"},
        "error": {"type": "string", "title": "Error", "description": "The error class"},
    },
    "required": ["detail", "error"],
    "additionalProperties": True,
}
_ERROR_REF = {"$ref": "#/components/schemas/ErrorBody"}


def _document_errors(schema: dict[str, Any]) -> None:
    """Declare :data:`ERROR_BODY_SCHEMA` for the 4xx/5xx answers of every operation: a 422 is
    either FastAPI's request validation (``detail`` a list) or the app's own ``InputError``."""
    schema.setdefault("components", {}).setdefault("schemas", {})["ErrorBody"] = ERROR_BODY_SCHEMA
    schema["components"].setdefault("securitySchemes", {})["bearer"] = {
        "type": "http", "scheme": "bearer",
        "description": "A token from POST /api/v1/auth/token (browsers use the session cookie of /login)"}
    schema["security"] = [{"bearer": []}]
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            responses.setdefault("401", {"description": "Not signed in, or the session or token has expired"})
            responses.setdefault("403", {"description": "The role may not do this, or the CSRF token is missing"})
            for code, response in operation.get("responses", {}).items():
                if not str(code).startswith(("4", "5")):
                    continue
                media = response.setdefault("content", {}).setdefault("application/json", {})
                declared = media.get("schema")
                if not declared:
                    media["schema"] = dict(_ERROR_REF)
                elif declared != _ERROR_REF:
                    media["schema"] = {"anyOf": [declared, dict(_ERROR_REF)]}


def _document_access(app: FastAPI, schema: dict[str, Any]) -> None:
    """Public operations need no bearer token (``security: []``); the HTML pages are for browsers
    (a session cookie, a redirect to the login page), not API operations, so they are left out of
    the API schema (docs/security.md lists them with their rules)."""
    from app.web.auth import PUBLIC, ROUTE_POLICY
    from app.web.routes import api_routes

    paths = schema.get("paths", {})
    for route in api_routes(app):
        if route.path not in paths:
            continue
        for method in route.methods:
            operation = paths[route.path].get(method.lower())
            if operation is None:
                continue
            if route.name in PAGE_ROUTES:
                del paths[route.path][method.lower()]
            elif ROUTE_POLICY.get(route.name) == PUBLIC:
                operation["security"] = []
                operation.get("responses", {}).pop("401", None)
        if route.path in paths and not paths[route.path]:
            del paths[route.path]


def document_error_responses(app: FastAPI) -> None:
    """Make ``app.openapi()`` declare the error bodies the handlers of this module answer, the
    bearer-token security and which operations are public."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            _document_errors(build())
            _document_access(app, app.openapi_schema)  # type: ignore[arg-type]
        return app.openapi_schema  # type: ignore[return-value]

    app.openapi = openapi  # type: ignore[method-assign]
