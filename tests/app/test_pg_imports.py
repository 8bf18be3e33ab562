"""``patrolnet import`` and the data page's upload into a workspace in PostgreSQL/PostGIS (issue 14).

Real incidents (tests/data/incidents, provenance in tests/data/PROVENANCE.md): San Francisco's 2019
robberies into a workspace built from the real Mission extract (tests/data/osm), copied into a
throwaway schema with ``patrolnet workspace copy``; the same import into a copy of the ``.gpkg`` must
give the same layer, row for row and value for value. A bad file gives the same error (file, row,
column) and leaves the schema's layer as it was; a write that fails inside its transaction writes
nothing; readers running during an import see the layer before or after it, never half of it, and
two imports started at once (two halves of Vancouver's 16,827 thefts, in UTM) follow each other,
neither losing the other's rows, in a schema as in a file. ``patrolnet init URL`` makes the same workspace in a new schema
as in a file, and refuses a schema that already holds tables.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from app.cli import cli
from app.services.imports import import_file
from app.storage import open_store, open_workspace
from app.storage.pg_store import PgStore
from app.storage.workspace import Workspace, create_workspace
from app.web import create_app
from geo.errors import InputError
from tests.app._auth import ensure_users, token_for
from tests.app._fixtures import plain_client_class
from tests.pg import pg_url  # noqa: F401 - the fixture

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
SF_CSV = DATA / "incidents" / "san_francisco_robbery_2019.csv"
SF_OSM = DATA / "osm" / "san_francisco_mission.osm.bz2"
runner = CliRunner()


def _run(*args: object) -> Any:
    return runner.invoke(cli, [str(a) for a in args])


@pytest.fixture(scope="module")
def sf_gpkg(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace of the real San Francisco Mission extract (roads, derived boundary), with the test users."""
    from app.services.workspace import init_workspace

    path = tmp_path_factory.mktemp("sf") / "sf.gpkg"
    init_workspace(path, osm=SF_OSM, timezone="America/Los_Angeles")
    ensure_users(path)
    return path


def _copies(sf_gpkg: Path, tmp: Path, pg_url: str, schema: str) -> tuple[Path, str]:  # noqa: F811
    """The workspace as a new .gpkg file and in a new schema (``patrolnet workspace copy``)."""
    gpkg = tmp / "ws" / "sf.gpkg"
    gpkg.parent.mkdir()
    done = _run("workspace", "copy", sf_gpkg, gpkg)
    assert done.exit_code == 0, done.output
    url = f"{pg_url}?schema={schema}"
    done = _run("workspace", "copy", sf_gpkg, url)
    assert done.exit_code == 0, done.output
    return gpkg, url


def _input(tmp: Path, name: str, text: str | None = None) -> Path:
    """The incident file in a folder of its own (its rejected-rows report is written beside it)."""
    folder = tmp / name
    folder.mkdir()
    path = folder / SF_CSV.name
    if text is None:
        shutil.copy(SF_CSV, path)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values("incident_id").reset_index(drop=True)


def test_real_incidents_import_into_postgres_as_into_the_gpkg(sf_gpkg: Path, tmp_path: Path,
                                                                pg_url: str) -> None:  # noqa: F811
    gpkg, url = _copies(sf_gpkg, tmp_path, pg_url, "sf_import")
    assert not open_workspace(url).has("incidents")
    results = {}
    for name, ws in (("gpkg", gpkg), ("pg", url)):
        done = _run("import", ws, "incidents", _input(tmp_path, name), "--tolerance-m", "0", "--json")
        assert done.exit_code == 0, done.output
        results[name] = json.loads(done.output)
    file_result, pg_result = results["gpkg"], results["pg"]
    # about 300 of the 949 robberies lie inside the extract (tests/data/PROVENANCE.md)
    assert 250 < pg_result["accepted"] < 400 and pg_result["rows_read"] == 949
    assert {k: v for k, v in pg_result.items() if k not in ("report", "source")} == {
        k: v for k, v in file_result.items() if k not in ("report", "source")}
    assert pg_result["layer_features"] == pg_result["accepted"]
    # the same per-row report, beside each input
    reports = [pd.read_csv(r["report"], encoding="utf-8-sig") for r in (file_result, pg_result)]
    pd.testing.assert_frame_equal(reports[0], reports[1])

    on_file, in_db = _sorted(Workspace(gpkg).read("incidents")), _sorted(open_workspace(url).read("incidents"))
    assert list(in_db.columns) == list(on_file.columns) and len(in_db) == pg_result["accepted"]
    assert in_db.crs == on_file.crs
    pd.testing.assert_frame_equal(pd.DataFrame(in_db.drop(columns="geometry")),
                                  pd.DataFrame(on_file.drop(columns="geometry")))
    assert in_db.geometry.geom_equals_exact(on_file.geometry, tolerance=1e-6).all()
    # snapped onto the real streets, tagged, with their local times
    assert in_db["edge_id"].notna().mean() > 0.9
    assert str(in_db["occurred_at"].dt.tz) == "America/Los_Angeles"
    # the import is in the schema's audit log; no backup file was made for the database
    entry = open_store(url).audit().read(limit=5, action="import")[0]
    assert entry.details["layer"] == "incidents" and entry.details["accepted"] == pg_result["accepted"]
    assert not list(Path.cwd().glob(".sf_import*"))
    # a second import of the same file appends nothing: every id is already there, said as for a file
    again = {}
    for name, ws in (("gpkg", gpkg), ("pg", url)):
        again[name] = _run("import", ws, "incidents", _input(tmp_path, f"again-{name}"), "--tolerance-m", "0",
                           "--lang", "en")
        assert again[name].exit_code == 2
    assert "no row could be imported" in again["pg"].output
    assert open_workspace(url).count("incidents") == pg_result["accepted"]


