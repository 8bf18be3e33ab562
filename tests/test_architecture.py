"""The house rules, checked on the source: layers point down and nothing imports in a circle.

Counted like ``../shared/tools/import_graph.py`` counts them: every import of the project's own
modules, at the top of a module or inside a function. Layers, from the top:

* ``app.cli``, ``app.web``  the shells (parse, call a service, present; the CLI may start the web)
* ``app.services``          one module per use case, holding its rules once
* ``app`` (the rest)        presentation shared by the shells (i18n, maps, report rendering)
* ``app.storage``           where things are kept (workspace, backups, users, audit)
* ``routing``               planning on graphs
* ``geo``                   geography, pure
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("app", "geo", "routing")
MAX_LINES = 1000


def _modules() -> dict[str, Path]:
    mods = {}
    for pkg in PACKAGES:
        for path in sorted((ROOT / pkg).rglob("*.py")):
            rel = path.relative_to(ROOT).with_suffix("")
            parts = list(rel.parts)
            if parts[-1] == "__init__":
                parts.pop()
            mods[".".join(parts)] = path
    return mods


def _graph() -> nx.DiGraph:
    mods = _modules()

    def resolve(name: str) -> str | None:
        while name and name not in mods:
            name = name.rpartition(".")[0]
        return name or None

    g = nx.DiGraph()
    g.add_nodes_from(mods)
    for mod, path in mods.items():
        pkg = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    b = pkg
                    for _ in range(node.level - 1):
                        b = b.rpartition(".")[0]
                    base = f"{b}.{base}" if base else b
                targets = [base, *(f"{base}.{a.name}" for a in node.names)]
            else:
                continue
            for t in targets:
                r = resolve(t)
                if r and r != mod:
                    g.add_edge(mod, r)
    return g


def _layer(mod: str) -> int:
    if mod.startswith(("app.cli", "app.web")) or mod == "app":
        return 5
    if mod.startswith("app.services"):
        return 4
    if mod.startswith("app.storage"):
        return 2
    if mod.startswith("app"):
        return 3
    if mod.startswith("routing"):
        return 1
    return 0


def test_no_import_cycle():
    cycles = [sorted(c) for c in nx.strongly_connected_components(_graph()) if len(c) > 1]
    assert cycles == []


def test_layers_point_down():
    g = _graph()
    upward = sorted(f"{a} -> {b}" for a, b in g.edges if _layer(b) > _layer(a))
    assert upward == []


def test_the_web_does_not_import_the_cli():
    g = _graph()
    assert sorted(f"{a} -> {b}" for a, b in g.edges if a.startswith("app.web") and b.startswith("app.cli")) == []


@pytest.mark.parametrize("pkg", PACKAGES)
def test_no_source_file_over_1000_lines(pkg):
    long = {str(p.relative_to(ROOT)): n for p in (ROOT / pkg).rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}
