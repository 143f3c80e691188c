"""How the local executor runs a program's tests: through the fork server (Python, and a
compiled binary exec'd from it: the jail and cgroups made once, not per test) or as a
process per test. Both report each test as it ends and stop when told to."""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from pathlib import Path

from batch_eval.executors.base import Execution, Limits, OnResult
from batch_eval.executors.local import jail
from batch_eval.executors.local.forkserver import ExecutorClosed, ForkServer, ForkServerDown, Submitted
from batch_eval.executors.local.interactive import Pipes, interact
from batch_eval.executors.local.policy import Sandbox, installation, solution_env
from batch_eval.executors.local.testlib import OWN_HEADER
from batch_eval.executors.sandbox import sandboxlib
from batch_eval.verdict import Verdict


def written_output(path: Path, limits: Limits) -> bytes | None:
    """What a file-mode program wrote to `output.txt` (at most the output limit), or None
    when it wrote no such regular file (then its standard output is its output). A link
    is never followed: the program could point it at a file of the judge's."""
    return sandboxlib.read_written(str(path), limits.output_bytes)


def write_private(path: Path, data: bytes) -> None:
    """A test's input, readable by us alone (the program gets it opened, as its stdin, before
    it becomes the solution's user): the next test's input is never the current one's to read."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with open(fd, "wb") as f:
        os.fchmod(fd, 0o600)  # an older slot's mode, or a umask's, never stands
        f.write(data)


class ForkRunner:
    """Tests forked from one long-lived server per executor (forkserver.py), started on first
    use and replaced when it dies, retires, or its outputs' file system is too small."""

    def __init__(self, sandbox: Sandbox, python: str) -> None:
        self.sandbox = sandbox
        self.python = python
        self.server: ForkServer | None = None
        self.closed = False  # the executor's end: no server starts again, no test runs
        # the tests' working folder when not jailed (jailed: the server's private /tmp)
        self.work = Path(jail.TMP) if sandbox.jailed else sandbox.home / "run"
        if not sandbox.jailed:
            self.work.mkdir()
            sandbox.own(self.work)

    def running(self) -> tuple[int, int] | None:
        """The running server's pid and how many processes it is (for the pids group)."""
        if self.server is None or self.server.pid is None:
            return None
        return self.server.pid, self.server.processes

    def _server_for(self, limits: Limits) -> ForkServer:
        if self.closed:
            raise ExecutorClosed("the executor was closed while the program ran")
        sandbox = self.sandbox
        outputs = 4 * (limits.output_bytes + 1) + (1 << 20)  # two tests' stdout and stderr
        if self.server is not None and self.server.outputs_bytes < outputs:
            # its outputs' file system was sized for smaller outputs (jailed): a new one
            self.server.close()
            self.server = None
        if self.server is None:
            home = sandbox.home / "server"  # the server's own home (its children get the working folder)
            home.mkdir(exist_ok=True)
            # the server reads its groups' files (members to kill, out-of-memory kills) inside
            groups = [sandbox.group.procs_file] if sandbox.group is not None else []
            groups += [str(sandbox.memory.oom_file)] if sandbox.memory is not None else []
            reveal = tuple(os.path.dirname(path) for path in groups)
            jailed = sandbox.jail(sandbox.disk_bytes, reveal=reveal) if sandbox.jailed else None
            # what the jail shows again under /tmp (mount points) stays when the folder is emptied
            shown = [str(sandbox.home), *sandbox.reveal] if sandbox.jailed else []
            kept = sorted(
                {Path(p).relative_to(jail.TMP).parts[0] for p in shown if p.startswith(jail.TMP + "/")}
            )
            self.server = ForkServer(
                self.python,
                home,
                solution_env(home),
                sandbox.group,
                sandbox.no_network,
                jailed,
                outputs,
                sandbox.memory,
                clean=(str(self.work), kept),
                cpu=sandbox.server_cpu,
            )
        return self.server

    def run(
        self,
        script: Path,
        box: Path,
        inputs: Sequence[bytes],
        limits: Limits,
        file_io: bool,
        on_result: OnResult,
        binary: bool = False,
        start: int = 0,
        retried: int = -1,
        fresh: int = -1,
    ) -> list[Execution]:
        """Tests from `start` on through the fork server, the next test sent while one runs
        (its input written, its command queued) so that our work overlaps the solution's; on
        an early stop the one in flight is cancelled. File-mode problems go one at a time
        (the working folder holds output.txt until we read it). A server that dies under
        test i costs a fresh server that runs i again; when that one dies too, the verdict is
        the program's only where it could have been its doing (MLE when the memory cgroup
        killed for memory, RE when solutions run as our own user and can signal the
        server), else IE: a program running as another user cannot kill a root server. One
        that retires (it could not empty the working folder after the last test) is replaced
        without counting (`fresh`: the test a fresh server started for; if even that one
        cannot, IE)."""
        server = self._server_for(limits)
        work = self.work
        cmd = self.sandbox.command([str(script)] if binary else [self.python, str(script)], work, limits)
        copy = str(work / "input.txt") if file_io else None
        ahead = 0 if file_io else 1
        runs: list[Execution] = []
        queued: list[tuple[int, Submitted]] = []
        next_send = start

        def send(k: int) -> None:
            stdin = box / f"input{k % 2}.txt"  # two slots: the one in use is never rewritten
            write_private(stdin, inputs[k])  # written while test k - 1 runs: never readable by it
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
                    if queued and server.pid is not None:  # (a server killed for memory is gone)
                        server.cancel()
                        for _, left in queued:
                            server.collect(left)
                    return runs
        except ForkServerDown as down:
            again = (script, box, inputs, limits, file_io, on_result, binary, i)
            if down.retired and fresh != i:
                # it could not empty the working folder: a fresh server runs test i (no
                # fault of the program's, not counted as one)
                return runs + self.run(*again, retried=retried, fresh=i)
            if down.retired or retried == i:
                if down.retired:  # even a fresh server's folder cannot be emptied
                    ex = Execution(Verdict.IE, reason=f"the test's sandbox cannot be prepared: {down}")
                elif down.oom:
                    ex = Execution(Verdict.MLE, reason=f"memory limit {limits.memory_mb} MB")
                elif self.sandbox.uid is None:  # the program runs as our user: it can kill the server
                    ex = Execution(
                        Verdict.RE, reason=f"the program killed the judge's process that ran it ({down})"
                    )
                else:
                    why = f"the fork server died twice running this test ({down})"
                    ex = Execution(Verdict.IE, reason=why)
                runs.append(ex)
                on_result(i, ex)
                return runs
            return runs + self.run(*again, retried=i)
        return runs

    def close(self) -> None:
        """For good: a lane's thread still running a program stops (ExecutorClosed), never
        starting a server again in a sandbox being closed."""
        self.closed = True
        server, self.server = self.server, None
        if server is not None:
            server.close(for_good=True)


