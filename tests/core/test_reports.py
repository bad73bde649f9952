"""The `on_report` hook of the verifiers, `JwksCache` and `AlbKeyCache`.

Each rejection report comes from a real signed token wrong in exactly one way;
reports never carry the token or a claim value, and a hook can never change a
verification result."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import Counter
from typing import Any

import pytest
from fixed_time import NOW, clock
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cognito_jwt import (
    AlbKeyCache,
    CognitoJwtError,
    CognitoJwtVerifier,
    ConfigurationError,
    InvalidAudienceError,
    InvalidSignatureError,
    JwksCache,
    JwksUnavailableError,
    JwtVerifier,
    MultiIssuerVerifier,
    Report,
    TokenExpiredError,
    UnknownKeyError,
)
from cognito_jwt.testing import FakeAlb, FakeCognitoPool, ManualClock


class Recorder:
    def __init__(self) -> None:
        self.reports: list[Report] = []

    def __call__(self, report: Report) -> None:
        self.reports.append(report)

    def kinds(self) -> list[str]:
        return [e.kind for e in self.reports]


def forged(pool: FakeCognitoPool, signer: FakeCognitoPool, **claims: Any) -> str:
    """An ID token shaped for `pool` (its iss, aud and kid), signed by `signer`'s key."""
    claims.setdefault("iss", pool.issuer)
    claims.setdefault("aud", pool.client_id)
    return signer.id_token(now=NOW, header_overrides={"kid": pool.id_kid}, **claims)


def rejected(verifier: Any, token: str) -> CognitoJwtError:
    with pytest.raises(CognitoJwtError) as info:
        verifier.verify(token)
    return info.value


# -- rejections ---------------------------------------------------------------------


def test_counter_per_reason(pool: FakeCognitoPool, other_pool: FakeCognitoPool) -> None:
    reasons: Counter[str] = Counter()
    verifier = pool.verifier(
        token_use="id", clock=clock, on_report=lambda e: reasons.update([e.reason])
    )
    verifier.verify(pool.id_token(now=NOW))
    rejected(verifier, pool.id_token(now=NOW - 7200))
    rejected(verifier, pool.id_token(now=NOW - 7200))
    rejected(verifier, pool.id_token(now=NOW, aud="someone-else"))
    rejected(verifier, forged(pool, other_pool))
    rejected(verifier, "not-a-token")
    assert reasons == Counter(
        {"token_expired": 2, "invalid_audience": 1, "invalid_signature": 1, "malformed_token": 1}
    )


def test_rejection_report_names_reason_status_configured_issuer_and_kid(
    pool: FakeCognitoPool,
) -> None:
    seen = Recorder()
    verifier = pool.verifier(token_use="id", clock=clock, on_report=seen)
    rejected(verifier, pool.id_token(now=NOW, aud="someone-else"))
    assert seen.reports == [
        Report("rejected", "invalid_audience", 401, pool.issuer, pool.id_kid),
    ]


def test_access_denied_reports_403(pool: FakeCognitoPool) -> None:
    seen = Recorder()
    verifier = pool.verifier(token_use="id", clock=clock, groups="admin", on_report=seen)
    rejected(verifier, pool.id_token(now=NOW, groups=["users"]))
    assert [(e.reason, e.status) for e in seen.reports] == [("missing_group", 403)]


def test_unconfigured_issuer_is_not_reported(pool: FakeCognitoPool) -> None:
    seen = Recorder()
    verifier = pool.verifier(token_use="id", clock=clock, on_report=seen)
    rejected(verifier, pool.id_token(now=NOW, iss="https://attacker.example/<script>"))
    (report,) = seen.reports
    assert report.reason == "invalid_issuer"
    assert report.issuer is None
    assert report.kid == pool.id_kid


