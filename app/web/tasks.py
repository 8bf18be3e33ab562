"""Background jobs of the web app: the jobs the CLI runs, queued durably and run by a pool.

A :class:`JobManager` keeps every job in the workspace's durable queue
(:class:`app.storage.jobs.JobStore`; a ``job.json`` beside its outputs too), so that every web worker
and every ``patrolnet worker`` process sees every job, and jobs outlive the process that ran them. Each job writes into its own folder ``<outputs>/<job id>/`` under the workspace's output
folder (:attr:`app.web.config.Settings.output_root`), never elsewhere: the files it exposes are the
ones found in that folder after the run, looked up by exact name, so a request cannot reach outside
it. Jobs that write the workspace (grid, split, hotspots, forecast, import) run one at a time (the
job write lock, held across processes); the others (routes, backtest, camera gaps) only read it and run beside them.

Progress is the jobs' own ``progress(stage, fraction)`` callbacks mapped onto 0..1 with per-kind
stage weights (:attr:`JobKind.stages`).

The runner knows no job kind: the app hands it its kinds (:data:`app.web.job_kinds.JOB_KINDS`) when
it makes the :class:`JobManager`, and a job's parameters (validated once, when submitted) are passed
to the kind's function as they are.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import multiprocessing
import os
import re
import secrets
import socket
import signal
import sys
import threading
import time
import traceback
import warnings
from collections import OrderedDict
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.i18n import said
from app.storage import location_of, open_store, open_workspace
from app.storage.audit import ACTIONS
from app.storage.jobs import JobStore
from app.storage.workspace import GeometryWarning, Workspace
from app.web.pool import lower_priority
from geo.atomic import atomic_write_text
from geo.errors import PlannerError, WorkspaceError
from geo.progress import Progress

__all__ = [
    "JOB_ID_RE",
    "MEDIA_TYPES",
    "Job",
    "JobContext",
    "JobKind",
    "JobManager",
    "JobNotFoundError",
    "WorkerLostError",
    "media_type",
]

log = logging.getLogger("patrolnet.jobs")

JOB_ID_RE = re.compile(r"^[0-9]{8}-[0-9]{6}-[0-9a-f]{6}$")
#: Download media types by file suffix.
MEDIA_TYPES: dict[str, str] = {
    ".gpx": "application/gpx+xml",
    ".zip": "application/zip",
    ".kml": "application/vnd.google-earth.kml+xml",
    ".geojson": "application/geo+json",
    ".csv": "text/csv; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".json": "application/json",
    ".gpkg": "application/geopackage+sqlite3",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".asc": "text/plain; charset=us-ascii",
    ".prj": "text/plain; charset=us-ascii",
    ".txt": "text/plain; charset=utf-8",
}
#: Files a job folder may hold that are not outputs (the job record, uploaded inputs).
_PRIVATE = {"job.json", ".progress.json"}
_PROGRESS = ".progress.json"


def media_type(name: str) -> str:
    return MEDIA_TYPES.get(Path(name).suffix.lower(), "application/octet-stream")


class JobNotFoundError(WorkspaceError):
    """No job (or no such file of a job) of that id; a 404."""


@dataclass
class JobContext:
    """What a job function gets: the workspace, its folder, the progress callback, the language."""

    ws: Workspace
    out_dir: Path
    progress: Progress
    lang: str
    stem: str
    #: Files in ``out_dir`` that are inputs (uploads), not outputs.
    inputs: set[str] = field(default_factory=set)
    #: Where a job that plans in pieces runs them (``--dask``: ``tcp://HOST:PORT``, ``local:N``; None: here).
    dask: str | None = None


#: A job function: (context, the parameters as submitted) -> (JSON-able result, content date used in
#: the file names).
JobFunc = Callable[[JobContext, Any], tuple[dict[str, Any], dt.date | None]]


@dataclass(frozen=True)
class JobKind:
    name: str
    run: JobFunc
    writes_workspace: bool
    #: Stage name -> share of the whole run, in order (unknown stages keep the bar where it is).
    stages: tuple[tuple[str, float], ...] = ()
    #: Workspace layers the job (re)writes, linked from its result.
    layers: tuple[str, ...] = ()
    #: Rename outputs to ``<workspace>-<date>-<content>`` (off when the job names them so itself).
    rename: bool = True
    #: ``load(params)``: the function's arguments from the job's JSON parameters, for a job taken
    #: from the queue by another process (default: the parameters as they are).
    load: Callable[[Mapping[str, Any]], Any] | None = None


@dataclass
class Job:
    id: str
    kind: str
    params: dict[str, Any]
    lang: str
    out_dir: Path
    status: str = "queued"  # queued, running, done, failed
    stage: str | None = None
    #: The stage in the job's language (``stage`` is the word the job reports).
    stage_label: str | None = None
    progress: float = 0.0
    created_at: str = field(default_factory=lambda: _now())
    started_at: str | None = None
    finished_at: str | None = None
    elapsed_s: float | None = None
    result: dict[str, Any] | None = None
    error: str | None = None
    error_type: str | None = None
    #: The failure as the job's pages say it (the job's language, advice for the form); ``error`` is
    #: the error's own text.
    message: str | None = None
    files: dict[str, Path] = field(default_factory=dict)
    layers: tuple[str, ...] = ()
    #: The user who submitted the job (empty: the server itself) and, for a station user, its station.
    owner: str = ""
    station_id: str | None = None
    #: Things the user should know about a finished job that did not fail it (e.g. its output
    #: could not be recorded, or it ran again after its first process died).
    notes: list[str] = field(default_factory=list)
    #: Uploaded input files in :attr:`out_dir` (not outputs).
    inputs: list[str] = field(default_factory=list)
    #: How many times a process took the job (more than one: an earlier process died running it).
    attempts: int = 0
    #: What the kind's function gets (the validated parameters); ``params`` is their JSON record.
    args: Any = field(default=None, repr=False)
    #: The workspace the job read (opened when it started), for the ``on_done`` hook.
    read_from: Any = field(default=None, repr=False)
    future: Future[None] | None = field(default=None, repr=False)
    _t0: float = field(default=0.0, repr=False)

    @property
    def finished(self) -> bool:
        return self.status in ("done", "failed")

    def as_dict(self, prefix: str = "/api/v1/jobs") -> dict[str, Any]:
        href = f"{prefix}/{self.id}"
        return {
            "id": self.id, "kind": self.kind, "status": self.status, "stage": self.stage,
            "stage_label": self.stage_label,
            "progress": round(self.progress, 4), "params": self.params, "lang": self.lang,
            "owner": self.owner or None,
            "created_at": self.created_at, "started_at": self.started_at,
            "finished_at": self.finished_at,
            "elapsed_s": self.elapsed_s if self.finished else self._running_for(),
            "attempts": self.attempts,
            "error": self.error, "error_type": self.error_type, "message": self.message,
            "result": self.result, "notes": list(self.notes),
            "files": [
                {"name": name, "href": f"{href}/files/{name}", "media_type": media_type(name),
                 "size_bytes": path.stat().st_size if path.exists() else None}
                for name, path in sorted(self.files.items())
            ],
            "layers": [{"name": n, "href": f"/api/v1/layers/{n}"} for n in self.layers],
            "href": href,
        }

    def _running_for(self) -> float | None:
        if self._t0:
            return round(time.monotonic() - self._t0, 2)
        if self.status == "running" and self.started_at:  # run by another process
            try:
                return round((dt.datetime.now(dt.UTC) - dt.datetime.fromisoformat(self.started_at))
                             .total_seconds(), 2)
            except ValueError:
                return None
        return None

    # -- as the queue keeps it ---------------------------------------------------------------------
    def row(self) -> dict[str, Any]:
        """The job's record in the queue (:class:`app.storage.jobs.JobStore`)."""
        return {
            "id": self.id, "kind": self.kind, "status": self.status, "lang": self.lang, "owner": self.owner,
            "station_id": self.station_id, "params": self.params, "out_dir": str(self.out_dir.resolve()),
            "inputs": list(self.inputs), "created_at": self.created_at, **self.state(),
        }

    def state(self) -> dict[str, Any]:
        """What a run changes."""
        return {
            "status": self.status, "started_at": self.started_at, "finished_at": self.finished_at,
            "elapsed_s": self.elapsed_s, "stage": self.stage, "stage_label": self.stage_label,
            "progress": self.progress, "result": self.result, "error": self.error, "error_type": self.error_type,
            "message": self.message, "files": sorted(self.files), "layers": list(self.layers),
            "notes": list(self.notes),
        }

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Job:
        out_dir = Path(row["out_dir"])
        job = cls(id=row["id"], kind=row["kind"], params=dict(row["params"]), lang=row["lang"], out_dir=out_dir,
                  owner=row["owner"] or "", station_id=row["station_id"], inputs=list(row["inputs"] or []),
                  created_at=row["created_at"])
        job.refresh(row)
        return job

    def refresh(self, row: Mapping[str, Any]) -> None:
        """Take the queue's state of the job (it ran, or runs, in another process)."""
        for name in ("status", "started_at", "finished_at", "elapsed_s", "stage", "stage_label", "result", "error",
                     "error_type", "message"):
            setattr(self, name, row[name])
        self.progress = float(row["progress"] or 0.0)
        self.files = {name: self.out_dir / name for name in row["files"] or []}
        self.layers = tuple(row["layers"] or ())
        self.notes = list(row["notes"] or [])
        self.attempts = int(row["attempts"] or 0)


