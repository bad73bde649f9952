"""The ``cognito-jwt`` command: look inside a token, verify it, fetch a pool's keys.

It exists for the moment a request fails with a 401 and someone needs to know
*why*: which pool issued the token, whether it is an ID or an access token,
when it expired, which claim the verifier disliked.  Three subcommands:

* ``decode`` shows header and claims **without verifying anything**,
* ``verify`` runs the same checks a server would and prints the claims,
* ``jwks`` fetches a pool's public keys so they can be bundled for offline use.

Design decisions:

* Exit codes follow the error families, so a shell script can branch on them
  exactly as a server branches on the HTTP status (see `EXIT_CODES`).
* The token is read from an argument, from stdin, or from a pasted
  ``Authorization: Bearer ...`` line, and is never printed back: terminals get
  recorded and screenshots get shared.
* Everything printed that came from a token or a JWKS is untrusted text:
  control characters (C0, C1), bidi overrides and other invisible format
  characters are escaped (``\\u202e``), so a hostile claim cannot rewrite the
  terminal or disguise itself.  A stdout that cannot encode UTF-8 gets ASCII
  JSON, never a traceback.
* ``--at`` replays the clock: a real token captured from a failing request
  can be checked as of the moment it was sent, after it has expired.
* A one-shot command reports one failure once: the library's JWKS back-off
  log lines (meant for long-running servers) are silenced while it runs.
* Importing this module stays cheap; ``requests`` is only imported by the
  library's fetcher when ``verify`` or ``jwks`` actually goes to the network.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
import textwrap
import time
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, NoReturn

from cognito_jwt._version import __version__
from cognito_jwt.errors import (
    AccessDeniedError,
    CognitoJwtError,
    ConfigurationError,
    InvalidClaimError,
    InvalidTokenError,
    JwksUnavailableError,
    TokenExpiredError,
    TokenNotYetValidError,
    UnknownKeyError,
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

#: What each exit code means, as the top-level help lists it.
_MEANINGS = {
    EXIT_OK: "success (token verified / decoded / JWKS fetched)",
    EXIT_USAGE: "usage or configuration error (bad options, unreadable file)",
    EXIT_INVALID_TOKEN: "invalid token: InvalidTokenError family, HTTP 401",
    EXIT_ACCESS_DENIED: "access denied: missing group or scope, HTTP 403",
    EXIT_KEYS_UNAVAILABLE: "keys unavailable: the JWKS could not be fetched, HTTP 503",
}

#: The exit codes each subcommand can return, with what each means there: its
#: ``--help`` lists exactly these, and ``docs/cli.md`` names the commands per
#: code.  ``decode`` builds no verifier, so no group, scope or key is ever
#: checked (no 4, no 5); ``jwks`` reads no token (no 3, no 4).
_COMMAND_EXIT_CODES: dict[str, dict[int, str]] = {
    "decode": {
        EXIT_OK: "success (decoded; nothing was verified)",
        EXIT_USAGE: "usage error (bad options, unreadable input, no token)",
        EXIT_INVALID_TOKEN: "invalid token: not a well-formed JWT (MalformedTokenError), HTTP 401",
    },
    "verify": {
        EXIT_OK: "success (token verified)",
        EXIT_USAGE: _MEANINGS[EXIT_USAGE],
        EXIT_INVALID_TOKEN: _MEANINGS[EXIT_INVALID_TOKEN],
        EXIT_ACCESS_DENIED: _MEANINGS[EXIT_ACCESS_DENIED],
        EXIT_KEYS_UNAVAILABLE: _MEANINGS[EXIT_KEYS_UNAVAILABLE],
    },
    "jwks": {
        EXIT_OK: "success (JWKS fetched and printed)",
        EXIT_USAGE: "usage or configuration error (bad options, http:// without --allow-http)",
        EXIT_KEYS_UNAVAILABLE: (
            "keys unavailable: the JWKS could not be fetched or holds no usable key"
        ),
    },
}

_READING_NOTE = """
The token is read from the TOKEN argument, from stdin ('-', or no argument
with piped input), and may be given as an 'Authorization: Bearer ...' line.
It is never printed back.
"""


def _exit_code_table(meanings: dict[int, str]) -> str:
    return "exit codes:\n" + "".join(f"  {code}  {text}\n" for code, text in meanings.items())


_EPILOG = _exit_code_table(_MEANINGS) + _READING_NOTE


def _command_epilog(command: str) -> str:
    """A subcommand's help epilog: the exit codes it can return, and how it reads a token."""
    table = _exit_code_table(_COMMAND_EXIT_CODES[command])
    return table + _READING_NOTE if command != "jwks" else table


