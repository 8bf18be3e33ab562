"""Workspace backups: consistent copies (also while another process writes), pruning, atomic
restore that can itself be undone, refusal of files that are not workspace backups."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.storage.backup import (
    backup_dir,
    backup_workspace,
    check_not_in_use,
    list_backups,
    remove_stale_temp_files,
    restore_workspace,
    stale_temp_files,
)
from geo.errors import InputError, WorkspaceError
from app.storage.workspace import Workspace, create_workspace
from tests.geo.test_workspace import CRS, _layers


@pytest.fixture
def ws(tmp_path) -> Workspace:
    return create_workspace(tmp_path / "渝水 区.gpkg", _layers(), crs=CRS)  # space and Chinese in the name


def test_backup_modify_restore_gives_the_old_content(ws):
    backup = backup_workspace(ws.path, reason="before import")
    assert backup.parent == ws.path.parent / ".渝水 区.backups"
    assert backup.name.startswith("渝水 区-") and backup.name.endswith("Z-before-import.gpkg")
    assert Workspace(backup).count("incidents") == 3
    changed = ws.write({"incidents": ws.read("incidents").iloc[:1]}, meta={"note": "changed"})
    assert changed.count("incidents") == 1
    saved = restore_workspace(ws.path, backup)
    back = Workspace(ws.path)
    assert back.count("incidents") == 3 and "note" not in back.meta
    assert list(back.read("stations")["name"]) == ["北湖路派出所", "抱石路派出所"]
    # the replaced state was saved first, so the restore can be undone
    assert saved is not None and saved.name.endswith("-before-restore.gpkg")
    assert Workspace(saved).count("incidents") == 1
    restore_workspace(ws.path, saved.name)  # a bare name is looked up among the backups
    assert Workspace(ws.path).count("incidents") == 1
    assert sorted(p.name for p in ws.path.parent.iterdir()) == [".渝水 区.backups", "渝水 区.gpkg"]


def test_backups_are_private_and_listed_newest_first(ws):
    first = backup_workspace(ws.path, reason="每周 备份")
    second = backup_workspace(ws.path)
    folder = backup_dir(ws.path)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(first.stat().st_mode) == 0o600
    infos = list_backups(ws.path)
    assert [i.path for i in infos] == [second, first]
    assert infos[1].reason == "每周-备份" and infos[0].reason == ""
    assert infos[0].created_at >= infos[1].created_at and infos[0].created_at.tzinfo is not None
    assert infos[0].size_bytes == second.stat().st_size
    assert infos[0].as_dict()["name"] == second.name
    assert list_backups(ws.path.with_name("other.gpkg")) == []


def test_pruning_keeps_the_newest(ws):
    made = [backup_workspace(ws.path, keep=3, reason=f"n{i}") for i in range(6)]
    left = list_backups(ws.path)
    assert [i.path for i in left] == made[:2:-1]
    assert [i.reason for i in left] == ["n5", "n4", "n3"]
    (backup_dir(ws.path) / "notes.txt").write_text("kept: not a backup")
    backup_workspace(ws.path, keep=1)
    assert len(list_backups(ws.path)) == 1 and (backup_dir(ws.path) / "notes.txt").exists()
    with pytest.raises(InputError, match="keep at least 1"):
        backup_workspace(ws.path, keep=0)


def test_restoring_the_oldest_kept_backup_never_prunes_it(ws):
    oldest = backup_workspace(ws.path, keep=2, reason="oldest")
    backup_workspace(ws.path, keep=2, reason="newer")
    ws.write({"incidents": ws.read("incidents").iloc[:2]})
    restore_workspace(ws.path, oldest, keep=2)
    assert oldest.exists() and Workspace(ws.path).count("incidents") == 3


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"this is not a database", "not an SQLite/GeoPackage file"),
        (b"SQLite format 3\x00" + b"\x00" * 200, "damaged database"),
        (None, "not a patrolnet workspace"),  # a GeoPackage without the meta table
    ],
)
def test_restoring_garbage_is_refused_and_changes_nothing(ws, tmp_path, content, message):
    bad = tmp_path / "garbage.gpkg"
    if content is None:
        _layers()["boundary"].to_file(bad, layer="boundary")
    else:
        bad.write_bytes(content)
    before = ws.path.read_bytes()
    with pytest.raises(WorkspaceError, match=message) as err:
        restore_workspace(ws.path, bad)
    assert "nothing was restored; pick one of the backups listed" in str(err.value)
    assert ws.path.read_bytes() == before
    assert list_backups(ws.path) == []
    with pytest.raises(WorkspaceError, match="does not exist; pick one of the backups"):
        restore_workspace(ws.path, tmp_path / "missing.gpkg")


def test_backing_up_a_non_workspace_is_refused(tmp_path):
    other = tmp_path / "other.gpkg"
    _layers()["boundary"].to_file(other, layer="boundary")
    with pytest.raises(WorkspaceError, match="cannot be backed up.*not a patrolnet workspace"):
        backup_workspace(other)
    assert list(backup_dir(other).iterdir()) == []  # no half-made backup left
    with pytest.raises(WorkspaceError, match="does not exist; nothing to back up"):
        backup_workspace(tmp_path / "missing.gpkg")


def test_a_damaged_current_file_is_kept_byte_for_byte_before_restoring(ws):
    good = backup_workspace(ws.path)
    ws.path.write_bytes(b"half-written garbage")
    saved = restore_workspace(ws.path, good)
    assert saved.name.endswith("-before-restore-unreadable.gpkg")
    assert saved.read_bytes() == b"half-written garbage"
    assert Workspace(ws.path).count("incidents") == 3


def test_restore_recreates_a_deleted_workspace(ws):
    good = backup_workspace(ws.path)
    mode = stat.S_IMODE(ws.path.stat().st_mode)
    ws.path.unlink()
    assert restore_workspace(ws.path, good) is None
    assert Workspace(ws.path).count("stations") == 2
    assert stat.S_IMODE(ws.path.stat().st_mode) == mode  # not the backups' 0600


def test_restore_refuses_a_workspace_open_for_writing_elsewhere(ws):
    good = backup_workspace(ws.path)
    wal = Path(str(ws.path) + "-wal")
    wal.write_bytes(b"")
    before = ws.path.read_bytes()
    with pytest.raises(WorkspaceError, match=r"open for writing in another program \(渝水 区\.gpkg-wal exists; QGIS\?\)"):
        restore_workspace(ws.path, good)
    assert ws.path.read_bytes() == before
    wal.unlink()
    check_not_in_use(ws.path)


def test_stale_temp_files_of_killed_writes_are_found_and_removed(ws):
    old = ws.path.parent / f".{ws.path.name}.abc123.tmp.gpkg"
    young = ws.path.parent / f".{ws.path.name}.def456.tmp.gpkg"
    unrelated = ws.path.parent / ".other.gpkg.x.tmp.gpkg"
    for p in (old, young, unrelated):
        p.write_bytes(b"x")
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    os.utime(unrelated, (time.time() - 7200, time.time() - 7200))
    assert stale_temp_files(ws.path) == [old]
    assert remove_stale_temp_files(ws.path) == [old]
    assert not old.exists() and young.exists() and unrelated.exists()


_WRITER = r"""
import sqlite3, sys, time
con = sqlite3.connect(sys.argv[1], timeout=30)
con.execute("CREATE TABLE IF NOT EXISTS edits (id INTEGER PRIMARY KEY, payload TEXT)")
con.execute("CREATE TABLE IF NOT EXISTS edit_count (n INTEGER)")
con.execute("INSERT INTO edit_count VALUES (0)")
con.commit()
print("ready", flush=True)
import os
end = time.time() + 120  # a safety net: the test stops it with the stop file
stop = sys.argv[2]
n = 0
while time.time() < end and not os.path.exists(stop):
    with con:  # one transaction: 200 rows and the counter together
        con.executemany("INSERT INTO edits (payload) VALUES (?)", [("北湖路" * 20,)] * 200)
        n += 200
        con.execute("UPDATE edit_count SET n = ?", (n,))