def _now() -> str:
    return dt.datetime.now(dt.UTC).astimezone().isoformat(timespec="seconds")


class WorkerLostError(PlannerError):
    """The process running a job stopped (killed, crashed, its machine lost) before it finished."""


class JobManager:
    """Queues jobs in the workspace's durable queue and runs them in a pool.

    Every job is a row of :class:`app.storage.jobs.JobStore`; whichever process claims a queued job
    first runs it: the web worker it was submitted to (its pool picks it up at once), another web
    worker, or a ``patrolnet worker``. Jobs, their progress and outcome are read from the queue, so
    every process sees every job, and they outlive the process. A running job's process renews its
    lease every second; when a process dies, the job is queued again (once) or failed with the reason.

    Parameters
    ----------
    open_workspace
        Returns the current workspace (reopened when its file changed).
    output_root
        The folder that holds one sub-folder per job (shared by every process that runs jobs).
    kinds
        The job kinds by name.
    describe
        ``describe(error, lang)``: a failed job's :attr:`Job.message` (default: the error's text).
    label_stage
        ``label_stage(stage, lang)``: a stage as :attr:`Job.stage_label` (default: the stage itself).
    on_done
        ``on_done(job, workspace)``: called when a job has run and its outputs are named, before it is
        marked done, with the workspace it read; what it returns (a mapping) is added to the job's
        result. The app records outputs with it (:mod:`app.web.records`). A failure of the hook is
        logged and noted in the job (:attr:`Job.notes`); it never fails the job.
    workers
        Jobs run at once by this process (threads of the pool).
    processes
        Run the jobs in worker processes (``patrolnet serve``): a planning run then does not hold
        the web server's interpreter lock. Only kinds whose function a worker can import by name
        run there; the others run in the thread pool.
    store
        The queue (default: the workspace's :class:`~app.storage.jobs.JobStore`).
    poll_s
        Also take queued jobs submitted elsewhere (or given back after a process died), looking every
        ``poll_s`` seconds (``patrolnet serve`` and ``patrolnet worker``); ``None``: only the jobs
        submitted here.
    lease_s, max_attempts
        A job whose process has not renewed its lease for ``lease_s`` seconds is queued again, up
        to ``max_attempts`` runs in all, then failed.
    """

    def __init__(self, open_workspace: Callable[[], Workspace], output_root: Path,
                 kinds: Mapping[str, JobKind], *, workers: int = 2, processes: bool = False,
                 describe: Callable[[BaseException, str], str] | None = None,
                 label_stage: Callable[[str, str], str] | None = None,
                 on_done: Callable[[Job, Workspace], Mapping[str, Any] | None] | None = None,
                 store: JobStore | None = None, poll_s: float | None = None, lease_s: float = 30.0,
                 max_attempts: int = 2, dask: str | None = None):
        self._open = open_workspace
        #: Given to every job (JobContext.dask): where a job planning in pieces runs them.
        self.dask = dask
        self.output_root = Path(output_root)
        self.kinds = dict(kinds)
        self._describe = describe or (lambda exc, lang: str(exc))
        self._label_stage = label_stage or (lambda stage, lang: stage)
        self._on_done = on_done
        self._workers = workers
        self._pool: ThreadPoolExecutor | None = None
        self.processes = processes
        self._procs: ProcessPoolExecutor | None = None
        self._store = store
        #: This process's name in the queue (who holds a job).
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self.poll_s = poll_s
        self.lease_s = float(lease_s)
        self.max_attempts = int(max_attempts)
        #: Jobs this process holds the lease of (running here), and the ones it has handed to its pool.
        self._running: dict[str, Job] = {}
        self._pending: set[str] = set()
        #: Job objects this process made (submitted or took), so that callers holding one see it change.
        self._known: OrderedDict[str, Job] = OrderedDict()
        self._lock = threading.Lock()
        self.write_lock = threading.Lock()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._beat: threading.Thread | None = None
        self._reaped_at = 0.0

    def workspace(self) -> Workspace:
        """The workspace the jobs run on, opened afresh (its newest state)."""
        return self._open()

    @property
    def store(self) -> JobStore:
        if self._store is None:
            self._store = open_store(location_of(self._open())).jobs()
        return self._store

    # -- submitting ---------------------------------------------------------------------------
    def _executor(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=self._workers, thread_name_prefix="pn-job")
            return self._pool

    def new_job(self, kind: str, params: Mapping[str, Any], *, lang: str, owner: str = "",
                station_id: str | None = None, args: Any = None, inputs: Mapping[str, bytes] | None = None) -> Job:
        """A queued job with its (new) folder holding ``inputs``; ``args`` (default: ``params``) is
        what the kind's function gets."""
        if kind not in self.kinds:
            raise JobNotFoundError(f"no job kind {kind!r}; kinds: {', '.join(sorted(self.kinds))}")
        job_id = f"{dt.datetime.now():%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"
        out_dir = self.output_root / job_id
        out_dir.mkdir(parents=True, exist_ok=False)
        job = Job(id=job_id, kind=kind, params=dict(params), lang=lang, out_dir=out_dir, owner=owner,
                  station_id=station_id)
        job.args = job.params if args is None else args
        for name, data in (inputs or {}).items():
            target = self._inside(job, name)
            target.write_bytes(data)
            job.inputs.append(target.name)
        self.store.add(job.row())  # queued: from now on any process may take it
        self._remember(job)
        self._write_record(job)
        return job

    def submit(self, kind: str, params: Mapping[str, Any], *, lang: str,
               inputs: Mapping[str, bytes] | None = None, owner: str = "", station_id: str | None = None,
               args: Any = None) -> Job:
        """Queue a job and hand it to this process's pool; returns at once. ``params`` is the job's
        JSON record of its parameters and ``args`` (default: ``params``) what the kind's function gets,
        e.g. the validated parameter model; ``inputs`` are files written into the job's folder first
        (names must be plain file names); ``owner`` is the user submitting it."""
        job = self.new_job(kind, params, lang=lang, owner=owner, station_id=station_id, args=args, inputs=inputs)
        with self._lock:
            self._pending.add(job.id)
        job.future = self._executor().submit(self._run, job, set(job.inputs))
        self._start_beat()
        return job

    def _remember(self, job: Job) -> None:
        with self._lock:
            self._known[job.id] = job
            self._known.move_to_end(job.id)
            while len(self._known) > 200:
                self._known.popitem(last=False)

    # -- running --------------------------------------------------------------------------------
    def _run(self, job: Job, inputs: set[str]) -> None:
        """Take ``job`` from the queue and run it (nothing, when another process took it first)."""
        try:
            row = self.store.claim(self.worker_id, lease_s=self.lease_s, job_id=job.id)
        except Exception:  # noqa: BLE001 - the queue is unreachable: the job stays queued for a poller
            log.warning("job %s: could not take it from the queue", job.id, exc_info=True)
            row = None
        with self._lock:
            self._pending.discard(job.id)
            if row is not None:
                self._running[job.id] = job
        if row is None:
            return
        job.attempts = int(row["attempts"])
        job.notes = list(row["notes"] or [])
        try:
            self._execute(job, inputs)
        finally:
            with self._lock:
                self._running.pop(job.id, None)
            self._wake.set()

    def _execute(self, job: Job, inputs: set[str]) -> None:
        kind = self.kinds[job.kind]
        job.status, job.started_at, job._t0 = "running", _now(), time.monotonic()
        self._set_stage(job, "queued for the workspace" if kind.writes_workspace else None)
        self._save(job)
        try:
            if kind.writes_workspace:
                with self.write_lock, self.store.write_turn():
                    result, day = self._call(job, kind, inputs)
            else:
                result, day = self._call(job, kind, inputs)
            job.result = result
            self._collect(job, inputs, day, rename=kind.rename)
            extra = result.get("layer") if isinstance(result, dict) else None
            job.layers = kind.layers + ((str(extra),) if extra and extra not in kind.layers else ())
            self._finish(job)
            job.status, job.progress = "done", 1.0
        except PlannerError as exc:
            job.status, job.error, job.error_type = "failed", str(exc), type(exc).__name__
            try:
                job.message = self._describe(exc, job.lang)
            except Exception:  # noqa: BLE001 - saying it in the page's language must not lose the failure
                log.warning("job %s: could not word its error", job.id, exc_info=True)
                job.message = job.error
            partial = getattr(exc, "job_result", None)
            job.result = partial if isinstance(partial, dict) else None
            self._collect(job, inputs, None)
        except Exception as exc:  # a bug: keep the server up, record it, log the traceback
            log.error("job %s (%s) crashed:\n%s", job.id, job.kind, traceback.format_exc())
            job.status, job.error_type = "failed", type(exc).__name__
            job.error = f"internal error ({type(exc).__name__}: {exc}); see the server log"
            self._collect(job, inputs, None)
        finally:
            job.finished_at = _now()
            job.elapsed_s = round(time.monotonic() - job._t0, 3)
            job.read_from = None
            if not self._save(job):
                log.warning("job %s: this process lost it (its lease ran out and another process took it); "
                            "its outcome here is not recorded", job.id)
            self._audit(job)

    def _finish(self, job: Job) -> None:
        """The ``on_done`` hook (best effort: a failure is a warning in the log and a note in the job)."""
        if self._on_done is None:
            return
        try:
            extra = self._on_done(job, job.read_from)
        except Exception as exc:  # noqa: BLE001 - the job's outputs exist; recording them is extra
            log.warning("job %s (%s): the on_done hook failed", job.id, job.kind, exc_info=True)
            job.notes.append(f"the job's output was not recorded ({type(exc).__name__}: {exc})")
            return
        if extra:
            job.result = {**(job.result or {}), **dict(extra)}

    def _audit(self, job: Job) -> None:
        """Record the job in the workspace's append-only audit log (best effort: never fails a job)."""
        action = job.kind if job.kind in ACTIONS else "export"
        try:
            ws = self._open()
            open_store(location_of(ws)).audit().record(actor=f"web:{job.owner}" if job.owner else f"web ({job.lang})", action=action,
                   target=str(ws.path.name),
                   details={"job": job.id, "status": job.status, "params": job.params,
                            "files": sorted(p.name for p in job.out_dir.iterdir()) if job.out_dir.exists() else []})
        except Exception:  # noqa: BLE001 - the audit log must not turn a finished job into a crash
            log.warning("job %s: could not write the audit log", job.id, exc_info=True)

    def _call(self, job: Job, kind: JobKind, inputs: set[str]) -> tuple[dict[str, Any], dt.date | None]:
        weights = dict(kind.stages)
        order = [s for s, _ in kind.stages]
        done_before = {s: sum(weights[o] for o in order[: i]) for i, s in enumerate(order)}

        def progress(stage: str, fraction: float) -> None:
            f = max(0.0, min(1.0, float(fraction)))
            if stage != job.stage:
                self._set_stage(job, stage)
            if stage in weights:
                total = done_before[stage] + weights[stage] * f
                job.progress = max(job.progress, min(0.99, total))

        ws = job.read_from = self._open()  # after taking the lock: build on the newest file
        if self.processes and _importable(kind.run):
            return self._call_in_process(job, kind, inputs, ws, progress)
        ctx = JobContext(ws=ws, out_dir=job.out_dir, progress=progress, lang=job.lang,
                         stem=ws.path.stem, inputs=set(inputs), dask=self.dask)
        return kind.run(ctx, job.args)

    def _set_stage(self, job: Job, stage: str | None) -> None:
        try:
            label = None if stage is None else self._label_stage(stage, job.lang)
        except Exception:  # noqa: BLE001 - a missing label must not stop the job
            label = stage
        job.stage, job.stage_label = stage, label

    def _process_pool(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._procs is None:
                # forkserver, not fork: the server has threads; workers live on between jobs, with
                # the modules of the job functions loaded once
                context = multiprocessing.get_context("forkserver")
                context.set_forkserver_preload(sorted({k.run.__module__ for k in self.kinds.values()
                                                       if _importable(k.run)}))
                self._procs = ProcessPoolExecutor(max_workers=self._workers, mp_context=context,
                                                  initializer=_job_process_start, initargs=(os.getpid(),))
            return self._procs

    def _call_in_process(self, job: Job, kind: JobKind, inputs: set[str], ws: Workspace,
                         progress: Progress) -> tuple[dict[str, Any], dt.date | None]:
        """Run the job in a worker process; its progress comes back through a small file."""
        marker = job.out_dir / _PROGRESS
        future = self._process_pool().submit(_run_in_child, kind.run, location_of(ws), str(job.out_dir), job.lang,
                                             ws.path.stem, sorted(inputs), job.args, str(marker), self.dask)
        seen = 0.0
        while True:
            try:
                return future.result(timeout=0.25)
            except FutureTimeout:
                try:
                    st = marker.stat()
                    if st.st_mtime != seen:
                        seen = st.st_mtime
                        stage, fraction = json.loads(marker.read_text(encoding="utf-8"))
                        progress(str(stage), float(fraction))
                except (OSError, ValueError):
                    pass
            except BrokenProcessPool as exc:
                with self._lock:
                    self._procs = None  # the next job gets a new pool
                raise RuntimeError(f"the job's worker process died ({exc}); the workspace is unchanged, "
                                   f"run the job again") from exc

    def _collect(self, job: Job, inputs: set[str], day: dt.date | None, *, rename: bool = True) -> None:
        """Name the outputs ``<workspace>-<date>-<content>.<ext>`` and record them."""
        stem = self._stem()
        day = day or dt.date.today()
        files: dict[str, Path] = {}
        renamed: dict[str, str] = {}
        for path in sorted(job.out_dir.iterdir()):
            if not path.is_file() or path.name in _PRIVATE or path.name.startswith(".") or path.name in inputs:
                continue
            name = _dated_name(path.name, stem, day) if rename else path.name
            if name != path.name and not (job.out_dir / name).exists():
                renamed[path.name] = name
                path = path.rename(job.out_dir / name)
            files[path.name] = path
        job.files = files
        if job.result and renamed:
            job.result = _renamed(job.result, renamed)
        job.error, job.message = (self._tidy(job, text, renamed) for text in (job.error, job.message))

    @staticmethod
    def _tidy(job: Job, text: str | None, renamed: Mapping[str, str]) -> str | None:
        """No server paths in messages; outputs by their final names."""
        if not text:
            return text
        msg = text.replace(str(job.out_dir.resolve()) + "/", "").replace(str(job.out_dir) + "/", "")
        for old, new in renamed.items():
            msg = re.sub(rf"(?<![\w.-]){re.escape(old)}", new, msg)
        return msg

    def _stem(self) -> str:
        try:
            return self._open().path.stem
        except PlannerError:
            return "workspace"

    # -- the heartbeat: leases, progress, jobs given back -------------------------------------------------
    def _start_beat(self) -> None:
        with self._lock:
            if self._beat is not None or self._stop.is_set():
                return
            self._beat = threading.Thread(target=self._heartbeat, name="pn-job-beat", daemon=True)
            self._beat.start()

    def start(self) -> None:
        """Start looking after the queue now (``poll_s`` set: take queued jobs at once)."""
        self._start_beat()
        self._wake.set()

    def _heartbeat(self) -> None:
        interval = max(0.05, min(0.5, self.lease_s / 4))
        saved: dict[str, tuple[Any, ...]] = {}
        while not self._stop.is_set():
            try:
                with self._lock:
                    running = list(self._running.values())
                if running:
                    held = self.store.renew([j.id for j in running], self.worker_id, lease_s=self.lease_s)
                    for job in running:
                        mark = (job.stage, round(job.progress, 3))
                        if job.id in held and saved.get(job.id) != mark and job.status == "running":
                            self.store.save(job.id, self.worker_id, {"stage": job.stage, "stage_label": job.stage_label,
                                                                     "progress": job.progress})
                            saved[job.id] = mark
                    saved = {k: v for k, v in saved.items() if k in held}
                if self.poll_s is not None:
                    self._reap(force=True)
                    self._take()
            except Exception:  # noqa: BLE001 - the heartbeat must go on (the queue may be busy for a moment)
                log.warning("job queue heartbeat failed", exc_info=True)
            self._wake.wait(interval if self._running else (self.poll_s or interval))
            self._wake.clear()

    def _take(self) -> None:
        """Take queued jobs while this process has free slots (``poll_s`` set)."""
        while not self._stop.is_set():
            with self._lock:
                free = self._workers - len(self._running) - len(self._pending)
            if free <= 0:
                return
            row = self.store.claim(self.worker_id, lease_s=self.lease_s, kinds=sorted(self.kinds))
            if row is None:
                return
            job = self._known.get(row["id"]) or Job.from_row(row)
            job.refresh(row)
            kind = self.kinds[job.kind]
            if job.args is None:
                job.args = kind.load(job.params) if kind.load is not None else job.params
            with self._lock:
                self._running[job.id] = job
            self._remember(job)
            job.future = self._executor().submit(self._run_taken, job)

    def _run_taken(self, job: Job) -> None:
        try:
            self._execute(job, set(job.inputs))
        finally:
            with self._lock:
                self._running.pop(job.id, None)
            self._wake.set()

    def _reap(self, *, force: bool = False) -> None:
        """Give back (or fail) the jobs of processes that died (at most every 2 s unless ``force``)."""
        now = time.monotonic()
        if not force and now - self._reaped_at < 2.0:
            return
        self._reaped_at = now

        def gone(row: Mapping[str, Any], retry: bool) -> dict[str, Any]:
            attempts = int(row["attempts"])
            if retry:
                note = WorkerLostError("the process running this job stopped; it runs once more",
                                       code="jobs.worker_retried", attempts=attempts)
                return {"notes": [*(row["notes"] or []), self._describe(note, row["lang"])], "stage": None,
                        "stage_label": None, "progress": 0.0}
            exc = WorkerLostError(f"the process running this job stopped (killed or crashed) after {attempts} "
                                  f"attempt(s); the workspace is unchanged, submit the job again",
                                  code="jobs.worker_lost", attempts=attempts)
            return {"error": str(exc), "error_type": type(exc).__name__, "message": self._describe(exc, row["lang"]),
                    "finished_at": _now()}

        try:
            changed = self.store.reap(max_attempts=self.max_attempts, gone=gone)
        except Exception:  # noqa: BLE001 - reading jobs must not fail because the queue is busy
            log.warning("could not look for jobs of stopped processes", exc_info=True)
            return
        if changed:
            log.warning("jobs of stopped processes given back or failed: %s", ", ".join(changed))
            self._wake.set()

    # -- reading ----------------------------------------------------------------------------------
    def _job(self, row: Mapping[str, Any]) -> Job:
        """The job of a queue row: this process's own object while it runs it here."""
        with self._lock:
            mine = self._running.get(row["id"])
            known = self._known.get(row["id"])
        if mine is not None:
            return mine
        if known is not None:
            known.refresh(row)
            return known
        return Job.from_row(row)

    def get(self, job_id: str) -> Job:
        with self._lock:
            mine = self._running.get(job_id)
        if mine is not None:
            return mine
        self._reap()
        row = self.store.get(job_id) if JOB_ID_RE.match(job_id) else None
        if row is None:
            raise JobNotFoundError(f"no job {job_id!r}")
        return self._job(row)

    def list(self, *, kind: str | None = None, status: str | None = None, owner: str | None = None,
             limit: int | None = None, offset: int = 0) -> list[Job]:
        """Jobs, newest first (``owner``: only that user's)."""
        self._reap()
        return [self._job(r) for r in self.store.list(kind=kind, status=status, owner=owner, limit=limit,
                                                       offset=offset)]

    def count(self, *, kind: str | None = None, status: str | None = None, owner: str | None = None) -> int:
        return self.store.count(kind=kind, status=status, owner=owner)

    def latest(self, kind: str, *, status: str = "done") -> Job | None:
        jobs = self.list(kind=kind, status=status, limit=1)
        return jobs[0] if jobs else None

    def file(self, job_id: str, name: str) -> Path:
        """The output ``name`` of job ``job_id``.

        Raises
        ------
        JobNotFoundError
            For an unknown job, or a name that is not one of its outputs (path tricks included).
        """
        job = self.get(job_id)
        path = job.files.get(name)
        if path is None or not path.is_file() or path.resolve().parent != job.out_dir.resolve():
            raise JobNotFoundError(
                f"job {job_id} has no file {name!r}; its files: {', '.join(sorted(job.files)) or 'none'}")
        return path

    def wait(self, job: Job, timeout: float | None = None) -> Job:
        """Wait until ``job`` has finished, here or in another process that took it (a job this
        process handed to its pool and nobody took is returned still queued)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        if job.future is not None:
            job.future.result(timeout=timeout)
        while not job.finished:
            if deadline is not None and time.monotonic() > deadline:
                raise FutureTimeout(f"job {job.id} is still {job.status}")
            row = self.store.get(job.id)
            if row is not None and job.id not in self._running:
                job.refresh(row)
            if job.status == "queued" and (job.future is None or job.future.done()):
                break
            time.sleep(0.1)
        return job

    def _inside(self, job: Job, name: str) -> Path:
        safe = safe_filename(name)
        target = (job.out_dir / safe).resolve()
        if target.parent != job.out_dir.resolve():
            raise JobNotFoundError(f"bad file name {name!r}")
        return target

    def _save(self, job: Job) -> bool:
        """Write the job's state to the queue (while this process holds it) and to ``job.json``."""
        try:
            held = self.store.save(job.id, self.worker_id, job.state())
        except Exception:  # noqa: BLE001 - logged; the job's files are still written
            log.warning("job %s: could not write its state to the queue", job.id, exc_info=True)
            held = False
        self._write_record(job)
        return held

    @staticmethod
    def _write_record(job: Job) -> None:
        try:
            atomic_write_text(job.out_dir / "job.json",
                              json.dumps(job.as_dict(), ensure_ascii=False, indent=2, default=str))
        except OSError:  # a convenience beside the outputs; the queue holds the job
            pass

    def shutdown(self, wait: bool = False) -> None:
        """Stop: jobs still running here go back to the queue (another process, or the next start,
        runs them again; workspace writes are atomic, so stopping one half-way is safe)."""
        self._stop.set()
        self._wake.set()
        with self._lock:
            pool, self._pool = self._pool, None
            procs, self._procs = self._procs, None
            running = list(self._running.values()) if not wait else []
        if pool is not None:
            pool.shutdown(wait=wait, cancel_futures=True)
        if procs is not None:
            if not wait:  # a job still running is stopped: workspace writes are atomic, so this is safe
                for proc in list(getattr(procs, "_processes", {}).values()):
                    proc.terminate()
            procs.shutdown(wait=wait, cancel_futures=True)
        for job in running:
            try:
                self.store.release(job.id, self.worker_id, {"stage": None, "stage_label": None, "progress": 0.0})
            except Exception:  # noqa: BLE001 - its lease runs out instead
                log.warning("job %s: could not give it back to the queue", job.id, exc_info=True)


def _job_process_start(server_pid: int) -> None:
    """In a job worker process, first: run at the background CPU priority (a planning run gives way
    to the requests of signed-in users: :func:`app.web.pool.lower_priority`), and exit when the
    server is gone (even killed with SIGKILL), instead of waiting for work forever as an orphan
    holding its memory. On Linux the kernel also kills the worker the moment its parent (the
    forkserver, which ends with the server) is gone (``PR_SET_PDEATHSIG``): a watch that polls
    can starve for many seconds on a loaded machine, the kernel's signal cannot."""
    lower_priority()
    _die_with_parent()

    def watch() -> None:
        while True:
            time.sleep(2.0)
            try:
                os.kill(server_pid, 0)
            except ProcessLookupError:
                os._exit(0)
            except PermissionError:
                pass

    threading.Thread(target=watch, name="pn-watch-server", daemon=True).start()


def _die_with_parent() -> None:
    """Ask Linux to SIGKILL this process when its parent ends (``prctl(PR_SET_PDEATHSIG)``); a no-op
    elsewhere, or when the parent is already gone (the watch thread then ends it)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return


def _importable(fn: JobFunc) -> bool:
    """Whether a worker process finds ``fn`` by its module and name (how it is sent to the worker):
    a module-level function, not a lambda or a closure."""
    module = sys.modules.get(getattr(fn, "__module__", None) or "")
    return module is not None and getattr(module, getattr(fn, "__qualname__", ""), None) is fn


def _run_in_child(run: JobFunc, ws_path: str, out_dir: str, lang: str, stem: str, inputs: list[str],
                  args: Any, marker: str, dask: str | None = None) -> tuple[dict[str, Any], dt.date | None]:
    """A job in a worker process: the same job function on the workspace at ``ws_path`` (a ``.gpkg``
    path or a ``postgresql://`` location), progress written to ``marker``."""
    last = [0.0, ""]

    def progress(stage: str, fraction: float) -> None:
        now = time.monotonic()
        if stage == last[1] and now - last[0] < 0.2 and fraction < 1.0:
            return
        last[0], last[1] = now, stage
        try:
            atomic_write_text(marker, json.dumps([stage, fraction]))
        except OSError:
            pass

    # one job at a time in this process, so catching warnings here is safe (it is not in threads)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", GeometryWarning)
        ctx = JobContext(ws=open_workspace(ws_path), out_dir=Path(out_dir), progress=progress, lang=lang, stem=stem,
                         inputs=set(inputs), dask=dask)
        result, day = run(ctx, args)
    damaged = [w.message for w in caught if issubclass(w.category, GeometryWarning)]
    notes = list(dict.fromkeys(str(m) for m in damaged))
    if notes and isinstance(result, dict):
        # damaged layers repaired or skipped: the user should know (in English, and in the job's language)
        result = {**result, "warnings": notes, "warnings_text": list(dict.fromkeys(said(m, lang) for m in damaged))}
    return result, day


_SAFE_RE = re.compile(r"[^\w.\-\u4e00-\u9fff]+")


def safe_filename(name: str, default: str = "upload") -> str:
    """A plain file name from whatever a browser sent: no folders, no leading dots, no control or
    shell characters; Chinese kept."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = _SAFE_RE.sub("_", base).strip("._ ")
    if not base:
        return default
    if len(base) > 120:
        stem, dot, ext = base.rpartition(".")
        base = (stem[: 110] + dot + ext[:9]) if dot else base[:120]
    return base


def _dated_name(name: str, stem: str, day: dt.date) -> str:
    """``<stem>-<date>-<rest>``: the workspace, the date and the content in every output name."""
    rest = name[len(stem) + 1:] if name.startswith(f"{stem}-") else name
    if re.match(r"^\d{4}-\d{2}-\d{2}-", rest):
        return f"{stem}-{rest}"
    return f"{stem}-{day.isoformat()}-{rest}"


def _renamed(value: Any, names: Mapping[str, str]) -> Any:
    """Replace old file names (or paths ending in them) by the new names inside a result."""
    if isinstance(value, dict):
        return {k: _renamed(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [_renamed(v, names) for v in value]
    if isinstance(value, str) and value:
        base = re.split(r"[\\/]", value)[-1]
        return names.get(base, value)
    return value
