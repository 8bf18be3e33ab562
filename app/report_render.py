"""Write a monthly report (:class:`geo.reports.Report`) as printable HTML, XLSX, CSV and JSON.

* HTML: one self-contained page (inline CSS and JS, no external assets), A4 print layout: the
  headline figures boxed, the station comparison, the monthly ranking, each station's neighborhood
  ranking, the model-neighborhood tracker, the weekly bulletins (each with a copy button) and the
  definitions of every figure.
* XLSX: one sheet per table plus a definitions sheet; bold frozen header row, column widths from
  the content, numbers as numbers, text typed as text (no cell becomes a formula).
* CSV: one file per table, UTF-8 with a byte-order mark (Excel opens Chinese text correctly); text
  cells starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return get a leading ``'`` (CSV
  injection); numbers are written as numbers.
* ``figures.json``: every number of every table with its definition (:meth:`Report.as_dict`).

Headers and coded values are translated to ``lang`` (``zh-CN`` or ``en``); changes are written as
percentages (``-28.7`` means down 28.7 %). File names carry the workspace name, the month and the
content, e.g. ``yushui-2026-09-report.html`` (``...-report-en.html`` in English).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from app.i18n import category_label, normalize_lang
from geo.categories import added_categories, category_table
from geo.errors import InputError
from geo.atomic import atomic_write_text
from geo.jsonsafe import to_jsonable
from geo.writers import csv_safe, write_safe_csv, write_safe_xlsx
from geo.reports import HEADLINE_MEASURES, Report

__all__ = ["write_report", "file_part", "file_stem", "report_stem", "export_frame", "open_out", "table_for_export", "csv_safe", "HEADERS", "VALUES", "FORMATS"]

FORMATS = ("html", "xlsx", "csv", "json")
_TEMPLATES = Path(__file__).parent / "templates" / "report"

#: Column -> (zh-CN, en) header.
HEADERS: dict[str, tuple[str, str]] = {
    "level": ("层级", "level"),
    "unit_id": ("单位编号", "unit id"),
    "name": ("名称", "name"),
    "name_en": ("英文名称", "English name"),
    "station_id": ("派出所编号", "station id"),
    "station_name": ("派出所", "station"),
    "station_name_en": ("派出所英文名", "station (English)"),
    "community_id": ("社区编号", "community id"),
    "community_name": ("社区", "community"),
    "office_name": ("社区警务室", "community police office"),
    "neighborhood_id": ("小区编号", "neighborhood id"),
    "measure": ("指标", "measure"),
    "month": ("本月", "month"),
    "month_last_year": ("去年同月", "same month last year"),
    "previous_month": ("上月", "previous month"),
    "ytd": ("今年累计", "year to date"),
    "ytd_last_year": ("去年同期累计", "same period last year"),
    "yoy_change": ("同比(%)", "YoY (%)"),
    "yoy_status": ("同比说明", "YoY status"),
    "yoy_p": ("同比p值", "YoY p-value"),
    "yoy_significant": ("同比显著", "YoY significant"),
    "mom_change": ("环比(%)", "MoM (%)"),
    "mom_status": ("环比说明", "MoM status"),
    "mom_p": ("环比p值", "MoM p-value"),
    "mom_significant": ("环比显著", "MoM significant"),
    "ytd_yoy_change": ("累计同比(%)", "YTD YoY (%)"),
    "ytd_yoy_status": ("累计同比说明", "YTD YoY status"),
    "ytd_yoy_p": ("累计同比p值", "YTD YoY p-value"),
    "ytd_yoy_significant": ("累计同比显著", "YTD YoY significant"),
    "rank": ("名次", "rank"),
    "cases": ("本月刑事案件", "criminal cases (month)"),
    "residents": ("常住人口", "residents"),
    "rate_per_10k": ("万人发案率", "per 10,000 residents"),
    "rank_by_rate": ("发案率名次", "rank by rate"),
    "two_robberies_one_theft": ("本月两抢一盗", "robbery, snatching, theft (month)"),
    "households": ("户数", "households"),
    "rate_per_1k_households": ("千户发案率", "per 1,000 households"),
    "designated_model": ("已命名示范小区", "designated model"),
    "model_kind": ("示范类型", "model kind"),
    "designated": ("已命名示范小区", "designated model"),
    "last_12m": ("近12个月两抢一盗", "robbery, snatching, theft, last 12 months"),
    "previous_12m": ("前12个月两抢一盗", "robbery, snatching, theft, previous 12 months"),
    "change": ("变化(%)", "change (%)"),
    "status": ("达标情况", "status"),
    "meets": ("达标", "meets criteria"),
    "assessment": ("核查结论", "assessment"),
    "neighborhoods": ("小区数", "neighborhoods"),
    "designated_meeting": ("达标示范小区数", "designated and meeting"),
    "designated_names": ("达标示范小区", "designated models meeting criteria"),
    "designated_failing_names": ("未达标示范小区", "designated models missing criteria"),
    "candidates": ("可推荐小区数", "qualifying undesignated"),
    "candidate_names": ("可推荐小区（未命名但达标）", "qualifying undesignated neighborhoods"),
    "flag": ("提示", "flag"),
    "flagged": ("需关注", "flagged"),
    "week_start": ("通报周起", "week from"),
    "week_end": ("通报周止", "week to"),
    "inside": ("小区内案件", "cases inside"),
    "nearby": ("周边街面案件", "street cases nearby"),
    "inside_ids": ("小区内案件编号", "ids inside"),
    "nearby_ids": ("周边案件编号", "ids nearby"),
    "text_zh": ("通报（中文）", "bulletin (Chinese)"),
    "text_en": ("通报（英文）", "bulletin (English)"),
}
#: Coded values -> (zh-CN, en), per column.
_STATUS = {
    "change": ("变化", "change"),
    "new": ("新增", "new"),
    "both_zero": ("均为0", "both zero"),
    "no_baseline": ("无基期数据", "no baseline data"),
}
VALUES: dict[str, dict[str, tuple[str, str]]] = {
    "yoy_status": _STATUS,
    "mom_status": _STATUS,
    "hoh_status": _STATUS,
    "ytd_yoy_status": _STATUS,
    "level": {
        "district": ("全区", "district"),
        "station": ("派出所", "station"),
        "community": ("社区", "community"),
        "neighborhood": ("小区", "neighborhood"),
    },
    "status": {
        "zero": ("零发案", "zero-incident"),
        "controlled": ("控发案", "controlled"),
        "not_met": ("未达标", "not met"),
        "unknown": ("无法判断（前期无数据）", "unknown (no earlier data)"),
    },
    "assessment": {
        "designated_meets": ("示范小区·达标", "designated, meets criteria"),
        "designated_fails": ("示范小区·未达标", "designated, misses criteria"),
        "candidate": ("未命名·达标（可推荐）", "undesignated, qualifies"),
        "none": ("—", "-"),
    },
    "flag": {
        "no_designated_model": ("无示范小区", "no model neighborhood"),
        "designated_not_meeting": ("示范小区未达标", "model neighborhood misses criteria"),
        "ok": ("已有达标示范小区", "has a model neighborhood meeting criteria"),
    },
    "model_kind": {
        "unit_self_governance": ("单位小区自治", "unit-compound self-governance"),
        "party_building": ("党建+平安创建", "party building + safety"),
        "party_members_return": ("党员回归社区帮建", "party members return to the community"),
        "police_resident": ("警民共建", "police and residents together"),
        "": ("", ""),
    },
}
_CHANGE_COLS = {"yoy_change", "mom_change", "hoh_change", "ytd_yoy_change", "change"}
_P_COLS = {"yoy_p", "mom_p", "hoh_p", "ytd_yoy_p"}
_RATE_COLS = {"rate_per_10k", "rate_per_1k_households"}
#: Sheet / file names per table: (zh-CN sheet, en sheet).
_SHEETS: dict[str, tuple[str, str]] = {
    "headline": ("头条指标", "headline"),
    "comparison": ("同比环比", "comparison"),
    "station_ranking": ("派出所排名", "station ranking"),
    "neighborhood_ranking": ("小区排名", "neighborhood ranking"),
    "model_neighborhoods": ("示范小区", "model neighborhoods"),
    "model_offices": ("警务室示范情况", "model offices"),
    "bulletins": ("每周通报", "weekly bulletins"),
}


def _lang(lang: str) -> str:
    if lang is None or normalize_lang(lang, default="") == "":
        raise InputError(f"lang={lang!r}: use 'zh-CN' or 'en'", code="param.lang", value=str(lang))
    return normalize_lang(lang)


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[1] if lang == "en" else pair[0]


def file_part(text: str) -> str:
    """``text`` fit for a file name: characters unsafe in file names replaced by ``_`` (Chinese kept)."""
    return re.sub(r"[^\w\-]+", "_", str(text), flags=re.UNICODE).strip("_")


def file_stem(workspace: str, period: str) -> str:
    """``<workspace>-<period>``: how every file patrolnet writes for a user begins (the period a
    day, a month or a half year; the content follows: ``yushui-2026-09-report.html``, like the web's
    ``yushui-2026-12-02-routes.gpx``), characters unsafe in file names replaced by ``_``."""
    return f"{file_part(workspace) or 'workspace'}-{period}"


def report_stem(report: Report) -> str:
    """``<workspace>-<YYYY-MM>`` (:func:`file_stem`)."""
    return file_stem(report.workspace, report.month)


# -- tables for export ------------------------------------------------------------------------------
def table_for_export(report: Report, key: str, *, lang: str = "zh-CN") -> pd.DataFrame:
    """Table ``key`` as exported: coded values translated, changes in percent, headers in ``lang``.

    The measure column gets its label; booleans become 是/否 (yes/no); p-values are rounded to
    4 and rates to 3 decimals. Numbers stay numbers.
    """
    return export_frame(report.table(key), lang=lang, measures=report.measures)


def export_frame(frame: pd.DataFrame, *, lang: str = "zh-CN", measures: Mapping[str, Any] | None = None,
                 headers: Mapping[str, tuple[str, str]] | None = None) -> pd.DataFrame:
    """A report's table as exported (:func:`table_for_export`): coded values translated, changes in
    percent, booleans as 是/否, headers in ``lang`` (``headers`` over :data:`HEADERS`)."""
    lang = _lang(lang)
    names = {**HEADERS, **(headers or {})}
    out = pd.DataFrame(index=frame.index)
    for col in frame.columns:
        s = frame[col]
        if col == "measure" and measures is not None:
            out[col] = s.map(lambda k: measures[k].label(lang) if k in measures else k)
        elif col in VALUES:
            table = VALUES[col]
            out[col] = s.map(lambda v, t=table: _pick(t[v], lang) if v in t else v)
        elif col in _CHANGE_COLS:
            out[col] = (pd.to_numeric(s, errors="coerce") * 100).round(2)
        elif col in _P_COLS:
            out[col] = pd.to_numeric(s, errors="coerce").round(4)
        elif col in _RATE_COLS:
            out[col] = pd.to_numeric(s, errors="coerce").round(3)
        elif pd.api.types.is_bool_dtype(s):
            yes, no = ("yes", "no") if lang == "en" else ("是", "否")
            out[col] = np.where(s.to_numpy(dtype=bool), yes, no)
        else:
            out[col] = s
    out.columns = [_pick(names[c], lang) if c in names else c for c in frame.columns]
    return out.reset_index(drop=True)


def _cell_value(v: Any) -> Any:
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, float) and math.isnan(v):
        return None
    if isinstance(v, np.generic):
        v = v.item()
        if isinstance(v, float) and math.isnan(v):
            return None
    return v


def _definitions_frame(report: Report, lang: str) -> pd.DataFrame:
    en = lang == "en"
    rows: list[tuple[str, str, str]] = []
    kind_t, key_t, def_t = ("kind", "key", "definition") if en else ("类别", "名称", "口径")
    for k, m in report.measures.items():
        table = category_table(added_categories(report.settings.get("added_categories")))
        cats = ("、" if not en else ", ").join(category_label(c, lang, table) for c in m.categories)
        place = {"street": ("街面", "street"), "neighborhood": ("小区内", "inside neighborhoods"),
                 None: ("全部地点", "all places")}[m.place_kind]
        extra = (" · main roads" if en else " · 主干道") if m.main_road else ""
        rows.append(("measure" if en else "指标", m.label(lang), f"{_pick(place, lang)}{extra}: {cats}"))
    for k, w in report.windows.items():
        cov = "" if w.covered else (" (before the data: no baseline)" if en else "（早于数据起始日：无基期数据）")
        rows.append(("window" if en else "统计期", _window_label(k, lang), f"{w.span()}{cov}"))
    for k, t in report.tables.items():
        rows.append(("table" if en else "表", _pick(t.title, lang), _pick(t.definition, lang)))
    for k, v in report.settings.items():
        rows.append(("setting" if en else "参数", k, json.dumps(to_jsonable(v), ensure_ascii=False)))
    for z, e in report.notes:
        rows.append(("note" if en else "说明", "", e if en else z))
    return pd.DataFrame(rows, columns=[kind_t, key_t, def_t])


# -- HTML ---------------------------------------------------------------------------------------------
_WINDOW_LABELS: dict[str, tuple[str, str]] = {
    "month": ("本月", "month"),
    "month_last_year": ("去年同月", "same month last year"),
    "previous_month": ("上月", "previous month"),
    "ytd": ("今年累计", "year to date"),
    "ytd_last_year": ("去年同期累计", "same period last year"),
    "last_12m": ("近12个月", "last 12 months"),
    "previous_12m": ("前12个月", "previous 12 months"),
    "week": ("通报周", "bulletin week"),
}
_UI: dict[str, tuple[str, str]] = {
    "title": ("{district} {year}年{month}月 警情分析月报", "{district} monthly incident report, {month_name} {year}"),
    "subtitle": ("控发案“1234”工作法 · 同比环比 · 月度排名 · 示范小区 · 每周通报",
                 "The \"1234\" crime-control method · year over year · monthly ranking · model neighborhoods · weekly bulletins"),
    "as_of": ("数据截至 {as_of}（{tz}）；生成于 {now}", "Data to {as_of} ({tz}); generated {now}"),
    "headline": ("一、头条指标", "1. Headline figures"),
    "headline_note": ("本月同比、环比；1月至本月累计同比（文章“1月-9月同比”口径）。",
                      "The month year over year and month over month; January to the month year over year "
                      "(the article's \"Jan-Sep year over year\" form)."),
    "month_count": ("本月", "This month"),
    "ytd_count": ("{span}累计", "{span}"),
    "last_year": ("去年同期", "last year"),
    "prev_month": ("上月", "last month"),
    "yoy": ("同比", "YoY"),
    "mom": ("环比", "MoM"),
    "stations": ("二、各派出所同比", "2. Stations year over year"),
    "station": ("派出所", "Station"),
    "ranking": ("三、派出所月度排名", "3. Monthly station ranking"),
    "nb_ranking": ("四、各派出所小区排名", "4. Neighborhood ranking within each station"),
    "nb_zero_rest": ("{n}个小区本月零发案，并列第1名；有案件的小区如下。",
                     "{n} neighborhoods had no case this month and share rank 1; those with cases:"),
    "nb_all_zero": ("全部{n}个小区本月零发案，并列第1名。", "All {n} neighborhoods had no case this month and share rank 1."),
    "models": ("五、示范小区（每个社区警务室至少一个零发案或控发案示范小区）",
               "5. Model neighborhoods (every community police office keeps at least one)"),
    "models_summary": ("{n}个社区警务室中，{flagged}个需关注：{no_model}个没有命名示范小区，{failing}个示范小区未达标；"
                       "已命名示范小区{designated}个，达标{meeting}个；未命名但达标、可推荐的小区{candidates}个。",
                       "{flagged} of {n} community police offices need attention: {no_model} have no designated "
                       "model neighborhood, {failing} have designated ones that miss the criteria; {designated} "
                       "designated model neighborhoods, {meeting} meet the criteria; {candidates} undesignated "
                       "neighborhoods qualify."),
    "offices": ("社区警务室", "Community police offices"),
    "designated_list": ("已命名示范小区核查", "Designated model neighborhoods checked"),
    "bulletins": ("六、每周警情通报（可复制到小区居民微信群）", "6. Weekly bulletins (ready to paste into residents' WeChat groups)"),
    "bulletins_note": ("通报周 {span}；{n_nonempty}个小区有案件，{n_empty}个小区本周无案件。",
                       "Week {span}; {n_nonempty} neighborhoods with cases, {n_empty} without."),
    "copy_button": ("复制", "Copy"),
    "copied": ("已复制", "Copied"),
    "definitions": ("七、指标口径与说明", "7. Definitions and notes"),
    "sig_note": ("† 数量较少或变化不大，统计上不显著（双侧精确检验 p ≥ {alpha}），不宜据此评价。",
                 "† Small numbers or a small change: not statistically significant (two-sided exact test, "
                 "p ≥ {alpha}); do not judge on it."),
    "files_note": ("完整表格（含全部社区、小区的同比环比）见同名 XLSX/CSV 文件；每个数字的口径见 figures.json。",
                   "Full tables (every community and neighborhood) are in the XLSX/CSV files of the same name; "
                   "every number's definition is in figures.json."),
    "flagged": ("需关注", "attention"),
    "print": ("打印", "Print"),
}
_MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
                "October", "November", "December")


def _window_label(key: str, lang: str) -> str:
    return _pick(_WINDOW_LABELS.get(key, (key, key)), lang)


def _ui(key: str, lang: str, **fmt: Any) -> str:
    text = _pick(_UI[key], lang)
    return text.format(**fmt) if fmt else text


def _change_text(change: Any, status: Any, current: Any, lang: str, *, compact: bool = False) -> str:
    """"下降28.7%" / "down 28.7%" (``compact``: "-28.7%"), "新增3起" / "new (3)" for a zero baseline."""
    en = lang == "en"
    if status == "new":
        if compact:
            return f"new {int(current)}" if en else f"新增{int(current)}"
        return f"new ({int(current)})" if en else f"新增{int(current)}起"
    if status == "both_zero":
        return "0 → 0" if compact else ("both zero" if en else "均为0")
    if status == "no_baseline":
        return "no baseline data" if en else "无基期数据"
    if change is None or (isinstance(change, float) and math.isnan(change)):
        return "-"
    pct = float(change) * 100
    if abs(pct) < 0.05:
        return "±0%" if compact else ("no change" if en else "持平")
    if compact:
        return f"{'+' if pct > 0 else '−'}{abs(pct):.1f}%"
    if en:
        return f"{'up' if pct > 0 else 'down'} {abs(pct):.1f}%"
    return f"{'上升' if pct > 0 else '下降'}{abs(pct):.1f}%"


def _change_cell(row: Mapping[str, Any], prefix: str, current_col: str, lang: str, *,
                 compact: bool = False) -> dict[str, Any]:
    status = row.get(f"{prefix}_status")
    change = row.get(f"{prefix}_change")
    text = _change_text(change, status, row.get(current_col), lang, compact=compact)
    sig = bool(row.get(f"{prefix}_significant")) if status == "change" else True
    cls = ""
    if status == "change" and change is not None and not (isinstance(change, float) and math.isnan(change)):
        cls = "down" if change < 0 else ("up" if change > 0 else "")
    elif status == "new":
        cls = "up"
    if status in ("change", "new") and not bool(row.get(f"{prefix}_significant")):
        cls += " ns"
        sig = False
    return {"text": text + ("" if sig else " †"), "cls": cls.strip()}


def _num(v: Any, digits: int = 0) -> str:
    v = _cell_value(v)
    if v is None:
        return "-"
    if digits == 0:
        return f"{int(round(float(v))):,}"
    return f"{float(v):,.{digits}f}"


def _name(row: Mapping[str, Any], lang: str, col: str = "name") -> str:
    if lang == "en":
        v = row.get(f"{col}_en")
        if v is not None and str(v) not in ("", "nan"):
            return str(v)
    return str(row.get(col, ""))


def _html_context(report: Report, lang: str) -> dict[str, Any]:
    en = lang == "en"
    per = pd.Period(report.month, freq="M")
    W = report.windows
    alpha = report.settings.get("alpha", 0.05)
    ytd_span = (f"Jan-{_MONTH_NAMES[per.month - 1][:3]} {per.year}" if en else f"1-{per.month}月")
    # headline boxes
    head = report.table("headline").to_dict(orient="records")
    boxes = []
    for r in head:
        m = report.measures[r["measure"]]
        boxes.append({
            "label": m.label(lang),
            "month": _num(r["month"]), "month_last_year": _num(r["month_last_year"]),
            "previous_month": _num(r["previous_month"]),
            "yoy": _change_cell(r, "yoy", "month", lang), "mom": _change_cell(r, "mom", "previous_month", lang),
            "ytd": _num(r["ytd"]), "ytd_last_year": _num(r["ytd_last_year"]),
            "ytd_yoy": _change_cell(r, "ytd_yoy", "ytd", lang),
        })
    # stations x headline measures
    comp = report.table("comparison")
    st = comp[(comp["level"] == "station") & comp["measure"].isin(HEADLINE_MEASURES)]
    station_rows = []
    for sid, g in st.groupby("unit_id", sort=True):
        g = g.set_index("measure")
        first = g.iloc[0].to_dict()
        cells = []
        for mk in HEADLINE_MEASURES:
            r = g.loc[mk].to_dict()
            cells.append({
                "month": _num(r["month"]), "yoy": _change_cell(r, "yoy", "month", lang, compact=True),
                "ytd": _num(r["ytd"]), "ytd_last_year": _num(r["ytd_last_year"]),
                "ytd_yoy": _change_cell(r, "ytd_yoy", "ytd", lang, compact=True),
            })
        station_rows.append({"name": _name(first, lang), "id": sid, "cells": cells})
    # ranking
    ranking = []
    for r in report.table("station_ranking").to_dict(orient="records"):
        ranking.append({
            "rank": _num(r["rank"]), "name": _name(r, lang), "cases": _num(r["cases"]),
            "residents": _num(r["residents"]), "rate": _num(r["rate_per_10k"], 2),
            "rank_by_rate": _num(r["rank_by_rate"]), "trot": _num(r["two_robberies_one_theft"]),
            "previous_month": _num(r["previous_month"]),
            "mom": _change_cell(r, "mom", "cases", lang, compact=True),
            "month_last_year": _num(r["month_last_year"]),
            "yoy": _change_cell(r, "yoy", "cases", lang, compact=True),
        })
    # neighborhood ranking per station: the ones with cases, and a line for the zero ones
    nbr = report.table("neighborhood_ranking")
    nb_groups = []
    for sid, g in nbr.groupby("station_id", sort=True):
        recs = g.to_dict(orient="records")
        with_cases = [r for r in recs if r["cases"] > 0]
        zero = len(recs) - len(with_cases)
        rows = [{
            "rank": _num(r["rank"]), "name": _name(r, lang) + (" ★" if r["designated_model"] else ""),
            "community": str(r["community_name"]), "households": _num(r["households"]),
            "cases": _num(r["cases"]), "rate": _num(r["rate_per_1k_households"], 2),
            "trot": _num(r["two_robberies_one_theft"]), "previous_month": _num(r["previous_month"]),
            "month_last_year": _num(r["month_last_year"]),
        } for r in with_cases]
        note = ""
        if zero:
            note = _ui("nb_all_zero" if not with_cases else "nb_zero_rest", lang, n=zero)
        nb_groups.append({"station": _name(recs[0], lang, "station_name"), "rows": rows, "note": note})
    # model tracker
    models = report.table("model_neighborhoods")
    offices = report.table("model_offices")
    office_label = {r["community_id"]: (f"{r['name_en']} police office" if en else str(r["office_name"]))
                    for r in offices.to_dict(orient="records")}
    val = VALUES
    office_rows = [{
        "station": str(r["station_id"]), "office": office_label[r["community_id"]],
        "neighborhoods": r["neighborhoods"], "designated": r["designated"], "meeting": r["designated_meeting"],
        "designated_names": r["designated_names"], "failing_names": r["designated_failing_names"],
        "candidates": r["candidates"], "candidate_names": r["candidate_names"],
        "flag": _pick(val["flag"][r["flag"]], lang), "flagged": bool(r["flagged"]),
    } for r in offices.to_dict(orient="records")]
    designated_rows = [{
        "station": str(r["station_id"]), "office": office_label.get(r["community_id"], str(r["office_name"])),
        "name": _name(r, lang),
        "kind": _pick(val["model_kind"].get(r["model_kind"], (r["model_kind"], r["model_kind"])), lang),
        "last": _num(r["last_12m"]), "prev": _num(r["previous_12m"]),
        "status": _pick(val["status"][r["status"]], lang), "meets": bool(r["meets"]),
    } for r in models[models["designated"]].to_dict(orient="records")]
    summary = _ui(
        "models_summary", lang, n=len(offices), flagged=int(offices["flagged"].sum()),
        no_model=int((offices["flag"] == "no_designated_model").sum()),
        failing=int((offices["flag"] == "designated_not_meeting").sum()),
        designated=int(models["designated"].sum()),
        meeting=int((models["assessment"] == "designated_meets").sum()),
        candidates=int((models["assessment"] == "candidate").sum()),
    )
    # bulletins grouped by station and community
    bl = report.table("bulletins")
    st_names = {r["station_id"]: _name(r, lang) for r in report.table("station_ranking").to_dict(orient="records")}
    text_col = "text_en" if en else "text_zh"
    bulletin_groups = []
    for (sid, cid), g in bl.groupby(["station_id", "community_id"], sort=True):
        recs = g.to_dict(orient="records")
        bulletin_groups.append({
            "title": f"{st_names.get(sid, sid)} · {office_label.get(cid, recs[0]['office_name'])}",
            "entries": [{"id": f"b-{r['neighborhood_id']}", "name": _name(r, lang), "text": r[text_col],
                       "empty": (r["inside"] + r["nearby"]) == 0} for r in recs],
        })
    n_nonempty = int(((bl["inside"] + bl["nearby"]) > 0).sum())
    definitions = _definitions_frame(report, lang).to_dict(orient="split")
    title = _ui("title", lang, district=report.district, year=per.year, month=per.month,
                month_name=_MONTH_NAMES[per.month - 1])
    return {
        "lang": "en" if en else "zh-CN",
        "title": title,
        "subtitle": _ui("subtitle", lang),
        "as_of": _ui("as_of", lang, as_of=report.as_of.isoformat(), tz=report.timezone,
                     now=dt.datetime.now().strftime("%Y-%m-%d %H:%M")),
        "ui": {k: _pick(v, lang) for k, v in _UI.items()},
        "headline_measures": [report.measures[m].label(lang) for m in HEADLINE_MEASURES],
        "month_span": W["month"].span(),
        "ytd_label": _ui("ytd_count", lang, span=ytd_span),
        "ytd_span": W["ytd"].span(),
        "ytd_last_year_span": W["ytd_last_year"].span(),
        "boxes": boxes,
        "station_rows": station_rows,
        "ranking": ranking,
        "ranking_definition": _pick(report.tables["station_ranking"].definition, lang),
        "nb_groups": nb_groups,
        "nb_definition": _pick(report.tables["neighborhood_ranking"].definition, lang),
        "models_definition": _pick(report.tables["model_neighborhoods"].definition, lang),
        "models_summary": summary,
        "office_rows": office_rows,
        "designated_rows": designated_rows,
        "bulletin_groups": bulletin_groups,
        "bulletins_note": _ui("bulletins_note", lang, span=W["week"].span(), n_nonempty=n_nonempty,
                              n_empty=len(bl) - n_nonempty),
        "bulletins_definition": _pick(report.tables["bulletins"].definition, lang),
        "sig_note": _ui("sig_note", lang, alpha=alpha),
        "definitions": definitions,
        "notes": [e if en else z for z, e in report.notes],
        "h": {c: _pick(HEADERS[c], lang) for c in HEADERS},
        "p": {"lp": " (", "rp": ")", "colon": ": ", "sep": "; "} if en
        else {"lp": "（", "rp": "）", "colon": "：", "sep": "；"},
    }


def _render_html(report: Report, lang: str) -> str:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    env = Environment(
        loader=FileSystemLoader(str(_TEMPLATES)),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env.get_template("monthly.html").render(**_html_context(report, lang))


# -- entry point --------------------------------------------------------------------------------------
def open_out(out_dir: str | os.PathLike[str], *, lang: str, formats: Iterable[str]
             ) -> tuple[str, tuple[str, ...], Path, str]:
    """A report's files' folder (made when missing), checked language and formats, and the file
    names' language suffix (``-en`` in English): ``(lang, formats, folder, suffix)``.

    Raises
    ------
    InputError
        Unknown language or format.
    """
    lang = _lang(lang)
    formats = tuple(formats)
    bad = [f for f in formats if f not in FORMATS]
    if bad:
        raise InputError(f"format(s) {', '.join(bad)} unknown; use any of {', '.join(FORMATS)}",
                         code="param.formats", value=", ".join(bad), known=", ".join(FORMATS))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    return lang, formats, out, "-en" if lang == "en" else ""


def write_report(
    report: Report,
    out_dir: str | os.PathLike[str],
    *,
    lang: str = "zh-CN",
    formats: Iterable[str] = FORMATS,
) -> dict[str, Any]:
    """Write a report's files into ``out_dir`` (created if missing).

    Parameters
    ----------
    report
        From :func:`geo.reports.build_report`.
    out_dir
        Target directory.
    lang
        ``"zh-CN"`` (default) or ``"en"``: page language, headers and coded values.
    formats
        Any of ``html``, ``xlsx``, ``csv``, ``json``.

    Returns
    -------
    dict
        ``html``, ``xlsx``, ``json``: the file written; ``csv``: table key -> file. Each file is
        written to a temporary name beside it and then moved over it.

    Raises
    ------
    InputError
        Unknown language or format.
    """
    lang, formats, out, suffix = open_out(out_dir, lang=lang, formats=formats)
    stem = report_stem(report)
    written: dict[str, Any] = {}
    if "html" in formats:
        path = out / f"{stem}-report{suffix}.html"
        atomic_write_text(path, _render_html(report, lang))
        written["html"] = path
    tables = {k: table_for_export(report, k, lang=lang) for k in report.tables} if {"xlsx", "csv"} & set(formats) else {}
    if "xlsx" in formats:
        path = out / f"{stem}-report{suffix}.xlsx"
        sheets = [(_pick(_SHEETS.get(k, (k, k)), lang), t) for k, t in tables.items()]
        sheets.append(("口径说明" if lang != "en" else "definitions", _definitions_frame(report, lang)))
        write_safe_xlsx(sheets, path)
        written["xlsx"] = path
    if "csv" in formats:
        written["csv"] = {}
        for k, t in tables.items():
            path = out / f"{stem}-{k}{suffix}.csv"
            write_safe_csv(t, path)
            written["csv"][k] = path
    if "json" in formats:
        path = out / f"{stem}-figures.json"
        atomic_write_text(path, json.dumps(to_jsonable(report.as_dict()), ensure_ascii=False, indent=1))
        written["json"] = path
    return written
