"""The docs cannot drift from the code: their Python blocks run, their tables are checked.

Convention (also in CONTRIBUTING.md):

* Every fenced block tagged ``python`` (or ``py``) in ``docs/*.md`` and
  ``README.md`` is executed, in page order, all blocks of a page sharing one
  namespace, so a page can build on its earlier blocks like a tutorial.
* A block is skipped only when the line before its opening fence (blank lines
  aside) is ``<!-- no-test -->``: use it for fragments that are not complete
  programs, and for code that needs real AWS.  Blocks in other languages
  (``bash``, ``json``, ``text``...) are never run.
* Each page starts with these names already defined, as a reader's own
  application would have them:

  ``pool``
      a :class:`~cognito_jwt.testing.FakeCognitoPool` for user pool
      ``us-east-1_AbCdEf123`` and app client ``1example23456789``
      (``USER_POOL_ID`` and ``CLIENT_ID``);
  ``id_token``
      a valid ID token of user ``alice`` (``alice@example.com``) in group
      ``admin``;
  ``access_token``
      a valid access token of the same user, group ``admin``, scopes
      ``openid`` and ``orders/read``.

* The network is replaced: a fetch of that pool's JWKS URL is answered with
  the fake pool's keys, loopback URLs (``pool.serve_jwks()``) work normally,
  and any other URL fails with ``JwksUnavailableError``.  So a block can show
  the real, fetching ``CognitoJwtVerifier(user_pool_id=...)`` and still run.
* ``__name__`` is ``"__docs__"``, so ``if __name__ == "__main__":`` servers do
  not start.  A page whose code needs a missing optional package (a web
  framework) is skipped, naming the package.
"""

from __future__ import annotations

import argparse
import re
import sys
import types
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import cognito_jwt
from cognito_jwt import (
    DEFAULT_JWKS_CACHE,
    JwksUnavailableError,
    RequestsFetcher,
    cli,
    cognito_issuers,
)
from cognito_jwt.errors import CognitoJwtError
from cognito_jwt.testing import FakeCognitoPool

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
PAGES = [*sorted(DOCS.glob("*.md")), ROOT / "README.md"]
NO_TEST = "<!-- no-test -->"
RUNNABLE = {"python", "py"}

USER_POOL_ID = "us-east-1_AbCdEf123"
CLIENT_ID = "1example23456789"


@dataclass(frozen=True)
class Block:
    """One fenced code block of a Markdown page."""

    path: Path
    line: int  # 1-based line of the first code line
    lang: str
    code: str
    skip: bool

    @property
    def runnable(self) -> bool:
        return self.lang in RUNNABLE and not self.skip


