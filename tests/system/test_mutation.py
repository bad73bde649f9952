"""The mutation-testing tool (`mutation/mutate.py`, `nox -s mutate`) makes the mutants it says.

The session itself is too slow for the suite; these tests pin what it relies on:
each operator makes its mutant and nothing else, prose is left alone, the
import hook serves the mutant, and its lists (modules, their tests, the
equivalent mutants in docs/security.md) still name things that exist.
"""

from __future__ import annotations

import ast
import importlib.util
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load() -> Any:
    spec = importlib.util.spec_from_file_location("mutate", ROOT / "mutation" / "mutate.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("mutate", module)
    spec.loader.exec_module(module)
    return module


mutate = _load()


def keys(source: str) -> list[str]:
    target = mutate.Target("sample", "sample.py", ())
    return [m.key for m in mutate.mutants(target, source)]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("def f(a, b):\n    return a < b\n", "f: a < b -> a <= b"),
        ("def f(a, b):\n    return a >= b\n", "f: a >= b -> a > b"),
        ("def f(a, b):\n    return a == b\n", "f: a == b -> a != b"),
        ("def f(a, b):\n    return a in b\n", "f: a in b -> a not in b"),
        ("def f(a):\n    return a is None\n", "f: a is None -> a is not None"),
        ("def f(a, b):\n    return a and b\n", "f: a and b -> a or b"),
        ("def f(a):\n    return not a\n", "f: not a -> a"),
        ("def f(a):\n    return a + 1\n", "f: a + 1 -> a - 1"),
        ("def f(a):\n    a -= 2\n", "f: a -= 2 -> a += 2"),
        ("def f(a):\n    return a == 0\n", "f: a == 0 -> a == 1"),
        ("def f(a):\n    return a == 1\n", "f: a == 1 -> a == 0"),
        ("def f(a):\n    return a > 5\n", "f: a > 5 -> a > 6"),
        ("def f():\n    return True\n", "f: return True -> return False"),
        ("def f(d):\n    return d.get('exp')\n", "f: d.get('exp') -> d.get('')"),
        ("def f(a):\n    if a:\n        raise ValueError('no', reason='r')\n", "f: a -> True"),
        ("def f(a):\n    if a:\n        raise ValueError('no', reason='r')\n", "f: a -> False"),
        (
            "def f(a):\n    if a:\n        raise ValueError('no', reason='r')\n",
            "f: raise ValueError(..., reason='r') -> pass",
        ),
        ("def f(a):\n    raise E(reason='r')\n", "f: reason='r' -> reason='mutant'"),
        ("def f(a):\n    return a\n", "f: return a -> return None"),
        ("def f(a):\n    return any(a)\n", "f: any(a) -> all(a)"),
        ("def f(a):\n    return a[0]\n", "f: a[0] -> a[1]"),
        ("def f(a, n):\n    return a[:n]\n", "f: a[:n] -> a[:n + 1]"),
        ("def f(a):\n    return 1 if a else 2\n", "f: a -> False"),
    ],
)
def test_each_operator_makes_its_mutant(source: str, expected: str) -> None:
    assert expected in keys(source)


@pytest.mark.parametrize(
    "source",
    [
        'def f():\n    """A docstring."""\n',
        "def f(a: int = 0) -> int:\n    ...\n",  # annotations, but the default is code
        "def f(a):\n    print(f'{a + 1}')\n",
        "def f(a):\n    print(ValueError(expected_found('claim', 'a', a + 1)))\n",
        "__all__ = ['f']\n",
        "class A:\n    def __repr__(self):\n        return 'A' + 'B'\n",
        "def f(a):\n    assert a == 1\n",
        "class C(dict, total=False):\n    a: int\n",
        "Use = Literal['id', 'access']\n",
    ],
)
def test_prose_and_typing_are_left_alone(source: str) -> None:
    """Messages may be reworded between releases (reasons may not); annotations run nothing."""
    found = keys(source)
    assert found in ([], ["f: 0 -> 1"]), found


