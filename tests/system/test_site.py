"""The built documentation site, as a reader's browser gets it.

`mkdocs build --strict` catches broken links and references, but not what
the pages *show*: docstrings written in reST roles render raw on the Markdown
API page, a private sentinel leaks into signatures, and a theme or diagram
that pulls scripts or fonts from a CDN breaks offline and reports every page
view to a third party.  ``nox -s docs`` builds the site and then runs this
file against it (``COGNITO_JWT_SITE``); without a built site it is skipped.
"""

from __future__ import annotations

import os
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

SITE = os.environ.get("COGNITO_JWT_SITE")
pytestmark = pytest.mark.skipif(not SITE, reason="needs a built site: nox -s docs")

#: Sphinx roles; in a Markdown docstring they would show up verbatim.
ROLES = ("class", "func", "meth", "attr", "data", "mod", "exc", "obj")


def _site() -> Path:
    assert SITE is not None
    return Path(SITE)


class _Text(HTMLParser):
    """The visible text of a page, and every resource it loads."""

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.resources: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag in ("script", "style"):
            self._skip += 1
        if tag in ("script", "img", "iframe", "source") and values.get("src"):
            self.resources.append(str(values["src"]))
        if tag == "link" and values.get("href") and values.get("rel") != "canonical":
            rel = str(values.get("rel") or "")
            if any(word in rel.split() for word in ("stylesheet", "preconnect", "icon", "preload")):
                self.resources.append(str(values["href"]))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.text.append(data)


def _parse(page: Path) -> _Text:
    parser = _Text()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser


def test_the_api_page_shows_no_raw_rest_roles() -> None:
    text = "".join(_parse(_site() / "api" / "index.html").text)
    found = sorted(set(re.findall(rf":(?:{'|'.join(ROLES)}):`?[\w.~]*", text)))
    assert found == [], f"raw reST roles on the API page: {found[:20]}"


def test_the_api_page_says_required_not_the_private_sentinel() -> None:
    text = "".join(_parse(_site() / "api" / "index.html").text)
    assert "_REQUIRED" not in text
    assert re.search(r"token_use:.*?=\s*required", text, re.S), "token_use default not shown"
    assert re.search(r"audience:.*?=\s*required", text, re.S), "audience default not shown"


def test_no_page_loads_anything_from_another_host() -> None:
    """Fonts, scripts and stylesheets come from the site itself: it works offline."""
    offending: dict[str, list[str]] = {}
    for page in sorted(_site().rglob("*.html")):
        remote = [r for r in _parse(page).resources if re.match(r"(?:https?:)?//", r)]
        if remote:
            offending[str(page.relative_to(_site()))] = remote
    assert offending == {}


def test_the_architecture_diagram_is_text_in_the_page() -> None:
    page = (_site() / "architecture" / "index.html").read_text(encoding="utf-8")
    assert "mermaid" not in page.lower()
    text = "".join(_parse(_site() / "architecture" / "index.html").text)
    assert "verify(token)" in text
    assert "JwksUnavailableError" in text
