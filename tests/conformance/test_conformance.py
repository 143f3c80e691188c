"""Every case of the corpus through every path: each verdict must be in the case's expected
set, and all paths must give the same verdict (IE only where a path says it cannot judge).

The checker process here holds a few hundred MB of its own (as one does that loads a large
problems file): no path may charge that to the programs it runs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from batch_eval.config import CheckConfig
from batch_eval.judging import judge as judge_module
from batch_eval.judging.check import check_file
from tests.conformance.cases import CASES, IE, OUTPUT_LIMIT_MB, Case
from tests.conformance.paths import PATHS, REAL_PISTON, JudgePath, available
from tests.fake_piston import FakePiston, FakePistonConfig

BALLAST_MB = 400
_verdicts: dict[str, dict[str, str]] = {}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("corpus")
    problems = folder / "problems.jsonl"
    problems.write_text("".join(json.dumps(c.problem) + "\n" for c in CASES))
    solutions = folder / "solutions.jsonl"
    solutions.write_text("".join(json.dumps(c.record()) + "\n" for c in CASES))
    return problems, solutions


@pytest.fixture(scope="module")
def piston_url() -> Any:
    if REAL_PISTON:
        yield REAL_PISTON
        return
    with FakePiston(
        FakePistonConfig(body_limit=50_000_000, output_max=64 << 20, max_file_size=64 << 20)
    ) as server:
        yield server.url


@pytest.fixture(scope="module")
def ballast() -> Any:
    """Touched memory of the judging process itself."""
    block = bytearray(BALLAST_MB << 20)
    for i in range(0, len(block), 4096):
        block[i] = 1
    yield block


def judge_path(
    path: JudgePath, corpus: tuple[Path, Path], url: str, tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    if path.name in _verdicts:
        return _verdicts[path.name]
    problems, _ = corpus
    solutions = tmp / "solutions.jsonl"
    solutions.write_text("".join(json.dumps(c.record()) + "\n" for c in CASES if _runs(c, path)))
    config = CheckConfig(
        problems=problems,
        executor="piston" if "piston" in path.tags else "local",
        time_limit=1.0,
        memory_limit=128,
        output_limit_mb=OUTPUT_LIMIT_MB,
        cache=path.warm_cache,
        cache_dir=tmp / "cache",
        **path.options,
    )
    if path.rerun_all:
        monkeypatch.setattr(judge_module, "NEAR_LIMIT", 0.0)
    rounds = []
    for n in range(2 if path.warm_cache else 1):
        executor = path.make(url)
        try:
            outcome = check_file(config, solutions, tmp / f"out{n}", executor=executor)
        finally:
            executor.close()
        rounds.append([json.loads(x) for x in outcome.results_path.read_text().splitlines()])
    lines = rounds[-1]
    verdicts = {line["case"]: _verdict(line) for line in lines}
    if path.warm_cache:
        cold = {line["case"]: _verdict(line) for line in rounds[0]}
        assert cold == verdicts, f"{path.name}: the warm cache changed verdicts"
        assert all(line.get("cached") for line in lines if line["verdict"] not in ("TLE", "IE")), path.name
    _verdicts[path.name] = verdicts
    return verdicts


def _verdict(line: dict[str, Any]) -> str:
    """A line's verdict, with EvalPlus's base verdict when it has one: `WA (base AC)`."""
    parts = line.get("parts")
    return f"{line['verdict']} (base {parts['base']})" if parts else str(line["verdict"])


def _runs(case: Case, path: JudgePath) -> bool:
    return case.every_switch or not path.is_switch


def _allowed(case: Case, path: JudgePath) -> frozenset[str]:
    return frozenset({IE}) if case.unsupported & path.tags else case.expect


@pytest.mark.parametrize("path", PATHS, ids=[p.name for p in PATHS])
def test_every_case_gets_its_verdict(
    path: JudgePath,
    corpus: tuple[Path, Path],
    piston_url: str,
    ballast: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    why = available(path)
    if why:
        pytest.skip(why)
    verdicts = judge_path(path, corpus, piston_url, tmp_path, monkeypatch)
    wrong = {
        case.name: f"{verdicts.get(case.name)} (expected {'/'.join(sorted(_allowed(case, path)))})"
        for case in CASES
        if _runs(case, path) and verdicts.get(case.name) not in _allowed(case, path)
    }
    assert not wrong, f"{path.name}: {json.dumps(wrong, indent=1)}"


def test_paths_agree() -> None:
    """Run after the paths: one verdict per case across every path that judged it."""
    if len(_verdicts) < 2:
        pytest.skip("fewer than two paths ran")
    by_path = {p.name: p for p in PATHS}
    disagree = {}
    for case in CASES:
        seen = {
            name: verdicts.get(case.name)
            for name, verdicts in _verdicts.items()
            if not (case.unsupported & by_path[name].tags) and _runs(case, by_path[name])
        }
        if len(set(seen.values())) > 1:
            disagree[case.name] = seen
    assert not disagree, json.dumps(disagree, indent=1)
