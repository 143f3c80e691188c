"""Runs inside a Piston sandbox: one request judges a solution on many inputs.

Sent as the entry file with main.py, tests.json and the tests' files, sealed (seal.py: the
secret arrives as this run stage's stdin). The program runs as the same user as this
launcher, in the same box, so nothing it could read may hold what it must not see. Before it
reads any secret the launcher makes itself undumpable (no ptrace, no /proc/<pid>/mem, fd or
environ for another process of the user) and forks the spawner, a copy of itself that never
holds a secret: the spawner forks each test's child, which runs main.py as `__main__` exactly
as the local fork server's children do (zygote.py, sent beside it: the same exits, tracebacks
and flushing), or, with `argv` in tests.json (a C, C++, Rust or Java program that our Piston
package's compile stage built once, package/compile), executes that command (found on the
package's PATH). Only then does the launcher read the secret, unseal the tests' files into its
memory and delete them. For each test it gives the spawner three anonymous files (memfd: no
name anywhere), stdin holding that test's input alone, and the spawner's child puts them on
fds 0/1/2 and closes every other descriptor: the launcher's stdout, its result channel, is
never the program's. The child runs in its own session under the test's CPU, output and wall
limits; the spawner is its subreaper, so when it ends, what it left (its group, and any
process that made its own session) is killed and reaped, and their CPU time is the test's.
The launcher then reads the outputs, compares them with the expected one (the judge's own
compare.py, sent beside it) and prints one line for the test, tagged with a word the program
cannot know, the output base64 (no byte lost on the way back). What only the judge's side
can cause is said out of band: a child that could not be set up (its report pipe), a spawner
that failed by itself. A spawner killed or stopped (only the program can do that) ends the
request after that test, judged a runtime error.
Memory is the request's memory cgroup's (run_memory_limit: real use, as on every other path):
a test over it ends the request, and the client judges those tests a request each. File-mode
problems get their input as input.txt too, and their output is output.txt when they wrote
that regular file. When asked to (early stop), it stops after the first run that did not exit
0, or whose output is not its expected one (the client compares again and decides). Standard
library only (with our sandboxlib.py, zygote.py, compare.py and seal.py); written for any
Python 3 that Piston may have.
"""

import array
import base64
import fcntl
import gc
import json
import os
import resource
import select
import signal
import socket
import sys
import time
import traceback

import compare  # sent with this file: the judge's own output comparison
import sandboxlib  # sent with this file: the mechanisms we share with the package
import seal  # sent with this file: how the tests' files are sealed
import zygote  # sent with this file: runs a script in a forked interpreter, as locally

PR_SET_DUMPABLE = 4
_PRCTL = sandboxlib.load_prctl()
#: how long past a test's wall limit the launcher waits for the spawner's answer
ANSWER_GRACE_S = 2.0
#: the spawner's exit status when it failed by itself (a bug of ours, never the program's)
SPAWNER_FAILED = 70


# -- the spawner: forks each test's child, holds no secret -----------------------------------


def _spawner(sock):
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)  # never the launcher's stdin (the secret) nor its stdout (the results)
    os.dup2(null, 1)
    os.close(null)
    sandboxlib.die_with_parent(_PRCTL)
    sandboxlib.become_subreaper(_PRCTL)  # a test's orphans come back to us: reaped, charged
    env = dict(os.environ, PYTHONINTMAXSTRDIGITS="0")
    while True:
        order, fds = _receive(sock)
        if order is None:
            return
        try:
            result = _test(order, fds, env)
        finally:
            for fd in fds:  # those _test did not close (it failed before the fork)
                os.close(fd)
        sock.send(json.dumps(result).encode())


def _receive(sock):
    """The next test's order and its three descriptors; (None, []) once the launcher is done."""
    size = socket.CMSG_SPACE(3 * array.array("i").itemsize)
    msg, ancdata, _, _ = sock.recvmsg(65536, size)
    fds = []
    for level, kind, data in ancdata:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            got = array.array("i")
            got.frombytes(data[: len(data) - len(data) % got.itemsize])
            fds.extend(got)
    if not msg:
        return None, fds
    return json.loads(msg.decode()), fds


