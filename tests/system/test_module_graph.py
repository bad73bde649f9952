"""The package's modules import each other in one direction only: lowest layer first.

Read from the source, not from `sys.modules`.  Every import is an edge, wherever
it sits: at module level, under `if TYPE_CHECKING:` (a low module that names a
high module's class knows too much) and inside a function (an import made lazy
to keep `import cognito_jwt` cheap is still a dependency, and a circle through
one is still a circle).
"""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path
from typing import Literal

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "cognito_jwt"

#: The core, lowest layer first: each may import only modules listed before it.
CORE_LAYERS = [
    "cognito_jwt.errors",
    "cognito_jwt._token",
    "cognito_jwt._reports",
    "cognito_jwt._signature",
    "cognito_jwt._revocation",
    "cognito_jwt._keys",
    "cognito_jwt._fetch",
    "cognito_jwt._key_source",
    "cognito_jwt._fetch_budget",
    "cognito_jwt._jwks_document",
    "cognito_jwt._jwks_refresh",
    "cognito_jwt._jwks_entry",
    "cognito_jwt._jwks_fetching",
    "cognito_jwt._jwks",
    "cognito_jwt._discovery",
    "cognito_jwt._claim_types",
    "cognito_jwt._claims",
    "cognito_jwt._typed_claims",
    "cognito_jwt._step_up",
    "cognito_jwt._issuer_settings",
    "cognito_jwt._issuer",
    "cognito_jwt._token_cache",
    "cognito_jwt._verifier",
    "cognito_jwt._jwt_verifier",
    "cognito_jwt._partitions",
    "cognito_jwt._cognito",
    "cognito_jwt._multi_issuer",
    "cognito_jwt._identity_pool",
    "cognito_jwt._alb_keys",
    "cognito_jwt._alb_rules",
    "cognito_jwt._alb",
]

#: The framework-free HTTP answer over the core, lowest first: `http` is its public face.
HTTP_LAYERS = [
    "cognito_jwt._requirement",
    "cognito_jwt._http_answer",
    "cognito_jwt._http_headers",
    "cognito_jwt.http",
]


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


#: How an import is made: at load time, for type checkers only, or inside a function.
Kind = Literal["runtime", "type-only", "lazy"]
RUNTIME_KIND: Kind = "runtime"
TYPE_ONLY_KIND: Kind = "type-only"
LAZY_KIND: Kind = "lazy"


def _imports(tree: ast.Module) -> list[tuple[ast.Import | ast.ImportFrom, Kind]]:
    """Every import in the module, anywhere, with how it is made."""
    found: list[tuple[ast.Import | ast.ImportFrom, Kind]] = []
    pending: list[tuple[ast.AST, Kind]] = [(node, RUNTIME_KIND) for node in tree.body]
    while pending:
        node, kind = pending.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append((node, kind))
            continue
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            kind = LAZY_KIND if kind == RUNTIME_KIND else kind
        if isinstance(node, ast.If) and _is_type_checking(node):
            pending.extend((child, TYPE_ONLY_KIND) for child in node.body)
            pending.extend((child, kind) for child in node.orelse)
            continue
        pending.extend((child, kind) for child in ast.iter_child_nodes(node))
    return found


def imports_of(name: str, kind: Kind) -> set[str]:
    """The package modules `name` imports in the way `kind` says."""
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    package = name if MODULES[name].name == "__init__.py" else name.rpartition(".")[0]
    edges: set[str] = set()
    for node, how in _imports(tree):
        if how != kind:
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
            if submodule in MODULES:  # `from cognito_jwt import _claims`
                edges.add(submodule)
            elif base in MODULES:
                edges.add(base)
    edges.discard(name)
    return edges


RUNTIME = {name: imports_of(name, RUNTIME_KIND) for name in MODULES}
TYPE_ONLY = {name: imports_of(name, TYPE_ONLY_KIND) for name in MODULES}
LAZY = {name: imports_of(name, LAZY_KIND) for name in MODULES}
#: Every edge: a circle through a type-only or a lazy import is a circle.
GRAPH = {name: RUNTIME[name] | TYPE_ONLY[name] | LAZY[name] for name in MODULES}


def test_the_graph_is_read_from_the_real_modules() -> None:
    assert set(CORE_LAYERS) <= set(MODULES)
    assert set(HTTP_LAYERS) <= set(MODULES)
    assert "cognito_jwt._verifier" in RUNTIME["cognito_jwt._cognito"]
    assert "cognito_jwt._issuer" in RUNTIME["cognito_jwt._verifier"]
    assert (
        "cognito_jwt._claims" in RUNTIME["cognito_jwt._issuer"]
    )  # `from cognito_jwt import _claims`
    assert "cognito_jwt._issuer" in TYPE_ONLY["cognito_jwt._token_cache"]
    assert "cognito_jwt._token" in LAZY["cognito_jwt._reports"]  # inside `routing_of`
    assert "cognito_jwt" in LAZY["cognito_jwt.integrations._common"]  # verifier_from_settings
    assert "cognito_jwt._partitions" in GRAPH["cognito_jwt._cognito"]
    assert "cognito_jwt._reports" in GRAPH["cognito_jwt._jwks"]
    assert "cognito_jwt._issuer" in GRAPH["cognito_jwt._alb"]  # the shared settings
    assert "cognito_jwt._verifier" in GRAPH["cognito_jwt._alb"]  # the shared request path


def test_the_verifier_kinds_build_upwards_and_no_lower_one_names_a_higher() -> None:
    # The base knows neither the Cognito verifier nor the multi-issuer one,
    # not even for a type or inside a function.
    assert "cognito_jwt._cognito" not in GRAPH["cognito_jwt._verifier"]
    assert "cognito_jwt._multi_issuer" not in GRAPH["cognito_jwt._verifier"]
    assert "cognito_jwt._multi_issuer" not in GRAPH["cognito_jwt._cognito"]
    assert {"cognito_jwt._cognito", "cognito_jwt._verifier"} <= GRAPH["cognito_jwt._multi_issuer"]


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


@pytest.mark.parametrize("name", HTTP_LAYERS)
def test_the_http_answer_sits_on_the_core_and_under_every_adapter(name: str) -> None:
    lower = HTTP_LAYERS[: HTTP_LAYERS.index(name)]
    allowed = {*CORE_LAYERS, *lower, "cognito_jwt", "cognito_jwt._version", "cognito_jwt._exports"}
    assert GRAPH[name] <= allowed, sorted(GRAPH[name] - allowed)
    for adapter in ("fastapi", "flask", "drf"):
        assert "cognito_jwt.http" in GRAPH[f"cognito_jwt.integrations.{adapter}"], adapter
