"""Secure response headers for every answer (a pure ASGI middleware: no body buffering).

The Content-Security-Policy allows nothing from another host (the app is offline by design, so
this also stops a page from leaking data to one), no framing, no plugins, and forms that post
only here. Scripts and styles may be inline because folium writes its maps as inline scripts.
Data answers are ``Cache-Control: no-store`` (nothing sensitive left in a shared browser's cache);
the map libraries and the pages' own scripts under ``/assets`` and ``/static`` may be cached.
"""

from __future__ import annotations

from typing import Any

__all__ = ["CSP", "PHONE_PERMISSIONS", "SecureHeadersMiddleware"]

CSP = "; ".join((
    "default-src 'self'",
    "script-src 'self' 'unsafe-inline'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))
_DEVICES = b"camera=(), microphone=(), payment=(), usb=()"
#: The page that records a unit's track (``/m/``) may ask the phone for its position, itself only.
PHONE_PERMISSIONS = (b"geolocation=(self), " + _DEVICES).decode()
_COMMON = (
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"permissions-policy", b"geolocation=(), " + _DEVICES),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
)
_CACHEABLE = ("/assets/", "/static/")


class SecureHeadersMiddleware:
    """Adds the headers above (and HSTS when ``https``) to every HTTP answer."""

    def __init__(self, app: Any, *, https: bool = False, cacheable: tuple[str, ...] = _CACHEABLE):
        self.app = app
        self.https = https
        self.cacheable = cacheable

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        no_store = not path.startswith(self.cacheable)

        async def send_with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                for k, v in _COMMON:
                    if k not in present:
                        headers.append((k, v))
                if no_store and b"cache-control" not in present:
                    headers.append((b"cache-control", b"no-store"))
                if self.https:
                    headers.append((b"strict-transport-security", b"max-age=31536000"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
