"""status/watch against a live and a killed run; report, compare, plot, metadata, MLflow."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from batch_eval.cli import cli
from batch_eval.reporting.stats import paired_p_value
from tests.conftest import SUM_PROBLEM, as_from_a_terminal, run_argv, write_jsonl

RIGHT = "a, b = map(int, input().split())\nprint(a + b)"
WRONG = "print(3)"
SLOW = "import time\ntime.sleep(0.4)\n" + RIGHT


def second_problem() -> dict[str, Any]:
    return dict(SUM_PROBLEM, id="1/B", official_tests=[{"input": "2 2\n", "output": "4\n"}])


def make_run(root: Path, steps: dict[int, list[tuple[str, str]]]) -> tuple[Path, Path]:
    problems = write_jsonl(root / "problems.jsonl", [SUM_PROBLEM, second_problem()])
    for step, records in steps.items():
        write_jsonl(
            root / "sols" / f"checkpoint-{step}" / "s.jsonl", [{"id": pid, "code": c} for pid, c in records]
        )
    return root / "sols", problems


def run_args(sols: Path, problems: Path, out: Path) -> list[str]:
    return run_argv(sols, problems, out)


def status_json(out: Path) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, "-m", "batch_eval", "status", str(out), "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    return dict(json.loads(result.stdout))


def test_status_of_a_running_then_killed_then_finished_run(tmp_path: Path) -> None:
    # distinct programs: the verdict cache would judge copies at once
    sols, problems = make_run(
        tmp_path, {s: [("1/A", f"{SLOW}\n# {s}.{i}") for i in range(6)] for s in (1, 2, 3)}
    )
    out = tmp_path / "out"
    proc = subprocess.Popen(run_args(sols, problems, out), start_new_session=True)
    deadline = time.monotonic() + 30
    state: dict[str, Any] = {}
    while time.monotonic() < deadline:
        if (out / "batch_eval_results.json").exists():
            state = status_json(out)
            running = [r for c in state["checkpoints"] for r in c["running"]]
            if state["state"] == "running" and running and running[0]["records_done"] > 0:
                break
        time.sleep(0.1)
    assert state["state"] == "running" and state["pid"] == proc.pid
    assert state["files"]["running"] == 1 and state["files"]["pending"] >= 1
    assert running[0]["records_total"] == 6
    text = subprocess.run(
        [sys.executable, "-m", "batch_eval", "status", str(out)], capture_output=True, text=True, check=False
    ).stdout
    assert "run: running" in text and "checkpoint-1" in text and "records)" in text
    os.killpg(proc.pid, signal.SIGKILL)  # dies without writing "interrupted"
    proc.wait()
    dead = status_json(out)
    assert dead["state"] == "dead"
    result = subprocess.run(
        [sys.executable, "-m", "batch_eval", "status", str(out)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 1 and "rerun it to resume" in result.stdout
    subprocess.run(run_args(sols, problems, out), check=True)
    done = status_json(out)
    assert done["state"] == "finished" and done["files"]["ok"] == 3
    assert [c["pass_at_1"] for c in done["checkpoints"]] == [1.0, 1.0, 1.0]


def test_watch_follows_a_run_until_it_ends(tmp_path: Path) -> None:
    sols, problems = make_run(
        tmp_path, {s: [("1/A", f"{SLOW}\n# {s}.{i}") for i in range(2)] for s in (1, 2)}
    )
    out = tmp_path / "out"
    proc = subprocess.Popen(run_args(sols, problems, out))
    deadline = time.monotonic() + 60
    while not (out / "batch_eval_results.json").exists():
        assert proc.poll() is None, "the run ended without writing its summary"
        assert time.monotonic() < deadline, "no summary 60 s after the run started"
        time.sleep(0.05)
    watch = subprocess.run(
        [sys.executable, "-m", "batch_eval", "watch", str(out), "--interval", "0.2"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.wait(timeout=120) == 0
    assert watch.returncode == 0
    blocks = watch.stdout.strip().split("\n\n")
    assert len(blocks) >= 2 and blocks[-1].startswith("run: finished")


def test_status_of_a_folder_that_is_not_a_run(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "batch_eval", "status", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2 and "not a batch-eval output folder" in result.stderr


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("report")
    sols, problems = make_run(
        root,
        {
            100: [("1/A", WRONG), ("1/A", WRONG), ("1/B", RIGHT), ("1/B", WRONG)],
            200: [("1/A", RIGHT), ("1/A", WRONG), ("1/B", RIGHT), ("1/B", RIGHT)],
            300: [("1/A", RIGHT), ("1/A", RIGHT), ("1/B", RIGHT), ("1/B", WRONG)],
        },
    )
    subprocess.run(run_args(sols, problems, root / "out"), check=True)
    return root / "out"


def test_report_table_marks_the_best_and_gives_intervals(finished_run: Path) -> None:
    result = CliRunner().invoke(cli, ["report", str(finished_run)], catch_exceptions=False)
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].split()[:4] == ["best", "checkpoint", "step", "pass@1"]
    # the best row starts with "*"; on a tie the earlier step wins
    assert [ln.split()[0] for ln in lines[1:4]] == ["checkpoint-100", "*", "checkpoint-300"]
    assert lines[2].split()[1:4] == ["checkpoint-200", "200", "0.750"]
    assert "0.250" in lines[1] and "0.750" in lines[3]
    assert lines[-1].startswith("* best pass@1 among complete checkpoints; ? incomplete")


def test_report_never_ranks_an_incomplete_checkpoint_best(tmp_path: Path) -> None:
    # the highest pass@1 belongs to a checkpoint with a record that could not be judged
    sols, problems = make_run(
        tmp_path, {100: [("1/A", RIGHT), ("1/B", WRONG)], 200: [("1/A", RIGHT), ("9/Z", RIGHT)]}
    )
    subprocess.run(run_args(sols, problems, tmp_path / "out"), check=False)
    result = subprocess.run(
        [sys.executable, "-m", "batch_eval", "report", str(tmp_path / "out")], capture_output=True, text=True
    )
    assert result.returncode == 1
    rows = {ln.split()[1]: ln.split()[0] for ln in result.stdout.splitlines()[1:3]}
    assert rows == {"checkpoint-100": "*", "checkpoint-200": "?"}
    assert "checkpoint-200 is incomplete (1 skipped): not ranked" in result.stderr
    data = json.loads(
        subprocess.run(
            [sys.executable, "-m", "batch_eval", "report", str(tmp_path / "out"), "--format", "json"],
            capture_output=True,
            text=True,
        ).stdout
    )
    assert data["best"] == "checkpoint-100" and data["checkpoints"][1]["incomplete"] == "1 skipped"


def test_report_formats(finished_run: Path) -> None:
    runner = CliRunner()
    data = json.loads(runner.invoke(cli, ["report", str(finished_run), "--format", "json"]).stdout)
    assert data["best"] == "checkpoint-200"
    row = data["checkpoints"][0]
    assert row["pass_at_k"] == {"1": 0.25, "2": 0.5} and row["solved"] == 1 and row["verdicts"]["WA"] == 3
    assert row["ci"][0] <= 0.25 <= row["ci"][1]
    csv_text = runner.invoke(cli, ["report", str(finished_run), "--format", "csv"]).stdout
    assert csv_text.splitlines()[0].startswith("checkpoint,step,best,ci_low,ci_high,pass@1,pass@2")
    assert csv_text.splitlines()[2].startswith("checkpoint-200,200,1,")
    md = runner.invoke(cli, ["report", str(finished_run), "--format", "markdown"]).stdout
    assert md.splitlines()[1].startswith("|---|") and "| * | checkpoint-200 | 200 | 0.750 |" in md


def test_compare_lists_changed_problems_with_a_named_test(finished_run: Path) -> None:
    result = CliRunner().invoke(
        cli,
        ["report", str(finished_run), "--compare", "100", "checkpoint-200", "--format", "json"],
        catch_exceptions=False,
    )
    data = json.loads(result.stdout)
    assert data["gains"] == [
        {"problem": "1/A", "a": 0.0, "b": 0.5, "change": 0.5},
        {"problem": "1/B", "a": 0.5, "b": 1.0, "change": 0.5},
    ]
    assert data["losses"] == [] and data["difference"] == 0.5
    assert data["method"].startswith("paired sign-flip permutation test")
    assert data["p_value"] == 0.5  # two problems both better: 1 in 2 sign patterns as extreme, twice
    text = CliRunner().invoke(cli, ["report", str(finished_run), "--compare", "200", "300"]).stdout
    assert "gains (B better): 1 problem" in text and "losses (B worse): 1 problem" in text
    assert "p = 1 (paired sign-flip permutation test over problems (two-sided)): not significant" in text


def test_compare_two_run_folders(finished_run: Path) -> None:
    spec_a, spec_b = f"{finished_run}:checkpoint-100", f"{finished_run}:checkpoint-300"
    data = json.loads(
        CliRunner()
        .invoke(cli, ["report", str(finished_run), "--compare", spec_a, spec_b, "--format", "json"])
        .stdout
    )
    assert data["a"].endswith(":checkpoint-100") and data["difference"] == 0.5


def test_paired_test_detects_a_consistent_improvement() -> None:
    assert paired_p_value([0.5] * 10) == pytest.approx(2 / 1024)
    assert paired_p_value([0.5, -0.5] * 10) == 1.0
    assert paired_p_value([0.1] * 40) < 0.001  # Monte Carlo branch


def test_plot_and_metadata(finished_run: Path, tmp_path: Path) -> None:
    meta = tmp_path / "meta.json"
    meta.write_text(json.dumps({"checkpoint-100": {"lr": 0.001}, "checkpoint-200": {"lr": 0.0005}}))
    png = tmp_path / "curve.png"
    result = CliRunner().invoke(
        cli,
        ["report", str(finished_run), "--plot", str(png), "--run-metadata", str(meta)],
        catch_exceptions=False,
    )
    assert result.exit_code == 0 and "lr" in result.stdout.splitlines()[0] and "0.0005" in result.stdout
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000


def test_plot_draws_each_k_with_its_title_and_best_in_the_format_asked(
    finished_run: Path, tmp_path: Path
) -> None:
    svg, pdf = tmp_path / "curve.svg", tmp_path / "curve.pdf"
    args = ["report", str(finished_run), "--k", "1,2,5", "--plot", str(svg), "--title", "exp1 on toy"]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    text = svg.read_text()
    assert "exp1 on toy" in text and "pass@1" in text and "pass@2" in text
    assert "best: checkpoint-200 (pass@1 0.750)" in text
    # two samples per problem: pass@5 says why it is missing instead of capping k silently
    assert "pass@5 is not plotted: no problem has 5 or more samples" in result.stderr
    # the table shows the k asked for, each over the problems that have k samples
    header = result.stdout.splitlines()[0].split()
    assert header[3:7] == ["pass@1", "95%", "CI", "pass@2"] and "pass@5" in header
    default = CliRunner().invoke(cli, ["report", str(finished_run), "--plot", str(pdf)])
    assert default.exit_code == 0 and pdf.read_bytes()[:5] == b"%PDF-"
    assert f"{finished_run.resolve().name}: pass@k by checkpoint" not in text  # --title replaced it


def test_per_sample_table_has_a_row_per_judged_sample_in_each_format(
    finished_run: Path, tmp_path: Path
) -> None:
    import csv

    import pyarrow.parquet as pq

    paths = [tmp_path / f"samples.{suffix}" for suffix in ("csv", "jsonl", "parquet")]
    for path in paths:
        result = CliRunner().invoke(cli, ["report", str(finished_run), "--per-sample", str(path)])
        assert result.exit_code == 0 and f"12 rows in {path}" in result.stderr
    with open(paths[0], newline="") as f:
        table = list(csv.DictReader(f))
    # the fixture's verdicts: steps 100, 200, 300 with 1, 3 and 3 right answers of 4
    by_step = {
        step: sum(r["verdict"] == "AC" for r in table if r["step"] == step) for step in ("100", "200", "300")
    }
    assert by_step == {"100": 1, "200": 3, "300": 3}
    assert {r["problem_id"] for r in table} == {"1/A", "1/B"} and {r["language"] for r in table} == {"python"}
    assert all(r["time_s"] for r in table)
    # tests_total is the problem's (3 for 1/A, 1 for 1/B), whatever early stop left unrun:
    # WRONG prints 3, right on 1/A's first test, wrong on its second, so its third is not run
    assert {(r["problem_id"], r["tests_total"]) for r in table} == {("1/A", "3"), ("1/B", "1")}
    wrong = [r for r in table if r["problem_id"] == "1/A" and r["verdict"] == "WA"]
    assert wrong and all((r["tests_passed"], r["tests_run"]) == ("1", "2") for r in wrong)
    lines = [json.loads(x) for x in paths[1].read_text().splitlines()]
    parquet = pq.read_table(paths[2]).to_pylist()
    assert (
        [(x["checkpoint"], x["line"], x["verdict"]) for x in lines]
        == [(x["checkpoint"], x["line"], x["verdict"]) for x in parquet]
        == [(r["checkpoint"], int(r["line"]), r["verdict"]) for r in table]
    )


def test_a_plot_name_that_is_not_png_svg_or_pdf_is_refused_before_any_output(
    finished_run: Path, tmp_path: Path
) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "batch_eval", "report", str(finished_run), "--plot", str(tmp_path / "c.jpg")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2 and result.stdout == ""
    assert (
        result.stderr.strip() == "error: the plot is written as PNG, SVG or PDF: name it c.png, .svg or .pdf"
    )


def test_bad_metadata_is_one_line(finished_run: Path, tmp_path: Path) -> None:
    meta = tmp_path / "meta.json"
    meta.write_text('{"checkpoint-100": 5}')
    result = subprocess.run(
        [sys.executable, "-m", "batch_eval", "report", str(finished_run), "--run-metadata", str(meta)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (
        result.returncode == 2
        and "must map checkpoint names" in result.stderr
        and "Traceback" not in result.stderr
    )


def test_mlflow_logs_each_checkpoint_at_its_step(
    finished_run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mlflow = pytest.importorskip("mlflow")
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    uri = f"file://{tmp_path / 'mlruns'}"
    result = CliRunner().invoke(
        cli,
        ["report", str(finished_run), "--mlflow", "--mlflow-uri", uri, "--mlflow-experiment", "exp"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0
    client = mlflow.tracking.MlflowClient(uri)
    run = client.search_runs([client.get_experiment_by_name("exp").experiment_id])[0]
    history = client.get_metric_history(run.info.run_id, "pass_at_1")
    assert [(m.step, m.value) for m in history] == [(100, 0.25), (200, 0.75), (300, 0.75)]


def test_report_warns_when_checkpoints_were_judged_at_different_speeds(finished_run: Path) -> None:
    runner = CliRunner()
    assert "different speeds" not in runner.invoke(cli, ["report", str(finished_run)]).stderr
    # as if checkpoint-300 had been judged on a machine twice as slow
    metrics_path = next((finished_run / "eval_checkpoint_300").glob("*.metrics.json"))
    original = metrics_path.read_text()
    metrics = json.loads(original)
    metrics["environment"]["calibration"]["benchmark_s"] *= 2
    metrics_path.write_text(json.dumps(metrics))
    try:
        result = runner.invoke(cli, ["report", str(finished_run)])
    finally:
        metrics_path.write_text(original)
    assert "checkpoints were judged at different speeds" in result.stderr
    assert "--time-multiplier auto" in result.stderr


def test_watch_waits_for_the_run_and_follows_its_rerun(tmp_path: Path) -> None:
    """Started before the run exists, `watch` waits; when the run is interrupted it waits for
    the rerun that resumes it, and ends (exit 0) when that one finishes."""
    sols, problems = make_run(tmp_path, {s: [("1/A", f"{SLOW}\n# {s}")] for s in (1, 2, 3)})
    out = tmp_path / "out"
    watch = subprocess.Popen(
        [sys.executable, "-m", "batch_eval", "watch", str(out), "--interval", "0.2"],
        stdout=subprocess.PIPE,
        text=True,
    )
    time.sleep(1)
    first = subprocess.Popen(run_args(sols, problems, out), preexec_fn=as_from_a_terminal)
    registry = out / ".batch_eval" / "running"
    deadline = time.monotonic() + 60
    while not (registry.is_dir() and any(registry.iterdir())):
        assert time.monotonic() < deadline, "the first run never started a checker"
        time.sleep(0.05)
    os.killpg(first.pid, signal.SIGINT)
    assert first.wait(timeout=60) == 130
    time.sleep(1)
    assert watch.poll() is None, "watch stopped at the interruption"
    assert subprocess.run(run_args(sols, problems, out), check=False).returncode == 0
    stdout, _ = watch.communicate(timeout=60)
    assert watch.returncode == 0
    assert f"waiting for a run to write to {out}" in stdout
    assert "waiting for a rerun to resume it" in stdout
    assert stdout.strip().split("\n\n")[-1].startswith("run: finished")


def _terminal_run(argv: list[str]) -> str:
    """Run `argv` with its stderr on a pseudo-terminal (as a person sees it); all it drew."""
    import pty

    master, slave = pty.openpty()
    proc = subprocess.Popen(
        argv, stderr=slave, stdout=subprocess.DEVNULL, env={**os.environ, "COLUMNS": "160"}
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the terminal closed with the process
            break
        if not chunk:
            break
        chunks.append(chunk)
    proc.wait()
    os.close(master)
    text = b"".join(chunks).decode("utf-8", "replace")
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text)  # colours and cursor moves


def test_progress_counts_records_while_files_run(tmp_path: Path) -> None:
    """On a terminal the records bar moves inside running files (not only when a file
    ends); in a log each finished file's line says records done of all, their rate and ETA."""
    sols, problems = make_run(
        tmp_path, {s: [("1/A", f"{SLOW}\n# {s}.{i}") for i in range(6)] for s in (1, 2)}
    )
    drawn = _terminal_run(
        [a for a in run_args(sols, problems, tmp_path / "tty") if a != "-q"] + ["--no-cache"]
    )
    counts = {int(m) for m in re.findall(r"records\D*?(\d+)/12", drawn)}
    assert counts & set(range(1, 6)), f"the records bar never moved inside a file: {sorted(counts)}"
    # and each running file has a bar of its own: its records judged of its 6
    in_file = {int(m) for m in re.findall(r"checkpoint-\d+/\S+\.jsonl\D*?(\d+)/6\b", drawn)}
    assert in_file & set(range(1, 6)), f"no running file showed its own progress: {sorted(in_file)}"
    # the records bar gives the run's elapsed time and the ETA `status` computes, by records judged
    assert re.search(r"judged/s\s+elapsed \d+:\d\d:\d\d, ETA (\d+:\d\d:\d\d|n/a)", drawn), drawn[-2000:]
    plain = subprocess.run(
        [a for a in run_args(sols, problems, tmp_path / "log") if a != "-q"] + ["--no-cache"],
        capture_output=True,
        text=True,
    )
    assert re.search(r"\[1/2\] OK .* \| records 6/12, [\d.]+ judged/s, ETA \d+:\d\d:\d\d", plain.stderr), (
        plain.stderr
    )


