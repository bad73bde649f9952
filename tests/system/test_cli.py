"""The ``cognito-jwt`` command, run in-process through ``main([...])``.

Tokens are real RS256 tokens from :class:`FakeCognitoPool`; keys come from a
JWKS file (offline path) or from the pool's loopback JWKS server.  Every
failure asserts the exit code of its family, the error class and its reason,
and that the token itself was not printed.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cognito_jwt import CognitoJwtVerifier, JwtVerifier, cli, decode_unverified
from cognito_jwt import _fetch as cli_fetch
from cognito_jwt.cli import (
    EXIT_ACCESS_DENIED,
    EXIT_INVALID_TOKEN,
    EXIT_KEYS_UNAVAILABLE,
    EXIT_OK,
    EXIT_USAGE,
    main,
)
from cognito_jwt.testing import FakeCognitoPool, JwksServer, b64url

ROOT = Path(__file__).resolve().parents[2]


class Result:
    """What one run of the command produced."""

    def __init__(self, code: int, out: str, err: str) -> None:
        self.code = code
        self.out = out
        self.err = err

    def json(self) -> Any:
        return json.loads(self.out)


class Cli:
    """Runs ``main`` with captured stdout/stderr and an optional stdin."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
        self._monkeypatch = monkeypatch
        self._capsys = capsys

    def __call__(self, *argv: str, stdin: str | None = None, tty: bool = False) -> Result:
        stream = _Stdin(stdin or "", tty=tty)
        self._monkeypatch.setattr(sys, "stdin", stream)
        self._capsys.readouterr()
        code = main(list(argv))
        captured = self._capsys.readouterr()
        return Result(code, captured.out, captured.err)


class _Stdin(io.StringIO):
    def __init__(self, text: str, *, tty: bool) -> None:
        super().__init__(text)
        self._tty = tty

    def isatty(self) -> bool:
        return self._tty


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Cli:
    return Cli(monkeypatch, capsys)


@pytest.fixture(scope="module")
def pool() -> FakeCognitoPool:
    return FakeCognitoPool()


@pytest.fixture
def jwks_file(pool: FakeCognitoPool, tmp_path: Path) -> Path:
    path = tmp_path / "jwks.json"
    path.write_text(pool.jwks_json, encoding="utf-8")
    return path


def pool_args(pool: FakeCognitoPool, token_use: str = "id") -> list[str]:
    """``verify`` for the pool, its client id and ``token_use``; keys still to choose."""
    return [
        "verify",
        "--user-pool-id",
        pool.user_pool_id,
        "--token-use",
        token_use,
        "--client-id",
        pool.client_id,
    ]


def verify_args(pool: FakeCognitoPool, jwks_file: Path, token_use: str = "id") -> list[str]:
    return [*pool_args(pool, token_use), "--jwks-file", str(jwks_file)]


def forged(pool: FakeCognitoPool) -> str:
    """The pool's claims and kid, signed by a key the pool never published."""
    claims = decode_unverified(pool.id_token())[1]
    intruder = FakeCognitoPool(user_pool_id="us-east-1_Intruder1")
    return pool.sign(claims, {"kid": pool.id_kid, "alg": "RS256"}, key=intruder.id_key)


def assert_not_echoed(token: str, result: Result) -> None:
    """Neither the token nor its signature appears in any output."""
    signature = token.rsplit(".", 1)[-1]
    assert token not in result.out + result.err
    assert signature not in result.out + result.err


# --------------------------------------------------------------------------- decode


def test_decode_prints_header_claims_and_marks_them_unverified(
    run: Cli, pool: FakeCognitoPool
) -> None:
    now = int(time.time())
    token = pool.id_token(now=now, expires_in=41 * 60 + 30)
    result = run("decode", "--at", str(now), token)  # a fixed clock: no second boundary
    assert result.code == EXIT_OK
    doc = result.json()
    assert doc["verified"] is False
    assert doc["warning"].startswith("UNVERIFIED")
    assert "UNVERIFIED" in result.err
    assert doc["header"]["alg"] == "RS256"
    assert doc["claims"]["iss"] == pool.issuer
    assert doc["claims"]["token_use"] == "id"
    assert doc["times"]["exp"]["relative"] == "expires in 41 min"
    assert doc["times"]["exp"]["utc"].endswith("Z")
    assert doc["times"]["iat"]["relative"] == "0 s ago"
    assert_not_echoed(token, result)


def test_decode_says_how_long_ago_a_token_expired(run: Cli, pool: FakeCognitoPool) -> None:
    token = pool.access_token(now=int(time.time()) - 4 * 3600 - 60, expires_in=3600)
    result = run("decode", token)
    assert result.code == EXIT_OK
    assert result.json()["times"]["exp"]["relative"] == "expired 3 h ago"


def test_decode_reads_stdin_dash(run: Cli, pool: FakeCognitoPool) -> None:
    token = pool.access_token()
    result = run("decode", "-", stdin=token + "\n")
    assert result.code == EXIT_OK
    assert result.json()["claims"]["token_use"] == "access"


def test_decode_reads_piped_stdin_without_argument(run: Cli, pool: FakeCognitoPool) -> None:
    result = run("decode", stdin=pool.id_token())
    assert result.code == EXIT_OK
    assert result.json()["claims"]["token_use"] == "id"


