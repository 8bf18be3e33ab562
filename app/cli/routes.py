"""``patrolnet routes``: plan a shift for the brigade's vehicles and the grid teams."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from app.cli.options import (
    DaskOpt,
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
)

__all__ = ["routes"]


def routes(
    workspace: WorkspaceArg,
    shift: Annotated[str, typer.Option("--shift", help="Shift window HH:MM-HH:MM, e.g. 20:00-24:00.")],
    out: Annotated[Path, typer.Option("--out", help="A folder (all formats) or a .geojson/.gpx/.kml/.html/.csv file.")],
    date: Annotated[str | None, typer.Option("--date", help="Day of the shift (YYYY-MM-DD; default today).")] = None,
    kinds: Annotated[
        list[str] | None, typer.Option("--kind", help="Unit kinds to plan (repeatable; default brigade_vehicle, grid_team).")
    ] = None,
    team_minutes: Annotated[float, typer.Option("--team-minutes", help="Length of a grid team's loop.", min=10)] = 120.0,
    time_limit: Annotated[float, typer.Option("--time-limit", help="Search effort per team loop in nominal seconds (a fixed count of search rounds, 600 a second, not a wall-clock limit: the same inputs give the same plan).", min=0.01)] = 0.1,
    lookback_days: Annotated[float, typer.Option("--lookback-days", help="Incident history that sets risk.", min=1)] = 365.0,
    dask: DaskOpt = None,
    lang: LangOpt = "zh-CN",
) -> None:
    """Plan the shift: brigade routes over their beats, "1+2+N" loops in the neighborhoods."""
    from app.services.fanout import command_fanout, open_fanout
    from app.services.params import shift_day
    from app.services.routes import plan_summary, routes_job
    from app.services.workspace import open_workspace

    lang = language(lang)
    day = parse_day(date, "--date", lang)
    with planner_errors(lang):
        ws = open_workspace(workspace)
        with open_fanout(command_fanout(dask)) as fan, progress_bar(lang=lang) as report:
            plans, written = routes_job(ws, shift=shift, date=day, out=out, kinds=kinds,
                                        team_minutes=team_minutes, time_limit_s=time_limit,
                                        lookback_days=lookback_days, progress=report, fanout=fan)
        day = shift_day(ws, day)
        rec = record_run(workspace, ws, "routes", lang=lang, files=written,
                         params={"shift": shift, "date": day.isoformat(), "kinds": list(kinds or []),
                                 "team_minutes": team_minutes, "time_limit_s": time_limit,
                                 "lookback_days": lookback_days},
                         result=plan_summary(plans, day=day, shift=shift))
    record_audit(workspace, "routes", shift=shift, date=str(day or ""), units=len(plans),
                 files=[str(p) for p in written], record=rec.id)
    view = Table(title=say("cli.routes.title", lang, n=len(plans), shift=shift), title_justify="left")
    for c in ("unit_id", "unit_kind", "length_km", "duration_min", "stops"):
        view.add_column(c, justify="left" if c.startswith("unit") else "right")
    for p in plans:
        view.add_row(str(p.unit_id), str(p.unit_kind), f"{p.length_m / 1000:.1f}", f"{p.duration_min:.0f}",
                     str(len(p.stops)))
    console.print(view)
    for path in written:
        console.print(f"  {path}", highlight=False)
    changes = rec.result.get("changes")
    if changes:
        console.print(say("cli.plans.changes", lang, previous=changes["previous"], added=len(changes["added"]),
                          removed=len(changes["removed"]), changed=len(changes["changed"]), same=changes["same"]),
                      highlight=False)
