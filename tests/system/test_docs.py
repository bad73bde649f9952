"""The docs cannot drift from the code: their Python blocks run as a reader runs them.

Convention (also in CONTRIBUTING.md and docs/testing.md):

* Every fenced block tagged ``python`` (or ``py``) in ``docs/*.md`` and
  ``README.md`` is executed, in page order, all blocks of a page sharing one
  namespace, so a page can build on its earlier blocks like a tutorial.
* **Nothing is injected.**  Each page starts from an empty module namespace
  (``__name__`` is ``"__docs__"``, so ``if __name__ == "__main__":`` servers
  do not start): every name a block uses is defined on the page.
* **One visible setup block.**  A page whose production lines need Cognito
  (``CognitoJwtVerifier(user_pool_id=USER_POOL_ID, ...)`` fetches the pool's
  real JWKS URL) opens with a setup block: a ``FakeCognitoPool`` for that pool,
  started with ``pool.stand_in()`` so the fetch gets the fake keys, and the
  ids and tokens the page uses.  Only the page's first python block may leave
  a stand-in running; the harness stops it after the page.
* **No internet.**  Besides the suite's socket guard, a `RequestsFetcher`
  fetch of anything but 127.0.0.1/localhost fails with
  ``JwksUnavailableError``, so a fetch the page did not arrange fails the page.
  The default JWKS cache is emptied before and after each page.
* **Sections stand alone** in the guides listed in `SECTIONED`
  (``docs/frameworks.md``): each ``##`` section also runs with nothing before
  it but the setup block, as a reader who copies one framework's section.
* A block is skipped only when the line before its opening fence (blank lines
  aside) is ``<!-- no-test: <reason> -->``, the reason saying why it cannot run
  here (``needs real AWS``).  A marker without a reason fails, and so does a
  count of skipped blocks over `MAX_NO_TEST`; the count is printed at the end
  of every run that includes this file.  Blocks in other languages (``bash``,
  ``json``, ``text``...) are never run.
* A page whose code needs a missing optional package fails under ``CI`` (CI
  installs every extra); on a laptop it is skipped, naming the package.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from docs_blocks import (
    DOCS,
    PAGES,
    ROOT,
    check_no_test_blocks,
    expand_snippets,
    extract_blocks,
    no_test_blocks,
    page_id,
)

import cognito_jwt
from cognito_jwt import DEFAULT_JWKS_CACHE, JwksUnavailableError, RequestsFetcher, cli
from cognito_jwt.errors import CognitoJwtError
from cognito_jwt.testing import stop_stand_ins

# --------------------------------------------------------------------------- harness


def _refuse_the_internet(self: RequestsFetcher, uri: str) -> bytes:
    """The safety net: a fetch no stand-in answered and not on loopback fails."""
    raise JwksUnavailableError(
        f"docs test: expected a fetch the page arranged (a stand-in or a loopback server), "
        f"found {uri}",
        reason="jwks_fetch_failed",
    )


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No internet for a page; fresh process-wide caches before and after it."""
    real_fetch = RequestsFetcher.fetch

    def fetch(self: RequestsFetcher, uri: str) -> bytes:
        if uri.startswith(("http://127.0.0.1:", "http://localhost:")):
            return real_fetch(self, uri)
        return _refuse_the_internet(self, uri)

    monkeypatch.setattr(RequestsFetcher, "fetch", fetch)
    DEFAULT_JWKS_CACHE.clear()
    try:
        yield
    finally:
        stop_stand_ins()  # before the patch is undone: each stand-in puts back what it found
        DEFAULT_JWKS_CACHE.clear()


def _missing_package(exc: ModuleNotFoundError, where: str) -> None:
    """Skip on a laptop without an optional package; under ``CI`` (every extra installed) fail."""
    missing = (exc.name or "").split(".")[0]
    if not missing or missing == "cognito_jwt" or os.environ.get("CI"):
        raise exc
    pytest.skip(f"{where} needs {missing} (CI installs it; this page fails there without it)")


