"""geo.reports: hand-worked answers on a tiny district, and the demo against plain pandas filters."""

from __future__ import annotations

import copy
import datetime as dt
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo.errors import InputError
from geo.reports import (
    CRIMINAL,
    HEADLINE_MEASURES,
    TWO_ROBBERIES_ONE_THEFT,
    build_report,
    cell_incident_ids,
    compare_changes,
    default_week,
    model_tracker,
    parse_month,
    parse_week,
    prepare_incidents,
    report_windows,
)
from geo.schema import CATEGORIES

CRS = "EPSG:4547"
TZ = "Asia/Shanghai"
AS_OF = dt.date(2026, 10, 31)
DATA_START = dt.date(2024, 1, 1)

# -- a tiny district placed by hand ----------------------------------------------------------------
#   stations  S1 (C1, C2), S2 (C3), S3 (C4), S4 (C5: no neighborhoods)
#   N1 (C1, designated), N2 (C1), N3 (C2, the only one in C2, not designated),
#   N4 (C3, designated), N5 (C4, designated)
#   road edge 1 is primary (main road, 人民北路), edge 2 residential (幸福巷)
_INCIDENTS = [
    # id, occurred_at, category, place_kind, station, community, neighborhood, edge, x, y
    # September 2026
    ("i01", "2026-09-10T22:00:00+08:00", "burglary", "neighborhood", "S1", "C1", "N2", None, 250, 50),
    ("i02", "2026-09-11T08:00:00+08:00", "ebike_theft", "neighborhood", "S1", "C1", "N2", None, 260, 60),
    ("i03", "2026-09-12T10:00:00+08:00", "fraud", "neighborhood", "S1", "C2", "N3", None, 50, 350),
    ("i04", "2026-09-13T19:00:00+08:00", "snatching", "street", "S2", "C3", None, 1, 1050, 500),
    ("i05", "2026-09-14T12:00:00+08:00", "public_order", "neighborhood", "S2", "C3", "N4", None, 1050, 50),
    ("i06", "2026-09-20T02:00:00+08:00", "robbery", "street", "S3", "C4", None, 2, 2050, 500),
    ("i14", "2026-09-30T23:59:00+08:00", "ebike_theft", "neighborhood", "S1", "C1", "N2", None, 270, 40),
    # 2026-10-01 00:30 in Shanghai, given in UTC: not September
    ("i15", "2026-09-30T16:30:00Z", "ebike_theft", "neighborhood", "S1", "C1", "N2", None, 270, 40),
    # September 2025
    ("i07", "2025-09-05T21:00:00+08:00", "burglary", "neighborhood", "S1", "C1", "N1", None, 50, 50),
    # August 2026
    ("i08", "2026-08-20T20:00:00+08:00", "assault", "street", "S1", "C1", None, 2, 150, 500),
    # earlier in 2026
    ("i09", "2026-01-15T09:00:00+08:00", "theft_from_vehicle", "street", "S2", "C3", None, 1, 1050, 500),
    ("i10", "2026-02-01T09:00:00+08:00", "public_order", "street", "S2", "C3", None, 1, 1050, 500),
    ("i16", "2026-03-01T03:00:00+08:00", "burglary", "neighborhood", "S2", "C3", "N4", None, 1050, 50),
    # earlier in 2025 and 2024
    ("i11", "2025-03-03T15:00:00+08:00", "pickpocketing", "street", "S3", "C4", None, 2, 2050, 500),
    ("i12", "2025-10-15T01:00:00+08:00", "burglary", "neighborhood", "S3", "C4", "N5", None, 2050, 50),
    ("i13", "2025-06-01T01:00:00+08:00", "burglary", "neighborhood", "S3", "C4", "N5", None, 2050, 50),
    ("i17", "2024-11-10T01:00:00+08:00", "burglary", "neighborhood", "S2", "C3", "N4", None, 1050, 50),
    ("i18", "2024-12-10T01:00:00+08:00", "burglary", "neighborhood", "S2", "C3", "N4", None, 1050, 50),
    # the bulletin week, Mon 2026-10-19 .. Sun 2026-10-25
    ("i19", "2026-10-20T21:00:00+08:00", "burglary", "neighborhood", "S1", "C1", "N1", None, 50, 50),
    ("i20", "2026-10-22T08:30:00+08:00", "snatching", "street", "S1", "C1", None, 1, 250, 120),
]