def test_a_mutant_changes_its_own_site_only() -> None:
    source = "def f(a, b):\n    if a < b:\n        return a + b\n    return a - b\n"
    target = mutate.Target("sample", "sample.py", ())
    original = ast.unparse(ast.parse(source))
    found = mutate.mutants(target, source)
    texts = {ast.unparse(mutate.mutated_tree(target, m.index, source)) for m in found}
    assert original not in texts
    assert len(texts) == len(found)  # each mutant is a different program
    lt = next(m for m in found if m.key == "f: a < b -> a <= b")
    assert "if a <= b:" in ast.unparse(mutate.mutated_tree(target, lt.index, source))


def test_the_import_hook_serves_the_mutant_in_place_of_the_module(tmp_path: Path) -> None:
    source = "def older(a, b):\n    return a < b\n"
    path = tmp_path / "sample_mutated.py"
    path.write_text(source)
    target = mutate.Target("sample", "sample_mutated.py", ())
    index = next(m.index for m in mutate.mutants(target, source) if m.after == "a <= b")
    tree = mutate.mutated_tree(target, index, source)
    finder = mutate._MutantFinder("sample_mutated", str(path), compile(tree, str(path), "exec"))
    sys.meta_path.insert(0, finder)
    try:
        module = importlib.import_module("sample_mutated")
        assert module.older(1, 1) is True  # the original says False
        assert module.__file__ == str(path)
    finally:
        sys.meta_path.remove(finder)
        sys.modules.pop("sample_mutated", None)


@pytest.mark.parametrize("name", sorted(mutate.TARGETS))
def test_every_module_under_mutation_and_its_tests_exist(name: str) -> None:
    target = mutate.TARGETS[name]
    assert (ROOT / target.path).is_file(), target.path
    missing = [t for t in target.tests if not (ROOT / t).is_file()]
    assert not missing, f"{name}: test files moved or gone: {missing}"
    assert mutate.mutants(target), f"{name}: no mutants"


def test_every_equivalent_mutant_listed_in_the_docs_is_a_mutant_of_today_s_code() -> None:
    """A listing that no longer names a mutant (the code changed) must be removed or updated."""
    listed = mutate.read_equivalents()
    by_path = {t.path: {m.key for m in mutate.mutants(t)} for t in mutate.TARGETS.values()}
    stale = [f"{path}: {key}" for path, key in listed if key not in by_path.get(path, set())]
    assert not stale, stale
    assert all(reason.strip() for reason in listed.values())


def test_a_mutant_may_take_three_times_what_its_own_tests_took_and_at_least_30_seconds() -> None:
    """A mutant that loops in one of a few tests is stopped in seconds, not after the whole run."""
    coverage = mutate._Coverage({}, {}, {"slow": 20.0, "quick": 1.0})
    assert coverage.time_limit(frozenset({"slow"})) == 60.0
    assert coverage.time_limit(frozenset({"quick"})) == 30.0
    assert coverage.time_limit(None) == 63.0  # a line run at import: every test


def test_a_test_over_its_own_time_limit_is_stopped_and_named(tmp_path: Path) -> None:
    """A mutant that loops forever fails the test it loops in (a timeout), not the whole run."""
    (tmp_path / "test_loop.py").write_text("def test_loops():\n    while True:\n        pass\n")
    script = (
        "import sys, pytest\n"
        f"sys.path.insert(0, {str(ROOT / 'mutation')!r})\n"
        "import mutate\n"
        "recorder = mutate._Recorder(None, None, {'test_loop.py::test_loops': 0.5})\n"
        "code = pytest.main(['-q', '-p', 'no:cacheprovider', 'test_loop.py'], plugins=[recorder])\n"
        "print(int(code), recorder.timed_out)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        check=False,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.stdout.strip().splitlines()[-1] == "1 test_loop.py::test_loops", done.stdout
