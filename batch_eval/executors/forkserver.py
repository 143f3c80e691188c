"""Run Python solutions by forking an already-started interpreter (see zygote.py).

A fresh interpreter costs 15-50 ms on this kind of machine; a fork of a started one about
1-2 ms. The server runs as the solutions' interpreter, in its own session, and dies with
the checker (PR_SET_PDEATHSIG). If it dies or hangs, it is restarted; the test in flight
is reported as IE, never as the solution's failure.
"""

from __future__ import annotations

import os
import resource
import select
import subprocess
from collections.abc import Callable
from pathlib import Path

from batch_eval.executors.base import Execution, Limits
from batch_eval.executors.cgroup import MemoryGroup, PidsGroup
from batch_eval.executors.jail import TMP, Jail, mount_tmpfs
from batch_eval.executors.process import die_with_parent, finish, kill_group, leave_network
from batch_eval.verdict import Verdict

ZYGOTE = Path(__file__).with_name("zygote.py")
SETUP_MARKER = "batch-eval fork server:"
OUTPUTS = "outputs"  # jailed: a folder of the executor's own, a private file system inside


def _zygote_init(
    group: PidsGroup | None,
    no_network: bool,
    jail: Jail | None,
    outputs_bytes: int,
    memory: MemoryGroup | None,
) -> Callable[[], None]:
    def init() -> None:
        die_with_parent()
        # the memory layout is fixed at exec: an unlimited stack limit gives the forked solutions
        # the same room for deep recursion and the same thread stacks as a fresh interpreter
        resource.setrlimit(resource.RLIMIT_STACK, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
        if group is not None:
            # solutions are then born in the cgroup: moving a process into one per test costs
            # an RCU grace period (~10 ms), more than everything else a test pays here
            group.join()
        if memory is not None:
            memory.join()
        if jail is not None:  # last: the cgroup file system is read-only inside
            jail.apply(no_network)
            # the tests' stdout/stderr: written by the children, read by us through /proc
            mount_tmpfs(f"{jail.keep}/{OUTPUTS}", outputs_bytes, 0o700)
            os.chdir(TMP)
        elif no_network and not leave_network():
            raise OSError("cannot create a network namespace")

    return init


class ForkServerDown(Exception):
    pass


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
    ) -> None:
        self.no_network = no_network  # the server and every solution it forks have no network
        # jailed: the server and its children see a read-only file system and one private /tmp,
        # emptied before each test; outputs are read through the server's root
        self.jail = jail
        self.outputs_bytes = outputs_bytes
        # the server and its children share a memory cgroup: each test may use the limit
        # beyond what the server holds (no RLIMIT_AS then)
        self.memory = memory
        self.python = python
        self.home = home
        self.env = env
        self.group = group
        self.proc: subprocess.Popen[bytes] | None = None
        self._buffer = b""

    @property
    def pid(self) -> int | None:
        """The server's pid while it runs."""
        return self.proc.pid if self.proc is not None and self.proc.poll() is None else None

    def _argv(self) -> list[str]:
        argv = [self.python, str(ZYGOTE)]
        if self.jail is not None:
            kept = [os.path.basename(self.jail.keep)] if os.path.dirname(self.jail.keep) == TMP else []
            argv += ["--clean", TMP, *kept]
        return argv

    def view(self, path: str) -> str:
        """Where the host finds a path of the server's file system."""
        if self.jail is None or self.pid is None:
            return path
        return f"/proc/{self.pid}/root{path}"

    def _start(self) -> subprocess.Popen[bytes]:
        if self.proc is None or self.proc.poll() is not None:
            self.proc = subprocess.Popen(
                self._argv(),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                cwd=self.home,
                env=self.env,
                start_new_session=True,
                preexec_fn=_zygote_init(
                    self.group, self.no_network, self.jail, self.outputs_bytes, self.memory
                ),
            )
            self._buffer = b""
        return self.proc

    def run(
        self,
        script: Path,
        cwd: Path,
        files: tuple[Path, Path, Path],
        limits: Limits,
        uid: int | None,
        nproc: int | None,
        input_copy: str | None = None,
    ) -> Execution:
        """Like run_command for `python script`, through the fork server. `input_copy`: a
        path where the child puts a copy of the test's input (jailed file-mode problems)."""
        group = self.group
        proc = self._start()
        if self.jail is not None:
            outs = [f"{self.jail.keep}/{OUTPUTS}/{path.name}" for path in files[1:]]
            files = (files[0], Path(self.view(outs[0])), Path(self.view(outs[1])))
        else:
            outs = [str(path) for path in files[1:]]
        if group is not None:
            group.set_limit(limits.processes + 1)  # the server itself is a member
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
            "-",  # no per-test cgroup move: the server was started inside the group
            repr(limits.wall),
            input_copy or "-",
        ]
        if self.memory is not None:
            self.memory.arm(limits.memory_mb * 1024 * 1024)
        try:
            reply = self._ask(proc, "\t".join(fields) + "\n", limits.wall + 10)
        except ForkServerDown:
            self.close()
            if self.memory is not None and self.memory.oom_killed():
                return Execution(Verdict.MLE, reason=f"memory limit {limits.memory_mb} MB")
            raise  # the caller retries on a fresh server
        finally:
            if group is not None:
                group.kill_all(spare=proc.pid)
        parts = reply.split("\t")
        if parts[0] != "ok":
            return Execution(Verdict.IE, reason=f"fork server: {parts[-1]}")
        status, cpu, maxrss, wall, killed = (
            int(parts[1]),
            float(parts[2]),
            int(parts[3]),
            float(parts[4]),
            parts[5],
        )
        oom = self.memory is not None and self.memory.oom_killed()
        ex = finish(status, cpu, maxrss, wall, killed == "1", files[1], files[2], limits, oom)
        if ex.exit_code == 127 and SETUP_MARKER in ex.stderr:
            return Execution(Verdict.IE, reason=ex.stderr.strip().splitlines()[-1][:300])
        return ex

    def _ask(self, proc: subprocess.Popen[bytes], command: str, timeout: float) -> str:
        assert proc.stdin is not None and proc.stdout is not None
        try:
            os.write(proc.stdin.fileno(), command.encode())
        except OSError as exc:
            raise ForkServerDown(f"cannot send: {exc}") from None
        fd = proc.stdout.fileno()
        while b"\n" not in self._buffer:
            ready, _, _ = select.select([fd], [], [], timeout)
            if not ready:
                raise ForkServerDown("no answer in time")
            chunk = os.read(fd, 65536)
            if not chunk:
                raise ForkServerDown("it exited")
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line.decode()

    def close(self) -> None:
        if self.proc is not None:
            kill_group(self.proc.pid)
            self.proc.wait()
            for stream in (self.proc.stdin, self.proc.stdout):
                if stream is not None:
                    stream.close()
            self.proc = None
