"""One router per resource; :data:`ALWAYS` lists, in order, those every app includes."""

from app.web.routes import (
    audit,
    auth,
    docs,
    health,
    imports,
    incidents,
    jobs,
    layers,
    overview,
    pages,
    reports,
    stats,
    tiles,
    users,
    workspace,
)

__all__ = ["api_routes", "audit", "auth", "docs", "health", "imports", "incidents", "jobs", "layers", "overview", "pages", "reports",
           "stats", "tiles", "users", "workspace"]

#: The routers every app includes, in this order (``tiles`` only when an MBTiles file is served).
ALWAYS = (auth, users, overview, pages, docs, health, workspace, layers, jobs, stats, incidents, imports, reports, audit)


def api_routes(app: object) -> list:
    """Every :class:`fastapi.routing.APIRoute` of an app or router, included routers walked (FastAPI
    keeps an included router as one lazy entry of ``app.routes``)."""
    from fastapi.routing import APIRoute

    out: list = []
    for route in getattr(app, "routes", []):
        if isinstance(route, APIRoute):
            out.append(route)
        elif hasattr(route, "original_router"):
            out.extend(api_routes(route.original_router))
    return out
