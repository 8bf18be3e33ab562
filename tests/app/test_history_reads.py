"""The report and the forecast read only the history they use (issue 14, province-sized history):
the months a report compares and the weeks a forecast method weighs, through the store's filter
(:mod:`app.storage.history`), with the same results as from the whole incidents layer: on the
demo district and on real Vancouver thefts (a zone with summer time), in a GeoPackage and in
PostgreSQL."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pytest

from app.services.forecast import forecast_history, forecast_places
from app.services.reports import build_monthly_report, report_period
from app.storage.history import read_period, time_span
from app.storage.workspace import Workspace, create_workspace
from geo.forecast import METHODS, forecast, grid_cells, history_days
from geo.hotspots import street_segments
from geo.reports import build_report
from tests.pg import pg_url  # noqa: F401 - the fixture

DATA = Path(__file__).resolve().parents[1] / "data"
#: The methods that weigh the whole history (weights that never reach zero); the others read a part of it.
UNBOUNDED = ("decayed", "decayed_long", "naive_all", "boosted")
BOUNDED = [m for m in METHODS if m not in UNBOUNDED]


def _same_report(a: Any, b: Any) -> None:
    assert a.windows == b.windows and a.notes == b.notes and a.month == b.month and a.as_of == b.as_of
    assert {k: v for k, v in a.settings.items()} == {k: v for k, v in b.settings.items()}
    assert list(a.tables) == list(b.tables)
    for key in a.tables:
        pd.testing.assert_frame_equal(a.tables[key].frame, b.tables[key].frame, check_exact=True)


def _whole_report(ws: Any, month: str, week: str | None = None) -> Any:
    """The report as it was made before: every layer read whole (:func:`geo.reports.build_report`
    of the workspace)."""
    from app.services.params import last_data_day

    return build_report(ws, month=month, week=week, as_of=last_data_day(ws))


@pytest.mark.parametrize(("month", "week"), [("2026-10", None), ("2026-03", "2026-W10"), ("2025-12", None)])
def test_the_report_reads_its_months_and_is_the_whole_layers_report(demo_workspace: Workspace, month: str,
                                                                     week: str | None) -> None:
    ws = demo_workspace
    rep = build_monthly_report(ws, month=month, week=week)
    _same_report(rep, _whole_report(ws, month, week))
    start, end = report_period(month, as_of=rep.as_of, timezone=ws.timezone, week=week)
    assert rep.incidents["occurred_at"].min() >= start and rep.incidents["occurred_at"].max() < end
    total = ws.count("incidents")
    assert len(rep.incidents) < total  # the demo has more history than a report's 24 months


def test_a_report_reads_further_back_when_asked(demo_workspace: Workspace) -> None:
    whole = demo_workspace.read("incidents", columns=["occurred_at"])["occurred_at"]
    rep = build_monthly_report(demo_workspace, month="2026-10", history_months=34)
    assert rep.incidents["occurred_at"].min() == whole.min()  # the demo starts 33 months before the month
    rep = build_monthly_report(demo_workspace, month="2026-10", history_months=3)
    assert rep.incidents["occurred_at"].min() >= pd.Timestamp("2024-11-01", tz=demo_workspace.timezone)
    assert len(build_monthly_report(demo_workspace, month="2026-10", history_months=None).incidents) == len(whole)


def test_time_span_and_read_period_agree_with_a_whole_read(demo_workspace: Workspace) -> None:
    ws = demo_workspace
    whole = ws.read("incidents")
    span = time_span(ws, "incidents", by="category").set_index("category").sort_index()
    occ = whole.groupby("category")["occurred_at"].agg(["min", "max"]).sort_index()
    assert (span["first"] == occ["min"]).all() and (span["last"] == occ["max"]).all()
    start, end = pd.Timestamp("2026-03-01", tz=ws.timezone), pd.Timestamp("2026-04-01", tz=ws.timezone)
    got = read_period(ws, "incidents", start=start, end=end)
    want = whole[(whole["occurred_at"] >= start) & (whole["occurred_at"] < end)].reset_index(drop=True)
    pd.testing.assert_frame_equal(pd.DataFrame(got), pd.DataFrame(want))


def _same_forecast(ws: Any, cells: gpd.GeoDataFrame, as_of: dt.date, method: str,
                   categories: list[str] | None = None, whole: gpd.GeoDataFrame | None = None) -> int:
    """The forecast from the history read in part is the one from the whole layer; the rows read."""
    inc, first_at = forecast_history(ws, as_of=as_of, method=method, categories=categories)
    got = forecast(inc, cells=cells, as_of=as_of, method=method, categories=categories, first_at=first_at)
    whole = ws.read("incidents") if whole is None else whole
    want = forecast(whole, cells=cells, as_of=as_of, method=method, categories=categories)
    key = want.columns[0]
    assert got[key].tolist() == want[key].tolist(), method  # the same ranking
    pd.testing.assert_frame_equal(got, want, check_exact=False, rtol=1e-12, atol=1e-15)
    return len(inc)


def test_the_forecast_reads_its_methods_weeks_and_ranks_as_from_the_whole_layer(demo_workspace: Workspace) -> None:
    from app.services.params import last_data_day

    ws = demo_workspace
    as_of = last_data_day(ws)
    whole = ws.read("incidents")
    grid = forecast_places(ws, "grid", 150.0)
    for method in BOUNDED:
        n = _same_forecast(ws, grid, as_of, method, whole=whole)
        assert n < len(whole), method
    segments = street_segments(ws.read("road_edges"))
    _same_forecast(ws, segments, as_of, "shrinkage", whole=whole)
    _same_forecast(ws, grid, dt.date(2026, 6, 15), "shrinkage", categories=["two_robberies_one_theft"], whole=whole)
    for method in UNBOUNDED:  # their weights never reach zero, or count every incident: all of it
        inc, first_at = forecast_history(ws, as_of=as_of, method=method)
        assert first_at is None and len(inc) == len(whole), method
        assert history_days(method) is None
        _same_forecast(ws, grid, as_of, method, whole=whole)


def test_history_days_follow_the_methods_windows() -> None:
    assert history_days("naive_recent") == 91  # (the expected total's 13 weeks)
    assert history_days("shrinkage") == 364
    assert history_days("last_year") == 378
    assert history_days("blend") == 366
    assert history_days("decayed") is None
    assert history_days("shrinkage", {"retune_window": 13}) is None


@pytest.fixture(scope="module")
def vancouver_gpkg(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Real Vancouver thefts of 2020 (local times, with summer time) as a workspace's incidents."""
    raw = pd.read_csv(DATA / "incidents" / "vancouver_thefts_2020.csv.gz")
    local = pd.to_datetime({"year": raw["YEAR"], "month": raw["MONTH"], "day": raw["DAY"],
                            "hour": raw["HOUR"], "minute": raw["MINUTE"]})
    occurred = local.dt.tz_localize("America/Vancouver", nonexistent="shift_forward", ambiguous=False)
    inc = gpd.GeoDataFrame({"incident_id": [f"V{i}" for i in range(len(raw))], "occurred_at": occurred,
                            "category": "theft", "place_kind": "street"},
                           geometry=gpd.points_from_xy(raw["X"], raw["Y"]), crs="EPSG:32610")
    path = tmp_path_factory.mktemp("van") / "van.gpkg"
    create_workspace(path, {"incidents": inc}, crs="EPSG:32610", timezone="America/Vancouver")
    return path


