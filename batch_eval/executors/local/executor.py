"""The embedded executor: runs programs on this machine, in the strongest jail it allows.

A thin composition: the sandbox policy (policy.py), the languages (languages.py) and the
runners (runners.py: the fork server, a process per test)."""

from __future__ import annotations

import os
import shutil
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from batch_eval.errors import BatchEvalError
from batch_eval.executors.base import Execution, Executor, Expected, Limits, OnResult, Program, ProgramRun
from batch_eval.executors.languages import JAVA_FLAGS, run_argv
from batch_eval.executors.local.forkserver import ExecutorClosed
from batch_eval.executors.local.languages import (
    CC_FLAGS,
    CXX_FLAGS,
    RUST_FLAGS,
    Compiler,
    python_argv,
    python_version,
    version_of,
    write_script,
)
from batch_eval.executors.local.policy import DISK_MB, Sandbox
from batch_eval.executors.local.runners import ForkRunner, ProcessRunner
from batch_eval.executors.local.testlib import header as testlib_header
from batch_eval.verdict import Verdict

PYTHON_RUNNERS = ("fork", "process")


class LocalExecutor(Executor):
    """Programs on this machine, in the jail this machine allows (policy.py): Python tests
    forked from a started interpreter (the fork server) or, with the process runner, a fresh
    interpreter per test; C and C++ compiled once per program, their tests exec'd from the
    fork server (or a process per test with the process runner); Java compiled once and PyPy
    as they are, a process per test. Every test: its own session, stdin a regular file,
    time/memory/output/process limits.

    `jobs` > 1: that many programs at once, from as many threads (records in flight), each
    program on a lane of its own: an executor like this one with its own sandbox (cgroups,
    jail, working folders) and fork server, made when first needed; a test's CPU time,
    memory and processes are its own lane's, never its neighbours'."""

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
        cc: str = "gcc",
        javac: str = "javac",
        java: str = "java",
        pypy: str = "pypy3",
        node: str = "node",
        rustc: str = "rustc",
        jobs: int = 1,
        testlib: str | None = None,
    ) -> None:
        self._settings: dict[str, Any] = {
            "python": python,
            "cxx": cxx,
            "python_runner": python_runner,
            "jailed": jailed,
            "disk_mb": disk_mb,
            "memory_cgroup": memory_cgroup,
            "cxx_flags": cxx_flags,
            "cc": cc,
            "javac": javac,
            "java": java,
            "pypy": pypy,
            "node": node,
            "rustc": rustc,
            "testlib": testlib,
        }
        self.concurrency = max(1, jobs)
        self._free: list[LocalExecutor] = [self]  # lanes not running a program now
        self._lanes: list[LocalExecutor] = [self]
        self._lanes_lock = threading.Lock()
        self._closed = False
        # the real binary, not a PATH shim: shims cost a shell start per test
        self.python = os.path.realpath(python or sys.executable)
        if python_runner not in PYTHON_RUNNERS:
            raise BatchEvalError(
                f"unknown Python runner {python_runner!r}: use {' or '.join(PYTHON_RUNNERS)}"
            )
        self.python_runner = python_runner
        self.sandbox = Sandbox(self.python, jailed, disk_mb, memory_cgroup)
        self.cpp = Compiler(self.sandbox, "cpp", cxx, CXX_FLAGS if cxx_flags is None else cxx_flags)
        self.compilers = {
            "cpp": self.cpp,
            "c": Compiler(self.sandbox, "c", cc, CC_FLAGS),
            "java": Compiler(self.sandbox, "java", javac, (), runtime=java),
            "rust": Compiler(self.sandbox, "rust", rustc, RUST_FLAGS),
        }
        # PyPy and Node.js: a fresh interpreter per test (the fork server is CPython's), and
        # what to install when it is missing
        self.pypy = os.path.realpath(shutil.which(pypy) or pypy)
        self.interpreters = {
            "pypy": (self.pypy, "PyPy", "pypy3"),
            "javascript": (os.path.realpath(shutil.which(node) or node), "Node.js", "nodejs"),
        }
        self.forks = ForkRunner(self.sandbox, self.python)
        # the testlib.h problems' C++ interactors are built against (ours unless named)
        self.testlib = testlib_header(testlib)
        self.processes = ProcessRunner(self.sandbox, self.forks, cxx, self.testlib)
        self._boxes = 0

    @property
    def home(self) -> Path:
        return self.sandbox.home

    @property
    def isolation(self) -> str:
        """What contains a solution here; recorded with every result."""
        return self.sandbox.isolation

    def describe(self) -> dict[str, Any]:
        return {
            "executor": self.name,
            "python": self.python,
            "python_version": python_version(self.python),
            "python_argv": python_argv(self.python, Path("main.py")),
            # fork: an already-started interpreter forks per test; process: a fresh one per test
            "python_runner": self.python_runner,
            "isolation": self.isolation,
            "disk_mb": self.sandbox.disk_bytes // (1024 * 1024) if self.sandbox.jailed else None,
        }

    def describe_language(self, language: str) -> dict[str, Any]:
        if language == "cpp":
            return {
                "cxx": self.cpp.tool,
                "cxx_version": self.cpp.version,
                "cxx_flags": list(self.cpp.flags),
                # programs that include <bits/stdc++.h> compile against this precompiled header
                "cxx_pch": self.cpp.pch,
            }
        if language in ("c", "rust"):
            tool = self.compilers[language]
            name = "cc" if language == "c" else "rustc"
            return {name: tool.tool, f"{name}_version": tool.version, f"{name}_flags": list(tool.flags)}
        if language == "java":
            java = self.compilers["java"]
            return {
                "javac": java.tool,
                "javac_version": java.version,
                "java": java.runtime,
                "java_flags": JAVA_FLAGS,
            }
        if language in self.interpreters:
            path = self.interpreters[language][0]
            return {f"{language}": path, f"{language}_version": version_of((path, "--version"))}
        return {}  # Python: in describe()

    def close(self) -> None:
        """Every lane's fork server and sandbox; a lane's thread still running a program
        stops at its next test with ExecutorClosed (no verdict), and no lane starts again."""
        with self._lanes_lock:
            self._closed = True
            lanes = self._lanes[1:]
        for lane in lanes:
            lane.close()
        self.forks.close()
        self.sandbox.close()

    def _lane(self) -> LocalExecutor:
        """A lane not running a program (a new one while fewer than `concurrency` exist)."""
        with self._lanes_lock:
            if self._closed:
                raise ExecutorClosed("the executor was closed")
            if self._free:
                return self._free.pop()
            if len(self._lanes) >= self.concurrency:
                raise RuntimeError(f"more than {self.concurrency} programs at once")
        lane = LocalExecutor(**self._settings)
        with self._lanes_lock:
            if not self._closed:
                self._lanes.append(lane)
                return lane
        lane.close()  # made as the executor closed: nobody else would close it
        raise ExecutorClosed("the executor was closed")

    def preflight(self, limits: Limits) -> list[str]:
        if not (os.path.isfile(self.python) and os.access(self.python, os.X_OK)):
            raise BatchEvalError(f"Python interpreter {self.python} is not executable: pass --python PATH")
        version = python_version(self.python)
        if not version.startswith("Python 3"):
            # the fork server is a Python 3 program: anything else would fail every test
            raise BatchEvalError(
                f"{self.python} is not a Python 3 interpreter ({version!r}): pass --python PATH"
            )
        return self.sandbox.warnings()

    def run(
        self,
        program: Program,
        inputs: Sequence[bytes],
        limits: Limits,
        on_result: OnResult,
        input_mode: str = "stdio",
        expected: Expected | None = None,  # not needed: on_result stops us after each test
    ) -> ProgramRun:
        if self.concurrency == 1:
            return self._run(program, inputs, limits, on_result, input_mode)
        lane = self._lane()
        try:
            return lane._run(program, inputs, limits, on_result, input_mode)
        finally:
            with self._lanes_lock:
                self._free.append(lane)

    interactive = True

    def run_interactive(
        self,
        program: Program,
        inputs: Sequence[bytes],
        limits: Limits,
        on_result: OnResult,
        interactor: str,
        answers: Sequence[bytes] = (),
    ) -> ProgramRun:
        """As run, each test against `interactor`; always a process per test (either runner)."""
        if self.concurrency == 1:
            return self._run(program, inputs, limits, on_result, "stdio", interactor, answers)
        lane = self._lane()
        try:
            return lane._run(program, inputs, limits, on_result, "stdio", interactor, answers)
        finally:
            with self._lanes_lock:
                self._free.append(lane)

    def _run(
        self,
        program: Program,
        inputs: Sequence[bytes],
        limits: Limits,
        on_result: OnResult,
        input_mode: str,
        interactor: str | None = None,
        answers: Sequence[bytes] = (),
    ) -> ProgramRun:
        if self.forks.closed:
            raise ExecutorClosed("the executor was closed")
        self._boxes += 1
        box = self.home / f"program-{self._boxes}"
        box.mkdir()
        # readable by the solution's user, not writable: a program must not rewrite
        # itself (or its input) for the tests that follow
        box.chmod(0o755)
        file_io = input_mode == "file"
        try:
            if program.language == "python":
                argv, compile_ex = write_script(program, self.python, box), None
            elif program.language in self.interpreters:
                path, name, package = self.interpreters[program.language]
                if not os.access(path, os.X_OK):
                    missing = Execution(Verdict.IE, reason=f"{name} ({path}) not found: install {package}")
                    return ProgramRun(compile=missing, runs=[])
                argv, compile_ex = write_script(program, path, box), None
            elif program.language in self.compilers:
                compiled = self.compilers[program.language].compile(program, box, self.forks.running())
                if isinstance(compiled, Execution):
                    return ProgramRun(compile=compiled, runs=[])
                argv, compile_ex = compiled
                argv = run_argv(argv, limits.memory_mb)
            else:
                unsupported = Execution(Verdict.IE, reason=f"language {program.language!r} is not supported")
                return ProgramRun(compile=unsupported, runs=[])
            if interactor is not None:
                # interactive: a process per test whichever runner (its stdin and stdout are pipes)
                runs = self.processes.run(argv, box, inputs, limits, file_io, on_result, interactor, answers)
            elif self.python_runner == "fork" and (program.language == "python" or len(argv) == 1):
                # Python run in a fork of the started interpreter; a compiled program exec'd from one
                # (its jail, network namespace and cgroups made once, not per test)
                binary = len(argv) == 1
                script = Path(argv[-1])
                runs = self.forks.run(script, box, inputs, limits, file_io, on_result, binary=binary)
            else:
                runs = self.processes.run(argv, box, inputs, limits, file_io, on_result)
            return ProgramRun(compile=compile_ex, runs=runs)
        finally:
            shutil.rmtree(box, ignore_errors=True)
