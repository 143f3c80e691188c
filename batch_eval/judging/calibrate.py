"""How fast this judge runs programs: a fixed CPU benchmark, run through the executor by the
very interpreter that judges, so that time limits can be made alike across machines.

The same program on the same test took 1.74 s of CPU on one machine and 2.64 s on another
of the same kind (and a pyenv-built CPython runs it 8-30% slower than Debian's optimised
build): a verdict near the limit depends on which node judged it. Every check records its
figure; `--time-multiplier auto` scales the limits by figure / REFERENCE_S, so a program
gets the same share of work everywhere.
"""

from __future__ import annotations

import fcntl
import json
import math
import os
import platform
import time
from pathlib import Path
from typing import Any

from batch_eval.executors.base import Execution, Executor, Limits, Program
from batch_eval.verdict import Verdict

#: a fixed mix of what solutions do (integer arithmetic, dict stores, string sorting); prints
#: the CPU seconds of the work alone (not the interpreter's start)
BENCHMARK = """\
import time
t = time.process_time()
s = 0
d = {}
for i in range(1_000_000):
    s = (s * 31 + i) % 1000003
    d[i & 4095] = s
words = sorted(str(v) for v in d.values())
print(f"{time.process_time() - t:.4f}")
"""
#: the benchmark's CPU seconds on the reference judge: Debian 12's CPython 3.11.2 on the
#: project's reference machine (x86_64, 2 cores; the machine CI runs on), quiet, best of 3
#: (the median of six such figures: this kind of machine itself varies by up to ±25% from
#: one second to the next, which is why a run remembers one figure for all its files)
REFERENCE_S = 0.22
RUNS = 3
LIMITS = Limits(time_s=5.0, memory_mb=256, output_bytes=1 << 16, processes=4)
#: a scale outside this range says the figure is wrong, not the machine
SCALE_RANGE = (0.25, 8.0)
#: a failure to measure is remembered this long (then measured again: it may have been the
#: load or a fault of the moment); a figure is remembered for good on its node
RETRY_S = 600.0
#: the figure's benchmark: a change to it (or to the way it is run) measures anew everywhere
VERSION = 2


def node() -> str:
    """What decides the figure besides the judge itself: the CPU model, the kernel and the
    architecture (a different node of the same kind of machine shares it)."""
    model = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as cpuinfo:
            names = (line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name"))
            model = next(names, "")
    except OSError:
        pass
    return f"{model or platform.processor()}|{platform.release()}|{platform.machine()}|v{VERSION}"


def remembered(folder: Path | None, judge: str, executor: Executor) -> float | None:
    """`calibrate`, measured once per judge and node (`judge`: the judge's identity, its
    interpreter, versions and isolation; `node()`: CPU model and kernel) and remembered in
    `folder` (None: measured every time); a failure to measure is tried again after RETRY_S.
    One checker measures at a time (a lock in `folder`): checkers started together wait for
    the first one's figure instead of measuring each other's load."""
    if folder is None:
        return calibrate(executor)
    key = f"{judge}|{node()}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        lock = os.open(folder / "calibration.lock", os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:
        return _remembered(folder, key, executor)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _remembered(folder, key, executor)
    finally:
        os.close(lock)  # releases the lock


def _remembered(folder: Path, key: str, executor: Executor) -> float | None:
    path = folder / "calibration.json"
    try:
        memo: dict[str, Any] = json.loads(path.read_text())
    except (OSError, ValueError):
        memo = {}
    if not isinstance(memo, dict):
        memo = {}
    entry: Any = memo.get(key)
    if _valid(entry):
        if entry[0] is not None:
            return float(entry[0])
        if time.time() - entry[1] < RETRY_S:
            return None
    figure = calibrate(executor)  # never measured here, or an entry that cannot be one of ours
    memo = {k: v for k, v in memo.items() if _valid(v)}
    memo[key] = [figure, time.time()]
    try:
        tmp = path.with_name(f".calibration.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(memo, indent=1))
        os.replace(tmp, path)
    except OSError:
        pass  # nowhere to remember it: measured again next time
    return figure


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _valid(entry: Any) -> bool:
    """An entry as we write it: [figure (positive seconds) or None, when (epoch seconds)]."""
    return (
        isinstance(entry, list)
        and len(entry) == 2
        and (entry[0] is None or (_number(entry[0]) and entry[0] > 0))
        and _number(entry[1])
    )


def calibrate(executor: Executor) -> float | None:
    """The benchmark's CPU seconds through `executor`, the best of RUNS (None when it could
    not be run: then nothing is scaled)."""
    figures: list[float] = []
    program = Program("python", BENCHMARK)
    for _ in range(RUNS):
        run = executor.run(program, [b""], LIMITS, lambda i, ex: True)
        ex: Execution | None = run.runs[0] if run.runs else None
        if ex is None or ex.verdict is not Verdict.AC:
            return None
        try:
            figures.append(float(ex.stdout.decode().strip()))
        except ValueError:
            return None
    return min(figures)


def time_scale(figure: float | None) -> float:
    """The factor `--time-multiplier auto` applies: figure / REFERENCE_S, rounded to 0.05
    (so that noise does not make every check's limits differ), within SCALE_RANGE."""
    if figure is None or figure <= 0:
        return 1.0
    low, high = SCALE_RANGE
    return round(min(high, max(low, figure / REFERENCE_S)) * 20) / 20
