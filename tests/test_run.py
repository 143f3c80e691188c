"""`batch-eval run`: plan, dry run, pool supervision, resume after kill -9, the summary."""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from batch_eval.batch.run import RunOptions, run_batch
from batch_eval.cli import cli
from batch_eval.config import CheckConfig
from batch_eval.errors import BatchEvalError, ExitCode
from batch_eval.reporting.display import SilentDisplay
from tests.conftest import (
    SUM_PROBLEM,
    as_from_a_terminal,
    name_self,
    named,
    read_jsonl,
    run_argv,
    write_jsonl,
)

FAKE = Path(__file__).with_name("fake_checker.py")
RIGHT = "a, b = map(int, input().split())\nprint(a + b)"
WRONG = "print(3)"


def training_run(root: Path, steps: dict[int, list[str]]) -> tuple[Path, Path]:
    """checkpoint-N folders with one solutions file each, and the problems file."""
    problems = write_jsonl(root / "problems.jsonl", [SUM_PROBLEM])
    for step, codes in steps.items():
        write_jsonl(
            root / "sols" / f"checkpoint-{step}" / "solutions.jsonl",
            [{"id": "1/A", "code": c, "n": i} for i, c in enumerate(codes)],
        )
    return root / "sols", problems


def fake_run(
    tmp_path: Path, behaviours: dict[str, dict[str, Any]], **kwargs: Any
) -> tuple[ExitCode, dict[str, Any]]:
    for name, order in behaviours.items():
        write_jsonl(tmp_path / "sols" / name / "s.jsonl", [order])
    problems = write_jsonl(tmp_path / "problems.jsonl", [SUM_PROBLEM])
    options = RunOptions(
        output_dir=tmp_path / "out",
        solutions_dir=tmp_path / "sols",
        checker_command=(sys.executable, str(FAKE)),
        **kwargs,
    )
    code = run_batch(options, CheckConfig(problems=problems), SilentDisplay())
    return code, json.loads((tmp_path / "out" / "batch_eval_results.json").read_text())


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0] != "Z"
    except OSError:
        return False


def test_parallel_checkers_proven_with_a_file_barrier(tmp_path: Path) -> None:
    order = {"behave": "barrier", "barrier": str(tmp_path / "barrier"), "parties": 2}
    code, summary = fake_run(tmp_path, {"checkpoint-1": order, "checkpoint-2": order}, max_workers=2)
    assert code == ExitCode.OK, summary["failures"]
    totals = {"files": 2, "ok": 2, "failed": 0, "timeout": 0, "interrupted": 0, "pending": 0}
    assert summary["totals"] == totals


def test_hanging_file_is_killed_with_its_children_and_the_batch_goes_on(tmp_path: Path) -> None:
    pidfile = tmp_path / "pids"
    code, summary = fake_run(
        tmp_path,
        {
            "checkpoint-1": {"behave": "hang", "pidfile": str(pidfile)},
            "checkpoint-2": {"behave": "ok"},
        },
        max_workers=1,
        timeout=2,
    )
    assert code == ExitCode.INCOMPLETE
    first, second = summary["checkpoints"]
    assert first["files"][0]["status"] == "timeout" and "killed after 2" in first["files"][0]["reason"]
    assert second["status"] == "done"
    assert not [p for p in map(int, pidfile.read_text().split()) if _alive(p)]


def test_crashing_or_garbage_checker_is_a_failed_file_never_results(tmp_path: Path) -> None:
    code, summary = fake_run(
        tmp_path,
        {
            "checkpoint-1": {"behave": "crash"},
            "checkpoint-2": {"behave": "garbage"},
            "checkpoint-3": {"behave": "ok"},
        },
    )
    assert code == ExitCode.INCOMPLETE
    statuses = [(c["files"][0]["status"], c["files"][0]["reason"]) for c in summary["checkpoints"]]
    assert statuses[0] == ("failed", "ValueError: boom in the checker")
    assert statuses[1][0] == "failed" and "metrics" not in summary["checkpoints"][1]["files"][0]
    assert statuses[2] == ("ok", "")
    assert summary["checkpoints"][0]["metrics"] == {}
    assert len(summary["failures"]) == 2


