"""A griffe extension for the API reference: show required arguments as ``required``.

`CognitoJwtVerifier(token_use=..., client_id=...)` and `JwtVerifier(audience=...)`
take a private sentinel as their default so that *leaving an argument out* is a
`ConfigurationError` while `None` stays an explicit choice.  mkdocstrings
renders a default from its source text, which would print the sentinel's
private name; a reader needs the meaning instead.
"""

from __future__ import annotations

from typing import Any

import griffe

#: The sentinel's name in the source, and what the reference shows instead.
SENTINEL = "_REQUIRED"
SHOWN = "required"


class RequiredDefaults(griffe.Extension):
    """Rewrite each ``= _REQUIRED`` parameter default to ``= required``."""

    def on_function_instance(self, *, func: griffe.Function, **kwargs: Any) -> None:
        """Called by griffe for every function and method it loads."""
        del kwargs
        for parameter in func.parameters:
            if parameter.default is not None and str(parameter.default) == SENTINEL:
                parameter.default = SHOWN
