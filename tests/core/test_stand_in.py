"""`FakeCognitoPool.stand_in`: the production verifier, unchanged, gets the fake pool's keys.

Each test first replaces the network with a recorder that refuses every URL
(what `RequestsFetcher.fetch` was before the stand-in), so "answered by the
stand-in" and "went to the network" are told apart, and nothing leaves the
machine.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import pytest

from cognito_jwt import (
    DEFAULT_JWKS_CACHE,
    CognitoJwtVerifier,
    JwksCache,
    JwksUnavailableError,
    JwtVerifier,
    RequestsFetcher,
    cognito_issuers,
)
from cognito_jwt.testing import FakeCognitoPool, stop_stand_ins

POOL_ID = "us-east-1_StandIn99"
CLIENT = "standinclient"


class Network:
    """What `RequestsFetcher.fetch` is under a stand-in: records and refuses every URL."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def refuse(self, uri: str) -> bytes:
        self.asked.append(uri)
        raise JwksUnavailableError(f"no network in tests: {uri}", reason="jwks_fetch_failed")


@pytest.fixture
def network(monkeypatch: pytest.MonkeyPatch) -> Iterator[Network]:
    net = Network()

    def fetch(fetcher: RequestsFetcher, uri: str) -> bytes:
        return net.refuse(uri)

    monkeypatch.setattr(RequestsFetcher, "fetch", fetch)
    DEFAULT_JWKS_CACHE.clear()
    yield net
    assert stop_stand_ins() == 0, "a test left a stand-in running"
    DEFAULT_JWKS_CACHE.clear()


def production_verifier(token_use: Literal["id", "access"] = "id") -> CognitoJwtVerifier:
    """What an application builds: no test-only argument."""
    return CognitoJwtVerifier(user_pool_id=POOL_ID, token_use=token_use, client_id=CLIENT)


def test_the_production_verifier_gets_the_fake_keys(network: Network) -> None:
    pool = FakeCognitoPool(POOL_ID, CLIENT)
    with pool.stand_in() as stand_in:
        claims = production_verifier().verify(pool.id_token(groups=["admin"]))
        assert claims["cognito:groups"] == ["admin"]
        production_verifier("access").verify(pool.access_token())
    assert stand_in.request_count == 1  # both verifiers share the default cache
    assert network.asked == []


def test_it_answers_both_issuer_forms_of_the_pool(network: Network) -> None:
    pool = FakeCognitoPool(POOL_ID, CLIENT)
    for issuer in cognito_issuers(POOL_ID):
        with pool.stand_in() as stand_in:
            body = RequestsFetcher().fetch(f"{issuer}/.well-known/jwks.json")
        assert body == pool.jwks_json.encode()
        assert stand_in.request_count == 1
    assert network.asked == []


def test_a_pool_with_its_own_issuer_stands_in_for_that_issuers_keys(network: Network) -> None:
    """A fake of another OpenID Connect provider: the generic verifier, unchanged, gets its keys."""
    issuer = "https://login.partner.example"
    partner = FakeCognitoPool(POOL_ID, "orders-api", issuer=issuer)
    with partner.stand_in() as stand_in:
        verifier = JwtVerifier(issuer=issuer, audience="orders-api")  # what production builds
        assert verifier.verify(partner.id_token())["iss"] == issuer
        with pytest.raises(JwksUnavailableError):
            RequestsFetcher().fetch("https://login.partner.example/keys")
    assert stand_in.request_count == 1
    assert network.asked == ["https://login.partner.example/keys"]
    with pytest.raises(JwksUnavailableError) as caught:  # stopped: the keys are gone again
        JwtVerifier(issuer=issuer, audience="orders-api").verify(partner.id_token())
    assert caught.value.reason == "jwks_fetch_failed"


def test_it_makes_no_other_fetch_succeed(network: Network) -> None:
    pool = FakeCognitoPool(POOL_ID, CLIENT)
    other = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Someone99/.well-known/jwks.json"
    with pool.stand_in():
        with pytest.raises(JwksUnavailableError) as caught:
            RequestsFetcher().fetch(other)
        with pytest.raises(JwksUnavailableError):
            RequestsFetcher().fetch(cognito_issuers(POOL_ID)[0] + "/keys")
    assert caught.value.reason == "jwks_fetch_failed"
    assert network.asked == [other, cognito_issuers(POOL_ID)[0] + "/keys"]


def test_a_fetcher_of_your_own_is_never_touched(network: Network) -> None:
    pool = FakeCognitoPool(POOL_ID, CLIENT)

    class Mine:
        calls = 0

        def fetch(self, uri: str) -> bytes:
            Mine.calls += 1
            return pool.jwks_json.encode()

    with pool.stand_in() as stand_in:
        verifier = CognitoJwtVerifier(
            user_pool_id=POOL_ID, token_use="id", client_id=CLIENT, jwks_cache=JwksCache(Mine())
        )
        verifier.verify(pool.id_token())
    assert (Mine.calls, stand_in.request_count) == (1, 0)


