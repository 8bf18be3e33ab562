"""``/api/v1/stats``: the headline figures, the station ranking and the model neighborhoods, checked
against counts made here directly from the incidents."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from app.web import create_app
from geo.schema import CATEGORIES, CRIMINAL_GROUPS
from routing.graph import MAIN_HIGHWAYS
from tests.app._fixtures import client_class

TROT = {c for c, (_, _, g) in CATEGORIES.items() if g == "two_robberies_one_theft"}
CRIMINAL = {c for c, (_, _, g) in CATEGORIES.items() if g in CRIMINAL_GROUPS}


@pytest.fixture(scope="module")
def demo_api(demo_workspace_file: Path, assets_ready: Path) -> Iterator[Any]:
    with client_class()(create_app(demo_workspace_file)) as c:
        yield c


@pytest.fixture(scope="module")
def demo_incidents(demo_workspace_file: Path) -> pd.DataFrame:
    from app.storage.workspace import Workspace

    ws = Workspace(demo_workspace_file)
    inc = pd.DataFrame(ws.read("incidents").drop(columns="geometry"))
    edges = ws.read("road_edges", columns=["edge_id", "highway"])
    main = set(edges.loc[edges["highway"].isin(MAIN_HIGHWAYS), "edge_id"].astype(int))
    inc["on_main"] = inc["edge_id"].map(lambda e: pd.notna(e) and int(e) in main)
    return inc


def _count(inc: pd.DataFrame, key: str, start: str, end: str) -> int:
    occ = inc["occurred_at"]
    tz = occ.dt.tz
    sel = (occ >= pd.Timestamp(start).tz_localize(tz)) & (occ < pd.Timestamp(end).tz_localize(tz))
    if key == "criminal":
        sel &= inc["category"].isin(CRIMINAL)
    elif key == "neighborhood_two_robberies_one_theft":
        sel &= inc["category"].isin(TROT) & (inc["place_kind"] == "neighborhood")
    else:
        sel &= inc["category"].isin(TROT) & (inc["place_kind"] == "street") & inc["on_main"]
    return int(sel.sum())


def test_headline_matches_direct_counts(demo_api: Any, demo_incidents: pd.DataFrame) -> None:
    body = demo_api.get("/api/v1/stats/headline").json()
    assert body["month"] == "2026-10" and body["as_of"] == "2026-10-31"  # the last full month
    assert body["windows"]["ytd"] == {"first_day": "2026-01-01", "last_day": "2026-10-31", "covered_by_data": True}
    keys = [f["key"] for f in body["figures"]]
    assert keys == ["criminal", "neighborhood_two_robberies_one_theft", "main_road_two_robberies_one_theft"]
    for f in body["figures"]:
        k = f["key"]
        assert f["month"]["current"] == _count(demo_incidents, k, "2026-10-01", "2026-11-01")
        assert f["month"]["baseline"] == _count(demo_incidents, k, "2025-10-01", "2025-11-01")
        assert f["ytd"]["current"] == _count(demo_incidents, k, "2026-01-01", "2026-11-01")
        assert f["ytd"]["baseline"] == _count(demo_incidents, k, "2025-01-01", "2025-11-01")
        ch = f["ytd"]
        assert ch["change"] == pytest.approx((ch["current"] - ch["baseline"]) / ch["baseline"], abs=1e-4)
        # the demo district follows the article: every headline figure is down year over year
        assert ch["status"] == "down" and ch["change"] < 0
    main = body["figures"][2]["ytd"]["change"]
    assert -0.85 < main < -0.5, "main-road street cases fall most (article: -68.72 %)"
    assert demo_api.get("/api/v1/stats/headline", params={"lang": "en"}).json()["figures"][0]["label"] == "criminal cases"


def test_headline_month_and_baseline_coverage(demo_api: Any) -> None:
    body = demo_api.get("/api/v1/stats/headline", params={"month": "2024-06"}).json()
    assert body["month"] == "2024-06"
    for f in body["figures"]:
        # the data start in January 2024: no year-before baseline, which is not a zero
        assert f["month"]["baseline"] is None and f["month"]["status"] == "no_baseline"
        assert f["month"]["change"] is None
    for bad in ("2026-13", "June", "2027-01"):
        r = demo_api.get("/api/v1/stats/headline", params={"month": bad})
        assert r.status_code == 422 and r.json()["error"] == "InputError", bad


def test_ranking(demo_api: Any, demo_incidents: pd.DataFrame) -> None:
    body = demo_api.get("/api/v1/stats/ranking", params={"month": "2026-09"}).json()
    assert body["month"] == "2026-09" and body["total"] == 9 and body["measure"] == "criminal"
    rows = body["rows"]
    cases = [r["cases"] for r in rows]
    assert cases == sorted(cases)
    for r in rows:  # competition ranking: 1 + the number of stations with fewer cases
        assert r["rank"] == 1 + sum(c < r["cases"] for c in cases)
        inc = demo_incidents[demo_incidents["station_id"] == r["station_id"]]
        assert r["cases"] == _count(inc, "criminal", "2026-09-01", "2026-10-01")
        assert r["residents"] > 0 and r["rate_per_10k"] == pytest.approx(r["cases"] / r["residents"] * 1e4, abs=1e-3)
    names = {r["name"] for r in rows}
    assert {"北湖路派出所", "抱石路派出所", "珠珊派出所"} <= names
    page = demo_api.get("/api/v1/stats/ranking", params={"month": "2026-09", "limit": 4, "offset": 4}).json()
    assert page["total"] == 9 and [r["station_id"] for r in page["rows"]] == [r["station_id"] for r in rows[4:8]]


def test_models_and_monthly(demo_api: Any) -> None:
    body = demo_api.get("/api/v1/stats/models").json()
    named = {m["name"] for m in body["models"]}
    assert {"龙凤花园", "水榭丽都", "玫瑰城", "青泉花园", "香博丽晶", "竹山路地质勘查三小队"} <= named
    assert sum(body["counts"].values()) == len(body["models"])
    assert all(m["status"] in ("zero", "controlled", "not_met", "unknown") for m in body["models"])
    monthly = demo_api.get("/api/v1/stats/monthly", params={"months": 24}).json()["months"]
    assert len(monthly) == 24 and monthly[-1]["month"] == "2026-10"
    assert monthly[0]["last_year"] is None and monthly[-1]["last_year"] is not None
    assert demo_api.get("/api/v1/stats/monthly", params={"measure": "nope"}).status_code == 422


def test_fixture_workspace_needs_communities(client: Any) -> None:
    """The small hand-made workspace has no communities layer, which the monthly report needs:
    a clear 422 naming the layer, not made-up figures."""
    r = client.get("/api/v1/stats/headline")
    assert r.status_code == 422 and "communities" in r.json()["detail"]
    assert client.get("/api/v1/stats/ranking").status_code == 422


def test_figures_come_from_geo_reports(demo_api: Any, demo_workspace_file: Path) -> None:
    from geo.reports import build_report
    from app.storage.workspace import Workspace

    rep = build_report(Workspace(demo_workspace_file), month="2026-09")
    body = demo_api.get("/api/v1/stats/headline", params={"month": "2026-09"}).json()
    assert body["source"] == "geo.reports"
    head = rep.table("headline")
    assert [f["month"]["current"] for f in body["figures"]] == head["month"].tolist()
    assert [f["ytd"]["baseline"] for f in body["figures"]] == head["ytd_last_year"].tolist()
    assert [f["month"]["p"] for f in body["figures"]] == pytest.approx(head["yoy_p"].tolist())
    ranking = demo_api.get("/api/v1/stats/ranking", params={"month": "2026-09"}).json()["rows"]
    assert [r["station_id"] for r in ranking] == rep.table("station_ranking")["station_id"].tolist()


def test_incident_points(demo_api: Any, demo_incidents: pd.DataFrame) -> None:
    body = demo_api.get("/api/v1/incidents/points", params={
        "start": "2026-10-01", "end": "2026-10-31", "category": "two_robberies_one_theft"}).json()
    expected = _count(demo_incidents.assign(place_kind="neighborhood"), "neighborhood_two_robberies_one_theft",
                      "2026-10-01", "2026-11-01")
    assert body["count"] == expected == len(body["points"])
    lat, lon = body["points"][0]
    assert 27.7 < lat < 27.95 and 114.8 < lon < 115.05
    assert body["heat"]["max"] > 0