def tiny_layers() -> dict[str, gpd.GeoDataFrame | pd.DataFrame]:
    """The tiny district's layers (a fresh copy each call)."""
    stations = pd.DataFrame(
        {
            "station_id": ["S1", "S2", "S3", "S4"],
            "name": ["甲派出所", "乙派出所", "丙派出所", "丁派出所"],
            "name_en": ["Jia Station", "Yi Station", "Bing Station", "Ding Station"],
        }
    )
    communities = pd.DataFrame(
        {
            "community_id": ["C1", "C2", "C3", "C4", "C5"],
            "name": ["一社区", "二社区", "三社区", "四社区", "五社区"],
            "name_en": ["One Community", "Two Community", "Three Community", "Four Community", "Five Community"],
            "station_id": ["S1", "S1", "S2", "S3", "S4"],
            "office_name": ["一社区警务室", "二社区警务室", "三社区警务室", "四社区警务室", "五社区警务室"],
            "residents": [10000, 5000, 20000, 10000, 8000],
        }
    )
    boxes = {
        "N1": (0, 0), "N2": (200, 0), "N3": (0, 300), "N4": (1000, 0), "N5": (2000, 0),
    }
    neighborhoods = gpd.GeoDataFrame(
        {
            "neighborhood_id": list(boxes),
            "name": ["甲小区", "乙小区", "丙小区", "丁小区", "戊小区"],
            "name_en": ["Jia Estate", "Yi Estate", "Bing Estate", "Ding Estate", "Wu Estate"],
            "kind": ["enclosed"] * 5,
            "households": [100, 200, 100, 400, 50],
            "community_id": ["C1", "C1", "C2", "C3", "C4"],
            "station_id": ["S1", "S1", "S1", "S2", "S3"],
            "model_kind": ["party_building", "", "", "police_resident", "unit_self_governance"],
        },
        geometry=[shapely.box(x, y, x + 100, y + 100) for x, y in boxes.values()],
        crs=CRS,
    )
    rows = _INCIDENTS
    incidents = gpd.GeoDataFrame(
        {
            "incident_id": [r[0] for r in rows],
            "occurred_at": [r[1] for r in rows],
            "category": [r[2] for r in rows],
            "place_kind": [r[3] for r in rows],
            "station_id": [r[4] for r in rows],
            "community_id": [r[5] for r in rows],
            "neighborhood_id": [r[6] for r in rows],
            "edge_id": [r[7] for r in rows],
        },
        geometry=[shapely.Point(r[8], r[9]) for r in rows],
        crs=CRS,
    )
    road_edges = pd.DataFrame(
        {"edge_id": [1, 2], "highway": ["primary", "residential"], "name": ["人民北路", "幸福巷"]}
    )
    buildings = gpd.GeoDataFrame(
        {"name": ["甲小区3栋", "乙小区1栋"], "neighborhood_id": ["N1", "N2"]},
        geometry=[shapely.box(40, 40, 60, 60), shapely.box(290, 80, 299, 99)],
        crs=CRS,
    )
    return {
        "stations": stations,
        "communities": communities,
        "neighborhoods": neighborhoods,
        "incidents": incidents,
        "road_edges": road_edges,
        "buildings": buildings,
    }


TINY_META = {"timezone": TZ, "district": "小区县", "name": "tiny"}


def tiny_report(**kw):
    opts = {"month": "2026-09", "as_of": AS_OF, "data_start": DATA_START, "meta": TINY_META}
    opts.update(kw)
    return build_report(tiny_layers(), **opts)