class _UsageError(Exception):
    """A problem with the command line or its input, reported with exit code 2."""


def exit_code_for(error: CognitoJwtError) -> int:
    """Map a library error to the command's exit code for its family.

    Args:
        error: any error raised by cognito_jwt.

    Returns:
        One of the ``EXIT_*`` constants; `EXIT_ERROR` for an error
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
    from cognito_jwt._token import strip_bearer

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


def _utc(value: float) -> str:
    """``2026-01-31T12:00:00Z``, or ``out of range`` for a time no calendar holds."""
    try:
        return datetime.fromtimestamp(value, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, OSError, ValueError):
        return "out of range"


def _relative(claim: str, value: float, now: float) -> str:
    delta = value - now
    if claim == "exp":
        return f"expires in {_span(delta)}" if delta > 0 else f"expired {_span(delta)} ago"
    return f"in {_span(delta)}" if delta > 0 else f"{_span(delta)} ago"


def _time_value(claims: dict[str, Any], name: str) -> float | None:
    """The NumericDate `name` as the verifier reads it (`numeric_date`), else `None`.

    `decode` shows tokens the verifier would refuse: an `exp` of `1e400`
    (infinity once parsed) or a 400-digit integer is no time, so it gets no
    time line rather than an `OverflowError`.
    """
    from cognito_jwt._claim_types import numeric_date

    try:
        return numeric_date(claims, name)
    except InvalidClaimError:
        return None


def _times(claims: dict[str, Any], now: float) -> dict[str, dict[str, str]]:
    """Human-readable forms of the time claims (UTC and relative to ``now``)."""
    out: dict[str, dict[str, str]] = {}
    for name in _TIME_CLAIMS:
        value = _time_value(claims, name)
        if value is not None:
            out[name] = {"utc": _utc(value), "relative": _relative(name, value, now)}
    return out


#: Unicode categories never printed raw: controls (C0, DEL, C1), format
#: characters (bidi overrides and isolates, zero-width marks), line and
#: paragraph separators, and lone surrogates (which no encoder accepts).
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def _unsafe(char: str) -> bool:
    return unicodedata.category(char) in _UNSAFE_CATEGORIES


def _escape_json(char: str) -> str:
    code = ord(char)
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    code -= 0x10000  # a JSON string spells an astral character as a surrogate pair
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def _escape_text(char: str) -> str:
    code = ord(char)
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def _defang(text: str, escape: Callable[[str], str], *, keep: str = "") -> str:
    """Escape every unsafe character of ``text`` except those in ``keep``."""
    if text.isascii() and text.isprintable():
        return text  # the common case, with no per-character work
    return "".join(escape(c) if c not in keep and _unsafe(c) else c for c in text)


def _encodes(text: str, stream: IO[str]) -> bool:
    try:
        text.encode(getattr(stream, "encoding", None) or "utf-8")
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def _dump(value: object, stream: IO[str]) -> None:
    """Write ``value`` as JSON: readable UTF-8 where the stream takes it, ASCII otherwise.

    Both forms stay valid JSON that decodes to the same values; the unsafe
    characters are escaped in either, since JSON only ever holds them inside
    strings.
    """
    try:
        json.dumps(value, allow_nan=False)
    except ValueError:
        value = _json_numbers(value)  # an unverified token may hold 1e400, read as infinity
    # The only raw newlines in indented JSON are its own layout; a newline in a
    # value is already spelled \\n.
    text = _defang(json.dumps(value, indent=2, ensure_ascii=False), _escape_json, keep="\n")
    if not _encodes(text, stream):
        text = json.dumps(value, indent=2, ensure_ascii=True)
    stream.write(text + "\n")


def _json_numbers(value: Any) -> Any:
    """`value` with each non-finite float spelled as a string (`"Infinity"`): JSON has none."""
    if isinstance(value, float) and not math.isfinite(value):
        return json.dumps(value)
    if isinstance(value, dict):
        return {k: _json_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_numbers(v) for v in value]
    return value


def _say(stream: IO[str], line: str) -> None:
    """Write one message line with untrusted parts defanged and any encoding survived."""
    text = _defang(line, _escape_text)
    if not _encodes(text, stream):
        encoding = getattr(stream, "encoding", None) or "ascii"
        try:
            text = text.encode(encoding, "backslashreplace").decode(encoding)
        except LookupError:
            text = text.encode("ascii", "backslashreplace").decode("ascii")
    stream.write(f"{_PROG}: {text}\n")


def _describe(error: CognitoJwtError) -> str:
    return f"{type(error).__name__} (reason: {error.reason}): {error.message}"


def _diagnosis(error: CognitoJwtError, now: float) -> list[str]:
    """What a person needs beyond the message: did the signature hold, and when.

    The verifier attaches the claims to an error only once the signature has
    verified (``include_claims_in_errors``), so their presence is the proof.
    """
    claims = error.claims
    if claims is None:
        return []
    lines = [
        "the signature is valid (the token is genuine); it failed a claim check"
        if isinstance(error, InvalidTokenError)
        else "the signature is valid (the token is genuine); access is denied"
    ]
    clock = f"clock {_utc(now)}"
    if isinstance(error, TokenExpiredError):
        exp = _time_value(claims, "exp")
        if exp is not None:
            lines.append(f"{_relative('exp', exp, now)} at {_utc(exp)} ({clock})")
    elif isinstance(error, TokenNotYetValidError):
        for name in ("nbf", "iat"):
            value = _time_value(claims, name)
            if value is not None and value > now:
                lines.append(f"{name} is {_span(value - now)} ahead at {_utc(value)} ({clock})")
    return lines


@contextmanager
def _quiet_library_logs() -> Iterator[None]:
    """Silence the library's logger while a one-shot command runs.

    Its JWKS warnings ("next attempt in 10.0 s") inform a long-running server's
    operator; here the failure is already reported once, with its reason, and
    there is no next attempt.
    """
    import logging

    library = logging.getLogger("cognito_jwt")
    was_disabled = library.disabled
    library.disabled = True
    try:
        yield
    finally:
        library.disabled = was_disabled


def _require_https(uri: str, option: str, args: argparse.Namespace) -> None:
    """The library's https rule, with the command's own opt-in named in the hint."""
    if not args.allow_http and uri.lower().startswith("http://"):
        raise ConfigurationError(
            f"{option}: expected an https URL, found {uri!r:.200}; "
            "pass --allow-http to opt in (only for a local emulator)"
        )


_EPOCH = re.compile(r"[+-]?\d+(?:\.\d+)?")


def _moment(text: str) -> float:
    """``--at``: epoch seconds, or ISO-8601 with a time zone (``Z`` or an offset)."""
    if _EPOCH.fullmatch(text.strip()):
        value = float(text)
    else:
        try:
            moment = datetime.fromisoformat(text.strip())
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected epoch seconds or an ISO-8601 time, found {text!r:.60}"
            ) from None
        if moment.tzinfo is None:
            raise argparse.ArgumentTypeError(
                f"expected a time zone (Z or +hh:mm) in the ISO-8601 time, found {text!r:.60}"
            )
        value = moment.timestamp()
    if _utc(value) == "out of range":
        raise argparse.ArgumentTypeError(f"expected a time within the calendar, found {text!r:.60}")
    return value


# --------------------------------------------------------------------------- commands


def _cmd_decode(args: argparse.Namespace, out: IO[str], err: IO[str], now: float) -> int:
    from cognito_jwt._token import decode_unverified

    header, claims = decode_unverified(_read_token(args.token, args.stdin))
    _say(err, _UNVERIFIED)
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
    else:
        _require_https(_jwks_uri_for(args), _uri_option(args), args)
    from cognito_jwt._issuer_settings import ANY_CLIENT, AnyClient

    client_id: str | list[str] | AnyClient = ANY_CLIENT
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
        clock=lambda: now,
        # Claims ride on an error only once the signature has verified; the
        # diagnosis reads them from there and never prints them whole.
        include_claims_in_errors=True,
    )
    token = _read_token(args.token, args.stdin)
    try:
        with _quiet_library_logs():
            claims = verifier.verify(token)
    except CognitoJwtError as exc:
        if args.jwks_file is not None:
            exc = _name_the_jwks_file(exc, args.jwks_file)
        _say(err, _describe(exc))
        for line in _diagnosis(exc, now):
            _say(err, line)
        return exit_code_for(exc)
    summary = [f"token_use={claims.get('token_use')}"]
    if "sub" in claims:
        summary.append(f"sub={claims['sub']}")
    exp = _time_value(claims, "exp")
    if exp is not None:
        summary.append(f"{_relative('exp', exp, now)} at {_utc(exp)}")
    if args.at is not None:
        summary.append(f"clock set by --at to {_utc(now)}")
    _say(err, f"verified ({', '.join(summary)})")
    _dump(claims, out)
    return EXIT_OK


def _name_the_jwks_file(error: CognitoJwtError, path: str) -> CognitoJwtError:
    """``error`` naming the ``--jwks-file`` its keys came from, not "jwks=".

    The library names static keys by the argument they were given as; here
    the reader gave a file, and looking for a Cognito URL would mislead them.
    """
    from cognito_jwt._key_source import STATIC_JWKS_ORIGIN

    if not isinstance(error, UnknownKeyError) or STATIC_JWKS_ORIGIN not in error.message:
        return error
    message = error.message.replace(STATIC_JWKS_ORIGIN, f"--jwks-file {path}")
    return UnknownKeyError(message, reason=error.reason)


def _uri_option(args: argparse.Namespace) -> str:
    """The option a JWKS URI came from, to name it in an error."""
    if args.jwks_uri is not None:
        return "--jwks-uri"
    return "--issuer" if args.issuer is not None else "--user-pool-id"


def _jwks_uri_for(args: argparse.Namespace) -> str:
    if args.jwks_uri is not None:
        return str(args.jwks_uri)
    from cognito_jwt._issuer import default_jwks_uri

    if args.issuer is not None:
        return default_jwks_uri(str(args.issuer))
    from cognito_jwt._cognito import cognito_issuers

    # The pool's primary issuer, as the verifier derives it (partition-aware).
    return default_jwks_uri(cognito_issuers(str(args.user_pool_id))[0])


def _cmd_jwks(args: argparse.Namespace, out: IO[str], err: IO[str], now: float) -> int:
    del now  # same signature as the other commands
    from cognito_jwt._fetch import RequestsFetcher, check_jwks_uri
    from cognito_jwt._keys import parse_jwks

    uri = _jwks_uri_for(args)
    _require_https(uri, _uri_option(args), args)
    uri = check_jwks_uri(uri, allow_http=args.allow_http)
    body = RequestsFetcher(total_timeout=args.timeout).fetch(uri)
    # Parse with the verifier's own JWKS parser: what is printed here is known
    # to load in CognitoJwtVerifier(jwks=...), and unusable keys are named now
    # rather than at the first token that needs them.
    keyset = parse_jwks(body, source=f"JWKS from {uri}")
    document = json.loads(body)
    for kid, why in keyset.unusable.items():
        _say(err, f"warning: key {kid!r} is unusable: {why}")
    if not keyset.keys:
        # Bundling it would only move the failure to CognitoJwtVerifier(jwks=...).
        raise JwksUnavailableError(
            f"JWKS from {uri}: expected at least one usable key, found none",
            reason="jwks_invalid",
        )
    kids = ", ".join(keyset.keys) or "none"
    _say(err, f"fetched {len(keyset.keys)} usable key(s) from {uri} (kid: {kids})")
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
    parser.add_argument(
        "--at",
        type=_moment,
        metavar="EPOCH|ISO-8601",
        help="check times as of this moment instead of now, e.g. 1767225600 or "
        "2026-01-01T00:00:00Z (replay a captured, since expired token)",
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
        epilog=_command_epilog("decode"),
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
        epilog=_command_epilog("verify"),
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
        epilog=_command_epilog("jwks"),
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
        at: float | None = getattr(args, "at", None)  # jwks has no clock to replay
        now = time.time() if at is None else at
        code = handler(args, out, err, now)
        out.flush()
    except SystemExit as exc:  # --help and --version
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    except _UsageError as exc:
        _say(err, f"error: {exc}")
        return EXIT_USAGE
    except CognitoJwtError as exc:
        _say(err, _describe(exc))
        return exit_code_for(exc)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # ``cognito-jwt decode ... | head``: the reader left; that is not our error.
        return EXIT_ERROR
    return code
