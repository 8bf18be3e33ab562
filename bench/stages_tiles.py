"""Bench stage ``tiles.vector`` (issue 14): vector tiles of the road layer, over HTTP on loopback.

The app runs as ``patrolnet serve`` runs it (uvicorn, one worker, its own process) on a copy of the
scale's demo workspace (``demo.build``'s, built here when missing) with the demo users; the bench
signs in as the demo commander (the whole district) and asks for
``/api/v1/tiles/road_edges/{z}/{x}/{y}.mvt`` (every property, gzip) for the tiles over the district
(the stations' extent) at zoom 13 to 16: all of them, or ``SAMPLE`` drawn at random (fixed seed)
when a zoom has more.

1. First request: the server reads, projects and indexes the road layer (once per workspace state).
2. Cold pass: each tile once, one client: the tile is cut and encoded (nothing cached yet).
3. Warm pass: the same tiles again, one client, in another order: served from the tile cache.
4. Warm under load: ``CLIENTS`` keep-alive clients ask for random tiles of that set for ``SECONDS``.

Figures: p50 / p95 / max latency (ms, client side, body read) per pass and per zoom, tile sizes
(gzip on the wire), empty tiles (204), the server's peak RSS. The done-when of issue 14 is the warm p95 at scale 10
(<= 50 ms).

Standalone: ``python -m bench.stages_tiles [--workspace W.gpkg | --scale 1] [--sample 150] [--pg URL]``.
``--pg postgresql://USER@HOST[:PORT]/DB`` (PostGIS installed) copies the workspace into a new schema
of that database (``bench.stages_load.copy_to_pg``), serves it from there (tiles made by PostGIS
``ST_AsMVT``; the first request then reads no layer) and drops the schema afterwards.
Environment: ``PATROLNET_BENCH_TILES_SAMPLE``, ``PATROLNET_BENCH_TILES_SECONDS``,
``PATROLNET_BENCH_TILES_CLIENTS``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import shutil
import threading
import time
from pathlib import Path
from typing import Any

from bench.stages import Context, stage
from bench.stages_load import _proc_status, copy_to_pg, drop_pg
from bench.stages_web import _free_port, serve, sign_in, stop

SAMPLE = int(os.environ.get("PATROLNET_BENCH_TILES_SAMPLE", "150"))
SECONDS = float(os.environ.get("PATROLNET_BENCH_TILES_SECONDS", "10"))
CLIENTS = int(os.environ.get("PATROLNET_BENCH_TILES_CLIENTS", "8"))
ZOOMS = (13, 14, 15, 16)
LAYER = "road_edges"


def district_tiles(workspace: Path | str, zooms: tuple[int, ...] = ZOOMS, sample: int = SAMPLE,
                   seed: int = 1979) -> list[tuple[int, int, int]]:
    """(z, x, y) of the XYZ tiles over the stations' extent, at most ``sample`` per zoom."""
    import numpy as np

    from app.storage import open_workspace

    w, s, e, n = open_workspace(workspace).read("stations", columns=[]).to_crs("EPSG:4326").total_bounds
    rng = np.random.default_rng(seed)
    out = []
    for z in zooms:
        (xa, ya), (xb, yb) = _tile(w, n, z), _tile(e, s, z)
        tiles = [(z, x, y) for x in range(xa, xb + 1) for y in range(ya, yb + 1)]
        if len(tiles) > sample:
            tiles = [tiles[i] for i in sorted(rng.choice(len(tiles), sample, replace=False))]
        out += tiles
    return out


def _tile(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 1 << z
    return (int((lon + 180) / 360 * n),
            int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n))


def _summary(ms: list[float]) -> dict[str, float]:
    import numpy as np

    a = np.array(ms) if ms else np.array([float("nan")])
    return {"n": len(ms), "p50_ms": round(float(np.percentile(a, 50)), 1),
            "p95_ms": round(float(np.percentile(a, 95)), 1), "max_ms": round(float(a.max()), 1)}


def _brief(s: dict[str, float]) -> str:
    return f"p50 {s['p50_ms']:.1f} / p95 {s['p95_ms']:.1f} / max {s['max_ms']:.1f} ms (n={s['n']})"


