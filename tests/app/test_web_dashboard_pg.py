"""The dashboard of a workspace in PostgreSQL is the GeoPackage's: the same figures, the same map
set-up, for the district and for a station (the shared whole layers of figures.scope_view work over
either backend). A throwaway PostgreSQL cluster (tests/pg.py)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from app.services.workspace_copy import copy_workspace
from app.web import create_app
from tests.app._auth import ensure_users, token_for
from tests.app._fixtures import plain_client_class
from tests.app.test_web_dashboard import config_of
from tests.pg import pg_url  # noqa: F401 - the fixture


@pytest.fixture(scope="module")
def backends(demo_workspace_file: Path, pg_url: str, assets_ready: Path,  # noqa: F811
             tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    path = tmp_path_factory.mktemp("dash-pg") / "yushui.gpkg"
    shutil.copyfile(demo_workspace_file, path)
    ensure_users(path)
    url = f"{pg_url}?schema=dashboard_demo"
    copy_workspace(path, url)
    return {"gpkg": create_app(path), "pg": create_app(url, outputs_dir=tmp_path_factory.mktemp("dash-pg-out"))}


def _figures_html(html: str) -> str:
    """The page's figures (cards, chart, ranking, models) without its config and nav."""
    return re.sub(r'<script id="pn-config".*?</script>', "", html.split('<main class="pn-map">')[0], flags=re.DOTALL)


@pytest.mark.parametrize("role", ["commander", "station"])
def test_the_same_dashboard_from_either_backend(backends: dict[str, Any], role: str) -> None:
    pages = {}
    for name, app in backends.items():
        with plain_client_class()(app) as c:
            c.headers.update({"Authorization": f"Bearer {token_for(role)}"})
            r = c.get("/")
            assert r.status_code == 200, (name, r.text[:300])
            pages[name] = r.text
    a, b = (config_of(pages[k]) for k in ("gpkg", "pg"))
    for key in ("extent", "layers"):
        assert a[key] == b[key], key
    for key in ("sites", "heat_window", "budget", "labels"):
        assert a["map"][key] == b["map"][key], key
    assert _figures_html(pages["gpkg"]).replace("yushui", "dashboard_demo") == \
        _figures_html(pages["pg"]).replace("yushui", "dashboard_demo")
    if role == "station":
        assert [s["station_id"] for s in b["map"]["sites"]] == ["S01"]
