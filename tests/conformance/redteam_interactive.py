"""Red team, interactive problems: a guess-the-number problem with its Python interactor and
with testlib C++ ones (fixed and adaptive, built with our testlib.h), and the programs a
policy writes to pass it without playing (an answer printed blind, a flood of questions, a
wait for input that never comes, an early exit, a look for the secret in the filesystem and
/proc, a write to the interactor's files, a signal to it), each judged not AC on every path;
a broken interactor, or one that does not compile, is IE. On Piston the interactor runs in the
program's box as the same user (launcher.py), so the attacks on it there are added: stopping
or killing it (then spinning: TLE everywhere; answering blind instead is the program's RE
there, test_piston_package.py), reading its descriptors, planting a module it imports. A C++
interactor is built only by our Piston package: on a server without it these problems are
SKIP with the reason (`unsupported`).
cases.py adds these cases to its CASES at its end: import this module through it.
"""

from __future__ import annotations

from typing import Any

from tests.conformance.cases import AC, IE, OLE, TLE, WA, Case, stdio
from tests.test_interactive import BLIND, BROKEN, FLOOD, GUESS, HONEST, IDLE, LINEAR, SNOOP
from tests.test_testlib import ADAPTIVE_CPP, BROKEN_CPP, EARLY, GUESS_CPP, MISSING_CPP, OUT_OF_RANGE

#: the paths that cannot build a C++ interactor or a compiled program: a server without our
#: package (SKIP there)
STOCK = frozenset({"piston-stock"})


def _guess(pid: str, interactor: str = GUESS) -> dict[str, Any]:
    problem = stdio(pid, [("1000 777\n", ""), ("7 7\n", "")], time_limit=0.5)
    problem["interactor"] = interactor
    return problem


#: the cases judged on every executor path (red-team cases are not judged again under the
#: switches: cases.py); the others skip the paths that run them through another's code
EVERY_PATH = frozenset({"honest", "linear", "blind", "broken-interactor", "cpp-honest", "cpp-blind"})
#: the paths whose interactive runs are another path's code (process-*: fork-*; a request a
#: test: batched requests)
SAME_CODE = frozenset({"process-jailed", "process-open", "piston-per-test"})


def _case(name: str, source: str, *expect: str, interactor: str = GUESS, **kw: Any) -> Case:
    problem = _guess(f"interactive-{name}", interactor)
    # a C++ interactor, or a compiled program, meets the other only through our package
    unsupported = (
        STOCK if "#include" in interactor or kw.get("language", "python") != "python" else frozenset()
    )
    if name not in EVERY_PATH:  # an interactive test is a process per test on both local runners,
        # and the launcher's on Piston whether batched or not: judged on one of each
        kw.setdefault("skip_paths", SAME_CODE)
    return Case(f"interactive-{name}", problem, source, frozenset(expect), unsupported=unsupported, **kw)


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

#: the other processes the program may signal: all but itself, its parent and grandparent
#: (on Piston: the launcher's spawner and the launcher; what is left is the interactor)
_OTHERS = r"""
import os, signal, sys
me = os.getpid()
def parent_of(pid):
    try:
        return int(open(f"/proc/{pid}/stat").read().rpartition(")")[2].split()[1])
    except (OSError, ValueError, IndexError):
        return -1
spared = {me, parent_of(me), parent_of(parent_of(me))}
others = [int(p) for p in os.listdir("/proc") if p.isdigit() and int(p) not in spared and int(p) > 1]
try:
    n = int(input())
except (EOFError, ValueError):
    sys.exit(0)
"""


#: drops the runtime's run script (bash, above the launcher on a stock Piston runtime) from
#: the processes signalled: a SIGKILL to it ends the whole request on a real server (RE)
_SPARE_RUN_SCRIPT = """
def run_script(pid):
    try:
        return open(f"/proc/{pid}/cmdline", "rb").read().split(b"\\0")[0].endswith(b"bash")
    except OSError:
        return False
others = [pid for pid in others if not run_script(pid)]
"""


def signal_interactor(
    sig: str, then: str = 'print("? 1", flush=True)', spare_run_script: bool = False
) -> str:
    """Sends `sig` to every process it may but its parents (and the run script, when
    `spare_run_script`), then does `then` (answers blind)."""
    return (
        _OTHERS
        + (_SPARE_RUN_SCRIPT if spare_run_script else "")
        + f"""
for pid in others:
    try:
        os.kill(pid, signal.{sig})
    except OSError:
        pass
{then}
"""
    )


#: what an attacker does after its signal, so that every path gives one verdict: spin (its
#: own CPU limit comes first, whatever became of the interactor). Answering blind instead is
#: WA where the signal fails and the program's RE where it lands (test_piston_package.py)
SPIN = "while True:\n    pass"


#: every descriptor, mapped file and argument file of every process it can see, and the
#: files beside it, searched for the test's input
READ_EVERYTHING = (
    _OTHERS
    + r"""
found = None
def look(path):
    global found
    try:
        parts = open(path, "rb").read(100000).split()
    except OSError:
        return
    if len(parts) == 2 and parts[0] == str(n).encode() and parts[1].isdigit():
        found = int(parts[1])
for pid in others:
    for sub in ("fd", "map_files"):
        try:
            names = os.listdir(f"/proc/{pid}/{sub}")
        except OSError:
            continue
        for name in names:
            look(f"/proc/{pid}/{sub}/{name}")
    try:
        args = open(f"/proc/{pid}/cmdline", "rb").read().decode("latin-1").split("\0")
    except OSError:
        args = []
    for arg in args[1:]:
        look(arg)
        look(arg.replace("/self/", f"/{pid}/"))
for name in os.listdir("."):
    look(name)
print("?", found or 1, flush=True)
"""
)

