"""Every exception cognito_jwt raises, in one hierarchy.

A caller protecting an API needs exactly one decision from an error: which HTTP
status to answer.  Each class therefore carries ``status_code`` and a stable,
machine-readable ``reason`` (safe to log, to count in metrics and to branch on;
the human message may be reworded between releases, the reason may not).

Hierarchy::

    CognitoJwtError                      base of everything below
    ├── InvalidTokenError                401  the token must not be trusted
    │   ├── MalformedTokenError              not a well-formed compact JWS / JSON
    │   ├── UnsupportedAlgorithmError        header ``alg`` not in the allow-list
    │   ├── UnknownKeyError                  ``kid`` not in the JWKS (or unusable)
    │   ├── InvalidSignatureError            signature does not verify
    │   ├── TokenExpiredError                ``exp`` is in the past
    │   ├── TokenNotYetValidError            ``nbf`` / ``iat`` in the future
    │   ├── InvalidIssuerError               ``iss`` is not a configured issuer
    │   ├── InvalidAudienceError             ``aud`` / ``client_id`` not allowed
    │   ├── InvalidTokenUseError             ``token_use`` is not the one required
    │   ├── MissingClaimError                a required claim is absent
    │   ├── InvalidClaimError                a claim has the wrong type, or the
    │   │                                    caller's ``custom_check`` rejected it
    │   ├── InsufficientUserAuthenticationError
    │   │                                    the sign-in (``acr``, ``auth_time``) is
    │   │                                    weaker or older than required (RFC 9470)
    │   └── TokenRevokedError                signed out, revoked, disabled or deleted
    ├── AccessDeniedError                403  authentic token, but not allowed
    │   ├── MissingGroupError                required ``cognito:groups`` absent
    │   └── MissingScopeError                required ``scope`` absent
    ├── InvalidRequestError              400  the request is malformed (its token
    │                                        header came twice), not the token
    ├── JwksUnavailableError             503  keys could not be obtained
    ├── RevocationUnavailableError       503  whether it is revoked could not be told
    └── ConfigurationError (ValueError)  500  the verifier was built wrongly

Messages state what was expected and what was found, and never include the
token.  Claim values quoted in messages are truncated, so a hostile token cannot
flood a log line.  Callers who want the (verified) claims for logging opt in
with ``include_claims_in_errors=True`` on the verifier; they land in
`CognitoJwtError.claims`, never in the message.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

__all__ = [
    "AccessDeniedError",
    "CognitoJwtError",
    "ConfigurationError",
    "InsufficientUserAuthenticationError",
    "InvalidAudienceError",
    "InvalidClaimError",
    "InvalidIssuerError",
    "InvalidRequestError",
    "InvalidSignatureError",
    "InvalidTokenError",
    "InvalidTokenUseError",
    "JwksUnavailableError",
    "MalformedTokenError",
    "MissingClaimError",
    "MissingGroupError",
    "MissingScopeError",
    "RevocationUnavailableError",
    "TokenExpiredError",
    "TokenNotYetValidError",
    "TokenRevokedError",
    "UnknownKeyError",
    "UnsupportedAlgorithmError",
]

_MAX_SHOWN = 80
_NO_PARAMS: Mapping[str, str] = MappingProxyType({})


def shown(value: object) -> str:
    """Render a found value for a message: ``repr``, cut to a bounded length.

    Messages quote attacker-controlled values; bounding them keeps a 1 MB claim
    out of the logs while still showing enough to debug a misconfiguration.
    A value nested too deeply for ``repr`` (JSON the parser accepted, rendered
    from deeper in the stack) is named by its type, so a message never raises.
    """
    try:
        text = repr(value)
    except RecursionError:
        text = f"<{type(value).__name__} nested too deeply to show>"
    if len(text) > _MAX_SHOWN:
        return text[: _MAX_SHOWN - 3] + "..."
    return text


def expected_found(what: str, expected: object, found: object) -> str:
    """The one message shape for claim mismatches: what, expected, found."""
    return f"{what}: expected {expected}, found {shown(found)}"


class CognitoJwtError(Exception):
    """Base class of every error raised by cognito_jwt.

    Attributes:
        reason: stable machine-readable code, e.g. ``"token_expired"``.
        status_code: the HTTP status a server should answer with.
        claims: the token's claims, only when the verifier was built with
            ``include_claims_in_errors=True`` and the signature had verified.
        challenge_error: the RFC 6750 ``error`` code of the
            ``WWW-Authenticate`` challenge answering this error; `None` lets
            `cognito_jwt.http` pick it from the status (401 ``invalid_token``,
            403 ``insufficient_scope``, 400 ``invalid_request``).
        challenge_params: further auth-params for that challenge (RFC 9470's
            ``acr_values`` and ``max_age``, say); empty by default.
    """

    status_code: int = 401
    default_reason: str = "error"
    challenge_error: str | None = None

    def __init__(self, message: str, *, reason: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.reason: str = reason or self.default_reason
        self.claims: dict[str, Any] | None = None

    @property
    def challenge_params(self) -> Mapping[str, str]:
        """Further auth-params for the ``WWW-Authenticate`` challenge (none by default)."""
        return _NO_PARAMS

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, reason={self.reason!r})"


class InvalidTokenError(CognitoJwtError):
    """The token must not be trusted. Answer **401** (``WWW-Authenticate: Bearer``)."""

    status_code = 401
    default_reason = "invalid_token"


class MalformedTokenError(InvalidTokenError):
    """Not a well-formed compact JWS: segments, base64url, JSON, size or header shape.

    Raised before any key is looked up, so garbage never costs a JWKS fetch.
    """

    default_reason = "malformed_token"


class UnsupportedAlgorithmError(InvalidTokenError):
    """The header's ``alg`` is not in the verifier's allow-list (e.g. ``none``, ``HS256``)."""

    default_reason = "unsupported_algorithm"


class UnknownKeyError(InvalidTokenError):
    """No usable key with the token's ``kid``, even after the allowed refetch.

    A 401, not a 503: the keys *were* obtained, and this token names none of them.
    """

    default_reason = "unknown_kid"


class InvalidSignatureError(InvalidTokenError):
    """The signature does not verify with the key the ``kid`` names."""

    default_reason = "invalid_signature"


class TokenExpiredError(InvalidTokenError):
    """``exp`` is at or before the current time minus the leeway."""

    default_reason = "token_expired"


class TokenNotYetValidError(InvalidTokenError):
    """``nbf`` or ``iat`` lies in the future by more than the leeway."""

    default_reason = "token_not_yet_valid"


class InvalidIssuerError(InvalidTokenError):
    """``iss`` is not one of the issuers this verifier was configured for."""

    default_reason = "invalid_issuer"


class InvalidAudienceError(InvalidTokenError):
    """``aud`` (ID tokens, generic JWTs) or ``client_id`` (access tokens) not allowed."""

    default_reason = "invalid_audience"


class InvalidTokenUseError(InvalidTokenError):
    """``token_use`` is not the one required (an ID token offered as access token, ...)."""

    default_reason = "invalid_token_use"


class MissingClaimError(InvalidTokenError):
    """A claim the verifier requires is absent (``exp``, ``iss``, ``client_id``, ...)."""

    default_reason = "missing_claim"


class InvalidClaimError(InvalidTokenError):
    """A claim has the wrong type or value, or the caller's ``custom_check`` rejected it."""

    default_reason = "invalid_claim"


