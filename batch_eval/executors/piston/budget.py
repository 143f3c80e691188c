"""One Piston concurrency budget per endpoint, shared by every checker on this machine.

A run's checkers are separate processes; each would otherwise send as fast as it can, and
`--max-workers` alone cannot know what a server takes. The budget is a folder of slot files
per endpoint: a request holds an exclusive `flock` on one slot (released by the kernel when
the holder dies, so a `kill -9` never leaks a slot). How many slots may be used adapts as
TCP does (additive increase, multiplicative decrease): an overload answer (429, 503) or a
timed-out request halves the shared limit, a run of successes raises it by one, never above
`--piston-concurrency`.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import random
import time
from collections.abc import Iterator
from pathlib import Path


class SharedBudget:
    def __init__(self, folder: Path, maximum: int) -> None:
        self.folder = folder
        self.maximum = maximum
        self._successes: dict[str, int] = {}

    def _dir(self, endpoint: str) -> Path:
        path = self.folder / hashlib.sha256(endpoint.encode()).hexdigest()[:16]
        path.mkdir(parents=True, exist_ok=True)
        return path

    def limit(self, endpoint: str) -> int:
        """The slots this endpoint may use now (shared by every process)."""
        try:
            value = int((self._dir(endpoint) / "limit").read_text())
        except (OSError, ValueError):
            return self.maximum
        return max(1, min(self.maximum, value))

    def _set_limit(self, endpoint: str, value: int) -> None:
        folder = self._dir(endpoint)
        tmp = folder / f"limit.{os.getpid()}"
        tmp.write_text(str(value))
        tmp.replace(folder / "limit")

    @contextlib.contextmanager
    def slot(self, endpoint: str) -> Iterator[None]:
        """Hold one of the endpoint's slots for the length of a request (waits for one)."""
        folder = self._dir(endpoint)
        wait = 0.002
        while True:
            limit = self.limit(endpoint)
            for k in random.sample(range(limit), limit):
                fd = os.open(folder / f"slot-{k}", os.O_RDWR | os.O_CREAT, 0o600)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except OSError:
                    os.close(fd)
                    continue
                try:
                    yield
                finally:
                    fcntl.flock(fd, fcntl.LOCK_UN)
                    os.close(fd)
                return
            time.sleep(wait)
            wait = min(wait * 2, 0.05)

    def overloaded(self, endpoint: str) -> None:
        """The server said it is busy (or took too long): half the slots for everyone."""
        self._successes[endpoint] = 0
        self._set_limit(endpoint, max(1, self.limit(endpoint) // 2))

    def succeeded(self, endpoint: str) -> None:
        """One more answered request; after as many in a row as there are slots, one slot more."""
        count = self._successes.get(endpoint, 0) + 1
        limit = self.limit(endpoint)
        if count >= limit and limit < self.maximum:
            self._set_limit(endpoint, limit + 1)
            count = 0
        self._successes[endpoint] = count
