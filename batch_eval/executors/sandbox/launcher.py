"""Runs inside a Piston sandbox: one request judges a solution on many inputs.

Sent as the entry file with main.py, tests.json and the inputs; for each test it forks
itself, an interpreter already started, and the child runs main.py as `__main__` exactly as
the local fork server's children do (zygote.py, sent beside it: the same code, so the same
exits, tracebacks and flushing), in its own session, stdin from the input file, under the
test's CPU, output and wall limits; it prints one JSON line with what happened (the output
base64: no byte is lost to the way back). With `argv` in tests.json (a C, C++, Rust or Java
program that our Piston package's compile stage built once, package/compile), the child
executes that command instead (found on the package's PATH), under the same limits. The
client sends this file with sandboxlib.py, zygote.py and compare.py in every request, so
they always match. Memory is the request's memory cgroup's (run_memory_limit: real use, as
on every other path, not address space, which breaks threads and untouched mappings): a
test over it ends the request, and the client judges those tests a request each.
File-mode problems get their input as input.txt too, and their output is output.txt when
they wrote that regular file.
When asked to (early stop), it stops after the first run that did not exit 0, or whose
output is not its expected one (sent as exp<i>.txt for the built-in comparisons, compared by
the judge's own compare.py, sent beside it; the client compares again and decides). Standard
library only (with our sandboxlib.py, zygote.py and compare.py); written for any Python 3
that Piston may have.
"""

import base64
import gc
import json
import os
import resource
import signal
import sys
import time

import compare  # sent with this file: the judge's own output comparison
import sandboxlib  # sent with this file: the mechanisms we share with the package
import zygote  # sent with this file: runs a script in a forked interpreter, as locally


def run_one(test, env, file_mode=False, argv=None):
    out_path, err_path = "out.txt", "err.txt"
    if file_mode:
        with open(test["stdin"], "rb") as src, open("input.txt", "wb") as dst:
            dst.write(src.read())
        try:
            os.unlink("output.txt")
        except OSError:
            pass
    # the box's hard RLIMIT_FSIZE (Piston's PISTON_MAX_FILE_SIZE) cannot be raised: a program
    # stopped at it below our output limit says nothing about the program (the client: IE)
    hard = resource.getrlimit(resource.RLIMIT_FSIZE)[1]
    fsize = test["output"] + 1 if hard == resource.RLIM_INFINITY else min(test["output"] + 1, hard)
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:
        try:
            os.setsid()
            write = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
            for target, (path, flag) in enumerate(
                zip((test["stdin"], out_path, err_path), (os.O_RDONLY, write, write))
            ):
                fd = os.open(path, flag, 0o600)
                os.dup2(fd, target)
                os.close(fd)
            os.closerange(3, 65536)
            cpu = sandboxlib.cpu_rlimit(test["time_s"])
            resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, hard))
            if argv:  # a program compiled by our Piston package's compile stage
                os.execvpe(argv[0], argv, env)
            script = os.path.abspath("main.py")
            sys.argv = [script]
            sys.path[0] = os.path.dirname(script)
            signal.signal(signal.SIGINT, signal.default_int_handler)
            os.environ["PYTHONINTMAXSTRDIGITS"] = "0"  # as the interpreter above was told
            zygote.run_script(script)  # exits
        finally:
            os._exit(127)
    killed = False
    deadline = start + test["wall_s"]
    while True:
        done, status, usage = os.wait4(pid, os.WNOHANG)
        if done == pid:
            break
        if time.monotonic() > deadline:
            killed = True
            try:
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                pass
            _, status, usage = os.wait4(pid, 0)
            break
        time.sleep(0.001)
    wall = time.monotonic() - start
    try:
        os.killpg(pid, signal.SIGKILL)
    except OSError:
        pass
    with open(out_path, "rb") as f:
        stdout = f.read(test["output"] + 1)
    written = sandboxlib.read_written("output.txt", test["output"] + 1) if file_mode else None
    if written is not None:
        stdout = written
    with open(err_path, "rb") as f:
        stderr = f.read()[-2000:]
    return {
        "exited": os.WIFEXITED(status),
        "code": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
        "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
        "cpu": usage.ru_utime + usage.ru_stime,
        "memory_kb": usage.ru_maxrss,
        "wall": wall,
        "wall_killed": killed,
        "stdout": base64.b64encode(stdout).decode(),
        "stderr": stderr.decode("utf-8", "replace"),
        "file_size_cap": fsize if fsize <= test["output"] else None,
    }


def main():
    with open("tests.json") as f:
        plan = json.load(f)
    env = dict(os.environ, PYTHONINTMAXSTRDIGITS="0")
    rule = plan.get("compare")
    comparison = compare.Comparison(rule["mode"], rule["tolerance"]) if rule else None
    # children's collections then skip everything inherited (its pages stay shared): as the
    # local fork server, else each child's exit collection faults in the launcher's objects
    gc.freeze()
    started = time.monotonic()
    for test in plan["tests"]:
        # never let the server's run_timeout cut us: stop while the next test still fits for sure,
        # and the client sends the rest in its next request
        if time.monotonic() - started + test["wall_s"] > plan["budget_s"]:
            break
        result = run_one(test, env, plan.get("file_mode", False), plan.get("argv"))
        sys.stdout.write(json.dumps(result) + "\n")
        sys.stdout.flush()
        failed = result["wall_killed"] or not result["exited"] or result["code"] != 0
        if not failed and comparison is not None and test.get("expected"):
            # a wrong answer: the tests after it cannot change the verdict (the client
            # compares again, and decides)
            with open(test["expected"], "rb") as f:
                failed = not comparison.compare(f.read(), base64.b64decode(result["stdout"]))[0]
        if plan["stop_on_failure"] and failed:
            break


main()
