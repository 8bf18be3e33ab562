"""The audit log behaves alike in the embedded store and in PostgreSQL (a throwaway cluster)."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from app.storage.gpkg import GpkgAuditLog
from app.storage.pg import PgAuditLog, parse_location
from geo.errors import InputError, WorkspaceError
from tests.pg import pg_url  # noqa: F401 - the fixture


@pytest.fixture(params=["gpkg", "postgresql"])
def log(request: pytest.FixtureRequest, tmp_path: Path):  # noqa: ANN201
    if request.param == "gpkg":
        return GpkgAuditLog(tmp_path / "yushui.gpkg")
    url = request.getfixturevalue("pg_url")
    return PgAuditLog(f"{url}?schema=audit_{tmp_path.name[-12:].lower().replace('-', '_')}")


def test_entries_newest_first_filtered_and_counted(log) -> None:  # noqa: ANN001
    assert log.count() == 0 and log.read() == []
    log.record(actor="zhihui", action="routes", target="yushui.gpkg", details={"shift": "22:00至06:00", "units": 59})
    log.record(actor="beihu", action="export", target="routes.gpx")
    log.record(actor="zhihui", action="approve_plan", target="20261202-routes-ab12")
    entries = log.read()
    assert [(e.actor, e.action, e.target) for e in entries] == [
        ("zhihui", "approve_plan", "20261202-routes-ab12"), ("beihu", "export", "routes.gpx"),
        ("zhihui", "routes", "yushui.gpkg")]
    assert entries[-1].details == {"shift": "22:00至06:00", "units": 59}
    assert [e.action for e in log.read(action="export")] == ["export"] and log.count(action="routes") == 1
    assert [e.action for e in log.read(limit=1, offset=1)] == ["export"]
    with pytest.raises(WorkspaceError, match="unknown action"):
        log.record(actor="x", action="delete_everything")
    assert log.count() == 3


def test_postgres_refuses_to_rewrite_the_log(pg_url: str) -> None:  # noqa: F811
    log = PgAuditLog(f"{pg_url}?schema=append_only")
    log.record(actor="zhihui", action="export", target="gaps.xlsx")
    dsn, _ = parse_location(log.url)
    for statement in ("UPDATE append_only.audit SET actor = 'x'", "DELETE FROM append_only.audit",
                      "TRUNCATE append_only.audit"):
        with psycopg.connect(dsn) as con, pytest.raises(psycopg.errors.RaiseException, match="append-only"):
            con.execute(statement)
    assert [e.actor for e in log.read()] == ["zhihui"]


def test_locations_say_what_is_wrong() -> None:
    assert parse_location("postgresql://u@127.0.0.1:5433/bureau?schema=yushui&sslmode=disable") == (
        "postgresql://u@127.0.0.1:5433/bureau?sslmode=disable", "yushui")
    with pytest.raises(InputError, match="lowercase letters") as caught:
        parse_location("postgresql://u@h/db?schema=Yushui;drop")
    assert caught.value.code == "storage.pg_schema"
    with pytest.raises(WorkspaceError, match="cannot connect") as refused:
        PgAuditLog("postgresql://nobody@127.0.0.1:1/none").count()
    assert refused.value.code == "storage.pg_connect"
