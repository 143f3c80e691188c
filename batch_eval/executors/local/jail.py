"""A jail for solutions that shows them nothing of the host: Linux mount, IPC, PID (and
network) namespaces, made with the kernel's own calls (no helper binary), entered by a child
before it runs a solution.

Inside, a fresh root (a small read-only tmpfs, pivoted to) holds only: the system folders the
languages need (/usr and /bin, /lib... or their links), a few /etc entries (the loader's
cache, alternatives, the JVM's and Python's own; passwd and group naming only root, nobody
and us), /dev with null, zero, full, random and urandom, a /proc of the jail's own PID
namespace (only its processes show, nothing of the judge), a fresh tmpfs of a fixed size and
file count on /tmp (also seen at /dev/shm and /var/tmp: the only place a solution can write,
private, dies with it, caps its disk use), and the folders the executor names at their own
paths, read-only: its program's folder (`keep`) and what the program needs beside /usr (the
interpreter's installation, a toolchain, the precompiled header); chosen folders (a
compiler's output) writable. No problems file, no checkout, no home, no host /tmp, no other
checker's folder. System V IPC is the jail's own: what a program leaves there is removed
when it ends, and never seen by the next. Needs Linux >= 5.12 (mount_setattr) and root, or,
for other users, unprivileged user namespaces; `works()` says whether this machine allows it.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import resource
import signal
import struct
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from batch_eval.executors.local import probes
from batch_eval.executors.sandbox import sandboxlib

CLONE_NEWNS = 0x00020000
CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWPID = 0x20000000
MNT_DETACH = 2
PR_SET_DUMPABLE = 4
MS_NOEXEC = 0x8
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
SYS_PIVOT_ROOT = 155  # x86-64 (the one call above not shared by every architecture)

TMP = "/tmp"
TMP_FILES = 65536  # files and folders on it: what the fork server empties after a test
ALSO_TMP = ("/dev/shm", "/var/tmp")
#: the host folders shown (each, or its link to usr/, when the host has it)
SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
DEVICES = ("/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom")
#: /etc entries shown: the loader's, the alternatives' links (java), name lookups' rules
ETC = frozenset(
    {
        "ld.so.cache",
        "ld.so.conf",
        "ld.so.conf.d",
        "alternatives",
        "nsswitch.conf",
        "localtime",
        "timezone",
        "host.conf",
        "gai.conf",
        "protocols",
        "services",
        "mime.types",
        "os-release",
        "debian_version",
        "locale.alias",
    }
)
ETC_FAMILIES = ("java-", "python3", "pypy")  # a JDK's conf links, Debian's sitecustomize
STAGE = "/tmp"  # where the new root is built (in our own mount namespace) before the pivot

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


def _clone(path: str, readonly: bool = True) -> int:
    """A detached copy of the mounts at `path` (read-only, no devices, unless not
    `readonly`: a device node), to be put in the new root."""
    flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE
    tree = _check(_c().syscall(SYS_OPEN_TREE, AT_FDCWD, path.encode(), flags), f"open_tree {path}")
    attrs = MOUNT_ATTR_NOSUID | (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NODEV if readonly else 0)
    _setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, attrs)
    return tree


def enter(
    keep: str,
    tmp_bytes: int,
    writable: Sequence[str] = (),
    no_network: bool = False,
    reveal: Sequence[str] = (),
) -> None:
    """Put the calling process in new mount and IPC (and network) namespaces whose root is a
    fresh, read-only one holding only what the languages need (see the module's text).
    `keep` and `reveal`: folders shown read-only at their own paths; `writable`: folders
    under `keep` left writable. /proc stays empty until `split` mounts one."""
    libc = _c()
    if os.geteuid() != 0:
        _enter_user_namespace()
    flags = CLONE_NEWNS | CLONE_NEWIPC | (CLONE_NEWNET if no_network else 0)
    _check(libc.unshare(flags), "unshare")
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    shown: list[str] = []
    for path in [*_system(), keep, *reveal]:  # a folder under one shown already is shown
        if os.path.exists(path) and not any(path == p or path.startswith(p + "/") for p in shown):
            shown.append(path)
    devices = [d for d in DEVICES if os.path.exists(d)]
    # taken before the new root covers them (our folder may live under the host's /tmp)
    trees = {path: _clone(path) for path in shown}
    nodes = {dev: _clone(dev, readonly=False) for dev in devices}
    etc = {name: _etc_entry(name) for name in _etc_names()}
    try:
        _mount("tmpfs", STAGE, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,nr_inodes=4096,mode=755")
        os.chdir(STAGE)
        for top in ("tmp", "proc", "dev", "etc"):
            os.mkdir(top, 0o755)
        mount_tmpfs("tmp", tmp_bytes, 0o1777, TMP_FILES)
        for link in SYSTEM:
            if os.path.islink(link):
                os.symlink(os.readlink(link), link.lstrip("/"))
        for path, tree in trees.items():
            _attach(tree, path.lstrip("/"))
        for dev, tree in nodes.items():
            _attach(tree, dev.lstrip("/"), folder=False)
        for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0")):
            os.symlink(target, f"dev/{name}")
        os.symlink("/proc/self/fd/1", "dev/stdout")
        os.symlink("/proc/self/fd/2", "dev/stderr")
        for name, entry in etc.items():
            if isinstance(entry, str):
                os.symlink(entry, f"etc/{name}")
            else:
                _attach(entry, f"etc/{name}", folder=os.path.isdir(f"/etc/{name}"))
        for name, text in _accounts().items():
            with open(f"etc/{name}", "w") as f:
                f.write(text)
        for other in ALSO_TMP:
            os.makedirs(other.lstrip("/"), 0o755, exist_ok=True)
            _mount("tmp", other.lstrip("/"), None, MS_BIND)
        _check(libc.syscall(SYS_PIVOT_ROOT, b".", b"."), "pivot_root")
        _check(libc.umount2(b".", MNT_DETACH), "detach the host's root")
        os.chdir("/")
        _setattr(AT_FDCWD, "/", 0, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID)
    finally:
        for fd in [*trees.values(), *nodes.values(), *(e for e in etc.values() if isinstance(e, int))]:
            os.close(fd)
    for path in writable:
        _mount(path, path, None, MS_BIND)
        _setattr(AT_FDCWD, path, 0, clear=MOUNT_ATTR_RDONLY)


def _system() -> list[str]:
    """The host folders every language needs (the rest of / is not shown)."""
    return [p for p in SYSTEM if not os.path.islink(p)]


def _attach(tree: int, target: str, folder: bool = True) -> None:
    """Mount the detached `tree` at `target` (relative to the new root), made first."""
    if folder:
        os.makedirs(target, 0o755, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(target) or ".", 0o755, exist_ok=True)
        open(target, "w").close()
    moved = _c().syscall(SYS_MOVE_MOUNT, tree, b"", AT_FDCWD, target.encode(), MOVE_MOUNT_F_EMPTY_PATH)
    _check(moved, f"move_mount {target}")


def _etc_names() -> list[str]:
    try:
        names = os.listdir("/etc")
    except OSError:
        return []
    return sorted(n for n in names if n in ETC or n.startswith(ETC_FAMILIES))


def _etc_entry(name: str) -> str | int:
    """An /etc entry to show: a link is made again as a link, anything else is cloned."""
    path = f"/etc/{name}"
    return os.readlink(path) if os.path.islink(path) else _clone(path)


def _accounts() -> dict[str, str]:
    """/etc/passwd and /etc/group naming only root, nobody and us (Java and `id` look the
    user up; the host's lists of users are none of a program's business)."""
    users = {0: ("root", "root"), 65534: ("nobody", "nogroup")}
    users.setdefault(os.getuid(), ("user", "user"))
    gids = {0: 0, 65534: 65534, os.getuid(): os.getgid()}
    passwd = "".join(f"{user}:x:{uid}:{gids[uid]}::/tmp:/bin/sh\n" for uid, (user, _) in users.items())
    group = "".join(f"{name}:x:{gids[uid]}:\n" for uid, (_, name) in users.items())
    return {"passwd": passwd, "group": group, "hosts": "127.0.0.1 localhost\n"}


def split(
    reap: bool,
    out: int = -1,
    at_end: Callable[[int], None] | None = None,
    oom: int = -1,
    waiter: str | None = None,
) -> None:
    """Make the caller's namespaces' processes a PID namespace of their own and mount its
    /proc: only its processes show, nothing of the judge. The caller stays behind, outside,
    waiting, and exits as the namespace's first process does (so whoever started it sees one
    process and its status); the call returns in that first process, the namespace's init.
    `reap`: the init forks once more, and the call returns in that child, while the init
    reaps every process of the namespace, then removes what they left in System V IPC, and
    hands the child's status out (a program must not be an init: the kernel would ignore the
    signals it sends itself); once every process of it is gone, `at_end(out)` runs there (`out`:
    a descriptor kept open for it). Not `reap`: the caller is an init of its own (the fork
    server). `oom`: the caller's oom_score_adj, opened while the host's /proc was in sight.
    `waiter`: a Python the waiter outside becomes (exec), so that it no longer shows the
    judge's memory (a long-lived server's: the memory cgroup's killer picks the largest)."""
    libc = _c()
    prctl = sandboxlib.load_prctl()
    sandboxlib.die_with_parent(prctl)
    status_r, status_w = os.pipe()
    _check(libc.unshare(CLONE_NEWPID), "unshare a PID namespace")
    pid = os.fork()
    if pid:  # pragma: no cover - the waiter outside
        os.close(status_w)
        _close_all_but(status_r, oom)
        if oom >= 0:
            _spare_from_oom_killer(oom)
        if waiter is not None:
            os.execv(waiter, [waiter, "-S", "-c", WAITER, str(pid)])
        _, status = _waitpid(pid)
        told = os.read(status_r, 16)
        _exit_as(int(told) if told else status)
    os.close(status_r)
    sandboxlib.die_with_parent(prctl)
    _forget_the_judge(prctl)
    _mount_proc()
    if oom >= 0:
        os.close(oom)  # the waiter's
    if not reap:
        os.close(status_w)
        return
    child = os.fork()
    if child == 0:
        os.close(status_w)
        if out >= 0:
            os.close(out)
        sandboxlib.die_with_parent(prctl)
        return
    _close_all_but(status_w, out)  # pragma: no cover - the namespace's init from here on
    with contextlib.suppress(OSError):  # (an empty /proc: see _mount_proc)
        _spare_from_oom_killer(os.open("/proc/self/oom_score_adj", os.O_WRONLY))
    status = _reap_until(child)
    # a test ends when all its processes have: those it left running keep it going (to the
    # wall clock, where the runner kills it: TLE), as a judge waiting for its output to close
    _reap_until(None)
    with contextlib.suppress(OSError):
        os.kill(-1, signal.SIGKILL)  # every process left in the namespace (not the init itself)
    _reap_until(None)
    if at_end is not None:
        at_end(out)
    sandboxlib.clear_ipc(sandboxlib.load_libc())
    os.write(status_w, str(status).encode())
    os._exit(0)


