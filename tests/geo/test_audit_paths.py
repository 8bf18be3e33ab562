"""The audit log opens from a relative workspace path too (``patrolnet audit yushui.gpkg``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.storage.audit import count_log, read_log, record


def test_relative_workspace_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    record("ws.gpkg", actor="cli:test", action="login", target="ws.gpkg", details={"client": "10.0.0.1"})
    entries = read_log("ws.gpkg")
    assert [(e.actor, e.action) for e in entries] == [("cli:test", "login")]
    assert count_log("ws.gpkg") == 1 and count_log("ws.gpkg", action="import") == 0
    assert (tmp_path / ".ws.gpkg.audit.sqlite").is_file()
