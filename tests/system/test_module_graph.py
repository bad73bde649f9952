"""The package's modules import each other in one direction only: lowest layer first.

Read from the source, not from `sys.modules`: an edge is an `import` or
`from ... import` at module level.  Imports under `if TYPE_CHECKING:` count too
(a low module that names a high module's class knows too much), except the one
listed in `TYPE_ONLY_UPWARDS` with its reason.  Imports inside functions are
lazy by design, to keep `import cognito_jwt` cheap, and are not edges.
"""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "cognito_jwt"

#: The core, lowest layer first: each may import only modules listed before it.
CORE_LAYERS = [
    "cognito_jwt.errors",
    "cognito_jwt._token",
    "cognito_jwt._events",
    "cognito_jwt._keys",
    "cognito_jwt._fetch",
    "cognito_jwt._jwks",
    "cognito_jwt._claim_types",
    "cognito_jwt._claims",
    "cognito_jwt._issuer_settings",
    "cognito_jwt._issuer",
    "cognito_jwt._token_cache",
    "cognito_jwt._verifier",
    "cognito_jwt._partitions",
    "cognito_jwt._cognito",
    "cognito_jwt._alb_keys",
    "cognito_jwt._alb",
]


#: Type-only imports allowed to point up a layer, each with its reason.
TYPE_ONLY_UPWARDS = {
    # `MultiIssuerVerifier(verifiers: Sequence[CognitoJwtVerifier | JwtVerifier])`
    # names the Cognito verifier, which is built on verifier.py's base class.
    ("cognito_jwt._verifier", "cognito_jwt._cognito"),
}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _module_level_imports(tree: ast.Module) -> list[tuple[ast.Import | ast.ImportFrom, bool]]:
    """Every module-level import, and whether it is for type checkers only."""
    found: list[tuple[ast.Import | ast.ImportFrom, bool]] = []
    pending: list[tuple[ast.stmt, bool]] = [(node, False) for node in tree.body]
    while pending:
        node, typing_only = pending.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append((node, typing_only))
        elif isinstance(node, ast.If):
            inner = typing_only or _is_type_checking(node)
            pending.extend((child, inner) for child in node.body)
            pending.extend((child, typing_only) for child in node.orelse)
        elif isinstance(node, ast.Try):
            for block in (node.body, node.orelse, node.finalbody, *(h.body for h in node.handlers)):
                pending.extend((child, typing_only) for child in block)
    return found


def imports_of(name: str, *, typing_only: bool = False) -> set[str]:
    """The package modules `name` imports at load time (or for type checkers only)."""
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    package = name if MODULES[name].name == "__init__.py" else name.rpartition(".")[0]
    edges: set[str] = set()
    for node, for_types in _module_level_imports(tree):
        if for_types != typing_only:
            continue
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


RUNTIME = {name: imports_of(name) for name in MODULES}
TYPE_ONLY = {name: imports_of(name, typing_only=True) for name in MODULES}
GRAPH = {
    name: RUNTIME[name] | {m for m in TYPE_ONLY[name] if (name, m) not in TYPE_ONLY_UPWARDS}
    for name in MODULES
}


def test_the_graph_is_read_from_the_real_modules() -> None:
    assert set(CORE_LAYERS) <= set(MODULES)
    assert "cognito_jwt._verifier" in GRAPH["cognito_jwt._cognito"]
    assert "cognito_jwt._issuer" in GRAPH["cognito_jwt._verifier"]
    assert "cognito_jwt._claims" in GRAPH["cognito_jwt._issuer"]  # `from cognito_jwt import claims`
    assert "cognito_jwt._issuer" in TYPE_ONLY["cognito_jwt._token_cache"]
    assert "cognito_jwt._cognito" not in RUNTIME["cognito_jwt._verifier"]
    assert "cognito_jwt._partitions" in GRAPH["cognito_jwt._cognito"]
    assert "cognito_jwt._events" in GRAPH["cognito_jwt._jwks"]
    assert "cognito_jwt._issuer" in GRAPH["cognito_jwt._alb"]  # the shared settings
    assert "cognito_jwt._verifier" not in GRAPH["cognito_jwt._alb"]


def test_every_allowed_upward_edge_is_type_only_and_still_needed() -> None:
    for low, high in TYPE_ONLY_UPWARDS:
        assert high in TYPE_ONLY[low], (low, high)
        assert high not in RUNTIME[low], (low, high)


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