@pytest.fixture(scope="module")
def tiny():
    return tiny_report()


def _row(frame: pd.DataFrame, **eq) -> pd.Series:
    m = np.ones(len(frame), dtype=bool)
    for k, v in eq.items():
        m &= (frame[k] == v).to_numpy()
    assert m.sum() == 1, eq
    return frame[m].iloc[0]


def _label(frame: pd.DataFrame, **eq):
    return _row(frame, **eq).name


# -- windows and small helpers ---------------------------------------------------------------------
def test_windows_of_a_month():
    w = report_windows("2026-09", as_of=AS_OF, timezone=TZ, data_start=DATA_START)
    assert w["month"].span() == "2026-09-01..2026-09-30"
    assert w["month_last_year"].span() == "2025-09-01..2025-09-30"
    assert w["previous_month"].span() == "2026-08-01..2026-08-31"
    assert w["ytd"].span() == "2026-01-01..2026-09-30"
    assert w["ytd_last_year"].span() == "2025-01-01..2025-09-30"
    assert w["last_12m"].span() == "2025-10-01..2026-09-30"
    assert w["previous_12m"].span() == "2024-10-01..2025-09-30"
    assert w["week"].span() == "2026-10-19..2026-10-25"  # as_of is a Saturday
    assert str(w["month"].start.tz) == TZ and all(x.covered for x in w.values())


def test_week_and_month_parsing():
    assert default_week(dt.date(2026, 10, 25)) == dt.date(2026, 10, 19)  # a Sunday closes its week
    assert default_week(dt.date(2026, 10, 31)) == dt.date(2026, 10, 19)
    assert parse_week("2026-10-22") == dt.date(2026, 10, 19)
    assert parse_week("2026-W43") == dt.date(2026, 10, 19)
    assert str(parse_month("2026-9")) == "2026-09"
    for bad in ("2026/09", "2026-13", "Sept"):
        with pytest.raises(InputError, match="YYYY-MM"):
            parse_month(bad)
    with pytest.raises(InputError, match="after the last day of data"):
        report_windows("2026-11", as_of=AS_OF)
    with pytest.raises(InputError, match="ends after the last day of data"):
        report_windows("2026-09", as_of=AS_OF, week="2026-10-29")


def test_partial_month_is_compared_day_for_day():
    w = report_windows("2026-10", as_of=dt.date(2026, 10, 15), timezone=TZ)
    assert w["month"].span() == "2026-10-01..2026-10-15"
    assert w["month_last_year"].span() == "2025-10-01..2025-10-15"
    assert w["previous_month"].span() == "2026-09-01..2026-09-15"
    assert w["ytd"].span() == "2026-01-01..2026-10-15"


def test_changes_zero_baseline_and_small_numbers():
    ch = compare_changes([0, 3, 5, 1, 200], [0, 0, 10, 3, 100])
    assert ch["status"].tolist() == ["both_zero", "new", "change", "change", "change"]
    assert np.isnan(ch["change"][0]) and np.isnan(ch["change"][1])  # never inf
    assert ch["change"][2] == pytest.approx(-0.5)
    assert ch["p_value"][3] > 0.5  # 3 -> 1 is noise
    assert ch["p_value"][4] < 1e-6  # 100 -> 200 is not
    # exact two-sided binomial, equal windows: 1 of 4 at p=1/2 -> 2 * P(X<=1) = 2 * 5/16
    assert ch["p_value"][3] == pytest.approx(0.625)
    nb = compare_changes([4], [2], baseline_covered=False)
    assert nb["status"][0] == "no_baseline" and np.isnan(nb["p_value"][0])


