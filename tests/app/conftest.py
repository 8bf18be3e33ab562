"""Fixtures for the web app tests (data built by tests/app/_fixtures.py, kept isolated)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.assets import assets_dir, check_assets
from tests.app._fixtures import build_workspace, client_class, make_mbtiles


@pytest.fixture(scope="session")
def workspace_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ws") / "yushui_test.gpkg"
    build_workspace(path)
    return path


@pytest.fixture(scope="session")
def mbtiles_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_mbtiles(tmp_path_factory.mktemp("tiles") / "base.mbtiles")


@pytest.fixture(scope="session")
def assets_ready() -> Path:
    """The installed npm assets; the web tests need them (``make assets``)."""
    return check_assets(assets_dir())


@pytest.fixture(scope="session")
def app(workspace_path: Path, assets_ready: Path) -> Any:
    from app.web import create_app

    return create_app(workspace_path)


@pytest.fixture()
def ws_copy(tmp_path: Path, workspace_path: Path) -> Path:
    """A private copy of the test workspace, for a test that writes it."""
    path = tmp_path / "ws.gpkg"
    shutil.copyfile(workspace_path, path)
    return path


@pytest.fixture()
def client(app: Any) -> Iterator[Any]:
    with client_class()(app) as c:
        yield c


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """A headless chromium for a test module (``tests/app/_browser.py``)."""
    from tests.app._browser import launch

    yield from launch()