def test_stopping_puts_back_the_fetcher_and_the_keys_stop_verifying(network: Network) -> None:
    pool = FakeCognitoPool(POOL_ID, CLIENT)
    before = RequestsFetcher.fetch
    stand_in = pool.stand_in()
    assert RequestsFetcher.fetch is not before
    verifier = production_verifier()
    verifier.verify(pool.id_token())
    stand_in.stop()
    stand_in.stop()  # twice is harmless
    assert RequestsFetcher.fetch is before
    with pytest.raises(JwksUnavailableError) as caught:
        verifier.verify(pool.id_token())  # the default cache forgot the fake keys
    assert caught.value.reason == "jwks_fetch_failed"
    assert network.asked == [cognito_issuers(POOL_ID)[0] + "/.well-known/jwks.json"]
    assert "stopped" in repr(stand_in)


def test_two_pools_stand_in_together_and_stop_in_any_order(network: Network) -> None:
    first = FakeCognitoPool(POOL_ID, CLIENT)
    second = FakeCognitoPool("eu-west-1_StandIn98", CLIENT)
    original = RequestsFetcher.fetch
    a, b = first.stand_in(), second.stand_in()
    a.stop()  # not the last started: the other keeps answering
    other = CognitoJwtVerifier(user_pool_id="eu-west-1_StandIn98", token_use="id", client_id=CLIENT)
    assert other.verify(second.id_token())["iss"] == second.issuer
    assert stop_stand_ins() == 1
    assert RequestsFetcher.fetch is original
    assert not b.running


def test_a_second_stand_in_for_the_same_pool_id_is_refused(network: Network) -> None:
    pool = FakeCognitoPool(POOL_ID, CLIENT)
    with pool.stand_in():
        twin = FakeCognitoPool(POOL_ID, "anotherclient")
        with pytest.raises(ValueError, match=r"expected no other stand-in for https://.*still"):
            twin.stand_in()


def test_a_failed_real_fetch_does_not_hide_a_later_stand_in(network: Network) -> None:
    """The default cache backs off after a failed fetch; starting a stand-in forgets that."""
    pool = FakeCognitoPool(POOL_ID, CLIENT)
    verifier = production_verifier()
    with pytest.raises(JwksUnavailableError):
        verifier.verify(pool.id_token())
    with pool.stand_in():
        assert verifier.verify(pool.id_token())["aud"] == CLIENT


def test_rotated_keys_show_and_async_verification_fetches_through_it(network: Network) -> None:
    pool = FakeCognitoPool("us-east-1_StandIn97", CLIENT)
    verifier = CognitoJwtVerifier(
        user_pool_id="us-east-1_StandIn97", token_use="id", client_id=CLIENT
    )
    with pool.stand_in() as stand_in:
        asyncio.run(verifier.verify_async(pool.id_token()))
        pool.rotate(which="id")
        asyncio.run(verifier.verify_async(pool.id_token()))  # unknown kid: one refetch
    assert stand_in.request_count == 2


def test_only_the_test_kit_can_start_one() -> None:
    """No production module refers to the stand-in: no argument, setting or variable reaches it."""
    package = Path(__file__).resolve().parents[2] / "cognito_jwt"
    kit = {"testing.py", "_testing_stand_in.py", "_testing_alb.py", "_testing_events.py"}
    for module in package.rglob("*.py"):
        if module.name in kit:
            continue
        source = module.read_text(encoding="utf-8")
        assert not re.search(r"stand_in|_testing_stand_in|StandIn", source), module


def test_a_fetch_racing_the_last_stop_goes_to_the_restored_fetcher(network: Network) -> None:
    """A thread that entered the stand-in's fetch just before the last stop still gets an answer."""
    from cognito_jwt import _testing_stand_in

    pool = FakeCognitoPool(POOL_ID, CLIENT)
    dispatch = _testing_stand_in._dispatch
    pool.stand_in().stop()
    url = cognito_issuers(POOL_ID)[0] + "/.well-known/jwks.json"
    with pytest.raises(JwksUnavailableError):
        dispatch(RequestsFetcher(), url)  # no stand-in answers any more: the network does
    assert network.asked == [url]


def test_a_patch_of_fetch_undone_after_the_stand_in_stopped_never_recurses(
    network: Network,
) -> None:
    """A `monkeypatch` of `fetch` made while a stand-in ran and undone after it stopped
    (fixtures tear down in reverse order) puts the stand-in's dispatcher back with no
    stand-in running: fetches go on to what was there before, and a later stand-in works."""
    from cognito_jwt import _testing_stand_in

    pool = FakeCognitoPool(POOL_ID, CLIENT)
    token = pool.id_token()
    inner = pytest.MonkeyPatch()
    stand_in = pool.stand_in()
    inner.setattr(RequestsFetcher, "fetch", lambda fetcher, uri: b'{"keys": []}')
    stand_in.stop()
    inner.undo()
    assert RequestsFetcher.__dict__["fetch"] is _testing_stand_in._dispatch
    with pytest.raises(JwksUnavailableError) as refused:
        production_verifier().verify(token)
    assert refused.value.reason == "jwks_fetch_failed"
    assert network.asked == [cognito_issuers(POOL_ID)[0] + "/.well-known/jwks.json"]
    with pool.stand_in():
        assert production_verifier().verify(token)["aud"] == CLIENT
    assert RequestsFetcher.__dict__["fetch"] is not _testing_stand_in._dispatch
    with pytest.raises(JwksUnavailableError):
        production_verifier().verify(token)
    assert len(network.asked) == 2
