"""Vector tiles (``GET /api/v1/tiles/{layer}/{z}/{x}/{y}.mvt``): decoded with ``mapbox-vector-tile``.

The tiles hold the right features with the right properties and geometry (the fixture workspace's
known streets and incidents; the real Shanghai OSM extract's streets), a station user's tiles hold
only its jurisdiction, bad addresses and layers are refused in both languages, and the cache is
dropped when the workspace changes. Speed is measured in ``bench/stages_tiles.py``.
"""

from __future__ import annotations

import gzip
import threading
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import mapbox_vector_tile
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import Point, shape

from app.storage.access import ForbiddenError, Principal
from app.storage.vector_tiles import BUFFER, EXTENT, GpkgTileSource, parse_address, tile_bounds
from app.storage.workspace import Workspace
from geo.errors import InputError, WorkspaceError
from tests.app._fixtures import client_class

DATA = Path(__file__).resolve().parents[1] / "data"
HALF = 20037508.342789244


def tile_of(point: Any, z: int) -> tuple[int, int]:
    """The XYZ tile at zoom ``z`` holding ``point`` (EPSG:3857)."""
    size = 2 * HALF / (1 << z)
    return int((point.x + HALF) // size), int((HALF - point.y) // size)


def decode(content: bytes) -> dict[str, Any]:
    return mapbox_vector_tile.decode(content, default_options={"y_coord_down": True})  # type: ignore[no-any-return]


def to_metres(geom: Any, z: int, x: int, y: int) -> Any:
    """A decoded tile geometry (tile units, y down) back in EPSG:3857 metres."""
    x0, _, x1, y1 = tile_bounds(z, x, y)
    unit = (x1 - x0) / EXTENT
    return shapely.transform(shape(geom), lambda a: np.column_stack([x0 + a[:, 0] * unit, y1 - a[:, 1] * unit]))


def features(client: Any, layer: str, z: int, x: int, y: int, **params: str) -> list[dict[str, Any]]:
    r = client.get(f"/api/v1/tiles/{layer}/{z}/{x}/{y}.mvt", params=params)
    if r.status_code == 204:
        return []
    assert r.status_code == 200, r.text
    return decode(r.content)[layer]["features"]  # type: ignore[no-any-return]


def district_tiles(ws: Workspace, z: int) -> list[tuple[int, int]]:
    w, s, e, n = ws.read("stations", columns=[]).to_crs("EPSG:3857").total_bounds
    (xa, ya), (xb, yb) = tile_of(Point(w, n), z), tile_of(Point(e, s), z)
    return [(x, y) for x in range(xa, xb + 1) for y in range(ya, yb + 1)]


@pytest.fixture()
def commander(app: Any) -> Iterator[Any]:
    with client_class("commander")(app) as c:
        yield c


# -- features, properties and geometry --------------------------------------------------------------------
def test_road_tile_holds_the_known_street_with_its_properties_and_geometry(app: Any, commander: Any,
                                                                        workspace_path: Path) -> None:
    edges = Workspace(workspace_path).read("road_edges").to_crs("EPSG:3857")
    road = edges[edges["name"] == "人民北路"].iloc[0]
    z = 16
    x, y = tile_of(road.geometry.interpolate(0.5, normalized=True), z)
    r = commander.get(f"/api/v1/tiles/road_edges/{z}/{x}/{y}.mvt")
    assert r.status_code == 200 and r.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    tile = decode(r.content)
    assert list(tile) == ["road_edges"] and tile["road_edges"]["extent"] == EXTENT
    found = [f for f in tile["road_edges"]["features"] if f["id"] == int(road["edge_id"])]
    assert len(found) == 1, "the street's edge is in the tile, once, with its edge_id as the feature id"
    props = found[0]["properties"]
    assert props["name"] == "人民北路" and props["highway"] == "primary" and props["edge_id"] == road["edge_id"]
    assert props["oneway"] is False and props["length_m"] == pytest.approx(road["length_m"])
    assert "maxspeed" not in props, "a missing value is left out, not written as a text 'None'"
    # the geometry: every vertex within one tile unit of the street, and the street's part inside the
    # tile (its buffer included) is covered end to end
    x0, y0, x1, y1 = tile_bounds(z, x, y)
    unit = (x1 - x0) / EXTENT
    got = to_metres(found[0]["geometry"], z, x, y)
    assert shapely.distance(shapely.points(shapely.get_coordinates(got)), road.geometry).max() <= unit
    pad = BUFFER * unit
    inside = shapely.clip_by_rect(road.geometry, x0 - pad, y0 - pad, x1 + pad, y1 + pad)
    assert got.length == pytest.approx(inside.length, abs=2 * unit)
    # every edge crossing the tile is there, and none that stays outside its buffer
    x0p, y0p, x1p, y1p = x0 - pad, y0 - pad, x1 + pad, y1 + pad
    crossing = set(edges.loc[edges.intersects(shapely.box(x0 + unit, y0 + unit, x1 - unit, y1 - unit)), "edge_id"])
    near = set(edges.loc[edges.intersects(shapely.box(x0p, y0p, x1p, y1p)), "edge_id"])
    ids = {f["id"] for f in tile["road_edges"]["features"]}
    assert crossing <= ids <= near and crossing


def test_properties_are_chosen_as_in_the_layers_api(commander: Any, workspace_path: Path) -> None:
    edges = Workspace(workspace_path).read("road_edges").to_crs("EPSG:3857")
    z = 15
    x, y = tile_of(edges.geometry.iloc[0].interpolate(0.5, normalized=True), z)
    some = features(commander, "road_edges", z, x, y, properties="name,highway")
    assert some and all(set(f["properties"]) <= {"edge_id", "name", "highway"} for f in some)
    assert all("edge_id" in f["properties"] and "highway" in f["properties"] for f in some)
    only_id = features(commander, "road_edges", z, x, y, properties="")
    assert only_id and all(set(f["properties"]) == {"edge_id"} for f in only_id)
    everything = features(commander, "road_edges", z, x, y)
    assert {"u", "v", "osmid", "length_m"} <= set(everything[0]["properties"])


def test_incident_tile_holds_the_known_incident(commander: Any, workspace_path: Path) -> None:
    inc = Workspace(workspace_path).read("incidents")
    known = inc[inc["incident_id"] == "I0000"].iloc[0]
    at = gpd.GeoSeries([known.geometry], crs=inc.crs).to_crs("EPSG:3857").iloc[0]
    z = 17
    x, y = tile_of(at, z)
    found = [f for f in features(commander, "incidents", z, x, y) if f["properties"]["incident_id"] == "I0000"]
    assert len(found) == 1
    props = found[0]["properties"]
    assert props["category"] == known["category"] and props["station_id"] == known["station_id"]
    assert props["occurred_at"] == known["occurred_at"].isoformat()  # times as ISO text, with the zone
    assert found[0].get("id") in (None, 0), "text ids stay in the properties (0: no MVT id)"
    got = to_metres(found[0]["geometry"], z, x, y)
    x0, _, x1, _ = tile_bounds(z, x, y)
    assert got.distance(at) <= (x1 - x0) / EXTENT


# -- jurisdiction --------------------------------------------------------------------------------------------
def _all_features(client: Any, ws: Workspace, layer: str, z: int, key: str) -> set[Any]:
    out: set[Any] = set()
    for x, y in district_tiles(ws, z):
        out |= {f["properties"][key] for f in features(client, layer, z, x, y)}
    return out


def test_station_user_sees_only_its_jurisdiction(app: Any, commander: Any, workspace_path: Path) -> None:
    ws = Workspace(workspace_path)
    inc = ws.read("incidents")
    z = 13
    everyone = _all_features(commander, ws, "incidents", z, "incident_id")  # the commander first: cached
    assert everyone == set(inc["incident_id"])
    with client_class("station")(app) as s01:
        mine = _all_features(s01, ws, "incidents", z, "incident_id")
        assert mine == set(inc.loc[inc["station_id"] == "S01", "incident_id"]) and mine
        # roads have no station column: cut by the station's area
        area = ws.read("stations").query("station_id == 'S01'").geometry.iloc[0]
        edges = ws.read("road_edges")
        roads = _all_features(s01, ws, "road_edges", z, "edge_id")
        assert roads == set(edges.loc[edges.intersects(area), "edge_id"]) and len(roads) < len(edges)
        # another station's incident, asked for by its own tile: not there
        other = inc[inc["station_id"] == "S03"].iloc[0]
        at = gpd.GeoSeries([other.geometry], crs=inc.crs).to_crs("EPSG:3857").iloc[0]
        x, y = tile_of(at, 18)
        assert other["incident_id"] not in {f["properties"]["incident_id"] for f in features(s01, "incidents", 18, x, y)}
        assert other["incident_id"] in {f["properties"]["incident_id"] for f in features(commander, "incidents", 18, x, y)}
        r1 = s01.get(f"/api/v1/tiles/incidents/18/{x}/{y}.mvt")
        r2 = commander.get(f"/api/v1/tiles/incidents/18/{x}/{y}.mvt")
        assert r1.headers["etag"] != r2.headers["etag"], "the ETag differs per scope"
    with client_class("station2")(app) as s02:
        theirs = _all_features(s02, ws, "incidents", z, "incident_id")
        assert theirs == set(inc.loc[inc["station_id"] == "S02", "incident_id"]) and not theirs & mine


def test_signed_out_is_refused(app: Any) -> None:
    from tests.app._fixtures import plain_client_class

    with plain_client_class()(app) as anon:
        r = anon.get("/api/v1/tiles/road_edges/12/3300/1700.mvt")
        assert r.status_code == 401


def test_layer_a_role_may_not_read_is_refused(ws_copy: Path, assets_ready: Path) -> None:
    from app.web import create_app

    ws = Workspace(ws_copy)
    cams = ws.read("cameras")
    gaps = gpd.GeoDataFrame({"gap_id": ["G1"], "length_m": [120.0]}, geometry=[cams.geometry.iloc[0].buffer(30)],
                            crs=ws.crs)
    ws.write({"camera_gaps": gaps})
    app = create_app(ws_copy)
    at = gpd.GeoSeries([cams.geometry.iloc[0]], crs=ws.crs).to_crs("EPSG:3857").iloc[0]
    x, y = tile_of(at, 16)
    with client_class("analyst")(app) as analyst:
        r = analyst.get(f"/api/v1/tiles/camera_gaps/16/{x}/{y}.mvt", params={"lang": "en"})
        assert r.status_code == 403 and "camera_gaps" in r.json()["detail"]
    with client_class("commander")(app) as c:
        r = c.get(f"/api/v1/tiles/camera_gaps/16/{x}/{y}.mvt")
        assert r.status_code == 200
        assert decode(r.content)["camera_gaps"]["features"][0]["properties"]["gap_id"] == "G1"
        r = c.get(f"/api/v1/tiles/camera_gaps/16/{x + 1}/{y}.mvt")  # a second tile: audited once per user
        log = c.get("/api/v1/audit", params={"action": "view"}).json()
        entries = [e for e in log["entries"] if e["target"] == "layer camera_gaps"]
        assert len(entries) == 1 and entries[0]["details"]["via"] == "tiles"


# -- refusals ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("path", "zh", "en"), [
    ("road_edges/23/0/0", "缩放级别“23”", "tile zoom '23' is not a whole number from 0 to 22"),
    ("road_edges/-1/0/0", "缩放级别“-1”", "tile zoom '-1'"),
    ("road_edges/2/4/0", "x 坐标“4”", "tile x '4' is not a whole number from 0 to 3 at zoom 2"),
    ("road_edges/2/0/abc", "y 坐标“abc”", "tile y 'abc'"),
    ("road_edges/3/1.5/2", "x 坐标“1.5”", "tile x '1.5'"),
])
def test_bad_address_is_refused_in_both_languages(commander: Any, path: str, zh: str, en: str) -> None:
    r = commander.get(f"/api/v1/tiles/{path}.mvt")
    assert r.status_code == 422 and zh in r.json()["detail"], r.text
    r = commander.get(f"/api/v1/tiles/{path}.mvt", params={"lang": "en"})
    assert r.status_code == 422 and en in r.json()["detail"], r.text


