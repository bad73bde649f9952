"""What a fetched JWKS document means: its parse and how long it stays fresh.

Two decisions about one response, apart from the cache's state machine
(`_jwks.py`): what to parse as the JWKS (`jwks_parser`, for an issuer whose key
document is not a bare JWKS) and how long the keys stay fresh (`max_age`, or
sooner when the response's `Cache-Control` says so, RFC 9111).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from cognito_jwt.errors import JwksUnavailableError

__all__ = ["MIN_CACHE_CONTROL_MAX_AGE", "JwksParser", "lifetime", "parsed"]

#: The shortest life a `Cache-Control` header may give keys: a `max-age=0`,
#: `no-store` or `no-cache` endpoint is asked again after a minute, not per request.
MIN_CACHE_CONTROL_MAX_AGE = 60.0

#: `jwks_parser(body)`: an issuer's key document (the fetched bytes) as a JWKS.
JwksParser = Callable[[bytes], "Mapping[str, Any] | str | bytes"]


def lifetime(body: bytes, max_age: float, *, extends: bool) -> float:
    """Seconds a document fetched as `body` stays fresh.

    ``max_age``, or sooner when the response's `Cache-Control` says so
    (`max-age`, `no-store`, `no-cache`), never below
    `MIN_CACHE_CONTROL_MAX_AGE`; later only if it `extends` (`cache_control_extends`).
    """
    said = getattr(body, "cache_max_age", None)
    if not isinstance(said, int | float):
        return max_age
    wanted = max(float(said), MIN_CACHE_CONTROL_MAX_AGE)
    if wanted < max_age or extends:
        return wanted
    return max_age


def parsed(uri: str, body: bytes, parser: JwksParser | None) -> bytes | str | Mapping[str, Any]:
    """The body, or what `jwks_parser` makes of it (still to be parsed as a JWKS)."""
    if parser is None:
        return body
    try:
        document = parser(body)
    except Exception as exc:
        raise JwksUnavailableError(
            f"JWKS at {uri}: expected jwks_parser to return a JWKS, "
            f"found it raised {type(exc).__name__}",
            reason="jwks_invalid",
        ) from exc
    if not isinstance(document, Mapping | str | bytes):
        raise JwksUnavailableError(
            f"JWKS at {uri}: expected jwks_parser to return a JWKS (a mapping, str or "
            f"bytes), found {type(document).__name__}",
            reason="jwks_invalid",
        )
    return document
