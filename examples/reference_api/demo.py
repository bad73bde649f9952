"""Run the reference newspaper API locally, end to end, and print what happens.

    python examples/reference_api/demo.py        (or: nox -s demo)

1. start moto (a local AWS emulator) on 127.0.0.1, with dummy credentials;
2. run ``deploy.py``'s deployment against it: user pool, ``admin`` group,
   secretless app client, REST API with ``GET``/``DELETE /news`` and the Cognito
   authorizer;
3. sign up and confirm two users, ``reader`` and ``editor`` (``editor`` joins
   ``admin``), and sign both in with USER_PASSWORD_AUTH;
4. serve the API through two local gateways (see ``local_gateway.py``): one
   enforcing the **Cognito authorizer** with cognito_jwt, one calling the custom
   **Lambda authorizer** in ``authorizer.py`` and enforcing its policy;
5. send the tutorial's requests to both and print a table of expected and
   actual statuses;
6. sign ``reader`` and ``editor`` out everywhere (moto's ``GlobalSignOut``),
   write the sign-outs to a revocation list as the application would, and show
   that the old tokens still verify, and still pass API Gateway's cached
   answer, unless the verifier has ``revocation=`` (docs/revocation.md); then
   stop everything it started.

The exit status is 0 only if every request got the expected status.  Nothing
leaves 127.0.0.1, and no real AWS credentials are ever used.
"""

from __future__ import annotations

import argparse
import base64
import importlib.util
import json
import os
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import IO, Literal

import deploy
import sign_in
import smoke
from local_gateway import LambdaHandler, LocalGateway, Route
from moto_server import MotoServer, dummy_aws_environment

from cognito_jwt import CognitoJwtVerifier
from cognito_jwt.authorizer import make_handler, require_groups_for
from cognito_jwt.revocation import MemoryStore, RevocationList

HERE = Path(__file__).resolve().parent
PASSWORD = "Corr3ct-Horse-Battery!"  # a throwaway user in a throwaway emulator


@dataclass(frozen=True)
class Case:
    """One request of the tutorial and the status API Gateway would answer."""

    method: str
    credential: str  # key into the credentials table, "" for none
    label: str
    cognito_status: int
    lambda_status: int
    shows: str


CASES = (
    Case("GET", "", "no token", 200, 200, "the public route needs no token"),
    Case("DELETE", "", "no token", 401, 401, "no identity source: 401, no authorizer call"),
    Case(
        "DELETE",
        "tampered",
        "reader's ID token, forged admin group",
        401,
        401,
        "an edited payload fails the RS256 signature",
    ),
    Case(
        "DELETE",
        "reader-access",
        "reader's access token (ID token required)",
        401,
        401,
        "token_use is checked",
    ),
    Case(
        "DELETE",
        "reader-id",
        "reader's ID token (not in admin)",
        200,
        403,
        "Cognito: signed in is enough; Lambda: admin only",
    ),
    Case("DELETE", "editor-id", "editor's ID token (in admin)", 200, 200, "the admin may delete"),
)

#: The rows after both users signed out everywhere (GlobalSignOut):
#: (authorizer, credential, label, expected status, what it shows).
SIGN_OUT_CASES = (
    ("Cognito", "reader-id", "reader's ID token, after GlobalSignOut", 200,
     "a signed-out token still verifies: a JWT is self-contained"),
    ("Cognito (revocation)", "reader-id", "reader's ID token, after GlobalSignOut", 401,
     "refused: the app wrote the sign-out to its revocation list"),
    ("Lambda", "editor-id", "editor's ID token, after GlobalSignOut", 200,
     "still allowed: it verifies, and API Gateway cached the Allow (300 s)"),
    ("Lambda (revocation)", "editor-id", "editor's ID token, after GlobalSignOut", 401,
     "refused while nothing is cached: the cache TTL is the trade-off"),
)  # fmt: skip

#: What the table's variants are, printed under it.
LEGEND = """\
The Cognito rows: API Gateway's built-in Cognito authorizer, emulated by the local
  gateway with cognito_jwt (is this a valid ID token of the pool?). As in the
  tutorial it checks authentication only, so the reader's DELETE gets 200.
The Lambda rows: the custom authorizer examples/reference_api/authorizer.py, called
  by the local gateway's model of API Gateway (gateway_model.py: the TOKEN or
  REQUEST event, answers cached per token for 300 s, the policy evaluated
  against each request's ARN). Sign-up, sign-in and the JWKS are moto's.
The (revocation) rows: the same authorizers built with revocation= on a revocation
  list (in process here; a fleet shares DynamoDB or Redis) that the app writes after
  GlobalSignOut. A revoked token is refused on every check, but an answer API Gateway
  cached before the sign-out still stands until its TTL ends: a sign-out takes effect
  within the authorizer cache TTL plus the list's cache_ttl (5 s)."""