#: plays the first test honestly after planting modules where it runs; blind on the next,
#: whose interactor imports them (an interactor that ran one would exit 0 at once: AC)
PLANT_MODULES = (
    _OTHERS
    + r"""
if n == 1000:
    for name in ("fractions.py", "decimal.py", "statistics.py"):
        try:
            open(name, "w").write("import os\nos._exit(0)\n")
        except OSError:
            pass
    lo, hi = 1, n
    while True:
        mid = (lo + hi) // 2
        print("?", mid, flush=True)
        answer = input()
        if answer == "=":
            break
        lo, hi = (lo, mid - 1) if answer == "<" else (mid + 1, hi)
else:
    print("? 1", flush=True)
"""
)
#: the guessing game's Python interactor, importing modules first (a program may plant them)
GUESS_IMPORTING = "import fractions, decimal, statistics\n" + GUESS

#: the C++ program a policy writes: SIGSTOP to every process it may but its parents, then spin
STOP_CPP = r"""
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <iostream>
#include <signal.h>
#include <unistd.h>
static long parent_of(long pid) {
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE* f = fopen(path, "r");
    if (!f) return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char* close = strrchr(buf, ')');
    long parent = -1;
    char state;
    if (!close || sscanf(close + 2, "%c %ld", &state, &parent) != 2) return -1;
    return parent;
}
int main() {
    long n;
    if (!(std::cin >> n)) return 0;
    long me = getpid(), parent = getppid(), grand = parent_of(parent);
    DIR* d = opendir("/proc");
    while (struct dirent* e = readdir(d)) {
        char* end;
        long pid = strtol(e->d_name, &end, 10);
        if (*end || pid <= 1 || pid == me || pid == parent || pid == grand) continue;
        kill(pid, SIGSTOP);
    }
    closedir(d);
    for (volatile long spin = 0;; spin++) {
    }
}
"""

#: the honest binary search in C++
HONEST_CPP = r"""
#include <iostream>
#include <string>
int main() {
    long long lo = 1, hi;
    std::cin >> hi;
    while (true) {
        long long mid = (lo + hi) / 2;
        std::cout << "? " << mid << std::endl;
        std::string r;
        std::cin >> r;
        if (r == "=") break;
        if (r == "<") hi = mid - 1; else lo = mid + 1;
    }
}
"""

# the program's user can signal the interactor only where they share it (Piston): whatever
# the signal did, the program's own limit comes first (TLE on every path). Root without a
# jail (the open paths) could stop the judge's own interactor: not judged there.
CASES += [
    _case("stop-interactor", signal_interactor("SIGSTOP", SPIN), TLE, needs_a_user=True),
    _case("kill-interactor", signal_interactor("SIGKILL", SPIN, True), TLE, needs_a_user=True),
    _case("read-everything", READ_EVERYTHING, WA, needs_a_user=True),
    _case("plant-modules", PLANT_MODULES, WA, interactor=GUESS_IMPORTING),
    _case(
        "cpp-stop-interactor",
        signal_interactor("SIGSTOP", SPIN),
        TLE,
        interactor=GUESS_CPP,
        needs_a_user=True,
    ),
    _case(
        "cpp-kill-interactor",
        signal_interactor("SIGKILL", SPIN, True),
        TLE,
        interactor=GUESS_CPP,
        needs_a_user=True,
    ),
    _case("cpp-read-everything", READ_EVERYTHING, WA, interactor=GUESS_CPP, needs_a_user=True),
    # C++ programs (on our Piston package as well): honest, and one that stops the interactor
    _case("honest-cpp-program", HONEST_CPP, AC, language="cpp"),
    _case("cpp-honest-cpp-program", HONEST_CPP, AC, interactor=GUESS_CPP, language="cpp"),
    _case("stop-interactor-cpp-program", STOP_CPP, TLE, language="cpp", needs_a_user=True),
    _case(
        "cpp-stop-interactor-cpp-program",
        STOP_CPP,
        TLE,
        interactor=GUESS_CPP,
        language="cpp",
        needs_a_user=True,
    ),
]

#: lowers the resource limits of the processes started between its parent and itself (on
#: Piston: the interactor, which prlimit reaches as the same user), then sends a 4 MB token:
#: an interactor that cannot allocate for it would crash (its IE) instead of rejecting it.
#: WA where prlimit fails, the program's RE where it lands (test_piston_package.py)
LOWER_LIMITS = r"""
import os, resource
n = int(input())
me, parent = os.getpid(), os.getppid()
def parent_of(pid):
    try:
        return int(open(f"/proc/{pid}/stat").read().rpartition(")")[2].split()[1])
    except (OSError, ValueError, IndexError):
        return None
grand = parent_of(parent)
for pid in range(parent + 1, me):
    # a process /proc hides from us (isolate's hidepid), or our parent's sibling
    if parent_of(pid) in (None, grand):
        for which, value in ((resource.RLIMIT_AS, 1), (resource.RLIMIT_DATA, 0)):
            try:
                resource.prlimit(pid, which, (value, value))
            except (OSError, ValueError):
                pass
print("?", "x" * 4000000, flush=True)
"""

# a 4-million-digit number, which Python parses in seconds without its digits limit: a Python
# interactor keeps that limit (rejects it) instead of going over its own CPU limit (IE)
CASES += [_case("digits-flood", "input()\nprint('?', '1' * 4000000, flush=True)\n", WA)]
