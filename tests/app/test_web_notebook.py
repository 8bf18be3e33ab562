"""notebooks/walkthrough.ipynb runs from top to bottom.

``nbclient`` is not a dependency, so the code cells are executed in order in one namespace, as a
kernel would (the last expression of a cell is evaluated like a displayed result).
"""

from __future__ import annotations

import ast
import json
import os
from pathlib import Path
from typing import Any

import pytest

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "walkthrough.ipynb"


def _run_cell(source: str, ns: dict[str, Any]) -> Any:
    tree = ast.parse(source)
    last = None
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        last = ast.Expression(tree.body.pop().value)
    exec(compile(tree, "<cell>", "exec"), ns)
    return eval(compile(last, "<cell>", "eval"), ns) if last is not None else None


def test_walkthrough_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    assert nb["nbformat"] == 4
    cells = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert len(cells) >= 7
    assert all(not c["outputs"] for c in cells), "commit the notebook without outputs"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    ns: dict[str, Any] = {"__name__": "__main__"}
    shown = [_run_cell("".join(c["source"]), ns) for c in cells]
    ws = ns["ws"]
    layers = set(ws.layers())
    assert {"subzones", "beats", "edge_owners", "grid_team_areas", "hotspot_subzones",
            "forecast_subzones"} <= layers
    assert ws.path.is_relative_to(tmp_path)
    assert len(ns["plans"]) > 0 and all(p.suffix for p in ns["route_files"])
    assert ns["report"].headline()["measure"].tolist()[0] == "criminal"
    assert shown[-2] is not None and len(shown[-2]) == 3  # the three headline figures
    assert ns["report_files"]["html"].is_file()
    assert os.listdir(tmp_path)
