"""``patrolnet routes`` is deterministic (issue 14): the demo district's whole shift (brigade
vehicles and grid teams) planned twice, once with CPU load beside it and another hash seed, gives
the same files byte for byte and a re-plan that changes nothing, so two sheets for one team never
disagree."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]
DAY = "2026-11-02"
SHIFT = "20:00-24:00"
#: A busy loop for one core, beside a plan (it ends by itself after 10 minutes should the test die).
BUSY = "import time\nend = time.monotonic() + 600\nwhile time.monotonic() < end: pass"


def _cli(*args: str, hash_seed: str, load: bool = False) -> subprocess.CompletedProcess:
    """The command line in a fresh interpreter with ``PYTHONHASHSEED=hash_seed``; with ``load``,
    two busy loops (one per core) run beside it."""
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    busy = [subprocess.Popen([sys.executable, "-c", BUSY]) for _ in range(2 if load else 0)]
    try:
        res = subprocess.run([sys.executable, "-m", "app.cli", *args], cwd=ROOT, env=env, capture_output=True,
                             text=True, timeout=900, check=False)
    finally:
        for p in busy:
            p.kill()
            p.wait()
    assert res.returncode == 0, res.stdout + res.stderr
    return res


def test_the_demo_shift_planned_twice_gives_the_same_files_and_an_unchanged_replan(demo_workspace, tmp_path):
    ws = str(demo_workspace.path)
    # nominal search seconds per team loop: a count of solutions, so any value is as deterministic
    common = ("routes", ws, "--shift", SHIFT, "--date", DAY, "--time-limit", "0.05", "--lang", "en")
    _cli(*common, "--out", str(tmp_path / "a"), hash_seed="0")
    _cli(*common, "--out", str(tmp_path / "b"), hash_seed="31337", load=True)
    a = {p.name: p.read_bytes() for p in sorted((tmp_path / "a").iterdir())}
    b = {p.name: p.read_bytes() for p in sorted((tmp_path / "b").iterdir())}
    assert sorted(a) == sorted(b) and len(a) == 6
    for name, data in a.items():
        assert data == b[name], f"{name} differs between two plans of the same shift"
    routes = json.loads(next(v for k, v in a.items() if k.endswith(".geojson")))
    kinds = [f["properties"]["unit_kind"] for f in routes["features"] if f["properties"]["feature_type"] == "route"]
    assert kinds.count("brigade_vehicle") == 12 and kinds.count("grid_team") == 47
    gpx = next(v for k, v in a.items() if k.endswith(".gpx")).decode()
    assert "<time>2026-11-02T12:00:00Z</time>" in gpx  # the shift's start (20:00 +08:00), not the run's time
    # the second plan is recorded as a re-plan of the first that changes no unit
    plans = json.loads(_cli("plans", "list", ws, "--json", hash_seed="0").stdout)
    assert len(plans) == 2
    assert plans[0]["result"]["changes"] == {"previous": plans[1]["id"], "added": [], "removed": [], "changed": [],
                                             "same": 59}
    assert plans[0]["result"]["units"] == plans[1]["result"]["units"]
