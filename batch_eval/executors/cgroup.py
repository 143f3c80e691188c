"""A pids cgroup per checker process: caps a solution's process count, finds its escapees."""

from __future__ import annotations

import contextlib
import os
import signal
import time
import weakref
from pathlib import Path

PIDS_ROOTS = (Path("/sys/fs/cgroup/pids"), Path("/sys/fs/cgroup/unified"), Path("/sys/fs/cgroup"))


class PidsGroup:
    """A cgroup with `pids.max`; every process a solution starts stays in it, even after setsid.

    Root ignores RLIMIT_NPROC, so this is what stops a fork loop when we run as root.
    """

    def __init__(self, path: Path, limit: int = 0) -> None:
        self.path = path
        self._procs = str(path / "cgroup.procs")
        self._limit = limit

    @classmethod
    def create(cls, limit: int) -> PidsGroup | None:
        """A new group, or None when this machine does not let us make one."""
        for root in PIDS_ROOTS:
            if not (root / "cgroup.procs").exists():
                continue
            if root.name != "pids" and "pids" not in _read(root / "cgroup.subtree_control"):
                continue
            _remove_stale(root)
            path = root / f"batch-eval-{os.getpid()}-{time.monotonic_ns()}"
            try:
                path.mkdir()
                (path / "pids.max").write_text(str(limit))
            except OSError:
                with contextlib.suppress(OSError):
                    path.rmdir()
                continue
            group = cls(path, limit)
            # the folder must not outlive us even when close() is never reached
            weakref.finalize(group, _remove, path)
            return group
        return None

    def set_limit(self, limit: int) -> None:
        if limit != self._limit:
            (self.path / "pids.max").write_text(str(limit))
            self._limit = limit

    def join(self) -> None:
        """Move the calling process into the group (called in the forked child)."""
        fd = os.open(self._procs, os.O_WRONLY)
        try:
            os.write(fd, b"0")
        finally:
            os.close(fd)

    def pids(self) -> list[int]:
        return [int(p) for p in _read(self.path / "cgroup.procs").split()]

    def kill_all(self, spare: int | None = None) -> None:
        """SIGKILL every member but `spare` until none is left (a forking loop needs a few rounds)."""
        for attempt in range(500):
            members = [pid for pid in self.pids() if pid != spare]
            if not members:
                return
            for pid in members:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.0005 * min(attempt + 1, 20))

    def close(self) -> None:
        self.kill_all()
        with contextlib.suppress(OSError):
            self.path.rmdir()


def _remove_stale(root: Path) -> None:
    """Groups left by checkers that were SIGKILLed (no finaliser ran): empty ones whose
    creator is gone are removed (rmdir refuses a group that still has members)."""
    for path in root.glob("batch-eval-*"):
        try:
            owner = int(path.name.split("-")[2])
            os.kill(owner, 0)
        except ProcessLookupError:
            _remove(path)
        except (ValueError, IndexError, PermissionError):
            continue


def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.rmdir()


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""