class ProcessRunner:
    """A fresh process per test (a compiled binary, or the interpreter with the process
    runner), in a fresh jail per test when jailed."""

    def __init__(
        self, sandbox: Sandbox, running: ForkRunner, cxx: str = "g++", testlib: Path = OWN_HEADER
    ) -> None:
        self.sandbox = sandbox
        self.forks = running  # a server it starts alongside is spared and counted
        self.cxx = cxx  # what builds a problem's C++ interactor, against `testlib` (testlib.py)
        self.testlib = testlib

    def run(
        self,
        argv: list[str],
        box: Path,
        inputs: Sequence[bytes],
        limits: Limits,
        file_io: bool,
        on_result: OnResult,
        interactor: str | None = None,
        answers: Sequence[bytes] = (),
    ) -> list[Execution]:
        """Each test in order until `on_result` says stop; with an `interactor` (Python or
        testlib C++ source), the program talks to it on each test (interactive.py) instead of
        reading the input; `answers`: the tests' expected outputs, the interactor's ANSWER."""
        runs: list[Execution] = []
        for i, data in enumerate(inputs):
            if self.forks.closed:
                raise ExecutorClosed("the executor was closed while the program ran")

            def test(pipes: Pipes, data: bytes = data) -> Execution:
                if pipes is not None:
                    data = b""  # the interactor's secret: nowhere the program could look
                if self.sandbox.jailed:
                    return self._run_jailed(argv, box, data, limits, file_io, pipes)
                return self._run_test(argv, box, data, limits, file_io, pipes)

            if interactor is None:
                ex = test(None)
            else:
                answer = answers[i] if i < len(answers) else None
                ex = interact(
                    interactor, self.sandbox.python, data, limits, test, answer, self.cxx, self.testlib
                )
            runs.append(ex)
            if not on_result(i, ex):
                break
        return runs

    def _run_test(
        self, argv: list[str], box: Path, data: bytes, limits: Limits, file_io: bool, pipes: Pipes
    ) -> Execution:
        # one working folder, emptied between tests: a test that leaves nothing behind costs
        # no mkdir/rmtree, and one that does gets a fresh folder (nothing reaches the next test)
        sandbox = self.sandbox
        run_dir = box / "run"
        if not run_dir.is_dir():
            run_dir.mkdir()
            sandbox.own(run_dir)
        stdin_path = box / "input.txt"
        write_private(stdin_path, data)
        if file_io:
            (run_dir / "input.txt").write_bytes(data)
        cmd = sandbox.command(argv, run_dir, limits)
        ex = sandbox.execute(cmd, stdin_path, limits, box, "test", self.forks.running(), pipes)
        if file_io:
            written = written_output(run_dir / "output.txt", limits)
            ex.stdout = ex.stdout if written is None else written
        if any(os.scandir(run_dir)):
            shutil.rmtree(run_dir, ignore_errors=True)
        return ex

    def _run_jailed(
        self, argv: list[str], box: Path, data: bytes, limits: Limits, file_io: bool, pipes: Pipes
    ) -> Execution:
        """A test in the jail: its working folder is its private /tmp, nothing else is writable."""
        sandbox = self.sandbox
        stdin_path = box / "input.txt"
        write_private(stdin_path, data)
        output = box / "output.txt"
        if file_io:
            # the jail copies the regular file the program wrote at /tmp/output.txt in here
            # when it ends; whether it wrote one is told by the time (set by that copy)
            write_private(output, b"")
            os.utime(output, ns=(0, 0))
        jailed = sandbox.jail(
            sandbox.disk_bytes,
            file_io=output if file_io else None,
            reveal=installation(argv[0]),
            keep=box,
            output_bytes=limits.output_bytes,
        )
        cmd = sandbox.command(argv, Path(jail.TMP), limits, jailed)
        ex = sandbox.execute(cmd, stdin_path, limits, box, "test", self.forks.running(), pipes)
        if file_io and os.stat(output).st_mtime_ns != 0:
            ex.stdout = written_output(output, limits) or b""
        return ex
