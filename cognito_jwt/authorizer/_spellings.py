"""The other spellings of a request that a cached policy must deny.

A backend may read a request differently from its ARN: Starlette, Werkzeug
and Django decode `%XX` before routing, nginx merges slashes and resolves dot
segments, Werkzeug upper-cases the method.  So `DELETE /%6Eews`, `DELETE
//news`, `DELETE /x/../news` and `delete /news` may all reach the `DELETE
/news` handler.  AWS does not document whether API Gateway puts the path into
`methodArn`/`routeArn` decoded, slash-merged or case-folded, so the fail-closed
reading is that any spelling can appear there.

The handler answers those spellings itself (`_events` gives the rule every
decoded spelling), but its policy is cached and reused for the token's later
requests, and IAM wildcards cannot say "decodes to".  So for a caller who lacks
a group some key needs (the methods of those keys: M), the policy denies:

* each denied pattern with its method in any letter case
  (`case_variants`: `DELETE/news` becomes `D?????/news` and `d?????/news`,
  which match every case of `DELETE` and no other of the seven methods; the
  three `P` methods keep two letters, `PATCH/news` becomes `PA???/news`,
  `Pa???/news`, `pA???/news` and `pa???/news`, since a `?` also matches the
  `/` after a shorter method);
* for the methods in M, in any letter case, every path holding `%`, `//`,
  `/./` or `/../` (`odd_spelling_patterns`); for all seven methods at once,
  one method-free pattern per mark.

That over-denies ordinary encoded paths (`GET /users/a%40b.com` for a caller
outside `admin` under `"* /admin/*"`): a visible 403, where under-denying would
be a privilege escalation.  `docs/lambda-authorizer.md` has the table.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from cognito_jwt.authorizer._events import HTTP_METHODS

__all__ = ["ODD_MARKS", "case_variants", "odd_spelling_patterns"]

#: What a path holds when a backend may read it as another path.
ODD_MARKS: Final = ("%", "//", "/./", "/../")
_METHOD_TOKENS: Final = frozenset((*HTTP_METHODS, "ANY"))
#: Methods whose first letter no other of the seven shares: `D*` can only be DELETE.
_OWN_LETTER: Final = frozenset(m for m in HTTP_METHODS if m[0] != "P")


def _heads(method: str) -> tuple[str, ...]:
    """`DELETE` -> `("D?????", "d?????")`: every letter case of it, no other method.

    The letters kept are the shortest prefix no other of the seven methods
    shares (`D`, `G`, `H`, `O`; `PA`, `PO`, `PU`), in every letter case, and
    each `?` stands for one more letter.  The length alone cannot tell two
    methods apart, because a `?` also matches the `/` and the path after a
    shorter method: `P????/*` (meant for PATCH) would hold `PUT/a/b`.
    """
    size = 2 if method[0] == "P" else 1
    rest = "?" * (len(method) - size)
    heads = [""]
    for letter in method[:size]:
        heads = [h + c for h in heads for c in (letter, letter.lower())]
    return tuple(h + rest for h in heads)


def case_variants(pattern: str, *, every_method: bool = False) -> tuple[str, ...]:
    """A pattern that starts with a method, for every letter case of that method.

    `DELETE/news` -> `("D?????/news", "d?????/news")`; anything else (`*`,
    `$default`) is returned as it is.  With `every_method` (the key covers all
    seven methods anyway), one `?` per letter: `??????/news`, which also
    covers the 3- to 7-letter methods outside the seven.
    """
    cut = min((i for i in (pattern.find("/"), pattern.find(" ")) if i >= 0), default=-1)
    method = pattern[:cut] if cut >= 0 else pattern
    if method not in _METHOD_TOKENS:
        return (pattern,)
    rest = pattern[len(method) :]
    if every_method:
        return ("?" * len(method) + rest,)
    return tuple(f"{head}{rest}" for head in _heads(method))


def odd_spelling_patterns(methods: Iterable[str]) -> tuple[str, ...]:
    """Patterns (relative to the stage) of every oddly spelled path of `methods`.

    `methods` are upper-case HTTP methods; anything else in it is ignored.
    """
    wanted = set(methods) & set(HTTP_METHODS)
    if not wanted:
        return ()
    if wanted == set(HTTP_METHODS):
        return tuple(f"*{mark}*" for mark in ODD_MARKS)
    found: list[str] = []
    for method in HTTP_METHODS:
        if method not in wanted:
            continue
        if method in _OWN_LETTER:
            # `D*//*` holds DELETE//news and DELETE/a//b alike: no other method starts with D.
            for head in (method[0], method[0].lower()):
                found += [f"{head}*{mark}*" for mark in ODD_MARKS]
            continue
        # POST, PUT, PATCH: the `/` after the method pins its length.
        for head in _heads(method):
            found.append(f"{head}/*%*")
            for mark in ODD_MARKS[1:]:
                found += [f"{head}{mark}*", f"{head}/*{mark}*"]
    return tuple(found)
