"""Coverage-guided fuzzing of the token path with atheris (libFuzzer).

Run through ``nox -s fuzz`` (bounded by ``-max_total_time``), or directly::

    python fuzz/fuzz_parse.py -max_total_time=60 [corpus_dir ...]

The first input byte picks a target, so one run covers three depths:

* ``0``: the rest, as text, is the whole token (``verify``, ``decode_unverified``,
  ``strip_bearer``): the splitter, the strict base64url decoder, the parser.
* ``1``: the rest is split into header bytes and payload bytes, which are
  base64url-encoded into a token with a junk signature: the fuzzer reaches the
  JSON parser, the header checks and issuer routing without having to discover
  base64 first.
* ``2``: the rest is the payload, *correctly signed* with the fake pool's key:
  the claim checks run on arbitrary JSON.  (Slower: an RSA signature per input.)

A crash is any exception that is not a ``CognitoJwtError``, or the acceptance of
a token that no key signed (targets 0 and 1), or of claims that break the rules
(target 2).  Each crash found becomes a regression test in
``tests/test_attacks.py``.
"""

from __future__ import annotations

import base64
import contextlib
import sys
import tempfile
from pathlib import Path
from typing import Any

import atheris  # type: ignore[import-untyped,import-not-found,unused-ignore]

with atheris.instrument_imports():
    from cognito_jwt import (
        CognitoJwtError,
        InvalidTokenError,
        MalformedTokenError,
        decode_unverified,
        strip_bearer,
    )
    from cognito_jwt.testing import FakeCognitoPool, b64url

NOW = 1_800_000_000
POOL = FakeCognitoPool("us-east-1_AtherisFuzz1", "fuzzclient0123456789abcdef")
VERIFIER = POOL.verifier(token_use=None, clock=lambda: NOW)
VALID = {POOL.id_token(now=NOW), POOL.access_token(now=NOW)}


class Finding(AssertionError):
    """The fuzzer found something: atheris reports it and saves the input."""


def _text(data: bytes) -> str:
    return data.decode("utf-8", errors="surrogateescape")


def _expect_rejected(token: str) -> None:
    try:
        VERIFIER.verify(token)
    except InvalidTokenError:
        return
    if token not in VALID:
        raise Finding(f"accepted an unsigned token: {token[:200]!r}")


def _rules_hold(claims: dict[str, Any]) -> bool:
    exp = claims.get("exp")
    if isinstance(exp, bool) or not isinstance(exp, int | float) or not exp > NOW:
        return False
    if claims.get("iss") != POOL.issuer:
        return False
    use = claims.get("token_use")
    client = claims.get("aud") if use == "id" else claims.get("client_id")
    return use in ("id", "access") and client == POOL.client_id


def test_one_input(data: bytes) -> None:
    if not data:
        return
    target, rest = data[0] % 3, data[1:]
    try:
        if target == 0:
            text = _text(rest)
            _expect_rejected(text)
            with contextlib.suppress(MalformedTokenError):
                decode_unverified(text)
            with contextlib.suppress(MalformedTokenError):
                strip_bearer(text)
        elif target == 1:
            header, _, payload = rest.partition(b"\xff")
            _expect_rejected(f"{b64url(header)}.{b64url(payload)}.{b64url(b'junk')}")
        else:
            header = b'{"alg":"RS256","kid":"%s"}' % POOL.id_kid.encode()
            token = POOL.sign_raw(header, rest)
            try:
                claims = VERIFIER.verify(token)
            except InvalidTokenError:
                return
            if not _rules_hold(claims):
                raise Finding(f"accepted claims that break the rules: {claims!r:.300}")
    except CognitoJwtError as exc:
        if not isinstance(exc, InvalidTokenError):
            raise Finding(f"a token caused {type(exc).__name__}, not a 401") from exc


def _seed_corpus() -> str:
    """A directory of seeds: valid tokens for each target, and a few classics."""
    directory = Path(tempfile.mkdtemp(prefix="cognito-jwt-fuzz-"))
    seeds: list[bytes] = []
    for token in VALID:
        seeds.append(b"\x00" + token.encode())
        h, p, _ = token.split(".")
        header = base64.urlsafe_b64decode(h + "==")
        payload = base64.urlsafe_b64decode(p + "==")
        seeds.append(b"\x01" + header + b"\xff" + payload)
        seeds.append(b"\x02" + payload)
    seeds.append(b'\x01{"alg":"none"}\xff{}')
    seeds.append(b'\x02{"exp": 1e309, "iss": [[[]]]}')
    for i, seed in enumerate(seeds):
        (directory / f"seed-{i}").write_bytes(seed)
    return str(directory)


def main() -> None:
    args = list(sys.argv)
    if not any(not a.startswith("-") for a in args[1:]):
        args.append(_seed_corpus())  # no corpus given: start from our seeds
    atheris.Setup(args, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