def _bad_file() -> str:
    """The real file with its row 11 (the spreadsheet's row: the header is row 1) given a longitude that
    is not a number (the rest untouched)."""
    lines = SF_CSV.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    cells = lines[10].split(",")
    cells[header.index("longitude")] = "east-ish"
    lines[10] = ",".join(cells)
    return "\n".join(lines) + "\n"


def test_a_bad_file_is_refused_as_for_a_gpkg_and_the_schema_is_unchanged(sf_gpkg: Path, tmp_path: Path,
                                                                          pg_url: str) -> None:  # noqa: F811
    gpkg, url = _copies(sf_gpkg, tmp_path, pg_url, "sf_bad")
    for ws in (gpkg, url):  # a first good import: the layer the bad one must leave as it is
        assert _run("import", ws, "incidents", _input(tmp_path, f"good-{Path(str(ws)).name[-6:]}"),
                    "--tolerance-m", "0").exit_code == 0
    before, version = _sorted(open_workspace(url).read("incidents")), PgStore(url).version()
    said = {}
    for lang in ("en", "zh-CN"):
        for name, ws in (("gpkg", gpkg), ("pg", url)):
            done = _run("import", ws, "incidents", _input(tmp_path, f"bad-{name}-{lang}", _bad_file()),
                        "--strict", "--replace", "--tolerance-m", "100000", "--lang", lang)
            assert done.exit_code == 2, done.output
            said[name, lang] = done.output.replace(str(tmp_path / f"bad-{name}-{lang}"), "DIR")
        assert said["pg", lang] == said["gpkg", lang]
    english = said["pg", "en"]
    assert all(text in english for text in (f"'DIR/{SF_CSV.name}'", "row 11", "column lon/lat",
                                            "coordinate is not a number", "nothing imported")), english
    assert all(text in said["pg", "zh-CN"] for text in (SF_CSV.name, "11", "lon/lat")), said["pg", "zh-CN"]
    after = _sorted(open_workspace(url).read("incidents"))
    pd.testing.assert_frame_equal(pd.DataFrame(after), pd.DataFrame(before))
    assert PgStore(url).version() == version  # not even meta was touched


