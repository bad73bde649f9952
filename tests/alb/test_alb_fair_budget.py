"""The ALB key cache's fetch budget is fair: a key real users keep asking for is fetched
within one budget window, however bogus kids are timed (simulated clocks, no sleeping).

The stated bound (`AlbKeyCache`, docs/alb.md): while the budget is spent, each freed
slot goes to the pending kid with the highest demand, a kid's demand being its requests,
each weighted `e ** -(age / budget_window)`.  So from the moment the real kid's demand is
above every other pending kid's, no fetch goes to another kid, and the real kid is fetched
at its first request after a slot frees: within one budget window.  An attacker must ask
for each bogus kid more often than all real users together ask for the real one.
"""

from __future__ import annotations

import math
import random
import uuid
from collections.abc import Iterable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cognito_jwt import AlbJwtVerifier, AlbKeyCache, CognitoJwtError, JwksUnavailableError
from cognito_jwt._alb_keys import KEY_NOT_FOUND
from cognito_jwt.testing import AlbKeyServer, FakeAlb, ManualClock

WINDOW = 60.0
BUDGET = 10
START = 1_800_000_000


class Published:
    """The ALB's key endpoint in memory: PEMs by kid, 404 for the rest; records each fetch."""

    def __init__(self, alb: FakeAlb, clock: ManualClock, requests: list[tuple[float, str]]) -> None:
        self.alb = alb
        self.clock = clock
        self.requests = requests
        #: (time, kid, how many requests had been sent, the one fetching included)
        self.fetched: list[tuple[float, str, int]] = []

    def fetch(self, uri: str) -> bytes:
        kid = uri.rsplit("/", 1)[1]
        self.fetched.append((self.clock(), kid, len(self.requests)))
        pem = self.alb.pem(kid)
        if pem is None:
            raise JwksUnavailableError("no such key", reason=KEY_NOT_FOUND)
        return pem


class Run:
    """A verifier on simulated clocks (one tick = 1 s) and the tokens sent to it."""

    def __init__(
        self, alb: FakeAlb, *, server: AlbKeyServer | None = None, negative_ttl: float = 300
    ) -> None:
        self.alb = alb
        self.mono = ManualClock(1000.0)
        self.wall = ManualClock(START)
        self.requests: list[tuple[float, str]] = []
        self.published = Published(alb, self.mono, self.requests)
        cache = AlbKeyCache(
            None if server is not None else self.published,
            fetch_budget=BUDGET,
            budget_window=WINDOW,
            negative_ttl=negative_ttl,
            clock=self.mono,
        )
        if server is not None:
            self.verifier = alb.verifier(server, key_cache=cache, clock=self.wall)
        else:
            self.verifier = AlbJwtVerifier(
                alb_arn=alb.alb_arn,
                issuer=alb.issuer,
                client_id=alb.client_id,
                key_endpoint="https://keys.invalid",
                key_cache=cache,
                clock=self.wall,
            )

    def send(self, kid: str | None = None) -> bool:
        """One request; True if it verified.  `kid=None` is a real user's token."""
        now = int(self.wall())
        token = (
            self.alb.token(now=now, expires_in=7200)
            if kid is None
            else self.alb.token(now=now, header_overrides={"kid": kid})
        )
        self.requests.append((self.mono(), kid or self.alb.kid))
        try:
            self.verifier.verify(token)
        except CognitoJwtError:
            return False
        return True

    def tick(self) -> None:
        self.mono.advance(1)
        self.wall.advance(1)


def demand(requests: Iterable[tuple[float, str]], kid: str, now: float) -> float:
    """The stated measure: each request for `kid`, weighted e^-(age/window)."""
    return sum(math.exp(-(now - t) / WINDOW) for t, k in requests if k == kid and t <= now)


# -- security review 3, F3: the timed attack ---------------------------------------------------


def test_timed_random_kids_no_longer_keep_a_rotated_key_out(alb: FakeAlb) -> None:
    """Ten fresh kids, sent each time the attacker's own fetches leave the window and
    ahead of that second's user: once starved the rotated key for 30 minutes; now the
    key is fetched in the first slot that frees, one window after the rotation."""
    with alb.serve_keys() as server:
        run = Run(alb, server=server)
        assert run.send()  # the current key is cached
        accepted_at = None
        for tick in range(-120, 600):
            if tick == 0:
                alb.rotate()
            if tick % 60 == 0:
                for _ in range(10):
                    run.send(str(uuid.uuid4()))
            if tick >= 0 and run.send():
                accepted_at = tick
                break
            run.tick()
    assert accepted_at is not None
    assert accepted_at <= WINDOW


