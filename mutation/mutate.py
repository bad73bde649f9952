"""Mutation testing of the security-critical modules: does the suite notice a wrong rule?

Coverage says a line ran; it does not say a test would fail if the line were
wrong.  This tool makes one small change at a time to a module (a mutant:
`<` for `<=`, `or` for `and`, a `raise` removed, ...), runs the tests that
cover the module against it, and counts the mutant *killed* when a test fails
(or the run exceeds its time limit), *survived* when every test passes.  A
survivor is a rule the tests do not pin: it gets a new test, or, when no input
can tell the mutant from the original (a fast path that the full rules behind
it would decide the same way), a row in the table of equivalent mutants in
`docs/security.md` with the reason.

Usage (``nox -s mutate`` runs it with the test dependencies installed)::

    python mutation/mutate.py                        # every module, 2 jobs
    python mutation/mutate.py --module claims        # one module
    python mutation/mutate.py --module token --limit 20   # 20 mutants, evenly spread
    python mutation/mutate.py --module claims --match check_time   # some mutants
    python mutation/mutate.py --list --module keys   # the mutants, without running

Each mutant runs in a process forked from one that has already imported the
test dependencies (pytest, hypothesis, cryptography, ...), and is served to
the tests by an import hook: the checkout is never written to.  The tests run
with ``-x`` (the first failure kills the mutant), the module's own tests first,
Hypothesis derandomized, as the suite runs them.

The exit status is 1 when a mutant survived that the docs do not list as
equivalent, or when a listed equivalent was killed (the listing is stale); the
report (``build/mutation/report.md`` and ``report.json``) says which.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import copy
import gc
import importlib
import importlib.abc
import importlib.util
import io
import json
import os
import re
import signal
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import CodeType, FrameType, ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: Where the equivalent mutants are listed, each with its reason.
EQUIVALENTS_DOC = ROOT / "docs" / "security.md"
EQUIVALENTS_HEADING = "### Equivalent mutants"

#: The suites that attack every module: each mutant's run ends with them.
CROSS_CUTTING = ("tests/test_attacks.py", "tests/test_properties.py")


@dataclass(frozen=True)
class Target:
    """A module under mutation and the tests that judge it (its own first)."""

    name: str
    path: str
    tests: tuple[str, ...]

    @property
    def module(self) -> str:
        return self.path.removesuffix(".py").replace("/", ".")


_CLAIMS_TESTS = ("tests/core/test_claims.py", "tests/core/test_verifier.py")
_ISSUER_TESTS = (
    "tests/core/test_issuer.py",
    "tests/core/test_verifier.py",
    "tests/core/test_step_up.py",
    "tests/core/test_token_cache.py",
    "tests/core/test_partitions.py",
    "tests/core/test_resource.py",
    "tests/core/test_custom_check_async.py",  # `verify_async`'s own check
)
_KEYS_TESTS = (
    "tests/keys/test_keys.py",
    "tests/keys/test_jwks.py",
    "tests/core/test_eddsa.py",
    "tests/core/test_verifier.py",
)
_AUTHORIZER_TESTS = (
    "tests/authorizer/test_authorizer_wildcards.py",
    "tests/authorizer/test_authorizer.py",
    "tests/authorizer/test_authorizer_cache_safety.py",
    "tests/authorizer/test_authorizer_rule_keys.py",
    "tests/authorizer/test_authorizer_spellings.py",
    "tests/authorizer/test_authorizer_limits.py",
    "tests/authorizer/test_step_up_authorizer.py",
    "tests/authorizer/test_authorizer_readme_settings.py",
)
#: The security-critical modules, each with the tests that cover it: its own
#: test file first, then the suites that exercise it through the verifier,
#: then the attack table and the properties.  Kept tight: every mutant runs
#: this selection, on a machine other work shares.
TARGETS: dict[str, Target] = {
    t.name: t
    for t in (
        Target("claims", "cognito_jwt/_claims.py", (*_CLAIMS_TESTS, *CROSS_CUTTING)),
        Target("claim_types", "cognito_jwt/_claim_types.py", (*_CLAIMS_TESTS, *CROSS_CUTTING)),
        Target(
            "token",
            "cognito_jwt/_token.py",
            (
                "tests/core/test_token.py",
                "tests/test_fast_paths.py",
                "tests/core/test_verifier.py",
                *CROSS_CUTTING,
            ),
        ),
        Target(
            "keys",
            "cognito_jwt/_keys.py",
            (
                "tests/keys/test_key_building.py",
                *_KEYS_TESTS,
                "tests/keys/test_private_keys_in_jwks.py",
                *CROSS_CUTTING,
            ),
        ),
        Target(
            "signature",
            "cognito_jwt/_signature.py",
            ("tests/keys/test_signature.py", *_KEYS_TESTS, *CROSS_CUTTING),
        ),
        Target("issuer", "cognito_jwt/_issuer.py", (*_ISSUER_TESTS, *CROSS_CUTTING)),
        Target(
            "issuer_settings",
            "cognito_jwt/_issuer_settings.py",
            (
                *_ISSUER_TESTS,
                "tests/keys/test_jwks.py",  # the key source: at most one way of four
                "tests/alb/test_alb.py",  # the settings every verifier kind shares
                "tests/core/test_reports.py",
                "tests/core/test_typed_claims.py",  # `ANY_CLIENT`, and `client_id=None`'s warning
                "tests/keys/test_discovery.py",  # a discovered issuer's settings (`replace`)
                *CROSS_CUTTING,
            ),
        ),
        Target(
            "token_cache",
            "cognito_jwt/_token_cache.py",
            (
                "tests/core/test_token_cache.py",
                "tests/core/test_token_cache_cold.py",
                "tests/core/test_step_up.py",  # a hit re-checks the sign-in's age
                *CROSS_CUTTING,
            ),
        ),
        Target("rules", "cognito_jwt/authorizer/_rules.py", _AUTHORIZER_TESTS),
        Target("policy", "cognito_jwt/authorizer/_policy.py", _AUTHORIZER_TESTS),
        Target("glob", "cognito_jwt/authorizer/_glob.py", _AUTHORIZER_TESTS),
    )
}


# --------------------------------------------------------------------------
# Mutants


@dataclass(frozen=True)
class Mutant:
    """One change to one module: the `index`-th site of the walk, `variant` of it."""

    target: str
    index: int
    line: int
    function: str
    before: str
    after: str
    #: The lines of the changed code (an `if`'s condition, not its body), from
    #: the first line of its statement (Python reports no line of its own for
    #: a constant folded into a tuple): the tests that run any of them are
    #: the mutant's tests.
    last_line: int = 0
    occurrence: int = 1
    first_line: int = 0

    @property
    def key(self) -> str:
        """Names the mutant without a line number, so a listing survives edits elsewhere."""
        text = f"{self.function}: {self.before} -> {self.after}"
        return text if self.occurrence == 1 else f"{text} (#{self.occurrence})"


_SWAPPED_COMPARISONS: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
}
#: Calls whose positional arguments are prose (messages, log lines): the
#: docs promise reasons, not wording, so mutating them tests nothing.
_PROSE_CALLS = re.compile(r"(.*Error|.*Exception|expected_found|shown|warn|debug|info|warning)$")
_SHOWN_MAX = 72
_TYPING_FORMS = frozenset({"Literal", "Final", "ClassVar", "Annotated", "TypeAlias"})
#: Functions that only word messages (which the docs let change between releases).
_PROSE_FUNCTIONS = frozenset({"__repr__", "__str__", "_one_of"})


def _short(node: ast.AST) -> str:
    text = " ".join(ast.unparse(node).split())
    return text if len(text) <= _SHOWN_MAX else text[: _SHOWN_MAX - 3] + "..."


def _call_name(node: ast.Call) -> str:
    func = node.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _skipped(tree: ast.Module) -> set[int]:
    """Ids of the nodes never mutated: prose, annotations, docstrings, `__all__`, reprs."""
    skipped: set[int] = set()

    def skip(node: ast.AST | None) -> None:
        if node is not None:
            skipped.update(id(n) for n in ast.walk(node))

    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                skip(body[0])  # the docstring
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            skip(node.returns)
            if node.name in _PROSE_FUNCTIONS:
                skip(node)
        elif isinstance(node, ast.arg | ast.AnnAssign):
            skip(node.annotation)
        elif isinstance(node, ast.JoinedStr | ast.Assert):
            skip(node)
        elif isinstance(node, ast.Call) and _PROSE_CALLS.match(_call_name(node)):
            for arg in node.args:
                skip(arg)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets):
                skip(node)
            if isinstance(node.value, ast.Call) and _call_name(node.value) in ("TypeVar",):
                skip(node)
        elif isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip(node)
        elif isinstance(node, ast.Subscript) and ast.unparse(node.value) in _TYPING_FORMS:
            skip(node)  # Literal['id', 'access']: a type, read by mypy only
        if isinstance(node, ast.ClassDef):
            for keyword in node.keywords:  # total=False, metaclass=...: typing, not rules
                skip(keyword)
    return skipped


def _parents(tree: ast.AST) -> dict[int, ast.AST]:
    return {id(child): node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}


def _function_of(node: ast.AST, parents: dict[int, ast.AST]) -> str:
    names = []
    current: ast.AST | None = node
    while current is not None:
        if isinstance(current, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.append(current.name)
        current = parents.get(id(current))
    return ".".join(reversed(names)) or "<module>"


def _replace(parent: ast.AST, old: ast.AST, new: ast.AST) -> None:
    """Put `new` where `old` is among `parent`'s fields."""
    for name, value in ast.iter_fields(parent):
        if value is old:
            setattr(parent, name, new)
            return
        if isinstance(value, list):
            for i, item in enumerate(value):
                if item is old:
                    value[i] = new
                    return
    raise LookupError(f"{old!r} is not a child of {parent!r}")


