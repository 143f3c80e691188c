"""The identity of the judging code: a hash of the modules that decide verdicts, so that
cached verdicts and resumed files of an older judge are never taken for this one's."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
#: what decides verdicts: the judging and executors packages, their settings and vocabulary
#: (batch, reporting, the command line and file helpers only schedule, store or present)
JUDGING = ("judging", "executors", "config.py", "verdict.py")


@cache
def judging_code() -> str:
    """sha256 (16 hex digits) over the judging modules' sources, by path."""
    h = hashlib.sha256()
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE)
        if relative.parts[0] not in JUDGING:
            continue
        h.update(str(relative).encode() + b"\0")
        h.update(path.read_bytes())
    return h.hexdigest()[:16]
