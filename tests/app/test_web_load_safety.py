"""What keeps the server up under load: cache misses are made once (single flight) and password
verifications are bounded (the load test itself is ``bench/stages_load.py``)."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from app.web.state import LRUCache


def test_concurrent_misses_of_one_key_make_it_once() -> None:
    cache: LRUCache[str, int] = LRUCache(4)
    calls = []

    def make() -> int:
        calls.append(threading.get_ident())
        time.sleep(0.3)
        return 42

    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(lambda _: cache.get_or_make("page", make), range(8)))
    assert got == [42] * 8
    assert len(calls) == 1 and cache.made == 1


def test_a_failed_make_is_raised_to_every_waiter_and_not_cached() -> None:
    cache: LRUCache[str, int] = LRUCache(4)
    started = threading.Event()

    def bad() -> int:
        started.set()
        time.sleep(0.2)
        raise ValueError("broken layer")

    with ThreadPoolExecutor(4) as pool:
        first = pool.submit(cache.get_or_make, "k", bad)
        started.wait()
        others = [pool.submit(cache.get_or_make, "k", bad) for _ in range(3)]
        for f in [first, *others]:
            with pytest.raises(ValueError, match="broken layer"):
                f.result()
    assert cache.get_or_make("k", lambda: 7) == 7  # not cached: the next call makes it


def test_different_keys_are_made_in_parallel_and_evicted_oldest_first() -> None:
    cache: LRUCache[int, int] = LRUCache(2)
    t0 = time.monotonic()
    with ThreadPoolExecutor(3) as pool:
        list(pool.map(lambda k: cache.get_or_make(k, lambda: (time.sleep(0.3), k)[1]), range(3)))
    assert time.monotonic() - t0 < 0.8  # three makes of 0.3 s overlapped
    assert cache.made == 3
    assert cache.get_or_make(0, lambda: -1) in (0, -1)


def test_password_verifications_run_two_at_a_time(workspace_path: Any) -> None:
    """Twelve concurrent sign-ins of five users: never more than two Argon2 verifications at once
    (and one user's one after another)."""
    from app.web import create_app
    from tests.app._auth import PASSWORD, USERS, ensure_users
    from tests.app._fixtures import plain_client_class

    ensure_users(workspace_path)
    app = create_app(workspace_path)
    store = app.state.patrolnet.users
    real = store.verify
    running, peak, lock = [0], [0], threading.Lock()

    def counting(*args: Any, **kwargs: Any) -> Any:
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        try:
            return real(*args, **kwargs)
        finally:
            with lock:
                running[0] -= 1

    store.verify = counting  # type: ignore[method-assign]
    with plain_client_class()(app) as c, ThreadPoolExecutor(12) as pool:
        names = [u[0] for u in USERS.values()]
        codes = list(pool.map(lambda k: c.post("/api/v1/auth/token", json={
            "username": names[k % len(names)], "password": PASSWORD}).status_code, range(12)))
    assert codes == [200] * 12
    assert peak[0] == 2, peak


def test_a_burst_of_concurrent_guesses_cannot_pass_the_failure_limit(tmp_path: Any) -> None:
    """Twelve wrong passwords at once for one user from one client: five are tried (401), the rest
    refused (429) without being tried, since the limit is checked inside the verification slot."""
    from app.web import create_app
    from tests.app._auth import ensure_users
    from tests.app._fixtures import build_workspace, plain_client_class

    path = tmp_path / "ws.gpkg"
    build_workspace(path)
    ensure_users(path)
    app = create_app(path)
    with plain_client_class()(app) as c, ThreadPoolExecutor(12) as pool:
        codes = list(pool.map(lambda _: c.post("/api/v1/auth/token", json={
            "username": "t-admin", "password": "wrong-password-123"}).status_code, range(12)))
    assert sorted(codes) == [401] * 5 + [429] * 7, codes


def test_background_work_runs_at_a_lower_priority() -> None:
    """Password hashes run on threads of lower CPU priority than the requests' threads: a burst of
    sign-ins at the start of a shift does not hold up the pages of those already signed in."""
    import os
    import threading

    from app.web.pool import SIGN_IN_NICENESS, run_background

    def nice() -> int:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    assert run_background(nice) == min(19, nice() + SIGN_IN_NICENESS)
    assert nice() == os.getpriority(os.PRIO_PROCESS, threading.get_native_id())  # this thread unchanged


def test_lru_cache_keeps_within_a_weight() -> None:
    """A cache of values with a weight (e.g. tiles' bytes) keeps at most that much, least recently
    used first out; a value heavier than the whole budget is given out but not kept."""
    cache: LRUCache[str, bytes] = LRUCache(100, weigh=len, max_weight=10)
    for key in "abc":
        assert cache.get_or_make(key, lambda: b"1234") == b"1234"
    assert cache.get("a") is None and cache.get("b") == b"1234" and cache.weight == 8
    assert cache.get_or_make("big", lambda: b"x" * 11) == b"x" * 11
    assert cache.get("big") is None and cache.weight == 8
    cache.clear()
    assert cache.weight == 0 and cache.get("c") is None
