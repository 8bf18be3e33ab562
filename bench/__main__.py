"""`make bench`: run every stage at each scale, each in its own process; print a table.

Usage: python -m bench [--scales 1,10] [--only PREFIX] [--workdir DIR]
Results are also written as JSON to bench/results/.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench.stages import STAGES, load_all_stages


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--scales", default="1,10", help="comma-separated district scales (1 = demo)")
    parser.add_argument("--only", default="", help="run only stages whose name starts with this")
    parser.add_argument("--workdir", default="bench/results/work")
    parser.add_argument("--seed", type=int, default=1979)
    parser.add_argument("--as-of", default="2026-10-31")
    args = parser.parse_args()
    load_all_stages()
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    console = Console(width=200)
    rows = []
    for scale in [float(s) for s in args.scales.split(",") if s]:
        for key, (name, group, _) in STAGES.items():
            if args.only and not name.startswith(args.only):
                continue
            console.print(f"[dim]running {key} at scale {scale:g} ...[/]")
            proc = subprocess.run(
                [sys.executable, "-m", "bench.run_stage", key, str(scale), str(workdir),
                 str(args.seed), args.as_of],
                capture_output=True, text=True, env={**os.environ, "PYTHONWARNINGS": "ignore"},
            )
            if proc.returncode != 0:
                tail = (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
                rows.append({"stage": name, "group": group, "scale": scale, "error": tail})
                continue
            result = json.loads(proc.stdout.strip().splitlines()[-1])
            rows.append({"group": group, "scale": scale, **result, "stage": name})
    table = Table(title="patrolnet benchmarks (2-core machine; seconds are wall time)")
    for col in ("stage", "tool", "scale", "seconds", "peak MB", "figures"):
        table.add_column(col, justify="right" if col in ("scale", "seconds", "peak MB") else "left")
    for r in rows:
        if "error" in r:
            table.add_row(r["stage"], r["group"], f"{r['scale']:g}", "-", "-", f"[red]{r['error']}[/]")
            continue
        figures = ", ".join(f"{k}={v}" for k, v in r.items()
                            if k not in ("stage", "group", "scale", "seconds", "peak_mb"))
        table.add_row(r["stage"], r["group"], f"{r['scale']:g}", f"{r['seconds']:.2f}",
                      f"{r['peak_mb']:.0f}", figures)
    console.print(table)
    out = Path("bench/results") / f"bench-{dt.datetime.now():%Y%m%d-%H%M%S}.json"
    out.write_text(json.dumps(rows, ensure_ascii=False, indent=2), encoding="utf-8")
    console.print(f"written {out}")
    return 1 if any("error" in r for r in rows) else 0


if __name__ == "__main__":
    raise SystemExit(main())