def test_fail_fast_stops_at_the_first_failed_file(tmp_path: Path) -> None:
    code, summary = fake_run(
        tmp_path,
        {f"checkpoint-{i}": {"behave": "crash" if i == 1 else "ok"} for i in range(1, 6)},
        max_workers=1,
        fail_fast=True,
    )
    assert code == ExitCode.INCOMPLETE
    assert summary["totals"]["pending"] >= 3


def test_dry_run_writes_nothing_and_lists_exactly_what_run_does(tmp_path: Path) -> None:
    sols, problems = training_run(tmp_path, {200: [RIGHT], 100: [RIGHT, WRONG], 300: [WRONG]})
    out = tmp_path / "out"
    args = ["run", "--solutions-dir", str(sols), "--problems", str(problems), "-o", str(out), "-q"]
    runner = CliRunner()
    dry = runner.invoke(cli, [*args, "--dry-run", "--json"], catch_exceptions=False)
    assert dry.exit_code == 0 and not out.exists()
    plan = json.loads(dry.stdout)
    assert [c["step"] for c in plan["checkpoints"]] == [100, 200, 300]
    planned = {
        f["results"] for c in plan["checkpoints"] for f in c["files"] if f["action"].startswith("check")
    }
    result = runner.invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0
    written = {str(p) for p in out.rglob("*.results.jsonl")}
    assert written == planned
    # now everything is done: the dry run says so, and a rerun checks nothing
    again = json.loads(runner.invoke(cli, [*args, "--dry-run", "--json"]).stdout)
    assert again["todo"] == 0 and again["done"] == 3
    text = runner.invoke(cli, [*args, "--dry-run"]).stdout
    assert "skip (done)" in text and "3 files: 3 done, 0 to check" in text


def test_two_files_that_would_share_a_results_file_are_refused_before_any_work(tmp_path: Path) -> None:
    problems = write_jsonl(tmp_path / "problems.jsonl", [SUM_PROBLEM])
    ckpt = tmp_path / "sols" / "checkpoint-1"
    write_jsonl(ckpt / "a__b.jsonl", [{"id": "1/A", "code": RIGHT}])
    write_jsonl(ckpt / "a" / "b.jsonl", [{"id": "1/A", "code": WRONG}])
    out = tmp_path / "out"
    for extra in ([], ["--dry-run"]):
        result = subprocess.run(
            run_argv(tmp_path / "sols", problems, out, *extra), capture_output=True, text=True, timeout=60
        )
        assert result.returncode == ExitCode.USAGE, result.stderr
        assert "a__b.jsonl" in result.stderr and "a/b.jsonl" in result.stderr and "rename" in result.stderr
        assert "Traceback" not in result.stderr and not out.exists()


