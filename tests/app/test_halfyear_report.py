"""The half-year station report (``patrolnet report --half``): its windows, its figures against
plain pandas counts on the demo and on real Vancouver thefts (half-years in local time across summer
time), its files and its errors."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from app.cli import cli
from app.services.reports import build_half_year_report
from app.storage.workspace import Workspace
from geo.errors import InputError
from geo.reports import CRIMINAL
from geo.reports.halfyear import default_half, half_windows, parse_half
from tests.app._fixtures import build_vancouver

DATA = Path(__file__).resolve().parents[1] / "data"
runner = CliRunner()


@pytest.mark.parametrize("text, want", [("2026-H1", (2026, 1)), ("2026h2", (2026, 2)), ("2026 H2", (2026, 2)),
                                        ("2026年上半年", (2026, 1)), ("2025下半年", (2025, 2))])
def test_half_years_are_read_as_written(text: str, want: tuple[int, int]) -> None:
    assert parse_half(text) == want


@pytest.mark.parametrize("text", ["2026-H3", "2026-06", "H1", "2026年中"])
def test_a_bad_half_year_says_how_to_write_one(text: str) -> None:
    with pytest.raises(InputError, match="YYYY-H1 or YYYY-H2"):
        parse_half(text)


def test_windows_of_a_whole_half_and_of_one_not_over() -> None:
    w = half_windows(2026, 1, as_of=dt.date(2026, 10, 31), timezone="Asia/Shanghai")
    assert w["half"].span() == "2026-01-01..2026-06-30"
    assert w["half_last_year"].span() == "2025-01-01..2025-06-30"
    assert w["previous_half"].span() == "2025-07-01..2025-12-31"
    assert w["last_12m"].span() == "2025-07-01..2026-06-30"
    # the second half to October 31: every window cut to as many days
    w = half_windows(2026, 2, as_of=dt.date(2026, 10, 31), timezone="Asia/Shanghai")
    assert w["half"].span() == "2026-07-01..2026-10-31"
    assert w["half_last_year"].span() == "2025-07-01..2025-10-31"
    assert w["previous_half"].span() == "2026-01-01..2026-04-30"
    assert default_half(dt.date(2026, 10, 31)) == (2026, 1)
    assert default_half(dt.date(2026, 12, 31)) == (2026, 2)
    assert default_half(dt.date(2026, 3, 1)) == (2025, 2)
    with pytest.raises(InputError, match="starts after the last day of data"):
        half_windows(2027, 1, as_of=dt.date(2026, 10, 31))


def _counts(inc: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp, by: str) -> pd.Series:
    sel = inc[(inc["occurred_at"] >= start) & (inc["occurred_at"] < end) & inc["category"].isin(list(CRIMINAL))]
    return sel.groupby(sel[by].astype(str)).size()


def _check_against_pandas(ws: Workspace, half: str) -> None:
    rep = build_half_year_report(ws, half=half)
    inc = ws.read("incidents")
    st = rep.tables["stations"].set_index("station_id")
    w = rep.windows
    for key, col in (("half", "cases"), ("previous_half", "previous_half"), ("half_last_year", "half_last_year")):
        want = _counts(inc, w[key].start, w[key].end, "station_id").reindex(st.index, fill_value=0)
        if w[key].covered:
            assert st[col].astype(int).tolist() == want.astype(int).tolist(), key
        else:  # before the data: no baseline, not a zero
            assert st[col].isna().all(), key
    # fewest cases first, ties sharing a rank
    ranks = rep.tables["stations"]
    assert ranks["cases"].is_monotonic_increasing
    assert (ranks["rank"] == ranks["cases"].rank(method="min").astype(int)).all()
    nb = rep.tables["neighborhoods"]
    inside = inc[inc["place_kind"] == "neighborhood"]
    want = _counts(inside, w["half"].start, w["half"].end, "neighborhood_id")
    got = nb.set_index("neighborhood_id")["cases"]
    assert got.astype(int).to_dict() == want.reindex(got.index, fill_value=0).astype(int).to_dict()


def test_demo_half_years_count_as_plain_filters_do(demo_workspace: Workspace) -> None:
    for half in ("2026-H1", "2026-H2", "2025-H2"):
        _check_against_pandas(demo_workspace, half)
    rep = build_half_year_report(demo_workspace, half="2026-H2")
    assert rep.notes and "尚未结束" in rep.notes[0][0]  # the half to October 31, and says so


@pytest.fixture(scope="module")
def vancouver(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    return build_vancouver(tmp_path_factory.mktemp("van-half") / "van.gpkg")


def test_real_vancouver_half_years(vancouver: Workspace) -> None:
    _check_against_pandas(vancouver, "2020-H2")
    rep = build_half_year_report(vancouver, half="2020-H2")
    st = rep.tables["stations"]
    assert st["cases"].sum() > 5_000 and st["previous_half"].notna().all()
    assert st["half_last_year"].isna().all() and (st["yoy_status"] == "no_baseline").all()  # 2019 is not in the data
    # the half begins at midnight on July 1 in Vancouver (summer time: 07:00 UTC)
    assert rep.windows["half"].start == pd.Timestamp("2020-07-01 07:00", tz="UTC")
    assert default_half(rep.as_of) == (2020, 2)


def test_cli_writes_the_half_year_report_in_both_languages(demo_workspace: Workspace, tmp_path: Path) -> None:
    import openpyxl

    from app.assets import find_off_host_urls

    out = tmp_path / "half"
    result = runner.invoke(cli, ["report", str(demo_workspace.path), "--half", "2026-H1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "2026年上半年" in result.output and "抱石路派出所" in result.output
    html = (out / "yushui-2026-H1-halfyear.html").read_text(encoding="utf-8")
    assert html.count('<section class="station"') == 9 and "半年居民评议会材料" in html
    assert find_off_host_urls(html) == []
    book = openpyxl.load_workbook(out / "yushui-2026-H1-halfyear.xlsx")
    assert book.sheetnames == ["派出所半年排名", "小区半年排名", "示范小区"]
    assert book["派出所半年排名"]["A1"].value == "名次"
    figures = json.loads((out / "yushui-2026-H1-halfyear-figures.json").read_text(encoding="utf-8"))
    assert figures["half"] == "2026-H1" and len(figures["tables"]["stations"]) == 9
    result = runner.invoke(cli, ["report", str(demo_workspace.path), "--half", "2026-H1", "--out", str(out),
                                 "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert "Half-year station report 2026 H1" in result.output
    assert "half-year review meeting" in (out / "yushui-2026-H1-halfyear-en.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("args, says", [
    (["--half", "2026-H3"], "YYYY-H1"),
    (["--half", "2027-H1"], "晚于数据的最后一天"),
    (["--half", "2026-H1", "--month", "2026-09"], "二者选一"),
])
def test_cli_half_year_errors_say_what_to_change(demo_workspace: Workspace, tmp_path: Path, args: list[str],
                                                 says: str) -> None:
    result = runner.invoke(cli, ["report", str(demo_workspace.path), "--out", str(tmp_path / "o"), *args])
    assert result.exit_code == 2 and "error:" in result.output and says in result.output
    assert not (tmp_path / "o").exists()
