"""The fidelity suite without the runners: each benchmark's sample files (tests/fidelity/)
judged by batch-eval give the pass/fail its official runner gave when scripts/fidelity.py
recorded it (official.jsonl), or, for benchmarks whose runner cannot run here, the verdict
each sample was written to get. The disagreements known today are listed with their cause
in tests/fidelity/known.json; one that goes away, or a new one, fails the test."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "fidelity.py"
KNOWN = Path(__file__).resolve().parent / "fidelity" / "known.json"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("fidelity_script", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


fidelity = _script()


@pytest.mark.parametrize("bench", fidelity.BENCHMARKS, ids=lambda b: b.name)
def test_batch_eval_agrees_with_the_benchmark_s_runner(bench: Any, tmp_path: Path) -> None:
    # a tenth of every time limit: only the TLE samples come near it, and each loops for
    # minutes or forever (recorded under the default limits by the script)
    mine = fidelity.ours(bench, tmp_path, sys.executable, "--time-multiplier", "0.1")
    theirs = None
    if bench.runner != "intended":
        recorded = fidelity.SAMPLES / bench.folder / "official.jsonl"
        theirs = {r["key"]: r for r in fidelity.read_jsonl(recorded)}
        assert set(theirs) == set(mine), (
            "samples and recorded verdicts differ: run scripts/fidelity.py --record"
        )
    rows = fidelity.compare(bench, mine, theirs)
    known = json.loads(KNOWN.read_text())
    mine_keys = {r["key"] for r in rows}
    expected = {k for k in known if k in mine_keys}
    differ = {r["key"]: (r["ours"], r["reason"], r["official"]) for r in rows if not r["agree"]}
    assert set(differ) == expected, (
        f"new disagreements: {[differ[k] for k in set(differ) - expected]}; "
        f"now agreeing (drop them from known.json): {sorted(expected - set(differ))}"
    )
