"""The package's modules import each other in one direction only: lowest layer first.

Read from the source, not from `sys.modules`: an edge is an `import` or
`from ... import` at module level, including those under `if TYPE_CHECKING:`
(a type-only import is still a dependency: a low module that names a high
module's class knows too much).  Imports inside functions are lazy by design,
to keep `import cognito_jwt` cheap, and are not edges.
"""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "cognito_jwt"

#: The core, lowest layer first: each may import only modules listed before it.
CORE_LAYERS = [
    "cognito_jwt.errors",
    "cognito_jwt.token",
    "cognito_jwt.keys",
    "cognito_jwt.fetch",
    "cognito_jwt.jwks",
    "cognito_jwt.claims",
    "cognito_jwt._issuer",
    "cognito_jwt._token_cache",
    "cognito_jwt.verifier",
    "cognito_jwt._cognito",
]


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _module_level_imports(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    found: list[ast.Import | ast.ImportFrom] = []
    pending: list[ast.stmt] = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append(node)
        elif isinstance(node, ast.If):
            pending.extend(node.body + node.orelse)
        elif isinstance(node, ast.Try):
            pending.extend(node.body + node.orelse + node.finalbody)
            for handler in node.handlers:
                pending.extend(handler.body)
    return found


def imports_of(name: str) -> set[str]:
    """The package modules `name` imports when it is loaded."""
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    package = name if MODULES[name].name == "__init__.py" else name.rpartition(".")[0]
    edges: set[str] = set()
    for node in _module_level_imports(tree):
        if isinstance(node, ast.Import):
            edges.update(alias.name for alias in node.names if alias.name in MODULES)
            continue
        base = node.module or ""
        if node.level:
            anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
            base = f"{anchor}.{base}" if base else anchor
        for alias in node.names:
            submodule = f"{base}.{alias.name}"
            if submodule in MODULES:  # `from cognito_jwt import claims`
                edges.add(submodule)
            elif base in MODULES:
                edges.add(base)
    edges.discard(name)
    return edges


GRAPH = {name: imports_of(name) for name in MODULES}


def test_the_graph_is_read_from_the_real_modules() -> None:
    assert set(CORE_LAYERS) <= set(MODULES)
    assert "cognito_jwt.verifier" in GRAPH["cognito_jwt._cognito"]
    assert "cognito_jwt._issuer" in GRAPH["cognito_jwt.verifier"]
    assert "cognito_jwt.claims" in GRAPH["cognito_jwt._issuer"]  # `from cognito_jwt import claims`


def test_module_imports_form_a_dag() -> None:
    try:
        order = list(TopologicalSorter(GRAPH).static_order())
    except CycleError as exc:
        pytest.fail(f"import cycle: {' -> '.join(exc.args[1])}")
    assert set(order) == set(MODULES)


@pytest.mark.parametrize("name", CORE_LAYERS)
def test_core_modules_import_only_lower_layers(name: str) -> None:
    lower = set(CORE_LAYERS[: CORE_LAYERS.index(name)])
    core_imports = GRAPH[name] & set(CORE_LAYERS)
    assert core_imports <= lower, f"{name} imports {sorted(core_imports - lower)} from above"


def test_the_core_imports_nothing_outside_the_core() -> None:
    allowed = {*CORE_LAYERS, "cognito_jwt", "cognito_jwt._version"}
    for name in CORE_LAYERS:
        assert GRAPH[name] <= allowed, (name, sorted(GRAPH[name] - allowed))