def test_kid_the_parser_refused_is_not_reported(pool: FakeCognitoPool) -> None:
    seen = Recorder()
    verifier = pool.verifier(token_use="id", clock=clock, on_report=seen)
    rejected(
        verifier, pool.id_token(now=NOW, header_overrides={"kid": "<script>alert(1)</script>"})
    )
    assert seen.reports == [Report("rejected", "invalid_kid", 401)]


def test_accepted_tokens_call_no_hook(pool: FakeCognitoPool) -> None:
    seen = Recorder()
    verifier = pool.verifier(token_use="id", clock=clock, on_report=seen)
    token = pool.id_token(now=NOW)
    for _ in range(3):
        verifier.verify(token)
    assert seen.reports == []


def test_cache_hit_rejection_is_reported(pool: FakeCognitoPool) -> None:
    seen = Recorder()
    ticks = ManualClock(NOW)
    verifier = pool.verifier(token_use="id", clock=ticks, on_report=seen)
    token = pool.id_token(now=NOW, expires_in=60)
    verifier.verify(token)
    ticks.advance(120)
    rejected(verifier, token)
    assert [e.reason for e in seen.reports] == ["token_expired"]


def test_verify_async_reports_rejections(pool: FakeCognitoPool) -> None:
    seen = Recorder()
    verifier = pool.verifier(token_use="id", clock=clock, on_report=seen)
    with pytest.raises(TokenExpiredError):
        asyncio.run(verifier.verify_async(pool.id_token(now=NOW - 7200)))
    assert seen.kinds() == ["rejected"]


def test_multi_issuer_verifier_reports_with_the_routed_issuer(
    pool: FakeCognitoPool, other_pool: FakeCognitoPool
) -> None:
    seen = Recorder()
    multi = MultiIssuerVerifier(
        [
            pool.verifier(token_use="id", clock=clock),
            other_pool.verifier(token_use="id", clock=clock),
        ],
        on_report=seen,
    )
    rejected(multi, other_pool.id_token(now=NOW, aud="x"))
    assert [(e.reason, e.issuer) for e in seen.reports] == [("invalid_audience", other_pool.issuer)]


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    secret=st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=12, max_size=24),
    claim=st.sampled_from(["sub", "email", "aud", "cognito:username", "custom:tenant"]),
    wrong=st.sampled_from(["expired", "audience", "signature", "custom_check"]),
)
def test_reports_never_carry_the_token_or_a_claim_value(
    pool: FakeCognitoPool, other_pool: FakeCognitoPool, secret: str, claim: str, wrong: str
) -> None:
    seen = Recorder()
    verifier = pool.verifier(
        token_use="id",
        clock=clock,
        on_report=seen,
        custom_check=lambda h, c: wrong != "custom_check",
        cache_size=0,
    )
    overrides: dict[str, Any] = {claim: "SECRET" + secret}
    if claim == "aud" or wrong == "audience":
        overrides["aud"] = "SECRET" + secret
    if wrong == "expired":
        overrides["exp"] = NOW - 10
    signer = other_pool if wrong == "signature" else pool
    token = forged(pool, signer, **overrides)
    rejected(verifier, token)
    (report,) = seen.reports
    for value in report:
        text = str(value)
        assert "SECRET" not in text
        assert token not in text
        assert token.split(".")[1] not in text


# -- a hook that raises ------------------------------------------------------------------


def test_raising_hook_changes_no_result_and_is_logged_once(
    pool: FakeCognitoPool, caplog: pytest.LogCaptureFixture
) -> None:
    calls = 0

    def broken(report: Report) -> None:
        nonlocal calls
        calls += 1
        raise RuntimeError("metrics backend down")

    verifier = pool.verifier(token_use="id", clock=clock, on_report=broken)
    caplog.set_level(logging.ERROR, logger="cognito_jwt")
    assert verifier.verify(pool.id_token(now=NOW))["token_use"] == "id"
    for _ in range(3):
        with pytest.raises(InvalidAudienceError) as info:
            verifier.verify(pool.id_token(now=NOW, aud="x"))
        assert info.value.reason == "invalid_audience"
    assert calls == 3
    logged = [r for r in caplog.records if "on_report hook" in r.getMessage()]
    assert len(logged) == 1
    assert "metrics backend down" in (logged[0].exc_text or "")


