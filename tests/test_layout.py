"""The engine's import graph flows one way (docs/architecture.md) and has no cycles.

Every import in ``models``, ``optimiser``, ``api`` and ``bench`` is read from the source
(module-level and inside functions alike: a lazy back-import is still a back-import). Layers,
lowest first:

  models → optimiser.programme → optimiser.objectives / optimiser.results
  → optimiser.deliverability → optimiser.sweep → optimiser.runs
  → optimiser.report / optimiser.nhs → optimiser.execution → optimiser.batch
  → optimiser.cli → api → bench (anything not listed)

A module may import its own layer or a lower one, never a higher one; the module graph has
no cycle; and only ``optimiser.programme`` imports ``highspy``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("models", "optimiser", "api", "bench")
LAYERS: tuple[tuple[str, ...], ...] = (
    ("models",),
    ("optimiser.io", "optimiser.units"),
    ("optimiser.programme",),
    ("optimiser.objectives", "optimiser.results"),
    ("optimiser.deliverability",),
    ("optimiser.sweep",),
    ("optimiser.runs",),
    ("optimiser.report", "optimiser.nhs"),
    ("optimiser.execution",),
    ("optimiser.batch",),
    ("optimiser.cli",),
    ("api",),
)
TOP = len(LAYERS)  # anything not listed: bench, the benchmarks
# The `optimiser` package itself: an empty __init__.py (batch reads its __path__ for the code's hash).
BOTTOM = {"optimiser"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def all_modules() -> dict[str, Path]:
    return {
        module_name(path): path
        for package in PACKAGES
        for path in sorted((REPO / package).rglob("*.py"))
        if "migrations" not in path.parts
    }


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """Modules (of ``known``, plus third-party top-level names) that ``path`` imports anywhere."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                # ``from package import module`` imports the submodule, not the package.
                found.add(f"{target}.{alias.name}" if f"{target}.{alias.name}" in known else target)
    return found


def layer(name: str) -> int:
    if name in BOTTOM:
        return 0
    for rank, prefixes in enumerate(LAYERS):
        if any(name == prefix or name.startswith(prefix + ".") for prefix in prefixes):
            return rank
    return TOP


def graph() -> dict[str, set[str]]:
    modules = all_modules()
    known = set(modules)
    return {name: imports_of(name, path, known) for name, path in modules.items()}


def back_imports(edges: dict[str, set[str]]) -> list[str]:
    known = set(edges)
    return sorted(
        f"{source} (layer {layer(source)}) imports {target} (layer {layer(target)})"
        for source, targets in edges.items()
        for target in targets
        if target in known and layer(target) > layer(source)
    )


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (or a self-import)."""
    known = set(edges)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in edges[node] & known:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in edges[node]:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_the_engine_modules_exist() -> None:
    modules = set(all_modules())
    for name in (
        "models.formulation",
        "models.standard_form",
        "optimiser.programme",
        "optimiser.objectives",
        "optimiser.results",
        "optimiser.deliverability.check",
        "optimiser.deliverability.conflict",
        "optimiser.deliverability.levers",
        "optimiser.deliverability.relaxation",
        "optimiser.deliverability.sensitivity",
        "optimiser.deliverability.wording",
        "optimiser.sweep",
        "optimiser.runs",
    ):
        assert name in modules, name
    assert not {"optimiser.jobs", "optimiser.explain", "optimiser.solver"} & modules


def test_imports_flow_one_way() -> None:
    assert back_imports(graph()) == []


def test_no_import_cycles() -> None:
    assert cycles(graph()) == []


def test_only_the_programme_imports_highspy() -> None:
    # bench/ is exempt: its baseline is HiGHS alone, reading the product's MPS without the product.
    users = sorted(
        name
        for name, targets in graph().items()
        if not name.startswith("bench.") and any(t.split(".")[0] == "highspy" for t in targets)
    )
    assert users == ["optimiser.programme"]


@pytest.mark.parametrize(
    ("source", "line"),
    [
        ("optimiser.programme", "from optimiser.runs import run_job"),
        ("models.formulation", "import optimiser.programme"),
        ("optimiser.deliverability.wording", "from optimiser.sweep import sweep"),
        ("optimiser.deliverability.conflict", "from ..runs import run_job"),
    ],
)
def test_a_back_import_is_caught(source: str, line: str) -> None:
    """The checks above can fail: one added back-import is reported (and, here, closes a cycle)."""
    edges = graph()
    path = all_modules()[source]
    tree_imports = imports_of(source, _with_line(path, line), set(edges))
    edges[source] = tree_imports
    assert back_imports(edges), line
    assert cycles(edges), line


@pytest.mark.parametrize(
    ("source", "line"),
    [
        ("optimiser.report.render", "from api.main import create_app"),
        ("optimiser.nhs.build", "from optimiser.cli import app"),
        ("optimiser.nhs.readers", "from optimiser.report.view import check_view"),  # its own layer: allowed
        ("optimiser.execution", "from optimiser.batch import run_batch"),
        ("optimiser.batch", "from optimiser.cli import app"),
        ("optimiser.cli", "from api.main import create_app"),
    ],
)
def test_a_back_import_among_the_entry_points_is_caught(source: str, line: str) -> None:
    """The top layers are ordered too: report or nhs importing the CLI or the service is reported."""
    edges = graph()
    edges[source] = imports_of(source, _with_line(all_modules()[source], line), set(edges))
    same_layer = layer(source) == layer(line.split()[1])
    assert bool(back_imports(edges)) is not same_layer, line


def _with_line(path: Path, line: str) -> Path:
    """A copy of ``path`` (same name, so relative imports resolve alike) with ``line`` appended inside a function."""
    import tempfile

    folder = Path(tempfile.mkdtemp())
    copy = folder / path.name
    copy.write_text(path.read_text(encoding="utf-8") + f"\n\ndef _added():\n    {line}\n", encoding="utf-8")
    return copy