def test_a_write_that_fails_in_its_transaction_writes_nothing(sf_gpkg: Path, tmp_path: Path, pg_url: str,  # noqa: F811
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from app.storage import pg_layers

    _, url = _copies(sf_gpkg, tmp_path, pg_url, "sf_broken")
    ws = open_workspace(url)
    import_file(ws, "incidents", _input(tmp_path, "first"), tolerance_m=0)
    before, version = _sorted(open_workspace(url).read("incidents")), PgStore(url).version()

    def broken_meta(meta: Any) -> Any:  # the incidents table is already replaced in the transaction then
        raise InputError("the server went away", code="test.broken")

    monkeypatch.setattr(pg_layers, "meta_layer", broken_meta)
    with pytest.raises(InputError, match="went away"):
        import_file(open_workspace(url), "incidents", _input(tmp_path, "second"), tolerance_m=0, replace=True,
                    keep_duplicates=True)
    monkeypatch.undo()
    pd.testing.assert_frame_equal(pd.DataFrame(_sorted(open_workspace(url).read("incidents"))), pd.DataFrame(before))
    assert PgStore(url).version() == version


def test_readers_during_an_import_see_the_layer_before_or_after_it(tmp_path: Path, pg_url: str) -> None:  # noqa: F811
    lines = gzip.decompress((DATA / "incidents" / "vancouver_thefts_2020.csv.gz").read_bytes()).decode().splitlines()
    few = tmp_path / "few" / "v.csv"
    few.parent.mkdir()
    few.write_text("\n".join(lines[:1001]) + "\n", encoding="utf-8")
    full = tmp_path / "full" / "v.csv.gz"
    full.parent.mkdir()
    shutil.copy(DATA / "incidents" / "vancouver_thefts_2020.csv.gz", full)
    gpkg = tmp_path / "van.gpkg"
    create_workspace(gpkg, {}, crs="EPSG:32610", timezone="America/Vancouver")
    url = f"{pg_url}?schema=van_concurrent"
    assert _run("workspace", "copy", gpkg, url).exit_code == 0
    assert _run("import", url, "incidents", few, "--coords", "EPSG:32610").exit_code == 0
    assert open_workspace(url).count("incidents") == 1000

    seen: list[int] = []  # the layer's size by count and by reading it (two reads: each before or after)
    errors: list[BaseException] = []
    writing = threading.Event()
    done = threading.Event()

    def read() -> None:
        ws = open_workspace(url)  # opened before the import: a handle kept by a web worker
        writing.wait(30)
        try:
            while not done.is_set():
                mine = [ws.count("incidents"), len(ws.read("incidents", columns=["incident_id"]))]
                assert mine == sorted(mine)  # never back to the layer before once the import is seen
                seen.extend(mine)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    readers = [threading.Thread(target=read) for _ in range(2)]
    for r in readers:
        r.start()
    started = time.perf_counter()
    writing.set()
    try:
        _, result, _ = import_file(open_workspace(url), "incidents", full, coords="EPSG:32610", replace=True)
    finally:
        done.set()
        for r in readers:
            r.join(60)
    seconds = time.perf_counter() - started
    assert not errors, errors
    assert len(result.accepted) == 16_827
    assert seen and set(seen) <= {1000, 16_827}, sorted(set(seen))
    assert 1000 in seen  # the readers ran while the import did
    print(f"import of 16,827 rows into PostgreSQL: {seconds:.1f} s; {len(seen)} reads during it")
    assert open_workspace(url).count("incidents") == 16_827


def test_the_data_pages_upload_imports_into_the_schema(sf_gpkg: Path, tmp_path: Path, pg_url: str) -> None:  # noqa: F811
    gpkg, url = _copies(sf_gpkg, tmp_path, pg_url, "sf_upload")
    app = create_app(url, outputs_dir=tmp_path / "out", require_assets=False)
    with plain_client_class()(app) as client:
        client.headers.update({"Authorization": f"Bearer {token_for('admin')}"})
        r = client.post("/api/v1/imports", files={"file": (SF_CSV.name, SF_CSV.read_bytes(), "text/csv")},
                        data={"layer": "incidents", "tolerance_m": "0"})
        assert r.status_code == 200, r.text
        job = r.json()
        assert job["status"] == "done", job
        strict = client.post("/api/v1/imports?lang=en",
                             files={"file": ("bad.csv", _bad_file().encode("utf-8"), "text/csv")},
                             data={"layer": "incidents", "tolerance_m": "100000", "strict": "1", "replace": "1"})
        assert strict.status_code == 422 and "row 11" in strict.json()["error"], strict.text
    done = _run("import", gpkg, "incidents", _input(tmp_path, "cli"), "--tolerance-m", "0", "--json")
    on_file = json.loads(done.output)
    assert job["result"]["accepted"] == on_file["accepted"] == job["result"]["layer_features"]
    in_db = _sorted(open_workspace(url).read("incidents"))
    pd.testing.assert_frame_equal(pd.DataFrame(in_db.drop(columns="geometry")),
                                  pd.DataFrame(_sorted(Workspace(gpkg).read("incidents")).drop(columns="geometry")))


def _layers(info: Any) -> list[tuple[str, str | None, int]]:
    return [(layer.name, layer.geometry_type, layer.features) for layer in info.layers]


def test_init_makes_the_workspace_in_a_new_schema_and_never_replaces_one(sf_gpkg: Path, tmp_path: Path,
                                                                        pg_url: str) -> None:  # noqa: F811
    url = f"{pg_url}?schema=sf_init"
    done = _run("init", url, "--osm", SF_OSM, "--timezone", "America/Los_Angeles", "--json")
    assert done.exit_code == 0, done.output
    in_db, on_file = open_workspace(url), Workspace(sf_gpkg)  # the file: made by init_workspace the same way
    assert _layers(in_db.info()) == _layers(on_file.info())
    assert in_db.crs == on_file.crs and in_db.timezone == "America/Los_Angeles"
    edges = [_sorted_by(ws.read("road_edges"), "edge_id") for ws in (in_db, on_file)]
    pd.testing.assert_frame_equal(pd.DataFrame(edges[0].drop(columns="geometry")),
                                  pd.DataFrame(edges[1].drop(columns="geometry")))
    assert [e.action for e in open_store(url).audit().read(limit=10)] == ["init"]
    # the new schema takes an import at once
    assert _run("import", url, "incidents", _input(tmp_path, "first"), "--tolerance-m", "0").exit_code == 0
    version = PgStore(url).version()
    for lang, said in (("en", "already holds tables"), ("zh-CN", "已有数据表")):
        again = _run("init", url, "--osm", SF_OSM, "--overwrite", "--lang", lang)
        assert again.exit_code == 2 and said in again.output and "pg_dump" in again.output, again.output
    assert PgStore(url).version() == version and open_workspace(url).has("incidents")
    # demo still makes a file only, and says how to get one into the database
    demo = _run("demo", "--no-serve", "--workspace", url, "--lang", "en")
    assert demo.exit_code == 2 and "workspace copy ws.gpkg" in demo.output, demo.output


def _sorted_by(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    return frame.sort_values(column).reset_index(drop=True)


def _waiting(workspace: str, pids: list[int]) -> int:
    """How many of ``pids`` wait for the workspace's writing turn (a PostgreSQL advisory lock not
    granted, or a blocked ``flock`` in /proc/locks)."""
    if "://" in workspace:
        import psycopg

        with psycopg.connect(workspace.split("?")[0], autocommit=True) as con:
            return int(con.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
                                   ).fetchone()[0])
    blocked = re.findall(r"^\d+:\s+-> FLOCK\s+ADVISORY\s+WRITE (\d+) ", Path("/proc/locks").read_text(), re.MULTILINE)
    return sum(int(p) in pids for p in blocked)


@pytest.mark.parametrize("backend", ["gpkg", "pg"])
def test_two_imports_at_once_follow_each_other_and_keep_both_halves(backend: str, tmp_path: Path,
                                                                    pg_url: str) -> None:  # noqa: F811
    lines = gzip.decompress((DATA / "incidents" / "vancouver_thefts_2020.csv.gz").read_bytes()).decode().splitlines()
    halves = []
    for i, rows in enumerate((lines[1:8001], lines[8001:])):
        half = tmp_path / f"half{i}" / f"vancouver_half{i}.csv"
        half.parent.mkdir()
        half.write_text("\n".join([lines[0], *rows]) + "\n", encoding="utf-8")
        halves.append(half)
    gpkg = tmp_path / "ws" / "van.gpkg"
    gpkg.parent.mkdir()
    create_workspace(gpkg, {}, crs="EPSG:32610", timezone="America/Vancouver")
    workspace = str(gpkg)
    if backend == "pg":
        workspace = f"{pg_url}?schema=van_two_imports"
        assert _run("workspace", "copy", gpkg, workspace).exit_code == 0
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with open_store(workspace).jobs().write_turn():  # a web import running: both must wait for it
        procs = [subprocess.Popen([sys.executable, "-m", "app.cli", "import", workspace, "incidents", str(half),
                                   "--coords", "EPSG:32610", "--json"], cwd=ROOT, env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for half in halves]
        deadline = time.monotonic() + 120
        while _waiting(workspace, [p.pid for p in procs]) < 2:
            assert time.monotonic() < deadline and all(p.poll() is None for p in procs), [
                p.communicate() for p in procs if p.poll() is not None]
            time.sleep(0.2)
        assert not open_workspace(workspace).has("incidents")
    outs = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    first, second = sorted(json.loads(out)["layer_features"] for out, _ in outs)
    assert first in (8000, 8827) and second == 16_827  # the second built on the first
    incidents = open_workspace(workspace).read("incidents", columns=["incident_id"])
    assert len(incidents) == 16_827 and incidents["incident_id"].is_unique