def test_raising_hook_does_not_break_a_jwks_fetch(pool: FakeCognitoPool) -> None:
    def broken(report: Report) -> None:
        raise ValueError("nope")

    with pool.serve_jwks() as server:
        cache = JwksCache(on_report=broken)
        verifier = pool.verifier(
            token_use="id", clock=clock, jwks_uri=server.url, allow_http=True, jwks_cache=cache
        )
        assert verifier.verify(pool.id_token(now=NOW))


@pytest.mark.parametrize("hook", ["print", 3])
def test_hook_that_is_not_callable_is_a_configuration_error(
    pool: FakeCognitoPool, hook: object
) -> None:
    with pytest.raises(ConfigurationError):
        pool.verifier(token_use="id", on_report=hook)
    with pytest.raises(ConfigurationError):
        JwksCache(on_report=hook)  # type: ignore[arg-type]


def test_coroutine_hook_is_a_configuration_error(pool: FakeCognitoPool) -> None:
    async def hook(report: Report) -> None:
        return None

    with pytest.raises(ConfigurationError):
        pool.verifier(token_use="id", on_report=hook)


def test_reports_are_immutable() -> None:
    report = Report("rejected", "token_expired", 401)
    with pytest.raises(AttributeError):
        report.reason = "other"  # type: ignore[misc]


# -- JwksCache ---------------------------------------------------------------------------


class Switch:
    """A fetcher serving the pool's JWKS, or failing when told to."""

    def __init__(self, pool: FakeCognitoPool) -> None:
        self.pool = pool
        self.failing = False

    def fetch(self, uri: str) -> bytes:
        if self.failing:
            raise JwksUnavailableError("down", reason="jwks_http_status")
        return self.pool.jwks_json.encode()


def test_jwks_cache_reports_fetch_refresh_failure_backoff_and_stale(pool: FakeCognitoPool) -> None:
    seen = Recorder()
    ticks = ManualClock()
    switch = Switch(pool)
    cache = JwksCache(
        switch,
        max_age=100,
        cooldown=10,
        clock=ticks,
        on_report=seen,
        background_refresh=False,
        refresh_ahead=0,
    )
    uri = "https://keys.example/jwks.json"
    cache.get_key(uri, pool.id_kid)
    ticks.advance(101)
    cache.get_key(uri, pool.id_kid)
    assert seen.kinds() == ["fetch", "refresh"]
    assert all(e.outcome == "ok" and e.uri == uri and e.duration is not None for e in seen.reports)
    assert all(e.duration is not None and e.duration >= 0 for e in seen.reports)

    seen.reports.clear()
    switch.failing = True
    ticks.advance(101)
    assert cache.get_key(uri, pool.id_kid)  # refresh fails, stale key serves
    assert cache.get_key(uri, pool.id_kid)  # backing off, stale key serves
    assert seen.kinds() == ["fetch_failed", "stale", "stale"]
    failed = seen.reports[0]
    assert (failed.reason, failed.status, failed.outcome) == ("jwks_http_status", 503, "failed")


def test_jwks_cache_reports_backoff_with_nothing_to_serve(pool: FakeCognitoPool) -> None:
    seen = Recorder()
    switch = Switch(pool)
    switch.failing = True
    cache = JwksCache(switch, clock=ManualClock(), on_report=seen)
    uri = "https://keys.example/jwks.json"
    for _ in range(2):
        with pytest.raises(JwksUnavailableError):
            cache.get_key(uri, pool.id_kid)
    assert seen.kinds() == ["fetch_failed", "backoff"]
    assert seen.reports[1].reason == "jwks_http_status"