@pytest.mark.parametrize("junk_per_second", [2, 30])
def test_an_untimed_flood_of_random_kids_delays_a_rotated_key_at_most_one_window(
    alb: FakeAlb, junk_per_second: int
) -> None:
    run = Run(alb)
    rng = random.Random(junk_per_second)
    assert run.send()
    for tick in range(-120, 600):
        if tick == 0:
            alb.rotate()
        batch = ["junk"] * junk_per_second + (["user"] if tick >= 0 else [])
        rng.shuffle(batch)
        for who in batch:
            if who == "user" and run.send():
                assert tick <= WINDOW
                return
            if who == "junk":
                run.send(str(uuid.uuid4()))
        run.tick()
    pytest.fail("the rotated key was never fetched")


# -- the bound, under schedules the attacker chooses -----------------------------------------


@st.composite
def attacks(draw: st.DrawFn) -> tuple[int, list[tuple[int, int]], int, int]:
    """(user period, [(bogus kid period, phase)], fresh kids per minute, history seconds).

    Every bogus kid is asked for less often than the real one (a longer period); fresh
    kids (asked for once each) arrive in a burst timed to the budget window.
    """
    user_period = draw(st.integers(1, 3))
    repeated = draw(
        st.lists(
            st.tuples(st.integers(user_period + 1, 4 * user_period + 4), st.integers(0, 11)),
            max_size=24,
        )
    )
    return user_period, repeated, draw(st.integers(0, 30)), draw(st.integers(0, 180))


@settings(max_examples=25, deadline=None)
@given(attack=attacks())
def test_the_real_kid_is_fetched_within_one_window_of_leading_the_demand(
    attack: tuple[int, list[tuple[int, int]], int, int],
) -> None:
    """`leading_since`: the first request of the real kid at which its demand, even
    decayed until its next request, is above every other pending kid's plus one request."""
    user_period, repeated, fresh_per_minute, history = attack
    alb = FakeAlb()
    run = Run(alb, negative_ttl=10_000)  # a bogus kid once fetched never competes again
    assert run.send()
    bogus = [(str(uuid.uuid4()), period, phase) for period, phase in repeated]
    real = None
    leading_since = None
    for tick in range(-history, 1200):
        if tick == 0:
            real = alb.rotate()
        if tick % 60 == 0:
            for _ in range(fresh_per_minute):
                run.send(str(uuid.uuid4()))
        for kid, period, phase in bogus:
            if tick % period == phase % period:
                run.send(kid)
        if real is not None and tick % user_period == 0:
            now = run.mono()
            fetched = {k for _, k, _ in run.published.fetched}
            rivals = [demand(run.requests, k, now) for k, _, _ in bogus if k not in fetched]
            mine = demand([*run.requests, (now, real)], real, now)
            if (
                leading_since is None
                and mine * math.exp(-user_period / WINDOW) > max([*rivals, 1.0]) + 1
            ):
                leading_since = now
            if run.send():
                # Fetched before leading by that margin is sooner than the bound.
                assert leading_since is None or now <= leading_since + WINDOW + user_period
                return
        run.tick()
    pytest.fail("the rotated key was never fetched")


def test_no_fetch_goes_to_a_kid_with_less_demand_than_another_pending_one(alb: FakeAlb) -> None:
    """The invariant behind the bound, checked at every fetch of a mixed flood."""
    run = Run(alb, negative_ttl=10_000)
    rng = random.Random(7)
    pool = [str(uuid.uuid4()) for _ in range(40)]
    for _ in range(900):
        for _ in range(rng.randrange(6)):
            run.send(rng.choice(pool) if rng.random() < 0.7 else str(uuid.uuid4()))
        run.tick()
    assert len(run.published.fetched) > BUDGET  # the budget was spent and refilled
    done: set[str] = set()
    for at, kid, sent in run.published.fetched:
        before = run.requests[:sent]  # the requests up to the one that fetched
        pending = {k for _, k in before if k not in done}
        mine = demand(before, kid, at)
        assert all(mine >= demand(before, other, at) - 1e-9 for other in pending), at
        done.add(kid)
