"""Statistics for comparing checkpoints: intervals for pass@1 and a paired test between two.

- pass@1 interval: a percentile bootstrap over problems (problems are the unit that was
  sampled; samples of one problem are not independent), 2,000 resamples, fixed seed.
- Comparison: a paired sign-flip permutation test over problems on the difference of
  per-problem pass rates (B - A), two-sided; exact when at most 16 problems differ, else
  20,000 random sign flips with a fixed seed. With one sample per problem this is the exact
  McNemar (sign) test on the discordant problems.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Sequence

BOOTSTRAP_RESAMPLES = 2000
EXACT_UP_TO = 16
PERMUTATIONS = 20000
SEED = 20250611
METHOD = "paired sign-flip permutation test over problems (two-sided)"


def bootstrap_interval(rates: Sequence[float], level: float = 0.95, seed: int = SEED) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean of per-problem pass rates."""
    n = len(rates)
    if n == 0:
        return (0.0, 0.0)
    if n == 1 or min(rates) == max(rates):
        return (rates[0], rates[0]) if n == 1 else (min(rates), min(rates))
    rng = random.Random(seed)
    means = sorted(sum(rng.choices(rates, k=n)) / n for _ in range(BOOTSTRAP_RESAMPLES))
    lo = means[int((1 - level) / 2 * BOOTSTRAP_RESAMPLES)]
    hi = means[min(BOOTSTRAP_RESAMPLES - 1, int((1 + level) / 2 * BOOTSTRAP_RESAMPLES))]
    return (round(lo, 6), round(hi, 6))


def paired_p_value(diffs: Sequence[float], seed: int = SEED) -> float:
    """Two-sided p-value that the mean paired difference is 0 (sign flips of the diffs)."""
    nonzero = [d for d in diffs if abs(d) > 1e-12]
    if not nonzero:
        return 1.0
    observed = abs(sum(nonzero))
    if len(nonzero) <= EXACT_UP_TO:
        total = hits = 0
        for signs in itertools.product((1, -1), repeat=len(nonzero)):
            total += 1
            hits += abs(sum(s * d for s, d in zip(signs, nonzero))) >= observed - 1e-12
        return hits / total
    rng = random.Random(seed)
    hits = sum(
        abs(sum(d if rng.random() < 0.5 else -d for d in nonzero)) >= observed - 1e-12
        for _ in range(PERMUTATIONS)
    )
    return (hits + 1) / (PERMUTATIONS + 1)


def pass_at_k_scores(per_problem: dict[str, tuple[int, int]], k: int) -> list[float]:
    """Each problem's pass@k (the unbiased estimator) over the problems with at least k
    samples: a problem with fewer says nothing about pass@k, it is left out, never capping k."""
    from batch_eval.judging.metrics import pass_at_k

    return [pass_at_k(n, c, k) for n, c in per_problem.values() if n >= k]


def pass_at_k_mean(per_problem: dict[str, tuple[int, int]], k: int) -> tuple[float | None, int]:
    """pass@k averaged over the problems with at least k samples, and how many there were."""
    scores = pass_at_k_scores(per_problem, k)
    return (round(sum(scores) / len(scores), 6) if scores else None), len(scores)


def pass_at_k_estimate(
    per_problem: dict[str, tuple[int, int]], k: int, level: float = 0.95
) -> tuple[float | None, tuple[float, float], int]:
    """pass_at_k_mean with its bootstrap interval over the same problems."""
    scores = pass_at_k_scores(per_problem, k)
    if not scores:
        return None, (0.0, 0.0), 0
    return round(sum(scores) / len(scores), 6), bootstrap_interval(scores, level), len(scores)
