"""Heavy planning fanned out on Dask (issue 14): a shift planned in pieces on a LocalCluster of two
worker processes equals the shift planned in this process, plan for plan, file for file; an error
raised in a piece reaches the caller as itself; a bad ``--dask`` value or an unreachable scheduler
is refused at once (bounded wait), naming the address and what to do, in zh-CN and English.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from app.cli import cli
from app.i18n import said
from app.services.fanout import (DaskFanout, Fanout, ForkFanout, SerialFanout, command_fanout, open_fanout,
                                  parse_fanout)
from app.services.routes import plan_summary, routes_job
from app.storage.workspace import Workspace
from geo.errors import InfeasibleError, InputError

SHIFT = "20:00-24:00"
DAY = dt.date(2026, 11, 2)
runner = CliRunner()


@pytest.fixture(scope="module")
def ws_path(demo_workspace_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private copy of the demo district, split into beats (as tests/app/test_plans_web.py)."""
    from app.services.split import split_workspace

    path = tmp_path_factory.mktemp("fanout") / "yushui.gpkg"
    shutil.copyfile(demo_workspace_file, path)
    split_workspace(Workspace(path))
    return path


@pytest.fixture(scope="module")
def cluster() -> Iterator[Fanout]:
    with open_fanout("local:2") as fan:
        yield fan


def _essence(plans: list[Any]) -> list[tuple[Any, ...]]:
    """What a plan is, field by field (arrays as lists)."""
    return [(p.unit_id, p.unit_kind, p.beat, p.arcs, p.edge_ids, p.arc_start_s, p.arc_end_s, p.stops,
             p.coords.tolist(), p.coord_s.tolist(), p.length_m, p.duration_min, p.dosage, p.road_names) for p in plans]


def _profiler_on() -> bool:
    import dask

    return bool(dask.config.get("distributed.worker.profile.enabled"))


def _files(written: list[Path]) -> dict[str, bytes]:
    return {Path(p).name: Path(p).read_bytes() for p in written}


def test_local_cluster_plans_the_shift_exactly_as_one_process(ws_path: Path, cluster: Fanout, tmp_path: Path) -> None:
    from distributed import get_task_stream

    assert isinstance(cluster, DaskFanout) and cluster.workers == 2 and not cluster.in_process
    ws = Workspace(ws_path)
    serial, serial_files = routes_job(ws, shift=SHIFT, date=DAY, out=tmp_path / "serial" / "x")
    with get_task_stream(cluster.client) as stream:
        fanned, fanned_files = routes_job(ws, shift=SHIFT, date=DAY, out=tmp_path / "dask" / "x", fanout=cluster)
    ran = [t for t in stream.data if "plan_piece" in str(t.get("key", ""))]
    beats = {p.beat for p in serial if p.unit_kind == "brigade_vehicle"}
    # a piece per beat, plus the grid teams in 3 x 2 groups of whole stations, on both workers
    assert len(beats) >= 10 and len(ran) == len(beats) + 6 and len({t["worker"] for t in ran}) == 2
    assert len(serial) == 59 and [p.unit_kind for p in serial].count("brigade_vehicle") == 12
    assert _essence(fanned) == _essence(serial)
    assert plan_summary(fanned, day=DAY, shift=SHIFT) == plan_summary(serial, day=DAY, shift=SHIFT)
    assert _files(fanned_files) == _files(serial_files) and len(serial_files) == 6


def test_forked_processes_plan_the_shift_exactly_as_one_process(ws_path: Path, tmp_path: Path) -> None:
    """fork:2: two processes forked with the graph and its tables already built plan the same
    shift, file for file; an error in a piece reaches the caller as itself."""
    ws = Workspace(ws_path)
    serial, serial_files = routes_job(ws, shift=SHIFT, date=DAY, out=tmp_path / "serial" / "x")
    with open_fanout("fork:2") as fan:
        assert isinstance(fan, ForkFanout) and fan.workers == 2 and fan.inherits and not fan.in_process
        forked, forked_files = routes_job(ws, shift=SHIFT, date=DAY, out=tmp_path / "fork" / "x", fanout=fan)
        with pytest.raises(InfeasibleError) as there:
            fan.map(failing_piece, [{"n": 1}, {"n": 2}])
    assert _essence(forked) == _essence(serial) and len(serial) == 59
    assert _files(forked_files) == _files(serial_files) and len(serial_files) == 6
    assert there.value.code == "routes.beat_too_long" and there.value.fmt["beat"] == "1"
    assert parse_fanout("fork:2") == ("fork", 2)


