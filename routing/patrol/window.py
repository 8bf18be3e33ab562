"""Shift windows: ``HH:MM-HH:MM`` text on a date as tz-aware start and end, and their length.

:func:`shift_window` is the one shift parser: the two times may be separated by ``-``, ``–``, ``~``
or ``至`` (``22:00至06:00``), with spaces around them or not.
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from geo.errors import InputError
from geo.schema import DEFAULT_TIMEZONE

__all__ = ["shift_window"]

_SHIFT = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*[-–~至]\s*(\d{1,2}):(\d{2})\s*$")


def shift_window(text: str, *, date: dt.date, tz: str = DEFAULT_TIMEZONE) -> tuple[dt.datetime, dt.datetime]:
    """Parse a shift like ``"20:00-24:00"`` on ``date`` into tz-aware start and end datetimes.

    ``24:00`` is midnight at the end of ``date``; an end before the start runs into the next day
    (``"22:00-06:00"``).

    Raises
    ------
    InputError
        When the text is not ``HH:MM-HH:MM`` or the times are out of range.
    """
    m = _SHIFT.match(str(text))
    if not m:
        raise InputError(f"shift {text!r} is not HH:MM-HH:MM (for example 20:00-24:00)", code="param.shift",
                         value=str(text))
    h1, m1, h2, m2 = (int(g) for g in m.groups())
    if h1 > 24 or h2 > 24 or m1 > 59 or m2 > 59 or (h1 == 24 and m1) or (h2 == 24 and m2):
        raise InputError(f"shift {text!r}: hours run 00-24 and minutes 00-59", code="routes.shift_clock",
                         value=str(text))
    zone = ZoneInfo(tz)
    day = dt.datetime.combine(date, dt.time(0), tzinfo=zone)
    start = day + dt.timedelta(hours=h1, minutes=m1)
    end = day + dt.timedelta(hours=h2, minutes=m2)
    if end <= start:
        end += dt.timedelta(days=1)
    # wall-clock arithmetic across DST changes: normalise through UTC
    start = start.astimezone(dt.UTC).astimezone(zone)
    end = end.astimezone(dt.UTC).astimezone(zone)
    return start, end


def _shift_seconds(shift_start: dt.datetime, shift_end: dt.datetime) -> float:
    for what, t in (("shift_start", shift_start), ("shift_end", shift_end)):
        if not isinstance(t, dt.datetime) or t.tzinfo is None:
            raise InputError(f"{what} must be a time-zone-aware datetime (see shift_window), not {t!r}")
    horizon = (shift_end - shift_start).total_seconds()
    if horizon <= 0:
        raise InputError(f"the shift ends ({shift_end.isoformat()}) before it starts ({shift_start.isoformat()})",
                         code="routes.shift_order", start=shift_start.isoformat(), end=shift_end.isoformat())
    return horizon
