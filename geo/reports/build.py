"""build_report: the monthly report of a workspace (or of a mapping of layers), every table built."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

import pandas as pd

from geo.categories import META_KEY, added_categories, category_table, criminal_codes, group_codes
from geo.errors import InputError
from geo.schema import CATEGORIES, DEFAULT_TIMEZONE

from .bulletins import weekly_bulletins
from .counting import comparison_table
from .incidents import prepare_incidents
from .measures import _COUNT_WINDOWS, COMPARISONS, HEADLINE_MEASURES, MEASURES
from .models import model_tracker
from .rankings import neighborhood_ranking, station_ranking
from .report import Report, ReportTable
from .windows import _to_date, last_data_day, meta_date, parse_month, report_windows

__all__ = ["build_report"]


def _layer_check(name: str, frame: pd.DataFrame | None, columns: Iterable[str]) -> pd.DataFrame:
    if frame is None:
        raise InputError(f"the report needs the '{name}' layer; add it to the workspace (see docs/data-model.md)",
                         code="report.no_layer", layer=name)
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(f"layer '{name}': missing column(s) {', '.join(missing)}; add them (see docs/data-model.md)",
                         code="layer.missing_columns", layer=name, columns=", ".join(missing))
    return frame


def build_report(
    source: Any,
    *,
    month: str | dt.date | pd.Period,
    week: str | dt.date | None = None,
    as_of: str | dt.date | None = None,
    data_start: str | dt.date | None = None,
    meta: Mapping[str, str] | None = None,
    workspace_name: str | None = None,
    controlled_share: float = 0.5,
    alpha: float = 0.05,
    nearby_m: float = 150.0,
    main_highways: Iterable[str] | None = None,
) -> Report:
    """Build the monthly report of a workspace.

    Parameters
    ----------
    source
        A :class:`app.storage.workspace.Workspace`, or a mapping of layer name -> table (stations,
        communities, neighborhoods, incidents; optional road_edges, buildings).
    month
        Report month, ``YYYY-MM``.
    week
        Any day of the bulletin week, or ``YYYY-Www``; default the last full week ending on or
        before ``as_of``.
    as_of
        Last day of data; default ``meta['as_of']``, ``meta['demo_as_of']``, else the day of the
        last incident.
    data_start
        First day of data (baselines before it are "no data", not zero); default
        ``meta['data_start']``, else the day of the first incident.
    meta
        Workspace meta when ``source`` is a mapping (time zone, district, main_highways).
    workspace_name
        Name used in file names; default the workspace's name.
    controlled_share
        Fall needed for a *controlled* model neighborhood (0.5 = down by half).
    alpha
        Significance level of the small-number test.
    nearby_m
        Street incidents within this distance of a compound go into its bulletin.
    main_highways
        Highway values counted as main roads (default ``meta.main_highways`` or
        :data:`geo.schema.MAIN_HIGHWAYS`).

    Returns
    -------
    Report

    Raises
    ------
    InputError
        Missing layers or columns, a month after the data, a bad week or option.
    """
    if hasattr(source, "read") and hasattr(source, "has"):
        ws = source
        meta = dict(ws.meta)
        workspace_name = workspace_name or ws.name
        layers: dict[str, pd.DataFrame | None] = {}
        for name in ("stations", "communities", "neighborhoods", "incidents"):
            layers[name] = ws.read(name) if ws.has(name) else None
        optional = {"road_edges": ["edge_id", "highway", "name"], "buildings": ["name", "neighborhood_id"]}
        for name, cols in optional.items():
            layers[name] = ws.read(name, columns=cols) if ws.has(name) else None
        if main_highways is None:
            main_highways = ws.meta_json("main_highways", None)
    elif isinstance(source, Mapping):
        layers = dict(source)
        meta = dict(meta or {})
        if main_highways is None and meta.get("main_highways"):
            main_highways = json.loads(meta["main_highways"]) if isinstance(meta["main_highways"], str) \
                else meta["main_highways"]
    else:
        raise InputError(f"source must be a Workspace or a mapping of layers, not {type(source).__name__}")
    if not 0 < alpha < 1:
        raise InputError(f"alpha={alpha!r}: give a significance level in (0, 1), e.g. 0.05",
                         code="param.alpha", value=str(alpha))
    tz = meta.get("timezone") or DEFAULT_TIMEZONE
    stations = _layer_check("stations", layers.get("stations"), ["station_id", "name"])
    communities = _layer_check("communities", layers.get("communities"), ["community_id", "name", "station_id"])
    neighborhoods = _layer_check(
        "neighborhoods", layers.get("neighborhoods"), ["neighborhood_id", "name", "community_id", "station_id"]
    )
    raw = _layer_check("incidents", layers.get("incidents"), ["incident_id", "occurred_at", "category", "place_kind"])
    table = category_table(added_categories(meta.get(META_KEY)))  # the built-in categories and the workspace's own
    inc = prepare_incidents(raw, timezone=tz, road_edges=layers.get("road_edges"), main_highways=main_highways,
                            categories=table)
    notes: list[tuple[str, str]] = []
    if len(inc) == 0 and (as_of is None or data_start is None):
        raise InputError("the workspace has no incidents; import some first ('patrolnet import WORKSPACE incidents FILE')",
                         code="data.no_incidents")
    as_of_d = _to_date(as_of, "as_of") if as_of is not None else last_data_day(inc["occurred_at"], meta, timezone=tz)
    start_d = _to_date(data_start, "data_start") if data_start is not None else (
        meta_date(meta, "data_start") or inc["occurred_at"].min().date())
    windows = report_windows(month, as_of=as_of_d, timezone=tz, data_start=start_d, week=week)
    per = parse_month(month)
    if windows["month"].end < windows["ytd"].start + pd.DateOffset(months=per.month):
        notes.append((
            f"{per.month}月尚未结束：本月及各对比期均统计至第{windows['month'].last_day.day}日（截至{as_of_d}）。",
            f"{per} is not over: the month and every comparison period run to day "
            f"{windows['month'].last_day.day} (data to {as_of_d}).",
        ))
    uncovered = [w.key for w in windows.values() if not w.covered]
    if uncovered:
        notes.append((
            f"数据自{start_d}起：{', '.join(uncovered)} 期间早于数据起始日，基期记为“无基期数据”而非0。",
            f"Data start on {start_d}: {', '.join(uncovered)} begin before it, so those baselines are "
            f"shown as 'no baseline data', not zero.",
        ))
    src = inc.attrs.get("main_road_source")
    if src == "none":
        notes.append((
            "工作区没有道路路段，主干道案件无法区分（记为0）。",
            "The workspace has no road edges, so main-road cases cannot be told apart (counted as 0).",
        ))
    district = str(meta.get("district") or meta.get("name") or workspace_name or "district")
    kw = dict(stations=stations, communities=communities, neighborhoods=neighborhoods)

    comparison = comparison_table(inc, windows=windows, district=district, alpha=alpha, **kw)
    headline = comparison[(comparison["level"] == "district") & comparison["measure"].isin(HEADLINE_MEASURES)].copy()
    headline["order"] = headline["measure"].map({m: i for i, m in enumerate(HEADLINE_MEASURES)})
    headline = headline.sort_values("order").drop(columns=["order", "station_id", "community_id"]).reset_index(drop=True)
    s_rank = station_ranking(inc, windows=windows, stations=stations, communities=communities, alpha=alpha)
    n_rank = neighborhood_ranking(inc, windows=windows, **kw)
    models, offices = model_tracker(inc, windows=windows, neighborhoods=neighborhoods, communities=communities,
                                    controlled_share=controlled_share)
    bulletins = weekly_bulletins(inc, week=windows["week"], neighborhoods=neighborhoods, communities=communities,
                                 stations=stations, buildings=_with_geometry(layers.get("buildings")),
                                 nearby_m=nearby_m)

    cnt = {w: ((w, None),) for w in _COUNT_WINDOWS}
    chg = {f"{k}{s}": ((a, None), (b, None)) for k, (a, b) in COMPARISONS.items()
           for s in ("_change", "_status", "_p", "_significant")}
    ytd_days = windows["ytd"].span()
    share_pct = f"{controlled_share * 100:g}%"
    tables = {
        "headline": ReportTable(
            "headline", ("头条指标", "Headline figures"), headline,
            (
                f"全区三项指标：刑事案件、小区两抢一盗、街面主干道可防性案件（两抢一盗）；本月同比、环比，"
                f"及1月至本月累计（{ytd_days}）同比。",
                f"The article's three figures for the district: criminal cases, neighborhood robbery/snatching/"
                f"theft, main-road street preventable cases (robbery/snatching/theft); the month year over year "
                f"and month over month, and January to the month ({ytd_days}) year over year.",
            ),
            level="district", unit_col=None, measure=None, columns={**cnt, **chg},
        ),
        "comparison": ReportTable(
            "comparison", ("同比环比（全区、派出所、社区、小区）", "Year over year and month over month (all units)"),
            comparison,
            (
                "每个单位（全区、派出所、社区、小区）每项指标的本月、去年同月、上月、今年累计、去年同期累计及变化；"
                "小区只统计发生在小区内的警情。",
                "Every unit (district, station, community, neighborhood) and measure: month, same month last "
                "year, previous month, year to date, same period last year and the changes; neighborhoods "
                "count incidents inside them only.",
            ),
            level=None, unit_col="unit_id", measure=None, columns={**cnt, **chg},
        ),
        "station_ranking": ReportTable(
            "station_ranking", ("派出所月度排名", "Monthly station ranking"), s_rank,
            (
                "按本月刑事案件数从少到多排名（并列同名次，下一名次顺延，即“1224”竞赛排名；零发案排第一）；"
                "万人发案率 = 案件数 / 辖区社区常住人口 × 10000。",
                "Ranked by the month's criminal cases, fewest first (ties share a rank and the next rank "
                "skips - competition ranking '1224'; zero cases rank first); rate per 10,000 residents = cases / "
                "residents of the station's communities x 10,000.",
            ),
            level="station", unit_col="station_id", measure="criminal",
            columns={
                "rank": (("month", None),), "cases": (("month", None),), "rate_per_10k": (("month", None),),
                "rank_by_rate": (("month", None),),
                "two_robberies_one_theft": (("month", "two_robberies_one_theft"),),
                "previous_month": (("previous_month", None),), "month_last_year": (("month_last_year", None),),
                **{f"mom{s}": (("month", None), ("previous_month", None)) for s in ("_change", "_status", "_p", "_significant")},
                **{f"yoy{s}": (("month", None), ("month_last_year", None)) for s in ("_change", "_status", "_p", "_significant")},
            },
        ),
        "neighborhood_ranking": ReportTable(
            "neighborhood_ranking", ("小区月度排名（各派出所内）", "Neighborhood ranking within each station"), n_rank,
            (
                "各派出所辖区内的小区按本月小区内刑事案件数从少到多排名（竞赛排名，并列同名次）；千户发案率 = 案件数 / 户数 × 1000。",
                "Within each station, neighborhoods ranked by the month's criminal cases inside them, fewest "
                "first (competition ranking, ties share a rank); rate per 1,000 households = cases / households x 1,000.",
            ),
            level="neighborhood", unit_col="neighborhood_id", measure="criminal",
            columns={
                "rank": (("month", None),), "cases": (("month", None),),
                "rate_per_1k_households": (("month", None),), "rank_by_rate": (("month", None),),
                "two_robberies_one_theft": (("month", "two_robberies_one_theft"),),
                "previous_month": (("previous_month", None),), "month_last_year": (("month_last_year", None),),
            },
        ),
        "model_neighborhoods": ReportTable(
            "model_neighborhoods", ("示范小区达标情况", "Model neighborhoods"), models,
            (
                f"零发案：近12个月（{windows['last_12m'].span()}）小区内无两抢一盗；控发案：比前12个月"
                f"（{windows['previous_12m'].span()}）下降至少{share_pct}。已命名示范小区逐一核查是否达标，"
                f"未命名但达标的小区列为候选。",
                f"Zero-incident: no robbery/snatching/theft inside the neighborhood in the last 12 months "
                f"({windows['last_12m'].span()}); controlled: down by at least {share_pct} on the 12 months before "
                f"({windows['previous_12m'].span()}). Designated model neighborhoods are checked against the "
                f"criteria; undesignated ones that meet them are listed as candidates.",
            ),
            level="neighborhood", unit_col="neighborhood_id", measure="two_robberies_one_theft",
            columns={
                "last_12m": (("last_12m", None),), "previous_12m": (("previous_12m", None),),
                **{c: (("last_12m", None), ("previous_12m", None)) for c in ("change", "status", "meets", "assessment")},
            },
        ),
        "model_offices": ReportTable(
            "model_offices", ("社区警务室示范小区情况", "Model neighborhoods per community police office"), offices,
            (
                "每个社区警务室应至少建成一个零发案或控发案示范小区；未命名示范小区的警务室、示范小区未达标的警务室被标出。",
                "Every community police office should keep at least one zero-incident or controlled-incident "
                "model neighborhood; offices without a designated one, or whose designated ones miss the "
                "criteria, are flagged.",
            ),
            level="community", unit_col="community_id", measure="two_robberies_one_theft",
            columns={},
        ),
        "bulletins": ReportTable(
            "bulletins", ("每周警情通报", "Weekly incident bulletins"), bulletins,
            (
                f"通报周：{windows['week'].span()}（周一至周日，{tz}）；统计小区内刑事案件，以及小区边界{nearby_m:g}米内街面刑事案件。",
                f"Week {windows['week'].span()} (Monday to Sunday, {tz}); criminal cases inside the "
                f"neighborhood, and street criminal cases within {nearby_m:g} m of it.",
            ),
            level="neighborhood", unit_col="neighborhood_id", measure="criminal",
            columns={"inside": (("week", "neighborhood_criminal"),), "nearby": (("week", "street_criminal"),)},
            id_columns={"inside": "inside_ids", "nearby": "nearby_ids"},
        ),
    }
    settings = {
        "controlled_share": controlled_share,
        "alpha": alpha,
        "nearby_m": nearby_m,
        "rank_method": "competition (1224; pandas rank method='min'), fewest first",
        "main_road_source": src,
        "main_highways": inc.attrs.get("main_highways"),
        "data_start": start_d,
        "bulletin_categories": list(criminal_codes(table)),
        "added_categories": {c: list(v) for c, v in table.items() if c not in CATEGORIES},
        "significance_test": "two-sided exact conditional binomial test of two Poisson counts "
                             "(p = days_a / (days_a + days_b)), smaller tail doubled",
    }
    return Report(
        workspace=str(workspace_name or meta.get("name") or "workspace"),
        district=district,
        month=str(per),
        as_of=as_of_d,
        timezone=tz,
        windows=windows,
        # each measure lists every category it counts, the workspace's own among them
        measures={k: replace(m, categories=group_codes(table, m.groups)) if m.groups else m for k, m in MEASURES.items()},
        tables=tables,
        incidents=inc,
        settings=settings,
        notes=tuple(notes),
    )


def _with_geometry(frame: pd.DataFrame | None) -> pd.DataFrame | None:
    if frame is None or "geometry" not in frame.columns:
        return None
    return frame
