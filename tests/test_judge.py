"""Checkers (both conventions), function-style problems on real HumanEval data, tolerances."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from batch_eval.executors.base import Execution, Executor, Limits, Program, ProgramRun
from batch_eval.executors.local.executor import LocalExecutor
from batch_eval.executors.sandbox.compare import Comparison
from batch_eval.judging.checker import CheckerRunner
from batch_eval.judging.judge import JudgeOptions, compile_error, judge
from batch_eval.judging.problems import Checker, parse_problem
from batch_eval.verdict import Verdict
from tests.conftest import SUM_PROBLEM, shared_rows

LIMITS = Limits(time_s=2.0, memory_mb=512)

OPEN_R1_CHECKER = """
import sys
inp, exp, out = (open(p).read().split() for p in sys.argv[1:4])
print(1 if sorted(exp) == sorted(out) else 0)
"""

TESTLIB_CHECKER = """
import sys
inp, out, exp = (open(p).read().split() for p in sys.argv[1:4])
if out == ["FAILME"]:
    sys.exit(3)
sys.exit(0 if sorted(exp) == sorted(out) else 1)
"""


def _problem(checker: str | None = None, convention: str = "open-r1") -> Any:
    raw = dict(SUM_PROBLEM, official_tests=[{"input": "3\n", "output": "1 2 3\n"}])
    raw["generated_checker"] = checker
    raw["checker_convention"] = convention
    return parse_problem(raw, Path("p.jsonl"), 1)


def _verdict(problem: Any, source: str, local: LocalExecutor) -> tuple[Verdict, str]:
    checker = CheckerRunner(problem.checker, local.python) if problem.checker else None
    try:
        result = judge(
            problem,
            problem.tests,
            Program("python", source),
            local,
            LIMITS,
            JudgeOptions(Comparison()),
            checker,
        )
    finally:
        if checker:
            checker.close()
    return result.verdict, result.reason


def test_open_r1_checker_accepts_any_valid_answer(local: LocalExecutor) -> None:
    problem = _problem(OPEN_R1_CHECKER)
    assert _verdict(problem, "print('3 1 2')", local)[0] is Verdict.AC
    assert _verdict(problem, "print('3 1 1')", local)[0] is Verdict.WA


def test_testlib_checker_exit_codes(local: LocalExecutor) -> None:
    problem = _problem(TESTLIB_CHECKER, "testlib")
    assert _verdict(problem, "print('2 3 1')", local)[0] is Verdict.AC
    assert _verdict(problem, "print('2 3 3')", local)[0] is Verdict.WA
    # FAIL (exit 3) on an output, from a checker that accepts the expected one: the output's doing
    verdict, reason = _verdict(problem, "print('FAILME')", local)
    assert verdict is Verdict.WA and "checker said FAIL" in reason


def test_crashing_checker_is_ie_not_wa(local: LocalExecutor) -> None:
    problem = _problem("raise RuntimeError('checker bug')")
    verdict, reason = _verdict(problem, "print('1 2 3')", local)
    assert verdict is Verdict.IE and "checker" in reason
    problem = _problem("print('maybe')")
    assert _verdict(problem, "print('1 2 3')", local)[0] is Verdict.IE


def test_problem_float_tolerance_applies_by_default(local: LocalExecutor) -> None:
    raw = dict(
        SUM_PROBLEM,
        official_tests=[{"input": "", "output": "0.3333333333\n"}],
        float_tolerance={"abs_or_rel": 1e-6},
    )
    problem = parse_problem(raw, Path("p.jsonl"), 1)
    assert _verdict(problem, "print(1/3)", local)[0] is Verdict.AC
    assert _verdict(problem, "print(0.3334)", local)[0] is Verdict.WA


def _humaneval(task: str) -> Any:
    raw = next(r for r in shared_rows("humaneval", "problems.jsonl") if r["id"] == task)
    return parse_problem(raw, Path("problems.jsonl"), 1), raw


def test_humaneval_canonical_solution_passes_and_a_wrong_one_fails(
    local: LocalExecutor, data_dir: Path
) -> None:
    problem, raw = _humaneval("HumanEval/1")
    assert _verdict(problem, raw["canonical_solution"], local)[0] is Verdict.AC
    verdict, _ = _verdict(problem, "    return []\n", local)
    assert verdict is Verdict.WA


def test_humaneval_full_function_without_imports_uses_the_prompt_header(
    local: LocalExecutor, data_dir: Path
) -> None:
    # real model output re-states the function and forgets `from typing import List`
    problem, raw = _humaneval("HumanEval/1")
    code = "def separate_paren_groups(paren_string: str) -> List[str]:\n" + raw["canonical_solution"]
    assert _verdict(problem, code, local)[0] is Verdict.AC


def test_humaneval_hanging_solution_is_tle(local: LocalExecutor, data_dir: Path) -> None:
    problem, _ = _humaneval("HumanEval/1")
    assert _verdict(problem, "    while True:\n        pass\n", local)[0] is Verdict.TLE


def test_checker_files_are_cleaned(local: LocalExecutor) -> None:
    runner = CheckerRunner(Checker(OPEN_R1_CHECKER), local.python)
    assert runner.judge(b"", b"1 2", b"2 1")[0] is Verdict.AC
    box = runner.box
    assert sorted(p.name for p in box.iterdir() if p.suffix == ".txt") == []
    runner.close()
    assert not box.exists()


def test_early_stop_runs_small_inputs_first_and_reports_in_the_tests_order(local: LocalExecutor) -> None:
    raw = dict(
        SUM_PROBLEM,
        official_tests=[
            {"input": "1000000 2000000\n", "output": "3000000\n"},
            {"input": "1 1\n", "output": "2\n"},
            {"input": "10 20\n", "output": "30\n"},
        ],
    )
    problem = parse_problem(raw, Path("p.jsonl"), 1)
    wrong_on_big = "a, b = map(int, input().split())\nprint(a + b if a < 100 else 0)"
    by_size = judge(
        problem, problem.tests, Program("python", wrong_on_big), local, LIMITS, JudgeOptions(Comparison())
    )
    # the two small tests ran first and passed; the big one failed; results keep the file order
    assert [t.verdict for t in by_size.tests] == [Verdict.WA, Verdict.AC, Verdict.AC]
    assert by_size.reason.startswith("test 1:")
    given = judge(
        problem,
        problem.tests,
        Program("python", wrong_on_big),
        local,
        LIMITS,
        JudgeOptions(Comparison(), test_order="given"),
    )
    assert [t.verdict for t in given.tests] == [Verdict.WA, Verdict.SKIP, Verdict.SKIP]
    assert given.verdict is by_size.verdict is Verdict.WA


def test_a_timeout_is_timed_twice_and_the_faster_run_counts(tmp_path: Path) -> None:
    # slow on its first run only (a marker file plays the part of a loaded machine; outside
    # the jail, which would keep the first run from leaving anything for the second)
    local = LocalExecutor(jailed=False)
    marker = tmp_path / "slowed-once"
    tmp_path.chmod(0o777)
    source = (
        "import os, time\n"
        f"if not os.path.exists({str(marker)!r}):\n"
        f"    open({str(marker)!r}, 'w').close()\n"
        "    while True: pass\n"
        "print(3)\n"
    )
    problem = parse_problem(dict(SUM_PROBLEM, time_limit=0.5), Path("p.jsonl"), 1)
    limits = Limits(time_s=0.5, memory_mb=256)
    try:
        result = judge(
            problem, problem.tests[:1], Program("python", source), local, limits, JudgeOptions(Comparison())
        )
    finally:
        local.close()
    test = result.tests[0]
    assert result.verdict is Verdict.AC
    assert test.counted == "rerun" and test.other_run is not None and test.other_run["verdict"] == "TLE"


def test_a_real_timeout_stays_tle_after_its_rerun(local: LocalExecutor) -> None:
    problem = parse_problem(dict(SUM_PROBLEM, time_limit=0.5), Path("p.jsonl"), 1)
    limits = Limits(time_s=0.5, memory_mb=256)
    result = judge(
        problem,
        problem.tests[:1],
        Program("python", "while True: pass"),
        local,
        limits,
        JudgeOptions(Comparison()),
    )
    assert result.verdict is Verdict.TLE
    assert result.tests[0].other_run is not None and result.tests[0].other_run["verdict"] == "TLE"


def test_node_s_own_syntax_error_is_ce_whichever_node_and_the_program_s_is_re() -> None:
    """Node 12 names its loader `internal/…`, Node 16 and later `node:internal/…`; a
    SyntaxError with a frame in the program (eval, throw) is the program's runtime error."""
    head = "/box/main.js:2\nlet b = ;\n        ^\n\nSyntaxError: Unexpected token ';'\n"
    for loader in ("internal/modules/cjs/loader.js:915:16", "node:internal/modules/cjs/loader:1464:18"):
        stderr = (
            f"{head}    at wrapSafe ({loader})\n    at {loader.split('/')[0]}/main/run_main_module:28:49\n"
        )
        ex = Execution(Verdict.RE, stderr=stderr, exit_code=1)
        assert (
            compile_error(Program("javascript", "let b = ;"), ex)
            == "SyntaxError: Unexpected token ';' (line 2)"
        )
    raised = (
        "SyntaxError: x\n    at Object.<anonymous> (/box/main.js:1:7)\n"
        "    at node:internal/main/run_main_module:28:49\n"
    )
    ex = Execution(Verdict.RE, stderr="/box/main.js:1\n" + raised, exit_code=1)
    assert compile_error(Program("javascript", "throw new SyntaxError('x')"), ex) is None


class _Silent(Executor):
    """An executor that ran none of what it was given and said nothing (a broken one)."""

    name = "silent"

    def run(self, program: Program, inputs: Sequence[bytes], *args: Any, **kwargs: Any) -> ProgramRun:
        self.calls = getattr(self, "calls", 0) + 1
        return ProgramRun(compile=None, runs=[])


def test_an_executor_that_returns_nothing_is_ie_once_never_a_loop(tmp_path: Path) -> None:
    problem = parse_problem(SUM_PROBLEM, tmp_path / "p.jsonl", 1)
    silent = _Silent()
    limits = Limits(time_s=1.0, memory_mb=64)
    result = judge(
        problem, problem.tests, Program("python", "print(3)\n"), silent, limits, JudgeOptions(Comparison())
    )
    assert result.verdict is Verdict.IE and "no result" in result.reason
    assert silent.calls == 1
