"""The identity of the judging code: a hash of the modules that decide verdicts, so that
cached verdicts and resumed files of an older judge are never taken for this one's."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
#: modules that only present, schedule or store results: they cannot change a verdict
NOT_JUDGING = frozenset(
    {
        "cli.py",
        "display.py",
        "status.py",
        "report.py",
        "stats.py",
        "plot.py",
        "tracking.py",
        "run.py",
        "pool.py",
        "scan.py",
        "plan.py",
        "summary.py",
        "heartbeat.py",
        "files.py",
        "errors.py",
        "journal.py",
        "__main__.py",
    }
)


@cache
def judging_code() -> str:
    """sha256 (16 hex digits) over the judging modules' sources, by path."""
    h = hashlib.sha256()
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name in NOT_JUDGING and path.parent == PACKAGE:
            continue
        h.update(str(path.relative_to(PACKAGE)).encode() + b"\0")
        h.update(path.read_bytes())
    return h.hexdigest()[:16]