def test_summary_pass_at_1_equals_check_per_file_and_changed_input_is_redone(tmp_path: Path) -> None:
    sols, problems = training_run(tmp_path, {100: [RIGHT, WRONG, WRONG, RIGHT], 200: [RIGHT]})
    out = tmp_path / "out"
    options = RunOptions(output_dir=out, solutions_dir=sols)
    config = CheckConfig(problems=problems)
    assert run_batch(options, config, SilentDisplay()) == ExitCode.OK
    summary = json.loads((out / "batch_eval_results.json").read_text())
    by_name = {c["name"]: c for c in summary["checkpoints"]}
    assert by_name["checkpoint-100"]["metrics"]["pass_at_k"]["1"] == 0.5
    metrics = json.loads((out / "eval_checkpoint_100" / "solutions.metrics.json").read_text())
    assert metrics["pass_at_k"] == by_name["checkpoint-100"]["metrics"]["pass_at_k"]
    assert summary["schema_version"] == 1 and summary["environment"]["executor"] == "local"
    before = (out / "eval_checkpoint_200" / "solutions.results.jsonl").stat().st_mtime_ns
    # a changed input file is judged again; the untouched one is not
    write_jsonl(sols / "checkpoint-100" / "solutions.jsonl", [{"id": "1/A", "code": WRONG}])
    assert run_batch(options, config, SilentDisplay()) == ExitCode.OK
    summary = json.loads((out / "batch_eval_results.json").read_text())
    assert summary["checkpoints"][0]["metrics"]["pass_at_k"]["1"] == 0.0
    assert (out / "eval_checkpoint_200" / "solutions.results.jsonl").stat().st_mtime_ns == before
    # a verdict-changing setting is refused here (results of other settings are not replaced
    # silently), and with --force redoes everything
    exact = CheckConfig(problems=problems, compare="exact")
    with pytest.raises(BatchEvalError, match=r"judged with other settings \(compare 'default' -> 'exact'\)"):
        run_batch(options, exact, SilentDisplay())
    assert (out / "eval_checkpoint_200" / "solutions.results.jsonl").stat().st_mtime_ns == before
    assert run_batch(replace(options, force=True), exact, SilentDisplay()) == ExitCode.OK
    assert (out / "eval_checkpoint_200" / "solutions.results.jsonl").stat().st_mtime_ns != before


def _normalised(summary: dict[str, Any]) -> list[Any]:
    return [
        (c["name"], c["status"], c["metrics"]["pass_at_k"], c["metrics"]["verdicts"], c["metrics"]["records"])
        for c in summary["checkpoints"]
    ]


#: when the run is killed, as `status` reads its progress: (records judged, files done) at least
KILL_POINTS = {"inside-the-first-files": (1, 0), "after-a-file": (0, 1), "half-way": (0, 2)}


@pytest.mark.parametrize("kill_when", list(KILL_POINTS))
def test_kill_9_then_rerun_gives_the_uninterrupted_summary(tmp_path: Path, kill_when: str) -> None:
    from batch_eval.reporting.status import read_status

    slow = "import time\ntime.sleep(0.2)\n" + RIGHT
    steps = {s: [RIGHT, slow, WRONG, slow] for s in (100, 200, 300, 400)}
    sols, problems = training_run(tmp_path, steps)
    args = [*run_argv(sols, problems, None, workers=2), "--no-cache"]  # every run judges
    clean = tmp_path / "clean"
    subprocess.run([*args, "-o", str(clean)], check=True)
    killed = tmp_path / "killed"
    proc = subprocess.Popen([*args, "-o", str(killed)], start_new_session=True)
    records, files = KILL_POINTS[kill_when]
    deadline = time.monotonic() + 120
    while True:  # until the run is judging at the point asked for
        try:
            status = read_status(killed)
        except BatchEvalError:  # not started yet
            status = None
        if status and status["records"]["done"] >= records and status["files"]["ok"] >= files:
            break
        assert proc.poll() is None, f"the run ended before it was {kill_when}: {status}"
        assert time.monotonic() < deadline, f"the run never got {kill_when}: {status}"
        time.sleep(0.01)
    started = _descendants(proc.pid)
    proc.kill()  # the run alone, as the OOM killer or a scheduler would: not its group
    proc.wait()
    # it was killed while judging: its summary says the run had not finished
    assert read_status(killed)["state"] in ("running", "dead"), kill_when
    deadline = time.monotonic() + 30
    while _still_alive(started):  # what it started dies with it (PR_SET_PDEATHSIG)
        assert time.monotonic() < deadline, f"still running 30 s after the kill: {_still_alive(started)}"
        time.sleep(0.05)
    rerun = subprocess.run([*args, "-o", str(killed)], capture_output=True, text=True, check=False)
    assert rerun.returncode == 0, rerun.stderr
    expected = json.loads((clean / "batch_eval_results.json").read_text())
    got = json.loads((killed / "batch_eval_results.json").read_text())
    assert _normalised(got) == _normalised(expected)
    for step in steps:
        lines = read_jsonl(killed / f"eval_checkpoint_{step}" / "solutions.results.jsonl")
        assert [line["n"] for line in lines] == [0, 1, 2, 3]  # nothing lost, nothing twice


