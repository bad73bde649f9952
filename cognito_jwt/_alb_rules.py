"""What an ALB issuer is: the ARN that names its key endpoint, and its header and payload rules.

`AlbJwtVerifier` (`_alb.py`) makes one issuer per configured ALB.  Its key
endpoint follows from the ARN's partition and region (`alb_key_endpoint`,
from AWS's documentation cited in `docs/alb.md`), and its rules are
`_AlbRules`: the header's `exp`, `iss` and `client` before any key fetch, the
claim-type rules every verifier runs and the payload's `iss` after the signature.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, NamedTuple

from cognito_jwt import _claim_types
from cognito_jwt.errors import (
    ConfigurationError,
    InvalidAudienceError,
    InvalidIssuerError,
    MissingClaimError,
    TokenExpiredError,
    expected_found,
    shown,
)

__all__ = ["alb_key_endpoint"]

_ARN_RE = re.compile(
    r"arn:(?P<partition>aws[a-z-]*):elasticloadbalancing:"
    r"(?P<region>[a-z]{2,}(?:-[a-z]+)+-\d+):\d{12}:loadbalancer/app/[A-Za-z0-9-]{1,32}/[0-9a-f]{16}"
)


def alb_key_endpoint(alb_arn: str) -> str:
    """The URL under which the ALB `alb_arn` publishes its keys (`<url>/<kid>`).

    Commercial regions use `https://public-keys.auth.elb.<region>.amazonaws.com`;
    the GovCloud regions use an S3 bucket,
    `https://s3-<region>.amazonaws.com/aws-elb-public-keys-prod-<region>`.
    AWS documents no endpoint for other partitions (China, EUSC, ISO): give
    `key_endpoint=` to the verifier there.

    Raises:
        ConfigurationError: `alb_arn` is not an ALB ARN, or its partition has
            no documented key endpoint.

    Examples:
        >>> alb_key_endpoint(
        ...     "arn:aws:elasticloadbalancing:eu-west-1:123456789012:"
        ...     "loadbalancer/app/web/50dc6c495c0c9188"
        ... )
        'https://public-keys.auth.elb.eu-west-1.amazonaws.com'
    """
    match = _ARN_RE.fullmatch(alb_arn) if isinstance(alb_arn, str) else None
    if match is None:
        raise ConfigurationError(
            "alb_arn: expected 'arn:<partition>:elasticloadbalancing:<region>:<account>:"
            f"loadbalancer/app/<name>/<id>', found {shown(alb_arn)}"
        )
    partition, region = match["partition"], match["region"]
    if partition == "aws" and not region.startswith(("us-gov-", "cn-")):
        return f"https://public-keys.auth.elb.{region}.amazonaws.com"
    if partition == "aws-us-gov" and region.startswith("us-gov-"):
        return f"https://s3-{region}.amazonaws.com/aws-elb-public-keys-prod-{region}"
    raise ConfigurationError(
        f"alb_arn: expected a commercial or GovCloud ALB (AWS documents the key endpoint of "
        f"no other partition), found partition {partition!r} in region {region!r}; "
        "pass key_endpoint= explicitly"
    )


class _AlbRules(NamedTuple):
    """An ALB's rules: its header's `exp`, `iss` and `client`, and the payload's claims.

    The header rules run before the key is looked up (`check_header`), the
    payload rules after the signature (`check`), with the claim-type rules
    every verifier runs.
    """

    issuer: str | None
    clients: frozenset[str] | None
    leeway: float

    def check_header(self, header: Mapping[str, Any], now: float) -> None:
        """The header's `exp` (the one NumericDate reader), `iss` and `client`.

        Raises:
            InvalidTokenError: (401) the first rule the header breaks.
        """
        exp = _claim_types.numeric_date(header, "exp", where="header")
        if exp is None:
            raise MissingClaimError(
                "header exp: expected a NumericDate, found none", reason="missing_exp"
            )
        if not exp > now - self.leeway:  # negated: a NaN clock fails closed
            raise TokenExpiredError(
                f"header exp: expected after {now - self.leeway:.0f} (now - leeway), "
                f"found {shown(exp)}",
                reason="token_expired",
            )
        if self.issuer is not None:
            iss = header.get("iss")
            if iss is None:
                raise MissingClaimError(
                    "header iss: expected the provider's issuer, found none", reason="missing_iss"
                )
            if iss != self.issuer:
                raise InvalidIssuerError(
                    expected_found("header iss", self.issuer, iss), reason="invalid_issuer"
                )
        if self.clients is not None:
            client = header.get("client")
            if client is None:
                raise MissingClaimError(
                    "header client: expected an app client id, found none",
                    reason="missing_client",
                )
            if not isinstance(client, str) or client not in self.clients:
                raise InvalidAudienceError(
                    expected_found("header client", " or ".join(sorted(self.clients)), client),
                    reason="invalid_client",
                )

    def check(self, claims: dict[str, Any]) -> None:
        """The claim types every verifier checks, then the payload's `iss` when present.

        The payload is the IdP's userinfo answer: Cognito's carries `username`,
        and the names Cognito defines are typed only where present, as in its tokens.
        """
        _claim_types.check_claim_types(claims, cognito=True)
        if self.issuer is not None and "iss" in claims and claims["iss"] != self.issuer:
            raise InvalidIssuerError(
                expected_found("claim iss", self.issuer, claims["iss"]),
                reason="invalid_issuer",
            )