def _pass(client: Any, base: str, tiles: list[tuple[int, int, int]]) -> tuple[dict[int, list[float]], list[int], int]:
    """Each tile once: latencies per zoom, wire sizes of the non-empty tiles, empty tiles."""
    per_zoom: dict[int, list[float]] = {}
    sizes, empty = [], 0
    for z, x, y in tiles:
        t0 = time.perf_counter()
        r = client.get(f"{base}/api/v1/tiles/{LAYER}/{z}/{x}/{y}.mvt")
        _ = r.content
        per_zoom.setdefault(z, []).append((time.perf_counter() - t0) * 1000)
        if r.status_code == 204:
            empty += 1
        elif r.status_code == 200:
            sizes.append(int(r.headers.get("content-length", len(r.content))))
        else:
            raise RuntimeError(f"tile {z}/{x}/{y}: {r.status_code} {r.text[:200]}")
    return per_zoom, sizes, empty


def _loaded(base: str, auth: dict[str, str], tiles: list[tuple[int, int, int]], clients: int,
            seconds: float) -> dict[str, Any]:
    import httpx
    import numpy as np

    lat: list[list[float]] = [[] for _ in range(clients)]
    errors = [0] * clients
    stop_at = time.perf_counter() + seconds

    def worker(i: int) -> None:
        rng = np.random.default_rng(i)
        with httpx.Client(timeout=60, headers=auth) as c:
            while time.perf_counter() < stop_at:
                z, x, y = tiles[int(rng.integers(len(tiles)))]
                t0 = time.perf_counter()
                try:
                    ok = c.get(f"{base}/api/v1/tiles/{LAYER}/{z}/{x}/{y}.mvt").status_code in (200, 204)
                except httpx.HTTPError:
                    ok = False
                lat[i].append((time.perf_counter() - t0) * 1000)
                errors[i] += not ok

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ms = [v for vs in lat for v in vs]
    return {**_summary(ms), "rps": round(len(ms) / (time.perf_counter() - t0), 1), "errors": sum(errors)}


