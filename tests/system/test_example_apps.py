"""The example apps run as their documentation says, against a fake pool over loopback.

Each ``examples/*_app.py`` documents one command that serves it on 127.0.0.1
against a `FakeCognitoPool` (``--fake-pool``).  These tests take that command
from the file's docstring, run it as a real process, and send the requests
it prints (tokens and ``curl`` lines) to the real server, checking the status
printed next to each: a reader who pastes them sees the same.  Then the
slips: a missing or invalid ``COGNITO_TOKEN_USE`` and a plain-http JWKS URL
each stop the start-up with a message saying why and what to do.
"""

from __future__ import annotations

import ast
import os
import queue
import re
import shlex
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
APPS = ["fastapi_app.py", "flask_app.py", "drf_app.py"]

#: The documented local command: ``COGNITO_TOKEN_USE=... python examples/x_app.py --fake-pool``.
_COMMAND = re.compile(
    r"^\s*COGNITO_TOKEN_USE=(?P<token_use>\S+) python (?P<script>examples/\w+\.py) --fake-pool$",
    re.MULTILINE,
)
#: How the production mode is started, per example (from each docstring).
PRODUCTION_ARGS = {"fastapi_app.py": [], "flask_app.py": [], "drf_app.py": ["runserver"]}
#: The longest wait for a process to print or exit: a guard against a hang, not a timing claim.
DEADLINE = 120.0


@dataclass(frozen=True)
class Command:
    token_use: str
    script: str


def documented_command(app: str) -> Command:
    """The one ``--fake-pool`` command in the example's docstring."""
    docstring = ast.get_docstring(ast.parse((EXAMPLES / app).read_text(encoding="utf-8"))) or ""
    found = [Command(m["token_use"], m["script"]) for m in _COMMAND.finditer(docstring)]
    assert len(found) == 1, f"{app}: expected one documented --fake-pool command, found {found}"
    assert found[0].script == f"examples/{app}"
    return found[0]


