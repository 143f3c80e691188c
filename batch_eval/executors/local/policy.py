"""The local executor's sandbox policy: the strongest containment this machine allows, made
once per executor and applied to every process it starts (compiler, test, fork server).

Decided here: where our folders live, the user a solution runs as (`nobody` when we are
root), the jail (a root of its own showing only what the languages need, its own /proc and
System V IPC, a private /tmp, no network), the pids, memory and CPU cgroups, the process
limit without cgroups, whom the out-of-memory killer spares (us) and picks first (a test),
and the scrubbed environment.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from dataclasses import replace
from functools import cache
from pathlib import Path

from batch_eval.executors.base import Execution, Limits
from batch_eval.executors.local import jail, probes
from batch_eval.executors.local.cgroup import CpuGroup, MemoryGroup, PidsGroup
from batch_eval.executors.local.kernel import become_subreaper, leave_network
from batch_eval.executors.local.process import SANDBOX_UID, Command, run_command
from batch_eval.executors.sandbox import sandboxlib
from batch_eval.verdict import Verdict

#: the jail's own processes beside a program's (jail.split: the one waiting outside, the init)
JAIL_PROCESSES = 2
PROBE_LIMITS = Limits(time_s=5.0, memory_mb=512, output_bytes=1 << 16, processes=16)
DISK_MB = 256  # a test's private /tmp (its working folder) when jailed


def solution_env(home: Path) -> dict[str, str]:
    """The scrubbed environment every solution sees (no API keys from ours)."""
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": str(home),
        "TMPDIR": str(home),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        # Codeforces' Python prints integers of any length (Python >= 3.11 refuses > 4300 digits)
        "PYTHONINTMAXSTRDIGITS": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONHASHSEED": "0",
    }


class Sandbox:
    """What contains every process the local executor starts, and the folder it works in
    (removed by `close`, with the cgroups)."""

    def __init__(self, python: str, jailed: bool | None, disk_mb: int, memory_cgroup: bool) -> None:
        self.python = python
        # jailed: a minimal read-only root, its own /proc and IPC, a private /tmp of `disk_mb` (jail.py)
        self.jailed = jail.works() if jailed is None else jailed
        self.disk_bytes = disk_mb * 1024 * 1024
        # our folder: each program's files, then (jailed) the tests' outputs
        self._home: tempfile.TemporaryDirectory[str] | None = tempfile.TemporaryDirectory(
            prefix=f"batch-eval-{os.getpid()}-", dir=_home_base(self.jailed)
        )
        self.home = Path(self._home.name)
        self.home.chmod(0o755)
        (self.home / "outputs").mkdir()
        # jailed, only the system folders are shown: the interpreter's installation is shown again
        self.reveal = tuple(p for p in _installation(python) if self.jailed and hidden(p))
        self.uid = self._remembered_uid()
        # jailed, the network namespace comes with the jail (for a normal user, in its user namespace)
        self.no_network = self.jailed or _network_namespaces_work()
        self.group = PidsGroup.create(64)
        become_subreaper()  # killed orphans come to us to be reaped, not to a slow init
        # the memory limit as real use, not address space (which breaks threads, OpenBLAS)
        self.memory = MemoryGroup.create() if memory_cgroup else None
        # a test's CPU time is its group's: processes it forks and never reaps are counted
        # (rusage sees only what was reaped); one group for the processes started per test
        # (and compiles), one for the fork server and its tests (the server's own time taken off)
        self.cpu = CpuGroup.create()
        self.server_cpu = CpuGroup.create() if self.cpu is not None else None
        # the out-of-memory killer never picks the judge (nor the fork server, which inherits
        # this) where we may ask it; a test's processes set themselves to be picked first
        sandboxlib.oom_protect()
        self.nproc_base: int | None = None
        if self.group is None and os.geteuid() != 0:
            self.nproc_base = sandboxlib.user_tasks(os.geteuid())

    def _remembered_uid(self) -> int | None:
        """`_sandbox_uid`, asked once per boot while the interpreter's files, the jail and our
        code stay as they were (probes.py): starting a jailed interpreter costs each check ~0.2 s."""
        if os.geteuid() != 0:
            return None
        parts = (self.python, str(self.jailed), *self.reveal, str(SANDBOX_UID))
        key = probes.fingerprint(parts, _interpreter_paths(self.python))
        return probes.remembered("sandbox-uid", key, self._sandbox_uid)

    def _sandbox_uid(self) -> int | None:
        """`nobody` when we are root and that user can start the interpreter, else None."""
        if os.geteuid() != 0:
            return None
        with tempfile.TemporaryDirectory(prefix="probe-", dir=self.home) as tmp:
            box = Path(tmp)
            os.chown(box, SANDBOX_UID, SANDBOX_UID)
            (box / "in").write_bytes(b"")
            cwd = Path(jail.TMP) if self.jailed else box
            cmd = Command([self.python, "-c", "import site"], cwd, solution_env(cwd), SANDBOX_UID)
            if self.jailed:
                cmd = replace(cmd, jail=self.jail(1 << 20, keep=box))
            probe = run_command(cmd, box / "in", PROBE_LIMITS, box)
        return SANDBOX_UID if probe.verdict is Verdict.AC else None

    def own(self, path: Path) -> None:
        """Make `path` the solution user's (a folder it must write in)."""
        if self.uid is not None:
            os.chown(path, self.uid, self.uid)

    @property
    def isolation(self) -> str:
        """What contains a solution here; recorded with every result."""
        parts = ["rlimits", "session"]
        if self.memory is not None:
            parts.append("memory-cgroup")
        if self.group is not None:
            parts.append("pids-cgroup")
        if self.cpu is not None:
            parts.append("cpu-cgroup")
        elif self.nproc_base is not None:
            parts.append("nproc")
        if self.uid is not None:
            parts.append("user-nobody")
        if self.no_network:
            parts.append("netns")
        if self.jailed:
            parts.append("own-root+own-proc+own-ipc+private-tmp")
        return "+".join(parts)

    def warnings(self) -> list[str]:
        """What this machine does not allow, said before a run starts."""
        warnings = []
        if self.group is None and self.uid is None and self.nproc_base is None:
            warnings.append(
                "no process limit is possible here (root without a pids cgroup): "
                "a fork loop is contained only by the time limit"
            )
        if self.cpu is None:
            warnings.append(
                "no CPU-accounting cgroup here (cpuacct; root needed): a test's CPU time is what "
                "its reaped processes used, and CPU spent in processes it never reaps is not counted"
            )
        missing = [
            what
            for what, have in (
                (
                    "a root, /proc and IPC of their own and a private /tmp (mount, PID and IPC namespaces)",
                    self.jailed,
                ),
                ("no network (network namespaces)", self.no_network),
            )
            if not have
        ]
        if missing:
            warnings.append(
                f"ISOLATION IS LIMITED ({self.isolation}): this machine does not allow "
                f"{' or '.join(missing)} (Linux >= 5.12 and root or unprivileged user namespaces); "
                "solutions can "
                + ("read and write what this user can" if not self.jailed else "use the network")
                + ". Run as root, in a container, or use --executor piston for untrusted code."
            )
        return warnings

    def command(self, argv: list[str], cwd: Path, limits: Limits, jailed: jail.Jail | None = None) -> Command:
        """A process to start under this policy, in `cwd`, in the jail `jailed` if any."""
        nproc = None
        if self.nproc_base is not None:
            # jailed, two processes of ours wait for the program (jail.split)
            nproc = self.nproc_base + limits.processes + (JAIL_PROCESSES if jailed is not None else 0)
        elif self.uid is not None and self.group is None:
            nproc = limits.processes
        return Command(argv, cwd, solution_env(cwd), self.uid, nproc, self.no_network, jailed)

    def jail(
        self,
        tmp_bytes: int,
        writable: tuple[str, ...] = (),
        file_io: Path | None = None,
        reveal: tuple[str, ...] = (),
        keep: Path | None = None,
        output_bytes: int = 0,
    ) -> jail.Jail:
        """The jail of one process: `keep` (a program's folder; None: all of ours, for the
        fork server) read-only, a private /tmp; `file_io`: the host file the program's
        output.txt (its first `output_bytes`) is copied into when it ends (file-mode
        problems); `reveal`: what it needs beyond the system folders (shown when the jail
        would hide it)."""
        reveal = self.reveal + tuple(p for p in reveal if hidden(p))
        shown = str(self.home if keep is None else keep)
        if file_io is None:
            return jail.Jail(shown, tmp_bytes, writable, reveal=reveal)
        io = (f"{jail.TMP}/input.txt", (f"{jail.TMP}/output.txt", str(file_io), output_bytes))
        return jail.Jail(shown, tmp_bytes, writable, *io, reveal=reveal)

    def execute(
        self,
        cmd: Command,
        stdin: Path,
        limits: Limits,
        box: Path,
        name: str,
        server: tuple[int, int] | None,
        pipes: tuple[int, int] | None = None,
    ) -> Execution:
        """Run one process to its end under `limits`, in the cgroups; `server`: the pid and
        process count of a running fork server, a member of the pids group spared and counted;
        `pipes`: its stdin and stdout (an interactor's ends) instead of `stdin` and a file."""
        if self.group is not None:
            ours = (server[1] if server is not None else 0) + (JAIL_PROCESSES if cmd.jail is not None else 0)
            self.group.set_limit(limits.processes + ours)
        return run_command(
            cmd,
            stdin,
            limits,
            box,
            out_name=name,
            group=self.group,
            spare=server[0] if server is not None else None,
            memory=self.memory,
            cpu=self.cpu,
            pipes=pipes,
        )

    def close(self) -> None:
        if self._home is not None:
            self._home.cleanup()
            self._home = None
        for group in (self.group, self.memory, self.cpu, self.server_cpu):
            if group is not None:
                group.close()
        self.group = self.memory = self.cpu = self.server_cpu = None


