"""The layout's promises, checked on the source: no import cycle among wzmodel's modules (imports
inside functions count too) and argparse only under ``wzmodel/cli/``."""

from __future__ import annotations

import ast
from pathlib import Path

import wzmodel

PACKAGE = Path(wzmodel.__file__).parent


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports(name: str) -> set[str]:
    """Every module of ours that ``name`` imports when it runs, anywhere in its body, functions
    included (the most specific module named: ``from wzmodel.planner import evaluate`` is
    ``wzmodel.planner.evaluate``)."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base)
    return {m for m in found if m in MODULES and m != name}


def _runtime_nodes(tree: ast.AST):
    """Every node that runs: the bodies of ``if TYPE_CHECKING:`` blocks are left out."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            stack.extend(node.orelse)
            continue
        stack.extend(ast.iter_child_nodes(node))


def test_no_import_cycles():
    graph = {name: imports(name) for name in MODULES}
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append([*path[path.index(nxt):], nxt])
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert cycles == [], "\n".join(" -> ".join(c) for c in cycles)


def test_argparse_only_in_the_cli():
    users = sorted(name for name, path in MODULES.items()
                   if "argparse" in {alias.name for node in ast.walk(ast.parse(path.read_text(
                       encoding="utf-8"))) if isinstance(node, ast.Import) for alias in node.names}
                   and not name.startswith("wzmodel.cli"))
    assert users == []
