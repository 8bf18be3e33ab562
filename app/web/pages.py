"""The overview page: workspace summary, layer counts and the embedded map, rendered to HTML.

The finished page is cached per (workspace file version, language): a workspace replaced on disk
(writes are atomic) yields a new version and so a fresh page.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import jinja2

from app.assets import assert_offline_html, check_assets
from app.i18n import layer_label, other_lang, t
from app.maps import MapParts, map_parts, overview_map
from app.web.state import AppState

__all__ = ["LayerRow", "OverviewPage", "overview_html", "overview_page"]

_TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).resolve().parent / "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)


@dataclass(frozen=True)
class LayerRow:
    name: str
    label: str
    geometry_type: str | None
    features: int


@dataclass(frozen=True)
class OverviewPage:
    lang: str
    other_lang: str
    title: str
    workspace_name: str
    crs: str
    timezone: str
    layers: tuple[LayerRow, ...]
    map: MapParts


def overview_page(state: AppState, lang: str) -> OverviewPage:
    """The page's content (reads the workspace and builds the map)."""
    settings = state.settings
    ws = state.workspace()
    info = ws.info()
    tiles = state.tiles
    m = overview_map(
        ws,
        lang=lang,
        asset_url_prefix=settings.asset_url_prefix,
        tile_url=tiles.url_template if tiles else None,
        tile_attribution=tiles.attribution if tiles else "",
        tile_max_zoom=tiles.max_zoom if tiles else None,
    )
    return OverviewPage(
        lang=lang,
        other_lang=other_lang(lang),
        title=t("app.title", lang),
        workspace_name=ws.name,
        crs=info.crs,
        timezone=info.timezone,
        layers=tuple(
            LayerRow(li.name, layer_label(li.name, lang), li.geometry_type, li.features)
            for li in info.layers
        ),
        map=map_parts(m),
    )


def overview_html(state: AppState, lang: str) -> str:
    """The finished overview page (cached; checked to load nothing from another host)."""
    check_assets(state.settings.assets_dir)
    key = ("overview", state.version(), lang, state.settings.asset_url_prefix)

    def make() -> str:
        page = overview_page(state, lang)
        html = _TEMPLATES.get_template("overview.html").render(
            page=page, tr=lambda key, **kw: t(key, lang, **kw)
        )
        return assert_offline_html(html, what="overview page")

    html = state.maps.get_or_make(key, make)
    assert isinstance(html, str)
    return html
