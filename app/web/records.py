"""Finished web jobs as durable records (issue 14): the ``on_done`` hook the app gives its job runner.

The runner (:mod:`app.web.tasks`) knows no job kind; this module knows which kinds make a record
and records them through :func:`app.services.plans.record_output`, with the job id as the record id
(the job's page and the record's are the same output).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from app.services.plans import RECORDED_KINDS, inputs_version, record_output
from app.storage.workspace import Workspace
from app.web.tasks import Job

__all__ = ["RECORDED_KINDS", "recorder"]

def recorder(workspace_path: str | os.PathLike[str]) -> Callable[[Job, Workspace | None], dict[str, Any] | None]:
    """The hook recording each finished job of a recorded kind in ``workspace_path``'s records (a
    ``.gpkg`` path or a ``postgresql://`` location); it returns ``{"record_id": ...}`` for the job's result."""
    path = os.fspath(workspace_path)

    def on_done(job: Job, ws: Workspace | None) -> dict[str, Any] | None:
        kind = RECORDED_KINDS.get(job.kind)
        if kind is None:
            return None
        rec = record_output(
            path, kind=kind, author=job.owner, params=job.params,
            inputs=inputs_version(ws) if ws is not None else "", folder=job.out_dir, files=sorted(job.files),
            result=job.result, station_id=job.station_id, record_id=job.id,
        )
        return {"record_id": rec.id}

    return on_done
