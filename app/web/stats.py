"""The dashboard's figures: the article's three year-over-year headline figures, the monthly station
ranking and the model-neighborhood status.

A small, pure stand-in for ``geo.reports`` (being written by a teammate) with the same definitions,
so the web app can show the figures today and switch to ``geo.reports`` when it lands:

* criminal cases (刑事案件): categories of :data:`geo.schema.CRIMINAL_GROUPS`;
* 两抢一盗: robbery, snatching and every theft category (the article's preventable cases);
* neighborhood 两抢一盗: those with ``place_kind == "neighborhood"``;
* main-road street 两抢一盗: ``place_kind == "street"`` on a main road: the incident's road edge has a
  main ``highway`` (the workspace's ``meta.main_highways`` or :data:`routing.graph.MAIN_HIGHWAYS`),
  else the incidents' own ``main_road`` column;
* windows are ``[start, end)`` in the workspace time zone; the report month defaults to the last
  full month of data; YTD is January 1 to the month's end; a baseline window starting before the
  first incident is "not covered" (no change given, not a zero);
* change = (current - baseline) / baseline; rankings are competition rankings ("1224"), fewest first.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from geo.errors import InputError
from geo.schema import CATEGORIES, CRIMINAL_GROUPS
from geo.workspace import Workspace

__all__ = [
    "HEADLINE",
    "MEASURES",
    "Period",
    "Prepared",
    "change",
    "headline",
    "model_status",
    "monthly_series",
    "prepare",
    "report_month",
    "station_ranking",
]

TROT = tuple(c for c, (_, _, g) in CATEGORIES.items() if g == "two_robberies_one_theft")
CRIMINAL = tuple(c for c, (_, _, g) in CATEGORIES.items() if g in CRIMINAL_GROUPS)


@dataclass(frozen=True)
class Measure:
    key: str
    zh: str
    en: str
    categories: tuple[str, ...]
    place_kind: str | None = None
    main_road: bool | None = None

    def label(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh

    def mask(self, inc: pd.DataFrame) -> np.ndarray:
        m = inc["category"].isin(self.categories).to_numpy(dtype=bool, copy=True)
        if self.place_kind is not None:
            m &= (inc["place_kind"] == self.place_kind).to_numpy(dtype=bool, na_value=False)
        if self.main_road is not None:
            m &= inc["main_road"].to_numpy(dtype=bool) == self.main_road
        return m


MEASURES: dict[str, Measure] = {
    m.key: m
    for m in (
        Measure("criminal", "刑事案件", "criminal cases", CRIMINAL),
        Measure("two_robberies_one_theft", "两抢一盗", "robbery, snatching and theft", TROT),
        Measure("neighborhood_two_robberies_one_theft", "小区两抢一盗（可防性案件）",
                "neighborhood robbery, snatching and theft (preventable cases)", TROT, "neighborhood"),
        Measure("main_road_two_robberies_one_theft", "街面主干道可防性案件（两抢一盗）",
                "main-road street preventable cases (robbery, snatching and theft)", TROT, "street",
                True),
    )
}
#: The article's three headline figures, in its order.
HEADLINE = ("criminal", "neighborhood_two_robberies_one_theft", "main_road_two_robberies_one_theft")
_MONTH_RE = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$")


@dataclass(frozen=True)
class Prepared:
    """Incidents ready to count: ``occurred_at`` (tz-aware), ``category``, ``place_kind``,
    ``main_road``, ``station_id``, ``neighborhood_id``; and the data's first and last day."""

    incidents: pd.DataFrame
    timezone: str
    first_day: dt.date | None
    last_day: dt.date | None


def _main_highways(ws: Workspace) -> set[str]:
    from routing.graph import MAIN_HIGHWAYS

    given = ws.meta_json("main_highways", None)
    return set(given) if isinstance(given, list) and given else set(MAIN_HIGHWAYS)


