"""Safe parsing of the compact JWS form: header, claims, signing input, signature.

Nothing here touches a key.  Everything a token can do wrong in its *shape* is
caught here, before a key is looked up, so that garbage never costs a JWKS
fetch and never reaches a crypto library.

Decisions worth knowing:

* base64url is decoded strictly: only ``A-Z a-z 0-9 - _``, no padding, no
  whitespace, and the unused low bits of the last character must be zero.  Each
  decoded byte string therefore has exactly one spelling, which keeps the
  verified-token cache honest and rules out base64 malleability tricks.
  (ECDSA signatures remain malleable in their own maths, (r, s) and (r, n-s);
  that allows no forgery, and Cognito signs with RS256.)
* JSON is parsed strictly: no ``NaN``/``Infinity``, and a **duplicate member
  name in any object is rejected** (RFC 7515 section 4 allows either rejecting or
  taking the last; rejecting means the signature check and the claim checks
  can never see different values for ``alg``, ``kid``, ``iss`` or ``exp``).
* Header values are checked for type and sanity (``kid`` length and
  characters) here; which ``alg`` is *allowed* is the verifier's business.
"""

from __future__ import annotations

import binascii
import json
import re
from collections.abc import Callable
from typing import Any, NamedTuple

from cognito_jwt.errors import MalformedTokenError

__all__ = [
    "DEFAULT_MAX_TOKEN_LENGTH",
    "Header",
    "ParsedToken",
    "b64url_decode",
    "check_typ",
    "decode_unverified",
    "parse_header",
    "parse_token",
    "strip_bearer",
]

#: Longest token accepted, in characters.  Real Cognito tokens are 0.8 to 2 KB; a
#: token with hundreds of groups stays well below this.  API Gateway itself caps
#: a header at 10 KB, so a larger "token" is an attack, not a user.
DEFAULT_MAX_TOKEN_LENGTH = 16 * 1024

_MAX_KID_LENGTH = 256
_KID_RE = re.compile(r"[A-Za-z0-9+/=_.:\-]+")
# Last character of a segment whose length is 2 or 3 mod 4 must encode zero
# "unused" bits; these are the characters that do.
_CANONICAL_LAST_2 = frozenset("AQgw")
_CANONICAL_LAST_3 = frozenset("AEIMQUYcgkosw048")
# base64url -> standard alphabet in one C pass.  "+", "/" and "=" are *not*
# base64url, so they become "!", which binascii's strict mode rejects along with
# every other byte outside the standard alphabet: the translation plus
# ``strict_mode=True`` accept exactly ``[A-Za-z0-9_-]*`` (a test checks every byte).
_B64URL_TO_STD = bytes.maketrans(b"-_+/=", b"+/!!!")
_PADDING = (b"", b"", b"==", b"=")
_KNOWN_TYPS = frozenset({"jwt", "at+jwt", "application/jwt", "application/at+jwt"})


class Header(NamedTuple):
    """The parts of a JOSE header the verifier acts on, already type-checked."""

    alg: str
    kid: str | None
    raw: dict[str, Any]


class ParsedToken(NamedTuple):
    """A structurally valid, *unverified* token."""

    header: Header
    claims: dict[str, Any]
    signing_input: bytes
    signature: bytes


def bearer_credentials(value: str | None) -> str | None:
    """The token an `Authorization` value carries, or `None` when it carries none.

    The one reading of that header for every entry point (the verifier's
    `strip_bearer`, the Lambda authorizer, the framework integrations, the
    command line).  Two shapes carry a token:

    * `Bearer <token>`, the scheme in any case (RFC 7235), whitespace around
      either part ignored;
    * a bare token with no whitespace in it, which is what API Gateway's
      Cognito authorizer, and so the tutorial's own test, sends.

    Anything else (no value, `Bearer` alone, another scheme such as
    `Basic ...`) carries no token: `None`, answered as "no credentials".  A
    value that *is* a token but not a valid one is returned as it is, for the
    verifier to refuse as malformed, so a sent token is never reported missing.
    """
    if not value or not isinstance(value, str):
        return None
    text = value.strip()
    scheme, space, rest = text.partition(" ")
    if scheme.lower() == "bearer":
        return rest.strip() or None
    if space or not text:
        return None
    return text


def strip_bearer(value: str) -> str:
    """Return the token from an `Authorization` value: `"Bearer eyJ..."` or a bare `"eyJ..."`.

    The scheme is matched case-insensitively (RFC 7235) and surrounding
    whitespace is dropped; a bare token is accepted as well, since API
    Gateway's Cognito authorizer asks clients to send exactly that.  Anything
    else (another scheme, an empty token, several tokens) is rejected rather
    than guessed at.

    Raises:
        MalformedTokenError: (401) the value holds no single token.

    Examples:
        >>> strip_bearer("Bearer abc.def.ghi")
        'abc.def.ghi'
        >>> strip_bearer("abc.def.ghi")
        'abc.def.ghi'
    """
    if not isinstance(value, str):
        raise MalformedTokenError(
            f"Authorization value: expected a str, found {type(value).__name__}",
            reason="malformed_authorization",
        )
    token = bearer_credentials(value)
    if token is None or any(ch.isspace() for ch in token):
        raise MalformedTokenError(
            "Authorization value: expected 'Bearer <token>' or a bare token, found another shape",
            reason="malformed_authorization",
        )
    return token


