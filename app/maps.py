"""The overview map: a folium (Leaflet) map of a workspace that works without the internet, as one
standalone HTML file (:func:`render_map_html`). The web dashboard no longer embeds it: its script
(``app/web/static/dashboard.js``) draws the same layers, with this module's colours
(:data:`STYLE`, :data:`STATION_COLORS`) and road classes (:data:`MAIN_ROAD_CLASSES`), from the
layers API for the current view.

There is no tile layer by default: the district's own vector layers (roads, jurisdictions,
neighborhoods) are the base map, drawn on a Leaflet canvas so ten thousands of road segments stay
responsive. Leaflet and its heat plugin are loaded from the app's ``/assets`` mount (see
:mod:`app.assets`); folium's CDN defaults (jQuery, Bootstrap, Font Awesome) are dropped on the map
instance. Layers are read in the workspace's working CRS and reprojected to WGS84 only here.
"""

from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import MacroElement
from folium.plugins import HeatMap
from folium.template import Template

from app.assets import asset_url, assert_offline_html
from app.i18n import category_label, normalize_lang, t
from app.storage.workspace import Workspace

__all__ = [
    "MAIN_ROAD_CLASSES",
    "MapParts",
    "heat_options",
    "incident_window",
    "map_parts",
    "overview_map",
    "render_map_html",
    "road_class",
    "roads_for_map",
]

WGS84 = "EPSG:4326"
#: OSM highway values drawn as main roads (街面主干道) on the maps. A drawing style, not the planning
#: rule: it adds tertiary roads to :data:`geo.schema.MAIN_HIGHWAYS` (the brigade's main roads, which
#: the split, the reports and the planner use) so that the map reads like a street map.
MAIN_ROAD_CLASSES = frozenset(
    {"motorway", "trunk", "primary", "secondary", "tertiary"}
    | {f"{h}_link" for h in ("motorway", "trunk", "primary", "secondary", "tertiary")}
)
#: Colours of the layers (also used by the legend).
STYLE = {
    "boundary": "#37474f",
    "roads_main": "#e8772e",
    "roads_local": "#9e9e9e",
    "neighborhoods": "#8e24aa",
    "model": "#f9a825",
    "cameras": "#1565c0",
    "incidents": "#d32f2f",
    "station_site": "#0d47a1",
}
STATION_COLORS = (
    "#4e79a7", "#59a14f", "#f28e2b", "#76b7b2", "#edc948",
    "#b07aa1", "#ff9da7", "#9c755f", "#e15759", "#bab0ac",
)
_COORD_DECIMALS = 6  # ~0.1 m: more than enough for a screen
MAX_ZOOM = 22


# -- data preparation (pure, tested) ----------------------------------------------------------
def road_class(highway: object) -> str:
    """``"main"`` or ``"local"`` for an OSM highway tag (lists such as "['primary', 'service']"
    count as main when any part is main)."""
    if highway is None or (isinstance(highway, float) and np.isnan(highway)):
        return "local"
    parts = re.findall(r"[a-z_]+", str(highway).lower())
    return "main" if any(p in MAIN_ROAD_CLASSES for p in parts) else "local"


def roads_for_map(edges: gpd.GeoDataFrame, *, tolerance_m: float = 2.0) -> gpd.GeoDataFrame:
    """Road edges made light enough to draw: each two-way street once, simplified, grouped.

    Directed edges u->v and v->u of a two-way street (same length) collapse into one; geometries
    are simplified by ``tolerance_m`` (working CRS metres) and merged into one MultiLineString per
    (class, street name). Returns columns ``road_class``, ``name``, ``geometry`` in the input CRS.
    """
    if edges.empty:
        return gpd.GeoDataFrame({"road_class": [], "name": []}, geometry=[], crs=edges.crs)
    e = edges
    u = e["u"].to_numpy()
    v = e["v"].to_numpy()
    length = (e["length_m"] if "length_m" in e else e.geometry.length).to_numpy(dtype=float)
    key = pd.DataFrame({"a": np.minimum(u, v), "b": np.maximum(u, v), "l": np.round(length, 1)})
    keep = ~key.duplicated().to_numpy()
    e = e.loc[keep]
    names = e["name"] if "name" in e else pd.Series("", index=e.index)
    names = names.fillna("").astype(str).str.strip()
    classes = (e["highway"] if "highway" in e else pd.Series(None, index=e.index)).map(road_class)
    geoms = shapely.simplify(e.geometry.to_numpy(), tolerance_m, preserve_topology=False)
    frame = pd.DataFrame({"road_class": classes.to_numpy(), "name": names.to_numpy(), "g": geoms})
    frame = frame[~shapely.is_empty(frame["g"].to_numpy())]
    rows = []
    for (cls, name), grp in frame.groupby(["road_class", "name"], sort=True):
        parts = shapely.get_parts(grp["g"].to_numpy())
        rows.append((cls, name, shapely.multilinestrings(parts)))
    return gpd.GeoDataFrame(
        {"road_class": [r[0] for r in rows], "name": [r[1] for r in rows]},
        geometry=[r[2] for r in rows],
        crs=edges.crs,
    )