def _descendants(root: int) -> set[tuple[int, str]]:
    """Every live process below `root`, as (pid, start time) so a reused pid is not taken for it."""
    parents: dict[int, int] = {}
    starts: dict[int, str] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parents[int(entry)], starts[int(entry)] = int(fields[1]), fields[19]
    found, frontier = set(), {root}
    while frontier:
        frontier = {pid for pid, parent in parents.items() if parent in frontier}
        found |= {(pid, starts[pid]) for pid in frontier}
    return found


def _still_alive(processes: set[tuple[int, str]]) -> list[int]:
    alive = []
    for pid, start in processes:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[19] == start and fields[0] != "Z":
            alive.append(pid)
    return alive


def test_kill_9_of_the_run_alone_leaves_nothing_running_and_nothing_writing(tmp_path: Path) -> None:
    """SIGKILL of the `run` process only (not its group): its workers, checkers, fork servers,
    solutions and the daemons those started are all gone 5 s later, and nothing in the
    output folder changes after that."""
    name = f"orphan{os.getpid() % 10**6}"
    sleeper = name_self(name) + (
        "import os, time\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n"
        "        time.sleep(100)\n    os._exit(0)\ntime.sleep(100)\n"
    )
    sols, problems = training_run(tmp_path, {s: [RIGHT, sleeper] for s in (1, 2, 3)})
    out = tmp_path / "out"
    proc = subprocess.Popen(run_argv(sols, problems, out, "--time-limit", "20", workers=2))
    deadline = time.monotonic() + 60
    registry = out / ".batch_eval" / "running"
    while len(named(name)) < 2 or len(list(registry.glob("*"))) < 2:  # a sleeper and its daemon
        assert time.monotonic() < deadline and proc.poll() is None, "the sleepers never started"
        time.sleep(0.05)
    started = _descendants(proc.pid) | {(pid, "") for pid in named(name)}
    proc.kill()
    proc.wait()
    time.sleep(1)
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    time.sleep(4)
    left = [pid for pid, start in started if start and pid in _still_alive(started)]
    assert left == [] and named(name) == [], f"alive after the run died: {left}, {named(name)}"
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()} == before


def test_ctrl_c_stops_children_writes_a_truthful_summary_and_exits_130(tmp_path: Path) -> None:
    sleeper = "import time\ntime.sleep(30)"
    sols, problems = training_run(tmp_path, {s: [sleeper] for s in (1, 2, 3)})
    out = tmp_path / "out"
    proc = subprocess.Popen(
        run_argv(sols, problems, out, "--time-limit", "20", workers=2), preexec_fn=as_from_a_terminal
    )
    registry = out / ".batch_eval" / "running"
    deadline = time.monotonic() + 20
    while not (registry.is_dir() and len(list(registry.iterdir())) == 2):
        assert time.monotonic() < deadline, "checkers never started"
        time.sleep(0.05)
    checkers = [int(p.name) for p in registry.iterdir()]
    os.killpg(proc.pid, signal.SIGINT)  # what a terminal's Ctrl-C does
    assert proc.wait(timeout=30) == ExitCode.INTERRUPTED
    summary = json.loads((out / "batch_eval_results.json").read_text())
    assert summary["status"] == "interrupted"
    statuses = [c["files"][0]["status"] for c in summary["checkpoints"]]
    assert statuses.count("pending") == 1 and "ok" not in statuses
    time.sleep(0.3)
    assert not [p for p in checkers if _alive(p)]


