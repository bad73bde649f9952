"""The verifier, `cognito_jwt.http`, the web integrations, the authorizer and the CLI agree.

First the conformance table (`conformance.py`): every row, a request, gets the
same status, challenge and reason from `cognito_jwt.http` and from every
framework adapter behind a real server (`conformance_adapters.py` adds
Starlette, Litestar, Django, django-ninja and Powertools' Event Handler).

Differential: for a signed token whose `cognito:groups` is anything at all (a
list of strings, a bare string, null, a number, a list holding a number...),
the FastAPI, Flask and DRF integrations answer exactly what the verifier
decides, mapped through the error's `status_code` and `reason`.  They all read
the claim through `cognito_jwt._claim_types.cognito_groups`, so a malformed claim is
a 401 `invalid_claim_type` on every route of every integration, and never a
substring match.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conformance import ADAPTERS, ROWS, Row, Served, World, routes_of
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from integration_support import bearer, configure_django

pytest.importorskip("fastapi")
pytest.importorskip("flask")
pytest.importorskip("rest_framework")
pytest.importorskip("starlette")
pytest.importorskip("litestar")
pytest.importorskip("aws_lambda_powertools")

from django.conf import settings as django_settings

if not django_settings.configured:  # by another test module, or a docs page
    configure_django(__name__)

pytest.importorskip("ninja")  # reads Django's settings when imported
from conformance_adapters import FRAMEWORK_ADAPTERS
from django.test import override_settings
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient
from flask import Flask
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from cognito_jwt import CognitoJwtError, InvalidClaimError, MalformedTokenError, strip_bearer
from cognito_jwt.authorizer import Unauthorized, make_handler, policy_allows
from cognito_jwt.cli import main as cli_main
from cognito_jwt.integrations._common import claim_groups
from cognito_jwt.integrations.drf import (
    CognitoJwtAuthentication,
    CognitoUser,
    cognito_claims,
    require_groups,
)
from cognito_jwt.integrations.fastapi import Claims, CognitoAuth
from cognito_jwt.integrations.flask import require_auth
from cognito_jwt.testing import AlbKeyServer, FakeAlb, FakeCognitoPool

POOL = FakeCognitoPool()
VERIFIER = POOL.verifier(token_use="id")
ADMIN_VERIFIER = POOL.verifier(token_use="id", groups="admin")
urlpatterns: list[Any] = []


@pytest.fixture(scope="module")
def world(
    pool: FakeCognitoPool, other_pool: FakeCognitoPool, alb: FakeAlb, alb_key_server: AlbKeyServer
) -> World:
    return World(pool, other_pool, alb, alb_key_server)


#: `cognito_jwt.http`, FastAPI, Flask, DRF, and the adapters of `conformance_adapters`.
EVERY_ADAPTER = {**ADAPTERS, **FRAMEWORK_ADAPTERS}


@pytest.fixture(scope="module")
def served(request: pytest.FixtureRequest, world: World) -> Iterator[Served]:
    """The adapter named by the test's parameter, serving for the whole module."""
    name: str = request.param
    with EVERY_ADAPTER[name](world) as adapter:
        assert adapter.routes == routes_of(name), "conformance.routes_of is out of date"
        yield adapter


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Each adapter with the rows of the routes it serves: none generated only to be skipped."""
    if metafunc.definition.name == "test_every_adapter_gives_the_table_s_answer":
        metafunc.parametrize(
            ("served", "row"),
            [
                pytest.param(adapter, row, id=f"{adapter}-{row.name}")
                for adapter in sorted(EVERY_ADAPTER)
                for row in ROWS
                if row.route in routes_of(adapter)
            ],
            indirect=["served"],
            scope="module",
        )


def test_every_adapter_gives_the_table_s_answer(served: Served, world: World, row: Row) -> None:
    assert served.answer(row.route, row.lines(world)) == row.expected


#: (status, reason) of one answer; 200 answers carry the reason "ok".
Answer = tuple[int, str]


def _verifier_answer(verifier: Any, token: str) -> Answer:
    try:
        verifier.verify(token)
    except CognitoJwtError as error:
        return error.status_code, error.reason
    return 200, "ok"


def _fastapi_client() -> TestClient:
    auth = CognitoAuth(VERIFIER)
    app = FastAPI()
    admin = auth.require(groups="admin")

    @app.get("/me")
    async def me(claims: Claims = Depends(auth)) -> dict[str, str]:  # noqa: B008
        return {"sub": claims["sub"]}

    @app.get("/admin")
    async def admin_only(claims: Claims = Depends(admin)) -> dict[str, str]:  # noqa: B008
        return {"sub": claims["sub"]}

    return TestClient(app)


def _flask_client() -> Any:
    app = Flask(__name__)

    @app.get("/me")
    @require_auth(VERIFIER)
    def me() -> dict[str, str]:
        return {"sub": "ok"}

    @app.get("/admin")
    @require_auth(VERIFIER, groups="admin")
    def admin_only() -> dict[str, str]:
        return {"sub": "ok"}

    return app.test_client()


class _MeView(APIView):
    authentication_classes = (CognitoJwtAuthentication,)

    def get(self, request: Request) -> Response:
        user: object = request.user
        assert isinstance(user, CognitoUser)
        return Response(
            {"sub": cognito_claims(request)["sub"], "groups": sorted(user.cognito_groups)}
        )


class _AdminView(_MeView):
    permission_classes = (require_groups("admin"),)


FASTAPI = _fastapi_client()
FLASK = _flask_client()
DRF_VIEWS = {"/me": _MeView.as_view(), "/admin": _AdminView.as_view()}


def _reason(status: int, body: Any) -> str:
    if status == 200:
        return "ok"
    detail = body.get("detail", body)
    return str(detail["reason"])


def integration_answers(token: str, route: str) -> dict[str, Answer]:
    """What each integration answers on ``route`` for ``token``."""
    fastapi_response = FASTAPI.get(route, headers=bearer(token))
    flask_response = FLASK.get(route, headers=bearer(token))
    request = APIRequestFactory().get(route, HTTP_AUTHORIZATION=f"Bearer {token}")
    with override_settings(COGNITO_JWT={"VERIFIER": VERIFIER}):
        drf_response = DRF_VIEWS[route](request)
        drf_response.render()
    return {
        "fastapi": (
            fastapi_response.status_code,
            _reason(fastapi_response.status_code, fastapi_response.json()),
        ),
        "flask": (
            flask_response.status_code,
            _reason(flask_response.status_code, flask_response.get_json()),
        ),
        "drf": (
            drf_response.status_code,
            _reason(drf_response.status_code, json.loads(drf_response.content)),
        ),
    }


def token_with_groups(groups: Any) -> str:
    """A genuine ID token of ``POOL`` whose ``cognito:groups`` is exactly ``groups``."""
    payload = POOL.id_token().split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["cognito:groups"] = groups
    return POOL.sign(claims, {"kid": POOL.id_kid, "alg": "RS256"})


def _well_formed(groups: Any) -> bool:
    return isinstance(groups, list) and all(isinstance(g, str) for g in groups)


_GROUP_NAMES = st.sampled_from(["admin", "users", "superadmin", "ad", ""])
GROUP_VALUES = st.one_of(
    st.lists(_GROUP_NAMES, max_size=3),
    _GROUP_NAMES,
    st.none(),
    st.booleans(),
    st.integers(),
    st.lists(st.one_of(_GROUP_NAMES, st.integers(), st.none()), min_size=1, max_size=3),
    st.dictionaries(_GROUP_NAMES, st.booleans(), max_size=2),
)


def test_string_groups_are_a_401_from_the_verifier_and_every_integration() -> None:
    token = token_with_groups("admin")
    with pytest.raises(InvalidClaimError) as raised:
        ADMIN_VERIFIER.verify(token)
    assert raised.value.reason == "invalid_claim_type"
    with pytest.raises(InvalidClaimError) as read:
        claim_groups(VERIFIER.verify(token))
    assert read.value.reason == "invalid_claim_type"
    for route in ("/admin", "/me"):
        answers = integration_answers(token, route)
        assert answers == dict.fromkeys(answers, (401, "invalid_claim_type")), route


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(groups=GROUP_VALUES)
def test_integrations_answer_what_the_verifier_decides(groups: Any) -> None:
    token = token_with_groups(groups)
    # A group route answers what a verifier demanding that group answers.
    expected_admin = _verifier_answer(ADMIN_VERIFIER, token)
    answers = integration_answers(token, "/admin")
    assert answers == dict.fromkeys(answers, expected_admin)
    # Any other route answers what the plain verifier answers, except that a
    # malformed claim is refused there too: the integrations hand the claims
    # (and DRF a user with `cognito_groups`) to application code.
    expected_me = _verifier_answer(VERIFIER, token)
    if not _well_formed(groups):
        assert expected_admin == (401, "invalid_claim_type")
        expected_me = expected_admin
    answers = integration_answers(token, "/me")
    assert answers == dict.fromkeys(answers, expected_me)


# ------------------------------------------ one reading of the Authorization header


def _header_answers(authorization: str) -> dict[str, Answer]:
    """What each web integration answers on `/me` for this `Authorization` value."""
    headers = {"Authorization": authorization}
    fastapi_response = FASTAPI.get("/me", headers=headers)
    flask_response = FLASK.get("/me", headers=headers)
    request = APIRequestFactory().get("/me", HTTP_AUTHORIZATION=authorization)
    with override_settings(COGNITO_JWT={"VERIFIER": VERIFIER}):
        drf_response = DRF_VIEWS["/me"](request)
        drf_response.render()
    answers = {
        "fastapi": fastapi_response.status_code,
        "flask": flask_response.status_code,
        "drf": drf_response.status_code,
    }
    return {name: (status, "ok" if status == 200 else "") for name, status in answers.items()}


def _authorizer_answer(authorization: str) -> Answer:
    arn = "arn:aws:execute-api:us-east-1:123456789012:abc123/api/GET/me"
    event = {"type": "REQUEST", "methodArn": arn, "headers": {"Authorization": authorization}}
    try:
        response = make_handler(VERIFIER)(event, None)
    except Unauthorized:
        return 401, ""
    return (200, "ok") if policy_allows(response, arn) else (403, "")


def _cli_answer(authorization: str, tmp_path: Path) -> int:
    jwks = tmp_path / "jwks.json"
    jwks.write_text(POOL.jwks_json, encoding="utf-8")
    args = ["verify", "--user-pool-id", POOL.user_pool_id, "--token-use", "id"]
    return cli_main([*args, "--client-id", POOL.client_id, "--jwks-file", str(jwks), authorization])


@pytest.mark.parametrize("shape", ["{t}", "Bearer {t}", "  bearer   {t}  ", "BEARER {t}"])
def test_a_bare_or_bearer_token_gets_one_answer_from_every_entry_point(
    shape: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`Bearer <token>` and a bare token (what Cognito authorizers expect) are both a token."""
    authorization = shape.format(t=POOL.id_token())
    assert strip_bearer(authorization) == authorization.split()[-1]
    assert _header_answers(authorization) == dict.fromkeys(["fastapi", "flask", "drf"], (200, "ok"))
    assert _authorizer_answer(authorization) == (200, "ok")
    assert _cli_answer(authorization, tmp_path) == 0
    capsys.readouterr()


@pytest.mark.parametrize("authorization", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer   "])
def test_a_value_without_a_token_is_no_credentials_everywhere(authorization: str) -> None:
    with pytest.raises(MalformedTokenError) as raised:
        strip_bearer(authorization)
    assert raised.value.reason == "malformed_authorization"
    assert _header_answers(authorization) == dict.fromkeys(["fastapi", "flask", "drf"], (401, ""))
    assert _authorizer_answer(authorization) == (401, "")


def test_a_sent_token_that_is_not_a_jwt_is_malformed_not_missing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="cognito_jwt")
    for authorization in ("not-a-jwt", "Bearer not-a-jwt"):
        response = FASTAPI.get("/me", headers={"Authorization": authorization})
        assert response.status_code == 401
        assert response.json()["detail"]["reason"] == "malformed_token"
        assert _authorizer_answer(authorization) == (401, "")
    reasons = [getattr(r, "reason", None) for r in caplog.records]
    assert "missing_token" not in reasons
    assert reasons.count("malformed_token") == 2
