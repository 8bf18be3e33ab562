"""Crash safety of the workspace: an import killed with SIGKILL at any point leaves the workspace
byte-identical or fully updated (never half), and readers during writes always see one whole state.

The imports run in subprocesses on a copy of a small workspace: once killed at fixed steps of the
write (by patching a step to kill its own process, as ``test_workspace.py`` does), once killed from
outside after fixed delays while importing a 200,000-row CSV.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pyproj import Transformer

from app.storage.backup import remove_stale_temp_files, stale_temp_files
from app.storage.workspace import Workspace, create_workspace
from tests.geo.test_workspace import CRS, X0, Y0, _layers

ROOT = Path(__file__).resolve().parents[2]
BIG_ROWS = 200_000
SMALL_ROWS = 5_000
LAYERS = {"boundary", "stations", "incidents"}

_IMPORT = r"""
import os, signal, sys
ws_path, csv_path, mode = sys.argv[1:4]
import app.services.imports as imports
import app.storage.workspace as w
from app.storage.workspace import Workspace

def die():
    os.kill(os.getpid(), signal.SIGKILL)

def after(module, name):
    real = getattr(module, name)
    def step(*args, **kwargs):
        out = real(*args, **kwargs)
        die()
    setattr(module, name, step)

if mode == "after-read":
    after(imports, "read_table")
elif mode == "after-check":
    after(imports, "prepare_rows")
elif mode == "after-layer":
    after(w, "_write_layer")          # the layer is in the temporary copy, meta not yet
elif mode == "after-meta":
    after(w, "_write_meta")           # the copy is complete, not yet flushed nor moved
elif mode in ("before-replace", "after-replace"):
    real_replace = os.replace
    def replace(src, dst):
        if os.path.abspath(dst) == os.path.abspath(ws_path) and mode == "before-replace":
            die()
        real_replace(src, dst)
        if os.path.abspath(dst) == os.path.abspath(ws_path):
            die()                     # moved, the folder not yet flushed
    os.replace = replace
ws = Workspace(ws_path)
print("go", flush=True)
imports.import_table(ws, "incidents", csv_path, progress=lambda stage, f: print(f"{stage} {f:g}", flush=True))
print("done", flush=True)
"""


def _csv(path: Path, n: int, seed: int) -> Path:
    rng = np.random.default_rng(seed)
    x = X0 + 50 + rng.random(n) * 1900
    y = Y0 + 50 + rng.random(n) * 1900
    lon, lat = Transformer.from_crs(CRS, "EPSG:4326", always_xy=True).transform(x, y)
    pd.DataFrame({
        "incident_id": [f"C{i:07d}" for i in range(n)],
        "occurred_at": pd.date_range("2024-01-01", periods=n, freq="3min").strftime("%Y-%m-%d %H:%M"),
        "category": rng.choice(["入室盗窃", "抢劫", "抢夺", "电动车盗窃"], n),
        "lon": lon.round(6),
        "lat": lat.round(6),
    }).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    folder = tmp_path_factory.mktemp("crash")
    ws = create_workspace(folder / "base.gpkg", _layers(), crs=CRS)
    return {"ws": ws.path, "big": _csv(folder / "big.csv", BIG_ROWS, 1),
            "small": _csv(folder / "small.csv", SMALL_ROWS, 2)}


def _start(ws_path: Path, csv_path: Path, mode: str) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen([sys.executable, "-c", _IMPORT, str(ws_path), str(csv_path), mode],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)


def _outcome(path: Path, before: bytes, csv_path: Path, rows: int) -> str:
    """'unchanged' (byte-identical) or 'updated' (every row in, sound file); anything else fails."""
    for side in ("-journal", "-wal"):
        assert not Path(str(path) + side).exists(), f"{side} left beside the workspace"
    leftovers = [p.name for p in path.parent.iterdir() if p.name not in (path.name,)]
    assert all(name.startswith(f".{path.name}.") and ".tmp.gpkg" in name for name in leftovers), leftovers
    ws = Workspace(path)  # opens cleanly
    assert set(ws.layers()) == LAYERS  # no temporary table shows up as a layer
    con = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    finally:
        con.close()
    if path.read_bytes() == before:
        return "unchanged"
    assert ws.count("incidents") == 3 + rows, "half an import"
    assert ws.meta["source:incidents"] == str(csv_path)
    ids = ws.read("incidents", columns=["incident_id"])["incident_id"]
    assert ids.is_unique and ids.str.startswith("C").sum() == rows
    return "updated"


def _run_killed(base: dict, tmp_path: Path, name: str, csv_path: Path, rows: int, mode: str,
                delay: float | None = None, after_line: str = "go") -> tuple[str, int, list[str]]:
    folder = tmp_path / name
    folder.mkdir()
    path = folder / "ws.gpkg"
    shutil.copyfile(base["ws"], path)
    before = path.read_bytes()
    proc = _start(path, csv_path, mode)
    try:
        assert proc.stdout.readline().strip() == "go", proc.stderr.read()
        line = "go"
        while line != after_line:
            line = proc.stdout.readline().strip()
            assert line, f"the import ended before '{after_line}'"
        if delay is not None:
            time.sleep(delay)
            proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=120)
    finally:
        proc.kill()
        proc.wait()
        proc.stdout.close()
        proc.stderr.close()
    leftovers = [p.name for p in stale_temp_files(path, older_than_s=0)]
    result = _outcome(path, before, csv_path, rows)
    remove_stale_temp_files(path, older_than_s=0)
    assert sorted(p.name for p in folder.iterdir()) == ["ws.gpkg"]
    return result, proc.returncode, leftovers


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("after-read", "unchanged"),
        ("after-check", "unchanged"),
        ("after-layer", "unchanged"),
        ("after-meta", "unchanged"),
        ("before-replace", "unchanged"),
        ("after-replace", "updated"),
    ],
)
def test_import_killed_at_each_step_leaves_the_old_or_the_new_workspace(base, tmp_path, mode, expected):
    result, code, leftovers = _run_killed(base, tmp_path, mode, base["small"], SMALL_ROWS, mode)
    assert code == -signal.SIGKILL
    assert result == expected
    # a write killed before its move leaves its hidden temporary copy (found and removed above)
    assert bool(leftovers) == (mode in ("after-layer", "after-meta", "before-replace"))


def test_import_of_200k_rows_killed_after_delays(base, tmp_path):
    """SIGKILL 0.2, 0.5, 1 and 2 s into a ~6 s import (alone: read 0.5 s, checks 1.7 s, place 0.3 s,
    write 3.5 s) and 0.5 and 1.5 s into its write, two imports at a time: every outcome is the
    old file byte for byte or the complete new one."""
    from concurrent.futures import ThreadPoolExecutor

    points = [("go", 0.2), ("write workspace 0", 1.5), ("go", 0.5), ("write workspace 0", 0.5),
              ("go", 1.0), ("go", 2.0)]  # paired to take about as long
    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = {f"{line}+{d}s": pool.submit(_run_killed, base, tmp_path, f"t{k}", base["big"], BIG_ROWS,
                                            "timed", d, line)
                for k, (line, d) in enumerate(points)}
        outcomes = {key: (r.result()[0], r.result()[1], len(r.result()[2])) for key, r in runs.items()}
    print(json.dumps(outcomes))
    # killed mid-write: the old file is intact and only the hidden temporary copy is left behind
    assert all(outcomes[f"write workspace 0+{d}s"][2] == 1 for d in (0.5, 1.5))
    assert all(result in ("unchanged", "updated") for result, _, _ in outcomes.values())
    assert any(code == -signal.SIGKILL for _, code, _ in outcomes.values())


_READER = r"""
import json, sys, time
from pathlib import Path
from app.storage.workspace import Workspace
path, stop = sys.argv[1], Path(sys.argv[2])
print("reading", flush=True)
while not stop.exists():
    try:
        ids = Workspace(path).read("incidents", columns=["incident_id"])["incident_id"]
        versions = sorted({i.split("-")[0] if "-" in i else "v0" for i in ids})
        print(json.dumps({"n": len(ids), "versions": versions}), flush=True)
    except Exception as exc:
        print(json.dumps({"error": f"{type(exc).__name__}: {exc}"}), flush=True)
