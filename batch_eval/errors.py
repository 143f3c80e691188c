"""User-facing failures and the exit codes the command line maps outcomes to."""

from __future__ import annotations

import errno
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


#: what to do about the file-system errors a user's machine gives
_ADVICE = {
    errno.ENOSPC: "the disk is full: free some space and run again (finished work is kept)",
    errno.EDQUOT: "the disk quota is used up: free some space and run again (finished work is kept)",
    errno.EROFS: "a read-only file system: choose a folder on a writable one",
    errno.EACCES: "no permission: choose a folder you can write to, or fix its permissions",
    errno.EPERM: "not permitted: choose a folder you can write to",
    errno.EEXIST: "a file is in the way: pass a folder path, or move the file",
    errno.ENOTDIR: "part of the path is a file, not a folder: pass a folder path",
    errno.ENOENT: "no such file or folder",
}


#: file-system failures that are the machine's state, not a bug of ours
MACHINE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS})


def file_error(exc: OSError, what: str, path: str | Path | None = None) -> BatchEvalError:
    """A file-system failure as one line: the path, what we were doing, what to do."""
    where = path if path is not None else exc.filename
    advice = _ADVICE.get(exc.errno or 0, exc.strerror or str(exc))
    return BatchEvalError(f"cannot {what}: {advice}", where)


def json_error(exc: ValueError) -> str:
    """`Expecting ',' delimiter at column 27` for a json.JSONDecodeError (its message without
    the dangling "at" some of them end with)."""
    msg = str(getattr(exc, "msg", exc)).removesuffix(" at")
    column = getattr(exc, "colno", None)
    return f"{msg} at column {column}" if column is not None else msg
