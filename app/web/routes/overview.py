from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from app.assets import assert_offline_html
from app.i18n import t
from app.web.deps import LangDep, StateDep
from app.web.pages import overview_page

router = APIRouter(tags=["pages"])
templates = Jinja2Templates(directory=Path(__file__).resolve().parent.parent / "templates")


@router.get("/", response_class=HTMLResponse, summary="Overview page with the map")
def overview(request: Request, state: StateDep, lang: LangDep) -> HTMLResponse:
    page = overview_page(state, lang)
    response = templates.TemplateResponse(
        request, "overview.html", {"page": page, "tr": lambda key, **kw: t(key, lang, **kw)}
    )
    assert_offline_html(bytes(response.body).decode("utf-8"), what="overview page")
    response.headers["Content-Language"] = lang
    return response
