"""A kept import path: `cognito_jwt.verifier`, as 0.1.0 shipped it.

The verifiers live in the internal modules `cognito_jwt._jwt_verifier`,
`cognito_jwt._cognito` and `cognito_jwt._multi_issuer`; import them from
`cognito_jwt`.  This module only re-exports the names older code imports from
here, and nothing inside the package imports it.
"""

from __future__ import annotations

from cognito_jwt._cognito import CognitoJwtVerifier, cognito_issuers
from cognito_jwt._jwt_verifier import JwtVerifier
from cognito_jwt._multi_issuer import MultiIssuerVerifier

__all__ = ["CognitoJwtVerifier", "JwtVerifier", "MultiIssuerVerifier", "cognito_issuers"]
