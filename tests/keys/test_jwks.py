"""The JWKS cache against a real HTTP server on 127.0.0.1: single flight, cooldown,
rotation, stale-if-error, and the fetcher's refusals.  Time-based rules run on
a fake monotonic clock so the tests are exact and fast."""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any

import pytest
import requests
from fixed_time import NOW
from hostile_servers import (
    HORIZON,
    HostileServer,
    black_hole,
    current_jwks,
    delayed,
    json_body,
    reply,
    wait_until,
)

from cognito_jwt import (
    CognitoJwtVerifier,
    InvalidSignatureError,
    JwksCache,
    JwksUnavailableError,
    Report,
    RequestsFetcher,
    UnknownKeyError,
)
from cognito_jwt.testing import FakeCognitoPool, ManualClock, b64url


@pytest.fixture
def pool() -> FakeCognitoPool:
    """A pool of its own per test: rotation tests change its keys."""
    return FakeCognitoPool("us-east-1_JwksTests1")


@pytest.fixture
def mono() -> ManualClock:
    return ManualClock()


def make_verifier(
    pool: FakeCognitoPool, uri: str, cache: JwksCache, **kwargs: Any
) -> CognitoJwtVerifier:
    return pool.verifier(
        token_use="id",
        jwks_uri=uri,
        allow_http=True,
        jwks_cache=cache,
        clock=lambda: NOW,
        **kwargs,
    )


def fast_fetcher() -> RequestsFetcher:
    """A short read timeout, and no total deadline that could fire before it."""
    return RequestsFetcher(connect_timeout=0.5, read_timeout=0.5, total_timeout=HORIZON)


def patient_fetcher() -> RequestsFetcher:
    """For fetches that must succeed however loaded the machine: no test waits on
    these timeouts, a slow machine must not turn an answer into a timeout."""
    return RequestsFetcher(connect_timeout=HORIZON, read_timeout=HORIZON, total_timeout=HORIZON)


# -- sharing and single flight -------------------------------------------------


