"""Red team, Piston family: programs written as a policy would write them against the Piston
launcher (the answers beside the program, the launcher's memory and descriptors, its result
channel, its life, CPU in children nobody reaps, an exit that looks like ours). Each must be
not AC and never IE on every path; where an attack finds nothing to attack (a local path, a
request of one test) it prints a wrong answer or exits as it would have, so that every path
gives the same verdict.

The answers of the TOKEN problem cannot be computed: only reading them gets AC. The attacks
aim at processes whose command line names launcher.py (the launcher, and its spawner), as a
policy that learnt the Piston judge would.
"""

from __future__ import annotations

from tests.conformance.cases import CE, RE, TLE, WA, Case, stdio

#: a test's answer is `tok-SALT-<its input>`: unguessable without reading it
SALT = "5e1f0c9a"
TOKEN_TESTS = [(f"{i}\n", f"tok-{SALT}-{i}\n") for i in (1, 2, 3)]

# finds the answer to its own input in `blobs` (bytes), prints it, or prints "none"
_PRINT_FOUND = """
import re, sys
ME = sys.stdin.buffer.read().strip()
def answer(blobs):
    for blob in blobs:
        m = re.search(rb"tok-[0-9a-f]{8}-" + re.escape(ME) + rb"\\n", blob)
        if m:
            sys.stdout.buffer.write(m.group(0))
            sys.exit(0)
"""

# the launcher's processes (launcher.py in their command line), nearest first
_LAUNCHERS = """
import os
def launchers():
    found, pid = [], os.getppid()
    while pid > 1:
        try:
            if b"launcher.py" in open(f"/proc/{pid}/cmdline", "rb").read():
                found.append(pid)
            pid = int(open(f"/proc/{pid}/stat").read().rpartition(")")[2].split()[1])
        except (OSError, ValueError, IndexError):
            break
    return found
"""

EXP_FILES = (
    _PRINT_FOUND
    + """
import os
def files():
    for folder in (".", "..", "/tmp", os.path.expanduser("~")):
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        for name in names:
            try:
                with open(os.path.join(folder, name), "rb") as f:
                    yield f.read(1 << 20)
            except OSError:
                pass
answer(files())
print("none")
"""
)

PROC_OF_LAUNCHER = (
    _PRINT_FOUND
    + _LAUNCHERS
    + """
def blobs():
    for pid in launchers():
        for name in ("environ", "cmdline"):
            try:
                yield open(f"/proc/{pid}/{name}", "rb").read()
            except OSError:
                pass
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                try:
                    with open(f"/proc/{pid}/fd/{fd}", "rb") as f:
                        yield f.read(1 << 20)
                except OSError:
                    pass
        except OSError:
            pass
        try:
            mem = open(f"/proc/{pid}/mem", "rb")
            for line in open(f"/proc/{pid}/maps"):
                start, end = (int(x, 16) for x in line.split()[0].split("-"))
                if "r" in line.split()[1] and end - start < 1 << 28:
                    try:
                        mem.seek(start)
                        yield mem.read(end - start)
                    except (OSError, OverflowError, ValueError):
                        pass
        except OSError:
            pass
answer(blobs())
answer([os.environ.__repr__().encode()])
print("none")
"""
)

# every test's answer is the sum of all the tests' inputs: only other tests' inputs give it
OTHER_INPUTS = (
    _LAUNCHERS
    + """
import sys
mine = int(sys.stdin.read())
seen = {mine}
for folder in (".", ".."):
    try:
        names = os.listdir(folder)
    except OSError:
        continue
    for name in names:
        if name.startswith("exp"):
            continue  # the answers themselves: another attack's business
        try:
            seen.add(int(open(os.path.join(folder, name)).read()))
        except (OSError, ValueError, UnicodeDecodeError):
            pass
print(sum(seen))
"""
)

# 2 s of CPU in 4 children under a 1 s limit; they are never reaped (the parent waits on a
# pipe, not on them), so their time is in nobody's rusage unless the judge reaps them
CPU_IN_CHILDREN = """
import os, time
a, b = map(int, input().split())
r, w = os.pipe()
for _ in range(4):
    if os.fork() == 0:
        os.close(r)
        t = time.process_time()
        while time.process_time() - t < 0.5:
            pass
        os._exit(0)
os.close(w)
os.read(r, 1)  # EOF once every child has exited
print(a + b)
"""

