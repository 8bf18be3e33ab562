"""What a shift's patrol is worth (issue 17): the expected incidents at the plan's hotspots come from the
last year's incidents in the shift's hours within the radius, the dose from the minutes against 15
minutes per 2 hours, the effect 8-16 % (Braga & Weisburd 2020); checked against numbers worked out by
hand, and on a recorded plan of the demo through the dosage table."""

from __future__ import annotations

import datetime as dt
from typing import Any

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point

import numpy as np

from app.services.worth import BASE_DAYS, PER_DAYS, camera_worth, patrol_worth


class _Ws:
    """Just what the estimate reads: incidents, a time zone."""

    timezone = "Asia/Shanghai"

    def __init__(self, incidents: gpd.GeoDataFrame):
        self._incidents = incidents

    def has(self, layer: str) -> bool:
        return layer == "incidents"

    def read(self, layer: str, columns: Any = None) -> gpd.GeoDataFrame:
        return self._incidents


def _incidents(rows: list[tuple[str, float, float]]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"occurred_at": pd.to_datetime([r[0] for r in rows]).tz_localize("Asia/Shanghai")},
                            geometry=[Point(r[1], r[2]) for r in rows], crs="EPSG:32650")


def test_the_estimate_counts_the_places_incidents_in_the_shifts_hours_and_doses_them() -> None:
    day = dt.date(2026, 11, 10)
    ws = _Ws(_incidents([
        ("2026-06-01 21:00", 0, 10),      # place A, in the hours, within 50 m: counts
        ("2026-07-01 23:59", 0, -40),     # place A: counts
        ("2026-07-02 12:00", 0, 0),       # place A, outside the hours: not
        ("2026-07-03 21:00", 0, 80),      # 80 m from A: not
        ("2025-10-01 21:00", 0, 0),       # more than a year before: not
        ("2026-11-10 21:00", 0, 0),       # the shift's own day: not (only the days before it)
        ("2026-08-01 22:00", 1000, 0),    # place B: counts
    ]))
    places = [{"x": 0.0, "y": 0.0, "planned_min": 30.0, "actual_min": 10.0},
              {"x": 1000.0, "y": 0.0, "planned_min": 60.0, "actual_min": 0.0}]
    got = patrol_worth(ws, places, day=day, shift="20:00-24:00", radius_m=50.0, with_tracks=True, lang="en")
    assert got["expected"] == pytest.approx(round(3 / BASE_DAYS, 3))
    assert got["full_dose_min"] == 30.0  # 15 minutes for each 2 hours of a 4-hour shift
    # planned: both places fully dosed (30 and 60 of 30 minutes); actual: A a third, B none
    assert got["planned"]["central"] == pytest.approx(round(3 / BASE_DAYS * 0.12, 3))
    assert (got["planned"]["low"], got["planned"]["high"]) == (round(3 / BASE_DAYS * 0.08, 3), round(3 / BASE_DAYS * 0.16, 3))
    assert got["actual"]["central"] == pytest.approx(round(2 / BASE_DAYS / 3 * 0.12, 3))
    assert got["planned"]["per_days"]["high"] == pytest.approx(round(got["planned"]["high"] * PER_DAYS, 2))
    assert "not a promise" in got["line"] and any("Braga" in s for s in got["sources"])
    # a shift past midnight takes the hours on both sides of it
    night = patrol_worth(ws, places, day=day, shift="23:00-01:00", radius_m=50.0, with_tracks=False, lang="zh-CN")
    assert night["expected"] == pytest.approx(round(1 / BASE_DAYS, 3)) and night["actual"] is None
    assert "不是承诺" in night["line"]


def test_a_camera_batch_is_worth_7_to_16_percent_of_the_incidents_at_the_gaps_it_covers() -> None:
    gaps = pd.DataFrame({"incidents_12m": [10, 4, 6, 0]})
    got = camera_worth(gaps, np.array([True, False, True, True]), lang="en")
    assert (got["incidents_12m"], got["low"], got["high"]) == (16.0, round(16 * 0.07, 2), round(16 * 0.16, 2))
    assert "3 gaps" in got["line"] and "not a promise" in got["line"] and "Welsh" in got["sources"][0]
