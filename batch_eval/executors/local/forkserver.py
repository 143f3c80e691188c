"""Run Python solutions by forking an already-started interpreter (see zygote.py).

A fresh interpreter costs 15-50 ms on this kind of machine; a fork of a started one about
1-2 ms. The server runs as the solutions' interpreter, in its own session, and dies with
the checker (PR_SET_PDEATHSIG); the out-of-memory killer never picks it (its tests go
first). If it dies or hangs anyway, it is restarted and the test in flight runs again on the
fresh one; the caller decides what a second death means. A test is judged IE only on the
server's own answer (`error`), never from what the child printed or exited with.

ForkServer is one class of ~220 lines on purpose: it is the judge's half of one protocol
(zygote.py is the other), and its start, submit, collect and cancel share the pipes' state.
"""

from __future__ import annotations

import os
import resource
import select
import shutil
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from batch_eval.executors.base import Execution, Limits
from batch_eval.executors.local.cgroup import CpuGroup, MemoryGroup, PidsGroup
from batch_eval.executors.local.jail import TMP, Jail, mount_tmpfs
from batch_eval.executors.local.kernel import die_with_parent, leave_network, new_pid_namespace
from batch_eval.executors.local.process import finish_outputs, kill_group
from batch_eval.executors.sandbox import SANDBOX, sandboxlib
from batch_eval.verdict import Verdict

ZYGOTE = SANDBOX / "zygote.py"
SANDBOX_PROGRAM = (ZYGOTE, SANDBOX / "sandboxlib.py")  # the server's script and the module it imports
OUTPUTS = "outputs"  # jailed: a folder of the executor's own, a private file system inside


