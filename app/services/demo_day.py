"""The demo arrives lived-in (issue 18): after the district is built, the work a commander's office
would already have done, once, recorded as the pages show it, so that every page has real content at
first sight: the coverage split, the camera gap list, last month's report and tonight's plan.

Each output is recorded as the command line records its own (:func:`app.services.plans.record_output`,
author ``demo``), so the pages show them as the latest outputs on record.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Any

from app.report_render import FORMATS
from app.services.cameras import camera_gaps_job, gaps_summary
from app.services.params import default_month, shift_day
from app.services.plans import inputs_version, record_output
from app.services.reports import make_report, report_summary
from app.services.routes import plan_summary, routes_job
from app.services.split import split_workspace
from app.storage.workspace import Workspace
from geo.progress import Progress, no_progress

__all__ = ["TONIGHT", "live_in"]

#: The shift planned for tonight.
TONIGHT = "20:00-24:00"


def _record(ws: Workspace, kind: str, *, files: list[Path], result: dict[str, Any], params: dict[str, Any]) -> str:
    rec = record_output(ws.path, kind=kind, author="demo", inputs=inputs_version(ws), keep_copy=True, params=params,
                        folder=files[0].parent, files=[p.name for p in files], result=result)
    return rec.id


def live_in(ws: Workspace, *, split_only: bool = False, day: dt.date | None = None, lang: str = "zh-CN",
            progress: Progress | None = None) -> tuple[Workspace, dict[str, str]]:
    """Run, once, the split (when it has not run), then (unless ``split_only``) the camera gap list,
    last month's report and the plan of tonight's shift (``day``: default today in the workspace's
    time zone), each recorded; the workspace and the record ids by kind."""
    report = progress or no_progress
    done: dict[str, str] = {}
    if not ws.has("edge_owners"):
        ws, _, _ = split_workspace(ws, progress=report)
    if split_only:
        return ws, done
    with tempfile.TemporaryDirectory(prefix="pn-demo-day-") as tmp:
        out = Path(tmp)
        report("camera gaps", 0.0)
        gaps, path = camera_gaps_job(ws, out=out / "gaps" / f"{ws.path.stem}-camera-gaps.xlsx", lang=lang)
        ws = Workspace(ws.path)  # (the gap layers written)
        done["camera_gaps"] = _record(ws, "camera_gaps", files=[path], result=gaps_summary(ws, gaps, risk=True),
                                      params={"risk": True})
        report("report", 0.0)
        month = default_month(ws)
        rep, files = make_report(ws, out=out / "report", month=month, lang=lang)
        paths = [p for f in FORMATS if f in files for p in (files[f].values() if isinstance(files[f], dict) else [files[f]])]
        done["report"] = _record(ws, "report", files=paths, result=report_summary(rep, lang),
                                 params={"month": month, "lang": lang})
        report("tonight's plan", 0.0)
        tonight = day or shift_day(ws)
        plans, written = routes_job(ws, shift=TONIGHT, date=tonight, out=out / "plan", progress=report)
        done["routes"] = _record(ws, "routes", files=list(written), result=plan_summary(plans, day=tonight, shift=TONIGHT),
                                 params={"shift": TONIGHT})
    report("lived-in", 1.0)
    return ws, done
