"""Red team, interactive problems: a guess-the-number problem with its Python interactor and
with testlib C++ ones (fixed and adaptive, built with our testlib.h), and the programs a
policy writes to pass it without playing (an answer printed blind, a flood of questions, a
wait for input that never comes, an early exit, a look for the secret in the filesystem and
/proc, a write to the interactor's files, a signal to it), each judged not AC on every local
path; a broken interactor, or one that does not compile, is IE. Piston does not run
interactors: there these problems are SKIP with the reason (`unsupported`).
cases.py adds these cases to its CASES at its end: import this module through it.
"""

from __future__ import annotations

from typing import Any

from tests.conformance.cases import AC, IE, OLE, TLE, WA, Case, stdio
from tests.test_interactive import BLIND, BROKEN, FLOOD, GUESS, HONEST, IDLE, LINEAR, SNOOP
from tests.test_testlib import ADAPTIVE_CPP, BROKEN_CPP, EARLY, GUESS_CPP, MISSING_CPP, OUT_OF_RANGE

#: the paths that cannot run an interactor (SKIP there)
PISTON = frozenset({"piston", "piston-stock", "piston-package"})


def _guess(pid: str, interactor: str = GUESS) -> dict[str, Any]:
    problem = stdio(pid, [("1000 777\n", ""), ("7 7\n", "")], time_limit=0.5)
    problem["interactor"] = interactor
    return problem


def _case(name: str, source: str, *expect: str, interactor: str = GUESS, **kw: Any) -> Case:
    problem = _guess(f"interactive-{name}", interactor)
    return Case(f"interactive-{name}", problem, source, frozenset(expect), unsupported=PISTON, **kw)


CASES: list[Case] = [
    _case("honest", HONEST, AC),
    _case("linear", LINEAR, WA),
    _case("blind", BLIND, WA),
    _case("idle", IDLE, TLE),
    _case("flood", FLOOD, WA, TLE, OLE),
    # root without a jail (the open paths) hides nothing from the program
    _case("snoop", SNOOP, WA, needs_a_user=True),
    _case("broken-interactor", HONEST, IE, interactor=BROKEN),
]

#: finds the interactor (its arguments in /proc), then reads the test's input beside them,
#: writes its output file, overwrites its binary with one that accepts, stops and kills it;
#: asks for the number it read (else 1) and leaves
ATTACK = r"""
import os, signal
n = int(input())
found = None
for pid in os.listdir("/proc"):
    if not pid.isdigit() or int(pid) == os.getpid():
        continue
    try:
        args = open(f"/proc/{pid}/cmdline", "rb").read().decode("latin-1").split("\0")
    except OSError:
        continue
    for arg in args:
        if "batch-eval-interactor" not in arg and "batch-eval-testlib" not in arg and "testlib" not in arg:
            continue
        folder = os.path.dirname(arg)
        try:
            found = int(open(os.path.join(folder, "input.txt")).read().split()[1])
        except (OSError, IndexError, ValueError):
            pass
        for path, data in ((os.path.join(folder, "output.txt"), b"1\n"), (arg, b"#!/bin/sh\nexit 0\n")):
            try:
                open(path, "wb").write(data)
            except OSError:
                pass
        for sig in (signal.SIGSTOP, signal.SIGKILL):
            try:
                os.kill(int(pid), sig)
            except OSError:
                pass
print("?", found if found is not None else 1, flush=True)
"""

_ADAPTIVE = "cpp-adaptive"
CASES += [
    _case("cpp-honest", HONEST, AC, interactor=GUESS_CPP),
    _case("cpp-linear", LINEAR, WA, interactor=GUESS_CPP),
    _case("cpp-out-of-range", OUT_OF_RANGE, WA, interactor=GUESS_CPP),
    _case("cpp-blind", BLIND, WA, interactor=GUESS_CPP),
    _case("cpp-early-exit", EARLY, WA, interactor=GUESS_CPP),
    _case("cpp-idle", IDLE, TLE, interactor=GUESS_CPP),
    _case("cpp-flood", FLOOD, WA, TLE, OLE, interactor=GUESS_CPP),
    # root without a jail (the open paths) can reach and signal the interactor
    _case("cpp-attack", ATTACK, WA, interactor=GUESS_CPP, needs_a_user=True),
    _case("cpp-adaptive-honest", HONEST, AC, interactor=ADAPTIVE_CPP),
    # the number of the test's input, asked without playing: an adaptive interactor has none
    _case(
        "cpp-adaptive-blind", "input()\nprint('? 777', flush=True)\ninput()\n", WA, interactor=ADAPTIVE_CPP
    ),
    _case("cpp-broken-interactor", HONEST, IE, interactor=BROKEN_CPP),
    _case("cpp-interactor-does-not-compile", HONEST, IE, interactor=MISSING_CPP),
]