def run_page(path: Path, *, text: str | None = None) -> int:
    """Run the page's runnable blocks in order, from an empty namespace; return how many ran.

    The blocks run in a module registered in `sys.modules` while they run, as
    a reader's own module would be: frameworks that resolve a handler's
    annotations through its module (Litestar) find it.  Only the first block
    may leave a stand-in running (it is the page's setup block); the caller's
    `offline` fixture stops it afterwards.
    """
    module = types.ModuleType("__docs__")
    sys.modules[module.__name__] = module
    ran = 0
    try:
        source_text = path.read_text(encoding="utf-8") if text is None else text
        for block in extract_blocks(source_text, path):
            if not block.runnable:
                continue
            before = len(_running_stand_ins())
            # Pad so tracebacks point at the Markdown line.
            source = "\n" * (block.line - 1) + expand_snippets(block.code)
            code = compile(source, str(block.path), "exec")
            try:
                exec(code, module.__dict__)
            except ModuleNotFoundError as exc:
                _missing_package(exc, f"{page_id(path)}:{block.line}")
            if ran and len(_running_stand_ins()) > before:
                raise AssertionError(
                    f"{page_id(path)}:{block.line}: expected stand-ins to start in the page's "
                    "first python block (its visible setup block), found one started here "
                    "and left running; move it to the setup block or use it as `with ...:`"
                )
            ran += 1
    finally:
        sys.modules.pop(module.__name__, None)
    return ran


def _running_stand_ins() -> list[Any]:
    from cognito_jwt import _testing_stand_in

    return list(_testing_stand_in._running)


@pytest.mark.usefixtures("offline")
@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_page_code_runs(page: Path, record_property: Any) -> None:
    if not page.exists():
        pytest.skip(f"{page_id(page)} not written yet")
    record_property("docs_blocks_run", run_page(page))  # summed in the terminal summary


#: Guides whose ``##`` sections each stand alone after the page's setup block:
#: a reader copies the setup block and one framework's section, not the page.
SECTIONED = [DOCS / "frameworks.md"]


def setup_and_section(text: str, heading_line: int) -> str:
    """The page's text up to its setup block, then one section, each at its own lines.

    Everything else is blanked out, so the section's blocks can use only the
    names the setup block and the section itself define, and a traceback
    still names the Markdown line.
    """
    lines = text.splitlines()
    setup = next(b for b in extract_blocks(text, Path("page.md")) if b.lang in {"python", "py"})
    setup_end = setup.line + setup.code.count("\n")  # the closing fence's line (1-based)
    end = next(
        (i for i in range(heading_line, len(lines)) if lines[i].startswith("## ")), len(lines)
    )
    kept = [
        line if i < setup_end or heading_line - 1 <= i < end else "" for i, line in enumerate(lines)
    ]
    return "\n".join(kept) + "\n"


def _sections() -> list[tuple[Path, int, str]]:
    """(page, 1-based line of the heading, heading) of each section holding runnable code."""
    found = []
    for page in SECTIONED:
        text = page.read_text(encoding="utf-8")
        headings = [
            (n, line[3:])
            for n, line in enumerate(text.splitlines(), start=1)
            if line.startswith("## ")
        ]
        for (n, heading), nxt in zip(headings, [*headings[1:], (10**9, "")], strict=True):
            blocks = extract_blocks(text, page)
            if any(b.runnable and n < b.line < nxt[0] for b in blocks):
                found.append((page, n, heading))
    return found


@pytest.mark.usefixtures("offline")
@pytest.mark.parametrize(
    ("page", "heading_line", "heading"),
    _sections(),
    ids=[f"{page_id(p)}#{h}" for p, _, h in _sections()],
)
def test_each_section_runs_after_the_setup_block_alone(
    page: Path, heading_line: int, heading: str
) -> None:
    text = setup_and_section(page.read_text(encoding="utf-8"), heading_line)
    assert f"## {heading}" in text
    assert run_page(page, text=text) >= 2  # the setup block and the section's own


def test_a_section_using_another_sections_name_fails(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "# Page\n\n```python\nUSER_POOL_ID = 'us-east-1_AbCdEf123'\n```\n\n"
        "## First\n\n```python\nsigned_in = {'Authorization': 'Bearer x'}\n```\n\n"
        "## Second\n\n```python\nassert USER_POOL_ID\nprint(signed_in)\n```\n",
        encoding="utf-8",
    )
    text = page.read_text(encoding="utf-8")
    assert run_page(page) == 3  # the whole page runs: Second sees First's name
    second = text.splitlines().index("## Second") + 1
    with pytest.raises(NameError, match="signed_in"):
        run_page(page, text=setup_and_section(text, second))


def test_docs_hold_runnable_code() -> None:
    """Guard the extractor itself: the guide pages do contain code that runs."""
    counts = {
        p.name: sum(b.runnable for b in extract_blocks(p.read_text(encoding="utf-8"), p))
        for p in PAGES
        if p.exists()
    }
    for name in ("index.md", "tokens.md", "checks.md", "jwks-cache.md", "testing.md"):
        assert counts.get(name, 0) >= 1, f"docs/{name} has no runnable python block"