def test_unknown_layer_and_columns_are_refused(commander: Any) -> None:
    r = commander.get("/api/v1/tiles/streets/12/3300/1700.mvt", params={"lang": "en"})
    assert r.status_code == 404
    body = r.json()
    assert "layer 'streets' does not exist" in body["detail"] and "road_edges" in body["available"]
    r = commander.get("/api/v1/tiles/meta/12/3300/1700.mvt")
    assert r.status_code == 404 and "图层“meta”不存在" in r.json()["detail"]
    r = commander.get("/api/v1/tiles/road_edges/12/3300/1700.mvt", params={"properties": "name,speed"})
    assert r.status_code == 422 and "没有字段 speed" in r.json()["detail"] and "highway" in r.json()["detail"]
    r = commander.get("/api/v1/tiles/road_edges/12/3300/1700.mvt", params={"properties": "speed", "lang": "en"})
    assert r.status_code == 422 and "layer 'road_edges' has no column(s) speed" in r.json()["detail"]


def test_address_rules() -> None:
    assert parse_address("0", "0", "0") == (0, 0, 0)
    assert parse_address(22, (1 << 22) - 1, 5) == (22, (1 << 22) - 1, 5)
    for bad in (("", "0", "0"), ("1", "2", "0"), ("1", "0", "-1"), ("١", "0", "0"), ("99999999999", "0", "0")):
        with pytest.raises(InputError):
            parse_address(*bad)
    # XYZ: y grows southwards; the tiles of a zoom cover the Web Mercator square exactly
    assert tile_bounds(0, 0, 0) == pytest.approx((-HALF, -HALF, HALF, HALF))
    w, s, e, n = tile_bounds(1, 0, 0)
    assert (w, s, e, n) == pytest.approx((-HALF, 0, 0, HALF))


