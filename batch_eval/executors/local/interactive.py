"""Interactive tests: a program and the problem's interactor talking through pipes.

The interactor is trusted problem code (Python source: a problem's `interactor`), run as our
checkers are (on this machine, as the judging user, its own session, a scrubbed environment,
`checker_limits`), with testlib's `registerInteraction` arguments: `interactor INPUT OUTPUT`,
INPUT the test's input file, OUTPUT a file it may write for a checker (not read here). Its
stdout is the program's stdin and the program's stdout its stdin. Its exit code is its verdict,
as testlib's: 0 OK, 1 WA, 2 PE, 4 extra output, 7 points, 8 unexpected end of file reject;
3 FAIL, any other exit, a signal or its own limits are a broken interactor.

The program runs as any test program (the caller's `execute`: the jail, the problem's limits);
one that waits for input the interactor never sends is killed at the wall clock: `TLE`.

The verdict, in this order (Codeforces' and testlib's invokers: the program's limits first, then
the interactor's word, which also explains a program killed by a pipe the interactor closed):

1. the program over its time, memory or output limit: that verdict;
2. the interactor broken (FAIL, a crash, its own limits): `IE`, never a verdict on the program;
3. the interactor rejects: `WA` with its words;
4. the program crashed or exited non-zero: `RE`;
5. else `AC`.
"""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from batch_eval.executors.base import Execution, Limits, checker_limits, error_line
from batch_eval.executors.local.policy import solution_env
from batch_eval.executors.sandbox import sandboxlib
from batch_eval.verdict import Verdict

#: testlib's exit codes that reject the program's side of the interaction
_REJECTS = {
    1: "wrong answer",
    2: "presentation error",
    4: "extra output",
    7: "partial points",
    8: "unexpected end of file",
}
#: the program's verdicts that are its own, whatever the interactor says
_LIMITS = (Verdict.TLE, Verdict.MLE, Verdict.OLE)

#: a program's stdin and stdout file descriptors when it talks to an interactor (else None)
Pipes = tuple[int, int] | None
#: runs the program with the given (stdin, stdout) file descriptors, closing them
Execute = Callable[[tuple[int, int]], Execution]


def _limit(limits: Limits) -> None:  # pragma: no cover - runs in the forked child
    cpu = sandboxlib.cpu_rlimit(limits.time_s)
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    mem = limits.memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)


def interact(
    source: str, python: str, test_input: bytes, program_limits: Limits, execute: Execute
) -> Execution:
    """Run `execute`'s program (under `program_limits`) against the interactor `source` on one
    test; the program's Execution with the verdict of the module docstring (its stdout:
    nothing, the interactor read it)."""
    limits = checker_limits(program_limits)
    wall_s = limits.wall + program_limits.wall
    with tempfile.TemporaryDirectory(prefix="batch-eval-interactor-") as tmp:
        box = Path(tmp)
        script, input_path, output_path = box / "interactor.py", box / "input.txt", box / "output.txt"
        script.write_text(source, encoding="utf-8")
        input_path.write_bytes(test_input)
        to_program_r, to_program_w = os.pipe()
        from_program_r, from_program_w = os.pipe()
        err_path = box / "interactor.err"
        try:
            with open(err_path, "wb") as err:
                interactor = subprocess.Popen(
                    [python, str(script), str(input_path), str(output_path)],
                    stdin=from_program_r,
                    stdout=to_program_w,
                    stderr=err,
                    cwd=box,
                    env=solution_env(box),
                    start_new_session=True,
                    preexec_fn=lambda: _limit(limits),
                )
        except OSError as exc:
            for fd in (to_program_r, to_program_w, from_program_r, from_program_w):
                os.close(fd)
            return Execution(Verdict.IE, reason=f"cannot start the interactor: {exc}")
        os.close(from_program_r)
        os.close(to_program_w)
        # the program's run reaps the zombies of children born at or after its start: the
        # interactor must be born a clock tick earlier, or its exit status could be lost
        time.sleep(0.02)
        done = threading.Event()
        timer = threading.Thread(target=_watch, args=(interactor, wall_s, done), daemon=True)
        timer.start()
        program = execute((to_program_r, from_program_w))
        try:
            interactor.wait(timeout=wall_s)
        except subprocess.TimeoutExpired:
            _kill(interactor)
            interactor.wait()
        done.set()
        words = error_line(err_path.read_text("utf-8", "replace"), 200)
        return _verdict(program, interactor.returncode, words)


def _watch(interactor: subprocess.Popen[bytes], wall_s: float, done: threading.Event) -> None:
    """Kill the interactor (its whole session) at its wall clock, whatever the program does."""
    if not done.wait(wall_s):
        _kill(interactor)


def _kill(interactor: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(interactor.pid, signal.SIGKILL)


def _verdict(program: Execution, code: int, words: str) -> Execution:
    program.stdout = b""
    if program.verdict in _LIMITS or program.verdict is Verdict.IE:
        return program
    said = f": {words}" if words else ""
    if code < 0:
        name = signal.Signals(-code).name
        program.verdict, program.reason = Verdict.IE, f"interactor killed by {name} (broken problem){said}"
    elif code == 3:
        program.verdict, program.reason = Verdict.IE, f"interactor said FAIL (broken problem){said}"
    elif code in _REJECTS:
        program.verdict, program.reason = Verdict.WA, f"interactor: {_REJECTS[code]}{said}"
    elif code != 0:
        program.verdict, program.reason = Verdict.IE, f"interactor exit code {code} (broken problem){said}"
    return program
