"""A settings-built verifier's `CLIENT_ID`: `None` is refused at start-up, `ANY_CLIENT` is the way.

Flask's `COGNITO_CLIENT_ID` and Django's / DRF's `COGNITO_JWT["CLIENT_ID"]`
are where `os.environ.get("COGNITO_CLIENT_ID")` lands, which reads `None`
when the variable is missing.  The constructor's `client_id=None` (deprecated)
means "any client", and its warning is hidden by Python's default filters when
the settings code makes the call; so the settings path refuses `None`, naming
`ANY_CLIENT`, rather than accept every app client's token with nothing shown.
Each row goes through the framework's own entry point.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from typing import Any

import pytest
from integration_support import configure_django

pytest.importorskip("flask")
pytest.importorskip("rest_framework")

from django.conf import settings as django_settings

if not django_settings.configured:  # by another test module, or a docs page
    configure_django(__name__)

from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from cognito_jwt import ANY_CLIENT, ConfigurationError, InvalidAudienceError
from cognito_jwt.integrations import django as django_integration
from cognito_jwt.integrations import drf
from cognito_jwt.integrations.flask import verifier_from_config
from cognito_jwt.testing import FakeCognitoPool

POOL = FakeCognitoPool("us-east-1_SettingsCl", client_id="ourclient0123456789abcdefg")
MISSING = object()


def settings(client_id: object) -> dict[str, Any]:
    """The three settings a Cognito verifier needs, `CLIENT_ID` as given (or left out)."""
    config: dict[str, Any] = {
        "USER_POOL_ID": POOL.user_pool_id,
        "TOKEN_USE": "id",
        "JWKS": POOL.jwks,
    }
    if client_id is not MISSING:
        config["CLIENT_ID"] = client_id
    return config


def flask(config: Mapping[str, Any]) -> Any:
    return verifier_from_config({f"COGNITO_{key}": value for key, value in config.items()})


def drf_setting(config: Mapping[str, Any]) -> Any:
    with override_settings(COGNITO_JWT=dict(config)):
        return drf.get_verifier()


def django_setting(config: Mapping[str, Any]) -> Any:
    with override_settings(COGNITO_JWT=dict(config)):
        return django_integration.get_verifier()


FRAMEWORKS: dict[str, tuple[Callable[[Mapping[str, Any]], Any], type[Exception]]] = {
    "Flask COGNITO_CLIENT_ID": (flask, ConfigurationError),
    "DRF COGNITO_JWT['CLIENT_ID']": (drf_setting, ImproperlyConfigured),
    "Django COGNITO_JWT['CLIENT_ID']": (django_setting, ImproperlyConfigured),
}


@pytest.mark.parametrize(
    ("client_id", "match"),
    [
        (None, r"CLIENT_ID: expected the app client id\(s\), or cognito_jwt\.ANY_CLIENT .*None"),
        ("ANY_CLIENT", r"CLIENT_ID: .*found the string 'ANY_CLIENT'"),
        (MISSING, r"missing .*CLIENT_ID.*cognito_jwt\.ANY_CLIENT for any"),
    ],
    ids=["None (a missing environment variable)", "the string 'ANY_CLIENT'", "key left out"],
)
@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_a_client_id_setting_of_none_is_refused_at_start_up_naming_any_client(
    framework: str, client_id: object, match: str
) -> None:
    build, error = FRAMEWORKS[framework]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # refused outright, not merely warned about
        with pytest.raises(error, match=match):
            build(settings(client_id))


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_a_client_id_setting_of_any_client_accepts_another_clients_token(framework: str) -> None:
    build, _ = FRAMEWORKS[framework]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the explicit way: no deprecation warning
        verifier = build(settings(ANY_CLIENT))
    claims = verifier.verify(POOL.id_token(aud="anotherclient0123456789ab"))
    assert claims["aud"] == "anotherclient0123456789ab"


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_a_client_id_setting_refuses_another_clients_token(framework: str) -> None:
    build, _ = FRAMEWORKS[framework]
    verifier = build(settings(POOL.client_id))
    assert verifier.verify(POOL.id_token())["aud"] == POOL.client_id
    with pytest.raises(InvalidAudienceError) as refused:
        verifier.verify(POOL.id_token(aud="anotherclient0123456789ab"))
    assert refused.value.reason == "invalid_audience"
