"""The tutorial's test steps: sign up, confirm, sign in, then call the API.

1. ``sign-up``         create the user (Cognito emails a confirmation code)
2. ``confirm-sign-up`` confirm with that code
3. ``initiate-auth``   USER_PASSWORD_AUTH, which the app client allows; prints
                       the ID, access and refresh tokens
4. call ``GET`` and ``DELETE /news`` without a token, then with the ID token
   (the Cognito authorizer wants the **ID** token in ``Authorization``)

Usage against the deployed API (values printed by ``deploy.py``)::

    python examples/reference_api/sign_in.py --client-id CLIENT_ID \\
        --username alice --password 'Correct-Horse-9' --email alice@example.com \\
        --api-url https://API_ID.execute-api.REGION.amazonaws.com/api

Without ``--code`` the script asks for the emailed code.  ``--admin-confirm
--user-pool-id POOL_ID`` confirms with the admin API instead (needs developer
credentials; handy for test users).  moto sends no email and accepts any code,
so against it ``--code 000000`` works as well as ``--admin-confirm``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import boto3

if TYPE_CHECKING:
    from mypy_boto3_cognito_idp.client import CognitoIdentityProviderClient
    from mypy_boto3_cognito_idp.type_defs import AuthenticationResultTypeTypeDef

__all__ = ["Tokens", "call_api", "confirm", "main", "sign_in", "sign_up"]


@dataclass(frozen=True)
class Tokens:
    """What ``initiate-auth`` returns on success."""

    id_token: str
    access_token: str
    refresh_token: str
    expires_in: int


def sign_up(
    cognito: CognitoIdentityProviderClient,
    client_id: str,
    username: str,
    password: str,
    email: str,
) -> bool:
    """Register ``username``; False if it already exists (so reruns are harmless)."""
    try:
        cognito.sign_up(
            ClientId=client_id,
            Username=username,
            Password=password,
            UserAttributes=[{"Name": "email", "Value": email}],
        )
    except cognito.exceptions.UsernameExistsException:
        return False
    return True


def confirm(
    cognito: CognitoIdentityProviderClient,
    client_id: str,
    username: str,
    code: str | None = None,
    *,
    user_pool_id: str | None = None,
) -> None:
    """Confirm the sign-up with the emailed ``code``, or as an admin without one."""
    if code is not None:
        cognito.confirm_sign_up(ClientId=client_id, Username=username, ConfirmationCode=code)
    elif user_pool_id is not None:
        user = cognito.admin_get_user(UserPoolId=user_pool_id, Username=username)
        if user.get("UserStatus") != "CONFIRMED":
            cognito.admin_confirm_sign_up(UserPoolId=user_pool_id, Username=username)
    else:
        raise ValueError("give the confirmation code, or a user pool id to confirm as admin")


def sign_in(
    cognito: CognitoIdentityProviderClient, client_id: str, username: str, password: str
) -> Tokens:
    """``initiate-auth`` with USER_PASSWORD_AUTH (no SRP, no client secret)."""
    response = cognito.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": password},
    )
    # Absent when Cognito answers with a challenge (the stubs call it required).
    result: AuthenticationResultTypeTypeDef | None = response.get("AuthenticationResult")
    if result is None:
        challenge = response.get("ChallengeName", "unknown")
        raise RuntimeError(f"sign-in needs a {challenge} challenge, which this script skips")
    return Tokens(
        id_token=result["IdToken"],
        access_token=result["AccessToken"],
        refresh_token=result.get("RefreshToken", ""),
        expires_in=result.get("ExpiresIn", 0),
    )


def call_api(url: str, method: str, token: str | None = None) -> tuple[int, str]:
    """One HTTP request; returns (status, body) for error statuses too."""
    if not url.startswith(("https://", "http://")):
        raise ValueError(f"not an http(s) URL: {url!r}")
    request = urllib.request.Request(url, method=method)
    if token is not None:
        request.add_header("Authorization", token)
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return response.status, response.read().decode(errors="replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="Sign up, sign in and call the news API.")
    parser.add_argument("--client-id", required=True, help="app client id (from deploy.py)")
    parser.add_argument("--username", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--email", help="email for sign-up (default: <username>@example.com)")
    parser.add_argument("--code", help="confirmation code (default: ask for it)")
    parser.add_argument("--admin-confirm", action="store_true", help="confirm via admin API")
    parser.add_argument("--user-pool-id", help="needed with --admin-confirm")
    parser.add_argument("--api-url", help="stage URL, e.g. https://ID.execute-api.REGION...")
    parser.add_argument("--region", help="AWS region (default: from the environment)")
    parser.add_argument(
        "--endpoint-url",
        default=os.environ.get("AWS_ENDPOINT_URL"),
        help="AWS endpoint, e.g. a local moto server (default: $AWS_ENDPOINT_URL)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    args = _parser().parse_args(argv)
    if args.admin_confirm and not args.user_pool_id:
        print("sign_in.py: --admin-confirm needs --user-pool-id", file=sys.stderr)
        return 2
    cognito = boto3.session.Session(region_name=args.region).client(
        "cognito-idp", endpoint_url=args.endpoint_url or None
    )
    email = args.email or f"{args.username}@example.com"
    if sign_up(cognito, args.client_id, args.username, args.password, email):
        print(f"sign-up: created {args.username}")
        if args.admin_confirm:
            confirm(cognito, args.client_id, args.username, user_pool_id=args.user_pool_id)
        else:
            code = args.code or input(f"confirmation code emailed to {email}: ").strip()
            confirm(cognito, args.client_id, args.username, code)
        print("confirm-sign-up: confirmed")
    else:
        print(f"sign-up: {args.username} already exists, signing in")
    tokens = sign_in(cognito, args.client_id, args.username, args.password)
    print(json.dumps({"IdToken": tokens.id_token, "AccessToken": tokens.access_token}, indent=2))
    if args.api_url:
        news = args.api_url.rstrip("/") + "/news"
        for method, token, label in [
            ("GET", None, "no token"),
            ("DELETE", None, "no token"),
            ("DELETE", tokens.id_token, "ID token"),
        ]:
            status, body = call_api(news, method, token)
            print(f"{method:6} /news  {label:9} -> {status} {body[:80]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
