"""The mechanisms every side of a test's sandbox shares, each written once: the CPU-seconds
rlimit, reading what a program wrote without following its links, a cgroup's
out-of-memory count and CPU time, whether a process still runs, killing every member of a
group, the out-of-memory killer's choice, asking the kernel to kill us with our parent, a
System V IPC namespace of a test's own, emptied when the test ends, and a wall clock that
does not count the time a program waited for a CPU.

Used by the package (batch_eval.executors.local) and by the programs that run inside a
sandbox: the fork server (zygote.py, which imports it from the folder it is copied to) and
the Piston launcher (launcher.py, which is sent with it). Standard library only, written for
any Python 3 a solution's interpreter may be; nothing here may import the package.
"""

from __future__ import annotations  # annotations stay text: any Python 3 reads them

import os
import resource
import select
import signal
import stat
import time

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36

TYPE_CHECKING = False  # type checkers take the block below; Python never runs it (no typing import)
if TYPE_CHECKING:
    from collections.abc import Callable, Collection
    from typing import Any

    Prctl = Callable[..., int]  # libc's prctl as ctypes finds it


def cpu_rlimit(time_s: float) -> int:
    """The CPU-seconds rlimit of a test: the limit rounded up, plus one second (the verdict
    comes from the CPU time measured; this only stops a runaway)."""
    return max(1, -int(-time_s // 1)) + 1


def cpu_cap(time_s: float) -> int | None:
    """The hard CPU-seconds rlimit this process already has when it is below what a test of
    `time_s` gets (a Piston box may hold one), else None."""
    hard = resource.getrlimit(resource.RLIMIT_CPU)[1]
    return hard if hard != resource.RLIM_INFINITY and hard < cpu_rlimit(time_s) + 1 else None


def cpu_limits(time_s: float) -> tuple[int, int]:
    """The CPU-seconds rlimit (soft, hard) limit_cpu sets for a test in this process now."""
    cap = cpu_cap(time_s)
    cpu = cpu_rlimit(time_s)
    return (cpu, cpu + 1) if cap is None else (min(cpu, cap), cap)


def limit_cpu(time_s: float) -> None:
    """Set this process's CPU-seconds rlimit for a test (cpu_rlimit), within a lower hard
    limit it already has (cpu_cap: a run stopped there is not judged TLE, see mapping)."""
    resource.setrlimit(resource.RLIMIT_CPU, cpu_limits(time_s))


def user_tasks(uid: int, skip: Collection[int] = ()) -> int:
    """How many tasks (threads) `uid` has now that /proc shows, but those of the processes
    `skip`: RLIMIT_NPROC counts them all."""
    count = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) in skip:
            continue
        try:
            with open(f"/proc/{entry}/status") as f:
                status = f.read()
        except OSError:
            continue  # gone meanwhile
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if fields.get("Uid", "").split()[:1] == [str(uid)]:
            count += int(fields.get("Threads", "1").split()[0])
    return count


def limit_processes(processes: int, ours: Collection[int]) -> None:
    """Let the calling process (a test's first, before its program starts) and what it
    starts be at most `processes` tasks, as the local executor allows a test. RLIMIT_NPROC
    counts every task of the user, so the user's other tasks now are added: the processes
    `ours` (the launcher and its spawner: one thread each, hidden from /proc in a Piston box,
    being non-dumpable) and what else /proc shows; never above the hard limit the box set."""
    others = len(ours) + user_tasks(os.geteuid(), skip={os.getpid(), *ours})
    hard = resource.getrlimit(resource.RLIMIT_NPROC)[1]
    soft = others + processes
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_NPROC, (soft, soft))


def read_text(path: str) -> str:
    """A small kernel file's text ("" when it cannot be read: the group or process is gone)."""
    try:
        with open(path, "rb") as f:
            return f.read().decode()
    except OSError:
        return ""