def _test(order, fds, env):
    """Run one test's child to its end and clean up after it: its outcome, as measured."""
    hard = resource.getrlimit(resource.RLIMIT_FSIZE)[1]
    # the box's hard RLIMIT_FSIZE (Piston's PISTON_MAX_FILE_SIZE) cannot be raised: a program
    # stopped at it below our output limit says nothing about the program (the client: IE)
    fsize = order["output"] + 1 if hard == resource.RLIM_INFINITY else min(order["output"] + 1, hard)
    report_r, report_w = os.pipe()  # the child's set-up failures; closed before the program runs
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(report_r)
            _child(order, fds, env, fsize, hard, report_w)
        except BaseException as exc:
            try:
                os.write(report_w, f"{type(exc).__name__}: {exc}".encode())
            finally:
                os._exit(127)
        os._exit(127)
    os.close(report_w)
    # the child has them: ours closed now, so that an interactor reading the program's
    # stdout sees its end when the program's processes end
    for fd in fds:
        os.close(fd)
    fds.clear()
    status, usage, killed = _wait(pid, start + order["wall_s"])
    killed = killed or _outlived(start + order["wall_s"])
    wall = time.monotonic() - start
    left_cpu, left_kb = _reap_all(pid)
    setup_error = _read_all(report_r).decode("utf-8", "replace")
    os.close(report_r)
    return {
        "exited": os.WIFEXITED(status),
        "code": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
        "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
        "cpu": usage.ru_utime + usage.ru_stime + left_cpu,
        "memory_kb": max(usage.ru_maxrss, left_kb),
        "wall": wall,
        "wall_killed": killed,
        "file_size_cap": fsize if fsize <= order["output"] else None,
        # the box's hard CPU rlimit, when below what the test's limit needs (limit_cpu)
        "cpu_cap": sandboxlib.cpu_cap(order["time_s"]),
        "setup_error": setup_error or None,
    }


def _child(order, fds, env, fsize, hard, report):
    """In the test's child: its descriptors, files and limits, then the program."""
    os.setsid()
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
    # nothing of the launcher's or the spawner's stays open; the report pipe is closed by
    # exec (it is close-on-exec) or just before the script runs
    os.closerange(3, report)
    os.closerange(report + 1, 65536)
    if order["file_mode"]:
        with open("input.txt", "wb") as f:
            f.write(os.pread(0, os.fstat(0).st_size, 0))
        try:
            os.unlink("output.txt")
        except OSError:
            pass
    sandboxlib.limit_cpu(order["time_s"])
    resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, hard))
    if "processes" in order:  # the test's process limit, as locally (the box's own is higher)
        sandboxlib.limit_processes(order["processes"], {os.getppid(), *order["ours"]})
    if _PRCTL is not None:
        _PRCTL(PR_SET_DUMPABLE, 1)  # the program is an ordinary process of the box's user
    argv = order.get("argv")
    if argv:  # a program compiled by our Piston package's compile stage
        # as a fresh process has them (the interpreter ignores these, and exec keeps that)
        for sig in (signal.SIGPIPE, signal.SIGXFSZ, signal.SIGINT):
            signal.signal(sig, signal.SIG_DFL)
        os.execvpe(argv[0], argv, env)
    script = os.path.abspath("main.py")
    sys.argv = [script]
    sys.path[0] = os.path.dirname(script)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    os.environ["PYTHONINTMAXSTRDIGITS"] = "0"  # as the interpreter above was told
    os.close(report)
    zygote.run_script(script)  # exits


def _wait(pid, deadline):
    """Wait for the child until `deadline`, then kill its group: status, usage, killed."""
    ended = sandboxlib.wait_until(pid, deadline)
    if ended is not None:
        return (*ended, False)
    return (*sandboxlib.kill_and_reap(pid), True)