class InsufficientUserAuthenticationError(InvalidTokenError):
    """The user's sign-in is weaker or older than required: step up. Answer **401**.

    Raised by a step-up demand (`acr_values=`, `min_acr_level=`,
    `max_auth_age=`) when `acr` is absent or not accepted, or `auth_time` is
    absent or too old.  A 401 like every `InvalidTokenError`, so whatever
    answers those answers it.  `challenge_error` and `challenge_params` are
    the RFC 9470 challenge (`error="insufficient_user_authentication"`,
    `acr_values`, `max_age`) that tells the client what sign-in to obtain.

    Attributes:
        acr_values: the accepted `acr` values in order of preference (`()`:
            no `acr` demand).
        max_age: the oldest sign-in accepted, in seconds (`None`: no age demand).
    """

    default_reason = "insufficient_user_authentication"
    #: The challenge's `error` code (RFC 9470 section 3).
    challenge_error = "insufficient_user_authentication"

    def __init__(
        self,
        message: str,
        *,
        reason: str | None = None,
        acr_values: tuple[str, ...] = (),
        max_age: int | None = None,
    ) -> None:
        super().__init__(message, reason=reason)
        self.acr_values = acr_values
        self.max_age = max_age

    @property
    def challenge_params(self) -> dict[str, str]:
        """The challenge's `acr_values` (space-separated) and `max_age`, where demanded."""
        params = {}
        if self.acr_values:
            params["acr_values"] = " ".join(self.acr_values)
        if self.max_age is not None:
            params["max_age"] = str(self.max_age)
        return params


