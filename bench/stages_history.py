"""Province-sized history (issue 14): the 10x district's roads with 1x, 10x and 100x its incidents
(117k, 1.17M, 11.7M) in PostgreSQL, and the monthly report's and the next-week forecast's time and
peak memory at each size.

The 10x demo district is built (or ``--workspace`` copied) and copied into a throwaway PostgreSQL 15 +
PostGIS cluster (:func:`tests.pg.start_cluster`, in a temporary folder). Its incidents (2024-01 to
2026-10) are the 1x history; the older history is made in the database by ``INSERT ... SELECT``
over ``generate_series``: copy ``k`` of every incident, its time ``3 k`` years earlier (the demo's
2.8 years end to end, so copies never overlap), a new ``fid`` and ``incident_id``, the same place.
The indexes (GiST on the points, B-tree on ``occurred_at``) are dropped during the insert and made
again after it, then ``ANALYZE``.

Each measure runs in a fresh process (``python -m bench.stages_history measure ...``) whose peak RSS
is its own: ``report`` is ``patrolnet report`` (what :func:`app.services.reports.make_report` does:
built and written as HTML, XLSX, CSV and JSON), ``forecast`` is ``patrolnet forecast`` for the next 7 days
(:func:`app.services.forecast.forecast_job`, sub-zones, the default method); ``build_s`` is the
report's build alone (:func:`app.services.reports.build_monthly_report`), the rest its files. Peak RSS is the
process's ``VmHWM``; ``rss_before_mb`` its RSS after the imports, before opening the workspace. ``--whole`` also
measures the report and the forecast as they were before (every incident read,
:func:`geo.reports.build_report` of the workspace and :func:`geo.forecast.forecast` of the whole
layer) up to that size.

Run: ``python -m bench.stages_history [--sizes 1,10,100] [--whole 10] [--repeat 2]`` (figures to
``bench/results/history-*.json``), or ``python -m bench --scales 10 --only history``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.stages import Context, stage

#: Sizes of the history, in multiples of the district's own incidents.
SIZES = (1, 10, 100)
#: Years between copies of the history (the demo's incidents span 2024-01-01 to 2026-10-31).
SHIFT_YEARS = 3
#: Copies inserted per statement.
BATCH = 10
ROOT = Path(__file__).resolve().parents[1]


# -- the district and the database ---------------------------------------------------------------------
def district(folder: Path, *, source: Path | None, scale: float, seed: int, as_of: dt.date) -> tuple[Path, float]:
    """The demo district at ``scale`` as a .gpkg in ``folder`` (built, or copied from ``source``)
    and the seconds it took."""
    from app.services.workspace import build_demo_workspace

    path = folder / f"demo-x{scale:g}.gpkg"
    t0 = time.perf_counter()
    if source is not None:
        shutil.copyfile(source, path)
    else:
        build_demo_workspace(path, seed=seed, as_of=as_of, scale=scale, overwrite=True)
    return path, time.perf_counter() - t0


def _columns(con: Any, schema: str) -> list[str]:
    rows = con.execute("SELECT column_name FROM information_schema.columns WHERE table_schema = %s AND "
                       "table_name = 'incidents' ORDER BY ordinal_position", (schema,)).fetchall()
    return [r[0] for r in rows]


def grow_history(location: str, *, copies_from: int, copies_to: int, base_rows: int, base_fid: int) -> dict[str, Any]:
    """Add copies ``copies_from .. copies_to - 1`` of the first ``base_fid`` rows of the incidents
    (:data:`SHIFT_YEARS` years earlier per copy) in the database; the seconds of the insert and of
    the indexes."""
    import psycopg
    from psycopg import sql

    from app.storage.pg import parse_location
    from app.storage.pg_layers import _index_name

    dsn, schema = parse_location(location)
    table = sql.Identifier(schema, "incidents")
    gist = sql.Identifier(_index_name("incidents"))
    btree = sql.Identifier(_index_name("incidents", "occurred_at", "btree"))
    out: dict[str, Any] = {}
    with psycopg.connect(dsn, autocommit=True) as con:
        cols = _columns(con, schema)
        exprs = []
        for c in cols:
            ident = sql.Identifier("o", c)
            if c == "fid":
                exprs.append(sql.SQL("{} + k * %s::bigint").format(ident))
            elif c == "incident_id":
                exprs.append(sql.SQL("{} || '~h' || k").format(ident))
            elif c == "occurred_at":
                exprs.append(sql.SQL("{} - make_interval(years => %s::int * k)").format(ident))
            else:
                exprs.append(ident)
        insert = sql.SQL("INSERT INTO {} ({}) SELECT {} FROM {} AS o, generate_series(%s::int, %s::int) AS k "
                         "WHERE o.fid <= %s").format(table, sql.SQL(", ").join(map(sql.Identifier, cols)),
                                                     sql.SQL(", ").join(exprs), table)
        t0 = time.perf_counter()
        con.execute(sql.SQL("DROP INDEX IF EXISTS {}.{}").format(sql.Identifier(schema), gist))
        con.execute(sql.SQL("DROP INDEX IF EXISTS {}.{}").format(sql.Identifier(schema), btree))
        for a in range(copies_from, copies_to, BATCH):
            b = min(a + BATCH, copies_to) - 1
            con.execute(insert, (base_fid, SHIFT_YEARS, a, b, base_fid))
        out["insert_s"] = round(time.perf_counter() - t0, 2)
        t1 = time.perf_counter()
        con.execute(sql.SQL("CREATE INDEX {} ON {} USING GIST (geom)").format(gist, table))
        con.execute(sql.SQL("CREATE INDEX {} ON {} (occurred_at)").format(btree, table))
        con.execute(sql.SQL("ANALYZE {}").format(table))
        out["index_s"] = round(time.perf_counter() - t1, 2)
        out["rows"] = int(con.execute(sql.SQL("SELECT count(*) FROM {}").format(table)).fetchone()[0])
        out["first"] = str(con.execute(sql.SQL("SELECT min(occurred_at)::date FROM {}").format(table)).fetchone()[0])
        out["table_mb"] = round(con.execute("SELECT pg_total_relation_size(%s::regclass)",
                                            (f'"{schema}"."incidents"',)).fetchone()[0] / 1e6, 1)
    out["generate_s"] = round(out["insert_s"] + out["index_s"], 2)
    out["expected_rows"] = base_rows * copies_to
    return out


# -- one measure, in its own process ------------------------------------------------------------------
def _status_mb(key: str) -> float:
    """``VmHWM`` (peak RSS) or ``VmRSS`` of this process in MB, from ``/proc/self/status``: the
    high-water mark of this program's memory only (``getrusage``'s ``ru_maxrss`` keeps the
    parent's from before the ``exec``)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{key}:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(what: str, location: str, out: Path) -> dict[str, Any]:
    """Open the workspace and run one measure; seconds, peak RSS (MB) and what was read."""
    from app.storage import open_workspace

    before_mb = _status_mb("VmRSS")
    load0 = os.getloadavg()[0]
    t0 = time.perf_counter()
    ws = open_workspace(location)
    figures: dict[str, Any] = {}
    if what == "report":
        from app.report_render import write_report
        from app.services.reports import build_monthly_report

        rep = build_monthly_report(ws)
        figures["build_s"] = round(time.perf_counter() - t0, 2)
        write_report(rep, out / "report", lang="zh-CN")
        figures.update(month=rep.month, incidents_read=len(rep.incidents))
    elif what == "forecast":
        from app.services.forecast import forecast_job

        _, ranked, _ = forecast_job(ws, out=out / "forecast.csv", horizon_days=7)
        figures.update(places=len(ranked), expected=round(float(ranked["expected"].sum()), 2))
    elif what == "report_whole":
        from app.services.params import default_month, last_data_day
        from geo.reports import build_report

        as_of = last_data_day(ws)
        rep = build_report(ws, month=default_month(ws, as_of), as_of=as_of)
        figures["build_s"] = round(time.perf_counter() - t0, 2)
        figures.update(month=rep.month, incidents_read=len(rep.incidents))
    elif what == "forecast_whole":
        from app.services.forecast import forecast_places
        from app.services.params import last_data_day
        from geo.forecast import forecast

        inc = ws.read("incidents")
        ranked = forecast(inc, cells=forecast_places(ws, "subzones", 150.0), as_of=last_data_day(ws), horizon_days=7)
        figures.update(places=len(ranked), expected=round(float(ranked["expected"].sum()), 2), incidents_read=len(inc))
    else:
        raise SystemExit(f"unknown measure {what!r}: report, forecast, report_whole, forecast_whole")
    seconds = time.perf_counter() - t0
    peak = _status_mb("VmHWM")
    return {"measure": what, "seconds": round(seconds, 2), "peak_rss_mb": round(peak, 1),
            "rss_before_mb": round(before_mb, 1), "load_avg_1m": [round(load0, 2), round(os.getloadavg()[0], 2)],
            **figures}


