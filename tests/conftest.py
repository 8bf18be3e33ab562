"""Shared fixtures: the demo district, built once per test process."""

from __future__ import annotations

import datetime as dt

import pytest

DEMO_AS_OF = dt.date(2026, 10, 31)


@pytest.fixture(scope="session")
def demo_district():
    """The demo district (seed 1979, data to 2026-10-31, scale 1), as layers in memory."""
    from geo.demo import build_demo

    return build_demo(seed=1979, as_of=DEMO_AS_OF, scale=1.0)


@pytest.fixture(scope="session")
def demo_workspace_file(demo_district, tmp_path_factory):
    """The demo district written as a workspace; tests that change it must work on a copy."""
    from app.storage.workspace import create_workspace

    path = tmp_path_factory.mktemp("demo") / "yushui.gpkg"
    create_workspace(path, demo_district.layers, crs=demo_district.crs, meta=demo_district.meta,
                     sources=demo_district.sources)
    return path


@pytest.fixture
def demo_workspace(demo_workspace_file, tmp_path):
    """A private copy of the demo workspace (a test may write to it)."""
    import shutil

    from app.storage.workspace import Workspace

    copy = tmp_path / "yushui.gpkg"
    shutil.copyfile(demo_workspace_file, copy)
    return Workspace(copy)