def test_decode_accepts_a_pasted_authorization_header(run: Cli, pool: FakeCognitoPool) -> None:
    token = pool.access_token()
    pasted = f"Host: api.example.com\nauthorization: bearer {token}\nAccept: */*\n"
    result = run("decode", stdin=pasted)
    assert result.code == EXIT_OK
    assert result.json()["claims"]["token_use"] == "access"


def test_decode_accepts_bearer_argument(run: Cli, pool: FakeCognitoPool) -> None:
    result = run("decode", f"Bearer {pool.id_token()}")
    assert result.code == EXIT_OK


def test_decode_without_token_on_a_terminal_is_a_usage_error(run: Cli) -> None:
    result = run("decode", tty=True)
    assert result.code == EXIT_USAGE
    assert "no token" in result.err


def test_decode_rejects_several_candidate_lines(run: Cli, pool: FakeCognitoPool) -> None:
    result = run("decode", stdin=f"{pool.id_token()}\n{pool.access_token()}\n")
    assert result.code == EXIT_USAGE
    assert "found 2 lines" in result.err


def test_decode_of_garbage_is_an_invalid_token(run: Cli) -> None:
    result = run("decode", "not-a-jwt")
    assert result.code == EXIT_INVALID_TOKEN
    assert "MalformedTokenError" in result.err
    assert "reason: malformed_token" in result.err
    assert result.out == ""


def test_decode_does_not_echo_a_malformed_token(run: Cli, pool: FakeCognitoPool) -> None:
    token = pool.id_token()
    broken = token[:-2] + "!!"  # invalid base64url in the signature
    result = run("decode", broken)
    assert result.code == EXIT_INVALID_TOKEN
    assert "invalid_base64url" in result.err
    assert_not_echoed(broken, result)


@pytest.mark.parametrize("value", ["Basic dXNlcjpwYXNz", "Authorization: Basic dXNlcjpwYXNz"])
def test_other_authorization_scheme_is_rejected(run: Cli, value: str) -> None:
    result = run("decode", stdin=value)
    assert result.code == EXIT_INVALID_TOKEN
    assert "(reason: malformed_authorization)" in result.err
    assert "dXNlcjpwYXNz" not in result.err


def test_huge_stdin_is_refused_before_parsing(run: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "MAX_STDIN_BYTES", 100)
    result = run("decode", "-", stdin="x" * 101)
    assert result.code == EXIT_USAGE
    assert "at most 100" in result.err


# --------------------------------------------------------------------------- verify


def test_verify_prints_verified_claims(run: Cli, pool: FakeCognitoPool, jwks_file: Path) -> None:
    token = pool.id_token(email="jane@example.com")
    result = run(*verify_args(pool, jwks_file), token)
    assert result.code == EXIT_OK, result.err
    claims = result.json()
    assert claims["email"] == "jane@example.com"
    assert claims["aud"] == pool.client_id
    assert "verified (token_use=id" in result.err
    assert "expires in" in result.err
    assert_not_echoed(token, result)


def test_verify_access_token_with_group_and_scope_from_stdin(
    run: Cli, pool: FakeCognitoPool, jwks_file: Path
) -> None:
    token = pool.access_token(groups=["admin", "staff"], scopes=["orders/read", "openid"])
    result = run(
        *verify_args(pool, jwks_file, "access"),
        "--group",
        "nobody",
        "--group",
        "admin",
        "--scope",
        "orders/read",
        stdin=f"Authorization: Bearer {token}",
    )
    assert result.code == EXIT_OK, result.err
    assert result.json()["client_id"] == pool.client_id


def test_verify_any_token_use_and_any_client(
    run: Cli, pool: FakeCognitoPool, jwks_file: Path
) -> None:
    args = [
        "verify",
        "--user-pool-id",
        pool.user_pool_id,
        "--token-use",
        "any",
        "--any-client",
        "--jwks-file",
        str(jwks_file),
    ]
    for token in (pool.id_token(aud="another-app"), pool.access_token(client_id="another-app")):
        result = run(*args, token)
        assert result.code == EXIT_OK, result.err


def test_verify_accepts_one_of_several_client_ids(
    run: Cli, pool: FakeCognitoPool, jwks_file: Path
) -> None:
    args = verify_args(pool, jwks_file)
    result = run(*args[:-2], "--client-id", "someone-else", *args[-2:], pool.id_token())
    assert result.code == EXIT_OK, result.err


@pytest.mark.parametrize(
    ("make", "token_use", "error", "reason"),
    [
        (
            lambda p: p.id_token(now=int(time.time()) - 7200),
            "id",
            "TokenExpiredError",
            "token_expired",
        ),
        (lambda p: p.access_token(), "id", "InvalidTokenUseError", "wrong_token_use"),
        (lambda p: p.id_token(aud="intruder"), "id", "InvalidAudienceError", "invalid_audience"),
        (
            lambda p: p.access_token(client_id="intruder"),
            "access",
            "InvalidAudienceError",
            "invalid_client_id",
        ),
        (
            lambda p: p.id_token(iss="https://evil.example"),
            "id",
            "InvalidIssuerError",
            "invalid_issuer",
        ),
        (
            lambda p: p.id_token(header_overrides={"kid": "rotated-away"}),
            "id",
            "UnknownKeyError",
            "unknown_kid",
        ),
        (forged, "id", "InvalidSignatureError", "invalid_signature"),
    ],
    ids=["expired", "wrong-use", "audience", "client-id", "issuer", "unknown-kid", "forged"],
)
def test_verify_invalid_token_exits_3(
    run: Cli,
    pool: FakeCognitoPool,
    jwks_file: Path,
    make: Any,
    token_use: str,
    error: str,
    reason: str | None,
) -> None:
    token: str = make(pool)
    result = run(*verify_args(pool, jwks_file, token_use), token)
    assert result.code == EXIT_INVALID_TOKEN
    assert result.out == ""
    assert result.err.startswith(f"cognito-jwt: {error} (reason: ")
    if reason is not None:
        assert f"(reason: {reason})" in result.err
    assert_not_echoed(token, result)