def verify_concurrently(verifier: Any, token: str, callers: int) -> list[Any]:
    """`callers` threads released at once each verify `token`: the `sub`s, or the errors."""
    results: list[Any] = []
    barrier = threading.Barrier(callers)

    def worker() -> None:
        barrier.wait()
        try:
            results.append(verifier.verify(token)["sub"])
        except Exception as exc:  # pragma: no cover - reported by the caller's assert
            results.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(callers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_32_concurrent_cold_callers_share_one_fetch(
    pool: FakeCognitoPool, jwks_server: HostileServer
) -> None:
    jwks_server.behaviour = delayed(current_jwks(pool), 0.2)
    verifier = make_verifier(pool, jwks_server.url, JwksCache())
    token = pool.id_token(now=NOW)
    results = verify_concurrently(verifier, token, 32)
    assert len(results) == 32
    assert all(isinstance(r, str) for r in results), results
    assert jwks_server.requests == 1


def test_concurrent_coroutines_share_one_fetch(
    pool: FakeCognitoPool, jwks_server: HostileServer
) -> None:
    jwks_server.behaviour = delayed(current_jwks(pool), 0.2)
    verifier = make_verifier(pool, jwks_server.url, JwksCache())
    token = pool.id_token(now=NOW)

    async def main() -> list[dict[str, Any]]:
        return await asyncio.gather(*(verifier.verify_async(token) for _ in range(200)))

    assert len(asyncio.run(main())) == 200
    assert jwks_server.requests == 1


def test_verifiers_built_per_request_share_the_cache(
    pool: FakeCognitoPool, jwks_server: HostileServer
) -> None:
    cache = JwksCache()
    token = pool.id_token(now=NOW)
    for _ in range(20):
        assert make_verifier(pool, jwks_server.url, cache).verify(token)
    assert jwks_server.requests == 1


def test_the_default_cache_is_shared_by_uri(
    pool: FakeCognitoPool, jwks_server: HostileServer
) -> None:
    token = pool.id_token(now=NOW)
    for _ in range(5):
        verifier = pool.verifier(
            token_use="id", jwks_uri=jwks_server.url, allow_http=True, clock=lambda: NOW
        )
        assert verifier.verify(token)
    assert jwks_server.requests == 1


def test_hydrate_fetches_before_the_first_token(
    pool: FakeCognitoPool, jwks_server: HostileServer
) -> None:
    verifier = make_verifier(pool, jwks_server.url, JwksCache())
    verifier.hydrate()
    assert jwks_server.requests == 1
    verifier.hydrate()
    asyncio.run(verifier.hydrate_async())
    assert verifier.verify(pool.id_token(now=NOW))
    assert jwks_server.requests == 1


# -- unknown kids, rotation ----------------------------------------------------


def test_unknown_kid_flood_costs_one_fetch_per_cooldown(
    pool: FakeCognitoPool, jwks_server: HostileServer, mono: ManualClock
) -> None:
    cache = JwksCache(clock=mono, cooldown=10)
    verifier = make_verifier(pool, jwks_server.url, cache)
    verifier.hydrate()
    assert jwks_server.requests == 1
    for i in range(300):
        token = pool.id_token(now=NOW, header_overrides={"kid": f"random-{i}"})
        with pytest.raises(UnknownKeyError) as info:
            verifier.verify(token)
        assert info.value.reason == "unknown_kid"
        if i % 100 == 99:
            mono.advance(5)  # 15 s over the flood in all
    # The first junk kid refetched at once (t=0), which started the cooldown;
    # the next refetch came when it ended (t=10), and none in between.
    assert jwks_server.requests == 3


def test_rotated_key_is_adopted_on_first_sight(
    pool: FakeCognitoPool, jwks_server: HostileServer, mono: ManualClock
) -> None:
    cache = JwksCache(clock=mono, cooldown=10)
    verifier = make_verifier(pool, jwks_server.url, cache)
    verifier.hydrate()
    old_token = pool.id_token(now=NOW)
    new_kid = pool.rotate(which="id", label="jwks-tests-rotation")
    new_token = pool.id_token(now=NOW)
    assert new_token.split(".")[0] != old_token.split(".")[0]
    assert pool.id_kid == new_kid
    assert verifier.verify(new_token)  # right after the hydrate fetch: no cooldown yet
    assert jwks_server.requests == 2
    assert verifier.verify(old_token)  # both keys published during the rotation
    assert jwks_server.requests == 2


def test_only_a_fetch_without_the_kid_starts_the_cooldown(
    pool: FakeCognitoPool, jwks_server: HostileServer, mono: ManualClock
) -> None:
    cache = JwksCache(clock=mono, cooldown=10)
    verifier = make_verifier(pool, jwks_server.url, cache)
    verifier.hydrate()
    pool.rotate(which="id", label="jwks-tests-first-rotation")
    assert verifier.verify(pool.id_token(now=NOW))  # found: starts no cooldown
    pool.rotate(which="id", label="jwks-tests-second-rotation")
    assert verifier.verify(pool.id_token(now=NOW))  # so the next rotation is adopted too
    assert jwks_server.requests == 3
    with pytest.raises(UnknownKeyError):
        verifier.verify(pool.id_token(now=NOW, header_overrides={"kid": "junk"}))
    assert jwks_server.requests == 4  # fetched, and lacked it: the cooldown starts
    pool.rotate(which="id", label="jwks-tests-third-rotation")
    with pytest.raises(UnknownKeyError):
        verifier.verify(pool.id_token(now=NOW))  # during the cooldown: no fetch
    assert jwks_server.requests == 4
    mono.advance(10)
    assert verifier.verify(pool.id_token(now=NOW))
    assert jwks_server.requests == 5


def test_removed_key_is_rejected_after_the_next_refresh(
    pool: FakeCognitoPool, jwks_server: HostileServer, mono: ManualClock
) -> None:
    cache = JwksCache(
        clock=mono, max_age=600, cooldown=10, background_refresh=False, refresh_ahead=0
    )
    verifier = make_verifier(pool, jwks_server.url, cache)
    old_kid = pool.id_kid
    old_token = pool.id_token(now=NOW)
    assert verifier.verify(old_token)
    pool.rotate(which="id", label="jwks-tests-removal")
    pool.unpublish(old_kid)
    mono.advance(599)
    assert verifier.verify(old_token)  # still within max_age: keys not refreshed yet
    mono.advance(2)
    with pytest.raises(UnknownKeyError):
        verifier.verify(old_token)
    assert jwks_server.requests == 2


# -- failures -------------------------------------------------------------------


def test_stale_keys_serve_while_the_endpoint_fails_then_expire(
    pool: FakeCognitoPool, jwks_server: HostileServer, mono: ManualClock
) -> None:
    cache = JwksCache(
        clock=mono,
        max_age=600,
        cooldown=10,
        stale_if_error=3600,
        max_backoff=60,
        background_refresh=False,
        refresh_ahead=0,
    )
    verifier = make_verifier(pool, jwks_server.url, cache)
    token = pool.id_token(now=NOW)
    assert verifier.verify(token)
    jwks_server.behaviour = reply(500, {"Content-Type": "text/plain"}, b"boom")
    mono.advance(601)
    assert verifier.verify(token)  # refresh failed: stale keys keep serving
    assert jwks_server.requests == 2
    for _ in range(50):
        assert verifier.verify(token)  # backing off: no new attempt
    assert jwks_server.requests == 2
    mono.advance(11)
    assert verifier.verify(token)
    assert jwks_server.requests == 3  # one attempt after the back-off
    mono.advance(3600)
    with pytest.raises(JwksUnavailableError) as info:
        verifier.verify(token)
    assert info.value.status_code == 503


def test_recovery_after_the_endpoint_comes_back(
    pool: FakeCognitoPool, jwks_server: HostileServer, mono: ManualClock
) -> None:
    jwks_server.behaviour = reply(503, {"Content-Type": "text/plain"}, b"down")
    verifier = make_verifier(pool, jwks_server.url, JwksCache(clock=mono, cooldown=10))
    token = pool.id_token(now=NOW)
    with pytest.raises(JwksUnavailableError) as info:
        verifier.verify(token)
    assert info.value.reason == "jwks_http_status"
    for _ in range(20):
        with pytest.raises(JwksUnavailableError):
            verifier.verify(token)  # fails fast during the back-off
    assert jwks_server.requests == 1
    jwks_server.behaviour = current_jwks(pool)
    mono.advance(10)
    assert verifier.verify(token)
    assert jwks_server.requests == 2


def test_a_key_set_with_a_tampered_key_fails_signatures(pool: FakeCognitoPool) -> None:
    jwks = pool.jwks
    other = FakeCognitoPool("us-east-1_JwksTests2")
    for jwk in jwks["keys"]:
        jwk["n"] = other.jwks["keys"][0]["n"]
    srv = HostileServer(json_body(json.dumps(jwks).encode()))
    try:
        verifier = make_verifier(pool, srv.url, JwksCache())
        with pytest.raises(InvalidSignatureError):
            verifier.verify(pool.id_token(now=NOW))
    finally:
        srv.close()


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        ((410, {"Content-Type": "text/html"}, b"<h1>gone</h1>"), "jwks_http_status"),
        ((500, {"Content-Type": "application/json"}, b"{}"), "jwks_http_status"),
        (
            (429, {"Content-Type": "application/json", "Retry-After": "1"}, b"{}"),
            "jwks_http_status",
        ),
        ((302, {"Location": "https://evil.example.com/jwks.json"}, b""), "jwks_http_status"),
        ((200, {"Content-Type": "text/html"}, b"<html>login</html>"), "jwks_content_type"),
        ((200, {"Content-Type": "application/json"}, b"{not json"), "jwks_invalid"),
        ((200, {"Content-Type": "application/json"}, b'{"no": "keys"}'), "jwks_invalid"),
        ((200, {"Content-Type": "application/json"}, b'{"keys": {}}'), "jwks_invalid"),
        ((200, {"Content-Type": "application/json"}, b" " * 70_000), "jwks_too_large"),
        (
            (200, {"Content-Type": "application/json", "Content-Length": "999999999"}, b"{}"),
            "jwks_too_large",
        ),
    ],
)
def test_bad_responses_with_nothing_cached(
    pool: FakeCognitoPool, answer: tuple[int, dict[str, str], bytes], reason: str
) -> None:
    srv = HostileServer(reply(*answer))
    try:
        verifier = make_verifier(pool, srv.url, JwksCache(patient_fetcher()))
        with pytest.raises(JwksUnavailableError) as info:
            verifier.verify(pool.id_token(now=NOW))
        assert info.value.reason == reason
        assert srv.requests == 1  # no retry loop, no redirect followed
    finally:
        srv.close()


