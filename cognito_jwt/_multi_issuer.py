"""`MultiIssuerVerifier`: several user pools or issuers behind one verifier.

It sits on top of both verifier kinds it combines (`_jwt_verifier.py`'s
`JwtVerifier` and `_cognito.py`'s `CognitoJwtVerifier`), so neither of them
needs to know it exists: it merges their maps of issuers and runs the same
request path over the result.
"""

from __future__ import annotations

from collections.abc import Sequence

from cognito_jwt import _reports
from cognito_jwt._cognito import CognitoJwtVerifier
from cognito_jwt._issuer import _Issuer
from cognito_jwt._jwt_verifier import JwtVerifier
from cognito_jwt._revocation import IssuerFacts, Revocation, revocations_of
from cognito_jwt._token import ParsedToken, check_typ
from cognito_jwt._verifier import _VerifierBase
from cognito_jwt.errors import ConfigurationError

__all__ = ["MultiIssuerVerifier"]


class MultiIssuerVerifier(_VerifierBase):
    """One verifier for several user pools or issuers, each with its own rules.

    The token's `iss` picks the configured verifier that handles it; an
    `iss` that none is configured for is rejected before any key is fetched.
    Each member keeps its header `typ` rule too: an `identity_pool_verifier`'s
    tokens may say `typ: JWS`, a user pool's may not.

    Args:
        verifiers: the verifiers to combine; each issuer keeps the settings
            and rules of the verifier it came from.
        on_report: `f(report)`, told of every rejection by this verifier (the
            members' own hooks are not called for its tokens; their key
            caches still report fetches to theirs).
        on_event: deprecated, the old name of `on_report`; it warns.
        revocation: a revocation mechanism (or several) for every member's
            tokens (`cognito_jwt.revocation`); members built with their own
            `revocation=` keep theirs, and giving both is refused.

    Raises:
        ConfigurationError: no verifiers, two claim the same issuer, or a
            revocation mechanism cannot serve a member.

    Examples:
        >>> multi = MultiIssuerVerifier([
        ...     CognitoJwtVerifier(user_pool_id="us-east-1_A", token_use="id", client_id="a"),
        ...     CognitoJwtVerifier(user_pool_id="eu-west-1_B", token_use="id", client_id="b"),
        ... ])
    """

    def __init__(
        self,
        verifiers: Sequence[CognitoJwtVerifier | JwtVerifier],
        *,
        on_report: _reports.ReportHook | None = None,
        on_event: _reports.ReportHook | None = None,
        revocation: Revocation | Sequence[Revocation] | None = None,
    ) -> None:
        on_report = _reports.renamed(on_report, on_event)
        if not verifiers:
            raise ConfigurationError("verifiers: expected at least one verifier, found none")
        issuers: dict[str, _Issuer] = {}
        facts: dict[str, IssuerFacts] = {}
        typs_of: dict[str, frozenset[str]] = {}
        for verifier in verifiers:
            if (
                not isinstance(verifier, _VerifierBase)
                or isinstance(verifier, MultiIssuerVerifier)
                or not verifier._routed_by_iss  # an ALB's tokens are routed by `signer`
            ):
                raise ConfigurationError(
                    f"verifiers: expected CognitoJwtVerifier or JwtVerifier, "
                    f"found {type(verifier).__name__}"
                )
            for iss, issuer in verifier._issuers.items():
                if iss in issuers:
                    raise ConfigurationError(f"verifiers: issuer {iss!r} is configured twice")
                issuers[iss] = issuer
                facts[iss] = verifier._facts[iss]
                typs_of[iss] = verifier._typs
        shared = revocations_of(revocation) or None
        if shared is not None and any(i.settings.revocation for i in issuers.values()):
            raise ConfigurationError(
                "revocation: give it to the MultiIssuerVerifier or to its members, not both "
                "(a member's own would run twice, or one would shadow the other)"
            )
        # The shared cache has room for what the members would hold; a member
        # with cache_size=0 keeps its tokens out.
        super().__init__(
            issuers, on_report=_reports.make_hook(on_report), facts=facts, revocation=shared
        )
        # The union of the members' `typ` policies, checked before routing (an
        # identity pool's `JWS` beside Cognito's); each member's own, after.
        self._typs = frozenset().union(*typs_of.values())
        self._typs_of = typs_of if len(set(typs_of.values())) > 1 else None

    def _issuer_for(self, parsed: ParsedToken) -> tuple[_Issuer, str]:
        """The base routing, then the `typ` policy of the member the token's `iss` picked."""
        issuer, kid = super()._issuer_for(parsed)
        typs_of = self._typs_of
        if typs_of is not None:
            check_typ(parsed.header.raw.get("typ"), typs_of[parsed.claims["iss"]])
        return issuer, kid