def test_verify_leeway_accepts_a_just_expired_token(
    run: Cli, pool: FakeCognitoPool, jwks_file: Path
) -> None:
    token = pool.id_token(now=int(time.time()) - 3630, expires_in=3600)
    assert run(*verify_args(pool, jwks_file), token).code == EXIT_INVALID_TOKEN
    result = run(*verify_args(pool, jwks_file), "--leeway", "120", token)
    assert result.code == EXIT_OK, result.err


def test_an_unknown_kid_names_the_jwks_file_not_a_cognito_url(
    run: Cli, pool: FakeCognitoPool, jwks_file: Path
) -> None:
    token = pool.id_token(header_overrides={"kid": "rotated-away"})
    result = run(*verify_args(pool, jwks_file), token)
    assert result.code == EXIT_INVALID_TOKEN
    assert result.err == (
        "cognito-jwt: UnknownKeyError (reason: unknown_kid): kid 'rotated-away': expected one "
        f"of the keys in --jwks-file {jwks_file}, found none matching\n"
    )


def test_an_unknown_kid_fetched_names_the_jwks_uri(
    run: Cli, pool: FakeCognitoPool, jwks_server: Any
) -> None:
    token = pool.id_token(header_overrides={"kid": "rotated-away"})
    uri = jwks_server.url
    result = run(*pool_args(pool), "--jwks-uri", uri, "--allow-http", token)
    assert result.code == EXIT_INVALID_TOKEN
    assert f"expected one of the keys published at {uri}, found none matching" in result.err


def test_verify_missing_group_exits_4(run: Cli, pool: FakeCognitoPool, jwks_file: Path) -> None:
    token = pool.id_token(groups=["staff"])
    result = run(*verify_args(pool, jwks_file), "--group", "admin", token)
    assert result.code == EXIT_ACCESS_DENIED
    assert "MissingGroupError (reason: missing_group)" in result.err
    assert result.out == ""


def test_verify_missing_scope_exits_4(run: Cli, pool: FakeCognitoPool, jwks_file: Path) -> None:
    token = pool.access_token(scopes=["orders/read"])
    result = run(
        *verify_args(pool, jwks_file, "access"),
        "--scope",
        "orders/write",
        "--scope",
        "orders/read",
        "--require-all-scopes",
        token,
    )
    assert result.code == EXIT_ACCESS_DENIED
    assert "MissingScopeError (reason: missing_scope)" in result.err


def test_verify_unreachable_jwks_exits_5(run: Cli, pool: FakeCognitoPool) -> None:
    with pool.serve_jwks() as server:
        url = server.url
    # The server is closed now: nothing listens on that port.
    result = run(*pool_args(pool), "--jwks-uri", url, "--allow-http", pool.id_token())
    assert result.code == EXIT_KEYS_UNAVAILABLE
    assert "JwksUnavailableError (reason: jwks_" in result.err


def test_verify_fetches_from_served_jwks_uri(run: Cli, pool: FakeCognitoPool) -> None:
    with pool.serve_jwks() as server:
        result = run(
            *pool_args(pool, "access"),
            "--jwks-uri",
            server.url,
            "--allow-http",
            pool.access_token(),
        )
        assert server.request_count >= 1
    assert result.code == EXIT_OK, result.err
    assert result.json()["token_use"] == "access"


def test_verify_http_jwks_uri_without_opt_in_is_a_configuration_error(
    run: Cli, pool: FakeCognitoPool
) -> None:
    result = run(*pool_args(pool), "--jwks-uri", "http://127.0.0.1:9/jwks.json", pool.id_token())
    assert result.code == EXIT_USAGE
    assert "ConfigurationError" in result.err


@pytest.mark.parametrize(
    "argv",
    [
        ["verify", "--token-use", "id", "--client-id", "c", "tok"],  # no pool
        ["verify", "--user-pool-id", "us-east-1_X", "--client-id", "c", "tok"],  # no use
        ["verify", "--user-pool-id", "us-east-1_X", "--token-use", "id", "tok"],  # no client
        [
            "verify",
            "--user-pool-id",
            "us-east-1_X",
            "--token-use",
            "id",
            "--client-id",
            "c",
            "--any-client",
            "tok",
        ],
        ["verify", "--user-pool-id", "us-east-1_X", "--token-use", "both", "--any-client"],
        ["frobnicate"],
        [],
    ],
    ids=["pool", "token-use", "client", "client-and-any", "bad-use", "command", "nothing"],
)
def test_usage_errors_exit_2(run: Cli, argv: list[str]) -> None:
    result = run(*argv, tty=True)
    assert result.code == EXIT_USAGE
    assert "usage: cognito-jwt" in result.err


def test_unreadable_jwks_file_is_a_usage_error(
    run: Cli, pool: FakeCognitoPool, tmp_path: Path
) -> None:
    result = run(*verify_args(pool, tmp_path / "missing.json"), pool.id_token())
    assert result.code == EXIT_USAGE
    assert "missing.json" in result.err


