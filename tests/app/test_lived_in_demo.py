"""The demo arrives lived-in (issue 18): after the district is built with ``--lived-in``, the route
planner, the coverage map, the camera gaps and the reports show content without any click: tonight's
plan, the split, the gap list, last month's report."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.services.demo_day import live_in
from app.services.plans import list_records
from app.storage.access import Principal
from app.storage.workspace import Workspace
from app.web import create_app
from tests.app._browser import recorded_page, require_chromium, serve, wait_for


@pytest.fixture(scope="module")
def lived(demo_workspace_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("lived-in") / "yushui.gpkg"
    shutil.copyfile(demo_workspace_file, path)
    ws, done = live_in(Workspace(path))
    assert ws.has("edge_owners") and set(done) == {"camera_gaps", "report", "routes"}
    kinds = {r.kind for r in list_records(path, Principal("t", "admin"))}
    assert {"camera_gaps", "report", "routes"} <= kinds
    return path


@pytest.fixture(scope="module")
def base_url(lived: Path, assets_ready: Path) -> Iterator[str]:
    require_chromium()
    yield from serve(create_app(lived))


def test_every_page_shows_content_without_a_click(base_url: str, browser: Any) -> None:
    for page, rec in recorded_page(browser, expected_abort=lambda url: "/api/v1/" in url):
        page.goto(f"{base_url}/routes")
        wait_for(page, "() => document.querySelectorAll('#pn-units-table tbody tr').length > 0", timeout=30_000)
        page.goto(f"{base_url}/coverage")
        assert page.locator("#pn-split-summary tbody tr").count() >= 2 and page.locator("#pn-no-split").count() == 0
        page.goto(f"{base_url}/cameras")
        wait_for(page, "() => document.querySelectorAll('#pn-gaps-table tbody tr').length > 0", timeout=30_000)
        page.goto(f"{base_url}/reports")
        wait_for(page, "() => document.getElementById('pn-report-latest') !== null", timeout=30_000)
        rec.check()
