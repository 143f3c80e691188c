"""Checkers tested before they are trusted: real checker programs (both conventions) fed the
outputs a policy writes to make a checker fail (garbage, nothing, a flood, NUL and non-UTF-8
bytes, a loop, the checker's own accept words); a broken checker is IE for every program."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from batch_eval.executors.base import (
    Execution,
    Executor,
    Expected,
    Limits,
    OnResult,
    Program,
    ProgramRun,
    checker_limits,
)
from batch_eval.executors.local.executor import LocalExecutor
from batch_eval.executors.sandbox.compare import Comparison
from batch_eval.judging.checker import CheckerRunner
from batch_eval.judging.judge import JudgeOptions, judge
from batch_eval.judging.problems import Checker, parse_problem
from batch_eval.verdict import Verdict
from tests.conftest import SUM_PROBLEM

PYTHON = os.path.realpath(sys.executable)
#: small limits so that a checker made to loop costs half a second
FAST = Limits(time_s=0.5, memory_mb=256, output_bytes=1 << 20)

#: "print two numbers summing to n", as a generated checker writes it: it parses integers and
#: trusts they are there (a crash on anything else)
SPLIT = """
import sys
n = int(open(sys.argv[1]).read())
a, b = map(int, open(sys.argv[3]).read().split())
print(1 if a + b == n else 0)
"""

#: the same judged by testlib's exit codes; a crash on garbage too
SPLIT_TESTLIB = """
import sys
n = int(open(sys.argv[1]).read())
a, b = map(int, open(sys.argv[2]).read().split())
sys.exit(0 if a + b == n else 1)
"""

#: "print a permutation that is one cycle": it follows the cycle from 1, and an output that
#: is no permutation (1 1 1) sends it round forever
CYCLE = """
import sys
n = int(open(sys.argv[1]).read())
p = [0] + list(map(int, open(sys.argv[3]).read().split()))
seen, i = 0, 1
while True:
    i = p[i]
    seen += 1
    if i == 1:
        break
print(1 if seen == n and sorted(p[1:]) == list(range(1, n + 1)) else 0)
"""

#: off by one: it rejects every right answer, the expected output too
BROKEN = SPLIT.replace("a + b == n", "a + b == n + 1")


@pytest.fixture
def split() -> Iterator[CheckerRunner]:
    runner = CheckerRunner(Checker(SPLIT), PYTHON, FAST)
    yield runner
    runner.close()


def _verdict(runner: CheckerRunner, output: bytes, expected: bytes = b"2 3\n") -> tuple[Verdict, str]:
    return runner.judge(b"5\n", expected, output)


def test_a_right_answer_the_tests_do_not_list_is_accepted(split: CheckerRunner) -> None:
    assert _verdict(split, b"1 4\n") == (Verdict.AC, "")
    verdict, reason = _verdict(split, b"1 1\n")
    assert verdict is Verdict.WA and reason == "checker: score 0"


@pytest.mark.parametrize(
    "output",
    [
        b"x\n",  # garbage for a checker that parses integers: it crashes
        b"",  # nothing: it crashes unpacking
        b"1\x004\n",  # a NUL inside a number
        b"\xff\xfe1 4\n",  # not UTF-8: the checker cannot even read it as text
        b"1 4 " * (256 << 10),  # a flood of numbers: too many to unpack
    ],
    ids=["garbage", "empty", "nul", "not-utf8", "flood"],
)
def test_output_that_crashes_a_working_checker_is_wa_not_ie(split: CheckerRunner, output: bytes) -> None:
    verdict, reason = _verdict(split, output)
    assert verdict is Verdict.WA, reason
    assert "checker failed" in reason and "Error" in reason and "accepts the expected output" in reason


@pytest.mark.parametrize("words", [b"1\n", b"100\n", b"ok\n", b"AC\n", b"1\n1\n", b"ok accepted 1\n"])
def test_output_mimicking_accept_words_is_not_accepted(split: CheckerRunner, words: bytes) -> None:
    """The checker's verdict is its own stdout and exit code; the output is only a file it reads."""
    assert _verdict(split, words)[0] is Verdict.WA


