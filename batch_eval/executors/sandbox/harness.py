"""The trusted harness of a function problem (HumanEval, MBPP, EvalPlus, call-based APPS, TACO
and LiveCodeBench), run as the test's program, in the same sandbox and limits as any program.

It is two processes. At its start, before it has read anything of the problem, it makes
itself undumpable (a process of the same user can then neither trace it nor read its
/proc/PID/mem, fd or environ) and forks the candidate's process, which keeps no descriptor
of ours but two pipes (its stdin and stdout are /dev/null; its stderr is the test's), runs
the runner's import prelude and the candidate's code as a module and then serves calls.
Only then does the harness read the test from its standard input (JSON: the candidate's
source and prelude, the problem's prompt or setup code, the tests' code, the entry point,
the part), removes the file it came from where it may, runs the tests' code in its own
process and hands the tests a stand-in for each function of the candidate they call. Every
call crosses the pipes: its arguments and its value travel as plain data of exact built-in
types (None, bool, int, float, complex, str, bytes, list, tuple, dict, set, frozenset,
nested); a value of any other type, a subclass of a built-in included, is a wrong answer
("returned an object of type A"). An exception of the candidate's is raised again in the
tests as the built-in exception of its name (a test that expects ValueError sees one); one
of another class, or StopIteration (which would silently end a map() that calls it), as
ProgramError (an Exception). The harness alone decides and writes the verdict, one JSON line
on its standard output, which the candidate cannot reach. A call-based problem's job names
each call's own CPU limit (`call_limit`): a call past it (or past twice it plus 1 s of wall
time) is TLE, and the candidate is killed.

What crosses back besides the value (decided as the benchmarks' runners would judge an
honest program):
- arguments changed in place: a list, dict or set argument that the candidate changed is
  sent back and the test's own object is updated to match (top-level arguments only);
- iterators: a generator or other iterator returned is drained (at most ITEMS items) and
  the tests get an iterator over its items, so `list(f(x)) == [...]` passes and
  `f(x) == [...]` fails, as in the benchmark's own runner; a test that passes that iterator
  to the candidate again passes an iterator over the items it has not taken;
- functions or objects of other types passed as arguments cannot cross: the problem cannot
  be judged here, and the verdict is IE with that reason (never the program's fault).

The candidate's module is not `__main__` (as in every benchmark's own runner, its
`if __name__ == "__main__":` block does not run). Names the tests use that the problem's own
code (the prompt, MBPP's setup code) defines are the problem's; the entry point and every
other name the tests use and the candidate defines are the candidate's.

Standard library only: it runs in every sandbox, Piston's included.
"""

import builtins
import json
import os
import select
import signal
import sys
import time
import traceback

ITEMS = 1_000_000  # at most this many items of a returned iterator are drained


class _Gone(BaseException):
    """The candidate's process ended or broke the protocol (BaseException: a test's
    `except Exception` cannot swallow it)."""


class _Unsendable(BaseException):
    """A test passed something that is not plain data: the problem cannot be judged here."""


class _BadValue(BaseException):
    """The candidate returned something that is not plain data."""


class _Overran(BaseException):
    """A call ran past its own time limit (call-based problems): the candidate is killed."""


class _ProblemFails(BaseException):
    """The problem's own code (its reference solution) fails: no verdict on the program."""


def _problem_fails(reason):
    """Given to the tests' code (never to the candidate) to say the problem cannot judge."""
    raise _ProblemFails(reason)