def prepare(ws: Workspace) -> Prepared:
    """Read and tidy the incidents of ``ws`` (empty frame when it has none)."""
    cols = ["occurred_at", "category", "place_kind", "main_road", "edge_id", "station_id",
            "neighborhood_id"]
    tz = ws.timezone
    if not ws.has("incidents"):
        empty = pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
        return Prepared(empty, tz, None, None)
    inc = pd.DataFrame(ws.read("incidents"))
    inc = inc.drop(columns=[c for c in inc.columns if c == "geometry"])
    for c in cols:
        if c not in inc.columns:
            inc[c] = None
    occ = pd.to_datetime(inc["occurred_at"])
    if occ.dt.tz is None:
        occ = occ.dt.tz_localize(tz)
    inc["occurred_at"] = occ.dt.tz_convert(tz)
    inc = inc[inc["occurred_at"].notna()].copy()
    inc["place_kind"] = inc["place_kind"].astype("string").fillna("")
    inc["category"] = inc["category"].astype("string").fillna("")
    main = _edge_main_road(ws, inc["edge_id"])
    if main is None:
        main = inc["main_road"].map(lambda v: bool(v) if v is not None and not pd.isna(v) else False)
    inc["main_road"] = np.asarray(main, dtype=bool)
    first = inc["occurred_at"].min().date() if len(inc) else None
    last = inc["occurred_at"].max().date() if len(inc) else None
    return Prepared(inc[cols].reset_index(drop=True), tz, first, last)


def _edge_main_road(ws: Workspace, edge_ids: pd.Series) -> np.ndarray | None:
    if not ws.has("road_edges") or edge_ids.isna().all():
        return None
    edges = ws.read("road_edges", columns=["edge_id", "highway"])
    main = _main_highways(ws)
    is_main = edges["highway"].map(
        lambda h: any(p in main for p in re.findall(r"[a-z_]+", str(h).lower())) if h is not None else False)
    lookup = pd.Series(is_main.to_numpy(dtype=bool), index=pd.to_numeric(edges["edge_id"]).to_numpy())
    ids = pd.to_numeric(edge_ids, errors="coerce")
    return ids.map(lookup).fillna(False).to_numpy(dtype=bool)


# -- windows ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Period:
    """``[start, end)`` as local dates (``end`` exclusive); ``covered`` when the data reach back."""

    start: dt.date
    end: dt.date
    covered: bool = True

    def as_dict(self) -> dict[str, Any]:
        return {"first_day": self.start.isoformat(),
                "last_day": (self.end - dt.timedelta(days=1)).isoformat(),
                "covered_by_data": self.covered}


def _month_start(d: dt.date) -> dt.date:
    return d.replace(day=1)


def _add_months(d: dt.date, n: int) -> dt.date:
    y, m = divmod(d.month - 1 + n, 12)
    return dt.date(d.year + y, m + 1, 1)


def _year_before(d: dt.date) -> dt.date:
    try:
        return d.replace(year=d.year - 1)
    except ValueError:  # 29 February
        return d.replace(year=d.year - 1, day=28)


def report_month(prep: Prepared, month: str | None = None) -> dt.date:
    """First day of the report month: ``month`` ("YYYY-MM"), else the last full month of data.

    Raises
    ------
    InputError
        On a malformed month, or one after the last day of data.
    """
    if prep.last_day is None:
        raise InputError("the workspace has no incidents; import them first (patrolnet import)")
    if month is None or not month.strip():
        nxt = prep.last_day + dt.timedelta(days=1)
        return _month_start(prep.last_day) if nxt.day == 1 else _add_months(_month_start(prep.last_day), -1)
    m = _MONTH_RE.match(month)
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise InputError(f"month {month!r}: write it as YYYY-MM, e.g. 2026-09")
    first = dt.date(int(m.group(1)), int(m.group(2)), 1)
    if first > prep.last_day:
        raise InputError(f"month {month} starts after the last day of data ({prep.last_day}); "
                         f"choose {prep.last_day:%Y-%m} or earlier")
    return first


def windows(prep: Prepared, first: dt.date) -> dict[str, Period]:
    """``month``, ``month_last_year``, ``previous_month``, ``ytd``, ``ytd_last_year``, ``last_12m``
    and ``previous_12m`` for the month starting ``first`` (cut at the last day of data)."""
    assert prep.last_day is not None
    end = min(_add_months(first, 1), prep.last_day + dt.timedelta(days=1))
    jan = first.replace(month=1)
    start_data = prep.first_day

    def p(s: dt.date, e: dt.date) -> Period:
        return Period(s, e, start_data is None or s >= start_data)

    days = end - first
    return {
        "month": p(first, end),
        "month_last_year": p(_year_before(first), _year_before(first) + days),
        "previous_month": p(_add_months(first, -1), _add_months(first, -1) + days),
        "ytd": p(jan, end),
        "ytd_last_year": p(_year_before(jan), _year_before(end)),
        "last_12m": p(_add_months(first, -11), end),
        "previous_12m": p(_add_months(first, -23), _add_months(first, -11)),
    }