def _outlived(deadline):
    """After the program's own process ended: whether processes it started (our children now:
    we are their subreaper) keep running until `deadline`. A test ends when all its processes
    have; those still running at the wall clock are killed there (TLE), on every path."""
    me = os.getpid()
    while True:
        listed = sandboxlib.read_text(f"/proc/{me}/task/{me}/children").split()
        live = [
            p for p in listed if sandboxlib.read_text(f"/proc/{p}/stat").rpartition(")")[2][:3].strip() != "Z"
        ]
        if not live:
            return False
        if time.monotonic() >= deadline:
            return True
        time.sleep(0.005)


def _reap_all(group=0):
    """Kill process group `group` (0: none) and every child of ours (as a subreaper, the
    orphans of what we ran are ours, whatever session they made), until none is left; the CPU
    seconds and the largest peak memory (kB) of all we reaped."""
    if group:
        try:
            os.killpg(group, signal.SIGKILL)
        except OSError:
            pass
    cpu, kb = 0.0, 0
    while True:
        try:
            done, _, usage = os.wait4(-1, os.WNOHANG)
        except ChildProcessError:
            return cpu, kb
        if done:
            cpu += usage.ru_utime + usage.ru_stime
            kb = max(kb, usage.ru_maxrss)
        elif _kill_children():
            _, _, usage = os.wait4(-1, 0)  # one we just killed: it cannot take long
            cpu += usage.ru_utime + usage.ru_stime
            kb = max(kb, usage.ru_maxrss)
        else:
            time.sleep(0.0005)  # one that came back to us a moment ago is not listed yet


def _kill_children():
    """SIGKILL every child of ours; how many there were."""
    me = os.getpid()
    listed = sandboxlib.read_text(f"/proc/{me}/task/{me}/children").split()
    if not listed:  # a kernel without that file: look through every process
        listed = []
        for name in os.listdir("/proc"):
            if name.isdigit():
                fields = sandboxlib.read_text(f"/proc/{name}/stat").rpartition(")")[2].split()
                if len(fields) > 1 and fields[1] == str(me):
                    listed.append(name)
    for pid in listed:
        try:
            os.kill(int(pid), signal.SIGKILL)
        except OSError:
            pass
    return len(listed)


def _read_all(fd):
    chunks = []
    while True:
        chunk = os.read(fd, 65536)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


# -- the interactor: trusted problem code in the program's box ---------------------------------

#: where an interactor finds its files (testlib's INPUT OUTPUT ANSWER) and its own code:
#: descriptors of anonymous files, named through /proc/self/fd, which only it may open
INTERACTOR_FDS = (3, 4, 5)
INTERACTOR_CODE_FD = 6
#: how often the launcher looks whether the program stopped or killed the interactor
WATCH_S = 0.01
PR_CAP_AMBIENT = 47
PR_CAP_AMBIENT_CLEAR_ALL = 4
CAPABILITY_V3 = 0x20080522


def _interactor_child(spec, fds):
    """In the interactor's process, forked from the launcher (so as undumpable as it: the
    program, the same user, can neither read its memory or descriptors nor ptrace it): every
    signal the program could send it blocked but SIGKILL and SIGSTOP (the launcher sees
    those), its own session, its pipes on 0 and 1, its stderr, files and code on the
    descriptors above, its CPU limit; then testlib's `interactor INPUT OUTPUT ANSWER`, a
    binary exec'd from a file no one may read (so it stays undumpable), or Python source run
    in this interpreter with the box's folder (which the program writes) off its path and
    Python's own limit on integers' digits (a program's 4-million-digit number is its
    ValueError, not seconds of CPU: the problem's IE)."""
    os.setsid()
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)  # a program that left: its read says so
    signal.pthread_sigmask(signal.SIG_BLOCK, signal.valid_signals())
    high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 256) for fd in fds]
    for target, fd in enumerate(high):
        os.dup2(fd, target)
    os.closerange(len(fds), 65536)
    sandboxlib.limit_cpu(spec["time_s"])
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    paths = [f"/proc/self/fd/{fd}" for fd in INTERACTOR_FDS]
    if spec["kind"] == "binary":
        os.set_inheritable(INTERACTOR_CODE_FD, False)
        _drop_capabilities()  # a capability that reads any file would make it dumpable again
        os.execve(INTERACTOR_CODE_FD, ["interactor", *paths], dict(os.environ))
    box = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if p and os.path.abspath(p) != box]
    script = f"/proc/self/fd/{INTERACTOR_CODE_FD}"
    sys.argv = [script, *paths]
    if hasattr(sys, "set_int_max_str_digits"):  # Python's own limit, as locally (not a program's)
        sys.set_int_max_str_digits(sys.int_info.default_max_str_digits)
    zygote.run_script(script)  # exits