def _vancouver_checks(ws: Any) -> None:
    whole = ws.read("incidents")
    cells = grid_cells(whole, cell_m=150)
    for as_of in (dt.date(2020, 12, 31), dt.date(2020, 7, 15)):
        for method in ("shrinkage", "naive_recent", "retro_kde", "prospective", "last_year"):
            _same_forecast(ws, cells, as_of, method, whole=whole)
    # the days around the changes to and from summer time, read by period
    for day in ("2020-03-08", "2020-11-01"):
        start = pd.Timestamp(day, tz=ws.timezone)
        end = start + pd.Timedelta(days=1)
        got = read_period(ws, "incidents", start=start, end=end, columns=["incident_id"])
        want = whole[(whole["occurred_at"] >= start) & (whole["occurred_at"] < end)]
        assert got["incident_id"].tolist() == want["incident_id"].tolist() and len(got) > 10
    span = time_span(ws, "incidents")
    assert span["first"].iloc[0] == whole["occurred_at"].min() and span["last"].iloc[0] == whole["occurred_at"].max()


def test_real_vancouver_thefts_forecast_from_a_part_of_the_history(vancouver_gpkg: Path) -> None:
    _vancouver_checks(Workspace(vancouver_gpkg))


def test_postgres_reads_the_same_part_of_the_history(demo_workspace_file: Path, vancouver_gpkg: Path,
                                                     pg_url: str) -> None:  # noqa: F811
    from app.services.params import last_data_day
    from app.services.workspace_copy import copy_workspace
    from app.storage.pg_layers import PgWorkspace

    van = f"{pg_url}?schema=history_van"
    copy_workspace(vancouver_gpkg, van)
    _vancouver_checks(PgWorkspace(van))

    url = f"{pg_url}?schema=history_demo"
    copy_workspace(demo_workspace_file, url)
    pg, gpkg = PgWorkspace(url), Workspace(demo_workspace_file)
    assert last_data_day(pg) == last_data_day(gpkg)
    for month, week in (("2026-10", None), ("2026-03", "2026-W10")):
        _same_report(build_monthly_report(pg, month=month, week=week), _whole_report(gpkg, month, week))
    pd.testing.assert_frame_equal(time_span(pg, "incidents", by="category").sort_values("category").reset_index(drop=True),
                                  time_span(gpkg, "incidents", by="category").sort_values("category").reset_index(drop=True))
    as_of = last_data_day(gpkg)
    whole = gpkg.read("incidents")
    grid = forecast_places(gpkg, "grid", 150.0)
    for method in ("shrinkage", "blend", "naive_recent"):
        _same_forecast(pg, grid, as_of, method, whole=whole)
