"""Where to watch in one shift (``patrolnet watchlist``, ``GET /api/v1/forecast/watchlist``, the
hotspot page's list): the default forecast chosen on the workspace's own weeks, the list ranked for
the shift against an independent pandas computation on real Vancouver thefts, named places, the
honesty line, CSV/XLSX that open, a station's list cut to its area, errors in the user's language."""

from __future__ import annotations

import datetime as dt
import io
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from app.cli import cli
from app.services.forecast import forecast_job
from app.services.watch import WATCH_COLUMNS, watch_list_job, write_watch_list
from app.storage.workspace import Workspace
from geo.errors import InputError
from geo.forecast import BASELINES
from geo.forecast.watch import PROFILE_PRIOR
from tests.app._auth import auth_headers
from tests.app._fixtures import build_vancouver, plain_client_class

DATA = Path(__file__).resolve().parents[1] / "data"
runner = CliRunner()


@pytest.fixture(scope="module")
def demo_forecast(demo_workspace_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the demo with its default sub-zone forecast (the method chosen on its own weeks)."""
    path = tmp_path_factory.mktemp("watch") / "yushui.gpkg"
    shutil.copyfile(demo_workspace_file, path)
    forecast_job(Workspace(path), out=path.parent / "fc.csv")
    return path


def test_the_default_forecast_is_chosen_on_the_workspace_and_the_list_says_how_it_did(demo_forecast: Path) -> None:
    ws = Workspace(demo_forecast)
    meta = ws.meta_json("forecast_subzones", {})
    choice = meta["choice"]
    assert meta["method"] == choice["method"] and meta["as_of"] == "2026-10-31"
    # counting, unless a model beat counting with its interval above zero
    counting = [h for m, h in choice["table"].items() if m in BASELINES]
    assert choice["verdict"] == "better" or choice["table"][meta["method"]] == max(counting)
    r = watch_list_job(ws, shift="20:00-24:00", day=dt.date(2026, 11, 1), top=15)
    assert r["day"] == "2026-11-01" and r["shift"] == "20:00-24:00" and not r["stale"]
    rows = pd.DataFrame(r["rows"])
    assert list(rows.columns) == list(WATCH_COLUMNS) and len(rows) == 15 and r["places"] == 1979
    assert rows["rank"].tolist() == list(range(1, 16))
    assert rows["expected_window"].is_monotonic_decreasing
    fc = ws.read("forecast_subzones").set_index("subzone_id")
    exp = fc.loc[rows["place_id"], "expected"].to_numpy(float)
    np.testing.assert_allclose(rows["expected"], exp, atol=5e-4)
    np.testing.assert_allclose(rows["expected_window"], exp / 7 * 7 * rows["window_share"], atol=2e-3)
    # named places, never sub-zone codes; stations by name
    assert not rows["place"].str.fullmatch(r"Z\d+").any()
    assert rows["station"].str.endswith("派出所").all()
    honest = r["honesty"]
    assert honest["method"] == meta["method"] and honest["weeks"] == 52
    assert honest["vs_all_history"] == pytest.approx(choice["table"][meta["method"]] / choice["table"]["naive_all"] - 1,
                                                     abs=1e-4)
    assert honest["kind"] in ("counting", "better", "tie") and "52 周" in honest["text"]
    # the same question twice: the same list
    assert watch_list_job(ws, shift="20:00-24:00", day=dt.date(2026, 11, 1), top=15)["rows"] == r["rows"]
    # another window ranks by its own hours: the list changes, and a forecast a month old says so
    late = watch_list_job(ws, shift="02:00-06:00", day=dt.date(2026, 12, 3), top=15, lang="en")
    assert late["stale"] and "the forecast covers the 7 days after, not 2026-12-03" in late["stale_text"]
    assert [x["place_id"] for x in late["rows"]] != rows["place_id"].tolist()
    # the forecast from October 31 covers November 1-7
    assert not watch_list_job(ws, shift="20:00-24:00", day=dt.date(2026, 11, 7), top=1)["stale"]
    assert watch_list_job(ws, shift="20:00-24:00", day=dt.date(2026, 11, 8), top=1)["stale"]
    assert watch_list_job(ws, shift="20:00-24:00", day=dt.date(2026, 10, 31), top=1)["stale"]


def test_the_list_opens_in_excel(demo_forecast: Path, tmp_path: Path) -> None:
    ws = Workspace(demo_forecast)
    r = watch_list_job(ws, shift="22:00-06:00", day=dt.date(2026, 11, 2), top=10)
    csv = write_watch_list(r, tmp_path / "w.csv")
    assert csv.read_bytes().startswith(b"\xef\xbb\xbf")  # (the byte-order mark Excel needs for Chinese)
    table = pd.read_csv(csv, encoding="utf-8-sig")
    assert list(table.columns[:4]) == ["排序", "位置", "派出所", "本时段预计警情"] and len(table) == 10
    r = watch_list_job(ws, shift="22:00-06:00", day=dt.date(2026, 11, 2), top=10, lang="en")
    xlsx = write_watch_list(r, tmp_path / "w.xlsx")
    book = load_workbook(xlsx)
    places, about = book.worksheets
    assert [c.value for c in places[1]][:3] == ["rank", "place", "station"] and places.max_row == 11
    assert "22:00-06:00" in about["A2"].value and any("backtest" in (c.value or "") or "counting" in (c.value or "")
                                                      for c in about["A"])
    assert write_watch_list(r, tmp_path / "again.xlsx").read_bytes() == xlsx.read_bytes()
    with pytest.raises(InputError) as e:
        write_watch_list(r, tmp_path / "w.pdf")
    assert e.value.code == "param.out_list"


def test_errors_name_what_to_do(demo_workspace: Workspace) -> None:
    with pytest.raises(InputError) as e:
        watch_list_job(demo_workspace, shift="20:00-24:00")
    assert e.value.code == "forecast.none"
    res = runner.invoke(cli, ["watchlist", str(demo_workspace.path), "--shift", "20:00-24:00"])
    assert res.exit_code == 2 and "请先更新风险预测" in res.output and "Traceback" not in res.output
    res = runner.invoke(cli, ["watchlist", str(demo_workspace.path), "--shift", "20:00-24:00", "--cells", "grid",
                              "--lang", "en"])
    assert res.exit_code == 2 and "no forecast by grid" in res.output


def test_cli_prints_writes_and_audits(demo_forecast: Path, tmp_path: Path) -> None:
    out = tmp_path / "tonight.xlsx"
    res = runner.invoke(cli, ["watchlist", str(demo_forecast), "--shift", "20:00-24:00", "--date", "2026-11-01",
                              "--top", "5", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "2026-11-01 20:00-24:00 重点巡防位置（前 5 处）" in res.output and out.is_file()
    assert "全部历史计数" in res.output
    res = runner.invoke(cli, ["watchlist", str(demo_forecast), "--shift", "25:00-24:00"])
    assert res.exit_code == 2 and "25:00-24:00" in res.output
    log = runner.invoke(cli, ["audit", str(demo_forecast), "--lang", "en"])
    assert "watchlist" in log.output or "Places to watch" in log.output


def test_web_list_files_and_a_stations_own_list(demo_forecast: Path, assets_ready: Path) -> None:
    from app.web import create_app

    app = create_app(demo_forecast)
    client = plain_client_class()(app)
    client.headers.update(auth_headers(app, "commander"))
    body = client.get("/api/v1/forecast/watchlist", params={"shift": "20:00-24:00", "date": "2026-11-01",
                                                          "top": 15}).json()
    same = watch_list_job(Workspace(demo_forecast), shift="20:00-24:00", day=dt.date(2026, 11, 1), top=15)
    assert body["rows"] == same["rows"] and body["honesty"]["text"] == same["honesty"]["text"]
    got = client.get("/api/v1/forecast/watchlist", params={"shift": "20:00-24:00", "date": "2026-11-01",
                                                         "format": "xlsx", "lang": "en"})
    assert got.status_code == 200 and "attachment" in got.headers["content-disposition"]
    assert load_workbook(io.BytesIO(got.content)).worksheets[0]["B1"].value == "place"
    got = client.get("/api/v1/forecast/watchlist", params={"shift": "20:00-24:00", "format": "csv"})
    assert got.content.startswith(b"\xef\xbb\xbf") and "位置" in got.content.decode("utf-8-sig").splitlines()[0]
    bad = client.get("/api/v1/forecast/watchlist", params={"shift": "8点到12点"})
    assert bad.status_code in (400, 422) and "8点到12点" in bad.text
    # a station user: only its own places, with the forecast's honesty line all the same
    station = plain_client_class()(app)
    station.headers.update(auth_headers(app, "station"))
    own = station.get("/api/v1/forecast/watchlist", params={"shift": "20:00-24:00", "date": "2026-11-01"}).json()
    s01 = Workspace(demo_forecast).read("stations").set_index("station_id").loc["S01", "name"]
    assert own["rows"] and {r["station"] for r in own["rows"]} == {s01}
    assert own["honesty"]["text"] == body["honesty"]["text"]
    log = client.get("/api/v1/audit", params={"action": "watchlist"}).json()
    assert any(e["action"] == "watchlist" for e in log["entries"])


def test_real_vancouver_shift_shares_match_plain_pandas(tmp_path: Path) -> None:
    """Real thefts (Vancouver 2020): the default forecast on a 250 m grid, and each listed cell's share of
    the Friday 20:00-24:00 window equal to its station's weekday x hour counts shrunk toward the
    city's, computed here from the raw CSV."""
    ws = build_vancouver(tmp_path / "van.gpkg")
    ws, _, _ = forecast_job(ws, out=tmp_path / "fc.csv", cells="grid", cell_m=250)
    r = watch_list_job(ws, shift="20:00-24:00", day=dt.date(2021, 1, 1), top=40, cells="grid", lang="en")
    assert r["as_of"] == "2020-12-31" and not r["stale"]
    assert r["honesty"]["kind"] in ("counting", "better", "tie", "worse")
    raw = pd.read_csv(DATA / "incidents" / "vancouver_thefts_2020.csv.gz")
    raw = raw[raw["X"].notna() & (raw["X"] > 0)]
    local = pd.to_datetime({"year": raw["YEAR"], "month": raw["MONTH"], "day": raw["DAY"], "hour": raw["HOUR"],
                            "minute": raw["MINUTE"]})
    keep = (local >= "2020-01-03").to_numpy()  # the 364 days before the forecast's first day
    x, y = raw["X"].to_numpy(float), raw["Y"].to_numpy(float)
    quad = (x >= np.median(x)).astype(int) + 2 * (y >= np.median(y)).astype(int)
    slot = (local.dt.day_of_week * 24 + local.dt.hour).to_numpy()[keep]
    quad = quad[keep]
    city = np.bincount(slot, minlength=168) / len(slot)
    window = np.zeros(168)
    window[4 * 24 + 20:4 * 24 + 24] = 1.0  # Friday 20:00-24:00
    want = {}
    for q in range(4):
        counts = np.bincount(slot[quad == q], minlength=168)
        want[f"Station {q + 1}"] = ((counts + PROFILE_PRIOR * city) / (counts.sum() + PROFILE_PRIOR)) @ window
    rows = pd.DataFrame(r["rows"])
    assert rows["station"].nunique() >= 2
    for row in rows.itertuples():
        assert row.window_share == pytest.approx(want[row.station], abs=1e-4), row.station
    assert rows["expected_window"].is_monotonic_decreasing
