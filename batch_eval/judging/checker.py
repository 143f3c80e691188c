"""Checker programs: tested on each test's own expected output before they judge a program's.

A problem's checker (Python source: open-r1's `generated_checker`, or a problem's `checker`;
or C++ written for testlib, `registerTestlibCmd`, compiled once with our testlib-compatible
header or the user's testlib.h, executors/local/testlib.py, and always of the testlib
convention) runs with three file arguments, on this machine whatever the executor, as the judging user,
in its own session, with a scrubbed environment, the test's input as its stdin, under
`checker_limits` (CPU time: 3x the program's limit, at least 2 s; 2048 MB of address space;
1 MB of output) and killed with its whole process group at the wall clock.

Conventions (a problem's `checker_convention`, else `--checker-convention`):

- `open-r1` (the default for `generated_checker`): `checker INPUT EXPECTED ACTUAL`, exit 0,
  and the first line of its stdout is the score: `1` or `100` (as a float: `1.0` too) is
  accepted, any other number (`0`, `0.5`, `nan`) rejects. No number there is a crash.
- `testlib`: `checker INPUT ACTUAL EXPECTED`; the exit code decides: 0 OK accepts; 1 WA,
  2 PE, 4 dirt (extra output), 7 points, 8 unexpected end of file reject; 3 FAIL and every
  other exit are a crash. Its output is never read for a verdict, only as its words.

A checker is trusted problem code fed an untrusted program's output, so before it judges a
program's output on a test it judges the test's expected output (remembered per runner,
keyed by the test's content; the runner is the check's, per problem):

- it accepts the expected output: on the program's output, an accept is `AC`; a reject is
  `WA`; a crash (a non-zero exit the convention does not name, a signal, a CPU time, memory
  or output limit, no score, testlib's FAIL) is `WA` too, with the checker's last stderr
  line as its reason: the output alone made a working checker fail.
- it rejects or crashes on the expected output: the checker is broken, and every program's
  accepted run on that test is `IE` with that reason (`batch-eval audit` lists the problem).

Only our side's failures are `IE` on a program's output: a checker that cannot be started,
or one killed at the wall clock before using its CPU time twice (once more with a patient
wall clock: a loaded machine starves it, its input does not).
"""

from __future__ import annotations

import itertools
import tempfile
import threading
from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import Enum
from pathlib import Path

from batch_eval.executors.base import Execution, Limits, checker_limits, error_line, last_line
from batch_eval.executors.local.policy import solution_env
from batch_eval.executors.local.process import Command, run_command
from batch_eval.executors.local.testlib import BUILDS, header, is_cpp
from batch_eval.judging.cache import digest
from batch_eval.judging.problems import Checker
from batch_eval.verdict import Verdict

CONVENTIONS = ("open-r1", "testlib")
#: how an IE caused by the problem's own checker begins (audit counts it as a rejection)
CHECKER_BROKEN = "the problem's checker is broken"
#: a run killed at the wall clock with CPU time to spare is run once more with this many
#: times the wall time (a loaded machine starves a checker; its input cannot)
PATIENT_WALL = 4.0
#: testlib's exit codes that reject the output (WA, PE, dirt, points, unexpected EOF)
_TESTLIB_REJECTS = {
    1: "wrong answer",
    2: "presentation error",
    4: "extra output",
    7: "partial points",
    8: "unexpected end of file",
}


class Said(Enum):
    """What one run of a checker said about an output."""

    ACCEPT = "accept"
    REJECT = "reject"
    CRASH = "crash"  # the checker failed on this output (the output's doing, or a broken checker)
    FAULT = "fault"  # our side failed: no verdict at all


@dataclass(frozen=True)
class Reading:
    said: Said
    reason: str = ""


@dataclass
class _Reference:
    """The expected output's reading on one test, once known (None: not yet, or a fault)."""

    lock: threading.Lock
    reading: Reading | None = None


