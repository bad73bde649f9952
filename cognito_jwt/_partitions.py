"""Which AWS partition a region belongs to, and the DNS suffix of its Cognito issuer.

A Cognito issuer is `https://cognito-idp.<region>.<dns suffix>/<pool id>`, and
the suffix depends on the partition: `amazonaws.com` for the commercial
regions and AWS GovCloud (US), `amazonaws.com.cn` for China, `amazonaws.eu` for
the AWS European Sovereign Cloud.  The region patterns and suffixes are those
of the AWS SDKs' partition table (`partitions.json` in botocore and the other
SDKs); the issuer form is the one the Cognito developer guide documents in
"Verifying JSON web tokens"
(https://docs.aws.amazon.com/cognito/latest/developerguide/amazon-cognito-user-pools-using-tokens-verifying-a-jwt.html,
and its China edition at https://docs.amazonaws.cn/en_us/cognito/latest/developerguide/amazon-cognito-user-pools-using-tokens-verifying-a-jwt.html).

The isolated partitions (`aws-iso`, `aws-iso-b`, `aws-iso-e`, `aws-iso-f`)
have DNS suffixes of their own (`c2s.ic.gov`, `sc2s.sgov.gov`, `cloud.adc-e.uk`,
`csp.hci.ic.gov`), but no public AWS document says which issuer Cognito puts
in their tokens.  Guessing would either refuse every genuine token or, worse,
derive an issuer on a host nobody checked, so a pool id there is refused with
a `ConfigurationError` that says to pass `issuer=` (and `jwks_uri=`).  So is a
region that matches no known partition: deriving `amazonaws.com` for it (what
this library once did for every region) is a guess too.
"""

from __future__ import annotations

import re

from cognito_jwt.errors import ConfigurationError, shown

__all__ = ["dns_suffix"]

#: (partition, region pattern, DNS suffix of its Cognito issuer or `None` when
#: that is not documented).  Patterns from the SDKs' `partitions.json`; `\w` is
#: ASCII-only, so a non-ASCII letter cannot carry a region into a partition.
_PARTITIONS: tuple[tuple[str, re.Pattern[str], str | None], ...] = (
    ("aws", re.compile(r"(?:us|eu|ap|sa|ca|me|af|il|mx)-\w+-\d+", re.ASCII), "amazonaws.com"),
    ("aws-us-gov", re.compile(r"us-gov-\w+-\d+", re.ASCII), "amazonaws.com"),
    ("aws-cn", re.compile(r"cn-\w+-\d+", re.ASCII), "amazonaws.com.cn"),
    ("aws-eusc", re.compile(r"eusc-de-\w+-\d+", re.ASCII), "amazonaws.eu"),
    ("aws-iso", re.compile(r"us-iso-\w+-\d+", re.ASCII), None),
    ("aws-iso-b", re.compile(r"us-isob-\w+-\d+", re.ASCII), None),
    ("aws-iso-e", re.compile(r"eu-isoe-\w+-\d+", re.ASCII), None),
    ("aws-iso-f", re.compile(r"us-isof-\w+-\d+", re.ASCII), None),
)


def dns_suffix(region: str) -> str:
    """The DNS suffix of the Cognito issuer in `region`, e.g. `amazonaws.com.cn`.

    Raises:
        ConfigurationError: `region` is in a partition whose Cognito issuer is
            not documented, or in no known partition; the message says to pass
            `issuer=` (and `jwks_uri=`) instead.

    Examples:
        >>> dns_suffix("cn-north-1")
        'amazonaws.com.cn'
    """
    for partition, pattern, suffix in _PARTITIONS:
        if pattern.fullmatch(region):
            if suffix is None:
                raise ConfigurationError(
                    f"user_pool_id: region {shown(region)} is in the {partition} partition, "
                    "whose Cognito issuer cognito_jwt cannot derive; pass issuer= (the iss of "
                    "your tokens) and, if the keys are not at <issuer>/.well-known/jwks.json, "
                    "jwks_uri="
                )
            return suffix
    raise ConfigurationError(
        f"user_pool_id: region {shown(region)} is in no AWS partition cognito_jwt knows; "
        "pass issuer= (the iss of your tokens) and, if the keys are not at "
        "<issuer>/.well-known/jwks.json, jwks_uri="
    )
