"""Helpers shared by the web-framework integration tests (FastAPI, Flask, DRF)."""

from __future__ import annotations

import base64
import json
import socket
import subprocess
import sys


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def tampered(token: str) -> str:
    """The token with its payload changed (``sub``) and the original signature kept."""
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = "someone-else"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


def closed_port_uri() -> str:
    """A JWKS URI on 127.0.0.1 where nothing listens (connection refused at once)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/.well-known/jwks.json"


def printed_after_importing_cognito_jwt(expression: str) -> str:
    """What a fresh interpreter prints for ``expression`` once cognito_jwt is imported."""
    code = f"import sys, cognito_jwt, cognito_jwt.testing; print({expression})"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


def configure_django(urlconf: str) -> None:
    """Configure Django once per process with the minimum DRF needs, no database.

    Whichever test module imports first configures it; the others get the same
    settings (views set their own DRF classes, and a module that serves URLs
    other than ``urlconf``'s overrides ``ROOT_URLCONF``).
    """
    import django
    from django.conf import settings

    if settings.configured:
        return
    settings.configure(
        SECRET_KEY="tests-only",
        ALLOWED_HOSTS=["testserver"],
        ROOT_URLCONF=urlconf,
        INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "rest_framework"],
        MIDDLEWARE=[],
        DATABASES={},
        REST_FRAMEWORK={
            "DEFAULT_AUTHENTICATION_CLASSES": [
                "cognito_jwt.integrations.drf.CognitoJwtAuthentication",
            ],
            "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
            "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
        },
        COGNITO_JWT={},
    )
    django.setup()
