"""The shift's watch list core (:mod:`geo.forecast.watch`): the window's weekday x hour slots, the
ranking by each station's profile against a hand computation, and the places' names."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo.errors import InputError
from geo.forecast.watch import PROFILE_PRIOR, place_labels, shift_slots, watch_list

CRS = "EPSG:32650"


def test_shift_slots_cover_the_window_hours_and_run_past_midnight() -> None:
    sunday = pd.Timestamp("2026-11-01 20:00", tz="Asia/Shanghai")
    s = shift_slots(sunday, sunday + pd.Timedelta(hours=4))
    assert np.flatnonzero(s).tolist() == [6 * 24 + h for h in (20, 21, 22, 23)] and s.sum() == 4
    night = shift_slots(pd.Timestamp("2026-11-01 22:00"), pd.Timestamp("2026-11-02 06:00"))
    assert np.flatnonzero(night).tolist() == [0, 1, 2, 3, 4, 5, 6 * 24 + 22, 6 * 24 + 23]  # Sunday into Monday
    part = shift_slots(pd.Timestamp("2026-11-02 20:30"), pd.Timestamp("2026-11-02 21:15"))
    assert part[20] == pytest.approx(0.5) and part[21] == pytest.approx(0.25) and part.sum() == pytest.approx(0.75)
    with pytest.raises(InputError):
        shift_slots(pd.Timestamp("2026-11-02 20:00"), pd.Timestamp("2026-11-02 20:00"))


def _squares() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"subzone_id": ["A", "B", "C"]},
                            geometry=[shapely.box(0, 0, 100, 100), shapely.box(100, 0, 200, 100),
                                      shapely.box(200, 0, 300, 100)], crs=CRS)


def _incidents(rows: list[tuple[float, str]]) -> gpd.GeoDataFrame:
    """Incidents at x (y = 50) and local times."""
    return gpd.GeoDataFrame({"occurred_at": pd.to_datetime([t for _, t in rows]).tz_localize("Asia/Shanghai"),
                             "category": "theft"},
                            geometry=gpd.points_from_xy([x for x, _ in rows], [50.0] * len(rows)), crs=CRS)


def test_places_rank_by_their_stations_share_of_the_window() -> None:
    # A (station S1) has its incidents at night, B and C (station S2) by day; all three expect 1.4 a week
    rows = [(50, f"2026-10-{d:02d} 21:30") for d in range(5, 26)] + [(150, f"2026-10-{d:02d} 10:00") for d in range(5, 26)]
    rows += [(250, "2026-10-06 10:30"), (999, "2026-10-07 21:00")]  # (the last outside every place)
    inc = _incidents(rows)
    cells = _squares()
    ranked = pd.DataFrame({"subzone_id": ["A", "B", "C"], "expected": [1.4, 1.4, 1.5]})
    groups = pd.Series({"A": "S1", "B": "S2", "C": "S2"})
    start, end = pd.Timestamp("2026-11-02 20:00"), pd.Timestamp("2026-11-03 00:00")  # a Monday night
    got = watch_list(ranked, cells=cells, incidents=inc, start=start, end=end, horizon_days=7, groups=groups)
    # by hand: the district's profile, each station's counts shrunk toward it
    local = inc["occurred_at"].dt.tz_localize(None)
    slot = (local.dt.day_of_week * 24 + local.dt.hour).to_numpy()
    district = np.bincount(slot, minlength=168) / len(slot)
    window = np.zeros(168)
    window[20:24] = 1.0
    station = np.where(inc.geometry.x < 100, "S1", np.where(inc.geometry.x < 300, "S2", ""))
    want = {}
    for s in ("S1", "S2"):
        counts = np.bincount(slot[station == s], minlength=168)
        want[s] = float(((counts + PROFILE_PRIOR * district) / (counts.sum() + PROFILE_PRIOR)) @ window)
    by = got.set_index("subzone_id")
    assert by.loc["A", "window_share"] == pytest.approx(want["S1"])
    assert by.loc["B", "window_share"] == pytest.approx(want["S2"]) == by.loc["C", "window_share"]
    assert by.loc["A", "expected_window"] == pytest.approx(1.4 * want["S1"])
    assert got["subzone_id"].tolist() == ["A", "C", "B"] and got["rank"].tolist() == [1, 2, 3]
    # incidents in the window's clock hours, any day: A's 21 night ones; B and C none
    assert by["same_hours_12m"].to_dict() == {"A": 21, "B": 0, "C": 0}
    # by day, the day-time station's places come first
    day = watch_list(ranked, cells=cells, incidents=inc, start=pd.Timestamp("2026-11-02 08:00"),
                     end=pd.Timestamp("2026-11-02 12:00"), horizon_days=7, groups=groups)
    assert day["subzone_id"].tolist() == ["C", "B", "A"]
    # no groups: one district profile, so the window only rescales the forecast (its order stays)
    flat = watch_list(ranked, cells=cells, incidents=inc, start=start, end=end, horizon_days=7)
    assert flat["subzone_id"].tolist() == ["C", "A", "B"]
    assert flat["window_share"].iloc[0] == pytest.approx(float(district @ window))


def test_places_are_named_by_their_neighborhood_else_their_streets() -> None:
    cells = _squares()
    hoods = gpd.GeoDataFrame({"name": ["龙凤花园", "小角落"], "name_en": ["Longfeng Garden", "Corner"]},
                             geometry=[shapely.box(0, 0, 80, 100), shapely.box(195, 0, 205, 10)], crs=CRS)
    roads = gpd.GeoDataFrame({"name": ["北湖路", "抱石路", "北湖路", "", "短巷"]},
                             geometry=[shapely.LineString([(100, 50), (200, 50)]), shapely.LineString([(150, 0), (150, 100)]),
                                       shapely.LineString([(200, 60), (260, 60)]), shapely.LineString([(100, 10), (200, 10)]),
                                       shapely.LineString([(150, 90), (160, 90)])], crs=CRS)
    zh = place_labels(cells, key="subzone_id", neighborhoods=hoods, roads=roads)
    assert zh.to_dict() == {"A": "龙凤花园", "B": "北湖路、抱石路一带", "C": "北湖路一带"}
    en = place_labels(cells, key="subzone_id", neighborhoods=hoods, roads=roads, lang="en")
    assert en["A"] == "Longfeng Garden" and en["B"] == "around 北湖路, 抱石路"
    assert place_labels(cells, key="subzone_id").to_dict() == {"A": "A", "B": "B", "C": "C"}
    segs = gpd.GeoDataFrame({"segment_id": [1, 2], "name": ["北湖路", None]},
                            geometry=[shapely.LineString([(0, 0), (1, 1)]), shapely.LineString([(1, 1), (2, 2)])], crs=CRS)
    assert place_labels(segs, key="segment_id").to_dict() == {1: "北湖路", 2: "2"}
