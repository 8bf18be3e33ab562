"""Roles, permissions and each user's view of a workspace (:mod:`app.storage.access`).

A tiny hand-made workspace: two station areas side by side (S01 west, S02 east) and layers that
test every rule of the jurisdiction cut: rows by ``station_id`` (own, other, empty, missing; inside
and outside the station's area), a layer without a station column (cut by the area), attribute
tables with and without a station column, and the layers some roles may not read.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from pyproj import Transformer
from shapely.geometry import LineString, MultiPolygon, Point, box

from app.storage.access import (
    ANALYST_HIDDEN_LAYERS,
    PERMISSIONS,
    ROLE_PERMISSIONS,
    ForbiddenError,
    Principal,
    ScopedWorkspace,
    scoped,
)
from app.storage.workspace import Workspace, create_workspace

CRS = "EPSG:4547"
X0, Y0 = 500_000.0, 3_078_000.0
S01_AREA = box(X0, Y0, X0 + 1000, Y0 + 1000)
S02_AREA = box(X0 + 1000, Y0, X0 + 2000, Y0 + 1000)

COMMANDER = Principal("zhihui", "commander")
ADMIN = Principal("admin", "admin")
ANALYST = Principal("fenxi", "analyst")
STATION = Principal("beihu", "station", "S01", "北湖路")
STATION2 = Principal("baoshi", "station", "S02")


def _pt(dx: float, dy: float) -> Point:
    return Point(X0 + dx, Y0 + dy)


#: (id, station_id, point): the expected rows of S01 are marked in the id
THINGS = [
    ("own-1", "S01", _pt(100, 100)),
    ("other-1", "S02", _pt(1500, 500)),
    ("own-2", "S01", _pt(900, 900)),
    ("other-inside-s01", "S02", _pt(500, 500)),  # another station's row on S01's ground: S02's
    ("own-outside", "S01", _pt(1800, 100)),  # S01's row outside its polygon: still S01's
    ("empty-inside", "", _pt(300, 300)),
    ("none-inside", None, _pt(400, 700)),
    ("empty-outside", "", _pt(1300, 300)),
    ("none-outside", None, _pt(1700, 700)),
    ("other-2", "S02", _pt(1100, 900)),
    ("own-3", "S01", _pt(10, 990)),
]
OWN_THINGS = {"own-1", "own-2", "own-outside", "empty-inside", "none-inside", "own-3"}


@pytest.fixture(scope="module")
def ws_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    stations = gpd.GeoDataFrame(
        {"station_id": ["S01", "S02"], "name": ["北湖路派出所", "抱石路派出所"], "name_en": ["Beihu", "Baoshi"],
         "site_x": [X0 + 500, X0 + 1500], "site_y": [Y0 + 500] * 2},
        geometry=[MultiPolygon([S01_AREA]), MultiPolygon([S02_AREA])], crs=CRS)
    things = gpd.GeoDataFrame(
        {"thing_id": [t[0] for t in THINGS], "station_id": pd.array([t[1] for t in THINGS], dtype="string"),
         "n": range(len(THINGS))},
        geometry=[t[2] for t in THINGS], crs=CRS)
    roads = gpd.GeoDataFrame(
        {"road_id": ["in-s01", "in-s02", "crossing", "on-border"]},
        geometry=[LineString([(X0 + 100, Y0 + 50), (X0 + 800, Y0 + 50)]),
                  LineString([(X0 + 1100, Y0 + 50), (X0 + 1800, Y0 + 50)]),
                  LineString([(X0 + 500, Y0 + 500), (X0 + 1500, Y0 + 500)]),
                  LineString([(X0 + 1000, Y0 + 100), (X0 + 1000, Y0 + 300)])], crs=CRS)
    lookup = pd.DataFrame({"code": ["a", "b"], "label": ["甲", "乙"]})
    per_station = pd.DataFrame({"station_id": ["S01", "S02", None], "budget": [3, 5, 7]})
    gaps = gpd.GeoDataFrame({"gap_id": ["g1", "g2"], "station_id": ["S01", "S02"]},
                            geometry=[_pt(50, 50), _pt(1500, 50)], crs=CRS)
    truth = gpd.GeoDataFrame({"cell_id": [1, 2]}, geometry=[box(X0, Y0, X0 + 10, Y0 + 10),
                                                            box(X0 + 1500, Y0, X0 + 1510, Y0 + 10)], crs=CRS)
    beats = gpd.GeoDataFrame({"beat": ["B01"]}, geometry=[LineString([(X0 + 100, Y0 + 600), (X0 + 1900, Y0 + 600)])],
                             crs=CRS)  # a brigade beat's main road across both stations
    path = tmp_path_factory.mktemp("access") / "tiny.gpkg"
    create_workspace(path, {"stations": stations, "things": things, "roads": roads, "lookup": lookup,
                            "per_station": per_station, "camera_gaps": gaps, "demo_truth": truth, "beats": beats},
                     crs=CRS, meta={"name": "小辖区", "district": "tiny", "hotspots": {"cells": 3}})
    return path


@pytest.fixture(scope="module")
def ws(ws_path: Path) -> Workspace:
    return Workspace(ws_path)


@pytest.fixture()
def mine(ws: Workspace) -> ScopedWorkspace:
    return ScopedWorkspace(ws, STATION)


# -- roles and permissions (from the issue, not from the table under test) --------------------------------
#: Role -> what the issue lets it do: commander the whole district; station its own jurisdiction
#: (plans and exports its routes and gaps); analyst read-only, no exports of gap lists or routes;
#: admin users and data; officer its own unit's plan on the phone and its track (issue 17), whoever plans
#: routes hands them to phones too.
MAY = {
    "admin": set(PERMISSIONS),
    "commander": set(PERMISSIONS) - {"manage_users"},
    "station": {"view", "export", "plan", "field"},
    "analyst": {"view", "analyse"},
    "officer": {"field"},
}
NEVER = {
    "station": {"manage_users", "view_audit", "change_data", "analyse_write", "site", "analyse"},
    "analyst": {"manage_users", "view_audit", "change_data", "analyse_write", "site", "export", "plan", "field"},
    "commander": {"manage_users"},
    "officer": set(PERMISSIONS) - {"field"},
}


@pytest.mark.parametrize("role", ["admin", "commander", "station", "analyst", "officer"])
def test_permissions_of_each_role(role: str) -> None:
    p = Principal("x", role, "S01" if role == "station" else None, unit_id="U0001" if role == "officer" else None)
    granted = {perm for perm in PERMISSIONS if p.can(perm)}
    assert granted == MAY[role], f"{role}: has {sorted(granted)}"
    assert not granted & NEVER.get(role, set())
    assert p.permissions == ROLE_PERMISSIONS[role]


def test_only_admins_manage_users_and_only_commanders_and_admins_read_the_audit_log() -> None:
    assert [r for r in ROLE_PERMISSIONS if Principal("x", r).can("manage_users")] == ["admin"]
    assert sorted(r for r in ROLE_PERMISSIONS if Principal("x", r).can("view_audit")) == ["admin", "commander"]


def test_unknown_role_and_permission() -> None:
    nobody = Principal("x", "superuser")
    assert not any(nobody.can(p) for p in PERMISSIONS), "an unknown role gets nothing"
    with pytest.raises(KeyError):
        COMMANDER.can("fly")


def test_scope_keys_separate_what_users_see() -> None:
    assert STATION.scoped and not COMMANDER.scoped and not ANALYST.scoped and not ADMIN.scoped
    keys = {STATION.scope_key, STATION2.scope_key, ANALYST.scope_key, COMMANDER.scope_key}
    assert len(keys) == 4, "station S01, station S02, analyst and the district must never share a cache"
    assert COMMANDER.scope_key == ADMIN.scope_key
    assert Principal("other-s01-user", "station", "S01").scope_key == STATION.scope_key


def test_layers_a_role_may_not_read() -> None:
    assert "camera_gaps" in ANALYST_HIDDEN_LAYERS
    assert not ANALYST.may_read_layer("camera_gaps") and ANALYST.may_read_layer("incidents")
    assert not STATION.may_read_layer("demo_truth") and STATION.may_read_layer("camera_gaps")
    assert all(p.may_read_layer(n) for p in (COMMANDER, ADMIN) for n in ("camera_gaps", "demo_truth"))


# -- the district-wide view ------------------------------------------------------------------------------
def test_no_principal_is_the_workspace_itself(ws: Workspace) -> None:
    assert scoped(ws, None) is ws


@pytest.mark.parametrize("who", [COMMANDER, ADMIN])
def test_district_view_reads_everything(ws: Workspace, who: Principal) -> None:
    view = scoped(ws, who)
    assert view.layers() == ws.layers()
    for name in ws.layers():
        pd.testing.assert_frame_equal(pd.DataFrame(view.read(name)), pd.DataFrame(ws.read(name)))
        assert view.count(name) == ws.count(name)
    assert view.meta == ws.meta and view.meta_json("hotspots") == {"cells": 3}
    assert [li.features for li in view.info().layers] == [li.features for li in ws.info().layers]


def test_analyst_cannot_read_camera_gaps(ws: Workspace) -> None:
    view = ScopedWorkspace(ws, ANALYST)
    assert "camera_gaps" not in view.layers() and not view.has("camera_gaps")
    for read in (lambda: view.read("camera_gaps"), lambda: view.read("camera_gaps", columns=["gap_id"]),
                 lambda: view.count("camera_gaps")):
        with pytest.raises(ForbiddenError, match="camera_gaps"):
            read()
    assert "camera_gaps" not in [li.name for li in view.info().layers]
    assert len(view.read("things")) == len(THINGS), "everything else stays district-wide"


# -- a station user's view ---------------------------------------------------------------------------------
def _ids(frame: pd.DataFrame, col: str = "thing_id") -> set[str]:
    return set(frame[col].astype(str))


def test_rows_by_station_id_and_empty_ones_by_area(mine: ScopedWorkspace) -> None:
    assert _ids(mine.read("things")) == OWN_THINGS


def test_other_station_sees_the_mirror(ws: Workspace) -> None:
    theirs = ScopedWorkspace(ws, STATION2).read("things")
    assert _ids(theirs) == {"other-1", "other-inside-s01", "empty-outside", "none-outside", "other-2"}


def test_layer_without_station_column_is_cut_by_the_area(mine: ScopedWorkspace) -> None:
    roads = mine.read("roads")
    assert _ids(roads, "road_id") == {"in-s01", "crossing", "on-border"}
    assert all(shapely.intersects(S01_AREA, g) for g in roads.geometry)


def test_attribute_tables(mine: ScopedWorkspace) -> None:
    lookup = mine.read("lookup")
    assert len(lookup) == 0 and list(lookup.columns) == ["code", "label"], "no station column: nothing"
    per_station = mine.read("per_station")
    assert per_station["station_id"].tolist() == ["S01"], "a station column without geometry: own rows only"


def test_stations_layer_shows_only_its_own_station(mine: ScopedWorkspace) -> None:
    assert mine.read("stations")["station_id"].tolist() == ["S01"]


@pytest.mark.parametrize(("bbox", "where"), [
    ((X0 + 1050, Y0, X0 + 2000, Y0 + 1000), None),  # only S02's ground
    (None, "station_id = 'S02'"),
    (None, "thing_id = 'other-1'"),
    ((X0 + 1050, Y0, X0 + 2000, Y0 + 1000), "station_id = 'S02' OR station_id IS NULL"),
])
def test_asking_for_another_stations_data_returns_none_of_it(mine: ScopedWorkspace, bbox: tuple | None,
                                                              where: str | None) -> None:
    got = _ids(mine.read("things", bbox=bbox, where=where))
    assert got <= OWN_THINGS, f"foreign rows: {got - OWN_THINGS}"
    if bbox is not None:
        assert got <= {"own-outside"}, "only S01's own row lies in that box"


def test_columns_are_kept_after_the_cut(mine: ScopedWorkspace) -> None:
    frame = mine.read("things", columns=["thing_id"])
    assert _ids(frame) == OWN_THINGS, "asking for fewer columns must not loosen the cut"
    assert "station_id" not in frame.columns and frame.geometry.name in frame.columns
    frame = mine.read("roads", columns=[])
    assert len(frame) == 3 and list(frame.columns) == [frame.geometry.name]


def test_pagination_applies_after_the_cut(mine: ScopedWorkspace, ws: Workspace) -> None:
    everything = mine.read("things")
    pages = [mine.read("things", skip_features=k, max_features=2) for k in range(0, len(THINGS), 2)]
    paged = pd.concat(pages)["thing_id"].tolist()
    assert paged == everything["thing_id"].tolist(), "pages concatenate to the cut layer, in order"
    assert sum(len(p) for p in pages[: len(OWN_THINGS) // 2]) == len(OWN_THINGS)
    assert all(len(p) == 0 for p in pages[len(OWN_THINGS) // 2:]), "pages past the end are empty"
    assert list(pages[0].index) == [0, 1] and list(pages[1].index) == [0, 1]
    # the first raw row of the file is S01's; the second page of the file would be S02's rows
    assert ws.read("things", skip_features=1, max_features=1)["station_id"].iloc[0] == "S02"
    assert mine.read("things", skip_features=1, max_features=1)["thing_id"].iloc[0] == "own-2"
    assert len(mine.read("things", skip_features=100)) == 0


def test_counts_and_info_are_the_stations(mine: ScopedWorkspace, ws: Workspace) -> None:
    assert mine.count("things") == len(OWN_THINGS)
    assert mine.count("lookup") == 0 and mine.count("stations") == 1
    info = mine.info()
    by_name = {li.name: li for li in info.layers}
    assert by_name["things"].features == len(OWN_THINGS) and by_name["roads"].features == 3
    assert "demo_truth" not in by_name
    # the extent is the station's area, not the district's
    west, south, east, north = info.extent_wgs84  # type: ignore[misc]
    tr = Transformer.from_crs(CRS, "EPSG:4326", always_xy=True)
    w1, s1, e1, n1 = tr.transform_bounds(*S01_AREA.bounds)
    assert (west, south, east, north) == pytest.approx((w1, s1, e1, n1), abs=1e-6)
    assert east < tr.transform_bounds(*S02_AREA.bounds)[2]
    assert ws.info().extent_wgs84 != info.extent_wgs84


def test_station_sees_no_district_wide_settings(mine: ScopedWorkspace, ws: Workspace) -> None:
    assert ws.meta["district"] == "tiny" and ws.meta_json("hotspots") == {"cells": 3}
    assert "district" not in mine.meta and "hotspots" not in mine.meta
    assert mine.meta_json("hotspots", "none") == "none"
    assert mine.meta["name"] == "小辖区" and mine.meta["working_crs"] == ws.meta["working_crs"]
    assert set(mine.info().meta) <= set(mine.meta)
    # nor through the meta table itself
    keys = set(mine.read("meta")["key"])
    assert "name" in keys and not keys & {"district", "hotspots"}, sorted(keys)


def test_station_cannot_read_the_demo_truth(mine: ScopedWorkspace) -> None:
    assert "demo_truth" not in mine.layers() and not mine.has("demo_truth")
    with pytest.raises(ForbiddenError):
        mine.read("demo_truth")
    with pytest.raises(ForbiddenError):
        mine.count("demo_truth")


def test_station_reads_its_own_camera_gaps(mine: ScopedWorkspace) -> None:
    assert _ids(mine.read("camera_gaps"), "gap_id") == {"g1"}


@pytest.mark.parametrize("who", [STATION, COMMANDER, ANALYST, ADMIN])
def test_views_are_read_only(ws: Workspace, who: Principal) -> None:
    view = ScopedWorkspace(ws, who)
    with pytest.raises(ForbiddenError):
        view.write({"things": ws.read("things")})
    assert view.unscoped is ws


def test_unknown_station_or_no_stations_layer_sees_nothing(ws: Workspace, tmp_path: Path) -> None:
    ghost = ScopedWorkspace(ws, Principal("ghost", "station", "S99"))
    with pytest.raises(ForbiddenError, match="S99"):
        ghost.read("things")
    bare = create_workspace(tmp_path / "bare.gpkg", {"roads": ws.read("roads")}, crs=CRS)
    with pytest.raises(ForbiddenError, match="stations"):
        ScopedWorkspace(bare, STATION).read("roads")


def test_station_of_several_polygons_is_their_union(tmp_path: Path, ws: Workspace) -> None:
    stations = gpd.GeoDataFrame({"station_id": ["S01", "S01"], "name": ["北湖路", "北湖路（飞地）"],
                                 "site_x": [X0 + 500] * 2, "site_y": [Y0 + 500] * 2},
                                geometry=[MultiPolygon([S01_AREA]), MultiPolygon([box(X0 + 1700, Y0, X0 + 2000, Y0 + 400)])],
                                crs=CRS)
    two = create_workspace(tmp_path / "two.gpkg", {"stations": stations, "roads": ws.read("roads"),
                                                   "things": ws.read("things")}, crs=CRS)
    view = ScopedWorkspace(two, STATION)
    assert _ids(view.read("roads"), "road_id") == {"in-s01", "in-s02", "crossing", "on-border"}
    assert "none-outside" not in _ids(view.read("things"))  # (1700, 700) is outside the enclave
    assert _ids(view.read("things")) == OWN_THINGS


def test_a_beat_across_stations_is_cut_to_the_stations_area(mine: ScopedWorkspace, ws: Workspace) -> None:
    """Issue 18: a station's map drew whole brigade beats far outside its boundary."""
    whole = ws.read("beats").geometry.iloc[0]
    seen = mine.read("beats")
    assert list(seen["beat"]) == ["B01"]
    assert seen.geometry.iloc[0].length == pytest.approx(900.0) and whole.length == pytest.approx(1800.0)
    assert seen.geometry.iloc[0].within(S01_AREA.buffer(1e-6))
