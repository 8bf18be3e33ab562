"""The patrolnet web app: overview map page, GeoJSON API and local Swagger UI."""

from app.web.main import create_app, create_app_from_env

__all__ = ["create_app", "create_app_from_env"]
