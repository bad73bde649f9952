"""End to end against the moto Cognito emulator: tokens a (local) Cognito really
issued through sign-up, confirmation and USER_PASSWORD_AUTH verify, and the
same tokens are refused where they do not belong.

moto serves its JWKS at ``http://127.0.0.1:<port>/<poolId>/.well-known/jwks.json``
and signs with one fixed, publicly known key: fine for tests, never for anything else.
"""

from __future__ import annotations

from typing import Any

import pytest
from conftest import MotoCognito

from cognito_jwt import (
    CognitoJwtVerifier,
    InvalidAudienceError,
    InvalidIssuerError,
    InvalidTokenUseError,
    JwksCache,
    MissingGroupError,
)

pytestmark = pytest.mark.moto


def verifier_for(moto: MotoCognito, **kwargs: Any) -> CognitoJwtVerifier:
    kwargs.setdefault("client_id", moto.client_id)
    return CognitoJwtVerifier(
        user_pool_id=moto.user_pool_id,
        jwks_uri=moto.jwks_uri,
        allow_http=True,
        jwks_cache=JwksCache(),
        **kwargs,
    )


def test_id_token_from_user_password_auth_verifies(moto_cognito: MotoCognito) -> None:
    claims = verifier_for(moto_cognito, token_use="id").verify(moto_cognito.id_token)
    assert claims["aud"] == moto_cognito.client_id
    assert claims["cognito:username"] == "reader"
    assert claims["iss"].endswith("/" + moto_cognito.user_pool_id)
    assert claims["iss"].startswith("https://cognito-idp.us-east-1.amazonaws.com/")


def test_access_token_verifies(moto_cognito: MotoCognito) -> None:
    verifier = verifier_for(
        moto_cognito, token_use="access", scopes="aws.cognito.signin.user.admin"
    )
    claims = verifier.verify(moto_cognito.access_token)
    assert claims["client_id"] == moto_cognito.client_id
    assert claims["username"] == "reader"


def test_tokens_from_refresh_token_auth_verify(moto_cognito: MotoCognito) -> None:
    boto3 = pytest.importorskip("boto3")
    from moto_server import dummy_aws_environment

    with dummy_aws_environment(moto_cognito.endpoint_url):
        idp = boto3.client(
            "cognito-idp", region_name="us-east-1", endpoint_url=moto_cognito.endpoint_url
        )
        result = idp.initiate_auth(
            ClientId=moto_cognito.client_id,
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": moto_cognito.refresh_token},
        )["AuthenticationResult"]
    assert verifier_for(moto_cognito, token_use="id").verify(result["IdToken"])
    assert verifier_for(moto_cognito, token_use="access").verify(result["AccessToken"])


def test_token_of_another_client_is_rejected(moto_cognito: MotoCognito) -> None:
    verifier = verifier_for(moto_cognito, token_use="id")
    with pytest.raises(InvalidAudienceError) as info:
        verifier.verify(moto_cognito.other_client_id_token)
    assert info.value.reason == "invalid_audience"
    other = verifier_for(moto_cognito, token_use="id", client_id=moto_cognito.other_client_id)
    assert other.verify(moto_cognito.other_client_id_token)


def test_id_and_access_tokens_are_not_interchangeable(moto_cognito: MotoCognito) -> None:
    with pytest.raises(InvalidTokenUseError):
        verifier_for(moto_cognito, token_use="id").verify(moto_cognito.access_token)
    with pytest.raises(InvalidTokenUseError):
        verifier_for(moto_cognito, token_use="access").verify(moto_cognito.id_token)


def test_a_group_requirement_the_user_lacks(moto_cognito: MotoCognito) -> None:
    with pytest.raises(MissingGroupError):
        verifier_for(moto_cognito, token_use="id", groups="admin").verify(moto_cognito.id_token)


def test_a_verifier_for_another_pool_rejects_the_tokens(moto_cognito: MotoCognito) -> None:
    verifier = CognitoJwtVerifier(
        user_pool_id="us-east-1_SomeOther1",
        token_use="id",
        client_id=moto_cognito.client_id,
        jwks_uri=moto_cognito.jwks_uri,
        allow_http=True,
        jwks_cache=JwksCache(),
    )
    with pytest.raises(InvalidIssuerError):
        verifier.verify(moto_cognito.id_token)


def test_async_path_against_the_emulator(moto_cognito: MotoCognito) -> None:
    import asyncio

    verifier = verifier_for(moto_cognito, token_use="id")
    assert asyncio.run(verifier.verify_async(moto_cognito.id_token))["token_use"] == "id"
