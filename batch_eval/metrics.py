"""pass@k and verdict counts over the judged solutions of one file."""

from __future__ import annotations

from collections import Counter
from math import comb
from typing import Any

from batch_eval.verdict import Verdict


def pass_at_k(n: int, c: int, k: int) -> float:
    """The unbiased estimator of Chen et al. (2021): 1 - C(n-c, k) / C(n, k)."""
    if n - c < k:
        return 1.0
    return 1.0 - comb(n - c, k) / comb(n, k)


class Metrics:
    """Accumulates per-solution verdicts by problem; `to_dict` is the metrics file's body."""

    def __init__(self) -> None:
        self.verdicts: Counter[str] = Counter()
        self.by_problem: dict[str, list[bool]] = {}
        self.skipped: Counter[str] = Counter()
        self.records = 0
        self.tests_run = 0
        self.seconds = 0.0

    def add(self, problem_id: str, verdict: Verdict, tests_run: int) -> None:
        self.records += 1
        self.verdicts[verdict.value] += 1
        self.tests_run += tests_run
        if verdict is not Verdict.IE:
            # an IE says nothing about the solution: it is counted, not scored
            self.by_problem.setdefault(problem_id, []).append(verdict is Verdict.AC)

    def skip(self, reason: str) -> None:
        self.skipped[reason] += 1

    def pass_at(self) -> dict[str, float]:
        if not self.by_problem:
            return {}
        max_k = min(len(v) for v in self.by_problem.values())
        out = {}
        for k in range(1, max_k + 1):
            scores = [pass_at_k(len(v), sum(v), k) for v in self.by_problem.values()]
            out[str(k)] = round(sum(scores) / len(scores), 6)
        return out

    def to_dict(self) -> dict[str, Any]:
        judged = sum(len(v) for v in self.by_problem.values())
        return {
            "pass_at_k": self.pass_at(),
            "records": self.records,
            "judged": judged,
            "passed": sum(sum(v) for v in self.by_problem.values()),
            "problems": len(self.by_problem),
            "problems_solved": sum(1 for v in self.by_problem.values() if any(v)),
            "verdicts": dict(sorted(self.verdicts.items())),
            "ie": self.verdicts.get(Verdict.IE.value, 0),
            "skipped_records": sum(self.skipped.values()),
            "skipped_by_reason": dict(self.skipped),
            "tests_run": self.tests_run,
            "seconds": round(self.seconds, 3),
        }