def _plus_one(node: ast.expr) -> ast.expr:
    return ast.BinOp(left=node, op=ast.Add(), right=ast.Constant(1))


def _edits(  # noqa: PLR0915 (one branch per operator reads better than a table)
    node: ast.AST, parents: dict[int, ast.AST]
) -> list[tuple[ast.AST, ast.AST, Any]]:
    """The mutations of `node`: (the code shown before, shown after, a function applying it).

    `mutants` lists them; `mutated_tree` walks a fresh parse the same way and
    calls the chosen one's function, which changes that tree in place.
    """
    edits: list[tuple[ast.AST, ast.AST, Any]] = []
    parent = parents.get(id(node))
    after: Any  # a copy of the node, changed as the mutant changes it (for display)

    if isinstance(node, ast.Compare):
        for i, op in enumerate(node.ops):
            swapped = _SWAPPED_COMPARISONS.get(type(op))
            if swapped is not None:
                after = copy.deepcopy(node)
                after.ops[i] = swapped()

                def apply(n: ast.Compare = node, i: int = i, s: Any = swapped) -> None:
                    n.ops[i] = s()

                edits.append((node, after, apply))
    elif isinstance(node, ast.BoolOp):
        after = copy.deepcopy(node)
        after.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()

        def apply_bool(n: ast.BoolOp = node) -> None:
            n.op = ast.Or() if isinstance(n.op, ast.And) else ast.And()

        edits.append((node, after, apply_bool))
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not) and parent is not None:

        def apply_not(n: ast.UnaryOp = node, p: ast.AST = parent) -> None:
            _replace(p, n, n.operand)

        edits.append((node, node.operand, apply_not))
    elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Sub):
        after = copy.deepcopy(node)
        after.op = ast.Sub() if isinstance(node.op, ast.Add) else ast.Add()

        def apply_arith(n: ast.BinOp = node) -> None:
            n.op = ast.Sub() if isinstance(n.op, ast.Add) else ast.Add()

        edits.append((node, after, apply_arith))
    elif isinstance(node, ast.AugAssign) and isinstance(node.op, ast.Add | ast.Sub):
        after = copy.deepcopy(node)
        after.op = ast.Sub() if isinstance(node.op, ast.Add) else ast.Add()

        def apply_aug(n: ast.AugAssign = node) -> None:
            n.op = ast.Sub() if isinstance(n.op, ast.Add) else ast.Add()

        edits.append((node, after, apply_aug))
    elif isinstance(node, ast.Constant) and parent is not None:
        new = _mutated_constant(node.value)
        if isinstance(parent, ast.keyword) and parent.arg == "reason" and new == "":
            new = "mutant"  # an empty reason falls back to the class default: test another
        if new is not _NO_MUTATION:
            shown, after = _constant_in_context(node, parent, new)

            def apply_const(n: ast.Constant = node, v: Any = new) -> None:
                n.value = v

            edits.append((shown, after, apply_const))
    elif isinstance(node, ast.Raise) and parent is not None:

        def apply_raise(n: ast.Raise = node, p: ast.AST = parent) -> None:
            _replace(p, n, ast.Pass())

        edits.append((_raise_summary(node), ast.Pass(), apply_raise))
    elif (
        isinstance(node, ast.Return)
        and node.value is not None
        and not (isinstance(node.value, ast.Constant) and node.value.value is None)
    ):

        def apply_return(n: ast.Return = node) -> None:
            n.value = ast.Constant(None)

        edits.append((node, ast.Return(ast.Constant(None)), apply_return))
    elif isinstance(node, ast.If | ast.IfExp):
        for forced in (True, False):

            def apply_if(n: ast.If | ast.IfExp = node, f: bool = forced) -> None:
                n.test = ast.Constant(f)

            edits.append((node.test, ast.Constant(forced), apply_if))
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        if node.func.id in ("any", "all"):
            other = "all" if node.func.id == "any" else "any"
            after = copy.deepcopy(node)
            assert isinstance(after.func, ast.Name)
            after.func.id = other

            def apply_call(n: ast.Call = node, o: str = other) -> None:
                assert isinstance(n.func, ast.Name)
                n.func = ast.Name(o, ast.Load())

            edits.append((node, after, apply_call))
    elif isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load):
        index = node.slice
        if isinstance(index, ast.Slice):
            for bound in ("lower", "upper"):
                value = getattr(index, bound)
                if value is not None:
                    after = copy.deepcopy(node)
                    assert isinstance(after.slice, ast.Slice)
                    setattr(after.slice, bound, _plus_one(getattr(after.slice, bound)))

                    def apply_slice(s: ast.Slice = index, b: str = bound) -> None:
                        setattr(s, b, _plus_one(getattr(s, b)))

                    edits.append((node, after, apply_slice))
        elif isinstance(index, ast.Constant) and type(index.value) is int:
            after = copy.deepcopy(node)
            after.slice = ast.Constant(index.value + 1)

            def apply_index(n: ast.Subscript = node, i: int = index.value) -> None:
                n.slice = ast.Constant(i + 1)

            edits.append((node, after, apply_index))
    return edits


