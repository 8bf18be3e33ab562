"""What a GPS track says a unit did: time present at a place, streets driven, gaps and bad fixes.

Pings are points with times (metres, a working CRS). :func:`clean_track` orders one unit's pings and
marks each gap (no ping for more than ``max_gap_s``: the time between says nothing of where the unit
was) and each implausible jump (faster than ``max_speed_ms``: a bad fix, left out). :func:`presence`
reads the minutes spent within a radius of a point the way dosage studies do (Koper's 10-15 minute
stops; ShotSpotter Missions' 250 m boxes): each interval between two good pings counts for the share
of its ends that lie inside, so 10-second pings measure minutes to within seconds per visit.
:func:`covered_length` gives how much of each street the track ran along (within ``buffer_m``).

:func:`simulate_track` walks a planned route (vertices with times, stops with arrive/depart) and
samples it like a phone would (every ``every_s`` seconds, Gaussian noise): the demo's tracks and the
tests' ground truth.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

__all__ = ["CleanTrack", "Presence", "clean_track", "covered_length", "presence", "simulate_track",
           "track_lines"]

#: Longest time between two pings that still counts as being where they are (s).
MAX_GAP_S = 120.0
#: Fastest plausible speed between two pings (m/s; 45 m/s = 162 km/h).
MAX_SPEED_MS = 45.0


@dataclass(frozen=True)
class CleanTrack:
    """One unit's pings in time order: ``t`` (s since the first), ``x``, ``y``, ``good`` (not an
    implausible fix) and ``dt`` (seconds to the next good ping, 0 across a gap or at the end)."""

    start: pd.Timestamp
    t: np.ndarray
    x: np.ndarray
    y: np.ndarray
    good: np.ndarray
    dt: np.ndarray
    gaps: int
    bad_fixes: int


def clean_track(times: pd.Series, x: np.ndarray, y: np.ndarray, *, max_gap_s: float = MAX_GAP_S,
                max_speed_ms: float = MAX_SPEED_MS) -> CleanTrack:
    """One unit's pings ordered by time, duplicates of a second dropped, implausible fixes (reached
    faster than ``max_speed_ms`` from the last good ping) marked, gaps longer than ``max_gap_s`` cut."""
    ts = pd.to_datetime(pd.Series(times).reset_index(drop=True))
    order = np.argsort(ts.to_numpy(), kind="stable")
    ts = ts.iloc[order].reset_index(drop=True)
    x, y = np.asarray(x, float)[order], np.asarray(y, float)[order]
    keep = ~ts.duplicated().to_numpy()
    ts, x, y = ts[keep].reset_index(drop=True), x[keep], y[keep]
    start = ts.iloc[0] if len(ts) else pd.Timestamp(0)
    t = ((ts - start) / pd.Timedelta(seconds=1)).to_numpy(float)
    good = np.isfinite(x) & np.isfinite(y)
    last = -1
    for i in range(len(t)):  # a fix reached too fast from the last good one is a jump, not a drive
        if not good[i]:
            continue
        if last >= 0:
            gap = t[i] - t[last]
            if gap <= max_gap_s and np.hypot(x[i] - x[last], y[i] - y[last]) > max_speed_ms * max(gap, 1.0):
                good[i] = False
                continue
        last = i
    idx = np.flatnonzero(good)
    dt = np.zeros(len(t))
    if idx.size > 1:
        step = np.diff(t[idx])
        dt[idx[:-1]] = np.where(step <= max_gap_s, step, 0.0)
    gaps = int(np.sum(np.diff(t[idx]) > max_gap_s)) if idx.size > 1 else 0
    return CleanTrack(start, t, x, y, good, dt, gaps, int((~good).sum()))


@dataclass(frozen=True)
class Presence:
    """Time within a radius of a point: minutes, visits (stays apart by more than ``merge_s``),
    the longest visit's minutes inside, the minutes between visits, and the first arrival (s from the
    track's start)."""

    minutes: float
    visits: int
    longest_min: float
    between_min: tuple[float, ...]
    first_s: float | None


