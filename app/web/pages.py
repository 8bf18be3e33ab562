"""The HTML pages: a shared layout (nav bar, language toggle) around the dashboard (headline figures
and the overview map) and the map/table pages. Every map loads its layers through the JSON API
(``/api/v1/layers/{layer}?bbox``, ``/api/v1/incidents/points``): a page holds its frame, the figures
it shows at once and its map's set-up, never layer data.

The dashboard is cached per (scope, workspace file version, language): a workspace replaced on disk
(writes are atomic) yields a new version and so a fresh page. Every page is checked to load nothing
from another host (:func:`app.assets.assert_offline_html`).
"""

from __future__ import annotations

import datetime as dt
import gzip
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd
from pyproj import Transformer

import app.web.figures as figures  # noqa: PLR0402 - `from app.web import` would import app.web's app: a cycle
import app.web.job_kinds as job_kinds  # noqa: PLR0402 - (its feature switches are looked up when a page is made)
from app.assets import assert_offline_html, asset_url, check_assets
from app.i18n import MESSAGES, category_label, layer_label, other_lang, t
from app.maps import MAIN_ROAD_CLASSES, STATION_COLORS, STYLE
from app.services.categories import workspace_categories
from app.services.params import shift_day
from app.storage.audit import ACTIONS
from app.storage.users import MIN_PASSWORD_LENGTH, ROLES
from app.web.messages import say_error
from app.web.state import AppState
from geo.coords import COORD_SYSTEM_NAMES
from geo.errors import InputError, PlannerError
from geo.jsonsafe import to_jsonable
from geo.categories import GROUPS
from geo.schema import CAMERA_KINDS, NEIGHBORHOOD_KINDS, UNIT_KINDS
from geo.tables import IMPORTABLE_LAYERS
from routing.patrol import PLANNED_UNIT_KINDS

__all__ = [
    "PAGES",
    "LayerRow",
    "NavItem",
    "OverviewPage",
    "login_html",
    "overview_gzip",
    "overview_html",
    "overview_page",
    "page_html",
]

_TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).resolve().parent / "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)
# the pages' configs as UTF-8 text (``tojson`` still escapes <, >, & and ')
_TEMPLATES.policies["json.dumps_kwargs"] = {"sort_keys": True, "ensure_ascii": False}
STATIC_PREFIX = "/static"
#: Pages of the nav bar: key -> path.
NAV: tuple[tuple[str, str], ...] = (
    ("dashboard", "/"), ("hotspots", "/hotspots"), ("coverage", "/coverage"), ("routes", "/routes"),
    ("cameras", "/cameras"), ("reports", "/reports"), ("data", "/data"), ("users", "/users"), ("audit", "/audit"),
    ("api", "/docs"),
)
PAGES = tuple(k for k, _ in NAV if k not in ("dashboard", "api"))
#: The dashboard map shows incidents of this many months up to the newest one.
MAP_INCIDENT_MONTHS = 12
SHIFTS = ("08:00-12:00", "12:00-16:00", "16:00-20:00", "20:00-24:00", "00:00-04:00", "04:00-08:00")


@dataclass(frozen=True)
class NavItem:
    key: str
    label: str
    href: str
    active: bool


@dataclass(frozen=True)
class LayerRow:
    name: str
    label: str
    geometry_type: str | None
    features: int


@dataclass(frozen=True)
class Card:
    """One headline figure: the month and the year to date, each against a year before."""

    key: str
    label: str
    month: dict[str, Any]
    ytd: dict[str, Any]


@dataclass(frozen=True)
class Chart:
    """An inline SVG line chart of monthly counts (this year solid, a year before dashed)."""

    width: int
    height: int
    line: str
    line_last_year: str
    labels: tuple[tuple[float, str], ...]
    ticks: tuple[tuple[float, str], ...]
    dots: tuple[tuple[float, float, str, int], ...]


@dataclass(frozen=True)
class Figures:
    month: str
    month_label: str
    ytd_label: str
    cards: tuple[Card, ...]
    ranking: dict[str, Any] | None
    models: dict[str, Any] | None
    chart: Chart | None