def test_jwks_file_that_is_not_a_jwks_is_a_configuration_error(
    run: Cli, pool: FakeCognitoPool, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"not": "keys"}', encoding="utf-8")
    result = run(*verify_args(pool, bad), pool.id_token())
    assert result.code == EXIT_USAGE
    assert "ConfigurationError" in result.err


# --------------------------------------------------------------------------- jwks


@pytest.fixture
def served(pool: FakeCognitoPool) -> Iterator[str]:
    with pool.serve_jwks() as server:
        yield server.url


def test_jwks_prints_the_served_document(run: Cli, pool: FakeCognitoPool, served: str) -> None:
    result = run("jwks", "--jwks-uri", served, "--allow-http")
    assert result.code == EXIT_OK, result.err
    assert result.json() == pool.jwks
    assert "usable key(s)" in result.err


def test_jwks_output_verifies_offline(
    run: Cli, pool: FakeCognitoPool, served: str, tmp_path: Path
) -> None:
    """The point of the command: fetch once, then verify with no network."""
    fetched = run("jwks", "--jwks-uri", served, "--allow-http")
    bundle = tmp_path / "bundled.json"
    bundle.write_text(fetched.out, encoding="utf-8")
    result = run(*verify_args(pool, bundle), pool.id_token())
    assert result.code == EXIT_OK, result.err


def test_jwks_from_issuer_appends_well_known_path(run: Cli, pool: FakeCognitoPool) -> None:
    with pool.serve_jwks() as server:
        issuer = server.url.removesuffix("/.well-known/jwks.json")
        assert issuer != server.url, "the test server should serve the well-known path"
        result = run("jwks", "--issuer", issuer, "--allow-http")
    assert result.code == EXIT_OK, result.err
    assert result.json() == pool.jwks


def test_jwks_over_http_needs_opt_in(run: Cli, served: str) -> None:
    result = run("jwks", "--jwks-uri", served)
    assert result.code == EXIT_USAGE
    assert "ConfigurationError (reason: configuration_error)" in result.err


def test_jwks_unreachable_exits_5(run: Cli, pool: FakeCognitoPool) -> None:
    with pool.serve_jwks() as server:
        url = server.url
    result = run("jwks", "--jwks-uri", url, "--allow-http", "--timeout", "2")
    assert result.code == EXIT_KEYS_UNAVAILABLE
    assert "JwksUnavailableError (reason: jwks_fetch_failed)" in result.err
    assert result.out == ""


@pytest.mark.parametrize(
    ("body", "warning"),
    [
        (b'{"keys": []}', None),
        (b'{"keys": [{"kty": "oct", "kid": "hmac", "k": "c2VjcmV0"}]}', "key 'hmac' is unusable"),
        (b"[]", None),
    ],
    ids=["empty", "only-unusable", "not-an-object"],
)
def test_jwks_without_a_usable_key_exits_5(run: Cli, body: bytes, warning: str | None) -> None:
    server = JwksServer(lambda: body)
    try:
        result = run("jwks", "--jwks-uri", server.url, "--allow-http")
    finally:
        server.close()
    assert result.code == EXIT_KEYS_UNAVAILABLE
    assert "JwksUnavailableError (reason: jwks_invalid)" in result.err
    assert result.out == ""
    if warning is not None:
        assert warning in result.err


def test_jwks_derives_the_cognito_uri_from_the_pool_id() -> None:
    args = cli.build_parser().parse_args(["jwks", "--user-pool-id", "eu-west-1_AbC123"])
    assert (
        cli._jwks_uri_for(args)
        == "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123/.well-known/jwks.json"
    )


@pytest.mark.parametrize(
    "options",
    [
        ["--issuer", "https://issuer.example.com/tenant/"],
        ["--issuer", "https://issuer.example.com"],
        ["--user-pool-id", "us-gov-west-1_AbC123"],
        ["--user-pool-id", "cn-north-1_AbC123"],
    ],
)
def test_jwks_fetches_from_where_a_verifier_would(options: list[str]) -> None:
    args = cli.build_parser().parse_args(["jwks", *options])
    verifier: JwtVerifier | CognitoJwtVerifier
    if args.issuer is not None:
        verifier = JwtVerifier(issuer=args.issuer, audience=None)
    else:
        verifier = CognitoJwtVerifier(user_pool_id=args.user_pool_id, token_use="id", client_id="c")
    primary = next(i for i in verifier._issuers.values() if i.primary)
    assert cli._jwks_uri_for(args) == primary.jwks_uri


def test_jwks_rejects_a_malformed_pool_id(run: Cli) -> None:
    result = run("jwks", "--user-pool-id", "no-underscore")
    assert result.code == EXIT_USAGE
    assert "ConfigurationError" in result.err


def test_jwks_needs_exactly_one_source(run: Cli) -> None:
    assert run("jwks").code == EXIT_USAGE
    assert run("jwks", "--issuer", "https://a", "--jwks-uri", "https://b").code == EXIT_USAGE


# --------------------------------------------------------------------------- misc


def test_help_documents_every_exit_code(run: Cli) -> None:
    result = run("--help")
    assert result.code == EXIT_OK
    for code in ("0", "2", "3", "4", "5"):
        assert f"\n  {code}  " in result.out
    assert run("verify", "--help").code == EXIT_OK