def b64url_decode(segment: str, what: str) -> bytes:
    """Decode one unpadded base64url segment strictly (see the module docstring)."""
    rem = len(segment) & 3
    try:
        if not (
            rem == 1
            or (rem == 2 and segment[-1] not in _CANONICAL_LAST_2)
            or (rem == 3 and segment[-1] not in _CANONICAL_LAST_3)
        ):
            return binascii.a2b_base64(
                segment.encode("ascii").translate(_B64URL_TO_STD) + _PADDING[rem],
                strict_mode=True,
            )
    except (UnicodeEncodeError, binascii.Error):
        pass
    if segment != segment.strip():
        # Checked only here, on the way out: a token pasted with its newline
        # (or read from a file) is the common case, and worth naming.
        raise MalformedTokenError(
            f"{what}: expected unpadded base64url, found whitespace at its start or end; "
            "strip the whitespace around the token before verifying it",
            reason="invalid_base64url",
        )
    raise MalformedTokenError(
        f"{what}: expected unpadded base64url, found invalid characters or length",
        reason="invalid_base64url",
    )


def _reject_constant(name: str) -> Any:
    raise ValueError(f"non-standard JSON constant {name}")


def _unique_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        dup = next(k for k, _ in pairs if k in seen or seen.add(k))  # type: ignore[func-returns-value]
        raise ValueError(f"duplicate member name {dup[:40]!r}")
    return obj


_decoder = json.JSONDecoder(object_pairs_hook=_unique_object, parse_constant=_reject_constant)
_scan_once: Callable[[str, int], tuple[Any, int]] = _decoder.scan_once  # type: ignore[attr-defined]


#: Deepest nesting of arrays and objects accepted in a header or payload (a
#: Cognito token nests two deep).  The C scanner's own limit moves with the
#: interpreter: it raises RecursionError near 1,000 levels on 3.11, 3,000 on
#: 3.12 and 10,000 on 3.13.  This cap keeps any Python from accepting more;
#: 3.11 may stop a little earlier, with the same ``invalid_json``.
_MAX_DEPTH = 1000


def _too_deep(value: object, text: str) -> bool:
    """Whether ``value`` (parsed from ``text``) nests deeper than ``_MAX_DEPTH``.

    Free for every realistic token: a nesting that deep needs twice as many
    characters and as many brackets, so the walk only runs past both tests.
    """
    if len(text) <= 2 * _MAX_DEPTH or text.count("[") + text.count("{") <= _MAX_DEPTH:
        return False
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > _MAX_DEPTH:
            return True
        children = node.values() if type(node) is dict else node if type(node) is list else ()
        stack.extend((child, depth + 1) for child in children if type(child) in (dict, list))
    return False


def _json_object(raw: bytes, what: str) -> dict[str, Any]:
    # Fast path: one call into the C scanner (the same scanner, hooks and
    # constants as ``_decoder.decode``).  Anything unusual, such as whitespace
    # around the object or any error, takes the full decode below, which
    # accepts or rejects exactly as before and words the error.
    try:
        text = raw.decode("utf-8")
        value, end = _scan_once(text, 0)
    except (StopIteration, ValueError, RecursionError):
        value, end = None, -1
    if type(value) is dict and end == len(text) and not _too_deep(value, text):
        return value
    try:
        text = raw.decode("utf-8")
        value = _decoder.decode(text)
    except UnicodeDecodeError:
        raise MalformedTokenError(
            f"{what}: expected UTF-8 JSON, found invalid UTF-8", reason="invalid_json"
        ) from None
    except (ValueError, RecursionError) as exc:
        reason = "duplicate_member" if "duplicate member" in str(exc) else "invalid_json"
        raise MalformedTokenError(
            f"{what}: expected a JSON object ({exc})", reason=reason
        ) from None
    if not isinstance(value, dict):
        raise MalformedTokenError(
            f"{what}: expected a JSON object, found {type(value).__name__}",
            reason="invalid_json",
        )
    if _too_deep(value, text):
        raise MalformedTokenError(
            f"{what}: expected JSON nested at most {_MAX_DEPTH} levels deep, found deeper",
            reason="invalid_json",
        )
    return value