@dataclass(frozen=True)
class OverviewPage:
    lang: str
    other_lang: str
    title: str
    workspace_name: str
    crs: str
    timezone: str
    layers: tuple[LayerRow, ...]
    nav: tuple[NavItem, ...] = ()
    active: str = "dashboard"
    static: str = STATIC_PREFIX
    figures: Figures | None = None
    figures_error: str | None = None
    assets: dict[str, str] = field(default_factory=dict)
    #: The map's set-up for the page's script (JSON): no layer data.
    config: dict[str, Any] = field(default_factory=dict)
    #: A station user's own monthly report (its link), else None.
    station_report: str | None = None


@dataclass(frozen=True)
class Page:
    """A map or table page; its scripts read ``config`` (JSON) and call the API."""

    lang: str
    other_lang: str
    title: str
    heading: str
    workspace_name: str
    active: str
    nav: tuple[NavItem, ...]
    static: str
    assets: dict[str, str]
    config: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)


def _nav(lang: str, active: str) -> tuple[NavItem, ...]:
    return tuple(NavItem(k, t(f"nav.{k}", lang), f"{path}?lang={lang}", k == active) for k, path in NAV)


def _tr(lang: str):
    return lambda key, **kw: t(key, lang, **kw)


# -- dashboard ------------------------------------------------------------------------------------------
def _chart(series: dict[str, Any], lang: str) -> Chart | None:
    months = series["months"]
    values = [m["count"] for m in months]
    last = [m["last_year"] for m in months]
    known = [v for v in values + last if v is not None]
    if not months or not known:
        return None
    w, h, left, right, top, bottom = 320, 120, 30, 8, 8, 20
    top_v = max(known) or 1
    n = len(months)
    x = [left + (w - left - right) * (i / max(n - 1, 1)) for i in range(n)]

    def y(v: float) -> float:
        return round(top + (h - top - bottom) * (1 - v / top_v), 1)

    def pts(vals: list[int | None]) -> str:
        return " ".join(f"{round(xi, 1)},{y(v)}" for xi, v in zip(x, vals) if v is not None)

    labels = tuple((round(x[i], 1), months[i]["month"][5:] if lang == "en" else f"{int(months[i]['month'][5:])}月")
                   for i in range(0, n, max(1, n // 6)))
    ticks = tuple((y(v), f"{v:,}") for v in sorted({0, top_v // 2, top_v}))
    dots = tuple((round(x[i], 1), y(values[i]), months[i]["month"], values[i])
                 for i in range(n) if values[i] is not None)
    return Chart(w, h, pts(values), pts(last), labels, ticks, dots)


def _figures(state: AppState, lang: str) -> Figures:
    head = figures.headline(state, None, lang)
    month = head["month"]
    mon = int(month[5:])
    cards = tuple(Card(f["key"], f["label"], f["month"], f["ytd"]) for f in head["figures"])
    ranking = figures.ranking(state, month, lang, limit=1000)
    models = figures.models(state, month)
    chart = _chart(figures.monthly(state, month, months=12), lang)
    month_label = f"{month[:4]}年{mon}月" if lang == "zh-CN" else dt.date(2000, mon, 1).strftime("%B ") + month[:4]
    return Figures(
        month=month, month_label=month_label,
        ytd_label=t("dash.ytd", lang, m=mon if lang == "zh-CN" else dt.date(2000, mon, 1).strftime("%b")),
        cards=cards, ranking=ranking, models=models, chart=chart,
    )


#: What the dashboard's script says while it loads its layers (zh-CN and English; into ``ui``).
_DASH_UI: dict[str, dict[str, str]] = {
    "dash.loading": {"zh-CN": "正在加载地图图层：{layers}…", "en": "Loading map layers: {layers}…"},
    "dash.offline": {"zh-CN": "无法连接服务器", "en": "the server cannot be reached"},
    "dash.error": {
        "zh-CN": "地图图层“{layer}”加载失败：{detail}。请检查与服务器的连接，然后点击“重试”。",
        "en": "The map layer \"{layer}\" could not be loaded: {detail}. Check the connection to the server, "
              "then click \"Retry\".",
    },
    "dash.retry": {"zh-CN": "重试", "en": "Retry"},
    "dash.zoom_in": {
        "zh-CN": "当前视图要素过多（{layers}），放大地图后显示。",
        "en": "Too many features in this view ({layers}): zoom in to show them.",
    },
}
#: Most features of one layer the dashboard draws for a view; a view holding more asks to zoom in.
#: The demo district (11,425 road edges, 300 neighborhoods, 1,061 cameras, 11,711 incidents of which
#: the points layer shows the last 12 months) fits whole; at 10x its roads show from zoom 14-15, its
#: cameras and neighborhoods one zoom level in (each dashboard opened on the whole 10x district would
#: otherwise cost the server 0.3 s and the network 2.5 MB for them).
VIEW_BUDGET = {"roads": 16_000, "neighborhoods": 2_500, "cameras": 6_000, "incidents": 12_000}
#: What the maps ask the layers API for (``PN.cfg.requests`` in the pages' scripts), and what a web
#: worker makes before it takes requests (:mod:`app.web.warmup`). ``outlines``: whole layers with
#: these query parameters; ``views``: a layer of the dashboard's current view, with these
#: ``properties`` and simplified by ``simplify`` of a screen pixel (0: exact).
MAP_REQUESTS: dict[str, Any] = {
    "outlines": {"stations": {"properties": "name", "simplify_m": 5},
                 "boundary": {"properties": "name", "simplify_m": 5}},
    "views": {"road_edges": {"properties": "highway,name", "simplify": 1},
              "neighborhoods": {"properties": "name,kind,households,model_kind", "simplify": 0.5},
              "cameras": {"properties": "kind", "simplify": 0},
              "incidents": {"properties": "occurred_at,category", "simplify": 0}},
    #: a view's simplification in metres is kept within these bounds
    "simplify_m_range": [0.5, 20.0],
}
#: The zoom levels a view is warmed for: the district fitted on a screen (about 12-13) to street level.
VIEW_ZOOMS = range(12, 19)
_MAP_LABELS = ("stations", "station_sites", "boundary", "roads_local", "roads_main", "neighborhoods", "cameras",
               "incidents_heat", "incidents_points", "tiles", "legend")
_FIELDS = ("name", "road_class", "kind", "households", "model", "category", "occurred_at", "camera_id", "unnamed")


def _station_sites(state: AppState) -> list[dict[str, Any]]:
    """The station buildings (WGS84) with their names: the labels the map shows at once (one per
    station, from ``site_x``/``site_y`` in working-CRS metres)."""
    def make() -> list[dict[str, Any]]:
        ws = figures.scope_view(state)
        if not ws.has("stations") or not ws.count("stations"):
            return []
        st = pd.DataFrame(ws.read("stations")).drop(columns="geometry", errors="ignore")
        if not {"site_x", "site_y"} <= set(st.columns):
            return []
        x = pd.to_numeric(st["site_x"], errors="coerce").to_numpy(dtype=float)
        y = pd.to_numeric(st["site_y"], errors="coerce").to_numpy(dtype=float)
        ok = ~(pd.isna(x) | pd.isna(y))
        if not ok.any():
            return []
        lon, lat = Transformer.from_crs(ws.crs, "EPSG:4326", always_xy=True).transform(x[ok], y[ok])
        names = st["name"] if "name" in st.columns else st["station_id"]
        return [{"station_id": str(sid), "name": "" if pd.isna(n) else str(n),
                 "lat": round(float(la), 6), "lon": round(float(lo), 6)}
                for sid, n, lo, la in zip(st["station_id"][ok], names[ok], lon, lat)]
    return state.cached("dashboard-sites", make=make)


def heat_window(state: AppState) -> dict[str, str] | None:
    """The incident heat's days: the 12 months up to the newest incident (whole days, inclusive)."""
    def make() -> dict[str, str] | None:
        frame = figures.incident_frame(state)
        if not len(frame):
            return None
        newest = pd.Timestamp(pd.to_datetime(frame["occurred_at"]).max())
        if newest.tzinfo is not None:
            newest = newest.tz_convert(state.workspace().timezone)
        first = (newest.normalize() - pd.DateOffset(months=MAP_INCIDENT_MONTHS) + pd.Timedelta(days=1)).date()
        return {"start": first.isoformat(), "end": newest.date().isoformat()}
    return state.cached("dashboard-heat-window", make=make)


def _dashboard_config(state: AppState, lang: str) -> dict[str, Any]:
    """The dashboard map's set-up: where to look, what to call and colour things, how much to draw;
    its layers come from the API (``/api/v1/layers/...``, ``/api/v1/incidents/points``)."""
    tiles = state.tiles
    ui = {k: v[lang] for k, v in _DASH_UI.items()}
    table = workspace_categories(state.workspace())  # the built-in categories and the workspace's own
    return {
        **_common_config(state, lang),
        "ui": {**_ui_strings(lang), **ui},
        "timezone": state.workspace().timezone,
        "map": {
            "labels": {k: t(f"map.{k}", lang) for k in _MAP_LABELS},
            "fields": {k: t(f"field.{k}", lang) for k in _FIELDS},
            "road_labels": {k: t(f"road.{k}", lang) for k in ("main", "local")},
            "road_edges_label": layer_label("road_edges", lang),
            "main_road_classes": sorted(MAIN_ROAD_CLASSES),
            "categories": {c: category_label(c, lang, table) for c in table},
            "camera_kinds": {k: t(f"camera.{k}", lang) for k in CAMERA_KINDS},
            "neighborhood_kinds": {k: t(f"neighborhood.{k}", lang) for k in NEIGHBORHOOD_KINDS},
            "style": STYLE,
            "station_colors": list(STATION_COLORS),
            "sites": _station_sites(state),
            "heat_window": heat_window(state),
            "budget": VIEW_BUDGET,
            "tiles": ({"url": tiles.url_template, "attribution": tiles.attribution or t("map.tiles", lang),
                       "max_native_zoom": tiles.max_zoom} if tiles else None),
        },
    }


def _station_report_link(state: AppState, lang: str) -> str | None:
    """A station user's link to its own station's monthly report (``GET /api/v1/reports/station``)."""
    principal = getattr(state, "principal", None)
    if principal is None or not principal.scoped:
        return None
    return f"/api/v1/reports/station?format=html&lang={lang}"


def overview_page(state: AppState, lang: str) -> OverviewPage:
    """The dashboard's content: the figures it shows at once and its map's set-up (no layer data:
    the page's script loads the layers of the current view through the API)."""
    ws = state.workspace()
    info = figures.scope_info(state)
    figs: Figures | None = None
    error: str | None = None
    try:
        figs = _figures(state, lang)
    except InputError as exc:  # no incidents, or a layer the report needs is missing
        error = f"{t('dash.no_figures', lang)} {say_error(exc, lang)}"
    prefix = state.settings.asset_url_prefix
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
        nav=_nav(lang, "dashboard"),
        figures=figs,
        figures_error=error,
        station_report=_station_report_link(state, lang),
        assets={"leaflet_js": asset_url("leaflet_js", prefix), "leaflet_css": asset_url("leaflet_css", prefix),
                "heat_js": asset_url("leaflet_heat_js", prefix)},
        config=_dashboard_config(state, lang),
    )


def overview_html(state: AppState, lang: str) -> str:
    """The finished dashboard (cached; checked to load nothing from another host)."""
    check_assets(state.settings.assets_dir)
    key = ("overview", state.version(), lang, state.settings.asset_url_prefix)

    def make() -> str:
        page = overview_page(state, lang)
        html = _TEMPLATES.get_template("overview.html").render(page=page, tr=_tr(lang))
        return assert_offline_html(html, what="overview page")

    html = state.maps.get_or_make(key, make)
    assert isinstance(html, str)
    return html


def overview_gzip(state: AppState, lang: str) -> bytes:
    """The dashboard gzip-compressed once per workspace version and language (cached with it)."""
    key = ("overview.gz", state.version(), lang, state.settings.asset_url_prefix)
    body = state.maps.get_or_make(key, lambda: gzip.compress(overview_html(state, lang).encode("utf-8"), 6))
    assert isinstance(body, bytes)
    return body


# -- sign-in -------------------------------------------------------------------------------------------
def login_html(*, lang: str, **context: Any) -> str:
    """The sign-in page (no data on it; checked: nothing from another host)."""
    html = _TEMPLATES.get_template("login.html").render(lang=lang, tr=_tr(lang), **context)
    return assert_offline_html(html, what="login page")


# -- the other pages ------------------------------------------------------------------------------------
def _ui_strings(lang: str) -> dict[str, str]:
    return {k[3:]: t(k, lang) for k in MESSAGES if k.startswith("ui.")}


def map_extent(state: AppState) -> list[float] | None:
    def make() -> list[float] | None:
        ws = figures.scope_view(state)
        for name in ("stations", "road_edges", "boundary"):
            if ws.has(name) and ws.count(name):
                b = ws.read(name, columns=[]).to_crs("EPSG:4326").total_bounds
                return [round(float(v), 6) for v in b]
        ext = figures.scope_info(state).extent_wgs84
        return list(ext) if ext else None
    return state.cached("extent-wgs84", make=make)


def _layer_counts(state: AppState) -> dict[str, int]:
    return state.cached("layer-counts", make=lambda: {li.name: li.features for li in figures.scope_info(state).layers})


def _common_config(state: AppState, lang: str) -> dict[str, Any]:
    return {"lang": lang, "extent": map_extent(state), "layers": _layer_counts(state), "ui": _ui_strings(lang),
            "requests": MAP_REQUESTS, "names": place_names(state, lang)}


def place_names(state: AppState, lang: str) -> dict[str, dict[str, str]]:
    """What the maps' tooltips and tables say instead of codes (``PN.nameOf``): per station and per
    community its name in the page's language (the English name where the workspace has one, else the
    Chinese name), and each camera kind's name."""
    def make() -> dict[str, dict[str, str]]:
        ws = figures.scope_view(state)
        out: dict[str, dict[str, str]] = {"camera_kinds": {k: t(f"camera.{k}", lang) for k in CAMERA_KINDS}}
        for layer, key in (("stations", "station_id"), ("communities", "community_id")):
            out[layer] = {}
            if not ws.has(layer):
                continue
            frame = pd.DataFrame(ws.read(layer)).drop(columns="geometry", errors="ignore")
            if key not in frame.columns or "name" not in frame.columns:
                continue
            names = frame["name"]
            if lang == "en" and "name_en" in frame.columns:
                english = frame["name_en"].map(lambda v: isinstance(v, str) and bool(v.strip()))
                names = frame["name_en"].where(english, frame["name"])
            out[layer] = {str(i): str(n) for i, n in zip(frame[key], names) if isinstance(n, str) and n.strip()}
        return out
    return state.cached("place-names", lang, make=make)


def _as_of(state: AppState) -> dt.date | None:
    try:
        return figures._as_of(state)
    except PlannerError:
        return None


def _hotspots_config(state: AppState, lang: str) -> dict[str, Any]:
    ws = state.workspace()
    as_of = _as_of(state)
    start = (pd.Timestamp(as_of) - pd.DateOffset(months=3) + pd.Timedelta(days=1)).date() if as_of else None
    table = workspace_categories(ws)  # the built-in categories and the workspace's own
    groups: dict[str, list[str]] = {}
    for code, (_, _, grp) in table.items():
        groups.setdefault(grp, []).append(code)
    group_labels = {"two_robberies_one_theft": ("两抢一盗", "Robbery, snatching and theft"),
                    "other_criminal": ("其他刑事案件", "Other criminal cases"),
                    "public_order": ("治安案件", "Public-order cases"),
                    "other": ("其他警情", "Other incidents")}
    # a group of one category is that category (治安案件 listed once, not twice)
    cats = [{"code": g, "label": group_labels.get(g, (g, g))[0 if lang == "zh-CN" else 1], "group": True}
            for g, members in groups.items() if len(members) > 1]
    cats += [{"code": c, "label": category_label(c, lang, table), "group": False} for c in table]
    last = state.jobs.latest("hotspots") if state.jobs else None
    meta = ws.meta_json("hotspots", None) or {}
    fmeta = ws.meta_json("forecast_subzones", None) or {}
    # the form opens on the stored Gi* run's period and category, so that the heat map and the Gi* layer
    # answer the same question (then on the last run of this server, then the last three months)
    stored = meta.get("categories")
    return {
        "as_of": as_of.isoformat() if as_of else None,
        "default_from": meta.get("from") or (last.params.get("start") if last else None)
        or (start.isoformat() if start else None),
        "default_to": meta.get("to") or (last.params.get("end") if last else None) or (as_of.isoformat() if as_of else None),
        "default_category": stored[0] if isinstance(stored, list) and len(stored) == 1 else "",
        "categories": cats,
        "hotspots_meta": meta,
        "forecast_meta": fmeta,
    }


def _routes_config(state: AppState, lang: str) -> dict[str, Any]:
    ws = state.workspace()
    counts: dict[str, int] = {}
    if ws.has("units"):
        kinds = ws.read("units", columns=["kind"])["kind"].astype(str)
        counts = {k: int(v) for k, v in kinds.value_counts().items()}
    today = shift_day(ws)
    return {
        "unit_names": _english_unit_names(state) if lang == "en" else {},
        # only the kinds the planner gives routes to are offered
        "unit_kinds": [{"code": k, "label": t(f"unit.{k}", lang), "count": counts.get(k, 0)}
                       for k in UNIT_KINDS if k in PLANNED_UNIT_KINDS],
        "default_kinds": [k for k in ("brigade_vehicle", "grid_team") if counts.get(k)],
        "shifts": list(SHIFTS), "default_shift": "20:00-24:00", "default_date": today.isoformat(),
        "timezone": ws.timezone,
    }


def _english_unit_names(state: AppState) -> dict[str, str]:
    """Unit id -> its name on an English page: ``units.name_en`` where the workspace has one, else
    the Chinese name with the unit's kind (``北湖社区1+2+N网格巡逻一队 (Grid team)``)."""
    def make() -> dict[str, str]:
        ws = state.workspace()
        if not ws.has("units"):
            return {}
        units = pd.DataFrame(ws.read("units")).drop(columns="geometry", errors="ignore")
        english = units["name_en"] if "name_en" in units.columns else pd.Series(None, index=units.index, dtype=object)
        return {str(u): (str(e) if isinstance(e, str) and e.strip() else f"{n} ({t(f'unit.{k}', 'en')})")
                for u, n, e, k in zip(units["unit_id"], units["name"], english, units["kind"])}
    return state.cached("unit-names-en", make=make)


def _coverage_extra(state: AppState, lang: str) -> dict[str, Any]:
    ws = state.workspace()
    rows: list[dict[str, Any]] = []
    scoped = getattr(ws, "principal", None) is not None and ws.principal.scoped
    whole = ws.unscoped if scoped else ws  # a station: its own row of the district's summary
    if whole.has("split_summary"):
        table = whole.read("split_summary")
        table = table[table["row"] == "owner"] if "row" in table.columns else table
        if scoped:
            table = table[table["owner_id"].astype(str) == str(ws.principal.station_id)]
        if lang == "en":  # the stations' English names where the workspace has them
            english = place_names(state, "en")["stations"]
            table = table.assign(name=[english.get(str(i), n) if k == "station" else
                                       ("Special patrol brigade" if k == "brigade" else n)
                                       for k, i, n in zip(table["owner_kind"], table["owner_id"], table["name"])])
        rows = [to_jsonable(rec) for rec in table.to_dict(orient="records")]
    balance = (ws.meta_json("split", None) or {}).get("balance", {})
    return {"split_rows": rows, "balance": balance.get("max_over_mean")}


def _cameras_config(state: AppState, lang: str) -> dict[str, Any]:
    return {"available": job_kinds.cameras_available(), "timezone": state.workspace().timezone}


def _data_config(state: AppState, lang: str) -> dict[str, Any]:
    return {"layers_importable": [{"code": n, "label": layer_label(n, lang)} for n in IMPORTABLE_LAYERS],
            "coords": [{"code": c, "label": t(f"coords.{k}", lang)} for c, k in
                       (*((c, c) for c in COORD_SYSTEM_NAMES), ("EPSG:4547", "epsg4547"))],
            "max_upload_bytes": state.settings.max_upload_bytes,
            "groups": [{"code": g, "label": zh if lang == "zh-CN" else en} for g, (zh, en) in GROUPS.items()]}


def _reports_config(state: AppState, lang: str) -> dict[str, Any]:
    available = job_kinds.reports_available()
    try:
        month = figures.default_month(state)
    except InputError:
        month = None
    months: list[str] = []
    halves: list[dict[str, str]] = []
    if month:
        p = pd.Period(month, "M")
        months = [str(p - k) for k in range(24)]
        # the half-years over by the last full month, newest first (a review meeting looks back on one)
        year, half = (p.year, 2) if p.month == 12 else ((p.year, 1) if p.month >= 6 else (p.year - 1, 2))
        for _ in range(4):
            label = f"{year}年{'上' if half == 1 else '下'}半年" if lang == "zh-CN" else f"{year} H{half}"
            halves.append({"value": f"{year}-H{half}", "label": label})
            year, half = (year, 1) if half == 2 else (year - 1, 2)
    return {"available": available, "default_month": month, "months": months, "halves": halves,
            "timezone": state.workspace().timezone}


def _users_config(state: AppState, lang: str) -> dict[str, Any]:
    def make() -> list[dict[str, str]]:
        ws = state.workspace()
        if not ws.has("stations"):
            return []
        table = pd.DataFrame(ws.read("stations")).drop(columns="geometry", errors="ignore")
        rows = []
        for rec in table.sort_values("station_id").to_dict(orient="records"):
            en, zh = rec.get("name_en"), rec.get("name")
            name = en if lang == "en" and isinstance(en, str) and en.strip() else zh
            rows.append({"code": str(rec["station_id"]), "label": name if isinstance(name, str) else ""})
        return rows

    def make_units() -> list[dict[str, str]]:
        ws = state.workspace()
        if not ws.has("units"):
            return []
        table = ws.read("units", columns=["unit_id", "name"]).sort_values("unit_id")
        return [{"code": str(u), "label": str(n) if isinstance(n, str) else ""}
                for u, n in zip(table["unit_id"], table["name"], strict=True)]

    stations = state.cached("users-page-stations", lang, make=make)
    units = state.cached("users-page-units", make=make_units)
    roles = [{"code": r, "label": t(f"role.{r}", lang)} for r in ROLES]
    for r in roles:  # "administrator" in a sentence, "Administrator" in a list
        r["label"] = r["label"][:1].upper() + r["label"][1:]
    return {"roles": roles, "stations": stations, "units": units,
            "min_password": MIN_PASSWORD_LENGTH, "timezone": state.workspace().timezone}


def _audit_config(state: AppState, lang: str) -> dict[str, Any]:
    return {"actions": [{"code": a, "label": t(f"audit.action.{a}", lang)} for a in ACTIONS],
            "timezone": state.workspace().timezone, "page_size": 50}


_CONFIG = {
    "users": _users_config,
    "audit": _audit_config,
    "hotspots": _hotspots_config,
    "reports": _reports_config,
    "routes": _routes_config,
    "cameras": _cameras_config,
    "data": _data_config,
}
_EXTRA = {"coverage": _coverage_extra}


def page_html(state: AppState, name: str, lang: str) -> str:
    """A page of :data:`PAGES` rendered for ``lang`` (checked: nothing from another host)."""
    check_assets(state.settings.assets_dir)
    prefix = state.settings.asset_url_prefix
    config = _common_config(state, lang)
    if name in _CONFIG:
        config.update(_CONFIG[name](state, lang))
    extra = _EXTRA[name](state, lang) if name in _EXTRA else {}
    page = Page(
        lang=lang, other_lang=other_lang(lang), title=t("app.title", lang),
        heading=t(f"nav.{name}", lang), workspace_name=state.workspace().name, active=name,
        nav=_nav(lang, name), static=STATIC_PREFIX,
        assets={"leaflet_js": asset_url("leaflet_js", prefix), "leaflet_css": asset_url("leaflet_css", prefix),
                "heat_js": asset_url("leaflet_heat_js", prefix)},
        config=config, extra=extra,
    )
    html = _TEMPLATES.get_template(f"{name}.html").render(page=page, tr=_tr(lang))
    return assert_offline_html(html, what=f"{name} page")


def phone_html(state: AppState, lang: str) -> str:
    """The officer's phone page (``/m/``): one unit's plan of a shift, the next stop, a dwell timer
    and the GPS track recorded and sent (its script: ``phone.js``)."""
    check_assets(state.settings.assets_dir)
    prefix = state.settings.asset_url_prefix
    ws = state.workspace()
    config = {**_common_config(state, lang), "timezone": ws.timezone, "shifts": list(SHIFTS),
              "today": shift_day(ws, None).isoformat(), "dwell_min": 15, "main_road_classes": sorted(MAIN_ROAD_CLASSES),
              "phone": {k[len("phone."):]: t(k, lang) for k in MESSAGES if k.startswith("phone.")}}
    page = Page(lang=lang, other_lang=other_lang(lang), title=t("phone.title", lang), heading=t("phone.title", lang),
                workspace_name=ws.name, active="phone", nav=(), static=STATIC_PREFIX,
                assets={"leaflet_js": asset_url("leaflet_js", prefix), "leaflet_css": asset_url("leaflet_css", prefix)},
                config=config)
    html = _TEMPLATES.get_template("phone.html").render(page=page, tr=_tr(lang))
    return assert_offline_html(html, what="phone page")
