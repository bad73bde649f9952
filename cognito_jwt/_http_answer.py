"""The HTTP answer to a refused request: status, RFC 6750 challenge and body, logged.

`rejection` is the one home of the token-to-HTTP mapping documented in
`cognito_jwt.http` (which re-exports `Rejection`, `rejection`, `check_realm`
and `MISSING_TOKEN`, their documented home).
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

from cognito_jwt.errors import CognitoJwtError, ConfigurationError

if TYPE_CHECKING:
    from cognito_jwt._requirement import Requirement

__all__ = ["MISSING_TOKEN", "Rejection", "check_realm", "rejection"]

logger = logging.getLogger("cognito_jwt.integrations")

#: `reason` (and body `error`) of a request that carried no token.
MISSING_TOKEN = "missing_token"  # noqa: S105 - a reason code, not a secret


class Rejection(Exception):
    """The HTTP answer to a request that must not reach the handler.

    Raised by `authenticate`, `authenticate_async`, `authorize` and
    `request_token`; an adapter turns it into its framework's response as it
    is.  It is not a `CognitoJwtError`: it is what the client is told, built
    from one (`error`) or from the absence of a token.

    Attributes:
        status_code: 400, 401, 403 or 503 (500 for an error of the server's own).
        headers: `{"WWW-Authenticate": ...}` when the status calls for a
            challenge, else empty.
        body: `{"error": ..., "reason": ...}`, safe to show any client.
        reason: the stable reason code, as in the body.
        error: the library error behind it; `None` when no token was sent.
    """

    def __init__(
        self,
        status_code: int,
        headers: dict[str, str],
        body: dict[str, str],
        error: CognitoJwtError | None,
    ) -> None:
        super().__init__(f"{status_code} {body['reason']}")
        self.status_code = status_code
        self.headers = headers
        self.body = body
        self.reason: str = body["reason"]
        self.error = error

    def __repr__(self) -> str:
        return f"Rejection({self.status_code}, reason={self.reason!r})"


#: The challenge's `error` code by status, for errors that name none.
_CHALLENGE_ERRORS = {400: "invalid_request", 401: "invalid_token", 403: "insufficient_scope"}
#: The body's `error` for statuses that carry no challenge.
_BODY_ERRORS = {503: "temporarily_unavailable"}
#: How much of a request's path a log line shows.
_MAX_SHOWN = 200
#: An RFC 9110 token: what an auth-param name may be.
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


def _header_safe(text: str) -> bool:
    """True if `text` may go inside a quoted auth-param unescaped (RFC 6750's set)."""
    return all(0x20 <= ord(char) <= 0x7E and char not in '"\\' for char in text)


def check_realm(realm: str | None) -> str | None:
    """`realm` if it can be quoted into a challenge safely.

    Raises:
        ConfigurationError: a quote, a backslash or a control character, which
            would break (or inject into) the header.
    """
    if realm is not None and (not isinstance(realm, str) or not _header_safe(realm)):
        raise ConfigurationError(
            f"realm: expected printable ASCII without '\"' or '\\', found {realm!r}"
        )
    return realm


def rejection(
    error: CognitoJwtError | None,
    *,
    realm: str | None = None,
    requirement: Requirement | None = None,
    method: str | None = None,
    path: str | None = None,
) -> Rejection:
    """The `Rejection` answering `error` (`None`: the request carried no token), logged.

    The one home of the token-to-HTTP mapping (the table in `cognito_jwt.http`'s
    docstring).  The status is the error's `status_code`, so a new error class
    is answered correctly without touching this function; see that module's
    docstring for the attributes it reads.

    Args:
        error: what the verifier or the requirement raised, or `None`.
        realm: the challenge's `realm`, if any.
        requirement: the route's requirement; a 403 lists its scopes in the
            challenge's `scope`.
        method: the request's method, for the log line.
        path: the request's path, for the log line.
    """
    _log(error, method, path)
    params = [f'realm="{realm}"'] if realm is not None and _header_safe(realm) else []
    if error is None:
        challenge = "Bearer " + ", ".join(params) if params else "Bearer"
        body = {"error": MISSING_TOKEN, "reason": MISSING_TOKEN}
        return Rejection(401, {"WWW-Authenticate": challenge}, body, None)
    status = error.status_code
    code = error.challenge_error or _CHALLENGE_ERRORS.get(status)
    headers: dict[str, str] = {}
    if code is not None and _header_safe(code):
        params.append(f'error="{code}"')
        if _header_safe(error.reason):
            params.append(f'error_description="{error.reason}"')
        scopes = requirement.challenge_scopes if requirement is not None else ()
        if status == 403 and scopes and all(_header_safe(s) for s in scopes):
            params.append(f'scope="{" ".join(scopes)}"')
        params.extend(_extra_params(error))
        headers["WWW-Authenticate"] = "Bearer " + ", ".join(params)
    body_code = code or _BODY_ERRORS.get(status, "server_error")
    return Rejection(status, headers, {"error": body_code, "reason": error.reason}, error)


def _extra_params(error: CognitoJwtError) -> list[str]:
    """The `challenge_params` an error class declares, as safe `name="value"` pairs."""
    extra = error.challenge_params
    if not extra:
        return []
    params = []
    for name, value in dict(extra).items():
        text = str(value)
        if isinstance(name, str) and _TOKEN.fullmatch(name) and _header_safe(text):
            params.append(f'{name}="{text}"')
        else:
            logger.error("challenge parameter %r left out: not safe in a header", name)
    return params


def _shown(text: str) -> str:
    """A request's method or path for a log line: the client wrote it, so escaped and cut."""
    if not text.isprintable():
        text = text.encode("unicode_escape").decode("ascii")
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 3] + "..."


def _log(error: CognitoJwtError | None, method: str | None, path: str | None) -> None:
    """Log a rejection at the level of who must act: client (INFO), operator (WARNING)."""
    where = f" {_shown(method or '-')} {_shown(path or '-')}" if method or path else ""
    if error is None:
        logger.debug("request rejected%s: no bearer token", where)
    elif error.status_code < 500:
        logger.info("request rejected%s (%s): %s", where, error.reason, error.message)
    elif error.status_code == 503:
        logger.warning("request failed%s (%s): %s", where, error.reason, error.message)
    else:
        logger.error("request failed%s (%s): %s", where, error.reason, error.message)
