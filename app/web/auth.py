"""Who is asking, and may they: sign-in, sessions and tokens, CSRF, the access rule of every route,
and each user's view of the data.

* Every route has one rule in :data:`ROUTE_POLICY` (a permission of :data:`app.storage.access.PERMISSIONS`,
  :data:`PUBLIC` or :data:`SIGNED_IN`); the app-wide dependency :func:`authenticate` applies it. A
  route missing from the table is refused (fail closed) and a test checks that none is missing.
* Browsers sign in on ``/login`` and get an HttpOnly, SameSite=Strict session cookie; every
  state-changing request made with the cookie must carry the session's CSRF token in
  ``X-CSRF-Token`` (the pages' script adds it). Scripts get a bearer token from
  ``POST /api/v1/auth/token``; bearer requests need no CSRF token (browsers never add the header
  on their own).
* The data a route sees come from :class:`ScopedState`: the app state as the signed-in user may see
  it (:class:`app.storage.access.ScopedWorkspace`), cached per scope, so a station user's pages, figures,
  layers and heat points hold only its own jurisdiction.
"""

from __future__ import annotations

import hmac
import logging
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import limits
from fastapi import Request
from limits.storage import MemoryStorage, Storage
from limits.strategies import MovingWindowRateLimiter

from app.i18n import normalize_lang, t
from app.storage.access import ForbiddenError, Principal, ScopedWorkspace
from app.web.state import AppState
from geo.errors import PlannerError
from app.storage.users import Session

__all__ = [
    "COOKIE",
    "CSRF_HEADER",
    "LINK_COOKIE",
    "EXPORT_JOB_KINDS",
    "JOB_POLICY",
    "LoginLimiter",
    "NotSignedInError",
    "PAGE_ROUTES",
    "PUBLIC",
    "ROUTE_POLICY",
    "SIGNED_IN",
    "STATION_JOB_KINDS",
    "ScopedState",
    "TooManyAttemptsError",
    "as_principal",
    "audit",
    "authenticate",
    "landing",
    "nav_pages",
]

COOKIE = "pn_session"
#: The cookie of a one-shift link (``/m/s/<secret>``): the phone carries one unit's plan without an account.
LINK_COOKIE = "pn_shift"
LOGIN_CSRF_COOKIE = "pn_login_csrf"
CSRF_HEADER = "X-CSRF-Token"
PUBLIC = "public"
SIGNED_IN = "signed_in"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

#: The permission that job kinds need (``POST /api/v1/jobs/{kind}``).
JOB_POLICY: dict[str, str] = {
    "routes": "plan", "camera_gaps": "plan", "camera_site": "site", "backtest": "analyse", "report": "analyse",
    "hotspots": "analyse_write", "forecast": "analyse_write", "grid": "change_data", "split": "change_data",
    "import": "change_data", "categories": "change_data",
}
#: Job kinds whose outputs are routes or gap lists: their files need the ``export`` permission.
EXPORT_JOB_KINDS = frozenset({"routes", "camera_gaps", "camera_site"})
#: Job kinds a station user may run, cut to its jurisdiction.
STATION_JOB_KINDS = frozenset({"routes", "camera_gaps"})

#: Route name -> the permission it needs. Pages and API alike; nothing is open by omission.
ROUTE_POLICY: dict[str, str] = {
    # sign-in
    "login_page": PUBLIC, "login": PUBLIC, "issue_token": PUBLIC, "healthz": PUBLIC,
    "logout": SIGNED_IN, "revoke_token": SIGNED_IN, "me": SIGNED_IN, "change_password": SIGNED_IN,
    "page_account": SIGNED_IN,
    # pages
    "overview": "view", "page_hotspots": "view", "page_coverage": "view", "page_routes": "plan",
    "page_cameras": "export", "page_reports": "analyse", "page_data": "change_data", "page_users": "manage_users",
    "page_audit": "view_audit", "swagger_ui": "view", "openapi": "view",
    # data
    "workspace_info": "view", "list_categories": "view", "list_layers": "view", "get_layer": "view", "tile": "view",
    "vector_tile": "view",
    "headline": "view", "ranking": "view", "models": "view", "monthly": "view", "points": "view",
    "watchlist": "view", "search": "view", "station_report": "view",
    # the officer's phone page: the unit's plan, its track in (an officer: its own unit only)
    "page_phone": "field", "phone_sw": PUBLIC, "field_units": "field", "field_plan": "field",
    "field_tracks": "field", "field_dosage": "export", "field_coverage": "export",
    # one-shift links: made and revoked by planners, opened by a phone (the secret is the credential)
    "open_link": PUBLIC, "list_links": "plan", "make_links": "plan", "revoke_link": "plan",
    # jobs
    "list_jobs": "view", "get_job": "view", "get_job_file": "view",
    **{f"submit_{kind}": perm for kind, perm in JOB_POLICY.items() if kind != "import"},
    "import_upload": "change_data", "list_reports": "analyse",
    # durable records: shift plans and the other outputs
    "list_plans": "view", "list_records": "view", "get_plan": "view", "submit_plan": "plan",
    "approve_plan": "approve", "get_plan_file": "export",
    # administration
    "audit_log": "view_audit", "list_users": "manage_users", "add_user": "manage_users",
    "change_user": "manage_users", "reset_password": "manage_users", "remove_user": "manage_users",
}
#: Routes answering HTML: signed-out visitors are sent to the login page, refusals get a page.
PAGE_ROUTES = frozenset({"overview", "page_account", "page_phone", "page_hotspots", "page_coverage", "page_routes", "page_cameras",
                         "page_reports", "page_data", "page_users", "page_audit", "swagger_ui"})
