"""What every executor knows of problems' C++ testlib programs (interactors, checkers): that a
source is one, and the testlib.h it is built against (ours, shipped as package data, or the
real one a user names). Building them is each executor's: local/testlib.py on this machine,
our Piston package's compile stage on a server."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from batch_eval.errors import BatchEvalError

#: the environment variable naming a testlib.h to use instead of ours
HEADER_ENV = "BATCH_EVAL_TESTLIB"
#: our own header, shipped in the package
OWN_HEADER = Path(__file__).resolve().parent / "sandbox" / "testlib" / "testlib.h"


def is_cpp(source: str) -> bool:
    """Whether a problem's interactor or checker source is C++ (testlib's) rather than Python."""
    return "#include" in source


def header(explicit: str | None = None) -> Path:
    """The testlib.h to compile against: `explicit`, else $BATCH_EVAL_TESTLIB, else ours;
    a named one that is not a readable file is bad input (BatchEvalError)."""
    named = explicit or os.environ.get(HEADER_ENV) or ""
    if not named:
        return OWN_HEADER
    path = Path(named).expanduser()
    if path.is_dir():
        path = path / "testlib.h"
    if not (path.is_file() and os.access(path, os.R_OK)):
        raise BatchEvalError(
            f"testlib.h {named}: no readable file there — pass the path of testlib.h "
            f"(--testlib PATH or {HEADER_ENV})"
        )
    return path.resolve()


def header_digest(path: Path) -> str:
    """What identifies a header's content (for the verdict cache's keys)."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]
