"""app.report_render: the report's HTML, XLSX, CSV and figures.json files."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

from app.report_render import csv_safe, report_stem, table_for_export, write_report
from geo.errors import InputError
from geo.reports import build_report
from tests.geo.test_reports import AS_OF, DATA_START, TINY_META, tiny_layers

OFF_HOST = re.compile(r"""(?:src|href|action|url)\s*[=(]\s*["']?\s*(?:https?:)?//""", re.IGNORECASE)


@pytest.fixture(scope="module")
def tiny():
    lay = tiny_layers()
    # a name a spreadsheet would run as a formula, and one with markup
    nb = lay["neighborhoods"]
    nb.loc[nb["neighborhood_id"] == "N3", "name"] = "=HYPERLINK(\"x\")小区"
    nb.loc[nb["neighborhood_id"] == "N2", "name"] = "<b>乙小区</b>"
    return build_report(lay, month="2026-09", as_of=AS_OF, data_start=DATA_START, meta=TINY_META)


@pytest.fixture(scope="module")
def tiny_files(tiny, tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    return out, write_report(tiny, out, lang="zh-CN"), write_report(tiny, out, lang="en")


def test_file_names_carry_workspace_month_and_content(tiny, tiny_files):
    out, zh, en = tiny_files
    assert report_stem(tiny) == "tiny-2026-09"
    assert zh["html"].name == "tiny-2026-09-report.html" and en["html"].name == "tiny-2026-09-report-en.html"
    assert zh["xlsx"].name == "tiny-2026-09-report.xlsx"
    assert zh["json"].name == "tiny-2026-09-figures.json"
    assert set(zh["csv"]) == set(tiny.tables)
    assert zh["csv"]["station_ranking"].name == "tiny-2026-09-station_ranking.csv"
    assert not list(out.glob(".*.tmp"))


def test_html_is_self_contained_and_printable(tiny_files):
    _, zh, en = tiny_files
    html = zh["html"].read_text(encoding="utf-8")
    assert "http://" not in html and "https://" not in html
    assert not OFF_HOST.search(html)
    assert not re.search(r"<link\b|<script[^>]+src=|<img\b", html)
    assert '<html lang="zh-CN">' in html and "@page" in html and "size: A4" in html
    for text in ("头条指标", "刑事案件", "新增", "派出所月度排名", "示范小区", "无示范小区", "每周警情通报",
                 "本周本小区未发生可防性案件，感谢大家共同守护", "复制", "口径"):
        assert text in html, text
    assert html.count('class="copy"') == 5
    assert "<b>乙小区</b>" not in html and "&lt;b&gt;乙小区&lt;/b&gt;" in html  # escaped
    # the station ranking: last month's and last year's figures and their changes sit beside the month's
    # criminal cases they compare with, not after the two-robberies column (issue 18)
    heads = re.findall(r"<th>([^<]*)</th>", html.split('<section id="ranking">', 1)[1].split("</thead>", 1)[0])
    assert heads.index("上月") == heads.index("本月刑事案件") + 1 and heads.index("本月两抢一盗") == len(heads) - 1, heads
    eng = en["html"].read_text(encoding="utf-8")
    assert '<html lang="en">' in eng and "Headline figures" in eng and "new" in eng and "Copy" in eng
    assert "http://" not in eng and "https://" not in eng


def test_xlsx_opens_with_bold_frozen_headers_and_numbers(tiny, tiny_files):
    from openpyxl import load_workbook

    _, zh, _ = tiny_files
    wb = load_workbook(zh["xlsx"])
    assert wb.sheetnames == ["头条指标", "同比环比", "派出所排名", "小区排名", "示范小区", "警务室示范情况", "每周通报", "口径说明"]
    ws = wb["派出所排名"]
    assert ws.freeze_panes == "A2"
    header = [c.value for c in ws[1]]
    assert header[:3] == ["名次", "派出所编号", "名称"]
    assert all(c.font.bold for c in ws[1])
    assert ws.column_dimensions["C"].width >= 8
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert [r[1] for r in rows] == ["S4", "S2", "S3", "S1"]
    assert [r[0] for r in rows] == [1, 2, 2, 4] and all(isinstance(r[0], int) for r in rows)
    rate = header.index("万人发案率")
    assert isinstance(rows[-1][rate], float) and rows[-1][rate] == pytest.approx(2.667, abs=1e-3)
    head = wb["头条指标"]
    hh = [c.value for c in head[1]]
    main = [r for r in head.iter_rows(min_row=2, values_only=True) if str(r[hh.index("指标")]).startswith("街面主干道")][0]
    assert main[hh.index("同比说明")] == "新增" and main[hh.index("同比(%)")] is None
    crim = [r for r in head.iter_rows(min_row=2, values_only=True) if r[hh.index("指标")] == "刑事案件"][0]
    assert crim[hh.index("同比(%)")] == pytest.approx(500.0)
    # text is stored as text, never as a formula
    nb = wb["小区排名"]
    cells = [c for row in nb.iter_rows(min_row=2) for c in row if isinstance(c.value, str) and c.value.startswith("=")]
    assert cells and all(c.data_type == "s" for c in cells)


def test_csv_has_bom_and_guards_formulas(tiny_files):
    _, zh, _ = tiny_files
    raw = zh["csv"]["neighborhood_ranking"].read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    names = [r[rows[0].index("名称")] for r in rows[1:]]
    assert "'=HYPERLINK(\"x\")小区" in names
    assert not any(n.startswith("=") for n in names)
    ranking = list(csv.reader(io.StringIO(zh["csv"]["station_ranking"].read_text(encoding="utf-8-sig"))))
    col = ranking[0].index("同比(%)")
    assert float(ranking[-1][col]) == pytest.approx(300.0)  # S1: 4 vs 1; numbers stay numbers
    assert csv_safe("-1+2") == "'-1+2" and csv_safe("@x") == "'@x" and csv_safe(-3.5) == -3.5


def test_figures_json_has_every_number_and_its_definition(tiny, tiny_files):
    _, zh, _ = tiny_files
    data = json.loads(zh["json"].read_text(encoding="utf-8"))
    assert data["month"] == "2026-09" and data["as_of"] == "2026-10-31"
    assert data["windows"]["ytd_last_year"]["first_day"] == "2025-01-01"
    assert data["measures"]["main_road_two_robberies_one_theft"]["main_road"] is True
    head = data["tables"]["headline"]
    assert head["definition_zh"] and head["columns"]["ytd"] == [{"window": "ytd", "measure": "(row measure)"}]
    rec = {r["measure"]: r for r in head["records"]}
    assert rec["criminal"]["ytd"] == 9 and rec["criminal"]["ytd_last_year"] == 3
    assert rec["main_road_two_robberies_one_theft"]["yoy_status"] == "new"
    assert rec["main_road_two_robberies_one_theft"]["yoy_change"] is None
    assert set(data["tables"]) == set(tiny.tables)
    assert len(data["tables"]["comparison"]["records"]) == len(tiny.table("comparison"))


def test_export_table_translates_codes(tiny):
    t = table_for_export(tiny, "model_offices", lang="en")
    assert "flag" in t.columns and "no model neighborhood" in set(t["flag"])
    z = table_for_export(tiny, "model_offices", lang="zh-CN")
    assert "无示范小区" in set(z["提示"]) and set(z["需关注"]) == {"是", "否"}
    with pytest.raises(InputError, match="lang"):
        table_for_export(tiny, "headline", lang="fr")


def test_unknown_format_is_refused(tiny, tmp_path):
    with pytest.raises(InputError, match="pdf"):
        write_report(tiny, tmp_path, formats=["pdf"])


def test_demo_report_files(demo_workspace, tmp_path):
    from openpyxl import load_workbook

    rep = build_report(demo_workspace, month="2026-09")
    files = write_report(rep, tmp_path, lang="zh-CN")
    assert files["html"].name == "yushui-2026-09-report.html"
    html = files["html"].read_text(encoding="utf-8")
    assert "http://" not in html and "https://" not in html and not OFF_HOST.search(html)
    for name in ("北湖路派出所", "抱石路派出所", "珠珊派出所", "站前社区警务室", "水榭丽都"):
        assert name in html
    assert html.count('class="copy"') == 300
    wb = load_workbook(files["xlsx"], read_only=True)
    ws = wb["派出所排名"]
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert len(rows) == 9 and all(isinstance(r[0], int) for r in rows)
    assert len(list(wb["每周通报"].iter_rows(min_row=2, values_only=True))) == 300
    wb.close()
