"""The docs' code blocks, as `tests/system/test_docs.py` runs them: extraction and the no-test rule.

A module of its own so the suite's terminal summary (`tests/conftest.py`) can
count the ``no-test`` blocks in the pytest process that prints it, with or
without xdist workers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = [*sorted(DOCS.glob("*.md")), ROOT / "README.md"]
RUNNABLE = {"python", "py"}
#: The most ``no-test`` blocks the docs may hold, all pages together.  None
#: today: every block runs.  A change that adds one (it needs real AWS) raises
#: this cap and says why in the marker.
MAX_NO_TEST = 0

_NO_TEST = re.compile(r"<!--\s*no-test(?:\s*:\s*(?P<reason>.*?))?\s*-->")


@dataclass(frozen=True)
class Block:
    """One fenced code block of a Markdown page."""

    path: Path
    line: int  # 1-based line of the first code line
    lang: str
    code: str
    skip: bool
    reason: str | None = None  # why it is skipped (``<!-- no-test: reason -->``)

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
        marker = _NO_TEST.fullmatch(previous)
        reason = (marker["reason"] or "").strip() or None if marker else None
        blocks.append(Block(path, i + 2, lang, "\n".join(body) + "\n", marker is not None, reason))
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


def page_id(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else path.name


def no_test_blocks(pages: list[Path] = PAGES) -> list[Block]:
    """Every python block the docs mark ``no-test``, in page order."""
    return [
        block
        for page in pages
        if page.exists()
        for block in extract_blocks(page.read_text(encoding="utf-8"), page)
        if block.lang in RUNNABLE and block.skip
    ]


def check_no_test_blocks(blocks: list[Block], *, cap: int = MAX_NO_TEST) -> str:
    """The listing of ``blocks`` (one line each, with its reason), if they keep the rule.

    Raises:
        AssertionError: a block gives no reason, or there are more than ``cap``.
    """
    listing = "\n".join(
        f"  {page_id(b.path)}:{b.line}: {b.reason or 'NO REASON GIVEN'}" for b in blocks
    )
    assert all(b.reason for b in blocks), (
        f"no-test markers need a reason (<!-- no-test: why -->):\n{listing}"
    )
    assert len(blocks) <= cap, (
        f"{len(blocks)} no-test blocks, expected at most {cap}; make them run:\n{listing}"
    )
    return listing
