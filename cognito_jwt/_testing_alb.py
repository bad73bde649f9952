"""The ALB part of the test kit: a fake Application Load Balancer and its key endpoint.

Re-exported from `cognito_jwt.testing`.  `FakeAlb` holds P-256 signing keys,
mints `x-amzn-oidc-data` tokens shaped like an ALB's (ES256; header `kid`,
`signer`, `iss`, `client`, `exp`; `=` padding by default) and serves one PEM
per kid on 127.0.0.1, as `https://public-keys.auth.elb.<region>.amazonaws.com/<kid>`
does.  Signing uses `cryptography` directly.

Examples:
    >>> from cognito_jwt.testing import FakeAlb
    >>> alb = FakeAlb()
    >>> with alb.serve_keys() as server:
    ...     verifier = alb.verifier(server)
    ...     verifier.verify(alb.token(email="bob@example.com"))["email"]
    'bob@example.com'
"""

from __future__ import annotations

import base64
import http.server
import json
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from cognito_jwt._alb import AlbJwtVerifier
from cognito_jwt._alb_keys import AlbKeyCache

__all__ = ["AlbKeyServer", "FakeAlb", "alb_segment"]

_DEFAULT_ARN = (
    "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/test-alb/50dc6c495c0c9188"
)


def alb_segment(data: bytes, *, padded: bool = True) -> str:
    """base64url of `data`, with `=` padding as an ALB writes it unless `padded=False`."""
    text = base64.urlsafe_b64encode(data).decode("ascii")
    return text if padded else text.rstrip("=")


class FakeAlb:
    """An ALB's signing keys and token shape, for tests.

    Args:
        alb_arn: the ARN put in the header's `signer`.
        issuer: the identity provider's issuer (header `iss`, payload `iss`).
        client_id: the app client id (header `client`).
    """

    def __init__(
        self,
        alb_arn: str = _DEFAULT_ARN,
        *,
        issuer: str = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_TestPool1",
        client_id: str = "testclient0123456789abcdef",
    ) -> None:
        self.alb_arn = alb_arn
        self.issuer = issuer
        self.client_id = client_id
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.kid = str(uuid.uuid4())
        self._published: dict[str, Any] = {self.kid: self.key.public_key()}

    # -- keys ---------------------------------------------------------------

    def pem(self, kid: str) -> bytes | None:
        """The PEM the endpoint serves for `kid`, or `None` if it has none."""
        public = self._published.get(kid)
        if public is None:
            return None
        return bytes(
            public.public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )

    def publish(self, kid: str, public_key: Any) -> None:
        """Serve `public_key` (any type `cryptography` can write as PEM) under `kid`."""
        self._published[kid] = public_key

    def rotate(self) -> str:
        """Sign with a new key from now on; the old one stays published.  Returns the new kid."""
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.kid = str(uuid.uuid4())
        self._published[self.kid] = self.key.public_key()
        return self.kid

    def unpublish(self, kid: str) -> None:
        """Stop serving `kid` (the endpoint then answers 404)."""
        self._published.pop(kid, None)

    # -- tokens -------------------------------------------------------------

    def token(
        self,
        *,
        expires_in: int = 120,
        now: int | None = None,
        padded: bool = True,
        header_overrides: Mapping[str, Any] | None = None,
        key: ec.EllipticCurvePrivateKey | None = None,
        **claim_overrides: Any,
    ) -> str:
        """A signed `x-amzn-oidc-data` token; `name=None` removes a claim or header field.

        The header and the payload both carry `exp` (`now + expires_in`) and `iss`.
        """
        issued = int(time.time()) if now is None else now
        exp = issued + expires_in
        header: dict[str, Any] = {
            "typ": "JWT",
            "kid": self.kid,
            "alg": "ES256",
            "iss": self.issuer,
            "client": self.client_id,
            "signer": self.alb_arn,
            "exp": exp,
        }
        claims: dict[str, Any] = {
            "sub": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{self.issuer}/alice")),
            "email_verified": "true",
            "email": "alice@example.com",
            "username": "alice",
            "exp": exp,
            "iss": self.issuer,
        }
        for target, overrides in ((header, header_overrides or {}), (claims, claim_overrides)):
            for name, value in overrides.items():
                if value is None:
                    target.pop(name, None)
                else:
                    target[name] = value
        return self.sign(header, claims, key=key, padded=padded)

    def sign(
        self,
        header: Mapping[str, Any],
        claims: Mapping[str, Any],
        *,
        key: ec.EllipticCurvePrivateKey | None = None,
        padded: bool = True,
    ) -> str:
        """ES256-sign exactly `header` and `claims` (default key: the current one)."""
        return self.sign_raw(
            json.dumps(dict(header)).encode(),
            json.dumps(dict(claims)).encode(),
            key=key,
            padded=padded,
        )

    def sign_raw(
        self,
        header: bytes,
        payload: bytes,
        *,
        key: ec.EllipticCurvePrivateKey | None = None,
        padded: bool = True,
    ) -> str:
        """ES256-sign arbitrary header and payload bytes, padded as an ALB pads."""
        signing_input = (
            f"{alb_segment(header, padded=padded)}.{alb_segment(payload, padded=padded)}"
        )
        der = (key or self.key).sign(signing_input.encode("ascii"), ec.ECDSA(hashes.SHA256()))
        r, s = decode_dss_signature(der)
        raw = r.to_bytes(32, "big") + s.to_bytes(32, "big")
        return f"{signing_input}.{alb_segment(raw, padded=padded)}"

    # -- verifiers and servers ---------------------------------------------

    def verifier(self, server: AlbKeyServer, **kwargs: Any) -> AlbJwtVerifier:
        """An `AlbJwtVerifier` for this ALB fetching from `server`, with a private key cache.

        Any verifier option passes through (`key_cache=` replaces the private cache).
        """
        kwargs.setdefault("issuer", self.issuer)
        kwargs.setdefault("client_id", self.client_id)
        if "fetcher" not in kwargs and "session" not in kwargs:
            kwargs.setdefault("key_cache", AlbKeyCache())
        return AlbJwtVerifier(
            alb_arn=kwargs.pop("alb_arn", self.alb_arn),
            key_endpoint=server.url,
            allow_http=True,
            **kwargs,
        )

    @contextmanager
    def serve_keys(self) -> Iterator[AlbKeyServer]:
        """Serve this ALB's *current* keys on 127.0.0.1 for the duration of the block."""
        server = AlbKeyServer(self.pem)
        try:
            yield server
        finally:
            server.close()


class AlbKeyServer:
    """A per-kid PEM endpoint on 127.0.0.1 (ephemeral port) that counts its requests.

    Args:
        pem_for: returns the PEM for a kid, `None` (answered 404) or an HTTP
            status to answer with; called per request, so keys published or
            withdrawn while serving show.
    """

    def __init__(self, pem_for: Any) -> None:
        self.request_count = 0
        self.requested: list[str] = []
        self._lock = threading.Lock()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                kid = self.path.lstrip("/")
                with outer._lock:
                    outer.request_count += 1
                    outer.requested.append(kid)
                body = pem_for(kid)
                if body is None or isinstance(body, int):
                    self.send_error(404 if body is None else body)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                """Silence per-request logging in test output."""

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def close(self) -> None:
        """Stop serving and release the port."""
        self._server.shutdown()
        self._server.server_close()
