"""No module of ``statuspage`` or ``notifiers`` imports one that (directly or through others) imports it back.

A circle makes the import order matter, hides which module owns a helper, and breaks at start-up when someone
moves a line. The graph is read from the source with ``ast`` (imports inside functions count too):
``from . import x`` is an import of module ``x`` when ``x`` is a submodule, else of the package's ``__init__``.
A submodule importing its own package's ``__init__`` (for ``bp`` and the like) is not counted: the package
importing its submodules so their routes register is the Flask pattern, not a circle.
"""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("statuspage", "notifiers")

# Circles allowed, each through exactly one import (importer, imported), with the reason; none today. The test
# fails on any other circle and on an entry that no longer exists.
KNOWN_CYCLES: dict[tuple[str, str], str] = {}


def module_files() -> dict[str, Path]:
    modules = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    return modules


def import_graph(modules: dict[str, Path]) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            targets = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                    source = ".".join(base + ([node.module] if node.module else []))
                else:
                    source = node.module or ""
                targets = [f"{source}.{alias.name}" if f"{source}.{alias.name}" in modules else source
                           for alias in node.names]
            for target in targets:
                while target and target not in modules:  # ``import a.b.c`` of a name inside a module
                    target = target.rpartition(".")[0]
                own_package = target == name.rpartition(".")[0] and path.name != "__init__.py"
                if target and target != name and not own_package:
                    graph[name].add(target)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One circle as [a, b, ..., a], or None (depth-first search, grey/black marking)."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start)):
            return found
    return None


def test_the_cycle_finder_finds_a_circle_and_accepts_a_chain():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_relative_imports_resolve_to_submodules_or_the_package():
    graph = import_graph(module_files())
    admin = "statuspage.web.admin"
    assert f"{admin}.incident_pages" in graph[f"{admin}.maintenance"]
    assert f"{admin}.incidents" in graph[admin]  # the package registers its submodules' routes
    assert admin not in graph[f"{admin}.incidents"]  # ``from . import bp`` is not counted


def test_no_module_imports_one_that_imports_it_back():
    graph = import_graph(module_files())
    stale = [edge for edge in KNOWN_CYCLES if edge[1] not in graph.get(edge[0], ())]
    assert not stale, f"KNOWN_CYCLES lists imports that are gone; remove them: {stale}"
    for importer, imported in KNOWN_CYCLES:
        graph[importer].discard(imported)
    cycle = find_cycle(graph)
    assert cycle is None, "import circle: " + " -> ".join(cycle)
