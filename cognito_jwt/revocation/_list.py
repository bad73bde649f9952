"""`RevocationList`: the entries the application writes, checked on every accepted token.

The application writes the list when it ends a session, because only it
knows: AWS does not document that CloudTrail's records of these calls name
the user or the token.

* after `RevokeToken`: `revoke_token(iss=, origin_jti=, sub=)`, which by
  default also cuts off the user (whether `origin_jti` survives Cognito's
  refresh-token rotation is undocumented, so the token entry alone might miss
  tokens minted after a rotation);
* after `GlobalSignOut`, `AdminUserGlobalSignOut`, `AdminDisableUser`,
  `AdminDeleteUser`: `revoke_user(iss=, sub=)`.

Reads are cached briefly, per token: "revoked" until
the token's `exp`, "not revoked" for `cache_ttl` seconds (default 5, at most
60), so a verified-token cache hit does not become a store round trip per
request.  A write through this list object clears that cache at once; other
processes see it within `cache_ttl`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from cognito_jwt._revocation import (
    COGNITO_MAX_TOKEN_LIFETIME,
    DEFAULT_CACHE_TTL,
    IssuerFacts,
    check_cache_ttl,
    check_fail_open,
)
from cognito_jwt.errors import (
    ConfigurationError,
    InvalidClaimError,
    MissingClaimError,
    RevocationUnavailableError,
    TokenRevokedError,
)
from cognito_jwt.revocation._entries import (
    entry_expiry,
    finite_number,
    token_key,
    user_key,
)
from cognito_jwt.revocation._store import AsyncRevocationStore, RevocationStore

__all__ = ["DEFAULT_CUTOFF_LEEWAY", "RevocationList"]

#: Seconds after a user's cut-off during which tokens issued are still refused:
#: the application's clock may run behind Cognito's.  A user who signs in again
#: within this time after a sign-out gets tokens that are refused too.
DEFAULT_CUTOFF_LEEWAY = 5.0

#: Verdicts remembered per process; past this, expired ones are swept, and if
#: none expired the cache starts afresh (a miss only costs one store read).
_MAX_VERDICTS = 16_384

#: (revoked, until when, the token): found by the token's last characters, as the
#: token cache finds its entries (hashing 43 characters of a new request string
#: is cheaper than the whole token or a tuple of claims), then compared whole.
_Verdict = tuple[bool, float, str]
_KEY_CHARS = 43


class RevocationList:
    """A revocation list on a store: written by the application, read by verifiers.

    Args:
        store: where entries live: `MemoryStore()` (one process),
            `DynamoDbStore` (a fleet of Lambda authorizers), `RedisStore` (a
            fleet of web servers), or any `RevocationStore`.
        cache_ttl: seconds a "not revoked" answer is reused, in (0, 60]; default 5.
        cutoff_leeway: seconds added to a user's cut-off; default 5.
        max_token_lifetime: the longest `exp - iat` of any token checked, so
            entries can expire: default one day, Cognito's bound.  A token
            living longer is refused (its entry could expire before it does).
        fail_open: accept a token whose revocation cannot be checked (store
            outage) instead of answering 503; the verifier's hook is told.
        clock: epoch seconds (tests).

    Raises:
        ConfigurationError: a setting is invalid.

    Examples:
        >>> from cognito_jwt.revocation import MemoryStore, RevocationList
        >>> revocations = RevocationList(MemoryStore())
        >>> # after GlobalSignOut:  revocations.revoke_user(iss=claims["iss"], sub=claims["sub"])
        >>> # verifier = CognitoJwtVerifier(..., revocation=revocations)
    """

    def __init__(
        self,
        store: RevocationStore | AsyncRevocationStore,
        *,
        cache_ttl: float = DEFAULT_CACHE_TTL,
        cutoff_leeway: float = DEFAULT_CUTOFF_LEEWAY,
        max_token_lifetime: float = COGNITO_MAX_TOKEN_LIFETIME,
        fail_open: bool = False,
        clock: Callable[[], float] | None = None,
    ) -> None:
        sync = isinstance(store, RevocationStore) and not getattr(store, "async_only", False)
        if not sync and not isinstance(store, AsyncRevocationStore):
            raise ConfigurationError(
                "store: expected a RevocationStore (put/get) or AsyncRevocationStore "
                f"(put_async/get_async), found {type(store).__name__}"
            )
        for name, value, low, high in (
            ("cutoff_leeway", cutoff_leeway, 0.0, 600.0),
            ("max_token_lifetime", max_token_lifetime, 1.0, 10 * 365 * 86_400.0),
        ):
            if not finite_number(value) or not low <= value <= high:
                raise ConfigurationError(
                    f"{name}: expected seconds in [{low:g}, {high:g}], found {value!r}"
                )
        if clock is not None and not callable(clock):
            raise ConfigurationError("clock: expected a callable returning epoch seconds")
        import time

        self.store = store
        self.cache_ttl = check_cache_ttl(cache_ttl)
        self.cutoff_leeway = float(cutoff_leeway)
        self.max_token_lifetime = float(max_token_lifetime)
        self.fail_open = check_fail_open(fail_open)
        self.requires_async = not sync
        self._clock = clock or time.time
        self._verdicts: dict[str, _Verdict] = {}

    # -- construction ---------------------------------------------------------------------

    def accept_issuers(self, issuers: Sequence[IssuerFacts]) -> None:
        """Refuse issuers whose tokens could outlive their entries.

        Raises:
            ConfigurationError: a `JwtVerifier` that did not declare
                `max_token_lifetime`, or declared more than this list keeps entries.
        """
        for facts in issuers:
            lifetime = facts.max_token_lifetime
            if lifetime is None:
                raise ConfigurationError(
                    f"revocation: issuer {facts.iss!r} must declare max_token_lifetime= "
                    "(seconds) to use a revocation list: entries expire when the last token "
                    "they could match has, and only the issuer knows how long that is"
                )
            if lifetime > self.max_token_lifetime:
                raise ConfigurationError(
                    f"revocation: issuer {facts.iss!r} issues tokens living up to "
                    f"{lifetime:g} s, but the list keeps entries for "
                    f"{self.max_token_lifetime:g} s: "
                    f"build RevocationList(max_token_lifetime={lifetime:g})"
                )

    # -- writing --------------------------------------------------------------------------

    def revoke_token(
        self,
        *,
        iss: str,
        origin_jti: str,
        sub: str | None = None,
        cut_off_user: bool = True,
        at: float | None = None,
    ) -> None:
        """Record that the refresh token behind `origin_jti` was revoked (`RevokeToken`).

        Every ID and access token minted from it is refused.  Unless
        `cut_off_user=False`, the user's cut-off is recorded too (every token of
        `sub` issued until now is refused), because whether `origin_jti`
        survives refresh-token rotation is undocumented.

        Raises:
            ConfigurationError: an empty `iss`/`origin_jti`, or no `sub` while
                `cut_off_user` is on.
            Exception: whatever the store raises (the write did not happen).
        """
        for key in self._token_keys(iss, origin_jti, sub, cut_off_user):
            self._put(key, at)

    def revoke_user(self, *, iss: str, sub: str, at: float | None = None) -> None:
        """Record that every token of `sub` (of issuer `iss`) issued until now is revoked.

        Call it after `GlobalSignOut`, `AdminUserGlobalSignOut`,
        `AdminDisableUser` or `AdminDeleteUser`.  `at` (epoch seconds) is the
        cut-off, default now.

        Raises:
            ConfigurationError: an empty `iss` or `sub`.
            Exception: whatever the store raises (the write did not happen).
        """
        self._put(user_key(_text("iss", iss), _text("sub", sub)), at)

    async def revoke_token_async(
        self,
        *,
        iss: str,
        origin_jti: str,
        sub: str | None = None,
        cut_off_user: bool = True,
        at: float | None = None,
    ) -> None:
        """`revoke_token` without blocking the event loop."""
        for key in self._token_keys(iss, origin_jti, sub, cut_off_user):
            await self._put_async(key, at)

    async def revoke_user_async(self, *, iss: str, sub: str, at: float | None = None) -> None:
        """`revoke_user` without blocking the event loop."""
        await self._put_async(user_key(_text("iss", iss), _text("sub", sub)), at)

    def _token_keys(
        self, iss: str, origin_jti: str, sub: str | None, cut_off_user: bool
    ) -> list[str]:
        keys = [token_key(_text("iss", iss), _text("origin_jti", origin_jti))]
        if cut_off_user:
            if sub is None:
                raise ConfigurationError(
                    "sub: expected the user's sub, so the user is cut off as well "
                    "(or cut_off_user=False to revoke this origin_jti alone)"
                )
            keys.append(user_key(iss, _text("sub", sub)))
        return keys

    def _entry(self, at: float | None) -> tuple[float, float]:
        when = self._clock() if at is None else at
        if not finite_number(when):
            raise ConfigurationError(f"at: expected epoch seconds, found {when!r}")
        return float(when), entry_expiry(when, self.cutoff_leeway, self.max_token_lifetime)

    def _put(self, key: str, at: float | None) -> None:
        when, expires = self._entry(at)
        store = self.store
        if not self.requires_async and isinstance(store, RevocationStore):
            store.put(key, when, expires)
        else:
            raise ConfigurationError(
                "revoke_token/revoke_user: this list's store is async only; "
                "use revoke_token_async/revoke_user_async"
            )
        self._verdicts.clear()

    async def _put_async(self, key: str, at: float | None) -> None:
        when, expires = self._entry(at)
        store = self.store
        if isinstance(store, AsyncRevocationStore):
            await store.put_async(key, when, expires)
        else:
            import asyncio

            await asyncio.to_thread(store.put, key, when, expires)
        self._verdicts.clear()

    # -- reading --------------------------------------------------------------------------

    def check(self, token: str, claims: dict[str, Any]) -> None:
        """Raise `TokenRevokedError` if an entry matches the token's claims.

        Raises:
            TokenRevokedError: (401) revoked.
            RevocationUnavailableError: (503) the store failed.
            MissingClaimError, InvalidClaimError: (401) the token has no
                `sub`/`iat`, or lives longer than entries are kept.
            ConfigurationError: the store is async only (use `verify_async`).
        """
        ident = token[-_KEY_CHARS:]
        verdict = self._verdicts.get(ident)
        now = self._clock()
        if verdict is not None and now < verdict[1] and verdict[2] == token:
            if verdict[0]:
                raise _revoked()
            return
        keys = self._keys(claims)
        store = self.store
        if self.requires_async or not isinstance(store, RevocationStore):
            raise ConfigurationError(
                "revocation: this list's store is async only; call verify_async, not verify"
            )
        try:
            values = store.get(keys, now)
        except Exception as exc:
            raise _unavailable(exc) from exc
        self._decide(token, claims, keys, values, now)

    async def check_async(self, token: str, claims: dict[str, Any]) -> None:
        """`check`, awaiting the store (a sync-only store runs in a worker thread)."""
        now = self._clock()
        ident = token[-_KEY_CHARS:]
        verdict = self._verdicts.get(ident)
        if verdict is not None and now < verdict[1] and verdict[2] == token:
            if verdict[0]:
                raise _revoked()
            return
        keys = self._keys(claims)
        store = self.store
        try:
            if isinstance(store, AsyncRevocationStore):
                values = await store.get_async(keys, now)
            else:
                import asyncio

                values = await asyncio.to_thread(store.get, keys, now)
        except Exception as exc:
            raise _unavailable(exc) from exc
        self._decide(token, claims, keys, values, now)

    def _keys(self, claims: dict[str, Any]) -> list[str]:
        """The entries that could match: the user's, and the token's if it has `origin_jti`."""
        iss, sub, iat, exp = claims["iss"], claims.get("sub"), claims.get("iat"), claims["exp"]
        if not isinstance(sub, str) or not sub:
            raise MissingClaimError(
                "claim sub: expected the subject (revocation entries name it), found none",
                reason="missing_sub",
            )
        if not finite_number(iat):
            raise MissingClaimError(
                "claim iat: expected the issue time (a user's cut-off is compared with it), "
                "found none",
                reason="missing_iat",
            )
        if exp - iat > self.max_token_lifetime:
            raise InvalidClaimError(
                f"claim exp: expected at most {self.max_token_lifetime:g} s after iat "
                f"(revocation entries are kept that long), found {exp - iat:g} s",
                reason="token_lifetime_too_long",
            )
        keys = [user_key(iss, sub)]
        origin_jti = claims.get("origin_jti")
        if isinstance(origin_jti, str) and origin_jti:
            keys.append(token_key(iss, origin_jti))
        return keys

    def _decide(
        self,
        token: str,
        claims: dict[str, Any],
        keys: list[str],
        values: list[float | None],
        now: float,
    ) -> None:
        if len(values) != len(keys):
            raise _unavailable(
                ValueError(f"the store answered {len(values)} values for {len(keys)} keys")
            )
        cutoff = values[0]
        revoked = (cutoff is not None and claims["iat"] <= cutoff + self.cutoff_leeway) or (
            len(values) > 1 and values[1] is not None
        )
        verdicts = self._verdicts
        if len(verdicts) >= _MAX_VERDICTS:
            for name in [k for k, (_, until, _t) in verdicts.items() if until <= now]:
                del verdicts[name]
            if len(verdicts) >= _MAX_VERDICTS:
                verdicts.clear()
        exp = claims["exp"]
        verdicts[token[-_KEY_CHARS:]] = (
            revoked,
            exp if revoked else min(now + self.cache_ttl, exp),
            token,
        )
        if revoked:
            raise _revoked()


def _text(name: str, value: object) -> str:
    if not isinstance(value, str) or not value:
        raise ConfigurationError(f"{name}: expected a non-empty str, found {value!r}")
    return value


def _revoked() -> TokenRevokedError:
    return TokenRevokedError(
        "token: expected a session that was not ended, found it revoked (signed out, "
        "refresh token revoked, or user disabled or deleted)",
        reason="token_revoked",
    )


def _unavailable(exc: BaseException) -> RevocationUnavailableError:
    return RevocationUnavailableError(
        f"revocation store: expected an answer, found {type(exc).__name__}",
        reason="revocation_unavailable",
    )
