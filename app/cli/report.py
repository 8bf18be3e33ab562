"""``patrolnet report``: the method's monthly report as HTML, XLSX, CSV and JSON."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from app.cli.options import (LangOpt, WorkspaceArg, console, flat_paths, language, parse_day, planner_errors,
                             record_audit, record_run, say)

__all__ = ["report"]


def report(
    workspace: WorkspaceArg,
    out: Annotated[Path, typer.Option("--out", help="Folder for the HTML, XLSX, CSV and JSON files.")],
    month: Annotated[
        str | None, typer.Option("--month", help="Month of the report, YYYY-MM (default: the last full month).")
    ] = None,
    half: Annotated[
        str | None, typer.Option("--half", help="Instead of a month: the half-year station report (residents' "
                                              "review meetings), YYYY-H1 or YYYY-H2.")
    ] = None,
    week: Annotated[
        str | None, typer.Option("--week", help="Week of the bulletins: a day in it (YYYY-MM-DD) or YYYY-Www.")
    ] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Last day of data (default: the workspace's).")] = None,
    controlled_share: Annotated[
        float, typer.Option("--controlled-share", help="A 'controlled' model neighborhood is down by this share.", min=0, max=1)
    ] = 0.5,
    station: Annotated[
        str | None, typer.Option("--station", help="One station's own monthly report (its jurisdiction alone, "
                                                 "titled with its name), e.g. S01.")
    ] = None,
    lang: LangOpt = "zh-CN",
) -> None:
    """The method's monthly report: year-over-year, rankings, model neighborhoods, weekly bulletins;
    with --half, the half-year station report instead; with --station, one station's own report."""
    from app.services.params import report_period
    from app.services.reports import make_report, make_station_report, report_summary
    from app.services.workspace import open_workspace

    lang = language(lang)
    with planner_errors(lang):
        month, half = report_period(month, half)
        ws = open_workspace(workspace)
        if half is not None:
            _half_year(workspace, ws, out=out, half=half, as_of=as_of, controlled_share=controlled_share, lang=lang)
            return
        day = parse_day(as_of, "--as-of", lang)
        if station is None:
            rep, files = make_report(ws, out=out, month=month, week=week, as_of=day,
                                     controlled_share=controlled_share, lang=lang)
        else:
            rep, files = make_station_report(ws, station, out=out, month=month, week=week, as_of=day,
                                             controlled_share=controlled_share, lang=lang)
        rec = record_run(workspace, ws, "report", lang=lang, files=files, result=report_summary(rep, lang),
                         params={"month": month, "week": week, "as_of": as_of, "controlled_share": controlled_share,
                                 "lang": lang, **({"station_id": station} if station else {})})
    record_audit(workspace, "report", month=month, out=out, record=rec.id,
                 **({"station_id": station} if station else {}))
    head = rep.table("headline")
    view = Table(title=say("cli.report.done", lang, month=rep.month), title_justify="left")
    for col in ("measure", "month", "month_last_year", "yoy_change", "ytd", "ytd_last_year", "ytd_yoy_change"):
        view.add_column(col, justify="left" if col == "measure" else "right")
    for row in head.itertuples(index=False):
        pct = lambda v: "" if v is None or v != v else f"{v:+.1%}"  # noqa: E731
        view.add_row(str(row.measure), f"{row.month:,}", f"{row.month_last_year:,}", pct(row.yoy_change),
                     f"{row.ytd:,}", f"{row.ytd_last_year:,}", pct(row.ytd_yoy_change))
    console.print(view)

    for path in flat_paths(files):
        console.print(f"  {path}", highlight=False)


def _half_year(workspace: Path, ws: Any, *, out: Path, half: str, as_of: str | None, controlled_share: float,
               lang: str) -> None:
    """``patrolnet report --half``: the half-year station report, recorded and audited as a report."""
    from app.services.reports import half_year_summary, make_half_year_report

    rep, files = make_half_year_report(ws, out=out, half=half, as_of=parse_day(as_of, "--as-of", lang),
                                       controlled_share=controlled_share, lang=lang)
    rec = record_run(workspace, ws, "report", lang=lang, files=files, result=half_year_summary(rep, lang),
                     params={"half": half, "as_of": as_of, "controlled_share": controlled_share, "lang": lang})
    record_audit(workspace, "report", half=half, out=out, record=rec.id)
    view = Table(title=say("cli.report.half_done", lang, half=rep.label[1] if lang == "en" else rep.label[0]),
                 title_justify="left")
    for col in ("rank", "station", "cases", "half_last_year", "yoy_change"):
        view.add_column(col, justify="left" if col == "station" else "right")
    for _, r in rep.tables["stations"].iterrows():
        yoy = r["yoy_change"]
        view.add_row(str(r["rank"]), str(r["name_en"] if lang == "en" else r["name"]), f"{r['cases']:,}",
                     "-" if r["half_last_year"] is None or r["half_last_year"] != r["half_last_year"] else
                     f"{r['half_last_year']:,}", "" if yoy is None or yoy != yoy else f"{yoy:+.1%}")
    console.print(view)
    for path in flat_paths(files):
        console.print(f"  {path}", highlight=False)