def test_jwks_help_lists_only_the_exit_codes_jwks_can_return(run: Cli) -> None:
    result = run("jwks", "--help")
    assert result.code == EXIT_OK
    epilog = result.out[result.out.index("exit codes:") :]
    assert epilog == (
        "exit codes:\n"
        "  0  success (JWKS fetched and printed)\n"
        "  2  usage or configuration error (bad options, http:// without --allow-http)\n"
        "  5  keys unavailable: the JWKS could not be fetched or holds no usable key\n"
    )
    assert "TOKEN" not in result.out
    assert "never printed back" not in result.out


def test_verify_help_keeps_the_token_epilog(run: Cli) -> None:
    result = run("verify", "--help")
    for code in ("0", "2", "3", "4", "5"):
        assert f"\n  {code}  " in result.out
    assert "It is never printed back." in result.out


def test_decode_help_lists_no_access_denied_or_keys_unavailable(run: Cli) -> None:
    """decode builds no verifier: no group, scope or key is checked, so no 4 and no 5."""
    result = run("decode", "--help")
    assert result.code == EXIT_OK
    assert listed_exit_codes(result.out) == [EXIT_OK, EXIT_USAGE, EXIT_INVALID_TOKEN]
    assert "It is never printed back." in result.out


def listed_exit_codes(help_text: str) -> list[int]:
    """The codes of the "exit codes:" table of a ``--help`` output, in order."""
    table = help_text[help_text.index("exit codes:\n") :].split("\n\n", maxsplit=1)[0]
    return [int(line.split()[0]) for line in table.splitlines()[1:]]


@pytest.mark.parametrize("command", ["decode", "verify", "jwks"])
def test_each_command_help_lists_the_exit_codes_it_declares(run: Cli, command: str) -> None:
    result = run(command, "--help")
    assert listed_exit_codes(result.out) == sorted(cli._COMMAND_EXIT_CODES[command])


def test_the_top_level_help_lists_every_code_some_command_returns(run: Cli) -> None:
    returned = set().union(*cli._COMMAND_EXIT_CODES.values())
    assert listed_exit_codes(run("--help").out) == sorted(returned)


# Each (command, exit code) a --help lists, reached by a real run: a code listed
# but unreachable fails the equality below, as does a reachable one not listed.
def _decode_ok(pool: FakeCognitoPool, jwks_file: Path) -> tuple[list[str], bool]:
    return ["decode", pool.access_token(groups=["admin"], scopes=["orders/read"])], False


def _decode_usage(pool: FakeCognitoPool, jwks_file: Path) -> tuple[list[str], bool]:
    return ["decode"], True  # no token on a terminal


def _decode_invalid(pool: FakeCognitoPool, jwks_file: Path) -> tuple[list[str], bool]:
    return ["decode", "not-a-token"], False


def _verify_ok(pool: FakeCognitoPool, jwks_file: Path) -> tuple[list[str], bool]:
    return [*verify_args(pool, jwks_file), pool.id_token()], False


def _verify_usage(pool: FakeCognitoPool, jwks_file: Path) -> tuple[list[str], bool]:
    return [*pool_args(pool), "--jwks-uri", "http://127.0.0.1:1/jwks.json", "t"], False


def _verify_invalid(pool: FakeCognitoPool, jwks_file: Path) -> tuple[list[str], bool]:
    return [*verify_args(pool, jwks_file), forged(pool)], False


def _verify_denied(pool: FakeCognitoPool, jwks_file: Path) -> tuple[list[str], bool]:
    return [*verify_args(pool, jwks_file), "--group", "admin", pool.id_token(groups=[])], False


def _verify_keys(pool: FakeCognitoPool, jwks_file: Path) -> tuple[list[str], bool]:
    uri = ["--jwks-uri", "http://127.0.0.1:1/jwks.json", "--allow-http"]
    return [*pool_args(pool), *uri, pool.id_token()], False


def _jwks_ok(pool: FakeCognitoPool, jwks_file: Path) -> tuple[list[str], bool]:
    return ["jwks", "--jwks-uri", "SERVED", "--allow-http"], False


def _jwks_usage(pool: FakeCognitoPool, jwks_file: Path) -> tuple[list[str], bool]:
    return ["jwks", "--jwks-uri", "http://127.0.0.1:1/jwks.json"], False


def _jwks_keys(pool: FakeCognitoPool, jwks_file: Path) -> tuple[list[str], bool]:
    return ["jwks", "--jwks-uri", "http://127.0.0.1:1/jwks.json", "--allow-http"], False


REACHED = {
    ("decode", EXIT_OK): _decode_ok,
    ("decode", EXIT_USAGE): _decode_usage,
    ("decode", EXIT_INVALID_TOKEN): _decode_invalid,
    ("verify", EXIT_OK): _verify_ok,
    ("verify", EXIT_USAGE): _verify_usage,
    ("verify", EXIT_INVALID_TOKEN): _verify_invalid,
    ("verify", EXIT_ACCESS_DENIED): _verify_denied,
    ("verify", EXIT_KEYS_UNAVAILABLE): _verify_keys,
    ("jwks", EXIT_OK): _jwks_ok,
    ("jwks", EXIT_USAGE): _jwks_usage,
    ("jwks", EXIT_KEYS_UNAVAILABLE): _jwks_keys,
}


def test_the_reached_codes_are_exactly_the_listed_ones() -> None:
    listed = {
        (command, code) for command, codes in cli._COMMAND_EXIT_CODES.items() for code in codes
    }
    assert set(REACHED) == listed


