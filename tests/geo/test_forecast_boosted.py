"""The gradient-boosted count model (``method="boosted"``): it learns from the weeks before the
forecast only, gives the same scores twice, and finds a place whose incidents rise week by week."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.forecast import forecast, grid_cells

CRS = "EPSG:32650"
TZ = "Asia/Shanghai"


def _history(seed: int = 0) -> gpd.GeoDataFrame:
    """Two years on a 5 x 5 grid of 100 m cells: every cell a steady trickle; cell (row 0, col 4)
    grows from nothing to several a week over the last half-year; cell (4, 0) was busy and stopped."""
    rng = np.random.default_rng(seed)
    rows = []
    days = pd.date_range("2024-01-01", "2025-12-31", freq="D")
    for i, day in enumerate(days):
        for _ in range(rng.poisson(1.0)):
            rows.append((rng.uniform(0, 500), rng.uniform(0, 500), day + pd.Timedelta(hours=rng.uniform(0, 24))))
        if i > len(days) - 180:
            for _ in range(rng.poisson((i - (len(days) - 180)) / 180 * 1.5)):
                rows.append((rng.uniform(400, 500), rng.uniform(0, 100), day + pd.Timedelta(hours=12)))
        if i < 365:
            for _ in range(rng.poisson(1.5)):
                rows.append((rng.uniform(0, 100), rng.uniform(400, 500), day + pd.Timedelta(hours=12)))
    t = pd.DatetimeIndex([r[2] for r in rows]).tz_localize(TZ)
    return gpd.GeoDataFrame({"occurred_at": t, "category": "ebike_theft"},
                            geometry=gpd.points_from_xy([r[0] for r in rows], [r[1] for r in rows]), crs=CRS)


def test_boosted_learns_before_the_forecast_only_and_is_repeatable() -> None:
    inc = _history()
    cells = grid_cells(gpd.GeoSeries([shapely.box(0, 0, 500, 500)], crs=CRS), cell_m=100, hull=False)
    params = {"train_weeks": 12, "iterations": 60}
    fc = forecast(inc, cells=cells, as_of="2025-11-30", method="boosted", params=params)
    again = forecast(inc, cells=cells, as_of="2025-11-30", method="boosted", params=params)
    pd.testing.assert_frame_equal(fc, again)
    # incidents after the last day of data change nothing
    later = inc[inc["occurred_at"] < pd.Timestamp("2025-12-01", tz=TZ)]
    cut = forecast(later, cells=cells, as_of="2025-11-30", method="boosted", params=params)
    pd.testing.assert_frame_equal(fc, cut)
    # the growing cell first; the cell that went quiet a year ago is not above the trickle's median
    by = fc.set_index("cell_id")
    grow = int(cells.loc[(cells["row"] == 0) & (cells["col"] == 4), "cell_id"].iloc[0])
    quiet = int(cells.loc[(cells["row"] == 4) & (cells["col"] == 0), "cell_id"].iloc[0])
    assert by.loc[grow, "rank"] == 1
    assert by.loc[quiet, "expected"] <= by["expected"].median() * 1.5
    # all-history counts rank the quiet cell first: the model is not counting
    counts = forecast(inc, cells=cells, as_of="2025-11-30", method="naive_all").set_index("cell_id")
    assert counts.loc[quiet, "rank"] == 1
