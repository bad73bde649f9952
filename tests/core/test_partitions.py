"""The partition table: each region's Cognito DNS suffix, or a refusal that says what to pass.

Checked against the AWS SDK's own partition data (botocore's `partitions.json`,
an independent source), when botocore is installed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fixed_time import NOW

from cognito_jwt import CognitoJwtVerifier, ConfigurationError, cognito_issuers
from cognito_jwt._partitions import dns_suffix
from cognito_jwt.testing import FakeCognitoPool

ISOLATED = ("us-iso-east-1", "us-isob-east-1", "eu-isoe-west-1", "us-isof-south-1")


@pytest.mark.parametrize(
    ("region", "suffix"),
    [
        ("us-east-1", "amazonaws.com"),
        ("ap-southeast-7", "amazonaws.com"),
        ("mx-central-1", "amazonaws.com"),
        ("us-gov-west-1", "amazonaws.com"),
        ("cn-north-1", "amazonaws.com.cn"),
        ("cn-northwest-1", "amazonaws.com.cn"),
        ("eusc-de-east-1", "amazonaws.eu"),
    ],
)
def test_documented_partitions_map_to_their_suffix(region: str, suffix: str) -> None:
    assert dns_suffix(region) == suffix
    issuer = f"https://cognito-idp.{region}.{suffix}/{region}_AbC"
    assert cognito_issuers(f"{region}_AbC")[0] == issuer


@pytest.mark.parametrize("region", ISOLATED)
def test_isolated_regions_are_refused_with_what_to_pass(region: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        dns_suffix(region)
    assert "issuer=" in info.value.message
    assert "jwks_uri=" in info.value.message
    assert "aws-iso" in info.value.message
    with pytest.raises(ConfigurationError, match="issuer="):
        cognito_issuers(f"{region}_AbC")
    with pytest.raises(ConfigurationError, match="issuer="):
        CognitoJwtVerifier(user_pool_id=f"{region}_AbC", token_use="id", client_id="c")


@pytest.mark.parametrize("region", ["xx-east-1", "zz-top-9", "us-e\u0430st-1", "us-east-x"])
def test_regions_of_no_known_partition_are_refused(region: str) -> None:
    with pytest.raises(ConfigurationError, match="no AWS partition"):
        dns_suffix(region)


def test_an_isolated_pool_verifies_with_the_issuer_it_was_given() -> None:
    issuer = "https://cognito-idp.us-iso-east-1.c2s.ic.gov/us-iso-east-1_Iso1"
    pool = FakeCognitoPool("us-iso-east-1_Iso1", issuer=issuer)
    verifier = CognitoJwtVerifier(
        user_pool_id=pool.user_pool_id,
        token_use="id",
        client_id=pool.client_id,
        issuer=issuer,
        jwks=pool.jwks,
        clock=lambda: NOW,
    )
    assert verifier.issuers == (issuer,)
    assert verifier.verify(pool.id_token(now=NOW))["iss"] == issuer
    with pytest.raises(ConfigurationError, match="user_pool_id"):
        CognitoJwtVerifier(user_pool_id="not a pool", token_use="id", client_id="c", issuer=issuer)


def _sdk_partitions() -> list[dict[str, Any]]:
    botocore = pytest.importorskip("botocore")
    path = Path(botocore.__file__).parent / "data" / "partitions.json"
    if not path.is_file():
        pytest.skip("this botocore has no partitions.json")
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return list(data["partitions"])


def test_every_region_the_sdk_knows_agrees_with_the_sdk() -> None:
    """Each region botocore lists gets botocore's DNS suffix, or a refusal for the isolated ones."""
    checked = 0
    for partition in _sdk_partitions():
        suffix = partition["outputs"]["dnsSuffix"]
        for region in partition.get("regions", {}):
            if region.startswith("aws-"):  # the "aws-global"-style pseudo regions
                continue
            checked += 1
            if partition["id"].startswith("aws-iso"):
                with pytest.raises(ConfigurationError):
                    dns_suffix(region)
            else:
                assert dns_suffix(region) == suffix, region
    assert checked >= 30
