"""Durable records of outputs and the plan review (app.storage.records, app.services.plans)."""

from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

import pytest

from app.services.plans import approve_plan, get_record, list_records, record_file, record_output, submit_plan
from app.storage import open_store
from app.storage.access import ForbiddenError, Principal
from app.storage.records import RecordStore, StatusConflictError, records_path
from geo.errors import InputError

COMMANDER = Principal("zhihui", "commander")
ANALYST = Principal("fenxi", "analyst")
S01 = Principal("beihu", "station", station_id="S01")
S02 = Principal("baoshi", "station", station_id="S02")


def _plan(ws: Path, tmp: Path, *, units: list[str], station: str | None = None, author: str = "zhihui",
          shift: str = "20:00-24:00", name: str = "plan") -> str:
    folder = tmp / name
    folder.mkdir()
    (folder / "routes.gpx").write_text("<gpx/>")
    rec = record_output(ws, kind="routes", author=author, params={"shift": shift}, inputs="2026-12-01T00:00:00Z",
                        folder=folder, files=["routes.gpx"], station_id=station,
                        result={"date": "2026-12-02", "shift": shift, "units": [{"unit_id": u} for u in units]})
    return rec.id


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    return tmp_path / "yushui.gpkg"  # records live beside it; the workspace itself is not read here


def test_a_plan_is_a_draft_with_author_inputs_and_files_and_survives_a_new_store(ws, tmp_path):
    rid = _plan(ws, tmp_path, units=["V01", "V02"])
    rec = RecordStore(ws).get(rid)  # a new handle, as after a restart
    assert (rec.kind, rec.status, rec.author, rec.scope) == ("routes", "draft", "zhihui", "district")
    assert (rec.day, rec.shift, rec.units, rec.files) == ("2026-12-02", "20:00-24:00", ("V01", "V02"), ("routes.gpx",))
    assert rec.inputs_version == "2026-12-01T00:00:00Z"
    assert stat.S_IMODE(records_path(ws).stat().st_mode) == 0o600
    d = rec.as_dict()
    assert str(tmp_path) not in str(d), "a client never sees the server's folders"
    assert open_store(ws).records().get(rid).id == rid


def test_review_submit_approve_supersede_keeps_history(ws, tmp_path):
    first = _plan(ws, tmp_path, units=["S01-G01", "S01-G02"], station="S01", author="beihu", name="a")
    assert submit_plan(ws, first, S01).status == "submitted"
    assert approve_plan(ws, first, COMMANDER).status == "approved"
    second = _plan(ws, tmp_path, units=["S01-G02", "S01-G03"], station="S01", author="beihu", name="b")
    other_shift = _plan(ws, tmp_path, units=["S01-G01"], station="S01", author="beihu", shift="08:00-12:00", name="c")
    approve_plan(ws, other_shift, COMMANDER)
    approve_plan(ws, second, COMMANDER)
    old = get_record(ws, first, COMMANDER)
    assert old.status == "superseded" and [e.action for e in old.history] == ["create", "submit", "approve", "supersede"]
    assert old.history[-1].note == f"by {second}"
    assert get_record(ws, other_shift, COMMANDER).status == "approved", "another shift is not superseded"
    assert {r.id for r in list_records(ws, COMMANDER, kind="routes")} == {first, second, other_shift}
    with pytest.raises(StatusConflictError, match="is superseded") as caught:
        approve_plan(ws, first, COMMANDER)
    assert caught.value.code == "records.cannot_approve"


def test_station_sees_and_submits_only_its_own(ws, tmp_path):
    mine = _plan(ws, tmp_path, units=["S01-G01"], station="S01", author="beihu", name="a")
    theirs = _plan(ws, tmp_path, units=["S02-G01"], station="S02", author="baoshi", name="b")
    district = _plan(ws, tmp_path, units=["V01"], name="c")
    assert [r.id for r in list_records(ws, S01)] == [mine]
    assert list_records(ws, S01, station_id="S02") == []
    assert {r.id for r in list_records(ws, COMMANDER)} == {mine, theirs, district}
    for rid in (theirs, district):
        with pytest.raises(InputError, match="no record") as caught:
            submit_plan(ws, rid, S01)
        assert caught.value.code == "records.not_found"
    with pytest.raises(ForbiddenError) as caught:
        approve_plan(ws, mine, S01)
    assert caught.value.code == "records.may_not_approve"
    with pytest.raises(ForbiddenError):
        approve_plan(ws, mine, ANALYST)


def test_only_recorded_files_in_the_records_folder_are_served(ws, tmp_path):
    rid = _plan(ws, tmp_path, units=["V01"])
    assert record_file(ws, rid, "routes.gpx", COMMANDER).read_text() == "<gpx/>"
    (tmp_path / "plan" / "job.json").write_text("{}")
    for name in ("job.json", "../plan/routes.gpx", "/etc/passwd", "routes.kml"):
        with pytest.raises(InputError, match="has no file") as caught:
            record_file(ws, rid, name, COMMANDER)
        assert caught.value.code == "records.no_file"


def test_records_and_history_cannot_be_rewritten(ws, tmp_path):
    rid = _plan(ws, tmp_path, units=["V01"])
    con = sqlite3.connect(records_path(ws))
    try:
        for sql in ("UPDATE records SET author = 'x'", "DELETE FROM records",
                    "UPDATE record_events SET status = 'approved'", "DELETE FROM record_events"):
            with pytest.raises(sqlite3.DatabaseError):
                con.execute(sql)
    finally:
        con.close()
    assert RecordStore(ws).get(rid).status == "draft"


def test_other_outputs_are_final_and_not_reviewed(ws, tmp_path):
    rec = record_output(ws, kind="camera_gaps", author="zhihui", params={}, inputs="v1", folder=tmp_path,
                        files=[], result={"gaps": 3})
    assert rec.status == "final"
    with pytest.raises(InputError, match="not a shift plan"):
        submit_plan(ws, rec.id, COMMANDER)
    with pytest.raises(InputError, match="is not recorded") as caught:
        record_output(ws, kind="hotspots_image", author="", params={}, inputs="", folder=tmp_path, files=[])
    assert caught.value.code == "records.bad_kind"


def test_a_replan_says_what_changed_against_the_latest_plan_of_its_scope(ws, tmp_path):
    def plan(units: dict[str, float], *, station: str | None = "S01", shift: str = "20:00-24:00", name: str) -> dict:
        folder = tmp_path / name
        folder.mkdir()
        result = {"date": "2026-12-02", "shift": shift,
                  "units": [{"unit_id": u, "length_km": km, "duration_min": 120.0, "stops": 5} for u, km in units.items()]}
        return record_output(ws, kind="routes", author="beihu", params={}, inputs="v1", folder=folder, files=[],
                             result=result, station_id=station).result

    assert plan({"G1": 3.0, "G2": 4.0}, name="a")["changes"] is None
    assert plan({"G1": 9.0}, station="S02", name="other-station")["changes"] is None
    changes = plan({"G1": 3.0, "G2": 4.5, "G3": 2.0}, shift="20:00 - 24:00", name="b")["changes"]
    first = list_records(ws, S01)[-1].id
    assert changes == {"previous": first, "added": ["G3"], "removed": [], "changed": [{"unit_id": "G2", "length_km": [4.0, 4.5]}],
                       "same": 1}
    assert plan({"G3": 2.0}, name="c")["changes"]["removed"] == ["G1", "G2"]
