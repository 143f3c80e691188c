"""User-facing failures and the exit codes the command line maps outcomes to."""

from __future__ import annotations

from enum import IntEnum
from pathlib import Path


class ExitCode(IntEnum):
    """Exit statuses of every batch-eval command (listed in --help)."""

    OK = 0  # everything asked for was judged
    INCOMPLETE = 1  # some records or files were skipped, or some verdicts are IE
    USAGE = 2  # bad options or bad input before any work
    INTERNAL = 3  # a bug in batch-eval: please report it with the traceback
    INTERRUPTED = 130  # Ctrl-C


class BatchEvalError(Exception):
    """An expected failure the user can fix; printed as `path:line: message`."""

    def __init__(self, message: str, path: str | Path | None = None, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.path = str(path) if path is not None else None
        self.line = line

    def __str__(self) -> str:
        where = ""
        if self.path is not None:
            where = f"{self.path}:{self.line}: " if self.line is not None else f"{self.path}: "
        return f"{where}{self.message}"
