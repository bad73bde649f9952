"""Fetching a JWKS document over HTTP, bounded in time and size.

The fetcher is a tiny protocol (``fetch(uri) -> bytes``) so callers can swap in
their own transport (a shared connection pool, a corporate proxy client, a
canned response in tests) without touching the cache logic.

``requests`` is imported lazily, on the first fetch: a Lambda authorizer that
verifies against a bundled JWKS never pays its ~100 ms import.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from cognito_jwt.errors import ConfigurationError, JwksUnavailableError

if TYPE_CHECKING:  # pragma: no cover
    import requests

__all__ = [
    "DEFAULT_CONNECT_TIMEOUT",
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_PEM_BYTES",
    "DEFAULT_READ_TIMEOUT",
    "DEFAULT_TOTAL_TIMEOUT",
    "KEY_NOT_FOUND",
    "Fetcher",
    "PemFetcher",
    "RequestsFetcher",
    "check_jwks_uri",
]


#: Seconds to establish the TCP/TLS connection.
DEFAULT_CONNECT_TIMEOUT = 2.0
#: Seconds of silence tolerated between two reads.
DEFAULT_READ_TIMEOUT = 3.0
#: Seconds for the whole response; stops a server that drips one byte a second.
DEFAULT_TOTAL_TIMEOUT = 5.0
#: Largest JWKS body accepted.  A Cognito JWKS is ~1 KB; 64 KB leaves room for
#: issuers that publish many keys and certificate chains.
DEFAULT_MAX_BYTES = 64 * 1024

#: Largest PEM body accepted from an ALB key endpoint (a P-256 PEM is under 200 bytes).
DEFAULT_MAX_PEM_BYTES = 8 * 1024
#: The `reason` a fetcher gives to say "the endpoint has no key under this kid".
KEY_NOT_FOUND = "alb_key_not_found"

_JSON_TYPES = ("application/json", "application/jwk-set+json")


class FetchedBody(bytes):
    """A response body that also carries the lifetime its `Cache-Control` header gave it.

    Still `bytes` (the `Fetcher` protocol is unchanged, and a fetcher of your
    own may keep returning plain bytes); the key cache reads `cache_max_age`
    when it is there.

    Attributes:
        cache_max_age: seconds from `Cache-Control` (`max-age`; `0` for
            `no-store`, `no-cache` or an invalid `max-age`), or `None` when the
            response said nothing about its lifetime.
    """

    cache_max_age: float | None

    def __new__(cls, body: bytes, *, cache_max_age: float | None = None) -> FetchedBody:
        self = super().__new__(cls, body)
        self.cache_max_age = cache_max_age
        return self


def parse_cache_control(header: str | None) -> float | None:
    """The lifetime a `Cache-Control` response header gives, in seconds (RFC 9111 §5.2.2).

    `max-age=N` gives N (quoted or not; the smallest when repeated); `no-store`
    and `no-cache` (qualified or not) give 0, as does an invalid `max-age`
    (RFC 9111 §4.2.1: treat as stale); directive names are case-insensitive,
    and directives for shared caches (`s-maxage`) or none at all give `None`.
    The caller decides what to do with the number (the key cache only ever
    refreshes *sooner* unless told otherwise, with a floor).

    Examples:
        >>> parse_cache_control("public, max-age=300")
        300.0
        >>> parse_cache_control("no-store") is None
        False
    """
    if not header:
        return None
    found: list[float] = []
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        name = name.strip().lower()
        if name in ("no-store", "no-cache"):
            found.append(0.0)
        elif name == "max-age":
            value = value.strip().strip('"')
            found.append(float(value) if value.isascii() and value.isdigit() else 0.0)
    return min(found) if found else None


@runtime_checkable
class Fetcher(Protocol):
    """Anything that turns a JWKS URI into the response body.

    Implementations must raise `JwksUnavailableError` for
    every failure (never another exception type) and must bound their own time.
    Returning a `FetchedBody` passes the response's `Cache-Control` lifetime
    to the key cache; plain bytes say nothing about it.
    """

    def fetch(self, uri: str) -> bytes:
        """Return the body of a successful response for ``uri``."""
        ...


def check_jwks_uri(uri: str, *, allow_http: bool) -> str:
    """Validate a JWKS URI at construction time.

    https is required: a JWKS fetched over plain http lets anyone on the path
    substitute keys and mint tokens.  ``allow_http=True`` is the explicit
    opt-in for loopback emulators such as moto.

    Raises:
        ConfigurationError: the URI is not absolute https (or http with opt-in).
    """
    if not isinstance(uri, str):
        raise ConfigurationError(f"jwks_uri: expected a str, found {type(uri).__name__}")
    from urllib.parse import urlsplit  # lazily: the static-JWKS cold start never needs it

    parts = urlsplit(uri)
    if not parts.netloc or parts.scheme not in ("https", "http"):
        raise ConfigurationError(f"jwks_uri: expected an absolute https URL, found {uri!r}")
    if parts.scheme == "http" and not allow_http:
        raise ConfigurationError(
            f"jwks_uri: expected https, found {uri!r}; pass allow_http=True to opt in "
            "(only for a local emulator)"
        )
    return uri


def _check_single_encoding(header: str | None, uri: str) -> None:
    """Refuse a body wrapped in more than one content coding, before reading it.

    A JWKS needs at most one coding (``gzip`` saves the little there is to
    save).  A chain such as ``gzip, gzip`` is only ever a decompression bomb:
    urllib3 before 2.6 inflated every layer but the last in full before the
    size cap saw a byte (an 822-byte body allocated ~800 MiB).  Repeated
    ``Content-Encoding`` lines arrive joined by commas, so one check covers
    both spellings.  The dependency floor fixes urllib3 as well; this keeps
    the fetcher safe under whatever urllib3 a user's lock file holds.
    """
    if header is None:
        return
    codings = [c for c in (part.strip() for part in header.split(",")) if c]
    if len(codings) > 1:
        raise JwksUnavailableError(
            f"JWKS fetch from {uri}: expected at most one content coding, "
            f"found {len(codings)} ({header!r:.60})",
            reason="jwks_content_encoding",
        )


class RequestsFetcher:
    """The default fetcher, built on ``requests``.

    Redirects are not followed (a redirect could hand key selection to another
    host), only ``200`` with a JSON content type and at most one content
    coding is accepted, the body is read
    in chunks up to ``max_bytes``, and the whole exchange (connect, headers,
    body) ends within ``total_timeout``.  Proxy settings from the standard
    environment variables are honoured, as ``requests`` does.

    Args:
        session: a ``requests.Session`` to reuse (connection pooling, custom
            adapters, mTLS); one is created lazily otherwise.
        connect_timeout: seconds to connect.
        read_timeout: seconds of silence between reads.
        total_timeout: seconds for the whole exchange.
        max_bytes: largest body accepted.

    Examples:
        >>> fetcher = RequestsFetcher(total_timeout=2.0)
    """

    _accept = "application/json"

    def __init__(
        self,
        session: requests.Session | None = None,
        *,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        read_timeout: float = DEFAULT_READ_TIMEOUT,
        total_timeout: float = DEFAULT_TOTAL_TIMEOUT,
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> None:
        for name, value in (
            ("connect_timeout", connect_timeout),
            ("read_timeout", read_timeout),
            ("total_timeout", total_timeout),
        ):
            if not value > 0:
                raise ConfigurationError(f"{name}: expected a positive number, found {value!r}")
        if max_bytes <= 0:
            raise ConfigurationError(f"max_bytes: expected a positive int, found {max_bytes!r}")
        self._session = session
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.total_timeout = total_timeout
        self.max_bytes = max_bytes

    def _get_session(self) -> requests.Session:
        if self._session is None:
            import requests

            self._session = requests.Session()
        return self._session

    def fetch(self, uri: str) -> bytes:
        """GET ``uri`` and return the body, or raise ``JwksUnavailableError``.

        The exchange runs in a helper thread and the caller waits at most
        ``total_timeout`` for it.  ``requests``' timeouts apply per socket read,
        so a server that drips its *status line and headers* one byte at a
        time would otherwise hold the caller (and every caller queued behind
        the cache's single-flight lock) for as long as it likes.  An abandoned
        helper ends by itself once the server stops or its headers complete.
        """
        session = self._get_session()
        outcome: list[bytes | BaseException] = []
        helper = threading.Thread(
            target=self._fetch_into,
            args=(session, uri, outcome),
            name="cognito-jwt-fetch",
            daemon=True,
        )
        helper.start()
        helper.join(self.total_timeout)
        if not outcome:
            raise JwksUnavailableError(
                f"JWKS fetch from {uri}: expected a response within {self.total_timeout} s, "
                "found a slower one",
                reason="jwks_timeout",
            )
        result = outcome[0]
        if isinstance(result, BaseException):
            raise result
        return result

    def _fetch_into(
        self, session: requests.Session, uri: str, outcome: list[bytes | BaseException]
    ) -> None:
        try:
            outcome.append(self._fetch(session, uri))
        except BaseException as exc:  # handed to the waiting caller, which re-raises it
            outcome.append(exc)

    def _fetch(self, session: requests.Session, uri: str) -> bytes:
        import requests
        import urllib3

        # What a transport can raise mid-body: requests' own errors before the
        # body, urllib3's and the socket's while streaming it.
        transport_errors = (
            requests.RequestException,
            urllib3.exceptions.HTTPError,
            OSError,
            ValueError,
        )
        started = time.monotonic()
        try:
            response = session.get(
                uri,
                timeout=(self.connect_timeout, self.read_timeout),
                allow_redirects=False,
                stream=True,
                headers={"Accept": self._accept},
            )
        except transport_errors as exc:
            raise JwksUnavailableError(
                f"JWKS fetch from {uri}: expected a response, found {type(exc).__name__}",
                reason="jwks_fetch_failed",
            ) from exc
        try:
            self._check_response(response, uri)
            _check_single_encoding(response.headers.get("Content-Encoding"), uri)
            declared = response.headers.get("Content-Length")
            if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
                raise JwksUnavailableError(
                    f"JWKS fetch from {uri}: expected at most {self.max_bytes} bytes, "
                    f"found Content-Length {declared}",
                    reason="jwks_too_large",
                )
            body = self._read_body(response, uri, started)
            lifetime = parse_cache_control(response.headers.get("Cache-Control"))
            return FetchedBody(body, cache_max_age=lifetime)
        except transport_errors as exc:
            raise JwksUnavailableError(
                f"JWKS fetch from {uri}: expected a complete body, found {type(exc).__name__}",
                reason="jwks_fetch_failed",
            ) from exc
        finally:
            response.close()

    def _check_response(self, response: requests.Response, uri: str) -> None:
        """Accept only ``200`` with a JSON content type (a subclass may widen this)."""
        if response.status_code != 200:
            raise JwksUnavailableError(
                f"JWKS fetch from {uri}: expected HTTP 200, found {response.status_code}",
                reason="jwks_http_status",
                http_status=response.status_code,
            )
        ctype = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if ctype not in _JSON_TYPES and not ctype.endswith("+json"):
            raise JwksUnavailableError(
                f"JWKS fetch from {uri}: expected a JSON content type, found {ctype!r:.60}",
                reason="jwks_content_type",
            )

    def _read_body(self, response: requests.Response, uri: str, started: float) -> bytes:
        # read1 returns after a single socket read, so the deadline below is
        # checked at least once per ``read_timeout`` even against a server that
        # drips one byte at a time (a plain read(n) would wait to fill n bytes).
        raw = response.raw
        chunks: list[bytes] = []
        size = 0
        while True:
            chunk = raw.read1(8192, decode_content=True)
            if not chunk:
                break
            size += len(chunk)
            if size > self.max_bytes:
                raise JwksUnavailableError(
                    f"JWKS fetch from {uri}: expected at most {self.max_bytes} bytes, found more",
                    reason="jwks_too_large",
                )
            if time.monotonic() - started > self.total_timeout:
                raise JwksUnavailableError(
                    f"JWKS fetch from {uri}: expected a body within {self.total_timeout} s, "
                    "found a slower response",
                    reason="jwks_timeout",
                )
            chunks.append(chunk)
        return b"".join(chunks)


class PemFetcher(RequestsFetcher):
    """`RequestsFetcher` for key endpoints: any content type, 403/404 mean "no such key".

    The ALB endpoint in the commercial partition and the S3 buckets of
    GovCloud answer a kid they do not hold with 403 or 404; both become the
    reason `KEY_NOT_FOUND`, which the cache turns into a 401 and remembers.
    """

    _accept = "*/*"

    def __init__(self, session: requests.Session | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("max_bytes", DEFAULT_MAX_PEM_BYTES)
        super().__init__(session, **kwargs)

    def _check_response(self, response: requests.Response, uri: str) -> None:
        status = response.status_code
        if status in (403, 404):
            raise JwksUnavailableError(
                f"key fetch from {uri}: expected HTTP 200, found {status} (no such key)",
                reason="alb_key_not_found",  # KEY_NOT_FOUND, spelled out for the docs check
            )
        if status != 200:
            raise JwksUnavailableError(
                f"key fetch from {uri}: expected HTTP 200, found {status}",
                reason="jwks_http_status",
            )