_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^\n`]*)$")


def extract_blocks(text: str, path: Path) -> list[Block]:
    """Find the fenced blocks of ``text``, with their language and skip marker.

    Indented fences (inside admonitions or lists) count too; their common
    indentation is removed before the code is run.
    """
    lines = text.splitlines()
    blocks: list[Block] = []
    i = 0
    previous = ""  # last non-blank line outside a block
    while i < len(lines):
        match = _FENCE.match(lines[i])
        if match is None:
            if lines[i].strip():
                previous = lines[i].strip()
            i += 1
            continue
        indent, fence = match["indent"], match["fence"]
        lang = match["info"].strip().split(" ")[0].lower().lstrip(".{")
        body: list[str] = []
        j = i + 1
        closing = re.compile(rf"{re.escape(fence[0])}{{{len(fence)},}}")
        while j < len(lines) and closing.fullmatch(lines[j].strip()) is None:
            body.append(lines[j][len(indent) :] if lines[j].startswith(indent) else lines[j])
            j += 1
        blocks.append(Block(path, i + 2, lang, "\n".join(body) + "\n", previous == NO_TEST))
        previous = ""
        i = j + 1
    return blocks


_SNIPPET = re.compile(
    r'^\s*-{1,}8<-{1,}\s+"(?P<file>[^":]+)(?::(?P<start>\d+)?(?::(?P<end>\d+))?)?"\s*$'
)


def expand_snippets(code: str) -> str:
    """Inline ``--8<-- "path[:start[:end]]"`` lines, as pymdownx.snippets renders them.

    Docs that show an example file by including it run that very file.
    """
    out: list[str] = []
    for line in code.splitlines():
        match = _SNIPPET.match(line)
        if match is None:
            out.append(line)
            continue
        included = (ROOT / match["file"]).read_text(encoding="utf-8").splitlines()
        start = int(match["start"]) if match["start"] else 1
        end = int(match["end"]) if match["end"] else len(included)
        out.extend(included[start - 1 : end])
    return "\n".join(out) + "\n"


def _page_id(path: Path) -> str:
    return str(path.relative_to(ROOT))


# --------------------------------------------------------------------------- harness


@pytest.fixture
def docs_pool() -> FakeCognitoPool:
    return FakeCognitoPool(user_pool_id=USER_POOL_ID, client_id=CLIENT_ID)


@pytest.fixture
def fake_network(docs_pool: FakeCognitoPool, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Serve the docs pool's JWKS for its real Cognito URLs; refuse the internet."""
    served = {iss + "/.well-known/jwks.json" for iss in cognito_issuers(USER_POOL_ID)}
    real_fetch = RequestsFetcher.fetch

    def fetch(self: RequestsFetcher, uri: str) -> bytes:
        if uri in served:
            return docs_pool.jwks_json.encode()
        if uri.startswith(("http://127.0.0.1:", "http://localhost:")):
            return real_fetch(self, uri)
        raise JwksUnavailableError(f"docs test: no network for {uri}", reason="jwks_fetch_failed")

    monkeypatch.setattr(RequestsFetcher, "fetch", fetch)
    DEFAULT_JWKS_CACHE.clear()
    yield
    DEFAULT_JWKS_CACHE.clear()


def seeded_namespace(pool: FakeCognitoPool) -> dict[str, Any]:
    """The names every page may use without defining them (see the module docstring)."""
    return {
        "__name__": "__docs__",
        "USER_POOL_ID": USER_POOL_ID,
        "CLIENT_ID": CLIENT_ID,
        "pool": pool,
        "id_token": pool.id_token(groups=["admin"]),
        "access_token": pool.access_token(groups=["admin"], scopes=["openid", "orders/read"]),
    }


def run_page(path: Path, namespace: dict[str, Any]) -> int:
    """Run the page's runnable blocks in order; return how many ran.

    The blocks run in a module registered in `sys.modules` while they run, as
    a reader's own module would be: frameworks that resolve a handler's
    annotations through its module (Litestar) find it.
    """
    module = types.ModuleType(namespace["__name__"])
    module.__dict__.update(namespace)
    sys.modules[module.__name__] = module
    ran = 0
    try:
        for block in extract_blocks(path.read_text(encoding="utf-8"), path):
            if not block.runnable:
                continue
            # Pad so tracebacks point at the Markdown line.
            source = "\n" * (block.line - 1) + expand_snippets(block.code)
            code = compile(source, str(block.path), "exec")
            try:
                exec(code, module.__dict__)
            except ModuleNotFoundError as exc:
                missing = (exc.name or "").split(".")[0]
                if missing and missing != "cognito_jwt":
                    pytest.skip(f"{_page_id(path)}:{block.line} needs {missing}")
                raise
            ran += 1
    finally:
        sys.modules.pop(module.__name__, None)
    return ran


@pytest.mark.usefixtures("fake_network")
@pytest.mark.parametrize("page", PAGES, ids=_page_id)
def test_page_code_runs(page: Path, docs_pool: FakeCognitoPool) -> None:
    if not page.exists():
        pytest.skip(f"{_page_id(page)} not written yet")
    run_page(page, seeded_namespace(docs_pool))


def test_docs_hold_runnable_code() -> None:
    """Guard the extractor itself: the guide pages do contain code that runs."""
    counts = {
        p.name: sum(b.runnable for b in extract_blocks(p.read_text(encoding="utf-8"), p))
        for p in PAGES
        if p.exists()
    }
    for name in ("index.md", "tokens.md", "checks.md", "jwks-cache.md", "testing.md"):
        assert counts.get(name, 0) >= 1, f"docs/{name} has no runnable python block"


def test_extractor_convention() -> None:
    text = (
        "# Title\n"
        "```python\nx = 1\n```\n"
        "<!-- no-test -->\n\n"
        "```python\nfragment(...)\n```\n"
        "```bash\nls\n```\n"
        '!!! note\n    ```py title="x"\n    y = 2\n    ```\n'
        "````python\n```\nnested = True\n````\n"
    )
    blocks = extract_blocks(text, Path("x.md"))
    assert [(b.lang, b.skip, b.code) for b in blocks] == [
        ("python", False, "x = 1\n"),
        ("python", True, "fragment(...)\n"),
        ("bash", False, "ls\n"),
        ("py", False, "y = 2\n"),
        ("python", False, "```\nnested = True\n"),
    ]
    assert blocks[0].line == 3
    assert [b.runnable for b in blocks] == [True, False, False, True, True]


