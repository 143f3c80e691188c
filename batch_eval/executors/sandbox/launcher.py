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
            for fd in fds:
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
        sandboxlib.limit_processes(order["processes"], {os.getppid(), order["launcher"]})
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


def _run(sock, test, data, file_mode, argv):
    """One test through the spawner: its result line's fields, or None when the spawner did
    not answer (it died, or it stopped)."""
    fds = [_anonymous_file() for _ in range(3)]
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fds[0], view) :]
        os.lseek(fds[0], 0, os.SEEK_SET)
        order = {
            "time_s": test["time_s"],
            "wall_s": test["wall_s"],
            "output": test["output"],
            **({"processes": test["processes"], "launcher": os.getpid()} if "processes" in test else {}),
            "file_mode": file_mode,
            "argv": argv,
        }
        try:
            rights = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds).tobytes())]
            sock.sendmsg([json.dumps(order).encode()], rights)
            ready, _, _ = select.select([sock], [], [], test["wall_s"] + ANSWER_GRACE_S)
            reply = sock.recv(65536) if ready else b""
        except OSError:
            reply = b""
        if not reply:
            # the spawner's end closed (it is dying: only the program can kill it) or it did
            # not answer in time
            return {"eof": True} if ready else None
        result = json.loads(reply.decode())
        stdout = os.pread(fds[1], test["output"] + 1, 0)
        written = sandboxlib.read_written("output.txt", test["output"] + 1) if file_mode else None
        if written is not None:
            stdout = written
        size = os.fstat(fds[2]).st_size
        stderr = os.pread(fds[2], 2000, max(0, size - 2000))
    finally:
        for fd in fds:
            os.close(fd)
    result["stdout"] = base64.b64encode(stdout).decode()
    result["stderr"] = stderr.decode("utf-8", "replace")
    return result


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
    inputs = [_unseal(secret, test["stdin"]) for test in tests]
    expected = [_unseal(secret, test["expected"]) if test.get("expected") else None for test in tests]
    rule = plan.get("compare")
    comparison = compare.Comparison(rule["mode"], rule["tolerance"]) if rule else None
    file_mode, argv = plan.get("file_mode", False), plan.get("argv")
    started = time.monotonic()
    for i, test in enumerate(tests):
        # never let the server's run_timeout cut us: stop while the next test still fits for sure,
        # and the client sends the rest in its next request
        if time.monotonic() - started + test["wall_s"] > plan["budget_s"]:
            break
        result = _run(ours, test, inputs[i], file_mode, argv)
        if result is None or "eof" in result:
            result = _lost(spawner, result is not None)
        sys.stdout.write(tag + " " + json.dumps(result) + "\n")
        sys.stdout.flush()
        if "lost" in result or "error" in result:
            return  # no spawner left that never saw a secret: the client sends the rest anew
        failed = result["wall_killed"] or not result["exited"] or result["code"] != 0
        if not failed and comparison is not None and expected[i] is not None:
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