def test_a_second_run_into_the_same_folder_is_refused_until_the_first_dies(tmp_path: Path) -> None:
    sleeper = "import time\ntime.sleep(30)"
    sols, problems = training_run(tmp_path, {1: [sleeper], 2: [RIGHT]})
    out = tmp_path / "out"
    first = subprocess.Popen(run_argv(sols, problems, out, "--time-limit", "20", workers=1))
    registry = out / ".batch_eval" / "running"
    deadline = time.monotonic() + 30
    while not (registry.is_dir() and list(registry.iterdir())):
        assert time.monotonic() < deadline and first.poll() is None, "the first run never started"
        time.sleep(0.05)
    second = subprocess.run(run_argv(sols, problems, out, workers=1), capture_output=True, text=True)
    assert second.returncode == ExitCode.USAGE
    assert second.stderr.strip().splitlines() == [
        f"error: {out}: another batch-eval run (pid {first.pid}) is writing to this output folder: "
        "wait for it to finish (`batch-eval watch`) or choose another --output-dir"
    ]
    first.kill()  # the kernel frees the lock with its holder, however it died
    first.wait()
    time.sleep(0.5)
    third = subprocess.run(run_argv(sols, problems, out, "--time-limit", "1", workers=1), capture_output=True)
    assert third.returncode in (ExitCode.OK, ExitCode.INCOMPLETE), third.stderr


