"""A station's camera gap list is ranked within the station (issue 18: its ranks were the district's),
the district's rank kept beside it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from app.services.cameras import camera_gaps_job
from app.storage.workspace import Workspace


def test_a_stations_gaps_are_ranked_within_the_station(demo_workspace: Workspace, tmp_path: Path) -> None:
    district, _ = camera_gaps_job(demo_workspace, out=tmp_path / "all.csv", risk=False)
    mine, path = camera_gaps_job(demo_workspace, out=tmp_path / "s01.csv", risk=False, station_id="S01")
    assert len(mine) and (mine["station_id"] == "S01").all()
    assert mine["rank"].tolist() == list(range(1, len(mine) + 1))
    ranks = district.set_index("gap_id")["rank"]
    assert mine["district_rank"].tolist() == ranks.loc[mine["gap_id"]].tolist()
    assert np.all(np.diff(mine["district_rank"].to_numpy()) > 0)  # the same order as the district's
    table = pd.read_csv(path, encoding="utf-8-sig")
    assert list(table.columns[:3]) == ["缺口编号", "排序", "全区排序"]


def test_the_gap_list_names_its_stations_and_neighborhoods(demo_workspace: Workspace, tmp_path: Path) -> None:
    """Issue 18: the gap XLSX had only id columns (S07, N0178)."""
    gaps, path = camera_gaps_job(demo_workspace, out=tmp_path / "gaps.xlsx", risk=False)
    st = demo_workspace.read("stations", columns=["station_id", "name"]).set_index("station_id")["name"]
    assert (gaps["station_name"] == gaps["station_id"].map(st)).all()
    inside = gaps[gaps["neighborhood_id"].notna()]
    assert len(inside) and inside["neighborhood_name"].notna().all()
    table = pd.read_excel(path)
    assert {"派出所", "小区"} <= set(table.columns)