def _drop_capabilities():
    """Leave this process no capability (in a Piston box it has none; a server that keeps
    one, as CAP_DAC_READ_SEARCH, would let an exec'd interactor be read)."""
    libc = sandboxlib.load_libc()
    if libc is None:
        return
    import ctypes  # loaded by load_libc already

    libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    header = (ctypes.c_uint32 * 2)(CAPABILITY_V3, 0)
    data = (ctypes.c_uint32 * 6)()
    libc.capset(header, data)


def _interactor_limits(spec):
    """The resource limits every interactor of this request runs under (_interactor_child:
    the launcher's, its CPU time and no core), taken before any program runs."""
    limits = {}
    for name in dir(resource):
        if name.startswith("RLIMIT_"):
            which = getattr(resource, name)
            try:
                limits[which] = resource.getrlimit(which)
            except (OSError, ValueError):
                pass
    limits[resource.RLIMIT_CPU] = sandboxlib.cpu_limits(spec["time_s"])
    limits[resource.RLIMIT_CORE] = (0, 0)
    return limits


def _scheduling(pid):
    """How `pid` is scheduled (policy, nice value, CPUs), as the same user may change it:
    an interactor made SCHED_IDLE, niced or pinned would starve past its wall clock (IE) on a
    busy server."""
    return os.sched_getscheduler(pid), os.getpriority(os.PRIO_PROCESS, pid), os.sched_getaffinity(pid)


def _unlimited(value):
    return float("inf") if value == resource.RLIM_INFINITY else value


class _Interactor:
    """One test's interactor process, watched by the launcher: stopped, killed by a SIGKILL
    we did not send and not at its own CPU limit, a resource limit lower than it was given
    (prlimit needs only the same user: a lowered memory limit makes it crash, the problem's
    IE), or its scheduling changed (_scheduling), only the program can have done it: it is
    `attacked`. Both are looked at each time it is polled and once more when it has ended,
    before it is reaped (a program that lowers a soft limit, or pins it to a CPU, and undoes
    that between two looks is not seen). Past its wall deadline we kill it (`killed`)."""

    def __init__(self, pid, spec, deadline, given):
        self.pid, self.spec, self.deadline = pid, spec, deadline
        self.limits, self.scheduling = given
        self.start = time.monotonic()
        self.status = self.usage = self.ended = None
        self.killed = self.signalled = False
        self.attacked = None

    def poll(self):
        """Whether it has ended (reaped); past its deadline it is killed first."""
        while self.status is None:
            if not self.signalled and time.monotonic() >= self.deadline:
                self.kill()
            self._look_at_limits()
            if not self.signalled and os.waitid(os.P_PID, self.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT):
                self._look_at_limits()  # ended, not yet reaped: its limits are still there
            flags = os.WUNTRACED | (0 if self.signalled else os.WNOHANG)
            pid, status, usage = os.wait4(self.pid, flags)
            if not pid:
                return False
            if os.WIFSTOPPED(status):
                self.attacked = self.attacked or "stopped the problem's interactor in its sandbox"
                self.kill(ours=False)
                continue
            self.status, self.usage, self.ended = status, usage, time.monotonic()
            own_cpu = usage.ru_utime + usage.ru_stime >= self.spec["time_s"]
            killed = os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
            if killed and not self.killed and not own_cpu:
                self.attacked = self.attacked or "killed the problem's interactor in its sandbox"
        return True

    def _look_at_limits(self):
        try:
            if _scheduling(self.pid) != self.scheduling:
                self.attacked = self.attacked or "changed how the problem's interactor is scheduled"
                return
            for which, wanted in self.limits.items():
                now = resource.prlimit(self.pid, which)
                # lowered (an interactor may raise its own soft limits, as a deep recursion's stack)
                if any(_unlimited(got) < _unlimited(given) for got, given in zip(now, wanted)):
                    self.attacked = self.attacked or "changed the problem's interactor's resource limits"
                    return
        except OSError:  # reaped already
            return

    def wait(self):
        """Wait for its end (killed at its deadline)."""
        while not self.poll():
            time.sleep(WATCH_S)

    def kill(self, ours=True):
        self.killed = self.killed or ours
        self.signalled = True
        for kill in (os.killpg, os.kill):  # its group, and it (were it out of its group)
            try:
                kill(self.pid, signal.SIGKILL)
            except OSError:
                pass

    def result(self, stderr):
        status, usage = self.status, self.usage
        return {
            "exited": os.WIFEXITED(status),
            "code": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
            "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
            "cpu": usage.ru_utime + usage.ru_stime,
            "memory_kb": usage.ru_maxrss,
            "wall": self.ended - self.start,
            "killed": self.killed,
            "attacked": self.attacked,
            "stderr": stderr,
        }


