"""A throwaway PostgreSQL + PostGIS cluster for tests (Debian's ``postgresql-15`` and
``postgresql-15-postgis-3``, installed by ``.ci/run`` when missing).

The cluster lives in a temporary folder, listens on a free loopback port only, trusts local
connections (nobody else can reach it), runs as the ``postgres`` system user when the tests run as
root (``initdb`` refuses root) and is stopped at the end of the session.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

PG_BIN = Path(os.environ.get("PATROLNET_PG_BIN", "/usr/lib/postgresql/15/bin"))
USER = "patrolnet"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_cluster_user(cmd: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return cmd
    return ["runuser", "-u", "postgres", "--", *cmd]


def _run(cmd: list[str], **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=120, **kw)  # type: ignore[call-overload]


def start_cluster(root: Path) -> tuple[str, callable]:  # type: ignore[valid-type]
    """Start a cluster in ``root``; return its URL (database ``patrolnet_test``, PostGIS on) and a
    function that stops it."""
    if not (PG_BIN / "initdb").exists():
        pytest.skip(f"PostgreSQL 15 is missing ({PG_BIN}): apt-get install -y postgresql-15 postgresql-15-postgis-3")
    data = root / "data"
    data.mkdir(parents=True)
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        shutil.chown(data, "postgres")
    port = _free_port()
    _run(_as_cluster_user([str(PG_BIN / "initdb"), "-D", str(data), "-U", USER, "-A", "trust", "-E", "UTF8",
                           "--no-instructions", "--locale", "C.UTF-8"]))
    options = f"-p {port} -k {data} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
    _run(_as_cluster_user([str(PG_BIN / "pg_ctl"), "-D", str(data), "-o", options, "-w", "-t", "60",
                           "-l", str(data / "log.txt"), "start"]))

    def stop() -> None:
        subprocess.run(_as_cluster_user([str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
                       capture_output=True, timeout=60, check=False)

    try:
        _run([str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", USER, "patrolnet_test"])
        _run([str(PG_BIN / "psql"), "-h", "127.0.0.1", "-p", str(port), "-U", USER, "-d", "patrolnet_test",
              "-v", "ON_ERROR_STOP=1", "-c", "CREATE EXTENSION postgis"])
    except BaseException:
        stop()
        raise
    return f"postgresql://{USER}@127.0.0.1:{port}/patrolnet_test", stop


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """The URL of a throwaway PostgreSQL 15 + PostGIS 3 database on a loopback port.

    Its folder is a fresh one under the system's temporary folder (pytest's own is closed to other
    users, and the cluster runs as ``postgres`` under root), removed afterwards."""
    root = Path(tempfile.mkdtemp(prefix="patrolnet-pg-"))
    try:
        url, stop = start_cluster(root)
        try:
            yield url
        finally:
            stop()
    finally:
        shutil.rmtree(root, ignore_errors=True)
