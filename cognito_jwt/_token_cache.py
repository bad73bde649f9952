"""The verified-token cache: a bounded LRU of tokens whose signature already verified.

Clients resend one token for up to an hour, so most `verify` calls see a token
verified moments ago.  Re-checking its RSA signature dominates a verification
(docs/performance.md); this cache turns a repeat into a dict hit plus the
checks that can change between two calls.  `TokenCache.lookup` is the whole
policy of a hit, and `TokenCache.remember` the only way in:

* **Remembered** (deterministic for one exact token string and one issuer):
  the parse, the alg/kid/issuer routing, the signature, and the issuer rules
  (`token_use`, `aud`/`client_id`, groups, scopes).
* **Re-evaluated on every hit**: `exp`/`nbf`/`iat` against the issuer's clock
  and leeway (by `claims.check_time`, the one home of the time rule), and the
  age of the sign-in when the issuer demands a recent one (`max_auth_age`,
  `StepUp.check`; its deadline narrows the kept window); that the
  key which verified the token is still the one the key source serves for its
  kid (a reloaded or rotated JWKS builds new key objects, so identity fails
  and the entry falls back to the full path); the caller's `custom_check`.
* **Only successes** are stored, after every check passed.
* **Never shared with callers**: each hit returns a fresh deep copy (dicts and
  lists) of a private template, so a caller mutating its claims (including
  nested `cognito:groups` or `identities`) cannot change what the next caller
  gets.  The template is built lazily, on the first hit, by decoding the
  token's payload again, so a token seen once costs the first-sight path no
  copy at all, and what a hit checks is what the signature covered, never a
  dict a `custom_check` may have changed.

An entry holds the per-issuer object that verified it, so the cache knows
nothing of verifiers.  Entries are found by the token's last `_KEY_CHARS`
characters (part of its signature, which differs between any two tokens an
issuer signs) and then compared with the whole token: a request brings a new
`str` whose hash Python has not computed yet, and hashing 43 characters
instead of the whole 1.1 KB token is most of what a lookup costs, hit or
miss.  A token sharing those characters with a remembered one is simply not
found (it is a different token), and only tokens that passed every check are
ever stored, so the key selects an entry but never decides what it means.

Bounded by entry count (LRU eviction), and scan-resistant: once lookups have
missed about `2 * maxsize` times more than they hit, a verified token is
remembered only one time in 16, until hits are back above one lookup in 9
(see `TokenCache.remember`).  Under the GIL no lock is taken (see
`TokenCache` for why that is safe, and why a lock would cost throughput); a
free-threaded build locks each mutation.
"""

from __future__ import annotations

import sys
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from cognito_jwt._claims import check_time, valid_window
from cognito_jwt._token import _json_object, b64url_decode
from cognito_jwt.errors import CognitoJwtError

if TYPE_CHECKING:  # pragma: no cover
    from cognito_jwt._issuer import _Issuer
    from cognito_jwt._keys import VerificationKey
    from cognito_jwt._token import Header

__all__ = ["DEFAULT_CACHE_SIZE", "CachedToken", "TokenCache", "copy_json"]

#: Verified tokens remembered per verifier.  An entry costs a few KB for a
#: typical Cognito ID token once it has been hit (the token string, its claims
#: template and bookkeeping; docs/performance.md gives the measured size), so the
#: default bounds the cache at a few MB: the tokens of a thousand users active at
#: once, each resending theirs.  A miss only costs one full verification.
DEFAULT_CACHE_SIZE = 1024

#: The cache is "cold" while its coldness (+1 per miss, -_HIT_WARMTH per hit,
#: kept within [0, 2 * _COLD_AFTER * maxsize]) exceeds _COLD_AFTER * maxsize:
#: from a start with no hit, its whole content was replaced twice over without
#: serving anyone.  It warms up again while more than one lookup in
#: _HIT_WARMTH + 1 hits.
_COLD_AFTER = 2
_HIT_WARMTH = 8
#: While cold, one verified token in this many is remembered.
_COLD_SAMPLE = 16

#: Characters of the token's end that find an entry: about 254 bits of its
#: signature (every supported algorithm's signature segment has at least 86).
_KEY_CHARS = 43

#: False only on a free-threaded build running without its GIL (3.13+).
_GIL: bool = getattr(sys, "_is_gil_enabled", lambda: True)()