def test_gzipped_and_json_list_solution_files_are_judged_and_resumed(tmp_path: Path) -> None:
    """A checkpoint's solutions as .jsonl.gz and as a .json list are judged like JSONL (a
    config.json beside them is not a solutions file); a rerun finds them done."""
    problems = write_jsonl(tmp_path / "problems.jsonl", [SUM_PROBLEM])
    folder = tmp_path / "sols" / "checkpoint-5"
    folder.mkdir(parents=True)
    records = [{"id": "1/A", "code": RIGHT}, {"id": "1/A", "code": WRONG}]
    with gzip.open(folder / "zipped.jsonl.gz", "wt") as f:
        f.write("".join(json.dumps(r) + "\n" for r in records))
    (folder / "listed.json").write_text(json.dumps(records))
    (folder / "config.json").write_text(json.dumps({"model_type": "llama"}))
    out = tmp_path / "out"
    first = subprocess.run(run_argv(tmp_path / "sols", problems, out), capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    for stem in ("zipped", "listed"):
        lines = read_jsonl(out / "eval_checkpoint_5" / f"{stem}.results.jsonl")
        assert [(x["line"], x["verdict"]) for x in lines] == [(1, "AC"), (2, "WA")]
    assert not (out / "eval_checkpoint_5" / "config.results.jsonl").exists()
    dry = subprocess.run(
        [*run_argv(tmp_path / "sols", problems, out), "--dry-run"], capture_output=True, text=True
    )
    assert "2 files: 2 done, 0 to check" in dry.stdout, dry.stdout


def test_a_run_that_finds_no_solutions_says_where_it_looked_and_fails(tmp_path: Path) -> None:
    problems = write_jsonl(tmp_path / "problems.jsonl", [SUM_PROBLEM])
    for step in (1, 2):
        (tmp_path / "sols" / f"checkpoint-{step}").mkdir(parents=True)
        (tmp_path / "sols" / f"checkpoint-{step}" / "notes.txt").write_text("no solutions here")
    done = subprocess.run(
        run_argv(tmp_path / "sols", problems, tmp_path / "out"), capture_output=True, text=True
    )
    assert done.returncode == ExitCode.USAGE
    assert done.stderr.strip() == (
        "error: no solutions files (*.jsonl, *.jsonl.gz, *.json holding a list) in any of the "
        f"2 checkpoint folders (looked in {tmp_path / 'sols'})"
    )


def test_skipped_records_are_shown_with_why_and_where_in_the_runs_output(tmp_path: Path) -> None:
    problems = write_jsonl(tmp_path / "problems.jsonl", [SUM_PROBLEM])
    records = [{"id": "9/Z", "code": WRONG}] * 3 + [{"id": "1/A", "code": RIGHT}]
    write_jsonl(tmp_path / "sols" / "checkpoint-1" / "s.jsonl", records)
    argv = run_argv(tmp_path / "sols", problems, tmp_path / "out")
    done = subprocess.run([a for a in argv if a != "-q"], capture_output=True, text=True)
    assert done.returncode == ExitCode.INCOMPLETE
    log = tmp_path / "out" / "eval_checkpoint_1" / "s.log"
    assert f"3 skipped (unknown problem id: 3): see {log}" in done.stderr
    assert "3 records skipped and 0 IE across the batch (reasons above): exit 1" in done.stderr
    assert "unknown problem id '9/Z'" in log.read_text()


def test_the_dry_run_is_a_preflight_that_writes_nothing(tmp_path: Path) -> None:
    """Exit 0 only when the real run would start: a bad problems file, an output path that
    cannot be made, a dead Piston all stop it (exit 2, one line); records that would be
    skipped are named; a file to be checked again says why."""
    sols, problems = training_run(tmp_path, {1: [RIGHT, WRONG]})
    write_jsonl(
        sols / "checkpoint-1" / "solutions.jsonl",
        [{"id": "1/A", "code": RIGHT}, {"id": "9/Z", "code": WRONG}],
    )
    out = tmp_path / "out"

    def dry(
        *extra: str, problems_file: Path = problems, output: Path = out
    ) -> subprocess.CompletedProcess[str]:
        argv = [a for a in run_argv(sols, problems_file, output, *extra) if a != "-q"]
        return subprocess.run([*argv, "--dry-run"], capture_output=True, text=True)

    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "1/A", "official_tests": "none"}\n')
    a_file = tmp_path / "a-file"
    a_file.write_text("")
    for result in (
        dry(problems_file=bad),
        dry(output=a_file / "out"),
        dry("--executor", "piston", "--endpoint", "http://127.0.0.1:9"),
    ):
        assert result.returncode == ExitCode.USAGE, result.stderr
        assert len(result.stderr.strip().splitlines()) == 1 and "error:" in result.stderr, result.stderr
    ok = dry()
    assert ok.returncode == 0, ok.stderr
    assert "1 record would be skipped (unknown problem id: 1)" in ok.stderr
    assert "check (new)" in ok.stdout and not out.exists()
    subprocess.run(run_argv(sols, problems, out), check=False)
    # another verdict-affecting setting: the plan says why, and the run would refuse to replace
    # results judged otherwise unless told to (--force)
    changed = dry("--time-limit", "3")
    assert "check (settings changed: time_limit 2.0 -> 3.0)" in changed.stdout
    assert (
        changed.returncode == ExitCode.USAGE
        and "judged with other settings (time_limit 2.0 -> 3.0)" in changed.stderr
    )
    assert dry("--time-limit", "3", "--force").returncode == 0


