"""Reading the token from a request's headers, in whichever form the framework keeps them.

Which headers (the verifier's `token_headers`), how `Authorization` is read,
and why a header sent twice is refused: see `cognito_jwt.http`'s docstring,
the documented home of `request_token` and `Headers`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, TypeAlias

from cognito_jwt._http_answer import rejection
from cognito_jwt._token import bearer_credentials
from cognito_jwt.errors import InvalidRequestError

__all__ = ["AUTHORIZATION", "DEFAULT_TOKEN_HEADERS", "Headers", "request_token"]

#: The header RFC 6750 puts the bearer token in.
AUTHORIZATION = "Authorization"
#: Where a verifier without a `token_headers` attribute finds its token.
DEFAULT_TOKEN_HEADERS: tuple[str, ...] = (AUTHORIZATION,)

#: What `headers` may be: see `cognito_jwt.http`'s docstring.
Headers: TypeAlias = (
    Mapping[str, Any]
    | Callable[[str], "str | None"]
    | Iterable[tuple["str | bytes", "str | bytes"]]
)


def _values(headers: Headers, name: str) -> list[str]:
    """Every value of header `name` (case-insensitive) that `headers` shows."""
    lowered = name.lower()
    getlist = getattr(headers, "getlist", None)
    if callable(getlist):  # Starlette, Werkzeug: case-insensitive, every value
        return [_text(v) for v in getlist(name)]
    if isinstance(headers, Mapping):
        found: list[str] = []
        for key, value in headers.items():
            if isinstance(key, str | bytes) and _text(key).lower() == lowered:
                if isinstance(value, list | tuple):
                    found.extend(_text(v) for v in value)
                elif value is not None:
                    found.append(_text(value))
        return found
    if callable(headers):
        value = headers(name)
        return [] if value is None else [_text(value)]
    wanted_bytes = lowered.encode("latin-1")
    values: list[str] = []
    for key, value in headers:
        if isinstance(key, bytes):
            if key.lower() == wanted_bytes:
                values.append(_text(value))
        elif key.lower() == lowered:
            values.append(_text(value))
    return values


def _text(value: object) -> str:
    """A header name or value as text: bytes are ISO-8859-1 (RFC 9110 5.5), never failing."""
    return value.decode("latin-1") if isinstance(value, bytes) else str(value)


def _joined(value: str) -> bool:
    """True if `value` is several token-carrying values a server joined with commas."""
    if "," not in value:
        return False
    first, *rest = value.split(",")
    return bearer_credentials(first) is not None or any(
        part.strip().lower().startswith("bearer ") for part in rest
    )


def request_token(
    verifier: object,
    headers: Headers,
    *,
    realm: str | None = None,
    method: str | None = None,
    path: str | None = None,
) -> str | None:
    """The token `verifier` should see, or `None` when the request carries none.

    The headers are those the verifier's `token_headers` names (see `cognito_jwt.http`'s
    docstring).  An adapter with an "optional authentication" mode calls this
    first: `None` means anonymous, a token goes to `authenticate` or the
    verifier.

    Raises:
        Rejection: 400 `invalid_request` (`duplicate_header`): a header that
            carries the token came more than once, so which one the server
            meant is a guess (RFC 6750 section 3.1).
    """
    if isinstance(headers, Iterator):  # a generator of pairs: read once, keep for each name
        headers = list(headers)
    for name in getattr(verifier, "token_headers", DEFAULT_TOKEN_HEADERS):
        values = _values(headers, name)
        if not values:
            continue
        if len(values) > 1 or _joined(values[0]):
            error = InvalidRequestError(
                f"header {name}: expected one value, found {len(values)} "
                f"(or several joined by the server)"
            )
            raise rejection(error, realm=realm, method=method, path=path)
        value = values[0]
        token = bearer_credentials(value) if name.lower() == "authorization" else value.strip()
        if token:
            return token
    return None