# -- the tiny district, by hand ---------------------------------------------------------------------
def test_prepare_reads_times_in_the_workspace_zone_and_main_roads_from_edges():
    lay = tiny_layers()
    inc = prepare_incidents(lay["incidents"], timezone=TZ, road_edges=lay["road_edges"])
    i15 = _row(inc, incident_id="i15")
    assert i15["occurred_at"] == pd.Timestamp("2026-10-01 00:30", tz=TZ)
    assert inc.loc[inc["main_road"], "incident_id"].tolist() == ["i04", "i09", "i10", "i20"]
    assert _row(inc, incident_id="i04")["road_name"] == "人民北路"
    assert inc.attrs["main_road_source"] == "road_edges.highway"


def test_prepare_rejects_unknown_categories():
    lay = tiny_layers()
    bad = lay["incidents"].copy()
    bad.loc[0, "category"] = "jaywalking"
    with pytest.raises(InputError, match="'jaywalking'"):
        prepare_incidents(bad, timezone=TZ)


def test_headline_by_hand(tiny):
    h = tiny.table("headline").set_index("measure")
    assert list(h.index) == list(HEADLINE_MEASURES)
    crim = h.loc["criminal"]
    # Sep 2026: i01 i02 i03 i04 i06 i14 (i05 public order, i15 is October in Shanghai)
    assert (crim["month"], crim["month_last_year"], crim["previous_month"]) == (6, 1, 1)
    assert crim["yoy_status"] == "change" and crim["yoy_change"] == pytest.approx(5.0)
    assert crim["mom_change"] == pytest.approx(5.0)
    # Jan-Sep 2026: + i08 i09 i16 -> 9; Jan-Sep 2025: i07 i11 i13 -> 3
    assert (crim["ytd"], crim["ytd_last_year"]) == (9, 3)
    assert crim["ytd_yoy_change"] == pytest.approx(2.0)
    nb = h.loc["neighborhood_two_robberies_one_theft"]
    assert (nb["month"], nb["month_last_year"], nb["ytd"], nb["ytd_last_year"]) == (3, 1, 4, 2)
    main = h.loc["main_road_two_robberies_one_theft"]
    # i04 on the primary road; no main-road case a year before: "new", not infinity
    assert (main["month"], main["month_last_year"]) == (1, 0)
    assert main["yoy_status"] == "new" and np.isnan(main["yoy_change"])
    assert (main["ytd"], main["ytd_last_year"], main["ytd_yoy_status"]) == (2, 0, "new")
    assert main["mom_status"] == "new"
    # small numbers: 6 vs 1 is significant at 5 %, 1 vs 0 is not
    assert crim["yoy_p"] < 0.15 and not main["yoy_significant"]


def test_comparison_every_unit(tiny):
    c = tiny.table("comparison")
    assert set(c["level"]) == {"district", "station", "community", "neighborhood"}
    s1 = _row(c, level="station", unit_id="S1", measure="criminal")
    assert (s1["month"], s1["month_last_year"], s1["previous_month"]) == (4, 1, 1)
    n2 = _row(c, level="neighborhood", unit_id="N2", measure="two_robberies_one_theft")
    assert (n2["month"], n2["month_last_year"], n2["yoy_status"]) == (3, 0, "new")
    c5 = _row(c, level="community", unit_id="C5", measure="criminal")
    assert (c5["month"], c5["month_last_year"], c5["yoy_status"]) == (0, 0, "both_zero")
    street = _row(c, level="district", unit_id="district", measure="street_criminal")
    assert street["month"] == 2  # i04, i06
    # neighborhoods carry no street measures
    assert not c[(c["level"] == "neighborhood") & c["measure"].str.startswith("street")].shape[0]


def test_station_ranking_ties_and_zero_first(tiny):
    r = tiny.table("station_ranking")
    assert r["station_id"].tolist()[0] == "S4"
    ranks = dict(zip(r["station_id"], r["rank"]))
    cases = dict(zip(r["station_id"], r["cases"]))
    assert cases == {"S1": 4, "S2": 1, "S3": 1, "S4": 0}
    assert ranks == {"S4": 1, "S2": 2, "S3": 2, "S1": 4}  # competition ranking: 1, 2, 2, 4
    rate = dict(zip(r["station_id"], r["rate_per_10k"]))
    assert rate["S1"] == pytest.approx(4 / 15000 * 1e4)
    assert rate["S2"] == pytest.approx(0.5) and rate["S3"] == pytest.approx(1.0)
    assert dict(zip(r["station_id"], r["rank_by_rate"]))["S2"] == 2
    s1 = _row(r, station_id="S1")
    assert (s1["previous_month"], s1["month_last_year"]) == (1, 1)
    assert s1["yoy_change"] == pytest.approx(3.0)


