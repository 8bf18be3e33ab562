"""geo.atomic: the one writer that replaces files; geo.jsonsafe: the one JSON converter."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geo.atomic import atomic_path, atomic_write_bytes, atomic_write_text, current_umask
from geo.jsonsafe import to_jsonable


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_a_new_file_gets_the_umask_mode_and_no_temporary_file_remains(tmp_path):
    target = atomic_write_text(tmp_path / "a.csv", "id\n1\n")
    assert target.read_text() == "id\n1\n"
    assert target.stat().st_mode & 0o777 == 0o666 & ~current_umask()
    assert _leftovers(tmp_path) == []


def test_replacing_keeps_the_mode_of_the_file_it_replaces(tmp_path):
    target = tmp_path / "plan.gpx"
    target.write_text("old")
    os.chmod(target, 0o640)
    atomic_write_bytes(target, b"new")
    assert target.read_bytes() == b"new" and target.stat().st_mode & 0o777 == 0o640


def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(tmp_path):
    target = tmp_path / "ws.gpkg"
    target.write_text("old")
    with pytest.raises(RuntimeError, match="killed"):
        with atomic_path(target, suffix=".tmp.gpkg") as tmp:
            tmp.write_text("half")
            Path(str(tmp) + "-journal").write_text("j")
            raise RuntimeError("killed mid-write")
    assert target.read_text() == "old"
    assert _leftovers(tmp_path) == []


def test_a_last_check_that_refuses_replaces_nothing(tmp_path):
    target = tmp_path / "ws.gpkg"
    target.write_text("old")

    def in_use() -> None:
        raise PermissionError("open in QGIS")

    with pytest.raises(PermissionError, match="QGIS"):
        with atomic_path(target, before_replace=in_use) as tmp:
            tmp.write_text("new")
    assert target.read_text() == "old" and _leftovers(tmp_path) == []


def test_copy_starts_from_the_current_content(tmp_path):
    target = tmp_path / "log.txt"
    target.write_text("a\n")
    with atomic_path(target, copy=True) as tmp:
        with open(tmp, "a") as fh:
            fh.write("b\n")
    assert target.read_text() == "a\nb\n"


def test_nothing_written_is_an_error_not_an_empty_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothing was written"):
        with atomic_path(tmp_path / "x.csv"):
            pass
    assert not (tmp_path / "x.csv").exists()


def test_to_jsonable_gives_plain_json():
    value = {
        1: np.int64(3), "f": np.float32(0.5), "nan": float("nan"), "inf": np.float64(np.inf),
        "na": pd.NA, "nat": pd.NaT, "day": dt.date(2026, 12, 2),
        "ts": pd.Timestamp("2026-12-02T08:00:00+08:00"), "arr": np.array([1, 2]),
        "nested": [(np.bool_(True), None)], "path": Path("/srv/secret/plan.gpx"),
    }
    out = to_jsonable(value)
    assert json.loads(json.dumps(out, allow_nan=False)) == {
        "1": 3, "f": 0.5, "nan": None, "inf": None, "na": None, "nat": None, "day": "2026-12-02",
        "ts": "2026-12-02T08:00:00+08:00", "arr": [1, 2], "nested": [[True, None]], "path": "plan.gpx",
    }