def _filled(data):
    """An anonymous file holding `data`, its offset at the start."""
    fd = _anonymous_file()
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


def _tail(fd, size=2000):
    end = os.fstat(fd).st_size
    return os.pread(fd, size, max(0, end - size)).decode("utf-8", "replace")


def _interact(sock, test, data, answer, interactor, argv):
    """One interactive test: the interactor forked (its files anonymous, its code the one
    loaded at the start), the program started by the spawner with the pipes to it as its
    stdin and stdout; both watched to their ends. The result line's fields (the program's, and
    the interactor's under "interactor"), or None when the spawner did not answer."""
    files = [_filled(data), _anonymous_file(), _filled(answer or b"")]
    own_err, program_err = _anonymous_file(), _anonymous_file()
    to_program_r, to_program_w = os.pipe()
    from_program_r, from_program_w = os.pipe()
    spec = interactor["spec"]
    pid = os.fork()
    if pid == 0:
        try:
            _interactor_child(spec, [from_program_r, to_program_w, own_err, *files, interactor["fd"]])
        finally:
            os._exit(127)
    side = _Interactor(pid, spec, time.monotonic() + test["wall_s"] + spec["wall_s"], interactor["given"])
    for fd in (from_program_r, to_program_w, *files):
        os.close(fd)
    order = _order(test, False, argv, [os.getpid(), pid])
    ready = False
    try:
        if _send(sock, order, [to_program_r, from_program_w, program_err]):
            given_up = time.monotonic() + test["wall_s"] + ANSWER_GRACE_S
            while not ready and time.monotonic() < given_up:
                ready = bool(select.select([sock], [], [], WATCH_S)[0])
                side.poll()
    finally:
        os.close(to_program_r)
        os.close(from_program_w)
    reply = _receive_reply(sock, ready)
    if not reply:
        side.kill()
        side.wait()
        os.close(own_err)
        os.close(program_err)
        return {"eof": True} if ready else None
    side.wait()
    result = json.loads(reply.decode())
    result["stdout"] = ""
    result["stderr"] = _tail(program_err)
    result["interactor"] = side.result(_tail(own_err))
    os.close(own_err)
    os.close(program_err)
    return result


def _load_interactor(secret, spec):
    """The interactor's code in an anonymous file, its file gone from the box: a binary our
    package's compile stage built (mode 0111: exec'd, it cannot be read, so it stays
    undumpable), or the sealed Python source. None, with the reason, when it is missing."""
    name = spec["file"]
    if spec["kind"] == "binary":
        try:
            with open(name, "rb") as f:
                data = f.read()
            os.unlink(name)
        except OSError:
            return None, (
                "no interactor was built: the server's batch-eval package is older than this client "
                "(reinstall it: docs/piston-operators.md)"
            )
        fd = _filled(data)
        os.fchmod(fd, 0o111)
        return fd, None
    return _filled(_unseal(secret, name)), None