def _zygote_init(
    python: str,
    group: PidsGroup | None,
    no_network: bool,
    jail: Jail | None,
    outputs_bytes: int,
    memory: MemoryGroup | None,
    cpu: CpuGroup | None,
) -> Callable[[], None]:
    def init() -> None:
        die_with_parent()
        sandboxlib.oom_protect()  # never the out-of-memory killer's pick (zygote.py: its tests are)
        # the memory layout is fixed at exec: an unlimited stack limit gives the forked solutions
        # the same room for deep recursion and the same thread stacks as a fresh interpreter
        resource.setrlimit(resource.RLIMIT_STACK, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
        if group is not None:
            # solutions are then born in the cgroup: moving a process into one per test costs
            # an RCU grace period (~10 ms), more than everything else a test pays here
            group.join()
        if memory is not None:
            memory.join()
        if cpu is not None:  # the server's tests are born there: it counts them, reaped or not
            cpu.join()
        if jail is not None:  # last: the cgroup file system is read-only inside
            # the server is then the init of the jail's PID namespace: every process of every
            # test dies with it, and a test's /proc shows only them
            jail.apply(no_network, reap=False, waiter=python)
            # the tests' stdout/stderr: written by the children, read by us through /proc
            mount_tmpfs(f"{jail.keep}/{OUTPUTS}", outputs_bytes, 0o700)
            os.chdir(TMP)
            return
        if no_network and not leave_network():
            raise OSError("cannot create a network namespace")
        # where allowed, the server runs as the init of a PID namespace: every process of
        # every test dies with it (zygote.py); else each test's processes die by our kills
        new_pid_namespace()

    return init


class ExecutorClosed(RuntimeError):
    """The executor was closed (the check ended: Ctrl-C, SIGTERM, an error) while one of its
    lanes ran a program: that run stops here and gives no verdict."""


class ForkServerDown(Exception):
    """The server died or stopped answering (`retired`: it could not clean up after the
    last test and left on its own: no fault of the test it was sent; `oom`: the memory
    cgroup killed a process while it ran, so the test's memory may have been the cause)."""

    def __init__(self, reason: str, retired: bool = False, oom: bool = False) -> None:
        super().__init__(reason)
        self.retired = retired
        self.oom = oom


@dataclass(frozen=True)
class Submitted:
    """A test sent to the server: where its outputs are read and the limits it ran under."""

    files: tuple[Path, Path, Path]
    limits: Limits


class ForkServer:
    """One started interpreter that forks a child per test."""

    def __init__(
        self,
        python: str,
        home: Path,
        env: dict[str, str],
        group: PidsGroup | None = None,
        no_network: bool = False,
        jail: Jail | None = None,
        outputs_bytes: int = 0,
        memory: MemoryGroup | None = None,
        clean: tuple[str, list[str]] | None = None,
        cpu: CpuGroup | None = None,
    ) -> None:
        self.no_network = no_network  # the server and every solution it forks have no network
        # jailed: the server and its children see a read-only file system and one private /tmp,
        # emptied before each test; outputs are read through the server's root
        self.jail = jail
        self.outputs_bytes = outputs_bytes
        # the server and its children share a memory cgroup: each test may use the limit
        # beyond what the server holds (no RLIMIT_AS then)
        self.memory = memory
        # the server and its tests count their CPU in this group: a test's time is what the
        # group used while it ran, less the server's own
        self.cpu = cpu
        # the tests' working folder (and what to keep in it): emptied by the server before each test
        self.clean = clean
        self.python = python
        self.home = home
        self.env = env
        self.group = group
        self.proc: subprocess.Popen[bytes] | None = None
        self._commands = self._answers = -1  # our ends of the command and answer pipes
        self._buffer = bytearray()
        # closed for good (its executor's end): never started again, whichever thread asks
        self._shut = False
        self._lock = threading.Lock()  # starting and closing, from a lane's thread and the check's

    @property
    def pid(self) -> int | None:
        """The server's pid while it runs."""
        return self.proc.pid if self.proc is not None and self.proc.poll() is None else None

    def _argv(self) -> list[str]:
        # a copy in the server's home: a jailed server cannot see our installation when it
        # lives under /tmp, /root or /home (a clone in /tmp, a virtualenv in a home folder)
        for source in SANDBOX_PROGRAM:
            copy = self.home / source.name
            if not copy.exists():
                shutil.copyfile(source, copy)
                copy.chmod(0o644)
        script = self.home / ZYGOTE.name
        argv = [self.python, str(script)]
        if self.clean is not None:
            argv += ["--clean", self.clean[0], "/".join(self.clean[1]) or "/"]
        if self.group is not None:  # the server kills what a test leaves in the group
            argv += ["--group", self.group.procs_file]
        if self.memory is not None:  # and tells whether the kernel killed it for memory
            argv += ["--oom", str(self.memory.oom_file)]
        return argv

    @property
    def processes(self) -> int:
        """How many processes the server is: two when it is the init of a PID namespace of
        its own (with the process that waits for it outside), else one."""
        pid = self.pid
        if pid is None:
            return 0
        try:
            inside = os.readlink(f"/proc/{pid}/ns/pid") != os.readlink(f"/proc/{pid}/ns/pid_for_children")
        except FileNotFoundError:
            inside = True  # the new namespace's init is about to be born
        except OSError:
            return 1
        return 2 if inside else 1

    def view(self, path: str) -> str:
        """Where the host finds a path of the server's file system."""
        if self.jail is None or self.pid is None:
            return path
        return f"/proc/{self.pid}/root{path}"

    def _start(self) -> subprocess.Popen[bytes]:
        with self._lock:
            return self._start_locked()

    def _start_locked(self) -> subprocess.Popen[bytes]:
        if self._shut:
            raise ExecutorClosed("the executor was closed while the program ran")
        if self.proc is None or self.proc.poll() is not None:
            self._close_pipes()
            # commands and answers on pipes of their own: the server's standard streams stay
            # on /dev/null, made by the interpreter as for a file, and every child inherits
            # them untouched over the test's files (no new stream objects per test)
            commands_r, self._commands = os.pipe()
            self._answers, answers_w = os.pipe()
            # /proc as we see it: in the jail its own may be read-only, and each child must
            # make itself the out-of-memory killer's first pick
            proc = os.open("/proc", os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
            passed = [commands_r, answers_w, proc]
            argv = [*self._argv(), "--fds", f"{commands_r},{answers_w}", "--proc", str(proc)]
            if self.cpu is not None:
                # opened here: a jailed server may not see the cgroup file system
                passed.append(self.cpu.open_usage())
                argv += ["--cpu", str(passed[-1])]
            for fd in passed:
                os.set_inheritable(fd, True)
            try:
                self.proc = subprocess.Popen(
                    argv,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    pass_fds=passed,
                    cwd=self.home,
                    env=self.env,
                    start_new_session=True,
                    preexec_fn=_zygote_init(
                        self.python,
                        self.group,
                        self.no_network,
                        self.jail,
                        self.outputs_bytes,
                        self.memory,
                        self.cpu,
                    ),
                )
            finally:
                for fd in passed:
                    os.close(fd)
            self._buffer = bytearray()
        return self.proc

    def _close_pipes(self) -> None:
        for fd in (self._commands, self._answers):
            if fd >= 0:
                os.close(fd)
        self._commands = self._answers = -1

    def submit(
        self,
        script: Path,
        cwd: Path,
        files: tuple[Path, Path, Path],
        limits: Limits,
        uid: int | None,
        nproc: int | None,
        input_copy: str | None = None,
        binary: bool = False,
    ) -> Submitted:
        """Send one test (`script` run as Python, or exec'd when `binary`: a compiled
        program); the server runs tests in the order sent, so the next one can be
        sent while this one runs. `input_copy`: a path where the child puts a copy of the
        test's input (jailed file-mode problems). Every submitted test gets one `collect`."""
        self._start()
        if self.jail is not None:
            outs = [f"{self.jail.keep}/{OUTPUTS}/{path.name}" for path in files[1:]]
            files = (files[0], Path(self.view(outs[0])), Path(self.view(outs[1])))
        else:
            outs = [str(path) for path in files[1:]]
        fields = [
            str(script),
            str(cwd),
            str(files[0]),
            *outs,
            repr(limits.time_s),
            "-" if self.memory is not None else str(limits.memory_mb * 1024 * 1024),
            str(limits.output_bytes + 1),
            "-" if nproc is None else str(nproc),
            "-" if uid is None else str(uid),
            repr(limits.wall),
            input_copy or "-",
            "exec" if binary else "python",
        ]
        self._send("\t".join(fields) + "\n")
        return Submitted(files, limits)

    def arm(self, limits: Limits) -> None:
        """Set the groups' limits for the tests about to be sent (the same for a program's tests)."""
        self._start()
        if self.group is not None:
            self.group.set_limit(limits.processes + self.processes)  # the server is a member too
        if self.memory is not None:
            self.memory.arm(limits.memory_mb * 1024 * 1024)

    def collect(self, test: Submitted) -> Execution | None:
        """The outcome of the oldest submitted test; None when it was cancelled. Raises
        ForkServerDown when the server died (every test sent to it is lost with it)."""
        try:
            wait = test.limits.wall * sandboxlib.STARVED_WALL + 10
            parts = self._reply(wait).split("\t")
            # an `ok` answer's outputs follow it (the server empties its files before the next test)
            outputs = [self._read(int(n), wait) for n in parts[7:9]] if parts[0] == "ok" else []
        except ForkServerDown as down:
            oom = self.memory is not None and self.memory.oom_killed()
            self.close()
            raise ForkServerDown(str(down), oom=oom) from None  # the caller retries on a fresh server
        if parts[0] == "cancelled":
            return None
        if parts[0] == "retire":
            self.close()
            raise ForkServerDown(parts[-1], retired=True)
        if parts[0] != "ok":
            return Execution(Verdict.IE, reason=f"fork server: {parts[-1]}")
        status, cpu, maxrss, wall = int(parts[1]), float(parts[2]), int(parts[3]), float(parts[4])
        killed, oom = parts[5] == "1", parts[6] == "1"
        stdout, stderr = outputs
        return finish_outputs(status, cpu, maxrss, wall, killed, stdout, stderr, test.limits, oom)

    def cancel(self) -> None:
        """Stop every test sent so far that has not finished (each still gets its `collect`)."""
        if self.proc is not None:
            self._send("cancel\n")

    def _send(self, command: str) -> None:
        try:
            os.write(self._commands, command.encode())
        except OSError as exc:
            self.close()
            raise ForkServerDown(f"cannot send: {exc}") from None

    def _reply(self, timeout: float) -> str:
        while b"\n" not in self._buffer:
            self._more(timeout, 65536)
        line, _, rest = self._buffer.partition(b"\n")
        self._buffer = rest
        return line.decode()

    def _read(self, count: int, timeout: float) -> bytes:
        """The next `count` bytes the server sends (a test's output)."""
        while len(self._buffer) < count:
            self._more(timeout, max(65536, count - len(self._buffer)))
        data = bytes(self._buffer[:count])
        del self._buffer[:count]
        return data

    def _more(self, timeout: float, size: int) -> None:
        fd = self._answers
        if fd < 0:
            raise ForkServerDown("it was closed")
        try:
            ready, _, _ = select.select([fd], [], [], timeout)
            if not ready:
                raise ForkServerDown("no answer in time")
            chunk = os.read(fd, min(size, 1 << 22))
        except OSError as exc:  # closed by another thread (the check's ending) meanwhile
            raise ForkServerDown(f"cannot read its answer: {exc}") from None
        if not chunk:
            raise ForkServerDown("it exited")
        self._buffer += chunk

    def close(self, for_good: bool = False) -> None:
        """Kill the server (a later test starts a fresh one, unless `for_good`: the executor's end)."""
        with self._lock:
            self._shut = self._shut or for_good
            # taken first: a lane's judging thread and the check's ending may both close it
            proc, self.proc = self.proc, None
        if proc is not None:
            kill_group(proc.pid)
            proc.wait()
            self._close_pipes()
            if self.group is not None:  # a test it ran may outlive it: it cleans up no more
                self.group.kill_all()
