"""Realistic user code, type-checked from the user's side.

``nox -s lint`` runs ``mypy --strict`` over this file: the ``assert_type`` calls
pin what the public API promises to a type checker, and each
``# type: ignore[code]`` marks a misuse the checker must keep rejecting
(``warn_unused_ignores``, part of ``--strict``, fails the lint if a misuse
stops being an error).  pytest runs the same code, so it is also correct at
run time.
"""

from __future__ import annotations

import asyncio
import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any, assert_type

import pytest
from fixed_time import NOW

from cognito_jwt import (
    ANY_CLIENT,
    AccessDeniedError,
    CognitoAccessTokenClaims,
    CognitoIdTokenClaims,
    CognitoJwtError,
    CognitoJwtVerifier,
    JwksCache,
    MultiIssuerVerifier,
    access_token_claims,
    id_token_claims,
    strip_bearer,
)
from cognito_jwt.authorizer import make_handler, require_groups_for
from cognito_jwt.testing import FakeCognitoPool, ManualClock


def status_for(error: CognitoJwtError) -> tuple[int, str]:
    """What a web handler does with an error: both attributes are typed."""
    assert_type(error.status_code, int)
    assert_type(error.reason, str)
    return error.status_code, error.reason


def user_code(pool: FakeCognitoPool) -> None:
    clock = ManualClock(NOW)
    verifier = CognitoJwtVerifier(
        user_pool_id=pool.user_pool_id,
        token_use="id",
        client_id=[pool.client_id],
        groups="admin",
        leeway=5,
        jwks=pool.jwks,
        clock=clock,
        custom_check=lambda header, claims: claims.get("email_verified") is True,
    )
    claims = verifier.verify(strip_bearer(f"Bearer {pool.id_token(now=NOW, groups=['admin'])}"))
    assert_type(claims, dict[str, Any])
    id_claims = id_token_claims(claims)
    assert_type(id_claims, CognitoIdTokenClaims)
    assert_type(id_claims["sub"], str)
    assert_type(id_claims["exp"], int)
    assert id_claims["aud"] == pool.client_id

    access = CognitoJwtVerifier(
        user_pool_id="eu-west-1_Other123",
        token_use="access",
        client_id=ANY_CLIENT,
        scopes=["aws.cognito.signin.user.admin"],
        jwks_cache=JwksCache(max_age=600),
        jwks_uri="https://example.invalid/jwks.json",
    )
    multi = MultiIssuerVerifier([verifier, access])
    assert_type(multi.issuers, tuple[str, ...])

    access_claims = access_token_claims(
        asyncio.run(
            pool.verifier(token_use="access", clock=clock).verify_async(pool.access_token(now=NOW))
        )
    )
    assert_type(access_claims, CognitoAccessTokenClaims)
    assert access_claims.get("username") == "alice"

    try:
        verifier.verify(pool.id_token(now=NOW))  # not in group admin
    except CognitoJwtError as err:
        outcome = status_for(err)
        denied = isinstance(err, AccessDeniedError)
    else:
        outcome, denied = (200, "ok"), False
    assert outcome == (403, "missing_group")
    assert denied

    handler = make_handler(verifier, rule=require_groups_for({"DELETE": "admin"}))
    assert callable(handler)


def misuse_the_checker_must_reject() -> None:
    """Never called: each line is a mistake the types catch before run time."""
    CognitoJwtVerifier(user_pool_id=1, token_use="id", client_id="c")  # type: ignore[call-overload]
    CognitoJwtVerifier(user_pool_id="us-east-1_A", token_use="refresh", client_id="c")  # type: ignore[call-overload]
    CognitoJwtVerifier(user_pool_id="us-east-1_A", token_use="id", client_id=7)  # type: ignore[call-overload]
    CognitoJwtVerifier(user_pool_id="us-east-1_A", token_use="id", client_id="c", leeway="5")  # type: ignore[call-overload]


def test_the_typed_user_code_runs(pool: FakeCognitoPool) -> None:
    user_code(pool)


# -- tests/type_checks: what mypy must refuse, and its accepted twin ----------------

_TYPE_CHECKS = Path(__file__).resolve().parents[1] / "type_checks"


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, _TYPE_CHECKS / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_configurations_the_checker_accepts_also_run() -> None:
    twin = _load("verifier_arguments_accepted")
    environ = {
        "COGNITO_USER_POOL_ID": "us-east-1_A",
        "COGNITO_CLIENT_ID": "c",
        "COGNITO_TOKEN_USE": "access",
    }
    assert isinstance(twin.from_the_environment(environ), CognitoJwtVerifier)
    assert len(twin.every_check_named()) == 4
    with pytest.raises(SystemExit, match="COGNITO_TOKEN_USE"):
        twin.from_the_environment({**environ, "COGNITO_TOKEN_USE": "ID"})


def test_the_type_check_script_reads_marks_and_mypy_lines_alike() -> None:
    check = _load("check")
    marks = check.expected()
    assert {name for name, _, _ in marks} == {
        "verifier_arguments_refused.py",
        "claims_typed_refused.py",
    }
    assert len(marks) == 15
    name, line, code = min(marks)
    output = (
        f"tests/type_checks/{name}:{line}: error: No overload variant of "
        f'"CognitoJwtVerifier" matches argument types "str", "str"  [{code}]\n'
        "tests/type_checks/verifier_arguments_accepted.py:9: note: a note is no error\n"
    )
    assert check.reported(output) == {(name, line, code)}


def test_the_typed_claims_the_checker_accepts_also_run(pool: FakeCognitoPool) -> None:
    twin = _load("claims_typed_accepted")
    environ = {"USER_POOL_ID": pool.user_pool_id, "CLIENT_ID": pool.client_id}
    ids = twin.verifier_from_the_environment(pool.jwks_json, "id", environ)
    access = twin.verifier_from_the_environment(pool.jwks_json, "access", environ)
    either = pool.verifier(token_use=None)
    tenant: dict[str, Any] = {"custom:tenant": "acme"}
    id_token = pool.id_token(**tenant)
    access_token = pool.access_token(scopes=["orders/read", "orders/write"])
    m2m = pool.client_credentials_token(scopes=["orders/read"])

    assert twin.profile(ids, id_token) == "alice@example.com of acme"
    assert twin.scopes_of(access, access_token) == ["orders/read", "orders/write"]
    assert asyncio.run(twin.scopes_of_async(access, m2m)) == ["orders/read"]
    assert twin.machine_client(access, m2m) == pool.client_id
    assert twin.machine_client(access, access_token) is None
    assert twin.audience_of_either(either, id_token) == pool.client_id
    assert twin.audience_of_either(either, m2m) == pool.client_id
    assert twin.route(ids.verify(id_token)) == ids.verify(id_token)["sub"]
    assert twin.untyped_caller(ids, id_token) == "acme"
    assert twin.typed_claims_where_a_mapping_is_expected(ids, id_token) > 5
    any_client = twin.any_client_on_purpose(pool.jwks_json, environ)
    other_client = pool.client_credentials_token(client_id="another-client")
    assert any_client.verify(other_client)["client_id"] == "another-client"