def test_neighborhood_ranking_within_station(tiny):
    n = tiny.table("neighborhood_ranking")
    s1 = n[n["station_id"] == "S1"]
    assert s1["neighborhood_id"].tolist() == ["N1", "N3", "N2"]
    assert s1["rank"].tolist() == [1, 2, 3]
    assert _row(n, neighborhood_id="N2")["rate_per_1k_households"] == pytest.approx(3 / 200 * 1e3)
    assert _row(n, neighborhood_id="N4")["rank"] == 1  # only a public-order case


def test_model_tracker_by_hand(tiny):
    m = tiny.table("model_neighborhoods").set_index("neighborhood_id")
    # N1: i07 (Sep 2025) is in the previous 12 months, none since -> zero
    assert (m.loc["N1", "last_12m"], m.loc["N1", "previous_12m"], m.loc["N1", "status"]) == (0, 1, "zero")
    assert m.loc["N2", "status"] == "not_met" and m.loc["N2", "assessment"] == "none"
    assert m.loc["N3", "assessment"] == "candidate"  # a fraud is not 两抢一盗
    # N4: 2 -> 1 is down 50 %: controlled at the default share
    assert (m.loc["N4", "last_12m"], m.loc["N4", "previous_12m"], m.loc["N4", "status"]) == (1, 2, "controlled")
    assert m.loc["N5", "assessment"] == "designated_fails"  # 1 -> 1
    o = tiny.table("model_offices").set_index("community_id")
    assert o.loc["C2", "flag"] == "no_designated_model" and o.loc["C2", "candidate_names"] == "丙小区"
    assert o.loc["C5", "flag"] == "no_designated_model" and o.loc["C5", "neighborhoods"] == 0
    assert o.loc["C4", "flag"] == "designated_not_meeting"
    assert o.loc["C4", "designated_failing_names"] == "戊小区"
    assert o.loc["C1", "flag"] == "ok" and o.loc["C3", "flag"] == "ok"
    assert set(o.index[o["flagged"]]) == {"C2", "C4", "C5"}
    assert tiny.table("model_offices")["flagged"].tolist()[:3] == [True, True, True]


def test_model_tracker_share_option():
    rep = tiny_report(controlled_share=0.6)
    m = rep.table("model_neighborhoods").set_index("neighborhood_id")
    assert m.loc["N4", "status"] == "not_met"  # 2 -> 1 is not down 60 %
    lay = tiny_layers()
    inc = prepare_incidents(lay["incidents"], timezone=TZ)
    with pytest.raises(InputError, match="controlled_share"):
        model_tracker(inc, windows=rep.windows, neighborhoods=lay["neighborhoods"],
                      communities=lay["communities"], controlled_share=1.5)


def test_bulletins_by_hand(tiny):
    b = tiny.table("bulletins").set_index("neighborhood_id")
    assert len(b) == 5 and (b["week_start"] == dt.date(2026, 10, 19)).all()
    n1 = b.loc["N1", "text_zh"]
    assert n1.startswith("【甲小区·每周警情通报】10月19日（周一）至10月25日（周日）")
    assert "入室盗窃1起" in n1 and "10月20日（周二）晚上" in n1 and "3栋附近" in n1
    assert "锁好门窗" in n1 and "一社区警务室" in n1
    assert b.loc["N1", "inside_ids"] == "i19"
    # N2: nothing inside; a snatching on the main road 20 m away
    n2 = b.loc["N2", "text_zh"]
    assert (b.loc["N2", "inside"], b.loc["N2", "nearby"]) == (0, 1)
    assert "人民北路" in n2 and "抢夺" in n2 and "远离马路" in n2 and "10月22日（周四）上午" in n2
    # N1 is 151 m from it: not nearby
    assert b.loc["N1", "nearby"] == 0
    # an empty week is said positively
    n3 = b.loc["N3", "text_zh"]
    assert "本周本小区未发生可防性案件，感谢大家共同守护" in n3
    assert "No preventable cases" in b.loc["N3", "text_en"]
    en = b.loc["N1", "text_en"]
    assert "burglary" in en and "Tue 20 Oct, evening" in en and "near block 3" in en and "Lock doors" in en


