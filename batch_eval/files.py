"""Atomic writes: a temporary file in the same folder, fsynced, then renamed into place."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from batch_eval.errors import MACHINE_ERRNOS, file_error
from batch_eval.version import SCHEMA_VERSION, __version__


def stamped(body: dict[str, Any]) -> dict[str, Any]:
    """`body` with the schema and tool versions every JSON file of ours carries first."""
    return {"schema_version": SCHEMA_VERSION, "tool_version": __version__, **body}


def default_cache_dir() -> Path:
    """Where caches live by default: $XDG_CACHE_HOME/batch-eval (~/.cache/batch-eval)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "batch-eval"


def ensure_folder(path: Path, what: str) -> Path:
    """`path` as a folder we can write files in (made if missing), before any work is done;
    else a BatchEvalError naming it and what to do (`what`: e.g. "the output folder")."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise file_error(exc, f"create {what}", path) from None
    try:
        # a real write: root passes every permission check but not a read-only mount
        fd, probe = tempfile.mkstemp(prefix=".batch-eval-probe-", dir=path)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise file_error(exc, f"write in {what}", path) from None
    return path


def write_json_atomic(path: Path, body: dict[str, Any]) -> None:
    with AtomicFile(path) as f:
        json.dump(stamped(body), f, indent=2, sort_keys=False)
        f.write("\n")


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


class AtomicFile:
    """A text file that appears at `path` only when closed without error."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        # its writer's pid in its name: remove_stale_temporaries leaves a live writer's alone
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}-", suffix=".tmp", dir=path.parent)
        # mkstemp makes 0600 files; results are for the user's other tools too
        os.fchmod(fd, 0o666 & ~_umask())
        self.tmp = Path(tmp)
        self.file: IO[str] = os.fdopen(fd, "w", encoding="utf-8")

    def __enter__(self) -> IO[str]:
        return self.file

    def commit(self) -> None:
        self.file.flush()
        os.fsync(self.file.fileno())
        self.file.close()
        os.replace(self.tmp, self.path)

    def abort(self) -> None:
        with contextlib.suppress(OSError):  # a full disk fails the close's flush too
            self.file.close()
        self.tmp.unlink(missing_ok=True)

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is None:
            try:
                self.commit()
            except OSError as failed:
                self.abort()
                _raise_for_machine(failed, self.path)
                raise
        else:
            self.abort()
            if isinstance(exc, OSError):
                _raise_for_machine(exc, self.path)


def remove_stale_temporaries(path: Path, alive: Callable[[int], bool]) -> None:
    """Remove the AtomicFile temporaries of `path` that a killed writer left: those whose
    writer (the pid in the name) is this process or no longer runs (`alive`); another live
    process's file, still being written, stays."""
    for stale in path.parent.glob(f".{path.name}.*.tmp"):
        pid = stale.name[len(path.name) + 2 :].split("-", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and alive(int(pid)):
            continue
        stale.unlink(missing_ok=True)


def _raise_for_machine(exc: OSError, path: Path) -> None:
    """A full disk or a read-only file system met while writing `path`: one line naming it."""
    if exc.errno in MACHINE_ERRNOS:
        raise file_error(exc, "write", path) from None


def previous_metrics(metrics_path: Path) -> Path:
    """Where the metrics of the check a `--redo-ie` checker builds on wait for it."""
    return metrics_path.with_name(metrics_path.name.replace(".metrics.json", ".metrics.previous.json"))
