"""From a run's raw outcome to its verdict: one rule for every executor (local runners and
Piston alike), so that the same program's run gets the same verdict wherever it ran."""

from __future__ import annotations

import signal

from batch_eval.executors.base import Execution, Limits, error_line
from batch_eval.verdict import Verdict

#: what a program that ran out of memory prints (when no memory cgroup says so itself)
MEMORY_MARKERS = (
    "MemoryError",
    "std::bad_alloc",
    "Cannot allocate memory",
    "out of memory",
    "java.lang.OutOfMemoryError",
)


def classify(
    ex: Execution, limits: Limits, wall_killed: bool, output_over: bool, oom_killed: bool = False
) -> None:
    """Set `ex`'s verdict and reason from how it ended, in this order: killed for memory, killed
    at the wall clock, CPU time over the limit, output over the limit, memory over the limit
    (measured, or the program said so), killed by a signal, a non-zero exit; else it stays AC."""
    cpu = ex.cpu_time or 0.0
    ex.wall_killed = wall_killed
    if oom_killed and not wall_killed:
        ex.verdict, ex.reason = Verdict.MLE, f"killed for memory over the {limits.memory_mb} MB limit"
    elif wall_killed:
        wall = ex.wall_time if ex.wall_time is not None else limits.wall
        ex.verdict, ex.reason = Verdict.TLE, f"killed after {wall:.1f} s wall clock with {cpu:.2f} s CPU"
    elif cpu > limits.time_s or ex.signal == "SIGXCPU":
        ex.verdict, ex.reason = Verdict.TLE, f"{cpu:.2f} s CPU over the {limits.time_s:g} s limit"
    elif output_over or ex.signal == "SIGXFSZ":
        ex.verdict, ex.reason = Verdict.OLE, f"output over {limits.output_bytes} bytes"
    elif (ex.memory_kb or 0) > limits.memory_mb * 1024 or (
        ex.exit_code != 0 and any(m in ex.stderr for m in MEMORY_MARKERS)
    ):
        ex.verdict, ex.reason = Verdict.MLE, f"memory limit {limits.memory_mb} MB"
    elif ex.signal is not None:
        ex.verdict, ex.reason = Verdict.RE, f"killed by {ex.signal}"
    elif ex.exit_code != 0:
        ex.verdict = Verdict.RE
        ex.reason = f"exit code {ex.exit_code}" + (
            f": {error_line(ex.stderr, 200)}" if ex.stderr.strip() else ""
        )


#: testlib's exit codes that reject the program's side of an interaction
INTERACTOR_REJECTS = {
    1: "wrong answer",
    2: "presentation error",
    4: "extra output",
    7: "partial points",
    8: "unexpected end of file",
}
#: testlib's _pc(n): partial credit, exit code 16 + n
INTERACTOR_PARTIAL = 16
#: the program's verdicts that are its own, whatever the interactor says
PROGRAM_LIMITS = (Verdict.TLE, Verdict.MLE, Verdict.OLE)


def interactive_verdict(program: Execution, interactor: Execution) -> Execution:
    """The verdict of one interactive test from both sides' runs (every executor applies this,
    so the same run gets the same verdict wherever it ran): `program` (its verdict from its own
    limits, as `classify` set it) gets, in this order (Codeforces' and testlib's invokers):
    the program over its time, memory or output limit: that verdict; the interactor broken
    (testlib's FAIL 3, any exit code not a testlib reject, a signal, its own limits): IE; the
    interactor rejects (testlib's 1, 2, 4, 7, 8, 16 and above): WA with its words; the program
    crashed or exited non-zero: RE; else AC. Returns `program` with its stdout emptied (the
    interactor read it). An interactor that could not start (its verdict IE) is the caller's."""
    words = error_line(interactor.stderr, 200)
    if interactor.signal is not None:
        code = -signal.Signals[interactor.signal].value
    else:
        code = interactor.exit_code if interactor.exit_code is not None else -signal.SIGKILL
    if interactor.verdict in PROGRAM_LIMITS:
        words = f"over its own limits: {interactor.reason}" + (f"; {words}" if words else "")
        code = code if code < 0 else -signal.SIGKILL
    program.stdout = b""
    if program.verdict in PROGRAM_LIMITS or program.verdict is Verdict.IE:
        return program
    said = f": {words}" if words else ""
    if code < 0:
        name = signal.Signals(-code).name
        program.verdict, program.reason = Verdict.IE, f"interactor killed by {name} (broken problem){said}"
    elif code == 3:
        program.verdict, program.reason = Verdict.IE, f"interactor said FAIL (broken problem){said}"
    elif code in INTERACTOR_REJECTS:
        program.verdict, program.reason = Verdict.WA, f"interactor: {INTERACTOR_REJECTS[code]}{said}"
    elif code >= INTERACTOR_PARTIAL:
        program.verdict = Verdict.WA
        program.reason = f"interactor: partial credit {code - INTERACTOR_PARTIAL}{said}"
    elif code != 0:
        program.verdict, program.reason = Verdict.IE, f"interactor exit code {code} (broken problem){said}"
    return program
