"""What we ask of the Linux kernel for the processes we start: no network, a PID namespace,
death with the parent, orphans handed to us and reaped. Each is a no-op, or says False,
where the kernel or our privileges do not allow it."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from batch_eval.executors.sandbox import sandboxlib

CLONE_NEWNET = 0x40000000


def leave_network() -> bool:
    """Move the calling process into a new network namespace with no usable interface:
    connections to anywhere, the host's loopback included, fail. False when not allowed."""
    try:
        import ctypes

        return int(ctypes.CDLL(None, use_errno=True).unshare(CLONE_NEWNET)) == 0
    except (OSError, AttributeError):
        return False


def die_with_parent() -> None:
    """Ask the kernel to SIGKILL us when our parent dies (a `kill -9` of the run leaves no
    orphans judging on). Linux only; elsewhere a no-op."""
    sandboxlib.die_with_parent(sandboxlib.load_prctl())


CLONE_NEWPID = 0x20000000


def new_pid_namespace() -> bool:
    """Have the calling process's children start a new PID namespace: the first becomes its
    init, and when that one dies the kernel kills every process in it, however it died.
    False when not allowed (not root and not in a user namespace of our own)."""
    try:
        import ctypes

        return int(ctypes.CDLL(None, use_errno=True).unshare(CLONE_NEWPID)) == 0
    except (OSError, AttributeError):
        return False


def become_subreaper() -> None:
    """Orphans of the solutions we run are handed to us, not to init, so that we reap them
    at once: unreaped, they would keep their place in the pids cgroup's count."""
    sandboxlib.become_subreaper(sandboxlib.load_prctl())


def start_ticks(pid: int) -> int:
    """When `pid` started, in clock ticks since boot (0 when unknown)."""
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        return 0


def reap_orphans(since: int) -> None:
    """Reap our zombie children born at or after `since`: the killed descendants of a test
    (our own long-lived children, started earlier, are left alone)."""
    me = os.getpid()
    try:
        children = Path(f"/proc/{me}/task/{me}/children").read_text().split()
    except OSError:
        return
    for child in map(int, children):
        try:
            fields = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] == "Z" and int(fields[19]) >= since:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(child, os.WNOHANG)
