"""Jobs shared by the CLI and the web app: each one calls the pure core and writes the workspace.

Nothing here holds planning logic; a job strings core calls together and reports progress through
a ``progress(stage, fraction)`` callback that the CLI turns into a rich progress bar and the web app
into a job status.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from geo.workspace import Workspace, create_workspace

Progress = Callable[[str, float], None]


def _noop(stage: str, fraction: float) -> None:
    return None


def build_demo_workspace(
    path: str | Path,
    *,
    seed: int = 1979,
    as_of: dt.date | None = None,
    scale: float = 1.0,
    overwrite: bool = False,
    progress: Progress | None = None,
) -> Workspace:
    """Build the synthetic demo district (modelled on Yushui, Xinyu) into a new workspace file.

    The build is deterministic for a given ``seed``, ``as_of`` and ``scale``; the file is written
    atomically, so an interrupted build leaves no half-written workspace behind.
    """
    from geo.demo import build_demo

    report = progress or _noop
    district = build_demo(seed=seed, as_of=as_of, scale=scale, progress=report)
    report("write workspace", 0.0)
    ws = create_workspace(
        path,
        district.layers,
        crs=district.crs,
        meta=district.meta,
        sources=district.sources,
        overwrite=overwrite,
    )
    report("write workspace", 1.0)
    return ws
