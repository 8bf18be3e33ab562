"""Minutes of patrol along each street from GPS tracks (geo.mapmatch.minutes_on_arcs: each ping on
the street the map matcher puts it on): a track walked along one street gives that street its
minutes and the street beside it none; a gap gives no minutes; a ping far from every street counts
for none."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely

from geo.mapmatch import RoadArcs, minutes_on_arcs
from geo.tracks import clean_track


def test_a_walk_along_one_street_gives_it_the_minutes() -> None:
    a = shapely.LineString([(0, 0), (1000, 0)])
    b = shapely.LineString([(0, 100), (1000, 100)])
    rng = np.random.default_rng(7)
    t = np.arange(0, 600, 10.0)  # 10 minutes, a ping every 10 s
    x = t / 600 * 1000 + rng.normal(0, 5, len(t))
    y = rng.normal(0, 5, len(t))
    # then 5 minutes without a fix (a gap), 2 minutes beside b, 3 minutes 300 m from both streets
    t = np.r_[t, 900 + np.arange(0, 130, 10.0), 1030 + np.arange(0, 190, 10.0)]
    x = np.r_[x, np.full(13, 500.0), np.full(19, 500.0)]
    y = np.r_[y, np.full(13, 95.0), np.full(19, 400.0)]
    times = pd.Timestamp("2026-11-02 20:00", tz="Asia/Shanghai") + pd.to_timedelta(t, unit="s")
    track = clean_track(pd.Series(times), x, y)
    arcs = RoadArcs([1, 2, 3, 4], [2, 1, 4, 3], [a, a.reverse(), b, b.reverse()])  # two two-way streets
    per_arc = minutes_on_arcs(arcs, [track])
    got = [per_arc[0] + per_arc[1], per_arc[2] + per_arc[3]]
    assert got[0] == pytest.approx(10.0 - 10 / 60, abs=1e-9)  # 59 steps of 10 s: the last ping's time goes nowhere
    # 13 steps of 10 s beside b (the last one while leaving it for the yard); the yard's 3 minutes: no street
    assert got[1] == pytest.approx(130 / 60, abs=1e-9)
    # walked eastwards: on the eastward arc (the first ping, at the street's end, may be either way)
    assert per_arc[0] >= got[0] - 10 / 60 - 1e-9
    assert minutes_on_arcs(arcs, []).tolist() == [0.0] * 4
