"""`AlbJwtVerifier`: the user-claims token an Application Load Balancer signs.

When an ALB authenticates users (with Cognito or any OIDC provider) it
forwards their claims to the target in the `x-amzn-oidc-data` header, as a
JWT the ALB itself signs with ES256.  Its header is not a usual JOSE header:
besides `alg` and `kid` it carries `signer` (the ALB's ARN), `iss` (the
provider's issuer), `client` (the app client id) and `exp`.  Its segments may
end in base64 `=` padding, and the signature covers the segments as sent.
The AWS documentation behind each of these facts is cited in `docs/alb.md`.

One request's path::

    size cap → 3 segments, each unpadded (exact padding only) → strict parse
    (_token.py) → alg ES256 → kid is a UUID → signer is a configured ALB ARN,
    which names the key endpoint → key (_alb_keys.py; fetch only on miss)
    → signature over the segments as received → header exp → header iss
    → client → payload exp/nbf/iat and iss when present → custom_check → claims

As in the other verifiers, the token never names where keys come from: the
key URL is built from a *configured* ARN that `signer` only selects, and from
a kid that must be a UUID, so nothing a client sends reaches the URL's
structure.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any, ClassVar, NamedTuple

from cognito_jwt import _claim_types, _claims, _reports
from cognito_jwt._alb_keys import AlbKeyCache, PemFetcher
from cognito_jwt._fetch import Fetcher, check_jwks_uri
from cognito_jwt._issuer import _apply_custom_check
from cognito_jwt._issuer_settings import _REQUIRED, CustomCheck, _common_settings, _string_set
from cognito_jwt._keys import VerificationKey
from cognito_jwt._token import DEFAULT_MAX_TOKEN_LENGTH, ParsedToken, parse_token
from cognito_jwt.errors import (
    CognitoJwtError,
    ConfigurationError,
    InvalidAudienceError,
    InvalidIssuerError,
    InvalidSignatureError,
    MalformedTokenError,
    MissingClaimError,
    TokenExpiredError,
    UnsupportedAlgorithmError,
    expected_found,
    shown,
)

__all__ = ["AlbJwtVerifier", "alb_key_endpoint"]

_ARN_RE = re.compile(
    r"arn:(?P<partition>aws[a-z-]*):elasticloadbalancing:"
    r"(?P<region>[a-z]{2,}(?:-[a-z]+)+-\d+):\d{12}:loadbalancer/app/[A-Za-z0-9-]{1,32}/[0-9a-f]{16}"
)
_UUID_RE = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)
_ALGORITHM = "ES256"

#: The process-wide key cache every `AlbJwtVerifier` uses unless given another.
DEFAULT_ALB_KEY_CACHE = AlbKeyCache()


def alb_key_endpoint(alb_arn: str) -> str:
    """The URL under which the ALB `alb_arn` publishes its keys (`<url>/<kid>`).

    Commercial regions use `https://public-keys.auth.elb.<region>.amazonaws.com`;
    the GovCloud regions use an S3 bucket,
    `https://s3-<region>.amazonaws.com/aws-elb-public-keys-prod-<region>`.
    AWS documents no endpoint for other partitions (China, EUSC, ISO): give
    `key_endpoint=` to the verifier there.

    Raises:
        ConfigurationError: `alb_arn` is not an ALB ARN, or its partition has
            no documented key endpoint.

    Examples:
        >>> alb_key_endpoint(
        ...     "arn:aws:elasticloadbalancing:eu-west-1:123456789012:"
        ...     "loadbalancer/app/web/50dc6c495c0c9188"
        ... )
        'https://public-keys.auth.elb.eu-west-1.amazonaws.com'
    """
    match = _ARN_RE.fullmatch(alb_arn) if isinstance(alb_arn, str) else None
    if match is None:
        raise ConfigurationError(
            "alb_arn: expected 'arn:<partition>:elasticloadbalancing:<region>:<account>:"
            f"loadbalancer/app/<name>/<id>', found {shown(alb_arn)}"
        )
    partition, region = match["partition"], match["region"]
    if partition == "aws" and not region.startswith(("us-gov-", "cn-")):
        return f"https://public-keys.auth.elb.{region}.amazonaws.com"
    if partition == "aws-us-gov" and region.startswith("us-gov-"):
        return f"https://s3-{region}.amazonaws.com/aws-elb-public-keys-prod-{region}"
    raise ConfigurationError(
        f"alb_arn: expected a commercial or GovCloud ALB (AWS documents the key endpoint of "
        f"no other partition), found partition {partition!r} in region {region!r}; "
        "pass key_endpoint= explicitly"
    )


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


class _Signed(NamedTuple):
    parsed: ParsedToken
    signing_input: bytes
    kid: str
    key_url: str


class AlbJwtVerifier:
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

    #: The request header that carries this verifier's token (read by
    #: `cognito_jwt.http`): the load balancer's signed `x-amzn-oidc-data`, a
    #: bare JWT; `Authorization` is not read at all.
    token_headers: ClassVar[tuple[str, ...]] = ("x-amzn-oidc-data",)

    def __init__(
        self,
        *,
        alb_arn: str | Sequence[str],
        issuer: str | None = _REQUIRED,
        client_id: str | Sequence[str] | None = _REQUIRED,
        leeway: float = 0,
        iat_nbf_leeway: float = _claims.DEFAULT_IAT_NBF_LEEWAY,
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
            self._endpoints = dict.fromkeys(sorted(arns), base)
        else:
            self._endpoints = {arn: alb_key_endpoint(arn) for arn in sorted(arns)}
        # The checks every verifier kind shares, in their one home.
        common = _common_settings(
            leeway=leeway,
            iat_nbf_leeway=iat_nbf_leeway,
            custom_check=custom_check,
            clock=clock,
            max_token_length=max_token_length,
            on_report=on_report,
        )
        self._on_report = common.on_report
        if key_cache is not None and (fetcher is not None or session is not None):
            raise ConfigurationError("fetcher/session: give them to the AlbKeyCache you pass")
        if fetcher is not None and session is not None:
            raise ConfigurationError("session: give it to your fetcher instead")
        if key_cache is not None:
            self._keys = key_cache
        elif fetcher is not None or session is not None:
            # A caller-specific transport gets a cache of its own, as in the JWKS case.
            self._keys = AlbKeyCache(
                fetcher if fetcher is not None else PemFetcher(session), on_report=self._on_report
            )
        else:
            self._keys = DEFAULT_ALB_KEY_CACHE
        self._issuer = issuer
        self._clients = _string_set("client_id", client_id)
        self._leeway = common.leeway
        self._iat_nbf_leeway = common.iat_nbf_leeway
        self._custom_check = common.custom_check
        self._clock: Callable[[], float] = common.clock
        self._max_token_length = common.max_token_length
        self._include_claims = include_claims_in_errors

    @property
    def alb_arns(self) -> tuple[str, ...]:
        """The `signer` values this verifier accepts."""
        return tuple(self._endpoints)

    @property
    def issuer(self) -> str | None:
        """The `iss` required, or `None` when that check was skipped on purpose."""
        return self._issuer

    # -- the request path ---------------------------------------------------

    def verify(self, token: str) -> dict[str, Any]:
        """Verify an `x-amzn-oidc-data` value and return its (payload) claims.

        Raises:
            InvalidTokenError: (401) the token must not be trusted; the subclass
                and `reason` say why.
            JwksUnavailableError: (503) the signing key could not be obtained.
        """
        try:
            signed = self._parse(token)
            keys = self._keys
            key = keys.peek(signed.key_url) or keys.get_key(signed.key_url, signed.kid)
            return self._finish(signed, key)
        except CognitoJwtError as exc:
            if self._on_report is not None:
                self._report(exc, token)
            raise

    async def verify_async(self, token: str) -> dict[str, Any]:
        """Like `verify`, without blocking the event loop on a key fetch."""
        try:
            signed = self._parse(token)
            keys = self._keys
            key = keys.peek(signed.key_url)
            if key is None:
                import asyncio

                key = await asyncio.to_thread(keys.get_key, signed.key_url, signed.kid)
            return self._finish(signed, key)
        except CognitoJwtError as exc:
            if self._on_report is not None:
                self._report(exc, token)
            raise

    def _report(self, error: CognitoJwtError, token: str) -> None:
        """Tell the `on_report` hook about a rejection: the kid and issuer only once checked."""
        assert self._on_report is not None  # the caller checked
        try:
            signed = self._parse(token)
        except CognitoJwtError:
            _reports.rejection(self._on_report, error)
            return
        iss = signed.parsed.header.raw.get("iss")
        issuer = self._issuer if self._issuer is not None and iss == self._issuer else None
        _reports.rejection(self._on_report, error, issuer=issuer, kid=signed.kid)

    def _parse(self, token: str) -> _Signed:
        if type(token) is not str or len(token) > self._max_token_length:
            parse_token(token, max_length=self._max_token_length)  # raises, worded as usual
        parts = token.split(".")
        if len(parts) == 3:
            unpadded = ".".join(
                _unpad(segment, what)
                for segment, what in zip(parts, ("header", "payload", "signature"), strict=True)
            )
        else:
            unpadded = token  # parse_token words the error
        parsed = parse_token(unpadded, max_length=self._max_token_length)
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
        endpoint = self._endpoints.get(signer) if isinstance(signer, str) else None
        if endpoint is None:
            raise InvalidIssuerError(
                expected_found("header signer", " or ".join(self._endpoints), signer),
                reason="invalid_signer",
            )
        # The signature covers the segments exactly as sent, padding included.
        signing_input = token[: len(parts[0]) + 1 + len(parts[1])].encode("ascii")
        return _Signed(parsed, signing_input, kid, f"{endpoint}/{kid}")

    def _finish(self, signed: _Signed, key: VerificationKey) -> dict[str, Any]:
        parsed = signed.parsed
        if not key.verify(_ALGORITHM, signed.signing_input, parsed.signature):
            raise InvalidSignatureError(
                f"signature: expected a valid {_ALGORITHM} signature by key {signed.kid!r:.60}, "
                "found one that does not verify",
                reason="invalid_signature",
            )
        header = parsed.header.raw
        claims = parsed.claims
        try:
            now = self._clock()
            self._check_header(header, now)
            # Payload times are the provider's; check the ones present (the
            # header's exp, already checked, stands in for a missing one).
            times: dict[str, Any] = {n: claims[n] for n in ("exp", "nbf", "iat") if n in claims}
            times.setdefault("exp", header["exp"])
            _claims.check_time(times, now, self._leeway, iat_nbf_leeway=self._iat_nbf_leeway)
            # The claim types every verifier checks.  The payload is the IdP's
            # userinfo answer: Cognito's carries `username`, and the names
            # Cognito defines are typed only where present, as for its tokens.
            _claim_types.check_claim_types(claims, cognito=True)
            if self._issuer is not None and "iss" in claims and claims["iss"] != self._issuer:
                raise InvalidIssuerError(
                    expected_found("claim iss", self._issuer, claims["iss"]),
                    reason="invalid_issuer",
                )
            if self._custom_check is not None:
                _apply_custom_check(self._custom_check, dict(header), claims)
        except CognitoJwtError as exc:
            if self._include_claims:
                exc.claims = dict(claims)
            raise
        return claims

    def _check_header(self, header: dict[str, Any], now: float) -> None:
        exp = _claim_types.numeric_date(header, "exp", where="header")
        if exp is None:
            raise MissingClaimError(
                "header exp: expected a NumericDate, found none", reason="missing_exp"
            )
        if not exp > now - self._leeway:  # negated: a NaN clock fails closed
            raise TokenExpiredError(
                f"header exp: expected after {now - self._leeway:.0f} (now - leeway), "
                f"found {shown(exp)}",
                reason="token_expired",
            )
        if self._issuer is not None:
            iss = header.get("iss")
            if iss is None:
                raise MissingClaimError(
                    "header iss: expected the provider's issuer, found none", reason="missing_iss"
                )
            if iss != self._issuer:
                raise InvalidIssuerError(
                    expected_found("header iss", self._issuer, iss), reason="invalid_issuer"
                )
        if self._clients is not None:
            client = header.get("client")
            if client is None:
                raise MissingClaimError(
                    "header client: expected an app client id, found none",
                    reason="missing_client",
                )
            if not isinstance(client, str) or client not in self._clients:
                raise InvalidAudienceError(
                    expected_found("header client", " or ".join(sorted(self._clients)), client),
                    reason="invalid_client",
                )
