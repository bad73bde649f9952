"""The ``cognito-jwt`` command: look inside a token, verify it, fetch a pool's keys.

It exists for the moment a request fails with a 401 and someone needs to know
*why*: which pool issued the token, whether it is an ID or an access token,
when it expired, which claim the verifier disliked.  Three subcommands:

* ``decode`` shows header and claims **without verifying anything**,
* ``verify`` runs the same checks a server would and prints the claims,
* ``jwks`` fetches a pool's public keys so they can be bundled for offline use.

Design decisions:

* Exit codes follow the error families, so a shell script can branch on them
  exactly as a server branches on the HTTP status (see :data:`EXIT_CODES`).
* The token is read from an argument, from stdin, or from a pasted
  ``Authorization: Bearer ...`` line, and is never printed back: terminals get
  recorded and screenshots get shared.
* Importing this module stays cheap; ``requests`` is only imported by the
  library's fetcher when ``verify`` or ``jwks`` actually goes to the network.
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, NoReturn

from cognito_jwt._version import __version__
from cognito_jwt.errors import (
    AccessDeniedError,
    CognitoJwtError,
    ConfigurationError,
    InvalidTokenError,
    JwksUnavailableError,
)

__all__ = [
    "EXIT_ACCESS_DENIED",
    "EXIT_CODES",
    "EXIT_ERROR",
    "EXIT_INVALID_TOKEN",
    "EXIT_KEYS_UNAVAILABLE",
    "EXIT_OK",
    "EXIT_USAGE",
    "build_parser",
    "exit_code_for",
    "main",
]

#: The token verified (or, for ``decode`` and ``jwks``, the command did its job).
EXIT_OK = 0
#: A CognitoJwtError outside the four families below (should not happen).
EXIT_ERROR = 1
#: Bad command line, unreadable input file, or a verifier that cannot be built
#: from the options given (ConfigurationError).
EXIT_USAGE = 2
#: The token must not be trusted (InvalidTokenError, HTTP 401).
EXIT_INVALID_TOKEN = 3
#: The token is valid but lacks a required group or scope (AccessDeniedError, HTTP 403).
EXIT_ACCESS_DENIED = 4
#: The signing keys could not be obtained (JwksUnavailableError, HTTP 503).
EXIT_KEYS_UNAVAILABLE = 5

#: Exit code per error family, most specific family first.
EXIT_CODES: tuple[tuple[type[CognitoJwtError], int], ...] = (
    (ConfigurationError, EXIT_USAGE),
    (InvalidTokenError, EXIT_INVALID_TOKEN),
    (AccessDeniedError, EXIT_ACCESS_DENIED),
    (JwksUnavailableError, EXIT_KEYS_UNAVAILABLE),
)

#: Most input read from stdin.  Tokens are capped far lower by the parser; this
#: only keeps ``cat bigfile | cognito-jwt decode`` from filling memory.
MAX_STDIN_BYTES = 1024 * 1024

_PROG = "cognito-jwt"
_UNVERIFIED = (
    "UNVERIFIED: decoded without checking the signature or any claim; "
    "do not trust these values (use 'cognito-jwt verify')"
)
_TIME_CLAIMS = ("exp", "iat", "nbf", "auth_time")
#: ``--token-use`` value that skips the token_use check (passes None to the verifier).
_ANY = "any"

_EPILOG = f"""\
exit codes:
  {EXIT_OK}  success (token verified / decoded / JWKS fetched)
  {EXIT_USAGE}  usage or configuration error (bad options, unreadable file)
  {EXIT_INVALID_TOKEN}  invalid token: InvalidTokenError family, HTTP 401
  {EXIT_ACCESS_DENIED}  access denied: missing group or scope, HTTP 403
  {EXIT_KEYS_UNAVAILABLE}  keys unavailable: the JWKS could not be fetched, HTTP 503

