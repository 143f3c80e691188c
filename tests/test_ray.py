"""`run --ray`: the run's checks as tasks on a (local) Ray cluster, written back by the driver:
the same results as on this machine, a lost worker's shard judged again, bad addresses one line."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

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

pytest.importorskip("ray")


def test_a_run_on_a_ray_cluster_writes_the_results_of_a_run_here(tmp_path: Path) -> None:
    sols, problems = humaneval_run(tmp_path, 40)
    here, cluster = tmp_path / "here", tmp_path / "cluster"
    subprocess.run([*run_argv(sols, problems, here, "--no-cache", workers=1)], check=True)
    done = subprocess.run(
        [*run_argv(sols, problems, cluster, "--no-cache", "--ray")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    one, two = here / "eval_checkpoint_7", cluster / "eval_checkpoint_7"
    assert verdicts_of(two / "solutions.results.jsonl") == verdicts_of(one / "solutions.results.jsonl")
    assert counts_of(two / "solutions.metrics.json") == counts_of(one / "solutions.metrics.json")
    metrics = json.loads((two / "solutions.metrics.json").read_text())
    # the local Ray has this machine's 2 cores: one file is judged in 2 shards, on this node
    assert metrics["shards"] == 2 and metrics["nodes"] == [os.uname().nodename]
    assert metrics["solutions_file"] == str(sols / "checkpoint-7" / "solutions.jsonl")
    assert sorted(p.name for p in two.iterdir()) == ["solutions.metrics.json", "solutions.results.jsonl"]
    summary = json.loads((cluster / "batch_eval_results.json").read_text())
    assert summary["status"] == "finished" and summary["run"]["ray"] == "local"


def test_a_shard_whose_ray_worker_dies_is_judged_again_elsewhere(tmp_path: Path) -> None:
    problems = write_jsonl(tmp_path / "problems.jsonl", [SUM_PROBLEM])
    sols = tmp_path / "sols"
    codes = [SLOW, WRONG, SLOW + "\n# b", RIGHT] * 10
    rows = [{"id": "1/A", "code": c, "n": i} for i, c in enumerate(codes)]
    write_jsonl(sols / "checkpoint-5" / "solutions.jsonl", rows)
    clean, out = tmp_path / "clean", tmp_path / "out"
    subprocess.run([*run_argv(sols, problems, clean, "--no-cache", workers=1)], check=True)
    proc = subprocess.Popen(
        [*run_argv(sols, problems, out, "--no-cache", "--ray")],
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        worker = _worker_of_a_shard(deadline=time.monotonic() + 90)
        assert worker is not None, "no shard's checker seen running"
        name = Path(f"/proc/{worker}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        assert "ray" in name.lower() or "default_worker" in name, name
        os.kill(worker, signal.SIGKILL)  # the Ray worker running a shard, as a lost node would
        _, stderr = proc.communicate(timeout=240)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 0, stderr
    lines = read_jsonl(out / "eval_checkpoint_5" / "solutions.results.jsonl")
    assert [line["n"] for line in lines] == list(range(40))
    expected = verdicts_of(clean / "eval_checkpoint_5" / "solutions.results.jsonl")
    assert verdicts_of(out / "eval_checkpoint_5" / "solutions.results.jsonl") == expected


def _worker_of_a_shard(deadline: float) -> int | None:
    """The parent (a Ray worker) of a running `check --shard` process, once one has judged."""
    while time.monotonic() < deadline:
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                argv = (entry / "cmdline").read_bytes().split(b"\0")
                if b"check" in argv and b"--shard" in argv:
                    stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                    started = _journal_lines(argv)
                    if started >= 2:
                        return int(stat[1])
            except (OSError, IndexError, ValueError):
                continue
        time.sleep(0.1)
    return None


def _journal_lines(argv: list[bytes]) -> int:
    """Records a running check has judged (its journal's lines but the header)."""
    out = Path(argv[argv.index(b"-o") + 1].decode())
    stem = argv[argv.index(b"--stem") + 1].decode()
    try:
        return len((out / f".{stem}.journal.jsonl").read_text().splitlines()) - 1
    except OSError:
        return 0


def test_a_cluster_that_is_not_there_is_one_line_at_once(tmp_path: Path) -> None:
    sols, problems = humaneval_run(tmp_path, 4)
    for address, words in (("127.0.0.1:1", "cannot reach the Ray cluster at 127.0.0.1:1"), ("auto", "auto")):
        done = subprocess.run(
            [*run_argv(sols, problems, tmp_path / "out", "--ray", address)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
        assert done.stderr.count("\n") == 1 and words in done.stderr, done.stderr
    piston = subprocess.run(
        [*run_argv(sols, problems, tmp_path / "out", "--ray", "--executor", "piston")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert piston.returncode == 2 and "--ray runs the local executor" in piston.stderr
    assert not (tmp_path / "out").exists()


def test_the_python_api_runs_on_ray_too(tmp_path: Path) -> None:
    import batch_eval

    sols, problems = humaneval_run(tmp_path, 20)
    batch = batch_eval.run_batch(sols, problems, tmp_path / "out", ray="", progress=False, cache=False)
    assert batch.exit_code == 0 and batch.summary["run"]["ray"] == "local"
    metrics = json.loads((tmp_path / "out" / "eval_checkpoint_7" / "solutions.metrics.json").read_text())
    assert metrics["records"] == 20 and metrics["node"] == os.uname().nodename
