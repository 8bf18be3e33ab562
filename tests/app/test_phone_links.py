"""Officers on the phone page (issue 17): a unit account (role ``officer``) and a one-shift link.

An officer signs in and lands on the phone page; it sees its own unit's part of the shift's plan (with
the named streets along it) and sends its own unit's track, and nothing else: another unit's plan or
track, the district's pages and layers are refused. A planner makes one-shift links (a QR code each)
for the units of a recorded plan; a phone opening one carries that unit's plan without an account;
the link is audited when made, opened and revoked, and stops working at once when revoked. A
station makes links for its own units only. In Chromium at 390x844 the link opens the unit's task
without a click.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from app.storage.audit import read_log
from app.storage.users import UserStore
from app.storage.workspace import Workspace
from app.web import create_app
from tests.app._auth import PASSWORD
from tests.app._browser import ARTIFACTS, require_chromium, serve, wait_for
from tests.app._fixtures import client_class, plain_client_class, recorded_shift

SHIFT = "20:00-24:00"
#: A shift still to come (links are made for those only): tomorrow's evening.
DAY = dt.date.today() + dt.timedelta(days=1)


@pytest.fixture(scope="module")
def planned(demo_workspace_file: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Any]]:
    """A demo copy with tomorrow evening's grid-team shift planned and recorded, and an officer of
    the first team (``o-team``)."""
    path, plans = recorded_shift(demo_workspace_file, tmp_path_factory.mktemp("links"), day=DAY, shift=SHIFT,
                                 kinds=["grid_team"])
    UserStore(path).add("o-team", PASSWORD, "officer", unit_id=plans[0].unit_id, display_name="巡逻民警 测试")
    return path, plans


def _officer(app: Any) -> Any:
    client = plain_client_class()(app, follow_redirects=False)
    token = client.post("/api/v1/auth/token", json={"username": "o-team", "password": PASSWORD}).json()["access_token"]
    client.headers["Authorization"] = f"Bearer {token}"
    return client


def _ping(path: Path, stop: Any, minute: int) -> dict[str, Any]:
    import geopandas as gpd

    pt = gpd.GeoSeries(gpd.points_from_xy([stop.x], [stop.y]), crs=Workspace(path).crs).to_crs("EPSG:4326")
    return {"t": f"{DAY}T20:{minute:02d}:00+08:00", "lon": float(pt.x.iloc[0]), "lat": float(pt.y.iloc[0])}


def test_an_officer_account_carries_its_own_unit_only(planned: tuple[Path, list[Any]], assets_ready: Path) -> None:
    path, plans = planned
    mine, other = plans[0], next(p for p in plans[1:] if p.unit_id != plans[0].unit_id)
    app = create_app(path)
    # signing in with the form lands on the phone page, not on the dashboard it may not open
    with plain_client_class()(app, follow_redirects=False) as browser:
        browser.get("/login")
        r = browser.post("/login", data={"username": "o-team", "password": PASSWORD, "next": "/",
                                         "csrf": browser.cookies.get("pn_login_csrf") or ""})
        assert r.status_code == 303 and r.headers["location"].startswith("/m/"), r.headers.get("location")
    with _officer(app) as c:
        me = c.get("/api/v1/auth/me").json()
        assert (me["role"], me["unit_id"], me["pages"], me["permissions"]) == ("officer", mine.unit_id, [], ["field"])
        units = c.get("/api/v1/field/units", params={"date": str(DAY), "shift": SHIFT}).json()
        assert [u["unit_id"] for u in units["units"]] == [mine.unit_id]
        plan = c.get("/api/v1/field/plan", params={"date": str(DAY), "shift": SHIFT, "unit": mine.unit_id})
        assert plan.status_code == 200 and plan.json()["name"] == mine.name
        names = {f["properties"]["name"] for f in plan.json()["streets"]["features"]}
        assert len(names) >= 3 and "" not in names  # the streets along the route, named, for the phone's map
        refused = c.get("/api/v1/field/plan", params={"date": str(DAY), "shift": SHIFT, "unit": other.unit_id})
        assert refused.status_code == 403 and other.unit_id in refused.json()["detail"] \
            and "不属于您" in refused.json()["detail"]
        ping = [_ping(path, mine.stops[0], 5)]
        assert c.post("/api/v1/field/tracks", json={"unit_id": other.unit_id, "pings": ping}).status_code == 403
        sent = c.post("/api/v1/field/tracks", json={"unit_id": mine.unit_id, "pings": ping})
        assert sent.status_code == 200 and sent.json()["status"] == "done", sent.json()
        for url in ("/", "/routes", "/api/v1/layers", "/api/v1/field/dosage", "/api/v1/field/links"):
            assert c.get(url).status_code == 403, url
    assert (Workspace(path).read("tracks")["unit_id"] == mine.unit_id).sum() == 1


def test_an_officer_needs_a_unit_of_the_workspace(planned: tuple[Path, list[Any]], assets_ready: Path) -> None:
    path, _ = planned
    app = create_app(path)
    with client_class("admin")(app) as c:
        no_unit = c.post("/api/v1/users", json={"username": "o-none", "password": PASSWORD, "role": "officer"})
        assert no_unit.status_code == 422 and "巡逻单位" in no_unit.json()["detail"]
        unknown = c.post("/api/v1/users", json={"username": "o-bad", "password": PASSWORD, "role": "officer",
                                                "unit_id": "U9999"})
        assert unknown.status_code == 422 and "U9999" in unknown.json()["detail"]
        wrong = c.post("/api/v1/users", json={"username": "o-cmd", "password": PASSWORD, "role": "commander",
                                              "unit_id": "U0001"})
        assert wrong.status_code == 422
        ok = c.post("/api/v1/users", json={"username": "o-car", "password": PASSWORD, "role": "officer",
                                           "unit_id": "U0001"})
        assert ok.status_code == 201 and ok.json()["unit_id"] == "U0001"
    assert read_log(path, action="user_add", limit=1)[0].details["unit_id"] == "U0001"


def test_one_shift_links_are_made_opened_and_revoked(planned: tuple[Path, list[Any]], assets_ready: Path) -> None:
    path, plans = planned
    app = create_app(path)
    with client_class("commander")(app) as c:
        made = c.post("/api/v1/field/links", json={"date": str(DAY), "shift": SHIFT})
        assert made.status_code == 201, made.text
        body = made.json()
        assert sorted(x["unit_id"] for x in body["links"]) == sorted({p.unit_id for p in plans})
        first = body["links"][0]
        assert "/m/s/" in first["url"] and first["qr_svg"].startswith("<svg") and first["name"]
        assert body["expires_at"].startswith(str(DAY + dt.timedelta(days=1)) + "T02:00")  # the shift's end + 2 h
        listed = c.get("/api/v1/field/links", params={"date": str(DAY)}).json()
        assert listed["total"] == len(body["links"]) and "url" not in listed["links"][0]  # the secret is shown once
        past = c.post("/api/v1/field/links", json={"date": "2026-11-02", "shift": SHIFT, "unit_ids": [first["unit_id"]]})
        assert past.status_code == 422 and "已结束" in past.json()["detail"]
    assert read_log(path, action="field_links", limit=1)[0].details["links"][first["link_id"]] == first["unit_id"]
    other = next(x for x in body["links"] if x["unit_id"] != first["unit_id"])
    # a phone opens the link: the phone page of that unit and shift, signed in as its officer
    phone = plain_client_class()(app, follow_redirects=False)
    opened = phone.get(urlsplit(first["url"]).path)
    assert opened.status_code == 303
    asked = parse_qs(urlsplit(opened.headers["location"]).query)
    assert (asked["unit"], asked["date"], asked["shift"]) == ([first["unit_id"]], [str(DAY)], [SHIFT])
    assert phone.get("/m/").status_code == 200
    units = phone.get("/api/v1/field/units", params={"date": str(DAY), "shift": SHIFT}).json()
    assert [u["unit_id"] for u in units["units"]] == [first["unit_id"]]
    assert phone.get("/api/v1/field/plan", params={"date": str(DAY), "shift": SHIFT,
                                                   "unit": other["unit_id"]}).status_code == 403
    csrf = phone.get("/api/v1/auth/me").json()["csrf_token"]
    plan = next(p for p in plans if p.unit_id == first["unit_id"])
    ping = {"unit_id": first["unit_id"], "pings": [_ping(path, plan.stops[0], 7)]}
    assert phone.post("/api/v1/field/tracks", json=ping).status_code == 403  # no CSRF token: refused
    assert phone.post("/api/v1/field/tracks", json=ping, headers={"X-CSRF-Token": csrf}).status_code == 200
    assert phone.get("/").status_code == 403
    opened_entry = read_log(path, action="field_link_open", limit=1)[0]
    assert opened_entry.target == first["unit_id"] and opened_entry.actor == f"web:link-{first['link_id']}"
    # a station makes links for its own units only, and lists and revokes only its own
    station_unit = next(x for x in body["links"] if x["station_id"] == "S01")
    foreign = next(x for x in body["links"] if x["station_id"] not in (None, "S01"))
    with client_class("station")(app) as s:
        assert s.post("/api/v1/field/links", json={"date": str(DAY), "shift": SHIFT,
                                                   "unit_ids": [foreign["unit_id"]]}).status_code == 422
        own = s.post("/api/v1/field/links", json={"date": str(DAY), "shift": SHIFT,
                                                  "unit_ids": [station_unit["unit_id"]]})
        assert own.status_code == 201
        assert {x["station_id"] for x in s.get("/api/v1/field/links").json()["links"]} == {"S01"}
        assert s.delete(f"/api/v1/field/links/{foreign['link_id']}").status_code == 422
    # revoked: the phone is signed out at once, and the link says what to do
    with client_class("commander")(app) as c:
        gone = c.delete(f"/api/v1/field/links/{first['link_id']}")
        assert gone.status_code == 200 and gone.json()["revoked_at"]
    assert phone.get("/api/v1/field/units", params={"date": str(DAY), "shift": SHIFT}).status_code == 401
    dead = plain_client_class()(app, follow_redirects=False).get(urlsplit(first["url"]).path)
    assert dead.status_code == 410 and "已被撤销" in dead.text and "set-cookie" not in dead.headers
    assert read_log(path, action="field_link_revoke", limit=1)[0].target == first["link_id"]
    # guessing links is limited like guessing passwords: 20 dead links from one client in 5 minutes
    guesser = plain_client_class()(app, follow_redirects=False)
    answers = [guesser.get(f"/m/s/{i:04d}-guess-abcdefgh").status_code for i in range(21)]
    assert answers == [410] * 19 + [429] * 2, answers  # (the revoked link opened above was the first)


@pytest.fixture(scope="module")
def base_url(planned: tuple[Path, list[Any]], assets_ready: Path) -> Iterator[str]:
    require_chromium()
    yield from serve(create_app(planned[0]))


def test_a_link_opens_the_units_task_on_a_phone(planned: tuple[Path, list[Any]], base_url: str, browser: Any) -> None:
    path, plans = planned
    unit = next(p for p in plans if len(p.stops) >= 3)
    app = create_app(path)
    with client_class("commander")(app) as c:
        link = c.post("/api/v1/field/links", json={"date": str(DAY), "shift": SHIFT,
                                                   "unit_ids": [unit.unit_id]}).json()["links"][0]
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                  locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        page.goto(f"{base_url}{urlsplit(link['url']).path}")
        wait_for(page, "() => document.querySelectorAll('#pn-m-stops li').length > 0")  # no click needed
        assert page.inner_text("#pn-m-unit-name") == unit.name
        assert page.locator("#pn-m-stops li").count() == len(unit.stops)
        wait_for(page, "() => document.querySelectorAll('.pn-street-label').length >= 3")
        assert page.locator("#pn-logout").is_visible()
        page.screenshot(path=str(ARTIFACTS / "phone-link-390x844.png"), full_page=True)
        assert not errors, errors
    finally:
        context.close()


def test_the_routes_page_makes_prints_and_revokes_links(planned: tuple[Path, list[Any]], base_url: str,
                                                        browser: Any) -> None:
    from tests.app._browser import recorded_page

    _, plans = planned
    for page, rec in recorded_page(browser):
        page.goto(f"{base_url}/routes")
        page.fill("#pn-date", str(DAY))
        page.dispatch_event("#pn-date", "change")
        page.click("#pn-links-make")
        wait_for(page, "() => document.querySelectorAll('.pn-qr-card svg').length > 0")
        assert page.locator(".pn-qr-card").count() == len({p.unit_id for p in plans})
        first = page.locator(".pn-qr-card").first
        assert plans[0].name in page.inner_text("#pn-link-cards") and "/m/s/" in first.inner_text()
        assert page.locator("#pn-links-print").is_visible()
        # printed alone, several cards a row on A4 (the page around them hidden)
        page.evaluate("() => document.body.classList.add('pn-printing-cards')")
        page.emulate_media(media="print")
        page.set_viewport_size({"width": 794, "height": 1123})  # A4 at 96 dpi
        page.screenshot(path=str(ARTIFACTS / "routes-qr-cards.png"))
        tops = page.eval_on_selector_all(".pn-qr-card", "els => els.slice(0, 3).map(e => e.getBoundingClientRect().top)")
        assert len(set(tops)) == 1, tops  # three to a row
        page.emulate_media(media="screen")
        page.evaluate("() => document.body.classList.remove('pn-printing-cards')")
        page.set_viewport_size({"width": 1400, "height": 900})
        wait_for(page, "() => document.querySelectorAll('#pn-links-table [data-revoke]').length > 0")
        live = page.locator("#pn-links-table [data-revoke]").count()
        page.locator("#pn-links-table [data-revoke]").first.click()
        wait_for(page, f"() => document.querySelectorAll('#pn-links-table [data-revoke]').length === {live - 1}")
        assert "已撤销" in page.inner_text("#pn-links-table")
        rec.check()
