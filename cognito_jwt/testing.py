"""A test kit for applications that use cognito_jwt: a fake user pool.

Your API's tests need real, correctly signed Cognito-shaped tokens, and a JWKS
that verifies them, without AWS.  `FakeCognitoPool` holds two fresh
RSA-2048 keys (like a real pool: one signs ID tokens, the other access
tokens), mints tokens with any claim overridden, and serves its JWKS on
127.0.0.1 when the code under test insists on fetching.

Examples:
    >>> from cognito_jwt.testing import FakeCognitoPool
    >>> pool = FakeCognitoPool()
    >>> verifier = pool.verifier(token_use="id")
    >>> verifier.verify(pool.id_token(groups=["admin"]))["cognito:groups"]
    ['admin']

Tokens are signed with `cryptography` alone, so the kit adds no dependency to
an install (the library's own suite cross-checks the verifier against PyJWT,
an independent JWS implementation, separately).  Keys are generated per
process and never leave it; never use this module in production code.
"""

from __future__ import annotations

import base64
import hashlib
import http.server
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from cognito_jwt._cognito import CognitoJwtVerifier, cognito_issuers
from cognito_jwt._exports import rehome as _rehome
from cognito_jwt._issuer import default_jwks_uri
from cognito_jwt._testing_alb import AlbKeyServer, FakeAlb, alb_segment  # the ALB part of the kit
from cognito_jwt._testing_stand_in import StandIn, stop_stand_ins

__all__ = [
    "AlbKeyServer",
    "FakeAlb",
    "FakeCognitoPool",
    "JwksServer",
    "ManualClock",
    "StandIn",
    "alb_segment",
    "b64url",
    "identity_pool_token",
    "okp_jwk",
    "resource_bound_access_token",
    "rsa_jwk",
    "sign_okp",
    "step_up_claims",
    "stop_stand_ins",
]

_FETCH_OPTIONS = ("jwks_uri", "jwks_cache", "fetcher", "session")


def _pss(digest: hashes.HashAlgorithm) -> padding.AsymmetricPadding:
    # RFC 7518 section 3.5: the salt is as long as the hash output.
    return padding.PSS(mgf=padding.MGF1(digest), salt_length=digest.digest_size)


def _pkcs1(digest: hashes.HashAlgorithm) -> padding.AsymmetricPadding:
    del digest  # PKCS#1 v1.5 padding takes no parameters
    return padding.PKCS1v15()


_RSA_SCHEMES: dict[
    str, tuple[Callable[[hashes.HashAlgorithm], padding.AsymmetricPadding], hashes.HashAlgorithm]
] = {
    "RS256": (_pkcs1, hashes.SHA256()),
    "RS384": (_pkcs1, hashes.SHA384()),
    "RS512": (_pkcs1, hashes.SHA512()),
    "PS256": (_pss, hashes.SHA256()),
    "PS384": (_pss, hashes.SHA384()),
    "PS512": (_pss, hashes.SHA512()),
}


