"""The trusted harness of function problems (executors/sandbox/harness.py), run as the real
program it is: its verdict comes from its own process, whatever the candidate does in its."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from batch_eval.executors.base import Limits, Program
from batch_eval.executors.local.executor import LocalExecutor
from batch_eval.executors.sandbox import harness
from batch_eval.executors.sandbox.compare import Comparison
from batch_eval.judging import sources
from batch_eval.judging.judge import JudgeOptions, judge
from batch_eval.judging.problems import parse_problem
from batch_eval.verdict import Verdict

HARNESS = Path(harness.__file__)
ADD_SETUP = 'def add(a, b):\n    """a + b"""\n'
ADD_TESTS = "def check(candidate):\n    assert candidate(1, 2) == 3\n    assert candidate(-1, 1) == 0\n"


def verdict_of(source: str, test: str = ADD_TESTS, **job: Any) -> tuple[str, str]:
    """(verdict, reason) the harness writes for `source` on `test`."""
    full = {"source": source, "setup": ADD_SETUP, "test": test, "entry": "add", "part": "check", **job}
    run = subprocess.run(
        [sys.executable, str(HARNESS)], input=json.dumps(full).encode(), capture_output=True, timeout=60
    )
    report = json.loads(run.stdout.decode().strip().splitlines()[-1])
    return report["verdict"], report["reason"]


def test_plain_data_crosses_with_its_exact_types() -> None:
    values: list[object] = [None, True, 0, -(10**4000), 1.5, float("inf"), -0.0, 2j, "é\udc80", b"\x00\xff"]
    values += [[1, (2, 3)], {1: {"a": frozenset({1})}, (1, 2): {3}}, (), set(), {}]
    for value in values:
        back = harness.decode(json.loads(json.dumps(harness.encode(value))))
        assert back == value and type(back) is type(value), value
    nan = harness.decode(json.loads(json.dumps(harness.encode(float("nan")))))
    assert nan != nan


@pytest.mark.parametrize("kind", ["int", "str", "list", "dict", "object"])
def test_a_value_of_any_other_type_is_a_wrong_answer_with_its_type(kind: str) -> None:
    base = {"object": "object", "int": "int", "str": "str", "list": "list", "dict": "dict"}[kind]
    source = (
        f"class Liar({base}):\n"
        "    def __eq__(self, other):\n        return True\n"
        "    __hash__ = None\n"
        "def add(a, b):\n    return Liar()\n"
    )
    assert verdict_of(source) == ("WA", "add() returned an object of type solution.Liar")


def test_an_exception_the_tests_expect_is_raised_again_as_the_builtin_one() -> None:
    tests = (
        "def check(candidate):\n"
        "    try:\n        candidate(-1, 0)\n"
        "    except ValueError as e:\n        assert str(e) == 'negative'\n"
        "    else:\n        assert False\n"
        "    assert candidate(1, 2) == 3\n"
    )
    right = "def add(a, b):\n    if a < 0:\n        raise ValueError('negative')\n    return a + b\n"
    assert verdict_of(right, tests) == ("AC", "")
    # any other exception escapes the tests: a runtime error, with the program's own words
    wrong = "def add(a, b):\n    raise KeyError('oops')\n"
    assert verdict_of(wrong, tests) == ("RE", "KeyError: 'oops'")


def test_arguments_changed_in_place_reach_the_tests_and_iterators_are_drained() -> None:
    tests = (
        "def check(candidate):\n"
        "    xs = [3, 1, 2]\n    d = {}\n"
        "    assert candidate(xs, d) is None\n"
        "    assert xs == [1, 2, 3] and d == {'n': 3}\n"
    )
    sorts = "def add(xs, d):\n    xs.sort()\n    d['n'] = len(xs)\n"
    assert verdict_of(sorts, tests) == ("AC", "")
    listed = "def check(candidate):\n    assert list(candidate(2, 3)) == [2, 3]\n"
    compared = "def check(candidate):\n    assert candidate(2, 3) == [2, 3]\n"
    generator = "def add(a, b):\n    yield a\n    yield b\n"
    assert verdict_of(generator, listed) == ("AC", "")
    assert verdict_of(generator, compared)[0] == "WA"  # as in HumanEval's own runner


def test_the_problems_helpers_are_its_own_and_other_names_the_candidates() -> None:
    # HumanEval/38: the tests call the prompt's encode_cyclic; a candidate that redefines it
    # (to make decoding trivial) does not change the tests' one
    setup = "def encode(s):\n    return s[::-1]\ndef decode(s):\n    '''inverse of encode'''\n"
    tests = "def check(candidate):\n    assert candidate(encode('abc')) == 'abc'\n"
    honest = "def encode(s):\n    return s[::-1]\ndef decode(s):\n    return s[::-1]\n"
    cheat = "def encode(s):\n    return s\ndef decode(s):\n    return s\n"
    job = {"setup": setup, "entry": "decode"}
    assert verdict_of(honest, tests, **job) == ("AC", "")
    assert verdict_of(cheat, tests, **job)[0] == "WA"
    # MBPP: the asserts call functions by name
    mbpp = "def check(candidate):\n    assert twice(2) == 4 and add(1, 1) == 2\n"
    both = "def add(a, b):\n    return a + b\ndef twice(x):\n    return 2 * x\n"
    assert verdict_of(both, mbpp) == ("AC", "")


def test_a_test_that_passes_what_cannot_cross_is_ie_not_the_programs_fault() -> None:
    tests = "def check(candidate):\n    assert candidate(lambda x: x, 1) == 1\n"
    verdict, reason = verdict_of("def add(f, x):\n    return f(x)\n", tests)
    assert verdict == "IE" and "function" in reason


def test_the_candidates_process_cannot_reach_the_harness() -> None:
    # the harness's memory, descriptors and standard input, through /proc, as its own user
    spy = (
        "import os\n"
        "found = []\n"
        "for path in (f'/proc/{os.getppid()}/fd/0', f'/proc/{os.getppid()}/mem', '/proc/self/fd/0'):\n"
        "    try:\n"
        "        with open(path, 'rb') as f:\n"
        "            found.append(f.read(100))\n"
        "    except OSError:\n"
        "        pass\n"
        "def add(a, b):\n"
        "    return 0 if any(found) else a + b - 1\n"
    )
    assert verdict_of(spy)[0] == "WA"


def test_a_stopped_or_killed_harness_is_never_ac_nor_ie(tmp_path: Path) -> None:
    """Judged by the real judge on the local executor: a candidate that stops the harness
    runs out of time; one that kills it, a runtime error."""
    raw = {"task_id": "add", "prompt": ADD_SETUP, "test": ADD_TESTS, "entry_point": "add", "time_limit": 0.25}
    problem = parse_problem(raw, tmp_path / "p.jsonl", 1)
    executor = LocalExecutor()
    limits = Limits(time_s=0.25, memory_mb=256, output_bytes=1 << 20, processes=16, wall_s=0.5)
    options = JudgeOptions(Comparison())
    try:
        for sig, verdict in (("SIGSTOP", Verdict.TLE), ("SIGKILL", Verdict.RE)):
            code = (
                f"import os, signal\nos.kill(os.getppid(), signal.{sig})\ndef add(a, b):\n    return a + b\n"
            )
            result = judge(problem, [], Program("python", code), executor, limits, options)
            assert result.verdict is verdict, (sig, result.reason)
    finally:
        executor.close()


def test_a_reference_that_fails_makes_the_problem_ie_not_the_samples_fault() -> None:
    raw = {
        "task_id": "inv",
        "prompt": "def inv(x):\n",  # not a program of its own: the tests use the candidate's inv
        "entry_point": "inv",
        "canonical_solution": "    return 1 / x\n",
        "base_input": [[2]],
        "plus_input": [[0]],  # the reference divides by zero here
    }
    _, check = sources.evalplus_check(raw, "problem 'inv'")
    right = "def inv(x):\n    return 1 / x if x else 0.0\n"
    assert verdict_of(right, check, setup=raw["prompt"], entry="inv", part="base") == ("AC", "")
    verdict, reason = verdict_of(right, check, setup=raw["prompt"], entry="inv", part="plus")
    assert verdict == "IE" and reason.startswith("the reference solution fails on plus input 1")
