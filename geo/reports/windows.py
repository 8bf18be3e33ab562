"""Report windows: months, ISO weeks and the periods a monthly report compares."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from geo.errors import InputError
from geo.schema import DEFAULT_TIMEZONE

__all__ = ["Window", "default_week", "last_data_day", "meta_date", "parse_month", "parse_week", "report_windows"]


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
        raise InputError(f"month={month!r} is not a month; give it as YYYY-MM, for example 2026-09",
                         code="report.bad_month", value=str(month))
    return pd.Period(year=int(m.group(1)), month=int(m.group(2)), freq="M")


def meta_date(meta: Mapping[str, str], *keys: str) -> dt.date | None:
    """The first of ``keys`` in a workspace's ``meta`` that holds a date (``YYYY-MM-DD...``), or None."""
    for key in keys:
        value = meta.get(key)
        if value:
            try:
                return dt.date.fromisoformat(str(value)[:10])
            except ValueError:
                continue
    return None


def last_data_day(occurred_at: pd.Series, meta: Mapping[str, str], *, timezone: str = DEFAULT_TIMEZONE) -> dt.date | None:
    """The last day of data: the newest incident's day in ``timezone``, or the day ``meta`` says the
    data run to (``as_of`` / ``demo_as_of``, set by the demo generator) when that is later (a quiet
    last day still counts). ``None`` without either.

    Every default that depends on "now" in the data (the report month and its ``as_of``, the
    forecast's ``as_of``, the backtest year, the camera risk, the dashboard) starts here.
    """
    declared = meta_date(meta, "as_of", "demo_as_of")
    newest = None
    stamps = pd.to_datetime(occurred_at, errors="coerce") if len(occurred_at) else occurred_at
    if len(stamps) and stamps.notna().any():
        stamp = pd.Timestamp(stamps.max())
        newest = (stamp.tz_convert(timezone) if stamp.tzinfo is not None else stamp).date()
    days = [d for d in (declared, newest) if d is not None]
    return max(days) if days else None


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
        raise InputError(f"{what}={value!r} is not a date; give it as YYYY-MM-DD, for example 2026-10-19",
                         code="report.bad_date", what=what, value=str(value)) from None


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
                raise InputError(f"week={week!r}: no such ISO week; use YYYY-Www, e.g. 2026-W43",
                                 code="report.bad_week", value=week) from None
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
            f"{as_of.strftime('%Y-%m')} or give a later as_of",
            code="report.month_after_data", month=str(per), as_of=str(as_of), last=as_of.strftime("%Y-%m"),
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
            f"({as_of}); choose an earlier week (default: the last full week, {default_week(as_of)})",
            code="report.week_after_data", first=str(monday), last=str(monday + dt.timedelta(days=6)),
            as_of=str(as_of), default=str(default_week(as_of)),
        )
    out["week"] = wk
    return out
