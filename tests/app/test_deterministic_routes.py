"""``patrolnet routes`` is deterministic (issue 14): the demo district's whole shift (brigade
vehicles and grid teams) planned twice, once with CPU load beside it and another hash seed, gives
the same files byte for byte and a re-plan that changes nothing, so two sheets for one team never
disagree."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from app.services.routes import forget_networks, plan_incidents, plan_network, routes_job
from app.storage.access import Principal, scoped
from geo.errors import InputError
from routing.export import routes_geojson
from routing.patrol import PLAN_INCIDENT_COLUMNS, incident_window, plan_shift, shift_window

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


def test_a_second_plan_in_one_process_reuses_the_network_until_the_workspace_changes(demo_workspace, tmp_path):
    """A job worker planning again (the same shift, another day) reads and builds the road network
    once: the second plan is made on the network kept from the first and its files are the same
    bytes as the first's; a write to the workspace (a neighborhood renamed) makes the network anew,
    and the stops named by that neighborhood say its new name."""
    ws = demo_workspace
    day = dt.date.fromisoformat(DAY)
    forget_networks()
    _, first = routes_job(ws, shift=SHIFT, date=day, out=tmp_path / "a", time_limit_s=0.05)
    kept = plan_network(ws)
    _, again = routes_job(ws, shift=SHIFT, date=day, out=tmp_path / "b", time_limit_s=0.05)
    assert plan_network(ws) is kept
    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in again] and len(first) == 6
    forget_networks()
    assert plan_network(ws) is not kept  # built anew after being dropped: the same network, read again
    # a neighborhood some stop is named by, renamed: a new network, the new name on the sheets
    hoods = ws.read("neighborhoods")
    routes = json.loads(next(p for p in first if p.suffix == ".geojson").read_text(encoding="utf-8"))
    labels = [s["label"] for f in routes["features"] if f["properties"]["feature_type"] == "route"
              for s in f["properties"]["stops"]]
    name = next(n for n in hoods["name"] if any(str(lb).startswith(n) for lb in labels))
    hoods.loc[hoods["name"] == name, "name"] = name + "新村"
    ws = ws.write({"neighborhoods": hoods})
    before = plan_network(ws)
    assert before is not kept and plan_network(ws) is before
    # a view of the same file cut to one station is never served the district's network (its cut
    # roads are no graph: refused), and the district's stays kept
    with pytest.raises(InputError, match="reference nodes missing"):
        plan_network(scoped(ws, Principal(username="s", role="station", station_id="S01")))
    assert plan_network(ws) is before
    _, renamed = routes_job(ws, shift=SHIFT, date=day, out=tmp_path / "c", time_limit_s=0.05)
    sheets = next(p for p in renamed if p.suffix == ".html").read_text(encoding="utf-8")
    assert name + "新村" in sheets
    forget_networks()


def test_the_plan_reads_its_look_back_window_only_and_is_the_same_as_from_every_incident(demo_workspace):
    """The shift's plan reads the incidents of its look-back window (a day's margin each side),
    not the whole history: the plans are those made from every incident."""
    ws = demo_workspace
    start, end = shift_window(SHIFT, date=dt.date.fromisoformat(DAY), tz=ws.timezone)
    net = plan_network(ws)
    every = ws.read("incidents", columns=list(PLAN_INCIDENT_COLUMNS))
    window = plan_incidents(ws, start, lookback_days=60)
    assert 0 < len(window) < len(every) / 4
    first, last = incident_window(start, lookback_days=60)
    when = pd.to_datetime(every["occurred_at"], utc=True)
    inside = pd.to_datetime(window["occurred_at"], utc=True)
    # every row the plan weighs, in the layer's order; the margin's rows beside them
    pd.testing.assert_frame_equal(window[(inside >= first) & (inside < last)].reset_index(drop=True),
                                  every[(when >= first) & (when < last)].reset_index(drop=True))
    options = {"shift_start": start, "shift_end": end, "lookback_days": 60, "time_limit_s": 0.05,
               "beats": net.beats, "neighborhoods": net.neighborhoods, "team_areas": net.team_areas}
    units = ws.read("units")
    assert routes_geojson(plan_shift(net.G, units, incidents=window, **options)) == \
        routes_geojson(plan_shift(net.G, units, incidents=every, **options))
