"""Judge one program on one problem: run its tests through an executor, compare, decide."""

from __future__ import annotations

import re
from dataclasses import dataclass

from batch_eval.checker import CheckerRunner
from batch_eval.compare import Comparison
from batch_eval.executors.base import Execution, Executor, Limits, Program
from batch_eval.problems import Problem, TestCase
from batch_eval.verdict import SolutionResult, TestResult, Verdict, solution_verdict


@dataclass(frozen=True)
class JudgeOptions:
    comparison: Comparison
    early_stop: bool = True
    # with early stop, "size" runs the smallest inputs first: most wrong programs fail there,
    # and cheaply; the order is a function of the tests alone, so verdicts stay reproducible
    test_order: str = "size"


def run_order(
    tests: list[TestCase], options: JudgeOptions, failures: dict[int, int] | None = None
) -> list[int]:
    """The order in which to run the tests (indices); results keep the tests' own order.
    `failures` (test order "failures"): how often each test was the one an earlier solution
    of the problem failed; those go first, then the smallest."""
    if not options.early_stop or options.test_order == "given":
        return list(range(len(tests)))
    seen = failures or {}
    return sorted(range(len(tests)), key=lambda i: (-seen.get(i, 0), len(tests[i].input), i))


def syntax_error(program: Program) -> str | None:
    """Python's own verdict on the source, without running it: CE, as a compiler would."""
    if program.language != "python":
        return None
    try:
        compile(program.source, "main.py", "exec", dont_inherit=True)
    except SyntaxError as exc:
        return f"SyntaxError: {exc.msg} (line {exc.lineno})"
    except (ValueError, MemoryError, RecursionError, OverflowError):
        return None  # let the real interpreter decide
    return None


def function_program(problem: Problem, program: Program) -> Program:
    """prompt + completion + test + check(entry_point), as HumanEval's harness builds it.

    When the code already defines the entry point (a model asked for the whole
    function), the prompt still comes first: its imports and helpers are what the
    code may rely on, and the code's definition replaces the prompt's stub.
    """
    code = program.source
    defines = re.search(rf"^\s*(async\s+)?def\s+{re.escape(problem.entry_point)}\s*\(", code, re.M)
    body = problem.prompt + ("\n" + code if defines else code)
    source = f"{body}\n\n{problem.test_code}\n\ncheck({problem.entry_point})\n"
    return Program(program.language, source)


def judge(
    problem: Problem,
    tests: list[TestCase],
    program: Program,
    executor: Executor,
    limits: Limits,
    options: JudgeOptions,
    checker: CheckerRunner | None = None,
    failures: dict[int, int] | None = None,
) -> SolutionResult:
    """The verdict of `program` on `problem`, one TestResult per test."""
    if problem.kind == "function":
        program = function_program(problem, program)
        tests = [TestCase(b"", b"", "check")]
    error = syntax_error(program)
    if error is not None:
        return SolutionResult(Verdict.CE, reason=error)
    comparison = options.comparison
    if problem.float_tolerance is not None and comparison.mode == "default":
        comparison = Comparison("float", problem.float_tolerance)
    order = run_order(tests, options, failures)
    by_index: dict[int, TestResult] = {}

    def on_result(k: int, ex: Execution) -> bool:
        i = order[k]
        if _timing_decides(ex, limits):
            ex = _rerun(ex, executor, program, tests[i].input, limits, problem.input_mode)
        result = _test_result(ex)
        if result.verdict is Verdict.AC and problem.kind == "stdio":
            expected = tests[i].output
            if checker is not None:
                result.verdict, result.reason = checker.judge(tests[i].input, expected, ex.stdout)
            else:
                ok, why = comparison.compare(expected, ex.stdout)
                if not ok:
                    result.verdict, result.reason = Verdict.WA, why
        elif result.verdict is Verdict.RE and problem.kind == "function" and "AssertionError" in ex.stderr:
            # a failed assert in check() is a wrong answer; other exceptions stay RE
            result.verdict = Verdict.WA
        by_index[i] = result
        return not (options.early_stop and result.verdict is not Verdict.AC)

    run = executor.run(program, [tests[i].input for i in order], limits, on_result, problem.input_mode)
    if run.compile_failed:
        assert run.compile is not None
        verdict = Verdict.IE if run.compile.verdict is Verdict.IE else Verdict.CE
        return SolutionResult(verdict, reason=run.compile.reason, compile_output=run.compile.stderr[-2000:])
    results = [by_index.get(i) or TestResult(Verdict.SKIP, reason="early stop") for i in range(len(tests))]
    verdict = solution_verdict(results)
    first_bad = next((r for r in results if r.verdict is verdict), None)
    reason = ""
    if verdict is not Verdict.AC and first_bad is not None:
        reason = f"test {results.index(first_bad) + 1}: {first_bad.reason}".rstrip(": ")
    return SolutionResult(verdict, results, reason)


#: an AC this close to the time limit is timed again, as is every TLE
NEAR_LIMIT = 0.75


def _timing_decides(ex: Execution, limits: Limits) -> bool:
    if ex.verdict is Verdict.TLE:
        return True
    return ex.verdict is Verdict.AC and (ex.cpu_time or 0.0) > NEAR_LIMIT * limits.time_s


def _rerun(
    first: Execution, executor: Executor, program: Program, data: bytes, limits: Limits, input_mode: str
) -> Execution:
    """Run the test once more; the faster run counts (load only ever slows a program down).
    Both runs are recorded on the Execution for the results."""
    again = executor.run(program, [data], limits, lambda i, e: True, input_mode)
    if again.compile_failed or not again.runs or again.runs[0].verdict is Verdict.IE:
        return first  # the rerun could not be made: the first run stands
    second = again.runs[0]

    def cost(ex: Execution) -> float:
        return ex.cpu_time if ex.cpu_time is not None else (ex.wall_time or 0.0)

    counted, other, label = (
        (second, first, "rerun") if cost(second) < cost(first) else (first, second, "first")
    )
    counted.timing = {"other_run": {"verdict": other.verdict.value, "time": cost(other)}, "counted": label}
    return counted


def _test_result(ex: Execution) -> TestResult:
    timing = ex.timing or {}
    return TestResult(
        other_run=timing.get("other_run"),
        counted=timing.get("counted"),
        verdict=ex.verdict,
        time=ex.cpu_time if ex.cpu_time is not None else ex.wall_time,
        wall_time=ex.wall_time,
        memory_kb=ex.memory_kb,
        reason=ex.reason,
        exit_code=ex.exit_code,
    )