def clean_env(**variables: str) -> dict[str, str]:
    """The environment of a reader's shell: no COGNITO_* variable but those given."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COGNITO_", "DJANGO_"))}
    env["PYTHONPATH"] = str(ROOT)  # this checkout's cognito_jwt, as an editable install gives
    env.update(variables)
    return env


@dataclass
class Printed:
    tokens: dict[str, str]
    calls: list[tuple[str | None, str, int]]  # token name, URL, printed status


_TOKEN_LINE = re.compile(r"^(?P<name>[A-Z]+)=(?P<token>[\w.-]+)  # ")
_CURL_LINE = re.compile(r"^(?P<command>curl .*?)  # (?P<status>\d{3}): ")


def parse_printed(lines: list[str]) -> Printed:
    """The tokens and curl commands the example printed, read as a shell would."""
    printed = Printed({}, [])
    for line in lines:
        if (token := _TOKEN_LINE.match(line)) is not None:
            printed.tokens[token["name"]] = token["token"]
        elif (curl := _CURL_LINE.match(line)) is not None:
            argv = shlex.split(curl["command"])
            assert argv[:2] == ["curl", "-i"], line
            name = None
            if len(argv) == 5:
                assert argv[2] == "-H", line
                header = re.fullmatch(r"Authorization: Bearer \$(\w+)", argv[3])
                assert header is not None, line
                name = header[1]
            printed.calls.append((name, argv[-1], int(curl["status"])))
    return printed


@pytest.fixture
def running() -> Iterator[list[subprocess.Popen[str]]]:
    """Holds the started process; it is stopped (by its own handle) after the test."""
    processes: list[subprocess.Popen[str]] = []
    yield processes
    for process in processes:
        process.terminate()
        try:
            process.wait(timeout=DEADLINE)
        except subprocess.TimeoutExpired:  # pragma: no cover - only if terminate is ignored
            process.kill()
            process.wait()
        if process.stdout is not None:  # after the exit: the reader thread has seen EOF
            process.stdout.close()


def start(command: Command, processes: list[subprocess.Popen[str]], log: Path) -> list[str]:
    """Run the documented command; return what it printed up to its blank closing line."""
    with log.open("w") as stderr:  # the child keeps its own copy of the descriptor
        process = subprocess.Popen(
            [sys.executable, command.script, "--fake-pool"],
            cwd=ROOT,
            env=clean_env(COGNITO_TOKEN_USE=command.token_use),
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
    processes.append(process)
    lines: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line.rstrip("\n"))
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    printed: list[str] = []
    while True:
        try:
            line = lines.get(timeout=DEADLINE)
        except queue.Empty:  # pragma: no cover - a hung start-up
            pytest.fail(f"{command.script} printed no curl lines; stderr: {log.read_text()}")
        if line is None:
            pytest.fail(f"{command.script} exited early; stderr: {log.read_text()}")
        printed.append(line)
        if line == "" and any(p.startswith("curl ") for p in printed):
            return printed


def get(url: str, token: str | None) -> tuple[int, str]:
    """GET ``url`` (with the token, if any): the status and the ``WWW-Authenticate`` value."""
    request = urllib.request.Request(url)
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=DEADLINE) as response:
            return response.status, response.headers.get("WWW-Authenticate", "")
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("WWW-Authenticate", "")


@pytest.mark.parametrize("app", APPS)
def test_the_documented_fake_pool_command_serves_what_it_prints(
    app: str, running: list[subprocess.Popen[str]], tmp_path: Path
) -> None:
    command = documented_command(app)
    lines = start(command, running, tmp_path / "stderr.txt")
    printed = parse_printed(lines)

    served = re.search(r"serves its keys at (\S+)", "\n".join(lines))
    assert served is not None
    assert re.match(r"http://127\.0\.0\.1:\d+/", served[1])  # plain http, loopback only
    assert set(printed.tokens) == {"READER", "ADMIN"}
    assert {status for _, _, status in printed.calls} == {200, 401, 403}
    for name, url, status in printed.calls:
        assert re.match(r"http://127\.0\.0\.1:\d+/", url), url
        got, challenge = get(url, None if name is None else printed.tokens[name])
        assert (url, name, got) == (url, name, status)
        if got == 401:
            assert challenge == "Bearer"
        if got == 403:
            assert challenge.startswith('Bearer error="insufficient_scope"')
    # A token the printed pool did not sign is refused, however well formed.
    forged = printed.tokens["ADMIN"][:-8] + ("A" * 8)
    protected = next(url for name, url, status in printed.calls if status == 200 and name)
    assert get(protected, forged)[0] == 401


def test_each_documented_command_is_in_the_frameworks_guide() -> None:
    guide = (ROOT / "docs" / "frameworks.md").read_text(encoding="utf-8")
    for app in APPS:
        command = documented_command(app)
        assert f"COGNITO_TOKEN_USE={command.token_use} python {command.script} --fake-pool" in (
            guide
        )


_POOL = {"COGNITO_USER_POOL_ID": "eu-west-1_AbCdEf123", "COGNITO_CLIENT_ID": "1example23456789"}

#: (slip, --fake-pool?, environment, what stderr must say)
SLIPS = [
    (
        "token use missing",
        True,
        {},
        ["COGNITO_TOKEN_USE: expected 'access', 'id' or 'any' (both), it is not set", "security"],
    ),
    (
        "token use in capitals",
        False,
        {**_POOL, "COGNITO_TOKEN_USE": "ACCESS"},
        ["COGNITO_TOKEN_USE: expected 'access', 'id' or 'any' (both), found 'ACCESS'"],
    ),
    (
        "plain-http JWKS on another host",
        False,
        {
            **_POOL,
            "COGNITO_TOKEN_USE": "access",
            "COGNITO_JWKS_URI": "http://jwks.example.net/eu-west-1_AbCdEf123/.well-known/jwks.json",
        },
        [
            "jwks_uri: expected https, found 'http://jwks.example.net/",
            "plain http only from its own --fake-pool server on 127.0.0.1",
            "COGNITO_JWKS_URI must be https",
        ],
    ),
    (
        "plain-http JWKS on loopback, outside --fake-pool",
        False,
        {
            **_POOL,
            "COGNITO_TOKEN_USE": "access",
            "COGNITO_JWKS_URI": "http://127.0.0.1:9/eu-west-1_AbCdEf123/.well-known/jwks.json",
        },
        ["jwks_uri: expected https, found 'http://127.0.0.1:9/", "--fake-pool"],
    ),
    (
        "pool id missing",
        False,
        {"COGNITO_CLIENT_ID": "1example23456789", "COGNITO_TOKEN_USE": "access"},
        ["USER_POOL_ID"],
    ),
]


@pytest.mark.parametrize("app", APPS)
@pytest.mark.parametrize(("slip", "fake_pool", "env", "says"), SLIPS, ids=[s[0] for s in SLIPS])
def test_a_slip_stops_the_start_up_saying_why(
    app: str, slip: str, fake_pool: bool, env: dict[str, str], says: list[str]
) -> None:
    args = ["--fake-pool"] if fake_pool else PRODUCTION_ARGS[app]
    result = subprocess.run(
        [sys.executable, f"examples/{app}", *args],
        cwd=ROOT,
        env=clean_env(**env),
        capture_output=True,
        text=True,
        timeout=DEADLINE,
        check=False,
    )
    assert result.returncode == 1, (slip, result.stdout, result.stderr)
    assert result.stdout == ""  # nothing served, no curl printed
    for phrase in says:
        assert phrase in result.stderr, (slip, result.stderr)
    assert "Traceback" not in result.stderr