#: Nav key -> route name (the nav bar shows a user only the pages they may open).
_NAV_ROUTES = {"dashboard": "overview", "hotspots": "page_hotspots", "coverage": "page_coverage",
               "routes": "page_routes", "cameras": "page_cameras", "reports": "page_reports", "data": "page_data",
               "users": "page_users", "audit": "page_audit", "api": "swagger_ui"}


def nav_pages(principal: Principal) -> list[str]:
    """The nav keys of the pages ``principal`` may open."""
    return [k for k, route in _NAV_ROUTES.items() if principal.can(ROUTE_POLICY[route])]


def landing(principal: Principal) -> str:
    """Where a user lands after signing in: the dashboard, or (an officer) the phone page."""
    return "/" if principal.can(ROUTE_POLICY["overview"]) else "/m/"


def as_principal(user: Any) -> Principal:
    """The signed-in :class:`app.storage.users.User` as the access rules see it."""
    return Principal(user.username, user.role, user.station_id, user.display_name, user.demo, user.unit_id)


class NotSignedInError(PlannerError):
    """No valid session or token: sign in (401; pages redirect to the login page)."""


class TooManyAttemptsError(PlannerError):
    """Too many failed sign-ins from this client or for this user (429)."""

    def __init__(self, message: str, retry_after_s: int):
        super().__init__(message)
        self.retry_after_s = retry_after_s


class CSRFError(ForbiddenError):
    """A state-changing request made with the session cookie lacks the page's CSRF token (403)."""


class LoginLimiter:
    """Counts failed sign-ins per client address and per (address, user name) in a moving window
    (in ``storage``: :class:`app.storage.ratelimit.SqliteStorage` when several processes serve)."""

    def __init__(self, per_user: str = "5/5 minutes", per_client: str = "20/5 minutes", *,
                 storage: Storage | None = None):
        # the app passes the workspace's shared counters (every worker process counts the same failures)
        self._limiter = MovingWindowRateLimiter(storage if storage is not None else MemoryStorage())
        self._user = limits.parse(per_user)
        self._client = limits.parse(per_client)

    def _keys(self, client: str, username: str) -> list[tuple[Any, str]]:
        return [(self._client, f"c:{client}"), (self._user, f"u:{client}:{username.strip().lower()}")]

    def check(self, client: str, username: str, lang: str) -> None:
        """Raise :class:`TooManyAttemptsError` when either budget of failures is spent."""
        for item, key in self._keys(client, username):
            if not self._limiter.test(item, key):
                reset = self._limiter.get_window_stats(item, key).reset_time
                wait = max(1, int(reset - time.time()) + 1)
                raise TooManyAttemptsError(t("auth.too_many", lang, seconds=wait), wait)

    def reset(self) -> None:
        """Forget every failure counted (the administrator's fresh start)."""
        self._limiter.storage.reset()

    def failed(self, client: str, username: str) -> None:
        for item, key in self._keys(client, username):
            self._limiter.hit(item, key)


# -- the user's view of the state -------------------------------------------------------------------------
class _ScopedCache:
    def __init__(self, cache: Any, scope: str):
        self._cache, self._scope = cache, scope

    def get_or_make(self, key: Any, make: Any) -> Any:
        return self._cache.get_or_make((self._scope, *key) if isinstance(key, tuple) else (self._scope, key), make)

    def clear(self) -> None:
        self._cache.clear()


class ScopedState:
    """:class:`AppState` as ``principal`` may see it: the same settings, tiles and jobs; the
    workspace cut to the user's jurisdiction; caches keyed by the user's scope."""

    def __init__(self, base: AppState, principal: Principal):
        self.base = base
        self.principal = principal
        self.settings = base.settings
        self.tiles = base.tiles
        self.jobs = base.jobs
        self.users = base.users
        self.maps = _ScopedCache(base.maps, principal.scope_key)
        self.data = _ScopedCache(base.data, principal.scope_key)

    def version(self) -> tuple[int, int, int]:
        return self.base.version()

    def cached(self, *key: object, make: Any) -> Any:
        return self.base.cached(self.principal.scope_key, *key, make=make)

    def cached_view(self, *key: object, make: Any) -> Any:
        return self.base.cached_view(self.principal.scope_key, *key, make=make)

    def workspace(self) -> ScopedWorkspace:
        # one view per workspace version and scope: it keeps the station's area and counts
        return self.base.cached("scoped-workspace", self.principal.scope_key,
                                make=lambda: ScopedWorkspace(self.base.workspace(), self.principal))