@pytest.mark.parametrize("status", [403, 404])
def test_an_endpoint_without_keys_refuses_the_token_with_nothing_cached(
    pool: FakeCognitoPool, status: int
) -> None:
    srv = HostileServer(reply(status, {"Content-Type": "text/html"}, b"<h1>nope</h1>"))
    try:
        verifier = make_verifier(pool, srv.url, JwksCache(patient_fetcher()))
        for _ in range(3):
            with pytest.raises(UnknownKeyError) as info:
                verifier.verify(pool.id_token(now=NOW))
            assert info.value.reason == "no_published_keys"
            assert info.value.status_code == 401
        assert srv.requests == 1  # backing off: asked once
        with pytest.raises(JwksUnavailableError) as hydrating:
            verifier.hydrate()  # start-up still reports it as the failure it is
        assert hydrating.value.http_status == status
    finally:
        srv.close()


def test_a_silent_server_is_cut_off_by_the_read_timeout(pool: FakeCognitoPool) -> None:
    """The read timeout ends the call: it is the cause, and the server, which never
    answers before `HORIZON`, sees the client hang up on it."""
    srv = HostileServer(black_hole)
    try:
        verifier = make_verifier(pool, srv.url, JwksCache(fast_fetcher()))
        with pytest.raises(JwksUnavailableError) as info:
            verifier.verify(pool.id_token(now=NOW))
        assert info.value.reason == "jwks_fetch_failed"
        assert isinstance(info.value.__cause__, requests.ReadTimeout), info.value.__cause__
        assert srv.answered == 0  # the server had not given up: the client did
        assert wait_until(lambda: srv.hangups == 1, HORIZON)
    finally:
        srv.close()


