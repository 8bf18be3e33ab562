"""The method's reports: year over year, month over month, rankings, model neighborhoods, bulletins.

Everything here is pure: plain tables in, plain tables out, inputs never modified. The one entry
point that reads a workspace, :func:`build_report`, reads the layers it needs and hands them on.

Figures and their definitions
-----------------------------
A figure is a count of incidents chosen by a *measure* (:class:`Measure`: categories, place kind,
main road or not) in a *window* (:class:`Window`: ``[start, end)`` in the workspace time zone) for a
*unit* (the district, a station, a community or a neighborhood; see :data:`LEVELS`). Every table of
a :class:`Report` keeps that definition (:class:`ReportTable`), and :func:`cell_incidents` /
:func:`cell_incident_ids` return the incidents behind any cell, so each number can be checked by
hand.

Measures (:data:`MEASURES`)
    criminal cases (刑事案件) are the categories of :data:`geo.schema.CRIMINAL_GROUPS`;
    两抢一盗 is robbery, snatching and every theft category; "preventable cases" (可防性案件) of the
    article are counted as 两抢一盗. Street vs neighborhood is the incident's ``place_kind``. A street
    incident is on a *main road* (街面主干道) when its ``edge_id`` is a road edge whose ``highway``
    is one of :data:`geo.schema.MAIN_HIGHWAYS` (or the workspace's ``meta.main_highways``); without
    road edges the incidents' own ``main_road`` column is used (the demo writes one).

The article's three headline figures (:data:`HEADLINE_MEASURES`): district criminal cases,
neighborhood 两抢一盗 and main-road street 两抢一盗, each for the month and year to date (January to
the month) against the same period a year before (the article's "1月-9月 同比").

Changes
    ``change = (current - baseline) / baseline``. A zero baseline gives status ``new`` (新增) instead of
    an infinite change; both zero give ``both_zero``; a baseline window before the first day of
    data gives ``no_baseline`` and an empty baseline count. Small numbers: each change carries the
    p-value of the exact conditional test for two Poisson counts (given ``n = a + b``, ``a`` is
    binomial with ``p = days_a / (days_a + days_b)`` when the rates are equal; two-sided, the smaller
    tail doubled, capped at 1), so "3 -> 1 (-66.7 %)" is shown as not significant.

Rankings
    Competition ranking ("1224", :meth:`pandas.Series.rank` ``method="min"``): ties share the best
    rank and the next rank skips; fewest cases rank first, so zero counts rank first.

Model neighborhoods (示范小区)
    ``zero``: no 两抢一盗 in the neighborhood in the last 12 months (to the end of the report month);
    ``controlled``: at least ``controlled_share`` (default 50 %) fewer than in the 12 months before;
    else ``not_met`` (``unknown`` when the previous 12 months are not covered by the data).

Weekly bulletins (每周警情通报)
    Monday to Sunday in the workspace time zone; by default the last full week ending on or before
    ``as_of`` (the last day of data). Each neighborhood's bulletin lists the criminal cases inside
    it and on the streets within ``nearby_m`` of it, with day, time band and place (nearest building
    of the compound, else the part of the compound; the road name for street cases), and prevention
    tips for the categories that occurred.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import shapely
from scipy.stats import binom

from geo.errors import InputError
from geo.schema import CATEGORIES, CRIMINAL_GROUPS, DEFAULT_TIMEZONE, PLACE_KINDS

__all__ = [
    "LEVELS",
    "MEASURES",
    "HEADLINE_MEASURES",
    "NEIGHBORHOOD_MEASURES",
    "TWO_ROBBERIES_ONE_THEFT",
    "CRIMINAL",
    "RANK_METHOD",
    "TIPS",
    "Measure",
    "Window",
    "ReportTable",
    "Report",
    "parse_month",
    "parse_week",
    "default_week",
    "report_windows",
    "prepare_incidents",
    "count_matrix",
    "compare_changes",
    "comparison_table",
    "station_ranking",
    "neighborhood_ranking",
    "model_tracker",
    "weekly_bulletins",
    "build_report",
    "cell_incidents",
    "cell_incident_ids",
]

#: Report levels, largest first, and the incident column that places an incident in each.
LEVELS: tuple[str, ...] = ("district", "station", "community", "neighborhood")
LEVEL_COLUMN: dict[str, str | None] = {
    "district": None,
    "station": "station_id",
    "community": "community_id",
    "neighborhood": "neighborhood_id",
}
#: The 两抢一盗 categories (robbery, snatching and every theft).
TWO_ROBBERIES_ONE_THEFT: tuple[str, ...] = tuple(
    c for c, (_, _, g) in CATEGORIES.items() if g == "two_robberies_one_theft"
)
#: Criminal-case categories (刑事案件).
CRIMINAL: tuple[str, ...] = tuple(c for c, (_, _, g) in CATEGORIES.items() if g in CRIMINAL_GROUPS)
_PUBLIC_ORDER: tuple[str, ...] = tuple(c for c, (_, _, g) in CATEGORIES.items() if g == "public_order")
#: Ranking method: competition ranking ("1224"), as :meth:`pandas.Series.rank` ``method="min"``.
RANK_METHOD = "min"


@dataclass(frozen=True)
class Measure:
    """What a figure counts: categories, optionally one place kind and main road or not.

    Parameters
    ----------
    key
        Stable identifier.
    zh, en
        Labels.
    categories
        Category codes counted.
    place_kind
        ``"street"`` or ``"neighborhood"`` to count only that place kind; ``None`` for both.
    main_road
        ``True``: only street incidents on main roads; ``None``: no condition.
    """

    key: str
    zh: str
    en: str
    categories: tuple[str, ...]
    place_kind: str | None = None
    main_road: bool | None = None

    def label(self, lang: str = "zh-CN") -> str:
        return self.en if lang == "en" else self.zh

    def mask(self, incidents: pd.DataFrame) -> pd.Series:
        """Rows of prepared incidents (:func:`prepare_incidents`) this measure counts."""
        m = incidents["category"].isin(self.categories)
        if self.place_kind is not None:
            m &= incidents["place_kind"] == self.place_kind
        if self.main_road is not None:
            m &= incidents["main_road"] == self.main_road
        return m.fillna(False).astype(bool)

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label_zh": self.zh,
            "label_en": self.en,
            "categories": list(self.categories),
            "place_kind": self.place_kind,
            "main_road": self.main_road,
        }


_TROT = TWO_ROBBERIES_ONE_THEFT
#: Every measure a report counts.
MEASURES: dict[str, Measure] = {
    m.key: m
    for m in (
        Measure("criminal", "刑事案件", "criminal cases", CRIMINAL),
        Measure("two_robberies_one_theft", "两抢一盗", "robbery, snatching and theft", _TROT),
        Measure("public_order", "治安案件", "public-order cases", _PUBLIC_ORDER),
        Measure("street_criminal", "街面刑事案件", "street criminal cases", CRIMINAL, "street"),
        Measure(
            "neighborhood_criminal", "小区刑事案件", "neighborhood criminal cases", CRIMINAL, "neighborhood"
        ),
        Measure(
            "street_two_robberies_one_theft", "街面两抢一盗", "street robbery, snatching and theft",
            _TROT, "street",
        ),
        Measure(
            "neighborhood_two_robberies_one_theft", "小区两抢一盗（可防性案件）",
            "neighborhood robbery, snatching and theft (preventable cases)", _TROT, "neighborhood",
        ),
        Measure(
            "main_road_two_robberies_one_theft", "街面主干道可防性案件（两抢一盗）",
            "main-road street preventable cases (robbery, snatching and theft)", _TROT, "street", True,
        ),
    )
}
#: The article's three headline figures, in its order.
HEADLINE_MEASURES: tuple[str, ...] = (
    "criminal",
    "neighborhood_two_robberies_one_theft",
    "main_road_two_robberies_one_theft",
)
#: Measures reported per neighborhood (street measures are zero there by definition).
NEIGHBORHOOD_MEASURES: tuple[str, ...] = ("criminal", "two_robberies_one_theft", "public_order")
#: Comparisons: name -> (current window, baseline window).
COMPARISONS: dict[str, tuple[str, str]] = {
    "yoy": ("month", "month_last_year"),
    "mom": ("month", "previous_month"),
    "ytd_yoy": ("ytd", "ytd_last_year"),
}
#: Count columns of the comparison tables, in order (each is the window of the same key).
_COUNT_WINDOWS: tuple[str, ...] = ("month", "month_last_year", "previous_month", "ytd", "ytd_last_year")


# -- windows ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Window:
    """A time window ``[start, end)`` (tz-aware); ``covered`` is False when it starts before the data.

    Parameters
    ----------
    key
        Stable identifier (``month``, ``month_last_year``, ``previous_month``, ``ytd``,
        ``ytd_last_year``, ``last_12m``, ``previous_12m``, ``week``).
    start, end
        Bounds; ``end`` is exclusive.
    covered
        Whether the data cover the whole window (a baseline before the first day of data is not
        a zero).
    """

    key: str
    start: pd.Timestamp
    end: pd.Timestamp
    covered: bool = True

    @property
    def days(self) -> float:
        return (self.end - self.start) / pd.Timedelta(days=1)

    @property
    def last_day(self) -> dt.date:
        return (self.end - pd.Timedelta(microseconds=1)).date()

    def mask(self, occurred_at: pd.Series) -> pd.Series:
        return (occurred_at >= self.start) & (occurred_at < self.end)

    def span(self) -> str:
        """``2026-09-01..2026-09-30`` (both days inclusive)."""
        return f"{self.start.date().isoformat()}..{self.last_day.isoformat()}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "start": self.start.isoformat(),
            "end_exclusive": self.end.isoformat(),
            "first_day": self.start.date().isoformat(),
            "last_day": self.last_day.isoformat(),
            "days": self.days,
            "covered_by_data": self.covered,
        }


_MONTH_RE = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$")


def parse_month(month: str | dt.date | pd.Period) -> pd.Period:
    """``"2026-09"`` (or a date in the month, or a monthly period) -> ``Period('2026-09', 'M')``.

    Raises
    ------
    InputError
        When the text is not ``YYYY-MM``.
    """
    if isinstance(month, pd.Period):
        return month.asfreq("M")
    if isinstance(month, dt.date):
        return pd.Period(year=month.year, month=month.month, freq="M")
    m = _MONTH_RE.match(str(month))
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise InputError(f"month={month!r} is not a month; give it as YYYY-MM, for example 2026-09")
    return pd.Period(year=int(m.group(1)), month=int(m.group(2)), freq="M")


def _to_date(value: str | dt.date | pd.Timestamp, what: str) -> dt.date:
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise InputError(f"{what}={value!r} is not a date; give it as YYYY-MM-DD, for example 2026-10-19") from None


def parse_week(week: str | dt.date) -> dt.date:
    """The Monday of the week holding ``week``: a date (``2026-10-21``) or an ISO week (``2026-W43``).

    Raises
    ------
    InputError
        When the text is neither.
    """
    if isinstance(week, str):
        m = re.match(r"^\s*(\d{4})-?W(\d{1,2})\s*$", week, re.IGNORECASE)
        if m:
            try:
                return dt.date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1)
            except ValueError:
                raise InputError(f"week={week!r}: no such ISO week; use YYYY-Www, e.g. 2026-W43") from None
    day = _to_date(week, "week")
    return day - dt.timedelta(days=day.weekday())


def default_week(as_of: dt.date) -> dt.date:
    """Monday of the last full Monday..Sunday week ending on or before ``as_of``."""
    last_sunday = as_of - dt.timedelta(days=(as_of.weekday() + 1) % 7)
    return last_sunday - dt.timedelta(days=6)


def report_windows(
    month: str | dt.date | pd.Period,
    *,
    as_of: dt.date,
    timezone: str = DEFAULT_TIMEZONE,
    data_start: dt.date | None = None,
    week: str | dt.date | None = None,
) -> dict[str, Window]:
    """The windows of a monthly report.

    ``month`` and ``month_last_year``, ``previous_month``, ``ytd`` (January 1 to the month's end) and
    ``ytd_last_year``, ``last_12m`` (the 12 months to the month's end) and ``previous_12m``, and
    ``week``. When the month is not over at ``as_of`` every window is cut to the same number of days
    (month to date against the same days a year and a month before).

    Parameters
    ----------
    month
        The report month.
    as_of
        Last day of data (inclusive).
    timezone
        Workspace time zone; days run midnight to midnight there.
    data_start
        First day of data; windows starting before it are marked not covered.
    week
        Any day of the bulletin week (or ISO week text); default :func:`default_week` of ``as_of``.

    Raises
    ------
    InputError
        When the month starts after ``as_of``.
    """
    per = parse_month(month)
    tz = timezone

    def ts(d: dt.date | pd.Timestamp) -> pd.Timestamp:
        return pd.Timestamp(d).tz_localize(tz) if pd.Timestamp(d).tzinfo is None else pd.Timestamp(d)

    start = ts(per.start_time.date())
    month_end = ts((per + 1).start_time.date())
    data_end = ts(as_of + dt.timedelta(days=1))
    if start >= data_end:
        raise InputError(
            f"month {per} starts after the last day of data ({as_of}); choose a month up to "
            f"{as_of.strftime('%Y-%m')} or give a later as_of"
        )
    end = min(month_end, data_end)
    year = pd.DateOffset(years=1)
    mon = pd.DateOffset(months=1)

    def w(key: str, s: pd.Timestamp, e: pd.Timestamp) -> Window:
        # naive wall-clock bounds, localised once (calendar arithmetic stays on local days)
        s, e = s.tz_localize(tz), e.tz_localize(tz)
        return Window(key, s, e, data_start is None or s.date() >= data_start)

    naive_start, naive_end = start.tz_localize(None), end.tz_localize(None)
    jan = naive_start.replace(month=1)
    out = {
        "month": w("month", naive_start, naive_end),
        "month_last_year": w("month_last_year", naive_start - year, naive_end - year),
        "previous_month": w(
            "previous_month",
            naive_start - mon,
            naive_start if end == month_end else naive_end - mon,
        ),
        "ytd": w("ytd", jan, naive_end),
        "ytd_last_year": w("ytd_last_year", jan - year, naive_end - year),
        "last_12m": w("last_12m", naive_start - pd.DateOffset(months=11), naive_end),
        "previous_12m": w("previous_12m", naive_start - pd.DateOffset(months=23), naive_end - year),
    }
    monday = parse_week(week) if week is not None else default_week(as_of)
    wk = w("week", pd.Timestamp(monday), pd.Timestamp(monday + dt.timedelta(days=7)))
    if wk.end > data_end:
        raise InputError(
            f"week {monday}..{monday + dt.timedelta(days=6)} ends after the last day of data "
            f"({as_of}); choose an earlier week (default: the last full week, {default_week(as_of)})"
        )
    out["week"] = wk
    return out


# -- incidents ----------------------------------------------------------------------------------------
def _ids(values: pd.Series) -> np.ndarray:
    """Id or name text as an object array, ``None`` where missing or blank."""
    text = values.astype("string").str.strip()
    keep = (text.notna() & (text != "")).to_numpy(dtype=bool, na_value=False)
    return np.where(keep, text.to_numpy(dtype=object, na_value=None), None)


def prepare_incidents(
    incidents: pd.DataFrame,
    *,
    timezone: str = DEFAULT_TIMEZONE,
    road_edges: pd.DataFrame | None = None,
    main_highways: Iterable[str] | None = None,
) -> pd.DataFrame:
    """The incident columns the reports use, checked, as a new plain table.

    Parameters
    ----------
    incidents
        The ``incidents`` layer (needs incident_id, occurred_at, category, place_kind; uses
        station_id, community_id, neighborhood_id, edge_id, main_road and the point geometry when
        present). Naive times are read in ``timezone``.
    timezone
        Workspace time zone.
    road_edges
        The ``road_edges`` layer (edge_id, highway, name), to tell main-road street incidents and
        name their road. Without it the incidents' ``main_road`` column is used.
    main_highways
        Highway values counted as main roads; default :data:`geo.schema.MAIN_HIGHWAYS`.

    Returns
    -------
    pandas.DataFrame
        incident_id, occurred_at (tz-aware, in ``timezone``), category, group, place_kind,
        station_id, community_id, neighborhood_id, edge_id, main_road (bool), road_name, x, y
        (working CRS; NaN without geometry). ``attrs["main_road_source"]`` says where main_road came
        from.

    Raises
    ------
    InputError
        Missing columns, unknown category codes or place kinds, unreadable times.
    """
    missing = [c for c in ("incident_id", "occurred_at", "category", "place_kind") if c not in incidents.columns]
    if missing:
        raise InputError(
            f"incidents: missing column(s) {', '.join(missing)}; import incidents with these columns "
            f"(see docs/data-model.md)"
        )
    cat = incidents["category"].astype("string")
    unknown = sorted(set(cat.dropna().unique()) - set(CATEGORIES))
    if unknown or cat.isna().any():
        shown = ", ".join(repr(u) for u in unknown[:10]) or "empty"
        raise InputError(
            f"incidents: unknown category code(s) {shown}; use one of {', '.join(CATEGORIES)} "
            f"(map them when importing)"
        )
    pk = incidents["place_kind"].astype("string")
    bad_pk = sorted(set(pk.dropna().unique()) - set(PLACE_KINDS))
    if bad_pk or pk.isna().any():
        raise InputError(
            f"incidents: place_kind value(s) {', '.join(repr(b) for b in bad_pk) or 'empty'}; "
            f"use 'street' or 'neighborhood'"
        )
    raw = incidents["occurred_at"]
    try:
        if pd.api.types.is_datetime64_any_dtype(raw):
            occ = raw
        else:
            text = raw.astype("string")
            aware = text.str.contains(r"(?:Z|[+-]\d\d:?\d\d)\s*$", regex=True, na=False).any()
            occ = pd.to_datetime(text, format="ISO8601", utc=bool(aware))
    except (ValueError, TypeError) as exc:
        raise InputError(
            f"incidents: occurred_at cannot be read as times ({exc}); use ISO 8601 with an offset, "
            f"e.g. 2025-03-01T20:15:00+08:00"
        ) from None
    if occ.isna().any():
        first = incidents.loc[occ.isna(), "incident_id"].iloc[0]
        raise InputError(f"incidents: empty occurred_at in {int(occ.isna().sum())} row(s), first {first!r}; fill or drop them")
    occ = occ.dt.tz_localize(timezone) if occ.dt.tz is None else occ.dt.tz_convert(timezone)
    n = len(incidents)
    idx = incidents.index
    out = pd.DataFrame(
        {
            "incident_id": incidents["incident_id"].astype(str).to_numpy(),
            "occurred_at": occ.reset_index(drop=True),
            "category": cat.astype(str).to_numpy(),
            "place_kind": pk.astype(str).to_numpy(),
        },
        index=pd.RangeIndex(n),
    )
    out["group"] = out["category"].map({c: g for c, (_, _, g) in CATEGORIES.items()})
    for col in ("station_id", "community_id", "neighborhood_id"):
        out[col] = _ids(incidents[col]) if col in incidents.columns else None
    street = out["place_kind"].to_numpy() == "street"
    if "edge_id" in incidents.columns:
        eid = pd.to_numeric(incidents["edge_id"], errors="coerce").astype("Int64")
    else:
        eid = pd.Series(pd.array([pd.NA] * n, dtype="Int64"), index=idx)
    out["edge_id"] = eid.to_numpy()
    road_name = pd.Series([None] * n, dtype=object)
    if road_edges is not None and {"edge_id", "highway"} <= set(road_edges.columns):
        if main_highways is None:
            from geo.schema import MAIN_HIGHWAYS

            main_highways = MAIN_HIGHWAYS
        edges = pd.DataFrame(road_edges).drop_duplicates("edge_id")
        eidx = pd.to_numeric(edges["edge_id"], errors="coerce").astype("Int64")
        first = edges["highway"].astype("string").str.split(";").str[0].str.strip()
        is_main = pd.Series(first.isin(list(main_highways)).fillna(False).to_numpy(), index=eidx.to_numpy())
        main = pd.Series(eid.to_numpy()).map(is_main).fillna(False).astype(bool).to_numpy()
        source = "road_edges.highway"
        if "name" in edges.columns:
            names = pd.Series(_ids(edges["name"]), index=eidx.to_numpy())
            road_name = pd.Series(eid.to_numpy()).map(names).astype(object)
            road_name = road_name.where(road_name.notna(), None)
    elif "main_road" in incidents.columns:
        main = incidents["main_road"].astype("boolean").fillna(False).astype(bool).to_numpy()
        source = "incidents.main_road"
    else:
        main = np.zeros(n, dtype=bool)
        source = "none"
    out["main_road"] = main & street
    out["road_name"] = np.where(street, road_name.to_numpy(), None)
    if "geometry" in incidents.columns:
        arr = shapely.centroid(np.asarray(incidents["geometry"].to_numpy(), dtype=object))
        out["x"], out["y"] = shapely.get_x(arr), shapely.get_y(arr)
    else:
        out["x"], out["y"] = np.nan, np.nan
    out.attrs["main_road_source"] = source
    out.attrs["main_highways"] = list(main_highways) if main_highways is not None else None
    return out


# -- counting --------------------------------------------------------------------------------------
def count_matrix(
    incidents: pd.DataFrame,
    *,
    level: str,
    measures: Mapping[str, Measure] | Sequence[Measure],
    windows: Mapping[str, Window] | Sequence[Window],
    units: Sequence[str] | pd.Index | None = None,
) -> pd.DataFrame:
    """Counts per unit of ``level`` for every (measure, window): one groupby over indicator columns.

    Parameters
    ----------
    incidents
        Prepared incidents (:func:`prepare_incidents`).
    level
        One of :data:`LEVELS`.
    measures, windows
        What to count and when.
    units
        Unit ids to report (missing ones get zeros; others are dropped); default the ids present.

    Returns
    -------
    pandas.DataFrame
        Index: unit id (``"district"`` for the district); columns: MultiIndex (measure, window).
    """
    if level not in LEVELS:
        raise InputError(f"level={level!r}: use one of {', '.join(LEVELS)}")
    ms = list(measures.values()) if isinstance(measures, Mapping) else list(measures)
    ws = list(windows.values()) if isinstance(windows, Mapping) else list(windows)
    occ = incidents["occurred_at"]
    mm = {m.key: m.mask(incidents).to_numpy() for m in ms}
    wm = {w.key: w.mask(occ).to_numpy() for w in ws}
    cols = pd.MultiIndex.from_tuples([(m.key, w.key) for m in ms for w in ws], names=["measure", "window"])
    if len(cols) == 0:
        return pd.DataFrame(index=pd.Index(list(units) if units is not None else [], name="unit_id"), columns=cols)
    ind = np.column_stack([mm[m] & wm[w] for m, w in cols]) if len(incidents) else np.zeros((0, len(cols)), bool)
    frame = pd.DataFrame(ind.astype(np.int64), columns=cols)
    col = LEVEL_COLUMN[level]
    key = np.full(len(incidents), "district", dtype=object) if col is None else incidents[col].to_numpy()
    counts = frame.groupby(key, dropna=True).sum()
    counts.index = counts.index.astype(object)
    counts.index.name = "unit_id"
    if units is not None:
        counts = counts.reindex(pd.Index(list(units), name="unit_id"), fill_value=0)
    return counts.astype(np.int64)


def compare_changes(
    current: Sequence[float] | np.ndarray | pd.Series,
    baseline: Sequence[float] | np.ndarray | pd.Series,
    *,
    current_days: float = 1.0,
    baseline_days: float = 1.0,
    baseline_covered: bool = True,
) -> pd.DataFrame:
    """Change of counts against a baseline, honest about zeros and small numbers.

    Parameters
    ----------
    current, baseline
        Counts (same length).
    current_days, baseline_days
        Window lengths (the test's null hypothesis is equal rates per day).
    baseline_covered
        False when the data do not cover the baseline window (status ``no_baseline``).

    Returns
    -------
    pandas.DataFrame
        ``change`` (fraction, NaN unless status is ``change``), ``status`` (``change`` | ``new`` |
        ``both_zero`` | ``no_baseline``), ``p_value`` (two-sided exact conditional binomial test;
        NaN for ``no_baseline``).

    Examples
    --------
    >>> compare_changes([0, 3, 5], [0, 0, 10])["status"].tolist()
    ['both_zero', 'new', 'change']
    """
    cur = np.asarray(current, dtype=float)
    base = np.asarray(baseline, dtype=float)
    if cur.shape != base.shape:
        raise InputError(f"current and baseline differ in length ({cur.size} vs {base.size})")
    status = np.select(
        [np.full(cur.shape, not baseline_covered), (base == 0) & (cur == 0), base == 0],
        ["no_baseline", "both_zero", "new"],
        "change",
    ).astype(object)
    with np.errstate(divide="ignore", invalid="ignore"):
        change = np.where(status == "change", (cur - base) / np.where(base == 0, 1.0, base), np.nan)
    n = cur + base
    p = current_days / (current_days + baseline_days)
    lo = binom.cdf(cur, n, p)
    hi = binom.sf(cur - 1, n, p)
    pval = np.minimum(1.0, 2.0 * np.minimum(lo, hi))
    pval = np.where(status == "no_baseline", np.nan, pval)
    return pd.DataFrame({"change": change, "status": status, "p_value": pval})


# -- units -----------------------------------------------------------------------------------------
def _name_en(frame: pd.DataFrame) -> pd.Series:
    if "name_en" in frame.columns:
        en = frame["name_en"].astype(object)
        return en.where(en.notna() & (en.astype(str).str.strip() != ""), frame["name"].astype(object))
    return frame["name"].astype(object)


def _units(
    level: str,
    *,
    district: str,
    stations: pd.DataFrame,
    communities: pd.DataFrame,
    neighborhoods: pd.DataFrame,
) -> pd.DataFrame:
    """unit_id, name, name_en, station_id, community_id for one level."""
    if level == "district":
        return pd.DataFrame(
            {"unit_id": ["district"], "name": [district], "name_en": [district],
             "station_id": [None], "community_id": [None]}
        )
    src = {"station": stations, "community": communities, "neighborhood": neighborhoods}[level]
    idcol = LEVEL_COLUMN[level]
    out = pd.DataFrame(
        {
            "unit_id": src[idcol].astype(str).to_numpy(),
            "name": src["name"].astype(str).to_numpy(),
            "name_en": _name_en(src).astype(str).to_numpy(),
            "station_id": src["station_id"].astype(str).to_numpy(),
            "community_id": src["community_id"].astype(str).to_numpy() if level != "station" else None,
        }
    )
    return out.sort_values("unit_id", kind="stable").reset_index(drop=True)


def _attach_changes(frame: pd.DataFrame, windows: Mapping[str, Window], *, alpha: float,
                    comparisons: Mapping[str, tuple[str, str]] = COMPARISONS) -> pd.DataFrame:
    for name, (a, b) in comparisons.items():
        wa, wb = windows[a], windows[b]
        ch = compare_changes(
            frame[a].astype(float).to_numpy(), frame[b].astype(float).fillna(0).to_numpy(),
            current_days=wa.days, baseline_days=wb.days, baseline_covered=wb.covered,
        )
        frame[f"{name}_change"] = ch["change"].to_numpy()
        frame[f"{name}_status"] = ch["status"].to_numpy()
        frame[f"{name}_p"] = ch["p_value"].to_numpy()
        frame[f"{name}_significant"] = (ch["p_value"] < alpha).to_numpy()
    return frame


def _counts_column(values: np.ndarray | pd.Series, covered: bool) -> pd.Series:
    s = pd.Series(np.asarray(values), dtype="Int64")
    return s if covered else pd.Series(pd.array([pd.NA] * len(s), dtype="Int64"))


def comparison_table(
    incidents: pd.DataFrame,
    *,
    windows: Mapping[str, Window],
    district: str,
    stations: pd.DataFrame,
    communities: pd.DataFrame,
    neighborhoods: pd.DataFrame,
    levels: Sequence[str] = LEVELS,
    measures: Mapping[str, Measure] = MEASURES,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Year over year (同比), month over month (环比) and year to date, for every unit and measure.

    Returns
    -------
    pandas.DataFrame
        One row per (level, unit, measure): level, unit_id, name, name_en, station_id,
        community_id, measure, the counts month, month_last_year, previous_month, ytd,
        ytd_last_year (empty when the data do not cover the window) and for each comparison
        (yoy, mom, ytd_yoy) ``*_change``, ``*_status``, ``*_p``, ``*_significant``.
    """
    wins = {k: windows[k] for k in _COUNT_WINDOWS}
    parts = []
    for level in levels:
        units = _units(level, district=district, stations=stations, communities=communities,
                       neighborhoods=neighborhoods)
        lm = {k: m for k, m in measures.items() if level != "neighborhood" or k in NEIGHBORHOOD_MEASURES}
        cm = count_matrix(incidents, level=level, measures=lm, windows=wins, units=units["unit_id"])
        for key in lm:
            part = units.copy()
            part.insert(0, "level", level)
            part["measure"] = key
            for wk, w in wins.items():
                part[wk] = _counts_column(cm[(key, wk)].to_numpy(), w.covered)
            parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    return _attach_changes(out, windows, alpha=alpha)


def _whole(values: pd.Series) -> pd.Series:
    """Numbers rounded to nullable integers (missing stays missing)."""
    num = pd.to_numeric(pd.Series(values), errors="coerce").astype("Float64")
    return num.round().astype("Int64").reset_index(drop=True)


def _model_kind(neighborhoods: pd.DataFrame) -> pd.Series:
    """The ``model_kind`` text of each neighborhood, ``""`` when not designated."""
    if "model_kind" not in neighborhoods.columns:
        return pd.Series("", index=neighborhoods.index, dtype=object)
    return neighborhoods["model_kind"].astype("string").fillna("").str.strip().astype(object)


def _rank(values: pd.Series, by: pd.Series | None = None) -> pd.Series:
    if by is None:
        r = values.rank(method=RANK_METHOD, ascending=True, na_option="keep")
    else:
        r = values.groupby(by.to_numpy()).rank(method=RANK_METHOD, ascending=True, na_option="keep")
    return r.astype("Int64")


def _residents_by_station(communities: pd.DataFrame) -> pd.Series:
    if "residents" not in communities.columns:
        return pd.Series(dtype=float)
    res = pd.to_numeric(communities["residents"], errors="coerce")
    return res.groupby(communities["station_id"].astype(str).to_numpy()).sum(min_count=1)


def station_ranking(
    incidents: pd.DataFrame,
    *,
    windows: Mapping[str, Window],
    stations: pd.DataFrame,
    communities: pd.DataFrame,
    measure: str = "criminal",
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Monthly ranking of stations (月度排名) by the month's count of ``measure`` (fewest first).

    Ties share a rank (competition ranking, :data:`RANK_METHOD`); zero counts rank first.

    Returns
    -------
    pandas.DataFrame
        rank, station_id, name, name_en, cases, residents, rate_per_10k (cases per 10,000
        residents, from ``communities.residents``), rank_by_rate, two_robberies_one_theft,
        previous_month, mom_change/status/p/significant, month_last_year,
        yoy_change/status/p/significant; sorted by rank.
    """
    if measure not in MEASURES:
        raise InputError(f"measure={measure!r}: use one of {', '.join(MEASURES)}")
    units = stations["station_id"].astype(str)
    wins = {k: windows[k] for k in ("month", "previous_month", "month_last_year")}
    ms = {measure: MEASURES[measure], "two_robberies_one_theft": MEASURES["two_robberies_one_theft"]}
    cm = count_matrix(incidents, level="station", measures=ms, windows=wins, units=units)
    out = pd.DataFrame(
        {
            "station_id": units.to_numpy(),
            "name": stations["name"].astype(str).to_numpy(),
            "name_en": _name_en(stations).astype(str).to_numpy(),
            "cases": cm[(measure, "month")].to_numpy(),
        }
    )
    res = _residents_by_station(communities)
    out["residents"] = _whole(out["station_id"].map(res))
    resid = out["residents"].astype(float).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        out["rate_per_10k"] = np.where(resid > 0, out["cases"] / resid * 1e4, np.nan)
    out["two_robberies_one_theft"] = cm[("two_robberies_one_theft", "month")].to_numpy()
    out["month"] = out["cases"]
    out["previous_month"] = _counts_column(cm[(measure, "previous_month")].to_numpy(), wins["previous_month"].covered)
    out["month_last_year"] = _counts_column(cm[(measure, "month_last_year")].to_numpy(), wins["month_last_year"].covered)
    out = _attach_changes(out, windows, alpha=alpha, comparisons={k: COMPARISONS[k] for k in ("mom", "yoy")})
    out = out.drop(columns="month")
    out.insert(0, "rank", _rank(out["cases"]))
    out.insert(7, "rank_by_rate", _rank(pd.Series(out["rate_per_10k"], dtype=float)))
    return out.sort_values(["rank", "rate_per_10k", "station_id"], kind="stable").reset_index(drop=True)


def neighborhood_ranking(
    incidents: pd.DataFrame,
    *,
    windows: Mapping[str, Window],
    neighborhoods: pd.DataFrame,
    stations: pd.DataFrame,
    communities: pd.DataFrame,
    measure: str = "criminal",
) -> pd.DataFrame:
    """Each station's neighborhoods ranked by the month's count of ``measure`` (fewest first).

    Returns
    -------
    pandas.DataFrame
        station_id, station_name, station_name_en, rank (within the station; competition ranking),
        neighborhood_id, name, name_en, community_id, community_name, households, cases,
        rate_per_1k_households, rank_by_rate, two_robberies_one_theft, previous_month,
        month_last_year, designated_model; sorted by station, rank.
    """
    wins = {k: windows[k] for k in ("month", "previous_month", "month_last_year")}
    ms = {measure: MEASURES[measure], "two_robberies_one_theft": MEASURES["two_robberies_one_theft"]}
    nb = neighborhoods
    ids = nb["neighborhood_id"].astype(str)
    cm = count_matrix(incidents, level="neighborhood", measures=ms, windows=wins, units=ids)
    st_name = stations.set_index(stations["station_id"].astype(str))
    cm_name = communities.set_index(communities["community_id"].astype(str))
    hh = nb["households"] if "households" in nb.columns else pd.Series(np.nan, index=nb.index)
    out = pd.DataFrame(
        {
            "station_id": nb["station_id"].astype(str).to_numpy(),
            "neighborhood_id": ids.to_numpy(),
            "name": nb["name"].astype(str).to_numpy(),
            "name_en": _name_en(nb).astype(str).to_numpy(),
            "community_id": nb["community_id"].astype(str).to_numpy(),
            "households": _whole(hh).to_numpy(),
            "cases": cm[(measure, "month")].to_numpy(),
        }
    )
    out.insert(1, "station_name", out["station_id"].map(st_name["name"].astype(str)).to_numpy())
    out.insert(2, "station_name_en", out["station_id"].map(_name_en(st_name).astype(str)).to_numpy())
    out["community_name"] = out["community_id"].map(cm_name["name"].astype(str)).to_numpy()
    h = out["households"].astype(float).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        out["rate_per_1k_households"] = np.where(h > 0, out["cases"] / h * 1e3, np.nan)
    out["two_robberies_one_theft"] = cm[("two_robberies_one_theft", "month")].to_numpy()
    out["previous_month"] = _counts_column(cm[(measure, "previous_month")].to_numpy(), wins["previous_month"].covered)
    out["month_last_year"] = _counts_column(cm[(measure, "month_last_year")].to_numpy(), wins["month_last_year"].covered)
    out["designated_model"] = (_model_kind(nb) != "").to_numpy(dtype=bool)
    out.insert(3, "rank", _rank(out["cases"], out["station_id"]))
    out.insert(out.columns.get_loc("rate_per_1k_households") + 1, "rank_by_rate",
               _rank(pd.Series(out["rate_per_1k_households"], dtype=float), out["station_id"]))
    return out.sort_values(["station_id", "rank", "rate_per_1k_households", "neighborhood_id"],
                           kind="stable").reset_index(drop=True)


# -- model neighborhoods --------------------------------------------------------------------------
def model_tracker(
    incidents: pd.DataFrame,
    *,
    windows: Mapping[str, Window],
    neighborhoods: pd.DataFrame,
    communities: pd.DataFrame,
    controlled_share: float = 0.5,
    measure: str = "two_robberies_one_theft",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Model neighborhoods (示范小区): status of every neighborhood and of every police office.

    Parameters
    ----------
    incidents
        Prepared incidents.
    windows
        Needs ``last_12m`` and ``previous_12m``.
    neighborhoods, communities
        The layers (``model_kind`` non-empty marks a designated model neighborhood).
    controlled_share
        A neighborhood is *controlled* when its count fell by at least this share (0 < share <= 1).
    measure
        What counts as an incident for the criteria (default 两抢一盗).

    Returns
    -------
    (neighborhoods, offices)
        ``neighborhoods``: station_id, community_id, community_name, office_name, neighborhood_id,
        name, name_en, households, model_kind, designated, last_12m, previous_12m, change, status
        (``zero`` | ``controlled`` | ``not_met`` | ``unknown``), meets (bool), assessment
        (``designated_meets`` | ``designated_fails`` | ``candidate`` | ``none``).
        ``offices`` (one row per community police office): station_id, community_id, name,
        name_en, office_name, neighborhoods, designated, designated_meeting, designated_names,
        designated_failing_names, candidates, candidate_names, flag (``no_designated_model`` |
        ``designated_not_meeting`` | ``ok``), flagged (bool); flagged offices first.

    Raises
    ------
    InputError
        When ``controlled_share`` is not in (0, 1].
    """
    if not 0 < controlled_share <= 1:
        raise InputError(
            f"controlled_share={controlled_share!r}: give the required fall as a share in (0, 1], e.g. 0.5 for 50 %"
        )
    nb = neighborhoods
    ids = nb["neighborhood_id"].astype(str)
    wins = {k: windows[k] for k in ("last_12m", "previous_12m")}
    cm = count_matrix(incidents, level="neighborhood", measures={measure: MEASURES[measure]}, windows=wins, units=ids)
    last = cm[(measure, "last_12m")].to_numpy()
    prev = cm[(measure, "previous_12m")].to_numpy()
    prev_ok = wins["previous_12m"].covered
    com = communities.set_index(communities["community_id"].astype(str))
    mk = _model_kind(nb)
    out = pd.DataFrame(
        {
            "station_id": nb["station_id"].astype(str).to_numpy(),
            "community_id": nb["community_id"].astype(str).to_numpy(),
            "neighborhood_id": ids.to_numpy(),
            "name": nb["name"].astype(str).to_numpy(),
            "name_en": _name_en(nb).astype(str).to_numpy(),
            "households": _whole(nb["households"] if "households" in nb.columns
                                 else pd.Series(np.nan, index=nb.index)).to_numpy(),
            "model_kind": mk.astype(str).to_numpy(),
            "designated": (mk != "").to_numpy(dtype=bool),
            "last_12m": last,
            "previous_12m": _counts_column(prev, prev_ok).to_numpy(),
        }
    )
    out.insert(2, "community_name", out["community_id"].map(com["name"].astype(str)).to_numpy())
    office = com["office_name"].astype(str) if "office_name" in com.columns else com["name"].astype(str)
    out.insert(3, "office_name", out["community_id"].map(office).to_numpy())
    ch = compare_changes(last, prev, baseline_covered=prev_ok)
    out["change"] = ch["change"].to_numpy()
    controlled = prev_ok & (prev > 0) & (last <= (1 - controlled_share) * prev + 1e-9)
    status = np.select(
        [last == 0, controlled, np.full(len(out), not prev_ok)],
        ["zero", "controlled", "unknown"],
        "not_met",
    )
    out["status"] = status
    out["meets"] = np.isin(status, ["zero", "controlled"])
    d, m = out["designated"].to_numpy(), out["meets"].to_numpy()
    out["assessment"] = np.select(
        [d & m, d & ~m, ~d & m], ["designated_meets", "designated_fails", "candidate"], "none"
    )
    out = out.sort_values(["station_id", "community_id", "designated", "neighborhood_id"],
                          ascending=[True, True, False, True], kind="stable").reset_index(drop=True)

    # per office: counts and names by group (a loop over communities' groups, not incidents)
    g = out.groupby("community_id", sort=True)
    agg = pd.DataFrame(
        {
            "neighborhoods": g.size(),
            "designated": g["designated"].sum(),
            "designated_meeting": g["assessment"].agg(lambda s: int((s == "designated_meets").sum())),
            "candidates": g["assessment"].agg(lambda s: int((s == "candidate").sum())),
        }
    )

    def names(assessment: str, col: str, sep: str) -> pd.Series:
        sub = out[out["assessment"] == assessment]
        return sub.groupby("community_id")[col].agg(sep.join)

    offices = pd.DataFrame(
        {
            "station_id": communities["station_id"].astype(str).to_numpy(),
            "community_id": communities["community_id"].astype(str).to_numpy(),
            "name": communities["name"].astype(str).to_numpy(),
            "name_en": _name_en(communities).astype(str).to_numpy(),
            "office_name": (communities["office_name"] if "office_name" in communities.columns
                            else communities["name"]).astype(str).to_numpy(),
        }
    )
    key = offices["community_id"]
    for col in ("neighborhoods", "designated", "designated_meeting", "candidates"):
        offices[col] = key.map(agg[col]).fillna(0).astype(np.int64).to_numpy()
    for col, (assessment, sep, src) in {
        "designated_names": ("designated_meets", "、", "name"),
        "designated_failing_names": ("designated_fails", "、", "name"),
        "candidate_names": ("candidate", "、", "name"),
    }.items():
        mapped = key.map(names(assessment, src, sep)).astype(object)
        offices[col] = mapped.where(mapped.notna(), "").to_numpy()
    offices["flag"] = np.select(
        [offices["designated"] == 0, offices["designated_meeting"] == 0],
        ["no_designated_model", "designated_not_meeting"],
        "ok",
    )
    offices["flagged"] = offices["flag"] != "ok"
    offices = offices.sort_values(["flagged", "station_id", "community_id"], ascending=[False, True, True],
                                  kind="stable").reset_index(drop=True)
    # columns of the office table: move candidate columns to the end for reading
    offices = offices[["station_id", "community_id", "name", "name_en", "office_name", "neighborhoods",
                       "designated", "designated_meeting", "designated_names", "designated_failing_names",
                       "candidates", "candidate_names", "flag", "flagged"]]
    return out, offices


# -- weekly bulletins --------------------------------------------------------------------------------
#: Prevention tips per category: (zh-CN, en).
TIPS: dict[str, tuple[str, str]] = {
    "robbery": (
        "夜间出行尽量结伴，走灯光明亮的大路；遇到抢劫先保护人身安全，记住对方特征后立即报警。",
        "At night walk in company on well-lit roads; if robbed, stay safe first, note the robber's looks and call 110.",
    ),
    "snatching": (
        "走路时把包背在远离马路的一侧，不边走边低头看手机，金银首饰不外露。",
        "Carry your bag on the side away from the road, don't walk looking at your phone, keep jewellery out of sight.",
    ),
    "burglary": (
        "出门和睡前请锁好门窗，不把钥匙藏在门口或脚垫下，可加装防盗锁和门窗限位器。",
        "Lock doors and windows when you go out and at night; never hide keys by the door; consider an extra lock.",
    ),
    "ebike_theft": (
        "电动车请停进车棚或有监控的地方，加装第二把锁（如U型锁），不要把钥匙留在车上。",
        "Park e-bikes in the shed or under a camera, use a second lock (a U-lock) and never leave the key in it.",
    ),
    "vehicle_theft": (
        "车辆请停在有人看管或有监控的停车场，离车后锁好车门、关好车窗。",
        "Park in guarded or camera-covered car parks; lock the doors and close the windows when you leave.",
    ),
    "theft_from_vehicle": (
        "车内不要存放现金、包和贵重物品，离车时关好车窗、锁好车门。",
        "Leave no cash, bags or valuables in the car; close the windows and lock the doors when you leave.",
    ),
    "pickpocketing": (
        "在菜市场、公交车等人多的地方看好手机和钱包，贵重物品放在贴身内袋。",
        "In markets, buses and crowds watch your phone and wallet; keep valuables in an inside pocket.",
    ),
    "other_theft": (
        "楼道、阳台和门口不要存放贵重物品，快递及时取回。",
        "Keep valuables out of stairwells, balconies and doorways; collect parcels promptly.",
    ),
    "assault": (
        "邻里之间有矛盾请冷静处理，可找社区民警或调解员帮忙化解，切勿动手。",
        "Settle disputes calmly; the community officer or a mediator can help - never resort to violence.",
    ),
    "fraud": (
        "凡是要求转账汇款的陌生来电、短信、网友一律不要相信，绝不向陌生人转账，拿不准请拨打96110或110咨询。",
        "Never transfer money to strangers, whoever they claim to be on the phone or online; if unsure call 96110 or 110.",
    ),
    "public_order": (
        "遇到纠纷、噪音扰民等问题，可联系物业或社区民警协调处理。",
        "For disputes or noise, contact the property management or the community officer.",
    ),
}
_GENERAL_TIP = (
    "请继续保持随手锁门关窗、电动车停入车棚的好习惯。",
    "Please keep locking doors and windows and parking e-bikes in the shed.",
)
_WEEKDAYS_ZH = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
_WEEKDAYS_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
#: Time bands: (first hour, zh-CN, en).
TIME_BANDS: tuple[tuple[int, str, str], ...] = (
    (0, "凌晨", "early morning"),
    (6, "上午", "morning"),
    (12, "下午", "afternoon"),
    (18, "晚上", "evening"),
)
_DIRS_ZH = ("东", "东北", "北", "西北", "西", "西南", "南", "东南")
_DIRS_EN = ("east", "north-east", "north", "north-west", "west", "south-west", "south", "south-east")


def _where_inside(
    ev: pd.DataFrame, neighborhoods: pd.DataFrame, buildings: pd.DataFrame | None, *, building_m: float
) -> tuple[np.ndarray, np.ndarray]:
    """Place labels of incidents inside compounds: the nearest building of the same compound within
    ``building_m``, else the part of the compound (compass direction from its centre)."""
    n = len(ev)
    zh = np.full(n, "小区内", dtype=object)
    en = np.full(n, "inside the compound", dtype=object)
    if n == 0:
        return zh, en
    x, y = ev["x"].to_numpy(float), ev["y"].to_numpy(float)
    has_xy = np.isfinite(x) & np.isfinite(y)
    if "geometry" in neighborhoods.columns and has_xy.any():
        geoms = np.asarray(neighborhoods.geometry.values, dtype=object) if hasattr(neighborhoods, "geometry") \
            else np.asarray(neighborhoods["geometry"], dtype=object)
        pos = pd.Series(np.arange(len(neighborhoods)), index=neighborhoods["neighborhood_id"].astype(str).to_numpy())
        k = ev["neighborhood_id"].map(pos).to_numpy()
        ok = has_xy & pd.notna(k)
        ki = np.where(ok, k, 0).astype(np.int64)
        g = geoms[ki]
        cen = shapely.centroid(g)
        dx, dy = x - shapely.get_x(cen), y - shapely.get_y(cen)
        size = np.sqrt(np.maximum(shapely.area(g), 1.0))
        ang = np.degrees(np.arctan2(dy, dx))
        sector = np.round(ang / 45.0).astype(np.int64) % 8
        central = np.hypot(dx, dy) < 0.2 * size
        dz = np.where(central, "小区中部", np.char.add(np.char.add("小区", np.array(_DIRS_ZH)[sector]), "侧"))
        de = np.where(central, "centre of the compound",
                      np.char.add(np.array(_DIRS_EN)[sector], " part of the compound"))
        zh = np.where(ok, dz, zh).astype(object)
        en = np.where(ok, de, en).astype(object)
    if buildings is not None and len(buildings) and "geometry" in buildings.columns and has_xy.any() \
            and {"name", "neighborhood_id"} <= set(buildings.columns):
        b = buildings[buildings["name"].notna() & buildings["neighborhood_id"].notna()]
        if len(b):
            bgeom = np.asarray(b.geometry.values, dtype=object)
            tree = shapely.STRtree(bgeom)
            pts = shapely.points(np.where(has_xy, x, 0.0), np.where(has_xy, y, 0.0))
            qi, ti = tree.query_nearest(pts[has_xy], max_distance=building_m, all_matches=False)
            rows = np.flatnonzero(has_xy)[qi]
            bn = b["name"].astype(str).to_numpy()[ti]
            bnb = b["neighborhood_id"].astype(str).to_numpy()[ti]
            same = bnb == ev["neighborhood_id"].to_numpy()[rows].astype(str)
            rows, bn = rows[same], bn[same]
            # "龙凤花园3栋" -> "3栋": the block number at the end of the name, else the whole name
            full = pd.Series(bn, dtype="string")
            short = full.str.extract(r"(\d+\s*(?:栋|幢|号楼|座))\s*$", expand=False).fillna(full)
            num = short.str.extract(r"^(\d+)", expand=False)
            zh[rows] = (short + "附近").to_numpy(dtype=object)
            en[rows] = np.where(num.notna().to_numpy(dtype=bool, na_value=False),
                                ("near block " + num.fillna("")).to_numpy(dtype=object),
                                ("near " + short).to_numpy(dtype=object))
    return zh, en


def _when(occ: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    hour = occ.dt.hour.to_numpy()
    starts = np.array([b[0] for b in TIME_BANDS])
    band = np.searchsorted(starts, hour, side="right") - 1
    wd = occ.dt.day_of_week.to_numpy()
    mon, day = occ.dt.month.to_numpy(), occ.dt.day.to_numpy()
    zh = (pd.Series(mon).astype(str) + "月" + pd.Series(day).astype(str) + "日（"
          + pd.Series(np.array(_WEEKDAYS_ZH)[wd]) + "）" + pd.Series(np.array([b[1] for b in TIME_BANDS])[band]))
    en = (pd.Series(np.array(_WEEKDAYS_EN)[wd]) + " " + pd.Series(day).astype(str) + " "
          + pd.Series(np.array(_MONTHS_EN)[mon - 1]) + ", " + pd.Series(np.array([b[2] for b in TIME_BANDS])[band]))
    return zh.to_numpy(dtype=object), en.to_numpy(dtype=object)


def _category_counts(ev: pd.DataFrame, lang: str) -> pd.Series:
    """Per neighborhood: "入室盗窃2起、诈骗1起" (most frequent first, then schema order)."""
    if ev.empty:
        return pd.Series(dtype=object)
    order = {c: i for i, c in enumerate(CATEGORIES)}
    c = ev.groupby(["neighborhood_id", "category"]).size().rename("n").reset_index()
    c["o"] = c["category"].map(order)
    c = c.sort_values(["neighborhood_id", "n", "o"], ascending=[True, False, True])
    if lang == "en":
        c["t"] = c["n"].astype(str) + " " + c["category"].map({k: v[1] for k, v in CATEGORIES.items()})
        return c.groupby("neighborhood_id")["t"].agg(", ".join)
    c["t"] = c["category"].map({k: v[0] for k, v in CATEGORIES.items()}) + c["n"].astype(str) + "起"
    return c.groupby("neighborhood_id")["t"].agg("、".join)


def weekly_bulletins(
    incidents: pd.DataFrame,
    *,
    week: Window,
    neighborhoods: pd.DataFrame,
    communities: pd.DataFrame,
    stations: pd.DataFrame | None = None,
    buildings: pd.DataFrame | None = None,
    categories: Sequence[str] = CRIMINAL,
    nearby_m: float = 150.0,
    building_m: float = 40.0,
    max_lines: int = 8,
    max_tips: int = 3,
) -> pd.DataFrame:
    """Weekly incident bulletins (每周警情通报), one per neighborhood, ready to paste into WeChat.

    Parameters
    ----------
    incidents
        Prepared incidents (:func:`prepare_incidents`; x/y used for places and nearby streets).
    week
        The week (:func:`report_windows` ``["week"]``).
    neighborhoods, communities, stations
        The layers (neighborhood geometry gives the part of the compound and the nearby streets).
    buildings
        Optional ``buildings`` layer with ``name`` and ``neighborhood_id``: names the nearest block.
    categories
        Categories reported (default: criminal cases).
    nearby_m
        Street incidents within this distance of the compound are listed as "nearby" (0: none).
    building_m
        Largest distance to a building to say "near block N".
    max_lines, max_tips
        Longest list of incidents and of tips per bulletin.

    Returns
    -------
    pandas.DataFrame
        station_id, community_id, office_name, neighborhood_id, name, name_en, week_start,
        week_end, inside, nearby (counts), inside_ids, nearby_ids (``;``-joined incident ids),
        text_zh, text_en; sorted by station, community, neighborhood.
    """
    if nearby_m < 0 or building_m < 0 or max_lines < 1 or max_tips < 0:
        raise InputError("nearby_m and building_m must be >= 0, max_lines >= 1 and max_tips >= 0")
    bad = sorted(set(categories) - set(CATEGORIES))
    if bad:
        raise InputError(f"categories: unknown code(s) {', '.join(bad)}; use codes of geo.schema.CATEGORIES")
    nb = neighborhoods
    ids = nb["neighborhood_id"].astype(str).to_numpy()
    nb_name = pd.Series(nb["name"].astype(str).to_numpy(), index=ids)
    sel = incidents[week.mask(incidents["occurred_at"]).to_numpy() & incidents["category"].isin(categories).to_numpy()]
    # inside the compounds
    inside = sel[(sel["place_kind"] == "neighborhood") & sel["neighborhood_id"].isin(ids)].copy()
    inside["kind"] = "inside"
    inside["nb_name"] = inside["neighborhood_id"].map(nb_name).to_numpy()
    wz, we = _where_inside(inside, nb, buildings, building_m=building_m)
    inside["where_zh"], inside["where_en"] = wz, we
    # streets within nearby_m of a compound
    street = sel[(sel["place_kind"] == "street") & np.isfinite(sel["x"].to_numpy(float))]
    if nearby_m > 0 and len(street) and "geometry" in nb.columns:
        geoms = np.asarray(nb.geometry.values, dtype=object)
        tree = shapely.STRtree(geoms)
        pts = shapely.points(street["x"].to_numpy(float), street["y"].to_numpy(float))
        qi, ti = tree.query(pts, predicate="dwithin", distance=nearby_m)
        near = street.iloc[qi].copy()
        near["neighborhood_id"] = ids[ti]
    else:
        near = street.iloc[:0].copy()
    near["kind"] = "nearby"
    rn = near["road_name"].astype("string")
    named = rn.notna().to_numpy(dtype=bool)
    rn = rn.fillna("")
    near["where_zh"] = np.where(named, (rn + "（小区周边）").to_numpy(dtype=object), "小区周边道路")
    near["where_en"] = np.where(named, (rn + " (near the compound)").to_numpy(dtype=object), "a street near the compound")
    ev = pd.concat([inside, near], ignore_index=True)
    ev = ev.sort_values(["neighborhood_id", "occurred_at", "incident_id"], kind="stable").reset_index(drop=True)
    when_zh, when_en = _when(ev["occurred_at"]) if len(ev) else (np.array([], object), np.array([], object))
    cat_zh = ev["category"].map({k: v[0] for k, v in CATEGORIES.items()})
    cat_en = ev["category"].map({k: v[1] for k, v in CATEGORIES.items()})
    ev["line_zh"] = pd.Series(when_zh, dtype=object) + "，" + ev["where_zh"].astype(str) + "，" + cat_zh.astype(str)
    ev["line_en"] = pd.Series(when_en, dtype=object) + ", " + ev["where_en"].astype(str) + ": " + cat_en.astype(str)
    ev["n_in_nb"] = ev.groupby("neighborhood_id").cumcount()

    ins, nea = ev[ev["kind"] == "inside"], ev[ev["kind"] == "nearby"]
    n_in = ins.groupby("neighborhood_id").size()
    n_near = nea.groupby("neighborhood_id").size()
    ids_in = ins.groupby("neighborhood_id")["incident_id"].agg(";".join)
    ids_near = nea.groupby("neighborhood_id")["incident_id"].agg(";".join)
    cc_in = {lang: _category_counts(ins, lang) for lang in ("zh-CN", "en")}
    cc_near = {lang: _category_counts(nea, lang) for lang in ("zh-CN", "en")}
    shown = ev[ev["n_in_nb"] < max_lines]
    num = (shown["n_in_nb"] + 1).astype(str)
    lines_zh = (num + ". " + shown["line_zh"]).groupby(shown["neighborhood_id"]).agg("；\n".join)
    lines_en = (num + ". " + shown["line_en"]).groupby(shown["neighborhood_id"]).agg(";\n".join)
    # tips: categories by count, most frequent first
    order = {c: i for i, c in enumerate(CATEGORIES)}
    tc = ev.groupby(["neighborhood_id", "category"]).size().rename("n").reset_index()
    tc["o"] = tc["category"].map(order)
    tc = tc.sort_values(["neighborhood_id", "n", "o"], ascending=[True, False, True])
    tc = tc[tc.groupby("neighborhood_id").cumcount() < max_tips]
    tips_zh = tc.assign(t=tc["category"].map({k: v[0] for k, v in TIPS.items()})).groupby("neighborhood_id")["t"].agg(list)
    tips_en = tc.assign(t=tc["category"].map({k: v[1] for k, v in TIPS.items()})).groupby("neighborhood_id")["t"].agg(list)

    com = communities.set_index(communities["community_id"].astype(str))
    office = (com["office_name"] if "office_name" in com.columns else com["name"]).astype(str)
    office_en = (_name_en(com).astype(str) + " police office")
    st = None
    if stations is not None:
        st = stations.set_index(stations["station_id"].astype(str))
    d0, d1 = week.start.date(), week.last_day
    span_zh = f"{d0.month}月{d0.day}日（周一）至{d1.month}月{d1.day}日（周日）"
    span_en = f"Mon {d0.day} {_MONTHS_EN[d0.month - 1]} to Sun {d1.day} {_MONTHS_EN[d1.month - 1]} {d1.year}"

    rows = []
    nb_en = _name_en(nb).astype(str).to_numpy()
    nb_com = nb["community_id"].astype(str).to_numpy()
    nb_st = nb["station_id"].astype(str).to_numpy()
    for i, nid in enumerate(ids):  # one bulletin per neighborhood (not a loop over incidents)
        name, name_en, cid = nb_name.iloc[i], nb_en[i], nb_com[i]
        k_in, k_near = int(n_in.get(nid, 0)), int(n_near.get(nid, 0))
        off_zh = office.get(cid, "社区警务室")
        off_en = office_en.get(cid, "the community police office")
        st_zh = f"（{st['name'].get(nb_st[i])}）" if st is not None and nb_st[i] in st.index else ""
        zh = [f"【{name}·每周警情通报】{span_zh}"]
        en = [f"[{name_en} - weekly incident bulletin] {span_en}"]
        if k_in == 0 and k_near == 0:
            zh.append("本周本小区未发生可防性案件，感谢大家共同守护！" + _GENERAL_TIP[0])
            en.append("No preventable cases in our neighborhood this week - thank you all for keeping it safe! "
                      + _GENERAL_TIP[1])
        else:
            if k_in:
                zh.append(f"本周小区内发生刑事警情{k_in}起：{cc_in['zh-CN'][nid]}。")
                en.append(f"This week {k_in} criminal case{'s' if k_in > 1 else ''} in the compound: {cc_in['en'][nid]}.")
            else:
                zh.append("本周小区内未发生可防性案件，感谢大家共同守护！")
                en.append("No preventable cases inside the compound this week - thank you for keeping it safe!")
            if k_near:
                zh.append(f"小区周边道路发生{k_near}起：{cc_near['zh-CN'][nid]}。")
                en.append(f"On the streets around it: {k_near} ({cc_near['en'][nid]}).")
            zh.append(lines_zh[nid] + ("。" if k_in + k_near <= max_lines else f"；\n……另有{k_in + k_near - max_lines}起。"))
            en.append(lines_en[nid] + ("." if k_in + k_near <= max_lines else f";\n... and {k_in + k_near - max_lines} more."))
            tz_, te_ = tips_zh.get(nid, []), tips_en.get(nid, [])
            if tz_:
                zh.append("防范提示：" + "".join(f"{'①②③④⑤⑥⑦⑧⑨'[j]}{t}" for j, t in enumerate(tz_)))
                en.append("Tips: " + " ".join(f"({j + 1}) {t}" for j, t in enumerate(te_)))
        zh.append(f"如发现可疑情况请立即拨打110，或联系{off_zh}{st_zh}。")
        en.append(f"If you see anything suspicious call 110 or contact {off_en}.")
        rows.append(
            {
                "station_id": nb_st[i],
                "community_id": cid,
                "office_name": off_zh,
                "neighborhood_id": nid,
                "name": name,
                "name_en": name_en,
                "week_start": d0,
                "week_end": d1,
                "inside": k_in,
                "nearby": k_near,
                "inside_ids": ids_in.get(nid, ""),
                "nearby_ids": ids_near.get(nid, ""),
                "text_zh": "\n".join(zh),
                "text_en": "\n".join(en),
            }
        )
    cols = ["station_id", "community_id", "office_name", "neighborhood_id", "name", "name_en", "week_start",
            "week_end", "inside", "nearby", "inside_ids", "nearby_ids", "text_zh", "text_en"]
    out = pd.DataFrame(rows, columns=cols)
    out["inside"] = out["inside"].astype(np.int64)
    out["nearby"] = out["nearby"].astype(np.int64)
    return out.sort_values(["station_id", "community_id", "neighborhood_id"], kind="stable").reset_index(drop=True)


# -- the report ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ReportTable:
    """One table of a report and the definition of its figures.

    Parameters
    ----------
    key
        Stable identifier (also the sheet / CSV name).
    title
        (zh-CN, en).
    frame
        The table.
    definition
        (zh-CN, en) text defining the table.
    level
        Level of every row, or ``None`` when the frame has a ``level`` column.
    unit_col
        Column with the unit id (``None`` for the district, or with ``level`` from the frame:
        ``unit_id``).
    measure
        Measure of every row, or ``None`` when the frame has a ``measure`` column.
    columns
        Count-bearing column -> the (window, measure) pairs behind it; measure ``None`` means the
        row's measure. Change, rate and rank columns list every count they derive from.
    id_columns
        Count column -> column holding its incident ids (``;``-joined), for tables whose counts are
        not a plain filter (the bulletins' nearby streets).
    """

    key: str
    title: tuple[str, str]
    frame: pd.DataFrame
    definition: tuple[str, str]
    level: str | None = None
    unit_col: str | None = None
    measure: str | None = None
    columns: Mapping[str, tuple[tuple[str, str | None], ...]] = field(default_factory=dict)
    id_columns: Mapping[str, str] = field(default_factory=dict)

    def definition_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title_zh": self.title[0],
            "title_en": self.title[1],
            "definition_zh": self.definition[0],
            "definition_en": self.definition[1],
            "level": self.level,
            "unit_column": self.unit_col,
            "measure": self.measure,
            "columns": {c: [{"window": w, "measure": m or "(row measure)"} for w, m in v] for c, v in self.columns.items()},
            "id_columns": dict(self.id_columns),
            "rows": len(self.frame),
        }


@dataclass(frozen=True)
class Report:
    """A monthly report: windows, measures, tables and the incidents behind them.

    Attributes
    ----------
    workspace
        Workspace name (for file names).
    district
        District name.
    month
        ``YYYY-MM``.
    as_of
        Last day of data.
    timezone
        Workspace time zone.
    windows, measures
        Definitions used by the tables.
    tables
        Key -> :class:`ReportTable`: ``headline``, ``comparison``, ``station_ranking``,
        ``neighborhood_ranking``, ``model_neighborhoods``, ``model_offices``, ``bulletins``.
    incidents
        The prepared incidents (:func:`prepare_incidents`).
    settings
        Options the report was built with.
    notes
        (zh-CN, en) notes on data coverage and definitions.
    """

    workspace: str
    district: str
    month: str
    as_of: dt.date
    timezone: str
    windows: dict[str, Window]
    measures: dict[str, Measure]
    tables: dict[str, ReportTable]
    incidents: pd.DataFrame
    settings: dict[str, Any]
    notes: tuple[tuple[str, str], ...] = ()

    def table(self, key: str) -> pd.DataFrame:
        """The frame of table ``key`` (a copy)."""
        if key not in self.tables:
            raise InputError(f"report has no table {key!r}; tables: {', '.join(self.tables)}")
        return self.tables[key].frame.copy()

    def headline(self) -> pd.DataFrame:
        return self.table("headline")

    def as_dict(self) -> dict[str, Any]:
        """Every number with its definition, JSON-ready (NaN -> None, dates as ISO text)."""
        return {
            "workspace": self.workspace,
            "district": self.district,
            "month": self.month,
            "as_of": self.as_of.isoformat(),
            "timezone": self.timezone,
            "settings": _jsonable(self.settings),
            "windows": {k: w.as_dict() for k, w in self.windows.items()},
            "measures": {k: m.as_dict() for k, m in self.measures.items()},
            "comparisons": {k: {"current": a, "baseline": b} for k, (a, b) in COMPARISONS.items()},
            "notes": [{"zh": z, "en": e} for z, e in self.notes],
            "tables": {
                k: {**t.definition_dict(), "records": _records(t.frame)} for k, t in self.tables.items()
            },
        }


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, pd.Timestamp | dt.date):
        return value.isoformat()
    if value is pd.NA or (isinstance(value, float) and not np.isfinite(value)):
        return None
    return value


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    obj = frame.astype(object).where(frame.notna(), None)
    return [_jsonable(r) for r in obj.to_dict(orient="records")]


def _meta_date(meta: Mapping[str, str], *keys: str) -> dt.date | None:
    for k in keys:
        v = meta.get(k)
        if v:
            try:
                return dt.date.fromisoformat(str(v)[:10])
            except ValueError:
                continue
    return None


def _layer_check(name: str, frame: pd.DataFrame | None, columns: Iterable[str]) -> pd.DataFrame:
    if frame is None:
        raise InputError(f"the report needs the '{name}' layer; add it to the workspace (see docs/data-model.md)")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(f"layer '{name}': missing column(s) {', '.join(missing)}; add them (see docs/data-model.md)")
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
        A :class:`geo.workspace.Workspace`, or a mapping of layer name -> table (stations,
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
            import json

            main_highways = json.loads(meta["main_highways"]) if isinstance(meta["main_highways"], str) \
                else meta["main_highways"]
    else:
        raise InputError(f"source must be a Workspace or a mapping of layers, not {type(source).__name__}")
    if not 0 < alpha < 1:
        raise InputError(f"alpha={alpha!r}: give a significance level in (0, 1), e.g. 0.05")
    tz = meta.get("timezone") or DEFAULT_TIMEZONE
    stations = _layer_check("stations", layers.get("stations"), ["station_id", "name"])
    communities = _layer_check("communities", layers.get("communities"), ["community_id", "name", "station_id"])
    neighborhoods = _layer_check(
        "neighborhoods", layers.get("neighborhoods"), ["neighborhood_id", "name", "community_id", "station_id"]
    )
    raw = _layer_check("incidents", layers.get("incidents"), ["incident_id", "occurred_at", "category", "place_kind"])
    inc = prepare_incidents(raw, timezone=tz, road_edges=layers.get("road_edges"), main_highways=main_highways)
    notes: list[tuple[str, str]] = []
    if len(inc) == 0 and (as_of is None or data_start is None):
        raise InputError("the workspace has no incidents; import some first ('patrolnet import WORKSPACE incidents FILE')")
    as_of_d = _to_date(as_of, "as_of") if as_of is not None else (
        _meta_date(meta, "as_of", "demo_as_of") or inc["occurred_at"].max().date())
    start_d = _to_date(data_start, "data_start") if data_start is not None else (
        _meta_date(meta, "data_start") or inc["occurred_at"].min().date())
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
        "bulletin_categories": list(CRIMINAL),
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
        measures=dict(MEASURES),
        tables=tables,
        incidents=inc,
        settings=settings,
        notes=tuple(notes),
    )


def _with_geometry(frame: pd.DataFrame | None) -> pd.DataFrame | None:
    if frame is None or "geometry" not in frame.columns:
        return None
    return frame


# -- tracing ---------------------------------------------------------------------------------------
def _row(table: ReportTable, row: int | str) -> pd.Series:
    frame = table.frame
    if row not in frame.index:
        raise InputError(f"table {table.key!r} has no row {row!r}; rows are {frame.index[0]}..{frame.index[-1]}")
    return frame.loc[row]


def cell_incidents(report: Report, table: str, row: int | str, column: str) -> pd.DataFrame:
    """The incidents behind one cell, with the window (and measure) each was counted in.

    Parameters
    ----------
    report
        A :class:`Report`.
    table
        Table key (``report.tables``).
    row
        Row label of the table's frame.
    column
        A count-bearing column (see :attr:`ReportTable.columns` / ``id_columns``).

    Returns
    -------
    pandas.DataFrame
        The prepared incident rows, plus ``window`` and ``measure`` columns; a change cell returns the
        incidents of both of its periods.

    Raises
    ------
    InputError
        Unknown table, row or a column that is not a count.
    """
    if table not in report.tables:
        raise InputError(f"report has no table {table!r}; tables: {', '.join(report.tables)}")
    tab = report.tables[table]
    r = _row(tab, row)
    inc = report.incidents
    if column in tab.id_columns:
        ids = [i for i in str(r[tab.id_columns[column]] or "").split(";") if i]
        out = inc[inc["incident_id"].isin(ids)].copy()
        (w, m), = tab.columns.get(column, (("week", None),))
        out["window"], out["measure"] = w, m or tab.measure
        return out.sort_values(["occurred_at", "incident_id"]).reset_index(drop=True)
    if column not in tab.columns:
        raise InputError(
            f"column {column!r} of table {table!r} is not a count; traceable columns: "
            f"{', '.join(list(tab.columns) + list(tab.id_columns))}"
        )
    level = tab.level if tab.level is not None else str(r["level"])
    unit = None if level == "district" else str(r[tab.unit_col or "unit_id"])
    parts = []
    for wkey, mkey in tab.columns[column]:
        measure = report.measures[mkey or (tab.measure if tab.measure is not None else str(r["measure"]))]
        window = report.windows[wkey]
        m = measure.mask(inc) & window.mask(inc["occurred_at"])
        col = LEVEL_COLUMN[level]
        if col is not None:
            m &= inc[col] == unit
        part = inc[m.to_numpy()].copy()
        part["window"], part["measure"] = wkey, measure.key
        parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    return out.sort_values(["window", "occurred_at", "incident_id"], kind="stable").reset_index(drop=True)


def cell_incident_ids(report: Report, table: str, row: int | str, column: str) -> list[str]:
    """The incident ids behind one cell (sorted); see :func:`cell_incidents`."""
    return sorted(cell_incidents(report, table, row, column)["incident_id"].tolist())