def test_jwks_cache_without_a_hook_behaves_the_same(pool: FakeCognitoPool) -> None:
    switch = Switch(pool)
    cache = JwksCache(switch, clock=ManualClock())
    assert cache.get_key("https://k/jwks.json", pool.id_kid)


def test_verifier_with_its_own_fetcher_shares_the_hook_with_its_cache(
    pool: FakeCognitoPool,
) -> None:
    seen = Recorder()
    verifier = pool.verifier(
        token_use="id",
        clock=clock,
        fetcher=Switch(pool),
        jwks_uri="https://keys.example/jwks.json",
        on_report=seen,
    )
    verifier.verify(pool.id_token(now=NOW))
    rejected(verifier, pool.id_token(now=NOW, aud="x"))
    assert seen.kinds() == ["fetch", "rejected"]


# -- ALB -------------------------------------------------------------------------------


def test_alb_rejection_report(alb_and_server: tuple[FakeAlb, Any]) -> None:
    alb, server = alb_and_server
    seen = Recorder()
    verifier = alb.verifier(server, clock=clock, on_report=seen)
    rejected(verifier, alb.token(now=NOW, header_overrides={"client": "other"}))
    rejected(verifier, alb.token(now=NOW, header_overrides={"kid": "nope"}))
    rejected(verifier, alb.token(now=NOW, iss="https://evil"))
    assert seen.reports == [
        Report("rejected", "invalid_client", 401, alb.issuer, alb.kid),
        Report("rejected", "invalid_kid", 401),
        Report("rejected", "invalid_issuer", 401, alb.issuer, alb.kid),
    ]


def test_alb_key_cache_reports_fetch_failure_and_throttling() -> None:
    alb = FakeAlb()
    pem = alb.pem(alb.kid)
    assert pem is not None
    body: bytes = pem

    class ByKid:
        def fetch(self, uri: str) -> bytes:
            if uri.endswith(alb.kid):
                return body
            raise JwksUnavailableError("no", reason="alb_key_not_found")

    seen = Recorder()
    cache = AlbKeyCache(ByKid(), fetch_budget=2, clock=ManualClock(), on_report=seen)
    cache.get_key("https://k", alb.kid)
    for _ in range(2):
        kid = str(uuid.uuid4())
        with pytest.raises((UnknownKeyError, JwksUnavailableError)):
            cache.get_key("https://k", kid)
    assert seen.kinds() == ["fetch", "fetch_failed", "backoff"]
    assert (seen.reports[1].reason, seen.reports[1].status) == ("unknown_kid", 401)
    assert (seen.reports[2].reason, seen.reports[2].status) == ("alb_key_fetch_throttled", 503)


def test_alb_verifier_hook_raising_changes_no_result(alb_and_server: tuple[FakeAlb, Any]) -> None:
    alb, server = alb_and_server

    def broken(report: Report) -> None:
        raise RuntimeError("x")

    verifier = alb.verifier(server, clock=clock, on_report=broken)
    assert verifier.verify(alb.token(now=NOW))
    with pytest.raises(InvalidSignatureError):
        verifier.verify(alb.token(now=NOW, key=FakeAlb().key))


@pytest.fixture(scope="module")
def alb_and_server() -> Any:
    alb = FakeAlb()
    with alb.serve_keys() as server:
        yield alb, server


def test_alb_verify_async_reports_rejections(alb_and_server: tuple[FakeAlb, Any]) -> None:
    alb, server = alb_and_server
    seen = Recorder()
    verifier = alb.verifier(server, clock=clock, on_report=seen)
    with pytest.raises(TokenExpiredError):
        asyncio.run(verifier.verify_async(alb.token(now=NOW - 3600)))
    assert [(e.reason, e.kid) for e in seen.reports] == [("token_expired", alb.kid)]


# -- the old names: `cognito_jwt.Event` and `on_event=` keep working, with a warning --------