def _undumpable(flag=0):
    """PR_SET_DUMPABLE `flag`: 0 for the harness (no process of its user may look inside
    it); 1 for the candidate's process, before any of its code runs, so that the harness may
    read its CPU time in a /proc mounted hidepid=invisible (the jail's)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(4, flag, 0, 0, 0)  # PR_SET_DUMPABLE
    except Exception:
        pass  # without ctypes the sandbox's user switch (if any) already made us undumpable


def _send(fd, message):
    """One message: its length as 16 decimal digits, then its JSON (ASCII: every other
    character escaped, lone surrogates included)."""
    data = json.dumps(message, allow_nan=True).encode("utf-8", "surrogatepass")
    data = b"%016d" % len(data) + data
    while data:
        data = data[os.write(fd, data) :]


def _recv(fd):
    head = _read_exactly(fd, 16)
    if not head.isdigit():
        raise _Gone("broke the harness's protocol")
    body = _read_exactly(fd, int(head))
    try:
        return json.loads(body.decode("utf-8", "surrogatepass"))
    except (ValueError, RecursionError):
        raise _Gone("broke the harness's protocol") from None


def _read_exactly(fd, n):
    chunks = []
    while n > 0:
        chunk = os.read(fd, min(n, 1 << 20))
        if not chunk:
            raise _Gone("ended")
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


# -- plain data: exact built-in types as JSON (lists as arrays, the rest tagged) --------------


def encode(value: object) -> object:
    """Plain data as JSON-able values; anything else raises TypeError naming its type."""
    kind = type(value)
    if value is None or kind is bool or kind is int or kind is float or kind is str:
        return value
    if kind is list:
        return [encode(v) for v in value]
    if kind is tuple:
        return {"t": [encode(v) for v in value]}
    if kind is dict:
        return {"d": [[encode(k), encode(v)] for k, v in value.items()]}
    if kind is set:
        return {"s": [encode(v) for v in value]}
    if kind is frozenset:
        return {"f": [encode(v) for v in value]}
    if kind is bytes:
        return {"b": value.hex()}
    if kind is complex:
        return {"c": [value.real, value.imag]}
    if kind is _Items:  # a returned iterator passed on: its items not yet taken, as an iterator
        return {"i": [encode(v) for v in value]}
    raise TypeError(_type_name(value))


def decode(value: object) -> object:
    """The inverse of encode, for JSON from anyone: only exact built-in types come out."""
    if value is None or type(value) in (bool, int, float, str):
        return value
    if type(value) is list:
        return [decode(v) for v in value]
    if type(value) is dict and len(value) == 1:
        (tag, items), kind = next(iter(value.items())), None
        if tag == "b" and type(items) is str:
            return bytes.fromhex(items)
        if tag == "c" and type(items) is list and len(items) == 2:
            return complex(float(items[0]), float(items[1]))
        if tag == "i" and type(items) is list:
            return iter([decode(v) for v in items])
        kind = {"t": tuple, "s": set, "f": frozenset}.get(tag)
        if kind is not None and type(items) is list:
            return kind(decode(v) for v in items)
        if tag == "d" and type(items) is list:
            return {decode(k): decode(v) for k, v in items}
    raise ValueError("not plain data")


def _type_name(value):
    kind = type(value)
    module = getattr(kind, "__module__", "")
    name = getattr(kind, "__qualname__", "?")
    return name if module in ("builtins", "__main__", None) else f"{module}.{name}"


# -- the candidate's side ---------------------------------------------------------------------


def _candidate(calls, answers):  # pragma: no cover - in the forked child
    """Run the candidate's code and serve calls; never returns."""
    try:
        _undumpable(1)
        null = os.open(os.devnull, os.O_RDWR)
        os.dup2(null, 0)
        os.dup2(null, 1)
        keep = {calls, answers}
        for fd in _open_fds():
            if fd > 2 and fd not in keep:
                try:
                    os.close(fd)
                except OSError:
                    pass
        job = _recv(calls)
    except BaseException:
        os._exit(1)
    module = type(sys)(job["module"])
    module.__builtins__ = builtins
    sys.modules[job["module"]] = module
    source = job["source"]
    try:  # compiled once, here: a program that does not compile is a CE, told apart
        code = compile(source, "<solution>", "exec", dont_inherit=True)
    except SyntaxError as exc:
        where = f" (line {exc.lineno})" if exc.lineno else ""
        _send(answers, {"syntax": f"{type(exc).__name__}: {exc.msg}{where}"})
        os._exit(0)
    except (ValueError, MemoryError, RecursionError) as exc:
        _send(answers, {"syntax": f"{type(exc).__name__}: {exc}"})
        os._exit(0)
    try:
        import linecache  # the lines of its tracebacks

        linecache.cache["<solution>"] = (len(source), None, source.splitlines(True), "<solution>")
        if job.get("prelude"):
            exec(compile(job["prelude"], "<prelude>", "exec", dont_inherit=True), module.__dict__)
        exec(code, module.__dict__)
    except BaseException as exc:
        _send(answers, {"raise": _type_name(exc), "message": _message(exc), "trace": _trace(exc)})
        os._exit(0)
    names = [k for k, v in list(module.__dict__.items()) if callable(v) and not k.startswith("__")]
    _send(answers, {"loaded": names})
    instance = []
    # call-based runners (APPS, LiveCodeBench) call a method of one Solution() when the code
    # has "class Solution", else the module's function
    solution = "class Solution" in source
    while True:
        try:
            request = _recv(calls)
        except _Gone:
            os._exit(0)
        name = request["name"]
        try:
            if request.get("method") and solution:
                if not instance:
                    instance.append(module.__dict__["Solution"]())
                target = getattr(instance[0], name)
            else:
                target = module.__dict__[name]
            args = decode(request["args"])
            kwargs = decode(request["kwargs"])
            before = request["args"]
            value = target(*args, **kwargs)
        except BaseException as exc:
            _send(answers, {"raise": _type_name(exc), "message": _message(exc), "trace": _trace(exc)})
            continue
        _send(answers, _answer(value, args, before))


