"""Write a half-year station report (:class:`geo.reports.halfyear.HalfYearReport`) as printable
HTML (the district's station ranking, then one page per station for its residents' review meeting),
XLSX, CSV and JSON, with the monthly report's headers, coded values and change texts
(:mod:`app.report_render`)."""

from __future__ import annotations

import json
import os
from typing import Any

import pandas as pd
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from app.report_render import (_TEMPLATES, FORMATS, VALUES, _change_cell, _lang, _name, _num, _pick, export_frame, file_stem,
                               open_out)
from geo.atomic import atomic_write_text
from geo.jsonsafe import to_jsonable
from geo.reports.halfyear import HalfYearReport
from geo.writers import write_safe_csv, write_safe_xlsx

__all__ = ["HALF_HEADERS", "write_half_year_report"]

#: The half-year's columns -> (zh-CN, en) header, over the monthly report's.
HALF_HEADERS: dict[str, tuple[str, str]] = {
    "cases": ("本期刑事案件", "criminal cases (half-year)"),
    "two_robberies_one_theft": ("本期两抢一盗", "robbery, snatching, theft (half-year)"),
    "previous_half": ("上一个半年", "previous half-year"),
    "half_last_year": ("去年同期", "same half last year"),
    "hoh_change": ("较上一个半年(%)", "vs previous half (%)"),
    "hoh_status": ("较上一个半年说明", "vs previous half: status"),
    "hoh_p": ("较上一个半年p值", "vs previous half: p-value"),
    "hoh_significant": ("较上一个半年显著", "vs previous half: significant"),
}
_SHEETS = {"stations": ("派出所半年排名", "station ranking"), "neighborhoods": ("小区半年排名", "neighborhood ranking"),
           "models": ("示范小区", "model neighborhoods")}
_UI = {
    "title": ("{district}{label}派出所治安情况报告", "{district} {label}: police stations' half-year report"),
    "period": ("统计期", "Period"), "compared": ("对比期", "Compared with"), "as_of": ("数据截至", "Data to"),
    "ranking": ("派出所半年排名", "Station ranking for the half-year"),
    "ranking_def": ("按本期刑事案件数从少到多排名（并列同名次，即“1224”竞赛排名）；万人发案率 = 案件数 / 辖区社区常住人口 × 10000；"
                    "同比为与去年同期相比，环比为与上一个半年相比。",
                    "Ranked by the half-year's criminal cases, fewest first (ties share a rank, competition "
                    "ranking '1224'); rate = cases per 10,000 residents of the station's communities; compared "
                    "with the same half a year before and with the previous half-year."),
    "dagger": ("† 变化在统计上不显著（两个泊松计数的精确条件二项检验，p ≥ 0.05）。",
               "† not a significant change (exact conditional binomial test of two Poisson counts, p >= 0.05)."),
    "rank": ("名次", "Rank"), "station": ("派出所", "Station"), "cases": ("本期刑事案件", "Criminal cases"),
    "last_year": ("去年同期", "Same half last year"), "yoy": ("同比", "Year over year"),
    "previous": ("上一个半年", "Previous half"), "hoh": ("环比", "vs previous half"),
    "theft": ("两抢一盗", "Robbery/theft"), "rate": ("万人发案率", "Per 10,000"),
    "meeting": ("半年居民评议会材料", "for the residents' half-year review meeting"),
    "rank_of": ("全区第 {rank} 名（共 {n} 个派出所）", "rank {rank} of {n} stations"),
    "models": ("达到示范标准的小区", "Neighborhoods meeting the model criteria"),
    "models_line": ("近12个月零发案 {zero} 个，控发案 {controlled} 个", "{zero} zero-incident, {controlled} controlled (12 months)"),
    "nb_ranking": ("辖区小区排名", "The station's neighborhoods"),
    "neighborhood": ("小区", "Neighborhood"), "community": ("社区", "Community"),
    "model_status": ("示范小区（近12个月）", "Model status (12 months)"),
}


def _ui(lang: str) -> dict[str, str]:
    return {k: _pick(v, lang) for k, v in _UI.items()}


