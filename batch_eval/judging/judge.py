"""Judge one program on one problem: run its tests through an executor, compare, decide."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from pathlib import Path

from batch_eval.executors.base import INTERACTOR_BROKEN, Execution, Executor, Expected, Limits, Program
from batch_eval.executors.sandbox import harness
from batch_eval.executors.sandbox.compare import Comparison
from batch_eval.judging.checker import CheckerRunner
from batch_eval.judging.problems import Problem, TestCase
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


#: what the interpreter prints for a program it cannot compile (no traceback above it)
_COMPILE_ERRORS = ("SyntaxError:", "IndentationError:", "TabError:")


def compile_error(program: Program, ex: Execution) -> str | None:
    """The compile error of a Python or JavaScript program, read from its run: the
    interpreter that runs the program decides what is valid syntax (3.12 code is valid under
    a 3.12 runtime whatever runs the judge). A SyntaxError raised while running (eval, exec,
    `throw`) comes with a traceback into the program and stays its runtime error."""
    if program.language == "javascript" and ex.verdict is Verdict.RE:
        return _node_syntax_error(ex.stderr)
    if program.language not in ("python", "pypy") or ex.verdict is not Verdict.RE:
        return None
    if "Traceback (most recent call last)" in ex.stderr:
        return None
    lines = [ln.strip() for ln in ex.stderr.strip().splitlines() if ln.strip()]
    if lines and lines[-1].startswith(_COMPILE_ERRORS):
        where = next((ln for ln in lines if ln.startswith("File ")), "")
        line_no = re.search(r"line (\d+)", where)
        return lines[-1][:300] + (f" (line {line_no.group(1)})" if line_no else "")
    return None


#: a stack frame in Node's own code (`node:internal/…` since Node 16, `internal/…` before)
_NODE_OWN = re.compile(r"(\(|at )(node:)?internal/")


def _node_syntax_error(stderr: str) -> str | None:
    """Node's SyntaxError for a program it could not compile: every stack frame is Node's own
    (its module loader), none in the program."""
    lines = [ln.strip() for ln in stderr.strip().splitlines() if ln.strip()]
    error = next((ln for ln in lines if ln.startswith("SyntaxError:")), None)
    frames = [ln for ln in lines if ln.startswith("at ")]
    if error is None or not frames or not all(_NODE_OWN.search(ln) for ln in frames):
        return None
    line_no = re.search(r":(\d+)$", lines[0])
    return error[:300] + (f" (line {line_no.group(1)})" if line_no else "")


#: the trusted harness every function problem runs as its program (see its docstring)
HARNESS = Path(harness.__file__).read_text(encoding="utf-8")


def candidate_source(problem: Problem, program: Program) -> str:
    """The candidate's module: the problem's prompt (its imports and helpers, what the code
    may rely on), then the code. When the code defines the entry point itself (a model asked
    for the whole function), the prompt still comes first and the code's definition
    replaces the prompt's stub."""
    code = program.source
    if not problem.prompt or not problem.entry_point:
        return code
    defines = re.search(rf"^\s*(async\s+)?def\s+{re.escape(problem.entry_point)}\s*\(", code, re.M)
    prompt = problem.prompt if problem.prompt.endswith("\n") else problem.prompt + "\n"
    return prompt + ("\n" + code if defines else code)


def function_tests(
    problem: Problem, program: Program, call_limit: float = 0.0
) -> tuple[Program, list[TestCase]]:
    """The harness as the program, and one test per part of the problem (EvalPlus: base,
    plus; else one, "check"), each the harness's job on its standard input: the candidate's
    source, the problem's own code, the tests' code, the entry point and, for a call-based
    problem, each call's own CPU limit (`call_limit`)."""
    source = candidate_source(problem, program)
    tests = []
    for part in problem.parts or ["check"]:
        job = {
            "source": source,
            "setup": problem.prompt,
            "test": problem.test_code,
            "entry": problem.entry_point,
            "method": problem.solution_class,
            "prelude": problem.prelude,
            "part": part,
        }
        if call_limit:
            job["call_limit"] = call_limit
        tests.append(TestCase(json.dumps(job).encode(), b"", part))
    return Program(program.language, HARNESS), tests


