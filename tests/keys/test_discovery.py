"""`JwtVerifier.from_discovery`: OpenID Connect Discovery 1.0 against a real loopback
server (the document and the keys it names, each path counted), and against real
providers' documents (tests/fixtures/discovery, sources in SOURCES.md) served by a
canned fetcher that answers only the exact discovery URI."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hostile_servers import JSON, HostileServer, reply

from cognito_jwt import (
    ConfigurationError,
    JwksCache,
    JwksUnavailableError,
    JwtVerifier,
    RequestsFetcher,
    UnsupportedAlgorithmError,
)
from cognito_jwt.testing import FakeCognitoPool, ManualClock

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "discovery"
AUDIENCE = "discovery-client"
ISSUER = "https://issuer.example.com"


class Provider:
    """A loopback OpenID provider: a discovery document and a JWKS, at paths it counts."""

    def __init__(self) -> None:
        self.hits: dict[str, int] = {}
        self.pool: FakeCognitoPool | None = None
        self.server = HostileServer(self._answer)
        self.issuer = f"http://127.0.0.1:{self.server.port}/tenant"
        self.pool = FakeCognitoPool("us-east-1_Discovery1", AUDIENCE, issuer=self.issuer)
        self.keys_path = "/certs/v3"
        self.document: Callable[[], dict[str, Any]] = lambda: {
            "issuer": self.issuer,
            "jwks_uri": f"http://127.0.0.1:{self.server.port}{self.keys_path}",
            "id_token_signing_alg_values_supported": ["RS256"],
        }
        self.failing = False
        #: Held while this event is clear: the document's answer waits for it.
        self.document_gate = threading.Event()
        self.document_gate.set()

    def _answer(self, h: Any) -> None:
        path = h.path
        self.hits[path] = self.hits.get(path, 0) + 1
        assert self.pool is not None
        if path == "/tenant/.well-known/openid-configuration":
            assert self.document_gate.wait(30)
            if self.failing:
                reply(500, JSON, b"{}")(h)
            else:
                reply(200, JSON, json.dumps(self.document()).encode())(h)
        elif path == self.keys_path:
            reply(200, JSON, self.pool.jwks_json.encode())(h)
        else:
            reply(404, JSON, b"{}")(h)

    def token(self, **claims: Any) -> str:
        assert self.pool is not None
        return self.pool.id_token(**claims)

    def count(self, path: str) -> int:
        return self.hits.get(path, 0)


DOC = "/tenant/.well-known/openid-configuration"


@pytest.fixture
def provider() -> Iterator[Provider]:
    p = Provider()
    yield p
    p.server.close()


def discovered(provider: Provider, **kwargs: Any) -> JwtVerifier:
    kwargs.setdefault("jwks_cache", JwksCache())
    return JwtVerifier.from_discovery(provider.issuer, audience=AUDIENCE, allow_http=True, **kwargs)


def test_keys_come_from_the_jwks_uri_the_document_names(provider: Provider) -> None:
    verifier = discovered(provider)
    assert verifier.verify(provider.token())["aud"] == AUDIENCE
    # The document once, the keys once, from where the document said; the
    # guessed <issuer>/.well-known/jwks.json never.
    assert provider.count(DOC) == 1
    assert provider.count("/certs/v3") == 1
    assert provider.count("/tenant/.well-known/jwks.json") == 0


def test_the_document_is_refreshed_after_max_age_and_its_new_jwks_uri_followed(
    provider: Provider,
) -> None:
    clock = ManualClock()
    verifier = discovered(
        provider,
        jwks_cache=JwksCache(max_age=600, clock=clock, background_refresh=False, refresh_ahead=0),
    )
    verifier.verify(provider.token())
    provider.keys_path = "/certs/v4"
    clock.advance(601)
    verifier.verify(provider.token(jti="second"))
    assert provider.count(DOC) == 2
    assert provider.count("/certs/v4") == 1


def test_the_document_is_refreshed_ahead_in_the_background_and_no_call_waits(
    provider: Provider,
) -> None:
    clock = ManualClock()
    cache = JwksCache(max_age=600, refresh_ahead=60, clock=clock, background_refresh=True)
    verifier = discovered(provider, jwks_cache=cache, cache_size=0)
    assert verifier.verify(provider.token())
    provider.document_gate.clear()  # the refreshed document is held at the server
    provider.keys_path = "/certs/v4"
    clock.advance(540)  # the window (the last 60 s of 600) of document and keys opens
    for _ in range(20):
        assert verifier.verify(provider.token())  # none waits for the held document
    provider.document_gate.set()
    deadline = time.monotonic() + 30
    while provider.count("/certs/v4") == 0:  # the new jwks_uri's keys, loaded with it
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert verifier.verify(provider.token())
    assert provider.count(DOC) == 2
    assert provider.count("/certs/v4") == 1


def test_a_document_refresh_whose_thread_cannot_start_leaves_the_document_serving(
    provider: Provider, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = ManualClock()
    cache = JwksCache(max_age=600, refresh_ahead=60, clock=clock, background_refresh=True)
    verifier = discovered(provider, jwks_cache=cache, cache_size=0)
    assert verifier.verify(provider.token())
    clock.advance(540)

    def refuse(self: threading.Thread) -> None:
        raise RuntimeError("can't start new thread")

    with monkeypatch.context() as patch:
        patch.setattr(threading.Thread, "start", refuse)
        for _ in range(3):  # a thread or pid limit: the refresh is skipped, never a 500
            assert verifier.verify(provider.token())
    assert provider.count(DOC) == 1
    assert verifier.verify(provider.token())  # threads again: the refresh starts at once
    deadline = time.monotonic() + 30
    while provider.count(DOC) < 2:
        assert time.monotonic() < deadline
        time.sleep(0.01)


def test_inline_the_call_in_the_window_refreshes_the_document(provider: Provider) -> None:
    clock = ManualClock()
    cache = JwksCache(max_age=600, refresh_ahead=60, clock=clock, background_refresh=False)
    verifier = discovered(provider, jwks_cache=cache, cache_size=0)
    assert verifier.verify(provider.token())
    provider.keys_path = "/certs/v4"
    clock.advance(539)
    assert verifier.verify(provider.token())
    assert provider.count(DOC) == 1
    clock.advance(1)
    assert verifier.verify(provider.token())  # refreshed in the call, and followed
    assert provider.count(DOC) == 2
    assert provider.count("/certs/v4") == 1


def test_a_failed_document_refresh_keeps_the_document_and_backs_off(
    provider: Provider,
) -> None:
    clock = ManualClock()
    cache = JwksCache(
        max_age=600, cooldown=10, clock=clock, background_refresh=False, refresh_ahead=0
    )
    verifier = discovered(provider, jwks_cache=cache, cache_size=0)
    verifier.verify(provider.token())
    provider.failing = True
    clock.advance(601)
    for _ in range(5):  # the keys are stale too: served while the endpoint fails
        verifier.verify(provider.token())
    assert provider.count(DOC) == 2  # one failed refresh, then the back-off holds
    clock.advance(11)
    provider.failing = False
    verifier.verify(provider.token())
    assert provider.count(DOC) == 3


@pytest.mark.parametrize("background", [True, False], ids=["background", "inline"])
def test_past_max_age_a_moved_jwks_uri_is_followed_before_the_call_is_answered(
    provider: Provider, background: bool
) -> None:
    clock = ManualClock()
    cache = JwksCache(max_age=600, refresh_ahead=60, clock=clock, background_refresh=background)
    verifier = discovered(provider, jwks_cache=cache, cache_size=0)
    assert verifier.verify(provider.token())
    provider.keys_path = "/certs/v4"  # the issuer moved its keys; the old path now 404s
    clock.advance(700)  # idle through the window: document and keys past max_age
    assert verifier.verify(provider.token(jti="after"))
    # Answered from the refreshed document: its keys fetched from the new place,
    # the old jwks_uri never asked again.
    assert provider.count(DOC) == 2
    assert provider.count("/certs/v4") == 1
    assert provider.count("/certs/v3") == 1


def test_past_max_age_callers_wait_for_the_one_document_refresh_in_flight(
    provider: Provider,
) -> None:
    clock = ManualClock()
    cache = JwksCache(max_age=600, refresh_ahead=60, clock=clock, background_refresh=False)
    verifier = discovered(provider, jwks_cache=cache, cache_size=0)
    assert verifier.verify(provider.token())
    provider.document_gate.clear()  # the refreshed document is held at the server
    provider.keys_path = "/certs/v4"
    clock.advance(700)
    results: list[object] = []

    def call() -> None:
        try:
            results.append(verifier.verify(provider.token()))
        except Exception as exc:  # recorded, asserted below
            results.append(exc)

    threads = [threading.Thread(target=call) for _ in range(4)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 30
    while provider.count(DOC) < 2:  # the one refresh has reached the server
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert results == []  # nobody was answered from the old jwks_uri meanwhile
    provider.document_gate.set()
    for thread in threads:
        thread.join(30)
    assert len(results) == 4
    assert all(isinstance(r, dict) for r in results), results
    assert provider.count(DOC) == 2  # one fetch, shared
    assert provider.count("/certs/v3") == 1
    assert provider.count("/certs/v4") == 1


@pytest.mark.parametrize("background", [True, False], ids=["background", "inline"])
def test_past_max_age_a_failing_document_endpoint_leaves_the_stale_document_serving(
    provider: Provider, background: bool
) -> None:
    clock = ManualClock()
    cache = JwksCache(
        max_age=600, refresh_ahead=60, cooldown=10, clock=clock, background_refresh=background
    )
    verifier = discovered(provider, jwks_cache=cache, cache_size=0)
    assert verifier.verify(provider.token())
    provider.failing = True
    clock.advance(700)
    for _ in range(3):  # the refresh fails: the stale document (and keys) serve
        assert verifier.verify(provider.token())
    assert provider.count(DOC) == 2  # one failed refresh, then the back-off holds
    assert provider.count("/certs/v3") >= 1


def test_a_document_unrefreshed_beyond_stale_if_error_stops_serving(provider: Provider) -> None:
    clock = ManualClock()
    cache = JwksCache(
        max_age=600,
        cooldown=10,
        stale_if_error=100,
        clock=clock,
        background_refresh=False,
        refresh_ahead=0,
    )
    verifier = discovered(provider, jwks_cache=cache, cache_size=0)
    verifier.verify(provider.token())
    provider.failing = True
    clock.advance(601)
    verifier.verify(provider.token())  # refresh failed; within stale_if_error
    clock.advance(200)
    with pytest.raises(JwksUnavailableError) as caught:
        verifier.verify(provider.token())  # the refresh fails again: its error
    assert caught.value.reason == "jwks_http_status"
    with pytest.raises(JwksUnavailableError) as caught:
        verifier.verify(provider.token())  # backing off, nothing usable
    assert caught.value.reason == "discovery_stale"


def test_the_document_is_fetched_with_the_key_fetchers_size_cap(provider: Provider) -> None:
    provider.document = lambda: {"issuer": provider.issuer, "padding": "x" * 5000}
    cache = JwksCache(RequestsFetcher(max_bytes=1024))
    with pytest.raises(JwksUnavailableError) as caught:
        discovered(provider, jwks_cache=cache)
    assert caught.value.reason == "jwks_too_large"


def test_a_redirected_document_is_not_followed() -> None:
    with HostileServer(reply(302, {"Location": "http://127.0.0.1:1/x"}, b"")) as server:
        issuer = f"http://127.0.0.1:{server.port}"
        with pytest.raises(JwksUnavailableError) as caught:
            JwtVerifier.from_discovery(
                issuer, audience=AUDIENCE, allow_http=True, jwks_cache=JwksCache()
            )
    assert caught.value.reason == "jwks_http_status"
    assert caught.value.http_status == 302


# -- the document's issuer must be the configured one, exactly ------------------------


@pytest.mark.parametrize(
    ("served", "why"),
    [
        (lambda iss: iss + "/", "a trailing slash"),
        (lambda iss: iss.upper(), "another case"),
        (lambda iss: "https://evil.example.com/tenant", "another host"),
        (lambda iss: "http://127.0.0.1/{tenantid}", "a multi-tenant template"),
        (lambda iss: None, "no issuer"),
    ],
)
def test_a_document_naming_another_issuer_is_refused(
    provider: Provider, served: Callable[[str], Any], why: str
) -> None:
    provider.document = lambda: {
        "issuer": served(provider.issuer),
        "jwks_uri": f"http://127.0.0.1:{provider.server.port}/certs/v3",
    }
    with pytest.raises(ConfigurationError, match="exactly"):
        discovered(provider)


def test_a_templated_issuer_is_refused_before_any_request(provider: Provider) -> None:
    with pytest.raises(ConfigurationError, match="template"):
        JwtVerifier.from_discovery(
            "https://login.microsoftonline.com/{tenantid}/v2.0", audience=AUDIENCE
        )
    assert provider.hits == {}


# -- the wiring slips, one row each ------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"issuer": "http://issuer.example.com"}, "https"),
        ({"issuer": "https://issuer.example.com?tenant=1"}, "query or fragment"),
        ({"issuer": "https://issuer.example.com#x"}, "query or fragment"),
        ({"issuer": ""}, "non-empty"),
        (
            {"issuer": "https://issuer.example.com", "audience": None, "id_tokens": "yes"},
            "id_tokens",
        ),
        ({"issuer": ISSUER}, "audience"),
        (
            {"issuer": "https://issuer.example.com", "audience": "a", "algorithms": ["HS256"]},
            "HMAC",
        ),
    ],
)
def test_wiring_slips_are_refused_before_any_request(kwargs: dict[str, Any], match: str) -> None:
    issuer = kwargs.pop("issuer")
    if match != "audience":
        kwargs.setdefault("audience", "a")
    with pytest.raises(ConfigurationError, match=match):
        JwtVerifier.from_discovery(issuer, **kwargs)


@pytest.mark.parametrize(
    "jwks_uri",
    ["ftp://127.0.0.1/keys", "/relative/keys", None, 42],
)
def test_a_jwks_uri_that_is_not_an_absolute_http_url_is_refused(
    provider: Provider, jwks_uri: Any
) -> None:
    provider.document = lambda: {"issuer": provider.issuer, "jwks_uri": jwks_uri}
    with pytest.raises(ConfigurationError, match="jwks_uri"):
        discovered(provider)


# -- algorithms: narrowed for ID tokens, never widened -----------------------------------


def _alg_token(provider: Provider, alg: str) -> str:
    """An ID token of the provider's pool, signed with `alg` (an RSA algorithm)."""
    assert provider.pool is not None
    pool = provider.pool
    claims = json.loads(base64.urlsafe_b64decode(provider.token().split(".")[1] + "=="))
    return pool.sign(claims, {"kid": pool.id_kid, "alg": alg})


