"""Multipart uploads with a hard size limit: refused with a 413 before they are read when the
request says it is too big, and cut off while streaming when it does not say (chunked)."""

from __future__ import annotations

from dataclasses import dataclass, field

from starlette.datastructures import UploadFile
from starlette.requests import Request

from app.i18n import t
from geo.errors import InputError

__all__ = ["Upload", "UploadTooLargeError", "read_upload"]

#: Room for the form's other fields and the multipart framing on top of the file itself.
_FORM_OVERHEAD = 64 * 1024


class UploadTooLargeError(InputError):
    """The upload is larger than the server accepts (HTTP 413)."""

    def __init__(self, message: str, *, limit_bytes: int):
        super().__init__(message)
        self.limit_bytes = limit_bytes


@dataclass(frozen=True)
class Upload:
    filename: str
    data: bytes
    fields: dict[str, str] = field(default_factory=dict)


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB"


async def read_upload(request: Request, *, max_bytes: int, lang: str = "zh-CN",
                      file_field: str = "file") -> Upload:
    """The uploaded file (form field ``file_field``) and the other form fields.

    Raises
    ------
    UploadTooLargeError
        When the body or the file is over ``max_bytes`` (plus a little for the other fields).
    InputError
        When the request is not ``multipart/form-data`` or has no file.
    """
    ctype = request.headers.get("content-type", "")
    if not ctype.lower().startswith("multipart/form-data"):
        raise InputError(t("error.upload_not_multipart", lang))
    limit = max_bytes + _FORM_OVERHEAD
    too_big = UploadTooLargeError(t("error.upload_too_large", lang, limit=_mb(max_bytes)),
                                  limit_bytes=max_bytes)
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise too_big
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_big
        chunks.append(chunk)
    body = b"".join(chunks)

    async def replay() -> dict[str, object]:
        return {"type": "http.request", "body": body, "more_body": False}

    form = await Request(request.scope, receive=replay).form(max_files=1, max_fields=50)
    try:
        upload = form.get(file_field)
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise InputError(t("error.upload_no_file", lang, field=file_field))
        data = await upload.read()
        if len(data) > max_bytes:
            raise too_big
        fields = {k: v for k, v in form.multi_items() if isinstance(v, str)}
        return Upload(filename=upload.filename, data=data, fields=fields)
    finally:
        await form.close()