# slow (0.6 s of CPU under 0.25 s), right, and claiming every test was fast: forged result
# lines (the launcher's old format, answers from the other tests' inputs beside it) written
# to the launcher's stdout through /proc
FORGED_RESULTS = (
    _LAUNCHERS
    + """
import base64, json, time
t = time.process_time()
while time.process_time() - t < 0.6:
    pass
answers = []
for i in range(64):
    try:
        a, b = map(int, open(f"in{i}.txt").read().split())
        answers.append(a + b)
    except (OSError, ValueError):
        break
line = lambda n: json.dumps({"exited": True, "code": 0, "signal": None, "cpu": 0.01, "memory_kb": 9000,
    "wall": 0.02, "wall_killed": False, "stdout": base64.b64encode(f"{n}\\n".encode()).decode(),
    "stderr": "", "file_size_cap": None})
forged = "".join(line(n) + "\\n" for n in answers)
for pid in launchers():
    for fd in (1, 2):
        try:
            with open(f"/proc/{pid}/fd/{fd}", "w") as f:
                f.write(forged)
        except OSError:
            pass
for fd in range(3, 64):
    try:
        os.write(fd, forged.encode())
    except OSError:
        pass
a, b = map(int, input().split())
print(a + b)
"""
)


def _signal_launcher(which: str, sig: str) -> str:
    """Signal the launcher's process (`which`: 0 the nearest, -1 the farthest), then fail
    anyway (exit 1): where there is no launcher, the program's runtime error."""
    return (
        _LAUNCHERS
        + f"""
import signal, sys
found = launchers()
if found:
    try:
        os.kill(found[{which}], signal.{sig})
    except OSError:
        pass
a, b = map(int, input().split())
print(a + b)
sys.stdout.flush()
sys.exit(1)
"""
    )


SUM = [("1 2\n", "3\n"), ("10 20\n", "30\n"), ("-5 5\n", "0\n")]

#: stops every process it may but itself and its two nearest ancestors (on Piston: the
#: launcher's spawner and the launcher; what is left is the runtime's run script, which runs
#: the launcher as its child), then answers wrong: the request must not hang until the
#: server's time limit (nor be read as its CPU cap: IE)
STOP_RUN_SCRIPT = """
import os, signal
def parent_of(pid):
    try:
        return int(open(f"/proc/{pid}/stat").read().rpartition(")")[2].split()[1])
    except (OSError, ValueError, IndexError):
        return -1
me = os.getpid()
spared = {me, parent_of(me), parent_of(parent_of(me))}
for pid in (int(p) for p in os.listdir("/proc") if p.isdigit()):
    if pid > 1 and pid not in spared:
        try:
            os.kill(pid, signal.SIGSTOP)
        except OSError:
            pass
while True:
    pass
"""


# the same in C++, for our package's launcher (a compiled program's request)
EXP_FILES_CPP = r"""
#include <cstdio>
#include <cstring>
#include <string>
#include <dirent.h>
int main() {
    char me[64] = {0};
    if (scanf("%63s", me) != 1) return 0;
    std::string want = std::string("-") + me + "\n";
    for (const char* folder : {".", "..", "/tmp"}) {
        DIR* d = opendir(folder);
        if (!d) continue;
        while (dirent* e = readdir(d)) {
            std::string path = std::string(folder) + "/" + e->d_name;
            FILE* f = fopen(path.c_str(), "rb");
            if (!f) continue;
            static char buf[1 << 20];
            size_t n = fread(buf, 1, sizeof buf - 1, f);
            fclose(f);
            buf[n] = 0;
            for (char* p = strstr(buf, "tok-"); p; p = strstr(p + 1, "tok-"))
                if (strncmp(p + 12, want.c_str(), want.size()) == 0) {
                    fwrite(p, 1, 12 + want.size(), stdout);
                    return 0;
                }
        }
        closedir(d);
    }
    puts("none");
}
"""

CPU_IN_CHILDREN_CPP = r"""
#include <cstdio>
#include <ctime>
#include <unistd.h>
int main() {
    long long a, b;
    if (scanf("%lld %lld", &a, &b) != 2) return 1;
    int fds[2];
    pipe(fds);
    for (int i = 0; i < 4; i++)
        if (fork() == 0) {
            close(fds[0]);
            while (clock() < CLOCKS_PER_SEC / 2) {}
            _exit(0);
        }
    close(fds[1]);
    char c;
    read(fds[0], &c, 1);  // EOF once every child has exited; none of them is reaped
    printf("%lld\n", a + b);
}
"""


