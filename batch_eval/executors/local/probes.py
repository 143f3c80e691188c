"""What the local executor's start-up probes found on this machine, remembered until the
next boot so a check does not start a sandboxed interpreter to ask again (issue 27).

The memo is /run/batch-eval/probes.json: only root writes there (solutions, which run as
`nobody`, cannot), /run is emptied at boot, and it is trusted only while it and its folder
are root's and nobody else may write them. Each answer is keyed on everything that decides
it: the judging code, the boot, and the owner, mode and change time of every file and folder
the probed interpreter is reached through (a chmod or chown changes a change time).
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from collections.abc import Callable, Iterable
from pathlib import Path

from batch_eval.identity import judging_code

FOLDER = Path("/run/batch-eval")
VERSION = 1
#: answers kept (the newest)
KEPT = 32


def fingerprint(parts: Iterable[str], paths: Iterable[str]) -> str:
    """A key over `parts`, the judging code, the boot, and what `paths` and each of their
    parent folders are (inode, owner, mode, change time; or missing)."""
    h = hashlib.sha256(f"v{VERSION}|{judging_code()}|{_boot_id()}".encode())
    for part in parts:
        h.update(b"\0" + part.encode())
    seen: set[str] = set()
    for path in paths:
        while path not in seen:
            seen.add(path)
            path = os.path.dirname(path) or "/"
    for path in sorted(seen):
        try:
            st = os.lstat(path)
            h.update(f"\0{path}|{st.st_ino}|{st.st_uid}|{st.st_gid}|{st.st_mode}|{st.st_ctime_ns}".encode())
        except OSError:
            h.update(f"\0{path}|missing".encode())
    return h.hexdigest()[:32]


def remembered(name: str, key: str, probe: Callable[[], int | None]) -> int | None:
    """`probe()`, asked once per `key` and remembered under `name` while the memo is ours;
    asked every time where it cannot be (not root, no /run)."""
    path = FOLDER / "probes.json"
    memo = _read(path)
    entry = f"{name}|{key}"
    if entry in memo:
        value = memo[entry]
        if value is None or isinstance(value, int):
            return value
    value = probe()
    if memo is not _UNTRUSTED:
        # several judges (installs, versions) on one machine each keep theirs; the oldest go
        memo = {k: v for k, v in list(memo.items())[-(KEPT - 1) :] if k != entry}
        memo[entry] = value
        try:
            tmp = path.with_name(f".probes.{os.getpid()}.tmp")
            tmp.write_text(json.dumps(memo))
            os.replace(tmp, path)
        except OSError:
            pass  # nowhere to remember it: asked again next time
    return value


_UNTRUSTED: dict[str, object] = {}


def _read(path: Path) -> dict[str, object]:
    """The memo; `_UNTRUSTED` when its folder or the file is not root's alone."""
    if os.geteuid() != 0 or not _ours(path.parent):
        return _UNTRUSTED
    if not path.exists():
        return {}
    if not _ours(path):
        return _UNTRUSTED
    try:
        memo = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return memo if isinstance(memo, dict) else {}


def _ours(path: Path) -> bool:
    try:
        st = os.lstat(path)
    except OSError:
        return False
    if stat.S_ISLNK(st.st_mode):
        return False
    return st.st_uid == 0 and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def _boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""
