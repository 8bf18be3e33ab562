"""The web app's routes through starlette's TestClient."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from shapely.geometry import box, shape

from app.assets import AssetsMissingError, find_off_host_urls
from app.storage.workspace import Workspace
from app.web import create_app, create_app_from_env
from app.web.config import ENV_WORKSPACE, get_settings
from app.web.errors import LayerNotFoundError, status_for
from geo.errors import CRSError, InfeasibleError, InputError, PlannerError, WorkspaceError
from tests.app._fixtures import client_class, make_mbtiles

XINYU = box(114.85, 27.75, 115.0, 27.9)


def _check_feature_collection(fc: dict[str, Any]) -> None:
    assert fc["type"] == "FeatureCollection"
    assert fc["numberReturned"] == len(fc["features"])
    for f in fc["features"]:
        assert f["type"] == "Feature" and isinstance(f["properties"], dict)
        geom = shape(f["geometry"])
        assert geom.is_valid and not geom.is_empty
        assert XINYU.contains(geom), "coordinates must be WGS84 lon/lat near Xinyu"


# -- JSON API --------------------------------------------------------------------------------
def test_healthz(client: Any) -> None:
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "workspace": "渝水测试工作区"}


def test_workspace_info(client: Any) -> None:
    r = client.get("/api/v1/workspace")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    body = r.json()
    assert body["name"] == "渝水测试工作区"
    assert body["crs"] == "EPSG:4547" and body["timezone"] == "Asia/Shanghai"
    counts = {li["name"]: li["features"] for li in body["layers"]}
    assert counts["stations"] == 3 and counts["road_edges"] == 76 and counts["incidents"] == 48
    w, s, e, n = body["extent_wgs84"]
    assert XINYU.contains(box(w, s, e, n))
    assert "渝水测试工作区".encode() in r.content  # UTF-8, not \\u escapes


def test_layer_list(client: Any) -> None:
    r = client.get("/api/v1/layers")
    assert r.status_code == 200
    layers = {li["name"]: li for li in r.json()}
    assert layers["stations"]["label"] == "派出所辖区"
    assert client.get("/api/v1/layers?lang=en").json()[1]["label"] == "Police station jurisdictions"


def test_layer_geojson(client: Any) -> None:
    r = client.get("/api/v1/layers/stations")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/geo+json")
    fc = r.json()
    _check_feature_collection(fc)
    assert fc["numberMatched"] == 3 and fc["limit"] == 1000 and fc["offset"] == 0
    assert [f["id"] for f in fc["features"]] == ["S01", "S02", "S03"]
    assert fc["features"][0]["properties"]["name"] == "北湖路派出所"
    assert fc["features"][0]["geometry"]["type"] == "MultiPolygon"


def test_layer_geojson_values(client: Any) -> None:
    fc = client.get("/api/v1/layers/incidents", params={"limit": 5}).json()
    _check_feature_collection(fc)
    props = fc["features"][0]["properties"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00", props["occurred_at"])
    assert props["category"] in {"ebike_theft", "burglary"}
    cams = client.get("/api/v1/layers/cameras").json()
    assert cams["features"][1]["properties"]["bearing_deg"] is None  # null, not NaN
    assert cams["features"][0]["properties"]["neighborhood_id"] is None
    assert "NaN" not in client.get("/api/v1/layers/cameras").text
    assert cams["features"][0]["geometry"]["type"] == "Point"


def test_layer_pagination(client: Any) -> None:
    seen: list[int] = []
    offset = 0
    while True:
        fc = client.get("/api/v1/layers/road_edges", params={"limit": 30, "offset": offset}).json()
        _check_feature_collection(fc)
        assert fc["numberMatched"] == 76
        seen += [f["id"] for f in fc["features"]]
        if fc["numberReturned"] < 30:
            break
        offset += 30
    assert len(seen) == len(set(seen)) == 76
    past = client.get("/api/v1/layers/road_edges", params={"offset": 500}).json()
    assert past["numberReturned"] == 0 and past["numberMatched"] == 76


def test_layer_bbox_filter(client: Any, workspace_path: Path) -> None:
    everything = client.get("/api/v1/layers/incidents").json()
    west, south, east, north = Workspace(workspace_path).info().extent_wgs84  # type: ignore[misc]
    half = (west, south, (west + east) / 2, (south + north) / 2)
    fc = client.get("/api/v1/layers/incidents",
                    params={"bbox": ",".join(str(v) for v in half)}).json()
    _check_feature_collection(fc)
    assert fc["bbox"] == list(half)
    assert 0 < fc["numberMatched"] < everything["numberMatched"]
    area = box(*half)
    assert all(area.intersects(shape(f["geometry"])) for f in fc["features"])
    inside = [f for f in everything["features"] if area.intersects(shape(f["geometry"]))]
    assert fc["numberMatched"] == len(inside)
    far = client.get("/api/v1/layers/incidents", params={"bbox": "10,10,11,11"}).json()
    assert far["numberMatched"] == 0 and far["features"] == []


@pytest.mark.parametrize("bad", ["1,2,3", "a,b,c,d", "115,27,114,28", "0,-91,1,0", "nan,1,2,3"])
def test_layer_bad_bbox(client: Any, bad: str) -> None:
    r = client.get("/api/v1/layers/incidents", params={"bbox": bad})
    assert r.status_code == 422
    assert r.json()["error"] == "InputError" and "bbox" in r.json()["detail"]
    r = client.get("/api/v1/layers/incidents", params={"bbox": bad, "lang": "en"})
    assert "min_lon,min_lat,max_lon,max_lat" in r.json()["detail"]


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 10_001}, {"offset": -1}])
def test_layer_bad_paging(client: Any, params: dict[str, int]) -> None:
    assert client.get("/api/v1/layers/stations", params=params).status_code == 422


def test_unknown_layer_404(client: Any) -> None:
    r = client.get("/api/v1/layers/no_such_layer")
    assert r.status_code == 404
    body = r.json()
    assert body["error"] == "LayerNotFoundError" and body["layer"] == "no_such_layer"
    assert "stations" in body["available"] and "meta" not in body["available"]
    assert "no_such_layer" in body["detail"] and "stations" in body["detail"]
    en = client.get("/api/v1/layers/no_such_layer", params={"lang": "en"}).json()
    assert en["detail"].startswith("layer 'no_such_layer' does not exist")
    assert client.get("/api/v1/layers/meta").status_code == 404


def test_error_status_mapping() -> None:
    assert status_for(LayerNotFoundError("x", layer="x", available=[])) == 404
    assert status_for(InputError("x")) == 422
    assert status_for(CRSError("x")) == 422
    assert status_for(InfeasibleError("x")) == 409
    assert status_for(WorkspaceError("x")) == 409
    assert status_for(PlannerError("x")) == 400
    assert status_for(AssetsMissingError("x")) == 503


# -- pages -----------------------------------------------------------------------------------
def _local_urls(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="(/assets/[^"]+)"', html)


def _dashboard_config(html: str) -> dict[str, Any]:
    m = re.search(r'<script id="pn-config" type="application/json">(.*?)</script>', html, re.DOTALL)
    assert m, "the dashboard has no config"
    return json.loads(m.group(1))


def test_overview_zh(client: Any) -> None:
    r = client.get("/")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    assert r.headers["content-language"] == "zh-CN"
    html = r.text
    assert '<html lang="zh-CN">' in html and '<meta charset="utf-8">' in html
    assert find_off_host_urls(html) == []
    for text in ("patrolnet 巡逻防控规划", "渝水测试工作区", "派出所辖区", "要素数", "EPSG:4547"):
        assert text in html, text
    assert 'id="pn-lang-toggle" href="?lang=en"' in html
    assert re.search(r'data-layer="incidents"><td>警情 <code>incidents</code></td>\s*'
                     r'<td class="num">48</td>', html)
    # the map: Leaflet, its heat plugin and the dashboard's script, which makes the map and its heat
    # layer from the API (the page embeds no layer data: tests/app/test_web_dashboard.py)
    assert 'id="pn-map"' in html and '<script src="/static/dashboard.js"></script>' in html
    script = client.get("/static/dashboard.js").text
    assert "PN.map(" in script and "L.heatLayer(" in script
    assert "L.map(" in client.get("/static/pn.js").text
    urls = _local_urls(html)
    assert "/assets/leaflet/dist/leaflet.js" in urls and "/assets/leaflet.heat/dist/leaflet-heat.js" in urls
    for url in urls:
        assert client.get(url).status_code == 200, url


def test_overview_en(client: Any) -> None:
    r = client.get("/", params={"lang": "en"})
    assert r.status_code == 200 and r.headers["content-language"] == "en"
    html = r.text
    assert '<html lang="en">' in html
    assert "patrolnet patrol planner" in html and "Police station jurisdictions" in html
    assert 'href="?lang=zh-CN"' in html and ">中文<" in html
    assert client.get("/", params={"lang": "en-US"}).text == html
    assert client.get("/", params={"lang": "klingon"}).headers["content-language"] == "zh-CN"


def test_overview_gzip(client: Any) -> None:
    r = client.get("/", headers={"Accept-Encoding": "gzip"})
    assert r.headers["content-encoding"] == "gzip"


def test_default_lang_en(workspace_path: Path, assets_ready: Path) -> None:
    with client_class()(create_app(workspace_path, default_lang="en")) as c:
        assert '<html lang="en">' in c.get("/").text
        assert '<html lang="zh-CN">' in c.get("/?lang=zh").text


def test_overview_follows_workspace_changes(tmp_path: Path, workspace_path: Path,
                                            assets_ready: Path) -> None:
    path = tmp_path / "copy.gpkg"
    shutil.copyfile(workspace_path, path)
    with client_class()(create_app(path)) as c:
        assert "北湖路派出所" in c.get("/").text
        ws = Workspace(path)
        stations = ws.read("stations")
        stations.loc[0, "name"] = "新北湖派出所"
        ws.write({"stations": stations})
        html = c.get("/").text
        # the dashboard's map labels its station sites from its config; its areas come from the API
        assert "新北湖派出所" in {s["name"] for s in _dashboard_config(html)["map"]["sites"]}
        assert c.get("/api/v1/layers/stations").json()["features"][0]["properties"]["name"] == \
            "新北湖派出所"


def test_docs_local_swagger(client: Any) -> None:
    r = client.get("/docs")
    assert r.status_code == 200
    html = r.text
    assert find_off_host_urls(html) == []
    assert "/assets/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "/assets/swagger-ui-dist/swagger-ui.css" in html
    assert "fastapi.tiangolo.com" not in html and "cdn" not in html
    assert '"validatorUrl": null' in html
    for url in _local_urls(html):
        assert client.get(url).status_code == 200, url
    assert client.get("/redoc").status_code == 404


def test_openapi(client: Any) -> None:
    spec = client.get("/openapi.json").json()
    for path in ("/api/v1/workspace", "/api/v1/layers/{name}", "/healthz", "/api/v1/auth/token"):
        assert path in spec["paths"], path
    for page in ("/docs", "/", "/hotspots", "/login"):  # pages are for browsers, not API operations
        assert page not in spec["paths"] or "get" not in spec["paths"][page] or page == "/login", page
    assert spec["paths"]["/healthz"]["get"]["security"] == []  # public
    assert spec["security"] == [{"bearer": []}] and spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    params = {p["name"] for p in spec["paths"]["/api/v1/layers/{name}"]["get"]["parameters"]}
    assert {"bbox", "limit", "offset", "lang"} <= params


def test_static_assets(client: Any) -> None:
    js = client.get("/assets/leaflet/dist/leaflet.js")
    assert js.status_code == 200 and "javascript" in js.headers["content-type"]
    css = client.get("/assets/leaflet/dist/leaflet.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert client.get("/assets/leaflet/dist/images/layers.png").status_code == 200
    assert client.get("/assets/../package.json").status_code == 404
    assert client.get("/assets/nope.js").status_code == 404


# -- tiles -----------------------------------------------------------------------------------
def test_tiles(workspace_path: Path, mbtiles_path: Path, assets_ready: Path) -> None:
    with client_class()(create_app(workspace_path, mbtiles=mbtiles_path)) as c:
        r = c.get("/tiles/1/1/0.png")
        assert r.status_code == 200 and r.headers["content-type"] == "image/png"
        assert r.content.startswith(b"\x89PNG")
        assert c.get("/tiles/1/1/1.png").status_code == 204  # TMS row 0 is XYZ y=1: empty
        assert c.get("/tiles/1/5/0.png").status_code == 204
        assert c.get("/tiles/1/1/0.gif").status_code == 422
        html = c.get("/").text
        assert '"/tiles/{z}/{x}/{y}.png"' in html
        assert _dashboard_config(html)["map"]["tiles"]["url"] == "/tiles/{z}/{x}/{y}.png"
    with client_class()(create_app(workspace_path)) as c:
        assert c.get("/tiles/1/1/0.png").status_code == 404
        html = c.get("/").text
        assert "L.tileLayer" not in html and _dashboard_config(html)["map"]["tiles"] is None


def test_bad_mbtiles(tmp_path: Path, workspace_path: Path, assets_ready: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        create_app(workspace_path, mbtiles=tmp_path / "missing.mbtiles")
    junk = tmp_path / "junk.mbtiles"
    junk.write_bytes(b"not a database" * 100)
    with pytest.raises(InputError, match="not an MBTiles file"):
        create_app(workspace_path, mbtiles=junk)
    vector = make_mbtiles(tmp_path / "vector.mbtiles", fmt="pbf")
    with pytest.raises(InputError, match="pbf"):
        create_app(workspace_path, mbtiles=vector)


# -- app set-up ------------------------------------------------------------------------------
def test_missing_workspace(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceError, match="does not exist"):
        create_app(tmp_path / "nope.gpkg")


def test_missing_assets(workspace_path: Path, tmp_path: Path) -> None:
    with pytest.raises(AssetsMissingError, match="make assets"):
        create_app(workspace_path, assets_dir=tmp_path)
    api_only = create_app(workspace_path, assets_dir=tmp_path, require_assets=False)
    with client_class()(api_only) as c:
        assert c.get("/api/v1/workspace").status_code == 200
        for page in ("/", "/docs"):
            r = c.get(page)
            assert r.status_code == 503
            assert "make assets" in r.json()["detail"]


def test_settings_from_env(monkeypatch: pytest.MonkeyPatch, workspace_path: Path,
                           assets_ready: Path) -> None:
    get_settings.cache_clear()
    monkeypatch.delenv(ENV_WORKSPACE, raising=False)
    with pytest.raises(InputError, match=ENV_WORKSPACE):
        get_settings()
    monkeypatch.setenv(ENV_WORKSPACE, str(workspace_path))
    monkeypatch.setenv("PATROLNET_LANG", "english")
    try:
        settings = get_settings()
        assert settings.workspace_path == workspace_path and settings.default_lang == "en"
        with client_class()(create_app_from_env()) as c:
            assert c.get("/healthz").status_code == 200
            assert '<html lang="en">' in c.get("/").text
    finally:
        get_settings.cache_clear()
