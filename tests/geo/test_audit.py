"""The audit log: append-only, newest first, filtered by action."""

import sqlite3

import pytest

from app.storage.audit import audit_path, read_log, record
from geo.errors import WorkspaceError


def test_record_and_read_newest_first(tmp_path):
    ws = tmp_path / "ws.gpkg"
    assert read_log(ws) == []
    record(ws, actor="cli:duty", action="import", target="ws.gpkg", details={"layer": "incidents", "rows": 3})
    record(ws, actor="web (zh-CN)", action="routes", details={"shift": "20:00-24:00"})
    entries = read_log(ws)
    assert [e.action for e in entries] == ["routes", "import"]
    assert entries[1].details == {"layer": "incidents", "rows": 3} and entries[1].actor == "cli:duty"
    assert [e.action for e in read_log(ws, action="import")] == ["import"]
    assert audit_path(ws).name == ".ws.gpkg.audit.sqlite"


def test_the_log_cannot_be_changed_or_emptied(tmp_path):
    ws = tmp_path / "ws.gpkg"
    record(ws, actor="cli:duty", action="export", details={"file": "gaps.xlsx"})
    con = sqlite3.connect(audit_path(ws))
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        con.execute("UPDATE audit SET actor = 'someone else'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        con.execute("DELETE FROM audit")
    con.close()
    assert read_log(ws)[0].actor == "cli:duty"


def test_unknown_actions_are_refused(tmp_path):
    with pytest.raises(WorkspaceError, match="unknown action 'sneak'"):
        record(tmp_path / "ws.gpkg", actor="x", action="sneak")
