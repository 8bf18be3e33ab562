"""Small fixed thread pools for CPU-bound work, and the CPU priority of background work.

``run_cpu``: requests otherwise run on any of the server's 40 worker threads; coordinate
transformers (PROJ) are built per thread (about 50 ms each), and on a 2-core machine more threads
than cores only queue on the GIL. A few fixed threads keep the transformers warm and the CPU work
bounded.

Background work must not hold up the answers of signed-in users, so it runs at a lower CPU
priority: the job worker processes (planning, reports) at :data:`BACKGROUND_NICENESS` (see
:func:`lower_priority`), and the password hashes of a burst of sign-ins at the start of a shift
(``run_background``) a little lower than requests, at :data:`SIGN_IN_NICENESS` (someone is waiting
at the sign-in page too). Linux gives a thread of niceness 10 about a tenth of the CPU of a
niceness-0 thread when both want it (niceness 5: about a third), and all of it when the requests
are idle, so a planning run is slower only while requests wait for a core.
"""

from __future__ import annotations

import asyncio
import functools
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

__all__ = ["BACKGROUND_NICENESS", "SIGN_IN_NICENESS", "lower_priority", "run_background", "run_cpu"]

T = TypeVar("T")
#: How much lower (in ``nice`` steps) the job worker processes run than the requests.
BACKGROUND_NICENESS = 10
#: How much lower the password verifications of sign-ins run than the requests.
SIGN_IN_NICENESS = 5


def lower_priority(niceness: int = BACKGROUND_NICENESS) -> None:
    """Lower the calling thread's CPU priority by ``niceness`` (Linux: per thread; threads it starts
    inherit it). Called first in a job worker process, it lowers the whole process. Where not
    permitted or not supported, nothing changes."""
    try:
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, min(19, os.getpriority(os.PRIO_PROCESS, tid) + niceness))
    except (AttributeError, OSError):
        pass


#: Eight threads: two at work (the cores), more so that requests waiting for a layer another one is
#: writing (single flight) do not hold up the requests that need no writing.
_POOL = ThreadPoolExecutor(max_workers=8, thread_name_prefix="pn-geo")
#: Two threads for password verifications (at most two run at once anyway), a little below requests.
_BACKGROUND = ThreadPoolExecutor(max_workers=2, thread_name_prefix="pn-sign-in", initializer=lower_priority,
                                 initargs=(SIGN_IN_NICENESS,))


async def run_cpu(fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """``fn(*args, **kwargs)`` on the pool, awaited without blocking the event loop."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_POOL, functools.partial(fn, *args, **kwargs))


def run_background(fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """``fn(*args, **kwargs)`` on a thread of the sign-in priority (:data:`SIGN_IN_NICENESS`), waited
    for by the caller (a request's worker thread)."""
    return _BACKGROUND.submit(fn, *args, **kwargs).result()
