from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header
from fastapi.responses import HTMLResponse

from app.web.deps import LangDep, StateDep
from app.web.pages import overview_gzip, overview_html

router = APIRouter(tags=["pages"])


@router.get("/", response_class=HTMLResponse, summary="Dashboard: headline figures, ranking, the overview map")
def overview(
    state: StateDep, lang: LangDep,
    accept_encoding: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> HTMLResponse:
    headers = {"Content-Language": lang, "Vary": "Accept-Encoding"}
    if accept_encoding and "gzip" in accept_encoding:
        return HTMLResponse(overview_gzip(state, lang), headers={**headers, "Content-Encoding": "gzip"})
    return HTMLResponse(overview_html(state, lang), headers=headers)