def test_every_cell_traces_to_its_incidents(tiny):
    h = tiny.table("headline")
    crim = _label(h, measure="criminal")
    assert cell_incident_ids(tiny, "headline", crim, "month") == ["i01", "i02", "i03", "i04", "i06", "i14"]
    assert cell_incident_ids(tiny, "headline", crim, "ytd_last_year") == ["i07", "i11", "i13"]
    both = cell_incident_ids(tiny, "headline", crim, "ytd_yoy_change")
    assert len(both) == 9 + 3
    main = _label(h, measure="main_road_two_robberies_one_theft")
    assert cell_incident_ids(tiny, "headline", main, "ytd") == ["i04", "i09"]
    r = tiny.table("station_ranking")
    assert cell_incident_ids(tiny, "station_ranking", _label(r, station_id="S1"), "cases") == ["i01", "i02", "i03", "i14"]
    c = tiny.table("comparison")
    row = _label(c, level="community", unit_id="C3", measure="two_robberies_one_theft")
    assert cell_incident_ids(tiny, "comparison", row, "ytd") == ["i04", "i09", "i16"]
    m = tiny.table("model_neighborhoods")
    assert cell_incident_ids(tiny, "model_neighborhoods", _label(m, neighborhood_id="N4"), "previous_12m") == ["i17", "i18"]
    b = tiny.table("bulletins")
    assert cell_incident_ids(tiny, "bulletins", _label(b, neighborhood_id="N2"), "nearby") == ["i20"]
    with pytest.raises(InputError, match="not a count"):
        cell_incident_ids(tiny, "headline", crim, "level")
    with pytest.raises(InputError, match="no table"):
        cell_incident_ids(tiny, "nope", 0, "month")
    # every count cell of the headline equals the number of incidents behind it
    for col in ("month", "month_last_year", "previous_month", "ytd", "ytd_last_year"):
        for lab in h.index:
            assert len(cell_incident_ids(tiny, "headline", lab, col)) == h.loc[lab, col]


def test_no_baseline_before_the_data():
    rep = tiny_report(month="2025-09", data_start=dt.date(2025, 1, 1))
    h = rep.table("headline").set_index("measure")
    assert h.loc["criminal", "yoy_status"] == "no_baseline"
    assert pd.isna(h.loc["criminal", "month_last_year"])
    assert h.loc["criminal", "mom_status"] != "no_baseline"
    assert any("2025-01-01" in z for z, _ in rep.notes)


def test_inputs_are_not_modified():
    lay = tiny_layers()
    before = copy.deepcopy(lay)
    build_report(lay, month="2026-09", as_of=AS_OF, data_start=DATA_START, meta=TINY_META)
    for k in lay:
        pd.testing.assert_frame_equal(pd.DataFrame(lay[k]), pd.DataFrame(before[k]))


def test_missing_layer_or_column_names_the_fix():
    lay = tiny_layers()
    del lay["stations"]
    with pytest.raises(InputError, match="'stations' layer"):
        build_report(lay, month="2026-09", meta=TINY_META)
    lay = tiny_layers()
    lay["incidents"] = lay["incidents"].drop(columns="category")
    with pytest.raises(InputError, match="category"):
        build_report(lay, month="2026-09", meta=TINY_META)


