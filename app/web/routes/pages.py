"""The map and table pages (the dashboard is :mod:`app.web.routes.overview`)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from app.web.deps import LangDep, StateDep
from app.web.pages import page_html

router = APIRouter(tags=["pages"])


def _page(name: str, summary: str) -> None:
    def show(state: StateDep, lang: LangDep) -> HTMLResponse:
        return HTMLResponse(page_html(state, name, lang), headers={"Content-Language": lang})

    router.add_api_route(f"/{name}", show, methods=["GET"], response_class=HTMLResponse,
                         summary=summary, name=f"page_{name}")


_page("hotspots", "Hotspot map: density heat, Gi* sub-zones, forecast risk")
_page("coverage", "Coverage map: brigade beats, station areas, grid-team areas, cameras")
_page("routes", "Route planner: plan a shift and download the routes")
_page("cameras", "Camera gaps: the ranked gap list and downloads")
_page("reports", "Monthly reports")
_page("data", "Data import: upload a table, see the per-row report")
_page("users", "User management (administrators): add, change, disable, remove users, set passwords")
_page("audit", "Audit log (commanders, administrators): who did what, when")
_page("account", "Your account: role, jurisdiction, permissions, change your password")
