"""The twin of `verifier_arguments_refused.py`: configurations `mypy --strict`
must accept, including a `str` read from the environment.

`check.py` (run by ``nox -s lint``) expects no error here; the module also
runs (`tests/core/test_verifier.py` builds each verifier), so the code is right
at run time as well as to the checker.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Literal

from cognito_jwt import ANY_CLIENT, CognitoJwtVerifier

TokenUse = Literal["id", "access"]

#: The spellings an operator may set, each mapped to the value the verifier takes.
TOKEN_USES: Mapping[str, TokenUse | None] = {"id": "id", "access": "access", "any": None}


def token_use_from(text: str) -> TokenUse | None:
    """The `token_use` a setting names; anything else stops the program."""
    try:
        return TOKEN_USES[text]
    except KeyError:
        raise SystemExit(f"COGNITO_TOKEN_USE: expected one of {sorted(TOKEN_USES)}") from None


def from_the_environment(environ: Mapping[str, str] = os.environ) -> CognitoJwtVerifier:
    client_id: str = environ["COGNITO_CLIENT_ID"]
    return CognitoJwtVerifier(
        user_pool_id=environ["COGNITO_USER_POOL_ID"],
        token_use=token_use_from(environ["COGNITO_TOKEN_USE"]),
        client_id=client_id,
    )


def every_check_named() -> list[CognitoJwtVerifier]:
    return [
        CognitoJwtVerifier(user_pool_id="us-east-1_A", token_use="id", client_id="c"),
        CognitoJwtVerifier(user_pool_id="us-east-1_A", token_use="access", client_id=["c", "d"]),
        CognitoJwtVerifier(user_pool_id="us-east-1_A", token_use=None, client_id="c"),
        CognitoJwtVerifier(user_pool_id="us-east-1_A", token_use="access", client_id=ANY_CLIENT),
    ]