def test_contradictions_and_mistakes_are_one_line_naming_the_fix(tmp_path: Path) -> None:
    sols, problems = training_run(tmp_path, {1: [RIGHT]})
    out = tmp_path / "out"
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{oops\n")
    a_file = sols / "checkpoint-1" / "solutions.jsonl"
    for argv, message in (
        ([*run_argv(sols, problems, out), "--json"], "--json goes with --dry-run"),
        (
            [*run_argv(sols, problems, out), "--endpoint", "http://h:2000"],
            "--endpoint is for --executor piston",
        ),
        (run_argv(a_file, problems, out), f"error: {a_file}: is a file, not a folder"),
        (
            [*run_argv(sols, problems, out), "--checkpoint-filter", "checkpoint-9*"],
            "no checkpoint folders matching --checkpoint-filter checkpoint-9* found",
        ),
        (run_argv(sols, bad, out), f"error: {bad}:1: invalid JSON"),
    ):
        done = subprocess.run(argv, capture_output=True, text=True)
        assert done.returncode == ExitCode.USAGE, (argv, done.stderr)
        assert message in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert not out.exists()  # nothing was made for a run that could not start


def test_results_judged_with_other_settings_are_never_replaced_silently(tmp_path: Path) -> None:
    """A rerun with --limit (or any verdict-affecting setting) into a folder of full results
    stops, naming the setting, and leaves them as they were; --force replaces them."""
    sols, problems = training_run(tmp_path, {1: [RIGHT, WRONG, RIGHT]})
    out = tmp_path / "out"
    subprocess.run(run_argv(sols, problems, out), check=True)
    results = out / "eval_checkpoint_1" / "solutions.results.jsonl"
    before = results.read_text()
    narrowed = subprocess.run(
        [*run_argv(sols, problems, out), "--limit", "1"], capture_output=True, text=True
    )
    assert narrowed.returncode == ExitCode.USAGE
    said = "1 file here was judged with other settings (limit None -> 1): pass --force to judge it again"
    assert said in narrowed.stderr
    assert "--force" in narrowed.stderr and results.read_text() == before
    forced = subprocess.run([*run_argv(sols, problems, out), "--limit", "1", "--force"], capture_output=True)
    assert forced.returncode == 0 and len(read_jsonl(results)) == 1


def test_a_filtered_rerun_keeps_every_checkpoint_in_the_summary(tmp_path: Path) -> None:
    """The summary describes every checkpoint in the folder: a rerun of one of them (a
    --checkpoint-filter) keeps the others' entries, marked not selected, in step order."""
    sols, problems = training_run(tmp_path, {100: [RIGHT], 200: [WRONG], 300: [RIGHT, WRONG]})
    out = tmp_path / "out"
    subprocess.run(run_argv(sols, problems, out), check=True)
    full = json.loads((out / "batch_eval_results.json").read_text())
    subprocess.run([*run_argv(sols, problems, out), "--checkpoint-filter", "checkpoint-200"], check=True)
    summary = json.loads((out / "batch_eval_results.json").read_text())
    assert [c["name"] for c in summary["checkpoints"]] == [
        "checkpoint-100",
        "checkpoint-200",
        "checkpoint-300",
    ]
    assert [c.get("selected", True) for c in summary["checkpoints"]] == [False, True, False]
    assert [c["metrics"]["pass_at_k"] for c in summary["checkpoints"]] == [
        c["metrics"]["pass_at_k"] for c in full["checkpoints"]
    ]


def test_an_output_folder_inside_the_solutions_folder_is_never_a_checkpoint(tmp_path: Path) -> None:
    """-o inside -s: the second run judges the same checkpoints, not its own eval folders; and
    the short flags are the wrapper's (-s, -p, -o, -w, -t, -e)."""
    solutions, problems = training_run(tmp_path, {10: [RIGHT], 20: [WRONG]})
    out = solutions / "evals"
    args = ["run", "-s", str(solutions), "-p", str(problems), "-o", str(out), "-w", "2", "-t", "60"]
    for _ in range(2):
        result = CliRunner().invoke(cli, [*args, "-e", "local", "-q"], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        summary = json.loads((out / "batch_eval_results.json").read_text())
        assert [c["name"] for c in summary["checkpoints"]] == ["checkpoint-10", "checkpoint-20"]
    # and an eval folder left in the solutions folder by an older layout is not one either
    (solutions / "eval_checkpoint_10").mkdir()
    metrics = "solutions.metrics.json"
    (out / "eval_checkpoint_10" / metrics).rename(solutions / "eval_checkpoint_10" / metrics)
    result = CliRunner().invoke(cli, [*args, "--dry-run"], catch_exceptions=False)
    assert result.exit_code == 0 and "2 files: 1 done, 1 to check" in result.output
    assert not any(line.startswith("eval_checkpoint_10 ") for line in result.output.splitlines())


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGKILL])
def test_interrupted_work_is_counted_as_what_its_journal_holds(tmp_path: Path, stop: signal.Signals) -> None:
    """Ctrl-C: the file is interrupted (never failed) and its records are the three its
    journal kept; kill -9 of the run: `status` counts the same three, not 0 or all."""
    from batch_eval.reporting.status import read_status, status_text

    sleeper = "import time\ntime.sleep(30)"
    sols, problems = training_run(tmp_path, {1: [RIGHT, RIGHT, RIGHT, sleeper]})
    out = tmp_path / "out"
    proc = subprocess.Popen(
        run_argv(sols, problems, out, "--time-limit", "20", "--test-order", "given", workers=1),
        preexec_fn=as_from_a_terminal,
    )
    journal = out / "eval_checkpoint_1" / ".solutions.journal.jsonl"
    deadline = time.monotonic() + 60
    while not (journal.exists() and len(journal.read_text().splitlines()) == 4):  # its header + 3
        assert time.monotonic() < deadline and proc.poll() is None, "the three records were never judged"
        time.sleep(0.05)
    os.killpg(proc.pid, stop)
    proc.wait(timeout=30)
    status = read_status(out)
    assert status["records"]["done"] == 3, status_text(status)
    if stop == signal.SIGINT:
        assert proc.returncode == ExitCode.INTERRUPTED
        summary = json.loads((out / "batch_eval_results.json").read_text())
        assert summary["totals"]["failed"] == 0 and summary["totals"]["interrupted"] == 1
    else:
        assert status["state"] == "dead"
    assert "records: 3/4 judged in this run" in status_text(status)


