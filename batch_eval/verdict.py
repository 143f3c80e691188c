"""The verdict vocabulary and the per-test and per-solution results built from it."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import Enum
from typing import Any


class Verdict(str, Enum):
    """One vocabulary for tests and solutions, identical for every executor."""

    AC = "AC"  # accepted
    WA = "WA"  # wrong answer
    TLE = "TLE"  # time limit exceeded
    MLE = "MLE"  # memory limit exceeded
    OLE = "OLE"  # output limit exceeded
    RE = "RE"  # runtime error
    CE = "CE"  # compilation or syntax error
    SKIP = "SKIP"  # a test not run (early stop after a failure), or a record not judged (bad input)
    IE = "IE"  # the infrastructure failed; never a judgement of the solution

    def __str__(self) -> str:
        return self.value


#: verdicts that say the solution is wrong (as opposed to AC, SKIP, IE)
FAILURES = frozenset({Verdict.WA, Verdict.TLE, Verdict.MLE, Verdict.OLE, Verdict.RE, Verdict.CE})


@dataclass
class TestResult:
    """How one program did on one test."""

    verdict: Verdict
    time: float | None = None  # CPU seconds when known, else wall seconds
    wall_time: float | None = None
    memory_kb: int | None = None
    reason: str = ""  # short, for anything but AC
    exit_code: int | None = None
    # a timing verdict is never decided by one run: the other run's verdict and time, and
    # which of the two counted ("first" or "rerun": the faster, the least slowed by load)
    other_run: dict[str, Any] | None = None
    counted: str | None = None
    patient: bool | None = None  # the counted run had more wall time (the others waited for a core)

    def to_dict(self) -> dict[str, Any]:
        d = {k: v for k, v in asdict(self).items() if v is not None and v != ""}
        d["verdict"] = self.verdict.value
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TestResult:
        return cls(
            verdict=Verdict(d["verdict"]),
            time=d.get("time"),
            wall_time=d.get("wall_time"),
            memory_kb=d.get("memory_kb"),
            reason=d.get("reason", ""),
            exit_code=d.get("exit_code"),
            other_run=d.get("other_run"),
            counted=d.get("counted"),
            patient=d.get("patient"),
        )


def solution_verdict(tests: list[TestResult]) -> Verdict:
    """The solution's verdict: its first failing test's, else IE if any, else AC.

    A definite failure outranks an IE elsewhere: the solution is wrong whatever the
    infrastructure did on another test. An IE alone leaves the solution undecided.
    """
    for t in tests:
        if t.verdict in FAILURES:
            return t.verdict
    if any(t.verdict is Verdict.IE for t in tests):
        return Verdict.IE
    if not tests:
        return Verdict.IE
    return Verdict.AC


@dataclass
class SolutionResult:
    """The verdict of one solution record, with one entry per test."""

    verdict: Verdict
    tests: list[TestResult] = field(default_factory=list)
    reason: str = ""
    compile_output: str = ""

    @property
    def passed(self) -> bool:
        return self.verdict is Verdict.AC
