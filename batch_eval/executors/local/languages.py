"""How the local executor turns a program into the command a test runs: Python as a script of
the solutions' interpreter (or of PyPy), C, C++ and Java compiled once per program (as
Codeforces builds them) in the sandbox, under the compiler's own limits."""

from __future__ import annotations

import os
import shutil
import subprocess
from functools import cache
from pathlib import Path

from batch_eval.executors.base import Execution, Limits, Program
from batch_eval.executors.languages import COMPILE_SECONDS, JAVA_FLAGS, java_class, source_file
from batch_eval.executors.local.pch import pch_folder, uses_stdcxx
from batch_eval.executors.local.policy import Sandbox
from batch_eval.verdict import Verdict

# as Codeforces builds C++ (GNU C++17, -O2, ONLINE_JUDGE defined: the common local-debugging
# template `#ifndef ONLINE_JUDGE freopen("input.txt", ...)` must read stdin here as it does there)
CXX_FLAGS = ("-std=gnu++17", "-O2", "-pipe", "-DONLINE_JUDGE")
#: a compile's limits: its output limit is also the largest file it may write (a Rust binary is megabytes)
COMPILE_LIMITS = Limits(time_s=COMPILE_SECONDS, memory_mb=2048, output_bytes=64 << 20, processes=64)


def python_argv(python: str, script: Path) -> list[str]:
    # a normal interpreter start: `site` stays on so exit()/quit() exist, real descriptors
    return [python, str(script)]


def python_version(python: str) -> str:
    """`python --version` of an interpreter (cached)."""
    return version_of((python, "--version"))


@cache
def version_of(argv: tuple[str, ...]) -> str:
    """The first line a tool prints for `argv` (its version), "unavailable" if it cannot start."""
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=10, check=False)
    except OSError:
        return "unavailable"
    return (out.stdout or out.stderr).strip().splitlines()[0] if (out.stdout or out.stderr) else ""


def write_script(program: Program, interpreter: str, box: Path) -> list[str]:
    """An interpreted program (Python, PyPy, Node.js) as its language's file in `box`,
    readable by the solution's user; the argv that runs it (a normal interpreter start)."""
    path = box / source_file(program.language, program.source)
    path.write_text(program.source, encoding="utf-8", errors="surrogatepass")
    path.chmod(0o644)
    return python_argv(interpreter, path)


#: C as Codeforces builds it (GNU C11, -O2, ONLINE_JUDGE defined; the maths library linked)
CC_FLAGS = ("-std=gnu11", "-O2", "-pipe", "-DONLINE_JUDGE")
#: Rust as Codeforces builds it (edition 2021, optimised); `online_judge` set for cfg!()
RUST_FLAGS = ("--edition=2021", "-O", "--cfg", "online_judge")


@cache
def rustc_binary(rustc: str) -> tuple[str, tuple[str, ...]]:
    """The real rustc behind a rustup proxy (the proxy needs rustup's home, which the jail
    does not show) and the toolchain folder the jail must show; as found when not rustup's.
    Asked once per process, not at every compile."""
    found = shutil.which(rustc) or rustc
    try:
        sysroot = subprocess.run(
            [found, "--print", "sysroot"], capture_output=True, text=True, timeout=30, check=False
        ).stdout.strip()
    except OSError:
        return found, ()
    real = os.path.join(sysroot, "bin", "rustc")
    return (real, (sysroot,)) if sysroot and os.access(real, os.X_OK) else (found, ())