def incident_window(
    incidents: pd.DataFrame, *, months: int = 12, end: datetime | pd.Timestamp | None = None
) -> tuple[pd.DataFrame, pd.Timestamp | None, pd.Timestamp | None]:
    """Incidents of the ``months`` months up to ``end`` (default: the newest incident).

    Returns the selected rows and the window's (start, end), both ``None`` when there are none.
    """
    if incidents.empty or "occurred_at" not in incidents:
        return incidents.iloc[0:0], None, None
    when = pd.to_datetime(incidents["occurred_at"])
    stop = pd.Timestamp(end) if end is not None else when.max()
    if stop.tzinfo is None and when.dt.tz is not None:
        stop = stop.tz_localize(when.dt.tz)
    start = stop - pd.DateOffset(months=months)
    sel = (when > start) & (when <= stop)
    return incidents.loc[sel.to_numpy()], start, stop


def heat_options(
    xy_m: np.ndarray,
    extent_wgs84: tuple[float, float, float, float],
    *,
    radius: int = 14,
    blur: int = 12,
    map_px: tuple[int, int] = (1100, 850),
    quantile: float = 0.98,
    floor: float = 3.0,
    max_zoom: int = MAX_ZOOM,
) -> dict[str, float]:
    """Leaflet.heat ``maxZoom`` and ``max`` so the heat does not saturate into one red blob.

    Leaflet.heat sums points into cells of ``(radius + blur) / 2`` pixels, each point weighted
    ``2 ** (zoom - maxZoom)``. At the zoom that fits the district into a ``map_px`` map, ``max``
    is a high quantile of the weighted cell counts (at least ``floor`` incidents), so only the
    densest few cells reach full red and a lone incident does not look like a hotspot.
    ``maxZoom`` stays the map's maximum: Leaflet's layer control greys out an overlay whose
    ``maxZoom`` is below the current zoom. ``xy_m`` are the points in metric (working CRS) units.
    """
    west, south, east, north = extent_wgs84
    lat0 = math.radians((south + north) / 2)
    m_per_px_z0 = 156543.03392 * math.cos(lat0)
    width_m = max((east - west) * 111_320 * math.cos(lat0), 1.0)
    height_m = max((north - south) * 110_540, 1.0)
    fit = min(map_px[0] * m_per_px_z0 / width_m, map_px[1] * m_per_px_z0 / height_m)
    zoom = int(min(max(math.floor(math.log2(fit)), max_zoom - 12), max_zoom))
    weight = 2.0 ** (zoom - max_zoom)
    if len(xy_m) == 0:
        return {"max_zoom": max_zoom, "max": floor * weight}
    cell_m = (radius + blur) / 2 * m_per_px_z0 / 2**zoom
    _, counts = np.unique(np.floor(np.asarray(xy_m) / cell_m), axis=0, return_counts=True)
    return {"max_zoom": max_zoom, "max": float(max(floor, np.quantile(counts, quantile)) * weight)}


