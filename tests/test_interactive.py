"""Interactive problems judged for real: a guess-the-number problem with its Python interactor
(testlib's exit codes), and the programs a policy writes to get through it without playing."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from batch_eval.executors.base import Limits, Program
from batch_eval.executors.local.executor import LocalExecutor
from batch_eval.executors.sandbox.compare import Comparison
from batch_eval.judging.judge import JudgeOptions, judge
from batch_eval.judging.problems import parse_problem
from batch_eval.verdict import Verdict
from tests.conftest import read_jsonl, write_jsonl

PYTHON = os.path.realpath(sys.executable)
FAST = Limits(time_s=0.5, memory_mb=256, output_bytes=1 << 20, wall_s=1.0)

#: the test's input: `n x`; the program gets `n`, asks `? y` (answered `<`, `>` or `=`,
#: `<` meaning x < y), and at most 20 questions
GUESS = r"""
import sys
n, x = map(int, open(sys.argv[1]).read().split())
print(n, flush=True)
for asked in range(20):
    line = sys.stdin.readline()
    if not line:
        print("unexpected end of file", file=sys.stderr)
        sys.exit(8)
    parts = line.split()
    if len(parts) != 2 or parts[0] != "?" or not parts[1].lstrip("-").isdigit():
        print(f"bad query {line.strip()[:40]!r}", file=sys.stderr)
        sys.exit(2)
    y = int(parts[1])
    if y == x:
        print("=", flush=True)
        open(sys.argv[2], "w").write(str(asked + 1))
        sys.exit(0)
    print("<" if x < y else ">", flush=True)
print("more than 20 questions", file=sys.stderr)
sys.exit(1)
"""

HONEST = """
lo, hi = 1, int(input())
while True:
    mid = (lo + hi) // 2
    print("?", mid, flush=True)
    r = input()
    if r == "=":
        break
    if r == "<":
        hi = mid - 1
    else:
        lo = mid + 1
"""

#: linear search: right, but out of questions for n = 1000
LINEAR = """
n = int(input())
for y in range(1, n + 1):
    print("?", y, flush=True)
    if input() == "=":
        break
"""

#: never reads, never asks: the answer printed blind (AC were the interactor ignored)
BLIND = 'print("? 1")\n'

#: waits for input the interactor never sends: it reads the first line, then a second
IDLE = "input()\ninput()\n"

#: floods the interactor with questions it never reads the answers of
FLOOD = 'import sys\nwhile True:\n    sys.stdout.write("? 1\\n")\n'

#: looks for the secret: the test's input and the interactor's files, wherever it can reach
SNOOP = r"""
import glob, os, re
n = int(input())
found = None
paths = glob.glob("/tmp/**/input*.txt", recursive=True) + glob.glob("input*.txt") + glob.glob("../*.txt")
paths += [f"/proc/{p}/cmdline" for p in os.listdir("/proc") if p.isdigit()]
for path in paths:
    try:
        words = open(path, "rb").read().decode("latin-1").split()
    except OSError:
        continue
    if len(words) == 2 and all(w.isdigit() for w in words) and int(words[0]) == n:
        found = int(words[1])
        break
    for w in words:
        if w.endswith("interactor.py"):
            base = os.path.dirname(w)
            try:
                found = int(open(os.path.join(base, "input.txt")).read().split()[1])
            except OSError:
                pass