def test_testlib_checker_crash_on_garbage_is_wa(tmp_path: Path) -> None:
    runner = CheckerRunner(Checker(SPLIT_TESTLIB, "testlib"), PYTHON, FAST)
    try:
        assert _verdict(runner, b"4 1\n") == (Verdict.AC, "")
        assert _verdict(runner, b"4 4\n")[0] is Verdict.WA
        for output in (b"x\n", b"ok\n", b"", b"\x00"):
            verdict, reason = _verdict(runner, output)
            # Python's exit on an uncaught exception is 1, testlib's WA: the checker's words say why
            assert verdict is Verdict.WA and "Error" in reason, (output, reason)
        # a crash that is no testlib verdict (a signal) is WA too, FAIL (exit 3) is tested in test_judge
        crash = SPLIT_TESTLIB.replace(
            "import sys", "import os, sys\nif b'kill' in open(sys.argv[2], 'rb').read():\n    os.abort()"
        )
        runner.close()
        runner = CheckerRunner(Checker(crash, "testlib"), PYTHON, FAST)
        verdict, reason = _verdict(runner, b"kill")
        assert verdict is Verdict.WA and "SIGABRT" in reason, reason
    finally:
        runner.close()


def test_output_that_sends_the_checker_round_forever_is_wa_at_its_time_limit() -> None:
    runner = CheckerRunner(Checker(CYCLE), PYTHON, FAST)
    try:
        assert runner.judge(b"3\n", b"2 3 1\n", b"3 1 2\n") == (Verdict.AC, "")
        verdict, reason = runner.judge(b"3\n", b"2 3 1\n", b"2 2 2\n")
        assert verdict is Verdict.WA, reason
        assert reason.startswith("checker failed (") and ("CPU over" in reason or "wall clock" in reason)
    finally:
        runner.close()


def test_a_checker_that_rejects_the_expected_output_is_ie_for_every_output() -> None:
    runner = CheckerRunner(Checker(BROKEN), PYTHON, FAST)
    try:
        for output in (b"2 3\n", b"1 4\n", b"0 0\n", b"x\n"):
            verdict, reason = _verdict(runner, output)
            assert verdict is Verdict.IE and "checker is broken: it rejects" in reason, reason
        # the expected output judged once, and no output after it
        assert runner.runs == 1
        assert runner.broken([(b"5\n", b"2 3\n")]).startswith("test 1: the problem's checker is broken")
    finally:
        runner.close()


def test_a_checker_that_crashes_on_the_expected_output_is_ie() -> None:
    runner = CheckerRunner(Checker("raise RuntimeError('checker bug')"), PYTHON)
    try:
        verdict, reason = _verdict(runner, b"2 3\n")
        assert verdict is Verdict.IE and "fails on the test's expected output" in reason
        assert "RuntimeError: checker bug" in reason
    finally:
        runner.close()


def test_the_expected_output_is_judged_once_per_test(split: CheckerRunner) -> None:
    for output in (b"2 3\n", b"1 4\n", b"x\n"):
        _verdict(split, output)
    assert split.runs == 1 + 3
    split.judge(b"7\n", b"3 4\n", b"3 4\n")  # another test: its own expected output
    assert split.runs == 4 + 2
    assert split.broken([(b"5\n", b"2 3\n"), (b"7\n", b"3 4\n")]) == "" and split.runs == 6


def test_a_checker_killed_at_the_wall_clock_without_using_its_cpu_is_ie() -> None:
    """It waited (a loaded machine, not its input): once more with a patient wall clock, then IE."""
    sleepy = "import sys, time\nif open(sys.argv[3]).read() == 'zz':\n    time.sleep(60)\nprint(1)\n"
    limits = Limits(time_s=0.5, memory_mb=256, output_bytes=1 << 20, wall_s=0.5)
    runner = CheckerRunner(Checker(sleepy), PYTHON, limits)
    try:
        verdict, reason = _verdict(runner, b"zz")
        assert verdict is Verdict.IE and "checker starved" in reason
        assert runner.runs == 1 + 2
    finally:
        runner.close()


def test_checker_limits_follow_the_program_s() -> None:
    assert checker_limits(Limits(time_s=0.25, memory_mb=64)).time_s == 2.0
    assert checker_limits(Limits(time_s=2.0, memory_mb=64)).time_s == 6.0


# -- through the judge: every program's verdict on a problem with such a checker ------------


def _problem(checker: str) -> Any:
    raw = dict(
        SUM_PROBLEM, official_tests=[{"input": "5\n", "output": "2 3\n"}, {"input": "9\n", "output": "4 5\n"}]
    )
    raw["generated_checker"] = checker
    return parse_problem(raw, Path("p.jsonl"), 1)


