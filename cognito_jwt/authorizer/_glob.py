"""IAM resource wildcards, matched without backtracking.

IAM's resource patterns know two wildcards: `*` matches any run of
characters (`/` included, the empty run too) and `?` exactly one.  An
authorizer matches them against the request's ARN on every invocation, and
the path in that ARN is the client's, so the matcher must never do more than
a small constant times the length of the pattern plus the length of the ARN.
A backtracking regular expression does not hold that: `a/?*/b/?*/c/?*/d/?*/e`
against a 2 KB path of `/b/c/d` repeated tries every way to split the path
between its templates, which took a real authorizer 50 seconds.

The algorithm: a pattern is cut at each run of wildcards holding a `*` into a
head, middle segments and a tail (`?` next to a `*` becomes "at least one more
character" of that run).  The head must start the value and the tail end it;
each middle segment is placed at its leftmost occurrence after the previous
one (Knuth-Morris-Pratt, so the value is read once, left to right).  Leftmost
placement never loses a match that another placement would find, so there is
nothing to backtrack to.  A `?` *inside* a segment (IAM allows it; the rules
of this package never write one) makes that segment's search compare each
start position, which is still at most |segment| x |value|.

`overlap` (does some string match both of two patterns?) follows the same
rule: two patterns that both hold a `*` overlap exactly when their heads agree
on their common length and their tails do too (everything in between can be
filled for both at once), which is linear; a pattern without `*` is one string
(or, with `?`, a string with holes) that the other is matched against.

`counted_match` and `counted_overlap` return the number of character
comparisons as well, so the tests can hold the bound without a clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

__all__ = ["counted_match", "counted_overlap", "overlap", "wildcard_match"]


@dataclass(frozen=True, slots=True)
class _Segment:
    """A run of literal characters and `?`, with what searching for it needs."""

    text: str
    #: How many characters the wildcard run *before* it must consume at least.
    skip: int
    #: The Knuth-Morris-Pratt failure table; empty when the text holds a `?`.
    failure: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class _Glob:
    """A pattern cut at its `*` runs: `head`, `middle...`, `tail` (see the module)."""

    head: str
    middle: tuple[_Segment, ...]
    #: The tail, or `None` when the pattern holds no `*` (then `head` is all of it).
    tail: _Segment | None
    #: Comparisons spent building the failure tables.
    steps: int


def _failure(text: str) -> tuple[tuple[int, ...], int]:
    """The KMP failure table of `text` and the comparisons it took (at most 2·|text|)."""
    table = [0] * len(text)
    steps = 0
    k = 0
    for i in range(1, len(text)):
        while True:
            steps += 1
            if text[i] == text[k]:
                k += 1
                break
            if k == 0:
                break
            k = table[k - 1]
        table[i] = k
    return tuple(table), steps


@lru_cache(maxsize=1024)
def _compile(pattern: str) -> _Glob:
    pieces: list[tuple[int, str]] = []  # (skip before, segment)
    literal: list[str] = []
    skip = 0
    starred = False
    i = 0
    while i < len(pattern):
        j = i
        while j < len(pattern) and pattern[j] in "*?":
            j += 1
        run = pattern[i:j]
        if "*" in run:
            pieces.append((skip, "".join(literal)))
            literal, skip, starred = [], run.count("?"), True
            i = j
        elif run:  # `?` with no `*` in its run: a one-character hole in the segment
            literal.append(run)
            i = j
        else:
            literal.append(pattern[i])
            i += 1
    if not starred:
        return _Glob("".join(literal), (), None, 0)
    pieces.append((skip, "".join(literal)))
    steps = 0
    segments: list[_Segment] = []
    for before, text in pieces[1:]:
        table: tuple[int, ...] = ()
        if "?" not in text:
            table, spent = _failure(text)
            steps += spent
        segments.append(_Segment(text, before, table))
    return _Glob(pieces[0][1], tuple(segments[:-1]), segments[-1], steps)


def _agrees(segment: str, value: str, start: int, holes: bool) -> tuple[bool, int]:
    """Whether `segment` matches `value` at `start`.

    `?` in `segment` matches any character; so does a `?` in `value` if `holes`.
    """
    steps = 0
    for offset, wanted in enumerate(segment):
        steps += 1
        found = value[start + offset]
        if wanted not in (found, "?") and not (holes and found == "?"):
            return False, steps
    return True, steps


def _find(segment: _Segment, value: str, start: int, end: int, holes: bool) -> tuple[int, int]:
    """Leftmost `i >= start` with `segment` at `value[i:]` ending by `end`; -1 if none.

    `segment` is a middle one, never empty: a run of wildcards is cut whole, so
    a literal character separates it from the next.
    """
    text = segment.text
    size = len(text)
    steps = 0
    if segment.failure and not holes:
        # Knuth-Morris-Pratt: `i` only moves forward, `k` falls back through the table.
        table = segment.failure
        k = 0
        for i in range(start, end):
            char = value[i]
            while True:
                steps += 1
                if char == text[k]:
                    k += 1
                    break
                if k == 0:
                    break
                k = table[k - 1]
            if k == size:
                return i - size + 1, steps
        return -1, steps
    for i in range(start, end - size + 1):
        agrees, spent = _agrees(text, value, i, holes)
        steps += spent
        if agrees:
            return i, steps
    return -1, steps


def _match(glob: _Glob, value: str, holes: bool = False) -> tuple[bool, int]:
    head, tail = glob.head, glob.tail
    if tail is None:
        if len(head) != len(value):
            return False, 1
        return _agrees(head, value, 0, holes)
    limit = len(value) - len(tail.text) - tail.skip
    position = len(head)
    if position > limit:
        return False, 1
    agrees, steps = _agrees(head, value, 0, holes)
    if not agrees:
        return False, steps
    agrees, spent = _agrees(tail.text, value, len(value) - len(tail.text), holes)
    steps += spent
    if not agrees:
        return False, steps
    for segment in glob.middle:
        position += segment.skip
        found, spent = _find(segment, value, position, limit, holes)
        steps += spent
        if found < 0:
            return False, steps
        position = found + len(segment.text)
    return position <= limit, steps + 1


def counted_match(pattern: str, value: str) -> tuple[bool, int]:
    """`wildcard_match` and the character comparisons it took (tables included)."""
    glob = _compile(pattern)
    matched, steps = _match(glob, value)
    return matched, steps + glob.steps


def wildcard_match(pattern: str, value: str) -> bool:
    """Whether IAM resource pattern `pattern` matches `value` (`*` crosses `/`).

    Linear in `len(pattern) + len(value)` for patterns whose `?` sit next to
    a `*` (every pattern this package writes), and never worse than their
    product; see the module docstring.
    """
    return _match(_compile(pattern), value)[0]


def _compatible(first: str, second: str, from_end: bool) -> tuple[bool, int]:
    """Whether two `?`-holed segments agree on their common length (at the start or end)."""
    common = min(len(first), len(second))
    if from_end:
        first, second = first[len(first) - common :], second[len(second) - common :]
    steps = 0
    for a, b in zip(first[:common], second[:common], strict=True):
        steps += 1
        if a != b and "?" not in (a, b):
            return False, steps
    return True, steps + 1


def counted_overlap(first: str, second: str) -> tuple[bool, int]:
    """`overlap` and the character comparisons it took (tables included)."""
    one, two = _compile(first), _compile(second)
    steps = one.steps + two.steps
    if one.tail is not None and two.tail is not None:
        heads, spent = _compatible(one.head, two.head, from_end=False)
        if not heads:
            return False, steps + spent
        tails, more = _compatible(one.tail.text, two.tail.text, from_end=True)
        return tails, steps + spent + more
    if one.tail is None and two.tail is None:
        if len(one.head) != len(two.head):
            return False, steps + 1
        same, spent = _compatible(one.head, two.head, from_end=False)
        return same, steps + spent
    glob, string = (one, two.head) if two.tail is None else (two, one.head)
    matched, spent = _match(glob, string, holes="?" in string)
    return matched, steps + spent


def overlap(first: str, second: str) -> bool:
    """Whether some string matches both IAM patterns (`*` any run, `?` one character)."""
    return counted_overlap(first, second)[0]
