"""The API docs page used with the browser's session: Swagger's "Try it out" on a POST carries the
session's CSRF token (without it the server answers 403), in real chromium."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.web import create_app
from tests.app._browser import recorded_page, require_chromium, serve


@pytest.fixture(scope="module")
def base_url(workspace_path: Path, tmp_path_factory: pytest.TempPathFactory, assets_ready: Path) -> Iterator[str]:
    require_chromium()
    path = tmp_path_factory.mktemp("docs") / "ws.gpkg"
    shutil.copyfile(workspace_path, path)  # the job submitted below writes into this copy's folder only
    yield from serve(create_app(path))



def test_try_it_out_posts_with_the_session(base_url: str, browser: Any) -> None:
    for page, rec in recorded_page(browser):
        page.goto(base_url + "/docs", wait_until="load")
        op = page.locator("[id^='operations-jobs-submit_report']").first
        op.wait_for(timeout=15_000)
        op.locator(".opblock-summary").click()
        op.locator(".try-out__btn").click()
        op.locator(".execute").click()
        status = op.locator(".live-responses-table tbody .response-col_status").first
        status.wait_for(timeout=15_000)
        assert status.inner_text().strip() == "202"  # 403 without the CSRF header
        rec.check()