def test_connection_refused(pool: FakeCognitoPool) -> None:
    srv = HostileServer(current_jwks(pool))
    uri = srv.url
    srv.close()
    verifier = make_verifier(pool, uri, JwksCache(patient_fetcher()))
    with pytest.raises(JwksUnavailableError) as info:
        verifier.hydrate()
    assert info.value.reason == "jwks_fetch_failed"


def test_a_broken_custom_fetcher_is_contained(pool: FakeCognitoPool) -> None:
    class Broken:
        def fetch(self, uri: str) -> bytes:
            raise RuntimeError("bug in user code")

    verifier = make_verifier(pool, "https://example.invalid/jwks.json", JwksCache(Broken()))
    with pytest.raises(JwksUnavailableError) as info:
        verifier.verify(pool.id_token(now=NOW))
    assert info.value.reason == "jwks_fetch_failed"
    assert isinstance(info.value.__cause__, RuntimeError)


def test_unusable_keys_are_named(pool: FakeCognitoPool) -> None:
    jwks = pool.jwks
    jwks["keys"][0]["use"] = "enc"
    verifier = pool.verifier(token_use="id", jwks=jwks, clock=lambda: NOW)
    with pytest.raises(UnknownKeyError) as info:
        verifier.verify(pool.id_token(now=NOW))
    assert info.value.reason == "unusable_key"


@pytest.mark.parametrize("member", ["use", "alg", "key_ops", "x5c"])
def test_a_jwk_member_that_is_null_makes_the_key_unusable(
    pool: FakeCognitoPool, member: str
) -> None:
    """`"use": null` is a broken key, not a key without `use`."""
    jwks = pool.jwks
    for jwk in jwks["keys"]:
        if jwk["kid"] == pool.id_kid:
            jwk[member] = None
    verifier = pool.verifier(token_use="id", jwks=jwks, clock=lambda: NOW)
    with pytest.raises(UnknownKeyError) as info:
        verifier.verify(pool.id_token(now=NOW))
    assert info.value.reason == "unusable_key"
    assert f"{member} is null" in info.value.message
    # The same key without the member at all is fine.
    for jwk in jwks["keys"]:
        jwk.pop(member, None)
    verifier = pool.verifier(token_use="id", jwks=jwks, clock=lambda: NOW)
    assert verifier.verify(pool.id_token(now=NOW))["iss"] == pool.issuer


def test_small_rsa_keys_are_unusable() -> None:
    from cognito_jwt import ConfigurationError

    weak = FakeCognitoPool("us-east-1_WeakKeys1", key_bits=1024)
    with pytest.raises(ConfigurationError, match="2048"):
        weak.verifier(token_use="id")  # a static set with no usable key is refused up front


