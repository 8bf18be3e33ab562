"""Vector tiles of a PostgreSQL workspace, made by PostGIS (``ST_AsMVT``, app.storage.pg_tiles),
against the Python tiles (``mapbox-vector-tile``) of the same request on the same data.

Decoded with ``mapbox_vector_tile``, a PostGIS tile holds the features the Python tile draws, with
the same ids and the same properties (names, values and types), their geometry within two tile
units (of 4096) of the Python one; the two differ only in features that draw nothing (a line
shorter than two units, which PostGIS drops, or a feature touching only the buffer's outer edge).
A station user's tiles hold its jurisdiction only, refusals are the same, and a write to the
workspace gives new tiles. Data: the test workspace (tests/app/_fixtures.py) and the real Shanghai
OSM extract (tests/data/osm). A throwaway PostgreSQL cluster (tests/pg.py).
"""

from __future__ import annotations

import json
import shutil
import warnings
from collections import Counter
from pathlib import Path
from typing import Any

import geopandas as gpd
import mapbox_vector_tile
import pandas as pd
import pytest
import shapely
from psycopg import sql
from shapely.geometry import shape

from app.services.workspace_copy import copy_workspace
from app.storage.access import Principal
from app.storage.pg_layers import PgWorkspace
from app.storage.pg_tiles import INDEX_MIN_ZOOM, PgTileSource
from app.storage.vector_tiles import EXTENT, GpkgTileSource, id_column
from app.storage.workspace import Workspace
from app.web import create_app
from tests.app._auth import ensure_users, token_for
from tests.app._fixtures import plain_client_class
from tests.app.test_vector_tiles import DATA, district_tiles, tile_of
from tests.pg import pg_url  # noqa: F401 - the fixture

SCOPES = {
    "whole": None,
    "commander": Principal("c", "commander"),
    "analyst": Principal("a", "analyst"),
    "S01": Principal("s1", "station", "S01"),
    "S02": Principal("s2", "station", "S02"),
}


