"""The records of outputs and the plan review behave alike in the embedded store and in PostgreSQL."""

from __future__ import annotations

import threading
from pathlib import Path

import psycopg
import pytest

from app.storage.pg import PgRecordStore, parse_location
from app.storage.records import RecordStore, StatusConflictError
from geo.errors import InputError
from tests.pg import pg_url  # noqa: F401 - the fixture


@pytest.fixture(params=["gpkg", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> RecordStore:
    if request.param == "gpkg":
        return RecordStore(tmp_path / "yushui.gpkg")
    url = request.getfixturevalue("pg_url")
    return PgRecordStore(f"{url}?schema=rec_{tmp_path.name[-12:].lower().replace('-', '_')}")


def _plan(store: RecordStore, units: list[str], *, station: str | None = "S01", shift: str = "20:00-24:00") -> str:
    return store.add(kind="routes", author="beihu", params={"shift": shift}, inputs_version="v1", folder="/srv/out/x",
                     files=["routes.gpx"], station_id=station, day="2026-12-02", shift=shift, units=units,
                     result={"units": [{"unit_id": u} for u in units]}).id


def test_review_and_listing(store: RecordStore) -> None:
    assert store.list() == [] and store.count() == 0
    with pytest.raises(InputError, match="no record"):
        store.get("nope")
    first = _plan(store, ["G1", "G2"])
    assert store.change(first, "submit", actor="beihu").status == "submitted"
    assert store.change(first, "approve", actor="zhihui").status == "approved"
    other_shift = _plan(store, ["G1"], shift="08:00-12:00")
    district = _plan(store, ["V1"], station=None)
    second = _plan(store, ["G2", "G3"])
    store.change(other_shift, "approve", actor="zhihui")
    store.change(second, "approve", actor="zhihui")
    old = store.get(first)
    assert old.status == "superseded" and [e.action for e in old.history] == ["create", "submit", "approve", "supersede"]
    assert store.get(other_shift).status == "approved"
    assert [r.id for r in store.list()] == [second, district, other_shift, first]
    assert [r.id for r in store.list(station_id="S01", shift="20:00-24:00")] == [second, first]
    assert [r.id for r in store.list(status="approved")] == [second, other_shift]
    assert (store.count(), store.count(status="approved"), store.count(station_id="S01", shift="20:00-24:00")) == (4, 2, 2)
    assert [r.id for r in store.list(limit=2, offset=1)] == [district, other_shift]
    assert store.get(district).scope == "district" and store.get(second).units == ("G2", "G3")
    with pytest.raises(StatusConflictError, match="is superseded"):
        store.change(first, "approve", actor="zhihui")
    gaps = store.add(kind="camera_gaps", author="zhihui", params={}, inputs_version="v1", folder="/srv/out/y")
    assert gaps.status == "final"
    with pytest.raises(InputError, match="not a shift plan"):
        store.change(gaps.id, "submit", actor="zhihui")


def test_concurrent_approvals_one_wins(store: RecordStore) -> None:
    rid = _plan(store, ["V1"], station=None)
    outcomes: list[str] = []

    def approve() -> None:
        try:
            store.change(rid, "approve", actor="zhihui")
            outcomes.append("approved")
        except StatusConflictError:
            outcomes.append("refused")

    threads = [threading.Thread(target=approve) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["approved", "refused", "refused", "refused"]
    assert [e.action for e in store.get(rid).history] == ["create", "approve"]


def test_postgres_keeps_records_as_made(pg_url: str) -> None:  # noqa: F811
    store = PgRecordStore(f"{pg_url}?schema=kept")
    _plan(store, ["G1"])
    dsn, _ = parse_location(store.url)
    for statement in ("UPDATE kept.records SET author = 'x'", "DELETE FROM kept.record_events",
                      "TRUNCATE kept.records CASCADE", "UPDATE kept.record_events SET status = 'approved'"):
        with psycopg.connect(dsn) as con, pytest.raises(psycopg.errors.RaiseException, match="kept as made"):
            con.execute(statement)
    assert [r.status for r in store.list()] == ["draft"]
