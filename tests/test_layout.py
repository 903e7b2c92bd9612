"""The layout of app/ holds (issue 13): a package imports the root and the packages it builds
on, never one that builds on it, and no module imports one that imports it back (imports
inside functions included)."""
from __future__ import annotations

import ast
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "app"
# What each package builds on: operations (the deployment's plumbing: log, queue, health)
# ← accounts ← registry ← applications ← certificates, service ← reporting.
BUILDS_ON = {
    "operations": set(),
    "accounts": {"operations"},
    "registry": {"operations", "accounts"},
    "applications": {"operations", "accounts", "registry"},
    "certificates": {"operations", "accounts", "registry", "applications"},
    "service": {"operations", "accounts", "registry", "applications"},
    "reporting": {"operations", "accounts", "registry", "applications", "certificates", "service"},
}
# The root modules that put the app together, and may therefore import every package.
ASSEMBLERS = {"app", "app.views", "app.commands", "app.demo"}


def _name(path: Path) -> str:
    parts = path.relative_to(APP.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_name(p): p for p in APP.rglob("*.py")}


def _imports(name: str) -> set[str]:
    """The app modules `name` imports, wherever in the file."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = package.split(".")
            base = base[:len(base) - node.level + 1] if node.level else []
            target = ".".join([*base, *(node.module.split(".") if node.module else [])])
            for alias in node.names:
                candidate = f"{target}.{alias.name}"
                found.add(candidate if candidate in MODULES else target)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {f for f in found if f in MODULES and f != name}


GRAPH = {name: _imports(name) for name in MODULES}


def _package(name: str) -> str | None:
    parts = name.split(".")
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and parts[1] in BUILDS_ON) else None


def test_packages_import_only_the_root_and_what_they_build_on():
    wrong = []
    for name, imported in GRAPH.items():
        package = _package(name)
        for target in imported:
            target_package = _package(target)
            if target_package is None or target_package == package:
                continue
            if package is None and name not in ASSEMBLERS:
                wrong.append(f"root module {name} imports {target}")
            elif package is not None and target_package not in BUILDS_ON[package]:
                wrong.append(f"{name} imports {target}")
    assert wrong == []


def test_no_module_imports_one_that_imports_it_back():
    """No cycle at all in the import graph (Tarjan's strongly connected components)."""
    index, low, stack, on_stack, cycles, counter = {}, {}, [], set(), [], [0]

    def visit(node):
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target in GRAPH[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in GRAPH:
        if node not in index:
            visit(node)
    assert cycles == []


def test_the_root_holds_the_declarations_and_the_shared_base_only():
    root = {name for name in MODULES if _package(name) is None}
    assert {"app.models", "app.workflow", "app.security", "app.views"} <= root
    assert len(root) <= 21, sorted(root)  # a new module belongs in a package
