"""A file-system jail for solutions: Linux mount (and network) namespaces, made with the
kernel's own calls (no helper binary), entered by a child before it runs a solution.

Inside: every mount read-only and nosuid; a fresh tmpfs of a fixed size and file count on /tmp (also
seen at /dev/shm and /var/tmp), so the only place a solution can write is private, dies
with it and caps its disk use; /root and /home empty; the executor's folder (program,
inputs) and the folders it names (the interpreter's installation, the precompiled header)
visible read-only at their own paths; chosen folders (a compiler's output) writable. Needs
Linux >= 5.12 (mount_setattr) and root, or, for other users, unprivileged user namespaces;
`works()` says whether this machine allows it.
"""

from __future__ import annotations

import ctypes
import os
import struct
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

CLONE_NEWNS = 0x00020000
CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000
MS_NOSUID = 0x2
MS_NODEV = 0x4
MS_BIND = 0x1000
MS_REC = 0x4000
MS_PRIVATE = 1 << 18
AT_FDCWD = -100
AT_EMPTY_PATH = 0x1000
AT_RECURSIVE = 0x8000
OPEN_TREE_CLONE = 1
OPEN_TREE_CLOEXEC = 0o2000000
MOVE_MOUNT_F_EMPTY_PATH = 0x4
MOUNT_ATTR_RDONLY = 0x1
MOUNT_ATTR_NOSUID = 0x2
MOUNT_ATTR_NODEV = 0x4
# the same numbers on every Linux architecture but alpha (new calls share one table)
SYS_OPEN_TREE = 428
SYS_MOVE_MOUNT = 429
SYS_MOUNT_SETATTR = 442

TMP = "/tmp"
TMP_FILES = 65536  # files and folders on it: what the fork server empties after a test
ALSO_TMP = ("/dev/shm", "/var/tmp")
HIDDEN = ("/root", "/home")

_libc: ctypes.CDLL | None = None


def _c() -> ctypes.CDLL:
    global _libc
    if _libc is None:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.mount.argtypes = [
            ctypes.c_char_p,
            ctypes.c_char_p,
            ctypes.c_char_p,
            ctypes.c_ulong,
            ctypes.c_char_p,
        ]
        libc.syscall.restype = ctypes.c_long
        _libc = libc
    return _libc


def _check(result: int, what: str) -> int:
    if result < 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")
    return result


def _enc(text: str | None) -> bytes | None:
    return None if text is None else text.encode()


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    call = _c().mount(_enc(source), _enc(target), _enc(fstype), flags, _enc(data))
    _check(call, f"mount {target}")


def _setattr(dirfd: int, path: str, flags: int, set_: int = 0, clear: int = 0) -> None:
    attr = ctypes.create_string_buffer(struct.pack("QQQQ", set_, clear, 0, 0), 32)
    call = _c().syscall(SYS_MOUNT_SETATTR, dirfd, path.encode(), flags, attr, 32)
    _check(call, f"mount_setattr {path or dirfd}")


def _enter_user_namespace() -> None:
    """Without root: a user namespace of our own (the kernel allows it unprivileged on most
    distributions) gives the right to make the mount and network namespaces; we stay the
    same user in it (no other ids are mapped), so nothing is gained outside."""
    uid, gid = os.getuid(), os.getgid()
    _check(_c().unshare(CLONE_NEWUSER), "unshare a user namespace")
    for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"), ("gid_map", f"{gid} {gid} 1")):
        with open(f"/proc/self/{name}", "w") as f:
            f.write(text)


def _clone(path: str) -> int:
    """A detached, read-only copy of the mounts at `path`, to be put back after the hiding."""
    flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE
    tree = _check(_c().syscall(SYS_OPEN_TREE, AT_FDCWD, path.encode(), flags), f"open_tree {path}")
    _setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID)
    return tree


