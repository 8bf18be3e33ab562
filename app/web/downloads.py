"""Tables computed on request and answered as a file (CSV, XLSX): written once through the
service's own writer into a temporary folder, sent as an attachment."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi.responses import Response

from app.web.tasks import media_type

__all__ = ["attachment", "written"]


def written(write: Callable[[dict[str, Any], Path], Path], result: dict[str, Any], fmt: str) -> bytes:
    """The bytes ``write(result, <temporary file>.fmt)`` writes (the service's writer, one place)."""
    with tempfile.TemporaryDirectory(prefix="pn-table-") as tmp:
        return write(result, Path(tmp) / f"table.{fmt}").read_bytes()


def attachment(body: bytes, name: str) -> Response:
    """``body`` as a download named ``name`` (its media type from the suffix)."""
    return Response(body, media_type=media_type(name), headers={"Content-Disposition": f'attachment; filename="{name}"'})
