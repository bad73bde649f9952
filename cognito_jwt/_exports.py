"""Public names say where they live: each one's `__module__` is the public module that exports it.

`CognitoJwtVerifier` is defined in the internal module `_cognito.py`, but users
import it from `cognito_jwt`, so that is what its repr, tracebacks, `help()` and
pickles should name (httpx does the same).  Each public module calls `rehome`
on its own `__all__` last thing.  Only classes and functions whose home is an
internal module (a name part starting with `_`) are rehomed: an error keeps
`cognito_jwt.errors`, its documented home, and constants and type aliases have
no `__module__` of their own to set.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import FunctionType

__all__ = ["rehome"]


def is_internal(module: str) -> bool:
    """Whether `module` is one of the package's internal modules (`cognito_jwt._x`, ...)."""
    parts = module.split(".")
    return parts[0] == "cognito_jwt" and any(p.startswith("_") for p in parts[1:])


def rehome(module: str, namespace: Mapping[str, object], names: Iterable[str]) -> None:
    """Set `__module__ = module` on each class and function of `names` defined internally."""
    for name in names:
        value = namespace[name]
        if isinstance(value, type | FunctionType) and is_internal(value.__module__):
            value.__module__ = module