class Compiler:
    """A compiled language's compiler (`tool`, with `flags`) run in the sandbox as the
    solution's user, once per program: C (gcc), C++ (g++; programs that include
    <bits/stdc++.h> compile against a precompiled header, pch.py), Rust (rustc) or Java
    (javac; the tests run on `java`)."""

    def __init__(
        self, sandbox: Sandbox, language: str, tool: str, flags: tuple[str, ...], runtime: str = ""
    ) -> None:
        self.sandbox = sandbox
        self.language = language
        self.tool = tool
        self.flags = flags
        self.runtime = runtime  # Java: the `java` that runs the classes
        self.pch: str | None = None  # the precompiled header used, once one was

    @property
    def version(self) -> str:
        return version_of((self.tool, "-version" if self.language == "java" else "--version"))

    def _argv(self, tool: str, program: Program, source: str) -> tuple[list[str], list[str], tuple[str, ...]]:
        """The compile argv, the run argv (relative to the build folder) and what the jail
        must show again for the compile."""
        reveal: tuple[str, ...] = (os.path.dirname(os.path.realpath(tool)),)
        if self.language == "java":
            java = shutil.which(self.runtime) or self.runtime
            run = [java, *JAVA_FLAGS, "-cp", "{build}", java_class(program.source)]
            return [tool, "-encoding", "UTF-8", "-d", ".", source], run, reveal
        if self.language == "c":
            return [tool, *self.flags, "-o", "main", source, "-lm"], ["{build}/main"], reveal
        if self.language == "rust":
            tool, toolchain = rustc_binary(tool)
            return [tool, *self.flags, "-o", "main", source], ["{build}/main"], (*reveal, *toolchain)
        include: list[str] = []
        if uses_stdcxx(program.source):
            folder = pch_folder(tool, self.flags, self.version)
            if folder is not None:
                include = ["-I", str(folder)]
                reveal += (str(folder),)
                self.pch = str(folder / "bits" / "stdc++.h.gch")
        return [tool, *self.flags, *include, "-o", "main", source], ["{build}/main"], reveal

    def compile(
        self, program: Program, box: Path, server: tuple[int, int] | None
    ) -> tuple[list[str], Execution] | Execution:
        """The run's argv and the compiler's run, or the Execution that ends the program.
        CE when the compiler exited with its own errors (the first as reason), used all of its
        CPU time or memory on this program (a template bomb: the program's doing, as on
        Codeforces), or crashed on it; IE when it could not start, or was killed at
        the wall clock with CPU time to spare or by SIGKILL twice (a compile stopped that way
        is run once more: on a loaded machine that is not the program's doing).
        `server`: a running fork server's pid and process count (spared in the pids group)."""
        tool = shutil.which(self.tool)
        if tool is None:
            return Execution(Verdict.IE, reason=f"{self.language} compiler {self.tool!r} not found")
        sandbox = self.sandbox
        build = box / "build"
        build.mkdir()
        sandbox.own(build)
        name = source_file(self.language, program.source)
        src = build / name
        src.write_text(program.source, encoding="utf-8", errors="surrogatepass")
        src.chmod(0o644)
        empty = box / "empty.in"
        empty.write_bytes(b"")
        argv, run, reveal = self._argv(tool, program, name)
        jailed = None
        if sandbox.jailed:
            memory = COMPILE_LIMITS.memory_mb * 1024 * 1024
            jailed = sandbox.jail(memory, writable=(str(build),), reveal=reveal)
        cmd = sandbox.command(argv, build, COMPILE_LIMITS, jailed)
        ex = sandbox.execute(cmd, empty, COMPILE_LIMITS, box, "compile", server)
        if _stopped(ex):  # killed from outside (a loaded machine): once more
            ex = sandbox.execute(cmd, empty, COMPILE_LIMITS, box, "compile", server)
            if _stopped(ex):
                return Execution(
                    Verdict.IE,
                    stderr=ex.stderr,
                    reason=f"the compiler was stopped twice ({ex.reason}): not the program's error",
                    wall_time=ex.wall_time,
                )
        if _exhausted(ex):
            return Execution(
                Verdict.CE,
                stderr=ex.stderr,
                reason=f"the compiler used all its {_what(ex)} on this program ({ex.reason})",
                wall_time=ex.wall_time,
            )
        if ex.verdict is Verdict.IE:
            return ex  # the compiler could not be started: ours, never the program's fault
        if ex.verdict is not Verdict.AC:
            reason = first_error(ex.stderr)
            return Execution(
                Verdict.CE,
                stderr=ex.stderr,
                reason=reason or "compilation failed",
                wall_time=ex.wall_time,
                exit_code=ex.exit_code,
            )
        if sandbox.uid is not None:  # the compiler ran as the sandbox user; what it made must not stay theirs
            for path in (build, *build.iterdir()):
                os.chown(path, 0, 0)
            build.chmod(0o755)
        return [part.replace("{build}", str(build)) for part in run], ex


def _exhausted(ex: Execution) -> bool:
    """Whether the compile used up its CPU time or memory: the program's doing, whatever the
    machine's load."""
    return ex.verdict is Verdict.MLE or (ex.verdict is Verdict.TLE and not ex.wall_killed)


def _what(ex: Execution) -> str:
    return "memory" if ex.verdict is Verdict.MLE else "CPU time"


def _stopped(ex: Execution) -> bool:
    """Whether a compile was stopped from outside (the wall clock with CPU time to spare,
    SIGKILL) rather than ending by itself or using up its limits: on a loaded machine, not
    the program's doing."""
    if _exhausted(ex):
        return False
    return ex.wall_killed or ex.signal == "SIGKILL"


def first_error(stderr: str) -> str:
    for line in stderr.splitlines():
        if "error" in line:
            return line.strip()[:300]
    return stderr.strip().splitlines()[0][:300] if stderr.strip() else ""
