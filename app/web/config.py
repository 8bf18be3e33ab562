"""Settings of the web app: passed explicitly to :func:`app.web.create_app`, or read once from the
environment by :func:`get_settings` (never at import time)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from app.assets import assets_dir
from app.i18n import DEFAULT_LANG, normalize_lang
from app.services.fanout import parse_fanout
from app.storage import is_url
from app.storage.pg import parse_location
from geo.errors import InputError

__all__ = ["ENV_DASK", "ENV_HTTPS", "ENV_LANG", "ENV_MBTILES", "ENV_OUTPUTS", "ENV_PUBLIC_URL", "ENV_WORKSPACE", "Settings", "get_settings"]

ENV_WORKSPACE = "PATROLNET_WORKSPACE"
ENV_MBTILES = "PATROLNET_MBTILES"
ENV_LANG = "PATROLNET_LANG"
ENV_HTTPS = "PATROLNET_HTTPS"
ENV_JOB_PROCESSES = "PATROLNET_JOB_PROCESSES"
ENV_JOB_POLL = "PATROLNET_JOB_POLL"
ENV_OUTPUTS = "PATROLNET_OUTPUTS"
#: Where jobs plan heavy work in pieces (``--dask``: ``tcp://HOST:PORT`` or ``local:N``); unset: in the job.
ENV_DASK = "PATROLNET_DASK"
ENV_PUBLIC_URL = "PATROLNET_PUBLIC_URL"


@dataclass(frozen=True)
class Settings:
    """What one running app serves."""

    #: The workspace: a ``.gpkg`` file (a :class:`~pathlib.Path`) or a ``postgresql://...?schema=NAME``
    #: location (kept as the text it is; see :attr:`location`).
    workspace_path: Path | str
    mbtiles: Path | None = None
    default_lang: str = DEFAULT_LANG
    assets_dir: Path = field(default_factory=assets_dir)
    asset_url_prefix: str = "/assets"
    #: Refuse to start without the npm assets (pages need them); False serves the API only.
    require_assets: bool = True
    #: Largest upload accepted by the data page (``POST /api/v1/imports``); bigger ones get a 413.
    max_upload_bytes: int = 50 * 1024 * 1024
    #: Background threads running jobs (routes, hotspots, ...); the server itself never waits.
    job_workers: int = 2
    #: Where jobs write (default: ``<workspace dir>/<workspace stem>-outputs``; for a PostgreSQL
    #: workspace ``./<schema>-outputs`` in the folder the server started in).
    outputs_dir: Path | None = None
    #: Run jobs in worker processes (``patrolnet serve`` does) instead of threads of the server.
    job_processes: bool = False
    #: Also take jobs queued by other processes (or given back after a process died), looking every
    #: so many seconds (``patrolnet serve`` does); ``None``: run only the jobs submitted here.
    job_poll_s: float | None = None
    #: A running job whose process has not renewed its lease for this long (it died) is queued again.
    job_lease_s: float = 30.0
    #: A browser session ends this long after sign-in (a shift and a half), or ...
    session_hours: float = 12.0
    #: ... after this long without a request.
    session_idle_minutes: float = 60.0
    #: Bearer tokens for scripts (``POST /api/v1/auth/token``) live this long at most.
    token_hours: float = 12.0
    #: Mark the session cookie ``Secure`` and send HSTS: set when served over HTTPS (a reverse proxy).
    https: bool = False
    #: Failed sign-ins allowed per (client, user name) and per client in a moving window.
    login_limit_user: str = "5/5 minutes"
    login_limit_client: str = "20/5 minutes"
    #: Jobs that plan in pieces (routes) run them on this Dask scheduler (``tcp://HOST:PORT``) or on a
    #: LocalCluster of N processes per job (``local:N``); ``None``: in the job's own process.
    dask: str | None = None
    #: The address phones reach this server at, for one-shift links and their QR codes (e.g.
    #: ``http://10.1.2.3:8000``); ``None``: the address the planner's browser used.
    public_url: str | None = None

    def __post_init__(self) -> None:
        if self.public_url is not None:
            parts = urlsplit(self.public_url)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise InputError(f"{ENV_PUBLIC_URL}={self.public_url!r}: give the address phones reach the server at, "
                                 f"e.g. http://10.1.2.3:8000", code="config.public_url", url=self.public_url)
        if is_url(self.workspace_path):  # a URL stays text (a Path would fold its '//')
            object.__setattr__(self, "workspace_path", os.fspath(self.workspace_path))
            parse_location(self.workspace_path)  # a bad schema name is refused now
            if self.outputs_dir is None:
                object.__setattr__(self, "outputs_dir", Path.cwd() / f"{self.workspace_name}-outputs")
        else:
            object.__setattr__(self, "workspace_path", Path(self.workspace_path))
        if self.mbtiles is not None:
            object.__setattr__(self, "mbtiles", Path(self.mbtiles))
        object.__setattr__(self, "assets_dir", Path(self.assets_dir))
        object.__setattr__(self, "default_lang", normalize_lang(self.default_lang))
        if self.outputs_dir is not None:
            object.__setattr__(self, "outputs_dir", Path(self.outputs_dir))
        if self.dask is not None:
            kind, address = parse_fanout(self.dask)  # a bad address is refused now, not at the first job
            object.__setattr__(self, "dask", None if kind == "serial" else address if kind == "tcp" else f"local:{address}")
        if self.max_upload_bytes < 1 or self.job_workers < 1:
            raise InputError("max_upload_bytes and job_workers must be at least 1")
        if min(self.session_hours, self.session_idle_minutes, self.token_hours) <= 0:
            raise InputError("session_hours, session_idle_minutes and token_hours must be positive")

    @property
    def location(self) -> str:
        """The workspace as :func:`app.storage.open_store` takes it (a path's text or the URL)."""
        return os.fspath(self.workspace_path)

    @property
    def is_file(self) -> bool:
        """Whether the workspace is a ``.gpkg`` file (else a PostgreSQL schema)."""
        return isinstance(self.workspace_path, Path)

    @property
    def workspace_name(self) -> str:
        """What output files are named after: the file's stem, or the PostgreSQL schema."""
        if isinstance(self.workspace_path, Path):
            return self.workspace_path.stem
        return parse_location(self.workspace_path)[1]

    @property
    def output_root(self) -> Path:
        """The folder every job writes into (one sub-folder per job)."""
        if self.outputs_dir is not None:
            return self.outputs_dir
        ws = Path(self.workspace_path)
        return ws.parent / f"{ws.stem}-outputs"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings from ``PATROLNET_WORKSPACE`` (required: a ``.gpkg`` path or a ``postgresql://`` URL),
    ``PATROLNET_OUTPUTS`` (where jobs write), ``PATROLNET_MBTILES``, ``PATROLNET_LANG``,
    ``PATROLNET_HTTPS``, ``PATROLNET_PUBLIC_URL`` (where phones reach the server), ``PATROLNET_JOB_PROCESSES`` (default on), ``PATROLNET_JOB_POLL`` (seconds between
    looks at the job queue, default 1; 0: off), ``PATROLNET_DASK`` (where routes jobs plan in pieces)
    and ``PATROLNET_ASSETS_DIR``; read on
    first call and cached."""
    workspace = os.environ.get(ENV_WORKSPACE)
    if not workspace:
        raise InputError(
            f"no workspace given: set {ENV_WORKSPACE}=path/to/workspace.gpkg "
            f"(or run 'patrolnet serve --workspace ...')"
        )
    mbtiles = os.environ.get(ENV_MBTILES) or None
    outputs = os.environ.get(ENV_OUTPUTS) or None
    return Settings(
        workspace_path=workspace if is_url(workspace) else Path(workspace),
        outputs_dir=Path(outputs) if outputs else None,
        mbtiles=Path(mbtiles) if mbtiles else None,
        default_lang=os.environ.get(ENV_LANG) or DEFAULT_LANG,
        https=os.environ.get(ENV_HTTPS, "").strip().lower() in ("1", "true", "yes", "on"),
        job_processes=os.environ.get(ENV_JOB_PROCESSES, "1").strip().lower() not in ("0", "false", "no", "off"),
        job_poll_s=_seconds(os.environ.get(ENV_JOB_POLL, "1"), ENV_JOB_POLL),
        dask=os.environ.get(ENV_DASK) or None,
        public_url=os.environ.get(ENV_PUBLIC_URL) or None,
    )


def _seconds(raw: str, name: str) -> float | None:
    """A number of seconds from an environment variable (``0``, ``off``: ``None``)."""
    text = raw.strip().lower()
    if text in ("", "0", "off", "no", "false"):
        return None
    try:
        value = float(text)
    except ValueError:
        raise InputError(f"{name}={raw!r} is not a number of seconds; write e.g. {name}=1 (or 0 for off)") from None
    if not value > 0:
        raise InputError(f"{name}={raw!r} must be more than 0 seconds (or 0 for off)")
    return value
