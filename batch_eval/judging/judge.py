"""Judge one program on one problem: run its tests through an executor, compare, decide."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, replace

from batch_eval.executors.base import Execution, Executor, Expected, Limits, Program
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


#: the harness of a function problem: a per-run token read from standard input before the
#: completion runs, printed (on the real descriptor) only after check() returned. The
#: completion never sees it, so no way of ending the process early (exit(0), os._exit in an
#: atexit handler or an excepthook, a thread) can pass: the token is not printed. The line
#: after the token names the part of the problem this run judges (`_batch_eval_part`).
_HARNESS_HEAD = (
    "def _batch_eval_harness():\n"
    "    import os\n"
    "    words = os.read(0, 256).split()\n"
    "    os.lseek(0, 0, os.SEEK_END)\n"
    "    token = words[0] if words else b''\n"
    "    part = words[1].decode() if len(words) > 1 else 'check'\n"
    "    return (lambda: os.write(1, b'\\n' + token + b'\\n')), part\n"
    "_batch_eval_done, _batch_eval_part = _batch_eval_harness(); del _batch_eval_harness\n"
)


def function_program(problem: Problem, program: Program) -> Program:
    """The harness, then prompt + completion + test + check(entry_point), as HumanEval's
    harness builds it, then the proof that check() returned.

    When the code already defines the entry point (a model asked for the whole
    function), the prompt still comes first: its imports and helpers are what the
    code may rely on, and the code's definition replaces the prompt's stub.
    """
    code = program.source
    defines = re.search(rf"^\s*(async\s+)?def\s+{re.escape(problem.entry_point)}\s*\(", code, re.M)
    prompt = problem.prompt if not problem.prompt or problem.prompt.endswith("\n") else problem.prompt + "\n"
    body = prompt + ("\n" + code if defines else code)
    source = (
        f"{_HARNESS_HEAD}{body}\n\n{problem.test_code}\n\ncheck({problem.entry_point})\n_batch_eval_done()\n"
    )
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
    """The verdict of `program` on `problem`, one TestResult per test.

    Tests run in one pass through the executor; a test whose verdict hangs on timing is run
    again after that pass, never inside it (nothing compiles, kills or re-runs while another
    test of the program is in flight). When a re-run turns the test that stopped the pass
    into an AC, the pass goes on with the tests after it.
    """
    token = b""
    if problem.kind == "function":
        program = function_program(problem, program)
        token = secrets.token_hex(16).encode()
        parts = problem.parts or ["check"]
        tests = [TestCase(token + b"\n" + part.encode() + b"\n", b"", part) for part in parts]
    comparison = options.comparison
    if problem.float_tolerance is not None and comparison.mode == "default":
        comparison = Comparison("float", problem.float_tolerance)

    def decide(i: int, ex: Execution) -> TestResult:
        result = _test_result(ex)
        if result.verdict is Verdict.AC and problem.kind == "stdio":
            expected = tests[i].output
            if checker is not None:
                result.verdict, result.reason = checker.judge(tests[i].input, expected, ex.stdout)
            else:
                ok, why = comparison.compare(expected, ex.stdout)
                if not ok:
                    result.verdict, result.reason = Verdict.WA, why
            if result.verdict is Verdict.WA and ex.stdout_lossy and not expected.isascii():
                # the bytes the program wrote are unknown, and a right answer's non-ASCII
                # characters may be what the server mangled: no verdict on them. (Against an
                # ASCII answer the WA stands: the bytes it replaced were not ASCII, so the real
                # output was not the answer either, and a program that prints b"\xff" to be
                # IE is judged.)
                result.verdict = Verdict.IE
                result.reason = (
                    "the output came back with characters lost (not UTF-8, or mangled by the Piston "
                    f"server): cannot judge it ({result.reason})"
                )
        elif problem.kind == "function":
            if result.verdict is Verdict.AC and b"\n" + token + b"\n" not in ex.stdout:
                result.verdict, result.reason = Verdict.WA, "check() did not return: the program ended first"
            elif result.verdict is Verdict.RE and "AssertionError" in ex.stderr:
                # a failed assert in check() is a wrong answer; other exceptions stay RE
                result.verdict = Verdict.WA
        return result

    by_index: dict[int, TestResult] = {}
    executions: dict[int, Execution] = {}
    syntax: list[str] = []  # the interpreter's compile error, read from the first test's run
    # the parts of a function problem run in their order (EvalPlus: base decides the base score)
    remaining = list(range(len(tests))) if problem.parts else run_order(tests, options, failures)
    while remaining:
        batch, ran = remaining, list[int]()

        def on_result(k: int, ex: Execution, batch: list[int] = batch, ran: list[int] = ran) -> bool:
            i = batch[k]
            ran.append(i)
            executions[i] = ex
            by_index[i] = decide(i, ex)
            if len(executions) == 1:
                syntax.extend(filter(None, [compile_error(program, ex)]))
            return not (syntax or (options.early_stop and by_index[i].verdict is not Verdict.AC))

        # the outputs to stop at a wrong one with, for an executor that can stop there itself
        expected = (
            Expected([tests[i].output for i in batch], comparison.mode, comparison.tolerance)
            if options.early_stop and problem.kind == "stdio" and checker is None
            else None
        )
        inputs = [tests[i].input for i in batch]
        run = executor.run(program, inputs, limits, on_result, problem.input_mode, expected)
        if run.compile_failed:
            assert run.compile is not None
            verdict = Verdict.IE if run.compile.verdict is Verdict.IE else Verdict.CE
            return SolutionResult(
                verdict, reason=run.compile.reason, compile_output=run.compile.stderr[-2000:]
            )
        if syntax:
            return SolutionResult(Verdict.CE, reason=syntax[0], compile_output=executions[ran[0]].stderr)
        remaining = batch[len(ran) :]
        for i in ran:
            if _timing_decides(executions[i], limits):
                ex = _rerun(executions[i], executor, program, tests[i].input, limits, problem.input_mode)
                by_index[i] = decide(i, ex)
        if options.early_stop and any(r.verdict is not Verdict.AC for r in by_index.values()):
            break
    results = [by_index.get(i) or TestResult(Verdict.SKIP, reason="early stop") for i in range(len(tests))]
    verdict = solution_verdict(results)
    first_bad = next((r for r in results if r.verdict is verdict), None)
    reason = ""
    if verdict is not Verdict.AC and first_bad is not None:
        reason = f"test {results.index(first_bad) + 1}: {first_bad.reason}".rstrip(": ")
    return SolutionResult(verdict, results, reason)


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
    executor: Executor, program: Program, data: bytes, limits: Limits, input_mode: str
) -> Execution | None:
    again = executor.run(program, [data], limits, lambda i, e: True, input_mode)
    if again.compile_failed or not again.runs or again.runs[0].verdict is Verdict.IE:
        return None
    return again.runs[0]


def _rerun(
    first: Execution, executor: Executor, program: Program, data: bytes, limits: Limits, input_mode: str
) -> Execution:
    """Run the test once more and keep the run least slowed by load. Both are recorded."""
    second = _once(executor, program, data, limits, input_mode)
    if second is None:
        return first  # the rerun could not be made: the first run stands
    counted, other = choose(first, second)
    if _starved(counted, limits):
        # twice killed while waiting for a core: once more, with time to finish
        patient = replace(limits, wall_s=limits.wall * PATIENT_WALL)
        third = _once(executor, program, data, patient, input_mode)
        if third is not None:
            if third.verdict is Verdict.TLE and third.wall_killed:
                third.reason = (
                    f"killed after {patient.wall:g} s wall clock with {third.cpu_time or 0:.2f} s CPU"
                )
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
