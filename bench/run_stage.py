"""Run one benchmark stage in this process and print its figures as one JSON line."""

from __future__ import annotations

import datetime as dt
import json
import resource
import sys
import time
from pathlib import Path

from bench.stages import STAGES, Context, load_all_stages


def main(argv: list[str]) -> int:
    load_all_stages()
    key, scale, workdir, seed, as_of = argv
    ctx = Context(float(scale), Path(workdir), int(seed), dt.date.fromisoformat(as_of))
    name, _, fn = STAGES[key]
    t0 = time.perf_counter()
    extra = fn(ctx)
    seconds = time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"stage": name, "seconds": seconds, "peak_mb": peak_mb, **extra}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