class TokenRevokedError(InvalidTokenError):
    """The token verifies, but its session ended: signed out, revoked, disabled or deleted.

    Raised by a verifier's `revocation=` (`cognito_jwt.revocation`): a
    revocation list the application writes, or a live check against Cognito.
    A 401: the client must sign in again.
    """

    default_reason = "token_revoked"


class AccessDeniedError(CognitoJwtError):
    """The token is authentic and valid but does not grant this request. Answer **403**."""

    status_code = 403
    default_reason = "access_denied"


class MissingGroupError(AccessDeniedError):
    """None (or, with ``require_all_groups``, not all) of the required groups is present."""

    default_reason = "missing_group"


class MissingScopeError(AccessDeniedError):
    """None (or, with ``require_all_scopes``, not all) of the required scopes is present."""

    default_reason = "missing_scope"


class InvalidRequestError(CognitoJwtError):
    """The request, not its token, is malformed. Answer **400** (RFC 6750 ``invalid_request``).

    Raised by `cognito_jwt.http` when the header carrying the token came more
    than once (reason ``duplicate_header``): which value the server meant is a
    guess, and RFC 6750 section 3.1 answers such a request 400.
    """

    status_code = 400
    default_reason = "duplicate_header"
    challenge_error = "invalid_request"


class JwksUnavailableError(CognitoJwtError):
    """The signing keys could not be obtained, and no usable cached copy exists.

    Answer **503**: the token may well be valid; the caller cannot tell right now.
    """

    status_code = 503
    default_reason = "jwks_unavailable"

    def __init__(
        self, message: str, *, reason: str | None = None, http_status: int | None = None
    ) -> None:
        super().__init__(message, reason=reason)
        #: The HTTP status the JWKS endpoint answered, when it answered one
        #: (reason `jwks_http_status`); `None` otherwise.
        self.http_status = http_status


class RevocationUnavailableError(CognitoJwtError):
    """Whether the token was revoked could not be told: the revocation store or
    Cognito did not answer, or the live check's rate bound was reached.

    Answer **503**, like `JwksUnavailableError`: the token may well be valid.
    A verifier accepts instead only when its revocation was built with
    `fail_open=True` (and then reports it to its hook).  Reasons:
    `revocation_unavailable`, `revocation_rate_limited`.
    """

    status_code = 503
    default_reason = "revocation_unavailable"


class ConfigurationError(CognitoJwtError, ValueError):
    """The verifier was built with invalid or missing settings.

    Raised by constructors, never by ``verify``; also a `ValueError`.
    """

    status_code = 500
    default_reason = "configuration_error"
