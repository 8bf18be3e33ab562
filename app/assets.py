"""Browser assets (Leaflet, leaflet.heat, Swagger UI) served from this machine, never from a CDN.

The files come from the npm registry at the versions pinned in ``assets/package-lock.json`` and are
installed into ``assets/node_modules`` by ``make assets`` (``npm ci`` in ``assets/``). The web app
mounts that folder at ``/assets``; pages refer to the files through :func:`asset_url`.

Police networks are offline, so :func:`assert_offline_html` checks every page before it is served:
an ``src=``, ``href=``, ``url(...)`` or tile-layer URL that points to another host raises
:class:`OffHostURLError`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from geo.errors import PlannerError

__all__ = [
    "ASSETS",
    "ENV_ASSETS_DIR",
    "Asset",
    "AssetsMissingError",
    "OffHostURLError",
    "assert_offline_html",
    "asset_path",
    "asset_url",
    "assets_dir",
    "check_assets",
    "find_off_host_urls",
]

#: Environment variable that overrides where the installed npm packages are.
ENV_ASSETS_DIR = "PATROLNET_ASSETS_DIR"
_REPO = Path(__file__).resolve().parent.parent
DEFAULT_ASSETS_DIR = _REPO / "assets" / "node_modules"


class AssetsMissingError(PlannerError):
    """The map/docs assets are not installed (run ``make assets``)."""


class OffHostURLError(PlannerError):
    """A page refers to a resource on another host, which an offline police network cannot load."""


@dataclass(frozen=True)
class Asset:
    name: str
    package: str
    path: str  # relative to the assets dir (node_modules)
    kind: str  # "js", "css" or "img"


#: Every asset a page may load: name -> file inside node_modules.
ASSETS: dict[str, Asset] = {
    a.name: a
    for a in [
        Asset("leaflet_js", "leaflet", "leaflet/dist/leaflet.js", "js"),
        Asset("leaflet_css", "leaflet", "leaflet/dist/leaflet.css", "css"),
        Asset("leaflet_heat_js", "leaflet.heat", "leaflet.heat/dist/leaflet-heat.js", "js"),
        Asset("swagger_js", "swagger-ui-dist", "swagger-ui-dist/swagger-ui-bundle.js", "js"),
        Asset("swagger_css", "swagger-ui-dist", "swagger-ui-dist/swagger-ui.css", "css"),
        Asset("swagger_favicon", "swagger-ui-dist", "swagger-ui-dist/favicon-32x32.png", "img"),
    ]
}


def assets_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """The folder holding the installed npm packages (not checked; see :func:`check_assets`).

    ``override`` wins, then the environment variable ``PATROLNET_ASSETS_DIR``, then
    ``<repo>/assets/node_modules``.
    """
    if override is not None:
        return Path(override)
    env = os.environ.get(ENV_ASSETS_DIR)
    return Path(env) if env else DEFAULT_ASSETS_DIR


def asset_path(name: str, base: str | os.PathLike[str] | None = None) -> Path:
    """Local file of the asset ``name`` (a key of :data:`ASSETS`)."""
    return assets_dir(base) / _asset(name).path


def asset_url(name: str, prefix: str = "/assets") -> str:
    """URL of the asset ``name`` under the app's static mount ``prefix``."""
    return f"{prefix.rstrip('/')}/{_asset(name).path}"


def check_assets(base: str | os.PathLike[str] | None = None) -> Path:
    """Return the assets dir when every file of :data:`ASSETS` is there.

    Raises
    ------
    AssetsMissingError
        Naming the missing files and the fix (``make assets``).
    """
    root = assets_dir(base)
    missing = [a.path for a in ASSETS.values() if not (root / a.path).is_file()]
    if missing:
        raise AssetsMissingError(
            f"map assets are not installed: run `make assets` (npm ci in assets/); "
            f"missing under {root}: {', '.join(missing)}"
            + (f" (or fix {ENV_ASSETS_DIR})" if os.environ.get(ENV_ASSETS_DIR) else "")
        )
    return root


def _asset(name: str) -> Asset:
    try:
        return ASSETS[name]
    except KeyError:
        raise AssetsMissingError(
            f"unknown asset {name!r}; known: {', '.join(sorted(ASSETS))}"
        ) from None


