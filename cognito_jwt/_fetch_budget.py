"""The fetch budget of a per-kid key cache: bounded, and fair to the kid asked for most.

An ALB publishes one PEM per kid, so a cache cannot tell a real new key from
an invented kid without asking the endpoint.  The budget bounds what that
costs: at most `budget` fetches per `window` seconds, all kids together.  Who
gets a slot matters as much as how many there are.  First come, first served
let an attacker who sent invented kids exactly when its own fetches left the
window take every slot, and keep a rotated ALB key out for as long as it
liked, while every user got a 503.

So each kid the cache is missing has a **demand**: its requests, each weighted
`e ** -(age / window)` (a request one window old counts 1/e).  A request may
fetch only if a slot is free *and* no other waiting kid has a higher demand;
any other request is refused without a fetch, and a kid's demand is spent
when it is granted a fetch.

**The bound.**  From the moment the real kid's demand stays above every other
waiting kid's, no slot goes to another kid.  Every fetch made before leaves
the window within `window` seconds, so the real kid is fetched at its first
request after a slot frees: within one budget window.  An invented kid sent
once has a demand of at most 1; a real key that users ask for once a second
has more from its second request on (and close to `window` after a window).
So invented kids, however they are timed, delay a rotated key by one window at
most, unless the attacker asks for some invented kid more often than all users
together ask for the real one; then each such kid wins one slot (it is fetched
once, and remembered as unknown).  No scheme survives an attacker who sends
each bogus kid as often as real users send the real one.

A demand is kept as `log(demand) + t / window` at the time `t` of its last
request: that number ranks kids by their demand *now* without any arithmetic
at comparison time, since every demand decays by the same factor.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Hashable

__all__ = ["FairBudget"]

#: Kids whose demand is remembered at once; past it the lowest is forgotten.
MAX_WAITING = 256


class FairBudget:
    """`budget` fetches per sliding `window` seconds, each to the most demanded waiting kid.

    Not thread-safe by itself: its owner calls `request` under its own lock.
    """

    __slots__ = ("_fetches", "_levels", "budget", "window")

    def __init__(self, budget: int, window: float) -> None:
        self.budget = budget
        self.window = window
        self._fetches: deque[float] = deque()
        #: `log(demand) + t / window` of each waiting kid (see the module docstring).
        self._levels: dict[Hashable, float] = {}

    def request(self, kid: Hashable, now: float) -> bool:
        """Count one request for `kid` at `now`; True if it may fetch now (a slot is taken).

        A kid granted a fetch stops waiting: its demand starts afresh if it is
        ever missing again.
        """
        level = self._count(kid, now)
        fetches = self._fetches
        while fetches and not now - fetches[0] < self.window:
            fetches.popleft()
        if len(fetches) >= self.budget or max(self._levels.values()) > level:
            return False
        fetches.append(now)
        del self._levels[kid]
        return True

    def demand(self, kid: Hashable, now: float) -> float:
        """The demand of a waiting `kid` at `now` (0 when it is not waiting)."""
        level = self._levels.get(kid)
        return 0.0 if level is None else math.exp(level - now / self.window)

    def forget(self, kid: Hashable) -> None:
        """Stop counting `kid` (its key was found another way)."""
        self._levels.pop(kid, None)

    def clear(self) -> None:
        """Forget every demand and every fetch in the window."""
        self._levels = {}
        self._fetches.clear()

    def _count(self, kid: Hashable, now: float) -> float:
        levels = self._levels
        base = now / self.window
        level = levels.get(kid)
        if level is None:
            if len(levels) >= MAX_WAITING:
                del levels[min(levels, key=levels.__getitem__)]
            new = base  # log(1) + now / window
        else:
            # log(e ** (level - base) + 1) + base: the old demand, decayed to now, plus one.
            new = math.log1p(math.exp(level - base)) + base
        levels[kid] = new
        return new
