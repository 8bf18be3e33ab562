"""The pages through TestClient: every page in both languages, offline, with the shared nav bar; the
dashboard's figures; "coming" states for the modules that are not there; the layer API's
property selection and simplification used by the maps."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from shapely.geometry import shape

from app.assets import assert_offline_html, find_off_host_urls
from app.web import create_app
from tests.app._fixtures import client_class

PAGES = ("/", "/hotspots", "/coverage", "/routes", "/cameras", "/reports", "/data", "/users", "/audit")


def _local_urls(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="(/(?:assets|static)/[^"]+)"', html)


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_page_offline_with_nav(client: Any, path: str, lang: str) -> None:
    r = client.get(path, params={"lang": lang})
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    assert r.headers["content-language"] == lang
    html = r.text
    assert f'<html lang="{lang}">' in html
    assert find_off_host_urls(html) == [] and assert_offline_html(html) == html
    assert 'id="pn-nav"' in html
    nav = re.findall(r'class="pn-tab( active)?" href="([^"]+)" data-nav="(\w+)"', html)
    assert [n[2] for n in nav] == ["dashboard", "hotspots", "coverage", "routes", "cameras", "reports",
                                   "data", "users", "audit", "api"]
    active = [n[2] for n in nav if n[0]]
    assert active == [{"/": "dashboard"}.get(path, path.strip("/"))]
    assert all(n[1].endswith(f"?lang={lang}") for n in nav)
    other = "en" if lang == "zh-CN" else "zh-CN"
    assert f'id="pn-lang-toggle" href="?lang={other}"' in html
    for url in _local_urls(html):
        assert client.get(url).status_code == 200, url
    labels = {"zh-CN": ("热点分析", "巡逻路线", "数据导入"), "en": ("Hotspots", "Route planner", "Data")}[lang]
    for text in labels:
        assert text in html


def test_map_pages_load_leaflet_locally(client: Any) -> None:
    for path in ("/hotspots", "/coverage", "/routes", "/cameras"):
        html = client.get(path).text
        assert '<script src="/assets/leaflet/dist/leaflet.js"></script>' in html
        assert f'<script src="/static/{path.strip("/")}.js"></script>' in html
        assert 'id="pn-map"' in html and 'id="pn-config" type="application/json"' in html
    assert "/assets/leaflet.heat/dist/leaflet-heat.js" in client.get("/hotspots").text


@pytest.fixture(scope="module")
def demo_pages(demo_workspace_file: Path, assets_ready: Path) -> Any:
    with client_class()(create_app(demo_workspace_file)) as c:
        yield c


def test_dashboard_figures(demo_pages: Any) -> None:
    html = demo_pages.get("/").text
    assert 'id="pn-headline"' in html
    assert html.count('class="pn-card"') == 3
    for label in ("刑事案件", "小区两抢一盗（可防性案件）", "街面主干道可防性案件（两抢一盗）", "2026年10月", "1–10月累计"):
        assert label in html, label
    assert re.search(r'<table class="pn-table pn-sortable" id="pn-ranking">', html)
    assert len(re.findall(r'<tr data-station="S0\d">', html)) == 9
    assert 'id="pn-trend"' in html and "<polyline" in html
    assert "示范小区" in html and 'id="pn-models"' in html
    assert "尚无示范小区的社区警务室：4 个" in html
    en = demo_pages.get("/?lang=en").text
    assert "criminal cases" in en and "Jan–Oct YTD" in en and "Station ranking, October 2026" in en
    # the overview map stays (made by its script, its layers from the API: test_web_dashboard.py)
    assert 'id="pn-map"' in html and '<script src="/static/dashboard.js"></script>' in html
    assert "PN.map(" in demo_pages.get("/static/dashboard.js").text and 'id="pn-layer-counts"' in html


def test_dashboard_says_why_without_figures(client: Any) -> None:
    html = client.get("/").text  # the fixture workspace has no communities layer
    assert 'id="pn-no-figures"' in html and "communities" in html
    assert 'id="pn-layer-counts"' in html


def test_dashboard_without_incidents(tmp_path: Path, workspace_path: Path, assets_ready: Path) -> None:
    import shutil

    from app.storage.workspace import Workspace

    path = tmp_path / "ws.gpkg"
    shutil.copyfile(workspace_path, path)
    ws = Workspace(path)
    ws.write({"incidents": ws.read("incidents").iloc[0:0]})
    with client_class()(create_app(path)) as c:
        html = c.get("/").text
        assert 'id="pn-no-figures"' in html and "暂无法统计月度数据" in html
        r = c.get("/api/v1/stats/headline", params={"lang": "en"})  # (the app's default language is zh-CN)
        assert r.status_code == 422 and "no incidents" in r.json()["detail"]


def test_reports_page_states(client: Any, demo_pages: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    html = demo_pages.get("/reports").text
    assert 'id="pn-report-form"' in html and '<option value="2026-10">' in html
    assert '<script src="/static/reports.js"></script>' in html
    assert demo_pages.get("/api/v1/reports").json()["total"] == 0
    # without incident figures (the fixture has no communities) the form is still offered
    assert 'id="pn-report-list"' in client.get("/reports").text
    import app.web.job_kinds as jk

    monkeypatch.setattr(jk, "reports_available", lambda: False)
    html = demo_pages.get("/reports").text
    assert 'id="pn-coming"' in html and "<table" not in html and "reports.js" not in html
    r = demo_pages.get("/api/v1/reports")
    assert r.status_code == 501 and r.json()["error"] == "FeatureUnavailableError"
    assert "not available" in demo_pages.get("/api/v1/reports?lang=en").json()["detail"]


def test_cameras_page_states(client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    html = client.get("/cameras").text
    assert 'id="pn-cam-run"' in html and 'id="pn-coming"' not in html
    import app.web.job_kinds as jk

    monkeypatch.setattr(jk, "cameras_available", lambda: False)
    html = client.get("/cameras").text
    assert 'id="pn-coming"' in html and 'id="pn-cam-run"' not in html


def test_coverage_page_without_split(client: Any) -> None:
    html = client.get("/coverage").text
    assert 'id="pn-no-split"' in html and 'id="pn-run-split"' in html


def test_a_station_sees_its_own_row_of_the_split(demo_workspace: Any, assets_ready: Path) -> None:
    """Issue 18: a station user's coverage page said "not split yet" beside a disabled button."""
    from app.services.split import split_workspace

    split_workspace(demo_workspace)
    with client_class("station")(create_app(demo_workspace.path)) as c:
        html = c.get("/coverage").text
    assert 'id="pn-no-split"' not in html and 'id="pn-split-summary"' in html
    body = html.split('id="pn-split-summary"', 1)[1].split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    assert body.count("<tr>") == 1 and "北湖路派出所" in body
    with client_class("commander")(create_app(demo_workspace.path)) as c:  # in English: the English names
        html = c.get("/coverage?lang=en").text
    body = html.split('id="pn-split-summary"', 1)[1].split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    assert "Beihu Road Police Station" in body and "Special patrol brigade" in body and "派出所" not in body
    # its map draws the brigade's beats inside its area only, not whole beats across the district
    import geopandas as gpd
    import shapely

    with client_class("station")(create_app(demo_workspace.path)) as c:
        fc = c.get("/api/v1/layers/beats", params={"limit": 1000}).json()
    beats = gpd.GeoDataFrame.from_features(fc["features"], crs="EPSG:4326").to_crs(demo_workspace.crs)
    st = demo_workspace.read("stations")
    area = shapely.union_all(st[st["station_id"] == "S01"].geometry.to_numpy())
    assert len(beats) and beats.within(area.buffer(1.0)).all()


