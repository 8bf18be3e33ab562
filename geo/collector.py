"""Python's cyclic garbage collector paused while a job builds many small objects.

Building a city's road graph makes a dict per arc (a quarter of a million), and planning a shift
makes as many small lists and tuples. The collector scans the objects alive each time their
number grows by a quarter, so it scans the graph again and again while it is being built: half
of the graph's build time, a fifth of a shift's plan (``docs/benchmarks.md``). Those objects hold
almost no reference cycles (a 10x shift's plan leaves ~500 to collect): freed by their counts as
usual, they need no scan. :func:`collector_paused` pauses the collector for a job and runs it again
when the last job that paused it ends (jobs run in threads of one process share one collector).
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["collector_paused"]

_LOCK = threading.Lock()
_PAUSED = 0  # jobs in this process holding the collector paused
_WAS_ENABLED = True  # the collector's state when the first of them paused it


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic collector for the ``with`` block; the state it had before is restored when
    the last block (of any thread) pausing it ends. Nested and concurrent blocks are counted."""
    global _PAUSED, _WAS_ENABLED
    with _LOCK:
        if _PAUSED == 0:
            _WAS_ENABLED = gc.isenabled()
            gc.disable()
        _PAUSED += 1
    try:
        yield
    finally:
        with _LOCK:
            _PAUSED -= 1
            if _PAUSED == 0 and _WAS_ENABLED:
                gc.enable()
