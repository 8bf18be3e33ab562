"""One router per resource."""

from app.web.routes import (
    audit,
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

__all__ = ["audit", "docs", "health", "imports", "incidents", "jobs", "layers", "overview", "pages", "reports",
           "stats", "tiles", "workspace"]