def _answer(value, args, before):
    changed = {}
    for i, arg in enumerate(args):
        if type(arg) in (list, dict, set):
            try:
                now = encode(arg)
            except (TypeError, RecursionError):
                continue
            if now != before[i]:
                changed[str(i)] = now
    try:
        if type(value).__name__ == "generator" or (
            hasattr(type(value), "__next__") and type(value).__module__ == "builtins"
        ):
            items = []
            for item in value:
                items.append(item)
                if len(items) >= ITEMS:
                    break
            return {"iter": encode(items), "changed": changed}
        return {"value": encode(value), "changed": changed}
    except TypeError as exc:
        return {"bad": str(exc)}
    except RecursionError:
        return {"bad": "a value nested too deeply (or containing itself)"}


def _message(exc):
    try:
        return str(exc)[:2000]
    except BaseException:
        return ""


def _trace(exc):
    try:
        lines = traceback.format_exception(type(exc), exc, exc.__traceback__)
        return "".join(lines)[-4000:]
    except BaseException:
        return ""


def _open_fds():
    try:
        return [int(name) for name in os.listdir("/proc/self/fd")]
    except OSError:
        return list(range(3, 1024))


# -- the harness's side -----------------------------------------------------------------------


class _Link:
    """The harness's end of the pipes, and what went wrong on it (a test's bare `except:`
    cannot hide a fault: the verdict reads it here)."""

    def __init__(self, calls, answers, pid=0, call_limit=0.0, proc_pid=0):
        self.calls, self.answers = calls, answers
        # pid: the candidate's, to kill it; proc_pid: the same process as /proc names it
        self.pid, self.call_limit, self.proc_pid = pid, call_limit, proc_pid
        self.fault = None

    def call(self, name, method, args, kwargs):
        if self.fault is not None:
            raise self.fault
        try:
            request = {"name": name, "method": method, "args": encode(list(args)), "kwargs": encode(kwargs)}
        except (TypeError, RecursionError) as exc:
            self.fault = _Unsendable(f"a test passes {exc} to {name}(), which cannot cross to the program")
            raise self.fault from None
        try:
            _send(self.calls, request)
            if self.call_limit:
                self._wait_within_limit(name)
            answer = _recv(self.answers)
        except (_Gone, OSError):
            self.fault = _Gone(f"the program ended during a call of {name}()")
            raise self.fault from None
        if "raise" in answer:
            raise _program_exception(answer)
        if "bad" in answer:
            self.fault = _BadValue(f"{name}() returned an object of type {answer['bad']}")
            raise self.fault
        try:
            for i, now in (answer.get("changed") or {}).items():
                _update(args[int(i)], decode(now))
            if "iter" in answer:
                return _Items(decode(answer["iter"]))
            return decode(answer["value"])
        except (ValueError, TypeError, KeyError, IndexError, RecursionError):
            self.fault = _Gone("broke the harness's protocol")
            raise self.fault from None

    def _wait_within_limit(self, name):
        """Wait for the candidate's answer while this call's CPU time is within its own limit
        (as LiveCodeBench and APPS time each call) and its wall time within 2x + 1 s (as every
        test's; work done in another process is not the candidate's CPU time); past either, the
        candidate is killed and the call overran."""
        start_cpu, start = _cpu_seconds(self.proc_pid), time.monotonic()
        while True:
            ready, _, _ = select.select([self.answers], [], [], 0.01)
            if ready:
                return
            cpu = _cpu_seconds(self.proc_pid)
            over = start_cpu is not None and cpu is not None and cpu - start_cpu > self.call_limit
            if over or time.monotonic() - start > 2 * self.call_limit + 1:
                try:
                    os.kill(self.pid, signal.SIGKILL)
                except OSError:
                    pass
                self.fault = _Overran(f"a call of {name}() ran past its time limit of {self.call_limit:g} s")
                raise self.fault


