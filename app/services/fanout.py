"""Heavy planning fanned out over processes (issue 14): in this process, on a Dask LocalCluster of
this machine, or on an existing Dask scheduler.

:func:`open_fanout` turns the ``--dask`` option into a :class:`Fanout`:

* ``None``, ``""``, ``none`` or ``serial``: :class:`SerialFanout`, every piece in this process, one
  after the other (a server's default; ``patrolnet routes`` forks its cores: :func:`command_fanout`).
* ``fork:N``: ``N`` processes forked from this one (:class:`ForkFanout`; POSIX): they start holding
  everything this process holds (the road graph and what was built on it), so nothing is shipped
  to them but the pieces, and nothing started but the processes. For a command that runs once: a
  process with threads (the web server) does not fork; it uses Dask.
* ``local:N``: a ``dask.distributed.LocalCluster`` of ``N`` worker processes with one thread each,
  bound to 127.0.0.1, without its web dashboard, closed when the ``with`` block ends. Its workers
  are started with ``spawn``: a script that opens one runs its work under
  ``if __name__ == "__main__":`` (the ``patrolnet`` command does).
* ``tcp://HOST[:PORT]``: a running ``dask scheduler`` (port 8786 when not given), reached within
  :data:`CONNECT_TIMEOUT_S` seconds or refused with a message naming the address. Its workers are
  configured where they run: start them with ``DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED=False``
  (the LocalCluster's setting) and one thread each (``dask worker ADDRESS --nthreads 1``).

:meth:`Fanout.map` calls one function per piece and gives the results in the pieces' order; the
values every piece shares (the road graph, the incidents) are shipped to each worker once
(``client.scatter(..., broadcast=True)``), not once per piece.
"""

from __future__ import annotations

import gc
import logging
import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from geo.errors import InputError

__all__ = ["CONNECT_TIMEOUT_S", "DaskFanout", "Fanout", "ForkFanout", "SerialFanout", "command_fanout", "open_fanout",
           "parse_fanout"]

#: Seconds to reach a scheduler given as ``tcp://HOST:PORT`` before giving up (no hang).
CONNECT_TIMEOUT_S = 10.0
#: The most processes a one-off command forks by default (:func:`command_fanout`).
COMMAND_WORKERS = 4
#: The most worker processes ``local:N`` starts.
MAX_LOCAL_WORKERS = 64
_SERIAL = ("", "none", "serial")
_LOCAL = re.compile(r"^local:(\d+)$")
_FORK = re.compile(r"^fork:(\d+)$")
_TCP = re.compile(r"^tcp://(?P<host>\[[0-9a-fA-F:.]+\]|[A-Za-z0-9_.-]+)(?::(?P<port>\d{1,5}))?/?$")


class Fanout:
    """Where the pieces of a heavy job run. ``workers``: how many run at once; ``address``: what
    was asked for (``serial``, ``local:N`` or the scheduler's address)."""

    workers: int = 1
    address: str = "serial"
    #: True when pieces run in this process (the planner may then skip splitting the work).
    in_process: bool = True
    #: True when the pieces' processes start as copies of this one: what this process builds before
    #: :meth:`map` (tables of the road graph) they hold already.
    inherits: bool = False

    def map(self, fn: Callable[..., Any], pieces: Sequence[Mapping[str, Any]],
            shared: Mapping[str, Any] | None = None, progress: Callable[[float], None] | None = None,
            meanwhile: Callable[[], Any] | None = None) -> list[Any]:
        """``[fn(**shared, **piece) for piece in pieces]``, in the pieces' order; an error of a
        piece is raised here as it was raised there (of several, the first in the pieces' order, as in
        this process). ``progress(share done)`` after each piece. ``meanwhile()``: work of this
        process's own, done while the pieces run elsewhere (after them when they run here)."""
        raise NotImplementedError


def _own(meanwhile: Callable[[], Any] | None) -> None:
    """This process's own work beside the pieces (:meth:`Fanout.map`'s ``meanwhile``), if any."""
    if meanwhile is not None:
        meanwhile()


