"""A verifier only `verify_async` can run (a `custom_check_async`) is refused where a
synchronous adapter is built, never left to fail on every request: one row per
synchronous adapter (Flask, DRF and the Lambda authorizer have theirs beside
their own tests)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pytest
from integration_support import configure_django

pytest.importorskip("django")

from django.conf import settings

if not settings.configured:  # by another test module, or a docs page
    configure_django(__name__)

from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from cognito_jwt import CognitoJwtVerifier, ConfigurationError
from cognito_jwt.testing import FakeCognitoPool

POOL = FakeCognitoPool()


async def _still_signed_in(header: Mapping[str, Any], claims: Mapping[str, Any]) -> None:
    """An async check, as a session lookup would be."""


def _async_only() -> CognitoJwtVerifier:
    verifier = POOL.verifier("access", custom_check_async=_still_signed_in)
    assert verifier.requires_async
    return verifier


def _ninja() -> object:
    from cognito_jwt.integrations.ninja import CognitoBearer

    return CognitoBearer(_async_only())


def _powertools() -> object:
    from cognito_jwt.integrations.powertools import CognitoAuthMiddleware

    return CognitoAuthMiddleware(_async_only())


def _django() -> object:
    from cognito_jwt.integrations.django import get_verifier

    with override_settings(COGNITO_JWT={"VERIFIER": _async_only()}):
        return get_verifier()


SYNC_ADAPTERS: list[tuple[str, Callable[[], object], type[Exception]]] = [
    ("django-ninja CognitoBearer", _ninja, ConfigurationError),
    ("Powertools CognitoAuthMiddleware", _powertools, ConfigurationError),
    ("Django settings.COGNITO_JWT['VERIFIER']", _django, ImproperlyConfigured),
]


@pytest.mark.parametrize(
    ("build", "error"),
    [(build, error) for _, build, error in SYNC_ADAPTERS],
    ids=[name for name, _, _ in SYNC_ADAPTERS],
)
def test_a_sync_adapter_refuses_a_verifier_only_verify_async_can_run(
    build: Callable[[], object], error: type[Exception]
) -> None:
    with pytest.raises(error, match="verify_async"):
        build()
