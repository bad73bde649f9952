"""`DynamoDbStore`: a revocation list shared by a fleet of Lambda authorizers.

The table (documented in docs/revocation.md, with a CloudFormation snippet):

* partition key `pk` (String): the entry key (`cognito_jwt.revocation` writes
  JSON arrays such as `["sub","cognito:us-east-1_Abc","<sub>"]`);
* `at` (Number): when the token was revoked, or the user's cut-off;
* `expires_at` (Number, epoch seconds): the table's TTL attribute.

DynamoDB deletes expired items in the background, typically within days, so
`get` ignores any item whose `expires_at` has passed.  Reads are strongly
consistent, so a revocation written in the region is seen by the next read.
The store takes the boto3 client you built (with the timeouts and retries
your latency budget allows); the package itself never imports boto3.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cognito_jwt.errors import ConfigurationError

__all__ = ["DynamoDbStore"]

#: The table's partition key attribute.
KEY_ATTRIBUTE = "pk"
#: The entry's time attribute.
AT_ATTRIBUTE = "at"
#: The TTL attribute (enable TTL on the table with this name).
TTL_ATTRIBUTE = "expires_at"
#: BatchGetItem may leave keys unprocessed under throttling: retried this often.
_BATCH_ATTEMPTS = 3


class DynamoDbStore:
    """Revocation entries in a DynamoDB table (boto3).

    Args:
        table_name: the table (partition key `pk`, a String; TTL on `expires_at`).
        client: a boto3 `dynamodb` client, required: give it timeouts and
            retries that fit your latency budget (`botocore.config.Config`),
            since a slow read holds a request.

    The async methods run the boto3 call in a worker thread.

    Examples:
        >>> import boto3
        >>> from cognito_jwt.revocation import DynamoDbStore, RevocationList
        >>> dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        >>> revocations = RevocationList(DynamoDbStore("revocations", client=dynamodb))
    """

    def __init__(self, table_name: str, *, client: Any) -> None:
        if not isinstance(table_name, str) or not table_name:
            raise ConfigurationError(f"table_name: expected a non-empty str, found {table_name!r}")
        if not all(
            callable(getattr(client, name, None)) for name in ("put_item", "batch_get_item")
        ):
            raise ConfigurationError(
                f"client: expected a boto3 dynamodb client, found {type(client).__name__}"
            )
        self.table_name = table_name
        self.client = client

    def put(self, key: str, value: float, expires_at: float) -> None:
        """Write the entry with its TTL, unless the table holds a later time for it.

        A conditional write: an item whose `at` is later stays (its expiry is
        later too, since an entry's lifetime follows its time), so a slow or
        retried earlier write cannot lower a cut-off another process wrote.
        """
        try:
            self.client.put_item(
                TableName=self.table_name,
                Item={
                    KEY_ATTRIBUTE: {"S": key},
                    AT_ATTRIBUTE: {"N": repr(float(value))},
                    TTL_ATTRIBUTE: {"N": str(int(expires_at) + 1)},
                },
                ConditionExpression="attribute_not_exists(#key) OR #at <= :at",
                ExpressionAttributeNames={"#key": KEY_ATTRIBUTE, "#at": AT_ATTRIBUTE},
                ExpressionAttributeValues={":at": {"N": repr(float(value))}},
            )
        except Exception as error:  # boto3's error classes live on the client
            if _error_code(error) != "ConditionalCheckFailedException":
                raise

    def get(self, keys: Sequence[str], now: float) -> list[float | None]:
        """Read the entries in one `BatchGetItem`, ignoring items past their TTL.

        Raises:
            Exception: whatever boto3 raises (a missing table, no network,
                throttling), or `RuntimeError` if keys stay unprocessed.
        """
        wanted: dict[str, Any] = {
            self.table_name: {
                "Keys": [{KEY_ATTRIBUTE: {"S": key}} for key in dict.fromkeys(keys)],
                "ConsistentRead": True,
            }
        }
        found: dict[str, float] = {}
        for _ in range(_BATCH_ATTEMPTS):
            answer = self.client.batch_get_item(RequestItems=wanted)
            for item in answer.get("Responses", {}).get(self.table_name, []):
                if float(item[TTL_ATTRIBUTE]["N"]) > now:
                    found[item[KEY_ATTRIBUTE]["S"]] = float(item[AT_ATTRIBUTE]["N"])
            wanted = answer.get("UnprocessedKeys") or {}
            if not wanted:
                return [found.get(key) for key in keys]
        raise RuntimeError("DynamoDB left keys unprocessed after retries")

    async def put_async(self, key: str, value: float, expires_at: float) -> None:
        """`put` in a worker thread."""
        import asyncio

        await asyncio.to_thread(self.put, key, value, expires_at)

    async def get_async(self, keys: Sequence[str], now: float) -> list[float | None]:
        """`get` in a worker thread."""
        import asyncio

        return await asyncio.to_thread(self.get, keys, now)


def _error_code(error: Exception) -> str | None:
    """The AWS error code of a botocore `ClientError` (without importing botocore)."""
    response = getattr(error, "response", None)
    if not isinstance(response, dict):
        return None
    code = response.get("Error", {}).get("Code")
    return code if isinstance(code, str) else None
