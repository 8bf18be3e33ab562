"""The printable sheets an officer can follow (issue 15): every unit's sheet prints on one or two
A4 pages (Chromium's print to PDF), its map on the named streets around the route, no "巡逻点N" and
no "无名道路" anywhere; the demo's whole shift (12 brigade cars, 47 grid teams)."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

from app.services.routes import routes_job
from app.storage.workspace import Workspace
from routing.export import patrol_sheets_html, sheet_streets
from routing.graph import graph_from_workspace
from tests.app._browser import ARGS, CHROMIUM, require_chromium


def _pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page[^s]", pdf))


def test_every_units_sheet_prints_on_at_most_two_pages(demo_workspace_file: Path, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    require_chromium()
    path = tmp_path / "yushui.gpkg"
    shutil.copyfile(demo_workspace_file, path)
    ws = Workspace(path)
    plans, written = routes_job(ws, shift="20:00-24:00", date=dt.date(2026, 11, 2), out=tmp_path / "out")
    sheets = next(p for p in written if p.suffix == ".html").read_text(encoding="utf-8")
    assert "巡逻点" not in sheets and "无名道路" not in sheets and sheets.count('class="sheet"') == len(plans) == 59
    streets = sheet_streets(graph_from_workspace(ws))
    counts: dict[str, int] = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = browser.new_page()
        for p in plans:
            page.set_content(patrol_sheets_html([p], streets=streets))
            counts[p.unit_id] = _pages(page.pdf(format="A4", print_background=True))
        one = plans[0]
        page.set_content(patrol_sheets_html([one], streets=streets))
        labels = page.eval_on_selector_all(".map svg text", "els => els.map(e => e.textContent)")
        browser.close()
    assert all(1 <= n <= 2 for n in counts.values()), {u: n for u, n in counts.items() if n > 2}
    # the map names the streets around the route, among them streets the route drives on
    named = [t for t in labels if not t.isdigit() and t not in ("北",) and "公里" not in t and "米" not in t]
    assert len(named) >= 3 and {n for n in one.road_names if n} & set(named)
