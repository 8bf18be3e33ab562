from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from app.web.deps import LangDep, StateDep
from app.web.pages import overview_html

router = APIRouter(tags=["pages"])


@router.get("/", response_class=HTMLResponse, summary="Overview page with the map")
def overview(state: StateDep, lang: LangDep) -> HTMLResponse:
    return HTMLResponse(overview_html(state, lang), headers={"Content-Language": lang})