class SerialFanout(Fanout):
    """Every piece in this process, one after the other."""

    def map(self, fn: Callable[..., Any], pieces: Sequence[Mapping[str, Any]],
            shared: Mapping[str, Any] | None = None, progress: Callable[[float], None] | None = None,
            meanwhile: Callable[[], Any] | None = None) -> list[Any]:
        common = dict(shared or {})
        out = []
        for piece in pieces:
            out.append(fn(**common, **piece))
            if progress is not None:
                progress(len(out) / len(pieces))
        _own(meanwhile)
        return out


#: What the forked processes of :class:`ForkFanout` run: ``(fn, shared, pieces)``, set before they start.
_FORKED: tuple[Callable[..., Any], dict[str, Any], list[Mapping[str, Any]]] | None = None


def _forked_piece(i: int) -> Any:
    fn, common, pieces = _FORKED  # type: ignore[misc]
    return fn(**common, **pieces[i])


class ForkFanout(Fanout):
    """Pieces on ``workers`` processes forked from this one when :meth:`map` starts: they hold
    what this process holds, so the shared values are not shipped; only results come back."""

    in_process = False
    inherits = True

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.address = f"fork:{workers}"

    def map(self, fn: Callable[..., Any], pieces: Sequence[Mapping[str, Any]],
            shared: Mapping[str, Any] | None = None, progress: Callable[[float], None] | None = None,
            meanwhile: Callable[[], Any] | None = None) -> list[Any]:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor, as_completed

        global _FORKED
        if not pieces:
            _own(meanwhile)
            return []
        _FORKED = (fn, dict(shared or {}), list(pieces))
        gc.freeze()  # the collector leaves the inherited objects alone: their pages stay shared
        try:
            with ProcessPoolExecutor(max_workers=min(self.workers, len(pieces)),
                                     mp_context=multiprocessing.get_context("fork")) as pool:
                futures = [pool.submit(_forked_piece, i) for i in range(len(pieces))]
                _own(meanwhile)  # the processes are forked at the first piece: not before them
                for done, _ in enumerate(as_completed(futures), start=1):
                    if progress is not None:
                        progress(done / len(futures))
                return [f.result() for f in futures]  # the first failed piece in the pieces' order
        finally:
            _FORKED = None
            gc.unfreeze()


class DaskFanout(Fanout):
    """Pieces as tasks of a ``dask.distributed`` client; shared values scattered to every worker once."""

    in_process = False

    def __init__(self, client: Any, address: str) -> None:
        self.client = client
        self.address = address
        self.workers = max(1, len(client.scheduler_info(n_workers=-1).get("workers", {})))

    def map(self, fn: Callable[..., Any], pieces: Sequence[Mapping[str, Any]],
            shared: Mapping[str, Any] | None = None, progress: Callable[[float], None] | None = None,
            meanwhile: Callable[[], Any] | None = None) -> list[Any]:
        from distributed import as_completed

        if not pieces:
            _own(meanwhile)
            return []
        common: dict[str, Any] = {}
        scattered = []
        for name, value in (shared or {}).items():
            if value is None:
                common[name] = None
                continue
            # once per worker, not per piece; hash=False: no need to hash a big graph to name it
            common[name] = self.client.scatter(value, broadcast=True, hash=False)
            scattered.append(common[name])
        futures = [self.client.submit(fn, **common, **piece, pure=False) for piece in pieces]
        try:
            _own(meanwhile)
            for done, _ in enumerate(as_completed(futures, loop=self.client.loop), start=1):
                if progress is not None:
                    progress(done / len(futures))
            for f in futures:  # the first failed piece in the pieces' order, as in this process
                if f.status == "error":
                    f.result()
            return list(self.client.gather(futures))
        finally:
            for f in futures:
                f.release()
            for f in scattered:
                f.release()