WAITER = """
import os, resource, sys
while True:
    try:
        _, status = os.waitpid(int(sys.argv[1]), 0)
        break
    except InterruptedError:
        pass
if os.WIFSIGNALED(status):
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    os.kill(os.getpid(), os.WTERMSIG(status))
os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1)
"""


def _spare_from_oom_killer(fd: int) -> None:
    """A waiting copy of the judge shows the judge's resident memory (shared, charged to the
    judge): without this the memory cgroup's killer would pick it, not the program that
    filled the group. Set after the fork, so the program keeps the default."""
    with contextlib.suppress(OSError):
        os.write(fd, b"-1000")  # refused without root: the default stays
    os.close(fd)


def _forget_the_judge(prctl: sandboxlib.Prctl | None) -> None:
    """The namespace's init is a copy of the judge: its command line (the problems file's
    path) and environment (keys) would show in /proc/1. Both are overwritten with zeros, and
    the process made undumpable (its memory and environment unreadable by a program of the
    same user, as when we are not root)."""
    if prctl is not None:
        prctl(PR_SET_DUMPABLE, 0)
    fields = sandboxlib.read_text("/proc/self/stat").rpartition(")")[2].split()
    if len(fields) < 49:
        return
    # fields 48-51 of stat (numbered from 1; this list starts at field 3): argv's and environ's bounds
    for start, end in ((int(fields[45]), int(fields[46])), (int(fields[47]), int(fields[48]))):
        if 0 < start < end:
            ctypes.memset(start, 0, end - start)


