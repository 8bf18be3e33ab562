"""Table import: encodings, Chinese headers, coordinate systems, per-row rejections, atomicity."""

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Geod, Transformer

from geo.coords import wgs84_to_bd09, wgs84_to_gcj02
from geo.errors import InputError
from app.services.imports import import_table
from geo.tables import map_categories, parse_times
from app.storage.workspace import Workspace, create_workspace

CRS = "EPSG:4547"
TO_M = Transformer.from_crs("EPSG:4326", CRS, always_xy=True)
TO_DEG = Transformer.from_crs(CRS, "EPSG:4326", always_xy=True)
LON0, LAT0 = 114.93, 27.82


@pytest.fixture
def ws(tmp_path) -> Workspace:
    x0, y0 = TO_M.transform(LON0, LAT0)
    boundary = gpd.GeoDataFrame({"name": ["渝水区"]}, geometry=[shapely.box(x0 - 3000, y0 - 3000, x0 + 3000, y0 + 3000)], crs=CRS)
    stations = gpd.GeoDataFrame(
        {"station_id": ["S01", "S02"], "name": ["北湖路派出所", "抱石路派出所"],
         "site_x": [x0 - 1500, x0 + 1500], "site_y": [y0, y0]},
        geometry=[shapely.box(x0 - 3000, y0 - 3000, x0, y0 + 3000), shapely.box(x0, y0 - 3000, x0 + 3000, y0 + 3000)],
        crs=CRS,
    )
    neighborhoods = gpd.GeoDataFrame(
        {"neighborhood_id": ["N0001"], "name": ["龙凤花园"], "kind": ["open"], "households": [800],
         "community_id": ["C001"], "station_id": ["S02"]},
        geometry=[shapely.box(x0 + 100, y0 + 100, x0 + 400, y0 + 400)], crs=CRS,
    )
    line = shapely.LineString([(x0 - 3000, y0), (x0 + 3000, y0)])
    edges = gpd.GeoDataFrame(
        {"edge_id": [0, 1], "u": [1, 2], "v": [2, 1], "key": [0, 0], "highway": ["primary"] * 2,
         "name": ["人民北路"] * 2, "oneway": [False, False], "length_m": [6000.0] * 2},
        geometry=[line, line.reverse()], crs=CRS,
    )
    return create_workspace(tmp_path / "ws.gpkg", {"boundary": boundary, "stations": stations,
                                                  "neighborhoods": neighborhoods, "road_edges": edges}, crs=CRS)


def _csv(tmp_path: Path, rows: list[list[str]], encoding: str, name="警情.csv") -> Path:
    header = "案件编号,发案时间,案件类别,经度,纬度\n"
    text = header + "\n".join(",".join(r) for r in rows) + "\n"
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_gbk_file_with_chinese_headers_and_every_fault(tmp_path, ws):
    lon, lat = LON0 + 0.001, LAT0 + 0.0005
    rows = [
        ["A1", "2025年3月1日 20:15", "抢劫", f"{lon}", f"{lat}"],                    # good (row 2)
        ["A2", "2025-03-02 08:00", "入室盗窃", "", ""],                                # blank coords (3)
        ["A3", "2025-03-03 09:00", "抢夺", f"{lat}", f"{lon}"],                       # swapped (4)
        ["A1", "2025年3月1日 20:15", "抢劫", f"{lon}", f"{lat}"],                    # duplicate of row 2 (5)
        ["A5", "昨天晚上", "抢劫", f"{lon}", f"{lat}"],                               # bad time (6)
        ["A6", "2025/3/6 21:00", "打麻将", f"{lon}", f"{lat}"],                       # unknown category (7)
        ["A7", "2025-03-07 22:00", "盗窃电动车", "115.50", "28.20"],                  # outside the boundary (8)
        ["A8", "2025-03-08T10:00:00+00:00", "诈骗", f"{lon + 0.002}", f"{lat}"],      # good, UTC time (9)
    ]
    path = _csv(tmp_path, rows, "gbk")
    new_ws, result, report = import_table(ws, "incidents", path)
    assert result.encoding == "gb18030"
    assert result.rows_read == 8
    assert len(result.accepted) == 2
    rej = pd.read_csv(report, encoding="utf-8-sig")
    reasons = {int(r.row): r.reason for r in rej.itertuples()}
    assert set(reasons) == {3, 4, 5, 6, 7, 8}
    assert "coordinate missing" in reasons[3]
    assert "swapped" in reasons[4]
    assert "duplicate of row 2" in reasons[5]
    assert "time not understood" in reasons[6]
    assert "unknown category" in reasons[7]
    assert "outside the workspace boundary" in reasons[8]
    inc = new_ws.read("incidents").set_index("incident_id")
    assert inc.loc["A1", "occurred_at"].isoformat() == "2025-03-01T20:15:00+08:00"
    assert inc.loc["A8", "occurred_at"].isoformat() == "2025-03-08T18:00:00+08:00"
    assert inc.loc["A1", "category"] == "robbery"
    assert inc.loc["A1", "station_id"] == "S02"


