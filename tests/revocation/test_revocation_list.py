"""A revocation list through the verifiers, with real signed tokens: what the
application writes is refused (401 `token_revoked`), on first sight and on
token-cache hits; what it did not write passes; entries expire; an outage is
a 503 unless the application chose fail-open, which is reported."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import pytest
from fixed_time import NOW

from cognito_jwt import (
    CognitoJwtVerifier,
    InvalidClaimError,
    JwtVerifier,
    MissingClaimError,
    MultiIssuerVerifier,
    Report,
    RevocationUnavailableError,
    TokenRevokedError,
    decode_unverified,
)
from cognito_jwt.revocation import (
    COGNITO_MAX_TOKEN_LIFETIME,
    DEFAULT_CUTOFF_LEEWAY,
    MemoryStore,
    RevocationList,
)
from cognito_jwt.testing import FakeCognitoPool, ManualClock


def _claims(token: str) -> dict[str, Any]:
    return decode_unverified(token)[1]


class CountingStore(MemoryStore):
    """A memory store that counts reads (what a network store would pay per call)."""

    def __init__(self) -> None:
        super().__init__()
        self.reads = 0

    def get(self, keys: Sequence[str], now: float) -> list[float | None]:
        self.reads += 1
        return super().get(keys, now)


class BrokenStore:
    """A store whose every call fails, as a store in an outage does."""

    def put(self, key: str, value: float, expires_at: float) -> None:
        raise ConnectionError("store down")

    def get(self, keys: Sequence[str], now: float) -> list[float | None]:
        raise ConnectionError("store down")


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


@pytest.fixture
def store() -> CountingStore:
    return CountingStore()


@pytest.fixture
def revocations(store: CountingStore, clock: ManualClock) -> RevocationList:
    return RevocationList(store, clock=clock)


def _verifier(
    pool: FakeCognitoPool,
    revocations: Any,
    clock: ManualClock,
    token_use: str = "access",
    **kw: Any,
) -> CognitoJwtVerifier:
    return pool.verifier(token_use, clock=clock, revocation=revocations, **kw)


def _revoked(call: Any) -> TokenRevokedError:
    with pytest.raises(TokenRevokedError) as info:
        call()
    assert info.value.reason == "token_revoked"
    assert info.value.status_code == 401
    return info.value


def test_a_user_cut_off_refuses_their_tokens_issued_before(
    pool: FakeCognitoPool, revocations: RevocationList, clock: ManualClock
) -> None:
    verifier = _verifier(pool, revocations, clock)
    token = pool.access_token(now=NOW)
    assert verifier.verify(token)["sub"]
    clock.advance(60)
    claims = _claims(token)
    revocations.revoke_user(iss=claims["iss"], sub=claims["sub"])
    _revoked(lambda: verifier.verify(token))


def test_a_token_issued_after_the_cut_off_and_its_leeway_passes(
    pool: FakeCognitoPool, revocations: RevocationList, clock: ManualClock
) -> None:
    verifier = _verifier(pool, revocations, clock)
    claims = _claims(pool.access_token(now=NOW))
    revocations.revoke_user(iss=claims["iss"], sub=claims["sub"], at=NOW)
    within = pool.access_token(now=NOW + int(DEFAULT_CUTOFF_LEEWAY))
    after = pool.access_token(now=NOW + int(DEFAULT_CUTOFF_LEEWAY) + 1)
    clock.advance(10)
    _revoked(lambda: verifier.verify(within))  # a sign-in within the leeway: refused too
    assert verifier.verify(after)["sub"] == claims["sub"]


def test_another_user_of_the_same_pool_is_not_cut_off(
    pool: FakeCognitoPool, revocations: RevocationList, clock: ManualClock
) -> None:
    verifier = _verifier(pool, revocations, clock)
    token = pool.access_token(now=NOW)
    revocations.revoke_user(iss=_claims(token)["iss"], sub="someone-else")
    assert verifier.verify(token)


def test_the_same_sub_in_another_pool_is_not_cut_off(
    pool: FakeCognitoPool, revocations: RevocationList, clock: ManualClock
) -> None:
    other = FakeCognitoPool("eu-west-1_OtherPool9", "otherclient")
    multi = MultiIssuerVerifier(
        [pool.verifier("access", clock=clock), other.verifier("access", clock=clock)],
        revocation=revocations,
    )
    mine, theirs = pool.access_token(now=NOW), other.access_token(now=NOW, sub="shared-sub")
    revocations.revoke_user(iss=_claims(mine)["iss"], sub="shared-sub")
    assert multi.verify(theirs)["sub"] == "shared-sub"
    _revoked(lambda: multi.verify(pool.access_token(now=NOW, sub="shared-sub")))


def test_an_entry_under_one_cognito_issuer_form_matches_the_other(
    revocations: RevocationList, clock: ManualClock
) -> None:
    classic = FakeCognitoPool("us-east-1_FormsPool1", "c1")
    newer = FakeCognitoPool(
        "us-east-1_FormsPool1",
        "c1",
        issuer="https://issuer-cognito-idp.us-east-1.amazonaws.com/us-east-1_FormsPool1",
    )
    newer.id_key, newer.access_key = classic.id_key, classic.access_key
    verifier = classic.verifier("access", clock=clock, revocation=revocations)
    token = newer.access_token(now=NOW)
    assert verifier.verify(token)
    revocations.revoke_user(iss=classic.issuer, sub=_claims(token)["sub"])
    clock.advance(1)
    _revoked(lambda: verifier.verify(token))


def test_revoking_a_token_refuses_every_token_of_its_origin_jti(
    pool: FakeCognitoPool, revocations: RevocationList, clock: ManualClock
) -> None:
    access = pool.access_token(now=NOW, origin_jti="session-1")
    id_token = pool.id_token(now=NOW, origin_jti="session-1")
    later = pool.access_token(now=NOW + 1500, origin_jti="session-1")  # minted by refresh
    other_session = pool.access_token(now=NOW + 1500, origin_jti="session-2")
    access_verifier = _verifier(pool, revocations, clock)
    id_verifier = _verifier(pool, revocations, clock, token_use="id")
    claims = _claims(access)
    revocations.revoke_token(iss=claims["iss"], origin_jti="session-1", cut_off_user=False)
    clock.advance(2000)
    _revoked(lambda: access_verifier.verify(later))
    _revoked(lambda: id_verifier.verify(id_token))
    assert access_verifier.verify(other_session)  # the user's other session goes on


def test_revoking_a_token_cuts_the_user_off_too_unless_opted_out(
    pool: FakeCognitoPool, revocations: RevocationList, clock: ManualClock
) -> None:
    verifier = _verifier(pool, revocations, clock)
    other_session = pool.access_token(now=NOW, origin_jti="session-2")
    claims = _claims(other_session)
    revocations.revoke_token(iss=claims["iss"], origin_jti="session-1", sub=claims["sub"])
    clock.advance(1)
    _revoked(lambda: verifier.verify(other_session))


def test_revoke_token_without_sub_must_opt_out_of_the_cut_off(revocations: RevocationList) -> None:
    from cognito_jwt import ConfigurationError

    with pytest.raises(ConfigurationError, match="cut_off_user=False"):
        revocations.revoke_token(iss="https://issuer", origin_jti="x")


def test_a_revoked_token_is_refused_on_a_token_cache_hit(
    pool: FakeCognitoPool, revocations: RevocationList, clock: ManualClock
) -> None:
    verifier = _verifier(pool, revocations, clock)
    token = pool.access_token(now=NOW)
    verifier.verify(token)
    verifier.verify(token)  # now a token-cache hit
    assert token in verifier._token_cache  # type: ignore[operator]
    claims = _claims(token)
    revocations.revoke_user(iss=claims["iss"], sub=claims["sub"], at=NOW)
    _revoked(lambda: verifier.verify(token))
    assert token in verifier._token_cache  # type: ignore[operator] # still cached, still refused
    _revoked(lambda: verifier.verify(token))


def test_not_revoked_is_reused_for_cache_ttl_then_read_again(
    pool: FakeCognitoPool, store: CountingStore, clock: ManualClock
) -> None:
    revocations = RevocationList(store, cache_ttl=5, clock=clock)
    verifier = _verifier(pool, revocations, clock)
    token = pool.access_token(now=NOW)
    for _ in range(10):
        verifier.verify(token)
    assert store.reads == 1
    clock.advance(5)
    verifier.verify(token)
    assert store.reads == 2


def test_another_process_sees_a_revocation_within_cache_ttl(
    pool: FakeCognitoPool, store: CountingStore, clock: ManualClock
) -> None:
    reader = RevocationList(store, cache_ttl=5, clock=clock)  # this process
    writer = RevocationList(store, clock=clock)  # another process, same store
    verifier = _verifier(pool, reader, clock)
    token = pool.access_token(now=NOW)
    verifier.verify(token)
    claims = _claims(token)
    writer.revoke_user(iss=claims["iss"], sub=claims["sub"])
    assert verifier.verify(token)  # within the TTL: the documented window
    clock.advance(5)
    _revoked(lambda: verifier.verify(token))


def test_revoked_is_remembered_until_the_tokens_exp(
    pool: FakeCognitoPool, store: CountingStore, clock: ManualClock, revocations: RevocationList
) -> None:
    verifier = _verifier(pool, revocations, clock, cache_size=0)
    token = pool.access_token(now=NOW, expires_in=600)
    claims = _claims(token)
    revocations.revoke_user(iss=claims["iss"], sub=claims["sub"], at=NOW)
    for _ in range(5):
        _revoked(lambda: verifier.verify(token))
        clock.advance(100)
    assert store.reads == 1


def test_an_entry_expires_after_the_last_token_it_could_match(
    pool: FakeCognitoPool, store: CountingStore, clock: ManualClock, revocations: RevocationList
) -> None:
    claims = _claims(pool.access_token(now=NOW))
    revocations.revoke_user(iss=claims["iss"], sub=claims["sub"], at=NOW)
    (key,) = store._entries
    expires = store._entries[key][1]
    assert expires == NOW + DEFAULT_CUTOFF_LEEWAY + COGNITO_MAX_TOKEN_LIFETIME
    assert store.get([key], expires - 1) == [NOW]
    assert store.get([key], expires) == [None]


@pytest.mark.parametrize(
    ("claim", "value", "error", "reason"),
    [
        ("sub", None, MissingClaimError, "missing_sub"),
        ("iat", None, MissingClaimError, "missing_iat"),
        ("exp", NOW + COGNITO_MAX_TOKEN_LIFETIME + 1, InvalidClaimError, "token_lifetime_too_long"),
    ],
)
def test_a_token_the_list_cannot_judge_is_refused(
    claim: str,
    value: Any,
    error: type[Exception],
    reason: str,
    revocations: RevocationList,
    clock: ManualClock,
) -> None:
    issuer = FakeCognitoPool("us-east-1_GenericPool", "aud")
    verifier = JwtVerifier(
        issuer=issuer.issuer,
        audience=None,
        jwks=issuer.jwks,
        clock=clock,
        revocation=revocations,
        max_token_lifetime=COGNITO_MAX_TOKEN_LIFETIME,
    )
    token = issuer.access_token(now=NOW, **{claim: value})
    with pytest.raises(error) as info:
        verifier.verify(token)
    assert info.value.reason == reason  # type: ignore[attr-defined]


def test_a_store_outage_is_a_503(pool: FakeCognitoPool, clock: ManualClock) -> None:
    verifier = _verifier(pool, RevocationList(BrokenStore(), clock=clock), clock)
    with pytest.raises(RevocationUnavailableError) as info:
        verifier.verify(pool.access_token(now=NOW))
    assert (info.value.status_code, info.value.reason) == (503, "revocation_unavailable")
    assert str(info.value) == "revocation store: expected an answer, found ConnectionError"


def test_fail_open_accepts_through_an_outage_and_reports_it(
    pool: FakeCognitoPool, clock: ManualClock
) -> None:
    reports: list[Report] = []
    verifier = _verifier(
        pool,
        RevocationList(BrokenStore(), fail_open=True, clock=clock),
        clock,
        on_report=reports.append,
    )
    assert verifier.verify(pool.access_token(now=NOW))
    assert [(e.kind, e.reason, e.status, e.issuer) for e in reports] == [
        ("revocation_fail_open", "revocation_unavailable", 503, pool.issuer)
    ]


def test_verify_async_reads_the_store_without_blocking_and_refuses_alike(
    pool: FakeCognitoPool, revocations: RevocationList, clock: ManualClock
) -> None:
    verifier = _verifier(pool, revocations, clock)
    token = pool.access_token(now=NOW)
    claims = _claims(token)

    async def scenario() -> None:
        assert await verifier.verify_async(token)
        await revocations.revoke_user_async(iss=claims["iss"], sub=claims["sub"])
        clock.advance(1)
        with pytest.raises(TokenRevokedError):
            await verifier.verify_async(token)

    asyncio.run(scenario())


def test_a_generic_issuer_with_a_declared_lifetime_uses_the_list(
    revocations: RevocationList, clock: ManualClock
) -> None:
    issuer = FakeCognitoPool("us-east-1_GenericPool", "aud", issuer="https://idp.example.com")
    verifier = JwtVerifier(
        issuer="https://idp.example.com",
        audience=None,
        jwks=issuer.jwks,
        clock=clock,
        revocation=revocations,
        max_token_lifetime=3600,
    )
    token = issuer.access_token(now=NOW)
    assert verifier.verify(token)
    revocations.revoke_user(iss="https://idp.example.com", sub=_claims(token)["sub"])
    clock.advance(1)
    _revoked(lambda: verifier.verify(token))