def test_id_token_algorithms_narrow_the_allow_list(provider: Provider) -> None:
    verifier = discovered(provider, id_tokens=True, algorithms=["RS256", "PS256"])
    with pytest.raises(UnsupportedAlgorithmError) as caught:
        verifier.verify(_alg_token(provider, "PS256"))
    assert caught.value.reason == "unsupported_algorithm"
    assert verifier.verify(_alg_token(provider, "RS256"))["aud"] == AUDIENCE


def test_id_token_algorithms_never_widen_the_allow_list(provider: Provider) -> None:
    provider.document = lambda: {
        "issuer": provider.issuer,
        "jwks_uri": f"http://127.0.0.1:{provider.server.port}/certs/v3",
        "id_token_signing_alg_values_supported": ["RS256", "PS256", "none", "HS256"],
    }
    verifier = discovered(provider, id_tokens=True)
    for alg in ("PS256", "none", "HS256"):
        with pytest.raises(UnsupportedAlgorithmError) as caught:
            verifier.verify(_alg_token(provider, alg) if alg == "PS256" else _unsigned(alg))
        assert caught.value.reason == "unsupported_algorithm"


def _unsigned(alg: str) -> str:
    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    return f"{b64(json.dumps({'alg': alg, 'kid': 'k'}).encode())}.{b64(b'{}')}.c2ln"


