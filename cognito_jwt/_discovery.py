"""OpenID Connect Discovery 1.0: where an issuer's keys are, read from its provider metadata.

`JwtVerifier(issuer=...)` guesses `<issuer>/.well-known/jwks.json`, which is
Cognito's layout and nobody else's guarantee (Google serves its keys from
`https://www.googleapis.com/oauth2/v3/certs`).  `JwtVerifier.from_discovery`
instead reads `<issuer>/.well-known/openid-configuration` (Discovery §4) and
takes its `jwks_uri`.  The rules, and why:

* **Same transport as the keys.** The document is fetched with the key
  cache's `Fetcher`: the same timeouts, size cap, content-type check and
  no-redirect policy, so discovery opens no second, laxer door.
* **The issuer must match exactly (§4.3).** The document's `issuer` must
  equal the configured issuer character for character; otherwise a host
  could hand over another issuer's metadata.  Multi-tenant *templated*
  issuers (Microsoft's `https://login.microsoftonline.com/{tenantid}/v2.0`)
  therefore never match, and are refused: configure your tenant's issuer.
* **`jwks_uri` must be https**, by the rule `check_jwks_uri` applies to a
  configured one (plain http only with `allow_http=True`, for a local
  emulator).  A document naming anything else is treated as a failed fetch.
* **Narrow, never widen.** `id_token_signing_alg_values_supported` is about
  ID tokens only, so it is read only for a verifier of ID tokens
  (`id_tokens=True`), and then only intersected with the caller's allow-list.
* **Cached and refreshed like keys.** The document is kept for the key
  cache's `max_age` (sooner if its `Cache-Control` says so, as for keys), and
  refreshed ahead of that in the key cache's refresh window, in the
  background or inline as the key cache refreshes (`_jwks_refresh`): no
  request in the window waits for it, and no lock is held across its fetch.
  Past it, as keys past `max_age`, the caller refreshes it or waits for the
  fetch in flight (its `jwks_uri` may have moved).  A failed refresh keeps
  the document (for `stale_if_error` more seconds) and backs off.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable
from typing import Any, NamedTuple

from cognito_jwt._fetch import Fetcher, check_jwks_uri
from cognito_jwt._jwks import JwksCache
from cognito_jwt._jwks_refresh import Flight, dispatch, refresh_at, reset_after_fork
from cognito_jwt._key_source import Backoff, fetch_body
from cognito_jwt._keys import VerificationKey
from cognito_jwt.errors import ConfigurationError, JwksUnavailableError

__all__ = ["DISCOVERY_PATH", "DiscoveryKeySource", "ProviderMetadata", "discovery_uri"]

#: Where OpenID Connect Discovery 1.0 §4 puts the provider metadata, under the issuer.
DISCOVERY_PATH = "/.well-known/openid-configuration"


def discovery_uri(issuer: str) -> str:
    """`<issuer>/.well-known/openid-configuration`, a trailing `/` removed first (§4)."""
    return issuer.rstrip("/") + DISCOVERY_PATH


class ProviderMetadata(NamedTuple):
    """What a verifier reads from a discovery document."""

    issuer: str
    jwks_uri: str
    #: `id_token_signing_alg_values_supported`, or `None` when the document has none.
    id_token_algorithms: frozenset[str] | None


def check_discovery_issuer(issuer: object, *, allow_http: bool) -> str:
    """Validate the issuer a discovery verifier is built for, before any request.

    Raises:
        ConfigurationError: not an absolute https URL without query or
            fragment (Discovery §2), or a multi-tenant template.
    """
    if not isinstance(issuer, str) or not issuer:
        raise ConfigurationError(f"issuer: expected a non-empty str, found {issuer!r}")
    if "{" in issuer or "}" in issuer:
        raise ConfigurationError(
            f"issuer: expected one issuer, found the template {issuer!r}; a multi-tenant "
            "issuer cannot be discovered, since OpenID Connect Discovery 1.0 §4.3 requires the "
            "document's issuer to equal the configured one exactly; configure your tenant's "
            "own issuer (e.g. https://login.microsoftonline.com/<tenant id>/v2.0)"
        )
    from urllib.parse import urlsplit

    parts = urlsplit(issuer)
    if parts.query or parts.fragment or "?" in issuer or "#" in issuer:
        raise ConfigurationError(
            f"issuer: expected a URL without query or fragment (Discovery §2), found {issuer!r}"
        )
    try:
        check_jwks_uri(issuer, allow_http=allow_http)
    except ConfigurationError as exc:
        raise ConfigurationError(str(exc).replace("jwks_uri:", "issuer:", 1)) from None
    return issuer


def parse_metadata(body: bytes | str, *, issuer: str, allow_http: bool) -> ProviderMetadata:
    """Read and check a discovery document fetched for `issuer`.

    Raises:
        JwksUnavailableError: (503) not a JSON object (`discovery_invalid`), its
            `issuer` is not `issuer` exactly (`discovery_issuer_mismatch`), or
            its `jwks_uri` is missing or not https (`discovery_invalid`).
    """
    source = f"discovery document at {discovery_uri(issuer)}"
    try:
        data: Any = json.loads(body)
    except (ValueError, RecursionError):
        raise JwksUnavailableError(
            f"{source}: expected a JSON document, found invalid JSON", reason="discovery_invalid"
        ) from None
    if not isinstance(data, dict):
        raise JwksUnavailableError(
            f"{source}: expected a JSON object, found {type(data).__name__}",
            reason="discovery_invalid",
        )
    found = data.get("issuer")
    if found != issuer:
        hint = (
            " (a multi-tenant template, which Discovery §4.3 cannot match)"
            if isinstance(found, str) and "{" in found
            else ""
        )
        raise JwksUnavailableError(
            f"{source}: expected issuer {issuer!r} exactly (Discovery §4.3), "
            f"found {found!r:.120}{hint}",
            reason="discovery_issuer_mismatch",
        )
    jwks_uri = data.get("jwks_uri")
    try:
        if not isinstance(jwks_uri, str):
            raise ConfigurationError(f"jwks_uri: expected a str, found {jwks_uri!r:.60}")
        check_jwks_uri(jwks_uri, allow_http=allow_http)
    except ConfigurationError as exc:
        raise JwksUnavailableError(f"{source}: {exc}", reason="discovery_invalid") from None
    algs = data.get("id_token_signing_alg_values_supported")
    if algs is not None and not (isinstance(algs, list) and all(isinstance(a, str) for a in algs)):
        raise JwksUnavailableError(
            f"{source}: expected id_token_signing_alg_values_supported to be a list of "
            f"strings, found {algs!r:.60}",
            reason="discovery_invalid",
        )
    return ProviderMetadata(issuer, jwks_uri, frozenset(algs) if algs is not None else None)


def narrowed_algorithms(
    allowed: frozenset[str], metadata: ProviderMetadata, *, id_tokens: bool
) -> frozenset[str]:
    """The allow-list after the document's ID-token algorithms: narrowed, never widened.

    Raises:
        ConfigurationError: the issuer signs ID tokens with none of the
            algorithms allowed.
    """
    advertised = metadata.id_token_algorithms
    if not id_tokens or advertised is None:
        return allowed
    kept = allowed & advertised
    if not kept:
        raise ConfigurationError(
            f"algorithms: expected one the issuer signs ID tokens with "
            f"({sorted(advertised)}), found only {sorted(allowed)} allowed; allow one of them"
        )
    return kept


class DiscoveryKeySource:
    """A `KeySource` that finds the JWKS through the issuer's discovery document.

    The keys themselves live in `keys` (a `JwksCache`), under the `jwks_uri`
    the current document names; this class only keeps that document fresh.

    Args:
        issuer: the configured issuer (checked by `check_discovery_issuer`).
        keys: the key cache; its fetcher fetches the document too, and its
            `max_age`, `stale_if_error`, `cooldown` and `max_backoff` rule the
            document as they rule keys.
        allow_http: permit a plain-http `jwks_uri` (local emulators only).
        clock: monotonic seconds; the key cache's clock by default.
    """

    def __init__(
        self,
        issuer: str,
        keys: JwksCache,
        *,
        allow_http: bool = False,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.issuer = issuer
        self.uri = discovery_uri(issuer)
        self.keys = keys
        self._allow_http = allow_http
        self._clock: Callable[[], float] = clock or keys._clock
        self._lock = threading.Lock()  # guards the fields below, never held across a fetch
        self._flight: Flight | None = None  # the document fetch in progress, if any
        reset_after_fork(self)
        self._metadata: ProviderMetadata | None = None
        self._fetched_at = float("-inf")
        self._fresh_until = float("-inf")
        self._refresh_at = float("-inf")  # the refresh window's start, or the next retry
        # The key cache's back-off rule (cooldown doubling up to max_backoff).
        self._backoff = Backoff(keys.cooldown, keys.max_backoff)

    @property
    def fetcher(self) -> Fetcher:
        """The transport of the key cache, used for the document as well."""
        return self.keys.fetcher

    @property
    def metadata(self) -> ProviderMetadata | None:
        """The document in use, or `None` before the first successful fetch."""
        return self._metadata

    def load(self) -> ProviderMetadata:
        """Fetch the document now (construction, `hydrate`), whatever is cached.

        Raises:
            JwksUnavailableError: (503) the fetch failed or the document is wrong.
        """
        with self._lock:
            now = self._clock()
            flight = self._flight = Flight(self.keys._deadline)
        return self._fetch(now, flight)

    # -- KeySource ---------------------------------------------------------

    def peek(self, uri: str, kid: str) -> VerificationKey | None:  # noqa: ARG002
        """A fresh cached key under the current document, or `None`; never blocks.

        Inside the document's refresh window it starts the background refresh
        (once) and still answers; refreshing inline, it answers `None` there.
        """
        metadata = self._metadata
        if metadata is None:
            return None
        now = self._clock()
        if now >= self._refresh_at:
            if now >= self._fresh_until or not self.keys.background_refresh:
                return None
            self._start_background()
        return self.keys.peek(metadata.jwks_uri, kid)

    def get_key(self, uri: str, kid: str) -> VerificationKey:  # noqa: ARG002
        """The key for `kid` at the `jwks_uri` the (refreshed if due) document names.

        Raises:
            UnknownKeyError: (401) as `JwksCache.get_key`.
            JwksUnavailableError: (503) no usable document, or no usable keys.
        """
        return self.keys.get_key(self._jwks_uri(), kid)

    def hydrate(self, uri: str) -> None:  # noqa: ARG002
        """Load the document (if due) and the keys it names.

        Raises:
            JwksUnavailableError: (503) either could not be obtained.
        """
        self.keys.hydrate(self._jwks_uri())

    # -- internals ---------------------------------------------------------

    def _jwks_uri(self) -> str:
        """The document's `jwks_uri`, refreshed in its window as keys are; past it, as stale."""
        now = self._clock()
        metadata = self._metadata
        if metadata is None:  # construction failed to load it; not reached in practice
            return self.load().jwks_uri
        if now < self._refresh_at:
            return metadata.jwks_uri
        if now >= self._fresh_until:
            return self._refresh_stale(metadata, now)
        if self.keys.background_refresh:
            self._start_background()
        elif (flight := self._claim(now)) is not None:
            with contextlib.suppress(JwksUnavailableError):  # still fresh: kept
                return self._fetch(now, flight).jwks_uri
        return metadata.jwks_uri

    def _refresh_stale(self, metadata: ProviderMetadata, now: float) -> str:
        """A document past its freshness: refreshed before it answers, as keys are.

        Its `jwks_uri` may have moved: the caller fetches, or waits for the
        fetch in flight (shared; past its deadline, fetches itself).  Only if
        that fails, or while backing off, is it served (`_still_usable`).
        """
        waited = False
        while True:
            with self._lock:
                if self._metadata is not None and self._clock() < self._fresh_until:
                    return self._metadata.jwks_uri  # refreshed while we looked or waited
                if self._backoff.waiting(now):
                    error = self._backoff.last_error if waited else None
                    return self._still_usable(metadata, now, error)
                flight = self._flight
                leader = flight is None or not flight.live()
                if leader:
                    flight = self._flight = Flight(self.keys._deadline)
            assert flight is not None
            if leader:
                try:
                    return self._fetch(now, flight).jwks_uri
                except JwksUnavailableError as exc:
                    return self._still_usable(metadata, now, exc)
            flight.wait()
            waited = True

    def _claim(self, now: float) -> Flight | None:
        """A new fetch of the document, unless one is in flight, just ended, or backing off."""
        with self._lock:
            flight = self._flight
            busy = (flight is not None and flight.live()) or self._backoff.waiting(now)
            if busy or now < self._refresh_at:  # (or refreshed while we looked)
                return None
            flight = self._flight = Flight(self.keys._deadline)
        return flight

    def _after_fork(self) -> None:
        """In a child forked mid-fetch: no thread will end the flight, or release the lock."""
        self._lock = threading.Lock()
        self._flight = None

    def _start_background(self) -> None:
        """Refresh the document on a daemon thread (or asyncio task), once."""
        flight = self._flight
        if flight is not None and flight.live():
            return
        now = self._clock()
        claimed = self._claim(now)
        if claimed is not None and not dispatch(
            lambda: self._background(now, claimed), self.keys._tasks
        ):
            with self._lock:  # no thread: nobody will end this flight but us
                if self._flight is claimed:
                    self._flight = None
            claimed.done.set()

    def _background(self, now: float, flight: Flight) -> None:
        """Refresh the document; if it names a new `jwks_uri`, load those keys too.

        So that no request waits for keys at the new place either.  On failure
        the document in use keeps serving (the back-off is recorded), and a
        request fetches the new keys itself.
        """
        before = self._metadata
        with contextlib.suppress(JwksUnavailableError):
            metadata = self._fetch(now, flight)
            if before is None or metadata.jwks_uri != before.jwks_uri:
                self.keys.hydrate(metadata.jwks_uri)

    def _still_usable(
        self, metadata: ProviderMetadata, now: float, error: JwksUnavailableError | None
    ) -> str:
        horizon = max(self._fresh_until, self._fetched_at + self.keys.max_age)
        if now < horizon + self.keys.stale_if_error:
            return metadata.jwks_uri
        if error is not None:
            raise error
        raise JwksUnavailableError(
            f"discovery document at {self.uri}: expected a document refreshed within "
            f"{self.keys.max_age + self.keys.stale_if_error:.0f} s, found an older one",
            reason="discovery_stale",
        )

    def _fetch(self, now: float, flight: Flight) -> ProviderMetadata:
        """Fetch and check the document as `flight`, begun at `now`; no lock held meanwhile.

        A flight abandoned and replaced meanwhile changes nothing.

        Raises:
            JwksUnavailableError: (503) the fetch failed or the document is wrong.
        """
        try:
            try:
                body = fetch_body(self.fetcher, self.uri)
                metadata = parse_metadata(body, issuer=self.issuer, allow_http=self._allow_http)
            except JwksUnavailableError as exc:
                with self._lock:
                    if self._flight is flight:
                        self._backoff.failed(exc, now)
                        self._refresh_at = min(self._backoff.next_retry, self._fresh_until)
                raise
            with self._lock:
                if self._flight is flight:
                    lifetime = self.keys.lifetime(body)  # Cache-Control, as for keys
                    self._metadata = metadata
                    self._fetched_at = now
                    self._fresh_until = now + lifetime
                    self._refresh_at = refresh_at(
                        self._fresh_until, lifetime, self.keys.refresh_ahead
                    )
                    self._backoff.succeeded()
            return metadata
        finally:
            with self._lock:
                if self._flight is flight:
                    self._flight = None
            flight.done.set()