@pytest.mark.parametrize(("command", "code"), sorted(REACHED))
def test_every_listed_exit_code_is_returned_by_its_command(
    run: Cli, pool: FakeCognitoPool, jwks_file: Path, command: str, code: int
) -> None:
    argv, tty = REACHED[command, code](pool, jwks_file)
    with pool.serve_jwks() as server:
        argv = [server.url if arg == "SERVED" else arg for arg in argv]
        result = run(*argv, tty=tty)
    assert result.code == code, result.err


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    token=st.one_of(
        st.text(max_size=200),
        st.lists(st.text(st.characters(codec="ascii"), max_size=40), max_size=4).map(".".join),
        st.binary(max_size=120).map(lambda b: ".".join(b64url(p) for p in b.split(b"."))),
    ),
    stdin=st.booleans(),
)
def test_decode_returns_no_code_its_help_does_not_list(run: Cli, token: str, stdin: bool) -> None:
    """Whatever the input, decode answers 0, 2 or 3: it never denies access or fetches keys."""
    result = run("decode", "-", stdin=token) if stdin else run("decode", token)
    assert result.code in cli._COMMAND_EXIT_CODES["decode"], result.err


#: What a JWKS server may answer: a good set, and the shapes a bad one takes.
HOSTILE_JWKS_BODIES = [
    FakeCognitoPool(user_pool_id="us-east-1_Bodies1").jwks_json.encode(),
    b'{"keys": []}',
    b'{"keys": [{"kty": "oct", "kid": "hmac", "k": "c2VjcmV0"}]}',
    b'{"keys": [{"kty": "RSA", "kid": "k", "n": "AQAB", "e": "AQAB"}]}',
    b'{"keys": {"kty": "RSA"}}',
    b'{"keys": [1, "two", null]}',
    b"[]",
    b"null",
    b'{"keys": [{"kty": "EC", "crv": "P-256", "kid": "e", "x": "", "y": ""}]}',
    b"\xff\xfe{",
]


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=st.one_of(st.binary(max_size=200), st.sampled_from(HOSTILE_JWKS_BODIES)))
def test_jwks_returns_no_code_its_help_does_not_list(
    run: Cli, monkeypatch: pytest.MonkeyPatch, body: bytes
) -> None:
    """Whatever a server answers, jwks exits 0 or 5; it never reads a token (no 3 or 4)."""
    monkeypatch.setattr(cli_fetch.RequestsFetcher, "fetch", lambda self, uri: body)
    result = run("jwks", "--jwks-uri", "https://jwks.example/keys.json")
    assert result.code in cli._COMMAND_EXIT_CODES["jwks"], result.err


def test_version(run: Cli) -> None:
    from cognito_jwt import __version__

    result = run("--version")
    assert result.code == EXIT_OK
    assert result.out.strip() == f"cognito-jwt {__version__}"


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0 s"), (59, "59 s"), (60, "1 min"), (3599, "59 min"), (3600, "1 h"), (47 * 3600, "47 h")],
)
def test_spans_read_like_speech(seconds: int, text: str) -> None:
    assert cli._span(seconds) == text
    assert cli._span(-seconds) == text
    assert cli._span(49 * 3600) == "2 d"


def test_python_dash_m_runs_the_same_command() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "cognito_jwt", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("usage: cognito-jwt")


