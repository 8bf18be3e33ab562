"""Rejected rows of an import speak the user's language (issue 13): every rejected row carries its
reason's message key and values beside the English reason; the data page shows the reason in the
page's language, the CSV report adds it in the import's language after the old columns, and no
keyed reason names a command-line flag."""

from __future__ import annotations

import gzip
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from app.i18n import MESSAGES, said_reason
from app.services.imports import REASON_HEADERS, import_table
from app.storage.workspace import create_workspace
from app.web import create_app
from geo.errors import InputError
from geo.tables import REASON_KEY_COLUMNS, REJECT_COLUMNS
from tests.app._fixtures import CENTER_LAT, CENTER_LON, build_workspace, client_class

DATA = Path(__file__).parents[1] / "data"

#: Rows of a Chinese export: a good one, one in projected metres, one far outside the district, an
#: unknown category, a time nobody can read, a missing coordinate, and the first row again.
CSV = ("发案时间,案件类别,经度,纬度\n"
       f"2025-06-01 21:00,入室盗窃,{CENTER_LON},{CENTER_LAT}\n"
       "2025-06-02 22:10,抢夺,446000,3078000\n"
       "2025-06-03 10:00,盗窃电动车,1.0,0.5\n"
       f"2025-06-04 10:00,不明案件,{CENTER_LON},{CENTER_LAT}\n"
       f"昨天晚上,抢劫,{CENTER_LON},{CENTER_LAT}\n"
       ",抢劫,,\n"
       f"2025-06-01 21:00,入室盗窃,{CENTER_LON},{CENTER_LAT}\n")

EXPECTED = {3: "row.not_degrees", 4: "row.outside_boundary", 5: "row.unknown_category", 6: "row.time_bad",
            8: "row.duplicate_row"}


def _check_keyed(rejected: pd.DataFrame) -> None:
    """Every rejected row: a known key, values that fill it, a zh-CN text unlike the English one, no flag."""
    assert list(rejected.columns[:6]) == REJECT_COLUMNS + REASON_KEY_COLUMNS
    for _, r in rejected.iterrows():
        key = f"error.{r['reason_code']}"
        assert key in MESSAGES, (key, r["reason"])
        values = json.loads(r["reason_values"])
        zh, en = (MESSAGES[key][lang].format(**values) for lang in ("zh-CN", "en"))
        assert said_reason(r["reason_code"], r["reason_values"], r["reason"], "zh-CN") == zh
        assert zh != en and "--" not in zh + en, (zh, en)


