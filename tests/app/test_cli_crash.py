"""Planning runs killed with SIGKILL (``kill -9``) leave the workspace as it was, or completely updated.

``patrolnet split`` (rewrites the coverage layers) and ``patrolnet hotspots`` (stores the Gi* layers)
run in subprocesses on copies of the demo district and are killed from outside: after fixed delays
(start-up, reading, computing; a run takes about 2-3 s alone) and at fixed times after the write's
temporary copy appears beside the workspace (mid-write). Every outcome must be the old file byte for
byte, or a workspace that opens and holds the same new layers as a run that was left to finish. The import's own kill -9 tests are in ``tests/geo/test_crash_safety.py``.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.storage.workspace import Workspace

ROOT = Path(__file__).resolve().parents[2]
RUNS = {
    "split": (["split"], ("edge_owners", "beats", "grid_team_areas")),
    "hotspots": (["hotspots", "--out", "{out}"], ("hotspot_subzones", "hotspot_segments")),
}
#: (what starts the clock, seconds after it): "start" of the process, or "write" = its temporary copy appears
KILLS = (("start", 0.5), ("start", 1.5), ("write", 0.0), ("write", 0.05), ("write", 0.2), ("write", 0.6))


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _start(command: list[str], ws: Path, out: Path) -> subprocess.Popen[bytes]:
    args = [a.replace("{out}", str(out)) for a in command]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PATROLNET_PROGRESS": ""}
    return subprocess.Popen([sys.executable, "-c", "from app.cli import main; main()", args[0], str(ws), *args[1:]],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _wait_for_write(proc: subprocess.Popen[bytes], folder: Path, timeout_s: float = 120.0) -> bool:
    """Wait until the run's temporary copy appears (True) or the process ends (False)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if any(folder.glob(".yushui.gpkg.*.tmp.gpkg")):
            return True
        if proc.poll() is not None:
            return False
        time.sleep(0.005)
    raise AssertionError(f"no write began within {timeout_s} s")


def _counts(ws_path: Path, layers: tuple[str, ...]) -> dict[str, int]:
    ws = Workspace(ws_path)
    return {name: ws.count(name) if ws.has(name) else -1 for name in layers}


@pytest.mark.slow
@pytest.mark.parametrize("run", sorted(RUNS))
def test_planning_run_killed_leaves_old_or_new_workspace(run: str, demo_workspace_file: Path, tmp_path: Path) -> None:
    command, layers = RUNS[run]
    # the reference: the same run left to finish
    ref = tmp_path / "ref" / "yushui.gpkg"
    ref.parent.mkdir()
    shutil.copyfile(demo_workspace_file, ref)
    done = _start(command, ref, tmp_path / "ref-out")
    assert done.wait(timeout=300) == 0
    expected = _counts(ref, layers)
    assert all(n > 0 for n in expected.values()), expected

    original = _digest(demo_workspace_file)
    outcomes: dict[str, str] = {}
    mid_write = 0
    for k, (clock, delay) in enumerate(KILLS):
        ws = tmp_path / f"k{k}" / "yushui.gpkg"
        ws.parent.mkdir()
        shutil.copyfile(demo_workspace_file, ws)
        proc = _start(command, ws, tmp_path / f"k{k}-out")
        if clock == "write":
            _wait_for_write(proc, ws.parent)
        time.sleep(delay)
        killed = proc.poll() is None
        mid_write += killed and any(ws.parent.glob(".yushui.gpkg.*.tmp.gpkg"))
        if killed:
            proc.send_signal(signal.SIGKILL)
        code = proc.wait(timeout=60)
        if _digest(ws) == original:
            result = "unchanged"
        else:
            got = _counts(ws, layers)  # opens: a whole GeoPackage, not a torn one
            assert got == expected, f"{run} killed {delay} s after {clock}: layers {got}, a finished run: {expected}"
            result = "updated"
        outcomes[f"{clock}+{delay}s"] = f"{result} ({'killed' if killed else f'exit {code}'})"
    print(run, json.dumps(outcomes))
    assert mid_write >= 1, f"no run was killed while writing: {outcomes}"
