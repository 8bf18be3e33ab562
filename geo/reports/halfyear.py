"""The half-year station report: what each police station brings to its residents' review meeting
(the method's stations hold one every half year and are ranked twice a year too).

Built from the same figures as the monthly report (:mod:`geo.reports.rankings`,
:mod:`geo.reports.models`), over a half-year instead of a month: stations ranked by the half's
criminal cases (fewest first), each against the same half a year before and the half before it
with the small-number test; every station's neighborhoods ranked within it; the model
neighborhoods' status over the 12 months to the half's end.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from geo.errors import InputError
from geo.schema import DEFAULT_TIMEZONE

from .build import _layer_check
from .incidents import prepare_incidents
from .models import model_tracker
from .rankings import neighborhood_ranking, station_ranking
from .windows import Window, _to_date, last_data_day, meta_date

__all__ = ["HalfYearReport", "default_half", "half_windows", "half_year_report", "parse_half"]

_HALF_RE = re.compile(r"^\s*(\d{4})\s*(?:[-_ ]?\s*H([12])|年?\s*([上下])半年(?:度)?)\s*$", re.IGNORECASE)
#: The monthly ranking's columns -> the half-year's (the rankings are made on windows named as a month's).
_RENAME = {"previous_month": "previous_half", "month_last_year": "half_last_year",
           **{f"mom{s}": f"hoh{s}" for s in ("_change", "_status", "_p", "_significant")}}


def parse_half(text: str) -> tuple[int, int]:
    """``"2026-H1"`` (also ``2026H2``, ``2026年上半年``, ``2026下半年``) -> ``(2026, 1)``.

    Raises
    ------
    InputError
        When the text names no half-year.
    """
    m = _HALF_RE.match(str(text))
    if not m:
        raise InputError(f"half-year {text!r}: give it as YYYY-H1 or YYYY-H2 (e.g. 2026-H1, or 2026年上半年)",
                         code="report.bad_half", value=str(text))
    half = int(m.group(2)) if m.group(2) else (1 if m.group(3) == "上" else 2)
    return int(m.group(1)), half


def default_half(as_of: dt.date) -> tuple[int, int]:
    """The last half-year over on ``as_of`` (the one a review meeting looks back on); the current
    one when none is over yet in the data (the first half of the data's first year)."""
    if as_of.month == 12 and as_of.day == 31:
        return as_of.year, 2
    if as_of.month == 6 and as_of.day == 30:
        return as_of.year, 1
    return (as_of.year, 1) if as_of.month >= 7 else (as_of.year - 1, 2)


def _label(year: int, half: int) -> tuple[str, str]:
    return f"{year}年{'上' if half == 1 else '下'}半年", f"{year} H{half}"


def half_windows(year: int, half: int, *, as_of: dt.date, timezone: str = DEFAULT_TIMEZONE,
                 data_start: dt.date | None = None) -> dict[str, Window]:
    """The windows of a half-year report: ``half`` (January-June or July-December), ``half_last_year``,
    ``previous_half``, and ``last_12m``/``previous_12m`` (the 12 months to the half's end and the 12
    before, for the model neighborhoods). A half not over at ``as_of`` runs to ``as_of``, and every
    window it is compared with is cut to as many days.

    Raises
    ------
    InputError
        When the half starts after ``as_of``.
    """
    first = dt.date(year, 1 if half == 1 else 7, 1)
    over = dt.date(year, 7, 1) if half == 1 else dt.date(year + 1, 1, 1)
    if first > as_of:
        label = _label(year, half)
        raise InputError(f"half-year {label[1]} starts after the last day of data ({as_of}); choose one up to "
                         f"{as_of.year} H{1 if as_of.month <= 6 else 2}", code="report.half_after_data",
                         half=label[1], as_of=str(as_of))
    end = min(over, as_of + dt.timedelta(days=1))
    cut = end < over
    six = pd.DateOffset(months=6)
    year_off = pd.DateOffset(years=1)
    s, e = pd.Timestamp(first), pd.Timestamp(end)

    def w(key: str, a: pd.Timestamp, b: pd.Timestamp) -> Window:
        a, b = a.tz_localize(timezone), b.tz_localize(timezone)
        return Window(key, a, b, data_start is None or a.date() >= data_start)

    return {
        "half": w("half", s, e),
        "half_last_year": w("half_last_year", s - year_off, e - year_off),
        "previous_half": w("previous_half", s - six, (e - six) if cut else s),
        "last_12m": w("last_12m", e - pd.DateOffset(months=12), e),
        "previous_12m": w("previous_12m", e - pd.DateOffset(months=24), e - pd.DateOffset(months=12)),
    }


@dataclass(frozen=True)
class HalfYearReport:
    """A half-year report: its windows and tables.

    Attributes
    ----------
    half
        ``(year, 1 | 2)``.
    label
        (zh-CN, en): ``2026年上半年`` / ``2026 H1``.
    tables
        ``stations`` (ranked by the half's criminal cases, fewest first: cases, rate per 10,000
        residents, robbery/snatching/theft, the same half last year and the half before with their
        changes ``yoy_*``/``hoh_*``), ``neighborhoods`` (ranked within each station, the same
        columns per neighborhood) and ``models`` (every neighborhood's zero/controlled status over
        the 12 months to the half's end: :func:`geo.reports.models.model_tracker`).
    """

    district: str
    workspace: str
    half: tuple[int, int]
    label: tuple[str, str]
    as_of: dt.date
    timezone: str
    windows: Mapping[str, Window]
    tables: Mapping[str, pd.DataFrame]
    notes: tuple[tuple[str, str], ...] = field(default=())

    @property
    def key(self) -> str:
        """``2026-H1``."""
        return f"{self.half[0]}-H{self.half[1]}"

    def station(self, station_id: str) -> dict[str, Any]:
        """One station's share of the report (its ranking row, its neighborhoods, its model
        neighborhoods): what its review meeting reads.

        Raises
        ------
        InputError
            For a station not in the report.
        """
        st = self.tables["stations"]
        rows = st[st["station_id"] == str(station_id)]
        if not len(rows):
            raise InputError(f"station {station_id} is not in the stations layer; choose one of "
                             f"{', '.join(st['station_id'].astype(str).tolist()[:20])}",
                             code="station.unknown", station=str(station_id))
        nb = self.tables["neighborhoods"]
        md = self.tables["models"]
        return {"row": rows.iloc[0], "neighborhoods": nb[nb["station_id"] == str(station_id)],
                "models": md[md["station_id"].astype(str) == str(station_id)]}

    def as_dict(self) -> dict[str, Any]:
        return {"half": self.key, "label": list(self.label), "district": self.district, "as_of": self.as_of.isoformat(),
                "timezone": self.timezone, "windows": {k: w.as_dict() for k, w in self.windows.items()},
                "tables": {k: t.to_dict(orient="records") for k, t in self.tables.items()},
                "notes": [list(n) for n in self.notes]}


def half_year_report(
    layers: Mapping[str, Any],
    *,
    half: str | tuple[int, int] | None = None,
    as_of: str | dt.date | None = None,
    data_start: str | dt.date | None = None,
    meta: Mapping[str, str] | None = None,
    workspace_name: str | None = None,
    controlled_share: float = 0.5,
    alpha: float = 0.05,
    main_highways: Any = None,
) -> HalfYearReport:
    """The half-year report of a district.

    Parameters
    ----------
    layers
        ``stations``, ``communities``, ``neighborhoods``, ``incidents`` (optional ``road_edges``).
    half
        ``YYYY-H1``/``YYYY-H2`` (:func:`parse_half`) or ``(year, half)``; default
        :func:`default_half` of ``as_of``.
    as_of, data_start, meta, controlled_share, alpha, main_highways
        As :func:`geo.reports.build_report`.

    Raises
    ------
    InputError
        Missing layers or columns, a malformed half-year or one after the data.
    """
    meta = dict(meta or {})
    tz = meta.get("timezone") or DEFAULT_TIMEZONE
    stations = _layer_check("stations", layers.get("stations"), ["station_id", "name"])
    communities = _layer_check("communities", layers.get("communities"), ["community_id", "name", "station_id"])
    neighborhoods = _layer_check("neighborhoods", layers.get("neighborhoods"),
                                 ["neighborhood_id", "name", "community_id", "station_id"])
    raw = _layer_check("incidents", layers.get("incidents"), ["incident_id", "occurred_at", "category", "place_kind"])
    inc = prepare_incidents(raw, timezone=tz, road_edges=layers.get("road_edges"), main_highways=main_highways)
    as_of_d = _to_date(as_of, "as_of") if as_of is not None else last_data_day(inc["occurred_at"], meta, timezone=tz)
    if as_of_d is None:
        raise InputError("the workspace has no incidents; import some first ('patrolnet import WORKSPACE incidents FILE')",
                         code="data.no_incidents")
    start_d = _to_date(data_start, "data_start") if data_start is not None else (
        meta_date(meta, "data_start") or (inc["occurred_at"].min().date() if len(inc) else None))
    year, h = parse_half(half) if isinstance(half, str) else (half or default_half(as_of_d))
    windows = half_windows(year, h, as_of=as_of_d, timezone=tz, data_start=start_d)
    # the rankings are made on a month's windows: the half's under their names
    as_month = {k: replace(windows[h], key=k) for k, h in (("month", "half"), ("previous_month", "previous_half"),
                                                          ("month_last_year", "half_last_year"))}
    s_rank = station_ranking(inc, windows=as_month, stations=stations, communities=communities,
                             alpha=alpha).rename(columns=_RENAME)
    n_rank = neighborhood_ranking(inc, windows=as_month, neighborhoods=neighborhoods, stations=stations,
                                  communities=communities).rename(columns=_RENAME)
    models, _ = model_tracker(inc, windows=windows, neighborhoods=neighborhoods, communities=communities,
                              controlled_share=controlled_share)
    label = _label(year, h)
    notes: list[tuple[str, str]] = []
    if windows["half"].end.date() < (dt.date(year, 7, 1) if h == 1 else dt.date(year + 1, 1, 1)):
        last = windows["half"].last_day
        notes.append((f"{label[0]}尚未结束：本期及各对比期均统计至{last.month}月{last.day}日（截至{as_of_d}）。",
                       f"{label[1]} is not over: the half and every comparison period run to {last:%m-%d} "
                       f"(data to {as_of_d})."))
    uncovered = [k for k, w in windows.items() if not w.covered]
    if uncovered:
        notes.append((f"数据自{start_d}起：{', '.join(uncovered)} 期间早于数据起始日，基期记为“无基期数据”而非0。",
                      f"Data start on {start_d}: {', '.join(uncovered)} begin before it, so those baselines are "
                      f"shown as 'no baseline data', not zero."))
    district = str(meta.get("district") or meta.get("name") or workspace_name or "district")
    return HalfYearReport(district=district, workspace=str(workspace_name or meta.get("name") or "workspace"),
                          half=(year, h), label=label, as_of=as_of_d, timezone=tz, windows=windows,
                          tables={"stations": s_rank, "neighborhoods": n_rank, "models": models}, notes=tuple(notes))