def _proc_pid(child):
    """The candidate's pid as /proc names it (for its CPU time), or 0 when unknown: /proc may
    be an outer PID namespace's (the jail's), where the pid fork returned names another
    process or none, so it is read from /proc's own list of this process's children."""
    try:
        me = os.readlink("/proc/self")
        with open(f"/proc/{me}/task/{me}/children") as f:
            kids = f.read().split()
    except (OSError, ValueError):
        return 0
    return int(kids[0]) if len(kids) == 1 else 0


def _cpu_seconds(pid):
    """CPU seconds (user + system) the process `pid` has used, or None when unreadable."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def _update(arg, now):
    """Make the test's argument what the candidate left it as."""
    if type(arg) is not type(now):
        raise ValueError("changed type")
    if type(arg) is list:
        arg[:] = now
    else:
        arg.clear()
        arg.update(now)


class _Items:
    """An iterator the candidate returned, as the tests see it: its items, drained. A test may
    pass it on to the candidate again, where it crosses as an iterator over the items left."""

    def __init__(self, items):
        self._items = iter(items)

    def __iter__(self):
        return self

    def __next__(self):
        return next(self._items)


class ProgramError(Exception):
    """An exception of a class of the candidate's own, raised again in the tests."""


def _program_exception(answer):
    name, message = str(answer.get("raise")), str(answer.get("message") or "")
    kind = getattr(builtins, name, None)
    exc = None
    # StopIteration is a signal, not an error: raised again as itself in the tests, it would
    # end the iteration of a map() or filter() that calls the candidate and skip its tests
    if (
        isinstance(kind, type)
        and issubclass(kind, Exception)
        and kind not in (StopIteration, StopAsyncIteration)
    ):
        try:
            exc = kind(message)
        except Exception:
            exc = None
    if exc is None:
        exc = ProgramError(f"{name}: {message}" if message else name)
    exc.batch_eval_trace = str(answer.get("trace") or "")
    return exc


class _Function:
    """A function of the candidate's, as the tests see it."""

    def __init__(self, link, name, method):
        self._link, self._method = link, method
        self.__name__ = self.__qualname__ = name

    def __call__(self, *args, **kwargs):
        return self._link.call(self.__name__, self._method, args, kwargs)

    def __repr__(self):
        return f"<function {self.__name__}>"


def _names(code):
    """Every global name a code object (and those nested in it) uses."""
    found = set(code.co_names)
    for const in code.co_consts:
        if hasattr(const, "co_names"):
            found |= _names(const)
    return found


def _report(verdict, reason=""):
    os.write(1, ("\n" + json.dumps({"verdict": verdict, "reason": reason[:2000]}) + "\n").encode())


def _last_line(text):
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    return lines[-1].strip() if lines else ""


def _assertion_reason(exc, test_source):
    """The failed assert's message, else its line in the tests' code."""
    message = str(exc)
    if message:
        return f"AssertionError: {message}"[:500]
    lines, where = test_source.splitlines(), ""
    for frame, line_no in traceback.walk_tb(exc.__traceback__):
        if frame.f_code.co_filename == "<tests>" and 0 < line_no <= len(lines):
            where = lines[line_no - 1].strip()
    return f"failed: {where}"[:500] if where else "AssertionError"


def _fate(pid, wait):
    """How the candidate's process ended: (signal, status). It is given `wait` seconds to
    end (it closed its pipes: it is exiting), then killed (and then says SIGKILL)."""
    status = None
    deadline = time.monotonic() + wait
    try:
        while status is None:
            done, code = os.waitpid(pid, os.WNOHANG)
            if done:
                status = code
            elif time.monotonic() >= deadline:
                os.kill(pid, signal.SIGKILL)
                _, status = os.waitpid(pid, 0)
            else:
                time.sleep(0.001)
    except (ChildProcessError, OSError):
        return 0, 0
    if os.WIFSIGNALED(status):
        return os.WTERMSIG(status), 0
    return 0, os.WEXITSTATUS(status)