def harness_report(ex: Execution) -> tuple[Verdict, str] | None:
    """The verdict the harness wrote (its last line of output), or None when it wrote none."""
    lines = ex.stdout.rstrip(b"\n").rsplit(b"\n", 1)
    try:
        report = json.loads(lines[-1])
        return Verdict(report["verdict"]), str(report.get("reason") or "")
    except (ValueError, KeyError, TypeError):
        return None


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
    """The verdict of `program` on `problem`, one TestResult per test.

    The tests run in passes through the executor, each stopping (with early stop) at the
    first test that is not AC. After a pass, each test whose verdict hangs on timing is run
    again, never while another test of the program is in flight; when that turns the test
    that stopped the pass into an AC, the next pass goes on with the tests after it.
    """
    if problem.kind == "function":
        program, tests = function_tests(problem, program, limits.time_s if problem.calls else 0.0)
        if problem.calls:  # each call has the limit; the run, one for each and one to load
            limits = replace(limits, time_s=round(limits.time_s * (problem.calls + 1), 3))
    comparison = options.comparison
    if problem.float_tolerance is not None and comparison.mode == "default":
        comparison = Comparison("float", problem.float_tolerance)
    elif problem.compare_mode is not None and comparison.mode == "default":
        comparison = Comparison(problem.compare_mode, comparison.tolerance)
    # the parts of a function problem run in their order (EvalPlus: base decides the base score)
    pending = list(range(len(tests))) if problem.parts else run_order(tests, options, failures)
    results: dict[int, TestResult] = {}
    first = True
    while pending:
        done = _one_pass(problem, tests, pending, program, executor, limits, options, comparison, checker)
        if done.compile is not None:
            verdict = Verdict.IE if done.compile.verdict is Verdict.IE else Verdict.CE
            output = done.compile.stderr[-2000:]
            return SolutionResult(verdict, reason=done.compile.reason, compile_output=output)
        if first and done.syntax is not None:
            return SolutionResult(Verdict.CE, reason=done.syntax, compile_output=done.ran[0][1].stderr)
        first = False
        if not done.ran:  # an executor that ran nothing it was given: never a verdict on the program
            for i in pending:
                results[i] = TestResult(Verdict.IE, reason="the executor returned no result for this test")
            break
        for i, ex, result in done.ran:
            if _timing_decides(ex, limits):
                ex = _rerun(ex, executor, program, tests[i], limits, problem)
                result = _decide(problem, tests[i], ex, comparison, checker)
            results[i] = result
        pending = pending[len(done.ran) :]
        if options.early_stop and any(r.verdict is not Verdict.AC for r in results.values()):
            break
    final = [results.get(i) or TestResult(Verdict.SKIP, reason="early stop") for i in range(len(tests))]
    verdict = solution_verdict(final)
    first_bad = next((r for r in final if r.verdict is verdict), None)
    reason = ""
    if verdict is not Verdict.AC and first_bad is not None:
        reason = f"test {final.index(first_bad) + 1}: {first_bad.reason}".rstrip(": ")
    return SolutionResult(verdict, final, reason)


@dataclass
class _Pass:
    """What one pass through the executor gave: the tests it ran, in order, with their runs
    and results; the failed compile, if any; the interpreter's compile error read from the
    first run."""

    ran: list[tuple[int, Execution, TestResult]]
    compile: Execution | None = None
    syntax: str | None = None


def _one_pass(
    problem: Problem,
    tests: list[TestCase],
    pending: list[int],
    program: Program,
    executor: Executor,
    limits: Limits,
    options: JudgeOptions,
    comparison: Comparison,
    checker: CheckerRunner | None,
) -> _Pass:
    """Run the `pending` tests in their order until one fails (with early stop) or the
    program does not compile."""
    done = _Pass([])

    def on_result(k: int, ex: Execution) -> bool:
        i = pending[k]
        result = _decide(problem, tests[i], ex, comparison, checker)
        done.ran.append((i, ex, result))
        if len(done.ran) == 1:
            if problem.kind == "function" and result.verdict is Verdict.CE:
                done.syntax = result.reason
            else:
                done.syntax = compile_error(program, ex)
        return done.syntax is None and not (options.early_stop and result.verdict is not Verdict.AC)

    # the outputs to stop at a wrong one with, for an executor that can stop there itself
    expected = (
        Expected([tests[i].output for i in pending], comparison.mode, comparison.tolerance)
        if options.early_stop and problem.kind == "stdio" and checker is None
        else None
    )
    inputs = [tests[i].input for i in pending]
    if problem.interactor:
        answers = [tests[i].output for i in pending]
        run = executor.run_interactive(program, inputs, limits, on_result, problem.interactor, answers)
    else:
        run = executor.run(program, inputs, limits, on_result, problem.input_mode, expected)
    if run.compile_failed:
        assert run.compile is not None
        done.compile = run.compile
    return done


def _decide(
    problem: Problem, test: TestCase, ex: Execution, comparison: Comparison, checker: CheckerRunner | None
) -> TestResult:
    """A test's result from its run: the run's own verdict, then (when the program ended
    well) its output against the test's, or the harness's verdict on a function problem."""
    result = _test_result(ex)
    if result.verdict is not Verdict.AC or problem.interactor:
        if problem.interactor and result.reason.startswith(INTERACTOR_BROKEN):
            result.reason = f"problem {problem.id}'s" + result.reason.removeprefix("the problem's")
        return result  # an interactor's verdict is final (interactive.py)
    if problem.kind == "function":
        # only the harness writes this output: its verdict is the test's
        report = harness_report(ex)
        if report is None:
            result.verdict, result.reason = Verdict.WA, "the tests did not finish"
        else:
            result.verdict, result.reason = report
        return result
    if checker is not None:
        result.verdict, result.reason = checker.judge(test.input, test.output, ex.stdout)
    else:
        ok, why = comparison.compare(test.output, ex.stdout)
        if not ok:
            result.verdict, result.reason = Verdict.WA, why
    if (
        result.verdict is Verdict.WA
        and ex.stdout_lossy
        and _may_be_right(test.output, ex.stdout, comparison, checker)
    ):
        # the bytes the program wrote are unknown, and a right answer's non-ASCII characters
        # may be what the server mangled: no verdict on them. (Against an ASCII answer the WA
        # stands: the bytes it replaced were not ASCII, so the real output was not the answer
        # either, and a program that prints b"\xff" to be IE is judged.)
        result.verdict = Verdict.IE
        result.reason = (
            "the output came back with characters lost (not UTF-8, or mangled by the Piston "
            f"server): cannot judge it ({result.reason})"
        )
    return result