_NO_MUTATION = object()


def _constant_in_context(
    node: ast.Constant, parent: ast.AST, new: object
) -> tuple[ast.AST, ast.AST]:
    """A constant is shown with its parent (`claims.get('exp')`, not `'exp'`), when short."""
    if len(ast.unparse(parent)) > _SHOWN_MAX or not isinstance(
        parent, ast.stmt | ast.expr | ast.keyword
    ):
        return node, ast.Constant(new)  # type: ignore[arg-type]
    position = [id(n) for n in ast.walk(parent)].index(id(node))
    after = copy.deepcopy(parent)
    changed = list(ast.walk(after))[position]
    assert isinstance(changed, ast.Constant)
    changed.value = new  # type: ignore[assignment]
    return parent, after


def _raise_summary(node: ast.Raise) -> ast.AST:
    """`raise InvalidClaimError(..., reason='invalid_claim_type')`: the class and reason only."""
    exc = node.exc
    if not isinstance(exc, ast.Call):
        return node
    reason = [k for k in exc.keywords if k.arg == "reason"]
    summary = ast.Call(exc.func, [ast.Constant(Ellipsis)] if exc.args else [], reason)
    return ast.Raise(summary, None)


def _mutated_constant(value: object) -> object:
    if value is True or value is False:
        return not value
    if type(value) is int:
        return {0: 1, 1: 0}.get(value, value + 1)
    if type(value) is float:
        return value + 1.0
    if type(value) is str:
        return "" if value else "mutant"
    if type(value) is bytes:
        return b"" if value else b"mutant"
    return _NO_MUTATION