def test_run_and_status_show_the_k_asked_for_over_the_problems_that_have_k(tmp_path: Path) -> None:
    # 1/A has three samples (one right), 1/B only one: pass@2 is over 1/A alone, and says so
    sols, problems = make_run(
        tmp_path, {5: [("1/A", RIGHT), ("1/A", WRONG), ("1/A", WRONG + " "), ("1/B", RIGHT)]}
    )
    out = tmp_path / "out"
    argv = [*(a for a in run_args(sols, problems, out) if a != "-q"), "--k", "2"]
    result = subprocess.run(argv, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert "pass@1 0.667, pass@2 0.667 (1/2 problems)" in result.stderr  # (1/3 + 1) / 2; 1 - C(2,2)/C(3,2)
    status = subprocess.run(
        [sys.executable, "-m", "batch_eval", "status", str(out)], capture_output=True, text=True, check=False
    )
    header, row = status.stdout.splitlines()[-2:]
    assert header.split()[-2:] == ["pass@1", "pass@2"] and row.split()[-2:] == ["0.667", "0.667"]
    # a k the metrics do not hold is a dash, not a number made up
    status = subprocess.run(
        [sys.executable, "-m", "batch_eval", "status", str(out), "--k", "3"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert status.stdout.splitlines()[-1].split()[-2:] == ["0.667", "-"]


def test_report_ranks_checkpoints_on_the_problems_they_share_and_says_why_a_cell_is_empty(
    tmp_path: Path,
) -> None:
    """A checkpoint judged on fewer (easier) problems must not win by that: ranking is over
    the problems every complete checkpoint has, said under the table; no pass@k column of
    dashes when every problem has one sample; a `-` for an asked k says why; CSV has counts."""
    sols, problems = make_run(tmp_path, {1: [("1/A", RIGHT), ("1/B", WRONG)], 2: [("1/A", RIGHT)]})
    out = tmp_path / "out"
    assert subprocess.run(run_args(sols, problems, out), check=False).returncode == 0
    table = CliRunner().invoke(cli, ["report", str(out)], catch_exceptions=False).output
    best = [line.split()[1] for line in table.splitlines()[1:3] if line.startswith("*")]
    assert best == ["checkpoint-1"]  # plain pass@1 (0.5 against 1.0) would pick checkpoint-2
    assert "judged on different problems (1/2): best is ranked by pass@1 over the 1 every one" in table
    assert "pass@k" not in table.splitlines()[0]
    asked = CliRunner().invoke(cli, ["report", str(out), "--k", "1,5"], catch_exceptions=False).output
    assert "pass@5 -: no problem of checkpoint-1, checkpoint-2 has 5 samples" in asked
    csv = CliRunner().invoke(cli, ["report", str(out), "--format", "csv"], catch_exceptions=False).output
    head, first = csv.splitlines()[:2]
    assert dict(zip(head.split(","), first.split(",")))["AC"] == "1"
    assert {"problems", "solved", "records"} <= set(head.split(","))


def test_plot_legend_and_table_give_the_same_problem_counts(tmp_path: Path) -> None:
    # checkpoint-100 has one sample of 1/B: its pass@2 is over 1 of its 2 problems, 200's over both
    sols, problems = make_run(
        tmp_path,
        {
            100: [("1/A", RIGHT), ("1/A", WRONG), ("1/B", RIGHT)],
            200: [(p, RIGHT) for p in ("1/A", "1/A", "1/B", "1/B")],
        },
    )
    subprocess.run(run_args(sols, problems, tmp_path / "out"), check=True)
    svg = tmp_path / "curve.svg"
    args = ["report", str(tmp_path / "out"), "--k", "1,2", "--plot", str(svg)]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    rows = {name: ln for ln in result.stdout.splitlines()[1:3] for name in ln.split() if "checkpoint" in name}
    assert "1.000 (1/2)" in rows["checkpoint-100"] and "(1/2)" not in rows["checkpoint-200"]
    assert "pass@2 (over 1 to 2 of 2 problems: those with ≥2 samples)" in svg.read_text()


def test_cache_hits_are_not_counted_as_judging_speed(tmp_path: Path) -> None:
    """A rerun answered by the verdict cache judged nothing: `status` says how many records
    the cache gave and shows no records/s or tests/s made of them; elapsed time is shown."""
    sols, problems = make_run(tmp_path, {1: [("1/A", RIGHT), ("1/B", WRONG)], 2: [("1/A", WRONG)]})
    cache = ("--cache-dir", str(tmp_path / "cache"))
    for out in ("first", "again"):
        argv = run_args(sols, problems, tmp_path / out) + list(cache)
        assert subprocess.run(argv, capture_output=True, check=False).returncode == 0
    first, again = status_json(tmp_path / "first"), status_json(tmp_path / "again")
    assert first["records"]["cached"] == 0 and first["records_per_second"] > 0
    assert again["records"] == {"done": 3, "left": 0, "stopped": 0, "cached": 3}
    assert again["records_per_second"] is None and again["tests_per_second"] is None
    assert again["elapsed_seconds"] is not None and again["eta_seconds"] is None
    text = subprocess.run(
        [sys.executable, "-m", "batch_eval", "status", str(tmp_path / "again")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "records: 3/3 judged in this run (3 from the verdict cache)" in text
    assert re.search(
        r"speed: n/a records judged/s, n/a tests run/s \(finished files\); elapsed \d+:\d\d:\d\d", text
    )
