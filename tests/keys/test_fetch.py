"""cognito_jwt._fetch: what `RequestsFetcher` accepts from a JWKS endpoint, one rule at a time.

Each test talks to a real loopback server (`hostile_servers`); the failure
matrix in `test_jwks_failures.py` runs the same fetcher under a cache, across
every kind of misbehaving endpoint.
"""

from __future__ import annotations

from typing import Any

import pytest
from hostile_servers import JSON, Behaviour, hostile, json_body, reply

from cognito_jwt import ConfigurationError, JwksUnavailableError, RequestsFetcher
from cognito_jwt._fetch import check_jwks_uri

BODY = b'{"keys": []}'


def _fetch(behaviour: Behaviour, **options: Any) -> bytes:
    with hostile(behaviour) as server:
        return RequestsFetcher(**options).fetch(server.url)


def test_a_json_200_is_returned_as_sent() -> None:
    assert _fetch(json_body(BODY)) == BODY


@pytest.mark.parametrize(
    ("status", "headers", "reason"),
    [
        (404, JSON, "jwks_http_status"),
        (302, {**JSON, "Location": "http://127.0.0.1:9/"}, "jwks_http_status"),
        (200, {"Content-Type": "text/html"}, "jwks_content_type"),
        (200, {**JSON, "Content-Encoding": "gzip, gzip"}, "jwks_content_encoding"),
        (200, {**JSON, "Content-Length": str(10**9)}, "jwks_too_large"),
    ],
)
def test_an_answer_that_is_not_a_bounded_json_200_is_refused(
    status: int, headers: dict[str, str], reason: str
) -> None:
    with pytest.raises(JwksUnavailableError) as raised:
        _fetch(reply(status, headers, BODY))
    assert raised.value.reason == reason
    assert raised.value.status_code == 503


def test_a_body_over_the_cap_is_refused_even_without_a_length() -> None:
    def unbounded(h: Any) -> None:  # no Content-Length: only the read can stop it
        h.send_response(200)
        for name, value in JSON.items():
            h.send_header(name, value)
        h.end_headers()
        h.wfile.write(b" " * 4096)

    with pytest.raises(JwksUnavailableError) as raised:
        _fetch(unbounded, max_bytes=1024)
    assert raised.value.reason == "jwks_too_large"


@pytest.mark.parametrize(
    ("uri", "allow_http"),
    [
        ("http://127.0.0.1/jwks.json", False),
        ("ftp://example.com/jwks.json", True),
        ("/relative/jwks.json", True),
        ("", True),
    ],
)
def test_a_jwks_uri_must_be_absolute_https_unless_http_is_opted_in(
    uri: str, allow_http: bool
) -> None:
    with pytest.raises(ConfigurationError):
        check_jwks_uri(uri, allow_http=allow_http)
    assert check_jwks_uri("http://127.0.0.1/j", allow_http=True) == "http://127.0.0.1/j"


@pytest.mark.parametrize(
    "options",
    [{"connect_timeout": 0}, {"read_timeout": -1}, {"total_timeout": 0}, {"max_bytes": 0}],
)
def test_timeouts_and_the_size_cap_must_be_positive(options: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError):
        RequestsFetcher(**options)