def parse_header(segment: str, typs: frozenset[str] = _KNOWN_TYPS) -> Header:
    """Decode and sanity-check a header segment; a `typ` must be absent or in `typs` (lower case).

    Header segments repeat across a pool's tokens, so the verifier caches the
    result of this function per segment string; it must therefore be pure.
    """
    raw = _json_object(b64url_decode(segment, "header"), "header")
    alg = raw.get("alg")
    if not isinstance(alg, str) or not alg:
        raise MalformedTokenError(
            f"header alg: expected a non-empty string, found {type(alg).__name__}",
            reason="invalid_header",
        )
    kid = raw.get("kid")
    if kid is not None and (
        not isinstance(kid, str) or len(kid) > _MAX_KID_LENGTH or _KID_RE.fullmatch(kid) is None
    ):
        raise MalformedTokenError(
            "header kid: expected a short string of base64/url-safe characters, "
            f"found {type(kid).__name__} of length {len(kid) if isinstance(kid, str) else '-'}",
            reason="invalid_kid",
        )
    if "crit" in raw:
        # We implement no JWS extension, so any critical one must fail (RFC 7515 4.1.11).
        raise MalformedTokenError(
            "header crit: expected absent (no extensions are supported), found present",
            reason="unsupported_crit",
        )
    check_typ(raw.get("typ"), typs)
    return Header(alg, kid, raw)


def check_typ(typ: object, typs: frozenset[str]) -> None:
    """Refuse a header `typ` (none is fine) that is not one of `typs` (lower case).

    Raises:
        MalformedTokenError: (401, `invalid_header`) another `typ`.
    """
    if typ is not None and (not isinstance(typ, str) or typ.lower() not in typs):
        expected = (
            "'JWT' or 'at+jwt'"
            if typs is _KNOWN_TYPS
            else " or ".join(repr(t.upper()) for t in sorted(typs))
        )
        raise MalformedTokenError(
            f"header typ: expected {expected}, found {typ!r:.40}", reason="invalid_header"
        )


def _check_shape(
    token: object, max_length: int, segments: tuple[str, str, str] | None
) -> tuple[str, str, str]:
    """The three segments of `token`, or the error its shape deserves, in a fixed order."""
    if not isinstance(token, str):
        raise MalformedTokenError(
            f"token: expected a str, found {type(token).__name__}", reason="malformed_token"
        )
    if len(token) > max_length:
        raise MalformedTokenError(
            f"token: expected at most {max_length} characters, found {len(token)}",
            reason="token_too_large",
        )
    if token[:7].lower() == "bearer ":
        raise MalformedTokenError(
            "token: expected the bare JWT, found an 'Authorization: Bearer' value; "
            "pass it through cognito_jwt.strip_bearer() first",
            reason="bearer_prefix",
        )
    if segments is None:
        parts = token.split(".")
        if len(parts) != 3 or not all(parts):
            raise MalformedTokenError(
                f"token: expected 3 non-empty dot-separated segments, found {len(parts)} "
                "(possibly empty) segments",
                reason="malformed_token",
            )
        segments = (parts[0], parts[1], parts[2])
    return segments


def parse_token(
    token: str,
    *,
    max_length: int = DEFAULT_MAX_TOKEN_LENGTH,
    header_cache: dict[str, Header] | None = None,
    typs: frozenset[str] = _KNOWN_TYPS,
) -> ParsedToken:
    """Split and decode a compact JWS without verifying anything cryptographic.

    Args:
        token: the compact serialisation `header.payload.signature`.
        max_length: size cap, checked before any decoding work.
        header_cache: optional memo of parsed headers keyed by header segment;
            the caller bounds its size, and keeps one per `typs`.
        typs: the `typ` values accepted (lower case) besides none.

    Raises:
        MalformedTokenError: (401) any structural problem.
    """
    segments: tuple[str, str, str] | None = None
    header: Header | None = None
    if type(token) is str and len(token) <= max_length:
        # Split once, with `find` (a memchr, where `split` steps through every
        # character): exactly two dots, and three non-empty segments.
        dot1 = token.find(".")
        dot2 = token.find(".", dot1 + 1)
        if 0 < dot1 < dot2 - 1 < len(token) - 2 and token.find(".", dot2 + 1) < 0:
            segments = (token[:dot1], token[dot1 + 1 : dot2], token[dot2 + 1 :])
            if header_cache is not None:
                # A cached header segment is valid base64url, so it holds no
                # space: a token starting with it has no "Bearer " to reject.
                header = header_cache.get(segments[0])
    if header is None or segments is None:
        segments = _check_shape(token, max_length, segments)
        header = parse_header(segments[0], typs)
        if header_cache is not None:
            header_cache[segments[0]] = header
    h_seg, p_seg, s_seg = segments
    claims = _json_object(b64url_decode(p_seg, "payload"), "payload")
    signature = b64url_decode(s_seg, "signature")
    signing_input = token[: len(h_seg) + 1 + len(p_seg)].encode("ascii")
    return ParsedToken(header, claims, signing_input, signature)


def decode_unverified(
    token: str, *, max_length: int = DEFAULT_MAX_TOKEN_LENGTH
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return ``(header, claims)`` **without verifying the signature or any claim**.

    For debugging and routing only: nothing returned here may be trusted.  The
    parse is as strict as `parse_token`'s.

    Raises:
        MalformedTokenError: (401) the token is not well-formed.

    Examples:
        >>> header, claims = decode_unverified(token)  # doctest: +SKIP
    """
    parsed = parse_token(token, max_length=max_length)
    return dict(parsed.header.raw), parsed.claims
