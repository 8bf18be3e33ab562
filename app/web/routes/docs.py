from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse

from app.assets import asset_url, assert_offline_html, check_assets
from app.i18n import t
from app.web.pages import STATIC_PREFIX
from app.web.deps import LangDep, SettingsDep

router = APIRouter(include_in_schema=False)


@router.get("/docs", response_class=HTMLResponse)
def swagger_ui(settings: SettingsDep, lang: LangDep) -> HTMLResponse:
    check_assets(settings.assets_dir)
    prefix = settings.asset_url_prefix
    page = get_swagger_ui_html(
        openapi_url="/openapi.json",
        title=t("docs.title", lang),
        swagger_js_url=asset_url("swagger_js", prefix),
        swagger_css_url=asset_url("swagger_css", prefix),
        swagger_favicon_url=asset_url("swagger_favicon", prefix),
        swagger_ui_parameters={"validatorUrl": None},
    )
    html = bytes(page.body).decode("utf-8").replace(
        "</body>", f'<script src="{STATIC_PREFIX}/docs.js"></script>\n</body>')
    assert_offline_html(html, what="API docs page")
    return HTMLResponse(html)


@router.get("/openapi.json", name="openapi")
def openapi(request: Request) -> JSONResponse:
    """The OpenAPI schema (with the bearer-token scheme, so that Swagger's Authorize button works)."""
    schema: dict[str, Any] = request.app.openapi()
    return JSONResponse(schema)
