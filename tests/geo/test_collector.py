"""The cyclic collector paused for a job (``geo.collector``), and given back as it was."""

from __future__ import annotations

import gc
import threading

from geo.collector import collector_paused


def test_paused_inside_and_as_before_after() -> None:
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():  # nested: still paused when the inner block ends
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()  # paused by someone else before: left paused
    try:
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_an_error_inside_gives_the_collector_back() -> None:
    try:
        with collector_paused():
            raise ValueError("planning failed")
    except ValueError:
        pass
    assert gc.isenabled()


def test_jobs_in_threads_run_it_again_when_the_last_one_ends() -> None:
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()
    seen: dict[str, bool] = {}

    def first() -> None:
        with collector_paused():
            first_in.set()
            second_in.wait(5)
        first_out.set()

    def second() -> None:
        first_in.wait(5)
        with collector_paused():
            second_in.set()
            first_out.wait(5)
            seen["after the first ended"] = gc.isenabled()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert seen == {"after the first ended": False}
    assert gc.isenabled()


def test_a_shift_is_planned_with_the_collector_paused(demo_workspace, tmp_path) -> None:
    """``routes_job`` runs paused (its progress reports see it so) and gives the collector back."""
    import datetime as dt

    from app.services.routes import routes_job

    states: list[bool] = []
    routes_job(demo_workspace, shift="20:00-22:00", date=dt.date(2026, 11, 2), out=tmp_path / "plan.geojson",
               kinds=["grid_team"], time_limit_s=0.02, progress=lambda phase, share: states.append(gc.isenabled()))
    assert states and not any(states)
    assert gc.isenabled()
