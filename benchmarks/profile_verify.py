"""Where the microseconds of one ``verify`` go.

Two views of the same first-sight verification (keys cached, token cache off):

1. A stage-by-stage breakdown: each step of the request path timed on its own
   with the library's own functions (``min`` over repeats: the least disturbed
   run of a noisy machine), next to the whole call, so the unexplained rest is
   the glue between stages.
2. ``cProfile`` of many calls, sorted by own time (cProfile's per-call overhead
   inflates small functions; use it for the ranking, not the absolute numbers).

3. The same path *in place*: distinct tokens cycled (as in traffic, so no
   token is hot in the CPU caches), each row adding one part of the path to
   the row above, timed side by side in rotating rounds and shown as the
   median ratio to the RSA floor of the same round.  A stage costs more here
   than on its own in a loop (part 1): the RSA check evicts the interpreter's
   working set from the CPU caches, and every Python step after it pays for
   that.  This is the view that says what the first-sight ratio of
   `bench.py` is made of, and how much of it the standard library's decoding
   alone takes.

Then the same for a repeat (cache hit).

Run: ``python benchmarks/profile_verify.py`` (or ``nox -s profile``).  Not named
``profile.py``: that would shadow the standard library module cProfile imports.
"""

from __future__ import annotations

import cProfile
import itertools
import pstats
import statistics
import sys
import timeit
from collections.abc import Callable
from typing import Any

from bench import measure
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from cognito_jwt import _claims as claims_mod
from cognito_jwt import _token as token_mod
from cognito_jwt import _token_cache
from cognito_jwt.testing import FakeCognitoPool

ID_TOKENS = "id"


def segments(token: str) -> tuple[str, str, str]:
    """What `parse_token` does to find the three segments."""
    dot1 = token.find(".")
    dot2 = token.find(".", dot1 + 1)
    token.find(".", dot2 + 1)
    return token[:dot1], token[dot1 + 1 : dot2], token[dot2 + 1 :]


def best(call: Callable[[], Any], number: int = 5000, repeat: int = 21) -> float:
    """Microseconds per call: the fastest of ``repeat`` runs of ``number`` calls."""
    return min(timeit.repeat(call, number=number, repeat=repeat)) / number * 1e6


def main() -> None:
    pool = FakeCognitoPool()
    token = pool.id_token(
        groups=["admin", "users"],
        identities=[
            {
                "providerName": "Google",
                "providerType": "Google",
                "userId": "1234567890",
                "primary": "true",
                "dateCreated": "1700000000000",
            }
        ],
    )
    verifier = pool.verifier(ID_TOKENS, cache_size=0)
    verifier.verify(token)  # warm: header cache, keys
    h_seg, p_seg, s_seg = token.split(".")
    header_cache = verifier._header_cache
    parsed = verifier._parse(token)
    issuer, kid = verifier._issuer_for(parsed)
    keys = issuer.settings.keys
    key = keys.peek(issuer.jwks_uri, kid)
    assert key is not None
    public_key = key.public_key
    assert isinstance(public_key, rsa.RSAPublicKey)
    pad, sha256 = padding.PKCS1v15(), hashes.SHA256()
    raw_payload = token_mod.b64url_decode(p_seg, "payload")
    signature = parsed.signature
    signing_input = parsed.signing_input
    claims = parsed.claims
    now = float(claims["iat"])

    stages: list[tuple[str, Callable[[], Any]]] = [
        ("find the segments (two dots, slices)", lambda: segments(token)),
        ("header: cache hit", lambda: header_cache.get(h_seg)),
        ("payload: base64url (strict)", lambda: token_mod.b64url_decode(p_seg, "payload")),
        ("payload: JSON (strict, dup check)", lambda: token_mod._json_object(raw_payload, "p")),
        ("signature: base64url (strict)", lambda: token_mod.b64url_decode(s_seg, "signature")),
        ("signing input encode", lambda: token[: len(h_seg) + 1 + len(p_seg)].encode("ascii")),
        ("key lookup (peek)", lambda: keys.peek(issuer.jwks_uri, kid)),
        (
            "RSA verify (cryptography) = floor",
            lambda: public_key.verify(signature, signing_input, pad, sha256),
        ),
        ("exp/nbf/iat (check_time)", lambda: claims_mod.check_time(claims, now, 0.0)),
        ("issuer rules (token_use, aud)", lambda: issuer.rules.check(claims)),
    ]
    print(
        f"Python {sys.version.split()[0]}; token {len(token)} chars "
        f"(payload {len(p_seg)}, signature {len(s_seg)})\n"
    )
    print("First sight, keys cached, token cache off")
    print(f"  {'stage':38s} {'µs':>7s}")
    total = 0.0
    for name, call in stages:
        us = best(call)
        total += us
        print(f"  {name:38s} {us:7.2f}")
    whole = best(lambda: verifier.verify(token))
    print(f"  {'sum of stages':38s} {total:7.2f}")
    print(f"  {'verify() as a whole':38s} {whole:7.2f}")
    print(f"  {'glue (calls, checks, tuples)':38s} {whole - total:7.2f}\n")
    repeat(pool, token, now)
    in_place(pool)

    print("cProfile, 20000 first-sight verifications (own time, top 12)")
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(20000):
        verifier.verify(token)
    profiler.disable()
    pstats.Stats(profiler).sort_stats("tottime").print_stats(12)