def failing_piece(n: int) -> None:
    """A piece that fails as a planner does, naming its input (module level: workers import it)."""
    raise InfeasibleError(f"beat {n}: failed", code="routes.beat_too_long", beat=str(n), need="1", km="1", k=1,
                          shift="1")


def test_brigade_pieces_per_beat_plan_as_the_whole_brigade(ws_path: Path) -> None:
    """Cut per beat in this process (the cut a cluster runs), beats planned in reverse order, the
    brigade's plans equal plan_shift's on the whole: hotspot numbers, stop jitter and all. Without
    the workspace's beats too (computed once, before the cut)."""
    import pandas as pd

    from routing.graph import graph_from_workspace
    from routing.patrol import plan_shift, shift_window
    from routing.patrol.parallel import join_pieces, plan_piece, shift_pieces

    ws = Workspace(ws_path)
    G = graph_from_workspace(ws)
    units, incidents = ws.read("units"), ws.read("incidents")
    start, end = shift_window(SHIFT, date=DAY, tz=ws.timezone)
    owners = ws.read("edge_owners", columns=["edge_id", "beat"])
    owners = owners[owners["beat"].notna()]
    split = pd.Series(owners["beat"].astype(int).to_numpy(), index=owners["edge_id"].astype(int).to_numpy())
    for beats in (split, None):
        whole = plan_shift(G, units, incidents=incidents, beats=beats, kinds=("brigade_vehicle",),
                           shift_start=start, shift_end=end)
        shared, pieces = shift_pieces(G, units, kinds=("brigade_vehicle",), incidents=incidents, beats=beats,
                                      shift_start=start, shift_end=end)
        assert [p["part"] for p in pieces] == ["beat"] * len(pieces) and len(pieces) == len({p.beat for p in whole})
        assert sum(len(p["work"].hots) for p in pieces) > 0  # hotspots numbered before the cut
        done = {i: plan_piece(G, **piece, **shared, incidents=incidents, shift_start=start, shift_end=end)
                for i, piece in reversed(list(enumerate(pieces)))}
        assert _essence(join_pieces(units, [done[i] for i in range(len(pieces))])) == _essence(whole)


def test_pieces_go_to_the_processes_longest_first(ws_path: Path) -> None:
    """The groups of grid teams (the most teams first), then the beats (the most arcs first): the
    short beats even out the processes' ends; every piece once."""
    from routing.graph import graph_from_workspace
    from routing.patrol import shift_window
    from routing.patrol.parallel import largest_first, shift_pieces

    ws = Workspace(ws_path)
    G = graph_from_workspace(ws)
    start, end = shift_window(SHIFT, date=DAY, tz=ws.timezone)
    _, pieces = shift_pieces(G, ws.read("units"), incidents=ws.read("incidents"), neighborhoods=ws.read("neighborhoods"),
                             shift_start=start, shift_end=end, team_groups=4)
    order = largest_first(pieces)
    assert sorted(order) == list(range(len(pieces)))
    parts = [pieces[i]["part"] for i in order]
    assert parts == sorted(parts, key=lambda part: part != "teams") and {"teams", "beat"} <= set(parts)
    teams = [len(pieces[i]["units"]) for i in order if pieces[i]["part"] == "teams"]
    arcs = [len(pieces[i]["work"].arcs) for i in order if pieces[i]["part"] == "beat"]
    assert teams == sorted(teams, reverse=True) and arcs == sorted(arcs, reverse=True) and arcs[0] > arcs[-1]


