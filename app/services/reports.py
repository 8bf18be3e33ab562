"""The method's monthly report (``patrolnet report``): year over year, rankings, model neighborhoods
and weekly bulletins, built from the workspace (:func:`geo.reports.build_report`) and written as
HTML, XLSX, CSV and JSON (:func:`app.report_render.write_report`) in one call."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from app.report_render import write_report
from app.services.params import default_month, last_data_day, parse_month
from app.storage.workspace import Workspace
from geo.progress import Progress, no_progress

__all__ = ["build_monthly_report", "make_report"]


def build_monthly_report(
    ws: Workspace,
    *,
    month: str | None = None,
    week: str | None = None,
    as_of: dt.date | None = None,
    controlled_share: float = 0.5,
) -> Any:
    """The report (:class:`geo.reports.Report`) of ``month`` (``YYYY-MM``,
    :func:`app.services.params.parse_month`; default: the last full month of data), with data to
    ``as_of`` (default: :func:`app.services.params.last_data_day`).

    Raises
    ------
    InputError
        A malformed month, one after the data, a bad week, or missing layers (the report needs
        stations, communities, neighborhoods and incidents).
    """
    from geo.reports import build_report

    as_of = as_of or last_data_day(ws)
    m = parse_month(month) if month is not None and str(month).strip() else default_month(ws, as_of)
    return build_report(ws, month=m, week=week, as_of=as_of, controlled_share=controlled_share)


def make_report(
    ws: Workspace,
    *,
    out: str | Path,
    month: str | None = None,
    week: str | None = None,
    as_of: dt.date | None = None,
    controlled_share: float = 0.5,
    lang: str = "zh-CN",
    progress: Progress | None = None,
) -> tuple[Any, dict[str, Any]]:
    """Build the report (:func:`build_monthly_report`) and write its files into ``out`` in ``lang``;
    the report and the files (``html``, ``xlsx``, ``json``: a path; ``csv``: table -> path).
    Progress stages: ``report``, ``write``."""
    report = progress or no_progress
    report("report", 0.0)
    rep = build_monthly_report(ws, month=month, week=week, as_of=as_of, controlled_share=controlled_share)
    report("write", 0.0)
    files = write_report(rep, out, lang=lang)
    report("write", 1.0)
    return rep, files