print("?", found if found is not None else 1, flush=True)
"""

BROKEN = "import sys\nsys.exit(3)\n"


def guess_problem(
    interactor: str = GUESS, tests: tuple[str, ...] = ("1000 777", "1000 1", "7 7")
) -> dict[str, Any]:
    return {
        "id": "guess",
        "interactive": True,
        "interactor": interactor,
        "tests": [{"input": t, "output": ""} for t in tests],
    }


@pytest.fixture(scope="module")
def executor() -> Iterator[LocalExecutor]:
    """The default (fork server) runner: interactive tests still run a process per test."""
    ex = LocalExecutor(python=PYTHON)
    yield ex
    ex.close()


@pytest.fixture(scope="module")
def process_executor() -> Iterator[LocalExecutor]:
    ex = LocalExecutor(python=PYTHON, python_runner="process")
    yield ex
    ex.close()


def judged(executor: LocalExecutor, code: str, raw: dict[str, Any] | None = None) -> tuple[Verdict, str]:
    problem = parse_problem(raw or guess_problem(), Path(__file__), 1)
    result = judge(
        problem,
        problem.tests,
        Program("python", code),
        executor,
        FAST,
        JudgeOptions(Comparison()),
        None,
        None,
    )
    return result.verdict, result.reason


def test_parsed_interactor_marks_problem_interactive() -> None:
    raw = {"id": "p", "interactor": GUESS, "tests": [{"input": "1 1", "output": ""}]}
    problem = parse_problem(raw, Path(__file__), 1)
    assert problem.interactive and problem.interactor == GUESS


def test_honest_player_is_accepted(executor: LocalExecutor, process_executor: LocalExecutor) -> None:
    assert judged(executor, HONEST) == (Verdict.AC, "")
    assert judged(process_executor, HONEST) == (Verdict.AC, "")
    assert judged(process_executor, BLIND)[0] is Verdict.WA


def test_interactor_rejects_out_of_questions(executor: LocalExecutor) -> None:
    verdict, reason = judged(executor, LINEAR)
    assert verdict is Verdict.WA and "more than 20 questions" in reason


def test_blind_answer_is_not_accepted(executor: LocalExecutor) -> None:
    verdict, reason = judged(executor, BLIND)
    assert verdict is Verdict.WA and "interactor" in reason


def test_program_waiting_forever_is_tle(executor: LocalExecutor) -> None:
    verdict, _ = judged(executor, IDLE, guess_problem(tests=("1000 777",)))
    assert verdict is Verdict.TLE


def test_flood_is_not_accepted(executor: LocalExecutor) -> None:
    verdict, _ = judged(executor, FLOOD, guess_problem(tests=("1000 777",)))
    assert verdict in (Verdict.WA, Verdict.TLE, Verdict.OLE)


def test_secret_is_out_of_reach(executor: LocalExecutor) -> None:
    verdict, _ = judged(executor, SNOOP, guess_problem(tests=("1000 777",)))
    assert verdict is Verdict.WA


def test_broken_interactor_is_ie_not_a_verdict(executor: LocalExecutor) -> None:
    verdict, reason = judged(executor, HONEST, guess_problem(BROKEN, ("1000 777",)))
    assert verdict is Verdict.IE and "FAIL" in reason


def test_judged_without_comparing_output(executor: LocalExecutor) -> None:
    """The tests' `output` is not compared: the interactor's verdict is final."""
    raw = guess_problem()
    raw["tests"] = [{"input": t["input"], "output": "anything"} for t in raw["tests"]]
    assert judged(executor, HONEST, raw)[0] is Verdict.AC


def test_check_judges_python_interactors_and_skips_the_rest(tmp_path: Path) -> None:
    """`batch-eval check` as a user runs it: a Python interactor judged (and its verdict
    cached under the interactor: a fixed interactor is not answered from the cache), and an
    interactive problem without one skipped with the reason."""
    guess = {"id": "guess", "interactor": GUESS, "official_tests": [{"input": "1000 777", "output": ""}]}
    bare = {"id": "bare", "interaction_format": "ask ? y", "official_tests": [{"input": "5 3", "output": ""}]}
    problems = write_jsonl(tmp_path / "p.jsonl", [guess, bare])
    records = [{"problem_id": p, "code": HONEST} for p in ("guess", "bare")]
    records.append({"problem_id": "guess", "code": BLIND})
    solutions = write_jsonl(tmp_path / "s.jsonl", records)
    argv = [sys.executable, "-m", "batch_eval", "check", str(solutions), "--problems", str(problems)]
    argv += ["-o", str(tmp_path / "out"), "--cache-dir", str(tmp_path / "cache")]
    proc = subprocess.run(argv, capture_output=True, text=True, check=False)
    lines = read_jsonl(tmp_path / "out" / "s.results.jsonl")
    assert [line["verdict"] for line in lines] == ["AC", "SKIP", "WA"], proc.stderr
    assert "problem bare is interactive and has no interactor: not judged" in proc.stderr
    # the interactor is part of the verdict's key: one that accepts everything changes the WA
    write_jsonl(problems, [{**guess, "interactor": "import sys\nsys.stdin.read()\n"}, bare])
    subprocess.run(argv, capture_output=True, text=True, check=False)
    assert read_jsonl(tmp_path / "out" / "s.results.jsonl")[2]["verdict"] == "AC"
