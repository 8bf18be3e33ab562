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
_ATTR_RE = re.compile(
    r"""(?<![\w-])(?:src|href|srcset|action|poster|data|formaction|xlink:href)\s*=\s*
        (?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""",
    re.IGNORECASE | re.VERBOSE,
)
_CSS_URL_RE = re.compile(r"""url\(\s*(?:"([^"]*)"|'([^']*)'|([^)'"]*))\s*\)""", re.IGNORECASE)
_CSS_IMPORT_RE = re.compile(r"""@import\s+(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE)
_JS_LOAD_RE = re.compile(
    r"""(?:L\.tileLayer(?:\.wms)?|fetch|import|importScripts|new\s+Worker|new\s+EventSource|
        new\s+WebSocket)\s*\(\s*(?:"([^"]*)"|'([^']*)'|`([^`]*)`)""",
    re.IGNORECASE | re.VERBOSE,
)
_ABSOLUTE_RE = re.compile(r"^\s*(?:[a-z][a-z0-9+.-]*:)?//", re.IGNORECASE)
_LOCAL_SCHEMES = ("data:", "blob:", "about:", "javascript:", "mailto:", "#")


def _is_off_host(url: str, allowed_hosts: Iterable[str]) -> bool:
    u = url.strip()
    if not u or u.lower().startswith(_LOCAL_SCHEMES):
        return False
    if not _ABSOLUTE_RE.match(u):
        # relative URL, or scheme without '//': only http(s)/ws(s)/ftp are off-host then
        return bool(re.match(r"^(?:https?|wss?|ftp):", u, re.IGNORECASE))
    host = re.sub(r"^\s*(?:[a-z][a-z0-9+.-]*:)?//", "", u, flags=re.IGNORECASE)
    host = re.split(r"[/?#]", host, maxsplit=1)[0].rsplit("@", 1)[-1]
    host = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    return host.lower() not in {h.lower() for h in allowed_hosts}


def find_off_host_urls(html: str, *, allowed_hosts: Iterable[str] = ()) -> list[str]:
    """Every URL in ``html`` (attributes, CSS ``url()``/``@import``, tile layers, ``fetch``)
    that points to another host; relative, ``data:`` and ``blob:`` URLs are local."""
    allowed = tuple(allowed_hosts)
    found: list[str] = []
    for regex in (_ATTR_RE, _CSS_URL_RE, _CSS_IMPORT_RE, _JS_LOAD_RE):
        for m in regex.finditer(html):
            value = next((g for g in m.groups() if g is not None), "")
            candidates = [value]
            if m.group(0).lower().lstrip().startswith("srcset"):
                candidates = [part.strip().split(" ")[0] for part in value.split(",")]
            found += [c for c in candidates if _is_off_host(c, allowed)]
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
