"""The tutorial's test against a deployed reference API: who may `DELETE /news`.

    python examples/reference_api/smoke.py \\
        --cognito-url https://abc123.execute-api.us-east-1.amazonaws.com/api \\
        --lambda-url  https://def456.execute-api.us-east-1.amazonaws.com/api \\
        --reader-token "$READER_ID_TOKEN" --admin-token "$ADMIN_ID_TOKEN"

`--cognito-url` is the stage behind API Gateway's Cognito authorizer (any
signed-in user may delete), `--lambda-url` the same API behind the Lambda
authorizer built on cognito_jwt (only the `admin` group may).  The tokens are
ID tokens of a user outside and inside `admin` (`sign_in.py` prints them).

Every call is made twice, and the reader and admin sequences run in both
orders, so an answer API Gateway cached wrongly (say a reader's `Allow` reused
for `DELETE`) shows up as a wrong status.  Exit status 0 only if every call
got the expected one.  Tokens are sent only to the two URLs given.
"""

from __future__ import annotations

import argparse
import sys
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO

__all__ = ["Check", "main", "run_smoke"]

TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class Check:
    """One call: which variant, who, expected and got."""

    variant: str
    method: str
    who: str
    expected: int
    got: int

    @property
    def ok(self) -> bool:
        """Whether the status was the expected one."""
        return self.expected == self.got


def _call(url: str, method: str, token: str | None) -> int:
    request = urllib.request.Request(f"{url.rstrip('/')}/news", method=method)
    if token:
        request.add_header("Authorization", token)
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def run_smoke(
    cognito_url: str, lambda_url: str, reader_token: str, admin_token: str
) -> list[Check]:
    """Run the whole sequence; return every call's outcome."""
    checks: list[Check] = []
    variants = (("Cognito", cognito_url, 200), ("Lambda", lambda_url, 403))
    anonymous: list[tuple[str, str | None, str, int]] = [
        ("anonymous", None, "GET", 200),
        ("anonymous", None, "DELETE", 401),
    ]
    people: list[tuple[str, str | None]] = [("reader", reader_token), ("admin", admin_token)]
    for variant, url, reader_delete in variants:
        calls = list(anonymous)
        for order in (people, people[::-1]):
            for who, token in order:
                deleted = reader_delete if who == "reader" else 200
                calls += [(who, token, "GET", 200), (who, token, "DELETE", deleted)]
        for who, token, method, expected in calls:
            for _ in range(2):  # the second call is answered from API Gateway's cache
                checks.append(Check(variant, method, who, expected, _call(url, method, token)))
    return checks


def print_checks(checks: Sequence[Check], out: IO[str]) -> None:
    """A line per call, then the summary."""
    for check in checks:
        verdict = "ok" if check.ok else "UNEXPECTED"
        print(
            f"{check.variant:8} {check.method:6} /news as {check.who:9} "
            f"expected {check.expected} got {check.got}  {verdict}",
            file=out,
        )
    bad = sum(not c.ok for c in checks)
    print(f"{len(checks) - bad}/{len(checks)} calls got the expected status", file=out)


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; exit 1 on any unexpected status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--cognito-url", required=True, help="stage URL, Cognito authorizer")
    parser.add_argument("--lambda-url", required=True, help="stage URL, Lambda authorizer")
    parser.add_argument("--reader-token", required=True, help="ID token of a non-admin user")
    parser.add_argument("--admin-token", required=True, help="ID token of an admin user")
    args = parser.parse_args(argv)
    checks = run_smoke(args.cognito_url, args.lambda_url, args.reader_token, args.admin_token)
    print_checks(checks, sys.stdout)
    return 0 if all(c.ok for c in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