# -- helpers ------------------------------------------------------------------------------------
def _esc(value: object) -> str:
    """Text safe inside HTML and inside folium's JS template literals (backticks)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return html.escape(str(value), quote=True).replace("`", "&#96;").replace("$", "&#36;")


def _wgs84(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    out = frame.to_crs(WGS84)
    geoms = shapely.transform(out.geometry.to_numpy(), lambda c: np.round(c, _COORD_DECIMALS))
    return out.set_geometry(gpd.GeoSeries(geoms, index=out.index, crs=WGS84))


def _fc(frame: gpd.GeoDataFrame, props: dict[str, list[Any]] | None = None) -> dict[str, Any]:
    """A GeoJSON FeatureCollection (WGS84) with the given, already escaped, properties."""
    g = _wgs84(frame)
    props = props or {}
    features = []
    for i, geom in enumerate(g.geometry.to_numpy()):
        if geom is None or geom.is_empty:
            continue
        features.append(
            {
                "type": "Feature",
                "properties": {k: vals[i] for k, vals in props.items()},
                "geometry": shapely.geometry.mapping(geom),
            }
        )
    return {"type": "FeatureCollection", "features": features}


def _col(frame: pd.DataFrame, name: str, default: object = "") -> list[Any]:
    if name not in frame:
        return [default] * len(frame)
    return frame[name].tolist()


def _read(ws: Workspace, layer: str, columns: list[str] | None = None) -> gpd.GeoDataFrame | None:
    if not ws.has(layer):
        return None
    frame = ws.read(layer, columns=columns)
    return frame if isinstance(frame, gpd.GeoDataFrame) and len(frame) else None


class Legend(MacroElement):
    """A Leaflet control with coloured swatches (no CSS framework needed)."""

    _template = Template(
        """
        {% macro header(this, kwargs) %}
        <style>
          .pn-legend { background: rgba(255,255,255,.92); padding: 6px 10px; border-radius: 4px;
                       box-shadow: 0 1px 4px rgba(0,0,0,.3); line-height: 1.6; font-size: 12px; }
          .pn-legend b { display: block; margin-bottom: 2px; }
          .pn-legend i { display: inline-block; width: 14px; height: 10px; margin-right: 6px;
                         vertical-align: middle; border-radius: 2px; }
          .pn-legend i.line { height: 3px; }
          .pn-legend i.dot { width: 9px; height: 9px; border-radius: 50%; margin: 0 8px 0 2px; }
          .pn-label { font-weight: bold; }
          .leaflet-heatmap-layer { opacity: 0.7; }
        </style>
        {% endmacro %}
        {% macro script(this, kwargs) %}
        (function () {
            var legend = L.control({position: "bottomright"});
            legend.onAdd = function () {
                var div = L.DomUtil.create("div", "pn-legend");
                div.innerHTML = {{ this.html|tojson }};
                return div;
            };
            legend.addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}
        """
    )

    def __init__(self, title: str, items: list[tuple[str, str, str]]):
        super().__init__()
        self._name = "Legend"
        rows = "".join(
            f'<div><i class="{_esc(shape)}" style="background:{_esc(color)}"></i>{_esc(label)}</div>'
            for label, color, shape in items
        )
        self.html = f"<b>{_esc(title)}</b>{rows}"


# -- the map ------------------------------------------------------------------------------------
def overview_map(
    ws: Workspace,
    *,
    lang: str = "zh-CN",
    asset_url_prefix: str = "/assets",
    tile_url: str | None = None,
    tile_attribution: str = "",
    tile_max_zoom: int | None = None,
    incident_months: int = 12,
    road_tolerance_m: float = 2.0,
) -> folium.Map:
    """The overview map of a workspace.

    Parameters
    ----------
    ws
        The workspace; missing or empty layers are left out.
    lang
        ``"zh-CN"`` (default) or ``"en"`` for layer names, tooltips and the legend.
    asset_url_prefix
        Where the app serves ``assets/node_modules`` (Leaflet is loaded from there).
    tile_url
        Optional local tile URL template (e.g. ``/tiles/{z}/{x}/{y}.png`` from an MBTiles file),
        added as a base layer. No tile layer otherwise.
    incident_months
        Incidents of this many months up to the newest one are shown.
    """
    lang = normalize_lang(lang)
    boundary = _read(ws, "boundary")
    stations = _read(ws, "stations")
    # open on the area of work: the station jurisdictions, else the road network, else the boundary
    # (a district boundary can be far larger than the built-up area the data covers)
    extent_src = stations if stations is not None and len(stations) else None
    if extent_src is None and ws.has("road_nodes") and ws.count("road_nodes"):
        extent_src = ws.read("road_nodes", columns=[])
    if extent_src is None:
        extent_src = boundary
    if extent_src is None:
        info = ws.info()
        extent = info.extent_wgs84 or (114.93, 27.82, 114.93, 27.82)
    else:
        extent = tuple(extent_src.to_crs(WGS84).total_bounds)
    west, south, east, north = (float(v) for v in extent)

    m = folium.Map(
        location=[(south + north) / 2, (west + east) / 2],
        zoom_start=13,
        tiles=None,
        prefer_canvas=True,
        control_scale=True,
        zoom_snap=0.25,
    )
    m.options["max_zoom"] = MAX_ZOOM
    # Only local Leaflet: replace folium's CDN defaults on this instance (not the class).
    m.default_js = [("leaflet", asset_url("leaflet_js", asset_url_prefix))]
    m.default_css = [("leaflet_css", asset_url("leaflet_css", asset_url_prefix))]
    legend: list[tuple[str, str, str]] = []

    if tile_url:
        folium.TileLayer(
            tiles=tile_url,
            attr=tile_attribution or t("map.tiles", lang),
            name=t("map.tiles", lang),
            overlay=False,
            control=True,
            max_native_zoom=tile_max_zoom,
            max_zoom=22,
        ).add_to(m)

    if stations is not None:
        colors = {sid: STATION_COLORS[i % len(STATION_COLORS)]
                  for i, sid in enumerate(_col(stations, "station_id"))}
        names = [_esc(n) for n in _col(stations, "name")]
        data = _fc(stations, {"station_id": _col(stations, "station_id"), "name": names,
                              "color": [colors[s] for s in _col(stations, "station_id")]})
        folium.GeoJson(
            data,
            name=t("map.stations", lang),
            style_function=lambda f: {
                "color": f["properties"]["color"], "weight": 2,
                "fillColor": f["properties"]["color"], "fillOpacity": 0.12,
            },
            interactive=False,
        ).add_to(m)
        legend.append((t("map.stations", lang), STATION_COLORS[0], "area"))
        sites = folium.FeatureGroup(name=t("map.station_sites", lang))
        for x, y, name in zip(_col(stations, "site_x", None), _col(stations, "site_y", None), names):
            if x is None or y is None or pd.isna(x) or pd.isna(y):
                continue
            pt = gpd.GeoSeries(gpd.points_from_xy([x], [y]), crs=ws.crs).to_crs(WGS84).iloc[0]
            folium.CircleMarker(
                [round(pt.y, _COORD_DECIMALS), round(pt.x, _COORD_DECIMALS)],
                radius=6, color="#ffffff", weight=2, fill=True,
                fill_color=STYLE["station_site"], fill_opacity=1,
                tooltip=folium.Tooltip(name, permanent=True, direction="right",
                                       class_name="pn-label"),
            ).add_to(sites)
        sites.add_to(m)
        legend.append((t("map.station_sites", lang), STYLE["station_site"], "dot"))

    if boundary is not None:
        folium.GeoJson(
            _fc(boundary, {"name": [_esc(n) for n in _col(boundary, "name")]}),
            name=t("map.boundary", lang),
            style_function=lambda f: {"color": STYLE["boundary"], "weight": 3, "dashArray": "8 6",
                                      "fill": False},
            interactive=False,
        ).add_to(m)
        legend.append((t("map.boundary", lang), STYLE["boundary"], "line"))

    edges = _read(ws, "road_edges", ["u", "v", "highway", "name", "length_m"])
    if edges is not None:
        roads = roads_for_map(edges, tolerance_m=road_tolerance_m)
        for cls, color, weight in (("local", STYLE["roads_local"], 1.2),
                                   ("main", STYLE["roads_main"], 3.5)):
            part = roads[roads["road_class"] == cls]
            if part.empty:
                continue
            label = t(f"map.roads_{cls}", lang)
            names = [_esc(n) if n else t("field.unnamed", lang) for n in part["name"]]
            folium.GeoJson(
                _fc(part, {"name": names, "road_class": [t(f"road.{cls}", lang)] * len(part)}),
                name=label,
                style_function=lambda f, c=color, w=weight: {"color": c, "weight": w,
                                                              "opacity": 0.9},
                tooltip=folium.GeoJsonTooltip(
                    fields=["name", "road_class"],
                    aliases=[t("field.name", lang), t("field.road_class", lang)],
                ),
                smooth_factor=1.5,
            ).add_to(m)
            legend.append((label, color, "line"))

    hoods = _read(ws, "neighborhoods")
    if hoods is not None:
        model = [bool(k) and not pd.isna(k) for k in _col(hoods, "model_kind", "")]
        kinds = [t(f"neighborhood.{k}", lang) if f"{k}" in ("unit_compound", "enclosed", "open")
                 else _esc(k) for k in _col(hoods, "kind")]
        folium.GeoJson(
            _fc(hoods, {
                "name": [_esc(n) for n in _col(hoods, "name")],
                "kind": kinds,
                "households": [("" if pd.isna(h) else int(h)) for h in _col(hoods, "households", None)],
                "model": ["★" if mk else "" for mk in model],
            }),
            name=t("map.neighborhoods", lang),
            style_function=lambda f: {
                "color": STYLE["model"] if f["properties"]["model"] else STYLE["neighborhoods"],
                "weight": 2 if f["properties"]["model"] else 1,
                "fillColor": STYLE["neighborhoods"], "fillOpacity": 0.18,
            },
            tooltip=folium.GeoJsonTooltip(
                fields=["name", "kind", "households", "model"],
                aliases=[t("field.name", lang), t("field.kind", lang), t("field.households", lang),
                         t("field.model", lang)],
            ),
        ).add_to(m)
        legend.append((t("map.neighborhoods", lang), STYLE["neighborhoods"], "area"))

    cams = _read(ws, "cameras", ["camera_id", "kind", "owner"])
    if cams is not None:
        kinds = [t(f"camera.{k}", lang) if f"camera.{k}" in _CAMERA_KEYS else _esc(k)
                 for k in _col(cams, "kind")]
        folium.GeoJson(
            _fc(cams, {"camera_id": [_esc(c) for c in _col(cams, "camera_id")], "kind": kinds}),
            name=t("map.cameras", lang),
            marker=folium.CircleMarker(radius=3, weight=1, color="#ffffff", fill=True,
                                       fill_color=STYLE["cameras"], fill_opacity=0.9),
            tooltip=folium.GeoJsonTooltip(
                fields=["camera_id", "kind"],
                aliases=[t("field.camera_id", lang), t("field.kind", lang)],
            ),
            show=True,
        ).add_to(m)
        legend.append((t("map.cameras", lang), STYLE["cameras"], "dot"))

    incidents = _read(ws, "incidents", ["occurred_at", "category"])
    if incidents is not None:
        recent, _, _ = incident_window(incidents, months=incident_months)
        if len(recent):
            pts = recent.to_crs(WGS84)
            xy = np.round(shapely.get_coordinates(pts.geometry.to_numpy()), _COORD_DECIMALS)
            scale = heat_options(shapely.get_coordinates(recent.geometry.to_numpy()),
                                 (west, south, east, north), radius=14, blur=12)
            heat = HeatMap(
                [[float(y), float(x)] for x, y in xy],
                name=t("map.incidents_heat", lang),
                radius=14, blur=12, min_opacity=0.25, max_zoom=scale["max_zoom"], max=scale["max"],
            )
            heat.default_js = [("leaflet-heat.js", asset_url("leaflet_heat_js", asset_url_prefix))]
            heat.add_to(m)
            legend.append((t("map.incidents_heat", lang), _HEAT_GRADIENT, "area"))
            when = pd.to_datetime(recent["occurred_at"]).dt.strftime("%Y-%m-%d %H:%M").tolist()
            folium.GeoJson(
                _fc(recent, {
                    "category": [_esc(category_label(c, lang)) for c in _col(recent, "category")],
                    "occurred_at": when,
                }),
                name=t("map.incidents_points", lang),
                marker=folium.CircleMarker(radius=3, weight=0, fill=True,
                                           fill_color=STYLE["incidents"], fill_opacity=0.8),
                tooltip=folium.GeoJsonTooltip(
                    fields=["category", "occurred_at"],
                    aliases=[t("field.category", lang), t("field.occurred_at", lang)],
                ),
                show=False,
            ).add_to(m)
            legend.append((t("map.incidents_points", lang), STYLE["incidents"], "dot"))

    Legend(t("map.legend", lang), legend).add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    m.fit_bounds([[south, west], [north, east]])
    return m


_HEAT_GRADIENT = "linear-gradient(90deg, blue, cyan, lime, yellow, red)"
_CAMERA_KEYS = {f"camera.{k}" for k in ("skynet_pole", "bullet", "dome", "speed")}


@dataclass(frozen=True)
class MapParts:
    """The pieces of a rendered map, for embedding it in a page of one's own."""

    header: str  # <link>/<script>/<style> for <head>
    html: str  # the map <div>
    script: str  # the <script> that builds the map (to place after the div)
    map_id: str


def map_parts(m: folium.Map) -> MapParts:
    """Render ``m`` into head/body/script pieces (checked: nothing loads from another host)."""
    root = m.get_root()
    root.render()
    parts = MapParts(
        header=root.header.render(),
        html=root.html.render(),
        script=root.script.render(),
        map_id=m.get_name(),
    )
    for piece in (parts.header, parts.html, parts.script):
        assert_offline_html(piece, what="overview map")
    return parts


def render_map_html(m: folium.Map) -> str:
    """The map as one standalone HTML document (checked: nothing loads from another host)."""
    out = m.get_root().render()
    return assert_offline_html(out, what="overview map")