def test_a_station_plans_alike_on_the_cluster(ws_path: Path, cluster: Fanout, tmp_path: Path) -> None:
    ws = Workspace(ws_path)
    serial, _ = routes_job(ws, shift=SHIFT, date=DAY, out=tmp_path / "s.geojson", station_id="S06")
    fanned, _ = routes_job(ws, shift=SHIFT, date=DAY, out=tmp_path / "d.geojson", fanout=cluster, station_id="S06")
    assert len(serial) == 7 and {p.unit_kind for p in serial} == {"grid_team"}
    assert _essence(fanned) == _essence(serial)
    # the serial fan-out runs in this process and plans alike too
    same, _ = routes_job(ws, shift=SHIFT, date=DAY, out=tmp_path / "f.geojson", station_id="S06",
                         fanout=SerialFanout())
    assert _essence(same) == _essence(serial)


def where_piece(n: int) -> tuple[int, int]:
    """A piece saying which process ran it (module level: workers import it)."""
    return n, os.getpid()


def test_this_process_works_meanwhile_once_while_the_pieces_run(cluster: Fanout) -> None:
    """``meanwhile``: this process's own work, done once, in this process, beside the pieces (after
    them when they run here); the pieces' results as without it."""
    for fan in (SerialFanout(), ForkFanout(2), cluster):
        calls: list[int] = []
        got = fan.map(where_piece, [{"n": n} for n in range(5)], meanwhile=lambda: calls.append(os.getpid()))
        assert calls == [os.getpid()] and [n for n, _ in got] == list(range(5))
        ran = {pid for _, pid in got}
        assert ran == {os.getpid()} if fan.in_process else os.getpid() not in ran
        calls.clear()
        assert fan.map(where_piece, [], meanwhile=lambda: calls.append(1)) == [] and calls == [1]


def test_the_routes_command_forks_this_machines_cores_unless_told(monkeypatch: pytest.MonkeyPatch) -> None:
    """``patrolnet routes`` without ``--dask``: fork:N for N cores (at most four), serial on one core;
    what is asked for is kept."""
    assert command_fanout("serial") == "serial" and command_fanout("local:3") == "local:3"
    for cores, want in ((1, "serial"), (2, "fork:2"), (16, "fork:4")):
        monkeypatch.setattr(os, "sched_getaffinity", lambda pid, n=cores: set(range(n)))
        assert command_fanout(None) == command_fanout("") == want
    with open_fanout(command_fanout(None)) as fan:
        assert isinstance(fan, ForkFanout) and fan.workers == 4


def test_an_error_in_a_piece_reaches_the_caller_as_itself(cluster: Fanout) -> None:
    """The same InfeasibleError, key and values, from a worker as from this process (the first
    failed piece in the pieces' order)."""
    with pytest.raises(InfeasibleError) as here:
        SerialFanout().map(failing_piece, [{"n": 1}, {"n": 2}])
    with pytest.raises(InfeasibleError) as there:
        cluster.map(failing_piece, [{"n": 1}, {"n": 2}])
    assert here.value.code == there.value.code == "routes.beat_too_long"
    assert there.value.fmt == here.value.fmt and str(there.value) == str(here.value)


def test_a_shift_too_short_for_a_beat_gives_a_partial_plan_naming_what_it_leaves(ws_path: Path, cluster: Fanout,
                                                                               tmp_path: Path) -> None:
    """20 minutes cannot cover a beat's main roads: each vehicle covers what it can and is back in
    time, its plan names the streets left (km) and warns; alike on the workers."""
    ws = Workspace(ws_path)
    kw = {"shift": "20:00-20:20", "date": DAY, "kinds": ["brigade_vehicle"]}
    here, _ = routes_job(ws, out=tmp_path / "a.geojson", **kw)
    there, _ = routes_job(ws, out=tmp_path / "b.geojson", fanout=cluster, **kw)
    assert _essence(there) == _essence(here) and len(here) == 12
    for p in here:
        assert p.duration_min <= 20 + 1e-6 and p.arcs[0][0] == p.arcs[-1][1] == p.base
        assert p.extra["left_out_km"] > 1 and p.extra["left_out"] and "未能覆盖" in p.extra["warnings"][0]
        assert all(r["road"] and r["km"] > 0 for r in p.extra["left_out"])
        assert abs(sum(r["km"] for r in p.extra["left_out"]) - p.extra["left_out_km"]) < 0.05


