"""The executor interface: one program, many inputs, one call; raw outcomes, not judgements."""

from __future__ import annotations

import hashlib
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from batch_eval.verdict import Verdict


@dataclass(frozen=True)
class Program:
    """Source code in one language. Its digest keys caches and resumes by content."""

    language: str
    source: str

    def digest(self) -> str:
        h = hashlib.sha256(self.language.encode())
        h.update(b"\0")
        h.update(self.source.encode("utf-8", "surrogatepass"))
        return h.hexdigest()


@dataclass(frozen=True)
class Limits:
    """Per-test limits; `time_s` is CPU seconds, `wall_s` the hard wall-clock kill."""

    time_s: float
    memory_mb: int
    output_bytes: int = 64 * 1024 * 1024
    processes: int = 64
    wall_s: float = 0.0  # 0: derived from time_s

    @property
    def wall(self) -> float:
        return self.wall_s if self.wall_s > 0 else 2 * self.time_s + 1.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "time_s": self.time_s,
            "wall_s": self.wall,
            "memory_mb": self.memory_mb,
            "output_bytes": self.output_bytes,
            "processes": self.processes,
        }


#: a checker's (or interactor's) CPU time limit: at least MIN_TIME_S, else TIME_FACTOR times
#: the program's own
CHECKER_MIN_TIME_S = 2.0
CHECKER_TIME_FACTOR = 3.0


#: how an IE caused by a problem's own interactor begins (audit counts it as the problem's fault)
INTERACTOR_BROKEN = "the problem's interactor is broken"


def checker_limits(program: Limits | None = None) -> Limits:
    """The limits a checker or an interactor (trusted problem code) runs under, judging
    programs that run under `program`."""
    time_s = (
        CHECKER_MIN_TIME_S
        if program is None
        else max(CHECKER_MIN_TIME_S, CHECKER_TIME_FACTOR * program.time_s)
    )
    return Limits(time_s=time_s, memory_mb=2048, output_bytes=1 << 20, processes=64)


@dataclass
class Execution:
    """What one run of a program did.

    `verdict` is AC when the program exited 0 within its limits (its output still has to
    be judged), otherwise the limit or failure that ended it: TLE, MLE, OLE, RE, CE (for
    a compile stage) or IE when the infrastructure, not the program, failed.
    """

    verdict: Verdict
    stdout: bytes = b""
    stderr: str = ""  # the tail only
    reason: str = ""
    exit_code: int | None = None
    signal: str | None = None
    wall_time: float | None = None
    cpu_time: float | None = None
    memory_kb: int | None = None
    timing: dict[str, Any] | None = None  # set by the judge when a timing verdict was re-run
    wall_killed: bool = False  # killed at the wall clock (its CPU time was cut short there)
    stdout_lossy: bool = False  # stdout came back as text with characters lost (Piston per test)


@dataclass
class ProgramRun:
    """All executions of one program: its compile stage (if any) and one per test run."""

    compile: Execution | None
    runs: list[Execution]

    @property
    def compile_failed(self) -> bool:
        return self.compile is not None and self.compile.verdict is not Verdict.AC


@dataclass(frozen=True)
class Expected:
    """The outputs the tests of a run must print and the built-in comparison that says so:
    given to an executor that can stop a program at its first wrong answer by itself (the
    Piston launcher, inside the sandbox). A hint only: the judge decides every verdict."""

    outputs: Sequence[bytes]
    mode: str
    tolerance: float


#: called after each test with its index and execution; returns False to stop early. It must
#: not run programs on the same executor (the judge re-runs tests after the pass, not inside)
OnResult = Callable[[int, Execution], bool]


class Executor(ABC):
    """Runs programs. Implementations must report infrastructure failures as IE."""

    name: str = "?"

    @abstractmethod
    def run(
        self,
        program: Program,
        inputs: Sequence[bytes],
        limits: Limits,
        on_result: OnResult,
        input_mode: str = "stdio",
        expected: Expected | None = None,
    ) -> ProgramRun:
        """Compile `program` once if its language needs it, then run it on each input in
        order, calling `on_result` after each; stop when it returns False. `expected`: the
        tests' outputs, when the judge stops at the first wrong answer (an executor that
        reports tests in bulk may stop there itself; the others need not look)."""

    #: whether run_interactive runs interactive tests (judging/interactive.py)
    interactive: bool = False

    def cannot_interact(self, language: str, interactor: str) -> str:
        """Why this executor cannot run a `language` program against `interactor` (Python or
        testlib C++ source); "" when it can."""
        return "" if self.interactive else f"the {self.name} executor does not run interactors"

    def run_interactive(
        self,
        program: Program,
        inputs: Sequence[bytes],
        limits: Limits,
        on_result: OnResult,
        interactor: str,
        answers: Sequence[bytes] = (),
    ) -> ProgramRun:
        """As run, each test's program talking to `interactor` (Python or testlib C++ source)
        through pipes; `answers`: each test's expected output, the interactor's ANSWER file
        (testlib's `ans`); only an executor whose `interactive` is True is asked."""
        raise NotImplementedError(f"the {self.name} executor does not run interactive problems")

    #: how many programs one check may have this executor run at once (from threads); 1: one
    #: at a time, from the thread that made it (the local executor: one per lane, --jobs)
    concurrency: int = 1

    def preflight(self, limits: Limits) -> list[str]:
        """Raise BatchEvalError when this executor cannot give correct verdicts; return
        warnings about what it can only do in part."""
        return []

    def describe(self) -> dict[str, Any]:
        """Versions and settings that go into the results' environment record."""
        return {"executor": self.name}

    def describe_language(self, language: str) -> dict[str, Any]:
        """What else decides how `language` runs here (a toolchain's version and flags): asked
        only for the languages a check meets, so a probe of one toolchain is never paid for,
        nor keys the verdicts of, programs in another."""
        return {}

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release sessions and temporary files."""


def tail(text: bytes | str, limit: int = 2000) -> str:
    """The last `limit` characters of a program's stderr, decoded leniently."""
    if isinstance(text, bytes):
        text = text[-4 * limit :].decode("utf-8", "replace")
    return text[-limit:]


def error_line(stderr: str, limit: int = 300) -> str:
    """What a program's stderr says last: its last line, but above Node.js's closing
    `Node.js vX.Y.Z` (the error is the line before it)."""
    lines = [ln.strip() for ln in stderr.strip().splitlines() if ln.strip()]
    if len(lines) > 1 and re.fullmatch(r"Node\.js v[\d.]+", lines[-1]):
        lines.pop()
    error = next((ln for ln in reversed(lines) if not ln.startswith("at ")), lines[-1] if lines else "")
    return error[:limit]


def last_line(text: str, limit: int = 300) -> str:
    """The last non-blank line of `text`, stripped, at most `limit` characters."""
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    return lines[-1][:limit] if lines else ""
