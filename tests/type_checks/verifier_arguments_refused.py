"""Verifier configurations `mypy --strict` must refuse; never imported or run.

`check.py` (run by ``nox -s lint``) type-checks this file and compares each
``file:line: error`` mypy reports with the ``# E: <error code>`` comments
below, line by line: a mistake that stops being reported fails the lint, and
so does an error nobody expected.  The main mypy run excludes this file.
"""

from __future__ import annotations

import os

from cognito_jwt import CognitoJwtVerifier


def token_use_forgotten() -> None:
    CognitoJwtVerifier(user_pool_id="us-east-1_A", client_id="c")  # E: call-overload


def client_id_forgotten() -> None:
    CognitoJwtVerifier(user_pool_id="us-east-1_A", token_use="id")  # E: call-overload


def both_forgotten() -> None:
    CognitoJwtVerifier(user_pool_id="us-east-1_A")  # E: call-overload


def token_use_forgotten_with_other_options() -> None:
    CognitoJwtVerifier(  # E: call-overload
        user_pool_id="us-east-1_A",
        client_id=os.environ["COGNITO_CLIENT_ID"],
        groups=["admin"],
        leeway=5,
    )


def token_use_passed_through_unchecked_from_the_environment() -> None:
    # Any str could be there ("ID", "refresh", ""): map it to the two values first.
    CognitoJwtVerifier(  # E: call-overload
        user_pool_id=os.environ["COGNITO_USER_POOL_ID"],
        token_use=os.environ["COGNITO_TOKEN_USE"],
        client_id=os.environ["COGNITO_CLIENT_ID"],
    )


def token_use_misspelled() -> None:
    CognitoJwtVerifier(  # E: call-overload
        user_pool_id="us-east-1_A", token_use="ID", client_id="c"
    )


def client_id_read_from_a_variable_that_may_be_missing() -> None:
    # os.environ.get gives None when the variable is unset, and None meant "any client":
    # the audience check would vanish with the variable.  Say ANY_CLIENT on purpose.
    CognitoJwtVerifier(  # E: call-overload
        user_pool_id="us-east-1_A", token_use="id", client_id=os.environ.get("COGNITO_CLIENT_ID")
    )


def client_id_none_the_deprecated_spelling_of_any_client() -> None:
    CognitoJwtVerifier(  # E: call-overload
        user_pool_id="us-east-1_A", token_use="id", client_id=None
    )
