"""A web worker makes what the pages ask for first before it takes requests (``app.web.warmup``):
after start-up, the dashboard and the map requests of every scope with users make nothing new."""

from __future__ import annotations

import math
import shutil
from pathlib import Path
from typing import Any

import pytest

from app.storage.workspace import Workspace
from app.web import create_app
from app.web.pages import MAP_REQUESTS
from app.web.warmup import view_steps
from tests.app._auth import ensure_users
from tests.app._fixtures import client_class


def test_view_steps_cover_every_zoom_of_the_map() -> None:
    # one pixel at latitude 27.8 is 34.6 m at zoom 12, 0.54 m at zoom 18 (kept within 0.5-20 m)
    assert view_steps(1, 27.8) == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0]
    assert view_steps(0.5, 27.8) == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0]  # half a pixel: 17.3 m to 0.5 m
    assert view_steps(0, 27.8) == [0.0]


def _made(app: Any) -> set[tuple[Any, ...]]:
    return {k[1:] for k in app.state.patrolnet.data._data if k and len(k) > 1}  # noqa: SLF001 - the cache's keys


def _dashboard_requests(c: Any, ws: Workspace, station: str | None) -> None:
    """What dashboard.js asks for: the page, the outlines, each view's one-feature count and the view
    at the zoom of the whole area (its simplification as the script computes it)."""
    stations = ws.read("stations").to_crs("EPSG:4326")
    area = stations[stations["station_id"] == station] if station else stations
    w, s, e, n = area.total_bounds
    lat = (s + n) / 2
    assert c.get("/").status_code == 200
    for name, query in MAP_REQUESTS["outlines"].items():
        assert c.get(f"/api/v1/layers/{name}", params=query).status_code == 200
    pad_w, pad_h = (e - w) / 4, (n - s) / 4  # the first view: the user's area and a quarter around it
    bbox = f"{w - pad_w:.5f},{s - pad_h:.5f},{e + pad_w:.5f},{n + pad_h:.5f}"
    lo, hi = MAP_REQUESTS["simplify_m_range"]
    for name, view in MAP_REQUESTS["views"].items():
        params: dict[str, Any] = {"bbox": bbox, "properties": view["properties"]}
        if view["simplify"]:
            m = view["simplify"] * 156543.03392804097 * math.cos(math.radians(lat)) / 2**13
            params["simplify_m"] = f"{min(hi, max(lo, m)):.1f}"
        assert c.get(f"/api/v1/layers/{name}", params={**params, "limit": 1}).status_code == 200
        r = c.get(f"/api/v1/layers/{name}", params=params)
        assert r.status_code == 200 and r.json()["numberReturned"] > 1, name


@pytest.mark.parametrize(("role", "station"), [("commander", None), ("station", "S01")])
def test_after_start_up_the_dashboard_makes_nothing_new(demo_workspace_file: Path, tmp_path: Path,
                                                        assets_ready: Path, role: str, station: str | None) -> None:
    path = tmp_path / "yushui.gpkg"
    shutil.copyfile(demo_workspace_file, path)
    ensure_users(path)
    app = create_app(path, warm_lang="zh-CN")
    with client_class(role)(app) as c:  # the lifespan (start-up) runs here
        warmed = _made(app)
        pages = list(app.state.patrolnet.maps._data)  # noqa: SLF001 - the rendered pages' keys
        assert len(pages) == 4, pages  # the dashboards of the district, the analysts, stations S01 and S02
        assert {k[0] for k in warmed if k and k[0] in ("layer-heads", "layer-values")} == {"layer-heads", "layer-values"}
        _dashboard_requests(c, Workspace(path), station)
        new = {k for k in _made(app) - warmed if k and k[0] in ("layer-heads", "layer-values", "layer-frame")}
        assert not new, sorted(map(str, new))


def test_without_warm_up_the_same_requests_make_the_layers(demo_workspace_file: Path, tmp_path: Path,
                                                           assets_ready: Path) -> None:
    """The check above can fail: without the warm-up, the dashboard's requests make them."""
    path = tmp_path / "yushui.gpkg"
    shutil.copyfile(demo_workspace_file, path)
    ensure_users(path)
    app = create_app(path)
    with client_class("commander")(app) as c:
        before = _made(app)
        _dashboard_requests(c, Workspace(path), None)
        assert {k[0] for k in _made(app) - before if k} >= {"layer-heads", "layer-values"}
