"""Benchmark stages of the shift fanned out on Dask (issue 14).

* ``routes.dask.serial``, ``routes.dask.local1``, ``routes.dask.local2``: the district's evening
  shift (20:00-24:00, every brigade vehicle and grid team, the workspace as ``routes.shift`` reads
  it) through the service the command line calls (``routes_job``), in this process, on a
  LocalCluster of one worker process, and of two. Figures: the planning's wall time (``plan_s``,
  the graph built and the files written excluded), the LocalCluster's start (``cluster_s``), the
  peak memory of the whole process tree (this process and its workers, sampled every 0.2 s) beside
  the stage's own, the CPU seconds of this process and of each worker while planning and writing
  (robust to other work on the machine, unlike the wall time), the 1-minute load average before
  and after, and a digest of the plans: the three stages of one scale must print the same.
* ``routes.dask.brigade.serial``, ``.local1``, ``.local2``: the same for the brigade's vehicles
  only (one piece per beat on Dask), a 10x run of which stays within two minutes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import threading
import time
from typing import Any, Self

from bench.stages import Context, stage

SHIFT = "20:00-24:00"


class _TreePeak:
    """Peak RSS (MB) of this process plus its children, sampled in a thread."""

    def __init__(self, every_s: float = 0.2) -> None:
        import psutil

        self._me = psutil.Process()
        self._every = every_s
        self._stop = threading.Event()
        self.peak_mb = 0.0
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> None:
        import psutil

        total = 0
        for p in [self._me, *self._me.children(recursive=True)]:
            try:
                total += p.memory_info().rss
            except psutil.Error:
                pass
        self.peak_mb = max(self.peak_mb, total / 1e6)

    def _run(self) -> None:
        while not self._stop.wait(self._every):
            self._sample()

    def __enter__(self) -> Self:
        self._sample()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()


def _digest(plans: list[Any]) -> str:
    h = hashlib.sha256()
    for p in plans:
        h.update(repr((p.unit_id, p.unit_kind, p.beat, p.edge_ids, p.arc_start_s, p.stops, p.length_m)).encode())
    return h.hexdigest()[:12]


def _cpu_s() -> float:
    """CPU seconds (user + system) of this process so far."""
    import psutil

    t = psutil.Process().cpu_times()
    return float(t.user + t.system)


def _fanned_shift(ctx: Context, option: str | None, kinds: tuple[str, ...] | None = None) -> dict[str, Any]:
    from app.services.fanout import open_fanout
    from app.services.routes import routes_job
    from app.storage.workspace import Workspace

    if not ctx.workspace.exists():
        from app.services.workspace import build_demo_workspace

        build_demo_workspace(ctx.workspace, seed=ctx.seed, as_of=ctx.as_of, scale=ctx.scale, overwrite=True)
    ws = Workspace(ctx.workspace)
    marks: dict[str, float] = {}

    def progress(step: str, share: float) -> None:
        if step == "plan":
            marks.setdefault("plan0", time.perf_counter())
            if share >= 1.0:
                marks["plan1"] = time.perf_counter()

    out = ctx.workdir / f"dask-{option or 'serial'}-x{ctx.scale:g}".replace(":", "")
    shutil.rmtree(out, ignore_errors=True)
    load0 = os.getloadavg()[0]
    with _TreePeak() as tree:
        t0 = time.perf_counter()
        with open_fanout(option) as fan:
            t1 = time.perf_counter()
            cpu0 = _cpu_s()
            before = fan.client.run(_cpu_s) if option else {}
            plans, written = routes_job(ws, shift=SHIFT, date=ctx.as_of + dt.timedelta(days=1), out=out,
                                        progress=progress, fanout=fan, kinds=kinds)
            after = fan.client.run(_cpu_s) if option else {}
            cpu_main = _cpu_s() - cpu0
            workers = fan.workers
        t2 = time.perf_counter()
    worker_cpu = sorted((after[w] - before.get(w, 0.0) for w in after), reverse=True)
    shutil.rmtree(out, ignore_errors=True)
    return {
        "workers": workers if option else 0, "plan_s": round(marks["plan1"] - marks["plan0"], 1),
        "cluster_s": round(t1 - t0, 1), "total_s": round(t2 - t0, 1), "tree_peak_mb": round(tree.peak_mb),
        "cpu_main_s": round(cpu_main, 1), "cpu_workers_s": "/".join(f"{c:.1f}" for c in worker_cpu) or "-",
        "load_1min": f"{load0:.1f}->{os.getloadavg()[0]:.1f}",
        "units": len(plans), "files": len(written), "digest": _digest(plans),
    }


@stage("routes.dask.serial")
def dask_serial(ctx: Context) -> dict[str, Any]:
    """The whole shift planned in this process (the default)."""
    return _fanned_shift(ctx, None)


@stage("routes.dask.local1")
def dask_local1(ctx: Context) -> dict[str, Any]:
    """The whole shift in pieces on a LocalCluster of one worker process."""
    return _fanned_shift(ctx, "local:1")


@stage("routes.dask.local2")
def dask_local2(ctx: Context) -> dict[str, Any]:
    """The whole shift in pieces on a LocalCluster of two worker processes."""
    return _fanned_shift(ctx, "local:2")


@stage("routes.dask.brigade.serial")
def dask_brigade_serial(ctx: Context) -> dict[str, Any]:
    """The brigade's shift planned in this process."""
    return _fanned_shift(ctx, None, ("brigade_vehicle",))


@stage("routes.dask.brigade.local1")
def dask_brigade_local1(ctx: Context) -> dict[str, Any]:
    """The brigade's shift, one piece per beat, on a LocalCluster of one worker process."""
    return _fanned_shift(ctx, "local:1", ("brigade_vehicle",))


@stage("routes.dask.brigade.local2")
def dask_brigade_local2(ctx: Context) -> dict[str, Any]:
    """The brigade's shift, one piece per beat, on a LocalCluster of two worker processes."""
    return _fanned_shift(ctx, "local:2", ("brigade_vehicle",))
