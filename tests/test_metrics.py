from math import comb

import pytest

from batch_eval.judging.metrics import Metrics, combine, pass_at_k
from batch_eval.verdict import Verdict


def test_pass_at_k_is_the_unbiased_estimator() -> None:
    assert pass_at_k(10, 0, 1) == 0.0
    assert pass_at_k(10, 3, 1) == pytest.approx(0.3)
    assert pass_at_k(10, 3, 5) == pytest.approx(1 - comb(7, 5) / comb(10, 5))
    assert pass_at_k(5, 4, 2) == 1.0


def test_metrics_give_pass_at_every_k_the_data_allows() -> None:
    m = Metrics()
    for v in (Verdict.AC, Verdict.WA, Verdict.WA):
        m.add("a", v, 1)
    for v in (Verdict.WA, Verdict.TLE):
        m.add("b", v, 1)
    d = m.to_dict()
    # problem b has two judged samples, so k goes up to 2
    assert set(d["pass_at_k"]) == {"1", "2"}
    assert d["pass_at_k"]["1"] == pytest.approx((1 / 3 + 0) / 2, abs=1e-6)
    assert d["judged"] == 5 and d["records"] == 5
    assert d["verdicts"] == {"AC": 1, "TLE": 1, "WA": 3}


def test_a_problem_with_an_ie_sample_is_undecided_not_scored() -> None:
    # 3 right and 3 wrong samples; the right ones reach a test where the infrastructure fails
    m = Metrics()
    for v in (Verdict.AC, Verdict.AC, Verdict.IE, Verdict.WA, Verdict.WA, Verdict.WA):
        m.add("p", v, 1)
    for v in (Verdict.AC, Verdict.WA):
        m.add("q", v, 1)
    d = m.to_dict()
    # p is neither 2/5 (its IE dropped) nor counted: only q decides pass@k
    assert d["pass_at_k"] == {"1": 0.5, "2": 1.0}
    assert d["undecided"] == {"p": [5, 2, 1]} and d["problems_undecided"] == 1
    assert d["problems"] == 1 and d["ie"] == 1 and d["records"] == 8
    # combining files keeps it undecided, even where another file judged it cleanly
    other = Metrics()
    other.add("p", Verdict.AC, 1)
    both = combine([d, other.to_dict()])
    assert both["undecided"] == {"p": [6, 3, 1]} and both["pass_at_k"] == {"1": 0.5, "2": 1.0}


def test_a_problem_with_fewer_than_k_samples_is_left_out_of_that_k_never_capping_it() -> None:
    # LiveCodeBench-style files: problem a has 10 samples (3 right), b only 2 (both wrong)
    m = Metrics(ks=(3,))
    for i in range(10):
        m.add("a", Verdict.AC if i < 3 else Verdict.WA, 1)
    for _ in range(2):
        m.add("b", Verdict.WA, 1)
    d = m.to_dict()
    # every k up to 2 is over both problems; 3 (asked), 5 and 10 (the usual ones) over a alone
    assert set(d["pass_at_k"]) == {"1", "2", "3", "5", "10"}
    assert d["pass_at_k"]["1"] == pytest.approx((0.3 + 0) / 2, abs=1e-6)
    assert d["pass_at_k"]["5"] == pytest.approx(pass_at_k(10, 3, 5), abs=1e-6)
    assert d["pass_at_k_problems"] == {"3": 1, "5": 1, "10": 1} and d["ks"] == [3]
    # a checkpoint's files combined: every k a file holds, over the problems that have it
    other = Metrics()
    other.add("c", Verdict.AC, 1)
    both = combine([d, other.to_dict()])
    assert set(both["pass_at_k"]) == {"1", "2", "3", "5", "10"} and both["ks"] == [3]
    assert both["pass_at_k_problems"] == {"2": 2, "3": 1, "5": 1, "10": 1}
    assert both["pass_at_k"]["1"] == pytest.approx((0.3 + 0 + 1) / 3, abs=1e-6)


def test_skip_reasons_are_counted_by_kind_not_by_problem() -> None:
    """`skipped_by_reason` in the metrics: the skip lines of many problems are one kind each."""
    from batch_eval.judging.check import _reason_kind

    reasons = [
        "problem 1/A is interactive and has no interactor: not judged",
        "problem 2/B is interactive and has no interactor: not judged",
        "unknown problem id '1/A' (did you mean '1A'?)",
        "unknown problem id '7/C'",
    ]
    assert {_reason_kind(r) for r in reasons} == {
        "problem is interactive and has no interactor",
        "unknown problem id",
    }