def test_main_road_from_the_incidents_column_without_edges():
    lay = tiny_layers()
    lay.pop("road_edges")
    lay["incidents"] = lay["incidents"].assign(main_road=lay["incidents"]["edge_id"].eq(1))
    rep = build_report(lay, month="2026-09", as_of=AS_OF, data_start=DATA_START, meta=TINY_META)
    assert rep.settings["main_road_source"] == "incidents.main_road"
    h = rep.table("headline").set_index("measure")
    assert h.loc["main_road_two_robberies_one_theft", "ytd"] == 2


# -- the demo district --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def demo_report(demo_workspace_file):
    from app.storage.workspace import Workspace

    ws = Workspace(demo_workspace_file)
    return ws, build_report(ws, month="2026-09")


def _between(occ: pd.Series, a: str, b: str) -> pd.Series:
    return (occ >= pd.Timestamp(a, tz=TZ)) & (occ < pd.Timestamp(b, tz=TZ))


def test_demo_headline_matches_plain_filters(demo_report):
    ws, rep = demo_report
    inc = ws.read("incidents")
    occ = inc["occurred_at"].dt.tz_convert(TZ)
    group = inc["category"].map({c: g for c, (_, _, g) in CATEGORIES.items()})
    criminal = group.isin(["two_robberies_one_theft", "other_criminal"])
    trot = group == "two_robberies_one_theft"
    nb_trot = trot & (inc["place_kind"] == "neighborhood")
    main_trot = trot & (inc["place_kind"] == "street") & inc["main_road"].astype(bool)  # the demo's own column
    expect = {}
    for key, m in (("criminal", criminal), ("neighborhood_two_robberies_one_theft", nb_trot),
                   ("main_road_two_robberies_one_theft", main_trot)):
        expect[key] = {
            "ytd": int((m & _between(occ, "2026-01-01", "2026-10-01")).sum()),
            "ytd_last_year": int((m & _between(occ, "2025-01-01", "2025-10-01")).sum()),
            "month": int((m & _between(occ, "2026-09-01", "2026-10-01")).sum()),
            "month_last_year": int((m & _between(occ, "2025-09-01", "2025-10-01")).sum()),
            "previous_month": int((m & _between(occ, "2026-08-01", "2026-09-01")).sum()),
        }
    h = rep.table("headline").set_index("measure")
    for key, e in expect.items():
        got = {k: int(h.loc[key, k]) for k in e}
        assert got == e, key
        assert h.loc[key, "ytd_yoy_change"] == pytest.approx(e["ytd"] / e["ytd_last_year"] - 1)
    # the method's trend: all three fall year over year, January to September
    assert (h["ytd_yoy_change"] < 0).all()


def test_demo_ranking_and_tracker(demo_report):
    ws, rep = demo_report
    r = rep.table("station_ranking")
    stations = ws.read("stations")
    assert sorted(r["station_id"]) == sorted(stations["station_id"]) and len(r) == 9
    assert {"北湖路派出所", "抱石路派出所", "珠珊派出所"} <= set(r["name"])
    assert r["rank"].is_monotonic_increasing and r["rank"].iloc[0] == 1
    assert r["cases"].is_monotonic_increasing
    assert int(r["cases"].sum()) == int(rep.table("headline").set_index("measure").loc["criminal", "month"])
    # competition ranking: each rank is 1 + the number of stations with fewer cases
    fewer = r["cases"].map(lambda c: int((r["cases"] < c).sum()) + 1)
    assert (r["rank"] == fewer).all()
    assert r["residents"].notna().all() and (r["rate_per_10k"] > 0).all()
    n = rep.table("neighborhood_ranking")
    assert len(n) == 300 and n.groupby("station_id")["rank"].min().eq(1).all()

    nb = ws.read("neighborhoods")
    com = ws.read("communities")
    without = set(com["community_id"]) - set(nb.loc[nb["model_kind"].fillna("") != "", "community_id"])
    assert len(without) == 4
    o = rep.table("model_offices")
    assert len(o) == 40
    assert set(o.loc[o["flag"] == "no_designated_model", "community_id"]) == without
    m = rep.table("model_neighborhoods")
    assert int(m["designated"].sum()) == int((nb["model_kind"].fillna("") != "").sum())
    # the designated ones are checked: each is zero-incident, controlled or flagged as failing
    d = m[m["designated"]]
    assert set(d["assessment"]) <= {"designated_meets", "designated_fails"}
    assert (d["meets"] == d["status"].isin(["zero", "controlled"])).all()