def presence(track: CleanTrack, cx: float, cy: float, radius_m: float, *, merge_s: float = 60.0) -> Presence:
    """The time ``track`` spent within ``radius_m`` of ``(cx, cy)``: each interval between two good
    pings counts for the share of its two ends inside (the trapezoid rule on the inside indicator)."""
    idx = np.flatnonzero(track.good)
    if idx.size == 0:
        return Presence(0.0, 0, 0.0, (), None)
    t, dt = track.t[idx], track.dt[idx]
    inside = np.hypot(track.x[idx] - cx, track.y[idx] - cy) <= radius_m
    nxt = np.append(inside[1:], False)
    seconds = dt * (inside.astype(float) + nxt.astype(float)) / 2.0
    # stays: runs of inside pings, joined when apart by less than merge_s (noise at the edge)
    runs: list[list[float]] = []
    for i in np.flatnonzero(inside):
        lo, hi = t[i] - dt[i - 1] / 2.0 if i > 0 else t[i], t[i] + dt[i] / 2.0
        if runs and lo - runs[-1][1] <= merge_s and dt[i - 1] > 0:
            runs[-1][1] = hi
            runs[-1][2] += seconds[i]
        else:
            runs.append([lo, hi, seconds[i]])
    between = tuple(round((b[0] - a[1]) / 60.0, 2) for a, b in zip(runs, runs[1:]))
    return Presence(float(seconds.sum() / 60.0), len(runs), max(r[2] / 60.0 for r in runs) if runs else 0.0,
                    between, runs[0][0] if runs else None)


def track_lines(track: CleanTrack) -> shapely.MultiLineString:
    """The track as lines through consecutive good pings, one per run between gaps."""
    idx = np.flatnonzero(track.good)
    if idx.size < 2:
        return shapely.MultiLineString([])
    cut = np.flatnonzero(track.dt[idx[:-1]] <= 0) + 1  # (a gap after ping k: a new run from k + 1)
    runs = [r for r in np.split(idx, cut) if r.size >= 2]
    return shapely.MultiLineString([np.column_stack([track.x[r], track.y[r]]) for r in runs])


def covered_length(lines: Sequence[shapely.Geometry] | np.ndarray, tracks: Sequence[CleanTrack], *,
                   buffer_m: float = 25.0) -> np.ndarray:
    """Metres of each line within ``buffer_m`` of any of ``tracks`` (their lines between good pings)."""
    geoms = np.asarray(lines, dtype=object)
    if not len(tracks):
        return np.zeros(len(geoms))
    area = shapely.union_all([shapely.buffer(track_lines(tr), buffer_m) for tr in tracks])
    shapely.prepare(area)
    return shapely.length(shapely.intersection(geoms, area))


def simulate_track(coords: np.ndarray, coord_s: np.ndarray, stops: Sequence[tuple[float, float, float, float]], *,
                   every_s: float = 10.0, noise_m: float = 15.0, seed: int = 0,
                   until_s: float | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pings ``(t, x, y)`` of a unit following a planned route: at each stop ``(arrive_s, depart_s,
    x, y)`` it stands still; between, it moves along ``coords`` at the times ``coord_s``; a ping every
    ``every_s`` seconds to ``until_s`` (default: the route's end), each off by Gaussian noise of
    ``noise_m`` metres per axis (0: the truth)."""
    end = float(coord_s[-1]) if until_s is None else float(until_s)
    t = np.arange(0.0, end + 1e-9, float(every_s))
    x = np.interp(t, coord_s, coords[:, 0])
    y = np.interp(t, coord_s, coords[:, 1])
    for arrive, depart, sx, sy in stops:
        at = (t >= arrive) & (t <= depart)
        x[at], y[at] = sx, sy
    if noise_m > 0:
        rng = np.random.default_rng(seed)
        x = x + rng.normal(0.0, noise_m, t.size)
        y = y + rng.normal(0.0, noise_m, t.size)
    return t, x, y
