"""The app's OpenAPI schema: the error bodies (:mod:`app.web.errors`), the bearer-token security and
which operations are public (:data:`app.web.auth.ROUTE_POLICY`)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute

from app.web.auth import PAGE_ROUTES, PUBLIC, ROUTE_POLICY

__all__ = ["ERROR_BODY_SCHEMA", "api_routes", "document_error_responses"]


def api_routes(app: object) -> list[APIRoute]:
    """Every :class:`fastapi.routing.APIRoute` of an app or router, included routers walked (FastAPI
    keeps an included router as one lazy entry of ``app.routes``)."""
    out: list[APIRoute] = []
    for route in getattr(app, "routes", []):
        if isinstance(route, APIRoute):
            out.append(route)
        elif hasattr(route, "original_router"):
            out.extend(api_routes(route.original_router))
    return out


#: The JSON body of every error the app answers (:mod:`app.web.errors`; extra keys per error class).
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