# forks 80 sleeping workers before it answers: past the limit, os.fork raises
FORK_PAST_LIMIT = """
import os, time
for _ in range(80):
    if os.fork() == 0:  # each worker ends soon: a test ends when all its processes have
        time.sleep(0.3)
        os._exit(0)
a, b = map(int, input().split())
print(a + b)
"""


def _token(name: str, source: str, *expect: str, language: str = "python") -> Case:
    return Case(name, stdio(name, TOKEN_TESTS), source, frozenset(expect), language=language)


def _sum(name: str, source: str, *expect: str, time_limit: float = 1.0, language: str = "python") -> Case:
    return Case(name, stdio(name, SUM, time_limit=time_limit), source, frozenset(expect), language=language)


CASES: list[Case] = [
    # the answers beside the program: cwd, its parent, /tmp, home
    _token("rt-piston-exp-files", EXP_FILES, WA),
    # the launcher's memory, descriptors, environment and command line (as the same user)
    _token("rt-piston-launcher-proc", PROC_OF_LAUNCHER, WA),
    Case(
        "rt-piston-other-inputs",
        stdio("rt-piston-other-inputs", [("1\n", "6\n"), ("2\n", "6\n"), ("3\n", "6\n")]),
        OTHER_INPUTS,
        frozenset({WA}),
    ),
    _sum("rt-piston-cpu-in-unreaped-children", CPU_IN_CHILDREN, TLE),
    _sum("rt-piston-forged-result-lines", FORGED_RESULTS, TLE, time_limit=0.25),
    _sum("rt-piston-kill-spawner", _signal_launcher("0", "SIGKILL"), RE),
    _sum("rt-piston-kill-launcher", _signal_launcher("-1", "SIGKILL"), RE),
    _sum("rt-piston-stop-spawner", _signal_launcher("0", "SIGSTOP"), RE),
    # the run script above the launcher stopped, then a spin (never as root: root would stop
    # the machine)
    Case(
        "rt-piston-stop-run-script",
        stdio("rt-piston-stop-run-script", SUM),
        STOP_RUN_SCRIPT,
        frozenset({TLE}),
        needs_a_user=True,
    ),
    # more workers than the process limit (64): a box holds as many (a real server's own cap
    # is 64 for the whole box), so the launcher must hold the program to ours; fork fails,
    # uncaught, on every path (never as root: root is not held to a process count)
    Case(
        "rt-piston-more-workers-than-the-limit",
        stdio("rt-piston-more-workers-than-the-limit", SUM),
        FORK_PAST_LIMIT,
        frozenset({RE}),
        needs_a_user=True,
    ),
    # an exit status that once meant "the launcher could not start the interpreter"
    _sum("rt-piston-exit-127", "import sys\nsys.exit(127)\n", RE),
    # the same attacks in C++ (our package's launcher runs compiled programs)
    _token("rt-piston-exp-files-cpp", EXP_FILES_CPP, WA, language="cpp"),
    _sum("rt-piston-cpu-in-unreaped-children-cpp", CPU_IN_CHILDREN_CPP, TLE, language="cpp"),
    _sum("rt-piston-exit-127-cpp", "int main() { return 127; }\n", RE, language="cpp"),
    _sum(
        "rt-piston-exit-127-after-answer",
        "a, b = map(int, input().split())\nprint(a + b)\nraise SystemExit(127)\n",
        RE,
    ),
    # a wrong answer to a non-ASCII one with a byte that is not UTF-8 beside it: a stock
    # request (C++ without our package) decodes stdout as text and mangles it, and a mangled
    # output was once IE; the same in Python, through the launcher
    Case(
        "rt-piston-mangled-wrong-answer",
        stdio("rt-piston-mangled-wrong-answer", [("1 2\n", "prix: 3 \u20ac\n")]),
        "import sys\nsys.stdout.buffer.write(b'prix: 4 \\xff\\n')\n",
        frozenset({WA}),
    ),
    Case(
        "rt-piston-mangled-wrong-answer-cpp",
        stdio("rt-piston-mangled-wrong-answer-cpp", [("1 2\n", "prix: 3 \u20ac\n")]),
        '#include <cstdio>\nint main() { std::fputs("prix: 4 \\xff\\n", stdout); }\n',
        frozenset({WA}),
        "cpp",
    ),
    # a compile error that prints our package's "toolchain missing" line: the compiler exits 1,
    # not the script's 86, so it stays the program's CE (an IE would drop it from the reward)
    _sum(
        "rt-piston-fake-missing-toolchain",
        "#error batch-eval package: toolchain missing: g++\n",
        CE,
        language="cpp",
    ),
]
