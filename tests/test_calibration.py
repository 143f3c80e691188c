"""The judge's speed figure (`--time-multiplier auto`): measured once per judge and node and
remembered in the cache folder, not measured again by each check."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from batch_eval.config import CheckConfig
from batch_eval.judging import calibrate
from batch_eval.judging.check import check_file
from tests.conftest import SUM_PROBLEM, write_jsonl


def _figure(tmp: Path, name: str, cache: Path) -> float | None:
    problems = write_jsonl(tmp / "p.jsonl", [SUM_PROBLEM])
    sols = write_jsonl(tmp / f"{name}.jsonl", [{"id": "1/A", "code": "print(3)"}])
    result = check_file(CheckConfig(problems=problems, cache_dir=cache), sols, tmp / name)
    figure: float | None = result.metrics["environment"]["calibration"]["benchmark_s"]
    return figure


def _edit(memo_path: Path, figure: float | None, age_s: float) -> None:
    """Give every remembered entry this figure, measured `age_s` ago."""
    memo = json.loads(memo_path.read_text())
    memo_path.write_text(json.dumps({k: [figure, time.time() - age_s] for k in memo}))


def test_the_speed_figure_is_measured_once_per_node_and_remembered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    first = _figure(tmp_path, "a", cache)
    assert first is not None and 0.01 < first < 10
    memo_path = cache / "calibration.json"
    (key,) = json.loads(memo_path.read_text())
    assert calibrate.node() in key  # keyed by CPU model, kernel and architecture too
    # a day later the same node takes the remembered figure: a planted one proves it was not
    # measured again
    _edit(memo_path, 0.4321, age_s=86400)
    assert _figure(tmp_path, "b", cache) == 0.4321
    # another node (a new kernel, another CPU model) measures its own
    monkeypatch.setattr(calibrate, "node", lambda: "Another CPU|6.9.0|x86_64|v2")
    other = _figure(tmp_path, "c", cache)
    assert other is not None and other != 0.4321
    assert len(json.loads(memo_path.read_text())) == 2
    # a failure to measure is not remembered for good: tried again after RETRY_S
    _edit(memo_path, None, age_s=calibrate.RETRY_S / 2)
    assert _figure(tmp_path, "d", cache) is None
    _edit(memo_path, None, age_s=calibrate.RETRY_S + 1)
    again = _figure(tmp_path, "e", cache)
    assert again is not None and 0.01 < again < 10