print(n, flush=True)
"""


def test_a_backup_taken_while_another_process_writes_in_place_is_consistent(ws):
    """A program editing the GeoPackage in place (as QGIS does) commits rows and a counter in one
    transaction; every backup taken meanwhile holds exactly as many rows as its counter says."""
    stop = ws.path.parent / "stop-writing"
    proc = subprocess.Popen([sys.executable, "-c", _WRITER, str(ws.path), str(stop)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "ready"
        seen: list[int] = []
        # back up until three backups saw at least two states (however busy the machine), then stop
        while proc.poll() is None:
            if len(seen) >= 3 and len(set(seen)) >= 2:
                stop.touch()
                break
            backup = backup_workspace(ws.path, keep=50)
            con = sqlite3.connect(backup)
            rows = con.execute("SELECT count(*) FROM edits").fetchone()[0]
            counter = con.execute("SELECT n FROM edit_count").fetchone()[0]
            assert con.execute("PRAGMA quick_check").fetchone() == ("ok",)
            con.close()
            assert rows == counter
            seen.append(rows)
        proc.wait(timeout=60)
        total = int(proc.stdout.readline())
    finally:
        proc.kill()
        proc.wait()
        proc.stdout.close()
    assert len(seen) >= 3 and len(set(seen)) >= 2, seen  # the writer really moved on between backups
    assert max(seen) <= total