def _judge(job, link):
    """(verdict, reason) of the tests of `job` on the candidate behind `link`."""
    _send(link.calls, {"source": job["source"], "prelude": job.get("prelude") or "", "module": "solution"})
    loaded = _recv(link.answers)
    if "syntax" in loaded:  # its compile error (no code of its own has run yet)
        return "CE", str(loaded["syntax"])
    if "raise" in loaded:
        return "RE", _last_line(loaded.get("trace") or "") or str(loaded["raise"])
    defined = set(loaded.get("loaded") or ())
    namespace = {"__name__": "__tests__", "__builtins__": builtins}
    if job.get("setup"):
        try:
            exec(compile(job["setup"], "<problem>", "exec", dont_inherit=True), namespace)
        except Exception:
            # a prompt that is not a program of its own (cut off, a stub with no body): the
            # tests then find every name in the candidate's module, as in the official runner
            namespace = {"__name__": "__tests__", "__builtins__": builtins}
    try:
        tests = compile(job["test"], "<tests>", "exec", dont_inherit=True)
    except Exception as exc:
        return "IE", f"the problem's tests cannot be compiled: {type(exc).__name__}: {exc}"
    entry, method = job.get("entry") or "", bool(job.get("method"))
    for name in _names(tests):
        if name in defined and name not in namespace and not hasattr(builtins, name):
            namespace[name] = _Function(link, name, False)
    candidate = None
    if entry:
        candidate = namespace[entry] = _Function(link, entry, method)
    namespace["_batch_eval_part"] = job.get("part") or "check"
    namespace["_batch_eval_problem_fails"] = _problem_fails
    try:
        exec(tests, namespace)
        namespace["check"](candidate)
    except (_Unsendable, _ProblemFails) as exc:
        return "IE", str(exc)
    except _Overran as exc:
        return "TLE", str(exc)
    except (_Gone, _BadValue):
        pass  # the fault below decides
    except AssertionError as exc:
        if link.fault is None:
            return "WA", _assertion_reason(exc, job["test"])
    except Exception as exc:
        if link.fault is None:
            trace = getattr(exc, "batch_eval_trace", "")
            if trace:
                return "RE", _last_line(trace)
            return "RE", f"{type(exc).__name__}: {exc}"[:500]
    fault = link.fault
    if isinstance(fault, _Overran):
        return "TLE", str(fault)
    if isinstance(fault, _Unsendable):
        return "IE", str(fault)
    if isinstance(fault, _BadValue):
        return "WA", str(fault)
    if isinstance(fault, _Gone):
        return "gone", str(fault)
    return "AC", ""


def _remove_stdin_file():
    """Remove the file our standard input was opened from where we may (a Piston box gives it
    as input.txt in the program's folder), before the candidate's code runs: it holds the
    tests. Where we may not (the local executor keeps it where the program's user cannot read
    it), nothing changes."""
    try:
        path = os.readlink("/proc/self/fd/0")
        if path.startswith("/") and os.path.isfile(path):
            os.unlink(path)
    except OSError:
        pass


def main():
    if hasattr(sys, "set_int_max_str_digits"):
        sys.set_int_max_str_digits(0)
    _undumpable()
    calls_r, calls_w = os.pipe()
    answers_r, answers_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the candidate's process
        os.close(calls_w)
        os.close(answers_r)
        _candidate(calls_r, answers_w)
    os.close(calls_r)
    os.close(answers_w)
    chunks = []
    while True:
        chunk = os.read(0, 1 << 20)
        if not chunk:
            break
        chunks.append(chunk)
    _remove_stdin_file()
    job = json.loads(b"".join(chunks).decode("utf-8", "surrogatepass"))
    link = _Link(calls_w, answers_r, pid, float(job.get("call_limit") or 0), _proc_pid(pid))
    try:
        verdict, reason = _judge(job, link)
    except _Gone as exc:
        verdict, reason = "gone", f"the program {exc}"
    sig, status = _fate(pid, 0.5 if verdict == "gone" else 0.0)
    if verdict == "gone":
        if sig:
            # the candidate was killed (its CPU limit, the memory cgroup, a crash): the test
            # ends as the program did, for the executor to judge from that
            if sig not in (signal.SIGKILL, signal.SIGSTOP):
                signal.signal(sig, signal.SIG_DFL)
            os.kill(os.getpid(), sig)
        verdict = "RE"
        reason = f"{reason} (exit status {status})" if not sig else f"{reason} (signal {sig})"
    _report(verdict, reason)
    os._exit(0)


if __name__ == "__main__":
    main()