def _in(prep: Prepared, period: Period) -> np.ndarray:
    occ = prep.incidents["occurred_at"]
    s = pd.Timestamp(period.start).tz_localize(prep.timezone)
    e = pd.Timestamp(period.end).tz_localize(prep.timezone)
    return ((occ >= s) & (occ < e)).to_numpy()


def change(current: int, baseline: int | None) -> dict[str, Any]:
    """``{"current", "baseline", "change", "status"}``; status is ``down``/``up``/``flat``, ``new``
    (zero baseline), ``both_zero`` or ``no_baseline`` (the data do not reach back)."""
    out: dict[str, Any] = {"current": int(current), "baseline": None if baseline is None else int(baseline),
                           "change": None}
    if baseline is None:
        out["status"] = "no_baseline"
    elif baseline == 0:
        out["status"] = "both_zero" if current == 0 else "new"
    else:
        out["change"] = round((current - baseline) / baseline, 4)
        out["status"] = "down" if current < baseline else "up" if current > baseline else "flat"
    return out


def _count(prep: Prepared, measure: Measure, period: Period) -> int | None:
    if not period.covered:
        return None
    return int((measure.mask(prep.incidents) & _in(prep, period)).sum())


def headline(prep: Prepared, month: str | None = None, *, lang: str = "zh-CN") -> dict[str, Any]:
    """The three headline figures for the month and January..month, each against a year before."""
    first = report_month(prep, month)
    w = windows(prep, first)
    figures = []
    for key in HEADLINE:
        m = MEASURES[key]
        figures.append({
            "key": key, "label": m.label(lang),
            "month": change(_count(prep, m, w["month"]) or 0, _count(prep, m, w["month_last_year"])),
            "ytd": change(_count(prep, m, w["ytd"]) or 0, _count(prep, m, w["ytd_last_year"])),
        })
    return {"month": f"{first:%Y-%m}", "as_of": prep.last_day.isoformat() if prep.last_day else None,
            "windows": {k: w[k].as_dict() for k in ("month", "month_last_year", "ytd", "ytd_last_year")},
            "figures": figures}


def _competition_rank(values: pd.Series) -> pd.Series:
    return values.rank(method="min", ascending=True).astype(int)


def station_ranking(prep: Prepared, stations: pd.DataFrame, communities: pd.DataFrame | None,
                    month: str | None = None, *, measure: str = "criminal",
                    lang: str = "zh-CN") -> dict[str, Any]:
    """Stations ranked by the month's count of ``measure`` (fewest first, ties share a rank)."""
    first = report_month(prep, month)
    w = windows(prep, first)
    m = MEASURES[measure]
    inc = prep.incidents
    sid = inc["station_id"].astype("string")
    ids = stations["station_id"].astype(str)

    def per_station(period: Period, meas: Measure = m) -> pd.Series | None:
        if not period.covered:
            return None
        sel = meas.mask(inc) & _in(prep, period)
        return sid[sel].value_counts().reindex(ids, fill_value=0).astype(int)

    cur = per_station(w["month"])
    assert cur is not None
    trot = per_station(w["month"], MEASURES["two_robberies_one_theft"])
    prev = per_station(w["previous_month"])
    last = per_station(w["month_last_year"])
    residents = pd.Series(np.nan, index=ids)
    if communities is not None and {"station_id", "residents"} <= set(communities.columns):
        res = pd.to_numeric(communities["residents"], errors="coerce")
        residents = res.groupby(communities["station_id"].astype(str).to_numpy()).sum(min_count=1).reindex(ids)
    name_en = stations["name_en"] if "name_en" in stations.columns else stations["name"]
    rows = []
    for i, s in enumerate(ids):
        r = float(residents.iloc[i]) if pd.notna(residents.iloc[i]) else None
        c = int(cur.iloc[i])
        rows.append({
            "station_id": s,
            "name": str(stations["name"].iloc[i]),
            "name_en": str(name_en.iloc[i]),
            "cases": c,
            "two_robberies_one_theft": int(trot.iloc[i]) if trot is not None else None,
            "residents": None if r is None else int(round(r)),
            "rate_per_10k": None if not r else round(c / r * 1e4, 3),
            "previous_month": None if prev is None else int(prev.iloc[i]),
            "month_last_year": None if last is None else int(last.iloc[i]),
            "yoy": change(c, None if last is None else int(last.iloc[i])),
        })
    ranks = _competition_rank(pd.Series([r["cases"] for r in rows], dtype=float)) if rows else []
    for r, k in zip(rows, ranks):
        r["rank"] = int(k)
    rows.sort(key=lambda r: (r["rank"], r["rate_per_10k"] if r["rate_per_10k"] is not None else 1e18,
                             r["station_id"]))
    return {"month": f"{first:%Y-%m}", "measure": measure, "measure_label": m.label(lang),
            "window": w["month"].as_dict(), "rows": rows}


