"""The Python fork server's own program, run by the solutions' interpreter as a script.

It starts once (a normal interpreter start: `site`, real descriptors), then forks one fresh
child per test; the child puts the test's files on descriptors 0/1/2, applies the limits,
runs the solution as `__main__` and exits as the interpreter would (non-daemon threads
joined, atexit handlers run, streams flushed). Every test is a fresh fork of the same clean
parent, so nothing a solution does reaches the next test.

Only the standard library, and only modules a bare interpreter start already has plus
traceback/resource/select/ctypes and our sandboxlib.py (copied beside this file, shared with
the package): this file is what every solution's process inherits.
Commands arrive on fd 0 and answers leave on fd 1 as single tab-separated lines, read and
written with os.read/os.write so that sys.stdin/sys.stdout never buffer anything a child
could see. Tests run in the order sent, one answer each; the judge sends the next test
while one runs, and `cancel` stops every test sent before it (answered `cancelled`). After
an `ok` answer come the test's outputs themselves (its stdout up to the output limit + 1
bytes, its stderr's tail: the sizes are in the answer), after which the server empties the
output files and forks the next test at once: on a memory cgroup those files' pages are the
tests' memory, and are never charged to the next test (at most a pipe's buffer of them,
64 kB, waits for the judge to read it as the next test starts).
After each test the server kills what it left (its session, and with --group every other
member of the pids cgroup), reaps the orphans it inherited as their subreaper, and with
--oom says whether the memory cgroup killed it. With --cpu (an open usage file of the CPU
cgroup the server and its tests live in) a test's CPU time is what the group used while it
ran, less the server's own: processes the test forked and never reaped are counted too.
A child that cannot be set up says so on a pipe of the server's that closes before the
solution runs (at exec, or before the script starts): the server answers `error`, and
nothing a solution prints or exits with can pass for the judge's own failure. Children set
themselves to be the out-of-memory killer's first pick (the server is its last). Where
allowed (root, or the jail's user namespace), each test gets a System V IPC namespace of its
own, whose segments, queues and semaphores the server removes when the test ends (freed
then, not charged to the next). With --clean it empties the tests' working folder before
the next test forks (outside that test's time and process); when it cannot, it answers
`retire` and exits, and the judge starts a fresh server for the test.

One file of ~500 lines on purpose: it is one program, copied into every server's home with
sandboxlib.py, whose shared parts already live there.
"""

import gc
import os
import resource
import select
import signal
import sys
import time
import traceback

import sandboxlib  # copied beside this file: the mechanisms we share with the package

# made now: when a solution has used all its memory there is none left to format these
_MEMORY_ERROR = b"Traceback (most recent call last):\nMemoryError\n"
_SETUP_FAILED = b"child setup failed"

if hasattr(sys, "set_int_max_str_digits"):
    sys.set_int_max_str_digits(0)  # as Codeforces' Python: integers of any length print


_SourceFileLoader = sys.modules["_frozen_importlib_external"].SourceFileLoader

# resolved once here: importing ctypes in every child would cost more than the fork
_PRCTL = sandboxlib.load_prctl()
_LIBC = sandboxlib.load_libc()


