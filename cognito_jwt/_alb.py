"""`AlbJwtVerifier`: the user-claims token an Application Load Balancer signs.

When an ALB authenticates users (with Cognito or any OIDC provider) it
forwards their claims to the target in the `x-amzn-oidc-data` header, as a
JWT the ALB itself signs with ES256.  Its header is not a usual JOSE header:
besides `alg` and `kid` it carries `signer` (the ALB's ARN), `iss` (the
provider's issuer), `client` (the app client id) and `exp`.  Its segments may
end in base64 `=` padding, and the signature covers the segments as sent.
The AWS documentation behind each of these facts is cited in `docs/alb.md`.

An ALB is one more *kind* of issuer on the request path every verifier shares
(`_verifier._VerifierBase`), as aws-jwt-verify's `AlbJwtVerifier` extends its
`JwtVerifierBase`.  What is its own is small: the parse (exact `=` padding
accepted), the routing (by the header's `signer`, not the payload's `iss`),
and the header rules, which run before any key fetch.  Everything after the
key is the shared path: the signature, the time rule, the claim types,
`custom_check`, the rejection report.  One request's path::

    size cap → 3 segments, each unpadded (exact padding only) → strict parse
    (_token.py) → alg ES256 → kid is a UUID → signer is a configured ALB ARN
    (the issuer, which names the key endpoint) → header exp, iss, client
    (`_alb_rules._AlbRules.check_header`) → key (_alb_keys.py; fetch only on a miss,
    fairly budgeted) → signature over the segments as received → payload
    exp/nbf/iat when present → claim types → payload iss when present →
    custom_check → claims

A header for another client, issuer or time is refused before the key cache
is asked, so it never spends the fetch budget.  As in the other verifiers,
the token never names where keys come from: the key URL is built from a
*configured* ARN that `signer` only selects, and from a kid that must be a
UUID, so nothing a client sends reaches the URL's structure.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from cognito_jwt import _reports
from cognito_jwt._alb_keys import AlbKeyCache
from cognito_jwt._alb_rules import _ARN_RE, _AlbRules, alb_key_endpoint
from cognito_jwt._claims import DEFAULT_IAT_NBF_LEEWAY
from cognito_jwt._fetch import Fetcher, PemFetcher, check_jwks_uri
from cognito_jwt._issuer import _Issuer
from cognito_jwt._issuer_settings import (
    _REQUIRED,
    CustomCheck,
    _common_settings,
    _Settings,
    _string_set,
)
from cognito_jwt._token import DEFAULT_MAX_TOKEN_LENGTH, ParsedToken, parse_token
from cognito_jwt._verifier import _VerifierBase
from cognito_jwt.errors import (
    CognitoJwtError,
    ConfigurationError,
    InvalidIssuerError,
    MalformedTokenError,
    MissingClaimError,
    UnsupportedAlgorithmError,
    expected_found,
    shown,
)

__all__ = ["AlbJwtVerifier", "alb_key_endpoint"]

_UUID_RE = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)
_ALGORITHM = "ES256"

#: The process-wide key cache every `AlbJwtVerifier` uses unless given another.
DEFAULT_ALB_KEY_CACHE = AlbKeyCache()


def _unpad(segment: str, what: str) -> str:
    """`segment` without its base64 padding, which must be exact if present."""
    stripped = segment.rstrip("=")
    pad = len(segment) - len(stripped)
    if pad and not (pad <= 2 and stripped and pad == -len(stripped) % 4):
        raise MalformedTokenError(
            f"{what}: expected base64url with no padding or exact '=' padding, "
            f"found {pad} '=' after {len(stripped)} characters",
            reason="invalid_padding",
        )
    return stripped


class AlbJwtVerifier(_VerifierBase):
    """Verifies the `x-amzn-oidc-data` token of one or more Application Load Balancers.

    A target behind an ALB must verify this token even though the ALB
    authenticated the user: anyone who can reach the target directly (another
    host in the VPC, a misconfigured security group) can send the header.

    `issuer` and `client_id` are required: pass `None` to skip a check on
    purpose, so that loosening is visible in the caller's code.

    Args:
        alb_arn: the ARN(s) of the ALB(s) allowed to have signed the token
            (the header's `signer`).  Each ARN's partition and region name
            the endpoint its keys are fetched from.
        issuer: the identity provider's issuer, required exactly in the
            header's `iss` (and in the payload's `iss` when present).
        client_id: the app client id(s) allowed in the header's `client`.
        leeway: seconds of clock skew tolerated on `exp` (and at least as much
            on `nbf`/`iat`); default 0.
        iat_nbf_leeway: seconds this host's clock may lag the provider's on
            `iat`/`nbf`; default 60, as for the other verifiers (a future
            `iat` grants nothing, a late `exp` does).
        custom_check: `f(header, claims)`, run last; raise or return `False`
            to reject.
        key_endpoint: fetch keys from `<key_endpoint>/<kid>` instead of the
            endpoint the ARNs name (a partition AWS documents none for, or a
            local stand-in).
        allow_http: permit a plain-http `key_endpoint` (local stand-ins only).
        key_cache: an `AlbKeyCache` to use instead of the shared default.
        fetcher: a custom `Fetcher` for key URLs (gets a private cache).
        session: a `requests.Session` for the default fetcher (gets a private cache).
        clock: returns the current epoch seconds (tests, replays).
        max_token_length: size cap in characters.
        include_claims_in_errors: attach verified claims to claim errors.
        on_report: `f(report)`, told of every rejection (reason, status,
            issuer, kid; never the token or a claim value); see `Report`.  A
            private key cache (for `fetcher`/`session`) reports to it too.
        on_event: deprecated, the old name of `on_report`; it warns.

    Raises:
        ConfigurationError: a setting is missing or invalid.

    Examples:
        >>> verifier = AlbJwtVerifier(
        ...     alb_arn="arn:aws:elasticloadbalancing:us-east-1:123456789012:"
        ...     "loadbalancer/app/web/50dc6c495c0c9188",
        ...     issuer="https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEf123",
        ...     client_id="1example23456789",
        ... )
        >>> # claims = verifier.verify(request.headers["x-amzn-oidc-data"])
    """

    def __init__(
        self,
        *,
        alb_arn: str | Sequence[str],
        issuer: str | None = _REQUIRED,
        client_id: str | Sequence[str] | None = _REQUIRED,
        leeway: float = 0,
        iat_nbf_leeway: float = DEFAULT_IAT_NBF_LEEWAY,
        custom_check: CustomCheck | None = None,
        key_endpoint: str | None = None,
        allow_http: bool = False,
        key_cache: AlbKeyCache | None = None,
        fetcher: Fetcher | None = None,
        session: Any = None,
        clock: Callable[[], float] | None = None,
        max_token_length: int = DEFAULT_MAX_TOKEN_LENGTH,
        include_claims_in_errors: bool = False,
        on_report: _reports.ReportHook | None = None,
        on_event: _reports.ReportHook | None = None,
    ) -> None:
        on_report = _reports.renamed(on_report, on_event)
        if issuer is _REQUIRED:
            raise ConfigurationError(
                "issuer: expected the identity provider's issuer (or None, explicitly, for any), "
                "found it missing"
            )
        if issuer is not None and (not isinstance(issuer, str) or not issuer):
            raise ConfigurationError(f"issuer: expected a non-empty str or None, found {issuer!r}")
        if client_id is _REQUIRED:
            raise ConfigurationError(
                "client_id: expected the app client id(s) (or None, explicitly, for any), "
                "found it missing"
            )
        if alb_arn is None:
            raise ConfigurationError("alb_arn: expected a string or a list of strings, found None")
        arns = _string_set("alb_arn", alb_arn)
        assert arns is not None  # only None gives None
        if key_endpoint is not None:
            base = check_jwks_uri(key_endpoint, allow_http=allow_http).rstrip("/")
            for arn in arns:
                if _ARN_RE.fullmatch(arn) is None:
                    alb_key_endpoint(arn)  # raises, naming the expected shape
            endpoints = dict.fromkeys(sorted(arns), base)
        else:
            endpoints = {arn: alb_key_endpoint(arn) for arn in sorted(arns)}
        # The checks every verifier kind shares, in their one home.
        common = _common_settings(
            leeway=leeway,
            iat_nbf_leeway=iat_nbf_leeway,
            custom_check=custom_check,
            clock=clock,
            max_token_length=max_token_length,
            on_report=on_report,
        )
        if key_cache is not None and (fetcher is not None or session is not None):
            raise ConfigurationError("fetcher/session: give them to the AlbKeyCache you pass")
        if fetcher is not None and session is not None:
            raise ConfigurationError("session: give it to your fetcher instead")
        keys = key_cache
        if keys is None and (fetcher is not None or session is not None):
            # A caller-specific transport gets a cache of its own, as in the JWKS case.
            transport = fetcher if fetcher is not None else PemFetcher(session)
            keys = AlbKeyCache(transport, on_report=common.on_report)
        settings = _Settings(
            keys=keys if keys is not None else DEFAULT_ALB_KEY_CACHE,
            algorithms=frozenset({_ALGORITHM}),
            leeway=common.leeway,
            iat_nbf_leeway=common.iat_nbf_leeway,
            clock=common.clock,
            custom_check=common.custom_check,
            include_claims=include_claims_in_errors,
            max_token_length=common.max_token_length,
            cache_size=0,  # each request brings a token the ALB signed for it
            allow_http=allow_http,
            static_keys=False,
            on_report=common.on_report,
            custom_check_async=None,
            revocation=(),  # an ALB's token lives two minutes and names no session
            max_token_lifetime=None,
        )
        rules = _AlbRules(issuer, _string_set("client_id", client_id), common.leeway)
        # One issuer per signing ALB: its ARN routes, its endpoint holds the keys.
        issuers = {
            arn: _Issuer(
                iss=arn,
                jwks_uri=endpoint,
                rules=rules,
                settings=settings,
                primary=True,
                cacheable=False,
                step_up=None,
                require_exp=False,  # the header's exp, checked before the key, stands in
            )
            for arn, endpoint in endpoints.items()
        }
        super().__init__(issuers, on_report=common.on_report, facts={})
        self._idp_issuer = issuer

    #: The request header that carries this verifier's token (read by
    #: `cognito_jwt.http`): the load balancer's signed `x-amzn-oidc-data`, a
    #: bare JWT; `Authorization` is not read at all.
    token_headers: ClassVar[tuple[str, ...]] = ("x-amzn-oidc-data",)

    #: An ALB's issuers are its signers: the payload's `iss` routes nothing here.
    _routed_by_iss = False

    @property
    def alb_arns(self) -> tuple[str, ...]:
        """The `signer` values this verifier accepts."""
        return tuple(self._issuers)

    @property
    def issuer(self) -> str | None:
        """The `iss` required, or `None` when that check was skipped on purpose."""
        return self._idp_issuer

    @property
    def issuers(self) -> tuple[str, ...]:
        """The identity provider's `iss` this verifier accepts (none when it accepts any)."""
        return () if self._idp_issuer is None else (self._idp_issuer,)

    # -- what an ALB token does differently on the shared request path ---------

    def _parse(self, token: str) -> ParsedToken:
        """`parse_token`'s strict parse, after exact `=` padding is taken off each segment.

        The signature covers the segments as sent, padding included, so the
        signing input is the token's own first two segments.
        """
        max_length = self._max_token_length
        if type(token) is not str or len(token) > max_length:
            parse_token(token, max_length=max_length)  # raises, worded as usual
        parts = token.split(".")
        if len(parts) == 3:
            header, payload, signature = parts
            unpadded = (
                f"{_unpad(header, 'header')}.{_unpad(payload, 'payload')}."
                f"{_unpad(signature, 'signature')}"
            )
        else:
            header, payload = token, ""
            unpadded = token  # parse_token words the error
        parsed = parse_token(unpadded, max_length=max_length)
        signing_input = token[: len(header) + 1 + len(payload)].encode("ascii")
        return ParsedToken(parsed.header, parsed.claims, signing_input, parsed.signature)

    def _issuer_for(self, parsed: ParsedToken) -> tuple[_Issuer, str]:
        """The ALB the header's `signer` names, once the header rules pass; nothing fetched yet."""
        issuer, kid = self._route(parsed)
        rules: _AlbRules = issuer.rules  # type: ignore[assignment]  # every issuer here has them
        rules.check_header(parsed.header.raw, issuer.settings.clock())
        return issuer, kid

    def _route(self, parsed: ParsedToken) -> tuple[_Issuer, str]:
        """ES256, a UUID kid, and a configured `signer`: the ALB issuer, and the kid."""
        header = parsed.header
        if header.alg != _ALGORITHM:
            raise UnsupportedAlgorithmError(
                f"header alg: expected {_ALGORITHM}, found {shown(header.alg)}",
                reason="unsupported_algorithm",
            )
        kid = header.kid
        if kid is None:
            raise MalformedTokenError(
                "header kid: expected the UUID of an ALB key, found none", reason="missing_kid"
            )
        if _UUID_RE.fullmatch(kid) is None:
            raise MalformedTokenError(
                f"header kid: expected a UUID, found {shown(kid)}", reason="invalid_kid"
            )
        signer = header.raw.get("signer")
        if signer is None:
            raise MissingClaimError(
                "header signer: expected the ARN of the signing ALB, found none",
                reason="missing_signer",
            )
        issuer = self._issuers.get(signer) if isinstance(signer, str) else None
        if issuer is None:
            raise InvalidIssuerError(
                expected_found("header signer", " or ".join(self._issuers), signer),
                reason="invalid_signer",
            )
        return issuer, kid

    def _report(self, error: CognitoJwtError, token: str) -> None:
        """Tell the `on_report` hook about a rejection: the kid and issuer only once checked."""
        assert self._on_report is not None  # the caller checked
        try:
            parsed = self._parse(token)
            _, kid = self._route(parsed)
        except CognitoJwtError:
            _reports.rejection(self._on_report, error)
            return
        wanted = self._idp_issuer
        issuer = wanted if wanted is not None and parsed.header.raw.get("iss") == wanted else None
        _reports.rejection(self._on_report, error, issuer=issuer, kid=kid)