def test_access_token_verifiers_ignore_the_id_token_algorithms(provider: Provider) -> None:
    provider.document = lambda: {
        "issuer": provider.issuer,
        "jwks_uri": f"http://127.0.0.1:{provider.server.port}/certs/v3",
        "id_token_signing_alg_values_supported": ["PS256"],
    }
    # For ID tokens nothing allowed would remain (refused); for others the list says nothing.
    with pytest.raises(ConfigurationError, match="algorithms"):
        discovered(provider, id_tokens=True)
    verifier = discovered(provider)
    assert verifier.verify(_alg_token(provider, "RS256"))["aud"] == AUDIENCE


def test_no_allowed_algorithm_left_after_narrowing_is_refused(provider: Provider) -> None:
    with pytest.raises(ConfigurationError, match="algorithms"):
        discovered(provider, id_tokens=True, algorithms=["PS256"])


# -- real providers' documents ----------------------------------------------------------


class CannedFetcher:
    """Answers the one exact discovery URI with a fixture; anything else is an outage."""

    def __init__(self, uri: str, body: bytes) -> None:
        self.uri, self.body, self.asked = uri, body, list[str]()

    def fetch(self, uri: str) -> bytes:
        self.asked.append(uri)
        if uri != self.uri:
            raise JwksUnavailableError(f"not served: {uri}", reason="jwks_fetch_failed")
        return self.body


