"""A kept import path: `cognito_jwt.claims.cognito_groups`, as the guides name it.

The claim rules live in the internal modules `cognito_jwt._claims` and
`cognito_jwt._claim_types`.  This module only re-exports the names the
documentation cites, and nothing inside the package imports it.
"""

from __future__ import annotations

from cognito_jwt._claim_types import cognito_groups

__all__ = ["cognito_groups"]