def _mount_proc() -> None:
    """A /proc of the caller's PID namespace (other users' processes unlisted too, where the
    kernel knows how: the solution's user sees its own alone)."""
    flags = MS_NOSUID | MS_NODEV | MS_NOEXEC
    try:
        _mount("proc", "/proc", "proc", flags, "hidepid=invisible")
        return
    except OSError:
        pass  # Linux < 5.8: no such option
    try:
        _mount("proc", "/proc", "proc", flags)
    except OSError:
        if os.geteuid() == 0 and _in_initial_user_namespace():
            raise
        # a user namespace may not mount proc where the host's is partly covered: an empty
        # /proc then (the host's stays out of sight)


def _in_initial_user_namespace() -> bool:
    try:
        return os.readlink("/proc/self/ns/user") == "user:[4026531837]"
    except OSError:
        return False


def _close_all_but(*keep: int) -> None:
    start = 0
    for fd in sorted(k for k in keep if k >= 0):
        os.closerange(start, fd)
        start = fd + 1
    os.closerange(start, 65536)


def _waitpid(pid: int) -> tuple[int, int]:
    while True:
        try:
            return os.waitpid(pid, 0)
        except InterruptedError:
            continue


def _reap_until(pid: int | None) -> int:
    """Reap children until `pid` is reaped (its status), or, None, until none is left."""
    while True:
        try:
            done, status = os.waitpid(-1, 0)
        except InterruptedError:
            continue
        except ChildProcessError:
            return 0
        if done == pid:
            return status


