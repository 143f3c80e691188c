"""Several records judged at once, their lines given back in file order.

An executor that can run programs from many threads (Piston: a check's requests wait on
servers, not on this machine; the local executor with --jobs N: a fork server per lane)
gets up to its `concurrency` records running; every other step (reading records, the
verdict cache, metrics, writing lines) stays in the check's own thread. A record judged
before an earlier, slower one waits (up to BACKLOG records) for its turn to be written
while the next records run: one slow record does not idle the other lanes. A record whose
program is in flight already (the same cache key) waits for it and then takes its verdict
from the cache, as it would one at a time. With concurrency 1 every record is judged where
it is read, in the check's thread.
"""

from __future__ import annotations

import queue
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass
from typing import Any

from batch_eval.judging.records import Job, Judged, RecordJudge
from batch_eval.judging.solutions import Record
from batch_eval.verdict import SolutionResult

#: the most records judged or running but not yet written (waiting for an earlier one)
BACKLOG = 256

#: what a line is written from: a record's judged line, or a line known already (a resume's)
Emit = Callable[[Record, "Judged | dict[str, Any]"], None]


class Workers:
    """Daemon threads running jobs: a killed check never waits for a request in flight."""

    def __init__(self, count: int, run: Callable[[Job], SolutionResult]) -> None:
        self._jobs: queue.Queue[tuple[Job, Future[SolutionResult]] | None] = queue.Queue()
        self._run = run
        self._threads = [threading.Thread(target=self._work, daemon=True) for _ in range(count)]
        for thread in self._threads:
            thread.start()

    def submit(self, job: Job) -> Future[SolutionResult]:
        future: Future[SolutionResult] = Future()
        self._jobs.put((job, future))
        return future

    def _work(self) -> None:
        while (item := self._jobs.get()) is not None:
            job, future = item
            if future.set_running_or_notify_cancel():
                try:
                    future.set_result(self._run(job))
                except BaseException as exc:  # handed to the check's thread, which raises it
                    future.set_exception(exc)

    def close(self) -> None:
        for _ in self._threads:
            self._jobs.put(None)


@dataclass
class Pending:
    """A record's Job, running."""

    job: Job
    future: Future[SolutionResult]


class InFlight:
    """Judges records with up to `judge.executor.concurrency` in flight; `emit` gets each
    record's line in the order the records were added."""

    def __init__(self, judge: RecordJudge, emit: Emit) -> None:
        self.judge = judge
        self.emit = emit
        self.width = max(1, judge.executor.concurrency)
        self.workers = Workers(self.width, judge.run) if self.width > 1 else None
        self._queue: deque[tuple[Record, Judged | dict[str, Any] | Pending]] = deque()
        self._keys: dict[str, Future[SolutionResult]] = {}
        self._running: set[Future[SolutionResult]] = set()

    def known(self, record: Record, line: dict[str, Any]) -> None:
        """A line that needs no judging, written in its turn."""
        self._queue.append((record, line))
        self._flush()

    def add(self, record: Record) -> None:
        prepared = self.judge.prepare(record, self._before_claim)
        if not isinstance(prepared, Job):
            self._queue.append((record, prepared))
        elif self.workers is None:
            self._queue.append((record, self.judge.judge_job(prepared)))
        else:
            future = self.workers.submit(prepared)
            self._keys[prepared.key] = future
            self._running.add(future)
            self._queue.append((record, Pending(prepared, future)))
        self._flush()

    def drain(self) -> None:
        while self._queue:
            self._emit_head()

    def close(self) -> None:
        """Stop the workers (a job still running finishes unheard: its line is not written)."""
        if self.workers is not None:
            self.workers.close()
        for _, item in self._queue:
            if isinstance(item, Pending):
                self.judge.abandon(item.job)
        self._queue.clear()

    def _before_claim(self, key: str) -> None:
        """The same program in flight: its line first (its verdict is then in the cache)."""
        if self.judge.cache is None:
            return
        while key in self._keys:
            self._emit_head()

    def _flush(self) -> None:
        """Write what is done at the head; wait while `width` records run (for any of them:
        the next record starts as soon as a lane is free) or BACKLOG wait to be written."""
        while True:
            while self._queue and self._head_done():
                self._emit_head()
            self._running = {f for f in self._running if not f.done()}
            if len(self._queue) > BACKLOG:
                self._emit_head()
            elif len(self._running) >= self.width:
                wait(self._running, return_when=FIRST_COMPLETED)
            else:
                return

    def _head_done(self) -> bool:
        item = self._queue[0][1]
        return not isinstance(item, Pending) or item.future.done()

    def _emit_head(self) -> None:
        record, item = self._queue.popleft()
        if isinstance(item, Pending):
            self._keys.pop(item.job.key, None)
            try:
                result = item.future.result()
            except BaseException:
                self.judge.abandon(item.job)
                raise
            item = self.judge.finish(item.job, result)
        self.emit(record, item)
