"""Ending a session in Cognito *and* on the revocation list your verifiers read.

Cognito's `GlobalSignOut`, `AdminUserGlobalSignOut`, `AdminDisableUser`,
`AdminDeleteUser` and `RevokeToken` stop refresh tokens and Cognito's own
APIs, but an ID or access token already issued keeps verifying until its
`exp`.  These functions make the call and write the list entry, so every
verifier built with `revocation=revocations` refuses the old tokens too
(docs/revocation.md).  `idp` is a boto3 `cognito-idp` client.
"""

from __future__ import annotations

from typing import Any

from cognito_jwt.revocation import RevocationList


def sign_out_everywhere(
    idp: Any, revocations: RevocationList, access_token: str, claims: dict[str, Any]
) -> None:
    """The user signs out of every device: `GlobalSignOut`, then cut the user off.

    `claims` are the verified claims of `access_token` (this request's).
    """
    idp.global_sign_out(AccessToken=access_token)
    revocations.revoke_user(iss=claims["iss"], sub=claims["sub"])


def end_user_sessions(
    idp: Any, revocations: RevocationList, *, user_pool_id: str, username: str, disable: bool
) -> None:
    """An admin ends every session of a user (and disables the account if asked)."""
    user = idp.admin_get_user(UserPoolId=user_pool_id, Username=username)
    sub = next(a["Value"] for a in user["UserAttributes"] if a["Name"] == "sub")
    if disable:
        idp.admin_disable_user(UserPoolId=user_pool_id, Username=username)
    idp.admin_user_global_sign_out(UserPoolId=user_pool_id, Username=username)
    region = user_pool_id.partition("_")[0]
    iss = f"https://cognito-idp.{region}.amazonaws.com/{user_pool_id}"
    revocations.revoke_user(iss=iss, sub=sub)


def sign_out_this_device(
    idp: Any,
    revocations: RevocationList,
    *,
    refresh_token: str,
    client_id: str,
    claims: dict[str, Any],
    cut_off_user: bool = True,
) -> None:
    """The user signs out of this device: `RevokeToken`, then list its `origin_jti`.

    `claims` are the verified claims of one of this session's ID or access
    tokens.  By default the user is cut off as well (whether `origin_jti`
    survives refresh-token rotation is undocumented); pass
    `cut_off_user=False` to keep the user's other devices signed in.
    """
    idp.revoke_token(Token=refresh_token, ClientId=client_id)
    revocations.revoke_token(
        iss=claims["iss"],
        origin_jti=claims["origin_jti"],
        sub=claims["sub"],
        cut_off_user=cut_off_user,
    )
