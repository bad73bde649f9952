"""Every integration refuses what is no verifier instance where it is built, in one shape.

A row per integration and slip (the verifier class instead of an instance, a
pool id where the verifier belongs, `None`): refused when the integration is
built, and the message names where, says what was expected and what was found,
and gives the fix.  One helper (`integrations._common.checked_verifier`) writes
them all, so the messages cannot drift apart again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from integration_support import configure_django

pytest.importorskip("django")
pytest.importorskip("rest_framework")

from django.conf import settings as django_settings

if not django_settings.configured:  # by another test module, or a docs page
    configure_django(__name__)

pytest.importorskip("ninja")  # reads Django's settings when imported
pytest.importorskip("flask")
pytest.importorskip("fastapi")
pytest.importorskip("litestar")
pytest.importorskip("aws_lambda_powertools")

from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings
from flask import Flask

from cognito_jwt import CognitoJwtVerifier, ConfigurationError
from cognito_jwt.integrations import django as cognito_django
from cognito_jwt.integrations import drf, fastapi, flask, litestar, ninja, powertools, starlette

urlpatterns: list[Any] = []


def _django(verifier: object) -> object:
    with override_settings(COGNITO_JWT={"VERIFIER": verifier}):
        return cognito_django.get_verifier()


def _drf(verifier: object) -> object:
    with override_settings(COGNITO_JWT={"VERIFIER": verifier}):
        return drf.get_verifier()


async def _asgi(scope: Any, receive: Any, send: Any) -> None:  # pragma: no cover - never run
    del scope, receive, send


#: (integration, how it is built from `verifier`, where the message says, the method it calls).
ADAPTERS: list[tuple[str, Callable[[Any], object], str, str]] = [
    ("fastapi", fastapi.CognitoAuth, "CognitoAuth(verifier)", "verify_async"),
    ("starlette", starlette.CognitoAuthBackend, "CognitoAuthBackend(verifier)", "verify_async"),
    (
        "litestar",
        lambda v: litestar.CognitoAuthMiddleware(_asgi, verifier=v),
        "CognitoAuthMiddleware(verifier)",
        "verify_async",
    ),
    ("ninja", ninja.CognitoBearer, "CognitoBearer(verifier)", "verify"),
    ("powertools", powertools.CognitoAuthMiddleware, "CognitoAuthMiddleware(verifier)", "verify"),
    ("flask require_auth", flask.require_auth, "require_auth(verifier)", "verify"),
    (
        "flask CognitoJwt",
        lambda v: flask.CognitoJwt(Flask(__name__), verifier=v),
        "CognitoJwt(verifier=...)",
        "verify",
    ),
    ("django", _django, "settings.COGNITO_JWT['VERIFIER']", "verify"),
    ("drf", _drf, "settings.COGNITO_JWT['VERIFIER']", "verify"),
]

#: Where `None` means "build the verifier from the settings" rather than a slip.
NONE_MEANS_SETTINGS = {"flask require_auth", "flask CognitoJwt", "django", "drf"}
#: Where a string is a dotted path to import.
STRING_IS_A_PATH = {"django", "drf"}

#: (slip, what is passed, how the message names it).
SLIPS: list[tuple[str, object, str]] = [
    ("the class", CognitoJwtVerifier, "found the class CognitoJwtVerifier"),
    ("a pool id", "us-east-1_AbCdEf123", "found 'us-east-1_AbCdEf123'"),
    ("None", None, "found None"),
]
CASES = [
    pytest.param(
        build,
        where,
        method,
        verifier,
        found
        + (", which is no importable dotted path" if isinstance(verifier, str) else "")
        * (adapter in STRING_IS_A_PATH),
        id=f"{adapter}: {slip}",
    )
    for adapter, build, where, method in ADAPTERS
    for slip, verifier, found in SLIPS
    if not (verifier is None and adapter in NONE_MEANS_SETTINGS)
]


@pytest.mark.parametrize(("build", "where", "method", "verifier", "found"), CASES)
def test_what_is_no_verifier_instance_is_refused_with_where_expected_found_and_fix(
    build: Callable[[Any], object], where: str, method: str, verifier: object, found: str
) -> None:
    with pytest.raises((ConfigurationError, ImproperlyConfigured)) as caught:
        build(verifier)
    message = str(caught.value)
    expected = f"{where}: expected a verifier instance (an object with {method}()), {found}; "
    assert message.startswith(expected), message
    fix = message.removeprefix(expected)
    assert "CognitoJwtVerifier(" in fix or "require_auth(groups=" in fix, fix


def test_a_group_given_where_the_flask_verifier_belongs_is_told_groups_are_keywords() -> None:
    with pytest.raises(ConfigurationError) as caught:
        flask.require_auth("admin")  # type: ignore[call-overload]
    assert str(caught.value).endswith(
        "found 'admin'; groups and scopes are keywords: require_auth(groups='admin')"
    )