def copy_json(value: Any) -> Any:
    """A deep copy of a JSON value (dicts and lists copied, scalars shared).

    Iterative, not recursive: the parser accepts nesting close to the
    recursion limit, and a cache hit runs this deeper in the stack than the
    parse did, so recursion here could raise ``RecursionError``.
    """
    if type(value) is not dict and type(value) is not list:
        return value
    root: Any = {} if type(value) is dict else []
    pending: list[tuple[Any, Any]] = [(value, root)]
    while pending:
        source, target = pending.pop()
        items = source.items() if type(source) is dict else enumerate(source)
        for name, item in items:
            copied = item
            if type(item) is dict or type(item) is list:
                copied = {} if type(item) is dict else []
                pending.append((item, copied))
            if type(target) is dict:
                target[name] = copied
            else:
                target.append(copied)
    return root


def _flat(values: Any) -> bool:
    return not any(type(v) is dict or type(v) is list for v in values)


def _copy_flat_dicts(value: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [item.copy() for item in value]


Copier = Callable[[Any], Any]


def _copier(value: Any) -> Copier:
    """The cheapest deep copy for ``value``'s shape (a hit runs it on every call).

    Cognito's containers are a list of strings (``cognito:groups``) and a list
    of flat dicts (``identities``); other shapes take the generic copy.
    """
    if type(value) is list and _flat(value):
        return list.copy
    if type(value) is dict and _flat(value.values()):
        return dict.copy
    if type(value) is list and all(type(v) is dict and _flat(v.values()) for v in value):
        return _copy_flat_dicts
    return copy_json


#: A hit's template: claims, how to copy each container, and `valid_window`.
_Template = tuple[dict[str, Any], tuple[tuple[str, Copier], ...], tuple[float, float] | None]


class CachedToken:
    """What a hit needs: the issuer and key that verified the token, and its claims."""

    __slots__ = ("_template", "header", "issuer", "key", "kid", "token")

    def __init__(
        self, token: str, issuer: _Issuer, header: Header, kid: str, key: VerificationKey
    ) -> None:
        self.token = token
        self.issuer = issuer
        self.header = header
        self.kid = kid
        self.key = key
        # (claims, how to copy each container in them, the window in which
        # check_time passes), set once on the first hit; one attribute, so a
        # reader never sees half of it.
        self._template: _Template | None = None

    def template(self) -> _Template:
        """The token's verified claims, private to the cache, how to copy them, and
        when they are valid (`claims.valid_window` under the issuer's leeways,
        ending sooner when the issuer's step-up demand bounds the sign-in's age)."""
        cached = self._template
        if cached is None:
            # First hit: decode the (already verified) payload once more into a
            # template nobody else holds.  Same decoder, same bytes: same claims.
            # Two threads may both get here; either template is right.
            payload = self.token.split(".")[1]
            parsed = _json_object(b64url_decode(payload, "payload"), "payload")
            nested = tuple(
                (k, _copier(v)) for k, v in parsed.items() if type(v) is dict or type(v) is list
            )
            issuer = self.issuer
            settings = issuer.settings
            window = valid_window(parsed, settings.leeway, settings.iat_nbf_leeway)
            step_up = issuer.step_up
            if window is not None and step_up is not None:
                # The sign-in's age grows with now too: the window ends when
                # it is too old, and outside the window every rule decides.
                deadline = step_up.deadline(parsed)
                window = None if deadline is None else (window[0], min(window[1], deadline))
            cached = self._template = (parsed, nested, window)
        return cached


class TokenCache:
    """A thread-safe LRU of verified tokens: a hit is the exact token string.

    With a GIL (every CPython build but the free-threaded ones) it takes no
    lock: each `OrderedDict` call below is one C call that runs no Python code
    (the keys are exact `str`), so it is atomic, and a race between two calls
    only costs a miss or one extra eviction.  A lock here would be worse than
    useless: two threads hitting the cache through a `threading.Lock` convoy
    on it together with the GIL (docs/performance.md has the figures).  On a
    free-threaded build a lock guards every mutation instead.
    """

    __slots__ = ("_coldness", "_entries", "_lock", "_skipped", "maxsize")

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self._entries: OrderedDict[str, CachedToken] = OrderedDict()
        self._lock = None if _GIL else threading.Lock()
        # Updated without a lock: a lost update only shifts when the cache
        # counts as cold, never what a lookup returns.
        self._coldness = 0
        self._skipped = 0

    def lookup(self, token: str) -> dict[str, Any] | None:
        """The claims of a remembered `token` that is still valid, or `None`.

        `None` sends the caller down the full path, which decides afresh and
        words any error; an entry that is no longer valid is forgotten first.

        Raises:
            CognitoJwtError: the issuer's `custom_check` rejected the token.
        """
        if type(token) is not str:  # a str subclass could fake equality or its hash
            return None
        entries = self._entries
        suffix = token[-_KEY_CHARS:]
        entry = entries.get(suffix)
        if entry is None or entry.token != token:
            coldness = self._coldness + 1
            if coldness <= 2 * _COLD_AFTER * self.maxsize:
                self._coldness = coldness
            return None
        coldness = self._coldness
        if coldness:
            self._coldness = max(0, coldness - _HIT_WARMTH)
        lock = self._lock
        try:
            if lock is None:
                entries.move_to_end(suffix)
            else:
                with lock:
                    entries.move_to_end(suffix)
        except KeyError:  # evicted by another thread meanwhile: still a valid entry
            pass
        issuer = entry.issuer
        settings = issuer.settings
        template, nested, window = entry._template or entry.template()
        now = settings.clock()
        try:
            if window is None or not window[0] <= now < window[1]:  # NaN: the full rules
                check_time(template, now, settings.leeway, settings.iat_nbf_leeway)
                step_up = issuer.step_up
                if step_up is not None:
                    step_up.check(template, now)
        except CognitoJwtError:
            valid = False
        else:
            # The key that verified it must still be the one served for its
            # kid: a rotated, reloaded or stale JWKS serves another or none.
            valid = settings.keys.peek(issuer.jwks_uri, entry.kid) is entry.key
        if not valid:
            self._discard(suffix, entry)
            return None
        claims = template.copy()
        for name, copy in nested:
            claims[name] = copy(template[name])
        check = settings.custom_check
        if check is not None:
            issuer.run_custom_check(check, entry.header, claims)
        return claims

    def remember(
        self, token: str, issuer: _Issuer, header: Header, kid: str, key: VerificationKey
    ) -> None:
        """Remember that `token` passed every check of `issuer` with `key` (its `kid`).

        Tokens of an issuer whose verifier has `cache_size=0` stay out (a
        `MultiIssuerVerifier` shares one cache among its members).

        Unless the cache is cold (see `_COLD_AFTER`): then only one token in
        16 is remembered.  A workload that never repeats a token within the
        cache's reach (more distinct tokens between two uses of one than the
        cache holds) would otherwise pay, on every request, for an entry that
        is evicted unused, and would flush whatever could still hit; the
        tokens sampled instead stay long enough to be reused.  A token that is
        resent is still remembered after a few sightings, and once more than
        one lookup in 9 hits, every token is remembered again.
        """
        if type(token) is not str or not issuer.cacheable:
            return
        if self._coldness > _COLD_AFTER * self.maxsize:
            skipped = self._skipped + 1
            self._skipped = skipped
            if skipped % _COLD_SAMPLE:
                return
        entry = CachedToken(token, issuer, header, kid, key)
        if self._lock is None:
            self._put(token[-_KEY_CHARS:], entry)
        else:
            with self._lock:
                self._put(token[-_KEY_CHARS:], entry)

    def _put(self, suffix: str, entry: CachedToken) -> None:
        entries = self._entries
        entries[suffix] = entry
        if len(entries) > self.maxsize:
            try:  # noqa: SIM105 - cheaper than contextlib.suppress on every full-cache miss
                entries.popitem(last=False)
            except KeyError:  # another thread emptied it meanwhile
                pass

    def _discard(self, suffix: str, entry: CachedToken) -> None:
        """Forget `entry` if `suffix` still maps to it (a racing put may win: harmless)."""
        if self._lock is None:
            if self._entries.get(suffix) is entry:
                self._entries.pop(suffix, None)
        else:
            with self._lock:
                if self._entries.get(suffix) is entry:
                    del self._entries[suffix]

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, token: object) -> bool:
        """Whether `token` itself is remembered (not another token ending alike)."""
        if type(token) is not str:
            return False
        entry = self._entries.get(token[-_KEY_CHARS:])
        return entry is not None and entry.token == token
