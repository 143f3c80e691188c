"""Run one untrusted command under resource limits in its own session, and reap it whole."""

from __future__ import annotations

import errno
import os
import resource
import signal
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from batch_eval.executors.base import Execution, Limits, tail
from batch_eval.executors.local.cgroup import CpuGroup, MemoryGroup, PidsGroup
from batch_eval.executors.local.jail import Jail
from batch_eval.executors.local.kernel import die_with_parent, leave_network, reap_orphans, start_ticks
from batch_eval.executors.outcome import classify
from batch_eval.executors.sandbox import sandboxlib
from batch_eval.verdict import Verdict

SANDBOX_UID = 65534  # nobody: when we run as root, solutions run as this user


@dataclass(frozen=True)
class Command:
    """What to run, where, with which environment, and as whom (None: as ourselves).

    As root, RLIMIT_NPROC is not enforced and a program could write anywhere, so
    solutions run as `nobody` when the interpreter is reachable for that user.
    """

    argv: list[str]
    cwd: Path
    env: dict[str, str]
    uid: int | None = None
    nproc: int | None = None  # RLIMIT_NPROC; counts all our user's tasks, so set with care
    no_network: bool = False  # a new, empty network namespace (root, or a user namespace of ours)
    jail: Jail | None = None  # read-only file system, private /tmp (see jail.py)
    # SIGPIPE ignored (an interactor: a write to a program that has gone fails, as on
    # Codeforces, instead of killing it before it says its verdict)
    ignore_sigpipe: bool = False


def _set_limits(limits: Limits, nproc: int | None, address_space: bool) -> None:  # pragma: no cover
    cpu = sandboxlib.cpu_rlimit(limits.time_s)
    mem = limits.memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    if address_space:  # without a memory cgroup, the only memory limit there is
        resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
    # as on Codeforces the stack may use the whole memory limit (deep recursion), bounded by
    # RLIMIT_AS; not `mem` itself: glibc sizes every new thread's stack by this limit, so
    # threading.Thread would fail under the address-space limit
    resource.setrlimit(resource.RLIMIT_STACK, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits.output_bytes + 1, limits.output_bytes + 1))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if nproc is not None:
        resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))


def _child(
    cmd: Command,
    fds: tuple[int, int, int],
    limits: Limits,
    err_w: int,
    group: PidsGroup | None,
    memory: MemoryGroup | None,
    cpu: CpuGroup | None,
) -> None:  # pragma: no cover - runs in the forked child
    """In the forked child: never returns."""
    try:
        os.setsid()
        for joined in (group, memory, cpu):
            if joined is not None:
                joined.join()
        sandboxlib.oom_first()  # not the judge's protection: the test's processes go first
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
        if cmd.jail is not None:
            cmd.jail.apply(cmd.no_network)
        elif cmd.no_network and not leave_network():
            raise OSError("cannot create a network namespace")
        os.chdir(cmd.cwd)
        for sig in (signal.SIGPIPE, signal.SIGXFSZ, signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, signal.SIG_DFL)
        if cmd.ignore_sigpipe:
            signal.signal(signal.SIGPIPE, signal.SIG_IGN)
        if cmd.uid is not None:
            os.setgroups([])
            os.setgid(cmd.uid)
            os.setuid(cmd.uid)
        die_with_parent()  # after setuid, which clears it
        _set_limits(limits, cmd.nproc, address_space=memory is None)
        os.closerange(3, err_w)
        os.closerange(err_w + 1, 65536)
        os.execve(cmd.argv[0], cmd.argv, cmd.env)
    except BaseException as exc:
        try:
            os.write(err_w, f"{type(exc).__name__}: {exc}".encode()[:1000])
        finally:
            os._exit(127)


