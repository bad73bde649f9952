"""The one fixed instant the suite's tokens are minted and verified at.

`NOW` is a plain epoch (2027-01-15T08:00:00Z); `clock` is a verifier clock
frozen there; tests that need time to move use `cognito_jwt.testing.ManualClock(NOW)`.
"""

from __future__ import annotations

NOW = 1_800_000_000


def clock() -> float:
    """A verifier `clock` frozen at `NOW`."""
    return NOW