def _sites(tree: ast.Module) -> Iterator[tuple[int, ast.AST]]:
    """Every node in a fixed order, numbered: the same numbers on every parse."""
    yield from enumerate(ast.walk(tree))


def mutants(target: Target, source: str | None = None) -> list[Mutant]:
    """Every mutant of `target` (of `source`, when given, instead of the file)."""
    text = source if source is not None else (ROOT / target.path).read_text(encoding="utf-8")
    tree = ast.parse(text)
    skipped = _skipped(tree)
    parents = _parents(tree)
    found: list[Mutant] = []
    seen: dict[str, int] = {}
    index = 0
    for _, node in _sites(tree):
        if id(node) in skipped:
            continue
        changed = node.test if isinstance(node, ast.If | ast.IfExp) else node
        for before, after, _apply in _edits(node, parents):
            mutant = Mutant(
                target=target.name,
                index=index,
                line=getattr(changed, "lineno", 0),
                function=_function_of(node, parents),
                before=_short(before),
                after=_short(after),
                last_line=getattr(changed, "end_lineno", 0) or getattr(changed, "lineno", 0),
                first_line=_statement_line(changed, parents),
            )
            index += 1
            seen[mutant.key] = seen.get(mutant.key, 0) + 1
            if seen[mutant.key] > 1:
                mutant = Mutant(**{**asdict(mutant), "occurrence": seen[mutant.key]})
            found.append(mutant)
    return found


def _statement_line(node: ast.AST, parents: dict[int, ast.AST]) -> int:
    """The first line of the statement holding `node` (itself, if it is one)."""
    current: ast.AST | None = node
    while current is not None and not isinstance(current, ast.stmt):
        current = parents.get(id(current))
    return getattr(current if current is not None else node, "lineno", 0)


def mutated_tree(target: Target, index: int, source: str | None = None) -> ast.Module:
    """The module's tree with mutant number `index` applied."""
    text = source if source is not None else (ROOT / target.path).read_text(encoding="utf-8")
    tree = ast.parse(text)
    skipped = _skipped(tree)
    parents = _parents(tree)
    count = 0
    for _, node in list(_sites(tree)):
        if id(node) in skipped:
            continue
        for _before, _after, apply in _edits(node, parents):
            if count == index:
                apply()
                return ast.fix_missing_locations(tree)
            count += 1
    raise IndexError(f"{target.name} has {count} mutants, not {index + 1}")


# --------------------------------------------------------------------------
# Running


