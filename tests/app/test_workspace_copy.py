"""``patrolnet workspace copy``: a workspace into PostgreSQL/PostGIS (a throwaway cluster, tests/pg.py) and
back gives the same layers (columns, dtypes, CRS, feature ids, order), meta, audit log and records; a
failure leaves nothing half-written; existing targets and bad locations are refused, naming the URL
without its password; a bbox read through the GiST index equals the GeoPackage's."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import psycopg
import pyogrio
import pytest
from argon2 import PasswordHasher
from shapely.geometry import LineString, Point
from typer.testing import CliRunner

import app.storage.users as users_mod
from app.cli import cli
from app.i18n import said
from app.services import workspace_copy
from app.services.workspace_copy import copy_workspace
from app.storage.audit import audit_path
from app.storage.gpkg import GpkgAuditLog
from app.storage.pg import PgAuditLog, PgRecordStore, PgUserStore, parse_location
from app.storage.pg_layers import PgWorkspace
from app.storage.records import RecordStore, records_path
from app.storage.users import UserStore, users_path
from app.storage.workspace import Workspace
from geo.errors import InputError, WorkspaceError
from tests.pg import pg_url  # noqa: F401 - the fixture

CRS = "EPSG:4547"


def _schema(tmp_path: Path, prefix: str = "ws") -> str:
    return f"{prefix}_{tmp_path.name[-12:].lower().replace('-', '_')}"


def _enrich(path: Path) -> None:
    """The test workspace plus what a real one gathers: a custom layer with missing integers and
    booleans, float32 and int16 columns, an empty layer, a table, audit entries, records and users."""
    ws = Workspace(path)
    x, y = ws.read("road_nodes").geometry.iloc[0].coords[0]
    points = gpd.GeoDataFrame(
        {"point_id": ["P1", "P2", "P3", "P4"],
         "visits": pd.array([3, None, 7, 2**40], dtype="Int64"),
         "checked": pd.array([True, None, False, True], dtype="boolean"),
         "weight": np.array([0.5, 1.25, np.nan, 2.0], dtype="float32"),
         "rank": np.array([1, 2, 3, 4], dtype="int16"),
         "note": ["东门", None, "", "north gate"]},
        geometry=[Point(x + 10 * i, y + 5 * i) for i in range(4)], crs=CRS)
    empty = gpd.GeoDataFrame({"label": pd.Series([], dtype=object)}, geometry=gpd.GeoSeries([], crs=CRS), crs=CRS)
    roster = pd.DataFrame({"team": ["G1", "G2"], "officers": [1, 2], "on_duty": [True, False]})
    incidents = ws.read("incidents")
    incidents.loc[0, "occurred_at"] += pd.Timedelta(microseconds=123400)  # kept to the microsecond
    ws.write({"patrol_points": points, "empty_zone": empty, "duty_roster": roster, "incidents": incidents},
             meta={"note": {"k": [1, "二"]}})
    log = GpkgAuditLog(path)
    log.record(actor="cli:root", action="import", target=path.name, details={"layer": "incidents", "rows": 48})
    log.record(actor="zhihui", action="export", target="gaps.xlsx", details={"名称": "盲区", "n": 3})
    records = RecordStore(path)
    plan = records.add(kind="routes", author="beihu", params={"shift": "20:00-24:00"}, inputs_version="v1",
                       folder="/srv/out/p1", files=["routes.gpx"], station_id="S01", day="2026-12-02",
                       shift="20:00-24:00", units=["G1"], result={"units": [{"unit_id": "G1"}]})
    records.change(plan.id, "submit", actor="beihu")
    records.change(plan.id, "approve", actor="zhihui")
    records.add(kind="camera_gaps", author="zhihui", params={}, inputs_version="v1", folder="/srv/out/g")
    UserStore(path).add("zhihui", "patrolnet-test-pw-1", "commander")


def _layers_equal(a: Workspace | PgWorkspace, b: Workspace | PgWorkspace) -> None:
    assert a.layers() == b.layers()
    for name in [*a.layers(), "meta"]:
        left, right = a.read(name), b.read(name)
        pd.testing.assert_frame_equal(left, right, check_exact=True)
        if isinstance(left, gpd.GeoDataFrame):
            assert left.crs == right.crs and left.geometry.name == right.geometry.name
    assert a.meta == b.meta and a.crs == b.crs and a.timezone == b.timezone


def _raw(path: Path) -> dict[str, pd.DataFrame]:
    return {str(n): pyogrio.read_dataframe(path, layer=str(n), fid_as_index=True) for n, _ in pyogrio.list_layers(path)}


def _column_types(path: Path) -> dict[str, list[tuple[str, str]]]:
    con = sqlite3.connect(path)
    try:
        tables = [r[0] for r in con.execute("SELECT table_name FROM gpkg_contents ORDER BY table_name")]
        return {t: [(r[1], r[2]) for r in con.execute(f"PRAGMA table_info('{t}')")] for t in tables}
    finally:
        con.close()


def _records(store: RecordStore) -> list[dict]:
    return [r.as_dict() | {"folder": str(r.folder)} for r in store.list()]


def test_round_trip_gpkg_postgis_gpkg(ws_copy: Path, pg_url: str, tmp_path: Path) -> None:  # noqa: F811
    _enrich(ws_copy)
    url = f"{pg_url}?schema={_schema(tmp_path)}"
    result = copy_workspace(ws_copy, url)
    src = Workspace(ws_copy)
    assert [n for n, _ in result.layers] == src.layers()
    assert dict(result.layers)["incidents"] == src.count("incidents") == 48
    assert (result.audit_entries, result.records, result.record_events) == (2, 2, 4)
    assert (result.users, result.sessions, result.not_copied) == (1, 0, ())

    pg = PgWorkspace(url)
    _layers_equal(src, pg)
    assert pg.read("patrol_points")["visits"].isna().tolist() == [False, True, False, False]
    assert pg.read("incidents")["occurred_at"].iloc[0].microsecond == 123400
    assert pg.count("incidents") == 48 and pg.info().extent_wgs84 == pytest.approx(src.info().extent_wgs84)
    assert [li.bounds for li in pg.info().layers] == [li.bounds for li in src.info().layers]

    # proper types, primary keys, geometry columns with the SRID and GiST indexes in PostGIS
    dsn, schema = parse_location(url)
    with psycopg.connect(dsn) as con:
        types = dict(con.execute("SELECT table_name || '.' || column_name, data_type FROM information_schema.columns "
                                 "WHERE table_schema = %s", (schema,)).fetchall())
        geoms = {r[0]: (r[1], r[2]) for r in con.execute(
            "SELECT f_table_name, type, srid FROM geometry_columns WHERE f_table_schema = %s", (schema,))}
        indexes = {r[0] for r in con.execute("SELECT indexdef FROM pg_indexes WHERE schemaname = %s", (schema,))}
    assert types["incidents.occurred_at"] == "timestamp with time zone"
    assert (types["road_edges.edge_id"], types["road_edges.oneway"], types["road_edges.length_m"]) == (
        "bigint", "boolean", "double precision")
    assert (types["patrol_points.weight"], types["patrol_points.rank"], types["duty_roster.team"]) == (
        "real", "smallint", "text")
    assert geoms["incidents"] == ("POINT", 4547) and geoms["stations"] == ("MULTIPOLYGON", 4547)
    assert geoms["empty_zone"] == ("GEOMETRY", 4547) and "duty_roster" not in geoms
    assert any("USING gist (geom)" in i and ".road_edges " in i for i in indexes)
    assert any("road_edges_pkey" in i and "(fid)" in i for i in indexes)

    # the audit log and the records, with their history; new entries continue after the copied ones
    assert [e.as_dict() for e in PgAuditLog(url).read()] == [e.as_dict() for e in GpkgAuditLog(ws_copy).read()]
    assert _records(PgRecordStore(url)) == _records(RecordStore(ws_copy))
    PgAuditLog(url).record(actor="cli:root", action="backup", target="x")
    assert [e.id for e in PgAuditLog(url).read(limit=1)] == [3]

    # and back: the same file content, column types, feature ids and order; the same sidecars
    back = tmp_path / "back" / "yushui.gpkg"
    again = copy_workspace(url, back)
    assert again.layers == result.layers and again.not_copied == ()
    assert [tuple(r) for r in pyogrio.list_layers(back)] == [tuple(r) for r in pyogrio.list_layers(ws_copy)]
    raw_src, raw_back = _raw(ws_copy), _raw(back)
    assert list(raw_src) == list(raw_back)
    for name, frame in raw_src.items():
        pd.testing.assert_frame_equal(frame, raw_back[name], check_exact=True)
    assert _column_types(back) == _column_types(ws_copy)
    _layers_equal(Workspace(ws_copy), Workspace(back))
    entries = [e.as_dict() for e in GpkgAuditLog(back).read()]
    assert entries[0]["action"] == "backup" and entries[1:] == [e.as_dict() for e in GpkgAuditLog(ws_copy).read()]
    assert _records(RecordStore(back)) == _records(RecordStore(ws_copy))
    assert [u.as_dict() for u in UserStore(back).list()] == [u.as_dict() for u in UserStore(ws_copy).list()]
    assert records_path(back).stat().st_mode & 0o777 == users_path(back).stat().st_mode & 0o777 == 0o600


def test_bbox_read_uses_the_gist_index_and_equals_the_gpkg(ws_copy: Path, pg_url: str,  # noqa: F811
                                                           tmp_path: Path) -> None:
    gpkg = Workspace(ws_copy)
    xmin, ymin, _, _ = gpkg.info().layers[0].bounds  # the boundary
    # a box through the middle of the grid, cutting streets and blocks
    bbox = (xmin + 1300.0, ymin + 1100.0, xmin + 2600.0, ymin + 2450.0)
    x0, y0 = bbox[:2]
    # two diagonal paths whose extents both overlap the box's corner: only the second crosses the box
    paths = gpd.GeoDataFrame({"path_id": ["miss", "cross"]}, crs=CRS, geometry=[
        LineString([(x0 - 200, y0 + 100), (x0 + 100, y0 - 200)]), LineString([(x0 - 100, y0 + 50), (x0 + 100, y0 + 150)])])
    gpkg = gpkg.write({"patrol_paths": paths})
    url = f"{pg_url}?schema={_schema(tmp_path)}"
    copy_workspace(ws_copy, url)
    pg = PgWorkspace(url)
    assert pg.read("patrol_paths", bbox=bbox)["path_id"].tolist() == ["cross"] == \
        gpkg.read("patrol_paths", bbox=bbox)["path_id"].tolist()
    keys = {"road_edges": "edge_id", "road_nodes": "node_id", "incidents": "incident_id",
            "neighborhoods": "neighborhood_id", "stations": "station_id", "cameras": "camera_id"}
    for layer, key in keys.items():
        want, got = gpkg.read(layer, bbox=bbox), pg.read(layer, bbox=bbox)
        # the same rows (a GeoPackage gives them in its R-tree's order, PostGIS in feature-id order)
        assert got[key].is_monotonic_increasing or layer != "road_edges"
        pd.testing.assert_frame_equal(want.sort_values(key, ignore_index=True), got.sort_values(key, ignore_index=True),
                                      check_exact=True)
        if layer in ("road_edges", "incidents", "neighborhoods"):
            assert 0 < len(got) < gpkg.count(layer)
    burglary = "category = 'burglary'"  # a condition of the program's own, in either backend's SQL
    pd.testing.assert_frame_equal(gpkg.read("incidents", where=burglary), pg.read("incidents", where=burglary))
    assert 0 < len(pg.read("incidents", where=burglary)) < pg.count("incidents")
    # a page of some columns, as the layer API asks for them
    page = {"columns": ["category", "incident_id"], "skip_features": 2, "max_features": 5}
    pd.testing.assert_frame_equal(gpkg.read("incidents", **page), pg.read("incidents", **page), check_exact=True)
    # no rows: the columns alone, as both backends give them (the GeoPackage reader took 0 for "all")
    for store in (gpkg, pg):
        empty = store.read("incidents", max_features=0)
        assert len(empty) == 0 and list(empty.columns) == list(gpkg.read("incidents", max_features=1).columns)
    # a time window as the shift's plan reads its incidents (app.services.routes.plan_incidents): the
    # GeoPackage compares the zone's ISO text, PostGIS the TIMESTAMPTZ
    when = pd.to_datetime(gpkg.read("incidents")["occurred_at"]).sort_values(ignore_index=True)
    lo, hi = (when[i].isoformat() for i in (len(when) // 4, len(when) // 2))  # in the zone's offset
    times = f"occurred_at >= '{lo}' AND occurred_at < '{hi}'"
    pd.testing.assert_frame_equal(gpkg.read("incidents", where=times), pg.read("incidents", where=times))
    assert 0 < len(pg.read("incidents", where=times)) < pg.count("incidents")
    whole = pg.read("incidents", bbox=bbox)
    pd.testing.assert_frame_equal(pg.read("incidents", bbox=bbox, skip_features=2, max_features=5),
                                  whole.iloc[2:7].reset_index(drop=True))
    dsn, schema = parse_location(url)
    with psycopg.connect(dsn) as con:
        con.execute("SET enable_seqscan = off")
        plan = "\n".join(r[0] for r in con.execute(
            f"EXPLAIN SELECT fid FROM {schema}.road_edges WHERE ST_Intersects(geom, ST_MakeEnvelope(%s, %s, %s, %s, 4547))",
            bbox).fetchall())
    assert "road_edges_geom_gist" in plan


def test_writes_in_postgis_read_back_as_in_the_gpkg(ws_copy: Path, pg_url: str, tmp_path: Path) -> None:  # noqa: F811
    url = f"{pg_url}?schema={_schema(tmp_path)}"
    copy_workspace(ws_copy, url)
    gpkg, pg = Workspace(ws_copy), PgWorkspace(url)
    cameras = gpkg.read("cameras")
    cameras["range_m"] = cameras["range_m"] * 2
    incidents = gpkg.read("incidents").iloc[::2]
    gpkg = gpkg.write({"cameras": cameras, "incidents": incidents}, meta={"grid": {"count": 12}}, sources={"cameras": "x.csv"})
    pg = pg.write({"cameras": cameras, "incidents": incidents}, meta={"grid": {"count": 12}}, sources={"cameras": "x.csv"})
    assert pg.count("incidents") == 24 and pg.meta_json("grid") == {"count": 12} and pg.meta["source:cameras"] == "x.csv"
    assert pg.layers() == gpkg.layers()
    for name in ("cameras", "incidents"):
        pd.testing.assert_frame_equal(gpkg.read(name), pg.read(name), check_exact=True)
    with pytest.raises(InputError, match="missing column"):
        pg.write({"incidents": incidents.drop(columns=["occurred_at"])})
    assert pg.count("incidents") == 24


def _fingerprint(url: str) -> dict[str, object]:
    ws = PgWorkspace(url)
    out = {}
    for name in [*ws.layers(), "meta"]:
        frame = ws.read(name)
        if isinstance(frame, gpd.GeoDataFrame):
            frame = pd.DataFrame(frame).assign(geometry=frame.geometry.to_wkt())
        out[name] = frame.to_csv()
    return out


def test_a_failed_copy_leaves_nothing_half_written(ws_copy: Path, pg_url: str, tmp_path: Path,  # noqa: F811
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    # a layer edited outside patrolnet holds a time that is none: the copy stops at the incidents,
    # after six layers were written, and rolls them all back
    bad = tmp_path / "bad.gpkg"
    bad.write_bytes(ws_copy.read_bytes())
    raw = pyogrio.read_dataframe(bad, layer="incidents")
    raw.loc[6, "occurred_at"] = "last tuesday"
    pyogrio.write_dataframe(raw, bad, layer="incidents", driver="GPKG")
    url = f"{pg_url}?schema={_schema(tmp_path, 'fail')}"
    with pytest.raises(InputError, match="'incidents', column 'occurred_at'") as caught:
        copy_workspace(bad, url)
    assert caught.value.code == "storage.pg_bad_time"
    dsn, schema = parse_location(url)
    with psycopg.connect(dsn) as con:
        assert con.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,)).fetchone() is None
    # replacing a workspace: a failure keeps the old one whole
    copy_workspace(ws_copy, url)
    before = _fingerprint(url)
    with pytest.raises(InputError):
        copy_workspace(bad, url, replace=True)
    assert _fingerprint(url) == before

    # into a .gpkg: the target and its audit and records files stay as they were, no temporary file left
    _enrich(ws_copy)
    copy_workspace(ws_copy, url, replace=True)
    target = tmp_path / "out" / "ws.gpkg"
    copy_workspace(ws_copy, target)
    files = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in target.parent.iterdir()}
    assert set(files) == {"ws.gpkg", ".ws.gpkg.audit.sqlite", ".ws.gpkg.records.sqlite", ".ws.gpkg.users.sqlite"}
    GpkgAuditLog(ws_copy).record(actor="x", action="backup")  # the source moved on: the copy would differ
    real = workspace_copy._write_gpkg_layer

    def failing(path: Path, stored: workspace_copy.StoredLayer) -> None:
        if stored.name == "incidents":
            raise OSError("disk full")
        real(path, stored)

    monkeypatch.setattr(workspace_copy, "_write_gpkg_layer", failing)
    with pytest.raises(OSError, match="disk full"):
        copy_workspace(url, target, replace=True)
    assert {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in target.parent.iterdir()} == files
    monkeypatch.setattr(workspace_copy, "_write_gpkg_layer", real)
    copy_workspace(ws_copy, target, replace=True)
    assert GpkgAuditLog(target).count() == 3


def test_refusals_name_the_location_and_the_fix(ws_copy: Path, pg_url: str, tmp_path: Path) -> None:  # noqa: F811
    url = f"{pg_url}?schema={_schema(tmp_path)}"
    copy_workspace(ws_copy, url)
    with pytest.raises(InputError, match="already holds tables.*--replace") as exists:
        copy_workspace(ws_copy, url)
    assert exists.value.code == "storage.pg_schema_exists" and url in str(exists.value)
    assert f"模式“{_schema(tmp_path)}”已有数据表" in said(exists.value, "zh-CN")
    target = tmp_path / "there.gpkg"
    target.write_bytes(b"keep me")
    with pytest.raises(InputError, match="already exists") as file_exists:
        copy_workspace(url, target)
    assert file_exists.value.code == "workspace.copy_exists" and target.read_bytes() == b"keep me"
    audit_path(tmp_path / "fresh.gpkg").write_text("")  # a log left beside a deleted workspace counts too
    with pytest.raises(InputError, match="fresh.gpkg.audit.sqlite' already exists"):
        copy_workspace(url, tmp_path / "fresh.gpkg")

    with pytest.raises(InputError, match="schema of its own") as public:
        copy_workspace(ws_copy, pg_url)
    assert public.value.code == "storage.pg_public_schema"
    with pytest.raises(InputError, match="lowercase letters") as bad_schema:
        copy_workspace(ws_copy, pg_url.replace("//patrolnet@", "//patrolnet:pw123@") + "?schema=Yushui;drop")
    assert bad_schema.value.code == "storage.pg_bad_schema" and "patrolnet:***@" in str(bad_schema.value)
    assert "pw123" not in said(bad_schema.value, "zh-CN") and "模式名“Yushui;drop”无效" in said(bad_schema.value, "zh-CN")
    with pytest.raises(InputError, match="'mysql://' workspaces are not supported"):
        copy_workspace(ws_copy, "mysql://u@h/db")
    with pytest.raises(InputError, match="both the source and the target"):
        copy_workspace(url, url + "&connect_timeout=5")
    with pytest.raises(InputError, match="both the source and the target") as same:
        copy_workspace(ws_copy, ws_copy.parent / "." / ws_copy.name)
    assert same.value.code == "workspace.copy_same"
    with pytest.raises(WorkspaceError, match="does not exist"):
        copy_workspace(tmp_path / "nothing.gpkg", f"{pg_url}?schema=never")
    junk = tmp_path / "junk.gpkg"
    junk.write_text("not a GeoPackage")
    with pytest.raises(WorkspaceError, match="cannot be opened as a GeoPackage") as unreadable:
        copy_workspace(junk, f"{pg_url}?schema=never")
    assert unreadable.value.fmt["path"] == str(junk)

    # the server: unreachable (the password never shown), no PostGIS, no workspace in the schema
    with pytest.raises(WorkspaceError, match="cannot connect to postgresql://ops:\\*\\*\\*@127.0.0.1:1/") as down:
        copy_workspace(ws_copy, "postgresql://ops:s3cret-pw@127.0.0.1:1/bureau?schema=yushui")
    assert down.value.code == "storage.pg_unreachable" and "s3cret-pw" not in str(down.value)
    assert "s3cret-pw" not in said(down.value, "zh-CN") and "无法连接" in said(down.value, "zh-CN")
    dsn, _ = parse_location(pg_url)
    with psycopg.connect(dsn, autocommit=True) as con:
        con.execute("DROP DATABASE IF EXISTS no_postgis")
        con.execute("CREATE DATABASE no_postgis")
    plain = pg_url.rsplit("/", 1)[0] + "/no_postgis?schema=yushui"
    with pytest.raises(WorkspaceError, match="has no PostGIS.*CREATE EXTENSION postgis") as no_gis:
        copy_workspace(ws_copy, plain)
    assert no_gis.value.code == "storage.pg_no_postgis" and "no_postgis" in str(no_gis.value)
    with pytest.raises(WorkspaceError, match="holds no patrolnet workspace") as empty:
        copy_workspace(f"{pg_url}?schema=nobody_here", tmp_path / "x.gpkg")
    assert empty.value.code == "storage.pg_not_workspace"
    with pytest.raises(WorkspaceError, match="holds no patrolnet workspace"):
        PgWorkspace(f"{pg_url}?schema=nobody_here")

    # a user who may not create schemas; a layer's table dropped outside patrolnet
    with psycopg.connect(dsn, autocommit=True) as con:
        con.execute("DROP ROLE IF EXISTS visitor")
        con.execute("CREATE ROLE visitor LOGIN")
        con.execute("REVOKE CREATE ON DATABASE patrolnet_test FROM PUBLIC")
    visitor = pg_url.replace("//patrolnet@", "//visitor@") + "?schema=visitors"
    with pytest.raises(WorkspaceError, match="the copy into postgresql://visitor@.* failed .*permission denied") as denied:
        copy_workspace(ws_copy, visitor)
    assert denied.value.code == "storage.pg_copy_failed" and "未写入任何内容" in said(denied.value, "zh-CN")
    broken = f"{pg_url}?schema={_schema(tmp_path, 'broken')}"
    copy_workspace(ws_copy, broken)
    with psycopg.connect(dsn, autocommit=True) as con:
        con.execute(f"DROP TABLE {parse_location(broken)[1]}.cameras")
    with pytest.raises(WorkspaceError, match="reading the workspace at .* failed .*cameras") as unreadable_pg:
        copy_workspace(broken, tmp_path / "from_broken.gpkg")
    assert unreadable_pg.value.code == "storage.pg_read_failed" and not (tmp_path / "from_broken.gpkg").exists()

    # a layer whose name PostgreSQL's own tables of the store hold: refused, nothing written
    ws = Workspace(ws_copy)
    ws.write({"audit": ws.read("cameras").iloc[:2]})
    other = f"{pg_url}?schema={_schema(tmp_path, 'reserved')}"
    with pytest.raises(InputError, match="layer 'audit': the name is taken") as reserved:
        copy_workspace(ws_copy, other)
    assert reserved.value.code == "storage.pg_reserved_layer"
    with pytest.raises(WorkspaceError, match="holds no patrolnet workspace"):
        PgWorkspace(other)


def test_command_line_copies_both_ways_and_refuses_in_the_users_language(ws_copy: Path, pg_url: str,  # noqa: F811
                                                                        tmp_path: Path) -> None:
    runner = CliRunner()
    url = f"{pg_url}?schema={_schema(tmp_path)}"
    there = runner.invoke(cli, ["workspace", "copy", str(ws_copy), url, "--lang", "en"])
    assert there.exit_code == 0, there.output
    assert "Copied the workspace" in there.output and "incidents" in there.output and "48" in there.output
    again = runner.invoke(cli, ["workspace", "copy", str(ws_copy), url])
    assert again.exit_code == 2 and "已有数据表" in again.output and "--replace" in again.output
    replaced = runner.invoke(cli, ["workspace", "copy", str(ws_copy), url, "--replace", "--json"])
    assert replaced.exit_code == 0, replaced.output
    assert {d["name"]: d["features"] for d in json.loads(replaced.output)["layers"]}["road_edges"] == 76
    back = tmp_path / "back.gpkg"
    home = runner.invoke(cli, ["workspace", "copy", url, str(back), "--lang", "zh-CN"])
    assert home.exit_code == 0, home.output and "已复制工作区" in home.output
    _layers_equal(Workspace(ws_copy), Workspace(back))


def test_concurrent_writers_in_postgis_both_survive(workspace_path: Path, pg_url: str,  # noqa: F811
                                                    tmp_path: Path) -> None:
    url = f"{pg_url}?schema={_schema(tmp_path)}"
    copy_workspace(workspace_path, url)
    base = PgWorkspace(url)
    cameras, nodes = base.read("cameras"), base.read("road_nodes")
    errors: list[BaseException] = []

    def write(layers: dict[str, pd.DataFrame], key: str) -> None:
        try:
            PgWorkspace(url).write(layers, meta={key: "yes"})
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=({"cameras": cameras.iloc[:3]}, "by_a")),
               threading.Thread(target=write, args=({"road_nodes": nodes.iloc[:5]}, "by_b"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    after = PgWorkspace(url)
    assert (after.count("cameras"), after.count("road_nodes")) == (3, 5)
    assert after.meta["by_a"] == after.meta["by_b"] == "yes" and after.layers() == base.layers()
    base.close()


def test_the_copy_includes_what_another_program_committed_to_the_wal(ws_copy: Path, pg_url: str,  # noqa: F811
                                                                     tmp_path: Path) -> None:
    """QGIS keeps a GeoPackage in WAL mode while it is open: its committed edits are in the -wal file."""
    qgis = sqlite3.connect(ws_copy)
    try:
        qgis.execute("PRAGMA journal_mode=WAL")
        qgis.execute("PRAGMA wal_autocheckpoint=0")
        with qgis:
            qgis.execute("INSERT INTO meta (key, value) VALUES ('edited_in', 'QGIS')")
        assert Path(f"{ws_copy}-wal").stat().st_size > 0
        url = f"{pg_url}?schema={_schema(tmp_path)}"
        copy_workspace(ws_copy, url)
    finally:
        qgis.close()
    assert PgWorkspace(url).meta["edited_in"] == "QGIS"


def test_users_and_sessions_move_both_ways_and_still_sign_in(ws_copy: Path, pg_url: str, tmp_path: Path,  # noqa: F811
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(users_mod, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    here = UserStore(ws_copy)
    here.add("boss", "patrolnet-test-pw-1", "admin", display_name="局长")
    here.add("beihu", "patrolnet-test-pw-2", "station", station_id="S01")
    here.add("gone", "patrolnet-test-pw-3", "analyst")
    here.update("gone", active=False)
    here.add("xunluo", "patrolnet-test-pw-4", "officer", unit_id="U0001")
    session, token = here.open_session("beihu"), here.open_session("boss", kind="token")
    from datetime import UTC, datetime, timedelta

    link_id, secret = here.open_link(unit_id="U0002", unit_name="巡逻车02", station_id=None, day="2026-12-04",
                                     shift="20:00-24:00", created_by="boss", expires_at=datetime.now(UTC) + timedelta(days=1))
    url = f"{pg_url}?schema={_schema(tmp_path)}"
    result = copy_workspace(ws_copy, url)
    assert (result.users, result.sessions) == (4, 2) and result.as_dict()["users"] == 4
    # an officer keeps its unit, a one-shift link keeps working
    assert PgUserStore(url).get("xunluo").unit_id == "U0001"  # type: ignore[union-attr]
    assert PgUserStore(url).link_session(secret).user.unit_id == "U0002"  # type: ignore[union-attr]

    there = PgUserStore(url)
    assert [u.as_dict() for u in there.list()] == [u.as_dict() for u in here.list()]
    assert there.verify("beihu", "patrolnet-test-pw-2").station_id == "S01"  # type: ignore[union-attr]
    assert there.verify("gone", "patrolnet-test-pw-3") is None and there.has_admin()
    moved = there.session(session)
    assert moved is not None and moved.csrf == here.session(session).csrf  # type: ignore[union-attr]
    assert there.session(token).kind == "token"  # type: ignore[union-attr]
    there.set_password("beihu", "a brand new password")  # the copy is a store of its own now
    assert there.session(session) is None and here.session(session) is not None

    back = tmp_path / "back" / "yushui.gpkg"
    again = copy_workspace(url, back)
    assert (again.users, again.sessions) == (4, 1)
    home = UserStore(back)
    assert home.verify("beihu", "a brand new password") is not None and home.verify("boss", "patrolnet-test-pw-1")
    assert home.session(token).user.username == "boss" and home.session(session) is None  # type: ignore[union-attr]
    assert users_path(back).stat().st_mode & 0o777 == 0o600
    # a users file left beside a deleted workspace would bring old passwords back: refused, then replaced
    for gone in (back, audit_path(back), records_path(back)):
        gone.unlink()
    with pytest.raises(InputError, match="users.sqlite' already exists"):
        copy_workspace(url, back)
    there.remove("gone")
    copy_workspace(url, back, replace=True)
    assert [u.username for u in UserStore(back).list()] == ["beihu", "boss", "xunluo"]


def test_a_failed_copy_of_users_writes_none(ws_copy: Path, pg_url: str, tmp_path: Path,  # noqa: F811
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(users_mod, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    UserStore(ws_copy).add("boss", "patrolnet-test-pw-1", "admin")
    url = f"{pg_url}?schema={_schema(tmp_path)}"
    real = workspace_copy._PgTarget.rows

    def failing(self: workspace_copy._PgTarget, table: str, rows: list[tuple]) -> None:
        real(self, table, rows)
        if table == "sessions":
            self.con.execute("SELECT 1/0")  # the last table: everything before it is rolled back

    monkeypatch.setattr(workspace_copy._PgTarget, "rows", failing)
    with pytest.raises(WorkspaceError, match="nothing was written"):
        copy_workspace(ws_copy, url)
    dsn, schema = parse_location(url)
    with psycopg.connect(dsn) as con:
        assert con.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,)).fetchone() is None
