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

Modules
-------
:mod:`~geo.reports.measures` (levels, measures, comparisons), :mod:`~geo.reports.windows` (months,
weeks, report windows), :mod:`~geo.reports.incidents` (the prepared incidents),
:mod:`~geo.reports.counting` (counts, changes, the comparison table), :mod:`~geo.reports.rankings`,
:mod:`~geo.reports.models` (model neighborhoods), :mod:`~geo.reports.bulletins` (weekly bulletins),
:mod:`~geo.reports.report` (the :class:`Report`, its tables and the incidents behind a cell) and
:mod:`~geo.reports.build` (:func:`build_report`).
"""

from __future__ import annotations

from .build import build_report
from .bulletins import TIME_BANDS, TIPS, weekly_bulletins
from .counting import compare_changes, comparison_table, count_matrix
from .incidents import prepare_incidents
from .measures import (
    COMPARISONS,
    CRIMINAL,
    HEADLINE_MEASURES,
    LEVEL_COLUMN,
    LEVELS,
    MEASURES,
    NEIGHBORHOOD_MEASURES,
    RANK_METHOD,
    TWO_ROBBERIES_ONE_THEFT,
    Measure,
)
from .models import model_tracker
from .rankings import neighborhood_ranking, station_ranking
from .report import Report, ReportTable, cell_incident_ids, cell_incidents
from .windows import Window, default_week, parse_month, parse_week, report_windows

__all__ = [
    "COMPARISONS",
    "CRIMINAL",
    "HEADLINE_MEASURES",
    "LEVELS",
    "LEVEL_COLUMN",
    "MEASURES",
    "NEIGHBORHOOD_MEASURES",
    "RANK_METHOD",
    "TIME_BANDS",
    "TIPS",
    "TWO_ROBBERIES_ONE_THEFT",
    "Measure",
    "Report",
    "ReportTable",
    "Window",
    "build_report",
    "cell_incident_ids",
    "cell_incidents",
    "compare_changes",
    "comparison_table",
    "count_matrix",
    "default_week",
    "model_tracker",
    "neighborhood_ranking",
    "parse_month",
    "parse_week",
    "prepare_incidents",
    "report_windows",
    "station_ranking",
    "weekly_bulletins",
]
