"""The storage interface: the embedded backend satisfies it, and unknown backends are refused."""

from __future__ import annotations

import pytest

from app.storage import LayerStore, open_store, open_workspace
from app.storage.backup import list_backups
from app.storage.workspace import Workspace
from geo.errors import WorkspaceError


def test_gpkg_store_serves_workspace_backups_and_audit(demo_workspace):
    store = open_store(demo_workspace.path)
    ws = store.workspace()
    assert isinstance(ws, Workspace) and isinstance(ws, LayerStore)
    assert open_workspace(str(demo_workspace.path)).layers() == ws.layers()

    before = len(store.backups().list())
    made = store.backups().backup(reason="test")
    listed = store.backups().list()
    assert len(listed) == before + 1 and listed[0].path == made
    assert [b.path for b in list_backups(demo_workspace.path)] == [b.path for b in listed]

    log = store.audit()
    n = log.count()
    log.record(actor="tester", action="backup", target=made.name, details={"reason": "test"})
    assert log.count() == n + 1
    entry = log.read(limit=1)[0]
    assert (entry.actor, entry.action, entry.target) == ("tester", "backup", made.name)
    with pytest.raises(WorkspaceError, match="unknown action"):
        log.record(actor="tester", action="not-an-action")

    assert store.users().has_users() is False


def test_a_url_of_a_backend_not_installed_is_refused_with_the_fix():
    with pytest.raises(WorkspaceError, match=r"'mysql://' workspaces are not supported.*\.gpkg"):
        open_store("mysql://patrol@127.0.0.1/bureau?schema=yushui")


def test_a_postgresql_url_opens_the_postgresql_store_without_connecting():
    for scheme in ("postgresql", "postgres"):
        store = open_store(f"{scheme}://patrol@127.0.0.1:1/bureau?schema=yushui")
        assert type(store).__name__ == "PgStore" and store.schema == "yushui"
        with pytest.raises(WorkspaceError, match="pg_dump"):
            store.backups().list()


def test_a_windows_drive_path_is_a_path_not_a_url(tmp_path):
    assert open_store("C:/data/yushui.gpkg").location == "C:/data/yushui.gpkg"