def test_standard_proxy_variables_are_honoured(
    pool: FakeCognitoPool, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str] = []
    serve = current_jwks(pool)

    def record(handler: Any) -> None:
        seen.append("via-proxy")
        serve(handler)

    proxy = HostileServer(record)
    try:
        monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy.port}")
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        # A host that does not resolve: only the proxy can answer for it.
        uri = "http://jwks.invalid/pool/.well-known/jwks.json"
        verifier = make_verifier(pool, uri, JwksCache(patient_fetcher()))
        assert verifier.verify(pool.id_token(now=NOW))
        assert seen == ["via-proxy"]
    finally:
        proxy.close()


def test_a_callers_session_is_used(pool: FakeCognitoPool, jwks_server: HostileServer) -> None:
    import requests

    session = requests.Session()
    calls: list[str] = []
    original_get = session.get

    def counting_get(url: str, **kwargs: Any) -> requests.Response:
        calls.append(url)
        return original_get(url, **kwargs)

    session.get = counting_get  # type: ignore[method-assign,assignment]
    verifier = pool.verifier(
        token_use="id",
        jwks_uri=jwks_server.url,
        allow_http=True,
        session=session,
        clock=lambda: NOW,
    )
    assert verifier.verify(pool.id_token(now=NOW))
    assert calls == [jwks_server.url]


def test_hydrate_follows_the_back_off_and_keeps_usable_stale_keys(
    pool: FakeCognitoPool, jwks_server: HostileServer, mono: ManualClock
) -> None:
    cache = JwksCache(
        clock=mono,
        max_age=600,
        cooldown=10,
        stale_if_error=3600,
        background_refresh=False,
        refresh_ahead=0,
    )
    verifier = make_verifier(pool, jwks_server.url, cache)
    verifier.hydrate()
    jwks_server.behaviour = reply(500, {"Content-Type": "text/plain"}, b"boom")
    mono.advance(601)
    verifier.hydrate()  # refresh fails, but the stale keys are usable: no error
    assert jwks_server.requests == 2
    verifier.hydrate()  # backing off: the endpoint is not contacted again
    assert jwks_server.requests == 2
    assert verifier.verify(pool.id_token(now=NOW))


def test_hydrate_with_nothing_cached_fails_fast_during_the_back_off(
    pool: FakeCognitoPool, jwks_server: HostileServer, mono: ManualClock
) -> None:
    jwks_server.behaviour = reply(503, {"Content-Type": "text/plain"}, b"down")
    verifier = make_verifier(pool, jwks_server.url, JwksCache(clock=mono, cooldown=10))
    for _ in range(3):
        with pytest.raises(JwksUnavailableError) as info:
            verifier.hydrate()
        assert info.value.reason == "jwks_http_status"
    assert jwks_server.requests == 1


# -- rotation in real time --------------------------------------------------------


def test_a_rotated_key_is_adopted_at_once_in_real_time(
    pool: FakeCognitoPool, jwks_server: HostileServer
) -> None:
    """Real clock, default cooldown: a key published after start-up verifies on first sight.

    First sight means one refetch made by that very call, with no cooldown or
    back-off in the way (a cooldown refuses, it does not delay).
    """
    reports: list[Report] = []
    cache = JwksCache(patient_fetcher(), on_report=reports.append)
    assert cache.cooldown == 10.0
    verifier = make_verifier(pool, jwks_server.url, cache)
    verifier.hydrate()
    pool.rotate(which="id", label="jwks-real-time-rotation")
    assert verifier.verify(pool.id_token(now=NOW))["iss"] == pool.issuer
    assert [r.kind for r in reports] == ["fetch", "refresh"]
    assert jwks_server.requests == 2


def test_concurrent_callers_share_the_refetch_for_a_new_kid(
    pool: FakeCognitoPool, jwks_server: HostileServer
) -> None:
    verifier = make_verifier(pool, jwks_server.url, JwksCache(patient_fetcher()))
    verifier.hydrate()
    pool.rotate(which="id", label="jwks-real-time-shared")
    token = pool.id_token(now=NOW)
    jwks_server.behaviour = delayed(current_jwks(pool), 0.2)
    results = verify_concurrently(verifier, token, 16)
    assert all(isinstance(r, str) for r in results), results
    assert jwks_server.requests == 2  # the hydrate, and one refetch shared by all 16