def read_written(path: str, max_bytes: int) -> bytes | None:
    """The first `max_bytes` of the regular file a program wrote at `path`, or None when
    there is no such regular file. A link is never followed (the program could point it at a
    file of the judge's) and a fifo never blocks."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        chunks: list[bytes] = []
        left = max_bytes
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def oom_kills(path: str) -> int:
    """A memory cgroup's count of out-of-memory kills (`oom_kill N` in v1's
    memory.oom_control and v2's memory.events)."""
    for line in read_text(path).splitlines():
        key, _, value = line.partition(" ")
        if key == "oom_kill":
            return int(value)
    return 0


def cpu_seconds(fd: int) -> float | None:
    """The CPU time every member of a cgroup used, reaped or not, from its open usage file
    (v1's cpuacct.usage in ns, v2's cpu.stat `usage_usec`); None when it cannot be read
    (never 0: a figure we could not read must not pass for an idle test)."""
    try:
        text = os.pread(fd, 4096, 0).decode()
    except OSError:
        return None
    for line in text.splitlines():
        key, _, value = line.partition(" ")
        if key == "usage_usec":
            return int(value) / 1e6
        if key.isdigit() and not value:
            return int(key) / 1e9
    return None


OOM_PROTECTED, OOM_FIRST = -1000, 1000
_OOM_ADJ = "/proc/self/oom_score_adj"


def oom_protect() -> None:
    """Have the kernel's out-of-memory killer never pick the caller (the judge's processes).
    Needs CAP_SYS_RESOURCE: without it nothing changes (a test's processes, picked first
    by oom_first, still go before ours)."""
    try:
        with open(_OOM_ADJ, "w") as f:
            f.write(str(OOM_PROTECTED))
    except OSError:
        pass


def oom_first(proc: int = -1) -> None:
    """Have the out-of-memory killer pick the caller (a test's process) before anything
    else; `proc`: an open /proc folder (a jail's own /proc may be read-only). Raises OSError
    only when the caller keeps a protection it inherited from us."""
    try:
        fd = os.open(
            "self/oom_score_adj" if proc >= 0 else _OOM_ADJ, os.O_WRONLY, dir_fd=proc if proc >= 0 else None
        )
        try:
            os.write(fd, str(OOM_FIRST).encode())
        finally:
            os.close(fd)
    except OSError:
        if read_text(_OOM_ADJ).strip().startswith("-"):
            raise


#: how far a test's wall-clock deadline may move for the time its program waited for a CPU:
#: up to this many times its wall limit after its start
STARVED_WALL = 3.0


def cpu_wait(pid: int) -> float:
    """The seconds process `pid` (its first thread) spent runnable but waiting for a CPU: the
    time a loaded machine took from it (the kernel's run_delay; 0 where the kernel does not
    say). Only the process itself: a program that sleeps while its own children or threads
    crowd a core waits for nothing itself, and gains no time."""
    fields = read_text(f"/proc/{pid}/schedstat").split()
    return int(fields[1]) / 1e9 if len(fields) >= 2 and fields[1].isdigit() else 0.0


def moved_deadline(deadline: float, latest: float, waited: float) -> float:
    """`deadline` (time.monotonic()) moved later by `waited`, the seconds the program waited
    for a CPU (cpu_wait), never past `latest`: on a loaded machine a program is killed for
    the time it ran or slept, not for the time it waited for a core."""
    return min(deadline + waited, latest) if latest > deadline else deadline


def wait_until(
    pid: int, deadline: float, latest: float = 0.0, waited: Callable[[], float] | None = None
) -> tuple[int, Any] | None:
    """Wait for our child `pid` until `deadline` (time.monotonic()), moved up to `latest` by
    the time the program waited for a CPU (moved_deadline; `waited` says how long, by default
    cpu_wait(pid); past the first deadline it is asked every 10 ms, so that a `waited` that
    remembers what it saw loses little of a process that ends): its (status, rusage), or
    None when it still runs then (woken by its pidfd where the kernel has them)."""
    first = deadline
    try:
        pidfd = os.pidfd_open(pid)
    except (AttributeError, OSError):
        pidfd = -1
    try:
        while True:
            done, status, usage = os.wait4(pid, os.WNOHANG)
            if done == pid:
                return status, usage
            now = time.monotonic()
            stretching = latest > first <= now
            if stretching:
                deadline = max(deadline, moved_deadline(first, latest, waited() if waited else cpu_wait(pid)))
            left = deadline - now
            if left <= 0:
                return None
            if stretching:
                left = min(left, 0.01)
            if pidfd >= 0:
                select.select([pidfd], [], [], left)
            else:
                time.sleep(min(left, 0.002))
    finally:
        if pidfd >= 0:
            os.close(pidfd)