def enter(
    keep: str,
    tmp_bytes: int,
    writable: Sequence[str] = (),
    no_network: bool = False,
    reveal: Sequence[str] = (),
) -> None:
    """Put the calling process in the jail (see the module's text). `keep` and `reveal`:
    folders shown read-only at their own paths, even under a hidden folder (the
    interpreter's installation under /root); `writable`: folders under `keep` left writable."""
    libc = _c()
    if os.geteuid() != 0:
        _enter_user_namespace()
    _check(libc.unshare(CLONE_NEWNS | (CLONE_NEWNET if no_network else 0)), "unshare")
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    shown = [keep, *reveal]
    trees = [_clone(path) for path in shown]
    try:
        _setattr(AT_FDCWD, "/", AT_RECURSIVE, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID)
        mount_tmpfs(TMP, tmp_bytes, 0o1777, TMP_FILES)
        for other in ALSO_TMP:
            if os.path.isdir(other):
                _mount(TMP, other, None, MS_BIND)
        hidden = [home for home in HIDDEN if os.path.isdir(home)]
        for home in hidden:  # users' files (keys, tokens): an empty folder instead
            mount_tmpfs(home, 1 << 20, 0o755)
        for path, tree in zip(shown, trees):
            os.makedirs(path, mode=0o755, exist_ok=True)
            moved = libc.syscall(SYS_MOVE_MOUNT, tree, b"", AT_FDCWD, path.encode(), MOVE_MOUNT_F_EMPTY_PATH)
            _check(moved, f"move_mount {path}")
        for home in hidden:
            _setattr(AT_FDCWD, home, 0, MOUNT_ATTR_RDONLY)
    finally:
        for tree in trees:
            os.close(tree)
    for path in writable:
        _mount(path, path, None, MS_BIND)
        _setattr(AT_FDCWD, path, 0, clear=MOUNT_ATTR_RDONLY)


def mount_tmpfs(target: str, size: int, mode: int, files: int | None = None) -> None:
    """A fresh, private file system in memory of at most `size` bytes (and `files` files
    and folders) at `target`."""
    options = f"size={size},mode={mode:o}" + (f",nr_inodes={files}" if files else "")
    _mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV, options)


def bind_writable(source: str, target: str) -> None:
    """Show the file `source` (under the read-only folder) at `target`, writable."""
    with open(target, "ab"):
        pass
    _mount(source, target, None, MS_BIND)
    _setattr(AT_FDCWD, target, 0, clear=MOUNT_ATTR_RDONLY)


@dataclass(frozen=True)
class Jail:
    """What one jailed process sees: `keep` read-only, `writable` folders, a private /tmp
    of `tmp_bytes`; optionally its stdin copied to `input_copy` and a host file shown
    writable at `output_bind[1]` (problems that read input.txt and write output.txt)."""

    keep: str
    tmp_bytes: int
    writable: tuple[str, ...] = ()
    input_copy: str | None = None
    output_bind: tuple[str, str] | None = None
    reveal: tuple[str, ...] = ()

    def apply(self, no_network: bool) -> None:  # pragma: no cover - in the child
        enter(self.keep, self.tmp_bytes, self.writable, no_network, self.reveal)
        if self.input_copy is not None:
            with open(self.input_copy, "wb") as f:
                f.write(os.pread(0, os.fstat(0).st_size, 0))
        if self.output_bind is not None:
            bind_writable(*self.output_bind)


@cache
def works() -> bool:
    """Whether this machine lets a child enter the jail, and the jail holds: a write outside
    /tmp fails, one inside works."""
    with tempfile.TemporaryDirectory(prefix="batch-eval-jail-probe-") as keep:
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the probe child
            code = 1
            try:
                enter(keep, 1 << 20)
                try:
                    open(os.path.join(keep, "x"), "w").close()
                except OSError:
                    with open(os.path.join(TMP, "x"), "w") as f:
                        f.write("x")
                    code = 0
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
    return os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