def test_a_new_kid_during_a_junk_flood_is_accepted_within_one_cooldown(
    pool: FakeCognitoPool, jwks_server: HostileServer
) -> None:
    """4 threads send junk kids without pause; a key published mid-flood verifies as
    soon as the cooldown running when it was published is over.

    The cache's clock is a `ManualClock`, moved one cooldown per window while
    the threads flood: each window costs exactly one refetch, whatever the
    number of junk tokens in it, and the new key is refused within the window
    it was published in and accepted on the first try in the next.
    """
    cooldown = 10.0
    mono = ManualClock()
    cache = JwksCache(patient_fetcher(), cooldown=cooldown, clock=mono)
    verifier = make_verifier(pool, jwks_server.url, cache)
    verifier.hydrate()
    _, payload, signature = pool.id_token(now=NOW).split(".")
    stop = threading.Event()
    wrong: list[object] = []
    sent = [0] * 4

    def flood(n: int) -> None:
        i = 0
        while not stop.is_set():
            i += 1
            header = json.dumps({"kid": f"junk-{n}-{i}", "alg": "RS256"}).encode()
            junk = f"{b64url(header)}.{payload}.{signature}"  # the kid is all that matters
            try:
                verifier.verify(junk)
                wrong.append("accepted")
            except UnknownKeyError:
                pass
            except Exception as exc:  # pragma: no cover - reported below
                wrong.append(exc)
            sent[n] += 1

    def flooded(calls: int) -> bool:
        """Every thread has sent ``calls`` more junk tokens since ``mark``."""
        return all(now - before >= calls for now, before in zip(sent, mark, strict=True))

    threads = [threading.Thread(target=flood, args=(n,)) for n in range(4)]
    per_window: list[int] = []
    before, mark = jwks_server.requests, list(sent)
    for t in threads:
        t.start()
    try:
        for _ in range(3):  # windows of junk only
            assert wait_until(lambda: flooded(50), HORIZON)
            per_window.append(jwks_server.requests - before)
            before, mark = jwks_server.requests, list(sent)
            mono.advance(cooldown)
        assert per_window == [1, 1, 1]
        # Published mid-window: the window's refetch has been made, so the new
        # key waits for the next window, and is accepted on first try there.
        assert wait_until(lambda: flooded(50), HORIZON)
        pool.rotate(which="id", label="jwks-real-time-flood")
        genuine = pool.id_token(now=NOW)
        with pytest.raises(UnknownKeyError):
            verifier.verify(genuine)
        assert jwks_server.requests - before == 1
        mono.advance(cooldown)
        before = jwks_server.requests
        assert verifier.verify(genuine)["iss"] == pool.issuer
        mark = list(sent)
        assert wait_until(lambda: flooded(50), HORIZON)
        # The refetch that brought it (a junk call's or its own) and, if its own
        # came first, one junk refetch after: a fetch that found the kid it was
        # made for starts no cooldown.
        assert 1 <= jwks_server.requests - before <= 2
        before, mark = jwks_server.requests, list(sent)
        mono.advance(cooldown)
        assert wait_until(lambda: flooded(50), HORIZON)
        assert jwks_server.requests - before == 1  # and junk is back to one per window
        assert verifier.verify(genuine)
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert wrong == []


def test_forget_drops_one_uri_and_its_back_off_and_keeps_the_others(
    pool: FakeCognitoPool, mono: ManualClock
) -> None:
    answers = {"https://a.example/jwks": pool.jwks_json.encode()}

    calls: list[str] = []

    class Fetcher:
        def fetch(self, uri: str) -> bytes:
            calls.append(uri)
            if uri not in answers:
                raise JwksUnavailableError(f"down: {uri}", reason="jwks_fetch_failed")
            return answers[uri]

    cache = JwksCache(Fetcher(), clock=mono)
    cache.get_key("https://a.example/jwks", pool.id_kid)
    with pytest.raises(JwksUnavailableError):
        cache.get_key("https://b.example/jwks", pool.id_kid)  # fails, then backs off
    answers["https://b.example/jwks"] = pool.jwks_json.encode()
    cache.forget("https://b.example/jwks")
    cache.get_key("https://b.example/jwks", pool.id_kid)  # no back-off: fetched at once
    cache.forget("https://a.example/jwks")
    cache.get_key("https://a.example/jwks", pool.id_kid)  # fetched again
    assert cache.peek("https://b.example/jwks", pool.id_kid) is not None
    assert calls == [
        "https://a.example/jwks",
        "https://b.example/jwks",
        "https://b.example/jwks",
        "https://a.example/jwks",
    ]
