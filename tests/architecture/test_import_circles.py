"""No import circles between the packages (issue 17).

The import graph is computed statically (ast, every ``import`` in a module, also inside functions and under
``TYPE_CHECKING``) between *units*: each sub-package or top-level module of ``gateway`` (``gateway.web``,
``gateway.cli``, ``gateway.components``, …), each adapter (``adapters.esis``, …), and ``verification``,
``partner_kit``, ``schemas``. A circle between units means neither can be understood, tested or replaced alone.

There is no circle, and the test fails on any. (The last ones, paid in issue 17: the commands under
`gateway.web`, `gateway.registry` and `adapters.osr` took their helpers from `gateway.cli` — now
`gateway.runtime`; the demo started its site through `gateway.cli.serve` — now `gateway.listen`; and
`gateway.registry` imported `adapters.osr` for ``koppelcheck --live`` — now the OSR adapter plugs its opener in.)
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TOP = ("gateway", "adapters", "verification", "partner_kit", "schemas")


def unit_of(module: str) -> str:
    parts = module.split(".")
    if parts[0] in ("gateway", "adapters") and len(parts) > 1:
        return ".".join(parts[:2])
    return parts[0]


def module_name(path: Path) -> tuple[str, bool]:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    is_package = parts[-1] == "__init__"
    if is_package:
        parts = parts[:-1]
    return ".".join(parts), is_package


def imported_modules(path: Path) -> list[tuple[str, int]]:
    module, is_package = module_name(path)
    found: list[tuple[str, int]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.extend((alias.name, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                found.append((".".join([*base, *([node.module] if node.module else [])]), node.lineno))
            elif node.module:
                found.append((node.module, node.lineno))
    return found


def unit_graph() -> dict[str, dict[str, list[str]]]:
    """unit → imported unit → where (``path:line``), for the imports between different units."""
    graph: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for top in TOP:
        for path in sorted((ROOT / top).rglob("*.py")):
            if "migrations/versions" in path.as_posix():
                continue
            src = unit_of(module_name(path)[0])
            for target, line in imported_modules(path):
                if target.split(".")[0] in TOP and (dst := unit_of(target)) != src:
                    graph[src][dst].append(f"{path.relative_to(ROOT)}:{line}")
    return graph


def circles(graph: dict[str, dict[str, list[str]]]) -> set[frozenset[str]]:
    """The strongly connected components with more than one unit (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: set[frozenset[str]] = set()

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, {}):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                found.add(frozenset(component))

    for v in list(graph):
        if v not in index:
            visit(v)
    return found


def describe(graph: dict[str, dict[str, list[str]]], circle: frozenset[str]) -> str:
    lines = [f"circle {sorted(circle)}:"]
    for a in sorted(circle):
        for b, where in sorted(graph[a].items()):
            if b in circle:
                lines.append(f"  {a} -> {b}  ({', '.join(where[:3])})")
    return "\n".join(lines)


def test_no_import_circle_between_packages() -> None:
    graph = unit_graph()
    found = circles(graph)
    assert not found, "import circle(s) between packages:\n" + "\n".join(describe(graph, c) for c in found)


def test_the_commands_outside_the_cli_package_do_not_import_it() -> None:
    # the helpers they share live below them (gateway.runtime, gateway.listen): gateway.cli is a composition
    # root that imports them, never the other way round
    graph = unit_graph()
    users = sorted(u for u, targets in graph.items() if "gateway.cli" in targets and u != "gateway.__main__")
    assert users == [], f"imports of gateway.cli from {users}: {[graph[u]['gateway.cli'] for u in users]}"


def test_the_graph_sees_a_known_import() -> None:
    # guards the scanner itself: the composition root imports the web package
    assert "gateway.web" in unit_graph()["gateway.app"]


def test_a_circle_is_found_in_a_small_graph() -> None:
    graph = {"a": {"b": ["x"]}, "b": {"c": ["y"]}, "c": {"a": ["z"]}, "d": {"a": ["w"]}}
    assert circles(graph) == {frozenset({"a", "b", "c"})}
