"""Keys past `max_age` are checked against the endpoint before they verify anything.

`max_age` bounds how long a key the issuer removed (a leaked key rotated out)
keeps verifying.  Refreshing ahead in the background must not stretch that
bound to `stale_if_error`: past `max_age`, with the endpoint up, the caller
waits for a fetch (its own, or the one in flight) and is answered from what
it brings; stale keys serve only while that fetch fails or backs off.

The endpoint is a fetcher object that reads the pool's published JWKS when
it is asked, held at a gate the test opens; fetches are counted, key ages run
on a `ManualClock`, waits are on events.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from fixed_time import NOW

from cognito_jwt import JwksCache, JwksUnavailableError, UnknownKeyError
from cognito_jwt._jwks_refresh import Flight
from cognito_jwt.testing import FakeCognitoPool, ManualClock

URI = "https://keys.example.com/jwks.json"
#: Generous bound on a wait for something that happens at once (a hung test fails).
PATIENCE = 30.0


class Endpoint:
    """The pool's JWKS as published when the fetch reaches it, held while the gate is shut."""

    total_timeout = PATIENCE

    def __init__(self, pool: FakeCognitoPool) -> None:
        self.pool = pool
        self.open = threading.Event()
        self.open.set()
        self.arrived = threading.Event()
        self.down = False
        self.fetches = 0

    def shut(self) -> None:
        self.open.clear()
        self.arrived.clear()

    def fetch(self, uri: str) -> bytes:
        self.fetches += 1
        self.arrived.set()
        assert self.open.wait(PATIENCE)
        if self.down:
            raise JwksUnavailableError(f"{uri}: connection refused", reason="jwks_fetch_failed")
        return self.pool.jwks_json.encode()


def setup(background: bool) -> tuple[FakeCognitoPool, Endpoint, ManualClock, Any]:
    pool = FakeCognitoPool("us-east-1_StaleKeys")
    endpoint = Endpoint(pool)
    clock = ManualClock()
    cache = JwksCache(
        endpoint,
        clock=clock,
        max_age=600,
        refresh_ahead=60,
        cooldown=10,
        background_refresh=background,
    )
    verifier = pool.verifier(token_use="id", jwks_uri=URI, jwks_cache=cache, clock=lambda: NOW)
    return pool, endpoint, clock, verifier


MODES = pytest.mark.parametrize("background", [False, True], ids=["inline", "background"])


@MODES
def test_a_removed_key_stops_verifying_once_keys_are_past_max_age(background: bool) -> None:
    pool, endpoint, clock, verifier = setup(background)
    leaked = pool.id_token(now=NOW)
    assert verifier.verify(leaked)
    pool.unpublish(pool.id_kid)
    pool.rotate()
    clock.advance(2 * 3600)  # idle: no request during the refresh window
    with pytest.raises(UnknownKeyError) as caught:
        verifier.verify(leaked)
    assert caught.value.reason == "unknown_kid"
    assert endpoint.fetches == 2
    assert verifier.verify(pool.id_token(now=NOW))  # the new key, from the same fetch
    assert endpoint.fetches == 2


@MODES
def test_past_max_age_a_failing_endpoint_leaves_the_stale_keys_serving(background: bool) -> None:
    pool, endpoint, clock, verifier = setup(background)
    token = pool.id_token(now=NOW)
    assert verifier.verify(token)
    endpoint.down = True
    clock.advance(601)
    assert verifier.verify(token)  # the fetch failed: stale-if-error
    assert endpoint.fetches == 2
    for _ in range(10):  # backing off (10 s): stale keys, no attempt
        assert verifier.verify(token)
    assert endpoint.fetches == 2
    clock.advance(10)
    assert verifier.verify(token)
    assert endpoint.fetches == 3


def test_a_caller_past_max_age_waits_for_the_refresh_begun_in_the_window(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The refresh in flight at max_age answers the caller: no stale serve, no second fetch."""
    joined = threading.Event()
    real_wait = Flight.wait

    def wait(self: Flight) -> None:
        joined.set()  # the caller waits on the fetch in flight
        real_wait(self)

    monkeypatch.setattr(Flight, "wait", wait)
    pool, endpoint, clock, verifier = setup(background=True)
    leaked = pool.id_token(now=NOW)
    assert verifier.verify(leaked)
    endpoint.shut()
    clock.advance(540)  # the window: a background refresh starts, held at the gate
    assert verifier.verify(leaked)
    assert endpoint.arrived.wait(PATIENCE)
    clock.advance(61)  # past max_age while it is in flight
    outcome: list[object] = []

    def call() -> None:
        try:
            outcome.append(verifier.verify(leaked))
        except UnknownKeyError as exc:
            outcome.append(exc)

    caller = threading.Thread(target=call)
    caller.start()
    assert joined.wait(PATIENCE)
    pool.unpublish(pool.id_kid)  # removed before the endpoint answers
    pool.rotate()
    assert outcome == []  # not answered from the stale set
    endpoint.open.set()
    caller.join(PATIENCE)
    assert len(outcome) == 1
    assert isinstance(outcome[0], UnknownKeyError)
    assert outcome[0].reason == "unknown_kid"
    # The refresh began before the caller asked: one more fetch confirms the kid is gone.
    assert endpoint.fetches == 3
