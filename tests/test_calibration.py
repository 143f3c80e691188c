"""The judge's speed figure (`--time-multiplier auto`): measured once per judge and node and
remembered in the cache folder, not measured again by each check."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

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


def test_auto_scale_is_shown_in_the_summary_line_and_1_gives_raw_limits(tmp_path: Path) -> None:
    problems = write_jsonl(tmp_path / "p.jsonl", [SUM_PROBLEM])  # time limit 1 s
    sols = write_jsonl(tmp_path / "s.jsonl", [{"id": "1/A", "code": "print(3)"}])
    cache = tmp_path / "cache"

    def check(out: str, multiplier: str) -> tuple[str, dict[str, Any]]:
        argv = [sys.executable, "-m", "batch_eval", "check", str(sols), "-p", str(problems)]
        argv += ["-o", str(tmp_path / out), "--cache-dir", str(cache), "--time-multiplier", multiplier]
        done = subprocess.run(argv, capture_output=True, text=True, check=True)
        return done.stderr, json.loads((tmp_path / out / "s.results.jsonl").read_text())

    raw, line = check("raw", "1")
    assert "time limits x" not in raw and line["limits"]["time_s"] == 1.0
    # this node remembered as twice as slow as the reference judge: auto doubles the limits
    _edit(cache / "calibration.json", 2 * calibrate.REFERENCE_S, age_s=0)
    auto, line = check("auto", "auto")
    assert "time limits x2.00 (auto)" in auto and line["limits"]["time_s"] == 2.0
    raw, line = check("raw-again", "1")
    assert "time limits x" not in raw and line["limits"]["time_s"] == 1.0


def test_a_remembered_entry_of_the_wrong_types_is_measured_again_not_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A calibration.json edited by hand or written by another version (valid JSON, but this
    node's entry holds strings or an impossible figure) is measured again, not a crash. (The
    measurement itself is the other tests' subject: here each one is counted and gives 0.3.)"""
    measured: list[None] = []

    def measure(executor: Any) -> float:
        measured.append(None)
        return 0.3

    monkeypatch.setattr(calibrate, "calibrate", measure)
    memo_path = tmp_path / "calibration.json"
    key = f"judge|{calibrate.node()}"
    for entry in (["fast", 0], [None, "yesterday"], [-1.0, 0], [True, 0], [float("nan"), 0]):
        memo_path.write_text(json.dumps({key: entry, "other": [1, None]}))
        assert calibrate.remembered(tmp_path, "judge", None) == 0.3, entry  # type: ignore[arg-type]
        assert json.loads(memo_path.read_text()) == {key: [0.3, pytest.approx(time.time(), abs=60)]}
    assert len(measured) == 5
    assert calibrate.remembered(tmp_path, "judge", None) == 0.3  # type: ignore[arg-type]
    assert len(measured) == 5  # the entry it wrote is taken
