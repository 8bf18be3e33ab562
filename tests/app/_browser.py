"""The browser-test harness shared by the page tests: Debian chromium through Playwright (never
`playwright install`), uvicorn on 127.0.0.1 in a thread, and a recorder that fails a test on any
request to another host, console error or failed request."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import uvicorn

from tests.app._auth import browser_cookie, ensure_users

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
LOCAL_HOSTS = {"127.0.0.1"}


def require_chromium() -> None:
    """Skip without Debian chromium, except in CI, which must run the browser tests."""
    if CHROMIUM.exists():
        return
    reason = f"{CHROMIUM} is missing (apt-get install -y chromium)"
    if os.environ.get("CI"):
        pytest.fail(f"browser tests must run in CI: {reason}")
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(app: Any) -> Iterator[str]:
    """Run ``app`` with uvicorn on a free loopback port for the duration of the generator (its
    workspace gets the test users and sessions of ``tests/app/_auth.py``; its job pool is shut down,
    waiting for running jobs, at the end)."""
    ensure_users(app.state.patrolnet.settings.workspace_path)
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off",
                            access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        jobs = app.state.patrolnet.jobs
        if jobs is not None:  # jobs the test started finish before their workspace goes away
            jobs.shutdown(wait=True)


@dataclass
class Recorder:
    """Every request of a browser context; requests to another host are aborted and recorded.

    ``expected_abort`` says which aborted requests are normal (e.g. a map request superseded by
    the next pan)."""

    expected_abort: Callable[[str], bool] = lambda url: False
    requests: list[str] = field(default_factory=list)
    off_host: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def on_request(self, request: Any) -> None:
        self.requests.append(request.url)

    def route(self, route: Any) -> None:
        url = route.request.url
        scheme = urlsplit(url).scheme
        if scheme in ("data", "blob") or urlsplit(url).hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            self.off_host.append(url)
            route.abort()

    def on_failed(self, request: Any) -> None:
        if request.failure == "net::ERR_ABORTED" and self.expected_abort(request.url):
            return
        self.failed.append(f"{request.url} {request.failure}")

    def on_console(self, msg: Any) -> None:
        if msg.type == "error":
            self.console_errors.append(msg.text)

    def check(self) -> None:
        bad = [u for u in self.requests
               if urlsplit(u).scheme not in ("data", "blob") and urlsplit(u).hostname not in LOCAL_HOSTS]
        assert not bad and not self.off_host, f"off-host requests: {bad + self.off_host}"
        assert not self.console_errors, f"console errors: {self.console_errors}"
        assert not self.failed, f"failed requests: {self.failed}"


def wait_for(page: Any, expression: str, *, arg: Any = None, timeout: float = 15_000, interval_ms: int = 100) -> None:
    """Like ``page.wait_for_function``, but polling with ``page.evaluate``: Playwright's own polling
    evaluates the predicate with ``eval`` inside the page, which the app's Content-Security-Policy
    forbids (no 'unsafe-eval'), and the tests keep that policy on."""
    deadline = time.monotonic() + timeout / 1000
    while not page.evaluate(expression, arg):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} ms waiting for: {expression[:160]}")
        page.wait_for_timeout(interval_ms)


def launch() -> Iterator[Any]:
    """A headless chromium for a test module."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield b
        finally:
            b.close()


def recorded_page(browser: Any, *, expected_abort: Callable[[str], bool] = lambda url: False,
                  signed_in: bool = True, viewport: dict[str, int] | None = None,
                  **context_options: Any) -> Iterator[tuple[Any, Recorder]]:
    """A page in a fresh zh-CN context whose every request is recorded (see :class:`Recorder`),
    signed in as the test admin unless ``signed_in`` is false; 1400x900 unless ``viewport``."""
    context = browser.new_context(viewport=viewport or {"width": 1400, "height": 900}, locale="zh-CN",
                                  service_workers="block", **context_options)
    if signed_in:  # the admin's test session on every loopback server (tests/app/_auth.py)
        context.add_cookies([browser_cookie("http://127.0.0.1")])
    rec = Recorder(expected_abort=expected_abort)
    context.route("**/*", rec.route)
    context.on("request", rec.on_request)
    context.on("requestfailed", rec.on_failed)
    page = context.new_page()
    page.on("console", rec.on_console)
    page.on("pageerror", lambda exc: rec.console_errors.append(f"pageerror: {exc}"))
    try:
        yield page, rec
    finally:
        context.close()
