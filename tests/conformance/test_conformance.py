"""Every case of the corpus through every path: each verdict must be in the case's expected
set, and all paths must give the same verdict (IE only where a path says it cannot judge).

Paths are judged two at a time, each in its own process (as `run` runs checkers side by side:
no verdict may depend on the load that puts on the machine). Each of those processes holds a
few hundred MB of its own (as a checker does that loads a large problems file): no path may
charge that to the programs it runs.
"""

from __future__ import annotations

import json
import multiprocessing
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from batch_eval.batch.plan import FileTask, Unit
from batch_eval.batch.pool import FileOutcome
from batch_eval.batch.ray_engine import disconnect, run_units
from batch_eval.batch.run import RunOptions
from batch_eval.batch.scan import Checkpoint
from batch_eval.batch.shards import merge, shard_stem, shard_task
from batch_eval.config import CheckConfig, problems_digest
from batch_eval.judging import judge as judge_module
from batch_eval.judging.check import check_file
from tests.conformance.cases import CASES, IE, OUTPUT_LIMIT_MB, Case
from tests.conformance.paths import PATHS, REAL_PISTON, SERVER, JudgePath, available
from tests.conformance.redteam_jail import planted
from tests.fake_piston import FakePiston

BALLAST_MB = 400
#: paths judged at once, each in its own process
PARALLEL = 2


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    folder = tmp_path_factory.mktemp("corpus")
    problems = folder / "problems.jsonl"
    problems.write_text("".join(json.dumps(c.problem) + "\n" for c in CASES))
    solutions = folder / "solutions.jsonl"
    solutions.write_text("".join(json.dumps(c.record()) + "\n" for c in CASES))
    with planted(problems):  # the answers findable as in a real run (the red team's cases)
        yield problems, solutions


@pytest.fixture(scope="module")
def piston_url() -> Any:
    if REAL_PISTON:
        yield REAL_PISTON
        return
    with FakePiston(SERVER) as server:
        yield server.url


#: a path's verdicts by case, what went wrong judging it ('' when nothing), and each case's reason
Judged = tuple[dict[str, str], str, dict[str, str]]


def _judge_apart(name: str, problems: Path, url: str, tmp: Path) -> Judged:
    """In a process of its own: hold the ballast, judge path `name`; (its verdicts, what went
    wrong or '', each case's reason as its results line gives it)."""
    block = bytearray(BALLAST_MB << 20)  # touched memory of the judging process itself
    for i in range(0, len(block), 4096):
        block[i] = 1
    path = next(p for p in PATHS if p.name == name)
    if path.rerun_all:
        judge_module.NEAR_LIMIT = 0.0  # this process only
    reasons: dict[str, str] = {}
    try:
        return judge_path(path, problems, url, tmp, reasons), "", reasons
    except AssertionError as err:
        return {}, str(err), reasons


def _wanted(session: pytest.Session) -> set[str]:
    """The paths the session's selected tests need: those whose verdicts are tested, and
    every path when their agreement is."""
    wanted = set()
    for item in session.items:
        if not isinstance(item, pytest.Function):
            continue
        if item.function is test_paths_agree:
            return {p.name for p in PATHS}
        path = item.callspec.params.get("path") if hasattr(item, "callspec") else None
        if item.function is test_every_case_gets_its_verdict and isinstance(path, JudgePath):
            wanted.add(path.name)
    return wanted


@pytest.fixture(scope="module")
def judged(
    request: pytest.FixtureRequest,
    corpus: tuple[Path, Path],
    piston_url: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, Judged]:
    """Every path this machine can take that the selected tests need (`-k fork-jailed`: that
    one), judged PARALLEL at a time, once for every test of the module."""
    wanted = _wanted(request.session)
    runnable = [p for p in PATHS if not available(p) and p.name in wanted]
    context = multiprocessing.get_context("spawn")  # a clean interpreter: no threads, no ballast copied
    with ProcessPoolExecutor(PARALLEL, mp_context=context) as pool:
        futures = {
            p.name: pool.submit(_judge_apart, p.name, corpus[0], piston_url, tmp_path_factory.mktemp(p.name))
            for p in runnable
        }
        return {name: future.result() for name, future in futures.items()}


