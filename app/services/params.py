"""The rules every shell applies to a request, each written once.

The command line (:mod:`app.cli`) and the web app (:mod:`app.web`) both parse their input with these
functions, so the same value is accepted, or refused with the same error, whichever way it comes in.
The service functions (:mod:`app.services`) call them again where a rule belongs to the use case
itself, so a caller that skips the shell still gets the rule.

Every refusal is an :class:`~geo.errors.InputError` whose English text is the message the command
line prints, with a message key (``exc.code``, said as ``error.<code>`` of :mod:`app.i18n`) and its
values (``exc.fmt``) so that a page can say it in its own language.

The rules:

* a day: :func:`parse_day` (``YYYY-MM-DD``, or ``YYYYMMDD``);
* a shift window: :func:`parse_shift` (``HH:MM-HH:MM``; ``-``, ``–``, ``~`` or ``至`` between the
  times, as :func:`routing.patrol.shift_window` reads them) and :func:`shift_day` (default: today in
  the workspace's time zone);
* a report month: :func:`parse_month` (``YYYY-MM``) and :func:`default_month` (the last full month);
* the last day of data: :func:`last_data_day`;
* the sub-zone grid's size: :func:`check_grid_size` (a count or a target area, not both; the core's
  own rule, :func:`geo.subzones.check_grid_size`);
* a station's scope: :func:`route_kinds` (what a station plans: its grid teams, never the brigade's
  vehicles) and :func:`station_rows` (the rows of one station);
* a backup before an import or a rebuild: :func:`app.services.backups.backup_before`, taken by the
  use cases themselves: :func:`app.services.imports.import_file` (the import of both shells; the
  row-level :func:`~app.services.imports.import_table` under it takes none),
  :func:`app.services.workspace.build_demo_workspace` and :func:`app.services.workspace.init_workspace`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Any

import pandas as pd

from app.storage.history import time_span
from geo.errors import InputError
from geo.reports.halfyear import parse_half as core_parse_half
from geo.reports.windows import last_data_day as core_last_data_day
from geo.reports.windows import parse_month as core_parse_month
from geo.subzones import check_grid_size

__all__ = [
    "DEFAULT_ROUTE_KINDS",
    "STATION_ROUTE_KINDS",
    "canonical_shift",
    "check_grid_size",
    "default_month",
    "last_data_day",
    "parse_day",
    "parse_half",
    "parse_month",
    "parse_shift",
    "report_period",
    "route_kinds",
    "shift_day",
    "station_rows",
]

#: The unit kinds a routes job plans when none are named: the brigade's vehicles and the grid teams.
DEFAULT_ROUTE_KINDS: tuple[str, ...] = ("brigade_vehicle", "grid_team")
#: What a station plans: its own "1+2+N" grid teams (the brigade's vehicles are the commander's).
STATION_ROUTE_KINDS: tuple[str, ...] = ("grid_team",)

#: ``2026-10-31``, or ``20261031`` (ISO 8601 basic form, which the command line has always read).
_DAY_RE = re.compile(r"^(\d{4}-\d{2}-\d{2}|\d{8})$")


# -- days and shifts ----------------------------------------------------------------------------------
def parse_day(value: str | dt.date | None, what: str = "day") -> dt.date | None:
    """A calendar day written ``YYYY-MM-DD`` or ``YYYYMMDD`` (``None`` stays ``None``; a date is
    kept as it is).

    ``what`` names the value in the message (the CLI passes its option, e.g. ``--as-of``).

    Raises
    ------
    InputError
        Anything else (a number, ``2026-1-5``, ``31/10/2026``, ``2026-02-30``); code
        ``report.bad_date`` (the report core's, for the same rule).
    """
    if value is None or (isinstance(value, dt.date) and not isinstance(value, dt.datetime)):
        return value
    text = value.strip() if isinstance(value, str) else ""  # a JSON number is not a day (nor seconds since 1970)
    try:
        if not _DAY_RE.match(text):
            raise ValueError(text)
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InputError(f"{what} {value!r} is not a date; give it as YYYY-MM-DD, e.g. 2026-10-31",
                         code="report.bad_date", what=what, value=str(value)) from None


def parse_shift(text: str) -> str:
    """A shift window ``HH:MM-HH:MM`` (``20:00-24:00``; ``22:00-06:00`` runs into the next day),
    checked by the planner's own parser (:func:`routing.patrol.shift_window`), so every separator it
    reads is accepted: ``-``, ``–``, ``~`` or ``至`` (``22:00至06:00``). Returns the text without
    spaces.

    Raises
    ------
    InputError
        Not a shift window, or hours beyond 00-24 / minutes beyond 00-59; code ``param.shift``.
    """
    from routing.patrol import shift_window

    try:
        shift_window(str(text), date=dt.date(2000, 1, 3), tz="UTC")
    except InputError as exc:
        raise (exc if exc.code else exc.coded("param.shift", value=str(text))) from None
    return str(text).replace(" ", "")


def canonical_shift(text: str) -> str:
    """A shift window written one way, ``HH:MM-HH:MM`` (``22:00至06:00`` -> ``22:00-06:00``,
    ``8:00 - 12:00`` -> ``08:00-12:00``; an end at midnight is ``24:00``), so that records of one
    shift match however it was typed.

    Raises
    ------
    InputError
        As :func:`parse_shift`.
    """
    from routing.patrol import shift_window

    start, end = shift_window(parse_shift(text), date=dt.date(2000, 1, 3), tz="UTC")
    end_text = "24:00" if end.time() == dt.time(0) and end.date() > start.date() else f"{end:%H:%M}"
    return f"{start:%H:%M}-{end_text}"


def shift_day(ws: Any, day: dt.date | None = None) -> dt.date:
    """The day of a shift: ``day``, or today in the workspace's time zone."""
    return day or pd.Timestamp.now(tz=ws.timezone).date()


# -- months and the last day of data ------------------------------------------------------------------
def parse_month(text: str) -> str:
    """A report month written ``YYYY-MM`` (``2026-09``; ``2026-9`` too), as ``YYYY-MM``.

    Raises
    ------
    InputError
        Anything else, or a month outside 1-12: the report core's message and code
        (``report.bad_month``).
    """
    period = core_parse_month(str(text).strip())
    return f"{period.year:04d}-{period.month:02d}"


def parse_half(text: str) -> str:
    """A half-year written ``YYYY-H1``/``YYYY-H2`` (``2026年上半年`` too), as ``YYYY-Hn``.

    Raises
    ------
    InputError
        Anything else (``report.bad_half``).
    """
    year, half = core_parse_half(str(text))
    return f"{year:04d}-H{half}"


def report_period(month: str | None, half: str | None) -> tuple[str | None, str | None]:
    """The period a report is made for: a month (the monthly report) or a half-year (the half-year
    station report), checked (:func:`parse_month`, :func:`parse_half`); neither: the monthly report
    of the last full month.

    Raises
    ------
    InputError
        Both given (``param.report_period``), or either malformed.
    """
    month = month if month is None or str(month).strip() else None
    half = half if half is None or str(half).strip() else None
    if month is not None and half is not None:
        raise InputError("give either a month, YYYY-MM (the monthly report), or a half-year, YYYY-H1 / YYYY-H2 (the "
                         "half-year station report)", code="param.report_period")
    return (None if month is None else parse_month(month)), (None if half is None else parse_half(half))


def last_data_day(ws: Any) -> dt.date | None:
    """The last day of data of workspace ``ws`` (:func:`geo.reports.last_data_day`: the newest
    incident's day in the workspace's time zone, or the day its ``meta`` says the data run to when
    that is later). ``None`` without either.

    Every default that depends on "now" in the data (the report month and its ``as_of``, the
    forecast's ``as_of``, the backtest year, the camera risk, the dashboard) starts here.
    """
    if ws.has("incidents"):  # the newest time, asked of the store (the rows are not read)
        occurred_at = time_span(ws, "incidents", "occurred_at")["last"]
    else:
        occurred_at = pd.Series([], dtype=object)
    return core_last_data_day(occurred_at, ws.meta, timezone=ws.timezone)


def default_month(ws: Any, as_of: dt.date | None = None) -> str:
    """The last full month of data (``YYYY-MM``): the month of ``as_of`` (default
    :func:`last_data_day`) when that is its last day, else the month before.

    Raises
    ------
    InputError
        The workspace has no incidents; code ``data.no_incidents``.
    """
    as_of = as_of or last_data_day(ws)
    if as_of is None:
        raise InputError("the workspace has no incidents; import some first "
                         "('patrolnet import WORKSPACE incidents FILE')", code="data.no_incidents")
    first = as_of.replace(day=1)
    if (as_of + dt.timedelta(days=1)).day != 1:
        first = (first - dt.timedelta(days=1)).replace(day=1)
    return f"{first:%Y-%m}"


# -- the grid -----------------------------------------------------------------------------------------
# -- a station's scope --------------------------------------------------------------------------------
def route_kinds(kinds: Sequence[str] | None, station_id: str | None = None) -> tuple[str, ...]:
    """The unit kinds a routes job plans.

    For the district: ``kinds`` or :data:`DEFAULT_ROUTE_KINDS`. For one station (``station_id``): its
    own grid teams, :data:`STATION_ROUTE_KINDS` when no kinds are named; naming the brigade's vehicles
    is refused (they belong to the special patrol brigade and are planned for the whole district).

    Raises
    ------
    InputError
        A station asked for brigade vehicles; code ``station.brigade`` (the web app refuses a station
        user's such request as forbidden).
    """
    if station_id is None:
        return tuple(kinds) if kinds else DEFAULT_ROUTE_KINDS
    if not kinds:
        return STATION_ROUTE_KINDS
    if "brigade_vehicle" in kinds:
        raise InputError(f"station {station_id}: brigade vehicles belong to the special patrol brigade, "
                         f"not to a station; plan the station's own grid teams (grid_team)",
                         code="station.brigade", station=station_id)
    return tuple(kinds)


def station_rows(frame: pd.DataFrame, station_id: str | None) -> pd.DataFrame:
    """The rows of ``frame`` in station ``station_id`` (column ``station_id``; all rows for ``None``,
    none when the frame has no such column)."""
    if station_id is None:
        return frame
    if "station_id" not in frame.columns:
        return frame.iloc[0:0]
    return frame[frame["station_id"].astype("string").fillna("") == str(station_id)]
