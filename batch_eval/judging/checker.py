"""Checker programs: run with three files, their verdict read by the convention they follow.

Conventions (a problem's `checker_convention`, else `--checker-convention`):

- `open-r1` (the default for `generated_checker`): `checker INPUT EXPECTED ACTUAL`;
  accepted when the first line of its stdout is `1` or `100` (a score in [0, 1] or
  [0, 100]: anything less is WA). No number on stdout, or a non-zero exit, is IE.
- `testlib`: `checker INPUT ACTUAL EXPECTED`; exit code 0 OK, 1 WA, 2 PE (judged WA),
  3 FAIL (IE: the checker itself failed), 7 partial points (WA: we judge pass/fail);
  any other exit is IE.

A checker that crashes, times out or says FAIL is IE, never WA: it says nothing about
the solution.
"""

from __future__ import annotations

import itertools
import tempfile
from pathlib import Path

from batch_eval.executors.base import Execution, Limits, last_line
from batch_eval.executors.local.policy import solution_env
from batch_eval.executors.local.process import Command, run_command
from batch_eval.judging.problems import Checker
from batch_eval.verdict import Verdict

CONVENTIONS = ("open-r1", "testlib")
CHECKER_LIMITS = Limits(time_s=10.0, memory_mb=2048, output_bytes=1 << 20, processes=64)


class CheckerRunner:
    """Runs one problem's checker for each test; writes its source once. Safe from several
    threads (a check with records in flight): each call has its own numbered files."""

    def __init__(self, checker: Checker, python: str) -> None:
        self.checker = checker
        self.python = python
        self._dir = tempfile.TemporaryDirectory(prefix="batch-eval-checker-")
        self.box = Path(self._dir.name)
        self.script = self.box / "checker.py"
        self.script.write_text(checker.source, encoding="utf-8")
        self._numbers = itertools.count(1)  # next() is atomic: no two calls share files

    def judge(self, test_input: bytes, expected: bytes, actual: bytes) -> tuple[Verdict, str]:
        n = next(self._numbers)
        files = {}
        for name, data in (("input", test_input), ("expected", expected), ("actual", actual)):
            files[name] = self.box / f"{name}{n}.txt"
            files[name].write_bytes(data)
        if self.checker.convention == "testlib":
            args = [files["input"], files["actual"], files["expected"]]
        else:
            args = [files["input"], files["expected"], files["actual"]]
        cmd = Command([self.python, str(self.script), *map(str, args)], self.box, solution_env(self.box))
        ex = run_command(cmd, files["input"], CHECKER_LIMITS, self.box, out_name=f"check{n}")
        for path in files.values():
            path.unlink(missing_ok=True)
        if self.checker.convention == "testlib":
            return _testlib_verdict(ex)
        return _open_r1_verdict(ex)

    def close(self) -> None:
        self._dir.cleanup()


def _open_r1_verdict(ex: Execution) -> tuple[Verdict, str]:
    if ex.verdict is not Verdict.AC:
        return Verdict.IE, f"checker failed: {ex.reason or ex.verdict}"
    first = ex.stdout.decode("utf-8", "replace").strip().split("\n")[0].strip()
    try:
        score = float(first)
    except ValueError:
        return Verdict.IE, f"checker printed no score: {first[:80]!r}"
    if score in (1.0, 100.0):
        return Verdict.AC, ""
    detail = last_line(ex.stderr)
    return Verdict.WA, f"checker: score {first}" + (f" ({detail})" if detail else "")


def _testlib_verdict(ex: Execution) -> tuple[Verdict, str]:
    message = last_line(ex.stderr) or last_line(ex.stdout.decode("utf-8", "replace"))
    if ex.verdict in (Verdict.AC, Verdict.RE) and ex.exit_code is not None:
        code = ex.exit_code
        if code == 0:
            return Verdict.AC, ""
        if code in (1, 2):
            kind = "wrong answer" if code == 1 else "presentation error"
            return Verdict.WA, f"checker: {kind}" + (f": {message}" if message else "")
        if code == 7:
            return Verdict.WA, f"checker: partial points: {message}"
        if code == 3:
            return Verdict.IE, f"checker FAIL: {message}"
    return Verdict.IE, f"checker failed: {ex.reason or ex.verdict}"
