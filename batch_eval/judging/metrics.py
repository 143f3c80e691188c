"""pass@k and verdict counts over the judged solutions of one file.

A problem with an IE sample is undecided: the infrastructure failed on one of its samples,
and IE is not independent of correctness (a wrong program stops at its first failing
test, a right one goes on to reach the test where the infrastructure fails), so scoring
its other samples alone would bias pass@k. Such problems are left out of pass@k as a whole
and listed under `undecided` with their counts.
"""

from __future__ import annotations

from collections import Counter
from math import comb
from typing import Any

from batch_eval.verdict import TestResult, Verdict


def pass_at_k(n: int, c: int, k: int) -> float:
    """The unbiased estimator of Chen et al. (2021): 1 - C(n-c, k) / C(n, k)."""
    if n - c < k:
        return 1.0
    return 1.0 - comb(n - c, k) / comb(n, k)


#: the k of pass@k a metrics file always holds (as far as some problem has k samples)
LADDER = (1, 5, 10, 25, 50, 100)


def pass_at_ks(per_problem: dict[str, tuple[int, int]], ks: tuple[int, ...] = ()) -> dict[str, float]:
    """Mean pass@k over the problems with at least k samples, for every k up to the fewest
    samples of a problem, the LADDER's and `ks` (each as far as some problem has k samples).
    A problem with fewer than k samples says nothing about pass@k: it is left out of that k
    (`pass_at_k_problems` counts who is in), never capping k for every problem."""
    if not per_problem:
        return {}
    counts = [n for n, _ in per_problem.values()]
    wanted = {*range(1, min(counts) + 1), *(k for k in (*LADDER, *ks) if 1 <= k <= max(counts))}
    out = {}
    for k in sorted(wanted):
        scores = [pass_at_k(n, c, k) for n, c in per_problem.values() if n >= k]
        out[str(k)] = round(sum(scores) / len(scores), 6)
    return out


def pass_at_k_problems(per_problem: dict[str, tuple[int, int]], ks: list[str]) -> dict[str, int]:
    """How many problems each k of pass@k is over, for the k that leave some problem out."""
    used = {k: sum(1 for n, _ in per_problem.values() if n >= int(k)) for k in ks}
    return {k: count for k, count in used.items() if count < len(per_problem)}


#: the plain counts of a metrics body: adding them up combines files
COUNTERS = (
    "records",
    "ie",
    "skipped_records",
    "tests_run",
    "cache_hits",
    "reused",
    "timing_reruns",
    "timing_flips",
    "patient_reruns",
)
#: what the batch summary repeats of each file's and checkpoint's metrics
SUMMARY_KEYS = (
    "pass_at_k",
    "pass_at_k_problems",
    "ks",
    "base",
    "records",
    "judged",
    "passed",
    "problems",
    "problems_undecided",
    "problems_solved",
    "verdicts",
    *COUNTERS[1:],
    "skipped_by_reason",
    "seconds",
)


def _body(
    samples: dict[str, tuple[int, int, int]],
    verdicts: Counter[str],
    skipped: Counter[str],
    counters: dict[str, int],
    seconds: float,
    ks: tuple[int, ...] = (),
) -> dict[str, Any]:
    """The metrics body, from judged/passed/IE samples per problem and the plain counts;
    `ks`: the k of pass@k asked for besides the usual ones."""
    per_problem = {pid: (n, c) for pid, (n, c, ie) in samples.items() if not ie}
    undecided = {pid: [n, c, ie] for pid, (n, c, ie) in sorted(samples.items()) if ie}
    scores = pass_at_ks(per_problem, ks)
    return {
        "pass_at_k": scores,
        "pass_at_k_problems": pass_at_k_problems(per_problem, list(scores)),
        "ks": sorted(set(ks)),  # the k asked for (--k): shown beside pass@1
        "records": counters["records"],
        "judged": sum(n for n, _ in per_problem.values()),
        "passed": sum(c for _, c in per_problem.values()),
        "problems": len(per_problem),
        "problems_solved": sum(1 for _, c in per_problem.values() if c),
        "problems_undecided": len(undecided),
        "verdicts": dict(sorted(verdicts.items())),
        **{k: counters[k] for k in COUNTERS[1:]},
        "skipped_by_reason": dict(skipped),
        # judged and passed samples per problem: enough to combine files exactly
        "per_problem": {pid: [n, c] for pid, (n, c) in sorted(per_problem.items())},
        # problems with an IE sample, out of pass@k: [judged, passed, IE] samples
        "undecided": undecided,
        "seconds": round(seconds, 3),
    }


def base_body(per_problem: dict[str, tuple[int, int]], ks: tuple[int, ...]) -> dict[str, Any]:
    """EvalPlus's base score beside the base + plus one (the main pass@k): pass@k on the base
    inputs alone, over the same problems (none undecided); nothing without EvalPlus problems."""
    if not per_problem:
        return {}
    return {
        "base": {
            "pass_at_k": pass_at_ks(per_problem, ks),
            "per_problem": {pid: [n, c] for pid, (n, c) in sorted(per_problem.items())},
        }
    }