# -- answers: empty tiles, compression, ETag -----------------------------------------------------------------
def test_empty_tile_is_204_and_etag_gives_304(commander: Any, workspace_path: Path) -> None:
    r = commander.get("/api/v1/tiles/road_edges/10/0/0.mvt")  # the Pacific, north of Alaska
    assert r.status_code == 204 and r.content == b"" and r.headers["etag"]
    edges = Workspace(workspace_path).read("road_edges").to_crs("EPSG:3857")
    x, y = tile_of(edges.geometry.iloc[0].interpolate(0.5, normalized=True), 14)
    r = commander.get(f"/api/v1/tiles/road_edges/14/{x}/{y}.mvt", headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 200 and r.headers["content-encoding"] == "gzip"
    assert r.headers["cache-control"] == "private, no-cache" and "Accept-Encoding" in r.headers["vary"]
    etag = r.headers["etag"]
    again = commander.get(f"/api/v1/tiles/road_edges/14/{x}/{y}.mvt", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    plain = commander.get(f"/api/v1/tiles/road_edges/14/{x}/{y}.mvt", headers={"Accept-Encoding": "identity"})
    assert plain.status_code == 200 and "content-encoding" not in plain.headers
    assert plain.content == r.content and decode(plain.content)["road_edges"]["features"]


# -- the cache and the workspace's changes -------------------------------------------------------------------
def test_cache_is_used_and_dropped_when_the_workspace_changes(ws_copy: Path, assets_ready: Path) -> None:
    from app.web import create_app

    app = create_app(ws_copy)
    ws = Workspace(ws_copy)
    edges = ws.read("road_edges")
    first = edges.iloc[0]
    x, y = tile_of(gpd.GeoSeries([first.geometry], crs=ws.crs).to_crs("EPSG:3857").iloc[0].interpolate(
        0.5, normalized=True), 15)
    url = f"/api/v1/tiles/road_edges/15/{x}/{y}.mvt"
    with client_class("commander")(app) as c:
        r1 = c.get(url)
        tiles = app.state.vector_tiles
        made = tiles.made
        r2 = c.get(url)
        assert r2.content == r1.content and tiles.made == made, "the second request is served from the cache"

        def names() -> set[str]:
            return {f["properties"].get("name") for f in decode(c.get(url).content)["road_edges"]["features"]}

        assert "人民北路" in names()
        renamed = edges.copy()
        renamed.loc[renamed["name"] == "人民北路", "name"] = "人民北路（改）"
        Workspace(ws_copy).write({"road_edges": renamed})  # an import or edit replaces the file
        r3 = c.get(url)
        assert r3.headers["etag"] != r1.headers["etag"] and tiles.invalidations == 1
        assert "人民北路（改）" in names() and "人民北路" not in names()
        assert c.get(url, headers={"If-None-Match": r1.headers["etag"]}).status_code == 200, "old ETags are stale"


# -- the storage source on its own -----------------------------------------------------------------------------
def test_source_refuses_what_the_api_refuses(ws_copy: Path) -> None:
    ws = Workspace(ws_copy)
    gaps = gpd.GeoDataFrame({"gap_id": ["G1"]}, geometry=[ws.read("cameras").geometry.iloc[0].buffer(10)], crs=ws.crs)
    ws = ws.write({"notes": pd.DataFrame({"note_id": ["N1"], "text": ["夜巡注意"]}), "camera_gaps": gaps})
    src = GpkgTileSource(ws)
    with pytest.raises(InputError) as err:
        src.tile("notes", 10, 0, 0)
    assert err.value.code == "tile.no_geometry"
    with pytest.raises(WorkspaceError) as err2:
        src.tile("nope", 10, 0, 0)
    assert err2.value.code == "workspace.no_layer"
    with pytest.raises(ForbiddenError):
        src.tile("camera_gaps", 10, 0, 0, Principal("a", "analyst"))
    with pytest.raises(InputError):
        src.tile("road_edges", 3, 8, 0)
    assert src.tile("road_edges", 10, 0, 0, Principal("s", "station", "S01")) == b"", "an empty tile is empty bytes"


# -- real data: the Shanghai OSM extract ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def shanghai(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    from app.services.workspace import init_workspace

    path = tmp_path_factory.mktemp("vt-shanghai") / "huangpu.gpkg"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # osmnx warns on reading its own XML export (see PROVENANCE.md)
        ws, _ = init_workspace(path, osm=DATA / "osm" / "shanghai_huangpu.osm")
    return ws


def test_real_streets_of_shanghai_are_in_their_tiles(shanghai: Workspace) -> None:
    edges = shanghai.read("road_edges").to_crs("EPSG:3857")
    src = GpkgTileSource(shanghai)
    yanan = edges[edges["name"] == "延安中路"]
    assert len(yanan) > 5
    for _, road in yanan.head(5).iterrows():
        z = 17
        x, y = tile_of(road.geometry.interpolate(0.5, normalized=True), z)
        tile = decode(src.tile("road_edges", z, x, y))["road_edges"]
        found = [f for f in tile["features"] if f["id"] == road["edge_id"]]
        assert len(found) == 1 and found[0]["properties"]["name"] == "延安中路"
        assert found[0]["properties"]["highway"] == road["highway"]
        unit = (2 * HALF / (1 << z)) / EXTENT
        got = to_metres(found[0]["geometry"], z, x, y)
        assert shapely.distance(shapely.points(shapely.get_coordinates(got)), road.geometry).max() <= unit
    # a whole zoom-14 view: every street of the extract is in some tile, each tile under 500 KB
    seen: set[int] = set()
    w, s, e, n = edges.total_bounds
    (xa, ya), (xb, yb) = tile_of(Point(w, n), 14), tile_of(Point(e, s), 14)
    for x in range(xa, xb + 1):
        for y in range(ya, yb + 1):
            data = src.tile("road_edges", 14, x, y)
            assert len(data) < 500_000
            if data:
                seen |= {f["id"] for f in decode(data)["road_edges"]["features"]}
    long_enough = edges.loc[edges.length > 4 * (2 * HALF / (1 << 14)) / EXTENT, "edge_id"]
    assert set(long_enough) <= seen <= set(edges["edge_id"])


# -- the web cache on its own: one making per tile, a byte budget, a new source per workspace state --------------
class _SlowSource:
    def __init__(self, calls: list[tuple[Any, ...]]):
        self.calls = calls

    def tile(self, layer: str, z: int, x: int, y: int, scope: Any = None, *, properties: Any = None) -> bytes:
        self.calls.append((layer, z, x, y))
        time.sleep(0.2)
        return np.random.default_rng([z, x, y]).bytes(4000)  # does not compress: 4 KB cached


class _State:
    def __init__(self) -> None:
        self.v = 1

    def version(self) -> int:
        return self.v

    def workspace(self) -> str:
        return f"workspace v{self.v}"


def test_cache_makes_each_tile_once_within_a_byte_budget() -> None:
    from app.web.vector_tiles import VectorTiles

    calls: list[tuple[Any, ...]] = []
    sources: list[str] = []

    def source_for(ws: Any) -> _SlowSource:
        sources.append(ws)
        return _SlowSource(calls)

    tiles = VectorTiles(max_bytes=20_000, source_for=source_for)
    state = _State()
    key = tiles.key(state, None, "road_edges", 3, 1, 1, None)  # type: ignore[arg-type]
    got: list[Any] = []
    threads = [threading.Thread(target=lambda: got.append(tiles.tile(state, key, None))) for _ in range(8)]  # type: ignore[arg-type]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert len(calls) == 1 and tiles.made == 1 and len({id(t) for t in got}) == 1, "eight waited for one"
    assert gzip.decompress(got[0].gzipped) == np.random.default_rng([3, 1, 1]).bytes(4000)
    # the budget: older tiles go first, the cache never holds more than max_bytes
    for x in range(2, 12):
        tiles.tile(state, tiles.key(state, None, "road_edges", 3, x, 1, None), None)  # type: ignore[arg-type]
        assert tiles.cached_bytes <= 20_000
    assert tiles.cached(key) is None and tiles.cached(tiles.key(state, None, "road_edges", 3, 11, 1, None))
    # a new workspace state: a new source, nothing of the old one served
    state.v = 2
    key2 = tiles.key(state, None, "road_edges", 3, 11, 1, None)  # type: ignore[arg-type]
    assert tiles.cached(key2) is None and tiles.cached_bytes == 0 and tiles.invalidations == 1
    tiles.tile(state, key2, None)  # type: ignore[arg-type]
    assert sources == ["workspace v1", "workspace v2"]