class CheckerRunner:
    """Runs one problem's checker for each test; writes its source once. Safe from several
    threads (a check with records in flight): each call has its own numbered files, and each
    test's expected output is judged once."""

    def __init__(
        self, checker: Checker, python: str, limits: Limits | None = None, testlib: Path | None = None
    ) -> None:
        self.checker = checker
        self.python = python
        self.limits = limits or checker_limits()
        self._dir = tempfile.TemporaryDirectory(prefix="batch-eval-checker-")
        self.box = Path(self._dir.name)
        self.compiled = is_cpp(checker.source)
        self.convention = "testlib" if self.compiled else checker.convention
        self.testlib = testlib or header()
        self.script = self.box / "checker.py"
        if not self.compiled:
            self.script.write_text(checker.source, encoding="utf-8")
        self._numbers = itertools.count(1)  # next() is atomic: no two calls share files
        self._lock = threading.Lock()
        self._references: dict[str, _Reference] = {}
        self.runs = 0  # checker processes started (the reference's included)

    def judge(self, test_input: bytes, expected: bytes, actual: bytes) -> tuple[Verdict, str]:
        """The verdict of `actual`, a program's output on the test (`test_input`, `expected`)."""
        broken = self.broken_on(test_input, expected)
        if broken:
            return Verdict.IE, broken
        reading = self.read(test_input, expected, actual)
        if reading.said is Said.ACCEPT:
            return Verdict.AC, ""
        if reading.said is Said.REJECT:
            return Verdict.WA, reading.reason
        if reading.said is Said.CRASH:
            return Verdict.WA, f"{reading.reason} (it accepts the expected output)"
        return Verdict.IE, reading.reason

    def broken_on(self, test_input: bytes, expected: bytes) -> str:
        """'' when the checker accepts the test's own expected output; else why it is broken
        (a fault of ours is said, not remembered: the next call tries again)."""
        if self.compiled:
            why = BUILDS.build(self.checker.source, "g++", self.testlib, "checker")[1]
            if why:
                return why if why.startswith(CHECKER_BROKEN) else f"cannot test the checker: {why}"
        key = digest(test_input, expected)
        with self._lock:
            entry = self._references.setdefault(key, _Reference(threading.Lock()))
        with entry.lock:
            reading = entry.reading
            if reading is None:
                reading = self.read(test_input, expected, expected)
                if reading.said is not Said.FAULT:
                    entry.reading = reading
        if reading.said is Said.ACCEPT:
            return ""
        if reading.said is Said.FAULT:
            return f"cannot test the checker on the expected output: {reading.reason}"
        how = "rejects" if reading.said is Said.REJECT else "fails on"
        return f"{CHECKER_BROKEN}: it {how} the test's expected output ({reading.reason})"

    def broken(self, tests: Iterable[tuple[bytes, bytes]]) -> str:
        """'' when the checker accepts every test's (input, expected output); else the first
        test (1-based) it does not accept, and why."""
        for n, (test_input, expected) in enumerate(tests, 1):
            why = self.broken_on(test_input, expected)
            if why:
                return f"test {n}: {why}"
        return ""

    def read(self, test_input: bytes, expected: bytes, actual: bytes) -> Reading:
        """What the checker says of `actual` on the test, by the problem's convention."""
        if self.compiled:
            binary, why = BUILDS.build(self.checker.source, "g++", self.testlib, "checker")
            if why:
                return Reading(Said.FAULT, why)
            program = [binary]
        else:
            program = [self.python, str(self.script)]
        n = next(self._numbers)
        files = {}
        for name, data in (("input", test_input), ("expected", expected), ("actual", actual)):
            files[name] = self.box / f"{name}{n}.txt"
            files[name].write_bytes(data)
        if self.convention == "testlib":
            args = [files["input"], files["actual"], files["expected"]]
        else:
            args = [files["input"], files["expected"], files["actual"]]
        cmd = Command([*program, *map(str, args)], self.box, solution_env(self.box))
        try:
            ex = self._run(cmd, files["input"], n, self.limits)
            if _starved(ex, self.limits):
                ex = self._run(
                    cmd, files["input"], n, replace(self.limits, wall_s=self.limits.wall * PATIENT_WALL)
                )
        finally:
            for path in files.values():
                path.unlink(missing_ok=True)
        if ex.verdict is Verdict.IE:
            return Reading(Said.FAULT, f"checker not run: {ex.reason}")
        if _starved(ex, self.limits):
            return Reading(Said.FAULT, f"checker starved: {ex.reason} with {ex.cpu_time or 0:.2f} s CPU")
        if self.convention == "testlib":
            return _testlib_reading(ex)
        return _open_r1_reading(ex)

    def _run(self, cmd: Command, stdin: Path, n: int, limits: Limits) -> Execution:
        self.runs += 1
        ex = run_command(cmd, stdin, limits, self.box, out_name=f"check{n}")
        for suffix in (".out", ".err"):
            (self.box / f"check{n}{suffix}").unlink(missing_ok=True)
        return ex

    def close(self) -> None:
        self._dir.cleanup()


def _starved(ex: Execution, limits: Limits) -> bool:
    """Killed at the wall clock before using its CPU time: slow because it waited."""
    return ex.wall_killed and (ex.cpu_time or 0.0) < limits.time_s


def _words(ex: Execution) -> str:
    """What the checker said last: its stderr's last line, else its stdout's."""
    return error_line(ex.stderr, 200) or last_line(ex.stdout.decode("utf-8", "replace"), 200)


def _crash(ex: Execution, what: str) -> Reading:
    words = _words(ex)
    return Reading(Said.CRASH, f"checker {what}" + (f": {words}" if words and words not in what else ""))


def _open_r1_reading(ex: Execution) -> Reading:
    if ex.verdict is not Verdict.AC:
        return _crash(ex, f"failed ({ex.reason or ex.verdict})")
    first = ex.stdout.decode("utf-8", "replace").strip().split("\n")[0].strip()
    try:
        score = float(first)
    except ValueError:
        return _crash(ex, f"printed no score ({first[:80]!r})")
    if score in (1.0, 100.0):
        return Reading(Said.ACCEPT)
    detail = last_line(ex.stderr, 200)
    return Reading(Said.REJECT, f"checker: score {first[:80]}" + (f" ({detail})" if detail else ""))


def _testlib_reading(ex: Execution) -> Reading:
    message = _words(ex)
    if ex.verdict in (Verdict.AC, Verdict.RE) and ex.exit_code is not None:
        code = ex.exit_code
        if code == 0:
            return Reading(Said.ACCEPT)
        if code in _TESTLIB_REJECTS:
            return Reading(
                Said.REJECT, f"checker: {_TESTLIB_REJECTS[code]}" + (f": {message}" if message else "")
            )
        if code == 3:
            return _crash(ex, "said FAIL")
    return _crash(ex, f"failed ({ex.reason or ex.verdict})")
