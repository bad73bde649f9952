"""A kept import path: `cognito_jwt.token.bearer_credentials`, as the guides name it.

The token parser lives in the internal module `cognito_jwt._token`.  This
module only re-exports the names the documentation cites, and nothing inside
the package imports it.
"""

from __future__ import annotations

from cognito_jwt._token import bearer_credentials

__all__ = ["bearer_credentials"]