def test_every_rejected_row_has_a_known_key(tmp_path: Path) -> None:
    ws = build_workspace(tmp_path / "ws.gpkg")
    src = tmp_path / "警情.csv"
    src.write_text(CSV, encoding="utf-8")
    _, result, report = import_table(ws, "incidents", src, lang="en")
    rej = result.rejected
    _check_keyed(rej)
    codes = rej.groupby("row")["reason_code"].apply(set).to_dict()
    for row, code in EXPECTED.items():
        assert code in codes[row], (row, codes[row])
    assert "row.coordinate_missing" in codes[7] and "row.time_missing" in codes[7]
    # the English reason is as it was, flag and all, for scripts and logs
    outside = rej[rej["reason_code"] == "row.outside_boundary"].iloc[0]
    assert "check the coordinate system (--coords) or drop the row" in outside["reason"]
    assert json.loads(outside["reason_values"])["tolerance"] == "200"
    assert said_reason(outside["reason_code"], outside["reason_values"], outside["reason"], "zh-CN").startswith(
        "位于工作区边界外")
    # the report: the old columns first, then the key, then the reason in the import's language
    table = pd.read_csv(report, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert list(table.columns) == REJECT_COLUMNS + REASON_KEY_COLUMNS + ["explanation"]
    assert (table["reason"] == rej["reason"].astype(str)).all()
    assert "choose the file's projected coordinate system" in " ".join(table["explanation"])


def test_real_file_rows_and_the_chinese_report(tmp_path: Path) -> None:
    """Vancouver's real export with a bad day, an unknown type and a repeated row: keyed, said in zh-CN."""
    lines = gzip.decompress((DATA / "incidents" / "vancouver_thefts_2020.csv.gz").read_bytes()).decode().splitlines()
    bad_day = lines[2].replace(",2020,1,1,", ",2020,1,41,", 1)
    bad_type = "Jaywalking" + lines[3][lines[3].index(","):]
    src = tmp_path / "v.csv"
    src.write_text("\n".join(lines[:1] + [lines[1], bad_day, bad_type] + lines[4:11] + [lines[5]]) + "\n",
                   encoding="utf-8")
    ws = create_workspace(tmp_path / "van.gpkg", {}, crs="EPSG:32610", timezone="America/Vancouver")
    _, result, report = import_table(ws, "incidents", src, coords="EPSG:32610")  # the default: zh-CN
    _check_keyed(result.rejected)
    assert dict(zip(result.rejected["row"], result.rejected["reason_code"])) == {
        3: "row.date_parts", 4: "row.unknown_category", 12: "row.duplicate_row"}
    table = pd.read_csv(report, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert list(table.columns) == REJECT_COLUMNS + REASON_KEY_COLUMNS + [REASON_HEADERS["zh-CN"]]
    said = dict(zip(table["row"], table["说明"]))
    assert said["12"] == "与第 6 行的每一列都相同；保留第一条（如果两条都真实存在，请给每行一个编号）"
    assert "pass --keep-duplicates" in table.set_index("row").loc["12", "reason"]


def test_polygons_in_degrees_in_a_projected_file(tmp_path: Path) -> None:
    """A layer whose file says EPSG:4547 but holds degrees: refused with the repair's key, which asks
    for WGS84 in words (no flag)."""
    ws = build_workspace(tmp_path / "ws.gpkg")
    frame = gpd.GeoDataFrame({"neighborhood_id": ["N9001"], "name": ["经纬度小区"]},
                             geometry=[box(CENTER_LON, CENTER_LAT, CENTER_LON + 0.001, CENTER_LAT + 0.001)],
                             crs="EPSG:4547")
    src = tmp_path / "hoods.geojson"
    frame.to_file(src, driver="GeoJSON")
    with pytest.raises(InputError, match="no row could be imported"):  # the report is still written
        import_table(ws, "neighborhoods", src, lang="zh-CN")
    table = pd.read_csv(tmp_path / "hoods-rejected.csv", encoding="utf-8-sig", dtype=str,
                        keep_default_na=False)
    _check_keyed(table)
    assert list(table["reason_code"]) == ["repair.degrees"]
    assert "import the file with --coords wgs84" in table.loc[0, "reason"]
    assert "请为该文件选择 WGS84" in table.loc[0, "说明"]


# -- the data page ---------------------------------------------------------------------------------------
@pytest.fixture()
def api(tmp_path: Path, workspace_path: Path, assets_ready: Path) -> Iterator[Any]:
    path = tmp_path / "ws.gpkg"
    shutil.copyfile(workspace_path, path)
    with client_class()(create_app(path)) as c:
        yield c


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_web_import_shows_reasons_in_the_page_language(api: Any, lang: str) -> None:
    r = api.post(f"/api/v1/imports?lang={lang}", files={"file": ("警情.csv", CSV.encode("utf-8"), "text/csv")},
                 data={"layer": "incidents", "coords": "wgs84"})
    assert r.status_code == 200, r.text
    job = r.json()
    rows = job["result"]["rejected_rows_table"]
    assert {int(x["row"]) for x in rows} == {3, 4, 5, 6, 7, 8}
    for x in rows:
        assert x["reason_text"] == said_reason(x["reason_code"], x["reason_values"], x["reason"], lang)
        assert "--" not in x["reason_text"]
    texts = {x["reason_code"]: x["reason_text"] for x in rows}
    if lang == "zh-CN":
        assert texts["row.unknown_category"].startswith("无法识别的案件类别")
        assert texts["row.time_bad"].startswith("无法识别时间")
    else:
        assert texts["row.unknown_category"].startswith("unknown category; correct it in the file")
        assert "not a longitude/latitude in degrees" in texts["row.not_degrees"]
    assert any("--coords" in x["reason"] for x in rows)  # the English reason kept for scripts
    files = {f["name"]: f["href"] for f in job["files"]}
    report = api.get(files[job["result"]["report"]]).content.decode("utf-8-sig")
    head = report.splitlines()[0]
    assert head == ",".join(REJECT_COLUMNS + REASON_KEY_COLUMNS + [REASON_HEADERS[lang]])


def test_web_strict_import_shows_reasons_in_the_page_language(api: Any) -> None:
    r = api.post("/api/v1/imports?lang=zh-CN", files={"file": ("x.csv", CSV.encode("utf-8"), "text/csv")},
                 data={"layer": "incidents", "strict": "1"})
    assert r.status_code == 422
    rows = r.json()["result"]["rejected_rows_table"]
    assert rows and all(x["reason_text"] and "说明" not in x for x in rows)
    assert any(x["reason_text"].startswith("无法识别的案件类别") for x in rows)


def test_damaged_layer_warning_is_keyed(tmp_path: Path) -> None:
    """A layer damaged outside patrolnet: the GeometryWarning (shown under a job's progress) has its key."""
    import pyogrio
    from shapely.geometry import Polygon

    from app.i18n import said
    from app.storage.workspace import GeometryWarning, Workspace

    ws = build_workspace(tmp_path / "ws.gpkg")
    hoods = pyogrio.read_dataframe(ws.path, layer="neighborhoods")
    x0, y0, x1, y1 = hoods.geometry.iloc[0].bounds
    hoods.loc[hoods.index[0], "geometry"] = Polygon([(x0, y0), (x1, y1), (x1, y0), (x0, y1)])  # bow-tie
    hoods.loc[hoods.index[1], "geometry"] = None
    pyogrio.write_dataframe(hoods, ws.path, layer="neighborhoods", driver="GPKG")
    with pytest.warns(GeometryWarning) as caught:
        Workspace(ws.path).read("neighborhoods")
    warning = caught[0].message
    assert warning.code == "workspace.geometry_repaired_skipped" and warning.fmt["invalid"] == 1
    zh = said(warning, "zh-CN")
    assert zh.startswith("工作区“ws.gpkg”的图层“neighborhoods”：1 个无效几何已修复") and "--" not in zh
    assert said(warning, "en").startswith("workspace 'ws.gpkg', layer 'neighborhoods': 1 invalid geometries")
    assert str(warning).startswith("workspace 'ws.gpkg', layer 'neighborhoods': 1 invalid geometry repaired")