def _installation(python: str) -> list[str]:
    """The folder an interpreter is installed in (…/bin/python3 -> …)."""
    bin_dir = os.path.dirname(python)
    return [os.path.dirname(bin_dir)] if os.path.basename(bin_dir) == "bin" else [bin_dir]


def _interpreter_paths(python: str) -> list[str]:
    """What starting `python` goes through: its link, its file, and what its installation's
    lib folder holds (the standard library, libpython)."""
    real = os.path.realpath(python)
    paths = [os.path.abspath(python), real]
    for top in _installation(real):
        lib = os.path.join(top, "lib")
        with contextlib.suppress(OSError):
            paths += [os.path.join(lib, name) for name in os.listdir(lib)]
    return paths


def installation(program: str) -> tuple[str, ...]:
    """What the jail must show for `program` (an interpreter, a runtime) to start: its
    installation, when the system folders do not hold it (pyenv, nvm, a JDK under /opt)."""
    return tuple(p for p in _installation(os.path.realpath(program)) if hidden(p))


def hidden(path: str) -> bool:
    """Whether the jail hides `path`: anything outside its system folders (/usr, /lib...)."""
    real = os.path.realpath(path)
    return not any(real == top or real.startswith(top + "/") for top in jail.SYSTEM)


def _home_base(jailed: bool) -> str:
    """Where our folders go: jailed, outside /tmp (the solution's private /tmp starts empty).
    Folders left by checkers that were SIGKILLed (no cleanup ran) are removed on the way."""
    base = Path(tempfile.gettempdir())
    if jailed:
        try:
            Path("/run/batch-eval").mkdir(mode=0o755, exist_ok=True)
            if os.access("/run/batch-eval", os.W_OK):
                base = Path("/run/batch-eval")
        except OSError:
            pass  # not root: our folder stays in /tmp, shown again inside the jail
    for folder in base.glob("batch-eval-*-*"):
        owner = folder.name.split("-")[2]
        if owner.isdigit() and not Path(f"/proc/{owner}").exists():
            shutil.rmtree(folder, ignore_errors=True)
    return str(base)


@cache
def _network_namespaces_work() -> bool:
    """Whether a child may leave the network (root, or a user namespace allowed)."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the probe child
        os._exit(0 if leave_network() else 1)
    _, status = os.waitpid(pid, 0)
    return os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