def _measure_in_child(what: str, location: str, folder: Path) -> dict[str, Any]:
    out = folder / what
    out.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run([sys.executable, "-m", "bench.stages_history", "measure", what, location, str(out)],
                          check=False, capture_output=True, text=True, cwd=ROOT, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    if proc.returncode != 0:
        return {"measure": what, "error": (proc.stderr.strip().splitlines() or ["(no output)"])[-1]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


# -- the run ------------------------------------------------------------------------------------------
def run(*, sizes: tuple[int, ...] = SIZES, whole_up_to: int = 0, repeat: int = 1, scale: float = 10.0, seed: int = 1979,
        as_of: dt.date = dt.date(2026, 10, 31), source: Path | None = None, log: Any = print) -> dict[str, Any]:
    """Build, copy, grow and measure (see the module notes); the figures."""
    import psycopg

    from app.services.workspace_copy import copy_workspace
    from app.storage.pg import parse_location
    from tests.pg import start_cluster

    folder = Path(tempfile.mkdtemp(prefix="pn-history-"))
    pg_root = Path(tempfile.mkdtemp(prefix="pn-history-pg-"))  # (its own: the cluster's user must reach it)
    stop = None
    try:
        gpkg, build_s = district(folder, source=source, scale=scale, seed=seed, as_of=as_of)
        log(f"district x{scale:g}: {gpkg} in {build_s:.1f} s")
        url, stop = start_cluster(pg_root)
        location = f"{url}?schema=history"
        t0 = time.perf_counter()
        copy_workspace(gpkg, location)
        copy_s = time.perf_counter() - t0
        dsn, _ = parse_location(location)
        with psycopg.connect(dsn) as con:
            base_rows, base_fid = con.execute("SELECT count(*), max(fid) FROM history.incidents").fetchone()
            roads = con.execute("SELECT count(*) FROM history.road_edges").fetchone()[0]
        log(f"copied into PostgreSQL in {copy_s:.1f} s: {base_rows} incidents, {roads} road edges")
        figures: dict[str, Any] = {
            "district_scale": scale, "road_edges": int(roads), "base_incidents": int(base_rows),
            "build_s": round(build_s, 1), "copy_to_pg_s": round(copy_s, 1), "cpu_count": os.cpu_count(),
            "shift_years": SHIFT_YEARS, "sizes": [],
        }
        copies = 1
        for size in sorted(sizes):
            row: dict[str, Any] = {"size": size}
            if size == 1:
                row.update(rows=int(base_rows), generate_s=round(copy_s, 2), generated_by="workspace copy")
            else:
                row.update(grow_history(location, copies_from=copies, copies_to=size, base_rows=int(base_rows),
                                        base_fid=int(base_fid)))
                row["generated_by"] = "INSERT ... SELECT generate_series"
                copies = size
            log(f"{size}x: {row['rows']} incidents ({row['generate_s']} s)")
            for what in ("report", "forecast") + (("report_whole", "forecast_whole") if size <= whole_up_to else ()):
                row[what] = _measure_in_child(what, location, folder / f"x{size}")
                log(f"  {what}: {row[what]}")
                for _ in range(repeat - 1):  # again, the database's cache warm
                    row.setdefault(f"{what}_again", []).append(_measure_in_child(what, location, folder / f"x{size}"))
                    log(f"  {what} again: {row[f'{what}_again'][-1]}")
            figures["sizes"].append(row)
        return figures
    finally:
        if stop is not None:
            stop()
        shutil.rmtree(folder, ignore_errors=True)
        shutil.rmtree(pg_root, ignore_errors=True)


def save(figures: dict[str, Any]) -> Path:
    path = ROOT / "bench" / "results" / f"history-{dt.datetime.now():%Y%m%d-%H%M%S}.json"
    path.write_text(json.dumps(figures, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


@stage("history.province")
def history_province(ctx: Context) -> dict[str, Any]:
    """The report and forecast over 1x, 10x and 100x the district's incidents in PostgreSQL (the
    district of ``ctx.scale``; figures also to bench/results/history-*.json)."""
    figures = run(sizes=SIZES, scale=ctx.scale, seed=ctx.seed, as_of=ctx.as_of, log=lambda *_: None)
    path = save(figures)
    out: dict[str, Any] = {"written": str(path.relative_to(ROOT))}
    for row in figures["sizes"]:
        for what in ("report", "forecast"):
            out[f"{what}_s_x{row['size']}"] = row[what].get("seconds")
            out[f"{what}_mb_x{row['size']}"] = row[what].get("peak_rss_mb")
    return out


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["measure"]:
        what, location, out = argv[1:4]
        print(json.dumps(measure(what, location, Path(out)), ensure_ascii=False))
        return 0
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # (a stopped run stops its cluster)
    parser = argparse.ArgumentParser(prog="python -m bench.stages_history")
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)), help="history sizes, e.g. 1,10,100")
    parser.add_argument("--whole", type=int, default=0, metavar="SIZE",
                        help="also measure the whole-layer report and forecast up to this size")
    parser.add_argument("--repeat", type=int, default=1, help="run each measure this many times (default 1)")
    parser.add_argument("--scale", type=float, default=10.0, help="district scale (default 10)")
    parser.add_argument("--workspace", type=Path, help="copy this district instead of building it")
    args = parser.parse_args(argv)
    figures = run(sizes=tuple(int(s) for s in args.sizes.split(",") if s), whole_up_to=args.whole, repeat=args.repeat,
                  scale=args.scale, source=args.workspace)
    figures["command"] = "python -m bench.stages_history " + " ".join(argv)
    path = save(figures)
    print(f"written {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