# -- authentication -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Authenticated:
    principal: Principal
    session: Session
    via_cookie: bool


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _lang(request: Request, state: AppState) -> str:
    return normalize_lang(request.query_params.get("lang"), state.settings.default_lang)


def _session(request: Request, state: AppState, lang: str) -> Authenticated:
    header = request.headers.get("authorization")
    # the idle limit holds for browser sessions however their secret is sent (tokens have none)
    idle = timedelta(minutes=state.settings.session_idle_minutes)
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise NotSignedInError(t("auth.bad_header", lang))
        session = state.users.session(token.strip(), idle=idle)
        via_cookie = False
    else:
        token = request.cookies.get(COOKIE, "")
        session = state.users.session(token, idle=idle) if token else None
        via_cookie = True
        if session is not None and session.kind != "session":
            session = None
        if session is None and request.cookies.get(LINK_COOKIE):  # a phone opened with a one-shift link
            session = state.users.link_session(request.cookies[LINK_COOKIE])
    if session is None:
        raise NotSignedInError(t("auth.sign_in" if not header and not request.cookies.get(COOKIE)
                                 and not request.cookies.get(LINK_COOKIE) else "auth.expired", lang))
    return Authenticated(as_principal(session.user), session, via_cookie)


def _same_origin(request: Request) -> bool:
    """A browser's Origin (or Referer) names this host, or the request has neither (not a browser)."""
    origin = request.headers.get("origin") or request.headers.get("referer")
    if not origin or origin == "null":
        return origin is None
    host = request.headers.get("host", "")
    return urlsplit(origin).netloc == host


async def authenticate(request: Request) -> Principal | None:
    """The app-wide dependency: apply the route's rule from :data:`ROUTE_POLICY`.

    Run on the event loop (no thread of its own: it runs for every request, and its session lookup
    is one indexed read on a kept connection, a write at most once a minute per session), as the
    other dependencies of :mod:`app.web.deps` are.

    Returns the signed-in user (``None`` on a public route) and keeps it in ``request.state``.

    Raises
    ------
    NotSignedInError
        No valid session or token (401).
    ForbiddenError
        The user's role lacks the route's permission, a cookie request lacks the CSRF token, or the
        route has no rule (403).
    """
    state: AppState = request.app.state.patrolnet
    route = request.scope.get("route")
    name = getattr(route, "name", None)
    rule = ROUTE_POLICY.get(str(name))
    lang = _lang(request, state)
    if rule is None:
        raise ForbiddenError(f"route {name!r} has no access rule: refused (add it to app.web.auth.ROUTE_POLICY)")
    if rule == PUBLIC:
        return None
    auth = _session(request, state, lang)
    request.state.principal = auth.principal
    request.state.session = auth.session
    if auth.via_cookie and request.method not in _SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER, "")
        if not sent or not hmac.compare_digest(sent, auth.session.csrf) or not _same_origin(request):
            raise CSRFError(t("auth.csrf", lang))
    if rule != SIGNED_IN and not auth.principal.can(rule):
        raise ForbiddenError(t("auth.forbidden", lang, role=t(f"role.{auth.principal.role}", lang),
                               what=t(f"perm.{rule}", lang)))
    return auth.principal


def principal_of(request: Request) -> Principal | None:
    return getattr(request.state, "principal", None)


def actor_of(request: Request) -> str:
    """The audit log's actor for a web request: ``web:<user name>``."""
    p = principal_of(request)
    return f"web:{p.username}" if p is not None else f"web:anonymous@{client_address(request)}"


def audit(request: Request, action: str, target: str | None = None, *, actor: str | None = None,
          strict: bool = False, **details: Any) -> None:
    """Record a web action in the workspace's audit log: by ``actor`` (default: the request's user,
    :func:`actor_of`), on ``target`` (default: the workspace file). Best effort unless ``strict``:
    an unwritable log is logged by the server, and the request it records is not refused."""
    settings = request.app.state.patrolnet.settings
    try:
        request.app.state.patrolnet.store().audit().record(
            actor=actor or actor_of(request), action=action,
            target=(settings.workspace_path.name if settings.is_file else settings.workspace_name)
            if target is None else target, details=details)
    except Exception:
        if strict:
            raise
        logging.getLogger(__name__).warning("could not write the audit log (%s %s)", action, target, exc_info=True)