_NOT_ASCII = re.compile(rb"[\x80-\xff]+")


def _may_be_right(expected: bytes, mangled: bytes, comparison: Comparison, checker: object) -> bool:
    """Whether an output the server mangled (non-ASCII bytes it could not decode made U+FFFD)
    may have been a right answer to a non-ASCII one. The server keeps every ASCII byte, so a
    right answer's ASCII bytes match the expected ones' in every mode: when they do not, the
    output was wrong whatever its lost bytes were (a program that prints b"\xff" beside a
    wrong answer is WA, not IE). A checker, and decimal-lines (Decimal reads non-ASCII
    digits), may accept anything: there the output may always have been right."""
    if expected.isascii():
        return False
    if checker is not None or comparison.mode == "decimal-lines":
        return True
    return comparison.compare(_NOT_ASCII.sub(b"", expected), _NOT_ASCII.sub(b"", mangled))[0]


#: an AC this close to the time limit is timed again, as is every TLE
NEAR_LIMIT = 0.75
#: a run killed at the wall clock with CPU time to spare is run once more with this many
#: times the wall time: on a loaded machine a program waits for a core, and that is not its fault
PATIENT_WALL = 3.0


def _timing_decides(ex: Execution, limits: Limits) -> bool:
    if ex.verdict is Verdict.TLE:
        return True
    return ex.verdict is Verdict.AC and (ex.cpu_time or 0.0) > NEAR_LIMIT * limits.time_s


def _starved(ex: Execution, limits: Limits) -> bool:
    """Killed at the wall clock before using its CPU time: slow because it waited."""
    return ex.wall_killed and (ex.cpu_time or 0.0) < limits.time_s


def _once(
    executor: Executor, program: Program, test: TestCase, limits: Limits, problem: Problem
) -> Execution | None:
    if problem.interactor:
        again = executor.run_interactive(
            program, [test.input], limits, lambda i, e: True, problem.interactor, [test.output]
        )
    else:
        again = executor.run(program, [test.input], limits, lambda i, e: True, problem.input_mode)
    if again.compile_failed or not again.runs or again.runs[0].verdict is Verdict.IE:
        return None
    return again.runs[0]


def _rerun(
    first: Execution, executor: Executor, program: Program, test: TestCase, limits: Limits, problem: Problem
) -> Execution:
    """Run the test once more and keep the run least slowed by load. Both are recorded."""
    second = _once(executor, program, test, limits, problem)
    if second is None:
        return first  # the rerun could not be made: the first run stands
    counted, other = choose(first, second)
    if _starved(counted, limits):
        # twice killed while waiting for a core: once more, with time to finish
        patient = replace(limits, wall_s=limits.wall * PATIENT_WALL)
        third = _once(executor, program, test, patient, problem)
        if third is not None:
            counted, other = third, counted
            counted.timing = {"patient": True}
    label = "rerun" if counted is not first else "first"
    counted.timing = {
        **(counted.timing or {}),
        "other_run": {"verdict": other.verdict.value, "time": _cost(other)},
        "counted": label,
    }
    return counted


def _cost(ex: Execution) -> float:
    return ex.cpu_time if ex.cpu_time is not None else (ex.wall_time or 0.0)


def choose(first: Execution, second: Execution) -> tuple[Execution, Execution]:
    """(counted, other) of two runs of one test: a run that finished beats one killed at the
    wall clock (whose CPU time was cut short); between two finished runs the one with less
    CPU time counts (load only ever slows a program down); two killed runs keep the first."""
    if first.wall_killed != second.wall_killed:
        return (second, first) if first.wall_killed else (first, second)
    if first.wall_killed:
        return first, second
    return (second, first) if _cost(second) < _cost(first) else (first, second)


def _test_result(ex: Execution) -> TestResult:
    timing = ex.timing or {}
    return TestResult(
        other_run=timing.get("other_run"),
        counted=timing.get("counted"),
        patient=timing.get("patient"),
        verdict=ex.verdict,
        time=ex.cpu_time if ex.cpu_time is not None else ex.wall_time,
        wall_time=ex.wall_time,
        memory_kb=ex.memory_kb,
        reason=ex.reason,
        exit_code=ex.exit_code,
    )