def canned(issuer: str, body: bytes) -> CannedFetcher:
    return CannedFetcher(issuer + "/.well-known/openid-configuration", body)


@pytest.mark.parametrize(
    ("fixture", "issuer", "jwks_uri"),
    [
        (
            "cognito_us-east-1.json",
            "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_BGU9CKFCM",
            "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_BGU9CKFCM/.well-known/jwks.json",
        ),
        (
            "google.json",
            "https://accounts.google.com",
            "https://www.googleapis.com/oauth2/v3/certs",
        ),
        (
            "vmware_identity_manager.json",
            "https://acme.vmwareidentity.com/SAAS/auth",
            "https://acme.vmwareidentity.com/SAAS/API/1.0/REST/auth/token?attribute=publicKey&format=jwks",
        ),
    ],
)
def test_real_documents_name_their_keys(fixture: str, issuer: str, jwks_uri: str) -> None:
    fetcher = CannedFetcher(
        issuer + "/.well-known/openid-configuration", (FIXTURES / fixture).read_bytes()
    )
    verifier = JwtVerifier.from_discovery(issuer, audience="client", fetcher=fetcher)
    assert verifier.issuers == (issuer,)
    assert verifier._issuers[issuer].jwks_uri == jwks_uri
    assert fetcher.asked == [issuer + "/.well-known/openid-configuration"]


