"""One router per resource."""

from app.web.routes import (
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
    workspace,
)

__all__ = ["docs", "health", "imports", "incidents", "jobs", "layers", "overview", "pages", "reports",
           "stats", "tiles", "workspace"]