def test_the_local_cluster_listens_on_loopback_only(cluster: Fanout) -> None:
    """Scheduler and workers (this process's children) listen on 127.0.0.1 only; no dashboard."""
    import psutil

    me = psutil.Process()
    pids = {me.pid} | {c.pid for c in me.children(recursive=True)}
    listening = [c.laddr for c in psutil.net_connections(kind="inet") if c.status == "LISTEN" and c.pid in pids]
    assert len(listening) >= 3 and {a.ip for a in listening} == {"127.0.0.1"}
    port = cluster.client.scheduler_info()["services"]["dashboard"]  # the HTTP server: health checks only
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5) as ok:
        assert ok.status == 200
    with pytest.raises(urllib.error.HTTPError) as no_page:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/status", timeout=5)
    no_page.value.close()
    assert no_page.value.code == 404
    assert set(cluster.client.run(_profiler_on).values()) == {False}  # workers without the sampling profiler


def test_a_running_scheduler_is_reached_by_its_tcp_address(cluster: Fanout) -> None:
    address = cluster.client.scheduler.address
    assert address.startswith("tcp://127.0.0.1:")
    with open_fanout(address) as fan:
        assert isinstance(fan, DaskFanout) and fan.workers == 2
        assert fan.map(pow, [{"base": 3}, {"base": 4}], shared={"exp": 2}) == [9, 16]


@pytest.mark.parametrize("value", [None, "", "none", "serial"])
def test_no_address_plans_in_this_process(value: str | None) -> None:
    assert parse_fanout(value) == ("serial", None)
    with open_fanout(value) as fan:
        assert isinstance(fan, SerialFanout) and fan.in_process and fan.workers == 1


def test_addresses_are_read_with_the_default_port() -> None:
    assert parse_fanout("local:3") == ("local", 3)
    assert parse_fanout("tcp://10.0.0.5") == ("tcp", "tcp://10.0.0.5:8786")
    assert parse_fanout(" tcp://sched.lan:9000 ") == ("tcp", "tcp://sched.lan:9000")


@pytest.mark.parametrize("value", ["local:0", "local:65", "local", "fork:0", "fork", "http://h:8786", "tcp://",
                                   "tcp://h:99999", "h:8786"])
def test_a_malformed_address_is_refused_naming_it(value: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_fanout(value)
    assert caught.value.code == "param.dask"
    zh, en = said(caught.value, "zh-CN"), said(caught.value, "en")
    assert value in zh and value in en and "tcp://" in en and "local:N" in en and "调度器" in zh
    assert "fork:N" in en and "fork:N" in zh


def test_the_cli_refuses_a_malformed_address(ws_path: Path, tmp_path: Path) -> None:
    for lang, words in (("en", "is not understood"), ("zh-CN", "无法识别 Dask 地址")):
        result = runner.invoke(cli, ["routes", str(ws_path), "--shift", SHIFT, "--date", DAY.isoformat(),
                                     "--out", str(tmp_path / "x.geojson"), "--dask", "tcp//localhost:8786",
                                     "--lang", lang])
        assert result.exit_code == 2, result.output
        text = " ".join(result.output.split())
        assert "error:" in text and words in text and "tcp//localhost:8786" in text
    assert not (tmp_path / "x.geojson").exists()


def test_an_unreachable_scheduler_is_refused_within_the_timeout() -> None:
    with socket.socket() as s:  # a loopback port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    t0 = time.monotonic()
    with pytest.raises(InputError) as caught, open_fanout(address, connect_timeout_s=2):
        pass
    assert time.monotonic() - t0 < 15
    assert caught.value.code == "dask.unreachable"
    zh, en = said(caught.value, "zh-CN"), said(caught.value, "en")
    assert address in zh and address in en
    assert "cannot reach" in en and "local:N" in en and "无法连接" in zh and "dask scheduler" in zh