def test_demo_bulletins_are_zh_text(demo_report):
    _, rep = demo_report
    b = rep.table("bulletins")
    assert len(b) == 300
    cjk = re.compile(r"[\u4e00-\u9fff]")
    assert b["text_zh"].map(lambda s: isinstance(s, str) and len(s) > 30 and bool(cjk.search(s))).all()
    assert b["text_zh"].str.startswith("【").all() and b["text_zh"].str.contains("110").all()
    assert b["text_en"].map(lambda s: not cjk.search(s.split("]")[0])).mean() > 0.9
    empty = b[(b["inside"] + b["nearby"]) == 0]
    assert len(empty) and empty["text_zh"].str.contains("感谢大家共同守护").all()
    busy = b[b["inside"] > 0]
    assert len(busy) and busy["text_zh"].str.contains("防范提示").all()
    # the counts are the week's criminal cases inside each compound
    week = rep.windows["week"]
    inc = rep.incidents
    inside = inc[week.mask(inc["occurred_at"]) & inc["category"].isin(CRIMINAL) & (inc["place_kind"] == "neighborhood")]
    assert int(b["inside"].sum()) == len(inside)


def test_constants():
    assert set(TWO_ROBBERIES_ONE_THEFT) < set(CRIMINAL)
    assert "public_order" not in CRIMINAL


# -- properties ---------------------------------------------------------------------------------------


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.integers(0, 3),  # station
            st.sampled_from(sorted(CATEGORIES)),
            st.integers(0, 2 * 365 + 270),  # days after 2024-10-01
            st.integers(0, 23),
        ),
        max_size=60,
    )
)
def test_counts_add_up_and_ranks_are_competition_ranks(rows):
    lay = tiny_layers()
    sids = ["S1", "S2", "S3", "S4"]
    cids = ["C1", "C3", "C4", "C5"]
    t0 = pd.Timestamp("2024-10-01", tz=TZ)
    lay["incidents"] = pd.DataFrame(
        {
            "incident_id": [f"r{i}" for i in range(len(rows))],
            "occurred_at": [t0 + pd.Timedelta(days=d, hours=h) for _, _, d, h in rows],
            "category": [c for _, c, _, _ in rows],
            "place_kind": ["street"] * len(rows),
            "station_id": [sids[s] for s, _, _, _ in rows],
            "community_id": [cids[s] for s, _, _, _ in rows],
        }
    )
    rep = build_report(lay, month="2026-06", as_of=dt.date(2026, 6, 30), data_start=DATA_START, meta=TINY_META)
    c = rep.table("comparison")
    crim = c[c["measure"] == "criminal"]
    district = crim[crim["level"] == "district"].iloc[0]
    for col in ("month", "month_last_year", "previous_month", "ytd", "ytd_last_year"):
        assert crim.loc[crim["level"] == "station", col].sum() == district[col]
        assert crim.loc[crim["level"] == "community", col].sum() == district[col]
    r = rep.table("station_ranking")
    fewer = r["cases"].map(lambda k: int((r["cases"] < k).sum()) + 1)
    assert (r["rank"] == fewer).all() and r["rank"].is_monotonic_increasing
    ch = district["yoy_change"]
    if district["month_last_year"] > 0:
        assert ch == pytest.approx(district["month"] / district["month_last_year"] - 1)
    else:
        assert np.isnan(ch) and district["yoy_status"] in ("new", "both_zero")
