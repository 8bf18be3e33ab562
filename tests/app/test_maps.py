"""The overview map: offline assets only, layers, labels, road preparation."""

from __future__ import annotations

import json
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString

from app.assets import find_off_host_urls
from app.maps import (
    heat_options,
    incident_window,
    map_parts,
    overview_map,
    render_map_html,
    road_class,
    roads_for_map,
)
from app.storage.workspace import Workspace
from tests.app._fixtures import CRS, NEWEST_INCIDENT


@pytest.fixture(scope="module")
def ws(workspace_path: Path) -> Workspace:
    return Workspace(workspace_path)


def test_map_html_is_offline_and_uses_local_leaflet(ws: Workspace) -> None:
    html = render_map_html(overview_map(ws))
    assert find_off_host_urls(html) == []
    assert '<script src="/assets/leaflet/dist/leaflet.js"></script>' in html
    assert '/assets/leaflet/dist/leaflet.css' in html
    assert "/assets/leaflet.heat/dist/leaflet-heat.js" in html
    for cdn_lib in ("jquery", "bootstrap", "font-awesome", "fontawesome", "awesome-markers",
                    "cdn.jsdelivr", "cdnjs"):
        assert cdn_lib not in html.lower(), cdn_lib
    assert "L.tileLayer" not in html, "no tile layer by default"
    assert '"preferCanvas": true' in html


def test_folium_class_defaults_untouched(ws: Workspace) -> None:
    import folium

    before = list(folium.Map.default_js)
    overview_map(ws, asset_url_prefix="/static")
    assert folium.Map.default_js == before


def test_map_layers_and_labels_zh(ws: Workspace) -> None:
    html = render_map_html(overview_map(ws))
    for text in ("派出所辖区", "北湖路派出所", "抱石路派出所", "珠珊派出所", "主干道", "街巷道路",
                 "小区", "探头", "警情热力（近12个月）", "图例", "人民北路", "水榭丽都"):
        assert text in html or json.dumps(text)[1:-1] in html, text


def test_map_english(ws: Workspace) -> None:
    html = render_map_html(overview_map(ws, lang="en"))
    for text in ("Station jurisdictions", "Main roads", "Local streets", "Cameras", "Legend"):
        assert text in html, text
    assert "北湖路派出所" in html  # names stay as they are


def test_asset_prefix_and_tiles(ws: Workspace) -> None:
    html = render_map_html(overview_map(ws, asset_url_prefix="/static/",
                                        tile_url="/tiles/{z}/{x}/{y}.png", tile_attribution="本地"))
    assert "/static/leaflet/dist/leaflet.js" in html
    assert '"/tiles/{z}/{x}/{y}.png"' in html


def test_map_parts(ws: Workspace) -> None:
    parts = map_parts(overview_map(ws))
    assert "leaflet.js" in parts.header
    assert parts.map_id in parts.html and "<div" in parts.html
    assert f"var {parts.map_id} = L.map(" in parts.script


def test_names_are_escaped(tmp_path: Path, ws: Workspace) -> None:
    from app.storage.workspace import create_workspace

    stations = ws.read("stations")
    stations.loc[0, "name"] = "<img src=x onerror=alert(1)>`${x}`"
    w = create_workspace(tmp_path / "x.gpkg", {"stations": stations}, crs=CRS)
    html = render_map_html(overview_map(w))
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;&#96;&#36;{x}&#96;" in html


def test_empty_workspace_still_renders(tmp_path: Path) -> None:
    from app.storage.workspace import create_workspace

    w = create_workspace(tmp_path / "empty.gpkg", {}, crs=CRS)
    html = render_map_html(overview_map(w))
    assert "L.map(" in html and find_off_host_urls(html) == []


def test_road_class() -> None:
    assert road_class("primary") == "main"
    assert road_class("tertiary_link") == "main"
    assert road_class("residential") == "local"
    assert road_class("['residential', 'secondary']") == "main"
    assert road_class(None) == "local" and road_class(float("nan")) == "local"


def test_roads_for_map_draws_two_way_streets_once(ws: Workspace) -> None:
    edges = ws.read("road_edges")
    roads = roads_for_map(edges)
    # every two-way street is stored twice: the drawn length is the undirected length
    directed = edges.geometry.length.sum()
    oneway = edges.loc[edges["oneway"].astype(bool)].geometry.length.sum()
    two_way = directed - oneway
    assert roads.geometry.length.sum() == pytest.approx(two_way / 2 + oneway, rel=1e-3)
    assert set(roads["road_class"]) == {"main", "local"}
    assert "人民北路" in set(roads["name"])
    assert len(roads) == roads[["road_class", "name"]].drop_duplicates().shape[0]
    # the 0.4 m bends are simplified away: 2 vertices per part
    assert {len(p.coords) for g in roads.geometry for p in g.geoms} == {2}


def test_roads_for_map_empty() -> None:
    empty = gpd.GeoDataFrame({"u": [], "v": [], "highway": [], "name": [], "length_m": []},
                             geometry=[], crs=CRS)
    assert roads_for_map(empty).empty


def test_roads_for_map_keeps_distinct_parallel_edges() -> None:
    a = LineString([(0, 0), (100, 0)])
    b = LineString([(0, 0), (50, 40), (100, 0)])
    edges = gpd.GeoDataFrame(
        {"u": [1, 2, 1], "v": [2, 1, 2], "highway": ["primary"] * 3, "name": ["甲路"] * 3,
         "length_m": [a.length, a.length, b.length]},
        geometry=[a, LineString(a.coords[::-1]), b], crs=CRS,
    )
    roads = roads_for_map(edges, tolerance_m=1.0)
    assert len(roads.geometry.iloc[0].geoms) == 2


def test_incident_window(ws: Workspace) -> None:
    inc = ws.read("incidents")
    recent, start, end = incident_window(inc, months=12)
    assert end == pd.Timestamp(NEWEST_INCIDENT, tz="Asia/Shanghai")
    assert start == end - pd.DateOffset(months=12)
    assert 0 < len(recent) < len(inc)
    assert (recent["occurred_at"] > start).all()
    empty, s, e = incident_window(inc.iloc[0:0])
    assert empty.empty and s is None and e is None


def test_heat_options_scale_with_density() -> None:
    ext = (114.90, 27.80, 114.96, 27.84)
    sparse = heat_options(np.array([[0.0, 0.0], [5000.0, 5000.0]]), ext)
    rng = np.random.default_rng(0)
    dense = heat_options(rng.normal(0, 300, size=(5000, 2)), ext)
    assert sparse["max_zoom"] == dense["max_zoom"] == 22
    assert dense["max"] > sparse["max"] > 0
    assert heat_options(np.empty((0, 2)), ext)["max"] > 0


def test_map_is_valid_json_data(ws: Workspace) -> None:
    """Every embedded GeoJSON is in WGS84 near Xinyu."""
    html = render_map_html(overview_map(ws))
    coords = [float(c) for c in re.findall(r"\[(1\d\d\.\d+), ?\d+\.\d+\]", html)]
    assert coords and all(114.8 < c < 115.1 for c in coords)