def test_no_test_blocks_are_few_and_say_why() -> None:
    """Each skipped block states why it cannot run here, and there are at most `MAX_NO_TEST`.

    (The suite's terminal summary prints the same count and listing.)
    """
    blocks = no_test_blocks()
    check_no_test_blocks(blocks)


def test_the_no_test_rule_refuses_a_missing_reason_and_too_many(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "<!-- no-test: needs real AWS -->\n```python\nboto3_call()\n```\n"
        "<!--no-test: a signature only   -->\n\n```py\ndef f(...): ...\n```\n"
        "```python\nruns = True\n```\n",
        encoding="utf-8",
    )
    blocks = no_test_blocks([page])
    assert [(b.line, b.reason) for b in blocks] == [(3, "needs real AWS"), (8, "a signature only")]
    assert "page.md:3: needs real AWS" in check_no_test_blocks(blocks, cap=2)
    with pytest.raises(AssertionError, match="2 no-test blocks, expected at most 1"):
        check_no_test_blocks(blocks, cap=1)
    for bare in ("<!-- no-test -->", "<!-- no-test: -->", "<!--no-test:   -->"):
        page.write_text(f"{bare}\n```python\nx = 1\n```\n", encoding="utf-8")
        (block,) = no_test_blocks([page])
        with pytest.raises(AssertionError, match="need a reason"):
            check_no_test_blocks([block])


@pytest.mark.usefixtures("offline")
def test_a_page_using_a_name_it_never_defined_fails(tmp_path: Path) -> None:
    """Nothing is injected: ``id_token`` must come from the page itself."""
    page = tmp_path / "page.md"
    text = "```python\nfrom cognito_jwt import strip_bearer\n\nstrip_bearer(id_token)\n```\n"
    with pytest.raises(NameError, match="id_token"):
        run_page(page, text=text)


@pytest.mark.usefixtures("offline")
def test_a_page_fetching_a_url_it_did_not_arrange_fails(tmp_path: Path) -> None:
    """The production verifier fetches the real JWKS URL: without a stand-in, the page fails."""
    page = tmp_path / "page.md"
    text = (
        "```python\n"
        "from cognito_jwt import CognitoJwtVerifier\n"
        "from cognito_jwt.testing import FakeCognitoPool\n\n"
        'pool = FakeCognitoPool("us-east-1_NotArranged1", "client1")\n'
        "verifier = CognitoJwtVerifier(\n"
        '    user_pool_id="us-east-1_NotArranged1", token_use="id", client_id="client1"\n'
        ")\n"
        "verifier.verify(pool.id_token())\n"
        "```\n"
    )
    with pytest.raises(JwksUnavailableError, match="expected a fetch the page arranged"):
        run_page(page, text=text)


@pytest.mark.usefixtures("offline")
def test_a_setup_block_makes_the_production_verifier_run(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    text = (
        "```python\n"
        "from cognito_jwt.testing import FakeCognitoPool\n\n"
        'pool = FakeCognitoPool("us-east-1_Arranged1", "client1")\n'
        "pool.stand_in()\n"
        "```\n"
        "```python\n"
        "from cognito_jwt import CognitoJwtVerifier\n\n"
        "verifier = CognitoJwtVerifier(\n"
        '    user_pool_id="us-east-1_Arranged1", token_use="id", client_id="client1"\n'
        ")\n"
        'assert verifier.verify(pool.id_token())["email"] == "alice@example.com"\n'
        "```\n"
    )
    assert run_page(page, text=text) == 2


@pytest.mark.usefixtures("offline")
def test_a_stand_in_started_after_the_setup_block_fails(tmp_path: Path) -> None:
    """What makes a page run offline is in its first block, for the reader to see."""
    page = tmp_path / "page.md"
    text = (
        "```python\nx = 1\n```\n"
        "```python\n"
        "from cognito_jwt.testing import FakeCognitoPool\n\n"
        'FakeCognitoPool("us-east-1_Hidden1", "client1").stand_in()\n'
        "```\n"
    )
    with pytest.raises(AssertionError, match="first python block"):
        run_page(page, text=text)


def test_a_missing_package_fails_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    error = ModuleNotFoundError("No module named 'nonexistent_framework'")
    error.name = "nonexistent_framework"
    monkeypatch.setenv("CI", "true")
    with pytest.raises(ModuleNotFoundError):
        _missing_package(error, "page.md:1")
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="nonexistent_framework"):
        _missing_package(error, "page.md:1")


def test_extractor_convention() -> None:
    text = (
        "# Title\n"
        "```python\nx = 1\n```\n"
        "<!-- no-test: a fragment -->\n\n"
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
    assert blocks[1].reason == "a fragment"
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
