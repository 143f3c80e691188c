"""The embedded executor: runs programs on this machine, in the strongest jail it allows."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

from batch_eval.errors import BatchEvalError
from batch_eval.executors.base import Execution, Executor, Limits, OnResult, Program, ProgramRun
from batch_eval.executors.local import jail
from batch_eval.executors.local.cgroup import MemoryGroup, PidsGroup
from batch_eval.executors.local.forkserver import ForkServer, ForkServerDown, Submitted
from batch_eval.executors.local.pch import pch_folder, uses_stdcxx
from batch_eval.executors.local.process import (
    SANDBOX_UID,
    Command,
    become_subreaper,
    leave_network,
    run_command,
    user_tasks,
)
from batch_eval.verdict import Verdict

# as Codeforces builds C++ (GNU C++17, -O2, ONLINE_JUDGE defined: the common local-debugging
# template `#ifndef ONLINE_JUDGE freopen("input.txt", ...)` must read stdin here as it does there)
CXX_FLAGS = ("-std=gnu++17", "-O2", "-pipe", "-DONLINE_JUDGE")
COMPILE_LIMITS = Limits(time_s=30.0, memory_mb=2048, output_bytes=1 << 20, processes=64)
PYTHON_RUNNERS = ("fork", "process")
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


def python_argv(python: str, script: Path) -> list[str]:
    # a normal interpreter start: `site` stays on so exit()/quit() exist, real descriptors
    return [python, str(script)]


def python_version(python: str) -> str:
    """`python --version` of an interpreter (cached)."""
    return _version_of((python, "--version"))


@cache
def _version_of(argv: tuple[str, ...]) -> str:
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=10, check=False)
    except OSError:
        return "unavailable"
    return (out.stdout or out.stderr).strip().splitlines()[0] if (out.stdout or out.stderr) else ""


class LocalExecutor(Executor):
    """Programs on this machine, in the jail this machine allows (see jail.py, cgroup.py):
    Python tests forked from a started interpreter (forkserver.py) or, with the process
    runner, a fresh interpreter per test; C++ compiled once per program and exec'd per test.
    Every test: its own session, stdin a regular file, time/memory/output/process limits."""

    name = "local"

    def __init__(
        self,
        python: str | None = None,
        cxx: str = "g++",
        python_runner: str = "fork",
        jailed: bool | None = None,
        disk_mb: int = DISK_MB,
        memory_cgroup: bool = True,
        cxx_flags: tuple[str, ...] | None = None,
    ) -> None:
        # the real binary, not a PATH shim: shims cost a shell start per test
        self.python = os.path.realpath(python or sys.executable)
        self.cxx = cxx
        self.cxx_flags = CXX_FLAGS if cxx_flags is None else cxx_flags
        if python_runner not in PYTHON_RUNNERS:
            raise BatchEvalError(
                f"unknown Python runner {python_runner!r}: use {' or '.join(PYTHON_RUNNERS)}"
            )
        self.python_runner = python_runner
        self._server: ForkServer | None = None
        self._pch: str | None = None
        self._boxes = 0
        # jailed: a read-only file system and a private /tmp of `disk_mb` per test (jail.py)
        self.jailed = jail.works() if jailed is None else jailed
        self.disk_bytes = disk_mb * 1024 * 1024
        # our folder: each program's files, then (jailed) the tests' outputs
        self._home: tempfile.TemporaryDirectory[str] | None = tempfile.TemporaryDirectory(
            prefix=f"batch-eval-{os.getpid()}-", dir=_home_base(self.jailed)
        )
        self.home = Path(self._home.name)
        self.home.chmod(0o755)
        (self.home / "outputs").mkdir()
        # jailed, /root and /home are hidden: the interpreter's installation is shown again
        self._reveal = tuple(p for p in _installation(self.python) if self.jailed and _hidden(p))
        self.uid = self._sandbox_uid()
        (self.home / "run").mkdir()  # the fork server's tests' working folder when not jailed
        self._own(self.home / "run")
        # jailed, the network namespace comes with the jail (for a normal user, in its user namespace)
        self.no_network = self.jailed or _network_namespaces_work()
        self.group = PidsGroup.create(64)
        become_subreaper()  # killed orphans come to us to be reaped, not to a slow init
        # the memory limit as real use, not address space (which breaks threads, OpenBLAS)
        self.memory = MemoryGroup.create() if memory_cgroup else None
        self._nproc_base: int | None = None
        if self.group is None and os.geteuid() != 0:
            self._nproc_base = user_tasks(os.geteuid())

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
                cmd = replace(cmd, jail=self._jail(1 << 20))
            probe = run_command(cmd, box / "in", PROBE_LIMITS, box)
        return SANDBOX_UID if probe.verdict is Verdict.AC else None

    def _own(self, path: Path) -> None:
        if self.uid is not None:
            os.chown(path, self.uid, self.uid)

    def describe(self) -> dict[str, Any]:
        return {
            "executor": self.name,
            "python": self.python,
            "python_version": _version_of((self.python, "--version")),
            "python_argv": python_argv(self.python, Path("main.py")),
            # fork: an already-started interpreter forks per test; process: a fresh one per test
            "python_runner": self.python_runner,
            "cxx": self.cxx,
            "cxx_version": _version_of((self.cxx, "--version")),
            "cxx_flags": list(self.cxx_flags),
            # programs that include <bits/stdc++.h> compile against this precompiled header
            "cxx_pch": self._pch,
            "isolation": self.isolation,
            "disk_mb": self.disk_bytes // (1024 * 1024) if self.jailed else None,
        }

    @property
    def isolation(self) -> str:
        """What contains a solution here; recorded with every result."""
        parts = ["rlimits", "session"]
        if self.memory is not None:
            parts.append("memory-cgroup")
        if self.group is not None:
            parts.append("pids-cgroup")
        elif self._nproc_base is not None:
            parts.append("nproc")
        if self.uid is not None:
            parts.append("user-nobody")
        if self.no_network:
            parts.append("netns")
        if self.jailed:
            parts.append("readonly-fs+private-tmp")
        return "+".join(parts)

    def close(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        if self._home is not None:
            self._home.cleanup()
            self._home = None
        for group in (self.group, self.memory):
            if group is not None:
                group.close()
        self.group = self.memory = None

    def _command(
        self, argv: list[str], cwd: Path, limits: Limits, jailed: jail.Jail | None = None
    ) -> Command:
        nproc = None
        if self._nproc_base is not None:
            nproc = self._nproc_base + limits.processes
        elif self.uid is not None and self.group is None:
            nproc = limits.processes
        return Command(argv, cwd, solution_env(cwd), self.uid, nproc, self.no_network, jailed)

    def _jail(
        self,
        tmp_bytes: int,
        writable: tuple[str, ...] = (),
        file_io: Path | None = None,
        reveal: tuple[str, ...] = (),
    ) -> jail.Jail:
        """The jail of one process: our folder read-only, a private /tmp; `file_io`: the host
        file the program's output.txt lands in (file-mode problems)."""
        reveal = self._reveal + tuple(p for p in reveal if _hidden(p))
        if file_io is None:
            return jail.Jail(str(self.home), tmp_bytes, writable, reveal=reveal)
        io = (f"{jail.TMP}/input.txt", (str(file_io), f"{jail.TMP}/output.txt"))
        return jail.Jail(str(self.home), tmp_bytes, writable, *io, reveal=reveal)

    def _exec(self, cmd: Command, stdin: Path, limits: Limits, box: Path, name: str) -> Execution:
        server = self._server.pid if self._server is not None else None
        if self.group is not None and self._server is not None:
            # a running fork server is a member of the group too: spared (its session), and counted
            self.group.set_limit(limits.processes + self._server.processes)
        elif self.group is not None:
            self.group.set_limit(limits.processes)
        return run_command(
            cmd, stdin, limits, box, out_name=name, group=self.group, spare=server, memory=self.memory
        )

    def _server_for(self, limits: Limits) -> ForkServer:
        outputs = 4 * (limits.output_bytes + 1) + (1 << 20)  # two tests' stdout and stderr
        if self._server is not None and self._server.outputs_bytes < outputs:
            # its outputs' file system was sized for smaller outputs (jailed): a new one
            self._server.close()
            self._server = None
        if self._server is None:
            home = self.home / "server"  # the server's own home (its children get the working folder)
            home.mkdir(exist_ok=True)
            jailed = self._jail(self.disk_bytes) if self.jailed else None
            # the tests' working folder, emptied by the server before each test
            work = jail.TMP if self.jailed else str(self.home / "run")
            # what the jail shows again under /tmp (mount points) stays when it is emptied
            shown = [str(self.home), *self._reveal] if self.jailed else []
            kept = sorted(
                {Path(p).relative_to(jail.TMP).parts[0] for p in shown if p.startswith(jail.TMP + "/")}
            )
            self._server = ForkServer(
                self.python,
                home,
                solution_env(home),
                self.group,
                self.no_network,
                jailed,
                outputs,
                self.memory,
                clean=(work, kept),
            )
        return self._server

    def _run_forked(
        self,
        script: Path,
        box: Path,
        inputs: Sequence[bytes],
        limits: Limits,
        file_io: bool,
        on_result: OnResult,
        start: int = 0,
        retried: int = -1,
        binary: bool = False,
        fresh: int = -1,
    ) -> list[Execution]:
        """Python tests from `start` on through the fork server, the next test sent while one
        runs (its input written, its command queued) so that our work overlaps the
        solution's; on an early stop the one in flight is cancelled. File-mode problems go
        one at a time (the working folder holds output.txt until we read it). A server that
        dies under test i is our fault once (a fresh one runs i again), the program's the
        second time (RE); one that retires (it could not empty the working folder after the
        last test) is replaced without counting (`fresh`: the test a fresh server started
        for; if even that one cannot, IE)."""
        server = self._server_for(limits)
        work = Path(jail.TMP) if self.jailed else self.home / "run"
        cmd = self._command([str(script)] if binary else [self.python, str(script)], work, limits)
        copy = str(work / "input.txt") if file_io else None
        ahead = 0 if file_io else 1
        runs: list[Execution] = []
        queued: list[tuple[int, Submitted]] = []
        next_send = start

        def send(k: int) -> None:
            stdin = box / f"input{k % 2}.txt"  # two slots: the one in use is never rewritten
            stdin.write_bytes(inputs[k])
            stdin.chmod(0o644)
            files = (stdin, box / f"test{k % 2}.out", box / f"test{k % 2}.err")
            test = server.submit(script, work, files, limits, cmd.uid, cmd.nproc, copy, binary)
            queued.append((k, test))

        i = start
        try:
            server.arm(limits)
            for i in range(start, len(inputs)):
                while len(queued) <= ahead and next_send < len(inputs):
                    send(next_send)
                    next_send += 1
                k, test = queued.pop(0)
                assert k == i, (k, i)
                ex = server.collect(test)
                assert ex is not None  # only a cancel makes None, and none was sent
                if file_io:
                    written = written_output(Path(server.view(str(work / "output.txt"))), limits)
                    ex.stdout = ex.stdout if written is None else written
                runs.append(ex)
                if not on_result(i, ex):
                    if queued:
                        server.cancel()
                        for _, left in queued:
                            server.collect(left)
                    return runs
        except ForkServerDown as down:
            if down.retired and fresh != i:
                # it could not empty the working folder: a fresh server runs test i (no
                # fault of the program's, not counted as one)
                more = self._run_forked(
                    script, box, inputs, limits, file_io, on_result, i, retried, binary, i
                )
            elif down.retired or retried == i:
                if down.retired:  # even a fresh server's folder cannot be emptied
                    ex = Execution(Verdict.IE, reason=f"the test's sandbox cannot be prepared: {down}")
                else:
                    ex = Execution(
                        Verdict.RE, reason=f"the program killed the judge's process that ran it ({down})"
                    )
                runs.append(ex)
                on_result(i, ex)
                return runs
            else:
                more = self._run_forked(script, box, inputs, limits, file_io, on_result, i, i, binary)
            return runs + more
        return runs

    def preflight(self, limits: Limits) -> list[str]:
        if not (os.path.isfile(self.python) and os.access(self.python, os.X_OK)):
            raise BatchEvalError(f"Python interpreter {self.python} is not executable: pass --python PATH")
        version = python_version(self.python)
        if not version.startswith("Python 3"):
            # the fork server is a Python 3 program: anything else would fail every test
            raise BatchEvalError(
                f"{self.python} is not a Python 3 interpreter ({version!r}): pass --python PATH"
            )
        warnings = []
        if self.group is None and self.uid is None and self._nproc_base is None:
            warnings.append(
                "no process limit is possible here (root without a pids cgroup): "
                "a fork loop is contained only by the time limit"
            )
        missing = [
            what
            for what, have in (
                ("a read-only file system and private /tmp (mount namespaces)", self.jailed),
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

    def run(
        self,
        program: Program,
        inputs: Sequence[bytes],
        limits: Limits,
        on_result: OnResult,
        input_mode: str = "stdio",
    ) -> ProgramRun:
        self._boxes += 1
        box = self.home / f"program-{self._boxes}"
        box.mkdir()
        # readable by the solution's user, not writable: a program must not rewrite
        # itself (or its input) for the tests that follow
        box.chmod(0o755)
        try:
            compiled = self._prepare(program, box)
            if isinstance(compiled, Execution):
                return ProgramRun(compile=compiled, runs=[])
            argv, compile_ex = compiled
            if self.python_runner == "fork" and (
                len(argv) == 1 or (argv[0] == self.python and len(argv) == 2)
            ):
                # Python run in a fork of the started interpreter; a compiled program exec'd from one
                # (its jail, network namespace and cgroups made once, not per test)
                forked = self._run_forked(
                    Path(argv[-1]),
                    box,
                    inputs,
                    limits,
                    input_mode == "file",
                    on_result,
                    binary=len(argv) == 1,
                )
                return ProgramRun(compile=compile_ex, runs=forked)
            runs: list[Execution] = []
            for i, data in enumerate(inputs):
                ex = self._run_test(argv, box, data, limits, input_mode)
                runs.append(ex)
                if not on_result(i, ex):
                    break
            return ProgramRun(compile=compile_ex, runs=runs)
        finally:
            shutil.rmtree(box, ignore_errors=True)

    def _prepare(self, program: Program, box: Path) -> tuple[list[str], Execution | None] | Execution:
        if program.language == "python":
            path = box / "main.py"
            path.write_text(program.source, encoding="utf-8", errors="surrogatepass")
            path.chmod(0o644)
            return python_argv(self.python, path), None
        if program.language == "cpp":
            return self._compile_cpp(program, box)
        return Execution(Verdict.IE, reason=f"language {program.language!r} is not supported")

    def _compile_cpp(self, program: Program, box: Path) -> tuple[list[str], Execution] | Execution:
        cxx = shutil.which(self.cxx)
        if cxx is None:
            return Execution(Verdict.IE, reason=f"C++ compiler {self.cxx!r} not found")
        build = box / "build"
        build.mkdir()
        self._own(build)
        src = build / "main.cpp"
        src.write_text(program.source, encoding="utf-8", errors="surrogatepass")
        src.chmod(0o644)
        empty = box / "empty.in"
        empty.write_bytes(b"")
        include: list[str] = []
        reveal: tuple[str, ...] = (os.path.dirname(os.path.realpath(cxx)),)
        if uses_stdcxx(program.source):
            folder = pch_folder(cxx, self.cxx_flags, _version_of((self.cxx, "--version")))
            if folder is not None:
                include = ["-I", str(folder)]
                reveal += (str(folder),)
                self._pch = str(folder / "bits" / "stdc++.h.gch")
        jailed = None
        if self.jailed:
            memory = COMPILE_LIMITS.memory_mb * 1024 * 1024
            jailed = self._jail(memory, writable=(str(build),), reveal=reveal)
        argv = [cxx, *self.cxx_flags, *include, "-o", "main", "main.cpp"]
        cmd = self._command(argv, build, COMPILE_LIMITS, jailed)
        ex = self._exec(cmd, empty, COMPILE_LIMITS, box, "compile")
        if ex.verdict is Verdict.IE:
            return ex  # the compiler could not be started: ours, never the program's fault
        if ex.verdict is not Verdict.AC:
            reason = ex.reason if ex.verdict is Verdict.TLE else _first_error(ex.stderr)
            return Execution(
                Verdict.CE,
                stderr=ex.stderr,
                reason=reason or "compilation failed",
                wall_time=ex.wall_time,
                exit_code=ex.exit_code,
            )
        if self.uid is not None:  # the compiler ran as the sandbox user; the binary must not stay theirs
            for path in (build, build / "main"):
                os.chown(path, 0, 0)
            build.chmod(0o755)
        return [str(build / "main")], ex

    def _run_test(
        self, argv: list[str], box: Path, data: bytes, limits: Limits, input_mode: str
    ) -> Execution:
        if self.jailed:
            return self._run_jailed(argv, box, data, limits, input_mode == "file")
        # one working folder, emptied between tests: a test that leaves nothing behind costs
        # no mkdir/rmtree, and one that does gets a fresh folder (nothing reaches the next test)
        run_dir = box / "run"
        if not run_dir.is_dir():
            run_dir.mkdir()
            self._own(run_dir)
        stdin_path = box / "input.txt"
        stdin_path.write_bytes(data)
        if self.uid is not None:
            stdin_path.chmod(0o644)
        if input_mode == "file":
            (run_dir / "input.txt").write_bytes(data)
        cmd = self._command(argv, run_dir, limits)
        ex = self._exec(cmd, stdin_path, limits, box, "test")
        if input_mode == "file":
            written = written_output(run_dir / "output.txt", limits)
            ex.stdout = ex.stdout if written is None else written
        if any(os.scandir(run_dir)):
            shutil.rmtree(run_dir, ignore_errors=True)
        return ex

    def _run_jailed(
        self, argv: list[str], box: Path, data: bytes, limits: Limits, file_io: bool
    ) -> Execution:
        """A test in the jail: its working folder is its private /tmp, nothing else is writable."""
        stdin_path = box / "input.txt"
        stdin_path.write_bytes(data)
        stdin_path.chmod(0o644)
        output = box / "output.txt"
        if file_io:
            # shown at /tmp/output.txt, writable by the program; whether it wrote the file is
            # told by its time (any open for writing truncates it, and that sets the time)
            output.write_bytes(b"")
            self._own(output)
            os.utime(output, ns=(0, 0))
        jailed = self._jail(self.disk_bytes, file_io=output if file_io else None)
        cmd = self._command(argv, Path(jail.TMP), limits, jailed)
        ex = self._exec(cmd, stdin_path, limits, box, "test")
        if file_io and os.stat(output).st_mtime_ns != 0:
            ex.stdout = written_output(output, limits) or b""
        return ex


def written_output(path: Path, limits: Limits) -> bytes | None:
    """What a file-mode program wrote to `output.txt` (at most the output limit), or None
    when it wrote no such regular file (then its standard output is its output). A link
    is never followed: the program could point it at a file of the judge's."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        with os.fdopen(fd, "rb", closefd=False) as f:
            return f.read(limits.output_bytes)
    finally:
        os.close(fd)


def _installation(python: str) -> list[str]:
    """The folder an interpreter is installed in (…/bin/python3 -> …)."""
    bin_dir = os.path.dirname(python)
    return [os.path.dirname(bin_dir)] if os.path.basename(bin_dir) == "bin" else [bin_dir]


def _hidden(path: str) -> bool:
    """Whether the jail hides `path` (under /root, /home or /tmp)."""
    return any(path == top or path.startswith(top + "/") for top in (*jail.HIDDEN, jail.TMP))


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


def _first_error(stderr: str) -> str:
    for line in stderr.splitlines():
        if "error" in line:
            return line.strip()[:300]
    return stderr.strip().splitlines()[0][:300] if stderr.strip() else ""