def _reap():
    """Reap the killed orphans of earlier tests (we are their subreaper): unreaped, they
    would keep their places in the pids cgroup's count."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _outlived(pid, procs, me, deadline, commands):
    """After the program's own process ended: whether processes it started keep running to
    the wall-clock `deadline` (True: the test is killed there, as a judge that waits for a
    program's output to close, like Piston, kills it). A test ends when all its processes have."""
    while True:
        _reap()
        if procs:
            rest = [p for p in sandboxlib.read_text(procs).split() if p != "0" and int(p) != me]
        else:
            try:
                os.killpg(pid, 0)
                rest = [pid]
            except OSError:
                rest = []
        if not rest:
            return False
        if time.monotonic() >= deadline or commands.cancelled():
            return not commands.cancelled()
        time.sleep(0.005)


def _clear(folder, kept):
    """Empty `folder` but its top-level entries `kept`, whatever the last test left there:
    no recursion (a test can leave thousands of nested folders), no link followed (every
    step is relative to an open folder, opened without following), folders the test made
    unreadable or unwritable opened up first. Raises OSError when something cannot go."""
    flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW
    fd = os.open(folder, flags)
    path = []  # the names from `folder` down to the one `fd` is
    try:
        while True:
            child = None
            with os.scandir(fd) as entries:
                for entry in entries:
                    if not path and entry.name in kept:
                        continue
                    if not entry.is_dir(follow_symlinks=False):
                        os.unlink(entry.name, dir_fd=fd)
                        continue
                    try:
                        os.rmdir(entry.name, dir_fd=fd)
                        continue
                    except OSError:
                        pass  # not empty: emptied first
                    child = _open_folder(entry.name, fd, flags)
                    path.append(entry.name)
                    break
            if child is not None:
                os.close(fd)
                fd = child
                continue
            if not path:
                return
            parent = os.open("..", flags, dir_fd=fd)
            os.close(fd)
            fd = parent
            os.rmdir(path.pop(), dir_fd=fd)  # emptied: it must go now (not a mount point)
    finally:
        os.close(fd)


def _open_folder(name, parent, flags):
    """A folder under `parent`, opened (and made ours to empty) even if the test took away
    its permissions."""
    try:
        fd = os.open(name, flags, dir_fd=parent)
    except PermissionError:
        path = os.open(name, os.O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=parent)
        try:
            os.chmod(f"/proc/self/fd/{path}", 0o700)
        finally:
            os.close(path)
        fd = os.open(name, flags, dir_fd=parent)
    os.fchmod(fd, 0o700)  # its entries can then be removed by their owner's uid too
    return fd


def _setup(script, cwd, files, time_s, memory, fsize, nproc, uid, input_copy, report):
    """In the child: descriptors, folder, user, limits. Any failure here is the judge's.
    (No cgroup to join: the server was started inside the judge's groups.) `report`: the
    setup pipe, the one descriptor above 2 left open."""
    os.setsid()
    sandboxlib.oom_first(_PROC)  # the server is never picked (where it may be so): its tests first
    flags = (os.O_RDONLY, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    for target, (path, flag) in enumerate(zip(files, flags)):
        fd = os.open(path, flag, 0o600)
        os.dup2(fd, target)
        os.close(fd)
    os.closerange(3, report)
    os.closerange(report + 1, 65536)
    if input_copy != "-":
        with open(input_copy, "wb") as f:
            f.write(os.pread(0, os.fstat(0).st_size, 0))
    # sys.stdin/stdout/stderr stay the interpreter's own: made at its start over /dev/null
    # as for any file (not a terminal, seekable, the same buffer size), never used by the
    # server, so each child gets them untouched, now over the test's files
    os.chdir(cwd)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    if uid != "-":
        os.setgroups([])
        os.setgid(int(uid))
        os.setuid(int(uid))
    sandboxlib.die_with_parent(_PRCTL)
    sandboxlib.limit_cpu(time_s)
    if memory != "-":  # else a memory cgroup limits what the child really uses
        resource.setrlimit(resource.RLIMIT_AS, (int(memory), int(memory)))
    resource.setrlimit(resource.RLIMIT_STACK, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if nproc != "-":
        resource.setrlimit(resource.RLIMIT_NPROC, (int(nproc), int(nproc)))
    if os.environ.get("HOME") != cwd:
        os.environ["HOME"] = os.environ["TMPDIR"] = cwd
    sys.argv = [script]
    sys.path[0] = os.path.dirname(script)


def _exec_main(script):
    """What `python script` does: the file compiled and run in a fresh `__main__` module.
    (runpy.run_path would import pkgutil in every child: 7 ms, ten forks' worth.)"""
    with open(script, "rb") as f:
        source = f.read()
    try:
        code = compile(source, script, "exec", dont_inherit=True)
    except SyntaxError as exc:
        # as the interpreter reports a script it cannot compile: the error, no traceback above it
        traceback.print_exception(type(exc), exc, None)
        _finish(1)
    main = type(sys)("__main__")
    main.__file__ = script
    main.__cached__ = None
    main.__builtins__ = sys.modules["builtins"]
    main.__loader__ = _SourceFileLoader("__main__", script)
    sys.modules["__main__"] = main
    exec(code, main.__dict__)


def _exit_status(exc):
    """The status the interpreter exits with for an uncaught SystemExit."""
    code = exc.code
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    try:
        sys.stderr.write(f"{code}\n")
    except BaseException:
        pass
    return 1


def _flush(status):
    """CPython's flush_std_files: a failing stdout flush makes the status 120."""
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name, None)
        if stream is None or getattr(stream, "closed", False):
            continue
        try:
            stream.flush()
        except BaseException:
            if name == "stdout":
                status = 120
    return status


def _finish(status):
    """Leave as the interpreter does after a script, without its full teardown (which
    touches every inherited object: 7 ms of copy-on-write faults per test): non-daemon
    threads joined, atexit handlers, standard streams flushed, then the solution's own
    globals released so that the files it left open are flushed and closed."""
    threading = sys.modules.get("threading")
    if threading is not None:
        try:
            threading._shutdown()
        except BaseException:
            traceback.print_exc()
    try:
        import atexit

        atexit._run_exitfuncs()
    except BaseException:
        pass
    status = _flush(status)
    main = sys.modules.get("__main__")
    if main is not None and getattr(main, "__file__", None) != __file__:
        try:
            main.__dict__.clear()
            gc.collect()
        except BaseException:
            pass
    # as CPython's last flush: the original streams, errors ignored (a replaced sys.stdout,
    # e.g. the FastIO template's wrapper, may no longer work once the script's globals are gone)
    for stream in (sys.__stdout__, sys.__stderr__):
        try:
            if stream is not None and not stream.closed:
                stream.flush()
        except BaseException:
            pass
    os._exit(status)


def run_script(script):
    """In the child: the solution as __main__, then exit as the interpreter would (also
    what the Piston launcher's children run)."""
    status = 0
    try:
        _exec_main(script)
    except SystemExit as exc:
        status = _exit_status(exc)
    except MemoryError as exc:
        # no memory left to format a traceback: free the frames, say it with bytes made earlier
        exc.__traceback__ = None
        del exc
        os.write(2, _MEMORY_ERROR)
        status = 1
    except BaseException as exc:
        tb = exc.__traceback__
        while tb is not None and tb.tb_frame.f_code.co_filename != script:
            tb = tb.tb_next  # the interpreter's own traceback starts at the script
        if tb is None:
            tb = exc.__traceback__  # a failure before the script's first line: keep it all
        try:
            traceback.print_exception(type(exc), exc, tb)
        except MemoryError:
            os.write(2, _MEMORY_ERROR)
        if isinstance(exc, KeyboardInterrupt):
            _flush(0)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGINT)  # as CPython reports an uncaught Ctrl-C
        status = 1
    _finish(status)


class _Commands:
    """The command lines from fd 0, read ahead: a command may arrive while a test runs
    (the judge queues the next test), and so may `cancel` (stop what was sent before it)."""

    def __init__(self):
        self.buffer = b""
        self.lines = []
        self.closed = False

    def read(self):
        chunk = os.read(_COMMANDS, 65536)
        if not chunk:
            self.closed = True
            return
        self.buffer += chunk
        *complete, self.buffer = self.buffer.split(b"\n")
        self.lines.extend(line.decode() for line in complete)

    def next(self):
        while not self.lines and not self.closed:
            self.read()
        return self.lines.pop(0) if self.lines else None

    def cancelled(self):
        return CANCEL in self.lines


CANCEL = "cancel"


def _wait(pid, wall, commands):
    """Wait for the child until `wall` seconds, plus the time it waited for a CPU up to
    sandboxlib.STARVED_WALL times `wall` (sandboxlib.moved_deadline); kill its group at the
    deadline or when a `cancel` arrives. Returns status, usage, killed at the deadline, cancelled."""
    start = time.monotonic()
    first = deadline = start + wall
    latest = start + wall * sandboxlib.STARVED_WALL
    try:
        pidfd = os.pidfd_open(pid)
    except (AttributeError, OSError):
        pidfd = -1
    killed = cancelled = False
    try:
        while True:
            done, status, usage = os.wait4(pid, os.WNOHANG)
            if done == pid:
                return status, usage, killed, cancelled
            left = deadline - time.monotonic()
            if left <= 0:
                deadline = sandboxlib.moved_deadline(first, latest, sandboxlib.cpu_wait(pid))
                left = deadline - time.monotonic()
            if (left <= 0 or commands.cancelled()) and not (killed or cancelled):
                killed, cancelled = left <= 0, left > 0
                # the child itself too: a cancel can come before it has made its own session
                status, usage = sandboxlib.kill_and_reap(pid)
                return status, usage, killed, cancelled
            watch = [pidfd] if pidfd >= 0 else []
            if not commands.closed:
                watch.append(_COMMANDS)
            ready, _, _ = select.select(watch, [], [], max(min(left, 0.002 if pidfd < 0 else left), 0))
            if _COMMANDS in ready:
                commands.read()
    finally:
        if pidfd >= 0:
            os.close(pidfd)


_COMMANDS, _ANSWERS = 0, 1  # the pipes' descriptors (--fds), 0 and 1 for an old caller
_PROC = -1  # the host's /proc, opened before the jail (--proc): where a child's writable files are


def _answer(line):
    os.write(_ANSWERS, line)


def _cpu_now(fd):
    """(the CPU group's usage, the server's own CPU time) now; (None, 0) without a group."""
    if fd < 0:
        return None, 0.0
    own = resource.getrusage(resource.RUSAGE_SELF)
    return sandboxlib.cpu_seconds(fd), own.ru_utime + own.ru_stime


#: the bytes of a test's stderr the judge gets: its tail (the judge keeps the last lines)
_STDERR_TAIL = 8000


class _Outputs:
    """A finished test's stdout and stderr files: what of them the judge gets (stdout's first
    `fsize` bytes, one more than the output limit; the last _STDERR_TAIL bytes of stderr's
    first fsize - 1), sent after the answer, and then emptied (their pages freed before the
    next test forks). A file a test never made (its setup failed) is empty."""

    def __init__(self, fout, ferr, fsize):
        self.fds = [self._open(fout), self._open(ferr)]
        out_size, err_size = (os.fstat(fd).st_size if fd >= 0 else 0 for fd in self.fds)
        err_size = min(err_size, fsize - 1)
        err_start = max(0, err_size - _STDERR_TAIL)
        self.ranges = [(0, min(out_size, fsize)), (err_start, err_size - err_start)]

    @staticmethod
    def _open(path):
        try:
            return os.open(path, os.O_RDWR | os.O_NOFOLLOW | os.O_CLOEXEC)
        except OSError:
            return -1

    def sizes(self):
        return "\t".join(str(count) for _, count in self.ranges)

    def send(self):
        """Each range on the answers pipe, exactly as many bytes as sizes() said (zeros for
        any a file no longer has): the judge reads them as the test's outputs."""
        for fd, (offset, count) in zip(self.fds, self.ranges):
            while count > 0:
                sent = 0
                if fd >= 0:
                    try:
                        sent = os.sendfile(_ANSWERS, fd, offset, count)
                    except OSError:  # a kernel that cannot send a file to a pipe: copied
                        sent = _write_all(os.pread(fd, min(count, 1 << 16), offset))
                if sent <= 0:  # shorter than it was: the judge still gets `count` bytes
                    sent = _write_all(bytes(min(count, 1 << 16)))
                offset += sent
                count -= sent

    def release(self):
        for fd in self.fds:
            if fd >= 0:
                try:
                    os.ftruncate(fd, 0)
                except OSError:
                    pass
                os.close(fd)
        self.fds = [-1, -1]


def _write_all(data):
    view = memoryview(data)
    while view:
        view = view[os.write(_ANSWERS, view) :]
    return len(data)


def _read_report(fd):
    """What a child wrote on the setup pipe (closed by then: b"" when setup went well)."""
    try:
        return os.read(fd, 4096)
    except OSError:
        return b""
    finally:
        os.close(fd)


def _one_line(data):
    return " ".join(data.decode("utf-8", "replace").split())[:300]


def _options(argv):
    options = {}
    i = 0
    while i < len(argv):
        if argv[i] == "--clean":
            options["clean"] = (argv[i + 1], frozenset(argv[i + 2].split("/")) - {""})
            i += 3
        else:
            options[argv[i].lstrip("-")] = argv[i + 1]
            i += 2
    return options


def _become_init():
    """When our children start a new PID namespace (the judge made one for us), the server
    is the first of them, its init: when it dies, however it dies, the kernel kills every
    process of every test with it, daemons included. We stay behind only to wait for it and
    exit as it did (our parent sees one server)."""
    try:
        if os.readlink("/proc/self/ns/pid") == os.readlink("/proc/self/ns/pid_for_children"):
            return
    except FileNotFoundError:
        pass  # the link of a new namespace reads only once its init is born
    except OSError:
        return
    pid = os.fork()
    if pid == 0:
        return
    os.close(_COMMANDS)  # the judge must see the server's pipes close when it dies
    os.close(_ANSWERS)
    while True:
        try:
            _, status = os.waitpid(pid, 0)
            break
        except InterruptedError:
            continue
    os._exit(os.waitstatus_to_exitcode(status) & 0xFF if os.WIFEXITED(status) else 1)


def main():
    global _COMMANDS, _ANSWERS, _PROC
    options = _options(sys.argv[1:])
    clean, procs, oom = options.get("clean"), options.get("group"), options.get("oom")
    cpu_fd = int(options.get("cpu", -1))
    _PROC = int(options.get("proc", -1))
    if "fds" in options:
        _COMMANDS, _ANSWERS = map(int, options["fds"].split(","))
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _become_init()
    me = os.getpid()
    if clean is not None:  # the tests' working folder is their home (set once, not per child)
        os.environ["HOME"] = os.environ["TMPDIR"] = clean[0]
    sandboxlib.die_with_parent(_PRCTL)
    sandboxlib.become_subreaper(_PRCTL)  # our solutions' orphans come back to us
    gc.freeze()  # children's collections then skip everything inherited (and its pages stay shared)
    commands = _Commands()
    ooms = sandboxlib.oom_kills(oom) if oom else 0
    dirty = True  # a folder a server before us used
    while True:
        line = commands.next()
        if line is None:
            return
        if line == CANCEL:
            continue
        if commands.cancelled():  # queued before a cancel: never started
            _answer(b"cancelled\n")
            continue
        fields = line.split("\t")
        script, cwd, fin, fout, ferr, time_s, memory, fsize, nproc, uid, wall, copy, mode = fields
        binary = mode == "exec"  # a compiled program: exec'd in the prepared child
        _reap()
        if dirty and clean is not None:
            # here, not in the child: the next test is not billed for what the last one left
            try:
                _clear(*clean)
            except OSError as exc:
                # the next test would not start clean: a fresh server (and sandbox) takes over
                _answer(f"retire\tcannot empty {clean[0]}: {exc}\n".encode())
                return
        dirty = True
        # each test its own System V IPC: what it leaves is seen by no later test (emptied below)
        own_ipc = sandboxlib.new_ipc_namespace(_LIBC)
        # the setup pipe: the child's setup failure travels here, never on its own streams
        report_r, report_w = os.pipe2(os.O_CLOEXEC | os.O_NONBLOCK)
        group_before, own_before = _cpu_now(cpu_fd)
        start = time.monotonic()
        try:
            pid = os.fork()
        except OSError as exc:
            os.close(report_r)
            os.close(report_w)
            _answer(f"error\tcannot fork: {exc}\n".encode())
            continue
        if pid == 0:
            try:
                _setup(
                    script,
                    cwd,
                    (fin, fout, ferr),
                    float(time_s),
                    memory,
                    int(fsize),
                    nproc,
                    uid,
                    copy,
                    report_w,
                )
                if binary:
                    # as a fresh process has them (the interpreter ignores these two, and an
                    # ignored signal stays ignored across exec)
                    for sig in (signal.SIGPIPE, signal.SIGXFSZ, signal.SIGINT):
                        signal.signal(sig, signal.SIG_DFL)
                    os.execve(script, [script], os.environ)  # closes the setup pipe (CLOEXEC)
            except BaseException as exc:
                try:
                    os.write(report_w, f"{type(exc).__name__}: {exc}".encode()[:1000])
                except BaseException:
                    os.write(report_w, _SETUP_FAILED)
                finally:
                    os._exit(127)
            os.close(report_w)  # set up: from here on the solution runs
            run_script(script)
        os.close(report_w)
        status, usage, killed, cancelled = _wait(pid, float(wall), commands)
        if not (killed or cancelled):
            killed = _outlived(pid, procs, me, start + float(wall), commands)
        wall_used = time.monotonic() - start
        try:
            os.killpg(pid, signal.SIGKILL)  # what it left behind in its session
        except OSError:
            pass
        if procs:
            sandboxlib.kill_members(procs, spare_pid=me)  # and outside it
        _reap()
        setup_error = _read_report(report_r)
        group_after, own_after = _cpu_now(cpu_fd)
        if own_ipc:  # its segments' memory is freed now, not charged to the next test
            sandboxlib.clear_ipc(_LIBC)
        # the count only moves while a test runs: the one read after each test is the next one's start
        oom_now = sandboxlib.oom_kills(oom) if oom else 0
        oom_killed, ooms = int(oom_now > ooms), oom_now
        outputs = _Outputs(fout, ferr, int(fsize))
        if cancelled:
            _answer(b"cancelled\n")
            outputs.release()
            continue
        if setup_error:
            _answer(f"error\tchild setup failed: {_one_line(setup_error)}\n".encode())
            outputs.release()
            continue
        cpu = usage.ru_utime + usage.ru_stime
        if cpu_fd >= 0:
            if group_before is None or group_after is None:
                _answer(b"error\tcannot read the test's CPU time in its cgroup\n")
                outputs.release()
                continue
            # what the group used, less our own part (forking, killing, reaping): every
            # process of the test, reaped or not
            cpu = max(cpu, (group_after - group_before) - (own_after - own_before))
        reply = f"ok\t{status}\t{cpu}\t{usage.ru_maxrss}\t{wall_used}\t{int(killed)}\t{oom_killed}"
        _answer(f"{reply}\t{outputs.sizes()}\n".encode())
        outputs.send()
        outputs.release()


if __name__ == "__main__":
    main()