# -- the launcher: holds the tests, compares, reports -----------------------------------------


def _anonymous_file():
    """A file with no name anywhere (a regular file, as the program's stdin must be)."""
    if hasattr(os, "memfd_create"):
        return os.memfd_create("test", os.MFD_CLOEXEC)
    import tempfile  # an old Python: an unlinked temporary file (O_TMPFILE where it can)

    with tempfile.TemporaryFile() as f:
        return os.dup(f.fileno())


def _unseal(secret, name):
    """A test file's content, and the file gone from the box."""
    with open(name, "rb") as f:
        data = f.read()
    os.unlink(name)
    return seal.xor(secret, name, data)


def _order(test, file_mode, argv, ours):
    """What the spawner is told of one test (`ours`: our processes its process limit must
    count besides the spawner)."""
    return {
        "time_s": test["time_s"],
        "wall_s": test["wall_s"],
        "output": test["output"],
        **({"processes": test["processes"], "ours": ours} if "processes" in test else {}),
        "file_mode": file_mode,
        "argv": argv,
    }


def _send(sock, order, fds):
    """Give the spawner a test's order and its three descriptors; False when it cannot take
    them (it is gone)."""
    try:
        rights = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds).tobytes())]
        sock.sendmsg([json.dumps(order).encode()], rights)
        return True
    except OSError:
        return False


def _receive_reply(sock, ready):
    try:
        return sock.recv(65536) if ready else b""
    except OSError:
        return b""


def _run(sock, test, data, file_mode, argv):
    """One test through the spawner: its result line's fields, or None when the spawner did
    not answer (it died, or it stopped)."""
    fds = [_filled(data), _anonymous_file(), _anonymous_file()]
    try:
        ready = False
        if _send(sock, _order(test, file_mode, argv, [os.getpid()]), fds):
            ready = bool(select.select([sock], [], [], test["wall_s"] + ANSWER_GRACE_S)[0])
        reply = _receive_reply(sock, ready)
        if not reply:
            # the spawner's end closed (it is dying: only the program can kill it) or it did
            # not answer in time
            return {"eof": True} if ready else None
        result = json.loads(reply.decode())
        stdout = os.pread(fds[1], test["output"] + 1, 0)
        written = sandboxlib.read_written("output.txt", test["output"] + 1) if file_mode else None
        if written is not None:
            stdout = written
        result["stdout"] = base64.b64encode(stdout).decode()
        result["stderr"] = _tail(fds[2])
        return result
    finally:
        for fd in fds:
            os.close(fd)


def _lost(spawner, eof):
    """The spawner gave no answer: why, as the test's result line (the spawner, and every
    process of the test, which came back to us, killed and reaped). Only the program can
    kill or stop it (it runs as our user); one that failed by itself, or hangs, is ours.
    `eof`: its end of the socket closed, so it is ending: its status says how, however long
    a loaded machine takes to make it a zombie."""
    if eof:
        _, status = os.waitpid(spawner, 0)
        state = "Z"
    else:
        fields = sandboxlib.read_text(f"/proc/{spawner}/stat").rpartition(")")[2].split()
        state = fields[0] if fields else "Z"
        try:
            os.kill(spawner, signal.SIGKILL)
        except OSError:
            pass
        _, status = os.waitpid(spawner, 0)
    _reap_all()
    if state in ("T", "t"):
        return {"lost": "stopped the judge's process in its sandbox"}
    if state not in ("Z", "X"):
        return {"error": "the launcher's spawner did not answer in time"}
    if os.WIFEXITED(status):
        return {"error": f"the launcher's spawner failed (exit status {os.WEXITSTATUS(status)})"}
    name = signal.Signals(os.WTERMSIG(status)).name
    return {"lost": f"killed the judge's process in its sandbox ({name})"}


