"""Web-framework integrations, one module per framework.

Each integration lives in its own module and imports its framework at the top,
so that importing `cognito_jwt` itself never pulls a web framework in: a
Lambda authorizer or a CLI should not pay for (or even have installed) Flask or
Django.  Pick the module that matches your application and install the extra
that brings its framework:

* `cognito_jwt.integrations.fastapi` -- ``pip install "cognito-jwt[fastapi]"``
* `cognito_jwt.integrations.starlette` -- ``pip install "cognito-jwt[starlette]"``
* `cognito_jwt.integrations.litestar` -- ``pip install "cognito-jwt[litestar]"``
* `cognito_jwt.integrations.flask` -- ``pip install "cognito-jwt[flask]"``
* `cognito_jwt.integrations.drf` -- ``pip install "cognito-jwt[django]"``
* `cognito_jwt.integrations.django` -- ``pip install "cognito-jwt[django]"``
* `cognito_jwt.integrations.ninja` -- ``pip install "cognito-jwt[ninja]"``
* `cognito_jwt.integrations.powertools` -- ``pip install "cognito-jwt[powertools]"``

All of them are thin adapters over `cognito_jwt.http`, the framework-free
module that reads the token from the header the verifier names, checks the
route's requirement and maps every outcome to one HTTP answer (status,
RFC 6750 ``WWW-Authenticate`` challenge, ``{"error": ..., "reason": ...}``
body): 401 without a token or with a bad one, 400 for a token header sent
twice, 403 for a missing group or scope, 503 when the keys are unavailable.
An adapter for another framework is written the same way, over that module.
"""
