"""A stand-in for `python -m batch_eval check`, driven by the first record of its solutions file.

Behaviours: ok, crash, garbage, hang (with a child), barrier (waits until N checkers run at once).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path


def main() -> int:
    args = sys.argv[1:]
    assert args[0] == "check"
    solutions = Path(args[1])
    out = Path(args[args.index("-o") + 1])
    stem = args[args.index("--stem") + 1]
    order = json.loads(solutions.read_text().splitlines()[0])
    behave = order["behave"]
    out.mkdir(parents=True, exist_ok=True)
    if behave == "crash":
        print("Traceback (most recent call last):\nValueError: boom in the checker", file=sys.stderr)
        return 3
    if behave == "garbage":
        (out / f"{stem}.metrics.json").write_text("{not json")
        return 0
    if behave == "hang":
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
        Path(order["pidfile"]).write_text(f"{os.getpid()} {child.pid}")
        time.sleep(300)
    if behave == "barrier":
        folder = Path(order["barrier"])
        folder.mkdir(exist_ok=True)
        (folder / out.name).write_text("here")
        deadline = time.monotonic() + 20
        while len(list(folder.iterdir())) < order["parties"]:
            if time.monotonic() > deadline:
                print("barrier: alone after 20 s", file=sys.stderr)
                return 3
            time.sleep(0.02)
    (out / f"{stem}.results.jsonl").write_text("")
    metrics = {
        "pass_at_k": {"1": 1.0},
        "records": 1,
        "judged": 1,
        "passed": 1,
        "verdicts": {"AC": 1},
        "ie": 0,
        "skipped_records": 0,
        "per_problem": {"x": [1, 1]},
        "tests_run": 1,
    }
    (out / f"{stem}.metrics.json").write_text(json.dumps(metrics))
    return 0


if __name__ == "__main__":
    sys.exit(main())
