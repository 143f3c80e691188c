"""Interactive tests: a program and the problem's interactor talking through pipes.

The interactor is trusted problem code: Python source, or C++ written for testlib
(`registerInteraction`), compiled once per process against our testlib-compatible header or
the user's testlib.h (testlib.py). It runs as our checkers are (on this machine, as the judging
user, through the process runner: its own session, a scrubbed environment, `checker_limits`,
SIGPIPE ignored), with testlib's `registerInteraction` arguments: `interactor INPUT OUTPUT ANSWER`, INPUT the
test's input file, OUTPUT a file it may write for a checker (`tout`; not read here), ANSWER the
test's expected output (testlib's `ans`).
Its stdout is the program's stdin and the program's stdout its stdin. Its exit code is its
verdict, as testlib's: 0 OK, 1 WA, 2 PE, 4 extra output, 7 points, 8 unexpected end of file,
16 and above partial credit reject; 3 FAIL, any other exit, a signal or its own limits are a
broken interactor, and so is a C++ interactor that does not compile (IE, the compiler's first
error said).

The program runs as any test program (the caller's `execute`: the jail, the problem's limits);
one that waits for input the interactor never sends is killed at the wall clock: `TLE`.

The verdict, in this order (Codeforces' and testlib's invokers: the program's limits first, then
the interactor's word, which also explains a program killed by a pipe the interactor closed;
outcome.py `interactive_verdict`, the rule every executor applies):

1. the program over its time, memory or output limit: that verdict;
2. the interactor broken (FAIL, a crash, its own limits): `IE`, never a verdict on the program;
3. the interactor rejects: `WA` with its words;
4. the program crashed or exited non-zero: `RE`;
5. else `AC`.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from batch_eval.executors.base import Execution, Limits, checker_limits
from batch_eval.executors.local.policy import solution_env
from batch_eval.executors.local.process import Command, run_command
from batch_eval.executors.local.testlib import BUILDS, OWN_HEADER, is_cpp
from batch_eval.executors.outcome import interactive_verdict
from batch_eval.verdict import Verdict

#: a program's stdin and stdout file descriptors when it talks to an interactor (else None)
Pipes = tuple[int, int] | None
#: runs the program with the given (stdin, stdout) file descriptors, closing them
Execute = Callable[[tuple[int, int]], Execution]


def interact(
    source: str,
    python: str,
    test_input: bytes,
    program_limits: Limits,
    execute: Execute,
    answer: bytes | None = None,
    cxx: str = "g++",
    testlib: Path = OWN_HEADER,
) -> Execution:
    """Run `execute`'s program (under `program_limits`) against the interactor `source` (Python,
    or C++ built with `cxx` against `testlib`) on one test (`answer`: its expected output, the
    interactor's ANSWER file when given); the program's Execution with the
    verdict of the module docstring (its stdout: nothing, the interactor read it)."""
    limits = checker_limits(program_limits)
    # its wall clock outlasts the program's: it has the last word on a program that stopped
    limits = replace(limits, wall_s=limits.wall + program_limits.wall)
    if is_cpp(source):
        binary, why = BUILDS.build(source, cxx, testlib)
        if why:
            return Execution(Verdict.IE, reason=why)
    with tempfile.TemporaryDirectory(prefix="batch-eval-interactor-") as tmp:
        box = Path(tmp)
        input_path, output_path = box / "input.txt", box / "output.txt"
        input_path.write_bytes(test_input)
        files = [str(input_path), str(output_path)]
        if answer is not None:
            (box / "answer.txt").write_bytes(answer)
            files.append(str(box / "answer.txt"))
        if is_cpp(source):
            argv = [binary, *files]
        else:
            script = box / "interactor.py"
            script.write_text(source, encoding="utf-8")
            argv = [python, str(script), *files]
        # trusted problem code keeps Python's own limit on integers' digits (programs have none):
        # a program's 4-million-digit "number" is the interactor's ValueError, not seconds of
        # its CPU (over its own limit: the problem's IE)
        env = {k: v for k, v in solution_env(box).items() if k != "PYTHONINTMAXSTRDIGITS"}
        cmd = Command(argv, box, env, ignore_sigpipe=True)
        to_program_r, to_program_w = os.pipe()
        from_program_r, from_program_w = os.pipe()
        born = threading.Event()
        forked: list[bool] = []
        said: list[Execution] = []

        def started() -> None:
            forked.append(True)
            born.set()

        def run() -> None:
            try:
                ends = (from_program_r, to_program_w)
                said.append(
                    run_command(
                        cmd, input_path, limits, box, "interactor", pipes=ends, started=started, reap=False
                    )
                )
            finally:
                if not forked and not said:  # raised before it started: the program must see
                    # its input end, not wait (a run that returned closed them itself)
                    for fd in (from_program_r, to_program_w):
                        os.close(fd)
                born.set()

        thread = threading.Thread(target=run, name="batch-eval-interactor", daemon=True)
        thread.start()
        born.wait()
        # the program's run reaps the zombies of children born at or after its start: the
        # interactor must be born a clock tick earlier, or its exit status could be lost
        time.sleep(0.02)
        program = execute((to_program_r, from_program_w))
        thread.join()
        if not said:
            return Execution(Verdict.IE, reason="the interactor's run failed")
        interactor = said[0]
        if interactor.verdict is Verdict.IE:
            return Execution(Verdict.IE, reason=f"cannot start the interactor: {interactor.reason}")
        return interactive_verdict(program, interactor)