def run(workspace: Path | str, *, sample: int = SAMPLE, clients: int = CLIENTS, seconds: float = SECONDS,
        seed: int = 1979) -> dict[str, Any]:
    """Serve ``workspace`` (a .gpkg file or a ``postgresql://`` location, with the demo users) and
    measure; see the module's text."""
    import httpx
    import numpy as np

    tiles = district_tiles(workspace, sample=sample, seed=seed)
    port = _free_port()
    proc = serve(workspace, port)  # type: ignore[arg-type]
    try:
        base = f"http://127.0.0.1:{port}"
        auth = sign_in(base)
        with httpx.Client(timeout=120, headers=auth) as c:
            z, x, y = tiles[len(tiles) // 2]
            t0 = time.perf_counter()
            c.get(f"{base}/api/v1/tiles/{LAYER}/{z}/{x}/{y}.mvt").raise_for_status()
            first_s = time.perf_counter() - t0
            order = list(tiles)
            cold, sizes, empty = _pass(c, base, order)
            np.random.default_rng(seed).shuffle(order)
            warm, _, _ = _pass(c, base, order)
        loaded = _loaded(base, auth, tiles, clients, seconds)
        server = _proc_status(proc.pid)
    finally:
        stop(proc)
    sizes_kb = np.array(sizes) / 1024 if sizes else np.array([0.0])
    return {
        "backend": "postgresql" if "://" in str(workspace) else "gpkg",
        "tiles": len(tiles), "per_zoom": {z: len(v) for z, v in cold.items()}, "empty": empty,
        "first_request_s": round(first_s, 2),
        "cold": {z: _summary(v) for z, v in cold.items()}, "cold_all": _summary([v for vs in cold.values() for v in vs]),
        "warm": {z: _summary(v) for z, v in warm.items()}, "warm_all": _summary([v for vs in warm.values() for v in vs]),
        "loaded": loaded, "clients": clients, "seconds": seconds,
        "server_peak_rss_mb": round(server.get("VmHWM", float("nan"))),
        "kb_p50": round(float(np.percentile(sizes_kb, 50)), 1), "kb_max": round(float(sizes_kb.max()), 1),
    }


def prepared_copy(src: Path, dst: Path) -> Path:
    """A copy of ``src`` with the demo users (a stale users file from an earlier run is replaced)."""
    from app.services.workspace import ensure_demo_users
    from app.storage.users import users_path
    from app.storage.workspace import Workspace

    shutil.copyfile(src, dst)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{users_path(dst)}{suffix}").unlink(missing_ok=True)
    ensure_demo_users(Workspace(dst))
    return dst


def _source(ctx: Context) -> Path:
    """The scale's demo workspace (``demo.build``'s), built when missing."""
    if not ctx.workspace.exists():
        from app.services.workspace import build_demo_workspace

        build_demo_workspace(ctx.workspace, seed=ctx.seed, as_of=ctx.as_of, scale=ctx.scale, overwrite=True)
    return ctx.workspace


def figures_of(f: dict[str, Any]) -> dict[str, Any]:
    first = "first request (layer prepared)" if f["backend"] == "gpkg" else "first request (ST_AsMVT)"
    out: dict[str, Any] = {"backend": f["backend"],
                           "tiles": f"{f['tiles']} ({', '.join(f'z{z}: {n}' for z, n in f['per_zoom'].items())}; "
                                    f"{f['empty']} empty)",
                           first: f"{f['first_request_s']:.2f} s",
                           "cold (cut + encoded)": _brief(f["cold_all"]),
                           "warm (cached)": _brief(f["warm_all"])}
    for z in f["warm"]:
        out[f"z{z} cold / warm"] = (f"p95 {f['cold'][z]['p95_ms']:.1f} / {f['warm'][z]['p95_ms']:.1f} ms, "
                                   f"p50 {f['cold'][z]['p50_ms']:.1f} / {f['warm'][z]['p50_ms']:.1f} ms")
    lo = f["loaded"]
    out[f"warm, {f['clients']} clients x {f['seconds']:g} s"] = (
        f"{_brief(lo)}, {lo['rps']:.0f} req/s" + (f", {lo['errors']} errors" if lo["errors"] else ""))
    out["size (gzip)"] = f"p50 {f['kb_p50']:.1f} KB, max {f['kb_max']:.1f} KB"
    out["server peak RSS"] = f"{f['server_peak_rss_mb']} MB"
    return out


@stage("tiles.vector")
def tiles_vector(ctx: Context) -> dict[str, Any]:
    """Vector tiles of the road layer, zoom 13-16 over the district: first, cold and warm latency
    (uvicorn, 1 worker, loopback)."""
    ws = prepared_copy(_source(ctx), ctx.workdir / f"tiles-x{ctx.scale:g}.gpkg")
    return figures_of(run(ws, seed=ctx.seed))


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.stages_tiles")
    parser.add_argument("--workspace", type=Path, help="a demo workspace (default: build one at --scale)")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--sample", type=int, default=SAMPLE, help="tiles per zoom at most")
    parser.add_argument("--clients", type=int, default=CLIENTS)
    parser.add_argument("--seconds", type=float, default=SECONDS)
    parser.add_argument("--workdir", type=Path, default=Path("bench/results/work"))
    parser.add_argument("--pg", metavar="URL",
                        help="serve the workspace from PostgreSQL: copied into a new schema of this database "
                             "(postgresql://USER@HOST[:PORT]/DB, PostGIS installed), dropped afterwards")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    ctx = Context(args.scale, args.workdir, as_of=dt.date(2026, 10, 31))
    src = args.workspace or _source(ctx)
    ws: Path | str = prepared_copy(src, args.workdir / f"tiles-x{args.scale:g}.gpkg")
    location = None
    if args.pg:
        t0 = time.perf_counter()
        location = ws = copy_to_pg(Path(ws), args.pg)
        print(f"copied into PostgreSQL in {time.perf_counter() - t0:.0f} s")
    try:
        t0 = time.perf_counter()
        f = run(ws, sample=args.sample, clients=args.clients, seconds=args.seconds)
    finally:
        if location is not None:
            drop_pg(location)
    print(f"{LAYER} tiles, scale {args.scale:g}, {f['backend']}, uvicorn 1 worker, loopback "
          f"({time.perf_counter() - t0:.0f} s)")
    for k, v in figures_of(f).items():
        print(f"  {k:<34} {v}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
