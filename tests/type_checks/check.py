"""Check that mypy reports exactly the errors the type-check files expect.

Each ``*_refused.py`` file marks each line mypy must report with
``# E: <error code>``; its ``*_accepted.py`` twin marks none (verifier
arguments; typed claims).  This runs ``mypy --strict`` (the project's
configuration) on all of them and compares
the ``file:line: error [code]`` lines with the marks: a missing error means
a mistake the types stopped catching, an extra one a correct use they now
refuse.  ``nox -s lint`` runs it; run it by hand with
``python tests/type_checks/check.py``.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
FILES = (
    "verifier_arguments_refused.py",
    "verifier_arguments_accepted.py",
    "claims_typed_refused.py",
    "claims_typed_accepted.py",
)

_MARK = re.compile(r"#\s*E:\s*(?P<code>[a-z0-9-]+)\s*$")
_REPORTED = re.compile(r"^(?P<file>[^:\n]+):(?P<line>\d+): error: .*\[(?P<code>[a-z0-9-]+)\]$")

Finding = tuple[str, int, str]


def expected() -> set[Finding]:
    """Every ``# E: code`` mark, as (file name, line, code)."""
    marks: set[Finding] = set()
    for name in FILES:
        for number, text in enumerate((HERE / name).read_text().splitlines(), start=1):
            match = _MARK.search(text)
            if match:
                marks.add((name, number, match["code"]))
    return marks


def reported(output: str) -> set[Finding]:
    """Every error line of mypy's output, as (file name, line, code)."""
    found: set[Finding] = set()
    for text in output.splitlines():
        match = _REPORTED.match(text.strip())
        if match:
            found.add((Path(match["file"]).name, int(match["line"]), match["code"]))
    return found


def main() -> int:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-error-summary",
            "--hide-error-context",
            "--no-pretty",
            "--show-error-codes",
            *(str(HERE / name) for name in FILES),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    want, got = expected(), reported(proc.stdout)
    for name, line, code in sorted(want - got):
        print(f"{name}:{line}: expected error [{code}], mypy reported none")
    for name, line, code in sorted(got - want):
        print(f"{name}:{line}: unexpected error [{code}]")
    if proc.returncode not in (0, 1) or (not got and proc.returncode != 0):
        print(proc.stdout + proc.stderr)
        return 2
    if want != got:
        return 1
    print(f"type checks: {len(want)} expected error(s) reported, no other")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