def test_snippet_lines_are_expanded() -> None:
    included = ROOT / "cognito_jwt" / "_version.py"
    relative = included.relative_to(ROOT)
    code = f'x = 1\n--8<-- "{relative}"\n;--8<-- "{relative}:1:1"\n'
    assert expand_snippets(code).splitlines() == [
        "x = 1",
        *included.read_text(encoding="utf-8").splitlines(),
        f';--8<-- "{relative}:1:1"',
    ]
    assert expand_snippets(f'--8<-- "{relative}:1:1"').splitlines() == [
        included.read_text(encoding="utf-8").splitlines()[0]
    ]


# --------------------------------------------------------------------------- tables


def _source_reasons() -> set[str]:
    """Every ``reason`` code the library can raise (literals and class defaults)."""
    reasons: set[str] = set()
    package = ROOT / "cognito_jwt"
    for module in [*package.glob("*.py"), *package.glob("revocation/*.py")]:
        if module.name in {"authorizer.py", "cli.py", "testing.py"}:
            continue  # these pass reasons on; they raise none of their own
        for line in module.read_text(encoding="utf-8").splitlines():
            # reason="x", reason=... else "x", reason = "x" if ... else "y", default_reason = "x"
            if re.search(r"\breason\s*=|default_reason(?:: str)? =", line):
                reasons.update(re.findall(r'"([a-z][a-z_]*)"', line))
    reasons.discard("error")  # the abstract base's placeholder
    return reasons


def test_every_reason_code_is_documented() -> None:
    """checks.md lists each reason a caller may branch on, and no invented one."""
    page = (DOCS / "checks.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", page, flags=re.MULTILINE))
    source = _source_reasons()
    assert source - documented == set(), "reasons missing from docs/checks.md"
    assert documented - source == set(), "docs/checks.md lists reasons the code never raises"


def test_every_error_class_is_documented_with_its_status() -> None:
    page = (DOCS / "checks.md").read_text(encoding="utf-8")
    for name in cognito_jwt.errors.__all__:
        cls = getattr(cognito_jwt.errors, name)
        assert issubclass(cls, CognitoJwtError)
        row = re.search(rf"^\| `{name}` \| (\d+) \|", page, flags=re.MULTILINE)
        assert row is not None, f"{name} missing from the error table of docs/checks.md"
        assert int(row[1]) == cls.status_code, name


def test_cli_page_matches_the_command() -> None:
    """Every option and exit code of ``cognito-jwt`` is on the CLI page."""
    page = (DOCS / "cli.md").read_text(encoding="utf-8")
    parser = cli.build_parser()
    subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name, sub in subparsers.choices.items():
        assert f"cognito-jwt {name}" in page
        for action in sub._actions:
            for option in action.option_strings:
                if option.startswith("--") and option != "--help":
                    assert f"`{option}" in page, f"{name} {option} undocumented"
    for code, family in (
        (cli.EXIT_OK, "success"),
        (cli.EXIT_USAGE, "ConfigurationError"),
        (cli.EXIT_INVALID_TOKEN, "InvalidTokenError"),
        (cli.EXIT_ACCESS_DENIED, "AccessDeniedError"),
        (cli.EXIT_KEYS_UNAVAILABLE, "JwksUnavailableError"),
    ):
        row = re.search(rf"^\| {code} \|.*{family}.*\| (?P<by>[^|]+) \|$", page, flags=re.M)
        assert row is not None, code
        # The "returned by" column names exactly the commands whose --help lists the code.
        returning = {name for name, codes in cli._COMMAND_EXIT_CODES.items() if code in codes}
        assert set(re.findall(r"`(\w+)`", row["by"])) == returning, code


def test_every_page_is_in_the_nav() -> None:
    """mkdocs --strict fails on an orphan page; this says which, without mkdocs."""
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    in_nav = set(re.findall(r"^\s*- (?:[^:\n]+: )?([\w./-]+\.md)\s*$", config, flags=re.MULTILINE))
    pages = {p.name for p in DOCS.glob("*.md")}
    assert pages - in_nav == set(), "pages missing from the mkdocs.yml nav"
