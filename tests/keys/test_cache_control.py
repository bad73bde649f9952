"""`Cache-Control` on a JWKS response: parsed by the fetcher (`parse_cache_control`,
returned with the body as a `FetchedBody`), used by the key cache to refresh sooner
than `max_age` (never below a minute), and later only with `cache_control_extends`.
The endpoint is a real server on 127.0.0.1; the cache's clock is a `ManualClock`, and
what is asserted is how many requests reached the server."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fixed_time import NOW
from hostile_servers import JSON, HostileServer, reply

from cognito_jwt import ConfigurationError, JwksCache, JwtVerifier
from cognito_jwt._fetch import FetchedBody, parse_cache_control
from cognito_jwt._jwks import MIN_CACHE_CONTROL_MAX_AGE
from cognito_jwt.testing import FakeCognitoPool, ManualClock

ISSUER = "https://cc-issuer.example.com"


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("max-age=120", 120.0),
        ("public, max-age=300", 300.0),
        ("MAX-AGE=30", 30.0),
        ('max-age="90"', 90.0),
        ("max-age=100, max-age=50", 50.0),
        ("max-age=600, no-cache", 0.0),
        ("no-store", 0.0),
        ("no-cache", 0.0),
        ('no-cache="Set-Cookie"', 0.0),
        ("max-age=abc", 0.0),
        ("max-age=-5", 0.0),
        ("max-age=", 0.0),
        ("max-age=٣", 0.0),
        ("private", None),
        ("s-maxage=10", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_cache_control(header: str | None, seconds: float | None) -> None:
    assert parse_cache_control(header) == seconds


class Endpoint:
    def __init__(self, pool: FakeCognitoPool) -> None:
        self.cache_control: str | None = None
        self.server = HostileServer(self._answer)
        self.pool = pool

    def _answer(self, h: Any) -> None:
        headers = dict(JSON)
        if self.cache_control is not None:
            headers["Cache-Control"] = self.cache_control
        reply(200, headers, self.pool.jwks_json.encode())(h)


@pytest.fixture(scope="module")
def pool() -> FakeCognitoPool:
    return FakeCognitoPool("us-east-1_CacheCtl1", "cc-client", issuer=ISSUER)


@pytest.fixture
def endpoint(pool: FakeCognitoPool) -> Iterator[Endpoint]:
    e = Endpoint(pool)
    yield e
    e.server.close()


def fetches_at(endpoint: Endpoint, header: str | None, offsets: list[float], **cache: Any) -> int:
    """Verify at each offset (seconds after the first fetch); return the requests made."""
    endpoint.cache_control = header
    clock = ManualClock()
    verifier = JwtVerifier(
        issuer=ISSUER,
        audience="cc-client",
        jwks_uri=endpoint.server.url,
        allow_http=True,
        jwks_cache=JwksCache(
            max_age=3600, clock=clock, **cache, background_refresh=False, refresh_ahead=0
        ),
        clock=lambda: NOW,
        cache_size=0,
    )
    token = endpoint.pool.id_token(now=NOW)
    verifier.verify(token)
    start = clock.now
    for offset in offsets:
        clock.now = start + offset
        verifier.verify(token)
    return endpoint.server.requests


def test_the_response_carries_its_lifetime(endpoint: Endpoint) -> None:
    from cognito_jwt import RequestsFetcher

    endpoint.cache_control = "max-age=120"
    body = RequestsFetcher().fetch(endpoint.server.url)
    assert isinstance(body, FetchedBody)
    assert body.cache_max_age == 120.0


def test_a_shorter_max_age_refreshes_sooner(endpoint: Endpoint) -> None:
    assert fetches_at(endpoint, "max-age=120", [119]) == 1
    endpoint.server.request_count = 0
    assert fetches_at(endpoint, "max-age=120", [121]) == 1 + 1


@pytest.mark.parametrize("header", ["max-age=10", "max-age=0", "no-store", "no-cache"])
def test_a_minute_is_the_floor(endpoint: Endpoint, header: str) -> None:
    assert MIN_CACHE_CONTROL_MAX_AGE == 60.0
    assert fetches_at(endpoint, header, [30, 59]) == 1
    endpoint.server.request_count = 0
    assert fetches_at(endpoint, header, [61, 90, 122]) == 1 + 2


def test_a_longer_max_age_is_ignored_unless_the_user_opts_in(endpoint: Endpoint) -> None:
    assert fetches_at(endpoint, "max-age=7200", [3601]) == 2
    endpoint.server.request_count = 0
    assert fetches_at(endpoint, "max-age=7200", [3601], cache_control_extends=True) == 1
    endpoint.server.request_count = 0
    assert fetches_at(endpoint, "max-age=7200", [7201], cache_control_extends=True) == 2


def test_no_header_keeps_max_age(endpoint: Endpoint) -> None:
    assert fetches_at(endpoint, None, [3599]) == 1
    endpoint.server.request_count = 0
    assert fetches_at(endpoint, None, [3601]) == 2


def test_a_fetcher_returning_plain_bytes_keeps_max_age(pool: FakeCognitoPool) -> None:
    class Plain:
        calls = 0

        def fetch(self, uri: str) -> bytes:
            Plain.calls += 1
            return pool.jwks_json.encode()

    clock = ManualClock()
    cache = JwksCache(Plain(), max_age=3600, clock=clock, background_refresh=False, refresh_ahead=0)
    cache.hydrate("https://keys.example.com")
    clock.advance(3599)
    cache.hydrate("https://keys.example.com")
    assert Plain.calls == 1


def test_a_shorter_max_age_does_not_shorten_stale_if_error(endpoint: Endpoint) -> None:
    endpoint.cache_control = "max-age=120"
    clock = ManualClock()
    verifier = JwtVerifier(
        issuer=ISSUER,
        audience="cc-client",
        jwks_uri=endpoint.server.url,
        allow_http=True,
        jwks_cache=JwksCache(
            max_age=3600, stale_if_error=600, clock=clock, background_refresh=False, refresh_ahead=0
        ),
        clock=lambda: NOW,
        cache_size=0,
    )
    token = endpoint.pool.id_token(now=NOW)
    verifier.verify(token)
    endpoint.server.behaviour = reply(500, JSON, b"{}")
    clock.advance(3600 + 500)  # past the Cache-Control life and max_age, within stale_if_error
    assert verifier.verify(token)["aud"] == "cc-client"


def test_cache_control_extends_must_be_a_bool() -> None:
    with pytest.raises(ConfigurationError, match="cache_control_extends"):
        JwksCache(cache_control_extends="yes")  # type: ignore[arg-type]
