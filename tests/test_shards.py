"""One big solutions file on every core: `run` judges it in record shards side by side and
merges them into the results and metrics one whole check writes (resumable per shard)."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

from click.testing import CliRunner

from batch_eval.cli import cli
from batch_eval.reporting.status import running_files
from tests.conftest import (
    RIGHT,
    SLOW,
    SUM_PROBLEM,
    WRONG,
    counts_of,
    humaneval_run,
    read_jsonl,
    run_argv,
    verdicts_of,
    write_jsonl,
)


def test_one_file_on_two_workers_is_judged_in_shards_with_the_whole_check_s_results(tmp_path: Path) -> None:
    sols, problems = humaneval_run(tmp_path, 40)
    whole, sharded = tmp_path / "whole", tmp_path / "sharded"
    dry = subprocess.run(
        [*run_argv(sols, problems, sharded, "--dry-run", workers=2)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "check (new) in 2 shards" in dry.stdout
    subprocess.run([*run_argv(sols, problems, whole, "--no-cache", workers=1)], check=True)
    subprocess.run([*run_argv(sols, problems, sharded, "--no-cache", workers=2)], check=True)
    one, two = whole / "eval_checkpoint_7", sharded / "eval_checkpoint_7"
    assert json.loads((two / "solutions.metrics.json").read_text())["shards"] == 2
    assert "shards" not in json.loads((one / "solutions.metrics.json").read_text())
    # the same lines in the same record order, with the same verdicts and counts
    assert verdicts_of(two / "solutions.results.jsonl") == verdicts_of(one / "solutions.results.jsonl")
    assert counts_of(two / "solutions.metrics.json") == counts_of(one / "solutions.metrics.json")
    assert sorted(p.name for p in two.iterdir()) == ["solutions.metrics.json", "solutions.results.jsonl"]
    summary = json.loads((sharded / "batch_eval_results.json").read_text())
    assert summary["totals"]["ok"] == 1 and summary["status"] == "finished"
    # done is done: a rerun judges nothing, sharded or not
    again = subprocess.run(
        [*run_argv(sols, problems, sharded, "--dry-run", "--json", workers=2)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(again.stdout)["todo"] == 0


def test_a_shard_an_earlier_run_finished_is_merged_not_judged_again(tmp_path: Path) -> None:
    problems = write_jsonl(tmp_path / "problems.jsonl", [SUM_PROBLEM])
    sols = tmp_path / "sols"
    codes = [RIGHT, WRONG, "print(input())"] * 12
    solutions = write_jsonl(
        sols / "checkpoint-3" / "solutions.jsonl",
        [{"id": "1/A", "code": c, "n": i} for i, c in enumerate(codes)],
    )
    out = tmp_path / "out"
    folder = out / "eval_checkpoint_3"
    # as a run killed after shard 1 of 2 finished: its results and metrics are there
    base = [str(solutions), "--problems", str(problems), "-o", str(folder), "-q", "--no-cache"]
    result = CliRunner().invoke(cli, ["check", *base, "--stem", "solutions.shard-1-of-2", "--shard", "1/2"])
    assert result.exit_code == 0, result.output
    shard = folder / "solutions.shard-1-of-2.results.jsonl"
    judged = read_jsonl(shard)
    assert [line["n"] for line in judged] == list(range(0, 36, 2))
    # marked, to tell its lines from lines judged again
    write_jsonl(shard, [{**line, "from_shard_1": True} for line in judged])
    subprocess.run([*run_argv(sols, problems, out, "--no-cache", workers=1)], check=True)
    lines = read_jsonl(folder / "solutions.results.jsonl")
    assert [line["n"] for line in lines] == list(range(36))
    assert [bool(line.get("from_shard_1")) for line in lines] == [i % 2 == 0 for i in range(36)]
    assert [line["verdict"] for line in lines] == ["AC", "WA", "WA"] * 12
    metrics = json.loads((folder / "solutions.metrics.json").read_text())
    assert (metrics["shards"], metrics["records"], metrics["pass_at_k"]["1"]) == (2, 36, round(12 / 36, 6))
    assert not list(folder.glob("*shard*")) and not list(folder.glob(".*journal*"))


def test_a_sharded_run_killed_part_way_resumes_each_shard_where_it_stood(tmp_path: Path) -> None:
    problems = write_jsonl(tmp_path / "problems.jsonl", [SUM_PROBLEM])
    sols = tmp_path / "sols"
    codes = [SLOW, WRONG, SLOW + "\n# b", RIGHT] * 10  # distinct programs: no cache hits
    write_jsonl(
        sols / "checkpoint-5" / "solutions.jsonl",
        [{"id": "1/A", "code": c, "n": i} for i, c in enumerate(codes)],
    )
    clean, killed = tmp_path / "clean", tmp_path / "killed"
    subprocess.run([*run_argv(sols, problems, clean, "--no-cache", workers=1)], check=True)
    args = run_argv(sols, problems, killed, "--no-cache", workers=2)
    proc = subprocess.Popen(args, start_new_session=True)
    folder = killed / "eval_checkpoint_5"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and sum(_journal_lines(folder)) < 6:
        time.sleep(0.05)
    proc.kill()  # the run alone; its checkers die with it
    proc.wait()
    time.sleep(0.5)
    assert sum(_journal_lines(folder)) >= 6, "no shard had judged anything"
    rerun = subprocess.run(args, capture_output=True, text=True, check=False)
    assert rerun.returncode == 0, rerun.stderr
    lines = read_jsonl(folder / "solutions.results.jsonl")
    assert [line["n"] for line in lines] == list(range(40))  # nothing lost, nothing twice
    assert verdicts_of(folder / "solutions.results.jsonl") == verdicts_of(
        clean / "eval_checkpoint_5" / "solutions.results.jsonl"
    )
    metrics = json.loads((folder / "solutions.metrics.json").read_text())
    assert metrics["reused"] >= 6  # taken from the shards' journals, not judged again
    assert counts_of(folder / "solutions.metrics.json") == {
        **counts_of(clean / "eval_checkpoint_5" / "solutions.metrics.json"),
        "tests_run": metrics["tests_run"],  # records resumed from a journal ran no test this time
    }


def _journal_lines(folder: Path) -> list[int]:
    """Records judged so far by each shard (its journal's lines but the header)."""
    try:
        return [
            max(len(p.read_text().splitlines()) - 1, 0)
            for p in folder.glob(".solutions.shard-*.journal.jsonl")
        ]
    except OSError:
        return [0]


def test_status_counts_a_sharded_file_s_records_across_its_shards(tmp_path: Path) -> None:
    out, folder = tmp_path / "out", tmp_path / "out" / "eval_checkpoint_1"
    registry = out / ".batch_eval" / "running"
    registry.mkdir(parents=True)
    folder.mkdir(parents=True)
    # shard 1 of 3 finished (5 records), shard 2 half way (2 written), shard 3 just started
    write_jsonl(folder / "s.shard-1-of-3.results.jsonl", [{"line": i} for i in range(5)])
    write_jsonl(folder / ".s.shard-2-of-3.results.jsonl.abc.tmp", [{"line": i} for i in range(2)])
    for k, pid in ((2, 101), (3, 102)):
        argv = [
            "python",
            "check",
            "/data/s.jsonl",
            "-o",
            str(folder),
            "--stem",
            f"s.shard-{k}-of-3",
            "--shard",
            f"{k}/3",
        ]
        (registry / str(pid)).write_text(json.dumps({"argv": argv}))
    assert running_files(out) == {"/data/s.jsonl": {"records_done": 7, "records_cached": 0, "shards": 3}}


def test_a_sharded_file_s_metrics_still_say_which_problems_lacked_their_generated_tests(
    tmp_path: Path,
) -> None:
    """open-r1's `generated_tests` count says tests exist that this run was not given: each shard
    says so, and the merged metrics keep it (as one whole check's would)."""
    problems = write_jsonl(tmp_path / "p.jsonl", [{**SUM_PROBLEM, "generated_tests": 5}])
    sols = tmp_path / "sols"
    write_jsonl(sols / "checkpoint-7" / "solutions.jsonl", [{"id": "1/A", "code": RIGHT}] * 32)
    subprocess.run([*run_argv(sols, problems, tmp_path / "o", "--no-cache", workers=2)], check=True)
    metrics = json.loads((tmp_path / "o" / "eval_checkpoint_7" / "solutions.metrics.json").read_text())
    assert metrics["shards"] == 2 and metrics["generated_tests_not_given"] == ["1/A"]