def test_the_run_says_counts_in_words_and_only_what_is_informative(tmp_path: Path) -> None:
    """'1 file in 1 checkpoint', not '1 files in 1 checkpoints'; the isolation string only
    with -v (a limited one is a warning of its own); no timing line when nothing was judged."""
    sols, problems = training_run(tmp_path, {1: [RIGHT]})
    argv = [a for a in run_argv(sols, problems, tmp_path / "out") if a != "-q"]
    first = subprocess.run(argv, capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    assert "batch-eval: 1 file in 1 checkpoint, 0 already done, 1 to check\n" in first.stderr
    assert "pass@1 1.000, 1 record |" in first.stderr and "isolation" not in first.stderr
    again = subprocess.run([*argv, "-v"], capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    start = "batch-eval: 1 file in 1 checkpoint, 1 already done, 0 to check; isolation: rlimits"
    assert start in again.stderr
    assert "timing:" not in again.stderr


def test_the_timing_line_counts_the_files_this_run_judged() -> None:
    from io import StringIO
    from types import SimpleNamespace
    from typing import cast

    from batch_eval.batch.pool import FileOutcome
    from batch_eval.reporting.display import PlainDisplay

    stream = StringIO()
    display = PlainDisplay(stream)
    task = cast(Any, SimpleNamespace(checkpoint=SimpleNamespace(name="c"), solutions=Path("s.jsonl")))
    task.results_path, task.log_path = Path("r"), Path("l")
    metrics = {"pass_at_k": {"1": 1.0}, "records": 2, "timing_reruns": 1, "timing_flips": 0}
    summary = cast(
        Any,
        SimpleNamespace(
            status="finished",
            path=Path("x"),
            to_dict=lambda: {
                "totals": {"ok": 1, "failed": 0, "interrupted": 0, "pending": 0},
                "checkpoints": [{"name": "c", "status": "done", "metrics": {**metrics, "timing_reruns": 9}}],
            },
        ),
    )
    display.finish(summary)  # nothing judged by this run: the checkpoints' old re-runs are not news
    assert "timing:" not in stream.getvalue()
    display.file_done(task, FileOutcome("ok", metrics=metrics), summary)
    display.finish(summary)
    assert "timing: 1 test run again near or over the time limit (0 with another verdict" in stream.getvalue()
