#!/usr/bin/env python3
"""Judge a shared data set with `batch-eval check` and compare with the source's ground truth.

    python scripts/agreement.py e2h_codeforces --out /tmp/agree-e2h [--jobs 2] [check options]

Prints, per checkpoint, how many verdicts agree with the source's pass/fail, split by
whether the problem carries a `checker_note` (where the source's exact-match rule is known
to be wrong), and lists the disagreements for a closer look.
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
    if verdict.startswith("correct") or verdict == "passed":
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

    def run(name: str) -> int:
        cmd = [
            sys.executable,
            "-m",
            "batch_eval",
            "check",
            str(root / "checkpoints" / name / "solutions.jsonl"),
            "--problems",
            str(root / "problems.jsonl"),
            "-o",
            str(args.out / name),
            "-q",
            *args.check_args,
        ]
        return subprocess.run(cmd, stdout=subprocess.DEVNULL, check=False).returncode

    if not args.skip_run:
        with ThreadPoolExecutor(args.jobs) as pool:
            codes = dict(zip(checkpoints, pool.map(run, checkpoints)))
        print("exit codes:", codes, file=sys.stderr)

    print(f"{'checkpoint':32} {'judged':>6} {'agree':>6} {'rate':>7} | no-note agree   | verdicts")
    for name in checkpoints:
        path = args.out / name / "solutions.results.jsonl"
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
        out = args.out / name / "disagreements.jsonl"
        with open(out, "w") as f:
            for d in disagreements:
                f.write(
                    json.dumps(dict(zip(("id", "key", "ours", "source_passed", "checker_note", "reason"), d)))
                    + "\n"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
