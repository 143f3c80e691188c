"""Red team, accounting and the judge's own processes (issue 23 items 3 and 4): programs that
hide CPU in children they never reap, fill memory-backed files from several processes to
make the kernel kill the judge's server, or exit as the judge's own failure would look.
Each is judged not AC and never IE; each is followed by a right program that must still be
AC (nothing an attack does changes the next record's verdict)."""

from __future__ import annotations

from tests.conformance.cases import AC, MLE, RE, SUM, SUM_PY, TLE, WA, Case, _case, stdio

# four children each burn 0.4 s of CPU (1.6 s under a 1 s limit), are read through pipes and
# never waited for; rusage alone saw 0.004 s
_UNREAPED = """
import os, time
readers = []
for _ in range(4):
    r, w = os.pipe()
    if os.fork() == 0:
        while time.process_time() < 0.4:
            pass
        os.write(w, b"x")
        os._exit(0)
    os.close(w)
    readers.append(r)
for r in readers:
    os.read(r, 1)
a, b = map(int, input().split())
print(a + b)
"""

# the same work in four threads of one child never waited for
_THREADS = """
import os, threading, time
r, w = os.pipe()
if os.fork() == 0:
    def spin():
        while time.thread_time() < 0.4:
            pass
    threads = [threading.Thread(target=spin) for _ in range(4)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    os.write(w, b"x")
    os._exit(0)
os.close(w)
os.read(r, 1)
a, b = map(int, input().split())
print(a + b)
"""

# small processes, large memory: files in the working folder (jailed: the private /tmp, in
# memory) filled by six of them, each file up to the output limit
_TMPFS = """
import os, time
for k in range(6):
    if os.fork() == 0:
        try:
            with open(f"fill{k}", "wb") as f:
                while True:
                    f.write(b"x" * (1 << 20))
        except OSError:
            pass
        time.sleep(100)
        os._exit(0)
time.sleep(100)
"""

# the right answer, printed and flushed, then sleeping children (up to the process limit, or
# 8), then the program exits: its children still hold its output and keep running. A test
# ends when all of its processes have (stock Piston waits for them too: its output is not
# closed before), so this runs to the wall clock on every path: TLE, never AC
_BOMB_AFTER_ANSWER = """
import os, sys, time
a, b = map(int, input().split())
print(a + b)
sys.stdout.flush()
for _ in range(8):
    try:
        if os.fork() == 0:
            time.sleep(100)
            os._exit(0)
    except OSError:
        break
"""

_BOMB_AFTER_ANSWER_CPP = r"""
#include <cstdio>
#include <unistd.h>
int main() {
    long long a, b;
    if (scanf("%lld %lld", &a, &b) != 2) return 1;
    printf("%lld\n", a + b);
    fflush(stdout);
    for (int i = 0; i < 8; i++) {
        pid_t pid = fork();
        if (pid == 0) { sleep(100); _exit(0); }
        if (pid < 0) break;
    }
}
"""


def _attack(
    name: str,
    source: str,
    *expect: str,
    needs_jail: bool = False,
    language: str = "python",
    time_limit: float = 1.0,
) -> list[Case]:
    """The attack, then a right program for the same kind of problem."""
    return [
        _case(
            f"redteam-{name}",
            stdio(f"redteam-{name}", SUM[:1], time_limit=time_limit),
            source,
            *expect,
            needs_jail=needs_jail,
            language=language,
        ),
        _case(f"redteam-{name}-next", stdio(f"redteam-{name}-next", SUM[:1]), SUM_PY, AC),
    ]


CASES: list[Case] = [
    *_attack("unreaped-children-cpu", _UNREAPED, TLE),
    *_attack("threads-in-unreaped-child-cpu", _THREADS, TLE),
    # the jail's /tmp is memory (MLE there); elsewhere the files go to a disk (TLE): judged
    # where the attack is one, on the jailed paths
    *_attack("tmpfs-from-many-processes", _TMPFS, MLE, needs_jail=True),
    *_attack(
        "exit-127-server-text",
        "import os\nos.write(2, b'batch-eval fork server: child setup failed\\n')\nos._exit(127)\n",
        RE,
    ),
    # (a short limit: each runs to its wall clock on every path)
    *_attack("children-outlive-answer", _BOMB_AFTER_ANSWER, TLE, time_limit=0.25),
    *_attack("children-outlive-answer-cpp", _BOMB_AFTER_ANSWER_CPP, TLE, language="cpp", time_limit=0.25),
    *_attack("exit-127-silent", "import os\nos._exit(127)\n", RE),
    # the answer, then 12 M short lines: the judge (or Piston's launcher) compares outside any
    # limit of the program's, and once kept an object per line (24 MB of output: ~1 GB, ~40 s)
    *_attack("compare-flood", "import sys\nsys.stdout.write('3\\n' + '1\\n' * (12 << 20))\n", WA),
]