def repeat(pool: FakeCognitoPool, token: str, now: float) -> None:
    """The stages of a token-cache hit, and the hit as a whole."""
    cached = pool.verifier(ID_TOKENS)
    cached.verify(token)
    cached.verify(token)
    token_cache = cached._token_cache
    assert token_cache is not None
    entries = token_cache._entries
    suffix = token[-_token_cache._KEY_CHARS :]
    entry = entries[suffix]
    issuer, kid = entry.issuer, entry.kid
    keys = issuer.settings.keys
    template, nested, window = entry.template()
    assert window is not None

    def copy_claims() -> dict[str, Any]:
        claims = template.copy()
        for name, copy in nested:
            claims[name] = copy(template[name])
        return claims

    def lru_lookup() -> object:
        found = entries.get(token[-_token_cache._KEY_CHARS :])
        entries.move_to_end(suffix)
        return found

    print("Repeat (token cache hit)")
    hit_stages: list[tuple[str, Callable[[], Any]]] = [
        ("LRU lookup (get, move_to_end)", lru_lookup),
        ("clock", entry.issuer.settings.clock),
        ("exp/nbf/iat (the kept window)", lambda: window[0] <= now < window[1]),
        ("key still served (peek, identity)", lambda: keys.peek(issuer.jwks_uri, kid)),
        ("deep copy of the claims", copy_claims),
    ]
    total = 0.0
    for name, call in hit_stages:
        us = best(call, number=20000)
        total += us
        print(f"  {name:38s} {us:7.2f}")
    whole = best(lambda: cached.verify(token), number=20000)
    print(f"  {'sum of stages':38s} {total:7.2f}")
    print(f"  {'verify() as a whole':38s} {whole:7.2f}\n")


def in_place(pool: FakeCognitoPool, rounds: int = 15) -> None:
    """First sight built up stage by stage over cycled distinct tokens (part 3)."""
    tokens = [pool.id_token(groups=["admin", "users"]) for _ in range(1100)]
    verifier = pool.verifier(ID_TOKENS, cache_size=0)
    verifier.verify(tokens[0])
    issuer, kid = verifier._issuer_for(verifier._parse(tokens[0]))
    key = issuer.settings.keys.peek(issuer.jwks_uri, kid)
    assert key is not None
    assert isinstance(key.public_key, rsa.RSAPublicKey)
    public_key, pad, sha256 = key.public_key, padding.PKCS1v15(), hashes.SHA256()
    first = verifier._parse(tokens[0])
    b64, json_object = token_mod.b64url_decode, token_mod._json_object

    def floor(_: str) -> None:
        public_key.verify(first.signature, first.signing_input, pad, sha256)

    def decode(token: str) -> None:
        # The standard library's share alone: base64url and JSON, then RSA.
        h_seg, p_seg, s_seg = segments(token)
        json_object(b64(p_seg, "payload"), "payload")
        public_key.verify(
            b64(s_seg, "signature"), token[: len(h_seg) + 1 + len(p_seg)].encode(), pad, sha256
        )

    def parse(token: str) -> None:
        parsed = verifier._parse(token)
        public_key.verify(parsed.signature, parsed.signing_input, pad, sha256)

    def rules(token: str) -> None:
        parsed = verifier._parse(token)
        public_key.verify(parsed.signature, parsed.signing_input, pad, sha256)
        settings = issuer.settings
        claims_mod.check_time(parsed.claims, settings.clock(), settings.leeway)
        issuer.rules.check(parsed.claims)

    stages = {
        "RSA verify of one token = floor": floor,
        "+ base64url and JSON (the standard library)": decode,
        "+ parse_token (split, header cache, checks)": parse,
        "+ exp/nbf/iat and the issuer rules": rules,
        "verify() as a whole (+ routing, key, glue)": verifier.verify,
    }

    def cycling(step: Callable[[str], Any]) -> Callable[[int], None]:
        endless = itertools.cycle(tokens)

        def run(n: int) -> None:
            for each in itertools.islice(endless, n):
                step(each)

        return run

    runners = {name: cycling(step) for name, step in stages.items()}
    for run in runners.values():
        run(200)
    results = measure(runners, rounds)
    floor_values = results["RSA verify of one token = floor"]
    print(f"In place: {len(tokens):,} distinct tokens cycled, {rounds} rotating rounds")
    print(f"  {'path up to':44s} {'µs':>7s} {'vs floor':>9s}")
    for name, values in results.items():
        ratio = statistics.median(v / f for v, f in zip(values, floor_values, strict=True))
        print(f"  {name:44s} {statistics.median(values):7.2f} {ratio:8.2f}x")
    print()


if __name__ == "__main__":
    main()
