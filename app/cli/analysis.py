"""``patrolnet hotspots``, ``forecast`` and ``backtest``: where and when incidents gather, and
where they will."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from app.cli.options import (
    CategoryOpt,
    JsonOpt,
    LangOpt,
    WorkspaceArg,
    console,
    language,
    parse_day,
    planner_errors,
    progress_bar,
    record_audit,
    record_run,
    say,
    writing_turn,
)

__all__ = ["backtest", "forecast", "hotspots", "watchlist"]


def hotspots(
    workspace: WorkspaceArg,
    out: Annotated[Path, typer.Option("--out", help="Folder for the outputs (grid, GeoPackages, CSV, JSON).")],
    from_: Annotated[str | None, typer.Option("--from", help="First day (YYYY-MM-DD).")] = None,
    to: Annotated[str | None, typer.Option("--to", help="Last day (YYYY-MM-DD).")] = None,
    category: CategoryOpt = None,
    cell_m: Annotated[float, typer.Option("--cell-m", help="Density grid cell (m).", min=1)] = 50.0,
    bandwidth_m: Annotated[float, typer.Option("--bandwidth-m", help="Kernel bandwidth (m).", min=1)] = 200.0,
    as_json: JsonOpt = False,
    lang: LangOpt = "zh-CN",
) -> None:
    """Hotspots: density surface, Gi* hot and cold spots, time profile, near repeats."""
    from app.services.hotspots import hotspots_job

    lang = language(lang)
    start, end = parse_day(from_, "--from", lang), parse_day(to, "--to", lang)
    with planner_errors(lang):
        with writing_turn(workspace) as ws, progress_bar(lang=lang) as report:
            _, summary = hotspots_job(ws, out_dir=out, start=start, end=end, categories=category,
                                      cell_m=cell_m, bandwidth_m=bandwidth_m, progress=report)
    record_audit(workspace, "hotspots", out=out, files=summary["files"])
    if as_json:
        typer.echo(json.dumps(summary, ensure_ascii=False, indent=2, default=str))
        return
    console.print(say("cli.hotspots.done", lang, n=summary["incidents"], start=summary["from"],
                      end=summary["to"]), highlight=False)
    for key in ("subzones", "segments"):
        if key in summary:
            console.print(f"  {key}: {summary[key]}", highlight=False)
    knox = summary.get("knox", {})
    if knox:
        console.print(f"  Knox ({knox.get('distance_m')} m, {knox.get('days')} d): ratio {knox.get('ratio', 0):.2f}, "
                      f"p = {knox.get('p_value', 1):.3f}", highlight=False)
    for name, path in summary["files"].items():
        console.print(f"  {name}: {path}", highlight=False)


def forecast(
    workspace: WorkspaceArg,
    out: Annotated[Path, typer.Option("--out", help="Ranked list: .csv, .gpkg or .geojson.")],
    as_of: Annotated[str | None, typer.Option("--as-of", help="Last day of data (default: the newest incident).")] = None,
    horizon_days: Annotated[int, typer.Option("--horizon-days", help="7 (next week) or 28 (next 4 weeks).", min=1, max=92)] = 7,
    method: Annotated[str | None, typer.Option("--method", help="Forecast method (default and 'auto': counting, unless a "
                                                              "model beat it on this workspace's last 52 weeks by a "
                                                              "backtest; shrinkage on under 14 weeks of data).")] = None,
    cells: Annotated[str, typer.Option("--cells", help="subzones, segments or grid.")] = "subzones",
    cell_m: Annotated[float, typer.Option("--cell-m", help="Grid cell (m) for --cells grid.", min=10)] = 150.0,
    category: CategoryOpt = None,
    top: Annotated[int, typer.Option("--top", help="Rows to print.", min=0)] = 10,
    lang: LangOpt = "zh-CN",
) -> None:
    """Next-period risk per sub-zone, street segment or grid cell: a ranked list and a map layer."""
    from app.services.forecast import forecast_job, forecast_summary
    from app.services.watch import honesty

    lang = language(lang)
    with planner_errors(lang):
        with writing_turn(workspace) as ws:
            new_ws, ranked, path = forecast_job(ws, out=out, as_of=parse_day(as_of, "--as-of", lang),
                                                horizon_days=horizon_days, method=method, cells=cells,
                                                cell_m=cell_m, categories=category)
        summary = forecast_summary(new_ws, ranked, cells=cells, horizon_days=horizon_days)
        rec = record_run(workspace, new_ws, "forecast", lang=lang, files=[path], result=summary,
                         params={"as_of": as_of, "horizon_days": horizon_days, "method": method, "cells": cells,
                                 "cell_m": cell_m, "categories": list(category or [])})
    record_audit(workspace, "forecast", out=path, horizon_days=horizon_days, cells=cells, record=rec.id)
    console.print(say("cli.forecast.done", lang, n=len(ranked), path=str(path)), highlight=False)
    # how the method was chosen and how it did beside counting: the watch list's honesty line
    console.print(honesty(new_ws.meta_json(f"forecast_{cells}", {}) or {}, lang)["text"], highlight=False)
    view = Table()
    shown = ranked.head(top)
    for c in shown.columns[:6]:
        view.add_column(str(c))
    for row in shown.iloc[:, :6].itertuples(index=False):
        view.add_row(*[(f"{v:,.3f}" if isinstance(v, float) else str(v)) for v in row])
    if top:
        console.print(view)


def backtest(
    workspace: WorkspaceArg,
    out: Annotated[Path, typer.Option("--out", help="The table as CSV.")],
    start_week: Annotated[int, typer.Option("--start-week", help="First evaluated week (1-based).", min=1)] = 14,
    end_week: Annotated[int, typer.Option("--end-week", help="Last evaluated week.", min=1)] = 52,
    tune_weeks: Annotated[str, typer.Option("--tune-weeks", help="Weeks to choose parameters on, e.g. 2-13 (or 'none').")] = "2-13",
    cells: Annotated[str, typer.Option("--cells", help="grid, subzones or segments.")] = "grid",
    cell_m: Annotated[float, typer.Option("--cell-m", help="Grid cell (m).", min=10)] = 150.0,
    year: Annotated[int | None, typer.Option("--year", help="Week 1 starts on January 1 of this year (default: week "
                                                          "52 is the last whole week of data).")] = None,
    category: CategoryOpt = None,
    lang: LangOpt = "zh-CN",
) -> None:
    """Rolling-origin weekly backtest: every forecast method beside the naive baselines."""
    from app.services.forecast import backtest_job, check_weeks, parse_tune_weeks
    from app.services.workspace import open_workspace

    lang = language(lang)
    with planner_errors(lang):
        tune = parse_tune_weeks(tune_weeks)
        check_weeks(start_week, end_week)  # before the workspace is read; the tuning weeks in the service
        ws = open_workspace(workspace)
        table = backtest_job(ws, out=out, start_week=start_week, end_week=end_week, tune_weeks=tune, cells=cells,
                             cell_m=cell_m, year=year, categories=category)
    record_audit(workspace, "backtest", out=out, weeks=f"{start_week}-{end_week}")
    view = Table(title=say("cli.backtest.title", lang, start=start_week, end=end_week), title_justify="left")
    for c in ("method", "coverage", "hit_rate", "pai", "pei", "vs_best_baseline (95% CI)", "verdict"):
        view.add_column(c, justify="left" if c in ("method", "verdict") else "right")
    for row in table.itertuples(index=False):
        vs = "" if row.vs_best_baseline != row.vs_best_baseline else (
            f"{row.vs_best_baseline:+.1%} [{row.vs_ci_low:+.1%}, {row.vs_ci_high:+.1%}]")
        view.add_row(str(row.method), f"{row.coverage:.0%}", f"{row.hit_rate:.3f}", f"{row.pai:.1f}", f"{row.pei:.3f}",
                     vs, say(f"cli.backtest.{row.verdict}", lang) if isinstance(row.verdict, str) else "")
    console.print(view)
    console.print(f"  {out}", highlight=False)


def watchlist(
    workspace: WorkspaceArg,
    shift: Annotated[str, typer.Option("--shift", help="Shift window HH:MM-HH:MM, e.g. 20:00-24:00 or 22:00-06:00.")],
    date: Annotated[str | None, typer.Option("--date", help="Day of the shift (default: today).")] = None,
    cells: Annotated[str, typer.Option("--cells", help="The forecast to rank: subzones, segments or grid.")] = "subzones",
    top: Annotated[int, typer.Option("--top", help="Places to list.", min=1, max=500)] = 20,
    out: Annotated[Path | None, typer.Option("--out", help="Also write the list: .csv or .xlsx.")] = None,
    lang: LangOpt = "zh-CN",
) -> None:
    """Where to watch in one shift: the stored forecast's places ranked for the shift's hours and
    weekday, named, with how the forecast did beside counting."""
    from app.services.watch import watch_list_job, write_watch_list
    from app.services.workspace import open_workspace

    lang = language(lang)
    with planner_errors(lang):
        day = parse_day(date, "--date", lang)
        ws = open_workspace(workspace)
        result = watch_list_job(ws, shift=shift, day=day, cells=cells, top=top, lang=lang)
        path = write_watch_list(result, out) if out else None
    if path:
        record_audit(workspace, "watchlist", out=path, shift=result["shift"], day=result["day"], cells=cells)
    console.print(result["title"], highlight=False)
    if result["stale_text"]:
        console.print(result["stale_text"], highlight=False)
    console.print(result["honesty"]["text"], highlight=False)
    view = Table()
    for c in ("rank", "place", "station", "expected_window", "same_hours_12m"):
        view.add_column(say(f"watch.col.{c}", lang), justify="left" if c in ("place", "station") else "right")
    for row in result["rows"]:
        view.add_row(str(row["rank"]), str(row["place"]), str(row["station"] or ""), f"{row['expected_window']:.3f}",
                     str(row["same_hours_12m"]))
    console.print(view)
    console.print(result["method_note"], highlight=False)
    if path:
        console.print(f"  {path}", highlight=False)