class JailedWait:
    """The seconds a jailed test waited for a CPU since we forked `waiter`: our child (which
    set the jail up, then waits outside it), the init of the jail's PID namespace, and the
    program, the namespace's pid 2 (the init's other children are orphans the program left,
    and gain it nothing), one after the other on the way to the program's end. Each one's
    wait is remembered: a program that has ended keeps the time it waited."""

    def __init__(self, waiter: int) -> None:
        self.waiter = waiter
        self.seen: dict[int, float] = {}

    def __call__(self) -> float:
        chain = [self.waiter]
        for init in _children(self.waiter):
            chain.append(init)
            for child in _children(init):
                status = sandboxlib.read_text(f"/proc/{child}/status")
                nspids = next((ln.split()[1:] for ln in status.splitlines() if ln.startswith("NSpid:")), [])
                if nspids[-1:] == ["2"]:
                    chain.append(child)
        for pid in chain:
            self.seen[pid] = max(self.seen.get(pid, 0.0), sandboxlib.cpu_wait(pid))
        return sum(self.seen.values())


def _children(pid: int) -> list[int]:
    return [int(c) for c in sandboxlib.read_text(f"/proc/{pid}/task/{pid}/children").split()]


def _proc_files(name: str) -> Iterator[str]:
    """The text of /proc/<pid>/<name> of every live process (vanished ones skipped)."""
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                yield Path(f"/proc/{entry}/{name}").read_text()
            except OSError:
                continue


def kill_group(pgid: int) -> None:
    """SIGKILL every process of the group until none is left alive."""
    for attempt in range(200):
        try:
            os.killpg(pgid, signal.SIGKILL)
        except ProcessLookupError:
            return
        except PermissionError:
            return
        if attempt > 3 and not _group_alive(pgid):
            return  # only zombies waiting for their new parent to reap them
        time.sleep(0.001 * min(attempt + 1, 20))


def _group_alive(pgid: int) -> bool:
    for stat in _proc_files("stat"):
        fields = stat.rsplit(")", 1)[-1].split()
        if len(fields) > 2 and fields[2] == str(pgid) and fields[0] != "Z":
            return True
    return False


def _outlived(pgid: int, group: PidsGroup | None, spare: int | None, deadline: float) -> bool:
    """Whether processes the program started (its cgroup's members but the session `spare`,
    else its process group's) keep running after it until `deadline`."""
    while True:
        if group is not None:
            rest = [p for p in group.pids() if p and sandboxlib.session_of(p) not in (spare, None)]
        else:
            rest = [pgid] if _group_alive(pgid) else []
        if not rest:
            return False
        if time.monotonic() >= deadline:
            return True
        time.sleep(0.005)


