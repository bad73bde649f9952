"""Web-framework integrations: FastAPI/Starlette, Flask and Django REST framework.

Each integration lives in its own module and imports its framework at the top,
so that importing `cognito_jwt` itself never pulls a web framework in: a
Lambda authorizer or a CLI should not pay for (or even have installed) Flask or
Django.  Pick the module that matches your application and install the extra
that brings its framework:

* `cognito_jwt.integrations.fastapi` -- ``pip install "cognito-jwt[fastapi]"``
* `cognito_jwt.integrations.flask` -- ``pip install "cognito-jwt[flask]"``
* `cognito_jwt.integrations.drf` -- ``pip install "cognito-jwt[django]"``

All three answer a rejected request the same way, driven by the error's
``status_code`` so that the HTTP semantics live in one place (the error
hierarchy) rather than being re-decided per framework:

* no bearer token: **401** with ``WWW-Authenticate: Bearer`` (no error code,
  as RFC 6750 section 3.1 asks when the client sent no credentials);
* `InvalidTokenError`: **401** with
  ``WWW-Authenticate: Bearer error="invalid_token"``;
* `AccessDeniedError` (missing group or scope):
  **403** with ``WWW-Authenticate: Bearer error="insufficient_scope"``;
* `JwksUnavailableError`: **503**, no challenge
  (the token may be fine; the server cannot check it right now).

Response bodies are a short JSON object with ``error`` and ``reason``; they
never contain the token, a stack trace or the exception message.
"""