def combine(parts: list[dict[str, Any]], ks: tuple[int, ...] | None = None) -> dict[str, Any]:
    """The metrics of several files of one checkpoint, as if they were one file (with every
    k of pass@k any of them holds). `ks`: the k asked for (--k) when the parts are shards of
    one check, whose metrics are then the whole check's."""
    samples: dict[str, tuple[int, int, int]] = {}
    verdicts: Counter[str] = Counter()
    skipped: Counter[str] = Counter()
    counters: Counter[str] = Counter()
    for part in parts:
        rows = [(pid, n, c, 0) for pid, (n, c) in part.get("per_problem", {}).items()]
        rows += [(pid, n, c, ie) for pid, (n, c, ie) in part.get("undecided", {}).items()]
        for pid, n, c, ie in rows:
            old = samples.get(pid, (0, 0, 0))
            samples[pid] = (old[0] + n, old[1] + c, old[2] + ie)
        verdicts.update(part.get("verdicts", {}))
        skipped.update(part.get("skipped_by_reason", {}))
        counters.update({k: int(part.get(k, 0)) for k in COUNTERS})
    asked = set(ks) if ks is not None else {int(k) for part in parts for k in part.get("ks") or ()}
    if ks is None:
        ks = tuple(int(k) for part in parts for k in part.get("pass_at_k") or {})
    seconds = sum(float(p.get("seconds", 0)) for p in parts)
    body = _body(samples, verdicts, skipped, counters, seconds, ks)
    base: dict[str, tuple[int, int]] = {}
    for part in parts:
        for pid, (n, c) in ((part.get("base") or {}).get("per_problem") or {}).items():
            if pid in body["per_problem"]:
                judged, passed = base.get(pid, (0, 0))
                base[pid] = (judged + n, passed + c)
    return {**body, "ks": sorted(asked), **base_body(base, ks)}


class Metrics:
    """Accumulates per-solution verdicts by problem; `to_dict` is the metrics file's body."""

    def __init__(self, ks: tuple[int, ...] = ()) -> None:
        self.ks = ks  # the k of pass@k asked for besides the usual ones
        self.verdicts: Counter[str] = Counter()
        self.by_problem: dict[str, list[bool]] = {}
        self.ie_by_problem: Counter[str] = Counter()
        self.base_by_problem: dict[str, list[bool]] = {}  # EvalPlus: passed the base inputs
        self.skipped: Counter[str] = Counter()
        self.records = 0
        self.tests_run = 0
        self.seconds = 0.0
        self.cache_hits = 0
        self.reused = 0  # verdicts kept from the previous check of the same file (--redo-ie)
        self.timing_reruns = 0  # tests run twice because the first verdict hung on timing
        self.timing_flips = 0  # of which the two runs disagreed (the faster counted)
        self.patient_reruns = 0  # tests killed at the wall clock with CPU time to spare, run with more

    def add(self, problem_id: str, verdict: Verdict, tests_run: int, cached: bool = False) -> None:
        self.records += 1
        self.cache_hits += cached
        self.verdicts[verdict.value] += 1
        self.tests_run += tests_run
        if verdict is Verdict.IE:
            # an IE says nothing about the solution, and leaves its problem undecided
            self.ie_by_problem[problem_id] += 1
        else:
            self.by_problem.setdefault(problem_id, []).append(verdict is Verdict.AC)

    def timing(self, tests: list[TestResult]) -> None:
        for t in tests:
            if t.counted is not None:
                self.timing_reruns += 1
                self.timing_flips += bool(t.other_run and t.other_run.get("verdict") != t.verdict.value)
                self.patient_reruns += bool(t.patient)

    def add_base(self, problem_id: str, parts: dict[str, str] | None) -> None:
        """An EvalPlus sample's base verdict (its `parts`), beside its verdict on base + plus."""
        if parts and "base" in parts and parts["base"] != Verdict.IE.value:
            self.base_by_problem.setdefault(problem_id, []).append(parts["base"] == Verdict.AC.value)

    def reuse(self, problem_id: str, line: dict[str, Any]) -> None:
        """A verdict kept from the previous check of this file with these settings."""
        self.add(problem_id, Verdict(line["verdict"]), 0)
        self.add_base(problem_id, line.get("parts"))
        self.reused += 1
        self.timing([TestResult.from_dict(t) for t in line.get("tests") or [] if isinstance(t, dict)])

    def skip(self, reason: str) -> None:
        self.skipped[reason] += 1

    def to_dict(self) -> dict[str, Any]:
        counters = {
            "records": self.records,
            "ie": self.verdicts.get(Verdict.IE.value, 0),
            "skipped_records": sum(self.skipped.values()),
            "tests_run": self.tests_run,
            "cache_hits": self.cache_hits,
            "reused": self.reused,
            "timing_reruns": self.timing_reruns,
            "timing_flips": self.timing_flips,
            "patient_reruns": self.patient_reruns,
        }
        samples = {
            pid: (
                len(self.by_problem.get(pid, [])),
                sum(self.by_problem.get(pid, [])),
                self.ie_by_problem[pid],
            )
            for pid in {*self.by_problem, *self.ie_by_problem}
        }
        body = _body(samples, self.verdicts, self.skipped, counters, self.seconds, self.ks)
        base = {
            pid: (len(v), sum(v)) for pid, v in self.base_by_problem.items() if pid in body["per_problem"]
        }
        return {**body, **base_body(base, self.ks)}
