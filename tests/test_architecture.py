"""The house rules: floors import downwards only, no import cycle, rooms of a readable size.

The floors are declared once, in ``.importlinter`` (import-linter's layers contract); grimp's import graph
counts function-level and ``TYPE_CHECKING`` imports too, so a cycle cannot hide behind either.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

import grimp
import networkx as nx

ROOT = Path(__file__).resolve().parents[1]
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 120


def import_cycles(package: str) -> list[list[str]]:
    """Every set of modules of ``package`` that import each other in a cycle (any kind of import)."""
    graph = grimp.build_graph(package, cache_dir=None)
    g = nx.DiGraph()
    for module in graph.modules:
        g.add_node(module)
        for imported in graph.find_modules_directly_imported_by(module):
            g.add_edge(module, imported)
    return [sorted(c) for c in nx.strongly_connected_components(g) if len(c) > 1]


def test_lower_floors_never_import_higher_ones() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:]


def test_no_import_cycle() -> None:
    assert import_cycles("sim") == []


def test_a_cycle_through_a_function_level_or_type_only_import_is_found(tmp_path, monkeypatch) -> None:
    pkg = tmp_path / "house"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "low.py").write_text(
        textwrap.dedent("""
        from typing import TYPE_CHECKING
        if TYPE_CHECKING:
            from house.high import High
        """)
    )
    (pkg / "high.py").write_text("def f():\n    from house import low\n    return low\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert import_cycles("house") == [["house.high", "house.low"]]


def _sizes() -> list[str]:
    too_big = []
    for path in sorted((ROOT / "sim").rglob("*.py")):
        src = path.read_text()
        rel = path.relative_to(ROOT)
        if src.count("\n") > MAX_MODULE_LINES:
            too_big.append(f"{rel}: {src.count(chr(10))} lines")
        for node in ast.walk(ast.parse(src)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                n = node.end_lineno - node.lineno + 1
                if n > MAX_FUNCTION_LINES:
                    too_big.append(f"{rel}:{node.lineno} {node.name}(): {n} lines")
    return too_big


def test_modules_and_functions_are_short_enough_to_read() -> None:
    assert _sizes() == []