def judge_path(
    path: JudgePath, problems: Path, url: str, tmp: Path, reasons: dict[str, str] | None = None
) -> dict[str, str]:
    """The verdict of each case on `path` (and into `reasons`, each case's reason)."""
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
    rounds = []
    for n in range(2 if path.warm_cache else 1):
        results = _judged_by(path, config, solutions, url, tmp / f"out{n}")
        rounds.append([json.loads(x) for x in results.read_text().splitlines()])
    lines = rounds[-1]
    verdicts = {line["case"]: _verdict(line) for line in lines}
    if reasons is not None:
        reasons.update({line["case"]: str(line.get("reason") or line.get("error") or "") for line in lines})
    if path.warm_cache:
        cold = {line["case"]: _verdict(line) for line in rounds[0]}
        assert cold == verdicts, f"{path.name}: the warm cache changed verdicts"
        # every verdict from the cache, but those never cached: timeouts, faults and skips
        uncached = ("TLE", "IE", "SKIP")
        assert all(line.get("cached") for line in lines if line["verdict"] not in uncached), path.name
    return verdicts


def _judged_by(path: JudgePath, config: CheckConfig, solutions: Path, url: str, out: Path) -> Path:
    """The results file of one check of `solutions` on `path` (its shards merged)."""
    if not path.shards:
        executor = path.make(url)
        try:
            return check_file(config, solutions, out, executor=executor).results_path
        finally:
            executor.close()
    task = FileTask(Checkpoint("conformance", solutions.parent, None), solutions, out, "solutions")
    if path.ray:
        units = [Unit(0, shard_task(task, k, path.shards), (k, path.shards)) for k in range(path.shards)]
        outcomes: dict[int, FileOutcome] = {}
        try:
            run_units(
                units,
                config,
                RunOptions(out, ray=""),
                config.fingerprint(problems_digest(config)),
                outcomes.__setitem__,
            )
        finally:
            disconnect()
        failed = {j: o.reason for j, o in outcomes.items() if not o.ok}
        assert len(outcomes) == path.shards and not failed, f"{path.name}: {failed}"
    for k in range(path.shards if not path.ray else 0):  # one after another, as `run` starts them
        executor = path.make(url)
        try:
            check_file(
                config,
                solutions,
                out,
                shard_stem("solutions", k, path.shards),
                executor,
                shard=(k, path.shards),
            )
        finally:
            executor.close()
    merge(task, path.shards, config.ks)
    return task.results_path


def _verdict(line: dict[str, Any]) -> str:
    """A line's verdict, with EvalPlus's base verdict when it has one: `WA (base AC)`."""
    parts = line.get("parts")
    return f"{line['verdict']} (base {parts['base']})" if parts else str(line["verdict"])


def _runs(case: Case, path: JudgePath) -> bool:
    if path.languages and case.language not in path.languages:
        return False
    if case.needs_jail and not path.needs_jail:
        return False
    if case.needs_a_user and "open" in path.tags:
        return False
    if path.name in case.skip_paths:
        return False
    return case.every_switch or not path.is_switch


def _allowed(case: Case, path: JudgePath) -> frozenset[str]:
    return frozenset({IE, "SKIP"}) if case.unsupported & path.tags else case.expect


@pytest.mark.parametrize("path", PATHS, ids=[p.name for p in PATHS])
def test_every_case_gets_its_verdict(path: JudgePath, judged: dict[str, Judged]) -> None:
    why = available(path)
    if why:
        pytest.skip(why)
    verdicts, error, reasons = judged[path.name]
    assert not error, error
    # each wrong verdict with the reason its results line gives (an IE says what failed)
    wrong = {
        case.name: f"{verdicts.get(case.name)} (expected {'/'.join(sorted(_allowed(case, path)))})"
        + (f": {reasons[case.name]}" if reasons.get(case.name) else "")
        for case in CASES
        if _runs(case, path) and verdicts.get(case.name) not in _allowed(case, path)
    }
    assert not wrong, f"{path.name}: {json.dumps(wrong, indent=1)}"


def test_paths_agree(judged: dict[str, Judged]) -> None:
    """One verdict per case across every path that judged it (run alone too: the paths are
    judged for it; a path that failed to judge is test_every_case_gets_its_verdict's failure)."""
    by_path = {p.name: p for p in PATHS}
    finished = {name: verdicts for name, (verdicts, error, _) in judged.items() if not error}
    if len(finished) < 2:
        pytest.skip(f"fewer than two paths judged: {sorted(finished)}")
    disagree = {}
    for case in CASES:
        seen = {
            name: verdicts.get(case.name)
            for name, verdicts in finished.items()
            if not (case.unsupported & by_path[name].tags) and _runs(case, by_path[name])
        }
        if len(set(seen.values())) > 1:
            disagree[case.name] = seen
    assert not disagree, json.dumps(disagree, indent=1)
