"""The run's presence in its output folder: a lock only one run at a time holds (the kernel
frees it when the holder dies, however it dies), and a heartbeat, `.batch_eval/run.json`,
refreshed while the run lives, so that `status` can tell a running batch from one that
died without writing its summary."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import threading
import time
from pathlib import Path
from typing import Any

from batch_eval.errors import BatchEvalError
from batch_eval.files import write_json_atomic

INTERVAL = 5.0
#: a heartbeat older than this means the run is gone (several missed beats)
STALE_AFTER = 30.0


def lock_output_folder(output_dir: Path) -> int:
    """Hold `output_dir` for this run: the open descriptor of `.batch_eval/lock` with an
    exclusive lock (kept by our pool workers too, which inherit it). A second run into the
    same folder is refused with the first one's pid."""
    path = output_dir / ".batch_eval" / "lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "unknown"
        os.close(fd)
        raise BatchEvalError(
            f"another batch-eval run (pid {holder}) is writing to this output folder: "
            "wait for it to finish (`batch-eval watch`) or choose another --output-dir",
            output_dir,
        ) from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    return fd


def refuse_while_a_run_writes(folder: Path) -> None:
    """For a `check` the user starts: refuse when a run holds `folder` (its output folder) or
    its parent (the run's output folder, `folder` one of its eval folders), naming the run;
    judging there would race the run's own checker for the same files."""
    for root in (folder, folder.parent):
        path = root / ".batch_eval" / "lock"
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "unknown"
            raise BatchEvalError(
                f"a batch-eval run (pid {holder}) is writing to {root}: wait for it to finish "
                "(`batch-eval watch`) or choose another --output-dir",
                folder,
            ) from None
        finally:
            os.close(fd)


def heartbeat_path(output_dir: Path) -> Path:
    return output_dir / ".batch_eval" / "run.json"


class Heartbeat:
    """A daemon thread that rewrites the heartbeat file every INTERVAL seconds."""

    def __init__(self, output_dir: Path, interval: float = INTERVAL) -> None:
        self.path = heartbeat_path(output_dir)
        self.interval = interval
        self.started = time.time()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="batch-eval-heartbeat", daemon=True)

    def _body(self, ended: bool = False) -> dict[str, Any]:
        body: dict[str, Any] = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started": self.started,
            "heartbeat": time.time(),
            "interval": self.interval,
        }
        if ended:
            body["ended"] = time.time()
        return body

    def _beat(self) -> None:
        while not self._stop.wait(self.interval):
            # a full disk must not kill the run; status will then call it stale
            with contextlib.suppress(OSError):
                write_json_atomic(self.path, self._body())

    def __enter__(self) -> Heartbeat:
        write_json_atomic(self.path, self._body())
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        write_json_atomic(self.path, self._body(ended=True))


def run_alive(output_dir: Path, now: float | None = None) -> tuple[bool, dict[str, Any]]:
    """Whether the run writing `output_dir` is alive, and its last heartbeat."""
    try:
        beat = json.loads(heartbeat_path(output_dir).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False, {}
    if not isinstance(beat, dict) or "ended" in beat:
        return False, beat if isinstance(beat, dict) else {}
    now = time.time() if now is None else now
    fresh = now - float(beat.get("heartbeat", 0)) < max(
        STALE_AFTER, 3 * float(beat.get("interval", INTERVAL))
    )
    if beat.get("host") == socket.gethostname():
        try:
            os.kill(int(beat.get("pid", 0)), 0)
        except ProcessLookupError:
            return False, beat
        except PermissionError:
            pass  # alive, someone else's
    return fresh, beat