The token is read from the TOKEN argument, from stdin ('-', or no argument
with piped input), and may be given as an 'Authorization: Bearer ...' line.
It is never printed back.
"""


class _UsageError(Exception):
    """A problem with the command line or its input, reported with exit code 2."""


def exit_code_for(error: CognitoJwtError) -> int:
    """Map a library error to the command's exit code for its family.

    Args:
        error: any error raised by cognito_jwt.

    Returns:
        One of the ``EXIT_*`` constants; :data:`EXIT_ERROR` for an error
        outside the known families.

    Examples:
        >>> from cognito_jwt.errors import TokenExpiredError
        >>> exit_code_for(TokenExpiredError("exp: expected a future time"))
        3
    """
    for family, code in EXIT_CODES:
        if isinstance(error, family):
            return code
    return EXIT_ERROR


# --------------------------------------------------------------------------- input


def _read_stdin(stdin: IO[str]) -> str:
    text = stdin.read(MAX_STDIN_BYTES + 1)
    if len(text) > MAX_STDIN_BYTES:
        raise _UsageError(f"stdin: expected at most {MAX_STDIN_BYTES} characters, found more")
    return text


def _pick_line(text: str) -> str:
    """Choose the line holding the token from pasted input.

    A pasted request may carry several headers; the ``Authorization`` line is
    the one wanted.  Otherwise exactly one non-empty line is required, because
    guessing between two tokens would verify the wrong one.
    """
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    auth = [line for line in lines if line.lower().startswith("authorization:")]
    if len(auth) == 1:
        return auth[0]
    if len(lines) == 1:
        return lines[0]
    if not lines:
        raise _UsageError("no token: the input is empty")
    raise _UsageError(
        f"input: expected one token or one 'Authorization:' line, found {len(lines)} lines"
    )


def _normalise(value: str) -> str:
    """Turn a raw token, ``Bearer <t>`` or ``Authorization: Bearer <t>`` into the token."""
    from cognito_jwt.token import strip_bearer

    value = value.strip()
    header = value.lower().startswith("authorization:")
    if header:
        value = value.partition(":")[2].strip()
    if header or " " in value:
        # An Authorization value (or anything with a space, which no JWT has):
        # only the Bearer scheme carries a token; strip_bearer says so otherwise.
        return strip_bearer(value)
    if not value:
        raise _UsageError("no token: the input is empty")
    return value


def _read_token(arg: str | None, stdin: IO[str]) -> str:
    if arg is None or arg == "-":
        if arg is None and stdin.isatty():
            raise _UsageError("no token: pass TOKEN, or '-' to read it from stdin")
        return _normalise(_pick_line(_read_stdin(stdin)))
    return _normalise(arg)


# --------------------------------------------------------------------------- output


def _span(seconds: float) -> str:
    """Render a duration the way a person says it: ``41 min``, ``3 h``, ``2 d``."""
    s = int(abs(seconds))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min"
    if s < 48 * 3600:
        return f"{s // 3600} h"
    return f"{s // 86400} d"


def _relative(claim: str, value: float, now: float) -> str:
    delta = value - now
    if claim == "exp":
        return f"expires in {_span(delta)}" if delta > 0 else f"expired {_span(delta)} ago"
    return f"in {_span(delta)}" if delta > 0 else f"{_span(delta)} ago"


def _times(claims: dict[str, Any], now: float) -> dict[str, dict[str, str]]:
    """Human-readable forms of the time claims (UTC and relative to ``now``)."""
    out: dict[str, dict[str, str]] = {}
    for name in _TIME_CLAIMS:
        value = claims.get(name)
        if isinstance(value, bool) or not isinstance(value, int | float):
            continue
        try:
            utc = datetime.fromtimestamp(value, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        except (OverflowError, OSError, ValueError):
            utc = "out of range"
        out[name] = {"utc": utc, "relative": _relative(name, value, now)}
    return out


def _dump(value: object, stream: IO[str]) -> None:
    stream.write(json.dumps(value, indent=2, ensure_ascii=False) + "\n")


def _describe(error: CognitoJwtError) -> str:
    return f"{type(error).__name__} (reason: {error.reason}): {error.message}"


# --------------------------------------------------------------------------- commands


def _cmd_decode(args: argparse.Namespace, out: IO[str], err: IO[str], now: float) -> int:
    from cognito_jwt.token import decode_unverified

    header, claims = decode_unverified(_read_token(args.token, args.stdin))
    err.write(f"{_PROG}: {_UNVERIFIED}\n")
    _dump(
        {
            "warning": _UNVERIFIED,
            "verified": False,
            "header": header,
            "claims": claims,
            "times": _times(claims, now),
        },
        out,
    )
    return EXIT_OK


def _cmd_verify(args: argparse.Namespace, out: IO[str], err: IO[str], now: float) -> int:
    from cognito_jwt._cognito import CognitoJwtVerifier

    jwks: str | None = None
    if args.jwks_file is not None:
        try:
            jwks = Path(args.jwks_file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise _UsageError(f"--jwks-file {args.jwks_file}: {exc.__class__.__name__}") from None
    client_id: str | list[str] | None = None
    if not args.any_client:
        client_id = args.client_id[0] if len(args.client_id) == 1 else list(args.client_id)
    verifier = CognitoJwtVerifier(
        user_pool_id=args.user_pool_id,
        token_use=None if args.token_use == _ANY else args.token_use,
        client_id=client_id,
        groups=args.group or None,
        scopes=args.scope or None,
        require_all_groups=args.require_all_groups,
        require_all_scopes=args.require_all_scopes,
        leeway=args.leeway,
        issuer=args.issuer,
        jwks_uri=args.jwks_uri,
        jwks=jwks,
        allow_http=args.allow_http,
    )
    claims = verifier.verify(_read_token(args.token, args.stdin))
    summary = [f"token_use={claims.get('token_use')}"]
    if "sub" in claims:
        summary.append(f"sub={claims['sub']}")
    exp = claims.get("exp")
    if isinstance(exp, int | float) and not isinstance(exp, bool):
        summary.append(_relative("exp", exp, now))
    err.write(f"{_PROG}: verified ({', '.join(summary)})\n")
    _dump(claims, out)
    return EXIT_OK


def _jwks_uri_for(args: argparse.Namespace) -> str:
    if args.jwks_uri is not None:
        return str(args.jwks_uri)
    if args.issuer is not None:
        return str(args.issuer).rstrip("/") + "/.well-known/jwks.json"
    from cognito_jwt._cognito import cognito_issuers

    # The pool's primary issuer, as the verifier derives it (partition-aware).
    return cognito_issuers(str(args.user_pool_id))[0] + "/.well-known/jwks.json"


def _cmd_jwks(args: argparse.Namespace, out: IO[str], err: IO[str], now: float) -> int:
    del now  # same signature as the other commands
    from cognito_jwt.fetch import RequestsFetcher, check_jwks_uri
    from cognito_jwt.keys import parse_jwks

    uri = check_jwks_uri(_jwks_uri_for(args), allow_http=args.allow_http)
    body = RequestsFetcher(total_timeout=args.timeout).fetch(uri)
    # Parse with the verifier's own JWKS parser: what is printed here is known
    # to load in CognitoJwtVerifier(jwks=...), and unusable keys are named now
    # rather than at the first token that needs them.
    keyset = parse_jwks(body, source=f"JWKS from {uri}")
    document = json.loads(body)
    for kid, why in keyset.unusable.items():
        err.write(f"{_PROG}: warning: key {kid!r} is unusable: {why}\n")
    if not keyset.keys:
        # Bundling it would only move the failure to CognitoJwtVerifier(jwks=...).
        raise JwksUnavailableError(
            f"JWKS from {uri}: expected at least one usable key, found none",
            reason="jwks_invalid",
        )
    kids = ", ".join(keyset.keys) or "none"
    err.write(f"{_PROG}: fetched {len(keyset.keys)} usable key(s) from {uri} (kid: {kids})\n")
    _dump(document, out)
    return EXIT_OK


# --------------------------------------------------------------------------- parser


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser that reports usage errors by exception, not ``sys.exit``.

    ``main`` is called in-process by tests and by other tools; raising lets it
    return the exit code instead of ending the interpreter mid-call.
    """

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        raise _UsageError(message)