@dataclass(frozen=True)
class Row:
    """One line of the result table."""

    authorizer: str
    request: str
    credentials: str
    expected: int
    got: int
    reason: str
    shows: str = ""

    @property
    def ok(self) -> bool:
        """Whether the status is the expected one."""
        return self.expected == self.got


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forge_groups(id_token: str, groups: list[str]) -> str:
    """Rewrite a token's payload to claim ``groups``, keeping the old signature.

    The attack a verifier exists to stop: the payload is readable and editable
    by anyone, only the signature ties it to Cognito.
    """
    header, payload, signature = id_token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["cognito:groups"] = groups
    return f"{header}.{_b64(json.dumps(claims).encode())}.{signature}"


def request(url: str, method: str, token: str | None) -> tuple[int, str]:
    """Send one request; return (status, reason header of the local gateway)."""
    req = urllib.request.Request(url, method=method)
    if token:
        req.add_header("Authorization", token)
    try:
        with urllib.request.urlopen(req, timeout=10) as response:
            return response.status, response.headers.get("x-local-reason", "")
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers.get("x-local-reason", "")


def load_authorizer(deployment: deploy.Deployment) -> LambdaHandler:
    """Import ``authorizer.py`` as Lambda would, with its environment set first."""
    os.environ.update(
        {
            "USER_POOL_ID": deployment.user_pool_id,
            "CLIENT_ID": deployment.client_id,
            "JWKS_URI": deployment.jwks_uri,
        }
    )
    spec = importlib.util.spec_from_file_location(
        "reference_api_authorizer", HERE / "authorizer.py"
    )
    if spec is None or spec.loader is None:
        raise RuntimeError("cannot load authorizer.py")
    module: ModuleType = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    handler: LambdaHandler = module.handler
    return handler


def create_users(clients: deploy.Clients, deployment: deploy.Deployment) -> dict[str, str]:
    """Sign up, confirm and sign in ``reader`` and ``editor``; return the credentials."""
    cognito, client_id = clients.cognito, deployment.client_id
    tokens = {}
    for username in ("reader", "editor"):
        sign_in.sign_up(cognito, client_id, username, PASSWORD, f"{username}@example.com")
        # moto emails nothing and accepts any code; on AWS this is the emailed code.
        sign_in.confirm(cognito, client_id, username, "000000")
        if username == "editor":
            cognito.admin_add_user_to_group(
                UserPoolId=deployment.user_pool_id, Username=username, GroupName=deploy.ADMIN_GROUP
            )
        tokens[username] = sign_in.sign_in(cognito, client_id, username, PASSWORD)
    return {
        "reader-id": tokens["reader"].id_token,
        "reader-access": tokens["reader"].access_token,
        "editor-id": tokens["editor"].id_token,
        "editor-access": tokens["editor"].access_token,
        "tampered": forge_groups(tokens["reader"].id_token, [deploy.ADMIN_GROUP]),
    }


