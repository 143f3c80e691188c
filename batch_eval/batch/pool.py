"""Run checker subprocesses in a ProcessPoolExecutor, one per file, each killed whole on overrun.

Each worker starts its checker in a new session and records the session id in a registry
folder, so the parent, which owns interruption, can kill every live checker group on
Ctrl-C or fail-fast. Workers and checkers die with their parents (PR_SET_PDEATHSIG), so a
`kill -9` of the run leaves nothing judging. The child reports through its metrics file;
no file means no result.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from batch_eval.config import CheckConfig
from batch_eval.errors import ExitCode
from batch_eval.executors.base import last_line
from batch_eval.executors.local.kernel import die_with_parent
from batch_eval.files import previous_metrics

GRACE_SECONDS = 2.0


def shared_cores(config: CheckConfig, checkers: int) -> CheckConfig:
    """`config` for one of `checkers` checkers judging at once on this machine: unless the
    user chose --jobs, each runs its share of the cores this process may use (at least one
    program at a time), so that checkers x programs in flight is the cores, not their square."""
    if config.jobs:
        return config
    return replace(config, jobs=max(1, len(os.sched_getaffinity(0)) // max(1, checkers)))


@dataclass
class Job:
    """What a worker needs: the argv, the file the child must write, where its stderr goes."""

    argv: list[str]
    metrics_path: Path
    log_path: Path
    timeout: float
    registry: Path


@dataclass
class FileOutcome:
    """How one file's check ended: ok, failed, timeout, interrupted or cancelled."""

    status: str
    reason: str = ""
    duration: float = 0.0
    exit_code: int | None = None
    metrics: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("metrics")
        return d


def _worker_init(run_pid: int) -> None:
    # the parent owns interruption: it kills the checkers and writes the summary
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    # and when it dies, however it dies, we die, and our checker with us (its own death
    # signal), and the checker's fork server with everything it ran (a PID namespace's init)
    die_with_parent()
    if os.getppid() != run_pid:  # it died before we asked
        os._exit(1)


def kill_session(pgid: int) -> None:
    """SIGTERM the group, a short grace, then SIGKILL."""
    try:
        os.killpg(pgid, signal.SIGTERM)
    except (ProcessLookupError, PermissionError):
        return
    deadline = time.monotonic() + GRACE_SECONDS
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except (ProcessLookupError, PermissionError):
            return
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def run_job(job: Job) -> FileOutcome:
    """In a pool worker: run the checker, wait at most `job.timeout`, read its metrics."""
    start = time.monotonic()
    job.log_path.parent.mkdir(parents=True, exist_ok=True)
    # a stale file must not pass for this run's result; one the checker reuses verdicts
    # from (--redo-ie) is kept aside for it
    if "--redo-ie" in job.argv and job.metrics_path.exists():
        job.metrics_path.replace(previous_metrics(job.metrics_path))
    job.metrics_path.unlink(missing_ok=True)
    with open(job.log_path, "wb") as log:
        proc = subprocess.Popen(
            job.argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=log,
            start_new_session=True,
            preexec_fn=die_with_parent,
        )
    marker = job.registry / str(proc.pid)
    marker.write_text(json.dumps({"argv": job.argv, "started": time.time()}))
    try:
        try:
            code = proc.wait(timeout=job.timeout)
        except subprocess.TimeoutExpired:
            kill_session(proc.pid)
            proc.wait()
            return FileOutcome("timeout", f"killed after {job.timeout:g} s", time.monotonic() - start)
        # whatever the checker left behind (e.g. a stuck solution) goes with it
        kill_session(proc.pid)
    finally:
        marker.unlink(missing_ok=True)
        if job.log_path.stat().st_size == 0:
            job.log_path.unlink()
    duration = time.monotonic() - start
    if code < 0:
        name = signal.Signals(-code).name
        status = "interrupted" if name in ("SIGTERM", "SIGINT", "SIGKILL") else "failed"
        return FileOutcome(status, f"checker killed by {name}", duration, code)
    metrics = _read_metrics(job.metrics_path)
    if code in (ExitCode.OK, ExitCode.INCOMPLETE) and metrics is not None:
        return FileOutcome("ok", "", duration, code, metrics)
    if code == ExitCode.INTERRUPTED:  # the checker stopped on our SIGTERM or the user's Ctrl-C
        return FileOutcome("interrupted", "interrupted", duration, code)
    reason = _last_line(job.log_path) or f"checker exited {code} without results"
    return FileOutcome("failed", reason, duration, code)


def _read_metrics(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _last_line(path: Path) -> str:
    try:
        return last_line(path.read_text(errors="replace"))
    except OSError:
        return ""


def kill_registered(registry: Path) -> None:
    """Kill every checker group a worker registered (they are session leaders)."""
    for marker in registry.glob("*"):
        if marker.name.isdigit():
            kill_session(int(marker.name))


def run_jobs(
    jobs: Sequence[Job],
    max_workers: int,
    on_done: Callable[[int, FileOutcome], None],
    fail_fast: bool = False,
) -> dict[int, FileOutcome]:
    """Run `jobs` in parallel; call `on_done(index, outcome)` as each ends.

    KeyboardInterrupt kills every running checker, cancels the rest and propagates after
    the outcomes so far are reported. Jobs never started are absent from the result.
    """
    outcomes: dict[int, FileOutcome] = {}
    if not jobs:
        return outcomes
    registry = jobs[0].registry
    registry.mkdir(parents=True, exist_ok=True)
    # imported here: multiprocessing costs a check (which reads FileOutcome) its start-up
    from concurrent.futures import ProcessPoolExecutor

    pool = ProcessPoolExecutor(max_workers=max_workers, initializer=_worker_init, initargs=(os.getpid(),))
    # at most max_workers in flight: the pool's own queue would start jobs we may cancel
    queue = iter(range(len(jobs)))
    running: dict[Future[FileOutcome], int] = {}
    stopping = False

    def submit_next() -> None:
        i = next(queue, None)
        if i is not None:
            running[pool.submit(run_job, jobs[i])] = i

    try:
        for _ in range(max_workers):
            submit_next()
        while running:
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in sorted(finished, key=lambda f: running[f]):
                i = running.pop(future)
                outcomes[i] = future.result()
                on_done(i, outcomes[i])
                if fail_fast and not outcomes[i].ok and not stopping:
                    stopping = True
                    kill_registered(registry)
                if not stopping:
                    submit_next()
    except KeyboardInterrupt:
        kill_registered(registry)
        for future, i in running.items():
            try:
                outcomes[i] = future.result()
            except Exception:
                outcomes[i] = FileOutcome("interrupted", "interrupted")
            on_done(i, outcomes[i])
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return outcomes