def test_importing_the_cli_and_decoding_does_not_import_requests(pool: FakeCognitoPool) -> None:
    """Cold starts: requests is paid for only when something is fetched."""
    code = (
        "import os, sys; from cognito_jwt.cli import main; "
        "rc = main(['decode', os.environ['CLI_TEST_TOKEN']]); "
        "print('requests' in sys.modules, rc, file=sys.stderr)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=ROOT,
        env={**os.environ, "CLI_TEST_TOKEN": pool.id_token()},
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.strip().splitlines()[-1] == "False 0"


# --------------------------------------------------------------------------- replay clock

AT = 1_800_000_000  # 2027-01-15T08:00:00Z


@pytest.mark.parametrize(
    "moment",
    [str(AT), f"{AT}.0", "2027-01-15T08:00:00Z", "2027-01-15T09:00:00+01:00"],
    ids=["epoch", "epoch-float", "iso-z", "iso-offset"],
)
def test_verify_at_replays_the_clock_for_an_expired_token(
    run: Cli, pool: FakeCognitoPool, jwks_file: Path, moment: str
) -> None:
    token = pool.id_token(now=AT - 600)  # expired long ago in real time
    assert run(*verify_args(pool, jwks_file), token).code == EXIT_INVALID_TOKEN
    result = run(*verify_args(pool, jwks_file), "--at", moment, token)
    assert result.code == EXIT_OK, result.err
    assert result.json()["iat"] == AT - 600
    assert "expires in 50 min at 2027-01-15T08:50:00Z" in result.err
    assert "clock set by --at to 2027-01-15T08:00:00Z" in result.err


def test_verify_at_a_moment_after_expiry_fails_with_readable_times(
    run: Cli, pool: FakeCognitoPool, jwks_file: Path
) -> None:
    token = pool.id_token(now=AT, expires_in=3600)
    result = run(*verify_args(pool, jwks_file), "--at", str(AT + 4 * 3600), token)
    assert result.code == EXIT_INVALID_TOKEN
    assert "TokenExpiredError (reason: token_expired)" in result.err
    assert "expired 3 h ago at 2027-01-15T09:00:00Z (clock 2027-01-15T12:00:00Z)" in result.err
    assert_not_echoed(token, result)


def test_verify_at_a_moment_before_issue_names_the_future_time(
    run: Cli, pool: FakeCognitoPool, jwks_file: Path
) -> None:
    token = pool.id_token(now=AT)
    result = run(*verify_args(pool, jwks_file), "--at", str(AT - 300), token)
    assert result.code == EXIT_INVALID_TOKEN
    assert "TokenNotYetValidError" in result.err
    assert "iat is 5 min ahead at 2027-01-15T08:00:00Z" in result.err


def test_decode_at_reports_times_relative_to_that_moment(run: Cli, pool: FakeCognitoPool) -> None:
    token = pool.id_token(now=AT, expires_in=3600)
    doc = run("decode", "--at", "2027-01-15T10:00:00Z", token).json()
    assert doc["times"]["exp"]["relative"] == "expired 1 h ago"
    assert doc["times"]["iat"]["relative"] == "2 h ago"


@pytest.mark.parametrize(
    "moment",
    ["2027-01-15T08:00:00", "yesterday", "1e9", "99999999999999999"],
    ids=["no-time-zone", "words", "exponent", "beyond-the-calendar"],
)
def test_an_unreadable_or_ambiguous_at_is_a_usage_error(
    run: Cli, pool: FakeCognitoPool, jwks_file: Path, moment: str
) -> None:
    result = run(*verify_args(pool, jwks_file), "--at", moment, pool.id_token())
    assert result.code == EXIT_USAGE
    assert "--at" in result.err


# --------------------------------------------------------------------------- diagnosis


@pytest.mark.parametrize(
    ("make", "extra", "error", "reason"),
    [
        (lambda p: p.id_token(aud="someone-else"), [], "InvalidAudienceError", "invalid_audience"),
        (lambda p: p.id_token(expires_in=-60), [], "TokenExpiredError", "token_expired"),
        (lambda p: p.id_token(groups=["staff"]), ["--group", "admin"], "MissingGroupError", None),
    ],
    ids=["audience", "expired", "group"],
)
def test_a_claim_failure_says_the_signature_was_valid(
    run: Cli,
    pool: FakeCognitoPool,
    jwks_file: Path,
    make: Any,
    extra: list[str],
    error: str,
    reason: str | None,
) -> None:
    token: str = make(pool)
    result = run(*verify_args(pool, jwks_file), *extra, token)
    assert result.code in (EXIT_INVALID_TOKEN, EXIT_ACCESS_DENIED)
    assert result.err.startswith(f"cognito-jwt: {error} (reason: ")
    if reason is not None:
        assert f"(reason: {reason})" in result.err
    assert "the signature is valid (the token is genuine)" in result.err
    assert result.out == ""
    assert_not_echoed(token, result)


@pytest.mark.parametrize(
    "make",
    [forged, lambda p: p.id_token(header_overrides={"kid": "rotated-away"})],
    ids=["forged", "unknown-kid"],
)
def test_a_signature_failure_never_claims_the_signature_was_valid(
    run: Cli, pool: FakeCognitoPool, jwks_file: Path, make: Any
) -> None:
    result = run(*verify_args(pool, jwks_file), make(pool))
    assert result.code == EXIT_INVALID_TOKEN
    assert "signature is valid" not in result.err


@pytest.mark.parametrize("option", ["--jwks-uri", "--issuer"])
def test_the_http_hint_names_the_allow_http_option(
    run: Cli, pool: FakeCognitoPool, option: str
) -> None:
    value = "http://127.0.0.1:9/jwks.json" if option == "--jwks-uri" else "http://127.0.0.1:9/pool"
    result = run(*pool_args(pool), option, value, pool.id_token())
    assert result.code == EXIT_USAGE
    assert f"ConfigurationError (reason: configuration_error): {option}: expected an https URL" in (
        result.err
    )
    assert "pass --allow-http to opt in" in result.err
    assert "allow_http=True" not in result.err
    jwks_result = run("jwks", option, value)
    assert jwks_result.code == EXIT_USAGE
    assert "pass --allow-http to opt in" in jwks_result.err


def test_a_failing_fetch_prints_one_report_and_no_back_off_log(
    run: Cli, pool: FakeCognitoPool, caplog: pytest.LogCaptureFixture
) -> None:
    with pool.serve_jwks() as server:
        url = server.url
    caplog.set_level("DEBUG", logger="cognito_jwt")
    result = run(*pool_args(pool), "--jwks-uri", url, "--allow-http", pool.id_token())
    assert result.code == EXIT_KEYS_UNAVAILABLE
    assert result.err.count("\n") == 1, result.err
    assert "next attempt" not in result.err
    assert [r for r in caplog.records if r.name.startswith("cognito_jwt")] == []
    import logging

    assert logging.getLogger("cognito_jwt").disabled is False  # restored afterwards


def test_the_library_logs_stay_silenced_only_while_the_command_runs() -> None:
    """Run as a real process: the back-off warning would reach stderr via lastResort."""
    with FakeCognitoPool().serve_jwks() as server:
        url = server.url
    pool = FakeCognitoPool()
    proc = subprocess.run(
        [
            *(sys.executable, "-m", "cognito_jwt", *pool_args(pool)),
            *("--jwks-uri", url, "--allow-http", pool.id_token()),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=ROOT,
    )
    assert proc.returncode == EXIT_KEYS_UNAVAILABLE, proc.stderr
    assert proc.stderr.count("\n") == 1, proc.stderr
    assert "next attempt" not in proc.stderr


# --------------------------------------------------------------------------- hostile text

#: Characters a hostile token or JWKS may carry to rewrite or disguise output:
#: ESC (C0), CSI (C1), DEL, bidi override and isolate, zero-width joiner-likes,
#: the line separator, a lone surrogate and an astral format character.
HOSTILE = "\x1b[2J\x9b31m\x7f\u202egnp.exe\u2066\u200b\u2028\udcff\U000e0001"
UNSAFE_CHARS = set(HOSTILE) - set("[2J31mgnp.exe")


def test_decode_escapes_control_and_bidi_characters_from_claims_and_header(
    run: Cli, pool: FakeCognitoPool
) -> None:
    extra: dict[str, Any] = {"custom:note": HOSTILE, HOSTILE: "key"}
    token = pool.id_token(**extra, header_overrides={"x": HOSTILE})
    result = run("decode", token)
    assert result.code == EXIT_OK
    assert not set(result.out) & UNSAFE_CHARS
    assert "\\u202e" in result.out
    assert "\\udb40\\udc01" in result.out  # astral: a surrogate pair, as JSON spells it
    doc = result.json()
    assert doc["claims"]["custom:note"] == HOSTILE  # escaped, not altered
    assert doc["claims"][HOSTILE] == "key"
    assert doc["header"]["x"] == HOSTILE


def test_verify_output_and_messages_escape_hostile_characters(
    run: Cli, pool: FakeCognitoPool, jwks_file: Path
) -> None:
    good = run(*verify_args(pool, jwks_file), pool.id_token(sub=HOSTILE))
    assert good.code == EXIT_OK, good.err
    assert not set(good.out + good.err) & UNSAFE_CHARS
    assert good.json()["sub"] == HOSTILE
    bad = run(*verify_args(pool, jwks_file), pool.id_token(aud=HOSTILE))
    assert bad.code == EXIT_INVALID_TOKEN
    assert not set(bad.err) & UNSAFE_CHARS
    assert "InvalidAudienceError" in bad.err


def test_jwks_messages_escape_hostile_key_ids(run: Cli, pool: FakeCognitoPool) -> None:
    document = pool.jwks
    document["keys"][0]["kid"] = HOSTILE
    document["keys"][1]["kid"] = HOSTILE + "2"
    document["keys"][1]["use"] = "enc"
    server = JwksServer(lambda: json.dumps(document).encode())
    try:
        result = run("jwks", "--jwks-uri", server.url, "--allow-http")
    finally:
        server.close()
    assert result.code == EXIT_OK, result.err
    assert "unusable" in result.err
    assert "fetched 1 usable key(s)" in result.err
    assert not set(result.out + result.err) & UNSAFE_CHARS
    assert result.err.count("\n") == 2  # no line forged by a separator in a kid
    assert result.json() == document


@pytest.mark.parametrize("encoding", ["ascii", "latin-1", "cp1252"])
def test_a_non_utf8_stdout_gets_ascii_json_instead_of_a_crash(
    pool: FakeCognitoPool, encoding: str
) -> None:
    extra: dict[str, Any] = {"custom:name": "Zoë 日本 \U0001f600", "custom:note": HOSTILE}
    token = pool.id_token(**extra)
    proc = subprocess.run(
        [sys.executable, "-m", "cognito_jwt", "decode", "-"],
        input=token.encode("ascii"),
        capture_output=True,
        timeout=60,
        check=False,
        cwd=ROOT,
        env={**os.environ, "PYTHONIOENCODING": encoding},
    )
    assert proc.returncode == EXIT_OK, proc.stderr
    assert b"Traceback" not in proc.stderr
    doc = json.loads(proc.stdout.decode(encoding))
    assert doc["claims"]["custom:name"] == "Zoë 日本 \U0001f600"
    assert doc["claims"]["custom:note"] == HOSTILE


def test_a_non_utf8_stderr_message_is_escaped_not_a_crash(
    run: Cli, pool: FakeCognitoPool, jwks_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = io.BytesIO()
    stderr = io.TextIOWrapper(raw, encoding="ascii")
    monkeypatch.setattr(sys, "stderr", stderr)
    code = main([*verify_args(pool, jwks_file), pool.id_token(aud="Zoë")])
    stderr.flush()
    assert code == EXIT_INVALID_TOKEN
    text = raw.getvalue().decode("ascii")
    assert "InvalidAudienceError" in text
    assert "Zo\\xeb" in text or "Zo\\u00eb" in text


@pytest.mark.parametrize(
    "exp",
    [b"1e400", b"-1e400", b"1" + b"0" * 400, b"-" + b"9" * 400],
    ids=["1e400", "-1e400", "a 400-digit integer", "a negative 400-digit integer"],
)
def test_decode_of_a_time_no_calendar_holds_prints_the_claims_without_a_time(
    run: Cli, exp: bytes
) -> None:
    """A NumericDate beyond a double's range is no time: `decode` shows the claims,
    gives `exp` no time line, and its output stays strict JSON (no `Infinity`)."""
    header = b64url(b'{"alg":"RS256","kid":"k"}')
    payload = b64url(b'{"exp":' + exp + b',"sub":"u"}')
    token = f"{header}.{payload}.{b64url(b'x' * 256)}"
    result = run("decode", token)
    assert result.code == EXIT_OK, result.err
    doc = json.loads(result.out, parse_constant=lambda name: pytest.fail(f"not JSON: {name}"))
    assert doc["claims"]["sub"] == "u"
    assert "exp" not in doc["times"]
