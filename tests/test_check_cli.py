"""`batch-eval check` end to end through the command line, on real data and on bad input."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from batch_eval.cli import cli
from tests.conftest import SUM_PROBLEM, read_jsonl, shared_rows, write_jsonl


def invoke(args: list[str]) -> tuple[int, str, str]:
    """Through main(), the one error boundary, as the console script runs."""
    proc = subprocess.run(
        [sys.executable, "-m", "batch_eval", *args], capture_output=True, text=True, check=False
    )
    return proc.returncode, proc.stdout, proc.stderr


def test_check_real_codeforces_solutions(tmp_path: Path, data_dir: Path) -> None:
    problems = data_dir / "e2h_codeforces" / "problems.jsonl"
    solutions = data_dir / "e2h_codeforces" / "checkpoints" / "gpt-5-mini-2025-08-07" / "solutions.jsonl"
    result = CliRunner().invoke(
        cli,
        ["check", str(solutions), "--problems", str(problems), "-o", str(tmp_path), "--limit", "6"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    lines = read_jsonl(tmp_path / "solutions.results.jsonl")
    assert len(lines) == 6
    first = lines[0]
    # the record's own keys survive for joins; the bulky code does not
    assert (
        first["key"]
        == shared_rows("e2h_codeforces", "checkpoints/gpt-5-mini-2025-08-07/solutions.jsonl")[0]["key"]
    )
    assert "code" not in first and "raw_response" not in first
    assert first["verdict"] in {"AC", "WA", "TLE", "RE", "MLE", "OLE", "CE"}
    assert first["passed"] == (first["verdict"] == "AC")
    assert first["limits"] == {"time_s": 2.0, "memory_mb": 256}  # the data has no limits
    assert all("verdict" in t and "time" in t for t in first["tests"])
    metrics = json.loads((tmp_path / "solutions.metrics.json").read_text())
    assert metrics["schema_version"] == 1 and metrics["records"] == 6
    assert metrics["pass_at_k"]["1"] == sum(line["passed"] for line in lines) / 6
    assert metrics["environment"]["executor"] == "local"


def test_bad_records_are_reported_counted_and_the_rest_judged(tmp_path: Path) -> None:
    problems = write_jsonl(tmp_path / "problems.jsonl", [SUM_PROBLEM])
    solutions = write_jsonl(
        tmp_path / "sols.jsonl",
        [
            {"id": "1/A", "code": "a,b=map(int,input().split())\nprint(a+b)"},
            "{broken",
            {"id": "9/Z", "code": "print(1)"},
            {"id": "1/A", "raw_response": "no code here"},
            {"id": "1/A", "code": "print(0)"},
        ],
    )
    code, out, err = invoke(
        ["check", str(solutions), "--problems", str(problems), "-o", str(tmp_path / "out")]
    )
    assert code == 1
    assert f"{solutions}:2: skipped: malformed JSON" in err
    assert f"{solutions}:3: skipped (problem 9/Z): unknown problem id '9/Z'" in err
    assert "Traceback" not in err
    lines = read_jsonl(tmp_path / "out" / "sols.results.jsonl")
    assert [line["verdict"] for line in lines] == ["AC", "SKIP", "SKIP", "CE", "WA"]
    assert [line["line"] for line in lines] == [1, 2, 3, 4, 5]
    metrics = json.loads((tmp_path / "out" / "sols.metrics.json").read_text())
    assert metrics["skipped_records"] == 2 and metrics["judged"] == 3
    assert metrics["pass_at_k"] == {"1": round(1 / 3, 6), "2": round(2 / 3, 6), "3": 1.0}
    assert out.strip() == str(tmp_path / "out" / "sols.results.jsonl")


def test_user_errors_are_one_line_and_exit_2(tmp_path: Path) -> None:
    sols = write_jsonl(tmp_path / "s.jsonl", [{"id": "1/A", "code": "print(3)"}])
    code, _, err = invoke(
        ["check", str(sols), "--problems", str(tmp_path / "nope.jsonl"), "-o", str(tmp_path)]
    )
    assert code == 2 and err.strip() == f"error: {tmp_path / 'nope.jsonl'}: problems file not found"
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps(SUM_PROBLEM) + "\n{oops\n")
    code, _, err = invoke(["check", str(sols), "--problems", str(bad), "-o", str(tmp_path)])
    assert code == 2 and err.startswith(f"error: {bad}:2: invalid JSON") and "Traceback" not in err
    problems = write_jsonl(tmp_path / "p.jsonl", [SUM_PROBLEM])
    code, _, err = invoke(
        ["check", str(tmp_path / "missing.jsonl"), "--problems", str(problems), "-o", str(tmp_path)]
    )
    assert code == 2 and "solutions file not found" in err and len(err.strip().splitlines()) == 1


def test_unreachable_piston_is_one_line_before_any_work(tmp_path: Path) -> None:
    problems = write_jsonl(tmp_path / "p.jsonl", [SUM_PROBLEM])
    sols = write_jsonl(tmp_path / "s.jsonl", [{"id": "1/A", "code": "print(3)"}])
    code, _, err = invoke(
        [
            "check",
            str(sols),
            "--problems",
            str(problems),
            "-o",
            str(tmp_path / "o"),
            "--executor",
            "piston",
            "--endpoint",
            "http://127.0.0.1:9",
        ]
    )
    assert code == 2
    assert "cannot reach Piston at http://127.0.0.1:9" in err and "--endpoint" in err
    assert not (tmp_path / "o" / "s.results.jsonl").exists()


def test_sample_and_limit_pick_reproducible_records(tmp_path: Path) -> None:
    problems = write_jsonl(tmp_path / "p.jsonl", [SUM_PROBLEM])
    sols = write_jsonl(
        tmp_path / "s.jsonl", [{"id": "1/A", "code": f"print({i})", "n": i} for i in range(20)]
    )
    picks = []
    for run in range(2):
        out = tmp_path / f"o{run}"
        result = CliRunner().invoke(
            cli,
            ["check", str(sols), "--problems", str(problems), "-o", str(out), "--sample", "5", "--seed", "7"],
            catch_exceptions=False,
        )
        assert result.exit_code == 0
        picks.append([line["n"] for line in read_jsonl(out / "s.results.jsonl")])
    assert picks[0] == picks[1] and len(picks[0]) == 5 and picks[0] != list(range(5))


def test_help_lists_exit_codes() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    lines = [ln.split() for ln in result.output.splitlines() if ln.strip()[:3].strip().isdigit()]
    assert [int(ln[0]) for ln in lines] == [0, 1, 2, 3, 130]  # one per line, every code


def _read_only_folder(path: Path) -> Iterator[Path]:
    """A folder nobody can write in, root included (a read-only mount), else by permissions."""
    path.mkdir()
    if os.geteuid() == 0:
        subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=1m", "none", str(path)], check=True)
        try:
            yield path
        finally:
            subprocess.run(["umount", "-l", str(path)], check=False)
    else:
        path.chmod(0o555)
        yield path


def test_output_and_cache_paths_that_cannot_be_used_are_one_line_before_any_work(tmp_path: Path) -> None:
    problems = write_jsonl(tmp_path / "p.jsonl", [SUM_PROBLEM])
    sols = write_jsonl(tmp_path / "s.jsonl", [{"id": "1/A", "code": "print(3)"}])
    a_file = tmp_path / "a-file"
    a_file.write_text("mine\n")
    base = ["check", str(sols), "--problems", str(problems)]
    cases = [
        (["-o", str(a_file)], f"error: {a_file}: cannot create the output folder: a file is in the way"),
        (
            ["-o", str(a_file / "sub")],
            f"error: {a_file / 'sub'}: cannot create the output folder: part of the path",
        ),
        (
            ["-o", str(tmp_path / "o"), "--cache-dir", str(a_file / "c")],
            f"error: {a_file / 'c'}: cannot create the verdict cache folder: part of the path",
        ),
    ]
    for extra, expected in cases:
        code, _, err = invoke([*base, *extra])
        assert code == 2 and err.startswith(expected) and len(err.strip().splitlines()) == 1, err
    assert a_file.read_text() == "mine\n"
    for read_only in _read_only_folder(tmp_path / "ro"):
        code, _, err = invoke([*base, "-o", str(read_only)])
        assert code == 2 and err.startswith(f"error: {read_only}: cannot write in the output folder: ")
        assert len(err.strip().splitlines()) == 1
        code, _, err = invoke([*base, "-o", str(tmp_path / "o"), "--cache-dir", str(read_only)])
        assert code == 2 and "cannot write in the verdict cache folder" in err and "--no-cache" in err
        # --no-cache needs no cache folder at all
        code, _, err = invoke([*base, "-o", str(tmp_path / "o"), "--cache-dir", str(read_only), "--no-cache"])
        assert code == 0, err


def test_endpoints_without_a_scheme_are_refused_with_the_fix(tmp_path: Path) -> None:
    problems = write_jsonl(tmp_path / "p.jsonl", [SUM_PROBLEM])
    sols = write_jsonl(tmp_path / "s.jsonl", [{"id": "1/A", "code": "print(3)"}])
    args = ["check", str(sols), "--problems", str(problems), "--executor", "piston", "--endpoint"]
    code, _, err = invoke([*args, "localhost:2000"])
    assert code == 2 and "'localhost:2000' is not an http(s) URL: write http://localhost:2000" in err


def test_a_killed_check_resumes_from_its_journal(tmp_path: Path) -> None:
    """SIGKILL part way through a file: the rerun keeps what was judged (no cache to help
    it) and ends with the results of a check never killed."""
    problems = write_jsonl(tmp_path / "p.jsonl", [SUM_PROBLEM])
    slow = "import time\ntime.sleep(0.4)\na, b = map(int, input().split())\nprint(a + b)"
    records = [
        {"id": "1/A", "code": slow + f"\n#{i}" if i % 2 else "print(3)" + f"\n#{i}"} for i in range(12)
    ]
    sols = write_jsonl(tmp_path / "s.jsonl", records)
    out = tmp_path / "out"
    argv = [sys.executable, "-m", "batch_eval", "check", str(sols), "--problems", str(problems)]
    argv += ["-o", str(out), "--no-cache", "--all-tests"]
    proc = subprocess.Popen(argv, stderr=subprocess.DEVNULL)
    journal = out / ".s.journal.jsonl"
    deadline = time.monotonic() + 60
    while not (journal.exists() and journal.read_text().count("\n") >= 5):
        assert time.monotonic() < deadline and proc.poll() is None, "the check never got going"
        time.sleep(0.02)
    proc.kill()
    proc.wait()
    judged = journal.read_text().count("\n") - 1  # the header
    assert not (out / "s.results.jsonl").exists()
    rerun = subprocess.run(argv, capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr
    assert f"resuming an interrupted check: {judged} records already judged" in rerun.stderr
    lines = read_jsonl(out / "s.results.jsonl")
    assert [line["line"] for line in lines] == list(range(1, 13))
    assert [line["verdict"] for line in lines] == ["WA", "AC"] * 6
    metrics = json.loads((out / "s.metrics.json").read_text())
    assert metrics["reused"] == judged and metrics["records"] == 12
    assert not journal.exists()


def test_a_full_disk_is_one_line_leaves_no_half_file_and_the_rerun_completes(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root to mount a small file system")
    problems = write_jsonl(tmp_path / "p.jsonl", [SUM_PROBLEM])
    records = [{"id": "1/A", "code": f"print(3)\n# {i:04d}", "note": "x" * 200} for i in range(150)]
    sols = write_jsonl(tmp_path / "s.jsonl", records)
    out = tmp_path / "small"
    out.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=48k", "none", str(out)], check=True)
    try:
        argv = ["check", str(sols), "--problems", str(problems), "-o", str(out), "--no-cache", "-q"]
        code, _, err = invoke(argv)
        assert code == 2 and len(err.strip().splitlines()) == 1, err
        assert err.startswith(f"error: {out / 's.results.jsonl'}: cannot write: the disk is full")
        assert not (out / "s.results.jsonl").exists() and not list(out.glob("*.tmp"))
        subprocess.run(["mount", "-o", "remount,size=4m", str(out)], check=True)
        code, _, err = invoke(argv)
        assert code == 0, err
        assert [line["verdict"] for line in read_jsonl(out / "s.results.jsonl")] == ["WA"] * 150
    finally:
        subprocess.run(["umount", "-l", str(out)], check=False)


def test_every_command_answers_h_with_examples_that_parse() -> None:
    """`-h` works as `--help`, and each command's help shows examples a user can paste
    (each example's options exist: parsing it gets past the option parser)."""
    for command in ("check", "run", "status", "watch", "report"):
        code, out, err = invoke([command, "-h"])
        assert code == 0 and "Examples:" in out, (command, err)
        examples = [
            ln.strip() for ln in out.split("Examples:")[1].splitlines() if ln.strip().startswith("batch-eval")
        ]
        assert len(examples) >= 2, command
        for example in examples:
            words = shlex.split(example.split("|")[0])[1:]
            ctx_code, _, ctx_err = invoke([*words, "--help"])  # --help last: parsed, nothing run
            assert ctx_code == 0, (example, ctx_err)


def test_options_say_what_they_are_and_the_old_names_still_work(tmp_path: Path) -> None:
    problems = write_jsonl(tmp_path / "p.jsonl", [SUM_PROBLEM])
    sols = write_jsonl(tmp_path / "s.jsonl", [{"id": "1/A", "code": f"print(3)\n#{i}"} for i in range(5)])
    base = ["check", str(sols), "--problems", str(problems)]
    for new, old in (
        (["--max-records", "2"], ["--limit", "2"]),
        (["--sample-records", "2"], ["--sample", "2"]),
    ):
        for argv, out in ((new, tmp_path / "new"), (old, tmp_path / "old")):
            code, _, err = invoke([*base, "-o", str(out), *argv, "--output-compare", "lines"])
            assert code == 0, err
        new_lines, old_lines = (read_jsonl(tmp_path / d / "s.results.jsonl") for d in ("new", "old"))
        assert [(x["line"], x["verdict"]) for x in new_lines] == [
            (x["line"], x["verdict"]) for x in old_lines
        ]
        assert len(new_lines) == 2
    code, _, err = invoke([*base, "-o", str(tmp_path / "c"), "--compare=tokens"])
    assert code == 0, err
    assert json.loads((tmp_path / "c" / "s.metrics.json").read_text())["settings"]["compare"] == "tokens"
    # the old names are hidden: --help shows only the names that say what they are
    for command in ("check", "run"):
        shown = CliRunner().invoke(cli, [command, "--help"]).stdout
        assert "--output-compare" in shown and "--max-records" in shown and "--sample-records" in shown
        assert not re.search(r"--(compare|limit|sample)\b(?!-)", shown), command
    shown = CliRunner().invoke(cli, ["report", "--help"]).stdout
    assert "--diff" in shown and "--compare" not in shown


def test_records_in_other_shapes_are_read_as_the_user_says(tmp_path: Path) -> None:
    """--id-field and --code-field for files in other shapes; LiveCodeBench's raw
    output_list; a fence in a language we cannot run is a reasoned skip naming the problem."""
    problems = write_jsonl(tmp_path / "p.jsonl", [SUM_PROBLEM])
    right = "a, b = map(int, input().split())\nprint(a + b)\n"
    records = [
        {"question": "1/A", "response": f"Here it is:\n```python\n{right}```\n"},
        {"question": "1/A", "response": right},
        {"question": "1/A", "response": "```go\npackage main\n```\n"},
        {"question": "1/A", "other": "no response"},
    ]
    solutions = write_jsonl(tmp_path / "s.jsonl", records)
    code, _, err = invoke(
        ["check", str(solutions), "--problems", str(problems), "-o", str(tmp_path / "out"),
         "--id-field", "question", "--code-field", "response", "--no-cache"]
    )  # fmt: skip
    lines = read_jsonl(tmp_path / "out" / "s.results.jsonl")
    assert [line["verdict"] for line in lines] == ["AC", "AC", "SKIP", "SKIP"]
    assert f"{solutions}:3: skipped (problem 1/A): unsupported language 'go'" in err
    assert f"{solutions}:4: skipped: record has no `response` (--code-field)" in err
    assert code == 1
    lcb = write_jsonl(
        tmp_path / "lcb.jsonl",
        [{"question_id": "1/A", "output_list": [f"```python\n{right}```", "```python\nprint(0)\n```"]}],
    )
    invoke(["check", str(lcb), "--problems", str(problems), "-o", str(tmp_path / "lcb"), "--no-cache"])
    lines = read_jsonl(tmp_path / "lcb" / "lcb.results.jsonl")
    assert [(line["code_list_index"], line["verdict"]) for line in lines] == [(0, "AC"), (1, "WA")]


def test_check_refuses_a_folder_a_run_is_writing_and_clears_half_written_files(tmp_path: Path) -> None:
    from batch_eval.batch.heartbeat import lock_output_folder

    problems = write_jsonl(tmp_path / "p.jsonl", [SUM_PROBLEM])
    sols = write_jsonl(tmp_path / "s.jsonl", [{"id": "1/A", "code": "print(3)"}])
    out = tmp_path / "evals"
    held = lock_output_folder(out)  # as a live run holds it
    try:
        code, _, err = invoke(["check", str(sols), "-p", str(problems), "-o", str(out / "eval_checkpoint_1")])
        assert code == 2 and f"a batch-eval run (pid {os.getpid()}) is writing to {out}" in err
        assert not (out / "eval_checkpoint_1").exists()
    finally:
        os.close(held)
    # the run is gone: the check goes ahead, and removes what a killed writer left
    (out / "eval_checkpoint_1").mkdir()
    stale = out / "eval_checkpoint_1" / ".s.results.jsonl.abc123.tmp"
    stale.write_text("half")
    # ...and leaves alone the file another live process is still writing
    writer = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    pid_of = [sys.executable, "-c", "import os; print(os.getpid())"]
    dead = subprocess.run(pid_of, capture_output=True, text=True)
    live = out / "eval_checkpoint_1" / f".s.results.jsonl.{writer.pid}-x1.tmp"
    killed = out / "eval_checkpoint_1" / f".s.results.jsonl.{dead.stdout.strip()}-x2.tmp"
    for path in (live, killed):
        path.write_text("half")
    try:
        code, _, err = invoke(["check", str(sols), "-p", str(problems), "-o", str(out / "eval_checkpoint_1")])
        assert code == 0, err
        assert not stale.exists() and not killed.exists() and live.exists()
    finally:
        writer.kill()
        writer.wait()


def test_mistakes_are_loud_empty_files_and_mistyped_ids(tmp_path: Path) -> None:
    problems = write_jsonl(tmp_path / "p.jsonl", [SUM_PROBLEM])
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    code, _, err = invoke(["check", str(empty), "-p", str(problems), "-o", str(tmp_path / "o1")])
    assert code == 1 and f"{empty}: no records: an empty file (nothing to judge)" in err
    typo = write_jsonl(tmp_path / "typo.jsonl", [{"id": "1A", "code": "print(3)"}] * 2)
    code, _, err = invoke(["check", str(typo), "-p", str(problems), "-o", str(tmp_path / "o2")])
    assert code == 1
    assert f"{typo}:1: skipped (problem 1A): unknown problem id '1A' (did you mean '1/A'?)" in err
    assert f"{typo}: 2 of 2 records name no problem of 1 known; did you mean '1A' -> '1/A'?" in err
    # the dry run says the same before anything runs, and does not exit 0
    run = tmp_path / "run" / "checkpoint-1"
    run.mkdir(parents=True)
    (run / "typo.jsonl").write_text(typo.read_text())
    code, _, err = invoke(
        ["run", "-s", str(run.parent), "-p", str(problems), "-o", str(tmp_path / "r"), "--dry-run"]
    )
    assert code == 1 and "did you mean '1A' -> '1/A'?" in err
    assert not (tmp_path / "r").exists()


def test_a_checkpoint_whose_files_are_not_solutions_is_named_and_the_exit_is_not_0(tmp_path: Path) -> None:
    """Generations saved as .txt and .csv: the dry run and the run name the checkpoint and its
    files and exit 1, the other checkpoints are judged; a checkpoint with no files at all
    (its generations not written yet) is no mistake."""
    problems = write_jsonl(tmp_path / "p.jsonl", [SUM_PROBLEM])
    sols = tmp_path / "run"
    (sols / "checkpoint-1").mkdir(parents=True)
    (sols / "checkpoint-1" / "samples.txt").write_text("a, b = map(int, input().split())\n")
    (sols / "checkpoint-1" / "gen.csv").write_text("id,code\n")
    write_jsonl(
        sols / "checkpoint-2" / "s.jsonl",
        [{"id": "1/A", "code": "a, b = map(int, input().split())\nprint(a + b)"}],
    )
    (sols / "checkpoint-3").mkdir()
    args = ["run", "-s", str(sols), "-p", str(problems), "-o", str(tmp_path / "out")]
    named = f"{sols / 'checkpoint-1'}: no solutions file among its files (gen.csv, samples.txt)"
    code, out, err = invoke([*args, "--dry-run"])
    assert code == 1 and named in err, err
    assert "(no solutions file among its files (gen.csv, samples.txt)" in out
    code, _, err = invoke(args)
    assert code == 1 and named in err and "1 checkpoint with no solutions file (named above): exit 1" in err
    lines = read_jsonl(tmp_path / "out" / "eval_checkpoint_2" / "s.results.jsonl")
    assert [line["verdict"] for line in lines] == ["AC"]
    for name in ("samples.txt", "gen.csv"):
        (sols / "checkpoint-1" / name).unlink()
    code, _, err = invoke(args)
    assert code == 0 and "no solutions file" not in err, err


def test_a_json_file_of_jsonl_lines_is_read_by_its_content(tmp_path: Path) -> None:
    problems = write_jsonl(tmp_path / "p.jsonl", [SUM_PROBLEM])
    folder = tmp_path / "run" / "checkpoint-5"
    right = {"id": "1/A", "code": "a, b = map(int, input().split())\nprint(a + b)"}
    write_jsonl(folder / "generations.json", [right, {**right, "code": "print(0)"}])
    (folder / "config.json").write_text('{\n  "model_type": "llama"\n}\n')  # not solutions
    code, _, err = invoke(["run", "-s", str(folder.parent), "-p", str(problems), "-o", str(tmp_path / "out")])
    assert code == 0, err
    lines = read_jsonl(tmp_path / "out" / "eval_checkpoint_5" / "generations.results.jsonl")
    assert [line["verdict"] for line in lines] == ["AC", "WA"]


def test_run_help_leads_with_the_options_that_matter_in_named_sections() -> None:
    """`run --help` opens with the inputs (--problems among the first options), then running,
    limits, …; every option of check, run and audit is in a named section."""
    for command in ("check", "run", "audit"):
        shown = CliRunner().invoke(cli, [command, "--help"]).stdout
        assert "Other options:" not in shown, command
        sections = [ln for ln in shown.splitlines() if ln.endswith(":") and not ln.startswith(" ")]
        assert sections[:3] == ["Inputs:", "Running:", "Limits:"], (command, sections)
    shown = CliRunner().invoke(cli, ["run", "--help"]).stdout
    options = [ln.split()[0] for ln in shown.splitlines() if ln.startswith("  -")]
    assert options[:3] == ["-s,", "-p,", "-o,"] and "--problems" in shown.split("Running:")[0]
    for late in ("--piston-retries", "--ray", "--cxx-flags"):
        assert shown.index(late) > shown.index("Limits:"), late


def test_a_malformed_json_line_is_reported_at_its_line_and_column(tmp_path: Path) -> None:
    problems = write_jsonl(tmp_path / "p.jsonl", [SUM_PROBLEM])
    solutions = tmp_path / "s.jsonl"
    solutions.write_text('{"id": "1/A", "code": "print(3)"}\n{"id": "1/A" "code": "print(3)"}\n')
    code, _, err = invoke(["check", str(solutions), "-p", str(problems), "-o", str(tmp_path / "out")])
    assert code == 1
    # column 14: the second string, where a comma was wanted (1-based, as editors count)
    assert f"{solutions}:2: skipped: malformed JSON (Expecting ',' delimiter at column 14)" in err
    listed = tmp_path / "l.json"
    listed.write_text('[\n  {"id": "1/A", "code": "print(3)"},\n  {"id": "1/A" "code": "print(3)"}\n]\n')
    code, _, err = invoke(["check", str(listed), "-p", str(problems), "-o", str(tmp_path / "out")])
    assert code == 2
    assert f"error: {listed}:3: not a JSON list of solutions: Expecting ',' delimiter at column 16" in err


def test_docs_options_lists_every_option_of_run() -> None:
    text = (Path(__file__).parents[1] / "docs" / "options.md").read_text(encoding="utf-8")
    for param in cli.commands["run"].params:
        if isinstance(param, click.Option) and not param.hidden:
            assert max(param.opts, key=len) in text, f"docs/options.md does not say {param.opts}"


#: what a local `check` never needs: the run's process pool, Piston's HTTP, the live display, Parquet
NOT_FOR_A_CHECK = ("multiprocessing", "concurrent.futures.process", "requests", "rich", "tqdm", "pyarrow")


def test_a_local_check_starts_without_the_modules_it_does_not_use(tmp_path: Path) -> None:
    """Start-up is a check's floor (issue 27): each of these costs every command its import."""
    write_jsonl(tmp_path / "problems.jsonl", [SUM_PROBLEM])
    write_jsonl(
        tmp_path / "s.jsonl", [{"id": "1/A", "code": "a, b = map(int, input().split())\nprint(a + b)\n"}]
    )
    argv = [sys.executable, "-X", "importtime", "-m", "batch_eval", "check", str(tmp_path / "s.jsonl")]
    argv += ["-p", str(tmp_path / "problems.jsonl"), "-o", str(tmp_path / "out"), "--no-cache"]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    imported = {
        line.rsplit("|", 1)[-1].strip()
        for line in proc.stderr.splitlines()
        if line.startswith("import time:")
    }
    assert "batch_eval.judging.check" in imported  # the check ran and was measured
    assert not {name for name in imported if name.split(".")[0] in NOT_FOR_A_CHECK or name in NOT_FOR_A_CHECK}
    assert '"verdict": "AC"' in (tmp_path / "out" / "s.results.jsonl").read_text()
