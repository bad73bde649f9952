"""Every import path the README, the guides and the examples show keeps working.

The core's modules are internal (`cognito_jwt._token`, `cognito_jwt._claims`, ...);
the few old paths that the documentation cites, or that 0.1.0 shipped, are kept
as small re-export modules (`cognito_jwt.token`, `cognito_jwt.claims`,
`cognito_jwt.verifier`).  These tests read the paths from the documents
themselves, so a guide cannot cite a path that does not import, and check that
the kept modules are only doors: nothing inside the package goes through them.
"""

from __future__ import annotations

import ast
import importlib
import re
import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "cognito_jwt"

#: Old paths kept as re-export modules, each with the internal module it re-exports from.
KEPT_PATHS = {
    "cognito_jwt.token": ("cognito_jwt._token",),
    "cognito_jwt.claims": ("cognito_jwt._claim_types",),
    "cognito_jwt.verifier": (
        "cognito_jwt._jwt_verifier",
        "cognito_jwt._cognito",
        "cognito_jwt._multi_issuer",
    ),
}

_FROM_IMPORT = re.compile(r"\bfrom\s+(cognito_jwt(?:\.\w+)*)\s+import\s+(\([^)]*\)|[^\n]+)")
_IMPORT = re.compile(r"^\s*import\s+(cognito_jwt(?:\.\w+)*)", re.MULTILINE)
_DOTTED = re.compile(r"(?:`|::: )(cognito_jwt(?:\.\w+)+)")


def _documents() -> list[Path]:
    docs = sorted((ROOT / "docs").rglob("*.md"))
    examples = sorted(p for p in (ROOT / "examples").rglob("*") if p.suffix in {".py", ".md"})
    return [ROOT / "README.md", *docs, *examples]


def _cited() -> set[tuple[str, str]]:
    """(module, name) for every `from cognito_jwt.x import y`; (module, "") for the rest."""
    cited: set[tuple[str, str]] = set()
    for path in _documents():
        text = path.read_text(encoding="utf-8")
        for module, names in _FROM_IMPORT.findall(text):
            for raw in names.strip("()").split(","):
                name = raw.split("#")[0].split(" as ")[0].strip()
                if name:
                    cited.add((module, name))
        cited.update((module, "") for module in _IMPORT.findall(text))
        for dotted in _DOTTED.findall(text):
            cited.add((dotted, ""))
    return cited


CITED = sorted(_cited())


def _resolve(dotted: str) -> object:
    """Import the longest module prefix of `dotted`, then follow attributes."""
    parts = dotted.split(".")
    for split in range(len(parts), 0, -1):
        try:
            found: object = importlib.import_module(".".join(parts[:split]))
        except ModuleNotFoundError:
            continue
        for attribute in parts[split:]:
            found = getattr(found, attribute)
        return found
    raise ModuleNotFoundError(dotted)


def test_the_documents_cite_the_kept_paths() -> None:
    cited_modules = {module for module, _ in CITED}
    assert any(m.startswith("cognito_jwt.token.") for m in cited_modules)
    assert any(m.startswith("cognito_jwt.claims.") for m in cited_modules)
    assert ("cognito_jwt.authorizer", "make_handler") in CITED


#: Deprecated names the guides still cite (to say what replaced them); they warn.
DEPRECATED = {"cognito_jwt.Event"}


@pytest.mark.parametrize(("module", "name"), CITED)
def test_every_cited_import_path_resolves(module: str, name: str) -> None:
    dotted = f"{module}.{name}" if name else module
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        found = _resolve(dotted)
    assert found is not None
    deprecated = [w for w in caught if issubclass(w.category, DeprecationWarning)]
    assert bool(deprecated) == (dotted in DEPRECATED), dotted


@pytest.mark.parametrize(("module", "name"), CITED)
def test_no_document_sends_a_reader_into_an_internal_module(module: str, name: str) -> None:
    internal = [p for p in module.split(".") if p.startswith("_") and not p.startswith("__")]
    assert not internal, module
    assert not name.startswith("_"), (module, name)


@pytest.mark.parametrize("kept", sorted(KEPT_PATHS))
def test_a_kept_path_re_exports_the_internal_objects(kept: str) -> None:
    module = importlib.import_module(kept)
    assert module.__all__
    homes = [importlib.import_module(home) for home in KEPT_PATHS[kept]]
    for name in module.__all__:
        assert any(getattr(home, name, None) is getattr(module, name) for home in homes), name
    assert "kept import path" in (module.__doc__ or "")


def test_the_package_never_imports_a_kept_path() -> None:
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                targets = {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                targets = {node.module} | {f"{node.module}.{a.name}" for a in node.names}
            else:
                continue
            assert not targets & set(KEPT_PATHS), (path.name, sorted(targets & set(KEPT_PATHS)))


def test_the_verifier_path_keeps_what_0_1_0_shipped() -> None:
    import cognito_jwt
    from cognito_jwt import verifier

    assert verifier.CognitoJwtVerifier is cognito_jwt.CognitoJwtVerifier
    assert verifier.cognito_issuers is cognito_jwt.cognito_issuers
    assert verifier.JwtVerifier is cognito_jwt.JwtVerifier
    assert verifier.MultiIssuerVerifier is cognito_jwt.MultiIssuerVerifier
    assert not hasattr(verifier, "NoSuchVerifier")