def parse_fanout(option: str | None) -> tuple[str, Any]:
    """``('serial', None)``, ``('fork', N)``, ``('local', N)`` or ``('tcp', address)`` from the
    ``--dask`` value; :class:`InputError` (``param.dask``) naming the value otherwise."""
    text = "" if option is None else str(option).strip()
    if text.lower() in _SERIAL:
        return "serial", None
    m = _FORK.match(text)
    if m and 1 <= int(m.group(1)) <= MAX_LOCAL_WORKERS and hasattr(os, "fork"):
        return "fork", int(m.group(1))
    m = _LOCAL.match(text)
    if m and 1 <= int(m.group(1)) <= MAX_LOCAL_WORKERS:
        return "local", int(m.group(1))
    m = _TCP.match(text)
    if m and (m.group("port") is None or 1 <= int(m.group("port")) <= 65535):
        return "tcp", f"tcp://{m.group('host')}:{m.group('port') or 8786}"
    raise InputError(
        f"Dask address {text!r} is not understood: give tcp://HOST:PORT of a running 'dask scheduler' "
        f"(port 8786 by default), local:N for N worker processes on this machine (1 to {MAX_LOCAL_WORKERS}), "
        f"fork:N for N processes forked from this one (Linux, macOS), "
        f"or leave it out to plan in this process",
        code="param.dask", value=text, max=MAX_LOCAL_WORKERS,
    )


def command_fanout(option: str | None) -> str:
    """The ``--dask`` value a one-off command (``patrolnet routes``) plans with: ``option`` when given,
    else this machine's cores as forked processes (``fork:N``, at most :data:`COMMAND_WORKERS`)
    where the system forks and has more than one core, else ``serial``. A server does not take this
    default: a process with threads does not fork."""
    if option is not None and str(option).strip() != "":
        return str(option)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return f"fork:{min(cores, COMMAND_WORKERS)}" if hasattr(os, "fork") and cores > 1 else "serial"


@contextmanager
def open_fanout(option: str | None, *, connect_timeout_s: float = CONNECT_TIMEOUT_S) -> Iterator[Fanout]:
    """The :class:`Fanout` the ``--dask`` ``option`` names, closed (its LocalCluster stopped) on exit.

    Raises
    ------
    InputError
        A malformed option (``param.dask``), or a scheduler that cannot be reached within
        ``connect_timeout_s`` seconds (``dask.unreachable``, naming the address).
    """
    kind, arg = parse_fanout(option)
    if kind == "serial":
        yield SerialFanout()
        return
    if kind == "fork":
        yield ForkFanout(arg)
        return
    import dask
    from distributed import Client, LocalCluster

    if kind == "local":
        # no dashboard; the scheduler's small HTTP server (health checks) on a free loopback port; no
        # statistical profiler in the workers (sampling every 10 ms slowed pure-Python planning ~1.3x)
        with dask.config.set({"distributed.worker.profile.enabled": False}):
            cluster = LocalCluster(n_workers=arg, threads_per_worker=1, processes=True, host="127.0.0.1",
                                   dashboard_address=None, scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
                                   silence_logs=logging.ERROR)
        try:
            with Client(cluster, set_as_default=False) as client:
                yield DaskFanout(client, f"local:{arg}")
        finally:
            cluster.close()
        return
    try:
        client = Client(arg, timeout=connect_timeout_s, set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise InputError(
            f"cannot reach the Dask scheduler at {arg} within {connect_timeout_s:g} s ({exc.__class__.__name__}); "
            f"start one there ('dask scheduler' and 'dask worker {arg}'), fix the address, or use local:N "
            f"to plan with N processes on this machine", code="dask.unreachable", address=arg,
            seconds=f"{connect_timeout_s:g}",
        ) from exc
    try:
        try:
            client.wait_for_workers(1, timeout=connect_timeout_s)
        except (OSError, TimeoutError) as exc:
            raise InputError(
                f"the Dask scheduler at {arg} has no workers after {connect_timeout_s:g} s; start some there "
                f"('dask worker {arg}') or use local:N to plan with N processes on this machine",
                code="dask.no_workers", address=arg, seconds=f"{connect_timeout_s:g}",
            ) from exc
        yield DaskFanout(client, arg)
    finally:
        client.close()

