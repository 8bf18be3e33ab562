"""A small fixed thread pool for CPU-bound answers (GeoJSON pages of big layers).

Requests otherwise run on any of the server's 40 worker threads; coordinate transformers (PROJ)
are built per thread (about 50 ms each), and on a 2-core machine more threads than cores only
queue on the GIL. Two fixed threads keep the transformers warm and the CPU work bounded.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

__all__ = ["run_cpu"]

T = TypeVar("T")
_POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="pn-geo")


async def run_cpu(fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """``fn(*args, **kwargs)`` on the pool, awaited without blocking the event loop."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_POOL, functools.partial(fn, *args, **kwargs))