def kill_and_reap(pid: int) -> tuple[int, Any]:
    """SIGKILL the child `pid`'s process group and the child itself (it may not have made its
    own session yet), then reap it: its (status, rusage)."""
    for kill in (os.killpg, os.kill):
        try:
            kill(pid, signal.SIGKILL)
        except OSError:
            pass
    _, status, usage = os.wait4(pid, 0)
    return status, usage


def alive(pid: int) -> bool:
    """Whether process `pid` still runs. A zombie does not: a killed process whose parent
    died is a zombie until whoever inherited it reaps it, and a subreaper or a container's
    PID 1 that never reaps keeps it one for good."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # another user's: it exists
    # /proc/PID/stat: "pid (comm) state ..."; comm may hold spaces and parentheses
    state = read_text(f"/proc/{pid}/stat").rpartition(")")[2].split()
    return not state or state[0] != "Z"


def session_of(pid: int) -> int | None:
    """The session a process belongs to (None once it is gone)."""
    try:
        return os.getsid(pid)
    except OSError:
        return None


def kill_members(procs: str, spare_pid: int = 0, spare_session: int = 0) -> None:
    """SIGKILL every process listed in the cgroup file `procs` until none is left (a forking
    loop needs a few rounds), but the process `spare_pid` and those of session
    `spare_session` (0: none spared). Members outside the caller's PID namespace are listed
    as 0 and left alone."""
    for attempt in range(500):
        members = [int(p) for p in read_text(procs).split() if p != "0" and int(p) != spare_pid]
        if spare_session:
            members = [pid for pid in members if session_of(pid) != spare_session]
        if not members:
            return
        for pid in members:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.0005 * min(attempt + 1, 20))


def load_prctl() -> Prctl | None:
    """libc's prctl, or None where there is none (resolved once: importing ctypes in every
    forked child would cost more than the fork)."""
    try:
        import ctypes

        prctl: Prctl = ctypes.CDLL(None, use_errno=True).prctl
        return prctl
    except Exception:
        return None


def die_with_parent(prctl: Prctl | None) -> None:
    """Have the kernel SIGKILL the caller when its parent dies (no-op without prctl)."""
    if prctl is not None:
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def become_subreaper(prctl: Prctl | None) -> None:
    """Have the caller's orphaned descendants handed to it rather than to init, so that it
    reaps them at once (no-op without prctl)."""
    if prctl is not None:
        prctl(PR_SET_CHILD_SUBREAPER, 1)


IPC_RMID = 0
CLONE_NEWIPC = 0x08000000


def load_libc() -> Any:
    """The C library through ctypes, or None where there is none (resolved once)."""
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True)
    except Exception:
        return None


def new_ipc_namespace(libc: Any) -> bool:
    """Move the caller into a System V IPC namespace of its own, empty (what it and its
    children make there is seen by no one else). False when not allowed."""
    return libc is not None and libc.unshare(CLONE_NEWIPC) == 0


def clear_ipc(libc: Any) -> None:
    """Remove every System V shared-memory segment, message queue and semaphore set of the
    caller's IPC namespace at once (a segment nobody has attached is freed now: its memory
    is no longer charged to the memory cgroup). Only for a namespace of our own."""
    if libc is None:
        return
    for kind, remove in (("shm", libc.shmctl), ("msg", libc.msgctl)):
        for ident in _ipc_ids(kind):
            remove(ident, IPC_RMID, None)
    for ident in _ipc_ids("sem"):
        libc.semctl(ident, 0, IPC_RMID)


def _ipc_ids(kind: str) -> list[int]:
    """The ids in /proc/sysvipc/`kind` (the reader's own IPC namespace's)."""
    lines = read_text(f"/proc/sysvipc/{kind}").splitlines()[1:]
    return [int(line.split()[1]) for line in lines if len(line.split()) > 1]
