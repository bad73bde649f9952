"""``python -m cognito_jwt``: the same command as the ``cognito-jwt`` script.

Useful where the console script is not on ``PATH`` (a bare venv, a Lambda
layer being debugged, a checkout without an install).
"""

from cognito_jwt.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