# -- the off-host guard -----------------------------------------------------------------------
# Absolute URLs are rare in a page, so find them first (fast even on multi-megabyte pages with
# embedded GeoJSON) and then look at what stands just before each one.
_CANDIDATE_RE = re.compile(r"//|\b(?:https?|wss?|ftp):(?!//)", re.IGNORECASE)
_SCHEME_BEFORE_RE = re.compile(r"[a-z][a-z0-9+.-]*:$", re.IGNORECASE)
_URL_REST_RE = re.compile(r"""[^\s"'`<>()\\]*""")
_LOADER_BEFORE_RE = re.compile(
    r"""(?:(?<![\w-])(?:src|href|srcset|action|poster|data|formaction|xlink:href)\s*=\s*["']?
        |url\(\s*["']?
        |@import\s+(?:url\(\s*)?["']?
        |(?:L\.tileLayer(?:\.wms)?|fetch|import|importScripts|new\s+Worker|new\s+EventSource
           |new\s+WebSocket)\s*\(\s*["'`])$""",
    re.IGNORECASE | re.VERBOSE,
)
_SRCSET_BEFORE_RE = re.compile(r"""srcset\s*=\s*["'][^"'<>]*,\s*$""", re.IGNORECASE)
_LOCAL_SCHEMES = ("data:", "blob:", "about:", "javascript:", "mailto:", "#")


def _host(url: str) -> str:
    rest = re.sub(r"^\s*(?:[a-z][a-z0-9+.-]*:)?//", "", url, flags=re.IGNORECASE)
    host = re.split(r"[/?#]", rest, maxsplit=1)[0].rsplit("@", 1)[-1]
    if host.startswith("["):  # IPv6 literal
        return host.split("]", 1)[0] + "]"
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _is_off_host(url: str, allowed_hosts: Iterable[str]) -> bool:
    u = url.strip()
    if not u or u.lower().startswith(_LOCAL_SCHEMES):
        return False
    if "//" not in u[:12]:  # "http:foo" without slashes still leaves the host
        return bool(re.match(r"^(?:https?|wss?|ftp):", u, re.IGNORECASE))
    return _host(u).lower() not in {h.lower() for h in allowed_hosts}


def find_off_host_urls(html: str, *, allowed_hosts: Iterable[str] = ()) -> list[str]:
    """Every URL in ``html`` that the browser would load from another host: ``src=``, ``href=``,
    ``srcset=``, CSS ``url()`` and ``@import``, ``L.tileLayer(...)``, ``fetch(...)``, workers.
    Relative, ``data:`` and ``blob:`` URLs are local; ``allowed_hosts`` lists extra local hosts."""
    allowed = tuple(allowed_hosts)
    found: list[str] = []
    for m in _CANDIDATE_RE.finditer(html):
        start = m.start()
        if m.group(0) == "//":
            scheme = _SCHEME_BEFORE_RE.search(html, max(0, start - 20), start)
            start = scheme.start() if scheme else start
        rest = _URL_REST_RE.match(html, m.end())
        url = html[start: rest.end() if rest else m.end()]
        before = html[max(0, start - 300): start]
        if not (_LOADER_BEFORE_RE.search(before[-80:]) or _SRCSET_BEFORE_RE.search(before)):
            continue
        if _is_off_host(url, allowed):
            found.append(url)
    return list(dict.fromkeys(found))


def assert_offline_html(html: str, *, what: str = "page", allowed_hosts: Iterable[str] = ()) -> str:
    """Return ``html`` unchanged when it loads nothing from another host.

    Raises
    ------
    OffHostURLError
        Listing the off-host URLs; police networks are offline, so serve the file locally.
    """
    bad = find_off_host_urls(html, allowed_hosts=allowed_hosts)
    if bad:
        shown = ", ".join(bad[:10]) + (f" and {len(bad) - 10} more" if len(bad) > 10 else "")
        raise OffHostURLError(
            f"{what} refers to off-host URL(s) {shown}; police networks are offline: "
            f"serve the file from assets/ (see app/assets.py) instead"
        )
    return html