def test_gcj02_and_bd09_coordinates_land_within_a_metre(tmp_path, ws):
    geod = Geod(ellps="WGS84")
    truth = [(LON0 + 0.003, LAT0 - 0.002), (LON0 - 0.004, LAT0 + 0.001)]
    for system, fwd in (("gcj02", wgs84_to_gcj02), ("bd09", wgs84_to_bd09)):
        rows = []
        for i, (lo, la) in enumerate(truth):
            glo, gla = fwd(lo, la)
            rows.append([f"{system}{i}", "2025-05-01 12:00", "抢劫", f"{float(glo):.9f}", f"{float(gla):.9f}"])
        path = _csv(tmp_path, rows, "utf-8", name=f"{system}.csv")
        ws_new, result, _ = import_table(ws, "incidents", path, coords=system, replace=True)
        got = ws_new.read("incidents").set_index("incident_id")
        for i, (lo, la) in enumerate(truth):
            x, y = got.loc[f"{system}{i}", "source_x"], got.loc[f"{system}{i}", "source_y"]
            glo, gla = TO_DEG.transform(x, y)
            assert geod.inv(lo, la, glo, gla)[2] < 1.0


def test_strict_refuses_the_whole_file_and_keeps_the_workspace(tmp_path, ws):
    path = _csv(tmp_path, [["B1", "2025-03-01 20:15", "抢劫", f"{LON0}", f"{LAT0}"],
                           ["B2", "2025-03-01 20:15", "抢劫", "", ""]], "utf-8")
    before = ws.path.read_bytes()
    with pytest.raises(InputError, match=r"1 of 2 rows rejected \(--strict: nothing imported\); first: row 3"):
        import_table(ws, "incidents", path, strict=True)
    assert ws.path.read_bytes() == before
    assert (tmp_path / "警情-rejected.csv").exists()


def test_reimport_refuses_ids_already_present(tmp_path, ws):
    path = _csv(tmp_path, [["C1", "2025-03-01 20:15", "抢劫", f"{LON0}", f"{LAT0}"]], "utf-8")
    ws2, _, _ = import_table(ws, "incidents", path)
    with pytest.raises(InputError, match="no row could be imported"):
        import_table(ws2, "incidents", path)
    rej = pd.read_csv(tmp_path / "警情-rejected.csv", encoding="utf-8-sig")
    assert "already in the workspace" in rej.loc[0, "reason"]
    assert ws2.count("incidents") == 1


def test_street_incidents_snap_and_neighborhood_ones_are_tagged(tmp_path, ws):
    x0, y0 = TO_M.transform(LON0, LAT0)
    near_road = TO_DEG.transform(x0 - 500, y0 + 12)
    in_nb = TO_DEG.transform(x0 + 250, y0 + 250)
    path = _csv(tmp_path, [["D1", "2025-03-01 20:15", "抢夺", f"{near_road[0]:.8f}", f"{near_road[1]:.8f}"],
                           ["D2", "2025-03-01 21:15", "入室盗窃", f"{in_nb[0]:.8f}", f"{in_nb[1]:.8f}"]], "utf-8")
    ws2, _, _ = import_table(ws, "incidents", path)
    inc = ws2.read("incidents").set_index("incident_id")
    assert inc.loc["D1", "place_kind"] == "street"
    assert inc.loc["D1", "edge_id"] == 0
    assert inc.loc["D1", "snap_distance_m"] == pytest.approx(12, abs=0.5)
    assert inc.loc["D1"].geometry.y == pytest.approx(y0, abs=1e-6)
    assert inc.loc["D2", "place_kind"] == "neighborhood"
    assert inc.loc["D2", "neighborhood_id"] == "N0001"
    assert pd.isna(inc.loc["D2", "edge_id"])


def test_parse_times_handles_chinese_and_iso_forms():
    s = pd.Series(["2025年3月1日 20:15", "2025/3/1 20:15", "2025-03-01T12:15:00Z", "2025年3月1日20时15分",
                   "20250301 20:15", None, "not a time"])
    out = parse_times(s, "Asia/Shanghai")
    iso = [t.isoformat() if pd.notna(t) else None for t in out]
    assert iso[:5] == ["2025-03-01T20:15:00+08:00"] * 5
    assert iso[5:] == [None, None]


def test_map_categories_chinese_and_english():
    s = pd.Series(["抢劫", "personal robbery", "Theft from Vehicle", "Break and Enter Residential/Other",
                   "Theft of Bicycle", "盗窃电动车", "扒窃", "??"])
    assert list(map_categories(s).fillna("NA")) == [
        "robbery", "robbery", "theft_from_vehicle", "burglary", "other_theft", "ebike_theft",
        "pickpocketing", "NA"]