def test_data_page_form(client: Any) -> None:
    html = client.get("/data").text
    assert 'enctype="multipart/form-data"' in html
    for layer in ("incidents", "cameras", "stations", "communities", "neighborhoods", "units"):
        assert f'<option value="{layer}">' in html
    for coords in ("wgs84", "gcj02", "bd09", "cgcs2000", "EPSG:4547"):
        assert f'<option value="{coords}">' in html
    assert "文件大小上限 50 MB" in html


def test_pages_need_assets(workspace_path: Path, tmp_path: Path) -> None:
    api_only = create_app(workspace_path, assets_dir=tmp_path, require_assets=False)
    with client_class()(api_only) as c:
        for page in PAGES[1:]:
            r = c.get(page)
            assert r.status_code == 503 and "make assets" in r.json()["detail"]
        assert c.get("/static/pn.js").status_code == 200


def test_layer_properties_and_simplify(client: Any) -> None:
    fc = client.get("/api/v1/layers/stations", params={"properties": "name"}).json()
    assert all(set(f["properties"]) == {"station_id", "name"} for f in fc["features"])
    exact = client.get("/api/v1/layers/road_edges", params={"properties": ""}).json()
    assert set(exact["features"][0]["properties"]) == {"edge_id"}
    simple = client.get("/api/v1/layers/road_edges", params={"properties": "", "simplify_m": 5}).json()
    n_exact = sum(len(f["geometry"]["coordinates"]) for f in exact["features"])
    n_simple = sum(len(f["geometry"]["coordinates"]) for f in simple["features"])
    assert n_simple < n_exact  # the fixture's bends (0.5 m) go
    assert shape(simple["features"][0]["geometry"]).is_valid
    r = client.get("/api/v1/layers/stations", params={"properties": "name,shoe_size"})
    assert r.status_code == 422 and "shoe_size" in r.json()["detail"]
    assert client.get("/api/v1/layers/stations", params={"simplify_m": -1}).status_code == 422