def _parent_stopped():
    """Whether the test's program stopped our parent (a runtime's run script that runs us
    as a child, as the same user): the request would then last until the server's time limit.
    It is continued; the test is the program's runtime error unless over its own limits first
    (mapping.py). (Once a test has ended, none of its processes is left to do it again.)"""
    parent = os.getppid()
    fields = sandboxlib.read_text(f"/proc/{parent}/stat").rpartition(")")[2].split()
    if not fields or fields[0] not in ("T", "t"):
        return False
    try:
        os.kill(parent, signal.SIGCONT)
    except OSError:
        pass
    return True


def main():
    if _PRCTL is not None:
        _PRCTL(PR_SET_DUMPABLE, 0)  # no other process of the box's user may look inside us
    sandboxlib.become_subreaper(_PRCTL)  # a lost spawner's test processes come back to us
    # children's collections then skip everything inherited (its pages stay shared): as the
    # local fork server, else each child's exit collection faults in the launcher's objects
    gc.freeze()
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    spawner = os.fork()  # before any secret is read: the spawner and its children never see one
    if spawner == 0:
        status = SPAWNER_FAILED
        try:
            ours.close()
            _spawner(theirs)
            status = 0
        except BaseException:
            traceback.print_exc()
        finally:
            os._exit(status)
    theirs.close()
    secret = bytes.fromhex(_read_all(0).decode().strip())
    tag = seal.tag(secret)
    with open("tests.json") as f:
        plan = json.load(f)
    tests = plan["tests"]
    interactor = plan.get("interactor")
    if interactor is not None:  # before any program runs: none may see or change it
        interactor["fd"], why = _load_interactor(secret, interactor["spec"])
        # what each interactor is given, taken while no program has run to change ours
        interactor["given"] = _interactor_limits(interactor["spec"]), _scheduling(0)
        if why:
            sys.stdout.write(tag + " " + json.dumps({"error": why}) + "\n")
            return
    inputs = [_unseal(secret, test["stdin"]) for test in tests]
    expected = [_unseal(secret, test["expected"]) if test.get("expected") else None for test in tests]
    rule = plan.get("compare")
    comparison = compare.Comparison(rule["mode"], rule["tolerance"]) if rule else None
    file_mode, argv = plan.get("file_mode", False), plan.get("argv")
    # an interactive test may take the interactor's wall time after the program's
    extra_s = interactor["spec"]["wall_s"] if interactor is not None else 0.0
    started = time.monotonic()
    for i, test in enumerate(tests):
        # never let the server's run_timeout cut us: stop while the next test still fits for sure,
        # and the client sends the rest in its next request
        if time.monotonic() - started + test["wall_s"] + extra_s > plan["budget_s"]:
            break
        if interactor is not None:
            result = _interact(ours, test, inputs[i], expected[i], interactor, argv)
        else:
            result = _run(ours, test, inputs[i], file_mode, argv)
        if result is None or "eof" in result:
            result = _lost(spawner, result is not None)
        elif _parent_stopped():
            result["stopped"] = "stopped the judge's process in its sandbox"
        sys.stdout.write(tag + " " + json.dumps(result) + "\n")
        sys.stdout.flush()
        if "lost" in result or "error" in result:
            return  # no spawner left that never saw a secret: the client sends the rest anew
        failed = result["wall_killed"] or not result["exited"] or result["code"] != 0
        if interactor is not None:
            side = result["interactor"]
            failed = failed or side["code"] != 0 or side["attacked"] is not None
        elif not failed and comparison is not None and expected[i] is not None:
            # a wrong answer: the tests after it cannot change the verdict (the client
            # compares again, and decides)
            failed = not comparison.compare(expected[i], base64.b64decode(result["stdout"]))[0]
        if plan["stop_on_failure"] and failed:
            break
    ours.close()
    try:
        os.kill(spawner, signal.SIGKILL)
    except OSError:
        pass
    _reap_all()


if __name__ == "__main__":
    main()