def print_table(rows: Sequence[Row], out: IO[str]) -> None:
    """The result table: one line per request, expected vs. got."""
    headers = (
        "Authorizer",
        "Request",
        "Credentials",
        "Expected",
        "Got",
        "Result",
        "Reason",
        "Shows",
    )
    lines = [
        (r.authorizer, r.request, r.credentials, str(r.expected), str(r.got),
         "ok" if r.ok else "UNEXPECTED", r.reason, r.shows)
        for r in rows
    ]  # fmt: skip
    widths = [max(len(h), *(len(line[i]) for line in lines)) for i, h in enumerate(headers)]

    def fmt(cells: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    print(fmt(headers), file=out)
    print(fmt(["-" * w for w in widths]), file=out)
    for line in lines:
        print(fmt(line), file=out)


def run(out: IO[str] = sys.stdout, event_type: Literal["TOKEN", "REQUEST"] = "TOKEN") -> list[Row]:
    """Do the whole demo; return the rows (the caller decides the exit status)."""

    def step(text: str) -> None:
        print(f"[{time.monotonic() - started:5.1f}s] {text}", file=out, flush=True)

    started = time.monotonic()
    rows: list[Row] = []
    with MotoServer() as moto, dummy_aws_environment(moto.url):
        step(f"moto (local AWS emulator) listening on {moto.url}")
        clients = deploy.make_clients()
        deployment = deploy.deploy(clients)
        step(
            f"deployed REST API {deployment.api_id} (stage {deployment.stage!r}), "
            f"user pool {deployment.user_pool_id}, app client {deployment.client_id}"
        )
        credentials = create_users(clients, deployment)
        step("signed up, confirmed and signed in 'reader' and 'editor' (group 'admin')")

        verifier = CognitoJwtVerifier(
            user_pool_id=deployment.user_pool_id,
            token_use="id",
            client_id=deployment.client_id,
            jwks_uri=deployment.jwks_uri,
            allow_http=True,  # moto serves its keys over http on 127.0.0.1
        )
        routes = [
            Route("GET", "/news", protected=False, body=deploy.NEWS_RESPONSE),
            Route("DELETE", "/news", protected=True, body=deploy.DELETE_RESPONSE),
        ]
        arn_prefix = (
            f"arn:aws:execute-api:{deployment.region}:{deployment.account_id}:{deployment.api_id}"
        )
        cognito_gateway = LocalGateway(
            mode="cognito",
            arn_prefix=arn_prefix,
            stage=deployment.stage,
            routes=routes,
            verifier=verifier,
        )
        lambda_gateway = LocalGateway(
            mode="lambda",
            arn_prefix=arn_prefix,
            stage=deployment.stage,
            routes=routes,
            authorizer=load_authorizer(deployment),
            authorizer_type=event_type,
        )
        with cognito_gateway, lambda_gateway:
            step(
                f"serving the API at {cognito_gateway.url} (Cognito authorizer) "
                f"and {lambda_gateway.url} (Lambda authorizer, {event_type} events)"
            )
            for name, gateway in (("Cognito", cognito_gateway), ("Lambda", lambda_gateway)):
                for case in CASES:
                    token = credentials[case.credential] if case.credential else None
                    status, reason = request(f"{gateway.url}/news", case.method, token)
                    expected = case.cognito_status if name == "Cognito" else case.lambda_status
                    shows = case.shows.split("; ")[0 if name == "Cognito" else -1]
                    rows.append(
                        Row(
                            name,
                            f"{case.method} /news",
                            case.label,
                            expected,
                            status,
                            reason,
                            shows.removeprefix(f"{name}: "),
                        )
                    )
            checks = smoke.run_smoke(
                cognito_gateway.url,
                lambda_gateway.url,
                credentials["reader-id"],
                credentials["editor-id"],
            )
            bad = [c for c in checks if not c.ok]
            step(
                f"smoke.py against both gateways: {len(checks) - len(bad)}/{len(checks)} calls "
                "as expected (each call twice, reader and admin in both orders)"
            )
            for check in bad:
                rows.append(
                    Row(check.variant, f"{check.method} /news", f"smoke: {check.who}",
                        check.expected, check.got, "smoke", "a cached answer went wrong")
                )  # fmt: skip
            rows.extend(
                sign_out_rows(clients, deployment, credentials, cognito_gateway, lambda_gateway)
            )
            step("signed 'reader' and 'editor' out everywhere; the app wrote its revocation list")
        removed = deploy.teardown(clients)
        step(f"torn down: {', '.join(removed)}")
    step("stopped the gateways and moto")
    return rows


def sign_out_rows(
    clients: deploy.Clients,
    deployment: deploy.Deployment,
    credentials: dict[str, str],
    cognito_gateway: LocalGateway,
    lambda_gateway: LocalGateway,
) -> list[Row]:
    """Both users sign out everywhere; the old tokens against gateways with and without revocation.

    The application's side of a sign-out: `GlobalSignOut`, then the entry in
    the revocation list its verifiers read (examples/revocation_signout.py).
    """
    revocations = RevocationList(MemoryStore())
    revoking = CognitoJwtVerifier(
        user_pool_id=deployment.user_pool_id,
        token_use="id",
        client_id=deployment.client_id,
        jwks_uri=deployment.jwks_uri,
        allow_http=True,
        revocation=revocations,
    )
    for user in ("reader", "editor"):
        claims = revoking.verify(credentials[f"{user}-id"])  # before: the session stands
        clients.cognito.global_sign_out(AccessToken=credentials[f"{user}-access"])
        revocations.revoke_user(iss=claims["iss"], sub=claims["sub"])
    routes = [Route("DELETE", "/news", protected=True, body=deploy.DELETE_RESPONSE)]
    arn_prefix = (
        f"arn:aws:execute-api:{deployment.region}:{deployment.account_id}:{deployment.api_id}"
    )
    revoking_cognito = LocalGateway(
        mode="cognito", arn_prefix=arn_prefix, stage=deployment.stage, routes=routes,
        verifier=revoking,
    )  # fmt: skip
    revoking_lambda = LocalGateway(
        mode="lambda",
        arn_prefix=arn_prefix,
        stage=deployment.stage,
        routes=routes,
        # authorizer.py's handler, built on the revoking verifier.
        authorizer=make_handler(revoking, rule=require_groups_for({"DELETE": deploy.ADMIN_GROUP})),
        authorizer_type=lambda_gateway.authorizer_type,
    )
    gateways = {
        "Cognito": cognito_gateway,
        "Cognito (revocation)": revoking_cognito,
        "Lambda": lambda_gateway,
        "Lambda (revocation)": revoking_lambda,
    }
    rows = []
    with revoking_cognito, revoking_lambda:
        for name, credential, label, expected, shows in SIGN_OUT_CASES:
            status, reason = request(
                f"{gateways[name].url}/news", "DELETE", credentials[credential]
            )
            rows.append(Row(name, "DELETE /news", label, expected, status, reason, shows))
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point: run, print the table, exit 1 on any surprise."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--event-type",
        choices=("TOKEN", "REQUEST"),
        default="TOKEN",
        help="authorizer event shape sent to authorizer.py (default: TOKEN)",
    )
    args = parser.parse_args(argv)
    rows = run(sys.stdout, args.event_type)
    print(file=sys.stdout)
    print_table(rows, sys.stdout)
    print(f"\n{LEGEND}")
    bad = [row for row in rows if not row.ok]
    print(
        f"\n{len(rows) - len(bad)}/{len(rows)} requests got the expected status"
        + ("" if not bad else f"; {len(bad)} UNEXPECTED")
    )
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
