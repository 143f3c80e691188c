#!/usr/bin/env python3
"""Judge a shared data set with `batch-eval check` and compare with the source's ground truth.

    python scripts/agreement.py e2h_codeforces --out /tmp/agree-e2h [--jobs 2] [check options]
    python scripts/agreement.py codecontests_cf300 --out /tmp/agree --arms 1,auto [--hog 2]

Prints, per checkpoint, how many verdicts agree with the source's pass/fail, split by
whether the problem carries a `checker_note` (where the source's exact-match rule is known
to be wrong), and lists the disagreements for a closer look.

`--arms` compares time multipliers (`--time-multiplier` values) in one run: each
checkpoint is judged once per arm (with `--no-cache`, into `OUT/ARM/`), the arms of a
checkpoint side by side (so they share whatever load the machine has), and a table is
printed per arm. `--hog N` keeps N busy loops running while judging (a loaded machine).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def source_passed(row: dict[str, Any]) -> bool | None:
    verdict = str(row.get("source_verdict"))
    if verdict.startswith(("correct", "accepted")) or verdict == "passed":  # accepted on Codeforces
        return True
    if verdict == "failed":
        return False
    return None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dataset")
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--skip-run", action="store_true", help="only compare existing results")
    ap.add_argument("--checkpoint", action="append", default=[], help="only these checkpoints")
    ap.add_argument("--arms", default="", help="time multipliers to compare, e.g. 1,auto")
    ap.add_argument("--hog", type=int, default=0, help="busy loops kept running while judging")
    args, check_args = ap.parse_known_args()  # the rest goes to batch-eval check
    args.check_args = [a for a in check_args if a != "--"]

    root = args.data / args.dataset
    problems = {json.loads(l)["id"]: json.loads(l) for l in open(root / "problems.jsonl")}
    truth = {}
    for line in open(root / "ground_truth.jsonl"):
        row = json.loads(line)
        truth[(row["checkpoint"], row["key"])] = row
    checkpoints = sorted(p.name for p in (root / "checkpoints").iterdir())
    if args.checkpoint:
        checkpoints = [c for c in checkpoints if c in args.checkpoint]

    arms = [a for a in args.arms.split(",") if a]
    if not arms:
        return _judge_and_compare(args, root, checkpoints, problems, truth, args.out, args.check_args)
    # every (checkpoint, arm), the arms of one checkpoint next to each other: judged side by side
    jobs = [(name, arm) for name in checkpoints for arm in arms]
    hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(args.hog)]
    try:
        if not args.skip_run:
            with ThreadPoolExecutor(args.jobs) as pool:
                codes = list(
                    pool.map(
                        lambda job: _check(
                            root,
                            job[0],
                            args.out / job[1],
                            [*args.check_args, "--time-multiplier", job[1], "--no-cache"],
                        ),
                        jobs,
                    )
                )
            print("exit codes:", dict(zip(map(str, jobs), codes)), file=sys.stderr)
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()
    for arm in arms:
        scales = set()
        for name in checkpoints:
            try:
                metrics = json.loads((args.out / arm / name / "solutions.metrics.json").read_text())
                scales.add((metrics.get("environment") or {}).get("calibration", {}).get("time_scale"))
            except (OSError, ValueError):
                pass
        print(f"\n--time-multiplier {arm} (time scale {sorted(map(str, scales))}, {args.hog} busy loops)")
        args.skip_run = True
        _judge_and_compare(args, root, checkpoints, problems, truth, args.out / arm, args.check_args)
    return 0


def _check(root: Path, name: str, out: Path, check_args: list[str]) -> int:
    """`batch-eval check` of checkpoint `name` into `out/name`; its exit code."""
    cmd = [
        sys.executable,
        "-m",
        "batch_eval",
        "check",
        str(root / "checkpoints" / name / "solutions.jsonl"),
        "--problems",
        str(root / "problems.jsonl"),
        "-o",
        str(out / name),
        "-q",
        *check_args,
    ]
    return subprocess.run(cmd, stdout=subprocess.DEVNULL, check=False).returncode


def _judge_and_compare(
    args: argparse.Namespace,
    root: Path,
    checkpoints: list[str],
    problems: dict[str, Any],
    truth: dict[tuple[str, str], Any],
    out_root: Path,
    check_args: list[str],
) -> int:
    """Judge each checkpoint into `out_root` (unless --skip-run) and print its agreement."""

    def run(name: str) -> int:
        return _check(root, name, out_root, check_args)

    if not args.skip_run:
        with ThreadPoolExecutor(args.jobs) as pool:
            codes = dict(zip(checkpoints, pool.map(run, checkpoints)))
        print("exit codes:", codes, file=sys.stderr)

    print(f"{'checkpoint':32} {'judged':>6} {'agree':>6} {'rate':>7} | no-note agree   | verdicts")
    for name in checkpoints:
        path = out_root / name / "solutions.results.jsonl"
        if not path.exists():
            print(f"{name:32} (no results)")
            continue
        agree = total = plain_agree = plain_total = 0
        verdicts: Counter[str] = Counter()
        disagreements = []
        for line in open(path):
            res = json.loads(line)
            verdicts[res["verdict"]] += 1
            expected = source_passed(truth.get((name, res.get("key")), {}))
            if expected is None or res["verdict"] in ("SKIP", "IE"):
                continue
            ok = res["passed"] == expected
            total += 1
            agree += ok
            noted = bool(problems.get(res["id"], {}).get("checker_note"))
            if not noted:
                plain_total += 1
                plain_agree += ok
            if not ok:
                disagreements.append(
                    (res["id"], res.get("key"), res["verdict"], expected, noted, res.get("reason", "")[:90])
                )
        if total == 0:
            print(f"{name:32} {sum(verdicts.values()):>6} (no source verdicts) {dict(verdicts)}")
            continue
        print(
            f"{name:32} {total:>6} {agree:>6} {agree / total:>7.1%} | {plain_agree}/{plain_total} "
            f"{plain_agree / max(plain_total, 1):.1%} | {dict(sorted(verdicts.items()))}"
        )
        out = out_root / name / "disagreements.jsonl"
        with open(out, "w") as f:
            for d in disagreements:
                f.write(
                    json.dumps(dict(zip(("id", "key", "ours", "source_passed", "checker_note", "reason"), d)))
                    + "\n"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
