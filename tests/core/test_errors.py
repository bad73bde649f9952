"""cognito_jwt.errors: the messages' helpers never raise, whatever they quote."""

from __future__ import annotations

from typing import Any

from cognito_jwt.errors import shown


def nested(depth: int) -> Any:
    value: Any = "leaf"
    for i in range(depth):
        value = [value] if i % 2 else {"k": value}
    return value


def test_shown_never_raises_on_deeply_nested_values() -> None:
    """An error message quoting a deeply nested value never raises
    (fixed in 8a0955d, found by an adversarial review of the core)."""
    text = shown(nested(100_000))
    assert len(text) <= 80
