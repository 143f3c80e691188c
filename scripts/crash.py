#!/usr/bin/env python3
"""Crash safety, measured: a real multi-checkpoint batch killed with SIGKILL at random moments,
resumed each time, must end with the summary and results of an uninterrupted run.

    python scripts/crash.py [--kills 20] [--records 40] [--seed 1] [--keep DIR] [--no-cache]

The batch: the shared HumanEval sets as four checkpoints of `--records` solutions each. One
uninterrupted `run` into its own folder and cache gives the expected outcome and its time;
then `run` into a second folder (and cache) is started and SIGKILLed (the run process alone,
as the OOM killer or a scheduler would) `--kills` times: half at a random moment, half just
as the summary file was rewritten (a file finished: summary, cache and journal writes follow),
then a last `run` finishes it (`--no-cache`: every run without the verdict cache, so a
resume has only the journals). Passes when every checkpoint's verdict counts and pass@1 and
every results file's (line, id, verdict) sequence equal the uninterrupted run's: no record
lost, none twice. Prints kills, resumes, records compared and the extra seconds the kills cost.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.conftest import run_argv  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "humaneval"
SUMMARY = "batch_eval_results.json"


def make_batch(root: Path, records: int) -> Path:
    """checkpoint-N folders, one per model, each the first `records` solutions."""
    models = sorted(p for p in (DATA / "checkpoints").iterdir() if p.is_dir())
    for step, model in enumerate(models, start=1):
        lines = (model / "solutions.jsonl").read_text(encoding="utf-8").splitlines()[:records]
        folder = root / "sols" / f"checkpoint-{step * 100}"
        folder.mkdir(parents=True)
        (folder / "solutions.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root / "sols"


def argv(sols: Path, out: Path, cache: Path, no_cache: bool) -> list[str]:
    extra = ["--no-cache"] if no_cache else []
    return run_argv(sols, DATA / "problems.jsonl", out, "--cache-dir", str(cache), *extra, workers=2)


def outcome(out: Path) -> dict[str, Any]:
    """What a user decides from: per checkpoint its status, records, verdicts and pass@1;
    per results file its (line, id, verdict) sequence."""
    summary = json.loads((out / SUMMARY).read_text())
    checkpoints = {
        c["name"]: (c["status"], c["metrics"]["records"], c["metrics"]["verdicts"], c["metrics"]["pass_at_k"])
        for c in summary["checkpoints"]
    }
    results = {}
    for path in sorted(out.glob("eval_*/*.results.jsonl")):
        lines = [json.loads(text) for text in path.read_text(encoding="utf-8").splitlines()]
        results[str(path.relative_to(out))] = [(x["line"], x["id"], x["verdict"]) for x in lines]
    return {"status": summary["status"], "checkpoints": checkpoints, "results": results}


def kill_once(command: list[str], out: Path, rng: random.Random, horizon: float, on_write: bool) -> float:
    """Start `command`, SIGKILL it at a random moment (or just after the summary changed);
    the seconds it ran."""
    summary = out / SUMMARY
    before = summary.stat().st_mtime_ns if summary.exists() else 0
    start = time.monotonic()
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = start + rng.uniform(0.3, horizon)
    while proc.poll() is None and time.monotonic() < deadline:
        if (
            on_write
            and summary.exists()
            and summary.stat().st_mtime_ns != before
            and time.monotonic() > start + 1
        ):
            break  # a file just finished: its summary, cache and journal writes are under way
        time.sleep(0.005)
    proc.kill()
    proc.wait()
    return time.monotonic() - start


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kills", type=int, default=20)
    ap.add_argument("--records", type=int, default=40, help="solutions per checkpoint")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep", type=Path, help="work in this folder and keep it")
    ap.add_argument("--no-cache", action="store_true", help="resume from the journals alone")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    root = args.keep or Path(tempfile.mkdtemp(prefix="batch-eval-crash-"))
    root.mkdir(parents=True, exist_ok=True)
    try:
        sols = make_batch(root, args.records)
        start = time.monotonic()
        subprocess.run(
            argv(sols, root / "clean", root / "cache-clean", args.no_cache),
            check=False,
            stdout=subprocess.DEVNULL,
        )
        clean_s = time.monotonic() - start
        expected = outcome(root / "clean")

        killed = argv(sols, root / "killed", root / "cache-killed", args.no_cache)
        spent = 0.0
        kills = 0
        for k in range(args.kills):
            spent += kill_once(killed, root / "killed", rng, clean_s, on_write=k % 2 == 1)
            kills += 1
        start = time.monotonic()
        final = subprocess.run(
            killed, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        spent += time.monotonic() - start
        got = outcome(root / "killed")
        records = sum(len(lines) for lines in expected["results"].values())
        same = got == expected
        print(
            f"crash safety: {kills} kills, {kills} resumes + 1 final run (exit {final.returncode}); "
            f"{records} records in {len(expected['results'])} files compared: "
            f"{'equal' if same else 'DIFFERENT'}; uninterrupted {clean_s:.1f} s, "
            f"killed and resumed {spent:.1f} s in all ({spent - clean_s:+.1f} s)"
        )
        if not same:
            for key in ("status", "checkpoints"):
                if got[key] != expected[key]:
                    print(f"  {key}: expected {expected[key]}\n  {key}: got      {got[key]}")
            for name, lines in expected["results"].items():
                mine = got["results"].get(name)
                if mine != lines:
                    print(
                        f"  {name}: {len(lines)} lines expected, {len(mine or [])} got; first difference at "
                        f"{next((i for i, (a, b) in enumerate(zip(lines, mine or [])) if a != b), 'the end')}"
                    )
            print(final.stderr.strip()[-2000:])
        return 0 if same else 1
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