@pytest.mark.parametrize(
    ("fixture", "issuer"),
    [
        (
            "cognito_us-east-1.json",
            "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_BGU9CKFCM",
        ),
        ("google.json", "https://accounts.google.com"),
    ],
)
def test_real_id_token_algorithms_narrow_to_rs256(fixture: str, issuer: str) -> None:
    fetcher = CannedFetcher(
        issuer + "/.well-known/openid-configuration", (FIXTURES / fixture).read_bytes()
    )
    verifier = JwtVerifier.from_discovery(
        issuer, audience="client", fetcher=fetcher, id_tokens=True, algorithms=["RS256", "ES256"]
    )
    assert verifier._issuers[issuer].settings.algorithms == frozenset({"RS256"})


def test_a_document_advertising_only_placeholders_leaves_no_id_token_algorithm() -> None:
    # VMware's published example lists the schema placeholder "string".
    issuer = "https://acme.vmwareidentity.com/SAAS/auth"
    body = (FIXTURES / "vmware_identity_manager.json").read_bytes()
    fetcher = canned(issuer, body)
    with pytest.raises(ConfigurationError, match="algorithms"):
        JwtVerifier.from_discovery(issuer, audience="client", fetcher=fetcher, id_tokens=True)


def test_microsofts_multi_tenant_document_is_refused() -> None:
    # The common authority answers with the template https://sts.windows.net/{tenantid}/.
    issuer = "https://login.microsoftonline.com/common"
    body = (FIXTURES / "microsoft_common.json").read_bytes()
    fetcher = canned(issuer, body)
    with pytest.raises(ConfigurationError, match="template"):
        JwtVerifier.from_discovery(issuer, audience="client", fetcher=fetcher)


def test_a_real_document_with_an_http_jwks_uri_is_refused_without_the_opt_in() -> None:
    issuer = "https://accounts.google.com"
    document = json.loads((FIXTURES / "google.json").read_bytes())
    document["jwks_uri"] = "http://www.googleapis.com/oauth2/v3/certs"
    fetcher = CannedFetcher(
        issuer + "/.well-known/openid-configuration", json.dumps(document).encode()
    )
    with pytest.raises(ConfigurationError, match="https"):
        JwtVerifier.from_discovery(issuer, audience="client", fetcher=fetcher)


def test_a_discovered_verifier_takes_a_revocation_list(provider: Provider) -> None:
    from cognito_jwt import TokenRevokedError, decode_unverified
    from cognito_jwt.revocation import MemoryStore, RevocationList

    revocations = RevocationList(MemoryStore())
    with pytest.raises(ConfigurationError, match="must declare max_token_lifetime"):
        discovered(provider, revocation=revocations)
    verifier = discovered(provider, revocation=revocations, max_token_lifetime=3600)
    token = provider.token()
    assert verifier.verify(token)
    claims = decode_unverified(token)[1]
    revocations.revoke_user(iss=claims["iss"], sub=claims["sub"], at=claims["iat"] + 1)
    with pytest.raises(TokenRevokedError) as info:
        verifier.verify(token)
    assert info.value.reason == "token_revoked"
