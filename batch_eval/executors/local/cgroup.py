"""Cgroups per checker process: a pids group caps a solution's process count and finds its
escapees; a memory group caps the memory it really uses; a CPU group counts the CPU time of
all its processes, reaped or not."""

from __future__ import annotations

import contextlib
import os
import time
import weakref
from collections.abc import Callable
from pathlib import Path

from batch_eval.executors.sandbox import sandboxlib


class Group:
    """A cgroup folder of ours: what a solution starts stays a member, even after setsid,
    so every one of them can be found and killed."""

    controller = ""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.procs_file = str(path / "cgroup.procs")

    @classmethod
    def _make(cls, roots: tuple[Path, ...], setup: Callable[[Path], object]) -> Path | None:
        """A new group folder under the first root that has our controller and lets `setup`
        configure it; None when this machine does not let us make one."""
        for root in roots:
            if not (root / "cgroup.procs").exists() or not cls._offered(root):
                continue
            _remove_stale(root)
            path = root / f"batch-eval-{os.getpid()}-{time.monotonic_ns()}"
            try:
                path.mkdir()
                setup(path)
            except OSError:
                with contextlib.suppress(OSError):
                    path.rmdir()
                continue
            return path
        return None

    @classmethod
    def _offered(cls, root: Path) -> bool:
        """Whether groups made under `root` have our controller."""
        return root.name == cls.controller or cls.controller in _read(root / "cgroup.subtree_control")

    def _keep_tidy(self) -> None:
        # the folder must not outlive us even when close() is never reached
        weakref.finalize(self, _remove, self.path)

    def join(self) -> None:
        """Move the calling process into the group (called in the forked child)."""
        fd = os.open(self.procs_file, os.O_WRONLY)
        try:
            os.write(fd, b"0")
        finally:
            os.close(fd)

    def pids(self) -> list[int]:
        return [int(p) for p in _read(self.path / "cgroup.procs").split()]

    def kill_all(self, spare: int | None = None) -> None:
        """SIGKILL every member but those of session `spare` (a fork server's) until none is
        left (a forking loop needs a few rounds)."""
        sandboxlib.kill_members(self.procs_file, spare_session=spare or 0)

    def close(self) -> None:
        self.kill_all()
        with contextlib.suppress(OSError):
            self.path.rmdir()


PIDS_ROOTS = (Path("/sys/fs/cgroup/pids"), Path("/sys/fs/cgroup/unified"), Path("/sys/fs/cgroup"))


class PidsGroup(Group):
    """A cgroup with `pids.max`. Root ignores RLIMIT_NPROC, so this is what stops a fork
    loop when we run as root."""

    controller = "pids"

    def __init__(self, path: Path, limit: int = 0) -> None:
        super().__init__(path)
        self._limit = limit

    @classmethod
    def create(cls, limit: int) -> PidsGroup | None:
        """A new group, or None when this machine does not let us make one."""
        path = cls._make(PIDS_ROOTS, lambda p: (p / "pids.max").write_text(str(limit)))
        if path is None:
            return None
        group = cls(path, limit)
        group._keep_tidy()
        return group

    def set_limit(self, limit: int) -> None:
        if limit != self._limit:
            (self.path / "pids.max").write_text(str(limit))
            self._limit = limit


MEMORY_ROOTS = (Path("/sys/fs/cgroup/memory"), Path("/sys/fs/cgroup/unified"), Path("/sys/fs/cgroup"))


