"""EvalPlus problems (HumanEval+ / MBPP+ records: base and plus inputs, the canonical solution,
atol): each sample judged on the base inputs, then the plus inputs, its values compared with
the canonical solution's as EvalPlus compares them; base and base + plus scores reported."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from batch_eval.api import check_file
from batch_eval.reporting.display import summary_line
from tests.conftest import write_jsonl

#: the base inputs are those of HumanEval's own tests; the plus inputs are larger or harder
INPUTS: dict[str, tuple[list[Any], list[Any], float]] = {
    "HumanEval/13": ([[3, 7], [10, 15], [49, 14], [144, 60]], [[3 * 2**40, 5 * 2**41], [10**18, 10**12]], 0),
    "HumanEval/4": (
        [[[1.0, 2.0, 3.0]], [[1.0, 2.0, 3.0, 4.0]], [[1.0, 2.0, 3.0, 4.0, 5.0]]],
        [[[0.1 * i for i in range(1000)]], [[1e9, -1e-9, 3.5]]],
        0,
    ),
    # find_zero: any root within atol (HumanEval's own test allows 1e-4 on 100 random polynomials)
    "HumanEval/32": ([[[1, 2]], [[-6, 11, -6, 1]]], [[[-10, -2]], [[8, 3, -5, 1]], [[1, 5, 9, 7]]], 1e-4),
}


def evalplus(problem: dict[str, Any]) -> dict[str, Any]:
    """A HumanEval problem as HumanEval+ ships it (no `test` run: the inputs are the tests)."""
    base, plus, atol = INPUTS[problem["task_id"]]
    keep = ("task_id", "prompt", "entry_point", "canonical_solution", "test")
    return {
        **{k: problem[k] for k in keep},
        "contract": "",
        "base_input": base,
        "plus_input": plus,
        "atol": atol,
    }


@pytest.fixture(scope="module")
def humaneval(data_dir: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    folder = data_dir / "humaneval"
    problems = [json.loads(x) for x in (folder / "problems.jsonl").read_text().splitlines()]
    chosen = [p for p in problems if p["task_id"] in INPUTS]
    lines = (folder / "checkpoints" / "gpt-4" / "solutions.jsonl").read_text().splitlines()
    return chosen, [r for r in map(json.loads, lines) if r["id"] in INPUTS]


def test_evalplus_judges_base_then_plus_as_evalplus_compares(
    humaneval: tuple[list[dict[str, Any]], list[dict[str, Any]]], tmp_path: Path
) -> None:
    problems, real = humaneval
    made = [
        # right on the small inputs only: base AC, plus WA
        (
            "HumanEval/13",
            "import math\ndef greatest_common_divisor(a, b):\n"
            "    return 1 if a > 10**6 else math.gcd(a, b)\n",
            "AC",
            "WA",
        ),
        # summed in another order, sorting its own argument: within EvalPlus's 1e-6 for floats
        (
            "HumanEval/4",
            "def mean_absolute_deviation(numbers):\n    numbers.sort(reverse=True)\n"
            "    m = sum(numbers) / len(numbers)\n"
            "    return sum(abs(m - x) for x in reversed(numbers)) / len(numbers)\n",
            "AC",
            "AC",
        ),
        (
            "HumanEval/4",
            "def mean_absolute_deviation(numbers):\n    return 1.001 if len(numbers) == 4 else 0.5\n",
            "WA",
            "SKIP",
        ),
        # another root than the canonical solution's is as good (EvalPlus's find_zero oracle)
        (
            "HumanEval/32",
            "def find_zero(xs):\n    x = 3.0\n    for _ in range(200):\n"
            "        f = sum(c * x**i for i, c in enumerate(xs))\n"
            "        d = sum(i * c * x**(i - 1) for i, c in enumerate(xs) if i)\n"
            "        x = x - f / d if d else x + 1\n    return x\n",
            "AC",
            "AC",
        ),
        ("HumanEval/32", "def find_zero(xs):\n    return 0.0\n", "WA", "SKIP"),
    ]
    records = real + [{"id": pid, "code": code} for pid, code, _, _ in made]
    sols = write_jsonl(tmp_path / "s.jsonl", records)
    plus = write_jsonl(tmp_path / "plus.jsonl", [evalplus(p) for p in problems])
    ours = write_jsonl(tmp_path / "humaneval.jsonl", problems)
    outcome = check_file(sols, plus, tmp_path / "plus", cache=False, progress=False)
    lines = [json.loads(x) for x in outcome.results_path.read_text().splitlines()]
    assert [(x["parts"]["base"], x["parts"]["plus"]) for x in lines[len(real) :]] == [
        (base, plus) for _, _, base, plus in made
    ]
    assert [x["verdict"] for x in lines[len(real) :]] == ["WA", "AC", "WA", "AC", "WA"]
    assert "plus input 1: returned 1, expected" in lines[len(real)]["reason"]
    # where HumanEval's own tests are the base inputs, the real samples' base verdicts are theirs
    humaneval_outcome = check_file(sols, ours, tmp_path / "ours", cache=False, progress=False)
    own = [json.loads(x)["verdict"] for x in humaneval_outcome.results_path.read_text().splitlines()]
    same = [i for i, r in enumerate(real) if r["id"] in ("HumanEval/13", "HumanEval/4")]
    assert len(same) == 20
    assert [lines[i]["parts"]["base"] == "AC" for i in same] == [own[i] == "AC" for i in same]
    # the scores: pass@1 on base + plus, base pass@1 beside it, each over the same samples
    m = outcome.metrics
    assert m["judged"] == len(records) and m["base"]["per_problem"].keys() == m["per_problem"].keys()
    base_passed = sum(x["parts"]["base"] == "AC" for x in lines)
    assert sum(c for _, c in m["base"]["per_problem"].values()) == base_passed
    assert m["passed"] == sum(x["verdict"] == "AC" for x in lines) < base_passed
    assert f"base pass@1 {m['base']['pass_at_k']['1']:.3f}" in summary_line(sols, m)


def test_a_cached_or_kept_evalplus_verdict_keeps_its_base_score(
    humaneval: tuple[list[dict[str, Any]], list[dict[str, Any]]], tmp_path: Path
) -> None:
    problems, real = humaneval
    sols = write_jsonl(tmp_path / "s.jsonl", real[:6])
    plus = write_jsonl(tmp_path / "plus.jsonl", [evalplus(p) for p in problems])
    cold = check_file(sols, plus, tmp_path / "a", progress=False, cache_dir=tmp_path / "cache")
    warm = check_file(sols, plus, tmp_path / "b", progress=False, cache_dir=tmp_path / "cache")
    assert warm.metrics["cache_hits"] == 6 and warm.metrics["base"] == cold.metrics["base"]
    assert cold.metrics["base"]["per_problem"]
