from math import comb

import pytest

from batch_eval.metrics import Metrics, pass_at_k
from batch_eval.verdict import Verdict


def test_pass_at_k_is_the_unbiased_estimator() -> None:
    assert pass_at_k(10, 0, 1) == 0.0
    assert pass_at_k(10, 3, 1) == pytest.approx(0.3)
    assert pass_at_k(10, 3, 5) == pytest.approx(1 - comb(7, 5) / comb(10, 5))
    assert pass_at_k(5, 4, 2) == 1.0


def test_metrics_give_pass_at_every_k_the_data_allows_and_exclude_ie() -> None:
    m = Metrics()
    for v in (Verdict.AC, Verdict.WA, Verdict.WA):
        m.add("a", v, 1)
    for v in (Verdict.WA, Verdict.TLE, Verdict.IE):
        m.add("b", v, 1)
    d = m.to_dict()
    # problem b has two judged samples, so k goes up to 2
    assert set(d["pass_at_k"]) == {"1", "2"}
    assert d["pass_at_k"]["1"] == pytest.approx((1 / 3 + 0) / 2, abs=1e-6)
    assert d["ie"] == 1 and d["judged"] == 5 and d["records"] == 6
    assert d["verdicts"] == {"AC": 1, "IE": 1, "TLE": 1, "WA": 3}