def test_the_old_name_event_is_report_and_warns() -> None:
    import cognito_jwt

    with pytest.warns(DeprecationWarning, match=r"cognito_jwt\.Event is deprecated"):
        old = cognito_jwt.Event
    assert old is Report
    with pytest.warns(DeprecationWarning, match="use cognito_jwt.Report"):
        from cognito_jwt import Event
    assert Event is Report


def _cognito(pool: FakeCognitoPool, **hook: Any) -> Any:
    return CognitoJwtVerifier(
        user_pool_id=pool.user_pool_id,
        token_use="id",
        client_id=pool.client_id,
        issuer=pool.issuer,
        jwks=pool.jwks,
        clock=clock,
        **hook,
    )


def _generic(pool: FakeCognitoPool, **hook: Any) -> Any:
    return JwtVerifier(
        issuer=pool.issuer, audience=pool.client_id, jwks=pool.jwks, clock=clock, **hook
    )


def _multi(pool: FakeCognitoPool, **hook: Any) -> Any:
    return MultiIssuerVerifier([_cognito(pool)], **hook)


VERIFIERS = [_cognito, _generic, _multi]


@pytest.mark.parametrize("build", VERIFIERS, ids=["cognito", "generic", "multi"])
def test_a_verifier_given_on_event_warns_at_the_caller_and_still_reports(
    pool: FakeCognitoPool, build: Any
) -> None:
    seen = Recorder()
    with pytest.warns(DeprecationWarning, match="on_event= is deprecated; use on_report=") as got:
        verifier = build(pool, on_event=seen)
    assert [w.filename for w in got] == [__file__]
    rejected(verifier, pool.id_token(now=NOW, aud="another-client"))
    assert seen.reports == [Report("rejected", "invalid_audience", 401, pool.issuer, pool.id_kid)]


def test_the_alb_verifier_given_on_event_warns_and_still_reports(
    alb_and_server: tuple[FakeAlb, Any],
) -> None:
    alb, server = alb_and_server
    seen = Recorder()
    with pytest.warns(DeprecationWarning, match="use on_report="):
        verifier = alb.verifier(server, clock=clock, on_event=seen)
    rejected(verifier, alb.token(now=NOW, header_overrides={"client": "other"}))
    assert seen.reports == [Report("rejected", "invalid_client", 401, alb.issuer, alb.kid)]


def test_the_key_caches_given_on_event_warn_and_still_report(pool: FakeCognitoPool) -> None:
    seen = Recorder()
    with pytest.warns(DeprecationWarning, match="use on_report=") as got:
        cache = JwksCache(Switch(pool), clock=ManualClock(), on_event=seen)
    assert [w.filename for w in got] == [__file__]
    cache.get_key("https://keys.example/jwks.json", pool.id_kid)
    assert seen.kinds() == ["fetch"]

    class Down:
        def fetch(self, uri: str) -> bytes:
            raise JwksUnavailableError("down", reason="alb_key_not_found")

    alb_seen = Recorder()
    with pytest.warns(DeprecationWarning, match="use on_report="):
        alb_cache = AlbKeyCache(Down(), clock=ManualClock(), on_event=alb_seen)
    kid = str(uuid.uuid4())
    with pytest.raises((UnknownKeyError, JwksUnavailableError)):
        alb_cache.get_key("https://k", kid)
    assert alb_seen.kinds() == ["fetch_failed"]


@pytest.mark.parametrize(
    "build",
    [
        *VERIFIERS,
        lambda pool, **hook: JwksCache(Switch(pool), **hook),
        lambda pool, **hook: AlbKeyCache(Switch(pool), **hook),
    ],
    ids=["cognito", "generic", "multi", "jwks-cache", "alb-key-cache"],
)
def test_both_the_old_and_the_new_hook_name_is_a_configuration_error(
    pool: FakeCognitoPool, build: Any
) -> None:
    with pytest.raises(ConfigurationError, match="on_event: expected on_report alone, found both"):
        build(pool, on_report=Recorder(), on_event=Recorder())
