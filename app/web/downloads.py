"""Tables computed on request and answered as a file (CSV, XLSX): written once through the
service's own writer into a temporary folder, sent as an attachment."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi.responses import Response

from app.web.tasks import media_type
from geo.errors import InputError
from routing.export import unit_file

__all__ = ["attachment", "unit_download", "written"]


def written(write: Callable[[dict[str, Any], Path], Path], result: dict[str, Any], fmt: str) -> bytes:
    """The bytes ``write(result, <temporary file>.fmt)`` writes (the service's writer, one place)."""
    with tempfile.TemporaryDirectory(prefix="pn-table-") as tmp:
        return write(result, Path(tmp) / f"table.{fmt}").read_bytes()


def attachment(body: bytes, name: str, *, inline: bool = False) -> Response:
    """``body`` as a download named ``name`` (its media type from the suffix; a name beyond ASCII,
    as 北湖路派出所's, given as RFC 6266 ``filename*``), or shown in the browser with ``inline``."""
    kind = "inline" if inline else "attachment"
    told = f'{kind}; filename="{name}"' if name.isascii() else f"{kind}; filename*=utf-8''{quote(name)}"
    return Response(body, media_type=media_type(name), headers={"Content-Disposition": told})


def unit_download(zip_path: Path, unit: str, fmt: str) -> Response:
    """One unit's own GPX, KML or sheet out of a plan's zip (:func:`routing.export.unit_file`), the
    sheet shown in the browser.

    Raises
    ------
    InputError
        Not a plan's zip, an unknown format, or a unit the plan does not hold.
    """
    if zip_path.suffix.lower() != ".zip":
        raise InputError(f"'{zip_path.name}' holds no unit files: ask the plan's .zip for one unit's file",
                         code="routes.unit_zip", name=zip_path.name)
    name, body = unit_file(zip_path, unit, fmt)
    return attachment(body, name, inline=name.endswith(".html"))