def _judged(problem: Any, source: str, executor: Executor) -> tuple[Verdict, str]:
    runner = CheckerRunner(problem.checker, PYTHON, FAST)
    try:
        result = judge(
            problem,
            problem.tests,
            Program("python", source),
            executor,
            FAST,
            JudgeOptions(Comparison()),
            runner,
        )
    finally:
        runner.close()
    return result.verdict, result.reason


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("n = int(input())\nprint(1, n - 1)\n", Verdict.AC),
        ("print('x')\n", Verdict.WA),
        ("pass\n", Verdict.WA),
        ("import sys\nsys.stdout.buffer.write(b'\\xff\\x00 1')\n", Verdict.WA),
        ("print(1)\n", Verdict.WA),
    ],
    ids=["right", "garbage", "empty", "bytes", "mimic"],
)
def test_programs_on_a_working_checker(local: LocalExecutor, source: str, expected: Verdict) -> None:
    assert _judged(_problem(SPLIT), source, local)[0] is expected


def test_every_program_on_a_broken_checker_is_ie(local: LocalExecutor) -> None:
    for source in ("n = int(input())\nprint(1, n - 1)\n", "print('x')\n", "print(1)\n"):
        verdict, reason = _judged(_problem(BROKEN), source, local)
        assert verdict is Verdict.IE and "checker is broken" in reason, (source, reason)
    # a program that fails by itself keeps its own verdict: the checker is never asked
    assert _judged(_problem(BROKEN), "raise ValueError\n", local)[0] is Verdict.RE


class _Mangling(Executor):
    """An executor whose server decodes stdout as text (Piston per test): the program's bytes
    come back with U+FFFD where they were not UTF-8."""

    def __init__(self, printed: bytes) -> None:
        self.printed = printed

    def run(
        self,
        program: Program,
        inputs: Any,
        limits: Limits,
        on_result: OnResult,
        input_mode: str = "stdio",
        expected: Expected | None = None,
    ) -> ProgramRun:
        text = self.printed.decode("utf-8", "replace")
        runs = []
        for i in range(len(inputs)):
            ex = Execution(Verdict.AC, stdout=text.encode(), cpu_time=0.01, exit_code=0)
            ex.stdout_lossy = "\ufffd" in text
            runs.append(ex)
            if not on_result(i, ex):
                break
        return ProgramRun(None, runs)


@pytest.mark.parametrize("checker", [None, SPLIT], ids=["compare", "checker"])
def test_bytes_a_server_mangled_are_wa_against_an_ascii_answer(checker: str | None) -> None:
    """Not UTF-8 where the answer is ASCII: the output was not the answer, whatever its bytes."""
    raw = dict(SUM_PROBLEM, official_tests=[{"input": "5\n", "output": "2 3\n"}], generated_checker=checker)
    problem = parse_problem(raw, Path("p.jsonl"), 1)
    runner = CheckerRunner(problem.checker, PYTHON, FAST) if problem.checker else None
    try:
        result = judge(
            problem,
            problem.tests,
            Program("python", ""),
            _Mangling(b"2 \xff3\n"),
            FAST,
            JudgeOptions(Comparison()),
            runner,
        )
    finally:
        if runner:
            runner.close()
    assert result.verdict is Verdict.WA, result.reason
    # against a non-ASCII answer the mangled bytes may have been a right answer's: no verdict
    raw = dict(SUM_PROBLEM, official_tests=[{"input": "", "output": "東京\n"}])
    problem = parse_problem(raw, Path("p.jsonl"), 1)
    result = judge(
        problem,
        problem.tests,
        Program("python", ""),
        _Mangling(b"\xe6\x9d\xb1\xe4\xba\n"),
        FAST,
        JudgeOptions(Comparison()),
    )
    assert result.verdict is Verdict.IE
    # ... unless its ASCII bytes (which the server keeps) differ: a wrong answer with b"\xff"
    # printed beside it, to be IE and out of pass@k, is WA
    raw = dict(SUM_PROBLEM, official_tests=[{"input": "", "output": "prix: 3 \u20ac\n"}])
    problem = parse_problem(raw, Path("p.jsonl"), 1)
    for printed, verdict in ((b"prix: 4 \xff\n", Verdict.WA), (b"prix: 3 \xe2\x82\n", Verdict.IE)):
        result = judge(
            problem,
            problem.tests,
            Program("python", ""),
            _Mangling(printed),
            FAST,
            JudgeOptions(Comparison()),
        )
        assert result.verdict is verdict, (printed, result.reason)