def model_status(prep: Prepared, neighborhoods: pd.DataFrame, communities: pd.DataFrame | None,
                 month: str | None = None, *, controlled_share: float = 0.5) -> dict[str, Any]:
    """The designated model neighborhoods (示范小区): ``zero`` (no 两抢一盗 in the 12 months to the
    month's end), ``controlled`` (at least ``controlled_share`` fewer than the 12 months before),
    ``not_met`` or ``unknown`` (the data do not reach back); and community police offices with no
    designated model neighborhood."""
    first = report_month(prep, month)
    w = windows(prep, first)
    trot = MEASURES["two_robberies_one_theft"]
    inc = prep.incidents
    nid = inc["neighborhood_id"].astype("string")
    if "model_kind" in neighborhoods.columns:
        kinds = neighborhoods["model_kind"].astype("string").fillna("").str.strip()
    else:
        kinds = pd.Series("", index=neighborhoods.index, dtype="string")
    models = neighborhoods[(kinds != "").to_numpy()]
    last12 = trot.mask(inc) & _in(prep, w["last_12m"])
    prev12 = trot.mask(inc) & _in(prep, w["previous_12m"])
    cur = nid[last12].value_counts()
    before = nid[prev12].value_counts()
    rows = []
    for _, nb in models.iterrows():
        n = str(nb["neighborhood_id"])
        a = int(cur.get(n, 0))
        b = int(before.get(n, 0)) if w["previous_12m"].covered else None
        if a == 0:
            status = "zero"
        elif b is None:
            status = "unknown"
        elif b > 0 and a <= (1 - controlled_share) * b:
            status = "controlled"
        else:
            status = "not_met"
        rows.append({"neighborhood_id": n, "name": str(nb.get("name", n)),
                     "name_en": str(nb.get("name_en", nb.get("name", n))),
                     "model_kind": str(nb["model_kind"]), "community_id": _text(nb.get("community_id")),
                     "station_id": _text(nb.get("station_id")), "last_12m": a, "previous_12m": b,
                     "status": status})
    without: list[dict[str, Any]] = []
    if communities is not None and "community_id" in communities.columns:
        have = {r["community_id"] for r in rows}
        for _, c in communities.iterrows():
            if str(c["community_id"]) not in have:
                without.append({"community_id": str(c["community_id"]), "name": str(c.get("name", "")),
                                "office_name": _text(c.get("office_name")),
                                "station_id": _text(c.get("station_id"))})
    counts = {s: sum(r["status"] == s for r in rows) for s in ("zero", "controlled", "not_met", "unknown")}
    return {"month": f"{first:%Y-%m}", "window": w["last_12m"].as_dict(), "models": rows,
            "counts": counts, "offices_without_model": without}


def monthly_series(prep: Prepared, month: str | None = None, *, measure: str = "criminal",
                   months: int = 12) -> dict[str, Any]:
    """Counts of ``measure`` per month for the ``months`` months to the report month, beside the
    same months a year before (``None`` where the data do not reach back)."""
    first = report_month(prep, month)
    m = MEASURES[measure]
    mask = m.mask(prep.incidents)
    out = []
    for k in range(months - 1, -1, -1):
        s = _add_months(first, -k)
        e = min(_add_months(s, 1), prep.last_day + dt.timedelta(days=1)) if prep.last_day else _add_months(s, 1)
        cur = Period(s, e, prep.first_day is None or s >= prep.first_day)
        ly = Period(_year_before(s), _year_before(s) + (e - s),
                    prep.first_day is None or _year_before(s) >= prep.first_day)
        out.append({"month": f"{s:%Y-%m}",
                    "count": int((mask & _in(prep, cur)).sum()) if cur.covered else None,
                    "last_year": int((mask & _in(prep, ly)).sum()) if ly.covered else None})
    return {"measure": measure, "months": out}


def _text(v: Any) -> str | None:
    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
        return None
    return str(v)


def layers_for_stats(ws: Workspace) -> Mapping[str, pd.DataFrame | None]:
    """The tables the figures need (stations, communities, neighborhoods), ``None`` when missing."""
    def read(name: str) -> pd.DataFrame | None:
        if not ws.has(name):
            return None
        frame = ws.read(name)
        return pd.DataFrame(frame.drop(columns="geometry", errors="ignore"))
    return {n: read(n) for n in ("stations", "communities", "neighborhoods")}
