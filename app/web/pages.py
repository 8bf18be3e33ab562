"""The overview page's content: workspace summary, layer counts and the embedded map."""

from __future__ import annotations

from dataclasses import dataclass

from app.assets import check_assets
from app.i18n import layer_label, other_lang, t
from app.maps import MapParts, map_parts, overview_map
from app.web.state import AppState

__all__ = ["LayerRow", "OverviewPage", "overview_page"]


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
    """Build (or take from the cache, keyed on the workspace file's version) the overview."""
    settings = state.settings
    check_assets(settings.assets_dir)
    key = ("overview", state.version(), lang, settings.asset_url_prefix)

    def make() -> OverviewPage:
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

    page = state.maps.get_or_make(key, make)
    assert isinstance(page, OverviewPage)
    return page