def test_missing_and_empty_files_are_named(tmp_path, ws):
    with pytest.raises(InputError, match="does not exist"):
        import_table(ws, "incidents", tmp_path / "nope.csv")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(InputError, match="'.*empty.csv' is empty"):
        import_table(ws, "incidents", empty)
    weird = tmp_path / "data.dbx"
    weird.write_text("x")
    with pytest.raises(InputError, match="unknown file type '.dbx'"):
        import_table(ws, "incidents", weird)


def test_xlsx_import(tmp_path, ws):
    df = pd.DataFrame({"编号": ["E1", "E2"], "报警时间": [pd.Timestamp("2025-04-01 08:30"), "2025年4月2日 9:00"],
                       "警情类别": ["抢夺", "盗窃车内财物"], "经度": [LON0, LON0 + 0.001], "纬度": [LAT0, LAT0]})
    path = tmp_path / "警情.xlsx"
    df.to_excel(path, index=False)
    ws2, result, report = import_table(ws, "incidents", path)
    assert report is None
    inc = ws2.read("incidents").set_index("incident_id")
    assert list(inc.index) == ["E1", "E2"]
    assert inc.loc["E2", "category"] == "theft_from_vehicle"
    assert inc.loc["E1", "occurred_at"].isoformat() == "2025-04-01T08:30:00+08:00"


def test_polygon_layers_from_geojson_in_gcj02(tmp_path, ws):
    x0, y0 = TO_M.transform(LON0, LAT0)
    truth = gpd.GeoDataFrame(
        {"名称": ["龙洲社区", "坏社区", ""], "派出所": ["珠珊派出所", "珠珊派出所", "珠珊派出所"], "常住人口": [5200, 10, 3]},
        geometry=[shapely.box(x0, y0, x0 + 500, y0 + 500), shapely.Point(x0, y0),
                  shapely.box(x0 - 500, y0, x0, y0 + 500)], crs=CRS,
    ).to_crs(4326)

    def to_gcj(g):
        def fn(xy):
            lo, la = wgs84_to_gcj02(xy[:, 0], xy[:, 1])
            return np.column_stack([lo, la])
        return shapely.transform(g, fn)

    gcj = truth.set_geometry(truth.geometry.map(to_gcj))
    path = tmp_path / "社区.geojson"
    gcj.to_file(path, driver="GeoJSON")
    ws2, result, report = import_table(ws, "communities", path, coords="gcj02",
                                       column_map={"派出所": "station_name"})
    rej = pd.read_csv(report, encoding="utf-8-sig")
    assert dict(zip(rej["row"], rej["reason"])) == {2: "not a polygon", 3: "name missing"}
    got = ws2.read("communities")
    assert list(got["name"]) == ["龙洲社区"]
    assert got["residents"].iloc[0] == 5200
    # the file's station name is not in the workspace: the station holding the polygon is used
    assert got["station_id"].iloc[0] == "S02"
    assert got["office_name"].iloc[0] == "龙洲社区警务室"
    # back in the working CRS the polygon sits where it was drawn, to well under a metre
    assert got.geometry.iloc[0].symmetric_difference(shapely.box(x0, y0, x0 + 500, y0 + 500)).area < 500 * 1.0


def test_units_and_cameras_from_csv(tmp_path, ws):
    lon, lat = LON0, LAT0
    units = tmp_path / "力量.csv"
    units.write_text(
        "单位编号,名称,kind,民警,辅警,志愿者,巡逻方式,经度,纬度\n"
        f"G1,龙洲社区网格巡逻队,1+2+N,1,2,6,foot,{lon},{lat}\n"
        f"B1,特巡警1号车,brigade_vehicle,2,1,0,car,{lon},{lat}\n"
        f"X1,不明,helicopter,1,0,0,air,{lon},{lat}\n"
        f"G2,缺人数,grid_team,一,2,6,foot,{lon},{lat}\n", encoding="utf-8")
    ws2, result, report = import_table(ws, "units", units)
    rej = pd.read_csv(report, encoding="utf-8-sig")
    assert set(rej["row"]) == {4, 5}
    assert "unknown unit kind" in rej.set_index("row").loc[4, "reason"]
    assert "not a whole number" in rej.set_index("row").loc[5, "reason"]
    got = ws2.read("units").set_index("unit_id")
    assert got.loc["G1", "kind"] == "grid_team" and got.loc["G1", "volunteers"] == 6
    cams = tmp_path / "探头.csv"
    cams.write_text("设备编号,设备类型,方向,视场角,监控距离,经度,纬度\n"
                    f"C1,球机,,360,30,{lon},{lat}\nC2,枪机,NE,60,50,{lon},{lat}\nC3,枪机,135,,,{lon},{lat}\n",
                    encoding="gb18030")
    ws3, result, report = import_table(ws2, "cameras", cams)
    assert report is None
    got = ws3.read("cameras").set_index("camera_id")
    assert list(got["kind"]) == ["dome", "bullet", "bullet"]
    assert got.loc["C2", "bearing_deg"] == 45.0 and got.loc["C3", "bearing_deg"] == 135.0
    assert np.isnan(got.loc["C3", "fov_deg"])