def _exit_as(status: int) -> None:  # pragma: no cover - the waiter's end
    """Exit with the wait status `status`: the same code, or killed by the same signal."""
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if sig not in (signal.SIGKILL, signal.SIGSTOP):  # those two are never caught nor blocked
            signal.signal(sig, signal.SIG_DFL)
            signal.pthread_sigmask(signal.SIG_UNBLOCK, [sig])
        os.kill(os.getpid(), sig)
        os._exit(128 + sig)
    os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1)


def mount_tmpfs(target: str, size: int, mode: int, files: int | None = None) -> None:
    """A fresh, private file system in memory of at most `size` bytes (and `files` files
    and folders) at `target`."""
    options = f"size={size},mode={mode:o}" + (f",nr_inodes={files}" if files else "")
    _mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV, options)


@dataclass(frozen=True)
class Jail:
    """What one jailed process sees: `keep` read-only, `writable` folders, a private /tmp
    of `tmp_bytes`; optionally its stdin copied to `input_copy` and, when it ends, the
    regular file it wrote at `output_copy[0]` (at most `output_copy[2]` bytes, never through
    a link) copied into the host file `output_copy[1]`, left untouched when it wrote none
    (problems that read input.txt and write output.txt: the program owns its output.txt
    there as in the fork server's folder)."""

    keep: str
    tmp_bytes: int
    writable: tuple[str, ...] = ()
    input_copy: str | None = None
    output_copy: tuple[str, str, int] | None = None
    reveal: tuple[str, ...] = ()

    def apply(
        self, no_network: bool, reap: bool = True, waiter: str | None = None
    ) -> None:  # pragma: no cover
        """Enter the jail; returns in its PID namespace (see `split`; not `reap`: the caller
        is the fork server, the namespace's init, and `waiter` its Python)."""
        out = -1
        if self.output_copy is not None:  # opened on the host's side, written by the init
            out = os.open(self.output_copy[1], os.O_WRONLY | os.O_CLOEXEC)
        oom = os.open("/proc/self/oom_score_adj", os.O_WRONLY | os.O_CLOEXEC)
        enter(self.keep, self.tmp_bytes, self.writable, no_network, self.reveal)
        if self.input_copy is not None:
            with open(self.input_copy, "wb") as f:
                f.write(os.pread(0, os.fstat(0).st_size, 0))
        split(reap, out, self._copy_output, oom, waiter)

    def _copy_output(self, out: int) -> None:  # pragma: no cover - in the jail's init
        if self.output_copy is None:
            return
        written = sandboxlib.read_written(self.output_copy[0], self.output_copy[2])
        if written is not None:
            os.ftruncate(out, 0)
            _write_all(out, written)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


@cache
def works() -> bool:
    """Whether this machine lets a child enter the jail, and the jail holds: a write outside
    /tmp fails, one inside works, and the process sees no process of the host's. Asked once
    per boot (probes.py) while who we are, our namespaces and the kernel's namespace settings
    stay as they were."""
    parts = [str(os.geteuid())]
    for path in _NAMESPACE_SETTINGS:
        try:
            parts.append(f"{path}={Path(path).read_text().strip()}")
        except OSError:
            parts.append(f"{path}=-")
    for ns in ("user", "mnt", "pid", "ipc", "net"):
        try:
            parts.append(os.readlink(f"/proc/self/ns/{ns}"))
        except OSError:
            parts.append(f"{ns}:-")
    status = Path("/proc/self/status").read_text()
    parts += [line for line in status.splitlines() if line.startswith("Cap")]
    key = probes.fingerprint(parts, ())
    return bool(probes.remembered("jail-works", key, lambda: int(_works_now())))


#: what decides whether namespaces may be made (absent ones are keyed as absent)
_NAMESPACE_SETTINGS = (
    "/proc/sys/user/max_user_namespaces",
    "/proc/sys/user/max_mnt_namespaces",
    "/proc/sys/user/max_pid_namespaces",
    "/proc/sys/user/max_ipc_namespaces",
    "/proc/sys/kernel/unprivileged_userns_clone",
    "/proc/sys/kernel/apparmor_restrict_unprivileged_userns",
)


def _works_now() -> bool:
    with tempfile.TemporaryDirectory(prefix="batch-eval-jail-probe-") as keep:
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the probe child
            code = 1
            try:
                Jail(keep, 1 << 20).apply(no_network=False)
                try:
                    open(os.path.join(keep, "x"), "w").close()
                except OSError:
                    with open(os.path.join(TMP, "x"), "w") as f:
                        f.write("x")
                    code = 0 if os.getpid() == 2 else 1
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
    return os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