def run_command(
    cmd: Command,
    stdin_path: Path,
    limits: Limits,
    box: Path,
    out_name: str = "stdout",
    group: PidsGroup | None = None,
    spare: int | None = None,
    memory: MemoryGroup | None = None,
    cpu: CpuGroup | None = None,
    pipes: tuple[int, int] | None = None,
    started: Callable[[], None] | None = None,
    reap: bool = True,
) -> Execution:
    """Run `cmd` with stdin from a regular file, stdout/stderr to files in `box`; `pipes`:
    its stdin and stdout instead (an interactor's ends, see interactive.py; closed here).
    `started` is called once the process exists; `reap` False: our zombie children born
    after it are left to their own waits (an interactor's: the program it talks to is one).

    The verdict is AC for a clean exit; TLE, MLE, OLE, RE by the limits and exit status;
    IE when the process could not be started at all (told by the child's own error pipe,
    never by its exit status or output). Every member of `group` but those of session
    `spare` (a fork server living there) is killed afterwards. The run's CPU time is what
    `cpu` (a group only the run's processes join) counted, every process it started
    included, reaped or not; without one, what its reaped processes used.
    """
    out_path = box / f"{out_name}.out"
    err_path = box / f"{out_name}.err"
    if pipes is not None:
        fin, fout = pipes
        out_path.write_bytes(b"")  # what the program wrote went to the interactor
    else:
        fin = os.open(stdin_path, os.O_RDONLY)
        fout = os.open(out_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    ferr = os.open(err_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    err_r, err_w = os.pipe2(os.O_CLOEXEC)
    # the child's peak memory starts at ours: the kernel keeps a forked copy's resident size
    # across exec (ru_maxrss), so only a peak above it is the program's own
    inherited_kb = resident_kb() + 1024
    if memory is not None:
        memory.arm(limits.memory_mb * 1024 * 1024)
    cpu_before = cpu.usage() if cpu is not None else None
    start = time.monotonic()
    try:
        pid = os.fork()
    except OSError as exc:
        for fd in (fin, fout, ferr, err_r, err_w):
            os.close(fd)
        return Execution(Verdict.IE, reason=f"cannot fork: {exc}")
    if pid == 0:  # pragma: no cover - the child execs or exits
        os.close(err_r)
        _child(cmd, (fin, fout, ferr), limits, err_w, group, memory, cpu)
    born = start_ticks(pid)
    for fd in (fin, fout, ferr, err_w):
        os.close(fd)
    if started is not None:
        started()
    try:
        waited = sandboxlib.wait_until(
            pid,
            start + limits.wall,
            start + limits.wall * sandboxlib.STARVED_WALL,
            JailedWait(pid) if cmd.jail is not None else None,
        )
        wall_killed = waited is None
        if waited is None:
            kill_group(pid)
            _, status, usage = os.wait4(pid, 0)
        else:
            status, usage = waited
            # a test ends when all its processes have: those still running at the wall clock
            # are killed there (TLE), as a judge that waits for the output to close kills them
            wall_killed = _outlived(pid, group, spare, start + limits.wall)
        wall = time.monotonic() - start
        # daemons and grandchildren die with the program, even those that left the session
        kill_group(pid)
        if group is not None:
            group.kill_all(spare=spare)
        if born and reap:
            reap_orphans(born)
        exec_error = _read_all(err_r)
    finally:
        os.close(err_r)
    if exec_error:
        return Execution(Verdict.IE, reason=f"cannot start {cmd.argv[0]}: {exec_error}")
    used = usage.ru_utime + usage.ru_stime
    if cpu is not None:
        cpu_after = cpu.usage()
        if cpu_before is None or cpu_after is None:
            return Execution(Verdict.IE, reason=f"cannot read the run's CPU time in {cpu.path}")
        used = max(used, cpu_after - cpu_before)
    return finish(
        status,
        used,
        int(usage.ru_maxrss) if usage.ru_maxrss > inherited_kb else None,
        wall,
        wall_killed,
        out_path,
        err_path,
        limits,
        oom_killed=memory is not None and memory.oom_killed(),
    )


def resident_kb() -> int:
    """This process's resident memory now, in kB."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024
    except (OSError, ValueError, IndexError):
        return 0


def finish(
    status: int,
    cpu: float,
    memory_kb: int | None,
    wall: float,
    wall_killed: bool,
    out_path: Path,
    err_path: Path,
    limits: Limits,
    oom_killed: bool = False,
) -> Execution:
    """The Execution of a finished run from its wait status, usage and output files;
    `memory_kb`: the run's own peak (None when it is not known: below what the process that
    started it passed on); `oom_killed`: the kernel killed a process of the run for memory."""
    stdout = _read_capped(out_path, limits.output_bytes + 1)
    stderr = _read_capped(err_path, limits.output_bytes)
    return finish_outputs(status, cpu, memory_kb, wall, wall_killed, stdout, stderr, limits, oom_killed)


def finish_outputs(
    status: int,
    cpu: float,
    memory_kb: int | None,
    wall: float,
    wall_killed: bool,
    stdout: bytes,
    stderr: bytes,
    limits: Limits,
    oom_killed: bool = False,
) -> Execution:
    """finish's judgement from the outputs themselves: `stdout` its first output limit + 1
    bytes (one more than the limit: it was over), `stderr` at least its last STDERR_TAIL bytes."""
    ex = Execution(
        Verdict.AC,
        stdout=stdout[: limits.output_bytes],
        stderr=tail(stderr),
        wall_time=round(wall, 4),
        cpu_time=round(cpu, 4),
        memory_kb=memory_kb,
    )
    if os.WIFEXITED(status):
        ex.exit_code = os.WEXITSTATUS(status)
    elif os.WIFSIGNALED(status):
        ex.signal = signal.Signals(os.WTERMSIG(status)).name
    classify(ex, limits, wall_killed, len(stdout) > limits.output_bytes, oom_killed)
    return ex


#: the bytes of a run's stderr that its Execution keeps the tail of (base.tail reads as many)
STDERR_TAIL = 8000


def _read_capped(path: Path, limit: int) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read(limit)
    except OSError:
        return b""


def _read_all(fd: int) -> str:
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError as exc:
            if exc.errno == errno.EINTR:
                continue
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks).decode("utf-8", "replace")