@pytest.fixture(scope="module")
def pg_ws(workspace_path: Path, pg_url: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:  # noqa: F811
    """The test workspace with a gap list (hidden from analysts), the demo's truth (hidden from
    stations) and an attribute table, in PostgreSQL; there the gap list gets an integer and a boolean
    column with a missing value (read as floats) and a whole float beside an equal integer."""
    path = tmp_path_factory.mktemp("vt-pg") / "ws.gpkg"
    shutil.copyfile(workspace_path, path)
    ws = Workspace(path)
    cams = ws.read("cameras")
    gaps = gpd.GeoDataFrame({"gap_id": ["G1", "G2"], "length_m": [120.0, 0.0], "station_id": ["S01", None]},
                            geometry=[cams.geometry.iloc[0].buffer(30), cams.geometry.iloc[1].buffer(40)], crs=ws.crs)
    truth = gpd.GeoDataFrame({"cell_id": [1], "weight": [0.5]}, geometry=[ws.read("boundary").geometry.iloc[0]],
                             crs=ws.crs)
    ws.write({"camera_gaps": gaps, "demo_truth": truth, "notes": pd.DataFrame({"note_id": ["N1"], "text": ["夜巡"]})})
    ensure_users(path)
    url = f"{pg_url}?schema=tiles_pg"
    copy_workspace(path, url)
    odd = gaps.assign(count=[0, 2], length_m=[0.0, 120.0], rank=pd.array([None, 3], dtype="Int64"),
                      checked=pd.array([None, True], dtype="boolean"))
    odd = odd[["gap_id", "count", "length_m", "rank", "checked", "station_id", "geometry"]]
    PgWorkspace(url).write({"camera_gaps": odd})
    pg = PgWorkspace(url)
    assert pg._catalog["camera_gaps"].dtypes["rank"] == "int64" and pg._catalog["camera_gaps"].dtypes["checked"] == "bool"
    return {"path": path, "url": url, "ws": pg}


# -- comparing two tiles ------------------------------------------------------------------------------
def decode(data: bytes, layer: str) -> list[dict[str, Any]]:
    if not data:
        return []
    return mapbox_vector_tile.decode(data, default_options={"y_coord_down": True})[layer]["features"]  # type: ignore[no-any-return]


def _draws(f: dict[str, Any]) -> bool:
    """Whether a decoded feature draws something in the tile itself (not only in its buffer)."""
    g = shape(f["geometry"])
    inside = shapely.clip_by_rect(g, 0, 0, EXTENT, EXTENT)
    if inside.is_empty:
        return False
    return g.geom_type.endswith("Point") or g.length >= 2 or g.area >= 2


def _typed(props: dict[str, Any]) -> dict[str, tuple[str, Any]]:
    return {k: (type(v).__name__, v) for k, v in props.items()}


def _keyed(features: list[dict[str, Any]], ident: str | None) -> dict[Any, dict[str, Any]]:
    out: dict[Any, dict[str, Any]] = {}
    seen: Counter[str] = Counter()
    for f in features:
        label = f["properties"][ident] if ident else json.dumps(f["properties"], sort_keys=True, ensure_ascii=False)
        seen[str(label)] += 1
        out[(label, seen[str(label)])] = f
    return out


def _off(a: Any, b: Any) -> float:
    """How far (tile units) the part of ``a`` drawn in the tile lies from ``b``: the farthest point of
    a line or point, for polygons 0 when it lies within 2 units of ``b`` (else the area outside)."""
    drawn = shapely.clip_by_rect(a, 0, 0, EXTENT, EXTENT)
    if drawn.is_empty:
        return 0.0
    if drawn.area:
        return float(shapely.difference(drawn, b.buffer(2)).area)
    return float(shapely.distance(shapely.points(shapely.get_coordinates(shapely.segmentize(drawn, 1.0))), b).max())


def assert_same_tile(pg: bytes, py: bytes, layer: str, columns: list[str], where: str) -> int:
    """The PostGIS tile is the Python tile (see the module's text); the number of features compared."""
    a, b = decode(pg, layer), decode(py, layer)
    ident = id_column(layer, columns)
    if ident is not None and not all(ident in f["properties"] for f in a + b):
        ident = None
    ka, kb = _keyed([f for f in a if _draws(f)], ident), _keyed([f for f in b if _draws(f)], ident)
    assert set(ka) == set(kb), f"{where}: PostGIS only {sorted(set(ka) - set(kb))[:5]}, " \
                               f"Python only {sorted(set(kb) - set(ka))[:5]}"
    for k, fa in ka.items():
        fb = kb[k]
        assert fa.get("id") == fb.get("id"), f"{where}: feature {k}: id {fa.get('id')} != {fb.get('id')}"
        assert _typed(fa["properties"]) == _typed(fb["properties"]), f"{where}: feature {k}"
        ga, gb = shape(fa["geometry"]), shape(fb["geometry"])
        off = max(_off(ga, gb), _off(gb, ga))
        assert off <= 2, f"{where}: feature {k}: geometry off by {off:.1f} tile units"
    return len(ka)


def _sample(tiles: list[tuple[int, int]], n: int) -> list[tuple[int, int]]:
    step = max(1, len(tiles) // n)
    return tiles[::step]


# -- the same tiles as the Python source's -----------------------------------------------------------------
@pytest.mark.parametrize("scope", list(SCOPES))
def test_postgis_tiles_are_the_python_tiles(pg_ws: dict[str, Any], scope: str) -> None:
    ws: PgWorkspace = pg_ws["ws"]
    pg, py = PgTileSource(ws), GpkgTileSource(ws)  # type: ignore[arg-type]
    who = SCOPES[scope]
    compared = Counter()
    layers = [n for n in ws.layers() if n != "notes" and (who is None or who.may_read_layer(n))]
    for layer in layers:
        columns = list(ws.read(layer, max_features=0).drop(columns="geometry").columns)
        for z in (INDEX_MIN_ZOOM - 1, 13, 15, 17):
            for x, y in _sample(district_tiles(ws, z), 12):  # type: ignore[arg-type]
                for props in (None, [], columns[-1:]):
                    where = f"{scope} {layer} {z}/{x}/{y} properties={props}"
                    compared[layer] += assert_same_tile(pg.tile(layer, z, x, y, who, properties=props),
                                                        py.tile(layer, z, x, y, who, properties=props),
                                                        layer, columns, where)
    assert all(compared[n] for n in layers if n != "camera_gaps" or scope != "S02"), compared


def test_postgis_tiles_of_real_shanghai_streets_are_the_python_tiles(pg_url: str,  # noqa: F811
                                                                    tmp_path_factory: pytest.TempPathFactory) -> None:
    from app.services.workspace import init_workspace

    path = tmp_path_factory.mktemp("vt-pg-shanghai") / "huangpu.gpkg"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # osmnx warns on reading its own XML export (see PROVENANCE.md)
        init_workspace(path, osm=DATA / "osm" / "shanghai_huangpu.osm")
    url = f"{pg_url}?schema=tiles_shanghai"
    copy_workspace(path, url)
    ws = PgWorkspace(url)
    pg, py = PgTileSource(ws), GpkgTileSource(ws)  # type: ignore[arg-type]
    edges = ws.read("road_edges").to_crs("EPSG:3857")
    w, s, e, n = edges.total_bounds
    compared = Counter()
    for layer in [n for n in ws.layers() if ws.read(n, max_features=0).__class__ is gpd.GeoDataFrame]:
        columns = list(ws.read(layer, max_features=0).drop(columns="geometry").columns)
        for z in (14, 16, 17):
            (xa, ya), (xb, yb) = tile_of(shapely.Point(w, n), z), tile_of(shapely.Point(e, s), z)
            tiles = [(x, y) for x in range(xa, xb + 1) for y in range(ya, yb + 1)]
            for x, y in _sample(tiles, 15):
                compared[layer] += assert_same_tile(pg.tile(layer, z, x, y), py.tile(layer, z, x, y), layer, columns,
                                                    f"shanghai {layer} {z}/{x}/{y}")
    assert compared["road_edges"] > 1000 and compared["road_nodes"] > 500, compared


def test_the_tile_query_finds_rows_through_the_gist_index(pg_ws: dict[str, Any]) -> None:
    ws: PgWorkspace = pg_ws["ws"]
    src = PgTileSource(ws)
    edges = ws.read("road_edges").to_crs("EPSG:3857")
    x, y = tile_of(edges.geometry.iloc[0].interpolate(0.5, normalized=True), 16)
    with ws._reading() as con:
        info = src._layer(con, "road_edges")
        query, args = src._query(info, ["edge_id", "name"], 16, x, y, sql.SQL("true"), [], True)
        con.execute("SET LOCAL enable_seqscan = off")  # a table this small is read whole otherwise
        plan = "\n".join(r[0] for r in con.execute(sql.SQL("EXPLAIN ") + query, args).fetchall())
    assert "road_edges_geom_gist" in plan, plan


# -- empty tiles, jurisdiction, refusals ---------------------------------------------------------------
def test_a_tile_outside_the_district_is_empty(pg_ws: dict[str, Any]) -> None:
    src = PgTileSource(pg_ws["ws"])
    for who in SCOPES.values():
        assert src.tile("road_edges", 10, 0, 0, who) == b""
        assert src.tile("incidents", 16, 1000, 1000, who) == b""
    app = create_app(pg_ws["url"])
    with plain_client_class()(app) as c:
        c.headers.update({"Authorization": f"Bearer {token_for('commander')}"})
        r = c.get("/api/v1/tiles/road_edges/10/0/0.mvt")
        assert r.status_code == 204 and r.content == b""


def _all(client: Any, ws: Any, layer: str, z: int, key: str) -> set[Any]:
    out: set[Any] = set()
    for x, y in district_tiles(ws, z):
        r = client.get(f"/api/v1/tiles/{layer}/{z}/{x}/{y}.mvt")
        assert r.status_code in (200, 204), r.text
        out |= {f["properties"][key] for f in decode(r.content, layer)}
    return out


def test_station_user_sees_only_its_jurisdiction_from_postgis(pg_ws: dict[str, Any]) -> None:
    ws: PgWorkspace = pg_ws["ws"]
    app = create_app(pg_ws["url"])
    inc, edges = ws.read("incidents"), ws.read("road_edges")
    area = ws.read("stations").query("station_id == 'S01'").geometry.iloc[0]
    clients = {}
    for role in ("commander", "station", "station2"):
        clients[role] = plain_client_class()(app)
        clients[role].headers.update({"Authorization": f"Bearer {token_for(role)}"})
    with clients["commander"] as boss, clients["station"] as s01, clients["station2"] as s02:
        assert _all(boss, ws, "incidents", 13, "incident_id") == set(inc["incident_id"])
        mine = _all(s01, ws, "incidents", 13, "incident_id")
        assert mine and mine == set(inc.loc[inc["station_id"] == "S01", "incident_id"])
        theirs = _all(s02, ws, "incidents", 13, "incident_id")
        assert theirs == set(inc.loc[inc["station_id"] == "S02", "incident_id"]) and not theirs & mine
        roads = _all(s01, ws, "road_edges", 13, "edge_id")  # no station column: cut by the station's area
        assert roads == set(edges.loc[edges.intersects(area), "edge_id"]) and len(roads) < len(edges)
        gaps = _all(s01, ws, "camera_gaps", 13, "gap_id")  # G2 has no station: kept where inside S01's area
        cams = ws.read("cameras")
        expected = {"G1"} | ({"G2"} if cams.geometry.iloc[1].buffer(40).intersects(area) else set())
        assert gaps == expected
        other = inc[inc["station_id"] == "S02"].iloc[0]
        at = gpd.GeoSeries([other.geometry], crs=inc.crs).to_crs("EPSG:3857").iloc[0]
        x, y = tile_of(at, 18)
        url = f"/api/v1/tiles/incidents/18/{x}/{y}.mvt"
        assert other["incident_id"] not in {f["properties"]["incident_id"] for f in decode(s01.get(url).content,
                                                                                           "incidents")}
        assert other["incident_id"] in {f["properties"]["incident_id"] for f in decode(boss.get(url).content,
                                                                                       "incidents")}
        assert s01.get(url).headers["etag"] != boss.get(url).headers["etag"], "the ETag differs per scope"
        r = s01.get("/api/v1/tiles/demo_truth/13/0/0.mvt", params={"lang": "en"})
        assert r.status_code == 403


def _refusal(fn: Any) -> tuple[str, str, str]:
    try:
        fn()
    except Exception as exc:  # noqa: BLE001 - compared by type, code and message
        return type(exc).__name__, str(getattr(exc, "code", "")), str(exc)
    raise AssertionError("not refused")


@pytest.mark.parametrize(("layer", "who", "address", "props"), [
    ("notes", None, (10, 0, 0), None),
    ("nope", None, (10, 0, 0), None),
    ("meta", None, (10, 0, 0), None),
    ("camera_gaps", SCOPES["analyst"], (10, 0, 0), None),
    ("demo_truth", SCOPES["S01"], (10, 0, 0), None),
    ("road_edges", Principal("s9", "station", "S99"), (10, 0, 0), None),
    ("road_edges", None, (3, 8, 0), None),
    ("road_edges", None, (23, 0, 0), None),
    ("road_edges", None, (10, 0, 0), ["speed"]),
])
def test_refusals_are_the_python_sources(pg_ws: dict[str, Any], layer: str, who: Principal | None,
                                         address: tuple[int, int, int], props: list[str] | None) -> None:
    ws = pg_ws["ws"]
    pg, py = PgTileSource(ws), GpkgTileSource(ws)
    got = _refusal(lambda: pg.tile(layer, *address, who, properties=props))
    assert got == _refusal(lambda: py.tile(layer, *address, who, properties=props))
    assert got[0] in ("InputError", "WorkspaceError", "ForbiddenError")


# -- a write gives new tiles ------------------------------------------------------------------------------------
def test_tiles_change_when_the_workspace_is_written(pg_ws: dict[str, Any], pg_url: str) -> None:  # noqa: F811
    url = f"{pg_url}?schema=tiles_pg_write"
    copy_workspace(pg_ws["path"], url)
    app = create_app(url)
    ws = PgWorkspace(url)
    edges = ws.read("road_edges")
    at = gpd.GeoSeries([edges.geometry.iloc[0]], crs=ws.crs).to_crs("EPSG:3857").iloc[0]
    x, y = tile_of(at.interpolate(0.5, normalized=True), 15)
    tile_url = f"/api/v1/tiles/road_edges/15/{x}/{y}.mvt"
    with plain_client_class()(app) as c:
        c.headers.update({"Authorization": f"Bearer {token_for('commander')}"})

        def names() -> set[str]:
            return {f["properties"].get("name") for f in decode(c.get(tile_url).content, "road_edges")}

        r1 = c.get(tile_url)
        tiles = app.state.vector_tiles
        assert isinstance(tiles._source, PgTileSource)
        made = tiles.made
        assert c.get(tile_url).content == r1.content and tiles.made == made, "the second answer is the cached one"
        old = "人民北路"
        assert old in names()
        renamed = edges.copy()
        renamed.loc[renamed["name"] == old, "name"] = old + "（改）"
        ws.write({"road_edges": renamed})
        r2 = c.get(tile_url)
        assert r2.headers["etag"] != r1.headers["etag"] and tiles.invalidations == 1
        assert old + "（改）" in names() and old not in names()
        assert c.get(tile_url, headers={"If-None-Match": r1.headers["etag"]}).status_code == 200


def test_property_types_follow_the_layer_as_read(pg_ws: dict[str, Any]) -> None:
    """An integer or boolean column with a missing value reads as floats, so its tiles carry floats; a
    whole float stays a float beside an equal integer of another column."""
    ws: PgWorkspace = pg_ws["ws"]
    gaps = ws.read("camera_gaps").to_crs("EPSG:3857")
    src = PgTileSource(ws)
    for gap_id, want in (("G1", {"count": ("int", 0), "length_m": ("float", 0.0)}),
                         ("G2", {"rank": ("float", 3.0), "checked": ("float", 1.0), "count": ("int", 2)})):
        x, y = tile_of(gaps.loc[gaps["gap_id"] == gap_id].geometry.iloc[0].centroid, 16)
        found = [f for f in decode(src.tile("camera_gaps", 16, x, y), "camera_gaps")
                 if f["properties"]["gap_id"] == gap_id]
        assert len(found) == 1
        typed = _typed(found[0]["properties"])
        assert {k: typed.get(k) for k in want} == want, typed
        assert gap_id == "G2" or ("rank" not in typed and "checked" not in typed), "missing values are left out"
