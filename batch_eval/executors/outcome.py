"""From a run's raw outcome to its verdict: one rule for every executor (local runners and
Piston alike), so that the same program's run gets the same verdict wherever it ran."""

from __future__ import annotations

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
