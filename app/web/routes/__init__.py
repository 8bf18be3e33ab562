"""One router per resource."""

from app.web.routes import docs, health, layers, overview, tiles, workspace

__all__ = ["docs", "health", "layers", "overview", "tiles", "workspace"]
