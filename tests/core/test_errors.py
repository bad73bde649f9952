"""cognito_jwt.errors: one hierarchy, each class with its status and reason.

And the helpers that write the messages never raise, whatever they quote.
"""

from __future__ import annotations

from typing import Any

import cognito_jwt
from cognito_jwt import (
    ConfigurationError,
    InvalidTokenError,
    JwksUnavailableError,
    MalformedTokenError,
    MissingGroupError,
    errors,
)
from cognito_jwt.errors import shown


def nested(depth: int) -> Any:
    value: Any = "leaf"
    for i in range(depth):
        value = [value] if i % 2 else {"k": value}
    return value


def test_shown_never_raises_on_deeply_nested_values() -> None:
    """An error message quoting a deeply nested value never raises."""
    text = shown(nested(100_000))
    assert len(text) <= 80


def test_every_error_maps_to_its_status() -> None:
    assert issubclass(MalformedTokenError, InvalidTokenError)
    assert InvalidTokenError("x").status_code == 401
    assert MissingGroupError("x").status_code == 403
    assert ConfigurationError("x").status_code == 500
    assert JwksUnavailableError("x").status_code == 503


def test_every_error_is_exported_and_documents_its_status() -> None:
    for name in errors.__all__:
        cls = getattr(errors, name)
        assert getattr(cognito_jwt, name) is cls
        assert issubclass(cls, errors.CognitoJwtError)
        assert cls.status_code in (400, 401, 403, 500, 503)
        assert cls.default_reason
        assert cls.__doc__
        assert name in (errors.__doc__ or "")