def b64url(data: bytes) -> str:
    """Unpadded base64url, as JWS uses."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def rsa_jwk(public_key: rsa.RSAPublicKey, kid: str, *, alg: str | None = "RS256") -> dict[str, str]:
    """The JWK of an RSA public key, shaped like Cognito's (``kty, alg, use, kid, n, e``)."""
    numbers = public_key.public_numbers()
    jwk = {
        "kty": "RSA",
        "kid": kid,
        "use": "sig",
        "n": b64url(numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")),
        "e": b64url(numbers.e.to_bytes((numbers.e.bit_length() + 7) // 8, "big")),
    }
    if alg is not None:
        jwk["alg"] = alg
    return jwk


@lru_cache(maxsize=64)
def _generated_key(label: str, bits: int) -> rsa.RSAPrivateKey:
    """One key per label and size per process: RSA key generation is slow (~50 ms)."""
    del label  # only part of the cache key
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def _cognito_kid(key: rsa.RSAPrivateKey) -> str:
    """A 44-character *standard* base64 kid (with ``+``, ``/``, ``=``), as Cognito's are."""
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(hashlib.sha256(der).digest()).decode("ascii")


class FakeCognitoPool:
    """A user pool's signing keys and token shapes, for tests.

    Args:
        user_pool_id: the pool id; the issuer follows from it as in Cognito.
        client_id: the app client the tokens are issued to.
        key_bits: RSA modulus size (Cognito uses 2048).
        issuer: override the ``iss`` (e.g. the ``issuer-cognito-idp`` form).
    """

    def __init__(
        self,
        user_pool_id: str = "us-east-1_TestPool1",
        client_id: str = "testclient0123456789abcdef",
        *,
        key_bits: int = 2048,
        issuer: str | None = None,
    ) -> None:
        self.user_pool_id = user_pool_id
        self.client_id = client_id
        self.issuer = issuer or cognito_issuers(user_pool_id)[0]
        self.id_key = _generated_key(f"{user_pool_id}/id", key_bits)
        self.access_key = _generated_key(f"{user_pool_id}/access", key_bits)
        self.id_kid = _cognito_kid(self.id_key)
        self.access_kid = _cognito_kid(self.access_key)
        self._published: dict[str, rsa.RSAPrivateKey] = {
            self.id_kid: self.id_key,
            self.access_kid: self.access_key,
        }

    # -- keys ---------------------------------------------------------------

    @property
    def jwks(self) -> dict[str, Any]:
        """The JWKS document this pool publishes right now."""
        return {"keys": [rsa_jwk(k.public_key(), kid) for kid, k in self._published.items()]}

    @property
    def jwks_json(self) -> str:
        """`jwks` as JSON text, as the endpoint serves it."""
        return json.dumps(self.jwks)

    def rotate(self, *, which: str = "id", label: str | None = None) -> str:
        """Replace the ID (or access) signing key with a new one; returns its kid.

        The old key stays published until `unpublish` removes it, as
        during a real rotation.
        """
        key = _generated_key(label or f"{self.user_pool_id}/{which}/{uuid.uuid4()}", 2048)
        kid = _cognito_kid(key)
        self._published[kid] = key
        if which == "id":
            self.id_key, self.id_kid = key, kid
        else:
            self.access_key, self.access_kid = key, kid
        return kid

    def unpublish(self, kid: str) -> None:
        """Remove a key from the published JWKS (tokens it signed must then fail)."""
        self._published.pop(kid, None)

    # -- tokens -------------------------------------------------------------

    def _base_claims(self, token_use: str, now: int, expires_in: int) -> dict[str, Any]:
        return {
            "sub": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{self.user_pool_id}/user")),
            "iss": self.issuer,
            "token_use": token_use,
            "auth_time": now,
            "iat": now,
            "exp": now + expires_in,
            "jti": str(uuid.uuid4()),
            "origin_jti": str(uuid.uuid4()),
            "event_id": str(uuid.uuid4()),
        }

    def _finish(
        self,
        claims: dict[str, Any],
        overrides: Mapping[str, Any],
        key: rsa.RSAPrivateKey,
        kid: str,
        header_overrides: Mapping[str, Any] | None,
    ) -> str:
        for name, value in overrides.items():
            if value is None:
                claims.pop(name, None)
            else:
                claims[name] = value
        header: dict[str, Any] = {"kid": kid, "alg": "RS256"}
        for name, value in (header_overrides or {}).items():
            if value is None:
                header.pop(name, None)
            else:
                header[name] = value
        return self.sign(claims, header, key=key)

    def id_token(
        self,
        *,
        groups: list[str] | None = None,
        expires_in: int = 3600,
        now: int | None = None,
        header_overrides: Mapping[str, Any] | None = None,
        **claim_overrides: Any,
    ) -> str:
        """A signed ID token; ``claim=None`` removes a claim, other values set it.

        Claims whose names are not identifiers (``cognito:groups``) can be set
        with ``**{"cognito:groups": [...]}``.  ``auth_time`` is ``now`` unless
        set (a refreshed token keeps its earlier sign-in's); a pool with
        authentication levels adds ``acr`` and ``amr``: see `step_up_claims`.
        """
        issued = int(time.time()) if now is None else now
        claims = self._base_claims("id", issued, expires_in)
        claims.update(
            {
                "aud": self.client_id,
                "cognito:username": "alice",
                "email": "alice@example.com",
                "email_verified": True,
                "at_hash": b64url(hashlib.sha256(claims["jti"].encode()).digest()[:16]),
            }
        )
        if groups is not None:
            claims["cognito:groups"] = list(groups)
        return self._finish(claims, claim_overrides, self.id_key, self.id_kid, header_overrides)

    def access_token(
        self,
        *,
        groups: list[str] | None = None,
        scopes: list[str] | None = None,
        expires_in: int = 3600,
        now: int | None = None,
        header_overrides: Mapping[str, Any] | None = None,
        **claim_overrides: Any,
    ) -> str:
        """A signed access token; ``claim=None`` removes a claim, other values set it."""
        issued = int(time.time()) if now is None else now
        claims = self._base_claims("access", issued, expires_in)
        claims.update(
            {
                "client_id": self.client_id,
                "username": "alice",
                "scope": " ".join(scopes)
                if scopes is not None
                else "aws.cognito.signin.user.admin",
                "version": 2,
            }
        )
        if groups is not None:
            claims["cognito:groups"] = list(groups)
        return self._finish(
            claims, claim_overrides, self.access_key, self.access_kid, header_overrides
        )

    def client_credentials_token(
        self,
        *,
        scopes: Sequence[str] = ("api/read",),
        client_id: str | None = None,
        expires_in: int = 3600,
        now: int | None = None,
        header_overrides: Mapping[str, Any] | None = None,
        **claim_overrides: Any,
    ) -> str:
        """A signed machine-to-machine access token (the client-credentials grant).

        Cognito issues these to an app client, not a user, so the claim set is
        smaller than `access_token`'s: exactly ``auth_time`` (equal to
        ``iat``), ``client_id``, ``exp``, ``iat``, ``iss``, ``jti``,
        ``scope``, ``sub`` (equal to ``client_id``), ``token_use`` and
        ``version`` — no ``username``, no ``cognito:groups``, no
        ``origin_jti`` or ``event_id``.  Testing against this shape catches
        code that assumes every caller is a user (``claims["username"]``).

        ``client_id`` (default: the pool's) sets both ``client_id`` and
        ``sub``; ``scopes`` are the resource-server scopes granted;
        ``claim=None`` removes a claim, other values set it.

        Examples:
            >>> pool = FakeCognitoPool()
            >>> claims = pool.verifier(token_use="access").verify(
            ...     pool.client_credentials_token(scopes=["orders/read"]))
            >>> claims["sub"] == claims["client_id"], "username" in claims
            (True, False)
        """
        issued = int(time.time()) if now is None else now
        client = self.client_id if client_id is None else client_id
        claims: dict[str, Any] = {
            "sub": client,
            "token_use": "access",
            "scope": " ".join(scopes),
            "auth_time": issued,
            "iss": self.issuer,
            "exp": issued + expires_in,
            "iat": issued,
            "version": 2,
            "jti": str(uuid.uuid4()),
            "client_id": client,
        }
        return self._finish(
            claims, claim_overrides, self.access_key, self.access_kid, header_overrides
        )

    def sign(
        self,
        claims: Mapping[str, Any],
        header: Mapping[str, Any] | None = None,
        *,
        key: rsa.RSAPrivateKey | None = None,
    ) -> str:
        """Sign ``claims`` with exactly ``header`` (default: the ID key's kid, RS256).

        The header's ``alg`` picks the algorithm: ``RS256`` (the default),
        ``RS384``, ``RS512`` or ``PS256``/``PS384``/``PS512``; it is written
        into the header with the other members, sorted, and ``typ: None`` drops
        ``typ`` (Cognito sends none).  Signing uses `cryptography` directly, so
        the kit needs nothing the library does not already install; the test
        suite cross-checks the verifier against PyJWT separately.

        Raises:
            ValueError: ``alg`` is not an RSA algorithm (build such a token
                with `sign_raw` and a key of your own).
        """
        signing_key = key if key is not None else self.id_key
        hdr: dict[str, Any] = (
            dict(header) if header is not None else {"kid": self.id_kid, "alg": "RS256"}
        )
        alg = hdr.setdefault("alg", "RS256")
        if hdr.get("typ", "") is None:
            del hdr["typ"]
        header_bytes = json.dumps(hdr, separators=(",", ":"), sort_keys=True).encode()
        payload = json.dumps(dict(claims), separators=(",", ":")).encode()
        return self.sign_raw(header_bytes, payload, key=signing_key, alg=alg)

    def sign_raw(
        self,
        header: bytes,
        payload: bytes,
        *,
        key: rsa.RSAPrivateKey | None = None,
        alg: str = "RS256",
    ) -> str:
        """Sign arbitrary header and payload *bytes* (for malformed-JSON tests).

        ``alg`` (default ``RS256``) chooses the RSA signature scheme only; it is
        not written anywhere, so a header that claims another algorithm can be
        built on purpose.

        Raises:
            ValueError: ``alg`` is not one of `RS256`/`RS384`/`RS512`/`PS256`/`PS384`/`PS512`.
        """
        scheme = _RSA_SCHEMES.get(alg)
        if scheme is None:
            raise ValueError(
                f"alg: expected one of {', '.join(_RSA_SCHEMES)}, found {alg!r:.40}; "
                "sign other algorithms with a key and library of your own"
            )
        make_padding, digest = scheme
        signing_input = f"{b64url(header)}.{b64url(payload)}".encode("ascii")
        signature = (key or self.id_key).sign(signing_input, make_padding(digest), digest)
        return f"{signing_input.decode('ascii')}.{b64url(signature)}"

    # -- verifiers and servers ---------------------------------------------

    def verifier(self, token_use: str | None = "id", **kwargs: Any) -> CognitoJwtVerifier:  # noqa: S107
        """A `CognitoJwtVerifier` for this pool, on its static JWKS by default.

        Pass ``jwks_uri=`` (with ``allow_http=True``) and friends to make it
        fetch instead; any other verifier option passes through.
        """
        kwargs.setdefault("client_id", self.client_id)
        if self.issuer not in cognito_issuers(self.user_pool_id):
            kwargs.setdefault("issuer", self.issuer)
        if not any(k in kwargs for k in _FETCH_OPTIONS):
            kwargs.setdefault("jwks", self.jwks)
        return CognitoJwtVerifier(
            user_pool_id=self.user_pool_id,
            token_use=token_use,  # type: ignore[arg-type]
            **kwargs,
        )

    @contextmanager
    def serve_jwks(self) -> Iterator[JwksServer]:
        """Serve this pool's *current* JWKS on 127.0.0.1 for the duration of the block."""

        def current() -> bytes:
            # Read per request, not once: keys rotated while serving must show.
            return self.jwks_json.encode()

        server = JwksServer(current, path=f"/{self.user_pool_id}")
        try:
            yield server
        finally:
            server.close()

    def stand_in(self) -> StandIn:
        """Answer this process's fetches of the pool's real JWKS URLs with its keys (tests only).

        Code under test that builds the production verifier,
        ``CognitoJwtVerifier(user_pool_id=..., token_use=..., client_id=...)``,
        fetches ``https://cognito-idp.<region>.amazonaws.com/<pool id>/.well-known/jwks.json``
        (and the pool's ``issuer-cognito-idp`` form); a pool built with
        ``issuer=`` (standing for another OpenID Connect provider) also answers
        ``<issuer>/.well-known/jwks.json``, where ``JwtVerifier(issuer=...)``
        fetches by default.  While the stand-in runs,
        those fetches, made by any `RequestsFetcher` (the default fetcher of
        every `JwksCache`), get this pool's *current* JWKS; every other URL is
        fetched as before, and a fetcher of your own is never touched.  So the
        production lines run unchanged, offline.

        Only code importing this test kit can start one: no argument,
        configuration or environment variable of the library does.  Stop it
        with `StandIn.stop` (or use it as a context manager); stopping drops
        the pool's URLs from `DEFAULT_JWKS_CACHE`, so its keys no longer
        verify there.  `stop_stand_ins` stops every one still running.

        Raises:
            ValueError: another pool with the same id is already standing in.

        Examples:
            >>> pool = FakeCognitoPool("us-east-1_AbCdEf123", "1example23456789")
            >>> with pool.stand_in():
            ...     verifier = CognitoJwtVerifier(
            ...         user_pool_id="us-east-1_AbCdEf123",
            ...         token_use="id",
            ...         client_id="1example23456789",
            ...     )
            ...     verifier.verify(pool.id_token())["email"]
            'alice@example.com'
        """
        urls = [default_jwks_uri(issuer) for issuer in cognito_issuers(self.user_pool_id)]
        if self.issuer not in cognito_issuers(self.user_pool_id):
            # Built with issuer= (another identity provider, say): where
            # `JwtVerifier(issuer=...)` looks for that issuer's keys by default.
            urls.append(default_jwks_uri(self.issuer))
        # The body is read per fetch, not once: keys rotated while it runs must show.
        return StandIn(f"FakeCognitoPool {self.user_pool_id}", urls, self._jwks_bytes).start()

    def _jwks_bytes(self) -> bytes:
        return self.jwks_json.encode()


class ManualClock:
    """A clock that moves only when the test says so.

    Pass it as a verifier's ``clock`` (epoch seconds) or a
    `JwksCache`'s ``clock`` (monotonic seconds) to test
    expiry, cooldowns and refreshes exactly, without sleeping.

    Examples:
        >>> clock = ManualClock(1000.0)
        >>> clock.advance(61)
        >>> clock()
        1061.0
    """

    def __init__(self, start: float = 1000.0) -> None:
        self.now = float(start)

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move the clock forward by ``seconds``."""
        self.now += seconds


class JwksServer:
    """A JWKS endpoint on 127.0.0.1 (ephemeral port) that counts its requests.

    Args:
        body: returns the document to serve; called per request, so a test can
            change keys between requests.
        path: URL prefix; the JWKS lives at ``<path>/.well-known/jwks.json``.
    """

    def __init__(self, body: Any, *, path: str = "") -> None:
        self._body = body
        self.request_count = 0
        self._count_lock = threading.Lock()
        jwks_path = f"{path}/.well-known/jwks.json"
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                with outer._count_lock:
                    outer.request_count += 1
                if self.path != jwks_path:
                    self.send_error(404)
                    return
                payload = outer._body()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                """Silence per-request logging in test output."""

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{port}{jwks_path}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def close(self) -> None:
        """Stop serving and release the port."""
        self._server.shutdown()
        self._server.server_close()


# -- Identity-pool OpenID tokens ------------------------------------------------


def identity_pool_token(
    pool: FakeCognitoPool,
    identity_pool_id: str,
    *,
    authenticated: bool = True,
    providers: Sequence[str] = (),
    issuer: str | None = None,
    now: int | None = None,
    expires_in: int = 600,
    alg: str = "RS512",
    typ: str | None = "JWS",
    **overrides: Any,
) -> str:
    """An identity-pool OpenID token (`GetOpenIdToken`'s shape), signed by `pool`'s ID key.

    `aud` is the identity pool id, `sub` an identity id in its region, `amr`
    `["unauthenticated"]` for a guest or `["authenticated", *providers]`, and
    it lives 10 minutes, as AWS documents.  The header carries `alg` and
    `typ` `JWS`, as a published capture of a real token shows (`typ=None`
    leaves it out).  `issuer` defaults to `pool.issuer`, so the pool's JWKS
    server verifies it; other keyword arguments override claims (`None`
    removes one).
    """
    now = int(time.time()) if now is None else now
    region = identity_pool_id.split(":", 1)[0]
    claims: dict[str, Any] = {
        "sub": f"{region}:{uuid.uuid5(uuid.NAMESPACE_URL, identity_pool_id + '/identity')}",
        "aud": identity_pool_id,
        "amr": ["authenticated", *providers] if authenticated else ["unauthenticated"],
        "iss": issuer or pool.issuer,
        "iat": now,
        "exp": now + expires_in,
    }
    for name, value in overrides.items():
        if value is None:
            claims.pop(name, None)
        else:
            claims[name] = value
    header = {"kid": pool.id_kid, "alg": alg}
    if typ is not None:
        header["typ"] = typ
    return pool.sign(claims, header)


# -- Resource-bound access tokens -----------------------------------------------


def resource_bound_access_token(
    pool: FakeCognitoPool, resource: str | list[str], **kwargs: Any
) -> str:
    """An access token of `pool` bound to `resource` (RFC 8707), as Cognito issues it.

    Cognito puts the requested resource in `aud`, next to `client_id`, in access
    tokens from the authorization-code and implicit grants; client-credentials
    tokens never carry it.  Other keyword arguments are `access_token`'s.
    """
    return pool.access_token(aud=resource, **kwargs)


# -- EdDSA keys -------------------------------------------------------------------


def okp_jwk(public_key: Any, kid: str, *, alg: str | None = None) -> dict[str, str]:
    """The JWK (RFC 8037: `kty` `OKP`, `crv`, `x`) of an Ed25519 or Ed448 public key."""
    from cryptography.hazmat.primitives.asymmetric import ed448, ed25519

    if isinstance(public_key, ed25519.Ed25519PublicKey):
        crv = "Ed25519"
    elif isinstance(public_key, ed448.Ed448PublicKey):
        crv = "Ed448"
    else:
        raise TypeError(f"expected an Ed25519 or Ed448 public key, found {type(public_key)}")
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    jwk = {"kty": "OKP", "crv": crv, "kid": kid, "use": "sig", "x": b64url(raw)}
    if alg is not None:
        jwk["alg"] = alg
    return jwk


def sign_okp(private_key: Any, header: Mapping[str, Any], claims: Mapping[str, Any]) -> str:
    """A compact JWS of `claims` with exactly `header`, signed by an Ed25519/Ed448 key."""
    signing_input = (
        f"{b64url(json.dumps(dict(header)).encode())}.{b64url(json.dumps(dict(claims)).encode())}"
    )
    signature = private_key.sign(signing_input.encode("ascii"))
    return f"{signing_input}.{b64url(signature)}"


# -- Step-up authentication -------------------------------------------------------


def step_up_claims(
    level: int | str, methods: Sequence[str] = ("pwd",), *, auth_time: int | None = None
) -> dict[str, Any]:
    """The claims a sign-in at an authentication level adds, written as Cognito writes them.

    `acr` is a string (level `n` is `urn:cognito:loa:n`, Cognito's default
    name; a string is used as given, for a pool that renames its levels),
    `amr` a list of strings (AWS's example: `["pwd", "otp", "mfa"]`) and,
    when given, `auth_time` an integer NumericDate.  Pools without
    authentication levels (every real token we hold) carry neither `acr` nor
    `amr`, and neither do the kit's tokens unless these are added:

    Examples:
        >>> pool = FakeCognitoPool()
        >>> token = pool.id_token(**step_up_claims(3, ["pwd", "otp", "mfa"]))
        >>> pool.verifier(token_use="id", min_acr_level=2).verify(token)["acr"]
        'urn:cognito:loa:3'
    """
    if type(level) is int:
        if not 1 <= level <= 4:
            raise ValueError(f"level: expected 1-4, found {level}")
        acr = f"urn:cognito:loa:{level}"
    elif isinstance(level, str):
        acr = level
    else:
        raise TypeError(f"level: expected 1-4 or an acr name, found {level!r:.40}")
    claims: dict[str, Any] = {"acr": acr, "amr": [str(method) for method in methods]}
    if auth_time is not None:
        claims["auth_time"] = int(auth_time)
    return claims


# The API Gateway authorizer events, built as AWS sends them (`_testing_events`).
from cognito_jwt._testing_events import api_gateway_event  # noqa: E402

__all__ += ["api_gateway_event"]

_rehome(__name__, globals(), __all__)