def _wrap(text: str) -> str:
    # The raw formatter keeps the epilog's table intact but does not wrap.
    return textwrap.fill(text, width=79)


def _positive(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, found {text!r}")
    return value


def _add_token_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "token",
        nargs="?",
        metavar="TOKEN",
        help="the JWT, 'Bearer <jwt>', or '-' to read it (or an 'Authorization:' line) "
        "from stdin; read from stdin when omitted and input is piped",
    )


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser (separate so docs and tests can inspect it)."""
    formatter = argparse.RawDescriptionHelpFormatter
    parser = _Parser(
        prog=_PROG,
        description="Decode and verify Amazon Cognito JWTs; fetch a user pool's JWKS.",
        epilog=_EPILOG,
        formatter_class=formatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    decode = sub.add_parser(
        "decode",
        help="show header and claims WITHOUT verifying anything",
        description=_wrap(
            "Show a token's header and claims as JSON, with human-readable times. "
            "Nothing is verified: the output is marked UNVERIFIED."
        ),
        epilog=_EPILOG,
        formatter_class=formatter,
    )
    _add_token_arg(decode)
    decode.set_defaults(handler=_cmd_decode)

    verify = sub.add_parser(
        "verify",
        help="verify a token as a server would and print its claims",
        description=_wrap(
            "Verify signature and claims; print the verified claims as JSON "
            "on stdout, or the error class, reason and message on stderr."
        ),
        epilog=_EPILOG,
        formatter_class=formatter,
    )
    _add_token_arg(verify)
    verify.add_argument("--user-pool-id", required=True, metavar="ID", help="e.g. us-east-1_AbC123")
    verify.add_argument(
        "--token-use",
        required=True,
        choices=("id", "access", _ANY),
        help="which kind of token to accept; 'any' skips the token_use check",
    )
    clients = verify.add_mutually_exclusive_group(required=True)
    clients.add_argument(
        "--client-id",
        action="append",
        metavar="ID",
        help="app client id the token must be for (repeatable: any of them)",
    )
    clients.add_argument(
        "--any-client", action="store_true", help="skip the client id check on purpose"
    )
    keys = verify.add_mutually_exclusive_group()
    keys.add_argument(
        "--jwks-uri", metavar="URL", help="fetch keys from this URI instead of the pool's"
    )
    keys.add_argument(
        "--jwks-file", metavar="PATH", help="use this JWKS file; nothing is fetched (offline)"
    )
    verify.add_argument(
        "--issuer", metavar="URL", help="expected iss, overriding the one derived from the pool"
    )
    verify.add_argument(
        "--leeway",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="seconds of clock skew tolerated (default 0)",
    )
    verify.add_argument(
        "--group",
        action="append",
        metavar="NAME",
        help="required cognito:groups entry (repeatable: any of them)",
    )
    verify.add_argument(
        "--scope", action="append", metavar="NAME", help="required scope (repeatable: any of them)"
    )
    verify.add_argument(
        "--require-all-groups", action="store_true", help="require every --group, not any"
    )
    verify.add_argument(
        "--require-all-scopes", action="store_true", help="require every --scope, not any"
    )
    verify.add_argument(
        "--allow-http",
        action="store_true",
        help="accept an http:// JWKS URI (only for a local emulator)",
    )
    verify.set_defaults(handler=_cmd_verify)

    jwks = sub.add_parser(
        "jwks",
        help="fetch and print a user pool's JWKS (to bundle for offline use)",
        description=_wrap(
            "Fetch a JWKS with the library's fetcher (timeouts and size cap apply) "
            "and print it, e.g. 'cognito-jwt jwks --user-pool-id ID > jwks.json', then "
            "'cognito-jwt verify --jwks-file jwks.json ...' or CognitoJwtVerifier(jwks=...)."
        ),
        epilog=_EPILOG,
        formatter_class=formatter,
    )
    source = jwks.add_mutually_exclusive_group(required=True)
    source.add_argument("--user-pool-id", metavar="ID", help="the pool whose keys to fetch")
    source.add_argument(
        "--issuer", metavar="URL", help="an issuer URL; /.well-known/jwks.json is appended"
    )
    source.add_argument("--jwks-uri", metavar="URL", help="the JWKS URI itself")
    jwks.add_argument(
        "--allow-http",
        action="store_true",
        help="accept an http:// URI (only for a local emulator)",
    )
    jwks.add_argument(
        "--timeout",
        type=_positive,
        default=5.0,
        metavar="SECONDS",
        help="seconds allowed for the whole fetch (default 5)",
    )
    jwks.set_defaults(handler=_cmd_jwks)
    return parser


# --------------------------------------------------------------------------- main

_Handler = Callable[[argparse.Namespace, IO[str], IO[str], float], int]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit code.

    The console script ``cognito-jwt`` and ``python -m cognito_jwt`` call this;
    tests call it in-process with an argument list.

    Args:
        argv: the arguments without the program name; ``sys.argv[1:]`` if None.

    Returns:
        An ``EXIT_*`` code: 0 success, 2 usage/configuration, 3 invalid token,
        4 access denied, 5 keys unavailable.
    """
    out, err = sys.stdout, sys.stderr
    try:
        args = build_parser().parse_args(argv)
        args.stdin = sys.stdin
        handler: _Handler = args.handler
        code = handler(args, out, err, time.time())
        out.flush()
    except SystemExit as exc:  # --help and --version
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    except _UsageError as exc:
        err.write(f"{_PROG}: error: {exc}\n")
        return EXIT_USAGE
    except CognitoJwtError as exc:
        err.write(f"{_PROG}: {_describe(exc)}\n")
        return exit_code_for(exc)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # ``cognito-jwt decode ... | head``: the reader left; that is not our error.
        return EXIT_ERROR
    return code
