"""A week of simulated field work for the demo district, so that the phone page, the dosage table and
the patrol-coverage map have something true to show (``patrolnet demo --field-week``).

For each of the last :data:`FIELD_DAYS` days of the demo's data, the evening shift of the brigade's
cars and the grid teams is planned and recorded (as ``patrolnet routes`` records it), and GPS tracks
are simulated from the plans (:func:`geo.tracks.simulate_track`: a car terminal's ping every 10 s,
a phone's on foot every 30 s (:data:`EVERY_S`), with :data:`NOISE_M` metres of noise): most units follow their plan, some cut corners (they
skip half of their hotspot stops and drive or walk on), one car never leaves its base, and a few
units send nothing. The pings go in through the tracks import, like any terminal's file.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from app.services.dosage import import_tracks
from app.services.plans import inputs_version, record_output
from app.services.routes import plan_summary, routes_job
from app.storage.workspace import Workspace
from geo.progress import Progress, no_progress
from geo.tracks import simulate_track

__all__ = ["EVERY_S", "FIELD_DAYS", "FIELD_SHIFT", "NOISE_M", "followed", "simulate_field_week"]

FIELD_DAYS = 7
FIELD_SHIFT = "20:00-24:00"
#: Seconds between two simulated pings by unit kind (a car terminal's, a phone's on foot), and their noise (m).
EVERY_S = {"brigade_vehicle": 10.0, "grid_team": 30.0}
NOISE_M = 15.0
#: Shares of units that cut corners and that send nothing (the rest follow their plan).
CUT_SHARE = 0.2
SILENT_SHARE = 0.08


def followed(plan: Any, *, every_s: float, noise_m: float, seed: int,
             skip: Sequence[str] = ()) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A track of ``plan`` followed (seconds from the shift's start, x, y in the plan's CRS), its
    stops at the hotspots in ``skip`` not made: the unit goes on at once and the rest of its route
    comes that much earlier."""
    skip = set(skip)
    coord_s = np.asarray(plan.coord_s, float).copy()
    skipped = [s for s in plan.stops if s.hotspot in skip]
    for s in skipped:
        coord_s[coord_s > s.arrive_s] -= s.depart_s - s.arrive_s
    coord_s = np.maximum.accumulate(coord_s)  # (a vertex inside a skipped stop's minutes: at its end)
    stops = []
    for s in plan.stops:
        if s.hotspot in skip:
            continue
        shift = sum(k.depart_s - k.arrive_s for k in skipped if k.arrive_s < s.arrive_s)
        stops.append((s.arrive_s - shift, s.depart_s - shift, s.x, s.y))
    return simulate_track(plan.coords, coord_s, stops, every_s=every_s, noise_m=noise_m, seed=seed)


def simulate_field_week(ws: Workspace, *, last_day: dt.date, days: int = FIELD_DAYS, shift: str = FIELD_SHIFT,
                        seed: int = 1979, progress: Progress | None = None) -> Workspace:
    """Plan, record and simulate the tracks of ``days`` evening shifts up to ``last_day``; the
    workspace with the ``tracks`` layer."""
    report = progress or no_progress
    rows: list[pd.DataFrame] = []
    with tempfile.TemporaryDirectory(prefix="pn-field-week-") as tmp:
        for i in range(days):
            day = last_day - dt.timedelta(days=days - 1 - i)
            report("field week", i / days)
            folder = Path(tmp) / day.isoformat()
            folder.mkdir()
            plans, written = routes_job(ws, shift=shift, date=day, out=folder / "routes.geojson",
                                        kinds=["brigade_vehicle", "grid_team"])
            record_output(ws.path, kind="routes", author="demo", params={"shift": shift}, inputs=inputs_version(ws),
                          folder=folder, files=[p.name for p in written], keep_copy=True,
                          result=plan_summary(plans, day=day, shift=shift))
            rows.append(_tracks_of(ws, plans, day=day, seed=seed))
        report("field week", 1.0)
        pings = pd.concat(rows, ignore_index=True)
        path = Path(tmp) / "field-week.csv"
        pings.to_csv(path, index=False, float_format="%.7f")
        ws, _, _ = import_tracks(ws, path)
    return ws


def _tracks_of(ws: Workspace, plans: Sequence[Any], *, day: dt.date, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng([seed, day.toordinal()])
    cars = [p for p in plans if p.unit_kind == "brigade_vehicle"]
    stay = cars[int(rng.integers(len(cars)))].unit_id if cars else None  # the car that never leaves its base
    out = []
    for k, p in enumerate(plans):
        if p.unit_id != stay and rng.random() < SILENT_SHARE:
            continue
        start = pd.Timestamp(p.shift_start)
        every = EVERY_S.get(p.unit_kind, 30.0)
        if p.unit_id == stay:
            n = int((pd.Timestamp(p.shift_end) - start).total_seconds() // every)
            t = np.arange(n) * every
            x = p.coords[0][0] + rng.normal(0, NOISE_M, n)
            y = p.coords[0][1] + rng.normal(0, NOISE_M, n)
        else:
            hot = sorted({s.hotspot for s in p.stops if s.hotspot})
            skip = hot[::2] if rng.random() < CUT_SHARE else []
            t, x, y = followed(p, every_s=every, noise_m=NOISE_M, seed=int(rng.integers(2**31)), skip=skip)
        pts = gpd.GeoSeries(gpd.points_from_xy(x, y), crs=ws.crs).to_crs("EPSG:4326")
        times = start + pd.to_timedelta(t, unit="s")
        out.append(pd.DataFrame({"unit_id": p.unit_id, "recorded_at": [v.isoformat() for v in times],
                                 "lon": pts.x.to_numpy(), "lat": pts.y.to_numpy()}))
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame(columns=["unit_id", "recorded_at", "lon", "lat"])