def _context(rep: HalfYearReport, lang: str) -> dict[str, Any]:
    ui = _ui(lang)
    en = lang == "en"
    label = _pick(rep.label, lang)
    status = VALUES["status"]
    models = rep.tables["models"].set_index("neighborhood_id")

    def station_row(r: pd.Series) -> dict[str, Any]:
        return {"rank": _num(r["rank"]), "name": _name(r, lang), "cases": _num(r["cases"]),
                "last_year": _num(r["half_last_year"]), "yoy": _change_cell(r, "yoy", "cases", lang, compact=True),
                "previous": _num(r["previous_half"]), "hoh": _change_cell(r, "hoh", "cases", lang, compact=True),
                "theft": _num(r["two_robberies_one_theft"]), "rate": _num(r["rate_per_10k"], 1)}

    stations = [station_row(r) for _, r in rep.tables["stations"].iterrows()]
    per_station = []
    for _, r in rep.tables["stations"].sort_values("station_id").iterrows():
        mine = rep.station(str(r["station_id"]))
        md = mine["models"]
        rows = []
        for _, n in mine["neighborhoods"].iterrows():
            m = models.loc[n["neighborhood_id"]] if n["neighborhood_id"] in models.index else None
            text = ""
            if m is not None and m["status"] in ("zero", "controlled"):
                text = _pick(status[m["status"]], lang) + ("" if not bool(m["designated"]) else
                                                           (" (designated)" if en else "（已命名）"))
            elif m is not None and bool(m["designated"]):
                text = "designated, misses criteria" if en else "已命名·未达标"
            rows.append({"rank": _num(n["rank"]), "name": _name(n, lang), "community": str(n["community_name"]),
                         "cases": _num(n["cases"]), "last_year": _num(n["half_last_year"]),
                         "previous": _num(n["previous_half"]), "theft": _num(n["two_robberies_one_theft"]),
                         "model": text})
        per_station.append({**station_row(r), "station_id": str(r["station_id"]), "neighborhoods": rows,
                            "zero": int((md["status"] == "zero").sum()), "controlled": int((md["status"] == "controlled").sum()),
                            "models_met": int(md["meets"].astype(bool).sum())})
    w = rep.windows
    return {"lang": "en" if en else "zh-CN", "ui": ui, "title": ui["title"].format(district=rep.district, label=label),
            "period": w["half"].span(), "last_year_span": w["half_last_year"].span(),
            "previous_span": w["previous_half"].span(), "as_of": rep.as_of.isoformat(),
            "notes": [_pick(n, lang) for n in rep.notes], "stations": stations, "per_station": per_station,
            "n_stations": len(stations)}


def half_year_html(rep: HalfYearReport, *, lang: str = "zh-CN") -> str:
    """The report's printable page (self-contained HTML, A4)."""
    env = Environment(loader=FileSystemLoader(str(_TEMPLATES)), autoescape=select_autoescape(["html"]),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    return env.get_template("halfyear.html").render(**_context(rep, _lang(lang)))


def write_half_year_report(rep: HalfYearReport, out_dir: str | os.PathLike[str], *, lang: str = "zh-CN",
                           formats: tuple[str, ...] = FORMATS) -> dict[str, Any]:
    """Write the report into ``out_dir``: ``<workspace>-<2026-H1>-halfyear.html`` / ``.xlsx``
    (``-en`` in English), a CSV per table and ``...-halfyear-figures.json``; the files written
    (``csv``: table -> file), each atomically.

    Raises
    ------
    InputError
        Unknown language or format.
    """
    lang, formats, out, suffix = open_out(out_dir, lang=lang, formats=formats)
    stem = f"{file_stem(rep.workspace, rep.key)}-halfyear"
    written: dict[str, Any] = {}
    if "html" in formats:
        written["html"] = out / f"{stem}{suffix}.html"
        atomic_write_text(written["html"], half_year_html(rep, lang=lang))
    tables = {k: export_frame(t, lang=lang, headers=HALF_HEADERS) for k, t in rep.tables.items()}
    if "xlsx" in formats:
        written["xlsx"] = out / f"{stem}{suffix}.xlsx"
        write_safe_xlsx([(_pick(_SHEETS[k], lang), t) for k, t in tables.items()], written["xlsx"])
    if "csv" in formats:
        written["csv"] = {}
        for k, t in tables.items():
            written["csv"][k] = write_safe_csv(t, out / f"{stem}-{k}{suffix}.csv")
    if "json" in formats:
        written["json"] = out / f"{stem}-figures.json"
        atomic_write_text(written["json"], json.dumps(to_jsonable(rep.as_dict()), ensure_ascii=False, indent=1))
    return written