class _MutantFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Serves the mutated code for one module name; every other import is untouched."""

    def __init__(self, name: str, path: str, code: CodeType) -> None:
        self.name, self.path, self.code = name, path, code

    def find_spec(self, fullname: str, _path: Any = None, _target: Any = None) -> Any:
        if fullname != self.name:
            return None
        return importlib.util.spec_from_loader(fullname, self, origin=self.path)

    def create_module(self, _spec: Any) -> None:
        return None

    def exec_module(self, module: ModuleType) -> None:
        module.__file__ = self.path
        exec(self.code, module.__dict__)  # noqa: S102 (the mutant is our own module, changed)


class _Recorder:
    """A pytest plugin: the first failed test (a mutant's killer) and, on the
    baseline run, which tests run which lines of the module under mutation.

    Lines run while no test runs (the import, during collection) belong to
    every test: a mutant there changes what every test imports.
    """

    def __init__(
        self,
        path: str | None,
        keep: frozenset[str] | None,
        limits: dict[str, float] | None = None,
    ) -> None:
        self.killer = ""
        self.path = path
        self.keep = keep
        self.limits = limits or {}
        #: The test stopped by its time limit, if one was.
        self.timed_out = ""
        self.current = IMPORT_TIME
        self.lines: dict[int, dict[str, None]] = {}
        #: Seconds each test took (setup, call and teardown), for the mutants' time limits.
        self.durations: dict[str, float] = {}

    def pytest_collection_modifyitems(self, items: list[Any]) -> None:
        if self.keep is not None:
            items[:] = [item for item in items if item.nodeid in self.keep]

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(self, item: Any) -> Iterator[None]:
        self.current = item.nodeid
        limit = self.limits.get(item.nodeid)
        if limit is not None:
            signal.signal(signal.SIGALRM, self._stop)
            signal.setitimer(signal.ITIMER_REAL, limit)
        try:
            yield
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            self.current = IMPORT_TIME

    def _stop(self, _signum: int, _frame: Any) -> None:
        """The running test is over its limit (a mutant's endless loop): fail it."""
        self.timed_out = self.current
        raise _TestTimeout(f"{self.current}: over its time limit")

    def pytest_runtest_logreport(self, report: Any) -> None:
        self.durations[report.nodeid] = self.durations.get(report.nodeid, 0.0) + report.duration
        if report.failed and not self.killer:
            self.killer = report.nodeid

    def pytest_collectreport(self, report: Any) -> None:
        if report.failed and not self.killer:
            self.killer = f"{report.nodeid} (collection)"

    def trace(self, frame: FrameType, _event: str, _arg: Any) -> Any:
        """`sys.settrace`'s function: line events in the module's own frames only."""
        if frame.f_code.co_filename != self.path:
            return None
        self._record(frame.f_lineno)
        return self._line

    def _line(self, frame: FrameType, event: str, _arg: Any) -> Any:
        if event == "line":
            self._record(frame.f_lineno)
        return self._line

    def _record(self, line: int) -> None:
        self.lines.setdefault(line, {})[self.current] = None


#: The context of lines run outside any test: at import, during collection.
IMPORT_TIME = "<import>"


class _TestTimeout(BaseException):
    """Raised in a test over its time limit; a `BaseException`, so `except Exception` in
    the code under test cannot swallow it (pytest reports it as the test's failure)."""


@dataclass
class Outcome:
    mutant: Mutant
    status: str  # killed, timeout, survived, uncovered, equivalent, equivalent-killed
    seconds: float
    killer: str = ""
    reason: str = ""


@dataclass
class Run:
    target: Target
    baseline_seconds: float
    outcomes: list[Outcome] = field(default_factory=list)
    seconds: float = 0.0


def _pytest_args(files: Sequence[str], extra: Sequence[str]) -> list[str]:
    # A module preloaded by the parent cannot be assertion-rewritten; pytest
    # warns about the plugins' own modules, which hold no test of ours.
    quiet = ["-W", "ignore::pytest.PytestAssertRewriteWarning"]
    return ["-x", "-q", "-p", "no:cacheprovider", *quiet, *extra, *files]


@dataclass(frozen=True)
class _Plan:
    """What one child runs: the mutant's tree (none for the baseline) and its tests."""

    target: Target
    tree: ast.Module | None
    files: tuple[str, ...]
    keep: frozenset[str] | None  # node ids; None: every test of the files
    trace: bool
    #: Each test's time limit (node id -> seconds); none on the baseline.
    limits: dict[str, float] | None = None


#: The exit status of a child that failed before pytest ran (pytest's own are 0-5).
_TOOL_FAILED = 99


def _child(plan: _Plan, result_path: str, extra: Sequence[str]) -> None:
    """In the forked process: serve the mutant (if any), run the tests, exit with pytest's code."""
    code = _TOOL_FAILED
    try:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.setpgid(0, 0)
        log = os.open(result_path + ".log", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.chdir(ROOT)
        sys.path.insert(0, str(ROOT))  # this checkout's package, whatever is installed
        # Bytecode (and pytest's rewritten tests) cached outside the checkout:
        # the baseline compiles, every mutant after it reads.
        sys.dont_write_bytecode = False
        sys.pycache_prefix = str(Path(result_path).parent / "pycache")
        path = str(ROOT / plan.target.path)
        _forget_ours()
        if plan.tree is not None:
            code_object = compile(plan.tree, path, "exec")
            sys.meta_path.insert(0, _MutantFinder(plan.target.module, path, code_object))
        recorder = _Recorder(path if plan.trace else None, plan.keep, plan.limits)
        if plan.trace:
            threading.settrace(recorder.trace)
            sys.settrace(recorder.trace)
        code = int(pytest.main(_pytest_args(plan.files, extra), plugins=[recorder]))
        sys.settrace(None)
        result = {
            "killer": recorder.killer,
            "modules": sorted(sys.modules),
            "rsa_keys": _RSA_KEYS.requested,
            "lines": {line: list(tests) for line, tests in recorder.lines.items()},
            "durations": recorder.durations,
            "timed_out": recorder.timed_out,
        }
        with open(result_path, "w", encoding="utf-8") as f:
            json.dump(result, f)
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        os._exit(code)


#: Where the code under test lives: a fork must import all of it afresh.
_FRESH = tuple(ROOT / d for d in ("cognito_jwt", "tests", "examples"))


def _ours(name: str, module: ModuleType | None) -> bool:
    """True for the package, the tests and the examples: never kept across forks."""
    if name.split(".", maxsplit=1)[0] in ("cognito_jwt", "conftest"):
        return True
    file = getattr(module, "__file__", None)
    return file is not None and any(Path(file).resolve().is_relative_to(d) for d in _FRESH)


def _forget_ours() -> None:
    """Drop the package and the tests' helpers from `sys.modules` (a mutant must be imported)."""
    for name, module in list(sys.modules.items()):
        if _ours(name, module):
            del sys.modules[name]


def _preload(names: Sequence[str]) -> None:
    """Import, in the parent, the third-party modules a test run imported: each fork inherits them.

    Never the package or the tests: each mutant imports those afresh.
    """
    for name in names:
        top = name.split(".")[0]
        if name in sys.modules or top in ("cognito_jwt", "conftest") or top.startswith("test"):
            continue
        with contextlib.suppress(Exception), contextlib.redirect_stderr(io.StringIO()):
            importlib.import_module(name)
    _forget_ours()  # a third-party module that imported the package, or a helper of the tests


class _RsaKeys:
    """RSA keys made once, before the forks: a child takes them in the order it asks.

    Key generation is a third of a mutant's run (the test kit's pools and the
    suites' own keys: each process makes its own).  Every call still gets a
    key no other call of the same process gets, as with fresh keys; only the
    randomness is spent once instead of once per mutant.
    """

    def __init__(self) -> None:
        self.requested: list[list[int]] = []
        self.made: dict[tuple[int, int], list[Any]] = {}
        self.taken: dict[tuple[int, int], int] = {}
        self.original: Any = None

    def install(self) -> None:
        from cryptography.hazmat.primitives.asymmetric import rsa

        if self.original is None:
            self.original = rsa.generate_private_key
            setattr(rsa, "generate_private_key", self.generate_private_key)  # noqa: B010

    def generate_private_key(self, public_exponent: int, key_size: int, **_: Any) -> Any:
        self.requested.append([public_exponent, key_size])
        kind = (public_exponent, key_size)
        made = self.made.get(kind, [])
        index = self.taken.get(kind, 0)
        self.taken[kind] = index + 1
        if index < len(made):
            return made[index]
        return self.original(public_exponent=public_exponent, key_size=key_size)

    def generate(self, requested: Sequence[Sequence[int]]) -> None:
        """Make, in the parent, the keys the baseline asked for (children inherit them)."""
        wanted = Counter((e, size) for e, size in requested)
        for (public_exponent, key_size), count in wanted.items():
            made = self.made.setdefault((public_exponent, key_size), [])
            while len(made) < count:
                made.append(self.original(public_exponent=public_exponent, key_size=key_size))


_RSA_KEYS = _RsaKeys()


@dataclass
class _Job:
    pid: int
    mutant: Mutant | None
    started: float
    result_path: Path
    #: Seconds after which the run counts as a timeout (the mutant is killed).
    limit: float = float("inf")


def _start(plan: _Plan, mutant: Mutant | None, workdir: Path, extra: Sequence[str]) -> _Job:
    name = mutant.index if mutant is not None else "baseline"
    result_path = workdir / f"{plan.target.name}-{name}.json"
    result_path.unlink(missing_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        _child(plan, str(result_path), extra)
    return _Job(pid, mutant, time.monotonic(), result_path)


def _result(job: _Job) -> dict[str, Any]:
    try:
        value = json.loads(job.result_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _first_error_line(log: Path) -> str:
    """What pytest said when it stopped before any test (`E   TypeError: ...`)."""
    try:
        lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return "(no log)"
    errors = [line.removeprefix("E").strip() for line in lines if line.startswith("E ")]
    return f"(before any test) {errors[-1] if errors else lines[0] if lines else ''}"[:200]


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


#: A mutant's run may take this many times as long as its tests took in the
#: traced baseline (which tracing already slows down) ...
TIME_FACTOR = 3
#: ... and never less than this (pytest's start and the collection of the files).
MIN_SECONDS = 30.0


@dataclass
class _Coverage:
    """Which tests run which lines, from the baseline run, in the order pytest ran them."""

    order: dict[str, int]
    lines: dict[int, list[str]]
    #: Seconds each test took in the baseline.
    durations: dict[str, float] = field(default_factory=dict)

    def test_limits(self) -> dict[str, float]:
        """Each test's own limit: a mutant looping in its first test is stopped then."""
        return {test: max(MIN_SECONDS, TIME_FACTOR * d) for test, d in self.durations.items()}

    def time_limit(self, keep: frozenset[str] | None) -> float:
        """How long a mutant running the tests `keep` (every test: `None`) may take.

        Measured per mutant, not for the whole selection: a mutant that loops
        forever in one test of a few is stopped in seconds, not minutes.
        """
        tests = self.durations.keys() if keep is None else keep
        expected = sum(self.durations.get(test, 0.0) for test in tests)
        return max(MIN_SECONDS, TIME_FACTOR * expected)

    def tests_for(
        self, mutant: Mutant, target: Target
    ) -> tuple[tuple[str, ...], frozenset[str] | None]:
        """The mutant's test files and node ids; every test when its lines run at import."""
        found: set[str] = set()
        first = min(mutant.first_line or mutant.line, mutant.line)
        for line in range(first, max(mutant.line, mutant.last_line) + 1):
            found.update(self.lines.get(line, ()))
        if IMPORT_TIME in found:  # every test of the selection, those that run no line too
            return target.tests, None
        files = tuple(f for f in target.tests if any(t.split("::")[0] == f for t in found))
        return files, frozenset(found)


def run_baseline(target: Target, workdir: Path, extra: Sequence[str]) -> tuple[float, _Coverage]:
    """Run the unmutated selection, tracing the module's lines: it must pass.

    Its trace sets each mutant's tests, and its tests' times each mutant's time limit.
    """
    _RSA_KEYS.install()
    plan = _Plan(target, None, target.tests, None, trace=True)
    job = _start(plan, None, workdir, extra)
    _, status = os.waitpid(job.pid, 0)
    seconds = time.monotonic() - job.started
    code = os.waitstatus_to_exitcode(status)
    result = _result(job)
    if code != 0 or not result:
        raise SystemExit(
            f"{target.name}: the tests fail without any mutant (pytest exit {code}, "
            f"see {job.result_path}.log): "
            f"python -m pytest {' '.join(_pytest_args(target.tests, extra))}"
        )
    _preload(result["modules"])
    _RSA_KEYS.generate(result["rsa_keys"])
    gc.freeze()  # the preloaded heap: never scanned again by a child's collections
    lines = {int(line): tests for line, tests in result["lines"].items()}
    order: dict[str, int] = {}
    for tests in lines.values():
        for test in tests:
            order.setdefault(test, len(order))
    return seconds, _Coverage(order, lines, result.get("durations", {}))


def run_target(
    target: Target,
    selected: Sequence[Mutant],
    equivalents: dict[tuple[str, str], str],
    *,
    jobs: int,
    workdir: Path,
    extra: Sequence[str],
    progress: bool,
) -> Run:
    started = time.monotonic()
    baseline, coverage = run_baseline(target, workdir, extra)
    run = Run(target, baseline)
    pending = list(selected)
    running: dict[int, _Job] = {}
    marks = {"killed": ".", "timeout": "T", "survived": "S", "uncovered": "U", "equivalent": "e"}

    def finish(mutant: Mutant, status: str, seconds: float, killer: str) -> None:
        reason = equivalents.get((target.path, mutant.key), "")
        if reason:
            status = "equivalent" if status in ("survived", "uncovered") else "equivalent-killed"
        run.outcomes.append(Outcome(mutant, status, round(seconds, 2), killer, reason))
        if progress:
            print(marks.get(status, "!"), end="", flush=True)

    try:
        _schedule(
            target,
            pending,
            running,
            coverage=coverage,
            jobs=jobs,
            finish=finish,
            workdir=workdir,
            extra=extra,
        )
    finally:  # interrupted: no mutant outlives the run
        for job in running.values():
            _kill(job.pid)
    run.seconds = time.monotonic() - started
    run.outcomes.sort(key=lambda o: o.mutant.index)
    if progress:
        print()
    return run


def _schedule(
    target: Target,
    pending: list[Mutant],
    running: dict[int, _Job],
    *,
    coverage: _Coverage,
    jobs: int,
    finish: Any,
    workdir: Path,
    extra: Sequence[str],
) -> None:
    """Run the pending mutants, `jobs` at a time; `finish` records each verdict."""
    while pending or running:
        while pending and len(running) < jobs:
            mutant = pending.pop(0)
            files, keep = coverage.tests_for(mutant, target)
            if not files:
                finish(mutant, "uncovered", 0.0, "")
                continue
            plan = _Plan(
                target,
                mutated_tree(target, mutant.index),
                files,
                keep,
                trace=False,
                limits=coverage.test_limits(),
            )
            job = _start(plan, mutant, workdir, extra)
            job.limit = coverage.time_limit(keep)
            running[job.pid] = job
        if not running:
            continue
        pid, status = os.waitpid(-1, os.WNOHANG)
        now = time.monotonic()
        finished: list[tuple[_Job, str]] = []
        if pid in running:
            job = running.pop(pid)
            code = os.waitstatus_to_exitcode(status)
            # pytest: 0 all passed, 1 a test failed, 2 collection failed, 3 an
            # internal error, 4 conftest failed to import (the baseline passed
            # with the same arguments: the mutant broke it); 5 would be no
            # test at all, and anything else is this tool's failure.
            verdicts = {0: "survived", 1: "killed", 2: "killed", 3: "killed", 4: "killed"}
            finished.append((job, verdicts.get(code, "error")))
        for job in list(running.values()):
            if now - job.started > job.limit:
                _kill(job.pid)
                os.waitpid(job.pid, 0)
                del running[job.pid]
                finished.append((job, "timeout"))
        for job, exit_verdict in finished:
            assert job.mutant is not None
            result = _result(job)
            killer = str(result.get("killer", ""))
            verdict = exit_verdict
            if verdict == "killed" and result.get("timed_out"):  # a test over its own limit
                verdict, killer = "timeout", str(result["timed_out"])
            if verdict == "error":
                raise SystemExit(f"{job.mutant.key}: pytest did not run, see {job.result_path}.log")
            if verdict == "killed" and not killer:
                killer = _first_error_line(Path(f"{job.result_path}.log"))
            finish(job.mutant, verdict, now - job.started, killer)
            job.result_path.unlink(missing_ok=True)
            Path(f"{job.result_path}.log").unlink(missing_ok=True)
        if not finished:
            time.sleep(0.02)


# --------------------------------------------------------------------------
# The equivalents table and the report


def read_equivalents(doc: Path = EQUIVALENTS_DOC) -> dict[tuple[str, str], str]:
    """`(file, mutant key) -> reason`, from the table under `EQUIVALENTS_HEADING`.

    Rows read ``| `file` | `key` | reason |``; a ``|`` inside a cell is written ``\\|``.
    """
    lines = doc.read_text(encoding="utf-8").splitlines()
    try:
        start = lines.index(EQUIVALENTS_HEADING)
    except ValueError:
        return {}
    found: dict[tuple[str, str], str] = {}
    for line in lines[start + 1 :]:
        if line.startswith("#"):
            break
        if not line.startswith("| `"):
            continue
        cells = [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", line)[1:-1]]
        if len(cells) != 3:
            raise ValueError(f"{doc}: an equivalent mutant's row has 3 cells: {line!r}")
        path, key, reason = cells[0].strip("`"), cells[1].strip("`"), cells[2]
        found[(path, key)] = reason
    return found


def _figures(run: Run) -> dict[str, Any]:
    statuses = ("killed", "timeout", "survived", "uncovered", "equivalent", "equivalent-killed")
    counts = dict.fromkeys(statuses, 0)
    for outcome in run.outcomes:
        counts[outcome.status] += 1
    return {
        "module": run.target.path,
        "mutants": len(run.outcomes),
        **counts,
        "baseline_seconds": round(run.baseline_seconds, 1),
        "seconds": round(run.seconds, 1),
    }


def write_report(runs: Sequence[Run], directory: Path, sampled: bool) -> bool:
    """Write report.json and report.md; True when every mutant is killed or listed."""
    directory.mkdir(parents=True, exist_ok=True)
    data = {
        "sampled": sampled,
        "modules": [
            {
                **_figures(run),
                "outcomes": [
                    {
                        "line": o.mutant.line,
                        "key": o.mutant.key,
                        "status": o.status,
                        "seconds": o.seconds,
                        "killer": o.killer,
                        "reason": o.reason,
                    }
                    for o in run.outcomes
                ],
            }
            for run in runs
        ],
    }
    (directory / "report.json").write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    out = [
        "| module | mutants | killed | timeout | equivalent | survived | time |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    clean = True
    problems: list[str] = []
    for run in runs:
        f = _figures(run)
        out.append(
            f"| `{f['module']}` | {f['mutants']} | {f['killed']} | {f['timeout']} | "
            f"{f['equivalent']} | {f['survived']} | {f['seconds']:.0f} s |"
        )
        for o in sorted(run.outcomes, key=lambda o: (o.mutant.line, o.mutant.index)):
            where = f"{run.target.path}:{o.mutant.line}"
            if o.status in ("survived", "uncovered"):
                problems.append(f"- {o.status}: `{where}` `{o.mutant.key}`")
            elif o.status == "equivalent-killed":
                problems.append(
                    f"- listed as equivalent but killed by {o.killer or 'a timeout'}: "
                    f"`{where}` `{o.mutant.key}`"
                )
    if problems:
        clean = False
        out += ["", *problems]
    if sampled:
        out += ["", "(a selection: `--limit`, `--match` or `--rerun` chose the mutants)"]
    (directory / "report.md").write_text("\n".join(out) + "\n", encoding="utf-8")
    print("\n".join(out))
    return clean


def _survivors(report: Path) -> set[tuple[str, str]]:
    """`(file, key)` of each mutant a report.json says survived (or no test ran)."""
    data = json.loads(report.read_text(encoding="utf-8"))
    return {
        (module["module"], outcome["key"])
        for module in data["modules"]
        for outcome in module["outcomes"]
        if outcome["status"] in ("survived", "uncovered")
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--module", action="append", choices=sorted(TARGETS), help="repeatable; default: all"
    )
    parser.add_argument("--limit", type=int, help="at most N mutants per module, evenly spread")
    parser.add_argument("--match", help="only mutants whose key contains this text")
    parser.add_argument(
        "--rerun", type=Path, help="only the mutants a previous report.json lists as surviving"
    )
    parser.add_argument("--jobs", type=int, default=2, help="mutants run at once (default 2)")
    parser.add_argument("--list", action="store_true", help="print the mutants, run nothing")
    parser.add_argument("--report", type=Path, default=ROOT / "build" / "mutation")
    parser.add_argument("pytest_args", nargs="*", help="extra pytest arguments (after --)")
    args = parser.parse_args(argv)
    # Stopped from outside: unwind, so the running mutants are killed too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    equivalents = read_equivalents()
    runs: list[Run] = []
    sampled = bool(args.limit or args.match or args.rerun)
    workdir = args.report / "tmp"
    workdir.mkdir(parents=True, exist_ok=True)
    for name in args.module or list(TARGETS):
        target = TARGETS[name]
        selected = mutants(target)
        if args.match:
            selected = [m for m in selected if args.match in m.key]
        if args.rerun:
            survivors = _survivors(args.rerun)
            selected = [m for m in selected if (target.path, m.key) in survivors]
        if args.limit and len(selected) > args.limit:
            step = len(selected) / args.limit
            selected = [selected[int(i * step)] for i in range(args.limit)]
        if args.list:
            for m in sorted(selected, key=lambda m: m.line):
                listed = " [equivalent]" if (target.path, m.key) in equivalents else ""
                print(f"{target.path}:{m.line}: {m.key}{listed}")
            continue
        print(f"{target.path}: {len(selected)} mutants, tests {' '.join(target.tests)}")
        runs.append(
            run_target(
                target,
                selected,
                equivalents,
                jobs=args.jobs,
                workdir=workdir,
                extra=args.pytest_args,
                progress=True,
            )
        )
        write_report(runs, args.report, sampled)  # after each module: a partial run is kept
    if args.list:
        return 0
    return 0 if write_report(runs, args.report, sampled) else 1


if __name__ == "__main__":
    sys.exit(main())
