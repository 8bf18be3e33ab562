"""``patrolnet cameras coverage``, ``gaps`` and ``site``: what the cameras see, what they miss, and
where new ones help most."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from app.cli.options import (LangOpt, WorkspaceArg, console, language, planner_errors, record_audit, record_run, say,
                             writing_turn)

__all__ = ["cameras_cli"]

cameras_cli = typer.Typer(help="Cameras (探头): coverage, gap lists, where to add cameras.", no_args_is_help=True)
NoRiskOpt = Annotated[bool, typer.Option("--no-risk", help="Rank by past incidents only (skip the forecast).")]


@cameras_cli.command("coverage")
def cameras_coverage(workspace: WorkspaceArg, no_risk: NoRiskOpt = False, lang: LangOpt = "zh-CN") -> None:
    """What the cameras see: streets, neighborhoods and entrances, sub-zones, past incidents."""
    from app.services.cameras import camera_coverage_job
    from app.services.workspace import open_workspace

    with planner_errors(lang):
        figures = camera_coverage_job(open_workspace(workspace), risk=not no_risk)
    typer.echo(json.dumps(figures, ensure_ascii=False, indent=2, default=float))


@cameras_cli.command("gaps")
def cameras_gaps(
    workspace: WorkspaceArg,
    out: Annotated[Path, typer.Option("--out", help="FILE.csv, FILE.xlsx or FILE.geojson.")],
    segment_m: Annotated[float, typer.Option("--segment-m", help="Road pieces of this length (m).", min=5)] = 50.0,
    no_risk: NoRiskOpt = False,
    lang: LangOpt = "zh-CN",
) -> None:
    """Risky places no camera sees, ranked by risk (headers in zh-CN or English by --lang)."""
    from app.services.cameras import camera_gaps_job, gaps_summary

    lang = language(lang)
    with planner_errors(lang):
        with writing_turn(workspace) as ws:
            gaps, path = camera_gaps_job(ws, out=out, lang=lang, segment_m=segment_m, risk=not no_risk)
        rec = record_run(workspace, ws, "camera_gaps", lang=lang, files=[path],
                         result=gaps_summary(ws, gaps, risk=not no_risk),
                         params={"segment_m": segment_m, "risk": not no_risk})
    record_audit(workspace, "camera_gaps", out=path, gaps=len(gaps), record=rec.id)
    kinds = gaps["kind"].value_counts().to_dict() if "kind" in gaps else {}
    console.print(say("cli.cameras.gaps", lang, n=len(gaps), path=str(path)), highlight=False)
    for kind, n in kinds.items():
        console.print(f"  {kind}: {n:,}", highlight=False)


@cameras_cli.command("site")
def cameras_site(
    workspace: WorkspaceArg,
    out: Annotated[Path, typer.Option("--out", help="FILE.csv, FILE.xlsx or FILE.geojson.")],
    add: Annotated[int | None, typer.Option("--add", help="How many new cameras.", min=1)] = None,
    target_share: Annotated[
        float | None, typer.Option("--target-share", help="Fewest cameras reaching this share of gap risk (0-1).", min=0.0, max=1.0)
    ] = None,
    budget_per_station: Annotated[
        int | None, typer.Option("--budget-per-station", help="At most this many new cameras per station.", min=0)
    ] = None,
    radius_m: Annotated[float, typer.Option("--radius-m", help="A new camera covers this far (m).", min=5)] = 50.0,
    spacing_m: Annotated[float, typer.Option("--spacing-m", help="Candidate spacing along streets (m).", min=5)] = 25.0,
    method: Annotated[str, typer.Option("--method", help="auto, exact, highs or greedy.")] = "auto",
    no_risk: NoRiskOpt = False,
    lang: LangOpt = "zh-CN",
) -> None:
    """Where K new cameras add the most risk-weighted coverage (existing cameras kept)."""
    from app.services.cameras import camera_siting_job, siting_summary
    from app.services.workspace import open_workspace

    lang = language(lang)
    with planner_errors(lang):
        ws = open_workspace(workspace)
        plan, path = camera_siting_job(ws, out=out, add=add, target_share=target_share,
                                       budget_per_station=budget_per_station, radius_m=radius_m, spacing_m=spacing_m,
                                       method=method, lang=lang, risk=not no_risk)
        rec = record_run(workspace, ws, "camera_site", lang=lang, files=[path], result=siting_summary(plan, top=add),
                         params={"add": add, "target_share": target_share, "budget_per_station": budget_per_station,
                                 "radius_m": radius_m, "spacing_m": spacing_m, "method": method, "risk": not no_risk})
    record_audit(workspace, "camera_site", out=path, sites=len(plan.sites), record=rec.id)
    console.print(say("cli.cameras.site", lang, n=len(plan.sites), path=str(path)), highlight=False)
    typer.echo(json.dumps(plan.figures, ensure_ascii=False, indent=2, default=float))
