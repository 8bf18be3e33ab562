"""The dashboard holds its frame, its figures and its map's set-up, never layer data: what its map
showed when it embedded the layers (station areas and sites, roads with their names, neighborhoods,
cameras, the incident heat of 12 months, incident points) comes through the API, as the page's
script (app/web/static/dashboard.js) asks for it."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from pyproj import Transformer

from app.maps import MAIN_ROAD_CLASSES, road_class
from app.storage.workspace import Workspace
from app.web import create_app
from app.web.pages import VIEW_BUDGET
from tests.app._fixtures import NEWEST_INCIDENT, client_class

#: What dashboard.js asks for: layer -> query (besides bbox, limit, offset and simplify_m).
SCRIPT_LAYERS = {
    "stations": "name", "boundary": "name", "road_edges": "highway,name",
    "neighborhoods": "name,kind,households,model_kind", "cameras": "kind", "incidents": "occurred_at,category",
}


def config_of(html: str) -> dict[str, Any]:
    m = re.search(r'<script id="pn-config" type="application/json">(.*?)</script>', html, re.DOTALL)
    assert m, "the dashboard has no config"
    return json.loads(m.group(1))


def _bbox(extent: list[float], pad: float = 0.25) -> str:
    w, s, e, n = extent
    dx, dy = (e - w) * pad, (n - s) * pad
    return f"{w - dx:.5f},{s - dy:.5f},{e + dx:.5f},{n + dy:.5f}"


@pytest.fixture(scope="module")
def demo_client(demo_workspace_file: Path, assets_ready: Path) -> Any:
    with client_class()(create_app(demo_workspace_file)) as c:
        yield c


def test_the_script_is_loaded_and_the_page_holds_no_layer_data(demo_client: Any, demo_workspace_file: Path) -> None:
    r = demo_client.get("/")
    html = r.text
    for src in ("/assets/leaflet/dist/leaflet.js", "/assets/leaflet.heat/dist/leaflet-heat.js", "/static/pn.js",
                "/static/dashboard.js"):
        assert f'<script src="{src}"></script>' in html, src
        assert demo_client.get(src).status_code == 200, src
    for embedded in ("FeatureCollection", '"coordinates"', "L.geoJson", "L.circleMarker(", "L.heatLayer("):
        assert embedded not in html, embedded
    assert not re.findall(r"\[1\d\d\.\d+, ?\d+\.\d+\]", html), "a [lon, lat] pair in the page"
    # the page: its frame, the figures and the map's set-up (it was 1.5 MB with the map's data)
    assert len(r.content) < 80_000, len(r.content)
    assert 'id="pn-headline"' in html and 'id="pn-ranking"' in html
    cfg = config_of(html)
    ws = Workspace(demo_workspace_file)
    assert cfg["layers"]["road_edges"] == ws.count("road_edges") and cfg["map"]["budget"] == VIEW_BUDGET
    assert len(cfg["map"]["sites"]) == ws.count("stations")  # one label per station, shown at once


def test_the_map_set_up_names_everything_in_the_page_language(client: Any) -> None:
    zh = config_of(client.get("/").text)
    en = config_of(client.get("/?lang=en").text)
    labels = zh["map"]["labels"]
    for text in ("派出所辖区", "主干道（特巡警巡逻）", "街巷道路", "小区", "探头", "警情热力（近12个月）",
                 "警情点位（近12个月）", "图例"):
        assert text in labels.values(), text
    assert en["map"]["labels"]["stations"] == "Station jurisdictions" and en["map"]["labels"]["legend"] == "Legend"
    assert set(zh["map"]["main_road_classes"]) == set(MAIN_ROAD_CLASSES)
    assert zh["map"]["road_labels"] == {"main": "主干道", "local": "街巷"}
    # what the map says while loading, on a crowded view and on an error: both languages, same fields
    for key in ("dash.loading", "dash.error", "dash.retry", "dash.zoom_in", "dash.offline"):
        a, b = zh["ui"][key], en["ui"][key]
        assert a != b and re.findall(r"{\w+}", a) == re.findall(r"{\w+}", b), key
    assert "重试" in zh["ui"]["dash.error"] and "Retry" in en["ui"]["dash.error"]


def test_every_layer_of_the_map_comes_through_the_api(client: Any, workspace_path: Path) -> None:
    """What the embedded map showed, named places included, as the script asks for it."""
    cfg = config_of(client.get("/").text)
    ws = Workspace(workspace_path)
    bbox = _bbox(cfg["extent"], pad=1.0)  # a view wider than the district: every feature
    got: dict[str, dict[str, Any]] = {}
    for layer, props in SCRIPT_LAYERS.items():
        params: dict[str, Any] = {"properties": props, "limit": 10_000}
        if layer not in ("stations", "boundary"):
            params["bbox"] = bbox
        if layer in ("road_edges", "neighborhoods"):
            params["simplify_m"] = 16.9
        r = client.get(f"/api/v1/layers/{layer}", params=params)
        assert r.status_code == 200, (layer, r.text[:300])
        got[layer] = fc = r.json()
        assert fc["numberMatched"] == ws.count(layer) == len(fc["features"]), layer
        for f in fc["features"]:
            assert set(props.split(",")) <= set(f["properties"]), layer
    names = lambda layer: {f["properties"]["name"] for f in got[layer]["features"]}
    assert {"北湖路派出所", "抱石路派出所", "珠珊派出所"} <= names("stations")
    assert "人民北路" in names("road_edges") and "水榭丽都" in names("neighborhoods")
    classes = {road_class(f["properties"]["highway"]) for f in got["road_edges"]["features"]}
    assert classes == {"main", "local"}
    assert {f["properties"]["kind"] for f in got["cameras"]["features"]} <= set(cfg["map"]["camera_kinds"])
    # a view of the district's middle holds some of the roads, not all
    w, s, e, n = cfg["extent"]
    mid = f"{w + (e - w) * 0.4:.5f},{s + (n - s) * 0.4:.5f},{w + (e - w) * 0.6:.5f},{s + (n - s) * 0.6:.5f}"
    part = client.get("/api/v1/layers/road_edges", params={"bbox": mid, "limit": 1, "properties": "highway,name"}).json()
    assert 0 < part["numberMatched"] < ws.count("road_edges") and part["numberReturned"] == 1


def test_station_sites_are_the_stations_buildings(client: Any, workspace_path: Path) -> None:
    sites = config_of(client.get("/").text)["map"]["sites"]
    st = Workspace(workspace_path).read("stations")
    lon, lat = Transformer.from_crs(st.crs, "EPSG:4326", always_xy=True).transform(st["site_x"], st["site_y"])
    assert [s["name"] for s in sites] == st["name"].tolist()
    for s, x, y in zip(sites, lon, lat):
        assert s["lon"] == pytest.approx(x, abs=1e-6) and s["lat"] == pytest.approx(y, abs=1e-6)


def test_the_heat_is_the_12_months_to_the_newest_incident(client: Any, workspace_path: Path) -> None:
    win = config_of(client.get("/").text)["map"]["heat_window"]
    assert win == {"start": "2024-07-01", "end": NEWEST_INCIDENT.date().isoformat()}
    d = client.get("/api/v1/incidents/points", params=win).json()
    ws = Workspace(workspace_path)
    day = pd.to_datetime(ws.read("incidents")["occurred_at"]).dt.tz_convert(ws.timezone).dt.date.astype(str)
    expected = int(((day >= win["start"]) & (day <= win["end"])).sum())
    assert d["count"] == expected == len(d["points"]) and 0 < expected < len(day)
    assert d["heat"]["max"] > 0


def test_a_station_sees_its_own_station_only(app: Any, assets_ready: Path) -> None:
    with client_class("station")(app) as c:
        cfg = config_of(c.get("/").text)
        assert [s["station_id"] for s in cfg["map"]["sites"]] == ["S01"]
        stations = c.get("/api/v1/layers/stations", params={"properties": "name"}).json()
        assert [f["properties"]["station_id"] for f in stations["features"]] == ["S01"]
        cams = c.get("/api/v1/layers/cameras", params={"bbox": _bbox(cfg["extent"], 1.0), "limit": 1}).json()
    with client_class("commander")(app) as c:
        assert len(config_of(c.get("/").text)["map"]["sites"]) > 1
        every = c.get("/api/v1/layers/cameras", params={"bbox": _bbox(cfg["extent"], 5.0), "limit": 1}).json()
    assert cams["numberMatched"] < every["numberMatched"]


def test_without_incidents_there_is_no_heat(ws_copy: Path, assets_ready: Path) -> None:
    ws = Workspace(ws_copy)
    ws.write({"incidents": ws.read("incidents").iloc[0:0]})
    with client_class()(create_app(ws_copy)) as c:
        cfg = config_of(c.get("/").text)
        assert cfg["map"]["heat_window"] is None and cfg["layers"]["incidents"] == 0


@pytest.mark.parametrize("station", [None, "S01"])
def test_figures_from_cached_layers_are_the_reports(demo_workspace_file: Path, assets_ready: Path,
                                                    station: str | None) -> None:
    """The dashboard's report reads each layer once through the layers' cache (shared with the layers
    API): every table is the one ``patrolnet report`` builds from the workspace, for a station too."""
    from app.services.params import last_data_day
    from app.services.reports import build_monthly_report
    from app.storage.access import Principal
    from app.web import figures
    from app.web.auth import ScopedState

    base = create_app(demo_workspace_file).state.patrolnet
    state = base if station is None else ScopedState(base, Principal("t", "station", station))
    rep = figures.report_for(state, None)
    ws = state.workspace()
    ref = build_monthly_report(ws, month=rep.month, as_of=last_data_day(ws), history_months=None)
    assert (rep.month, rep.as_of) == (ref.month, ref.as_of) and set(rep.tables) == set(ref.tables)
    for name in ref.tables:
        pd.testing.assert_frame_equal(rep.table(name), ref.table(name))
    pd.testing.assert_frame_equal(rep.incidents, ref.incidents)
    assert figures.layer_frames(state)("incidents") is figures.layer_frames(state)("incidents")  # read once
    if station:
        assert set(rep.incidents["station_id"].dropna()) == {station}


@pytest.mark.parametrize("role", ["station", "analyst", "commander"])
def test_every_scope_sees_through_the_shared_layers_what_its_workspace_shows(app: Any, role: str) -> None:
    """The whole layers are read once for every scope (figures.scope_view); each scope still sees
    exactly the rows its own workspace view gives, and the same counts."""
    from app.storage.access import Principal
    from app.web import figures
    from app.web.auth import ScopedState

    base = app.state.patrolnet
    principal = Principal("t", role, "S01" if role == "station" else None)
    state = ScopedState(base, principal)
    view, own = figures.scope_view(state), state.workspace()
    assert view.layers() == own.layers()
    for layer in own.layers():
        a, b = view.read(layer), own.read(layer)
        pd.testing.assert_frame_equal(pd.DataFrame(a), pd.DataFrame(b), check_like=False)
    info, mine = figures.scope_info(state), own.info()
    assert [(li.name, li.features, li.geometry_type) for li in info.layers] == \
        [(li.name, li.features, li.geometry_type) for li in mine.layers]
    assert info.extent_wgs84 == mine.extent_wgs84
    if role == "station":
        assert set(view.read("incidents")["station_id"]) == {"S01"}
        assert figures.scope_view(ScopedState(base, Principal("u", "station", "S02"))).count("incidents") != \
            view.count("incidents")