"""

_WRITER = r"""
import sys
import geopandas as gpd, pandas as pd
from app.storage.workspace import Workspace
ws = Workspace(sys.argv[1])
base = ws.read("incidents")
for k in range(1, 6):
    frame = pd.concat([base] * (200 * k), ignore_index=True)
    frame["incident_id"] = [f"v{k}-{i}" for i in range(len(frame))]
    ws = ws.write({"incidents": gpd.GeoDataFrame(frame, geometry="geometry", crs=base.crs)})
    print(k, flush=True)
"""


def test_readers_during_writes_see_the_old_or_the_new_layer(tmp_path):
    path = tmp_path / "ws.gpkg"
    create_workspace(path, _layers(), crs=CRS)
    stop = tmp_path / "stop"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    reader = subprocess.Popen([sys.executable, "-c", _READER, str(path), str(stop)], stdout=subprocess.PIPE,
                              text=True, env=env, cwd=ROOT)
    try:
        assert reader.stdout.readline().strip() == "reading"
        writer = subprocess.run([sys.executable, "-c", _WRITER, str(path)], capture_output=True, text=True,
                                env=env, cwd=ROOT, timeout=120)
        assert writer.returncode == 0, writer.stderr
        assert writer.stdout.split() == ["1", "2", "3", "4", "5"]
        time.sleep(0.3)
        stop.touch()
        out, _ = reader.communicate(timeout=60)
    finally:
        reader.kill()
        reader.wait()
        reader.stdout.close()
    reads = [json.loads(line) for line in out.splitlines() if line.strip()]
    errors = [r["error"] for r in reads if "error" in r]
    assert not errors, errors[:3]
    expected = {"v0": 3, **{f"v{k}": 3 * 200 * k for k in range(1, 6)}}
    for r in reads:
        assert len(r["versions"]) == 1, f"a read mixed versions: {r}"
        assert r["n"] == expected[r["versions"][0]], f"a read saw a partial layer: {r}"
    seen = {r["versions"][0] for r in reads}
    assert len(reads) >= 20 and len(seen) >= 3, (len(reads), seen)
    assert "v5" in seen
