"""One router per resource; :data:`ALWAYS` lists, in order, those every app includes."""

from app.web.openapi import api_routes
from app.web.routes import (
    audit,
    auth,
    docs,
    field,
    forecast,
    health,
    imports,
    incidents,
    jobs,
    layers,
    overview,
    pages,
    plans,
    reports,
    search,
    stats,
    tiles,
    users,
    vector_tiles,
    workspace,
)

__all__ = ["api_routes", "audit", "auth", "docs", "field", "forecast", "health", "imports", "incidents", "jobs", "layers", "overview", "pages", "plans", "reports",
           "search", "stats", "tiles", "users", "vector_tiles", "workspace"]

#: The routers every app includes, in this order (``tiles`` only when an MBTiles file is served).
ALWAYS = (auth, users, overview, pages, docs, health, workspace, layers, vector_tiles, jobs, plans, stats, incidents, forecast, field, search, imports, reports, audit)
