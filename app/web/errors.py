"""The error family as HTTP answers: ``{"detail": message, "error": class name, ...}``."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from app.assets import AssetsMissingError, OffHostURLError
from app.web.tasks import JobNotFoundError
from app.web.uploads import UploadTooLargeError
from geo.errors import (
    CRSError,
    InfeasibleError,
    InputError,
    OfflineError,
    PlannerError,
    WorkspaceError,
)

__all__ = ["FeatureUnavailableError", "LayerNotFoundError", "install_error_handlers", "status_for"]


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


async def _planner_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, PlannerError)
    body: dict[str, object] = {"detail": str(exc), "error": type(exc).__name__}
    if isinstance(exc, LayerNotFoundError):
        body.update(layer=exc.layer, available=exc.available)
    if isinstance(exc, UploadTooLargeError):
        body.update(limit_bytes=exc.limit_bytes)
    return JSONResponse(body, status_code=status_for(exc))


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(PlannerError, _planner_error)