class MemoryGroup(Group):
    """A memory cgroup: caps the memory a test really uses (pages it touches, files it
    writes to its private /tmp), without swap, and tells whether the kernel killed it for
    memory. Unlike RLIMIT_AS it does not count address space a program only reserves
    (thread stacks, OpenBLAS buffers), so such programs run as they would on a judge."""

    controller = "memory"

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.v2 = path.parent.name != "memory"
        self._ooms = 0

    @classmethod
    def create(cls) -> MemoryGroup | None:
        path = cls._make(MEMORY_ROOTS, lambda p: cls(p).arm(64 << 20))
        if path is None:
            return None
        group = cls(path)
        group._keep_tidy()
        return group

    def anonymous(self) -> int:
        """The group's own memory now (a fork server's), not counting the file cache that
        the kernel reclaims anyway (headers a compiler read, earlier inputs)."""
        for line in _read(self.path / "memory.stat").splitlines():
            key, _, value = line.partition(" ")
            if key == ("anon" if self.v2 else "rss"):
                return int(value)
        return 0

    def arm(self, limit: int) -> None:
        """Allow `limit` bytes beyond the group's own memory now (a fork server living
        there), swap none, and start counting out-of-memory kills afresh."""
        total = str(self.anonymous() + limit)
        if self.v2:
            (self.path / "memory.max").write_text(total)
            with contextlib.suppress(OSError):
                (self.path / "memory.swap.max").write_text("0")
        else:
            memsw = self.path / "memory.memsw.limit_in_bytes"
            old = int(_read(self.path / "memory.limit_in_bytes") or 0)
            # memory+swap may never be below memory: raise it first, lower it last
            order = ["memory.limit_in_bytes", memsw.name]
            if int(total) > old:
                order.reverse()
            for name in order:
                if name == memsw.name and not memsw.exists():
                    continue
                (self.path / name).write_text(total)
        self._ooms = self._oom_count()

    @property
    def oom_file(self) -> Path:
        """Where the kernel counts the group's out-of-memory kills (`oom_kill N`)."""
        return self.path / ("memory.events" if self.v2 else "memory.oom_control")

    def _oom_count(self) -> int:
        return sandboxlib.oom_kills(str(self.oom_file))

    def oom_killed(self) -> bool:
        """Whether the kernel killed a process of the group for memory since `arm`."""
        return self._oom_count() > self._ooms


CPU_ROOTS = (
    Path("/sys/fs/cgroup/cpuacct"),
    Path("/sys/fs/cgroup/cpu,cpuacct"),
    Path("/sys/fs/cgroup/unified"),
    Path("/sys/fs/cgroup"),
)


class CpuGroup(Group):
    """A cgroup that counts the CPU time of its members (v1's cpuacct; v2 counts it in every
    group): the time of processes a test forks and never reaps, which no rusage of ours
    sees, is in it. Its usage is read before and after each test."""

    controller = "cpuacct"

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self._fd = -1

    @classmethod
    def _offered(cls, root: Path) -> bool:
        # v2 keeps cpu.stat's usage in every group, with or without the cpu controller
        return cls.controller in root.name.split(",") or (root / "cgroup.controllers").exists()

    @classmethod
    def create(cls) -> CpuGroup | None:
        path = cls._make(CPU_ROOTS, lambda p: os.close(cls(p).open_usage()))
        if path is None:
            return None
        group = cls(path)
        group._keep_tidy()
        return group

    def usage(self) -> float | None:
        """The CPU seconds the group's members have used so far (None: unreadable)."""
        if self._fd < 0:
            try:
                self._fd = self.open_usage()
            except OSError:
                return None
        return sandboxlib.cpu_seconds(self._fd)

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        super().close()

    def open_usage(self) -> int:
        """The group's usage file, opened (read with sandboxlib.cpu_seconds): a descriptor
        keeps working where the cgroup file system is not shown (a jailed fork server)."""
        v1 = self.path / "cpuacct.usage"
        fd = os.open(v1 if v1.exists() else self.path / "cpu.stat", os.O_RDONLY | os.O_CLOEXEC)
        if sandboxlib.cpu_seconds(fd) is None:
            os.close(fd)
            raise OSError(f"{self.path}: no CPU usage to read")
        return fd


def _remove_stale(root: Path) -> None:
    """Groups left by checkers that were SIGKILLed (no finaliser ran): empty ones whose
    creator is gone are removed (rmdir refuses a group that still has members)."""
    for path in root.glob("batch-eval-*"):
        try:
            owner = int(path.name.split("-")[2])
        except (ValueError, IndexError):
            continue
        if not sandboxlib.alive(owner):
            _remove(path)


def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.rmdir()


def _read(path: Path) -> str:
    return sandboxlib.read_text(str(path))
